/*  jobspec - a parsed and validated job document (docs/job-spec.md).

    Owns one job request: its template, its records (one page per record)
    and its options. The ventilator parses a document once, when it is
    submitted, and stores the template and per-chunk record slices; it
    never ships the whole document to anyone. Validation stops at the first
    problem and names the field.

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
//  One page per record.
#define JOBSPEC_RECORDS_MAX PROTO_PAGES_MAX
#define JOBSPEC_NESTING_MAX 64 // JSON nesting depth accepted

typedef struct _jobspec_t jobspec_t;

//  Parse and validate a job document. Returns NULL and fills err when the
//  text is not JSON, nested deeper than JOBSPEC_NESTING_MAX, or breaks any
//  rule of docs/job-spec.md. Caller owns the result.
jobspec_t *
jobspec_parse (const char *json, size_t size, fielderr_t *err);

void
jobspec_destroy (jobspec_t **self_p);

//  Where the result goes: the document's "output", or the defaults.
//  Borrowed.
const output_t *
jobspec_output (const jobspec_t *self);

//  Pages in the job: one per record.
uint32_t
jobspec_pages (const jobspec_t *self);

//  Pages per chunk: the document's "chunk_pages" or the default.
uint32_t
jobspec_chunk_pages (const jobspec_t *self);

//  The parsed template; borrowed.
const template_t *
jobspec_template (const jobspec_t *self);

//  The template as compact JSON text, as workers receive it: the template
//  object alone, or {"template": ..., "assets": ...} when the job has
//  assets (template_parse_text reads both). Caller frees.
char *
jobspec_template_json (const jobspec_t *self);

//  Records [first, first + count) (0-based) as a compact JSON array. Returns
//  NULL when the range is outside the records. Caller frees.
char *
jobspec_records_json (const jobspec_t *self, uint32_t first, uint32_t count);

#endif
