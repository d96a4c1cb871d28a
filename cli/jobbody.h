/*  jobbody - the body of a job submission whose records come from a file.

    Owns the job document of a `pdfpipe submit JOB.json --records FILE` and
    the records reader, and produces the request body from them piece by
    piece, as libcurl asks for it: the job document without its closing
    brace, then ,"records":[ then each record, comma-separated, then ]}.
    Only the job document is held in memory; records are read, checked
    (by records) and sent one at a time, so submitting a million records
    takes the memory of one. The job document is checked up front: it must
    be a JSON object (a job document) and must not have records of its own.
    Everything else about it is the server's to judge. It does no network
    I/O.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_JOBBODY_H
#define PDFPIPE_JOBBODY_H

#include <stddef.h>
#include <sys/types.h>

#include "records.h"

#define JOBBODY_REASON_MAX 512 // bytes of a reason or error, with the NUL

typedef struct _jobbody_t jobbody_t;

//  The body of a submission of job (the text of a job document, size
//  bytes; copied) with the records read by *records_p, which it takes,
//  also on failure. name is how messages call the job document, such as
//  its path. Returns NULL and writes why into reason (reason_size bytes)
//  when job is not valid JSON, is not an object, or has "records"
//  ("JOB.json already has records; drop them or drop --records"), or when
//  out of memory. Caller owns the result.
jobbody_t *
jobbody_new (const char *job, size_t size, const char *name,
             records_t **records_p, char *reason, size_t reason_size);

void
jobbody_destroy (jobbody_t **self_p);

//  Write the next bytes of the body, at most size, into buffer. Returns
//  how many were written, 0 once the body is complete, or -1 when the
//  records file cannot be read or breaks its format, holds no record, or
//  holds more than a job may have (JOBSPEC_RECORDS_MAX); jobbody_error
//  then says why, and the caller must abandon the request, since what was
//  sent so far is not a whole document. After -1 every later call
//  returns -1.
ssize_t
jobbody_read (jobbody_t *self, char *buffer, size_t size);

//  How many records have gone into the body so far.
size_t
jobbody_records (const jobbody_t *self);

//  Why jobbody_read returned -1; "" otherwise. Borrowed.
const char *
jobbody_error (const jobbody_t *self);

#endif
