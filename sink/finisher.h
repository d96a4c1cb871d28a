/*  finisher - merging and storing complete jobs, one at a time, off the
    main loop.

    Owns a zactor thread with its own spool_t and store_t, and the jobs
    waiting for it. For each job the thread merges the spooled chunks in
    order (sink/merge, shared resources), puts the result in the store
    under the job's output key with its download name, writes the job's
    tombstone ("done <bytes> <location>" or "failed <reason>") and removes
    its chunks. Meanwhile the main loop keeps receiving chunks.

    Output: where a job's result goes is the ventilator's to say (OUTPUT,
    docs/protocol.md), and it says so once the job's chunks are all
    stored. A complete job therefore waits here until its output is known
    (finisher_output), then joins the queue. Outputs are kept in memory
    only: after a restart the sink reports its chunks again and the
    ventilator answers with OUTPUT for every complete job.

    Bounded: one merge runs at a time; other ready jobs wait here, in the
    order their output arrived, and the thread's pipe never holds more
    than one job.

    Pipe protocol (strings, one frame each; private to this module):
        main -> thread: FINISH job_id key filename | DISCARD job_id key
                        | $TERM
        thread -> main: STATE job_id state | DONE job_id bytes location
                        | FAILED job_id reason
    DISCARD removes the stored result and the chunks of a job cancelled
    while it was being finished.

    finisher_recv turns the thread's reports into the wire messages the
    ventilator gets (JOB_STATE, JOB_DONE, JOB_FAILED); reports about a job
    cancelled meanwhile are swallowed.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_FINISHER_H
#define PDFPIPE_FINISHER_H

#include <czmq.h>

#include "wire.h"

typedef struct _finisher_t finisher_t;

//  Start the finisher thread on the spool in spool_dir and the store named
//  by store_url. Returns NULL when either cannot be opened (logged).
//  Caller owns the result.
finisher_t *
finisher_new (const char *spool_dir, const char *store_url);

//  Stop the thread. Waits for the job in progress, if any, to end; queued
//  jobs stay in the spool and are found again at the next start.
void
finisher_destroy (finisher_t **self_p);

//  The socket to poll; call finisher_recv when it is readable. Borrowed.
zsock_t *
finisher_sock (finisher_t *self);

//  job_id is complete: finish it once its output is known and the thread
//  is free. Submitting a job that is waiting, queued or in progress
//  already does nothing.
void
finisher_submit (finisher_t *self, const char *job_id);

//  Where job_id's result goes: key in the store (a valid store key) and
//  the download name (NULL or "" for none). A job that is waiting for it
//  is queued; for any other job this does nothing (the ventilator repeats
//  it, and a finished job needs it no more). Returns -1 when key is not a
//  valid store key or filename has control characters (logged): the job
//  keeps waiting.
int
finisher_output (finisher_t *self, const char *job_id, const char *key,
                 const char *filename);

//  Forget job_id: drop it from those waiting or queued, or, when it is in
//  progress, let it end, then discard its result and report nothing
//  about it.
void
finisher_cancel (finisher_t *self, const char *job_id);

//  Read one report from the thread and start the next queued job when one
//  has ended. Returns the message to send to the ventilator, or NULL when
//  there is none. Caller owns the result.
wire_t *
finisher_recv (finisher_t *self);

//  True while a job is in progress.
bool
finisher_busy (finisher_t *self);

#endif
