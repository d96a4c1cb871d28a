/*  test_fetch - ventilator/fetch: which documents name something to fetch,
    the URLs it refuses before any request is made, and records fetched as
    CSV or JSON Lines.

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

#include "fetch.h"
#include "jobspec.h"
#include "testassert.h"
#include "testserver.h"

#define S_MAX_BYTES (1024 * 1024)

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

//  The document json resolved with object served as every object, within
//  max_bytes; NULL with err filled when it is refused. With target, the
//  request line of the last request is copied there.
static char *
s_resolve_served (const testserver_answer_t *object, const char *json,
                  size_t max_bytes, fielderr_t *err, char *target,
                  size_t target_size)
{
    testserver_t *server = testserver_start (object, 1);
    s3_t *s3 = s_client_of (testserver_url (server));
    memset (err, 0, sizeof (*err));
    char *resolved = NULL;
    int rc = fetch_resolve (s3, json, strlen (json), max_bytes, &resolved, err);
    if (rc == 0)
        assert_non_null (resolved);
    else
        assert_null (resolved);
    if (target)
        snprintf (
            target, target_size, "%s",
            testserver_request_line (server, testserver_served (server) - 1));
    s3_destroy (&s3);
    testserver_destroy (&server);
    return resolved;
}

//  Check that json, with object served, resolves to expected.
static void
s_assert_resolves (const testserver_answer_t *object, const char *json,
                   const char *expected)
{
    fielderr_t err;
    char *resolved =
        s_resolve_served (object, json, S_MAX_BYTES, &err, NULL, 0);
    if (!resolved)
        fail_msg ("refused: %s: %s", err.field, err.message);
    assert_string_equal (resolved, expected);
    free (resolved);
}

//  Check that json, with object served, is refused with a message about
//  "records" that holds words.
static void
s_assert_served_refused (const testserver_answer_t *object, const char *json,
                         size_t max_bytes, const char *words)
{
    fielderr_t err;
    char *resolved = s_resolve_served (object, json, max_bytes, &err, NULL, 0);
    if (resolved)
        fail_msg ("accepted %s as %s", json, resolved);
    assert_string_equal (err.field, "records");
    if (!strstr (err.message, words))
        fail_msg ("message '%s' lacks '%s'", err.message, words);
}

static void
s_assert_refused (s3_t *s3, const char *json, const char *field,
                  const char *words)
{
    fielderr_t err;
    memset (&err, 0, sizeof (err));
    char *resolved = NULL;
    if (fetch_resolve (s3, json, strlen (json), S_MAX_BYTES, &resolved, &err) ==
        0)
        fail_msg ("accepted %s", json);
    assert_null (resolved);
    assert_string_equal (err.field, field);
    if (!strstr (err.message, words))
        fail_msg ("message '%s' lacks '%s'", err.message, words);
}

static void
test_documents_without_urls_are_left_alone (void **state)
{
    (void)state;
    s3_t *s3 = s_client ();
    const char *documents[] = {
        "{\"version\": 1, \"records\": [{\"a\": 1}]}",
        //  A URL inside a record is data, not something to fetch.
        "{\"version\": 1, \"records\": [{\"link\": \"s3://b/k.jsonl\"}]}",
        "{\"records\": \"not a url\"}",
        "not json at all: http://x",
        "[\"s3://bucket/k.jsonl\"]",
        "",
    };
    for (size_t index = 0; index < sizeof (documents) / sizeof (documents[0]);
         index++) {
        fielderr_t err;
        char *resolved = (char *)"unchanged";
        assert_int_equal (fetch_resolve (s3, documents[index],
                                         strlen (documents[index]), S_MAX_BYTES,
                                         &resolved, &err),
                          0);
        assert_null (resolved);
    }
    s3_destroy (&s3);
}

static void
test_other_schemes_are_never_fetched (void **state)
{
    (void)state;
    s3_t *s3 = s_client ();
    s_assert_refused (s3, "{\"records\": \"http://169.254.169.254/latest\"}",
                      "records", "only s3:// URLs are fetched");
    s_assert_refused (s3, "{\"records\": \"file:///etc/passwd\"}", "records",
                      "only s3:// URLs are fetched");
    s_assert_refused (s3,
                      "{\"records\": [], \"assets\": {\"logo\": {\"type\": "
                      "\"png\", \"url\": \"https://example.com/a.png\"}}}",
                      "assets.logo.url", "only s3:// URLs are fetched");
    s3_destroy (&s3);
}

static void
test_bad_s3_urls_are_named (void **state)
{
    (void)state;
    s3_t *s3 = s_client ();
    s_assert_refused (s3, "{\"records\": \"s3://Bad_Bucket/r.jsonl\"}",
                      "records", "is not s3://BUCKET/KEY");
    s_assert_refused (s3, "{\"records\": \"s3://bucket/\"}", "records",
                      "is not s3://BUCKET/KEY");
    s_assert_refused (s3, "{\"records\": \"s3://bucket/records.json\"}",
                      "records",
                      "'s3://bucket/records.json' must name a .jsonl or "
                      ".ndjson file (one JSON object per line) or a .csv "
                      "file");
    s_assert_refused (s3, "{\"records\": \"s3://bucket/records\"}", "records",
                      "must name a .jsonl or .ndjson file");
    s_assert_refused (s3, "{\"records\": \"s3://bucket/csv.d/records\"}",
                      "records", "must name a .jsonl or .ndjson file");
    s_assert_refused (s3,
                      "{\"assets\": {\"logo\": {\"type\": \"png\", \"url\": "
                      "\"s3://bucket/a.png\", \"data\": \"AAAA\"}}}",
                      "assets.logo.url", "not both");
    s_assert_refused (s3,
                      "{\"assets\": {\"logo\": {\"type\": \"png\", \"url\": "
                      "7}}, \"x\": \"s3://\"}",
                      "assets.logo.url", "must be an s3:// URL, got 7");
    s3_destroy (&s3);
}

static void
test_urls_need_an_s3_configuration (void **state)
{
    (void)state;
    s_assert_refused (NULL, "{\"records\": \"s3://bucket/r.jsonl\"}", "records",
                      "this ventilator has no S3 configuration");
}

static void
test_unreachable_store_is_reported_with_the_reason (void **state)
{
    (void)state;
    s3_t *s3 = s_client ();
    s_assert_refused (s3, "{\"records\": \"s3://bucket/r.jsonl\"}", "records",
                      "cannot read GET s3://bucket/r.jsonl: no answer from");
    s3_destroy (&s3);
}

static void
test_csv_rows_become_the_records_array_in_place (void **state)
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
    //  Everything but the records member stays byte for byte.
    s_assert_resolves (
        &object,
        "{\"version\": 1, \"records\": \"s3://bucket/in/people.csv\", "
        "\"chunk_pages\": 2.50e2}",
        "{\"version\": 1, \"records\": [{\"number\":\"1\",\"customer\":{"
        "\"name\":\"Lovelace, Ada\",\"city\":\"London\\n(Marylebone)\"},"
        "\"total\":\"12.50\"},{\"number\":\"007\",\"customer\":{\"name\":"
        "\"Zoë \\\"Z\\\" Ångström\",\"city\":\"Zürich\"},\"total\":\"-3\"}], "
        "\"chunk_pages\": 2.50e2}");
}

static void
test_csv_is_asked_for_by_its_key (void **state)
{
    (void)state;
    testserver_answer_t object = {.status = 200, .body = "a\n1\n"};
    fielderr_t err;
    char target[512];
    char *resolved = s_resolve_served (
        &object, "{\"records\": \"s3://bucket/2025/11/Records.CSV\"}",
        S_MAX_BYTES, &err, target, sizeof (target));
    assert_non_null (resolved);
    assert_string_equal (resolved, "{\"records\": [{\"a\":\"1\"}]}");
    assert_string_equal (target, "GET /bucket/2025/11/Records.CSV");
    free (resolved);
}

static void
test_csv_errors_name_the_url_and_line (void **state)
{
    (void)state;
    const char *json = "{\"records\": \"s3://bucket/in/bad.csv\"}";
    //  Line 2 holds a line break inside quotes, so the short row is on
    //  line 4.
    testserver_answer_t object = {.status = 200,
                                  .body = "a,b\n1,\"x\ny\"\n3\n"};
    object.pauses[0] = 8;
    s_assert_served_refused (&object, json, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv line 4: 1 field, but "
                             "the header names 2");
    object = (testserver_answer_t){.status = 200,
                                   .body = "a,b\r\n1,\"open\r\n2,3\r\n"};
    object.pauses[0] = 10;
    s_assert_served_refused (&object, json, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv line 2: field 2 opens "
                             "a quote that is never closed");
    object = (testserver_answer_t){.status = 200, .body = "a,a\n1,2\n"};
    s_assert_served_refused (&object, json, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv line 1: columns 1 and 2 "
                             "are both called \"a\"");
    object = (testserver_answer_t){.status = 200, .body = "a\n\xB1\n"};
    s_assert_served_refused (&object, json, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv line 2: field 1 is not "
                             "UTF-8 text (byte 0xB1)");
    object = (testserver_answer_t){.status = 200, .body = ""};
    s_assert_served_refused (&object, json, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv: the file is empty; its "
                             "first line must name the fields");
    object = (testserver_answer_t){.status = 200, .body = "a,b\r\n"};
    s_assert_served_refused (&object, json, S_MAX_BYTES,
                             "s3://bucket/in/bad.csv holds no records; a job "
                             "needs at least one");
}

static void
test_csv_records_count_against_the_body_limit (void **state)
{
    (void)state;
    const char *json = "{\"records\": \"s3://bucket/in/wide.csv\"}";
    //  200 bytes of CSV, well within the limit, but every record repeats
    //  the long field name as JSON.
    char body[256];
    int length = snprintf (body, sizeof (body), "%s\n", "a_long_field_name");
    while (length + 2 < 200)
        length +=
            snprintf (body + length, sizeof (body) - (size_t)length, "1\n");
    testserver_answer_t object = {.status = 200, .body = body};
    size_t max_bytes = strlen (json) + 1000;
    s_assert_served_refused (&object, json, max_bytes,
                             "the records of s3://bucket/in/wide.csv, as "
                             "JSON, are larger than the limit of a job "
                             "document");
    //  The download itself is held to the limit too.
    s_assert_served_refused (&object, json, strlen (json) + 100,
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
    s_assert_served_refused (
        &object, "{\"records\": \"s3://bucket/in/many.csv\"}", 64 * 1024 * 1024,
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
    s_assert_resolves (&object,
                       "{\"records\":\"s3://bucket/r.ndjson\",\"version\":1}",
                       "{\"records\":[{\"n\": 1.50},{\"n\": 2},{\"n\":3}],"
                       "\"version\":1}");
    object = (testserver_answer_t){.status = 200, .body = "{\"n\": 1}\n[2]\n"};
    s_assert_served_refused (&object, "{\"records\": \"s3://bucket/r.jsonl\"}",
                             S_MAX_BYTES,
                             "s3://bucket/r.jsonl line 2: a record must be "
                             "a JSON object, not an array");
}

static void
test_missing_object_says_what_s3_answered (void **state)
{
    (void)state;
    testserver_answer_t object = {
        .status = 404,
        .body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                "NoSuchKey</Code><Message>The specified key does not exist."
                "</Message></Error>"};
    s_assert_served_refused (&object, "{\"records\": \"s3://bucket/no.csv\"}",
                             S_MAX_BYTES,
                             "cannot read GET s3://bucket/no.csv: S3 answered "
                             "404 NoSuchKey");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_documents_without_urls_are_left_alone),
        cmocka_unit_test (test_other_schemes_are_never_fetched),
        cmocka_unit_test (test_bad_s3_urls_are_named),
        cmocka_unit_test (test_urls_need_an_s3_configuration),
        cmocka_unit_test (test_unreachable_store_is_reported_with_the_reason),
        cmocka_unit_test (test_csv_rows_become_the_records_array_in_place),
        cmocka_unit_test (test_csv_is_asked_for_by_its_key),
        cmocka_unit_test (test_csv_errors_name_the_url_and_line),
        cmocka_unit_test (test_csv_records_count_against_the_body_limit),
        cmocka_unit_test (test_csv_holds_at_most_the_records_a_job_may_have),
        cmocka_unit_test (test_jsonl_lines_split_between_pieces_are_whole),
        cmocka_unit_test (test_missing_object_says_what_s3_answered),
    };
    zsys_init ();
    return cmocka_run_group_tests (tests, NULL, NULL);
}
