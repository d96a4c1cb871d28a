/*  finisher - merging jobs as their chunks arrive and storing complete
    ones, off the main loop.

    The first half of this file runs on each lane's thread and owns its
    spool_t and store_t (handed over by finisher_new); the second half runs
    on the main thread and owns the queue. They share nothing but the
    lane's pipe (commands) and the reports socket (every lane's reports).

    SPDX-License-Identifier: MPL-2.0
*/
#include "finisher.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "disposition.h"
#include "pdfappend.h"
#include "proto.h"
#include "spool.h"
#include "store.h"
#include "store_upload.h"

#define S_REASON_MAX (PDFAPPEND_ERROR_MAX + STORE_ERROR_MAX)

//  ---------------------------------------------------------------------
//  The finisher thread

typedef struct {
    spool_t *spool;
    store_t *store;
    zhashx_t *outputs; // job id -> s_output_t, outputs being written
    zhashx_t *targets; // job id -> s_target_t, outputs whose key is known
    bool streaming;    // upload outputs as they grow (S3 stores)
    bool first;        // the first lane: aborts uploads left behind
    char *reports;     // endpoint the lane reports to
} s_thread_t;

//  Where a job's output goes, once known, and its upload while the output
//  grows (S3 stores only).
typedef struct {
    char *key;
    char *filename;         // "" for none
    char *disposition;      // header for filename; NULL for none
    char *context;          // "job=<id>"
    store_upload_t *upload; // NULL while none is running
    char *refused;          // why S3 refused to start it; NULL when not
} s_target_t;

//  An output being written, and the chunks it holds that are not
//  released from the spool yet (those appended since the last
//  checkpoint, in order).
typedef struct {
    pdfappend_t *doc;
    uint32_t released; // chunks released from the spool, from chunk 0
    spool_range_t *unreleased;
    size_t unreleased_count;
    size_t unreleased_max;
} s_output_t;

static void
s_output_free (void **item_p)
{
    s_output_t *output = *item_p;
    if (output) {
        pdfappend_destroy (&output->doc);
        free (output->unreleased);
        free (output);
    }
    *item_p = NULL;
}

//  The document of job_id's output, or NULL.
static pdfappend_t *
s_doc (s_thread_t *self, const char *job_id)
{
    s_output_t *output = zhashx_lookup (self->outputs, job_id);
    return output ? output->doc : NULL;
}

static void
s_target_free (void **item_p)
{
    s_target_t *target = *item_p;
    if (target) {
        store_upload_destroy (&target->upload);
        free (target->key);
        free (target->filename);
        free (target->disposition);
        free (target->context);
        free (target->refused);
        free (target);
    }
    *item_p = NULL;
}

//  Abort the upload S3 holds for job_id according to the spool (left by
//  a sink killed mid-upload, or by this one), and forget the record once
//  it is gone.
static void
s_abort_noted (s_thread_t *self, const char *job_id)
{
    char *key = NULL, *upload_id = NULL;
    if (spool_noted_upload (self->spool, job_id, &key, &upload_id) == -1)
        return;
    char error[STORE_ERROR_MAX];
    if (store_upload_abort_id (self->store, key, upload_id, error) == 0) {
        log_info ("job=%s earlier upload of %s aborted", job_id, key);
        spool_forget_upload (self->spool, job_id);
    } else
        log_error ("job=%s earlier upload %s of %s left behind: %s", job_id,
                   upload_id, key, error);
    free (key);
    free (upload_id);
}

//  Stop job_id's running upload, if any: aborted, and its record gone.
static void
s_upload_stop (s_thread_t *self, const char *job_id)
{
    s_target_t *target = zhashx_lookup (self->targets, job_id);
    if (target && target->upload) {
        store_upload_destroy (&target->upload);
        spool_forget_upload (self->spool, job_id);
    }
}

//  Start uploading job_id's output as it grows, when its key is known,
//  its output started and the store is S3. When S3 refuses, the job
//  fails with S3's answer once finished; when the spool cannot record
//  the upload, it is aborted and the output is put whole once finished.
static void
s_upload_start (s_thread_t *self, const char *job_id)
{
    s_target_t *target = zhashx_lookup (self->targets, job_id);
    pdfappend_t *doc = s_doc (self, job_id);
    if (!target || target->upload || !doc || !self->streaming)
        return;
    s_abort_noted (self, job_id);
    char *scratch = spool_scratch_path (self->spool, job_id);
    char *growing = scratch ? zsys_sprintf ("%s.part", scratch) : NULL;
    store_put_options_t options = {
        .content_type = "application/pdf",
        .content_disposition = target->disposition,
        .log_context = target->context,
        .owner = job_id,
    };
    char error[STORE_ERROR_MAX] = "out of memory";
    if (growing)
        target->upload = store_upload_new (self->store, target->key, growing,
                                           &options, 0, error);
    if (!target->upload) {
        //  S3 refused after its retries: storing the whole file later
        //  would only meet the same answer, so the job fails with it.
        log_warning ("job=%s cannot upload the output as it grows: %s", job_id,
                     error);
        free (target->refused);
        target->refused = strdup (error);
    } else if (spool_note_upload (self->spool, job_id, target->key,
                                  store_upload_id (target->upload)) == -1)
        //  Unrecorded, a crash would leave its parts behind for good.
        store_upload_destroy (&target->upload);
    else {
        log_info ("job=%s uploading the output to %s as it grows", job_id,
                  target->key);
        store_upload_grow (target->upload, pdfappend_bytes_final (doc));
    }
    zstr_free (&growing);
    zstr_free (&scratch);
}

