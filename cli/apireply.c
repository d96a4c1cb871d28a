/*  apireply - what the pdfpipe API answers, read by the command-line client.

    The parsed cJSON tree is kept whole so that `pdfpipe status` can print
    every field, including ones this client does not know; the accessors
    point into it. Numbers in JSON are doubles, so page counts are accepted
    only when they are whole and below 2^53, where a double is exact.

    SPDX-License-Identifier: MPL-2.0
*/
#include "apireply.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define S_WHOLE_MAX 9007199254740992.0 // 2^53

struct _apireply_t {
    cJSON *document;
    const char *id;    // points into document
    const char *state; // points into document
    char *error;       // cleaned copy; NULL when the job has none
    uint64_t pages_done;
    uint64_t pages_total;
    int64_t chunks_done; // -1: the document has none
    double pages_per_s; // -1: unknown
    double eta_s;       // -1: unknown
};

static void
s_reason (char *reason, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_reason (char *reason, size_t size, const char *format, ...)
{
    if (!reason || size == 0)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (reason, size, format, args);
    va_end (args);
}

//  A copy of length bytes of text with control characters replaced by
//  spaces, so it prints as one harmless line. Returns NULL when out of
//  memory.
static char *
s_clean_copy (const char *text, size_t length)
{
    char *copy = malloc (length + 1);
    if (!copy)
        return NULL;
    for (size_t index = 0; index < length; index++) {
        unsigned char byte = (unsigned char)text[index];
        copy[index] = byte < 0x20 || byte == 0x7F ? ' ' : (char)byte;
    }
    copy[length] = '\0';
    return copy;
}

//  Parse body as one JSON object, nothing before or after it.
static cJSON *
s_parse_object (const char *body, char *reason, size_t size)
{
    if (!body || !*body) {
        s_reason (reason, size, "empty reply");
        return NULL;
    }
    cJSON *document = cJSON_ParseWithOpts (body, NULL, 1);
    if (!document) {
        s_reason (reason, size, "reply is not JSON");
        return NULL;
    }
    if (!cJSON_IsObject (document)) {
        s_reason (reason, size, "reply is not a JSON object");
        cJSON_Delete (document);
        return NULL;
    }
    return document;
}

static int
s_whole_number (const cJSON *item, uint64_t *value)
{
    if (!cJSON_IsNumber (item))
        return -1;
    double number = item->valuedouble;
    if (!(number >= 0 && number < S_WHOLE_MAX))
        return -1;
    uint64_t whole = (uint64_t)number;
    if ((double)whole != number)
        return -1;
    *value = whole;
    return 0;
}

//  A finite non-negative number in object's member name, or -1.
static double
s_optional_rate (const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, name);
    if (!cJSON_IsNumber (item))
        return -1;
    double value = item->valuedouble;
    return value >= 0 && value <= S_WHOLE_MAX ? value : -1;
}

static bool
s_is_state_name (const char *text)
{
    size_t length = strlen (text);
    if (length == 0 || length > APIREPLY_STATE_MAX)
        return false;
    for (const char *cursor = text; *cursor; cursor++)
        if (!((*cursor >= 'a' && *cursor <= 'z') || *cursor == '_'))
            return false;
    return true;
}

static bool
s_is_job_id (const char *text)
{
    size_t length = strlen (text);
    if (length == 0 || length > PROTO_JOB_ID_MAX)
        return false;
    //  Printable ASCII without space: safe on a terminal and in $(...).
    for (const char *cursor = text; *cursor; cursor++)
        if (*cursor <= ' ' || *cursor > '~' || *cursor == '/')
            return false;
    return true;
}

apireply_t *
apireply_parse (const char *body, char *reason, size_t size)
{
    cJSON *document = s_parse_object (body, reason, size);
    if (!document)
        return NULL;
    apireply_t *self = calloc (1, sizeof *self);
    if (!self) {
        s_reason (reason, size, "out of memory");
        cJSON_Delete (document);
        return NULL;
    }
    self->document = document;

    const cJSON *id = cJSON_GetObjectItemCaseSensitive (document, "id");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive (document, "state");
    const cJSON *pages = cJSON_GetObjectItemCaseSensitive (document, "pages");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive (document, "error");
    if (!cJSON_IsString (id) || !s_is_job_id (id->valuestring)) {
        s_reason (reason, size, "\"id\" is missing or not a job id");
        goto failed;
    }
    if (!cJSON_IsString (state) || !s_is_state_name (state->valuestring)) {
        s_reason (reason, size, "\"state\" is missing or not a state name");
        goto failed;
    }
    if (!cJSON_IsObject (pages)) {
        s_reason (reason, size, "\"pages\" is missing or not an object");
        goto failed;
    }
    const cJSON *done = cJSON_GetObjectItemCaseSensitive (pages, "done");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive (pages, "total");
    if (s_whole_number (done, &self->pages_done) == -1 ||
        s_whole_number (total, &self->pages_total) == -1) {
        s_reason (reason, size,
                  "\"pages.done\" or \"pages.total\" is missing or not a "
                  "whole number");
        goto failed;
    }
    if (error && !cJSON_IsNull (error) && !cJSON_IsString (error)) {
        s_reason (reason, size, "\"error\" is neither a string nor null");
        goto failed;
    }
    if (cJSON_IsString (error)) {
        size_t length = strlen (error->valuestring);
        self->error = s_clean_copy (error->valuestring, length);
        if (!self->error) {
            s_reason (reason, size, "out of memory");
            goto failed;
        }
        while (length > 0 && self->error[length - 1] == ' ')
            self->error[--length] = '\0';
    }
    const cJSON *chunks = cJSON_GetObjectItemCaseSensitive (document, "chunks");
    uint64_t chunks_done = 0;
    self->chunks_done =
        s_whole_number (cJSON_GetObjectItemCaseSensitive (chunks, "done"),
                        &chunks_done) == 0
            ? (int64_t)chunks_done
            : -1;
    const cJSON *progress =
        cJSON_GetObjectItemCaseSensitive (document, "progress");
    self->pages_per_s = s_optional_rate (progress, "pages_per_s");
    self->eta_s = s_optional_rate (progress, "eta_s");
    self->id = id->valuestring;
    self->state = state->valuestring;
    return self;

failed:
    apireply_destroy (&self);
    return NULL;
}

