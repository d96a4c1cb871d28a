/*  bytebuf - a growable byte buffer: text built by appending, or bytes fed
    in pieces and read from the front.

    The one growable buffer of the project; a module that needs bytes of a
    size it does not know in advance keeps them here instead of growing its
    own. A plain struct, embedded in its owner: zero it to start,
    bytebuf_free it at the end. Once anything has been appended, data is
    followed by a NUL (not counted in size), so text built here is a C
    string as it stands.

    Two ways to use it:
    - as a builder: append pieces, then take the text with bytebuf_detach
      or read data and size in place; bytebuf_reset empties it for reuse.
    - as a queue: a reader handed a file in pieces of any size appends each
      piece and consumes from the front by advancing read. Appending first
      drops what was read, so a reader drained after every piece holds
      about one piece.

    Running out of memory is sticky: the append that fails sets failed,
    and every later append fails at once without appending, so a builder
    may append many pieces and check once at the end.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_BYTEBUF_H
#define PDFPIPE_BYTEBUF_H

#include <stdbool.h>
#include <stddef.h>

#define BYTEBUF_INITIAL 256 // bytes allocated by the first append

typedef struct {
    char *data;   // heap, owned; NULL until the first append
    size_t size;  // bytes in data, without the NUL that follows them
    size_t read;  // bytes at the front of data already consumed
    size_t space; // bytes allocated
    bool failed;  // an append ran out of memory
} bytebuf_t;

//  Drop the bytes already read and append size bytes of data (copied).
//  Returns 0, or -1 when memory runs out now or did before (failed is
//  set; the buffer keeps what it had, but for the read bytes it dropped).
int
bytebuf_append (bytebuf_t *self, const void *data, size_t size);

//  Append a NUL-terminated text, without its NUL. As bytebuf_append.
int
bytebuf_append_str (bytebuf_t *self, const char *text);

//  Take the text built (size bytes and a NUL; "" when nothing was
//  appended) and leave the buffer empty, as if zeroed. Returns NULL when
//  an append failed or memory runs out; the buffer is empty then too. For
//  a builder only: nothing may have been read. Caller frees.
char *
bytebuf_detach (bytebuf_t *self);

//  Empty the buffer but keep its memory for what comes next; clears
//  failed.
void
bytebuf_reset (bytebuf_t *self);

//  Release the memory; the buffer is empty and usable again.
void
bytebuf_free (bytebuf_t *self);

#endif
