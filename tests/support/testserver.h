/*  testserver - a scripted HTTP server on 127.0.0.1 for tests of clients.

    testserver_new listens on an ephemeral loopback port; testserver_serve
    starts a thread that takes one connection at a time and gives the n-th
    the n-th scripted answer (the last one again when the script runs
    out), always with "Connection: close". Before answering it reads the
    whole request (a body by Content-Length or chunked) and records the
    request line, the headers and the body, so the test can check what
    the client sent. An answer can be cut short or sent in pieces with
    pauses between them, to test how a client copes. It checks no
    signature and understands no protocol beyond HTTP/1.1 framing.

    A server that is never told to serve still accepts connections into
    its backlog and never answers; one destroyed at once leaves a port
    that was just free and that nobody listens on.

    Threading: the server's thread records each request before it
    answers; reading a request that is not recorded yet waits for it (up
    to TESTSERVER_IDLE_MS), for clients that give up before the server
    has read all they sent. Any failure fails the running test (cmocka).

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef TESTSERVER_H_INCLUDED
#define TESTSERVER_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define TESTSERVER_ANSWERS_MAX 16  // scripted answers
#define TESTSERVER_REQUESTS_MAX 16 // requests recorded; later ones are not
#define TESTSERVER_BODY_KEPT 65536 // request body bytes recorded
#define TESTSERVER_PAUSES_MAX 8    // pauses in one answer
#define TESTSERVER_PAUSE_MS 20     // each, so each piece is a read of its own
#define TESTSERVER_IDLE_MS 10000   // a silent client is given up after this

typedef struct _testserver_t testserver_t;

//  One scripted answer: "HTTP/1.1 <status> Scripted", the extra header
//  lines, Content-Length (body_size, or strlen (body)), "Connection:
//  close", then the body. A client that sent "Expect: 100-continue" gets
//  "100 Continue" first when the status is 2xx; otherwise it gets the
//  answer at once and its body is not read.
typedef struct {
    int status;          // 0: close the connection without answering
    const char *headers; // extra header lines, each ending in \r\n, or NULL
    const char *body;    // NULL: none
    size_t body_size;    // bytes to announce; 0: strlen (body)
    size_t cut_after;    // close after this many body bytes; 0: send all
    size_t pauses[TESTSERVER_PAUSES_MAX]; // body offsets to pause at,
                                          // ascending; a 0 ends the list
} testserver_answer_t;

//  Creates a server listening on an ephemeral port of 127.0.0.1. It
//  answers nothing until testserver_serve.
testserver_t *
testserver_new (void);

//  Starts answering: copies count (1 to TESTSERVER_ANSWERS_MAX) answers
//  and starts the server's thread. Call once; the answers' strings are
//  borrowed and must outlive the server.
void
testserver_serve (testserver_t *self, const testserver_answer_t *answers,
                  size_t count);

//  testserver_new and testserver_serve in one.
testserver_t *
testserver_start (const testserver_answer_t *answers, size_t count);

//  Stops the thread (a connection being served is finished first), closes
//  the port, frees self and sets *self_p to NULL. Does nothing when
//  *self_p is NULL.
void
testserver_destroy (testserver_t **self_p);

//  The port the server listens on.
uint16_t
testserver_port (testserver_t *self);

//  "http://127.0.0.1:<port>", valid while the server lives.
const char *
testserver_url (testserver_t *self);

//  The number of connections taken so far, recorded or not.
size_t
testserver_served (testserver_t *self);

//  The request line of request index (from 0) without its version, such
//  as "GET /bucket/key?x=1". Fails the test when no such request was
//  recorded (only the first TESTSERVER_REQUESTS_MAX are).
const char *
testserver_request_line (testserver_t *self, size_t index);

//  The value of header name (case-insensitive) in request index, without
//  leading spaces, or NULL when the request has no such header. Fails the
//  test when no such request was recorded.
const char *
testserver_header (testserver_t *self, size_t index, const char *name);

//  The body of request index as received (chunked framing included),
//  NUL-terminated, at most its first TESTSERVER_BODY_KEPT bytes. Fails
//  the test when no such request was recorded.
const char *
testserver_body (testserver_t *self, size_t index);

//  How many body bytes request index carried, all of them counted.
size_t
testserver_body_bytes (testserver_t *self, size_t index);

#endif
