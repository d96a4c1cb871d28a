/*  settings - pdfpipe-ventilator's command line.

    SPDX-License-Identifier: MPL-2.0
*/
#include "settings.h"

#include <stdio.h>

#include "log.h"
#include "httpapi.h"
#include "intake.h"
#include "jobwatch.h"
#include "options.h"
#include "proto.h"
#include "scheduler.h"
#include "webhook.h"

static settings_t s_options = {
    .http_address = "127.0.0.1",
    .http_port = PROTO_HTTP_PORT_NBR,
    .dispatch_endpoint = PROTO_DISPATCH_ENDPOINT,
    .events_endpoint = PROTO_EVENTS_ENDPOINT,
    .sink_endpoint = PROTO_RESULTS_ENDPOINT,
    .data_dir = SETTINGS_DATA_DIR,
    .store_url = PROTO_STORE_URL,
    .s3_inputs = "",
    .cert = PROTO_VENTILATOR_CERT,
    .sink_key = PROTO_SINK_KEY,
    .allowed_dir = PROTO_ALLOWED_DIR,
    .max_body_mb = SETTINGS_MAX_BODY_MB,
    .min_free_disk_mb = SETTINGS_MIN_FREE_DISK_MB,
    .max_attempts = SCHEDULER_MAX_ATTEMPTS,
    .deadline_base_ms = SCHEDULER_DEADLINE_BASE_MS,
    .deadline_per_page_ms = SCHEDULER_DEADLINE_PER_PAGE_MS,
    .worker_expiry_ms = PROTO_WORKER_EXPIRY_MS,
    .workers_min = 0,
    .workers_max = SETTINGS_WORKERS_MAX,
    .scale_down_after_s = SETTINGS_SCALE_DOWN_AFTER_S,
    .scaler_interval_s = SETTINGS_SCALER_INTERVAL_S,
    .http_connections = HTTPAPI_CONNECTION_LIMIT,
    .http_per_address = HTTPAPI_PER_ADDRESS_LIMIT,
    .http_timeout_s = HTTPAPI_CONNECTION_TIMEOUT_S,
    .http_waiters = JOBWATCH_WAITERS_DEFAULT,
    .min_upload_rate = HTTPAPI_MIN_UPLOAD_RATE,
    .upload_grace_s = HTTPAPI_UPLOAD_GRACE_S,
    .max_uploads = INTAKE_UPLOADS_DEFAULT,
    .max_jobstore_mb = SETTINGS_MAX_JOBSTORE_MB,
    .retention_s = SETTINGS_RETENTION_S,
    .limits = JOBLIMITS_DEFAULTS,
    .preview_timeout_s = PREVIEW_TIMEOUT_MS_DEFAULT / 1000,
    .preview_memory_mb = PREVIEW_MEMORY_MB_DEFAULT,
    .preview_max_body_mb = PREVIEW_BODY_BYTES_DEFAULT / (1024 * 1024),
    .previews_at_once = PREVIEW_AT_ONCE_DEFAULT,
    .webhook_allow = "",
    .webhook_retry_ms = WEBHOOK_RETRY_FIRST_MS,
    .webhook_retry_max_ms = WEBHOOK_RETRY_MAX_MS,
    .webhook_give_up_ms = WEBHOOK_GIVE_UP_MS,
    .webhook_timeout_ms = WEBHOOK_TIMEOUT_MS,
};

