/*  apiclient - HTTP requests to the pdfpipe API, for the command-line client.

    Owns one libcurl handle and the API's base URL; it is the only module of
    the client that sees libcurl. It sends GET, POST and DELETE requests,
    keeps small reply bodies in memory and streams a result to a file. It
    knows nothing of jobs or JSON: paths and bodies belong to the caller.

    A request that gets any HTTP answer, 4xx and 5xx included, returns 0 and
    the status code; interpreting it is the caller's business. That holds
    for an answer that comes before the request's body is all sent, after
    which the server hangs up (how a job document over the server's limit
    is refused): the answer is returned, not the failure to send the rest. Only failures
    of transport (cannot connect, stalled, reply too large, cannot write the
    file, interrupted) return -1, and then apiclient_error says what went
    wrong in words meant for a person at a terminal, so the caller prints it
    instead of logging it. Not thread-safe: one apiclient per thread.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_APICLIENT_H
#define PDFPIPE_APICLIENT_H

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#define APICLIENT_CONNECT_TIMEOUT_MS 10000
//  A transfer that moves no bytes for this long is abandoned. There is no
//  total limit because a result can be gigabytes on a slow link.
#define APICLIENT_STALL_TIMEOUT_S 60
//  The same for a request with a body (a job submission): the server
//  answers once it has checked and stored the whole document, which for a
//  million records takes minutes after the last byte is sent.
#define APICLIENT_SUBMIT_STALL_TIMEOUT_S 900
//  Replies kept in memory (status documents, error bodies) are small; a
//  bigger one means we are not talking to the pdfpipe API.
#define APICLIENT_BODY_MAX (4 * 1024 * 1024) // bytes
//  The result of a job may be a redirect to object storage (a presigned S3
//  URL); one hop is expected, a few are tolerated.
#define APICLIENT_REDIRECTS_MAX 5
#define APICLIENT_ERROR_MAX 512 // bytes of apiclient_error text
#define APICLIENT_PART_SUFFIX ".part"

typedef struct _apiclient_t apiclient_t;

//  Produces a request body as it is sent: writes at most size bytes into
//  buffer and returns how many, 0 at the end of the body, or -1 to abandon
//  the request. arg is what the caller passed along with it.
typedef ssize_t (apiclient_reader_fn) (void *arg, char *buffer, size_t size);

//  A client for the API at base_url ("http://host:port", optionally with a
//  path prefix; trailing slashes are ignored). Returns NULL when base_url is
//  not an http or https URL, or when libcurl cannot start. Caller owns the
//  result.
apiclient_t *
apiclient_new (const char *base_url);

void
apiclient_destroy (apiclient_t **self_p);

//  Send token as "Authorization: Bearer <token>" with every request to
//  the API (not to where a result redirects, which libcurl does not pass
//  it on to). Returns -1, changing nothing, when the token is empty or has
//  characters a header cannot carry (control characters, spaces, non-ASCII).
int
apiclient_set_token (apiclient_t *self, const char *token);

//  The base URL without trailing slashes; borrowed.
const char *
apiclient_base_url (apiclient_t *self);

//  Abandon any transfer in progress, within about a second, once *flag
//  becomes non-zero; meant for a flag set by a SIGINT handler. The request
//  then fails with the error "interrupted". flag is borrowed and may be
//  NULL to stop watching.
void
apiclient_set_interrupt (apiclient_t *self, volatile sig_atomic_t *flag);

//  GET base_url + path. On an HTTP answer, returns 0 with the status code in
//  *status_p and the body, NUL-terminated ("" when empty), in *body_p, which
//  the caller frees. On a transport failure returns -1 and sets *body_p to
//  NULL. Redirects are not followed.
int
apiclient_get (apiclient_t *self, const char *path, long *status_p,
               char **body_p);

//  DELETE base_url + path; results as for apiclient_get.
int
apiclient_delete (apiclient_t *self, const char *path, long *status_p,
                  char **body_p);

//  POST base_url + path with the contents of upload, read from its current
//  position to end of file as the request is sent, never held in memory as
//  a whole. A regular file is sent with its length; a pipe is sent chunked.
//  content_type is the request's Content-Type. upload is borrowed and not
//  closed. Results as for apiclient_get.
int
apiclient_post (apiclient_t *self, const char *path, const char *content_type,
                FILE *upload, long *status_p, char **body_p);

//  POST base_url + path with a body that reader makes as the request is
//  sent (chunked, since its length is not known ahead). When reader
//  returns -1 the request is abandoned mid-body, so the server sees a
//  broken request and never a truncated document, and this returns -1
//  with apiclient_error "the request body was abandoned": why is the
//  reader's to tell. Otherwise results as for apiclient_get.
int
apiclient_post_reader (apiclient_t *self, const char *path,
                       const char *content_type, apiclient_reader_fn *reader,
                       void *reader_arg, long *status_p, char **body_p);

//  GET base_url + path, following redirects, and stream a 200 answer into
//  file_path + APICLIENT_PART_SUFFIX, renamed to file_path once it is
//  complete and flushed to disk, so file_path never holds a partial result.
//  Returns 0 with *status_p and *body_p as for apiclient_get; on 200 the
//  body is "" (the content is in the file); on any other status file_path
//  is left as it was and no part file remains. On a transport or file
//  failure returns -1, likewise with file_path untouched and no part file.
int
apiclient_download (apiclient_t *self, const char *path, const char *file_path,
                    long *status_p, char **body_p);

//  What the last failed request ran into, such as "cannot connect to
//  http://127.0.0.1:8080: Connection refused"; "" before any failure.
//  Borrowed, valid until the next request.
const char *
apiclient_error (apiclient_t *self);

//  base_url and path joined with exactly one slash between them, whatever
//  slashes either has at the join. Returns NULL when out of memory. Caller
//  frees.
char *
apiclient_url_join (const char *base_url, const char *path);

//  segment percent-encoded for use as one path segment: everything but
//  letters, digits and "-._~" becomes %XX. Returns NULL when out of memory.
//  Caller frees.
char *
apiclient_escape (const char *segment);

#endif
