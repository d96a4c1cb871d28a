/*  disposition - the Content-Disposition header that offers a result as a
    download under its file name.

    SPDX-License-Identifier: MPL-2.0
*/
#include "disposition.h"

#include <assert.h>
#include <ctype.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
disposition_header (const char *filename)
{
    assert (filename);
    size_t length = strlen (filename);
    char *fallback = malloc (length + 1);
    char *exact = malloc (3 * length + 1);
    char *header = NULL;
    if (!fallback || !exact)
        goto cleanup;
    size_t used = 0;
    for (const char *letter = filename; *letter; letter++) {
        unsigned char byte = (unsigned char)*letter;
        if (byte == ' ' && (used == 0 || fallback[used - 1] == ' '))
            continue;
        fallback[used++] =
            byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\'
                ? (char)byte
                : '_';
    }
    while (used > 0 && fallback[used - 1] == ' ')
        used--;
    fallback[used] = '\0';
    char *cursor = exact;
    for (const char *letter = filename; *letter; letter++) {
        unsigned char byte = (unsigned char)*letter;
        if (isalnum (byte) || strchr ("!#$&+-.^_`|~", byte))
            *cursor++ = (char)byte;
        else
            cursor += sprintf (cursor, "%%%02X", byte);
    }
    *cursor = '\0';
    header = zsys_sprintf ("attachment; filename=\"%s\"; filename*=UTF-8''%s",
                           *fallback ? fallback : "download", exact);

cleanup:
    free (exact);
    free (fallback);
    return header;
}
