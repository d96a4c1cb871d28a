/*  jsondoc - the steps every validator of a JSON document shares.

    The nesting check scans the raw text before cJSON parses it, because
    cJSON recurses once per level and its own limit (1000) is far above what
    a job document needs.

    SPDX-License-Identifier: MPL-2.0
*/
#include "jsondoc.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jsonstr.h"
#include "utf8.h"

#define S_KNOWN_MAX 64           // names jsondoc_check_fields can track
#define S_DESCRIBE_STRING_MAX 40 // bytes of a string value quoted in messages

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
jsondoc_parse (const char *text, size_t size, int nesting_max, fielderr_t *err)
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
    size_t nul = start + jsonstr_nul_escape_at (text + start, size - start);
    if (nul < size) {
        s_locate (text, nul, &line, &column);
        fielderr_set (err, "",
                      "not valid here near line %zu column %zu: a string "
                      "holds \\u0000 (NUL), which pdfpipe refuses rather "
                      "than cut the string short",
                      line, column);
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
jsondoc_check_fields (const cJSON *object, const char *path,
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

void
jsondoc_describe (const cJSON *value, char *buffer, size_t size)
{
    if (!buffer || size == 0)
        return;
    if (!value)
        snprintf (buffer, size, "nothing");
    else if (cJSON_IsString (value)) {
        const char *text = value->valuestring ? value->valuestring : "";
        size_t kept = utf8_cut (text, strlen (text), S_DESCRIBE_STRING_MAX);
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
jsondoc_require_object (const cJSON *value, const char *field,
                        const char *expected, fielderr_t *err)
{
    if (cJSON_IsObject (value))
        return 0;
    char got[JSONDOC_DESCRIBE_MAX];
    jsondoc_describe (value, got, sizeof got);
    fielderr_set (err, field, "must be %s, got %s", expected, got);
    return -1;
}
