/*  jsonstr - writing text as a JSON string.

    SPDX-License-Identifier: MPL-2.0
*/
#include "jsonstr.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

int
jsonstr_append (bytebuf_t *out, const char *text, size_t size)
{
    static const char hex_digits[] = "0123456789abcdef";
    assert (out);
    assert (text || size == 0);
    bytebuf_append (out, "\"", 1);
    size_t plain_from = 0;
    for (size_t at = 0; at < size; at++) {
        unsigned char byte = (unsigned char)text[at];
        if (byte >= 0x20 && byte != '"' && byte != '\\')
            continue;
        bytebuf_append (out, text + plain_from, at - plain_from);
        plain_from = at + 1;
        char escape[6] = {'\\', (char)byte};
        size_t length = 2;
        if (byte == '\n')
            escape[1] = 'n';
        else if (byte == '\r')
            escape[1] = 'r';
        else if (byte == '\t')
            escape[1] = 't';
        else if (byte < 0x20) {
            memcpy (escape, "\\u00", 4);
            escape[4] = hex_digits[byte >> 4];
            escape[5] = hex_digits[byte & 0x0F];
            length = 6;
        }
        bytebuf_append (out, escape, length);
    }
    bytebuf_append (out, text + plain_from, size - plain_from);
    return bytebuf_append (out, "\"", 1);
}

size_t
jsonstr_nul_escape_at (const char *text, size_t size)
{
    assert (text || size == 0);
    bool in_string = false;
    for (size_t at = 0; at < size; at++) {
        char letter = text[at];
        if (!in_string) {
            in_string = letter == '"';
            continue;
        }
        if (letter == '"')
            in_string = false;
        else if (letter == '\\') {
            if (size - at >= 6 && memcmp (text + at + 1, "u0000", 5) == 0)
                return at;
            at++; // the escaped character
        }
    }
    return size;
}
