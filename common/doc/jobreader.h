/*  jobreader - a job document read and checked as its bytes arrive.

    Owns one document on its way in: its text is split by docstream, its
    members other than the records are kept (small: they become the
    jobspec), and its records are checked one at a time and handed to a
    sink as compact JSON, one record per call, so the reader never holds
    more than one record. A sink is the caller's: the ventilator writes
    them to the job's records file, jobspec_parse keeps them in memory.

    The checks and their messages are jobspec's, and a document gets the
    error it would get if it were read whole, whatever order its members
    come in: JSON errors first (docstream), then the document's fields,
    version, chunk_pages, template and assets, output, the records'
    count, a record that is not an object, and then, record by record,
    numbers too large and the template's checks. The template's checks
    need the template and the number of pages, which may come after the
    records, so they run once the document is complete, on the records
    read back from the sink in order (the sink's rewind and next).

    A document may name its records by URL ("records": "s3://..."): the
    caller fetches them (ventilator/fetch) and hands each over with
    jobreader_add_record between jobreader_feed_end and jobreader_finish;
    it may fill in the assets the same way (jobreader_assets).

    Not thread-safe; one reader per document.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_JOBREADER_H
#define PDFPIPE_JOBREADER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "fielderr.h"
#include "jobspec.h"

typedef struct _jobreader_t jobreader_t;

//  Where the records go, and how they are read back. Each callback gets
//  the arg given with the sink and returns -1 when the sink fails (the
//  reader then fails too, with an error that says the records could not
//  be stored; the sink knows why).
typedef struct {
    //  One record that has passed the checks it can pass alone, as
    //  compact JSON (size bytes, no line break; borrowed). Returns 0.
    int (*append) (void *arg, const char *json, size_t size);
    //  Every record has been appended; reading back starts at the first.
    //  Records will be read in chunks of chunk_pages (for a sink that
    //  notes where chunks start). Returns 0.
    int (*rewind) (void *arg, uint32_t chunk_pages);
    //  The next record back: 1 with *json_p (borrowed until the next
    //  call) and *size_p; 0 after the last.
    int (*next) (void *arg, const char **json_p, size_t *size_p);
} jobreader_sink_t;

//  A reader whose records go to sink (copied) with sink_arg. Returns
//  NULL when out of memory. Caller owns the result.
jobreader_t *
jobreader_new (const jobreader_sink_t *sink, void *sink_arg);

void
jobreader_destroy (jobreader_t **self_p);

//  Hand over the next size bytes of the document (copied); records they
//  complete go to the sink. Returns 0, or -1 when the document can no
//  longer be accepted whatever follows (nested too deep, out of memory,
//  the sink failed): jobreader_error says why, and the rest need not be
//  fed. Other errors wait for jobreader_feed_end, as a later error may
//  outrank them.
int
jobreader_feed (jobreader_t *self, const void *data, size_t size);

//  The whole document has been fed. Returns 0, or -1 with jobreader_error
//  when it is not a JSON document (docstream's errors).
int
jobreader_feed_end (jobreader_t *self);

//  After jobreader_feed_end: the document's "records" when they are a
//  URL to fetch (a string holding "://"), else NULL. Borrowed.
const char *
jobreader_records_url (const jobreader_t *self);

//  After jobreader_feed_end: the document's "assets" member, for the
//  caller to fill in before jobreader_finish; NULL when there is none.
//  Borrowed.
cJSON *
jobreader_assets (jobreader_t *self);

//  After jobreader_feed_end, for a document whose records are a URL: the
//  next record, as the JSON text of an object (size bytes), read from
//  that URL. Returns 0, or -1 as jobreader_feed.
int
jobreader_add_record (jobreader_t *self, const char *json, size_t size);

//  Check and hand to the sink only the first count records (0: all, the
//  default); later ones are only counted, so jobspec_pages stays the
//  document's. A preview of page count needs no more. Call before the
//  first jobreader_feed.
void
jobreader_set_records_max (jobreader_t *self, uint32_t count);

//  Check everything not yet checked, reading the records back from the
//  sink. Returns the job, or NULL with jobreader_error saying what is
//  wrong. Call once, after jobreader_feed_end. Caller owns the result.
jobspec_t *
jobreader_finish (jobreader_t *self);

//  Records handed to the sink so far.
size_t
jobreader_records (const jobreader_t *self);

//  Why the document is refused. Borrowed.
const fielderr_t *
jobreader_error (const jobreader_t *self);

#endif
