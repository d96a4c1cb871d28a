/*  ident - the alphabets pdfpipe accepts for names that travel.

    Job ids, asset names and font names are 1 to N characters of
    [A-Za-z0-9_-]: safe as file names in the spool and the store, in URLs
    and in log lines, with nothing to escape. Store keys, which the
    ventilator renders from a job's "output" and the sink stores the result
    under (OUTPUT), add '.' and '/' with rules that keep them inside the
    store. Every check of such a name goes through here so the rule cannot
    drift between modules or between processes.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_IDENT_H
#define PDFPIPE_IDENT_H

#include <stdbool.h>
#include <stddef.h>

//  True when data[0 .. size) is 1 to max_size characters of [A-Za-z0-9_-].
//  data need not be NUL-terminated; NULL is never valid.
bool
ident_valid (const char *data, size_t size, size_t max_size);

//  The same for a NUL-terminated string.
bool
ident_valid_str (const char *text, size_t max_size);

//  True when key is a store key of at most max_size characters: segments
//  of [A-Za-z0-9._-] separated by single '/', none empty and none starting
//  with '.' (so no "..", no hidden files, no clash with temporary names),
//  no leading or trailing '/'. NULL is never valid.
bool
ident_key_valid (const char *key, size_t max_size);

#endif
