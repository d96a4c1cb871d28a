/*  test_jobstore - the ventilator's durable job store.

    Each test gets a fresh temporary data directory (testdir). Jobs are
    real parsed job documents (jobspec_parse), five records in chunks of
    two pages, so three chunks of 2, 2 and 1 pages.

    SPDX-License-Identifier: MPL-2.0
*/
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "jobspec.h"
#include "jobstore.h"
#include "testassert.h"
#include "testdir.h"
#include "testfile.h"

static const char *s_document =
    "{\"version\": 1, \"chunk_pages\": 2,"
    " \"template\": {\"page\": {\"size\": \"A4\", \"orientation\": "
    "\"portrait\"},"
    "  \"elements\": [{\"type\": \"text\", \"text\": \"Hello {{name}}\","
    "   \"x\": 50, \"y\": 780, \"font\": \"Helvetica\", \"size\": 12}]},"
    " \"records\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\"},"
    "  {\"name\": \"d\"}, {\"name\": \"e\"}]}";

#define S_JOB_A "0123456789abcdef0123456789abcdef"
#define S_JOB_B "1111111111111111aaaaaaaaaaaaaaaa"
#define S_JOB_C "2222222222222222bbbbbbbbbbbbbbbb"
#define S_UNKNOWN "ffffffffffffffffffffffffffffffff"

typedef struct {
    testdir_t *testdir;
    const char *data_dir; // testdir_path (testdir)
    jobstore_t *store;
    jobspec_t *spec;
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)calloc (1, sizeof (s_fixture_t));
    assert_non_null (fixture);
    fixture->testdir = testdir_new ("test_jobstore");
    fixture->data_dir = testdir_path (fixture->testdir);
    fixture->store = jobstore_open (fixture->data_dir);
    assert_non_null (fixture->store);
    fielderr_t err;
    fixture->spec = jobspec_parse (s_document, strlen (s_document), &err);
    if (!fixture->spec)
        fail_msg ("test document rejected: %s: %s", err.field, err.message);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    jobstore_destroy (&fixture->store);
    jobspec_destroy (&fixture->spec);
    testdir_destroy (&fixture->testdir);
    free (fixture);
    return 0;
}

//  The status JSON of a job, parsed; fails the test when there is none.
static cJSON *
s_status (jobstore_t *store, const char *job_id)
{
    char *text = jobstore_status_json (store, job_id);
    assert_non_null (text);
    cJSON *status = cJSON_Parse (text);
    free (text);
    assert_non_null (status);
    return status;
}

static const cJSON *
s_member (const cJSON *object, const char *name)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive (object, name);
    if (!member)
        fail_msg ("no member '%s'", name);
    return member;
}

static void
test_insert_then_read_job_back (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    int64_t before = zclock_time ();
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    jobstore_job_t job;
    assert_int_equal (jobstore_job (fixture->store, S_JOB_A, &job), 0);
    assert_string_equal (job.id, S_JOB_A);
    assert_int_equal (job.state, JOB_QUEUED);
    assert_int_eq (job.pages, 5);
    assert_int_eq (job.chunk_pages, 2);
    assert_int_eq (job.chunk_count, 3);
    assert_int_eq (job.chunks_done, 0);
    assert_int_eq (job.pages_done, 0);
    assert_in_range (job.created_at, before, zclock_time ());
}

static void
test_insert_stores_template_and_leaves_records_to_their_file (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    char *expected = jobspec_template_json (fixture->spec);
    char *template_json = jobstore_template_json (fixture->store, S_JOB_A);
    assert_non_null (template_json);
    assert_string_equal (template_json, expected);
    free (expected);
    free (template_json);
    for (uint32_t chunk_nbr = 0; chunk_nbr < 3; chunk_nbr++)
        assert_null (
            jobstore_chunk_records (fixture->store, S_JOB_A, chunk_nbr));
}

static void
test_records_of_a_job_stored_with_them_are_still_read (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    //  As a job stored before records files: its records in the chunk row.
    char *path = testdir_join (fixture->testdir, "%s", JOBSTORE_FILENAME);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db,
                                    "UPDATE chunks SET records_json ="
                                    " '[{\"name\":\"e\"}]' WHERE"
                                    " chunk_nbr = 2",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (db);
    free (path);
    char *records = jobstore_chunk_records (fixture->store, S_JOB_A, 2);
    assert_string_equal (records, "[{\"name\":\"e\"}]");
    free (records);
    assert_null (jobstore_chunk_records (fixture->store, S_JOB_A, 1));
    assert_null (jobstore_chunk_records (fixture->store, S_JOB_A, 3));
}

