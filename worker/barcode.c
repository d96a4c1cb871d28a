/*  barcode - a symbol's dark modules and bars as rectangles.

    Each encoding starts from a fresh zint symbol: zint keeps results and
    options in it, and ZBarcode_Clear would keep the options, which differ
    between symbols. The rectangles are copied into an array the barcode_t
    keeps, so the symbol is deleted at once.

    A QR code's rectangles are read off zint's module matrix
    (encoded_data), as its vector output would make them but without
    building that list of separately allocated shapes: each row's runs of
    dark modules, a run merged into the one above it when both span the
    same columns. Code 128 keeps zint's vector output, whose bars carry
    the heights zint gives them.

    Data goes to zint as UTF-8 (UNICODE_MODE). A QR code whose text is not
    all ASCII is marked as UTF-8 (ECI 26), so readers do not guess at its
    bytes; Code 128 takes Latin-1 characters only, which zint converts from
    UTF-8 itself.

    SPDX-License-Identifier: MPL-2.0
*/
#include "barcode.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zint.h>

#define S_ECI_UTF8 26
//  Units a module, as zint's vector output counts them.
#define S_MODULE_UNITS 2
//  Modules of quiet zone around a QR code.
#define S_QR_QUIET_MODULES 4
//  Columns zint's module matrix holds (bits of encoded_data's rows).
#define S_MATRIX_COLUMNS_MAX                                                   \
    (int)(sizeof (((struct zint_symbol *)0)->encoded_data[0]) * 8)

struct _barcode_t {
    barcode_rect_t *rects;
    size_t rect_count;
    size_t rect_max;
    double width;
    double height;
};

barcode_t *
barcode_new (void)
{
    return calloc (1, sizeof (barcode_t));
}

void
barcode_destroy (barcode_t **self_p)
{
    assert (self_p);
    barcode_t *self = *self_p;
    if (!self)
        return;
    free (self->rects);
    free (self);
    *self_p = NULL;
}

static int
s_is_ascii (const char *data)
{
    for (const unsigned char *at = (const unsigned char *)data; *at; at++)
        if (*at >= 0x80)
            return 0;
    return 1;
}

static int
s_add_rect (barcode_t *self, double x, double y, double width, double height)
{
    if (self->rect_count == self->rect_max) {
        size_t rect_max = self->rect_max ? self->rect_max * 2 : 256;
        barcode_rect_t *rects =
            realloc (self->rects, rect_max * sizeof (barcode_rect_t));
        if (!rects)
            return -1;
        self->rects = rects;
        self->rect_max = rect_max;
    }
    barcode_rect_t *target = &self->rects[self->rect_count++];
    target->x = x;
    target->y = y;
    target->width = width;
    target->height = height;
    return 0;
}

static int
s_module_is_dark (const struct zint_symbol *symbol, int row, int column)
{
    return (symbol->encoded_data[row][column / 8] >> (column % 8)) & 1;
}

//  The dark modules of the QR code in symbol as rectangles, with the
//  quiet zone around them when asked for.
static int
s_qr_rects (barcode_t *self, const struct zint_symbol *symbol, int quiet_zone)
{
    int quiet = quiet_zone ? S_QR_QUIET_MODULES : 0;
    int columns = symbol->width;
    if (columns > S_MATRIX_COLUMNS_MAX)
        columns = S_MATRIX_COLUMNS_MAX;
    //  By column: the rectangle a run starting there on the row above
    //  grew, or -1; and the same for the row being read.
    long above[S_MATRIX_COLUMNS_MAX];
    long here[S_MATRIX_COLUMNS_MAX];
    for (int column = 0; column < columns; column++)
        above[column] = -1;
    for (int row = 0; row < symbol->rows; row++) {
        for (int column = 0; column < columns; column++)
            here[column] = -1;
        int column = 0;
        while (column < columns) {
            if (!s_module_is_dark (symbol, row, column)) {
                column++;
                continue;
            }
            int start = column;
            while (column < columns && s_module_is_dark (symbol, row, column))
                column++;
            double width = (double)(column - start) * S_MODULE_UNITS;
            long rect = above[start];
            if (rect >= 0 && self->rects[rect].width == width)
                self->rects[rect].height += S_MODULE_UNITS;
            else {
                if (s_add_rect (self, (double)(start + quiet) * S_MODULE_UNITS,
                                (double)(row + quiet) * S_MODULE_UNITS, width,
                                S_MODULE_UNITS))
                    return -1;
                rect = (long)self->rect_count - 1;
            }
            here[start] = rect;
        }
        memcpy (above, here, sizeof above);
    }
    self->width = (double)(columns + 2 * quiet) * S_MODULE_UNITS;
    self->height = (double)(symbol->rows + 2 * quiet) * S_MODULE_UNITS;
    return 0;
}

