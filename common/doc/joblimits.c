/*  joblimits - what one job may cost: images, pages, chunks, the whole job.

    Every message names the limit and the option that sets it, so an
    operator who means to allow more knows what to change on the
    ventilator and on the workers alike.

    SPDX-License-Identifier: MPL-2.0
*/
#include "joblimits.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

static joblimits_t s_limits = JOBLIMITS_DEFAULTS;

#define S_KIB 1024ULL
#define S_MIB (1024ULL * 1024ULL)

void
joblimits_set (const joblimits_t *limits)
{
    assert (limits);
    s_limits = *limits;
}

const joblimits_t *
joblimits_get (void)
{
    return &s_limits;
}

int
joblimits_check_image (const joblimits_t *self, const char *field,
                       uint32_t width, uint32_t height, uint64_t *job_pixels,
                       fielderr_t *err)
{
    assert (self);
    assert (job_pixels);
    uint64_t pixels = (uint64_t)width * height;
    double megapixels = (double)pixels / JOBLIMITS_PIXELS_PER_MP;
    if (pixels > (uint64_t)self->image_mp * JOBLIMITS_PIXELS_PER_MP) {
        fielderr_set (err, field,
                      "is %" PRIu32 " x %" PRIu32 " pixels (%.1f megapixels); "
                      "an image may have at most %ld megapixels "
                      "(--max-image-mp)",
                      width, height, megapixels, self->image_mp);
        return -1;
    }
    *job_pixels += pixels;
    if (*job_pixels > (uint64_t)self->job_image_mp * JOBLIMITS_PIXELS_PER_MP) {
        fielderr_set (err, field,
                      "brings the job's images to %.1f megapixels; a job's "
                      "images may have at most %ld megapixels in all "
                      "(--max-job-image-mp)",
                      (double)*job_pixels / JOBLIMITS_PIXELS_PER_MP,
                      self->job_image_mp);
        return -1;
    }
    return 0;
}

void
joblimits_tally_init (joblimits_tally_t *tally, uint32_t chunk_pages)
{
    assert (tally);
    joblimits_tally_t empty = {0, 0, chunk_pages ? chunk_pages : 1, 0};
    *tally = empty;
}

int
joblimits_check_page (const joblimits_t *self, joblimits_tally_t *tally,
                      const joblimits_page_t *page, uint32_t record_nbr,
                      size_t record_bytes, fielderr_t *err)
{
    assert (self);
    assert (tally);
    assert (page);
    char field[FIELDERR_FIELD_MAX];
    snprintf (field, sizeof field, "records[%" PRIu32 "]", record_nbr);
    if (page->items > (uint64_t)self->page_items) {
        fielderr_set (err, field,
                      "its page draws %" PRIu64 " items (elements and table "
                      "cells); a page may draw at most %ld (--max-page-items)",
                      page->items, self->page_items);
        return -1;
    }
    if (page->text_bytes > (uint64_t)self->page_text_kb * S_KIB) {
        fielderr_set (err, field,
                      "its page draws %" PRIu64 " bytes of text; a page may "
                      "draw at most %ld KiB (--max-page-text-kb)",
                      page->text_bytes, self->page_text_kb);
        return -1;
    }
    if (tally->chunk_filled == tally->chunk_pages) {
        tally->chunk_filled = 0;
        tally->chunk_bytes = 0;
    }
    //  As the chunk travels: a JSON array, a comma or bracket per record.
    tally->chunk_bytes += record_bytes + 1;
    tally->chunk_filled++;
    if (tally->chunk_bytes > (uint64_t)self->chunk_records_mb * S_MIB) {
        fielderr_set (err, field,
                      "brings the records of its chunk (%" PRIu32
                      " pages from record %" PRIu32 ") past %ld MiB "
                      "(--max-chunk-records-mb); use a smaller chunk_pages",
                      tally->chunk_pages,
                      record_nbr - (tally->chunk_filled - 1),
                      self->chunk_records_mb);
        return -1;
    }
    tally->text_bytes += page->text_bytes;
    if (tally->text_bytes > (uint64_t)self->job_text_mb * S_MIB) {
        fielderr_set (err, field,
                      "brings the text the job's pages draw past %ld MiB "
                      "(--max-job-text-mb)",
                      self->job_text_mb);
        return -1;
    }
    return 0;
}

int
joblimits_check_chunk (const joblimits_t *self, size_t records_bytes,
                       fielderr_t *err)
{
    assert (self);
    if ((uint64_t)records_bytes > (uint64_t)self->chunk_records_mb * S_MIB) {
        fielderr_set (err, "records",
                      "the chunk carries %zu bytes of records; a chunk may "
                      "carry at most %ld MiB (--max-chunk-records-mb)",
                      records_bytes, self->chunk_records_mb);
        return -1;
    }
    return 0;
}
