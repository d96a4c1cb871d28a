/*  docstream - the top level of a JSON document, read as its bytes arrive.

    Two scans run over every byte. The raw scan is jsondoc_parse's, done
    as the bytes go by instead of over the whole text: bracket depth
    counted outside strings (whatever the structure), and the first raw
    control character. The structural scan is a small state machine for
    the top-level object and the split array; inside a value it only
    follows strings, escapes and brackets (a stack of bracket kinds, one
    bit a level) to find where the value ends, and keeps its bytes. A
    finished value goes to cJSON whole; where cJSON stops short, the error
    is placed by walking the value's bytes from where it started.

    Bytes between tokens are skipped as cJSON skips them (anything up to
    U+0020), a byte order mark is skipped at the start as jsondoc does,
    and errors found while reading the structure are placed where cJSON
    would place them: at the unexpected byte, or at the last byte when the
    text ends too soon.

    SPDX-License-Identifier: MPL-2.0
*/
#include "docstream.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "jsonstr.h"

#define S_UTF8_BOM "\xEF\xBB\xBF"

typedef enum {
    S_BOM,              // the first bytes, perhaps a byte order mark
    S_DOCUMENT,         // before the document's value
    S_KEY_OR_CLOSE,     // after the document's '{'
    S_KEY,              // after ',' between members
    S_COLON,            // after a member's name
    S_MEMBER_VALUE,     // after ':'
    S_AFTER_MEMBER,     // after a member's value
    S_ELEMENT_OR_CLOSE, // after the split array's '['
    S_ELEMENT,          // after ',' between elements
    S_AFTER_ELEMENT,    // after an element
    S_AFTER_DOCUMENT,   // after the document's value
    S_STOPPED,          // after an error: only the raw scan goes on
} s_state_t;

//  What the value being kept is.
typedef enum {
    S_FOR_DOCUMENT, // the whole document, not an object
    S_FOR_KEY,      // a member's name
    S_FOR_MEMBER,   // a member's value
    S_FOR_ELEMENT,  // an element of the split array
} s_purpose_t;

typedef enum {
    S_NONE = 0,
    S_SCALAR,    // a number or a literal: ends before a delimiter
    S_STRING,    // ends after its closing quote
    S_CONTAINER, // ends after the bracket that closes the first
} s_kind_t;

typedef struct {
    size_t line;   // from 1
    size_t column; // from 1, in characters
} s_position_t;

struct _docstream_t {
    char *split_name;
    int nesting_max;
    size_t members_max;
    size_t element_max;

    bytebuf_t input; // fed; scanned up to input.read
    bool ended;      // docstream_feed_end was called

    s_position_t next;  // of the next byte to scan
    s_position_t last;  // of the last byte scanned
    size_t bom_matched; // bytes of a byte order mark matched so far
    size_t boms;        // byte order marks skipped
    s_position_t bom_at;
    bool any_text; // a byte other than blanks, after the byte order mark

    //  The raw scan.
    int raw_depth;
    bool raw_in_string;
    bool raw_escape;
    bool control_found;
    s_position_t control_at;
    unsigned char control_byte;

    //  The structural scan.
    s_state_t state;
    char *name;         // the member being read; NULL before the first
    bool name_is_split; // it is the split member
    size_t index;       // the next element's
    size_t members_bytes;

    //  The value being kept.
    s_kind_t kind;
    s_purpose_t purpose;
    bytebuf_t value;
    s_position_t value_at; // of its first byte
    bool value_in_string;
    bool value_escape;
    uint64_t brackets; // bit n set: level n is an object
    int bracket_depth;

    //  Errors below nesting wait for the end of the document. An error
    //  placed after a byte takes the position of the byte that follows,
    //  or of the last byte when none does.
    bool held;
    fielderr_t held_error;
    bool held_after;
    uint64_t held_scanned; // bytes scanned when it was found
    uint64_t scanned;      // bytes scanned in all
    fielderr_t error;
    docstream_event_t outcome; // END or FAILED once reached; MORE before
};

