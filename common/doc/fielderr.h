/*  fielderr - an error that names the offending field of an input document.

    Validation of anything that comes from outside (job documents, records,
    templates) reports through this: `field` is a JSON path such as
    "template.elements[2].font" or "records[17].customer.name", `message`
    says what is wrong in words a user can act on. The HTTP API sends both
    back in its 400 answer; the worker sends them as a chunk's error text.

    Field and message are always valid UTF-8 without control characters, so
    they can be echoed into JSON answers and log lines as they are. The
    steps validators share to produce one (parsing with a located error,
    rejecting unknown fields, describing a bad value) are common/doc/jsondoc.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_FIELDERR_H
#define PDFPIPE_FIELDERR_H

#include <stddef.h>

#define FIELDERR_FIELD_MAX 256
#define FIELDERR_MESSAGE_MAX 512

typedef struct {
    char field[FIELDERR_FIELD_MAX]; // JSON path; "" for the whole document
    char message[FIELDERR_MESSAGE_MAX];
} fielderr_t;

//  Fill in an error (truncating silently to the buffer sizes). err may be
//  NULL, in which case nothing happens.
void
fielderr_set (fielderr_t *err, const char *field, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  "field: message", or just "message" when field is empty, into buffer.
void
fielderr_format (const fielderr_t *err, char *buffer, unsigned long size);

#endif
