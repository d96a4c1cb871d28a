/*  bytequeue - bytes fed in pieces and read from the front.

    A reader that is handed a file in pieces of any size (a download as it
    arrives) keeps what it has not read yet here. Appending first drops
    what was read, so a reader drained after every piece holds about one
    piece. A plain struct, embedded in its owner: zero it to start,
    bytequeue_free it at the end.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_BYTEQUEUE_H
#define PDFPIPE_BYTEQUEUE_H

#include <stddef.h>

#define BYTEQUEUE_INITIAL 4096 // bytes allocated by the first append

typedef struct {
    char *data;   // heap, owned; NULL until the first append
    size_t size;  // bytes in data
    size_t read;  // bytes at the front of data already consumed
    size_t space; // bytes allocated
} bytequeue_t;

//  Drop the bytes already read and append size bytes of data (copied).
//  Returns 0, or -1 when memory runs out (the queue is unchanged then,
//  but for the read bytes it dropped).
int
bytequeue_append (bytequeue_t *self, const void *data, size_t size);

//  Release the memory; the queue is empty and usable again.
void
bytequeue_free (bytequeue_t *self);

#endif
