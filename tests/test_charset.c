/*  test_charset - common/doc/charset: what the standard fonts (WinAnsi,
    ASCII) can draw, the messages that name a character, and encoding text
    for WinAnsi.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "charset.h"

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("\"%s\" does not contain \"%s\"", text, part);
}

static void
test_ascii_fonts_take_printable_ascii_only (void **state)
{
    (void)state;
    charset_font_t symbol = {"Symbol", CHARSET_ASCII, NULL, NULL};
    fielderr_t err = {"", ""};
    assert_int_equal (charset_font_check ("abc ~", &symbol, "x", NULL, &err),
                      0);
    assert_int_equal (charset_font_check ("é", &symbol, "x", NULL, &err), -1);
    assert_string_equal (err.message,
                         "contains 'é' (U+00E9), which Symbol cannot draw: it "
                         "takes printable ASCII only, whose codes select its "
                         "own symbols");
}

static void
test_check_rejects_control_characters (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    assert_int_equal (charset_check ("a\nb", CHARSET_UTF8, "x.text", &err), -1);
    assert_string_equal (err.field, "x.text");
    assert_string_equal (err.message, "contains the control character U+000A, "
                                      "which no font can draw");
    assert_int_equal (charset_check ("a\xC2\x85", CHARSET_WINANSI, "x", &err),
                      -1);
    s_assert_contains (err.message, "U+0085");
}

static void
test_check_rejects_invalid_utf8 (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    assert_int_equal (charset_check ("ab\xE9", CHARSET_UTF8, "x", &err), -1);
    s_assert_contains (err.message, "not valid UTF-8");
    assert_int_equal (charset_check ("\xC0\xAF", CHARSET_UTF8, "x", &err), -1);
    assert_int_equal (charset_check ("\xED\xA0\x80", CHARSET_UTF8, "x", &err),
                      -1);
}

static void
test_check_accepts_whole_winansi_range (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    assert_int_equal (charset_check (" ~\xC2\xA0\xC3\xBF€‚ƒ„…†‡ˆ‰Š‹ŒŽ"
                                     "‘’“”•–—˜™š›œžŸ",
                                     CHARSET_WINANSI, "x", &err),
                      0);
    assert_int_equal (charset_check ("ő", CHARSET_WINANSI, "x", &err), -1);
    s_assert_contains (err.message, "'ő' (U+0151)");
}

static void
test_winansi_encode_maps_latin1_and_specials (void **state)
{
    (void)state;
    char text[] = "Zoë 5 € – “ok”";
    assert_int_equal (charset_winansi_encode (text), 0);
    assert_string_equal (text, "Zo\xEB 5 \x80 \x96 \x93ok\x94");
}

static void
test_winansi_encode_rejects_what_winansi_lacks (void **state)
{
    (void)state;
    char korean[] = "김";
    assert_int_equal (charset_winansi_encode (korean), -1);
    char control[] = "a\tb";
    assert_int_equal (charset_winansi_encode (control), -1);
    char invalid[] = "\xFF";
    assert_int_equal (charset_winansi_encode (invalid), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ascii_fonts_take_printable_ascii_only),
        cmocka_unit_test (test_check_rejects_control_characters),
        cmocka_unit_test (test_check_rejects_invalid_utf8),
        cmocka_unit_test (test_check_accepts_whole_winansi_range),
        cmocka_unit_test (test_winansi_encode_maps_latin1_and_specials),
        cmocka_unit_test (test_winansi_encode_rejects_what_winansi_lacks),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
