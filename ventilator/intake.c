/*  intake - job documents taken in off the HTTP thread.

    A fixed set of intake threads, one per upload that may be in progress,
    each waiting on a condition variable of its own for an upload, then for
    the bytes of that upload. The HTTP thread writes each piece to the
    spool file (write, at its end) and tells the upload's thread how far
    the spool goes; the thread reads from there (pread) and feeds its
    admission. One mutex guards the uploads' shared fields; file I/O and
    admission work are done outside it.

    An upload is held by the HTTP side and by its thread (a reference
    each) and freed by whichever lets go last; the spool file is unlinked
    by the thread as soon as the admission is over and closed when the
    upload is freed.

    SPDX-License-Identifier: MPL-2.0
*/
#include "intake.h"

#include <assert.h>
#include <ctype.h>
#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "apitoken.h"
#include "fsio.h"
#include "jobstore.h"
#include "log.h"

typedef struct _s_worker_t s_worker_t;

struct _intake_upload_t {
    intake_t *intake;
    s_worker_t *worker;
    char job_id[PROTO_JOB_ID_LENGTH + 1];
    char owner[APITOKEN_NAME_MAX + 1]; // "" when the job has none
    bool dry_run;                      // check only, store nothing
    char *spool_path;
    int spool_fd;
    uint64_t counted;    // HTTP thread only: bytes of body received
    uint64_t next_check; // HTTP thread only: when to look at free space
    atomic_bool abandon; // give the admission up
    atomic_bool decided; // decided early: the rest of the body is not kept
    //  Under the intake's mutex:
    uint64_t written; // bytes in the spool
    bool ended;       // the body is complete
    bool known;       // the outcome is
    admission_outcome_t outcome;
    fielderr_t error;
    uint32_t pages;
    uint32_t chunks;
    bool suspended;
    intake_wake_fn *resume;
    void *resume_arg;
    int refs;
};

struct _s_worker_t {
    intake_t *intake;
    pthread_t thread;
    bool started;
    pthread_cond_t wake;     // an upload, or bytes of it, or the end
    jobstore_t *store;       // this thread's handle
    intake_upload_t *upload; // under the mutex; NULL: free
};

struct _intake_t {
    intake_config_t config;
    pthread_mutex_t mutex;
    s_worker_t *workers;
    size_t worker_count;
    bool stopping; // under the mutex
    bool stopped;
};

//  Free upload once neither side holds it. Called under the mutex.
static void
s_upload_release (intake_upload_t *upload)
{
    assert (upload->refs > 0);
    if (--upload->refs > 0)
        return;
    if (upload->spool_fd != -1)
        close (upload->spool_fd);
    free (upload->spool_path);
    free (upload);
}

//  Bytes free for us on the disk that holds path; UINT64_MAX when unknown.
static uint64_t
s_free_bytes (const char *path)
{
    struct statvfs info;
    if (statvfs (path, &info) != 0)
        return UINT64_MAX;
    return (uint64_t)info.f_bavail * (uint64_t)info.f_frsize;
}

//  Remove what a crash left in the spool directory.
static void
s_empty_spool (const char *spool_dir)
{
    DIR *listing = opendir (spool_dir);
    if (!listing)
        return;
    struct dirent *entry;
    while ((entry = readdir (listing)) != NULL)
        if (entry->d_name[0] != '.' &&
            unlinkat (dirfd (listing), entry->d_name, 0) == 0)
            log_info ("intake: removed %s/%s, an upload cut short", spool_dir,
                      entry->d_name);
    closedir (listing);
}

