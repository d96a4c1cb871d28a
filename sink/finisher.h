/*  finisher - merging each job's chunks as they arrive, and storing
    complete jobs, off the main loop.

    Owns FINISHER_LANES lanes, each a zactor thread with its own spool_t
    and store_t, and the jobs it holds. A job belongs to one lane for its
    whole life, chosen by its size when its first chunk is spooled: jobs
    of at most FINISHER_SHORT_PAGES pages go to the short lane, all others
    to the long one, so a small job's last append, document end and store
    never wait behind a big job's (which can take seconds: its appends
    lag behind rendering, its end writes a page tree of thousands of pages
    and its store moves megabytes). Each lane has one command at a time,
    so memory stays bounded per lane (one chunk being appended, and the
    open documents' indexes), and a job's commands go in order. The output of a job is written with sink/pdfappend (shared
    resources, flat memory) into a scratch file in the job's spool
    directory, one chunk at a time in page order: as soon as a chunk and
    every chunk before it are spooled (finisher_spooled), the chunk is
    appended, so when the last chunk arrives only its own append and the
    document's end remain. A chunk that arrives early waits in the spool,
    on disk. Once the job is complete (finisher_submit) and its output
    known (finisher_output), the thread finishes the document, puts it in
    the store under the job's output key with its download name, writes
    the job's tombstone ("done <bytes> <location>" or "failed <reason>")
    and removes its chunks. Meanwhile the main loop keeps receiving chunks.

    Output: where a job's result goes is the ventilator's to say (OUTPUT,
    docs/protocol.md), and it says so when chunk 0 is stored and again
    once the job's chunks are all stored. A complete job waits here until
    its output is known, then joins the queue. Outputs are kept in memory
    only: after a restart the sink reports its chunks again and the
    ventilator answers with OUTPUT for every complete job.

    Uploading as the output grows: with an S3 store, a job whose key is
    known while its output is written (UPLOAD, or FINISH before its
    merge) gets a common/store/store_upload, fed the output's final
    length after every append, so only the last part or two remain when
    the document is finished. Its upload id is recorded in the spool
    (sink/spool, kept until the upload is completed or aborted) before any
    part goes up; the thread aborts every
    recorded upload when it starts (a sink killed mid-upload), and a job
    failed, cancelled or dropped has its upload aborted. An output taken
    up again from its checkpoint is uploaded again from byte 0.

    Bounded: at most FINISHER_APPENDERS_MAX jobs are appended as they go
    (each an open document whose memory is a small index, plus 8 bytes
    per chunk here); a job beyond it is merged from the spool once it is
    complete, with the same module. A lane has one command at a time
    (append one chunk, or finish one job); its ready jobs are finished in
    the order their output arrived and come before appends of its other
    jobs, which are served in turn. A chunk that cannot be appended
    (damaged, disk full) fails its job at once, as a failed merge did.

    Checkpoints: every FINISHER_CHECKPOINT_CHUNKS chunks or
    FINISHER_CHECKPOINT_BYTES of output appended, the output's bytes and
    then its journal are made durable (sink/pdfappend_checkpoint), and the
    chunks the checkpoint covers are released from the spool (their files
    removed, sink/spool), so the spool holds only the chunks not yet in a
    checkpoint, not the whole job. A restarted sink takes the output up
    again from its last checkpoint (its bytes after it are cut off) and
    appends from the next chunk on; released chunks stay present to the
    collector, so they are reported stored and never sent again. When the
    checkpoint cannot be taken up (damaged journal, output shorter than it
    says), the output starts again from chunk 0 if no chunk was released
    yet; otherwise the job fails, saying so. A sink stopped in order keeps
    its checkpoints too; failing, cancelling or dropping a job removes its
    output and journal with its directory.

    Protocol (strings, one frame each; private to this module), commands
    over the lane's pipe, reports over one PUSH/PULL pair for all lanes
    (a report names the job, whose lane has the command):
        main -> thread: APPEND job_id chunk_nbr chunk_count path
                               "first_page page_count"
                        | UPLOAD job_id key filename
                        | FINISH job_id key filename | DROP job_id
                        | DISCARD job_id key | $TERM
        thread -> main: APPENDED job_id chunk_nbr | STATE job_id state
                        | DONE job_id bytes location | FAILED job_id reason
    DROP removes the partial output of a job cancelled or failed
    elsewhere; DISCARD removes the stored result and the chunks of a job
    cancelled while it was being finished.

    finisher_recv turns the thread's reports into the wire messages the
    ventilator gets (JOB_STATE merging and storing once the job is
    complete and its output known, JOB_DONE, JOB_FAILED); reports about a
    job cancelled meanwhile are swallowed.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_FINISHER_H
#define PDFPIPE_FINISHER_H

#include <czmq.h>

#include "assembly.h"
#include "wire.h"

//  Jobs appended as their chunks arrive, at once. Each holds an open
//  output file and its index (32 bytes per distinct shared resource, 4
//  per page) on the thread; more would only share the disk's bandwidth.
#define FINISHER_APPENDERS_MAX 16

//  Lanes (threads), and which is which: the short lane finishes jobs of
//  at most FINISHER_SHORT_PAGES pages (one chunk of the default size), so
//  that their whole finishing costs about one chunk's append.
#define FINISHER_LANES 2
#define FINISHER_LANE_LONG 0
#define FINISHER_LANE_SHORT 1
#define FINISHER_SHORT_PAGES 250

//  A checkpoint after this many chunks appended, or this many bytes of
//  output, whichever comes first: each costs two fsyncs and a few bytes
//  of journal per object, and the spool holds the chunks appended since
//  the last one.
#define FINISHER_CHECKPOINT_CHUNKS 4
#define FINISHER_CHECKPOINT_BYTES (32ULL << 20)

//  Set to 0, outputs go to an S3 store whole once finished instead of
//  part by part as they grow (for comparison; docs/operations.md).
#define FINISHER_STREAM_ENV "PDFPIPE_S3_UPLOAD_WHILE_MERGING"

typedef struct _finisher_t finisher_t;

//  Start the finisher's lanes on the spool in spool_dir and the store named
//  by store_url. Returns NULL when either cannot be opened (logged).
//  Caller owns the result.
finisher_t *
finisher_new (const char *spool_dir, const char *store_url);

//  Stop the lanes. Waits for the jobs in progress, if any, to end; queued
//  jobs stay in the spool and are found again at the next start.
void
finisher_destroy (finisher_t **self_p);

//  The socket to poll (every lane's reports); call finisher_recv when it
//  is readable. Borrowed.
zsock_t *
finisher_sock (finisher_t *self);

//  Chunk chunk_nbr of chunks's job is spooled (chunks: the collector's
//  assembly, borrowed for the call). Its job's output grows by every
//  chunk now in order; a job not held yet takes an appender when one is
//  free (it copies which chunks chunks holds), else waits to be complete.
void
finisher_spooled (finisher_t *self, const assembly_t *chunks,
                  uint32_t chunk_nbr);

//  Chunks of job_id appended to its output so far (0 for a job without
//  an appender).
uint32_t
finisher_appended (finisher_t *self, const char *job_id);

//  job_id is complete: finish it once its output is known and its lane
//  is free. Submitting a job that is waiting, queued or in progress
//  already does nothing.
void
finisher_submit (finisher_t *self, const char *job_id);

//  Where job_id's result goes: key in the store (a valid store key under
//  the job's own id, "<job_id>/...") and the download name (NULL or ""
//  for none). A job that is waiting for it is queued; a job being
//  appended keeps it and has its output uploaded as it grows (S3 stores);
//  for any other job, or once known, this does nothing (the ventilator
//  repeats it, and a finished job needs it no more). Returns -1 when key
//  is not such a key or filename has control characters (logged): the job
//  keeps waiting.
int
finisher_output (finisher_t *self, const char *job_id, const char *key,
                 const char *filename);

//  Forget job_id (cancelled, or failed by the collector): drop its
//  partial output and drop it from those appending, waiting or queued,
//  or, when it is in progress, let it end, then discard its result and
//  report nothing about it.
void
finisher_cancel (finisher_t *self, const char *job_id);

//  Read one report from a lane and start the next queued job when one
//  has ended. Returns the message to send to the ventilator, or NULL when
//  there is none. Caller owns the result.
wire_t *
finisher_recv (finisher_t *self);

//  True while a lane has a command (an append or a finish).
bool
finisher_busy (finisher_t *self);

#endif
