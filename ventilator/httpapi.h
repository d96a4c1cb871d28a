/*  httpapi - the ventilator's HTTP API (docs/api.md), served by libmicrohttpd.

    Owns the HTTP server and is the only module that sees libmicrohttpd. It
    accepts job documents (POST /v1/jobs) through ventilator/intake, which
    spools each upload to disk as it arrives and checks and stores it on an
    intake thread, and answers 202 only after the store has committed; it
    answers status, result download and cancel requests from the store. It
    never dispatches work: scheduling is the main loop's.

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

#include <stddef.h>
#include <stdint.h>

#include "hooktarget.h"

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
//  A connection idle this long is closed (seconds).
#define HTTPAPI_CONNECTION_TIMEOUT_S 60
//  Per-connection memory for the request line, headers and I/O buffers:
//  bounds what a hostile client can make us hold for its headers.
#define HTTPAPI_CONNECTION_MEMORY_BYTES (64 * 1024)
//  How long to wait for the main loop to take a NEW or CANCEL hint.
#define HTTPAPI_NOTIFY_TIMEOUT_MS 1000

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
    size_t uploads_max;          // at once; 0: INTAKE_UPLOADS_DEFAULT
    const char *notify_endpoint; // inproc endpoint the loop binds a PULL on
    const hooktarget_t *webhooks; // see admission_config_t; borrowed, kept
    const char *webhook_url;      // see admission_config_t; borrowed, kept
} httpapi_config_t;

//  Open the job store in config->data_dir and the result store
//  config->store_url, start the intake threads, connect the notification
//  socket and start serving. Returns NULL, after logging why, when any of
//  these fails (bad address, port in use, a store or the spool cannot be
//  opened: an s3:// result store needs credentials). Caller owns the
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
