/*  records - the records of a job, read from a JSON Lines or CSV file.

    Owns a records file being read, one record at a time, and turns each
    record into one line of JSON text (an object) ready to go into the
    "records" array of a job document. Nothing is kept of a record once the
    next is read, so a file of any size is read in the memory of its largest
    record. Each record is checked as it is read, and an error names the
    file and the line: "records.jsonl line 17: not valid JSON at column 9".

    JSON Lines (.jsonl, .ndjson): one JSON object per line, sent as it is
    written (so numbers keep their exact spelling). Blank lines are skipped.

    CSV (.csv, read by csv): the first row names the fields; every other
    row is a record with exactly as many fields. A dotted name such as
    "customer.name" makes nested objects ({"customer": {"name": ...}}),
    with objects in the order of their first column; a part made of digits
    is an object key too, not an array index. Every cell is a JSON string,
    the empty cell included: templates compute with strings that are
    numbers, and a string keeps "12.50", "007" or "04524" as written.
    records_set_csv_numbers makes plain decimal numbers JSON numbers: an
    optional "-", digits without a leading zero (other than "0" itself),
    optionally "." and more digits, 15 digits at most in all, so the number
    is exact in a double ("42", "-7", "12.50", "0.5"); "007", "1e5", "+1",
    "1,234" and " 42" stay strings.

    Both formats must be UTF-8; a byte order mark at the start of the file
    is skipped. A reader made by records_new reads a file, which is
    borrowed, read from its current position, and never closed. One made
    by records_new_fed is handed the bytes of the file in pieces of any size
    (a download as it arrives: the ventilator's records from S3), and
    returns each record once the pieces so far hold all of it; a line or a
    CSV row may be split anywhere between two pieces.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_RECORDS_H
#define PDFPIPE_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define RECORDS_ERROR_MAX 512 // bytes of records_error, with the NUL
//  Dotted parts of one CSV column name; deeper nesting would break the job
//  document's own limit anyway.
#define RECORDS_CSV_DEPTH_MAX 32

typedef enum {
    RECORDS_FORMAT_UNKNOWN = 0,
    RECORDS_FORMAT_JSONL,
    RECORDS_FORMAT_CSV,
} records_format_t;

typedef struct _records_t records_t;

//  The format called name: "jsonl" or "ndjson" (JSON Lines), or "csv",
//  in any case. RECORDS_FORMAT_UNKNOWN for anything else.
records_format_t
records_format_named (const char *name);

//  The format a file's name says it has, by its extension (.jsonl,
//  .ndjson, .csv, in any case); RECORDS_FORMAT_UNKNOWN when it says none.
records_format_t
records_format_of_path (const char *path);

//  A reader of the records in file (borrowed; must stay open while the
//  reader is used), in format. name is how errors call the file, such as
//  its path; it is copied. Returns NULL when out of memory. Caller owns
//  the result.
records_t *
records_new (FILE *file, const char *name, records_format_t format);

//  A reader of the records in the bytes handed over with records_feed, up
//  to records_feed_end, in format. name is as for records_new. Returns
//  NULL when out of memory. Caller owns the result.
records_t *
records_new_fed (const char *name, records_format_t format);

void
records_destroy (records_t **self_p);

//  Hand the next size bytes of the file to a reader made by
//  records_new_fed; they are copied. Read the records they complete with
//  records_next before feeding more, and the reader holds no more than one
//  piece and the record it is in. Returns 0, or -1 when out of memory,
//  with records_error saying so.
int
records_feed (records_t *self, const void *data, size_t size);

//  Say that a reader made by records_new_fed has been fed the whole file.
void
records_feed_end (records_t *self);

//  With numbers true, CSV cells that are plain decimal numbers become JSON
//  numbers (see above) instead of strings. Call before the first
//  records_next.
void
records_set_csv_numbers (records_t *self, bool numbers);

//  Read the next record. Returns 1 with the record as compact JSON text,
//  an object, in *json_p (borrowed until the next call; NUL-terminated)
//  and its length in *size_p; 0 when there are no more; -1 when the file
//  cannot be read or breaks its format, with records_error saying why and
//  where. After 0 or -1 every later call returns the same, except that a
//  fed reader also returns 0 when what it was fed so far holds no whole
//  record: it then reads on once fed more, and 0 means the end only after
//  records_feed_end.
int
records_next (records_t *self, const char **json_p, size_t *size_p);

//  How many records records_next has returned.
size_t
records_count (const records_t *self);

//  How errors call the file, as given to records_new; borrowed.
const char *
records_name (const records_t *self);

//  Why records_next returned -1, starting with the file's name and,
//  when it is about one line, the line; "" otherwise. Borrowed.
const char *
records_error (const records_t *self);

#endif
