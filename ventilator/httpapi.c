/*  httpapi - the ventilator's HTTP API (docs/api.md), served by libmicrohttpd.

    libmicrohttpd calls s_handle several times per request: once when the
    headers are in, then once per piece of body, then once more when the
    body is complete. Every route but POST /v1/jobs answers on the first
    call; a request that still has a body then has it discarded and its
    connection closed after the answer, which is libmicrohttpd's rule.

    POST /v1/jobs checks its headers on the first call (415; 413 by
    Content-Length; 503 when ventilator/intake has as many uploads as it
    takes; 507 when the disk lacks room) and starts an upload in intake,
    which spools each piece of body to disk as it comes and has an intake
    thread read, check and store the document meanwhile. On the last call
    the connection is suspended until intake knows the outcome, then
    resumed from the intake thread, and answered (202 after the job is on
    disk, or 400, 413, 500, 507). So this thread never parses a document
    and always has time for status requests. A response cannot be queued
    while a piece of body is being handed over, so a body that turns out
    too large (chunked, no Content-Length) or finds the disk full is read
    on without being kept, up to the body limit again, and answered at the
    end; past that the connection is closed.

    POST /v1/preview goes the same way through ventilator/preview instead
    of intake: a place among the previews at once on the first call (503
    with Retry-After beyond; 413 by Content-Length), the body kept in
    memory up to its limit (a 413 at the end past it), and the connection
    suspended until the preview's thread has the page (or the error).

    Authentication comes first, before the route is looked at (only
    /healthz is open), so an unauthenticated client learns nothing about
    jobs or endpoints. The token itself is never logged or echoed.

    Slow clients: connections are limited in total and per address, idle
    ones time out, and a job document must keep up a minimum rate after a
    grace period (408 otherwise), so one address trickling headers cannot
    take the API from others, nor can trickling bodies keep the upload
    slots. (A header phase has no deadline of its own in libmicrohttpd:
    tricklers on enough addresses can still fill the total.)

    URLs arrive percent-decoded and without the query string; routes match
    exactly, so "/v1/jobs/../healthz" matches nothing. Anything echoed back
    from a request passes through s_printable first.

    A job document may give its records and image assets as s3:// URLs:
    ventilator/fetch gets them, on the intake thread.

    A result is where the store (config->store_url, the sink's --store)
    puts the job's output key, whatever location the job store holds: a
    local file is streamed from the store's directory, and for S3 the
    result route answers 302 to a presigned GET URL for the store's bucket
    and prefix (common/store, signed with the ventilator's own credentials
    from the environment), which the status document carries too. Signing
    is local arithmetic; no request goes to S3.

    SPDX-License-Identifier: MPL-2.0
*/
#include "httpapi.h"

#include <arpa/inet.h>
#include <assert.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "disposition.h"
#include "bytebuf.h"
#include "chunkmap.h"
#include "intake.h"
#include "jobprogress.h"
#include "jobquery.h"
#include "jobspec.h"
#include "jobstore.h"
#include "recordfile.h"
#include "recordindex.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "s3.h"
#include "store.h"
#include "timestamp.h"

//  Longest piece of a request (id, path) echoed back in an error message.
#define S_ECHO_MAX 80
#define S_RETRY_AFTER_S "5"
#define S_PREVIEW_RETRY_AFTER_S "1"
//  Bytes of an index handed to libmicrohttpd at a time.
#define S_INDEX_BLOCK_BYTES (64 * 1024)
//  Room for a status's "<state>:<chunks done>" (?since=).
#define S_SEEN_MAX 32

struct _httpapi_t {
    struct MHD_Daemon *daemon;
    jobstore_t *store;     // used by the MHD thread only while serving
    zsock_t *notify;       // PUSH to the main loop; MHD thread only
    s3_t *s3;              // fetches inputs from S3; NULL when not configured
    s3_config_t s3_config; // for records and assets by URL; valid with s3
    store_t *results;      // where results are; MHD thread only
    char *jobs_dir;        // where the jobs' records files go
    char *spool_dir;       // uploads as they arrive
    intake_t *intake;      // takes the documents in, off this thread
    preview_t *preview;    // renders previews, off this thread
    size_t max_body_bytes;
    char *data_dir;              // the job store's, for its size
    uint64_t max_jobstore_bytes; // its quota; 0: none
    size_t drain_max;   // bytes of a refused body read on before hanging up
    metrics_t *metrics; // borrowed; NULL: GET /metrics answers 404
    dispatchview_t *dispatch_view; // borrowed; NULL: nothing in flight
    jobwatch_t *watch;             // borrowed; NULL: wait_s is refused
    tokens_t *tokens;              // NULL: no authentication; borrowed
    unsigned int connections_max;
    unsigned int per_address_max;
    unsigned int timeout_s;
    size_t min_upload_rate; // bytes/s
    unsigned int upload_grace_s;
    uint16_t port;
};

//  The request being answered, for counting it when its response is
//  queued. Requests are answered on libmicrohttpd's one thread only, so
//  this is that thread's; s_handle sets it on every call.
typedef struct {
    metrics_t *metrics;
    const char *route; // a route template, never a client's text
} s_request_t;
static __thread s_request_t s_request;

typedef enum {
    S_ROUTE_NONE = 0,
    S_ROUTE_HEALTHZ,
    S_ROUTE_JOBS,
    S_ROUTE_JOB,
    S_ROUTE_RESULT,
    S_ROUTE_METRICS,
    S_ROUTE_PREVIEW,
    S_ROUTE_CHUNKS,
    S_ROUTE_WORKERS,
    S_ROUTE_INDEX,
    S_ROUTE_CONSOLE,
} s_route_t;

//  Each route's template, as GET /metrics counts requests by route.
static const char *s_route_names[] = {
    [S_ROUTE_NONE] = "other",
    [S_ROUTE_HEALTHZ] = "/healthz",
    [S_ROUTE_JOBS] = "/v1/jobs",
    [S_ROUTE_JOB] = "/v1/jobs/{id}",
    [S_ROUTE_RESULT] = "/v1/jobs/{id}/result",
    [S_ROUTE_METRICS] = "/metrics",
    [S_ROUTE_PREVIEW] = "/v1/preview",
    [S_ROUTE_CHUNKS] = "/v1/jobs/{id}/chunks",
    [S_ROUTE_WORKERS] = "/v1/workers",
    [S_ROUTE_INDEX] = "/v1/jobs/{id}/index",
    [S_ROUTE_CONSOLE] = "/console/{file}",
};

//  A GET /v1/jobs/{id}/index being streamed: the reader, and the part of
//  its current line not sent yet.
typedef struct {
    recordindex_t *reader;
    const char *line; // borrowed from the reader
    size_t size;
    size_t offset;
    bool failed; // the reader failed: the answer ends, cut short
} s_index_t;

//  A status request waiting for its job to change (?wait_s=N).
typedef struct {
    jobwatch_waiter_t *waiter;
    char id[PROTO_JOB_ID_LENGTH + 1];
    char seen[S_SEEN_MAX]; // "<state>:<chunks done>" the client has
} s_wait_t;

//  A POST /v1/jobs (or /v1/preview) body being received, or a status
//  request waiting.
typedef struct {
    struct MHD_Connection *connection;
    s_wait_t *wait;             // a waiting status request's instead
    intake_upload_t *intake;    // NULL once refused here
    preview_request_t *preview; // a preview's instead of intake's
    size_t size;                // bytes received
    size_t drained;             // bytes dropped after a refusal
    int64_t started_at;         // ms, zclock_mono (), at the headers
    unsigned int refusal;       // status of a refusal (408, 413, 507), or 0
    bool answered;              // the refusal was sent at once (s_answer_now)
    bool ended;                 // the body is complete and handed to intake
    bool dry_run;               // ?dry_run=1: checked, never stored
} s_upload_t;

//  Copy text into buffer (size >= 4) for an error message: printable ASCII
//  is kept, any other byte becomes '?', and a long text is cut with "...".
static void
s_printable (const char *text, size_t length, char *buffer, size_t size)
{
    size_t used = 0;
    for (size_t index = 0; index < length; index++) {
        if (used + 4 >= size) {
            memcpy (buffer + used, "...", 3);
            used += 3;
            break;
        }
        unsigned char byte = (unsigned char)text[index];
        buffer[used++] = byte >= 0x20 && byte < 0x7f ? (char)byte : '?';
    }
    buffer[used] = '\0';
}

