/*  spool - the sink's durable chunk files, one directory per job.

    Owns the layout of the spool directory and every write into it:

        SPOOL/<job_id>/meta                        the job's shape
        SPOOL/<job_id>/chunk-<nnnnnn>-p<A>-<B>.pdf chunk nnnnnn, pages A..B
        SPOOL/<job_id>/released                    chunks held in the output
        SPOOL/<job_id>/.merged.pdf.part            the output, growing
        SPOOL/<job_id>/.merged.pdf.journal         its checkpoints
        SPOOL/.finished/<job_id>                   tombstone: outcome text
        SPOOL/.uploads/<job_id>                    multipart upload running

    A chunk's page range is part of its file name, so a chunk and its range
    become durable in one rename. Every file is written under a temporary
    name that starts with '.', fsynced, renamed into place, and its
    directory fsynced, so a file that exists under its final name is
    complete. The meta file ("chunk_count N", "total_pages N") is written
    the same way before the job's first chunk, so a restarted sink knows the
    job's shape.

    Released chunks: once the job's output holds a chunk's pages and a
    checkpoint covering it is durable (sink/pdfappend's journal), the
    finisher releases the chunk: its number and range are appended to the
    job's "released" file ("<chunk> <first page> <page count>", one line
    each, chunks from 0 in order), which is fsynced before the chunk's
    file is removed. A released chunk is still present to spool_load, so
    a restarted sink still reports it stored; its pages come from the
    output, which spool_recover keeps (the output, ".merged.pdf.part",
    its journal and a finished but unstored ".merged.pdf" are not
    temporary files). A line torn by a crash ends the list.

    Tombstones: a finished, failed or cancelled job leaves a small file in
    SPOOL/.finished named after the job, holding its outcome ("done ...",
    "failed ...", "cancelled"). The first outcome written wins. Chunks that
    arrive later for that job are dropped by the caller (spool_finished)
    instead of starting a new assembly. spool_recover deletes tombstones
    older than SPOOL_TOMBSTONE_TTL_S: by then no duplicate is in flight.

    Judging chunks is left to sink/assembly; files read back from disk are
    checked again against it by spool_load. Job ids are checked here too
    (they become path names), so a bad one never reaches the file system.

    Threads: a spool_t is used by one thread. Several spool_t on the same
    directory (the main loop and the finisher) are safe as long as only one
    writes chunks of a given job and spool_recover runs before either
    starts.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_SPOOL_H
#define PDFPIPE_SPOOL_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "assembly.h"

//  Duplicates of a finished job come from re-dispatch, which is bounded by
//  chunk deadlines (minutes); a week leaves room for a ventilator that was
//  down for a long weekend.
#define SPOOL_TOMBSTONE_TTL_S (7 * 24 * 3600)
#define SPOOL_FINISHED_DIR ".finished"
//  Levels of directories spool_disk_bytes descends: jobs, their files.
#define SPOOL_WALK_DEPTH 2
//  Upload records ("<key>\n<upload id>\n"), outside the job directories
//  so that a job cancelled or finished keeps its record until its upload
//  is completed or aborted.
#define SPOOL_UPLOADS_DIR ".uploads"

typedef struct _spool_t spool_t;

//  Open the spool at dir, creating it (and missing parents) and its
//  tombstone directory. Returns NULL when they cannot be created (logged).
//  Caller owns the result.
spool_t *
spool_new (const char *dir);

void
spool_destroy (spool_t **self_p);

//  True when job_id is 1 to PROTO_JOB_ID_MAX characters of [A-Za-z0-9_-].
bool
spool_job_id_valid (const char *job_id);

//  Clean up after a crash; call once at start, before any other use of
//  the spool: removes temporary files, the directories of jobs that have a
//  tombstone, and tombstones older than SPOOL_TOMBSTONE_TTL_S. Returns -1
//  when the spool cannot be read (logged).
int
spool_recover (spool_t *self);

//  Remove tombstones older than SPOOL_TOMBSTONE_TTL_S, as spool_recover
//  does at start, while the sink runs (temporary files are left to
//  spool_recover: the finisher may be writing one). Safe beside the
//  finisher's spool_t.
void
spool_expire_tombstones (spool_t *self);

//  Write chunk chunk_nbr (pages first_page .. first_page + page_count - 1)
//  of job durably, alone (nothing may be staged), creating the job's directory
//  and meta file first when needed. The caller has checked the chunk against
//  job. When a file for this exact chunk and range is already there, writes
//  nothing and sets *duplicate. Returns -1 for a bad job id, a job with a
//  tombstone, or a file system error (logged, with strerror); nothing is left
//  under a final name then.
int
spool_put (spool_t *self, const assembly_t *job, uint32_t chunk_nbr,
           uint32_t first_page, uint32_t page_count, const void *pdf,
           size_t size, bool *duplicate);

//  Stage chunk chunk_nbr of job as spool_put does, without waiting for the
//  disk: the chunk is written under a temporary name, and becomes durable
//  under its final name only with spool_commit, which the caller must call
//  before it tells anyone the chunk is stored. The job's directory and
//  meta file are made durable here already (once per job). Sets
//  *duplicate and stages nothing when the chunk's file is there already.
//  Returns -1 with errno set (logged) as spool_put does; nothing is staged
//  then.
int
spool_stage (spool_t *self, const assembly_t *job, uint32_t chunk_nbr,
             uint32_t first_page, uint32_t page_count, const void *pdf,
             size_t size, bool *duplicate);

//  Chunks staged and not yet committed, and their bytes.
size_t
spool_staged (spool_t *self);

uint64_t
spool_staged_bytes (spool_t *self);

//  Told of each staged chunk once spool_commit is done with it:
//  error_number 0 when it is durable under its final name, otherwise the
//  errno that stopped it (then nothing of it is left under its final name).
typedef void (spool_committed_fn) (const char *job_id, uint32_t chunk_nbr,
                                   int error_number, void *arg);

//  Make every staged chunk durable: fsync each file, rename each into
//  place, fsync each job directory once. Then calls committed for each, in
//  the order they were staged. Nothing is staged afterwards.
void
spool_commit (spool_t *self, spool_committed_fn *committed, void *arg);

//  True when job_id has a tombstone (or is not a valid job id).
bool
spool_finished (spool_t *self, const char *job_id);

//  The outcome text of job_id's tombstone, or NULL when there is none.
//  Caller frees.
char *
spool_outcome (spool_t *self, const char *job_id);

//  Record outcome (one line of text) as job_id's tombstone unless it has
//  one already, then remove the job's directory with its chunks. When the
//  tombstone cannot be written (a full disk), the directory is removed
//  first and the tombstone tried again. Removing
//  what is already gone is not an error. Returns -1 when the tombstone
//  cannot be written or the directory cannot be removed (logged).
int
spool_finish (spool_t *self, const char *job_id, const char *outcome);

//  Ids of the jobs that have a directory and no tombstone. Returns NULL
//  when the spool cannot be read (logged). Caller destroys the list.
zlist_t *
spool_jobs (spool_t *self);

//  Rebuild job_id's assembly from its meta file, released chunks and chunk
//  files. Chunk
//  files that contradict the meta file or each other are logged and
//  deleted, so the chunk is received again. Returns NULL when the meta file
//  is missing or unreadable (logged). Caller owns the result.
assembly_t *
spool_load (spool_t *self, const char *job_id);

//  A chunk and its pages, as spool_release takes them.
typedef struct {
    uint32_t chunk_nbr;
    uint32_t first_page;
    uint32_t page_count;
} spool_range_t;

//  Release count chunks of job_id, the next ones in order from chunk 0
//  (the caller's to keep): record them durably as held in the job's
//  output, then remove their files. Returns -1 when the record cannot be
//  written (logged): the files stay then.
int
spool_release (spool_t *self, const char *job_id, const spool_range_t *chunks,
               size_t count);

//  Chunks of job_id released so far (0 when none, or the job is unknown).
uint32_t
spool_released (spool_t *self, const char *job_id);

//  Path of a present chunk's file, or NULL when the chunk is absent. A
//  released chunk's file is gone.
//  Caller frees.
char *
spool_chunk_path (spool_t *self, const assembly_t *job, uint32_t chunk_nbr);

//  A temporary path inside job_id's directory for the merged document; it
//  goes away with spool_finish or spool_recover. Caller frees.
char *
spool_scratch_path (spool_t *self, const char *job_id);

//  Bytes of the files in the spool (chunks, outputs being written,
//  tombstones), walked on disk now: the finisher's thread writes and
//  removes there too. What cannot be read is not counted (logged).
uint64_t
spool_disk_bytes (spool_t *self);
//  Record durably that job_id's result is being uploaded to key as the
//  store's multipart upload upload_id, replacing an earlier record: a
//  sink killed meanwhile finds it at its next start and aborts that
//  upload. The record stays until spool_forget_upload, whatever happens
//  to the job's directory. Returns -1 when it cannot be written (logged).
int
spool_note_upload (spool_t *self, const char *job_id, const char *key,
                   const char *upload_id);

//  The upload recorded for job_id: sets *key_p and *upload_id_p (caller
//  frees both). Returns -1 when there is none (or it is unreadable).
int
spool_noted_upload (spool_t *self, const char *job_id, char **key_p,
                    char **upload_id_p);

//  Remove job_id's upload record, once the upload is completed or
//  aborted. An absent record is not an error.
void
spool_forget_upload (spool_t *self, const char *job_id);

//  Ids of the jobs with an upload record. Returns NULL when the records
//  cannot be listed (logged). Caller destroys the list.
zlist_t *
spool_upload_jobs (spool_t *self);

#endif
