/*  jsonstr - writing text as a JSON string.

    Owns the one escaping of text into a JSON string that the project
    writes by hand, where cJSON's printer is not used (job documents and
    CSV records are written as they stream, without building a tree).
    The quote and the backslash are escaped, and so are control characters
    (\n, \r and \t by their short forms, the others as \u00XX); every other
    byte is copied as it is, so text that is valid UTF-8 (callers check)
    stays valid UTF-8 and JSON.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_JSONSTR_H
#define PDFPIPE_JSONSTR_H

#include <stddef.h>

#include "bytebuf.h"

//  Append text[0 .. size) to out as a JSON string, quotes included.
//  Returns 0, or -1 when out has run out of memory (see bytebuf).
int
jsonstr_append (bytebuf_t *out, const char *text, size_t size);

//  Where the first \u0000 escape inside a string of the JSON text
//  text[0 .. size) starts (its backslash), or size when there is none.
//  cJSON turns that escape into a NUL byte, which silently cuts the string
//  short, so readers of documents refuse it instead. text is one JSON
//  value or line, scanned from a point outside any string.
size_t
jsonstr_nul_escape_at (const char *text, size_t size);

#endif
