/*  tplcache - the worker's parsed templates, found again by their digest.

    A CHUNK names its job's template and assets by digest
    (common/proto/tpldigest, the SHA-256 of their JSON text), and carries
    the text itself only when the ventilator believes the worker lacks it
    (docs/protocol.md). Parsing the text is a fixed cost: the JSON, the
    fonts' lookup, each image decoded in full to be checked
    (common/doc/template, common/doc/assets). A worker's chunks come from a
    few jobs at a time, interleaved (the ventilator dispatches fairly
    across jobs), so the worker keeps the last few templates it parsed,
    keyed by digest: a chunk of a job seen lately pays neither the
    transfer nor the parse. A template whose text differs in any byte is
    another template.

    What is kept under a digest is always the text with that digest: a
    text that does not hash to the digest it came with is refused and not
    kept (tplcache_put), so no message can make a later chunk of another
    job render with the wrong template.

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
#include "proto.h"
#include "template.h"
#include "tpldigest.h"

//  The worker's bounds: a few jobs interleaved (as many as the ventilator
//  remembers having sent it), and images within a small container's
//  memory.
#define TPLCACHE_TEMPLATES PROTO_WORKER_TEMPLATES
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

//  The template kept under digest, made the most recently used; NULL when
//  none is (a miss: the caller asks for the text). Borrowed: valid until
//  the next tplcache_lookup, tplcache_put, tplcache_get or
//  tplcache_destroy.
const template_t *
tplcache_lookup (tplcache_t *self, const tpldigest_t *digest);

//  The template parsed from json (size bytes), which must hash to digest:
//  the kept one when one is kept under digest, else parsed now and kept,
//  making room by dropping the least recently used. Returns NULL with err
//  filled, keeping nothing, when the text does not hash to digest (field
//  "template", "does not match its digest ..."), is not a valid template,
//  or memory runs out. Borrowed, as tplcache_lookup's.
const template_t *
tplcache_put (tplcache_t *self, const tpldigest_t *digest, const char *json,
              size_t size, fielderr_t *err);

//  The template parsed from json (size bytes, as template_parse_text
//  reads it), found by the digest of its text: tplcache_put of the text
//  under its own digest. The kept one when a template with the same text
//  is kept,
//  else parsed now and kept, making room by dropping the least recently
//  used. Returns NULL with err filled when the text is not a valid
//  template (or memory runs out); nothing is kept then. Borrowed: valid
//  until the next tplcache_get or tplcache_destroy.
const template_t *
tplcache_get (tplcache_t *self, const char *json, size_t size, fielderr_t *err);

//  Templates kept now.
size_t
tplcache_count (const tplcache_t *self);

//  Lookups answered from the cache, and those that were not (a lookup
//  that missed, or a put or get that parsed).
uint64_t
tplcache_hits (const tplcache_t *self);
uint64_t
tplcache_misses (const tplcache_t *self);

#endif
