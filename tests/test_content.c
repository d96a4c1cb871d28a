/*  test_content - a page's operators as written: numbers at five decimals
    at most, settings written only when they change (q and Q included),
    texts in one text object placed by relative moves, strings escaped.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "content.h"

static void
s_assert_content (content_t *content, const char *expected)
{
    size_t size;
    const char *data = content_data (content, &size);
    assert_false (content_failed (content));
    assert_int_equal (size, strlen (expected));
    assert_string_equal (data, expected);
}

static void
test_content_writes_numbers_shortest (void **state)
{
    (void)state;
    content_t *content = content_new ();
    assert_non_null (content);
    content_rect (content, 50, 632.5, 0.85, -3.25);
    content_rect (content, 297.6400152, 1.0 / 3, -0.000004, 1e15);
    content_rect (content, -454.875, 0.000005, 439.4375, -0.5);
    s_assert_content (content, "50 632.5 0.85 -3.25 re\n"
                               "297.64002 0.33333 0 1000000000000 re\n"
                               "-454.875 0.00001 439.4375 -0.5 re\n");
    content_destroy (&content);
    content_destroy (&content);
    assert_null (content);
}

static void
test_content_takes_the_longest_numbers (void **state)
{
    (void)state;
    content_t *content = content_new ();
    //  Six numbers of 19 characters, the longest there are
    //  ("-999999999999.12336": the value as a double, at five decimals),
    //  and numbers beyond the clamp: written whole.
    double longest = -999999999999.12347;
    content_concat (content, longest, longest, longest, longest, longest,
                    longest);
    content_concat (content, -1e300, 1e300, 0, 0, 0, 0);
    size_t size;
    const char *data = content_data (content, &size);
    assert_false (content_failed (content));
    const char *second = strchr (data, '\n') + 1;
    assert_int_equal (second - data, 6 * 20 + 3);
    assert_memory_equal (data, "-999999999999.12336 ", 20);
    assert_memory_equal (data + 6 * 20, "cm\n", 3);
    assert_string_equal (second, "-1000000000000 1000000000000 0 0 0 0 cm\n");
    content_destroy (&content);
}

static void
test_content_sets_state_only_when_it_changes (void **state)
{
    (void)state;
    content_t *content = content_new ();
    //  Black fill and stroke and a 1-point line are the defaults.
    content_fill_gray (content, 0);
    content_stroke_gray (content, 0);
    content_line_width (content, 1);
    content_fill_gray (content, 0.85);
    content_fill_gray (content, 0.85);
    content_save (content);
    content_fill_rgb (content, 1, 0, 0.5);
    content_line_width (content, 0.5);
    content_restore (content);
    //  Restored: gray 0.85 and width 1 again.
    content_fill_gray (content, 0.85);
    content_line_width (content, 1);
    content_stroke_rgb (content, 0, 0, 1);
    content_move_to (content, 1, 2);
    content_line_to (content, 3, 4);
    content_stroke (content);
    s_assert_content (content, "0.85 g\n"
                               "q\n"
                               "1 0 0.5 rg\n"
                               "0.5 w\n"
                               "Q\n"
                               "0 0 1 RG\n"
                               "1 2 m\n"
                               "3 4 l\n"
                               "S\n");
    //  A new page starts from the defaults again.
    content_reset (content);
    content_fill_gray (content, 0.85);
    content_stroke_gray (content, 0);
    s_assert_content (content, "0.85 g\n");
    content_destroy (&content);
}

static void
test_content_keeps_texts_in_one_text_object (void **state)
{
    (void)state;
    content_t *content = content_new ();
    content_font (content, "F1", 24);
    content_text (content, 50, 780, "INVOICE", 7, NULL, CONTENT_BYTES);
    content_font (content, "F1", 24);
    content_font (content, "F2", 11);
    content_char_spacing (content, 0);
    content_text (content, 50, 758, "(a)\\", 4, NULL, CONTENT_BYTES);
    //  A colour stays inside; a path closes the text object.
    content_fill_gray (content, 0.5);
    content_text (content, 374.4375, 758, "\x85\n", 2, "\x85", CONTENT_BYTES);
    content_rect (content, 0, 0, 1, 1);
    content_fill (content);
    content_char_spacing (content, 0.25);
    content_text (content, 10, 20, "\xED\x99\xA9 A", 5, "\xE2\x80\xA6",
                  CONTENT_UTF8_CODEPOINTS);
    content_image (content, "X1", 450, 730, 96, 96);
    s_assert_content (content, "/F1 24 Tf\n"
                               "BT\n"
                               "50 780 Td\n"
                               "(INVOICE) Tj\n"
                               "/F2 11 Tf\n"
                               "0 -22 Td\n"
                               "(\\(a\\)\\\\) Tj\n"
                               "0.5 g\n"
                               "324.4375 0 Td\n"
                               "(\\205\\012\\205) Tj\n"
                               "ET\n"
                               "0 0 1 1 re\n"
                               "f\n"
                               "0.25 Tc\n"
                               "BT\n"
                               "10 20 Td\n"
                               "<d669002000412026> Tj\n"
                               "ET\n"
                               "q\n"
                               "96 0 0 96 450 730 cm\n"
                               "/X1 Do\n"
                               "Q\n");
    content_destroy (&content);
}

static void
test_content_moves_add_up_to_the_positions_asked (void **state)
{
    (void)state;
    content_t *content = content_new ();
    //  Thirds cannot be written exactly; each move is rounded from the
    //  position written last (0.33333, 0.66667, 1), so the error never
    //  grows.
    for (int index = 0; index < 3; index++)
        content_text (content, 1.0 / 3 * (index + 1), 0, "a", 1, NULL,
                      CONTENT_BYTES);
    s_assert_content (content, "BT\n"
                               "0.33333 0 Td\n(a) Tj\n"
                               "0.33334 0 Td\n(a) Tj\n"
                               "0.33333 0 Td\n(a) Tj\n"
                               "ET\n");
    content_destroy (&content);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_content_writes_numbers_shortest),
        cmocka_unit_test (test_content_takes_the_longest_numbers),
        cmocka_unit_test (test_content_sets_state_only_when_it_changes),
        cmocka_unit_test (test_content_keeps_texts_in_one_text_object),
        cmocka_unit_test (test_content_moves_add_up_to_the_positions_asked),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
