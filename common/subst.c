/*  subst - {{field}} substitution in template strings.

    A compiled string is a list of parts (literal text, a record field, the
    page number, the page count) over one buffer that holds each literal and
    each field path NUL-terminated. Expansion resolves every field twice:
    once to measure the result and once to write it, so the only allocation
    is the result itself. Path resolution walks the record without building
    strings and without recursion.

    Numeric path segments must not have leading zeros, so two different
    paths never reach the same value; the ventilator relies on that to check
    each distinct field once per record.

    SPDX-License-Identifier: MPL-2.0
*/
#include "subst.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_INDEX_DIGITS_MAX 9 // longer numeric segments are never an index
#define S_QUOTE_MAX 40       // bytes of a bad placeholder quoted in errors
#define S_INTEGER_EXACT_MAX 9007199254740992.0 // 2^53

typedef enum {
    S_LITERAL,
    S_FIELD,
    S_PAGE,
    S_PAGES,
} s_kind_t;

typedef struct {
    s_kind_t kind;
    size_t offset; // into strings
    size_t length; // bytes, without the NUL
} s_part_t;

struct _subst_t {
    char *strings; // literals and field paths, each NUL-terminated
    size_t strings_used;
    s_part_t *parts;
    size_t part_count;
    size_t part_max;
    size_t *fields; // indexes into parts of the S_FIELD parts
    size_t field_count;
    char *origin; // JSON path of the source string
};

// ---------------------------------------------------------------------------
// UTF-8 and WinAnsi

//  WinAnsiEncoding bytes 0x80-0x9F and the characters they draw (PDF 32000
//  Annex D); 0 marks the five unused codes. Everything else that WinAnsi
//  draws is U+0020-U+007E and U+00A0-U+00FF at the same byte.
static const uint16_t s_winansi_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

//  Decode one UTF-8 character; returns its length in bytes, or 0 when the
//  bytes are not valid UTF-8 (overlong forms and surrogates included).
static size_t
s_utf8_decode (const unsigned char *text, uint32_t *codepoint)
{
    unsigned char lead = text[0];
    size_t length;
    uint32_t value;
    if (lead < 0x80) {
        *codepoint = lead;
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        value = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        value = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        value = lead & 0x07;
    } else
        return 0;
    //  A NUL terminator fails the continuation test, so this never reads
    //  past the end of the string.
    for (size_t index = 1; index < length; index++) {
        if ((text[index] & 0xC0) != 0x80)
            return 0;
        value = (value << 6) | (text[index] & 0x3F);
    }
    if ((length == 3 && value < 0x800) ||
        (length == 4 && (value < 0x10000 || value > 0x10FFFF)) ||
        (value >= 0xD800 && value <= 0xDFFF))
        return 0;
    *codepoint = value;
    return length;
}

//  The WinAnsi byte for codepoint, or 0 when WinAnsi has none.
static unsigned char
s_winansi_byte (uint32_t codepoint)
{
    if ((codepoint >= 0x20 && codepoint <= 0x7E) ||
        (codepoint >= 0xA0 && codepoint <= 0xFF))
        return (unsigned char)codepoint;
    for (int index = 0; index < 32; index++) {
        if (s_winansi_high[index] && s_winansi_high[index] == codepoint)
            return (unsigned char)(0x80 + index);
    }
    return 0;
}

static int
s_is_control (uint32_t codepoint)
{
    return codepoint < 0x20 || (codepoint >= 0x7F && codepoint <= 0x9F);
}

typedef enum {
    S_DRAWABLE,
    S_INVALID_UTF8,
    S_CONTROL,
    S_NOT_IN_CHARSET,
} s_verdict_t;

//  Scan at most size bytes of text for the first character charset cannot
//  draw.
static s_verdict_t
s_charset_scan (const char *text, size_t size, subst_charset_t charset,
                uint32_t *codepoint, size_t *offset)
{
    const unsigned char *input = (const unsigned char *)text;
    size_t position = 0;
    while (position < size && input[position]) {
        size_t length = s_utf8_decode (input + position, codepoint);
        *offset = position;
        if (length == 0)
            return S_INVALID_UTF8;
        if (s_is_control (*codepoint))
            return S_CONTROL;
        if (charset == SUBST_CHARSET_WINANSI && !s_winansi_byte (*codepoint))
            return S_NOT_IN_CHARSET;
        position += length;
    }
    return S_DRAWABLE;
}

