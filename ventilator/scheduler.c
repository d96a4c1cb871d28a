/*  scheduler - which chunk goes to which worker, and when to stop waiting.

    Jobs share the workers by stride scheduling: each job has a pass, and
    each dispatch serves the job with a pending chunk whose pass is lowest,
    then advances its pass by S_STRIDE divided by the job's weight (its
    priority). Equal weights take turns, which is what keeps small jobs
    from waiting behind big ones; a job of twice the weight gets twice the
    chunks, and none starves. A job's pass never lags the pass of the last
    dispatch (the scheduler's virtual time), so a job that waited without
    pending chunks (a new job, or one whose chunks were all in flight)
    does not come back with a burst of saved turns. Ties go to the job
    longest without a dispatch: jobs sit in a rotation list and a dispatch
    moves its job to the back. Workers rotate the same way so that
    credits are spent evenly. A job's pending chunks are a ring buffer of
    chunk numbers (each chunk is in it at most once); retries go to the
    front. Chunks in flight are also in one list across jobs, so deadline
    checks cost the number of chunks in flight, not the number of chunks.
    What a worker holds is a list of (job id, chunk, attempt) in dispatch
    order; an entry whose job is gone or whose chunk has moved on to
    another attempt is stale and skipped, so failing or removing a job
    never has to visit the workers. The digests a worker has been sent are
    a small array kept in order of use, most recent first; a lookup is a
    few comparisons of 32 bytes.

    SPDX-License-Identifier: MPL-2.0
*/
#include "scheduler.h"

#include "chunkplan.h"
#include <inttypes.h>
#include "log.h"

//  A job's pass advances by this over its weight per dispatch.
#define S_STRIDE 1000000
//  Keys of the worker hash: a routing id in hex.
#define S_WORKER_KEY_MAX (2 * 256 + 1)

typedef enum {
    S_PENDING = 0,
    S_INFLIGHT,
    S_STORED,
} s_chunk_state_t;

typedef struct _s_job_t s_job_t;

typedef struct {
    s_job_t *job;
    uint32_t chunk_nbr;
} s_inflight_t;

typedef struct {
    s_chunk_state_t state;
    uint32_t attempt;      // attempts started so far; the current one
    uint32_t uncounted;    // of those, the ones max_attempts ignores
    int64_t deadline;      // ms, zclock_mono (), while in flight
    int64_t dispatched_at; // ms, zclock_mono (), of the current attempt
    void *inflight_handle; // in self->inflight, while in flight
} s_chunk_t;

struct _s_job_t {
    char id[PROTO_JOB_ID_MAX + 1];
    uint32_t pages;
    uint32_t chunk_pages;
    uint32_t chunk_count;
    uint32_t stored_count;
    s_chunk_t *chunks; // chunk_count entries
    uint32_t *queue;   // ring of pending chunk numbers
    uint32_t queue_head;
    uint32_t queue_size;
    uint32_t weight; // its priority; SCHEDULER_WEIGHT_DEFAULT until set
    uint64_t pass;   // stride scheduling: lowest is served next
    bool dispatched;
    tpldigest_t digest;    // of the job's template and assets
    int64_t query_at;      // ms, zclock_mono (); 0 until seen complete
    void *rotation_handle; // in self->rotation
    //  Chunks dispatched more than once, in the order of their second
    //  dispatch; chunk_count entries, allocated at the first retry.
    uint32_t *retried;
    uint32_t retried_count;
};

//  A chunk dispatched to a worker and not yet given back by its READY.
typedef struct {
    char job_id[PROTO_JOB_ID_MAX + 1];
    uint32_t chunk_nbr;
    uint32_t attempt;
    int64_t dispatched_at; // ms, zclock_mono ()
    uint32_t page_count;
    bool with_template; // the CHUNK carried its template
} s_held_t;

typedef struct {
    zframe_t *routing_id;
    char name[S_WORKER_KEY_MAX]; // for logs: text or hex
    uint32_t credits;
    int64_t last_seen; // ms, zclock_mono ()
    zlistx_t *held;    // s_held_t (owner), oldest first
    //  Chunks it gave back with READY whose results the sink had not
    //  stored then (s_held_t, owner); entries stored since, or gone to
    //  another attempt, are stale and pruned at the next READY.
    zlistx_t *unstored;
    void *handle; // in self->worker_list
    //  Digests of the templates sent to it, the most recently used first.
    tpldigest_t templates[PROTO_WORKER_TEMPLATES];
    size_t template_count;
    //  Chunks it has given back with READY (finished, rendered or not),
    //  their pages, and the time it spent on them: from each one's
    //  dispatch, or the end of the one before if later, to its READY.
    uint64_t chunks_done;
    uint64_t pages_done;
    int64_t busy_ms;
    int64_t done_at; // ms, zclock_mono (), of the last READY that gave back
} s_worker_t;

