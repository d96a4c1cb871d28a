/*  redact - absolute server paths taken out of texts that leave the
    server.

    SPDX-License-Identifier: MPL-2.0
*/
#include "redact.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#define S_FILE_URL "file://"

static bool
s_starts_path (const char *text, const char *at)
{
    if (at > text && !strchr (" '\"([=,", at[-1]))
        return false;
    if (strncmp (at, S_FILE_URL "/", strlen (S_FILE_URL) + 1) == 0)
        return true;
    return at[0] == '/';
}

//  Where the path starting at at ends (its first byte past).
static const char *
s_path_end (const char *at)
{
    const char *cursor = at;
    while (*cursor && !strchr (" '\")],;", *cursor)) {
        if (*cursor == ':' && (cursor[1] == ' ' || cursor[1] == '\0'))
            break;
        cursor++;
    }
    return cursor;
}

//  Append length bytes of data to out at *used, as far as they fit.
static void
s_append (char *out, size_t out_size, size_t *used, const char *data,
          size_t length)
{
    size_t room = out_size - 1 - *used;
    if (length > room)
        length = room;
    memcpy (out + *used, data, length);
    *used += length;
}

void
redact_paths (const char *text, char *out, size_t out_size)
{
    assert (text);
    assert (out);
    assert (out_size > 0);
    size_t used = 0;
    for (const char *cursor = text; *cursor;) {
        if (!s_starts_path (text, cursor)) {
            s_append (out, out_size, &used, cursor, 1);
            cursor++;
            continue;
        }
        const char *end = s_path_end (cursor);
        const char *last = end;
        while (last > cursor && last[-1] == '/')
            last--;
        const char *name = last;
        while (name > cursor && name[-1] != '/')
            name--;
        s_append (out, out_size, &used, ".../", 4);
        s_append (out, out_size, &used, name, (size_t)(last - name));
        cursor = end;
    }
    out[used] = '\0';
}
