/*  test_httpapi - the ventilator's HTTP API, over real HTTP.

    Each test starts the API on an ephemeral loopback port with a fresh
    data directory and a small body limit, binds the PULL end of its
    notification socket as the main loop would, and talks to it with
    libcurl (and a raw socket for malformed requests). A second job store
    handle on the same directory plays the main loop's part where a job
    must move on (done, failed).

    SPDX-License-Identifier: MPL-2.0
*/
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "httpapi.h"
#include "jobstore.h"
#include "recordfile.h"
#include "testassert.h"
#include "testdir.h"
#include "testfile.h"
#include "testserver.h"

//  The buckets jobs may read their inputs from (set in main).
static s3inputs_t *s_inputs;
#define S_MAX_BODY_BYTES 4096
#define S_UPLOADS_MAX 2
#define S_RECEIVE_TIMEOUT_MS 2000
//  Polling for a change the server makes in its own time: a generous
//  bound, whose expiry fails the test, and the pause between tries.
#define S_POLL_TIMEOUT_MS 10000
#define S_POLL_INTERVAL_MS 20

static const char *s_document =
    "{\"version\": 1, \"chunk_pages\": 2,"
    " \"template\": {\"page\": {\"size\": \"A4\", \"orientation\": "
    "\"portrait\"},"
    "  \"elements\": [{\"type\": \"text\", \"text\": \"Hello {{name}}\","
    "   \"x\": 50, \"y\": 780, \"font\": \"Helvetica\", \"size\": 12}]},"
    " \"records\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\"},"
    "  {\"name\": \"d\"}, {\"name\": \"e\"}]}";

static const char *s_bad_records =
    "{\"version\": 1,"
    " \"template\": {\"page\": {\"size\": \"A4\", \"orientation\": "
    "\"portrait\"},"
    "  \"elements\": [{\"type\": \"text\", \"text\": \"Hello\","
    "   \"x\": 50, \"y\": 780, \"font\": \"Helvetica\", \"size\": 12}]},"
    " \"records\": \"not a list\"}";

#define S_JSON "application/json"
#define S_UNKNOWN_ID "ffffffffffffffffffffffffffffffff"

typedef struct {
    testdir_t *testdir;
    const char *data_dir; // testdir_path (testdir)
    char *jobs_dir;       // data_dir/jobs
    char *spool_dir;      // data_dir/uploads
    uint64_t min_free_bytes;
    char *store_url; // where results are: file://<data_dir>/out
    char endpoint[64];
    zsock_t *pull;
    httpapi_t *api;
    char base_url[64];
} s_fixture_t;

typedef struct {
    long status;
    char *body; // NUL-terminated
    size_t body_size;
    char *headers; // raw response headers, NUL-terminated
    size_t headers_size;
} s_reply_t;

//  Bytes libcurl hands us (body or headers), NUL-terminated.
typedef struct {
    char *data;
    size_t size;
} s_sink_t;

//  A body to upload with chunked transfer encoding.
typedef struct {
    const char *data;
    size_t size;
    size_t offset;
} s_upload_t;

static int
s_setup (void **state)
{
    static int instance = 0;
    s_fixture_t *fixture = (s_fixture_t *)calloc (1, sizeof (s_fixture_t));
    assert_non_null (fixture);
    fixture->testdir = testdir_new ("test_httpapi");
    fixture->data_dir = testdir_path (fixture->testdir);
    fixture->jobs_dir = testdir_join (fixture->testdir, "jobs");
    fixture->spool_dir = testdir_join (fixture->testdir, "uploads");
    snprintf (fixture->endpoint, sizeof (fixture->endpoint),
              "inproc://test-httpapi-%d", ++instance);
    fixture->pull = zsock_new (ZMQ_PULL);
    assert_non_null (fixture->pull);
    assert_int_equal (zsock_bind (fixture->pull, "%s", fixture->endpoint), 0);
    zsock_set_rcvtimeo (fixture->pull, S_RECEIVE_TIMEOUT_MS);
    fixture->store_url = zsys_sprintf ("file://%s/out", fixture->data_dir);
    httpapi_config_t config = {
        .port = 0,
        .address = "127.0.0.1",
        .data_dir = fixture->data_dir,
        .jobs_dir = fixture->jobs_dir,
        .spool_dir = fixture->spool_dir,
        .min_free_bytes = fixture->min_free_bytes,
        .uploads_max = S_UPLOADS_MAX,
        .store_url = fixture->store_url,
        .max_body_bytes = S_MAX_BODY_BYTES,
        .notify_endpoint = fixture->endpoint,
        .s3_inputs = s_inputs,
    };
    fixture->api = httpapi_new (&config);
    assert_non_null (fixture->api);
    assert_int_not_equal (httpapi_port (fixture->api), 0);
    snprintf (fixture->base_url, sizeof (fixture->base_url),
              "http://127.0.0.1:%u", (unsigned)httpapi_port (fixture->api));
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    httpapi_destroy (&fixture->api);
    zsock_destroy (&fixture->pull);
    free (fixture->jobs_dir);
    free (fixture->spool_dir);
    testdir_destroy (&fixture->testdir);
    zstr_free (&fixture->store_url);
    free (fixture);
    return 0;
}

static size_t
s_collect (char *data, size_t size, size_t count, void *closure)
{
    s_sink_t *sink = (s_sink_t *)closure;
    size_t length = size * count;
    char *grown = (char *)realloc (sink->data, sink->size + length + 1);
    assert_non_null (grown);
    memcpy (grown + sink->size, data, length);
    sink->size += length;
    grown[sink->size] = '\0';
    sink->data = grown;
    return length;
}

static size_t
s_read_upload (char *buffer, size_t size, size_t count, void *closure)
{
    s_upload_t *upload = (s_upload_t *)closure;
    size_t length = size * count;
    if (length > upload->size - upload->offset)
        length = upload->size - upload->offset;
    memcpy (buffer, upload->data + upload->offset, length);
    upload->offset += length;
    return length;
}

