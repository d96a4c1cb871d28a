/*  lifecycle - each job's course through the ventilator: loaded from the
    job store, its chunks dispatched, failed or stored, its result recorded.

    Owns the rules that join the job store (durable state), the scheduler
    (who gets which chunk, and when) and the messages the ventilator sends:
    - loading: a stored job that is not terminal is scheduled with the
      chunks the sink already holds; its template JSON is cached here while
      the job is in flight, so a chunk costs one read of its records only,
      from the job's records file (ventilator/recordfile);
    - dispatch: every chunk the scheduler picks goes to its worker as CHUNK;
      the job's first one moves it to rendering; a worker that cannot be
      reached gives its chunks back at once, to go to others;
    - failure: a job out of attempts, or that cannot be loaded, is failed
      in the store and forgotten, and the sink is told to drop its chunks
      (CANCEL);
    - completion: once the sink has stored every chunk, OUTPUT tells it
      where the result goes; while the outcome has not come, QUERY and
      OUTPUT are repeated (scheduler_query_due), so a sink that restarted or
      missed them learns them again; the sink's JOB_STATE, JOB_DONE and
      JOB_FAILED are recorded and the job is forgotten. A result's location
      is where the store configured here (--store, the sink's too) puts
      the job's output key: a JOB_DONE naming anywhere else is refused, so
      no message can point a result at a file or bucket of its choosing;
    - cancel: the job is forgotten and the sink told (CANCEL); the HTTP
      thread has already recorded the state.
    A job forgotten because it failed or was cancelled has its records
    file removed: nothing of it will be dispatched again. A done job's is
    kept, for its per-record index (GET /v1/jobs/{id}/index,
    ventilator/recordindex), until retention deletes the job.

    It borrows the job store and the scheduler, never touches a socket and
    never reads the clock: messages go out through the lifecycle_sender_t it
    is given, and the time comes as an argument, so every rule is
    unit-tested with a fake sender. Receiving messages stays in main.c. One
    thread at a time, the one that owns the job store handle.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_LIFECYCLE_H
#define PDFPIPE_LIFECYCLE_H

#include <stdint.h>

#include "jobstore.h"
#include "metrics.h"
#include "scheduler.h"
#include "store.h"
#include "wire.h"

typedef struct _lifecycle_t lifecycle_t;

//  Send message (borrowed: the sender neither keeps nor destroys it).
//  Returns 0, or -1 when it could not be sent, with zmq_errno () saying
//  why.
typedef int (lifecycle_send_fn) (wire_t *message, void *arg);

//  Where the lifecycle's messages go.
typedef struct {
    lifecycle_send_fn *to_worker; // CHUNK, carrying the worker's routing id
    void *worker_arg;
    lifecycle_send_fn *to_sink; // CANCEL, OUTPUT and QUERY
    void *sink_arg;
} lifecycle_sender_t;

//  A lifecycle over jobstore and scheduler, sending through sender
//  (copied), reading the jobs' records files in jobs_dir (copied), with
//  results where results (the store the sink puts them in) says.
//  jobstore, scheduler and results are borrowed and must outlive it.
//  Caller owns the result.
lifecycle_t *
lifecycle_new (jobstore_t *jobstore, scheduler_t *scheduler,
               const lifecycle_sender_t *sender, const char *jobs_dir,
               store_t *results);

void
lifecycle_destroy (lifecycle_t **self_p);

//  Told of each job that has ended (done, failed or cancelled, already in
//  the store), perhaps more than once for the same job.
typedef void (lifecycle_ended_fn) (const char *job_id, void *arg);

//  Call on_ended (NULL: nobody) with arg whenever a job ends here.
void
lifecycle_set_on_ended (lifecycle_t *self, lifecycle_ended_fn *on_ended,
                        void *arg);

//  Call on_changed (NULL: nobody) with arg after each change of a job a
//  client can see in its status (its state, a chunk stored, its end),
//  once it is in the store.
void
lifecycle_set_on_changed (lifecycle_t *self, lifecycle_ended_fn *on_changed,
                          void *arg);

//  Start scheduling the stored job job_id (new, or found at start-up). A
//  job that is unknown (logged), terminal or already scheduled is left
//  alone; one that cannot be read back is failed.
void
lifecycle_load (lifecycle_t *self, const char *job_id);

//  lifecycle_load for every job the store holds that is not terminal: at
//  start-up, and now and then in case an announcement of a new job was
//  lost.
void
lifecycle_load_active (lifecycle_t *self);

//  Send chunks for as long as workers have credit and jobs have work; now
//  is zclock_mono () time, the chunks' deadlines start there.
void
lifecycle_dispatch (lifecycle_t *self, int64_t now);

//  Act on a message from a worker (borrowed): READY and HEARTBEAT tell the
//  scheduler the worker's free credits; CHUNK_FAILED sends the chunk to
//  another worker, or fails its job when it is out of attempts (reports
//  of an attempt that is no longer current are ignored); TEMPLATE_MISS
//  sends the chunk again with its template (scheduler_template_miss; a
//  miss that names no chunk the worker holds is logged and ignored). A
//  CHUNK carries its job's template only when the scheduler says the
//  worker may lack it, and always the template's digest. Returns -1
//  (logged) for a message that is not a worker's, else 0.
int
lifecycle_worker_message (lifecycle_t *self, wire_t *message, int64_t now);

//  A message from worker (routing id, borrowed) was refused for its key:
//  the worker is dropped at once, as one that is unreachable (its chunks
//  go to others), and it gets no more while its messages are refused.
void
lifecycle_worker_refused (lifecycle_t *self, zframe_t *worker);

//  Requeue chunks past their deadline and those of workers silent past
//  their expiry; fail jobs out of attempts.
void
lifecycle_expire (lifecycle_t *self, int64_t now);

//  Ask the sink (QUERY, then OUTPUT again) about each job whose chunks are
//  all stored and whose outcome is overdue (scheduler_query_due).
void
lifecycle_query_sink (lifecycle_t *self, int64_t now);

//  Act on a message from the sink (borrowed):
//  - STORED: the chunk is recorded, and when it is the job's last one the
//    sink is told where the result goes (OUTPUT);
//  - JOB_STATE: merging or storing, the only states the sink reports, is
//    recorded;
//  - JOB_DONE: when its location is the one the store puts the job's
//    output key at, every chunk is marked stored (the sink merges only
//    complete jobs, so STOREDs lost with a restart are implied), the
//    result is recorded and the job forgotten; any other location is
//    refused (logged) and changes nothing;
//  - JOB_FAILED: the job is failed with the sink's reason and forgotten.
//  Returns -1 (logged) for an unknown chunk, a state that is not the
//  sink's to report, a refused location, or a message that is not the
//  sink's; else 0.
int
lifecycle_sink_message (lifecycle_t *self, const wire_t *message);

//  The job was cancelled (the store already says so): it is forgotten and
//  the sink is told to drop its chunks.
void
lifecycle_cancel (lifecycle_t *self, const char *job_id);

//  Count what happens in metrics (borrowed; must outlive the lifecycle):
//  chunks and pages stored, duplicates, jobs done, failed and cancelled,
//  bytes stored, and the durations of chunks, jobs, merges and uploads.
//  Without it (the default) nothing is counted.
void
lifecycle_set_metrics (lifecycle_t *self, metrics_t *metrics);

#endif
