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
    quoted field still open at the end of the file, and also a NUL byte. The
    stream is borrowed, read with getc, and never closed.

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

void
csv_destroy (csv_t **self_p);

//  Read the next row. Returns 1 when there is one (see csv_fields and
//  csv_field), 0 at the end of the file, or -1 when the file breaks the
//  rules above or cannot be read; csv_error then says why and csv_line
//  where. After 0 or -1 every later call returns the same.
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