//  One request. content_type NULL sends none; body NULL sends none;
//  chunked sends the body without Content-Length.
static s_reply_t
s_request_full (s_fixture_t *fixture, const char *method, const char *path,
                const char *content_type, const char *body, size_t body_size,
                bool chunked)
{
    s_reply_t reply;
    memset (&reply, 0, sizeof (reply));
    s_sink_t body_sink = {NULL, 0};
    s_sink_t header_sink = {NULL, 0};
    s_upload_t upload = {body, body_size, 0};
    char url[512];
    snprintf (url, sizeof (url), "%s%s", fixture->base_url, path);
    CURL *curl = curl_easy_init ();
    assert_non_null (curl);
    struct curl_slist *headers = NULL;
    char content_type_header[256];
    if (content_type) {
        snprintf (content_type_header, sizeof (content_type_header),
                  "Content-Type: %s", content_type);
        headers = curl_slist_append (headers, content_type_header);
    } else
        headers = curl_slist_append (headers, "Content-Type:");
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 10000L);
    //  Paths are sent as written (no "../" squashing by curl).
    curl_easy_setopt (curl, CURLOPT_PATH_AS_IS, 1L);
    if (streq (method, "HEAD"))
        curl_easy_setopt (curl, CURLOPT_NOBODY, 1L);
    else if (!streq (method, "GET"))
        curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
    if (body && chunked) {
        headers = curl_slist_append (headers, "Transfer-Encoding: chunked");
        curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt (curl, CURLOPT_READFUNCTION, s_read_upload);
        curl_easy_setopt (curl, CURLOPT_READDATA, &upload);
    } else if (body) {
        curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE,
                          (curl_off_t)body_size);
    }
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &body_sink);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_collect);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, &header_sink);
    CURLcode code = curl_easy_perform (curl);
    if (code != CURLE_OK)
        fail_msg ("%s %s: %s", method, path, curl_easy_strerror (code));
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_slist_free_all (headers);
    curl_easy_cleanup (curl);
    reply.body = body_sink.data ? body_sink.data : strdup ("");
    reply.body_size = body_sink.size;
    reply.headers = header_sink.data ? header_sink.data : strdup ("");
    reply.headers_size = header_sink.size;
    return reply;
}

static s_reply_t
s_request (s_fixture_t *fixture, const char *method, const char *path,
           const char *content_type, const char *body)
{
    return s_request_full (fixture, method, path, content_type, body,
                           body ? strlen (body) : 0, false);
}

static void
s_reply_free (s_reply_t *reply)
{
    free (reply->body);
    free (reply->headers);
    reply->body = reply->headers = NULL;
}

//  Value of a response header (case-insensitive name), copied into value.
static bool
s_header (const s_reply_t *reply, const char *name, char *value, size_t size)
{
    size_t name_length = strlen (name);
    const char *line = reply->headers;
    while (line && *line) {
        if (strncasecmp (line, name, name_length) == 0 &&
            line[name_length] == ':') {
            const char *start = line + name_length + 1;
            while (*start == ' ')
                start++;
            size_t length = strcspn (start, "\r\n");
            if (length >= size)
                length = size - 1;
            memcpy (value, start, length);
            value[length] = '\0';
            return true;
        }
        line = strchr (line, '\n');
        if (line)
            line++;
    }
    return false;
}

static cJSON *
s_json (const s_reply_t *reply)
{
    cJSON *json = cJSON_Parse (reply->body);
    if (!json)
        fail_msg ("body is not JSON: '%s'", reply->body);
    return json;
}

//  error.message of an error body; fails unless the body is one.
static char *
s_error_message (const s_reply_t *reply)
{
    cJSON *json = s_json (reply);
    const cJSON *error = cJSON_GetObjectItem (json, "error");
    const cJSON *message = cJSON_GetObjectItem (error, "message");
    if (!cJSON_IsString (message))
        fail_msg ("no error.message in '%s'", reply->body);
    char *text = strdup (message->valuestring);
    cJSON_Delete (json);
    return text;
}

static void
s_expect_error (const s_reply_t *reply, long status, const char *fragment)
{
    assert_int_eq (reply->status, status);
    char content_type[64] = "";
    assert_true (
        s_header (reply, "Content-Type", content_type, sizeof (content_type)));
    assert_string_equal (content_type, S_JSON);
    char *message = s_error_message (reply);
    if (fragment && !strstr (message, fragment))
        fail_msg ("'%s' not in the message '%s'", fragment, message);
    free (message);
}

//  The next notification from the API: command and job id.
static void
s_expect_notice (s_fixture_t *fixture, const char *command, const char *id)
{
    char *received_command = NULL;
    char *received_id = NULL;
    int rc = zstr_recvx (fixture->pull, &received_command, &received_id, NULL);
    if (rc < 0)
        fail_msg ("no %s notification within %d ms", command,
                  S_RECEIVE_TIMEOUT_MS);
    assert_non_null (received_id);
    assert_string_equal (received_command, command);
    assert_string_equal (received_id, id);
    zstr_free (&received_command);
    zstr_free (&received_id);
}

//  POST the test document; returns the new job's id (caller frees).
static char *
s_submit (s_fixture_t *fixture)
{
    s_reply_t reply =
        s_request (fixture, "POST", "/v1/jobs", S_JSON, s_document);
    if (reply.status != 202)
        fail_msg ("submit answered %ld: %s", reply.status, reply.body);
    cJSON *json = s_json (&reply);
    char *id = strdup (cJSON_GetObjectItem (json, "id")->valuestring);
    cJSON_Delete (json);
    s_reply_free (&reply);
    s_expect_notice (fixture, "NEW", id);
    return id;
}

static void
test_healthz_answers_ok (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_reply_t reply = s_request (fixture, "GET", "/healthz", NULL, NULL);
    assert_int_eq (reply.status, 200);
    cJSON *json = s_json (&reply);
    assert_string_equal (cJSON_GetObjectItem (json, "status")->valuestring,
                         "ok");
    cJSON_Delete (json);
    s_reply_free (&reply);

    reply = s_request (fixture, "HEAD", "/healthz", NULL, NULL);
    assert_int_eq (reply.status, 200);
    assert_size_eq (reply.body_size, 0);
    s_reply_free (&reply);
}

