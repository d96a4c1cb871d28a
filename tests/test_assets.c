/*  test_assets - a job's images: base64 decoding, PNG and JPEG checks, and
    every error that names an asset.

    PNG images are made with libpng (testimage); the JPEG images are small
    files in tests/data, made with pdftoppm (baseline and progressive).

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "joblimits.h"
#include "testassert.h"
#include "testfile.h"
#include "testimage.h"

#define S_BASELINE_JPEG TEST_SOURCE_DIR "/data/rgb-24x16.jpg"
#define S_PROGRESSIVE_JPEG TEST_SOURCE_DIR "/data/progressive-24x16.jpg"

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("\"%s\" does not contain \"%s\"", text, part);
}

//  The first occurrence of needle (length bytes) in data, or NULL.
static unsigned char *
s_find (unsigned char *data, size_t size, const char *needle, size_t length)
{
    for (size_t offset = 0; offset + length <= size; offset++)
        if (memcmp (data + offset, needle, length) == 0)
            return data + offset;
    return NULL;
}

//  {"name": {"type": type, "data": base64 of data}} parsed.
static assets_t *
s_parse_one (const char *name, const char *type, const unsigned char *data,
             size_t size, fielderr_t *err)
{
    char *base64 = testimage_base64 (data, size);
    cJSON *json = cJSON_CreateObject ();
    cJSON *asset = cJSON_AddObjectToObject (json, name);
    cJSON_AddStringToObject (asset, "type", type);
    cJSON_AddStringToObject (asset, "data", base64);
    assets_t *assets = assets_parse (json, "assets", err);
    cJSON_Delete (json);
    free (base64);
    return assets;
}

static assets_t *
s_parse_text (const char *text, fielderr_t *err)
{
    cJSON *json = cJSON_Parse (text);
    assert_non_null (json);
    assets_t *assets = assets_parse (json, "assets", err);
    cJSON_Delete (json);
    return assets;
}

static void
s_assert_rejects (const char *text, const char *field, const char *part)
{
    fielderr_t err = {"", ""};
    assets_t *assets = s_parse_text (text, &err);
    if (assets)
        fail_msg ("%s is accepted", text);
    assert_string_equal (err.field, field);
    s_assert_contains (err.message, part);
}

static void
s_assert_image_rejected (const char *type, const unsigned char *data,
                         size_t size, const char *part)
{
    fielderr_t err = {"", ""};
    assets_t *assets = s_parse_one ("logo", type, data, size, &err);
    if (assets)
        fail_msg ("the %s image is accepted", type);
    assert_string_equal (err.field, "assets.logo.data");
    s_assert_contains (err.message, part);
}

static void
test_assets_parses_a_png_with_alpha (void **state)
{
    (void)state;
    size_t size;
    unsigned char *png = testimage_png (40, 30, PNG_FORMAT_RGBA, &size);
    fielderr_t err = {"", ""};
    assets_t *assets = s_parse_one ("logo", "png", png, size, &err);
    assert_non_null (assets);
    assert_int_eq (assets_count (assets), 1);
    const assets_image_t *image = assets_find (assets, "logo");
    assert_non_null (image);
    assert_string_equal (image->name, "logo");
    assert_int_equal (image->type, ASSETS_PNG);
    assert_int_eq (image->width, 40);
    assert_int_eq (image->height, 30);
    assert_size_eq (image->size, size);
    assert_memory_equal (image->data, png, size);
    assert_ptr_equal (assets_image (assets, 0), image);
    assert_null (assets_image (assets, 1));
    assert_int_eq (assets_index (assets, "logo"), 0);
    assert_int_eq (assets_index (assets, "other"), -1);
    assert_null (assets_find (assets, "other"));
    assets_destroy (&assets);
    free (png);
}

static void
test_assets_parses_a_grey_png (void **state)
{
    (void)state;
    size_t size;
    unsigned char *png = testimage_png (7, 5, PNG_FORMAT_GRAY, &size);
    fielderr_t err = {"", ""};
    assets_t *assets = s_parse_one ("g", "png", png, size, &err);
    assert_non_null (assets);
    assert_int_eq (assets_image (assets, 0)->width, 7);
    assets_destroy (&assets);
    free (png);
}

static void
test_assets_parses_baseline_and_progressive_jpegs (void **state)
{
    (void)state;
    const char *paths[] = {S_BASELINE_JPEG, S_PROGRESSIVE_JPEG};
    for (int nbr = 0; nbr < 2; nbr++) {
        size_t size;
        unsigned char *jpeg =
            (unsigned char *)testfile_read (paths[nbr], &size);
        fielderr_t err = {"", ""};
        assets_t *assets = s_parse_one ("photo", "jpeg", jpeg, size, &err);
        if (!assets)
            fail_msg ("%s: %s: %s", paths[nbr], err.field, err.message);
        const assets_image_t *image = assets_image (assets, 0);
        assert_int_equal (image->type, ASSETS_JPEG);
        assert_int_eq (image->width, 24);
        assert_int_eq (image->height, 16);
        assets_destroy (&assets);
        free (jpeg);
    }
}

static void
test_assets_accepts_no_assets (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    assets_t *assets = assets_parse (NULL, "assets", &err);
    assert_non_null (assets);
    assert_int_eq (assets_count (assets), 0);
    assets_destroy (&assets);
    assets = s_parse_text ("{}", &err);
    assert_non_null (assets);
    assets_destroy (&assets);
}

static void
test_assets_base64_allows_white_space_and_no_padding (void **state)
{
    (void)state;
    size_t size;
    unsigned char *png = testimage_png (3, 3, PNG_FORMAT_RGB, &size);
    char *base64 = testimage_base64 (png, size);
    //  Drop the padding, then wrap every 10 characters.
    size_t length = strlen (base64);
    while (length && base64[length - 1] == '=')
        base64[--length] = '\0';
    char *wrapped = malloc (length * 2 + 64);
    assert_non_null (wrapped);
    size_t used = (size_t)sprintf (wrapped, "{\"a\": {\"type\": \"png\", "
                                            "\"data\": \"");
    for (size_t offset = 0; offset < length; offset++) {
        if (offset && offset % 10 == 0)
            used += (size_t)sprintf (wrapped + used, "\\n ");
        wrapped[used++] = base64[offset];
    }
    strcpy (wrapped + used, "\"}}");
    fielderr_t err = {"", ""};
    assets_t *assets = s_parse_text (wrapped, &err);
    if (!assets)
        fail_msg ("%s: %s", err.field, err.message);
    assert_size_eq (assets_image (assets, 0)->size, size);
    assets_destroy (&assets);
    free (wrapped);
    free (base64);
    free (png);
}

static void
test_assets_rejects_bad_structure (void **state)
{
    (void)state;
    s_assert_rejects ("[]", "assets",
                      "must be an object of named images such as {\"logo\": "
                      "{\"type\": \"png\", \"data\": \"<base64>\"}}, got an "
                      "array");
    s_assert_rejects ("{\"logo\": \"iVBOR\"}", "assets.logo",
                      "must be an object such as {\"type\": \"png\"");
    s_assert_rejects ("{\"my logo\": {}}", "assets.my logo",
                      "an asset's name must be 1 to 64 letters, digits, '_' "
                      "or '-'");
    s_assert_rejects ("{\"a\": {\"type\": \"png\", \"data\": \"\", \"w\": 1}}",
                      "assets.a.w",
                      "unknown field 'w'; expected one of: "
                      "type, data");
    s_assert_rejects ("{\"a\": {\"data\": \"\"}}", "assets.a.type",
                      "missing required field 'type'; expected \"png\" or "
                      "\"jpeg\"");
    s_assert_rejects ("{\"a\": {\"type\": \"gif\", \"data\": \"\"}}",
                      "assets.a.type",
                      "unknown image type; expected \"png\" or \"jpeg\", got "
                      "\"gif\" (string)");
    s_assert_rejects ("{\"a\": {\"type\": \"png\"}}", "assets.a.data",
                      "missing required field 'data'");
    s_assert_rejects ("{\"a\": {\"type\": \"png\", \"data\": 12}}",
                      "assets.a.data", "must be a base64 string, got 12");
    s_assert_rejects ("{\"a\": {\"type\": \"png\", \"data\": \"\"}, "
                      "\"a\": {\"type\": \"png\", \"data\": \"\"}}",
                      "assets.a", "duplicate field 'a'");
}

static void
test_assets_rejects_invalid_base64 (void **state)
{
    (void)state;
    s_assert_rejects ("{\"a\": {\"type\": \"png\", \"data\": \"iVBO*w0K\"}}",
                      "assets.a.data", "is not valid base64 (at character 5)");
    s_assert_rejects ("{\"a\": {\"type\": \"png\", \"data\": \"iVBOR\"}}",
                      "assets.a.data", "is not valid base64");
    s_assert_rejects ("{\"a\": {\"type\": \"png\", \"data\": \"iV==BO\"}}",
                      "assets.a.data", "is not valid base64 (at character 5)");
}

static void
test_assets_rejects_too_many_assets (void **state)
{
    (void)state;
    char *text = malloc (ASSETS_MAX * 64 + 64);
    assert_non_null (text);
    size_t used = (size_t)sprintf (text, "{");
    for (int nbr = 0; nbr <= ASSETS_MAX; nbr++)
        used += (size_t)sprintf (text + used, "%s\"a%d\": {}", nbr ? ", " : "",
                                 nbr);
    strcpy (text + used, "}");
    s_assert_rejects (text, "assets",
                      "has more than 64 assets, the most a job may have");
    free (text);
}

static void
test_assets_rejects_data_that_is_not_a_png (void **state)
{
    (void)state;
    size_t size;
    unsigned char *jpeg =
        (unsigned char *)testfile_read (S_BASELINE_JPEG, &size);
    s_assert_image_rejected ("png", jpeg, size,
                             "is not a PNG image (it lacks the PNG "
                             "signature)");
    free (jpeg);
}

static void
test_assets_rejects_a_corrupt_png (void **state)
{
    (void)state;
    size_t size;
    unsigned char *png = testimage_png (20, 20, PNG_FORMAT_RGB, &size);
    //  A byte of the IDAT chunk's data: its CRC no longer matches.
    unsigned char *idat = s_find (png, size, "IDAT", 4);
    assert_non_null (idat);
    idat[6] ^= 0xFF;
    s_assert_image_rejected ("png", png, size,
                             "is not a valid PNG image: libpng says");
    idat[6] ^= 0xFF;
    s_assert_image_rejected ("png", png, size / 2,
                             "is not a valid PNG image: libpng says");
    free (png);
}

static void
test_assets_rejects_a_png_too_large (void **state)
{
    (void)state;
    size_t size;
    unsigned char *png =
        testimage_png (ASSETS_SIDE_MAX + 1, 1, PNG_FORMAT_GRAY, &size);
    s_assert_image_rejected ("png", png, size, "is not a valid PNG image");
    free (png);
}

static void
test_assets_refuses_pixels_over_the_limit_from_the_header (void **state)
{
    (void)state;
    size_t size;
    unsigned char *png = testimage_png (6000, 5000, PNG_FORMAT_GRAY, &size);
    //  Only the header: what is refused is never decoded.
    fielderr_t err = {"", ""};
    assets_t *assets = s_parse_one ("logo", "png", png, 33, &err);
    assert_null (assets);
    assert_string_equal (err.field, "assets.logo");
    s_assert_contains (err.message, "is 6000 x 5000 pixels (30.0 megapixels)");
    s_assert_contains (err.message, "at most 16 megapixels (--max-image-mp)");
    free (png);
}

static void
test_assets_header_size_reads_without_decoding (void **state)
{
    (void)state;
    size_t size;
    unsigned char *png = testimage_png (300, 200, PNG_FORMAT_RGB, &size);
    uint32_t width = 0, height = 0;
    assert_int_equal (assets_header_size (ASSETS_PNG, png, 24, &width,
                                          &height),
                      0);
    assert_int_equal (width, 300);
    assert_int_equal (height, 200);
    assert_int_equal (assets_header_size (ASSETS_PNG, png, 23, &width,
                                          &height),
                      -1);
    free (png);
}

static void
test_assets_limits_follow_the_process_limits (void **state)
{
    (void)state;
    joblimits_t limits = JOBLIMITS_DEFAULTS;
    limits.image_mp = 1;
    joblimits_set (&limits);
    size_t size;
    unsigned char *png = testimage_png (1000, 1001, PNG_FORMAT_GRAY, &size);
    fielderr_t err = {"", ""};
    assets_t *assets = s_parse_one ("logo", "png", png, size, &err);
    assert_null (assets);
    s_assert_contains (err.message, "at most 1 megapixels");
    free (png);
    joblimits_t defaults = JOBLIMITS_DEFAULTS;
    joblimits_set (&defaults);
}

static void
test_assets_rejects_data_that_is_not_a_jpeg (void **state)
{
    (void)state;
    size_t size;
    unsigned char *png = testimage_png (3, 3, PNG_FORMAT_RGB, &size);
    s_assert_image_rejected ("jpeg", png, size,
                             "is not a JPEG image (it does not start with "
                             "the JPEG start-of-image marker)");
    free (png);
}

static void
test_assets_rejects_a_cut_jpeg (void **state)
{
    (void)state;
    size_t size;
    unsigned char *jpeg =
        (unsigned char *)testfile_read (S_BASELINE_JPEG, &size);
    s_assert_image_rejected ("jpeg", jpeg, size - 40,
                             "it has no end-of-image marker");
    s_assert_image_rejected ("jpeg", jpeg, 100,
                             "runs past the end of the data");
    free (jpeg);
}

static void
test_assets_rejects_jpeg_codings_pdf_cannot_show (void **state)
{
    (void)state;
    size_t size;
    unsigned char *jpeg =
        (unsigned char *)testfile_read (S_BASELINE_JPEG, &size);
    unsigned char *sof = s_find (jpeg, size, "\xFF\xC0", 2);
    assert_non_null (sof);
    sof[1] = 0xC3; // lossless
    s_assert_image_rejected ("jpeg", jpeg, size,
                             "is a JPEG image whose coding (marker 0xC3) PDF "
                             "readers cannot show");
    sof[1] = 0xC0;
    sof[4] = 12; // 12-bit samples
    s_assert_image_rejected ("jpeg", jpeg, size,
                             "is a JPEG image with 12-bit samples and 3 "
                             "components");
    free (jpeg);
}

static void
test_assets_check_image_reads_sizes (void **state)
{
    (void)state;
    size_t size;
    unsigned char *png = testimage_png (9, 4, PNG_FORMAT_GA, &size);
    uint32_t width, height;
    char problem[200];
    assert_int_equal (assets_check_image (ASSETS_PNG, png, size, &width,
                                          &height, problem, sizeof problem),
                      0);
    assert_int_eq (width, 9);
    assert_int_eq (height, 4);
    free (png);
}

static void
test_assets_destroy_twice_is_harmless (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    assets_t *assets = assets_parse (NULL, "assets", &err);
    assets_destroy (&assets);
    assert_null (assets);
    assets_destroy (&assets);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_assets_parses_a_png_with_alpha),
        cmocka_unit_test (test_assets_parses_a_grey_png),
        cmocka_unit_test (test_assets_parses_baseline_and_progressive_jpegs),
        cmocka_unit_test (test_assets_accepts_no_assets),
        cmocka_unit_test (test_assets_base64_allows_white_space_and_no_padding),
        cmocka_unit_test (test_assets_rejects_bad_structure),
        cmocka_unit_test (test_assets_rejects_invalid_base64),
        cmocka_unit_test (test_assets_rejects_too_many_assets),
        cmocka_unit_test (test_assets_rejects_data_that_is_not_a_png),
        cmocka_unit_test (test_assets_rejects_a_corrupt_png),
        cmocka_unit_test (test_assets_rejects_a_png_too_large),
        cmocka_unit_test (test_assets_rejects_data_that_is_not_a_jpeg),
        cmocka_unit_test (test_assets_rejects_a_cut_jpeg),
        cmocka_unit_test (test_assets_rejects_jpeg_codings_pdf_cannot_show),
        cmocka_unit_test (test_assets_check_image_reads_sizes),
        cmocka_unit_test (
            test_assets_refuses_pixels_over_the_limit_from_the_header),
        cmocka_unit_test (test_assets_header_size_reads_without_decoding),
        cmocka_unit_test (test_assets_limits_follow_the_process_limits),
        cmocka_unit_test (test_assets_destroy_twice_is_harmless),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
