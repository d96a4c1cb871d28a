/*  recordfile - a job's records on disk, where dispatch reads each chunk's.

    The records file is opened once, read-write, through a large stdio
    buffer: appended to while the document arrives, then read back from
    the start with getline. The index is written as the records are read
    back, one offset per chunk start, because only then is chunk_pages
    known (it may come after the records in the document). Reading a chunk
    is two preads: its two offsets from the index, then its bytes, whose
    line breaks become the commas of a JSON array in place.

    SPDX-License-Identifier: MPL-2.0
*/
#include "recordfile.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "ident.h"
#include "log.h"
#include "proto.h"

#define S_OFFSET_BYTES 8

struct _recordfile_t {
    char *job_id;
    char *jobs_dir;
    char *dir; // jobs_dir/job_id
    char *records_path;
    char *index_path;
    FILE *records;        // written, then read back
    char *buffer;         // the records file's stdio buffer
    FILE *index;          // written while the records are read back
    uint64_t bytes;       // written to the records file
    uint64_t read_offset; // of the next record to read back
    uint64_t read_count;  // records read back
    uint32_t chunk_pages; // 0 until rewound
    char *line;
    size_t line_space;
    bool committed;
    int failure; // errno of the first failure
};

//  Record errno as the first failure and log what failed. Returns -1.
static int
s_failed (recordfile_t *self, const char *what, const char *path)
{
    int error = errno ? errno : EIO;
    if (!self->failure)
        self->failure = error;
    log_error ("recordfile: job=%s: %s %s: %s", self->job_id, what, path,
               strerror (error));
    return -1;
}

//  A file created for writing, that must not exist yet; NULL with errno.
static FILE *
s_create (const char *path, const char *mode)
{
    int fd = open (path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd == -1)
        return NULL;
    FILE *file = fdopen (fd, mode);
    if (!file) {
        int saved = errno;
        close (fd);
        errno = saved;
    }
    return file;
}

recordfile_t *
recordfile_create (const char *jobs_dir, const char *job_id)
{
    assert (jobs_dir);
    assert (job_id);
    recordfile_t *self = (recordfile_t *)zmalloc (sizeof (recordfile_t));
    self->job_id = strdup (job_id);
    self->jobs_dir = strdup (jobs_dir);
    self->dir = zsys_sprintf ("%s/%s", jobs_dir, job_id);
    self->records_path = zsys_sprintf ("%s/%s", self->dir, RECORDFILE_RECORDS);
    self->index_path = zsys_sprintf ("%s/%s", self->dir, RECORDFILE_INDEX);
    self->buffer = (char *)malloc (RECORDFILE_BUFFER_BYTES);
    if (!self->job_id || !self->jobs_dir || !self->dir || !self->records_path ||
        !self->index_path || !self->buffer) {
        log_error ("recordfile: job=%s: out of memory", job_id);
        recordfile_destroy (&self);
        return NULL;
    }
    if (fsio_mkdir_p (jobs_dir) == -1) {
        s_failed (self, "cannot create", jobs_dir);
        recordfile_destroy (&self);
        return NULL;
    }
    if (mkdir (self->dir, 0700) == -1) {
        s_failed (self, "cannot create", self->dir);
        //  Not ours to remove: it was there before.
        self->committed = true;
        recordfile_destroy (&self);
        return NULL;
    }
    self->records = s_create (self->records_path, "w+");
    if (!self->records) {
        s_failed (self, "cannot create", self->records_path);
        recordfile_destroy (&self);
        return NULL;
    }
    setvbuf (self->records, self->buffer, _IOFBF, RECORDFILE_BUFFER_BYTES);
    return self;
}

void
recordfile_destroy (recordfile_t **self_p)
{
    assert (self_p);
    recordfile_t *self = *self_p;
    if (!self)
        return;
    if (self->records)
        fclose (self->records);
    if (self->index)
        fclose (self->index);
    if (!self->committed && self->dir)
        recordfile_remove (self->jobs_dir, self->job_id);
    free (self->line);
    free (self->buffer);
    free (self->index_path);
    free (self->records_path);
    free (self->dir);
    free (self->jobs_dir);
    free (self->job_id);
    free (self);
    *self_p = NULL;
}

int
recordfile_append (recordfile_t *self, const char *json, size_t size)
{
    assert (self);
    assert (!self->chunk_pages);
    if (self->failure)
        return -1;
    errno = 0;
    if (fwrite (json, 1, size, self->records) != size ||
        putc ('\n', self->records) == EOF)
        return s_failed (self, "cannot write", self->records_path);
    self->bytes += size + 1;
    return 0;
}

