/*  lifecycle - each job's course through the ventilator: loaded from the
    job store, its chunks dispatched, failed or stored, its result recorded.

    A chunk's records are read from the job's records file as it is
    dispatched, so the ventilator holds the records of the chunks going
    out right now, never a job's.

    SPDX-License-Identifier: MPL-2.0
*/
#include "lifecycle.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>

#include "log.h"
#include "recordfile.h"

struct _lifecycle_t {
    jobstore_t *jobstore;   // borrowed
    scheduler_t *scheduler; // borrowed
    store_t *results;       // borrowed; where results are, for JOB_DONE
    lifecycle_sender_t sender;
    char *jobs_dir;      // where the jobs' records files are
    zhashx_t *templates; // job id -> template JSON (char *), jobs in flight
    metrics_t *metrics;  // borrowed; NULL: none kept
    lifecycle_ended_fn *on_ended; // NULL: nobody is told
    void *on_ended_arg;
    lifecycle_ended_fn *on_changed; // NULL: nobody is told
    void *on_changed_arg;
};

static void
s_free_string (void **item)
{
    free (*item);
    *item = NULL;
}

lifecycle_t *
lifecycle_new (jobstore_t *jobstore, scheduler_t *scheduler,
               const lifecycle_sender_t *sender, const char *jobs_dir,
               store_t *results)
{
    assert (jobstore);
    assert (scheduler);
    assert (sender && sender->to_worker && sender->to_sink);
    assert (jobs_dir);
    assert (results);
    lifecycle_t *self = (lifecycle_t *)zmalloc (sizeof (lifecycle_t));
    self->jobs_dir = strdup (jobs_dir);
    assert (self->jobs_dir);
    self->jobstore = jobstore;
    self->scheduler = scheduler;
    self->results = results;
    self->sender = *sender;
    self->templates = zhashx_new ();
    zhashx_set_destructor (self->templates, s_free_string);
    return self;
}

void
lifecycle_destroy (lifecycle_t **self_p)
{
    assert (self_p);
    lifecycle_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->templates);
    free (self->jobs_dir);
    free (self);
    *self_p = NULL;
}

void
lifecycle_set_on_ended (lifecycle_t *self, lifecycle_ended_fn *on_ended,
                        void *arg)
{
    assert (self);
    self->on_ended = on_ended;
    self->on_ended_arg = arg;
}

void
lifecycle_set_on_changed (lifecycle_t *self, lifecycle_ended_fn *on_changed,
                          void *arg)
{
    assert (self);
    self->on_changed = on_changed;
    self->on_changed_arg = arg;
}

static void
s_changed (lifecycle_t *self, const char *job_id)
{
    if (self->on_changed)
        self->on_changed (job_id, self->on_changed_arg);
}

static int
s_send_to_sink (lifecycle_t *self, wire_t *message)
{
    return self->sender.to_sink (message, self->sender.sink_arg);
}

static void
s_send_cancel (lifecycle_t *self, const char *job_id)
{
    wire_t *cancel = wire_new (WIRE_CANCEL);
    wire_set_job_id (cancel, job_id);
    s_send_to_sink (self, cancel);
    wire_destroy (&cancel);
}

//  The job is finished (done, failed or cancelled): nothing will be
//  dispatched for it again. Its records go too, but a done job's, which
//  its index is made from, and which retention removes with the job.
static void
s_forget (lifecycle_t *self, const char *job_id)
{
    scheduler_remove_job (self->scheduler, job_id);
    zhashx_delete (self->templates, job_id);
    jobstate_t state;
    if (jobstore_result (self->jobstore, job_id, NULL, NULL, &state) ||
        state != JOB_DONE)
        recordfile_remove (self->jobs_dir, job_id);
    s_changed (self, job_id);
    if (self->on_ended)
        self->on_ended (job_id, self->on_ended_arg);
}

