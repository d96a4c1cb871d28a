/*  jobwatch - status requests waiting for their job to change.

    Owns the waiters of GET /v1/jobs/{id}?wait_s=N: each an HTTP connection
    of the API thread, suspended until the job it watches changes, its
    deadline passes or the API stops. The main loop owns the job store and
    the lifecycle, so it is the one that knows when a job changed: it calls
    jobwatch_changed (which resumes that job's waiters) after writing the
    change to the store, and jobwatch_expire on its tick (which resumes the
    waiters whose deadline has passed). The API thread never asks the loop
    anything: once resumed, a request reads the store again itself.

    No change is lost between the API thread's read of the store and its
    suspend: a waiter is added (or re-armed) before that read, a change
    meanwhile marks it woken, and jobwatch_suspend then refuses, so the
    request reads again instead of sleeping.

    At most waiters_max waiters at once (jobwatch_add refuses beyond, for
    a 503): each holds a connection and a few bytes here.

    Threading: one mutex. jobwatch_add, _arm, _suspend and _remove are for
    the API thread; jobwatch_changed and _expire for the main loop;
    jobwatch_stop for whoever stops the API, before it stops serving. The
    resume callback runs under the mutex, as intake's does, so a resume
    never comes before its suspend.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_JOBWATCH_H
#define PDFPIPE_JOBWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Waiters at once, by default (the ventilator's --http-waiters).
#define JOBWATCH_WAITERS_DEFAULT 128

typedef struct _jobwatch_t jobwatch_t;
typedef struct _jobwatch_waiter_t jobwatch_waiter_t;

//  Suspends or resumes a waiter's connection.
typedef void (jobwatch_wake_fn) (void *arg);

//  No waiter yet; waiters_max 0 means JOBWATCH_WAITERS_DEFAULT. Caller
//  owns the result.
jobwatch_t *
jobwatch_new (size_t waiters_max);

//  Free the watch. Every waiter must have been removed.
void
jobwatch_destroy (jobwatch_t **self_p);

//  A new waiter, armed, for the job job_id (copied) until deadline (ms,
//  zclock_mono ()); resume (arg) is called when it is woken while
//  suspended. Returns NULL when waiters_max are waiting, or the watch is
//  stopped.
jobwatch_waiter_t *
jobwatch_add (jobwatch_t *self, const char *job_id, int64_t deadline,
              jobwatch_wake_fn *resume, void *arg);

//  Forget any wake-up so far: call before reading the job's status again.
void
jobwatch_arm (jobwatch_waiter_t *waiter);

//  Call suspend (arg) and return true when the waiter has not been woken
//  since it was armed (resume then comes exactly once, later); return
//  false when it has been, or the watch is stopping (read again, or
//  answer).
bool
jobwatch_suspend (jobwatch_waiter_t *waiter, jobwatch_wake_fn *suspend);

//  True once the watch is stopping: answer at once.
bool
jobwatch_stopping (jobwatch_waiter_t *waiter);

//  True when the waiter's deadline is at or before now (ms, zclock_mono).
bool
jobwatch_expired (jobwatch_waiter_t *waiter, int64_t now);

//  The waiter is answered or its client gone. Sets *waiter_p to NULL.
void
jobwatch_remove (jobwatch_waiter_t **waiter_p);

//  The job job_id changed (its state, its progress or its result, already
//  in the store): wake its waiters.
void
jobwatch_changed (jobwatch_t *self, const char *job_id);

//  Wake the waiters whose deadline is at or before now (ms, zclock_mono).
void
jobwatch_expire (jobwatch_t *self, int64_t now);

//  Wake every waiter, and refuse new ones from now on.
void
jobwatch_stop (jobwatch_t *self);

//  Waiters now.
size_t
jobwatch_size (jobwatch_t *self);

#endif