uint64_t
recordfile_bytes (const recordfile_t *self)
{
    assert (self);
    return self->bytes;
}

int
recordfile_rewind (recordfile_t *self, uint32_t chunk_pages)
{
    assert (self);
    assert (chunk_pages > 0);
    if (self->failure)
        return -1;
    errno = 0;
    if (fflush (self->records) != 0 || fseeko (self->records, 0, SEEK_SET))
        return s_failed (self, "cannot read back", self->records_path);
    if (self->index) {
        fclose (self->index);
        self->index = NULL;
        unlink (self->index_path);
    }
    self->index = s_create (self->index_path, "w");
    if (!self->index)
        return s_failed (self, "cannot create", self->index_path);
    self->chunk_pages = chunk_pages;
    self->read_offset = 0;
    self->read_count = 0;
    return 0;
}

static int
s_write_offset (recordfile_t *self, uint64_t offset)
{
    unsigned char bytes[S_OFFSET_BYTES];
    for (int index = 0; index < S_OFFSET_BYTES; index++)
        bytes[index] = (unsigned char)(offset >> (8 * index));
    errno = 0;
    if (fwrite (bytes, 1, sizeof bytes, self->index) != sizeof bytes)
        return s_failed (self, "cannot write", self->index_path);
    return 0;
}

int
recordfile_next (recordfile_t *self, const char **json_p, size_t *size_p)
{
    assert (self);
    assert (self->chunk_pages);
    if (self->failure)
        return -1;
    errno = 0;
    ssize_t length = getline (&self->line, &self->line_space, self->records);
    if (length == -1) {
        if (ferror (self->records))
            return s_failed (self, "cannot read back", self->records_path);
        return 0;
    }
    if (length == 0 || self->line[length - 1] != '\n') {
        errno = EIO;
        return s_failed (self, "a record is cut short in", self->records_path);
    }
    if (self->read_count % self->chunk_pages == 0 &&
        s_write_offset (self, self->read_offset) == -1)
        return -1;
    self->read_offset += (uint64_t)length;
    self->read_count++;
    self->line[length - 1] = '\0';
    *json_p = self->line;
    *size_p = (size_t)length - 1;
    return 1;
}

int
recordfile_commit (recordfile_t *self)
{
    assert (self);
    assert (self->chunk_pages);
    if (self->failure)
        return -1;
    if (self->read_offset != self->bytes) {
        errno = EIO;
        return s_failed (self, "not every record was read back from",
                         self->records_path);
    }
    if (s_write_offset (self, self->bytes) == -1)
        return -1;
    errno = 0;
    if (fflush (self->index) != 0 || fsync (fileno (self->index)) != 0)
        return s_failed (self, "cannot flush", self->index_path);
    if (fsync (fileno (self->records)) != 0)
        return s_failed (self, "cannot flush", self->records_path);
    if (fsio_fsync_dir (self->dir) != 0)
        return s_failed (self, "cannot flush", self->dir);
    if (fsio_fsync_dir (self->jobs_dir) != 0)
        return s_failed (self, "cannot flush", self->jobs_dir);
    self->committed = true;
    return 0;
}

int
recordfile_errno (const recordfile_t *self)
{
    assert (self);
    return self->failure;
}

//  Read exactly size bytes at offset of the file at path into buffer.
//  Returns 0, or -1 with errno (EIO for a file too short).
static int
s_pread_file (const char *path, uint64_t offset, void *buffer, size_t size)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t got = pread (fd, (char *)buffer + done, size - done,
                             (off_t)(offset + done));
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EIO;
            int saved = errno;
            close (fd);
            errno = saved;
            return -1;
        }
        done += (size_t)got;
    }
    close (fd);
    return 0;
}

static uint64_t
s_decode_offset (const unsigned char *bytes)
{
    uint64_t offset = 0;
    for (int index = S_OFFSET_BYTES - 1; index >= 0; index--)
        offset = offset << 8 | bytes[index];
    return offset;
}

