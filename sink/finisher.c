/*  finisher - merging and storing complete jobs, one at a time, off the
    main loop.

    The first half of this file runs on the finisher thread and owns its
    spool_t and store_t (handed over by finisher_new); the second half runs
    on the main thread and owns the queue. They share nothing but the pipe.

    SPDX-License-Identifier: MPL-2.0
*/
#include "finisher.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "merge.h"
#include "spool.h"
#include "store.h"

#define S_REASON_MAX (MERGE_ERROR_MAX + STORE_ERROR_MAX)

//  ---------------------------------------------------------------------
//  The finisher thread

typedef struct {
    spool_t *spool;
    store_t *store;
} s_thread_t;

static char *
s_result_key (const char *job_id)
{
    return zsys_sprintf ("%s.pdf", job_id);
}

//  Merge a job's chunks into a scratch file in its spool directory. Returns
//  -1 and fills reason.
static int
s_merge_job (s_thread_t *self, const char *job_id, const char *scratch,
             char *reason)
{
    int rc = -1;
    char **paths = NULL;
    assembly_t *job = spool_load (self->spool, job_id);
    if (!job || !assembly_complete (job)) {
        snprintf (reason, S_REASON_MAX, "the spool holds %u of %u chunks",
                  job ? assembly_present (job) : 0,
                  job ? assembly_chunk_count (job) : 0);
        goto cleanup;
    }
    uint32_t chunk_count = assembly_chunk_count (job);
    paths = calloc (chunk_count, sizeof (char *));
    if (!paths) {
        snprintf (reason, S_REASON_MAX, "out of memory");
        goto cleanup;
    }
    for (uint32_t chunk_nbr = 0; chunk_nbr < chunk_count; chunk_nbr++) {
        paths[chunk_nbr] = spool_chunk_path (self->spool, job, chunk_nbr);
        if (!paths[chunk_nbr]) {
            snprintf (reason, S_REASON_MAX, "out of memory");
            goto cleanup;
        }
    }
    log_info ("job=%s merging %u chunks, %u pages", job_id, chunk_count,
              assembly_total_pages (job));
    char error[MERGE_ERROR_MAX];
    if (merge_files ((const char *const *)paths, chunk_count,
                     assembly_total_pages (job), scratch, MERGE_SHARED,
                     error) == -1) {
        snprintf (reason, S_REASON_MAX, "merge failed: %s", error);
        goto cleanup;
    }
    rc = 0;

cleanup:
    for (uint32_t chunk_nbr = 0;
         paths && chunk_nbr < assembly_chunk_count (job); chunk_nbr++)
        zstr_free (&paths[chunk_nbr]);
    free (paths);
    assembly_destroy (&job);
    return rc;
}

static void
s_finish (s_thread_t *self, zsock_t *pipe, const char *job_id)
{
    int64_t started = zclock_mono ();
    char reason[S_REASON_MAX] = "";
    char error[STORE_ERROR_MAX];
    char *location = NULL;
    uint64_t bytes = 0;
    char *key = s_result_key (job_id);
    char *scratch = spool_scratch_path (self->spool, job_id);
    if (!key || !scratch) {
        snprintf (reason, sizeof (reason), "out of memory");
        goto failed;
    }
    zstr_sendx (pipe, "STATE", job_id, "merging", NULL);
    if (s_merge_job (self, job_id, scratch, reason) == -1)
        goto failed;
    int64_t merged = zclock_mono ();
    zstr_sendx (pipe, "STATE", job_id, "storing", NULL);
    if (store_put_file (self->store, key, scratch, &location, &bytes, error) ==
        -1) {
        snprintf (reason, sizeof (reason), "storing failed: %s", error);
        goto failed;
    }
    log_info ("job=%s done: %" PRIu64 " bytes at %s (merge %" PRId64
              " ms, store %" PRId64 " ms)",
              job_id, bytes, location, merged - started,
              zclock_mono () - merged);
    char *outcome = zsys_sprintf ("done %" PRIu64 " %s", bytes, location);
    if (outcome)
        spool_finish (self->spool, job_id, outcome);
    zstr_free (&outcome);
    char bytes_text[24];
    snprintf (bytes_text, sizeof (bytes_text), "%" PRIu64, bytes);
    zstr_sendx (pipe, "DONE", job_id, bytes_text, location, NULL);
    goto cleanup;

failed:
    //  A job cancelled meanwhile has lost its chunks under the merge: that
    //  is no failure anyone must act on.
    if (spool_finished (self->spool, job_id))
        log_info ("job=%s finishing abandoned: the job was cancelled", job_id);
    else
        log_error ("job=%s failed: %s", job_id, reason);
    char *failure = zsys_sprintf ("failed %s", reason);
    if (failure)
        spool_finish (self->spool, job_id, failure);
    zstr_free (&failure);
    zstr_sendx (pipe, "FAILED", job_id, reason, NULL);

cleanup:
    if (scratch)
        unlink (scratch);
    zstr_free (&scratch);
    zstr_free (&key);
    zstr_free (&location);
}

static void
s_discard (s_thread_t *self, const char *job_id)
{
    char *key = s_result_key (job_id);
    char error[STORE_ERROR_MAX];
    if (key && store_remove (self->store, key, error) == -1)
        log_error ("job=%s cancelled, but its result stays: %s", job_id, error);
    else
        log_info ("job=%s cancelled while finishing: result removed", job_id);
    spool_finish (self->spool, job_id, "cancelled");
    zstr_free (&key);
}

