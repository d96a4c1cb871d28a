/*  output - where a job's finished PDF goes: the "output" object of a job
    document (docs/job-spec.md).

    Both texts are checked by rendering them with the longest job id and a
    sample time and checking the result: placeholder values are digits,
    '-' and job id characters, which fit every rule, so a template that
    passes with the sample passes with every job.

    SPDX-License-Identifier: MPL-2.0
*/
#include "output.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bytebuf.h"
#include "ident.h"
#include "jsondoc.h"
#include "utf8.h"

#define S_VALUE_MAX 32 // bytes of a date or time value, with NUL

struct _output_t {
    char *key;      // template
    char *filename; // template, or NULL
};

static const char *const s_fields[] = {"key", "filename", NULL};

//  The value of placeholder name (length bytes) into value; false when
//  there is no such placeholder.
static bool
s_placeholder (const char *name, size_t length, const char *job_id,
               const struct tm *utc, const char **text, char *value)
{
    const char *format = NULL;
    if (length == 6 && strncmp (name, "job_id", 6) == 0) {
        *text = job_id;
        return true;
    }
    if (length == 4 && strncmp (name, "date", 4) == 0)
        format = "%Y-%m-%d";
    else if (length == 4 && strncmp (name, "time", 4) == 0)
        format = "%H%M%S";
    else if (length == 4 && strncmp (name, "year", 4) == 0)
        format = "%Y";
    else if (length == 5 && strncmp (name, "month", 5) == 0)
        format = "%m";
    else if (length == 3 && strncmp (name, "day", 3) == 0)
        format = "%d";
    else
        return false;
    strftime (value, S_VALUE_MAX, format, utc);
    *text = value;
    return true;
}

//  template with its placeholders replaced. Returns NULL and fills err
//  (when not NULL), naming field, for an unknown or unclosed placeholder
//  or when out of memory.
static char *
s_render (const char *template, const char *job_id, int64_t at_ms,
          const char *field, fielderr_t *err)
{
    time_t seconds = (time_t)(at_ms / 1000);
    struct tm utc;
    if (!gmtime_r (&seconds, &utc))
        memset (&utc, 0, sizeof (utc));
    bytebuf_t result = {0};
    for (const char *cursor = template; *cursor;) {
        const char *open = strstr (cursor, "{{");
        size_t literal = open ? (size_t)(open - cursor) : strlen (cursor);
        const char *text = cursor;
        size_t text_length = literal;
        char value[S_VALUE_MAX];
        if (literal == 0) {
            const char *close = strstr (open + 2, "}}");
            if (!close) {
                fielderr_set (err, field,
                              "has a '{{' without its closing '}}'");
                bytebuf_free (&result);
                return NULL;
            }
            const char *name = open + 2;
            const char *name_end = close;
            while (name < name_end && *name == ' ')
                name++;
            while (name_end > name && name_end[-1] == ' ')
                name_end--;
            if (!s_placeholder (name, (size_t)(name_end - name), job_id, &utc,
                                &text, value)) {
                fielderr_set (
                    err, field,
                    "has an unknown placeholder '{{%.*s}}'; expected "
                    "one of {{job_id}}, {{date}}, {{time}}, "
                    "{{year}}, {{month}}, {{day}}",
                    (int)(name_end - name > 40 ? 40 : name_end - name), name);
                bytebuf_free (&result);
                return NULL;
            }
            text_length = strlen (text);
            cursor = close + 2;
        } else
            cursor += literal;
        bytebuf_append (&result, text, text_length);
    }
    char *rendered = bytebuf_detach (&result);
    if (!rendered)
        fielderr_set (err, field, "out of memory");
    return rendered;
}

//  A sample rendering: the longest job id, at a time with two-digit
//  months and days.
static char *
s_render_sample (const char *template, const char *field, fielderr_t *err)
{
    char job_id[PROTO_JOB_ID_MAX + 1];
    memset (job_id, 'f', PROTO_JOB_ID_MAX);
    job_id[PROTO_JOB_ID_MAX] = '\0';
    //  2025-11-25T16:50:01Z
    return s_render (template, job_id, 1764089401000LL, field, err);
}

