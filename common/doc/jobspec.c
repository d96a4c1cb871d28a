/*  jobspec - a validated job document (docs/job-spec.md).

    A job keeps the document's members other than the records as the
    cJSON tree they were read into (a few members, small beside the
    records), with the template and output parsed from it.

    Every record is checked before a job is accepted, so a job that is
    accepted never fails in a worker for a reason the document could have
    shown: each record is walked once, without recursion, for numbers
    cJSON read as infinite (1e999), and the template draws it dry
    (template_check_record: every text expanded and checked against its
    font, table rows fitted, barcode data checked).
    The texts drawn in TrueType fonts go to common/doc/glyphset on the way,
    and jobspec_template_json writes each font's characters into the
    template as its "glyphs": workers embed that subset in every chunk, so
    the sink can keep one copy of the font.

    Assets (images) are a top-level member of the document, but workers
    need them with the template: jobspec_template_json wraps both as
    {"template": ..., "assets": ...} when there are assets, which
    template_parse_text reads.

    jobspec_parse runs common/doc/jobreader over the text with a records
    sink of its own that keeps the records, compact, in one buffer, and
    the start of each, for jobspec_records_json.

    SPDX-License-Identifier: MPL-2.0
*/
#include "jobspec.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bytebuf.h"
#include "glyphset.h"
#include "jobreader.h"
#include "jsoncompact.h"
#include "jsondoc.h"
#include "output.h"

struct _jobspec_t {
    cJSON *root;              // the members but the records
    cJSON *template_json;     // borrowed from root
    const cJSON *assets_json; // borrowed from root; NULL when none
    template_t *template;
    uint32_t record_count;
    uint32_t chunk_pages;
    uint32_t priority;
    output_t *output; // where the result goes (common/doc/output)
    char *webhook_url; // whom to tell when the job ends; NULL: none
    //  Characters each TrueType font draws, gathered as records are
    //  checked; written into the template's fonts as their "glyphs".
    glyphset_t *glyphs;
    //  jobspec_parse's records: each record compact and then '\n';
    //  record n is [record_starts[n], record_starts[n + 1]).
    bytebuf_t records;
    size_t *record_starts;
};

static const char *const s_document_fields[] = {
    "version", "chunk_pages", "priority", "assets", "template", "records",
    "output", "webhook", NULL};

static int
s_parse_version (const cJSON *root, fielderr_t *err)
{
    const cJSON *version = cJSON_GetObjectItemCaseSensitive (root, "version");
    if (!version) {
        fielderr_set (err, "version",
                      "missing required field 'version'; expected %d",
                      JOBSPEC_VERSION);
        return -1;
    }
    if (!cJSON_IsNumber (version) || version->valuedouble != JOBSPEC_VERSION) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (version, got, sizeof got);
        fielderr_set (err, "version",
                      "must be %d, the only version of this format, got %s",
                      JOBSPEC_VERSION, got);
        return -1;
    }
    return 0;
}

//  The top-level field name as a whole number from 1 to max, or fallback
//  when absent. Returns 0, or -1 with err naming the field.
static int
s_parse_count (const cJSON *root, const char *name, uint32_t max,
               uint32_t fallback, uint32_t *value_p, fielderr_t *err)
{
    *value_p = fallback;
    const cJSON *field = cJSON_GetObjectItemCaseSensitive (root, name);
    if (!field)
        return 0;
    double value = cJSON_IsNumber (field) ? field->valuedouble : 0;
    //  isfinite first: floor (inf) == inf.
    if (!isfinite (value) || value != floor (value) || value < 1 ||
        value > max) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (field, got, sizeof got);
        fielderr_set (err, name,
                      "must be a whole number between 1 and %u, got %s", max,
                      got);
        return -1;
    }
    *value_p = (uint32_t)value;
    return 0;
}

