/*  store - where finished documents go: the storage back end.

    store_new dispatches on the URL's scheme to a back end's open function;
    each store_t carries its kind and the functions switch on it. The S3
    back end is a thin layer over common/store/s3: it maps keys under the prefix
    and turns the client's results into the store's contract.

    SPDX-License-Identifier: MPL-2.0
*/
#include "store.h"

#include <assert.h>
#include <ctype.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "ident.h"
#include "log.h"
#include "proto.h"
#include "s3.h"

#define S_FILE_SCHEME "file://"
#define S_S3_SCHEME "s3://"

typedef enum {
    S_KIND_FILE,
    S_KIND_S3,
} s_kind_t;

struct _store_t {
    s_kind_t kind;
    char *url;    // canonical, e.g. file:///abs/dir or s3://bucket/prefix
    char *dir;    // S_KIND_FILE: absolute directory
    s3_t *s3;     // S_KIND_S3: the client
    char *bucket; // S_KIND_S3
    char *prefix; // S_KIND_S3: "" or a valid key, without trailing '/'
};

//  file:// URLs carry the path percent-encoded; keep RFC 3986's unreserved
//  characters and '/' as they are.
static char *
s_file_url (const char *path)
{
    size_t length = strlen (path);
    char *url = malloc (strlen (S_FILE_SCHEME) + 3 * length + 1);
    if (!url)
        return NULL;
    char *cursor = url + sprintf (url, "%s", S_FILE_SCHEME);
    for (const char *letter = path; *letter; letter++) {
        unsigned char byte = (unsigned char)*letter;
        if (isalnum (byte) || strchr ("-._~/", byte))
            *cursor++ = (char)byte;
        else
            cursor += sprintf (cursor, "%%%02X", byte);
    }
    *cursor = '\0';
    return url;
}

static store_t *
s_file_open (const char *dir)
{
    if (dir[0] == '\0') {
        log_error ("store: the directory of a file:// store is empty");
        return NULL;
    }
    if (fsio_mkdir_p (dir) == -1) {
        log_error ("store: cannot create %s: %s", dir, strerror (errno));
        return NULL;
    }
    char absolute[PATH_MAX];
    if (!realpath (dir, absolute)) {
        log_error ("store: cannot resolve %s: %s", dir, strerror (errno));
        return NULL;
    }
    store_t *self = calloc (1, sizeof (store_t));
    if (!self)
        return NULL;
    self->kind = S_KIND_FILE;
    self->dir = strdup (absolute);
    self->url = s_file_url (absolute);
    if (!self->dir || !self->url) {
        log_error ("store: out of memory");
        store_destroy (&self);
    }
    return self;
}

static store_t *
s_s3_open (const char *url)
{
    char *bucket = NULL, *prefix = NULL;
    if (s3_parse_url (url, &bucket, &prefix) == -1) {
        log_error ("store: %s is not s3://BUCKET[/PREFIX] with a valid "
                   "bucket name",
                   url);
        return NULL;
    }
    size_t length = strlen (prefix);
    if (length > 0 && prefix[length - 1] == '/')
        prefix[--length] = '\0';
    if (length > 0 &&
        (!store_key_valid (prefix) || length > STORE_KEY_MAX / 2)) {
        log_error ("store: the prefix of %s must follow the key rules "
                   "(segments of A-Z a-z 0-9 . _ -, none starting with '.') "
                   "and have at most %d characters",
                   url, STORE_KEY_MAX / 2);
        free (bucket);
        free (prefix);
        return NULL;
    }
    store_t *self = calloc (1, sizeof (store_t));
    if (!self) {
        free (bucket);
        free (prefix);
        return NULL;
    }
    self->kind = S_KIND_S3;
    self->bucket = bucket;
    self->prefix = prefix;
    self->url = length ? zsys_sprintf ("s3://%s/%s", bucket, prefix)
                       : zsys_sprintf ("s3://%s", bucket);
    s3_config_t config;
    char error[S3_ERROR_MAX];
    if (s3_config_from_env (&config, error) == 0)
        self->s3 = s3_new (&config, error);
    if (!self->s3 || !self->url) {
        log_error ("store: cannot use %s: %s", url,
                   self->url ? error : "out of memory");
        store_destroy (&self);
    }
    return self;
}

