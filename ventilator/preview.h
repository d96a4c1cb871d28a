/*  preview - one page of a job document rendered at once (POST /v1/preview).

    Owns the previews in progress: at most previews_max at once (beyond,
    preview_begin refuses, for a 503), each with its body held in memory up
    to body_max (beyond, a 413) and, once the body is complete, a thread of
    its own that does the rest off the HTTP thread:

    - reads the document with the checks of a submission (jobreader: the
      same 400s with the same fields; records and assets by URL are
      fetched under the same --s3-inputs rules, ventilator/fetch), but
      checks and keeps only the records up to the page asked for; the
      later ones are only counted, for {{pages}} and for "page 9 is past
      the last record (3 records)";
    - hands the template and that one record to the worker's one-shot mode
      (pdfpipe-worker --preview, worker/preview) under ventilator/sandbox:
      a time limit for the whole preview, address space and CPU limits,
      the ventilator's job limits as the worker's options; a crash or a
      limit there is a 500 naming it, and the ventilator goes on;
    - for format png, turns the PDF into a PNG at PREVIEW_PNG_DPI with
      pdftoppm (poppler-utils), bounded the same way.

    Nothing is written to disk and nothing is queued: no job exists.

    The outcome is an answer (status, content type, bytes); the HTTP side
    (ventilator/httpapi, the only module that sees libmicrohttpd) learns it
    as with intake: preview_end says whether it is known, or calls suspend
    then, later from the preview's thread, resume, each once, under the
    module's lock.

    Threading: preview_begin, _write, _end, _answer and _drop are for the
    HTTP thread. preview_stop waits for the threads in progress (each ends
    within its time limit), so call it before stopping the HTTP server.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_PREVIEW_H
#define PDFPIPE_PREVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fielderr.h"
#include "s3.h"
#include "s3inputs.h"

//  Previews at once, by default; more are answered 503.
#define PREVIEW_AT_ONCE_DEFAULT 2
//  Largest body, by default (a 413 beyond): a preview needs few records.
#define PREVIEW_BODY_BYTES_DEFAULT ((size_t)16 * 1024 * 1024)
//  Time for the whole preview, by default; past it the renderer is killed
//  and the answer is a 500 saying so.
#define PREVIEW_TIMEOUT_MS_DEFAULT 10000
//  Address space of the renderer, by default: a page under the default
//  job limits (a 16-megapixel image decoded, 64 KiB of text) needs a
//  fraction of it.
#define PREVIEW_MEMORY_MB_DEFAULT 1024
//  Resolution of format=png, dots per inch.
#define PREVIEW_PNG_DPI 96
//  Largest PDF or PNG answered; a page is far smaller.
#define PREVIEW_OUTPUT_BYTES_MAX ((size_t)64 * 1024 * 1024)
//  Retry-After of a 503, seconds.
#define PREVIEW_RETRY_AFTER_S 1
//  pdftoppm, from poppler-utils.
#define PREVIEW_PDFTOPPM_DEFAULT "/usr/bin/pdftoppm"

typedef struct _preview_t preview_t;
typedef struct _preview_request_t preview_request_t;

typedef struct {
    const char *worker_path;     // pdfpipe-worker; NULL: previews are off
    const char *pdftoppm_path;   // NULL: PREVIEW_PDFTOPPM_DEFAULT
    size_t at_once;              // 0: PREVIEW_AT_ONCE_DEFAULT
    size_t body_max;             // bytes; 0: PREVIEW_BODY_BYTES_DEFAULT
    int64_t timeout_ms;          // 0: PREVIEW_TIMEOUT_MS_DEFAULT
    uint64_t memory_mb;          // 0: PREVIEW_MEMORY_MB_DEFAULT
    const s3_config_t *s3;       // records and assets by URL; NULL: none
    const s3inputs_t *s3_inputs; // where those may come from; NULL: nowhere
} preview_config_t;

typedef enum {
    PREVIEW_PDF = 0,
    PREVIEW_PNG,
} preview_format_t;

//  What a preview answers.
typedef struct {
    unsigned int status;      // 200, or an HTTP error status
    const char *content_type; // of data when 200
    const char *data;         // the PDF or PNG when 200; borrowed
    size_t size;
    fielderr_t error; // when not 200
} preview_answer_t;

//  The pdfpipe-worker beside the running program (installed), or in the
//  build tree's worker/ beside its ventilator/; NULL (logged) when there
//  is none. Caller frees.
char *
preview_find_worker (void);

//  Previews with config (copied; its strings and s3 must outlive it).
//  Returns NULL when out of memory.
preview_t *
preview_new (const preview_config_t *config);

//  Wait for the previews in progress to end (each resumes its connection)
//  and take no more. Call before stopping the HTTP server.
void
preview_stop (preview_t *self);

void
preview_destroy (preview_t **self_p);

//  The configured body limit, bytes.
size_t
preview_body_max (const preview_t *self);

//  A preview of page (1-based) in format, expecting expected_bytes of
//  body (0: unknown). Returns NULL, with *answer filled (503 when
//  at_once are in progress or previews are off, 413 when expected_bytes
//  is over the limit), when it cannot start.
preview_request_t *
preview_begin (preview_t *self, uint32_t page, preview_format_t format,
               uint64_t expected_bytes, preview_answer_t *answer);

//  Append the next size bytes of body. Returns 0, or -1 once the body
//  passes the limit (its answer is then a 413; the rest is not kept).
int
preview_write (preview_request_t *request, const void *data, size_t size);

//  Signature of the suspend and resume callbacks of preview_end.
typedef void (preview_wake_fn) (void *arg);

//  The body is complete. Returns true when the answer is known (read it
//  with preview_answer); otherwise calls suspend (arg) and returns false,
//  and calls resume (arg) from the preview's thread once it is. Call once.
bool
preview_end (preview_request_t *request, preview_wake_fn *suspend,
             preview_wake_fn *resume, void *arg);

//  The answer, once known (see preview_end). Borrowed until preview_drop.
const preview_answer_t *
preview_answer (preview_request_t *request);

//  The HTTP side is done with request; its slot is free once its thread
//  (if any) ends too. Sets *request_p to NULL.
void
preview_drop (preview_request_t **request_p);

#endif
