/*  test_sigv4 - common/store/sigv4: SHA-256 payload hashes and presigned GET
    URLs, checked against AWS's published example.

    The presigning vector is the worked example of AWS's "Authenticating
    Requests: Using Query Parameters (AWS Signature Version 4)" page (GET
    examplebucket/test.txt on 2013-05-24, valid for 86400 s); the hashes are
    FIPS 180-2's.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>

#include "sigv4.h"

//  2013-05-24T00:00:00Z
#define S_EXAMPLE_TIME 1369353600

static const sigv4_signer_t s_example_signer = {
    .access_key_id = "AKIAIOSFODNN7EXAMPLE",
    .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    .session_token = NULL,
    .region = "us-east-1",
    .service = "s3",
};

static bool
s_starts_with (const char *text, const char *prefix)
{
    return strncmp (text, prefix, strlen (prefix)) == 0;
}

static void
test_sha256_of_empty_and_abc (void **state)
{
    (void)state;
    char hex[SIGV4_HEX_SIZE];
    sigv4_sha256_hex ("", 0, hex);
    assert_string_equal (
        hex,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sigv4_sha256_hex ("abc", 3, hex);
    assert_string_equal (
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_incremental_sha256_matches_one_shot_and_restarts (void **state)
{
    (void)state;
    const char *text =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    char expected[SIGV4_HEX_SIZE], hex[SIGV4_HEX_SIZE];
    sigv4_sha256_hex (text, strlen (text), expected);
    assert_string_equal (
        expected,
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sigv4_sha256_t *hash = sigv4_sha256_new ();
    assert_non_null (hash);
    size_t length = strlen (text);
    for (size_t done = 0; done < length; done += 5)
        sigv4_sha256_update (hash, text + done,
                             length - done < 5 ? length - done : 5);
    sigv4_sha256_finish (hash, hex);
    assert_string_equal (hex, expected);
    //  After finishing, the hash is empty again.
    sigv4_sha256_update (hash, "abc", 3);
    sigv4_sha256_finish (hash, hex);
    assert_string_equal (
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sigv4_sha256_destroy (&hash);
    assert_null (hash);
    sigv4_sha256_destroy (&hash);
}

static void
test_presign_matches_the_aws_documented_example (void **state)
{
    (void)state;
    char *url = sigv4_presign_get (&s_example_signer, "https",
                                   "examplebucket.s3.amazonaws.com",
                                   "/test.txt", S_EXAMPLE_TIME, 86400);
    assert_non_null (url);
    assert_string_equal (
        url,
        "https://examplebucket.s3.amazonaws.com/test.txt"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
        "aws4_request"
        "&X-Amz-Date=20130524T000000Z"
        "&X-Amz-Expires=86400"
        "&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature="
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    zstr_free (&url);
}

static void
test_presign_drops_the_default_port (void **state)
{
    (void)state;
    //  Clients leave a default port out of Host; the signature must agree.
    char *url = sigv4_presign_get (&s_example_signer, "https",
                                   "examplebucket.s3.amazonaws.com:443",
                                   "/test.txt", S_EXAMPLE_TIME, 86400);
    assert_non_null (url);
    assert_non_null (strstr (url, "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d8"
                                  "6835f995330da4c265957d157751f604d404"));
    assert_true (s_starts_with (
        url, "https://examplebucket.s3.amazonaws.com/test.txt?"));
    zstr_free (&url);
}

static void
test_presign_keeps_another_port_and_path_style_path (void **state)
{
    (void)state;
    char *url = sigv4_presign_get (&s_example_signer, "http", "127.0.0.1:9000",
                                   "/bucket/out/a%20b.pdf", S_EXAMPLE_TIME, 60);
    assert_non_null (url);
    assert_true (
        s_starts_with (url, "http://127.0.0.1:9000/bucket/out/a%20b.pdf?"));
    assert_non_null (strstr (url, "&X-Amz-Expires=60&"));
    zstr_free (&url);
}

static void
test_presign_with_session_token_signs_it_in_order (void **state)
{
    (void)state;
    sigv4_signer_t signer = s_example_signer;
    signer.session_token = "FQoGZXIvYXdz/token+with=chars";
    char *url =
        sigv4_presign_get (&signer, "https", "examplebucket.s3.amazonaws.com",
                           "/a", S_EXAMPLE_TIME, 3600);
    assert_non_null (url);
    const char *expires = strstr (url, "&X-Amz-Expires=3600");
    const char *token = strstr (
        url, "&X-Amz-Security-Token=FQoGZXIvYXdz%2Ftoken%2Bwith%3Dchars");
    const char *signed_headers = strstr (url, "&X-Amz-SignedHeaders=host");
    assert_non_null (expires);
    assert_non_null (token);
    assert_non_null (signed_headers);
    assert_true (expires < token && token < signed_headers);
    //  A different signature from the one without a token.
    assert_null (
        strstr (url, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c2659"));
    zstr_free (&url);
}

static void
test_presign_never_shows_the_secret (void **state)
{
    (void)state;
    char *url = sigv4_presign_get (&s_example_signer, "https",
                                   "examplebucket.s3.amazonaws.com",
                                   "/test.txt", S_EXAMPLE_TIME, 86400);
    assert_non_null (url);
    assert_null (strstr (url, "wJalrXUtnFEMI"));
    assert_null (strstr (url, "wJalrXUtnFEMI%2FK7MDENG"));
    zstr_free (&url);
}

static void
test_presign_refuses_bad_urls_and_expiries (void **state)
{
    (void)state;
    const char *bad[][3] = {
        {"ftp", "examplebucket.s3.amazonaws.com", "/test.txt"},
        {"https", "", "/test.txt"},
        {"https", "user@examplebucket.s3.amazonaws.com", "/a"},
        {"https", "examplebucket.s3.amazonaws.com", "/a b"},
        {"https", "examplebucket.s3.amazonaws.com", "/a?b=c"},
        {"https", "examplebucket.s3.amazonaws.com", "/a%2"},
        {"https", "examplebucket.s3.amazonaws.com", "test.txt"},
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        char *url =
            sigv4_presign_get (&s_example_signer, bad[index][0], bad[index][1],
                               bad[index][2], S_EXAMPLE_TIME, 60);
        if (url)
            fail_msg ("accepted %s://%s%s", bad[index][0], bad[index][1],
                      bad[index][2]);
    }
    const char *host = "examplebucket.s3.amazonaws.com";
    assert_null (sigv4_presign_get (&s_example_signer, "https", host,
                                    "/test.txt", S_EXAMPLE_TIME, 0));
    assert_null (sigv4_presign_get (&s_example_signer, "https", host,
                                    "/test.txt", S_EXAMPLE_TIME,
                                    SIGV4_PRESIGN_EXPIRES_MAX + 1));
    char *url =
        sigv4_presign_get (&s_example_signer, "https", host, "/test.txt",
                           S_EXAMPLE_TIME, SIGV4_PRESIGN_EXPIRES_MAX);
    assert_non_null (url);
    assert_non_null (strstr (url, "&X-Amz-Expires=604800&"));
    zstr_free (&url);
}

static void
test_uri_encode_keeps_only_unreserved_bytes (void **state)
{
    (void)state;
    char *encoded = sigv4_uri_encode ("a/b c~d_e.f-g+h=i&ü", true);
    assert_string_equal (encoded, "a/b%20c~d_e.f-g%2Bh%3Di%26%C3%BC");
    zstr_free (&encoded);
    encoded = sigv4_uri_encode ("AKID/20130524/us-east-1", false);
    assert_string_equal (encoded, "AKID%2F20130524%2Fus-east-1");
    zstr_free (&encoded);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sha256_of_empty_and_abc),
        cmocka_unit_test (
            test_incremental_sha256_matches_one_shot_and_restarts),
        cmocka_unit_test (test_presign_matches_the_aws_documented_example),
        cmocka_unit_test (test_presign_drops_the_default_port),
        cmocka_unit_test (test_presign_keeps_another_port_and_path_style_path),
        cmocka_unit_test (test_presign_with_session_token_signs_it_in_order),
        cmocka_unit_test (test_presign_never_shows_the_secret),
        cmocka_unit_test (test_presign_refuses_bad_urls_and_expiries),
        cmocka_unit_test (test_uri_encode_keeps_only_unreserved_bytes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
