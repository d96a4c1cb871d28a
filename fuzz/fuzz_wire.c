/*  fuzz_wire - libFuzzer target for the wire decoder (common/proto/wire), which
    reads every frame a peer sends.

    The input is a multipart message: frames one after another, each
    preceded by its size as 2 bytes, big-endian (a size beyond the input
    takes what is left). Any message must be decoded or refused without a
    crash, a hang or a leak; a refusal names a reason. A decoded message
    must encode again, and that encoding must decode to the same command
    with the same frames (the decoder accepts nothing the encoder cannot
    write).

    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wire.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static zmsg_t *
s_frames (const uint8_t *data, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    while (size >= 2) {
        size_t frame_size = ((size_t)data[0] << 8) | data[1];
        data += 2;
        size -= 2;
        if (frame_size > size)
            frame_size = size;
        zmsg_addmem (msg, data, frame_size);
        data += frame_size;
        size -= frame_size;
    }
    return msg;
}

static bool
s_same_frames (zmsg_t *one, zmsg_t *other)
{
    if (zmsg_size (one) != zmsg_size (other))
        return false;
    zframe_t *a = zmsg_first (one);
    zframe_t *b = zmsg_first (other);
    while (a && b) {
        if (!zframe_eq (a, b))
            return false;
        a = zmsg_next (one);
        b = zmsg_next (other);
    }
    return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zmsg_t *msg = s_frames (data, size);
    char reason[WIRE_REASON_MAX];
    wire_t *decoded = wire_decode (&msg, reason);
    if (msg)
        abort (); // the decoder takes the message in every case
    if (!decoded) {
        if (!reason[0]) {
            fprintf (stderr, "refused without a reason\n");
            abort ();
        }
        return 0;
    }
    //  Re-encoding moves a RESULT's PDF out of the message; keep a copy of
    //  the encoding to compare with.
    zmsg_t *encoded = wire_encode (decoded);
    if (!encoded) {
        fprintf (stderr, "%s decoded but does not encode\n",
                 wire_command (decoded));
        abort ();
    }
    zmsg_t *copy = zmsg_dup (encoded);
    wire_t *again = wire_decode (&encoded, reason);
    if (!again || wire_id (again) != wire_id (decoded)) {
        fprintf (stderr, "%s does not survive a round trip: %s\n",
                 wire_command (decoded), again ? "other command" : reason);
        abort ();
    }
    zmsg_t *second = wire_encode (again);
    if (!second || !s_same_frames (copy, second))
        abort ();
    zmsg_destroy (&second);
    zmsg_destroy (&copy);
    wire_destroy (&again);
    wire_destroy (&decoded);
    return 0;
}
