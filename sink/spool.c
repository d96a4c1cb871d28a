/*  spool - the sink's durable chunk files, one directory per job.

    Durability follows the usual POSIX recipe: write a temporary file,
    fsync it, rename it into place, fsync the directory. Chunks go through
    it a batch at a time (spool_stage, spool_commit): each step is taken
    for every chunk of the batch before the next, so a batch costs about
    one journal commit for the files and one per job directory, not two
    per chunk. A new directory is
    made durable by fsyncing its parent. Directory listings are taken in
    full before anything in them is deleted, since readdir does not promise
    what it returns for entries removed while it runs.

    SPDX-License-Identifier: MPL-2.0
*/
#define _GNU_SOURCE // mkostemp, sync_file_range
#include "spool.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsio.h"
#include "ident.h"
#include "log.h"
#include "proto.h"
#include "wire.h"

#define S_META_NAME "meta"
#define S_META_MAX 256     // bytes; the meta file is three short lines
#define S_OUTCOME_MAX 4096 // bytes of a tombstone read back
#define S_SCRATCH_NAME ".merged.pdf"
//  Written by sink/pdfappend beside the scratch path: the output as it
//  grows and its journal, kept across restarts.
#define S_PART_NAME S_SCRATCH_NAME ".part"
#define S_JOURNAL_NAME S_SCRATCH_NAME ".journal"
#define S_RELEASED_NAME "released"
#define S_RELEASED_LINE_MAX 64 // bytes of one line of the released file
#define S_UPLOAD_MAX 4096 // bytes of an upload record read back

//  A chunk written under a temporary name, not yet durable: spool_commit
//  fsyncs it, renames it into place and fsyncs its directory.
typedef struct {
    char *job_id;
    uint32_t chunk_nbr;
    int fd;           // open on temp_path until its fsync
    char *temp_path;  // removed once renamed or failed
    char *final_path; // its name once durable
    char *job_dir;
    int error_number; // 0 while every step went well
} s_staged_t;

struct _spool_t {
    char *dir;            // as given
    char *finished_dir;   // dir/.finished
    char *uploads_dir;    // dir/.uploads
    zlistx_t *staged;     // s_staged_t (owned), in the order staged
    uint64_t staged_size; // bytes of the staged chunks
};

static void
s_staged_destroy (s_staged_t **self_p)
{
    s_staged_t *self = *self_p;
    if (!self)
        return;
    if (self->fd != -1)
        close (self->fd);
    if (self->temp_path)
        unlink (self->temp_path);
    zstr_free (&self->temp_path);
    zstr_free (&self->final_path);
    zstr_free (&self->job_dir);
    zstr_free (&self->job_id);
    free (self);
    *self_p = NULL;
}

static void
s_staged_free (void **item_p)
{
    s_staged_destroy ((s_staged_t **)item_p);
}

//  Write data as dir/name durably (common/util/fsio). With exclusive, an
//  existing dir/name is kept and counts as success. Logs failures with
//  job_id.
static int
s_write_atomic (const char *job_id, const char *dir, const char *name,
                const void *data, size_t size, bool exclusive)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    if (!path) {
        log_error ("job=%s spool: out of memory", job_id);
        return -1;
    }
    char error[FSIO_ERROR_MAX];
    int rc = fsio_write_file (path, data, size, exclusive, error);
    if (rc == -1)
        log_error ("job=%s spool: %s", job_id, error);
    zstr_free (&path);
    return rc;
}

//  Reads a whole small file into a NUL-terminated string. Returns NULL with
//  errno set (EFBIG when longer than max_size).
static char *
s_read_small (const char *path, size_t max_size)
{
    int fd = open (path, O_RDONLY);
    if (fd == -1)
        return NULL;
    char *text = malloc (max_size + 1);
    size_t size = 0;
    int saved_errno = 0;
    while (text) {
        ssize_t got = read (fd, text + size, max_size + 1 - size);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1) {
            saved_errno = errno;
            break;
        }
        size += (size_t)got;
        if (got == 0)
            break;
        if (size > max_size) {
            saved_errno = EFBIG;
            break;
        }
    }
    close (fd);
    if (text && saved_errno) {
        free (text);
        errno = saved_errno;
        return NULL;
    }
    if (text)
        text[size] = '\0';
    return text;
}

//  Names in a directory except "." and "..". Returns NULL with errno set.
static zlist_t *
s_list_dir (const char *path)
{
    DIR *handle = opendir (path);
    if (!handle)
        return NULL;
    zlist_t *names = zlist_new ();
    zlist_autofree (names);
    int saved_errno = 0;
    while (true) {
        errno = 0;
        struct dirent *entry = readdir (handle);
        if (!entry) {
            saved_errno = errno;
            break;
        }
        if (!streq (entry->d_name, ".") && !streq (entry->d_name, ".."))
            zlist_append (names, entry->d_name);
    }
    closedir (handle);
    if (saved_errno) {
        zlist_destroy (&names);
        errno = saved_errno;
        return NULL;
    }
    return names;
}

