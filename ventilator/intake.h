/*  intake - job documents taken in off the HTTP thread.

    Owns the uploads in progress and the threads that admit them. The HTTP
    thread only appends each piece of a body to the upload's spool file
    (<spool_dir>/<job id>.upload) as it arrives; an intake thread of its
    own reads the spool as it grows and feeds it to an admission
    (ventilator/admission), which checks the document record by record
    and writes the job's records file. So however large the document and
    however slow its checks, the HTTP thread answers status requests at
    once, and no upload is ever held in memory.

    An upload's outcome is known when its body has ended and its
    admission is done: the job stored (its files committed and its row in
    the store before anyone is told), or refused, too large, out of disk
    or failed, which leave nothing behind. The HTTP thread learns it
    without waiting: intake_end says whether it is known already, and if
    not calls the caller's suspend function and, later, from the intake
    thread, its resume function, both exactly once (libmicrohttpd's
    suspend and resume of the connection). Both are called under the
    upload's lock, so a resume can never come before its suspend.

    Limits: at most uploads_max uploads at once (one intake thread each;
    beyond, intake_begin refuses, for a 503), and each starts only when
    the disk holding the spool has min_free_bytes free beyond what it is
    announced to need; a body that arrives with less free stops there.

    Threading: intake_begin, _write, _end, _drop and _outcome are for one
    thread (the HTTP thread); the intake threads are the module's own,
    each with its own job store handle. intake_stop, then the HTTP
    server's stop, then intake_destroy, in that order.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_INTAKE_H
#define PDFPIPE_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admission.h"
#include "fielderr.h"
#include "proto.h"
#include "hooktarget.h"
#include "s3.h"
#include "s3inputs.h"

//  Uploads admitted at once, by default; more get 503 and retry.
#define INTAKE_UPLOADS_DEFAULT 32
//  Bytes read from the spool at a time by an intake thread.
#define INTAKE_READ_BYTES (256 * 1024)
//  A body of unknown length checks the free disk space every this many
//  bytes.
#define INTAKE_SPACE_CHECK_BYTES (16 * 1024 * 1024)
//  While a document is taken in, the disk holds it twice: the upload, and
//  the records file made from it.
#define INTAKE_DISK_FACTOR 2

typedef struct _intake_t intake_t;
typedef struct _intake_upload_t intake_upload_t;

typedef struct {
    const char *data_dir;       // the job store's
    const char *jobs_dir;       // jobs' records files
    const char *spool_dir;      // uploads as they arrive; emptied at start
    const s3_config_t *s3;      // records and assets by URL; NULL: none. Kept.
    const s3inputs_t *s3_inputs; // where those may come from; NULL: nowhere
    uint64_t max_records_bytes; // disk quota of one job's records
    uint64_t min_free_bytes;    // free disk an upload must leave
    size_t uploads_max;         // 0: INTAKE_UPLOADS_DEFAULT
    const hooktarget_t *webhooks; // see admission_config_t. Kept.
    const char *webhook_url;      // see admission_config_t. Kept.
} intake_config_t;

//  Why intake_begin refused an upload.
typedef enum {
    INTAKE_BUSY = 1, // uploads_max uploads are in progress, or stopping
    INTAKE_NO_SPACE, // the disk lacks room (or the spool cannot be made)
} intake_refusal_t;

//  Signature of the suspend and resume callbacks of intake_end.
typedef void (intake_wake_fn) (void *arg);

//  Start the intake threads, each with a job store handle on data_dir.
//  config is copied; its strings and s3 must outlive the intake. Returns
//  NULL (logged) when the spool directory or a store cannot be opened.
intake_t *
intake_new (const intake_config_t *config);

//  Stop: every upload without an outcome gets ADMISSION_ABANDONED (and
//  is resumed if suspended; nothing of it is kept), no new one starts,
//  and the threads end. Call before stopping the HTTP server.
void
intake_stop (intake_t *self);

//  Stop if not stopped, and free what is left. Call after the HTTP server
//  has stopped (and dropped its uploads).
void
intake_destroy (intake_t **self_p);

//  A new upload, with a new job id, expected to bring expected_bytes (0
//  when unknown), for a job owned by owner (an API token's name, copied;
//  NULL: no owner); its intake thread starts reading at once. dry_run:
//  only check it (admission_config_t), so that accepted means valid and
//  nothing is stored. Returns NULL with *refusal set when it cannot start.
intake_upload_t *
intake_begin (intake_t *self, uint64_t expected_bytes, const char *owner,
              bool dry_run, intake_refusal_t *refusal);

//  Append the next size bytes of the body to the spool. Returns 0, or -1
//  when the disk refuses them or has less than min_free_bytes left (a
//  507: no space; logged). Once the outcome is decided early (a document
//  refused half-way), the bytes are not kept: the rest is only counted.
int
intake_write (intake_upload_t *upload, const void *data, size_t size);

//  The body is complete. Returns true when the outcome is known (read it
//  with intake_outcome); otherwise calls suspend (arg) and returns false,
//  and calls resume (arg) once the outcome is known. Call once.
bool
intake_end (intake_upload_t *upload, intake_wake_fn *suspend,
            intake_wake_fn *resume, void *arg);

//  The outcome (ADMISSION_PENDING until it is known), with *err_p the
//  error for anything but accepted. Borrowed.
admission_outcome_t
intake_outcome (intake_upload_t *upload, const fielderr_t **err_p);

//  The upload's job id (set from the start; the job exists only once
//  accepted). Borrowed.
const char *
intake_job_id (intake_upload_t *upload);

//  Of an accepted job (or a valid dry run): its pages and chunks.
uint32_t
intake_pages (intake_upload_t *upload);

uint32_t
intake_chunks (intake_upload_t *upload);

//  The HTTP side is done with upload (answered, refused, or the client is
//  gone): one without an outcome yet is abandoned, and leaves nothing.
//  Sets *upload_p to NULL.
void
intake_drop (intake_upload_t **upload_p);

#endif
