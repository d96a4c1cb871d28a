/*  testimage - small images for tests, and base64 as job documents carry
    them.

    PNG images are made with libpng's simplified API: a gradient whose
    bytes all differ from their neighbours, so an alpha channel is never
    uniform (renderers keep a soft mask). JPEG images are not made here;
    tests read the small files in tests/data (testfile_read). Any failure
    fails the running test (cmocka).

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef TESTIMAGE_H_INCLUDED
#define TESTIMAGE_H_INCLUDED

#include <png.h>
#include <stddef.h>
#include <stdint.h>

//  A PNG file of width x height pixels in format (PNG_FORMAT_RGBA,
//  PNG_FORMAT_GRAY, ...), in memory; *size_p gets its size in bytes. The
//  caller frees the result.
unsigned char *
testimage_png (uint32_t width, uint32_t height, uint32_t format,
               size_t *size_p);

//  size bytes of data as standard base64 with padding, NUL-terminated.
//  The caller frees the result.
char *
testimage_base64 (const void *data, size_t size);

#endif