//  Say why key (a rendered sample) is not a valid store key.
static void
s_explain_key (const char *key, const char *field, fielderr_t *err)
{
    if (key[0] == '/') {
        fielderr_set (err, field,
                      "must not start with '/': keys are relative to the "
                      "store's prefix");
        return;
    }
    for (const char *segment = key; segment;) {
        const char *slash = strchr (segment, '/');
        size_t length = slash ? (size_t)(slash - segment) : strlen (segment);
        if (length == 2 && strncmp (segment, "..", 2) == 0) {
            fielderr_set (err, field, "must not contain a '..' part");
            return;
        }
        if (length == 0) {
            fielderr_set (err, field,
                          "must not have an empty part ('//' or a trailing "
                          "'/')");
            return;
        }
        if (segment[0] == '.') {
            fielderr_set (err, field,
                          "must not have a part that starts with '.'");
            return;
        }
        segment = slash ? slash + 1 : NULL;
    }
    for (const char *letter = key; *letter; letter++) {
        unsigned char byte = (unsigned char)*letter;
        bool allowed = (byte >= 'a' && byte <= 'z') ||
                       (byte >= 'A' && byte <= 'Z') ||
                       (byte >= '0' && byte <= '9') || strchr ("._-/", byte);
        if (!allowed) {
            if (byte >= 0x20 && byte < 0x7f)
                fielderr_set (err, field,
                              "may contain only A-Z a-z 0-9 . _ - / and "
                              "placeholders, got '%c'",
                              byte);
            else
                fielderr_set (err, field,
                              "may contain only A-Z a-z 0-9 . _ - / and "
                              "placeholders, got byte 0x%02x",
                              byte);
            return;
        }
    }
    fielderr_set (err, field, "is not a valid key");
}

static int
s_check_key (const char *template, const char *field, fielderr_t *err)
{
    char *sample = s_render_sample (template, field, err);
    if (!sample)
        return -1;
    int rc = 0;
    if (strlen (sample) > OUTPUT_DOCUMENT_KEY_MAX) {
        fielderr_set (err, field,
                      "is longer than %d bytes once placeholders are filled "
                      "in (job ids may have %d characters)",
                      OUTPUT_DOCUMENT_KEY_MAX, PROTO_JOB_ID_MAX);
        rc = -1;
    } else if (!ident_key_valid (sample, OUTPUT_DOCUMENT_KEY_MAX)) {
        s_explain_key (sample, field, err);
        rc = -1;
    }
    free (sample);
    return rc;
}

//  True for the characters that change how a name reads without being
//  seen: bidirectional marks, embeddings, overrides and isolates, and the
//  line and paragraph separators.
static bool
s_reorders (uint32_t codepoint)
{
    return codepoint == 0x061c || codepoint == 0x200e || codepoint == 0x200f ||
           (codepoint >= 0x2028 && codepoint <= 0x202e) ||
           (codepoint >= 0x2066 && codepoint <= 0x2069);
}