//  "webhook": {"url": "https://..."}. Only the form is checked here;
//  whether the server may call it is the operator's to say (the
//  ventilator's allowlist, when the job is admitted).
static int
s_parse_webhook (jobspec_t *self, fielderr_t *err)
{
    const cJSON *webhook =
        cJSON_GetObjectItemCaseSensitive (self->root, "webhook");
    if (!webhook)
        return 0;
    char got[JSONDOC_DESCRIBE_MAX];
    if (!cJSON_IsObject (webhook)) {
        jsondoc_describe (webhook, got, sizeof got);
        fielderr_set (err, "webhook", "must be an object with \"url\", got %s",
                      got);
        return -1;
    }
    for (const cJSON *member = webhook->child; member; member = member->next)
        if (!member->string || strcmp (member->string, "url") != 0) {
            fielderr_set (err, "webhook",
                          "unknown field '%.64s'; expected only \"url\"",
                          member->string ? member->string : "");
            return -1;
        }
    const cJSON *url = cJSON_GetObjectItemCaseSensitive (webhook, "url");
    const char *text = cJSON_GetStringValue (url);
    size_t size = text ? strlen (text) : 0;
    bool is_http = text && (strncmp (text, "https://", 8) == 0 ||
                            strncmp (text, "http://", 7) == 0);
    if (!is_http || size > JOBSPEC_WEBHOOK_URL_MAX) {
        if (url)
            jsondoc_describe (url, got, sizeof got);
        fielderr_set (err, "webhook.url",
                      "must be an https:// URL of at most %d bytes, got %s",
                      JOBSPEC_WEBHOOK_URL_MAX, url ? got : "nothing");
        return -1;
    }
    self->webhook_url = strdup (text);
    if (!self->webhook_url) {
        fielderr_set (err, "", "out of memory");
        return -1;
    }
    return 0;
}

static int
s_parse_template (jobspec_t *self, fielderr_t *err)
{
    self->template_json =
        cJSON_GetObjectItemCaseSensitive (self->root, "template");
    if (!self->template_json) {
        fielderr_set (err, "template",
                      "missing required field 'template'; expected an object "
                      "with \"page\" and \"elements\"");
        return -1;
    }
    self->assets_json = cJSON_GetObjectItemCaseSensitive (self->root, "assets");
    self->template = template_parse (self->template_json, self->assets_json,
                                     "template", err);
    if (!self->template)
        return -1;
    self->glyphs = glyphset_new (self->template);
    if (!self->glyphs) {
        fielderr_set (err, "", "out of memory");
        return -1;
    }
    return 0;
}

//  The records' place: an array (the records themselves are counted by
//  the reader), at most JOBSPEC_RECORDS_MAX and at least one.
static int
s_check_records_member (jobspec_t *self, size_t record_count, fielderr_t *err)
{
    const cJSON *records =
        cJSON_GetObjectItemCaseSensitive (self->root, "records");
    if (!records) {
        fielderr_set (err, "records",
                      "missing required field 'records'; expected an array "
                      "of objects, one per page");
        return -1;
    }
    if (!cJSON_IsArray (records)) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (records, got, sizeof got);
        fielderr_set (err, "records",
                      "must be an array of objects, one per page, got %s", got);
        return -1;
    }
    if (record_count > JOBSPEC_RECORDS_MAX) {
        fielderr_set (err, "records",
                      "has more than %d records, the most a job may have",
                      JOBSPEC_RECORDS_MAX);
        return -1;
    }
    if (record_count == 0) {
        fielderr_set (err, "records",
                      "must have at least one record (one per page)");
        return -1;
    }
    self->record_count = (uint32_t)record_count;
    return 0;
}

int
jobspec_check_record_object (const cJSON *record, uint32_t record_nbr,
                             fielderr_t *err)
{
    if (cJSON_IsObject (record))
        return 0;
    char field[FIELDERR_FIELD_MAX];
    snprintf (field, sizeof field, "records[%u]", record_nbr);
    char got[JSONDOC_DESCRIBE_MAX];
    jsondoc_describe (record, got, sizeof got);
    fielderr_set (err, field, "must be an object, got %s", got);
    return -1;
}

//  Numbers cJSON could only read as infinite, anywhere in record: found
//  walking it with an explicit stack (parsing bounded its depth).
int
jobspec_check_record_values (const cJSON *record, uint32_t record_nbr,
                             fielderr_t *err)
{
    if (!record)
        return 0;
    const cJSON *containers[JOBSPEC_NESTING_MAX + 1];
    const cJSON *cursors[JOBSPEC_NESTING_MAX + 1];
    uint32_t indexes[JOBSPEC_NESTING_MAX + 1];
    int top = 0;
    containers[0] = record;
    cursors[0] = record->child;
    indexes[0] = 0;
    while (top >= 0) {
        const cJSON *node = cursors[top];
        if (!node) {
            top--;
            if (top >= 0) {
                cursors[top] = cursors[top]->next;
                indexes[top]++;
            }
            continue;
        }
        int too_deep = (cJSON_IsObject (node) || cJSON_IsArray (node)) &&
                       node->child && top + 1 > JOBSPEC_NESTING_MAX;
        if ((cJSON_IsNumber (node) && !isfinite (node->valuedouble)) ||
            too_deep) {
            char field[FIELDERR_FIELD_MAX];
            int written = snprintf (field, sizeof field, "records[%u]",
                                    (unsigned)record_nbr);
            size_t used = written > 0 ? (size_t)written : 0;
            for (int level = 0; level <= top && used < sizeof field; level++) {
                if (cJSON_IsArray (containers[level]))
                    written = snprintf (field + used, sizeof field - used,
                                        "[%u]", (unsigned)indexes[level]);
                else
                    written = snprintf (
                        field + used, sizeof field - used, ".%s",
                        cursors[level]->string ? cursors[level]->string : "");
                if (written < 0)
                    break;
                used += (size_t)written;
            }
            if (too_deep)
                fielderr_set (err, field, "nested deeper than %d levels",
                              JOBSPEC_NESTING_MAX);
            else
                fielderr_set (err, field,
                              "is a number too large to represent (beyond "
                              "about 1.8e308)");
            return -1;
        }
        if ((cJSON_IsObject (node) || cJSON_IsArray (node)) && node->child) {
            top++;
            containers[top] = node;
            cursors[top] = node->child;
            indexes[top] = 0;
            continue;
        }
        cursors[top] = node->next;
        indexes[top]++;
    }
    return 0;
}