static bool
s_is_job_id (const char *text, size_t length)
{
    if (length != PROTO_JOB_ID_LENGTH)
        return false;
    for (size_t index = 0; index < length; index++) {
        char c = text[index];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

//  Match url against the routes. For job routes, *id_p and *id_length
//  delimit the id part of the url, valid or not.
static s_route_t
s_route (const char *url, const char **id_p, size_t *id_length)
{
    static const char jobs_prefix[] = "/v1/jobs/";
    static const char result_suffix[] = "/result";
    if (streq (url, "/healthz"))
        return S_ROUTE_HEALTHZ;
    if (streq (url, "/metrics"))
        return S_ROUTE_METRICS;
    if (console_owns (url))
        return S_ROUTE_CONSOLE;
    if (streq (url, "/v1/jobs"))
        return S_ROUTE_JOBS;
    if (streq (url, "/v1/preview"))
        return S_ROUTE_PREVIEW;
    if (streq (url, "/v1/workers"))
        return S_ROUTE_WORKERS;
    size_t prefix_length = strlen (jobs_prefix);
    if (strncmp (url, jobs_prefix, prefix_length) != 0)
        return S_ROUTE_NONE;
    const char *id = url + prefix_length;
    const char *slash = strchr (id, '/');
    *id_p = id;
    if (!slash) {
        *id_length = strlen (id);
        return *id_length > 0 ? S_ROUTE_JOB : S_ROUTE_NONE;
    }
    *id_length = (size_t)(slash - id);
    if (*id_length > 0 && streq (slash, result_suffix))
        return S_ROUTE_RESULT;
    if (*id_length > 0 && streq (slash, "/chunks"))
        return S_ROUTE_CHUNKS;
    if (*id_length > 0 && streq (slash, "/index"))
        return S_ROUTE_INDEX;
    return S_ROUTE_NONE;
}

static struct MHD_Response *
s_json_response (const char *text)
{
    //  A trailing newline keeps shells tidy when people use curl.
    size_t length = strlen (text);
    char *body = (char *)malloc (length + 1);
    if (!body)
        return NULL;
    memcpy (body, text, length);
    body[length] = '\n';
    struct MHD_Response *response = MHD_create_response_from_buffer (
        length + 1, body, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (body);
        return NULL;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             "application/json");
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             "no-store");
    return response;
}

//  {"<first_name>": first, "<second_name>": second} with a Location
//  header. NULL when out of memory.
static struct MHD_Response *
s_located_response (const char *first_name, const char *first,
                    const char *second_name, const char *second,
                    const char *location)
{
    cJSON *root = cJSON_CreateObject ();
    cJSON_AddStringToObject (root, first_name, first);
    cJSON_AddStringToObject (root, second_name, second);
    char *text = cJSON_PrintUnformatted (root);
    cJSON_Delete (root);
    struct MHD_Response *response = text ? s_json_response (text) : NULL;
    if (response && location)
        MHD_add_response_header (response, MHD_HTTP_HEADER_LOCATION, location);
    free (text);
    return response;
}

//  Queue the response (taking it). MHD_NO, which closes the connection,
//  when there is no response (out of memory) or it cannot be queued.
static enum MHD_Result
s_queue (struct MHD_Connection *connection, unsigned int status,
         struct MHD_Response *response)
{
    if (!response) {
        log_error ("httpapi: cannot build a %u response", status);
        return MHD_NO;
    }
    enum MHD_Result result = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    if (result == MHD_YES && s_request.route)
        metrics_http (s_request.metrics, s_request.route, status);
    return result;
}

static enum MHD_Result
s_send_json (struct MHD_Connection *connection, unsigned int status,
             const char *text)
{
    if (!text)
        return MHD_NO;
    return s_queue (connection, status, s_json_response (text));
}

//  {"error": {"message": ..., "field": ...}}; field only when not empty.
static struct MHD_Response *
s_error_response (const char *field, const char *message)
{
    cJSON *root = cJSON_CreateObject ();
    cJSON *error = cJSON_AddObjectToObject (root, "error");
    cJSON_AddStringToObject (error, "message", message);
    if (field && *field)
        cJSON_AddStringToObject (error, "field", field);
    char *text = error ? cJSON_PrintUnformatted (root) : NULL;
    cJSON_Delete (root);
    struct MHD_Response *response = text ? s_json_response (text) : NULL;
    free (text);
    return response;
}

static enum MHD_Result
s_send_error (struct MHD_Connection *connection, unsigned int status,
              const char *format, ...) __attribute__ ((format (printf, 3, 4)));

static enum MHD_Result
s_send_error (struct MHD_Connection *connection, unsigned int status,
              const char *format, ...)
{
    char message[FIELDERR_MESSAGE_MAX + 2 * S_ECHO_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    return s_queue (connection, status, s_error_response (NULL, message));
}

static enum MHD_Result
s_method_not_allowed (struct MHD_Connection *connection, const char *method,
                      const char *allow)
{
    char method_text[S_ECHO_MAX];
    s_printable (method, strlen (method), method_text, sizeof (method_text));
    char message[2 * S_ECHO_MAX];
    snprintf (message, sizeof (message),
              "method %s is not allowed here; use %s", method_text, allow);
    struct MHD_Response *response = s_error_response (NULL, message);
    if (response)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, allow);
    return s_queue (connection, MHD_HTTP_METHOD_NOT_ALLOWED, response);
}

//  401: no token, or one the tokens file does not know. Which of the two
//  is not said.
static enum MHD_Result
s_unauthorized (struct MHD_Connection *connection)
{
    struct MHD_Response *response = s_error_response (
        NULL, "this API needs a token: send \"Authorization: Bearer "
              "<token>\" with a token the ventilator's tokens file knows");
    if (response)
        MHD_add_response_header (response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                 "Bearer realm=\"pdfpipe\"");
    return s_queue (connection, MHD_HTTP_UNAUTHORIZED, response);
}

//  503 with message, to retry after a few seconds.
static enum MHD_Result
s_unavailable (struct MHD_Connection *connection, const char *message)
{
    struct MHD_Response *response = s_error_response (NULL, message);
    if (response)
        MHD_add_response_header (response, MHD_HTTP_HEADER_RETRY_AFTER,
                                 S_RETRY_AFTER_S);
    return s_queue (connection, MHD_HTTP_SERVICE_UNAVAILABLE, response);
}

//  503: intake has as many uploads as it takes, or is stopping.
static enum MHD_Result
s_busy (struct MHD_Connection *connection)
{
    return s_unavailable (connection,
                          "too many job documents are being uploaded; "
                          "retry in a few seconds");
}

//  The refusal of a body being received, as the body of its answer.
//  Caller frees.
static char *
s_refusal_text (httpapi_t *self, unsigned int status)
{
    char message[FIELDERR_MESSAGE_MAX];
    if (status == MHD_HTTP_CONTENT_TOO_LARGE)
        snprintf (message, sizeof message,
                  "the job document is larger than the limit of %zu bytes; "
                  "the ventilator's --max-body-mb raises it",
                  self->max_body_bytes);
    else if (status == MHD_HTTP_REQUEST_TIMEOUT)
        snprintf (message, sizeof message,
                  "the job document arrived slower than %zu bytes/s; "
                  "send it faster",
                  self->min_upload_rate);
    else
        snprintf (message, sizeof message,
                  "the ventilator's disk has no room for this job document "
                  "now; retry later");
    cJSON *root = cJSON_CreateObject ();
    cJSON *error = cJSON_AddObjectToObject (root, "error");
    cJSON_AddStringToObject (error, "message", message);
    char *text = cJSON_PrintUnformatted (root);
    cJSON_Delete (root);
    return text;
}

static struct MHD_Response *
s_refusal_response (httpapi_t *self, unsigned int status)
{
    char *text = s_refusal_text (self, status);
    struct MHD_Response *response = text ? s_json_response (text) : NULL;
    free (text);
    return response;
}

//  413, 507: the body is larger than the limit, or the disk has no room.
static enum MHD_Result
s_refuse (httpapi_t *self, struct MHD_Connection *connection,
          unsigned int status)
{
    return s_queue (connection, status, s_refusal_response (self, status));
}

static enum MHD_Result
s_unknown_job (struct MHD_Connection *connection, const char *id,
               size_t id_length)
{
    char id_text[S_ECHO_MAX];
    s_printable (id, id_length, id_text, sizeof (id_text));
    return s_send_error (connection, MHD_HTTP_NOT_FOUND, "no job with id '%s'",
                         id_text);
}

//  Tell the main loop; a lost hint is logged, never fatal (the store has
//  the job).
static void
s_notify (httpapi_t *self, const char *command, const char *job_id)
{
    if (zstr_sendx (self->notify, command, job_id, NULL) != 0)
        log_warning ("httpapi: job=%s: the loop did not take %s (%s); the "
                     "job store still has it",
                     job_id, command, zmq_strerror (zmq_errno ()));
}

static const char *
s_skip_blanks (const char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    return text;
}

//  True when content_type is application/json, its charset parameter (if
//  any) UTF-8: JSON is UTF-8 (RFC 8259). Other parameters are ignored.
static bool
s_is_json (const char *content_type)
{
    static const char json[] = "application/json";
    static const char charset[] = "charset=";
    if (!content_type)
        return false;
    const char *cursor = s_skip_blanks (content_type);
    if (strncasecmp (cursor, json, strlen (json)) != 0)
        return false;
    cursor = s_skip_blanks (cursor + strlen (json));
    while (*cursor == ';') {
        cursor = s_skip_blanks (cursor + 1);
        const char *end = strchr (cursor, ';');
        if (!end)
            end = cursor + strlen (cursor);
        if (strncasecmp (cursor, charset, strlen (charset)) == 0) {
            const char *value = cursor + strlen (charset);
            size_t length = (size_t)(end - value);
            while (length > 0 && strchr (" \t\"", value[length - 1]))
                length--;
            if (*value == '"') {
                value++;
                length = length > 0 ? length - 1 : 0;
            }
            char name[8];
            if (length >= sizeof (name))
                return false;
            memcpy (name, value, length);
            name[length] = '\0';
            if (strcasecmp (name, "utf-8") != 0 &&
                strcasecmp (name, "utf8") != 0)
                return false;
        }
        cursor = end;
    }
    return *cursor == '\0';
}

static void
s_upload_destroy (s_upload_t **upload_p)
{
    s_upload_t *upload = *upload_p;
    if (!upload)
        return;
    intake_drop (&upload->intake);
    preview_drop (&upload->preview);
    if (upload->wait)
        jobwatch_remove (&upload->wait->waiter);
    free (upload->wait);
    free (upload);
    *upload_p = NULL;
}

//  Check a POST /v1/jobs request's headers. Returns a new upload, or NULL
//  after queueing the refusal (or failing to: *result says which).
static s_upload_t *
s_upload_new (httpapi_t *self, struct MHD_Connection *connection,
              const char *owner, enum MHD_Result *result)
{
    const char *content_type = MHD_lookup_connection_value (
        connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!s_is_json (content_type)) {
        char type_text[S_ECHO_MAX];
        const char *type = content_type ? content_type : "none";
        s_printable (type, strlen (type), type_text, sizeof (type_text));
        *result = s_send_error (
            connection, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
            "the job document must be sent as application/json (UTF-8), "
            "not %s",
            type_text);
        return NULL;
    }
    uint64_t content_length = 0;
    const char *length_text = MHD_lookup_connection_value (
        connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length_text) {
        errno = 0;
        char *end = NULL;
        unsigned long long value = strtoull (length_text, &end, 10);
        //  libmicrohttpd has rejected a malformed Content-Length already;
        //  an overflow still reads as too large.
        if (errno == ERANGE || value > self->max_body_bytes) {
            *result = s_refuse (self, connection, MHD_HTTP_CONTENT_TOO_LARGE);
            return NULL;
        }
        content_length = value;
    }
    //  The job store's quota: what ended jobs free (--retention-s) lets
    //  submissions in again.
    uint64_t store_bytes = jobstore_disk_bytes (self->data_dir);
    if (self->max_jobstore_bytes && store_bytes > self->max_jobstore_bytes) {
        *result = s_send_error (
            connection, MHD_HTTP_INSUFFICIENT_STORAGE,
            "the job store is full (%" PRIu64 " MiB of %" PRIu64
            ", --max-jobstore-mb); retry once ended jobs have been deleted "
            "(--retention-s)",
            store_bytes / (1024 * 1024),
            self->max_jobstore_bytes / (1024 * 1024));
        return NULL;
    }
    const char *dry_run = MHD_lookup_connection_value (
        connection, MHD_GET_ARGUMENT_KIND, "dry_run");
    bool is_dry_run =
        dry_run && (streq (dry_run, "1") || streq (dry_run, "true"));
    if (dry_run && !is_dry_run && !streq (dry_run, "0") &&
        !streq (dry_run, "false")) {
        char dry_run_text[S_ECHO_MAX];
        s_printable (dry_run, strlen (dry_run), dry_run_text,
                     sizeof dry_run_text);
        *result =
            s_send_error (connection, MHD_HTTP_BAD_REQUEST,
                          "?dry_run= must be 1 or 0, not '%s'", dry_run_text);
        return NULL;
    }
    intake_refusal_t refusal;
    intake_upload_t *intake = intake_begin (self->intake, content_length, owner,
                                            is_dry_run, &refusal);
    if (!intake) {
        *result =
            refusal == INTAKE_BUSY
                ? s_busy (connection)
                : s_refuse (self, connection, MHD_HTTP_INSUFFICIENT_STORAGE);
        return NULL;
    }
    s_upload_t *upload = (s_upload_t *)zmalloc (sizeof (s_upload_t));
    assert (upload);
    upload->connection = connection;
    upload->intake = intake;
    upload->dry_run = is_dry_run;
    upload->started_at = zclock_mono ();
    //  An upload that goes quiet for the grace period holds its slot no
    //  longer than that.
    MHD_set_connection_option (connection, MHD_CONNECTION_OPTION_TIMEOUT,
                               self->upload_grace_s);
    return upload;
}

//  Answer a body refused while it arrives, at once: libmicrohttpd queues
//  an answer only before the body or after all of it, and a client that
//  sends on and on would otherwise learn nothing before the connection is
//  cut (curl reports a broken pipe). The answer is written on the socket
//  directly, keeping the connection open (no "Connection: close"), so an
//  HTTP/1.1 client stops sending and reads it; what it had sent by then is
//  read and dropped, and the connection closed (s_submit). Returns false
//  when nothing of it could be written, to be answered at the end
//  instead.
static bool
s_answer_now (httpapi_t *self, struct MHD_Connection *connection,
              unsigned int status)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    char *text = s_refusal_text (self, status);
    if (!info || !text) {
        free (text);
        return false;
    }
    char *answer = zsys_sprintf (
        "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
        "Cache-Control: no-store\r\nContent-Length: %zu\r\n\r\n%s\n",
        status, MHD_get_reason_phrase_for (status), strlen (text) + 1, text);
    free (text);
    if (!answer)
        return false;
    //  Nothing else has been sent on this connection but perhaps a "100
    //  Continue", so its send buffer has room for this; if some of it did
    //  not fit, the client has an answer cut short, and no other answer
    //  may follow.
    ssize_t sent = send (info->connect_fd, answer, strlen (answer),
                         MSG_NOSIGNAL | MSG_DONTWAIT);
    free (answer);
    return sent > 0;
}

