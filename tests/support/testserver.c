/*  testserver - a scripted HTTP server on 127.0.0.1 for tests of clients.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testserver.h"

#define S_HEAD_MAX 8192   // bytes of a request head (line and headers)
#define S_LINE_MAX 512    // bytes of a recorded request line
#define S_BACKLOG 16      // connections waiting to be taken
#define S_READ_SIZE 65536 // bytes read from a connection at once
#define S_CHUNKED_END "\r\n0\r\n\r\n" // what ends a chunked body

typedef struct {
    char line[S_LINE_MAX];    // "METHOD target"
    char headers[S_HEAD_MAX]; // "Name: value" strings, each NUL-terminated,
                              // then an empty one
    char body[TESTSERVER_BODY_KEPT + 1]; // NUL-terminated
    size_t body_bytes;                   // all received, kept or not
} s_request_t;

struct _testserver_t {
    int listener;
    int wake[2]; // a pipe; a byte written tells the thread to stop
    uint16_t port;
    char url[64];
    bool serving; // the thread runs
    pthread_t thread;
    testserver_answer_t answers[TESTSERVER_ANSWERS_MAX];
    size_t answer_count;
    pthread_mutex_t mutex;  // guards served and recorded
    pthread_cond_t changed; // signalled when recorded grows
    size_t served;          // connections taken
    size_t recorded;        // requests[0 .. recorded - 1] are complete
    s_request_t *requests;  // TESTSERVER_REQUESTS_MAX of them
};

testserver_t *
testserver_new (void)
{
    testserver_t *self = calloc (1, sizeof (testserver_t));
    assert_non_null (self);
    self->requests = calloc (TESTSERVER_REQUESTS_MAX, sizeof (s_request_t));
    assert_non_null (self->requests);
    assert_int_equal (pthread_mutex_init (&self->mutex, NULL), 0);
    assert_int_equal (pthread_cond_init (&self->changed, NULL), 0);
    assert_int_equal (pipe (self->wake), 0);
    self->listener = socket (AF_INET, SOCK_STREAM, 0);
    if (self->listener == -1)
        fail_msg ("socket: %s", strerror (errno));
    struct sockaddr_in address;
    memset (&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (bind (self->listener, (struct sockaddr *)&address, sizeof address) ==
            -1 ||
        listen (self->listener, S_BACKLOG) == -1)
        fail_msg ("cannot listen on 127.0.0.1: %s", strerror (errno));
    socklen_t size = sizeof address;
    assert_int_equal (
        getsockname (self->listener, (struct sockaddr *)&address, &size), 0);
    self->port = ntohs (address.sin_port);
    snprintf (self->url, sizeof self->url, "http://127.0.0.1:%u",
              (unsigned)self->port);
    return self;
}

static void
s_send_all (int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t sent = send (fd, data, size, MSG_NOSIGNAL);
        if (sent <= 0)
            return; // the client hung up: what it got is its problem
        data += sent;
        size -= (size_t)sent;
    }
}

//  Reads up to the end of the request head into head (NUL-terminated),
//  a byte at a time so that no body byte is taken. Returns false when the
//  client went away first or the head is too long.
static bool
s_read_head (int fd, char *head, size_t size)
{
    size_t used = 0;
    while (used + 1 < size) {
        if (recv (fd, head + used, 1, 0) <= 0)
            return false;
        used++;
        head[used] = '\0';
        if (used >= 4 && memcmp (head + used - 4, "\r\n\r\n", 4) == 0)
            return true;
    }
    return false;
}

//  Records the request line and the headers of head into request.
static void
s_record_head (s_request_t *request, const char *head)
{
    const char *version = strstr (head, " HTTP/");
    size_t line_size = version ? (size_t)(version - head) : 0;
    snprintf (request->line, sizeof request->line, "%.*s", (int)line_size,
              head);
    char *headers = request->headers;
    size_t used = 0;
    const char *line = strstr (head, "\r\n");
    while (line && line[2] != '\r') {
        line += 2;
        size_t length = strcspn (line, "\r");
        if (used + length + 2 > sizeof request->headers)
            break;
        memcpy (headers + used, line, length);
        headers[used + length] = '\0';
        used += length + 1;
        line = strstr (line, "\r\n");
    }
    headers[used] = '\0';
}

static const char *
s_header_in (const s_request_t *request, const char *name)
{
    size_t length = strlen (name);
    for (const char *line = request->headers; *line; line += strlen (line) + 1)
        if (strncasecmp (line, name, length) == 0 && line[length] == ':')
            return line + length + 1 + strspn (line + length + 1, " ");
    return NULL;
}

//  Reads the request body as its headers frame it, keeping the first
//  TESTSERVER_BODY_KEPT bytes. Stops early when the client goes away.
static void
s_read_body (int fd, s_request_t *request)
{
    const char *length_text = s_header_in (request, "Content-Length");
    const char *encoding = s_header_in (request, "Transfer-Encoding");
    bool chunked = encoding && strstr (encoding, "chunked");
    size_t length = length_text ? strtoul (length_text, NULL, 10) : 0;
    if (!chunked && length == 0)
        return;
    static const size_t end_size = sizeof S_CHUNKED_END - 1;
    char tail[sizeof S_CHUNKED_END] = "\r\n"; // as if a chunk came before
    size_t tail_size = 2;
    char *buffer = malloc (S_READ_SIZE);
    assert_non_null (buffer);
    while (chunked || request->body_bytes < length) {
        size_t want = S_READ_SIZE;
        if (!chunked && length - request->body_bytes < want)
            want = length - request->body_bytes;
        ssize_t got = recv (fd, buffer, want, 0);
        if (got <= 0)
            break;
        if (request->body_bytes < TESTSERVER_BODY_KEPT) {
            size_t kept = TESTSERVER_BODY_KEPT - request->body_bytes;
            if (kept > (size_t)got)
                kept = (size_t)got;
            memcpy (request->body + request->body_bytes, buffer, kept);
            request->body[request->body_bytes + kept] = '\0';
        }
        request->body_bytes += (size_t)got;
        if (chunked) {
            //  Keep the last end_size bytes seen, to spot the last chunk.
            for (ssize_t index = 0; index < got; index++) {
                if (tail_size == end_size) {
                    memmove (tail, tail + 1, end_size - 1);
                    tail_size--;
                }
                tail[tail_size++] = buffer[index];
            }
            if (tail_size == end_size &&
                memcmp (tail, S_CHUNKED_END, end_size) == 0)
                break;
        }
    }
    free (buffer);
}

static void
s_answer (int fd, const testserver_answer_t *answer)
{
    const char *body = answer->body ? answer->body : "";
    size_t body_size = answer->body_size ? answer->body_size : strlen (body);
    char head[S_HEAD_MAX];
    snprintf (head, sizeof head,
              "HTTP/1.1 %d Scripted\r\n%sContent-Length: %zu\r\n"
              "Connection: close\r\n\r\n",
              answer->status, answer->headers ? answer->headers : "",
              body_size);
    s_send_all (fd, head, strlen (head));
    size_t to_send = answer->cut_after ? answer->cut_after : body_size;
    size_t from = 0;
    for (size_t index = 0; index < TESTSERVER_PAUSES_MAX; index++) {
        size_t pause = answer->pauses[index];
        if (pause == 0 || pause > to_send)
            break;
        s_send_all (fd, body + from, pause - from);
        from = pause;
        struct timespec nap = {0, TESTSERVER_PAUSE_MS * 1000000L};
        nanosleep (&nap, NULL);
    }
    s_send_all (fd, body + from, to_send - from);
}

static void
s_serve_one (testserver_t *self, int fd)
{
    struct timeval idle = {TESTSERVER_IDLE_MS / 1000,
                           TESTSERVER_IDLE_MS % 1000 * 1000};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
    //  Pieces must leave one by one, not wait to be coalesced.
    int no_delay = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &no_delay, sizeof no_delay);

    pthread_mutex_lock (&self->mutex);
    size_t index = self->served++;
    pthread_mutex_unlock (&self->mutex);
    const testserver_answer_t *answer =
        &self->answers[index < self->answer_count ? index
                                                  : self->answer_count - 1];
    //  A request beyond the record is read into a scratch one.
    s_request_t *request = index < TESTSERVER_REQUESTS_MAX
                               ? &self->requests[index]
                               : calloc (1, sizeof (s_request_t));
    assert_non_null (request);
    char head[S_HEAD_MAX];
    bool have_head = s_read_head (fd, head, sizeof head);
    if (have_head) {
        s_record_head (request, head);
        bool accepted = answer->status >= 200 && answer->status < 300;
        //  A refusal goes before the body to a client that waits for 100.
        bool expects = s_header_in (request, "Expect") != NULL;
        if (expects && accepted) {
            const char *go_on = "HTTP/1.1 100 Continue\r\n\r\n";
            s_send_all (fd, go_on, strlen (go_on));
        }
        if (!expects || accepted)
            s_read_body (fd, request);
    }
    if (index < TESTSERVER_REQUESTS_MAX) {
        pthread_mutex_lock (&self->mutex);
        self->recorded = index + 1;
        pthread_cond_broadcast (&self->changed);
        pthread_mutex_unlock (&self->mutex);
    } else
        free (request);
    if (have_head && answer->status != 0)
        s_answer (fd, answer);
    //  Drain until the client closes, so that it reads the whole answer
    //  rather than a reset.
    shutdown (fd, SHUT_WR);
    char drain[256];
    while (recv (fd, drain, sizeof drain, 0) > 0)
        ;
}

static void *
s_run (void *arg)
{
    testserver_t *self = arg;
    while (true) {
        struct pollfd waiting[2] = {{self->listener, POLLIN, 0},
                                    {self->wake[0], POLLIN, 0}};
        if (poll (waiting, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            break;
        }
        //  Connections made before the stop are served first.
        if (waiting[0].revents & POLLIN) {
            int fd = accept (self->listener, NULL, NULL);
            if (fd == -1)
                break;
            s_serve_one (self, fd);
            close (fd);
        } else if (waiting[1].revents)
            break;
    }
    return NULL;
}

void
testserver_serve (testserver_t *self, const testserver_answer_t *answers,
                  size_t count)
{
    assert_non_null (self);
    assert_false (self->serving);
    assert_true (count >= 1 && count <= TESTSERVER_ANSWERS_MAX);
    memcpy (self->answers, answers, count * sizeof (testserver_answer_t));
    self->answer_count = count;
    assert_int_equal (pthread_create (&self->thread, NULL, s_run, self), 0);
    self->serving = true;
}

testserver_t *
testserver_start (const testserver_answer_t *answers, size_t count)
{
    testserver_t *self = testserver_new ();
    testserver_serve (self, answers, count);
    return self;
}

void
testserver_destroy (testserver_t **self_p)
{
    assert_non_null (self_p);
    testserver_t *self = *self_p;
    if (!self)
        return;
    if (self->serving) {
        assert_int_equal (write (self->wake[1], "x", 1), 1);
        pthread_join (self->thread, NULL);
    }
    close (self->listener);
    close (self->wake[0]);
    close (self->wake[1]);
    pthread_cond_destroy (&self->changed);
    pthread_mutex_destroy (&self->mutex);
    free (self->requests);
    free (self);
    *self_p = NULL;
}

uint16_t
testserver_port (testserver_t *self)
{
    assert_non_null (self);
    return self->port;
}

const char *
testserver_url (testserver_t *self)
{
    assert_non_null (self);
    return self->url;
}

size_t
testserver_served (testserver_t *self)
{
    assert_non_null (self);
    pthread_mutex_lock (&self->mutex);
    size_t served = self->served;
    pthread_mutex_unlock (&self->mutex);
    return served;
}

//  Request index, once the server's thread has recorded it: a client
//  that gave up may return before the server has read all it sent.
static const s_request_t *
s_recorded (testserver_t *self, size_t index)
{
    assert_non_null (self);
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += TESTSERVER_IDLE_MS / 1000;
    pthread_mutex_lock (&self->mutex);
    while (self->serving && index >= self->recorded &&
           index < TESTSERVER_REQUESTS_MAX)
        if (pthread_cond_timedwait (&self->changed, &self->mutex, &deadline) ==
            ETIMEDOUT)
            break;
    size_t recorded = self->recorded;
    pthread_mutex_unlock (&self->mutex);
    if (index >= recorded)
        fail_msg ("request %zu was not recorded (%zu were)", index, recorded);
    return &self->requests[index];
}

const char *
testserver_request_line (testserver_t *self, size_t index)
{
    return s_recorded (self, index)->line;
}

const char *
testserver_header (testserver_t *self, size_t index, const char *name)
{
    return s_header_in (s_recorded (self, index), name);
}

const char *
testserver_body (testserver_t *self, size_t index)
{
    return s_recorded (self, index)->body;
}

size_t
testserver_body_bytes (testserver_t *self, size_t index)
{
    return s_recorded (self, index)->body_bytes;
}