//  template_text_fn for glyphset_add.
static void
s_glyphs_add (void *glyphs, const template_font_t *font, const char *text,
              size_t length)
{
    glyphset_add ((glyphset_t *)glyphs, font, text, length);
}

int
jobspec_check_record (const jobspec_t *self, const cJSON *record,
                      uint32_t record_nbr, joblimits_page_t *cost,
                      fielderr_t *err)
{
    assert (self);
    //  One page per record: record n is page n + 1.
    subst_vars_t vars = {record_nbr + 1, self->record_count, record_nbr, NULL,
                         NULL};
    return template_check_record_cost (self->template, record, &vars,
                                       s_glyphs_add, self->glyphs, cost, err)
               ? -1
               : 0;
}

int
jobspec_check_fields (const cJSON *head, fielderr_t *err)
{
    return jsondoc_check_fields (head, "", s_document_fields, err);
}

jobspec_t *
jobspec_new (cJSON **head_p, size_t record_count, fielderr_t *err)
{
    assert (head_p);
    cJSON *root = *head_p;
    *head_p = NULL;
    jobspec_t *self = calloc (1, sizeof (jobspec_t));
    if (!self) {
        cJSON_Delete (root);
        fielderr_set (err, "", "out of memory");
        return NULL;
    }
    self->root = root;
    if (!cJSON_IsObject (root)) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (root, got, sizeof got);
        fielderr_set (err, "",
                      "must be a JSON object with \"version\", \"template\" "
                      "and \"records\", got %s",
                      got);
        goto failed;
    }
    int rc = jobspec_check_fields (root, err);
    if (rc)
        goto failed;
    rc = s_parse_version (root, err);
    if (rc)
        goto failed;
    rc = s_parse_count (root, "chunk_pages", JOBSPEC_CHUNK_PAGES_MAX,
                        JOBSPEC_CHUNK_PAGES_DEFAULT, &self->chunk_pages, err);
    if (rc)
        goto failed;
    rc = s_parse_count (root, "priority", JOBSPEC_PRIORITY_MAX,
                        JOBSPEC_PRIORITY_DEFAULT, &self->priority, err);
    if (rc)
        goto failed;
    rc = s_parse_template (self, err);
    if (rc)
        goto failed;
    self->output = output_parse (
        cJSON_GetObjectItemCaseSensitive (root, "output"), "output", err);
    if (!self->output)
        goto failed;
    rc = s_parse_webhook (self, err);
    if (rc)
        goto failed;
    rc = s_check_records_member (self, record_count, err);
    if (rc)
        goto failed;
    return self;

failed:
    jobspec_destroy (&self);
    return NULL;
}

//  jobspec_parse's records sink: the records in memory.
typedef struct {
    bytebuf_t text;
    size_t *starts; // of each record in text, and where the next goes
    size_t count;
    size_t space; // entries in starts
    size_t read;  // records read back
} s_memory_t;

static int
s_memory_append (void *arg, const char *json, size_t size)
{
    s_memory_t *memory = arg;
    if (memory->count + 2 > memory->space) {
        size_t space = memory->space ? memory->space * 2 : 64;
        size_t *starts = realloc (memory->starts, space * sizeof *starts);
        if (!starts)
            return -1;
        memory->starts = starts;
        memory->space = space;
    }
    memory->starts[memory->count] = memory->text.size;
    if (bytebuf_append (&memory->text, json, size) == -1 ||
        bytebuf_append (&memory->text, "\n", 1) == -1)
        return -1;
    memory->count++;
    memory->starts[memory->count] = memory->text.size;
    return 0;
}

