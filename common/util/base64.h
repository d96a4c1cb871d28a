/*  base64 - bytes as base64 text and back (RFC 4648, standard alphabet).

    Images travel inside job documents as base64: a client writes them, the
    ventilator writes the ones it fetches from S3 into the document, and the
    document parser (common/doc/assets) reads them back. Encoding writes
    '=' padding; decoding is lenient where that is harmless (padding may be
    left out, spaces, tabs and line breaks are skipped) and refuses
    anything else, naming where.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_BASE64_H
#define PDFPIPE_BASE64_H

#include <stddef.h>

//  Why base64_decode returned NULL.
typedef enum {
    BASE64_INVALID = 1, // not base64: see *bad_at_p
    BASE64_TOO_LARGE,   // it would decode to more than max_size bytes
    BASE64_NO_MEMORY,
} base64_error_t;

//  The base64 text of data[0 .. size), padded, NUL-terminated. Returns
//  NULL when out of memory. Caller frees.
char *
base64_encode (const void *data, size_t size);

//  Decode text (NUL-terminated) into a new buffer of *size_p bytes. A text
//  that would decode to more than max_size bytes is refused before any
//  memory is taken for it. Returns NULL and sets *error_p; for
//  BASE64_INVALID, *bad_at_p is the 1-based position of the first
//  character at fault (the last one when the text is cut short). Caller
//  frees.
unsigned char *
base64_decode (const char *text, size_t max_size, size_t *size_p,
               base64_error_t *error_p, size_t *bad_at_p);

#endif
