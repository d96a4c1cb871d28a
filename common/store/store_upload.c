/*  store_upload - putting a file into an S3 store while it is still being
    written.

    The creator's thread and the part thread share only the fields under
    lock: how many bytes are final, whether the total is known, a stop
    request, and the thread's outcome. The S3 client, the descriptor and
    the ETags belong to the part thread while it runs and to the creator
    once it has been joined (complete and abort happen after the join).

    SPDX-License-Identifier: MPL-2.0
*/
#include "store_upload.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "s3.h"

struct _store_upload_t {
    store_t *store; // borrowed, for the location
    char *key;
    char *bucket;
    char *object_key;
    char *path;
    char *context; // "job=<id>" or ""
    char *upload_id;
    s3_t *s3;
    int fd;
    uint64_t part_size;
    char (*etags)[S3_ETAG_MAX]; // parts' ETags, etags[0] is part 1's
    sigv4_sha256_t *whole;      // of the bytes sent so far, in order
    int64_t started;            // ms, zclock_mono (), at store_upload_new
    uint32_t etags_size;        // slots allocated
    pthread_t thread;
    bool thread_started;
    bool finished; // completed: nothing to abort
    pthread_mutex_t lock;
    pthread_cond_t changed;
    //  Under lock:
    uint64_t final_bytes; // leading bytes that are final
    bool total_known;     // final_bytes is the whole file
    bool stop;            // give up: the upload is to be aborted
    bool thread_done;     // the thread has ended
    bool failed;          // a part failed; error says why
    uint64_t sent;        // bytes uploaded in parts
    uint32_t parts;       // parts uploaded
    uint32_t retries;     // requests sent again, all operations
    char error[STORE_ERROR_MAX];
};

//  Room for part_nbr's ETag. Returns -1 when out of memory.
static int
s_etag_room (store_upload_t *self, uint32_t part_nbr)
{
    if (part_nbr <= self->etags_size)
        return 0;
    uint32_t size = self->etags_size ? self->etags_size * 2 : 64;
    if (size > S3_PARTS_MAX)
        size = S3_PARTS_MAX;
    void *etags = realloc (self->etags, (size_t)size * S3_ETAG_MAX);
    if (!etags)
        return -1;
    self->etags = etags;
    self->etags_size = size;
    return 0;
}

//  The next part to send, waiting until there is one: its length, or 0
//  when the thread is to end. Called and returns with the lock held.
static uint64_t
s_next_part (store_upload_t *self)
{
    while (true) {
        if (self->stop || self->failed)
            return 0;
        uint64_t ready = self->final_bytes - self->sent;
        if (self->total_known)
            return ready < self->part_size ? ready : self->part_size;
        //  Before the end a part must be a whole part: S3 refuses short
        //  parts but the last.
        if (ready >= self->part_size)
            return self->part_size;
        pthread_cond_wait (&self->changed, &self->lock);
    }
}