static void
test_insert_rejects_a_used_id (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      -1);
    //  The failed insert rolled back completely; the first job is intact.
    jobstore_job_t job;
    assert_int_equal (jobstore_job (fixture->store, S_JOB_A, &job), 0);
    assert_int_eq (job.chunk_count, 3);
    zlist_t *active = jobstore_active (fixture->store);
    assert_size_eq (zlist_size (active), 1);
    zlist_destroy (&active);
}

static void
test_unknown_job_is_reported_not_invented (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    jobstore_job_t job;
    bool stored[3];
    char *location = NULL;
    assert_int_equal (jobstore_job (fixture->store, S_UNKNOWN, &job), -1);
    assert_null (jobstore_template_json (fixture->store, S_UNKNOWN));
    assert_null (jobstore_chunk_records (fixture->store, S_UNKNOWN, 0));
    assert_null (jobstore_status_json (fixture->store, S_UNKNOWN));
    assert_null (jobstore_error (fixture->store, S_UNKNOWN));
    assert_int_equal (
        jobstore_set_state (fixture->store, S_UNKNOWN, JOB_RENDERING, NULL),
        -1);
    assert_int_equal (jobstore_chunk_stored (fixture->store, S_UNKNOWN, 0), -1);
    assert_int_equal (
        jobstore_chunks_stored (fixture->store, S_UNKNOWN, stored, 3), -1);
    assert_int_equal (
        jobstore_set_result (fixture->store, S_UNKNOWN, "file:///x", 1), -1);
    assert_int_equal (
        jobstore_result (fixture->store, S_UNKNOWN, &location, NULL, NULL), -1);
    assert_null (location);
    //  Ids are data, never SQL.
    assert_int_equal (jobstore_job (fixture->store, "' OR 1=1 --", &job), -1);
}

static void
test_set_state_stamps_each_transition (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_A, JOB_RENDERING, NULL), 0);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_A, JOB_MERGING, NULL), 0);
    jobstore_job_t job;
    assert_int_equal (jobstore_job (fixture->store, S_JOB_A, &job), 0);
    assert_int_equal (job.state, JOB_MERGING);

    cJSON *status = s_status (fixture->store, S_JOB_A);
    assert_string_equal (s_member (status, "state")->valuestring, "merging");
    const cJSON *transitions = s_member (status, "transitions");
    assert_int_eq (cJSON_GetArraySize (transitions), 3);
    const char *order[] = {"queued", "rendering", "merging"};
    int index = 0;
    const cJSON *transition;
    cJSON_ArrayForEach (transition, transitions)
    {
        assert_string_equal (transition->string, order[index++]);
        assert_true (cJSON_IsString (transition));
    }
    //  Times never go backwards (the strings sort as times do).
    assert_true (strcmp (s_member (transitions, "queued")->valuestring,
                         s_member (transitions, "merging")->valuestring) <= 0);
    assert_string_equal (s_member (transitions, "queued")->valuestring,
                         s_member (status, "created_at")->valuestring);
    assert_null (cJSON_GetObjectItem (transitions, "storing"));
    cJSON_Delete (status);
}

static void
test_terminal_state_is_never_left (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    assert_int_equal (jobstore_set_state (fixture->store, S_JOB_A, JOB_FAILED,
                                          "chunk 2 failed 4 times"),
                      0);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_A, JOB_RENDERING, NULL), 1);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_A, JOB_CANCELLED, "late"), 1);
    assert_int_equal (
        jobstore_set_result (fixture->store, S_JOB_A, "file:///tmp/x.pdf", 9),
        1);
    jobstore_job_t job;
    assert_int_equal (jobstore_job (fixture->store, S_JOB_A, &job), 0);
    assert_int_equal (job.state, JOB_FAILED);
    char *error = jobstore_error (fixture->store, S_JOB_A);
    assert_non_null (error);
    assert_string_equal (error, "chunk 2 failed 4 times");
    free (error);

    cJSON *status = s_status (fixture->store, S_JOB_A);
    assert_string_equal (s_member (status, "state")->valuestring, "failed");
    assert_string_equal (s_member (status, "error")->valuestring,
                         "chunk 2 failed 4 times");
    assert_true (cJSON_IsNull (s_member (status, "result")));
    const cJSON *transitions = s_member (status, "transitions");
    assert_null (cJSON_GetObjectItem (transitions, "cancelled"));
    assert_null (cJSON_GetObjectItem (transitions, "rendering"));
    assert_true (cJSON_IsString (s_member (transitions, "failed")));
    cJSON_Delete (status);
}