static int
s_check_filename (const char *template, const char *field, fielderr_t *err)
{
    char *sample = s_render_sample (template, field, err);
    if (!sample)
        return -1;
    int rc = -1;
    size_t length = strlen (sample);
    if (length == 0)
        fielderr_set (err, field, "must not be empty");
    else if (length > OUTPUT_FILENAME_MAX)
        fielderr_set (err, field,
                      "is longer than %d bytes once placeholders are filled "
                      "in",
                      OUTPUT_FILENAME_MAX);
    else if (strcmp (sample, ".") == 0 || strcmp (sample, "..") == 0)
        fielderr_set (err, field, "must be a file name, not '%s'", sample);
    else
        rc = 0;
    for (const char *cursor = sample; rc == 0 && *cursor;) {
        uint32_t codepoint = 0;
        size_t step = utf8_decode_str (cursor, &codepoint);
        //  C0 and C1 control characters, and DEL.
        if (step == 0 || codepoint < 0x20 ||
            (codepoint >= 0x7f && codepoint < 0xa0)) {
            fielderr_set (err, field,
                          "must be UTF-8 text without control characters");
            rc = -1;
        } else if (s_reorders (codepoint)) {
            fielderr_set (err, field,
                          "must not hold U+%04X: bidirectional controls and "
                          "line separators make a name read other than it "
                          "is (\"invoice\\u202Efdp.exe\")",
                          (unsigned)codepoint);
            rc = -1;
        } else if (*cursor == '/' || *cursor == '\\') {
            fielderr_set (err, field,
                          "must be a file name without '/' or '\\'");
            rc = -1;
        }
        cursor += step ? step : 1;
    }
    free (sample);
    return rc;
}

//  The string member name of object, copied into *text_p; absent is fine
//  (*text_p stays NULL).
static int
s_string_member (const cJSON *object, const char *name, const char *path,
                 char **text_p, fielderr_t *err)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive (object, name);
    if (!member)
        return 0;
    char field[FIELDERR_FIELD_MAX];
    snprintf (field, sizeof (field), "%s.%s", path, name);
    if (!cJSON_IsString (member)) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (member, got, sizeof (got));
        fielderr_set (err, field, "must be a string, got %s", got);
        return -1;
    }
    *text_p = strdup (member->valuestring);
    if (!*text_p) {
        fielderr_set (err, field, "out of memory");
        return -1;
    }
    return 0;
}

output_t *
output_parse (const cJSON *json, const char *path, fielderr_t *err)
{
    assert (path);
    output_t *self = calloc (1, sizeof (output_t));
    if (!self) {
        fielderr_set (err, path, "out of memory");
        return NULL;
    }
    if (json) {
        if (!cJSON_IsObject (json)) {
            char got[JSONDOC_DESCRIBE_MAX];
            jsondoc_describe (json, got, sizeof (got));
            fielderr_set (err, path,
                          "must be an object with \"key\" and/or "
                          "\"filename\", got %s",
                          got);
            goto failed;
        }
        if (jsondoc_check_fields (json, path, s_fields, err) ||
            s_string_member (json, "key", path, &self->key, err) ||
            s_string_member (json, "filename", path, &self->filename, err))
            goto failed;
    }
    char field[FIELDERR_FIELD_MAX];
    if (self->key) {
        snprintf (field, sizeof (field), "%s.key", path);
        if (s_check_key (self->key, field, err))
            goto failed;
    } else {
        self->key = strdup (OUTPUT_KEY_DEFAULT);
        if (!self->key) {
            fielderr_set (err, path, "out of memory");
            goto failed;
        }
    }
    if (self->filename) {
        snprintf (field, sizeof (field), "%s.filename", path);
        if (s_check_filename (self->filename, field, err))
            goto failed;
    }
    return self;

failed:
    output_destroy (&self);
    return NULL;
}

void
output_destroy (output_t **self_p)
{
    assert (self_p);
    output_t *self = *self_p;
    if (!self)
        return;
    free (self->key);
    free (self->filename);
    free (self);
    *self_p = NULL;
}

char *
output_key (const output_t *self, const char *job_id, int64_t at_ms)
{
    assert (self);
    assert (job_id);
    char *rendered = s_render (self->key, job_id, at_ms, "", NULL);
    if (!rendered)
        return NULL;
    size_t size = strlen (job_id) + 1 + strlen (rendered) + 1;
    char *key = malloc (size);
    if (key)
        snprintf (key, size, "%s/%s", job_id, rendered);
    free (rendered);
    return key;
}

char *
output_filename (const output_t *self, const char *job_id, int64_t at_ms)
{
    assert (self);
    assert (job_id);
    if (!self->filename)
        return NULL;
    return s_render (self->filename, job_id, at_ms, "", NULL);
}