void
apireply_destroy (apireply_t **self_p)
{
    assert (self_p);
    apireply_t *self = *self_p;
    if (!self)
        return;
    cJSON_Delete (self->document);
    free (self->error);
    free (self);
    *self_p = NULL;
}

const char *
apireply_id (const apireply_t *self)
{
    assert (self);
    return self->id;
}

const char *
apireply_state (const apireply_t *self)
{
    assert (self);
    return self->state;
}

bool
apireply_finished (const apireply_t *self)
{
    assert (self);
    return strcmp (self->state, "done") == 0 ||
           strcmp (self->state, "failed") == 0 ||
           strcmp (self->state, "cancelled") == 0;
}

uint64_t
apireply_pages_done (const apireply_t *self)
{
    assert (self);
    return self->pages_done;
}

int64_t
apireply_chunks_done (const apireply_t *self)
{
    assert (self);
    return self->chunks_done;
}

uint64_t
apireply_pages_total (const apireply_t *self)
{
    assert (self);
    return self->pages_total;
}

double
apireply_pages_per_s (const apireply_t *self)
{
    assert (self);
    return self->pages_per_s;
}

double
apireply_eta_s (const apireply_t *self)
{
    assert (self);
    return self->eta_s;
}

const char *
apireply_error (const apireply_t *self)
{
    assert (self);
    return self->error;
}

char *
apireply_pretty (const apireply_t *self)
{
    assert (self);
    return cJSON_Print (self->document);
}

char *
apireply_job_id (const char *body, char *reason, size_t size)
{
    cJSON *document = s_parse_object (body, reason, size);
    if (!document)
        return NULL;
    char *job_id = NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive (document, "id");
    if (!cJSON_IsString (id) || !s_is_job_id (id->valuestring))
        s_reason (reason, size, "\"id\" is missing or not a job id");
    else {
        job_id = strdup (id->valuestring);
        if (!job_id)
            s_reason (reason, size, "out of memory");
    }
    cJSON_Delete (document);
    return job_id;
}

static const char *
s_status_phrase (long status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return NULL;
    }
}

//  "field: message" or "message" from an API error body; NULL when body
//  is not one.
static char *
s_api_error_text (const char *body)
{
    cJSON *document = s_parse_object (body, NULL, 0);
    if (!document)
        return NULL;
    char *text = NULL;
    const cJSON *error = cJSON_GetObjectItemCaseSensitive (document, "error");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive (error, "message");
    const cJSON *field = cJSON_GetObjectItemCaseSensitive (error, "field");
    //  A bare {"error": "text"} is accepted too; a proxy in front of the
    //  API may answer that way.
    if (cJSON_IsString (error))
        message = error;
    if (cJSON_IsString (message) && *message->valuestring) {
        bool has_field = cJSON_IsString (field) && *field->valuestring;
        //  A message that already starts with "field:" is not prefixed
        //  again; docs/api.md shows the API's messages both ways.
        if (has_field) {
            size_t field_length = strlen (field->valuestring);
            if (strncmp (message->valuestring, field->valuestring,
                         field_length) == 0 &&
                message->valuestring[field_length] == ':')
                has_field = false;
        }
        size_t length = strlen (message->valuestring);
        size_t size = length + 1;
        if (has_field)
            size += strlen (field->valuestring) + 2;
        char *joined = malloc (size);
        if (joined) {
            if (has_field)
                snprintf (joined, size, "%s: %s", field->valuestring,
                          message->valuestring);
            else
                snprintf (joined, size, "%s", message->valuestring);
            text = s_clean_copy (joined, strlen (joined));
            free (joined);
        }
    }
    cJSON_Delete (document);
    return text;
}

char *
apireply_error_text (long status, const char *body)
{
    char *text = s_api_error_text (body);
    if (text)
        return text;

    const char *phrase = s_status_phrase (status);
    char head[64];
    snprintf (head, sizeof head, "server answered HTTP %ld%s%s", status,
              phrase ? " " : "", phrase ? phrase : "");
    size_t length = body ? strlen (body) : 0;
    bool truncated = length > APIREPLY_EXCERPT_MAX;
    if (truncated)
        length = utf8_cut (body, length, APIREPLY_EXCERPT_MAX);
    char *excerpt = s_clean_copy (body ? body : "", length);
    if (!excerpt)
        return NULL;
    //  Trailing blanks (often a newline turned into a space) say nothing.
    while (length > 0 && excerpt[length - 1] == ' ')
        excerpt[--length] = '\0';

    size_t size = strlen (head) + length + 16;
    text = malloc (size);
    if (text) {
        if (length > 0)
            snprintf (text, size, "%s: %s%s", head, excerpt,
                      truncated ? "..." : "");
        else
            snprintf (text, size, "%s", head);
    }
    free (excerpt);
    return text;
}
