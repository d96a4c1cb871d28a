/*  hex - bytes as lowercase hexadecimal text.

    SPDX-License-Identifier: MPL-2.0
*/
#include "hex.h"

char *
hex_encode (const void *bytes, size_t size, char *text)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *byte = (const unsigned char *)bytes;
    for (size_t index = 0; index < size; index++) {
        text[2 * index] = digits[byte[index] >> 4];
        text[2 * index + 1] = digits[byte[index] & 15];
    }
    text[2 * size] = '\0';
    return text;
}
