/*  s3 - objects in Amazon S3 or an S3-compatible store, over its REST API.

    Owns one store's configuration (credentials, region, endpoint,
    addressing, part size, retry policy) and a libcurl handle to it, and is
    the only module that sees libcurl for S3. Requests are signed with
    curl's SigV4 support; the payload hash that curl expects the caller to
    supply, and presigned URLs, come from common/store/sigv4.

    Uploads stream from a file: one PUT below the part size, a multipart
    upload from it on, each part read from the file twice (once to hash it,
    once to send it), so memory does not grow with the file. A multipart
    upload that fails is aborted, so neither an object nor stored parts are
    left behind. The multipart calls (s3_multipart_*) let a caller send the
    parts itself, as a file grows (common/store/store_upload); aborting is
    then the caller's to do.

    Retries: a request that meets a 5xx answer, SlowDown, RequestTimeout,
    a timeout or a dropped connection is sent again after an exponential
    backoff with jitter (half the delay fixed, half random), up to the
    configured attempts per request and S3_RETRY_BUDGET retries per
    operation; every retry is logged as a warning. Anything else (403,
    404, a bad request) fails at once. Error texts say what was asked,
    what S3 answered (status, Code and Message of its error document, or
    curl's reason when nothing came back) and after how many attempts.
    Credentials never appear in an error text or a log line.

    Threading: an s3_t is used by one thread at a time.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_S3_H
#define PDFPIPE_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigv4.h"

#define S3_MIB (1024 * 1024)
//  S3's own limits: parts are 5 MiB to 5 GiB (the last may be smaller),
//  10,000 at most.
#define S3_PART_SIZE_MIN ((uint64_t)5 * S3_MIB)
#define S3_PART_SIZE_MAX ((uint64_t)5 * 1024 * S3_MIB)
#define S3_PARTS_MAX 10000
//  A part held in flight is read twice from the page cache; 16 MiB keeps
//  the number of requests low without making a retry expensive.
#define S3_PART_SIZE_DEFAULT ((uint64_t)16 * S3_MIB)
#define S3_ATTEMPTS_DEFAULT 5        // tries per request
#define S3_ATTEMPTS_MAX 20           // most tries per request configurable
#define S3_RETRY_BASE_MS_DEFAULT 200 // backoff before the second try
#define S3_RETRY_CAP_MS 20000        // longest wait between two tries
//  Retries one operation (a whole upload, a download) may spend over all
//  its requests, so a store that fails every other request ends the job
//  instead of retrying each of thousands of parts.
#define S3_RETRY_BUDGET 50
#define S3_CONNECT_TIMEOUT_S 10
//  A transfer slower than S3_LOW_SPEED_BYTES per second for
//  S3_LOW_SPEED_TIME_S seconds counts as timed out (and is retried).
#define S3_LOW_SPEED_BYTES 1024
#define S3_LOW_SPEED_TIME_S 30
#define S3_PRESIGN_EXPIRES_DEFAULT 3600 // seconds a download URL is valid
#define S3_REGION_DEFAULT "us-east-1"
#define S3_KEY_MAX 1024   // bytes of an object key
#define S3_ERROR_MAX 1024 // size of an error text buffer
#define S3_ETAG_MAX 256   // bytes of a part's ETag, with its NUL

typedef struct _s3_t s3_t;

//  How to reach a store. Strings are borrowed by s3_config_from_env (from
//  the environment) and copied by s3_new.
typedef struct {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; // NULL when none
    const char *region;
    //  "http[s]://host[:port]" of an S3-compatible store; NULL for AWS
    //  (https://s3.<region>.amazonaws.com).
    const char *endpoint;
    bool path_style;       // host/bucket/key instead of bucket.host/key
    uint64_t part_size;    // bytes, S3_PART_SIZE_MIN to S3_PART_SIZE_MAX
    uint32_t max_attempts; // tries per request, 1 to S3_ATTEMPTS_MAX
    uint32_t retry_base_ms;
    uint32_t presign_expires_s; // 1 to SIGV4_PRESIGN_EXPIRES_MAX
} s3_config_t;

//  What a put stores besides the bytes, and how its log lines start.
typedef struct {
    const char *content_type; // NULL: application/octet-stream
    //  Content-Disposition header value (printable ASCII, single spaces,
    //  as common/doc/output makes it); NULL: none.
    const char *content_disposition;
    const char *log_context; // e.g. "job=<id>"; NULL: none
    //  The job the object is written for, or NULL. When set, the object
    //  carries it (x-amz-meta-pdfpipe-job) and the put only creates: it
    //  is conditional (If-None-Match: *), so it never replaces an object
    //  already under the key.
    const char *owner;
} s3_put_options_t;

//  What a put did.
typedef struct {
    uint64_t bytes;
    uint32_t parts;   // 0 for a single PUT
    uint32_t retries; // requests sent again
    char sha256[65];  // of the whole object, lowercase hex
    bool existed;     // a create-only put failed: an object was there
} s3_put_result_t;

//  Receives a download piece by piece. Returns 0, or -1 to stop it.
typedef int (s3_data_fn) (const void *data, size_t size, void *arg);

//  Fill config from the environment: AWS_ACCESS_KEY_ID and
//  AWS_SECRET_ACCESS_KEY (required), AWS_SESSION_TOKEN, AWS_REGION or
//  AWS_DEFAULT_REGION (default S3_REGION_DEFAULT), PDFPIPE_S3_ENDPOINT or
//  AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, PDFPIPE_S3_PATH_STYLE (0 or 1;
//  default 1 with an endpoint, 0 without), PDFPIPE_S3_PART_SIZE_MB,
//  PDFPIPE_S3_MAX_ATTEMPTS, PDFPIPE_S3_RETRY_BASE_MS and
//  PDFPIPE_S3_PRESIGN_EXPIRES (seconds). Strings point into the
//  environment. Returns -1 and fills error (S3_ERROR_MAX bytes, naming the
//  variable) when the credentials are missing or a value is out of range.
int
s3_config_from_env (s3_config_t *config, char *error);

//  A client for the store config describes (copied). Returns NULL and
//  fills error when the configuration is not usable (bad endpoint, part
//  size out of range, ...). Caller owns the result.
s3_t *
s3_new (const s3_config_t *config, char *error);

void
s3_destroy (s3_t **self_p);

//  Split "s3://bucket/key" into its bucket and key (key may be empty when
//  the URL is "s3://bucket" or "s3://bucket/"). Returns -1 when url is not
//  an s3:// URL with a valid bucket name (3-63 characters of a-z 0-9 . -,
//  starting and ending with a letter or digit) and a key of at most
//  S3_KEY_MAX bytes. On success the caller frees *bucket_p and *key_p.
int
s3_parse_url (const char *url, char **bucket_p, char **key_p);

//  Upload the file at path as bucket/key, replacing any object there
//  unless options->owner is set (see above), and fill result. Returns -1 and fills error when the file cannot be read or
//  the upload fails after its retries; no object is created then and a
//  multipart upload is aborted (if even the abort fails, error says so).
int
s3_put_file (s3_t *self, const char *bucket, const char *key, const char *path,
             const s3_put_options_t *options, s3_put_result_t *result,
             char *error);

//  Delete bucket/key. An absent object is not an error. Returns -1 and
//  fills error.
int
s3_delete (s3_t *self, const char *bucket, const char *key, char *error);

//  Download bucket/key, handing it to on_data piece by piece in order. A
//  dropped transfer is resumed where it stopped (Range), so every byte is
//  delivered once. Returns -1 and fills error when the object cannot be
//  read or on_data stopped the transfer; on_data may then have seen part
//  of the object.
int
s3_get (s3_t *self, const char *bucket, const char *key, s3_data_fn *on_data,
        void *arg, char *error);

//  A presigned URL for GET bucket/key, valid from now (seconds since the
//  Unix epoch) for the configured presign expiry; *expires_at_p, when not
//  NULL, is set to when it stops working. Returns NULL when out of memory.
//  Caller frees.
char *
s3_presign_get (s3_t *self, const char *bucket, const char *key, int64_t now,
                int64_t *expires_at_p);

//  Multipart uploads driven by the caller (common/store/store_upload sends
//  parts as a file grows). Each call is one operation with its own retry
//  budget; errors are as for s3_put_file. Nothing here aborts by itself:
//  an upload that is not completed must be aborted by the caller.

//  Start a multipart upload of bucket/key with options' content type and
//  disposition (options may be NULL). Returns its upload id (caller frees)
//  or NULL and fills error.
char *
s3_multipart_start (s3_t *self, const char *bucket, const char *key,
                    const s3_put_options_t *options, char *error);

//  One part of a multipart upload, read from a file.
typedef struct {
    uint32_t part_nbr; // 1 to S3_PARTS_MAX
    int fd;
    const char *path;      // fd's name, for errors
    uint64_t offset;       // where the part starts in fd
    uint64_t length;       // bytes
    sigv4_sha256_t *whole; // fed the part's bytes when not NULL
} s3_part_t;

//  Upload part of upload_id. Sets etag (S3_ETAG_MAX bytes) to the part's
//  ETag. log_context (may be NULL) starts retry warnings. Returns -1 and
//  fills error.
int
s3_multipart_put (s3_t *self, const char *bucket, const char *key,
                  const char *upload_id, const s3_part_t *part, char *etag,
                  const char *log_context, char *error);

//  Join parts 1 to parts (etags[i] is part i + 1's ETag) into the object.
//  Returns -1 and fills error; the upload is then still there.
int
s3_multipart_complete (s3_t *self, const char *bucket, const char *key,
                       const char *upload_id, char **etags, uint32_t parts,
                       const char *log_context, char *error);

//  Throw upload_id's parts away. An upload S3 no longer knows (aborted or
//  completed already) is not an error. Returns -1 and fills error.
int
s3_multipart_abort (s3_t *self, const char *bucket, const char *key,
                    const char *upload_id, const char *log_context,
                    char *error);

//  Requests sent again by the last operation (call, put, ...).
uint32_t
s3_retries (s3_t *self);

#endif
