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

//  The verdicts of a commit, in the order given.
#define S_VERDICTS_MAX (COLLECTOR_BATCH_CHUNKS_MAX + 1)
typedef struct {
    size_t count;
    uint32_t chunk_nbrs[S_VERDICTS_MAX];
    collector_verdict_t verdicts[S_VERDICTS_MAX];
    char reason[COLLECTOR_REASON_MAX]; // the last one given
} s_committed_t;

static void
s_on_committed (const char *job_id, uint32_t chunk_nbr, uint32_t page_count,
                collector_verdict_t verdict, const char *reason, void *arg)
{
    (void)job_id;
    (void)page_count;
    s_committed_t *committed = arg;
    assert_in_range (committed->count, 0, S_VERDICTS_MAX - 1);
    committed->chunk_nbrs[committed->count] = chunk_nbr;
    committed->verdicts[committed->count++] = verdict;
    snprintf (committed->reason, sizeof committed->reason, "%s", reason);
}

//  Offer chunk chunk_nbr of job_id, a job of chunk_count one-page chunks,
//  without committing it.
static collector_verdict_t
s_offer_of (s_fixture_t *fixture, const char *job_id, uint32_t chunk_nbr,
            uint32_t chunk_count, char *reason)
{
    wire_t *result = sinktest_result (job_id, chunk_nbr, chunk_count, 1);
    collector_verdict_t verdict =
        collector_offer (fixture->collector, result, reason);
    wire_destroy (&result);
    return verdict;
}

//  Offer chunk chunk_nbr of job_id, a job of two one-page chunks, alone:
//  a chunk staged is committed at once, and its verdict returned.
static collector_verdict_t
s_offer (s_fixture_t *fixture, const char *job_id, uint32_t chunk_nbr,
         char *reason)
{
    collector_verdict_t verdict =
        s_offer_of (fixture, job_id, chunk_nbr, 2, reason);
    if (verdict != COLLECTOR_PENDING)
        return verdict;
    s_committed_t committed = {0};
    collector_commit (fixture->collector, s_on_committed, &committed);
    assert_int_equal (committed.count, 1);
    assert_int_equal (committed.chunk_nbrs[0], chunk_nbr);
    snprintf (reason, COLLECTOR_REASON_MAX, "%s", committed.reason);
    return committed.verdicts[0];
}

//  The number of chunk files under their final names in job_id's spool
//  directory (temporary names start with '.').
static size_t
s_chunk_files (s_fixture_t *fixture, const char *job_id)
{
    char *dir = zsys_sprintf ("%s/%s", testdir_path (fixture->testdir), job_id);
    zdir_t *listing = zdir_new (dir, NULL);
    size_t count = 0;
    zfile_t **files = listing ? zdir_flatten (listing) : NULL;
    for (size_t index = 0; files && files[index]; index++) {
        const char *name = strrchr (zfile_filename (files[index], NULL), '/');
        if (name && strncmp (name + 1, "chunk-", 6) == 0)
            count++;
    }
    zdir_flatten_free (&files);
    zdir_destroy (&listing);
    zstr_free (&dir);
    return count;
}

static void
test_chunks_offered_together_are_stored_by_one_commit (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[COLLECTOR_REASON_MAX];
    for (uint32_t chunk_nbr = 0; chunk_nbr < 3; chunk_nbr++)
        assert_int_equal (s_offer_of (fixture, S_JOB, chunk_nbr, 3, reason),
                          COLLECTOR_PENDING);
    //  Nothing under a final name before the commit: a crash now keeps
    //  none of them, and none was acknowledged.
    assert_int_equal (s_chunk_files (fixture, S_JOB), 0);
    s_committed_t committed = {0};
    collector_commit (fixture->collector, s_on_committed, &committed);
    assert_int_equal (committed.count, 3);
    for (uint32_t chunk_nbr = 0; chunk_nbr < 3; chunk_nbr++)
        assert_int_equal (committed.chunk_nbrs[chunk_nbr], chunk_nbr);
    assert_int_equal (committed.verdicts[0], COLLECTOR_STORED);
    assert_int_equal (committed.verdicts[1], COLLECTOR_STORED);
    assert_int_equal (committed.verdicts[2], COLLECTOR_COMPLETE);
    assert_int_equal (s_chunk_files (fixture, S_JOB), 3);
    //  A second commit has nothing to do.
    s_committed_t again = {0};
    collector_commit (fixture->collector, s_on_committed, &again);
    assert_int_equal (again.count, 0);
    //  A new collector on the spool finds them all.
    collector_destroy (&fixture->collector);
    fixture->collector = collector_new (testdir_path (fixture->testdir));
    assert_non_null (fixture->collector);
    const assembly_t *job = collector_assembly (fixture->collector, S_JOB);
    assert_non_null (job);
    assert_true (assembly_complete (job));
}

static void
test_a_copy_of_a_staged_chunk_waits_for_the_commit (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[COLLECTOR_REASON_MAX];
    assert_int_equal (s_offer_of (fixture, S_JOB, 0, 2, reason),
                      COLLECTOR_PENDING);
    //  Acknowledging the copy now would say stored before the disk does.
    assert_int_equal (s_offer_of (fixture, S_JOB, 0, 2, reason),
                      COLLECTOR_WAIT);
    s_committed_t committed = {0};
    collector_commit (fixture->collector, s_on_committed, &committed);
    assert_int_equal (committed.count, 1);
    assert_int_equal (committed.verdicts[0], COLLECTOR_STORED);
    assert_int_equal (s_offer_of (fixture, S_JOB, 0, 2, reason),
                      COLLECTOR_DUPLICATE);
}

static void
test_a_full_batch_takes_no_more_chunks (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[COLLECTOR_REASON_MAX];
    uint32_t chunk_count = COLLECTOR_BATCH_CHUNKS_MAX + 1;
    for (uint32_t chunk_nbr = 0; chunk_nbr < COLLECTOR_BATCH_CHUNKS_MAX;
         chunk_nbr++)
        assert_int_equal (
            s_offer_of (fixture, S_JOB, chunk_nbr, chunk_count, reason),
            COLLECTOR_PENDING);
    assert_int_equal (s_offer_of (fixture, S_JOB, COLLECTOR_BATCH_CHUNKS_MAX,
                                  chunk_count, reason),
                      COLLECTOR_WAIT);
    s_committed_t committed = {0};
    collector_commit (fixture->collector, s_on_committed, &committed);
    assert_int_equal (committed.count, COLLECTOR_BATCH_CHUNKS_MAX);
    assert_int_equal (s_offer_of (fixture, S_JOB, COLLECTOR_BATCH_CHUNKS_MAX,
                                  chunk_count, reason),
                      COLLECTOR_PENDING);
    collector_commit (fixture->collector, s_on_committed, &committed);
    assert_int_equal (committed.count, COLLECTOR_BATCH_CHUNKS_MAX + 1);
    assert_int_equal (committed.verdicts[COLLECTOR_BATCH_CHUNKS_MAX],
                      COLLECTOR_COMPLETE);
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
        cmocka_unit_test_setup_teardown (
            test_chunks_offered_together_are_stored_by_one_commit, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_copy_of_a_staged_chunk_waits_for_the_commit, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_a_full_batch_takes_no_more_chunks,
                                         s_setup, s_teardown),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return failed;
}