//  The end of a message about an undrawable character, after "contains".
static void
s_explain (s_verdict_t verdict, const char *text, size_t offset,
           uint32_t codepoint, char *buffer, size_t size)
{
    if (verdict == S_INVALID_UTF8)
        snprintf (buffer, size, "bytes that are not valid UTF-8");
    else if (verdict == S_CONTROL)
        snprintf (buffer, size,
                  "the control character U+%04X, which no font can draw",
                  (unsigned)codepoint);
    else {
        uint32_t ignored;
        int length =
            (int)s_utf8_decode ((const unsigned char *)text + offset, &ignored);
        snprintf (buffer, size,
                  "'%.*s' (U+%04X), which the standard PDF fonts cannot draw "
                  "(they only have the WinAnsi characters, roughly Latin-1)",
                  length, text + offset, (unsigned)codepoint);
    }
}

int
subst_charset_check (const char *text, subst_charset_t charset,
                     const char *field, fielderr_t *err)
{
    if (!text)
        return 0;
    uint32_t codepoint = 0;
    size_t offset = 0;
    s_verdict_t verdict =
        s_charset_scan (text, SIZE_MAX, charset, &codepoint, &offset);
    if (verdict == S_DRAWABLE)
        return 0;
    char explanation[FIELDERR_MESSAGE_MAX];
    s_explain (verdict, text, offset, codepoint, explanation,
               sizeof explanation);
    fielderr_set (err, field, "contains %s", explanation);
    return -1;
}

int
subst_winansi_encode (char *text)
{
    if (!text)
        return -1;
    unsigned char *input = (unsigned char *)text;
    size_t read = 0, written = 0;
    while (input[read]) {
        uint32_t codepoint;
        size_t length = s_utf8_decode (input + read, &codepoint);
        if (length == 0 || s_is_control (codepoint))
            return -1;
        unsigned char byte = s_winansi_byte (codepoint);
        if (!byte)
            return -1;
        input[written++] = byte;
        read += length;
    }
    input[written] = '\0';
    return 0;
}

// ---------------------------------------------------------------------------
// Compiling

