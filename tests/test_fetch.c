/*  test_fetch - ventilator/fetch: which documents name something to fetch,
    and the URLs it refuses before any request is made.

    Fetching itself (records line by line, assets as base64, the document
    put back together byte for byte) is tested against moto_server in
    tests/e2e/test_s3.py.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>

#include "fetch.h"

#define S_MAX_BYTES (1024 * 1024)

//  A client that is never used: the refusals come before any request.
static s3_t *
s_client (void)
{
    s3_config_t config = {
        .access_key_id = "AKIDTEST",
        .secret_access_key = "secret",
        .region = "us-east-1",
        .endpoint = "http://127.0.0.1:9",
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
    s_assert_refused (s3, "{\"records\": \"s3://bucket/records.csv\"}",
                      "records", "CSV records cannot be read from S3 yet");
    s_assert_refused (s3, "{\"records\": \"s3://bucket/records.json\"}",
                      "records", "must name a .jsonl file");
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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_documents_without_urls_are_left_alone),
        cmocka_unit_test (test_other_schemes_are_never_fetched),
        cmocka_unit_test (test_bad_s3_urls_are_named),
        cmocka_unit_test (test_urls_need_an_s3_configuration),
        cmocka_unit_test (test_unreachable_store_is_reported_with_the_reason),
    };
    zsys_init ();
    return cmocka_run_group_tests (tests, NULL, NULL);
}