//  Read the spool as it grows into the admission until the body ends (or
//  the upload is abandoned); then end the admission. Returns the outcome.
static admission_outcome_t
s_take_in (s_worker_t *worker, intake_upload_t *upload, admission_t *admission)
{
    intake_t *intake = worker->intake;
    char *buffer = (char *)malloc (INTAKE_READ_BYTES);
    assert (buffer);
    uint64_t read_at = 0;
    bool feeding = true;
    bool failed = false;
    while (true) {
        pthread_mutex_lock (&intake->mutex);
        while (read_at == upload->written && !upload->ended &&
               !atomic_load (&upload->abandon))
            pthread_cond_wait (&worker->wake, &intake->mutex);
        uint64_t written = upload->written;
        pthread_mutex_unlock (&intake->mutex);
        if (atomic_load (&upload->abandon) || read_at == written)
            break;
        size_t want = written - read_at < INTAKE_READ_BYTES
                          ? (size_t)(written - read_at)
                          : INTAKE_READ_BYTES;
        ssize_t got = pread (upload->spool_fd, buffer, want, (off_t)read_at);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0) {
            log_error ("intake: job=%s: cannot read %s: %s", upload->job_id,
                       upload->spool_path,
                       got == 0 ? "it is shorter than written"
                                : strerror (errno));
            failed = true;
            break;
        }
        read_at += (uint64_t)got;
        if (feeding && admission_feed (admission, buffer, (size_t)got) == -1) {
            //  Refused (or failed) half-way: the rest need not be kept.
            feeding = false;
            atomic_store (&upload->decided, true);
        }
    }
    free (buffer);
    if (failed)
        return ADMISSION_FAILED;
    return admission_end (admission, worker->store);
}

static void
s_admit (s_worker_t *worker, intake_upload_t *upload)
{
    intake_t *intake = worker->intake;
    admission_config_t config = {
        .jobs_dir = intake->config.jobs_dir,
        .s3 = intake->config.s3,
        .s3_inputs = intake->config.s3_inputs,
        .max_records_bytes = intake->config.max_records_bytes,
        .abandon = &upload->abandon,
        .owner = upload->owner[0] ? upload->owner : NULL,
        .webhooks = intake->config.webhooks,
        .webhook_url = intake->config.webhook_url,
        .dry_run = upload->dry_run,
    };
    admission_t *admission = admission_new (&config, upload->job_id);
    admission_outcome_t outcome = s_take_in (worker, upload, admission);
    fielderr_t error = *admission_error (admission);
    if (outcome == ADMISSION_FAILED && !error.message[0])
        fielderr_set (&error, "",
                      "the job could not be stored; see the "
                      "ventilator's log");
    if (outcome == ADMISSION_ABANDONED)
        fielderr_set (&error, "",
                      "the ventilator is stopping; retry in a few seconds");
    uint32_t pages = admission_pages (admission);
    uint32_t chunks = admission_chunks (admission);
    //  Before the outcome is known: an accepted job's files are
    //  committed, anything else's are gone.
    admission_destroy (&admission);
    unlink (upload->spool_path);

    pthread_mutex_lock (&intake->mutex);
    upload->known = true;
    upload->outcome = outcome;
    upload->error = error;
    upload->pages = pages;
    upload->chunks = chunks;
    if (upload->suspended && upload->resume) {
        upload->suspended = false;
        upload->resume (upload->resume_arg);
    }
    pthread_mutex_unlock (&intake->mutex);
}

static void *
s_worker_run (void *arg)
{
    s_worker_t *worker = (s_worker_t *)arg;
    intake_t *intake = worker->intake;
    pthread_mutex_lock (&intake->mutex);
    while (true) {
        while (!worker->upload && !intake->stopping)
            pthread_cond_wait (&worker->wake, &intake->mutex);
        intake_upload_t *upload = worker->upload;
        if (!upload)
            break;
        pthread_mutex_unlock (&intake->mutex);
        s_admit (worker, upload);
        pthread_mutex_lock (&intake->mutex);
        worker->upload = NULL;
        s_upload_release (upload);
    }
    pthread_mutex_unlock (&intake->mutex);
    return NULL;
}

