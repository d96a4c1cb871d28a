/*  csv - rows of a CSV file (RFC 4180), read one at a time.

    A state machine over the bytes of the stream: the fields of a row go
    into one buffer, each NUL-terminated, with their start offsets beside
    it, so reading a row allocates nothing once the buffers have grown to
    the longest row. CRLF is read as LF everywhere, inside quoted fields
    too, so a value never ends up with a stray carriage return.

    Where the reader is within a row (the state, the line a quoted field
    opened on) is kept in the reader rather than in csv_next, so that a fed
    reader can stop at any byte for want of input and go on when fed. A
    carriage return that ends a piece is left unread until the next piece
    says whether a line feed follows it.

    SPDX-License-Identifier: MPL-2.0
*/
#include "csv.h"

#include "bytebuf.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define S_FIELDS_INITIAL 16
//  What s_getc returns when a fed reader has no more bytes yet; distinct
//  from every byte and from EOF.
#define S_NEED_MORE (EOF - 1)

typedef enum {
    S_READING = 0,
    S_AT_END,
    S_FAILED,
} s_progress_t;

typedef enum {
    S_ROW_START = 0, // between rows, where empty lines are skipped
    S_FIELD_START,
    S_UNQUOTED,
    S_QUOTED,
    S_QUOTE_IN_QUOTED, // a quote inside a quoted field: "" or the end
} s_state_t;

struct _csv_t {
    FILE *file;          // borrowed; NULL for a fed reader
    bytebuf_t input;     // fed reader: bytes fed and not yet read
    bool input_ended;    // csv_feed_end was called
    bytebuf_t row;       // fields of the row, each NUL-terminated
    size_t *starts;      // offset of each field in row
    size_t field_count;  // fields of the row
    size_t starts_space; // entries allocated
    size_t line;         // line of the next byte, from 1
    size_t row_line;     // line the row read last starts on
    size_t quote_line;   // line the open quoted field starts on
    s_state_t state;     // where in the row the next byte goes
    s_progress_t progress;
    char error[CSV_ERROR_MAX];
};

static csv_t *
s_new (FILE *file)
{
    csv_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->file = file;
    self->line = 1;
    self->starts = malloc (S_FIELDS_INITIAL * sizeof *self->starts);
    if (!self->starts) {
        csv_destroy (&self);
        return NULL;
    }
    self->starts_space = S_FIELDS_INITIAL;
    return self;
}

csv_t *
csv_new (FILE *file)
{
    assert (file);
    return s_new (file);
}

csv_t *
csv_new_fed (void)
{
    return s_new (NULL);
}

void
csv_destroy (csv_t **self_p)
{
    assert (self_p);
    csv_t *self = *self_p;
    if (!self)
        return;
    bytebuf_free (&self->input);
    bytebuf_free (&self->row);
    free (self->starts);
    free (self);
    *self_p = NULL;
}

int
csv_feed (csv_t *self, const void *data, size_t size)
{
    assert (self);
    assert (!self->file);
    assert (data || size == 0);
    if (self->input_ended)
        return -1;
    return bytebuf_append (&self->input, data, size);
}

void
csv_feed_end (csv_t *self)
{
    assert (self);
    assert (!self->file);
    self->input_ended = true;
}

static int
s_fail (csv_t *self, size_t line, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Record an error about line; returns -1 for the caller to pass on.
static int
s_fail (csv_t *self, size_t line, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof self->error, format, args);
    va_end (args);
    self->row_line = line;
    self->progress = S_FAILED;
    return -1;
}

//  The next byte of a fed reader, as s_getc says.
static int
s_fed_getc (csv_t *self)
{
    size_t left = self->input.size - self->input.read;
    if (left == 0)
        return self->input_ended ? EOF : S_NEED_MORE;
    const char *next = self->input.data + self->input.read;
    if (*next == '\r' && left == 1 && !self->input_ended)
        return S_NEED_MORE; // the LF of a CRLF may be in the next piece
    if (*next == '\r' && left > 1 && next[1] == '\n') {
        self->input.read += 2;
        return '\n';
    }
    self->input.read++;
    return (unsigned char)*next;
}

//  The next byte, with CRLF read as one LF; EOF at the end or on a read
//  error; S_NEED_MORE, with nothing read, when a fed reader must be fed.
static int
s_getc (csv_t *self)
{
    if (!self->file)
        return s_fed_getc (self);
    int c = getc_unlocked (self->file);
    if (c == '\r') {
        int next = getc_unlocked (self->file);
        if (next == '\n')
            return '\n';
        if (next != EOF)
            ungetc (next, self->file);
    }
    return c;
}

