/*  joblimits - what one job may cost: images, pages, chunks, the whole job.

    Owns the limits that bound the work a job asks of a worker and of the
    pipeline, beyond what the document's syntax allows: pixels of each
    image and of all a job's images (a renderer holds an image decoded, 3
    or 4 bytes a pixel), items and text bytes (after substitution) each
    page draws, bytes of records a chunk carries, text bytes of the whole
    job. libharu holds a whole chunk in memory until it saves, so these
    numbers, with the chunk's page count, bound a worker's memory.

    The ventilator checks them when a job is submitted (a 400 naming the
    field and the limit) and the worker again before it decodes an image
    or renders a chunk (the chunk fails with the same words; the worker
    goes on). Both take the same options (JOBLIMITS_OPTIONS, one table),
    so that a worker can be told to accept what its ventilator accepts.

    The limits are one per process: set once at start (joblimits_set)
    before any thread reads them (joblimits_get); tests set them too.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_JOBLIMITS_H
#define PDFPIPE_JOBLIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fielderr.h"

//  Defaults. 16 megapixels is a 4000 x 4000 photograph (48-64 MB decoded);
//  2,000 items and 64 KiB of text are many times a dense invoice page
//  (about 120 items, 3 KiB); 16 MiB of records is 250 pages of 64 KiB.
#define JOBLIMITS_IMAGE_MP 16
#define JOBLIMITS_JOB_IMAGE_MP 64
#define JOBLIMITS_PAGE_ITEMS 2000
#define JOBLIMITS_PAGE_TEXT_KB 64
#define JOBLIMITS_CHUNK_RECORDS_MB 16
#define JOBLIMITS_JOB_TEXT_MB 4096
#define JOBLIMITS_PIXELS_PER_MP 1000000

typedef struct {
    long image_mp;         // megapixels of one image
    long job_image_mp;     // megapixels of all a job's images
    long page_items;       // items a page draws (elements, table cells)
    long page_text_kb;     // KiB of text a page draws, after substitution
    long chunk_records_mb; // MiB of records (JSON) one chunk carries
    long job_text_mb;      // MiB of text all a job's pages draw
} joblimits_t;

//  A joblimits_t of the defaults, as an initializer.
#define JOBLIMITS_DEFAULTS                                                     \
    {                                                                          \
        .image_mp = JOBLIMITS_IMAGE_MP,                                        \
        .job_image_mp = JOBLIMITS_JOB_IMAGE_MP,                                \
        .page_items = JOBLIMITS_PAGE_ITEMS,                                    \
        .page_text_kb = JOBLIMITS_PAGE_TEXT_KB,                                \
        .chunk_records_mb = JOBLIMITS_CHUNK_RECORDS_MB,                        \
        .job_text_mb = JOBLIMITS_JOB_TEXT_MB,                                  \
    }

//  What one page draws, counted by template_check_record_cost.
typedef struct {
    uint64_t items;      // elements drawn, plus one per table cell
    uint64_t text_bytes; // bytes of every text, after substitution
} joblimits_page_t;

//  Running totals over a job's records, checked as they grow.
typedef struct {
    uint64_t text_bytes;   // of the pages checked so far
    uint64_t chunk_bytes;  // records bytes of the chunk being filled
    uint32_t chunk_pages;  // pages per chunk
    uint32_t chunk_filled; // records in the chunk being filled
} joblimits_tally_t;

//  The options of joblimits_t, as entries of a program's options table
//  (common/util/options.h, which the user includes); L is a joblimits_t.
#define JOBLIMITS_OPTIONS(L)                                                   \
    OPTIONS_NUMBER ("max-image-mp", &(L).image_mp, "N", 1, 1000, NULL,         \
                    "megapixels an image asset may have"),                     \
        OPTIONS_NUMBER ("max-job-image-mp", &(L).job_image_mp, "N", 1, 10000,  \
                        NULL, "megapixels all a job's images may have"),       \
        OPTIONS_NUMBER ("max-page-items", &(L).page_items, "N", 1, 10000000,   \
                        NULL,                                                  \
                        "items a page may draw (elements, table cells)"),      \
        OPTIONS_NUMBER ("max-page-text-kb", &(L).page_text_kb, "N", 1,         \
                        1048576, NULL,                                         \
                        "KiB of text a page may draw, after substitution"),    \
        OPTIONS_NUMBER ("max-chunk-records-mb", &(L).chunk_records_mb, "N", 1, \
                        4096, NULL, "MiB of records one chunk may carry"),     \
        OPTIONS_NUMBER ("max-job-text-mb", &(L).job_text_mb, "N", 1, 1048576,  \
                        NULL, "MiB of text all a job's pages may draw")

//  Make limits the process's limits (copied). Call before starting
//  threads that read them.
void
joblimits_set (const joblimits_t *limits);

//  The process's limits: the defaults until joblimits_set. Borrowed.
const joblimits_t *
joblimits_get (void);

//  Check an image of width x height pixels, named field, against the
//  per-image limit, and add it to *job_pixels, checked against the
//  per-job limit. Returns 0, or -1 with err ("assets.logo": "is 10000 x
//  2500 pixels (25.0 megapixels); an image may have at most 16 megapixels
//  (--max-image-mp)").
int
joblimits_check_image (const joblimits_t *self, const char *field,
                       uint32_t width, uint32_t height, uint64_t *job_pixels,
                       fielderr_t *err);

//  A tally for a job of chunk_pages pages per chunk.
void
joblimits_tally_init (joblimits_tally_t *tally, uint32_t chunk_pages);

//  Check page (of record record_nbr, 0-based, record_bytes bytes of JSON)
//  against the page limits, and add it to tally, checked against the
//  chunk and job limits. Returns 0, or -1 with err naming the record
//  ("records[17]") and the limit with its option.
int
joblimits_check_page (const joblimits_t *self, joblimits_tally_t *tally,
                      const joblimits_page_t *page, uint32_t record_nbr,
                      size_t record_bytes, fielderr_t *err);

//  Check the records of one chunk as a worker receives them (bytes of
//  JSON). Returns 0, or -1 with err.
int
joblimits_check_chunk (const joblimits_t *self, size_t records_bytes,
                       fielderr_t *err);

#endif
