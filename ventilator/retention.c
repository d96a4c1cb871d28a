/*  retention - ended jobs deleted once their retention period is over.

    SPDX-License-Identifier: MPL-2.0
*/
#include "retention.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "recordfile.h"

//  Remove the job's result when it is this job's: done, at the location
//  this store gives its key. Returns 0, or -1 (logged) to keep the job's
//  row for the next sweep.
static int
s_remove_result (const retention_t *self, const char *job_id)
{
    char *location = NULL, *key = NULL, *filename = NULL;
    jobstate_t state = JOB_QUEUED;
    int rc = 0;
    if (jobstore_result (self->jobstore, job_id, &location, NULL, &state) ||
        state != JOB_DONE || !location)
        goto cleanup;
    if (jobstore_output (self->jobstore, job_id, &key, &filename))
        goto cleanup;
    char *expected = store_location (self->results, key);
    bool ours = expected && streq (expected, location);
    zstr_free (&expected);
    if (!ours) {
        log_warning ("job=%s: its result %s is not where the store puts "
                     "its key; left alone",
                     job_id, location);
        goto cleanup;
    }
    char error[256] = "";
    //  Keys have been "<job id>/..." since jobs could reach only their
    //  own; a job accepted before that has its key checked above only.
    const char *owner = store_key_owned (key, job_id) ? job_id : NULL;
    rc = store_remove (self->results, owner, key, error);
    if (rc)
        log_error ("job=%s: cannot remove its result: %s", job_id, error);

cleanup:
    zstr_free (&location);
    zstr_free (&key);
    zstr_free (&filename);
    return rc;
}

//  An upload left by a crash is removed at start; one left otherwise here.
static void
s_remove_upload (const retention_t *self, const char *job_id)
{
    char *path = zsys_sprintf ("%s/%s.upload", self->spool_dir, job_id);
    assert (path);
    if (unlink (path) && errno != ENOENT)
        log_warning ("job=%s: cannot remove %s: %s", job_id, path,
                     strerror (errno));
    zstr_free (&path);
}

int
retention_sweep (retention_t *self, int64_t now_ms)
{
    assert (self);
    zlist_t *expired = jobstore_expired (
        self->jobstore, now_ms - self->retention_ms, RETENTION_BATCH);
    if (!expired)
        return -1;
    int deleted = 0;
    uint32_t chunks_left = RETENTION_CHUNKS_PER_SWEEP;
    for (const char *job_id = (const char *)zlist_first (expired);
         job_id && chunks_left; job_id = (const char *)zlist_next (expired)) {
        if (s_remove_result (self, job_id))
            continue;
        recordfile_remove (self->jobs_dir, job_id);
        s_remove_upload (self, job_id);
        uint32_t chunks_deleted = 0;
        int rc = jobstore_delete (self->jobstore, job_id, chunks_left,
                                  &chunks_deleted);
        //  A job of many chunks goes over several sweeps.
        chunks_left -= chunks_deleted;
        self->vacuum_due |= rc == 0 || rc == JOBSTORE_DELETE_MORE;
        if (rc == 0) {
            log_info ("job=%s deleted: ended more than %" PRId64
                      " s ago (--retention-s)",
                      job_id, self->retention_ms / 1000);
            deleted++;
        }
    }
    zlist_destroy (&expired);
    if (self->vacuum_due)
        self->vacuum_due = jobstore_vacuum (self->jobstore) != 0;
    return deleted;
}

int64_t
retention_interval_ms (int64_t retention_ms)
{
    int64_t interval = retention_ms / 2;
    if (interval < RETENTION_SWEEP_MIN_MS)
        interval = RETENTION_SWEEP_MIN_MS;
    if (interval > RETENTION_SWEEP_MAX_MS)
        interval = RETENTION_SWEEP_MAX_MS;
    return interval;
}
