/*  test_docstream - a JSON document split into members and elements as its
    bytes arrive.

    Each test reads a text into a transcript (one line per event, values
    printed by cJSON) fed whole, then fed one byte at a time: the two must
    be the same. Errors are checked against jsondoc_parse on the whole
    text, which they must match word for word (docstream ranks and places
    errors as it does), and against the messages the job document's tests
    rely on.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytebuf.h"
#include "docstream.h"
#include "jsondoc.h"

#define S_NESTING_MAX 64
#define S_MEMBERS_MAX 4096
#define S_ELEMENT_MAX 256

static void
s_describe (bytebuf_t *out, docstream_event_t event,
            const docstream_item_t *item, const docstream_t *reader)
{
    char *printed = item->value ? cJSON_PrintUnformatted (item->value) : NULL;
    char line[1024];
    switch (event) {
    case DOCSTREAM_MEMBER:
        snprintf (line, sizeof line, "member %s=%s\n", item->name, printed);
        break;
    case DOCSTREAM_ARRAY:
        snprintf (line, sizeof line, "array %s\n", item->name);
        break;
    case DOCSTREAM_ELEMENT:
        snprintf (line, sizeof line, "element %zu=%s\n", item->index, printed);
        break;
    case DOCSTREAM_VALUE:
        snprintf (line, sizeof line, "value %s\n", printed);
        break;
    case DOCSTREAM_END:
        snprintf (line, sizeof line, "end\n");
        break;
    case DOCSTREAM_FAILED:
        snprintf (line, sizeof line, "failed %s: %s\n",
                  docstream_error (reader)->field,
                  docstream_error (reader)->message);
        break;
    default:
        line[0] = '\0';
    }
    free (printed);
    cJSON_Delete (item->value);
    bytebuf_append_str (out, line);
}

//  Drain the reader's events into out; true once it has ended or failed.
static bool
s_drain (docstream_t *reader, bytebuf_t *out)
{
    while (true) {
        docstream_item_t item;
        docstream_event_t event = docstream_next (reader, &item);
        if (event == DOCSTREAM_MORE)
            return false;
        s_describe (out, event, &item, reader);
        if (event == DOCSTREAM_END || event == DOCSTREAM_FAILED)
            return true;
    }
}

//  The transcript of text (size bytes) fed in pieces of piece bytes (0:
//  whole). Caller frees.
static char *
s_transcript (const char *text, size_t size, size_t piece)
{
    docstream_config_t config = {"records", S_NESTING_MAX, S_MEMBERS_MAX,
                                 S_ELEMENT_MAX};
    docstream_t *reader = docstream_new (&config);
    assert_non_null (reader);
    bytebuf_t out = {0};
    bool over = false;
    size_t at = 0;
    while (at < size && !over) {
        size_t length = piece && piece < size - at ? piece : size - at;
        assert_int_equal (docstream_feed (reader, text + at, length), 0);
        at += length;
        over = s_drain (reader, &out);
    }
    if (!over) {
        docstream_feed_end (reader);
        assert_true (s_drain (reader, &out));
    }
    docstream_destroy (&reader);
    char *transcript = bytebuf_detach (&out);
    assert_non_null (transcript);
    return transcript;
}

//  The transcript of text, checked to be the same fed whole and byte by
//  byte. Caller frees.
static char *
s_read (const char *text, size_t size)
{
    char *whole = s_transcript (text, size, 0);
    char *bytes = s_transcript (text, size, 1);
    if (strcmp (whole, bytes) != 0)
        fail_msg ("fed whole:\n%s\nfed byte by byte:\n%s", whole, bytes);
    free (bytes);
    return whole;
}

static void
s_assert_reads (const char *text, const char *expected)
{
    char *transcript = s_read (text, strlen (text));
    assert_string_equal (transcript, expected);
    free (transcript);
}

//  text must fail with jsondoc_parse's own error for the whole text.
static void
s_assert_fails_like_jsondoc (const char *text, size_t size)
{
    fielderr_t err = {"", ""};
    cJSON *root = jsondoc_parse (text, size, S_NESTING_MAX, &err);
    if (root)
        fail_msg ("jsondoc_parse accepts '%.*s'", (int)size, text);
    char expected[2048];
    snprintf (expected, sizeof expected, "failed %s: %s\n", err.field,
              err.message);
    char *transcript = s_read (text, size);
    const char *failed = strstr (transcript, "failed ");
    if (!failed || strcmp (failed, expected) != 0)
        fail_msg ("'%.*s': expected %sgot %s", (int)size, text, expected,
                  transcript);
    free (transcript);
}

static void
test_members_and_elements_come_in_order (void **state)
{
    (void)state;
    s_assert_reads ("{\"version\": 1, \"records\": [{\"a\": 1}, [2], \"x\"],"
                    " \"template\": {\"elements\": []}}",
                    "member version=1\n"
                    "array records\n"
                    "element 0={\"a\":1}\n"
                    "element 1=[2]\n"
                    "element 2=\"x\"\n"
                    "member template={\"elements\":[]}\n"
                    "end\n");
}

static void
test_values_are_read_as_cjson_reads_them (void **state)
{
    (void)state;
    s_assert_reads ("\xEF\xBB\xBF { \"s\" : \"a\\\"b\\\\\" ,\n\"n\":-1.5e2,"
                    "\"t\":true,\"z\":null,\"o\":{\"k\":[1,{\"]\":\"}\"}]}}",
                    "member s=\"a\\\"b\\\\\"\n"
                    "member n=-150\n"
                    "member t=true\n"
                    "member z=null\n"
                    "member o={\"k\":[1,{\"]\":\"}\"}]}\n"
                    "end\n");
}

static void
test_escaped_name_of_the_split_member_is_split (void **state)
{
    (void)state;
    s_assert_reads ("{\"rec\\u006frds\": [{}], \"records\": []}",
                    "array records\nelement 0={}\narray records\nend\n");
}

static void
test_split_member_that_is_no_array_is_a_member (void **state)
{
    (void)state;
    s_assert_reads ("{\"records\": \"s3://b/k.jsonl\"}",
                    "member records=\"s3://b/k.jsonl\"\nend\n");
    s_assert_reads ("{\"records\": {\"a\": [1]}}",
                    "member records={\"a\":[1]}\nend\n");
}

static void
test_document_that_is_not_an_object_is_one_value (void **state)
{
    (void)state;
    s_assert_reads ("[1, 2]", "value [1,2]\nend\n");
    s_assert_reads (" 42 \n", "value 42\nend\n");
    s_assert_reads ("\"x\"", "value \"x\"\nend\n");
}

static void
test_empty_object_and_array_end_cleanly (void **state)
{
    (void)state;
    s_assert_reads ("{}", "end\n");
    s_assert_reads ("{\"records\": [ ]}", "array records\nend\n");
}

static void
test_broken_documents_fail_as_jsondoc_says (void **state)
{
    (void)state;
    const char *texts[] = {
        "",
        "  \n\t",
        "{\n  \"version\": 1,\n  \"records\" [\n}",
        "{\"version\": 1,",
        "{",
        "[1, 2",
        "nul",
        "{'version': 1}",
        "{/* x */ \"version\": 1}",
        "{\"version\": NaN}",
        "{\"version\": \"\\ud800\"}",
        "{\"a\": 1} x",
        "{\"a\": 1}{\"a\": 1}",
        "{\"a\": 1 \"b\": 2}",
        "{\"a\": }",
        "{\"a\":1,}",
        "{\"records\": [1,]}",
        "{\"records\": [1 2]}",
        "{\"records\": [{\"a\": [1, 2}]}",
        "{\"records\": [{\"a\" 1}]}",
        "{\"records\": [1.5e]}",
        "{\"records\": [tru]}",
        "{\"records\": [\"abc",
        "{\"records\": [{\"a\": 1",
        "{\"a\": 1",
        "{\"a\": \"\\x\"}",
        "{\"a\" : [1 , 2 }",
        "{1: 2}",
        "\xEF",
        "\xEF\xBB",
        "\xEF\xBB\xBF",
        "\xEF{}",
        "{\"records\": [[[[",
        "[]]",
        "{\"a\": [1]]}",
        "{\"é\": 1,\n \"ü\": ]}",
    };
    for (size_t index = 0; index < sizeof texts / sizeof texts[0]; index++)
        s_assert_fails_like_jsondoc (texts[index], strlen (texts[index]));
}

