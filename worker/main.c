/*  pdfpipe-worker - renders the page-range chunks the ventilator hands out.

    Connects out to the ventilator (DEALER: sends READY, HEARTBEAT,
    CHUNK_FAILED and TEMPLATE_MISS, receives CHUNK) and to the sink (PUSH: sends RESULT), so
    adding a worker on any host needs no change elsewhere. It has one slot
    (worker/slot), a thread that renders one chunk at a time and sends its
    PDF to the sink. The worker holds up to 1 + --chunks-ahead chunks (2
    by default, SLOT_DEPTH at most): it asks for that many with READY at
    start and for one more after each chunk, so the next chunk is already
    here when one ends and the slot starts it at once; the round trip
    READY, CHUNK costs no rendering time. It takes no CHUNK from its socket
    while it holds as many as it asked for.

    The loop below never renders, so it can always say it is alive: it
    sends a HEARTBEAT with its free credits (the chunks it asks for less
    those it holds) whenever it has been silent for
    PROTO_HEARTBEAT_INTERVAL_MS, also in the middle of a long chunk. The
    ventilator counts a worker that stops heartbeating as dead and gives
    its chunks to other workers.

    Both sockets use CURVE (common/proto/curve): the worker has its own key
    pair, which the ventilator and the sink must have in their allowed
    directories, and knows theirs, so it talks to no one else. A worker
    whose key either refuses at the handshake says so and exits with
    status 1: it could never do anything, and a supervisor starts it
    again once its certificate has been added.

    The worker keeps nothing between chunks except caches of immutable
    things (the last few templates, by digest; the renderer's fonts). A
    chunk that cannot be rendered is answered with CHUNK_FAILED; one that
    came without its template, which the worker does not keep (dropped, or
    the worker restarted), with TEMPLATE_MISS; a result that cannot be
    delivered is logged and left to the ventilator's re-dispatch.

    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curve.h"
#include "joblimits.h"
#include "log.h"
#include "options.h"
#include "oneshot.h"
#include "previewreq.h"
#include "proto.h"
#include "slot.h"
#include "wire.h"

#define WORKER_VENTILATOR_DEFAULT PROTO_DISPATCH_ENDPOINT
#define WORKER_SINK_DEFAULT PROTO_RESULTS_ENDPOINT
//  A result sent just before exit still reaches the sink.
#define WORKER_SINK_LINGER_MS 5000
//  Results queued while the sink is slow or away; each is a whole chunk
//  PDF, so few. Beyond this the slot waits, which also stops the worker
//  taking more chunks it could not deliver; the heartbeats go on.
#define WORKER_SINK_SNDHWM 4
//  Control messages queued while the ventilator is away. They are never
//  waited for: a dropped one is repeated by the next heartbeat.
#define WORKER_VENTILATOR_SNDHWM 100
//  How long LEAVING may wait to go out as the worker exits.
#define WORKER_LEAVING_LINGER_MS 1000
//  Bytes of --name kept in the routing id (ZeroMQ allows 255).
#define WORKER_ROUTING_NAME_MAX 64
//  Free heap kept for the next chunk rather than given back to the
//  system, and the size from which a block is mapped on its own (glibc's
//  largest). See s_keep_heap.
#define WORKER_HEAP_KEPT_BYTES (64 * 1024 * 1024)
#define WORKER_HEAP_MMAP_BYTES (32 * 1024 * 1024)

//  The command line: defaults here (the name's is set in main), the rest
//  from options_parse.
static struct {
    const char *ventilator;     // endpoint
    const char *sink;           // endpoint
    const char *cert;           // our secret certificate
    const char *ventilator_key; // the ventilator's public certificate
    const char *sink_key;       // the sink's public certificate
    const char *name;
    long idle_exit_s; // 0: never
    long chunks_ahead; // taken while one renders: 0 or SLOT_DEPTH - 1
    joblimits_t limits; // what a chunk may cost (common/doc/joblimits)
    bool verbose;
    bool preview;   // one page from stdin to stdout (worker/oneshot)
    int log_format; // a log_format_t
} s_options = {
    .ventilator = WORKER_VENTILATOR_DEFAULT,
    .sink = WORKER_SINK_DEFAULT,
    .cert = PROTO_WORKER_CERT,
    .ventilator_key = PROTO_VENTILATOR_KEY,
    .sink_key = PROTO_SINK_KEY,
    .chunks_ahead = SLOT_DEPTH - 1,
    .limits = JOBLIMITS_DEFAULTS,
};

static const options_spec_t s_option_table[] = {
    OPTIONS_TEXT ("ventilator", &s_options.ventilator, "ENDPOINT",
                  "PDFPIPE_VENTILATOR", "ventilator to take chunks from"),
    OPTIONS_TEXT ("sink", &s_options.sink, "ENDPOINT", "PDFPIPE_SINK",
                  "sink to push rendered chunks to"),
    OPTIONS_TEXT ("cert", &s_options.cert, "FILE", "PDFPIPE_CERT",
                  "our secret certificate (pdfpipe keygen); its\n"
                  "public one must be in the ventilator's and the sink's\n"
                  "allowed directories"),
    OPTIONS_TEXT ("ventilator-key", &s_options.ventilator_key, "FILE",
                  "PDFPIPE_VENTILATOR_KEY",
                  "the ventilator's public certificate"),
    OPTIONS_TEXT ("sink-key", &s_options.sink_key, "FILE", "PDFPIPE_SINK_KEY",
                  "the sink's public certificate"),
    OPTIONS_TEXT ("name", &s_options.name, "NAME", NULL,
                  "name in log lines and in the routing id"),
    OPTIONS_NUMBER ("idle-exit-s", &s_options.idle_exit_s, "N", 0, 86400,
                    "PDFPIPE_IDLE_EXIT_S",
                    "exit after N seconds without a chunk (for platforms\n"
                    "that bill per running process); 0 = never"),
    OPTIONS_NUMBER ("chunks-ahead", &s_options.chunks_ahead, "N", 0,
                    SLOT_DEPTH - 1, "PDFPIPE_CHUNKS_AHEAD",
                    "chunks taken while one renders, so that the next\n"
                    "starts at once; 0: ask for each when the one before\n"
                    "ends (a small job's chunk then waits behind one\n"
                    "chunk per worker, not two)"),
    JOBLIMITS_OPTIONS (s_options.limits),
    OPTIONS_FLAG ("preview", 0, &s_options.preview,
                  "render the one page of a preview request read from\n"
                  "stdin to stdout, then exit (the ventilator's\n"
                  "POST /v1/preview; docs/operations.md)"),
    OPTIONS_FLAG ("verbose", 'v', &s_options.verbose, "print debug lines"),
    LOG_FORMAT_OPTION (&s_options.log_format),
    OPTIONS_END,
};

static const options_program_t s_program = {
    .name = "pdfpipe-worker",
    .purpose = "Render the chunks the pdfpipe ventilator hands out and push "
               "each\nchunk PDF to the sink.",
    .options = s_option_table,
    .notes = "Stops cleanly on SIGINT or SIGTERM after the chunk in progress,\n"
             "telling the ventilator it leaves (LEAVING), as after\n"
             "--idle-exit-s;\n"
             "exits with status 1 when the ventilator or the sink refuses "
             "its key.",
};

//  A routing id unique across hosts and restarts: the name plus random
//  hex, so two workers given the same --name do not displace each other.
static void
s_routing_id (const char *name, char *routing_id, size_t size)
{
    zuuid_t *uuid = zuuid_new ();
    snprintf (routing_id, size, "%.*s-%.8s", WORKER_ROUTING_NAME_MAX, name,
              uuid ? zuuid_str (uuid) : "00000000");
    zuuid_destroy (&uuid);
}

static void
s_send_failed (const wire_t *chunk, const char *error, zsock_t *ventilator)
{
    log_warning ("job=%s chunk=%" PRIu32 " attempt=%" PRIu32 " failed: %s",
                 wire_job_id (chunk), wire_chunk_nbr (chunk),
                 wire_attempt (chunk), error);
    wire_t *failed = wire_new (WIRE_CHUNK_FAILED);
    wire_set_job_id (failed, wire_job_id (chunk));
    wire_set_chunk_nbr (failed, wire_chunk_nbr (chunk));
    wire_set_attempt (failed, wire_attempt (chunk));
    wire_set_error (failed, error);
    if (wire_send (failed, ventilator))
        log_warning ("job=%s chunk=%" PRIu32 " could not report the failure "
                     "to the ventilator",
                     wire_job_id (chunk), wire_chunk_nbr (chunk));
    wire_destroy (&failed);
}

//  READY or HEARTBEAT with our free slots.
static void
s_send_credits (wire_id_t id, uint32_t credits, zsock_t *ventilator)
{
    wire_t *message = wire_new (id);
    wire_set_credits (message, credits);
    if (wire_send (message, ventilator))
        log_debug ("could not send %s: ventilator unreachable",
                   wire_command (message));
    wire_destroy (&message);
}

//  Chunks held at most: the one rendering and those taken ahead.
static uint32_t
s_depth (void)
{
    return 1 + (uint32_t)s_options.chunks_ahead;
}

//  CHUNKs are read from the ventilator's socket only while we hold fewer
//  than s_depth; the rest wait in the socket.
static void
s_listen (zsock_t *ventilator, slot_t *slot, zpoller_t *poller,
          bool *listening)
{
    bool wanted = slot_held (slot) < s_depth ();
    if (wanted && !*listening)
        zpoller_add (poller, ventilator);
    else if (!wanted && *listening)
        zpoller_remove (poller, ventilator);
    *listening = wanted;
}

//  A CHUNK goes to the slot; anything else from the ventilator is wrong.
static void
s_on_ventilator (zsock_t *ventilator, slot_t *slot)
{
    wire_t *message = wire_recv (ventilator);
    if (!message)
        return;
    if (wire_id (message) != WIRE_CHUNK) {
        log_warning ("ignored %s from the ventilator: workers only take CHUNK",
                     wire_command (message));
        wire_destroy (&message);
        return;
    }
    log_debug ("job=%s chunk=%" PRIu32 " attempt=%" PRIu32 " received",
               wire_job_id (message), wire_chunk_nbr (message),
               wire_attempt (message));
    if (slot_submit (slot, &message) == -1) {
        log_error ("job=%s chunk=%" PRIu32 " cannot reach the render thread",
                   wire_job_id (message), wire_chunk_nbr (message));
        wire_destroy (&message);
    }
}

//  The chunk came without a template we keep: the ventilator sends it
//  again with the template.
static void
s_send_template_miss (const wire_t *chunk, zsock_t *ventilator)
{
    wire_t *miss = wire_new (WIRE_TEMPLATE_MISS);
    wire_set_job_id (miss, wire_job_id (chunk));
    wire_set_chunk_nbr (miss, wire_chunk_nbr (chunk));
    wire_set_attempt (miss, wire_attempt (chunk));
    wire_set_digest (miss, wire_digest (chunk));
    if (wire_send (miss, ventilator))
        log_warning ("job=%s chunk=%" PRIu32 " could not ask the ventilator "
                     "for its template; the deadline will bring it back",
                     wire_job_id (chunk), wire_chunk_nbr (chunk));
    wire_destroy (&miss);
}

//  The slot has finished a chunk (and started the one waiting, if any):
//  report a failure or a missing template, ask for one more.
static void
s_on_slot (zsock_t *ventilator, slot_t *slot)
{
    wire_t *chunk = NULL;
    char error[SLOT_ERROR_MAX];
    slot_outcome_t outcome = slot_recv (slot, &chunk, error);
    if (!chunk)
        return;
    if (outcome == SLOT_TEMPLATE_MISS)
        s_send_template_miss (chunk, ventilator);
    else if (outcome == SLOT_FAILED)
        s_send_failed (chunk, error, ventilator);
    wire_destroy (&chunk);
    s_send_credits (WIRE_READY, 1, ventilator);
}

//  Leaving (a signal, or idle too long): the chunk waiting is dropped
//  unstarted, the one in progress ends (its result goes to the sink; a
//  failure is reported), then LEAVING tells the ventilator how many of the
//  chunks it sent us we finished: it sends nothing more and gives the rest
//  (the one dropped, any still in our socket, one whose template we
//  lacked) to another worker without counting an attempt.
static void
s_leave (zsock_t *ventilator, slot_t *slot)
{
    wire_t *waiting = slot_take_waiting (slot);
    wire_destroy (&waiting);
    uint32_t finished = 0;
    for (int tries = 0; slot_busy (slot) && tries < 3; tries++) {
        wire_t *chunk = NULL;
        char error[SLOT_ERROR_MAX];
        slot_outcome_t outcome = slot_recv (slot, &chunk, error);
        if (!chunk)
            continue; // a signal broke the wait
        if (outcome == SLOT_FAILED)
            s_send_failed (chunk, error, ventilator);
        if (outcome != SLOT_TEMPLATE_MISS)
            finished = 1;
        wire_destroy (&chunk);
    }
    wire_t *leaving = wire_new (WIRE_LEAVING);
    wire_set_credits (leaving, finished);
    zsock_set_linger (ventilator, WORKER_LEAVING_LINGER_MS);
    if (wire_send (leaving, ventilator))
        log_debug ("could not send LEAVING: ventilator unreachable");
    wire_destroy (&leaving);
}

//  Every chunk allocates and frees the same few megabytes (a zlib stream of
//  about 260 KB per page's content, the chunk's PDF). With glibc's
//  defaults the render thread's arena gives its top back to the system
//  after each free of more than 128 KB and maps blocks above 128 KB on
//  their own, so every page faulted its memory in again, zeroed by the
//  kernel: some 1,000 faults per chunk and as much system time as
//  rendering, until glibc's own threshold had grown with the first large
//  block freed. Fixed thresholds keep the heap of the largest chunk so
//  far, up to WORKER_HEAP_KEPT_BYTES free, from the first chunk on; a
//  block above WORKER_HEAP_MMAP_BYTES is still mapped and given back.
static void
s_keep_heap (void)
{
    if (!mallopt (M_MMAP_THRESHOLD, WORKER_HEAP_MMAP_BYTES) ||
        !mallopt (M_TRIM_THRESHOLD, WORKER_HEAP_KEPT_BYTES))
        log_warning ("cannot set the heap's thresholds; chunks may render "
                     "slower");
}

//  --preview: one page, then exit; a page that cannot be rendered is
//  answered with its reason on stdout and PREVIEWREQ_EXIT_REFUSED.
static int
s_preview (void)
{
    fielderr_t err = {"", ""};
    if (oneshot_run (STDIN_FILENO, STDOUT_FILENO, &err) == 0)
        return 0;
    if (!*err.message)
        snprintf (err.message, sizeof err.message,
                  "the renderer gave no reason");
    printf ("%s\t%s\n", err.field, err.message);
    return PREVIEWREQ_EXIT_REFUSED;
}

int
main (int argc, char *argv[])
{
    char default_name[32];
    snprintf (default_name, sizeof (default_name), "worker-%ld",
              (long)getpid ());
    s_options.name = default_name;
    int parsed = options_parse (&s_program, argc, argv);
    if (parsed != OPTIONS_RUN)
        return parsed;
    log_init (s_options.name, s_options.verbose);
    log_set_format (s_options.log_format);
    joblimits_set (&s_options.limits);
    if (s_options.preview)
        return s_preview ();

    s_keep_heap ();
    int rc = 1;
    char routing_id[WORKER_ROUTING_NAME_MAX + 16];
    s_routing_id (s_options.name, routing_id, sizeof (routing_id));
    slot_t *slot = NULL;
    zpoller_t *poller = NULL;
    zsock_t *ventilator = NULL, *sink = NULL;
    char ventilator_key[CURVE_KEY_TEXT_SIZE], sink_key[CURVE_KEY_TEXT_SIZE];
    char error[CURVE_ERROR_MAX];
    curve_t *curve = curve_new (s_options.cert, NULL);
    if (!curve)
        goto cleanup;
    if (curve_key_load (s_options.ventilator_key, ventilator_key, error) ||
        curve_key_load (s_options.sink_key, sink_key, error)) {
        log_error ("%s", error);
        goto cleanup;
    }
    ventilator = zsock_new (ZMQ_DEALER);
    sink = zsock_new (ZMQ_PUSH);
    if (!ventilator || !sink) {
        log_error ("cannot create sockets: %s", zmq_strerror (zmq_errno ()));
        goto cleanup;
    }
    zsock_set_identity (ventilator, routing_id);
    zsock_set_sndhwm (ventilator, WORKER_VENTILATOR_SNDHWM);
    zsock_set_sndtimeo (ventilator, 0);
    zsock_set_sndhwm (sink, WORKER_SINK_SNDHWM);
    zsock_set_linger (sink, WORKER_SINK_LINGER_MS);
    zsock_set_heartbeat_ivl (ventilator, PROTO_ZMTP_HEARTBEAT_IVL_MS);
    zsock_set_heartbeat_timeout (ventilator, PROTO_ZMTP_HEARTBEAT_TIMEOUT_MS);
    zsock_set_heartbeat_ivl (sink, PROTO_ZMTP_HEARTBEAT_IVL_MS);
    zsock_set_heartbeat_timeout (sink, PROTO_ZMTP_HEARTBEAT_TIMEOUT_MS);
    //  A CHUNK carries parts of a job document; the sink sends nothing.
    if (curve_connect (curve, ventilator, "the ventilator", ventilator_key,
                       s_options.ventilator, PROTO_CHUNK_FRAME_BYTES_MAX) ||
        curve_connect (curve, sink, "the sink", sink_key, s_options.sink,
                       PROTO_CONTROL_BYTES_MAX))
        goto cleanup;
    //  From here the slot's thread owns the sink socket.
    slot = slot_new (&sink);
    if (!slot) {
        log_error ("cannot start the render thread");
        goto cleanup;
    }
    poller = zpoller_new (ventilator, slot_sock (slot), NULL);
    assert (poller);
    log_info ("worker %s started: ventilator=%s sink=%s", routing_id,
              s_options.ventilator, s_options.sink);

    s_send_credits (WIRE_READY, s_depth (), ventilator);
    bool listening = true;
    int64_t heartbeat_at = zclock_mono () + PROTO_HEARTBEAT_INTERVAL_MS;
    int64_t idle_since = zclock_mono ();
    rc = 0;
    while (!zsys_interrupted) {
        int64_t wait_ms = heartbeat_at - zclock_mono ();
        void *which = zpoller_wait (poller, wait_ms > 0 ? (int)wait_ms : 0);
        if (zpoller_terminated (poller))
            break;
        if (which == ventilator)
            s_on_ventilator (ventilator, slot);
        else if (which == slot_sock (slot)) {
            s_on_slot (ventilator, slot);
            heartbeat_at = zclock_mono () + PROTO_HEARTBEAT_INTERVAL_MS;
            idle_since = zclock_mono ();
        }
        s_listen (ventilator, slot, poller, &listening);
        if (s_options.idle_exit_s > 0 && slot_held (slot) == 0 &&
            zclock_mono () - idle_since >= s_options.idle_exit_s * 1000) {
            log_info ("worker %s idle for %ld s", routing_id,
                      s_options.idle_exit_s);
            break;
        }
        if (zclock_mono () >= heartbeat_at) {
            s_send_credits (WIRE_HEARTBEAT,
                            s_depth () - (uint32_t)slot_held (slot),
                            ventilator);
            heartbeat_at = zclock_mono () + PROTO_HEARTBEAT_INTERVAL_MS;
        }
        //  The refusal itself was logged with its reason (curve).
        if (curve_refused (curve)) {
            log_error ("worker %s exiting: its key %s was refused", routing_id,
                       curve_public_key (curve));
            rc = 1;
            break;
        }
    }
    log_info ("worker %s stopping%s", routing_id,
              slot_busy (slot) ? " after the chunk in progress" : "");
    if (slot && rc == 0)
        s_leave (ventilator, slot);

cleanup:
    zpoller_destroy (&poller);
    slot_destroy (&slot);
    zsock_destroy (&sink);
    zsock_destroy (&ventilator);
    curve_destroy (&curve);
    return rc;
}
