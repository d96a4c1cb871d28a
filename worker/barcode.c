/*  barcode - a symbol's dark modules and bars as rectangles.

    Each encoding starts from a fresh zint symbol: zint keeps results and
    options in it, and ZBarcode_Clear would keep the options, which differ
    between symbols. The rectangles are copied out of zint's list into an
    array the barcode_t keeps, so the symbol is deleted at once.

    Data goes to zint as UTF-8 (UNICODE_MODE). A QR code whose text is not
    all ASCII is marked as UTF-8 (ECI 26), so readers do not guess at its
    bytes; Code 128 takes Latin-1 characters only, which zint converts from
    UTF-8 itself.

    SPDX-License-Identifier: MPL-2.0
*/
#include "barcode.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zint.h>

#define S_ECI_UTF8 26

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
s_add_rect (barcode_t *self, const struct zint_vector_rect *rect)
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
    target->x = rect->x;
    target->y = rect->y;
    target->width = rect->width;
    target->height = rect->height;
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
    if (status < ZINT_ERROR)
        status = ZBarcode_Buffer_Vector (symbol, 0);
    if (status >= ZINT_ERROR || !symbol->vector) {
        snprintf (problem, problem_size, "libzint cannot encode it: %s",
                  symbol->errtxt[0] ? symbol->errtxt : "unknown error");
        goto cleanup;
    }
    for (const struct zint_vector_rect *rect = symbol->vector->rectangles; rect;
         rect = rect->next) {
        //  Only foreground rectangles: the background is the caller's.
        if (rect->colour != -1 && rect->colour != 7)
            continue;
        if (s_add_rect (self, rect)) {
            snprintf (problem, problem_size, "out of memory");
            goto cleanup;
        }
    }
    self->width = symbol->vector->width;
    self->height = symbol->vector->height;
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