//  Remember where job_id's output goes (a FINISH or an UPLOAD command),
//  unless known already, and start its upload when it can.
static void
s_target (s_thread_t *self, const char *job_id, const char *key,
          const char *filename)
{
    s_target_t *target = zhashx_lookup (self->targets, job_id);
    if (target && streq (target->key, key))
        return;
    if (target) {
        s_upload_stop (self, job_id);
        zhashx_delete (self->targets, job_id);
    }
    target = calloc (1, sizeof (s_target_t));
    if (target) {
        target->key = strdup (key);
        target->filename = strdup (filename);
        target->context = zsys_sprintf ("job=%s", job_id);
        target->disposition = *filename ? disposition_header (filename) : NULL;
    }
    if (!target || !target->key || !target->filename || !target->context ||
        (*filename && !target->disposition)) {
        log_error ("job=%s finisher: out of memory", job_id);
        s_target_free ((void **)&target);
        return;
    }
    zhashx_insert (self->targets, job_id, target);
    s_upload_start (self, job_id);
}

//  Forget job_id's target, aborting its upload.
static void
s_target_drop (s_thread_t *self, const char *job_id)
{
    s_upload_stop (self, job_id);
    zhashx_delete (self->targets, job_id);
}

//  Record job_id's failure, remove its chunks and partial output, and
//  report it.
static void
s_fail (s_thread_t *self, zsock_t *reports, const char *job_id, const char *reason)
{
    zhashx_delete (self->outputs, job_id);
    s_target_drop (self, job_id);
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
    zstr_sendx (reports, "FAILED", job_id, reason, NULL);
}

//  job_id's output: the one being written, else the one its checkpoint
//  takes up again (a restarted sink), else a new one. A new one would
//  start from chunk 0, so when chunks were released from the spool the
//  checkpoint must hold them all. NULL and reason filled when it cannot
//  be had.
static s_output_t *
s_output (s_thread_t *self, const char *job_id, char *reason)
{
    s_output_t *output = zhashx_lookup (self->outputs, job_id);
    if (output)
        return output;
    s_upload_stop (self, job_id);
    char *scratch = spool_scratch_path (self->spool, job_id);
    uint32_t released = spool_released (self->spool, job_id);
    output = calloc (1, sizeof (s_output_t));
    char error[PDFAPPEND_ERROR_MAX] = "out of memory";
    bool found = false;
    if (scratch && output)
        output->doc = pdfappend_resume (scratch, &found, error);
    if (output && output->doc) {
        uint32_t chunks = pdfappend_chunks (output->doc);
        log_info ("job=%s output taken up from its checkpoint: %u chunks, "
                  "%" PRIu64 " bytes",
                  job_id, chunks, pdfappend_bytes_final (output->doc));
        if (chunks < released) {
            snprintf (error, sizeof (error),
                      "its checkpoint holds %u chunks, but %u were released "
                      "from the spool",
                      chunks, released);
            pdfappend_destroy (&output->doc);
            found = true;
        }
    } else if (scratch && output && found && released == 0)
        log_warning ("job=%s starting the output again from chunk 0: %s",
                     job_id, error);
    if (scratch && output && !output->doc && released == 0)
        output->doc = pdfappend_new (scratch, error);
    zstr_free (&scratch);
    if (!output || !output->doc) {
        if (released > 0)
            snprintf (reason, S_REASON_MAX,
                      "merge failed: the pages of chunks 1 to %u are only in "
                      "the partial output, which cannot be taken up again: "
                      "%s",
                      released, error);
        else
            snprintf (reason, S_REASON_MAX, "merge failed: %s", error);
        s_output_free ((void **)&output);
        return NULL;
    }
    output->released = released;
    zhashx_insert (self->outputs, job_id, output);
    s_upload_start (self, job_id);
    return output;
}

