/*  test_jobprogress - elapsed time, rate and time left of a job.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jobprogress.h"

#define S_CREATED 1700000000000LL // ms

static void
test_queued_job_has_elapsed_time_and_no_rate (void **state)
{
    (void)state;
    int64_t at[JOBSTATE_COUNT] = {[JOB_QUEUED] = S_CREATED};
    jobprogress_t progress = jobprogress_compute (JOB_QUEUED, S_CREATED, at, 0,
                                                  2000, S_CREATED + 1500);
    assert_float_equal (progress.elapsed_s, 1.5, 1e-9);
    assert_false (progress.has_rate);
    assert_false (progress.has_eta);
}

static void
test_rendering_rate_counts_from_rendering (void **state)
{
    (void)state;
    int64_t at[JOBSTATE_COUNT] = {
        [JOB_QUEUED] = S_CREATED, [JOB_RENDERING] = S_CREATED + 2000};
    //  800 pages in 4 s of rendering: 200 pages/s, 1200 left take 6 s.
    jobprogress_t progress = jobprogress_compute (JOB_RENDERING, S_CREATED, at,
                                                  800, 2000, S_CREATED + 6000);
    assert_float_equal (progress.elapsed_s, 6.0, 1e-9);
    assert_true (progress.has_rate);
    assert_float_equal (progress.pages_per_s, 200.0, 1e-9);
    assert_true (progress.has_eta);
    assert_float_equal (progress.eta_s, 6.0, 1e-9);
}

static void
test_rendering_without_pages_has_no_rate (void **state)
{
    (void)state;
    int64_t at[JOBSTATE_COUNT] = {
        [JOB_QUEUED] = S_CREATED, [JOB_RENDERING] = S_CREATED + 10};
    jobprogress_t progress = jobprogress_compute (JOB_RENDERING, S_CREATED, at,
                                                  0, 2000, S_CREATED + 5000);
    assert_false (progress.has_rate);
    assert_false (progress.has_eta);
}

static void
test_merging_job_keeps_rendering_rate_and_nothing_left (void **state)
{
    (void)state;
    int64_t at[JOBSTATE_COUNT] = {[JOB_QUEUED] = S_CREATED,
                                  [JOB_RENDERING] = S_CREATED,
                                  [JOB_MERGING] = S_CREATED + 4000};
    jobprogress_t progress = jobprogress_compute (JOB_MERGING, S_CREATED, at,
                                                  2000, 2000, S_CREATED + 9000);
    assert_float_equal (progress.pages_per_s, 500.0, 1e-9);
    assert_float_equal (progress.eta_s, 0.0, 1e-9);
    assert_float_equal (progress.elapsed_s, 9.0, 1e-9);
}

static void
test_ended_job_is_frozen_at_its_end (void **state)
{
    (void)state;
    int64_t at[JOBSTATE_COUNT] = {[JOB_QUEUED] = S_CREATED,
                                  [JOB_RENDERING] = S_CREATED + 1000,
                                  [JOB_MERGING] = S_CREATED + 3000,
                                  [JOB_STORING] = S_CREATED + 3500,
                                  [JOB_DONE] = S_CREATED + 4250};
    jobprogress_t early = jobprogress_compute (JOB_DONE, S_CREATED, at, 1000,
                                               1000, S_CREATED + 5000);
    jobprogress_t late = jobprogress_compute (JOB_DONE, S_CREATED, at, 1000,
                                              1000, S_CREATED + 500000);
    assert_float_equal (early.elapsed_s, 4.25, 1e-9);
    assert_float_equal (late.elapsed_s, 4.25, 1e-9);
    assert_float_equal (late.pages_per_s, 500.0, 1e-9);
    assert_true (late.has_eta);
    assert_float_equal (late.eta_s, 0.0, 1e-9);
}

static void
test_cancelled_job_left_pages_still_has_no_time_left (void **state)
{
    (void)state;
    int64_t at[JOBSTATE_COUNT] = {[JOB_QUEUED] = S_CREATED,
                                  [JOB_RENDERING] = S_CREATED + 1000,
                                  [JOB_CANCELLED] = S_CREATED + 2000};
    jobprogress_t progress = jobprogress_compute (JOB_CANCELLED, S_CREATED, at,
                                                  100, 2000, S_CREATED + 9000);
    assert_float_equal (progress.elapsed_s, 2.0, 1e-9);
    assert_float_equal (progress.pages_per_s, 100.0, 1e-9);
    assert_float_equal (progress.eta_s, 0.0, 1e-9);
}

static void
test_clock_gone_back_counts_as_no_time (void **state)
{
    (void)state;
    int64_t at[JOBSTATE_COUNT] = {
        [JOB_QUEUED] = S_CREATED, [JOB_RENDERING] = S_CREATED};
    jobprogress_t progress = jobprogress_compute (JOB_RENDERING, S_CREATED, at,
                                                  10, 20, S_CREATED - 60000);
    assert_float_equal (progress.elapsed_s, 0.0, 1e-9);
    //  Ten pages in (at least) a millisecond.
    assert_float_equal (progress.pages_per_s, 10000.0, 1e-9);
    assert_float_equal (progress.eta_s, 0.001, 1e-9);
}

static void
test_estimate_scales_earlier_rates (void **state)
{
    (void)state;
    double seconds = -1, bytes = -1;
    //  3000 pages in 6 s and 1,500,000 bytes: 500 pages/s, 500 bytes/page.
    assert_true (
        jobprogress_estimate (2000, 3000, 1500000, 6000, &seconds, &bytes));
    assert_float_equal (seconds, 4.0, 1e-9);
    assert_float_equal (bytes, 1000000.0, 1e-9);
    assert_true (jobprogress_estimate (1, 3, 1000, 7, &seconds, &bytes));
    assert_float_equal (seconds, 0.0, 1e-9); // 2.33 ms, to a tenth of a s
    assert_float_equal (bytes, 333.0, 1e-9);
}

static void
test_estimate_without_sample_is_unknown (void **state)
{
    (void)state;
    double seconds = -1, bytes = -1;
    assert_false (jobprogress_estimate (2000, 0, 0, 0, &seconds, &bytes));
    assert_false (jobprogress_estimate (2000, 10, 100, 0, &seconds, &bytes));
    assert_float_equal (seconds, -1, 1e-9);
    assert_float_equal (bytes, -1, 1e-9);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_queued_job_has_elapsed_time_and_no_rate),
        cmocka_unit_test (test_rendering_rate_counts_from_rendering),
        cmocka_unit_test (test_rendering_without_pages_has_no_rate),
        cmocka_unit_test (
            test_merging_job_keeps_rendering_rate_and_nothing_left),
        cmocka_unit_test (test_ended_job_is_frozen_at_its_end),
        cmocka_unit_test (test_cancelled_job_left_pages_still_has_no_time_left),
        cmocka_unit_test (test_clock_gone_back_counts_as_no_time),
        cmocka_unit_test (test_estimate_scales_earlier_rates),
        cmocka_unit_test (test_estimate_without_sample_is_unknown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
