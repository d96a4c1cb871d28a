/*  sinktest - what the sink's unit tests share: real chunk PDFs, and a
    spool filled as the sink's own modules fill it.

    Renders chunks with worker/render, as a worker makes them: one page
    per record, each page showing "Page <n> of <total>" and carrying a
    bookmark "Page <n>". From them it builds RESULT messages, or puts them
    into a spool as the sink's collector does, so tests of the sink's
    modules start from the same bytes the real pipeline moves. It also
    writes tombstones as the finisher does.

    Test code only: a failure to render or to write fails the running
    cmocka test.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_SINKTEST_H
#define PDFPIPE_SINKTEST_H

#include <czmq.h>
#include <stdint.h>

#include "wire.h"

//  The PDF of pages first_page .. first_page + page_count - 1 of a job of
//  total_pages pages. Caller owns the result.
zframe_t *
sinktest_render (uint32_t first_page, uint32_t page_count,
                 uint32_t total_pages);

//  A RESULT for chunk chunk_nbr (attempt 1) of job_id, a job of
//  chunk_count chunks of chunk_pages pages each, with its rendered PDF.
//  Caller owns the result.
wire_t *
sinktest_result (const char *job_id, uint32_t chunk_nbr, uint32_t chunk_count,
                 uint32_t chunk_pages);

//  Write chunk chunk_nbr of job_id, shaped as for sinktest_result, into
//  the spool at spool_dir, durably, as the collector does.
void
sinktest_spool_chunk (const char *spool_dir, const char *job_id,
                      uint32_t chunk_nbr, uint32_t chunk_count,
                      uint32_t chunk_pages);

//  Record outcome as job_id's tombstone in the spool at spool_dir, as the
//  finisher does ("done <bytes> <location>", "failed <reason>",
//  "cancelled").
void
sinktest_tombstone (const char *spool_dir, const char *job_id,
                    const char *outcome);

#endif