//  Make output's chunks durable in its checkpoint and release them from
//  the spool. Returns -1 and fills reason when the checkpoint cannot be
//  written; a release that fails leaves the chunks' files in the spool
//  until the job ends (logged).
static int
s_checkpoint (s_thread_t *self, const char *job_id, s_output_t *output,
              char *reason)
{
    char error[PDFAPPEND_ERROR_MAX];
    if (pdfappend_checkpoint (output->doc, error) == -1) {
        snprintf (reason, S_REASON_MAX, "merge failed: %s", error);
        return -1;
    }
    //  Kept for the next checkpoint when the spool cannot record them:
    //  chunks are released in order.
    if (output->unreleased_count > 0 &&
        spool_release (self->spool, job_id, output->unreleased,
                       output->unreleased_count) == 0) {
        output->released += (uint32_t)output->unreleased_count;
        output->unreleased_count = 0;
        log_debug ("job=%s chunks up to %u released from the spool", job_id,
                   output->released - 1);
    }
    return 0;
}

//  Note that output holds chunk range, to be released at its next
//  checkpoint, unless released already. Returns -1 when out of memory.
static int
s_hold (s_output_t *output, spool_range_t range)
{
    //  Released already, or after a gap (its file then stays until the
    //  job ends: chunks are released in order).
    if (range.chunk_nbr != output->released + output->unreleased_count)
        return 0;
    if (output->unreleased_count == output->unreleased_max) {
        size_t max = output->unreleased_max ? 2 * output->unreleased_max
                                            : FINISHER_CHECKPOINT_CHUNKS;
        spool_range_t *grown =
            realloc (output->unreleased, max * sizeof (spool_range_t));
        if (!grown)
            return -1;
        output->unreleased = grown;
        output->unreleased_max = max;
    }
    output->unreleased[output->unreleased_count++] = range;
    return 0;
}

//  Append chunk chunk_nbr (of chunk_count, pages first_page and on) at
//  path to job_id's output, unless its checkpoint holds it already, and
//  take a checkpoint when enough is appended since the last one. Returns
//  -1 and fills reason.
static int
s_append_chunk (s_thread_t *self, const char *job_id, uint32_t chunk_nbr,
                uint32_t chunk_count, spool_range_t range, const char *path,
                char *reason)
{
    s_output_t *output = s_output (self, job_id, reason);
    if (!output)
        return -1;
    uint32_t chunks = pdfappend_chunks (output->doc);
    if (chunk_nbr > chunks) {
        snprintf (reason, S_REASON_MAX,
                  "merge failed: input %u of %u comes before input %u",
                  chunk_nbr + 1, chunk_count, chunks + 1);
        return -1;
    }
    char error[PDFAPPEND_ERROR_MAX];
    //  The collector read the chunk's page count from its page tree's
    //  root; the append walks the tree, and checks it.
    if (chunk_nbr == chunks &&
        pdfappend_add (output->doc, path, range.page_count, error) == -1) {
        snprintf (reason, S_REASON_MAX, "merge failed: input %u of %u: %s",
                  chunk_nbr + 1, chunk_count, error);
        return -1;
    }
    if (chunk_nbr == chunks) {
        s_target_t *target = zhashx_lookup (self->targets, job_id);
        if (target && target->upload)
            store_upload_grow (target->upload,
                               pdfappend_bytes_final (output->doc));
    }
    if (s_hold (output, range) == -1) {
        snprintf (reason, S_REASON_MAX, "merge failed: out of memory");
        return -1;
    }
    bool due = pdfappend_chunks (output->doc) - pdfappend_checkpointed (
                   output->doc) >= FINISHER_CHECKPOINT_CHUNKS ||
               pdfappend_pending_bytes (output->doc) >=
                   FINISHER_CHECKPOINT_BYTES ||
               output->unreleased_count >= FINISHER_CHECKPOINT_CHUNKS;
    return due ? s_checkpoint (self, job_id, output, reason) : 0;
}

static void
s_append (s_thread_t *self, zsock_t *reports, const char *job_id,
          const char *chunk_text, const char *chunk_count_text,
          const char *path, const char *range_text)
{
    uint32_t chunk_nbr = (uint32_t)strtoul (chunk_text, NULL, 10);
    uint32_t chunk_count = (uint32_t)strtoul (chunk_count_text, NULL, 10);
    unsigned first_page = 0, page_count = 0;
    sscanf (range_text, "%u %u", &first_page, &page_count);
    spool_range_t range = {chunk_nbr, first_page, page_count};
    char reason[S_REASON_MAX] = "";
    if (chunk_nbr == 0)
        log_info ("job=%s appending its chunks to the output as they arrive",
                  job_id);
    if (s_append_chunk (self, job_id, chunk_nbr, chunk_count, range, path,
                        reason) == -1) {
        s_fail (self, reports, job_id, reason);
        return;
    }
    log_debug ("job=%s chunk=%u appended to the output", job_id, chunk_nbr);
    zstr_sendx (reports, "APPENDED", job_id, chunk_text, NULL);
}

