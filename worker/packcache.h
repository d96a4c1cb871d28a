/*  packcache - deflated copies of the streams that repeat from chunk to
    chunk.

    Every chunk of a job embeds the same image bytes and the same subset
    of each TrueType font (see worker/render), and deflating them again
    for every chunk is a sixth of a chunk's cost. A packcache_t keeps the
    last few streams it deflated with their raw bytes, and answers a
    stream seen before with its kept copy: the raw bytes are compared in
    full, so a hit is never a guess.

    Deflated as libharu deflates (zlib format, zlib's default level), so a
    hit and a miss give the same bytes. Memory is bounded: at most
    PACKCACHE_ENTRIES streams of at most PACKCACHE_RAW_MAX bytes each,
    PACKCACHE_BYTES_MAX in all (raw and deflated), the least recently
    used dropped first.

    The only module of the worker that calls zlib itself.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_PACKCACHE_H
#define PDFPIPE_PACKCACHE_H

#include <stddef.h>

#define PACKCACHE_ENTRIES 8
#define PACKCACHE_RAW_MAX (8 * 1024 * 1024)    // bytes of one stream kept
#define PACKCACHE_BYTES_MAX (24 * 1024 * 1024) // bytes of all, kept

typedef struct _packcache_t packcache_t;

//  An empty cache. NULL when out of memory.
packcache_t *
packcache_new (void);

void
packcache_destroy (packcache_t **self_p);

//  The zlib-format deflate of raw_size bytes at raw: sets *packed_p (kept
//  by the cache, borrowed until the next call) and *packed_size_p and
//  returns 0, or returns -1 when raw is larger than PACKCACHE_RAW_MAX or
//  memory runs out (the caller deflates it some other way).
int
packcache_get (packcache_t *self, const void *raw, size_t raw_size,
               const void **packed_p, size_t *packed_size_p);

//  The zlib-format deflate of raw_size bytes at raw that will not repeat
//  (a page's content): not kept, but deflated into a buffer reused from
//  call to call, by a deflate state reused too. As packcache_get, but
//  with no size limit; *packed_p is borrowed until the next call.
int
packcache_deflate (packcache_t *self, const void *raw, size_t raw_size,
                   const void **packed_p, size_t *packed_size_p);

//  Streams answered from the cache and deflated since packcache_new.
size_t
packcache_hits (const packcache_t *self);
size_t
packcache_misses (const packcache_t *self);

#endif
