/*  chunkplan - splitting a job's pages into page-range chunks.

    Pure arithmetic shared by the ventilator (which dispatches chunks) and
    tests. Chunks are numbered from 0; pages from 1. Every chunk but the last
    has exactly chunk_pages pages.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_CHUNKPLAN_H
#define PDFPIPE_CHUNKPLAN_H

#include <stdint.h>

//  Number of chunks for pages split into chunk_pages; 0 when pages is 0.
//  chunk_pages must be > 0.
uint32_t
chunkplan_count (uint32_t pages, uint32_t chunk_pages);

//  First page (1-based) and page count of chunk chunk_nbr. Returns -1 when
//  chunk_nbr is out of range, 0 otherwise.
int
chunkplan_range (uint32_t pages, uint32_t chunk_pages, uint32_t chunk_nbr,
                 uint32_t *first_page, uint32_t *page_count);

#endif
