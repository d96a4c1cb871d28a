/*  retention - ended jobs deleted once their retention period is over.

    Owns the rule that nothing a job leaves behind stays for ever: a job
    that ended (done, failed, cancelled) more than the retention period
    ago loses its result in the store, whatever is left of its records
    file and upload, and then its rows in the job store (ventilator/
    jobstore), whose file then gives the freed pages back. A job that
    ended is never read again by the loop, so deleting it touches no state
    in memory; its status becomes 404 like an unknown job's.

    A result is removed only when the job is done and its stored location
    is the one this store gives its key: a job whose key another job's
    result now holds never removes that.

    Runs on the main loop's thread with its job store handle, a few jobs
    per sweep, so that a sweep stays short.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_RETENTION_H
#define PDFPIPE_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "jobstore.h"
#include "store.h"

//  Jobs deleted per sweep at most, and chunk rows (about 0.1 s of the
//  loop's time); the next sweep takes the rest, so a job of a million
//  chunks goes in 50 sweeps.
#define RETENTION_BATCH 64
#define RETENTION_CHUNKS_PER_SWEEP 20000
//  The sweep runs every half retention period, between these.
#define RETENTION_SWEEP_MIN_MS 500
#define RETENTION_SWEEP_MAX_MS 60000

//  Where a job's things are, besides its rows.
typedef struct {
    jobstore_t *jobstore;  // the loop's handle
    store_t *results;      // where results are
    const char *jobs_dir;  // records files (ventilator/recordfile)
    const char *spool_dir; // uploads (ventilator/intake)
    int64_t retention_ms;  // how long an ended job is kept
    bool vacuum_due;       // rows went; the file has not shrunk yet
} retention_t;

//  Delete up to RETENTION_BATCH jobs that ended before now_ms -
//  retention_ms (now_ms: ms since the Unix epoch), with their results,
//  records and uploads, at most RETENTION_CHUNKS_PER_SWEEP chunk rows in
//  all, and shrink the job store (again at the next sweep when a reader
//  kept it from shrinking). Returns how many jobs are gone, or -1 when
//  the job store cannot be read (logged).
int
retention_sweep (retention_t *self, int64_t now_ms);

//  How often to sweep for a retention period, ms.
int64_t
retention_interval_ms (int64_t retention_ms);

#endif