static void *
s_thread (void *arg)
{
    store_upload_t *self = arg;
    pthread_mutex_lock (&self->lock);
    uint64_t length;
    while ((length = s_next_part (self)) > 0) {
        uint32_t part_nbr = self->parts + 1;
        uint64_t offset = self->sent;
        pthread_mutex_unlock (&self->lock);
        char error[S3_ERROR_MAX] = "out of memory";
        int rc = -1;
        if (part_nbr > S3_PARTS_MAX)
            snprintf (error, sizeof (error),
                      "the file needs more than %d parts of %" PRIu64
                      " bytes: raise PDFPIPE_S3_PART_SIZE_MB",
                      S3_PARTS_MAX, self->part_size);
        else if (s_etag_room (self, part_nbr) == 0) {
            s3_part_t part = {
                .part_nbr = part_nbr,
                .fd = self->fd,
                .path = self->path,
                .offset = offset,
                .length = length,
                .whole = self->whole,
            };
            rc = s3_multipart_put (
                self->s3, self->bucket, self->object_key, self->upload_id,
                &part, self->etags[part_nbr - 1], self->context, error);
        }
        pthread_mutex_lock (&self->lock);
        self->retries += s3_retries (self->s3);
        if (rc == -1) {
            self->failed = true;
            snprintf (self->error, sizeof (self->error), "store: %.1000s",
                      error);
            break;
        }
        log_debug ("%s%sstore: part %u of s3://%s/%s up (%" PRIu64
                   " bytes at %" PRIu64 ")",
                   self->context, *self->context ? " " : "", part_nbr,
                   self->bucket, self->object_key, length, offset);
        self->sent += length;
        self->parts = part_nbr;
    }
    self->thread_done = true;
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

//  Stop the thread (when stop) or let it finish, and join it.
static void
s_join (store_upload_t *self, bool stop)
{
    if (!self->thread_started)
        return;
    pthread_mutex_lock (&self->lock);
    if (stop)
        self->stop = true;
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    self->thread_started = false;
}

//  Abort the multipart upload; error, when not NULL, gets why it failed.
static int
s_abort (store_upload_t *self, char *error)
{
    char s3_error[S3_ERROR_MAX];
    if (s3_multipart_abort (self->s3, self->bucket, self->object_key,
                            self->upload_id, self->context, s3_error) == 0) {
        log_info ("%s%sstore: multipart upload of s3://%s/%s aborted",
                  self->context, *self->context ? " " : "", self->bucket,
                  self->object_key);
        return 0;
    }
    //  Parts left behind cost money until someone removes them.
    log_error ("%s%sstore: multipart upload %s of s3://%s/%s left behind: %s",
               self->context, *self->context ? " " : "", self->upload_id,
               self->bucket, self->object_key, s3_error);
    if (error) {
        size_t used = strlen (error);
        snprintf (error + used, STORE_ERROR_MAX - used,
                  "; the upload could not be aborted either");
    }
    return -1;
}

store_upload_t *
store_upload_new (store_t *store, const char *key, const char *path,
                  const store_put_options_t *options, uint64_t part_size,
                  char *error)
{
    assert (store && key && path && error);
    if (options && options->owner && !store_key_owned (key, options->owner)) {
        snprintf (error, STORE_ERROR_MAX,
                  "store: key %s is not under job %s's own id", key,
                  options->owner);
        return NULL;
    }
    store_upload_t *self = calloc (1, sizeof (store_upload_t));
    if (!self) {
        snprintf (error, STORE_ERROR_MAX, "store: out of memory");
        return NULL;
    }
    self->fd = -1;
    self->started = zclock_mono ();
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->changed, NULL);
    s3_put_options_t put_options = {
        .content_type = options ? options->content_type : NULL,
        .content_disposition = options ? options->content_disposition : NULL,
        .log_context = options ? options->log_context : NULL,
        .owner = options ? options->owner : NULL,
    };
    self->store = store;
    self->key = strdup (key);
    self->path = strdup (path);
    self->context =
        strdup (put_options.log_context ? put_options.log_context : "");
    self->whole = sigv4_sha256_new ();
    if (!self->key || !self->path || !self->context || !self->whole) {
        snprintf (error, STORE_ERROR_MAX, "store: out of memory");
        goto failed;
    }
    if (store_s3_object (store, key, &self->bucket, &self->object_key) == -1) {
        snprintf (error, STORE_ERROR_MAX,
                  "store: only an S3 store takes a streamed upload (key "
                  "'%.200s')",
                  key);
        goto failed;
    }
    s3_config_t config;
    char s3_error[S3_ERROR_MAX];
    if (s3_config_from_env (&config, s3_error) == 0)
        self->s3 = s3_new (&config, s3_error);
    if (!self->s3) {
        snprintf (error, STORE_ERROR_MAX, "store: %.1000s", s3_error);
        goto failed;
    }
    self->part_size = part_size ? part_size : config.part_size;
    if (self->part_size < S3_PART_SIZE_MIN ||
        self->part_size > S3_PART_SIZE_MAX) {
        snprintf (error, STORE_ERROR_MAX,
                  "store: a part of %" PRIu64 " bytes is outside S3's "
                  "%" PRIu64 " to %" PRIu64,
                  self->part_size, S3_PART_SIZE_MIN, S3_PART_SIZE_MAX);
        goto failed;
    }
    self->fd = open (path, O_RDONLY | O_CLOEXEC);
    if (self->fd == -1) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot read %.900s: %s", path,
                  strerror (errno));
        goto failed;
    }
    self->upload_id = s3_multipart_start (
        self->s3, self->bucket, self->object_key, &put_options, s3_error);
    self->retries = s3_retries (self->s3);
    if (!self->upload_id) {
        snprintf (error, STORE_ERROR_MAX, "store: %.1000s", s3_error);
        goto failed;
    }
    if (pthread_create (&self->thread, NULL, s_thread, self) != 0) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot start a thread");
        s_abort (self, NULL);
        goto failed;
    }
    self->thread_started = true;
    return self;

failed:
    self->finished = true; // nothing to abort
    store_upload_destroy (&self);
    return NULL;
}

