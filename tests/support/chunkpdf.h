/*  chunkpdf - real chunk PDFs for the sink's unit tests.

    Renders chunks with worker/render, as a worker makes them: one page
    per record, each page showing "Page <n> of <total>" and carrying a
    bookmark "Page <n>". From them it builds RESULT messages, or puts them
    into a spool as the sink's collector does, so tests of the sink's
    modules start from the same bytes the real pipeline moves.

    Test code only: a failure to render or to spool fails the running
    cmocka test.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_CHUNKPDF_H
#define PDFPIPE_CHUNKPDF_H

#include <czmq.h>
#include <stdint.h>

#include "wire.h"

//  The PDF of pages first_page .. first_page + page_count - 1 of a job of
//  total_pages pages. Caller owns the result.
zframe_t *
chunkpdf_render (uint32_t first_page, uint32_t page_count,
                 uint32_t total_pages);

//  A RESULT for chunk chunk_nbr (attempt 1) of job_id, a job of
//  chunk_count chunks of chunk_pages pages each, with its rendered PDF.
//  Caller owns the result.
wire_t *
chunkpdf_result (const char *job_id, uint32_t chunk_nbr, uint32_t chunk_count,
                 uint32_t chunk_pages);

//  Write chunk chunk_nbr of job_id, shaped as for chunkpdf_result, into
//  the spool at spool_dir, durably, as the collector does.
void
chunkpdf_spool (const char *spool_dir, const char *job_id, uint32_t chunk_nbr,
                uint32_t chunk_count, uint32_t chunk_pages);

#endif
