/*  jobprogress - how far along a job is, in time: elapsed, rate, time left.

    SPDX-License-Identifier: MPL-2.0
*/
#include "jobprogress.h"

#include <assert.h>
#include <math.h>

//  Seconds from from to to (ms), never negative.
static double
s_seconds (int64_t from, int64_t to)
{
    return to > from ? (double)(to - from) / 1000.0 : 0.0;
}

static double
s_round (double value, double unit)
{
    return round (value / unit) * unit;
}

//  When the job ended (ms), or 0 while it runs. A terminal state without
//  its transition (a store written before transitions were kept) ends at
//  its latest transition.
static int64_t
s_ended_at (jobstate_t state, const int64_t at[JOBSTATE_COUNT])
{
    if (!jobstate_is_terminal (state))
        return 0;
    if (at[state])
        return at[state];
    int64_t latest = 0;
    for (int index = 0; index < JOBSTATE_COUNT; index++)
        if (at[index] > latest)
            latest = at[index];
    return latest;
}

jobprogress_t
jobprogress_compute (jobstate_t state, int64_t created_at,
                     const int64_t at[JOBSTATE_COUNT], uint64_t pages_done,
                     uint64_t pages_total, int64_t now)
{
    assert (at);
    jobprogress_t progress = {0};
    int64_t ended_at = s_ended_at (state, at);
    int64_t end = ended_at ? ended_at : now;
    progress.elapsed_s = s_round (s_seconds (created_at, end), 0.001);

    int64_t rendering_at = at[JOB_RENDERING];
    int64_t rendering_end = at[JOB_MERGING] ? at[JOB_MERGING] : end;
    //  A rate over no time says nothing; a millisecond is the clock's unit.
    if (rendering_at && pages_done > 0) {
        double seconds = s_seconds (rendering_at, rendering_end);
        if (seconds < 0.001)
            seconds = 0.001;
        progress.has_rate = true;
        progress.pages_per_s = s_round ((double)pages_done / seconds, 0.1);
    }
    if (ended_at) {
        progress.has_eta = true;
        progress.eta_s = 0;
    } else if (progress.has_rate && progress.pages_per_s > 0) {
        uint64_t left = pages_total > pages_done ? pages_total - pages_done : 0;
        progress.has_eta = true;
        progress.eta_s = s_round ((double)left / progress.pages_per_s, 0.001);
    }
    return progress;
}

bool
jobprogress_estimate (uint64_t pages, uint64_t sample_pages,
                      uint64_t sample_bytes, uint64_t sample_ms,
                      double *seconds_p, double *bytes_p)
{
    assert (seconds_p);
    assert (bytes_p);
    if (sample_pages == 0 || sample_ms == 0)
        return false;
    double pages_per_ms = (double)sample_pages / (double)sample_ms;
    *seconds_p = s_round ((double)pages / pages_per_ms / 1000.0, 0.1);
    *bytes_p =
        round ((double)pages * (double)sample_bytes / (double)sample_pages);
    return true;
}
