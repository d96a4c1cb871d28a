/*  collector - the sink's open jobs: collects each job's chunks in the
    spool until the job is complete, and tells how finished jobs ended.

    Owns the spool (sink/spool) as the main loop sees it and one assembly
    (sink/assembly) per open job. A RESULT is judged here: dropped when it
    is bad or its job is finished or cancelled, acknowledged again when it
    is a duplicate, otherwise checked (size, "%PDF-" header, a PDF qpdf
    reads without repair whose page tree's root counts page_count pages,
    read with sink/merge) and written durably before it is acknowledged:
    chunks offered one after the other are staged in the spool and made
    durable together by collector_commit, which gives their verdicts.
    The tree itself is walked once, when the chunk is appended: a chunk
    whose count lies passes here and fails its job there
    (sink/finisher), as any chunk that cannot be appended does.
    The first chunk of a job fixes the job's chunk_count and total_pages;
    every later chunk must agree.

    A RESULT for a job that is finished already (it has a tombstone) means
    a chunk was rendered twice, or the ventilator never heard the job's
    outcome; either way the caller sends the outcome again
    (collector_outcome), so a lost JOB_DONE or JOB_FAILED is repaired by
    the next late chunk or by the ventilator's QUERY. A chunk that cannot
    be written to the spool (disk full, I/O error) fails its job: the
    job's tombstone records why and its chunks are removed, giving their
    space back; the chunks of other jobs stay.

    It does not merge or store (sink/finisher does, on its own thread) and
    sends nothing: the caller turns verdicts into STORED, JOB_DONE and
    JOB_FAILED messages and completed jobs into work for the finisher.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_COLLECTOR_H
#define PDFPIPE_COLLECTOR_H

#include <czmq.h>

#include "assembly.h"
#include "proto.h"
#include "wire.h"

#define COLLECTOR_CHUNK_BYTES_MAX PROTO_CHUNK_BYTES_MAX
//  Open jobs held at once; a job beyond it is dropped until one finishes.
//  Each costs 8 bytes per chunk.
#define COLLECTOR_JOBS_MAX 10000
#define COLLECTOR_REASON_MAX 512 // size of a reason buffer
//  The spool is walked to measure it at most this often, ms.
#define COLLECTOR_QUOTA_WALK_MS 1000
//  A batch of chunks made durable together (collector_commit): at most
//  this many chunks, and this many bytes of them written but not yet
//  synced (the payload is on disk, not in memory, once offered). More
//  chunks per batch share its journal commits; the bytes bound how long
//  its fsyncs take.
#define COLLECTOR_BATCH_CHUNKS_MAX 64
#define COLLECTOR_BATCH_BYTES_MAX (64ULL << 20)

typedef enum {
    COLLECTOR_DROPPED,   // bad, late or not storable: logged; send nothing
    COLLECTOR_DUPLICATE, // held already: acknowledge again
    COLLECTOR_STORED,    // newly held: acknowledge
    COLLECTOR_COMPLETE,  // newly held and the job is complete: acknowledge and
                         // finish the job
    COLLECTOR_FINISHED,  // the job is done or failed already: send its outcome
                         // again (collector_outcome)
    COLLECTOR_FAILED,    // could not be spooled: the job is failed now (reason
                         // filled); send JOB_FAILED
    COLLECTOR_PENDING,   // written, not yet durable: its verdict comes from
                         // collector_commit; send nothing yet
    COLLECTOR_WAIT,      // nothing done: collector_commit first, then offer
                         // it again (it takes no WAIT then)
} collector_verdict_t;

typedef struct _collector_t collector_t;

//  Open the spool in spool_dir, clean up what a crash left, and load every
//  open job from it. Returns NULL when the spool cannot be used (logged).
//  Caller owns the result.
collector_t *
collector_new (const char *spool_dir);

void
collector_destroy (collector_t **self_p);

//  Take no new job while the spool holds more than quota_bytes (0: no
//  limit): the first chunk of a job not open yet then fails the job
//  (COLLECTOR_FAILED, with a reason naming --max-spool-mb), rather than
//  fill the disk; open jobs go on and free their space as they finish.
void
collector_set_quota (collector_t *self, uint64_t quota_bytes);

//  Forget finished jobs whose tombstones are older than the spool keeps
//  them (sink/spool), so that the spool does not grow with every job the
//  sink has seen.
void
collector_expire (collector_t *self);

//  Judge a RESULT and, when it is new and good, stage it in the spool's
//  batch (COLLECTOR_PENDING): written, but not durable, so not to be
//  acknowledged before collector_commit gives its verdict. Logs every drop
//  as a warning with job and chunk, and a failed write as an error. On
//  COLLECTOR_FAILED writes the job's failure reason into reason
//  (COLLECTOR_REASON_MAX bytes). Returns COLLECTOR_WAIT, having done
//  nothing, when the result must wait for the batch: an earlier copy of
//  its chunk is in it, the batch is full, or the result cannot be written
//  or would complete its job while other chunks are staged.
collector_verdict_t
collector_offer (collector_t *self, const wire_t *result, char *reason);

//  Told the verdict of each chunk of a batch: COLLECTOR_STORED,
//  COLLECTOR_COMPLETE, COLLECTOR_FAILED (reason filled), COLLECTOR_FINISHED
//  or COLLECTOR_DROPPED (the job ended meanwhile), as collector_offer
//  would have said had the chunk been written alone.
typedef void (collector_committed_fn) (const char *job_id, uint32_t chunk_nbr,
                                       uint32_t page_count,
                                       collector_verdict_t verdict,
                                       const char *reason, void *arg);

//  Make the chunks offered since the last commit durable, together (sink/
//  spool: a batch's files share their fsyncs), then call committed for
//  each, in the order offered. Nothing is pending afterwards.
void
collector_commit (collector_t *self, collector_committed_fn *committed,
                  void *arg);

//  The outcome of a finished job as the message that reports it: JOB_DONE
//  or JOB_FAILED, read from its tombstone. NULL when the job has no
//  tombstone or was cancelled (nobody waits for that outcome). Caller owns
//  the result.
wire_t *
collector_outcome (collector_t *self, const char *job_id);

//  True when job_id has a tombstone saying it was cancelled.
bool
collector_cancelled (collector_t *self, const char *job_id);

//  Forget a job: record its tombstone ("cancelled"), remove its chunks
//  and its assembly. Later chunks of it are dropped. Returns -1 when the
//  spool could not be updated (logged).
int
collector_cancel (collector_t *self, const char *job_id);

//  Fail a job: record its tombstone ("failed <reason>"), remove its chunks
//  and its assembly. Later chunks of it get COLLECTOR_FINISHED. Returns -1
//  when the spool could not be updated (logged).
int
collector_fail (collector_t *self, const char *job_id, const char *reason);

//  Drop the assembly of a job the finisher has finished (it wrote the
//  tombstone and removed the chunks).
void
collector_forget (collector_t *self, const char *job_id);

//  Ids of the open jobs. Caller destroys the list.
zlist_t *
collector_jobs (collector_t *self);

//  The assembly of an open job, or NULL. Borrowed.
const assembly_t *
collector_assembly (collector_t *self, const char *job_id);

#endif