static void
test_nesting_too_deep_outranks_an_earlier_error (void **state)
{
    (void)state;
    size_t depth = 100000;
    char *text = malloc (depth * 2 + 32);
    assert_non_null (text);
    strcpy (text, "{\"a\" 1, \"records\": ");
    size_t used = strlen (text);
    memset (text + used, '[', depth);
    memset (text + used + depth, ']', depth);
    text[used + 2 * depth] = '\0';
    s_assert_fails_like_jsondoc (text, strlen (text));
    char *transcript = s_read (text, strlen (text));
    assert_string_equal (transcript, "failed : nested deeper than 64 levels\n");
    free (transcript);
    free (text);
}

static void
test_nesting_is_reported_before_the_text_ends (void **state)
{
    (void)state;
    docstream_config_t config = {"records", 3, S_MEMBERS_MAX, S_ELEMENT_MAX};
    docstream_t *reader = docstream_new (&config);
    const char *text = "{\"records\": [[[";
    assert_int_equal (docstream_feed (reader, text, strlen (text)), 0);
    docstream_item_t item;
    assert_int_equal (docstream_next (reader, &item), DOCSTREAM_ARRAY);
    assert_int_equal (docstream_next (reader, &item), DOCSTREAM_FAILED);
    assert_string_equal (docstream_error (reader)->message,
                         "nested deeper than 3 levels");
    docstream_destroy (&reader);
}