//  A job has failed for good: record it, tell the sink to drop its chunks.
//  A scheduler_failed_fn.
static void
s_job_failed (const char *job_id, const char *reason, void *arg)
{
    lifecycle_t *self = (lifecycle_t *)arg;
    log_info ("job=%s failed: %s", job_id, reason);
    if (jobstore_set_state (self->jobstore, job_id, JOB_FAILED, reason) == 0)
        metrics_count (self->metrics, METRICS_JOBS_FAILED, 1);
    s_forget (self, job_id);
    s_send_cancel (self, job_id);
}

void
lifecycle_load (lifecycle_t *self, const char *job_id)
{
    assert (self);
    jobstore_job_t job;
    if (jobstore_job (self->jobstore, job_id, &job)) {
        log_warning ("job=%s announced but not in the job store", job_id);
        return;
    }
    if (jobstate_is_terminal (job.state) ||
        scheduler_has_job (self->scheduler, job_id))
        return;
    char *template_json = jobstore_template_json (self->jobstore, job_id);
    bool *stored = (bool *)zmalloc (job.chunk_count * sizeof (bool));
    //  The digest names exactly the text a CHUNK's template frame carries.
    tpldigest_t digest;
    if (!template_json ||
        tpldigest_compute (template_json, strlen (template_json), &digest) ||
        jobstore_chunks_stored (self->jobstore, job_id, stored,
                                job.chunk_count) ||
        scheduler_add_job (self->scheduler, job_id, job.pages, job.chunk_pages,
                           stored, &digest)) {
        free (stored);
        free (template_json);
        s_job_failed (job_id, "internal error: cannot load the job", self);
        return;
    }
    free (stored);
    scheduler_set_weight (self->scheduler, job_id, job.priority);
    zhashx_update (self->templates, job_id, template_json);
    log_debug ("job=%s scheduled: %u pages in %u chunks (%u stored)", job_id,
               job.pages, job.chunk_count, job.chunks_done);
}

void
lifecycle_load_active (lifecycle_t *self)
{
    assert (self);
    zlist_t *active = jobstore_active (self->jobstore);
    if (!active)
        return;
    for (char *job_id = (char *)zlist_first (active); job_id;
         job_id = (char *)zlist_next (active))
        lifecycle_load (self, job_id);
    zlist_destroy (&active);
}

//  The CHUNK message for one dispatch decision: with the template only
//  when the worker may lack it. Caller destroys it.
static wire_t *
s_chunk_message (const scheduler_dispatch_t *dispatch,
                 const char *template_json, const char *records)
{
    wire_t *chunk = wire_new (WIRE_CHUNK);
    wire_set_routing_id (chunk, dispatch->worker);
    wire_set_job_id (chunk, dispatch->job_id);
    wire_set_chunk_nbr (chunk, dispatch->chunk_nbr);
    wire_set_attempt (chunk, dispatch->attempt);
    wire_set_first_page (chunk, dispatch->first_page);
    wire_set_page_count (chunk, dispatch->page_count);
    wire_set_total_pages (chunk, dispatch->total_pages);
    wire_set_chunk_count (chunk, dispatch->chunk_count);
    wire_set_digest (chunk, &dispatch->digest);
    wire_set_template_json (chunk, dispatch->with_template ? template_json : "");
    wire_set_records_json (chunk, records);
    return chunk;
}

//  The records of a chunk, from the job's records file; a job stored
//  before there were records files has them in the job store.
static char *
s_chunk_records (lifecycle_t *self, const char *job_id, uint32_t chunk_nbr)
{
    char *records = recordfile_chunk (self->jobs_dir, job_id, chunk_nbr);
    if (!records && errno == ENOENT)
        records = jobstore_chunk_records (self->jobstore, job_id, chunk_nbr);
    return records;
}