struct _scheduler_t {
    scheduler_config_t config;
    zhashx_t *jobs;        // id -> s_job_t (owner)
    zlistx_t *rotation;    // s_job_t, borrowed; front is served next
    zlistx_t *inflight;    // s_inflight_t (owner)
    zhashx_t *workers;     // hex routing id -> s_worker_t (owner)
    zlistx_t *worker_list; // s_worker_t, borrowed; front is tried first
    uint64_t vtime;        // the pass of the job served last
    uint64_t retries;      // dispatches that were not a chunk's first
    uint64_t dead_workers; // workers dropped
};

static void
s_job_destroy (void **item)
{
    s_job_t *job = (s_job_t *)*item;
    if (!job)
        return;
    free (job->chunks);
    free (job->queue);
    free (job->retried);
    free (job);
    *item = NULL;
}

static void
s_worker_destroy (void **item)
{
    s_worker_t *worker = (s_worker_t *)*item;
    if (!worker)
        return;
    zframe_destroy (&worker->routing_id);
    zlistx_destroy (&worker->held);
    zlistx_destroy (&worker->unstored);
    free (worker);
    *item = NULL;
}

static void
s_free_item (void **item)
{
    free (*item);
    *item = NULL;
}

scheduler_t *
scheduler_new (const scheduler_config_t *config)
{
    scheduler_t *self = (scheduler_t *)zmalloc (sizeof (scheduler_t));
    self->config = (scheduler_config_t){
        .max_attempts = SCHEDULER_MAX_ATTEMPTS,
        .deadline_base_ms = SCHEDULER_DEADLINE_BASE_MS,
        .deadline_per_page_ms = SCHEDULER_DEADLINE_PER_PAGE_MS,
        .worker_expiry_ms = PROTO_WORKER_EXPIRY_MS,
        .query_interval_ms = SCHEDULER_QUERY_INTERVAL_MS,
    };
    if (config)
        self->config = *config;
    if (self->config.max_attempts == 0)
        self->config.max_attempts = 1;
    if (self->config.query_interval_ms <= 0)
        self->config.query_interval_ms = SCHEDULER_QUERY_INTERVAL_MS;
    self->jobs = zhashx_new ();
    zhashx_set_destructor (self->jobs, s_job_destroy);
    self->rotation = zlistx_new ();
    self->inflight = zlistx_new ();
    zlistx_set_destructor (self->inflight, s_free_item);
    self->workers = zhashx_new ();
    zhashx_set_destructor (self->workers, s_worker_destroy);
    self->worker_list = zlistx_new ();
    return self;
}

void
scheduler_destroy (scheduler_t **self_p)
{
    assert (self_p);
    scheduler_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->worker_list);
    zhashx_destroy (&self->workers);
    zlistx_destroy (&self->inflight);
    zlistx_destroy (&self->rotation);
    zhashx_destroy (&self->jobs);
    free (self);
    *self_p = NULL;
}

static void
s_queue_push_back (s_job_t *job, uint32_t chunk_nbr)
{
    assert (job->queue_size < job->chunk_count);
    job->queue[(job->queue_head + job->queue_size) % job->chunk_count] =
        chunk_nbr;
    job->queue_size++;
}

static void
s_queue_push_front (s_job_t *job, uint32_t chunk_nbr)
{
    assert (job->queue_size < job->chunk_count);
    job->queue_head =
        (job->queue_head + job->chunk_count - 1) % job->chunk_count;
    job->queue[job->queue_head] = chunk_nbr;
    job->queue_size++;
}

static uint32_t
s_queue_pop_front (s_job_t *job)
{
    assert (job->queue_size > 0);
    uint32_t chunk_nbr = job->queue[job->queue_head];
    job->queue_head = (job->queue_head + 1) % job->chunk_count;
    job->queue_size--;
    return chunk_nbr;
}

int
scheduler_add_job (scheduler_t *self, const char *job_id, uint32_t pages,
                   uint32_t chunk_pages, const bool *stored,
                   const tpldigest_t *digest)
{
    assert (self);
    assert (job_id);
    assert (digest);
    if (strlen (job_id) >= sizeof (((s_job_t *)0)->id) || pages == 0 ||
        chunk_pages == 0 || zhashx_lookup (self->jobs, job_id))
        return -1;
    s_job_t *job = (s_job_t *)zmalloc (sizeof (s_job_t));
    snprintf (job->id, sizeof job->id, "%s", job_id);
    job->pages = pages;
    job->chunk_pages = chunk_pages;
    job->digest = *digest;
    job->chunk_count = chunkplan_count (pages, chunk_pages);
    job->chunks = (s_chunk_t *)zmalloc (job->chunk_count * sizeof (s_chunk_t));
    job->queue = (uint32_t *)zmalloc (job->chunk_count * sizeof (uint32_t));
    for (uint32_t chunk_nbr = 0; chunk_nbr < job->chunk_count; chunk_nbr++) {
        if (stored && stored[chunk_nbr]) {
            job->chunks[chunk_nbr].state = S_STORED;
            job->stored_count++;
        } else
            s_queue_push_back (job, chunk_nbr);
    }
    //  A job with chunks already stored was being rendered before a restart.
    job->dispatched = job->stored_count > 0;
    //  Complete already: its outcome may have been lost with the restart,
    //  so ask the sink at once.
    if (job->stored_count == job->chunk_count)
        job->query_at = 1;
    job->weight = SCHEDULER_WEIGHT_DEFAULT;
    job->pass = self->vtime;
    zhashx_insert (self->jobs, job->id, job);
    job->rotation_handle = zlistx_add_end (self->rotation, job);
    return 0;
}