//  Pass a piece of body to intake (or, once refused, drop it). Returns
//  MHD_NO to hang up on a client that keeps sending after a refusal.
//  True when upload, with size more bytes just in, has been arriving
//  longer than the grace period at less than the minimum rate.
static bool
s_too_slow (httpapi_t *self, s_upload_t *upload, size_t size)
{
    int64_t elapsed_ms = zclock_mono () - upload->started_at;
    if (elapsed_ms <= (int64_t)self->upload_grace_s * 1000)
        return false;
    uint64_t received = (uint64_t)upload->size + upload->drained + size;
    return received * 1000 / (uint64_t)elapsed_ms < self->min_upload_rate;
}

static enum MHD_Result
s_upload_add (httpapi_t *self, struct MHD_Connection *connection,
              s_upload_t *upload, const char *data, size_t size)
{
    if (s_too_slow (self, upload, size)) {
        //  Its slot goes back to intake at once, and the connection with
        //  it: a client this slow is not waited for to drain, whether it
        //  was refused already or not.
        if (upload->refusal == 0) {
            log_info ("httpapi: a job document arrived slower than %zu "
                      "bytes/s; refused with 408",
                      self->min_upload_rate);
            upload->refusal = MHD_HTTP_REQUEST_TIMEOUT;
            intake_drop (&upload->intake);
            upload->answered =
                s_answer_now (self, connection, MHD_HTTP_REQUEST_TIMEOUT);
        }
        return MHD_NO;
    }
    if (upload->refusal == 0 && size > self->max_body_bytes - upload->size)
        upload->refusal = MHD_HTTP_CONTENT_TOO_LARGE;
    if (upload->refusal == 0 && intake_write (upload->intake, data, size) == -1)
        upload->refusal = MHD_HTTP_INSUFFICIENT_STORAGE;
    if (upload->refusal == 0) {
        upload->size += size;
        return MHD_YES;
    }
    //  Refused: nothing more is kept.
    if (upload->intake) {
        intake_drop (&upload->intake);
        upload->answered = s_answer_now (self, connection, upload->refusal);
    }
    upload->drained += size;
    if (upload->drained > self->drain_max) {
        log_warning ("httpapi: dropping a connection that sent more than "
                     "%zu bytes past a refused job document",
                     self->drain_max);
        return MHD_NO;
    }
    return MHD_YES;
}

//  intake_wake_fn: the outcome is not known yet, so the connection waits
//  (on this thread, inside s_handle).
static void
s_suspend (void *arg)
{
    MHD_suspend_connection (((s_upload_t *)arg)->connection);
}

//  intake_wake_fn: the outcome is known (on an intake thread).
static void
s_resume (void *arg)
{
    MHD_resume_connection (((s_upload_t *)arg)->connection);
}

//  A valid dry run: what the job would be, and what it should cost at the
//  rates the newest done jobs measured.
static enum MHD_Result
s_answer_dry_run (httpapi_t *self, struct MHD_Connection *connection,
                  s_upload_t *upload)
{
    uint32_t pages = intake_pages (upload->intake);
    jobstore_rates_t rates;
    if (jobstore_recent_done (self->store, HTTPAPI_ESTIMATE_JOBS, &rates))
        memset (&rates, 0, sizeof rates);
    double seconds = 0, bytes = 0;
    bool known = jobprogress_estimate (pages, rates.pages, rates.bytes,
                                       rates.ms, &seconds, &bytes);
    cJSON *root = cJSON_CreateObject ();
    cJSON_AddTrueToObject (root, "dry_run");
    cJSON_AddNumberToObject (root, "pages", pages);
    cJSON_AddNumberToObject (root, "chunks", intake_chunks (upload->intake));
    cJSON *estimate = cJSON_AddObjectToObject (root, "estimate");
    if (known) {
        cJSON_AddNumberToObject (estimate, "seconds", seconds);
        cJSON_AddNumberToObject (estimate, "bytes", bytes);
    } else {
        cJSON_AddNullToObject (estimate, "seconds");
        cJSON_AddNullToObject (estimate, "bytes");
    }
    cJSON_AddNumberToObject (estimate, "based_on_jobs", known ? rates.jobs : 0);
    char *text = cJSON_PrintUnformatted (root);
    cJSON_Delete (root);
    enum MHD_Result result = s_send_json (connection, MHD_HTTP_OK, text);
    free (text);
    return result;
}

//  Answer with the outcome intake knows.
static enum MHD_Result
s_answer (httpapi_t *self, struct MHD_Connection *connection,
          s_upload_t *upload)
{
    const fielderr_t *err = NULL;
    admission_outcome_t outcome = intake_outcome (upload->intake, &err);
    assert (outcome != ADMISSION_PENDING);
    if (outcome != ADMISSION_ACCEPTED) {
        unsigned int status = MHD_HTTP_BAD_REQUEST;
        if (outcome == ADMISSION_TOO_LARGE)
            status = MHD_HTTP_CONTENT_TOO_LARGE;
        else if (outcome == ADMISSION_NO_SPACE)
            status = MHD_HTTP_INSUFFICIENT_STORAGE;
        else if (outcome == ADMISSION_FAILED)
            status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        else if (outcome == ADMISSION_ABANDONED)
            status = MHD_HTTP_SERVICE_UNAVAILABLE;
        log_debug ("httpapi: job document refused: %s: %s", err->field,
                   err->message);
        return s_queue (connection, status,
                        s_error_response (err->field, err->message));
    }
    if (upload->dry_run)
        return s_answer_dry_run (self, connection, upload);
    const char *id = intake_job_id (upload->intake);
    s_notify (self, "NEW", id);
    log_info ("job=%s accepted pages=%" PRIu32 " chunks=%" PRIu32, id,
              intake_pages (upload->intake), intake_chunks (upload->intake));
    char *status_url = zsys_sprintf ("/v1/jobs/%s", id);
    struct MHD_Response *response =
        s_located_response ("id", id, "status_url", status_url, status_url);
    zstr_free (&status_url);
    metrics_count (self->metrics, METRICS_JOBS_SUBMITTED, 1);
    return s_queue (connection, MHD_HTTP_ACCEPTED, response);
}

//  The body is complete (first call), or the outcome has come (the call
//  after the connection was resumed).
static enum MHD_Result
s_submit (httpapi_t *self, struct MHD_Connection *connection,
          s_upload_t *upload)
{
    //  Answered already: no second answer, and the connection is not to be
    //  used again.
    if (upload->answered)
        return MHD_NO;
    if (upload->refusal)
        return s_refuse (self, connection, upload->refusal);
    if (!upload->ended) {
        upload->ended = true;
        if (!intake_end (upload->intake, s_suspend, s_resume, upload))
            return MHD_YES;
    }
    return s_answer (self, connection, upload);
}

//  POST /v1/preview: ventilator/preview renders; this is its HTTP side.

