/*  content - one page's content stream, as PDF operators.

    The renderer draws a page by calling these; each appends the operators
    to a buffer, which the renderer hands to its PDF library once the page
    is done: one write a page instead of a library call, a buffer cleared
    and numbers formatted per operator. Numbers are written with at most
    five decimals, trailing zeros dropped ("439.4375", "0.85", "50").

    It keeps the graphics state it has set, so that nothing is set twice:
    a fill or stroke colour, line width, font and size, or character
    spacing equal to the one in effect writes nothing, and q / Q save and
    restore that state as they do the page's. Texts go into one text
    object (BT .. ET) for as long as only texts follow each other, each
    placed by a move from the last one (Td); any other drawing closes the
    text object first. Knows no PDF library: fonts and images are the
    resource names the caller registered on the page ("F1", "X1").

    One content_t serves every page of a renderer: content_reset starts
    the next. Running out of memory is sticky (content_failed), so a page
    is checked once, when it is taken.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_CONTENT_H
#define PDFPIPE_CONTENT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct _content_t content_t;

//  How a text's bytes are written: as a literal string, one byte a
//  character (a simple font), or as hex, two bytes a character holding
//  its code point (UTF-8 in, for an Identity-H font whose CIDs are the
//  code points; the caller holds the text to the BMP, and a character
//  beyond it is written as a space).
typedef enum { CONTENT_BYTES, CONTENT_UTF8_CODEPOINTS } content_encoding_t;

//  The deepest q nesting content_save accepts.
#define CONTENT_SAVE_DEPTH_MAX 8

//  An empty content in the default graphics state. NULL when out of memory.
content_t *
content_new (void);

void
content_destroy (content_t **self_p);

//  Empty the content for a new page: no operators, the default graphics
//  state (black fill and stroke, line width 1, no font).
void
content_reset (content_t *self);

//  The operators of the page so far (a text object left open is closed
//  first) and their size. Borrowed until the next call.
const char *
content_data (content_t *self, size_t *size_p);

//  True when memory ran out since the last content_reset.
bool
content_failed (const content_t *self);

//  Colours: gray from 0 (black) to 1, or red, green, blue.
void
content_fill_gray (content_t *self, double gray);
void
content_fill_rgb (content_t *self, double red, double green, double blue);
void
content_stroke_gray (content_t *self, double gray);
void
content_stroke_rgb (content_t *self, double red, double green, double blue);
void
content_line_width (content_t *self, double width);

//  Path construction and painting.
void
content_rect (content_t *self, double x, double y, double width, double height);
void
content_move_to (content_t *self, double x, double y);
void
content_line_to (content_t *self, double x, double y);
void
content_fill (content_t *self);
void
content_stroke (content_t *self);
void
content_fill_stroke (content_t *self);

//  q and Q, and a matrix multiplied into the current one (cm).
void
content_save (content_t *self);
void
content_restore (content_t *self);
void
content_concat (content_t *self, double a, double b, double c, double d,
                double e, double f);

//  Image name drawn in the box from x, y, width by height.
void
content_image (content_t *self, const char *name, double x, double y,
               double width, double height);

//  Text: the font (resource name) and size, and the character spacing,
//  for the texts that follow.
void
content_font (content_t *self, const char *name, double size);
void
content_char_spacing (content_t *self, double spacing);

//  Show length bytes of text, then the suffix (NUL-terminated, or NULL),
//  with the start of its baseline at x, y.
void
content_text (content_t *self, double x, double y, const char *text,
              size_t length, const char *suffix, content_encoding_t encoding);

#endif