intake_t *
intake_new (const intake_config_t *config)
{
    assert (config);
    assert (config->data_dir && config->jobs_dir && config->spool_dir);
    intake_t *self = (intake_t *)zmalloc (sizeof (intake_t));
    assert (self);
    self->config = *config;
    if (!self->config.uploads_max)
        self->config.uploads_max = INTAKE_UPLOADS_DEFAULT;
    pthread_mutex_init (&self->mutex, NULL);
    self->workers =
        (s_worker_t *)calloc (self->config.uploads_max, sizeof (s_worker_t));
    assert (self->workers);
    if (fsio_mkdir_p (config->spool_dir) == -1) {
        log_error ("intake: cannot create %s: %s", config->spool_dir,
                   strerror (errno));
        intake_destroy (&self);
        return NULL;
    }
    s_empty_spool (config->spool_dir);
    for (size_t index = 0; index < self->config.uploads_max; index++) {
        s_worker_t *worker = &self->workers[index];
        worker->intake = self;
        pthread_cond_init (&worker->wake, NULL);
        self->worker_count++;
        worker->store = jobstore_open (config->data_dir);
        if (!worker->store ||
            pthread_create (&worker->thread, NULL, s_worker_run, worker)) {
            log_error ("intake: cannot start intake thread %zu", index);
            intake_destroy (&self);
            return NULL;
        }
        worker->started = true;
    }
    return self;
}

void
intake_stop (intake_t *self)
{
    assert (self);
    if (self->stopped)
        return;
    pthread_mutex_lock (&self->mutex);
    self->stopping = true;
    for (size_t index = 0; index < self->worker_count; index++) {
        s_worker_t *worker = &self->workers[index];
        if (worker->upload)
            atomic_store (&worker->upload->abandon, true);
        pthread_cond_signal (&worker->wake);
    }
    pthread_mutex_unlock (&self->mutex);
    for (size_t index = 0; index < self->worker_count; index++)
        if (self->workers[index].started)
            pthread_join (self->workers[index].thread, NULL);
    self->stopped = true;
}

void
intake_destroy (intake_t **self_p)
{
    assert (self_p);
    intake_t *self = *self_p;
    if (!self)
        return;
    intake_stop (self);
    for (size_t index = 0; index < self->worker_count; index++) {
        jobstore_destroy (&self->workers[index].store);
        pthread_cond_destroy (&self->workers[index].wake);
    }
    free (self->workers);
    pthread_mutex_destroy (&self->mutex);
    free (self);
    *self_p = NULL;
}

static void
s_new_job_id (char *id)
{
    zuuid_t *uuid = zuuid_new ();
    assert (uuid);
    const char *text = zuuid_str (uuid);
    assert (strlen (text) == PROTO_JOB_ID_LENGTH);
    for (size_t index = 0; index < PROTO_JOB_ID_LENGTH; index++)
        id[index] = (char)tolower ((unsigned char)text[index]);
    id[PROTO_JOB_ID_LENGTH] = '\0';
    zuuid_destroy (&uuid);
}

//  True when the spool's disk has room for more bytes and min_free_bytes
//  beside; logged when it has not.
static bool
s_has_room (intake_t *self, uint64_t more)
{
    uint64_t free_bytes = s_free_bytes (self->config.spool_dir);
    uint64_t wanted = self->config.min_free_bytes;
    bool room = more <= free_bytes && wanted <= free_bytes - more;
    if (!room)
        log_warning ("intake: %s has %" PRIu64 " bytes free; an upload "
                     "needs %" PRIu64 " and %" PRIu64 " must stay free",
                     self->config.spool_dir, free_bytes, more, wanted);
    return room;
}

