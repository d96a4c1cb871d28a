/*  packcache - deflated copies of the streams that repeat from chunk to
    chunk.

    A small array searched in order: an entry is found by its size, then
    its bytes. A miss replaces the entry used least recently.

    SPDX-License-Identifier: MPL-2.0
*/
#include "packcache.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct {
    unsigned char *raw; // NULL when the entry is free
    size_t raw_size;
    unsigned char *packed;
    size_t packed_size;
    uint64_t used; // when it was last answered, in lookups
} s_entry_t;

struct _packcache_t {
    s_entry_t entries[PACKCACHE_ENTRIES];
    z_stream deflater; // for packcache_deflate, once deflater_ready
    bool deflater_ready;
    unsigned char *scratch; // packcache_deflate's output
    size_t scratch_size;
    uint64_t lookups;
    size_t bytes; // raw and deflated, of all entries
    size_t hits;
    size_t misses;
};

packcache_t *
packcache_new (void)
{
    return calloc (1, sizeof (packcache_t));
}

static void
s_entry_free (s_entry_t *entry)
{
    free (entry->raw);
    free (entry->packed);
    memset (entry, 0, sizeof *entry);
}

void
packcache_destroy (packcache_t **self_p)
{
    assert (self_p);
    packcache_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < PACKCACHE_ENTRIES; index++)
        s_entry_free (&self->entries[index]);
    if (self->deflater_ready)
        deflateEnd (&self->deflater);
    free (self->scratch);
    free (self);
    *self_p = NULL;
}

//  Deflate raw into entry, which takes a copy of raw too.
static int
s_entry_fill (s_entry_t *entry, const void *raw, size_t raw_size)
{
    uLong bound = compressBound ((uLong)raw_size);
    entry->raw = malloc (raw_size ? raw_size : 1);
    entry->packed = malloc (bound);
    if (!entry->raw || !entry->packed) {
        s_entry_free (entry);
        return -1;
    }
    uLongf packed_size = bound;
    if (compress2 (entry->packed, &packed_size, raw, (uLong)raw_size,
                   Z_DEFAULT_COMPRESSION) != Z_OK) {
        s_entry_free (entry);
        return -1;
    }
    memcpy (entry->raw, raw, raw_size);
    entry->raw_size = raw_size;
    entry->packed_size = packed_size;
    return 0;
}

//  The least recently used entry holding a stream, other than keep; NULL
//  when there is none.
static s_entry_t *
s_least_used (packcache_t *self, const s_entry_t *keep)
{
    s_entry_t *chosen = NULL;
    for (size_t index = 0; index < PACKCACHE_ENTRIES; index++) {
        s_entry_t *entry = &self->entries[index];
        if (entry != keep && entry->raw &&
            (!chosen || entry->used < chosen->used))
            chosen = entry;
    }
    return chosen;
}

//  An entry holding nothing, else the least recently used one.
static s_entry_t *
s_free_entry (packcache_t *self)
{
    for (size_t index = 0; index < PACKCACHE_ENTRIES; index++)
        if (!self->entries[index].raw)
            return &self->entries[index];
    return s_least_used (self, NULL);
}

//  Empty entry, counting its bytes out of the cache's.
static void
s_drop (packcache_t *self, s_entry_t *entry)
{
    if (entry->raw)
        self->bytes -= entry->raw_size + entry->packed_size;
    s_entry_free (entry);
}

int
packcache_get (packcache_t *self, const void *raw, size_t raw_size,
               const void **packed_p, size_t *packed_size_p)
{
    assert (self);
    assert (raw || raw_size == 0);
    assert (packed_p);
    assert (packed_size_p);
    if (raw_size > PACKCACHE_RAW_MAX)
        return -1;
    self->lookups++;
    for (size_t index = 0; index < PACKCACHE_ENTRIES; index++) {
        s_entry_t *entry = &self->entries[index];
        if (entry->raw && entry->raw_size == raw_size &&
            memcmp (entry->raw, raw, raw_size) == 0) {
            entry->used = self->lookups;
            self->hits++;
            *packed_p = entry->packed;
            *packed_size_p = entry->packed_size;
            return 0;
        }
    }
    s_entry_t *fresh = s_free_entry (self);
    s_drop (self, fresh);
    if (s_entry_fill (fresh, raw, raw_size))
        return -1;
    fresh->used = self->lookups;
    self->misses++;
    self->bytes += fresh->raw_size + fresh->packed_size;
    //  Over the bound: drop the others, least recently used first.
    while (self->bytes > PACKCACHE_BYTES_MAX) {
        s_entry_t *victim = s_least_used (self, fresh);
        if (!victim)
            break;
        s_drop (self, victim);
    }
    *packed_p = fresh->packed;
    *packed_size_p = fresh->packed_size;
    return 0;
}

int
packcache_deflate (packcache_t *self, const void *raw, size_t raw_size,
                   const void **packed_p, size_t *packed_size_p)
{
    assert (self);
    assert (raw || raw_size == 0);
    assert (packed_p);
    assert (packed_size_p);
    if (raw_size > (size_t)UINT32_MAX / 2)
        return -1;
    if (!self->deflater_ready) {
        if (deflateInit (&self->deflater, Z_DEFAULT_COMPRESSION) != Z_OK)
            return -1;
        self->deflater_ready = true;
    } else if (deflateReset (&self->deflater) != Z_OK)
        return -1;
    size_t bound = deflateBound (&self->deflater, (uLong)raw_size);
    if (bound > self->scratch_size) {
        unsigned char *scratch = realloc (self->scratch, bound);
        if (!scratch)
            return -1;
        self->scratch = scratch;
        self->scratch_size = bound;
    }
    self->deflater.next_in = (Bytef *)raw;
    self->deflater.avail_in = (uInt)raw_size;
    self->deflater.next_out = self->scratch;
    self->deflater.avail_out = (uInt)self->scratch_size;
    if (deflate (&self->deflater, Z_FINISH) != Z_STREAM_END)
        return -1;
    *packed_p = self->scratch;
    *packed_size_p = self->scratch_size - self->deflater.avail_out;
    return 0;
}

size_t
packcache_hits (const packcache_t *self)
{
    assert (self);
    return self->hits;
}

size_t
packcache_misses (const packcache_t *self)
{
    assert (self);
    return self->misses;
}