static bool
s_is_dir (const char *path)
{
    struct stat info;
    return stat (path, &info) == 0 && S_ISDIR (info.st_mode);
}

static char *
s_job_dir (spool_t *self, const char *job_id)
{
    return zsys_sprintf ("%s/%s", self->dir, job_id);
}

static char *
s_chunk_name (uint32_t chunk_nbr, uint32_t first_page, uint32_t page_count)
{
    return zsys_sprintf ("chunk-%06u-p%u-%llu.pdf", chunk_nbr, first_page,
                         (unsigned long long)first_page + page_count - 1);
}

//  Parse a chunk file name; only the exact form s_chunk_name writes is
//  accepted (no signs, spaces or extra zeros), so one chunk and range has
//  one name.
static int
s_parse_chunk_name (const char *name, uint32_t *chunk_nbr, uint32_t *first_page,
                    uint32_t *page_count)
{
    unsigned int nbr, first, last;
    int consumed = 0;
    if (sscanf (name, "chunk-%u-p%u-%u.pdf%n", &nbr, &first, &last,
                &consumed) != 3 ||
        consumed == 0 || name[consumed] != '\0' || first == 0 || last < first)
        return -1;
    char *canonical = s_chunk_name (nbr, first, last - first + 1);
    bool same = canonical && streq (canonical, name);
    zstr_free (&canonical);
    if (!same)
        return -1;
    *chunk_nbr = nbr;
    *first_page = first;
    *page_count = last - first + 1;
    return 0;
}

static char *
s_meta_text (uint32_t chunk_count, uint32_t total_pages)
{
    return zsys_sprintf ("pdfpipe-spool 1\nchunk_count %u\ntotal_pages %u\n",
                         chunk_count, total_pages);
}

//  Read a job's meta file. Returns -1 with errno set (EINVAL when the text
//  is not what s_meta_text writes).
static int
s_read_meta (const char *job_dir, uint32_t *chunk_count, uint32_t *total_pages)
{
    char *path = zsys_sprintf ("%s/%s", job_dir, S_META_NAME);
    char *text = path ? s_read_small (path, S_META_MAX) : NULL;
    zstr_free (&path);
    if (!text)
        return -1;
    unsigned int chunks = 0, pages = 0;
    int rc = -1;
    if (sscanf (text, "pdfpipe-spool 1\nchunk_count %u\ntotal_pages %u",
                &chunks, &pages) == 2) {
        char *canonical = s_meta_text (chunks, pages);
        if (canonical && streq (canonical, text))
            rc = 0;
        zstr_free (&canonical);
    }
    free (text);
    if (rc == -1) {
        errno = EINVAL;
        return -1;
    }
    *chunk_count = chunks;
    *total_pages = pages;
    return 0;
}

//  Delete every file in a job's directory, then the directory. What is
//  already gone is fine.
static int
s_remove_job_dir (spool_t *self, const char *job_id)
{
    char *job_dir = s_job_dir (self, job_id);
    if (!job_dir)
        return -1;
    int rc = 0;
    zlist_t *names = s_list_dir (job_dir);
    if (!names && errno != ENOENT) {
        log_error ("job=%s spool: cannot list %s: %s", job_id, job_dir,
                   strerror (errno));
        rc = -1;
    }
    for (char *name = names ? zlist_first (names) : NULL; name;
         name = zlist_next (names)) {
        char *path = zsys_sprintf ("%s/%s", job_dir, name);
        if (path && unlink (path) == -1 && errno != ENOENT) {
            log_error ("job=%s spool: cannot remove %s: %s", job_id, path,
                       strerror (errno));
            rc = -1;
        }
        zstr_free (&path);
    }
    zlist_destroy (&names);
    if (rc == 0 && rmdir (job_dir) == -1 && errno != ENOENT) {
        log_error ("job=%s spool: cannot remove %s: %s", job_id, job_dir,
                   strerror (errno));
        rc = -1;
    }
    if (rc == 0 && fsio_fsync_dir (self->dir) == -1) {
        log_error ("job=%s spool: cannot fsync %s: %s", job_id, self->dir,
                   strerror (errno));
        rc = -1;
    }
    zstr_free (&job_dir);
    return rc;
}

spool_t *
spool_new (const char *dir)
{
    assert (dir);
    spool_t *self = calloc (1, sizeof (spool_t));
    if (!self)
        return NULL;
    self->dir = strdup (dir);
    self->finished_dir = zsys_sprintf ("%s/%s", dir, SPOOL_FINISHED_DIR);
    self->uploads_dir = zsys_sprintf ("%s/%s", dir, SPOOL_UPLOADS_DIR);
    self->staged = zlistx_new ();
    if (self->staged)
        zlistx_set_destructor (self->staged, s_staged_free);
    if (!self->dir || !self->finished_dir || !self->uploads_dir ||
        !self->staged) {
        log_error ("spool: out of memory");
        spool_destroy (&self);
        return NULL;
    }
    if (fsio_mkdir_p (self->finished_dir) == -1 ||
        fsio_mkdir_p (self->uploads_dir) == -1) {
        log_error ("spool: cannot create %s or %s: %s", self->finished_dir,
                   self->uploads_dir, strerror (errno));
        spool_destroy (&self);
        return NULL;
    }
    return self;
}

