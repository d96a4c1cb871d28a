/*  admission - one job document becoming a stored job, as its bytes arrive.

    The reader's sink is the job's records file, held to the disk quota on
    every append. When the reader fails, the sink's state says whose
    failure it was: past the quota, the disk full, another I/O error, or
    (when the sink is fine) the document itself.

    SPDX-License-Identifier: MPL-2.0
*/
#include "admission.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "chunkplan.h"
#include "fetch.h"
#include "jobreader.h"
#include "log.h"
#include "recordfile.h"

struct _admission_t {
    char job_id[PROTO_JOB_ID_MAX + 1];
    admission_config_t config;
    recordfile_t *file;
    jobreader_t *reader;
    bool over_quota; // an append would have passed max_records_bytes
    admission_outcome_t outcome;
    fielderr_t error;
    uint32_t pages;
    uint32_t chunks;
};

static bool
s_abandoned (const admission_t *self)
{
    return self->config.abandon && atomic_load (self->config.abandon);
}

static int
s_append (void *arg, const char *json, size_t size)
{
    admission_t *self = (admission_t *)arg;
    if (s_abandoned (self))
        return -1;
    if (size + 1 >
        self->config.max_records_bytes - recordfile_bytes (self->file)) {
        self->over_quota = true;
        return -1;
    }
    return recordfile_append (self->file, json, size);
}

static int
s_rewind (void *arg, uint32_t chunk_pages)
{
    return recordfile_rewind (((admission_t *)arg)->file, chunk_pages);
}

static int
s_next (void *arg, const char **json_p, size_t *size_p)
{
    admission_t *self = (admission_t *)arg;
    if (s_abandoned (self))
        return -1;
    return recordfile_next (self->file, json_p, size_p);
}

static admission_outcome_t
s_decide (admission_t *self, admission_outcome_t outcome, const char *field,
          const char *message)
{
    self->outcome = outcome;
    fielderr_set (&self->error, field, "%s", message);
    return outcome;
}

//  The records file failed (errno says how): the disk is full, or worse.
static admission_outcome_t
s_file_failed (admission_t *self, int error)
{
    if (error == ENOSPC || error == EDQUOT)
        return s_decide (self, ADMISSION_NO_SPACE, "",
                         "the ventilator's disk is full; retry later");
    return s_decide (self, ADMISSION_FAILED, "",
                     "the job could not be stored; see the ventilator's log");
}

//  The reader (or a fetch feeding it) failed with err: whose failure was
//  it?
static admission_outcome_t
s_reader_failed (admission_t *self, const fielderr_t *err)
{
    if (s_abandoned (self))
        return s_decide (self, ADMISSION_ABANDONED, "",
                         "the ventilator stopped taking the job in");
    if (self->over_quota) {
        char message[FIELDERR_MESSAGE_MAX];
        snprintf (message, sizeof message,
                  "the job's records are larger than the limit of %" PRIu64
                  " bytes (the ventilator's --max-body-mb)",
                  self->config.max_records_bytes);
        return s_decide (self, ADMISSION_TOO_LARGE, "records", message);
    }
    if (recordfile_errno (self->file))
        return s_file_failed (self, recordfile_errno (self->file));
    self->outcome = ADMISSION_REFUSED;
    self->error = *err;
    return self->outcome;
}

admission_t *
admission_new (const admission_config_t *config, const char *job_id)
{
    assert (config);
    assert (config->jobs_dir);
    assert (job_id && strlen (job_id) <= PROTO_JOB_ID_MAX);
    admission_t *self = (admission_t *)zmalloc (sizeof (admission_t));
    assert (self);
    strcpy (self->job_id, job_id);
    self->config = *config;
    self->file = recordfile_create (config->jobs_dir, job_id);
    if (!self->file) {
        s_file_failed (self, errno);
        return self;
    }
    static const jobreader_sink_t sink = {s_append, s_rewind, s_next};
    self->reader = jobreader_new (&sink, self);
    if (!self->reader)
        s_decide (self, ADMISSION_FAILED, "", "out of memory");
    return self;
}

void
admission_destroy (admission_t **self_p)
{
    assert (self_p);
    admission_t *self = *self_p;
    if (!self)
        return;
    jobreader_destroy (&self->reader);
    recordfile_destroy (&self->file);
    free (self);
    *self_p = NULL;
}

int
admission_feed (admission_t *self, const void *data, size_t size)
{
    assert (self);
    if (self->outcome == ADMISSION_PENDING && s_abandoned (self))
        s_decide (self, ADMISSION_ABANDONED, "",
                  "the ventilator stopped taking the job in");
    if (self->outcome != ADMISSION_PENDING)
        return -1;
    if (jobreader_feed (self->reader, data, size) == 0)
        return 0;
    s_reader_failed (self, jobreader_error (self->reader));
    return -1;
}

