/*  dispatchview - what dispatch looks like now, for the HTTP thread.

    Owns a copy of what the scheduler holds that the API shows: the chunks
    in flight (job, chunk, worker, since when), the chunks retried, the
    workers (what each renders, its rate, when it was last heard) and the
    scaler's want. The scheduler belongs to the main loop, which must not
    be asked from another thread; so the loop publishes a fresh copy every
    tick (dispatchview_publish), and the HTTP thread reads the latest one
    (dispatchview_read_*). A copy is built outside the lock and swapped in
    under it; a reader holds the lock while its callbacks run, which are
    short (they write JSON). A copy costs the chunks in flight, the
    workers and the retried chunks: never the chunks of a job.

    Times in a copy are wall-clock (ms since the Unix epoch), converted
    from the scheduler's monotonic ones when it was made.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_DISPATCHVIEW_H
#define PDFPIPE_DISPATCHVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "scheduler.h"

//  Characters of a worker's name kept (longer ones are cut).
#define DISPATCHVIEW_WORKER_MAX 64

typedef struct _dispatchview_t dispatchview_t;

//  A chunk's current attempt, on a worker.
typedef struct {
    char job_id[PROTO_JOB_ID_MAX + 1];
    uint32_t chunk_nbr;
    char worker[DISPATCHVIEW_WORKER_MAX + 1];
    int64_t since; // ms since the Unix epoch
} dispatchview_chunk_t;

typedef struct {
    char name[DISPATCHVIEW_WORKER_MAX + 1];
    size_t holding;       // chunks it renders now
    uint64_t chunks_done; // chunks it finished
    double pages_per_s;   // pages of those over their time; -1: none yet
    int64_t last_seen;    // ms since the Unix epoch
} dispatchview_worker_t;

//  Called with each chunk in flight, or each chunk of a worker.
typedef void (dispatchview_chunk_fn) (const dispatchview_chunk_t *chunk,
                                      void *arg);
typedef void (dispatchview_retry_fn) (uint32_t chunk_nbr, uint32_t attempts,
                                      void *arg);
typedef void (dispatchview_worker_fn) (const dispatchview_worker_t *worker,
                                       void *arg);

//  An empty view: no chunk, no worker, no want. Caller owns it.
dispatchview_t *
dispatchview_new (void);

void
dispatchview_destroy (dispatchview_t **self_p);

//  Main loop: replace the view with what scheduler holds now (now_mono:
//  zclock_mono (), now_wall: zclock_time ()), the desired worker count
//  (negative: none computed) and the scaler's kind name (static, kept).
void
dispatchview_publish (dispatchview_t *self, scheduler_t *scheduler,
                      int64_t now_mono, int64_t now_wall, int64_t desired,
                      const char *scaler);

//  HTTP thread: call rendering for each chunk of job_id in flight (in the
//  order of the workers, then of dispatch) and retried for each of its
//  chunks dispatched more than once (in the order of their retries).
//  Either may be NULL.
void
dispatchview_read_job (dispatchview_t *self, const char *job_id,
                       dispatchview_chunk_fn *rendering,
                       dispatchview_retry_fn *retried, void *arg);

//  HTTP thread: call worker for each worker, then chunk for each of its
//  chunks in flight, worker by worker. *desired_p is set to the desired
//  count (-1: none) and *scaler_p to the scaler's kind ("none" before the
//  first publication).
void
dispatchview_read_workers (dispatchview_t *self, dispatchview_worker_fn *worker,
                           dispatchview_chunk_fn *chunk, void *arg,
                           int64_t *desired_p, const char **scaler_p);

#endif
