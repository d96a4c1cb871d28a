/*  test_jobwatch - waiters suspended and resumed as their jobs change,
    their deadlines pass or the watch stops; the cap on waiters.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jobwatch.h"

#define S_JOB_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define S_JOB_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

//  A connection as the watch sees it: how often it was suspended and
//  resumed.
typedef struct {
    int suspends;
    int resumes;
} s_connection_t;

static void
s_suspend (void *arg)
{
    ((s_connection_t *)arg)->suspends++;
}

static void
s_resume (void *arg)
{
    s_connection_t *connection = (s_connection_t *)arg;
    //  Never a resume without its suspend first.
    assert_int_equal (connection->resumes + 1, connection->suspends);
    connection->resumes++;
}

static void
test_change_resumes_only_that_jobs_waiters (void **state)
{
    (void)state;
    jobwatch_t *watch = jobwatch_new (0);
    s_connection_t a = {0}, b = {0};
    jobwatch_waiter_t *on_a = jobwatch_add (watch, S_JOB_A, 1000, s_resume, &a);
    jobwatch_waiter_t *on_b = jobwatch_add (watch, S_JOB_B, 1000, s_resume, &b);
    assert_non_null (on_a);
    assert_non_null (on_b);
    assert_true (jobwatch_suspend (on_a, s_suspend));
    assert_true (jobwatch_suspend (on_b, s_suspend));
    jobwatch_changed (watch, S_JOB_A);
    assert_int_equal (a.resumes, 1);
    assert_int_equal (b.resumes, 0);
    //  A second change while it is awake resumes nothing more.
    jobwatch_changed (watch, S_JOB_A);
    assert_int_equal (a.resumes, 1);
    jobwatch_remove (&on_a);
    assert_null (on_a);
    jobwatch_changed (watch, S_JOB_B);
    assert_int_equal (b.resumes, 1);
    jobwatch_remove (&on_b);
    assert_int_equal (jobwatch_size (watch), 0);
    jobwatch_destroy (&watch);
    assert_null (watch);
}

static void
test_change_before_suspend_is_not_lost (void **state)
{
    (void)state;
    jobwatch_t *watch = jobwatch_new (0);
    s_connection_t a = {0};
    jobwatch_waiter_t *on_a = jobwatch_add (watch, S_JOB_A, 1000, s_resume, &a);
    //  The change comes between the status read and the suspend: the
    //  suspend is refused, so the request reads again.
    jobwatch_changed (watch, S_JOB_A);
    assert_false (jobwatch_suspend (on_a, s_suspend));
    assert_int_equal (a.suspends, 0);
    //  Armed again, it sleeps until the next change.
    jobwatch_arm (on_a);
    assert_true (jobwatch_suspend (on_a, s_suspend));
    assert_int_equal (a.resumes, 0);
    jobwatch_changed (watch, S_JOB_A);
    assert_int_equal (a.resumes, 1);
    jobwatch_remove (&on_a);
    jobwatch_destroy (&watch);
}

static void
test_expire_resumes_waiters_past_their_deadline (void **state)
{
    (void)state;
    jobwatch_t *watch = jobwatch_new (0);
    s_connection_t early = {0}, late = {0};
    jobwatch_waiter_t *first =
        jobwatch_add (watch, S_JOB_A, 1000, s_resume, &early);
    jobwatch_waiter_t *second =
        jobwatch_add (watch, S_JOB_A, 5000, s_resume, &late);
    assert_true (jobwatch_suspend (first, s_suspend));
    assert_true (jobwatch_suspend (second, s_suspend));
    jobwatch_expire (watch, 999);
    assert_int_equal (early.resumes, 0);
    assert_false (jobwatch_expired (first, 999));
    jobwatch_expire (watch, 1000);
    assert_int_equal (early.resumes, 1);
    assert_int_equal (late.resumes, 0);
    assert_true (jobwatch_expired (first, 1000));
    assert_false (jobwatch_expired (second, 1000));
    jobwatch_expire (watch, 5000);
    assert_int_equal (late.resumes, 1);
    jobwatch_remove (&first);
    jobwatch_remove (&second);
    jobwatch_destroy (&watch);
}

static void
test_waiters_are_capped (void **state)
{
    (void)state;
    jobwatch_t *watch = jobwatch_new (2);
    s_connection_t connection = {0};
    jobwatch_waiter_t *one =
        jobwatch_add (watch, S_JOB_A, 1000, s_resume, &connection);
    jobwatch_waiter_t *two =
        jobwatch_add (watch, S_JOB_B, 1000, s_resume, &connection);
    assert_non_null (one);
    assert_non_null (two);
    assert_null (jobwatch_add (watch, S_JOB_A, 1000, s_resume, &connection));
    assert_int_equal (jobwatch_size (watch), 2);
    jobwatch_remove (&one);
    one = jobwatch_add (watch, S_JOB_A, 1000, s_resume, &connection);
    assert_non_null (one);
    //  Not an id: never a waiter.
    char long_id[100];
    memset (long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    jobwatch_remove (&two);
    assert_null (jobwatch_add (watch, long_id, 1000, s_resume, &connection));
    jobwatch_remove (&one);
    jobwatch_destroy (&watch);
}

static void
test_stop_resumes_all_and_refuses_more (void **state)
{
    (void)state;
    jobwatch_t *watch = jobwatch_new (0);
    s_connection_t a = {0}, b = {0};
    jobwatch_waiter_t *on_a = jobwatch_add (watch, S_JOB_A, 1000, s_resume, &a);
    jobwatch_waiter_t *on_b = jobwatch_add (watch, S_JOB_B, 1000, s_resume, &b);
    assert_true (jobwatch_suspend (on_a, s_suspend));
    jobwatch_stop (watch);
    assert_int_equal (a.resumes, 1);
    assert_true (jobwatch_stopping (on_b));
    //  Awake but not suspended yet: it must not sleep now.
    jobwatch_arm (on_b);
    assert_false (jobwatch_suspend (on_b, s_suspend));
    assert_int_equal (b.suspends, 0);
    assert_null (jobwatch_add (watch, S_JOB_A, 1000, s_resume, &a));
    jobwatch_remove (&on_a);
    jobwatch_remove (&on_b);
    jobwatch_destroy (&watch);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_change_resumes_only_that_jobs_waiters),
        cmocka_unit_test (test_change_before_suspend_is_not_lost),
        cmocka_unit_test (test_expire_resumes_waiters_past_their_deadline),
        cmocka_unit_test (test_waiters_are_capped),
        cmocka_unit_test (test_stop_resumes_all_and_refuses_more),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
