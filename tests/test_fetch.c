/*  test_fetch - ventilator/fetch: the URLs it refuses before any request
    is made, records fetched as CSV or JSON Lines and handed over one at a
    time, and assets fetched into the document.

    Records are served by a scripted HTTP server on loopback (testserver),
    in a thread of this test, which sends each object in pieces cut where
    the test says, pausing between them so that they arrive as separate
    reads: a quoted line break or a CRLF split between two pieces must
    read as if it were whole. It checks no signature; the whole path
    against a real S3 server (assets as base64 too) is tested against
    moto_server in tests/e2e/test_s3.py.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>
#include <unistd.h>

#include "bytebuf.h"
#include "fetch.h"
#include "jobspec.h"
#include "testassert.h"
#include "testserver.h"

#define S_MAX_BYTES (1024 * 1024)

//  The operator's list the tests fetch under: all of "bucket" (set in
//  main).
static s3inputs_t *s_inputs;

//  A client of endpoint, path style, one try per request.
static s3_t *
s_client_of (const char *endpoint)
{
    s3_config_t config = {
        .access_key_id = "AKIDTEST",
        .secret_access_key = "secret",
        .region = "us-east-1",
        .endpoint = endpoint,
        .path_style = true,
        .part_size = S3_PART_SIZE_DEFAULT,
        .max_attempts = 1,
        .retry_base_ms = 1,
        .presign_expires_s = 60,
    };
    char error[S3_ERROR_MAX];
    s3_t *s3 = s3_new (&config, error);
    assert_non_null (s3);
    return s3;
}

//  A client that is never used: the refusals come before any request.
static s3_t *
s_client (void)
{
    return s_client_of ("http://127.0.0.1:9");
}

//  Records handed over: each, then a line break.
typedef struct {
    bytebuf_t text;
    size_t count;
    size_t stop_after; // refuse the record after this many; 0: never
} s_collected_t;

static int
s_collect (const char *json, size_t size, void *arg)
{
    s_collected_t *collected = (s_collected_t *)arg;
    if (collected->stop_after && collected->count == collected->stop_after)
        return -1;
    bytebuf_append (&collected->text, json, size);
    bytebuf_append (&collected->text, "\n", 1);
    collected->count++;
    return 0;
}

//  The records at url, with object served as every object, within
//  max_bytes, one a line; NULL with err filled when they are refused.
//  With target, the request line of the last request is copied there.
static char *
s_fetch_served (const testserver_answer_t *object, const char *url,
                size_t max_bytes, fielderr_t *err, char *target,
                size_t target_size)
{
    testserver_t *server = testserver_start (object, 1);
    s3_t *s3 = s_client_of (testserver_url (server));
    memset (err, 0, sizeof (*err));
    s_collected_t collected = {0};
    int rc = fetch_records (s3, s_inputs, url, max_bytes, s_collect, &collected,
                            err);
    if (target)
        snprintf (
            target, target_size, "%s",
            testserver_request_line (server, testserver_served (server) - 1));
    s3_destroy (&s3);
    testserver_destroy (&server);
    if (rc == -1) {
        bytebuf_free (&collected.text);
        return NULL;
    }
    return bytebuf_detach (&collected.text);
}

//  Check that the records at url, with object served, are expected.
static void
s_assert_fetches (const testserver_answer_t *object, const char *url,
                  const char *expected)
{
    fielderr_t err;
    char *records = s_fetch_served (object, url, S_MAX_BYTES, &err, NULL, 0);
    if (!records)
        fail_msg ("refused: %s: %s", err.field, err.message);
    assert_string_equal (records, expected);
    free (records);
}

//  Check that the records at url, with object served, are refused with a
//  message about "records" that holds words.
static void
s_assert_served_refused (const testserver_answer_t *object, const char *url,
                         size_t max_bytes, const char *words)
{
    fielderr_t err;
    char *records = s_fetch_served (object, url, max_bytes, &err, NULL, 0);
    if (records)
        fail_msg ("accepted %s as %s", url, records);
    assert_string_equal (err.field, "records");
    if (!strstr (err.message, words))
        fail_msg ("message '%s' lacks '%s'", err.message, words);
}

//  Check that the records at url are refused before any request.
static void
s_assert_refused_under (s3_t *s3, const s3inputs_t *inputs, const char *url,
                        const char *words)
{
    fielderr_t err;
    memset (&err, 0, sizeof (err));
    s_collected_t collected = {0};
    if (fetch_records (s3, inputs, url, S_MAX_BYTES, s_collect, &collected,
                       &err) == 0)
        fail_msg ("accepted %s", url);
    assert_size_eq (collected.count, 0);
    assert_string_equal (err.field, "records");
    if (!strstr (err.message, words))
        fail_msg ("message '%s' lacks '%s'", err.message, words);
}

static void
s_assert_refused (s3_t *s3, const char *url, const char *words)
{
    s_assert_refused_under (s3, s_inputs, url, words);
}

//  Check that the assets json, a document's "assets", are refused.
static void
s_assert_assets_refused_under (s3_t *s3, const s3inputs_t *inputs,
                               const char *json, const char *field,
                               const char *words)
{
    cJSON *assets = cJSON_Parse (json);
    assert_non_null (assets);
    assert_true (fetch_assets_wanted (assets));
    fielderr_t err;
    memset (&err, 0, sizeof (err));
    if (fetch_assets (s3, inputs, assets, S_MAX_BYTES, &err) == 0)
        fail_msg ("accepted %s", json);
    assert_string_equal (err.field, field);
    if (!strstr (err.message, words))
        fail_msg ("message '%s' lacks '%s'", err.message, words);
    cJSON_Delete (assets);
}

static void
s_assert_assets_refused (s3_t *s3, const char *json, const char *field,
                         const char *words)
{
    s_assert_assets_refused_under (s3, s_inputs, json, field, words);
}

static void
test_assets_without_urls_are_left_alone (void **state)
{
    (void)state;
    const char *documents[] = {
        "{\"logo\": {\"type\": \"png\", \"data\": \"AAAA\"}}",
        "{\"logo\": \"s3://bucket/a.png\"}",
        "[{\"url\": \"s3://bucket/a.png\"}]",
        "{}",
    };
    for (size_t index = 0; index < sizeof (documents) / sizeof (documents[0]);
         index++) {
        cJSON *assets = cJSON_Parse (documents[index]);
        assert_false (fetch_assets_wanted (assets));
        char *before = cJSON_PrintUnformatted (assets);
        fielderr_t err;
        //  No S3 configuration needed: nothing is fetched.
        assert_int_equal (
            fetch_assets (NULL, s_inputs, assets, S_MAX_BYTES, &err), 0);
        char *after = cJSON_PrintUnformatted (assets);
        assert_string_equal (after, before);
        free (before);
        free (after);
        cJSON_Delete (assets);
    }
    assert_false (fetch_assets_wanted (NULL));
}

static void
test_other_schemes_are_never_fetched (void **state)
{
    (void)state;
    s3_t *s3 = s_client ();
    s_assert_refused (s3, "http://169.254.169.254/latest",
                      "only s3:// URLs are fetched");
    s_assert_refused (s3, "file:///etc/passwd", "only s3:// URLs are fetched");
    s_assert_assets_refused (s3,
                             "{\"logo\": {\"type\": \"png\", \"url\": "
                             "\"https://example.com/a.png\"}}",
                             "assets.logo.url", "only s3:// URLs are fetched");
    s3_destroy (&s3);
}

static void
test_bad_s3_urls_are_named (void **state)
{
    (void)state;
    s3_t *s3 = s_client ();
    s_assert_refused (s3, "s3://Bad_Bucket/r.jsonl", "is not s3://BUCKET/KEY");
    s_assert_refused (s3, "s3://bucket/", "is not s3://BUCKET/KEY");
    s_assert_refused (s3, "s3://bucket/records.json",
                      "'s3://bucket/records.json' must name a .jsonl or "
                      ".ndjson file (one JSON object per line) or a .csv "
                      "file");
    s_assert_refused (s3, "s3://bucket/records",
                      "must name a .jsonl or .ndjson file");
    s_assert_refused (s3, "s3://bucket/csv.d/records",
                      "must name a .jsonl or .ndjson file");
    s_assert_assets_refused (s3,
                             "{\"logo\": {\"type\": \"png\", \"url\": "
                             "\"s3://bucket/a.png\", \"data\": \"AAAA\"}}",
                             "assets.logo.url", "not both");
    s_assert_assets_refused (s3, "{\"logo\": {\"type\": \"png\", \"url\": 7}}",
                             "assets.logo.url", "must be an s3:// URL, got 7");
    s3_destroy (&s3);
}

static void
test_urls_need_an_s3_configuration (void **state)
{
    (void)state;
    s_assert_refused (NULL, "s3://bucket/r.jsonl",
                      "this ventilator has no S3 configuration");
}

//  What every input that cannot be read gets, for s3://bucket/r.jsonl.
#define S_UNREADABLE_R                                                         \
    "cannot read 's3://bucket/r.jsonl': there is no such object, or it is "    \
    "not one this ventilator may read (--s3-inputs)"

static void
test_unreachable_store_reads_as_unreadable (void **state)
{
    (void)state;
    s3_t *s3 = s_client ();
    s_assert_refused (s3, "s3://bucket/r.jsonl", S_UNREADABLE_R);
    s3_destroy (&s3);
}

static void
test_csv_rows_become_records_one_at_a_time (void **state)
{
    (void)state;
    //  Pieces end inside a quoted line break, between a CR and its LF,
    //  inside a doubled quote and inside a UTF-8 character.
    static const char body[] =
        "\xEF\xBB\xBFnumber,customer.name,customer.city,total\r\n"
        "1,\"Lovelace, Ada\",\"London\r\n(Marylebone)\",12.50\r\n"
        "\r\n"
        "007,\"Zoë \"\"Z\"\" Ångström\",Zürich,-3\r\n";
    testserver_answer_t object = {.status = 200, .body = body};
    object.pauses[0] = (size_t)(strstr (body, "London") - body) + 7;
    object.pauses[1] = (size_t)(strstr (body, "12.50") - body) + 6;
    object.pauses[2] = (size_t)(strstr (body, "\"\"Z") - body) + 1;
    object.pauses[3] = (size_t)(strstr (body, "rich") - body) - 1;
    s_assert_fetches (
        &object, "s3://bucket/in/people.csv",
        "{\"number\":\"1\",\"customer\":{\"name\":\"Lovelace, Ada\","
        "\"city\":\"London\\n(Marylebone)\"},\"total\":\"12.50\"}\n"
        "{\"number\":\"007\",\"customer\":{\"name\":\"Zoë \\\"Z\\\" "
        "Ångström\",\"city\":\"Zürich\"},\"total\":\"-3\"}\n");
}

static void
test_csv_is_asked_for_by_its_key (void **state)
{
    (void)state;
    testserver_answer_t object = {.status = 200, .body = "a\n1\n"};
    fielderr_t err;
    char target[512];
    char *records = s_fetch_served (&object, "s3://bucket/2025/11/Records.CSV",
                                    S_MAX_BYTES, &err, target, sizeof (target));
    assert_non_null (records);
    assert_string_equal (records, "{\"a\":\"1\"}\n");
    assert_string_equal (target, "GET /bucket/2025/11/Records.CSV");
    free (records);
}

static void
test_csv_errors_name_the_url_and_line (void **state)
{
    (void)state;
    const char *url = "s3://bucket/in/bad.csv";
    //  Line 2 holds a line break inside quotes, so the short row is on
    //  line 4.
    testserver_answer_t object = {.status = 200,
                                  .body = "a,b\n1,\"x\ny\"\n3\n"};
    object.pauses[0] = 8;
    s_assert_served_refused (&object, url, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv line 4: 1 field, but "
                             "the header names 2");
    object = (testserver_answer_t){.status = 200,
                                   .body = "a,b\r\n1,\"open\r\n2,3\r\n"};
    object.pauses[0] = 10;
    s_assert_served_refused (&object, url, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv line 2: field 2 opens "
                             "a quote that is never closed");
    object = (testserver_answer_t){.status = 200, .body = "a,a\n1,2\n"};
    s_assert_served_refused (&object, url, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv line 1: columns 1 and 2 "
                             "are both called \"a\"");
    object = (testserver_answer_t){.status = 200, .body = "a\n\xB1\n"};
    s_assert_served_refused (&object, url, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv line 2: field 1 is not "
                             "UTF-8 text (byte 0xB1)");
    object = (testserver_answer_t){.status = 200, .body = ""};
    s_assert_served_refused (&object, url, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv: the file is empty; its "
                             "first line must name the fields");
    object = (testserver_answer_t){.status = 200, .body = "a,b\r\n"};
    s_assert_served_refused (&object, url, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv holds no records; a job "
                             "needs at least one");
}

static void
test_csv_records_count_against_the_quota (void **state)
{
    (void)state;
    const char *url = "s3://bucket/in/wide.csv";
    //  200 bytes of CSV, well within the limit, but every record repeats
    //  the long field name as JSON.
    char body[256];
    int length = snprintf (body, sizeof (body), "%s\n", "a_long_field_name");
    while (length + 2 < 200)
        length +=
            snprintf (body + length, sizeof (body) - (size_t)length, "1\n");
    testserver_answer_t object = {.status = 200, .body = body};
    size_t max_bytes = 1000;
    s_assert_served_refused (&object, url, max_bytes,
                             "the records of s3://bucket/in/wide.csv, as "
                             "JSON, are larger than the limit of a job "
                             "document");
    //  The download itself is held to the limit too.
    s_assert_served_refused (&object, url, 100,
                             "s3://bucket/in/wide.csv is larger than the "
                             "limit of a job document");
}

static void
test_csv_holds_at_most_the_records_a_job_may_have (void **state)
{
    (void)state;
    size_t rows = JOBSPEC_RECORDS_MAX + 1;
    size_t size = 2 + 2 * rows;
    char *body = malloc (size + 1);
    assert_non_null (body);
    memcpy (body, "a\n", 2);
    for (size_t row = 0; row < rows; row++)
        memcpy (body + 2 + 2 * row, "1\n", 2);
    body[size] = '\0';
    testserver_answer_t object = {.status = 200, .body = body};
    s_assert_served_refused (&object, "s3://bucket/in/many.csv",
                             64 * 1024 * 1024,
                             "s3://bucket/in/many.csv holds more than 1000000 "
                             "records, the most a job may have");
    free (body);
}

static void
test_jsonl_lines_split_between_pieces_are_whole (void **state)
{
    (void)state;
    static const char body[] = "{\"n\": 1.50}\r\n\r\n  {\"n\": 2}\n{\"n\":3}";
    testserver_answer_t object = {.status = 200, .body = body};
    object.pauses[0] = 5;
    object.pauses[1] = 12; // between CR and LF
    object.pauses[2] = 20;
    //  Each line as it is written, trimmed.
    s_assert_fetches (&object, "s3://bucket/r.ndjson",
                      "{\"n\": 1.50}\n{\"n\": 2}\n{\"n\":3}\n");
    object = (testserver_answer_t){.status = 200, .body = "{\"n\": 1}\n[2]\n"};
    s_assert_served_refused (&object, "s3://bucket/r.jsonl", S_MAX_BYTES,
                             "s3://bucket/r.jsonl line 2: a record must be "
                             "a JSON object, not an array");
}

//  The message about "records" when url is fetched with object served.
static void
s_served_message (const testserver_answer_t *object, const char *url,
                  char *message)
{
    fielderr_t err;
    char *records = s_fetch_served (object, url, S_MAX_BYTES, &err, NULL, 0);
    if (records)
        fail_msg ("accepted %s as %s", url, records);
    assert_string_equal (err.field, "records");
    snprintf (message, FIELDERR_MESSAGE_MAX, "%s", err.message);
}

static void
test_missing_bucket_and_missing_key_read_alike (void **state)
{
    (void)state;
    testserver_answer_t no_key = {
        .status = 404,
        .body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                "NoSuchKey</Code><Message>The specified key does not exist."
                "</Message></Error>"};
    testserver_answer_t no_bucket = {
        .status = 404,
        .body = "<Error><Code>NoSuchBucket</Code><Message>The specified "
                "bucket does not exist</Message></Error>"};
    testserver_answer_t denied = {
        .status = 403,
        .body = "<Error><Code>AccessDenied</Code><Message>Access Denied"
                "</Message></Error>"};
    char key_message[FIELDERR_MESSAGE_MAX];
    char bucket_message[FIELDERR_MESSAGE_MAX];
    char denied_message[FIELDERR_MESSAGE_MAX];
    s_served_message (&no_key, "s3://bucket/r.jsonl", key_message);
    s_served_message (&no_bucket, "s3://bucket/r.jsonl", bucket_message);
    s_served_message (&denied, "s3://bucket/r.jsonl", denied_message);
    assert_string_equal (key_message, S_UNREADABLE_R);
    assert_string_equal (bucket_message, S_UNREADABLE_R);
    assert_string_equal (denied_message, S_UNREADABLE_R);
}

static void
test_inputs_need_the_operators_list (void **state)
{
    (void)state;
    s3_t *s3 = s_client ();
    s3inputs_t *none = NULL;
    char error[S3INPUTS_ERROR_MAX];
    s3inputs_t *empty = s3inputs_new ("", error);
    assert_non_null (empty);
    const char *words = "this ventilator reads no s3:// inputs; its operator "
                        "lists the buckets jobs may read with --s3-inputs "
                        "(PDFPIPE_S3_INPUTS";
    s_assert_refused_under (s3, none, "s3://bucket/r.jsonl", words);
    s_assert_refused_under (s3, empty, "s3://bucket/r.jsonl", words);
    s_assert_assets_refused_under (s3, empty,
                                   "{\"logo\": {\"type\": \"png\", "
                                   "\"url\": \"s3://bucket/a.png\"}}",
                                   "assets.logo.url", words);
    s3inputs_destroy (&empty);
    s3_destroy (&s3);
}

static void
test_keys_with_dot_or_empty_parts_are_refused_before_any_request (void **state)
{
    (void)state;
    //  A server that would answer anything: it must not be asked.
    testserver_answer_t object = {.status = 200, .body = "{\"a\": 1}\n"};
    testserver_t *server = testserver_start (&object, 1);
    s3_t *s3 = s_client_of (testserver_url (server));
    const char *words = "has an empty, '.' or '..' part or a control character";
    s_assert_refused (s3, "s3://bucket/hr/../config/creds.jsonl", words);
    s_assert_refused (s3, "s3://bucket/./r.jsonl", words);
    s_assert_refused (s3, "s3://bucket/in//r.jsonl", words);
    s_assert_refused (s3, "s3://bucket//r.jsonl", words);
    s_assert_refused (s3, "s3://bucket/in/r.jsonl/..", words);
    s_assert_refused (s3, "s3://bucket/in/r\x01.jsonl", words);
    s_assert_refused (s3, "s3://bucket/in/r\n.jsonl", words);
    s_assert_assets_refused (s3,
                             "{\"logo\": {\"type\": \"png\", \"url\": "
                             "\"s3://bucket/img/../../etc/a.png\"}}",
                             "assets.logo.url", words);
    assert_int_equal (testserver_served (server), 0);
    s3_destroy (&s3);
    testserver_destroy (&server);
}

static void
test_unlisted_inputs_read_as_missing (void **state)
{
    (void)state;
    testserver_answer_t object = {.status = 200, .body = "{\"a\": 1}\n"};
    testserver_t *server = testserver_start (&object, 1);
    s3_t *s3 = s_client_of (testserver_url (server));
    char error[S3INPUTS_ERROR_MAX];
    s3inputs_t *inputs = s3inputs_new ("bucket/in, other-bucket", error);
    assert_non_null (inputs);
    s_assert_refused_under (s3, inputs, "s3://another-bucket/in/r.jsonl",
                            "cannot read 's3://another-bucket/in/r.jsonl': "
                            "there is no such object, or it is not one this "
                            "ventilator may read (--s3-inputs)");
    s_assert_refused_under (s3, inputs, "s3://bucket/inx/r.jsonl",
                            "there is no such object, or it is not one");
    s_assert_refused_under (s3, inputs, "s3://bucket/r.jsonl", S_UNREADABLE_R);
    s_assert_assets_refused_under (s3, inputs,
                                   "{\"logo\": {\"type\": \"png\", "
                                   "\"url\": \"s3://bucket/a.png\"}}",
                                   "assets.logo.url",
                                   "there is no such object, or it is not one");
    assert_int_equal (testserver_served (server), 0);
    s3inputs_destroy (&inputs);
    s3_destroy (&s3);
    testserver_destroy (&server);
}

static void
test_a_record_refused_stops_the_download (void **state)
{
    (void)state;
    testserver_answer_t object = {.status = 200, .body = "a\n1\n2\n3\n"};
    testserver_t *server = testserver_start (&object, 1);
    s3_t *s3 = s_client_of (testserver_url (server));
    s_collected_t collected = {.stop_after = 2};
    fielderr_t err;
    assert_int_equal (fetch_records (s3, s_inputs, "s3://bucket/in/three.csv",
                                     S_MAX_BYTES, s_collect, &collected, &err),
                      -1);
    assert_size_eq (collected.count, 2);
    assert_string_equal (err.field, "records");
    assert_string_equal (err.message,
                         "s3://bucket/in/three.csv could not be taken in");
    bytebuf_free (&collected.text);
    s3_destroy (&s3);
    testserver_destroy (&server);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_assets_without_urls_are_left_alone),
        cmocka_unit_test (test_other_schemes_are_never_fetched),
        cmocka_unit_test (test_bad_s3_urls_are_named),
        cmocka_unit_test (test_urls_need_an_s3_configuration),
        cmocka_unit_test (test_unreachable_store_reads_as_unreadable),
        cmocka_unit_test (test_csv_rows_become_records_one_at_a_time),
        cmocka_unit_test (test_csv_is_asked_for_by_its_key),
        cmocka_unit_test (test_csv_errors_name_the_url_and_line),
        cmocka_unit_test (test_csv_records_count_against_the_quota),
        cmocka_unit_test (test_a_record_refused_stops_the_download),
        cmocka_unit_test (test_csv_holds_at_most_the_records_a_job_may_have),
        cmocka_unit_test (test_jsonl_lines_split_between_pieces_are_whole),
        cmocka_unit_test (test_missing_bucket_and_missing_key_read_alike),
        cmocka_unit_test (test_inputs_need_the_operators_list),
        cmocka_unit_test (
            test_keys_with_dot_or_empty_parts_are_refused_before_any_request),
        cmocka_unit_test (test_unlisted_inputs_read_as_missing),
    };
    zsys_init ();
    char error[S3INPUTS_ERROR_MAX];
    s_inputs = s3inputs_new ("bucket", error);
    assert_non_null (s_inputs);
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    s3inputs_destroy (&s_inputs);
    return failed;
}
