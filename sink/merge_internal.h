/*  merge_internal - what the three files of sink/merge share.

    sink/merge is one module behind merge.h, in three files: merge.c
    merges (reads inputs, appends pages, carries the document information
    over, writes and commits the result, counts pages), merge_share.c
    keeps one copy of identical resources, and merge_outline.c carries
    every input's outline (bookmarks) over with global page numbers. This
    header joins them and is private to them: it is the only place besides
    those files where qpdf's C API shows, and nothing else includes it.

    The qpdf_data given to these functions are the caller's, who keeps
    them alive. A function that says it drops handles calls
    qpdf_oh_release_all, so the caller must hold none it still needs.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_MERGE_INTERNAL_H
#define PDFPIPE_MERGE_INTERNAL_H

#include <qpdf/qpdf-c.h>
#include <stddef.h>

#include "merge.h"

//  ---------------------------------------------------------------------
//  merge.c: qpdf helpers

//  Fill error (MERGE_ERROR_MAX bytes) with "context: <qpdf's text>", or
//  "context failed" when qpdf recorded no error. Reading the error also
//  clears it.
void
merge_qpdf_error (qpdf_data qpdf, const char *context, char *error);

//  The value of key in dict, or null when dict is not a dictionary: qpdf
//  warns about a key asked of anything else but null.
qpdf_oh
merge_dict_get (qpdf_data qpdf, qpdf_oh dict, const char *key);

//  ---------------------------------------------------------------------
//  merge_share.c: one copy of identical resources in the output

typedef struct _merge_sharer_t merge_sharer_t;

//  Sharing over the output document out (borrowed; it must outlive the
//  sharer). Returns NULL when out of memory. Caller owns the result.
merge_sharer_t *
merge_sharer_new (qpdf_data out);

void
merge_sharer_destroy (merge_sharer_t **self_p);

//  Share every object below page's /Resources with the identical objects
//  of pages shared before: the first copy is kept, references to later
//  ones point at it. page is a page of the output. A stream that cannot
//  be read is left as it is; qpdf reports it when the output is written.
void
merge_sharer_page (merge_sharer_t *self, qpdf_oh page);

//  References pointed at an earlier copy so far.
size_t
merge_sharer_shared (const merge_sharer_t *self);

//  ---------------------------------------------------------------------
//  merge_outline.c: the inputs' outlines, rebuilt in the output

typedef struct _merge_outline_t merge_outline_t;

//  An empty outline. Returns NULL when out of memory. Caller owns the
//  result.
merge_outline_t *
merge_outline_new (void);

void
merge_outline_destroy (merge_outline_t **self_p);

//  Add the outline items of input, whose pages (pages of them) became the
//  output's pages from first_new on (0-based), after the items added
//  before. Whatever cannot be kept is logged, naming path, and left out;
//  this never fails.
void
merge_outline_read (merge_outline_t *self, qpdf_data input, const char *path,
                    int pages, int first_new);

//  Write the items into out as its /Outlines and have viewers show them;
//  nothing when there are none. Drops every handle of out. Returns -1 and
//  fills error (MERGE_ERROR_MAX bytes) when qpdf failed.
int
merge_outline_write (merge_outline_t *self, qpdf_data out, char *error);

//  Items read so far, at every level.
size_t
merge_outline_items (const merge_outline_t *self);

#endif