static void
test_submit_stores_job_and_notifies_loop (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_reply_t reply =
        s_request (fixture, "POST", "/v1/jobs", S_JSON, s_document);
    assert_int_eq (reply.status, 202);
    cJSON *json = s_json (&reply);
    const char *id = cJSON_GetObjectItem (json, "id")->valuestring;
    assert_int_equal (strlen (id), 32);
    assert_int_equal (strspn (id, "0123456789abcdef"), 32);
    char expected_url[64];
    snprintf (expected_url, sizeof (expected_url), "/v1/jobs/%s", id);
    assert_string_equal (cJSON_GetObjectItem (json, "status_url")->valuestring,
                         expected_url);
    char location[128];
    assert_true (s_header (&reply, "Location", location, sizeof (location)));
    assert_string_equal (location, expected_url);
    s_expect_notice (fixture, "NEW", id);

    //  Committed before the 202: another handle sees it at once.
    jobstore_t *store = jobstore_open (fixture->data_dir);
    jobstore_job_t job;
    assert_int_equal (jobstore_job (store, id, &job), 0);
    assert_int_equal (job.state, JOB_QUEUED);
    assert_int_eq (job.pages, 5);
    assert_int_eq (job.chunk_count, 3);
    jobstore_destroy (&store);
    cJSON_Delete (json);
    s_reply_free (&reply);
}

static void
test_status_of_a_submitted_job (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char *id = s_submit (fixture);
    char path[128];
    snprintf (path, sizeof (path), "/v1/jobs/%s", id);
    s_reply_t reply = s_request (fixture, "GET", path, NULL, NULL);
    assert_int_eq (reply.status, 200);
    cJSON *json = s_json (&reply);
    assert_string_equal (cJSON_GetObjectItem (json, "id")->valuestring, id);
    assert_string_equal (cJSON_GetObjectItem (json, "state")->valuestring,
                         "queued");
    const cJSON *pages = cJSON_GetObjectItem (json, "pages");
    assert_int_equal (cJSON_GetObjectItem (pages, "total")->valueint, 5);
    assert_true (cJSON_IsNull (cJSON_GetObjectItem (json, "result")));
    cJSON_Delete (json);
    s_reply_free (&reply);
    free (id);
}

static void
test_charset_utf8_is_accepted (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_reply_t reply =
        s_request (fixture, "POST", "/v1/jobs",
                   "Application/JSON; charset=\"UTF-8\"", s_document);
    assert_int_eq (reply.status, 202);
    s_reply_free (&reply);
}

static void
test_bad_document_names_the_field (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_reply_t reply =
        s_request (fixture, "POST", "/v1/jobs", S_JSON, s_bad_records);
    s_expect_error (&reply, 400, NULL);
    cJSON *json = s_json (&reply);
    const cJSON *field =
        cJSON_GetObjectItem (cJSON_GetObjectItem (json, "error"), "field");
    assert_true (cJSON_IsString (field));
    if (strncmp (field->valuestring, "records", 7) != 0)
        fail_msg ("field '%s' does not name the records", field->valuestring);
    cJSON_Delete (json);
    s_reply_free (&reply);

    reply = s_request (fixture, "POST", "/v1/jobs", S_JSON, "{\"version\": ");
    s_expect_error (&reply, 400, NULL);
    s_reply_free (&reply);
    reply = s_request (fixture, "POST", "/v1/jobs", S_JSON, NULL);
    s_expect_error (&reply, 400, NULL);
    s_reply_free (&reply);
    //  Nothing was stored, nothing announced.
    zsock_set_rcvtimeo (fixture->pull, 200);
    char *command = zstr_recv (fixture->pull);
    assert_null (command);
}

static void
test_oversized_body_is_refused (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    size_t size = S_MAX_BODY_BYTES + 1;
    char *body = (char *)malloc (size);
    assert_non_null (body);
    memset (body, ' ', size);
    body[0] = '{';
    body[size - 1] = '}';
    s_reply_t reply =
        s_request_full (fixture, "POST", "/v1/jobs", S_JSON, body, size, false);
    s_expect_error (&reply, 413, "4096 bytes");
    s_reply_free (&reply);

    //  Without Content-Length the server counts as the body arrives.
    reply =
        s_request_full (fixture, "POST", "/v1/jobs", S_JSON, body, size, true);
    s_expect_error (&reply, 413, "4096 bytes");
    s_reply_free (&reply);

    //  One byte less is within the limit (and then parsed).
    reply = s_request_full (fixture, "POST", "/v1/jobs", S_JSON, body, size - 1,
                            true);
    assert_int_eq (reply.status, 400);
    s_reply_free (&reply);
    free (body);

    //  The server is still serving.
    reply = s_request (fixture, "GET", "/healthz", NULL, NULL);
    assert_int_eq (reply.status, 200);
    s_reply_free (&reply);
}

static void
test_chunked_document_is_accepted (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_reply_t reply = s_request_full (fixture, "POST", "/v1/jobs", S_JSON,
                                      s_document, strlen (s_document), true);
    assert_int_eq (reply.status, 202);
    s_reply_free (&reply);
}

static void
test_wrong_content_type_is_refused (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    const char *types[] = {"text/plain", "application/jsonx",
                           "application/json; charset=latin1", NULL};
    for (int index = 0; index < 4; index++) {
        s_reply_t reply =
            s_request (fixture, "POST", "/v1/jobs", types[index], s_document);
        s_expect_error (&reply, 415, "application/json");
        s_reply_free (&reply);
    }
}

