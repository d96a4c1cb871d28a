/*  progressbar - one job's progress, shown to the person who waits for it.

    A redrawn line is padded with spaces over whatever was left of a longer
    line before it, rather than cleared with an escape sequence, so the
    output stays plain text on any terminal.

    SPDX-License-Identifier: MPL-2.0
*/
#include "progressbar.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define S_STATE_WIDTH 9 // "rendering" and "cancelled", the longest states

struct _progressbar_t {
    FILE *stream; // borrowed
    char *job_id;
    int columns;       // terminal width; 0 when stream is not a terminal
    char *shown_state; // what is shown now; NULL before the first update
    uint64_t shown_done;
    uint64_t shown_total;
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

void
progressbar_update (progressbar_t *self, const char *state, uint64_t done,
                    uint64_t total)
{
    assert (self);
    assert (state);
    if (self->shown_state && strcmp (self->shown_state, state) == 0 &&
        self->shown_done == done && self->shown_total == total)
        return;
    free (self->shown_state);
    //  Out of memory only costs a redraw next time.
    self->shown_state = strdup (state);
    self->shown_done = done;
    self->shown_total = total;

    if (self->columns > 0) {
        char line[PROGRESSBAR_LINE_MAX];
        progressbar_format (line, sizeof line, self->columns, state, done,
                            total);
        size_t length = strlen (line);
        int padding = self->drawn_length > length
                          ? (int)(self->drawn_length - length)
                          : 0;
        fprintf (self->stream, "\r%s%*s", line, padding, "");
        self->drawn_length = length;
    } else
        fprintf (self->stream, "job %s: %s %" PRIu64 "/%" PRIu64 " pages\n",
                 self->job_id, state, done, total);
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
                    uint64_t done, uint64_t total)
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

    //  done is right-aligned to the width of total, and the bar sized as
    //  if state were as long as the longest, so the bar keeps its length
    //  and position as the job moves on.
    int digits = snprintf (NULL, 0, "%" PRIu64, total);
    char text[PROGRESSBAR_LINE_MAX];
    snprintf (text, sizeof text, "%*" PRIu64 "/%" PRIu64 " pages %3u%%  %s",
              digits, done, total, percent, state);
    int text_length = (int)strlen (text);
    int state_length = (int)strlen (state);
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
