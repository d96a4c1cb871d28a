/*  fielderr - an error that names the offending field of an input document.

    Everything put into a fielderr_t passes through one cleaner, so a field
    or message built from hostile input (keys with control characters,
    invalid UTF-8, text cut in the middle of a character) is still valid
    UTF-8 that a JSON answer or a log line can carry unchanged.

    The nesting check scans the raw text before cJSON parses it, because
    cJSON recurses once per level and its own limit (1000) is far above what
    a job document needs.

    SPDX-License-Identifier: MPL-2.0
*/
#include "fielderr.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define S_KNOWN_MAX 64           // names fielderr_check_fields can track
#define S_DESCRIBE_STRING_MAX 40 // bytes of a string value quoted in messages

//  Length of the valid UTF-8 sequence at text (at most available bytes), or
//  0 when it is invalid: bad lead byte, missing continuation, overlong form,
//  surrogate, or beyond U+10FFFF.
static size_t
s_utf8_sequence (const unsigned char *text, size_t available)
{
    unsigned char lead = text[0];
    size_t length;
    uint32_t codepoint;
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        codepoint = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        codepoint = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        codepoint = lead & 0x07;
    } else
        return 0;
    if (length > available)
        return 0;
    for (size_t index = 1; index < length; index++) {
        if ((text[index] & 0xC0) != 0x80)
            return 0;
        codepoint = (codepoint << 6) | (text[index] & 0x3F);
    }
    if ((length == 3 && codepoint < 0x800) ||
        (length == 4 && (codepoint < 0x10000 || codepoint > 0x10FFFF)) ||
        (codepoint >= 0xD800 && codepoint <= 0xDFFF))
        return 0;
    return length;
}

//  Copy source into target (size bytes, always terminated), replacing
//  control characters and invalid UTF-8 bytes with '?' and never cutting a
//  character in two.
static void
s_copy_clean (char *target, size_t size, const char *source)
{
    const unsigned char *input = (const unsigned char *)source;
    size_t available = strlen (source);
    size_t used = 0;
    while (available > 0) {
        size_t length = s_utf8_sequence (input, available);
        int replace = length == 0 || input[0] < 0x20 || input[0] == 0x7F;
        size_t consumed = length ? length : 1;
        size_t produced = replace ? 1 : length;
        if (used + produced >= size)
            break;
        if (replace)
            target[used] = '?';
        else
            memcpy (target + used, input, length);
        used += produced;
        input += consumed;
        available -= consumed;
    }
    target[used] = '\0';
}

void
fielderr_set (fielderr_t *err, const char *field, const char *format, ...)
{
    if (!err)
        return;
    //  A few bytes more than fits, so the cleaner can tell a character cut
    //  by vsnprintf from one that merely does not fit.
    char formatted[FIELDERR_MESSAGE_MAX + 8];
    va_list args;
    va_start (args, format);
    int written = vsnprintf (formatted, sizeof formatted, format, args);
    va_end (args);
    if (written < 0)
        formatted[0] = '\0';
    s_copy_clean (err->field, sizeof err->field, field ? field : "");
    s_copy_clean (err->message, sizeof err->message, formatted);
}

void
fielderr_format (const fielderr_t *err, char *buffer, unsigned long size)
{
    if (!buffer || size == 0)
        return;
    if (!err) {
        buffer[0] = '\0';
        return;
    }
    if (err->field[0])
        snprintf (buffer, size, "%s: %s", err->field, err->message);
    else
        snprintf (buffer, size, "%s", err->message);
}

//  True when arrays and objects in text nest deeper than limit, counting
//  brackets outside strings; stops at the first bracket too deep.
static int
s_nesting_exceeds (const char *text, size_t size, int limit)
{
    int depth = 0;
    int in_string = 0;
    for (size_t offset = 0; offset < size; offset++) {
        char next = text[offset];
        if (in_string) {
            if (next == '\\')
                offset++;
            else if (next == '"')
                in_string = 0;
        } else if (next == '"')
            in_string = 1;
        else if (next == '[' || next == '{') {
            depth++;
            if (depth > limit)
                return 1;
        } else if ((next == ']' || next == '}') && depth > 0)
            depth--;
    }
    return 0;
}

//  Offset of the first control character that JSON never allows raw (below
//  U+0020, other than tab, line feed and carriage return), or size when
//  there is none. cJSON itself would take one between tokens for white
//  space and end a string at a NUL, silently shortening the value.
static size_t
s_find_control (const char *text, size_t size)
{
    for (size_t offset = 0; offset < size; offset++) {
        unsigned char next = (unsigned char)text[offset];
        if (next < 0x20 && next != '\t' && next != '\n' && next != '\r')
            return offset;
    }
    return size;
}

static int
s_is_blank (char next)
{
    return next == ' ' || next == '\t' || next == '\n' || next == '\r';
}

//  1-based line and column (in characters) of offset in text.
static void
s_locate (const char *text, size_t offset, size_t *line, size_t *column)
{
    *line = 1;
    *column = 1;
    for (size_t index = 0; index < offset; index++) {
        unsigned char next = (unsigned char)text[index];
        if (next == '\n') {
            (*line)++;
            *column = 1;
        } else if ((next & 0xC0) != 0x80)
            (*column)++;
    }
}

