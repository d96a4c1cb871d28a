/*  pdfpipe-worker - renders the page-range chunks the ventilator hands out.

    Connects out to the ventilator (DEALER: sends READY, HEARTBEAT and
    CHUNK_FAILED, receives CHUNK) and to the sink (PUSH: sends RESULT), so
    adding a worker on any host needs no change elsewhere. It renders one
    chunk at a time, inside the handler, so it has one slot: it asks for one
    chunk with READY at start and after each chunk, and repeats its free
    credits in a HEARTBEAT whenever it has been silent for
    WORKER_HEARTBEAT_INTERVAL_MS. While a chunk renders it sends nothing;
    the ventilator judges a busy worker by the chunk's deadline.

    The worker keeps nothing between chunks except caches of immutable
    things (the last parsed template, the renderer's fonts). A chunk that
    cannot be rendered is answered with CHUNK_FAILED; a result that cannot
    be delivered is logged and left to the ventilator's re-dispatch.

    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fielderr.h"
#include "jobspec.h"
#include "log.h"
#include "render.h"
#include "template.h"
#include "wire.h"

#define WORKER_VENTILATOR_DEFAULT "tcp://127.0.0.1:5557"
#define WORKER_SINK_DEFAULT "tcp://127.0.0.1:5559"
//  Silence after which the worker repeats its credits; the ventilator
//  counts a worker as gone after several missed intervals.
#define WORKER_HEARTBEAT_INTERVAL_MS 1000
//  Chunks rendered at once: rendering runs inside the loop.
#define WORKER_SLOTS 1
//  A result sent just before exit still reaches the sink.
#define WORKER_SINK_LINGER_MS 5000
//  Results queued while the sink is slow or away; each is a whole chunk
//  PDF, so few. Beyond this the send waits, which also stops the worker
//  taking more chunks it could not deliver.
#define WORKER_SINK_SNDHWM 4
//  Control messages queued while the ventilator is away. They are never
//  waited for: a dropped one is repeated by the next heartbeat.
#define WORKER_VENTILATOR_SNDHWM 100
//  Bytes of --name kept in the routing id (ZeroMQ allows 255).
#define WORKER_ROUTING_NAME_MAX 64

typedef struct {
    const char *ventilator; // endpoint
    const char *sink;       // endpoint
    char name[128];
    bool verbose;
} s_options_t;

//  The last template parsed. Consecutive chunks are usually of one job and
//  carry the same text, which is the key: equal text is an equal template.
typedef struct {
    char *json;
    template_t *tpl;
} s_template_cache_t;

static void
s_usage (FILE *stream)
{
    fprintf (
        stream,
        "Usage: pdfpipe-worker [OPTION]...\n"
        "Render the chunks the pdfpipe ventilator hands out and push each\n"
        "chunk PDF to the sink.\n"
        "\n"
        "  --ventilator ENDPOINT  ventilator to take chunks from\n"
        "                         (default $PDFPIPE_VENTILATOR, "
        "else " WORKER_VENTILATOR_DEFAULT ")\n"
        "  --sink ENDPOINT        sink to push rendered chunks to\n"
        "                         (default $PDFPIPE_SINK, "
        "else " WORKER_SINK_DEFAULT ")\n"
        "  --name NAME            name in log lines and in the routing id\n"
        "                         (default worker-PID)\n"
        "  --verbose              print debug lines\n"
        "  --help                 print this help and exit\n"
        "\n"
        "Stops cleanly on SIGINT or SIGTERM after the chunk in progress.\n");
}

//  Returns 0 to run, 1 to exit successfully (--help), 2 on a usage error.
static int
s_options_parse (int argc, char *argv[], s_options_t *options)
{
    static const struct option long_options[] = {
        {"ventilator", required_argument, NULL, 'V'},
        {"sink", required_argument, NULL, 'S'},
        {"name", required_argument, NULL, 'N'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    options->ventilator = getenv ("PDFPIPE_VENTILATOR");
    if (!options->ventilator || !*options->ventilator)
        options->ventilator = WORKER_VENTILATOR_DEFAULT;
    options->sink = getenv ("PDFPIPE_SINK");
    if (!options->sink || !*options->sink)
        options->sink = WORKER_SINK_DEFAULT;
    snprintf (options->name, sizeof (options->name), "worker-%ld",
              (long)getpid ());
    options->verbose = false;

    while (true) {
        int option = getopt_long (argc, argv, "", long_options, NULL);
        if (option == -1)
            break;
        switch (option) {
        case 'V':
            options->ventilator = optarg;
            break;
        case 'S':
            options->sink = optarg;
            break;
        case 'N':
            if (!*optarg) {
                fprintf (stderr, "pdfpipe-worker: --name must not be empty\n");
                s_usage (stderr);
                return 2;
            }
            snprintf (options->name, sizeof (options->name), "%s", optarg);
            break;
        case 'v':
            options->verbose = true;
            break;
        case 'h':
            s_usage (stdout);
            return 1;
        default:
            s_usage (stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "pdfpipe-worker: unexpected argument '%s'\n",
                 argv[optind]);
        s_usage (stderr);
        return 2;
    }
    return 0;
}

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

//  The template for this text, parsed only when it differs from the last.
//  Borrowed from the cache. Returns NULL and fills err on a bad template.
static const template_t *
s_template_get (s_template_cache_t *cache, const char *json, fielderr_t *err)
{
    if (cache->json && strcmp (cache->json, json) == 0)
        return cache->tpl;
    template_t *tpl = template_parse_text (json, strlen (json), err);
    if (!tpl)
        return NULL;
    log_debug ("parsed a new template (%zu bytes)", strlen (json));
    char *json_copy = strdup (json);
    if (!json_copy) {
        template_destroy (&tpl);
        fielderr_set (err, "template", "out of memory");
        return NULL;
    }
    template_destroy (&cache->tpl);
    free (cache->json);
    cache->tpl = tpl;
    cache->json = json_copy;
    return tpl;
}

static void
s_template_cache_empty (s_template_cache_t *cache)
{
    template_destroy (&cache->tpl);
    free (cache->json);
    cache->json = NULL;
}

//  Checks what render cannot: that the chunk's numbers agree with each
//  other. Returns 0, or -1 with the reason in err.
static int
s_chunk_check (const wire_t *chunk, fielderr_t *err)
{
    uint32_t first_page = wire_first_page (chunk);
    uint32_t page_count = wire_page_count (chunk);
    uint32_t total_pages = wire_total_pages (chunk);
    if (page_count < 1 || page_count > JOBSPEC_CHUNK_PAGES_MAX) {
        fielderr_set (err, "page_count", "%" PRIu32 " is not in 1..%d",
                      page_count, JOBSPEC_CHUNK_PAGES_MAX);
        return -1;
    }
    if (first_page < 1) {
        fielderr_set (err, "first_page", "must be at least 1");
        return -1;
    }
    if ((uint64_t)first_page + page_count - 1 > total_pages) {
        fielderr_set (
            err, "",
            "pages %" PRIu32 "-%" PRIu64 " lie beyond total_pages %" PRIu32,
            first_page, (uint64_t)first_page + page_count - 1, total_pages);
        return -1;
    }
    return 0;
}

//  Render a chunk. Returns the PDF frame, or NULL with the reason in err.
static zframe_t *
s_chunk_render (const wire_t *chunk, s_template_cache_t *templates,
                render_t *render, fielderr_t *err)
{
    if (s_chunk_check (chunk, err))
        return NULL;
    const template_t *tpl =
        s_template_get (templates, wire_template_json (chunk), err);
    if (!tpl)
        return NULL;
    const char *records_json = wire_records_json (chunk);
    fielderr_t parse_err;
    cJSON *records = fielderr_parse_json (records_json, strlen (records_json),
                                          JOBSPEC_NESTING_MAX, &parse_err);
    if (!records) {
        fielderr_set (err, "records", "%s", parse_err.message);
        return NULL;
    }
    if (!cJSON_IsArray (records)) {
        fielderr_set (err, "records", "not a JSON array");
        cJSON_Delete (records);
        return NULL;
    }
    int record_count = cJSON_GetArraySize (records);
    if (record_count < 0 || (uint32_t)record_count != wire_page_count (chunk)) {
        fielderr_set (err, "records",
                      "%d records for page_count %" PRIu32 " (one page each)",
                      record_count, wire_page_count (chunk));
        cJSON_Delete (records);
        return NULL;
    }
    //  One page per record: global page p shows job record p - 1.
    uint32_t record_nbr = wire_first_page (chunk) - 1;
    const cJSON *record;
    cJSON_ArrayForEach (record, records)
    {
        if (!cJSON_IsObject (record)) {
            char field[FIELDERR_FIELD_MAX];
            snprintf (field, sizeof (field), "records[%" PRIu32 "]",
                      record_nbr);
            fielderr_set (err, field, "must be an object");
            cJSON_Delete (records);
            return NULL;
        }
        record_nbr++;
    }
    render_range_t range = {
        .first_page = wire_first_page (chunk),
        .total_pages = wire_total_pages (chunk),
        .first_record = wire_first_page (chunk) - 1,
    };
    zframe_t *pdf = NULL;
    render_chunk (render, tpl, records, &range, &pdf, err);
    cJSON_Delete (records);
    return pdf;
}

static void
s_send_result (const wire_t *chunk, zframe_t **pdf_p, zsock_t *sink)
{
    wire_t *result = wire_new (WIRE_RESULT);
    wire_set_job_id (result, wire_job_id (chunk));
    wire_set_chunk_nbr (result, wire_chunk_nbr (chunk));
    wire_set_attempt (result, wire_attempt (chunk));
    wire_set_first_page (result, wire_first_page (chunk));
    wire_set_page_count (result, wire_page_count (chunk));
    wire_set_total_pages (result, wire_total_pages (chunk));
    wire_set_chunk_count (result, wire_chunk_count (chunk));
    wire_set_pdf (result, pdf_p);
    if (wire_send (result, sink))
        log_error ("job=%s chunk=%" PRIu32 " could not send the result to "
                   "the sink: %s; the ventilator will re-dispatch it",
                   wire_job_id (chunk), wire_chunk_nbr (chunk),
                   zmq_strerror (zmq_errno ()));
    wire_destroy (&result);
}

static void
s_send_failed (const wire_t *chunk, const fielderr_t *err, zsock_t *ventilator)
{
    char text[FIELDERR_FIELD_MAX + FIELDERR_MESSAGE_MAX + 2];
    fielderr_format (err, text, sizeof (text));
    log_warning ("job=%s chunk=%" PRIu32 " attempt=%" PRIu32 " failed: %s",
                 wire_job_id (chunk), wire_chunk_nbr (chunk),
                 wire_attempt (chunk), text);
    wire_t *failed = wire_new (WIRE_CHUNK_FAILED);
    wire_set_job_id (failed, wire_job_id (chunk));
    wire_set_chunk_nbr (failed, wire_chunk_nbr (chunk));
    wire_set_attempt (failed, wire_attempt (chunk));
    wire_set_text (failed, text);
    if (wire_send (failed, ventilator))
        log_warning ("job=%s chunk=%" PRIu32 " could not report the failure "
                     "to the ventilator",
                     wire_job_id (chunk), wire_chunk_nbr (chunk));
    wire_destroy (&failed);
}

//  READY or HEARTBEAT with our free slots. Between chunks all are free.
static void
s_send_credits (wire_id_t id, zsock_t *ventilator)
{
    wire_t *message = wire_new (id);
    wire_set_credits (message, WORKER_SLOTS);
    if (wire_send (message, ventilator))
        log_debug ("could not send %s: ventilator unreachable",
                   wire_command (message));
    wire_destroy (&message);
}

static void
s_handle_chunk (const wire_t *chunk, s_template_cache_t *templates,
                render_t *render, zsock_t *ventilator, zsock_t *sink)
{
    int64_t started = zclock_mono ();
    fielderr_t err = {"", ""};
    zframe_t *pdf = s_chunk_render (chunk, templates, render, &err);
    if (!pdf) {
        s_send_failed (chunk, &err, ventilator);
        return;
    }
    size_t pdf_size = zframe_size (pdf);
    s_send_result (chunk, &pdf, sink);
    log_info ("job=%s chunk=%" PRIu32 " pages=%" PRIu32 "-%" PRIu32
              " rendered in %d ms (%zu bytes)",
              wire_job_id (chunk), wire_chunk_nbr (chunk),
              wire_first_page (chunk),
              wire_first_page (chunk) + wire_page_count (chunk) - 1,
              (int)(zclock_mono () - started), pdf_size);
}

int
main (int argc, char *argv[])
{
    s_options_t options;
    int parsed = s_options_parse (argc, argv, &options);
    if (parsed == 1)
        return 0;
    if (parsed != 0)
        return 2;
    log_init (options.name, options.verbose);

    char routing_id[WORKER_ROUTING_NAME_MAX + 16];
    s_routing_id (options.name, routing_id, sizeof (routing_id));
    zsock_t *ventilator = zsock_new (ZMQ_DEALER);
    zsock_t *sink = zsock_new (ZMQ_PUSH);
    if (!ventilator || !sink) {
        log_error ("cannot create sockets: %s", zmq_strerror (zmq_errno ()));
        zsock_destroy (&sink);
        zsock_destroy (&ventilator);
        return 1;
    }
    zsock_set_identity (ventilator, routing_id);
    zsock_set_sndhwm (ventilator, WORKER_VENTILATOR_SNDHWM);
    zsock_set_sndtimeo (ventilator, 0);
    zsock_set_sndhwm (sink, WORKER_SINK_SNDHWM);
    zsock_set_linger (sink, WORKER_SINK_LINGER_MS);
    if (zsock_connect (ventilator, "%s", options.ventilator) ||
        zsock_connect (sink, "%s", options.sink)) {
        log_error ("cannot connect to ventilator=%s sink=%s: %s",
                   options.ventilator, options.sink,
                   zmq_strerror (zmq_errno ()));
        zsock_destroy (&sink);
        zsock_destroy (&ventilator);
        return 1;
    }
    render_t *render = render_new ();
    assert (render);
    s_template_cache_t templates = {NULL, NULL};
    zpoller_t *poller = zpoller_new (ventilator, NULL);
    assert (poller);
    log_info ("worker %s started: ventilator=%s sink=%s", routing_id,
              options.ventilator, options.sink);

    s_send_credits (WIRE_READY, ventilator);
    int64_t heartbeat_at = zclock_mono () + WORKER_HEARTBEAT_INTERVAL_MS;
    while (!zsys_interrupted) {
        int64_t wait_ms = heartbeat_at - zclock_mono ();
        void *which = zpoller_wait (poller, wait_ms > 0 ? (int)wait_ms : 0);
        if (zpoller_terminated (poller))
            break;
        if (which == ventilator) {
            wire_t *message = wire_recv (ventilator);
            if (message && wire_id (message) == WIRE_CHUNK) {
                s_handle_chunk (message, &templates, render, ventilator, sink);
                s_send_credits (WIRE_READY, ventilator);
                heartbeat_at = zclock_mono () + WORKER_HEARTBEAT_INTERVAL_MS;
            } else if (message)
                log_warning ("ignored %s from the ventilator: workers only "
                             "take CHUNK",
                             wire_command (message));
            wire_destroy (&message);
        }
        if (zclock_mono () >= heartbeat_at) {
            s_send_credits (WIRE_HEARTBEAT, ventilator);
            heartbeat_at = zclock_mono () + WORKER_HEARTBEAT_INTERVAL_MS;
        }
    }
    log_info ("worker %s stopping", routing_id);

    zpoller_destroy (&poller);
    s_template_cache_empty (&templates);
    render_destroy (&render);
    zsock_destroy (&sink);
    zsock_destroy (&ventilator);
    return 0;
}
