/*  chunkplan - splitting a job's pages into page-range chunks.

    Written so that no intermediate value can overflow for any uint32_t
    input: the count never adds chunk_pages - 1 to pages, and the first page
    is computed in 64 bits. A chunk_pages of 0 (a caller's bug) yields no
    chunks rather than a division by zero.

    SPDX-License-Identifier: MPL-2.0
*/
#include "chunkplan.h"

#include <stddef.h>

uint32_t
chunkplan_count (uint32_t pages, uint32_t chunk_pages)
{
    if (chunk_pages == 0)
        return 0;
    return pages / chunk_pages + (pages % chunk_pages != 0);
}

int
chunkplan_range (uint32_t pages, uint32_t chunk_pages, uint32_t chunk_nbr,
                 uint32_t *first_page, uint32_t *page_count)
{
    if (chunk_nbr >= chunkplan_count (pages, chunk_pages))
        return -1;
    uint64_t first = (uint64_t)chunk_nbr * chunk_pages + 1;
    uint64_t left = (uint64_t)pages - first + 1;
    if (first_page)
        *first_page = (uint32_t)first;
    if (page_count)
        *page_count = (uint32_t)(left < chunk_pages ? left : chunk_pages);
    return 0;
}
