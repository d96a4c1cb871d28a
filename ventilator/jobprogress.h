/*  jobprogress - how far along a job is, in time: elapsed, rate, time left.

    Owns the arithmetic behind the status document's "progress" object
    (docs/api.md): the seconds since a job was created (frozen when it
    ended), its rendering rate in pages per second and the seconds left at
    that rate. A pure function of what the job store holds and the time
    now, so it can be tested without a store; the store writes the result.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_JOBPROGRESS_H
#define PDFPIPE_JOBPROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

typedef struct {
    double elapsed_s;   // since created_at, until the job ended
    bool has_rate;      // false before any page is done (null in JSON)
    double pages_per_s; // pages done / seconds of rendering
    bool has_eta;       // false when the rate is unknown (null in JSON)
    double eta_s;       // (total - done) / pages_per_s; 0 once ended
} jobprogress_t;

//  The progress of a job in state, created at created_at, that entered
//  each state at at[state] (0 for states not entered; ms since the Unix
//  epoch, as jobstore_transitions gives them), with pages_done of
//  pages_total pages stored, seen at now (ms since the Unix epoch).
//  Rendering is counted from the rendering transition to the merging one,
//  or to the job's end, or to now. Times in seconds, rounded to the ms;
//  the rate to a tenth. A clock that went back counts as no time.
jobprogress_t
jobprogress_compute (jobstate_t state, int64_t created_at,
                     const int64_t at[JOBSTATE_COUNT], uint64_t pages_done,
                     uint64_t pages_total, int64_t now);

//  What a job of pages pages should take, at the rates of earlier jobs
//  that together had sample_pages pages, made sample_bytes bytes of
//  results and took sample_ms from rendering to done: *seconds_p (to a
//  tenth) and *bytes_p (whole). Returns false, leaving both alone, when the
//  sample is empty (no page, or no time).
bool
jobprogress_estimate (uint64_t pages, uint64_t sample_pages,
                      uint64_t sample_bytes, uint64_t sample_ms,
                      double *seconds_p, double *bytes_p);

#endif
