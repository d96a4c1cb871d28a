/*  test_metrics - the ventilator's figures in the Prometheus text format.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"

//  The text of line (a whole line, without its newline) is in text.
static void
s_has_line (const char *text, const char *line)
{
    size_t length = strlen (line);
    for (const char *at = strstr (text, line); at;
         at = strstr (at + 1, line))
        if ((at == text || at[-1] == '\n') && at[length] == '\n')
            return;
    fail_msg ("no line \"%s\" in:\n%s", line, text);
}

static void
test_counters_start_at_zero_with_help (void **state)
{
    (void)state;
    metrics_t *metrics = metrics_new ();
    char *text = metrics_render (metrics, NULL);
    assert_non_null (text);
    s_has_line (text, "# HELP pdfpipe_jobs_done_total Jobs whose result was "
                      "stored.");
    s_has_line (text, "# TYPE pdfpipe_jobs_done_total counter");
    s_has_line (text, "pdfpipe_jobs_done_total 0");
    s_has_line (text, "pdfpipe_workers_desired 0");
    //  Without the store's counts, the family is left out.
    assert_null (strstr (text, "pdfpipe_jobs{"));
    free (text);
    metrics_destroy (&metrics);
    assert_null (metrics);
}

static void
test_counts_add_up (void **state)
{
    (void)state;
    metrics_t *metrics = metrics_new ();
    metrics_count (metrics, METRICS_PAGES_RENDERED, 100);
    metrics_count (metrics, METRICS_PAGES_RENDERED, 23);
    metrics_count (metrics, METRICS_STORED_BYTES, 5000000000ULL);
    uint64_t jobs[JOBSTATE_COUNT] = {0};
    jobs[JOB_QUEUED] = 3;
    jobs[JOB_DONE] = 7;
    char *text = metrics_render (metrics, jobs);
    s_has_line (text, "pdfpipe_pages_rendered_total 123");
    s_has_line (text, "pdfpipe_stored_bytes_total 5000000000");
    s_has_line (text, "pdfpipe_jobs{state=\"queued\"} 3");
    s_has_line (text, "pdfpipe_jobs{state=\"done\"} 7");
    s_has_line (text, "pdfpipe_jobs{state=\"cancelled\"} 0");
    free (text);
    metrics_destroy (&metrics);
}

static void
test_histogram_buckets_are_cumulative (void **state)
{
    (void)state;
    metrics_t *metrics = metrics_new ();
    metrics_observe (metrics, METRICS_CHUNK_SECONDS, 0.05); // le 0.05
    metrics_observe (metrics, METRICS_CHUNK_SECONDS, 0.2);  // le 0.25
    metrics_observe (metrics, METRICS_CHUNK_SECONDS, 1000); // +Inf only
    metrics_observe (metrics, METRICS_CHUNK_SECONDS, -1);   // dropped
    char *text = metrics_render (metrics, NULL);
    s_has_line (text, "# TYPE pdfpipe_chunk_duration_seconds histogram");
    s_has_line (text, "pdfpipe_chunk_duration_seconds_bucket{le=\"0.05\"} 1");
    s_has_line (text, "pdfpipe_chunk_duration_seconds_bucket{le=\"0.1\"} 1");
    s_has_line (text, "pdfpipe_chunk_duration_seconds_bucket{le=\"0.25\"} 2");
    s_has_line (text, "pdfpipe_chunk_duration_seconds_bucket{le=\"300\"} 2");
    s_has_line (text, "pdfpipe_chunk_duration_seconds_bucket{le=\"+Inf\"} 3");
    s_has_line (text, "pdfpipe_chunk_duration_seconds_count 3");
    s_has_line (text, "pdfpipe_chunk_duration_seconds_sum 1000.250000");
    free (text);
    metrics_destroy (&metrics);
}

static void
test_http_pairs_are_bounded (void **state)
{
    (void)state;
    metrics_t *metrics = metrics_new ();
    metrics_http (metrics, "/healthz", 200);
    metrics_http (metrics, "/healthz", 200);
    metrics_http (metrics, "/v1/jobs", 400);
    //  More distinct pairs than the table holds are not counted, and
    //  nothing breaks.
    for (unsigned int status = 0; status < 1000; status++)
        metrics_http (metrics, "other", status);
    char *text = metrics_render (metrics, NULL);
    s_has_line (text,
                "pdfpipe_http_requests_total{route=\"/healthz\",code=\"200\"} 2");
    s_has_line (text,
                "pdfpipe_http_requests_total{route=\"/v1/jobs\",code=\"400\"} 1");
    assert_null (strstr (text, "code=\"999\""));
    free (text);
    metrics_destroy (&metrics);
}

static void
test_scheduler_figures (void **state)
{
    (void)state;
    metrics_t *metrics = metrics_new ();
    metrics_scheduler_t figures = {.workers_connected = 4,
                                   .workers_busy = 3,
                                   .workers_desired = 8,
                                   .backlog_pages = 12345,
                                   .backlog_chunks = 124,
                                   .retries = 2,
                                   .dead_workers = 1};
    metrics_set_scheduler (metrics, &figures);
    char *text = metrics_render (metrics, NULL);
    s_has_line (text, "pdfpipe_workers_connected 4");
    s_has_line (text, "pdfpipe_workers_busy 3");
    s_has_line (text, "pdfpipe_workers_desired 8");
    s_has_line (text, "pdfpipe_backlog_pages 12345");
    s_has_line (text, "pdfpipe_chunk_retries_total 2");
    s_has_line (text, "pdfpipe_dead_workers_total 1");
    free (text);
    metrics_destroy (&metrics);
}

static void
test_null_metrics_count_nothing (void **state)
{
    (void)state;
    metrics_count (NULL, METRICS_JOBS_DONE, 1);
    metrics_observe (NULL, METRICS_JOB_SECONDS, 1);
    metrics_http (NULL, "/healthz", 200);
    metrics_t *none = NULL;
    metrics_destroy (&none);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_counters_start_at_zero_with_help),
        cmocka_unit_test (test_counts_add_up),
        cmocka_unit_test (test_histogram_buckets_are_cumulative),
        cmocka_unit_test (test_http_pairs_are_bounded),
        cmocka_unit_test (test_scheduler_figures),
        cmocka_unit_test (test_null_metrics_count_nothing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
