/*  test_jobbody - the body of a submission with records from a file.

    Builds bodies from a job document and a records file in memory, reads
    them out in pieces of various sizes, and checks the text is the job
    document with the records spliced in, that cJSON reads it, and that
    the job document's faults are found before anything is produced.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "jobbody.h"
#include "jobspec.h"

#define S_BODY_MAX 65536 // bytes a test body may have

typedef struct {
    FILE *file;
    jobbody_t *body;
} s_fixture_t;

static records_t *
s_records_new (FILE *file, const char *name, records_format_t format)
{
    records_t *records = records_new (file, name, format);
    assert_non_null (records);
    return records;
}

static s_fixture_t
s_fixture_new (const char *job, const char *records_text,
               records_format_t format)
{
    s_fixture_t fixture;
    fixture.file = fmemopen ((void *)records_text, strlen (records_text), "rb");
    assert_non_null (fixture.file);
    records_t *records = s_records_new (fixture.file, "r.data", format);
    char reason[JOBBODY_REASON_MAX] = "";
    fixture.body = jobbody_new (job, strlen (job), "job.json", &records, reason,
                                sizeof reason);
    if (!fixture.body)
        fail_msg ("jobbody_new failed: %s", reason);
    assert_null (records);
    return fixture;
}

static void
s_fixture_destroy (s_fixture_t *fixture)
{
    jobbody_destroy (&fixture->body);
    fclose (fixture->file);
}

//  The whole body, read piece_size bytes at a time; NULL when a read
//  fails.
static char *
s_read_all (jobbody_t *body, size_t piece_size)
{
    static char text[S_BODY_MAX];
    size_t size = 0;
    while (true) {
        assert_true (size + piece_size < sizeof text);
        ssize_t bytes = jobbody_read (body, text + size, piece_size);
        if (bytes < 0)
            return NULL;
        if (bytes == 0)
            break;
        size += (size_t)bytes;
    }
    text[size] = '\0';
    return text;
}

static void
test_records_are_spliced_into_the_document (void **state)
{
    (void)state;
    s_fixture_t fixture =
        s_fixture_new ("{\"version\": 1, \"template\": {}}\n\n",
                       "{\"n\":1}\n{\"n\":2}\n", RECORDS_FORMAT_JSONL);
    assert_string_equal (s_read_all (fixture.body, 4096),
                         "{\"version\": 1, \"template\": {},\"records\":["
                         "{\"n\":1},{\"n\":2}]}");
    assert_int_equal (jobbody_records (fixture.body), 2);
    assert_int_equal (jobbody_read (fixture.body, (char[8]){0}, 8), 0);
    assert_string_equal (jobbody_error (fixture.body), "");
    s_fixture_destroy (&fixture);
}

static void
test_empty_document_gets_records_without_comma (void **state)
{
    (void)state;
    s_fixture_t fixture =
        s_fixture_new ("{ }", "{\"n\":1}\n", RECORDS_FORMAT_JSONL);
    assert_string_equal (s_read_all (fixture.body, 4096),
                         "{ \"records\":[{\"n\":1}]}");
    s_fixture_destroy (&fixture);
}

static void
test_one_byte_reads_give_the_same_body (void **state)
{
    (void)state;
    const char *job = "\xEF\xBB\xBF{\"version\":1,\"template\":{\"a\":[1]}}";
    const char *records = "name,city.name\nAda,London\n김민수,서울\n";
    s_fixture_t whole = s_fixture_new (job, records, RECORDS_FORMAT_CSV);
    char *expected = strdup (s_read_all (whole.body, 4096));
    s_fixture_t bytewise = s_fixture_new (job, records, RECORDS_FORMAT_CSV);
    assert_string_equal (s_read_all (bytewise.body, 1), expected);
    cJSON *document = cJSON_Parse (expected + 3);
    assert_non_null (document);
    cJSON *rows = cJSON_GetObjectItemCaseSensitive (document, "records");
    assert_int_equal (cJSON_GetArraySize (rows), 2);
    cJSON *city =
        cJSON_GetObjectItemCaseSensitive (cJSON_GetArrayItem (rows, 1), "city");
    assert_string_equal (
        cJSON_GetObjectItemCaseSensitive (city, "name")->valuestring, "서울");
    cJSON_Delete (document);
    free (expected);
    s_fixture_destroy (&whole);
    s_fixture_destroy (&bytewise);
}

static void
test_bad_record_fails_the_read (void **state)
{
    (void)state;
    s_fixture_t fixture =
        s_fixture_new ("{\"version\":1}", "{\"n\":1}\n{\"n\":\n{\"n\":3}\n",
                       RECORDS_FORMAT_JSONL);
    assert_null (s_read_all (fixture.body, 4096));
    assert_string_equal (jobbody_error (fixture.body),
                         "r.data line 2: not valid JSON at column 6 (the line "
                         "ends too soon)");
    assert_int_equal (jobbody_read (fixture.body, (char[8]){0}, 8), -1);
    s_fixture_destroy (&fixture);
}

static void
test_no_records_fails_the_read (void **state)
{
    (void)state;
    s_fixture_t fixture =
        s_fixture_new ("{\"version\":1}", "a,b\n", RECORDS_FORMAT_CSV);
    assert_null (s_read_all (fixture.body, 4096));
    assert_string_equal (jobbody_error (fixture.body),
                         "r.data holds no records; a job needs at least one");
    s_fixture_destroy (&fixture);
}

//  Builds and returns the reason jobbody_new gives for job.
static const char *
s_rejection (const char *job)
{
    static char reason[JOBBODY_REASON_MAX];
    FILE *file = fmemopen ((void *)"{}\n", 3, "rb");
    assert_non_null (file);
    records_t *records = s_records_new (file, "r.jsonl", RECORDS_FORMAT_JSONL);
    jobbody_t *body = jobbody_new (job, strlen (job), "job.json", &records,
                                   reason, sizeof reason);
    assert_null (body);
    assert_null (records);
    fclose (file);
    return reason;
}

static void
test_document_with_records_is_refused (void **state)
{
    (void)state;
    assert_string_equal (
        s_rejection ("{\"version\":1,\"records\":[{\"n\":1}]}"),
        "job.json already has records; drop them or drop --records");
}

static void
test_document_that_is_not_an_object_is_refused (void **state)
{
    (void)state;
    assert_string_equal (s_rejection ("[1]"),
                         "job.json: a job document must be a JSON object, got "
                         "an array");
    assert_string_equal (s_rejection ("{\"version\":1,\n\"template\":}"),
                         "job.json: not valid JSON near line 2 column 12");
    assert_string_equal (s_rejection (""), "job.json: empty document");
}

static void
test_more_records_than_a_job_may_have_fail (void **state)
{
    (void)state;
    //  The limit is checked as records go by, so the upload stops there
    //  instead of sending gigabytes for the server to refuse.
    size_t count = JOBSPEC_RECORDS_MAX + 1;
    size_t size = count * 3;
    char *text = malloc (size);
    assert_non_null (text);
    for (size_t index = 0; index < count; index++)
        memcpy (text + index * 3, "{}\n", 3);
    FILE *file = fmemopen (text, size, "rb");
    assert_non_null (file);
    records_t *records =
        s_records_new (file, "many.jsonl", RECORDS_FORMAT_JSONL);
    char reason[JOBBODY_REASON_MAX];
    jobbody_t *body =
        jobbody_new ("{}", 2, "job.json", &records, reason, sizeof reason);
    assert_non_null (body);
    char piece[65536];
    ssize_t bytes = 0;
    do
        bytes = jobbody_read (body, piece, sizeof piece);
    while (bytes > 0);
    assert_int_equal (bytes, -1);
    char expected[JOBBODY_REASON_MAX];
    snprintf (expected, sizeof expected,
              "many.jsonl holds more than %d records, the most one job may "
              "have",
              JOBSPEC_RECORDS_MAX);
    assert_string_equal (jobbody_error (body), expected);
    jobbody_destroy (&body);
    fclose (file);
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_records_are_spliced_into_the_document),
        cmocka_unit_test (test_empty_document_gets_records_without_comma),
        cmocka_unit_test (test_one_byte_reads_give_the_same_body),
        cmocka_unit_test (test_bad_record_fails_the_read),
        cmocka_unit_test (test_no_records_fails_the_read),
        cmocka_unit_test (test_document_with_records_is_refused),
        cmocka_unit_test (test_document_that_is_not_an_object_is_refused),
        cmocka_unit_test (test_more_records_than_a_job_may_have_fail),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
