/*  assets - the images a job carries: decoded, checked and named.

    base64 is read by common/util/base64: the standard alphabet (RFC 4648)
    with or without '=' padding; white space anywhere is skipped, so a long
    value may be wrapped in lines ("\n" in the JSON string).

    PNG checking uses libpng's reading API with one row buffer, and its
    errors (a bad CRC, truncated data, a bad filter) come back through
    longjmp into s_png_check, which is why the state libpng touches lives
    in an s_png_t rather than in locals. JPEG checking follows what
    libharu's own loader reads: segments with lengths from the start of
    the file up to a frame header (SOF0, SOF1 or SOF2: baseline, extended
    or progressive DCT, which PDF's DCTDecode filter displays), 8-bit
    samples, 1, 3 or 4 components; then an end-of-image marker must
    follow, which a truncated file lacks.

    SPDX-License-Identifier: MPL-2.0
*/
#include "assets.h"

#include <assert.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "ident.h"
#include "joblimits.h"
#include "jsondoc.h"

struct _assets_t {
    assets_image_t *images;
    unsigned char **buffers; // owned decoded data, images[i].data
    char **names;            // owned names, images[i].name
    size_t count;
    uint64_t pixels; // of all images, for --max-job-image-mp
};

static const char *const s_asset_fields[] = {"type", "data", NULL};
static const char *const s_types[] = {"png", "jpeg", NULL};

//  Pixels an image may have: the process's --max-image-mp.
static uint64_t
s_pixels_max (void)
{
    return (uint64_t)joblimits_get ()->image_mp * JOBLIMITS_PIXELS_PER_MP;
}

// ---------------------------------------------------------------------------
// PNG

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
    char problem[128];
    unsigned char *row;
} s_png_t;

static void
s_png_error (png_structp png, png_const_charp message)
{
    s_png_t *reader = png_get_error_ptr (png);
    snprintf (reader->problem, sizeof reader->problem, "%s", message);
    png_longjmp (png, 1);
}

static void
s_png_warning (png_structp png, png_const_charp message)
{
    (void)png;
    (void)message; // ancillary problems libharu also ignores
}

static void
s_png_read (png_structp png, png_bytep target, size_t length)
{
    s_png_t *reader = png_get_io_ptr (png);
    if (length > reader->size - reader->offset)
        png_error (png, "the data ends in the middle of the image");
    memcpy (target, reader->data + reader->offset, length);
    reader->offset += length;
}

static int
s_png_check (const unsigned char *data, size_t size, uint32_t *width,
             uint32_t *height, char *problem, size_t problem_size)
{
    if (size < 8 || png_sig_cmp (data, 0, 8) != 0) {
        snprintf (problem, problem_size,
                  "is not a PNG image (it lacks the PNG signature)");
        return -1;
    }
    s_png_t reader = {data, size, 0, "", NULL};
    png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &reader,
                                              s_png_error, s_png_warning);
    png_infop info = png ? png_create_info_struct (png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct (&png, NULL, NULL);
        snprintf (problem, problem_size, "out of memory reading the image");
        return -1;
    }
    if (setjmp (png_jmpbuf (png))) {
        free (reader.row);
        png_destroy_read_struct (&png, &info, NULL);
        snprintf (problem, problem_size,
                  "is not a valid PNG image: libpng says \"%s\"",
                  reader.problem);
        return -1;
    }
    png_set_read_fn (png, &reader, s_png_read);
    png_set_user_limits (png, ASSETS_SIDE_MAX, ASSETS_SIDE_MAX);
    png_read_info (png, info);
    *width = png_get_image_width (png, info);
    *height = png_get_image_height (png, info);
    if ((uint64_t)*width * *height > s_pixels_max ())
        png_error (png, "image has more pixels than --max-image-mp allows");
    int passes = png_set_interlace_handling (png);
    png_read_update_info (png, info);
    reader.row = malloc (png_get_rowbytes (png, info));
    if (!reader.row)
        png_error (png, "out of memory");
    for (int pass = 0; pass < passes; pass++)
        for (uint32_t row = 0; row < *height; row++)
            png_read_row (png, reader.row, NULL);
    png_read_end (png, NULL);
    free (reader.row);
    png_destroy_read_struct (&png, &info, NULL);
    return 0;
}