//  An answer of ventilator/preview as a response; its bytes stay the
//  request's until the connection is done with them (s_completed).
static enum MHD_Result
s_preview_reply (struct MHD_Connection *connection,
                 const preview_answer_t *answer)
{
    struct MHD_Response *response = NULL;
    if (answer->status != MHD_HTTP_OK) {
        response =
            s_error_response (answer->error.field, answer->error.message);
        if (response && answer->status == MHD_HTTP_SERVICE_UNAVAILABLE)
            MHD_add_response_header (response, MHD_HTTP_HEADER_RETRY_AFTER,
                                     S_PREVIEW_RETRY_AFTER_S);
        return s_queue (connection, answer->status, response);
    }
    response = MHD_create_response_from_buffer (
        answer->size, (void *)answer->data, MHD_RESPMEM_PERSISTENT);
    if (response) {
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                 answer->content_type);
        MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                                 "no-store");
    }
    return s_queue (connection, MHD_HTTP_OK, response);
}

//  ?page= (1 when absent) and ?format=. Returns 0, or -1 after queueing
//  a 400 (or failing to: *result).
static int
s_preview_query (struct MHD_Connection *connection, uint32_t *page,
                 preview_format_t *format, enum MHD_Result *result)
{
    const char *page_text =
        MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "page");
    const char *format_text = MHD_lookup_connection_value (
        connection, MHD_GET_ARGUMENT_KIND, "format");
    char echo[S_ECHO_MAX];
    *page = 1;
    if (page_text) {
        char *end = NULL;
        errno = 0;
        unsigned long value = strtoul (page_text, &end, 10);
        if (!isdigit ((unsigned char)*page_text) || *end || errno ||
            value < 1 || value > JOBSPEC_RECORDS_MAX) {
            s_printable (page_text, strlen (page_text), echo, sizeof echo);
            *result = s_send_error (connection, MHD_HTTP_BAD_REQUEST,
                                    "?page= must be a page number from 1 to "
                                    "%d, not '%s'",
                                    JOBSPEC_RECORDS_MAX, echo);
            return -1;
        }
        *page = (uint32_t)value;
    }
    *format = PREVIEW_PDF;
    if (format_text && streq (format_text, "png"))
        *format = PREVIEW_PNG;
    else if (format_text && !streq (format_text, "pdf")) {
        s_printable (format_text, strlen (format_text), echo, sizeof echo);
        *result = s_send_error (connection, MHD_HTTP_BAD_REQUEST,
                                "?format= must be pdf or png, not '%s'", echo);
        return -1;
    }
    return 0;
}

//  Check a POST /v1/preview request's headers and take a preview slot.
//  Returns a new upload, or NULL after queueing the refusal (or failing
//  to: *result).
static s_upload_t *
s_preview_new (httpapi_t *self, struct MHD_Connection *connection,
               enum MHD_Result *result)
{
    const char *content_type = MHD_lookup_connection_value (
        connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!s_is_json (content_type)) {
        *result = s_send_error (connection, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                "the job document must be sent as "
                                "application/json (UTF-8)");
        return NULL;
    }
    uint32_t page;
    preview_format_t format;
    if (s_preview_query (connection, &page, &format, result))
        return NULL;
    const char *length_text = MHD_lookup_connection_value (
        connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    //  libmicrohttpd has rejected a malformed one; an overflow reads as
    //  too large.
    uint64_t expected =
        length_text ? (uint64_t)strtoull (length_text, NULL, 10) : 0;
    preview_answer_t refusal;
    preview_request_t *preview =
        preview_begin (self->preview, page, format, expected, &refusal);
    if (!preview) {
        *result = s_preview_reply (connection, &refusal);
        return NULL;
    }
    s_upload_t *upload = (s_upload_t *)zmalloc (sizeof (s_upload_t));
    assert (upload);
    upload->connection = connection;
    upload->preview = preview;
    upload->started_at = zclock_mono ();
    MHD_set_connection_option (connection, MHD_CONNECTION_OPTION_TIMEOUT,
                               self->upload_grace_s);
    return upload;
}

//  A piece of a preview's body, or its end (size 0), or the answer once
//  the connection is resumed. A body over the limit is read on and
//  dropped, up to drain_max, for its 413.
static enum MHD_Result
s_preview_body (httpapi_t *self, struct MHD_Connection *connection,
                s_upload_t *upload, const char *data, size_t *size_p)
{
    size_t size = *size_p;
    *size_p = 0;
    if (size == 0) {
        if (!upload->ended) {
            upload->ended = true;
            if (!preview_end (upload->preview, s_suspend, s_resume, upload))
                return MHD_YES;
        }
        return s_preview_reply (connection, preview_answer (upload->preview));
    }
    if (s_too_slow (self, upload, size)) {
        //  As for a submission: 408, then the connection is closed.
        log_info ("httpapi: a preview's job document arrived slower than "
                  "%zu bytes/s; refused with 408",
                  self->min_upload_rate);
        upload->answered =
            s_answer_now (self, connection, MHD_HTTP_REQUEST_TIMEOUT);
        return MHD_NO;
    }
    if (preview_write (upload->preview, data, size) == -1) {
        upload->drained += size;
        if (upload->drained > self->drain_max)
            return MHD_NO;
    }
    upload->size += size;
    return MHD_YES;
}

//  A presigned GET URL for the job's result in the S3 store, or NULL
//  (logged). Caller frees.
static char *
s_presign (httpapi_t *self, const char *id, const char *key,
           int64_t *expires_at_p)
{
    char *url = store_presign_get (self->results, key, (int64_t)time (NULL),
                                   expires_at_p);
    if (!url)
        log_error ("httpapi: job=%s: cannot sign a download link for %s in %s",
                   id, key, store_url (self->results));
    return url;
}

//  The output key of a job that is done, or NULL. Caller frees.
static char *
s_done_key (httpapi_t *self, const char *id)
{
    jobstate_t state;
    char *key = NULL, *filename = NULL;
    if (jobstore_result (self->store, id, NULL, NULL, &state) ||
        state != JOB_DONE || jobstore_output (self->store, id, &key, &filename))
        return NULL;
    free (filename);
    return key;
}

//  The status document, with "download_url" and "download_expires_at"
//  added to "result" when the job is done and its result in S3. Caller
//  frees; NULL when the job is unknown.
static char *
s_status_text (httpapi_t *self, const char *id)
{
    char *status = jobstore_status_json (self->store, id);
    if (!status || store_is_local (self->results))
        return status;
    char *key = s_done_key (self, id);
    if (!key)
        return status;
    int64_t expires_at = 0;
    char *url = s_presign (self, id, key, &expires_at);
    cJSON *root = url ? cJSON_Parse (status) : NULL;
    cJSON *result = cJSON_GetObjectItemCaseSensitive (root, "result");
    if (cJSON_IsObject (result)) {
        char expires_text[TIMESTAMP_SIZE];
        timestamp_format_ms (expires_at * 1000, expires_text,
                             sizeof (expires_text));
        cJSON_AddStringToObject (result, "download_url", url);
        cJSON_AddStringToObject (result, "download_expires_at", expires_text);
        char *decorated = cJSON_PrintUnformatted (root);
        if (decorated) {
            free (status);
            status = decorated;
        }
    }
    cJSON_Delete (root);
    free (url);
    free (key);
    return status;
}

static enum MHD_Result
s_status (httpapi_t *self, struct MHD_Connection *connection, const char *id)
{
    char *status = s_status_text (self, id);
    if (!status)
        return s_unknown_job (connection, id, strlen (id));
    enum MHD_Result result = s_send_json (connection, MHD_HTTP_OK, status);
    free (status);
    return result;
}

//  GET /v1/jobs/{id}?wait_s=N&since=S: the status once the job differs
//  from S (or from what it was at the request, without since), or has
//  ended, or after N seconds, whichever comes first. The connection is
//  suspended meanwhile; the main loop resumes it through jobwatch.

//  jobwatch_wake_fn: the connection waits (on this thread).
static void
s_wait_suspend (void *arg)
{
    MHD_suspend_connection (((s_upload_t *)arg)->connection);
}

//  jobwatch_wake_fn: the job changed, or the wait is over (on the main
//  loop's thread).
static void
s_wait_resume (void *arg)
{
    MHD_resume_connection (((s_upload_t *)arg)->connection);
}

//  "<state>:<chunks done>" of a status document, into seen; *ended set
//  when the state is terminal. Returns -1 when the document lacks them
//  (ours: logged).
static int
s_status_seen (const char *status, char *seen, size_t size, bool *ended)
{
    cJSON *root = cJSON_Parse (status);
    cJSON *state = cJSON_GetObjectItemCaseSensitive (root, "state");
    cJSON *chunks = cJSON_GetObjectItemCaseSensitive (root, "chunks");
    cJSON *done = cJSON_GetObjectItemCaseSensitive (chunks, "done");
    jobstate_t parsed;
    int rc = -1;
    if (cJSON_IsString (state) && cJSON_IsNumber (done) &&
        jobstate_parse (state->valuestring, &parsed) == 0) {
        snprintf (seen, size, "%s:%.0f", state->valuestring, done->valuedouble);
        *ended = jobstate_is_terminal (parsed);
        rc = 0;
    } else
        log_error ("httpapi: a status document without state or chunks");
    cJSON_Delete (root);
    return rc;
}

//  Answer the waiting request when its job differs from what the client
//  has seen, has ended, or the wait is over; else suspend it again.
static enum MHD_Result
s_status_wait (httpapi_t *self, struct MHD_Connection *connection,
               s_upload_t *upload)
{
    s_wait_t *wait = upload->wait;
    while (true) {
        //  Armed before the read: a change after it wakes us at once.
        jobwatch_arm (wait->waiter);
        char *status = s_status_text (self, wait->id);
        if (!status)
            return s_unknown_job (connection, wait->id, strlen (wait->id));
        char seen[S_SEEN_MAX];
        bool ended = false;
        bool answer = s_status_seen (status, seen, sizeof seen, &ended) ||
                      ended || jobwatch_stopping (wait->waiter) ||
                      jobwatch_expired (wait->waiter, zclock_mono ());
        if (!wait->seen[0])
            snprintf (wait->seen, sizeof wait->seen, "%s", seen);
        else if (strcmp (seen, wait->seen) != 0)
            answer = true;
        if (answer) {
            enum MHD_Result result =
                s_send_json (connection, MHD_HTTP_OK, status);
            free (status);
            return result;
        }
        free (status);
        if (jobwatch_suspend (wait->waiter, s_wait_suspend))
            return MHD_YES;
    }
}

//  ?wait_s=N (0 to HTTPAPI_WAIT_MAX_S) and ?since=<state>:<chunks done>
//  into *wait_s and since (empty without). Returns -1 after queueing a 400
//  for either (*result says how that went).
static int
s_wait_query (struct MHD_Connection *connection, long *wait_s, char *since,
              size_t since_size, enum MHD_Result *result)
{
    const char *wait_text = MHD_lookup_connection_value (
        connection, MHD_GET_ARGUMENT_KIND, "wait_s");
    const char *since_text = MHD_lookup_connection_value (
        connection, MHD_GET_ARGUMENT_KIND, "since");
    *wait_s = 0;
    since[0] = '\0';
    if (!wait_text && !since_text)
        return 0;
    bool valid = wait_text && *wait_text && strlen (wait_text) <= 3;
    for (const char *digit = wait_text; valid && *digit; digit++)
        valid = isdigit ((unsigned char)*digit);
    if (valid)
        *wait_s = strtol (wait_text, NULL, 10);
    if (!valid || *wait_s > HTTPAPI_WAIT_MAX_S) {
        char text[S_ECHO_MAX];
        const char *given = wait_text ? wait_text : "";
        s_printable (given, strlen (given), text, sizeof text);
        char message[2 * S_ECHO_MAX];
        snprintf (message, sizeof message,
                  "wait_s must be a whole number of seconds from 0 to %d, "
                  "not '%s'",
                  HTTPAPI_WAIT_MAX_S, text);
        *result = s_queue (connection, MHD_HTTP_BAD_REQUEST,
                           s_error_response ("wait_s", message));
        return -1;
    }
    if (since_text && *since_text) {
        const char *colon = strchr (since_text, ':');
        jobstate_t state;
        char state_name[S_SEEN_MAX];
        valid = colon && strlen (since_text) < since_size &&
                (size_t)(colon - since_text) < sizeof state_name &&
                colon[1] != '\0';
        for (const char *digit = colon ? colon + 1 : NULL; valid && *digit;
             digit++)
            valid = isdigit ((unsigned char)*digit);
        if (valid) {
            memcpy (state_name, since_text, (size_t)(colon - since_text));
            state_name[colon - since_text] = '\0';
            valid = jobstate_parse (state_name, &state) == 0;
        }
        if (!valid) {
            *result = s_queue (
                connection, MHD_HTTP_BAD_REQUEST,
                s_error_response ("since", "since must be a status's state "
                                           "and chunks done, as "
                                           "<state>:<chunks.done>, such as "
                                           "rendering:2"));
            return -1;
        }
        snprintf (since, since_size, "%s", since_text);
    }
    return 0;
}

//  GET /v1/jobs/{id}, waiting with ?wait_s=N. Sets *con_cls to the waiting
//  request, if it waits.
static enum MHD_Result
s_status_query (httpapi_t *self, struct MHD_Connection *connection,
                const char *id, void **con_cls)
{
    long wait_s = 0;
    char since[S_SEEN_MAX];
    enum MHD_Result result = MHD_NO;
    if (s_wait_query (connection, &wait_s, since, sizeof since, &result))
        return result;
    if (wait_s == 0 || !self->watch)
        return s_status (self, connection, id);
    s_upload_t *upload = (s_upload_t *)zmalloc (sizeof (s_upload_t));
    s_wait_t *wait = (s_wait_t *)zmalloc (sizeof (s_wait_t));
    assert (upload && wait);
    upload->connection = connection;
    upload->wait = wait;
    snprintf (wait->id, sizeof wait->id, "%s", id);
    snprintf (wait->seen, sizeof wait->seen, "%s", since);
    wait->waiter = jobwatch_add (
        self->watch, id, zclock_mono () + wait_s * 1000, s_wait_resume, upload);
    if (!wait->waiter) {
        s_upload_destroy (&upload);
        return s_unavailable (connection,
                              "too many status requests are waiting for "
                              "their job to change (the ventilator's "
                              "--http-waiters); retry in a few seconds, or "
                              "ask without wait_s");
    }
    *con_cls = upload;
    return s_status_wait (self, connection, upload);
}

static enum MHD_Result
s_cancel (httpapi_t *self, struct MHD_Connection *connection, const char *id)
{
    jobstore_job_t job;
    if (jobstore_job (self->store, id, &job))
        return s_unknown_job (connection, id, strlen (id));
    int rc = jobstate_is_terminal (job.state)
                 ? 1
                 : jobstore_set_state (self->store, id, JOB_CANCELLED, NULL);
    if (rc == 1) {
        //  Terminal already, perhaps just now: report the state it has.
        if (jobstore_job (self->store, id, &job) == 0)
            return s_send_error (connection, MHD_HTTP_CONFLICT,
                                 "job %s is already %s; it cannot be "
                                 "cancelled",
                                 id, jobstate_name (job.state));
        rc = -1;
    }
    if (rc == -1)
        return s_send_error (connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "job %s could not be cancelled; see the "
                             "ventilator's log",
                             id);
    s_notify (self, "CANCEL", id);
    log_info ("job=%s cancelled by request", id);
    return s_status (self, connection, id);
}

//  Stream the result under key from the local store's directory.
static enum MHD_Result
s_send_file (httpapi_t *self, struct MHD_Connection *connection, const char *id,
             const char *key, const char *filename)
{
    char *path = store_local_path (self->results, key);
    //  The store's own files are regular files renamed into place; a link
    //  there was put by someone else.
    int fd = path ? open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    struct stat info;
    if (fd == -1 || fstat (fd, &info) != 0 || !S_ISREG (info.st_mode)) {
        log_error ("httpapi: job=%s: cannot read the result %s: %s", id,
                   path ? path : key,
                   fd == -1 ? strerror (errno) : "not a file");
        if (fd != -1)
            close (fd);
        free (path);
        return s_send_error (connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "the result of job %s cannot be read; see the "
                             "ventilator's log",
                             id);
    }
    free (path);
    struct MHD_Response *response =
        MHD_create_response_from_fd64 ((uint64_t)info.st_size, fd);
    if (!response) {
        close (fd);
        return s_send_error (connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "the result of job %s cannot be sent", id);
    }
    //  The job document's download name, or the job id.
    char *disposition =
        filename ? disposition_header (filename)
                 : zsys_sprintf ("attachment; filename=\"%s.pdf\"", id);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             "application/pdf");
    //  A result is as private as its job: no cache along the way keeps it.
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             "no-store");
    if (disposition)
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
                                 disposition);
    free (disposition);
    return s_queue (connection, MHD_HTTP_OK, response);
}

