/*  apireply - what the pdfpipe API answers, read by the command-line client.

    Owns one parsed job status document (the body of GET /v1/jobs/{id}),
    and knows the two other shapes the API answers with: the error body
    {"error": {"message": ..., "field": ...}} and the job id in a submit
    reply. It does no I/O.

    Everything here comes off the network: each field is checked, anything
    unexpected gives NULL and a reason instead of a crash, and text that
    will be printed on a terminal has its control characters replaced so a
    server cannot move the cursor or inject escape sequences. States the
    client does not know are accepted and shown as they are, so that a newer
    server does not break an older client.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_APIREPLY_H
#define PDFPIPE_APIREPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define APIREPLY_REASON_MAX 256 // bytes of a reason, with the NUL
#define APIREPLY_STATE_MAX 32   // characters of a state name
//  A non-JSON error body is quoted up to this many characters.
#define APIREPLY_EXCERPT_MAX 200

typedef struct _apireply_t apireply_t;

//  Parse a job status document. It must be a JSON object with a string
//  "id", a lower-case "state", "pages": {"done", "total"} as non-negative
//  whole numbers, and "error" a string, null or absent; "progress" is
//  optional and read only for its rate and time left. Returns NULL and
//  writes why into reason (size bytes, may be NULL) otherwise. Caller owns
//  the result.
apireply_t *
apireply_parse (const char *body, char *reason, size_t size);

void
apireply_destroy (apireply_t **self_p);

//  The job id; borrowed.
const char *
apireply_id (const apireply_t *self);

//  The state ("queued", "rendering", ..., "done"); borrowed.
const char *
apireply_state (const apireply_t *self);

//  True when the state is final: done, failed or cancelled.
bool
apireply_finished (const apireply_t *self);

uint64_t
apireply_pages_done (const apireply_t *self);

uint64_t
apireply_pages_total (const apireply_t *self);

//  The document's "chunks.done", for asking the server to answer once it
//  changes (docs/api.md, wait_s and since); -1 when it has none (an older
//  server).
int64_t
apireply_chunks_done (const apireply_t *self);

//  The rendering rate and the seconds left from the document's
//  "progress" object (docs/api.md); -1 when it has none, or gives null or
//  anything but a finite non-negative number (an older server, a job that
//  has not rendered a page yet).
double
apireply_pages_per_s (const apireply_t *self);

double
apireply_eta_s (const apireply_t *self);

//  Why the job failed, with control characters replaced and trailing
//  blanks removed; NULL when the document has no error. Borrowed.
const char *
apireply_error (const apireply_t *self);

//  The whole document, indented for people. Returns NULL when out of
//  memory. Caller frees.
char *
apireply_pretty (const apireply_t *self);

//  The job id in the reply to a submit ({"id": "...", ...}): 1 to
//  PROTO_JOB_ID_MAX printable characters without spaces or slashes, so it
//  is safe to print alone on a line. Returns NULL and writes why into
//  reason otherwise. Caller frees.
char *
apireply_job_id (const char *body, char *reason, size_t size);

//  A sentence for an unsuccessful reply with this HTTP status and body.
//  From an API error body, "field: message" or just "message"; from any
//  other body, "server answered HTTP <status> <phrase>" followed by an
//  excerpt of the body when it has one. Control characters are replaced.
//  body may be NULL. Returns NULL only when out of memory. Caller frees.
char *
apireply_error_text (long status, const char *body);

#endif
