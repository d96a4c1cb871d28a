/*  test_scheduler - dispatch against credits, fairness across jobs,
    deadlines, retries, the attempt limit, dead workers and lost chunks,
    and the questions to the sink about complete jobs.

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
    char job_id[PROTO_JOB_ID_MAX + 1];
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

//  Every job's template digest here is its id's: jobs differ by id.
static int
s_add_job (scheduler_t *scheduler, const char *job_id, uint32_t pages,
           uint32_t chunk_pages, const bool *stored)
{
    tpldigest_t digest;
    tpldigest_compute (job_id, strlen (job_id), &digest);
    return scheduler_add_job (scheduler, job_id, pages, chunk_pages, stored,
                              &digest);
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
    assert_int_equal (s_add_job (scheduler, "a", 10, 5, NULL), 0);
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
    s_add_job (scheduler, "a", 250, 100, NULL);
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
    s_add_job (scheduler, "big", 1000, 10, NULL);
    s_add_job (scheduler, "small", 10, 10, NULL);
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
    s_add_job (scheduler, "a", 100, 10, NULL);
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
    s_add_job (scheduler, "a", 30, 10, stored);
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
    s_add_job (scheduler, "a", 20, 10, NULL);
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
    s_add_job (scheduler, "a", 10, 10, NULL);
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
    s_add_job (scheduler, "poison", 30, 10, NULL);
    s_add_job (scheduler, "other", 10, 10, NULL);
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
    s_add_job (scheduler, "a", 100, 10, NULL);
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
    s_add_job (scheduler, "a", 10, 10, NULL);
    scheduler_dispatch_t dispatch;
    assert_int_equal (scheduler_next (scheduler, 5001, &dispatch), 0);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

//  Deadlines far beyond the worker expiry, so that only liveness can
//  explain a re-dispatch.
static const scheduler_config_t s_slow_config = {
    .max_attempts = 3,
    .deadline_base_ms = 600000,
    .deadline_per_page_ms = 0,
    .worker_expiry_ms = 5000,
    .query_interval_ms = 5000,
};

//  One dispatch; the worker frame is destroyed, the rest returned.
static scheduler_dispatch_t
s_next (scheduler_t *scheduler, int64_t now)
{
    scheduler_dispatch_t dispatch;
    if (scheduler_next (scheduler, now, &dispatch) != 1)
        fail_msg ("nothing dispatched at %ld", (long)now);
    zframe_destroy (&dispatch.worker);
    return dispatch;
}

static void
test_dead_workers_chunk_is_redispatched_at_once (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 20, 10, NULL);
    zframe_t *dying = s_worker ("dying");
    zframe_t *alive = s_worker ("alive");
    scheduler_worker_ready (scheduler, dying, 1, 0);
    scheduler_dispatch_t first = s_next (scheduler, 0);
    assert_int_equal (first.chunk_nbr, 0);
    assert_int_equal (scheduler_worker_holding (scheduler, dying), 1);
    scheduler_worker_ready (scheduler, alive, 1, 0);
    scheduler_dispatch_t second = s_next (scheduler, 0);
    assert_int_equal (second.chunk_nbr, 1);
    //  The live one renders a slow chunk, heartbeating with no credit.
    s_failures_t failures = {0};
    for (int64_t now = 1000; now <= 5000; now += 1000) {
        scheduler_worker_seen (scheduler, alive, 0, now);
        scheduler_expire (scheduler, now, s_on_failed, &failures);
    }
    assert_int_equal (scheduler_workers (scheduler), 2);
    assert_int_equal (scheduler_pending (scheduler), 0);
    //  5 s of silence: the dying one is dead, its chunk is pending again
    //  long before its deadline; the slow one keeps its chunk.
    scheduler_worker_seen (scheduler, alive, 0, 5001);
    scheduler_expire (scheduler, 5001, s_on_failed, &failures);
    assert_int_equal (scheduler_workers (scheduler), 1);
    assert_int_equal (scheduler_pending (scheduler), 1);
    assert_int_equal (scheduler_worker_holding (scheduler, alive), 1);
    assert_int_equal (failures.count, 0);
    //  The slow one finishes and takes the dead one's chunk, attempt 2.
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 1), 0);
    scheduler_worker_ready (scheduler, alive, 1, 5002);
    assert_int_equal (scheduler_worker_holding (scheduler, alive), 0);
    scheduler_dispatch_t retry = s_next (scheduler, 5002);
    assert_int_equal (retry.chunk_nbr, 0);
    assert_int_equal (retry.attempt, 2);
    zframe_destroy (&alive);
    zframe_destroy (&dying);
    scheduler_destroy (&scheduler);
}

static void
test_chunk_given_back_with_ready_is_left_to_its_deadline (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 10, 10, NULL);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 1, 0);
    s_next (scheduler, 0);
    //  Rendered and sent to the sink; then the worker dies.
    scheduler_worker_ready (scheduler, worker, 1, 100);
    s_failures_t failures = {0};
    scheduler_expire (scheduler, 10000, s_on_failed, &failures);
    assert_int_equal (scheduler_workers (scheduler), 0);
    assert_int_equal (scheduler_pending (scheduler), 0);
    //  Its result may still reach the sink; only the deadline decides.
    scheduler_expire (scheduler, 600000, s_on_failed, &failures);
    assert_int_equal (scheduler_pending (scheduler), 1);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

//  Worker w<number> says it has room for `credits` chunks, is sent as many
//  (into dispatched) and falls silent until it is found dead.
static void
s_worker_takes_and_dies (scheduler_t *scheduler, int number, uint32_t credits,
                         scheduler_dispatch_t *dispatched, int64_t *now,
                         s_failures_t *failures)
{
    char name[16];
    snprintf (name, sizeof name, "w%d", number);
    zframe_t *worker = s_worker (name);
    scheduler_worker_ready (scheduler, worker, credits, *now);
    for (uint32_t sent = 0; sent < credits; sent++)
        dispatched[sent] = s_next (scheduler, *now);
    *now += 6000;
    scheduler_expire (scheduler, *now, s_on_failed, failures);
    zframe_destroy (&worker);
}

static void
test_chunk_that_kills_every_worker_fails_its_job (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "poison", 10, 10, NULL);
    s_failures_t failures = {0};
    int64_t now = 0;
    for (int attempt = 1; attempt <= 3; attempt++) {
        scheduler_dispatch_t dispatch;
        s_worker_takes_and_dies (scheduler, attempt, 1, &dispatch, &now,
                                 &failures);
        assert_int_equal (dispatch.attempt, attempt);
    }
    assert_int_equal (failures.count, 1);
    assert_string_equal (failures.job_id, "poison");
    assert_non_null (strstr (failures.reason, "failed 3 times"));
    assert_non_null (strstr (failures.reason, "worker w3 went silent"));
    assert_false (scheduler_has_job (scheduler, "poison"));
    scheduler_destroy (&scheduler);
}

//  A worker holds the chunk it renders and the next (worker/slot). Dying,
//  it charges an attempt to the first only; the next goes again first
//  among the two, uncharged.
static void
test_dead_worker_charges_only_the_chunk_it_rendered (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 20, 10, NULL);
    s_failures_t failures = {0};
    int64_t now = 0;
    //  Two workers die holding chunk 0 (rendering) and chunk 1 (waiting).
    for (int death = 1; death <= 2; death++) {
        scheduler_dispatch_t held[2];
        s_worker_takes_and_dies (scheduler, death, 2, held, &now, &failures);
        assert_int_equal (held[0].chunk_nbr, 0);
        assert_int_equal (held[0].attempt, death);
        assert_int_equal (held[1].chunk_nbr, 1);
        assert_int_equal (held[1].attempt, death);
        assert_int_equal (scheduler_workers (scheduler), 0);
        assert_int_equal (scheduler_pending (scheduler), 2);
    }
    //  A third renders chunk 0, then dies rendering chunk 1: its third
    //  attempt, the first counted, so the job goes on (max_attempts 3).
    zframe_t *worker = s_worker ("w3");
    scheduler_worker_ready (scheduler, worker, 1, now);
    assert_int_equal (s_next (scheduler, now).chunk_nbr, 0);
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 0), 0);
    scheduler_worker_ready (scheduler, worker, 1, now);
    scheduler_dispatch_t last = s_next (scheduler, now);
    assert_int_equal (last.chunk_nbr, 1);
    assert_int_equal (last.attempt, 3);
    now += 6000;
    scheduler_expire (scheduler, now, s_on_failed, &failures);
    assert_int_equal (failures.count, 0);
    assert_true (scheduler_has_job (scheduler, "a"));
    assert_int_equal (scheduler_pending (scheduler), 1);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

//  A chunk that waited behind another on its worker has its deadline
//  counted from the READY that let the worker start it.
static void
test_waiting_chunks_deadline_runs_from_its_start (void **state)
{
    (void)state;
    //  s_config: a 10-page chunk's deadline is 1,100 ms.
    scheduler_t *scheduler = scheduler_new (&s_config);
    s_add_job (scheduler, "a", 20, 10, NULL);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 2, 0);
    s_next (scheduler, 0);
    s_next (scheduler, 0);
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 0), 0);
    scheduler_worker_ready (scheduler, worker, 1, 900);
    s_failures_t failures = {0};
    for (int64_t now = 1000; now < 2000; now += 500) {
        scheduler_worker_seen (scheduler, worker, 1, now);
        scheduler_expire (scheduler, now, s_on_failed, &failures);
    }
    assert_int_equal (scheduler_pending (scheduler), 0);
    scheduler_worker_seen (scheduler, worker, 1, 2000);
    scheduler_expire (scheduler, 2000, s_on_failed, &failures);
    assert_int_equal (scheduler_pending (scheduler), 1);
    assert_int_equal (failures.count, 0);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

//  Workers scaled down leave with their next chunk unstarted, as often as
//  the scaler likes: that never counts towards max_attempts.
static void
test_chunks_given_back_by_leaving_workers_are_not_attempts (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 20, 10, NULL);
    for (int round = 1; round <= 4; round++) {
        char name[16];
        snprintf (name, sizeof name, "w%d", round);
        zframe_t *worker = s_worker (name);
        scheduler_worker_ready (scheduler, worker, 2, 0);
        assert_int_equal (s_next (scheduler, 0).chunk_nbr, 0);
        assert_int_equal (s_next (scheduler, 0).chunk_nbr, 1);
        scheduler_worker_left (scheduler, worker, 0);
        zframe_destroy (&worker);
    }
    //  Attempt 5 fails once: the first counted.
    zframe_t *worker = s_worker ("w5");
    scheduler_worker_ready (scheduler, worker, 1, 0);
    scheduler_dispatch_t fifth = s_next (scheduler, 0);
    assert_int_equal (fifth.attempt, 5);
    s_failures_t failures = {0};
    scheduler_chunk_failed (scheduler, "a", fifth.chunk_nbr, 5, "bad",
                            s_on_failed, &failures);
    assert_int_equal (failures.count, 0);
    assert_true (scheduler_has_job (scheduler, "a"));
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

//  A worker is wanted until the sink has stored what it rendered: one
//  that exits before may take the results with it.
static void
test_worker_is_wanted_until_its_results_are_stored (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 20, 10, NULL);
    zframe_t *worker = s_worker ("scaled-1-00ff");
    zframe_t *other = s_worker ("scaled-12-00ff");
    scheduler_worker_ready (scheduler, worker, 2, 0);
    s_next (scheduler, 0);
    s_next (scheduler, 0);
    //  Idle, and named like the first but for a digit more.
    scheduler_worker_ready (scheduler, other, 2, 0);
    scheduler_figures_t figures;
    scheduler_figures (scheduler, &figures);
    assert_int_equal (figures.workers_wanted, 1);
    assert_int_equal (scheduler_unstored_by_name (scheduler, "scaled-1"), 2);
    assert_int_equal (scheduler_unstored_by_name (scheduler, "scaled-12"), 0);
    assert_int_equal (scheduler_unstored_by_name (scheduler, "scaled-2"), 0);
    //  Both rendered: held no more, not stored yet.
    scheduler_worker_ready (scheduler, worker, 2, 10);
    scheduler_figures (scheduler, &figures);
    assert_int_equal (figures.workers_busy, 0);
    assert_int_equal (figures.workers_wanted, 1);
    assert_int_equal (scheduler_unstored_by_name (scheduler, "scaled-1"), 2);
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 0), 0);
    assert_int_equal (scheduler_unstored_by_name (scheduler, "scaled-1"), 1);
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 1), 1);
    assert_int_equal (scheduler_unstored_by_name (scheduler, "scaled-1"), 0);
    scheduler_figures (scheduler, &figures);
    assert_int_equal (figures.workers_wanted, 0);
    zframe_destroy (&worker);
    zframe_destroy (&other);
    scheduler_destroy (&scheduler);
}

static void
test_unreachable_worker_gives_back_its_chunks (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 30, 10, NULL);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 2, 0);
    s_next (scheduler, 0);
    s_next (scheduler, 0);
    s_failures_t failures = {0};
    scheduler_worker_gone (scheduler, worker, "is unreachable", s_on_failed,
                           &failures);
    assert_int_equal (scheduler_workers (scheduler), 0);
    assert_int_equal (scheduler_pending (scheduler), 3);
    //  Gone means gone: nothing is dispatched to it any more.
    scheduler_dispatch_t dispatch;
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 0);
    //  Unknown workers are ignored.
    scheduler_worker_gone (scheduler, worker, "is unreachable", s_on_failed,
                           &failures);
    assert_int_equal (failures.count, 0);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_leaving_worker_gives_back_what_it_never_took (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 30, 10, NULL);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 2, 0);
    s_next (scheduler, 0); // chunk 0: finished before it left
    s_next (scheduler, 0); // chunk 1: sent, never taken
    scheduler_figures_t figures;
    scheduler_figures (scheduler, &figures);
    assert_int_equal (figures.workers_busy, 1);
    assert_int_equal (figures.backlog_chunks, 3);
    assert_int_equal (figures.backlog_pages, 30);
    scheduler_worker_left (scheduler, worker, 1);
    assert_int_equal (scheduler_workers (scheduler), 0);
    //  Chunk 1 waits for another worker, its attempt not counted as
    //  failed; chunk 0 is left to its deadline (its result is on the way).
    assert_int_equal (scheduler_pending (scheduler), 2);
    zframe_t *other = s_worker ("w2");
    scheduler_worker_ready (scheduler, other, 1, 0);
    scheduler_dispatch_t again = s_next (scheduler, 0);
    assert_int_equal (again.chunk_nbr, 1);
    scheduler_figures (scheduler, &figures);
    assert_int_equal (figures.dead_workers, 0);
    assert_int_equal (figures.retries, 1);
    //  An unknown worker leaving changes nothing.
    scheduler_worker_left (scheduler, worker, 0);
    zframe_destroy (&worker);
    zframe_destroy (&other);
    scheduler_destroy (&scheduler);
}

static void
test_figures_count_short_last_chunk (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 25, 10, NULL); // 10, 10, 5
    scheduler_figures_t figures;
    scheduler_figures (scheduler, &figures);
    assert_int_equal (figures.backlog_chunks, 3);
    assert_int_equal (figures.backlog_pages, 25);
    scheduler_chunk_stored (scheduler, "a", 2);
    scheduler_figures (scheduler, &figures);
    assert_int_equal (figures.backlog_pages, 20);
    scheduler_chunk_stored (scheduler, "a", 0);
    scheduler_figures (scheduler, &figures);
    assert_int_equal (figures.backlog_chunks, 1);
    assert_int_equal (figures.backlog_pages, 10);
    scheduler_destroy (&scheduler);
}

//  The job ids of the next count dispatches, as one string ("aab...").
static void
s_dispatch_order (scheduler_t *scheduler, zframe_t *worker, int count,
                  char *order)
{
    for (int index = 0; index < count; index++) {
        scheduler_worker_ready (scheduler, worker, 1, 0);
        scheduler_dispatch_t dispatch = s_next (scheduler, 0);
        order[index] = dispatch.job_id[0];
        scheduler_chunk_stored (scheduler, dispatch.job_id,
                                dispatch.chunk_nbr);
    }
    order[count] = '\0';
}

static void
test_weights_share_the_workers (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 100, 1, NULL);
    s_add_job (scheduler, "b", 100, 1, NULL);
    s_add_job (scheduler, "c", 100, 1, NULL);
    assert_int_equal (scheduler_set_weight (scheduler, "b", 30), 0);
    assert_int_equal (scheduler_set_weight (scheduler, "nope", 30), -1);
    zframe_t *worker = s_worker ("w1");
    char order[51];
    s_dispatch_order (scheduler, worker, 50, order);
    int counts[3] = {0};
    for (int index = 0; index < 50; index++)
        counts[order[index] - 'a']++;
    //  b has three times the weight of a and c: 30 of 50, and 10 each.
    assert_int_equal (counts[1], 30);
    assert_int_equal (counts[0], 10);
    assert_int_equal (counts[2], 10);
    //  And no long run without a or c.
    assert_null (strstr (order, "bbbb"));
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_new_job_gets_no_burst_and_no_wait (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 100, 1, NULL);
    zframe_t *worker = s_worker ("w1");
    char order[41];
    s_dispatch_order (scheduler, worker, 20, order);
    //  b arrives after 20 of a's chunks: they take turns from there on,
    //  b is not owed the 20.
    s_add_job (scheduler, "b", 100, 1, NULL);
    s_dispatch_order (scheduler, worker, 10, order);
    assert_string_equal (order, "bababababa");
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_chunk_lost_on_the_way_is_requeued_by_idle_heartbeat (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 10, 10, NULL);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 1, 0);
    s_next (scheduler, 0);
    //  A heartbeat that crossed the CHUNK on the wire changes nothing.
    scheduler_worker_seen (scheduler, worker, 1, 1000);
    assert_int_equal (scheduler_pending (scheduler), 0);
    scheduler_dispatch_t dispatch;
    assert_int_equal (scheduler_next (scheduler, 1000, &dispatch), 0);
    //  Still idle well after: the CHUNK never arrived.
    scheduler_worker_seen (scheduler, worker, 1, 3500);
    assert_int_equal (scheduler_worker_holding (scheduler, worker), 0);
    scheduler_dispatch_t again = s_next (scheduler, 3500);
    assert_int_equal (again.chunk_nbr, 0);
    assert_int_equal (again.attempt, 2);
    //  A busy heartbeat never requeues.
    scheduler_worker_seen (scheduler, worker, 0, 10000);
    assert_int_equal (scheduler_pending (scheduler), 0);
    assert_int_equal (scheduler_worker_holding (scheduler, worker), 1);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_restart_registers_busy_worker_without_credit (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 10, 10, NULL);
    zframe_t *worker = s_worker ("w1");
    //  A worker busy with a chunk of the previous ventilator.
    scheduler_worker_seen (scheduler, worker, 0, 0);
    scheduler_dispatch_t dispatch;
    assert_int_equal (scheduler_next (scheduler, 0, &dispatch), 0);
    scheduler_worker_ready (scheduler, worker, 1, 100);
    assert_int_equal (scheduler_next (scheduler, 100, &dispatch), 1);
    zframe_destroy (&dispatch.worker);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_ready_credits_are_capped (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 1000, 1, NULL);
    zframe_t *worker = s_worker ("hostile");
    scheduler_worker_ready (scheduler, worker, UINT32_MAX, 0);
    scheduler_worker_ready (scheduler, worker, UINT32_MAX, 0);
    int dispatched = 0;
    scheduler_dispatch_t dispatch;
    while (scheduler_next (scheduler, 0, &dispatch) == 1) {
        zframe_destroy (&dispatch.worker);
        dispatched++;
    }
    assert_int_equal (dispatched, SCHEDULER_CREDITS_MAX);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_complete_job_is_queried_every_interval (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 20, 10, NULL);
    zframe_t *worker = s_worker ("w1");
    scheduler_worker_ready (scheduler, worker, 2, 0);
    s_next (scheduler, 0);
    s_next (scheduler, 0);
    zlist_t *due = scheduler_query_due (scheduler, 100);
    assert_int_equal (zlist_size (due), 0);
    zlist_destroy (&due);
    scheduler_chunk_stored (scheduler, "a", 0);
    assert_int_equal (scheduler_chunk_stored (scheduler, "a", 1), 1);
    //  First seen complete at 1000: asked at 6000, then every 5 s.
    int64_t times[] = {1000, 5999, 6000, 10999, 11000};
    size_t expected[] = {0, 0, 1, 0, 1};
    for (size_t index = 0; index < 5; index++) {
        due = scheduler_query_due (scheduler, times[index]);
        assert_int_equal (zlist_size (due), expected[index]);
        if (expected[index])
            assert_string_equal ((char *)zlist_first (due), "a");
        zlist_destroy (&due);
    }
    scheduler_remove_job (scheduler, "a");
    due = scheduler_query_due (scheduler, 100000);
    assert_int_equal (zlist_size (due), 0);
    zlist_destroy (&due);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_job_complete_at_start_is_queried_at_once (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    bool stored[] = {true, true};
    s_add_job (scheduler, "merging", 20, 10, stored);
    s_add_job (scheduler, "rendering", 20, 10, (bool[]){true, false});
    zlist_t *due = scheduler_query_due (scheduler, 10);
    assert_int_equal (zlist_size (due), 1);
    assert_string_equal ((char *)zlist_first (due), "merging");
    zlist_destroy (&due);
    scheduler_destroy (&scheduler);
}

static void
test_duplicate_or_empty_job_is_refused (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (NULL);
    assert_int_equal (s_add_job (scheduler, "a", 10, 10, NULL), 0);
    assert_int_equal (s_add_job (scheduler, "a", 10, 10, NULL), -1);
    assert_int_equal (s_add_job (scheduler, "b", 0, 10, NULL), -1);
    assert_int_equal (s_add_job (scheduler, "c", 10, 0, NULL), -1);
    scheduler_destroy (&scheduler);
}

//  The digest s_add_job gives a job.
static tpldigest_t
s_digest_of (const char *job_id)
{
    tpldigest_t digest;
    tpldigest_compute (job_id, strlen (job_id), &digest);
    return digest;
}

//  One dispatch to a worker that then has a credit again (its READY).
static scheduler_dispatch_t
s_next_ready (scheduler_t *scheduler, zframe_t *worker, int64_t now)
{
    scheduler_worker_ready (scheduler, worker, 1, now);
    return s_next (scheduler, now);
}

static void
test_template_goes_once_per_worker_and_job (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 100, 10, NULL);
    zframe_t *one = s_worker ("one");
    zframe_t *two = s_worker ("two");
    scheduler_dispatch_t dispatch = s_next_ready (scheduler, one, 0);
    assert_true (dispatch.with_template);
    tpldigest_t expected = s_digest_of ("a");
    assert_memory_equal (dispatch.digest.bytes, expected.bytes,
                         TPLDIGEST_SIZE);
    for (int chunk = 1; chunk < 5; chunk++)
        assert_false (s_next_ready (scheduler, one, 0).with_template);
    //  Another worker has its own set.
    assert_true (s_next_ready (scheduler, two, 0).with_template);
    assert_false (s_next_ready (scheduler, two, 0).with_template);
    zframe_destroy (&one);
    zframe_destroy (&two);
    scheduler_destroy (&scheduler);
}

static void
test_worker_set_keeps_the_last_templates_used (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    //  One more job than a worker keeps templates of.
    const char *jobs[] = {"j0", "j1", "j2", "j3", "j4"};
    assert_int_equal (sizeof jobs / sizeof jobs[0],
                      PROTO_WORKER_TEMPLATES + 1);
    for (size_t index = 0; index < sizeof jobs / sizeof jobs[0]; index++)
        s_add_job (scheduler, jobs[index], 100, 10, NULL);
    zframe_t *worker = s_worker ("w");
    //  Round robin: j0..j4, each new to the worker; j0 left the set when
    //  j4 came.
    for (size_t index = 0; index < 5; index++) {
        scheduler_dispatch_t dispatch = s_next_ready (scheduler, worker, 0);
        assert_string_equal (dispatch.job_id, jobs[index]);
        assert_true (dispatch.with_template);
    }
    scheduler_dispatch_t dispatch = s_next_ready (scheduler, worker, 0);
    assert_string_equal (dispatch.job_id, "j0");
    assert_true (dispatch.with_template);
    //  j0 came back in and pushed out j1, the least recently used.
    dispatch = s_next_ready (scheduler, worker, 0);
    assert_string_equal (dispatch.job_id, "j1");
    assert_true (dispatch.with_template);
    //  j2 went out with j1; j3 and j4 are still kept... until j2 comes.
    dispatch = s_next_ready (scheduler, worker, 0);
    assert_string_equal (dispatch.job_id, "j2");
    assert_true (dispatch.with_template);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_used_template_stays_in_the_set (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 1000, 10, NULL);
    zframe_t *worker = s_worker ("w");
    assert_true (s_next_ready (scheduler, worker, 0).with_template);
    //  Four other jobs come and go; a is used between each, so it stays.
    const char *others[] = {"b", "c", "d", "e", "f", "g"};
    for (size_t index = 0; index < 6; index++) {
        s_add_job (scheduler, others[index], 10, 10, NULL);
        for (int round = 0; round < 2; round++) {
            scheduler_dispatch_t dispatch =
                s_next_ready (scheduler, worker, 0);
            bool is_a = strcmp (dispatch.job_id, "a") == 0;
            if (!is_a)
                assert_string_equal (dispatch.job_id, others[index]);
            assert_int_equal (dispatch.with_template, !is_a);
        }
        scheduler_remove_job (scheduler, others[index]);
    }
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_template_miss_resends_the_chunk_with_its_template (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 30, 10, NULL);
    zframe_t *worker = s_worker ("w");
    tpldigest_t digest = s_digest_of ("a");
    assert_true (s_next_ready (scheduler, worker, 0).with_template);
    scheduler_dispatch_t dispatch = s_next_ready (scheduler, worker, 0);
    assert_int_equal (dispatch.chunk_nbr, 1);
    assert_false (dispatch.with_template);
    //  The worker restarted under the same id: it lacks the template.
    s_failures_t failures = {0};
    assert_int_equal (scheduler_template_miss (scheduler, worker, "a", 1,
                                               dispatch.attempt, &digest,
                                               s_on_failed, &failures),
                      0);
    assert_int_equal (scheduler_pending (scheduler), 2);
    scheduler_dispatch_t again = s_next_ready (scheduler, worker, 0);
    assert_int_equal (again.chunk_nbr, 1);
    assert_int_equal (again.attempt, dispatch.attempt + 1);
    assert_true (again.with_template);
    //  And from then on the worker has it.
    assert_false (s_next_ready (scheduler, worker, 0).with_template);
    assert_int_equal (failures.count, 0);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_template_misses_do_not_count_as_attempts (void **state)
{
    (void)state;
    //  max_attempts 3. Job b has a's template, and its chunks keep sending
    //  it to the worker, which keeps losing it: a's chunk misses five
    //  times, fails twice, and its job lives until the third failure.
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    tpldigest_t digest = s_digest_of ("a");
    s_add_job (scheduler, "a", 10, 10, NULL);
    scheduler_add_job (scheduler, "b", 100, 10, NULL, &digest);
    zframe_t *worker = s_worker ("w");
    s_failures_t failures = {0};
    scheduler_dispatch_t dispatch = s_next_ready (scheduler, worker, 0);
    assert_string_equal (dispatch.job_id, "a");
    scheduler_chunk_failed (scheduler, "a", 0, dispatch.attempt, "boom",
                            s_on_failed, &failures);
    for (int miss = 0; miss < 5; miss++) {
        assert_string_equal (s_next_ready (scheduler, worker, 0).job_id, "b");
        dispatch = s_next_ready (scheduler, worker, 0);
        assert_string_equal (dispatch.job_id, "a");
        assert_false (dispatch.with_template);
        assert_int_equal (scheduler_template_miss (
                              scheduler, worker, "a", 0, dispatch.attempt,
                              &digest, s_on_failed, &failures),
                          0);
    }
    assert_string_equal (s_next_ready (scheduler, worker, 0).job_id, "b");
    dispatch = s_next_ready (scheduler, worker, 0);
    assert_int_equal (dispatch.attempt, 7);
    scheduler_chunk_failed (scheduler, "a", 0, dispatch.attempt, "boom",
                            s_on_failed, &failures);
    assert_int_equal (failures.count, 0);
    assert_true (scheduler_has_job (scheduler, "a"));
    s_next_ready (scheduler, worker, 0);
    dispatch = s_next_ready (scheduler, worker, 0);
    assert_string_equal (dispatch.job_id, "a");
    scheduler_chunk_failed (scheduler, "a", 0, dispatch.attempt, "boom",
                            s_on_failed, &failures);
    assert_int_equal (failures.count, 1);
    assert_non_null (strstr (failures.reason, "failed 3 times"));
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_miss_for_a_chunk_that_carried_its_template_is_a_failure (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 10, 10, NULL);
    zframe_t *worker = s_worker ("liar");
    tpldigest_t digest = s_digest_of ("a");
    s_failures_t failures = {0};
    for (uint32_t attempt = 1; attempt <= 3; attempt++) {
        scheduler_dispatch_t dispatch = s_next_ready (scheduler, worker, 0);
        assert_true (dispatch.with_template);
        assert_int_equal (dispatch.attempt, attempt);
        assert_int_equal (scheduler_template_miss (scheduler, worker, "a", 0,
                                                   attempt, &digest,
                                                   s_on_failed, &failures),
                          0);
    }
    assert_int_equal (failures.count, 1);
    assert_string_equal (failures.job_id, "a");
    assert_non_null (strstr (failures.reason, "failed 3 times"));
    assert_non_null (
        strstr (failures.reason, "worker liar asked for the template its "
                                 "chunk carried"));
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

static void
test_miss_is_refused_unless_it_names_a_held_current_chunk (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (&s_slow_config);
    s_add_job (scheduler, "a", 20, 10, NULL);
    zframe_t *worker = s_worker ("w");
    zframe_t *other = s_worker ("other");
    tpldigest_t digest = s_digest_of ("a");
    tpldigest_t forged = s_digest_of ("b");
    s_next_ready (scheduler, worker, 0);
    scheduler_dispatch_t dispatch = s_next_ready (scheduler, worker, 0);
    assert_false (dispatch.with_template);
    scheduler_worker_ready (scheduler, other, 0, 0);
    //  Not the job's digest, another worker, a stale attempt, an unknown
    //  job or chunk, an unknown worker.
    zframe_t *stranger = s_worker ("stranger");
    struct {
        zframe_t *worker;
        const char *job_id;
        uint32_t chunk_nbr, attempt;
        const tpldigest_t *digest;
    } refused[] = {
        {worker, "a", 1, 1, &forged},  {other, "a", 1, 1, &digest},
        {worker, "a", 1, 2, &digest},  {worker, "b", 1, 1, &digest},
        {worker, "a", 7, 1, &digest},  {stranger, "a", 1, 1, &digest},
    };
    for (size_t index = 0; index < sizeof refused / sizeof refused[0];
         index++)
        assert_int_equal (scheduler_template_miss (
                              scheduler, refused[index].worker,
                              refused[index].job_id, refused[index].chunk_nbr,
                              refused[index].attempt, refused[index].digest,
                              NULL, NULL),
                          -1);
    //  Nothing changed: the chunk is still in flight, the worker still
    //  has the template.
    assert_int_equal (scheduler_pending (scheduler), 0);
    assert_int_equal (scheduler_worker_holding (scheduler, worker), 1);
    zframe_destroy (&stranger);
    zframe_destroy (&other);
    zframe_destroy (&worker);
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
        cmocka_unit_test (test_dead_workers_chunk_is_redispatched_at_once),
        cmocka_unit_test (
            test_chunk_given_back_with_ready_is_left_to_its_deadline),
        cmocka_unit_test (test_chunk_that_kills_every_worker_fails_its_job),
        cmocka_unit_test (test_dead_worker_charges_only_the_chunk_it_rendered),
        cmocka_unit_test (test_waiting_chunks_deadline_runs_from_its_start),
        cmocka_unit_test (
            test_chunks_given_back_by_leaving_workers_are_not_attempts),
        cmocka_unit_test (test_worker_is_wanted_until_its_results_are_stored),
        cmocka_unit_test (test_unreachable_worker_gives_back_its_chunks),
        cmocka_unit_test (
            test_chunk_lost_on_the_way_is_requeued_by_idle_heartbeat),
        cmocka_unit_test (test_restart_registers_busy_worker_without_credit),
        cmocka_unit_test (test_ready_credits_are_capped),
        cmocka_unit_test (test_weights_share_the_workers),
        cmocka_unit_test (test_new_job_gets_no_burst_and_no_wait),
        cmocka_unit_test (test_leaving_worker_gives_back_what_it_never_took),
        cmocka_unit_test (test_figures_count_short_last_chunk),
        cmocka_unit_test (test_complete_job_is_queried_every_interval),
        cmocka_unit_test (test_job_complete_at_start_is_queried_at_once),
        cmocka_unit_test (test_duplicate_or_empty_job_is_refused),
        cmocka_unit_test (test_template_goes_once_per_worker_and_job),
        cmocka_unit_test (test_worker_set_keeps_the_last_templates_used),
        cmocka_unit_test (test_used_template_stays_in_the_set),
        cmocka_unit_test (
            test_template_miss_resends_the_chunk_with_its_template),
        cmocka_unit_test (test_template_misses_do_not_count_as_attempts),
        cmocka_unit_test (
            test_miss_for_a_chunk_that_carried_its_template_is_a_failure),
        cmocka_unit_test (
            test_miss_is_refused_unless_it_names_a_held_current_chunk),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return failed;
}