static void
test_chunk_stored_is_idempotent_and_counts_pages (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    assert_int_equal (jobstore_chunk_stored (fixture->store, S_JOB_A, 2), 1);
    assert_int_equal (jobstore_chunk_stored (fixture->store, S_JOB_A, 2), 0);
    assert_int_equal (jobstore_chunk_stored (fixture->store, S_JOB_A, 0), 1);
    assert_int_equal (jobstore_chunk_stored (fixture->store, S_JOB_A, 0), 0);
    assert_int_equal (jobstore_chunk_stored (fixture->store, S_JOB_A, 3), -1);

    jobstore_job_t job;
    assert_int_equal (jobstore_job (fixture->store, S_JOB_A, &job), 0);
    assert_int_eq (job.chunks_done, 2);
    assert_int_eq (job.pages_done, 3); // chunk 0 has 2 pages, chunk 2 has 1

    bool stored[4] = {true, true, true, true};
    assert_int_equal (
        jobstore_chunks_stored (fixture->store, S_JOB_A, stored, 4), 0);
    assert_true (stored[0]);
    assert_false (stored[1]);
    assert_true (stored[2]);
    assert_false (stored[3]); // beyond the job's chunks

    cJSON *status = s_status (fixture->store, S_JOB_A);
    const cJSON *pages = s_member (status, "pages");
    const cJSON *chunks = s_member (status, "chunks");
    assert_int_equal (s_member (pages, "done")->valueint, 3);
    assert_int_equal (s_member (pages, "total")->valueint, 5);
    assert_int_equal (s_member (chunks, "done")->valueint, 2);
    assert_int_equal (s_member (chunks, "total")->valueint, 3);
    cJSON_Delete (status);
}

static void
test_set_result_moves_to_done (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    char *location = NULL;
    uint64_t bytes = 1;
    jobstate_t job_state = JOB_DONE;
    assert_int_equal (jobstore_result (fixture->store, S_JOB_A, &location,
                                       &bytes, &job_state),
                      0);
    assert_null (location);
    assert_size_eq (bytes, 0);
    assert_int_equal (job_state, JOB_QUEUED);

    assert_int_equal (jobstore_set_result (fixture->store, S_JOB_A,
                                           "file:///srv/out/a.pdf",
                                           5000000000ULL),
                      0);
    assert_int_equal (jobstore_result (fixture->store, S_JOB_A, &location,
                                       &bytes, &job_state),
                      0);
    assert_non_null (location);
    assert_string_equal (location, "file:///srv/out/a.pdf");
    assert_size_eq (bytes, 5000000000ULL);
    assert_int_equal (job_state, JOB_DONE);
    free (location);

    cJSON *status = s_status (fixture->store, S_JOB_A);
    assert_string_equal (s_member (status, "state")->valuestring, "done");
    const cJSON *result = s_member (status, "result");
    assert_true (cJSON_IsObject (result));
    assert_true (s_member (result, "bytes")->valuedouble == 5000000000.0);
    assert_string_equal (s_member (result, "url")->valuestring,
                         "/v1/jobs/" S_JOB_A "/result");
    assert_true (
        cJSON_IsString (s_member (s_member (status, "transitions"), "done")));
    cJSON_Delete (status);
}

static void
test_active_lists_unfinished_jobs_oldest_first (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_C, fixture->spec),
                      0);
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_B, fixture->spec),
                      0);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_C, JOB_RENDERING, NULL), 0);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_A, JOB_CANCELLED, NULL), 0);

    zlist_t *active = jobstore_active (fixture->store);
    assert_non_null (active);
    assert_size_eq (zlist_size (active), 2);
    assert_string_equal ((char *)zlist_first (active), S_JOB_C);
    assert_string_equal ((char *)zlist_next (active), S_JOB_B);
    zlist_destroy (&active);
}

