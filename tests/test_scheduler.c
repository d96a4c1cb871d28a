/*  test_scheduler - dispatch against credits, fairness across jobs,
    deadlines, retries and the attempt limit.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scheduler.h"

static const scheduler_config_t s_config = {
    .max_attempts = 3,
    .deadline_base_ms = 1000,
    .deadline_per_page_ms = 10,
    .worker_expiry_ms = 5000,
};

typedef struct {
    int count;
    char job_id[65];
    char reason[SCHEDULER_ERROR_MAX];
} s_failures_t;

static void
s_on_failed (const char *job_id, const char *reason, void *arg)
{
    s_failures_t *failures = (s_failures_t *)arg;
    failures->count++;
    snprintf (failures->job_id, sizeof failures->job_id, "%s", job_id);
    snprintf (failures->reason, sizeof failures->reason, "%s", reason);
}

static zframe_t *
s_worker (const char *name)
{
    return zframe_new (name, strlen (name));
}

static void
test_no_dispatch_without_credit (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_config);
    assert_int_equal (scheduler_add_job (scheduler, "a", 10, 5, NULL), 0);
    scheduler_dispatch_t dispatch;
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 0);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_seen (scheduler, worker, 0, 0);
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 0);
    scheduler_worker_ready (scheduler, worker, 1, 0);
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 1);
    zframe_destroy (&dispatch.worker);
    //  One credit, one chunk.
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 0);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_dispatch_describes_the_chunk (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_config);
    scheduler_add_job (scheduler, "a", 250, 100, NULL);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 3, 0);
    scheduler_dispatch_t dispatch;
    uint32_t expected_first[] = {1, 101, 201};
    uint32_t expected_count[] = {100, 100, 50};
    for (uint32_t chunk_nbr = 0; chunk_nbr < 3; chunk_nbr++) {
        assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 1);
        assert_string_equal (dispatch.job_id, "a");
        assert_int_equal (dispatch.chunk_nbr, chunk_nbr);
        assert_int_equal (dispatch.attempt, 1);
        assert_int_equal (dispatch.first_page, expected_first[chunk_nbr]);
        assert_int_equal (dispatch.page_count, expected_count[chunk_nbr]);
        assert_int_equal (dispatch.total_pages, 250);
        assert_int_equal (dispatch.chunk_count, 3);
        assert_int_equal (dispatch.first_of_job, chunk_nbr == 0);
        assert_true (zframe_eq (dispatch.worker, worker));
        zframe_destroy (&dispatch.worker);
    }
    assert_int_equal (scheduler_pending (scheduler), 0);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_jobs_are_served_round_robin (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_config);
    scheduler_add_job (scheduler, "big", 1000, 10, NULL);
    scheduler_add_job (scheduler, "small", 10, 10, NULL);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 4, 0);
    scheduler_dispatch_t dispatch;
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 1);
    assert_string_equal (dispatch.job_id, "big");
    zframe_destroy (&dispatch.worker);
    //  The small job is served second, not after 100 chunks of the big one.
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 1);
    assert_string_equal (dispatch.job_id, "small");
    zframe_destroy (&dispatch.worker);
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 1);
    assert_string_equal (dispatch.job_id, "big");
    zframe_destroy (&dispatch.worker);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_credits_are_spread_over_workers (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_config);
    scheduler_add_job (scheduler, "a", 100, 10, NULL);
    zframe_t *one = s_worker ("w1");
    zframe_t *two = s_worker ("w2");
    scheduler_worker_ready (scheduler, one, 2, 0);
    scheduler_worker_ready (scheduler, two, 2, 0);
    scheduler_dispatch_t dispatch;
    scheduler_next (scheduler, 0, &dispatch);
    assert_true (zframe_eq (dispatch.worker, one));
    zframe_destroy (&dispatch.worker);
    scheduler_next (scheduler, 0, &dispatch);
    assert_true (zframe_eq (dispatch.worker, two));
    zframe_destroy (&dispatch.worker);
    zframe_destroy (&one);
    zframe_destroy (&two);
    scheduler_destroy (&scheduler);
}

static void
test_stored_chunks_are_not_dispatched_again (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_config);
    bool stored[3] = {true, false, true};
    scheduler_add_job (scheduler, "a", 30, 10, stored);
    assert_int_equal (scheduler_pending (scheduler), 1);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 5, 0);
    scheduler_dispatch_t dispatch;
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 1);
    assert_int_equal (dispatch.chunk_nbr, 1);
    assert_false (dispatch.first_of_job);
    zframe_destroy (&dispatch.worker);
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 0);
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 1), 1);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_chunk_stored_counts_each_chunk_once (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_config);
    scheduler_add_job (scheduler, "a", 20, 10, NULL);
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 0), 0);
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 0), 0);
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 1), 1);
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 2), -1);
    assert_int_equal (scheduler_chunk_stored (scheduler, "zz", 0), -1);
    assert_int_equal (scheduler_pending (scheduler), 0);
    scheduler_destroy (&scheduler);
}

static void
test_late_chunk_is_redispatched_with_next_attempt (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_config);
    scheduler_add_job (scheduler, "a", 10, 10, NULL);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 2, 0);
    scheduler_dispatch_t dispatch;
    scheduler_next (scheduler, 0, &dispatch);
    zframe_destroy (&dispatch.worker);
    s_failures_t failures = {0};
    //  Deadline is 1000 + 10 * 10 ms.
    scheduler_expire (scheduler, 1099, s_on_failed, &failures);
    assert_int_equal (scheduler_next (scheduler, 1099, &dispatch), 0);
    scheduler_worker_seen (scheduler, worker, 1, 1099);
    scheduler_expire (scheduler, 1100, s_on_failed, &failures);
    assert_int_equal (scheduler_next (scheduler, 1100, &dispatch), 1);
    assert_int_equal (dispatch.attempt, 2);
    zframe_destroy (&dispatch.worker);
    //  The first attempt's result still counts if it arrives now.
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 0), 1);
    assert_int_equal (failures.count, 0);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_failing_chunk_fails_job_after_max_attempts (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_config);
    scheduler_add_job (scheduler, "poison", 30, 10, NULL);
    scheduler_add_job (scheduler, "other", 10, 10, NULL);
    zframe_t *worker = s_worker ("w1");
    s_failures_t failures = {0};
    for (uint32_t attempt = 1; attempt <= 3; attempt++) {
        scheduler_worker_ready (scheduler, worker, 1, 0);
        scheduler_dispatch_t dispatch;
        assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 1);
        zframe_destroy (&dispatch.worker);
        if (strcmp (dispatch.job_id, "other") == 0) {
            scheduler_chunk_stored (scheduler, "other", 0);
            scheduler_worker_ready (scheduler, worker, 1, 0);
            assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 1);
            zframe_destroy (&dispatch.worker);
        }
        assert_string_equal (dispatch.job_id, "poison");
        assert_int_equal (dispatch.chunk_nbr, 0);
        assert_int_equal (dispatch.attempt, attempt);
        //  A stale report about an older attempt is ignored.
        scheduler_chunk_failed (scheduler, "poison", 0, attempt - 1, "old",
                                s_on_failed, &failures);
        scheduler_chunk_failed (scheduler, "poison", 0, attempt,
                                "unknown font 'X'", s_on_failed, &failures);
    }
    assert_int_equal (failures.count, 1);
    assert_string_equal (failures.job_id, "poison");
    assert_non_null (strstr (failures.reason, "chunk 0 (pages 1-10) failed 3 "
                                              "times"));
    assert_non_null (strstr (failures.reason, "unknown font 'X'"));
    assert_false (scheduler_has_job (scheduler, "poison"));
    assert_true (scheduler_has_job (scheduler, "other"));
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_removed_job_is_not_dispatched (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_config);
    scheduler_add_job (scheduler, "a", 100, 10, NULL);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 2, 0);
    scheduler_dispatch_t dispatch;
    scheduler_next (scheduler, 0, &dispatch);
    zframe_destroy (&dispatch.worker);
    scheduler_remove_job (scheduler, "a");
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 0);
    s_failures_t failures = {0};
    scheduler_expire (scheduler, 100000, s_on_failed, &failures);
    assert_int_equal (failures.count, 0);
    assert_int_equal (scheduler_jobs (scheduler), 0);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_silent_worker_expires (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_config);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 1, 0);
    assert_int_equal (scheduler_workers (scheduler), 1);
    scheduler_expire (scheduler, 5000, NULL, NULL);
    assert_int_equal (scheduler_workers (scheduler), 1);
    scheduler_expire (scheduler, 5001, NULL, NULL);
    assert_int_equal (scheduler_workers (scheduler), 0);
    scheduler_add_job (scheduler, "a", 10, 10, NULL);
    scheduler_dispatch_t dispatch;
    assert_int_equal (scheduler_next (scheduler, 5001, &dispatch), 0);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_duplicate_or_empty_job_is_refused (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (NULL);
    assert_int_equal (scheduler_add_job (scheduler, "a", 10, 10, NULL), 0);
    assert_int_equal (scheduler_add_job (scheduler, "a", 10, 10, NULL), -1);
    assert_int_equal (scheduler_add_job (scheduler, "b", 0, 10, NULL), -1);
    assert_int_equal (scheduler_add_job (scheduler, "c", 10, 0, NULL), -1);
    scheduler_destroy (&scheduler);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_no_dispatch_without_credit),
        cmocka_unit_test (test_dispatch_describes_the_chunk),
        cmocka_unit_test (test_jobs_are_served_round_robin),
        cmocka_unit_test (test_credits_are_spread_over_workers),
        cmocka_unit_test (test_stored_chunks_are_not_dispatched_again),
        cmocka_unit_test (test_chunk_stored_counts_each_chunk_once),
        cmocka_unit_test (test_late_chunk_is_redispatched_with_next_attempt),
        cmocka_unit_test (test_failing_chunk_fails_job_after_max_attempts),
        cmocka_unit_test (test_removed_job_is_not_dispatched),
        cmocka_unit_test (test_silent_worker_expires),
        cmocka_unit_test (test_duplicate_or_empty_job_is_refused),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return failed;
}