store_t *
store_new (const char *url)
{
    assert (url);
    if (strncmp (url, S_FILE_SCHEME, strlen (S_FILE_SCHEME)) == 0)
        return s_file_open (url + strlen (S_FILE_SCHEME));
    if (strncmp (url, S_S3_SCHEME, strlen (S_S3_SCHEME)) == 0)
        return s_s3_open (url);
    const char *separator = strstr (url, "://");
    if (separator) {
        log_error ("store: unsupported scheme '%.*s' in %s (this build has "
                   "file:// and s3://)",
                   (int)(separator - url), url, url);
        return NULL;
    }
    return s_file_open (url);
}

void
store_destroy (store_t **self_p)
{
    assert (self_p);
    store_t *self = *self_p;
    if (!self)
        return;
    free (self->url);
    free (self->dir);
    s3_destroy (&self->s3);
    free (self->bucket);
    free (self->prefix);
    free (self);
    *self_p = NULL;
}

const char *
store_url (store_t *self)
{
    assert (self);
    return self->url;
}

bool
store_key_valid (const char *key)
{
    return ident_key_valid (key, STORE_KEY_MAX);
}

//  Link from (a complete, synced file) as dest, never over a file there
//  (create-exclusive), unless owner says that file is this job's own (see
//  "Owners" in store.h): then it is replaced, atomically. Returns -1 with
//  errno set.
static int
s_file_link (const char *from, const char *dest, const char *owner,
             const char *key)
{
    if (link (from, dest) == 0)
        return 0;
    if (errno != EEXIST || !owner)
        return -1;
    log_warning ("job=%s store: replacing %s, stored for this job before a "
                 "restart",
                 owner, key);
    return rename (from, dest);
}

//  A temporary name in dest's directory for a copy: hidden (keys have no
//  segment starting with '.'), unique to this put. Caller frees.
static char *
s_file_temp (const char *dest_dir)
{
    return zsys_sprintf ("%s/.put-%d-%08x", dest_dir, (int)getpid (),
                         (unsigned)randof (0x7fffffff));
}

static int
s_file_put (store_t *self, const char *key, const char *path, const char *owner,
            char **location_p, uint64_t *bytes_p, char *error)
{
    char *dest = store_local_path (self, key);
    char *dest_dir = NULL;
    char *location = NULL;
    char *copy = NULL;
    int source = -1;
    int rc = -1;
    struct stat info;
    char fsio_error[FSIO_ERROR_MAX];
    if (!dest) {
        snprintf (error, STORE_ERROR_MAX, "store: out of memory");
        goto cleanup;
    }
    dest_dir = strdup (dest);
    location = s_file_url (dest);
    if (!dest_dir || !location) {
        snprintf (error, STORE_ERROR_MAX, "store: out of memory");
        goto cleanup;
    }
    *strrchr (dest_dir, '/') = '\0';
    if (fsio_mkdir_p (dest_dir) == -1) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot create %s: %s",
                  dest_dir, strerror (errno));
        goto cleanup;
    }
    //  The caller may not have synced the file; a link of unsynced data
    //  can leave an empty file under the final name after a crash.
    source = open (path, O_RDONLY);
    if (source == -1 || fstat (source, &info) == -1 || fsync (source) == -1) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot read %s: %s", path,
                  strerror (errno));
        goto cleanup;
    }
    if (!S_ISREG (info.st_mode)) {
        snprintf (error, STORE_ERROR_MAX, "store: %s is not a regular file",
                  path);
        goto cleanup;
    }
    int linked = link (path, dest);
    if (linked == -1 && errno == EXDEV) {
        //  Another file system: copy it next to dest first.
        copy = s_file_temp (dest_dir);
        if (!copy) {
            snprintf (error, STORE_ERROR_MAX, "store: out of memory");
            goto cleanup;
        }
        if (fsio_copy_fd (source, path, copy, fsio_error) == -1) {
            snprintf (error, STORE_ERROR_MAX, "store: %.1000s", fsio_error);
            zstr_free (&copy);
            goto cleanup;
        }
        linked = s_file_link (copy, dest, owner, key);
    } else if (linked == -1 && errno == EEXIST)
        linked = s_file_link (path, dest, owner, key);
    if (linked == -1) {
        if (errno == EEXIST)
            snprintf (error, STORE_ERROR_MAX,
                      "store: an object already exists under '%.200s'; a put "
                      "never replaces one",
                      key);
        else
            snprintf (error, STORE_ERROR_MAX, "store: cannot create %s: %s",
                      dest, strerror (errno));
        goto cleanup;
    }
    if (fsio_fsync_dir (dest_dir) == -1) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot fsync %s: %s",
                  dest_dir, strerror (errno));
        //  Keep the contract: a failed put leaves nothing under key.
        unlink (dest);
        goto cleanup;
    }
    unlink (path);
    *location_p = location;
    location = NULL;
    *bytes_p = (uint64_t)info.st_size;
    rc = 0;