static void
s_thread (zsock_t *pipe, void *args)
{
    s_thread_t *self = args;
    zsock_signal (pipe, 0);
    while (true) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg) {
            if (zsys_interrupted)
                break;
            continue;
        }
        char *command = zmsg_popstr (msg);
        char *job_id = zmsg_popstr (msg);
        zmsg_destroy (&msg);
        bool terminate = !command || streq (command, "$TERM");
        if (!terminate && job_id && streq (command, "FINISH"))
            s_finish (self, pipe, job_id);
        else if (!terminate && job_id && streq (command, "DISCARD"))
            s_discard (self, job_id);
        zstr_free (&job_id);
        zstr_free (&command);
        if (terminate)
            break;
    }
    store_destroy (&self->store);
    spool_destroy (&self->spool);
    free (self);
}

//  ---------------------------------------------------------------------
//  The main thread's side

struct _finisher_t {
    zactor_t *actor;
    zlistx_t *queue;        // job ids waiting, oldest first (owned strings)
    char *current;          // job id in progress, or NULL
    bool current_cancelled; // its result is to be discarded
};

finisher_t *
finisher_new (const char *spool_dir, const char *store_url)
{
    assert (spool_dir);
    assert (store_url);
    s_thread_t *thread = calloc (1, sizeof (s_thread_t));
    if (!thread)
        return NULL;
    thread->spool = spool_new (spool_dir);
    thread->store = store_new (store_url);
    if (!thread->spool || !thread->store) {
        store_destroy (&thread->store);
        spool_destroy (&thread->spool);
        free (thread);
        return NULL;
    }
    finisher_t *self = calloc (1, sizeof (finisher_t));
    if (!self) {
        store_destroy (&thread->store);
        spool_destroy (&thread->spool);
        free (thread);
        return NULL;
    }
    self->queue = zlistx_new ();
    zlistx_set_destructor (self->queue, (zlistx_destructor_fn *)zstr_free);
    zlistx_set_duplicator (self->queue, (zlistx_duplicator_fn *)strdup);
    zlistx_set_comparator (self->queue, (zlistx_comparator_fn *)strcmp);
    //  From here the thread owns thread.
    self->actor = zactor_new (s_thread, thread);
    return self;
}

void
finisher_destroy (finisher_t **self_p)
{
    assert (self_p);
    finisher_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    zlistx_destroy (&self->queue);
    zstr_free (&self->current);
    free (self);
    *self_p = NULL;
}

zsock_t *
finisher_sock (finisher_t *self)
{
    assert (self);
    return zactor_sock (self->actor);
}

static void
s_start (finisher_t *self, const char *job_id)
{
    self->current = strdup (job_id);
    self->current_cancelled = false;
    zstr_sendx (self->actor, "FINISH", job_id, NULL);
}

//  The job in progress has ended: start the next one.
static void
s_next (finisher_t *self)
{
    zstr_free (&self->current);
    char *job_id = zlistx_first (self->queue);
    if (!job_id)
        return;
    s_start (self, job_id);
    zlistx_delete (self->queue, zlistx_cursor (self->queue));
}

void
finisher_submit (finisher_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    if (self->current && streq (self->current, job_id))
        return;
    if (zlistx_find (self->queue, (void *)job_id))
        return;
    if (self->current) {
        zlistx_add_end (self->queue, (void *)job_id);
        log_info ("job=%s waiting to be merged behind %zu jobs", job_id,
                  zlistx_size (self->queue));
    } else
        s_start (self, job_id);
}

void
finisher_cancel (finisher_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    if (self->current && streq (self->current, job_id))
        self->current_cancelled = true;
    else if (zlistx_find (self->queue, (void *)job_id))
        zlistx_delete (self->queue, zlistx_cursor (self->queue));
}

wire_t *
finisher_recv (finisher_t *self)
{
    assert (self);
    zmsg_t *msg = zmsg_recv (self->actor);
    if (!msg)
        return NULL;
    char *command = zmsg_popstr (msg);
    char *job_id = zmsg_popstr (msg);
    char *first = zmsg_popstr (msg);
    char *second = zmsg_popstr (msg);
    zmsg_destroy (&msg);
    wire_t *event = NULL;
    if (!command || !job_id || !first) {
        log_error ("finisher: malformed report from the finisher thread");
        goto cleanup;
    }
    bool current = self->current && streq (self->current, job_id);
    bool silent = current && self->current_cancelled;
    if (streq (command, "STATE")) {
        if (!silent) {
            event = wire_new (WIRE_JOB_STATE);
            wire_set_job_id (event, job_id);
            wire_set_text (event, first);
        }
    } else if (streq (command, "DONE") && second) {
        if (silent)
            zstr_sendx (self->actor, "DISCARD", job_id, NULL);
        else {
            event = wire_new (WIRE_JOB_DONE);
            wire_set_job_id (event, job_id);
            wire_set_bytes (event, strtoull (first, NULL, 10));
            wire_set_text (event, second);
        }
    } else if (streq (command, "FAILED")) {
        if (!silent) {
            event = wire_new (WIRE_JOB_FAILED);
            wire_set_job_id (event, job_id);
            //  The wire carries at most WIRE_TEXT_MAX bytes of text.
            if (strlen (first) > WIRE_TEXT_MAX)
                first[WIRE_TEXT_MAX] = '\0';
            wire_set_text (event, first);
        }
    } else
        log_error ("finisher: unknown report %s from the finisher thread",
                   command);
    if (current && !streq (command, "STATE"))
        s_next (self);

cleanup:
    zstr_free (&second);
    zstr_free (&first);
    zstr_free (&job_id);
    zstr_free (&command);
    return event;
}

bool
finisher_busy (finisher_t *self)
{
    assert (self);
    return self->current != NULL;
}
