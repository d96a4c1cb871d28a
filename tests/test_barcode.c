/*  test_barcode - QR codes and Code 128 as rectangles from libzint, with
    and without quiet zones, and what libzint refuses.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "barcode.h"

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("\"%s\" does not contain \"%s\"", text, part);
}

//  Every rectangle lies inside the symbol.
static void
s_assert_inside (const barcode_t *barcode)
{
    size_t count = barcode_rect_count (barcode);
    assert_true (count > 0);
    for (size_t index = 0; index < count; index++) {
        const barcode_rect_t *rect = barcode_rect (barcode, index);
        assert_true (rect->x >= 0 && rect->y >= 0);
        assert_true (rect->x + rect->width <= barcode_width (barcode));
        assert_true (rect->y + rect->height <= barcode_height (barcode));
    }
    assert_null (barcode_rect (barcode, count));
}

static void
test_barcode_qr_includes_its_quiet_zone (void **state)
{
    (void)state;
    barcode_t *barcode = barcode_new ();
    assert_non_null (barcode);
    char problem[200];
    //  28 bytes at level L: version 2, 25 modules, plus 4 a side; zint
    //  counts two units a module.
    assert_int_equal (barcode_encode (barcode, TEMPLATE_QRCODE, 'L', 1,
                                      "https://example.com/i/100001", problem,
                                      sizeof problem),
                      0);
    assert_true (barcode_width (barcode) == 66);
    assert_true (barcode_height (barcode) == 66);
    s_assert_inside (barcode);
    //  The quiet zone is empty: nothing starts before module 4.
    for (size_t index = 0; index < barcode_rect_count (barcode); index++) {
        assert_true (barcode_rect (barcode, index)->x >= 8);
        assert_true (barcode_rect (barcode, index)->y >= 8);
    }
    assert_int_equal (barcode_encode (barcode, TEMPLATE_QRCODE, 'L', 0,
                                      "https://example.com/i/100001", problem,
                                      sizeof problem),
                      0);
    assert_true (barcode_width (barcode) == 50);
    barcode_destroy (&barcode);
}

//  The modules of the last QR code encoded, 1 for dark, as its rectangles
//  cover them, each covered at most once; modules per side in *side_p.
static void
s_qr_modules (const barcode_t *barcode, unsigned char *modules, int *side_p)
{
    int side = (int)barcode_width (barcode) / 2;
    assert_true (side <= 60);
    memset (modules, 0, (size_t)(side * side));
    for (size_t index = 0; index < barcode_rect_count (barcode); index++) {
        const barcode_rect_t *rect = barcode_rect (barcode, index);
        for (int row = (int)rect->y / 2;
             row < (int)(rect->y + rect->height) / 2; row++)
            for (int column = (int)rect->x / 2;
                 column < (int)(rect->x + rect->width) / 2; column++) {
                assert_int_equal (modules[row * side + column], 0);
                modules[row * side + column] = 1;
            }
    }
    *side_p = side;
}

static void
test_barcode_qr_has_its_finder_patterns (void **state)
{
    (void)state;
    barcode_t *barcode = barcode_new ();
    char problem[200];
    assert_int_equal (barcode_encode (barcode, TEMPLATE_QRCODE, 'L', 0,
                                      "https://example.com/i/100001", problem,
                                      sizeof problem),
                      0);
    unsigned char modules[60 * 60];
    int side;
    s_qr_modules (barcode, modules, &side);
    assert_int_equal (side, 25);
    //  A finder pattern: a dark ring, a light ring, a dark 3x3 centre,
    //  then the light separator, at three corners.
    const int corners[3][2] = {{0, 0}, {0, 25 - 7}, {25 - 7, 0}};
    for (int corner = 0; corner < 3; corner++)
        for (int row = 0; row < 7; row++)
            for (int column = 0; column < 7; column++) {
                int ring = row < column ? row : column;
                int far = 6 - (row > column ? row : column);
                ring = ring < far ? ring : far;
                int dark = ring != 1;
                int at = (corners[corner][0] + row) * side +
                         corners[corner][1] + column;
                assert_int_equal (modules[at], dark);
            }
    //  Dark modules elsewhere too: the data.
    size_t dark = 0;
    for (int index = 0; index < side * side; index++)
        dark += modules[index];
    assert_true (dark > 3 * 33 + 200);
    barcode_destroy (&barcode);
}

static void
test_barcode_qr_grows_with_error_correction (void **state)
{
    (void)state;
    barcode_t *barcode = barcode_new ();
    char problem[200];
    const char *data = "https://example.com/i/100001";
    assert_int_equal (barcode_encode (barcode, TEMPLATE_QRCODE, 'L', 0, data,
                                      problem, sizeof problem),
                      0);
    double low = barcode_width (barcode);
    assert_int_equal (barcode_encode (barcode, TEMPLATE_QRCODE, 'H', 0, data,
                                      problem, sizeof problem),
                      0);
    assert_true (barcode_width (barcode) > low);
    barcode_destroy (&barcode);
}

static void
test_barcode_qr_takes_utf8 (void **state)
{
    (void)state;
    barcode_t *barcode = barcode_new ();
    char problem[200];
    assert_int_equal (barcode_encode (barcode, TEMPLATE_QRCODE, 'M', 1,
                                      "황유진 고객님", problem, sizeof problem),
                      0);
    s_assert_inside (barcode);
    barcode_destroy (&barcode);
}

static void
test_barcode_code128_has_bars_the_full_height (void **state)
{
    (void)state;
    barcode_t *barcode = barcode_new ();
    char problem[200];
    assert_int_equal (barcode_encode (barcode, TEMPLATE_CODE128, 0, 1,
                                      "INV-100001", problem, sizeof problem),
                      0);
    s_assert_inside (barcode);
    double with_quiet = barcode_width (barcode);
    for (size_t index = 0; index < barcode_rect_count (barcode); index++)
        assert_true (barcode_rect (barcode, index)->height ==
                     barcode_height (barcode));
    assert_int_equal (barcode_encode (barcode, TEMPLATE_CODE128, 0, 0,
                                      "INV-100001", problem, sizeof problem),
                      0);
    //  Ten modules of quiet zone a side, two units a module.
    assert_true (with_quiet - barcode_width (barcode) == 40);
    barcode_destroy (&barcode);
}

static void
test_barcode_reports_what_libzint_refuses (void **state)
{
    (void)state;
    barcode_t *barcode = barcode_new ();
    char problem[200];
    assert_int_equal (barcode_encode (barcode, TEMPLATE_CODE128, 0, 1, "김",
                                      problem, sizeof problem),
                      -1);
    s_assert_contains (problem, "libzint cannot encode it: ");
    char *long_data = malloc (3000);
    memset (long_data, 'x', 2999);
    long_data[2999] = '\0';
    assert_int_equal (barcode_encode (barcode, TEMPLATE_QRCODE, 'H', 1,
                                      long_data, problem, sizeof problem),
                      -1);
    s_assert_contains (problem, "libzint cannot encode it: ");
    assert_int_equal (barcode_rect_count (barcode), 0);
    free (long_data);
    barcode_destroy (&barcode);
}

static void
test_barcode_destroy_twice_is_harmless (void **state)
{
    (void)state;
    barcode_t *barcode = barcode_new ();
    barcode_destroy (&barcode);
    assert_null (barcode);
    barcode_destroy (&barcode);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_barcode_qr_includes_its_quiet_zone),
        cmocka_unit_test (test_barcode_qr_has_its_finder_patterns),
        cmocka_unit_test (test_barcode_qr_grows_with_error_correction),
        cmocka_unit_test (test_barcode_qr_takes_utf8),
        cmocka_unit_test (test_barcode_code128_has_bars_the_full_height),
        cmocka_unit_test (test_barcode_reports_what_libzint_refuses),
        cmocka_unit_test (test_barcode_destroy_twice_is_harmless),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