//  302 to a presigned URL for the result under key in the S3 store.
static enum MHD_Result
s_redirect_to_s3 (httpapi_t *self, struct MHD_Connection *connection,
                  const char *id, const char *key)
{
    int64_t expires_at = 0;
    char *url = s_presign (self, id, key, &expires_at);
    if (!url)
        return s_send_error (connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "the result of job %s is in S3, but no download "
                             "link can be made for it; see the ventilator's "
                             "log",
                             id);
    char expires_text[TIMESTAMP_SIZE];
    timestamp_format_ms (expires_at * 1000, expires_text,
                         sizeof (expires_text));
    struct MHD_Response *response =
        s_located_response ("url", url, "expires_at", expires_text, url);
    free (url);
    return s_queue (connection, MHD_HTTP_FOUND, response);
}

//  A done job's result: where the store puts its output key, and nowhere
//  else, whatever location was recorded.
static enum MHD_Result
s_send_result (httpapi_t *self, struct MHD_Connection *connection,
               const char *id)
{
    char *key = NULL, *filename = NULL;
    if (jobstore_output (self->store, id, &key, &filename)) {
        log_error ("httpapi: job=%s: done but has no output key", id);
        return s_send_error (connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "job %s is done but has no result", id);
    }
    enum MHD_Result result =
        store_is_local (self->results)
            ? s_send_file (self, connection, id, key, filename)
            : s_redirect_to_s3 (self, connection, id, key);
    free (key);
    free (filename);
    return result;
}

static enum MHD_Result
s_result (httpapi_t *self, struct MHD_Connection *connection, const char *id)
{
    jobstate_t state;
    if (jobstore_result (self->store, id, NULL, NULL, &state))
        return s_unknown_job (connection, id, strlen (id));
    enum MHD_Result result;
    if (state == JOB_DONE)
        result = s_send_result (self, connection, id);
    else if (state == JOB_FAILED) {
        char *error = jobstore_error (self->store, id);
        result = s_send_error (connection, MHD_HTTP_CONFLICT,
                               "job %s failed: %s; there is no result", id,
                               error ? error : "no reason recorded");
        free (error);
    } else if (state == JOB_CANCELLED)
        result = s_send_error (connection, MHD_HTTP_CONFLICT,
                               "job %s was cancelled; there is no result", id);
    else
        result = s_send_error (connection, MHD_HTTP_CONFLICT,
                               "job %s is %s; the result is not ready", id,
                               jobstate_name (state));
    return result;
}

//  GET /metrics: the Prometheus text format, version 0.0.4.
static enum MHD_Result
s_metrics (httpapi_t *self, struct MHD_Connection *connection)
{
    uint64_t jobs_by_state[JOBSTATE_COUNT];
    bool counted = jobstore_count_states (self->store, jobs_by_state) == 0;
    char *text = metrics_render (self->metrics, counted ? jobs_by_state : NULL);
    if (!text)
        return s_send_error (connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "out of memory while writing the metrics");
    struct MHD_Response *response = MHD_create_response_from_buffer (
        strlen (text), text, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (text);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             "text/plain; version=0.0.4; charset=utf-8");
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             "no-store");
    return s_queue (connection, MHD_HTTP_OK, response);
}

