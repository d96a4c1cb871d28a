/*  fsio - durable files: the POSIX steps that make a write survive a crash.

    fsync on the file makes its data durable, but not its name: a rename is
    a change to the directory, so the directory is fsynced after it. Every
    temporary file is made with mkstemp in the target's own directory, so
    the rename never crosses file systems.

    SPDX-License-Identifier: MPL-2.0
*/
#include "fsio.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_COPY_BUFFER_SIZE (1024 * 1024) // bytes per read when copying

//  Fills a temporary file; returns -1 and fills error.
typedef int (s_fill_fn) (int fd, const char *temp_path, void *arg, char *error);

int
fsio_mkdir_p (const char *path)
{
    assert (path);
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
    int saved_errno = errno;
    free (copy);
    errno = saved_errno;
    return rc;
}

static int
s_fsync_path (const char *path, int flags)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | flags);
    if (fd == -1)
        return -1;
    int rc = fsync (fd);
    int saved_errno = errno;
    close (fd);
    errno = saved_errno;
    return rc;
}

int
fsio_fsync_dir (const char *path)
{
    assert (path);
    return s_fsync_path (path, O_DIRECTORY);
}

int
fsio_fsync_file (const char *path)
{
    assert (path);
    return s_fsync_path (path, 0);
}

int
fsio_write_all (int fd, const void *data, size_t size)
{
    assert (data || size == 0);
    const char *cursor = data;
    while (size > 0) {
        ssize_t written = write (fd, cursor, size);
        if (written == -1 && errno == EINTR)
            continue;
        if (written == -1)
            return -1;
        cursor += written;
        size -= (size_t)written;
    }
    return 0;
}

//  The directory part of path ("." when it has none). Caller frees.
static char *
s_dir_of (const char *path)
{
    const char *slash = strrchr (path, '/');
    if (!slash)
        return strdup (".");
    if (slash == path)
        return strdup ("/");
    return strndup (path, (size_t)(slash - path));
}

//  "<dir>/.<name>.XXXXXX" for mkstemp. Caller frees.
static char *
s_temp_template (const char *path)
{
    const char *slash = strrchr (path, '/');
    const char *name = slash ? slash + 1 : path;
    int dir_length = slash ? (int)(slash - path) : 1;
    const char *dir = slash ? path : ".";
    size_t size = strlen (path) + 16;
    char *temp = malloc (size);
    if (temp)
        snprintf (temp, size, "%.*s/.%s.XXXXXX", dir_length, dir, name);
    return temp;
}

//  Rename temp_path over final_path and fsync the directory; when that
//  fsync fails, final_path is removed again.
static int
s_rename_durably (const char *temp_path, const char *final_path, char *error)
{
    if (rename (temp_path, final_path) == -1) {
        snprintf (error, FSIO_ERROR_MAX, "cannot rename %s to %s: %s",
                  temp_path, final_path, strerror (errno));
        return -1;
    }
    char *dir = s_dir_of (final_path);
    int rc = dir ? fsio_fsync_dir (dir) : -1;
    if (rc == -1) {
        snprintf (error, FSIO_ERROR_MAX, "cannot fsync %s: %s",
                  dir ? dir : final_path, strerror (dir ? errno : ENOMEM));
        unlink (final_path);
    }
    free (dir);
    return rc;
}

int
fsio_commit (const char *temp_path, const char *final_path, char *error)
{
    assert (temp_path);
    assert (final_path);
    assert (error);
    if (fsio_fsync_file (temp_path) == -1) {
        snprintf (error, FSIO_ERROR_MAX, "cannot fsync %s: %s", temp_path,
                  strerror (errno));
        return -1;
    }
    return s_rename_durably (temp_path, final_path, error);
}

