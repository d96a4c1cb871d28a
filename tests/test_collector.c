/*  test_collector - the sink's verdicts on RESULTs: stored, complete,
    duplicate, dropped, finished (outcome sent again from the tombstone)
    and failed (the spool cannot take the chunk).

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "sinktest.h"
#include "testassert.h"
#include "testdir.h"
#include "testfile.h"

#define S_JOB "0123456789abcdef0123456789abcdef"

typedef struct {
    testdir_t *testdir; // the spool
    collector_t *collector;
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)zmalloc (sizeof (s_fixture_t));
    fixture->testdir = testdir_new ("test_collector");
    fixture->collector = collector_new (testdir_path (fixture->testdir));
    assert_non_null (fixture->collector);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    collector_destroy (&fixture->collector);
    testdir_destroy (&fixture->testdir);
    free (fixture);
    return 0;
}

static collector_verdict_t
s_offer (s_fixture_t *fixture, const char *job_id, uint32_t chunk_nbr,
         char *reason)
{
    //  A job of two one-page chunks.
    wire_t *result = sinktest_result (job_id, chunk_nbr, 2, 1);
    collector_verdict_t verdict =
        collector_offer (fixture->collector, result, reason);
    wire_destroy (&result);
    return verdict;
}

static void
test_chunks_are_stored_until_complete_then_duplicates (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[COLLECTOR_REASON_MAX];
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), COLLECTOR_STORED);
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), COLLECTOR_DUPLICATE);
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), COLLECTOR_COMPLETE);
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), COLLECTOR_DUPLICATE);
    const assembly_t *job = collector_assembly (fixture->collector, S_JOB);
    assert_non_null (job);
    assert_true (assembly_complete (job));
    assert_null (collector_outcome (fixture->collector, S_JOB));
}

static void
test_late_chunk_of_done_job_repeats_the_outcome (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[COLLECTOR_REASON_MAX];
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), COLLECTOR_STORED);
    sinktest_tombstone (testdir_path (fixture->testdir), S_JOB,
                        "done 1234 file:///out/a b.pdf");
    collector_forget (fixture->collector, S_JOB);
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), COLLECTOR_FINISHED);
    wire_t *outcome = collector_outcome (fixture->collector, S_JOB);
    assert_non_null (outcome);
    assert_int_equal (wire_id (outcome), WIRE_JOB_DONE);
    assert_string_equal (wire_job_id (outcome), S_JOB);
    assert_int_equal (wire_bytes (outcome), 1234);
    assert_string_equal (wire_location (outcome), "file:///out/a b.pdf");
    wire_destroy (&outcome);
    assert_false (collector_cancelled (fixture->collector, S_JOB));
}

static void
test_failed_job_repeats_its_reason (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    sinktest_tombstone (testdir_path (fixture->testdir), S_JOB,
                        "failed merge failed: bad chunk");
    char reason[COLLECTOR_REASON_MAX];
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), COLLECTOR_FINISHED);
    wire_t *outcome = collector_outcome (fixture->collector, S_JOB);
    assert_non_null (outcome);
    assert_int_equal (wire_id (outcome), WIRE_JOB_FAILED);
    assert_string_equal (wire_reason (outcome), "merge failed: bad chunk");
    wire_destroy (&outcome);
}

static void
test_cancelled_job_drops_chunks_silently (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[COLLECTOR_REASON_MAX];
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), COLLECTOR_STORED);
    assert_int_equal (collector_cancel (fixture->collector, S_JOB), 0);
    assert_null (collector_assembly (fixture->collector, S_JOB));
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), COLLECTOR_DROPPED);
    assert_null (collector_outcome (fixture->collector, S_JOB));
    assert_true (collector_cancelled (fixture->collector, S_JOB));
}

static void
test_failed_job_keeps_its_reason_for_later_chunks (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[COLLECTOR_REASON_MAX];
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), COLLECTOR_STORED);
    assert_int_equal (
        collector_fail (fixture->collector, S_JOB, "chunks are gone"), 0);
    assert_null (collector_assembly (fixture->collector, S_JOB));
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), COLLECTOR_FINISHED);
    wire_t *outcome = collector_outcome (fixture->collector, S_JOB);
    assert_non_null (outcome);
    assert_int_equal (wire_id (outcome), WIRE_JOB_FAILED);
    assert_string_equal (wire_reason (outcome), "chunks are gone");
    wire_destroy (&outcome);
}

static void
test_unknown_job_has_no_outcome (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_null (collector_outcome (fixture->collector, S_JOB));
    assert_false (collector_cancelled (fixture->collector, S_JOB));
}

static void
test_chunk_the_spool_cannot_take_fails_its_job (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[COLLECTOR_REASON_MAX];
    //  Another job is held and must survive.
    const char *other = "other-job";
    assert_int_equal (s_offer (fixture, other, 0, reason), COLLECTOR_STORED);
    //  A file where the job's directory should go: every write fails.
    char *blocker = testdir_join (fixture->testdir, "%s", S_JOB);
    testfile_write (blocker, NULL, 0);
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), COLLECTOR_FAILED);
    assert_non_null (strstr (reason, "could not write chunk 0 to its spool"));
    assert_null (collector_assembly (fixture->collector, S_JOB));
    //  The failure is recorded: later chunks repeat it.
    wire_t *outcome = collector_outcome (fixture->collector, S_JOB);
    assert_non_null (outcome);
    assert_int_equal (wire_id (outcome), WIRE_JOB_FAILED);
    assert_string_equal (wire_reason (outcome), reason);
    wire_destroy (&outcome);
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), COLLECTOR_FINISHED);
    assert_non_null (collector_assembly (fixture->collector, other));
    unlink (blocker);
    zstr_free (&blocker);
}

static void
test_a_spool_over_its_quota_takes_no_new_job (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[COLLECTOR_REASON_MAX];
    const char *open_job = "open-job";
    assert_int_equal (s_offer (fixture, open_job, 0, reason), COLLECTOR_STORED);
    //  The spool holds more than a quota of one byte now.
    collector_set_quota (fixture->collector, 1);
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), COLLECTOR_FAILED);
    assert_non_null (strstr (reason, "--max-spool-mb"));
    assert_null (collector_assembly (fixture->collector, S_JOB));
    //  The job it refused is failed for good; an open job goes on.
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), COLLECTOR_FINISHED);
    assert_int_equal (s_offer (fixture, open_job, 1, reason),
                      COLLECTOR_COMPLETE);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_chunks_are_stored_until_complete_then_duplicates, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_late_chunk_of_done_job_repeats_the_outcome, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_failed_job_repeats_its_reason,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_cancelled_job_drops_chunks_silently, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_failed_job_keeps_its_reason_for_later_chunks, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_unknown_job_has_no_outcome,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_chunk_the_spool_cannot_take_fails_its_job, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_spool_over_its_quota_takes_no_new_job, s_setup, s_teardown),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return failed;
}
