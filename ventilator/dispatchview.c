/*  dispatchview - what dispatch looks like now, for the HTTP thread.

    A copy is three arrays: chunks in flight in the order scheduler_visit
    gives them (worker by worker), retried chunks and workers; each worker
    knows where its chunks start in the first array.

    SPDX-License-Identifier: MPL-2.0
*/
#include "dispatchview.h"

#include <assert.h>
#include <czmq.h>
#include <pthread.h>

typedef struct {
    char job_id[PROTO_JOB_ID_MAX + 1];
    uint32_t chunk_nbr;
    uint32_t attempts;
} s_retry_t;

typedef struct {
    dispatchview_worker_t worker;
    size_t first_chunk; // its chunks in the copy's chunks array
} s_worker_t;

typedef struct {
    dispatchview_chunk_t *chunks;
    size_t chunk_count, chunk_space;
    s_retry_t *retries;
    size_t retry_count, retry_space;
    s_worker_t *workers;
    size_t worker_count, worker_space;
    int64_t desired;
    const char *scaler;
    int64_t now_mono, now_wall; // when it was made
} s_copy_t;

struct _dispatchview_t {
    pthread_mutex_t mutex;
    s_copy_t *copy; // the latest; under mutex
};

static void
s_copy_destroy (s_copy_t **copy_p)
{
    s_copy_t *copy = *copy_p;
    if (!copy)
        return;
    free (copy->chunks);
    free (copy->retries);
    free (copy->workers);
    free (copy);
    *copy_p = NULL;
}

//  Room for one more item of size bytes in *items (count used of
//  *space); grows by doubling. Asserts on memory: the copies are small.
static void *
s_grow (void **items, size_t count, size_t *space, size_t size)
{
    if (count == *space) {
        *space = *space ? *space * 2 : 16;
        *items = realloc (*items, *space * size);
        assert (*items);
    }
    return (char *)*items + count * size;
}

static int64_t
s_wall (const s_copy_t *copy, int64_t mono)
{
    return copy->now_wall - (copy->now_mono - mono);
}

static void
s_on_rendering (const char *job_id, uint32_t chunk_nbr, const char *worker,
                int64_t dispatched_at, void *arg)
{
    s_copy_t *copy = (s_copy_t *)arg;
    dispatchview_chunk_t *chunk = (dispatchview_chunk_t *)s_grow (
        (void **)&copy->chunks, copy->chunk_count, &copy->chunk_space,
        sizeof (dispatchview_chunk_t));
    copy->chunk_count++;
    snprintf (chunk->job_id, sizeof chunk->job_id, "%s", job_id);
    chunk->chunk_nbr = chunk_nbr;
    snprintf (chunk->worker, sizeof chunk->worker, "%s", worker);
    chunk->since = s_wall (copy, dispatched_at);
}

static void
s_on_retried (const char *job_id, uint32_t chunk_nbr, uint32_t attempts,
              void *arg)
{
    s_copy_t *copy = (s_copy_t *)arg;
    s_retry_t *retry =
        (s_retry_t *)s_grow ((void **)&copy->retries, copy->retry_count,
                             &copy->retry_space, sizeof (s_retry_t));
    copy->retry_count++;
    snprintf (retry->job_id, sizeof retry->job_id, "%s", job_id);
    retry->chunk_nbr = chunk_nbr;
    retry->attempts = attempts;
}

//  Called after the worker's chunks: they are the last view->holding
//  entries of the chunks array.
static void
s_on_worker (const scheduler_worker_view_t *view, void *arg)
{
    s_copy_t *copy = (s_copy_t *)arg;
    s_worker_t *entry =
        (s_worker_t *)s_grow ((void **)&copy->workers, copy->worker_count,
                              &copy->worker_space, sizeof (s_worker_t));
    copy->worker_count++;
    memset (entry, 0, sizeof *entry);
    assert (view->holding <= copy->chunk_count);
    entry->first_chunk = copy->chunk_count - view->holding;
    dispatchview_worker_t *worker = &entry->worker;
    snprintf (worker->name, sizeof worker->name, "%s", view->name);
    worker->holding = view->holding;
    worker->chunks_done = view->chunks_done;
    worker->pages_per_s = view->busy_ms > 0 ? (double)view->pages_done *
                                                  1000.0 / (double)view->busy_ms
                                            : -1;
    worker->last_seen = s_wall (copy, view->last_seen);
}

dispatchview_t *
dispatchview_new (void)
{
    dispatchview_t *self = (dispatchview_t *)zmalloc (sizeof (dispatchview_t));
    assert (self);
    pthread_mutex_init (&self->mutex, NULL);
    return self;
}

void
dispatchview_destroy (dispatchview_t **self_p)
{
    assert (self_p);
    dispatchview_t *self = *self_p;
    if (!self)
        return;
    s_copy_destroy (&self->copy);
    pthread_mutex_destroy (&self->mutex);
    free (self);
    *self_p = NULL;
}

void
dispatchview_publish (dispatchview_t *self, scheduler_t *scheduler,
                      int64_t now_mono, int64_t now_wall, int64_t desired,
                      const char *scaler)
{
    assert (self);
    assert (scheduler);
    s_copy_t *copy = (s_copy_t *)zmalloc (sizeof (s_copy_t));
    assert (copy);
    copy->now_mono = now_mono;
    copy->now_wall = now_wall;
    copy->desired = desired;
    copy->scaler = scaler;
    scheduler_visitor_t visitor = {s_on_rendering, s_on_retried, s_on_worker};
    scheduler_visit (scheduler, &visitor, copy);
    pthread_mutex_lock (&self->mutex);
    s_copy_t *old = self->copy;
    self->copy = copy;
    pthread_mutex_unlock (&self->mutex);
    s_copy_destroy (&old);
}

void
dispatchview_read_job (dispatchview_t *self, const char *job_id,
                       dispatchview_chunk_fn *rendering,
                       dispatchview_retry_fn *retried, void *arg)
{
    assert (self);
    assert (job_id);
    pthread_mutex_lock (&self->mutex);
    const s_copy_t *copy = self->copy;
    for (size_t index = 0; copy && rendering && index < copy->chunk_count;
         index++)
        if (streq (copy->chunks[index].job_id, job_id))
            rendering (&copy->chunks[index], arg);
    for (size_t index = 0; copy && retried && index < copy->retry_count;
         index++)
        if (streq (copy->retries[index].job_id, job_id))
            retried (copy->retries[index].chunk_nbr,
                     copy->retries[index].attempts, arg);
    pthread_mutex_unlock (&self->mutex);
}

void
dispatchview_read_workers (dispatchview_t *self, dispatchview_worker_fn *worker,
                           dispatchview_chunk_fn *chunk, void *arg,
                           int64_t *desired_p, const char **scaler_p)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    const s_copy_t *copy = self->copy;
    for (size_t index = 0; copy && index < copy->worker_count; index++) {
        const s_worker_t *entry = &copy->workers[index];
        if (worker)
            worker (&entry->worker, arg);
        for (size_t held = 0; chunk && held < entry->worker.holding; held++)
            chunk (&copy->chunks[entry->first_chunk + held], arg);
    }
    if (desired_p)
        *desired_p = copy ? copy->desired : -1;
    if (scaler_p)
        *scaler_p = copy && copy->scaler ? copy->scaler : "none";
    pthread_mutex_unlock (&self->mutex);
}
