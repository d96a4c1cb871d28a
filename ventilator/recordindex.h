/*  recordindex - a done job's per-record index, one JSON line at a time.

    Owns the making of GET /v1/jobs/{id}/index (docs/api.md): for each
    record, in order, {"record": n, "first_page": p, "pages": k} and the
    record's bookmark title when the template has one. It reads the job's
    records file (ventilator/recordfile, which the ventilator keeps for a
    done job until retention deletes the job) a line at a time and
    expands the template's "bookmark" against each record as the workers
    do (common/doc/subst), so a job of any size costs the memory of one
    record and one line. A record is one page today; first_page and pages
    are written so that records of several pages can come without a
    change of format.

    One reader per request, on the thread that made it.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_RECORDINDEX_H
#define PDFPIPE_RECORDINDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct _recordindex_t recordindex_t;

//  Why recordindex_new gave NULL.
typedef enum {
    RECORDINDEX_NO_RECORDS = 1, // the job's records file is not there
    RECORDINDEX_FAILED,         // the template or the file cannot be read
} recordindex_error_t;

//  A reader of job_id's index: its records file in jobs_dir, its
//  template_json as the job store keeps it (jobstore_template_json), and
//  pages, the job's total (for {{pages}} in a bookmark). Returns NULL with
//  *error set (logged unless NO_RECORDS). Caller owns the result.
recordindex_t *
recordindex_new (const char *jobs_dir, const char *job_id,
                 const char *template_json, uint32_t pages,
                 recordindex_error_t *error);

void
recordindex_destroy (recordindex_t **self_p);

//  The next line, with its line break: 1 with *line_p (borrowed until
//  the next call) and *size_p; 0 after the last record; -1 (logged) when
//  the file cannot be read or a record is not JSON.
int
recordindex_next (recordindex_t *self, const char **line_p, size_t *size_p);

#endif
