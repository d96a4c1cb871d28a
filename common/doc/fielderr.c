/*  fielderr - an error that names the offending field of an input document.

    Everything put into a fielderr_t passes through one cleaner, so a field
    or message built from hostile input (keys with control characters,
    invalid UTF-8, text cut in the middle of a character) is still valid
    UTF-8 that a JSON answer or a log line can carry unchanged.

    SPDX-License-Identifier: MPL-2.0
*/
#include "fielderr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

//  Copy source into target (size bytes, always terminated), replacing
//  control characters and invalid UTF-8 bytes with '?' and never cutting a
//  character in two.
static void
s_copy_clean (char *target, size_t size, const char *source)
{
    const unsigned char *input = (const unsigned char *)source;
    size_t available = strlen (source);
    size_t used = 0;
    while (available > 0) {
        size_t length = utf8_decode ((const char *)input, available, NULL);
        int replace = length == 0 || input[0] < 0x20 || input[0] == 0x7F;
        size_t consumed = length ? length : 1;
        size_t produced = replace ? 1 : length;
        if (used + produced >= size)
            break;
        if (replace)
            target[used] = '?';
        else
            memcpy (target + used, input, length);
        used += produced;
        input += consumed;
        available -= consumed;
    }
    target[used] = '\0';
}

void
fielderr_set (fielderr_t *err, const char *field, const char *format, ...)
{
    if (!err)
        return;
    //  A few bytes more than fits, so the cleaner can tell a character cut
    //  by vsnprintf from one that merely does not fit.
    char formatted[FIELDERR_MESSAGE_MAX + 8];
    va_list args;
    va_start (args, format);
    int written = vsnprintf (formatted, sizeof formatted, format, args);
    va_end (args);
    if (written < 0)
        formatted[0] = '\0';
    s_copy_clean (err->field, sizeof err->field, field ? field : "");
    s_copy_clean (err->message, sizeof err->message, formatted);
}

void
fielderr_format (const fielderr_t *err, char *buffer, unsigned long size)
{
    if (!buffer || size == 0)
        return;
    if (!err) {
        buffer[0] = '\0';
        return;
    }
    if (err->field[0])
        snprintf (buffer, size, "%s: %s", err->field, err->message);
    else
        snprintf (buffer, size, "%s", err->message);
}
