/*  progressbar - one job's progress, shown to the person who waits for it.

    A redrawn line is padded with spaces over whatever was left of a longer
    line before it, rather than cleared with an escape sequence, so the
    output stays plain text on any terminal.

    SPDX-License-Identifier: MPL-2.0
*/
#include "progressbar.h"

#include "apireply.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

//  "merging...", the longest state shown; "rendering" and "cancelled" are
//  one shorter.
#define S_STATE_WIDTH 10
//  The rate and time left, "  12,345 pages/s  ETA 99 min", padded to this
//  so the bar keeps its length while the figures change.
#define S_RATE_WIDTH 28
#define S_NUMBER_MAX 32 // bytes of a grouped number, with the NUL

struct _progressbar_t {
    FILE *stream; // borrowed
    char *job_id;
    int columns;       // terminal width; 0 when stream is not a terminal
    char *shown_state; // what is shown now; NULL before the first update
    uint64_t shown_done;
    uint64_t shown_total;
    progressbar_rate_t shown_rate;
    size_t drawn_length; // characters of the line left on the terminal
};

progressbar_t *
progressbar_new (FILE *stream, const char *job_id, int columns)
{
    assert (stream);
    assert (job_id);
    progressbar_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->stream = stream;
    self->columns = columns > 0 ? columns : 0;
    self->job_id = strdup (job_id);
    if (!self->job_id)
        progressbar_destroy (&self);
    return self;
}

void
progressbar_destroy (progressbar_t **self_p)
{
    assert (self_p);
    progressbar_t *self = *self_p;
    if (!self)
        return;
    free (self->job_id);
    free (self->shown_state);
    free (self);
    *self_p = NULL;
}

static bool
s_same_rate (const progressbar_rate_t *one, const progressbar_rate_t *other)
{
    return one->pages_per_s == other->pages_per_s && one->eta_s == other->eta_s;
}

//  The rate while the job renders or waits to, and when it is known.
static bool
s_shows_rate (const char *state, const progressbar_rate_t *rate)
{
    return rate && rate->pages_per_s >= 0 &&
           (strcmp (state, "rendering") == 0 || strcmp (state, "queued") == 0);
}

//  value with thousands grouped by commas, "1,234,567".
static void
s_group (uint64_t value, char *text, size_t size)
{
    char digits[S_NUMBER_MAX];
    int length = snprintf (digits, sizeof digits, "%" PRIu64, value);
    size_t used = 0;
    for (int index = 0; index < length && used + 1 < size; index++) {
        if (index > 0 && (length - index) % 3 == 0 && used + 2 < size)
            text[used++] = ',';
        text[used++] = digits[index];
    }
    text[used] = '\0';
}

//  "  812 pages/s  ETA 11 s", the ETA left out when unknown; "" when the
//  rate is not shown.
static void
s_format_rate (char *text, size_t size, const char *state,
               const progressbar_rate_t *rate)
{
    text[0] = '\0';
    if (!s_shows_rate (state, rate))
        return;
    char pages[S_NUMBER_MAX];
    if (rate->pages_per_s < 10)
        snprintf (pages, sizeof pages, "%.1f", rate->pages_per_s);
    else
        s_group ((uint64_t)(rate->pages_per_s + 0.5), pages, sizeof pages);
    char eta[S_NUMBER_MAX] = "";
    if (rate->eta_s >= 0) {
        double seconds = ceil (rate->eta_s);
        if (seconds <= 99)
            snprintf (eta, sizeof eta, "  ETA %.0f s", seconds);
        else if (seconds <= 99 * 60)
            snprintf (eta, sizeof eta, "  ETA %.0f min", ceil (seconds / 60));
        else
            snprintf (eta, sizeof eta, "  ETA %.0f h", ceil (seconds / 3600));
    }
    snprintf (text, size, "  %s pages/s%s", pages, eta);
}

