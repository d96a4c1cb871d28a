/*  test_lifecycle - a job's course through the ventilator: loading,
    dispatch, retries and failure, completion, the QUERY/OUTPUT rule and
    cancel, driven by the messages workers and the sink send.

    Each test gets a real job store in a fresh temporary directory and a
    real scheduler; the sender is a fake that keeps a decoded copy of every
    message it is given, so the tests read what the ventilator would have
    sent. Jobs are five records in chunks of two pages: three chunks of 2, 2
    and 1 pages.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admission.h"
#include "jobspec.h"
#include "jobstore.h"
#include "lifecycle.h"
#include "recordfile.h"
#include "scheduler.h"
#include "store.h"
#include "wire.h"

static const char *s_document =
    "{\"version\": 1, \"chunk_pages\": 2,"
    " \"template\": {\"page\": {\"size\": \"A4\", \"orientation\": "
    "\"portrait\"},"
    "  \"elements\": [{\"type\": \"text\", \"text\": \"Hello {{name}}\","
    "   \"x\": 50, \"y\": 780, \"font\": \"Helvetica\", \"size\": 12}]},"
    " \"output\": {\"key\": \"reports/hello.pdf\", \"filename\": "
    "\"hello.pdf\"},"
    " \"records\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\"},"
    "  {\"name\": \"d\"}, {\"name\": \"e\"}]}";

#define S_JOB_A "0123456789abcdef0123456789abcdef"
#define S_JOB_B "1111111111111111aaaaaaaaaaaaaaaa"
#define S_UNKNOWN "ffffffffffffffffffffffffffffffff"
#define S_CHUNKS 3
#define S_MAX_ATTEMPTS 2
#define S_DEADLINE_MS 1000
#define S_EXPIRY_MS 2000
#define S_QUERY_INTERVAL_MS 100
#define S_SENT_MAX 32

//  One message the fake sender was given.
typedef struct {
    wire_t *message; // decoded copy of what was sent
    char worker[32]; // routing id, for a message to a worker
} s_sent_t;

typedef struct {
    char data_dir[64];
    char jobs_dir[80];
    jobstore_t *store;
    store_t *results;      // in data_dir/out
    char *result_location; // where results put S_JOB_A's output
    scheduler_t *scheduler;
    lifecycle_t *lifecycle;
    s_sent_t sent[S_SENT_MAX];
    size_t sent_count;
    size_t read_count; // messages the test has looked at
    bool workers_unreachable;
} s_fixture_t;

static void
s_record (s_fixture_t *fixture, wire_t *message)
{
    assert_true (fixture->sent_count < S_SENT_MAX);
    s_sent_t *sent = &fixture->sent[fixture->sent_count++];
    zframe_t *routing_id = wire_routing_id (message);
    if (routing_id)
        snprintf (sent->worker, sizeof (sent->worker), "%.*s",
                  (int)zframe_size (routing_id),
                  (const char *)zframe_data (routing_id));
    //  Through the encoder, as a socket would take it: what cannot be
    //  encoded cannot be sent.
    zmsg_t *encoded = wire_encode (message);
    assert_non_null (encoded);
    char reason[WIRE_REASON_MAX];
    sent->message = wire_decode (&encoded, reason);
    if (!sent->message)
        fail_msg ("sent message does not decode: %s", reason);
}

static int
s_fake_to_worker (wire_t *message, void *arg)
{
    s_fixture_t *fixture = (s_fixture_t *)arg;
    if (fixture->workers_unreachable)
        return -1;
    s_record (fixture, message);
    return 0;
}

static int
s_fake_to_sink (wire_t *message, void *arg)
{
    s_record ((s_fixture_t *)arg, message);
    return 0;
}

static void
s_remove_tree (const char *path)
{
    zdir_t *dir = zdir_new (path, NULL);
    if (dir)
        zdir_remove (dir, true);
    zdir_destroy (&dir);
}

//  Store the test document as job_id, as intake does: its records file,
//  then its row.
static void
s_insert (s_fixture_t *fixture, const char *job_id)
{
    admission_config_t config = {.jobs_dir = fixture->jobs_dir,
                                 .max_records_bytes = 1024 * 1024};
    admission_t *admission = admission_new (&config, job_id);
    assert_int_equal (
        admission_feed (admission, s_document, strlen (s_document)), 0);
    if (admission_end (admission, fixture->store) != ADMISSION_ACCEPTED)
        fail_msg ("test document refused: %s: %s",
                  admission_error (admission)->field,
                  admission_error (admission)->message);
    admission_destroy (&admission);
}

//  True when job_id has its records file.
static bool
s_has_records (s_fixture_t *fixture, const char *job_id)
{
    char *records = recordfile_chunk (fixture->jobs_dir, job_id, 0);
    free (records);
    return records != NULL;
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)calloc (1, sizeof (s_fixture_t));
    assert_non_null (fixture);
    strcpy (fixture->data_dir, "/tmp/pdfpipe-test-lifecycle-XXXXXX");
    assert_non_null (mkdtemp (fixture->data_dir));
    snprintf (fixture->jobs_dir, sizeof (fixture->jobs_dir), "%s/jobs",
              fixture->data_dir);
    fixture->store = jobstore_open (fixture->data_dir);
    assert_non_null (fixture->store);
    char *results_url = zsys_sprintf ("file://%s/out", fixture->data_dir);
    fixture->results = store_new (results_url);
    assert_non_null (fixture->results);
    zstr_free (&results_url);
    fixture->result_location =
        store_location (fixture->results, S_JOB_A "/reports/hello.pdf");
    scheduler_config_t config = {
        .max_attempts = S_MAX_ATTEMPTS,
        .deadline_base_ms = S_DEADLINE_MS,
        .deadline_per_page_ms = 0,
        .worker_expiry_ms = S_EXPIRY_MS,
        .query_interval_ms = S_QUERY_INTERVAL_MS,
    };
    fixture->scheduler = scheduler_new (&config);
    lifecycle_sender_t sender = {
        .to_worker = s_fake_to_worker,
        .worker_arg = fixture,
        .to_sink = s_fake_to_sink,
        .sink_arg = fixture,
    };
    fixture->lifecycle =
        lifecycle_new (fixture->store, fixture->scheduler, &sender,
                       fixture->jobs_dir, fixture->results);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    lifecycle_destroy (&fixture->lifecycle);
    scheduler_destroy (&fixture->scheduler);
    jobstore_destroy (&fixture->store);
    store_destroy (&fixture->results);
    free (fixture->result_location);
    for (size_t index = 0; index < fixture->sent_count; index++)
        wire_destroy (&fixture->sent[index].message);
    s_remove_tree (fixture->data_dir);
    free (fixture);
    return 0;
}

//  The next message sent that the test has not looked at; fails the test
//  when there is none or it is not a command.
static const s_sent_t *
s_next_sent (s_fixture_t *fixture, wire_id_t command)
{
    if (fixture->read_count == fixture->sent_count)
        fail_msg ("expected a message, none was sent");
    const s_sent_t *sent = &fixture->sent[fixture->read_count++];
    if (wire_id (sent->message) != command)
        fail_msg ("sent %s, expected command %d", wire_command (sent->message),
                  (int)command);
    return sent;
}

static void
s_assert_nothing_more_sent (s_fixture_t *fixture)
{
    if (fixture->read_count != fixture->sent_count)
        fail_msg ("unexpected %s sent",
                  wire_command (fixture->sent[fixture->read_count].message));
}

//  Messages as they arrive from a worker named name. Return what
//  lifecycle_worker_message returns.
static int
s_from_worker (s_fixture_t *fixture, const char *name, wire_t *message,
               int64_t now)
{
    zframe_t *worker = zframe_new (name, strlen (name));
    wire_set_routing_id (message, worker);
    zframe_destroy (&worker);
    int rc = lifecycle_worker_message (fixture->lifecycle, message, now);
    wire_destroy (&message);
    return rc;
}

//  READY (or HEARTBEAT): the worker has room for credits chunks.
static void
s_worker_credits (s_fixture_t *fixture, wire_id_t command, const char *name,
                  uint32_t credits, int64_t now)
{
    wire_t *message = wire_new (command);
    wire_set_credits (message, credits);
    assert_int_equal (s_from_worker (fixture, name, message, now), 0);
}

static void
s_worker_ready (s_fixture_t *fixture, const char *name, uint32_t credits,
                int64_t now)
{
    s_worker_credits (fixture, WIRE_READY, name, credits, now);
}

static void
s_chunk_failed (s_fixture_t *fixture, const char *job_id, uint32_t chunk_nbr,
                uint32_t attempt, const char *error)
{
    wire_t *message = wire_new (WIRE_CHUNK_FAILED);
    wire_set_job_id (message, job_id);
    wire_set_chunk_nbr (message, chunk_nbr);
    wire_set_attempt (message, attempt);
    wire_set_error (message, error);
    assert_int_equal (s_from_worker (fixture, "w1", message, 0), 0);
}

//  A message from the sink about job_id, with a chunk number, a text and
//  a size (each used by the commands that carry it). Returns what
//  lifecycle_sink_message returns.
static int
s_from_sink (s_fixture_t *fixture, wire_id_t command, const char *job_id,
             uint32_t chunk_nbr, const char *text, uint64_t bytes)
{
    wire_t *message = wire_new (command);
    wire_set_job_id (message, job_id);
    wire_set_chunk_nbr (message, chunk_nbr);
    if (command == WIRE_JOB_STATE)
        wire_set_state (message, text);
    else if (command == WIRE_JOB_DONE)
        wire_set_location (message, text);
    else if (command == WIRE_JOB_FAILED)
        wire_set_reason (message, text);
    wire_set_bytes (message, bytes);
    int rc = lifecycle_sink_message (fixture->lifecycle, message);
    wire_destroy (&message);
    return rc;
}

static int
s_stored (s_fixture_t *fixture, const char *job_id, uint32_t chunk_nbr)
{
    return s_from_sink (fixture, WIRE_STORED, job_id, chunk_nbr, NULL, 0);
}

static jobstore_job_t
s_job (s_fixture_t *fixture, const char *job_id)
{
    jobstore_job_t job;
    assert_int_equal (jobstore_job (fixture->store, job_id, &job), 0);
    return job;
}

static void
test_load_active_schedules_every_unfinished_job (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    s_insert (fixture, S_JOB_B);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_B, JOB_CANCELLED, NULL), 0);
    lifecycle_load_active (fixture->lifecycle);
    assert_true (scheduler_has_job (fixture->scheduler, S_JOB_A));
    assert_false (scheduler_has_job (fixture->scheduler, S_JOB_B));
    assert_int_equal (scheduler_pending (fixture->scheduler), S_CHUNKS);
    //  Loading again changes nothing.
    lifecycle_load_active (fixture->lifecycle);
    assert_int_equal (scheduler_jobs (fixture->scheduler), 1);
    assert_int_equal (scheduler_pending (fixture->scheduler), S_CHUNKS);
    s_assert_nothing_more_sent (fixture);
}

static void
test_load_leaves_out_chunks_already_stored (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    assert_int_equal (jobstore_chunk_stored (fixture->store, S_JOB_A, 1), 1);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    assert_int_equal (scheduler_pending (fixture->scheduler), S_CHUNKS - 1);
}

static void
test_load_ignores_an_unknown_job (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    lifecycle_load (fixture->lifecycle, S_UNKNOWN);
    assert_int_equal (scheduler_jobs (fixture->scheduler), 0);
    s_assert_nothing_more_sent (fixture);
}

static void
test_dispatch_sends_chunks_against_credits (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    lifecycle_dispatch (fixture->lifecycle, 0);
    s_assert_nothing_more_sent (fixture);
    assert_int_equal (s_job (fixture, S_JOB_A).state, JOB_QUEUED);

    s_worker_ready (fixture, "w1", 2, 0);
    lifecycle_dispatch (fixture->lifecycle, 0);
    char *template_json = jobstore_template_json (fixture->store, S_JOB_A);
    for (uint32_t chunk_nbr = 0; chunk_nbr < 2; chunk_nbr++) {
        const s_sent_t *sent = s_next_sent (fixture, WIRE_CHUNK);
        const wire_t *chunk = sent->message;
        assert_string_equal (sent->worker, "w1");
        assert_string_equal (wire_job_id (chunk), S_JOB_A);
        assert_int_equal (wire_chunk_nbr (chunk), chunk_nbr);
        assert_int_equal (wire_attempt (chunk), 1);
        assert_int_equal (wire_first_page (chunk), 1 + 2 * chunk_nbr);
        assert_int_equal (wire_page_count (chunk), 2);
        assert_int_equal (wire_total_pages (chunk), 5);
        assert_int_equal (wire_chunk_count (chunk), S_CHUNKS);
        //  The template goes with the worker's first chunk of the job only;
        //  every chunk names it by its digest.
        assert_string_equal (wire_template_json (chunk),
                             chunk_nbr == 0 ? template_json : "");
        assert_true (tpldigest_matches (template_json, strlen (template_json),
                                        wire_digest (chunk)));
        assert_string_equal (wire_records_json (chunk),
                             chunk_nbr == 0
                                 ? "[{\"name\":\"a\"},{\"name\":\"b\"}]"
                                 : "[{\"name\":\"c\"},{\"name\":\"d\"}]");
    }
    free (template_json);
    s_assert_nothing_more_sent (fixture);
    assert_int_equal (s_job (fixture, S_JOB_A).state, JOB_RENDERING);
    assert_int_equal (scheduler_pending (fixture->scheduler), 1);
}

static void
test_heartbeat_of_an_unknown_worker_gives_it_credits (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    //  As after a ventilator restart: the worker's READY went to the old
    //  process.
    s_worker_credits (fixture, WIRE_HEARTBEAT, "w1", 1, 0);
    lifecycle_dispatch (fixture->lifecycle, 0);
    assert_string_equal (s_next_sent (fixture, WIRE_CHUNK)->worker, "w1");
    s_assert_nothing_more_sent (fixture);
}

static void
test_messages_from_the_wrong_peer_are_dropped (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    wire_t *stored = wire_new (WIRE_STORED);
    wire_set_job_id (stored, S_JOB_A);
    assert_int_equal (s_from_worker (fixture, "w1", stored, 0), -1);
    assert_int_equal (s_job (fixture, S_JOB_A).chunks_done, 0);
    assert_int_equal (s_from_sink (fixture, WIRE_READY, S_JOB_A, 0, NULL, 0),
                      -1);
    assert_int_equal (scheduler_workers (fixture->scheduler), 0);
    s_assert_nothing_more_sent (fixture);
}

static void
test_unreachable_worker_gives_its_chunk_back (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    s_worker_ready (fixture, "gone", 1, 0);
    fixture->workers_unreachable = true;
    lifecycle_dispatch (fixture->lifecycle, 0);
    assert_int_equal (scheduler_workers (fixture->scheduler), 0);
    assert_int_equal (scheduler_pending (fixture->scheduler), S_CHUNKS);

    fixture->workers_unreachable = false;
    s_worker_ready (fixture, "w2", 1, 0);
    lifecycle_dispatch (fixture->lifecycle, 0);
    const s_sent_t *sent = s_next_sent (fixture, WIRE_CHUNK);
    assert_string_equal (sent->worker, "w2");
    assert_int_equal (wire_chunk_nbr (sent->message), 0);
    assert_int_equal (wire_attempt (sent->message), 2);
}

static void
test_refused_worker_gives_its_chunks_back_and_gets_no_more (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    s_worker_ready (fixture, "revoked", 2, 0);
    lifecycle_dispatch (fixture->lifecycle, 0);
    s_next_sent (fixture, WIRE_CHUNK);
    s_next_sent (fixture, WIRE_CHUNK);
    //  Its key was removed: its next message is refused.
    zframe_t *revoked = zframe_new ("revoked", strlen ("revoked"));
    lifecycle_worker_refused (fixture->lifecycle, revoked);
    zframe_destroy (&revoked);
    assert_int_equal (scheduler_workers (fixture->scheduler), 0);
    assert_int_equal (scheduler_pending (fixture->scheduler), S_CHUNKS);
    lifecycle_dispatch (fixture->lifecycle, 0);
    s_assert_nothing_more_sent (fixture);

    //  Every chunk goes to the next worker.
    s_worker_ready (fixture, "w2", S_CHUNKS, 0);
    lifecycle_dispatch (fixture->lifecycle, 0);
    for (uint32_t chunk_nbr = 0; chunk_nbr < S_CHUNKS; chunk_nbr++)
        assert_string_equal (s_next_sent (fixture, WIRE_CHUNK)->worker, "w2");
    s_assert_nothing_more_sent (fixture);
}

static void
test_failed_chunk_is_retried_then_fails_its_job (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    s_worker_ready (fixture, "w1", 1, 0);
    lifecycle_dispatch (fixture->lifecycle, 0);
    s_next_sent (fixture, WIRE_CHUNK);

    s_chunk_failed (fixture, S_JOB_A, 0, 1, "font missing");
    assert_int_equal (s_job (fixture, S_JOB_A).state, JOB_RENDERING);
    s_worker_ready (fixture, "w1", 1, 0);
    lifecycle_dispatch (fixture->lifecycle, 0);
    const s_sent_t *retry = s_next_sent (fixture, WIRE_CHUNK);
    assert_int_equal (wire_chunk_nbr (retry->message), 0);
    assert_int_equal (wire_attempt (retry->message), 2);
    s_assert_nothing_more_sent (fixture);

    //  A report about the first attempt is stale now.
    s_chunk_failed (fixture, S_JOB_A, 0, 1, "late");
    assert_true (scheduler_has_job (fixture->scheduler, S_JOB_A));

    s_chunk_failed (fixture, S_JOB_A, 0, 2, "font missing");
    assert_int_equal (s_job (fixture, S_JOB_A).state, JOB_FAILED);
    char *error = jobstore_error (fixture->store, S_JOB_A);
    assert_non_null (error);
    assert_non_null (strstr (error, "font missing"));
    free (error);
    assert_false (scheduler_has_job (fixture->scheduler, S_JOB_A));
    const s_sent_t *cancel = s_next_sent (fixture, WIRE_CANCEL);
    assert_string_equal (wire_job_id (cancel->message), S_JOB_A);

    //  Nothing more of the job goes out.
    s_worker_ready (fixture, "w1", 4, 0);
    lifecycle_dispatch (fixture->lifecycle, 0);
    s_assert_nothing_more_sent (fixture);
}

static void
test_chunks_past_their_deadline_fail_the_job (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    for (uint32_t attempt = 1; attempt <= S_MAX_ATTEMPTS; attempt++) {
        int64_t now = (int64_t)attempt * 10 * S_DEADLINE_MS;
        //  A worker that keeps heartbeating but never answers.
        s_worker_ready (fixture, "w1", 1, now);
        lifecycle_dispatch (fixture->lifecycle, now);
        const s_sent_t *sent = s_next_sent (fixture, WIRE_CHUNK);
        assert_int_equal (wire_attempt (sent->message), attempt);
        lifecycle_expire (fixture->lifecycle, now + S_DEADLINE_MS + 1);
    }
    assert_int_equal (s_job (fixture, S_JOB_A).state, JOB_FAILED);
    s_next_sent (fixture, WIRE_CANCEL);
    s_assert_nothing_more_sent (fixture);
}

static void
s_assert_output (s_fixture_t *fixture)
{
    const wire_t *output = s_next_sent (fixture, WIRE_OUTPUT)->message;
    assert_string_equal (wire_job_id (output), S_JOB_A);
    assert_string_equal (wire_key (output), S_JOB_A "/reports/hello.pdf");
    assert_string_equal (wire_filename (output), "hello.pdf");
}

//  Dispatch every chunk of S_JOB_A to one worker; the sink stores all but
//  the last.
static void
s_render_all_but_last (s_fixture_t *fixture)
{
    s_insert (fixture, S_JOB_A);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    s_worker_ready (fixture, "w1", S_CHUNKS, 0);
    lifecycle_dispatch (fixture->lifecycle, 0);
    for (uint32_t chunk_nbr = 0; chunk_nbr < S_CHUNKS; chunk_nbr++)
        s_next_sent (fixture, WIRE_CHUNK);
    for (uint32_t chunk_nbr = 0; chunk_nbr + 1 < S_CHUNKS; chunk_nbr++)
        assert_int_equal (s_stored (fixture, S_JOB_A, chunk_nbr), 0);
    //  Chunk 0 stored told the sink where the result goes.
    s_assert_output (fixture);
    s_assert_nothing_more_sent (fixture);
}

static void
test_last_chunk_stored_tells_the_sink_where_the_result_goes (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_render_all_but_last (fixture);
    assert_int_equal (s_job (fixture, S_JOB_A).chunks_done, S_CHUNKS - 1);
    assert_int_equal (s_stored (fixture, S_JOB_A, S_CHUNKS - 1), 0);
    s_assert_output (fixture);
    s_assert_nothing_more_sent (fixture);
    assert_int_equal (s_job (fixture, S_JOB_A).chunks_done, S_CHUNKS);
}

static void
test_unknown_chunk_stored_is_refused (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    assert_int_equal (s_stored (fixture, S_JOB_A, S_CHUNKS), -1);
    assert_int_equal (s_stored (fixture, S_UNKNOWN, 0), -1);
    s_assert_nothing_more_sent (fixture);
}

static void
test_merge_phase_ends_in_done (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_render_all_but_last (fixture);
    s_stored (fixture, S_JOB_A, S_CHUNKS - 1);
    s_assert_output (fixture);

    assert_int_equal (
        s_from_sink (fixture, WIRE_JOB_STATE, S_JOB_A, 0, "merging", 0), 0);
    assert_int_equal (s_job (fixture, S_JOB_A).state, JOB_MERGING);
    assert_int_equal (
        s_from_sink (fixture, WIRE_JOB_STATE, S_JOB_A, 0, "storing", 0), 0);
    assert_int_equal (s_job (fixture, S_JOB_A).state, JOB_STORING);

    assert_int_equal (s_from_sink (fixture, WIRE_JOB_DONE, S_JOB_A, 0,
                                   fixture->result_location, 1234),
                      0);
    char *location = NULL;
    uint64_t bytes = 0;
    jobstate_t state_now;
    assert_int_equal (jobstore_result (fixture->store, S_JOB_A, &location,
                                       &bytes, &state_now),
                      0);
    assert_int_equal (state_now, JOB_DONE);
    assert_string_equal (location, fixture->result_location);
    assert_int_equal (bytes, 1234);
    free (location);
    assert_false (scheduler_has_job (fixture->scheduler, S_JOB_A));
    //  Nothing of it will be dispatched again, but its records stay for
    //  its index, until retention deletes the job.
    assert_true (s_has_records (fixture, S_JOB_A));
    //  A finished job is never asked about.
    lifecycle_query_sink (fixture->lifecycle, 10 * S_QUERY_INTERVAL_MS);
    s_assert_nothing_more_sent (fixture);
}

static void
test_sink_may_report_only_merging_and_storing (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    const char *refused[] = {"done", "failed", "queued", "Merging", "", NULL};
    for (size_t index = 0; refused[index]; index++)
        if (s_from_sink (fixture, WIRE_JOB_STATE, S_JOB_A, 0, refused[index],
                         0) != -1)
            fail_msg ("state '%s' was accepted", refused[index]);
    assert_int_equal (s_job (fixture, S_JOB_A).state, JOB_QUEUED);
}

static void
test_job_done_marks_every_chunk_stored (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_render_all_but_last (fixture);
    //  The last STORED was lost; the sink finished the job anyway.
    s_from_sink (fixture, WIRE_JOB_DONE, S_JOB_A, 0, fixture->result_location,
                 10);
    jobstore_job_t job = s_job (fixture, S_JOB_A);
    assert_int_equal (job.state, JOB_DONE);
    assert_int_equal (job.chunks_done, S_CHUNKS);
    assert_int_equal (job.pages_done, 5);
}

static void
test_job_done_anywhere_else_changes_nothing (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_render_all_but_last (fixture);
    //  Elsewhere in the store's directory, outside it, another bucket, or
    //  what a sink with another --store would say.
    char *other_key = store_location (fixture->results, "reports/other.pdf");
    const char *elsewhere[] = {other_key, "file:///etc/passwd",
                               "s3://other-bucket/reports/hello.pdf",
                               "file:///srv/out/reports/hello.pdf", ""};
    for (size_t index = 0; index < sizeof elsewhere / sizeof elsewhere[0];
         index++)
        assert_int_equal (s_from_sink (fixture, WIRE_JOB_DONE, S_JOB_A, 0,
                                       elsewhere[index], 10),
                          -1);
    free (other_key);
    jobstore_job_t job = s_job (fixture, S_JOB_A);
    assert_int_equal (job.state, JOB_RENDERING);
    assert_int_equal (job.chunks_done, S_CHUNKS - 1);
    assert_true (scheduler_has_job (fixture->scheduler, S_JOB_A));
    //  Unknown jobs have no output to place a result at.
    assert_int_equal (s_from_sink (fixture, WIRE_JOB_DONE, S_UNKNOWN, 0,
                                   fixture->result_location, 10),
                      -1);
    s_assert_nothing_more_sent (fixture);
}

static void
test_job_failed_in_the_sink_is_recorded (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_render_all_but_last (fixture);
    s_stored (fixture, S_JOB_A, S_CHUNKS - 1);
    s_assert_output (fixture);
    assert_int_equal (
        s_from_sink (fixture, WIRE_JOB_FAILED, S_JOB_A, 0, "store refused", 0),
        0);
    assert_int_equal (s_job (fixture, S_JOB_A).state, JOB_FAILED);
    char *error = jobstore_error (fixture->store, S_JOB_A);
    assert_string_equal (error, "store refused");
    free (error);
    assert_false (scheduler_has_job (fixture->scheduler, S_JOB_A));
    assert_false (s_has_records (fixture, S_JOB_A));
    //  The sink failed it, so it needs no CANCEL.
    s_assert_nothing_more_sent (fixture);
}

static void
test_overdue_outcome_is_queried_then_output_repeated (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_render_all_but_last (fixture);
    s_stored (fixture, S_JOB_A, S_CHUNKS - 1);
    s_assert_output (fixture);

    //  Complete since time 0 (the first query_due call): not due yet.
    lifecycle_query_sink (fixture->lifecycle, 0);
    s_assert_nothing_more_sent (fixture);
    lifecycle_query_sink (fixture->lifecycle, S_QUERY_INTERVAL_MS);
    const wire_t *query = s_next_sent (fixture, WIRE_QUERY)->message;
    assert_string_equal (wire_job_id (query), S_JOB_A);
    //  OUTPUT after QUERY, never before.
    s_assert_output (fixture);
    s_assert_nothing_more_sent (fixture);
    lifecycle_query_sink (fixture->lifecycle, 2 * S_QUERY_INTERVAL_MS);
    s_next_sent (fixture, WIRE_QUERY);
    s_assert_output (fixture);
}

static void
test_job_complete_at_start_is_queried_at_once (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    //  A restart after every chunk was stored and before the outcome came.
    s_insert (fixture, S_JOB_A);
    for (uint32_t chunk_nbr = 0; chunk_nbr < S_CHUNKS; chunk_nbr++)
        jobstore_chunk_stored (fixture->store, S_JOB_A, chunk_nbr);
    lifecycle_load_active (fixture->lifecycle);
    assert_int_equal (scheduler_pending (fixture->scheduler), 0);
    lifecycle_query_sink (fixture->lifecycle, 1000);
    s_next_sent (fixture, WIRE_QUERY);
    s_assert_output (fixture);
    s_assert_nothing_more_sent (fixture);
}

static void
test_cancel_forgets_the_job_and_tells_the_sink (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    s_insert (fixture, S_JOB_B);
    lifecycle_load_active (fixture->lifecycle);
    assert_true (s_has_records (fixture, S_JOB_A));
    lifecycle_cancel (fixture->lifecycle, S_JOB_A);
    assert_false (scheduler_has_job (fixture->scheduler, S_JOB_A));
    assert_false (s_has_records (fixture, S_JOB_A));
    assert_true (s_has_records (fixture, S_JOB_B));
    const wire_t *cancel = s_next_sent (fixture, WIRE_CANCEL)->message;
    assert_string_equal (wire_job_id (cancel), S_JOB_A);

    //  Only the other job's chunks go out.
    s_worker_ready (fixture, "w1", 2 * S_CHUNKS, 0);
    lifecycle_dispatch (fixture->lifecycle, 0);
    for (uint32_t chunk_nbr = 0; chunk_nbr < S_CHUNKS; chunk_nbr++) {
        const wire_t *chunk = s_next_sent (fixture, WIRE_CHUNK)->message;
        assert_string_equal (wire_job_id (chunk), S_JOB_B);
    }
    s_assert_nothing_more_sent (fixture);
}

//  A lifecycle_ended_fn: appends "<job id> " to arg, a char[512].
static void
s_on_ended (const char *job_id, void *arg)
{
    char *ended = (char *)arg;
    size_t used = strlen (ended);
    snprintf (ended + used, 512 - used, "%s ", job_id);
}

static void
test_every_end_is_told (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char ended[512] = "";
    lifecycle_set_on_ended (fixture->lifecycle, s_on_ended, ended);
    s_insert (fixture, S_JOB_B);
    s_render_all_but_last (fixture);
    assert_string_equal (ended, "");
    s_stored (fixture, S_JOB_A, S_CHUNKS - 1);
    s_assert_output (fixture);
    assert_int_equal (
        s_from_sink (fixture, WIRE_JOB_FAILED, S_JOB_A, 0, "store refused", 0),
        0);
    assert_string_equal (ended, S_JOB_A " ");
    lifecycle_cancel (fixture->lifecycle, S_JOB_B);
    assert_string_equal (ended, S_JOB_A " " S_JOB_B " ");
}

static void
test_job_without_its_records_fails_at_dispatch (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_insert (fixture, S_JOB_A);
    lifecycle_load (fixture->lifecycle, S_JOB_A);
    assert_int_equal (recordfile_remove (fixture->jobs_dir, S_JOB_A), 0);
    s_worker_ready (fixture, "w1", 1, 0);
    lifecycle_dispatch (fixture->lifecycle, 0);
    s_next_sent (fixture, WIRE_CANCEL);
    s_assert_nothing_more_sent (fixture);
    jobstore_job_t job = s_job (fixture, S_JOB_A);
    assert_int_equal (job.state, JOB_FAILED);
    char *error = jobstore_error (fixture->store, S_JOB_A);
    assert_string_equal (error, "internal error: chunk records missing");
    free (error);
}

#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)

int
main (void)
{
    const struct CMUnitTest tests[] = {
        S_TEST (test_load_active_schedules_every_unfinished_job),
        S_TEST (test_load_leaves_out_chunks_already_stored),
        S_TEST (test_load_ignores_an_unknown_job),
        S_TEST (test_dispatch_sends_chunks_against_credits),
        S_TEST (test_heartbeat_of_an_unknown_worker_gives_it_credits),
        S_TEST (test_messages_from_the_wrong_peer_are_dropped),
        S_TEST (test_unreachable_worker_gives_its_chunk_back),
        S_TEST (test_refused_worker_gives_its_chunks_back_and_gets_no_more),
        S_TEST (test_failed_chunk_is_retried_then_fails_its_job),
        S_TEST (test_chunks_past_their_deadline_fail_the_job),
        S_TEST (test_last_chunk_stored_tells_the_sink_where_the_result_goes),
        S_TEST (test_unknown_chunk_stored_is_refused),
        S_TEST (test_merge_phase_ends_in_done),
        S_TEST (test_sink_may_report_only_merging_and_storing),
        S_TEST (test_job_done_marks_every_chunk_stored),
        S_TEST (test_job_done_anywhere_else_changes_nothing),
        S_TEST (test_job_failed_in_the_sink_is_recorded),
        S_TEST (test_overdue_outcome_is_queried_then_output_repeated),
        S_TEST (test_job_complete_at_start_is_queried_at_once),
        S_TEST (test_cancel_forgets_the_job_and_tells_the_sink),
        S_TEST (test_job_without_its_records_fails_at_dispatch),
        S_TEST (test_every_end_is_told),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