//  Complete job_id's output in its scratch file: append the chunks not
//  appended yet (all of them when no output was started) and finish the
//  document, whose size goes to *bytes_p. Returns -1 and fills reason.
static int
s_merge_job (s_thread_t *self, const char *job_id, uint64_t *bytes_p,
             char *reason)
{
    int rc = -1;
    assembly_t *job = spool_load (self->spool, job_id);
    if (!job || !assembly_complete (job)) {
        snprintf (reason, S_REASON_MAX, "the spool holds %u of %u chunks",
                  job ? assembly_present (job) : 0,
                  job ? assembly_chunk_count (job) : 0);
        goto cleanup;
    }
    uint32_t chunk_count = assembly_chunk_count (job);
    s_output_t *output = s_output (self, job_id, reason);
    if (!output)
        goto cleanup;
    uint32_t appended = pdfappend_chunks (output->doc);
    log_info ("job=%s merging %u chunks, %u pages (%u appended already)",
              job_id, chunk_count, assembly_total_pages (job), appended);
    //  From the first chunk not released: those the checkpoint holds are
    //  not appended again, only released.
    uint32_t first = output->released < appended ? output->released : appended;
    for (uint32_t chunk_nbr = first; chunk_nbr < chunk_count; chunk_nbr++) {
        char *path = spool_chunk_path (self->spool, job, chunk_nbr);
        spool_range_t range = {chunk_nbr, assembly_first_page (job, chunk_nbr),
                               assembly_page_count (job, chunk_nbr)};
        int appended_rc = path ? s_append_chunk (self, job_id, chunk_nbr,
                                                 chunk_count, range, path,
                                                 reason)
                               : -1;
        if (!path)
            snprintf (reason, S_REASON_MAX, "out of memory");
        zstr_free (&path);
        if (appended_rc == -1)
            goto cleanup;
    }
    pdfappend_t *doc = s_doc (self, job_id);
    assert (doc);
    char error[PDFAPPEND_ERROR_MAX];
    if (pdfappend_finish (doc, assembly_total_pages (job), error) == -1) {
        snprintf (reason, S_REASON_MAX, "merge failed: %s", error);
        goto cleanup;
    }
    *bytes_p = pdfappend_bytes_final (doc);
    rc = 0;

cleanup:
    zhashx_delete (self->outputs, job_id);
    assembly_destroy (&job);
    return rc;
}

static void
s_finish (s_thread_t *self, zsock_t *reports, const char *job_id, const char *key,
          const char *filename)
{
    int64_t started = zclock_mono ();
    char reason[S_REASON_MAX] = "";
    char error[STORE_ERROR_MAX];
    char *location = NULL;
    uint64_t bytes = 0;
    char *scratch = spool_scratch_path (self->spool, job_id);
    //  Known from now on, so a merge from chunk 0 uploads as it goes too.
    s_target (self, job_id, key, filename);
    s_target_t *target = zhashx_lookup (self->targets, job_id);
    if (!scratch || !target) {
        snprintf (reason, sizeof (reason), "out of memory");
        goto failed;
    }
    zstr_sendx (reports, "STATE", job_id, jobstate_name (JOB_MERGING), NULL);
    uint64_t merged_bytes = 0;
    if (s_merge_job (self, job_id, &merged_bytes, reason) == -1)
        goto failed;
    int64_t merged = zclock_mono ();
    zstr_sendx (reports, "STATE", job_id, jobstate_name (JOB_STORING), NULL);
    int stored_rc;
    if (target->refused) {
        snprintf (error, sizeof (error), "%s", target->refused);
        stored_rc = -1;
    } else if (target->upload) {
        stored_rc = store_upload_finish (target->upload, merged_bytes,
                                         &location, error);
        bytes = merged_bytes;
        spool_forget_upload (self->spool, job_id);
        store_upload_destroy (&target->upload);
    } else {
        store_put_options_t options = {
            .content_type = "application/pdf",
            .content_disposition = target->disposition,
            .log_context = target->context,
            .owner = job_id,
        };
        stored_rc = store_put_file (self->store, key, scratch, &options,
                                    &location, &bytes, error);
    }
    if (stored_rc == -1) {
        snprintf (reason, sizeof (reason), "storing failed: %s", error);
        goto failed;
    }
    zhashx_delete (self->targets, job_id);
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
    zstr_sendx (reports, "DONE", job_id, bytes_text, location, NULL);
    goto cleanup;

failed:
    s_fail (self, reports, job_id, reason);

cleanup:
    if (scratch)
        unlink (scratch);
    zstr_free (&scratch);
    zstr_free (&location);
}

static void
s_discard (s_thread_t *self, const char *job_id, const char *key)
{
    char error[STORE_ERROR_MAX];
    if (store_remove (self->store, job_id, key, error) == -1)
        log_error ("job=%s cancelled, but its result stays: %s", job_id, error);
    else
        log_info ("job=%s cancelled while finishing: result removed", job_id);
    spool_finish (self->spool, job_id, "cancelled");
}

static void
s_drop (s_thread_t *self, const char *job_id)
{
    s_target_drop (self, job_id);
    if (!s_doc (self, job_id))
        return;
    zhashx_delete (self->outputs, job_id);
    log_info ("job=%s partial output discarded", job_id);
}

