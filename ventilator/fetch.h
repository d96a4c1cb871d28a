/*  fetch - the parts of a job document given as s3:// URLs, fetched as the
    document is read.

    A job document may give its records as "records":
    "s3://bucket/key.jsonl" instead of an array, and an image asset as
    {"type": "png", "url": "s3://bucket/key.png"} instead of inline base64
    "data". fetch_records downloads the records and hands each to the
    caller as the text of a JSON object as soon as it is whole, never
    holding the file; fetch_assets puts each asset's bytes in its "data".

    The key's extension says the records' format: JSON Lines (.jsonl,
    .ndjson; one JSON object per line, blank lines skipped) or CSV (.csv:
    the header row names the fields, dotted names nest, every cell is a
    string). Either is read record by record as it arrives by
    common/doc/records, exactly as `pdfpipe submit --records` reads a file, so
    errors read alike: "s3://b/k.jsonl line 17: not valid JSON at column
    9". Any other extension is an error.

    Only s3:// URLs are fetched, from the S3 endpoint the ventilator is
    configured with: a URL with any other scheme is an error naming the
    field, so no document can make the ventilator connect anywhere else.
    And only from the buckets and prefixes its operator lists
    (ventilator/s3inputs, --s3-inputs; none by default), with keys free of
    empty, "." and ".." parts. An input that is not listed, does not exist
    or cannot be read gets one answer, whichever the reason ("there is no
    such object, or it is not one this ventilator may read"), so a job
    cannot tell a missing bucket from a missing key or a refused one; the
    log has S3's own answer.
    The records count against the job's disk quota (max_bytes) both as
    downloaded and as the JSON they become (CSV repeats its field names in
    every record), and a records file may hold at most JOBSPEC_RECORDS_MAX
    records. Assets are held in memory (as base64 in the document), so
    all of a document's together count against a memory bound. The
    download stops at the first piece or record past a limit.

    Threading: runs on the caller's thread for as long as the downloads
    take (an intake thread, for a submission).

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_FETCH_H
#define PDFPIPE_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "fielderr.h"
#include "jobreader.h"
#include "s3.h"
#include "s3inputs.h"

//  Receives one record: size bytes of JSON text, an object (borrowed).
//  Returns 0, or -1 to stop the download (for a reason of the caller's).
typedef int (fetch_record_fn) (const char *json, size_t size, void *arg);

//  Download the records at url (the document's "records") and hand each,
//  in order, to record with arg, when inputs allows it. s3 may be NULL (no
//  S3 configured) and inputs NULL (no list): any URL is then an error.
//  Returns 0 when every record was handed over; -1 with err (field
//  "records") when the URL is not acceptable or not allowed, the download
//  fails (the one answer above; S3's is logged), a line is not a JSON object
//  or a CSV row breaks its format (naming the URL and the line), the file
//  holds no records or too many, it (or its records as JSON) is larger
//  than max_bytes, or record returned -1.
int
fetch_records (s3_t *s3, const s3inputs_t *inputs, const char *url,
               size_t max_bytes, fetch_record_fn *record, void *arg,
               fielderr_t *err);

//  Replace the "url" of every asset in assets (the document's "assets"
//  object, changed in place; anything else is left for the document's
//  checks) by the downloaded bytes as base64 "data", holding at most
//  max_bytes of them in all. Returns 0, or -1 with err naming the asset's
//  field ("assets.logo.url") when a URL is not acceptable, a download
//  fails, or an image is too large.
int
fetch_assets (s3_t *s3, const s3inputs_t *inputs, cJSON *assets,
              size_t max_bytes, fielderr_t *err);

//  True when assets (the document's "assets", or NULL) names anything for
//  fetch_assets to fetch.
bool
fetch_assets_wanted (const cJSON *assets);

//  What a document read by reader (after jobreader_feed_end) names by URL:
//  its records, handed to the reader (fetch_records, at most
//  max_records_bytes), and its assets, filled in (fetch_assets), with an
//  S3 client made from s3 (NULL: none) for this call. Returns 0, or -1
//  with err. who names the caller in a log line.
int
fetch_for_reader (const s3_config_t *s3, const s3inputs_t *inputs,
                  jobreader_t *reader, size_t max_records_bytes,
                  const char *who, fielderr_t *err);

#endif
