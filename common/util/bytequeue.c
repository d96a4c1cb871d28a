/*  bytequeue - bytes fed in pieces and read from the front.

    SPDX-License-Identifier: MPL-2.0
*/
#include "bytequeue.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
bytequeue_append (bytequeue_t *self, const void *data, size_t size)
{
    assert (self);
    assert (data || size == 0);
    assert (self->read <= self->size);
    size_t unread = self->size - self->read;
    if (unread > 0 && self->read > 0)
        memmove (self->data, self->data + self->read, unread);
    self->size = unread;
    self->read = 0;
    if (size > self->space - self->size) {
        size_t space = self->space ? self->space : BYTEQUEUE_INITIAL;
        while (space - self->size < size) {
            if (space > SIZE_MAX / 2)
                return -1;
            space *= 2;
        }
        char *grown = (char *)realloc (self->data, space);
        if (!grown)
            return -1;
        self->data = grown;
        self->space = space;
    }
    if (size > 0)
        memcpy (self->data + self->size, data, size);
    self->size += size;
    return 0;
}

void
bytequeue_free (bytequeue_t *self)
{
    assert (self);
    free (self->data);
    memset (self, 0, sizeof *self);
}