void
spool_destroy (spool_t **self_p)
{
    assert (self_p);
    spool_t *self = *self_p;
    if (!self)
        return;
    //  Left staged only by a caller that stopped between staging and
    //  committing: their temporary files go, nothing was reported.
    zlistx_destroy (&self->staged);
    zstr_free (&self->finished_dir);
    zstr_free (&self->uploads_dir);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

bool
spool_job_id_valid (const char *job_id)
{
    return ident_valid_str (job_id, PROTO_JOB_ID_MAX);
}

//  Remove the tombstones among names older than SPOOL_TOMBSTONE_TTL_S;
//  temporary files only with temporaries, and then all of them (only at
//  start: while running, the finisher may be writing one).
static void
s_remove_tombstones (spool_t *self, zlist_t *names, bool temporaries)
{
    time_t now = time (NULL);
    for (char *name = zlist_first (names); name; name = zlist_next (names)) {
        char *path = zsys_sprintf ("%s/%s", self->finished_dir, name);
        struct stat info;
        if (!path || lstat (path, &info) == -1) {
            zstr_free (&path);
            continue;
        }
        bool temporary = name[0] == '.';
        bool expired = now - info.st_mtime > SPOOL_TOMBSTONE_TTL_S;
        bool remove = temporary ? temporaries : expired;
        if (remove && unlink (path) == -1)
            log_warning ("spool: cannot remove %s: %s", path, strerror (errno));
        zstr_free (&path);
    }
}

//  Remove the temporary files a crash may have left in a job directory.
static void
s_recover_job (spool_t *self, const char *job_id)
{
    char *job_dir = s_job_dir (self, job_id);
    zlist_t *names = job_dir ? s_list_dir (job_dir) : NULL;
    for (char *name = names ? zlist_first (names) : NULL; name;
         name = zlist_next (names)) {
        //  The output and its journal are a checkpoint to take up again.
        if (name[0] != '.' || streq (name, S_SCRATCH_NAME) ||
            streq (name, S_PART_NAME) || streq (name, S_JOURNAL_NAME))
            continue;
        char *path = zsys_sprintf ("%s/%s", job_dir, name);
        if (path && unlink (path) == -1)
            log_warning ("job=%s spool: cannot remove %s: %s", job_id, path,
                         strerror (errno));
        zstr_free (&path);
    }
    zlist_destroy (&names);
    zstr_free (&job_dir);
}

int
spool_recover (spool_t *self)
{
    assert (self);
    zlist_t *tombstones = s_list_dir (self->finished_dir);
    if (!tombstones) {
        log_error ("spool: cannot list %s: %s", self->finished_dir,
                   strerror (errno));
        return -1;
    }
    s_remove_tombstones (self, tombstones, true);
    zlist_destroy (&tombstones);

    zlist_t *names = s_list_dir (self->dir);
    if (!names) {
        log_error ("spool: cannot list %s: %s", self->dir, strerror (errno));
        return -1;
    }
    for (char *name = zlist_first (names); name; name = zlist_next (names)) {
        if (!spool_job_id_valid (name))
            continue;
        if (spool_finished (self, name)) {
            log_info ("job=%s spool: removing chunks of a finished job", name);
            s_remove_job_dir (self, name);
        } else
            s_recover_job (self, name);
    }
    zlist_destroy (&names);
    return 0;
}

void
spool_expire_tombstones (spool_t *self)
{
    assert (self);
    zlist_t *tombstones = s_list_dir (self->finished_dir);
    if (!tombstones) {
        log_warning ("spool: cannot list %s: %s", self->finished_dir,
                     strerror (errno));
        return;
    }
    s_remove_tombstones (self, tombstones, false);
    zlist_destroy (&tombstones);
}

//  Create the job's directory and meta file unless they exist; an existing
//  meta file must agree with the job.
static int
s_prepare_job (spool_t *self, const assembly_t *job, const char *job_dir)
{
    const char *job_id = assembly_job_id (job);
    if (mkdir (job_dir, 0755) == 0) {
        if (fsio_fsync_dir (self->dir) == -1) {
            log_error ("job=%s spool: cannot fsync %s: %s", job_id, self->dir,
                       strerror (errno));
            return -1;
        }
    } else if (errno != EEXIST) {
        log_error ("job=%s spool: cannot create %s: %s", job_id, job_dir,
                   strerror (errno));
        return -1;
    }
    uint32_t chunk_count, total_pages;
    if (s_read_meta (job_dir, &chunk_count, &total_pages) == 0) {
        if (assembly_matches (job, chunk_count, total_pages))
            return 0;
        log_error ("job=%s spool: meta file says %u chunks and %u pages, "
                   "the job %u and %u",
                   job_id, chunk_count, total_pages, assembly_chunk_count (job),
                   assembly_total_pages (job));
        return -1;
    }
    if (errno != ENOENT) {
        log_error ("job=%s spool: cannot read %s/%s: %s", job_id, job_dir,
                   S_META_NAME, strerror (errno));
        return -1;
    }
    char *meta =
        s_meta_text (assembly_chunk_count (job), assembly_total_pages (job));
    if (!meta)
        return -1;
    int rc = s_write_atomic (job_id, job_dir, S_META_NAME, meta, strlen (meta),
                             false);
    zstr_free (&meta);
    return rc;
}

//  Write pdf to a new temporary file beside final_path and stage it.
//  Returns -1 with errno set (logged).
static int
s_stage_file (spool_t *self, const char *job_id, uint32_t chunk_nbr,
              const char *job_dir, const char *name, const void *pdf,
              size_t size)
{
    s_staged_t *staged = calloc (1, sizeof (s_staged_t));
    if (!staged) {
        log_error ("job=%s spool: out of memory", job_id);
        return -1;
    }
    staged->fd = -1;
    staged->chunk_nbr = chunk_nbr;
    staged->job_id = strdup (job_id);
    staged->job_dir = strdup (job_dir);
    staged->final_path = zsys_sprintf ("%s/%s", job_dir, name);
    char *template = zsys_sprintf ("%s/.%s.XXXXXX", job_dir, name);
    if (!staged->job_id || !staged->job_dir || !staged->final_path ||
        !template) {
        zstr_free (&template);
        s_staged_destroy (&staged);
        log_error ("job=%s spool: out of memory", job_id);
        errno = ENOMEM;
        return -1;
    }
    staged->fd = mkostemp (template, O_CLOEXEC);
    if (staged->fd == -1) {
        int saved_errno = errno;
        log_error ("job=%s chunk=%u spool: cannot create %s: %s", job_id,
                   chunk_nbr, template, strerror (saved_errno));
        zstr_free (&template);
        s_staged_destroy (&staged);
        errno = saved_errno;
        return -1;
    }
    staged->temp_path = template;
    if (fsio_write_all (staged->fd, pdf, size) == -1) {
        int saved_errno = errno;
        log_error ("job=%s chunk=%u spool: cannot write %s: %s", job_id,
                   chunk_nbr, staged->temp_path, strerror (saved_errno));
        s_staged_destroy (&staged);
        errno = saved_errno;
        return -1;
    }
    //  Start the write-back now, so that the batch's chunks go to the disk
    //  together and their fsyncs in spool_commit find them on the way. Only
    //  a hint: fsync is what makes them durable, and reports errors.
    sync_file_range (staged->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    zlistx_add_end (self->staged, staged);
    self->staged_size += size;
    return 0;
}

int
spool_stage (spool_t *self, const assembly_t *job, uint32_t chunk_nbr,
             uint32_t first_page, uint32_t page_count, const void *pdf,
             size_t size, bool *duplicate)
{
    assert (self);
    assert (job);
    assert (pdf || size == 0);
    assert (duplicate);
    *duplicate = false;
    const char *job_id = assembly_job_id (job);
    if (!spool_job_id_valid (job_id)) {
        log_warning ("spool: refusing chunk of job with bad id '%.80s'",
                     job_id);
        errno = EINVAL;
        return -1;
    }
    //  The caller drops chunks of finished jobs; this keeps a late one from
    //  bringing the job's directory back even if it does not.
    if (spool_finished (self, job_id)) {
        log_warning ("job=%s chunk=%u spool: refusing chunk of a finished "
                     "job",
                     job_id, chunk_nbr);
        errno = EINVAL;
        return -1;
    }
    char *job_dir = s_job_dir (self, job_id);
    char *name = s_chunk_name (chunk_nbr, first_page, page_count);
    char *path = zsys_sprintf ("%s/%s", job_dir, name);
    int rc = -1;
    int saved_errno = ENOMEM;
    if (!job_dir || !name || !path)
        goto cleanup;
    if (s_prepare_job (self, job, job_dir) == -1) {
        saved_errno = errno;
        goto cleanup;
    }
    if (access (path, F_OK) == 0) {
        *duplicate = true;
        rc = 0;
        goto cleanup;
    }
    rc = s_stage_file (self, job_id, chunk_nbr, job_dir, name, pdf, size);
    saved_errno = errno;

cleanup:
    zstr_free (&path);
    zstr_free (&name);
    zstr_free (&job_dir);
    if (rc == -1)
        errno = saved_errno;
    return rc;
}

size_t
spool_staged (spool_t *self)
{
    assert (self);
    return zlistx_size (self->staged);
}

uint64_t
spool_staged_bytes (spool_t *self)
{
    assert (self);
    return self->staged_size;
}

static int
s_compare_text (const void *item1, const void *item2)
{
    return strcmp ((const char *)item1, (const char *)item2);
}

//  job_dir could not be fsynced: every staged chunk in it that was still
//  good fails with error_number, and the name it was given is removed
//  again, since it might not survive a crash.
static void
s_fail_dir (spool_t *self, const char *job_dir, int error_number)
{
    bool logged = false;
    for (s_staged_t *staged = zlistx_first (self->staged); staged;
         staged = zlistx_next (self->staged)) {
        if (staged->error_number || !streq (staged->job_dir, job_dir))
            continue;
        if (!logged)
            log_error ("job=%s spool: cannot fsync %s: %s", staged->job_id,
                       job_dir, strerror (error_number));
        logged = true;
        staged->error_number = error_number;
        unlink (staged->final_path);
    }
}

void
spool_commit (spool_t *self, spool_committed_fn *committed, void *arg)
{
    assert (self);
    assert (committed);
    //  Data first, for every chunk: the write-back of all of them was
    //  started when they were staged, so these fsyncs mostly wait for the
    //  same journal commits rather than one each.
    for (s_staged_t *staged = zlistx_first (self->staged); staged;
         staged = zlistx_next (self->staged)) {
        if (fsync (staged->fd) == -1 || close (staged->fd) == -1) {
            staged->error_number = errno;
            log_error ("job=%s chunk=%u spool: cannot write %s: %s",
                       staged->job_id, staged->chunk_nbr, staged->temp_path,
                       strerror (errno));
        }
        staged->fd = -1;
    }
    //  Then the names, and each directory they are in once.
    for (s_staged_t *staged = zlistx_first (self->staged); staged;
         staged = zlistx_next (self->staged)) {
        if (staged->error_number)
            continue;
        if (rename (staged->temp_path, staged->final_path) == -1) {
            staged->error_number = errno;
            log_error ("job=%s chunk=%u spool: cannot rename %s: %s",
                       staged->job_id, staged->chunk_nbr, staged->temp_path,
                       strerror (errno));
        } else
            zstr_free (&staged->temp_path);
    }
    zlistx_t *dirs = zlistx_new ();
    zlistx_set_comparator (dirs, s_compare_text);
    for (s_staged_t *staged = zlistx_first (self->staged); staged;
         staged = zlistx_next (self->staged))
        if (!staged->error_number && !zlistx_find (dirs, staged->job_dir))
            zlistx_add_end (dirs, staged->job_dir);
    for (const char *job_dir = zlistx_first (dirs); job_dir;
         job_dir = zlistx_next (dirs))
        if (fsio_fsync_dir (job_dir) == -1)
            s_fail_dir (self, job_dir, errno);
    zlistx_destroy (&dirs);
    for (s_staged_t *staged = zlistx_first (self->staged); staged;
         staged = zlistx_next (self->staged))
        committed (staged->job_id, staged->chunk_nbr, staged->error_number,
                   arg);
    zlistx_purge (self->staged);
    self->staged_size = 0;
}

//  spool_put's own commit: keeps the one chunk's error.
static void
s_put_committed (const char *job_id, uint32_t chunk_nbr, int error_number,
                 void *arg)
{
    (void)job_id;
    (void)chunk_nbr;
    *(int *)arg = error_number;
}

int
spool_put (spool_t *self, const assembly_t *job, uint32_t chunk_nbr,
           uint32_t first_page, uint32_t page_count, const void *pdf,
           size_t size, bool *duplicate)
{
    assert (self);
    assert (spool_staged (self) == 0);
    if (spool_stage (self, job, chunk_nbr, first_page, page_count, pdf, size,
                     duplicate) == -1)
        return -1;
    if (*duplicate)
        return 0;
    int error_number = 0;
    spool_commit (self, s_put_committed, &error_number);
    if (error_number) {
        errno = error_number;
        return -1;
    }
    return 0;
}

bool
spool_finished (spool_t *self, const char *job_id)
{
    assert (self);
    if (!spool_job_id_valid (job_id))
        return true;
    char *path = zsys_sprintf ("%s/%s", self->finished_dir, job_id);
    bool finished = path && access (path, F_OK) == 0;
    zstr_free (&path);
    return finished;
}

char *
spool_outcome (spool_t *self, const char *job_id)
{
    assert (self);
    if (!spool_job_id_valid (job_id))
        return NULL;
    char *path = zsys_sprintf ("%s/%s", self->finished_dir, job_id);
    char *text = path ? s_read_small (path, S_OUTCOME_MAX) : NULL;
    zstr_free (&path);
    if (text) {
        //  Stored with a trailing newline for people reading the spool.
        size_t length = strlen (text);
        if (length > 0 && text[length - 1] == '\n')
            text[length - 1] = '\0';
    }
    return text;
}

int
spool_finish (spool_t *self, const char *job_id, const char *outcome)
{
    assert (self);
    assert (outcome);
    if (!spool_job_id_valid (job_id)) {
        log_warning ("spool: refusing to finish job with bad id '%.80s'",
                     job_id ? job_id : "");
        return -1;
    }
    char *line = zsys_sprintf ("%.*s\n", S_OUTCOME_MAX - 2, outcome);
    if (!line)
        return -1;
    int rc = s_write_atomic (job_id, self->finished_dir, job_id, line,
                             strlen (line), true);
    if (rc == -1) {
        //  A full disk, most likely, which the job's own files may have
        //  filled (its output grows in the spool): they are not needed
        //  once its outcome is known, so they go first to make room.
        log_warning ("job=%s spool: removing the job's files before its "
                     "tombstone, to make room for it",
                     job_id);
        s_remove_job_dir (self, job_id);
        rc = s_write_atomic (job_id, self->finished_dir, job_id, line,
                             strlen (line), true);
    }
    zstr_free (&line);
    if (rc == -1)
        return -1;
    return s_remove_job_dir (self, job_id);
}

zlist_t *
spool_jobs (spool_t *self)
{
    assert (self);
    zlist_t *names = s_list_dir (self->dir);
    if (!names) {
        log_error ("spool: cannot list %s: %s", self->dir, strerror (errno));
        return NULL;
    }
    zlist_t *jobs = zlist_new ();
    zlist_autofree (jobs);
    for (char *name = zlist_first (names); name; name = zlist_next (names)) {
        if (!spool_job_id_valid (name) || spool_finished (self, name))
            continue;
        char *job_dir = s_job_dir (self, name);
        if (job_dir && s_is_dir (job_dir))
            zlist_append (jobs, name);
        zstr_free (&job_dir);
    }
    zlist_destroy (&names);
    return jobs;
}


//  Open the released file of job_dir for reading; NULL when there is
//  none (or it cannot be read: logged).
static FILE *
s_open_released (const char *job_id, const char *job_dir)
{
    char *path = zsys_sprintf ("%s/%s", job_dir, S_RELEASED_NAME);
    FILE *file = path ? fopen (path, "r") : NULL;
    if (path && !file && errno != ENOENT)
        log_error ("job=%s spool: cannot read %s: %s", job_id, path,
                   strerror (errno));
    zstr_free (&path);
    return file;
}

//  Read the next line of a released file: chunk chunk_nbr (the line's
//  index) and its range. Returns -1 at the end, at a line torn by a crash
//  (no newline) and at a line that is not what spool_release writes.
static int
s_read_released (FILE *file, uint32_t chunk_nbr, uint32_t *first_page,
                 uint32_t *page_count)
{
    char line[S_RELEASED_LINE_MAX];
    if (!fgets (line, sizeof (line), file) || !strchr (line, '\n'))
        return -1;
    unsigned int nbr, first, count;
    if (sscanf (line, "%u %u %u", &nbr, &first, &count) != 3 ||
        nbr != chunk_nbr || first == 0 || count == 0)
        return -1;
    char canonical[S_RELEASED_LINE_MAX];
    snprintf (canonical, sizeof (canonical), "%u %u %u\n", nbr, first, count);
    if (!streq (canonical, line))
        return -1;
    *first_page = first;
    *page_count = count;
    return 0;
}

//  Add the chunks job_dir's released file names to job: present, their
//  pages held in the output. Stops at the first line that does not fit.
static void
s_load_released (assembly_t *job, const char *job_dir)
{
    const char *job_id = assembly_job_id (job);
    FILE *file = s_open_released (job_id, job_dir);
    uint32_t chunk_nbr = 0, first_page, page_count;
    while (file &&
           s_read_released (file, chunk_nbr, &first_page, &page_count) == 0) {
        char reason[ASSEMBLY_REASON_MAX];
        if (assembly_add (job, chunk_nbr, first_page, page_count, reason) !=
            ASSEMBLY_NEW) {
            log_warning ("job=%s chunk=%u spool: released file: %s", job_id,
                         chunk_nbr, reason);
            break;
        }
        chunk_nbr++;
    }
    if (file)
        fclose (file);
}

uint32_t
spool_released (spool_t *self, const char *job_id)
{
    assert (self);
    if (!spool_job_id_valid (job_id))
        return 0;
    char *job_dir = s_job_dir (self, job_id);
    FILE *file = job_dir ? s_open_released (job_id, job_dir) : NULL;
    uint32_t chunk_nbr = 0, first_page, page_count;
    while (file &&
           s_read_released (file, chunk_nbr, &first_page, &page_count) == 0)
        chunk_nbr++;
    if (file)
        fclose (file);
    zstr_free (&job_dir);
    return chunk_nbr;
}

int
spool_release (spool_t *self, const char *job_id, const spool_range_t *chunks,
               size_t count)
{
    assert (self);
    assert (chunks || count == 0);
    if (!spool_job_id_valid (job_id) || count == 0)
        return count == 0 ? 0 : -1;
    char *job_dir = s_job_dir (self, job_id);
    char *path = job_dir ? zsys_sprintf ("%s/%s", job_dir, S_RELEASED_NAME)
                         : NULL;
    zchunk_t *lines = zchunk_new (NULL, count * S_RELEASED_LINE_MAX);
    int rc = -1;
    if (!path || !lines) {
        log_error ("job=%s spool: out of memory", job_id);
        goto cleanup;
    }
    for (size_t index = 0; index < count; index++) {
        char line[S_RELEASED_LINE_MAX];
        int size = snprintf (line, sizeof (line), "%u %u %u\n",
                             chunks[index].chunk_nbr, chunks[index].first_page,
                             chunks[index].page_count);
        zchunk_extend (lines, line, (size_t)size);
    }
    bool created = access (path, F_OK) == -1;
    int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    bool written = fd != -1 &&
                   fsio_write_all (fd, zchunk_data (lines),
                                   zchunk_size (lines)) == 0 &&
                   fsync (fd) == 0;
    if (fd != -1)
        close (fd);
    if (!written || (created && fsio_fsync_dir (job_dir) == -1)) {
        log_error ("job=%s spool: cannot write %s: %s", job_id, path,
                   strerror (errno));
        goto cleanup;
    }
    rc = 0;
    //  Durable: the chunks' files may go. One left by a crash is removed
    //  when the job is loaded again.
    for (size_t index = 0; index < count; index++) {
        char *name = s_chunk_name (chunks[index].chunk_nbr,
                                   chunks[index].first_page,
                                   chunks[index].page_count);
        char *chunk_path = name ? zsys_sprintf ("%s/%s", job_dir, name) : NULL;
        if (chunk_path && unlink (chunk_path) == -1 && errno != ENOENT)
            log_warning ("job=%s chunk=%u spool: cannot remove %s: %s",
                         job_id, chunks[index].chunk_nbr, chunk_path,
                         strerror (errno));
        zstr_free (&chunk_path);
        zstr_free (&name);
    }

cleanup:
    zchunk_destroy (&lines);
    zstr_free (&path);
    zstr_free (&job_dir);
    return rc;
}

//  Add one chunk file found on disk to job, deleting it when it does not
//  fit.
static void
s_load_chunk (assembly_t *job, const char *job_dir, const char *name)
{
    const char *job_id = assembly_job_id (job);
    uint32_t chunk_nbr, first_page, page_count;
    if (s_parse_chunk_name (name, &chunk_nbr, &first_page, &page_count) == -1) {
        log_warning ("job=%s spool: ignoring unexpected file %s/%s", job_id,
                     job_dir, name);
        return;
    }
    char reason[ASSEMBLY_REASON_MAX];
    bool released = assembly_has (job, chunk_nbr);
    assembly_verdict_t verdict =
        assembly_add (job, chunk_nbr, first_page, page_count, reason);
    if (verdict == ASSEMBLY_NEW)
        return;
    //  Released, but the crash came before its file was removed.
    if (verdict == ASSEMBLY_DUPLICATE && released)
        snprintf (reason, sizeof (reason), "its pages are in the output");
    //  A duplicate cannot have a second name; treat it as a contradiction.
    if (verdict == ASSEMBLY_DUPLICATE)
        snprintf (reason, sizeof (reason), "chunk is present twice");
    log_warning ("job=%s chunk=%u spool: deleting %s: %s", job_id, chunk_nbr,
                 name, reason);
    char *path = zsys_sprintf ("%s/%s", job_dir, name);
    if (path && unlink (path) == -1)
        log_error ("job=%s chunk=%u spool: cannot remove %s: %s", job_id,
                   chunk_nbr, path, strerror (errno));
    zstr_free (&path);
}

assembly_t *
spool_load (spool_t *self, const char *job_id)
{
    assert (self);
    if (!spool_job_id_valid (job_id))
        return NULL;
    char *job_dir = s_job_dir (self, job_id);
    if (!job_dir)
        return NULL;
    assembly_t *job = NULL;
    zlist_t *names = NULL;
    uint32_t chunk_count, total_pages;
    if (s_read_meta (job_dir, &chunk_count, &total_pages) == -1) {
        //  The meta file is written before the first chunk, so a directory
        //  without a usable one holds no chunk we could check.
        log_warning ("job=%s spool: removing %s, its meta file is "
                     "unusable: %s",
                     job_id, job_dir, strerror (errno));
        s_remove_job_dir (self, job_id);
        goto cleanup;
    }
    char reason[ASSEMBLY_REASON_MAX];
    job = assembly_new (job_id, chunk_count, total_pages, reason);
    if (!job) {
        log_warning ("job=%s spool: removing %s: %s", job_id, job_dir, reason);
        s_remove_job_dir (self, job_id);
        goto cleanup;
    }
    names = s_list_dir (job_dir);
    if (!names) {
        log_error ("job=%s spool: cannot list %s: %s", job_id, job_dir,
                   strerror (errno));
        assembly_destroy (&job);
        goto cleanup;
    }
    s_load_released (job, job_dir);
    for (char *name = zlist_first (names); name; name = zlist_next (names))
        if (name[0] != '.' && !streq (name, S_META_NAME) &&
            !streq (name, S_RELEASED_NAME))
            s_load_chunk (job, job_dir, name);

cleanup:
    zlist_destroy (&names);
    zstr_free (&job_dir);
    return job;
}

char *
spool_chunk_path (spool_t *self, const assembly_t *job, uint32_t chunk_nbr)
{
    assert (self);
    assert (job);
    if (!assembly_has (job, chunk_nbr) ||
        !spool_job_id_valid (assembly_job_id (job)))
        return NULL;
    char *name = s_chunk_name (chunk_nbr, assembly_first_page (job, chunk_nbr),
                               assembly_page_count (job, chunk_nbr));
    char *path =
        name ? zsys_sprintf ("%s/%s/%s", self->dir, assembly_job_id (job), name)
             : NULL;
    zstr_free (&name);
    return path;
}

char *
spool_scratch_path (spool_t *self, const char *job_id)
{
    assert (self);
    if (!spool_job_id_valid (job_id))
        return NULL;
    return zsys_sprintf ("%s/%s/%s", self->dir, job_id, S_SCRATCH_NAME);
}

//  Bytes of the regular files under path, descending depth levels of
//  directories (the spool has two: jobs, then their files).
static uint64_t
s_dir_bytes (const char *path, int depth)
{
    zlist_t *names = s_list_dir (path);
    if (!names) {
        log_warning ("spool: cannot read %s: %s", path, strerror (errno));
        return 0;
    }
    uint64_t bytes = 0;
    for (char *name = zlist_first (names); name; name = zlist_next (names)) {
        char *child = zsys_sprintf ("%s/%s", path, name);
        struct stat info;
        if (child && lstat (child, &info) == 0) {
            if (S_ISREG (info.st_mode))
                bytes += (uint64_t)info.st_size;
            else if (S_ISDIR (info.st_mode) && depth > 0)
                bytes += s_dir_bytes (child, depth - 1);
        }
        zstr_free (&child);
    }
    zlist_destroy (&names);
    return bytes;
}

uint64_t
spool_disk_bytes (spool_t *self)
{
    assert (self);
    return s_dir_bytes (self->dir, SPOOL_WALK_DEPTH);
}

int
spool_note_upload (spool_t *self, const char *job_id, const char *key,
                   const char *upload_id)
{
    assert (self);
    assert (key && upload_id);
    if (!spool_job_id_valid (job_id))
        return -1;
    char *record = zsys_sprintf ("%s\n%s\n", key, upload_id);
    int rc = -1;
    if (record)
        rc = s_write_atomic (job_id, self->uploads_dir, job_id, record,
                             strlen (record), false);
    else
        log_error ("job=%s spool: out of memory", job_id);
    zstr_free (&record);
    return rc;
}

int
spool_noted_upload (spool_t *self, const char *job_id, char **key_p,
                    char **upload_id_p)
{
    assert (self);
    assert (key_p && upload_id_p);
    if (!spool_job_id_valid (job_id))
        return -1;
    char *path = zsys_sprintf ("%s/%s", self->uploads_dir, job_id);
    char *text = path ? s_read_small (path, S_UPLOAD_MAX) : NULL;
    zstr_free (&path);
    char *newline = text ? strchr (text, '\n') : NULL;
    char *end = newline ? strchr (newline + 1, '\n') : NULL;
    int rc = -1;
    if (end && newline > text && end > newline + 1) {
        *newline = '\0';
        *end = '\0';
        *key_p = strdup (text);
        *upload_id_p = strdup (newline + 1);
        if (*key_p && *upload_id_p)
            rc = 0;
        else {
            zstr_free (key_p);
            zstr_free (upload_id_p);
        }
    } else if (text)
        log_warning ("job=%s spool: ignoring a damaged upload record", job_id);
    free (text);
    return rc;
}

void
spool_forget_upload (spool_t *self, const char *job_id)
{
    assert (self);
    if (!spool_job_id_valid (job_id))
        return;
    char *path = zsys_sprintf ("%s/%s", self->uploads_dir, job_id);
    if (path && unlink (path) == -1 && errno != ENOENT)
        log_warning ("job=%s spool: cannot remove %s: %s", job_id, path,
                     strerror (errno));
    zstr_free (&path);
}

zlist_t *
spool_upload_jobs (spool_t *self)
{
    assert (self);
    zlist_t *names = s_list_dir (self->uploads_dir);
    if (!names) {
        log_error ("spool: cannot list %s: %s", self->uploads_dir,
                   strerror (errno));
        return NULL;
    }
    zlist_t *jobs = zlist_new ();
    zlist_autofree (jobs);
    for (char *name = zlist_first (names); name; name = zlist_next (names))
        if (spool_job_id_valid (name))
            zlist_append (jobs, name);
    zlist_destroy (&names);
    return jobs;
}