//  Create a temporary file next to path, let fill write it, make it
//  durable and put it in place.
static int
s_write_durably (const char *path, bool keep_existing, s_fill_fn *fill,
                 void *arg, char *error)
{
    char *temp_path = s_temp_template (path);
    char *dir = s_dir_of (path);
    int fd = -1;
    int rc = -1;
    if (!temp_path || !dir) {
        snprintf (error, FSIO_ERROR_MAX, "out of memory");
        goto cleanup;
    }
    fd = mkstemp (temp_path);
    if (fd == -1) {
        snprintf (error, FSIO_ERROR_MAX, "cannot create %s: %s", temp_path,
                  strerror (errno));
        //  mkstemp leaves the template as it was: nothing to unlink.
        free (temp_path);
        temp_path = NULL;
        goto cleanup;
    }
    if (fill (fd, temp_path, arg, error) == -1)
        goto cleanup;
    if (fsync (fd) == -1) {
        snprintf (error, FSIO_ERROR_MAX, "cannot write %s: %s", temp_path,
                  strerror (errno));
        goto cleanup;
    }
    int close_rc = close (fd);
    fd = -1;
    if (close_rc == -1) {
        snprintf (error, FSIO_ERROR_MAX, "cannot write %s: %s", temp_path,
                  strerror (errno));
        goto cleanup;
    }
    if (keep_existing) {
        //  link fails on an existing target where rename would replace it.
        if (link (temp_path, path) == -1 && errno != EEXIST) {
            snprintf (error, FSIO_ERROR_MAX, "cannot create %s: %s", path,
                      strerror (errno));
            goto cleanup;
        }
        if (fsio_fsync_dir (dir) == -1) {
            snprintf (error, FSIO_ERROR_MAX, "cannot fsync %s: %s", dir,
                      strerror (errno));
            goto cleanup;
        }
    } else if (s_rename_durably (temp_path, path, error) == -1)
        goto cleanup;
    rc = 0;

cleanup:
    if (fd != -1)
        close (fd);
    //  After a rename the temporary name is gone; after a link or a
    //  failure it is still there.
    if (temp_path)
        unlink (temp_path);
    free (temp_path);
    free (dir);
    return rc;
}

typedef struct {
    const void *data;
    size_t size;
} s_buffer_t;

static int
s_fill_from_buffer (int fd, const char *temp_path, void *arg, char *error)
{
    s_buffer_t *buffer = arg;
    if (fsio_write_all (fd, buffer->data, buffer->size) == -1) {
        snprintf (error, FSIO_ERROR_MAX, "cannot write %s: %s", temp_path,
                  strerror (errno));
        return -1;
    }
    return 0;
}

int
fsio_write_file (const char *path, const void *data, size_t size,
                 bool keep_existing, char *error)
{
    assert (path);
    assert (data || size == 0);
    assert (error);
    s_buffer_t buffer = {data, size};
    return s_write_durably (path, keep_existing, s_fill_from_buffer, &buffer,
                            error);
}

typedef struct {
    int source;
    const char *source_name;
} s_source_t;

static int
s_fill_from_fd (int fd, const char *temp_path, void *arg, char *error)
{
    s_source_t *source = arg;
    char *buffer = malloc (S_COPY_BUFFER_SIZE);
    if (!buffer) {
        snprintf (error, FSIO_ERROR_MAX, "out of memory");
        return -1;
    }
    int rc = 0;
    while (rc == 0) {
        ssize_t got = read (source->source, buffer, S_COPY_BUFFER_SIZE);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1) {
            snprintf (error, FSIO_ERROR_MAX, "cannot read %s: %s",
                      source->source_name, strerror (errno));
            rc = -1;
        } else if (got == 0)
            break;
        else if (fsio_write_all (fd, buffer, (size_t)got) == -1) {
            snprintf (error, FSIO_ERROR_MAX, "cannot write %s: %s", temp_path,
                      strerror (errno));
            rc = -1;
        }
    }
    free (buffer);
    return rc;
}

int
fsio_copy_fd (int source, const char *source_name, const char *path,
              char *error)
{
    assert (source_name);
    assert (path);
    assert (error);
    s_source_t from = {source, source_name};
    return s_write_durably (path, false, s_fill_from_fd, &from, error);
}
