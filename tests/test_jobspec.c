/*  test_jobspec - the job document: top-level fields, record checks that
    name the offending record, slices for workers, and the examples that
    docs/job-spec.md and docs/examples/ promise are valid.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobspec.h"
#include "testassert.h"
#include "testfile.h"

//  A template with a title and a text that uses a nested record field.
#define S_TEMPLATE                                                             \
    "{\"elements\": ["                                                         \
    "{\"type\": \"text\", \"text\": \"No. {{number}}\", \"x\": 50, \"y\": "    \
    "780},"                                                                    \
    "{\"type\": \"text\", \"text\": \"{{customer.name}}\", \"x\": 50, \"y\": " \
    "700}]}"

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("\"%s\" does not contain \"%s\"", text, part);
}

static jobspec_t *
s_parse (const char *json, fielderr_t *err)
{
    return jobspec_parse (json, strlen (json), err);
}

static jobspec_t *
s_parse_ok (const char *json)
{
    fielderr_t err = {"", ""};
    jobspec_t *jobspec = s_parse (json, &err);
    if (!jobspec)
        fail_msg ("job rejected: %s: %s", err.field, err.message);
    return jobspec;
}

static void
s_assert_rejects (const char *json, const char *field, const char *message)
{
    fielderr_t err = {"", ""};
    jobspec_t *jobspec = s_parse (json, &err);
    if (jobspec) {
        jobspec_destroy (&jobspec);
        fail_msg ("job accepted; expected %s: %s", field, message);
    }
    assert_string_equal (err.field, field);
    s_assert_contains (err.message, message);
}

//  A version 1 document with S_TEMPLATE, the given records and extra
//  top-level members (", ..." or ""). Caller frees.
static char *
s_document (const char *records, const char *extra)
{
    size_t size = strlen (records) + strlen (extra) + 512;
    char *json = malloc (size);
    assert_non_null (json);
    snprintf (json, size,
              "{\"version\": 1, \"template\": " S_TEMPLATE
              ", \"records\": %s%s}",
              records, extra);
    return json;
}

static void
s_assert_document_rejects (const char *records, const char *extra,
                           const char *field, const char *message)
{
    char *json = s_document (records, extra);
    s_assert_rejects (json, field, message);
    free (json);
}

static void
test_jobspec_parses_minimal_document (void **state)
{
    (void)state;
    jobspec_t *jobspec =
        s_parse_ok ("{\"version\": 1, \"template\": {\"elements\": []}, "
                    "\"records\": [{}]}");
    assert_int_eq (jobspec_pages (jobspec), 1);
    assert_int_eq (jobspec_chunk_pages (jobspec), JOBSPEC_CHUNK_PAGES_DEFAULT);
    assert_non_null (jobspec_template (jobspec));
    jobspec_destroy (&jobspec);
}

static void
test_jobspec_counts_one_page_per_record (void **state)
{
    (void)state;
    char *json = s_document ("[{\"number\": 1, \"customer\": {\"name\": "
                             "\"Ada\"}}, {\"number\": 2, \"customer\": "
                             "{\"name\": \"Bob\"}}]",
                             "");
    jobspec_t *jobspec = s_parse_ok (json);
    assert_int_eq (jobspec_pages (jobspec), 2);
    assert_int_eq (template_element_count (jobspec_template (jobspec)), 2);
    jobspec_destroy (&jobspec);
    free (json);
}

static void
test_jobspec_parses_hello_example (void **state)
{
    (void)state;
    char *text =
        testfile_read (PROJECT_SOURCE_DIR "/docs/examples/hello.json", NULL);
    jobspec_t *jobspec = s_parse_ok (text);
    assert_int_eq (jobspec_pages (jobspec), 3);
    const template_t *template = jobspec_template (jobspec);
    assert_float_equal (template_page_width (template), 595.28, 0.001);
    jobspec_destroy (&jobspec);
    free (text);
}

static void
test_jobspec_parses_every_json_example_in_job_spec_doc (void **state)
{
    (void)state;
    char *text = testfile_read (PROJECT_SOURCE_DIR "/docs/job-spec.md", NULL);
    int examples = 0;
    const char *cursor = text;
    while (1) {
        const char *open = strstr (cursor, "\n```json\n");
        if (!open)
            break;
        const char *body = open + strlen ("\n```json\n");
        const char *close = strstr (body, "\n```");
        assert_non_null (close);
        fielderr_t err = {"", ""};
        jobspec_t *jobspec = jobspec_parse (body, (size_t)(close - body), &err);
        if (!jobspec)
            fail_msg ("example %d of docs/job-spec.md is rejected: %s: %s",
                      examples + 1, err.field, err.message);
        jobspec_destroy (&jobspec);
        examples++;
        cursor = close + 4;
    }
    if (examples < 1)
        fail_msg ("docs/job-spec.md has no ```json example");
    free (text);
}

static void
test_jobspec_rejects_empty_document (void **state)
{
    (void)state;
    s_assert_rejects ("", "", "empty document");
    s_assert_rejects ("  \n", "", "empty document");
}

static void
test_jobspec_reports_invalid_json_with_line_and_column (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    const char *json = "{\n  \"version\": 1,\n  \"records\" [\n}";
    assert_null (s_parse (json, &err));
    assert_string_equal (err.field, "");
    assert_string_equal (err.message, "not valid JSON near line 3 column 13");
}

static void
test_jobspec_rejects_deep_nesting_before_parsing (void **state)
{
    (void)state;
    size_t depth = 200000;
    char *records = malloc (depth * 2 + 8);
    assert_non_null (records);
    memset (records, '[', depth);
    memset (records + depth, ']', depth);
    records[depth * 2] = '\0';
    s_assert_document_rejects (records, "", "", "nested deeper than 64 levels");
    free (records);
}

static void
test_jobspec_rejects_document_that_is_not_an_object (void **state)
{
    (void)state;
    s_assert_rejects ("[1]", "",
                      "must be a JSON object with \"version\", \"template\" "
                      "and \"records\", got an array");
}

static void
test_jobspec_requires_version (void **state)
{
    (void)state;
    s_assert_rejects ("{\"template\": {\"elements\": []}, \"records\": [{}]}",
                      "version",
                      "missing required field 'version'; expected 1");
}

static void
test_jobspec_rejects_other_versions (void **state)
{
    (void)state;
    s_assert_rejects ("{\"version\": 2}", "version",
                      "must be 1, the only version of this format, got 2 "
                      "(number)");
    s_assert_rejects ("{\"version\": \"1\"}", "version",
                      "must be 1, the only version of this format, got \"1\" "
                      "(string)");
}

static void
test_jobspec_uses_given_chunk_pages (void **state)
{
    (void)state;
    char *json = s_document ("[{\"number\": 1, \"customer\": {\"name\": "
                             "\"Ada\"}}]",
                             ", \"chunk_pages\": 100");
    jobspec_t *jobspec = s_parse_ok (json);
    assert_int_eq (jobspec_chunk_pages (jobspec), 100);
    jobspec_destroy (&jobspec);
    free (json);
}

static void
test_jobspec_priority (void **state)
{
    (void)state;
    char *json = s_document ("[{\"number\": 1, \"customer\": {\"name\": "
                             "\"Ada\"}}]",
                             ", \"priority\": 40");
    jobspec_t *jobspec = s_parse_ok (json);
    assert_int_eq (jobspec_priority (jobspec), 40);
    jobspec_destroy (&jobspec);
    free (json);
    json = s_document ("[{\"number\": 1, \"customer\": {\"name\": "
                       "\"Ada\"}}]",
                       "");
    jobspec = s_parse_ok (json);
    assert_int_eq (jobspec_priority (jobspec), JOBSPEC_PRIORITY_DEFAULT);
    jobspec_destroy (&jobspec);
    free (json);
    s_assert_document_rejects ("[]", ", \"priority\": 0", "priority",
                               "must be a whole number between 1 and 100, "
                               "got 0 (number)");
    s_assert_document_rejects ("[]", ", \"priority\": 101", "priority",
                               "got 101 (number)");
    s_assert_document_rejects ("[]", ", \"priority\": 2.5", "priority",
                               "got 2.5 (number)");
    s_assert_document_rejects ("[]", ", \"priority\": \"high\"", "priority",
                               "got \"high\" (string)");
}

static void
test_jobspec_rejects_fractional_chunk_pages (void **state)
{
    (void)state;
    s_assert_document_rejects ("[]", ", \"chunk_pages\": 1.5", "chunk_pages",
                               "must be a whole number between 1 and 5000, "
                               "got 1.5 (number)");
}

static void
test_jobspec_rejects_chunk_pages_out_of_range (void **state)
{
    (void)state;
    s_assert_document_rejects ("[]", ", \"chunk_pages\": 0", "chunk_pages",
                               "got 0 (number)");
    s_assert_document_rejects ("[]", ", \"chunk_pages\": 5001", "chunk_pages",
                               "got 5001 (number)");
    s_assert_document_rejects ("[]", ", \"chunk_pages\": 1e999", "chunk_pages",
                               "got a number too large to represent");
    s_assert_document_rejects ("[]", ", \"chunk_pages\": \"100\"",
                               "chunk_pages", "got \"100\" (string)");
}

static void
test_jobspec_rejects_unknown_top_level_field (void **state)
{
    (void)state;
    s_assert_document_rejects ("[]", ", \"colour\": \"red\"", "colour",
                               "unknown field 'colour'; expected one of: "
                               "version, chunk_pages, priority, assets, "
                               "template, records");
}

static void
test_jobspec_keeps_webhook_url (void **state)
{
    (void)state;
    const char *record = "[{\"number\": 1, \"customer\": {\"name\": \"A\"}}]";
    char *json = s_document (
        record, ", \"webhook\": {\"url\": \"https://h.example/x\"}");
    jobspec_t *jobspec = s_parse_ok (json);
    assert_string_equal (jobspec_webhook_url (jobspec), "https://h.example/x");
    assert_int_equal (jobspec_set_webhook_url (jobspec, NULL), 0);
    assert_null (jobspec_webhook_url (jobspec));
    jobspec_destroy (&jobspec);
    free (json);
    json = s_document (record, "");
    jobspec = s_parse_ok (json);
    assert_null (jobspec_webhook_url (jobspec));
    jobspec_destroy (&jobspec);
    free (json);
}

static void
test_jobspec_rejects_bad_webhook (void **state)
{
    (void)state;
    s_assert_document_rejects ("[]", ", \"webhook\": \"http://x\"", "webhook",
                               "must be an object with \"url\", got "
                               "\"http://x\" (string)");
    s_assert_document_rejects ("[]", ", \"webhook\": {}", "webhook.url",
                               "must be an https:// URL of at most 2048 "
                               "bytes, got nothing");
    s_assert_document_rejects ("[]", ", \"webhook\": {\"url\": \"ftp://x\"}",
                               "webhook.url", "got \"ftp://x\" (string)");
    s_assert_document_rejects ("[]", ", \"webhook\": {\"url\": 7}",
                               "webhook.url", "got 7 (number)");
    s_assert_document_rejects (
        "[]", ", \"webhook\": {\"url\": \"https://x\", \"secret\": \"s\"}",
        "webhook", "unknown field 'secret'; expected only \"url\"");
}

static void
test_jobspec_keeps_output_and_checks_it (void **state)
{
    (void)state;
    const char *record = "[{\"number\": 1, \"customer\": {\"name\": \"A\"}}]";
    char *json = s_document (record, ", \"output\": {\"key\": "
                                     "\"out/{{job_id}}.pdf\", \"filename\": "
                                     "\"invoice.pdf\"}");
    jobspec_t *jobspec = s_parse_ok (json);
    char *key = output_key (jobspec_output (jobspec), "j1", 0);
    assert_string_equal (key, "j1/out/j1.pdf");
    free (key);
    jobspec_destroy (&jobspec);
    free (json);
    //  Without "output", the defaults.
    json = s_document (record, "");
    jobspec = s_parse_ok (json);
    key = output_key (jobspec_output (jobspec), "j1", 0);
    assert_string_equal (key, "j1/j1.pdf");
    free (key);
    jobspec_destroy (&jobspec);
    free (json);
    s_assert_document_rejects ("[]", ", \"output\": {\"key\": \"../x.pdf\"}",
                               "output.key", "'..'");
}

static void
test_jobspec_rejects_duplicate_top_level_field (void **state)
{
    (void)state;
    s_assert_document_rejects ("[]", ", \"version\": 1", "version",
                               "duplicate field 'version'");
}

static void
test_jobspec_requires_template (void **state)
{
    (void)state;
    s_assert_rejects ("{\"version\": 1, \"records\": [{}]}", "template",
                      "missing required field 'template'");
}

static void
test_jobspec_reports_template_errors_with_their_path (void **state)
{
    (void)state;
    s_assert_rejects ("{\"version\": 1, \"template\": {\"elements\": [{"
                      "\"type\": \"text\", \"text\": \"a\", \"x\": 0, \"y\": "
                      "0, \"font\": \"Helvetca\"}]}, \"records\": [{}]}",
                      "template.elements[0].font",
                      "unknown font 'Helvetca'; expected one of the 14 "
                      "standard PDF fonts");
}

static void
test_jobspec_requires_records (void **state)
{
    (void)state;
    s_assert_rejects ("{\"version\": 1, \"template\": {\"elements\": []}}",
                      "records", "missing required field 'records'");
}

static void
test_jobspec_rejects_records_that_are_not_an_array (void **state)
{
    (void)state;
    s_assert_document_rejects ("{}", "", "records",
                               "must be an array of objects, one per page, got "
                               "an object");
}

static void
test_jobspec_rejects_empty_records (void **state)
{
    (void)state;
    s_assert_document_rejects ("[]", "", "records",
                               "must have at least one record");
}

static void
test_jobspec_rejects_record_that_is_not_an_object (void **state)
{
    (void)state;
    s_assert_document_rejects ("[{}, {}, {}, \"Ada\"]", "", "records[3]",
                               "must be an object, got \"Ada\" (string)");
}

static void
test_jobspec_rejects_more_than_max_records (void **state)
{
    (void)state;
    size_t count = JOBSPEC_RECORDS_MAX + 1;
    char *json = malloc (count * 3 + 128);
    assert_non_null (json);
    size_t used = (size_t)sprintf (
        json,
        "{\"version\": 1, \"template\": {\"elements\": []}, \"records\": [");
    for (size_t index = 0; index < count; index++) {
        memcpy (json + used, "{},", 3);
        used += 3;
    }
    strcpy (json + used - 1, "]}");
    s_assert_rejects (json, "records", "has more than 1000000 records");
    free (json);
}

static void
test_jobspec_reports_missing_field_in_record (void **state)
{
    (void)state;
    char records[4096] = "[";
    for (int index = 0; index < 20; index++) {
        char record[128];
        snprintf (record, sizeof record,
                  "%s{\"number\": %d, \"customer\": {\"%s\": \"Ada\"}}",
                  index ? ", " : "", index, index == 17 ? "nom" : "name");
        strcat (records, record);
    }
    strcat (records, "]");
    char *json = s_document (records, "");
    fielderr_t err = {"", ""};
    assert_null (s_parse (json, &err));
    assert_string_equal (err.field, "records[17].customer.name");
    assert_string_equal (err.message, "missing field 'customer.name' used by "
                                      "template.elements[1].text");
    free (json);
}

static void
test_jobspec_reports_first_failing_record (void **state)
{
    (void)state;
    s_assert_document_rejects (
        "[{\"number\": 1, \"customer\": {\"name\": \"A\"}},"
        " {\"number\": 2, \"customer\": {}},"
        " {\"customer\": {\"name\": \"C\"}}]",
        "", "records[1].customer.name", "missing field 'customer.name'");
}

static void
test_jobspec_names_first_text_using_a_shared_field (void **state)
{
    (void)state;
    s_assert_rejects (
        "{\"version\": 1, \"template\": {\"elements\": ["
        "{\"type\": \"text\", \"text\": \"{{a}}\", \"x\": 0, \"y\": 0},"
        "{\"type\": \"text\", \"text\": \"{{b}}\", \"x\": 0, \"y\": 0},"
        "{\"type\": \"text\", \"text\": \"{{a}} {{b}}\", \"x\": 0, \"y\": 0}"
        "]}, \"records\": [{\"a\": 1}]}",
        "records[0].b", "missing field 'b' used by template.elements[1].text");
}

static void
test_jobspec_rejects_record_value_standard_fonts_cannot_draw (void **state)
{
    (void)state;
    s_assert_document_rejects ("[{\"number\": 1, \"customer\": {\"name\": "
                               "\"Ada\"}}, {\"number\": 2, \"customer\": "
                               "{\"name\": \"김민수\"}}]",
                               "", "records[1].customer.name",
                               "field 'customer.name' used by "
                               "template.elements[1].text contains '김' "
                               "(U+AE40)");
}

static void
test_jobspec_rejects_object_used_as_text (void **state)
{
    (void)state;
    s_assert_document_rejects (
        "[{\"number\": {\"v\": 1}, \"customer\": {\"name\": \"A\"}}]", "",
        "records[0].number",
        "is an object; expected a string, number or "
        "boolean");
}

static void
test_jobspec_rejects_infinite_number_anywhere_in_record (void **state)
{
    (void)state;
    s_assert_document_rejects ("[{\"number\": 1, \"customer\": {\"name\": "
                               "\"A\"}, \"unused\": {\"list\": [1, 1e999]}}]",
                               "", "records[0].unused.list[1]",
                               "is a number too large to represent");
}

static void
test_jobspec_ignores_unused_record_fields (void **state)
{
    (void)state;
    char *json = s_document ("[{\"number\": 1, \"customer\": {\"name\": "
                             "\"Ada\", \"note\": \"김\"}, \"extra\": [null, "
                             "{}, [], true]}]",
                             "");
    jobspec_t *jobspec = s_parse_ok (json);
    jobspec_destroy (&jobspec);
    free (json);
}

static void
test_jobspec_page_variables_need_no_record_field (void **state)
{
    (void)state;
    jobspec_t *jobspec = s_parse_ok (
        "{\"version\": 1, \"template\": {\"elements\": [{\"type\": \"text\", "
        "\"text\": \"Page {{page}} of {{pages}}\", \"x\": 297.64, \"y\": 30, "
        "\"align\": \"center\"}]}, \"records\": [{}, {}]}");
    assert_int_eq (jobspec_pages (jobspec), 2);
    jobspec_destroy (&jobspec);
}

static void
test_jobspec_template_json_parses_again_for_workers (void **state)
{
    (void)state;
    char *text =
        testfile_read (PROJECT_SOURCE_DIR "/docs/examples/hello.json", NULL);
    jobspec_t *jobspec = s_parse_ok (text);
    char *template_json = jobspec_template_json (jobspec);
    assert_non_null (template_json);
    assert_null (strchr (template_json, '\n'));
    fielderr_t err = {"", ""};
    template_t *template =
        template_parse_text (template_json, strlen (template_json), &err);
    if (!template)
        fail_msg ("%s: %s", err.field, err.message);
    const template_t *original = jobspec_template (jobspec);
    assert_int_eq (template_element_count (template),
                   template_element_count (original));
    assert_float_equal (template_page_height (template),
                        template_page_height (original), 0);
    assert_float_equal (template_element (template, 3)->x,
                        template_element (original, 3)->x, 0);
    template_destroy (&template);
    free (template_json);
    jobspec_destroy (&jobspec);
    free (text);
}

static void
test_jobspec_records_json_slices_compact_array (void **state)
{
    (void)state;
    jobspec_t *jobspec = s_parse_ok (
        "{\"version\": 1, \"template\": {\"elements\": []}, \"records\": "
        "[{\"n\": 1}, {\"n\": 2, \"s\": \"Zoë\"}, {\"n\": [3, {\"m\": "
        "null}]}]}");
    char *slice = jobspec_records_json (jobspec, 1, 2);
    assert_non_null (slice);
    assert_string_equal (slice,
                         "[{\"n\":2,\"s\":\"Zoë\"},{\"n\":[3,{\"m\":null}]}]");
    free (slice);
    slice = jobspec_records_json (jobspec, 0, 1);
    assert_string_equal (slice, "[{\"n\":1}]");
    free (slice);
    slice = jobspec_records_json (jobspec, 3, 0);
    assert_string_equal (slice, "[]");
    free (slice);
    jobspec_destroy (&jobspec);
}

static void
test_jobspec_records_json_keeps_numbers_exact (void **state)
{
    (void)state;
    jobspec_t *jobspec = s_parse_ok (
        "{\"version\": 1, \"template\": {\"elements\": []}, \"records\": "
        "[{\"id\": 9007199254740991, \"f\": 0.30000000000000004, \"g\": "
        "-1.5e300, \"h\": 100001.0}]}");
    char *slice = jobspec_records_json (jobspec, 0, 1);
    assert_string_equal (slice, "[{\"id\":9007199254740991,\"f\":0."
                                "30000000000000004,\"g\":-1.5e+300,\"h\":"
                                "100001}]");
    free (slice);
    jobspec_destroy (&jobspec);
}

static void
test_jobspec_records_json_escapes_strings (void **state)
{
    (void)state;
    jobspec_t *jobspec = s_parse_ok (
        "{\"version\": 1, \"template\": {\"elements\": []}, \"records\": "
        "[{\"q\\\"k\": \"a\\\"b\\\\c\\n\\u0001/é\"}]}");
    char *slice = jobspec_records_json (jobspec, 0, 1);
    assert_string_equal (slice, "[{\"q\\\"k\":\"a\\\"b\\\\c\\n\\u0001/é\"}]");
    cJSON *parsed = cJSON_Parse (slice);
    assert_non_null (parsed);
    assert_string_equal (cJSON_GetArrayItem (parsed, 0)->child->valuestring,
                         "a\"b\\c\n\001/é");
    cJSON_Delete (parsed);
    free (slice);
    jobspec_destroy (&jobspec);
}

static void
test_jobspec_records_json_rejects_range_outside_records (void **state)
{
    (void)state;
    jobspec_t *jobspec = s_parse_ok (
        "{\"version\": 1, \"template\": {\"elements\": []}, \"records\": "
        "[{}, {}, {}]}");
    assert_null (jobspec_records_json (jobspec, 3, 1));
    assert_null (jobspec_records_json (jobspec, 0, 4));
    assert_null (jobspec_records_json (jobspec, 2, UINT32_MAX));
    assert_null (jobspec_records_json (jobspec, UINT32_MAX, 1));
    jobspec_destroy (&jobspec);
}

static void
test_jobspec_destroy_twice_is_harmless (void **state)
{
    (void)state;
    jobspec_t *jobspec = s_parse_ok ("{\"version\": 1, \"template\": "
                                     "{\"elements\": []}, \"records\": [{}]}");
    jobspec_destroy (&jobspec);
    assert_null (jobspec);
    jobspec_destroy (&jobspec);
}

// ---------------------------------------------------------------------------
// Assets, computed values, TrueType fonts, the invoice example

#define S_PIXEL                                                                \
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChw"   \
    "GA60e6kgAAAABJRU5ErkJggg=="

#define S_IMAGE_TEMPLATE                                                       \
    "{\"elements\": [{\"type\": \"image\", \"asset\": \"logo\", \"x\": 0, "    \
    "\"y\": 0, \"width\": 10, \"height\": 10}]}"

static void
test_jobspec_ships_assets_with_the_template (void **state)
{
    (void)state;
    jobspec_t *jobspec = s_parse_ok (
        "{\"version\": 1, \"assets\": {\"logo\": {\"type\": \"png\", "
        "\"data\": \"" S_PIXEL "\"}}, \"template\": " S_IMAGE_TEMPLATE
        ", \"records\": [{}]}");
    char *text = jobspec_template_json (jobspec);
    assert_non_null (text);
    assert_string_equal (text,
                         "{\"template\":{\"elements\":[{\"type\":\"image\","
                         "\"asset\":\"logo\",\"x\":0,\"y\":0,\"width\":10,"
                         "\"height\":10}]},\"assets\":{\"logo\":{\"type\":"
                         "\"png\",\"data\":\"" S_PIXEL "\"}}}");
    fielderr_t err = {"", ""};
    template_t *template = template_parse_text (text, strlen (text), &err);
    assert_non_null (template);
    assert_int_eq (assets_count (template_assets (template)), 1);
    template_destroy (&template);
    free (text);
    jobspec_destroy (&jobspec);
}

static void
test_jobspec_rejects_a_corrupt_asset (void **state)
{
    (void)state;
    s_assert_rejects ("{\"version\": 1, \"assets\": {\"logo\": {\"type\": "
                      "\"png\", \"data\": \"iVBORw0KGgoAAAANSUhEUgAA\"}}, "
                      "\"template\": " S_IMAGE_TEMPLATE ", \"records\": [{}]}",
                      "assets.logo.data", "is not a valid PNG image");
    s_assert_rejects ("{\"version\": 1, \"template\": " S_IMAGE_TEMPLATE
                      ", \"records\": [{}]}",
                      "template.elements[0].asset", "no asset is named 'logo'");
}

#define S_SUM_TEMPLATE                                                         \
    "{\"elements\": [{\"type\": \"text\", \"text\": \"Total: {{sum(items, "    \
    "qty * price) | thousands}}\", \"x\": 0, \"y\": 0}]}"

static void
test_jobspec_checks_computed_values_in_every_record (void **state)
{
    (void)state;
    s_assert_rejects (
        "{\"version\": 1, \"template\": " S_SUM_TEMPLATE ", \"records\": ["
        "{\"items\": [{\"qty\": 1, \"price\": 2}]}, "
        "{\"items\": [{\"qty\": 1, \"price\": 2}, {\"qty\": \"one\", "
        "\"price\": 2}]}]}",
        "records[1].items[1].qty",
        "field 'qty' used by template.elements[0].text is \"one\" (string); "
        "'*' needs numbers");
    s_assert_rejects ("{\"version\": 1, \"template\": " S_SUM_TEMPLATE
                      ", \"records\": [{\"items\": [{\"qty\": 1}]}]}",
                      "records[0].items[0].price", "missing field 'price'");
}

static void
test_jobspec_rejects_a_character_the_truetype_font_lacks (void **state)
{
    (void)state;
    s_assert_rejects (
        "{\"version\": 1, \"template\": {\"fonts\": {\"korean\": {\"family\": "
        "\"NanumGothic\"}}, \"elements\": [{\"type\": \"text\", \"text\": "
        "\"{{name}}\", \"x\": 0, \"y\": 0, \"font\": \"korean\"}]}, "
        "\"records\": [{\"name\": \"김민수\"}, {\"name\": \"김 😀\"}]}",
        "records[1].name",
        "field 'name' used by template.elements[0].text contains '😀' "
        "(U+1F600), which the font 'korean' (NanumGothic) does not have");
}

static void
test_jobspec_writes_the_jobs_characters_into_its_truetype_fonts (void **state)
{
    (void)state;
    jobspec_t *jobspec = s_parse_ok (
        "{\"version\": 1, \"template\": {\"fonts\": {\"korean\": {\"family\": "
        "\"NanumGothic\", \"glyphs\": \"Z\"}}, \"elements\": [{\"type\": "
        "\"text\", \"text\": \"고객 {{name}}\", \"x\": 0, \"y\": 0, "
        "\"font\": \"korean\"}, {\"type\": \"text\", \"text\": \"{{page}} "
        "{{code}}\", \"x\": 0, \"y\": 20}]}, \"records\": [{\"name\": "
        "\"김민수\", \"code\": \"x\"}, {\"name\": \"수 B\", \"code\": "
        "\"y\"}]}");
    char *template_json = jobspec_template_json (jobspec);
    assert_non_null (template_json);
    //  Every character each record draws in the font, once each, in code
    //  point order, with the font's own; nothing of the Helvetica text.
    s_assert_contains (template_json,
                       "\"korean\":{\"family\":\"NanumGothic\",\"glyphs\":"
                       "\" BZ객고김민수\"}");
    fielderr_t err = {"", ""};
    template_t *template =
        template_parse_text (template_json, strlen (template_json), &err);
    assert_non_null (template);
    assert_string_equal (template_font (template, 0)->glyphs, " BZ객고김민수");
    template_destroy (&template);
    free (template_json);
    jobspec_destroy (&jobspec);
}

//  examples/invoice/template.json with records spliced in from the JSON
//  Lines file at path, as the CLI's --records does. Caller frees.
static char *
s_invoice_job (const char *path)
{
    char *template = testfile_read (
        PROJECT_SOURCE_DIR "/examples/invoice/template.json", NULL);
    char *lines = testfile_read (path, NULL);
    char *job = malloc (strlen (template) + strlen (lines) + 64);
    assert_non_null (job);
    char *end = strrchr (template, '}');
    assert_non_null (end);
    *end = '\0';
    strcpy (job, template);
    strcat (job, ", \"records\": [");
    for (char *line = strtok (lines, "\n"); line; line = strtok (NULL, "\n")) {
        strcat (job, line);
        strcat (job, ",");
    }
    strcpy (job + strlen (job) - 1, "]}");
    free (template);
    free (lines);
    return job;
}

static void
test_jobspec_parses_the_invoice_example (void **state)
{
    (void)state;
    char *job = s_invoice_job (TEST_SOURCE_DIR "/data/invoice-3.jsonl");
    jobspec_t *jobspec = s_parse_ok (job);
    assert_int_eq (jobspec_pages (jobspec), 3);
    const template_t *template = jobspec_template (jobspec);
    assert_int_eq (assets_count (template_assets (template)), 1);
    assert_int_equal (assets_image (template_assets (template), 0)->width, 256);
    jobspec_destroy (&jobspec);
    free (job);
}

static void
test_jobspec_refuses_a_nul_in_a_string (void **state)
{
    (void)state;
    //  cJSON would cut the value short at the NUL without a word.
    s_assert_document_rejects ("[{\"name\": \"Ada\\u0000 Lovelace\"}]", "", "",
                               "a string holds \\u0000 (NUL)");
    s_assert_document_rejects ("[{\"na\\u0000me\": \"Ada\"}]", "", "",
                               "a string holds \\u0000 (NUL)");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_jobspec_parses_minimal_document),
        cmocka_unit_test (test_jobspec_counts_one_page_per_record),
        cmocka_unit_test (test_jobspec_parses_hello_example),
        cmocka_unit_test (
            test_jobspec_parses_every_json_example_in_job_spec_doc),
        cmocka_unit_test (test_jobspec_rejects_empty_document),
        cmocka_unit_test (
            test_jobspec_reports_invalid_json_with_line_and_column),
        cmocka_unit_test (test_jobspec_rejects_deep_nesting_before_parsing),
        cmocka_unit_test (test_jobspec_refuses_a_nul_in_a_string),
        cmocka_unit_test (test_jobspec_rejects_document_that_is_not_an_object),
        cmocka_unit_test (test_jobspec_requires_version),
        cmocka_unit_test (test_jobspec_rejects_other_versions),
        cmocka_unit_test (test_jobspec_uses_given_chunk_pages),
        cmocka_unit_test (test_jobspec_priority),
        cmocka_unit_test (test_jobspec_rejects_fractional_chunk_pages),
        cmocka_unit_test (test_jobspec_rejects_chunk_pages_out_of_range),
        cmocka_unit_test (test_jobspec_rejects_unknown_top_level_field),
        cmocka_unit_test (test_jobspec_keeps_webhook_url),
        cmocka_unit_test (test_jobspec_rejects_bad_webhook),
        cmocka_unit_test (test_jobspec_keeps_output_and_checks_it),
        cmocka_unit_test (test_jobspec_rejects_duplicate_top_level_field),
        cmocka_unit_test (test_jobspec_requires_template),
        cmocka_unit_test (test_jobspec_reports_template_errors_with_their_path),
        cmocka_unit_test (test_jobspec_requires_records),
        cmocka_unit_test (test_jobspec_rejects_records_that_are_not_an_array),
        cmocka_unit_test (test_jobspec_rejects_empty_records),
        cmocka_unit_test (test_jobspec_rejects_record_that_is_not_an_object),
        cmocka_unit_test (test_jobspec_rejects_more_than_max_records),
        cmocka_unit_test (test_jobspec_reports_missing_field_in_record),
        cmocka_unit_test (test_jobspec_reports_first_failing_record),
        cmocka_unit_test (test_jobspec_names_first_text_using_a_shared_field),
        cmocka_unit_test (
            test_jobspec_rejects_record_value_standard_fonts_cannot_draw),
        cmocka_unit_test (test_jobspec_rejects_object_used_as_text),
        cmocka_unit_test (
            test_jobspec_rejects_infinite_number_anywhere_in_record),
        cmocka_unit_test (test_jobspec_ignores_unused_record_fields),
        cmocka_unit_test (test_jobspec_page_variables_need_no_record_field),
        cmocka_unit_test (test_jobspec_template_json_parses_again_for_workers),
        cmocka_unit_test (
            test_jobspec_writes_the_jobs_characters_into_its_truetype_fonts),
        cmocka_unit_test (test_jobspec_records_json_slices_compact_array),
        cmocka_unit_test (test_jobspec_records_json_keeps_numbers_exact),
        cmocka_unit_test (test_jobspec_records_json_escapes_strings),
        cmocka_unit_test (
            test_jobspec_records_json_rejects_range_outside_records),
        cmocka_unit_test (test_jobspec_destroy_twice_is_harmless),
        cmocka_unit_test (test_jobspec_ships_assets_with_the_template),
        cmocka_unit_test (test_jobspec_rejects_a_corrupt_asset),
        cmocka_unit_test (test_jobspec_checks_computed_values_in_every_record),
        cmocka_unit_test (
            test_jobspec_rejects_a_character_the_truetype_font_lacks),
        cmocka_unit_test (test_jobspec_parses_the_invoice_example),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