// ---------------------------------------------------------------------------
// JPEG

//  Walk the segments up to the frame header and read the size there; *end
//  is where the frame header ends.
static int
s_jpeg_frame (const unsigned char *data, size_t size, uint32_t *width,
              uint32_t *height, char *problem, size_t problem_size,
              size_t *end)
{
    if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) {
        snprintf (problem, problem_size,
                  "is not a JPEG image (it does not start with the JPEG "
                  "start-of-image marker)");
        return -1;
    }
    size_t offset = 2;
    while (1) {
        if (offset + 4 > size || data[offset] != 0xFF) {
            snprintf (problem, problem_size,
                      "is not a valid JPEG image: %s at byte %zu",
                      offset + 4 > size ? "the data ends before the frame "
                                          "header"
                                        : "a marker is missing",
                      offset);
            return -1;
        }
        unsigned char marker = data[offset + 1];
        size_t length = (size_t)data[offset + 2] << 8 | data[offset + 3];
        if (length < 2 || offset + 2 + length > size) {
            snprintf (problem, problem_size,
                      "is not a valid JPEG image: a segment at byte %zu runs "
                      "past the end of the data",
                      offset);
            return -1;
        }
        if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {
            const unsigned char *frame = data + offset + 4;
            if (length < 8) {
                snprintf (problem, problem_size,
                          "is not a valid JPEG image: its frame header is "
                          "too short");
                return -1;
            }
            *height = (uint32_t)frame[1] << 8 | frame[2];
            *width = (uint32_t)frame[3] << 8 | frame[4];
            if (frame[0] != 8 ||
                (frame[5] != 1 && frame[5] != 3 && frame[5] != 4)) {
                snprintf (problem, problem_size,
                          "is a JPEG image with %u-bit samples and %u "
                          "components; PDF shows 8-bit images with 1 (grey), "
                          "3 (colour) or 4 (CMYK) components",
                          frame[0], frame[5]);
                return -1;
            }
            if (*width == 0 || *height == 0) {
                snprintf (problem, problem_size,
                          "is a JPEG image without a width and height in its "
                          "frame header");
                return -1;
            }
            break;
        }
        if (marker == 0xDA) {
            snprintf (problem, problem_size,
                      "is not a valid JPEG image: its image data comes "
                      "before a frame header");
            return -1;
        }
        if (marker >= 0xC3 && marker <= 0xCF && marker != 0xC4 &&
            marker != 0xC8 && marker != 0xCC) {
            snprintf (problem, problem_size,
                      "is a JPEG image whose coding (marker 0x%02X) PDF "
                      "readers cannot show; use a baseline or progressive "
                      "JPEG",
                      marker);
            return -1;
        }
        offset += 2 + length;
    }
    *end = offset;
    return 0;
}

static int
s_jpeg_check (const unsigned char *data, size_t size, uint32_t *width,
              uint32_t *height, char *problem, size_t problem_size)
{
    size_t offset = 0;
    if (s_jpeg_frame (data, size, width, height, problem, problem_size,
                      &offset))
        return -1;
    //  The end-of-image marker, after the frame: a cut file lacks it.
    int ended = 0;
    for (size_t at = size - 1; at > offset && !ended; at--)
        ended = data[at - 1] == 0xFF && data[at] == 0xD9;
    if (!ended) {
        snprintf (problem, problem_size,
                  "is not a valid JPEG image: it has no end-of-image marker "
                  "(the data may be cut short)");
        return -1;
    }
    return 0;
}