void
store_upload_destroy (store_upload_t **self_p)
{
    assert (self_p);
    store_upload_t *self = *self_p;
    if (!self)
        return;
    s_join (self, true);
    if (!self->finished && self->upload_id)
        s_abort (self, NULL);
    if (self->fd != -1)
        close (self->fd);
    s3_destroy (&self->s3);
    pthread_cond_destroy (&self->changed);
    pthread_mutex_destroy (&self->lock);
    free (self->etags);
    sigv4_sha256_destroy (&self->whole);
    free (self->upload_id);
    free (self->context);
    free (self->path);
    free (self->object_key);
    free (self->bucket);
    free (self->key);
    free (self);
    *self_p = NULL;
}

const char *
store_upload_id (store_upload_t *self)
{
    assert (self);
    return self->upload_id;
}

void
store_upload_grow (store_upload_t *self, uint64_t final_bytes)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    if (!self->total_known && final_bytes > self->final_bytes) {
        self->final_bytes = final_bytes;
        pthread_cond_broadcast (&self->changed);
    }
    pthread_mutex_unlock (&self->lock);
}

uint32_t
store_upload_parts (store_upload_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    uint32_t parts = self->parts;
    pthread_mutex_unlock (&self->lock);
    return parts;
}

int
store_upload_finish (store_upload_t *self, uint64_t total_bytes,
                     char **location_p, char *error)
{
    assert (self);
    assert (location_p && error);
    assert (!self->finished);
    pthread_mutex_lock (&self->lock);
    if (total_bytes < self->final_bytes) {
        self->failed = true;
        snprintf (self->error, sizeof (self->error),
                  "store: the file shrank to %" PRIu64 " bytes after %" PRIu64
                  " were final",
                  total_bytes, self->final_bytes);
    }
    self->final_bytes = total_bytes;
    self->total_known = true;
    pthread_mutex_unlock (&self->lock);
    s_join (self, false);
    //  Joined: everything is this thread's again.
    int rc = -1;
    char s3_error[S3_ERROR_MAX];
    char *location = store_location (self->store, self->key);
    if (self->failed)
        snprintf (error, STORE_ERROR_MAX, "%s", self->error);
    else if (self->parts == 0 || self->sent != total_bytes)
        snprintf (error, STORE_ERROR_MAX,
                  "store: nothing to upload for s3://%s/%s", self->bucket,
                  self->object_key);
    else if (!location)
        snprintf (error, STORE_ERROR_MAX, "store: out of memory");
    else {
        char **etags = calloc (self->parts, sizeof (char *));
        for (uint32_t part = 0; etags && part < self->parts; part++)
            etags[part] = self->etags[part];
        if (!etags)
            snprintf (error, STORE_ERROR_MAX, "store: out of memory");
        else if (s3_multipart_complete (
                     self->s3, self->bucket, self->object_key, self->upload_id,
                     etags, self->parts, self->context, s3_error) == -1)
            snprintf (error, STORE_ERROR_MAX, "store: %.1000s", s3_error);
        else
            rc = 0;
        self->retries += s3_retries (self->s3);
        free (etags);
    }
    if (rc == 0) {
        self->finished = true;
        char sha256[SIGV4_HEX_SIZE];
        sigv4_sha256_finish (self->whole, sha256);
        //  The words of s3_put_file's line, which tests and people read.
        log_info ("%s%ss3: stored s3://%s/%s: %" PRIu64 " bytes, %u parts, "
                  "sha256 %s, streamed over %" PRId64 " ms, %u retries",
                  self->context, *self->context ? " " : "", self->bucket,
                  self->object_key, total_bytes, self->parts, sha256,
                  zclock_mono () - self->started, self->retries);
        *location_p = location;
        return 0;
    }
    free (location);
    s_abort (self, error);
    self->finished = true; // aborted, or logged: trying again would fail too
    return -1;
}

int
store_upload_abort_id (store_t *store, const char *key, const char *upload_id,
                       char *error)
{
    assert (store && key && upload_id && error);
    char *bucket = NULL, *object_key = NULL;
    if (store_s3_object (store, key, &bucket, &object_key) == -1) {
        snprintf (error, STORE_ERROR_MAX,
                  "store: key '%.200s' is not an S3 object of this store", key);
        return -1;
    }
    s3_config_t config;
    char s3_error[S3_ERROR_MAX];
    s3_t *s3 = NULL;
    int rc = -1;
    if (s3_config_from_env (&config, s3_error) == 0)
        s3 = s3_new (&config, s3_error);
    if (s3)
        rc = s3_multipart_abort (s3, bucket, object_key, upload_id, NULL,
                                 s3_error);
    if (rc == -1)
        snprintf (error, STORE_ERROR_MAX, "store: %.1000s", s3_error);
    s3_destroy (&s3);
    free (bucket);
    free (object_key);
    return rc;
}
