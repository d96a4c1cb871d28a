/*  test_apiclient - the command-line client's HTTP requests.

    URL building and escaping, then real requests against a tiny HTTP
    server on 127.0.0.1 started in a thread of this test: it accepts one
    connection per canned response, records what the client sent, answers
    with the canned bytes and closes. That is enough to check status and
    body handling, streaming uploads, downloads with redirects, and the
    wording of transport failures.

    SPDX-License-Identifier: MPL-2.0
*/
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "apiclient.h"

#define S_RESPONSES_MAX 4
#define S_REQUEST_MAX 65536      // bytes recorded of what the client sent
#define S_ACCEPT_TIMEOUT_MS 5000 // a test whose client never comes fails
#define S_OUTPUT_PATH_MAX 256

typedef struct {
    int listener;
    int port;
    const char *responses[S_RESPONSES_MAX]; // one per connection
    size_t response_sizes[S_RESPONSES_MAX]; // bytes; 0 means strlen
    size_t response_count;
    char requests[S_REQUEST_MAX]; // every request received, in order
    size_t requests_size;
    size_t connections; // connections served
    pthread_t thread;
} s_server_t;

//  A listening socket on an ephemeral port of 127.0.0.1.
static int
s_listen (int *port_p)
{
    int listener = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (listener >= 0);
    int reuse = 1;
    setsockopt (listener, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    struct sockaddr_in address;
    memset (&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address.sin_port = 0;
    assert_int_equal (
        bind (listener, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal (listen (listener, 8), 0);
    socklen_t length = sizeof address;
    assert_int_equal (
        getsockname (listener, (struct sockaddr *)&address, &length), 0);
    *port_p = ntohs (address.sin_port);
    return listener;
}

static const char *
s_find_header (const char *headers, const char *name)
{
    size_t name_length = strlen (name);
    for (const char *line = strstr (headers, "\r\n"); line;
         line = strstr (line + 2, "\r\n")) {
        if (strncasecmp (line + 2, name, name_length) == 0 &&
            line[2 + name_length] == ':')
            return line + 2 + name_length + 1;
    }
    return NULL;
}

//  Read one request (headers, then a body by length or chunked) into the
//  record. Returns when the request is complete or the client is gone.
static void
s_server_read_request (s_server_t *self, int connection)
{
    size_t start = self->requests_size;
    bool continued = false;
    while (self->requests_size < S_REQUEST_MAX - 1) {
        char *request = self->requests + start;
        self->requests[self->requests_size] = '\0';
        char *headers_end = strstr (request, "\r\n\r\n");
        if (headers_end) {
            *headers_end = '\0';
            const char *length_header =
                s_find_header (request, "Content-Length");
            const char *encoding = s_find_header (request, "Transfer-Encoding");
            const char *expect = s_find_header (request, "Expect");
            *headers_end = '\r';
            if (expect && !continued) {
                const char *go_on = "HTTP/1.1 100 Continue\r\n\r\n";
                send (connection, go_on, strlen (go_on), MSG_NOSIGNAL);
                continued = true;
            }
            const char *body = headers_end + 4;
            size_t body_size =
                (size_t)(self->requests + self->requests_size - body);
            if (encoding && strstr (encoding, "chunked")) {
                if (strstr (body, "0\r\n\r\n"))
                    return;
            } else if (!length_header ||
                       body_size >= strtoul (length_header, NULL, 10))
                return;
        }
        ssize_t received =
            recv (connection, self->requests + self->requests_size,
                  S_REQUEST_MAX - 1 - self->requests_size, 0);
        if (received <= 0)
            return;
        self->requests_size += (size_t)received;
    }
}

static void *
s_server_run (void *arg)
{
    s_server_t *self = arg;
    for (size_t index = 0; index < self->response_count; index++) {
        struct pollfd waiting = {self->listener, POLLIN, 0};
        if (poll (&waiting, 1, S_ACCEPT_TIMEOUT_MS) != 1)
            break;
        int connection = accept (self->listener, NULL, NULL);
        if (connection < 0)
            break;
        self->connections++;
        s_server_read_request (self, connection);
        const char *response = self->responses[index];
        size_t size = self->response_sizes[index] ? self->response_sizes[index]
                                                  : strlen (response);
        size_t sent = 0;
        while (sent < size) {
            ssize_t bytes =
                send (connection, response + sent, size - sent, MSG_NOSIGNAL);
            if (bytes <= 0)
                break;
            sent += (size_t)bytes;
        }
        shutdown (connection, SHUT_WR);
        //  Drain until the client closes, so it reads the whole answer
        //  rather than a reset.
        char drain[256];
        while (recv (connection, drain, sizeof drain, 0) > 0)
            ;
        close (connection);
    }
    return NULL;
}

static void
s_server_start (s_server_t *self)
{
    self->listener = s_listen (&self->port);
    assert_int_equal (pthread_create (&self->thread, NULL, s_server_run, self),
                      0);
}

static void
s_server_stop (s_server_t *self)
{
    pthread_join (self->thread, NULL);
    close (self->listener);
}

//  A client of the test server.
static apiclient_t *
s_client_new (s_server_t *server)
{
    char url[64];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/", server->port);
    apiclient_t *client = apiclient_new (url);
    assert_non_null (client);
    return client;
}

static bool
s_file_exists (const char *path)
{
    struct stat info;
    return stat (path, &info) == 0;
}

static char *
s_file_read (const char *path)
{
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    static char content[8192];
    size_t size = fread (content, 1, sizeof content - 1, file);
    content[size] = '\0';
    fclose (file);
    return content;
}

//  A fresh path in a fresh temporary directory.
static void
s_output_path (char *path, size_t size)
{
    char directory[] = "/tmp/test_apiclient.XXXXXX";
    assert_non_null (mkdtemp (directory));
    snprintf (path, size, "%s/out.pdf", directory);
}

static void
s_output_remove (const char *path)
{
    char part[S_OUTPUT_PATH_MAX + 8];
    snprintf (part, sizeof part, "%s%s", path, APICLIENT_PART_SUFFIX);
    remove (path);
    remove (part);
    char directory[S_OUTPUT_PATH_MAX];
    snprintf (directory, sizeof directory, "%s", path);
    *strrchr (directory, '/') = '\0';
    rmdir (directory);
}

static int
s_setup (void **state)
{
    (void)state;
    //  A proxy from the environment would take requests to 127.0.0.1
    //  elsewhere.
    const char *names[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                           "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t index = 0; index < sizeof names / sizeof names[0]; index++)
        unsetenv (names[index]);
    return 0;
}

static void
test_url_join_puts_one_slash_between (void **state)
{
    (void)state;
    const char *cases[][3] = {
        {"http://h:8080", "/v1/jobs", "http://h:8080/v1/jobs"},
        {"http://h:8080/", "/v1/jobs", "http://h:8080/v1/jobs"},
        {"http://h:8080///", "v1/jobs", "http://h:8080/v1/jobs"},
        {"http://h:8080", "//v1/jobs/", "http://h:8080/v1/jobs/"},
        {"http://h/pdfpipe/", "/v1/jobs", "http://h/pdfpipe/v1/jobs"},
        {"http://h", "", "http://h/"},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        char *url = apiclient_url_join (cases[index][0], cases[index][1]);
        assert_non_null (url);
        assert_string_equal (url, cases[index][2]);
        free (url);
    }
}

static void
test_escape_encodes_all_but_unreserved (void **state)
{
    (void)state;
    char *escaped = apiclient_escape ("Az09-._~");
    assert_string_equal (escaped, "Az09-._~");
    free (escaped);
    escaped = apiclient_escape ("a/b c?d#%");
    assert_string_equal (escaped, "a%2Fb%20c%3Fd%23%25");
    free (escaped);
    escaped = apiclient_escape ("\xC3\xA9..");
    assert_string_equal (escaped, "%C3%A9..");
    free (escaped);
}

static void
test_new_accepts_only_http_urls (void **state)
{
    (void)state;
    const char *rejected[] = {"ftp://h/", "localhost:8080", "", "no url",
                              "file:///etc/passwd"};
    for (size_t index = 0; index < sizeof rejected / sizeof rejected[0];
         index++)
        assert_null (apiclient_new (rejected[index]));
    apiclient_t *client = apiclient_new ("HTTPS://h:8443/api//");
    assert_non_null (client);
    assert_string_equal (apiclient_base_url (client), "HTTPS://h:8443/api");
    assert_string_equal (apiclient_error (client), "");
    apiclient_destroy (&client);
    assert_null (client);
    apiclient_destroy (&client);
}

static void
test_get_returns_status_and_body (void **state)
{
    (void)state;
    s_server_t server = {
        .responses = {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "Content-Length: 13\r\nConnection: close\r\n\r\n"
                      "{\"id\": \"j1\"}\n"},
        .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_get (client, "/v1/jobs/j1", &status, &body);
    s_server_stop (&server);
    assert_int_equal (rc, 0);
    assert_int_equal (status, 200);
    assert_string_equal (body, "{\"id\": \"j1\"}\n");
    assert_non_null (strstr (server.requests, "GET /v1/jobs/j1 HTTP/1.1\r\n"));
    assert_non_null (strstr (server.requests, "Accept: application/json"));
    free (body);
    apiclient_destroy (&client);
}

static void
test_get_returns_error_status_with_body (void **state)
{
    (void)state;
    s_server_t server = {
        .responses = {"HTTP/1.1 404 Not Found\r\nContent-Length: 34\r\n"
                      "Connection: close\r\n\r\n"
                      "{\"error\": {\"message\": \"no job\"}}\r\n"},
        .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_get (client, "/v1/jobs/nope", &status, &body);
    s_server_stop (&server);
    assert_int_equal (rc, 0);
    assert_int_equal (status, 404);
    assert_string_equal (body, "{\"error\": {\"message\": \"no job\"}}\r\n");
    free (body);
    apiclient_destroy (&client);
}

static void
test_get_without_body_gives_empty_string (void **state)
{
    (void)state;
    s_server_t server = {.responses = {"HTTP/1.1 204 No Content\r\n"
                                       "Connection: close\r\n\r\n"},
                         .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_get (client, "/v1/jobs/j1", &status, &body);
    s_server_stop (&server);
    assert_int_equal (rc, 0);
    assert_int_equal (status, 204);
    assert_non_null (body);
    assert_string_equal (body, "");
    free (body);
    apiclient_destroy (&client);
}

static void
test_delete_sends_delete (void **state)
{
    (void)state;
    s_server_t server = {.responses = {"HTTP/1.1 200 OK\r\nContent-Length: 2"
                                       "\r\nConnection: close\r\n\r\n{}"},
                         .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_delete (client, "/v1/jobs/j1", &status, &body);
    s_server_stop (&server);
    assert_int_equal (rc, 0);
    assert_int_equal (status, 200);
    assert_string_equal (body, "{}");
    assert_non_null (
        strstr (server.requests, "DELETE /v1/jobs/j1 HTTP/1.1\r\n"));
    free (body);
    apiclient_destroy (&client);
}

static void
test_post_sends_file_with_length_and_type (void **state)
{
    (void)state;
    const char *document = "{\"template\": {}, \"records\": [{\"n\": 1}]}";
    FILE *upload = tmpfile ();
    assert_non_null (upload);
    fputs (document, upload);
    rewind (upload);
    s_server_t server = {
        .responses = {"HTTP/1.1 202 Accepted\r\nContent-Length: 12\r\n"
                      "Connection: close\r\n\r\n{\"id\": \"j9\"}"},
        .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_post (client, "/v1/jobs", "application/json", upload,
                             &status, &body);
    s_server_stop (&server);
    fclose (upload);
    assert_int_equal (rc, 0);
    assert_int_equal (status, 202);
    assert_string_equal (body, "{\"id\": \"j9\"}");
    assert_non_null (strstr (server.requests, "POST /v1/jobs HTTP/1.1\r\n"));
    assert_non_null (
        strstr (server.requests, "Content-Type: application/json\r\n"));
    char length_header[64];
    snprintf (length_header, sizeof length_header, "Content-Length: %zu\r\n",
              strlen (document));
    assert_non_null (strstr (server.requests, length_header));
    const char *sent_body = strstr (server.requests, "\r\n\r\n") + 4;
    assert_string_equal (sent_body, document);
    free (body);
    apiclient_destroy (&client);
}

static void
test_post_from_pipe_is_sent_chunked (void **state)
{
    (void)state;
    int pipe_ends[2];
    assert_int_equal (pipe (pipe_ends), 0);
    const char *document = "{\"records\": []}";
    assert_int_equal (write (pipe_ends[1], document, strlen (document)),
                      (ssize_t)strlen (document));
    close (pipe_ends[1]);
    FILE *upload = fdopen (pipe_ends[0], "rb");
    assert_non_null (upload);
    s_server_t server = {
        .responses = {"HTTP/1.1 202 Accepted\r\nContent-Length: 12\r\n"
                      "Connection: close\r\n\r\n{\"id\": \"j9\"}"},
        .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_post (client, "/v1/jobs", "application/json", upload,
                             &status, &body);
    s_server_stop (&server);
    fclose (upload);
    assert_int_equal (rc, 0);
    assert_int_equal (status, 202);
    assert_non_null (
        strstr (server.requests, "Transfer-Encoding: chunked\r\n"));
    assert_non_null (strstr (server.requests, document));
    free (body);
    apiclient_destroy (&client);
}

//  A request body made in pieces of at most 3 bytes; with fail_after set,
//  the reader gives up after that many pieces.
typedef struct {
    const char *text;
    size_t offset;
    size_t pieces;
    size_t fail_after; // 0: never
} s_pieces_t;

static ssize_t
s_pieces_read (void *arg, char *buffer, size_t size)
{
    s_pieces_t *pieces = arg;
    if (pieces->fail_after && pieces->pieces == pieces->fail_after)
        return -1;
    size_t left = strlen (pieces->text) - pieces->offset;
    size_t bytes = left < 3 ? left : 3;
    if (bytes > size)
        bytes = size;
    memcpy (buffer, pieces->text + pieces->offset, bytes);
    pieces->offset += bytes;
    pieces->pieces++;
    return (ssize_t)bytes;
}

static void
test_post_reader_sends_what_reader_makes_chunked (void **state)
{
    (void)state;
    s_pieces_t pieces = {"{\"version\": 1, \"records\": [{\"n\": 1}]}", 0, 0,
                         0};
    s_server_t server = {
        .responses = {"HTTP/1.1 202 Accepted\r\nContent-Length: 12\r\n"
                      "Connection: close\r\n\r\n{\"id\": \"j9\"}"},
        .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_post_reader (client, "/v1/jobs", "application/json",
                                    s_pieces_read, &pieces, &status, &body);
    s_server_stop (&server);
    assert_int_equal (rc, 0);
    assert_int_equal (status, 202);
    assert_string_equal (body, "{\"id\": \"j9\"}");
    assert_non_null (strstr (server.requests, "POST /v1/jobs HTTP/1.1\r\n"));
    assert_non_null (
        strstr (server.requests, "Content-Type: application/json\r\n"));
    assert_non_null (
        strstr (server.requests, "Transfer-Encoding: chunked\r\n"));
    //  Unchunk what arrived and compare it with what the reader made.
    const char *chunk = strstr (server.requests, "\r\n\r\n") + 4;
    char sent[256] = "";
    while (true) {
        char *after_size = NULL;
        unsigned long size = strtoul (chunk, &after_size, 16);
        assert_non_null (strstr (after_size, "\r\n"));
        if (size == 0)
            break;
        chunk = strstr (after_size, "\r\n") + 2;
        assert_true (strlen (sent) + size < sizeof sent);
        strncat (sent, chunk, size);
        chunk += size + 2;
    }
    assert_string_equal (sent, pieces.text);
    free (body);
    apiclient_destroy (&client);
}

static void
test_post_reader_failing_abandons_request (void **state)
{
    (void)state;
    s_pieces_t pieces = {"{\"version\": 1, \"records\": [{\"n\": 1}]}", 0, 0,
                         4};
    s_server_t server = {
        .responses = {"HTTP/1.1 202 Accepted\r\nContent-Length: 12\r\n"
                      "Connection: close\r\n\r\n{\"id\": \"j9\"}"},
        .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_post_reader (client, "/v1/jobs", "application/json",
                                    s_pieces_read, &pieces, &status, &body);
    s_server_stop (&server);
    assert_int_equal (rc, -1);
    assert_null (body);
    assert_string_equal (apiclient_error (client),
                         "the request body was abandoned");
    //  The server never saw the end of the chunked body.
    assert_null (strstr (server.requests, "\r\n0\r\n\r\n"));
    apiclient_destroy (&client);
}

static void
test_connection_refused_names_server_and_reason (void **state)
{
    (void)state;
    //  A port that was just free and that nobody listens on.
    int port = 0;
    int listener = s_listen (&port);
    close (listener);
    char url[64];
    snprintf (url, sizeof url, "http://127.0.0.1:%d", port);
    apiclient_t *client = apiclient_new (url);
    assert_non_null (client);
    long status = -5;
    char *body = (char *)"untouched";
    int rc = apiclient_get (client, "/v1/jobs/j1", &status, &body);
    assert_int_equal (rc, -1);
    assert_null (body);
    char expected[128];
    snprintf (expected, sizeof expected,
              "cannot connect to http://127.0.0.1:%d: Connection refused",
              port);
    assert_string_equal (apiclient_error (client), expected);
    apiclient_destroy (&client);
}

static void
test_reply_larger_than_limit_fails (void **state)
{
    (void)state;
    size_t body_size = APICLIENT_BODY_MAX + 1;
    const char *head_format = "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                              "Connection: close\r\n\r\n";
    size_t size = 128 + body_size;
    char *response = malloc (size);
    assert_non_null (response);
    int head_size = snprintf (response, size, head_format, body_size);
    memset (response + head_size, 'x', body_size);
    s_server_t server = {.responses = {response},
                         .response_sizes = {(size_t)head_size + body_size},
                         .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_get (client, "/v1/jobs/j1", &status, &body);
    s_server_stop (&server);
    assert_int_equal (rc, -1);
    assert_null (body);
    assert_non_null (strstr (apiclient_error (client), "is larger than"));
    apiclient_destroy (&client);
    free (response);
}

static void
test_interrupt_flag_abandons_request (void **state)
{
    (void)state;
    //  A server that takes the connection and never answers.
    int port = 0;
    int listener = s_listen (&port);
    char url[64];
    snprintf (url, sizeof url, "http://127.0.0.1:%d", port);
    apiclient_t *client = apiclient_new (url);
    assert_non_null (client);
    volatile sig_atomic_t interrupted = 1;
    apiclient_set_interrupt (client, &interrupted);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_get (client, "/v1/jobs/j1", &status, &body);
    assert_int_equal (rc, -1);
    assert_null (body);
    assert_string_equal (apiclient_error (client), "interrupted");
    //  Watching can be switched off again.
    apiclient_set_interrupt (client, NULL);
    apiclient_destroy (&client);
    close (listener);
}

static void
test_download_writes_file_and_leaves_no_part (void **state)
{
    (void)state;
    char output[S_OUTPUT_PATH_MAX];
    s_output_path (output, sizeof output);
    s_server_t server = {
        .responses = {"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n"
                      "Content-Length: 14\r\nConnection: close\r\n\r\n"
                      "%PDF-1.7\n%%EOF"},
        .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_download (client, "/v1/jobs/j1/result", output, &status,
                                 &body);
    s_server_stop (&server);
    assert_int_equal (rc, 0);
    assert_int_equal (status, 200);
    assert_string_equal (body, "");
    assert_string_equal (s_file_read (output), "%PDF-1.7\n%%EOF");
    char part[S_OUTPUT_PATH_MAX + 8];
    snprintf (part, sizeof part, "%s%s", output, APICLIENT_PART_SUFFIX);
    assert_false (s_file_exists (part));
    free (body);
    apiclient_destroy (&client);
    s_output_remove (output);
}

static void
test_download_follows_redirect (void **state)
{
    (void)state;
    char output[S_OUTPUT_PATH_MAX];
    s_output_path (output, sizeof output);
    s_server_t server = {.response_count = 2};
    s_server_start (&server);
    char redirect[256];
    snprintf (redirect, sizeof redirect,
              "HTTP/1.1 302 Found\r\nLocation: "
              "http://127.0.0.1:%d/bucket/j1.pdf?X-Amz-Signature=abc\r\n"
              "Content-Length: 5\r\nConnection: close\r\n\r\nmoved",
              server.port);
    server.responses[0] = redirect;
    server.responses[1] = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n"
                          "Connection: close\r\n\r\n%PDF-1.7";
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_download (client, "/v1/jobs/j1/result", output, &status,
                                 &body);
    s_server_stop (&server);
    assert_int_equal (rc, 0);
    assert_int_equal (status, 200);
    assert_string_equal (s_file_read (output), "%PDF-1.7");
    assert_non_null (
        strstr (server.requests, "GET /bucket/j1.pdf?X-Amz-Signature=abc "));
    free (body);
    apiclient_destroy (&client);
    s_output_remove (output);
}

static void
test_download_error_status_leaves_no_file (void **state)
{
    (void)state;
    char output[S_OUTPUT_PATH_MAX];
    s_output_path (output, sizeof output);
    FILE *existing = fopen (output, "w");
    assert_non_null (existing);
    fputs ("old result", existing);
    fclose (existing);
    s_server_t server = {
        .responses = {"HTTP/1.1 409 Conflict\r\nContent-Length: 40\r\n"
                      "Connection: close\r\n\r\n"
                      "{\"error\": {\"message\": \"job not done\"}}\n\n"},
        .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_download (client, "/v1/jobs/j1/result", output, &status,
                                 &body);
    s_server_stop (&server);
    assert_int_equal (rc, 0);
    assert_int_equal (status, 409);
    assert_string_equal (body,
                         "{\"error\": {\"message\": \"job not done\"}}\n\n");
    assert_string_equal (s_file_read (output), "old result");
    char part[S_OUTPUT_PATH_MAX + 8];
    snprintf (part, sizeof part, "%s%s", output, APICLIENT_PART_SUFFIX);
    assert_false (s_file_exists (part));
    free (body);
    apiclient_destroy (&client);
    s_output_remove (output);
}

static void
test_download_cut_short_fails_and_leaves_no_file (void **state)
{
    (void)state;
    char output[S_OUTPUT_PATH_MAX];
    s_output_path (output, sizeof output);
    s_server_t server = {
        .responses = {"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n"
                      "Connection: close\r\n\r\n%PDF-1.7 and then nothing"},
        .response_count = 1};
    s_server_start (&server);
    apiclient_t *client = s_client_new (&server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_download (client, "/v1/jobs/j1/result", output, &status,
                                 &body);
    s_server_stop (&server);
    assert_int_equal (rc, -1);
    assert_null (body);
    assert_non_null (
        strstr (apiclient_error (client), "GET http://127.0.0.1:"));
    assert_false (s_file_exists (output));
    char part[S_OUTPUT_PATH_MAX + 8];
    snprintf (part, sizeof part, "%s%s", output, APICLIENT_PART_SUFFIX);
    assert_false (s_file_exists (part));
    apiclient_destroy (&client);
    s_output_remove (output);
}

static void
test_download_to_missing_directory_fails_before_request (void **state)
{
    (void)state;
    apiclient_t *client = apiclient_new ("http://127.0.0.1:9");
    assert_non_null (client);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_download (client, "/v1/jobs/j1/result",
                                 "/nonexistent-dir/out.pdf", &status, &body);
    assert_int_equal (rc, -1);
    assert_string_equal (apiclient_error (client),
                         "cannot create /nonexistent-dir/out.pdf.part: "
                         "No such file or directory");
    apiclient_destroy (&client);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_url_join_puts_one_slash_between),
        cmocka_unit_test (test_escape_encodes_all_but_unreserved),
        cmocka_unit_test (test_new_accepts_only_http_urls),
        cmocka_unit_test (test_get_returns_status_and_body),
        cmocka_unit_test (test_get_returns_error_status_with_body),
        cmocka_unit_test (test_get_without_body_gives_empty_string),
        cmocka_unit_test (test_delete_sends_delete),
        cmocka_unit_test (test_post_sends_file_with_length_and_type),
        cmocka_unit_test (test_post_from_pipe_is_sent_chunked),
        cmocka_unit_test (test_post_reader_sends_what_reader_makes_chunked),
        cmocka_unit_test (test_post_reader_failing_abandons_request),
        cmocka_unit_test (test_connection_refused_names_server_and_reason),
        cmocka_unit_test (test_reply_larger_than_limit_fails),
        cmocka_unit_test (test_interrupt_flag_abandons_request),
        cmocka_unit_test (test_download_writes_file_and_leaves_no_part),
        cmocka_unit_test (test_download_follows_redirect),
        cmocka_unit_test (test_download_error_status_leaves_no_file),
        cmocka_unit_test (test_download_cut_short_fails_and_leaves_no_file),
        cmocka_unit_test (
            test_download_to_missing_directory_fails_before_request),
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
