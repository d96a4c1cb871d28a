/*  jobspec - a parsed and validated job document (docs/job-spec.md).

    The parsed cJSON tree stays alive inside the jobspec: records are sliced
    from it for each chunk, through an index of record pointers, because a
    cJSON array is a linked list and slicing by walking it would make a job
    of n chunks cost O(n^2). The tree costs about seven times the size of
    the document in memory, which is accepted for now.

    Every record is checked at parse time, so a job that is accepted never
    fails in a worker for a reason the document could have shown: the
    template draws each record dry (template_check_record: every text
    expanded and checked against its font, table rows fitted, barcode data
    checked), and each record is walked once, without recursion, for
    numbers cJSON read as infinite (1e999). The texts drawn in TrueType
    fonts go to common/doc/glyphset on the way, which writes each font's
    characters into the template as its "glyphs": workers embed that
    subset in every chunk, so the sink can keep one copy of the font.

    Assets (images) are a top-level member of the document, but workers
    need them with the template: jobspec_template_json wraps both as
    {"template": ..., "assets": ...} when there are assets, which
    template_parse_text reads.

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
#include "jsondoc.h"
#include "jsonstr.h"
#include "output.h"

struct _jobspec_t {
    cJSON *root;                // the whole document
    const cJSON *template_json; // borrowed from root
    const cJSON *assets_json;   // borrowed from root; NULL when none
    template_t *template;
    const cJSON **records; // record_count pointers into root
    uint32_t record_count;
    uint32_t chunk_pages;
    output_t *output; // where the result goes (common/doc/output)
};

static const char *const s_document_fields[] = {
    "version", "chunk_pages", "assets", "template", "records", "output", NULL};

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

static int
s_parse_chunk_pages (jobspec_t *self, fielderr_t *err)
{
    self->chunk_pages = JOBSPEC_CHUNK_PAGES_DEFAULT;
    const cJSON *chunk_pages =
        cJSON_GetObjectItemCaseSensitive (self->root, "chunk_pages");
    if (!chunk_pages)
        return 0;
    double value = cJSON_IsNumber (chunk_pages) ? chunk_pages->valuedouble : 0;
    //  isfinite first: floor (inf) == inf.
    if (!isfinite (value) || value != floor (value) || value < 1 ||
        value > JOBSPEC_CHUNK_PAGES_MAX) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (chunk_pages, got, sizeof got);
        fielderr_set (err, "chunk_pages",
                      "must be a whole number between 1 and %d, got %s",
                      JOBSPEC_CHUNK_PAGES_MAX, got);
        return -1;
    }
    self->chunk_pages = (uint32_t)value;
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
    return self->template ? 0 : -1;
}

static int
s_index_records (jobspec_t *self, fielderr_t *err)
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
    uint32_t count = 0;
    for (const cJSON *record = records->child; record; record = record->next) {
        if (count == JOBSPEC_RECORDS_MAX) {
            fielderr_set (err, "records",
                          "has more than %d records, the most a job may have",
                          JOBSPEC_RECORDS_MAX);
            return -1;
        }
        count++;
    }
    if (count == 0) {
        fielderr_set (err, "records",
                      "must have at least one record (one per page)");
        return -1;
    }
    self->records = calloc (count, sizeof (cJSON *));
    if (!self->records) {
        fielderr_set (err, "records", "out of memory");
        return -1;
    }
    uint32_t record_nbr = 0;
    for (const cJSON *record = records->child; record; record = record->next) {
        if (!cJSON_IsObject (record)) {
            char field[FIELDERR_FIELD_MAX];
            snprintf (field, sizeof field, "records[%u]", record_nbr);
            char got[JSONDOC_DESCRIBE_MAX];
            jsondoc_describe (record, got, sizeof got);
            fielderr_set (err, field, "must be an object, got %s", got);
            return -1;
        }
        self->records[record_nbr++] = record;
    }
    self->record_count = count;
    return 0;
}

//  Reject numbers cJSON could only read as infinite anywhere in record,
//  walking it with an explicit stack (parsing bounded its depth).
static int
s_check_numbers (const cJSON *record, uint32_t record_nbr, fielderr_t *err)
{
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

//  Check every record and write the characters each TrueType font draws
//  into the template (glyphset_annotate), so that every chunk embeds the
//  same subset of it.
static int
s_check_records (jobspec_t *self, fielderr_t *err)
{
    glyphset_t *glyphs = glyphset_new (self->template);
    if (!glyphs) {
        fielderr_set (err, "", "out of memory");
        return -1;
    }
    int rc = 0;
    for (uint32_t record_nbr = 0; rc == 0 && record_nbr < self->record_count;
         record_nbr++) {
        const cJSON *record = self->records[record_nbr];
        rc = s_check_numbers (record, record_nbr, err);
        //  One page per record: record n is page n + 1.
        subst_vars_t vars = {record_nbr + 1, self->record_count, record_nbr,
                             NULL, NULL};
        if (rc == 0)
            rc = template_check_record_texts (self->template, record, &vars,
                                              s_glyphs_add, glyphs, err);
    }
    if (rc == 0) {
        cJSON *template_json =
            cJSON_GetObjectItemCaseSensitive (self->root, "template");
        rc = glyphset_annotate (glyphs, template_json);
        if (rc)
            fielderr_set (err, "template.fonts", "out of memory");
    }
    glyphset_destroy (&glyphs);
    return rc ? -1 : 0;
}

// ---------------------------------------------------------------------------
// Printing compact JSON for workers
//
// cJSON's own printer is not used: it compares doubles with a tolerance
// and so prints 9007199254740991 as 9.00719925474099e+15, which reads back
// one less. Numbers here are written exactly, as subst_expand writes them.

static void
s_append_string (bytebuf_t *text, const char *value)
{
    const char *string = value ? value : "";
    jsonstr_append (text, string, strlen (string));
}

static void
s_append_scalar (bytebuf_t *text, const cJSON *value)
{
    if (cJSON_IsString (value))
        s_append_string (text, value->valuestring);
    else if (cJSON_IsNumber (value) && isfinite (value->valuedouble)) {
        char number[SUBST_NUMBER_MAX];
        size_t length = subst_format_number (value->valuedouble, number);
        bytebuf_append (text, number, length);
    } else if (cJSON_IsTrue (value))
        bytebuf_append (text, "true", 4);
    else if (cJSON_IsFalse (value))
        bytebuf_append (text, "false", 5);
    else
        bytebuf_append (text, "null", 4);
}

//  Append value as compact JSON, walking it with an explicit stack.
static void
s_append_json (bytebuf_t *text, const cJSON *value)
{
    const cJSON *containers[JOBSPEC_NESTING_MAX + 1];
    const cJSON *cursors[JOBSPEC_NESTING_MAX + 1];
    int top = -1;
    const cJSON *node = value;
    while (!text->failed) {
        if (top >= 0 && cJSON_IsObject (containers[top])) {
            s_append_string (text, node->string);
            bytebuf_append (text, ":", 1);
        }
        int is_object = cJSON_IsObject (node);
        if (is_object || cJSON_IsArray (node)) {
            bytebuf_append (text, is_object ? "{" : "[", 1);
            if (node->child && top + 1 <= JOBSPEC_NESTING_MAX) {
                top++;
                containers[top] = node;
                cursors[top] = node->child;
                node = node->child;
                continue;
            }
            //  Deeper than parsing allows: cannot happen, but stay bounded.
            if (node->child)
                text->failed = true;
            bytebuf_append (text, is_object ? "}" : "]", 1);
        } else
            s_append_scalar (text, node);
        while (top >= 0 && !cursors[top]->next) {
            bytebuf_append (text, cJSON_IsObject (containers[top]) ? "}" : "]",
                            1);
            top--;
        }
        if (top < 0)
            return;
        bytebuf_append (text, ",", 1);
        cursors[top] = cursors[top]->next;
        node = cursors[top];
    }
}

jobspec_t *
jobspec_parse (const char *json, size_t size, fielderr_t *err)
{
    cJSON *root = jsondoc_parse (json, size, JOBSPEC_NESTING_MAX, err);
    if (!root)
        return NULL;
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
    int rc = jsondoc_check_fields (root, "", s_document_fields, err);
    if (rc)
        goto failed;
    rc = s_parse_version (root, err);
    if (rc)
        goto failed;
    rc = s_parse_chunk_pages (self, err);
    if (rc)
        goto failed;
    rc = s_parse_template (self, err);
    if (rc)
        goto failed;
    self->output = output_parse (
        cJSON_GetObjectItemCaseSensitive (root, "output"), "output", err);
    if (!self->output)
        goto failed;
    rc = s_index_records (self, err);
    if (rc)
        goto failed;
    rc = s_check_records (self, err);
    if (rc)
        goto failed;
    return self;

failed:
    jobspec_destroy (&self);
    return NULL;
}

void
jobspec_destroy (jobspec_t **self_p)
{
    assert (self_p);
    jobspec_t *self = *self_p;
    if (!self)
        return;
    template_destroy (&self->template);
    output_destroy (&self->output);
    free (self->records);
    cJSON_Delete (self->root);
    free (self);
    *self_p = NULL;
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
    bytebuf_t text = {0};
    if (!self->assets_json) {
        s_append_json (&text, self->template_json);
        return bytebuf_detach (&text);
    }
    bytebuf_append (&text, "{\"template\":", 12);
    s_append_json (&text, self->template_json);
    bytebuf_append (&text, ",\"assets\":", 10);
    s_append_json (&text, self->assets_json);
    bytebuf_append (&text, "}", 1);
    return bytebuf_detach (&text);
}

char *
jobspec_records_json (const jobspec_t *self, uint32_t first, uint32_t count)
{
    assert (self);
    if (first > self->record_count || count > self->record_count - first)
        return NULL;
    bytebuf_t text = {0};
    bytebuf_append (&text, "[", 1);
    for (uint32_t index = 0; index < count; index++) {
        if (index)
            bytebuf_append (&text, ",", 1);
        s_append_json (&text, self->records[first + index]);
    }
    bytebuf_append (&text, "]", 1);
    return bytebuf_detach (&text);
}