static void
test_unknown_or_malformed_id_is_404 (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_reply_t reply =
        s_request (fixture, "GET", "/v1/jobs/" S_UNKNOWN_ID, NULL, NULL);
    s_expect_error (&reply, 404, "no job with id '" S_UNKNOWN_ID "'");
    s_reply_free (&reply);

    const char *paths[] = {
        "/v1/jobs/nope",
        "/v1/jobs/FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "/v1/jobs/%22%0a%00%ff",
        "/v1/jobs/" S_UNKNOWN_ID "/result",
    };
    for (size_t index = 0; index < sizeof (paths) / sizeof (paths[0]);
         index++) {
        reply = s_request (fixture, "GET", paths[index], NULL, NULL);
        s_expect_error (&reply, 404, "no job with id");
        s_reply_free (&reply);
    }
    reply = s_request (fixture, "DELETE", "/v1/jobs/" S_UNKNOWN_ID, NULL, NULL);
    s_expect_error (&reply, 404, S_UNKNOWN_ID);
    s_reply_free (&reply);
}

static void
test_unknown_paths_are_404 (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    const char *paths[] = {
        "/index.html",
        "/console/",
        "/console/nope.js",
        "/console/../index.html",
        "/v1/jobs/",
        "/v1/jobs/%2e%2e/%2e%2e/healthz",
        "/v1/jobs/../../healthz",
        "/v1/jobs/" S_UNKNOWN_ID "/result/",
        "/v1/jobs/" S_UNKNOWN_ID "/x",
        "/healthz/",
        "/v2/jobs",
    };
    for (size_t index = 0; index < sizeof (paths) / sizeof (paths[0]);
         index++) {
        s_reply_t reply = s_request (fixture, "GET", paths[index], NULL, NULL);
        s_expect_error (&reply, 404, NULL);
        s_reply_free (&reply);
    }
}

//  The console (ventilator/console): its page and files, with the security
//  headers, and nothing else under its prefix.
static void
test_console_is_served_with_security_headers (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    struct {
        const char *path, *type, *fragment;
    } cases[] = {
        {"/", "text/html; charset=utf-8", "<script src=\"/console/app.js\""},
        {"/console/index.html", "text/html; charset=utf-8", "<!doctype html>"},
        {"/console/app.js", "text/javascript; charset=utf-8", "use strict"},
        {"/console/app.css", "text/css; charset=utf-8", "@media"},
    };
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases[0]);
         index++) {
        s_reply_t reply = s_request (fixture, "GET", cases[index].path, NULL,
                                     NULL);
        assert_int_equal (reply.status, 200);
        char value[512];
        assert_true (s_header (&reply, "Content-Type", value, sizeof (value)));
        assert_string_equal (value, cases[index].type);
        assert_non_null (strstr (reply.body, cases[index].fragment));
        assert_true (s_header (&reply, "Content-Security-Policy", value,
                               sizeof (value)));
        assert_non_null (strstr (value, "default-src 'self'"));
        assert_null (strstr (value, "unsafe-inline"));
        assert_true (s_header (&reply, "X-Frame-Options", value,
                               sizeof (value)));
        assert_string_equal (value, "DENY");
        assert_true (s_header (&reply, "X-Content-Type-Options", value,
                               sizeof (value)));
        assert_string_equal (value, "nosniff");
        assert_true (s_header (&reply, "ETag", value, sizeof (value)));
        assert_int_equal (value[0], '"');
        s_reply_free (&reply);
    }
    s_reply_t reply = s_request (fixture, "POST", "/", S_JSON, "{}");
    assert_int_equal (reply.status, 405);
    s_reply_free (&reply);
}

static void
test_wrong_method_is_405_with_allow (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    struct {
        const char *method, *path, *allow;
    } cases[] = {
        {"PUT", "/v1/jobs", "GET, HEAD, POST"},
        {"PUT", "/v1/jobs/" S_UNKNOWN_ID, "GET, HEAD, DELETE"},
        {"POST", "/v1/jobs/" S_UNKNOWN_ID "/result", "GET, HEAD"},
        {"DELETE", "/healthz", "GET, HEAD"},
    };
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases[0]);
         index++) {
        s_reply_t reply = s_request (fixture, cases[index].method,
                                     cases[index].path, NULL, NULL);
        s_expect_error (&reply, 405, cases[index].method);
        char allow[64] = "";
        assert_true (s_header (&reply, "Allow", allow, sizeof (allow)));
        assert_string_equal (allow, cases[index].allow);
        s_reply_free (&reply);
    }
}

static void
test_result_before_done_is_409 (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char *id = s_submit (fixture);
    char path[128];
    snprintf (path, sizeof (path), "/v1/jobs/%s/result", id);
    s_reply_t reply = s_request (fixture, "GET", path, NULL, NULL);
    char expected[128];
    snprintf (expected, sizeof (expected),
              "job %s is queued; the result is not ready", id);
    s_expect_error (&reply, 409, expected);
    s_reply_free (&reply);
    free (id);
}

static void
test_delete_cancels_and_notifies (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char *id = s_submit (fixture);
    char path[128];
    snprintf (path, sizeof (path), "/v1/jobs/%s", id);
    s_reply_t reply = s_request (fixture, "DELETE", path, NULL, NULL);
    assert_int_eq (reply.status, 200);
    cJSON *json = s_json (&reply);
    assert_string_equal (cJSON_GetObjectItem (json, "state")->valuestring,
                         "cancelled");
    cJSON_Delete (json);
    s_reply_free (&reply);
    s_expect_notice (fixture, "CANCEL", id);

    reply = s_request (fixture, "DELETE", path, NULL, NULL);
    s_expect_error (&reply, 409, "already cancelled");
    s_reply_free (&reply);

    snprintf (path, sizeof (path), "/v1/jobs/%s/result", id);
    reply = s_request (fixture, "GET", path, NULL, NULL);
    s_expect_error (&reply, 409, "cancelled");
    s_reply_free (&reply);
    free (id);
}

//  The file the result of job id is in: <data_dir>/out/<id>/<id>.pdf,
//  where the fixture's store puts its default output key. Caller frees.
static char *
s_result_file (s_fixture_t *fixture, const char *id, const char *content)
{
    char *dir = zsys_sprintf ("%s/out/%s", fixture->data_dir, id);
    assert_int_equal (zsys_dir_create ("%s", dir), 0);
    char *path = zsys_sprintf ("%s/%s.pdf", dir, id);
    testfile_write (path, content, strlen (content));
    zstr_free (&dir);
    return path;
}