char *
recordfile_chunk (const char *jobs_dir, const char *job_id, uint32_t chunk_nbr)
{
    assert (jobs_dir);
    assert (job_id);
    char *index_path =
        zsys_sprintf ("%s/%s/%s", jobs_dir, job_id, RECORDFILE_INDEX);
    char *records_path =
        zsys_sprintf ("%s/%s/%s", jobs_dir, job_id, RECORDFILE_RECORDS);
    char *chunk = NULL;
    unsigned char offsets[2 * S_OFFSET_BYTES];
    if (!index_path || !records_path) {
        errno = ENOMEM;
        goto cleanup;
    }
    if (s_pread_file (index_path, (uint64_t)chunk_nbr * S_OFFSET_BYTES, offsets,
                      sizeof offsets) == -1) {
        int saved = errno;
        if (errno != ENOENT)
            log_error ("recordfile: job=%s chunk=%" PRIu32
                       ": cannot read %s: %s",
                       job_id, chunk_nbr, index_path, strerror (errno));
        errno = saved;
        goto cleanup;
    }
    uint64_t start = s_decode_offset (offsets);
    uint64_t end = s_decode_offset (offsets + S_OFFSET_BYTES);
    if (end <= start || end - start > SIZE_MAX - 2) {
        log_error ("recordfile: job=%s chunk=%" PRIu32 ": %s has no such chunk",
                   job_id, chunk_nbr, index_path);
        errno = EIO;
        goto cleanup;
    }
    size_t size = (size_t)(end - start);
    chunk = (char *)malloc (size + 2);
    if (!chunk) {
        log_error ("recordfile: job=%s chunk=%" PRIu32 ": out of memory",
                   job_id, chunk_nbr);
        goto cleanup;
    }
    if (s_pread_file (records_path, start, chunk + 1, size) == -1 ||
        chunk[size] != '\n') {
        if (chunk[size] != '\n')
            errno = EIO;
        log_error ("recordfile: job=%s chunk=%" PRIu32 ": cannot read %s: %s",
                   job_id, chunk_nbr, records_path, strerror (errno));
        zstr_free (&chunk);
        goto cleanup;
    }
    //  One record a line: the line breaks become the commas between them,
    //  and the last the array's end.
    chunk[0] = '[';
    for (char *next = (char *)memchr (chunk + 1, '\n', size); next;
         next = (char *)memchr (next + 1, '\n', (size_t)(chunk + size - next)))
        *next = ',';
    chunk[size] = ']';
    chunk[size + 1] = '\0';

cleanup:
    free (index_path);
    free (records_path);
    return chunk;
}

int
recordfile_remove (const char *jobs_dir, const char *job_id)
{
    assert (jobs_dir);
    assert (job_id);
    char *dir = zsys_sprintf ("%s/%s", jobs_dir, job_id);
    if (!dir)
        return -1;
    int rc = 0;
    DIR *listing = opendir (dir);
    if (!listing) {
        if (errno != ENOENT) {
            log_error ("recordfile: job=%s: cannot list %s: %s", job_id, dir,
                       strerror (errno));
            rc = -1;
        }
        free (dir);
        return rc;
    }
    struct dirent *entry;
    while ((entry = readdir (listing)) != NULL) {
        if (streq (entry->d_name, ".") || streq (entry->d_name, ".."))
            continue;
        if (unlinkat (dirfd (listing), entry->d_name, 0) == -1 &&
            errno != ENOENT) {
            log_error ("recordfile: job=%s: cannot remove %s/%s: %s", job_id,
                       dir, entry->d_name, strerror (errno));
            rc = -1;
        }
    }
    closedir (listing);
    if (rc == 0 && rmdir (dir) == -1 && errno != ENOENT) {
        log_error ("recordfile: job=%s: cannot remove %s: %s", job_id, dir,
                   strerror (errno));
        rc = -1;
    }
    free (dir);
    return rc;
}

size_t
recordfile_sweep (const char *jobs_dir, zlist_t *keep)
{
    assert (jobs_dir);
    assert (keep);
    zhashx_t *kept = zhashx_new ();
    assert (kept);
    for (const char *job_id = (const char *)zlist_first (keep); job_id;
         job_id = (const char *)zlist_next (keep))
        zhashx_insert (kept, job_id, (void *)job_id);
    size_t removed = 0;
    DIR *listing = opendir (jobs_dir);
    zlist_t *doomed = zlist_new ();
    assert (doomed);
    zlist_autofree (doomed);
    if (listing) {
        struct dirent *entry;
        while ((entry = readdir (listing)) != NULL)
            if (ident_valid_str (entry->d_name, PROTO_JOB_ID_MAX) &&
                !zhashx_lookup (kept, entry->d_name))
                zlist_append (doomed, entry->d_name);
        closedir (listing);
    }
    for (const char *job_id = (const char *)zlist_first (doomed); job_id;
         job_id = (const char *)zlist_next (doomed))
        if (recordfile_remove (jobs_dir, job_id) == 0) {
            log_info ("job=%s: removed its records, left without a live job",
                      job_id);
            removed++;
        }
    zlist_destroy (&doomed);
    zhashx_destroy (&kept);
    return removed;
}
