/*  settings - pdfpipe-ventilator's command line.

    SPDX-License-Identifier: MPL-2.0
*/
#include "settings.h"

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
    .cert = PROTO_VENTILATOR_CERT,
    .sink_key = PROTO_SINK_KEY,
    .allowed_dir = PROTO_ALLOWED_DIR,
    .max_body_mb = SETTINGS_MAX_BODY_MB,
    .min_free_disk_mb = SETTINGS_MIN_FREE_DISK_MB,
    .max_attempts = SCHEDULER_MAX_ATTEMPTS,
    .deadline_base_ms = SCHEDULER_DEADLINE_BASE_MS,
    .deadline_per_page_ms = SCHEDULER_DEADLINE_PER_PAGE_MS,
    .worker_expiry_ms = PROTO_WORKER_EXPIRY_MS,
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
    *settings = s_options;
    return parsed;
}