static void
test_control_character_outranks_an_earlier_syntax_error (void **state)
{
    (void)state;
    s_assert_reads ("{\"a\" 1, \"b\": \"x\x01y\"}",
                    "failed : not valid JSON near line 1 column 16: control "
                    "character U+0001 is not allowed there\n");
    const char nul[] = "{\"version\": 1\x00}";
    char *transcript = s_read (nul, sizeof nul - 1);
    assert_string_equal (transcript,
                         "member version=1\n"
                         "failed : not valid JSON near line 1 column 14: "
                         "control character U+0000 is not allowed there\n");
    free (transcript);
}

static void
test_elements_and_members_are_held_to_their_limits (void **state)
{
    (void)state;
    char text[2 * S_MEMBERS_MAX];
    snprintf (text, sizeof text, "{\"records\": [{}, \"%0*d\"]}", S_ELEMENT_MAX,
              7);
    s_assert_reads (text, "array records\nelement 0={}\nfailed records[1]: "
                          "is larger than 256 bytes, the most one element "
                          "of \"records\" may hold\n");
    snprintf (text, sizeof text, "{\"version\": 1, \"template\": \"%0*d\"}",
              S_MEMBERS_MAX, 7);
    s_assert_reads (text, "member version=1\nfailed template: makes the "
                          "members of the document other than \"records\" "
                          "larger than 4096 bytes together\n");
    //  The split array itself is not a member: it may be any size.
    bytebuf_t many = {0};
    bytebuf_append_str (&many, "{\"records\": [");
    for (int index = 0; index < 1000; index++)
        bytebuf_append_str (&many, index ? ",{\"n\": 12345}" : "{}");
    bytebuf_append_str (&many, "]}");
    char *transcript = s_transcript (many.data, many.size, 0);
    assert_non_null (strstr (transcript, "element 999={\"n\":12345}\nend\n"));
    free (transcript);
    bytebuf_free (&many);
}

//  A column counts characters, also across the runs of a string's bytes
//  that are scanned at once, and whatever pieces the text comes in.
static void
test_columns_count_characters_inside_strings (void **state)
{
    (void)state;
    s_assert_reads ("{\"records\": [{\"n\": \"h\xc3\xa9llo \xe2\x82\xac\"} x]}",
                    "array records\nelement 0={\"n\":\"h\xc3\xa9llo "
                    "\xe2\x82\xac\"}\nfailed : not valid JSON near line 1 "
                    "column 31\n");
    s_assert_reads ("{\"records\": [{\"n\": \"a\\\"\xc3\xa9\"}\n  x]}",
                    "array records\nelement 0={\"n\":\"a\\\"\xc3\xa9\"}\n"
                    "failed : not valid JSON near line 2 column 3\n");
}

static void
test_error_outranked_by_nothing_later_is_given_at_the_end (void **state)
{
    (void)state;
    docstream_config_t config = {"records", S_NESTING_MAX, S_MEMBERS_MAX,
                                 S_ELEMENT_MAX};
    docstream_t *reader = docstream_new (&config);
    const char *text = "{\"a\" 1";
    assert_int_equal (docstream_feed (reader, text, strlen (text)), 0);
    docstream_item_t item;
    assert_int_equal (docstream_next (reader, &item), DOCSTREAM_MORE);
    docstream_feed_end (reader);
    assert_int_equal (docstream_next (reader, &item), DOCSTREAM_FAILED);
    assert_int_equal (docstream_next (reader, &item), DOCSTREAM_FAILED);
    assert_string_equal (docstream_error (reader)->message,
                         "not valid JSON near line 1 column 6");
    docstream_destroy (&reader);
    docstream_destroy (&reader);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_members_and_elements_come_in_order),
        cmocka_unit_test (test_values_are_read_as_cjson_reads_them),
        cmocka_unit_test (test_escaped_name_of_the_split_member_is_split),
        cmocka_unit_test (test_split_member_that_is_no_array_is_a_member),
        cmocka_unit_test (test_document_that_is_not_an_object_is_one_value),
        cmocka_unit_test (test_empty_object_and_array_end_cleanly),
        cmocka_unit_test (test_broken_documents_fail_as_jsondoc_says),
        cmocka_unit_test (test_nesting_too_deep_outranks_an_earlier_error),
        cmocka_unit_test (test_nesting_is_reported_before_the_text_ends),
        cmocka_unit_test (
            test_control_character_outranks_an_earlier_syntax_error),
        cmocka_unit_test (test_elements_and_members_are_held_to_their_limits),
        cmocka_unit_test (
            test_error_outranked_by_nothing_later_is_given_at_the_end),
        cmocka_unit_test (test_columns_count_characters_inside_strings),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
