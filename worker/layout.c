/*  layout - breaking a text into lines that fit a width.

    Greedy, word by word: a line takes words while the text from its start
    to the end of the next word still fits. Widths are measured on whole
    prefixes, never summed word by word, so whatever the font adds between
    characters (character spacing) is counted as it will be drawn. Each
    word costs one measurement of its line so far, so a text of n bytes
    costs O(n) measurements at most.

    SPDX-License-Identifier: MPL-2.0
*/
#include "layout.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define S_FIT_SLACK 1e-6 // pt: rounding must not push a fitting line over

typedef struct {
    size_t offset;
    size_t length;
    bool ellipsis;
} s_line_t;

struct _layout_t {
    s_line_t *lines;
    size_t line_count;
    size_t line_max;
};

layout_t *
layout_new (void)
{
    return calloc (1, sizeof (layout_t));
}

void
layout_destroy (layout_t **self_p)
{
    assert (self_p);
    layout_t *self = *self_p;
    if (!self)
        return;
    free (self->lines);
    free (self);
    *self_p = NULL;
}

static int
s_add_line (layout_t *self, size_t offset, size_t length)
{
    if (self->line_count == self->line_max) {
        size_t line_max = self->line_max ? self->line_max * 2 : 8;
        s_line_t *lines = realloc (self->lines, line_max * sizeof (s_line_t));
        if (!lines)
            return -1;
        self->lines = lines;
        self->line_max = line_max;
    }
    s_line_t *line = &self->lines[self->line_count++];
    line->offset = offset;
    line->length = length;
    line->ellipsis = false;
    return 0;
}

//  Offset of the character after the one at offset.
static size_t
s_next_char (const char *text, size_t offset, bool utf8)
{
    offset++;
    if (utf8)
        while (((unsigned char)text[offset] & 0xC0) == 0x80)
            offset++;
    return offset;
}

//  Offset of the character before the one at offset (offset > start).
static size_t
s_previous_char (const char *text, size_t start, size_t offset, bool utf8)
{
    offset--;
    if (utf8)
        while (offset > start && ((unsigned char)text[offset] & 0xC0) == 0x80)
            offset--;
    return offset;
}

//  End of the longest run of whole characters from start that fits, at
//  least one character.
static size_t
s_fit_chars (const char *text, size_t start, size_t end, bool utf8,
             double width, layout_measure_fn *measure, void *arg)
{
    size_t fit = s_next_char (text, start, utf8);
    while (fit < end) {
        size_t next = s_next_char (text, fit, utf8);
        if (measure (arg, text + start, next - start) > width + S_FIT_SLACK)
            break;
        fit = next;
    }
    return fit;
}

int
layout_wrap (layout_t *self, const char *text, bool utf8, double width,
             unsigned max_lines, double ellipsis_width,
             layout_measure_fn *measure, void *arg)
{
    assert (self);
    assert (text);
    assert (measure);
    self->line_count = 0;
    size_t length = strlen (text);
    size_t position = 0;
    while (position < length) {
        if (max_lines && self->line_count == max_lines)
            break;
        //  Take words while they fit.
        size_t line_end = position;
        size_t scan = position;
        while (scan < length) {
            size_t word_end = scan;
            while (word_end < length && text[word_end] == ' ')
                word_end++;
            while (word_end < length && text[word_end] != ' ')
                word_end++;
            if (line_end > position &&
                measure (arg, text + position, word_end - position) >
                    width + S_FIT_SLACK)
                break;
            if (line_end == position &&
                measure (arg, text + position, word_end - position) >
                    width + S_FIT_SLACK) {
                //  The first word alone is too wide: break inside it.
                line_end = s_fit_chars (text, position, word_end, utf8, width,
                                        measure, arg);
                break;
            }
            line_end = word_end;
            scan = word_end;
        }
        size_t kept = line_end;
        while (kept > position && text[kept - 1] == ' ')
            kept--;
        if (s_add_line (self, position, kept - position))
            return -1;
        position = line_end;
        while (position < length && text[position] == ' ')
            position++;
    }
    if (position < length && self->line_count > 0) {
        //  Text left over: the last line makes room for the ellipsis.
        s_line_t *last = &self->lines[self->line_count - 1];
        size_t end = last->offset + last->length;
        while (end > last->offset &&
               measure (arg, text + last->offset, end - last->offset) +
                       ellipsis_width >
                   width + S_FIT_SLACK) {
            end = s_previous_char (text, last->offset, end, utf8);
            while (end > last->offset && text[end - 1] == ' ')
                end--;
        }
        last->length = end - last->offset;
        last->ellipsis = true;
    }
    return (int)self->line_count;
}

int
layout_line (const layout_t *self, size_t index, size_t *offset, size_t *length,
             bool *ellipsis)
{
    assert (self);
    if (index >= self->line_count)
        return -1;
    *offset = self->lines[index].offset;
    *length = self->lines[index].length;
    *ellipsis = self->lines[index].ellipsis;
    return 0;
}
