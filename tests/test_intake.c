/*  test_intake - job documents taken in by intake threads while the caller
    (the HTTP thread, in the ventilator) only writes their bytes.

    The suspend and resume callbacks here record that they were called;
    a resume is waited for on a condition variable, with a deadline that
    fails the test rather than hangs it. Each test gets a fresh data
    directory with a job store.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>
#include <pthread.h>
#include <time.h>

#include "intake.h"
#include "jobstore.h"
#include "recordfile.h"
#include "testassert.h"
#include "testdir.h"

#define S_UPLOADS_MAX 2
#define S_WAIT_S 20 // a resume that takes longer fails the test

static const char *s_document =
    "{\"version\": 1, \"chunk_pages\": 2, \"template\": {\"elements\": "
    "[{\"type\": \"text\", \"text\": \"Hello {{name}}\", \"x\": 50, \"y\": "
    "780}]}, \"records\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": "
    "\"c\"}]}";

typedef struct {
    testdir_t *testdir;
    char *jobs_dir;
    char *spool_dir;
    intake_t *intake;
    pthread_mutex_t mutex;
    pthread_cond_t resumed_cond;
    int suspended; // calls of s_suspend
    int resumed;   // calls of s_resume
} s_fixture_t;

static void
s_suspend (void *arg)
{
    s_fixture_t *fixture = (s_fixture_t *)arg;
    pthread_mutex_lock (&fixture->mutex);
    fixture->suspended++;
    pthread_mutex_unlock (&fixture->mutex);
}

static void
s_resume (void *arg)
{
    s_fixture_t *fixture = (s_fixture_t *)arg;
    pthread_mutex_lock (&fixture->mutex);
    fixture->resumed++;
    pthread_cond_broadcast (&fixture->resumed_cond);
    pthread_mutex_unlock (&fixture->mutex);
}

static void
s_start (s_fixture_t *fixture, uint64_t min_free_bytes)
{
    intake_config_t config = {
        .data_dir = testdir_path (fixture->testdir),
        .jobs_dir = fixture->jobs_dir,
        .spool_dir = fixture->spool_dir,
        .s3 = NULL,
        .max_records_bytes = 1024 * 1024,
        .min_free_bytes = min_free_bytes,
        .uploads_max = S_UPLOADS_MAX,
    };
    fixture->intake = intake_new (&config);
    assert_non_null (fixture->intake);
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)calloc (1, sizeof (s_fixture_t));
    fixture->testdir = testdir_new ("test_intake");
    fixture->jobs_dir = testdir_join (fixture->testdir, "jobs");
    fixture->spool_dir = testdir_join (fixture->testdir, "uploads");
    //  The store's schema, as the ventilator's main thread makes it.
    jobstore_t *store = jobstore_open (testdir_path (fixture->testdir));
    assert_non_null (store);
    jobstore_destroy (&store);
    pthread_mutex_init (&fixture->mutex, NULL);
    pthread_cond_init (&fixture->resumed_cond, NULL);
    s_start (fixture, 0);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    intake_destroy (&fixture->intake);
    pthread_cond_destroy (&fixture->resumed_cond);
    pthread_mutex_destroy (&fixture->mutex);
    free (fixture->jobs_dir);
    free (fixture->spool_dir);
    testdir_destroy (&fixture->testdir);
    free (fixture);
    return 0;
}

//  Wait until resumed has reached count.
static void
s_wait_resumed (s_fixture_t *fixture, int count)
{
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += S_WAIT_S;
    pthread_mutex_lock (&fixture->mutex);
    int rc = 0;
    while (fixture->resumed < count && rc == 0)
        rc = pthread_cond_timedwait (&fixture->resumed_cond, &fixture->mutex,
                                     &deadline);
    int resumed = fixture->resumed;
    pthread_mutex_unlock (&fixture->mutex);
    if (resumed < count)
        fail_msg ("not resumed within %d s", S_WAIT_S);
}

//  Write text in pieces of piece bytes and end it; wait for the outcome.
static admission_outcome_t
s_take_in (s_fixture_t *fixture, intake_upload_t *upload, const char *text,
           size_t piece, const fielderr_t **err_p)
{
    size_t size = strlen (text);
    for (size_t at = 0; at < size; at += piece)
        assert_int_equal (intake_write (upload, text + at,
                                        piece < size - at ? piece : size - at),
                          0);
    int resumed = fixture->resumed;
    if (!intake_end (upload, s_suspend, s_resume, fixture)) {
        assert_int_eq (fixture->suspended, resumed + 1);
        s_wait_resumed (fixture, resumed + 1);
    }
    return intake_outcome (upload, err_p);
}

static void
test_a_document_is_stored_by_its_intake_thread (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    intake_refusal_t refusal;
    intake_upload_t *upload = intake_begin (
        fixture->intake, strlen (s_document), NULL, false, &refusal);
    assert_non_null (upload);
    assert_int_eq (strlen (intake_job_id (upload)), PROTO_JOB_ID_LENGTH);
    const fielderr_t *err = NULL;
    admission_outcome_t outcome =
        s_take_in (fixture, upload, s_document, 7, &err);
    if (outcome != ADMISSION_ACCEPTED)
        fail_msg ("outcome %d: %s: %s", (int)outcome, err->field, err->message);
    assert_int_eq (intake_pages (upload), 3);
    assert_int_eq (intake_chunks (upload), 2);
    char *chunk =
        recordfile_chunk (fixture->jobs_dir, intake_job_id (upload), 1);
    assert_string_equal (chunk, "[{\"name\":\"c\"}]");
    free (chunk);
    intake_drop (&upload);
    assert_null (upload);
    assert_int_eq (testdir_count_entries (fixture->spool_dir), 0);
}

static void
test_a_refused_document_leaves_nothing (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    intake_refusal_t refusal;
    intake_upload_t *upload =
        intake_begin (fixture->intake, 0, NULL, false, &refusal);
    const fielderr_t *err = NULL;
    assert_int_equal (s_take_in (fixture, upload,
                                 "{\"version\": 2, \"records\": [{}, {}]}", 3,
                                 &err),
                      ADMISSION_REFUSED);
    assert_string_equal (err->field, "version");
    intake_drop (&upload);
    assert_int_eq (testdir_count_entries (fixture->jobs_dir), 0);
    assert_int_eq (testdir_count_entries (fixture->spool_dir), 0);
}

static void
test_uploads_beyond_the_limit_are_busy_until_one_goes (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    intake_refusal_t refusal;
    intake_upload_t *uploads[S_UPLOADS_MAX];
    for (int index = 0; index < S_UPLOADS_MAX; index++) {
        uploads[index] =
            intake_begin (fixture->intake, 0, NULL, false, &refusal);
        assert_non_null (uploads[index]);
        assert_int_equal (intake_write (uploads[index], "{\"records\": [", 13),
                          0);
    }
    assert_null (intake_begin (fixture->intake, 0, NULL, false, &refusal));
    assert_int_equal (refusal, INTAKE_BUSY);
    //  Dropped half-way: abandoned, its place free again once its thread
    //  has let go.
    intake_drop (&uploads[0]);
    intake_upload_t *next = NULL;
    for (int tries = 0; !next && tries < 1000; tries++) {
        next = intake_begin (fixture->intake, 0, NULL, false, &refusal);
        if (!next)
            zclock_sleep (10);
    }
    assert_non_null (next);
    intake_drop (&next);
    intake_drop (&uploads[1]);
}

static void
test_a_disk_without_room_refuses_an_upload (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    intake_destroy (&fixture->intake);
    s_start (fixture, UINT64_MAX / 4);
    intake_refusal_t refusal;
    assert_null (intake_begin (fixture->intake, 0, NULL, false, &refusal));
    assert_int_equal (refusal, INTAKE_NO_SPACE);
}

static void
test_stopping_abandons_and_resumes_a_waiting_upload (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    intake_refusal_t refusal;
    intake_upload_t *upload =
        intake_begin (fixture->intake, 0, NULL, false, &refusal);
    assert_int_equal (intake_write (upload, "{\"records\": [{}", 15), 0);
    //  Not ended: stopping gives it up; its end then finds it known.
    intake_stop (fixture->intake);
    assert_null (intake_begin (fixture->intake, 0, NULL, false, &refusal));
    assert_int_equal (refusal, INTAKE_BUSY);
    assert_true (intake_end (upload, s_suspend, s_resume, fixture));
    const fielderr_t *err = NULL;
    assert_int_equal (intake_outcome (upload, &err), ADMISSION_ABANDONED);
    assert_non_null (strstr (err->message, "stopping"));
    intake_drop (&upload);
    assert_int_eq (testdir_count_entries (fixture->jobs_dir), 0);
    assert_int_eq (testdir_count_entries (fixture->spool_dir), 0);
}

int
main (void)
{
    zsys_init ();
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_TEST (test_a_document_is_stored_by_its_intake_thread),
        S_TEST (test_a_refused_document_leaves_nothing),
        S_TEST (test_uploads_beyond_the_limit_are_busy_until_one_goes),
        S_TEST (test_a_disk_without_room_refuses_an_upload),
        S_TEST (test_stopping_abandons_and_resumes_a_waiting_upload),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
