/*  test_jobquery - the query string of GET /v1/jobs.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jobquery.h"

#define S_ID "0123456789abcdef0123456789abcdef"

static void
s_assert_refused (const char *state, const char *limit, const char *before,
                  const char *message)
{
    jobquery_t query;
    char error[JOBQUERY_ERROR_MAX];
    assert_int_equal (
        jobquery_parse (state, limit, before, &query, error, sizeof error), -1);
    assert_string_equal (error, message);
}

static void
test_nothing_given_is_every_state_newest_fifty (void **state)
{
    (void)state;
    jobquery_t query;
    char error[JOBQUERY_ERROR_MAX];
    assert_int_equal (
        jobquery_parse (NULL, NULL, NULL, &query, error, sizeof error), 0);
    assert_int_equal (query.states, 0);
    assert_int_equal (query.limit, JOBQUERY_LIMIT_DEFAULT);
    assert_false (query.has_cursor);
}

static void
test_states_are_a_comma_list (void **state)
{
    (void)state;
    jobquery_t query;
    char error[JOBQUERY_ERROR_MAX];
    assert_int_equal (jobquery_parse ("rendering,queued,done", "200", NULL,
                                      &query, error, sizeof error),
                      0);
    assert_int_equal (query.states, (1u << JOB_RENDERING) | (1u << JOB_QUEUED) |
                                        (1u << JOB_DONE));
    assert_int_equal (query.limit, 200);
}

static void
test_unknown_state_is_named (void **state)
{
    (void)state;
    s_assert_refused ("done,foo", NULL, NULL, "unknown state 'foo' in ?state=");
    s_assert_refused ("", NULL, NULL, "unknown state '' in ?state=");
    s_assert_refused ("done,", NULL, NULL, "unknown state '' in ?state=");
    s_assert_refused ("Done", NULL, NULL, "unknown state 'Done' in ?state=");
    s_assert_refused ("d\x01\xff", NULL, NULL,
                      "unknown state 'd?"
                      "?' in ?state=");
    char long_state[300];
    memset (long_state, 'x', sizeof long_state - 1);
    long_state[sizeof long_state - 1] = '\0';
    jobquery_t query;
    char error[JOBQUERY_ERROR_MAX];
    assert_int_equal (
        jobquery_parse (long_state, NULL, NULL, &query, error, sizeof error),
        -1);
    assert_true (strlen (error) < 80);
    assert_non_null (strstr (error, "xxx...' in ?state="));
}

static void
test_limit_outside_one_to_two_hundred_is_refused (void **state)
{
    (void)state;
    const char *bad[] = {"0",   "201", "-1",   "",
                         "1.5", "ten", "0x10", "99999999999999999999",
                         " 5"};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        jobquery_t query;
        char error[JOBQUERY_ERROR_MAX];
        assert_int_equal (jobquery_parse (NULL, bad[index], NULL, &query, error,
                                          sizeof error),
                          -1);
        assert_non_null (strstr (
            error, "?limit= must be a whole number from 1 to 200, not '"));
    }
    s_assert_refused (NULL, "201", NULL,
                      "?limit= must be a whole number from 1 to 200, not "
                      "'201'");
}

static void
test_cursor_round_trips (void **state)
{
    (void)state;
    char cursor[JOBQUERY_CURSOR_SIZE];
    jobquery_cursor (1764781234567, S_ID, cursor);
    assert_string_equal (cursor, "1764781234567." S_ID);
    jobquery_t query;
    char error[JOBQUERY_ERROR_MAX];
    assert_int_equal (
        jobquery_parse (NULL, NULL, cursor, &query, error, sizeof error), 0);
    assert_true (query.has_cursor);
    assert_int_equal (query.before_created_at, 1764781234567);
    assert_string_equal (query.before_id, S_ID);
}

static void
test_forged_cursor_is_refused (void **state)
{
    (void)state;
    const char *bad[] = {"",
                         ".",
                         "12.",
                         "." S_ID,
                         "x." S_ID,
                         "12",
                         "1234567890123456789." S_ID,
                         "12.a'b",
                         "12.0123/../x",
                         "-5." S_ID};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++)
        s_assert_refused (NULL, NULL, bad[index],
                          "?before= is not a cursor this API gave (use the "
                          "list's \"next\" as it is)");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_nothing_given_is_every_state_newest_fifty),
        cmocka_unit_test (test_states_are_a_comma_list),
        cmocka_unit_test (test_unknown_state_is_named),
        cmocka_unit_test (test_limit_outside_one_to_two_hundred_is_refused),
        cmocka_unit_test (test_cursor_round_trips),
        cmocka_unit_test (test_forged_cursor_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
