/*  bytebuf - a growable byte buffer: text built by appending, or bytes fed
    in pieces and read from the front.

    SPDX-License-Identifier: MPL-2.0
*/
#include "bytebuf.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
bytebuf_append (bytebuf_t *self, const void *data, size_t size)
{
    assert (self);
    assert (data || size == 0);
    assert (self->read <= self->size);
    if (self->failed)
        return -1;
    size_t unread = self->size - self->read;
    if (unread > 0 && self->read > 0)
        memmove (self->data, self->data + self->read, unread);
    self->size = unread;
    self->read = 0;
    //  One byte more than the data, for the NUL that follows it.
    if (!self->data || size >= self->space - self->size) {
        size_t space = self->space ? self->space : BYTEBUF_INITIAL;
        while (space - self->size <= size) {
            if (space > SIZE_MAX / 2) {
                self->failed = true;
                return -1;
            }
            space *= 2;
        }
        char *grown = (char *)realloc (self->data, space);
        if (!grown) {
            self->failed = true;
            return -1;
        }
        self->data = grown;
        self->space = space;
    }
    if (size > 0)
        memcpy (self->data + self->size, data, size);
    self->size += size;
    self->data[self->size] = '\0';
    return 0;
}

int
bytebuf_append_str (bytebuf_t *self, const char *text)
{
    assert (text);
    return bytebuf_append (self, text, strlen (text));
}

char *
bytebuf_detach (bytebuf_t *self)
{
    assert (self);
    assert (self->read == 0);
    if (!self->failed && !self->data)
        bytebuf_append (self, "", 0);
    char *text = self->failed ? NULL : self->data;
    if (!text)
        free (self->data);
    memset (self, 0, sizeof *self);
    return text;
}

void
bytebuf_reset (bytebuf_t *self)
{
    assert (self);
    self->size = 0;
    self->read = 0;
    self->failed = false;
    if (self->data)
        self->data[0] = '\0';
}

void
bytebuf_free (bytebuf_t *self)
{
    assert (self);
    free (self->data);
    memset (self, 0, sizeof *self);
}
