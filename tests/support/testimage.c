/*  testimage - small images for tests, and base64 as job documents carry
    them.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "testimage.h"

//  Step between the values of neighbouring bytes of the gradient; odd, so
//  that 256 bytes in a row are all different.
#define S_GRADIENT_STEP 7

unsigned char *
testimage_png (uint32_t width, uint32_t height, uint32_t format, size_t *size_p)
{
    assert_non_null (size_p);
    png_image image;
    memset (&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = format;
    size_t pixels_size = PNG_IMAGE_SIZE (image);
    unsigned char *pixels = malloc (pixels_size);
    assert_non_null (pixels);
    for (size_t index = 0; index < pixels_size; index++)
        pixels[index] = (unsigned char)(index * S_GRADIENT_STEP);
    png_alloc_size_t length = 0;
    if (!png_image_write_to_memory (&image, NULL, &length, 0, pixels, 0, NULL))
        fail_msg ("libpng: %s", image.message);
    unsigned char *data = malloc (length);
    assert_non_null (data);
    if (!png_image_write_to_memory (&image, data, &length, 0, pixels, 0, NULL))
        fail_msg ("libpng: %s", image.message);
    free (pixels);
    *size_p = length;
    return data;
}

char *
testimage_base64 (const void *data, size_t size)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *bytes = data;
    char *text = malloc ((size + 2) / 3 * 4 + 1);
    assert_non_null (text);
    size_t used = 0;
    for (size_t offset = 0; offset < size; offset += 3) {
        uint32_t bits = (uint32_t)bytes[offset] << 16;
        if (offset + 1 < size)
            bits |= (uint32_t)bytes[offset + 1] << 8;
        if (offset + 2 < size)
            bits |= bytes[offset + 2];
        text[used++] = alphabet[bits >> 18 & 63];
        text[used++] = alphabet[bits >> 12 & 63];
        text[used++] = offset + 1 < size ? alphabet[bits >> 6 & 63] : '=';
        text[used++] = offset + 2 < size ? alphabet[bits & 63] : '=';
    }
    text[used] = '\0';
    return text;
}
