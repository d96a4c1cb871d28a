/*  progressbar - one job's progress, shown to the person who waits for it.

    On a terminal it redraws a single line in place with a carriage return:
        [#######.....] 1,200/2,000 pages  60%  812 pages/s  ETA 1 s  rendering
    and says "merging..." or "storing..." while the job is in those states.
    Anywhere else (a log file, a CI console) it prints a plain line only
    when the state or the done count changes:
        job 7f3a: rendering 1200/2000 pages  812 pages/s  ETA 1 s
    It owns what was shown last, to skip redraws that change nothing. The
    caller decides whether the stream is a terminal and how wide it is;
    progressbar_format is a pure function so the drawing can be tested.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_PROGRESSBAR_H
#define PDFPIPE_PROGRESSBAR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROGRESSBAR_CELLS_MAX 40 // a longer bar is no easier to read
//  With fewer cells the bar says nothing the numbers do not; it is left
//  out and only the text is shown.
#define PROGRESSBAR_CELLS_MIN 10
#define PROGRESSBAR_LINE_MAX 256 // bytes of one drawn line, with the NUL

typedef struct _progressbar_t progressbar_t;

//  A progress display for job_id on stream (borrowed). columns is the
//  width of the terminal stream is, or 0 when stream is not a terminal, in
//  which case plain lines are printed. Returns NULL when out of memory.
//  Caller owns the result.
progressbar_t *
progressbar_new (FILE *stream, const char *job_id, int columns);

void
progressbar_destroy (progressbar_t **self_p);

//  What the server says of the job's speed: pages per second and seconds
//  left, each negative when unknown.
typedef struct {
    double pages_per_s;
    double eta_s;
} progressbar_rate_t;

//  Show that the job is in state with done of total pages at rate (NULL:
//  unknown), unless that is what is already shown.
void
progressbar_update (progressbar_t *self, const char *state, uint64_t done,
                    uint64_t total, const progressbar_rate_t *rate);

//  End the line drawn on a terminal so what is printed next starts on a
//  line of its own. Does nothing when nothing was drawn, or on a stream
//  that is not a terminal.
void
progressbar_finish (progressbar_t *self);

//  The terminal line for state and done of total pages at rate (NULL:
//  unknown) into line (size bytes), at most columns - 1 characters so the
//  cursor never wraps. Counts are grouped by thousands ("1,200"); done is
//  right-aligned to the width of total and the bar keeps one length for
//  every state, so the line does not jitter. The rate and time left are
//  shown only while the job renders (or is queued) and the rate is known;
//  the time left is rounded up to seconds, minutes past 99 s, hours past
//  99 min. "merging" and "storing" are shown as "merging..." and
//  "storing...". The percentage is rounded
//  down (so 100% means all pages), done above total counts as total, and a
//  total of 0 shows 100% only when state is "done". The bar is dropped
//  when fewer than PROGRESSBAR_CELLS_MIN cells fit, and the text is cut
//  when even it does not fit.
void
progressbar_format (char *line, size_t size, int columns, const char *state,
                    uint64_t done, uint64_t total,
                    const progressbar_rate_t *rate);

#endif