int
scheduler_set_weight (scheduler_t *self, const char *job_id, uint32_t weight)
{
    assert (self);
    s_job_t *job = (s_job_t *)zhashx_lookup (self->jobs, job_id);
    if (!job)
        return -1;
    job->weight = weight ? weight : 1;
    return 0;
}

static void
s_inflight_forget (scheduler_t *self, s_chunk_t *chunk)
{
    if (chunk->inflight_handle) {
        zlistx_delete (self->inflight, chunk->inflight_handle);
        chunk->inflight_handle = NULL;
    }
}

void
scheduler_remove_job (scheduler_t *self, const char *job_id)
{
    assert (self);
    s_job_t *job = (s_job_t *)zhashx_lookup (self->jobs, job_id);
    if (!job)
        return;
    for (uint32_t chunk_nbr = 0; chunk_nbr < job->chunk_count; chunk_nbr++)
        s_inflight_forget (self, &job->chunks[chunk_nbr]);
    zlistx_delete (self->rotation, job->rotation_handle);
    zhashx_delete (self->jobs, job_id);
}

bool
scheduler_has_job (scheduler_t *self, const char *job_id)
{
    assert (self);
    return zhashx_lookup (self->jobs, job_id) != NULL;
}

size_t
scheduler_jobs (scheduler_t *self)
{
    assert (self);
    return zhashx_size (self->jobs);
}

size_t
scheduler_pending (scheduler_t *self)
{
    assert (self);
    size_t pending = 0;
    s_job_t *job = (s_job_t *)zlistx_first (self->rotation);
    while (job) {
        pending += job->queue_size;
        job = (s_job_t *)zlistx_next (self->rotation);
    }
    return pending;
}

static s_worker_t *
s_worker_lookup (scheduler_t *self, zframe_t *routing_id, char *key)
{
    char *hex = zframe_strhex (routing_id);
    snprintf (key, S_WORKER_KEY_MAX, "%s", hex);
    zstr_free (&hex);
    return (s_worker_t *)zhashx_lookup (self->workers, key);
}

//  A printable routing id is the worker's name; anything else goes to logs
//  as hex.
static void
s_worker_name (zframe_t *routing_id, const char *hex, char *name)
{
    size_t size = zframe_size (routing_id);
    const byte *data = zframe_data (routing_id);
    bool printable = size > 0 && size < S_WORKER_KEY_MAX;
    for (size_t index = 0; index < size && printable; index++)
        printable = data[index] >= 0x20 && data[index] < 0x7f;
    if (printable) {
        memcpy (name, data, size);
        name[size] = '\0';
    } else
        snprintf (name, S_WORKER_KEY_MAX, "%s", hex);
}

static s_worker_t *
s_worker_require (scheduler_t *self, zframe_t *routing_id, int64_t now,
                  bool *created)
{
    char key[S_WORKER_KEY_MAX];
    s_worker_t *worker = s_worker_lookup (self, routing_id, key);
    *created = false;
    if (!worker) {
        worker = (s_worker_t *)zmalloc (sizeof (s_worker_t));
        worker->routing_id = zframe_dup (routing_id);
        s_worker_name (routing_id, key, worker->name);
        worker->held = zlistx_new ();
        zlistx_set_destructor (worker->held, s_free_item);
        worker->unstored = zlistx_new ();
        zlistx_set_destructor (worker->unstored, s_free_item);
        zhashx_insert (self->workers, key, worker);
        worker->handle = zlistx_add_end (self->worker_list, worker);
        *created = true;
        log_debug ("worker=%s joined", worker->name);
    }
    worker->last_seen = now;
    return worker;
}

static uint32_t
s_credits_cap (uint64_t credits)
{
    return credits > SCHEDULER_CREDITS_MAX ? SCHEDULER_CREDITS_MAX
                                           : (uint32_t)credits;
}

//  The chunk a held entry names, when that entry is still its current
//  attempt in flight; NULL for a stale entry.
static s_job_t *
s_held_job (scheduler_t *self, const s_held_t *held)
{
    s_job_t *job = (s_job_t *)zhashx_lookup (self->jobs, held->job_id);
    if (!job || held->chunk_nbr >= job->chunk_count)
        return NULL;
    s_chunk_t *chunk = &job->chunks[held->chunk_nbr];
    if (chunk->state != S_INFLIGHT || chunk->attempt != held->attempt)
        return NULL;
    return job;
}

