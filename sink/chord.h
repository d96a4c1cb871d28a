/*  chord - the sink's open jobs: which chunks it holds and what to do with
    the next one.

    Owns the spool (sink/spool) as the main loop sees it and one assembly
    (sink/assembly) per open job. A RESULT is judged here: dropped when it
    is bad or its job is finished or cancelled, acknowledged again when it
    is a duplicate, otherwise checked (size, "%PDF-" header, page count
    read with sink/merge) and written durably before it is acknowledged.
    The first chunk of a job fixes the job's chunk_count and total_pages;
    every later chunk must agree.

    It does not merge or store (sink/finisher does, on its own thread) and
    sends nothing: the caller turns verdicts into STORED messages and
    completed jobs into work for the finisher.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_CHORD_H
#define PDFPIPE_CHORD_H

#include <czmq.h>

#include "assembly.h"
#include "jobspec.h"
#include "wire.h"

//  A chunk is at most JOBSPEC_CHUNK_PAGES_MAX pages; pages with images can
//  be large, so allow 100 KB a page and stop there.
#define CHORD_CHUNK_BYTES_MAX ((size_t)JOBSPEC_CHUNK_PAGES_MAX * 100 * 1024)
//  Open jobs held at once; a job beyond it is dropped until one finishes.
//  Each costs 8 bytes per chunk.
#define CHORD_JOBS_MAX 10000

typedef enum {
    CHORD_DROPPED,   // bad, late or not storable: logged; send nothing
    CHORD_DUPLICATE, // held already: acknowledge again
    CHORD_STORED,    // newly held: acknowledge
    CHORD_COMPLETE,  // newly held and the job is complete: acknowledge and
                     // finish the job
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
//  as a warning with job and chunk (an error when the disk failed).
chord_verdict_t
chord_offer (chord_t *self, const wire_t *result);

//  Forget a job: record its tombstone ("cancelled"), remove its chunks
//  and its assembly. Later chunks of it are dropped. Returns -1 when the
//  spool could not be updated (logged).
int
chord_cancel (chord_t *self, const char *job_id);

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