void
lifecycle_dispatch (lifecycle_t *self, int64_t now)
{
    assert (self);
    scheduler_dispatch_t dispatch;
    while (scheduler_next (self->scheduler, now, &dispatch)) {
        const char *job_id = dispatch.job_id;
        char *records = s_chunk_records (self, job_id, dispatch.chunk_nbr);
        const char *template_json =
            (const char *)zhashx_lookup (self->templates, job_id);
        if (!records || !template_json) {
            free (records);
            zframe_destroy (&dispatch.worker);
            s_job_failed (job_id, "internal error: chunk records missing",
                          self);
            continue;
        }
        if (dispatch.first_of_job) {
            jobstore_set_state (self->jobstore, job_id, JOB_RENDERING, NULL);
            s_changed (self, job_id);
        }

        wire_t *chunk = s_chunk_message (&dispatch, template_json, records);
        free (records);
        int rc = self->sender.to_worker (chunk, self->sender.worker_arg);
        log_debug ("job=%s chunk=%u attempt=%u pages %u-%u to worker=%s "
                   "template_bytes=%zu%s",
                   job_id, dispatch.chunk_nbr, dispatch.attempt,
                   dispatch.first_page,
                   dispatch.first_page + dispatch.page_count - 1,
                   wire_peer (chunk), strlen (wire_template_json (chunk)),
                   rc ? " failed" : "");
        if (rc)
            //  The worker went away between its READY and now: this chunk
            //  and any other it holds go to others.
            scheduler_worker_gone (self->scheduler, dispatch.worker,
                                   "is unreachable", s_job_failed, self);
        wire_destroy (&chunk);
        zframe_destroy (&dispatch.worker);
    }
}

int
lifecycle_worker_message (lifecycle_t *self, wire_t *message, int64_t now)
{
    assert (self);
    assert (message);
    switch (wire_id (message)) {
    case WIRE_READY:
        scheduler_worker_ready (self->scheduler, wire_routing_id (message),
                                wire_credits (message), now);
        return 0;
    case WIRE_HEARTBEAT:
        scheduler_worker_seen (self->scheduler, wire_routing_id (message),
                               wire_credits (message), now);
        return 0;
    case WIRE_LEAVING:
        scheduler_worker_left (self->scheduler, wire_routing_id (message),
                               wire_credits (message));
        return 0;
    case WIRE_CHUNK_FAILED:
        log_warning ("job=%s chunk=%u attempt=%u failed on worker=%s: %s",
                     wire_job_id (message), wire_chunk_nbr (message),
                     wire_attempt (message), wire_peer (message),
                     wire_error (message));
        scheduler_chunk_failed (
            self->scheduler, wire_job_id (message), wire_chunk_nbr (message),
            wire_attempt (message), wire_error (message), s_job_failed, self);
        return 0;
    case WIRE_TEMPLATE_MISS:
        if (scheduler_template_miss (self->scheduler, wire_routing_id (message),
                                     wire_job_id (message),
                                     wire_chunk_nbr (message),
                                     wire_attempt (message),
                                     wire_digest (message), s_job_failed,
                                     self)) {
            char hex[TPLDIGEST_HEX_SIZE];
            log_warning ("job=%s chunk=%u attempt=%u: ignored TEMPLATE_MISS "
                         "from worker=%s for digest %s: not the job's, or "
                         "not a chunk the worker holds now",
                         wire_job_id (message), wire_chunk_nbr (message),
                         wire_attempt (message), wire_peer (message),
                         tpldigest_hex (wire_digest (message), hex));
        }
        return 0;
    default:
        log_warning ("dropped %s from worker=%s: not a worker message",
                     wire_command (message), wire_peer (message));
        return -1;
    }
}

void
lifecycle_worker_refused (lifecycle_t *self, zframe_t *worker)
{
    assert (self);
    assert (worker);
    scheduler_worker_gone (self->scheduler, worker,
                           "was refused: its key is not allowed", s_job_failed,
                           self);
}

void
lifecycle_expire (lifecycle_t *self, int64_t now)
{
    assert (self);
    scheduler_expire (self->scheduler, now, s_job_failed, self);
}

//  Tell the sink where the job's result goes (OUTPUT): it finishes a job
//  only once it knows. Sent when chunk 0 is stored (so the sink can
//  upload the output as it grows), when the last chunk is stored and with
//  every QUERY, so a sink that restarted or missed it learns it again.
static void
s_send_output (lifecycle_t *self, const char *job_id)
{
    char *key = NULL, *filename = NULL;
    if (jobstore_output (self->jobstore, job_id, &key, &filename))
        return;
    wire_t *output = wire_new (WIRE_OUTPUT);
    wire_set_job_id (output, job_id);
    wire_set_key (output, key);
    wire_set_filename (output, filename ? filename : "");
    if (s_send_to_sink (self, output))
        log_warning ("job=%s cannot tell the sink where the result goes: %s",
                     job_id, zmq_strerror (zmq_errno ()));
    wire_destroy (&output);
    free (key);
    free (filename);
}

