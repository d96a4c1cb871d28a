/*  admission - one job document becoming a stored job, as its bytes arrive.

    Owns what it takes to admit one submission: the document's reader
    (common/doc/jobreader), the job's records file (recordfile) that the
    records go to one at a time, the S3 downloads of records and assets
    named by URL (fetch), and the final step that stores the job
    (jobstore). Nothing it holds grows with the number of records.

    The outcome is one of a few: accepted (the job is on disk: its records
    file committed and its row in the store, so a crash after this loses
    nothing), refused (the document breaks a rule: a 400 with the field
    and message), too large (its records would pass the disk quota), no
    space (the disk filled up) or failed (ours, logged). Anything but
    accepted leaves nothing behind: the records file goes with the
    admission.

    The caller feeds the document as it arrives and ends it; the work
    runs on the caller's thread, which must own the job store handle it
    passes. Not thread-safe otherwise.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_ADMISSION_H
#define PDFPIPE_ADMISSION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fielderr.h"
#include "hooktarget.h"
#include "jobstore.h"
#include "s3.h"
#include "s3inputs.h"

typedef struct _admission_t admission_t;

typedef enum {
    ADMISSION_PENDING = 0, // not decided yet
    ADMISSION_ACCEPTED,    // stored
    ADMISSION_REFUSED,     // the document is not a valid job
    ADMISSION_TOO_LARGE,   // its records pass the disk quota
    ADMISSION_NO_SPACE,    // the disk is full
    ADMISSION_FAILED,      // something of ours failed (logged)
    ADMISSION_ABANDONED,   // given up before its end (see abandon)
} admission_outcome_t;

typedef struct {
    const char *jobs_dir;       // where jobs' records files go
    const s3_config_t *s3;      // for records and assets by URL; NULL: none
    const s3inputs_t *s3_inputs; // where those may come from; NULL: nowhere
    uint64_t max_records_bytes; // the disk quota of one job's records
    //  Set (by another thread) to give the admission up: it stops at the
    //  next record, and ends abandoned. NULL: never.
    const atomic_bool *abandon;
    const char *owner; // the job's owner (jobstore_insert_owned); NULL: none
    //  Webhook targets a job may name (NULL: none may), and the URL a job
    //  that names none gets (NULL: none).
    const hooktarget_t *webhooks;
    const char *webhook_url;
    //  Check only (POST /v1/jobs?dry_run=1): every check is made, but
    //  nothing is committed or stored; a valid document ends accepted
    //  with its pages and chunks, and leaves nothing behind either.
    bool dry_run;
} admission_config_t;

//  An admission of a document for the job job_id. config is copied (its
//  strings and s3 are borrowed and must outlive the admission). When the
//  job's records file cannot be made, the admission is decided already
//  (failed, or no space) and feeding it does nothing. Caller owns the
//  result.
admission_t *
admission_new (const admission_config_t *config, const char *job_id);

//  Remove what an admission not accepted made, and free it.
void
admission_destroy (admission_t **self_p);

//  Hand over the next size bytes of the document. Returns 0, or -1 once
//  the outcome is decided (the rest need not be fed, and admission_end
//  gives that outcome).
int
admission_feed (admission_t *self, const void *data, size_t size);

//  The whole document has been fed: fetch what it names by URL, run the
//  checks that wait for the end, and store the job with store (the
//  caller's handle). Returns the outcome; calling it again returns the
//  same.
admission_outcome_t
admission_end (admission_t *self, jobstore_t *store);

//  The outcome so far: ADMISSION_PENDING until it is decided.
admission_outcome_t
admission_outcome (const admission_t *self);

//  Why the document was refused (field and message), or what went wrong
//  otherwise, in words for the client. Borrowed.
const fielderr_t *
admission_error (const admission_t *self);

//  Of an accepted job: its pages and chunks.
uint32_t
admission_pages (const admission_t *self);

uint32_t
admission_chunks (const admission_t *self);

#endif
