/*  test_dispatchview - what the loop publishes of dispatch, read back as
    the HTTP thread reads it, from a real scheduler.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dispatchview.h"

#define S_NOW_WALL 1700000000000LL // ms

typedef struct {
    char text[512]; // what the callbacks saw, one entry after another
} s_seen_t;

static void
s_seen_add (s_seen_t *seen, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_seen_add (s_seen_t *seen, const char *format, ...)
{
    size_t used = strlen (seen->text);
    va_list args;
    va_start (args, format);
    vsnprintf (seen->text + used, sizeof seen->text - used, format, args);
    va_end (args);
}

static void
s_on_chunk (const dispatchview_chunk_t *chunk, void *arg)
{
    s_seen_add ((s_seen_t *)arg, "[%s %u %s %lld]", chunk->job_id,
                chunk->chunk_nbr, chunk->worker, (long long)chunk->since);
}

static void
s_on_retry (uint32_t chunk_nbr, uint32_t attempts, void *arg)
{
    s_seen_add ((s_seen_t *)arg, "(%u x%u)", chunk_nbr, attempts);
}

static void
s_on_worker (const dispatchview_worker_t *worker, void *arg)
{
    s_seen_add ((s_seen_t *)arg,
                "<%s holding=%zu done=%llu rate=%.1f "
                "seen=%lld>",
                worker->name, worker->holding,
                (unsigned long long)worker->chunks_done, worker->pages_per_s,
                (long long)worker->last_seen);
}

static int
s_add_job (scheduler_t *scheduler, const char *job_id, uint32_t pages,
           uint32_t chunk_pages)
{
    tpldigest_t digest;
    tpldigest_compute (job_id, strlen (job_id), &digest);
    return scheduler_add_job (scheduler, job_id, pages, chunk_pages, NULL,
                              &digest);
}

static void
s_next (scheduler_t *scheduler, int64_t now)
{
    scheduler_dispatch_t dispatch;
    assert_int_equal (scheduler_next (scheduler, now, &dispatch), 1);
    zframe_destroy (&dispatch.worker);
}

static void
test_empty_view_shows_nothing (void **state)
{
    (void)state;
    dispatchview_t *view = dispatchview_new ();
    s_seen_t seen = {""};
    int64_t desired = 7;
    const char *scaler = NULL;
    dispatchview_read_job (view, "a", s_on_chunk, s_on_retry, &seen);
    dispatchview_read_workers (view, s_on_worker, s_on_chunk, &seen, &desired,
                               &scaler);
    assert_string_equal (seen.text, "");
    assert_int_equal (desired, -1);
    assert_string_equal (scaler, "none");
    dispatchview_destroy (&view);
    dispatchview_destroy (&view);
}

static void
test_chunks_in_flight_by_job_and_worker (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (NULL);
    assert_int_equal (s_add_job (scheduler, "a", 30, 10), 0);
    assert_int_equal (s_add_job (scheduler, "b", 10, 10), 0);
    zframe_t *w1 = zframe_new ("w1", 2);
    zframe_t *w2 = zframe_new ("w2", 2);
    scheduler_worker_ready (scheduler, w1, 2, 1000);
    s_next (scheduler, 1000); // a/0 to w1
    s_next (scheduler, 1100); // b/0 to w1
    scheduler_worker_ready (scheduler, w2, 1, 1200);
    s_next (scheduler, 1200); // a/1 to w2

    dispatchview_t *view = dispatchview_new ();
    //  Wall time is monotonic time + (S_NOW_WALL - 2000) here.
    dispatchview_publish (view, scheduler, 2000, S_NOW_WALL, 3, "local");
    s_seen_t seen = {""};
    dispatchview_read_job (view, "a", s_on_chunk, s_on_retry, &seen);
    assert_string_equal (seen.text, "[a 0 w1 1699999999000]"
                                    "[a 1 w2 1699999999200]");
    seen.text[0] = '\0';
    int64_t desired = 0;
    const char *scaler = NULL;
    dispatchview_read_workers (view, s_on_worker, s_on_chunk, &seen, &desired,
                               &scaler);
    assert_string_equal (seen.text,
                         "<w1 holding=2 done=0 rate=-1.0 seen=1699999999000>"
                         "[a 0 w1 1699999999000][b 0 w1 1699999999100]"
                         "<w2 holding=1 done=0 rate=-1.0 seen=1699999999200>"
                         "[a 1 w2 1699999999200]");
    assert_int_equal (desired, 3);
    assert_string_equal (scaler, "local");

    //  w1 finishes a/0 (10 pages in 1 s) and a/0 is stored: it is no
    //  longer in flight, and w1 has a rate.
    scheduler_chunk_stored (scheduler, "a", 0);
    scheduler_worker_ready (scheduler, w1, 1, 2000);
    dispatchview_publish (view, scheduler, 2500, S_NOW_WALL, 3, "local");
    seen.text[0] = '\0';
    dispatchview_read_workers (view, s_on_worker, NULL, &seen, NULL, NULL);
    assert_string_equal (seen.text,
                         "<w1 holding=1 done=1 rate=10.0 seen=1699999999500>"
                         "<w2 holding=1 done=0 rate=-1.0 seen=1699999998700>");
    dispatchview_destroy (&view);
    zframe_destroy (&w1);
    zframe_destroy (&w2);
    scheduler_destroy (&scheduler);
}

static void
test_retried_chunks_show_their_attempts (void **state)
{
    (void)state;
    scheduler_t *scheduler = scheduler_new (NULL);
    assert_int_equal (s_add_job (scheduler, "a", 30, 10), 0);
    zframe_t *worker = zframe_new ("w1", 2);
    scheduler_worker_ready (scheduler, worker, 1, 1000);
    s_next (scheduler, 1000); // a/0, attempt 1
    scheduler_chunk_failed (scheduler, "a", 0, 1, "boom", NULL, NULL);
    scheduler_worker_ready (scheduler, worker, 1, 1100);
    s_next (scheduler, 1100); // a/0, attempt 2
    scheduler_chunk_failed (scheduler, "a", 0, 2, "boom", NULL, NULL);
    scheduler_worker_ready (scheduler, worker, 1, 1200);
    s_next (scheduler, 1200); // a/0, attempt 3

    dispatchview_t *view = dispatchview_new ();
    dispatchview_publish (view, scheduler, 1200, S_NOW_WALL, -1, "none");
    s_seen_t seen = {""};
    dispatchview_read_job (view, "a", NULL, s_on_retry, &seen);
    assert_string_equal (seen.text, "(0 x3)");
    seen.text[0] = '\0';
    dispatchview_read_job (view, "b", s_on_chunk, s_on_retry, &seen);
    assert_string_equal (seen.text, "");
    //  A job that is gone is not shown.
    scheduler_remove_job (scheduler, "a");
    dispatchview_publish (view, scheduler, 1300, S_NOW_WALL, -1, "none");
    dispatchview_read_job (view, "a", s_on_chunk, s_on_retry, &seen);
    assert_string_equal (seen.text, "");
    dispatchview_destroy (&view);
    zframe_destroy (&worker);
    scheduler_destroy (&scheduler);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_empty_view_shows_nothing),
        cmocka_unit_test (test_chunks_in_flight_by_job_and_worker),
        cmocka_unit_test (test_retried_chunks_show_their_attempts),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
