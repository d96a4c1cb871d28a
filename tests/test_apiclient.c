/*  test_apiclient - the command-line client's HTTP requests.

    URL building and escaping, then real requests against a scripted HTTP
    server on 127.0.0.1 (testserver) in a thread of this test: it answers
    each connection with the next scripted answer and records what the
    client sent. That is enough to check status and body handling,
    streaming uploads, downloads with redirects, and the wording of
    transport failures. Downloads go to a fresh temporary directory
    (testdir).

    SPDX-License-Identifier: MPL-2.0
*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "apiclient.h"
#include "testassert.h"
#include "testdir.h"
#include "testfile.h"
#include "testserver.h"

//  A client of the test server.
static apiclient_t *
s_client_new (testserver_t *server)
{
    char url[64];
    snprintf (url, sizeof url, "%s/", testserver_url (server));
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

//  Checks the content of the file at path.
static void
s_assert_file_content (const char *path, const char *expected)
{
    char *content = testfile_read (path, NULL);
    assert_string_equal (content, expected);
    free (content);
}

//  Checks that no partial download is left beside output.
static void
s_assert_no_part (const char *output)
{
    char part[256];
    snprintf (part, sizeof part, "%s%s", output, APICLIENT_PART_SUFFIX);
    assert_false (s_file_exists (part));
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
    testserver_answer_t answer = {.status = 200,
                                  .headers =
                                      "Content-Type: application/json\r\n",
                                  .body = "{\"id\": \"j1\"}\n"};
    testserver_t *server = testserver_start (&answer, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_get (client, "/v1/jobs/j1", &status, &body);
    assert_int_equal (rc, 0);
    assert_int_eq (status, 200);
    assert_string_equal (body, "{\"id\": \"j1\"}\n");
    assert_string_equal (testserver_request_line (server, 0),
                         "GET /v1/jobs/j1");
    assert_string_equal (testserver_header (server, 0, "Accept"),
                         "application/json");
    free (body);
    apiclient_destroy (&client);
    testserver_destroy (&server);
}

static void
test_get_returns_error_status_with_body (void **state)
{
    (void)state;
    testserver_answer_t answer = {
        .status = 404, .body = "{\"error\": {\"message\": \"no job\"}}\r\n"};
    testserver_t *server = testserver_start (&answer, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_get (client, "/v1/jobs/nope", &status, &body);
    assert_int_equal (rc, 0);
    assert_int_eq (status, 404);
    assert_string_equal (body, "{\"error\": {\"message\": \"no job\"}}\r\n");
    free (body);
    apiclient_destroy (&client);
    testserver_destroy (&server);
}

static void
test_get_without_body_gives_empty_string (void **state)
{
    (void)state;
    testserver_answer_t answer = {.status = 204};
    testserver_t *server = testserver_start (&answer, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_get (client, "/v1/jobs/j1", &status, &body);
    assert_int_equal (rc, 0);
    assert_int_eq (status, 204);
    assert_non_null (body);
    assert_string_equal (body, "");
    free (body);
    apiclient_destroy (&client);
    testserver_destroy (&server);
}

static void
test_delete_sends_delete (void **state)
{
    (void)state;
    testserver_answer_t answer = {.status = 200, .body = "{}"};
    testserver_t *server = testserver_start (&answer, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_delete (client, "/v1/jobs/j1", &status, &body);
    assert_int_equal (rc, 0);
    assert_int_eq (status, 200);
    assert_string_equal (body, "{}");
    assert_string_equal (testserver_request_line (server, 0),
                         "DELETE /v1/jobs/j1");
    free (body);
    apiclient_destroy (&client);
    testserver_destroy (&server);
}

static void
test_token_goes_with_every_request (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_apiclient");
    char *output = testdir_join (dir, "out.pdf");
    testserver_answer_t answers[] = {
        {.status = 200, .body = "{}"},
        {.status = 200, .body = "%PDF-1.7"},
    };
    testserver_t *server = testserver_start (answers, 2);
    apiclient_t *client = s_client_new (server);
    assert_int_equal (apiclient_set_token (client, "t0ken-value"), 0);
    long status = 0;
    char *body = NULL;
    assert_int_equal (apiclient_get (client, "/v1/jobs/j1", &status, &body), 0);
    free (body);
    assert_int_equal (apiclient_download (client, "/v1/jobs/j1/result", output,
                                          &status, &body),
                      0);
    free (body);
    assert_string_equal (testserver_header (server, 0, "Authorization"),
                         "Bearer t0ken-value");
    assert_string_equal (testserver_header (server, 1, "Authorization"),
                         "Bearer t0ken-value");
    apiclient_destroy (&client);
    testserver_destroy (&server);
    free (output);
    testdir_destroy (&dir);
}

static void
test_token_that_a_header_cannot_carry_is_refused (void **state)
{
    (void)state;
    apiclient_t *client = apiclient_new ("http://127.0.0.1:1");
    assert_non_null (client);
    assert_int_equal (apiclient_set_token (client, ""), -1);
    assert_int_equal (apiclient_set_token (client, "a\r\nX-Evil: 1"), -1);
    assert_int_equal (apiclient_set_token (client, "two words"), -1);
    apiclient_destroy (&client);
}

//  What the API answers to an accepted job.
static const testserver_answer_t s_accepted = {.status = 202,
                                               .body = "{\"id\": \"j9\"}"};

static void
test_post_sends_file_with_length_and_type (void **state)
{
    (void)state;
    const char *document = "{\"template\": {}, \"records\": [{\"n\": 1}]}";
    FILE *upload = tmpfile ();
    assert_non_null (upload);
    fputs (document, upload);
    rewind (upload);
    testserver_t *server = testserver_start (&s_accepted, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_post (client, "/v1/jobs", "application/json", upload,
                             &status, &body);
    fclose (upload);
    assert_int_equal (rc, 0);
    assert_int_eq (status, 202);
    assert_string_equal (body, "{\"id\": \"j9\"}");
    assert_string_equal (testserver_request_line (server, 0), "POST /v1/jobs");
    assert_string_equal (testserver_header (server, 0, "Content-Type"),
                         "application/json");
    const char *length = testserver_header (server, 0, "Content-Length");
    assert_non_null (length);
    assert_size_eq (strtoul (length, NULL, 10), strlen (document));
    assert_string_equal (testserver_body (server, 0), document);
    free (body);
    apiclient_destroy (&client);
    testserver_destroy (&server);
}

static void
test_post_from_pipe_is_sent_chunked (void **state)
{
    (void)state;
    int pipe_ends[2];
    assert_int_equal (pipe (pipe_ends), 0);
    const char *document = "{\"records\": []}";
    assert_int_eq (write (pipe_ends[1], document, strlen (document)),
                   strlen (document));
    close (pipe_ends[1]);
    FILE *upload = fdopen (pipe_ends[0], "rb");
    assert_non_null (upload);
    testserver_t *server = testserver_start (&s_accepted, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_post (client, "/v1/jobs", "application/json", upload,
                             &status, &body);
    fclose (upload);
    assert_int_equal (rc, 0);
    assert_int_eq (status, 202);
    assert_string_equal (testserver_header (server, 0, "Transfer-Encoding"),
                         "chunked");
    assert_non_null (strstr (testserver_body (server, 0), document));
    free (body);
    apiclient_destroy (&client);
    testserver_destroy (&server);
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
    testserver_t *server = testserver_start (&s_accepted, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_post_reader (client, "/v1/jobs", "application/json",
                                    s_pieces_read, &pieces, &status, &body);
    assert_int_equal (rc, 0);
    assert_int_eq (status, 202);
    assert_string_equal (body, "{\"id\": \"j9\"}");
    assert_string_equal (testserver_request_line (server, 0), "POST /v1/jobs");
    assert_string_equal (testserver_header (server, 0, "Content-Type"),
                         "application/json");
    assert_string_equal (testserver_header (server, 0, "Transfer-Encoding"),
                         "chunked");
    //  Unchunk what arrived and compare it with what the reader made.
    const char *chunk = testserver_body (server, 0);
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
    testserver_destroy (&server);
}

static void
test_post_reader_failing_abandons_request (void **state)
{
    (void)state;
    s_pieces_t pieces = {"{\"version\": 1, \"records\": [{\"n\": 1}]}", 0, 0,
                         4};
    testserver_t *server = testserver_start (&s_accepted, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_post_reader (client, "/v1/jobs", "application/json",
                                    s_pieces_read, &pieces, &status, &body);
    assert_int_equal (rc, -1);
    assert_null (body);
    assert_string_equal (apiclient_error (client),
                         "the request body was abandoned");
    //  The server never saw the end of the chunked body.
    assert_null (strstr (testserver_body (server, 0), "\r\n0\r\n\r\n"));
    apiclient_destroy (&client);
    testserver_destroy (&server);
}

//  A server that answers a request before its body is all sent and hangs
//  up, the rest unread: what a server does with a body over its limit.
//  It lets the body start (100 Continue), reads S_EARLY_READ bytes of it,
//  answers 413 with "Connection: close" (unless told not to answer) and
//  closes.
#define S_EARLY_READ (256 * 1024)
#define S_EARLY_BODY                                                           \
    "{\"error\": {\"message\": \"the job document is larger "                  \
    "than the limit of 1048576 bytes\"}}"

typedef struct {
    int listener;
    uint16_t port;
    pthread_t thread;
    bool silent; // hang up without answering
} s_early_t;

static void *
s_early_run (void *arg)
{
    s_early_t *early = (s_early_t *)arg;
    int fd = accept (early->listener, NULL, NULL);
    if (fd < 0)
        return NULL;
    char head[8192];
    size_t used = 0;
    char *end = NULL;
    while (!end && used < sizeof head - 1) {
        ssize_t got = recv (fd, head + used, sizeof head - 1 - used, 0);
        if (got <= 0)
            break;
        used += (size_t)got;
        head[used] = '\0';
        end = strstr (head, "\r\n\r\n");
    }
    size_t body = end ? used - (size_t)(end + 4 - head) : 0;
    if (end && strstr (head, "100-continue")) {
        const char *go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        send (fd, go_on, strlen (go_on), MSG_NOSIGNAL);
    }
    char piece[65536];
    while (end && body < S_EARLY_READ) {
        ssize_t got = recv (fd, piece, sizeof piece, 0);
        if (got <= 0)
            break;
        body += (size_t)got;
    }
    char answer[512];
    snprintf (answer, sizeof answer,
              "HTTP/1.1 413 Content Too Large\r\nContent-Type: "
              "application/json\r\nContent-Length: %zu\r\nConnection: "
              "close\r\n\r\n%s",
              strlen (S_EARLY_BODY), S_EARLY_BODY);
    if (!early->silent)
        send (fd, answer, strlen (answer), MSG_NOSIGNAL);
    //  Hang up at once: the unread body makes it a reset.
    struct linger reset = {1, 0};
    setsockopt (fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close (fd);
    return NULL;
}

static void
s_early_start (s_early_t *early, bool silent)
{
    early->silent = silent;
    early->listener = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (early->listener >= 0);
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    assert_int_equal (
        bind (early->listener, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal (listen (early->listener, 1), 0);
    assert_int_equal (
        getsockname (early->listener, (struct sockaddr *)&address, &length), 0);
    early->port = ntohs (address.sin_port);
    assert_int_equal (pthread_create (&early->thread, NULL, s_early_run, early),
                      0);
}

//  A body far larger than the server reads: "[" and then spaces.
static ssize_t
s_endless_read (void *arg, char *buffer, size_t size)
{
    size_t *left = (size_t *)arg;
    if (*left == 0)
        return 0;
    size_t bytes = size < *left ? size : *left;
    memset (buffer, ' ', bytes);
    if (*left == 64 * 1024 * 1024)
        buffer[0] = '[';
    *left -= bytes;
    return (ssize_t)bytes;
}

//  POST an endless body to an early server (silent or not), which is
//  stopped after. Returns what apiclient_post_reader returned, with the
//  status, body and error it gave (error: APICLIENT_ERROR_MAX bytes).
static int
s_post_to_early (bool silent, long *status_p, char **body_p, char *url,
                 char *error)
{
    s_early_t early;
    s_early_start (&early, silent);
    snprintf (url, 64, "http://127.0.0.1:%u", (unsigned)early.port);
    apiclient_t *client = apiclient_new (url);
    size_t left = 64 * 1024 * 1024;
    int rc = apiclient_post_reader (client, "/v1/jobs", "application/json",
                                    s_endless_read, &left, status_p, body_p);
    snprintf (error, APICLIENT_ERROR_MAX, "%s", apiclient_error (client));
    apiclient_destroy (&client);
    pthread_join (early.thread, NULL);
    close (early.listener);
    return rc;
}

static void
test_post_answered_before_its_body_is_sent_gives_the_answer (void **state)
{
    (void)state;
    char url[64], error[APICLIENT_ERROR_MAX];
    long status = 0;
    char *body = NULL;
    if (s_post_to_early (false, &status, &body, url, error) != 0)
        fail_msg ("no answer, but: %s", error);
    assert_int_eq (status, 413);
    assert_string_equal (body, S_EARLY_BODY);
    free (body);
}

static void
test_post_cut_off_without_an_answer_says_so (void **state)
{
    (void)state;
    char url[64], error[APICLIENT_ERROR_MAX];
    long status = 0;
    char *body = NULL;
    assert_int_equal (s_post_to_early (true, &status, &body, url, error), -1);
    assert_null (body);
    char expected[256];
    snprintf (expected, sizeof expected,
              "%s closed the connection while the request was being sent, "
              "without an answer",
              url);
    if (strncmp (error, expected, strlen (expected)) != 0)
        fail_msg ("'%s' is not '%s ...'", error, expected);
}

static void
test_connection_refused_names_server_and_reason (void **state)
{
    (void)state;
    //  A port that was just free and that nobody listens on.
    testserver_t *server = testserver_new ();
    char url[64];
    snprintf (url, sizeof url, "%s", testserver_url (server));
    testserver_destroy (&server);
    apiclient_t *client = apiclient_new (url);
    assert_non_null (client);
    long status = -5;
    char *body = (char *)"untouched";
    int rc = apiclient_get (client, "/v1/jobs/j1", &status, &body);
    assert_int_equal (rc, -1);
    assert_null (body);
    char expected[128];
    snprintf (expected, sizeof expected,
              "cannot connect to %s: Connection refused", url);
    assert_string_equal (apiclient_error (client), expected);
    apiclient_destroy (&client);
}

static void
test_reply_larger_than_limit_fails (void **state)
{
    (void)state;
    size_t body_size = APICLIENT_BODY_MAX + 1;
    char *large_body = malloc (body_size);
    assert_non_null (large_body);
    memset (large_body, 'x', body_size);
    testserver_answer_t answer = {
        .status = 200, .body = large_body, .body_size = body_size};
    testserver_t *server = testserver_start (&answer, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_get (client, "/v1/jobs/j1", &status, &body);
    assert_int_equal (rc, -1);
    assert_null (body);
    assert_non_null (strstr (apiclient_error (client), "is larger than"));
    apiclient_destroy (&client);
    testserver_destroy (&server);
    free (large_body);
}

static void
test_interrupt_flag_abandons_request (void **state)
{
    (void)state;
    //  A server that takes the connection and never answers.
    testserver_t *server = testserver_new ();
    apiclient_t *client = s_client_new (server);
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
    testserver_destroy (&server);
}

static void
test_download_writes_file_and_leaves_no_part (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_apiclient");
    char *output = testdir_join (dir, "out.pdf");
    testserver_answer_t answer = {.status = 200,
                                  .headers =
                                      "Content-Type: application/pdf\r\n",
                                  .body = "%PDF-1.7\n%%EOF"};
    testserver_t *server = testserver_start (&answer, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_download (client, "/v1/jobs/j1/result", output, &status,
                                 &body);
    assert_int_equal (rc, 0);
    assert_int_eq (status, 200);
    assert_string_equal (body, "");
    s_assert_file_content (output, "%PDF-1.7\n%%EOF");
    s_assert_no_part (output);
    free (body);
    apiclient_destroy (&client);
    testserver_destroy (&server);
    free (output);
    testdir_destroy (&dir);
}

static void
test_download_follows_redirect (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_apiclient");
    char *output = testdir_join (dir, "out.pdf");
    testserver_t *server = testserver_new ();
    char location[256];
    snprintf (location, sizeof location,
              "Location: %s/bucket/j1.pdf?X-Amz-Signature=abc\r\n",
              testserver_url (server));
    testserver_answer_t answers[] = {
        {.status = 302, .headers = location, .body = "moved"},
        {.status = 200, .body = "%PDF-1.7"},
    };
    testserver_serve (server, answers, 2);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_download (client, "/v1/jobs/j1/result", output, &status,
                                 &body);
    assert_int_equal (rc, 0);
    assert_int_eq (status, 200);
    s_assert_file_content (output, "%PDF-1.7");
    assert_string_equal (testserver_request_line (server, 1),
                         "GET /bucket/j1.pdf?X-Amz-Signature=abc");
    free (body);
    apiclient_destroy (&client);
    testserver_destroy (&server);
    free (output);
    testdir_destroy (&dir);
}

static void
test_download_error_status_leaves_no_file (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_apiclient");
    char *output = testdir_join (dir, "out.pdf");
    testfile_write (output, "old result", strlen ("old result"));
    testserver_answer_t answer = {
        .status = 409,
        .body = "{\"error\": {\"message\": \"job not done\"}}\n\n"};
    testserver_t *server = testserver_start (&answer, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_download (client, "/v1/jobs/j1/result", output, &status,
                                 &body);
    assert_int_equal (rc, 0);
    assert_int_eq (status, 409);
    assert_string_equal (body,
                         "{\"error\": {\"message\": \"job not done\"}}\n\n");
    s_assert_file_content (output, "old result");
    s_assert_no_part (output);
    free (body);
    apiclient_destroy (&client);
    testserver_destroy (&server);
    free (output);
    testdir_destroy (&dir);
}

static void
test_download_cut_short_fails_and_leaves_no_file (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_apiclient");
    char *output = testdir_join (dir, "out.pdf");
    const char *start = "%PDF-1.7 and then nothing";
    testserver_answer_t answer = {.status = 200,
                                  .body = start,
                                  .body_size = 1000,
                                  .cut_after = strlen (start)};
    testserver_t *server = testserver_start (&answer, 1);
    apiclient_t *client = s_client_new (server);
    long status = 0;
    char *body = NULL;
    int rc = apiclient_download (client, "/v1/jobs/j1/result", output, &status,
                                 &body);
    assert_int_equal (rc, -1);
    assert_null (body);
    assert_non_null (
        strstr (apiclient_error (client), "GET http://127.0.0.1:"));
    assert_false (s_file_exists (output));
    s_assert_no_part (output);
    apiclient_destroy (&client);
    testserver_destroy (&server);
    free (output);
    testdir_destroy (&dir);
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
        cmocka_unit_test (test_token_goes_with_every_request),
        cmocka_unit_test (test_token_that_a_header_cannot_carry_is_refused),
        cmocka_unit_test (test_post_sends_file_with_length_and_type),
        cmocka_unit_test (test_post_from_pipe_is_sent_chunked),
        cmocka_unit_test (test_post_reader_sends_what_reader_makes_chunked),
        cmocka_unit_test (test_post_reader_failing_abandons_request),
        cmocka_unit_test (
            test_post_answered_before_its_body_is_sent_gives_the_answer),
        cmocka_unit_test (test_post_cut_off_without_an_answer_says_so),
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
