/*  collector - the sink's open jobs: collects each job's chunks in the
    spool until the job is complete, and tells how finished jobs ended.

    A job's assembly is created by its first good chunk and kept in a hash
    by job id until the job is cancelled or finished. An assembly created
    for a chunk that is then dropped is destroyed again, so every open job
    holds at least one chunk.

    SPDX-License-Identifier: MPL-2.0
*/
#include "collector.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "merge.h"
#include "spool.h"

#define S_PDF_MAGIC "%PDF-"
#define S_MIB (1024 * 1024)
#define S_OUTCOME_DONE "done "
#define S_OUTCOME_FAILED "failed "
#define S_OUTCOME_CANCELLED "cancelled"

//  A chunk staged in the spool, reported once spool_commit made it
//  durable.
typedef struct {
    uint32_t first_page;
    uint32_t page_count;
    uint32_t attempt;
    size_t size;    // bytes
    bool completes; // the job's last chunk
} s_pending_t;

struct _collector_t {
    spool_t *spool;
    zhashx_t *pending;    // "job_id/chunk_nbr" -> s_pending_t (owned)
    zhashx_t *jobs;       // job id -> assembly_t (owned)
    uint64_t quota_bytes; // of the spool; 0: none
    uint64_t spool_bytes; // as last walked
    int64_t walked_at;    // ms, zclock_mono (); 0: never
};

static void
s_assembly_free (void **item_p)
{
    assembly_destroy ((assembly_t **)item_p);
}

static void
s_pending_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  The key of a chunk in pending; fits any valid job id.
static void
s_pending_key (char *key, size_t size, const char *job_id, uint32_t chunk_nbr)
{
    snprintf (key, size, "%s/%u", job_id, chunk_nbr);
}
#define S_PENDING_KEY_MAX (PROTO_JOB_ID_MAX + 16)

collector_t *
collector_new (const char *spool_dir)
{
    assert (spool_dir);
    collector_t *self = calloc (1, sizeof (collector_t));
    if (!self)
        return NULL;
    self->jobs = zhashx_new ();
    zhashx_set_destructor (self->jobs, s_assembly_free);
    self->pending = zhashx_new ();
    zhashx_set_destructor (self->pending, s_pending_free);
    self->spool = spool_new (spool_dir);
    if (!self->spool || spool_recover (self->spool) == -1) {
        collector_destroy (&self);
        return NULL;
    }
    zlist_t *job_ids = spool_jobs (self->spool);
    if (!job_ids) {
        collector_destroy (&self);
        return NULL;
    }
    for (const char *job_id = zlist_first (job_ids); job_id;
         job_id = zlist_next (job_ids)) {
        assembly_t *job = spool_load (self->spool, job_id);
        if (!job)
            continue;
        log_info ("job=%s resumed from the spool: %u of %u chunks", job_id,
                  assembly_present (job), assembly_chunk_count (job));
        zhashx_insert (self->jobs, job_id, job);
    }
    zlist_destroy (&job_ids);
    return self;
}

void
collector_destroy (collector_t **self_p)
{
    assert (self_p);
    collector_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->jobs);
    zhashx_destroy (&self->pending);
    spool_destroy (&self->spool);
    free (self);
    *self_p = NULL;
}

//  The payload must be a PDF of exactly page_count pages.
static int
s_check_pdf (const wire_t *result)
{
    const char *job_id = wire_job_id (result);
    uint32_t chunk_nbr = wire_chunk_nbr (result);
    zframe_t *pdf = wire_pdf (result);
    size_t size = pdf ? zframe_size (pdf) : 0;
    if (size > COLLECTOR_CHUNK_BYTES_MAX) {
        log_warning ("job=%s chunk=%u dropped: %zu bytes, over the limit of "
                     "%zu",
                     job_id, chunk_nbr, size, COLLECTOR_CHUNK_BYTES_MAX);
        return -1;
    }
    if (size < strlen (S_PDF_MAGIC) ||
        memcmp (zframe_data (pdf), S_PDF_MAGIC, strlen (S_PDF_MAGIC)) != 0) {
        log_warning ("job=%s chunk=%u dropped: the payload is not a PDF",
                     job_id, chunk_nbr);
        return -1;
    }
    uint32_t pages = 0;
    char error[MERGE_ERROR_MAX];
    if (merge_count_pages (zframe_data (pdf), size, &pages, error) == -1) {
        log_warning ("job=%s chunk=%u dropped: %s", job_id, chunk_nbr, error);
        return -1;
    }
    if (pages != wire_page_count (result)) {
        log_warning ("job=%s chunk=%u dropped: the PDF has %u pages, the "
                     "chunk %u",
                     job_id, chunk_nbr, pages, wire_page_count (result));
        return -1;
    }
    return 0;
}