static void
test_status_json_has_every_field (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    cJSON *status = s_status (fixture->store, S_JOB_A);
    assert_string_equal (s_member (status, "id")->valuestring, S_JOB_A);
    assert_string_equal (s_member (status, "state")->valuestring, "queued");
    assert_int_equal (s_member (s_member (status, "pages"), "total")->valueint,
                      5);
    assert_int_equal (s_member (s_member (status, "chunks"), "done")->valueint,
                      0);
    //  RFC 3339, UTC, milliseconds: 2025-01-31T23:59:59.123Z
    const char *created_at = s_member (status, "created_at")->valuestring;
    assert_int_equal (strlen (created_at), 24);
    assert_int_equal (created_at[10], 'T');
    assert_int_equal (created_at[19], '.');
    assert_int_equal (created_at[23], 'Z');
    assert_true (cJSON_IsObject (s_member (status, "transitions")));
    assert_true (cJSON_IsNull (s_member (status, "error")));
    assert_true (cJSON_IsNull (s_member (status, "result")));
    //  Queued: no page yet, so no rate and no time left.
    const cJSON *progress = s_member (status, "progress");
    assert_true (cJSON_IsNumber (s_member (progress, "elapsed_s")));
    assert_true (cJSON_IsNull (s_member (progress, "pages_per_s")));
    assert_true (cJSON_IsNull (s_member (progress, "eta_s")));
    assert_string_equal (s_member (progress, "phase")->valuestring, "queued");
    cJSON_Delete (status);
}

//  The ids jobstore_list gives, joined by spaces ("" for none).
static void
s_list_text (jobstore_t *store, const char *owner, uint32_t states,
             const char *before_id, uint32_t limit, char *text, size_t size)
{
    int64_t before_created_at = 0;
    if (before_id) {
        jobstore_job_t job;
        assert_int_equal (jobstore_job (store, before_id, &job), 0);
        before_created_at = job.created_at;
    }
    zlist_t *ids = jobstore_list (store, owner, states, before_created_at,
                                  before_id, limit);
    assert_non_null (ids);
    text[0] = '\0';
    for (const char *id = (const char *)zlist_first (ids); id;
         id = (const char *)zlist_next (ids)) {
        size_t used = strlen (text);
        snprintf (text + used, size - used, "%s%s", used ? " " : "", id);
    }
    zlist_destroy (&ids);
}

static void
test_list_is_newest_first_by_owner_and_state_in_pages (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    //  Inserted in this order, at least a millisecond apart, so newest
    //  first is the other way round.
    const char *ids[] = {S_JOB_A, S_JOB_B, S_JOB_C, S_UNKNOWN};
    const char *owners[] = {"alice", "bob", "alice", "alice"};
    for (size_t index = 0; index < 4; index++) {
        assert_int_equal (jobstore_insert_owned (fixture->store, ids[index],
                                                 fixture->spec, owners[index]),
                          0);
        zclock_sleep (2);
    }
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_C, JOB_CANCELLED, NULL), 0);
    char text[256];
    s_list_text (fixture->store, NULL, 0, NULL, 10, text, sizeof text);
    assert_string_equal (text, S_UNKNOWN " " S_JOB_C " " S_JOB_B " " S_JOB_A);
    s_list_text (fixture->store, "alice", 0, NULL, 10, text, sizeof text);
    assert_string_equal (text, S_UNKNOWN " " S_JOB_C " " S_JOB_A);
    s_list_text (fixture->store, "alice", 0, NULL, 2, text, sizeof text);
    assert_string_equal (text, S_UNKNOWN " " S_JOB_C);
    s_list_text (fixture->store, "alice", 0, S_JOB_C, 2, text, sizeof text);
    assert_string_equal (text, S_JOB_A);
    s_list_text (fixture->store, "alice", 0, S_JOB_A, 2, text, sizeof text);
    assert_string_equal (text, "");
    s_list_text (fixture->store, "alice", 1u << JOB_QUEUED, NULL, 10, text,
                 sizeof text);
    assert_string_equal (text, S_UNKNOWN " " S_JOB_A);
    s_list_text (fixture->store, NULL,
                 (1u << JOB_CANCELLED) | (1u << JOB_DONE), NULL, 10, text,
                 sizeof text);
    assert_string_equal (text, S_JOB_C);
    s_list_text (fixture->store, "carol", 0, NULL, 10, text, sizeof text);
    assert_string_equal (text, "");
}

