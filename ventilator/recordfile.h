/*  recordfile - a job's records on disk, where dispatch reads each chunk's.

    Owns the files of one job under the ventilator's jobs directory:

        <jobs_dir>/<job id>/records.jsonl   one compact JSON record per
                                            line, in page order
        <jobs_dir>/<job id>/records.idx     where each chunk starts in it:
                                            chunk_count + 1 offsets, 8
                                            bytes each, little-endian, the
                                            last the file's size

    Intake writes them (recordfile_create, _append, then _rewind and _next
    to read the records back for the template's checks, noting where each
    chunk starts, then _commit), and a job row names them only once they
    are committed, so a stored job always has whole files. A file that was
    never committed is removed with its handle, so a job refused half-way
    leaves nothing. Dispatch reads one chunk at a time by its offsets
    (recordfile_chunk), and files go when their job is finished
    (recordfile_remove) or, at start-up, when no live job has them
    (recordfile_sweep). Memory never depends on how many records there
    are: one record, and one chunk's, at a time.

    It decides nothing about jobs; errors are logged once here, with the
    job's id. A handle belongs to one thread; the functions that take a
    directory are safe on any thread.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_RECORDFILE_H
#define PDFPIPE_RECORDFILE_H

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

#define RECORDFILE_RECORDS "records.jsonl"
#define RECORDFILE_INDEX "records.idx"
//  Buffer of the records file, written and read back (bytes).
#define RECORDFILE_BUFFER_BYTES (256 * 1024)

typedef struct _recordfile_t recordfile_t;

//  Create job_id's directory under jobs_dir (made if missing) and its
//  records file, empty. Returns NULL (logged) when they cannot be made,
//  the directory already existing included. Caller owns the result.
recordfile_t *
recordfile_create (const char *jobs_dir, const char *job_id);

//  Close the files; unless they were committed, remove them and the job's
//  directory.
void
recordfile_destroy (recordfile_t **self_p);

//  Append one record (size bytes of compact JSON, no line break) and a
//  line break. Returns 0, or -1 (logged) when it cannot be written.
int
recordfile_append (recordfile_t *self, const char *json, size_t size);

//  Bytes written so far.
uint64_t
recordfile_bytes (const recordfile_t *self);

//  Every record is appended: start reading them back from the first, in
//  chunks of chunk_pages (> 0), whose starts go to the index as they are
//  read. Returns 0, or -1 (logged).
int
recordfile_rewind (recordfile_t *self, uint32_t chunk_pages);

//  The next record read back: 1 with *json_p (borrowed until the next
//  call; NUL-terminated, without its line break) and *size_p; 0 after the
//  last; -1 (logged) when the file cannot be read.
int
recordfile_next (recordfile_t *self, const char **json_p, size_t *size_p);

//  Every record has been read back: finish the index and make both files
//  and the directory durable. Returns 0, or -1 (logged); the files are
//  then still removed with the handle.
int
recordfile_commit (recordfile_t *self);

//  errno of the first failure of a write, a read or a flush (ENOSPC when
//  the disk is full), or 0.
int
recordfile_errno (const recordfile_t *self);

//  The records of chunk chunk_nbr (0-based) of a committed job, as a JSON
//  array, "[r1,r2,...]". Returns NULL (logged) when the files are missing,
//  cannot be read or do not hold that chunk; errno is ENOENT when the
//  job has no files. Caller frees.
char *
recordfile_chunk (const char *jobs_dir, const char *job_id, uint32_t chunk_nbr);

//  Remove job_id's files and directory; a job without any is fine.
//  Returns 0, or -1 (logged).
int
recordfile_remove (const char *jobs_dir, const char *job_id);

//  Remove the directory of every job under jobs_dir that keep (a list of
//  job ids, char *) does not name: left behind by a crash mid-intake, or
//  by a job that finished while the ventilator was down. Only names that
//  are job ids are touched. Returns how many were removed.
size_t
recordfile_sweep (const char *jobs_dir, zlist_t *keep);

#endif