static int
s_chunk_stored (lifecycle_t *self, const char *job_id, uint32_t chunk_nbr,
                uint32_t page_count)
{
    int64_t dispatched_at =
        scheduler_chunk_dispatched_at (self->scheduler, job_id, chunk_nbr);
    int marked = jobstore_chunk_stored (self->jobstore, job_id, chunk_nbr);
    if (marked < 0) {
        log_warning ("job=%s chunk=%u: sink stored an unknown chunk", job_id,
                     chunk_nbr);
        return -1;
    }
    if (marked == 1) {
        s_changed (self, job_id);
        metrics_count (self->metrics, METRICS_CHUNKS_RENDERED, 1);
        metrics_count (self->metrics, METRICS_PAGES_RENDERED, page_count);
        if (dispatched_at >= 0)
            metrics_observe_since (self->metrics, METRICS_CHUNK_SECONDS,
                                   dispatched_at);
    } else
        metrics_count (self->metrics, METRICS_DUPLICATES_DROPPED, 1);
    if (scheduler_chunk_stored (self->scheduler, job_id, chunk_nbr) == 1) {
        log_info ("job=%s all chunks stored", job_id);
        s_send_output (self, job_id);
    } else if (chunk_nbr == 0)
        s_send_output (self, job_id);
    return 0;
}

void
lifecycle_query_sink (lifecycle_t *self, int64_t now)
{
    assert (self);
    zlist_t *due = scheduler_query_due (self->scheduler, now);
    for (const char *job_id = (const char *)zlist_first (due); job_id;
         job_id = (const char *)zlist_next (due)) {
        log_debug ("job=%s all chunks stored, no outcome yet: asking the sink",
                   job_id);
        wire_t *query = wire_new (WIRE_QUERY);
        wire_set_job_id (query, job_id);
        if (s_send_to_sink (self, query))
            log_warning ("job=%s cannot ask the sink: %s", job_id,
                         zmq_strerror (zmq_errno ()));
        wire_destroy (&query);
        //  After the QUERY, which makes a sink that lost the job's
        //  completion wait for exactly this.
        s_send_output (self, job_id);
    }
    zlist_destroy (&due);
}

static int
s_job_state (lifecycle_t *self, const char *job_id, const char *state_name)
{
    jobstate_t state;
    if (jobstate_parse (state_name, &state) ||
        (state != JOB_MERGING && state != JOB_STORING)) {
        log_warning ("job=%s: sink sent unexpected state '%s'", job_id,
                     state_name);
        return -1;
    }
    jobstore_set_state (self->jobstore, job_id, state, NULL);
    s_changed (self, job_id);
    return 0;
}

//  The sink merges a job only when it holds every chunk, so a job done
//  has them all stored, even those whose STORED was lost with a restart
//  (the sink then answers a late duplicate with the outcome instead).
static void
s_mark_all_stored (lifecycle_t *self, const char *job_id)
{
    jobstore_job_t job;
    if (jobstore_job (self->jobstore, job_id, &job) ||
        jobstate_is_terminal (job.state) || job.chunks_done == job.chunk_count)
        return;
    bool *stored = (bool *)zmalloc (job.chunk_count * sizeof (bool));
    if (jobstore_chunks_stored (self->jobstore, job_id, stored,
                                job.chunk_count) == 0)
        for (uint32_t chunk_nbr = 0; chunk_nbr < job.chunk_count; chunk_nbr++)
            if (!stored[chunk_nbr])
                jobstore_chunk_stored (self->jobstore, job_id, chunk_nbr);
    free (stored);
}