//  Abort the uploads a sink killed mid-upload left behind: every job's
//  output is uploaded again from byte 0 after a restart, whether it
//  starts again or is taken up from its checkpoint.
static void
s_abort_left_behind (s_thread_t *self)
{
    if (store_is_local (self->store))
        return;
    zlist_t *jobs = spool_upload_jobs (self->spool);
    for (const char *job_id = jobs ? zlist_first (jobs) : NULL; job_id;
         job_id = zlist_next (jobs))
        s_abort_noted (self, job_id);
    zlist_destroy (&jobs);
}

static void
s_thread_destroy (s_thread_t **self_p)
{
    s_thread_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->targets);
    zhashx_destroy (&self->outputs);
    store_destroy (&self->store);
    spool_destroy (&self->spool);
    zstr_free (&self->reports);
    free (self);
    *self_p = NULL;
}

static void
s_thread (zsock_t *pipe, void *args)
{
    s_thread_t *self = args;
    //  The first lane aborts what a killed sink left before any lane
    //  starts: a lane's new upload is never taken for an old one.
    if (self->first)
        s_abort_left_behind (self);
    zsock_t *reports = zsock_new_push (self->reports);
    if (!reports)
        log_error ("finisher: cannot report to %s: the lane stops",
                   self->reports);
    zsock_signal (pipe, 0);
    while (reports) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg) {
            if (zsys_interrupted)
                break;
            continue;
        }
        char *command = zmsg_popstr (msg);
        char *job_id = zmsg_popstr (msg);
        char *first = zmsg_popstr (msg);
        char *second = zmsg_popstr (msg);
        char *third = zmsg_popstr (msg);
        char *fourth = zmsg_popstr (msg);
        zmsg_destroy (&msg);
        bool terminate = !command || streq (command, "$TERM");
        if (!terminate && job_id && first && second && third && fourth &&
            streq (command, "APPEND"))
            s_append (self, reports, job_id, first, second, third, fourth);
        else if (!terminate && job_id && first && second &&
                 streq (command, "FINISH"))
            s_finish (self, reports, job_id, first, second);
        else if (!terminate && job_id && first && second &&
                 streq (command, "UPLOAD"))
            s_target (self, job_id, first, second);
        else if (!terminate && job_id && first && streq (command, "DISCARD"))
            s_discard (self, job_id, first);
        else if (!terminate && job_id && streq (command, "DROP"))
            s_drop (self, job_id);
        zstr_free (&fourth);
        zstr_free (&third);
        zstr_free (&second);
        zstr_free (&first);
        zstr_free (&job_id);
        zstr_free (&command);
        if (terminate)
            break;
    }
    //  Outputs not finished are closed (kept when they have a checkpoint,
    //  else removed) and their uploads aborted: a restart takes them up
    //  again or begins them anew.
    zsock_destroy (&reports);
    s_thread_destroy (&self);
}

//  ---------------------------------------------------------------------
//  The main thread's side

//  A job the finisher holds: being appended as its chunks arrive, waiting
//  for its output, queued, or current.
typedef struct {
    assembly_t *spooled; // chunks known to be spooled, when the job has an
                         // appender; NULL on the complete-then-merge path
    uint32_t appended;   // chunks appended to its output by the thread
    int lane;            // the lane holding its output and commands
    bool complete;       // every chunk is spooled (finisher_submit)
    bool queued;         // in the queue, or current with FINISH
    char *key;           // NULL while the ventilator has not said
    char *filename;      // "" for none
} s_job_t;

//  A lane: a thread with one command at a time.
typedef struct {
    zactor_t *actor;
    char *current;          // job id with a command at the thread, or NULL
    bool current_cancelled; // its result is to be discarded
} s_lane_t;

struct _finisher_t {
    s_lane_t lanes[FINISHER_LANES];
    zsock_t *reports;    // every lane's reports
    spool_t *spool;      // this thread's, for chunk paths only
    zhashx_t *jobs;      // job id -> s_job_t, every job held
    zlistx_t *queue;     // ids of jobs ready to finish, oldest first
    zlistx_t *appending; // ids of jobs with an appender, served in turn
};

static void
s_job_destroy (void **item_p)
{
    s_job_t *job = *item_p;
    if (job) {
        assembly_destroy (&job->spooled);
        free (job->key);
        free (job->filename);
        free (job);
    }
    *item_p = NULL;
}

static zlistx_t *
s_id_list (void)
{
    zlistx_t *list = zlistx_new ();
    if (!list)
        return NULL;
    zlistx_set_destructor (list, (zlistx_destructor_fn *)zstr_free);
    zlistx_set_duplicator (list, (zlistx_duplicator_fn *)strdup);
    zlistx_set_comparator (list, (zlistx_comparator_fn *)strcmp);
    return list;
}