//  Percent-decode a request's path or query value in place (MHD's
//  MHD_OPTION_UNESCAPE_CALLBACK), as MHD would, but for %00: decoded, it
//  would cut the text short at the NUL, so "/console/app.js%00.html" or
//  "?limit=5%00x" would pass for what comes before it. It stays as it
//  is, and the text is refused as written. Returns the new length.
static size_t
s_unescape (void *cls, struct MHD_Connection *connection, char *text)
{
    (void)cls;
    (void)connection;
    char *out = text;
    const char *in = text;
    while (*in) {
        if (in[0] == '%' && isxdigit ((unsigned char)in[1]) &&
            isxdigit ((unsigned char)in[2])) {
            char hex[3] = {in[1], in[2], '\0'};
            char byte = (char)strtoul (hex, NULL, 16);
            if (byte != '\0') {
                *out++ = byte;
                in += 3;
                continue;
            }
        }
        *out++ = *in++;
    }
    *out = '\0';
    return (size_t)(out - text);
}

//  The console's security headers, on each of its answers (its refusals
//  too: a browser may render them).
static void
s_console_headers (struct MHD_Response *response)
{
    if (!response)
        return;
    MHD_add_response_header (response, "Content-Security-Policy",
                             CONSOLE_CSP);
    MHD_add_response_header (response, "X-Frame-Options", "DENY");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "Referrer-Policy", "no-referrer");
}

//  "/" and "/console/<file>": the web console's files (ventilator/console),
//  with its security headers. They carry no data, so they need no token.
//  Only GET and HEAD (is_get); anything else is 405.
static enum MHD_Result
s_console (struct MHD_Connection *connection, const char *method,
           bool is_get, const char *url)
{
    const console_file_t *file = console_find (url);
    if (!is_get || !file) {
        char message[2 * S_ECHO_MAX + 32];
        char echo[S_ECHO_MAX];
        if (is_get) {
            s_printable (url, strlen (url), echo, sizeof (echo));
            snprintf (message, sizeof (message), "no such file: %s", echo);
        }
        else {
            s_printable (method, strlen (method), echo, sizeof (echo));
            snprintf (message, sizeof (message),
                      "method %s is not allowed here; use GET, HEAD", echo);
        }
        struct MHD_Response *response = s_error_response (NULL, message);
        s_console_headers (response);
        if (response && !is_get)
            MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW,
                                     "GET, HEAD");
        return s_queue (connection,
                        is_get ? MHD_HTTP_NOT_FOUND
                               : MHD_HTTP_METHOD_NOT_ALLOWED,
                        response);
    }
    bool fresh = console_not_modified (
        file, MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                           MHD_HTTP_HEADER_IF_NONE_MATCH));
    struct MHD_Response *response = MHD_create_response_from_buffer (
        fresh ? 0 : file->size, (void *)file->data, MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             console_content_type (file));
    MHD_add_response_header (response, MHD_HTTP_HEADER_ETAG, file->etag);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             CONSOLE_CACHE_CONTROL);
    s_console_headers (response);
    return s_queue (connection,
                    fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, response);
}

//  GET /v1/jobs: a page of the caller's jobs, newest first, each as its
//  status document (ventilator/jobquery reads the query string).
static enum MHD_Result
s_list (httpapi_t *self, struct MHD_Connection *connection, const char *owner)
{
    char error[JOBQUERY_ERROR_MAX];
    jobquery_t query;
    if (jobquery_parse (MHD_lookup_connection_value (
                            connection, MHD_GET_ARGUMENT_KIND, "state"),
                        MHD_lookup_connection_value (
                            connection, MHD_GET_ARGUMENT_KIND, "limit"),
                        MHD_lookup_connection_value (
                            connection, MHD_GET_ARGUMENT_KIND, "before"),
                        &query, error, sizeof error))
        return s_send_error (connection, MHD_HTTP_BAD_REQUEST, "%s", error);
    //  One more than the page tells whether there is a next one.
    zlist_t *ids = jobstore_list (self->store, self->tokens ? owner : NULL,
                                  query.states, query.before_created_at,
                                  query.has_cursor ? query.before_id : NULL,
                                  query.limit + 1);
    if (!ids)
        return s_send_error (connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "the job store cannot be read; see the "
                             "ventilator's log");
    bytebuf_t body = {0};
    bytebuf_append_str (&body, "{\"jobs\":[");
    uint32_t listed = 0;
    const char *last = NULL;
    for (const char *id = (const char *)zlist_first (ids);
         id && listed < query.limit; id = (const char *)zlist_next (ids)) {
        //  A job deleted since (retention) is left out.
        char *status = s_status_text (self, id);
        if (!status)
            continue;
        bytebuf_append_str (&body, listed ? "," : "");
        bytebuf_append_str (&body, status);
        free (status);
        last = id;
        listed++;
    }
    jobstore_job_t job;
    bool more = zlist_size (ids) > query.limit && last &&
                jobstore_job (self->store, last, &job) == 0;
    char cursor[JOBQUERY_CURSOR_SIZE];
    if (more)
        jobquery_cursor (job.created_at, last, cursor);
    bytebuf_append_str (&body, "],\"next\":");
    bytebuf_append_str (&body, more ? "\"" : "null");
    bytebuf_append_str (&body, more ? cursor : "");
    bytebuf_append_str (&body, more ? "\"}" : "}");
    zlist_destroy (&ids);
    char *text = bytebuf_detach (&body);
    enum MHD_Result result = s_send_json (connection, MHD_HTTP_OK, text);
    free (text);
    return result;
}

//  MHD_ContentReaderCallback: the index's next lines, as many as fit.
static ssize_t
s_index_read (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    s_index_t *index = (s_index_t *)cls;
    size_t given = 0;
    while (given < max) {
        if (index->offset == index->size) {
            int rc = index->failed
                         ? -1
                         : recordindex_next (index->reader, &index->line,
                                             &index->size);
            index->offset = 0;
            if (rc != 1) {
                index->size = 0;
                index->failed = rc == -1;
            }
            if (rc != 1 && given == 0)
                return rc == 0 ? MHD_CONTENT_READER_END_OF_STREAM
                               : MHD_CONTENT_READER_END_WITH_ERROR;
            if (rc != 1)
                break;
        }
        size_t part = index->size - index->offset;
        if (part > max - given)
            part = max - given;
        memcpy (buf + given, index->line + index->offset, part);
        index->offset += part;
        given += part;
    }
    return (ssize_t)given;
}

static void
s_index_free (void *cls)
{
    s_index_t *index = (s_index_t *)cls;
    recordindex_destroy (&index->reader);
    free (index);
}

//  GET /v1/jobs/{id}/index: a done job's records, a JSON line each,
//  streamed as they are read (ventilator/recordindex).
static enum MHD_Result
s_index (httpapi_t *self, struct MHD_Connection *connection, const char *id)
{
    jobstore_job_t job;
    if (jobstore_job (self->store, id, &job))
        return s_unknown_job (connection, id, strlen (id));
    if (job.state != JOB_DONE)
        return s_send_error (connection, MHD_HTTP_CONFLICT,
                             "job %s is %s; its index is made once it is done",
                             id, jobstate_name (job.state));
    char *template_json = jobstore_template_json (self->store, id);
    recordindex_error_t error = RECORDINDEX_FAILED;
    recordindex_t *reader =
        template_json ? recordindex_new (self->jobs_dir, id, template_json,
                                         job.pages, &error)
                      : NULL;
    free (template_json);
    if (!reader && error == RECORDINDEX_NO_RECORDS)
        return s_send_error (connection, MHD_HTTP_GONE,
                             "the records of job %s are no longer kept, so "
                             "its index cannot be made",
                             id);
    if (!reader)
        return s_send_error (connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "the index of job %s cannot be made; see the "
                             "ventilator's log",
                             id);
    s_index_t *index = (s_index_t *)zmalloc (sizeof (s_index_t));
    assert (index);
    index->reader = reader;
    struct MHD_Response *response = MHD_create_response_from_callback (
        MHD_SIZE_UNKNOWN, S_INDEX_BLOCK_BYTES, s_index_read, index,
        s_index_free);
    if (!response) {
        s_index_free (index);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             "application/x-ndjson");
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             "no-store");
    return s_queue (connection, MHD_HTTP_OK, response);
}

//  What s_chunks gathers from the dispatch view.
typedef struct {
    char *map;
    uint32_t chunk_count;
    cJSON *rendering;
    cJSON *retried;
} s_chunk_view_t;

static void
s_add_time_to (cJSON *object, const char *name, int64_t ms)
{
    char text[TIMESTAMP_SIZE];
    timestamp_format_ms (ms, text, sizeof (text));
    cJSON_AddStringToObject (object, name, text);
}

//  dispatchview_chunk_fn: a chunk of the job in flight.
static void
s_on_chunk_rendering (const dispatchview_chunk_t *chunk, void *arg)
{
    s_chunk_view_t *view = (s_chunk_view_t *)arg;
    if (chunk->chunk_nbr >= view->chunk_count ||
        view->map[chunk->chunk_nbr] == CHUNKMAP_STORED)
        return;
    chunkmap_mark (view->map, view->chunk_count, chunk->chunk_nbr,
                   CHUNKMAP_RENDERING);
    cJSON *entry = cJSON_CreateObject ();
    cJSON_AddNumberToObject (entry, "chunk", chunk->chunk_nbr);
    cJSON_AddStringToObject (entry, "worker", chunk->worker);
    s_add_time_to (entry, "since", chunk->since);
    cJSON_AddItemToArray (view->rendering, entry);
}

//  dispatchview_retry_fn: a chunk of the job dispatched more than once.
static void
s_on_chunk_retried (uint32_t chunk_nbr, uint32_t attempts, void *arg)
{
    s_chunk_view_t *view = (s_chunk_view_t *)arg;
    cJSON *entry = cJSON_CreateObject ();
    cJSON_AddNumberToObject (entry, "chunk", chunk_nbr);
    cJSON_AddNumberToObject (entry, "attempts", attempts);
    cJSON_AddItemToArray (view->retried, entry);
}