static bool
s_retry_or_fail (scheduler_t *self, s_job_t *job, uint32_t chunk_nbr,
                 const char *why, scheduler_failed_fn *failed, void *arg);
static void
s_requeue (scheduler_t *self, s_job_t *job, uint32_t chunk_nbr);

//  The position of digest in the worker's set, or -1.
static int
s_template_find (const s_worker_t *worker, const tpldigest_t *digest)
{
    for (size_t index = 0; index < worker->template_count; index++)
        if (tpldigest_equal (&worker->templates[index], digest))
            return (int)index;
    return -1;
}

//  Note that the worker was sent (or used) the template digest: it moves
//  to the front of the set, the least recently used leaving a full one.
//  Returns true when it was there already.
static bool
s_template_use (s_worker_t *worker, const tpldigest_t *digest)
{
    int found = s_template_find (worker, digest);
    size_t shifted = found >= 0 ? (size_t)found : worker->template_count;
    if (shifted == PROTO_WORKER_TEMPLATES)
        shifted--;
    else if (found < 0)
        worker->template_count++;
    memmove (&worker->templates[1], &worker->templates[0],
             shifted * sizeof (tpldigest_t));
    worker->templates[0] = *digest;
    return found >= 0;
}

static void
s_template_forget (s_worker_t *worker, const tpldigest_t *digest)
{
    int found = s_template_find (worker, digest);
    if (found < 0)
        return;
    memmove (&worker->templates[found], &worker->templates[found + 1],
             (worker->template_count - (size_t)found - 1) *
                 sizeof (tpldigest_t));
    worker->template_count--;
}

void
scheduler_worker_ready (scheduler_t *self, zframe_t *worker_id,
                        uint32_t credits, int64_t now)
{
    assert (self);
    assert (worker_id);
    bool created;
    s_worker_t *worker = s_worker_require (self, worker_id, now, &created);
    s_held_t *entry = (s_held_t *)zlistx_first (worker->unstored);
    while (entry) {
        void *handle = zlistx_cursor (worker->unstored);
        s_held_t *next = (s_held_t *)zlistx_next (worker->unstored);
        if (!s_held_job (self, entry))
            zlistx_delete (worker->unstored, handle);
        entry = next;
    }
    for (uint32_t given_back = 0; given_back < credits; given_back++) {
        s_held_t *held = (s_held_t *)zlistx_first (worker->held);
        if (!held)
            break;
        int64_t began = held->dispatched_at > worker->done_at
                            ? held->dispatched_at
                            : worker->done_at;
        worker->busy_ms += now > began ? now - began : 0;
        worker->done_at = now;
        worker->chunks_done++;
        worker->pages_done += held->page_count;
        held = (s_held_t *)zlistx_detach_cur (worker->held);
        if (s_held_job (self, held))
            zlistx_add_end (worker->unstored, held);
        else
            free (held);
    }
    //  The oldest chunk it still holds is the one it renders from now on:
    //  its deadline runs from here, not from a dispatch that may have been
    //  a whole chunk earlier.
    s_held_t *next = (s_held_t *)zlistx_first (worker->held);
    s_job_t *job = next ? s_held_job (self, next) : NULL;
    if (job && credits > 0)
        job->chunks[next->chunk_nbr].deadline =
            now + self->config.deadline_base_ms +
            self->config.deadline_per_page_ms * next->page_count;
    worker->credits = s_credits_cap ((uint64_t)worker->credits + credits);
}

void
scheduler_worker_seen (scheduler_t *self, zframe_t *worker_id, uint32_t credits,
                       int64_t now)
{
    assert (self);
    assert (worker_id);
    bool created;
    s_worker_t *worker = s_worker_require (self, worker_id, now, &created);
    if (created) {
        worker->credits = s_credits_cap (credits);
        return;
    }
    if (credits <= worker->credits)
        return;
    if (zlistx_size (worker->held) == 0) {
        //  Nothing held: the worker knows its free slots best.
        worker->credits = s_credits_cap (credits);
        return;
    }
    //  The newest chunks are the ones a broken connection loses; any
    //  younger than the grace may still be on their way.
    uint32_t missing = credits - worker->credits;
    uint32_t requeued = 0;
    s_held_t *held = (s_held_t *)zlistx_last (worker->held);
    while (held && requeued < missing) {
        void *handle = zlistx_cursor (worker->held);
        s_held_t *older = (s_held_t *)zlistx_prev (worker->held);
        if (now - held->dispatched_at >= SCHEDULER_HANDOVER_GRACE_MS) {
            s_job_t *job = s_held_job (self, held);
            if (job) {
                log_warning ("job=%s chunk=%u attempt=%u never reached "
                             "worker=%s; dispatching it again",
                             job->id, held->chunk_nbr, held->attempt,
                             worker->name);
                s_requeue (self, job, held->chunk_nbr);
            }
            zlistx_delete (worker->held, handle);
            requeued++;
        }
        held = older;
    }
    worker->credits = s_credits_cap ((uint64_t)worker->credits + requeued);
}

