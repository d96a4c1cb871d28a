/*  ident - the one alphabet pdfpipe accepts for names that travel.

    SPDX-License-Identifier: MPL-2.0
*/
#include "ident.h"

#include <string.h>

bool
ident_valid (const char *data, size_t size, size_t max_size)
{
    if (!data || size == 0 || size > max_size)
        return false;
    for (size_t index = 0; index < size; index++) {
        char letter = data[index];
        bool allowed = (letter >= 'a' && letter <= 'z') ||
                       (letter >= 'A' && letter <= 'Z') ||
                       (letter >= '0' && letter <= '9') || letter == '_' ||
                       letter == '-';
        if (!allowed)
            return false;
    }
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