void
progressbar_update (progressbar_t *self, const char *state, uint64_t done,
                    uint64_t total, const progressbar_rate_t *rate)
{
    assert (self);
    assert (state);
    progressbar_rate_t unknown = {-1, -1};
    if (!rate)
        rate = &unknown;
    if (self->shown_state && strcmp (self->shown_state, state) == 0 &&
        self->shown_done == done && self->shown_total == total &&
        (self->columns == 0 || s_same_rate (&self->shown_rate, rate)))
        return;
    free (self->shown_state);
    //  Out of memory only costs a redraw next time.
    self->shown_state = strdup (state);
    self->shown_done = done;
    self->shown_total = total;
    self->shown_rate = *rate;

    if (self->columns > 0) {
        char line[PROGRESSBAR_LINE_MAX];
        progressbar_format (line, sizeof line, self->columns, state, done,
                            total, rate);
        size_t length = strlen (line);
        int padding = self->drawn_length > length
                          ? (int)(self->drawn_length - length)
                          : 0;
        fprintf (self->stream, "\r%s%*s", line, padding, "");
        self->drawn_length = length;
    } else {
        char rate_text[PROGRESSBAR_LINE_MAX];
        s_format_rate (rate_text, sizeof rate_text, state, rate);
        fprintf (self->stream, "job %s: %s %" PRIu64 "/%" PRIu64 " pages%s\n",
                 self->job_id, state, done, total, rate_text);
    }
    fflush (self->stream);
}

void
progressbar_finish (progressbar_t *self)
{
    assert (self);
    if (self->columns > 0 && self->drawn_length > 0) {
        fputc ('\n', self->stream);
        fflush (self->stream);
    }
    self->drawn_length = 0;
}

void
progressbar_format (char *line, size_t size, int columns, const char *state,
                    uint64_t done, uint64_t total,
                    const progressbar_rate_t *rate)
{
    assert (line);
    assert (size > 0);
    assert (state);
    line[0] = '\0';
    //  Writing the last column makes some terminals wrap the cursor to
    //  the next line, and the \r would then redraw below the bar.
    int width = columns - 1;
    if (width <= 0)
        return;

    uint64_t counted = done > total ? total : done;
    unsigned percent = 0;
    if (total > 0)
        percent = (unsigned)(counted * 100 / total);
    else if (strcmp (state, "done") == 0)
        percent = 100;

    //  The sink is busy with the whole job then, not with pages: say so.
    char shown_state[APIREPLY_STATE_MAX + 4];
    bool working =
        strcmp (state, "merging") == 0 || strcmp (state, "storing") == 0;
    snprintf (shown_state, sizeof shown_state, "%s%s", state,
              working ? "..." : "");
    char rate_text[PROGRESSBAR_LINE_MAX];
    s_format_rate (rate_text, sizeof rate_text, state, rate);
    int rate_width = (int)strlen (rate_text);
    if (rate_width > 0 && rate_width < S_RATE_WIDTH)
        rate_width = S_RATE_WIDTH;

    //  done is right-aligned to the width of total, and the bar sized as
    //  if state were as long as the longest, so the bar keeps its length
    //  and position as the job moves on.
    char done_text[S_NUMBER_MAX], total_text[S_NUMBER_MAX];
    s_group (done, done_text, sizeof done_text);
    s_group (total, total_text, sizeof total_text);
    int digits = (int)strlen (total_text);
    char text[PROGRESSBAR_LINE_MAX];
    snprintf (text, sizeof text, "%*s/%s pages %3u%%%-*s  %s", digits,
              done_text, total_text, percent, rate_width, rate_text,
              shown_state);
    int text_length = (int)strlen (text);
    int state_length = (int)strlen (shown_state);
    int reserved =
        text_length - state_length +
        (state_length > S_STATE_WIDTH ? state_length : S_STATE_WIDTH);
    int cells = width - reserved - (int)strlen ("[] ");
    if (cells > PROGRESSBAR_CELLS_MAX)
        cells = PROGRESSBAR_CELLS_MAX;
    if (cells < PROGRESSBAR_CELLS_MIN) {
        snprintf (line, size, "%.*s", width, text);
        return;
    }
    int filled = total > 0 ? (int)(counted * (uint64_t)cells / total)
                           : (percent == 100 ? cells : 0);
    char bar[PROGRESSBAR_CELLS_MAX + 1];
    memset (bar, '#', (size_t)filled);
    memset (bar + filled, '.', (size_t)(cells - filled));
    bar[cells] = '\0';
    snprintf (line, size, "[%s] %s", bar, text);
}