//  Forget a worker and requeue what it held, each as a failed attempt.
static void
s_worker_drop (scheduler_t *self, s_worker_t *worker, const char *why,
               scheduler_failed_fn *failed, void *arg)
{
    //  Out of the rotation first, so that nothing is dispatched to it from
    //  a callback.
    zlistx_delete (self->worker_list, worker->handle);
    worker->handle = NULL;
    self->dead_workers++;
    size_t requeued = 0;
    //  Only the oldest chunk it held can have been rendering (a worker
    //  takes its chunks in order): it counts as a failed attempt, so a
    //  chunk that kills every worker fails its job; those that waited
    //  behind it go again without counting one. Newest first, as each
    //  goes to the front of its queue: they go out again in their order.
    s_held_t *oldest = (s_held_t *)zlistx_first (worker->held);
    for (s_held_t *held = (s_held_t *)zlistx_last (worker->held); held;
         held = (s_held_t *)zlistx_prev (worker->held)) {
        s_job_t *job = s_held_job (self, held);
        if (!job)
            continue;
        requeued++;
        if (held != oldest) {
            job->chunks[held->chunk_nbr].uncounted++;
            s_requeue (self, job, held->chunk_nbr);
            continue;
        }
        char reason[SCHEDULER_ERROR_MAX];
        snprintf (reason, sizeof reason, "worker %s %s while it held the chunk",
                  worker->name, why);
        s_retry_or_fail (self, job, held->chunk_nbr, reason, failed, arg);
    }
    if (requeued)
        log_warning ("worker=%s %s; %zu chunks it held dispatched again",
                     worker->name, why, requeued);
    else
        log_info ("worker=%s %s", worker->name, why);
    char key[S_WORKER_KEY_MAX];
    char *hex = zframe_strhex (worker->routing_id);
    snprintf (key, sizeof key, "%s", hex);
    zstr_free (&hex);
    zhashx_delete (self->workers, key);
}

void
scheduler_worker_left (scheduler_t *self, zframe_t *worker_id,
                       uint32_t finished)
{
    assert (self);
    char key[S_WORKER_KEY_MAX];
    s_worker_t *worker = s_worker_lookup (self, worker_id, key);
    if (!worker)
        return;
    //  The oldest chunks held are those it finished; the rest never
    //  reached its render thread, so they go again without counting an
    //  attempt.
    for (uint32_t given_back = 0;
         given_back < finished && zlistx_first (worker->held); given_back++)
        zlistx_delete (worker->held, zlistx_cursor (worker->held));
    size_t requeued = 0;
    //  Newest first, as each goes to the front of its queue.
    for (s_held_t *held = (s_held_t *)zlistx_last (worker->held); held;
         held = (s_held_t *)zlistx_prev (worker->held)) {
        s_job_t *job = s_held_job (self, held);
        if (job) {
            job->chunks[held->chunk_nbr].uncounted++;
            s_requeue (self, job, held->chunk_nbr);
            requeued++;
        }
    }
    if (requeued)
        log_info ("worker=%s left; %zu chunks it had not started dispatched "
                  "again",
                  worker->name, requeued);
    else
        log_info ("worker=%s left", worker->name);
    zlistx_delete (self->worker_list, worker->handle);
    zhashx_delete (self->workers, key);
}

void
scheduler_worker_gone (scheduler_t *self, zframe_t *worker_id, const char *why,
                       scheduler_failed_fn *failed, void *arg)
{
    assert (self);
    assert (why);
    char key[S_WORKER_KEY_MAX];
    s_worker_t *worker = s_worker_lookup (self, worker_id, key);
    if (worker)
        s_worker_drop (self, worker, why, failed, arg);
}

size_t
scheduler_workers (scheduler_t *self)
{
    assert (self);
    return zhashx_size (self->workers);
}

//  The entries (s_held_t) that name a current attempt in flight.
static size_t
s_current (scheduler_t *self, zlistx_t *entries)
{
    size_t current = 0;
    for (s_held_t *entry = (s_held_t *)zlistx_first (entries); entry;
         entry = (s_held_t *)zlistx_next (entries))
        if (s_held_job (self, entry))
            current++;
    return current;
}

//  Current chunks held by worker.
static size_t
s_worker_holding (scheduler_t *self, s_worker_t *worker)
{
    return s_current (self, worker->held);
}

//  Chunks rendered by worker whose results the sink has not stored yet.
static size_t
s_worker_unstored (scheduler_t *self, s_worker_t *worker)
{
    return s_current (self, worker->unstored);
}


size_t
scheduler_unstored_by_name (scheduler_t *self, const char *name)
{
    assert (self);
    assert (name);
    size_t length = strlen (name);
    for (s_worker_t *worker = (s_worker_t *)zlistx_first (self->worker_list);
         worker; worker = (s_worker_t *)zlistx_next (self->worker_list))
        if (zframe_size (worker->routing_id) > length &&
            memcmp (zframe_data (worker->routing_id), name, length) == 0 &&
            zframe_data (worker->routing_id)[length] == '-')
            return s_worker_holding (self, worker) +
                   s_worker_unstored (self, worker);
    return 0;
}

