/*  tplcache - the worker's parsed templates, found again by their digest.

    A handful of entries in an array, searched linearly: the bound is a
    few templates. Recency is a counter stamped on an entry at each use.
    The digest is common/proto/tpldigest's SHA-256; two different texts
    with one digest are not a case to handle.

    SPDX-License-Identifier: MPL-2.0
*/
#include "tplcache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"

typedef struct {
    tpldigest_t digest;
    template_t *tpl; // NULL: the entry is free
    size_t size;     // bytes of the text it was parsed from
    uint64_t used;   // the cache's clock at its last use
} s_entry_t;

struct _tplcache_t {
    s_entry_t *entries;
    size_t capacity;  // entries
    size_t bytes_max; // of text, across entries
    size_t bytes;     // of text, across entries now
    size_t count;     // entries in use
    uint64_t clock;   // one tick per tplcache_get
    uint64_t hits;
    uint64_t misses;
};

tplcache_t *
tplcache_new (size_t templates, size_t bytes_max)
{
    tplcache_t *self = calloc (1, sizeof (tplcache_t));
    if (!self)
        return NULL;
    self->capacity = templates ? templates : 1;
    self->bytes_max = bytes_max;
    self->entries = calloc (self->capacity, sizeof (s_entry_t));
    if (!self->entries) {
        free (self);
        return NULL;
    }
    return self;
}

static void
s_entry_drop (tplcache_t *self, s_entry_t *entry)
{
    assert (entry->tpl);
    template_destroy (&entry->tpl);
    self->bytes -= entry->size;
    self->count--;
}

void
tplcache_destroy (tplcache_t **self_p)
{
    assert (self_p);
    tplcache_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->capacity; index++)
        if (self->entries[index].tpl)
            s_entry_drop (self, &self->entries[index]);
    free (self->entries);
    free (self);
    *self_p = NULL;
    //  What libcrypto keeps for this thread goes now: the slot thread ends
    //  right after this, and czmq's actor threads are detached, so the
    //  process may exit before the thread's own destructors run (a leak
    //  report under LeakSanitizer).
    OPENSSL_thread_stop ();
}

//  The least recently used entry in use, or NULL when none is.
static s_entry_t *
s_oldest (tplcache_t *self)
{
    s_entry_t *oldest = NULL;
    for (size_t index = 0; index < self->capacity; index++) {
        s_entry_t *entry = &self->entries[index];
        if (entry->tpl && (!oldest || entry->used < oldest->used))
            oldest = entry;
    }
    return oldest;
}

//  Drop the least recently used entries until one more, of size bytes of
//  text, fits the bounds; a text larger than all of them empties the
//  cache, and is kept alone.
static void
s_make_room (tplcache_t *self, size_t size)
{
    while (self->count == self->capacity ||
           (self->count && self->bytes + size > self->bytes_max))
        s_entry_drop (self, s_oldest (self));
}

//  The entry kept under digest, or NULL.
static s_entry_t *
s_find (tplcache_t *self, const tpldigest_t *digest)
{
    for (size_t index = 0; index < self->capacity; index++) {
        s_entry_t *entry = &self->entries[index];
        if (entry->tpl && tpldigest_equal (&entry->digest, digest))
            return entry;
    }
    return NULL;
}

const template_t *
tplcache_lookup (tplcache_t *self, const tpldigest_t *digest)
{
    assert (self);
    assert (digest);
    self->clock++;
    s_entry_t *entry = s_find (self, digest);
    if (!entry) {
        self->misses++;
        return NULL;
    }
    entry->used = self->clock;
    self->hits++;
    return entry->tpl;
}

const template_t *
tplcache_put (tplcache_t *self, const tpldigest_t *digest, const char *json,
              size_t size, fielderr_t *err)
{
    assert (self);
    assert (digest);
    assert (json);
    if (!tpldigest_matches (json, size, digest)) {
        char hex[TPLDIGEST_HEX_SIZE];
        fielderr_set (err, "template",
                      "does not match its digest %s (%zu bytes received)",
                      tpldigest_hex (digest, hex), size);
        return NULL;
    }
    const template_t *kept = tplcache_lookup (self, digest);
    if (kept)
        return kept;
    template_t *tpl = template_parse_text (json, size, err);
    if (!tpl)
        return NULL;
    char hex[TPLDIGEST_HEX_SIZE];
    log_debug ("parsed template %.12s (%zu bytes)", tpldigest_hex (digest, hex),
               size);
    s_make_room (self, size);
    s_entry_t *entry = self->entries;
    while (entry->tpl)
        entry++;
    entry->digest = *digest;
    entry->tpl = tpl;
    entry->size = size;
    entry->used = self->clock;
    self->bytes += size;
    self->count++;
    return tpl;
}

const template_t *
tplcache_get (tplcache_t *self, const char *json, size_t size, fielderr_t *err)
{
    assert (self);
    assert (json);
    tpldigest_t digest;
    if (tpldigest_compute (json, size, &digest)) {
        fielderr_set (err, "template", "out of memory hashing its text");
        return NULL;
    }
    return tplcache_put (self, &digest, json, size, err);
}

size_t
tplcache_count (const tplcache_t *self)
{
    assert (self);
    return self->count;
}

uint64_t
tplcache_hits (const tplcache_t *self)
{
    assert (self);
    return self->hits;
}

uint64_t
tplcache_misses (const tplcache_t *self)
{
    assert (self);
    return self->misses;
}
