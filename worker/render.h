/*  render - turns a template and a slice of records into one chunk PDF.

    The only module that sees libharu. It owns one libharu document object
    for the worker's lifetime: each chunk starts a fresh document in it
    (HPDF_NewDoc), which keeps the font definitions libharu has parsed
    (the standard fonts' metrics, and each TrueType file, parsed once) for
    every later chunk. Per-document resources (font objects, images) are
    made once per chunk, before the first page, and then drawn by a
    function per element kind: text (wrapped by worker/layout), images,
    lines, rectangles, tables, barcodes (encoded by worker/barcode), plus
    the document's information and a bookmark per page. Nothing of a
    chunk's content survives the chunk.

    Every text is expanded and checked against its font as it is drawn,
    as the ventilator checked it when the job was submitted: a character a
    font lacks is an error naming the record field and the element, never
    a blank or substitute glyph. Standard Latin fonts take WinAnsi bytes,
    Symbol and ZapfDingbats printable ASCII, TrueType fonts UTF-8 (embedded
    as subsets per chunk: of the glyphs the chunk draws, and of all its
    font's "glyphs", which the ventilator sets to every character of the
    job, so that every chunk of a job embeds the same bytes).

    libharu errors are sticky; the first one of a chunk is recorded and
    reported in words, the document is dropped, and no HPDF_STATUS leaves
    this module. The whole chunk stays in memory until it is saved (about
    14 MB per 1,000 simple pages, 35 MB for 250 invoice pages), so the
    caller bounds memory by chunk size. Not thread-safe: one render_t per
    thread.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_RENDER_H
#define PDFPIPE_RENDER_H

#include <cjson/cJSON.h>
#include <czmq.h>
#include <stdint.h>

#include "fielderr.h"
#include "template.h"

typedef struct _render_t render_t;

//  Where a chunk sits in its job. Page k of the chunk (0-based) is global
//  page first_page + k of total_pages and shows record first_record + k.
typedef struct {
    uint32_t first_page;   // 1-based global page number of the first page
    uint32_t total_pages;  // pages in the whole job, for {{pages}}
    uint32_t first_record; // 0-based job record number of records[0]
} render_range_t;

//  A renderer with empty caches. Returns NULL only when out of memory.
render_t *
render_new (void);

void
render_destroy (render_t **self_p);

//  Render one page per element of records (a JSON array of records) with
//  template tpl. On success returns 0 and sets *pdf_p to a new frame
//  holding the whole PDF, which the caller owns (ready to send without a
//  copy). On failure returns -1, leaves *pdf_p NULL and fills err, e.g.
//  field "records[17].customer", message "missing field", or field
//  "template.elements[2]", message "libharu error 0x1015
//  (HPDF_FAILD_TO_ALLOC_MEM) drawing text on page 18". The error is not
//  logged here; the caller reports it with the job and chunk.
int
render_chunk (render_t *self, const template_t *tpl, const cJSON *records,
              const render_range_t *range, zframe_t **pdf_p, fielderr_t *err);

#endif