size_t
scheduler_worker_holding (scheduler_t *self, zframe_t *worker_id)
{
    assert (self);
    char key[S_WORKER_KEY_MAX];
    s_worker_t *worker = s_worker_lookup (self, worker_id, key);
    return worker ? s_worker_holding (self, worker) : 0;
}

int
scheduler_next (scheduler_t *self, int64_t now, scheduler_dispatch_t *dispatch)
{
    assert (self);
    assert (dispatch);
    s_worker_t *worker = (s_worker_t *)zlistx_first (self->worker_list);
    while (worker && worker->credits == 0)
        worker = (s_worker_t *)zlistx_next (self->worker_list);
    if (!worker)
        return 0;
    s_job_t *job = NULL;
    uint64_t lowest = UINT64_MAX;
    for (s_job_t *candidate = (s_job_t *)zlistx_first (self->rotation);
         candidate; candidate = (s_job_t *)zlistx_next (self->rotation)) {
        if (candidate->queue_size == 0)
            continue;
        if (candidate->pass < self->vtime)
            candidate->pass = self->vtime;
        if (candidate->pass < lowest) {
            lowest = candidate->pass;
            job = candidate;
        }
    }
    if (!job)
        return 0;
    self->vtime = job->pass;
    job->pass += S_STRIDE / job->weight;

    uint32_t chunk_nbr = s_queue_pop_front (job);
    s_chunk_t *chunk = &job->chunks[chunk_nbr];
    uint32_t first_page, page_count;
    int rc = chunkplan_range (job->pages, job->chunk_pages, chunk_nbr,
                              &first_page, &page_count);
    assert (rc == 0);
    chunk->state = S_INFLIGHT;
    chunk->attempt++;
    if (chunk->attempt > 1)
        self->retries++;
    if (chunk->attempt == 2) {
        if (!job->retried)
            job->retried =
                (uint32_t *)zmalloc (job->chunk_count * sizeof (uint32_t));
        job->retried[job->retried_count++] = chunk_nbr;
    }
    chunk->dispatched_at = now;
    chunk->deadline = now + self->config.deadline_base_ms +
                      self->config.deadline_per_page_ms * page_count;
    s_inflight_t *inflight = (s_inflight_t *)zmalloc (sizeof (s_inflight_t));
    inflight->job = job;
    inflight->chunk_nbr = chunk_nbr;
    chunk->inflight_handle = zlistx_add_end (self->inflight, inflight);

    snprintf (dispatch->job_id, sizeof dispatch->job_id, "%s", job->id);
    dispatch->chunk_nbr = chunk_nbr;
    dispatch->attempt = chunk->attempt;
    dispatch->first_page = first_page;
    dispatch->page_count = page_count;
    dispatch->total_pages = job->pages;
    dispatch->chunk_count = job->chunk_count;
    dispatch->first_of_job = !job->dispatched;
    dispatch->digest = job->digest;
    dispatch->with_template = !s_template_use (worker, &job->digest);
    dispatch->worker = zframe_dup (worker->routing_id);
    job->dispatched = true;

    s_held_t *held = (s_held_t *)zmalloc (sizeof (s_held_t));
    snprintf (held->job_id, sizeof held->job_id, "%s", job->id);
    held->chunk_nbr = chunk_nbr;
    held->attempt = chunk->attempt;
    held->dispatched_at = now;
    held->page_count = page_count;
    held->with_template = dispatch->with_template;
    zlistx_add_end (worker->held, held);

    worker->credits--;
    zlistx_move_end (self->worker_list, worker->handle);
    zlistx_move_end (self->rotation, job->rotation_handle);
    return 1;
}

int64_t
scheduler_chunk_dispatched_at (scheduler_t *self, const char *job_id,
                               uint32_t chunk_nbr)
{
    assert (self);
    s_job_t *job = (s_job_t *)zhashx_lookup (self->jobs, job_id);
    if (!job || chunk_nbr >= job->chunk_count ||
        job->chunks[chunk_nbr].state != S_INFLIGHT)
        return -1;
    return job->chunks[chunk_nbr].dispatched_at;
}

