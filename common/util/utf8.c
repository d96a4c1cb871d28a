/*  utf8 - reading and writing UTF-8 text one character at a time.

    SPDX-License-Identifier: MPL-2.0
*/
#include "utf8.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

static bool
s_is_continuation (unsigned char byte)
{
    return (byte & 0xC0) == 0x80;
}

size_t
utf8_decode (const char *text, size_t available, uint32_t *codepoint)
{
    assert (text || available == 0);
    if (available == 0)
        return 0;
    const unsigned char *bytes = (const unsigned char *)text;
    unsigned char lead = bytes[0];
    size_t length;
    uint32_t value;
    if (lead < 0x80) {
        length = 1;
        value = lead;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        value = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        value = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        value = lead & 0x07;
    } else
        return 0;
    if (length > available)
        return 0;
    for (size_t index = 1; index < length; index++) {
        if (!s_is_continuation (bytes[index]))
            return 0;
        value = (value << 6) | (bytes[index] & 0x3F);
    }
    //  C0 and C1 leads are refused above, so 2-byte forms are never
    //  overlong; 3- and 4-byte ones are checked here.
    if ((length == 3 && value < 0x800) ||
        (length == 4 && (value < 0x10000 || value > 0x10FFFF)) ||
        (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    if (codepoint)
        *codepoint = value;
    return length;
}

size_t
utf8_decode_str (const char *text, uint32_t *codepoint)
{
    assert (text);
    //  A sequence is at most 4 bytes; strnlen stops at the NUL, so a
    //  sequence cut by it is refused without reading beyond.
    return utf8_decode (text, strnlen (text, 4), codepoint);
}

size_t
utf8_encode (uint32_t codepoint, char *bytes)
{
    assert (bytes);
    assert (codepoint <= 0x10FFFF);
    assert (codepoint < 0xD800 || codepoint > 0xDFFF);
    if (codepoint < 0x80) {
        bytes[0] = (char)codepoint;
        return 1;
    }
    size_t length = codepoint < 0x800 ? 2 : codepoint < 0x10000 ? 3 : 4;
    //  Continuation bytes carry six bits each, from the last one back.
    for (size_t index = length - 1; index > 0; index--) {
        bytes[index] = (char)(0x80 | (codepoint & 0x3F));
        codepoint >>= 6;
    }
    static const unsigned char leads[] = {0, 0, 0xC0, 0xE0, 0xF0};
    bytes[0] = (char)(leads[length] | codepoint);
    return length;
}

size_t
utf8_invalid_at (const char *text, size_t size)
{
    size_t at = 0;
    while (at < size) {
        size_t length = utf8_decode (text + at, size - at, NULL);
        if (length == 0)
            return at;
        at += length;
    }
    return size;
}

size_t
utf8_cut (const char *text, size_t size, size_t limit)
{
    if (size <= limit)
        return size;
    while (limit > 0 && s_is_continuation ((unsigned char)text[limit]))
        limit--;
    return limit;
}

bool
utf8_next (const char *text, size_t size, size_t *offset, uint32_t *codepoint)
{
    while (*offset < size) {
        size_t length = utf8_decode (text + *offset, size - *offset, codepoint);
        if (length) {
            *offset += length;
            return true;
        }
        (*offset)++;
    }
    return false;
}