static int
s_memory_rewind (void *arg, uint32_t chunk_pages)
{
    (void)chunk_pages;
    s_memory_t *memory = arg;
    memory->read = 0;
    return 0;
}

static int
s_memory_next (void *arg, const char **json_p, size_t *size_p)
{
    s_memory_t *memory = arg;
    if (memory->read == memory->count)
        return 0;
    size_t start = memory->starts[memory->read];
    size_t end = memory->starts[memory->read + 1];
    *json_p = memory->text.data + start;
    *size_p = end - start - 1;
    memory->read++;
    return 1;
}

jobspec_t *
jobspec_parse (const char *json, size_t size, fielderr_t *err)
{
    static const jobreader_sink_t sink = {s_memory_append, s_memory_rewind,
                                          s_memory_next};
    s_memory_t memory = {0};
    jobreader_t *reader = jobreader_new (&sink, &memory);
    jobspec_t *self = NULL;
    if (!reader)
        fielderr_set (err, "", "out of memory");
    else if (jobreader_feed (reader, json, json ? size : 0) == 0 &&
             jobreader_feed_end (reader) == 0)
        self = jobreader_finish (reader);
    if (reader && !self)
        *err = *jobreader_error (reader);
    jobreader_destroy (&reader);
    if (self) {
        self->records = memory.text;
        self->record_starts = memory.starts;
    } else {
        bytebuf_free (&memory.text);
        free (memory.starts);
    }
    return self;
}

void
jobspec_destroy (jobspec_t **self_p)
{
    assert (self_p);
    jobspec_t *self = *self_p;
    if (!self)
        return;
    glyphset_destroy (&self->glyphs);
    template_destroy (&self->template);
    output_destroy (&self->output);
    free (self->webhook_url);
    bytebuf_free (&self->records);
    free (self->record_starts);
    cJSON_Delete (self->root);
    free (self);
    *self_p = NULL;
}

const char *
jobspec_webhook_url (const jobspec_t *self)
{
    assert (self);
    return self->webhook_url;
}

int
jobspec_set_webhook_url (jobspec_t *self, const char *url)
{
    assert (self);
    char *copy = url ? strdup (url) : NULL;
    if (url && !copy)
        return -1;
    free (self->webhook_url);
    self->webhook_url = copy;
    return 0;
}

const output_t *
jobspec_output (const jobspec_t *self)
{
    assert (self);
    return self->output;
}

uint32_t
jobspec_pages (const jobspec_t *self)
{
    assert (self);
    return self->record_count;
}

uint32_t
jobspec_priority (const jobspec_t *self)
{
    assert (self);
    return self->priority;
}

uint32_t
jobspec_chunk_pages (const jobspec_t *self)
{
    assert (self);
    return self->chunk_pages;
}

const template_t *
jobspec_template (const jobspec_t *self)
{
    assert (self);
    return self->template;
}

char *
jobspec_template_json (const jobspec_t *self)
{
    assert (self);
    //  Every chunk embeds the characters the records checked so far (all
    //  of them, once the job is accepted) draw in each TrueType font, so
    //  all chunks carry the same subset and the sink keeps one copy.
    if (glyphset_annotate (self->glyphs, self->template_json) == -1)
        return NULL;
    bytebuf_t text = {0};
    if (!self->assets_json) {
        jsoncompact_append (&text, self->template_json);
        return bytebuf_detach (&text);
    }
    bytebuf_append (&text, "{\"template\":", 12);
    jsoncompact_append (&text, self->template_json);
    bytebuf_append (&text, ",\"assets\":", 10);
    jsoncompact_append (&text, self->assets_json);
    bytebuf_append (&text, "}", 1);
    return bytebuf_detach (&text);
}

char *
jobspec_records_json (const jobspec_t *self, uint32_t first, uint32_t count)
{
    assert (self);
    if (!self->record_starts || first > self->record_count ||
        count > self->record_count - first)
        return NULL;
    size_t start = self->record_starts[first];
    size_t end = self->record_starts[first + count];
    bytebuf_t text = {0};
    bytebuf_append (&text, "[", 1);
    bytebuf_append (&text, self->records.data + start, end - start);
    bytebuf_append (&text, "]", 1);
    char *slice = bytebuf_detach (&text);
    if (!slice)
        return NULL;
    //  Records are one to a line: the line breaks become the commas
    //  between them, and the last one goes.
    size_t length = strlen (slice);
    for (size_t index = 1; index + 1 < length; index++)
        if (slice[index] == '\n')
            slice[index] = ',';
    if (count > 0) {
        slice[length - 2] = ']';
        slice[length - 1] = '\0';
    }
    return slice;
}
