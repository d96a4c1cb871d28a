/*  fielderr - an error that names the offending field of an input document.

    Validation of anything that comes from outside (job documents, records,
    templates) reports through this: `field` is a JSON path such as
    "template.elements[2].font" or "records[17].customer.name", `message`
    says what is wrong in words a user can act on. The HTTP API sends both
    back in its 400 answer; the worker sends them as a chunk's error text.

    Also owns the few steps every validator of a JSON document shares:
    parsing text with a bounded nesting depth and a located error, rejecting
    unknown or repeated fields, and describing a bad value in a message.
    Field and message are always valid UTF-8 without control characters, so
    they can be echoed into JSON answers and log lines as they are.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_FIELDERR_H
#define PDFPIPE_FIELDERR_H

#include <stddef.h>

#define FIELDERR_FIELD_MAX 256
#define FIELDERR_MESSAGE_MAX 512
#define FIELDERR_DESCRIBE_MAX 96 // buffer for fielderr_describe

struct cJSON;

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

//  Parse JSON text of size bytes (no terminating NUL needed). Rejects, with
//  field "" and without recursing: an empty or blank text ("empty
//  document"), nesting of arrays and objects deeper than nesting_max (checked
//  on the raw text before cJSON sees it), invalid JSON ("not valid JSON near
//  line L column C"), a raw control character other than tab, line feed and
//  carriage return, NUL included ("...: control character U+0000 is not
//  allowed there") and text after the value. A leading UTF-8 byte order
//  mark is skipped. Returns NULL and fills err on failure; the caller owns
//  the tree (cJSON_Delete). Errors are located without cJSON_GetErrorPtr,
//  so concurrent parses in several threads each report their own.
struct cJSON *
fielderr_parse_json (const char *text, size_t size, int nesting_max,
                     fielderr_t *err);

//  Check that every member of object is named in known (a NULL-terminated
//  list of at most 64 names) and appears once. object must be an object;
//  path is its JSON path ("" for the document). Returns 0, or -1 with err
//  naming the member ("unknown field 'colour'; expected one of: ...", or
//  "duplicate field 'size'").
int
fielderr_check_fields (const struct cJSON *object, const char *path,
                       const char *const *known, fielderr_t *err);

//  Describe a JSON value for a message ("got %s"): "\"12\" (string)",
//  "1.5 (number)", "true (boolean)", "null", "an object", "an array".
//  Long strings are cut and end in "...". NULL gives "nothing". Writes at
//  most size bytes (FIELDERR_DESCRIBE_MAX is enough) into buffer.
void
fielderr_describe (const struct cJSON *value, char *buffer, size_t size);

//  Returns 0 when value is a JSON object. Otherwise fills err with field
//  and "must be <expected>, got <what value is>" and returns -1; expected
//  reads like "an object such as {\"size\": \"A4\"}".
int
fielderr_require_object (const struct cJSON *value, const char *field,
                         const char *expected, fielderr_t *err);

#endif