void
scheduler_visit (scheduler_t *self, const scheduler_visitor_t *visitor,
                 void *arg)
{
    assert (self);
    assert (visitor);
    for (s_worker_t *worker = (s_worker_t *)zlistx_first (self->worker_list);
         worker; worker = (s_worker_t *)zlistx_next (self->worker_list)) {
        size_t holding = 0;
        for (s_held_t *held = (s_held_t *)zlistx_first (worker->held); held;
             held = (s_held_t *)zlistx_next (worker->held)) {
            if (!s_held_job (self, held))
                continue;
            holding++;
            if (visitor->rendering)
                visitor->rendering (held->job_id, held->chunk_nbr, worker->name,
                                    held->dispatched_at, arg);
        }
        if (visitor->worker) {
            scheduler_worker_view_t view = {
                .name = worker->name,
                .holding = holding,
                .chunks_done = worker->chunks_done,
                .pages_done = worker->pages_done,
                .busy_ms = worker->busy_ms,
                .last_seen = worker->last_seen,
            };
            visitor->worker (&view, arg);
        }
    }
    if (!visitor->retried)
        return;
    for (s_job_t *job = (s_job_t *)zhashx_first (self->jobs); job;
         job = (s_job_t *)zhashx_next (self->jobs))
        for (uint32_t index = 0; index < job->retried_count; index++) {
            uint32_t chunk_nbr = job->retried[index];
            visitor->retried (job->id, chunk_nbr,
                              job->chunks[chunk_nbr].attempt, arg);
        }
}

void
scheduler_figures (scheduler_t *self, scheduler_figures_t *figures)
{
    assert (self);
    assert (figures);
    memset (figures, 0, sizeof (*figures));
    figures->workers = zhashx_size (self->workers);
    uint64_t awaited = 0; // workers with a chunk held or not yet stored
    for (s_worker_t *worker = (s_worker_t *)zhashx_first (self->workers);
         worker; worker = (s_worker_t *)zhashx_next (self->workers)) {
        bool holding = s_worker_holding (self, worker) > 0;
        figures->workers_busy += holding;
        awaited += holding || s_worker_unstored (self, worker) > 0;
    }
    for (s_job_t *job = (s_job_t *)zhashx_first (self->jobs); job;
         job = (s_job_t *)zhashx_next (self->jobs)) {
        uint32_t left = job->chunk_count - job->stored_count;
        uint64_t pages = (uint64_t)left * job->chunk_pages;
        //  The last chunk may be short.
        uint64_t short_by =
            (uint64_t)job->chunk_count * job->chunk_pages - job->pages;
        if (left > 0 && job->chunks[job->chunk_count - 1].state != S_STORED)
            pages -= short_by;
        figures->backlog_chunks += left;
        figures->backlog_pages += pages;
    }
    figures->workers_wanted = (uint64_t)scheduler_pending (self) + awaited;
    figures->retries = self->retries;
    figures->dead_workers = self->dead_workers;
}

int
scheduler_chunk_stored (scheduler_t *self, const char *job_id,
                        uint32_t chunk_nbr)
{
    assert (self);
    s_job_t *job = (s_job_t *)zhashx_lookup (self->jobs, job_id);
    if (!job || chunk_nbr >= job->chunk_count)
        return -1;
    s_chunk_t *chunk = &job->chunks[chunk_nbr];
    if (chunk->state != S_STORED) {
        if (chunk->state == S_PENDING) {
            //  Stored by an earlier attempt while a retry waits: drop the
            //  retry from the queue.
            uint32_t kept = 0;
            for (uint32_t index = 0; index < job->queue_size; index++) {
                uint32_t queued =
                    job->queue[(job->queue_head + index) % job->chunk_count];
                if (queued != chunk_nbr)
                    job->queue[(job->queue_head + kept++) % job->chunk_count] =
                        queued;
            }
            job->queue_size = kept;
        }
        s_inflight_forget (self, chunk);
        chunk->state = S_STORED;
        job->stored_count++;
    }
    return job->stored_count == job->chunk_count ? 1 : 0;
}

//  Back to the front of its job's queue, for the next attempt.
static void
s_requeue (scheduler_t *self, s_job_t *job, uint32_t chunk_nbr)
{
    s_chunk_t *chunk = &job->chunks[chunk_nbr];
    s_inflight_forget (self, chunk);
    chunk->state = S_PENDING;
    s_queue_push_front (job, chunk_nbr);
}

//  Requeue a chunk after a failed or late attempt, or fail its job.
//  Returns true when the job was failed (and removed).
static bool
s_retry_or_fail (scheduler_t *self, s_job_t *job, uint32_t chunk_nbr,
                 const char *why, scheduler_failed_fn *failed, void *arg)
{
    s_chunk_t *chunk = &job->chunks[chunk_nbr];
    s_inflight_forget (self, chunk);
    uint32_t first_page, page_count;
    chunkplan_range (job->pages, job->chunk_pages, chunk_nbr, &first_page,
                     &page_count);
    uint32_t counted = chunk->attempt - chunk->uncounted;
    if (counted >= self->config.max_attempts) {
        char reason[SCHEDULER_ERROR_MAX];
        snprintf (reason, sizeof reason,
                  "chunk %u (pages %u-%u) failed %u times; last attempt: %s",
                  chunk_nbr, first_page, first_page + page_count - 1, counted,
                  why);
        char job_id[sizeof job->id];
        memcpy (job_id, job->id, sizeof job_id);
        scheduler_remove_job (self, job_id);
        if (failed)
            failed (job_id, reason, arg);
        return true;
    }
    log_warning ("job=%s chunk=%u attempt %u failed (%s); retrying", job->id,
                 chunk_nbr, chunk->attempt, why);
    s_requeue (self, job, chunk_nbr);
    return false;
}

