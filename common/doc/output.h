/*  output - where a job's finished PDF goes: the "output" object of a job
    document (docs/job-spec.md).

    Owns the parsed, validated form of that object: a key template for the
    store ("invoices/{{job_id}}-{{date}}.pdf") and a download file name
    ("invoice.pdf"), both optional. Placeholders are {{job_id}}, {{date}}
    (YYYY-MM-DD), {{time}} (HHMMSS), {{year}}, {{month}} and {{day}}, all
    in UTC at the moment the job was accepted, with optional spaces inside
    the braces. The ventilator renders them once, when it accepts a job,
    and keeps the result; nothing downstream sees a template.

    The key a job's result is stored under is "<job id>/<rendered key>":
    each job writes only under its own id, so no key a document gives can
    name, replace or block another job's result (common/store refuses a
    put outside the job's id too).

    Validation happens at parse time, so a rendered key is always a valid
    store key (common/proto/ident's rules: segments of A-Z a-z 0-9 . _ -, none
    empty and none starting with '.', so no "..", no leading or trailing
    '/'), at most OUTPUT_KEY_MAX bytes for any job id. A file name is 1 to
    OUTPUT_FILENAME_MAX bytes of UTF-8 without control characters, '/' or
    '\', and not "." or "..".

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_OUTPUT_H
#define PDFPIPE_OUTPUT_H

#include <stdint.h>

#include "fielderr.h"
#include "proto.h"

struct cJSON;

//  Keys leave room for a store prefix of up to half of STORE_KEY_MAX
//  (common/store).
#define OUTPUT_KEY_MAX 512
//  What is left of it for the document's key, once the job id and its '/'
//  are in front.
#define OUTPUT_DOCUMENT_KEY_MAX (OUTPUT_KEY_MAX - PROTO_JOB_ID_MAX - 1)
#define OUTPUT_FILENAME_MAX 255
#define OUTPUT_KEY_DEFAULT "{{job_id}}.pdf"

typedef struct _output_t output_t;

//  Parse and validate the "output" object json, found at path in the
//  document ("output"). json may be NULL (no "output" in the document):
//  the result then has the default key and no file name. Returns NULL and
//  fills err naming the field at fault. Caller owns the result.
output_t *
output_parse (const struct cJSON *json, const char *path, fielderr_t *err);

void
output_destroy (output_t **self_p);

//  The store key for job job_id accepted at at_ms (ms since the Unix
//  epoch): "<job_id>/" and the document's key with its placeholders
//  replaced. job_id is 1 to PROTO_JOB_ID_MAX characters of [A-Za-z0-9_-].
//  Returns NULL when out of memory. Caller frees.
char *
output_key (const output_t *self, const char *job_id, int64_t at_ms);

//  The download file name for the same job, placeholders replaced, or NULL
//  when the document gave none (or out of memory). Caller frees.
char *
output_filename (const output_t *self, const char *job_id, int64_t at_ms);

#endif