intake_upload_t *
intake_begin (intake_t *self, uint64_t expected_bytes, const char *owner,
              bool dry_run, intake_refusal_t *refusal)
{
    assert (self);
    assert (refusal);
    assert (!owner || strlen (owner) <= APITOKEN_NAME_MAX);
    uint64_t needed = expected_bytes <= UINT64_MAX / INTAKE_DISK_FACTOR
                          ? expected_bytes * INTAKE_DISK_FACTOR
                          : UINT64_MAX;
    if (!s_has_room (self, needed)) {
        *refusal = INTAKE_NO_SPACE;
        return NULL;
    }
    pthread_mutex_lock (&self->mutex);
    s_worker_t *worker = NULL;
    for (size_t index = 0; index < self->worker_count && !self->stopping;
         index++)
        if (!self->workers[index].upload) {
            worker = &self->workers[index];
            break;
        }
    if (!worker) {
        pthread_mutex_unlock (&self->mutex);
        *refusal = INTAKE_BUSY;
        return NULL;
    }
    intake_upload_t *upload =
        (intake_upload_t *)zmalloc (sizeof (intake_upload_t));
    assert (upload);
    upload->intake = self;
    upload->worker = worker;
    s_new_job_id (upload->job_id);
    if (owner)
        strcpy (upload->owner, owner);
    upload->dry_run = dry_run;
    upload->spool_path =
        zsys_sprintf ("%s/%s.upload", self->config.spool_dir, upload->job_id);
    assert (upload->spool_path);
    upload->spool_fd =
        open (upload->spool_path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (upload->spool_fd == -1) {
        log_error ("intake: cannot create %s: %s", upload->spool_path,
                   strerror (errno));
        pthread_mutex_unlock (&self->mutex);
        free (upload->spool_path);
        free (upload);
        *refusal = INTAKE_NO_SPACE;
        return NULL;
    }
    upload->next_check = INTAKE_SPACE_CHECK_BYTES;
    upload->refs = 2;
    worker->upload = upload;
    pthread_cond_signal (&worker->wake);
    pthread_mutex_unlock (&self->mutex);
    return upload;
}

int
intake_write (intake_upload_t *upload, const void *data, size_t size)
{
    assert (upload);
    intake_t *self = upload->intake;
    upload->counted += size;
    if (atomic_load (&upload->decided) || atomic_load (&upload->abandon))
        return 0;
    if (upload->counted >= upload->next_check) {
        upload->next_check = upload->counted + INTAKE_SPACE_CHECK_BYTES;
        if (!s_has_room (self, size * INTAKE_DISK_FACTOR))
            return -1;
    }
    if (fsio_write_all (upload->spool_fd, data, size) == -1) {
        log_error ("intake: job=%s: cannot write %s: %s", upload->job_id,
                   upload->spool_path, strerror (errno));
        return -1;
    }
    pthread_mutex_lock (&self->mutex);
    upload->written += size;
    pthread_cond_signal (&upload->worker->wake);
    pthread_mutex_unlock (&self->mutex);
    return 0;
}

bool
intake_end (intake_upload_t *upload, intake_wake_fn *suspend,
            intake_wake_fn *resume, void *arg)
{
    assert (upload);
    assert (suspend && resume);
    intake_t *self = upload->intake;
    pthread_mutex_lock (&self->mutex);
    assert (!upload->ended);
    upload->ended = true;
    pthread_cond_signal (&upload->worker->wake);
    bool known = upload->known;
    if (!known) {
        suspend (arg);
        upload->suspended = true;
        upload->resume = resume;
        upload->resume_arg = arg;
    }
    pthread_mutex_unlock (&self->mutex);
    return known;
}

admission_outcome_t
intake_outcome (intake_upload_t *upload, const fielderr_t **err_p)
{
    assert (upload);
    intake_t *self = upload->intake;
    pthread_mutex_lock (&self->mutex);
    admission_outcome_t outcome =
        upload->known ? upload->outcome : ADMISSION_PENDING;
    pthread_mutex_unlock (&self->mutex);
    //  Written before known was set, and never again.
    if (err_p)
        *err_p = &upload->error;
    return outcome;
}

const char *
intake_job_id (intake_upload_t *upload)
{
    assert (upload);
    return upload->job_id;
}

uint32_t
intake_pages (intake_upload_t *upload)
{
    assert (upload);
    return upload->pages;
}

uint32_t
intake_chunks (intake_upload_t *upload)
{
    assert (upload);
    return upload->chunks;
}

void
intake_drop (intake_upload_t **upload_p)
{
    assert (upload_p);
    intake_upload_t *upload = *upload_p;
    if (!upload)
        return;
    intake_t *self = upload->intake;
    pthread_mutex_lock (&self->mutex);
    if (!upload->known) {
        atomic_store (&upload->abandon, true);
        pthread_cond_signal (&upload->worker->wake);
    }
    upload->resume = NULL;
    upload->suspended = false;
    s_upload_release (upload);
    pthread_mutex_unlock (&self->mutex);
    *upload_p = NULL;
}