int
assets_check_image (assets_type_t type, const unsigned char *data, size_t size,
                    uint32_t *width, uint32_t *height, char *problem,
                    size_t problem_size)
{
    assert (data || size == 0);
    *width = 0;
    *height = 0;
    int rc =
        type == ASSETS_PNG
            ? s_png_check (data, size, width, height, problem, problem_size)
            : s_jpeg_check (data, size, width, height, problem, problem_size);
    if (rc)
        return -1;
    if (*width > ASSETS_SIDE_MAX || *height > ASSETS_SIDE_MAX ||
        (uint64_t)*width * *height > s_pixels_max ()) {
        snprintf (problem, problem_size,
                  "is %u x %u pixels; an image may have at most %d pixels a "
                  "side and %ld megapixels in all (--max-image-mp)",
                  *width, *height, ASSETS_SIDE_MAX,
                  joblimits_get ()->image_mp);
        return -1;
    }
    return 0;
}

int
assets_header_size (assets_type_t type, const unsigned char *data,
                     size_t size, uint32_t *width, uint32_t *height)
{
    assert (data || size == 0);
    *width = 0;
    *height = 0;
    if (type == ASSETS_JPEG) {
        char problem[128];
        size_t end = 0;
        return s_jpeg_frame (data, size, width, height, problem,
                             sizeof problem, &end);
    }
    //  The signature, then the IHDR chunk: length, type, width, height.
    if (size < 24 || png_sig_cmp (data, 0, 8) != 0 ||
        memcmp (data + 12, "IHDR", 4) != 0)
        return -1;
    *width = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 |
             (uint32_t)data[18] << 8 | data[19];
    *height = (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 |
              (uint32_t)data[22] << 8 | data[23];
    return 0;
}

// ---------------------------------------------------------------------------
// Parsing

//  parent.name into buffer; a path too long for it is cut, as it only
//  names a field in a message.
static void
s_join (char *buffer, size_t size, const char *parent, const char *name)
{
    int written = snprintf (buffer, size, "%s.%s", parent, name);
    if (written < 0)
        buffer[0] = '\0';
}

static int
s_parse_one (assets_t *self, const cJSON *asset, const char *path,
             fielderr_t *err)
{
    char field[FIELDERR_FIELD_MAX];
    const char *name = asset->string ? asset->string : "";
    s_join (field, sizeof field, path, name);
    if (!ident_valid_str (name, ASSETS_NAME_MAX)) {
        fielderr_set (err, field,
                      "an asset's name must be 1 to %d letters, digits, '_' "
                      "or '-'",
                      ASSETS_NAME_MAX);
        return -1;
    }
    if (jsondoc_require_object (
            asset, field,
            "an object such as {\"type\": \"png\", \"data\": \"<base64>\"}",
            err))
        return -1;
    if (jsondoc_check_fields (asset, field, s_asset_fields, err))
        return -1;
    char member[FIELDERR_FIELD_MAX];
    s_join (member, sizeof member, field, "type");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive (asset, "type");
    int type_nbr = -1;
    for (int index = 0; cJSON_IsString (type) && s_types[index]; index++)
        if (strcmp (type->valuestring, s_types[index]) == 0)
            type_nbr = index;
    if (type_nbr < 0) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (type, got, sizeof got);
        fielderr_set (err, member, "%s; expected \"png\" or \"jpeg\"%s%s",
                      type ? "unknown image type"
                           : "missing required field "
                             "'type'",
                      type ? ", got " : "", type ? got : "");
        return -1;
    }
    s_join (member, sizeof member, field, "data");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive (asset, "data");
    if (!cJSON_IsString (data) || !data->valuestring) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (data, got, sizeof got);
        if (data)
            fielderr_set (err, member, "must be a base64 string, got %s", got);
        else
            fielderr_set (err, member,
                          "missing required field 'data'; expected the image "
                          "file in base64");
        return -1;
    }
    size_t size = 0, bad_at = 0;
    base64_error_t error = 0;
    unsigned char *bytes = base64_decode (data->valuestring, ASSETS_BYTES_MAX,
                                          &size, &error, &bad_at);
    if (!bytes) {
        if (error == BASE64_TOO_LARGE)
            fielderr_set (err, member,
                          "decodes to more than %d bytes, the most an asset "
                          "may have",
                          ASSETS_BYTES_MAX);
        else if (error == BASE64_INVALID)
            fielderr_set (err, member, "is not valid base64 (at character %zu)",
                          bad_at);
        else
            fielderr_set (err, member, "out of memory");
        return -1;
    }
    size_t index = self->count++;
    self->buffers[index] = bytes;
    self->names[index] = strdup (name);
    if (!self->names[index]) {
        fielderr_set (err, member, "out of memory");
        return -1;
    }
    assets_image_t *image = &self->images[index];
    image->name = self->names[index];
    image->type = type_nbr == 0 ? ASSETS_PNG : ASSETS_JPEG;
    image->data = bytes;
    image->size = size;
    //  The size the header announces, checked before anything is decoded
    //  (a small file can announce a huge image).
    uint32_t width = 0, height = 0;
    if (assets_header_size (image->type, bytes, size, &width, &height) == 0 &&
        joblimits_check_image (joblimits_get (), field, width, height,
                               &self->pixels, err))
        return -1;
    char problem[FIELDERR_MESSAGE_MAX / 2];
    int rc = assets_check_image (image->type, bytes, size, &image->width,
                                 &image->height, problem, sizeof problem);
    if (rc) {
        fielderr_set (err, member, "%s", problem);
        return -1;
    }
    return 0;
}

