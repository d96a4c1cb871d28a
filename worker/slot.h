/*  slot - the worker's one rendering slot: a thread that renders a chunk
    and sends its PDF to the sink while the main loop stays free.

    Rendering a large chunk takes seconds; were it done on the main loop,
    the worker would fall silent and the ventilator would count it dead.
    So the main loop hands each CHUNK to this thread and keeps sending
    HEARTBEATs until the slot reports the chunk's end.

    Owns a zactor thread with the renderer (worker/render), the parsed
    templates of the last few jobs (worker/tplcache, by digest: a CHUNK
    without its template uses the kept one, and one that brings its
    template has it checked against its digest and kept) and the PUSH
    socket to the sink, which the
    caller creates and connects and then hands over: RESULTs go out from
    this thread, so a slow sink holds up the slot, never the heartbeats.
    It checks what render cannot: that a chunk's numbers agree with each
    other and that its records are an array of page_count objects.

    One chunk renders at a time, and one more may wait (SLOT_DEPTH): the
    worker takes its next chunk while the current one renders, so the
    thread starts it as soon as slot_recv has taken the report of the one
    before, without waiting for a READY and a CHUNK to cross the network.
    slot_submit refuses a third. The waiting chunk stays on the main
    thread's side until then, so a worker leaving can take it back
    unstarted (slot_take_waiting).

    Pipe protocol (private to this module): main -> thread: a wire_t
    pointer ("p", ownership moves) or $TERM; thread -> main: the same
    pointer back, the outcome (slot_outcome_t) and an error text, empty
    unless the chunk failed ("pis").

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_SLOT_H
#define PDFPIPE_SLOT_H

#include <czmq.h>
#include <stdbool.h>

#include "wire.h"

//  Longest error text slot_recv writes, with its NUL.
#define SLOT_ERROR_MAX 1024
//  Chunks a slot holds at most: the one rendering and the next.
#define SLOT_DEPTH 2

typedef struct _slot_t slot_t;

//  How a chunk ended.
typedef enum {
    SLOT_RENDERED = 0,      // its RESULT went to the sink
    SLOT_FAILED = -1,       // it cannot be rendered; the reason is given
    SLOT_TEMPLATE_MISS = 1, // it came without its template, and the slot
                            // keeps none with its digest: ask for it
} slot_outcome_t;

//  Start the slot's thread. Takes *sink_p, a connected PUSH socket to the
//  sink that the caller must not touch again (the pointer becomes NULL).
//  Returns NULL when the thread cannot start. Caller owns the result.
slot_t *
slot_new (zsock_t **sink_p);

//  Stop the thread after the chunk in progress, if any, has been rendered
//  and its result handed to the sink socket (whose linger then applies).
void
slot_destroy (slot_t **self_p);

//  The socket to poll; call slot_recv when it is readable. Borrowed.
zsock_t *
slot_sock (slot_t *self);

//  True while a chunk is with the thread: from its slot_submit (or, for
//  a chunk that waited, the slot_recv before it) until slot_recv has
//  taken its report.
bool
slot_busy (slot_t *self);

//  Chunks held: the one with the thread and the one waiting, 0 to
//  SLOT_DEPTH.
size_t
slot_held (slot_t *self);

//  Hand a CHUNK message to the slot (takes it: *chunk_p becomes NULL): to
//  the thread when it is free, otherwise to wait for it. Returns -1,
//  leaving *chunk_p alone, when the slot holds SLOT_DEPTH chunks already.
int
slot_submit (slot_t *self, wire_t **chunk_p);

//  The chunk waiting, taken back unstarted (caller destroys), or NULL.
wire_t *
slot_take_waiting (slot_t *self);

//  Take the report of the chunk that ended: *chunk_p receives the CHUNK
//  back (caller destroys). Returns SLOT_RENDERED when its RESULT went to
//  the sink, SLOT_TEMPLATE_MISS when it came without a template the slot
//  keeps, SLOT_FAILED when it could not be rendered, with the reason in
//  error (SLOT_ERROR_MAX bytes, "field: message"; "" otherwise). Returns
//  SLOT_FAILED with *chunk_p NULL when no report could be read
//  (interrupted). A chunk waiting goes to the thread before it returns.
slot_outcome_t
slot_recv (slot_t *self, wire_t **chunk_p, char *error);

#endif
