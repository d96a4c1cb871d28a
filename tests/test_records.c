/*  test_records - records from JSON Lines and CSV, as JSON text.

    Each test reads a records file from a memory stream and checks the JSON
    text of each record, or the error with the file's name and line. The
    fed reader is checked against the stream reader: the same file, split
    into pieces at every byte, must give the same records and errors.

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

#include "records.h"

typedef struct {
    FILE *file;
    records_t *records;
} s_reader_t;

static s_reader_t
s_reader_new (const char *text, size_t size, const char *name,
              records_format_t format)
{
    s_reader_t reader;
    //  fmemopen of an empty buffer fails; a blank one does not.
    reader.file = size || *text ? fmemopen ((void *)text,
                                            size ? size : strlen (text), "rb")
                                : fopen ("/dev/null", "rb");
    assert_non_null (reader.file);
    reader.records = records_new (reader.file, name, format);
    assert_non_null (reader.records);
    return reader;
}

static s_reader_t
s_jsonl (const char *text)
{
    return s_reader_new (text, 0, "records.jsonl", RECORDS_FORMAT_JSONL);
}

static s_reader_t
s_csv (const char *text)
{
    return s_reader_new (text, 0, "records.csv", RECORDS_FORMAT_CSV);
}

static void
s_reader_destroy (s_reader_t *reader)
{
    records_destroy (&reader->records);
    fclose (reader->file);
}

static void
s_expect_record (records_t *records, const char *expected)
{
    const char *json = NULL;
    size_t size = 0;
    int rc = records_next (records, &json, &size);
    if (rc != 1)
        fail_msg ("expected a record, got %d: %s", rc, records_error (records));
    assert_string_equal (json, expected);
    assert_int_equal (size, strlen (expected));
}

static void
s_expect_end (records_t *records)
{
    const char *json = NULL;
    size_t size = 0;
    assert_int_equal (records_next (records, &json, &size), 0);
    assert_int_equal (records_next (records, &json, &size), 0);
}

static void
s_expect_error (records_t *records, const char *expected)
{
    const char *json = NULL;
    size_t size = 0;
    assert_int_equal (records_next (records, &json, &size), -1);
    assert_string_equal (records_error (records), expected);
    assert_int_equal (records_next (records, &json, &size), -1);
}

static void
test_format_named_and_of_path (void **state)
{
    (void)state;
    assert_int_equal (records_format_named ("jsonl"), RECORDS_FORMAT_JSONL);
    assert_int_equal (records_format_named ("NDJSON"), RECORDS_FORMAT_JSONL);
    assert_int_equal (records_format_named ("csv"), RECORDS_FORMAT_CSV);
    assert_int_equal (records_format_named ("json"), RECORDS_FORMAT_UNKNOWN);
    assert_int_equal (records_format_of_path ("a/b.jsonl"),
                      RECORDS_FORMAT_JSONL);
    assert_int_equal (records_format_of_path ("b.ndjson"),
                      RECORDS_FORMAT_JSONL);
    assert_int_equal (records_format_of_path ("DATA.CSV"), RECORDS_FORMAT_CSV);
    assert_int_equal (records_format_of_path ("b.txt"), RECORDS_FORMAT_UNKNOWN);
    assert_int_equal (records_format_of_path ("dir.csv/records"),
                      RECORDS_FORMAT_UNKNOWN);
    assert_int_equal (records_format_of_path ("csv"), RECORDS_FORMAT_UNKNOWN);
}

static void
test_jsonl_lines_pass_through_trimmed (void **state)
{
    (void)state;
    s_reader_t reader = s_jsonl ("{\"n\":1,\"big\":12345678901234567890}\n"
                                 "  { \"n\" : 2 }  \r\n"
                                 "\n"
                                 "   \n"
                                 "{\"name\":\"김민수\"}");
    s_expect_record (reader.records, "{\"n\":1,\"big\":12345678901234567890}");
    s_expect_record (reader.records, "{ \"n\" : 2 }");
    s_expect_record (reader.records, "{\"name\":\"김민수\"}");
    s_expect_end (reader.records);
    assert_int_equal (records_count (reader.records), 3);
    s_reader_destroy (&reader);
}

static void
test_jsonl_skips_byte_order_mark (void **state)
{
    (void)state;
    s_reader_t reader = s_jsonl ("\xEF\xBB\xBF{\"n\":1}\n");
    s_expect_record (reader.records, "{\"n\":1}");
    s_expect_end (reader.records);
    s_reader_destroy (&reader);
}

static void
test_jsonl_bad_line_names_line_and_column (void **state)
{
    (void)state;
    s_reader_t reader =
        s_jsonl ("{\"n\":1}\n\n{\"n\":2,,\"m\":3}\n{\"n\":4}\n");
    s_expect_record (reader.records, "{\"n\":1}");
    s_expect_error (reader.records, "records.jsonl line 3: not valid JSON at "
                                    "column 9 (here: \"m\":3})");
    assert_int_equal (records_count (reader.records), 1);
    s_reader_destroy (&reader);
}

static void
test_jsonl_excerpt_is_cut_and_printable (void **state)
{
    (void)state;
    s_reader_t reader =
        s_jsonl ("{\"n\":1,,\"\x1b[31mred\":1,\"more\":\"padding padding\"}\n");
    s_expect_error (reader.records, "records.jsonl line 1: not valid JSON at "
                                    "column 9 (here: \"?[31mred\":1,\"more\":"
                                    "\"pad...)");
    s_reader_destroy (&reader);
}

static void
test_jsonl_nul_in_a_string_is_refused (void **state)
{
    (void)state;
    s_reader_t reader = s_jsonl ("{\"n\":1}\n{\"name\":\"Ada\\u0000x\"}\n");
    s_expect_record (reader.records, "{\"n\":1}");
    s_expect_error (reader.records,
                    "records.jsonl line 2: a string holds \\u0000 (NUL) at "
                    "column 13, which is refused rather than cut the string "
                    "short");
    s_reader_destroy (&reader);
}

static void
test_jsonl_line_cut_short (void **state)
{
    (void)state;
    s_reader_t reader = s_jsonl ("{\"n\":1");
    s_expect_error (reader.records, "records.jsonl line 1: not valid JSON at "
                                    "column 7 (the line ends too soon)");
    s_reader_destroy (&reader);
}

static void
test_jsonl_two_values_on_a_line_fail (void **state)
{
    (void)state;
    s_reader_t reader = s_jsonl ("{\"n\":1} {\"n\":2}\n");
    s_expect_error (reader.records, "records.jsonl line 1: not valid JSON at "
                                    "column 9 (here: {\"n\":2})");
    s_reader_destroy (&reader);
}

static void
test_jsonl_record_must_be_object (void **state)
{
    (void)state;
    s_reader_t reader = s_jsonl ("[1,2]\n");
    s_expect_error (reader.records,
                    "records.jsonl line 1: a record must be a JSON object, "
                    "not an array");
    s_reader_destroy (&reader);
    reader = s_jsonl ("\"text\"\n");
    s_expect_error (reader.records,
                    "records.jsonl line 1: a record must be a JSON object, "
                    "not a string");
    s_reader_destroy (&reader);
}

static void
test_jsonl_rejects_invalid_utf8 (void **state)
{
    (void)state;
    //  "김" in EUC-KR, as a Korean spreadsheet might save it.
    s_reader_t reader = s_jsonl ("{\"name\":\"\xB1\xE8\"}\n");
    s_expect_error (reader.records, "records.jsonl line 1: not UTF-8 text "
                                    "(byte 0xB1 at column 10)");
    s_reader_destroy (&reader);
}

static void
test_jsonl_rejects_nul_byte (void **state)
{
    (void)state;
    static const char text[] = "{\"n\":1}\n{\"n\":\0}\n";
    s_reader_t reader =
        s_reader_new (text, sizeof text - 1, "r.jsonl", RECORDS_FORMAT_JSONL);
    s_expect_record (reader.records, "{\"n\":1}");
    s_expect_error (reader.records, "r.jsonl line 2: a NUL byte is not text");
    s_reader_destroy (&reader);
}

static void
test_jsonl_empty_file_has_no_records (void **state)
{
    (void)state;
    s_reader_t reader = s_jsonl ("");
    s_expect_end (reader.records);
    assert_int_equal (records_count (reader.records), 0);
    s_reader_destroy (&reader);
}

static void
test_csv_header_names_fields (void **state)
{
    (void)state;
    s_reader_t reader = s_csv ("name,city\r\nAda,London\r\n\"Lovelace, A\","
                               "\"Zürich\"\r\n");
    s_expect_record (reader.records, "{\"name\":\"Ada\",\"city\":\"London\"}");
    s_expect_record (reader.records,
                     "{\"name\":\"Lovelace, A\",\"city\":\"Zürich\"}");
    s_expect_end (reader.records);
    assert_int_equal (records_count (reader.records), 2);
    s_reader_destroy (&reader);
}

static void
test_csv_dotted_names_make_nested_objects (void **state)
{
    (void)state;
    s_reader_t reader =
        s_csv ("number,customer.name,total,customer.address.city,"
               "customer.address.zip,items.0.desc\n"
               "1,김민수,5,서울,04524,Lamp\n");
    s_expect_record (
        reader.records,
        "{\"number\":\"1\",\"customer\":{\"name\":\"김민수\",\"address\":{"
        "\"city\":\"서울\",\"zip\":\"04524\"}},\"total\":\"5\",\"items\":{"
        "\"0\":{"
        "\"desc\":\"Lamp\"}}}");
    s_reader_destroy (&reader);
}

static void
test_csv_cells_are_strings (void **state)
{
    (void)state;
    s_reader_t reader = s_csv ("qty,price,zip,empty\n3,12.50,04524,\n");
    s_expect_record (reader.records, "{\"qty\":\"3\",\"price\":\"12.50\","
                                     "\"zip\":\"04524\",\"empty\":\"\"}");
    s_reader_destroy (&reader);
}

static void
test_csv_numbers_makes_plain_numbers_numbers (void **state)
{
    (void)state;
    s_reader_t reader = s_csv ("a,b,c,d,e,f,g\n"
                               "42,-7,12.50,0,0.5,-0.25,123456789012345\n");
    records_set_csv_numbers (reader.records, true);
    s_expect_record (reader.records,
                     "{\"a\":42,\"b\":-7,\"c\":12.50,\"d\":0,\"e\":0.5,"
                     "\"f\":-0.25,\"g\":123456789012345}");
    s_reader_destroy (&reader);
}

static void
test_csv_numbers_leaves_other_cells_strings (void **state)
{
    (void)state;
    s_reader_t reader = s_csv ("a,b,c,d,e,f,g,h,i,j,k\n"
                               "007,1e5,+1,\"1,234\", 42,.5,5.,-,,"
                               "1234567890123456,00\n");
    records_set_csv_numbers (reader.records, true);
    s_expect_record (reader.records,
                     "{\"a\":\"007\",\"b\":\"1e5\",\"c\":\"+1\",\"d\":"
                     "\"1,234\",\"e\":\" 42\",\"f\":\".5\",\"g\":\"5.\","
                     "\"h\":\"-\",\"i\":\"\",\"j\":\"1234567890123456\","
                     "\"k\":\"00\"}");
    s_reader_destroy (&reader);
}

static void
test_csv_escapes_json_specials (void **state)
{
    (void)state;
    s_reader_t reader =
        s_csv ("\"a\"\"b\",note\n\"say \"\"hi\"\"\",\"back\\slash\ttab\n"
               "line\x01\"\n");
    s_expect_record (reader.records, "{\"a\\\"b\":\"say \\\"hi\\\"\",\"note\":"
                                     "\"back\\\\slash\\ttab\\nline\\u0001\"}");
    s_reader_destroy (&reader);
}

static void
test_csv_skips_byte_order_mark (void **state)
{
    (void)state;
    s_reader_t reader = s_csv ("\xEF\xBB\xBFname\nAda\n");
    s_expect_record (reader.records, "{\"name\":\"Ada\"}");
    s_reader_destroy (&reader);
}

static void
test_csv_row_with_wrong_field_count_names_line (void **state)
{
    (void)state;
    s_reader_t reader = s_csv ("a,b\n1,2\n\"multi\nline\",2\n3\n");
    s_expect_record (reader.records, "{\"a\":\"1\",\"b\":\"2\"}");
    s_expect_record (reader.records, "{\"a\":\"multi\\nline\",\"b\":\"2\"}");
    s_expect_error (reader.records,
                    "records.csv line 5: 1 field, but the header names 2");
    s_reader_destroy (&reader);
}

static void
test_csv_syntax_error_names_line (void **state)
{
    (void)state;
    s_reader_t reader = s_csv ("a,b\n1,\"2\n");
    s_expect_error (reader.records, "records.csv line 2: field 2 opens a "
                                    "quote that is never closed");
    s_reader_destroy (&reader);
}

static void
test_csv_header_errors (void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *error;
    } cases[] = {
        {"a,,c\n1,2,3\n", "records.csv line 1: column 2 has no name"},
        {"a,b,a\n1,2,3\n",
         "records.csv line 1: columns 1 and 3 are both called \"a\""},
        {"customer,customer.name\n1,2\n",
         "records.csv line 1: column 2 (\"customer.name\") and column 1 both "
         "give a value to \"customer\""},
        {"c.name,c\n1,2\n", "records.csv line 1: column 2 (\"c\") and column "
                            "1 both give a value to \"c\""},
        {"a..b\n1\n", "records.csv line 1: column 1 (\"a..b\") has an empty "
                      "part in its dotted name"},
        {"a.\n1\n", "records.csv line 1: column 1 (\"a.\") has an empty part "
                    "in its dotted name"},
        {"\"x\ny\",\"x\ny\"\n1,2\n",
         "records.csv line 1: columns 1 and 2 are both called \"x?y\""},
        {"", "records.csv: the file is empty; its first line must name the "
             "fields"},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        s_reader_t reader = s_csv (cases[index].text);
        s_expect_error (reader.records, cases[index].error);
        s_reader_destroy (&reader);
    }
}

static void
test_csv_too_deep_name_fails (void **state)
{
    (void)state;
    char header[4 * RECORDS_CSV_DEPTH_MAX + 16] = "";
    for (int part = 0; part <= RECORDS_CSV_DEPTH_MAX; part++)
        strcat (header, part ? ".a" : "a");
    strcat (header, "\n1\n");
    s_reader_t reader = s_csv (header);
    char expected[128];
    snprintf (expected, sizeof expected,
              "records.csv line 1: column 1 has more than %d dotted parts",
              RECORDS_CSV_DEPTH_MAX);
    s_expect_error (reader.records, expected);
    s_reader_destroy (&reader);
}

static void
test_csv_rejects_invalid_utf8 (void **state)
{
    (void)state;
    s_reader_t reader = s_csv ("name,city\nAda,\xB1\xE8\n");
    s_expect_error (reader.records, "records.csv line 2: field 2 is not UTF-8 "
                                    "text (byte 0xB1); save the file as UTF-8");
    s_reader_destroy (&reader);
}

static void
test_csv_header_only_has_no_records (void **state)
{
    (void)state;
    s_reader_t reader = s_csv ("a,b\n");
    s_expect_end (reader.records);
    assert_int_equal (records_count (reader.records), 0);
    s_reader_destroy (&reader);
}

//  -- Fed readers --------------------------------------------------------

typedef struct {
    char text[4096]; // one line per record, then the end
    size_t size;
    bool done; // ends in "end" or "error: why"
} s_transcript_t;

static void
s_transcript_add (s_transcript_t *transcript, const char *entry)
{
    size_t length = strlen (entry);
    assert_true (transcript->size + length < sizeof transcript->text);
    memcpy (transcript->text + transcript->size, entry, length + 1);
    transcript->size += length;
}

//  Add the records the reader has to the transcript; with ended, also how
//  the reading ends (without, a 0 only means the reader needs more).
static void
s_transcribe (records_t *records, s_transcript_t *transcript, bool ended)
{
    while (!transcript->done) {
        const char *json = NULL;
        size_t size = 0;
        int rc = records_next (records, &json, &size);
        if (rc == 0 && !ended)
            return;
        if (rc == 1) {
            assert_int_equal (strlen (json), size);
            s_transcript_add (transcript, json);
            s_transcript_add (transcript, "\n");
            continue;
        }
        if (rc == 0)
            s_transcript_add (transcript, "end\n");
        else {
            s_transcript_add (transcript, "error: ");
            s_transcript_add (transcript, records_error (records));
            s_transcript_add (transcript, "\n");
        }
        transcript->done = true;
    }
}

//  What the stream reader makes of text.
static void
s_file_transcript (const char *text, records_format_t format, bool numbers,
                   s_transcript_t *transcript)
{
    memset (transcript, 0, sizeof *transcript);
    s_reader_t reader = s_reader_new (text, 0, "f", format);
    records_set_csv_numbers (reader.records, numbers);
    s_transcribe (reader.records, transcript, true);
    s_reader_destroy (&reader);
}

//  What a fed reader makes of text fed in two pieces, cut at cut, or with
//  bytewise in pieces of one byte, reading records after every piece.
static void
s_fed_transcript (const char *text, records_format_t format, bool numbers,
                  size_t cut, bool bytewise, s_transcript_t *transcript)
{
    memset (transcript, 0, sizeof *transcript);
    records_t *records = records_new_fed ("f", format);
    assert_non_null (records);
    records_set_csv_numbers (records, numbers);
    size_t size = strlen (text);
    size_t from = 0;
    //  A reader that failed takes no more.
    while (from < size && !transcript->done) {
        size_t to = bytewise ? from + 1 : from < cut ? cut : size;
        assert_int_equal (records_feed (records, text + from, to - from), 0);
        s_transcribe (records, transcript, false);
        from = to;
    }
    if (!transcript->done) {
        records_feed_end (records);
        s_transcribe (records, transcript, true);
    }
    records_destroy (&records);
}

static const struct {
    const char *text;
    records_format_t format;
    bool numbers;
} s_files[] = {
    {"\xEF\xBB\xBF{\"n\":1,\"big\":12345678901234567890}\n  { \"n\" : 2 }  "
     "\r\n\n   \n{\"name\":\"김민수\"}",
     RECORDS_FORMAT_JSONL, false},
    {"{\"n\":1}\r\n{\"n\":\r\n", RECORDS_FORMAT_JSONL, false},
    {"{\"n\":1}\n[2]\n", RECORDS_FORMAT_JSONL, false},
    {"", RECORDS_FORMAT_JSONL, false},
    {"\xEF\xBB\xBFnumber,customer.name,customer.city,note,total\r\n"
     "1,김민수,\"Seoul\r\n(Gangnam)\",\"say \"\"hi\"\"\",12.50\r\n"
     "\r\n007,\"Lovelace, Ada\",,x,-3\r\n",
     RECORDS_FORMAT_CSV, false},
    {"a,b\n1,12.50\n007,-3", RECORDS_FORMAT_CSV, true},
    {"a,b\n1,\"2\n3\"\n4\n", RECORDS_FORMAT_CSV, false},
    {"a,a.b\n1,2\n", RECORDS_FORMAT_CSV, false},
    {"a,b\n1,\"open\n", RECORDS_FORMAT_CSV, false},
    {"a,b\r\n", RECORDS_FORMAT_CSV, false},
    {"\r\n", RECORDS_FORMAT_CSV, false},
};

static void
test_fed_reader_matches_stream_reader_at_every_cut (void **state)
{
    (void)state;
    s_transcript_t expected, got;
    for (size_t index = 0; index < sizeof s_files / sizeof s_files[0];
         index++) {
        const char *text = s_files[index].text;
        records_format_t format = s_files[index].format;
        bool numbers = s_files[index].numbers;
        s_file_transcript (text, format, numbers, &expected);
        s_fed_transcript (text, format, numbers, 0, true, &got);
        if (strcmp (got.text, expected.text) != 0)
            fail_msg ("file %zu bytewise gave:\n%s\ninstead of:\n%s", index,
                      got.text, expected.text);
        for (size_t cut = 0; cut <= strlen (text); cut++) {
            s_fed_transcript (text, format, numbers, cut, false, &got);
            if (strcmp (got.text, expected.text) != 0)
                fail_msg ("file %zu cut at %zu gave:\n%s\ninstead of:\n%s",
                          index, cut, got.text, expected.text);
        }
    }
}

static void
test_fed_reader_returns_records_as_they_complete (void **state)
{
    (void)state;
    records_t *records = records_new_fed ("s3://b/k.csv", RECORDS_FORMAT_CSV);
    assert_non_null (records);
    const char *json = NULL;
    size_t size = 0;
    assert_int_equal (records_next (records, &json, &size), 0);
    assert_int_equal (records_feed (records, "a.x,b\n1,\"two", 12), 0);
    assert_int_equal (records_next (records, &json, &size), 0);
    assert_int_equal (records_feed (records, "\nlines\"\n3,4", 11), 0);
    s_expect_record (records, "{\"a\":{\"x\":\"1\"},\"b\":\"two\\nlines\"}");
    assert_int_equal (records_next (records, &json, &size), 0);
    assert_int_equal (records_feed (records, ",5\n", 3), 0);
    s_expect_error (records, "s3://b/k.csv line 4: 3 fields, but the header "
                             "names 2");
    assert_int_equal (records_feed (records, "6,7\n", 4), -1);
    records_feed_end (records);
    assert_int_equal (records_next (records, &json, &size), -1);
    assert_int_equal (records_count (records), 1);
    records_destroy (&records);
    records_destroy (&records);
}

static void
test_fed_reader_of_nothing (void **state)
{
    (void)state;
    records_t *records = records_new_fed ("s3://b/k.csv", RECORDS_FORMAT_CSV);
    assert_non_null (records);
    records_feed_end (records);
    s_expect_error (records, "s3://b/k.csv: the file is empty; its first "
                             "line must name the fields");
    records_destroy (&records);
    records = records_new_fed ("s3://b/k.jsonl", RECORDS_FORMAT_JSONL);
    assert_non_null (records);
    records_feed_end (records);
    s_expect_end (records);
    records_destroy (&records);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_format_named_and_of_path),
        cmocka_unit_test (test_jsonl_lines_pass_through_trimmed),
        cmocka_unit_test (test_jsonl_skips_byte_order_mark),
        cmocka_unit_test (test_jsonl_bad_line_names_line_and_column),
        cmocka_unit_test (test_jsonl_excerpt_is_cut_and_printable),
        cmocka_unit_test (test_jsonl_line_cut_short),
        cmocka_unit_test (test_jsonl_nul_in_a_string_is_refused),
        cmocka_unit_test (test_jsonl_two_values_on_a_line_fail),
        cmocka_unit_test (test_jsonl_record_must_be_object),
        cmocka_unit_test (test_jsonl_rejects_invalid_utf8),
        cmocka_unit_test (test_jsonl_rejects_nul_byte),
        cmocka_unit_test (test_jsonl_empty_file_has_no_records),
        cmocka_unit_test (test_csv_header_names_fields),
        cmocka_unit_test (test_csv_dotted_names_make_nested_objects),
        cmocka_unit_test (test_csv_cells_are_strings),
        cmocka_unit_test (test_csv_numbers_makes_plain_numbers_numbers),
        cmocka_unit_test (test_csv_numbers_leaves_other_cells_strings),
        cmocka_unit_test (test_csv_escapes_json_specials),
        cmocka_unit_test (test_csv_skips_byte_order_mark),
        cmocka_unit_test (test_csv_row_with_wrong_field_count_names_line),
        cmocka_unit_test (test_csv_syntax_error_names_line),
        cmocka_unit_test (test_csv_header_errors),
        cmocka_unit_test (test_csv_too_deep_name_fails),
        cmocka_unit_test (test_csv_rejects_invalid_utf8),
        cmocka_unit_test (test_csv_header_only_has_no_records),
        cmocka_unit_test (test_fed_reader_matches_stream_reader_at_every_cut),
        cmocka_unit_test (test_fed_reader_returns_records_as_they_complete),
        cmocka_unit_test (test_fed_reader_of_nothing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
