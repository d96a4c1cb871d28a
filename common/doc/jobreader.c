/*  jobreader - a job document read and checked as its bytes arrive.

    The members other than the records go into one cJSON object, in
    document order, with an empty array in the records' place, which is
    what jobspec_new checks once the document is complete. The fields are
    checked as each member comes: after the first unknown or repeated
    field the document is refused whatever else it holds, so nothing
    after it is kept, which bounds what a hostile document can make the
    reader hold to the few members a job has.

    Each record is parsed (by docstream), checked for what it can be
    checked for alone, printed compact (jsoncompact) and handed to the
    sink. Errors found on the way are kept, the first of each kind, so
    that jobreader_finish can report the one that ranks first; after one,
    no more records are handed over (those that would follow could never
    be reported), but records are still counted, since too many records
    outranks them all.

    SPDX-License-Identifier: MPL-2.0
*/
#include "jobreader.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "docstream.h"
#include "joblimits.h"
#include "jsoncompact.h"

struct _jobreader_t {
    jobreader_sink_t sink;
    void *sink_arg;
    docstream_t *stream;
    cJSON *head;         // members in document order; NULL before the '{'
    cJSON *document;     // the document, when it is not an object
    bool fields_refused; // a member broke the field rules
    bool ended;          // the document was read to its end, well-formed
    bool records_from_url;
    size_t record_count;  // counted up to JOBSPEC_RECORDS_MAX + 1
    size_t records_sent;  // handed to the sink
    uint32_t records_max; // checked and handed over; 0: all
    //  The first record that is not an object, and the first whose values
    //  are bad.
    bool object_failed;
    fielderr_t object_error;
    bool values_failed;
    uint32_t values_nbr;
    fielderr_t values_error;
    bytebuf_t line; // a record, compact
    bool failed;
    fielderr_t error;
};

jobreader_t *
jobreader_new (const jobreader_sink_t *sink, void *sink_arg)
{
    assert (sink && sink->append && sink->rewind && sink->next);
    jobreader_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->sink = *sink;
    self->sink_arg = sink_arg;
    docstream_config_t config = {
        .split_name = "records",
        .nesting_max = JOBSPEC_NESTING_MAX,
        .members_max = JOBSPEC_MEMBERS_BYTES_MAX,
        .element_max = JOBSPEC_RECORD_BYTES_MAX,
    };
    self->stream = docstream_new (&config);
    self->head = cJSON_CreateObject ();
    if (!self->stream || !self->head) {
        jobreader_destroy (&self);
        return NULL;
    }
    return self;
}

void
jobreader_destroy (jobreader_t **self_p)
{
    assert (self_p);
    jobreader_t *self = *self_p;
    if (!self)
        return;
    docstream_destroy (&self->stream);
    cJSON_Delete (self->head);
    cJSON_Delete (self->document);
    bytebuf_free (&self->line);
    free (self);
    *self_p = NULL;
}

static int
s_fail (jobreader_t *self, const fielderr_t *error)
{
    if (!self->failed) {
        self->failed = true;
        self->error = *error;
    }
    return -1;
}

static int
s_fail_with (jobreader_t *self, const char *field, const char *message)
{
    fielderr_t error;
    fielderr_set (&error, field, "%s", message);
    return s_fail (self, &error);
}

static int
s_sink_failed (jobreader_t *self)
{
    return s_fail_with (self, "", "the records could not be stored");
}

//  A member of the document (value taken).
static int
s_member (jobreader_t *self, const char *name, cJSON *value)
{
    if (self->fields_refused || !value) {
        cJSON_Delete (value);
        return value ? 0 : s_fail_with (self, "", "out of memory");
    }
    cJSON_AddItemToObject (self->head, name, value);
    fielderr_t ignored;
    if (jobspec_check_fields (self->head, &ignored))
        self->fields_refused = true;
    return 0;
}

//  A record (taken).
static int
s_record (jobreader_t *self, cJSON *record)
{
    size_t nbr = self->record_count;
    if (self->record_count <= JOBSPEC_RECORDS_MAX)
        self->record_count++;
    if (nbr >= JOBSPEC_RECORDS_MAX || self->fields_refused ||
        (self->records_max && nbr >= self->records_max)) {
        cJSON_Delete (record);
        return 0;
    }
    if (!self->object_failed && jobspec_check_record_object (
                                    record, (uint32_t)nbr, &self->object_error))
        self->object_failed = true;
    else if (!self->object_failed && !self->values_failed &&
             jobspec_check_record_values (record, (uint32_t)nbr,
                                          &self->values_error)) {
        self->values_failed = true;
        self->values_nbr = (uint32_t)nbr;
    }
    int rc = 0;
    if (!self->object_failed && !self->values_failed) {
        bytebuf_reset (&self->line);
        if (jsoncompact_append (&self->line, record) == -1)
            rc = s_fail_with (self, "", "out of memory");
        else if (self->sink.append (self->sink_arg, self->line.data,
                                    self->line.size) == -1)
            rc = s_sink_failed (self);
        else
            self->records_sent++;
    }
    cJSON_Delete (record);
    return rc;
}