void
scheduler_chunk_failed (scheduler_t *self, const char *job_id,
                        uint32_t chunk_nbr, uint32_t attempt, const char *error,
                        scheduler_failed_fn *failed, void *arg)
{
    assert (self);
    s_job_t *job = (s_job_t *)zhashx_lookup (self->jobs, job_id);
    if (!job || chunk_nbr >= job->chunk_count)
        return;
    s_chunk_t *chunk = &job->chunks[chunk_nbr];
    if (chunk->state != S_INFLIGHT || chunk->attempt != attempt)
        return;
    s_retry_or_fail (self, job, chunk_nbr, error, failed, arg);
}

int
scheduler_template_miss (scheduler_t *self, zframe_t *worker_id,
                         const char *job_id, uint32_t chunk_nbr,
                         uint32_t attempt, const tpldigest_t *digest,
                         scheduler_failed_fn *failed, void *arg)
{
    assert (self);
    assert (worker_id);
    assert (job_id);
    assert (digest);
    char key[S_WORKER_KEY_MAX];
    s_worker_t *worker = s_worker_lookup (self, worker_id, key);
    s_job_t *job = (s_job_t *)zhashx_lookup (self->jobs, job_id);
    if (!worker || !job || chunk_nbr >= job->chunk_count ||
        !tpldigest_equal (digest, &job->digest))
        return -1;
    s_held_t *held = (s_held_t *)zlistx_first (worker->held);
    while (held && (held->chunk_nbr != chunk_nbr ||
                    held->attempt != attempt || strcmp (held->job_id, job_id)))
        held = (s_held_t *)zlistx_next (worker->held);
    if (!held || s_held_job (self, held) != job)
        return -1;
    s_template_forget (worker, digest);
    if (held->with_template) {
        char reason[SCHEDULER_ERROR_MAX];
        snprintf (reason, sizeof reason,
                  "worker %s asked for the template its chunk carried",
                  worker->name);
        s_retry_or_fail (self, job, chunk_nbr, reason, failed, arg);
        return 0;
    }
    log_info ("job=%s chunk=%u attempt=%u: worker=%s lacks the template; "
              "sending the chunk again with it",
              job->id, chunk_nbr, attempt, worker->name);
    job->chunks[chunk_nbr].uncounted++;
    s_requeue (self, job, chunk_nbr);
    return 0;
}

void
scheduler_expire (scheduler_t *self, int64_t now, scheduler_failed_fn *failed,
                  void *arg)
{
    assert (self);
    //  Dead workers first: their chunks go back without waiting for the
    //  deadline.
    s_worker_t *worker = (s_worker_t *)zlistx_first (self->worker_list);
    while (worker) {
        if (now - worker->last_seen > self->config.worker_expiry_ms) {
            char why[128];
            snprintf (why, sizeof why,
                      "went silent (no message for %" PRId64 " ms)",
                      now - worker->last_seen);
            s_worker_drop (self, worker, why, failed, arg);
            worker = (s_worker_t *)zlistx_first (self->worker_list);
        } else
            worker = (s_worker_t *)zlistx_next (self->worker_list);
    }
    //  Failing a job removes its entries from the list we walk, so restart
    //  the walk after each change; the list is short (chunks in flight).
    bool changed = true;
    while (changed) {
        changed = false;
        s_inflight_t *inflight = (s_inflight_t *)zlistx_first (self->inflight);
        while (inflight) {
            s_job_t *job = inflight->job;
            uint32_t chunk_nbr = inflight->chunk_nbr;
            if (job->chunks[chunk_nbr].deadline <= now) {
                uint32_t first_page, page_count;
                chunkplan_range (job->pages, job->chunk_pages, chunk_nbr,
                                 &first_page, &page_count);
                char why[128];
                snprintf (why, sizeof why,
                          "no result within the deadline of %" PRId64 " ms",
                          self->config.deadline_base_ms +
                              self->config.deadline_per_page_ms * page_count);
                s_retry_or_fail (self, job, chunk_nbr, why, failed, arg);
                changed = true;
                break;
            }
            inflight = (s_inflight_t *)zlistx_next (self->inflight);
        }
    }
}

zlist_t *
scheduler_query_due (scheduler_t *self, int64_t now)
{
    assert (self);
    zlist_t *due = zlist_new ();
    zlist_autofree (due);
    for (s_job_t *job = (s_job_t *)zlistx_first (self->rotation); job;
         job = (s_job_t *)zlistx_next (self->rotation)) {
        if (job->stored_count < job->chunk_count)
            continue;
        if (job->query_at == 0)
            job->query_at = now + self->config.query_interval_ms;
        else if (now >= job->query_at) {
            zlist_append (due, job->id);
            job->query_at = now + self->config.query_interval_ms;
        }
    }
    return due;
}