cleanup:
    if (copy) {
        unlink (copy);
        zstr_free (&copy);
    }
    if (source != -1)
        close (source);
    free (location);
    free (dest_dir);
    free (dest);
    return rc;
}

//  The object key of key: under the prefix, when there is one. Caller
//  frees.
static char *
s_s3_key (store_t *self, const char *key)
{
    return *self->prefix ? zsys_sprintf ("%s/%s", self->prefix, key)
                         : strdup (key);
}

static int
s_s3_put (store_t *self, const char *key, const char *path,
          const store_put_options_t *options, char **location_p,
          uint64_t *bytes_p, char *error)
{
    char *object_key = s_s3_key (self, key);
    char *location = store_location (self, key);
    int rc = -1;
    if (!location) {
        snprintf (error, STORE_ERROR_MAX, "store: out of memory");
        goto cleanup;
    }
    s3_put_options_t put_options = {
        .content_type = options ? options->content_type : NULL,
        .content_disposition = options ? options->content_disposition : NULL,
        .log_context = options ? options->log_context : NULL,
        .owner = options ? options->owner : NULL,
    };
    s3_put_result_t result;
    char s3_error[S3_ERROR_MAX];
    int put_rc = s3_put_file (self->s3, self->bucket, object_key, path,
                              &put_options, &result, s3_error);
    if (put_rc == -1 && result.existed) {
        //  Under the owner's own id (checked by store_put_file): stored for
        //  this job before a restart. Removed, then created again.
        log_warning ("job=%s store: replacing s3://%s/%s, stored for this "
                     "job before a restart",
                     put_options.owner, self->bucket, object_key);
        put_rc = s3_delete (self->s3, self->bucket, object_key, s3_error);
        if (put_rc == 0)
            put_rc = s3_put_file (self->s3, self->bucket, object_key, path,
                                  &put_options, &result, s3_error);
    }
    if (put_rc == -1) {
        if (result.existed)
            snprintf (error, STORE_ERROR_MAX,
                      "store: an object already exists under '%.200s'; a put "
                      "never replaces one",
                      key);
        else
            snprintf (error, STORE_ERROR_MAX, "store: %.1000s", s3_error);
        goto cleanup;
    }
    //  The object is complete in the bucket; the file is ours to drop.
    if (unlink (path) == -1)
        log_warning ("%s%sstore: cannot remove %s after uploading it: %s",
                     put_options.log_context ? put_options.log_context : "",
                     put_options.log_context ? " " : "", path,
                     strerror (errno));
    *location_p = location;
    location = NULL;
    *bytes_p = result.bytes;
    rc = 0;

cleanup:
    free (location);
    zstr_free (&object_key);
    return rc;
}

static int
s_s3_remove (store_t *self, const char *key, char *error)
{
    char *object_key = s_s3_key (self, key);
    if (!object_key) {
        snprintf (error, STORE_ERROR_MAX, "store: out of memory");
        return -1;
    }
    char s3_error[S3_ERROR_MAX];
    int rc = s3_delete (self->s3, self->bucket, object_key, s3_error);
    if (rc == -1)
        snprintf (error, STORE_ERROR_MAX, "store: %.1000s", s3_error);
    zstr_free (&object_key);
    return rc;
}

bool
store_key_owned (const char *key, const char *owner)
{
    if (!key || !owner || !ident_valid_str (owner, PROTO_JOB_ID_MAX))
        return false;
    size_t length = strlen (owner);
    return strncmp (key, owner, length) == 0 && key[length] == '/';
}

//  Returns 0 for a valid key, under owner's id when owner is not NULL,
//  else -1 with error filled.
static int
s_check_key (const char *key, const char *owner, char *error)
{
    if (!store_key_valid (key)) {
        snprintf (error, STORE_ERROR_MAX, "store: invalid key '%.200s'",
                  key ? key : "");
        return -1;
    }
    if (owner && !store_key_owned (key, owner)) {
        snprintf (error, STORE_ERROR_MAX,
                  "store: key '%.200s' is not under the job's own id", key);
        return -1;
    }
    return 0;
}

