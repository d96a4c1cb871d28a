/*  jobbody - the body of a job submission whose records come from a file.

    The body is a sequence of pieces, each drained into libcurl's buffer
    before the next is made: the job document's prefix, the opening of the
    records array, then for each record a comma (from the second on) and
    the record's text, borrowed from records until the next record is
    read, and finally the closing. A piece may straddle any number of
    reads.

    SPDX-License-Identifier: MPL-2.0
*/
#include "jobbody.h"

#include "fielderr.h"
#include "jobspec.h"
#include "jsondoc.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    S_PREFIX,  // the job document up to its closing brace
    S_OPEN,    // the records array opens
    S_RECORDS, // the records, one by one
    S_CLOSE,   // the array and the document close
    S_DONE,
    S_FAILED,
} s_step_t;

struct _jobbody_t {
    char *prefix;       // the job document without its closing brace
    size_t prefix_size; // bytes
    bool has_members;   // whether the job document has any field
    records_t *records;
    s_step_t step;       // what comes after the pending piece
    const char *pending; // the rest of the piece being sent; borrowed
    size_t pending_size; // bytes
    const char *record;  // a record waiting for its comma to go out
    size_t record_size;  // bytes
    char error[JOBBODY_REASON_MAX];
};

jobbody_t *
jobbody_new (const char *job, size_t size, const char *name,
             records_t **records_p, char *reason, size_t reason_size)
{
    assert (job);
    assert (name);
    assert (records_p && *records_p);
    assert (reason && reason_size > 0);
    jobbody_t *self = NULL;
    fielderr_t err;
    cJSON *document = jsondoc_parse (job, size, JOBSPEC_NESTING_MAX, &err);
    if (!document) {
        snprintf (reason, reason_size, "%s: %s", name, err.message);
        goto cleanup;
    }
    if (!cJSON_IsObject (document)) {
        char described[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (document, described, sizeof described);
        snprintf (reason, reason_size,
                  "%s: a job document must be a JSON object, got %s", name,
                  described);
        goto cleanup;
    }
    if (cJSON_GetObjectItemCaseSensitive (document, "records")) {
        snprintf (reason, reason_size,
                  "%s already has records; drop them or drop --records", name);
        goto cleanup;
    }
    //  The parse allowed only white space (as cJSON reads it: any byte up
    //  to the space) after the object, so its closing brace is the last
    //  byte above that.
    size_t end = size;
    while (end > 0 && (unsigned char)job[end - 1] <= ' ')
        end--;
    if (end == 0 || job[end - 1] != '}') {
        snprintf (reason, reason_size, "%s: does not end with '}'", name);
        goto cleanup;
    }
    self = calloc (1, sizeof *self);
    if (self)
        self->prefix = malloc (end);
    if (!self || !self->prefix) {
        snprintf (reason, reason_size, "out of memory");
        jobbody_destroy (&self);
        goto cleanup;
    }
    self->prefix_size = end - 1;
    memcpy (self->prefix, job, self->prefix_size);
    self->has_members = document->child != NULL;
    self->records = *records_p;
    *records_p = NULL;
    self->step = S_PREFIX;

cleanup:
    cJSON_Delete (document);
    records_destroy (records_p);
    return self;
}

void
jobbody_destroy (jobbody_t **self_p)
{
    assert (self_p);
    jobbody_t *self = *self_p;
    if (!self)
        return;
    records_destroy (&self->records);
    free (self->prefix);
    free (self);
    *self_p = NULL;
}

static void
s_pend (jobbody_t *self, const char *piece, size_t size)
{
    self->pending = piece;
    self->pending_size = size;
}

//  Make the piece after the pending one. Returns -1 on a records error.
static int
s_advance (jobbody_t *self)
{
    static const char open_after_field[] = ",\"records\":[";
    static const char open_first[] = "\"records\":[";
    static const char close[] = "]}";
    switch (self->step) {
    case S_PREFIX:
        s_pend (self, self->prefix, self->prefix_size);
        self->step = S_OPEN;
        return 0;
    case S_OPEN:
        if (self->has_members)
            s_pend (self, open_after_field, sizeof open_after_field - 1);
        else
            s_pend (self, open_first, sizeof open_first - 1);
        self->step = S_RECORDS;
        return 0;
    case S_RECORDS:
        break;
    case S_CLOSE:
        s_pend (self, close, sizeof close - 1);
        self->step = S_DONE;
        return 0;
    case S_DONE:
    case S_FAILED:
        return 0;
    }

    if (self->record) {
        s_pend (self, self->record, self->record_size);
        self->record = NULL;
        return 0;
    }
    const char *record = NULL;
    size_t record_size = 0;
    int rc = records_next (self->records, &record, &record_size);
    if (rc == -1) {
        snprintf (self->error, sizeof self->error, "%s",
                  records_error (self->records));
        return -1;
    }
    size_t count = records_count (self->records);
    if (rc == 0) {
        if (count == 0) {
            snprintf (self->error, sizeof self->error,
                      "%s holds no records; a job needs at least one",
                      records_name (self->records));
            return -1;
        }
        self->step = S_CLOSE;
        return 0;
    }
    if (count > JOBSPEC_RECORDS_MAX) {
        snprintf (self->error, sizeof self->error,
                  "%s holds more than %d records, the most one job may have",
                  records_name (self->records), JOBSPEC_RECORDS_MAX);
        return -1;
    }
    if (count == 1)
        s_pend (self, record, record_size);
    else {
        s_pend (self, ",", 1);
        self->record = record;
        self->record_size = record_size;
    }
    return 0;
}

ssize_t
jobbody_read (jobbody_t *self, char *buffer, size_t size)
{
    assert (self);
    assert (buffer);
    size_t written = 0;
    while (written < size && self->step != S_FAILED) {
        if (self->pending_size > 0) {
            size_t bytes = size - written < self->pending_size
                               ? size - written
                               : self->pending_size;
            memcpy (buffer + written, self->pending, bytes);
            written += bytes;
            self->pending += bytes;
            self->pending_size -= bytes;
            continue;
        }
        if (self->step == S_DONE)
            break;
        if (s_advance (self) == -1)
            self->step = S_FAILED;
    }
    return self->step == S_FAILED ? -1 : (ssize_t)written;
}

size_t
jobbody_records (const jobbody_t *self)
{
    assert (self);
    return self->records ? records_count (self->records) : 0;
}

const char *
jobbody_error (const jobbody_t *self)
{
    assert (self);
    return self->error;
}
