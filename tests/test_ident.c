/*  test_ident - the name alphabets: accepted and refused names and keys.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ident.h"

static void
test_ident_accepts_letters_digits_dash_underscore (void **state)
{
    (void)state;
    assert_true (ident_valid_str ("abc-DEF_019", 64));
    assert_true (ident_valid_str ("x", 1));
    assert_true (ident_valid ("ab\0cd", 2, 64));
}

static void
test_ident_refuses_empty_long_and_other_characters (void **state)
{
    (void)state;
    assert_false (ident_valid_str ("", 64));
    assert_false (ident_valid_str (NULL, 64));
    assert_false (ident_valid_str ("abcd", 3));
    const char *bad[] = {"a b", "../x", "a/b", "a.b", "é", "a\nb", "a%2e"};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++)
        assert_false (ident_valid_str (bad[index], 64));
    assert_false (ident_valid ("ab\0cd", 5, 64));
}

static void
test_key_accepts_segments_inside_the_store (void **state)
{
    (void)state;
    assert_true (ident_key_valid ("job-1.pdf", 64));
    assert_true (ident_key_valid ("a.b/c_d-e.pdf", 64));
    assert_true (ident_key_valid ("invoices/2025/x", 15));
}

static void
test_key_refuses_what_could_leave_the_store (void **state)
{
    (void)state;
    const char *bad[] = {"",     "/etc/passwd", "../x.pdf", "a/../b",
                         "a//b", "a/",          ".hidden",  "a/.x",
                         "a b",  "x?y",         "ü.pdf",    "a\\b"};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++)
        assert_false (ident_key_valid (bad[index], 64));
    assert_false (ident_key_valid (NULL, 64));
    assert_false (ident_key_valid ("abcd", 3));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ident_accepts_letters_digits_dash_underscore),
        cmocka_unit_test (test_ident_refuses_empty_long_and_other_characters),
        cmocka_unit_test (test_key_accepts_segments_inside_the_store),
        cmocka_unit_test (test_key_refuses_what_could_leave_the_store),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