//  A lane's thread state on spool_dir and the store at store_url,
//  reporting to reports. NULL when anything cannot be opened (logged).
static s_thread_t *
s_thread_new (const char *spool_dir, const char *store_url,
              const char *reports, bool first)
{
    s_thread_t *self = calloc (1, sizeof (s_thread_t));
    if (!self)
        return NULL;
    self->spool = spool_new (spool_dir);
    self->store = store_new (store_url);
    self->outputs = zhashx_new ();
    self->targets = zhashx_new ();
    self->reports = zsys_sprintf (">%s", reports);
    self->first = first;
    if (!self->spool || !self->store || !self->outputs || !self->targets ||
        !self->reports) {
        s_thread_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->outputs, s_output_free);
    zhashx_set_destructor (self->targets, s_target_free);
    const char *streaming = getenv (FINISHER_STREAM_ENV);
    self->streaming = !store_is_local (self->store) &&
                      !(streaming && streq (streaming, "0"));
    return self;
}

finisher_t *
finisher_new (const char *spool_dir, const char *store_url)
{
    assert (spool_dir);
    assert (store_url);
    //  A finisher destroyed just before may leave its endpoint bound for a
    //  moment (ZeroMQ closes sockets in the background), and the new one
    //  may have its address: the count keeps the names apart.
    static unsigned finishers = 0;
    finisher_t *self = calloc (1, sizeof (finisher_t));
    char *reports = self ? zsys_sprintf ("inproc://finisher-%p-%u",
                                         (void *)self, finishers++)
                         : NULL;
    if (!reports)
        goto failed;
    self->reports = zsock_new_pull (NULL);
    self->spool = spool_new (spool_dir);
    self->jobs = zhashx_new ();
    self->queue = s_id_list ();
    self->appending = s_id_list ();
    if (!self->reports || zsock_bind (self->reports, "%s", reports) == -1 ||
        !self->spool || !self->jobs || !self->queue || !self->appending)
        goto failed;
    zhashx_set_destructor (self->jobs, s_job_destroy);
    //  One after the other: the first has aborted the uploads left
    //  behind once it has started.
    for (int lane = 0; lane < FINISHER_LANES; lane++) {
        s_thread_t *thread =
            s_thread_new (spool_dir, store_url, reports, lane == 0);
        if (!thread)
            goto failed;
        //  From here the lane's thread owns thread.
        self->lanes[lane].actor = zactor_new (s_thread, thread);
        if (!self->lanes[lane].actor) {
            s_thread_destroy (&thread);
            goto failed;
        }
    }
    zstr_free (&reports);
    return self;

failed:
    zstr_free (&reports);
    finisher_destroy (&self);
    return NULL;
}

void
finisher_destroy (finisher_t **self_p)
{
    assert (self_p);
    finisher_t *self = *self_p;
    if (!self)
        return;
    for (int lane = 0; lane < FINISHER_LANES; lane++) {
        zactor_destroy (&self->lanes[lane].actor);
        zstr_free (&self->lanes[lane].current);
    }
    zsock_destroy (&self->reports);
    zlistx_destroy (&self->appending);
    zlistx_destroy (&self->queue);
    zhashx_destroy (&self->jobs);
    spool_destroy (&self->spool);
    free (self);
    *self_p = NULL;
}

zsock_t *
finisher_sock (finisher_t *self)
{
    assert (self);
    return self->reports;
}

//  Forget job_id entirely.
static void
s_forget (finisher_t *self, const char *job_id)
{
    if (zlistx_find (self->queue, (void *)job_id))
        zlistx_delete (self->queue, zlistx_cursor (self->queue));
    if (zlistx_find (self->appending, (void *)job_id))
        zlistx_delete (self->appending, zlistx_cursor (self->appending));
    zhashx_delete (self->jobs, job_id);
}

//  Give up appending job_id as it goes: its partial output is dropped and
//  it takes the complete-then-merge path.
static void
s_drop_appender (finisher_t *self, const char *job_id, s_job_t *job)
{
    assembly_destroy (&job->spooled);
    job->appended = 0;
    if (zlistx_find (self->appending, (void *)job_id))
        zlistx_delete (self->appending, zlistx_cursor (self->appending));
    zstr_sendx (self->lanes[job->lane].actor, "DROP", job_id, NULL);
}

//  Send the thread the job's next chunk to append. Returns -1 when there
//  is none to send.
static int
s_send_append (finisher_t *self, const char *job_id, s_job_t *job)
{
    if (!job->spooled || !assembly_has (job->spooled, job->appended))
        return -1;
    char *path = spool_chunk_path (self->spool, job->spooled, job->appended);
    if (!path) {
        log_error ("job=%s finisher: out of memory", job_id);
        s_drop_appender (self, job_id, job);
        return -1;
    }
    char chunk_text[16], count_text[16], range_text[32];
    snprintf (chunk_text, sizeof chunk_text, "%u", job->appended);
    snprintf (count_text, sizeof count_text, "%u",
              assembly_chunk_count (job->spooled));
    snprintf (range_text, sizeof range_text, "%u %u",
              assembly_first_page (job->spooled, job->appended),
              assembly_page_count (job->spooled, job->appended));
    s_lane_t *lane = &self->lanes[job->lane];
    zstr_sendx (lane->actor, "APPEND", job_id, chunk_text, count_text, path,
                range_text, NULL);
    zstr_free (&path);
    lane->current = strdup (job_id);
    lane->current_cancelled = false;
    return 0;
}

