/*  assets - the images a job carries: decoded, checked and named.

    Owns the "assets" object of a job document: named images given inline
    as base64 ({"logo": {"type": "png", "data": "iVBOR..."}}). Parsing
    decodes each one, checks the size its header announces against the
    pixel limits (common/doc/joblimits) before anything else, and checks
    it the way a renderer would read it: a PNG
    is decoded in full by libpng (row by row, in bounded memory), a JPEG's
    markers are walked to its frame header and its end. So a corrupt or
    unsupported image fails the job when it is submitted, naming the asset,
    instead of failing a worker later. The only module that sees libpng.

    The ventilator parses assets to validate a job and ships them to
    workers inside the template text (jobspec); a worker parses them again
    with its template and hands the decoded bytes to its renderer, which
    loads each image once per chunk.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_ASSETS_H
#define PDFPIPE_ASSETS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "fielderr.h"

#define ASSETS_MAX 64                       // assets per job
#define ASSETS_NAME_MAX 64                  // bytes of an asset's name
#define ASSETS_BYTES_MAX (16 * 1024 * 1024) // decoded bytes per asset
//  A renderer holds an image decoded (libharu: 3 or 4 bytes a pixel) while
//  it loads it, so pixels bound a worker's memory: an image's and a job's
//  pixels are limited by common/doc/joblimits (--max-image-mp,
//  --max-job-image-mp), checked from the header before decoding.
#define ASSETS_SIDE_MAX 10000 // pixels, width and height

typedef struct _assets_t assets_t;

typedef enum {
    ASSETS_PNG = 1,
    ASSETS_JPEG,
} assets_type_t;

typedef struct {
    const char *name;          // as in the document
    assets_type_t type;        //
    const unsigned char *data; // the decoded file, size bytes
    size_t size;               // bytes
    uint32_t width;            // pixels
    uint32_t height;           // pixels
} assets_image_t;

//  Parse and check an "assets" object; json may be NULL (no assets). path
//  is its JSON path ("assets"), used to name fields in errors, such as
//  "assets.logo.data: is not valid base64 (at character 17)" or
//  "assets.logo.data: is not a PNG image (...)". Returns NULL and fills
//  err on the first problem. The caller owns the result.
assets_t *
assets_parse (const cJSON *json, const char *path, fielderr_t *err);

void
assets_destroy (assets_t **self_p);

size_t
assets_count (const assets_t *self);

//  The image at index (0 .. count-1), or NULL; borrowed.
const assets_image_t *
assets_image (const assets_t *self, size_t index);

//  The image named name, or NULL; borrowed.
const assets_image_t *
assets_find (const assets_t *self, const char *name);

//  Index of the image named name, or -1.
int
assets_index (const assets_t *self, const char *name);

//  Check data (size bytes) as an image of type and read its size in
//  pixels. Returns 0, or -1 with a description in problem (problem_size
//  bytes), such as "is not a PNG image (it lacks the PNG signature)".
int
assets_check_image (assets_type_t type, const unsigned char *data, size_t size,
                    uint32_t *width, uint32_t *height, char *problem,
                    size_t problem_size);

//  The width and height the header of data (size bytes) announces, read
//  without decoding: a PNG's IHDR chunk, a JPEG's frame header. Returns 0,
//  or -1 when the header cannot be read (assets_check_image says why).
int
assets_header_size (assets_type_t type, const unsigned char *data,
                    size_t size, uint32_t *width, uint32_t *height);

#endif
