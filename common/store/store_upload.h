/*  store_upload - putting a file into an S3 store while it is still being
    written.

    Owns one multipart upload and the thread that sends its parts. The
    writer appends to the file and says, with store_upload_grow, how many
    leading bytes are final (written and never to change again); each time
    a whole part of them is there, the thread uploads it. store_upload_finish
    gives the file's final length: the rest goes up (in parts of the part
    size, the last one shorter) and the parts are joined into the object,
    so after the writer's last byte only about one part's time remains.
    Nothing is visible under the key until then.

    Failure and cancel: a part that fails after the S3 client's retries
    fails the upload; store_upload_finish then returns -1, and it, like
    store_upload_destroy on an upload not finished, aborts the multipart
    upload, so neither an object nor stored parts are left behind. The
    upload id (store_upload_id) is for the caller to record durably before
    parts go up: a process killed mid-upload aborts the recorded id at its
    next start (store_upload_abort_id), since only it knows the id.

    Only S3 stores stream; a local store takes the finished file with
    store_put_file as before. The file is read through a descriptor opened
    by store_upload_new, so the writer may rename it meanwhile. The thread
    has its own S3 client (configured from the environment like the
    store's); a store_upload_t is driven by one thread, its creator.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_STORE_UPLOAD_H
#define PDFPIPE_STORE_UPLOAD_H

#include <stdint.h>

#include "store.h"

typedef struct _store_upload_t store_upload_t;

//  Start uploading the file at path (it may still be growing) to store
//  under key, in parts of part_size bytes (0: the store's configured part
//  size, PDFPIPE_S3_PART_SIZE_MB), with options as for store_put_file
//  (may be NULL). Creates the multipart upload before returning. Returns
//  NULL and fills error (STORE_ERROR_MAX bytes) for a local store, a bad
//  key, a part size below S3's minimum (5 MiB) or when S3 refuses. Caller
//  owns the result.
store_upload_t *
store_upload_new (store_t *store, const char *key, const char *path,
                  const store_put_options_t *options, uint64_t part_size,
                  char *error);

//  Abort the upload unless it was finished, stop the thread and free
//  everything. An abort that fails is logged (parts stay behind until a
//  lifecycle rule or a person removes them). Nothing on NULL or twice.
void
store_upload_destroy (store_upload_t **self_p);

//  S3's id of the upload. Borrowed.
const char *
store_upload_id (store_upload_t *self);

//  The first final_bytes bytes of the file are final. Never blocks on S3;
//  a value lower than an earlier one is ignored.
void
store_upload_grow (store_upload_t *self, uint64_t final_bytes);

//  Parts uploaded so far.
uint32_t
store_upload_parts (store_upload_t *self);

//  The file is complete at total_bytes: upload what is left, wait for the
//  thread and complete the object. Sets *location_p (caller frees) to
//  the object's URL. Returns -1 and fills error when a part or the
//  completion failed; the upload is aborted then. Call at most once.
int
store_upload_finish (store_upload_t *self, uint64_t total_bytes,
                     char **location_p, char *error);

//  Abort the multipart upload upload_id of key in store, recorded by an
//  earlier process. An upload S3 no longer knows is not an error. Returns
//  -1 and fills error.
int
store_upload_abort_id (store_t *store, const char *key, const char *upload_id,
                       char *error);

#endif