static void
test_recent_done_sums_the_newest_done_jobs (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    jobstore_rates_t rates;
    assert_int_equal (jobstore_recent_done (fixture->store, 20, &rates), 0);
    assert_int_equal (rates.jobs, 0);
    assert_int_equal (rates.pages, 0);
    const char *ids[] = {S_JOB_A, S_JOB_B, S_JOB_C};
    for (size_t index = 0; index < 3; index++) {
        assert_int_equal (
            jobstore_insert (fixture->store, ids[index], fixture->spec), 0);
        zclock_sleep (2);
    }
    //  A and B are done (5 pages each), C only renders.
    for (size_t index = 0; index < 3; index++)
        assert_int_equal (jobstore_set_state (fixture->store, ids[index],
                                              JOB_RENDERING, NULL),
                          0);
    zclock_sleep (5);
    assert_int_equal (
        jobstore_set_result (fixture->store, S_JOB_A, "file:///a", 1000), 0);
    assert_int_equal (
        jobstore_set_result (fixture->store, S_JOB_B, "file:///b", 3000), 0);
    assert_int_equal (jobstore_recent_done (fixture->store, 20, &rates), 0);
    assert_int_equal (rates.jobs, 2);
    assert_int_equal (rates.pages, 10);
    assert_int_equal (rates.bytes, 4000);
    assert_true (rates.ms >= 10);
    //  The newest one only.
    assert_int_equal (jobstore_recent_done (fixture->store, 1, &rates), 0);
    assert_int_equal (rates.jobs, 1);
    assert_int_equal (rates.bytes, 3000);
}

//  The status text *text_p without its "progress" member.
static void
s_drop_progress (char **text_p)
{
    cJSON *status = cJSON_Parse (*text_p);
    assert_non_null (status);
    assert_true (cJSON_IsObject (cJSON_GetObjectItem (status, "progress")));
    cJSON_DeleteItemFromObject (status, "progress");
    free (*text_p);
    *text_p = cJSON_PrintUnformatted (status);
    assert_non_null (*text_p);
    cJSON_Delete (status);
}

static void
test_reopened_store_keeps_everything (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_A, JOB_RENDERING, NULL), 0);
    assert_int_equal (jobstore_chunk_stored (fixture->store, S_JOB_A, 1), 1);
    char *before = jobstore_status_json (fixture->store, S_JOB_A);
    assert_non_null (before);
    jobstore_destroy (&fixture->store);
    assert_null (fixture->store);

    fixture->store = jobstore_open (fixture->data_dir);
    assert_non_null (fixture->store);
    char *after = jobstore_status_json (fixture->store, S_JOB_A);
    assert_non_null (after);
    //  Progress is seen at the time of asking; the rest is what was stored.
    s_drop_progress (&before);
    s_drop_progress (&after);
    assert_string_equal (after, before);
    char *template_json = jobstore_template_json (fixture->store, S_JOB_A);
    assert_non_null (template_json);
    free (template_json);
    assert_int_equal (jobstore_chunk_stored (fixture->store, S_JOB_A, 1), 0);
    free (before);
    free (after);
}

static void
test_second_handle_sees_first_handles_writes (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    jobstore_t *other = jobstore_open (fixture->data_dir);
    assert_non_null (other);
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    jobstore_job_t job;
    assert_int_equal (jobstore_job (other, S_JOB_A, &job), 0);
    assert_int_equal (jobstore_set_state (other, S_JOB_A, JOB_CANCELLED, NULL),
                      0);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_A, JOB_RENDERING, NULL), 1);
    jobstore_destroy (&other);
}

static void
test_open_fails_when_data_dir_is_a_file (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char path[128];
    snprintf (path, sizeof (path), "%s/plain-file", fixture->data_dir);
    testfile_write (path, NULL, 0);
    assert_null (jobstore_open (path));
}

