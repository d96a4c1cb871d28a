/*  pdfpipe-ventilator - HTTP API, job store and chunk dispatch.

    main() shows the whole process: the HTTP API (its own thread, see
    httpapi), and one zloop with every socket and timer:
      dispatch  ROUTER, bound; workers ask for chunks (READY), say they are
                alive (HEARTBEAT) and report failures (CHUNK_FAILED)
      events    PULL, bound; the sink reports stored chunks and job states
      api       PULL, inproc; the HTTP thread announces accepted (NEW) and
                cancelled (CANCEL) jobs
      sink      PUSH, connected to the sink's results socket; carries
                CANCEL, OUTPUT (where a job's result goes) and QUERY
      tick      timer; chunk deadlines, worker expiry, and QUERY to the
                sink for jobs whose outcome is overdue
      rescan    timer; picks up stored jobs the loop has not heard of
    Job state lives in the job store; the scheduler decides dispatch; the
    lifecycle holds the rules that join the two and says what to send, so
    each handler here receives a message and hands it on. After every
    event the loop dispatches as many chunks as workers have credits for.

    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>

#include "httpapi.h"
#include "jobstore.h"
#include "lifecycle.h"
#include "log.h"
#include "options.h"
#include "proto.h"
#include "scheduler.h"
#include "wire.h"

#define VENTILATOR_DISPATCH PROTO_DISPATCH_ENDPOINT
#define VENTILATOR_EVENTS PROTO_EVENTS_ENDPOINT
#define VENTILATOR_SINK PROTO_RESULTS_ENDPOINT
#define VENTILATOR_DATA_DIR "./pdfpipe-data/ventilator"
#define VENTILATOR_API_ENDPOINT "inproc://pdfpipe-api"
//  Under the data directory: each job's records file (ventilator/recordfile),
//  and uploads as they arrive (ventilator/intake).
#define VENTILATOR_JOBS_DIR "jobs"
#define VENTILATOR_SPOOL_DIR "uploads"
//  Job documents are spooled to disk as they arrive: the limit is a disk
//  quota (a 1,000,000-page job of plain records is well below it).
#define VENTILATOR_MAX_BODY_MB 2048
#define VENTILATOR_MIN_FREE_DISK_MB 512
#define VENTILATOR_TICK_MS 250
#define VENTILATOR_RESCAN_MS 5000
#define VENTILATOR_SINK_SNDHWM 10000

//  The command line: defaults here, the rest from options_parse.
static struct {
    const char *http_address;
    long http_port;
    const char *dispatch_endpoint;
    const char *events_endpoint;
    const char *sink_endpoint;
    const char *data_dir;
    long max_body_mb;
    long min_free_disk_mb;
    long max_attempts;
    long deadline_base_ms;
    long deadline_per_page_ms;
    long worker_expiry_ms;
    bool verbose;
} s_options = {
    .http_address = "127.0.0.1",
    .http_port = PROTO_HTTP_PORT_NBR,
    .dispatch_endpoint = VENTILATOR_DISPATCH,
    .events_endpoint = VENTILATOR_EVENTS,
    .sink_endpoint = VENTILATOR_SINK,
    .data_dir = VENTILATOR_DATA_DIR,
    .max_body_mb = VENTILATOR_MAX_BODY_MB,
    .min_free_disk_mb = VENTILATOR_MIN_FREE_DISK_MB,
    .max_attempts = SCHEDULER_MAX_ATTEMPTS,
    .deadline_base_ms = SCHEDULER_DEADLINE_BASE_MS,
    .deadline_per_page_ms = SCHEDULER_DEADLINE_PER_PAGE_MS,
    .worker_expiry_ms = PROTO_WORKER_EXPIRY_MS,
};

static const options_spec_t s_option_table[] = {
    OPTIONS_TEXT ("http-address", &s_options.http_address, "ADDR", NULL,
                  "address the HTTP API listens on"),
    OPTIONS_NUMBER ("http-port", &s_options.http_port, "PORT", 0, 65535,
                    "PDFPIPE_HTTP_PORT", "HTTP port; 0 = any"),
    OPTIONS_TEXT ("dispatch", &s_options.dispatch_endpoint, "ENDPOINT",
                  "PDFPIPE_DISPATCH", "ZeroMQ endpoint workers connect to"),
    OPTIONS_TEXT ("events", &s_options.events_endpoint, "ENDPOINT",
                  "PDFPIPE_EVENTS", "ZeroMQ endpoint the sink connects to"),
    OPTIONS_TEXT ("sink", &s_options.sink_endpoint, "ENDPOINT", "PDFPIPE_SINK",
                  "the sink's results endpoint, for cancellations"),
    OPTIONS_TEXT ("data-dir", &s_options.data_dir, "DIR", "PDFPIPE_DATA_DIR",
                  "where the job database, records and uploads live"),
    OPTIONS_NUMBER ("max-body-mb", &s_options.max_body_mb, "N", 1, 1048576,
                    NULL,
                    "largest job document accepted, MiB; a disk quota:\n"
                    "documents are spooled to disk as they arrive"),
    OPTIONS_NUMBER ("min-free-disk-mb", &s_options.min_free_disk_mb, "N", 0,
                    1048576, NULL,
                    "disk space an upload must leave free in the\ndata "
                    "directory, MiB"),
    OPTIONS_NUMBER ("max-attempts", &s_options.max_attempts, "N", 1, 100, NULL,
                    "attempts per chunk before its job fails"),
    OPTIONS_NUMBER ("deadline-ms", &s_options.deadline_base_ms, "N", 100,
                    86400000L, NULL, "base wait for a chunk's result, ms"),
    OPTIONS_NUMBER ("deadline-per-page-ms", &s_options.deadline_per_page_ms,
                    "N", 0, 600000L, NULL, "added per page of the chunk, ms"),
    //  Workers heartbeat every second: below PROTO_WORKER_EXPIRY_MIN_MS a
    //  busy host would lose live workers.
    OPTIONS_NUMBER ("worker-expiry-ms", &s_options.worker_expiry_ms, "N",
                    PROTO_WORKER_EXPIRY_MIN_MS, 3600000L, NULL,
                    "silence after which a worker is dead and its chunks "
                    "go to others, ms"),
    OPTIONS_FLAG ("verbose", 'v', &s_options.verbose, "debug logging"),
    OPTIONS_END,
};

static const options_program_t s_program = {
    .name = "pdfpipe-ventilator",
    .purpose = "Accepts jobs over HTTP, stores them durably and hands their "
               "page-range\nchunks to workers as fast as they ask for them.",
    .options = s_option_table,
};

//  A lifecycle_send_fn: socket is the zsock_t to send on.
static int
s_send (wire_t *message, void *socket)
{
    return wire_send (message, (zsock_t *)socket);
}

static int
s_on_worker (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    lifecycle_t *lifecycle = (lifecycle_t *)arg;
    wire_t *message = wire_recv (reader);
    if (!message)
        return 0;
    lifecycle_worker_message (lifecycle, message, zclock_mono ());
    wire_destroy (&message);
    lifecycle_dispatch (lifecycle, zclock_mono ());
    return 0;
}

static int
s_on_event (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    lifecycle_t *lifecycle = (lifecycle_t *)arg;
    wire_t *message = wire_recv (reader);
    if (!message)
        return 0;
    lifecycle_sink_message (lifecycle, message);
    wire_destroy (&message);
    lifecycle_dispatch (lifecycle, zclock_mono ());
    return 0;
}

static int
s_on_api (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    lifecycle_t *lifecycle = (lifecycle_t *)arg;
    char *command = NULL, *job_id = NULL;
    int frames = zstr_recvx (reader, &command, &job_id, NULL);
    if (frames >= 2 && job_id && streq (command, "NEW"))
        lifecycle_load (lifecycle, job_id);
    else if (frames >= 2 && job_id && streq (command, "CANCEL"))
        lifecycle_cancel (lifecycle, job_id);
    zstr_free (&command);
    zstr_free (&job_id);
    lifecycle_dispatch (lifecycle, zclock_mono ());
    return 0;
}

static int
s_on_rescan (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    lifecycle_t *lifecycle = (lifecycle_t *)arg;
    lifecycle_load_active (lifecycle);
    lifecycle_dispatch (lifecycle, zclock_mono ());
    return 0;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    lifecycle_t *lifecycle = (lifecycle_t *)arg;
    int64_t now = zclock_mono ();
    lifecycle_expire (lifecycle, now);
    lifecycle_query_sink (lifecycle, now);
    lifecycle_dispatch (lifecycle, now);
    return 0;
}

int
main (int argc, char *argv[])
{
    int parsed = options_parse (&s_program, argc, argv);
    if (parsed != OPTIONS_RUN)
        return parsed;
    log_init ("pdfpipe-ventilator", s_options.verbose);

    int rc = 1;
    jobstore_t *jobstore = NULL;
    scheduler_t *scheduler = NULL;
    lifecycle_t *lifecycle = NULL;
    httpapi_t *httpapi = NULL;
    zloop_t *loop = NULL;
    zsock_t *dispatch = NULL, *events = NULL, *sink = NULL, *api = NULL;
    char *jobs_dir = NULL, *spool_dir = NULL;

    jobstore = jobstore_open (s_options.data_dir);
    if (!jobstore)
        goto cleanup;
    scheduler_config_t scheduler_config = {
        .max_attempts = (uint32_t)s_options.max_attempts,
        .deadline_base_ms = s_options.deadline_base_ms,
        .deadline_per_page_ms = s_options.deadline_per_page_ms,
        .worker_expiry_ms = s_options.worker_expiry_ms,
    };
    scheduler = scheduler_new (&scheduler_config);

    dispatch = zsock_new (ZMQ_ROUTER);
    //  Sending to a worker that has gone must fail, not vanish silently.
    zsock_set_router_mandatory (dispatch, 1);
    //  A worker that reconnects (its old connection not yet known dead)
    //  is heard on the new one at once rather than refused; what was lost
    //  on the old one is found by the HEARTBEAT rule (scheduler.h).
    zsock_set_router_handover (dispatch, 1);
    if (zsock_bind (dispatch, "%s", s_options.dispatch_endpoint) < 0) {
        log_error ("cannot bind dispatch endpoint %s: %s",
                   s_options.dispatch_endpoint, zmq_strerror (zmq_errno ()));
        goto cleanup;
    }
    events = zsock_new (ZMQ_PULL);
    if (zsock_bind (events, "%s", s_options.events_endpoint) < 0) {
        log_error ("cannot bind events endpoint %s: %s",
                   s_options.events_endpoint, zmq_strerror (zmq_errno ()));
        goto cleanup;
    }
    sink = zsock_new (ZMQ_PUSH);
    //  CANCEL and QUERY wait here while the sink is away; when even this
    //  is full they are dropped rather than block the loop (a QUERY is
    //  repeated, and the sink drops late chunks of a job it finished).
    zsock_set_sndhwm (sink, VENTILATOR_SINK_SNDHWM);
    zsock_set_sndtimeo (sink, 0);
    zsock_set_heartbeat_ivl (sink, PROTO_ZMTP_HEARTBEAT_IVL_MS);
    zsock_set_heartbeat_timeout (sink, PROTO_ZMTP_HEARTBEAT_TIMEOUT_MS);
    if (zsock_connect (sink, "%s", s_options.sink_endpoint) < 0) {
        log_error ("bad sink endpoint %s", s_options.sink_endpoint);
        goto cleanup;
    }
    api = zsock_new_pull ("@" VENTILATOR_API_ENDPOINT);
    assert (api);
    lifecycle_sender_t sender = {s_send, dispatch, s_send, sink};
    jobs_dir = zsys_sprintf ("%s/%s", s_options.data_dir, VENTILATOR_JOBS_DIR);
    spool_dir =
        zsys_sprintf ("%s/%s", s_options.data_dir, VENTILATOR_SPOOL_DIR);
    assert (jobs_dir && spool_dir);
    lifecycle = lifecycle_new (jobstore, scheduler, &sender, jobs_dir);

    httpapi_config_t http_config = {
        .port = (uint16_t)s_options.http_port,
        .address = s_options.http_address,
        .data_dir = s_options.data_dir,
        .jobs_dir = jobs_dir,
        .spool_dir = spool_dir,
        .max_body_bytes = (size_t)s_options.max_body_mb * 1024 * 1024,
        .min_free_bytes = (uint64_t)s_options.min_free_disk_mb * 1024 * 1024,
        .notify_endpoint = VENTILATOR_API_ENDPOINT,
    };
    httpapi = httpapi_new (&http_config);
    if (!httpapi)
        goto cleanup;
    log_info ("API at http://%s:%u/ dispatch=%s events=%s sink=%s data=%s",
              s_options.http_address, httpapi_port (httpapi),
              s_options.dispatch_endpoint, s_options.events_endpoint,
              s_options.sink_endpoint, s_options.data_dir);

    //  Jobs accepted before a restart carry on where they stopped.
    lifecycle_load_active (lifecycle);

    loop = zloop_new ();
    zloop_reader (loop, dispatch, s_on_worker, lifecycle);
    zloop_reader (loop, events, s_on_event, lifecycle);
    zloop_reader (loop, api, s_on_api, lifecycle);
    zloop_timer (loop, VENTILATOR_TICK_MS, 0, s_on_tick, lifecycle);
    zloop_timer (loop, VENTILATOR_RESCAN_MS, 0, s_on_rescan, lifecycle);
    zloop_start (loop);
    log_info ("shutting down");
    rc = 0;

cleanup:
    zloop_destroy (&loop);
    httpapi_destroy (&httpapi);
    lifecycle_destroy (&lifecycle);
    zsock_destroy (&api);
    zsock_destroy (&sink);
    zsock_destroy (&events);
    zsock_destroy (&dispatch);
    scheduler_destroy (&scheduler);
    jobstore_destroy (&jobstore);
    zstr_free (&jobs_dir);
    zstr_free (&spool_dir);
    return rc;
}