static int
s_is_path_char (char next)
{
    return (next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z') ||
           (next >= '0' && next <= '9') || next == '_' || next == '-' ||
           next == '.';
}

//  True when path (length bytes) is segments of path characters joined by
//  single dots, with no numeric segment that has a leading zero.
static int
s_path_is_valid (const char *path, size_t length)
{
    size_t segment_start = 0;
    for (size_t index = 0; index <= length; index++) {
        if (index < length && path[index] != '.') {
            if (!s_is_path_char (path[index]))
                return 0;
            continue;
        }
        size_t segment_length = index - segment_start;
        if (segment_length == 0)
            return 0;
        const char *segment = path + segment_start;
        size_t digits = 0;
        while (digits < segment_length && segment[digits] >= '0' &&
               segment[digits] <= '9')
            digits++;
        if (digits == segment_length && segment_length > 1 && segment[0] == '0')
            return 0;
        segment_start = index + 1;
    }
    return 1;
}

//  1-based position in characters of offset in source, for messages.
static size_t
s_character_position (const char *source, size_t offset)
{
    size_t position = 1;
    for (size_t index = 0; index < offset; index++) {
        if (((unsigned char)source[index] & 0xC0) != 0x80)
            position++;
    }
    return position;
}

static int
s_add_part (subst_t *self, s_kind_t kind, const char *text, size_t length)
{
    if (self->part_count == self->part_max) {
        size_t part_max = self->part_max ? self->part_max * 2 : 4;
        if (part_max > SIZE_MAX / sizeof (s_part_t))
            return -1;
        s_part_t *parts = realloc (self->parts, part_max * sizeof (s_part_t));
        if (!parts)
            return -1;
        self->parts = parts;
        self->part_max = part_max;
    }
    s_part_t *part = &self->parts[self->part_count++];
    part->kind = kind;
    part->offset = self->strings_used;
    part->length = length;
    memcpy (self->strings + self->strings_used, text, length);
    self->strings[self->strings_used + length] = '\0';
    self->strings_used += length + 1;
    return 0;
}

//  Quote a bad placeholder's inside for a message, cut on a character
//  boundary.
static int
s_quote_length (const char *inside, size_t length)
{
    if (length <= S_QUOTE_MAX)
        return (int)length;
    size_t cut = S_QUOTE_MAX;
    while (cut > 0 && ((unsigned char)inside[cut] & 0xC0) == 0x80)
        cut--;
    return (int)cut;
}

//  Parse source into self's parts; returns -1 with err filled on a syntax
//  error, -2 when out of memory.
static int
s_parse (subst_t *self, const char *source, const char *field, fielderr_t *err)
{
    size_t length = strlen (source);
    size_t position = 0;
    while (position < length) {
        const char *open = strstr (source + position, "{{");
        size_t literal_end = open ? (size_t)(open - source) : length;
        if (literal_end > position) {
            int rc = s_add_part (self, S_LITERAL, source + position,
                                 literal_end - position);
            if (rc)
                return -2;
        }
        if (!open)
            break;
        size_t open_at = literal_end;
        const char *close = strstr (open + 2, "}}");
        if (!close) {
            fielderr_set (err, field,
                          "unclosed placeholder: '{{' at character %zu has no "
                          "matching '}}'",
                          s_character_position (source, open_at));
            return -1;
        }
        const char *inside = open + 2;
        size_t inside_length = (size_t)(close - inside);
        const char *path = inside;
        size_t path_length = inside_length;
        while (path_length > 0 && (*path == ' ' || *path == '\t')) {
            path++;
            path_length--;
        }
        while (path_length > 0 &&
               (path[path_length - 1] == ' ' || path[path_length - 1] == '\t'))
            path_length--;
        if (path_length == 0) {
            fielderr_set (err, field,
                          "empty placeholder at character %zu; expected a "
                          "field path such as {{customer.name}}",
                          s_character_position (source, open_at));
            return -1;
        }
        if (!s_path_is_valid (path, path_length)) {
            int quoted = s_quote_length (inside, inside_length);
            fielderr_set (
                err, field,
                "invalid placeholder '{{%.*s%s}}' at character %zu: a field "
                "path is names of letters, digits, '_' or '-' joined by '.', "
                "with numbers written without leading zeros, such as "
                "{{customer.name}} or {{items.0.desc}}",
                quoted, inside, (size_t)quoted < inside_length ? "..." : "",
                s_character_position (source, open_at));
            return -1;
        }
        s_kind_t kind = S_FIELD;
        if (path_length == 4 && memcmp (path, "page", 4) == 0)
            kind = S_PAGE;
        else if (path_length == 5 && memcmp (path, "pages", 5) == 0)
            kind = S_PAGES;
        int rc = s_add_part (self, kind, path, path_length);
        if (rc)
            return -2;
        position = (size_t)(close - source) + 2;
    }
    return 0;
}

subst_t *
subst_compile (const char *source, const char *field, fielderr_t *err)
{
    if (!field)
        field = "";
    if (!source) {
        fielderr_set (err, field, "missing text");
        return NULL;
    }
    size_t length = strlen (source);
    subst_t *self = calloc (1, sizeof (subst_t));
    if (!self)
        goto out_of_memory;
    //  Every part is at most as long as the source text it comes from, and
    //  there are at most length + 1 parts, each with its NUL.
    if (length > SIZE_MAX / 2 - 2)
        goto out_of_memory;
    self->strings = malloc (2 * length + 2);
    self->origin = strdup (field);
    if (!self->strings || !self->origin)
        goto out_of_memory;
    int rc = s_parse (self, source, field, err);
    if (rc == -2)
        goto out_of_memory;
    if (rc == -1) {
        subst_destroy (&self);
        return NULL;
    }
    for (size_t index = 0; index < self->part_count; index++) {
        if (self->parts[index].kind == S_FIELD)
            self->field_count++;
    }
    if (self->field_count) {
        self->fields = calloc (self->field_count, sizeof (size_t));
        if (!self->fields)
            goto out_of_memory;
        size_t field_nbr = 0;
        for (size_t index = 0; index < self->part_count; index++) {
            if (self->parts[index].kind == S_FIELD)
                self->fields[field_nbr++] = index;
        }
    }
    return self;

out_of_memory:
    subst_destroy (&self);
    fielderr_set (err, field, "out of memory compiling this text");
    return NULL;
}

void
subst_destroy (subst_t **self_p)
{
    assert (self_p);
    subst_t *self = *self_p;
    if (!self)
        return;
    free (self->strings);
    free (self->parts);
    free (self->fields);
    free (self->origin);
    free (self);
    *self_p = NULL;
}

int
subst_is_literal (const subst_t *self)
{
    assert (self);
    for (size_t index = 0; index < self->part_count; index++) {
        if (self->parts[index].kind != S_LITERAL)
            return 0;
    }
    return 1;
}

const char *
subst_origin (const subst_t *self)
{
    assert (self);
    return self->origin;
}

size_t
subst_field_count (const subst_t *self)
{
    assert (self);
    return self->field_count;
}

const char *
subst_field (const subst_t *self, size_t index)
{
    assert (self);
    if (index >= self->field_count)
        return NULL;
    return self->strings + self->parts[self->fields[index]].offset;
}

// ---------------------------------------------------------------------------
// Resolving

//  True when segment (length bytes) is all digits, so it can pick an item.
static int
s_is_index (const char *segment, size_t length)
{
    for (size_t digit = 0; digit < length; digit++) {
        if (segment[digit] < '0' || segment[digit] > '9')
            return 0;
    }
    return length > 0;
}

//  Member or item of container named by segment (length bytes), or NULL.
//  An object is searched by name, an array by a segment of digits.
static const cJSON *
s_lookup (const cJSON *container, const char *segment, size_t length)
{
    if (cJSON_IsObject (container)) {
        for (const cJSON *member = container->child; member;
             member = member->next) {
            if (member->string &&
                strncmp (member->string, segment, length) == 0 &&
                member->string[length] == '\0')
                return member;
        }
        return NULL;
    }
    if (cJSON_IsArray (container)) {
        if (length > S_INDEX_DIGITS_MAX || !s_is_index (segment, length))
            return NULL;
        long index = 0;
        for (size_t digit = 0; digit < length; digit++)
            index = index * 10 + (segment[digit] - '0');
        const cJSON *item = container->child;
        while (item && index > 0) {
            item = item->next;
            index--;
        }
        return item;
    }
    return NULL;
}

static size_t
s_segment_length (const char *segment)
{
    const char *dot = strchr (segment, '.');
    return dot ? (size_t)(dot - segment) : strlen (segment);
}

//  The value at path in record, or NULL. On NULL, *failed_at is the offset
//  in path of the segment that could not be found and *parent the node it
//  was looked for in (NULL when the record itself is missing).
static const cJSON *
s_resolve (const cJSON *record, const char *path, size_t *failed_at,
           const cJSON **parent)
{
    const cJSON *node = record;
    size_t offset = 0;
    while (1) {
        size_t length = s_segment_length (path + offset);
        const cJSON *next =
            node ? s_lookup (node, path + offset, length) : NULL;
        if (!next) {
            *failed_at = offset;
            *parent = node;
            return NULL;
        }
        node = next;
        offset += length;
        if (path[offset] == '\0')
            return node;
        offset++;
    }
}

//  "records[N]" followed by path as a JSON path: array items as [i].
static void
s_record_field (const cJSON *record, const char *path, uint32_t record_nbr,
                char *buffer, size_t size)
{
    int written = snprintf (buffer, size, "records[%u]", (unsigned)record_nbr);
    size_t used = written > 0 ? (size_t)written : 0;
    const cJSON *node = record;
    size_t offset = 0;
    while (used < size) {
        size_t length = s_segment_length (path + offset);
        int is_item =
            cJSON_IsArray (node) && s_is_index (path + offset, length);
        written =
            snprintf (buffer + used, size - used, is_item ? "[%.*s]" : ".%.*s",
                      (int)length, path + offset);
        if (written < 0)
            break;
        used += (size_t)written;
        node = node ? s_lookup (node, path + offset, length) : NULL;
        offset += length;
        if (path[offset] == '\0')
            break;
        offset++;
    }
}

static const char *
s_kind_name (const cJSON *node)
{
    if (cJSON_IsString (node))
        return "a string";
    if (cJSON_IsNumber (node))
        return "a number";
    if (cJSON_IsBool (node))
        return "a boolean";
    if (cJSON_IsNull (node))
        return "null";
    if (cJSON_IsObject (node))
        return "an object";
    if (cJSON_IsArray (node))
        return "an array";
    return "not a value";
}

static int
s_count_items (const cJSON *array)
{
    int count = 0;
    for (const cJSON *item = array->child; item; item = item->next)
        count++;
    return count;
}

//  Fill err for a path that does not resolve.
static void
s_report_missing (const cJSON *record, const char *path, uint32_t record_nbr,
                  const char *used_by, size_t failed_at, const cJSON *parent,
                  fielderr_t *err)
{
    char field[FIELDERR_FIELD_MAX];
    s_record_field (record, path, record_nbr, field, sizeof field);
    const char *segment = path + failed_at;
    int prefix = failed_at ? (int)failed_at - 1 : 0;
    if (failed_at == 0 && !cJSON_IsObject (parent))
        fielderr_set (err, field,
                      "missing field '%s' used by %s: the record is not an "
                      "object",
                      path, used_by);
    else if (cJSON_IsArray (parent)) {
        if (!s_is_index (segment, s_segment_length (segment)))
            fielderr_set (err, field,
                          "missing field '%s' used by %s: '%.*s' is an "
                          "array, so an item number must follow it",
                          path, used_by, prefix, path);
        else
            fielderr_set (err, field,
                          "missing field '%s' used by %s: '%.*s' has %d "
                          "items, numbered from 0",
                          path, used_by, prefix, path, s_count_items (parent));
    } else if (!cJSON_IsObject (parent))
        fielderr_set (err, field,
                      "missing field '%s' used by %s: '%.*s' is %s, not an "
                      "object",
                      path, used_by, prefix, path, s_kind_name (parent));
    else
        fielderr_set (err, field, "missing field '%s' used by %s", path,
                      used_by);
}

//  Check that value is something a placeholder can insert; on failure fill
//  err and return -1.
static int
s_check_value (const cJSON *record, const char *path, uint32_t record_nbr,
               const char *used_by, const cJSON *value, fielderr_t *err)
{
    char problem[FIELDERR_DESCRIBE_MAX] = "";
    if (cJSON_IsString (value)) {
        const char *text = value->valuestring ? value->valuestring : "";
        if (strnlen (text, SUBST_VALUE_MAX + 1) > SUBST_VALUE_MAX)
            snprintf (problem, sizeof problem,
                      "is longer than the %d bytes a text may insert",
                      SUBST_VALUE_MAX);
    } else if (cJSON_IsNumber (value)) {
        if (!isfinite (value->valuedouble))
            snprintf (problem, sizeof problem,
                      "is a number too large to represent");
    } else if (!cJSON_IsBool (value))
        snprintf (problem, sizeof problem,
                  "is %s; expected a string, number or boolean",
                  s_kind_name (value));
    if (!problem[0])
        return 0;
    char field[FIELDERR_FIELD_MAX];
    s_record_field (record, path, record_nbr, field, sizeof field);
    fielderr_set (err, field, "field '%s' used by %s %s", path, used_by,
                  problem);
    return -1;
}

int
subst_check_field (const cJSON *record, const char *path, uint32_t record_nbr,
                   const char *used_by, subst_charset_t charset,
                   fielderr_t *err)
{
    assert (path);
    if (!used_by)
        used_by = "";
    size_t failed_at;
    const cJSON *parent;
    const cJSON *value = s_resolve (record, path, &failed_at, &parent);
    if (!value) {
        s_report_missing (record, path, record_nbr, used_by, failed_at, parent,
                          err);
        return -1;
    }
    int rc = s_check_value (record, path, record_nbr, used_by, value, err);
    if (rc)
        return -1;
    if (!cJSON_IsString (value))
        return 0;
    const char *text = value->valuestring ? value->valuestring : "";
    uint32_t codepoint = 0;
    size_t offset = 0;
    s_verdict_t verdict =
        s_charset_scan (text, SUBST_VALUE_MAX, charset, &codepoint, &offset);
    if (verdict == S_DRAWABLE)
        return 0;
    char explanation[FIELDERR_MESSAGE_MAX];
    s_explain (verdict, text, offset, codepoint, explanation,
               sizeof explanation);
    char field[FIELDERR_FIELD_MAX];
    s_record_field (record, path, record_nbr, field, sizeof field);
    fielderr_set (err, field, "field '%s' used by %s contains %s", path,
                  used_by, explanation);
    return -1;
}

// ---------------------------------------------------------------------------
// Expanding

size_t
subst_format_number (double number, char *buffer)
{
    int written = 0;
    if (number == floor (number) && fabs (number) < S_INTEGER_EXACT_MAX)
        written =
            snprintf (buffer, SUBST_NUMBER_MAX, "%lld", (long long)number);
    else {
        for (int precision = 15; precision <= 17; precision++) {
            written =
                snprintf (buffer, SUBST_NUMBER_MAX, "%.*g", precision, number);
            if (strtod (buffer, NULL) == number)
                break;
        }
    }
    return written > 0 ? (size_t)written : 0;
}

//  Text of the part at index for the given record and vars: either a
//  pointer into self or the record, or a number formatted into buffer.
//  Returns -1 with err filled when a field cannot be inserted.
static int
s_part_text (const subst_t *self, size_t index, const cJSON *record,
             const subst_vars_t *vars, char *buffer, const char **text,
             size_t *length, fielderr_t *err)
{
    const s_part_t *part = &self->parts[index];
    //  The literal text, or the field path, as compiled.
    const char *stored = self->strings + part->offset;
    if (part->kind == S_LITERAL) {
        *text = stored;
        *length = part->length;
        return 0;
    }
    if (part->kind == S_PAGE || part->kind == S_PAGES) {
        uint32_t number = part->kind == S_PAGE ? vars->page : vars->pages;
        int written =
            snprintf (buffer, SUBST_NUMBER_MAX, "%u", (unsigned)number);
        *text = buffer;
        *length = written > 0 ? (size_t)written : 0;
        return 0;
    }
    size_t failed_at;
    const cJSON *parent;
    const cJSON *value = s_resolve (record, stored, &failed_at, &parent);
    if (!value) {
        s_report_missing (record, stored, vars->record_nbr, self->origin,
                          failed_at, parent, err);
        return -1;
    }
    int rc = s_check_value (record, stored, vars->record_nbr, self->origin,
                            value, err);
    if (rc)
        return -1;
    if (cJSON_IsString (value)) {
        *text = value->valuestring ? value->valuestring : "";
        *length = strlen (*text);
    } else if (cJSON_IsNumber (value)) {
        *length = subst_format_number (value->valuedouble, buffer);
        *text = buffer;
    } else {
        *text = cJSON_IsTrue (value) ? "true" : "false";
        *length = strlen (*text);
    }
    return 0;
}

char *
subst_expand (const subst_t *self, const cJSON *record,
              const subst_vars_t *vars, fielderr_t *err)
{
    assert (self);
    subst_vars_t no_vars = {0, 0, 0};
    if (!vars)
        vars = &no_vars;
    char buffer[SUBST_NUMBER_MAX];
    const char *text;
    size_t length;
    size_t total = 0;
    for (size_t index = 0; index < self->part_count; index++) {
        int rc = s_part_text (self, index, record, vars, buffer, &text, &length,
                              err);
        if (rc)
            return NULL;
        if (length > SIZE_MAX - 1 - total) {
            fielderr_set (err, self->origin, "expanded text is too long");
            return NULL;
        }
        total += length;
    }
    char *result = malloc (total + 1);
    if (!result) {
        fielderr_set (err, self->origin, "out of memory expanding this text");
        return NULL;
    }
    size_t used = 0;
    for (size_t index = 0; index < self->part_count; index++) {
        //  Same inputs as the first pass, so this cannot fail.
        s_part_text (self, index, record, vars, buffer, &text, &length, err);
        memcpy (result + used, text, length);
        used += length;
    }
    result[used] = '\0';
    return result;
}