static void
test_output_is_rendered_when_the_job_is_accepted (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    //  Without "output": the default key, no file name.
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    char *key = NULL, *filename = NULL;
    assert_int_equal (
        jobstore_output (fixture->store, S_JOB_A, &key, &filename), 0);
    assert_string_equal (key, S_JOB_A "/" S_JOB_A ".pdf");
    assert_null (filename);
    free (key);

    char document[1024];
    size_t length = strlen (s_document);
    snprintf (document, sizeof (document),
              "%.*s, \"output\": {\"key\": \"out/{{job_id}}-{{year}}.pdf\","
              " \"filename\": \"Report {{job_id}}.pdf\"}}",
              (int)length - 1, s_document);
    fielderr_t err;
    jobspec_t *spec = jobspec_parse (document, strlen (document), &err);
    if (!spec)
        fail_msg ("%s: %s", err.field, err.message);
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_B, spec), 0);
    jobspec_destroy (&spec);
    assert_int_equal (
        jobstore_output (fixture->store, S_JOB_B, &key, &filename), 0);
    char year[8];
    time_t now = time (NULL);
    strftime (year, sizeof (year), "%Y", gmtime (&now));
    char expected[128];
    snprintf (expected, sizeof (expected), "%s/out/%s-%s.pdf", S_JOB_B, S_JOB_B,
              year);
    assert_string_equal (key, expected);
    assert_string_equal (filename, "Report " S_JOB_B ".pdf");
    free (key);
    free (filename);
    assert_int_equal (
        jobstore_output (fixture->store, S_UNKNOWN, &key, &filename), -1);
    assert_null (key);
}

static void
test_version_1_database_is_upgraded (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char path[128];
    snprintf (path, sizeof (path), "%s/v1", fixture->data_dir);
    assert_int_equal (mkdir (path, 0755), 0);
    char db_path[160];
    snprintf (db_path, sizeof (db_path), "%s/" JOBSTORE_FILENAME, path);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (db_path, &db), SQLITE_OK);
    //  The version 1 jobs table as it was, with one job in it.
    assert_int_equal (
        sqlite3_exec (
            db,
            "CREATE TABLE jobs (id TEXT PRIMARY KEY NOT NULL, state TEXT NOT "
            "NULL, created_at INTEGER NOT NULL, pages INTEGER NOT NULL, "
            "chunk_pages INTEGER NOT NULL, chunk_count INTEGER NOT NULL, "
            "pages_done INTEGER NOT NULL DEFAULT 0, chunks_done INTEGER NOT "
            "NULL DEFAULT 0, error TEXT, result_location TEXT, result_bytes "
            "INTEGER, template_json TEXT NOT NULL);"
            "CREATE TABLE transitions (job_id TEXT NOT NULL, state TEXT NOT "
            "NULL, at INTEGER NOT NULL, PRIMARY KEY (job_id, state));"
            "CREATE TABLE chunks (job_id TEXT NOT NULL, chunk_nbr INTEGER NOT "
            "NULL, first_page INTEGER NOT NULL, page_count INTEGER NOT NULL, "
            "records_json TEXT NOT NULL, stored INTEGER NOT NULL DEFAULT 0, "
            "PRIMARY KEY (job_id, chunk_nbr));"
            "INSERT INTO jobs (id, state, created_at, pages, chunk_pages, "
            "chunk_count, template_json) VALUES ('" S_JOB_C
            "', 'queued', 1, 1, 1, 1, '{}');"
            "PRAGMA user_version = 1;",
            NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close (db);
    jobstore_t *store = jobstore_open (path);
    assert_non_null (store);
    char *key = NULL, *filename = NULL;
    assert_int_equal (jobstore_output (store, S_JOB_C, &key, &filename), 0);
    assert_string_equal (key, S_JOB_C ".pdf");
    assert_null (filename);
    free (key);
    //  The owner column is added; the old job has no owner.
    char *owner = (char *)"unset";
    assert_int_equal (jobstore_owner (store, S_JOB_C, &owner), 0);
    assert_null (owner);
    assert_int_equal (jobstore_insert (store, S_JOB_A, fixture->spec), 0);
    jobstore_destroy (&store);
}

static void
test_owner_is_the_one_given_at_insert (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert_owned (fixture->store, S_JOB_A,
                                             fixture->spec, "billing"),
                      0);
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_B, fixture->spec),
                      0);
    char *owner = NULL;
    assert_int_equal (jobstore_owner (fixture->store, S_JOB_A, &owner), 0);
    assert_string_equal (owner, "billing");
    free (owner);
    assert_int_equal (jobstore_owner (fixture->store, S_JOB_B, &owner), 0);
    assert_null (owner);
    assert_int_equal (jobstore_owner (fixture->store, S_UNKNOWN, &owner), -1);
    assert_null (owner);
    //  A reopened store keeps it.
    jobstore_destroy (&fixture->store);
    fixture->store = jobstore_open (fixture->data_dir);
    assert_non_null (fixture->store);
    assert_int_equal (jobstore_owner (fixture->store, S_JOB_A, &owner), 0);
    assert_string_equal (owner, "billing");
    free (owner);
}

