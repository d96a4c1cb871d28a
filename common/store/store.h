/*  store - where finished documents go: the storage back end.

    Owns one storage location, named by a URL, and putting whole files into
    it under a key such as "<job_id>.pdf". store_new picks the back end from
    the URL's scheme; callers never see which back end they use.

    Back ends:
    - file://DIR, or a plain DIR: a local directory, created when missing.
      DIR may be relative ("file://./out") and is taken literally (no
      percent-decoding). An object is a file DIR/<key>; putting one links
      the file in when source and store share a file system, and otherwise
      copies it to a temporary name in the store, fsyncs it and links that,
      so a reader never sees half a document. A link never replaces a file
      (create-exclusive). Locations
      are "file:///absolute/dir/<key>". Content type and disposition are
      not kept.
    - s3://BUCKET/PREFIX (PREFIX optional): objects BUCKET/PREFIX/<key> in
      S3 or an S3-compatible store, configured by the environment (see
      common/store/s3: credentials, region, endpoint, path style, part size).
      Putting one uploads the file (multipart from the part size on) and
      then deletes it; the object keeps the content type and disposition
      (download name) given to the put. A put for an owner is conditional
      (If-None-Match: *) and marks the object with the owner
      (x-amz-meta-pdfpipe-job). Nothing is visible under the key until
   the upload is complete. Locations are "s3://BUCKET/PREFIX/<key>". A
      file still being written can be uploaded part by part as it grows
      with common/store/store_upload instead.

    Keys are 1 to STORE_KEY_MAX characters of [A-Za-z0-9._/-]: segments
    separated by single '/', none empty and none starting with '.' (so no
    "..", no hidden files, no clash with temporary names), no leading or
    trailing '/' (common/proto/ident, ident_key_valid). An s3:// PREFIX
    follows the same rules.

    Owners: the sink puts and removes a job's result for its owner, the
    job id, and a key must then be "<owner>/...": a job writes and removes
    only under its own id (common/doc/output makes keys so). A put never
    replaces an object, with one exception: an object already under the
    owner's own id, which only a put for the same job can have made (a
    sink that stored a result and restarted before recording it), is
    replaced, with a warning. A put without an owner (tests, tools) never
    replaces a local file and is a plain PUT in S3.

    Errors are not logged here except in store_new (and the S3 client's
    retry warnings): each failing call fills an error text (STORE_ERROR_MAX
    bytes, with strerror or what S3 answered) for the caller to log and
    report with its own context. A store_t is used by one thread.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_STORE_H
#define PDFPIPE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#define STORE_KEY_MAX 1024
#define STORE_ERROR_MAX 1024 // size of an error text buffer

typedef struct _store_t store_t;

//  What a put stores besides the bytes.
typedef struct {
    const char *content_type;        // NULL: application/octet-stream
    const char *content_disposition; // header value; NULL: none
    const char *log_context;         // start of log lines: "job=<id>"
    //  The job the object is for (a job id), or NULL: see "Owners".
    const char *owner;
} store_put_options_t;

//  Open the store named by url. Returns NULL (logged) for an unknown
//  scheme or a location that cannot be created or reached. Caller owns the
//  result.
store_t *
store_new (const char *url);

void
store_destroy (store_t **self_p);

//  The store's canonical URL ("file:///absolute/dir"). Borrowed.
const char *
store_url (store_t *self);

//  True when key follows the rules above, at most STORE_KEY_MAX bytes.
bool
store_key_valid (const char *key);

//  Put the file at path into the store under key and take the file: on
//  success it is gone from path. options may be NULL. Sets *location_p to
//  the object's URL (caller frees) and *bytes_p to its size. Returns -1
//  and fills error for a bad key, a key outside options->owner's id, an
//  object already under key (see "Owners"), or when the object cannot be
//  written (no space, no permission, S3 refused or failed after its
//  retries, ...); the file at path is then left as it was and nothing
//  partial is visible under key.
int
store_put_file (store_t *self, const char *key, const char *path,
                const store_put_options_t *options, char **location_p,
                uint64_t *bytes_p, char *error);

//  Remove the object under key, for owner (a job id; NULL: anyone's). An
//  absent object is not an error. Returns -1 and fills error for a bad
//  key, a key outside owner's id, or when removing fails.
int
store_remove (store_t *self, const char *owner, const char *key, char *error);

//  True when key lies under owner's id: "<owner>/..." with owner a job id.
bool
store_key_owned (const char *key, const char *owner);

//  The location of the object under key, the URL store_put_file gives it:
//  "file:///absolute/dir/<key>" or "s3://BUCKET/PREFIX/<key>". It says
//  where this store's configuration puts a result, whoever asks; nothing
//  is read or checked in the store. Returns NULL for a bad key. Caller
//  frees.
char *
store_location (store_t *self, const char *key);

//  True for a local directory store, false for S3.
bool
store_is_local (store_t *self);

//  A local store: the absolute path of the object under key, always inside
//  the store's directory (the key rules keep it there). Returns NULL for a
//  bad key or an S3 store. Caller frees.
char *
store_local_path (store_t *self, const char *key);

//  An S3 store: a presigned GET URL for the object under key, valid from
//  now (seconds since the Unix epoch) for the configured presign expiry
//  (common/store/s3); *expires_at_p, when not NULL, is when it stops
//  working. Nothing is asked of S3. Returns NULL for a bad key, a local
//  store, or no memory. Caller frees.
char *
store_presign_get (store_t *self, const char *key, int64_t now,
                   int64_t *expires_at_p);

//  An S3 store: the bucket and object key (under the prefix) of key, for
//  common/store/store_upload, which drives its own client. Returns -1 for
//  a bad key, a local store or no memory. The caller frees both.
int
store_s3_object (store_t *self, const char *key, char **bucket_p,
                 char **object_key_p);

#endif
