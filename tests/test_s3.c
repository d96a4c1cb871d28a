/*  test_s3 - common/store/s3: configuration from the environment, URLs, and how
    uploads and downloads behave when the store answers badly.

    Answers come from a scripted HTTP server on loopback (testserver), in
    a thread of this test: each connection gets the next scripted answer
    (status, headers, body, or a connection cut short), and the server
    records what was asked. It checks no signature: that is what the
    end-to-end tests against moto_server are for (tests/e2e/test_s3.py).
    Here the subject is the client's own logic: which answers are retried,
    that a failed multipart upload is aborted, that a dropped download
    resumes, and what the error texts say.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>
#include <unistd.h>

#include "s3.h"
#include "testassert.h"
#include "testserver.h"

#define S_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

//  A client for the scripted server: path style, tries per request as
//  given, 1 ms backoff.
static s3_t *
s_client (testserver_t *server, uint32_t attempts)
{
    s3_config_t config = {
        .access_key_id = "AKIDTEST",
        .secret_access_key = S_SECRET,
        .region = "us-east-1",
        .endpoint = testserver_url (server),
        .path_style = true,
        .part_size = S3_PART_SIZE_MIN,
        .max_attempts = attempts,
        .retry_base_ms = 1,
        .presign_expires_s = 60,
    };
    char error[S3_ERROR_MAX];
    s3_t *s3 = s3_new (&config, error);
    if (!s3)
        fail_msg ("%s", error);
    return s3;
}

//  A file of size bytes; caller frees the path and unlinks the file.
static char *
s_make_file (size_t size)
{
    char *path = strdup ("/tmp/test_s3.XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    char block[4096];
    for (size_t index = 0; index < sizeof (block); index++)
        block[index] = (char)('a' + index % 26);
    for (size_t done = 0; done < size;) {
        size_t step =
            size - done < sizeof (block) ? size - done : sizeof (block);
        assert_int_equal (write (fd, block, step), (ssize_t)step);
        done += step;
    }
    close (fd);
    return path;
}

static bool
s_starts_with (const char *text, const char *prefix)
{
    return strncmp (text, prefix, strlen (prefix)) == 0;
}

static void
s_clear_environment (void)
{
    const char *names[] = {
        "AWS_ACCESS_KEY_ID",         "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",         "AWS_REGION",
        "AWS_DEFAULT_REGION",        "PDFPIPE_S3_ENDPOINT",
        "AWS_ENDPOINT_URL_S3",       "AWS_ENDPOINT_URL",
        "PDFPIPE_S3_PATH_STYLE",     "PDFPIPE_S3_PART_SIZE_MB",
        "PDFPIPE_S3_MAX_ATTEMPTS",   "PDFPIPE_S3_RETRY_BASE_MS",
        "PDFPIPE_S3_PRESIGN_EXPIRES"};
    for (size_t index = 0; index < sizeof (names) / sizeof (names[0]); index++)
        unsetenv (names[index]);
}

#define S_ERROR_DOCUMENT(code, message)                                        \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" code           \
    "</Code><Message>" message "</Message><RequestId>1</RequestId></Error>"

static void
test_config_needs_credentials (void **state)
{
    (void)state;
    s_clear_environment ();
    s3_config_t config;
    char error[S3_ERROR_MAX];
    assert_int_equal (s3_config_from_env (&config, error), -1);
    assert_non_null (strstr (error, "AWS_ACCESS_KEY_ID"));
    setenv ("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
    assert_int_equal (s3_config_from_env (&config, error), -1);
    setenv ("AWS_SECRET_ACCESS_KEY", S_SECRET, 1);
    assert_int_equal (s3_config_from_env (&config, error), 0);
    s_clear_environment ();
}

static void
test_config_defaults_and_precedence (void **state)
{
    (void)state;
    s_clear_environment ();
    setenv ("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
    setenv ("AWS_SECRET_ACCESS_KEY", S_SECRET, 1);
    s3_config_t config;
    char error[S3_ERROR_MAX];
    assert_int_equal (s3_config_from_env (&config, error), 0);
    assert_string_equal (config.region, S3_REGION_DEFAULT);
    assert_null (config.endpoint);
    assert_false (config.path_style);
    assert_size_eq (config.part_size, S3_PART_SIZE_DEFAULT);
    assert_int_eq (config.max_attempts, S3_ATTEMPTS_DEFAULT);
    assert_int_equal (config.presign_expires_s, S3_PRESIGN_EXPIRES_DEFAULT);
    assert_null (config.session_token);

    setenv ("AWS_DEFAULT_REGION", "eu-central-1", 1);
    setenv ("AWS_ENDPOINT_URL", "http://generic:1", 1);
    assert_int_equal (s3_config_from_env (&config, error), 0);
    assert_string_equal (config.region, "eu-central-1");
    assert_string_equal (config.endpoint, "http://generic:1");
    //  An endpoint means an S3-compatible store: path style by default.
    assert_true (config.path_style);

    setenv ("AWS_REGION", "eu-west-1", 1);
    setenv ("AWS_ENDPOINT_URL_S3", "http://s3-only:2", 1);
    setenv ("PDFPIPE_S3_ENDPOINT", "https://ours:3", 1);
    setenv ("PDFPIPE_S3_PATH_STYLE", "0", 1);
    setenv ("PDFPIPE_S3_PART_SIZE_MB", "64", 1);
    setenv ("AWS_SESSION_TOKEN", "token", 1);
    assert_int_equal (s3_config_from_env (&config, error), 0);
    assert_string_equal (config.region, "eu-west-1");
    assert_string_equal (config.endpoint, "https://ours:3");
    assert_false (config.path_style);
    assert_size_eq (config.part_size, 64 * S3_MIB);
    assert_string_equal (config.session_token, "token");
    s_clear_environment ();
}

static void
test_config_names_the_bad_variable (void **state)
{
    (void)state;
    const struct {
        const char *name;
        const char *value;
    } bad[] = {
        {"PDFPIPE_S3_PART_SIZE_MB", "4"},
        {"PDFPIPE_S3_PART_SIZE_MB", "16M"},
        {"PDFPIPE_S3_PATH_STYLE", "yes"},
        {"PDFPIPE_S3_MAX_ATTEMPTS", "0"},
        {"PDFPIPE_S3_PRESIGN_EXPIRES", "604801"},
        {"PDFPIPE_S3_RETRY_BASE_MS", "-5"},
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        s_clear_environment ();
        setenv ("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
        setenv ("AWS_SECRET_ACCESS_KEY", S_SECRET, 1);
        setenv (bad[index].name, bad[index].value, 1);
        s3_config_t config;
        char error[S3_ERROR_MAX] = "";
        assert_int_equal (s3_config_from_env (&config, error), -1);
        assert_non_null (strstr (error, bad[index].name));
        assert_null (strstr (error, "wJalr"));
    }
    s_clear_environment ();
}

static void
test_new_refuses_bad_endpoints_and_regions (void **state)
{
    (void)state;
    s3_config_t config = {
        .access_key_id = "AKIDTEST",
        .secret_access_key = S_SECRET,
        .region = "us-east-1",
        .part_size = S3_PART_SIZE_DEFAULT,
        .max_attempts = 3,
        .presign_expires_s = 60,
    };
    char error[S3_ERROR_MAX];
    const char *bad[] = {"ftp://host", "http://", "http://host/path",
                         "http://us er@host", "host:9000"};
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        config.endpoint = bad[index];
        s3_t *s3 = s3_new (&config, error);
        if (s3)
            fail_msg ("accepted endpoint %s", bad[index]);
        assert_non_null (strstr (error, "endpoint"));
    }
    config.endpoint = NULL;
    config.region = "us-east-1/../x";
    assert_null (s3_new (&config, error));
    config.region = "us-east-1";
    config.part_size = S3_PART_SIZE_MIN - 1;
    assert_null (s3_new (&config, error));
}

static void
test_parse_url (void **state)
{
    (void)state;
    char *bucket = NULL, *key = NULL;
    assert_int_equal (s3_parse_url ("s3://my-bucket/a/b.jsonl", &bucket, &key),
                      0);
    assert_string_equal (bucket, "my-bucket");
    assert_string_equal (key, "a/b.jsonl");
    free (bucket);
    free (key);
    assert_int_equal (s3_parse_url ("s3://my.bucket", &bucket, &key), 0);
    assert_string_equal (bucket, "my.bucket");
    assert_string_equal (key, "");
    free (bucket);
    free (key);
    const char *bad[] = {"s3://",      "s3://ab/x",       "s3://Upper/x",
                         "s3://-a-/x", "http://bucket/x", "s3://bucket_x/y"};
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++)
        if (s3_parse_url (bad[index], &bucket, &key) == 0)
            fail_msg ("accepted %s", bad[index]);
}

static void
test_presigned_urls_follow_the_addressing_style (void **state)
{
    (void)state;
    s3_config_t config = {
        .access_key_id = "AKIDTEST",
        .secret_access_key = S_SECRET,
        .region = "eu-west-1",
        .part_size = S3_PART_SIZE_DEFAULT,
        .max_attempts = 3,
        .presign_expires_s = 120,
    };
    char error[S3_ERROR_MAX];
    s3_t *s3 = s3_new (&config, error);
    assert_non_null (s3);
    int64_t expires_at = 0;
    char *url = s3_presign_get (s3, "bucket", "out/a b.pdf", 1000, &expires_at);
    assert_non_null (url);
    assert_true (s_starts_with (url, "https://bucket.s3.eu-west-1.amazonaws."
                                     "com/out/a%20b.pdf?X-Amz-Algorithm="));
    assert_int_equal (expires_at, 1120);
    assert_null (strstr (url, "wJalr"));
    zstr_free (&url);
    //  A dotted bucket cannot be a TLS host name: path style.
    url = s3_presign_get (s3, "my.bucket", "k", 1000, NULL);
    assert_true (
        s_starts_with (url, "https://s3.eu-west-1.amazonaws.com/my.bucket/k?"));
    zstr_free (&url);
    s3_destroy (&s3);
    assert_null (s3);
}

static void
test_small_put_is_retried_after_503 (void **state)
{
    (void)state;
    testserver_answer_t answers[] = {
        {.status = 503,
         .body =
             S_ERROR_DOCUMENT ("SlowDown", "Please reduce your request rate.")},
        {.status = 0}, // connection dropped
        {.status = 200, .headers = "ETag: \"abc\"\r\n", .body = ""},
    };
    testserver_t *server = testserver_start (answers, 3);
    s3_t *s3 = s_client (server, 5);
    char *path = s_make_file (1000);
    s3_put_options_t options = {
        "application/pdf", "attachment; filename=\"x.pdf\"", "job=test", NULL};
    s3_put_result_t result;
    char error[S3_ERROR_MAX];
    int rc =
        s3_put_file (s3, "bucket", "out/x.pdf", path, &options, &result, error);
    if (rc)
        fail_msg ("%s", error);
    assert_size_eq (result.bytes, 1000);
    assert_int_eq (result.parts, 0);
    assert_int_eq (result.retries, 2);
    assert_size_eq (testserver_served (server), 3);
    assert_string_equal (testserver_request_line (server, 2),
                         "PUT /bucket/out/x.pdf");
    assert_size_eq (testserver_body_bytes (server, 2), 1000);
    unlink (path);
    free (path);
    s3_destroy (&s3);
    testserver_destroy (&server);
}

static void
test_put_for_a_job_only_creates_and_is_marked (void **state)
{
    (void)state;
    testserver_answer_t answers[] = {
        {.status = 200, .headers = "ETag: \"abc\"\r\n", .body = ""},
        {.status = 412,
         .body = S_ERROR_DOCUMENT ("PreconditionFailed",
                                   "At least one of the pre-conditions you "
                                   "specified did not hold")},
    };
    testserver_t *server = testserver_start (answers, 2);
    s3_t *s3 = s_client (server, 5);
    char *path = s_make_file (100);
    s3_put_options_t options = {.owner = "job-1"};
    s3_put_result_t result;
    char error[S3_ERROR_MAX];
    assert_int_equal (s3_put_file (s3, "bucket", "job-1/x.pdf", path, &options,
                                   &result, error),
                      0);
    assert_false (result.existed);
    assert_string_equal (testserver_header (server, 0, "If-None-Match"), "*");
    assert_string_equal (
        testserver_header (server, 0, "x-amz-meta-pdfpipe-job"), "job-1");
    //  An object already there: refused, and said so.
    assert_int_equal (s3_put_file (s3, "bucket", "job-1/x.pdf", path, &options,
                                   &result, error),
                      -1);
    assert_true (result.existed);
    assert_non_null (strstr (error, "412 PreconditionFailed"));
    unlink (path);
    free (path);
    s3_destroy (&s3);
    testserver_destroy (&server);
}

static void
test_403_is_not_retried_and_says_what_s3_answered (void **state)
{
    (void)state;
    testserver_answer_t answers[] = {
        {.status = 403,
         .body =
             S_ERROR_DOCUMENT ("SignatureDoesNotMatch",
                               "The request signature we calculated does not "
                               "match the signature you provided.")},
    };
    testserver_t *server = testserver_start (answers, 1);
    s3_t *s3 = s_client (server, 5);
    char *path = s_make_file (10);
    s3_put_result_t result;
    char error[S3_ERROR_MAX];
    assert_int_equal (
        s3_put_file (s3, "bucket", "x.pdf", path, NULL, &result, error), -1);
    assert_size_eq (testserver_served (server), 1);
    assert_string_equal (error,
                         "PUT s3://bucket/x.pdf: S3 answered 403 "
                         "SignatureDoesNotMatch: The request signature we "
                         "calculated does not match the signature you "
                         "provided.");
    assert_null (strstr (error, "wJalr"));
    unlink (path);
    free (path);
    s3_destroy (&s3);
    testserver_destroy (&server);
}

static void
test_failed_part_aborts_the_multipart_upload (void **state)
{
    (void)state;
    testserver_answer_t answers[] = {
        {.status = 200,
         .body = "<InitiateMultipartUploadResult><Bucket>bucket</Bucket>"
                 "<Key>big.pdf</Key><UploadId>up/1+2</UploadId>"
                 "</InitiateMultipartUploadResult>"},
        {.status = 200, .headers = "ETag: \"part-1\"\r\n", .body = ""},
        {.status = 500,
         .body = S_ERROR_DOCUMENT ("InternalError",
                                   "We encountered an internal error.")},
        {.status = 500,
         .body = S_ERROR_DOCUMENT ("InternalError",
                                   "We encountered an internal error.")},
        {.status = 204, .body = ""},
    };
    testserver_t *server = testserver_start (answers, 5);
    s3_t *s3 = s_client (server, 2);
    char *path = s_make_file (S3_PART_SIZE_MIN + 100);
    s3_put_result_t result;
    char error[S3_ERROR_MAX];
    assert_int_equal (
        s3_put_file (s3, "bucket", "big.pdf", path, NULL, &result, error), -1);
    assert_size_eq (testserver_served (server), 5);
    assert_string_equal (testserver_request_line (server, 0),
                         "POST /bucket/big.pdf?uploads=");
    assert_string_equal (
        testserver_request_line (server, 1),
        "PUT /bucket/big.pdf?partNumber=1&uploadId=up%2F1%2B2");
    assert_size_eq (testserver_body_bytes (server, 1), S3_PART_SIZE_MIN);
    assert_string_equal (
        testserver_request_line (server, 2),
        "PUT /bucket/big.pdf?partNumber=2&uploadId=up%2F1%2B2");
    assert_string_equal (testserver_request_line (server, 4),
                         "DELETE /bucket/big.pdf?uploadId=up%2F1%2B2");
    assert_string_equal (error, "PUT s3://bucket/big.pdf (part 2 of 2): S3 "
                                "answered 500 InternalError: We encountered "
                                "an internal error. (gave up after 2 "
                                "attempts)");
    unlink (path);
    free (path);
    s3_destroy (&s3);
    testserver_destroy (&server);
}

static void
test_complete_answering_an_error_in_200_is_retried (void **state)
{
    (void)state;
    testserver_answer_t answers[] = {
        {.status = 200,
         .body = "<InitiateMultipartUploadResult><UploadId>u1</UploadId>"
                 "</InitiateMultipartUploadResult>"},
        {.status = 200, .headers = "ETag: \"p1\"\r\n", .body = ""},
        {.status = 200,
         .body = S_ERROR_DOCUMENT ("InternalError", "try again")},
        {.status = 200,
         .body = "<CompleteMultipartUploadResult><ETag>\"x-1\"</ETag>"
                 "</CompleteMultipartUploadResult>"},
    };
    testserver_t *server = testserver_start (answers, 4);
    s3_t *s3 = s_client (server, 3);
    char *path = s_make_file (S3_PART_SIZE_MIN);
    s3_put_result_t result;
    char error[S3_ERROR_MAX];
    int rc = s3_put_file (s3, "bucket", "one.pdf", path, NULL, &result, error);
    if (rc)
        fail_msg ("%s", error);
    assert_int_eq (result.parts, 1);
    assert_int_eq (result.retries, 1);
    assert_string_equal (testserver_request_line (server, 3),
                         "POST /bucket/one.pdf?uploadId=u1");
    unlink (path);
    free (path);
    s3_destroy (&s3);
    testserver_destroy (&server);
}

typedef struct {
    char data[64];
    size_t size;
} s_received_t;

static int
s_receive (const void *data, size_t size, void *arg)
{
    s_received_t *received = arg;
    assert_true (received->size + size < sizeof (received->data));
    memcpy (received->data + received->size, data, size);
    received->size += size;
    return 0;
}

static void
test_dropped_download_resumes_where_it_stopped (void **state)
{
    (void)state;
    testserver_answer_t answers[] = {
        {.status = 200, .body = "0123456789abcdefghij", .cut_after = 8},
        {.status = 206,
         .headers = "Content-Range: bytes 8-19/20\r\n",
         .body = "89abcdefghij"},
    };
    testserver_t *server = testserver_start (answers, 2);
    s3_t *s3 = s_client (server, 3);
    s_received_t received = {"", 0};
    char error[S3_ERROR_MAX];
    int rc =
        s3_get (s3, "bucket", "records.jsonl", s_receive, &received, error);
    if (rc)
        fail_msg ("%s", error);
    assert_size_eq (received.size, 20);
    assert_memory_equal (received.data, "0123456789abcdefghij", 20);
    assert_null (testserver_header (server, 0, "Range"));
    assert_string_equal (testserver_header (server, 1, "Range"), "bytes=8-");
    s3_destroy (&s3);
    testserver_destroy (&server);
}

static void
test_missing_object_is_not_retried (void **state)
{
    (void)state;
    testserver_answer_t answers[] = {
        {.status = 404,
         .body = S_ERROR_DOCUMENT ("NoSuchKey", "The specified key does "
                                                "not exist.")},
    };
    testserver_t *server = testserver_start (answers, 1);
    s3_t *s3 = s_client (server, 3);
    s_received_t received = {"", 0};
    char error[S3_ERROR_MAX];
    assert_int_equal (
        s3_get (s3, "bucket", "nothing", s_receive, &received, error), -1);
    assert_size_eq (received.size, 0);
    assert_non_null (strstr (error, "404 NoSuchKey"));
    //  Deleting what is not there is fine.
    assert_int_equal (s3_delete (s3, "bucket", "nothing", error), 0);
    s3_destroy (&s3);
    testserver_destroy (&server);
}

static void
test_unreachable_endpoint_gives_up_with_curls_reason (void **state)
{
    (void)state;
    //  A port nobody listens on: bind one, then close it.
    testserver_t *server = testserver_new ();
    s3_t *s3 = s_client (server, 2);
    testserver_destroy (&server);
    char *path = s_make_file (10);
    s3_put_result_t result;
    char error[S3_ERROR_MAX];
    assert_int_equal (
        s3_put_file (s3, "bucket", "x.pdf", path, NULL, &result, error), -1);
    assert_non_null (strstr (error, "no answer from http://127.0.0.1:"));
    assert_non_null (strstr (error, "gave up after 2 attempts"));
    unlink (path);
    free (path);
    s3_destroy (&s3);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_config_needs_credentials),
        cmocka_unit_test (test_config_defaults_and_precedence),
        cmocka_unit_test (test_config_names_the_bad_variable),
        cmocka_unit_test (test_new_refuses_bad_endpoints_and_regions),
        cmocka_unit_test (test_parse_url),
        cmocka_unit_test (test_presigned_urls_follow_the_addressing_style),
        cmocka_unit_test (test_small_put_is_retried_after_503),
        cmocka_unit_test (test_403_is_not_retried_and_says_what_s3_answered),
        cmocka_unit_test (test_put_for_a_job_only_creates_and_is_marked),
        cmocka_unit_test (test_failed_part_aborts_the_multipart_upload),
        cmocka_unit_test (test_complete_answering_an_error_in_200_is_retried),
        cmocka_unit_test (test_dropped_download_resumes_where_it_stopped),
        cmocka_unit_test (test_missing_object_is_not_retried),
        cmocka_unit_test (test_unreachable_endpoint_gives_up_with_curls_reason),
    };
    zsys_init ();
    return cmocka_run_group_tests (tests, NULL, NULL);
}