static void
test_expired_lists_jobs_ended_before_a_time (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_B, fixture->spec),
                      0);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_A, JOB_FAILED, "broken"), 0);
    int64_t after = zclock_time () + 1;
    //  Not ended yet: B; ended after the time given: none.
    zlist_t *expired = jobstore_expired (fixture->store, after, 10);
    assert_non_null (expired);
    assert_size_eq (zlist_size (expired), 1);
    assert_string_equal ((char *)zlist_first (expired), S_JOB_A);
    zlist_destroy (&expired);
    expired = jobstore_expired (fixture->store, after - 60000, 10);
    assert_non_null (expired);
    assert_size_eq (zlist_size (expired), 0);
    zlist_destroy (&expired);
}

static void
test_delete_removes_an_ended_job_only (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_B, fixture->spec),
                      0);
    //  A job that has not ended stays.
    uint32_t deleted = 99;
    assert_int_equal (jobstore_delete (fixture->store, S_JOB_B, 10, &deleted),
                      JOBSTORE_DELETE_NONE);
    assert_int_equal (deleted, 0);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_A, JOB_CANCELLED, NULL), 0);
    //  Its 3 chunks, 2 at a time, then the job.
    assert_int_equal (jobstore_delete (fixture->store, S_JOB_A, 2, &deleted),
                      JOBSTORE_DELETE_MORE);
    assert_int_equal (deleted, 2);
    jobstore_job_t job;
    assert_int_equal (jobstore_job (fixture->store, S_JOB_A, &job), 0);
    assert_int_equal (jobstore_delete (fixture->store, S_JOB_A, 2, &deleted),
                      0);
    assert_int_equal (deleted, 1);
    assert_int_equal (jobstore_job (fixture->store, S_JOB_A, &job), -1);
    assert_int_equal (jobstore_job (fixture->store, S_JOB_B, &job), 0);
    assert_int_equal (jobstore_delete (fixture->store, S_JOB_A, 2, &deleted),
                      JOBSTORE_DELETE_NONE);
    assert_int_equal (jobstore_vacuum (fixture->store), 0);
    //  Its chunks and transitions went with it.
    char *path = zsys_sprintf ("%s/jobs.db", fixture->data_dir);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (db,
                            "SELECT (SELECT count(*) FROM chunks WHERE job_id"
                            " = ?1) + (SELECT count(*) FROM transitions"
                            " WHERE job_id = ?1)",
                            -1, &stmt, NULL),
        SQLITE_OK);
    sqlite3_bind_text (stmt, 1, S_JOB_A, -1, SQLITE_STATIC);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int (stmt, 0), 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    zstr_free (&path);
}

static void
test_disk_bytes_counts_the_database (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    uint64_t before = jobstore_disk_bytes (fixture->data_dir);
    assert_true (before > 0);
    assert_int_equal (jobstore_insert (fixture->store, S_JOB_A, fixture->spec),
                      0);
    assert_true (jobstore_disk_bytes (fixture->data_dir) > before);
    assert_int_equal (jobstore_disk_bytes ("/nonexistent-pdfpipe"), 0);
}