//  The bars of the barcode in symbol, from zint's vector output.
static int
s_vector_rects (barcode_t *self, struct zint_symbol *symbol)
{
    for (const struct zint_vector_rect *rect = symbol->vector->rectangles; rect;
         rect = rect->next) {
        //  Only foreground rectangles: the background is the caller's.
        if (rect->colour != -1 && rect->colour != 7)
            continue;
        if (s_add_rect (self, rect->x, rect->y, rect->width, rect->height))
            return -1;
    }
    self->width = symbol->vector->width;
    self->height = symbol->vector->height;
    return 0;
}

int
barcode_encode (barcode_t *self, template_symbology_t symbology, char ecc,
                int quiet_zone, const char *data, char *problem,
                size_t problem_size)
{
    assert (self);
    assert (data);
    self->rect_count = 0;
    self->width = 0;
    self->height = 0;
    struct zint_symbol *symbol = ZBarcode_Create ();
    if (!symbol) {
        snprintf (problem, problem_size, "out of memory");
        return -1;
    }
    int rc = -1;
    symbol->input_mode = UNICODE_MODE;
    symbol->show_hrt = 0;
    symbol->output_options |=
        quiet_zone ? BARCODE_QUIET_ZONES : BARCODE_NO_QUIET_ZONES;
    if (symbology == TEMPLATE_QRCODE) {
        symbol->symbology = BARCODE_QRCODE;
        const char *levels = "LMQH";
        const char *level = strchr (levels, ecc);
        symbol->option_1 = level && ecc ? (int)(level - levels) + 1 : 2;
        if (!s_is_ascii (data))
            symbol->eci = S_ECI_UTF8;
    } else
        symbol->symbology = BARCODE_CODE128;
    int status = ZBarcode_Encode (symbol, (const unsigned char *)data,
                                  (int)strlen (data));
    bool qr = symbology == TEMPLATE_QRCODE;
    if (status < ZINT_ERROR && !qr)
        status = ZBarcode_Buffer_Vector (symbol, 0);
    if (status >= ZINT_ERROR || (!qr && !symbol->vector)) {
        snprintf (problem, problem_size, "libzint cannot encode it: %s",
                  symbol->errtxt[0] ? symbol->errtxt : "unknown error");
        goto cleanup;
    }
    if (qr ? s_qr_rects (self, symbol, quiet_zone)
           : s_vector_rects (self, symbol)) {
        snprintf (problem, problem_size, "out of memory");
        self->rect_count = 0;
        goto cleanup;
    }
    rc = 0;

cleanup:
    ZBarcode_Delete (symbol);
    return rc;
}

double
barcode_width (const barcode_t *self)
{
    assert (self);
    return self->width;
}

double
barcode_height (const barcode_t *self)
{
    assert (self);
    return self->height;
}

size_t
barcode_rect_count (const barcode_t *self)
{
    assert (self);
    return self->rect_count;
}

const barcode_rect_t *
barcode_rect (const barcode_t *self, size_t index)
{
    assert (self);
    return index < self->rect_count ? &self->rects[index] : NULL;
}