static int
s_add_record (const char *json, size_t size, void *arg)
{
    return jobreader_add_record ((jobreader_t *)arg, json, size);
}

//  Fetch what the document names by URL. Returns 0, or -1 with the
//  outcome decided.
static int
s_fetch (admission_t *self)
{
    const char *url = jobreader_records_url (self->reader);
    cJSON *assets = jobreader_assets (self->reader);
    if (!url && !fetch_assets_wanted (assets))
        return 0;
    s3_t *s3 = NULL;
    char error[S3_ERROR_MAX];
    if (self->config.s3) {
        s3 = s3_new (self->config.s3, error);
        if (!s3)
            log_warning ("admission: job=%s: no S3 client: %s", self->job_id,
                         error);
    }
    fielderr_t err;
    int rc = 0;
    if (url && fetch_records (s3, self->config.s3_inputs, url,
                              (size_t)self->config.max_records_bytes,
                              s_add_record, self->reader, &err) == -1) {
        //  A fetch stopped by the reader's sink failed for the sink's
        //  reason, which s_reader_failed looks at first.
        s_reader_failed (self, &err);
        rc = -1;
    } else if (fetch_assets (s3, self->config.s3_inputs, assets,
                             JOBSPEC_MEMBERS_BYTES_MAX, &err) == -1) {
        s_reader_failed (self, &err);
        rc = -1;
    }
    s3_destroy (&s3);
    return rc;
}

//  The job's webhook must be one the operator allows; a job that names
//  none gets the default. Returns 0, or -1 with the outcome decided.
static int
s_check_webhook (admission_t *self, jobspec_t *spec)
{
    const char *url = jobspec_webhook_url (spec);
    if (!url) {
        if (jobspec_set_webhook_url (spec, self->config.webhook_url) == 0)
            return 0;
        s_decide (self, ADMISSION_FAILED, "", "out of memory");
        return -1;
    }
    char error[HOOKTARGET_ERROR_MAX] = "";
    if (!self->config.webhooks)
        snprintf (error, sizeof error,
                  "this server calls no webhooks (PDFPIPE_WEBHOOK_ALLOW is "
                  "empty)");
    else if (hooktarget_check_url (self->config.webhooks, url, NULL, error) ==
             0)
        return 0;
    s_decide (self, ADMISSION_REFUSED, "webhook.url", error);
    return -1;
}

admission_outcome_t
admission_end (admission_t *self, jobstore_t *store)
{
    assert (self);
    assert (store);
    if (self->outcome == ADMISSION_PENDING && s_abandoned (self))
        s_decide (self, ADMISSION_ABANDONED, "",
                  "the ventilator stopped taking the job in");
    if (self->outcome != ADMISSION_PENDING)
        return self->outcome;
    if (jobreader_feed_end (self->reader) == -1)
        return s_reader_failed (self, jobreader_error (self->reader));
    if (s_fetch (self) == -1)
        return self->outcome;
    jobspec_t *spec = jobreader_finish (self->reader);
    if (!spec)
        return s_reader_failed (self, jobreader_error (self->reader));
    if (s_check_webhook (self, spec) == -1) {
        jobspec_destroy (&spec);
        return self->outcome;
    }
    if (self->config.dry_run) {
        //  The records file is not committed, so it goes with the
        //  admission.
        self->pages = jobspec_pages (spec);
        self->chunks =
            chunkplan_count (self->pages, jobspec_chunk_pages (spec));
        jobspec_destroy (&spec);
        self->outcome = ADMISSION_ACCEPTED;
        return self->outcome;
    }
    if (recordfile_commit (self->file) == -1) {
        jobspec_destroy (&spec);
        return s_file_failed (self, recordfile_errno (self->file));
    }
    if (jobstore_insert_owned (store, self->job_id, spec, self->config.owner)) {
        //  The files are committed, so they do not go with the handle.
        recordfile_remove (self->config.jobs_dir, self->job_id);
        jobspec_destroy (&spec);
        return s_decide (self, ADMISSION_FAILED, "",
                         "the job could not be stored; see the ventilator's "
                         "log");
    }
    self->pages = jobspec_pages (spec);
    self->chunks = chunkplan_count (self->pages, jobspec_chunk_pages (spec));
    jobspec_destroy (&spec);
    self->outcome = ADMISSION_ACCEPTED;
    return self->outcome;
}

admission_outcome_t
admission_outcome (const admission_t *self)
{
    assert (self);
    return self->outcome;
}

const fielderr_t *
admission_error (const admission_t *self)
{
    assert (self);
    return &self->error;
}

uint32_t
admission_pages (const admission_t *self)
{
    assert (self);
    return self->pages;
}

uint32_t
admission_chunks (const admission_t *self)
{
    assert (self);
    return self->chunks;
}
