/*  recordindex - a done job's per-record index, one JSON line at a time.

    SPDX-License-Identifier: MPL-2.0
*/
#include "recordindex.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>

#include "bytebuf.h"
#include "fielderr.h"
#include "jsonstr.h"
#include "log.h"
#include "recordfile.h"
#include "subst.h"

//  Nesting a record may have: what a job document may have.
#define S_NESTING_MAX 64

struct _recordindex_t {
    char *job_id;
    FILE *records;
    subst_t *bookmark; // NULL when the template has none
    uint32_t pages;
    uint32_t record_nbr; // records read so far
    uint32_t next_page;  // first page of the next record
    char *record;        // getline's buffer
    size_t record_space;
    bytebuf_t line;
};

//  The template's "bookmark" compiled, or NULL when it has none. The
//  store keeps the template alone or as {"template": ..., "assets": ...}.
static int
s_compile_bookmark (recordindex_t *self, const char *template_json)
{
    cJSON *root = cJSON_Parse (template_json);
    if (!cJSON_IsObject (root)) {
        cJSON_Delete (root);
        return -1;
    }
    const cJSON *template = cJSON_GetObjectItemCaseSensitive (root, "template");
    if (!cJSON_IsObject (template))
        template = root;
    const cJSON *source =
        cJSON_GetObjectItemCaseSensitive (template, "bookmark");
    int rc = 0;
    if (cJSON_IsString (source) && source->valuestring[0]) {
        fielderr_t err;
        self->bookmark =
            subst_compile (source->valuestring, "template.bookmark", &err);
        rc = self->bookmark ? 0 : -1;
    }
    cJSON_Delete (root);
    return rc;
}

recordindex_t *
recordindex_new (const char *jobs_dir, const char *job_id,
                 const char *template_json, uint32_t pages,
                 recordindex_error_t *error)
{
    assert (jobs_dir);
    assert (job_id);
    assert (template_json);
    assert (error);
    recordindex_t *self = (recordindex_t *)zmalloc (sizeof (recordindex_t));
    assert (self);
    self->job_id = strdup (job_id);
    assert (self->job_id);
    self->pages = pages;
    self->next_page = 1;
    char *path =
        zsys_sprintf ("%s/%s/%s", jobs_dir, job_id, RECORDFILE_RECORDS);
    assert (path);
    self->records = fopen (path, "re");
    if (!self->records) {
        *error = errno == ENOENT ? RECORDINDEX_NO_RECORDS : RECORDINDEX_FAILED;
        if (errno != ENOENT)
            log_error ("recordindex: job=%s: cannot open %s: %s", job_id, path,
                       strerror (errno));
        zstr_free (&path);
        recordindex_destroy (&self);
        return NULL;
    }
    zstr_free (&path);
    if (s_compile_bookmark (self, template_json)) {
        log_error ("recordindex: job=%s: its stored template's bookmark "
                   "cannot be read",
                   job_id);
        *error = RECORDINDEX_FAILED;
        recordindex_destroy (&self);
    }
    return self;
}

void
recordindex_destroy (recordindex_t **self_p)
{
    assert (self_p);
    recordindex_t *self = *self_p;
    if (!self)
        return;
    if (self->records)
        fclose (self->records);
    subst_destroy (&self->bookmark);
    bytebuf_free (&self->line);
    free (self->record);
    free (self->job_id);
    free (self);
    *self_p = NULL;
}

//  Append ,"bookmark":"..." for record (JSON text) when the template has
//  a bookmark and it is not empty for this record.
static int
s_append_bookmark (recordindex_t *self, const char *record, size_t size,
                   uint32_t first_page)
{
    if (!self->bookmark)
        return 0;
    fielderr_t err;
    cJSON *json = cJSON_ParseWithLength (record, size);
    if (!json) {
        log_error ("recordindex: job=%s: record %" PRIu32 " is not JSON",
                   self->job_id, self->record_nbr);
        return -1;
    }
    subst_vars_t vars = {.page = first_page,
                         .pages = self->pages,
                         .record_nbr = self->record_nbr - 1};
    char *title = subst_expand (self->bookmark, json, &vars, NULL, &err);
    cJSON_Delete (json);
    //  Checked when the job was accepted; a title that cannot be made now
    //  is left out rather than failing the index.
    if (title && title[0]) {
        bytebuf_append_str (&self->line, ",\"bookmark\":");
        jsonstr_append (&self->line, title, strlen (title));
    }
    free (title);
    return 0;
}

//  The records file does not hold the job's pages (cut short, or written
//  over): the index would be wrong, so it is not finished. Returns -1.
static int
s_miscounted (recordindex_t *self)
{
    log_error ("recordindex: job=%s: its records file does not hold its %"
               PRIu32 " pages (%s after record %" PRIu32 "); the index is "
               "cut short",
               self->job_id, self->pages,
               self->next_page > self->pages ? "more" : "it ends",
               self->record_nbr);
    return -1;
}

int
recordindex_next (recordindex_t *self, const char **line_p, size_t *size_p)
{
    assert (self);
    assert (line_p && size_p);
    errno = 0;
    ssize_t length =
        getline (&self->record, &self->record_space, self->records);
    if (length == -1) {
        if (ferror (self->records)) {
            log_error ("recordindex: job=%s: cannot read its records: %s",
                       self->job_id, strerror (errno));
            return -1;
        }
        if (self->next_page != (uint64_t)self->pages + 1)
            return s_miscounted (self);
        return 0;
    }
    while (length > 0 && self->record[length - 1] == '\n')
        self->record[--length] = '\0';
    if (self->next_page > self->pages)
        return s_miscounted (self);
    self->record_nbr++;
    //  One page per record, for now.
    uint32_t first_page = self->next_page;
    uint32_t pages = 1;
    self->next_page += pages;
    char head[96];
    snprintf (head, sizeof head,
              "{\"record\":%" PRIu32 ",\"first_page\":%" PRIu32
              ",\"pages\":%" PRIu32,
              self->record_nbr, first_page, pages);
    bytebuf_reset (&self->line);
    bytebuf_append_str (&self->line, head);
    if (s_append_bookmark (self, self->record, (size_t)length, first_page))
        return -1;
    if (bytebuf_append_str (&self->line, "}\n")) {
        log_error ("recordindex: job=%s: out of memory", self->job_id);
        return -1;
    }
    *line_p = self->line.data;
    *size_p = self->line.size;
    return 1;
}