//  The job cannot keep its chunk: fail it, with its chunks, so the space
//  they hold comes back and nothing waits for the missing chunk.
static void
s_fail_job (collector_t *self, const char *job_id, uint32_t chunk_nbr,
            int error_number, char *reason)
{
    snprintf (reason, COLLECTOR_REASON_MAX,
              "the sink could not write chunk %u to its spool: %s", chunk_nbr,
              error_number == ENOSPC || error_number == EDQUOT
                  ? "no space left on the spool's file system"
                  : strerror (error_number));
    log_error ("job=%s failed: %s", job_id, reason);
    collector_fail (self, job_id, reason);
}

//  True when the spool is over its quota, walked at most once every
//  COLLECTOR_QUOTA_WALK_MS (only the first chunk of a job asks).
static bool
s_over_quota (collector_t *self)
{
    if (!self->quota_bytes)
        return false;
    int64_t now = zclock_mono ();
    if (!self->walked_at || now - self->walked_at >= COLLECTOR_QUOTA_WALK_MS) {
        self->spool_bytes = spool_disk_bytes (self->spool);
        self->walked_at = now;
    }
    return self->spool_bytes > self->quota_bytes;
}

void
collector_expire (collector_t *self)
{
    assert (self);
    spool_expire_tombstones (self->spool);
}

void
collector_set_quota (collector_t *self, uint64_t quota_bytes)
{
    assert (self);
    self->quota_bytes = quota_bytes;
}

//  The verdict for a chunk now durable in the spool.
static collector_verdict_t
s_stored (collector_t *self, const char *job_id, uint32_t chunk_nbr,
          uint32_t first_page, uint32_t page_count, size_t size,
          uint32_t attempt, bool completes)
{
    log_debug ("job=%s chunk=%u stored: pages %u-%u, %zu bytes, attempt %u",
               job_id, chunk_nbr, first_page, first_page + page_count - 1, size,
               attempt);
    if (!completes)
        return COLLECTOR_STORED;
    const assembly_t *job = zhashx_lookup (self->jobs, job_id);
    log_info ("job=%s all %u chunks spooled", job_id,
              job ? assembly_chunk_count (job) : 0);
    return COLLECTOR_COMPLETE;
}

