/*  chunkmap - one job's chunks as one character each, and their counts.

    Owns the text of GET /v1/jobs/{id}/chunks's "map" (docs/api.md): one
    character per chunk, chunk 0 first: '.' waiting, 'r' rendering, 's'
    stored, 'x' failed. A string rather than an array so that a job of
    thousands of chunks stays small and quick to draw. Built from the job
    store's stored flags, then marked with what dispatch shows (rendering)
    and the chunk named by a failed job's error. Pure; no I/O.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_CHUNKMAP_H
#define PDFPIPE_CHUNKMAP_H

#include <stdbool.h>
#include <stdint.h>

#define CHUNKMAP_WAITING '.'
#define CHUNKMAP_RENDERING 'r'
#define CHUNKMAP_STORED 's'
#define CHUNKMAP_FAILED 'x'

typedef struct {
    uint32_t waiting;
    uint32_t rendering;
    uint32_t stored;
    uint32_t failed;
} chunkmap_counts_t;

//  Write chunk_count characters and a NUL into map (chunk_count + 1
//  bytes): 's' where stored[n], '.' elsewhere.
void
chunkmap_init (char *map, const bool *stored, uint32_t chunk_count);

//  Mark chunk_nbr with mark ('r' or 'x') unless it is stored, or outside
//  the map.
void
chunkmap_mark (char *map, uint32_t chunk_count, uint32_t chunk_nbr, char mark);

//  Count each kind of character of map (chunk_count characters).
chunkmap_counts_t
chunkmap_count (const char *map, uint32_t chunk_count);

//  The chunk a failed job's error names ("chunk 3 (pages 301-400) failed
//  4 times; ...", as the scheduler words it), or -1 when it names none.
int64_t
chunkmap_failed_chunk (const char *error);

#endif
