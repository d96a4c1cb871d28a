/*  jobwatch - status requests waiting for their job to change.

    The waiters are a doubly linked list under the mutex: few (at most
    waiters_max), so a change walks them all.

    SPDX-License-Identifier: MPL-2.0
*/
#include "jobwatch.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

struct _jobwatch_waiter_t {
    jobwatch_t *watch;
    char job_id[PROTO_JOB_ID_MAX + 1];
    int64_t deadline; // ms, zclock_mono ()
    jobwatch_wake_fn *resume;
    void *arg;
    //  Under the watch's mutex:
    bool woken;     // since it was last armed
    bool suspended; // resume is owed
    jobwatch_waiter_t *prev, *next;
};

struct _jobwatch_t {
    pthread_mutex_t mutex;
    size_t waiters_max;
    size_t size;              // under mutex
    bool stopping;            // under mutex
    jobwatch_waiter_t *first; // under mutex
};

jobwatch_t *
jobwatch_new (size_t waiters_max)
{
    jobwatch_t *self = (jobwatch_t *)calloc (1, sizeof (jobwatch_t));
    assert (self);
    pthread_mutex_init (&self->mutex, NULL);
    self->waiters_max = waiters_max ? waiters_max : JOBWATCH_WAITERS_DEFAULT;
    return self;
}

void
jobwatch_destroy (jobwatch_t **self_p)
{
    assert (self_p);
    jobwatch_t *self = *self_p;
    if (!self)
        return;
    assert (!self->first);
    pthread_mutex_destroy (&self->mutex);
    free (self);
    *self_p = NULL;
}

//  Wake waiter: resume it if it sleeps. Called under the mutex.
static void
s_wake (jobwatch_waiter_t *waiter)
{
    waiter->woken = true;
    if (waiter->suspended) {
        waiter->suspended = false;
        waiter->resume (waiter->arg);
    }
}

jobwatch_waiter_t *
jobwatch_add (jobwatch_t *self, const char *job_id, int64_t deadline,
              jobwatch_wake_fn *resume, void *arg)
{
    assert (self);
    assert (job_id);
    assert (resume);
    if (strlen (job_id) > PROTO_JOB_ID_MAX)
        return NULL;
    pthread_mutex_lock (&self->mutex);
    jobwatch_waiter_t *waiter = NULL;
    if (!self->stopping && self->size < self->waiters_max) {
        waiter = (jobwatch_waiter_t *)calloc (1, sizeof (jobwatch_waiter_t));
        assert (waiter);
        waiter->watch = self;
        strcpy (waiter->job_id, job_id);
        waiter->deadline = deadline;
        waiter->resume = resume;
        waiter->arg = arg;
        waiter->next = self->first;
        if (self->first)
            self->first->prev = waiter;
        self->first = waiter;
        self->size++;
    }
    pthread_mutex_unlock (&self->mutex);
    return waiter;
}

void
jobwatch_arm (jobwatch_waiter_t *waiter)
{
    assert (waiter);
    pthread_mutex_lock (&waiter->watch->mutex);
    waiter->woken = false;
    pthread_mutex_unlock (&waiter->watch->mutex);
}

bool
jobwatch_suspend (jobwatch_waiter_t *waiter, jobwatch_wake_fn *suspend)
{
    assert (waiter);
    assert (suspend);
    jobwatch_t *self = waiter->watch;
    pthread_mutex_lock (&self->mutex);
    bool suspended = !waiter->woken && !self->stopping;
    if (suspended) {
        waiter->suspended = true;
        suspend (waiter->arg);
    }
    pthread_mutex_unlock (&self->mutex);
    return suspended;
}

bool
jobwatch_stopping (jobwatch_waiter_t *waiter)
{
    assert (waiter);
    pthread_mutex_lock (&waiter->watch->mutex);
    bool stopping = waiter->watch->stopping;
    pthread_mutex_unlock (&waiter->watch->mutex);
    return stopping;
}

bool
jobwatch_expired (jobwatch_waiter_t *waiter, int64_t now)
{
    assert (waiter);
    return waiter->deadline <= now;
}

void
jobwatch_remove (jobwatch_waiter_t **waiter_p)
{
    assert (waiter_p);
    jobwatch_waiter_t *waiter = *waiter_p;
    if (!waiter)
        return;
    jobwatch_t *self = waiter->watch;
    pthread_mutex_lock (&self->mutex);
    //  A suspended connection is never completed, so never removed.
    assert (!waiter->suspended);
    if (waiter->prev)
        waiter->prev->next = waiter->next;
    else
        self->first = waiter->next;
    if (waiter->next)
        waiter->next->prev = waiter->prev;
    self->size--;
    pthread_mutex_unlock (&self->mutex);
    free (waiter);
    *waiter_p = NULL;
}

void
jobwatch_changed (jobwatch_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    pthread_mutex_lock (&self->mutex);
    for (jobwatch_waiter_t *waiter = self->first; waiter; waiter = waiter->next)
        if (strcmp (waiter->job_id, job_id) == 0)
            s_wake (waiter);
    pthread_mutex_unlock (&self->mutex);
}

void
jobwatch_expire (jobwatch_t *self, int64_t now)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    for (jobwatch_waiter_t *waiter = self->first; waiter; waiter = waiter->next)
        if (waiter->deadline <= now)
            s_wake (waiter);
    pthread_mutex_unlock (&self->mutex);
}

void
jobwatch_stop (jobwatch_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    self->stopping = true;
    for (jobwatch_waiter_t *waiter = self->first; waiter; waiter = waiter->next)
        s_wake (waiter);
    pthread_mutex_unlock (&self->mutex);
}

size_t
jobwatch_size (jobwatch_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    size_t size = self->size;
    pthread_mutex_unlock (&self->mutex);
    return size;
}
