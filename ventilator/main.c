/*  pdfpipe-ventilator - HTTP API, job store and chunk dispatch.

    main() shows the whole process: the HTTP API (its own thread, see
    httpapi), and one zloop with every socket and timer:
      dispatch  ROUTER, bound; workers ask for chunks (READY), say they are
                alive (HEARTBEAT), report failures (CHUNK_FAILED) and
                ask again for a template they lack (TEMPLATE_MISS)
      events    PULL, bound; the sink reports stored chunks and job states
      api       PULL, inproc; the HTTP thread announces accepted (NEW) and
                cancelled (CANCEL) jobs
      sink      PUSH, connected to the sink's results socket; carries
                CANCEL, OUTPUT (where a job's result goes) and QUERY
      tick      timer; chunk deadlines, worker expiry, status requests
                waiting past their wait_s (ventilator/jobwatch), QUERY to
                the sink for jobs whose outcome is overdue, connecting to the
                sink again when it refused our key, the scheduler's
                figures for GET /metrics (ventilator/metrics) and the
                desired worker count to the scaler (ventilator/scaler), and
                what is in flight to the HTTP thread (ventilator/dispatchview)
      rescan    timer; picks up stored jobs the loop has not heard of,
                and ended jobs whose webhook is not due yet
      sweep     timer; deletes jobs ended longer ago than --retention-s
                (ventilator/retention)
      webhooks  timer; moves webhook deliveries on (webhook: resolving,
                curl transfers, retries), never waiting on the network
    Every ZeroMQ socket uses CURVE (common/proto/curve): dispatch and
    events let in the clients whose public certificates are in the allowed
    directory; each message's key is checked too, so dispatch hears only
    workers (a worker whose certificate was removed loses its chunks and
    gets no more) and events only the sink.
    The HTTP API's tokens (--tokens, ventilator/tokens) are loaded here,
    once, before anything is served; without them the API serves loopback
    only (unless --insecure-no-tokens).
    Results are where the store (--store, the sink's too) puts them: the
    lifecycle believes no JOB_DONE that names another place, and the HTTP
    API serves them from the store alone.
    Job state lives in the job store; the scheduler decides dispatch; the
    lifecycle holds the rules that join the two and says what to send, so
    each handler here receives a message and hands it on. Each change of a
    job it makes wakes the status requests waiting for one (jobwatch).
    After every event the loop dispatches as many chunks as workers have
    credits for.

    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>

#include "curve.h"
#include "dispatchview.h"
#include "hooksig.h"
#include "hooktarget.h"
#include "httpapi.h"
#include "jobstore.h"
#include "jobwatch.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "proto.h"
#include "scaler.h"
#include "s3inputs.h"
#include "retention.h"
#include "scheduler.h"
#include "settings.h"
#include "store.h"
#include "tokens.h"
#include "webhook.h"
#include "wire.h"

#define VENTILATOR_API_ENDPOINT "inproc://pdfpipe-api"
//  Under the data directory: each job's records file (ventilator/recordfile),
//  and uploads as they arrive (ventilator/intake).
#define VENTILATOR_JOBS_DIR "jobs"
#define VENTILATOR_SPOOL_DIR "uploads"
#define VENTILATOR_TICK_MS 250
#define VENTILATOR_RESCAN_MS 5000
#define VENTILATOR_SINK_SNDHWM 10000
//  Deliveries in flight move on at this pace (curl's multi interface is
//  polled, not waited on).
#define VENTILATOR_WEBHOOK_TICK_MS 20

static settings_t s_options;

//  What the handlers share.
typedef struct {
    lifecycle_t *lifecycle;
    scheduler_t *scheduler;
    metrics_t *metrics;
    scaler_t *scaler;
    dispatchview_t *view; // what the HTTP thread shows of dispatch
    jobwatch_t *watch;    // status requests waiting for a job to change
    curve_t *curve;
    webhook_t *webhook;
    char sink_key[CURVE_KEY_TEXT_SIZE]; // the only key events accepts
    retention_t retention;
} s_ventilator_t;

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
    s_ventilator_t *self = (s_ventilator_t *)arg;
    wire_t *message = wire_recv (reader);
    if (!message)
        return 0;
    int64_t now = zclock_mono ();
    if (curve_allow_worker (self->curve, wire_user_id (message),
                            wire_command (message), wire_peer (message), now))
        lifecycle_worker_message (self->lifecycle, message, now);
    else
        lifecycle_worker_refused (self->lifecycle, wire_routing_id (message));
    wire_destroy (&message);
    lifecycle_dispatch (self->lifecycle, zclock_mono ());
    return 0;
}

static int
s_on_event (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    s_ventilator_t *self = (s_ventilator_t *)arg;
    wire_t *message = wire_recv (reader);
    if (!message)
        return 0;
    if (curve_allow_key (self->curve, wire_user_id (message), self->sink_key,
                         "sink", wire_command (message), wire_peer (message)))
        lifecycle_sink_message (self->lifecycle, message);
    wire_destroy (&message);
    lifecycle_dispatch (self->lifecycle, zclock_mono ());
    return 0;
}

static void
s_publish_figures (s_ventilator_t *self, int64_t now);

static int
s_on_api (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    lifecycle_t *lifecycle = ((s_ventilator_t *)arg)->lifecycle;
    char *command = NULL, *job_id = NULL;
    int frames = zstr_recvx (reader, &command, &job_id, NULL);
    if (frames >= 2 && job_id && streq (command, "NEW")) {
        lifecycle_load (lifecycle, job_id);
        //  Its workers are wanted now, not at the next tick.
        s_publish_figures ((s_ventilator_t *)arg, zclock_mono ());
    } else if (frames >= 2 && job_id && streq (command, "CANCEL"))
        lifecycle_cancel (lifecycle, job_id);
    zstr_free (&command);
    zstr_free (&job_id);
    lifecycle_dispatch (lifecycle, zclock_mono ());
    return 0;
}

//  A lifecycle_ended_fn: the job's webhook is due.
static void
s_on_job_ended (const char *job_id, void *webhook)
{
    webhook_job_ended ((webhook_t *)webhook, job_id);
}

//  A lifecycle_ended_fn: the job changed; who waits for that is told.
static void
s_on_job_changed (const char *job_id, void *watch)
{
    jobwatch_changed ((jobwatch_t *)watch, job_id);
}

static int
s_on_webhooks (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    webhook_tick (((s_ventilator_t *)arg)->webhook);
    return 0;
}

static int
s_on_rescan (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    lifecycle_t *lifecycle = ((s_ventilator_t *)arg)->lifecycle;
    webhook_recover (((s_ventilator_t *)arg)->webhook);
    lifecycle_load_active (lifecycle);
    lifecycle_dispatch (lifecycle, zclock_mono ());
    return 0;
}

//  What the scheduler holds, for GET /metrics, and the desired worker
//  count for the scaler: one per chunk waiting for a worker and per worker
//  rendering or with results not yet stored (scheduler_figures_t's
//  workers_wanted), within --workers-min and --workers-max.
static void
s_publish_figures (s_ventilator_t *self, int64_t now)
{
    scheduler_figures_t figures;
    scheduler_figures (self->scheduler, &figures);
    uint64_t desired = figures.workers_wanted;
    if (desired < (uint64_t)s_options.workers_min)
        desired = (uint64_t)s_options.workers_min;
    if (desired > (uint64_t)s_options.workers_max)
        desired = (uint64_t)s_options.workers_max;
    metrics_scheduler_t published = {
        .workers_connected = (uint32_t)figures.workers,
        .workers_busy = (uint32_t)figures.workers_busy,
        .workers_desired = (uint32_t)desired,
        .backlog_pages = figures.backlog_pages,
        .backlog_chunks = figures.backlog_chunks,
        .retries = figures.retries,
        .dead_workers = figures.dead_workers,
    };
    metrics_set_scheduler (self->metrics, &published);
    scaler_tick (self->scaler, (uint32_t)desired, now);
    dispatchview_publish (self->view, self->scheduler, now, zclock_time (),
                          (int64_t)desired,
                          SCALER_KIND_NAMES[s_options.scaler]);
}

//  A scaler_busy_fn: the scaler stops idle workers first, those whose
//  results are all stored.
static bool
s_worker_busy (const char *name, void *arg)
{
    return scheduler_unstored_by_name (((s_ventilator_t *)arg)->scheduler,
                                       name) > 0;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_ventilator_t *self = (s_ventilator_t *)arg;
    int64_t now = zclock_mono ();
    lifecycle_expire (self->lifecycle, now);
    jobwatch_expire (self->watch, now);
    lifecycle_query_sink (self->lifecycle, now);
    lifecycle_dispatch (self->lifecycle, now);
    curve_retry (self->curve, now);
    s_publish_figures (self, now);
    return 0;
}

static int
s_on_sweep (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_ventilator_t *self = (s_ventilator_t *)arg;
    retention_sweep (&self->retention, zclock_time ());
    return 0;
}

int
main (int argc, char *argv[])
{
    int parsed = settings_parse (&s_options, argc, argv);
    if (parsed != OPTIONS_RUN)
        return parsed;
    log_init ("pdfpipe-ventilator", s_options.verbose);
    log_set_format (s_options.log_format);
    joblimits_set (&s_options.limits);

    int rc = 1;
    s_ventilator_t self = {0};
    hooktarget_t *webhook_targets = NULL;
    hooksig_t *webhook_signer = NULL;
    store_t *results = NULL;
    s3inputs_t *s3_inputs = NULL;
    jobstore_t *jobstore = NULL;
    scheduler_t *scheduler = NULL;
    httpapi_t *httpapi = NULL;
    zloop_t *loop = NULL;
    zsock_t *dispatch = NULL, *events = NULL, *sink = NULL, *api = NULL;
    char *jobs_dir = NULL, *spool_dir = NULL, *preview_worker = NULL;
    tokens_t *tokens = NULL;

    char error[CURVE_ERROR_MAX];
    self.curve = curve_new (s_options.cert, s_options.allowed_dir);
    if (!self.curve)
        goto cleanup;
    if (curve_key_load (s_options.sink_key, self.sink_key, error) == -1) {
        log_error ("--sink-key: %s", error);
        goto cleanup;
    }
    //  The sink connects to events with its key.
    if (curve_check_allowed (self.curve, self.sink_key, "sink",
                             s_options.sink_key) == -1)
        goto cleanup;
    char inputs_error[S3INPUTS_ERROR_MAX];
    s3_inputs = s3inputs_new (s_options.s3_inputs, inputs_error);
    if (!s3_inputs) {
        log_error ("--s3-inputs: %s", inputs_error);
        goto cleanup;
    }
    if (s_options.tokens) {
        char tokens_error[TOKENS_ERROR_MAX];
        tokens = tokens_load (s_options.tokens, tokens_error);
        if (!tokens) {
            log_error ("--tokens: %s", tokens_error);
            goto cleanup;
        }
    }
    results = store_new (s_options.store_url);
    if (!results)
        goto cleanup;
    jobstore = jobstore_open (s_options.data_dir);
    if (!jobstore)
        goto cleanup;
    char webhook_error[HOOKTARGET_ERROR_MAX];
    webhook_targets =
        hooktarget_new (s_options.webhook_allow,
                        s_options.webhook_allow_http == 1, webhook_error);
    if (!webhook_targets) {
        log_error ("%s", webhook_error);
        goto cleanup;
    }
    if (s_options.webhook_url &&
        hooktarget_check_url (webhook_targets, s_options.webhook_url, NULL,
                              webhook_error)) {
        log_error ("--webhook-url %s: %s", s_options.webhook_url,
                   webhook_error);
        goto cleanup;
    }
    //  The secret comes from the environment only, never a command line.
    const char *secret = getenv ("PDFPIPE_WEBHOOK_SECRET");
    if (secret && *secret) {
        char sig_error[HOOKSIG_ERROR_MAX];
        webhook_signer = hooksig_new (secret, sig_error);
        if (!webhook_signer) {
            log_error ("%s", sig_error);
            goto cleanup;
        }
    } else if (!hooktarget_empty (webhook_targets)) {
        log_error ("PDFPIPE_WEBHOOK_ALLOW is set but PDFPIPE_WEBHOOK_SECRET "
                   "is not: webhooks could not be signed");
        goto cleanup;
    }
    webhook_config_t webhook_config = {
        .retry_first_ms = s_options.webhook_retry_ms,
        .retry_max_ms = s_options.webhook_retry_max_ms,
        .give_up_ms = s_options.webhook_give_up_ms,
        .timeout_ms = s_options.webhook_timeout_ms,
    };
    //  Before the HTTP threads start: curl's global set-up is not
    //  thread-safe.
    self.webhook = webhook_new (jobstore, webhook_targets, webhook_signer,
                                &webhook_config);
    if (!self.webhook)
        goto cleanup;
    scheduler_config_t scheduler_config = {
        .max_attempts = (uint32_t)s_options.max_attempts,
        .deadline_base_ms = s_options.deadline_base_ms,
        .deadline_per_page_ms = s_options.deadline_per_page_ms,
        .worker_expiry_ms = s_options.worker_expiry_ms,
    };
    scheduler = scheduler_new (&scheduler_config);
    self.scheduler = scheduler;
    self.metrics = metrics_new ();
    assert (self.metrics);
    scaler_config_t scaler_config = {
        .kind = (scaler_kind_t)s_options.scaler,
        .command = s_options.scaler_command,
        .scale_down_after_ms = s_options.scale_down_after_s * 1000,
        .exec_interval_ms = s_options.scaler_interval_s * 1000,
        .busy = s_worker_busy,
        .busy_arg = &self,
    };
    self.scaler = scaler_new (&scaler_config);
    if (!self.scaler)
        goto cleanup;
    self.view = dispatchview_new ();
    self.watch = jobwatch_new ((size_t)s_options.http_waiters);

    dispatch = zsock_new (ZMQ_ROUTER);
    //  Sending to a worker that has gone must fail, not vanish silently.
    zsock_set_router_mandatory (dispatch, 1);
    //  A worker that reconnects (its old connection not yet known dead)
    //  is heard on the new one at once rather than refused; what was lost
    //  on the old one is found by the HEARTBEAT rule (scheduler.h).
    zsock_set_router_handover (dispatch, 1);
    if (curve_bind (self.curve, dispatch, "dispatch",
                    s_options.dispatch_endpoint, PROTO_CONTROL_BYTES_MAX))
        goto cleanup;
    events = zsock_new (ZMQ_PULL);
    if (curve_bind (self.curve, events, "events", s_options.events_endpoint,
                    PROTO_CONTROL_BYTES_MAX))
        goto cleanup;
    sink = zsock_new (ZMQ_PUSH);
    //  CANCEL and QUERY wait here while the sink is away; when even this
    //  is full they are dropped rather than block the loop (a QUERY is
    //  repeated, and the sink drops late chunks of a job it finished).
    zsock_set_sndhwm (sink, VENTILATOR_SINK_SNDHWM);
    zsock_set_sndtimeo (sink, 0);
    zsock_set_heartbeat_ivl (sink, PROTO_ZMTP_HEARTBEAT_IVL_MS);
    zsock_set_heartbeat_timeout (sink, PROTO_ZMTP_HEARTBEAT_TIMEOUT_MS);
    if (curve_connect (self.curve, sink, "the sink", self.sink_key,
                       s_options.sink_endpoint, PROTO_CONTROL_BYTES_MAX))
        goto cleanup;
    api = zsock_new_pull ("@" VENTILATOR_API_ENDPOINT);
    assert (api);
    lifecycle_sender_t sender = {s_send, dispatch, s_send, sink};
    jobs_dir = zsys_sprintf ("%s/%s", s_options.data_dir, VENTILATOR_JOBS_DIR);
    spool_dir =
        zsys_sprintf ("%s/%s", s_options.data_dir, VENTILATOR_SPOOL_DIR);
    assert (jobs_dir && spool_dir);
    preview_worker = s_options.preview_worker
                         ? strdup (s_options.preview_worker)
                         : preview_find_worker ();
    self.lifecycle =
        lifecycle_new (jobstore, scheduler, &sender, jobs_dir, results);
    lifecycle_set_metrics (self.lifecycle, self.metrics);
    lifecycle_set_on_ended (self.lifecycle, s_on_job_ended, self.webhook);
    lifecycle_set_on_changed (self.lifecycle, s_on_job_changed, self.watch);

    httpapi_config_t http_config = {
        .port = (uint16_t)s_options.http_port,
        .address = s_options.http_address,
        .data_dir = s_options.data_dir,
        .store_url = s_options.store_url,
        .jobs_dir = jobs_dir,
        .spool_dir = spool_dir,
        .max_body_bytes = (size_t)s_options.max_body_mb * 1024 * 1024,
        .min_free_bytes = (uint64_t)s_options.min_free_disk_mb * 1024 * 1024,
        .max_jobstore_bytes = (uint64_t)s_options.max_jobstore_mb * 1024 * 1024,
        .notify_endpoint = VENTILATOR_API_ENDPOINT,
        .metrics = self.metrics,
        .uploads_max = (size_t)s_options.max_uploads,
        .tokens = tokens,
        .insecure_no_tokens = s_options.insecure_no_tokens,
        .connections_max = (unsigned int)s_options.http_connections,
        .per_address_max = (unsigned int)s_options.http_per_address,
        .timeout_s = (unsigned int)s_options.http_timeout_s,
        .min_upload_rate = (size_t)s_options.min_upload_rate,
        .upload_grace_s = (unsigned int)s_options.upload_grace_s,
        .s3_inputs = s3_inputs,
        .webhooks = webhook_targets,
        .webhook_url = s_options.webhook_url,
        .preview =
            {
                .worker_path = preview_worker,
                .at_once = (size_t)s_options.previews_at_once,
                .body_max = (size_t)s_options.preview_max_body_mb * 1024 * 1024,
                .timeout_ms = (int64_t)s_options.preview_timeout_s * 1000,
                .memory_mb = (uint64_t)s_options.preview_memory_mb,
            },
        .dispatch_view = self.view,
        .job_watch = self.watch,
    };
    httpapi = httpapi_new (&http_config);
    if (!httpapi)
        goto cleanup;
    log_info ("API at http://%s:%u/ (%s) dispatch=%s events=%s sink=%s "
              "data=%s store=%s",
              s_options.http_address, httpapi_port (httpapi),
              tokens ? "tokens" : "no tokens", s_options.dispatch_endpoint,
              s_options.events_endpoint, s_options.sink_endpoint,
              s_options.data_dir, store_url (results));

    //  Jobs accepted before a restart carry on where they stopped.
    lifecycle_load_active (self.lifecycle);

    loop = zloop_new ();
    zloop_reader (loop, dispatch, s_on_worker, &self);
    zloop_reader (loop, events, s_on_event, &self);
    zloop_reader (loop, api, s_on_api, &self);
    zloop_timer (loop, VENTILATOR_TICK_MS, 0, s_on_tick, &self);
    zloop_timer (loop, VENTILATOR_RESCAN_MS, 0, s_on_rescan, &self);
    retention_t retention = {
        jobstore, results, jobs_dir, spool_dir, s_options.retention_s * 1000,
        false};
    self.retention = retention;
    zloop_timer (loop,
                 (size_t)retention_interval_ms (self.retention.retention_ms), 0,
                 s_on_sweep, &self);
    zloop_timer (loop, VENTILATOR_WEBHOOK_TICK_MS, 0, s_on_webhooks, &self);
    zloop_start (loop);
    log_info ("shutting down");
    rc = 0;

cleanup:
    zloop_destroy (&loop);
    //  Workers it started finish their chunks while the sockets are up.
    scaler_destroy (&self.scaler);
    httpapi_destroy (&httpapi);
    lifecycle_destroy (&self.lifecycle);
    webhook_destroy (&self.webhook);
    zsock_destroy (&api);
    zsock_destroy (&sink);
    zsock_destroy (&events);
    zsock_destroy (&dispatch);
    scheduler_destroy (&scheduler);
    dispatchview_destroy (&self.view);
    jobwatch_destroy (&self.watch);
    metrics_destroy (&self.metrics);
    hooksig_destroy (&webhook_signer);
    hooktarget_destroy (&webhook_targets);
    jobstore_destroy (&jobstore);
    store_destroy (&results);
    s3inputs_destroy (&s3_inputs);
    curve_destroy (&self.curve);
    tokens_destroy (&tokens);
    zstr_free (&jobs_dir);
    zstr_free (&spool_dir);
    free (preview_worker);
    return rc;
}
