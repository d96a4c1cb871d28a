/*  test_wire - encoding and decoding of every wire message, and rejection
    of malformed, truncated and foreign frames.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire.h"

static wire_t *
s_roundtrip (wire_t **msg_p)
{
    zmsg_t *msg = wire_encode (*msg_p);
    assert_non_null (msg);
    wire_destroy (msg_p);
    char reason[WIRE_REASON_MAX];
    wire_t *decoded = wire_decode (&msg, reason);
    assert_null (msg);
    if (!decoded)
        fail_msg ("decode failed: %s", reason);
    return decoded;
}

//  A digest with a different value in every byte, so a byte moved or
//  dropped shows.
static const tpldigest_t s_digest = {
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
     0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
     0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0xff}};

static wire_t *
s_chunk (void)
{
    wire_t *chunk = wire_new (WIRE_CHUNK);
    wire_set_job_id (chunk, "0123456789abcdef0123456789abcdef");
    wire_set_chunk_nbr (chunk, 7);
    wire_set_attempt (chunk, 2);
    wire_set_first_page (chunk, 701);
    wire_set_page_count (chunk, 100);
    wire_set_total_pages (chunk, 2000);
    wire_set_chunk_count (chunk, 20);
    wire_set_digest (chunk, &s_digest);
    wire_set_template_json (chunk, "{\"page\":{}}");
    wire_set_records_json (chunk, "[{\"a\":1}]");
    return chunk;
}

static void
test_chunk_roundtrip_keeps_every_field (void **state)
{
    (void)state;
    wire_t *chunk = s_chunk ();
    wire_t *decoded = s_roundtrip (&chunk);
    assert_int_equal (wire_id (decoded), WIRE_CHUNK);
    assert_string_equal (wire_command (decoded), "CHUNK");
    assert_string_equal (wire_job_id (decoded),
                         "0123456789abcdef0123456789abcdef");
    assert_int_equal (wire_chunk_nbr (decoded), 7);
    assert_int_equal (wire_attempt (decoded), 2);
    assert_int_equal (wire_first_page (decoded), 701);
    assert_int_equal (wire_page_count (decoded), 100);
    assert_int_equal (wire_total_pages (decoded), 2000);
    assert_int_equal (wire_chunk_count (decoded), 20);
    assert_memory_equal (wire_digest (decoded)->bytes, s_digest.bytes,
                         TPLDIGEST_SIZE);
    assert_string_equal (wire_template_json (decoded), "{\"page\":{}}");
    assert_string_equal (wire_records_json (decoded), "[{\"a\":1}]");
    wire_destroy (&decoded);
}

static void
test_chunk_without_template_is_an_empty_frame (void **state)
{
    (void)state;
    wire_t *chunk = s_chunk ();
    wire_set_template_json (chunk, "");
    zmsg_t *msg = wire_encode (chunk);
    wire_destroy (&chunk);
    assert_non_null (msg);
    //  Signature, command, seven numbers, then the digest and the template.
    zframe_t *frame = zmsg_first (msg);
    for (int index = 0; index < 9; index++)
        frame = zmsg_next (msg);
    assert_int_equal (zframe_size (frame), TPLDIGEST_SIZE);
    assert_memory_equal (zframe_data (frame), s_digest.bytes, TPLDIGEST_SIZE);
    frame = zmsg_next (msg);
    assert_int_equal (zframe_size (frame), 0);
    char reason[WIRE_REASON_MAX];
    wire_t *decoded = wire_decode (&msg, reason);
    assert_non_null (decoded);
    assert_string_equal (wire_template_json (decoded), "");
    assert_string_equal (wire_records_json (decoded), "[{\"a\":1}]");
    wire_destroy (&decoded);
}

static void
test_template_miss_roundtrip_keeps_every_field (void **state)
{
    (void)state;
    wire_t *miss = wire_new (WIRE_TEMPLATE_MISS);
    wire_set_job_id (miss, "job-9");
    wire_set_chunk_nbr (miss, 4);
    wire_set_attempt (miss, 3);
    wire_set_digest (miss, &s_digest);
    wire_t *decoded = s_roundtrip (&miss);
    assert_int_equal (wire_id (decoded), WIRE_TEMPLATE_MISS);
    assert_string_equal (wire_command (decoded), "TEMPLATE_MISS");
    assert_string_equal (wire_job_id (decoded), "job-9");
    assert_int_equal (wire_chunk_nbr (decoded), 4);
    assert_int_equal (wire_attempt (decoded), 3);
    assert_memory_equal (wire_digest (decoded)->bytes, s_digest.bytes,
                         TPLDIGEST_SIZE);
    wire_destroy (&decoded);
}

static void
test_signature_carries_the_protocol_version (void **state)
{
    (void)state;
    char expected[32];
    snprintf (expected, sizeof expected, "PDFPIPE/%d", PROTO_VERSION);
    assert_string_equal (WIRE_SIGNATURE, expected);
    assert_string_equal (WIRE_SIGNATURE, "PDFPIPE/2");
}

static void
test_result_roundtrip_moves_pdf (void **state)
{
    (void)state;
    wire_t *result = wire_new (WIRE_RESULT);
    wire_set_job_id (result, "job-1");
    wire_set_chunk_nbr (result, 0);
    wire_set_first_page (result, 1);
    wire_set_page_count (result, 1);
    wire_set_total_pages (result, 1);
    wire_set_chunk_count (result, 1);
    zframe_t *pdf = zframe_new ("%PDF-1.4 x", 10);
    wire_set_pdf (result, &pdf);
    assert_null (pdf);
    wire_t *decoded = s_roundtrip (&result);
    assert_non_null (wire_pdf (decoded));
    assert_int_equal (zframe_size (wire_pdf (decoded)), 10);
    assert_memory_equal (zframe_data (wire_pdf (decoded)), "%PDF-1.4 x", 10);
    wire_destroy (&decoded);
}

static void
test_job_done_roundtrip_keeps_64_bit_bytes (void **state)
{
    (void)state;
    wire_t *done = wire_new (WIRE_JOB_DONE);
    wire_set_job_id (done, "j");
    wire_set_bytes (done, 0x123456789abcULL);
    wire_set_location (done, "file:///tmp/out/j.pdf");
    wire_t *decoded = s_roundtrip (&done);
    assert_true (wire_bytes (decoded) == 0x123456789abcULL);
    assert_string_equal (wire_location (decoded), "file:///tmp/out/j.pdf");
    wire_destroy (&decoded);
}

static void
test_small_messages_roundtrip (void **state)
{
    (void)state;
    wire_id_t ids[] = {WIRE_READY,      WIRE_HEARTBEAT, WIRE_CHUNK_FAILED,
                       WIRE_CANCEL,     WIRE_STORED,    WIRE_JOB_STATE,
                       WIRE_JOB_FAILED, WIRE_QUERY};
    for (size_t index = 0; index < sizeof ids / sizeof ids[0]; index++) {
        wire_t *msg = wire_new (ids[index]);
        wire_set_job_id (msg, "abc");
        wire_set_credits (msg, 3);
        wire_t *decoded = s_roundtrip (&msg);
        assert_int_equal (wire_id (decoded), ids[index]);
        wire_destroy (&decoded);
    }
}

static void
test_text_fields_roundtrip_under_their_names (void **state)
{
    (void)state;
    wire_t *msg = wire_new (WIRE_CHUNK_FAILED);
    wire_set_job_id (msg, "abc");
    wire_set_error (msg, "font 'x' not found");
    wire_t *decoded = s_roundtrip (&msg);
    assert_string_equal (wire_error (decoded), "font 'x' not found");
    wire_destroy (&decoded);

    msg = wire_new (WIRE_JOB_STATE);
    wire_set_job_id (msg, "abc");
    wire_set_state (msg, "merging");
    decoded = s_roundtrip (&msg);
    assert_string_equal (wire_state (decoded), "merging");
    wire_destroy (&decoded);

    msg = wire_new (WIRE_JOB_FAILED);
    wire_set_job_id (msg, "abc");
    wire_set_reason (msg, "merge failed");
    decoded = s_roundtrip (&msg);
    assert_string_equal (wire_reason (decoded), "merge failed");
    wire_destroy (&decoded);
}

//  The named accessors share one text frame: the wire format is the same
//  whatever the name.
static void
test_text_field_is_one_frame_after_job_id (void **state)
{
    (void)state;
    wire_t *msg = wire_new (WIRE_JOB_FAILED);
    wire_set_job_id (msg, "abc");
    wire_set_reason (msg, "why");
    zmsg_t *encoded = wire_encode (msg);
    wire_destroy (&msg);
    assert_int_equal (zmsg_size (encoded), 4);
    zframe_t *frame = zmsg_last (encoded);
    assert_int_equal (zframe_size (frame), 3);
    assert_memory_equal (zframe_data (frame), "why", 3);
    zmsg_destroy (&encoded);
}

static void
test_query_roundtrip_keeps_job_id (void **state)
{
    (void)state;
    wire_t *query = wire_new (WIRE_QUERY);
    wire_set_job_id (query, "0123456789abcdef0123456789abcdef");
    wire_t *decoded = s_roundtrip (&query);
    assert_int_equal (wire_id (decoded), WIRE_QUERY);
    assert_string_equal (wire_command (decoded), "QUERY");
    assert_string_equal (wire_job_id (decoded),
                         "0123456789abcdef0123456789abcdef");
    wire_destroy (&decoded);

    //  QUERY carries the job id and nothing else.
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, WIRE_SIGNATURE);
    zmsg_addstr (msg, "QUERY");
    zmsg_addstr (msg, "abc");
    zmsg_addstr (msg, "extra");
    char reason[WIRE_REASON_MAX];
    assert_null (wire_decode (&msg, reason));
    assert_non_null (strstr (reason, "QUERY must have 1 fields, got 2"));
}

static void
test_output_roundtrip_keeps_key_and_filename (void **state)
{
    (void)state;
    wire_t *output = wire_new (WIRE_OUTPUT);
    wire_set_job_id (output, "0123456789abcdef0123456789abcdef");
    wire_set_key (output, "invoices/0123-2025-11-25.pdf");
    wire_set_filename (output, "청구서.pdf");
    wire_t *decoded = s_roundtrip (&output);
    assert_int_equal (wire_id (decoded), WIRE_OUTPUT);
    assert_string_equal (wire_command (decoded), "OUTPUT");
    assert_string_equal (wire_key (decoded), "invoices/0123-2025-11-25.pdf");
    assert_string_equal (wire_filename (decoded), "청구서.pdf");
    wire_destroy (&decoded);

    //  No file name travels as an empty frame.
    output = wire_new (WIRE_OUTPUT);
    wire_set_job_id (output, "abc");
    wire_set_key (output, "abc.pdf");
    decoded = s_roundtrip (&output);
    assert_string_equal (wire_filename (decoded), "");
    wire_destroy (&decoded);

    //  A file name is a text field: at most 4096 bytes, no NUL.
    char *long_name = zmalloc (PROTO_TEXT_MAX + 2);
    memset (long_name, 'n', PROTO_TEXT_MAX + 1);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, WIRE_SIGNATURE);
    zmsg_addstr (msg, "OUTPUT");
    zmsg_addstr (msg, "abc");
    zmsg_addstr (msg, "abc.pdf");
    zmsg_addstr (msg, long_name);
    char reason[WIRE_REASON_MAX];
    assert_null (wire_decode (&msg, reason));
    assert_non_null (strstr (reason, "OUTPUT: filename must be text"));
    free (long_name);
}

static void
test_peer_is_text_when_printable_else_hex (void **state)
{
    (void)state;
    wire_t *msg = wire_new (WIRE_READY);
    assert_string_equal (wire_peer (msg), "-");
    zframe_t *named = zframe_new ("w1-0a1b2c3d", 11);
    wire_set_routing_id (msg, named);
    assert_string_equal (wire_peer (msg), "w1-0a1b2c3d");
    zframe_destroy (&named);
    //  ZeroMQ's own ids start with a zero byte.
    byte raw[] = {0x00, 0x6b, 0x8b, 0x45, 0x67};
    zframe_t *binary = zframe_new (raw, sizeof raw);
    wire_set_routing_id (msg, binary);
    assert_string_equal (wire_peer (msg), "006b8b4567");
    zframe_destroy (&binary);
    wire_destroy (&msg);
}

static void
test_encode_refuses_missing_job_id (void **state)
{
    (void)state;
    wire_t *cancel = wire_new (WIRE_CANCEL);
    zmsg_t *msg = wire_encode (cancel);
    assert_null (msg);
    wire_destroy (&cancel);
}

//  Decode and expect failure with a reason containing `expected`.
static void
s_assert_rejected (zmsg_t *msg, const char *expected)
{
    char reason[WIRE_REASON_MAX];
    wire_t *decoded = wire_decode (&msg, reason);
    assert_null (decoded);
    assert_null (msg);
    if (!strstr (reason, expected))
        fail_msg ("reason '%s' does not mention '%s'", reason, expected);
}

static void
test_decode_rejects_wrong_signature (void **state)
{
    (void)state;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "PDFPIPE/0");
    zmsg_addstr (msg, "CANCEL");
    zmsg_addstr (msg, "abc");
    s_assert_rejected (msg, "signature");
}

static void
test_decode_rejects_empty_message (void **state)
{
    (void)state;
    s_assert_rejected (zmsg_new (), "signature");
}

static void
test_decode_rejects_unknown_command (void **state)
{
    (void)state;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, WIRE_SIGNATURE);
    zmsg_addstr (msg, "EXPLODE");
    s_assert_rejected (msg, "unknown command");
}

static void
test_decode_rejects_missing_command (void **state)
{
    (void)state;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, WIRE_SIGNATURE);
    s_assert_rejected (msg, "command frame missing");
}

static void
test_decode_rejects_truncated_chunk (void **state)
{
    (void)state;
    wire_t *chunk = s_chunk ();
    zmsg_t *msg = wire_encode (chunk);
    wire_destroy (&chunk);
    zframe_t *last = zmsg_last (msg);
    zmsg_remove (msg, last);
    zframe_destroy (&last);
    s_assert_rejected (msg, "CHUNK must have 10 fields, got 9");
}

static void
test_decode_rejects_extra_frame (void **state)
{
    (void)state;
    wire_t *chunk = s_chunk ();
    zmsg_t *msg = wire_encode (chunk);
    wire_destroy (&chunk);
    zmsg_addstr (msg, "extra");
    s_assert_rejected (msg, "got 11");
}

static void
test_decode_rejects_short_integer (void **state)
{
    (void)state;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, WIRE_SIGNATURE);
    zmsg_addstr (msg, "READY");
    zmsg_addmem (msg, "\0\1", 2);
    s_assert_rejected (msg, "credits must be 4 bytes, got 2");
}

//  A message of version 1 (CHUNK without a digest) is another protocol.
static void
test_decode_rejects_version_1 (void **state)
{
    (void)state;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "PDFPIPE/1");
    zmsg_addstr (msg, "READY");
    zmsg_addmem (msg, "\0\0\0\1", 4);
    s_assert_rejected (msg, "first frame is not the signature PDFPIPE/2");
}

static void
s_assert_digest_rejected (wire_id_t id, size_t digest_size)
{
    wire_t *message = id == WIRE_CHUNK ? s_chunk () : wire_new (id);
    wire_set_job_id (message, "job-9");
    wire_set_digest (message, &s_digest);
    zmsg_t *msg = wire_encode (message);
    wire_destroy (&message);
    //  Replace the digest frame (the 10th: signature, command, job id and
    //  seven numbers for CHUNK; job id and two numbers for TEMPLATE_MISS).
    size_t position = id == WIRE_CHUNK ? 9 : 5;
    zmsg_t *forged = zmsg_new ();
    size_t index = 0;
    for (zframe_t *frame = zmsg_first (msg); frame;
         frame = zmsg_next (msg), index++) {
        if (index == position) {
            byte bytes[TPLDIGEST_SIZE + 1] = {0};
            zmsg_addmem (forged, bytes, digest_size);
        } else
            zmsg_addmem (forged, zframe_data (frame), zframe_size (frame));
    }
    zmsg_destroy (&msg);
    char expected[64];
    snprintf (expected, sizeof expected, "digest must be 32 bytes, got %zu",
              digest_size);
    s_assert_rejected (forged, expected);
}

static void
test_decode_rejects_digest_of_wrong_size (void **state)
{
    (void)state;
    s_assert_digest_rejected (WIRE_CHUNK, 0);
    s_assert_digest_rejected (WIRE_CHUNK, 31);
    s_assert_digest_rejected (WIRE_CHUNK, 33);
    s_assert_digest_rejected (WIRE_TEMPLATE_MISS, 0);
    s_assert_digest_rejected (WIRE_TEMPLATE_MISS, 20);
}

static void
test_decode_rejects_bad_job_id (void **state)
{
    (void)state;
    const char *bad_ids[] = {"", "../etc", "a b", "x\n"};
    for (size_t index = 0; index < 4; index++) {
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, WIRE_SIGNATURE);
        zmsg_addstr (msg, "CANCEL");
        zmsg_addstr (msg, bad_ids[index]);
        s_assert_rejected (msg, "job_id must be");
    }
    char long_id[PROTO_JOB_ID_MAX + 2];
    memset (long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, WIRE_SIGNATURE);
    zmsg_addstr (msg, "CANCEL");
    zmsg_addstr (msg, long_id);
    s_assert_rejected (msg, "job_id must be");
}

static void
test_decode_rejects_nul_in_text (void **state)
{
    (void)state;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, WIRE_SIGNATURE);
    zmsg_addstr (msg, "JOB_FAILED");
    zmsg_addstr (msg, "abc");
    zmsg_addmem (msg, "bad\0text", 8);
    s_assert_rejected (msg, "JOB_FAILED: reason must be text without NUL");
}

static void
test_decode_rejects_overlong_text (void **state)
{
    (void)state;
    char *text = (char *)malloc (PROTO_TEXT_MAX + 2);
    memset (text, 'x', PROTO_TEXT_MAX + 1);
    text[PROTO_TEXT_MAX + 1] = '\0';
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, WIRE_SIGNATURE);
    zmsg_addstr (msg, "JOB_STATE");
    zmsg_addstr (msg, "abc");
    zmsg_addstr (msg, text);
    free (text);
    s_assert_rejected (msg, "JOB_STATE: state must be text without NUL of at "
                            "most 4096 bytes");
}

//  Every prefix of a valid message, and random garbage frames, must be
//  rejected without a crash (run under ASan to see it matters).
static void
test_decode_survives_every_truncation_and_garbage (void **state)
{
    (void)state;
    wire_t *chunk = s_chunk ();
    zmsg_t *full = wire_encode (chunk);
    wire_destroy (&chunk);
    size_t frames = zmsg_size (full);
    for (size_t keep = 0; keep < frames; keep++) {
        zmsg_t *msg = zmsg_new ();
        zframe_t *frame = zmsg_first (full);
        for (size_t index = 0; index < keep; index++) {
            zmsg_addmem (msg, zframe_data (frame), zframe_size (frame));
            frame = zmsg_next (full);
        }
        char reason[WIRE_REASON_MAX];
        assert_null (wire_decode (&msg, reason));
    }
    zmsg_destroy (&full);
    srandom (42);
    for (int trial = 0; trial < 2000; trial++) {
        zmsg_t *msg = zmsg_new ();
        if (random () % 2)
            zmsg_addstr (msg, WIRE_SIGNATURE);
        if (random () % 2)
            zmsg_addstr (msg, random () % 2 ? "CHUNK" : "STORED");
        int extra = (int)(random () % 12);
        for (int index = 0; index < extra; index++) {
            byte garbage[9];
            size_t size = (size_t)(random () % sizeof garbage);
            for (size_t at = 0; at < size; at++)
                garbage[at] = (byte)random ();
            zmsg_addmem (msg, garbage, size);
        }
        char reason[WIRE_REASON_MAX];
        wire_t *decoded = wire_decode (&msg, reason);
        wire_destroy (&decoded);
    }
}

static void
test_send_and_recv_over_router_keep_routing_id (void **state)
{
    (void)state;
    zsock_t *router = zsock_new_router ("inproc://test-wire");
    zsock_t *dealer = zsock_new_dealer (">inproc://test-wire");
    assert_non_null (router);
    assert_non_null (dealer);

    wire_t *ready = wire_new (WIRE_READY);
    wire_set_credits (ready, 1);
    assert_int_equal (wire_send (ready, dealer), 0);
    wire_destroy (&ready);

    wire_t *received = wire_recv (router);
    assert_non_null (received);
    assert_int_equal (wire_credits (received), 1);
    assert_non_null (wire_routing_id (received));
    assert_true (strlen (wire_peer (received)) > 0);

    wire_t *chunk = s_chunk ();
    wire_set_routing_id (chunk, wire_routing_id (received));
    assert_int_equal (wire_send (chunk, router), 0);
    wire_destroy (&chunk);
    wire_destroy (&received);

    wire_t *got = wire_recv (dealer);
    assert_non_null (got);
    assert_int_equal (wire_id (got), WIRE_CHUNK);
    wire_destroy (&got);

    //  Garbage from a rogue peer is dropped; the next good message decodes.
    zstr_send (dealer, "garbage");
    assert_null (wire_recv (router));
    ready = wire_new (WIRE_READY);
    wire_send (ready, dealer);
    wire_destroy (&ready);
    received = wire_recv (router);
    assert_non_null (received);
    wire_destroy (&received);

    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_chunk_roundtrip_keeps_every_field),
        cmocka_unit_test (test_chunk_without_template_is_an_empty_frame),
        cmocka_unit_test (test_template_miss_roundtrip_keeps_every_field),
        cmocka_unit_test (test_signature_carries_the_protocol_version),
        cmocka_unit_test (test_decode_rejects_version_1),
        cmocka_unit_test (test_decode_rejects_digest_of_wrong_size),
        cmocka_unit_test (test_result_roundtrip_moves_pdf),
        cmocka_unit_test (test_job_done_roundtrip_keeps_64_bit_bytes),
        cmocka_unit_test (test_small_messages_roundtrip),
        cmocka_unit_test (test_query_roundtrip_keeps_job_id),
        cmocka_unit_test (test_output_roundtrip_keeps_key_and_filename),
        cmocka_unit_test (test_peer_is_text_when_printable_else_hex),
        cmocka_unit_test (test_encode_refuses_missing_job_id),
        cmocka_unit_test (test_decode_rejects_wrong_signature),
        cmocka_unit_test (test_decode_rejects_empty_message),
        cmocka_unit_test (test_decode_rejects_unknown_command),
        cmocka_unit_test (test_decode_rejects_missing_command),
        cmocka_unit_test (test_decode_rejects_truncated_chunk),
        cmocka_unit_test (test_decode_rejects_extra_frame),
        cmocka_unit_test (test_decode_rejects_short_integer),
        cmocka_unit_test (test_decode_rejects_bad_job_id),
        cmocka_unit_test (test_text_fields_roundtrip_under_their_names),
        cmocka_unit_test (test_text_field_is_one_frame_after_job_id),
        cmocka_unit_test (test_decode_rejects_nul_in_text),
        cmocka_unit_test (test_decode_rejects_overlong_text),
        cmocka_unit_test (test_decode_survives_every_truncation_and_garbage),
        cmocka_unit_test (test_send_and_recv_over_router_keep_routing_id),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return failed;
}