collector_verdict_t
collector_offer (collector_t *self, const wire_t *result, char *reason_out)
{
    assert (self);
    assert (result);
    assert (wire_id (result) == WIRE_RESULT);
    assert (reason_out);
    reason_out[0] = '\0';
    const char *job_id = wire_job_id (result);
    uint32_t chunk_nbr = wire_chunk_nbr (result);
    uint32_t first_page = wire_first_page (result);
    uint32_t page_count = wire_page_count (result);
    uint32_t chunk_count = wire_chunk_count (result);
    uint32_t total_pages = wire_total_pages (result);
    char reason[ASSEMBLY_REASON_MAX];

    //  The chunk's earlier copy is not durable yet: its verdict, and this
    //  one's, wait for the commit. A full batch is committed before it
    //  takes more.
    char key[S_PENDING_KEY_MAX];
    s_pending_key (key, sizeof key, job_id, chunk_nbr);
    zframe_t *payload = wire_pdf (result);
    size_t payload_size = payload ? zframe_size (payload) : 0;
    if (zhashx_lookup (self->pending, key) ||
        spool_staged (self->spool) >= COLLECTOR_BATCH_CHUNKS_MAX ||
        (spool_staged (self->spool) > 0 &&
         spool_staged_bytes (self->spool) + payload_size >
             COLLECTOR_BATCH_BYTES_MAX))
        return COLLECTOR_WAIT;

    if (spool_finished (self->spool, job_id)) {
        bool cancelled = collector_cancelled (self, job_id);
        log_debug ("job=%s chunk=%u dropped: the job is %s", job_id, chunk_nbr,
                   cancelled ? "cancelled" : "finished");
        return cancelled ? COLLECTOR_DROPPED : COLLECTOR_FINISHED;
    }
    assembly_t *job = zhashx_lookup (self->jobs, job_id);
    bool created = false;
    if (!job && s_over_quota (self)) {
        snprintf (reason_out, COLLECTOR_REASON_MAX,
                  "the sink's spool holds %" PRIu64 " MiB, over its quota of "
                  "%" PRIu64 " MiB (--max-spool-mb); it takes no new job "
                  "until running ones finish: submit the job again later",
                  self->spool_bytes / S_MIB, self->quota_bytes / S_MIB);
        log_warning ("job=%s chunk=%u refused: %s", job_id, chunk_nbr,
                     reason_out);
        collector_fail (self, job_id, reason_out);
        return COLLECTOR_FAILED;
    }
    if (!job) {
        if (zhashx_size (self->jobs) >= COLLECTOR_JOBS_MAX) {
            log_warning ("job=%s chunk=%u dropped: %d jobs are open already",
                         job_id, chunk_nbr, COLLECTOR_JOBS_MAX);
            return COLLECTOR_DROPPED;
        }
        job = assembly_new (job_id, chunk_count, total_pages, reason);
        if (!job) {
            log_warning ("job=%s chunk=%u dropped: %s", job_id, chunk_nbr,
                         reason);
            return COLLECTOR_DROPPED;
        }
        created = true;
    } else if (!assembly_matches (job, chunk_count, total_pages)) {
        log_warning ("job=%s chunk=%u dropped: chunk_count %u and "
                     "total_pages %u disagree with the job's %u and %u",
                     job_id, chunk_nbr, chunk_count, total_pages,
                     assembly_chunk_count (job), assembly_total_pages (job));
        return COLLECTOR_DROPPED;
    }

    assembly_verdict_t verdict =
        assembly_check (job, chunk_nbr, first_page, page_count, reason);
    if (verdict == ASSEMBLY_DUPLICATE) {
        log_debug ("job=%s chunk=%u duplicate of attempt %u dropped", job_id,
                   chunk_nbr, wire_attempt (result));
        return COLLECTOR_DUPLICATE;
    }
    if (verdict == ASSEMBLY_INVALID) {
        log_warning ("job=%s chunk=%u dropped: %s", job_id, chunk_nbr, reason);
        goto drop;
    }
    if (s_check_pdf (result) == -1)
        goto drop;
    bool duplicate;
    zframe_t *pdf = wire_pdf (result);
    if (spool_stage (self->spool, job, chunk_nbr, first_page, page_count,
                     zframe_data (pdf), zframe_size (pdf), &duplicate) == -1) {
        int error_number = errno;
        if (created)
            assembly_destroy (&job);
        //  Chunks staged before it are committed first, each with its own
        //  outcome, as if they had come alone; then this one is tried
        //  again.
        if (spool_staged (self->spool) > 0)
            return COLLECTOR_WAIT;
        //  Finished meanwhile by the finisher (an append that failed, on
        //  the same full disk): its outcome stands.
        if (spool_finished (self->spool, job_id))
            return collector_cancelled (self, job_id) ? COLLECTOR_DROPPED
                                                      : COLLECTOR_FINISHED;
        s_fail_job (self, job_id, chunk_nbr, error_number, reason_out);
        return COLLECTOR_FAILED;
    }
    //  On disk already but unknown to the assembly: stored, but it may
    //  complete the job, which must wait for the chunks staged before it.
    if (duplicate && spool_staged (self->spool) > 0) {
        if (created)
            assembly_destroy (&job);
        return COLLECTOR_WAIT;
    }
    assembly_add (job, chunk_nbr, first_page, page_count, reason);
    if (created) {
        zhashx_insert (self->jobs, job_id, job);
        log_info ("job=%s spooling: %u chunks, %u pages", job_id, chunk_count,
                  total_pages);
    }
    if (!duplicate) {
        s_pending_t *pending = calloc (1, sizeof (s_pending_t));
        assert (pending);
        pending->first_page = first_page;
        pending->page_count = page_count;
        pending->attempt = wire_attempt (result);
        pending->size = zframe_size (pdf);
        pending->completes = assembly_complete (job);
        zhashx_insert (self->pending, key, pending);
        return COLLECTOR_PENDING;
    }
    return s_stored (self, job_id, chunk_nbr, first_page, page_count,
                     zframe_size (pdf), wire_attempt (result),
                     assembly_complete (job));

drop:
    if (created)
        assembly_destroy (&job);
    return COLLECTOR_DROPPED;
}

typedef struct {
    collector_t *self;
    collector_committed_fn *committed;
    void *arg;
} s_commit_t;

