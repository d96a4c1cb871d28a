/*  pdfpipe-sink - receives chunk PDFs, spools them, and merges and stores
    each job once all its chunks are there.

    Connects the modules: sink/chord judges and spools each RESULT,
    sink/finisher merges and stores complete jobs on its own thread, and
    this loop tells the ventilator what happened (STORED, JOB_STATE,
    JOB_DONE, JOB_FAILED). Sockets: results (PULL, bound; workers send
    RESULT, the ventilator CANCEL, QUERY and OUTPUT) and events (PUSH,
    connected to the ventilator). At start every spooled chunk is reported
    again, so a ventilator that restarted catches up, and complete jobs are
    finished once the ventilator has said where their result goes (a merge
    or store cut short by a crash starts again from the spool).

    Outcomes are repeated, never lost: a late RESULT for a finished job,
    or a QUERY from the ventilator, gets the job's outcome again from its
    tombstone, since a JOB_DONE in flight when the ventilator died is gone.

    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "chord.h"
#include "finisher.h"
#include "log.h"
#include "options.h"
#include "proto.h"
#include "wire.h"

#define S_RESULTS_DEFAULT PROTO_RESULTS_ENDPOINT
#define S_EVENTS_DEFAULT PROTO_EVENTS_ENDPOINT
#define S_SPOOL_DEFAULT "./pdfpipe-data/spool"
#define S_STORE_DEFAULT "file://./pdfpipe-data/out"
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
//  how long a stop request can go unnoticed.
#define S_SIGNAL_CHECK_MS 500

typedef struct {
    chord_t *chord;
    finisher_t *finisher;
    zsock_t *events;
} s_sink_t;

static void
s_usage (FILE *stream)
{
    fprintf (
        stream,
        "usage: pdfpipe-sink [options]\n"
        "\n"
        "Receives chunk PDFs from workers, keeps them in a spool, and\n"
        "merges and stores each job once all its chunks are there.\n"
        "\n"
        "  --results ENDPOINT  bind here for RESULT and CANCEL\n"
        "                      (env PDFPIPE_SINK_RESULTS, default %s)\n"
        "  --events ENDPOINT   the ventilator's events endpoint\n"
        "                      (env PDFPIPE_EVENTS, default %s)\n"
        "  --spool DIR         chunk spool (default %s)\n"
        "  --store URL         where finished PDFs go: file://DIR, DIR or\n"
        "                      s3://BUCKET[/PREFIX] (see docs/operations.md)\n"
        "                      (env PDFPIPE_STORE, default %s)\n"
        "  --verbose           print debug lines\n"
        "  --help              print this and exit\n",
        S_RESULTS_DEFAULT, S_EVENTS_DEFAULT, S_SPOOL_DEFAULT, S_STORE_DEFAULT);
}

//  Send and destroy an event for the ventilator.
static void
s_send (s_sink_t *self, wire_t **event_p)
{
    if (wire_send (*event_p, self->events) == -1)
        log_error ("job=%s %s to the ventilator not sent: %s",
                   wire_job_id (*event_p), wire_command (*event_p),
                   zmq_strerror (zmq_errno ()));
    wire_destroy (event_p);
}

static void
s_send_stored (s_sink_t *self, const char *job_id, uint32_t chunk_nbr,
               uint32_t page_count)
{
    wire_t *event = wire_new (WIRE_STORED);
    wire_set_job_id (event, job_id);
    wire_set_chunk_nbr (event, chunk_nbr);
    wire_set_page_count (event, page_count);
    s_send (self, &event);
}

//  Report every spooled chunk again and finish the complete jobs.
static void
s_replay (s_sink_t *self)
{
    zlist_t *job_ids = chord_jobs (self->chord);
    for (const char *job_id = zlist_first (job_ids); job_id;
         job_id = zlist_next (job_ids)) {
        const assembly_t *job = chord_assembly (self->chord, job_id);
        for (uint32_t chunk_nbr = 0; chunk_nbr < assembly_chunk_count (job);
             chunk_nbr++)
            if (assembly_has (job, chunk_nbr))
                s_send_stored (self, job_id, chunk_nbr,
                               assembly_page_count (job, chunk_nbr));
        if (assembly_complete (job))
            finisher_submit (self->finisher, job_id);
    }
    zlist_destroy (&job_ids);
}

static void
s_send_failed (s_sink_t *self, const char *job_id, const char *reason)
{
    wire_t *event = wire_new (WIRE_JOB_FAILED);
    wire_set_job_id (event, job_id);
    wire_set_reason (event, reason);
    s_send (self, &event);
}

//  The job's outcome again, from its tombstone. Returns -1 when it has
//  none to tell (no tombstone, or cancelled).
static int
s_send_outcome (s_sink_t *self, const char *job_id)
{
    wire_t *outcome = chord_outcome (self->chord, job_id);
    if (!outcome)
        return -1;
    log_debug ("job=%s %s sent again", job_id, wire_command (outcome));
    s_send (self, &outcome);
    return 0;
}

static void
s_on_chunk (s_sink_t *self, const wire_t *result)
{
    const char *job_id = wire_job_id (result);
    char reason[CHORD_REASON_MAX];
    chord_verdict_t verdict = chord_offer (self->chord, result, reason);
    if (verdict == CHORD_DROPPED)
        return;
    if (verdict == CHORD_FINISHED) {
        s_send_outcome (self, job_id);
        return;
    }
    if (verdict == CHORD_FAILED) {
        s_send_failed (self, job_id, reason);
        return;
    }
    s_send_stored (self, job_id, wire_chunk_nbr (result),
                   wire_page_count (result));
    if (verdict == CHORD_COMPLETE)
        finisher_submit (self->finisher, job_id);
}

//  The ventilator has every chunk of the job stored and no outcome: tell
//  it, or finish the job if that has not happened yet.
static void
s_on_query (s_sink_t *self, const char *job_id)
{
    if (s_send_outcome (self, job_id) == 0)
        return;
    const assembly_t *job = chord_assembly (self->chord, job_id);
    if (job && assembly_complete (job)) {
        //  Queued or being merged already, or lost with a crash: either way
        //  the finisher has it now and will report.
        log_debug ("job=%s asked about: it is being finished", job_id);
        finisher_submit (self->finisher, job_id);
        return;
    }
    char reason[CHORD_REASON_MAX];
    if (job)
        snprintf (reason, sizeof reason,
                  "the sink's spool holds %u of the job's %u chunks: chunks "
                  "it had stored are gone",
                  assembly_present (job), assembly_chunk_count (job));
    else if (chord_cancelled (self->chord, job_id))
        snprintf (reason, sizeof reason,
                  "the sink has dropped the job as "
                  "cancelled");
    else
        snprintf (reason, sizeof reason,
                  "the sink has no record of the job: its spool was lost or "
                  "replaced");
    log_error ("job=%s failed: %s", job_id, reason);
    if (job)
        chord_fail (self->chord, job_id, reason);
    s_send_failed (self, job_id, reason);
}

static int
s_on_result (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    s_sink_t *self = arg;
    wire_t *msg = wire_recv (reader);
    if (!msg)
        return 0;
    if (wire_id (msg) == WIRE_RESULT)
        s_on_chunk (self, msg);
    else if (wire_id (msg) == WIRE_OUTPUT)
        finisher_output (self->finisher, wire_job_id (msg), wire_key (msg),
                         wire_filename (msg));
    else if (wire_id (msg) == WIRE_CANCEL) {
        finisher_cancel (self->finisher, wire_job_id (msg));
        chord_cancel (self->chord, wire_job_id (msg));
    } else if (wire_id (msg) == WIRE_QUERY)
        s_on_query (self, wire_job_id (msg));
    else
        log_warning ("dropped %s: not a message for the sink",
                     wire_command (msg));
    wire_destroy (&msg);
    return 0;
}

static int
s_on_finisher (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    (void)reader;
    s_sink_t *self = arg;
    wire_t *event = finisher_recv (self->finisher);
    if (!event)
        return 0;
    if (wire_id (event) != WIRE_JOB_STATE)
        chord_forget (self->chord, wire_job_id (event));
    s_send (self, &event);
    return 0;
}

static int
s_on_signal_check (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    (void) arg;
    return 0;
}

int
main (int argc, char *argv[])
{
    const char *results_endpoint =
        options_env_or ("PDFPIPE_SINK_RESULTS", S_RESULTS_DEFAULT);
    const char *events_endpoint =
        options_env_or ("PDFPIPE_EVENTS", S_EVENTS_DEFAULT);
    const char *spool_dir = S_SPOOL_DEFAULT;
    const char *store_url = options_env_or ("PDFPIPE_STORE", S_STORE_DEFAULT);
    bool verbose = false;

    static const struct option options[] = {
        {"results", required_argument, NULL, 'r'},
        {"events", required_argument, NULL, 'e'},
        {"spool", required_argument, NULL, 's'},
        {"store", required_argument, NULL, 'o'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    while (true) {
        int option = getopt_long (argc, argv, "", options, NULL);
        if (option == -1)
            break;
        if (option == 'r')
            results_endpoint = optarg;
        else if (option == 'e')
            events_endpoint = optarg;
        else if (option == 's')
            spool_dir = optarg;
        else if (option == 'o')
            store_url = optarg;
        else if (option == 'v')
            verbose = true;
        else if (option == 'h') {
            s_usage (stdout);
            return EXIT_SUCCESS;
        } else {
            s_usage (stderr);
            return EXIT_FAILURE;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "pdfpipe-sink: unexpected argument '%s'\n",
                 argv[optind]);
        s_usage (stderr);
        return EXIT_FAILURE;
    }
    log_init ("pdfpipe-sink", verbose);

    int rc = EXIT_FAILURE;
    s_sink_t sink = {NULL, NULL, NULL};
    zsock_t *results = NULL;
    zloop_t *loop = NULL;
    sink.chord = chord_new (spool_dir);
    if (!sink.chord)
        goto cleanup;
    sink.finisher = finisher_new (spool_dir, store_url);
    if (!sink.finisher)
        goto cleanup;
    results = zsock_new (ZMQ_PULL);
    zsock_set_rcvhwm (results, S_RESULTS_RCVHWM);
    //  A frame over the chunk limit is refused by ZeroMQ itself, before it
    //  takes any memory.
    zsock_set_maxmsgsize (results, (int)PROTO_RESULT_BYTES_MAX);
    if (zsock_bind (results, "%s", results_endpoint) == -1) {
        log_error ("cannot bind results endpoint %s: %s", results_endpoint,
                   zmq_strerror (zmq_errno ()));
        goto cleanup;
    }
    sink.events = zsock_new (ZMQ_PUSH);
    zsock_set_sndhwm (sink.events, S_EVENTS_SNDHWM);
    zsock_set_sndtimeo (sink.events, S_EVENTS_SNDTIMEO_MS);
    zsock_set_heartbeat_ivl (sink.events, PROTO_ZMTP_HEARTBEAT_IVL_MS);
    zsock_set_heartbeat_timeout (sink.events, PROTO_ZMTP_HEARTBEAT_TIMEOUT_MS);
    if (zsock_connect (sink.events, "%s", events_endpoint) == -1) {
        log_error ("cannot connect to events endpoint %s: %s", events_endpoint,
                   zmq_strerror (zmq_errno ()));
        goto cleanup;
    }
    log_info ("results on %s, events to %s, spool %s, store %s",
              results_endpoint, events_endpoint, spool_dir, store_url);
    s_replay (&sink);

    loop = zloop_new ();
    zloop_reader (loop, results, s_on_result, &sink);
    zloop_reader (loop, finisher_sock (sink.finisher), s_on_finisher, &sink);
    zloop_timer (loop, S_SIGNAL_CHECK_MS, 0, s_on_signal_check, NULL);
    zloop_start (loop);
    log_info ("shutting down%s", finisher_busy (sink.finisher)
                                     ? ": waiting for the merge in progress"
                                     : "");
    rc = EXIT_SUCCESS;

cleanup:
    zloop_destroy (&loop);
    zsock_destroy (&sink.events);
    zsock_destroy (&results);
    finisher_destroy (&sink.finisher);
    chord_destroy (&sink.chord);
    return rc;
}