//  Give lane_nbr its next command, unless it has one: first the oldest
//  of its jobs ready to finish (its remaining chunks, then FINISH), else
//  the next chunk in order of its appending jobs, each job in turn.
static void
s_dispatch_lane (finisher_t *self, int lane_nbr)
{
    s_lane_t *lane = &self->lanes[lane_nbr];
    if (lane->current)
        return;
    const char *job_id;
    for (job_id = zlistx_first (self->queue); job_id;
         job_id = zlistx_next (self->queue)) {
        s_job_t *job = zhashx_lookup (self->jobs, job_id);
        assert (job && job->key);
        if (job->lane != lane_nbr)
            continue;
        void *cursor = zlistx_cursor (self->queue);
        if (job->spooled &&
            job->appended < assembly_chunk_count (job->spooled) &&
            s_send_append (self, job_id, job) == 0)
            return;
        lane->current = strdup (job_id);
        lane->current_cancelled = false;
        zstr_sendx (lane->actor, "FINISH", job_id, job->key, job->filename,
                    NULL);
        zlistx_delete (self->queue, cursor);
        return;
    }
    for (job_id = zlistx_first (self->appending); job_id;
         job_id = zlistx_next (self->appending)) {
        s_job_t *job = zhashx_lookup (self->jobs, job_id);
        assert (job);
        if (job->lane != lane_nbr)
            continue;
        void *cursor = zlistx_cursor (self->appending);
        if (s_send_append (self, job_id, job) == 0) {
            //  Served: to the back of the line.
            zlistx_move_end (self->appending, cursor);
            return;
        }
    }
}

static void
s_dispatch (finisher_t *self)
{
    for (int lane = 0; lane < FINISHER_LANES; lane++)
        s_dispatch_lane (self, lane);
}

//  The lane for a job of total_pages pages: the short lane for one whose
//  whole output is at most FINISHER_SHORT_PAGES, so that its finishing
//  never waits behind a long job's.
static int
s_lane_for (uint32_t total_pages)
{
    return total_pages <= FINISHER_SHORT_PAGES ? FINISHER_LANE_SHORT
                                                : FINISHER_LANE_LONG;
}

static s_job_t *
s_job_new (finisher_t *self, const char *job_id, int lane)
{
    s_job_t *job = calloc (1, sizeof (s_job_t));
    if (!job) {
        log_error ("job=%s finisher: out of memory", job_id);
        return NULL;
    }
    job->lane = lane;
    zhashx_insert (self->jobs, job_id, job);
    return job;
}

//  A copy of which chunks chunks holds, or NULL when out of memory.
static assembly_t *
s_assembly_copy (const assembly_t *chunks)
{
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *copy =
        assembly_new (assembly_job_id (chunks), assembly_chunk_count (chunks),
                      assembly_total_pages (chunks), reason);
    for (uint32_t chunk_nbr = 0;
         copy && chunk_nbr < assembly_chunk_count (chunks); chunk_nbr++)
        if (assembly_has (chunks, chunk_nbr))
            assembly_add (copy, chunk_nbr,
                          assembly_first_page (chunks, chunk_nbr),
                          assembly_page_count (chunks, chunk_nbr), reason);
    return copy;
}

void
finisher_spooled (finisher_t *self, const assembly_t *chunks,
                  uint32_t chunk_nbr)
{
    assert (self);
    assert (chunks);
    assert (assembly_has (chunks, chunk_nbr));
    const char *job_id = assembly_job_id (chunks);
    s_job_t *job = zhashx_lookup (self->jobs, job_id);
    if (!job)
        job = s_job_new (self, job_id,
                         s_lane_for (assembly_total_pages (chunks)));
    if (!job)
        return;
    if (job->spooled) {
        char reason[ASSEMBLY_REASON_MAX];
        assembly_add (job->spooled, chunk_nbr,
                      assembly_first_page (chunks, chunk_nbr),
                      assembly_page_count (chunks, chunk_nbr), reason);
    } else if (job->complete ||
               zlistx_size (self->appending) >= FINISHER_APPENDERS_MAX)
        //  Complete already, or no appender free: it is merged once
        //  complete.
        return;
    else {
        job->spooled = s_assembly_copy (chunks);
        if (!job->spooled) {
            log_error ("job=%s finisher: out of memory", job_id);
            return;
        }
        //  Chunks released from the spool are in the output's checkpoint
        //  (a restarted sink): the thread takes it up after them.
        job->appended = spool_released (self->spool, job_id);
        zlistx_add_end (self->appending, (void *)job_id);
    }
    s_dispatch (self);
}

