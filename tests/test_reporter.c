/*  test_reporter - sink/reporter: what the ventilator is told for each
    RESULT (STORED, the outcome again, JOB_FAILED, nothing), for a QUERY
    (the outcome, nothing while the finisher has the job, or JOB_FAILED
    saying why), at start (every spooled chunk again) and for the
    finisher's reports; and which chunks and jobs go to the finisher.

    The reporter works with a real collector and finisher on a spool in a
    temporary directory and sends on a real inproc PUSH socket, read here
    through its PULL peer. Whether a job went to the finisher shows in
    finisher_busy once its output is given, and which chunks it has
    appended in finisher_appended. That nothing was sent shows
    when the next message read is a marker sent afterwards.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>

#include "sinktest.h"
#include "reporter.h"

#define S_JOB "0123456789abcdef0123456789abcdef"
#define S_OTHER_JOB "fedcba9876543210fedcba9876543210"
//  A job the sink has never heard of: a QUERY about it is answered with
//  JOB_FAILED and changes nothing, which makes it the marker.
#define S_MARKER_JOB "marker"

typedef struct {
    char root[64];   // mkdtemp directory
    char *spool_dir; // root/spool
    collector_t *collector;
    finisher_t *finisher;
    zsock_t *events;   // PUSH, the reporter's
    zsock_t *received; // PULL, what the ventilator would get
    reporter_t *reporter;
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    strcpy (fixture->root, "/tmp/test_reporter.XXXXXX");
    assert_non_null (mkdtemp (fixture->root));
    fixture->spool_dir = zsys_sprintf ("%s/spool", fixture->root);
    *state = fixture;
    return 0;
}

//  Start the sink's modules on the spool as it is now.
static void
s_start (s_fixture_t *fixture)
{
    static int pair_nbr = 0;
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "inproc://test_reporter-%d",
              pair_nbr++);
    fixture->received = zsock_new_pull (endpoint);
    assert_non_null (fixture->received);
    fixture->events = zsock_new_push (endpoint);
    assert_non_null (fixture->events);
    char *store_url = zsys_sprintf ("file://%s/out", fixture->root);
    fixture->collector = collector_new (fixture->spool_dir);
    assert_non_null (fixture->collector);
    fixture->finisher = finisher_new (fixture->spool_dir, store_url);
    assert_non_null (fixture->finisher);
    zstr_free (&store_url);
    fixture->reporter =
        reporter_new (fixture->collector, fixture->finisher, fixture->events);
    assert_non_null (fixture->reporter);
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    reporter_destroy (&fixture->reporter);
    finisher_destroy (&fixture->finisher);
    collector_destroy (&fixture->collector);
    zsock_destroy (&fixture->events);
    zsock_destroy (&fixture->received);
    char *command = zsys_sprintf ("rm -rf '%s'", fixture->root);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
    zstr_free (&fixture->spool_dir);
    free (fixture);
    return 0;
}

//  Hand the reporter chunk chunk_nbr of job_id, a job of chunk_count
//  chunks of two pages.
static void
s_result (s_fixture_t *fixture, const char *job_id, uint32_t chunk_nbr,
          uint32_t chunk_count)
{
    wire_t *result = sinktest_result (job_id, chunk_nbr, chunk_count, 2);
    reporter_result (fixture->reporter, result);
    reporter_flush (fixture->reporter);
    wire_destroy (&result);
}

//  The next message sent must be command about job_id. Returns it; caller
//  destroys it.
static wire_t *
s_expect (s_fixture_t *fixture, int command, const char *job_id)
{
    wire_t *event = wire_recv (fixture->received);
    assert_non_null (event);
    assert_int_equal (wire_id (event), command);
    assert_string_equal (wire_job_id (event), job_id);
    return event;
}

static void
s_expect_stored (s_fixture_t *fixture, const char *job_id, uint32_t chunk_nbr)
{
    wire_t *event = s_expect (fixture, WIRE_STORED, job_id);
    assert_int_equal (wire_chunk_nbr (event), chunk_nbr);
    assert_int_equal (wire_page_count (event), 2);
    wire_destroy (&event);
}

//  The next message must be JOB_FAILED about job_id with reason.
static void
s_expect_failed (s_fixture_t *fixture, const char *job_id, const char *reason)
{
    wire_t *event = s_expect (fixture, WIRE_JOB_FAILED, job_id);
    assert_string_equal (wire_reason (event), reason);
    wire_destroy (&event);
}

//  Nothing was sent since the last message read: the next one is the
//  marker's answer.
static void
s_expect_nothing (s_fixture_t *fixture)
{
    reporter_query (fixture->reporter, S_MARKER_JOB);
    wire_t *event = s_expect (fixture, WIRE_JOB_FAILED, S_MARKER_JOB);
    wire_destroy (&event);
}

//  Let the finisher append what it can: it reports nothing meanwhile.
static void
s_drain_appends (s_fixture_t *fixture)
{
    while (finisher_busy (fixture->finisher))
        assert_null (finisher_recv (fixture->finisher));
}

//  True when job_id went to the finisher: given its output, it starts.
static bool
s_submitted (s_fixture_t *fixture, const char *job_id)
{
    s_drain_appends (fixture);
    char key[PROTO_JOB_ID_MAX + 16];
    snprintf (key, sizeof (key), "%s/result.pdf", job_id);
    assert_int_equal (finisher_output (fixture->finisher, job_id, key, ""), 0);
    return finisher_busy (fixture->finisher);
}

static void
test_new_chunk_and_its_duplicate_are_acknowledged (void **state)
{
    s_fixture_t *fixture = *state;
    s_start (fixture);
    s_result (fixture, S_JOB, 1, 2);
    s_expect_stored (fixture, S_JOB, 1);
    s_result (fixture, S_JOB, 1, 2);
    s_expect_stored (fixture, S_JOB, 1);
    assert_false (s_submitted (fixture, S_JOB));
}

static void
test_chunks_that_come_together_are_acknowledged_once_flushed (void **state)
{
    s_fixture_t *fixture = *state;
    s_start (fixture);
    for (uint32_t chunk_nbr = 0; chunk_nbr < 3; chunk_nbr++) {
        wire_t *result = sinktest_result (S_JOB, chunk_nbr, 3, 2);
        reporter_result (fixture->reporter, result);
        wire_destroy (&result);
    }
    //  Not durable yet: not a word, and nothing for the finisher.
    s_expect_nothing (fixture);
    reporter_flush (fixture->reporter);
    for (uint32_t chunk_nbr = 0; chunk_nbr < 3; chunk_nbr++)
        s_expect_stored (fixture, S_JOB, chunk_nbr);
    assert_true (s_submitted (fixture, S_JOB));
}

static void
test_last_chunk_sends_the_job_to_the_finisher (void **state)
{
    s_fixture_t *fixture = *state;
    s_start (fixture);
    s_result (fixture, S_JOB, 1, 2);
    s_expect_stored (fixture, S_JOB, 1);
    s_result (fixture, S_JOB, 0, 2);
    s_expect_stored (fixture, S_JOB, 0);
    assert_true (s_submitted (fixture, S_JOB));
}

static void
test_chunks_go_to_the_finisher_to_append_in_order (void **state)
{
    s_fixture_t *fixture = *state;
    s_start (fixture);
    s_result (fixture, S_JOB, 1, 3);
    s_expect_stored (fixture, S_JOB, 1);
    s_drain_appends (fixture);
    //  Chunk 0 is missing: chunk 1 waits in the spool.
    assert_int_equal (finisher_appended (fixture->finisher, S_JOB), 0);
    s_result (fixture, S_JOB, 0, 3);
    s_expect_stored (fixture, S_JOB, 0);
    s_drain_appends (fixture);
    assert_int_equal (finisher_appended (fixture->finisher, S_JOB), 2);
    //  A duplicate appends nothing twice.
    s_result (fixture, S_JOB, 1, 3);
    s_expect_stored (fixture, S_JOB, 1);
    s_drain_appends (fixture);
    assert_int_equal (finisher_appended (fixture->finisher, S_JOB), 2);
}

static void
test_bad_chunk_is_dropped_without_a_word (void **state)
{
    s_fixture_t *fixture = *state;
    s_start (fixture);
    wire_t *result = sinktest_result (S_JOB, 0, 2, 2);
    wire_set_page_count (result, 3);
    reporter_result (fixture->reporter, result);
    reporter_flush (fixture->reporter);
    wire_destroy (&result);
    s_expect_nothing (fixture);
}

static void
test_late_chunk_of_a_done_job_repeats_its_outcome (void **state)
{
    s_fixture_t *fixture = *state;
    sinktest_tombstone (fixture->spool_dir, S_JOB,
                        "done 1234 file:///out/a b.pdf");
    s_start (fixture);
    s_result (fixture, S_JOB, 0, 2);
    wire_t *event = s_expect (fixture, WIRE_JOB_DONE, S_JOB);
    assert_int_equal (wire_bytes (event), 1234);
    assert_string_equal (wire_location (event), "file:///out/a b.pdf");
    wire_destroy (&event);
}

static void
test_late_chunk_of_a_cancelled_job_is_dropped (void **state)
{
    s_fixture_t *fixture = *state;
    sinktest_tombstone (fixture->spool_dir, S_JOB, "cancelled");
    s_start (fixture);
    s_result (fixture, S_JOB, 0, 2);
    s_expect_nothing (fixture);
}

static void
test_chunk_the_spool_cannot_take_fails_its_job (void **state)
{
    s_fixture_t *fixture = *state;
    s_start (fixture);
    //  A file where the job's directory should go: every write fails.
    char *blocker = zsys_sprintf ("%s/%s", fixture->spool_dir, S_JOB);
    FILE *file = fopen (blocker, "w");
    assert_non_null (file);
    fclose (file);
    s_result (fixture, S_JOB, 0, 2);
    wire_t *event = s_expect (fixture, WIRE_JOB_FAILED, S_JOB);
    assert_non_null (
        strstr (wire_reason (event), "could not write chunk 0 to its spool"));
    wire_destroy (&event);
    zstr_free (&blocker);
}

static void
test_query_about_a_finished_job_repeats_its_outcome (void **state)
{
    s_fixture_t *fixture = *state;
    sinktest_tombstone (fixture->spool_dir, S_JOB,
                        "failed merge failed: bad chunk");
    s_start (fixture);
    reporter_query (fixture->reporter, S_JOB);
    s_expect_failed (fixture, S_JOB, "merge failed: bad chunk");
}

static void
test_query_about_a_complete_job_sends_it_to_the_finisher (void **state)
{
    s_fixture_t *fixture = *state;
    sinktest_spool_chunk (fixture->spool_dir, S_JOB, 0, 1, 2);
    s_start (fixture);
    //  Finishing it is the finisher's to report: nothing is said now.
    reporter_query (fixture->reporter, S_JOB);
    s_expect_nothing (fixture);
    assert_true (s_submitted (fixture, S_JOB));
}

static void
test_query_about_a_job_missing_chunks_fails_it_for_good (void **state)
{
    s_fixture_t *fixture = *state;
    s_start (fixture);
    s_result (fixture, S_JOB, 1, 3);
    s_expect_stored (fixture, S_JOB, 1);
    const char *reason = "the sink's spool holds 1 of the job's 3 chunks: "
                         "chunks it had stored are gone";
    reporter_query (fixture->reporter, S_JOB);
    s_expect_failed (fixture, S_JOB, reason);
    assert_null (collector_assembly (fixture->collector, S_JOB));
    //  Recorded: the next question or chunk gets the same answer.
    reporter_query (fixture->reporter, S_JOB);
    s_expect_failed (fixture, S_JOB, reason);
    s_result (fixture, S_JOB, 0, 3);
    s_expect_failed (fixture, S_JOB, reason);
}

static void
test_query_about_a_cancelled_job_fails_it (void **state)
{
    s_fixture_t *fixture = *state;
    sinktest_tombstone (fixture->spool_dir, S_JOB, "cancelled");
    s_start (fixture);
    reporter_query (fixture->reporter, S_JOB);
    s_expect_failed (fixture, S_JOB,
                     "the sink has dropped the job as cancelled");
}

static void
test_query_about_an_unknown_job_fails_it (void **state)
{
    s_fixture_t *fixture = *state;
    s_start (fixture);
    reporter_query (fixture->reporter, S_JOB);
    s_expect_failed (fixture, S_JOB,
                     "the sink has no record of the job: its spool was "
                     "lost or replaced");
    //  Nothing was recorded for a job the sink never held.
    reporter_query (fixture->reporter, S_JOB);
    s_expect_failed (fixture, S_JOB,
                     "the sink has no record of the job: its spool was "
                     "lost or replaced");
}

static void
test_replay_reports_every_spooled_chunk_and_finishes_complete_jobs (
    void **state)
{
    s_fixture_t *fixture = *state;
    sinktest_spool_chunk (fixture->spool_dir, S_JOB, 1, 3, 2);
    sinktest_spool_chunk (fixture->spool_dir, S_OTHER_JOB, 0, 2, 2);
    sinktest_spool_chunk (fixture->spool_dir, S_OTHER_JOB, 1, 2, 2);
    s_start (fixture);
    reporter_replay (fixture->reporter);
    //  Jobs come in no set order.
    zlistx_t *stored = zlistx_new ();
    zlistx_set_destructor (stored, (zlistx_destructor_fn *)zstr_free);
    zlistx_set_comparator (stored, (zlistx_comparator_fn *)strcmp);
    for (int report = 0; report < 3; report++) {
        wire_t *event = wire_recv (fixture->received);
        assert_non_null (event);
        assert_int_equal (wire_id (event), WIRE_STORED);
        assert_int_equal (wire_page_count (event), 2);
        zlistx_add_end (stored, zsys_sprintf ("%s %u", wire_job_id (event),
                                              wire_chunk_nbr (event)));
        wire_destroy (&event);
    }
    s_expect_nothing (fixture);
    zlistx_sort (stored);
    assert_string_equal (zlistx_first (stored), S_JOB " 1");
    assert_string_equal (zlistx_next (stored), S_OTHER_JOB " 0");
    assert_string_equal (zlistx_next (stored), S_OTHER_JOB " 1");
    zlistx_destroy (&stored);
    assert_false (s_submitted (fixture, S_JOB));
    assert_true (s_submitted (fixture, S_OTHER_JOB));
}

static void
test_finisher_reports_are_passed_on (void **state)
{
    s_fixture_t *fixture = *state;
    s_start (fixture);
    s_result (fixture, S_JOB, 0, 1);
    s_expect_stored (fixture, S_JOB, 0);
    wire_t *event = wire_new (WIRE_JOB_STATE);
    wire_set_job_id (event, S_JOB);
    wire_set_state (event, "merging");
    reporter_relay (fixture->reporter, &event);
    assert_null (event);
    event = s_expect (fixture, WIRE_JOB_STATE, S_JOB);
    assert_string_equal (wire_state (event), "merging");
    wire_destroy (&event);
    //  A state leaves the job open; its outcome closes it.
    assert_non_null (collector_assembly (fixture->collector, S_JOB));
    event = wire_new (WIRE_JOB_DONE);
    wire_set_job_id (event, S_JOB);
    wire_set_bytes (event, 99);
    wire_set_location (event, "file:///out/result.pdf");
    reporter_relay (fixture->reporter, &event);
    event = s_expect (fixture, WIRE_JOB_DONE, S_JOB);
    assert_int_equal (wire_bytes (event), 99);
    assert_string_equal (wire_location (event), "file:///out/result.pdf");
    wire_destroy (&event);
    assert_null (collector_assembly (fixture->collector, S_JOB));
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_new_chunk_and_its_duplicate_are_acknowledged, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_chunks_go_to_the_finisher_to_append_in_order, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_chunks_go_to_the_finisher_to_append_in_order, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_chunks_that_come_together_are_acknowledged_once_flushed,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_last_chunk_sends_the_job_to_the_finisher, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_bad_chunk_is_dropped_without_a_word, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_late_chunk_of_a_done_job_repeats_its_outcome, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_late_chunk_of_a_cancelled_job_is_dropped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_chunk_the_spool_cannot_take_fails_its_job, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_query_about_a_finished_job_repeats_its_outcome, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_query_about_a_complete_job_sends_it_to_the_finisher, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_query_about_a_job_missing_chunks_fails_it_for_good, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_query_about_a_cancelled_job_fails_it, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_query_about_an_unknown_job_fails_it, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_replay_reports_every_spooled_chunk_and_finishes_complete_jobs,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_finisher_reports_are_passed_on,
                                         s_setup, s_teardown),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return failed;
}
