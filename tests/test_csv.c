/*  test_csv - rows of a CSV file, RFC 4180 with CRLF or LF.

    Each test reads a CSV text from a memory stream and checks the rows,
    their fields and line numbers, or the error and the line it names. The
    fed reader is checked against the stream reader: the same text, split
    into pieces at every byte, must give the same rows, lines and errors.

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

#include "csv.h"

typedef struct {
    FILE *file;
    csv_t *csv;
} s_reader_t;

static s_reader_t
s_reader_new (const char *text, size_t size)
{
    s_reader_t reader;
    reader.file = fmemopen ((void *)text, size ? size : strlen (text), "rb");
    assert_non_null (reader.file);
    reader.csv = csv_new (reader.file);
    assert_non_null (reader.csv);
    return reader;
}

static void
s_reader_destroy (s_reader_t *reader)
{
    csv_destroy (&reader->csv);
    fclose (reader->file);
}

//  Read the next row and check it has exactly the fields given, NULL-
//  terminated, starting on line.
static void
s_expect_row (csv_t *csv, size_t line, ...)
{
    assert_int_equal (csv_next (csv), 1);
    assert_int_equal (csv_line (csv), line);
    va_list fields;
    va_start (fields, line);
    size_t index = 0;
    for (const char *field = va_arg (fields, const char *); field;
         field = va_arg (fields, const char *), index++) {
        assert_true (index < csv_fields (csv));
        assert_string_equal (csv_field (csv, index), field);
        assert_int_equal (csv_field_size (csv, index), strlen (field));
    }
    va_end (fields);
    assert_int_equal (csv_fields (csv), index);
}

static void
test_plain_rows_with_lf (void **state)
{
    (void)state;
    s_reader_t reader = s_reader_new ("a,b,c\n1,2,3\n", 0);
    s_expect_row (reader.csv, 1, "a", "b", "c", NULL);
    s_expect_row (reader.csv, 2, "1", "2", "3", NULL);
    assert_int_equal (csv_next (reader.csv), 0);
    assert_int_equal (csv_next (reader.csv), 0);
    s_reader_destroy (&reader);
}

static void
test_crlf_rows_and_last_row_without_line_break (void **state)
{
    (void)state;
    s_reader_t reader = s_reader_new ("a,b\r\n1,2\r\nx,y", 0);
    s_expect_row (reader.csv, 1, "a", "b", NULL);
    s_expect_row (reader.csv, 2, "1", "2", NULL);
    s_expect_row (reader.csv, 3, "x", "y", NULL);
    assert_int_equal (csv_next (reader.csv), 0);
    s_reader_destroy (&reader);
}

static void
test_empty_fields_are_kept (void **state)
{
    (void)state;
    s_reader_t reader = s_reader_new (",a,,\n\"\",\n", 0);
    s_expect_row (reader.csv, 1, "", "a", "", "", NULL);
    s_expect_row (reader.csv, 2, "", "", NULL);
    s_reader_destroy (&reader);
}

static void
test_quoted_field_holds_comma_quote_and_line_breaks (void **state)
{
    (void)state;
    s_reader_t reader =
        s_reader_new ("name,note\n\"Lovelace, Ada\",\"said \"\"hi\"\"\n"
                      "and left\r\nlate\"\nnext,row\n",
                      0);
    s_expect_row (reader.csv, 1, "name", "note", NULL);
    s_expect_row (reader.csv, 2, "Lovelace, Ada", "said \"hi\"\nand left\nlate",
                  NULL);
    s_expect_row (reader.csv, 5, "next", "row", NULL);
    s_reader_destroy (&reader);
}

static void
test_empty_lines_are_no_rows (void **state)
{
    (void)state;
    s_reader_t reader = s_reader_new ("\na\n\r\n\nb\n\n", 0);
    s_expect_row (reader.csv, 2, "a", NULL);
    s_expect_row (reader.csv, 5, "b", NULL);
    assert_int_equal (csv_next (reader.csv), 0);
    s_reader_destroy (&reader);
}

static void
test_utf8_passes_through (void **state)
{
    (void)state;
    s_reader_t reader =
        s_reader_new ("김민수 고객님,\"서울특별시, 강남구\"\n", 0);
    s_expect_row (reader.csv, 1, "김민수 고객님", "서울특별시, 강남구", NULL);
    s_reader_destroy (&reader);
}

static void
test_lone_carriage_return_is_data (void **state)
{
    (void)state;
    s_reader_t reader = s_reader_new ("a\rb,c\n", 0);
    s_expect_row (reader.csv, 1, "a\rb", "c", NULL);
    s_reader_destroy (&reader);
}

static void
test_quote_inside_unquoted_field_fails (void **state)
{
    (void)state;
    s_reader_t reader = s_reader_new ("a,b\n1,2\"3\n", 0);
    s_expect_row (reader.csv, 1, "a", "b", NULL);
    assert_int_equal (csv_next (reader.csv), -1);
    assert_int_equal (csv_line (reader.csv), 2);
    assert_string_equal (csv_error (reader.csv),
                         "field 2 has a double quote but does not start "
                         "with one; quote the whole field and double the "
                         "quotes inside");
    assert_int_equal (csv_next (reader.csv), -1);
    s_reader_destroy (&reader);
}

static void
test_text_after_closing_quote_fails (void **state)
{
    (void)state;
    s_reader_t reader = s_reader_new ("\"a\"b,c\n", 0);
    assert_int_equal (csv_next (reader.csv), -1);
    assert_int_equal (csv_line (reader.csv), 1);
    assert_string_equal (csv_error (reader.csv),
                         "field 1 has text after its closing quote");
    s_reader_destroy (&reader);
}

static void
test_unclosed_quote_names_the_line_it_opens_on (void **state)
{
    (void)state;
    s_reader_t reader = s_reader_new ("a,b\n1,\"open\n\nmore\n", 0);
    s_expect_row (reader.csv, 1, "a", "b", NULL);
    assert_int_equal (csv_next (reader.csv), -1);
    assert_int_equal (csv_line (reader.csv), 2);
    assert_string_equal (csv_error (reader.csv),
                         "field 2 opens a quote that is never closed");
    s_reader_destroy (&reader);
}

static void
test_nul_byte_fails (void **state)
{
    (void)state;
    static const char text[] = "a,b\nx\0y,z\n";
    s_reader_t reader = s_reader_new (text, sizeof text - 1);
    s_expect_row (reader.csv, 1, "a", "b", NULL);
    assert_int_equal (csv_next (reader.csv), -1);
    assert_int_equal (csv_line (reader.csv), 2);
    assert_string_equal (csv_error (reader.csv), "a NUL byte is not text");
    s_reader_destroy (&reader);
}

static void
test_long_row_grows_buffers (void **state)
{
    (void)state;
    //  Wider than the first allocations, in bytes and in fields.
    size_t fields = 300;
    size_t width = 50;
    char *text = malloc (fields * (width + 1) + 1);
    assert_non_null (text);
    char *cursor = text;
    for (size_t field = 0; field < fields; field++) {
        memset (cursor, 'a' + (char)(field % 26), width);
        cursor += width;
        *cursor++ = field + 1 < fields ? ',' : '\n';
    }
    *cursor = '\0';
    s_reader_t reader = s_reader_new (text, 0);
    assert_int_equal (csv_next (reader.csv), 1);
    assert_int_equal (csv_fields (reader.csv), fields);
    assert_int_equal (csv_field_size (reader.csv, fields - 1), width);
    assert_int_equal (csv_field (reader.csv, 299)[0], 'a' + 299 % 26);
    s_reader_destroy (&reader);
    free (text);
}

static void
test_empty_file_has_no_rows (void **state)
{
    (void)state;
    s_reader_t reader = s_reader_new ("\n", 0);
    assert_int_equal (csv_next (reader.csv), 0);
    assert_string_equal (csv_error (reader.csv), "");
    s_reader_destroy (&reader);
}

//  -- Fed readers --------------------------------------------------------

typedef struct {
    char text[4096]; // one "line:field|field" line per row, then the end
    size_t size;
    bool done; // ends in "end" or "error line: why"
} s_transcript_t;

static void
s_transcript_add (s_transcript_t *transcript, const char *entry)
{
    size_t length = strlen (entry);
    assert_true (transcript->size + length < sizeof transcript->text);
    memcpy (transcript->text + transcript->size, entry, length + 1);
    transcript->size += length;
}

//  Add the rows the reader has to the transcript; with ended, also how
//  the reading ends (without, a 0 only means the reader needs more).
static void
s_transcribe (csv_t *csv, s_transcript_t *transcript, bool ended)
{
    while (!transcript->done) {
        int rc = csv_next (csv);
        char entry[512];
        if (rc == 0 && !ended)
            return;
        if (rc == 1) {
            snprintf (entry, sizeof entry, "%zu:", csv_line (csv));
            s_transcript_add (transcript, entry);
            for (size_t index = 0; index < csv_fields (csv); index++) {
                if (index > 0)
                    s_transcript_add (transcript, "|");
                s_transcript_add (transcript, csv_field (csv, index));
            }
            s_transcript_add (transcript, "\n");
            continue;
        }
        if (rc == 0)
            snprintf (entry, sizeof entry, "end\n");
        else
            snprintf (entry, sizeof entry, "error %zu: %s\n", csv_line (csv),
                      csv_error (csv));
        s_transcript_add (transcript, entry);
        transcript->done = true;
    }
}

//  What the stream reader makes of text.
static void
s_file_transcript (const char *text, size_t size, s_transcript_t *transcript)
{
    memset (transcript, 0, sizeof *transcript);
    s_reader_t reader = s_reader_new (text, size);
    s_transcribe (reader.csv, transcript, true);
    s_reader_destroy (&reader);
}

//  What a fed reader makes of text fed in pieces cut at the offsets in
//  cuts (count of them, ascending), reading rows after every piece.
static void
s_fed_transcript (const char *text, size_t size, const size_t *cuts,
                  size_t count, s_transcript_t *transcript)
{
    memset (transcript, 0, sizeof *transcript);
    csv_t *csv = csv_new_fed ();
    assert_non_null (csv);
    size_t from = 0;
    for (size_t index = 0; index <= count; index++) {
        size_t to = index < count ? cuts[index] : size;
        assert_int_equal (csv_feed (csv, text + from, to - from), 0);
        s_transcribe (csv, transcript, false);
        from = to;
    }
    csv_feed_end (csv);
    s_transcribe (csv, transcript, true);
    csv_destroy (&csv);
}

//  Texts that exercise every state: quoted line breaks, CRLF in and out
//  of quotes, doubled quotes, empty lines and fields, a lone CR, a last
//  row without a line break, and each kind of error.
static const char *s_texts[] = {
    "name,note\r\n\"Lovelace, Ada\",\"said \"\"hi\"\"\r\nand left\"\r\n"
    "\r\n\n,\"\"\r\na\rb,\"x\ny\"\r\nlast,row",
    "a,b\n1,\"2\"\"\"\n\"\"\"\",\"\r\r\n\"\n",
    "a,b\r\n1,\"open\r\n\r\nmore\r\n",
    "a,b\n1,2\"3\n",
    "a,b\n\"x\"y,z\n",
    "\r\n\r\n",
    "a\r",
};

static void
test_fed_reader_matches_stream_reader_at_every_cut (void **state)
{
    (void)state;
    s_transcript_t expected, got;
    for (size_t text_index = 0; text_index < sizeof s_texts / sizeof s_texts[0];
         text_index++) {
        const char *text = s_texts[text_index];
        size_t size = strlen (text);
        s_file_transcript (text, size, &expected);
        for (size_t cut = 0; cut <= size; cut++) {
            s_fed_transcript (text, size, &cut, 1, &got);
            if (strcmp (got.text, expected.text) != 0)
                fail_msg ("text %zu cut at %zu gave:\n%s\ninstead of:\n%s",
                          text_index, cut, got.text, expected.text);
        }
    }
}

static void
test_fed_reader_matches_stream_reader_byte_by_byte (void **state)
{
    (void)state;
    s_transcript_t expected, got;
    for (size_t text_index = 0; text_index < sizeof s_texts / sizeof s_texts[0];
         text_index++) {
        const char *text = s_texts[text_index];
        size_t size = strlen (text);
        size_t cuts[256];
        assert_true (size <= sizeof cuts / sizeof cuts[0]);
        for (size_t cut = 0; cut < size; cut++)
            cuts[cut] = cut + 1;
        s_file_transcript (text, size, &expected);
        s_fed_transcript (text, size, cuts, size, &got);
        assert_string_equal (got.text, expected.text);
    }
}

static void
test_fed_reader_waits_for_the_end_of_a_row (void **state)
{
    (void)state;
    csv_t *csv = csv_new_fed ();
    assert_non_null (csv);
    assert_int_equal (csv_next (csv), 0);
    assert_int_equal (csv_feed (csv, "a,\"b\n", 5), 0);
    assert_int_equal (csv_next (csv), 0);
    assert_int_equal (csv_feed (csv, "c\",d", 4), 0);
    assert_int_equal (csv_next (csv), 0);
    //  A row that ends in CR may yet end in CRLF.
    assert_int_equal (csv_feed (csv, "\r", 1), 0);
    assert_int_equal (csv_next (csv), 0);
    assert_int_equal (csv_feed (csv, "\nnext", 5), 0);
    s_expect_row (csv, 1, "a", "b\nc", "d", NULL);
    assert_int_equal (csv_next (csv), 0);
    csv_feed_end (csv);
    s_expect_row (csv, 3, "next", NULL);
    assert_int_equal (csv_next (csv), 0);
    assert_int_equal (csv_next (csv), 0);
    assert_int_equal (csv_feed (csv, "more", 4), -1);
    csv_destroy (&csv);
}

static void
test_fed_reader_with_nothing_fed_has_no_rows (void **state)
{
    (void)state;
    csv_t *csv = csv_new_fed ();
    assert_non_null (csv);
    csv_feed_end (csv);
    assert_int_equal (csv_next (csv), 0);
    assert_string_equal (csv_error (csv), "");
    csv_destroy (&csv);
    csv_destroy (&csv);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_plain_rows_with_lf),
        cmocka_unit_test (test_crlf_rows_and_last_row_without_line_break),
        cmocka_unit_test (test_empty_fields_are_kept),
        cmocka_unit_test (test_quoted_field_holds_comma_quote_and_line_breaks),
        cmocka_unit_test (test_empty_lines_are_no_rows),
        cmocka_unit_test (test_utf8_passes_through),
        cmocka_unit_test (test_lone_carriage_return_is_data),
        cmocka_unit_test (test_quote_inside_unquoted_field_fails),
        cmocka_unit_test (test_text_after_closing_quote_fails),
        cmocka_unit_test (test_unclosed_quote_names_the_line_it_opens_on),
        cmocka_unit_test (test_nul_byte_fails),
        cmocka_unit_test (test_long_row_grows_buffers),
        cmocka_unit_test (test_empty_file_has_no_rows),
        cmocka_unit_test (test_fed_reader_matches_stream_reader_at_every_cut),
        cmocka_unit_test (test_fed_reader_matches_stream_reader_byte_by_byte),
        cmocka_unit_test (test_fed_reader_waits_for_the_end_of_a_row),
        cmocka_unit_test (test_fed_reader_with_nothing_fed_has_no_rows),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
