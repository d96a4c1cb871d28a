/*  test_s3inputs - ventilator/s3inputs: the operator's list of buckets and
    prefixes jobs may read, and the keys it refuses in any bucket.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "s3inputs.h"

static s3inputs_t *
s_list (const char *text)
{
    char error[S3INPUTS_ERROR_MAX];
    s3inputs_t *inputs = s3inputs_new (text, error);
    if (!inputs)
        fail_msg ("'%s' refused: %s", text, error);
    return inputs;
}

static void
s_assert_list_refused (const char *text, const char *words)
{
    char error[S3INPUTS_ERROR_MAX] = "";
    s3inputs_t *inputs = s3inputs_new (text, error);
    if (inputs)
        fail_msg ("'%s' accepted", text);
    if (!strstr (error, words))
        fail_msg ("error '%s' lacks '%s'", error, words);
}

static void
test_no_list_allows_nothing (void **state)
{
    (void)state;
    s3inputs_t *inputs = s_list ("");
    assert_false (s3inputs_any (inputs));
    assert_int_equal (s3inputs_check (inputs, "bucket", "a.csv"),
                      S3INPUTS_NONE);
    assert_int_equal (s3inputs_check (NULL, "bucket", "a.csv"), S3INPUTS_NONE);
    s3inputs_destroy (&inputs);
    inputs = s_list (" , ");
    assert_false (s3inputs_any (inputs));
    s3inputs_destroy (&inputs);
    s3inputs_destroy (&inputs);
}

static void
test_a_bucket_allows_all_its_keys (void **state)
{
    (void)state;
    s3inputs_t *inputs = s_list ("acme-billing");
    assert_true (s3inputs_any (inputs));
    assert_int_equal (s3inputs_check (inputs, "acme-billing", "2025/a.csv"),
                      S3INPUTS_ALLOWED);
    assert_int_equal (s3inputs_check (inputs, "acme-billing-hr", "a.csv"),
                      S3INPUTS_NOT_ALLOWED);
    assert_int_equal (s3inputs_check (inputs, "another-bucket", "a.csv"),
                      S3INPUTS_NOT_ALLOWED);
    s3inputs_destroy (&inputs);
}

static void
test_a_prefix_matches_whole_segments (void **state)
{
    (void)state;
    s3inputs_t *inputs = s_list ("acme/in/2025/ , other.bucket/x");
    assert_int_equal (s3inputs_check (inputs, "acme", "in/2025/a.csv"),
                      S3INPUTS_ALLOWED);
    assert_int_equal (s3inputs_check (inputs, "acme", "in/2025/m/a.csv"),
                      S3INPUTS_ALLOWED);
    assert_int_equal (s3inputs_check (inputs, "acme", "in/2025-hr/a.csv"),
                      S3INPUTS_NOT_ALLOWED);
    assert_int_equal (s3inputs_check (inputs, "acme", "in/2025"),
                      S3INPUTS_NOT_ALLOWED);
    assert_int_equal (s3inputs_check (inputs, "acme", "a.csv"),
                      S3INPUTS_NOT_ALLOWED);
    assert_int_equal (s3inputs_check (inputs, "other.bucket", "x/a.csv"),
                      S3INPUTS_ALLOWED);
    s3inputs_destroy (&inputs);
}

static void
test_dot_empty_and_control_parts_are_bad_keys_anywhere (void **state)
{
    (void)state;
    s3inputs_t *inputs = s_list ("acme/in");
    const char *const keys[] = {"in/../config/creds.jsonl",
                                "in/./a.csv",
                                "in//a.csv",
                                "in/a.csv/",
                                "in/..",
                                "/in/a.csv",
                                "in/a\tb",
                                "in/a\x7f",
                                "in/a\r\n.csv",
                                "",
                                NULL};
    for (size_t index = 0; keys[index]; index++)
        if (s3inputs_check (inputs, "acme", keys[index]) != S3INPUTS_BAD_KEY)
            fail_msg ("key '%s' not refused", keys[index]);
    //  Refused even with no list, so the answer says what is wrong.
    assert_int_equal (s3inputs_check (NULL, "acme", "in/../a.csv"),
                      S3INPUTS_BAD_KEY);
    //  Dots inside a segment are fine.
    assert_int_equal (s3inputs_check (inputs, "acme", "in/a..b/.c.csv"),
                      S3INPUTS_ALLOWED);
    s3inputs_destroy (&inputs);
}

static void
test_bad_entries_are_named (void **state)
{
    (void)state;
    s_assert_list_refused ("acme,Bad_Bucket/in",
                           "'Bad_Bucket/in' is not BUCKET[/PREFIX]");
    s_assert_list_refused ("acme/in/../hr",
                           "the prefix of 'acme/in/../hr' has an empty");
    s_assert_list_refused ("acme/in//hr", "has an empty, '.' or '..' part");
    s_assert_list_refused ("s3://acme", "is not BUCKET[/PREFIX]");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_no_list_allows_nothing),
        cmocka_unit_test (test_a_bucket_allows_all_its_keys),
        cmocka_unit_test (test_a_prefix_matches_whole_segments),
        cmocka_unit_test (
            test_dot_empty_and_control_parts_are_bad_keys_anywhere),
        cmocka_unit_test (test_bad_entries_are_named),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
