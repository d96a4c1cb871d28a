/*  tplcache - the worker's parsed templates, found again by their text.

    Every CHUNK carries its job's whole template as JSON text, assets
    (base64 images) included, and parsing it is a fixed cost of every
    chunk: the JSON, the fonts' lookup, each image decoded in full to be
    checked (common/doc/template, common/doc/assets). A worker's chunks
    come from a few jobs at a time, interleaved (the ventilator dispatches
    fairly across jobs), so the worker keeps the last few templates it
    parsed, keyed by the SHA-256 of their text: a chunk whose text hashes
    to a kept template skips the parse. A template whose text differs in
    any byte is another template.

    Bounded twice: at most a number of templates, and at most a number of
    bytes of template text across them (a parsed template holds about as
    much: its decoded images), the least recently used going first; the
    newest stays whatever its size. A template that fails to parse is not
    kept. Not thread-safe: the worker's rendering thread owns it.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_TPLCACHE_H
#define PDFPIPE_TPLCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "fielderr.h"
#include "template.h"

//  The worker's bounds: a few jobs interleaved, and images within a small
//  container's memory.
#define TPLCACHE_TEMPLATES 4
#define TPLCACHE_BYTES_MAX (64 * 1024 * 1024) // bytes of template text

typedef struct _tplcache_t tplcache_t;

//  An empty cache keeping at most templates templates (at least 1) and
//  bytes_max bytes of their text. Returns NULL only when out of memory.
tplcache_t *
tplcache_new (size_t templates, size_t bytes_max);

//  Destroy the cache, and release the calling thread's libcrypto state:
//  destroy it on the thread that used it, as that thread ends.
void
tplcache_destroy (tplcache_t **self_p);

//  The template parsed from json (size bytes, as template_parse_text
//  reads it): the kept one when a template with the same text is kept,
//  else parsed now and kept, making room by dropping the least recently
//  used. Returns NULL with err filled when the text is not a valid
//  template (or memory runs out); nothing is kept then. Borrowed: valid
//  until the next tplcache_get or tplcache_destroy.
const template_t *
tplcache_get (tplcache_t *self, const char *json, size_t size, fielderr_t *err);

//  Templates kept now.
size_t
tplcache_count (const tplcache_t *self);

//  Calls of tplcache_get answered from the cache, and those that parsed.
uint64_t
tplcache_hits (const tplcache_t *self);
uint64_t
tplcache_misses (const tplcache_t *self);

#endif
