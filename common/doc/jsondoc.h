/*  jsondoc - the steps every validator of a JSON document shares.

    Parsing text with a bounded nesting depth and an error that says where,
    rejecting unknown or repeated fields, and describing a bad value in a
    message ("got ..."). Each reports through a fielderr_t, so job
    documents, templates, assets, outputs and records all word the same
    mistake the same way.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_JSONDOC_H
#define PDFPIPE_JSONDOC_H

#include <stddef.h>

#include "fielderr.h"

#define JSONDOC_DESCRIBE_MAX 96 // buffer for jsondoc_describe

struct cJSON;

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
jsondoc_parse (const char *text, size_t size, int nesting_max, fielderr_t *err);

//  Check that every member of object is named in known (a NULL-terminated
//  list of at most 64 names) and appears once. object must be an object;
//  path is its JSON path ("" for the document). Returns 0, or -1 with err
//  naming the member ("unknown field 'colour'; expected one of: ...", or
//  "duplicate field 'size'").
int
jsondoc_check_fields (const struct cJSON *object, const char *path,
                      const char *const *known, fielderr_t *err);

//  Describe a JSON value for a message ("got %s"): "\"12\" (string)",
//  "1.5 (number)", "true (boolean)", "null", "an object", "an array".
//  Long strings are cut and end in "...". NULL gives "nothing". Writes at
//  most size bytes (JSONDOC_DESCRIBE_MAX is enough) into buffer.
void
jsondoc_describe (const struct cJSON *value, char *buffer, size_t size);

//  Returns 0 when value is a JSON object. Otherwise fills err with field
//  and "must be <expected>, got <what value is>" and returns -1; expected
//  reads like "an object such as {\"size\": \"A4\"}".
int
jsondoc_require_object (const struct cJSON *value, const char *field,
                        const char *expected, fielderr_t *err);

#endif
