/*  chunkmap - one job's chunks as one character each, and their counts.

    SPDX-License-Identifier: MPL-2.0
*/
#include "chunkmap.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void
chunkmap_init (char *map, const bool *stored, uint32_t chunk_count)
{
    assert (map);
    assert (stored || chunk_count == 0);
    for (uint32_t chunk_nbr = 0; chunk_nbr < chunk_count; chunk_nbr++)
        map[chunk_nbr] = stored[chunk_nbr] ? CHUNKMAP_STORED : CHUNKMAP_WAITING;
    map[chunk_count] = '\0';
}

void
chunkmap_mark (char *map, uint32_t chunk_count, uint32_t chunk_nbr, char mark)
{
    assert (map);
    if (chunk_nbr < chunk_count && map[chunk_nbr] != CHUNKMAP_STORED)
        map[chunk_nbr] = mark;
}

chunkmap_counts_t
chunkmap_count (const char *map, uint32_t chunk_count)
{
    assert (map);
    chunkmap_counts_t counts = {0};
    for (uint32_t chunk_nbr = 0; chunk_nbr < chunk_count; chunk_nbr++) {
        char mark = map[chunk_nbr];
        counts.waiting += mark == CHUNKMAP_WAITING;
        counts.rendering += mark == CHUNKMAP_RENDERING;
        counts.stored += mark == CHUNKMAP_STORED;
        counts.failed += mark == CHUNKMAP_FAILED;
    }
    return counts;
}

int64_t
chunkmap_failed_chunk (const char *error)
{
    if (!error)
        return -1;
    unsigned int chunk_nbr = 0;
    int consumed = 0;
    //  %n after the literal: only a full match counts.
    if (sscanf (error, "chunk %u (pages%n", &chunk_nbr, &consumed) != 1 ||
        consumed == 0 || strncmp (error, "chunk ", 6) != 0)
        return -1;
    return chunk_nbr;
}
