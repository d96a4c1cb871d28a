/*  test_output - common/doc/output: the job document's "output" object, its
    placeholders and the rules that keep keys inside the store.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <czmq.h>

#include "output.h"

//  2025-11-25T16:50:01.123Z
#define S_ACCEPTED_MS 1764089401123LL

//  Parse text as the "output" member; NULL text means no member.
static output_t *
s_parse (const char *text, fielderr_t *err)
{
    memset (err, 0, sizeof (*err));
    cJSON *json = text ? cJSON_Parse (text) : NULL;
    if (text)
        assert_non_null (json);
    output_t *output = output_parse (json, "output", err);
    cJSON_Delete (json);
    return output;
}

static void
s_assert_refused (const char *text, const char *field, const char *words)
{
    fielderr_t err;
    output_t *output = s_parse (text, &err);
    if (output)
        fail_msg ("accepted %s", text);
    assert_string_equal (err.field, field);
    if (!strstr (err.message, words))
        fail_msg ("message for %s is '%s', expected '%s' in it", text,
                  err.message, words);
}

static void
test_absent_output_gives_the_default_key_and_no_filename (void **state)
{
    (void)state;
    fielderr_t err;
    output_t *output = s_parse (NULL, &err);
    assert_non_null (output);
    char *key = output_key (output, "3f2c9a0e", S_ACCEPTED_MS);
    assert_string_equal (key, "3f2c9a0e/3f2c9a0e.pdf");
    assert_null (output_filename (output, "3f2c9a0e", S_ACCEPTED_MS));
    zstr_free (&key);
    output_destroy (&output);
    assert_null (output);
    output = s_parse ("{}", &err);
    assert_non_null (output);
    key = output_key (output, "x", S_ACCEPTED_MS);
    assert_string_equal (key, "x/x.pdf");
    zstr_free (&key);
    output_destroy (&output);
}

static void
test_placeholders_are_filled_in_utc (void **state)
{
    (void)state;
    fielderr_t err;
    output_t *output = s_parse (
        "{\"key\": \"invoices/{{job_id}}-{{date}}.pdf\","
        " \"filename\": \"invoice {{ year }}{{month}}{{day}}-{{time}}.pdf\"}",
        &err);
    assert_non_null (output);
    char *key = output_key (output, "3f2c9a0e", S_ACCEPTED_MS);
    assert_string_equal (key, "3f2c9a0e/invoices/3f2c9a0e-2025-11-25.pdf");
    char *filename = output_filename (output, "3f2c9a0e", S_ACCEPTED_MS);
    assert_string_equal (filename, "invoice 20251125-165001.pdf");
    zstr_free (&filename);
    zstr_free (&key);
    output_destroy (&output);
}

static void
test_utf8_filename_is_accepted (void **state)
{
    (void)state;
    fielderr_t err;
    output_t *output = s_parse ("{\"filename\": \"청구서 №1.pdf\"}", &err);
    assert_non_null (output);
    char *filename = output_filename (output, "a", S_ACCEPTED_MS);
    assert_string_equal (filename, "청구서 №1.pdf");
    zstr_free (&filename);
    output_destroy (&output);
}

static void
test_keys_that_leave_the_store_are_refused (void **state)
{
    (void)state;
    s_assert_refused ("{\"key\": \"/etc/passwd\"}", "output.key",
                      "must not start with '/'");
    s_assert_refused ("{\"key\": \"../x.pdf\"}", "output.key", "'..'");
    s_assert_refused ("{\"key\": \"a/../../b.pdf\"}", "output.key", "'..'");
    s_assert_refused ("{\"key\": \"a//b.pdf\"}", "output.key", "empty part");
    s_assert_refused ("{\"key\": \"a/\"}", "output.key", "empty part");
    s_assert_refused ("{\"key\": \"a/.hidden\"}", "output.key",
                      "starts with '.'");
    s_assert_refused ("{\"key\": \"a b.pdf\"}", "output.key", "got ' '");
    s_assert_refused ("{\"key\": \"a\\\\b.pdf\"}", "output.key", "got '\\'");
    s_assert_refused ("{\"key\": \"ü.pdf\"}", "output.key", "got byte 0xc3");
    s_assert_refused ("{\"key\": \"\"}", "output.key", "empty part");
}

static void
test_placeholder_mistakes_are_named (void **state)
{
    (void)state;
    s_assert_refused ("{\"key\": \"{{customer}}.pdf\"}", "output.key",
                      "unknown placeholder '{{customer}}'");
    s_assert_refused ("{\"key\": \"{{job_id.pdf\"}", "output.key",
                      "without its closing '}}'");
    s_assert_refused ("{\"filename\": \"{{page}}.pdf\"}", "output.filename",
                      "unknown placeholder");
}

static void
test_key_length_counts_the_longest_job_id (void **state)
{
    (void)state;
    //  The stored key is "<job id>/<key>", at most 512 bytes: the document's
    //  key may have 512 - 65 = 447 once its placeholders are filled in.
    //  384 bytes of text plus a 64-character job id is over 447.
    char text[600];
    char long_name[451];
    memset (long_name, 'k', 450);
    long_name[450] = '\0';
    snprintf (text, sizeof (text), "{\"key\": \"%.384s{{job_id}}\"}",
              long_name);
    s_assert_refused (text, "output.key", "longer than 447 bytes");
    snprintf (text, sizeof (text), "{\"key\": \"%.383s{{job_id}}\"}",
              long_name);
    fielderr_t err;
    output_t *output = s_parse (text, &err);
    assert_non_null (output);
    output_destroy (&output);
}

static void
test_bad_filenames_are_refused (void **state)
{
    (void)state;
    s_assert_refused ("{\"filename\": \"\"}", "output.filename", "empty");
    s_assert_refused ("{\"filename\": \"a/b.pdf\"}", "output.filename",
                      "without '/'");
    s_assert_refused ("{\"filename\": \"..\"}", "output.filename", "not '..'");
    s_assert_refused ("{\"filename\": \"a\\u0007.pdf\"}", "output.filename",
                      "control characters");
    s_assert_refused ("{\"filename\": \"a\\u0085.pdf\"}", "output.filename",
                      "control characters");
    //  Names that read other than they are: "invoice<RLO>fdp.exe" shows as
    //  "invoiceexe.pdf"; a line separator starts a new header line in
    //  some clients.
    s_assert_refused ("{\"filename\": \"invoice\\u202efdp.exe\"}",
                      "output.filename", "must not hold U+202E");
    s_assert_refused ("{\"filename\": \"a\\u2066b.pdf\"}", "output.filename",
                      "must not hold U+2066");
    s_assert_refused ("{\"filename\": \"a\\u200fb.pdf\"}", "output.filename",
                      "bidirectional controls");
    s_assert_refused ("{\"filename\": \"a\\u2028b.pdf\"}", "output.filename",
                      "line separators");
    s_assert_refused ("{\"filename\": \"a\\u2029b.pdf\"}", "output.filename",
                      "must not hold U+2029");
    char text[400];
    char long_name[300];
    memset (long_name, 'n', 299);
    long_name[299] = '\0';
    snprintf (text, sizeof (text), "{\"filename\": \"%s\"}", long_name);
    s_assert_refused (text, "output.filename", "longer than 255 bytes");
}

static void
test_shape_mistakes_are_named (void **state)
{
    (void)state;
    s_assert_refused ("\"out.pdf\"", "output", "must be an object");
    s_assert_refused ("{\"key\": 12}", "output.key", "must be a string");
    s_assert_refused ("{\"filename\": null}", "output.filename",
                      "must be a string");
    s_assert_refused ("{\"bucket\": \"x\"}", "output.bucket", "unknown field");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
            test_absent_output_gives_the_default_key_and_no_filename),
        cmocka_unit_test (test_placeholders_are_filled_in_utc),
        cmocka_unit_test (test_utf8_filename_is_accepted),
        cmocka_unit_test (test_keys_that_leave_the_store_are_refused),
        cmocka_unit_test (test_placeholder_mistakes_are_named),
        cmocka_unit_test (test_key_length_counts_the_longest_job_id),
        cmocka_unit_test (test_bad_filenames_are_refused),
        cmocka_unit_test (test_shape_mistakes_are_named),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
