/*  test_ident - the name alphabet: accepted and refused names.

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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ident_accepts_letters_digits_dash_underscore),
        cmocka_unit_test (test_ident_refuses_empty_long_and_other_characters),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
