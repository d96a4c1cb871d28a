/*  assembly - the set of chunks the sink holds for one job.

    A chunk is present when its page_count is non-zero; a present chunk
    always has at least one page, so no separate bitmap is needed.

    SPDX-License-Identifier: MPL-2.0
*/
#include "assembly.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t first_page; // 1-based
    uint32_t page_count; // 0 while the chunk is absent
} s_range_t;

struct _assembly_t {
    char *job_id;
    uint32_t chunk_count;
    uint32_t total_pages;
    uint32_t present;  // chunks present
    s_range_t *ranges; // chunk_count entries
};

assembly_t *
assembly_new (const char *job_id, uint32_t chunk_count, uint32_t total_pages,
              char *reason)
{
    assert (job_id);
    assert (reason);
    if (chunk_count == 0 || chunk_count > ASSEMBLY_CHUNKS_MAX) {
        snprintf (reason, ASSEMBLY_REASON_MAX,
                  "chunk_count %u is not within 1..%u", chunk_count,
                  (unsigned)ASSEMBLY_CHUNKS_MAX);
        return NULL;
    }
    if (total_pages > ASSEMBLY_PAGES_MAX) {
        snprintf (reason, ASSEMBLY_REASON_MAX,
                  "total_pages %u is over the limit of %u", total_pages,
                  (unsigned)ASSEMBLY_PAGES_MAX);
        return NULL;
    }
    if (total_pages < chunk_count) {
        snprintf (reason, ASSEMBLY_REASON_MAX,
                  "total_pages %u is less than chunk_count %u", total_pages,
                  chunk_count);
        return NULL;
    }
    assembly_t *self = calloc (1, sizeof (assembly_t));
    if (!self)
        goto nomem;
    self->job_id = strdup (job_id);
    self->ranges = calloc (chunk_count, sizeof (s_range_t));
    if (!self->job_id || !self->ranges)
        goto nomem;
    self->chunk_count = chunk_count;
    self->total_pages = total_pages;
    return self;

nomem:
    assembly_destroy (&self);
    snprintf (reason, ASSEMBLY_REASON_MAX, "out of memory for %u chunks",
              chunk_count);
    return NULL;
}

void
assembly_destroy (assembly_t **self_p)
{
    assert (self_p);
    assembly_t *self = *self_p;
    if (!self)
        return;
    free (self->ranges);
    free (self->job_id);
    free (self);
    *self_p = NULL;
}

bool
assembly_matches (const assembly_t *self, uint32_t chunk_count,
                  uint32_t total_pages)
{
    assert (self);
    return self->chunk_count == chunk_count && self->total_pages == total_pages;
}

