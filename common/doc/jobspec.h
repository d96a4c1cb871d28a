/*  jobspec - a validated job document (docs/job-spec.md).

    Owns one job request: its template and assets, its options, where its
    result goes and how many records (pages) it has. The ventilator reads
    a document as it arrives with common/doc/jobreader, which hands the
    records to the job's records file one at a time and runs the checks
    here on the rest of the document and on each record, so that a job
    holds everything but its records; the records never need to be in
    memory all at once. Validation stops at the first problem and names
    the field. The checks are public so that the reader can run them in
    the order their errors rank, which is the order listed here.

    jobspec_parse reads a whole document already in memory through the
    same reader and keeps its records too (tests, tools, small
    documents), so both say the same of the same document.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_JOBSPEC_H
#define PDFPIPE_JOBSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "fielderr.h"
#include "output.h"
#include "proto.h"
#include "template.h"

#define JOBSPEC_VERSION 1
//  Default chunk size. libharu holds a chunk in memory until it saves (about
//  14 MB per 1,000 simple pages) and fixed per-chunk costs (a TrueType font
//  load is about 60 ms) argue against tiny chunks.
#define JOBSPEC_CHUNK_PAGES_DEFAULT 250
#define JOBSPEC_CHUNK_PAGES_MAX PROTO_CHUNK_PAGES_MAX
//  "priority": a job's share of the workers against other jobs' (a job of
//  priority 20 gets twice the chunks of one of 10 while both have some).
#define JOBSPEC_PRIORITY_DEFAULT 10
#define JOBSPEC_PRIORITY_MAX 100
//  One page per record.
#define JOBSPEC_RECORDS_MAX PROTO_PAGES_MAX
#define JOBSPEC_NESTING_MAX 64 // JSON nesting depth accepted
//  A document is read as it arrives and only one record is held at a
//  time, so its size is bounded by disk, not memory (the ventilator's
//  --max-body-mb); what is held is bounded here. All members but the
//  records together: the template and assets (inline images of up to 16
//  MiB each, as base64), held parsed while the job is read.
#define JOBSPEC_MEMBERS_BYTES_MAX (64 * 1024 * 1024)
//  One record, as written in the document: one page's data.
#define JOBSPEC_RECORD_BYTES_MAX (4 * 1024 * 1024)
//  Longest "webhook"."url".
#define JOBSPEC_WEBHOOK_URL_MAX 2048

typedef struct _jobspec_t jobspec_t;

struct cJSON;

//  Parse and validate a whole job document held in memory, keeping its
//  records. Returns NULL and fills err when the text is not JSON, nested
//  deeper than JOBSPEC_NESTING_MAX, or breaks any rule of
//  docs/job-spec.md. Caller owns the result.
jobspec_t *
jobspec_parse (const char *json, size_t size, fielderr_t *err);

//  Check the members of a document read so far (head: an object holding
//  them in document order) against the fields a job document has: none
//  unknown, none twice. Returns 0, or -1 with err naming the first
//  offender ("unknown field 'colour'; expected one of: ...").
int
jobspec_check_fields (const struct cJSON *head, fielderr_t *err);

//  A job of the document whose members other than the records are head
//  (taken, also on failure; the whole document when it is not an object)
//  and which has record_count records (counting stops at
//  JOBSPEC_RECORDS_MAX + 1). head's "records" is the records' place: an
//  array stands for them (it may be empty), anything else is an error.
//  Checks that the document is an object, its fields, version,
//  chunk_pages, template and assets, output, webhook, and that it has
//  records, at most JOBSPEC_RECORDS_MAX and at least one. Returns NULL with err
//  at the first problem. Caller owns the result.
jobspec_t *
jobspec_new (struct cJSON **head_p, size_t record_count, fielderr_t *err);

//  Check that record, the record_nbr'th (0-based) of the document, is an
//  object. Returns 0, or -1 with err ("records[3]": "must be an object,
//  got ...").
int
jobspec_check_record_object (const struct cJSON *record, uint32_t record_nbr,
                             fielderr_t *err);

//  Check the values of record wherever they are, used or not: no number
//  too large to represent (cJSON reads 1e999 as infinite), no nesting
//  deeper than JOBSPEC_NESTING_MAX. Returns 0, or -1 with err naming the
//  value ("records[0].unused.list[1]").
int
jobspec_check_record_values (const struct cJSON *record, uint32_t record_nbr,
                             fielderr_t *err);

//  Check record, the record_nbr'th of the job's records, against the
//  template: draw it dry (template_check_record) as page record_nbr + 1
//  of jobspec_pages, and count what its page draws into *cost (NULL: not
//  counted; see common/doc/joblimits). Returns 0, or -1 with err naming
//  the record's field.
int
jobspec_check_record (const jobspec_t *self, const struct cJSON *record,
                      uint32_t record_nbr, joblimits_page_t *cost,
                      fielderr_t *err);

void
jobspec_destroy (jobspec_t **self_p);

//  Where the result goes: the document's "output", or the defaults.
//  Borrowed.
const output_t *
jobspec_output (const jobspec_t *self);

//  The document's "webhook"."url" (an http:// or https:// URL of at most
//  JOBSPEC_WEBHOOK_URL_MAX bytes, nothing more checked), or NULL when it
//  named none. Borrowed.
const char *
jobspec_webhook_url (const jobspec_t *self);

//  Replace the job's webhook URL with url (copied; NULL: none), as the
//  ventilator does with its default for a job that named none. Returns 0,
//  or -1 when out of memory (nothing changed).
int
jobspec_set_webhook_url (jobspec_t *self, const char *url);

//  Pages in the job: one per record.
uint32_t
jobspec_pages (const jobspec_t *self);

//  Pages per chunk: the document's "chunk_pages" or the default.
uint32_t
jobspec_chunk_pages (const jobspec_t *self);

//  The document's "priority", or JOBSPEC_PRIORITY_DEFAULT.
uint32_t
jobspec_priority (const jobspec_t *self);

//  The parsed template; borrowed.
const template_t *
jobspec_template (const jobspec_t *self);

//  The template as compact JSON text, as workers receive it: the template
//  object alone, or {"template": ..., "assets": ...} when the job has
//  assets (template_parse_text reads both), each TrueType font with the
//  characters the records checked so far draw in it as its "glyphs".
//  Returns NULL when out of memory. Caller frees.
char *
jobspec_template_json (const jobspec_t *self);

//  Records [first, first + count) (0-based) of a job made by
//  jobspec_parse, as a compact JSON array. Returns NULL when the range is
//  outside the records, or the job holds none (one made by jobspec_new:
//  its records are wherever its reader put them). Caller frees.
char *
jobspec_records_json (const jobspec_t *self, uint32_t first, uint32_t count);

#endif