static const options_spec_t s_option_table[] = {
    OPTIONS_TEXT ("http-address", &s_options.http_address, "ADDR", NULL,
                  "address the HTTP API listens on"),
    OPTIONS_NUMBER ("http-port", &s_options.http_port, "PORT", 0, 65535,
                    "PDFPIPE_HTTP_PORT", "HTTP port; 0 = any"),
    OPTIONS_TEXT ("tokens", &s_options.tokens, "FILE", "PDFPIPE_TOKENS",
                  "API tokens, a line \"NAME SHA256HEX\" each (pdfpipe\n"
                  "token); every request but /healthz then needs one"),
    OPTIONS_FLAG ("insecure-no-tokens", 0, &s_options.insecure_no_tokens,
                  "serve an address other than loopback without tokens"),
    OPTIONS_NUMBER ("http-connections", &s_options.http_connections, "N", 1,
                    100000L, NULL,
                    "HTTP connections at once; more wait in the backlog"),
    OPTIONS_NUMBER ("http-per-address", &s_options.http_per_address, "N", 1,
                    100000L, NULL, "HTTP connections at once from one address"),
    OPTIONS_NUMBER ("http-timeout-s", &s_options.http_timeout_s, "N", 1, 3600,
                    NULL, "an idle HTTP connection is closed after this, s"),
    OPTIONS_NUMBER ("http-waiters", &s_options.http_waiters, "N", 1, 100000L,
                    NULL,
                    "status requests waiting for a change (wait_s) at "
                    "once; more get 503"),
    OPTIONS_NUMBER ("min-upload-rate", &s_options.min_upload_rate, "N", 1,
                    1073741824L, NULL,
                    "slowest job document upload kept after the grace\n"
                    "period, bytes/s; slower ones get 408"),
    OPTIONS_NUMBER ("upload-grace-s", &s_options.upload_grace_s, "N", 1, 3600,
                    NULL,
                    "seconds before --min-upload-rate applies (and an\n"
                    "upload sending nothing that long is closed)"),
    OPTIONS_NUMBER ("max-uploads", &s_options.max_uploads, "N", 1, 1024, NULL,
                    "job documents uploaded at once; more get 503"),
    OPTIONS_TEXT ("dispatch", &s_options.dispatch_endpoint, "ENDPOINT",
                  "PDFPIPE_DISPATCH", "ZeroMQ endpoint workers connect to"),
    OPTIONS_TEXT ("events", &s_options.events_endpoint, "ENDPOINT",
                  "PDFPIPE_EVENTS", "ZeroMQ endpoint the sink connects to"),
    OPTIONS_TEXT ("sink", &s_options.sink_endpoint, "ENDPOINT", "PDFPIPE_SINK",
                  "the sink's results endpoint, for cancellations"),
    OPTIONS_TEXT ("data-dir", &s_options.data_dir, "DIR", "PDFPIPE_DATA_DIR",
                  "where the job database, records and uploads live"),
    OPTIONS_TEXT ("store", &s_options.store_url, "URL", "PDFPIPE_STORE",
                  "where the sink puts finished PDFs (the sink's\n"
                  "--store): results are served from there only"),
    OPTIONS_TEXT ("s3-inputs", &s_options.s3_inputs, "LIST",
                  "PDFPIPE_S3_INPUTS",
                  "BUCKET[/PREFIX],... a job's s3:// records and\n"
                  "images may come from; none by default"),
    OPTIONS_TEXT ("cert", &s_options.cert, "FILE", "PDFPIPE_CERT",
                  "our secret certificate (pdfpipe keygen)"),
    OPTIONS_TEXT ("sink-key", &s_options.sink_key, "FILE", "PDFPIPE_SINK_KEY",
                  "the sink's public certificate"),
    OPTIONS_TEXT ("allowed-dir", &s_options.allowed_dir, "DIR",
                  "PDFPIPE_ALLOWED_DIR",
                  "public certificates of the workers (and the sink)\n"
                  "allowed to connect; read again when it changes"),
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
    OPTIONS_NUMBER ("workers-min", &s_options.workers_min, "N", 0, 100000,
                    "PDFPIPE_WORKERS_MIN",
                    "fewest workers wanted, idle or not\n"
                    "(pdfpipe_workers_desired in GET /metrics)"),
    OPTIONS_NUMBER ("workers-max", &s_options.workers_max, "N", 1, 100000,
                    "PDFPIPE_WORKERS_MAX",
                    "most workers wanted however long the backlog"),
    OPTIONS_CHOICE ("scaler", &s_options.scaler, SCALER_KIND_NAMES,
                    "none|local|exec", "PDFPIPE_SCALER",
                    "none: only publish the desired worker count;\n"
                    "local: start and stop workers on this host with\n"
                    "--scaler-command; exec: run --scaler-command with\n"
                    "{n} replaced by the count whenever it changes"),
    OPTIONS_TEXT ("scaler-command", &s_options.scaler_command, "COMMAND",
                  "PDFPIPE_SCALER_COMMAND",
                  "shell command: a worker (local; --name is added),\n"
                  "or what sets the count to {n} (exec)"),
    OPTIONS_NUMBER ("scale-down-after-s", &s_options.scale_down_after_s, "N", 0,
                    86400, "PDFPIPE_SCALE_DOWN_AFTER_S",
                    "workers are stopped only once fewer have been\n"
                    "wanted for N seconds"),
    OPTIONS_NUMBER ("scaler-interval-s", &s_options.scaler_interval_s, "N", 0,
                    86400, NULL,
                    "least time between two runs of the exec command"),
    OPTIONS_NUMBER ("max-jobstore-mb", &s_options.max_jobstore_mb, "N", 1,
                    1048576, NULL,
                    "size of the job database over which submissions\n"
                    "are refused (507), MiB"),
    OPTIONS_NUMBER ("retention-s", &s_options.retention_s, "N", 1,
                    3650L * 24 * 3600, "PDFPIPE_RETENTION_S",
                    "ended jobs, their records and results are deleted\n"
                    "this long after they ended, s"),
    JOBLIMITS_OPTIONS (s_options.limits),
    OPTIONS_TEXT ("preview-worker", &s_options.preview_worker, "FILE",
                  "PDFPIPE_PREVIEW_WORKER",
                  "pdfpipe-worker run (--preview) for each POST\n"
                  "/v1/preview; default: the one beside this program"),
    OPTIONS_NUMBER ("preview-timeout-s", &s_options.preview_timeout_s, "N", 1,
                    600, NULL, "a preview taking longer is stopped (500), s"),
    OPTIONS_NUMBER ("preview-memory-mb", &s_options.preview_memory_mb, "N", 16,
                    65536, NULL, "address space of a preview's renderer, MiB"),
    OPTIONS_NUMBER ("preview-max-body-mb", &s_options.preview_max_body_mb, "N",
                    1, 1024, NULL,
                    "largest job document a preview takes (413), MiB"),
    OPTIONS_NUMBER ("previews-at-once", &s_options.previews_at_once, "N", 1, 64,
                    NULL, "previews rendered at once; more get 503"),
    OPTIONS_TEXT ("webhook-url", &s_options.webhook_url, "URL",
                  "PDFPIPE_WEBHOOK_URL",
                  "webhook for jobs that name none (docs/api.md);\n"
                  "its host must be allowed too"),
    OPTIONS_TEXT ("webhook-allow", &s_options.webhook_allow, "LIST",
                  "PDFPIPE_WEBHOOK_ALLOW",
                  "hosts, addresses and CIDR ranges webhooks may\n"
                  "call, comma-separated; empty: none"),
    OPTIONS_NUMBER ("webhook-allow-http", &s_options.webhook_allow_http, "0|1",
                    0, 1, "PDFPIPE_WEBHOOK_ALLOW_HTTP",
                    "1: plain http:// webhooks too (tests)"),
    OPTIONS_NUMBER ("webhook-retry-ms", &s_options.webhook_retry_ms, "N", 1,
                    86400000L, NULL,
                    "first wait before a failed webhook is tried\n"
                    "again, ms; doubles each time"),
    OPTIONS_NUMBER ("webhook-retry-max-ms", &s_options.webhook_retry_max_ms,
                    "N", 1, 86400000L, NULL,
                    "longest wait between webhook attempts, ms"),
    OPTIONS_NUMBER ("webhook-give-up-ms", &s_options.webhook_give_up_ms, "N", 1,
                    30L * 86400000L, NULL,
                    "a webhook not delivered this long after its\n"
                    "job ended is given up, ms"),
    OPTIONS_NUMBER ("webhook-timeout-ms", &s_options.webhook_timeout_ms, "N",
                    100, 600000L, NULL,
                    "one webhook attempt, resolving included, ms"),
    OPTIONS_FLAG ("verbose", 'v', &s_options.verbose, "debug logging"),
    LOG_FORMAT_OPTION (&s_options.log_format),
    OPTIONS_END,
};

static const options_program_t s_program = {
    .name = "pdfpipe-ventilator",
    .purpose = "Accepts jobs over HTTP, stores them durably and hands their "
               "page-range\nchunks to workers as fast as they ask for them.",
    .options = s_option_table,
};

int
settings_parse (settings_t *settings, int argc, char *argv[])
{
    int parsed = options_parse (&s_program, argc, argv);
    if (parsed == OPTIONS_RUN &&
        s_options.workers_min > s_options.workers_max) {
        fprintf (stderr,
                 "%s: --workers-min %ld is more than --workers-max %ld\n",
                 s_program.name, s_options.workers_min, s_options.workers_max);
        return OPTIONS_EXIT_USAGE;
    }
    *settings = s_options;
    return parsed;
}