//  GET /v1/jobs/{id}/chunks: stored chunks from the store, those in
//  flight and retried from the dispatch view (while the job runs), the
//  failed one from a failed job's error.
static enum MHD_Result
s_chunks (httpapi_t *self, struct MHD_Connection *connection, const char *id)
{
    jobstore_job_t job;
    if (jobstore_job (self->store, id, &job))
        return s_unknown_job (connection, id, strlen (id));
    bool *stored = (bool *)calloc (job.chunk_count + 1, sizeof (bool));
    char *map = (char *)malloc (job.chunk_count + 1);
    cJSON *root = cJSON_CreateObject ();
    s_chunk_view_t view = {map, job.chunk_count, cJSON_CreateArray (),
                           cJSON_CreateArray ()};
    enum MHD_Result result;
    if (!stored || !map || !root || !view.rendering || !view.retried ||
        jobstore_chunks_stored (self->store, id, stored, job.chunk_count)) {
        result = s_send_error (connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                               "the chunks of job %s cannot be read; see the "
                               "ventilator's log",
                               id);
        goto cleanup;
    }
    chunkmap_init (map, stored, job.chunk_count);
    if (!jobstate_is_terminal (job.state) && self->dispatch_view)
        dispatchview_read_job (self->dispatch_view, id, s_on_chunk_rendering,
                               s_on_chunk_retried, &view);
    if (job.state == JOB_FAILED) {
        char *error = jobstore_error (self->store, id);
        int64_t failed = chunkmap_failed_chunk (error);
        free (error);
        if (failed >= 0)
            chunkmap_mark (map, job.chunk_count, (uint32_t)failed,
                           CHUNKMAP_FAILED);
    }
    chunkmap_counts_t counts = chunkmap_count (map, job.chunk_count);
    cJSON_AddNumberToObject (root, "chunks", job.chunk_count);
    cJSON_AddStringToObject (root, "map", map);
    cJSON_AddItemToObject (root, "rendering", view.rendering);
    cJSON_AddItemToObject (root, "retried", view.retried);
    cJSON *counted = cJSON_AddObjectToObject (root, "counts");
    cJSON_AddNumberToObject (counted, "waiting", counts.waiting);
    cJSON_AddNumberToObject (counted, "rendering", counts.rendering);
    cJSON_AddNumberToObject (counted, "stored", counts.stored);
    cJSON_AddNumberToObject (counted, "failed", counts.failed);
    cJSON_AddNumberToObject (counted, "retried",
                             cJSON_GetArraySize (view.retried));
    view.rendering = view.retried = NULL;
    char *text = cJSON_PrintUnformatted (root);
    result = s_send_json (connection, MHD_HTTP_OK, text);
    free (text);

cleanup:
    cJSON_Delete (view.rendering);
    cJSON_Delete (view.retried);
    cJSON_Delete (root);
    free (stored);
    free (map);
    return result;
}

//  True when the job id may be seen by the request's token owner: always
//  without tokens; with them, only by the token that submitted it.
static bool
s_visible (httpapi_t *self, const char *id, const char *owner)
{
    if (!self->tokens)
        return true;
    char *job_owner = NULL;
    if (jobstore_owner (self->store, id, &job_owner))
        return false;
    bool visible = job_owner && owner && streq (job_owner, owner);
    free (job_owner);
    return visible;
}

//  dispatchview_worker_fn: a worker, into the array arg.
static void
s_on_worker (const dispatchview_worker_t *worker, void *arg)
{
    cJSON *entry = cJSON_CreateObject ();
    cJSON_AddStringToObject (entry, "id", worker->name);
    cJSON_AddStringToObject (entry, "state", worker->holding ? "busy" : "idle");
    cJSON_AddArrayToObject (entry, "rendering");
    cJSON_AddNumberToObject (entry, "chunks_done", (double)worker->chunks_done);
    if (worker->pages_per_s >= 0)
        cJSON_AddNumberToObject (entry, "pages_per_s",
                                 round (worker->pages_per_s * 10) / 10);
    else
        cJSON_AddNullToObject (entry, "pages_per_s");
    s_add_time_to (entry, "last_seen", worker->last_seen);
    cJSON_AddItemToArray ((cJSON *)arg, entry);
}

//  dispatchview_chunk_fn: a chunk of the worker added last.
static void
s_on_worker_chunk (const dispatchview_chunk_t *chunk, void *arg)
{
    cJSON *worker = cJSON_GetArrayItem ((cJSON *)arg,
                                        cJSON_GetArraySize ((cJSON *)arg) - 1);
    cJSON *entry = cJSON_CreateObject ();
    cJSON_AddStringToObject (entry, "job", chunk->job_id);
    cJSON_AddNumberToObject (entry, "chunk", chunk->chunk_nbr);
    cJSON_AddItemToArray (cJSON_GetObjectItem (worker, "rendering"), entry);
}

//  GET /v1/workers: the workers as the loop last published them; a job
//  the caller may not see is shown as null.
static enum MHD_Result
s_workers (httpapi_t *self, struct MHD_Connection *connection,
           const char *owner)
{
    cJSON *root = cJSON_CreateObject ();
    cJSON *workers = cJSON_AddArrayToObject (root, "workers");
    int64_t desired = -1;
    const char *scaler = "none";
    if (self->dispatch_view)
        dispatchview_read_workers (self->dispatch_view, s_on_worker,
                                   s_on_worker_chunk, workers, &desired,
                                   &scaler);
    //  Outside the view's lock: the store is asked about each job.
    cJSON *worker = NULL;
    cJSON_ArrayForEach (worker, workers)
    {
        cJSON *chunk = NULL;
        cJSON_ArrayForEach (chunk, cJSON_GetObjectItem (worker, "rendering"))
        {
            cJSON *job = cJSON_GetObjectItem (chunk, "job");
            if (!s_visible (self, job->valuestring, owner))
                cJSON_ReplaceItemInObject (chunk, "job", cJSON_CreateNull ());
        }
    }
    if (desired >= 0)
        cJSON_AddNumberToObject (root, "desired", (double)desired);
    else
        cJSON_AddNullToObject (root, "desired");
    cJSON_AddStringToObject (root, "scaler", scaler);
    char *text = cJSON_PrintUnformatted (root);
    cJSON_Delete (root);
    enum MHD_Result result = s_send_json (connection, MHD_HTTP_OK, text);
    free (text);
    return result;
}

static enum MHD_Result
s_handle (void *cls, struct MHD_Connection *connection, const char *url,
          const char *method, const char *version, const char *upload_data,
          size_t *upload_data_size, void **con_cls)
{
    httpapi_t *self = (httpapi_t *)cls;
    (void)version;
    s_upload_t *upload = (s_upload_t *)*con_cls;
    s_request.metrics = self->metrics;
    s_request.route = s_route_names[upload && upload->preview ? S_ROUTE_PREVIEW
                                                              : S_ROUTE_JOBS];
    if (upload && upload->preview)
        return s_preview_body (self, connection, upload, upload_data,
                               upload_data_size);
    if (upload && upload->wait) {
        s_request.route = s_route_names[S_ROUTE_JOB];
        return s_status_wait (self, connection, upload);
    }
    if (upload) {
        if (*upload_data_size == 0)
            return s_submit (self, connection, upload);
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        return s_upload_add (self, connection, upload, upload_data, size);
    }
    bool is_get = streq (method, MHD_HTTP_METHOD_GET) ||
                  streq (method, MHD_HTTP_METHOD_HEAD);
    const char *id_part = NULL;
    size_t id_length = 0;
    s_route_t route = s_route (url, &id_part, &id_length);
    s_request.route = s_route_names[route];
    if (route == S_ROUTE_HEALTHZ && !is_get)
        return s_method_not_allowed (connection, method, "GET, HEAD");
    if (route == S_ROUTE_HEALTHZ)
        return s_send_json (connection, MHD_HTTP_OK, "{\"status\":\"ok\"}");
    if (route == S_ROUTE_CONSOLE)
        return s_console (connection, method, is_get, url);
    const char *owner = NULL;
    if (self->tokens) {
        owner = tokens_check (self->tokens, MHD_lookup_connection_value (
                                                connection, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION));
        if (!owner)
            return s_unauthorized (connection);
    }
    //  Behind the token: the figures tell how busy the service is.
    if (route == S_ROUTE_METRICS && self->metrics) {
        if (!is_get)
            return s_method_not_allowed (connection, method, "GET, HEAD");
        return s_metrics (self, connection);
    }
    if (route == S_ROUTE_JOBS && is_get)
        return s_list (self, connection, owner);
    if (route == S_ROUTE_JOBS && !streq (method, MHD_HTTP_METHOD_POST))
        return s_method_not_allowed (connection, method, "GET, HEAD, POST");
    if (route == S_ROUTE_JOBS) {
        enum MHD_Result result = MHD_YES;
        *con_cls = s_upload_new (self, connection, owner, &result);
        return result;
    }
    if (route == S_ROUTE_PREVIEW && !streq (method, MHD_HTTP_METHOD_POST))
        return s_method_not_allowed (connection, method, "POST");
    if (route == S_ROUTE_PREVIEW) {
        enum MHD_Result result = MHD_YES;
        *con_cls = s_preview_new (self, connection, &result);
        return result;
    }
    bool is_delete = streq (method, MHD_HTTP_METHOD_DELETE);
    if (route == S_ROUTE_JOB && !is_get && !is_delete)
        return s_method_not_allowed (connection, method, "GET, HEAD, DELETE");
    bool is_job_view = route == S_ROUTE_RESULT || route == S_ROUTE_CHUNKS ||
                       route == S_ROUTE_INDEX;
    if ((is_job_view || route == S_ROUTE_WORKERS) && !is_get)
        return s_method_not_allowed (connection, method, "GET, HEAD");
    if (route == S_ROUTE_WORKERS)
        return s_workers (self, connection, owner);
    if (route == S_ROUTE_JOB || is_job_view) {
        //  Only well-formed ids reach the store.
        if (!s_is_job_id (id_part, id_length))
            return s_unknown_job (connection, id_part, id_length);
        char id[PROTO_JOB_ID_LENGTH + 1];
        memcpy (id, id_part, PROTO_JOB_ID_LENGTH);
        id[PROTO_JOB_ID_LENGTH] = '\0';
        //  Another token's job is answered as if it did not exist.
        if (!s_visible (self, id, owner))
            return s_unknown_job (connection, id_part, id_length);
        if (route == S_ROUTE_RESULT)
            return s_result (self, connection, id);
        if (route == S_ROUTE_CHUNKS)
            return s_chunks (self, connection, id);
        if (route == S_ROUTE_INDEX)
            return s_index (self, connection, id);
        if (is_delete)
            return s_cancel (self, connection, id);
        return s_status_query (self, connection, id, con_cls);
    }
    char url_text[S_ECHO_MAX];
    s_printable (url, strlen (url), url_text, sizeof (url_text));
    return s_send_error (connection, MHD_HTTP_NOT_FOUND, "no such endpoint: %s",
                         url_text);
}

