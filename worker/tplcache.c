/*  tplcache - the worker's parsed templates, found again by their text.

    A handful of entries in an array, searched linearly: the bound is a
    few templates, and a search costs nothing beside hashing the text.
    Recency is a counter stamped on an entry at each use. SHA-256 comes
    from OpenSSL's libcrypto; two different texts with one digest are not
    a case to handle.

    SPDX-License-Identifier: MPL-2.0
*/
#include "tplcache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"

#define S_DIGEST_SIZE 32 // SHA-256

typedef struct {
    unsigned char digest[S_DIGEST_SIZE];
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

const template_t *
tplcache_get (tplcache_t *self, const char *json, size_t size, fielderr_t *err)
{
    assert (self);
    assert (json);
    self->clock++;
    unsigned char digest[S_DIGEST_SIZE];
    if (EVP_Digest (json, size, digest, NULL, EVP_sha256 (), NULL) != 1) {
        fielderr_set (err, "template", "out of memory hashing its text");
        return NULL;
    }
    for (size_t index = 0; index < self->capacity; index++) {
        s_entry_t *entry = &self->entries[index];
        if (entry->tpl && memcmp (entry->digest, digest, S_DIGEST_SIZE) == 0) {
            entry->used = self->clock;
            self->hits++;
            return entry->tpl;
        }
    }
    self->misses++;
    template_t *tpl = template_parse_text (json, size, err);
    if (!tpl)
        return NULL;
    log_debug ("parsed a new template (%zu bytes)", size);
    s_make_room (self, size);
    s_entry_t *entry = self->entries;
    while (entry->tpl)
        entry++;
    memcpy (entry->digest, digest, S_DIGEST_SIZE);
    entry->tpl = tpl;
    entry->size = size;
    entry->used = self->clock;
    self->bytes += size;
    self->count++;
    return tpl;
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