uint32_t
finisher_appended (finisher_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    s_job_t *job = zhashx_lookup (self->jobs, job_id);
    return job ? job->appended : 0;
}

//  Queue job_id when it is complete and its output known.
static void
s_queue_if_ready (finisher_t *self, const char *job_id, s_job_t *job)
{
    if (!job->complete || !job->key || job->queued)
        return;
    job->queued = true;
    zlistx_add_end (self->queue, (void *)job_id);
    if (self->lanes[job->lane].current) {
        size_t ahead = 0;
        for (const char *queued = zlistx_first (self->queue); queued;
             queued = zlistx_next (self->queue)) {
            s_job_t *other = zhashx_lookup (self->jobs, queued);
            ahead += other != job && other->lane == job->lane;
        }
        log_info ("job=%s waiting to be merged behind %zu jobs (%s lane)",
                  job_id, ahead,
                  job->lane == FINISHER_LANE_SHORT ? "short" : "long");
    }
    s_dispatch (self);
}

void
finisher_submit (finisher_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    s_job_t *job = zhashx_lookup (self->jobs, job_id);
    if (job && job->complete)
        return;
    //  Not spooled since this finisher started (a test's job): its size is
    //  not known, so it goes with the long ones.
    if (!job)
        job = s_job_new (self, job_id, FINISHER_LANE_LONG);
    if (!job)
        return;
    job->complete = true;
    if (!job->key)
        log_info ("job=%s complete: waiting for its output from the "
                  "ventilator",
                  job_id);
    s_queue_if_ready (self, job_id, job);
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
    //  A job writes only under its own id (common/store, "Owners").
    if (!store_key_owned (key, job_id) || !store_key_valid (key) ||
        !s_printable (filename)) {
        log_warning ("job=%s dropped OUTPUT: key '%.200s' (not a valid key "
                     "under the job's id) or file name is not valid",
                     job_id, key);
        return -1;
    }
    s_job_t *job = zhashx_lookup (self->jobs, job_id);
    //  A job being appended learns it early (the ventilator says it with
    //  the first chunk stored), so its output is uploaded as it grows.
    if (!job || (!job->complete && !job->spooled) || job->key) {
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
    if (!job->complete)
        zstr_sendx (self->lanes[job->lane].actor, "UPLOAD", job_id, job->key,
                    job->filename, NULL);
    s_queue_if_ready (self, job_id, job);
    return 0;
}

//  The lane with a command for job_id, or NULL.
static s_lane_t *
s_lane_of (finisher_t *self, const char *job_id)
{
    for (int lane = 0; lane < FINISHER_LANES; lane++)
        if (self->lanes[lane].current &&
            streq (self->lanes[lane].current, job_id))
            return &self->lanes[lane];
    return NULL;
}

void
finisher_cancel (finisher_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    s_job_t *job = zhashx_lookup (self->jobs, job_id);
    if (job && job->spooled)
        s_drop_appender (self, job_id, job);
    s_lane_t *lane = s_lane_of (self, job_id);
    if (lane) {
        lane->current_cancelled = true;
        return;
    }
    s_forget (self, job_id);
}

//  The thread has appended a chunk of job_id.
static void
s_appended (finisher_t *self, const char *job_id, const char *chunk_text)
{
    s_job_t *job = zhashx_lookup (self->jobs, job_id);
    if (!job || !job->spooled)
        return; // cancelled meanwhile: its output is dropped
    assert (strtoul (chunk_text, NULL, 10) == job->appended);
    job->appended++;
    if (job->appended == assembly_chunk_count (job->spooled))
        log_info ("job=%s all %u chunks appended to the output", job_id,
                  job->appended);
}

wire_t *
finisher_recv (finisher_t *self)
{
    assert (self);
    zmsg_t *msg = zmsg_recv (self->reports);
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
    s_lane_t *lane = s_lane_of (self, job_id);
    bool current = lane != NULL;
    bool silent = current && lane->current_cancelled;
    if (streq (command, "APPENDED")) {
        if (!silent)
            s_appended (self, job_id, first);
    } else if (streq (command, "STATE")) {
        if (!silent) {
            event = wire_new (WIRE_JOB_STATE);
            wire_set_job_id (event, job_id);
            wire_set_state (event, first);
        }
    } else if (streq (command, "DONE") && second) {
        if (silent) {
            s_job_t *job = zhashx_lookup (self->jobs, job_id);
            if (job && job->key)
                zstr_sendx (lane->actor, "DISCARD", job_id, job->key, NULL);
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
    //  Every report but STATE ends the command at the thread.
    bool command_ended = current && !streq (command, "STATE");
    if (streq (command, "DONE") || streq (command, "FAILED") ||
        (silent && command_ended))
        s_forget (self, job_id);
    if (command_ended) {
        zstr_free (&lane->current);
        s_dispatch (self);
    }

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
    for (int lane = 0; lane < FINISHER_LANES; lane++)
        if (self->lanes[lane].current)
            return true;
    return false;
}