static void
s_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)connection;
    (void)toe;
    s_upload_t *upload = (s_upload_t *)*con_cls;
    s_upload_destroy (&upload);
    *con_cls = NULL;
}

//  libmicrohttpd's own messages (bad requests, resource limits) are things
//  we recovered from.
static void
s_mhd_log (void *cls, const char *format, va_list args)
{
    (void)cls;
    char line[512];
    vsnprintf (line, sizeof (line), format, args);
    size_t length = strlen (line);
    while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
        line[--length] = '\0';
    log_warning ("httpapi: microhttpd: %s", line);
}

//  True when sockaddr is a loopback address: 127.0.0.0/8 or ::1.
static bool
s_is_loopback (const struct sockaddr *sockaddr)
{
    if (sockaddr->sa_family == AF_INET) {
        const struct sockaddr_in *ipv4 = (const struct sockaddr_in *)sockaddr;
        return (ntohl (ipv4->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *)sockaddr;
    return IN6_IS_ADDR_LOOPBACK (&ipv6->sin6_addr);
}

static int
s_start (httpapi_t *self, const char *address, uint16_t port,
         bool insecure_no_tokens)
{
    struct sockaddr_in ipv4;
    struct sockaddr_in6 ipv6;
    const struct sockaddr *sockaddr = NULL;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                         MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    memset (&ipv4, 0, sizeof (ipv4));
    memset (&ipv6, 0, sizeof (ipv6));
    if (inet_pton (AF_INET, address, &ipv4.sin_addr) == 1) {
        ipv4.sin_family = AF_INET;
        ipv4.sin_port = htons (port);
        sockaddr = (const struct sockaddr *)&ipv4;
    } else if (inet_pton (AF_INET6, address, &ipv6.sin6_addr) == 1) {
        ipv6.sin6_family = AF_INET6;
        ipv6.sin6_port = htons (port);
        sockaddr = (const struct sockaddr *)&ipv6;
        flags |= MHD_USE_IPv6;
    } else {
        log_error ("httpapi: '%s' is not an IPv4 or IPv6 address", address);
        return -1;
    }
    if (!self->tokens && !s_is_loopback (sockaddr)) {
        if (!insecure_no_tokens) {
            log_error ("httpapi: refusing to serve the API on %s without "
                       "tokens: give --tokens FILE (see `pdfpipe token`), "
                       "or --insecure-no-tokens to let anyone who reaches "
                       "it submit and read every job",
                       address);
            return -1;
        }
        log_warning ("httpapi: serving %s without tokens "
                     "(--insecure-no-tokens): anyone who reaches it can "
                     "submit and read every job",
                     address);
    }
    //  The logger goes first so that it sees every later option's errors.
    self->daemon = MHD_start_daemon (
        flags, port, NULL, NULL, s_handle, self, MHD_OPTION_EXTERNAL_LOGGER,
        s_mhd_log, self, MHD_OPTION_SOCK_ADDR, sockaddr,
        MHD_OPTION_CONNECTION_LIMIT, self->connections_max,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, self->per_address_max,
        MHD_OPTION_CONNECTION_TIMEOUT, self->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)HTTPAPI_CONNECTION_MEMORY_BYTES, MHD_OPTION_NOTIFY_COMPLETED,
        s_completed, self, MHD_OPTION_UNESCAPE_CALLBACK, s_unescape, NULL,
        MHD_OPTION_END);
    if (!self->daemon) {
        log_error ("httpapi: cannot serve HTTP on %s port %u (in use, or not "
                   "an address of this host?)",
                   address, (unsigned)port);
        return -1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info && info->port ? info->port : port;
    return 0;
}

//  Records files that no live or done job needs (a crash mid-intake, a
//  job that failed while the ventilator was down) go before anything is
//  served: while serving, an intake's files have no job row yet. A done
//  job's are its index's (ventilator/recordindex).
static void
s_sweep (httpapi_t *self)
{
    zlist_t *kept = jobstore_active (self->store);
    zlist_t *done = jobstore_done (self->store);
    if (kept && done) {
        zlist_autofree (kept);
        for (const char *id = (const char *)zlist_first (done); id;
             id = (const char *)zlist_next (done))
            zlist_append (kept, (void *)id);
        recordfile_sweep (self->jobs_dir, kept);
    }
    zlist_destroy (&kept);
    zlist_destroy (&done);
}

//  Inputs in S3 (records, assets) need credentials. Without any, S3 is
//  simply not in use here; with a broken configuration, only jobs with
//  S3 inputs are affected, so the API still starts. (Results in S3 are
//  signed with the result store's own client.)
static void
s_open_s3 (httpapi_t *self)
{
    if (!getenv ("AWS_ACCESS_KEY_ID") && !getenv ("AWS_SECRET_ACCESS_KEY")) {
        log_debug ("httpapi: no S3 credentials: job inputs cannot be "
                   "read from S3");
        return;
    }
    char error[S3_ERROR_MAX];
    if (s3_config_from_env (&self->s3_config, error) == 0)
        self->s3 = s3_new (&self->s3_config, error);
    if (!self->s3)
        log_warning ("httpapi: S3 inputs are off: %s", error);
}

httpapi_t *
httpapi_new (const httpapi_config_t *config)
{
    assert (config);
    assert (config->data_dir);
    assert (config->jobs_dir);
    assert (config->spool_dir);
    assert (config->store_url);
    assert (config->notify_endpoint);
    httpapi_t *self = (httpapi_t *)zmalloc (sizeof (httpapi_t));
    assert (self);
    self->jobs_dir = strdup (config->jobs_dir);
    self->spool_dir = strdup (config->spool_dir);
    self->data_dir = strdup (config->data_dir);
    assert (self->jobs_dir && self->spool_dir && self->data_dir);
    self->max_jobstore_bytes = config->max_jobstore_bytes;
    self->max_body_bytes = config->max_body_bytes
                               ? config->max_body_bytes
                               : (size_t)HTTPAPI_MAX_BODY_BYTES_DEFAULT;
    self->metrics = config->metrics;
    self->dispatch_view = config->dispatch_view;
    self->watch = config->job_watch;
    self->drain_max = self->max_body_bytes > HTTPAPI_DRAIN_BYTES_MIN
                          ? self->max_body_bytes
                          : HTTPAPI_DRAIN_BYTES_MIN;
    const char *address =
        config->address ? config->address : HTTPAPI_ADDRESS_DEFAULT;
    self->tokens = config->tokens;
    self->connections_max = config->connections_max ? config->connections_max
                                                    : HTTPAPI_CONNECTION_LIMIT;
    self->per_address_max = config->per_address_max ? config->per_address_max
                                                    : HTTPAPI_PER_ADDRESS_LIMIT;
    self->timeout_s =
        config->timeout_s ? config->timeout_s : HTTPAPI_CONNECTION_TIMEOUT_S;
    self->min_upload_rate = config->min_upload_rate ? config->min_upload_rate
                                                    : HTTPAPI_MIN_UPLOAD_RATE;
    self->upload_grace_s = config->upload_grace_s ? config->upload_grace_s
                                                  : HTTPAPI_UPLOAD_GRACE_S;

    if (MHD_is_feature_supported (MHD_FEATURE_AUTOSUPPRESS_SIGPIPE) != MHD_YES)
        log_warning ("httpapi: microhttpd does not suppress SIGPIPE; the "
                     "process must ignore it");
    self->store = jobstore_open (config->data_dir);
    if (!self->store)
        goto failed;
    s_sweep (self);
    self->results = store_new (config->store_url);
    if (!self->results)
        goto failed;
    s_open_s3 (self);
    intake_config_t intake_config = {
        .data_dir = config->data_dir,
        .jobs_dir = self->jobs_dir,
        .spool_dir = self->spool_dir,
        .s3 = self->s3 ? &self->s3_config : NULL,
        .s3_inputs = config->s3_inputs,
        .max_records_bytes = self->max_body_bytes,
        .min_free_bytes = config->min_free_bytes,
        .uploads_max = config->uploads_max,
        .webhooks = config->webhooks,
        .webhook_url = config->webhook_url,
    };
    self->intake = intake_new (&intake_config);
    if (!self->intake)
        goto failed;
    preview_config_t preview_config = config->preview;
    preview_config.s3 = self->s3 ? &self->s3_config : NULL;
    preview_config.s3_inputs = config->s3_inputs;
    self->preview = preview_new (&preview_config);
    if (!self->preview)
        goto failed;
    self->notify = zsock_new (ZMQ_PUSH);
    assert (self->notify);
    zsock_set_sndtimeo (self->notify, HTTPAPI_NOTIFY_TIMEOUT_MS);
    if (zsock_connect (self->notify, "%s", config->notify_endpoint) != 0) {
        log_error ("httpapi: cannot connect to %s", config->notify_endpoint);
        goto failed;
    }
    //  The store and the socket were made on this thread and are used on
    //  MHD's from here on; starting the thread is the memory barrier ZeroMQ
    //  asks for when a socket changes threads.
    if (s_start (self, address, config->port, config->insecure_no_tokens))
        goto failed;
    return self;

failed:
    httpapi_destroy (&self);
    return NULL;
}

uint16_t
httpapi_port (httpapi_t *self)
{
    assert (self);
    return self->port;
}

void
httpapi_destroy (httpapi_t **self_p)
{
    assert (self_p);
    httpapi_t *self = *self_p;
    if (!self)
        return;
    //  Uploads waiting for intake are answered (resumed) first: MHD must
    //  have no suspended connection when it stops. Stopping joins MHD's
    //  thread, after which the store and socket are ours again, and the
    //  uploads it held are dropped.
    if (self->intake)
        intake_stop (self->intake);
    if (self->preview)
        preview_stop (self->preview);
    if (self->watch && self->daemon)
        jobwatch_stop (self->watch);
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    intake_destroy (&self->intake);
    preview_destroy (&self->preview);
    zsock_destroy (&self->notify);
    jobstore_destroy (&self->store);
    store_destroy (&self->results);
    s3_destroy (&self->s3);
    free (self->jobs_dir);
    free (self->spool_dir);
    free (self->data_dir);
    free (self);
    *self_p = NULL;
}
