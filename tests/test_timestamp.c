/*  test_timestamp - the text form of a time in the HTTP API.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "timestamp.h"

static void
test_epoch (void **state)
{
    (void)state;
    char text[TIMESTAMP_SIZE];
    timestamp_format_ms (0, text, sizeof (text));
    assert_string_equal (text, "1970-01-01T00:00:00.000Z");
}

static void
test_milliseconds_are_kept (void **state)
{
    (void)state;
    char text[TIMESTAMP_SIZE];
    timestamp_format_ms (1714564800250, text, sizeof (text));
    assert_string_equal (text, "2024-05-01T12:00:00.250Z");
    timestamp_format_ms (1714564800999, text, sizeof (text));
    assert_string_equal (text, "2024-05-01T12:00:00.999Z");
}

static void
test_seconds_times_1000 (void **state)
{
    (void)state;
    char text[TIMESTAMP_SIZE];
    timestamp_format_ms ((int64_t)1714564800 * 1000, text, sizeof (text));
    assert_string_equal (text, "2024-05-01T12:00:00.000Z");
}

static void
test_before_the_epoch_is_the_epoch (void **state)
{
    (void)state;
    char text[TIMESTAMP_SIZE];
    timestamp_format_ms (-1500, text, sizeof (text));
    assert_string_equal (text, "1970-01-01T00:00:00.000Z");
}

static void
test_largest_time_fits (void **state)
{
    (void)state;
    char text[TIMESTAMP_SIZE];
    timestamp_format_ms (INT64_MAX, text, sizeof (text));
    assert_true (strlen (text) < TIMESTAMP_SIZE);
    assert_int_equal (text[strlen (text) - 1], 'Z');
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_epoch),
        cmocka_unit_test (test_milliseconds_are_kept),
        cmocka_unit_test (test_seconds_times_1000),
        cmocka_unit_test (test_before_the_epoch_is_the_epoch),
        cmocka_unit_test (test_largest_time_fits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
