/*  test_admission - a job document becoming a stored job as it arrives:
    its records file and its row when it is accepted, nothing at all when
    it is refused, too large or fails, whenever that is found.

    Each test gets a fresh data directory with a real job store. Records
    named by URL come from a scripted HTTP server on loopback (testserver)
    standing in for S3.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>
#include <sys/stat.h>

#include "admission.h"
#include "recordfile.h"
#include "testassert.h"
#include "testdir.h"
#include "testserver.h"

#define S_JOB_A "0123456789abcdef0123456789abcdef"
#define S_QUOTA (64 * 1024)

//  What the operator lets jobs read (set in main).
static s3inputs_t *s_inputs;

#define S_TEMPLATE                                                             \
    "{\"elements\": [{\"type\": \"text\", \"text\": \"Hello {{name}}\", "      \
    "\"x\": 50, \"y\": 780}]}"

typedef struct {
    testdir_t *testdir;
    char *jobs_dir;
    jobstore_t *store;
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)calloc (1, sizeof (s_fixture_t));
    fixture->testdir = testdir_new ("test_admission");
    fixture->jobs_dir = testdir_join (fixture->testdir, "jobs");
    fixture->store = jobstore_open (testdir_path (fixture->testdir));
    assert_non_null (fixture->store);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    jobstore_destroy (&fixture->store);
    free (fixture->jobs_dir);
    testdir_destroy (&fixture->testdir);
    free (fixture);
    return 0;
}

//  Admit text, fed in pieces of piece bytes, with s3 (may be NULL).
//  Returns the admission, ended.
static admission_t *
s_admit_with (s_fixture_t *fixture, const char *text, size_t piece,
              const admission_config_t *config)
{
    admission_t *admission = admission_new (config, S_JOB_A);
    assert_non_null (admission);
    size_t size = strlen (text);
    for (size_t at = 0; at < size; at += piece)
        if (admission_feed (admission, text + at,
                            piece < size - at ? piece : size - at) == -1)
            break;
    admission_end (admission, fixture->store);
    return admission;
}

static admission_t *
s_admit (s_fixture_t *fixture, const char *text, size_t piece,
         const s3_config_t *s3, uint64_t quota)
{
    admission_config_t config = {.jobs_dir = fixture->jobs_dir,
                                 .s3 = s3,
                                 .s3_inputs = s_inputs,
                                 .max_records_bytes = quota};
    return s_admit_with (fixture, text, piece, &config);
}

//  Nothing of job S_JOB_A exists: no row, no directory.
static void
s_assert_nothing_left (s_fixture_t *fixture)
{
    jobstore_job_t job;
    assert_int_equal (jobstore_job (fixture->store, S_JOB_A, &job), -1);
    char *dir = testdir_join (fixture->testdir, "jobs/%s", S_JOB_A);
    struct stat info;
    if (stat (dir, &info) == 0)
        fail_msg ("%s is left behind", dir);
    free (dir);
}

static void
s_assert_outcome (admission_t *admission, admission_outcome_t outcome,
                  const char *field, const char *words)
{
    const fielderr_t *err = admission_error (admission);
    if (admission_outcome (admission) != outcome)
        fail_msg ("outcome %d, expected %d (%s: %s)",
                  (int)admission_outcome (admission), (int)outcome, err->field,
                  err->message);
    assert_string_equal (err->field, field);
    if (!strstr (err->message, words))
        fail_msg ("'%s' lacks '%s'", err->message, words);
}

static void
test_accepted_job_has_its_records_file_and_row (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    admission_t *admission = s_admit (
        fixture,
        "{\"records\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": "
        "\"c\"}], \"chunk_pages\": 2, \"version\": 1, \"template\": " S_TEMPLATE
        "}",
        3, NULL, S_QUOTA);
    assert_int_equal (admission_outcome (admission), ADMISSION_ACCEPTED);
    assert_int_eq (admission_pages (admission), 3);
    assert_int_eq (admission_chunks (admission), 2);
    admission_destroy (&admission);
    jobstore_job_t job;
    assert_int_equal (jobstore_job (fixture->store, S_JOB_A, &job), 0);
    assert_int_eq (job.chunk_count, 2);
    char *chunk = recordfile_chunk (fixture->jobs_dir, S_JOB_A, 1);
    assert_string_equal (chunk, "[{\"name\":\"c\"}]");
    free (chunk);
}

static void
test_dry_run_checks_and_leaves_nothing (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    admission_config_t config = {.jobs_dir = fixture->jobs_dir,
                                 .max_records_bytes = S_QUOTA,
                                 .dry_run = true};
    admission_t *admission = s_admit_with (
        fixture,
        "{\"records\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": "
        "\"c\"}], \"chunk_pages\": 2, \"version\": 1, \"template\": " S_TEMPLATE
        "}",
        4, &config);
    assert_int_equal (admission_outcome (admission), ADMISSION_ACCEPTED);
    assert_int_eq (admission_pages (admission), 3);
    assert_int_eq (admission_chunks (admission), 2);
    admission_destroy (&admission);
    s_assert_nothing_left (fixture);
    //  The same errors as a submission.
    admission = s_admit_with (fixture,
                              "{\"version\": 1, \"template\": " S_TEMPLATE
                              ", \"records\": [{\"name\": \"a\"}, 2]}",
                              5, &config);
    s_assert_outcome (admission, ADMISSION_REFUSED, "records[1]",
                      "must be an object");
    admission_destroy (&admission);
    s_assert_nothing_left (fixture);
}

static void
test_refused_job_leaves_nothing (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    //  Refused when the document is complete.
    admission_t *admission =
        s_admit (fixture,
                 "{\"version\": 1, \"template\": " S_TEMPLATE
                 ", \"records\": [{\"name\": \"a\"}, {\"nom\": \"b\"}]}",
                 5, NULL, S_QUOTA);
    s_assert_outcome (admission, ADMISSION_REFUSED, "records[1].name",
                      "missing field 'name'");
    assert_int_equal (admission_end (admission, fixture->store),
                      ADMISSION_REFUSED);
    admission_destroy (&admission);
    s_assert_nothing_left (fixture);
    //  Refused half-way: the rest is not wanted.
    admission_config_t config = {.jobs_dir = fixture->jobs_dir,
                                 .max_records_bytes = S_QUOTA};
    admission = admission_new (&config, S_JOB_A);
    char deep[200] = "{\"records\": [{}, ";
    memset (deep + strlen (deep), '[', 100);
    assert_int_equal (admission_feed (admission, deep, strlen (deep)), -1);
    assert_int_equal (admission_feed (admission, "]", 1), -1);
    s_assert_outcome (admission, ADMISSION_REFUSED, "",
                      "nested deeper than 64 levels");
    assert_int_equal (admission_end (admission, fixture->store),
                      ADMISSION_REFUSED);
    admission_destroy (&admission);
    s_assert_nothing_left (fixture);
}

static void
test_records_past_the_quota_are_too_large (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    admission_t *admission = s_admit (
        fixture,
        "{\"version\": 1, \"template\": " S_TEMPLATE
        ", \"records\": [{\"name\": \"0123456789\"}, {\"name\": \"0123\"}]}",
        1024, NULL, 30);
    s_assert_outcome (admission, ADMISSION_TOO_LARGE, "records",
                      "the job's records are larger than the limit of 30 "
                      "bytes (the ventilator's --max-body-mb)");
    admission_destroy (&admission);
    s_assert_nothing_left (fixture);
}

static void
test_a_used_id_fails_and_leaves_the_job_alone (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    const char *text = "{\"version\": 1, \"template\": " S_TEMPLATE
                       ", \"records\": [{\"name\": \"a\"}]}";
    admission_t *admission = s_admit (fixture, text, 1024, NULL, S_QUOTA);
    assert_int_equal (admission_outcome (admission), ADMISSION_ACCEPTED);
    admission_destroy (&admission);
    admission = s_admit (fixture, text, 1024, NULL, S_QUOTA);
    s_assert_outcome (admission, ADMISSION_FAILED, "", "could not be stored");
    admission_destroy (&admission);
    char *chunk = recordfile_chunk (fixture->jobs_dir, S_JOB_A, 0);
    assert_string_equal (chunk, "[{\"name\":\"a\"}]");
    free (chunk);
}

static void
test_records_named_by_url_are_fetched_into_the_file (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    testserver_answer_t object = {.status = 200,
                                  .body = "name\nAda\nBob\n\"C, D\"\n"};
    testserver_t *server = testserver_start (&object, 1);
    s3_config_t s3 = {
        .access_key_id = "AKIDTEST",
        .secret_access_key = "secret",
        .region = "us-east-1",
        .endpoint = testserver_url (server),
        .path_style = true,
        .part_size = S3_PART_SIZE_DEFAULT,
        .max_attempts = 1,
        .retry_base_ms = 1,
        .presign_expires_s = 60,
    };
    admission_t *admission = s_admit (
        fixture,
        "{\"version\": 1, \"chunk_pages\": 2, \"template\": " S_TEMPLATE
        ", \"records\": \"s3://bucket/in/people.csv\"}",
        7, &s3, S_QUOTA);
    assert_int_equal (admission_outcome (admission), ADMISSION_ACCEPTED);
    assert_int_eq (admission_pages (admission), 3);
    admission_destroy (&admission);
    char *chunk = recordfile_chunk (fixture->jobs_dir, S_JOB_A, 0);
    assert_string_equal (chunk, "[{\"name\":\"Ada\"},{\"name\":\"Bob\"}]");
    free (chunk);
    testserver_destroy (&server);
}

static void
test_a_url_without_s3_is_refused_and_leaves_nothing (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    admission_t *admission =
        s_admit (fixture,
                 "{\"version\": 1, \"template\": " S_TEMPLATE
                 ", \"records\": \"s3://bucket/in/people.csv\"}",
                 1024, NULL, S_QUOTA);
    s_assert_outcome (admission, ADMISSION_REFUSED, "records",
                      "this ventilator has no S3 configuration");
    admission_destroy (&admission);
    s_assert_nothing_left (fixture);
}

//  A job with S_TEMPLATE, one record and extra members.
#define S_WEBHOOK_JOB(extra)                                                   \
    "{\"version\": 1, \"template\": " S_TEMPLATE                               \
    ", \"records\": [{\"name\": \"a\"}]" extra "}"

static void
test_webhook_outside_the_allowlist_is_refused (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char error[HOOKTARGET_ERROR_MAX];
    hooktarget_t *targets = hooktarget_new ("hooks.example.com", false, error);
    assert_non_null (targets);
    admission_config_t config = {.jobs_dir = fixture->jobs_dir,
                                 .max_records_bytes = S_QUOTA,
                                 .webhooks = targets};
    admission_t *admission = s_admit_with (
        fixture,
        S_WEBHOOK_JOB (", \"webhook\": {\"url\": \"https://10.0.0.1/\"}"), 64,
        &config);
    s_assert_outcome (admission, ADMISSION_REFUSED, "webhook.url",
                      "host '10.0.0.1' is not in this server's webhook "
                      "allowlist (PDFPIPE_WEBHOOK_ALLOW)");
    admission_destroy (&admission);
    s_assert_nothing_left (fixture);
    //  Without an allowlist, no webhook at all.
    config.webhooks = NULL;
    admission = s_admit_with (fixture,
                              S_WEBHOOK_JOB (", \"webhook\": {\"url\": "
                                             "\"https://hooks.example.com/\"}"),
                              64, &config);
    s_assert_outcome (admission, ADMISSION_REFUSED, "webhook.url",
                      "PDFPIPE_WEBHOOK_ALLOW is empty");
    admission_destroy (&admission);
    s_assert_nothing_left (fixture);
    hooktarget_destroy (&targets);
}

static void
test_webhook_or_the_default_is_stored_with_the_job (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char error[HOOKTARGET_ERROR_MAX];
    hooktarget_t *targets = hooktarget_new ("hooks.example.com", false, error);
    assert_non_null (targets);
    //  A job naming none gets the operator's default.
    admission_config_t config = {
        .jobs_dir = fixture->jobs_dir,
        .max_records_bytes = S_QUOTA,
        .webhooks = targets,
        .webhook_url = "https://hooks.example.com/default"};
    admission_t *admission =
        s_admit_with (fixture, S_WEBHOOK_JOB (""), 64, &config);
    assert_int_equal (admission_outcome (admission), ADMISSION_ACCEPTED);
    admission_destroy (&admission);
    assert_int_equal (
        jobstore_set_state (fixture->store, S_JOB_A, JOB_CANCELLED, NULL), 0);
    assert_int_equal (jobstore_webhook_due (fixture->store, S_JOB_A, 5), 0);
    jobstore_webhook_t webhook;
    assert_int_equal (
        jobstore_webhook_begin (fixture->store, S_JOB_A, "{}", 10, &webhook),
        0);
    assert_string_equal (webhook.url, "https://hooks.example.com/default");
    jobstore_webhook_clear (&webhook);
    hooktarget_destroy (&targets);
}

int
main (void)
{
    zsys_init ();
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_TEST (test_accepted_job_has_its_records_file_and_row),
        S_TEST (test_dry_run_checks_and_leaves_nothing),
        S_TEST (test_refused_job_leaves_nothing),
        S_TEST (test_records_past_the_quota_are_too_large),
        S_TEST (test_a_used_id_fails_and_leaves_the_job_alone),
        S_TEST (test_records_named_by_url_are_fetched_into_the_file),
        S_TEST (test_a_url_without_s3_is_refused_and_leaves_nothing),
        S_TEST (test_webhook_outside_the_allowlist_is_refused),
        S_TEST (test_webhook_or_the_default_is_stored_with_the_job),
    };
    char error[S3INPUTS_ERROR_MAX];
    s_inputs = s3inputs_new ("bucket/in", error);
    assert_non_null (s_inputs);
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    s3inputs_destroy (&s_inputs);
    return failed;
}
