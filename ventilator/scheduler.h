/*  scheduler - which chunk goes to which worker, and when to stop waiting.

    Owns the ventilator's in-memory view of dispatch: the jobs being
    rendered with each chunk's state (pending, in flight, stored), the
    workers with their credits (how many chunks each has said it has room
    for) and the deadlines of chunks in flight. It never touches a socket
    or the job store: the lifecycle feeds it events and sends what it
    decides, so every rule here is unit-tested without a network.

    Rules: a worker gets a chunk only against a credit; jobs are served
    round-robin, one chunk at a time, so a small job is never stuck behind a
    huge one; a chunk whose result has not arrived by its deadline (base +
    per-page allowance) or that a worker reports as failed goes back to the
    front of its job's queue with the next attempt number; after
    max_attempts the job fails. Reports about an attempt that is no longer
    current are ignored.

    Liveness: each worker holds the chunks dispatched to it until it gives
    their credits back with READY (one chunk per credit, oldest first: a
    worker takes its chunks in the order they were sent). A worker silent
    for worker_expiry_ms is dead: every chunk it still holds goes back to
    its queue at once, without waiting for the deadline; the oldest, the
    one it was rendering, as a failed attempt, so a chunk that kills every
    worker it reaches fails its job after max_attempts, and those waiting
    behind it (a worker holds its next chunk while it renders one) without
    counting one. The deadline of a chunk that waited runs from the READY
    that made it the oldest held, when its worker starts it. Workers heartbeat while they render, so a slow
    chunk does not look like a dead worker; the deadline still bounds how
    long a live worker that never answers can keep a chunk. A HEARTBEAT
    reporting more free credits than the scheduler believes, while chunks
    older than SCHEDULER_HANDOVER_GRACE_MS are held, means those chunks
    never arrived (lost with a broken connection): they are requeued
    without counting an attempt, and the worker gets its credits back.

    Templates: each job has the digest of its template and assets
    (common/proto/tpldigest). For each worker the scheduler remembers the
    last PROTO_WORKER_TEMPLATES digests it dispatched to it with the
    template, the most recently used first; a chunk whose job's digest is
    among them goes without the template (scheduler_dispatch_t's
    with_template), and any other goes with it and joins them, the least
    recently used leaving. A worker that lacks the template anyway answers
    TEMPLATE_MISS (scheduler_template_miss): the digest leaves its set and
    the chunk goes back to the front of its queue, to be sent again with
    the template; such an attempt does not count towards max_attempts. A
    miss for a chunk that carried its template is a failure like any
    other, so a worker cannot keep a chunk going round for ever.

    Completion: a job whose chunks are all stored stays here until the
    lifecycle removes it (the sink reported it done or failed);
    scheduler_query_due names such jobs every query_interval_ms so that the
    lifecycle can ask the sink what became of them, in case that report was
    lost.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_SCHEDULER_H
#define PDFPIPE_SCHEDULER_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "tpldigest.h"

#define SCHEDULER_MAX_ATTEMPTS 4
#define SCHEDULER_DEADLINE_BASE_MS 30000
#define SCHEDULER_DEADLINE_PER_PAGE_MS 50
//  A chunk dispatched this long ago that the worker's heartbeat says it
//  does not hold was lost on the way. Far above a heartbeat's travel time,
//  so a heartbeat that crossed a CHUNK on the wire is not misread.
#define SCHEDULER_HANDOVER_GRACE_MS 3000
//  How often to ask the sink about a job whose chunks are all stored and
//  that has not been reported done or failed.
#define SCHEDULER_QUERY_INTERVAL_MS 5000
//  Credits one worker may hold; a hostile READY cannot make us queue
//  thousands of chunks on one peer.
#define SCHEDULER_CREDITS_MAX 64
//  A job's weight until scheduler_set_weight (JOBSPEC_PRIORITY_DEFAULT).
#define SCHEDULER_WEIGHT_DEFAULT 10
#define SCHEDULER_ERROR_MAX 1024

typedef struct _scheduler_t scheduler_t;

typedef struct {
    uint32_t max_attempts;
    int64_t deadline_base_ms;
    int64_t deadline_per_page_ms;
    int64_t worker_expiry_ms;
    int64_t query_interval_ms; // 0 for SCHEDULER_QUERY_INTERVAL_MS
} scheduler_config_t;

//  One decision: send this chunk to this worker.
typedef struct {
    char job_id[PROTO_JOB_ID_MAX + 1];
    uint32_t chunk_nbr;
    uint32_t attempt;    // 1 for the first dispatch
    uint32_t first_page; // 1-based
    uint32_t page_count;
    uint32_t total_pages;
    uint32_t chunk_count;
    bool first_of_job; // the job's first dispatch ever (queued -> rendering)
    tpldigest_t digest; // of the job's template and assets
    bool with_template; // send the template: the worker may lack it
    zframe_t *worker;   // routing id; owned by the dispatch, destroy it
} scheduler_dispatch_t;

//  Called for each job that has run out of attempts, with the reason.
typedef void (scheduler_failed_fn) (const char *job_id, const char *reason,
                                    void *arg);

//  config may be NULL for the defaults above.
scheduler_t *
scheduler_new (const scheduler_config_t *config);

void
scheduler_destroy (scheduler_t **self_p);

//  Start scheduling a job whose template and assets have digest (copied).
//  stored (chunk_count flags) marks chunks already in the sink's spool, or
//  is NULL. Returns -1 if the job is already known or the arguments are
//  inconsistent.
int
scheduler_add_job (scheduler_t *self, const char *job_id, uint32_t pages,
                   uint32_t chunk_pages, const bool *stored,
                   const tpldigest_t *digest);

//  Forget a job (done, failed or cancelled): its pending chunks are never
//  dispatched and reports about it are ignored. No-op for unknown jobs.
void
scheduler_remove_job (scheduler_t *self, const char *job_id);

bool
scheduler_has_job (scheduler_t *self, const char *job_id);

//  A job's share of the workers against the others' while both have
//  pending chunks (weight 1 to 100; 0 counts as 1). Jobs start with
//  SCHEDULER_WEIGHT_DEFAULT. Returns -1 for an unknown job, else 0.
int
scheduler_set_weight (scheduler_t *self, const char *job_id, uint32_t weight);

//  Number of jobs being scheduled and chunks waiting for a worker.
size_t
scheduler_jobs (scheduler_t *self);
size_t
scheduler_pending (scheduler_t *self);

//  READY from a worker: it has room for `credits` more chunks, and it has
//  finished with as many of the chunks it held (oldest first).
void
scheduler_worker_ready (scheduler_t *self, zframe_t *worker, uint32_t credits,
                        int64_t now);

//  HEARTBEAT from a worker: it is alive and has `credits` free slots. A
//  worker we do not know (e.g. after a ventilator restart) is registered
//  with those credits. For a known one, more free slots than we believe
//  while it holds chunks older than SCHEDULER_HANDOVER_GRACE_MS means those
//  chunks were lost before they reached it: they are requeued (no attempt
//  counted) and the worker gets the credits back.
void
scheduler_worker_seen (scheduler_t *self, zframe_t *worker, uint32_t credits,
                       int64_t now);

//  The worker is gone (a send to it failed): drop it and requeue the chunks
//  it held at once: the oldest as a failed attempt whose error is why (a
//  job out of attempts is failed through failed()), the others without
//  counting an attempt. No-op for an unknown worker.
void
scheduler_worker_gone (scheduler_t *self, zframe_t *worker, const char *why,
                       scheduler_failed_fn *failed, void *arg);

//  LEAVING from a worker: it exits, having finished the oldest `finished`
//  chunks it held; any others never reached its render thread and are
//  requeued without counting an attempt. It is forgotten at once (not
//  counted as dead). No-op for an unknown worker.
void
scheduler_worker_left (scheduler_t *self, zframe_t *worker, uint32_t finished);

//  Chunks that the worker whose routing id is name followed by '-' and
//  anything (a worker's --name, as the local scaler names them) holds, or
//  has rendered and the sink not stored yet; 0 for no such worker. Until
//  then the worker is not to be stopped.
size_t
scheduler_unstored_by_name (scheduler_t *self, const char *name);

//  Number of known workers.
size_t
scheduler_workers (scheduler_t *self);

//  Next chunk to send, if a worker has credit and a job has a pending
//  chunk: fills dispatch and returns 1 (the credit is spent and the
//  deadline starts at now); 0 when there is nothing to do.
int
scheduler_next (scheduler_t *self, int64_t now, scheduler_dispatch_t *dispatch);

//  When the current attempt at the chunk was dispatched (zclock_mono ()
//  ms), or -1 when the chunk is not in flight or unknown.
int64_t
scheduler_chunk_dispatched_at (scheduler_t *self, const char *job_id,
                               uint32_t chunk_nbr);

//  What the scheduler holds, for the ventilator's metrics.
typedef struct {
    size_t workers;        // known workers
    size_t workers_busy;   // holding at least one chunk
    uint64_t backlog_chunks; // not yet stored, over every job
    uint64_t backlog_pages;  // in those chunks
    //  Workers the backlog can use: one per chunk waiting for a worker and
    //  per worker holding one or whose last results the sink has not
    //  stored yet (one that exits then may take them with it: they are
    //  only in its socket or the sink's queue for it). Not one per chunk
    //  in flight: a worker holds the chunk it renders and the next.
    uint64_t workers_wanted;
    uint64_t retries;      // dispatches that were not a chunk's first
    uint64_t dead_workers; // workers dropped (silent, unreachable, refused)
} scheduler_figures_t;

//  Fill figures. Costs the number of jobs and held chunks.
void
scheduler_figures (scheduler_t *self, scheduler_figures_t *figures);

//  A worker as scheduler_visit shows it.
typedef struct {
    const char *name;     // its routing id if printable, else in hex
    size_t holding;       // chunks it is rendering (current attempts)
    uint64_t chunks_done; // chunks it gave back with READY
    uint64_t pages_done;  // in those chunks
    int64_t busy_ms;      // time spent on them
    int64_t last_seen;    // ms, zclock_mono ()
} scheduler_worker_view_t;

//  Callbacks of scheduler_visit; any may be NULL. Strings are borrowed
//  for the call.
typedef struct {
    //  A chunk's current attempt, in flight on worker since dispatched_at
    //  (ms, zclock_mono ()).
    void (*rendering) (const char *job_id, uint32_t chunk_nbr,
                       const char *worker, int64_t dispatched_at, void *arg);
    //  A chunk of a job being scheduled that was dispatched attempts (> 1)
    //  times.
    void (*retried) (const char *job_id, uint32_t chunk_nbr,
                     uint32_t attempts, void *arg);
    //  Each known worker, after its rendering chunks.
    void (*worker) (const scheduler_worker_view_t *worker, void *arg);
} scheduler_visitor_t;

//  Show what is in flight, on which worker, and what was retried, for the
//  HTTP API's chunk map and worker list (ventilator/dispatchview). Costs
//  the chunks held, the workers, the jobs and their retried chunks; never
//  the chunks of a job.
void
scheduler_visit (scheduler_t *self, const scheduler_visitor_t *visitor,
                 void *arg);

//  The sink has the chunk. Returns 1 if every chunk of the job is now
//  stored, 0 if not, -1 for an unknown job or chunk.
int
scheduler_chunk_stored (scheduler_t *self, const char *job_id,
                        uint32_t chunk_nbr);

//  A worker could not render the chunk. Requeues it, or when attempts are
//  exhausted calls failed() with a reason that includes error, and removes
//  the job. Stale attempts are ignored.
void
scheduler_chunk_failed (scheduler_t *self, const char *job_id,
                        uint32_t chunk_nbr, uint32_t attempt, const char *error,
                        scheduler_failed_fn *failed, void *arg);

//  TEMPLATE_MISS from a worker: it does not have the template (digest) of
//  the chunk it was sent. When that is the chunk's current attempt and the
//  worker holds it: the digest leaves the worker's set, and the chunk goes
//  back to the front of its queue without counting the attempt (returns
//  0), or, when the chunk carried its template, the attempt fails as with
//  scheduler_chunk_failed (returns 0; failed() when out of attempts).
//  Returns -1 and changes nothing for an unknown worker, job or chunk, a
//  stale attempt, another worker's chunk or a digest that is not the
//  job's.
int
scheduler_template_miss (scheduler_t *self, zframe_t *worker,
                         const char *job_id, uint32_t chunk_nbr,
                         uint32_t attempt, const tpldigest_t *digest,
                         scheduler_failed_fn *failed, void *arg);

//  Number of chunks a worker holds (dispatched, not yet given back with
//  READY); 0 for an unknown worker.
size_t
scheduler_worker_holding (scheduler_t *self, zframe_t *worker);

//  Requeue chunks past their deadline, declare workers silent for longer
//  than the expiry dead (as scheduler_worker_gone), and fail jobs out of
//  attempts through failed().
void
scheduler_expire (scheduler_t *self, int64_t now, scheduler_failed_fn *failed,
                  void *arg);

//  Ids of the jobs whose chunks are all stored and that are due for a
//  question to the sink: the first time query_interval_ms after they were
//  first seen complete here (at once for a job that was complete when it
//  was added, i.e. after a restart), then every query_interval_ms. Caller
//  destroys the list; its items are freed with it.
zlist_t *
scheduler_query_due (scheduler_t *self, int64_t now);

#endif