//  A job with a webhook waits for its end; ended, it is due, survives a
//  reopen, and goes through attempts to its outcome.
static void
test_webhook_is_due_once_the_job_ends (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    jobstore_t *store = fixture->store;
    assert_int_equal (
        jobspec_set_webhook_url (fixture->spec, "https://h.example/x"), 0);
    assert_int_equal (jobstore_insert (store, S_JOB_A, fixture->spec), 0);
    assert_int_equal (jobspec_set_webhook_url (fixture->spec, NULL), 0);
    assert_int_equal (jobstore_insert (store, S_JOB_B, fixture->spec), 0);
    int64_t now = 1000000;
    zlist_t *due = jobstore_webhooks_due (store, now, 10);
    assert_int_equal (zlist_size (due), 0);
    zlist_destroy (&due);
    //  A job with no webhook has nothing to be due.
    assert_int_equal (jobstore_webhook_due (store, S_JOB_B, now), 0);
    //  A running job's webhook is not recovered; an ended one's is.
    assert_int_equal (jobstore_webhooks_recover (store, now), 0);
    due = jobstore_webhooks_due (store, now, 10);
    assert_int_equal (zlist_size (due), 0);
    zlist_destroy (&due);
    assert_int_equal (jobstore_set_state (store, S_JOB_A, JOB_CANCELLED, NULL),
                      0);
    assert_int_equal (jobstore_webhooks_recover (store, now), 0);
    //  Reopened: still due.
    jobstore_destroy (&fixture->store);
    store = fixture->store = jobstore_open (fixture->data_dir);
    assert_non_null (store);
    due = jobstore_webhooks_due (store, now, 10);
    assert_int_equal (zlist_size (due), 1);
    assert_string_equal (zlist_first (due), S_JOB_A);
    zlist_destroy (&due);
    //  An attempt keeps the first body and holds the delivery off.
    jobstore_webhook_t webhook;
    assert_int_equal (jobstore_webhook_begin (store, S_JOB_A, "{\"n\":1}",
                                              now + 500, &webhook),
                      0);
    assert_string_equal (webhook.url, "https://h.example/x");
    assert_string_equal (webhook.body, "{\"n\":1}");
    assert_int_equal (webhook.attempts, 1);
    assert_int_equal (webhook.ended_at, now);
    jobstore_webhook_clear (&webhook);
    due = jobstore_webhooks_due (store, now + 499, 10);
    assert_int_equal (zlist_size (due), 0);
    zlist_destroy (&due);
    assert_int_equal (
        jobstore_webhook_retry (store, S_JOB_A, now + 100, "answered 500"), 0);
    due = jobstore_webhooks_due (store, now + 100, 10);
    assert_int_equal (zlist_size (due), 1);
    zlist_destroy (&due);
    assert_int_equal (jobstore_webhook_begin (store, S_JOB_A, "{\"n\":2}",
                                              now + 900, &webhook),
                      0);
    assert_string_equal (webhook.body, "{\"n\":1}");
    assert_int_equal (webhook.attempts, 2);
    jobstore_webhook_clear (&webhook);
    //  Settled: never due again, no more attempts.
    assert_int_equal (
        jobstore_webhook_finish (store, S_JOB_A, true, now + 200, NULL), 0);
    due = jobstore_webhooks_due (store, now + 100000, 10);
    assert_int_equal (zlist_size (due), 0);
    zlist_destroy (&due);
    assert_int_equal (
        jobstore_webhook_begin (store, S_JOB_A, "{}", now, &webhook), -1);
    assert_null (webhook.url);
}

int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests[] = {
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
        S_TEST (test_insert_then_read_job_back),
        S_TEST (test_owner_is_the_one_given_at_insert),
        S_TEST (test_insert_stores_template_and_leaves_records_to_their_file),
        S_TEST (test_records_of_a_job_stored_with_them_are_still_read),
        S_TEST (test_insert_rejects_a_used_id),
        S_TEST (test_unknown_job_is_reported_not_invented),
        S_TEST (test_set_state_stamps_each_transition),
        S_TEST (test_terminal_state_is_never_left),
        S_TEST (test_chunk_stored_is_idempotent_and_counts_pages),
        S_TEST (test_set_result_moves_to_done),
        S_TEST (test_active_lists_unfinished_jobs_oldest_first),
        S_TEST (test_status_json_has_every_field),
        S_TEST (test_reopened_store_keeps_everything),
        S_TEST (test_list_is_newest_first_by_owner_and_state_in_pages),
        S_TEST (test_recent_done_sums_the_newest_done_jobs),
        S_TEST (test_second_handle_sees_first_handles_writes),
        S_TEST (test_open_fails_when_data_dir_is_a_file),
        S_TEST (test_output_is_rendered_when_the_job_is_accepted),
        S_TEST (test_version_1_database_is_upgraded),
        S_TEST (test_expired_lists_jobs_ended_before_a_time),
        S_TEST (test_delete_removes_an_ended_job_only),
        S_TEST (test_disk_bytes_counts_the_database),
        S_TEST (test_webhook_is_due_once_the_job_ends),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
