/*  ident - the alphabets pdfpipe accepts for names that travel.

    SPDX-License-Identifier: MPL-2.0
*/
#include "ident.h"

#include <string.h>

static bool
s_is_ident_letter (char letter)
{
    return (letter >= 'a' && letter <= 'z') ||
           (letter >= 'A' && letter <= 'Z') ||
           (letter >= '0' && letter <= '9') || letter == '_' || letter == '-';
}

bool
ident_valid (const char *data, size_t size, size_t max_size)
{
    if (!data || size == 0 || size > max_size)
        return false;
    for (size_t index = 0; index < size; index++)
        if (!s_is_ident_letter (data[index]))
            return false;
    return true;
}

bool
ident_valid_str (const char *text, size_t max_size)
{
    if (!text)
        return false;
    //  strnlen bounds the scan of an unterminated or huge input.
    return ident_valid (text, strnlen (text, max_size + 1), max_size);
}

bool
ident_key_valid (const char *key, size_t max_size)
{
    if (!key)
        return false;
    size_t length = strnlen (key, max_size + 1);
    if (length == 0 || length > max_size)
        return false;
    bool segment_start = true;
    for (size_t index = 0; index < length; index++) {
        char letter = key[index];
        if (segment_start && (letter == '/' || letter == '.'))
            return false;
        if (!s_is_ident_letter (letter) && letter != '.' && letter != '/')
            return false;
        segment_start = letter == '/';
    }
    return !segment_start;
}