docstream_t *
docstream_new (const docstream_config_t *config)
{
    assert (config);
    assert (config->split_name);
    assert (config->nesting_max >= 1 &&
            config->nesting_max <= DOCSTREAM_NESTING_MAX);
    docstream_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->split_name = strdup (config->split_name);
    if (!self->split_name) {
        free (self);
        return NULL;
    }
    self->nesting_max = config->nesting_max;
    self->members_max = config->members_max;
    self->element_max = config->element_max;
    self->next = (s_position_t){1, 1};
    self->last = self->next;
    self->state = S_BOM;
    return self;
}

void
docstream_destroy (docstream_t **self_p)
{
    assert (self_p);
    docstream_t *self = *self_p;
    if (!self)
        return;
    bytebuf_free (&self->input);
    bytebuf_free (&self->value);
    free (self->name);
    free (self->split_name);
    free (self);
    *self_p = NULL;
}

static docstream_event_t
s_fail (docstream_t *self, const fielderr_t *error)
{
    self->error = *error;
    self->outcome = DOCSTREAM_FAILED;
    return DOCSTREAM_FAILED;
}

static void
s_hold (docstream_t *self, const char *field, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Keep the first error that waits for the end, and stop reading the
//  structure.
static void
s_hold (docstream_t *self, const char *field, const char *format, ...)
{
    self->state = S_STOPPED;
    self->kind = S_NONE;
    bytebuf_reset (&self->value);
    if (self->held)
        return;
    self->held = true;
    char message[FIELDERR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    fielderr_set (&self->held_error, field, "%s", message);
}

static void
s_hold_at (docstream_t *self, s_position_t at)
{
    s_hold (self, "", "not valid JSON near line %zu column %zu", at.line,
            at.column);
}

//  An error placed on the byte after the last one scanned, which is the
//  last byte when the text ends there (cJSON's rule). Which it is shows
//  at the end.
static void
s_hold_after_last (docstream_t *self)
{
    bool first = !self->held;
    s_hold_at (self, self->next);
    if (first) {
        self->held_after = true;
        self->held_scanned = self->scanned;
    }
}

int
docstream_feed (docstream_t *self, const void *data, size_t size)
{
    assert (self);
    assert (!self->ended);
    assert (data || size == 0);
    if (self->outcome != DOCSTREAM_MORE)
        return 0;
    if (bytebuf_append (&self->input, data, size) == -1) {
        fielderr_t error;
        fielderr_set (&error, "", "out of memory");
        s_fail (self, &error);
        return -1;
    }
    return 0;
}

void
docstream_feed_end (docstream_t *self)
{
    assert (self);
    self->ended = true;
}

const fielderr_t *
docstream_error (const docstream_t *self)
{
    assert (self);
    return &self->error;
}

static bool
s_is_blank (unsigned char byte)
{
    return byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r';
}

//  cJSON skips every byte up to U+0020 between tokens.
static bool
s_is_skipped (unsigned char byte)
{
    return byte <= 0x20;
}

static void
s_advance (s_position_t *position, unsigned char byte)
{
    if (byte == '\n') {
        position->line++;
        position->column = 1;
    } else if ((byte & 0xC0) != 0x80)
        position->column++;
}

//  The raw scan of one byte, and its position. Returns false when the
//  nesting is now too deep.
static inline bool
s_raw (docstream_t *self, unsigned char byte)
{
    if (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r' &&
        !self->control_found) {
        self->control_found = true;
        self->control_at = self->next;
        self->control_byte = byte;
    }
    self->last = self->next;
    s_advance (&self->next, byte);
    self->scanned++;
    if (self->raw_in_string) {
        if (self->raw_escape)
            self->raw_escape = false;
        else if (byte == '\\')
            self->raw_escape = true;
        else if (byte == '"')
            self->raw_in_string = false;
    } else if (byte == '"')
        self->raw_in_string = true;
    else if (byte == '[' || byte == '{') {
        if (++self->raw_depth > self->nesting_max)
            return false;
    } else if ((byte == ']' || byte == '}') && self->raw_depth > 0)
        self->raw_depth--;
    return true;
}

static docstream_event_t
s_too_deep (docstream_t *self)
{
    fielderr_t error;
    fielderr_set (&error, "", "nested deeper than %d levels",
                  self->nesting_max);
    return s_fail (self, &error);
}

//  Start keeping a value whose first byte, just scanned, is byte.
static void
s_start_value (docstream_t *self, unsigned char byte, s_purpose_t purpose)
{
    bytebuf_reset (&self->value);
    bytebuf_append (&self->value, &byte, 1);
    self->purpose = purpose;
    self->value_at = self->last;
    self->value_in_string = false;
    self->value_escape = false;
    self->bracket_depth = 0;
    self->brackets = 0;
    if (byte == '"') {
        self->kind = S_STRING;
    } else if (byte == '{' || byte == '[') {
        self->kind = S_CONTAINER;
        self->bracket_depth = 1;
        self->brackets = byte == '{' ? 1 : 0;
    } else
        self->kind = S_SCALAR;
}

//  A byte inside a string that changes nothing but the position: no
//  quote, no escape, no control byte, no line break.
static inline bool
s_is_plain (unsigned char byte)
{
    return byte >= 0x20 && byte != '"' && byte != '\\';
}

//  Inside a string of the value being kept, with no escape pending, scan
//  the run of plain bytes from data (at most size) at once: what s_raw
//  and the loop below would do byte by byte, which for plain bytes is
//  only moving the position. Returns the run's length.
static size_t
s_scan_plain (docstream_t *self, const unsigned char *data, size_t size)
{
    size_t run = 0;
    size_t characters = 0;
    while (run < size && s_is_plain (data[run])) {
        characters += (data[run] & 0xC0) != 0x80;
        run++;
    }
    if (run == 0)
        return 0;
    bool last_counts = (data[run - 1] & 0xC0) != 0x80;
    self->last = self->next;
    self->last.column += characters - (last_counts ? 1 : 0);
    self->next.column += characters;
    self->scanned += run;
    return run;
}

//  Scan the bytes of the value being kept, as many as belong to it.
//  Returns how many were scanned; *done says the value is complete (a
//  scalar's delimiter is left unscanned); *too_deep that the raw scan
//  failed on the last byte scanned.
static size_t
s_scan_value (docstream_t *self, const unsigned char *data, size_t size,
              bool *done, bool *too_deep)
{
    *done = false;
    *too_deep = false;
    for (size_t at = 0; at < size; at++) {
        if (self->raw_in_string && !self->raw_escape && !self->value_escape &&
            (self->kind == S_STRING || self->value_in_string)) {
            at += s_scan_plain (self, data + at, size - at);
            if (at == size)
                break;
        }
        unsigned char byte = data[at];
        if (self->kind == S_SCALAR && (s_is_skipped (byte) || byte == ',' ||
                                       byte == ']' || byte == '}')) {
            *done = true;
            return at;
        }
        if (!s_raw (self, byte)) {
            *too_deep = true;
            return at + 1;
        }
        if (self->kind == S_SCALAR)
            continue;
        if (self->kind == S_STRING || self->value_in_string) {
            if (self->value_escape)
                self->value_escape = false;
            else if (byte == '\\')
                self->value_escape = true;
            else if (byte == '"') {
                self->value_in_string = false;
                if (self->kind == S_STRING) {
                    *done = true;
                    return at + 1;
                }
            }
        } else if (byte == '"')
            self->value_in_string = true;
        else if (byte == '{' || byte == '[') {
            //  Past the stack (the raw scan allows no more unless the two
            //  disagree on a broken text): let cJSON say what is wrong.
            if (self->bracket_depth == DOCSTREAM_NESTING_MAX) {
                *done = true;
                return at + 1;
            }
            uint64_t bit = (uint64_t)1 << self->bracket_depth;
            self->brackets =
                byte == '{' ? self->brackets | bit : self->brackets & ~bit;
            self->bracket_depth++;
        } else if (byte == '}' || byte == ']') {
            uint64_t bit = (uint64_t)1 << (self->bracket_depth - 1);
            bool is_object = (self->brackets & bit) != 0;
            self->bracket_depth--;
            //  A bracket of the wrong kind also ends the value, and cJSON
            //  places the error.
            if (self->bracket_depth == 0 || is_object != (byte == '}')) {
                *done = true;
                return at + 1;
            }
        }
    }
    return size;
}

//  The position of the byte offset bytes into the value being kept.
static s_position_t
s_value_position (const docstream_t *self, size_t offset)
{
    s_position_t position = self->value_at;
    for (size_t at = 0; at < offset && at < self->value.size; at++)
        s_advance (&position, (unsigned char)self->value.data[at]);
    return position;
}

//  Check the size of the value being kept against its limit. Returns -1
//  (the error held) when it is over.
static int
s_check_size (docstream_t *self)
{
    size_t size = self->value.size;
    if (self->purpose == S_FOR_ELEMENT) {
        if (size <= self->element_max)
            return 0;
        char field[FIELDERR_FIELD_MAX];
        snprintf (field, sizeof field, "%s[%zu]", self->split_name,
                  self->index);
        s_hold (self, field,
                "is larger than %zu bytes, the most one element of \"%s\" "
                "may hold",
                self->element_max, self->split_name);
        return -1;
    }
    if (self->members_bytes + size <= self->members_max)
        return 0;
    if (self->purpose == S_FOR_DOCUMENT)
        s_hold (self, "", "is larger than %zu bytes and not a JSON object",
                self->members_max);
    else
        s_hold (self, self->purpose == S_FOR_MEMBER ? self->name : "",
                "makes the members of the document other than \"%s\" "
                "larger than %zu bytes together",
                self->split_name, self->members_max);
    return -1;
}

//  The value being kept is complete (or the text ended in it): parse it
//  and say what it is.
static docstream_event_t
s_value_done (docstream_t *self, docstream_item_t *item)
{
    self->kind = S_NONE;
    if (self->value.failed) {
        fielderr_t error;
        fielderr_set (&error, "", "out of memory");
        return s_fail (self, &error);
    }
    const char *text = self->value.data;
    size_t size = self->value.size;
    //  No value starts otherwise; and alone, cJSON would skip a byte order
    //  mark at the start that in the document is an error.
    if (!strchr ("-0123456789\"[{ntf", text[0])) {
        s_hold_at (self, self->value_at);
        return DOCSTREAM_MORE;
    }
    //  cJSON is given a byte after the value that no value can hold, so
    //  that it fails there, and not on the value's last byte, where the
    //  value alone does not show what is wrong; in the document, that is
    //  the byte that follows, or the last when none does.
    if (bytebuf_append (&self->value, "\x7f", 1) == -1) {
        fielderr_t error;
        fielderr_set (&error, "", "out of memory");
        return s_fail (self, &error);
    }
    text = self->value.data;
    const char *end = NULL;
    cJSON *value = cJSON_ParseWithLengthOpts (text, size + 1, &end, 0);
    self->value.size = size;
    self->value.data[size] = '\0';
    size_t parsed =
        end && end >= text && end <= text + size + 1 ? (size_t)(end - text) : 0;
    if (!value && parsed >= size) {
        s_hold_after_last (self);
        return DOCSTREAM_MORE;
    }
    size_t nul = value ? jsonstr_nul_escape_at (text, size) : size;
    if (nul < size) {
        s_position_t at = s_value_position (self, nul);
        s_hold (self, "",
                "not valid here near line %zu column %zu: a string holds "
                "\\u0000 (NUL), which pdfpipe refuses rather than cut the "
                "string short",
                at.line, at.column);
        cJSON_Delete (value);
        return DOCSTREAM_MORE;
    }
    if (!value || parsed < size) {
        s_position_t at = s_value_position (self, parsed);
        //  What follows a whole document is text after its end, even
        //  where the two touch ("2t").
        if (value && self->purpose == S_FOR_DOCUMENT)
            s_hold (self, "",
                    "not valid JSON near line %zu column %zu: text after "
                    "the end of the document",
                    at.line, at.column);
        else
            s_hold_at (self, at);
        cJSON_Delete (value);
        return DOCSTREAM_MORE;
    }
    switch (self->purpose) {
    case S_FOR_KEY:
        free (self->name);
        self->name = strdup (cJSON_IsString (value) && value->valuestring
                                 ? value->valuestring
                                 : "");
        cJSON_Delete (value);
        if (!self->name) {
            fielderr_t error;
            fielderr_set (&error, "", "out of memory");
            return s_fail (self, &error);
        }
        self->members_bytes += size;
        self->name_is_split = strcmp (self->name, self->split_name) == 0;
        self->state = S_COLON;
        return DOCSTREAM_MORE;
    case S_FOR_MEMBER:
        self->members_bytes += size;
        self->state = S_AFTER_MEMBER;
        item->name = self->name;
        item->value = value;
        return DOCSTREAM_MEMBER;
    case S_FOR_ELEMENT:
        self->state = S_AFTER_ELEMENT;
        item->value = value;
        item->index = self->index++;
        return DOCSTREAM_ELEMENT;
    case S_FOR_DOCUMENT:
        self->members_bytes += size;
        self->state = S_AFTER_DOCUMENT;
        item->value = value;
        return DOCSTREAM_VALUE;
    }
    assert (false);
    return DOCSTREAM_MORE;
}

//  A byte between values, just scanned. Returns an event (an ARRAY), or
//  MORE.
static docstream_event_t
s_structure (docstream_t *self, unsigned char byte, docstream_item_t *item)
{
    if (self->state == S_BOM) {
        //  jsondoc skips one byte order mark and cJSON, in what follows,
        //  another; the second counts as text for "empty document".
        if (byte == (unsigned char)S_UTF8_BOM[self->bom_matched]) {
            if (self->bom_matched++ == 0)
                self->bom_at = self->last;
            if (self->boms == 1)
                self->any_text = true;
            if (self->bom_matched == 3) {
                self->bom_matched = 0;
                if (++self->boms == 2)
                    self->state = S_DOCUMENT;
            }
            return DOCSTREAM_MORE;
        }
        if (self->bom_matched > 0) {
            //  Part of a byte order mark starts no JSON value.
            self->any_text = true;
            s_hold_at (self, self->bom_at);
            return DOCSTREAM_MORE;
        }
        self->state = S_DOCUMENT;
    }
    if (!s_is_blank (byte))
        self->any_text = true;
    if (self->state == S_STOPPED)
        return DOCSTREAM_MORE;
    if (self->state == S_AFTER_DOCUMENT) {
        if (!s_is_blank (byte))
            s_hold (self, "",
                    "not valid JSON near line %zu column %zu: text after "
                    "the end of the document",
                    self->last.line, self->last.column);
        return DOCSTREAM_MORE;
    }
    if (s_is_skipped (byte))
        return DOCSTREAM_MORE;
    bool closes = byte == ',' || byte == ']' || byte == '}';
    switch (self->state) {
    case S_DOCUMENT:
        if (byte == '{')
            self->state = S_KEY_OR_CLOSE;
        else if (closes)
            s_hold_at (self, self->last);
        else
            s_start_value (self, byte, S_FOR_DOCUMENT);
        break;
    case S_KEY_OR_CLOSE:
    case S_KEY:
        if (byte == '"')
            s_start_value (self, byte, S_FOR_KEY);
        else if (byte == '}' && self->state == S_KEY_OR_CLOSE)
            self->state = S_AFTER_DOCUMENT;
        else
            s_hold_after_last (self);
        break;
    case S_COLON:
        if (byte == ':')
            self->state = S_MEMBER_VALUE;
        else
            s_hold_at (self, self->last);
        break;
    case S_MEMBER_VALUE:
        if (byte == '[' && self->name_is_split) {
            self->state = S_ELEMENT_OR_CLOSE;
            self->index = 0;
            item->name = self->name;
            return DOCSTREAM_ARRAY;
        }
        if (closes)
            s_hold_at (self, self->last);
        else
            s_start_value (self, byte, S_FOR_MEMBER);
        break;
    case S_AFTER_MEMBER:
        if (byte == ',')
            self->state = S_KEY;
        else if (byte == '}')
            self->state = S_AFTER_DOCUMENT;
        else
            s_hold_at (self, self->last);
        break;
    case S_ELEMENT_OR_CLOSE:
    case S_ELEMENT:
        if (byte == ']' && self->state == S_ELEMENT_OR_CLOSE)
            self->state = S_AFTER_MEMBER;
        else if (closes)
            s_hold_at (self, self->last);
        else
            s_start_value (self, byte, S_FOR_ELEMENT);
        break;
    case S_AFTER_ELEMENT:
        if (byte == ',')
            self->state = S_ELEMENT;
        else if (byte == ']')
            self->state = S_AFTER_MEMBER;
        else
            s_hold_at (self, self->last);
        break;
    default:
        break;
    }
    return DOCSTREAM_MORE;
}

//  The whole document has been scanned: the outcome, in the order the
//  errors rank.
static docstream_event_t
s_finish (docstream_t *self, docstream_item_t *item)
{
    //  cJSON skips the second byte order mark only when at least two
    //  bytes follow it; at most one does in a text this short.
    if (self->boms == 2 && self->scanned < 8) {
        self->held = false;
        self->held_after = false;
        s_hold_at (self, self->bom_at);
    }
    if (self->kind != S_NONE) {
        //  A scalar ends with the text; anything else is cut short.
        docstream_event_t event = s_value_done (self, item);
        if (event != DOCSTREAM_MORE)
            return event;
    }
    fielderr_t error;
    if (self->state == S_BOM && self->bom_matched > 0) {
        self->any_text = true;
        s_hold_at (self, self->bom_at);
    } else if (!self->any_text) {
        fielderr_set (&error, "", "empty document");
        return s_fail (self, &error);
    }
    if (self->control_found) {
        fielderr_set (&error, "",
                      "not valid JSON near line %zu column %zu: control "
                      "character U+%04X is not allowed there",
                      self->control_at.line, self->control_at.column,
                      (unsigned)self->control_byte);
        return s_fail (self, &error);
    }
    if (!self->held && self->state != S_AFTER_DOCUMENT)
        s_hold_at (self, self->last);
    if (self->held_after && self->held_scanned == self->scanned)
        fielderr_set (&self->held_error, "",
                      "not valid JSON near line %zu column %zu",
                      self->last.line, self->last.column);
    if (self->held)
        return s_fail (self, &self->held_error);
    self->outcome = DOCSTREAM_END;
    return DOCSTREAM_END;
}

docstream_event_t
docstream_next (docstream_t *self, docstream_item_t *item)
{
    assert (self);
    assert (item);
    memset (item, 0, sizeof *item);
    if (self->outcome != DOCSTREAM_MORE)
        return self->outcome;
    const unsigned char *data = (const unsigned char *)self->input.data;
    while (self->input.read < self->input.size) {
        size_t at = self->input.read;
        size_t left = self->input.size - at;
        if (self->kind != S_NONE) {
            bool done, too_deep;
            size_t used =
                s_scan_value (self, data + at, left, &done, &too_deep);
            self->input.read += used;
            if (too_deep)
                return s_too_deep (self);
            if (bytebuf_append (&self->value, data + at, used) == -1) {
                fielderr_t error;
                fielderr_set (&error, "", "out of memory");
                return s_fail (self, &error);
            }
            if (s_check_size (self) == -1)
                continue;
            if (done) {
                docstream_event_t event = s_value_done (self, item);
                if (event != DOCSTREAM_MORE)
                    return event;
            }
            continue;
        }
        unsigned char byte = data[at];
        self->input.read++;
        if (!s_raw (self, byte))
            return s_too_deep (self);
        docstream_event_t event = s_structure (self, byte, item);
        if (event != DOCSTREAM_MORE)
            return event;
    }
    if (self->ended)
        return s_finish (self, item);
    return DOCSTREAM_MORE;
}
