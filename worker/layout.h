/*  layout - breaking a text into lines that fit a width.

    Owns the line breaks of one text at a time, with the widths measured
    by the caller (the renderer asks its font), so the rules are testable
    without a PDF: lines break at spaces, which disappear at a break; a
    word wider than a whole line is broken between characters; with a
    line limit, the last line kept is shortened until it fits with an
    ellipsis after it, whenever text was left over.

    Texts are UTF-8, or one byte a character (a standard PDF font's
    WinAnsi bytes); the caller says which, so that a break never falls
    inside a character. A layout_t keeps its line array between texts: a
    renderer makes one and reuses it for every text of every page.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_LAYOUT_H
#define PDFPIPE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct _layout_t layout_t;

//  Width in points of length bytes of text, as drawn.
typedef double (layout_measure_fn) (void *arg, const char *text, size_t length);

//  A new, empty layout. Returns NULL only when out of memory.
layout_t *
layout_new (void);

void
layout_destroy (layout_t **self_p);

//  Break text into lines at most width points wide, at most max_lines of
//  them (0: no limit). utf8 says whether text is UTF-8 (else one byte a
//  character). ellipsis_width is the width of the ellipsis the caller
//  appends to a cut last line. Returns the number of lines (0 for an empty
//  text), or -1 when out of memory.
int
layout_wrap (layout_t *self, const char *text, bool utf8, double width,
             unsigned max_lines, double ellipsis_width,
             layout_measure_fn *measure, void *arg);

//  Line index of the last layout_wrap: its offset and length in bytes in
//  the text, and whether the ellipsis follows it. Returns -1 when index
//  is out of range.
int
layout_line (const layout_t *self, size_t index, size_t *offset, size_t *length,
             bool *ellipsis);

#endif