static void
test_result_of_done_job_is_streamed (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char *id = s_submit (fixture);
    const char content[] = "%PDF-1.4\n% not really a PDF\n%%EOF\n";
    char *file_path = s_result_file (fixture, id, content);
    char location[160];
    snprintf (location, sizeof (location), "file://%s", file_path);
    zstr_free (&file_path);
    jobstore_t *store = jobstore_open (fixture->data_dir);
    assert_int_equal (
        jobstore_set_result (store, id, location, sizeof (content) - 1), 0);
    jobstore_destroy (&store);

    char path[128];
    snprintf (path, sizeof (path), "/v1/jobs/%s/result", id);
    s_reply_t reply = s_request (fixture, "GET", path, NULL, NULL);
    assert_int_eq (reply.status, 200);
    assert_size_eq (reply.body_size, sizeof (content) - 1);
    assert_memory_equal (reply.body, content, sizeof (content) - 1);
    char header[128];
    assert_true (s_header (&reply, "Content-Type", header, sizeof (header)));
    assert_string_equal (header, "application/pdf");
    assert_true (
        s_header (&reply, "Content-Disposition", header, sizeof (header)));
    char expected[128];
    snprintf (expected, sizeof (expected), "attachment; filename=\"%s.pdf\"",
              id);
    assert_string_equal (header, expected);
    //  No cache along the way keeps a job's PDF.
    assert_true (s_header (&reply, "Cache-Control", header, sizeof (header)));
    assert_string_equal (header, "no-store");
    s_reply_free (&reply);

    snprintf (path, sizeof (path), "/v1/jobs/%s", id);
    reply = s_request (fixture, "GET", path, NULL, NULL);
    cJSON *json = s_json (&reply);
    const cJSON *result = cJSON_GetObjectItem (json, "result");
    assert_int_equal (cJSON_GetObjectItem (result, "bytes")->valueint,
                      sizeof (content) - 1);
    cJSON_Delete (json);
    s_reply_free (&reply);

    reply = s_request (fixture, "DELETE", path, NULL, NULL);
    s_expect_error (&reply, 409, "already done");
    s_reply_free (&reply);
    free (id);
}

//  Start the API again on the same data directory with results in
//  store_url (NULL: where they were), so that it reads the environment
//  and the fixture's settings again.
static void
s_restart_api (s_fixture_t *fixture, const char *store_url)
{
    httpapi_destroy (&fixture->api);
    if (store_url) {
        zstr_free (&fixture->store_url);
        fixture->store_url = strdup (store_url);
    }
    httpapi_config_t config = {
        .port = 0,
        .address = "127.0.0.1",
        .data_dir = fixture->data_dir,
        .jobs_dir = fixture->jobs_dir,
        .spool_dir = fixture->spool_dir,
        .min_free_bytes = fixture->min_free_bytes,
        .uploads_max = S_UPLOADS_MAX,
        .store_url = fixture->store_url,
        .max_body_bytes = S_MAX_BODY_BYTES,
        .notify_endpoint = fixture->endpoint,
        .s3_inputs = s_inputs,
    };
    fixture->api = httpapi_new (&config);
    assert_non_null (fixture->api);
    snprintf (fixture->base_url, sizeof (fixture->base_url),
              "http://127.0.0.1:%u", (unsigned)httpapi_port (fixture->api));
}

static void
s_set_s3_environment (bool on)
{
    const char *names[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                           "AWS_REGION", "PDFPIPE_S3_ENDPOINT",
                           "PDFPIPE_S3_PRESIGN_EXPIRES"};
    const char *values[] = {"AKIDTEST", "secret/TEST+key", "eu-west-1",
                            "http://127.0.0.1:9", "600"};
    for (size_t index = 0; index < 5; index++)
        if (on)
            setenv (names[index], values[index], 1);
        else
            unsetenv (names[index]);
}

//  A job that is done with its result at location.
static char *
s_done_job (s_fixture_t *fixture, const char *location)
{
    char *id = s_submit (fixture);
    jobstore_t *store = jobstore_open (fixture->data_dir);
    assert_int_equal (jobstore_set_result (store, id, location, 10), 0);
    jobstore_destroy (&store);
    return id;
}

static void
test_result_in_s3_redirects_to_a_presigned_url (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_set_s3_environment (true);
    s_restart_api (fixture, "s3://pdfpipe-bucket/out");
    //  Whatever location was recorded, the link is for the store's bucket
    //  and prefix.
    char *id = s_done_job (fixture, "s3://other-bucket/secret.pdf");
    char path[128];
    snprintf (path, sizeof (path), "/v1/jobs/%s/result", id);
    char expected_start[256];
    snprintf (expected_start, sizeof (expected_start),
              "http://127.0.0.1:9/pdfpipe-bucket/out/%s/%s.pdf?"
              "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDTEST%%2F",
              id, id);
    for (int head = 0; head < 2; head++) {
        s_reply_t reply =
            s_request (fixture, head ? "HEAD" : "GET", path, NULL, NULL);
        assert_int_eq (reply.status, 302);
        char location[1024];
        assert_true (
            s_header (&reply, "Location", location, sizeof (location)));
        assert_true (
            strncmp (location, expected_start, strlen (expected_start)) == 0);
        assert_non_null (strstr (location, "%2Feu-west-1%2Fs3%2Faws4_request"));
        assert_non_null (strstr (location, "&X-Amz-Expires=600&"));
        assert_null (strstr (location, "secret"));
        if (!head) {
            cJSON *json = s_json (&reply);
            assert_string_equal (cJSON_GetObjectItem (json, "url")->valuestring,
                                 location);
            assert_non_null (cJSON_GetObjectItem (json, "expires_at"));
            cJSON_Delete (json);
        }
        s_reply_free (&reply);
    }
    //  The status document carries the same kind of link.
    snprintf (path, sizeof (path), "/v1/jobs/%s", id);
    s_reply_t reply = s_request (fixture, "GET", path, NULL, NULL);
    assert_int_eq (reply.status, 200);
    assert_null (strstr (reply.body, "secret"));
    cJSON *json = s_json (&reply);
    const cJSON *result = cJSON_GetObjectItem (json, "result");
    char expected_url[64];
    snprintf (expected_url, sizeof (expected_url), "/v1/jobs/%s/result", id);
    assert_string_equal (cJSON_GetObjectItem (result, "url")->valuestring,
                         expected_url);
    const char *download =
        cJSON_GetObjectItem (result, "download_url")->valuestring;
    assert_true (strncmp (download, expected_start, strlen (expected_start)) ==
                 0);
    const char *expires =
        cJSON_GetObjectItem (result, "download_expires_at")->valuestring;
    assert_int_equal (strlen (expires), strlen ("2025-11-25T16:50:01.000Z"));
    cJSON_Delete (json);
    s_reply_free (&reply);
    free (id);
    s_set_s3_environment (false);
}

