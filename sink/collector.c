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

struct _collector_t {
    spool_t *spool;
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

collector_t *
collector_new (const char *spool_dir)
{
    assert (spool_dir);
    collector_t *self = calloc (1, sizeof (collector_t));
    if (!self)
        return NULL;
    self->jobs = zhashx_new ();
    zhashx_set_destructor (self->jobs, s_assembly_free);
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
    if (spool_put (self->spool, job, chunk_nbr, first_page, page_count,
                   zframe_data (pdf), zframe_size (pdf), &duplicate) == -1) {
        int error_number = errno;
        if (created)
            assembly_destroy (&job);
        //  Finished meanwhile by the finisher (an append that failed, on
        //  the same full disk): its outcome stands.
        if (spool_finished (self->spool, job_id))
            return collector_cancelled (self, job_id) ? COLLECTOR_DROPPED
                                                      : COLLECTOR_FINISHED;
        s_fail_job (self, job_id, chunk_nbr, error_number, reason_out);
        return COLLECTOR_FAILED;
    }
    assembly_add (job, chunk_nbr, first_page, page_count, reason);
    if (created) {
        zhashx_insert (self->jobs, job_id, job);
        log_info ("job=%s spooling: %u chunks, %u pages", job_id, chunk_count,
                  total_pages);
    }
    log_debug ("job=%s chunk=%u stored: pages %u-%u, %zu bytes, attempt %u",
               job_id, chunk_nbr, first_page, first_page + page_count - 1,
               zframe_size (pdf), wire_attempt (result));
    if (!assembly_complete (job))
        return COLLECTOR_STORED;
    log_info ("job=%s all %u chunks spooled", job_id, chunk_count);
    return COLLECTOR_COMPLETE;

drop:
    if (created)
        assembly_destroy (&job);
    return COLLECTOR_DROPPED;
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