static int
s_append (csv_t *self, char byte)
{
    if (self->row.size + 1 > CSV_ROW_MAX)
        return s_fail (self, self->row_line,
                       "the row is longer than %d bytes (is a quote never "
                       "closed?)",
                       CSV_ROW_MAX);
    if (bytebuf_append (&self->row, &byte, 1) == -1)
        return s_fail (self, self->row_line, "out of memory");
    return 0;
}

static int
s_field_start (csv_t *self)
{
    if (self->field_count == CSV_FIELDS_MAX)
        return s_fail (self, self->row_line, "the row has more than %d fields",
                       CSV_FIELDS_MAX);
    if (self->field_count == self->starts_space) {
        size_t space = self->starts_space * 2;
        size_t *starts = realloc (self->starts, space * sizeof *starts);
        if (!starts)
            return s_fail (self, self->row_line, "out of memory");
        self->starts = starts;
        self->starts_space = space;
    }
    self->starts[self->field_count++] = self->row.size;
    return 0;
}

//  At the end of the input: was it a clean end or a failed read?
static int
s_read_error (csv_t *self)
{
    if (!self->file || !ferror (self->file))
        return 0;
    return s_fail (self, self->line, "cannot read: %s",
                   strerror (errno ? errno : EIO));
}

int
csv_next (csv_t *self)
{
    assert (self);
    if (self->progress == S_AT_END)
        return 0;
    if (self->progress == S_FAILED)
        return -1;
    //  The state lives in self, not here: a fed reader may stop at any
    //  byte for want of input and go on from there when fed.
    while (true) {
        int c = s_getc (self);
        if (c == S_NEED_MORE)
            return 0;
        if (self->state == S_ROW_START) {
            if (c == '\n') {
                self->line++;
                continue;
            }
            if (c == EOF) {
                if (s_read_error (self) == -1)
                    return -1;
                self->progress = S_AT_END;
                return 0;
            }
            bytebuf_reset (&self->row);
            self->field_count = 0;
            self->row_line = self->line;
            if (s_field_start (self) == -1)
                return -1;
            self->state = S_FIELD_START;
        }
        bool row_ends = false;
        if (c == '\0')
            return s_fail (self, self->line, "a NUL byte is not text");
        switch (self->state) {
        case S_ROW_START:
            assert (false); // left above
            break;
        case S_FIELD_START:
            if (c == '"') {
                self->state = S_QUOTED;
                self->quote_line = self->line;
                continue;
            }
            self->state = S_UNQUOTED;
            // fall through
        case S_UNQUOTED:
            if (c == '"')
                return s_fail (self, self->line,
                               "field %zu has a double quote but does not "
                               "start with one; quote the whole field and "
                               "double the quotes inside",
                               self->field_count);
            row_ends = c == '\n' || c == EOF;
            break;
        case S_QUOTED:
            if (c == EOF) {
                if (s_read_error (self) == -1)
                    return -1;
                return s_fail (self, self->quote_line,
                               "field %zu opens a quote that is never closed",
                               self->field_count);
            }
            if (c == '"') {
                self->state = S_QUOTE_IN_QUOTED;
                continue;
            }
            if (c == '\n')
                self->line++;
            if (s_append (self, (char)c) == -1)
                return -1;
            continue;
        case S_QUOTE_IN_QUOTED:
            if (c == '"') {
                self->state = S_QUOTED;
                if (s_append (self, '"') == -1)
                    return -1;
                continue;
            }
            if (c != ',' && c != '\n' && c != EOF)
                return s_fail (self, self->line,
                               "field %zu has text after its closing quote",
                               self->field_count);
            row_ends = c == '\n' || c == EOF;
            break;
        }
        if (c == ',' || row_ends) {
            if (s_append (self, '\0') == -1)
                return -1;
            if (row_ends) {
                if (c == '\n')
                    self->line++;
                else if (s_read_error (self) == -1)
                    return -1;
                self->state = S_ROW_START;
                return 1;
            }
            if (s_field_start (self) == -1)
                return -1;
            self->state = S_FIELD_START;
            continue;
        }
        if (s_append (self, (char)c) == -1)
            return -1;
    }
}

size_t
csv_fields (const csv_t *self)
{
    assert (self);
    return self->field_count;
}

const char *
csv_field (const csv_t *self, size_t index)
{
    assert (self);
    assert (index < self->field_count);
    return self->row.data + self->starts[index];
}

size_t
csv_field_size (const csv_t *self, size_t index)
{
    assert (self);
    assert (index < self->field_count);
    size_t end = index + 1 < self->field_count ? self->starts[index + 1]
                                               : self->row.size;
    return end - self->starts[index] - 1;
}

size_t
csv_line (const csv_t *self)
{
    assert (self);
    return self->row_line;
}

const char *
csv_error (const csv_t *self)
{
    assert (self);
    return self->error;
}
