/*  proto - what the pdfpipe processes must agree on (docs/protocol.md).

    Owns the numbers and names that the ventilator, the workers, the sink
    and the CLI share and that must be the same on every side: the default
    endpoints, the heartbeats and the worker expiry built on them, the size
    of a job id, the limits of a job and of a message, and the job states
    with their names. A value that changed on one side only would break the
    system at run time, not at build time, so each is defined here once and
    every process uses this definition.

    The encoding of messages is common/proto/wire; the alphabet of names
    that travel is common/proto/ident. The job states keep the names they
    had in the ventilator (jobstate_t, JOB_QUEUED, ...).

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_PROTO_H
#define PDFPIPE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  -- Version ---------------------------------------------------------------
//  Every message starts with the signature "PDFPIPE/<version>"
//  (common/proto/wire); a process drops messages of any other version.
//  2: a CHUNK carries its job's template digest and the template only when
//  the worker may lack it; TEMPLATE_MISS asks for it again.
#define PROTO_VERSION 2
#define PROTO_SIGNATURE "PDFPIPE/2"

//  -- Default endpoints -----------------------------------------------------
//  The HTTP API's port, as a number (the ventilator's option) and as text
//  (part of the CLI's default URL). Keep the two alike.
#define PROTO_HTTP_PORT_NBR 8080
#define PROTO_HTTP_PORT "8080"
//  The ventilator's ROUTER: workers send READY, HEARTBEAT and CHUNK_FAILED
//  and receive CHUNK.
#define PROTO_DISPATCH_ENDPOINT "tcp://127.0.0.1:5557"
//  The ventilator's PULL: the sink sends STORED, JOB_STATE, JOB_DONE and
//  JOB_FAILED.
#define PROTO_EVENTS_ENDPOINT "tcp://127.0.0.1:5558"
//  The sink's PULL: workers send RESULT; the ventilator CANCEL, OUTPUT and
//  QUERY.
#define PROTO_RESULTS_ENDPOINT "tcp://127.0.0.1:5559"

//  -- Results ----------------------------------------------------------------
//  Where finished PDFs go (common/store): the sink puts them there, and the
//  ventilator, given the same URL, serves them from there and believes no
//  other location.
#define PROTO_STORE_URL "file://./pdfpipe-data/out"

//  -- Keys (common/proto/curve) ----------------------------------------------
//  Every process's ZeroMQ sockets use CURVE. The default files are where
//  run.sh makes them on first start: each process's secret certificate
//  (NAME.secret) and public one (NAME.cert), and the allowed directory of
//  the public certificates the ventilator and the sink accept clients
//  with (every worker's, and the sink's and the ventilator's, which
//  connect to each other).
#define PROTO_KEYS_DIR "./pdfpipe-data/keys"
#define PROTO_VENTILATOR_CERT PROTO_KEYS_DIR "/ventilator.secret"
#define PROTO_VENTILATOR_KEY PROTO_KEYS_DIR "/ventilator.cert"
#define PROTO_SINK_CERT PROTO_KEYS_DIR "/sink.secret"
#define PROTO_SINK_KEY PROTO_KEYS_DIR "/sink.cert"
#define PROTO_WORKER_CERT PROTO_KEYS_DIR "/worker.secret"
#define PROTO_ALLOWED_DIR PROTO_KEYS_DIR "/allowed"

//  -- Liveness --------------------------------------------------------------
//  A worker sends HEARTBEAT whenever it has been silent this long, busy or
//  not.
#define PROTO_HEARTBEAT_INTERVAL_MS 1000
//  A worker not heard from for this long is dead: it loses its credits and
//  its chunks are dispatched again. Five missed heartbeats.
#define PROTO_WORKER_EXPIRY_MS 5000
//  The shortest expiry a ventilator accepts: below two heartbeats a busy
//  host would lose live workers.
#define PROTO_WORKER_EXPIRY_MIN_MS 2000
//  ZeroMQ's own pings (ZMTP PING) on every connecting socket: a peer host
//  that vanished without closing its connections (power loss, a network
//  cut) is noticed within seconds, not TCP's minutes, and the socket
//  reconnects.
#define PROTO_ZMTP_HEARTBEAT_IVL_MS 1000
#define PROTO_ZMTP_HEARTBEAT_TIMEOUT_MS 5000

//  -- Job ids ---------------------------------------------------------------
//  A job id on the wire, in the spool and in the store is 1 to
//  PROTO_JOB_ID_MAX characters of [A-Za-z0-9_-] (ident_valid); buffers
//  for one hold PROTO_JOB_ID_MAX + 1 bytes.
#define PROTO_JOB_ID_MAX 64
//  The ids the API hands out and accepts: a random UUID as lowercase hex.
#define PROTO_JOB_ID_LENGTH 32

//  -- Limits of a job and of a message --------------------------------------
//  Pages of one job; a job has one page per record.
#define PROTO_PAGES_MAX 1000000
//  Pages of one chunk.
#define PROTO_CHUNK_PAGES_MAX 5000
//  Bytes of one chunk PDF (RESULT): pages with images can be large, so
//  allow 100 KB a page and stop there.
#define PROTO_CHUNK_BYTES_MAX ((size_t)PROTO_CHUNK_PAGES_MAX * 100 * 1024)
//  Bytes of a whole RESULT message: the PDF and a margin for the other
//  frames. The sink's socket refuses a larger one before it takes memory.
#define PROTO_RESULT_BYTES_MAX (PROTO_CHUNK_BYTES_MAX + 65536)
//  Bytes of a text field (an error, reason, state, location, key or file
//  name); a longer one is refused when decoded and cut when encoded.
#define PROTO_TEXT_MAX 4096
//  Bytes of a frame of a message that carries no document: every command
//  but CHUNK and RESULT, whose largest field is a text (PROTO_TEXT_MAX).
//  Sockets that take only these refuse larger frames before reading them
//  (ZMQ_MAXMSGSIZE applies to each frame).
#define PROTO_CONTROL_BYTES_MAX 65536
//  The largest job document a ventilator can be set to accept, MiB (its
//  --max-body-mb). A CHUNK's frames carry parts of one (the template with
//  its assets, the records), so a worker refuses larger frames.
#define PROTO_DOCUMENT_MB_MAX 4096
#define PROTO_CHUNK_FRAME_BYTES_MAX                                            \
    ((int64_t)PROTO_DOCUMENT_MB_MAX * 1024 * 1024)

//  -- Templates --------------------------------------------------------------
//  Templates (with their assets) a worker keeps, by digest
//  (common/proto/tpldigest), and the digests the ventilator remembers
//  having sent each worker, the most recently used first: a CHUNK whose
//  job's digest is among them goes without its template. The two bounds
//  are one number so that a worker that keeps what it was sent is never
//  asked for a template it dropped; when it dropped one anyway (restarted,
//  or over its byte bound) it answers TEMPLATE_MISS.
#define PROTO_WORKER_TEMPLATES 4

//  -- Job states ------------------------------------------------------------
//  States only move forward, into done, failed or cancelled, which are
//  never left. The sink reports merging and storing (JOB_STATE); the API
//  shows every state by its name.
typedef enum {
    JOB_QUEUED = 0,
    JOB_RENDERING,
    JOB_MERGING,
    JOB_STORING,
    JOB_DONE,
    JOB_FAILED,
    JOB_CANCELLED,
} jobstate_t;

#define JOBSTATE_COUNT (JOB_CANCELLED + 1)

//  The state's name, as the API shows it and JOB_STATE carries it:
//  "queued", "rendering", "merging", "storing", "done", "failed",
//  "cancelled". "unknown" for anything else. Static; never freed.
const char *
jobstate_name (jobstate_t state);

//  The state named name (exact, lowercase). Returns -1 when name is not a
//  state (or NULL), 0 otherwise.
int
jobstate_parse (const char *name, jobstate_t *state);

//  True for done, failed and cancelled.
bool
jobstate_is_terminal (jobstate_t state);

#endif
