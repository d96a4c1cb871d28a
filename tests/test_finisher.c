/*  test_finisher - sink/finisher: chunks are appended to the job's
    output in order as they are spooled, an early one waiting on disk, for
    at most FINISHER_APPENDERS_MAX jobs at once (others are merged once
    complete); a damaged chunk fails the job while appending; cancelling
    drops the partial output and a restart writes the output again from
    chunk 0; a complete job waits for its output,
    then is merged and stored in a local store, its tombstone written and
    its chunks removed; jobs run one at a time in the order their output
    came, each lane's, and a short job is finished while a long job's
    lane is held up; bad outputs are refused; a missing or damaged chunk and a store
    that refuses the result fail the job; cancelling drops a waiting or
    queued job and discards the result of one in progress; the messages
    for the ventilator (JOB_STATE, JOB_DONE, JOB_FAILED).

    Chunks are rendered by worker/render and spooled as the collector
    does; the finisher runs its real thread on a spool and a file:// store
    in a temporary directory.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>
#include <inttypes.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sinktest.h"
#include "finisher.h"
#include "merge.h"
#include "spool.h"

#define S_JOB "0123456789abcdef0123456789abcdef"
#define S_OTHER_JOB "fedcba9876543210fedcba9876543210"

typedef struct {
    char root[64];   // mkdtemp directory
    char *spool_dir; // root/spool
    char *store_dir; // root/out, the store
    char *fifo;      // a chunk that holds its lane up, or NULL
    finisher_t *finisher;
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    strcpy (fixture->root, "/tmp/test_finisher.XXXXXX");
    assert_non_null (mkdtemp (fixture->root));
    fixture->spool_dir = zsys_sprintf ("%s/spool", fixture->root);
    fixture->store_dir = zsys_sprintf ("%s/out", fixture->root);
    char *store_url = zsys_sprintf ("file://%s", fixture->store_dir);
    fixture->finisher = finisher_new (fixture->spool_dir, store_url);
    assert_non_null (fixture->finisher);
    zstr_free (&store_url);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    //  A lane still held up by the FIFO reads its end (a failed test).
    int fd = fixture->fifo ? open (fixture->fifo, O_WRONLY | O_NONBLOCK) : -1;
    if (fd >= 0)
        close (fd);
    zstr_free (&fixture->fifo);
    finisher_destroy (&fixture->finisher);
    char *command = zsys_sprintf ("rm -rf '%s'", fixture->root);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
    zstr_free (&fixture->spool_dir);
    zstr_free (&fixture->store_dir);
    free (fixture);
    return 0;
}

//  Spool every chunk of job_id, a job of chunk_count chunks of two pages.
static void
s_spool_job (s_fixture_t *fixture, const char *job_id, uint32_t chunk_count)
{
    for (uint32_t chunk_nbr = 0; chunk_nbr < chunk_count; chunk_nbr++)
        sinktest_spool_chunk (fixture->spool_dir, job_id, chunk_nbr,
                              chunk_count, 2);
}

//  The next message for the ventilator must be command about job_id, with
//  text (when not NULL). Returns it; caller destroys it.
static wire_t *
s_expect (s_fixture_t *fixture, int command, const char *job_id,
          const char *text)
{
    wire_t *event = finisher_recv (fixture->finisher);
    assert_non_null (event);
    assert_int_equal (wire_id (event), command);
    assert_string_equal (wire_job_id (event), job_id);
    if (text && command == WIRE_JOB_STATE)
        assert_string_equal (wire_state (event), text);
    else if (text && command == WIRE_JOB_DONE)
        assert_string_equal (wire_location (event), text);
    return event;
}

static void
s_expect_state (s_fixture_t *fixture, const char *job_id, const char *state)
{
    wire_t *event = s_expect (fixture, WIRE_JOB_STATE, job_id, state);
    wire_destroy (&event);
}

//  The reports of a job that ends well: merging, storing, then JOB_DONE
//  (returned, with location when not NULL; caller destroys it).
static wire_t *
s_expect_done (s_fixture_t *fixture, const char *job_id, const char *location)
{
    s_expect_state (fixture, job_id, "merging");
    s_expect_state (fixture, job_id, "storing");
    return s_expect (fixture, WIRE_JOB_DONE, job_id, location);
}

//  The text of job_id's tombstone, or NULL. Caller frees.
static char *
s_outcome (s_fixture_t *fixture, const char *job_id)
{
    spool_t *spool = spool_new (fixture->spool_dir);
    assert_non_null (spool);
    char *outcome = spool_outcome (spool, job_id);
    spool_destroy (&spool);
    return outcome;
}

//  The next message must be JOB_FAILED for job_id with a reason that
//  starts with reason_start, and the job's tombstone must hold the same
//  reason.
static void
s_expect_failed (s_fixture_t *fixture, const char *job_id,
                 const char *reason_start)
{
    wire_t *failed = s_expect (fixture, WIRE_JOB_FAILED, job_id, NULL);
    const char *reason = wire_reason (failed);
    if (strncmp (reason, reason_start, strlen (reason_start)) != 0)
        fail_msg ("reason '%s' does not start with '%s'", reason, reason_start);
    char *expected = zsys_sprintf ("failed %s", reason);
    char *outcome = s_outcome (fixture, job_id);
    assert_non_null (outcome);
    assert_string_equal (outcome, expected);
    zstr_free (&outcome);
    zstr_free (&expected);
    wire_destroy (&failed);
}

//  True when the spool still holds a directory for job_id.
static bool
s_job_spooled (s_fixture_t *fixture, const char *job_id)
{
    char *dir = zsys_sprintf ("%s/%s", fixture->spool_dir, job_id);
    struct stat info;
    bool spooled = stat (dir, &info) == 0;
    zstr_free (&dir);
    return spooled;
}

//  The number of pages of the stored object under key; fails the test
//  when it is missing or not a PDF.
static uint32_t
s_stored_pages (s_fixture_t *fixture, const char *key)
{
    char *path = zsys_sprintf ("%s/%s", fixture->store_dir, key);
    zfile_t *file = zfile_new (NULL, path);
    assert_non_null (file);
    assert_int_equal (zfile_input (file), 0);
    zchunk_t *data = zfile_read (file, zfile_cursize (file), 0);
    assert_non_null (data);
    uint32_t pages = 0;
    char error[MERGE_ERROR_MAX];
    if (merge_count_pages (zchunk_data (data), zchunk_size (data), &pages,
                           error) == -1)
        fail_msg ("%s: %s", path, error);
    zchunk_destroy (&data);
    zfile_destroy (&file);
    zstr_free (&path);
    return pages;
}

static bool
s_stored (s_fixture_t *fixture, const char *key)
{
    char *path = zsys_sprintf ("%s/%s", fixture->store_dir, key);
    bool stored = access (path, F_OK) == 0;
    zstr_free (&path);
    return stored;
}

//  Spool chunk chunk_nbr of job_id (chunk_count chunks of two pages) and
//  tell the finisher, as the reporter does.
static void
s_spool_and_tell (s_fixture_t *fixture, const char *job_id, uint32_t chunk_nbr,
                  uint32_t chunk_count)
{
    sinktest_spool_chunk (fixture->spool_dir, job_id, chunk_nbr, chunk_count,
                          2);
    spool_t *spool = spool_new (fixture->spool_dir);
    assembly_t *chunks = spool_load (spool, job_id);
    assert_non_null (chunks);
    finisher_spooled (fixture->finisher, chunks, chunk_nbr);
    assembly_destroy (&chunks);
    spool_destroy (&spool);
}

//  Let the thread append what it can; appending reports nothing.
static void
s_drain_appends (s_fixture_t *fixture)
{
    while (finisher_busy (fixture->finisher))
        assert_null (finisher_recv (fixture->finisher));
}

//  True when job_id's partial output is in its spool directory.
static bool
s_partial_output (s_fixture_t *fixture, const char *job_id)
{
    char *path =
        zsys_sprintf ("%s/%s/.merged.pdf.part", fixture->spool_dir, job_id);
    bool present = access (path, F_OK) == 0;
    zstr_free (&path);
    return present;
}

//  Give complete job_id its output key: it must be stored there, done,
//  with pages pages.
static void
s_store_as (s_fixture_t *fixture, const char *job_id, const char *key,
            uint32_t pages)
{
    assert_int_equal (finisher_output (fixture->finisher, job_id, key, ""), 0);
    wire_t *done = s_expect_done (fixture, job_id, NULL);
    wire_destroy (&done);
    assert_int_equal (s_stored_pages (fixture, key), pages);
}

static void
test_new_refuses_a_store_it_cannot_open (void **state)
{
    s_fixture_t *fixture = *state;
    assert_null (finisher_new (fixture->spool_dir, "ftp://example.com/out"));
}

static void
test_complete_job_is_merged_and_stored_once_its_output_is_known (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_job (fixture, S_JOB, 3);
    finisher_submit (fixture->finisher, S_JOB);
    assert_false (finisher_busy (fixture->finisher));
    assert_int_equal (finisher_output (fixture->finisher, S_JOB,
                                       S_JOB "/jobs/a.pdf", "Invoices.pdf"),
                      0);
    assert_true (finisher_busy (fixture->finisher));

    char *location =
        zsys_sprintf ("file://%s/" S_JOB "/jobs/a.pdf", fixture->store_dir);
    wire_t *done = s_expect_done (fixture, S_JOB, location);
    assert_false (finisher_busy (fixture->finisher));

    assert_int_equal (s_stored_pages (fixture, S_JOB "/jobs/a.pdf"), 6);
    char *path = zsys_sprintf ("%s/" S_JOB "/jobs/a.pdf", fixture->store_dir);
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    assert_int_equal (wire_bytes (done), (uint64_t)info.st_size);
    char *expected =
        zsys_sprintf ("done %" PRIu64 " %s", wire_bytes (done), location);
    char *outcome = s_outcome (fixture, S_JOB);
    assert_non_null (outcome);
    assert_string_equal (outcome, expected);
    assert_false (s_job_spooled (fixture, S_JOB));
    zstr_free (&outcome);
    zstr_free (&expected);
    zstr_free (&path);
    zstr_free (&location);
    wire_destroy (&done);
}

static void
test_output_for_a_job_not_submitted_does_nothing (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_job (fixture, S_JOB, 1);
    assert_int_equal (
        finisher_output (fixture->finisher, S_JOB, S_JOB "/a.pdf", ""), 0);
    assert_false (finisher_busy (fixture->finisher));
    //  Submitted now, the job waits for the ventilator to say it again.
    finisher_submit (fixture->finisher, S_JOB);
    assert_false (finisher_busy (fixture->finisher));
    assert_int_equal (
        finisher_output (fixture->finisher, S_JOB, S_JOB "/a.pdf", NULL), 0);
    assert_true (finisher_busy (fixture->finisher));
    wire_t *done = s_expect_done (fixture, S_JOB, NULL);
    wire_destroy (&done);
    assert_true (s_stored (fixture, S_JOB "/a.pdf"));
}

static void
test_bad_output_is_refused_and_the_job_keeps_waiting (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_job (fixture, S_JOB, 1);
    finisher_submit (fixture->finisher, S_JOB);
    assert_int_equal (
        finisher_output (fixture->finisher, S_JOB, "../a.pdf", "a.pdf"), -1);
    assert_int_equal (finisher_output (fixture->finisher, S_JOB, "", "a.pdf"),
                      -1);
    //  A job writes only under its own id: not another job's, not beside.
    assert_int_equal (finisher_output (fixture->finisher, S_JOB,
                                       S_OTHER_JOB "/a.pdf", "a.pdf"),
                      -1);
    assert_int_equal (
        finisher_output (fixture->finisher, S_JOB, "a.pdf", "a.pdf"), -1);
    assert_int_equal (
        finisher_output (fixture->finisher, S_JOB, S_JOB "x/a.pdf", "a.pdf"),
        -1);
    assert_int_equal (finisher_output (fixture->finisher, S_JOB, S_JOB "/a.pdf",
                                       "line\nbreak.pdf"),
                      -1);
    assert_false (finisher_busy (fixture->finisher));
    assert_int_equal (
        finisher_output (fixture->finisher, S_JOB, S_JOB "/a.pdf", "a.pdf"), 0);
    assert_true (finisher_busy (fixture->finisher));
    wire_t *done = s_expect_done (fixture, S_JOB, NULL);
    wire_destroy (&done);
}

static void
test_jobs_are_finished_one_at_a_time_in_output_order (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_job (fixture, S_JOB, 2);
    s_spool_job (fixture, S_OTHER_JOB, 1);
    finisher_submit (fixture->finisher, S_JOB);
    finisher_submit (fixture->finisher, S_OTHER_JOB);
    //  Submitting again changes nothing: the job runs once.
    finisher_submit (fixture->finisher, S_OTHER_JOB);
    assert_int_equal (finisher_output (fixture->finisher, S_OTHER_JOB,
                                       S_OTHER_JOB "/other.pdf", ""),
                      0);
    assert_int_equal (
        finisher_output (fixture->finisher, S_JOB, S_JOB "/job.pdf", ""), 0);
    finisher_submit (fixture->finisher, S_JOB);
    //  Repeated while queued: it stays queued once.
    assert_int_equal (
        finisher_output (fixture->finisher, S_JOB, S_JOB "/job.pdf", ""), 0);

    wire_t *done = s_expect_done (fixture, S_OTHER_JOB, NULL);
    wire_destroy (&done);
    assert_true (finisher_busy (fixture->finisher));
    done = s_expect_done (fixture, S_JOB, NULL);
    wire_destroy (&done);
    assert_false (finisher_busy (fixture->finisher));
    assert_int_equal (s_stored_pages (fixture, S_OTHER_JOB "/other.pdf"), 2);
    assert_int_equal (s_stored_pages (fixture, S_JOB "/job.pdf"), 4);
}

static void
test_missing_chunk_fails_the_job (void **state)
{
    s_fixture_t *fixture = *state;
    //  Chunk 1 of 2 only: the chunks the collector had are gone.
    sinktest_spool_chunk (fixture->spool_dir, S_JOB, 1, 2, 2);
    finisher_submit (fixture->finisher, S_JOB);
    finisher_output (fixture->finisher, S_JOB, S_JOB "/a.pdf", "");
    s_expect_state (fixture, S_JOB, "merging");
    s_expect_failed (fixture, S_JOB, "the spool holds 1 of 2 chunks");
    assert_false (finisher_busy (fixture->finisher));
    assert_false (s_stored (fixture, S_JOB "/a.pdf"));
    assert_false (s_job_spooled (fixture, S_JOB));
}

static void
test_damaged_chunk_fails_the_merge (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_job (fixture, S_JOB, 2);
    //  Damage chunk 1 on disk after it was spooled.
    spool_t *spool = spool_new (fixture->spool_dir);
    assembly_t *job = spool_load (spool, S_JOB);
    assert_non_null (job);
    char *path = spool_chunk_path (spool, job, 1);
    assert_non_null (path);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs ("%PDF-1.4\nnot a PDF after all\n", file);
    fclose (file);
    zstr_free (&path);
    assembly_destroy (&job);
    spool_destroy (&spool);

    finisher_submit (fixture->finisher, S_JOB);
    finisher_output (fixture->finisher, S_JOB, S_JOB "/a.pdf", "");
    s_expect_state (fixture, S_JOB, "merging");
    s_expect_failed (fixture, S_JOB, "merge failed: input 2 of 2: ");
    assert_false (s_stored (fixture, S_JOB "/a.pdf"));
}

static void
test_store_refusing_the_result_fails_the_job (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_job (fixture, S_JOB, 1);
    //  A file where the key's directory should go.
    char *job_dir = zsys_sprintf ("%s/" S_JOB, fixture->store_dir);
    assert_int_equal (mkdir (job_dir, 0755), 0);
    zstr_free (&job_dir);
    char *blocker = zsys_sprintf ("%s/" S_JOB "/blocked", fixture->store_dir);
    FILE *file = fopen (blocker, "w");
    assert_non_null (file);
    fclose (file);
    finisher_submit (fixture->finisher, S_JOB);
    finisher_output (fixture->finisher, S_JOB, S_JOB "/blocked/a.pdf", "");
    s_expect_state (fixture, S_JOB, "merging");
    s_expect_state (fixture, S_JOB, "storing");
    s_expect_failed (fixture, S_JOB, "storing failed: store: ");
    assert_false (s_job_spooled (fixture, S_JOB));
    zstr_free (&blocker);
}

static void
test_cancelled_waiting_job_is_forgotten (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_job (fixture, S_JOB, 1);
    finisher_submit (fixture->finisher, S_JOB);
    finisher_cancel (fixture->finisher, S_JOB);
    assert_int_equal (
        finisher_output (fixture->finisher, S_JOB, S_JOB "/a.pdf", ""), 0);
    assert_false (finisher_busy (fixture->finisher));
}

static void
test_cancelled_queued_job_never_starts (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_job (fixture, S_JOB, 1);
    s_spool_job (fixture, S_OTHER_JOB, 1);
    finisher_submit (fixture->finisher, S_JOB);
    finisher_submit (fixture->finisher, S_OTHER_JOB);
    finisher_output (fixture->finisher, S_JOB, S_JOB "/job.pdf", "");
    finisher_output (fixture->finisher, S_OTHER_JOB, S_OTHER_JOB "/other.pdf",
                     "");
    finisher_cancel (fixture->finisher, S_OTHER_JOB);
    wire_t *done = s_expect_done (fixture, S_JOB, NULL);
    wire_destroy (&done);
    assert_false (finisher_busy (fixture->finisher));
    assert_false (s_stored (fixture, S_OTHER_JOB "/other.pdf"));
    //  The queued job's chunks stay: the collector removes them.
    assert_true (s_job_spooled (fixture, S_OTHER_JOB));
}

static void
test_chunks_are_appended_in_order_as_they_are_spooled (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_and_tell (fixture, S_JOB, 1, 3);
    //  Chunk 0 is not there: chunk 1 waits on disk.
    assert_false (finisher_busy (fixture->finisher));
    assert_int_equal (finisher_appended (fixture->finisher, S_JOB), 0);
    assert_false (s_partial_output (fixture, S_JOB));
    s_spool_and_tell (fixture, S_JOB, 0, 3);
    assert_true (finisher_busy (fixture->finisher));
    s_drain_appends (fixture);
    assert_int_equal (finisher_appended (fixture->finisher, S_JOB), 2);
    assert_true (s_partial_output (fixture, S_JOB));
    //  No output yet: the last chunk is appended, nothing more.
    s_spool_and_tell (fixture, S_JOB, 2, 3);
    finisher_submit (fixture->finisher, S_JOB);
    s_drain_appends (fixture);
    assert_int_equal (finisher_appended (fixture->finisher, S_JOB), 3);
    s_store_as (fixture, S_JOB, S_JOB "/a.pdf", 6);
    assert_false (s_job_spooled (fixture, S_JOB));
}

//  The ventilator says where the result goes when chunk 0 is stored: the
//  finisher keeps it, and stores the job once complete without another.
static void
test_output_told_while_appending_is_kept_until_complete (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_and_tell (fixture, S_JOB, 0, 2);
    assert_int_equal (
        finisher_output (fixture->finisher, S_JOB, S_JOB "/early/a.pdf", "a.pdf"), 0);
    s_drain_appends (fixture);
    //  A repeat with another key changes nothing.
    assert_int_equal (
        finisher_output (fixture->finisher, S_JOB, S_JOB "/other.pdf", ""), 0);
    s_spool_and_tell (fixture, S_JOB, 1, 2);
    s_drain_appends (fixture);
    finisher_submit (fixture->finisher, S_JOB);
    wire_t *done = s_expect_done (fixture, S_JOB, NULL);
    wire_destroy (&done);
    assert_int_equal (s_stored_pages (fixture, S_JOB "/early/a.pdf"), 4);
    assert_false (s_stored (fixture, S_JOB "/other.pdf"));
}

static void
test_jobs_beyond_the_appender_bound_are_merged_once_complete (void **state)
{
    s_fixture_t *fixture = *state;
    char job_ids[FINISHER_APPENDERS_MAX + 1][33];
    for (int job = 0; job <= FINISHER_APPENDERS_MAX; job++) {
        snprintf (job_ids[job], sizeof job_ids[job], "job%029d", job);
        s_spool_and_tell (fixture, job_ids[job], 0, 2);
    }
    s_drain_appends (fixture);
    for (int job = 0; job < FINISHER_APPENDERS_MAX; job++)
        assert_int_equal (finisher_appended (fixture->finisher, job_ids[job]),
                          1);
    const char *last = job_ids[FINISHER_APPENDERS_MAX];
    assert_int_equal (finisher_appended (fixture->finisher, last), 0);
    assert_false (s_partial_output (fixture, last));
    s_spool_and_tell (fixture, last, 1, 2);
    finisher_submit (fixture->finisher, last);
    s_drain_appends (fixture);
    assert_int_equal (finisher_appended (fixture->finisher, last), 0);
    char *last_key = zsys_sprintf ("%s/last.pdf", last);
    s_store_as (fixture, last, last_key, 4);
    zstr_free (&last_key);
}

static void
test_damaged_chunk_fails_the_job_while_appending (void **state)
{
    s_fixture_t *fixture = *state;
    sinktest_spool_chunk (fixture->spool_dir, S_JOB, 0, 2, 2);
    spool_t *spool = spool_new (fixture->spool_dir);
    assembly_t *chunks = spool_load (spool, S_JOB);
    char *path = spool_chunk_path (spool, chunks, 0);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs ("%PDF-1.4\nnot a PDF after all\n", file);
    fclose (file);
    finisher_spooled (fixture->finisher, chunks, 0);
    //  No JOB_STATE: the job is not complete; it fails at once.
    s_expect_failed (fixture, S_JOB, "merge failed: input 1 of 2: ");
    assert_false (finisher_busy (fixture->finisher));
    assert_false (s_job_spooled (fixture, S_JOB));
    zstr_free (&path);
    assembly_destroy (&chunks);
    spool_destroy (&spool);
}

static void
test_cancel_discards_the_partial_output (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_and_tell (fixture, S_JOB, 0, 2);
    s_drain_appends (fixture);
    assert_true (s_partial_output (fixture, S_JOB));
    finisher_cancel (fixture->finisher, S_JOB);
    assert_int_equal (finisher_appended (fixture->finisher, S_JOB), 0);
    //  The thread drops it before it stops.
    finisher_destroy (&fixture->finisher);
    assert_false (s_partial_output (fixture, S_JOB));
}

static void
test_restart_starts_the_output_again_from_chunk_0 (void **state)
{
    s_fixture_t *fixture = *state;
    //  What a killed sink leaves: a half-written output.
    sinktest_spool_chunk (fixture->spool_dir, S_JOB, 0, 2, 2);
    char *part =
        zsys_sprintf ("%s/%s/.merged.pdf.part", fixture->spool_dir, S_JOB);
    FILE *file = fopen (part, "w");
    assert_non_null (file);
    fputs ("%PDF-1.5\nhalf a document", file);
    fclose (file);
    s_spool_and_tell (fixture, S_JOB, 1, 2);
    s_drain_appends (fixture);
    assert_int_equal (finisher_appended (fixture->finisher, S_JOB), 2);
    finisher_submit (fixture->finisher, S_JOB);
    s_store_as (fixture, S_JOB, S_JOB "/a.pdf", 4);
    zstr_free (&part);
}

//  Append chunks 0 to 5 of a 7-chunk job as they are spooled, then stop
//  the finisher as a sink stops: the first FINISHER_CHECKPOINT_CHUNKS
//  are in a checkpoint and released from the spool.
static void
s_append_and_stop (s_fixture_t *fixture)
{
    for (uint32_t chunk_nbr = 0; chunk_nbr < 6; chunk_nbr++)
        s_spool_and_tell (fixture, S_JOB, chunk_nbr, 7);
    s_drain_appends (fixture);
    assert_int_equal (finisher_appended (fixture->finisher, S_JOB), 6);
    spool_t *spool = spool_new (fixture->spool_dir);
    assert_int_equal (spool_released (spool, S_JOB), FINISHER_CHECKPOINT_CHUNKS);
    assembly_t *chunks = spool_load (spool, S_JOB);
    assert_int_equal (assembly_present (chunks), 6);
    for (uint32_t chunk_nbr = 0; chunk_nbr < 6; chunk_nbr++) {
        char *path = spool_chunk_path (spool, chunks, chunk_nbr);
        assert_int_equal (access (path, F_OK) == 0,
                          chunk_nbr >= FINISHER_CHECKPOINT_CHUNKS);
        zstr_free (&path);
    }
    assembly_destroy (&chunks);
    spool_destroy (&spool);
    finisher_destroy (&fixture->finisher);
    assert_true (s_partial_output (fixture, S_JOB));
    char *store_url = zsys_sprintf ("file://%s", fixture->store_dir);
    fixture->finisher = finisher_new (fixture->spool_dir, store_url);
    assert_non_null (fixture->finisher);
    zstr_free (&store_url);
    sinktest_spool_chunk (fixture->spool_dir, S_JOB, 6, 7, 2);
}

static void
test_restart_takes_the_output_up_from_its_checkpoint (void **state)
{
    s_fixture_t *fixture = *state;
    s_append_and_stop (fixture);
    //  Killed after the checkpoint, before chunks 2 and 3 were released:
    //  they are appended already, and released only now.
    char *released =
        zsys_sprintf ("%s/%s/released", fixture->spool_dir, S_JOB);
    assert_int_equal (truncate (released, strlen ("0 1 2\n1 3 2\n")), 0);
    sinktest_spool_chunk (fixture->spool_dir, S_JOB, 2, 7, 2);
    sinktest_spool_chunk (fixture->spool_dir, S_JOB, 3, 7, 2);
    //  Merged once complete (no appender): from the checkpoint on.
    finisher_submit (fixture->finisher, S_JOB);
    s_store_as (fixture, S_JOB, S_JOB "/a.pdf", 14);
    assert_false (s_job_spooled (fixture, S_JOB));
    zstr_free (&released);
}

static void
test_checkpoint_that_cannot_be_taken_up_fails_the_job (void **state)
{
    s_fixture_t *fixture = *state;
    s_append_and_stop (fixture);
    //  The output is shorter than its journal says, and chunks 0 to 3 are
    //  only in it.
    char *part =
        zsys_sprintf ("%s/%s/.merged.pdf.part", fixture->spool_dir, S_JOB);
    assert_int_equal (truncate (part, 100), 0);
    finisher_submit (fixture->finisher, S_JOB);
    assert_int_equal (finisher_output (fixture->finisher, S_JOB,
                                       S_JOB "/a.pdf", ""),
                      0);
    s_expect_state (fixture, S_JOB, "merging");
    s_expect_failed (fixture, S_JOB,
                     "merge failed: the pages of chunks 1 to 4 are only in "
                     "the partial output, which cannot be taken up again");
    assert_false (s_stored (fixture, S_JOB "/a.pdf"));
    assert_false (s_job_spooled (fixture, S_JOB));
    zstr_free (&part);
}

static void
test_cancelled_job_in_progress_is_discarded_silently (void **state)
{
    s_fixture_t *fixture = *state;
    s_spool_job (fixture, S_JOB, 2);
    finisher_submit (fixture->finisher, S_JOB);
    finisher_output (fixture->finisher, S_JOB, S_JOB "/a.pdf", "");
    finisher_cancel (fixture->finisher, S_JOB);
    //  merging, storing and done: each is swallowed.
    assert_true (finisher_busy (fixture->finisher));
    for (int report = 0; report < 3; report++)
        assert_null (finisher_recv (fixture->finisher));
    assert_false (finisher_busy (fixture->finisher));
    //  The thread removes the result before it stops.
    finisher_destroy (&fixture->finisher);
    assert_false (s_stored (fixture, S_JOB "/a.pdf"));
    assert_false (s_job_spooled (fixture, S_JOB));
}

static void
test_short_job_finishes_while_a_long_one_is_held_up (void **state)
{
    s_fixture_t *fixture = *state;
    //  Nothing here may hang the suite: a missing report fails instead.
    zsock_set_rcvtimeo (finisher_sock (fixture->finisher), 10000);
    //  A long job (one page over the short lane's bound) whose chunk 0 is
    //  a FIFO: its lane is held in the append until the test writes.
    uint32_t chunk_pages = FINISHER_SHORT_PAGES / 2 + 1;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *chunks =
        assembly_new (S_OTHER_JOB, 2, 2 * chunk_pages, reason);
    assert_non_null (chunks);
    assert_int_equal (assembly_add (chunks, 0, 1, chunk_pages, reason),
                      ASSEMBLY_NEW);
    spool_t *spool = spool_new (fixture->spool_dir);
    char *job_dir = zsys_sprintf ("%s/%s", fixture->spool_dir, S_OTHER_JOB);
    assert_int_equal (mkdir (job_dir, 0700), 0);
    fixture->fifo = spool_chunk_path (spool, chunks, 0);
    assert_int_equal (mkfifo (fixture->fifo, 0600), 0);
    finisher_spooled (fixture->finisher, chunks, 0);
    assert_true (finisher_busy (fixture->finisher));

    //  A short job goes through while the long one's append is held.
    s_spool_and_tell (fixture, S_JOB, 0, 1);
    assert_null (finisher_recv (fixture->finisher)); // its chunk appended
    finisher_submit (fixture->finisher, S_JOB);
    s_store_as (fixture, S_JOB, S_JOB "/short.pdf", 2);
    assert_true (finisher_busy (fixture->finisher));
    assert_int_equal (finisher_appended (fixture->finisher, S_OTHER_JOB), 0);

    //  Released, the long job's lane goes on (the chunk is not a PDF).
    int fd = open (fixture->fifo, O_WRONLY);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, "not a PDF\n", 10), 10);
    close (fd);
    s_expect_failed (fixture, S_OTHER_JOB, "merge failed: input 1 of 2");
    assert_false (finisher_busy (fixture->finisher));
    zstr_free (&job_dir);
    spool_destroy (&spool);
    assembly_destroy (&chunks);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_new_refuses_a_store_it_cannot_open, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_complete_job_is_merged_and_stored_once_its_output_is_known,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_output_for_a_job_not_submitted_does_nothing, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_bad_output_is_refused_and_the_job_keeps_waiting, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_jobs_are_finished_one_at_a_time_in_output_order, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_missing_chunk_fails_the_job,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_damaged_chunk_fails_the_merge,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_store_refusing_the_result_fails_the_job, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_cancelled_waiting_job_is_forgotten, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cancelled_queued_job_never_starts,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_chunks_are_appended_in_order_as_they_are_spooled, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_output_told_while_appending_is_kept_until_complete, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_jobs_beyond_the_appender_bound_are_merged_once_complete,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_short_job_finishes_while_a_long_one_is_held_up, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_damaged_chunk_fails_the_job_while_appending, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_cancel_discards_the_partial_output, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_restart_starts_the_output_again_from_chunk_0, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_cancelled_job_in_progress_is_discarded_silently, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_restart_takes_the_output_up_from_its_checkpoint, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_checkpoint_that_cannot_be_taken_up_fails_the_job, s_setup,
            s_teardown),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return failed;
}