assembly_verdict_t
assembly_check (const assembly_t *self, uint32_t chunk_nbr, uint32_t first_page,
                uint32_t page_count, char *reason)
{
    assert (self);
    assert (reason);
    if (chunk_nbr >= self->chunk_count) {
        snprintf (reason, ASSEMBLY_REASON_MAX,
                  "chunk_nbr %u out of range: the job has %u chunks", chunk_nbr,
                  self->chunk_count);
        return ASSEMBLY_INVALID;
    }
    if (first_page == 0 || page_count == 0) {
        snprintf (reason, ASSEMBLY_REASON_MAX,
                  "first_page %u and page_count %u must both be at least 1",
                  first_page, page_count);
        return ASSEMBLY_INVALID;
    }
    //  64 bits: first_page + page_count can pass UINT32_MAX.
    uint64_t last_page = (uint64_t)first_page + page_count - 1;
    if (last_page > self->total_pages) {
        snprintf (reason, ASSEMBLY_REASON_MAX,
                  "pages %u-%llu go beyond total_pages %u", first_page,
                  (unsigned long long)last_page, self->total_pages);
        return ASSEMBLY_INVALID;
    }
    const s_range_t *range = &self->ranges[chunk_nbr];
    if (range->page_count) {
        if (range->first_page == first_page && range->page_count == page_count)
            return ASSEMBLY_DUPLICATE;
        snprintf (reason, ASSEMBLY_REASON_MAX,
                  "pages %u-%llu disagree with the stored pages %u-%u",
                  first_page, (unsigned long long)last_page, range->first_page,
                  range->first_page + range->page_count - 1);
        return ASSEMBLY_INVALID;
    }
    //  Every chunk has at least one page, so the chunks before and after
    //  this one need room.
    if (first_page - 1 < chunk_nbr ||
        self->total_pages - last_page < self->chunk_count - 1 - chunk_nbr) {
        snprintf (reason, ASSEMBLY_REASON_MAX,
                  "pages %u-%llu leave no room for the other chunks of %u",
                  first_page, (unsigned long long)last_page, self->chunk_count);
        return ASSEMBLY_INVALID;
    }
    if (chunk_nbr == 0 && first_page != 1) {
        snprintf (reason, ASSEMBLY_REASON_MAX,
                  "chunk 0 must start at page 1, not %u", first_page);
        return ASSEMBLY_INVALID;
    }
    if (chunk_nbr == self->chunk_count - 1 && last_page != self->total_pages) {
        snprintf (reason, ASSEMBLY_REASON_MAX,
                  "the last chunk must end at page %u, not %llu",
                  self->total_pages, (unsigned long long)last_page);
        return ASSEMBLY_INVALID;
    }
    if (chunk_nbr > 0) {
        const s_range_t *before = &self->ranges[chunk_nbr - 1];
        if (before->page_count &&
            before->first_page + before->page_count != first_page) {
            snprintf (reason, ASSEMBLY_REASON_MAX,
                      "pages %u-%llu do not follow chunk %u (pages %u-%u)",
                      first_page, (unsigned long long)last_page, chunk_nbr - 1,
                      before->first_page,
                      before->first_page + before->page_count - 1);
            return ASSEMBLY_INVALID;
        }
    }
    if (chunk_nbr + 1 < self->chunk_count) {
        const s_range_t *after = &self->ranges[chunk_nbr + 1];
        if (after->page_count && last_page + 1 != after->first_page) {
            snprintf (reason, ASSEMBLY_REASON_MAX,
                      "pages %u-%llu do not precede chunk %u (pages %u-%u)",
                      first_page, (unsigned long long)last_page, chunk_nbr + 1,
                      after->first_page,
                      after->first_page + after->page_count - 1);
            return ASSEMBLY_INVALID;
        }
    }
    return ASSEMBLY_NEW;
}

assembly_verdict_t
assembly_add (assembly_t *self, uint32_t chunk_nbr, uint32_t first_page,
              uint32_t page_count, char *reason)
{
    assembly_verdict_t verdict =
        assembly_check (self, chunk_nbr, first_page, page_count, reason);
    if (verdict == ASSEMBLY_NEW) {
        self->ranges[chunk_nbr].first_page = first_page;
        self->ranges[chunk_nbr].page_count = page_count;
        self->present++;
    }
    return verdict;
}

bool
assembly_has (const assembly_t *self, uint32_t chunk_nbr)
{
    assert (self);
    return chunk_nbr < self->chunk_count &&
           self->ranges[chunk_nbr].page_count > 0;
}

bool
assembly_complete (const assembly_t *self)
{
    assert (self);
    return self->present == self->chunk_count;
}

const char *
assembly_job_id (const assembly_t *self)
{
    assert (self);
    return self->job_id;
}

uint32_t
assembly_chunk_count (const assembly_t *self)
{
    assert (self);
    return self->chunk_count;
}

uint32_t
assembly_total_pages (const assembly_t *self)
{
    assert (self);
    return self->total_pages;
}

uint32_t
assembly_present (const assembly_t *self)
{
    assert (self);
    return self->present;
}

uint32_t
assembly_first_page (const assembly_t *self, uint32_t chunk_nbr)
{
    assert (self);
    return assembly_has (self, chunk_nbr) ? self->ranges[chunk_nbr].first_page
                                          : 0;
}

uint32_t
assembly_page_count (const assembly_t *self, uint32_t chunk_nbr)
{
    assert (self);
    return assembly_has (self, chunk_nbr) ? self->ranges[chunk_nbr].page_count
                                          : 0;
}
