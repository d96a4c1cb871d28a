/*  jobstore - durable job state: the source of truth for every job's status.

    Owns data_dir/jobs.db, an SQLite database, and is the only module that
    sees SQLite. A job is stored once, when it is accepted: its row (state,
    page and chunk counts, progress, error, result, template JSON), one row
    per chunk (page range, stored flag) and a timestamp for each state it
    has entered. Its records are not here but in its records file
    (ventilator/recordfile), which is complete before the row is written.
    Parsing and validation belong to jobspec; dispatch, deadlines and
    retries to the scheduler, which keeps them in memory and rebuilds them
    from here after a restart.

    Threading: a handle belongs to one thread at a time. Each thread that
    needs the store (the HTTP thread, the main loop) opens its own handle;
    SQLite's WAL mode lets them read while the other writes, and writers wait
    up to JOBSTORE_BUSY_TIMEOUT_MS for each other. Every write is one
    transaction with synchronous=FULL, so when a function returns success
    its change survives a crash or power loss.

    States only move forward into done, failed or cancelled; a terminal
    state is never left, which is what makes a cancel racing a completion
    safe: whichever commits first wins, the other is told it lost.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_JOBSTORE_H
#define PDFPIPE_JOBSTORE_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "jobspec.h"
#include "proto.h"

#define JOBSTORE_FILENAME "jobs.db"
//  How long a write waits for the other handle's transaction to finish.
//  Transactions are short (the longest is inserting a large job), so this
//  is only hit when something is badly wrong.
#define JOBSTORE_BUSY_TIMEOUT_MS 10000

typedef struct _jobstore_t jobstore_t;

//  A job's row, as jobstore_job reads it.
typedef struct {
    char id[PROTO_JOB_ID_MAX + 1];
    jobstate_t state;
    uint32_t pages;       // total pages (= records)
    uint32_t chunk_pages; // pages per chunk, the last chunk may have fewer
    uint32_t chunk_count;
    uint32_t chunks_done; // chunks the sink has stored
    uint32_t pages_done;  // pages in those chunks
    int64_t created_at;   // ms since the Unix epoch, UTC
    uint32_t priority;    // the document's "priority" (its default if none)
} jobstore_job_t;

//  Open (creating if needed) data_dir and data_dir/jobs.db, and the schema.
//  Returns NULL, after logging why, when the directory or database cannot
//  be created or opened, or the database was written by a newer schema.
//  Caller owns the handle and must use it from one thread at a time.
jobstore_t *
jobstore_open (const char *data_dir);

void
jobstore_destroy (jobstore_t **self_p);

//  Store a validated job under job_id, in state queued: the job row, the
//  template JSON and one chunk row per chunk of the job's chunk plan. Its
//  records are the caller's to have stored first (recordfile). One
//  transaction, committed before return. Returns -1 (logged) when the id
//  is already used or the write fails; nothing is stored then.
int
jobstore_insert (jobstore_t *self, const char *job_id, const jobspec_t *spec);

//  The same, for a job owned by owner (the name of the API token that
//  submitted it; NULL: no owner, as when the API has no tokens).
int
jobstore_insert_owned (jobstore_t *self, const char *job_id,
                       const jobspec_t *spec, const char *owner);

//  The job's owner as stored by jobstore_insert_owned: *owner_p is a copy
//  (caller frees) or NULL when the job has none. Returns 0, or -1 when the
//  job is unknown or the read fails (logged).
int
jobstore_owner (jobstore_t *self, const char *job_id, char **owner_p);

//  Where job_id's result goes, as rendered from its document's "output"
//  when it was accepted: *key_p is the key in the store (the default
//  "<id>.pdf" when the document named none), *filename_p the download name
//  or NULL. Both are the caller's to free. Returns -1 (both NULL) when the
//  job is unknown or the read fails (logged).
int
jobstore_output (jobstore_t *self, const char *job_id, char **key_p,
                 char **filename_p);

//  Read a job's row into job. Returns 0 when found; -1 when the id is
//  unknown or the read fails (logged).
int
jobstore_job (jobstore_t *self, const char *job_id, jobstore_job_t *job);

//  The job's template as JSON text, as workers receive it. Caller frees.
//  NULL when the job is unknown.
char *
jobstore_template_json (jobstore_t *self, const char *job_id);

//  Records of chunk chunk_nbr (0-based) as a JSON array text, for a job
//  stored before jobs had records files (whose chunk rows held them).
//  Caller frees. NULL when the job or chunk is unknown, or the job's
//  records are in its records file.
char *
jobstore_chunk_records (jobstore_t *self, const char *job_id,
                        uint32_t chunk_nbr);

//  Move the job to state, stamping the time it entered it (the first time
//  only, if it enters the same state again). error, when not NULL, is kept
//  as the job's error text (meant for failed). A terminal state is never
//  left: returns 1 and changes nothing when the job is already terminal;
//  0 on change; -1 when the job is unknown or the write fails (logged).
int
jobstore_set_state (jobstore_t *self, const char *job_id, jobstate_t state,
                    const char *error);

//  Mark chunk chunk_nbr stored (idempotent). Returns 1 when newly marked
//  (the job's chunks_done and pages_done grow by the chunk), 0 when it was
//  already marked, -1 when the job or chunk is unknown or the write fails.
int
jobstore_chunk_stored (jobstore_t *self, const char *job_id,
                       uint32_t chunk_nbr);

//  Fill stored[0 .. chunk_count-1] (the caller's array) with the chunks'
//  stored flags; entries for chunks the job does not have are false.
//  Returns 0, or -1 when the job is unknown or the read fails.
int
jobstore_chunks_stored (jobstore_t *self, const char *job_id, bool *stored,
                        uint32_t chunk_count);

//  Record the job's result (location such as file:///path or s3://b/k, and
//  its size) and move it to done. Same returns as jobstore_set_state: 1 and
//  nothing recorded when the job is already terminal.
int
jobstore_set_result (jobstore_t *self, const char *job_id, const char *location,
                     uint64_t bytes);

//  Read the job's state and result. *location_p is set to the location
//  (caller frees) or NULL when there is none yet; *bytes_p to its size or
//  0. Any out-pointer may be NULL. Returns 0, or -1 when the job is unknown
//  or the read fails.
int
jobstore_result (jobstore_t *self, const char *job_id, char **location_p,
                 uint64_t *bytes_p, jobstate_t *state_p);

//  The job's error text (caller frees), or NULL when it has none or the job
//  is unknown.
char *
jobstore_error (jobstore_t *self, const char *job_id);

//  Ids (char *) of every job that is not terminal, oldest first. The list
//  frees its items. NULL when the read fails. Caller owns the list.
zlist_t *
jobstore_active (jobstore_t *self);

//  Ids (char *) of every job that is done, in no order. The list frees
//  its items. NULL when the read fails. Caller owns the list.
zlist_t *
jobstore_done (jobstore_t *self);

//  Ids (char *) of at most limit jobs, newest first (by created_at, then
//  id, both descending), that come after the job before_id created at
//  before_created_at in that order (before_id NULL: from the newest),
//  owned by owner (NULL: any job, owned or not) and in one of states (bit
//  1 << state for each; 0: any). Read down an index, so a page costs its
//  rows, whatever the number of jobs. The list frees its items. NULL when
//  the read fails (logged). Caller owns the list.
zlist_t *
jobstore_list (jobstore_t *self, const char *owner, uint32_t states,
               int64_t before_created_at, const char *before_id,
               uint32_t limit);

//  What the newest done jobs measured, summed (jobstore_recent_done).
typedef struct {
    uint32_t jobs;  // how many were summed
    uint64_t pages; // their pages
    uint64_t bytes; // their results' bytes
    uint64_t ms;    // their times from rendering to done
} jobstore_rates_t;

//  Sum what the most recently created done jobs measured, at most most of
//  them, into rates (all 0 when none is done). Read down an index: costs
//  the jobs walked, not the store. Returns 0, or -1 (logged).
int
jobstore_recent_done (jobstore_t *self, uint32_t most, jobstore_rates_t *rates);

//  When the job entered each state (ms since the Unix epoch), 0 for states
//  it has not entered. Returns 0, or -1 when the read fails (logged).
int
jobstore_transitions (jobstore_t *self, const char *job_id,
                      int64_t at[JOBSTATE_COUNT]);

//  The number of jobs in each state. Returns 0, or -1 when the read fails
//  (logged).
int
jobstore_count_states (jobstore_t *self, uint64_t counts[JOBSTATE_COUNT]);
//  Ids (char *) of at most most jobs that ended (done, failed, cancelled)
//  before ended_before (ms since the Unix epoch), the longest ended first.
//  The list frees its items. NULL when the read fails. Caller owns it.
zlist_t *
jobstore_expired (jobstore_t *self, int64_t ended_before, uint32_t most);

//  Delete an ended job, a bounded part at a time so that no transaction
//  is long: up to chunks_max of its chunk rows, and once none is left its
//  row and transitions. Tables of other modules that refer to jobs must
//  say ON DELETE CASCADE. *chunks_deleted is set to the chunk rows this
//  call deleted. Returns 0 when the job is gone,
//  JOBSTORE_DELETE_MORE when chunks are left (call again),
//  JOBSTORE_DELETE_NONE when there is no such ended job (nothing
//  changes), -1 when the write fails (logged).
#define JOBSTORE_DELETE_MORE 1
#define JOBSTORE_DELETE_NONE 2
int
jobstore_delete (jobstore_t *self, const char *job_id, uint32_t chunks_max,
                 uint32_t *chunks_deleted);

//  Give the pages of deleted rows back to the file system (the database
//  uses incremental auto-vacuum) and empty the write-ahead log. Returns 0
//  when that is done, 1 when a reader kept the log from being emptied
//  (call again later), -1 on failure (logged).
int
jobstore_vacuum (jobstore_t *self);

//  Bytes the job store in data_dir takes on disk: jobs.db and its
//  write-ahead log. 0 when there is none yet.
uint64_t
jobstore_disk_bytes (const char *data_dir);

//  The job's status as the JSON text GET /v1/jobs/{id} answers with (see
//  docs/api.md). Caller frees. NULL when the job is unknown or the read
//  fails.
char *
jobstore_status_json (jobstore_t *self, const char *job_id);

//  Webhook deliveries (ventilator/webhook). A job stored with a webhook URL
//  (jobspec_webhook_url) has a delivery row, written in the same
//  transaction, that waits for the job to end. Times are ms since the
//  Unix epoch.
typedef struct {
    char *url;         // the target
    char *body;        // the event, the same on every attempt
    uint32_t attempts; // counting the one just begun
    int64_t ended_at;  // when the delivery became due
} jobstore_webhook_t;

//  Job job_id has ended: its webhook, if it has one, is due at now (once:
//  a second call changes nothing). Returns 0, or -1 (logged).
int
jobstore_webhook_due (jobstore_t *self, const char *job_id, int64_t now);

//  Make due, at now, the webhooks of every ended job not yet due: those
//  whose end was recorded by another handle (a cancel) or just before a
//  crash. Returns 0, or -1 (logged).
int
jobstore_webhooks_recover (jobstore_t *self, int64_t now);

//  Ids (char *) of at most max pending webhooks due at now, earliest
//  first. The list frees its items. NULL when the read fails. Caller owns
//  the list.
zlist_t *
jobstore_webhooks_due (jobstore_t *self, int64_t now, uint32_t max);

//  Begin an attempt at job_id's pending webhook: count it, keep body as
//  its event unless it has one already, and hold it off until busy_until
//  (so an attempt a crash cuts short is made again then). Fills webhook
//  (jobstore_webhook_clear frees it). Returns 0, or -1 when the webhook is
//  not pending or the write fails.
int
jobstore_webhook_begin (jobstore_t *self, const char *job_id, const char *body,
                        int64_t busy_until, jobstore_webhook_t *webhook);

void
jobstore_webhook_clear (jobstore_webhook_t *webhook);

//  The attempt failed (error says how): try again at next_at. Returns 0,
//  or -1 (logged).
int
jobstore_webhook_retry (jobstore_t *self, const char *job_id, int64_t next_at,
                        const char *error);

//  The webhook is settled: delivered, or given up (error says the last
//  failure). Returns 0, or -1 (logged).
int
jobstore_webhook_finish (jobstore_t *self, const char *job_id, bool delivered,
                         int64_t now, const char *error);

#endif
