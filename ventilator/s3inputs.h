/*  s3inputs - the buckets and prefixes a job's s3:// inputs may come from.

    A job document may name its records and image assets as s3:// URLs,
    which the ventilator reads with its own credentials. Without a list
    of its operator's, a job could make it read any object those
    credentials reach (another tenant's bucket, a configuration file):
    so inputs are read only from the BUCKET[/PREFIX] entries the operator
    gives (--s3-inputs, PDFPIPE_S3_INPUTS), none by default.

    Owns the parsed list and the rules for an input's key: it must have
    no empty, "." or ".." segment and no control character, since an HTTP
    client collapses dot segments ("hr/../config/creds.jsonl" would be
    read as "config/creds.jsonl", outside the prefix that allowed it).
    A prefix matches whole segments: "in/2025" allows "in/2025/a.csv",
    not "in/2025-secret/a.csv".

    Threading: read-only after s3inputs_new, so intake threads share one.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_S3INPUTS_H
#define PDFPIPE_S3INPUTS_H

#include <stdbool.h>

#define S3INPUTS_ERROR_MAX 512 // size of an error text buffer
#define S3INPUTS_MAX 64        // entries in the list

typedef struct _s3inputs_t s3inputs_t;

//  What s3inputs_check says of an input.
typedef enum {
    S3INPUTS_ALLOWED,
    S3INPUTS_NONE,        // the list is empty: no s3:// input is read
    S3INPUTS_BAD_KEY,     // the key has an empty, "." or ".." segment, or a
                          // control character
    S3INPUTS_NOT_ALLOWED, // in no bucket and prefix of the list
} s3inputs_verdict_t;

//  Parse list: comma-separated BUCKET[/PREFIX] entries (spaces around
//  entries ignored; a trailing '/' too), or NULL or "" for none. Returns
//  NULL and fills error (S3INPUTS_ERROR_MAX bytes) naming the entry at
//  fault: an invalid bucket name, a prefix with an empty, "." or ".."
//  segment or a control character, more than S3INPUTS_MAX entries.
//  Caller owns the result.
s3inputs_t *
s3inputs_new (const char *list, char *error);

void
s3inputs_destroy (s3inputs_t **self_p);

//  Whether key in bucket may be read. self may be NULL (no list).
s3inputs_verdict_t
s3inputs_check (const s3inputs_t *self, const char *bucket, const char *key);

//  True when the list has at least one entry.
bool
s3inputs_any (const s3inputs_t *self);

#endif
