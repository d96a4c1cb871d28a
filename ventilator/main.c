/*  pdfpipe-ventilator - HTTP API, job store and chunk dispatch.

    main() shows the whole process: the HTTP API (its own thread, see
    httpapi), and one zloop with every socket and timer:
      dispatch  ROUTER, bound; workers ask for chunks (READY), say they are
                alive (HEARTBEAT) and report failures (CHUNK_FAILED)
      events    PULL, bound; the sink reports stored chunks and job states
      api       PULL, inproc; the HTTP thread announces accepted (NEW) and
                cancelled (CANCEL) jobs
      sink      PUSH, connected to the sink's results socket; carries CANCEL,
                and OUTPUT (where a job's result goes) once its chunks are
                all stored
      tick      timer; chunk deadlines, worker expiry (a dead worker's
                chunks go out again at once), and QUERY to the sink for
                jobs whose chunks are all stored but whose outcome has not
                arrived (it may have been lost with a restart)
      rescan    timer; picks up stored jobs the loop has not heard of
    Job state lives in the job store; the scheduler decides dispatch. After
    every event the loop dispatches as many chunks as workers have credits
    for.

    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <getopt.h>

#include "httpapi.h"
#include "jobstore.h"
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
#define VENTILATOR_MAX_BODY_MB 64
#define VENTILATOR_TICK_MS 250
#define VENTILATOR_RESCAN_MS 5000
#define VENTILATOR_SINK_SNDHWM 10000

typedef struct {
    const char *http_address;
    int http_port;
    const char *dispatch_endpoint;
    const char *events_endpoint;
    const char *sink_endpoint;
    const char *data_dir;
    long max_body_mb;
    scheduler_config_t scheduler;
    bool verbose;
} s_options_t;

typedef struct {
    jobstore_t *jobstore;
    scheduler_t *scheduler;
    zhashx_t *templates; // job id -> template JSON (char *), jobs in flight
    zsock_t *dispatch;
    zsock_t *sink;
} s_ventilator_t;

static void
s_usage (FILE *stream)
{
    fprintf (
        stream,
        "usage: pdfpipe-ventilator [OPTIONS]\n"
        "\n"
        "Accepts jobs over HTTP, stores them durably and hands their "
        "page-range\n"
        "chunks to workers as fast as the workers ask for them.\n"
        "\n"
        "  --http-address ADDR    address the HTTP API listens on (127.0.0.1)\n"
        "  --http-port PORT       HTTP port (env PDFPIPE_HTTP_PORT, 8080; 0 = "
        "any)\n"
        "  --dispatch ENDPOINT    ZeroMQ endpoint workers connect to\n"
        "                         (env PDFPIPE_DISPATCH, " VENTILATOR_DISPATCH
        ")\n"
        "  --events ENDPOINT      ZeroMQ endpoint the sink connects to\n"
        "                         (env PDFPIPE_EVENTS, " VENTILATOR_EVENTS ")\n"
        "  --sink ENDPOINT        the sink's results endpoint, for "
        "cancellations\n"
        "                         (env PDFPIPE_SINK, " VENTILATOR_SINK ")\n"
        "  --data-dir DIR         where the job database lives\n"
        "                         (env PDFPIPE_DATA_DIR, " VENTILATOR_DATA_DIR
        ")\n"
        "  --max-body-mb N        largest job document accepted, MiB (64)\n"
        "  --max-attempts N       attempts per chunk before its job fails (4)\n"
        "  --deadline-ms N        base wait for a chunk's result, ms (30000)\n"
        "  --deadline-per-page-ms N  added per page of the chunk, ms (50)\n"
        "  --worker-expiry-ms N   silence after which a worker is dead and\n"
        "                         its chunks go to others, ms (5000)\n"
        "  --verbose              debug logging\n"
        "  --help                 this text\n");
}

static int
s_parse_options (int argc, char *argv[], s_options_t *options)
{
    long port = 0;
    if (options_parse_long (
            options_env_or ("PDFPIPE_HTTP_PORT", PROTO_HTTP_PORT), 0, 65535,
            &port)) {
        fprintf (stderr, "pdfpipe-ventilator: PDFPIPE_HTTP_PORT must be a "
                         "port number\n");
        return -1;
    }
    *options = (s_options_t){
        .http_address = "127.0.0.1",
        .http_port = (int)port,
        .dispatch_endpoint =
            options_env_or ("PDFPIPE_DISPATCH", VENTILATOR_DISPATCH),
        .events_endpoint = options_env_or ("PDFPIPE_EVENTS", VENTILATOR_EVENTS),
        .sink_endpoint = options_env_or ("PDFPIPE_SINK", VENTILATOR_SINK),
        .data_dir = options_env_or ("PDFPIPE_DATA_DIR", VENTILATOR_DATA_DIR),
        .max_body_mb = VENTILATOR_MAX_BODY_MB,
        .scheduler =
            {
                .max_attempts = SCHEDULER_MAX_ATTEMPTS,
                .deadline_base_ms = SCHEDULER_DEADLINE_BASE_MS,
                .deadline_per_page_ms = SCHEDULER_DEADLINE_PER_PAGE_MS,
                .worker_expiry_ms = PROTO_WORKER_EXPIRY_MS,
                .query_interval_ms = SCHEDULER_QUERY_INTERVAL_MS,
            },
    };
    static const struct option longopts[] = {
        {"http-address", required_argument, NULL, 'a'},
        {"http-port", required_argument, NULL, 'p'},
        {"dispatch", required_argument, NULL, 'd'},
        {"events", required_argument, NULL, 'e'},
        {"sink", required_argument, NULL, 's'},
        {"data-dir", required_argument, NULL, 'D'},
        {"max-body-mb", required_argument, NULL, 'b'},
        {"max-attempts", required_argument, NULL, 'm'},
        {"deadline-ms", required_argument, NULL, 't'},
        {"deadline-per-page-ms", required_argument, NULL, 'T'},
        {"worker-expiry-ms", required_argument, NULL, 'x'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int option;
    int longindex = 0;
    long value;
    while ((option = getopt_long (argc, argv, "hv", longopts, &longindex)) !=
           -1) {
        switch (option) {
        case 'a':
            options->http_address = optarg;
            break;
        case 'p':
            if (options_parse_long (optarg, 0, 65535, &value))
                goto bad_value;
            options->http_port = (int)value;
            break;
        case 'd':
            options->dispatch_endpoint = optarg;
            break;
        case 'e':
            options->events_endpoint = optarg;
            break;
        case 's':
            options->sink_endpoint = optarg;
            break;
        case 'D':
            options->data_dir = optarg;
            break;
        case 'b':
            if (options_parse_long (optarg, 1, 4096, &value))
                goto bad_value;
            options->max_body_mb = value;
            break;
        case 'm':
            if (options_parse_long (optarg, 1, 100, &value))
                goto bad_value;
            options->scheduler.max_attempts = (uint32_t)value;
            break;
        case 't':
            if (options_parse_long (optarg, 100, 86400000L, &value))
                goto bad_value;
            options->scheduler.deadline_base_ms = value;
            break;
        case 'T':
            if (options_parse_long (optarg, 0, 600000L, &value))
                goto bad_value;
            options->scheduler.deadline_per_page_ms = value;
            break;
        case 'x':
            if (options_parse_long (optarg, PROTO_WORKER_EXPIRY_MIN_MS,
                                    3600000L, &value))
                goto bad_value;
            options->scheduler.worker_expiry_ms = value;
            break;
        case 'v':
            options->verbose = true;
            break;
        case 'h':
            s_usage (stdout);
            exit (0);
        default:
            s_usage (stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "pdfpipe-ventilator: unexpected argument '%s'\n",
                 argv[optind]);
        return -1;
    }
    return 0;
bad_value:
    fprintf (stderr, "pdfpipe-ventilator: bad value '%s' for --%s\n", optarg,
             longopts[longindex].name);
    return -1;
}

//  A job has failed for good: record it, tell the sink to drop its chunks.
static void
s_job_failed (const char *job_id, const char *reason, void *arg)
{
    s_ventilator_t *self = (s_ventilator_t *)arg;
    log_info ("job=%s failed: %s", job_id, reason);
    jobstore_set_state (self->jobstore, job_id, JOB_FAILED, reason);
    scheduler_remove_job (self->scheduler, job_id);
    zhashx_delete (self->templates, job_id);
    wire_t *cancel = wire_new (WIRE_CANCEL);
    wire_set_job_id (cancel, job_id);
    wire_send (cancel, self->sink);
    wire_destroy (&cancel);
}

//  Start scheduling a stored job (new, or found at start-up).
static void
s_load_job (s_ventilator_t *self, const char *job_id)
{
    jobstore_job_t job;
    if (jobstore_job (self->jobstore, job_id, &job)) {
        log_warning ("job=%s announced but not in the job store", job_id);
        return;
    }
    if (jobstate_is_terminal (job.state) ||
        scheduler_has_job (self->scheduler, job_id))
        return;
    char *template_json = jobstore_template_json (self->jobstore, job_id);
    bool *stored = (bool *)zmalloc (job.chunk_count * sizeof (bool));
    if (!template_json ||
        jobstore_chunks_stored (self->jobstore, job_id, stored,
                                job.chunk_count) ||
        scheduler_add_job (self->scheduler, job_id, job.pages, job.chunk_pages,
                           stored)) {
        free (stored);
        free (template_json);
        s_job_failed (job_id, "internal error: cannot load the job", self);
        return;
    }
    free (stored);
    zhashx_update (self->templates, job_id, template_json);
    log_debug ("job=%s scheduled: %u pages in %u chunks (%u stored)", job_id,
               job.pages, job.chunk_count, job.chunks_done);
}

//  Send chunks for as long as workers have credit and jobs have work.
static void
s_dispatch (s_ventilator_t *self)
{
    scheduler_dispatch_t dispatch;
    while (scheduler_next (self->scheduler, zclock_mono (), &dispatch)) {
        const char *job_id = dispatch.job_id;
        char *records =
            jobstore_chunk_records (self->jobstore, job_id, dispatch.chunk_nbr);
        const char *template_json =
            (const char *)zhashx_lookup (self->templates, job_id);
        if (!records || !template_json) {
            free (records);
            zframe_destroy (&dispatch.worker);
            s_job_failed (job_id, "internal error: chunk records missing",
                          self);
            continue;
        }
        if (dispatch.first_of_job)
            jobstore_set_state (self->jobstore, job_id, JOB_RENDERING, NULL);

        wire_t *chunk = wire_new (WIRE_CHUNK);
        wire_set_routing_id (chunk, dispatch.worker);
        wire_set_job_id (chunk, job_id);
        wire_set_chunk_nbr (chunk, dispatch.chunk_nbr);
        wire_set_attempt (chunk, dispatch.attempt);
        wire_set_first_page (chunk, dispatch.first_page);
        wire_set_page_count (chunk, dispatch.page_count);
        wire_set_total_pages (chunk, dispatch.total_pages);
        wire_set_chunk_count (chunk, dispatch.chunk_count);
        wire_set_template_json (chunk, template_json);
        wire_set_records_json (chunk, records);
        free (records);
        int rc = wire_send (chunk, self->dispatch);
        log_debug ("job=%s chunk=%u attempt=%u pages %u-%u to worker=%s%s",
                   job_id, dispatch.chunk_nbr, dispatch.attempt,
                   dispatch.first_page,
                   dispatch.first_page + dispatch.page_count - 1,
                   wire_peer (chunk), rc ? " failed" : "");
        if (rc)
            //  The worker went away between its READY and now: this chunk
            //  and any other it holds go to others.
            scheduler_worker_gone (self->scheduler, dispatch.worker,
                                   "is unreachable", s_job_failed, self);
        wire_destroy (&chunk);
        zframe_destroy (&dispatch.worker);
    }
}

static int
s_on_worker (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    s_ventilator_t *self = (s_ventilator_t *)arg;
    wire_t *msg = wire_recv (reader);
    if (!msg)
        return 0;
    switch (wire_id (msg)) {
    case WIRE_READY:
        scheduler_worker_ready (self->scheduler, wire_routing_id (msg),
                                wire_credits (msg), zclock_mono ());
        break;
    case WIRE_HEARTBEAT:
        scheduler_worker_seen (self->scheduler, wire_routing_id (msg),
                               wire_credits (msg), zclock_mono ());
        break;
    case WIRE_CHUNK_FAILED:
        log_warning ("job=%s chunk=%u attempt=%u failed on worker=%s: %s",
                     wire_job_id (msg), wire_chunk_nbr (msg),
                     wire_attempt (msg), wire_peer (msg), wire_error (msg));
        scheduler_chunk_failed (self->scheduler, wire_job_id (msg),
                                wire_chunk_nbr (msg), wire_attempt (msg),
                                wire_error (msg), s_job_failed, self);
        break;
    default:
        log_warning ("dropped %s from worker=%s: not a worker message",
                     wire_command (msg), wire_peer (msg));
        break;
    }
    wire_destroy (&msg);
    s_dispatch (self);
    return 0;
}

static void
s_job_finished (s_ventilator_t *self, const char *job_id)
{
    scheduler_remove_job (self->scheduler, job_id);
    zhashx_delete (self->templates, job_id);
}

//  The sink merges a job only when it holds every chunk, so a job done
//  has them all stored, even those whose STORED was lost with a restart
//  (the sink then answers a late duplicate with the outcome instead).
static void
s_mark_all_stored (s_ventilator_t *self, const char *job_id)
{
    jobstore_job_t job;
    if (jobstore_job (self->jobstore, job_id, &job) ||
        jobstate_is_terminal (job.state) || job.chunks_done == job.chunk_count)
        return;
    bool *stored = (bool *)zmalloc (job.chunk_count * sizeof (bool));
    if (jobstore_chunks_stored (self->jobstore, job_id, stored,
                                job.chunk_count) == 0)
        for (uint32_t chunk_nbr = 0; chunk_nbr < job.chunk_count; chunk_nbr++)
            if (!stored[chunk_nbr])
                jobstore_chunk_stored (self->jobstore, job_id, chunk_nbr);
    free (stored);
}

//  Tell the sink where the job's result goes (OUTPUT): it finishes a job
//  only once it knows. Sent when the last chunk is stored and with
//  every QUERY, so a sink that restarted or missed it learns it again.
static void
s_send_output (s_ventilator_t *self, const char *job_id)
{
    char *key = NULL, *filename = NULL;
    if (jobstore_output (self->jobstore, job_id, &key, &filename))
        return;
    wire_t *output = wire_new (WIRE_OUTPUT);
    wire_set_job_id (output, job_id);
    wire_set_key (output, key);
    wire_set_filename (output, filename ? filename : "");
    if (wire_send (output, self->sink))
        log_warning ("job=%s cannot tell the sink where the result goes: %s",
                     job_id, zmq_strerror (zmq_errno ()));
    wire_destroy (&output);
    free (key);
    free (filename);
}

static int
s_on_event (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    s_ventilator_t *self = (s_ventilator_t *)arg;
    wire_t *msg = wire_recv (reader);
    if (!msg)
        return 0;
    const char *job_id = wire_job_id (msg);
    jobstate_t state;
    switch (wire_id (msg)) {
    case WIRE_STORED:
        if (jobstore_chunk_stored (self->jobstore, job_id,
                                   wire_chunk_nbr (msg)) < 0)
            log_warning ("job=%s chunk=%u: sink stored an unknown chunk",
                         job_id, wire_chunk_nbr (msg));
        else if (scheduler_chunk_stored (self->scheduler, job_id,
                                         wire_chunk_nbr (msg)) == 1) {
            log_info ("job=%s all chunks stored", job_id);
            s_send_output (self, job_id);
        }
        break;
    case WIRE_JOB_STATE:
        if (jobstate_parse (wire_state (msg), &state) == 0 &&
            (state == JOB_MERGING || state == JOB_STORING))
            jobstore_set_state (self->jobstore, job_id, state, NULL);
        else
            log_warning ("job=%s: sink sent unexpected state '%s'", job_id,
                         wire_state (msg));
        break;
    case WIRE_JOB_DONE:
        s_mark_all_stored (self, job_id);
        if (jobstore_set_result (self->jobstore, job_id, wire_location (msg),
                                 wire_bytes (msg)) == 0)
            log_info ("job=%s done: %" PRIu64 " bytes at %s", job_id,
                      wire_bytes (msg), wire_location (msg));
        s_job_finished (self, job_id);
        break;
    case WIRE_JOB_FAILED:
        log_info ("job=%s failed in the sink: %s", job_id, wire_reason (msg));
        jobstore_set_state (self->jobstore, job_id, JOB_FAILED,
                            wire_reason (msg));
        s_job_finished (self, job_id);
        break;
    default:
        log_warning ("dropped %s on the events socket: not a sink message",
                     wire_command (msg));
        break;
    }
    wire_destroy (&msg);
    s_dispatch (self);
    return 0;
}

static int
s_on_api (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    s_ventilator_t *self = (s_ventilator_t *)arg;
    char *command = NULL, *job_id = NULL;
    if (zstr_recvx (reader, &command, &job_id, NULL) < 2 || !job_id) {
        zstr_free (&command);
        zstr_free (&job_id);
        return 0;
    }
    if (streq (command, "NEW"))
        s_load_job (self, job_id);
    else if (streq (command, "CANCEL")) {
        s_job_finished (self, job_id);
        wire_t *cancel = wire_new (WIRE_CANCEL);
        wire_set_job_id (cancel, job_id);
        wire_send (cancel, self->sink);
        wire_destroy (&cancel);
    }
    zstr_free (&command);
    zstr_free (&job_id);
    s_dispatch (self);
    return 0;
}

//  Schedule every unfinished job the store has and the scheduler lacks: at
//  start-up, and now and then in case a NEW from the HTTP thread was lost.
static void
s_load_active_jobs (s_ventilator_t *self)
{
    zlist_t *active = jobstore_active (self->jobstore);
    if (!active)
        return;
    for (char *job_id = (char *)zlist_first (active); job_id;
         job_id = (char *)zlist_next (active))
        s_load_job (self, job_id);
    zlist_destroy (&active);
}

static int
s_on_rescan (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_ventilator_t *self = (s_ventilator_t *)arg;
    s_load_active_jobs (self);
    s_dispatch (self);
    return 0;
}

//  Ask the sink about jobs whose chunks are all stored and whose outcome
//  has not come: it answers with JOB_DONE or JOB_FAILED when it finished
//  them, or finishes them.
static void
s_query_sink (s_ventilator_t *self)
{
    zlist_t *due = scheduler_query_due (self->scheduler, zclock_mono ());
    for (const char *job_id = (const char *)zlist_first (due); job_id;
         job_id = (const char *)zlist_next (due)) {
        log_debug ("job=%s all chunks stored, no outcome yet: asking the sink",
                   job_id);
        wire_t *query = wire_new (WIRE_QUERY);
        wire_set_job_id (query, job_id);
        if (wire_send (query, self->sink))
            log_warning ("job=%s cannot ask the sink: %s", job_id,
                         zmq_strerror (zmq_errno ()));
        wire_destroy (&query);
        //  After the QUERY, which makes a sink that lost the job's
        //  completion wait for exactly this.
        s_send_output (self, job_id);
    }
    zlist_destroy (&due);
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_ventilator_t *self = (s_ventilator_t *)arg;
    scheduler_expire (self->scheduler, zclock_mono (), s_job_failed, self);
    s_query_sink (self);
    s_dispatch (self);
    return 0;
}

static void
s_free_string (void **item)
{
    free (*item);
    *item = NULL;
}

int
main (int argc, char *argv[])
{
    s_options_t options;
    if (s_parse_options (argc, argv, &options))
        return 2;
    log_init ("pdfpipe-ventilator", options.verbose);

    int rc = 1;
    s_ventilator_t self = {0};
    httpapi_t *httpapi = NULL;
    zloop_t *loop = NULL;
    zsock_t *events = NULL, *api = NULL;

    self.jobstore = jobstore_open (options.data_dir);
    if (!self.jobstore)
        goto cleanup;
    self.scheduler = scheduler_new (&options.scheduler);
    self.templates = zhashx_new ();
    zhashx_set_destructor (self.templates, s_free_string);

    self.dispatch = zsock_new (ZMQ_ROUTER);
    //  Sending to a worker that has gone must fail, not vanish silently.
    zsock_set_router_mandatory (self.dispatch, 1);
    //  A worker that reconnects (its old connection not yet known dead)
    //  is heard on the new one at once rather than refused; what was lost
    //  on the old one is found by the HEARTBEAT rule (scheduler.h).
    zsock_set_router_handover (self.dispatch, 1);
    if (zsock_bind (self.dispatch, "%s", options.dispatch_endpoint) < 0) {
        log_error ("cannot bind dispatch endpoint %s: %s",
                   options.dispatch_endpoint, zmq_strerror (zmq_errno ()));
        goto cleanup;
    }
    events = zsock_new (ZMQ_PULL);
    if (zsock_bind (events, "%s", options.events_endpoint) < 0) {
        log_error ("cannot bind events endpoint %s: %s",
                   options.events_endpoint, zmq_strerror (zmq_errno ()));
        goto cleanup;
    }
    self.sink = zsock_new (ZMQ_PUSH);
    //  CANCEL and QUERY wait here while the sink is away; when even this
    //  is full they are dropped rather than block the loop (a QUERY is
    //  repeated, and the sink drops late chunks of a job it finished).
    zsock_set_sndhwm (self.sink, VENTILATOR_SINK_SNDHWM);
    zsock_set_sndtimeo (self.sink, 0);
    zsock_set_heartbeat_ivl (self.sink, PROTO_ZMTP_HEARTBEAT_IVL_MS);
    zsock_set_heartbeat_timeout (self.sink, PROTO_ZMTP_HEARTBEAT_TIMEOUT_MS);
    if (zsock_connect (self.sink, "%s", options.sink_endpoint) < 0) {
        log_error ("bad sink endpoint %s", options.sink_endpoint);
        goto cleanup;
    }
    api = zsock_new_pull ("@" VENTILATOR_API_ENDPOINT);
    assert (api);

    httpapi_config_t http_config = {
        .port = (uint16_t)options.http_port,
        .address = options.http_address,
        .data_dir = options.data_dir,
        .max_body_bytes = (size_t)options.max_body_mb * 1024 * 1024,
        .notify_endpoint = VENTILATOR_API_ENDPOINT,
    };
    httpapi = httpapi_new (&http_config);
    if (!httpapi)
        goto cleanup;
    log_info ("API at http://%s:%u/ dispatch=%s events=%s sink=%s data=%s",
              options.http_address, httpapi_port (httpapi),
              options.dispatch_endpoint, options.events_endpoint,
              options.sink_endpoint, options.data_dir);

    //  Jobs accepted before a restart carry on where they stopped.
    s_load_active_jobs (&self);

    loop = zloop_new ();
    zloop_reader (loop, self.dispatch, s_on_worker, &self);
    zloop_reader (loop, events, s_on_event, &self);
    zloop_reader (loop, api, s_on_api, &self);
    zloop_timer (loop, VENTILATOR_TICK_MS, 0, s_on_tick, &self);
    zloop_timer (loop, VENTILATOR_RESCAN_MS, 0, s_on_rescan, &self);
    zloop_start (loop);
    log_info ("shutting down");
    rc = 0;

cleanup:
    zloop_destroy (&loop);
    httpapi_destroy (&httpapi);
    zsock_destroy (&api);
    zsock_destroy (&self.sink);
    zsock_destroy (&events);
    zsock_destroy (&self.dispatch);
    zhashx_destroy (&self.templates);
    scheduler_destroy (&self.scheduler);
    jobstore_destroy (&self.jobstore);
    return rc;
}