cJSON *
fielderr_parse_json (const char *text, size_t size, int nesting_max,
                     fielderr_t *err)
{
    if (!text)
        size = 0;
    size_t start = 0;
    if (size >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0)
        start = 3;
    size_t first = start;
    while (first < size && s_is_blank (text[first]))
        first++;
    if (first == size) {
        fielderr_set (err, "", "empty document");
        return NULL;
    }
    int too_deep = s_nesting_exceeds (text + start, size - start, nesting_max);
    if (too_deep) {
        fielderr_set (err, "", "nested deeper than %d levels", nesting_max);
        return NULL;
    }
    size_t line, column;
    size_t control = s_find_control (text, size);
    if (control < size) {
        s_locate (text, control, &line, &column);
        fielderr_set (err, "",
                      "not valid JSON near line %zu column %zu: control "
                      "character U+%04X is not allowed there",
                      line, column, (unsigned)(unsigned char)text[control]);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root =
        cJSON_ParseWithLengthOpts (text + start, size - start, &end, 0);
    if (!root) {
        size_t offset = end ? (size_t)(end - text) : start;
        if (offset > size)
            offset = size;
        s_locate (text, offset, &line, &column);
        fielderr_set (err, "", "not valid JSON near line %zu column %zu", line,
                      column);
        return NULL;
    }
    size_t offset = end ? (size_t)(end - text) : size;
    while (offset < size && s_is_blank (text[offset]))
        offset++;
    if (offset < size) {
        cJSON_Delete (root);
        s_locate (text, offset, &line, &column);
        fielderr_set (err, "",
                      "not valid JSON near line %zu column %zu: text after "
                      "the end of the document",
                      line, column);
        return NULL;
    }
    return root;
}

int
fielderr_check_fields (const cJSON *object, const char *path,
                       const char *const *known, fielderr_t *err)
{
    if (!path)
        path = "";
    uint64_t seen = 0;
    for (const cJSON *member = object ? object->child : NULL; member;
         member = member->next) {
        const char *name = member->string ? member->string : "";
        int match = -1;
        for (int index = 0; index < S_KNOWN_MAX && known[index]; index++) {
            if (strcmp (known[index], name) == 0) {
                match = index;
                break;
            }
        }
        char field[FIELDERR_FIELD_MAX];
        snprintf (field, sizeof field, "%s%s%s", path, *path ? "." : "", name);
        if (match < 0) {
            char expected[FIELDERR_MESSAGE_MAX] = "";
            size_t used = 0;
            for (int index = 0; index < S_KNOWN_MAX && known[index]; index++) {
                int written =
                    snprintf (expected + used, sizeof expected - used, "%s%s",
                              index ? ", " : "", known[index]);
                if (written < 0 || (size_t)written >= sizeof expected - used)
                    break;
                used += (size_t)written;
            }
            fielderr_set (err, field, "unknown field '%s'; expected one of: %s",
                          name, expected);
            return -1;
        }
        if (seen & ((uint64_t)1 << match)) {
            fielderr_set (err, field, "duplicate field '%s'", name);
            return -1;
        }
        seen |= (uint64_t)1 << match;
    }
    return 0;
}

//  Cut text to at most limit bytes on a character boundary; returns the
//  number of bytes kept.
static size_t
s_utf8_cut (const char *text, size_t limit)
{
    size_t length = strlen (text);
    if (length <= limit)
        return length;
    while (limit > 0 && ((unsigned char)text[limit] & 0xC0) == 0x80)
        limit--;
    return limit;
}

void
fielderr_describe (const cJSON *value, char *buffer, size_t size)
{
    if (!buffer || size == 0)
        return;
    if (!value)
        snprintf (buffer, size, "nothing");
    else if (cJSON_IsString (value)) {
        const char *text = value->valuestring ? value->valuestring : "";
        size_t kept = s_utf8_cut (text, S_DESCRIBE_STRING_MAX);
        snprintf (buffer, size, "\"%.*s%s\" (string)", (int)kept, text,
                  text[kept] ? "..." : "");
    } else if (cJSON_IsNumber (value)) {
        if (isfinite (value->valuedouble))
            snprintf (buffer, size, "%.15g (number)", value->valuedouble);
        else
            snprintf (buffer, size, "a number too large to represent");
    } else if (cJSON_IsBool (value))
        snprintf (buffer, size, "%s (boolean)",
                  cJSON_IsTrue (value) ? "true" : "false");
    else if (cJSON_IsNull (value))
        snprintf (buffer, size, "null");
    else if (cJSON_IsObject (value))
        snprintf (buffer, size, "an object");
    else if (cJSON_IsArray (value))
        snprintf (buffer, size, "an array");
    else
        snprintf (buffer, size, "an invalid value");
}

int
fielderr_require_object (const cJSON *value, const char *field,
                         const char *expected, fielderr_t *err)
{
    if (cJSON_IsObject (value))
        return 0;
    char got[FIELDERR_DESCRIBE_MAX];
    fielderr_describe (value, got, sizeof got);
    fielderr_set (err, field, "must be %s, got %s", expected, got);
    return -1;
}
