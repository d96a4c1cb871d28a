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
#include "disposition.h"
#include "proto.h"
#include "spool.h"
#include "store.h"

#define S_REASON_MAX (MERGE_ERROR_MAX + STORE_ERROR_MAX)

//  ---------------------------------------------------------------------
//  The finisher thread

typedef struct {
    spool_t *spool;
    store_t *store;
} s_thread_t;

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
s_finish (s_thread_t *self, zsock_t *pipe, const char *job_id, const char *key,
          const char *filename)
{
    int64_t started = zclock_mono ();
    char reason[S_REASON_MAX] = "";
    char error[STORE_ERROR_MAX];
    char *location = NULL;
    uint64_t bytes = 0;
    char *scratch = spool_scratch_path (self->spool, job_id);
    char *context = zsys_sprintf ("job=%s", job_id);
    char *disposition = *filename ? disposition_header (filename) : NULL;
    if (!scratch || !context || (*filename && !disposition)) {
        snprintf (reason, sizeof (reason), "out of memory");
        goto failed;
    }
    zstr_sendx (pipe, "STATE", job_id, jobstate_name (JOB_MERGING), NULL);
    if (s_merge_job (self, job_id, scratch, reason) == -1)
        goto failed;
    int64_t merged = zclock_mono ();
    zstr_sendx (pipe, "STATE", job_id, jobstate_name (JOB_STORING), NULL);
    store_put_options_t options = {
        .content_type = "application/pdf",
        .content_disposition = disposition,
        .log_context = context,
    };
    if (store_put_file (self->store, key, scratch, &options, &location, &bytes,
                        error) == -1) {
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
    zstr_free (&context);
    zstr_free (&disposition);
    zstr_free (&location);
}

static void
s_discard (s_thread_t *self, const char *job_id, const char *key)
{
    char error[STORE_ERROR_MAX];
    if (store_remove (self->store, key, error) == -1)
        log_error ("job=%s cancelled, but its result stays: %s", job_id, error);
    else
        log_info ("job=%s cancelled while finishing: result removed", job_id);
    spool_finish (self->spool, job_id, "cancelled");
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
        char *key = zmsg_popstr (msg);
        char *filename = zmsg_popstr (msg);
        zmsg_destroy (&msg);
        bool terminate = !command || streq (command, "$TERM");
        if (!terminate && job_id && key && filename &&
            streq (command, "FINISH"))
            s_finish (self, pipe, job_id, key, filename);
        else if (!terminate && job_id && key && streq (command, "DISCARD"))
            s_discard (self, job_id, key);
        zstr_free (&filename);
        zstr_free (&key);
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

//  A job the finisher holds: waiting for its output, queued, or current.
typedef struct {
    char *key;      // NULL while the ventilator has not said
    char *filename; // "" for none
} s_job_t;

struct _finisher_t {
    zactor_t *actor;
    zhashx_t *jobs;         // job id -> s_job_t, every job held
    zlistx_t *queue;        // ids of jobs ready to finish, oldest first
    char *current;          // job id in progress, or NULL
    bool current_cancelled; // its result is to be discarded
};

static void
s_job_destroy (void **item_p)
{
    s_job_t *job = *item_p;
    if (job) {
        free (job->key);
        free (job->filename);
        free (job);
    }
    *item_p = NULL;
}

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
    self->jobs = zhashx_new ();
    zhashx_set_destructor (self->jobs, s_job_destroy);
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
    zhashx_destroy (&self->jobs);
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
    s_job_t *job = zhashx_lookup (self->jobs, job_id);
    assert (job && job->key);
    self->current = strdup (job_id);
    self->current_cancelled = false;
    zstr_sendx (self->actor, "FINISH", job_id, job->key, job->filename, NULL);
}

//  The job in progress has ended: forget it, start the next one.
static void
s_next (finisher_t *self)
{
    zhashx_delete (self->jobs, self->current);
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
    if (zhashx_lookup (self->jobs, job_id))
        return;
    s_job_t *job = calloc (1, sizeof (s_job_t));
    if (!job) {
        log_error ("job=%s finisher: out of memory", job_id);
        return;
    }
    zhashx_insert (self->jobs, job_id, job);
    log_info ("job=%s complete: waiting for its output from the ventilator",
              job_id);
}

//  True when text has no control character (the wire has ruled out NUL).
static bool
s_printable (const char *text)
{
    for (const char *letter = text; *letter; letter++)
        if ((unsigned char)*letter < 0x20 || *letter == 0x7f)
            return false;
    return true;
}

int
finisher_output (finisher_t *self, const char *job_id, const char *key,
                 const char *filename)
{
    assert (self);
    assert (job_id);
    assert (key);
    if (!filename)
        filename = "";
    if (!store_key_valid (key) || !s_printable (filename)) {
        log_warning ("job=%s dropped OUTPUT: key '%.200s' or file name is "
                     "not valid",
                     job_id, key);
        return -1;
    }
    s_job_t *job = zhashx_lookup (self->jobs, job_id);
    if (!job || job->key) {
        log_debug ("job=%s OUTPUT for a job not waiting for it", job_id);
        return 0;
    }
    job->key = strdup (key);
    job->filename = strdup (filename);
    if (!job->key || !job->filename) {
        log_error ("job=%s finisher: out of memory", job_id);
        zstr_free (&job->key);
        zstr_free (&job->filename);
        return -1;
    }
    if (!self->current)
        s_start (self, job_id);
    else {
        zlistx_add_end (self->queue, (void *)job_id);
        log_info ("job=%s waiting to be merged behind %zu jobs", job_id,
                  zlistx_size (self->queue));
    }
    return 0;
}

void
finisher_cancel (finisher_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    if (self->current && streq (self->current, job_id)) {
        self->current_cancelled = true;
        return;
    }
    if (zlistx_find (self->queue, (void *)job_id))
        zlistx_delete (self->queue, zlistx_cursor (self->queue));
    zhashx_delete (self->jobs, job_id);
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
            wire_set_state (event, first);
        }
    } else if (streq (command, "DONE") && second) {
        if (silent) {
            s_job_t *job = zhashx_lookup (self->jobs, job_id);
            if (job && job->key)
                zstr_sendx (self->actor, "DISCARD", job_id, job->key, NULL);
        } else {
            event = wire_new (WIRE_JOB_DONE);
            wire_set_job_id (event, job_id);
            wire_set_bytes (event, strtoull (first, NULL, 10));
            wire_set_location (event, second);
        }
    } else if (streq (command, "FAILED")) {
        if (!silent) {
            event = wire_new (WIRE_JOB_FAILED);
            wire_set_job_id (event, job_id);
            //  The wire carries at most PROTO_TEXT_MAX bytes of text.
            if (strlen (first) > PROTO_TEXT_MAX)
                first[PROTO_TEXT_MAX] = '\0';
            wire_set_reason (event, first);
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
