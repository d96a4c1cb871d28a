/*  test_layout - breaking text into lines: at spaces, inside words too
    long for a line, within a line limit with an ellipsis, in UTF-8 and in
    one byte a character. Widths come from a pretend font in which every
    character is 1 point wide.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "layout.h"

//  One point per character: UTF-8 continuation bytes count nothing.
static double
s_measure (void *arg, const char *text, size_t length)
{
    (void)arg;
    double width = 0;
    for (size_t offset = 0; offset < length; offset++)
        if (((unsigned char)text[offset] & 0xC0) != 0x80)
            width++;
    return width;
}

//  The lines of the last wrap joined by '|', a cut one ending in "~".
static void
s_lines (const layout_t *layout, const char *text, int count, char *buffer,
         size_t size)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (int line = 0; line < count; line++) {
        size_t offset, length;
        bool ellipsis;
        assert_int_equal (
            layout_line (layout, (size_t)line, &offset, &length, &ellipsis), 0);
        used += (size_t)snprintf (buffer + used, size - used, "%s%.*s%s",
                                  line ? "|" : "", (int)length, text + offset,
                                  ellipsis ? "~" : "");
    }
}

static void
s_assert_wraps (const char *text, double width, unsigned max_lines,
                const char *expected)
{
    layout_t *layout = layout_new ();
    assert_non_null (layout);
    int count =
        layout_wrap (layout, text, true, width, max_lines, 1, s_measure, NULL);
    assert_true (count >= 0);
    char lines[512];
    s_lines (layout, text, count, lines, sizeof lines);
    if (strcmp (lines, expected) != 0)
        fail_msg ("\"%s\" in %g pt: \"%s\", expected \"%s\"", text, width,
                  lines, expected);
    layout_destroy (&layout);
}

static void
test_layout_keeps_a_short_text_on_one_line (void **state)
{
    (void)state;
    s_assert_wraps ("Hello world", 20, 0, "Hello world");
    s_assert_wraps ("Hello world", 11, 0, "Hello world");
}

static void
test_layout_breaks_at_spaces (void **state)
{
    (void)state;
    s_assert_wraps ("the quick brown fox jumps", 10, 0,
                    "the quick|brown fox|jumps");
    s_assert_wraps ("a  b   c", 2, 0, "a|b|c");
}

static void
test_layout_breaks_a_word_wider_than_a_line (void **state)
{
    (void)state;
    s_assert_wraps ("abcdefghij xy", 4, 0, "abcd|efgh|ij|xy");
    s_assert_wraps ("x abcdefgh", 4, 0, "x|abcd|efgh");
}

static void
test_layout_counts_utf8_characters (void **state)
{
    (void)state;
    s_assert_wraps ("서울특별시 강남구 테헤란로", 9, 0,
                    "서울특별시 강남구|테헤란로");
    s_assert_wraps ("서울특별시", 2, 0, "서울|특별|시");
}

static void
test_layout_cuts_with_an_ellipsis_at_the_line_limit (void **state)
{
    (void)state;
    //  The ellipsis is 1 point wide: the last line makes room for it.
    s_assert_wraps ("one two three four five", 9, 2, "one two|three~");
    s_assert_wraps ("one two three", 9, 1, "one two~");
    s_assert_wraps ("abcdefghijkl", 4, 2, "abcd|efg~");
    s_assert_wraps ("one two", 9, 1, "one two");
}

static void
test_layout_handles_empty_text (void **state)
{
    (void)state;
    layout_t *layout = layout_new ();
    assert_int_equal (layout_wrap (layout, "", true, 10, 0, 1, s_measure, NULL),
                      0);
    size_t offset, length;
    bool ellipsis;
    assert_int_equal (layout_line (layout, 0, &offset, &length, &ellipsis), -1);
    layout_destroy (&layout);
}

static void
test_layout_breaks_single_byte_text_anywhere (void **state)
{
    (void)state;
    //  WinAnsi bytes such as 0xE9 (é) are whole characters.
    layout_t *layout = layout_new ();
    const char text[] = "\xE9\xE9\xE9\xE9\xE9";
    int count = layout_wrap (layout, text, false, 2, 0, 1, s_measure, NULL);
    //  The pretend font counts 0x80-0xBF as nothing; 0xE9 is 1 point.
    assert_int_equal (count, 3);
    size_t offset, length;
    bool ellipsis;
    layout_line (layout, 2, &offset, &length, &ellipsis);
    assert_int_equal (offset, 4);
    assert_int_equal (length, 1);
    layout_destroy (&layout);
}

static void
test_layout_grows_for_many_lines (void **state)
{
    (void)state;
    char text[1000];
    size_t used = 0;
    for (int word = 0; word < 100; word++)
        used += (size_t)sprintf (text + used, "%sw%02d", word ? " " : "", word);
    layout_t *layout = layout_new ();
    assert_int_equal (
        layout_wrap (layout, text, true, 3, 0, 1, s_measure, NULL), 100);
    layout_destroy (&layout);
}

static void
test_layout_destroy_twice_is_harmless (void **state)
{
    (void)state;
    layout_t *layout = layout_new ();
    layout_destroy (&layout);
    assert_null (layout);
    layout_destroy (&layout);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_layout_keeps_a_short_text_on_one_line),
        cmocka_unit_test (test_layout_breaks_at_spaces),
        cmocka_unit_test (test_layout_breaks_a_word_wider_than_a_line),
        cmocka_unit_test (test_layout_counts_utf8_characters),
        cmocka_unit_test (test_layout_cuts_with_an_ellipsis_at_the_line_limit),
        cmocka_unit_test (test_layout_handles_empty_text),
        cmocka_unit_test (test_layout_breaks_single_byte_text_anywhere),
        cmocka_unit_test (test_layout_grows_for_many_lines),
        cmocka_unit_test (test_layout_destroy_twice_is_harmless),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
