/*  store - where finished documents go: the storage back end.

    store_new dispatches on the URL's scheme to a back end's open function;
    each store_t carries its kind and the functions switch on it. The local
    directory back end is all there is so far.

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

#include "log.h"

#define S_FILE_SCHEME "file://"
#define S_COPY_BUFFER_SIZE (1024 * 1024) // bytes per read when copying

typedef enum {
    S_KIND_FILE,
} s_kind_t;

struct _store_t {
    s_kind_t kind;
    char *url; // canonical, e.g. file:///abs/dir
    char *dir; // S_KIND_FILE: absolute directory
};

static int
s_mkdir_p (const char *path)
{
    if (path[0] == '\0') {
        errno = EINVAL;
        return -1;
    }
    char *copy = strdup (path);
    if (!copy)
        return -1;
    int rc = 0;
    for (char *slash = strchr (copy + 1, '/'); rc == 0;
         slash = strchr (slash + 1, '/')) {
        if (slash)
            *slash = '\0';
        if (mkdir (copy, 0755) == -1 && errno != EEXIST)
            rc = -1;
        if (!slash)
            break;
        *slash = '/';
    }
    free (copy);
    return rc;
}

static int
s_fsync_dir (const char *path)
{
    int fd = open (path, O_RDONLY | O_DIRECTORY);
    if (fd == -1)
        return -1;
    int rc = fsync (fd);
    int saved_errno = errno;
    close (fd);
    errno = saved_errno;
    return rc;
}

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
    if (s_mkdir_p (dir) == -1) {
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

store_t *
store_new (const char *url)
{
    assert (url);
    if (strncmp (url, S_FILE_SCHEME, strlen (S_FILE_SCHEME)) == 0)
        return s_file_open (url + strlen (S_FILE_SCHEME));
    const char *separator = strstr (url, "://");
    if (separator) {
        log_error ("store: unsupported scheme '%.*s' in %s (this build has "
                   "file://)",
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
    if (!key)
        return false;
    size_t length = strlen (key);
    if (length == 0 || length > STORE_KEY_MAX)
        return false;
    bool segment_start = true;
    for (size_t index = 0; index < length; index++) {
        unsigned char letter = (unsigned char)key[index];
        if (segment_start && (letter == '/' || letter == '.'))
            return false;
        if (!isalnum (letter) && !strchr ("._/-", letter))
            return false;
        segment_start = letter == '/';
    }
    return !segment_start;
}

//  Copy the open file source to a temporary file in dest's directory,
//  fsync it and rename it to dest. Returns -1 and fills error.
static int
s_copy_into (int source, const char *source_path, const char *dest, char *error)
{
    char *temp_path = NULL;
    char *buffer = malloc (S_COPY_BUFFER_SIZE);
    int fd = -1;
    int rc = -1;
    int close_rc;
    const char *slash = strrchr (dest, '/');
    temp_path =
        zsys_sprintf ("%.*s/.%s.XXXXXX", (int)(slash - dest), dest, slash + 1);
    if (!buffer || !temp_path) {
        snprintf (error, STORE_ERROR_MAX, "store: out of memory");
        goto cleanup;
    }
    fd = mkstemp (temp_path);
    if (fd == -1) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot create %s: %s",
                  temp_path, strerror (errno));
        zstr_free (&temp_path);
        goto cleanup;
    }
    while (true) {
        ssize_t got = read (source, buffer, S_COPY_BUFFER_SIZE);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1) {
            snprintf (error, STORE_ERROR_MAX, "store: cannot read %s: %s",
                      source_path, strerror (errno));
            goto cleanup;
        }
        if (got == 0)
            break;
        for (ssize_t done = 0; done < got;) {
            ssize_t written = write (fd, buffer + done, (size_t)(got - done));
            if (written == -1 && errno == EINTR)
                continue;
            if (written == -1) {
                snprintf (error, STORE_ERROR_MAX, "store: cannot write %s: %s",
                          temp_path, strerror (errno));
                goto cleanup;
            }
            done += written;
        }
    }
    if (fsync (fd) == -1) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot write %s: %s",
                  temp_path, strerror (errno));
        goto cleanup;
    }
    close_rc = close (fd);
    fd = -1;
    if (close_rc == -1) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot write %s: %s",
                  temp_path, strerror (errno));
        goto cleanup;
    }
    if (rename (temp_path, dest) == -1) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot rename %s to %s: %s",
                  temp_path, dest, strerror (errno));
        goto cleanup;
    }
    zstr_free (&temp_path);
    rc = 0;

cleanup:
    if (fd != -1)
        close (fd);
    if (temp_path)
        unlink (temp_path);
    zstr_free (&temp_path);
    free (buffer);
    return rc;
}

static int
s_file_put (store_t *self, const char *key, const char *path, char **location_p,
            uint64_t *bytes_p, char *error)
{
    char *dest = zsys_sprintf ("%s/%s", self->dir, key);
    char *dest_dir = NULL;
    char *location = NULL;
    int source = -1;
    int rc = -1;
    bool moved = false;
    struct stat info;
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
    if (s_mkdir_p (dest_dir) == -1) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot create %s: %s",
                  dest_dir, strerror (errno));
        goto cleanup;
    }
    //  The caller may not have synced the file; a rename of unsynced data
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
    moved = rename (path, dest) == 0;
    if (!moved && errno != EXDEV) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot move %s to %s: %s",
                  path, dest, strerror (errno));
        goto cleanup;
    }
    if (!moved && s_copy_into (source, path, dest, error) == -1)
        goto cleanup;
    if (s_fsync_dir (dest_dir) == -1) {
        snprintf (error, STORE_ERROR_MAX, "store: cannot fsync %s: %s",
                  dest_dir, strerror (errno));
        //  Keep the contract: a failed put leaves the file where it was.
        if (moved)
            rename (dest, path);
        goto cleanup;
    }
    if (!moved)
        unlink (path);
    *location_p = location;
    location = NULL;
    *bytes_p = (uint64_t)info.st_size;
    rc = 0;

cleanup:
    if (source != -1)
        close (source);
    free (location);
    free (dest_dir);
    zstr_free (&dest);
    return rc;
}

int
store_put_file (store_t *self, const char *key, const char *path,
                char **location_p, uint64_t *bytes_p, char *error)
{
    assert (self);
    assert (path);
    assert (location_p);
    assert (bytes_p);
    assert (error);
    if (!store_key_valid (key)) {
        snprintf (error, STORE_ERROR_MAX, "store: invalid key '%.200s'",
                  key ? key : "");
        return -1;
    }
    switch (self->kind) {
    case S_KIND_FILE:
        return s_file_put (self, key, path, location_p, bytes_p, error);
    }
    return -1;
}

int
store_remove (store_t *self, const char *key, char *error)
{
    assert (self);
    assert (error);
    if (!store_key_valid (key)) {
        snprintf (error, STORE_ERROR_MAX, "store: invalid key '%.200s'",
                  key ? key : "");
        return -1;
    }
    switch (self->kind) {
    case S_KIND_FILE: {
        char *path = zsys_sprintf ("%s/%s", self->dir, key);
        int rc = 0;
        if (!path) {
            snprintf (error, STORE_ERROR_MAX, "store: out of memory");
            rc = -1;
        } else if (unlink (path) == -1 && errno != ENOENT) {
            snprintf (error, STORE_ERROR_MAX, "store: cannot remove %s: %s",
                      path, strerror (errno));
            rc = -1;
        }
        zstr_free (&path);
        return rc;
    }
    }
    return -1;
}
