/*  fetch - the parts of a job document given as s3:// URLs, fetched and put
    in place before the document is parsed.

    A job document may give its records as "records":
    "s3://bucket/key.jsonl" instead of an array, and an image asset as
    {"type": "png", "url": "s3://bucket/key.png"} instead of inline base64
    "data". fetch_resolve downloads them with common/store/s3 and returns the
    document as common/doc/jobspec reads it: the records as an array, each
    asset with its bytes as "data". The document's own text is kept byte
    for byte (numbers are never printed again), only the two values are
    replaced.

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
    Everything fetched for one document counts against max_bytes (the
    API's body limit), and so do the records as the JSON array they become
    (CSV repeats its field names in every record), so a job from S3 holds
    no more memory than an inline one. A records file may hold at most
    JOBSPEC_RECORDS_MAX records. The download stops at the first piece or
    record past a limit.

    Threading: runs on the caller's thread for as long as the downloads
    take (the HTTP thread, for a submission).

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_FETCH_H
#define PDFPIPE_FETCH_H

#include <stddef.h>

#include "fielderr.h"
#include "s3.h"

//  Resolve the s3:// URLs of the document json (size bytes). s3 may be
//  NULL (no S3 configured): a document that names an s3:// URL is then an
//  error. Returns 0 and sets *resolved_p to the new document text (caller
//  frees), or to NULL when the document names nothing to fetch (or is not
//  valid JSON, which the caller's parser will report); returns -1 and
//  fills err, naming the field ("records", "assets.logo.url"), when a URL
//  is not acceptable, a download fails (with what S3 answered), a fetched
//  line is not a JSON object or a CSV row breaks its format (naming the
//  URL and the line), the records file holds no records or too many, or
//  max_bytes is exceeded.
int
fetch_resolve (s3_t *s3, const char *json, size_t size, size_t max_bytes,
               char **resolved_p, fielderr_t *err);

#endif