//  Act on what the stream has. Returns 0, or -1 once the reader failed.
static int
s_drain (jobreader_t *self)
{
    while (!self->failed) {
        docstream_item_t item;
        docstream_event_t event = docstream_next (self->stream, &item);
        int rc = 0;
        switch (event) {
        case DOCSTREAM_MORE:
            return 0;
        case DOCSTREAM_MEMBER:
            rc = s_member (self, item.name, item.value);
            break;
        case DOCSTREAM_ARRAY:
            rc = s_member (self, item.name, cJSON_CreateArray ());
            break;
        case DOCSTREAM_ELEMENT:
            rc = s_record (self, item.value);
            break;
        case DOCSTREAM_VALUE:
            self->document = item.value;
            break;
        case DOCSTREAM_END:
            self->ended = true;
            return 0;
        case DOCSTREAM_FAILED:
            return s_fail (self, docstream_error (self->stream));
        }
        if (rc)
            return -1;
    }
    return -1;
}

void
jobreader_set_records_max (jobreader_t *self, uint32_t count)
{
    assert (self);
    self->records_max = count;
}

int
jobreader_feed (jobreader_t *self, const void *data, size_t size)
{
    assert (self);
    if (self->failed)
        return -1;
    if (docstream_feed (self->stream, data, size) == -1)
        return s_fail (self, docstream_error (self->stream));
    return s_drain (self);
}

int
jobreader_feed_end (jobreader_t *self)
{
    assert (self);
    if (self->failed)
        return -1;
    docstream_feed_end (self->stream);
    if (s_drain (self) == -1)
        return -1;
    assert (self->ended);
    return 0;
}

const char *
jobreader_records_url (const jobreader_t *self)
{
    assert (self);
    if (!self->ended || self->fields_refused || self->failed)
        return NULL;
    const cJSON *records =
        cJSON_GetObjectItemCaseSensitive (self->head, "records");
    if (!cJSON_IsString (records) || !strstr (records->valuestring, "://"))
        return NULL;
    return records->valuestring;
}

cJSON *
jobreader_assets (jobreader_t *self)
{
    assert (self);
    if (!self->ended || self->fields_refused || self->failed)
        return NULL;
    return cJSON_GetObjectItemCaseSensitive (self->head, "assets");
}

int
jobreader_add_record (jobreader_t *self, const char *json, size_t size)
{
    assert (self);
    assert (self->ended);
    if (self->failed)
        return -1;
    self->records_from_url = true;
    cJSON *record = cJSON_ParseWithLength (json, size);
    if (!record)
        return s_fail_with (self, "records", "a fetched record is not JSON");
    return s_record (self, record);
}

//  The template's checks on every record, read back from the sink.
static int
s_check_records (jobreader_t *self, const jobspec_t *spec)
{
    if (self->sink.rewind (self->sink_arg, jobspec_chunk_pages (spec)) == -1)
        return s_sink_failed (self);
    uint32_t pages = jobspec_pages (spec);
    if (self->records_max && pages > self->records_max)
        pages = self->records_max;
    joblimits_tally_t tally;
    joblimits_tally_init (&tally, jobspec_chunk_pages (spec));
    for (uint32_t nbr = 0; nbr < pages; nbr++) {
        if (self->values_failed && nbr == self->values_nbr)
            return s_fail (self, &self->values_error);
        const char *json = NULL;
        size_t size = 0;
        if (self->sink.next (self->sink_arg, &json, &size) != 1)
            return s_sink_failed (self);
        cJSON *record = cJSON_ParseWithLength (json, size);
        if (!record)
            return s_sink_failed (self);
        fielderr_t error;
        joblimits_page_t cost;
        int rc = jobspec_check_record (spec, record, nbr, &cost, &error);
        cJSON_Delete (record);
        if (rc == 0)
            rc = joblimits_check_page (joblimits_get (), &tally, &cost, nbr,
                                       size, &error);
        if (rc)
            return s_fail (self, &error);
    }
    return 0;
}

jobspec_t *
jobreader_finish (jobreader_t *self)
{
    assert (self);
    if (self->failed)
        return NULL;
    assert (self->ended);
    //  Records read from a URL stand where the URL was.
    if (self->records_from_url) {
        cJSON *placeholder = cJSON_CreateArray ();
        if (!placeholder || !cJSON_ReplaceItemInObjectCaseSensitive (
                                self->head, "records", placeholder)) {
            cJSON_Delete (placeholder);
            s_fail_with (self, "", "out of memory");
            return NULL;
        }
    }
    cJSON *document = self->head;
    if (self->document) {
        cJSON_Delete (self->head);
        document = self->document;
    }
    self->document = NULL;
    self->head = NULL;
    fielderr_t error;
    jobspec_t *spec = jobspec_new (&document, self->record_count, &error);
    if (!spec) {
        s_fail (self, &error);
        return NULL;
    }
    if (self->object_failed)
        s_fail (self, &self->object_error);
    else
        s_check_records (self, spec);
    if (self->failed)
        jobspec_destroy (&spec);
    return spec;
}

size_t
jobreader_records (const jobreader_t *self)
{
    assert (self);
    return self->records_sent;
}

const fielderr_t *
jobreader_error (const jobreader_t *self)
{
    assert (self);
    return &self->error;
}