static void
test_s3_result_store_needs_credentials_to_start (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_set_s3_environment (false);
    httpapi_config_t config = {
        .port = 0,
        .address = "127.0.0.1",
        .data_dir = fixture->data_dir,
        .jobs_dir = fixture->jobs_dir,
        .spool_dir = fixture->spool_dir,
        .store_url = "s3://pdfpipe-bucket/out",
        .notify_endpoint = fixture->endpoint,
    };
    assert_null (httpapi_new (&config));
}

static void
test_recorded_location_is_never_served (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    //  A location a forged JOB_DONE once recorded: the result is looked
    //  for in the store only, and is not there.
    char *id = s_done_job (fixture, "file:///etc/passwd");
    char path[128];
    snprintf (path, sizeof (path), "/v1/jobs/%s/result", id);
    s_reply_t reply = s_request (fixture, "GET", path, NULL, NULL);
    s_expect_error (&reply, 500, "cannot be read");
    assert_null (strstr (reply.body, "root:"));
    s_reply_free (&reply);
    //  Once it is there, that is what is served.
    free (s_result_file (fixture, id, "%PDF-1.4\n"));
    reply = s_request (fixture, "GET", path, NULL, NULL);
    assert_int_eq (reply.status, 200);
    assert_size_eq (reply.body_size, strlen ("%PDF-1.4\n"));
    s_reply_free (&reply);
    free (id);
}

static void
test_download_uses_the_documents_file_name (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char document[1024];
    snprintf (document, sizeof (document),
              "%.*s, \"output\": {\"filename\": \"Q3 report.pdf\"}}",
              (int)strlen (s_document) - 1, s_document);
    s_reply_t reply = s_request (fixture, "POST", "/v1/jobs", S_JSON, document);
    assert_int_eq (reply.status, 202);
    cJSON *json = s_json (&reply);
    char *id = strdup (cJSON_GetObjectItem (json, "id")->valuestring);
    cJSON_Delete (json);
    s_reply_free (&reply);
    s_expect_notice (fixture, "NEW", id);
    char *file_path = s_result_file (fixture, id, "%PDF-1.4\n");
    char location[160];
    snprintf (location, sizeof (location), "file://%s", file_path);
    zstr_free (&file_path);
    jobstore_t *store = jobstore_open (fixture->data_dir);
    assert_int_equal (jobstore_set_result (store, id, location, 9), 0);
    jobstore_destroy (&store);
    char path[128];
    snprintf (path, sizeof (path), "/v1/jobs/%s/result", id);
    reply = s_request (fixture, "GET", path, NULL, NULL);
    assert_int_eq (reply.status, 200);
    char header[256];
    assert_true (
        s_header (&reply, "Content-Disposition", header, sizeof (header)));
    assert_string_equal (header, "attachment; filename=\"Q3 report.pdf\"; "
                                 "filename*=UTF-8''Q3%20report.pdf");
    s_reply_free (&reply);
    free (id);
}

static void
test_result_of_failed_job_gives_reason (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char *id = s_submit (fixture);
    jobstore_t *store = jobstore_open (fixture->data_dir);
    assert_int_equal (jobstore_set_state (store, id, JOB_FAILED,
                                          "chunk 1 failed 4 times: bad font"),
                      0);
    jobstore_destroy (&store);
    char path[128];
    snprintf (path, sizeof (path), "/v1/jobs/%s/result", id);
    s_reply_t reply = s_request (fixture, "GET", path, NULL, NULL);
    s_expect_error (&reply, 409, "failed: chunk 1 failed 4 times: bad font");
    s_reply_free (&reply);
    free (id);
}

static int
s_raw_connect (s_fixture_t *fixture)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address;
    memset (&address, 0, sizeof (address));
    address.sin_family = AF_INET;
    address.sin_port = htons (httpapi_port (fixture->api));
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (
        connect (fd, (struct sockaddr *)&address, sizeof (address)), 0);
    struct timeval timeout = {1, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof (timeout));
    return fd;
}

