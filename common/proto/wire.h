/*  wire - every message pdfpipe processes send each other (docs/protocol.md).

    Owns the encoding of one message: a signature frame "PDFPIPE/2", a
    command frame, then the command's fields, one frame each. Integers are
    big-endian, exactly 4 (u32) or 8 (u64) bytes; strings are UTF-8 without
    a terminating NUL. Decoding checks the signature, the command, the frame
    count and every frame's size and content; anything else is rejected with
    a reason, never trusted and never asserted on.

    On a ROUTER socket the first frame is the peer's routing id: wire_recv
    keeps it (wire_routing_id) and wire_send puts it back in front. It also
    keeps the key ZeroMQ authenticated the sender with (wire_user_id), for
    the receiver to check who may send what. New
    commands are added at the end of wire_id_t, so the numbers of the
    existing ones never change.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_WIRE_H
#define PDFPIPE_WIRE_H

#include <czmq.h>
#include <stdint.h>

#include "proto.h"
#include "tpldigest.h"

#define WIRE_SIGNATURE PROTO_SIGNATURE
#define WIRE_REASON_MAX 256 // size of a decode-error reason buffer

typedef enum {
    WIRE_READY = 1,    // worker -> ventilator: credits (room for chunks)
    WIRE_HEARTBEAT,    // worker -> ventilator: liveness + current free credits
    WIRE_CHUNK,        // ventilator -> worker: render these pages
    WIRE_RESULT,       // worker -> sink: the rendered chunk PDF
    WIRE_CHUNK_FAILED, // worker -> ventilator: rendering failed, with error
    WIRE_CANCEL,       // ventilator -> sink: forget this job
    WIRE_STORED,       // sink -> ventilator: chunk is durably spooled
    WIRE_JOB_STATE,    // sink -> ventilator: job entered state
    WIRE_JOB_DONE,     // sink -> ventilator: result stored at location, bytes
    WIRE_JOB_FAILED,   // sink -> ventilator: job failed, with reason
    WIRE_QUERY,        // ventilator -> sink: what became of this job?
    WIRE_OUTPUT,       // ventilator -> sink: where the job's result goes
    WIRE_LEAVING,      // worker -> ventilator: exiting; chunks it finished
    WIRE_TEMPLATE_MISS, // worker -> ventilator: send that chunk's template
} wire_id_t;

typedef struct _wire_t wire_t;

//  A new, empty message of the given kind. Caller owns it.
wire_t *
wire_new (wire_id_t id);

void
wire_destroy (wire_t **self_p);

//  Decode a message (without routing id). Takes the zmsg and destroys it.
//  Returns NULL and writes a reason into reason (WIRE_REASON_MAX bytes)
//  when the message is malformed. Caller owns the result.
wire_t *
wire_decode (zmsg_t **msg_p, char *reason);

//  Encode a message (without routing id). Returns NULL when a required
//  field is missing or invalid (our bug, logged). A RESULT's pdf frame
//  moves into the new message (wire_pdf is NULL afterwards), so a large PDF
//  is never copied. Caller owns the result.
zmsg_t *
wire_encode (wire_t *self);

//  Receive and decode the next message from input. For a ROUTER socket the
//  routing id is kept in the message. Returns NULL when interrupted or when
//  the message was malformed; in the latter case the reason is logged as a
//  warning with the peer's routing id (if any) and network address (if the
//  transport has one), and the message is dropped.
wire_t *
wire_recv (zsock_t *input);

//  Encode and send. Returns 0 or -1 (encoding failed or send failed).
//  The message is not destroyed, but a RESULT's pdf frame has moved into
//  the sent message (see wire_encode).
int
wire_send (wire_t *self, zsock_t *output);

//  The command name ("CHUNK", ...) for logs.
const char *
wire_command (const wire_t *self);

wire_id_t
wire_id (const wire_t *self);

//  Routing id of the peer (ROUTER sockets), or NULL. Borrowed.
zframe_t *
wire_routing_id (const wire_t *self);
//  Set the routing id (copied) for sending on a ROUTER socket.
void
wire_set_routing_id (wire_t *self, zframe_t *routing_id);
//  The routing id for logs: as it is when it is printable ASCII (workers
//  use their name), else as hex; "-" when none. Borrowed; valid until the
//  next call on this message.
const char *
wire_peer (wire_t *self);

//  The sender's CURVE public key (Z85, 40 characters), as ZeroMQ vouches
//  for it (the message's "User-Id"): set by wire_recv on a socket that
//  authenticates its peers (common/proto/curve), else "". Borrowed.
const char *
wire_user_id (const wire_t *self);

//  Fields. Which ones a command carries is in docs/protocol.md; unused ones
//  are 0 or NULL. String getters return borrowed pointers; setters copy.
const char *
wire_job_id (const wire_t *self);
void
wire_set_job_id (wire_t *self, const char *job_id);

uint32_t
wire_chunk_nbr (const wire_t *self);
void
wire_set_chunk_nbr (wire_t *self, uint32_t chunk_nbr);
uint32_t
wire_attempt (const wire_t *self);
void
wire_set_attempt (wire_t *self, uint32_t attempt);
uint32_t
wire_first_page (const wire_t *self);
void
wire_set_first_page (wire_t *self, uint32_t first_page);
uint32_t
wire_page_count (const wire_t *self);
void
wire_set_page_count (wire_t *self, uint32_t page_count);
uint32_t
wire_total_pages (const wire_t *self);
void
wire_set_total_pages (wire_t *self, uint32_t total_pages);
uint32_t
wire_chunk_count (const wire_t *self);
void
wire_set_chunk_count (wire_t *self, uint32_t chunk_count);
uint32_t
wire_credits (const wire_t *self);
void
wire_set_credits (wire_t *self, uint32_t credits);
uint64_t
wire_bytes (const wire_t *self);
void
wire_set_bytes (wire_t *self, uint64_t bytes);

//  The text field, named for what it holds; each pair is for its command
//  only (asserted), and all travel in the same place, a text frame of at
//  most PROTO_TEXT_MAX bytes.
//  CHUNK_FAILED: why the worker could not render the chunk.
const char *
wire_error (const wire_t *self);
void
wire_set_error (wire_t *self, const char *error);
//  JOB_STATE: the state the job entered, by its name (jobstate_name).
const char *
wire_state (const wire_t *self);
void
wire_set_state (wire_t *self, const char *state);
//  JOB_DONE: where the result is stored (a store location URL).
const char *
wire_location (const wire_t *self);
void
wire_set_location (wire_t *self, const char *location);
//  JOB_FAILED: why the job failed.
const char *
wire_reason (const wire_t *self);
void
wire_set_reason (wire_t *self, const char *reason);
//  OUTPUT: the store key the job's result goes under.
const char *
wire_key (const wire_t *self);
void
wire_set_key (wire_t *self, const char *key);

//  OUTPUT: the result's download file name; "" for none.
const char *
wire_filename (const wire_t *self);
void
wire_set_filename (wire_t *self, const char *filename);

//  CHUNK and TEMPLATE_MISS: the digest of the job's template and assets
//  (common/proto/tpldigest), exactly 32 bytes on the wire.
const tpldigest_t *
wire_digest (const wire_t *self);
void
wire_set_digest (wire_t *self, const tpldigest_t *digest);

//  CHUNK: the template and the records slice, as JSON text. The template
//  is "" when the ventilator believes the worker keeps it already.
const char *
wire_template_json (const wire_t *self);
void
wire_set_template_json (wire_t *self, const char *json);
const char *
wire_records_json (const wire_t *self);
void
wire_set_records_json (wire_t *self, const char *json);

//  RESULT: the chunk PDF. The getter lends the frame; the setter takes it
//  (the caller's pointer becomes NULL), so a large PDF is never copied.
zframe_t *
wire_pdf (const wire_t *self);
void
wire_set_pdf (wire_t *self, zframe_t **pdf_p);

#endif
