/*  pdfpipe-sink - receives chunk PDFs, spools them, and merges and stores
    each job once all its chunks are there.

    Connects the modules: sink/collector judges and spools each RESULT,
    sink/finisher merges and stores complete jobs on its own thread, and
    sink/reporter tells the ventilator what happened (STORED, JOB_STATE,
    JOB_DONE, JOB_FAILED) and answers its QUERY. Sockets: results (PULL,
    bound; workers send RESULT, the ventilator CANCEL, QUERY and OUTPUT)
    and events (PUSH, connected to the ventilator). At start every spooled
    chunk is reported again, so a ventilator that restarted catches up,
    and complete jobs are finished once the ventilator has said where their
    result goes (a merge or store cut short by a crash starts again from
    the spool). Timers: tick (stop requests, reconnecting) and expire
    (finished jobs' old tombstones leave the spool).

    Both sockets use CURVE (common/proto/curve): results lets in the
    clients whose public certificates are in the allowed directory, and
    each message's key is checked too: RESULT only from a worker's key
    that is still allowed, CANCEL, QUERY and OUTPUT only from the
    ventilator's.

    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>

#include "collector.h"
#include "curve.h"
#include "finisher.h"
#include "log.h"
#include "options.h"
#include "reporter.h"
#include "proto.h"
#include "wire.h"

#define S_RESULTS_DEFAULT PROTO_RESULTS_ENDPOINT
#define S_EVENTS_DEFAULT PROTO_EVENTS_ENDPOINT
#define S_SPOOL_DEFAULT "./pdfpipe-data/spool"
//  The spool holds the chunks of the jobs being assembled and their
//  outputs as they are written: about twice the PDFs of the jobs open.
#define S_MAX_SPOOL_MB 32768
//  Results waiting in the sink: each may be a large PDF, so keep few and
//  let the workers' sockets hold the rest.
#define S_RESULTS_RCVHWM 16
//  Events are small; hold many while the ventilator is away, and never
//  block the loop for more than a second when even that is full.
#define S_EVENTS_SNDHWM 100000
#define S_EVENTS_SNDTIMEO_MS 1000
//  czmq's signal handler only sets a flag, which zloop reads between polls:
//  a SIGTERM that lands just before zloop enters its poll would wait for
//  the poll to time out, an hour when no timer is set. A short timer bounds
//  how long a stop request can go unnoticed; it also connects to the
//  ventilator again when it refused our key (curve_retry).
#define S_TICK_MS 500
//  Messages read off results per wake-up: the RESULTs among them are made
//  durable together (reporter_flush), then the loop serves the finisher's
//  reports and its timers before it reads more.
#define S_RESULTS_DRAIN_MAX 64
//  Old tombstones are removed this often (they are kept for days).
#define S_EXPIRE_MS (3600 * 1000)

typedef struct {
    collector_t *collector;
    finisher_t *finisher;
    zsock_t *events;
    reporter_t *reporter;
    curve_t *curve;
    char ventilator_key[CURVE_KEY_TEXT_SIZE]; // sends CANCEL, QUERY, OUTPUT
} s_sink_t;

//  CANCEL, QUERY and OUTPUT: the ventilator's to send.
static void
s_on_control (s_sink_t *self, wire_t *msg)
{
    if (!curve_allow_key (self->curve, wire_user_id (msg), self->ventilator_key,
                          "ventilator", wire_command (msg), wire_peer (msg)))
        return;
    if (wire_id (msg) == WIRE_OUTPUT)
        finisher_output (self->finisher, wire_job_id (msg), wire_key (msg),
                         wire_filename (msg));
    else if (wire_id (msg) == WIRE_CANCEL) {
        finisher_cancel (self->finisher, wire_job_id (msg));
        collector_cancel (self->collector, wire_job_id (msg));
    } else
        reporter_query (self->reporter, wire_job_id (msg));
}

static void
s_on_message (s_sink_t *self, wire_t *msg)
{
    wire_id_t id = wire_id (msg);
    if (id == WIRE_RESULT) {
        //  Only from a worker whose certificate is still allowed.
        if (curve_allow_worker (self->curve, wire_user_id (msg),
                                wire_command (msg), wire_peer (msg),
                                zclock_mono ()))
            reporter_result (self->reporter, msg);
    } else if (id == WIRE_OUTPUT || id == WIRE_CANCEL || id == WIRE_QUERY) {
        //  In order: the results before it are stored and reported first.
        reporter_flush (self->reporter);
        s_on_control (self, msg);
    } else
        log_warning ("dropped %s: not a message for the sink",
                     wire_command (msg));
}

//  Every message waiting, up to S_RESULTS_DRAIN_MAX; the chunks among
//  them are stored with one batch of fsyncs and then acknowledged.
static int
s_on_result (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    s_sink_t *self = arg;
    for (int count = 0; count < S_RESULTS_DRAIN_MAX; count++) {
        if (count > 0 && !(zsock_events (reader) & ZMQ_POLLIN))
            break;
        wire_t *msg = wire_recv (reader);
        if (msg)
            s_on_message (self, msg);
        wire_destroy (&msg);
    }
    reporter_flush (self->reporter);
    return 0;
}

static int
s_on_finisher (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    (void)reader;
    s_sink_t *self = arg;
    wire_t *event = finisher_recv (self->finisher);
    if (event)
        reporter_relay (self->reporter, &event);
    return 0;
}

static int
s_on_expire (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    collector_expire (((s_sink_t *)arg)->collector);
    return 0;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_sink_t *self = arg;
    curve_retry (self->curve, zclock_mono ());
    return 0;
}

int
main (int argc, char *argv[])
{
    const char *results_endpoint = S_RESULTS_DEFAULT;
    const char *events_endpoint = S_EVENTS_DEFAULT;
    const char *spool_dir = S_SPOOL_DEFAULT;
    const char *store_url = PROTO_STORE_URL;
    const char *cert = PROTO_SINK_CERT;
    const char *ventilator_key = PROTO_VENTILATOR_KEY;
    const char *allowed_dir = PROTO_ALLOWED_DIR;
    long max_spool_mb = S_MAX_SPOOL_MB;
    bool verbose = false;
    int log_format = LOG_FORMAT_TEXT;
    const options_spec_t options[] = {
        OPTIONS_TEXT ("results", &results_endpoint, "ENDPOINT",
                      "PDFPIPE_SINK_RESULTS",
                      "bind here for RESULT and CANCEL"),
        OPTIONS_TEXT ("events", &events_endpoint, "ENDPOINT", "PDFPIPE_EVENTS",
                      "the ventilator's events endpoint"),
        OPTIONS_TEXT ("spool", &spool_dir, "DIR", NULL, "chunk spool"),
        OPTIONS_NUMBER ("max-spool-mb", &max_spool_mb, "N", 0, 1L << 30, NULL,
                        "size of the spool over which new jobs' chunks\n"
                        "are refused (their jobs fail, saying why), MiB;\n"
                        "0 = no limit"),
        OPTIONS_TEXT ("store", &store_url, "URL", "PDFPIPE_STORE",
                      "where finished PDFs go: file://DIR, DIR or\n"
                      "s3://BUCKET[/PREFIX] (see docs/operations.md)"),
        OPTIONS_TEXT ("cert", &cert, "FILE", "PDFPIPE_CERT",
                      "our secret certificate (pdfpipe keygen)"),
        OPTIONS_TEXT ("ventilator-key", &ventilator_key, "FILE",
                      "PDFPIPE_VENTILATOR_KEY",
                      "the ventilator's public certificate"),
        OPTIONS_TEXT ("allowed-dir", &allowed_dir, "DIR", "PDFPIPE_ALLOWED_DIR",
                      "public certificates of the workers (and the\n"
                      "ventilator) allowed to connect; read again when it\n"
                      "changes"),
        OPTIONS_FLAG ("verbose", 'v', &verbose, "print debug lines"),
        LOG_FORMAT_OPTION (&log_format),
        OPTIONS_END,
    };
    const options_program_t program = {
        .name = "pdfpipe-sink",
        .purpose = "Receives chunk PDFs from workers, keeps them in a spool, "
                   "and\nmerges and stores each job once all its chunks are "
                   "there.",
        .options = options,
    };
    int parsed = options_parse (&program, argc, argv);
    if (parsed != OPTIONS_RUN)
        return parsed;
    log_init ("pdfpipe-sink", verbose);
    log_set_format (log_format);

    int rc = EXIT_FAILURE;
    s_sink_t sink = {NULL, NULL, NULL, NULL, NULL, ""};
    zsock_t *results = NULL;
    zloop_t *loop = NULL;
    char error[CURVE_ERROR_MAX];
    sink.curve = curve_new (cert, allowed_dir);
    if (!sink.curve)
        goto cleanup;
    if (curve_key_load (ventilator_key, sink.ventilator_key, error) == -1) {
        log_error ("--ventilator-key: %s", error);
        goto cleanup;
    }
    //  The ventilator connects to results with its key.
    if (curve_check_allowed (sink.curve, sink.ventilator_key, "ventilator",
                             ventilator_key) == -1)
        goto cleanup;
    sink.collector = collector_new (spool_dir);
    if (!sink.collector)
        goto cleanup;
    collector_set_quota (sink.collector, (uint64_t)max_spool_mb * 1024 * 1024);
    sink.finisher = finisher_new (spool_dir, store_url);
    if (!sink.finisher)
        goto cleanup;
    results = zsock_new (ZMQ_PULL);
    zsock_set_rcvhwm (results, S_RESULTS_RCVHWM);
    //  A frame over the chunk limit is refused by ZeroMQ itself, before it
    //  takes any memory.
    if (curve_bind (sink.curve, results, "results", results_endpoint,
                    (int64_t)PROTO_RESULT_BYTES_MAX))
        goto cleanup;
    sink.events = zsock_new (ZMQ_PUSH);
    zsock_set_sndhwm (sink.events, S_EVENTS_SNDHWM);
    zsock_set_sndtimeo (sink.events, S_EVENTS_SNDTIMEO_MS);
    zsock_set_heartbeat_ivl (sink.events, PROTO_ZMTP_HEARTBEAT_IVL_MS);
    zsock_set_heartbeat_timeout (sink.events, PROTO_ZMTP_HEARTBEAT_TIMEOUT_MS);
    if (curve_connect (sink.curve, sink.events, "the ventilator",
                       sink.ventilator_key, events_endpoint,
                       PROTO_CONTROL_BYTES_MAX))
        goto cleanup;
    sink.reporter = reporter_new (sink.collector, sink.finisher, sink.events);
    if (!sink.reporter)
        goto cleanup;
    log_info ("results on %s, events to %s, spool %s, store %s",
              results_endpoint, events_endpoint, spool_dir, store_url);
    reporter_replay (sink.reporter);

    loop = zloop_new ();
    zloop_reader (loop, results, s_on_result, &sink);
    zloop_reader (loop, finisher_sock (sink.finisher), s_on_finisher, &sink);
    zloop_timer (loop, S_TICK_MS, 0, s_on_tick, &sink);
    zloop_timer (loop, S_EXPIRE_MS, 0, s_on_expire, &sink);
    zloop_start (loop);
    log_info ("shutting down%s", finisher_busy (sink.finisher)
                                     ? ": waiting for the merge in progress"
                                     : "");
    rc = EXIT_SUCCESS;

cleanup:
    zloop_destroy (&loop);
    reporter_destroy (&sink.reporter);
    zsock_destroy (&sink.events);
    zsock_destroy (&results);
    finisher_destroy (&sink.finisher);
    collector_destroy (&sink.collector);
    curve_destroy (&sink.curve);
    return rc;
}