static void
s_raw_send (int fd, const char *data, size_t size)
{
    size_t sent = 0;
    while (sent < size) {
        ssize_t written = send (fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (written <= 0)
            break; // the server may hang up on us: fine
        sent += (size_t)written;
    }
}

//  Bytes the server has sent on fd so far, read until it goes quiet.
static char *
s_raw_answer (int fd)
{
    char *answer = (char *)calloc (1, 4096);
    assert_non_null (answer);
    size_t used = 0;
    while (used < 4095) {
        ssize_t got = recv (fd, answer + used, 4095 - used, 0);
        if (got <= 0)
            break;
        used += (size_t)got;
    }
    return answer;
}

//  Send raw bytes, read the answer until the server closes (or 1 s of
//  silence).
static char *
s_raw_exchange (s_fixture_t *fixture, const char *request, size_t size)
{
    int fd = s_raw_connect (fixture);
    s_raw_send (fd, request, size);
    char *answer = s_raw_answer (fd);
    close (fd);
    return answer;
}

//  POST the document until the answer is wanted, while it is still
//  meanwhile (the server has not yet seen what the test did); any other
//  answer, or no wanted one within S_POLL_TIMEOUT_MS, fails the test.
static s_reply_t
s_post_until (s_fixture_t *fixture, long wanted, long meanwhile)
{
    int64_t deadline = zclock_mono () + S_POLL_TIMEOUT_MS;
    while (true) {
        s_reply_t reply =
            s_request (fixture, "POST", "/v1/jobs", S_JSON, s_document);
        if (reply.status == wanted)
            return reply;
        if (reply.status != meanwhile)
            fail_msg ("POST /v1/jobs answered %ld, expected %ld or %ld: %s",
                      reply.status, wanted, meanwhile, reply.body);
        s_reply_free (&reply);
        if (zclock_mono () > deadline)
            fail_msg ("POST /v1/jobs still answered %ld, not %ld, after "
                      "%d ms",
                      meanwhile, wanted, S_POLL_TIMEOUT_MS);
        zclock_sleep (S_POLL_INTERVAL_MS);
    }
}

static void
test_uploads_beyond_the_limit_get_503 (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    //  Each of these is an upload in progress while its body is incomplete;
    //  together they are as many as the API takes.
    char head[256];
    snprintf (head, sizeof (head),
              "POST /v1/jobs HTTP/1.1\r\nHost: x\r\n"
              "Content-Type: application/json\r\n"
              "Content-Length: %d\r\n\r\n{\"records\": [",
              S_MAX_BODY_BYTES);
    int holders[S_UPLOADS_MAX];
    for (int index = 0; index < S_UPLOADS_MAX; index++) {
        holders[index] = s_raw_connect (fixture);
        s_raw_send (holders[index], head, strlen (head));
    }
    //  The server takes in those partial bodies in its own time; until
    //  it has, a new upload still fits.
    s_reply_t reply = s_post_until (fixture, 503, 202);
    s_expect_error (&reply, 503, "retry");
    char retry_after[16];
    assert_true (
        s_header (&reply, "Retry-After", retry_after, sizeof (retry_after)));
    s_reply_free (&reply);
    //  Status requests are answered all the while.
    reply = s_request (fixture, "GET", "/healthz", NULL, NULL);
    assert_int_eq (reply.status, 200);
    s_reply_free (&reply);

    //  Once they go away, their places are free again.
    for (int index = 0; index < S_UPLOADS_MAX; index++)
        close (holders[index]);
    reply = s_post_until (fixture, 202, 503);
    s_reply_free (&reply);
}

static void
test_hostile_requests_do_not_hurt_the_server (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    const char *garbage = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
                          "GARBAGE\r\n\r\n";
    free (s_raw_exchange (fixture, garbage, strlen (garbage)));

    //  Headers far beyond the connection's memory limit.
    size_t huge = 4 * HTTPAPI_CONNECTION_MEMORY_BYTES;
    char *request = (char *)malloc (huge + 256);
    assert_non_null (request);
    int length =
        snprintf (request, 256, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset (request + length, 'a', huge);
    memcpy (request + length + huge, "\r\n\r\n", 4);
    char *answer = s_raw_exchange (fixture, request, length + huge + 4);
    assert_true (answer[0] == '\0' || strncmp (answer, "HTTP/1.1 4", 10) == 0);
    free (answer);
    free (request);

    //  A chunked body far over the limit is dropped as it arrives and
    //  the connection cut off, never buffered whole.
    const char *head = "POST /v1/jobs HTTP/1.1\r\nHost: x\r\n"
                       "Content-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    size_t piece = 1024 * 1024;
    size_t pieces = HTTPAPI_DRAIN_BYTES_MIN / piece + 2;
    size_t size = strlen (head) + pieces * (piece + 16) + 8;
    request = (char *)malloc (size);
    assert_non_null (request);
    size_t used = (size_t)snprintf (request, size, "%s", head);
    for (size_t index = 0; index < pieces; index++) {
        used +=
            (size_t)snprintf (request + used, size - used, "%zx\r\n", piece);
        memset (request + used, ' ', piece);
        used += piece;
        memcpy (request + used, "\r\n", 2);
        used += 2;
    }
    memcpy (request + used, "0\r\n\r\n", 5);
    used += 5;
    answer = s_raw_exchange (fixture, request, used);
    assert_null (strstr (answer, " 202 "));
    free (answer);
    free (request);

    s_reply_t reply = s_request (fixture, "GET", "/healthz", NULL, NULL);
    assert_int_eq (reply.status, 200);
    s_reply_free (&reply);
}

static void
test_status_is_answered_while_a_document_is_taken_in (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    //  The records are named by URL, on an endpoint that takes the
    //  connection and says nothing until told: the document cannot be
    //  taken in before that.
    testserver_t *endpoint = testserver_new ();
    s_set_s3_environment (true);
    setenv ("PDFPIPE_S3_ENDPOINT", testserver_url (endpoint), 1);
    s_restart_api (fixture, NULL);
    char *earlier = s_submit (fixture);
    const char *document =
        "{\"version\": 1, \"template\": {\"elements\": [{\"type\": "
        "\"text\", \"text\": \"Hello {{name}}\", \"x\": 50, \"y\": 780}]}, "
        "\"records\": \"s3://pdfpipe-bucket/in/names.jsonl\"}";
    char request[1024];
    snprintf (request, sizeof (request),
              "POST /v1/jobs HTTP/1.1\r\nHost: x\r\n"
              "Content-Type: application/json\r\n"
              "Content-Length: %zu\r\n\r\n%s",
              strlen (document), document);
    int fd = s_raw_connect (fixture);
    s_raw_send (fd, request, strlen (request));

    s_reply_t reply = s_request (fixture, "GET", "/healthz", NULL, NULL);
    assert_int_eq (reply.status, 200);
    s_reply_free (&reply);
    char path[128];
    snprintf (path, sizeof (path), "/v1/jobs/%s", earlier);
    reply = s_request (fixture, "GET", path, NULL, NULL);
    assert_int_eq (reply.status, 200);
    s_reply_free (&reply);
    //  Meanwhile the submission has had no answer.
    char byte;
    assert_int_equal (recv (fd, &byte, 1, MSG_DONTWAIT), -1);
    assert_true (errno == EAGAIN || errno == EWOULDBLOCK);

    testserver_answer_t names = {.status = 200,
                                 .body = "{\"name\": \"a\"}\n{\"name\": "
                                         "\"b\"}\n"};
    testserver_serve (endpoint, &names, 1);
    char *answer = s_raw_answer (fd);
    if (!strstr (answer, " 202 "))
        fail_msg ("the submission was answered '%s'", answer);
    //  On disk before the 202.
    char *id = strstr (answer, "\"id\":\"") + strlen ("\"id\":\"");
    id[PROTO_JOB_ID_LENGTH] = '\0';
    char *chunk = recordfile_chunk (fixture->jobs_dir, id, 0);
    assert_string_equal (chunk, "[{\"name\":\"a\"},{\"name\":\"b\"}]");
    free (chunk);
    free (answer);
    close (fd);
    free (earlier);
    testserver_destroy (&endpoint);
    s_set_s3_environment (false);
}

static void
test_a_refused_document_leaves_nothing_on_disk (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char document[2048];
    //  The test document with two more records, the first no object.
    snprintf (document, sizeof (document), "%.*s, \"x\", {}]}",
              (int)strlen (s_document) - 2, s_document);
    s_reply_t reply = s_request_full (fixture, "POST", "/v1/jobs", S_JSON,
                                      document, strlen (document), true);
    s_expect_error (&reply, 400, "must be an object");
    s_reply_free (&reply);
    assert_int_eq (testdir_count_entries (fixture->jobs_dir), 0);
    assert_int_eq (testdir_count_entries (fixture->spool_dir), 0);
    //  An accepted one leaves its records only.
    char *id = s_submit (fixture);
    assert_int_eq (testdir_count_entries (fixture->jobs_dir), 1);
    assert_int_eq (testdir_count_entries (fixture->spool_dir), 0);
    free (id);
}

static void
test_a_disk_without_room_is_507 (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    fixture->min_free_bytes = UINT64_MAX / 4;
    s_restart_api (fixture, NULL);
    s_reply_t reply =
        s_request (fixture, "POST", "/v1/jobs", S_JSON, s_document);
    s_expect_error (&reply, 507, "no room");
    s_reply_free (&reply);
    reply = s_request_full (fixture, "POST", "/v1/jobs", S_JSON, s_document,
                            strlen (s_document), true);
    s_expect_error (&reply, 507, "no room");
    s_reply_free (&reply);
    fixture->min_free_bytes = 0;
}

static void
test_port_in_use_fails_cleanly (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    httpapi_config_t config = {
        .port = httpapi_port (fixture->api),
        .address = "127.0.0.1",
        .data_dir = fixture->data_dir,
        .jobs_dir = fixture->jobs_dir,
        .spool_dir = fixture->spool_dir,
        .min_free_bytes = fixture->min_free_bytes,
        .uploads_max = S_UPLOADS_MAX,
        .store_url = fixture->store_url,
        .notify_endpoint = fixture->endpoint,
    };
    httpapi_t *second = httpapi_new (&config);
    assert_null (second);
    config.port = 0;
    config.address = "not-an-address";
    assert_null (httpapi_new (&config));
}

static void
test_address_beyond_loopback_needs_tokens (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    httpapi_config_t config = {
        .port = 0,
        .data_dir = fixture->data_dir,
        .jobs_dir = fixture->jobs_dir,
        .spool_dir = fixture->spool_dir,
        .uploads_max = S_UPLOADS_MAX,
        .store_url = fixture->store_url,
        .notify_endpoint = fixture->endpoint,
    };
    //  Refused before binding, so that no address of this host is needed.
    config.address = "192.0.2.1";
    assert_null (httpapi_new (&config));
    config.address = "2001:db8::1";
    assert_null (httpapi_new (&config));
    //  Any loopback address will do.
    config.address = "127.0.0.2";
    httpapi_t *loopback = httpapi_new (&config);
    assert_non_null (loopback);
    httpapi_destroy (&loopback);
}

int
main (void)
{
    zsys_init ();
    curl_global_init (CURL_GLOBAL_DEFAULT);
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        S_TEST (test_healthz_answers_ok),
        S_TEST (test_address_beyond_loopback_needs_tokens),
        S_TEST (test_submit_stores_job_and_notifies_loop),
        S_TEST (test_status_of_a_submitted_job),
        S_TEST (test_charset_utf8_is_accepted),
        S_TEST (test_bad_document_names_the_field),
        S_TEST (test_oversized_body_is_refused),
        S_TEST (test_chunked_document_is_accepted),
        S_TEST (test_wrong_content_type_is_refused),
        S_TEST (test_unknown_or_malformed_id_is_404),
        S_TEST (test_unknown_paths_are_404),
        S_TEST (test_console_is_served_with_security_headers),
        S_TEST (test_wrong_method_is_405_with_allow),
        S_TEST (test_result_before_done_is_409),
        S_TEST (test_delete_cancels_and_notifies),
        S_TEST (test_result_of_done_job_is_streamed),
        S_TEST (test_result_in_s3_redirects_to_a_presigned_url),
        S_TEST (test_s3_result_store_needs_credentials_to_start),
        S_TEST (test_recorded_location_is_never_served),
        S_TEST (test_download_uses_the_documents_file_name),
        S_TEST (test_result_of_failed_job_gives_reason),
        S_TEST (test_hostile_requests_do_not_hurt_the_server),
        S_TEST (test_uploads_beyond_the_limit_get_503),
        S_TEST (test_status_is_answered_while_a_document_is_taken_in),
        S_TEST (test_a_refused_document_leaves_nothing_on_disk),
        S_TEST (test_a_disk_without_room_is_507),
        S_TEST (test_port_in_use_fails_cleanly),
    };
    char error[S3INPUTS_ERROR_MAX];
    s_inputs = s3inputs_new ("pdfpipe-bucket/in", error);
    assert_non_null (s_inputs);
    int failures = cmocka_run_group_tests (tests, NULL, NULL);
    s3inputs_destroy (&s_inputs);
    curl_global_cleanup ();
    return failures;
}
