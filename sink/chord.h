/*  chord - the sink's open jobs: which chunks it holds and what to do with
    the next one.

    Owns the spool (sink/spool) as the main loop sees it and one assembly
    (sink/assembly) per open job. A RESULT is judged here: dropped when it
    is bad or its job is finished or cancelled, acknowledged again when it
    is a duplicate, otherwise checked (size, "%PDF-" header, page count
    read with sink/merge) and written durably before it is acknowledged.
    The first chunk of a job fixes the job's chunk_count and total_pages;
    every later chunk must agree.

    A RESULT for a job that is finished already (it has a tombstone) means
    a chunk was rendered twice, or the ventilator never heard the job's
    outcome; either way the caller sends the outcome again (chord_outcome),
    so a lost JOB_DONE or JOB_FAILED is repaired by the next late chunk or
    by the ventilator's QUERY. A chunk that cannot be written to the spool
    (disk full, I/O error) fails its job: the job's tombstone records why
    and its chunks are removed, giving their space back; the chunks of
    other jobs stay.

    It does not merge or store (sink/finisher does, on its own thread) and
    sends nothing: the caller turns verdicts into STORED, JOB_DONE and
    JOB_FAILED messages and completed jobs into work for the finisher.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_CHORD_H
#define PDFPIPE_CHORD_H

#include <czmq.h>

#include "assembly.h"
#include "proto.h"
#include "wire.h"

#define CHORD_CHUNK_BYTES_MAX PROTO_CHUNK_BYTES_MAX
//  Open jobs held at once; a job beyond it is dropped until one finishes.
//  Each costs 8 bytes per chunk.
#define CHORD_JOBS_MAX 10000
#define CHORD_REASON_MAX 512 // size of a reason buffer

typedef enum {
    CHORD_DROPPED,   // bad, late or not storable: logged; send nothing
    CHORD_DUPLICATE, // held already: acknowledge again
    CHORD_STORED,    // newly held: acknowledge
    CHORD_COMPLETE,  // newly held and the job is complete: acknowledge and
                     // finish the job
    CHORD_FINISHED,  // the job is done or failed already: send its outcome
                     // again (chord_outcome)
    CHORD_FAILED,    // could not be spooled: the job is failed now (reason
                     // filled); send JOB_FAILED
} chord_verdict_t;

typedef struct _chord_t chord_t;

//  Open the spool in spool_dir, clean up what a crash left, and load every
//  open job from it. Returns NULL when the spool cannot be used (logged).
//  Caller owns the result.
chord_t *
chord_new (const char *spool_dir);

void
chord_destroy (chord_t **self_p);

//  Judge a RESULT and, when it is new and good, spool it. Logs every drop
//  as a warning with job and chunk, and a failed write as an error. On
//  CHORD_FAILED writes the job's failure reason into reason
//  (CHORD_REASON_MAX bytes).
chord_verdict_t
chord_offer (chord_t *self, const wire_t *result, char *reason);

//  The outcome of a finished job as the message that reports it: JOB_DONE
//  or JOB_FAILED, read from its tombstone. NULL when the job has no
//  tombstone or was cancelled (nobody waits for that outcome). Caller owns
//  the result.
wire_t *
chord_outcome (chord_t *self, const char *job_id);

//  True when job_id has a tombstone saying it was cancelled.
bool
chord_cancelled (chord_t *self, const char *job_id);

//  Forget a job: record its tombstone ("cancelled"), remove its chunks
//  and its assembly. Later chunks of it are dropped. Returns -1 when the
//  spool could not be updated (logged).
int
chord_cancel (chord_t *self, const char *job_id);

//  Fail a job: record its tombstone ("failed <reason>"), remove its chunks
//  and its assembly. Later chunks of it get CHORD_FINISHED. Returns -1
//  when the spool could not be updated (logged).
int
chord_fail (chord_t *self, const char *job_id, const char *reason);

//  Drop the assembly of a job the finisher has finished (it wrote the
//  tombstone and removed the chunks).
void
chord_forget (chord_t *self, const char *job_id);

//  Ids of the open jobs. Caller destroys the list.
zlist_t *
chord_jobs (chord_t *self);

//  The assembly of an open job, or NULL. Borrowed.
const assembly_t *
chord_assembly (chord_t *self, const char *job_id);

#endif
