/*  test_options - environment defaults and number parsing for the
    programs' command lines.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "options.h"

static void
test_env_or_uses_a_set_variable (void **state)
{
    (void)state;
    setenv ("PDFPIPE_TEST_OPTION", "tcp://10.0.0.1:1", 1);
    assert_string_equal (options_env_or ("PDFPIPE_TEST_OPTION", "fallback"),
                         "tcp://10.0.0.1:1");
    unsetenv ("PDFPIPE_TEST_OPTION");
}

static void
test_env_or_falls_back_when_unset_or_empty (void **state)
{
    (void)state;
    unsetenv ("PDFPIPE_TEST_OPTION");
    assert_string_equal (options_env_or ("PDFPIPE_TEST_OPTION", "fallback"),
                         "fallback");
    setenv ("PDFPIPE_TEST_OPTION", "", 1);
    assert_string_equal (options_env_or ("PDFPIPE_TEST_OPTION", "fallback"),
                         "fallback");
    unsetenv ("PDFPIPE_TEST_OPTION");
}

static void
test_parse_long_accepts_numbers_in_range (void **state)
{
    (void)state;
    long value = -1;
    assert_int_equal (options_parse_long ("0", 0, 65535, &value), 0);
    assert_int_equal (value, 0);
    assert_int_equal (options_parse_long ("65535", 0, 65535, &value), 0);
    assert_int_equal (value, 65535);
    assert_int_equal (options_parse_long ("-5", -10, 10, &value), 0);
    assert_int_equal (value, -5);
}

static void
test_parse_long_rejects_out_of_range (void **state)
{
    (void)state;
    long value = 7;
    assert_int_equal (options_parse_long ("65536", 0, 65535, &value), -1);
    assert_int_equal (options_parse_long ("-1", 0, 65535, &value), -1);
    assert_int_equal (value, 7);
}

static void
test_parse_long_rejects_garbage_and_overflow (void **state)
{
    (void)state;
    long value = 7;
    const char *bad[] = {
        "", "12x", "x12", " ", "1.5", "99999999999999999999999", NULL};
    for (size_t index = 0; bad[index]; index++)
        if (options_parse_long (bad[index], 0, 1000000, &value) != -1)
            fail_msg ("'%s' was accepted", bad[index]);
    assert_int_equal (options_parse_long (NULL, 0, 10, &value), -1);
    assert_int_equal (value, 7);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_env_or_uses_a_set_variable),
        cmocka_unit_test (test_env_or_falls_back_when_unset_or_empty),
        cmocka_unit_test (test_parse_long_accepts_numbers_in_range),
        cmocka_unit_test (test_parse_long_rejects_out_of_range),
        cmocka_unit_test (test_parse_long_rejects_garbage_and_overflow),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
