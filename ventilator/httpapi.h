/*  httpapi - the ventilator's HTTP API (docs/api.md), served by libmicrohttpd.

    Owns the HTTP server and is the only module that sees libmicrohttpd. It
    accepts job documents (POST /v1/jobs) through ventilator/intake, which
    spools each upload to disk as it arrives and checks and stores it on an
    intake thread, and answers 202 only after the store has committed; it
    answers status, result download and cancel requests from the store
    (a status request with wait_s waits, suspended, until the job changes:
    ventilator/jobwatch, woken by the main loop),
    and renders one page of a document at once (POST /v1/preview, through
    ventilator/preview, which runs the worker's renderer in a process of
    its own). It never dispatches work: scheduling is the main loop's.

    With API tokens (config->tokens), every route but /healthz needs
    "Authorization: Bearer <token>" (401 otherwise, with WWW-Authenticate),
    and a job belongs to the token that submitted it: for any other token
    it does not exist (404 on status, result and cancel alike).

    Threading: libmicrohttpd serves every connection from one internal
    thread, which never touches the main loop's sockets and never parses a
    document (a submission's connection is suspended until its intake
    thread has the outcome). The module owns a jobstore handle and a PUSH
    socket of its own, both used only by that thread, and tells the loop
    about accepted and cancelled jobs on the PUSH socket, connected to
    config->notify_endpoint (the loop binds a PULL there), as two-frame
    messages:

        "NEW"    <job id>     a job was stored, in state queued
        "CANCEL" <job id>     a job was moved to cancelled

    These are hints: the store is the truth. If the loop does not read them
    within HTTPAPI_NOTIFY_TIMEOUT_MS the hint is dropped (and logged); the
    job is still in the store, where jobstore_active finds it.

    At start, before serving, it removes the records files that no live
    job has (recordfile_sweep) and the uploads a crash cut short.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_HTTPAPI_H
#define PDFPIPE_HTTPAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatchview.h"
#include "jobwatch.h"
#include "metrics.h"
#include "tokens.h"
#include "s3inputs.h"
#include "hooktarget.h"
#include "preview.h"

#define HTTPAPI_PORT_DEFAULT 8080
#define HTTPAPI_ADDRESS_DEFAULT "127.0.0.1"
//  A job document is spooled to disk, never held in memory, so its limit
//  is a disk quota.
#define HTTPAPI_MAX_BODY_BYTES_DEFAULT ((size_t)2048 * 1024 * 1024)
//  After a body is refused mid-upload it is still read (and dropped) so the
//  client gets its answer; past max_body_bytes more (and at least this
//  many) the connection is closed.
#define HTTPAPI_DRAIN_BYTES_MIN (16 * 1024 * 1024)
//  Free disk an upload must leave, by default (the ventilator's
//  --min-free-disk-mb).
#define HTTPAPI_MIN_FREE_BYTES_DEFAULT ((uint64_t)512 * 1024 * 1024)
//  Concurrent connections; beyond this, new ones wait in the listen
//  backlog. Well below the default 1024 descriptors per process.
#define HTTPAPI_CONNECTION_LIMIT 256
//  Concurrent connections from one address, so that one client (or one
//  host of an attacker's) cannot take all of them: others, /healthz
//  included, are still served.
#define HTTPAPI_PER_ADDRESS_LIMIT 64
//  A connection idle this long is closed (seconds).
#define HTTPAPI_CONNECTION_TIMEOUT_S 60
//  A job document must arrive at this rate at least (bytes/s, counted
//  from its first byte) once it has been arriving for the grace period;
//  a slower one is answered 408 and dropped, so slow uploads cannot keep
//  the upload slots (intake's uploads_max) from others. An upload that
//  sends nothing for the grace period is closed.
#define HTTPAPI_MIN_UPLOAD_RATE 1024
#define HTTPAPI_UPLOAD_GRACE_S 30
//  Per-connection memory for the request line, headers and I/O buffers:
//  bounds what a hostile client can make us hold for its headers.
#define HTTPAPI_CONNECTION_MEMORY_BYTES (64 * 1024)
//  How long to wait for the main loop to take a NEW or CANCEL hint.
#define HTTPAPI_NOTIFY_TIMEOUT_MS 1000
//  The longest wait_s of GET /v1/jobs/{id}?wait_s=N (seconds): well under
//  the idle timeout of a connection, and of proxies in front.
#define HTTPAPI_WAIT_MAX_S 30

//  A dry run's estimate (POST /v1/jobs?dry_run=1) is made from the rates
//  of at most this many of the newest done jobs.
#define HTTPAPI_ESTIMATE_JOBS 20

typedef struct _httpapi_t httpapi_t;

typedef struct {
    uint16_t port;               // 0: an ephemeral port, see httpapi_port
    const char *address;         // IPv4 or IPv6 literal; NULL: "127.0.0.1"
    const char *data_dir;        // where the job store lives
    const char *jobs_dir;        // where the jobs' records files go
    const char *spool_dir;       // where uploads are spooled as they arrive
    const char *store_url;       // where results are (common/store)
    size_t max_body_bytes;       // 0: HTTPAPI_MAX_BODY_BYTES_DEFAULT
    uint64_t min_free_bytes;     // disk an upload must leave free; 0: none
    uint64_t max_jobstore_bytes; // over it, submissions get 507; 0: none
    size_t uploads_max;          // at once; 0: INTAKE_UPLOADS_DEFAULT
    const char *notify_endpoint; // inproc endpoint the loop binds a PULL on
    metrics_t *metrics; // GET /metrics; borrowed, outlives the API; or NULL
    //  API tokens (ventilator/tokens), borrowed for the API's life. NULL:
    //  no authentication, which is refused on an address other than
    //  loopback unless insecure_no_tokens.
    tokens_t *tokens;
    bool insecure_no_tokens;
    unsigned int connections_max; // 0: HTTPAPI_CONNECTION_LIMIT
    unsigned int per_address_max; // 0: HTTPAPI_PER_ADDRESS_LIMIT
    unsigned int timeout_s;       // 0: HTTPAPI_CONNECTION_TIMEOUT_S
    size_t min_upload_rate;       // bytes/s; 0: HTTPAPI_MIN_UPLOAD_RATE
    unsigned int upload_grace_s;  // 0: HTTPAPI_UPLOAD_GRACE_S
    //  Where s3:// inputs may come from (ventilator/s3inputs); NULL:
    //  nowhere. Borrowed for the life of the httpapi_t.
    const s3inputs_t *s3_inputs;
    const hooktarget_t *webhooks; // see admission_config_t; borrowed, kept
    const char *webhook_url;      // see admission_config_t; borrowed, kept
    //  POST /v1/preview (ventilator/preview); its s3 fields are the API's.
    preview_config_t preview;
    //  What the main loop publishes of dispatch (chunks in flight,
    //  workers) for GET /v1/jobs/{id}/chunks and GET /v1/workers; NULL:
    //  nothing in flight is shown. Borrowed, outlives the API.
    dispatchview_t *dispatch_view;
    //  Where GET /v1/jobs/{id}?wait_s=N waits for the job to change; the
    //  main loop wakes it (ventilator/jobwatch). NULL: wait_s is refused.
    //  Borrowed, outlives the API.
    jobwatch_t *job_watch;
} httpapi_config_t;

//  Open the job store in config->data_dir and the result store
//  config->store_url, start the intake threads, connect the notification
//  socket and start serving. Returns NULL, after logging why, when any of
//  these fails (bad address, an address other than loopback without
//  tokens, port in use, a store or the spool cannot be opened: an s3://
//  result store needs credentials). Caller owns the
//  result; the config is not kept.
httpapi_t *
httpapi_new (const httpapi_config_t *config);

//  The port being served, which is the kernel's choice when config->port
//  was 0.
uint16_t
httpapi_port (httpapi_t *self);

//  Stop serving (uploads in progress are answered 503 and leave nothing;
//  other requests are cut off), then close the store and the socket.
void
httpapi_destroy (httpapi_t **self_p);

#endif