assets_t *
assets_parse (const cJSON *json, const char *path, fielderr_t *err)
{
    if (!path)
        path = "";
    assets_t *self = calloc (1, sizeof (assets_t));
    if (!self) {
        fielderr_set (err, path, "out of memory");
        return NULL;
    }
    if (!json)
        return self;
    if (jsondoc_require_object (json, path,
                                "an object of named images such as {\"logo\": "
                                "{\"type\": \"png\", \"data\": \"<base64>\"}}",
                                err))
        goto failed;
    size_t count = 0;
    for (const cJSON *asset = json->child; asset; asset = asset->next)
        count++;
    if (count > ASSETS_MAX) {
        fielderr_set (err, path,
                      "has more than %d assets, the most a job may "
                      "have",
                      ASSETS_MAX);
        goto failed;
    }
    if (count == 0)
        return self;
    self->images = calloc (count, sizeof (assets_image_t));
    self->buffers = calloc (count, sizeof (unsigned char *));
    self->names = calloc (count, sizeof (char *));
    if (!self->images || !self->buffers || !self->names) {
        fielderr_set (err, path, "out of memory");
        goto failed;
    }
    //  Names first, as jsondoc_check_fields does: a repeated name is
    //  reported as such, not as a problem of one of its values.
    for (const cJSON *asset = json->child; asset; asset = asset->next) {
        for (const cJSON *earlier = json->child; earlier != asset;
             earlier = earlier->next) {
            if (asset->string && earlier->string &&
                strcmp (asset->string, earlier->string) == 0) {
                char field[FIELDERR_FIELD_MAX];
                s_join (field, sizeof field, path, asset->string);
                fielderr_set (err, field, "duplicate field '%s'",
                              asset->string);
                goto failed;
            }
        }
    }
    for (const cJSON *asset = json->child; asset; asset = asset->next) {
        if (s_parse_one (self, asset, path, err))
            goto failed;
    }
    return self;

failed:
    assets_destroy (&self);
    return NULL;
}

void
assets_destroy (assets_t **self_p)
{
    assert (self_p);
    assets_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++) {
        free (self->buffers[index]);
        free (self->names[index]);
    }
    free (self->buffers);
    free (self->names);
    free (self->images);
    free (self);
    *self_p = NULL;
}

size_t
assets_count (const assets_t *self)
{
    assert (self);
    return self->count;
}

const assets_image_t *
assets_image (const assets_t *self, size_t index)
{
    assert (self);
    return index < self->count ? &self->images[index] : NULL;
}

int
assets_index (const assets_t *self, const char *name)
{
    assert (self);
    for (size_t index = 0; index < self->count; index++)
        if (strcmp (self->images[index].name, name) == 0)
            return (int)index;
    return -1;
}

const assets_image_t *
assets_find (const assets_t *self, const char *name)
{
    int index = assets_index (self, name);
    return index < 0 ? NULL : &self->images[index];
}
