/*  assembly - the set of chunks the sink holds for one job.

    Owns, for one job, its shape (chunk_count, total_pages) and the page
    range of every chunk that is present. It checks each new chunk against
    that shape and against its present neighbours, so that once every chunk
    is present the ranges tile pages 1..total_pages exactly, in chunk order:
    chunk 0 starts at page 1, each chunk starts right after the one before,
    and the last one ends at total_pages. It does not assume the
    ventilator's chunk size, only that rule.

    It holds no PDF data and touches no disk: sink/spool keeps the files.
    Memory is 8 bytes per chunk of the job, allocated up front.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_ASSEMBLY_H
#define PDFPIPE_ASSEMBLY_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

//  A chunk has at least one page, so a job has no more chunks than pages.
#define ASSEMBLY_PAGES_MAX PROTO_PAGES_MAX
#define ASSEMBLY_CHUNKS_MAX PROTO_PAGES_MAX
#define ASSEMBLY_REASON_MAX 256 // size of a reason buffer

typedef enum {
    ASSEMBLY_INVALID = -1,  // the chunk contradicts the job: see the reason
    ASSEMBLY_NEW = 0,       // not present yet, and consistent
    ASSEMBLY_DUPLICATE = 1, // already present with the same range
} assembly_verdict_t;

typedef struct _assembly_t assembly_t;

//  A new, empty assembly for job_id with the given shape. Returns NULL and
//  writes a reason (ASSEMBLY_REASON_MAX bytes) when the shape is impossible:
//  no chunks, more chunks than pages, or beyond the limits above. Caller
//  owns the result.
assembly_t *
assembly_new (const char *job_id, uint32_t chunk_count, uint32_t total_pages,
              char *reason);

void
assembly_destroy (assembly_t **self_p);

//  True when chunk_count and total_pages are this job's.
bool
assembly_matches (const assembly_t *self, uint32_t chunk_count,
                  uint32_t total_pages);

//  Judge a chunk without recording it. A present chunk with the same range
//  is a duplicate; with another range it is invalid. A new chunk is invalid
//  when its number or range is out of bounds or does not join its present
//  neighbours. On ASSEMBLY_INVALID writes a reason (ASSEMBLY_REASON_MAX).
assembly_verdict_t
assembly_check (const assembly_t *self, uint32_t chunk_nbr, uint32_t first_page,
                uint32_t page_count, char *reason);

//  As assembly_check, and records the chunk as present when it is new.
assembly_verdict_t
assembly_add (assembly_t *self, uint32_t chunk_nbr, uint32_t first_page,
              uint32_t page_count, char *reason);

//  True when chunk chunk_nbr is present (false when out of range).
bool
assembly_has (const assembly_t *self, uint32_t chunk_nbr);

//  True when every chunk is present.
bool
assembly_complete (const assembly_t *self);

const char *
assembly_job_id (const assembly_t *self);

uint32_t
assembly_chunk_count (const assembly_t *self);

uint32_t
assembly_total_pages (const assembly_t *self);

//  Number of chunks present.
uint32_t
assembly_present (const assembly_t *self);

//  First page (1-based) and page count of a present chunk; 0 when the chunk
//  is absent or out of range.
uint32_t
assembly_first_page (const assembly_t *self, uint32_t chunk_nbr);
uint32_t
assembly_page_count (const assembly_t *self, uint32_t chunk_nbr);

#endif
