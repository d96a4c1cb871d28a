/*  test_jobreader - a job document read and checked as it arrives, its
    records handed to a sink one at a time.

    The sink here keeps what it is given in memory and counts its calls,
    so the tests see when each record arrives and how records are read
    back. What the document's rules say (and their messages) is
    test_jobspec's; these tests are about reading in pieces: records
    leave before the document is complete, members may come in any order
    and still get the error the whole document gets, and records from a
    URL go the same way.

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
#include "jobreader.h"
#include "testassert.h"

#define S_TEMPLATE                                                             \
    "{\"elements\": [{\"type\": \"text\", \"text\": \"{{name}} "               \
    "{{page}}/{{pages}}\", \"x\": 10, \"y\": 10}]}"

typedef struct {
    bytebuf_t lines; // each record and '\n'
    size_t appended;
    size_t read_offset;
    uint32_t chunk_pages; // as rewind was told
    bool rewound;
    bool fail_append;
    char line[4096];
} s_sink_t;

static int
s_append (void *arg, const char *json, size_t size)
{
    s_sink_t *sink = arg;
    if (sink->fail_append)
        return -1;
    assert_null (memchr (json, '\n', size));
    bytebuf_append (&sink->lines, json, size);
    bytebuf_append (&sink->lines, "\n", 1);
    sink->appended++;
    return 0;
}

static int
s_rewind (void *arg, uint32_t chunk_pages)
{
    s_sink_t *sink = arg;
    sink->rewound = true;
    sink->chunk_pages = chunk_pages;
    sink->read_offset = 0;
    return 0;
}

static int
s_next (void *arg, const char **json_p, size_t *size_p)
{
    s_sink_t *sink = arg;
    if (sink->read_offset >= sink->lines.size)
        return 0;
    const char *start = sink->lines.data + sink->read_offset;
    const char *end = strchr (start, '\n');
    size_t size = (size_t)(end - start);
    memcpy (sink->line, start, size);
    sink->line[size] = '\0';
    sink->read_offset += size + 1;
    *json_p = sink->line;
    *size_p = size;
    return 1;
}

static const jobreader_sink_t s_sink_calls = {s_append, s_rewind, s_next};

//  Read text fed in pieces of piece bytes; the job, or NULL with err.
static jobspec_t *
s_read (const char *text, size_t piece, s_sink_t *sink, fielderr_t *err)
{
    jobreader_t *reader = jobreader_new (&s_sink_calls, sink);
    assert_non_null (reader);
    size_t size = strlen (text);
    int rc = 0;
    for (size_t at = 0; at < size && rc == 0; at += piece)
        rc = jobreader_feed (reader, text + at,
                             piece < size - at ? piece : size - at);
    jobspec_t *spec = NULL;
    if (rc == 0 && jobreader_feed_end (reader) == 0)
        spec = jobreader_finish (reader);
    *err = *jobreader_error (reader);
    jobreader_destroy (&reader);
    return spec;
}

static void
s_assert_refused (const char *text, const char *field, const char *message)
{
    for (size_t piece = 1; piece <= strlen (text); piece *= 7) {
        s_sink_t sink = {0};
        fielderr_t err;
        jobspec_t *spec = s_read (text, piece, &sink, &err);
        if (spec)
            fail_msg ("accepted; expected %s: %s", field, message);
        assert_string_equal (err.field, field);
        if (!strstr (err.message, message))
            fail_msg ("'%s' lacks '%s'", err.message, message);
        bytebuf_free (&sink.lines);
    }
}

static void
test_records_leave_before_the_document_ends (void **state)
{
    (void)state;
    s_sink_t sink = {0};
    jobreader_t *reader = jobreader_new (&s_sink_calls, &sink);
    const char *head = "{\"version\": 1, \"template\": " S_TEMPLATE
                       ", \"records\": [{\"name\": \"a\"}, {\"name\": ";
    assert_int_equal (jobreader_feed (reader, head, strlen (head)), 0);
    assert_size_eq (sink.appended, 1);
    assert_size_eq (jobreader_records (reader), 1);
    const char *rest = "\"b\", \"n\": 1.50}]}";
    assert_int_equal (jobreader_feed (reader, rest, strlen (rest)), 0);
    assert_size_eq (sink.appended, 2);
    assert_int_equal (jobreader_feed_end (reader), 0);
    assert_null (jobreader_records_url (reader));
    jobspec_t *spec = jobreader_finish (reader);
    assert_non_null (spec);
    assert_int_eq (jobspec_pages (spec), 2);
    assert_true (sink.rewound);
    assert_int_eq (sink.chunk_pages, JOBSPEC_CHUNK_PAGES_DEFAULT);
    assert_string_equal (sink.lines.data,
                         "{\"name\":\"a\"}\n{\"name\":\"b\",\"n\":1.5}\n");
    jobspec_destroy (&spec);
    jobreader_destroy (&reader);
    bytebuf_free (&sink.lines);
}

static void
test_records_before_the_template_are_checked_against_it (void **state)
{
    (void)state;
    s_sink_t sink = {0};
    fielderr_t err;
    jobspec_t *spec = s_read ("{\"records\": [{\"name\": \"a\"}, {\"name\": "
                              "\"b\"}], \"chunk_pages\": 1, \"version\": 1, "
                              "\"template\": " S_TEMPLATE "}",
                              5, &sink, &err);
    if (!spec)
        fail_msg ("refused: %s: %s", err.field, err.message);
    assert_int_eq (jobspec_pages (spec), 2);
    assert_int_eq (sink.chunk_pages, 1);
    jobspec_destroy (&spec);
    bytebuf_free (&sink.lines);
    s_assert_refused ("{\"records\": [{\"name\": \"a\"}, {\"nam\": \"b\"}], "
                      "\"version\": 1, \"template\": " S_TEMPLATE "}",
                      "records[1].name", "missing field 'name'");
}

static void
test_errors_rank_as_in_the_whole_document (void **state)
{
    (void)state;
    //  A record error is found first, but the document's own rank first.
    s_assert_refused ("{\"records\": [\"x\"], \"version\": 2, \"template\": "
                      "{\"elements\": []}}",
                      "version", "must be 1");
    s_assert_refused ("{\"records\": [\"x\"], \"version\": 1, \"colour\": 1, "
                      "\"template\": {\"elements\": []}}",
                      "colour", "unknown field 'colour'");
    //  And JSON errors outrank everything, wherever they are.
    s_assert_refused ("{\"records\": [\"x\"], \"version\": 2, \"template\": "
                      "{\"elements\": []}} x",
                      "", "text after the end of the document");
    //  Not an object outranks bad values, even in an earlier record.
    s_assert_refused ("{\"version\": 1, \"template\": {\"elements\": []}, "
                      "\"records\": [{\"n\": 1e999}, {}, 7]}",
                      "records[2]", "must be an object, got 7 (number)");
    //  Bad values rank with the template's checks, record by record.
    s_assert_refused ("{\"version\": 1, \"template\": " S_TEMPLATE
                      ", \"records\": [{\"name\": \"a\"}, {}, "
                      "{\"name\": 1e999}]}",
                      "records[1].name", "missing field 'name'");
    s_assert_refused ("{\"version\": 1, \"template\": " S_TEMPLATE
                      ", \"records\": [{\"name\": \"a\"}, {\"name\": 1e999}, "
                      "{}]}",
                      "records[1].name", "too large to represent");
}

static void
test_nothing_follows_a_field_error_into_the_sink (void **state)
{
    (void)state;
    s_sink_t sink = {0};
    fielderr_t err;
    assert_null (s_read ("{\"version\": 1, \"version\": 1, \"records\": [{}, "
                         "{}]}",
                         1024, &sink, &err));
    assert_string_equal (err.field, "version");
    assert_size_eq (sink.appended, 0);
    bytebuf_free (&sink.lines);
}

static void
test_records_from_a_url_are_added_after_the_end (void **state)
{
    (void)state;
    s_sink_t sink = {0};
    jobreader_t *reader = jobreader_new (&s_sink_calls, &sink);
    const char *text = "{\"version\": 1, \"records\": \"s3://b/r.jsonl\", "
                       "\"template\": " S_TEMPLATE "}";
    assert_int_equal (jobreader_feed (reader, text, strlen (text)), 0);
    assert_int_equal (jobreader_feed_end (reader), 0);
    assert_string_equal (jobreader_records_url (reader), "s3://b/r.jsonl");
    assert_null (jobreader_assets (reader));
    const char *record = "{\"name\": \"x\", \"id\": 9007199254740991}";
    for (int index = 0; index < 3; index++)
        assert_int_equal (
            jobreader_add_record (reader, record, strlen (record)), 0);
    jobspec_t *spec = jobreader_finish (reader);
    assert_non_null (spec);
    assert_int_eq (jobspec_pages (spec), 3);
    assert_string_equal (sink.lines.data,
                         "{\"name\":\"x\",\"id\":9007199254740991}\n"
                         "{\"name\":\"x\",\"id\":9007199254740991}\n"
                         "{\"name\":\"x\",\"id\":9007199254740991}\n");
    jobspec_destroy (&spec);
    jobreader_destroy (&reader);
    bytebuf_free (&sink.lines);
}

static void
test_a_url_that_is_never_fetched_is_no_array (void **state)
{
    (void)state;
    s_assert_refused ("{\"version\": 1, \"records\": \"s3://b/r.jsonl\", "
                      "\"template\": " S_TEMPLATE "}",
                      "records",
                      "must be an array of objects, one per page, got "
                      "\"s3://b/r.jsonl\" (string)");
}

static void
test_a_failing_sink_fails_the_reader_at_once (void **state)
{
    (void)state;
    s_sink_t sink = {.fail_append = true};
    jobreader_t *reader = jobreader_new (&s_sink_calls, &sink);
    const char *text = "{\"records\": [{}, ";
    assert_int_equal (jobreader_feed (reader, text, strlen (text)), -1);
    assert_string_equal (jobreader_error (reader)->message,
                         "the records could not be stored");
    assert_int_equal (jobreader_feed (reader, "{}", 2), -1);
    jobreader_destroy (&reader);
}

//  A preview of page 2 checks and keeps records 1 and 2; the third, which
//  the template would refuse, is only counted.
static void
test_records_past_the_max_are_only_counted (void **state)
{
    (void)state;
    s_sink_t sink = {0};
    jobreader_t *reader = jobreader_new (&s_sink_calls, &sink);
    jobreader_set_records_max (reader, 2);
    const char *text = "{\"version\": 1, \"template\": " S_TEMPLATE
                       ", \"records\": [{\"name\": \"a\"}, {\"name\": "
                       "\"b\"}, {\"nam\": \"c\"}]}";
    assert_int_equal (jobreader_feed (reader, text, strlen (text)), 0);
    assert_int_equal (jobreader_feed_end (reader), 0);
    jobspec_t *spec = jobreader_finish (reader);
    if (!spec)
        fail_msg ("refused: %s: %s", jobreader_error (reader)->field,
                  jobreader_error (reader)->message);
    assert_int_eq (jobspec_pages (spec), 3);
    assert_size_eq (sink.appended, 2);
    assert_string_equal (sink.lines.data,
                         "{\"name\":\"a\"}\n{\"name\":\"b\"}\n");
    jobspec_destroy (&spec);
    jobreader_destroy (&reader);
    bytebuf_free (&sink.lines);
}

static void
test_too_deep_fails_the_reader_at_once (void **state)
{
    (void)state;
    s_sink_t sink = {0};
    jobreader_t *reader = jobreader_new (&s_sink_calls, &sink);
    char text[256] = "{\"records\": [";
    memset (text + strlen (text), '[', 100);
    assert_int_equal (jobreader_feed (reader, text, strlen (text)), -1);
    assert_string_equal (jobreader_error (reader)->message,
                         "nested deeper than 64 levels");
    jobreader_destroy (&reader);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_records_leave_before_the_document_ends),
        cmocka_unit_test (
            test_records_before_the_template_are_checked_against_it),
        cmocka_unit_test (test_errors_rank_as_in_the_whole_document),
        cmocka_unit_test (test_nothing_follows_a_field_error_into_the_sink),
        cmocka_unit_test (test_records_from_a_url_are_added_after_the_end),
        cmocka_unit_test (test_a_url_that_is_never_fetched_is_no_array),
        cmocka_unit_test (test_a_failing_sink_fails_the_reader_at_once),
        cmocka_unit_test (test_too_deep_fails_the_reader_at_once),
        cmocka_unit_test (test_records_past_the_max_are_only_counted),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