static void
s_on_committed (const char *job_id, uint32_t chunk_nbr, int error_number,
                void *arg)
{
    s_commit_t *commit = arg;
    collector_t *self = commit->self;
    char key[S_PENDING_KEY_MAX];
    s_pending_key (key, sizeof key, job_id, chunk_nbr);
    s_pending_t *pending = zhashx_lookup (self->pending, key);
    assert (pending);
    char reason[COLLECTOR_REASON_MAX] = "";
    collector_verdict_t verdict;
    //  Finished meanwhile: by the failure of a chunk before it in this
    //  batch, or by the finisher. Its outcome stands.
    if (spool_finished (self->spool, job_id))
        verdict = collector_cancelled (self, job_id) ? COLLECTOR_DROPPED
                                                     : COLLECTOR_FINISHED;
    else if (error_number) {
        s_fail_job (self, job_id, chunk_nbr, error_number, reason);
        verdict = COLLECTOR_FAILED;
    } else
        verdict = s_stored (self, job_id, chunk_nbr, pending->first_page,
                            pending->page_count, pending->size,
                            pending->attempt, pending->completes);
    uint32_t page_count = pending->page_count;
    zhashx_delete (self->pending, key);
    commit->committed (job_id, chunk_nbr, page_count, verdict, reason,
                       commit->arg);
}

void
collector_commit (collector_t *self, collector_committed_fn *committed,
                  void *arg)
{
    assert (self);
    assert (committed);
    s_commit_t commit = {self, committed, arg};
    spool_commit (self->spool, s_on_committed, &commit);
    assert (zhashx_size (self->pending) == 0);
}

int
collector_cancel (collector_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    zhashx_delete (self->jobs, job_id);
    if (spool_finish (self->spool, job_id, S_OUTCOME_CANCELLED) == -1)
        return -1;
    log_info ("job=%s cancelled: chunks removed", job_id);
    return 0;
}

wire_t *
collector_outcome (collector_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    char *outcome = spool_outcome (self->spool, job_id);
    if (!outcome)
        return NULL;
    wire_t *message = NULL;
    if (strncmp (outcome, S_OUTCOME_DONE, strlen (S_OUTCOME_DONE)) == 0) {
        //  "done <bytes> <location>"; the location may hold spaces.
        char *cursor = outcome + strlen (S_OUTCOME_DONE);
        char *end = NULL;
        errno = 0;
        unsigned long long bytes = strtoull (cursor, &end, 10);
        if (errno == 0 && end != cursor && *end == ' ' && end[1]) {
            message = wire_new (WIRE_JOB_DONE);
            wire_set_job_id (message, job_id);
            wire_set_bytes (message, (uint64_t)bytes);
            wire_set_location (message, end + 1);
        }
    } else if (strncmp (outcome, S_OUTCOME_FAILED, strlen (S_OUTCOME_FAILED)) ==
               0) {
        message = wire_new (WIRE_JOB_FAILED);
        wire_set_job_id (message, job_id);
        wire_set_reason (message, outcome + strlen (S_OUTCOME_FAILED));
    }
    if (!message && strcmp (outcome, S_OUTCOME_CANCELLED) != 0)
        log_error ("job=%s unreadable tombstone '%.80s'", job_id, outcome);
    zstr_free (&outcome);
    return message;
}

bool
collector_cancelled (collector_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    char *outcome = spool_outcome (self->spool, job_id);
    bool cancelled = outcome && strcmp (outcome, S_OUTCOME_CANCELLED) == 0;
    zstr_free (&outcome);
    return cancelled;
}

int
collector_fail (collector_t *self, const char *job_id, const char *reason)
{
    assert (self);
    assert (job_id);
    assert (reason);
    zhashx_delete (self->jobs, job_id);
    char *outcome = zsys_sprintf (S_OUTCOME_FAILED "%s", reason);
    int rc = outcome ? spool_finish (self->spool, job_id, outcome) : -1;
    if (rc == -1)
        log_error ("job=%s its failure could not be recorded in the spool",
                   job_id);
    zstr_free (&outcome);
    return rc;
}

void
collector_forget (collector_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    zhashx_delete (self->jobs, job_id);
}

zlist_t *
collector_jobs (collector_t *self)
{
    assert (self);
    zlist_t *job_ids = zlist_new ();
    zlist_autofree (job_ids);
    for (assembly_t *job = zhashx_first (self->jobs); job;
         job = zhashx_next (self->jobs))
        zlist_append (job_ids, (void *)assembly_job_id (job));
    return job_ids;
}

const assembly_t *
collector_assembly (collector_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    return zhashx_lookup (self->jobs, job_id);
}
