/*  csv - rows of a CSV file (RFC 4180), read one at a time.

    Owns the fields of the row read last and where the reader is in the
    stream; it knows nothing of headers, field names or JSON, which are the
    business of records. Rows are read as the caller asks for them, so a
    file of any length is read in the memory of its longest row.

    The dialect is RFC 4180's, read leniently where that is harmless: fields
    are separated by commas; rows end in CRLF or a bare LF; a field that
    starts with a double quote runs to the matching quote, may hold commas,
    line breaks and doubled quotes ("" for one "), and must be followed by a
    comma or the end of the row; the last row need not end in a line break.
    A line with nothing on it is no row at all. What RFC 4180 forbids is an
    error: a quote inside an unquoted field, text after a closing quote, a
    quoted field still open at the end of the file, and also a NUL byte.

    The bytes come from one of two places. A reader made by csv_new reads a
    stream, which is borrowed, read with getc, and never closed. A reader
    made by csv_new_fed is handed its bytes by the caller, in pieces of any
    size (such as a download as it arrives); a row, a quoted field or a
    CRLF may be split anywhere between two pieces. Both read the same
    dialect the same way, through the same state machine.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_CSV_H
#define PDFPIPE_CSV_H

#include <stddef.h>
#include <stdio.h>

//  One row may hold at most this many bytes of fields; a longer one is an
//  error. It keeps a quote that is never closed from pulling the rest of a
//  large file into memory.
#define CSV_ROW_MAX (64 * 1024 * 1024) // bytes
#define CSV_FIELDS_MAX 10000           // fields of one row
#define CSV_ERROR_MAX 256              // bytes of csv_error, with the NUL

typedef struct _csv_t csv_t;

//  A reader of the rows of file, which is borrowed and must stay open
//  while the reader is used. Returns NULL when out of memory. Caller owns
//  the result.
csv_t *
csv_new (FILE *file);

//  A reader of the rows of bytes handed over with csv_feed, up to
//  csv_feed_end. Returns NULL when out of memory. Caller owns the result.
csv_t *
csv_new_fed (void);

void
csv_destroy (csv_t **self_p);

//  Hand the next size bytes of input to a reader made by csv_new_fed; they
//  are copied. Read the rows they complete with csv_next before feeding
//  more, and the reader holds no more than one piece and the row it is in.
//  Returns 0, or -1 when out of memory or after csv_feed_end.
int
csv_feed (csv_t *self, const void *data, size_t size);

//  Say that a reader made by csv_new_fed has been fed all of its input;
//  its last row need not end in a line break.
void
csv_feed_end (csv_t *self);

//  Read the next row. Returns 1 when there is one (see csv_fields and
//  csv_field), 0 at the end of the input, or -1 when the input breaks the
//  rules above or cannot be read; csv_error then says why and csv_line
//  where. After 0 or -1 every later call returns the same, except that a
//  fed reader also returns 0 when what it was fed so far holds no whole
//  row: it then reads on once fed more, and 0 means the end only after
//  csv_feed_end.
int
csv_next (csv_t *self);

//  How many fields the row read last has; at least 1.
size_t
csv_fields (const csv_t *self);

//  Field index (from 0) of the row read last, without quotes, NUL-
//  terminated. Borrowed, valid until the next csv_next.
const char *
csv_field (const csv_t *self, size_t index);

//  Size in bytes of field index, without the NUL.
size_t
csv_field_size (const csv_t *self, size_t index);

//  The line of the file (from 1) on which the row read last starts, or
//  after an error, the line the error is about.
size_t
csv_line (const csv_t *self);

//  Why the last csv_next returned -1, without the line number, such as
//  "a quoted field is never closed"; "" otherwise. Borrowed.
const char *
csv_error (const csv_t *self);

#endif
