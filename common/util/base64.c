/*  base64 - bytes as base64 text and back (RFC 4648, standard alphabet).

    SPDX-License-Identifier: MPL-2.0
*/
#include "base64.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char s_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
base64_encode (const void *data, size_t size)
{
    assert (data || size == 0);
    const unsigned char *bytes = data;
    if (size / 3 >= (SIZE_MAX - 5) / 4)
        return NULL;
    char *text = malloc ((size + 2) / 3 * 4 + 1);
    if (!text)
        return NULL;
    char *cursor = text;
    for (size_t index = 0; index < size; index += 3) {
        uint32_t group = (uint32_t)bytes[index] << 16;
        if (index + 1 < size)
            group |= (uint32_t)bytes[index + 1] << 8;
        if (index + 2 < size)
            group |= bytes[index + 2];
        *cursor++ = s_alphabet[(group >> 18) & 63];
        *cursor++ = s_alphabet[(group >> 12) & 63];
        *cursor++ = index + 1 < size ? s_alphabet[(group >> 6) & 63] : '=';
        *cursor++ = index + 2 < size ? s_alphabet[group & 63] : '=';
    }
    *cursor = '\0';
    return text;
}

static int
s_value (unsigned char letter)
{
    if (letter >= 'A' && letter <= 'Z')
        return letter - 'A';
    if (letter >= 'a' && letter <= 'z')
        return letter - 'a' + 26;
    if (letter >= '0' && letter <= '9')
        return letter - '0' + 52;
    if (letter == '+')
        return 62;
    if (letter == '/')
        return 63;
    return -1;
}

unsigned char *
base64_decode (const char *text, size_t max_size, size_t *size_p,
               base64_error_t *error_p, size_t *bad_at_p)
{
    assert (text);
    assert (size_p);
    assert (error_p);
    assert (bad_at_p);
    size_t length = strlen (text);
    *bad_at_p = 0;
    //  Every 4 characters give at most 3 bytes; skipped white space only
    //  makes the result smaller.
    if (length / 4 * 3 > max_size + 3) {
        *error_p = BASE64_TOO_LARGE;
        return NULL;
    }
    unsigned char *data = malloc (length / 4 * 3 + 3);
    if (!data) {
        *error_p = BASE64_NO_MEMORY;
        return NULL;
    }
    uint32_t bits = 0;
    int bit_count = 0;
    size_t used = 0;
    size_t padding = 0;
    for (size_t offset = 0; offset < length; offset++) {
        unsigned char letter = (unsigned char)text[offset];
        if (letter == ' ' || letter == '\n' || letter == '\r' || letter == '\t')
            continue;
        if (letter == '=') {
            padding++;
            continue;
        }
        int value = s_value (letter);
        if (value < 0 || padding) {
            *bad_at_p = offset + 1;
            goto invalid;
        }
        bits = (bits << 6) | (uint32_t)value;
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            data[used++] = (unsigned char)(bits >> bit_count);
        }
    }
    //  Six leftover bits cannot end a byte: the text was cut.
    if (bit_count >= 6 || padding > 2) {
        *bad_at_p = length;
        goto invalid;
    }
    if (used > max_size) {
        free (data);
        *error_p = BASE64_TOO_LARGE;
        return NULL;
    }
    *size_p = used;
    return data;

invalid:
    free (data);
    *error_p = BASE64_INVALID;
    return NULL;
}
