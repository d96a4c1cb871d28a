/*  barcode - a symbol's dark modules and bars as rectangles.

    The only module that sees libzint. It encodes a text as a QR code or a
    Code 128 barcode and hands out the symbol as rectangles (the shapes of
    zint's vector output), so the renderer draws it as vectors that stay
    sharp at any size. Coordinates are zint's: units of half a
    module, from the symbol's top-left corner with y growing downwards;
    barcode_width and barcode_height give the whole symbol, quiet zones
    included when asked for (four modules around a QR code, ten modules
    left and right of a Code 128).

    One barcode_t is reused for every symbol of a renderer: each encoding
    replaces the last. Text a barcode cannot hold is an error in words
    ("Input too long ..."), never a partial symbol.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_BARCODE_H
#define PDFPIPE_BARCODE_H

#include <stddef.h>

#include "template.h"

typedef struct _barcode_t barcode_t;

typedef struct {
    double x, y;          // top-left corner, from the symbol's top-left
    double width, height; //
} barcode_rect_t;

//  An encoder with nothing encoded. Returns NULL only when out of memory.
barcode_t *
barcode_new (void);

void
barcode_destroy (barcode_t **self_p);

//  Encode data (UTF-8) as symbology: a QR code with error correction ecc
//  ('L', 'M', 'Q' or 'H'; ignored for Code 128), with quiet zones when
//  quiet_zone is true. Returns 0, or -1 with the reason in problem
//  (problem_size bytes).
int
barcode_encode (barcode_t *self, template_symbology_t symbology, char ecc,
                int quiet_zone, const char *data, char *problem,
                size_t problem_size);

//  Size of the last symbol encoded, in the rectangles' units.
double
barcode_width (const barcode_t *self);
double
barcode_height (const barcode_t *self);

//  Its rectangles, 0 .. count-1; borrowed until the next encoding.
size_t
barcode_rect_count (const barcode_t *self);
const barcode_rect_t *
barcode_rect (const barcode_t *self, size_t index);

#endif