//  Where the store configured here puts the job's result: the one place
//  its JOB_DONE may name. NULL (logged) for a job without an output.
//  Caller frees.
static char *
s_result_location (lifecycle_t *self, const char *job_id)
{
    char *key = NULL, *filename = NULL;
    if (jobstore_output (self->jobstore, job_id, &key, &filename)) {
        log_warning ("job=%s: JOB_DONE for a job with no output key", job_id);
        return NULL;
    }
    char *location = store_location (self->results, key);
    if (!location)
        log_error ("job=%s: its output key is not a valid store key", job_id);
    free (key);
    free (filename);
    return location;
}

//  The figures of a job just done: its size and how long each phase took.
static void
s_count_done (lifecycle_t *self, const char *job_id, uint64_t bytes)
{
    if (!self->metrics)
        return;
    metrics_count (self->metrics, METRICS_JOBS_DONE, 1);
    metrics_count (self->metrics, METRICS_STORED_BYTES, bytes);
    int64_t at[JOBSTATE_COUNT];
    if (jobstore_transitions (self->jobstore, job_id, at) == -1)
        return;
    if (at[JOB_QUEUED] && at[JOB_DONE])
        metrics_observe (self->metrics, METRICS_JOB_SECONDS,
                         (double)(at[JOB_DONE] - at[JOB_QUEUED]) / 1000);
    if (at[JOB_MERGING] && at[JOB_STORING])
        metrics_observe (self->metrics, METRICS_MERGE_SECONDS,
                         (double)(at[JOB_STORING] - at[JOB_MERGING]) / 1000);
    if (at[JOB_STORING] && at[JOB_DONE])
        metrics_observe (self->metrics, METRICS_UPLOAD_SECONDS,
                         (double)(at[JOB_DONE] - at[JOB_STORING]) / 1000);
}

static int
s_job_done (lifecycle_t *self, const char *job_id, const char *location,
            uint64_t bytes)
{
    char *expected = s_result_location (self, job_id);
    if (!expected)
        return -1;
    if (!location || strcmp (location, expected) != 0) {
        //  A sink given another --store, or a forgery: either way the
        //  result is not where this ventilator would serve it from.
        log_error ("job=%s: ignored JOB_DONE naming %s: the store configured "
                   "here (--store) puts this job's result at %s; the "
                   "ventilator and the sink must be given the same store",
                   job_id, location, expected);
        free (expected);
        return -1;
    }
    s_mark_all_stored (self, job_id);
    if (jobstore_set_result (self->jobstore, job_id, expected, bytes) == 0) {
        log_info ("job=%s done: %" PRIu64 " bytes at %s", job_id, bytes,
                  expected);
        s_count_done (self, job_id, bytes);
    }
    s_forget (self, job_id);
    free (expected);
    return 0;
}

int
lifecycle_sink_message (lifecycle_t *self, const wire_t *message)
{
    assert (self);
    assert (message);
    const char *job_id = wire_job_id (message);
    switch (wire_id (message)) {
    case WIRE_STORED:
        return s_chunk_stored (self, job_id, wire_chunk_nbr (message),
                               wire_page_count (message));
    case WIRE_JOB_STATE:
        return s_job_state (self, job_id, wire_state (message));
    case WIRE_JOB_DONE:
        return s_job_done (self, job_id, wire_location (message),
                           wire_bytes (message));
    case WIRE_JOB_FAILED:
        log_info ("job=%s failed in the sink: %s", job_id,
                  wire_reason (message));
        if (jobstore_set_state (self->jobstore, job_id, JOB_FAILED,
                                wire_reason (message)) == 0)
            metrics_count (self->metrics, METRICS_JOBS_FAILED, 1);
        s_forget (self, job_id);
        return 0;
    default:
        log_warning ("dropped %s on the events socket: not a sink message",
                     wire_command (message));
        return -1;
    }
}

void
lifecycle_cancel (lifecycle_t *self, const char *job_id)
{
    assert (self);
    metrics_count (self->metrics, METRICS_JOBS_CANCELLED, 1);
    s_forget (self, job_id);
    s_send_cancel (self, job_id);
}

void
lifecycle_set_metrics (lifecycle_t *self, metrics_t *metrics)
{
    assert (self);
    self->metrics = metrics;
}