//  Remove the directories between path (an object just removed) and the
//  owner's own directory, that one included, as long as they are empty:
//  a job's results are all under "<owner>/", which goes with the last.
static void
s_remove_empty_dirs (store_t *self, const char *owner, char *path)
{
    char *top = store_local_path (self, owner);
    if (!top)
        return;
    size_t top_length = strlen (top);
    char *slash = strrchr (path, '/');
    while (slash && (size_t)(slash - path) >= top_length) {
        *slash = '\0';
        if (rmdir (path) == -1) // not empty: an object of the owner's
            break;
        slash = strrchr (path, '/');
    }
    free (top);
}

int
store_put_file (store_t *self, const char *key, const char *path,
                const store_put_options_t *options, char **location_p,
                uint64_t *bytes_p, char *error)
{
    assert (self);
    assert (path);
    assert (location_p);
    assert (bytes_p);
    assert (error);
    const char *owner = options ? options->owner : NULL;
    if (s_check_key (key, owner, error) == -1)
        return -1;
    switch (self->kind) {
    case S_KIND_FILE: {
        int rc = s_file_put (self, key, path, owner, location_p, bytes_p,
                             error);
        //  A put that failed (a full disk) leaves no empty directory.
        char *target = rc == -1 && owner ? store_local_path (self, key) : NULL;
        if (target)
            s_remove_empty_dirs (self, owner, target);
        free (target);
        return rc;
    }
    case S_KIND_S3:
        return s_s3_put (self, key, path, options, location_p, bytes_p, error);
    }
    return -1;
}

int
store_remove (store_t *self, const char *owner, const char *key, char *error)
{
    assert (self);
    assert (error);
    if (s_check_key (key, owner, error) == -1)
        return -1;
    switch (self->kind) {
    case S_KIND_FILE: {
        char *path = store_local_path (self, key);
        int rc = 0;
        if (!path) {
            snprintf (error, STORE_ERROR_MAX, "store: out of memory");
            rc = -1;
        } else if (unlink (path) == -1 && errno != ENOENT) {
            snprintf (error, STORE_ERROR_MAX, "store: cannot remove %s: %s",
                      path, strerror (errno));
            rc = -1;
        } else if (owner)
            s_remove_empty_dirs (self, owner, path);
        free (path);
        return rc;
    }
    case S_KIND_S3:
        return s_s3_remove (self, key, error);
    }
    return -1;
}

char *
store_location (store_t *self, const char *key)
{
    assert (self);
    if (!store_key_valid (key))
        return NULL;
    if (self->kind == S_KIND_FILE) {
        char *path = store_local_path (self, key);
        char *location = path ? s_file_url (path) : NULL;
        free (path);
        return location;
    }
    char *object_key = s_s3_key (self, key);
    char *location = object_key
                         ? zsys_sprintf ("s3://%s/%s", self->bucket, object_key)
                         : NULL;
    zstr_free (&object_key);
    return location;
}

bool
store_is_local (store_t *self)
{
    assert (self);
    return self->kind == S_KIND_FILE;
}

char *
store_local_path (store_t *self, const char *key)
{
    assert (self);
    if (self->kind != S_KIND_FILE || !store_key_valid (key))
        return NULL;
    size_t size = strlen (self->dir) + 1 + strlen (key) + 1;
    char *path = malloc (size);
    if (path)
        snprintf (path, size, "%s/%s", self->dir, key);
    return path;
}

char *
store_presign_get (store_t *self, const char *key, int64_t now,
                   int64_t *expires_at_p)
{
    assert (self);
    if (self->kind != S_KIND_S3 || !store_key_valid (key))
        return NULL;
    char *object_key = s_s3_key (self, key);
    char *url = object_key ? s3_presign_get (self->s3, self->bucket, object_key,
                                             now, expires_at_p)
                           : NULL;
    zstr_free (&object_key);
    return url;
}

int
store_s3_object (store_t *self, const char *key, char **bucket_p,
                 char **object_key_p)
{
    assert (self);
    assert (bucket_p && object_key_p);
    if (self->kind != S_KIND_S3 || !store_key_valid (key))
        return -1;
    *bucket_p = strdup (self->bucket);
    *object_key_p = s_s3_key (self, key);
    if (!*bucket_p || !*object_key_p) {
        zstr_free (bucket_p);
        zstr_free (object_key_p);
        return -1;
    }
    return 0;
}
