/*  jsoncompact - a parsed JSON value written back as compact JSON text.

    Owns the one printer of cJSON trees that the ventilator ships to
    workers (templates, assets) and writes to its records files. cJSON's
    own printer is not used: it compares doubles with a tolerance and so
    prints 9007199254740991 as 9.00719925474099e+15, which reads back one
    less. Numbers here are written exactly, as subst_expand writes them
    (common/doc/subst), strings through common/util/jsonstr, and there is
    no white space, so the text holds no line break.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_JSONCOMPACT_H
#define PDFPIPE_JSONCOMPACT_H

#include <cjson/cJSON.h>

#include "bytebuf.h"

//  Deepest nesting printed; a parsed document is never deeper (parsing
//  bounds it by the same number).
#define JSONCOMPACT_NESTING_MAX 64

//  Append value as compact JSON to out, walking it without recursion.
//  Returns 0, or -1 when out has run out of memory or value is nested
//  deeper than JSONCOMPACT_NESTING_MAX (both leave out failed).
int
jsoncompact_append (bytebuf_t *out, const cJSON *value);

#endif
