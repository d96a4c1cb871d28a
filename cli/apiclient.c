/*  apiclient - HTTP requests to the pdfpipe API, for the command-line client.

    One libcurl easy handle serves every request, so that polling a job
    reuses its connection; curl_easy_reset clears the options between
    requests but keeps the connection cache. libcurl's error codes stop
    here: each failure becomes -1 plus a sentence in self->error that names
    the server by its origin (scheme, host and port), never by a URL that
    could carry a presigned query string or credentials.

    SPDX-License-Identifier: MPL-2.0
*/
#include "apiclient.h"

#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytebuf.h"

#define S_USER_AGENT "pdfpipe-cli"
#define S_URL_SHOWN_MAX 256
#define S_HEADER_MAX 256 // bytes of one request header line

struct _apiclient_t {
    CURL *curl;
    char *base_url;                   // without trailing slashes
    volatile sig_atomic_t *interrupt; // borrowed; may be NULL
    char error[APICLIENT_ERROR_MAX];
    char curl_error[CURL_ERROR_SIZE]; // libcurl's detail of a failure
    char *authorization;              // the header line; NULL: no token
    struct curl_slist *own_headers;   // for a request without others
};

//  Where the bytes of one request go and what went wrong on the way.
typedef struct {
    CURL *curl;
    bytebuf_t body; // reply kept in memory
    bool body_too_large;
    FILE *file; // a download's part file; NULL otherwise
    const char *file_path;
    int file_errno;              // errno of a failed write to file
    FILE *upload;                // request body of a POST; NULL otherwise
    int upload_errno;            // errno of a failed read of upload
    apiclient_reader_fn *reader; // makes the request body instead of upload
    void *reader_arg;
    bool reader_abandoned; // the reader returned -1
} s_transfer_t;

static void
s_set_error (apiclient_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_set_error (apiclient_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof self->error, format, args);
    va_end (args);
}

//  url as we show it to people: scheme, host, port and, when with_path,
//  the path; never user, password, query or fragment. Falls back to a
//  fixed word when url does not parse.
static void
s_shown_url (const char *url, bool with_path, char *shown, size_t size)
{
    snprintf (shown, size, "the server");
    CURLU *parts = curl_url ();
    if (!parts)
        return;
    char *scheme = NULL;
    char *host = NULL;
    char *port = NULL;
    char *path = NULL;
    CURLUcode rc = curl_url_set (parts, CURLUPART_URL, url, 0);
    if (rc == CURLUE_OK)
        rc = curl_url_get (parts, CURLUPART_SCHEME, &scheme, 0);
    if (rc == CURLUE_OK)
        rc = curl_url_get (parts, CURLUPART_HOST, &host, 0);
    if (rc == CURLUE_OK) {
        //  The port and path are optional; absent, they stay NULL.
        curl_url_get (parts, CURLUPART_PORT, &port, 0);
        if (with_path)
            curl_url_get (parts, CURLUPART_PATH, &path, 0);
        snprintf (shown, size, "%s://%s%s%s%s", scheme, host, port ? ":" : "",
                  port ? port : "", path && strcmp (path, "/") ? path : "");
    }
    curl_free (scheme);
    curl_free (host);
    curl_free (port);
    curl_free (path);
    curl_url_cleanup (parts);
}

static size_t
s_body_append (s_transfer_t *transfer, const char *data, size_t bytes)
{
    if (transfer->body.size + bytes > APICLIENT_BODY_MAX) {
        transfer->body_too_large = true;
        return 0;
    }
    if (bytebuf_append (&transfer->body, data, bytes) == -1)
        return 0;
    return bytes;
}

//  libcurl write callback. A download's 200 answer goes to the part file;
//  every other body (an error, or an API reply) stays in memory. Bodies of
//  redirects never arrive here: libcurl skips them when it follows.
static size_t
s_write (char *data, size_t size, size_t count, void *arg)
{
    s_transfer_t *transfer = arg;
    size_t bytes = size * count;
    if (transfer->file) {
        long status = 0;
        curl_easy_getinfo (transfer->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status == 200) {
            if (fwrite (data, 1, bytes, transfer->file) != bytes) {
                transfer->file_errno = errno ? errno : EIO;
                return 0;
            }
            return bytes;
        }
    }
    return s_body_append (transfer, data, bytes);
}

//  libcurl read callback for a POST body.
static size_t
s_read (char *buffer, size_t size, size_t count, void *arg)
{
    s_transfer_t *transfer = arg;
    if (transfer->reader) {
        ssize_t made =
            transfer->reader (transfer->reader_arg, buffer, size * count);
        if (made < 0) {
            transfer->reader_abandoned = true;
            return CURL_READFUNC_ABORT;
        }
        return (size_t)made;
    }
    size_t bytes = fread (buffer, 1, size * count, transfer->upload);
    if (bytes == 0 && ferror (transfer->upload)) {
        transfer->upload_errno = errno ? errno : EIO;
        return CURL_READFUNC_ABORT;
    }
    return bytes;
}

//  libcurl progress callback, called at least once a second; a non-zero
//  return abandons the transfer.
static int
s_progress (void *arg, curl_off_t download_total, curl_off_t download_now,
            curl_off_t upload_total, curl_off_t upload_now)
{
    (void)download_total;
    (void)download_now;
    (void)upload_total;
    (void)upload_now;
    apiclient_t *self = arg;
    return self->interrupt && *self->interrupt ? 1 : 0;
}

//  Reset the handle and set what every request shares.
static void
s_prepare (apiclient_t *self, const char *url, s_transfer_t *transfer,
           struct curl_slist *headers)
{
    CURL *curl = self->curl;
    curl_easy_reset (curl);
    self->error[0] = '\0';
    self->curl_error[0] = '\0';
    transfer->curl = curl;
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, self->curl_error);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (curl, CURLOPT_USERAGENT, S_USER_AGENT);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS,
                      (long)APICLIENT_CONNECT_TIMEOUT_MS);
    curl_easy_setopt (curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt (curl, CURLOPT_LOW_SPEED_TIME,
                      (long)APICLIENT_STALL_TIMEOUT_S);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, transfer);
    curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, s_progress);
    curl_easy_setopt (curl, CURLOPT_XFERINFODATA, self);
    //  The token's header joins the caller's list (freed with it), or a
    //  list of our own. Out of memory, the request goes without it and
    //  gets its 401.
    curl_slist_free_all (self->own_headers);
    self->own_headers = NULL;
    if (self->authorization) {
        struct curl_slist *extended =
            curl_slist_append (headers, self->authorization);
        if (extended && !headers)
            self->own_headers = extended;
        if (extended)
            headers = extended;
    }
    if (headers)
        curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
}

//  True when a final answer's status line has come (not just a "100
//  Continue").
static bool
s_answer_started (apiclient_t *self)
{
    long status = 0;
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200;
}

//  Put a failed transfer into words in self->error.
static void
s_explain (apiclient_t *self, const char *method, CURLcode code,
           s_transfer_t *transfer)
{
    char *url = NULL;
    curl_easy_getinfo (self->curl, CURLINFO_EFFECTIVE_URL, &url);
    char origin[S_URL_SHOWN_MAX];
    s_shown_url (url ? url : "", false, origin, sizeof origin);
    const char *detail =
        self->curl_error[0] ? self->curl_error : curl_easy_strerror (code);

    if (transfer->reader_abandoned)
        s_set_error (self, "the request body was abandoned");
    else if (transfer->upload_errno)
        s_set_error (self, "cannot read the request body: %s",
                     strerror (transfer->upload_errno));
    else if (transfer->file_errno)
        s_set_error (self, "cannot write %s: %s", transfer->file_path,
                     strerror (transfer->file_errno));
    else if (transfer->body_too_large)
        s_set_error (self, "reply from %s is larger than %d bytes", origin,
                     APICLIENT_BODY_MAX);
    else if (transfer->body.failed)
        s_set_error (self, "out of memory reading the reply from %s", origin);
    else if (code == CURLE_ABORTED_BY_CALLBACK)
        s_set_error (self, "interrupted");
    else if ((code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR) &&
             (transfer->upload || transfer->reader) && !s_answer_started (self))
        s_set_error (self,
                     "%s closed the connection while the request was being "
                     "sent, without an answer (%s); it may have refused the "
                     "request: see its log",
                     origin, detail);
    else if (code == CURLE_COULDNT_CONNECT) {
        //  CURLINFO_OS_ERRNO is kept across transfers before libcurl 8.8,
        //  so it is only trusted right after a connect failure.
        long os_errno = 0;
        curl_easy_getinfo (self->curl, CURLINFO_OS_ERRNO, &os_errno);
        s_set_error (self, "cannot connect to %s: %s", origin,
                     os_errno ? strerror ((int)os_errno) : detail);
    } else if (code == CURLE_COULDNT_RESOLVE_HOST ||
               code == CURLE_COULDNT_RESOLVE_PROXY)
        s_set_error (self, "cannot connect to %s: %s", origin, detail);
    else {
        char shown[S_URL_SHOWN_MAX];
        s_shown_url (url ? url : "", true, shown, sizeof shown);
        s_set_error (self, "%s %s: %s", method, shown, detail);
    }
}

//  True when a request whose body was cut short by code has an answer
//  anyway: a server may answer before the body is all sent (a job
//  document over its limit) and hang up, and then what failed, sending
//  the rest, is no news; the answer is.
static bool
s_answered_early (const s_transfer_t *transfer, CURLcode code, long status)
{
    bool sending = transfer->upload || transfer->reader;
    bool cut = code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR;
    return sending && cut && status >= 300 && !transfer->reader_abandoned &&
           !transfer->upload_errno && !transfer->body_too_large &&
           !transfer->body.failed;
}

//  Run the prepared request. Returns 0 with the final status code, or -1
//  with self->error set.
static int
s_perform (apiclient_t *self, const char *method, s_transfer_t *transfer,
           long *status_p)
{
    CURLcode code = curl_easy_perform (self->curl);
    long status = 0;
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK && !s_answered_early (transfer, code, status)) {
        s_explain (self, method, code, transfer);
        return -1;
    }
    *status_p = status;
    return 0;
}

//  The reply body of a finished transfer, handed to the caller ("" when the
//  reply had none). Returns -1 when out of memory.
static int
s_take_body (apiclient_t *self, s_transfer_t *transfer, char **body_p)
{
    *body_p = bytebuf_detach (&transfer->body);
    if (!*body_p) {
        s_set_error (self, "out of memory");
        return -1;
    }
    return 0;
}

//  A request body: a file, a reader, or neither.
typedef struct {
    FILE *file;
    apiclient_reader_fn *reader;
    void *reader_arg;
} s_upload_t;

static int
s_request (apiclient_t *self, const char *method, const char *path,
           const char *content_type, const s_upload_t *upload, long *status_p,
           char **body_p)
{
    assert (self);
    assert (path);
    assert (status_p);
    assert (body_p);
    *body_p = NULL;
    *status_p = 0;
    int rc = -1;
    s_transfer_t transfer = {0};
    struct curl_slist *headers = NULL;
    char *url = apiclient_url_join (self->base_url, path);
    if (url)
        headers = curl_slist_append (NULL, "Accept: application/json");
    if (headers && content_type) {
        char content_header[S_HEADER_MAX];
        snprintf (content_header, sizeof content_header, "Content-Type: %s",
                  content_type);
        struct curl_slist *extended =
            curl_slist_append (headers, content_header);
        if (!extended)
            curl_slist_free_all (headers);
        headers = extended;
    }
    if (!headers) {
        s_set_error (self, "out of memory");
        goto cleanup;
    }
    s_prepare (self, url, &transfer, headers);
    if (upload) {
        curl_off_t size = -1; // unknown: sent chunked
        if (upload->file) {
            struct stat info;
            off_t position = ftello (upload->file);
            if (fstat (fileno (upload->file), &info) == 0 &&
                S_ISREG (info.st_mode) && position >= 0 &&
                info.st_size >= position)
                size = (curl_off_t)(info.st_size - position);
        }
        transfer.upload = upload->file;
        transfer.reader = upload->reader;
        transfer.reader_arg = upload->reader_arg;
        curl_easy_setopt (self->curl, CURLOPT_POST, 1L);
        curl_easy_setopt (self->curl, CURLOPT_LOW_SPEED_TIME,
                          (long)APICLIENT_SUBMIT_STALL_TIMEOUT_S);
        curl_easy_setopt (self->curl, CURLOPT_READFUNCTION, s_read);
        curl_easy_setopt (self->curl, CURLOPT_READDATA, &transfer);
        curl_easy_setopt (self->curl, CURLOPT_POSTFIELDSIZE_LARGE, size);
    } else if (strcmp (method, "GET") != 0)
        curl_easy_setopt (self->curl, CURLOPT_CUSTOMREQUEST, method);

    if (s_perform (self, method, &transfer, status_p) == -1)
        goto cleanup;
    rc = s_take_body (self, &transfer, body_p);

cleanup:
    bytebuf_free (&transfer.body);
    curl_slist_free_all (headers);
    free (url);
    return rc;
}

apiclient_t *
apiclient_new (const char *base_url)
{
    assert (base_url);
    //  Accept only what names an http(s) server, so that a typo fails here
    //  with one clear message rather than on every request.
    CURLU *parts = curl_url ();
    if (!parts)
        return NULL;
    char *scheme = NULL;
    CURLUcode url_rc = curl_url_set (parts, CURLUPART_URL, base_url, 0);
    if (url_rc == CURLUE_OK)
        url_rc = curl_url_get (parts, CURLUPART_SCHEME, &scheme, 0);
    bool is_http = url_rc == CURLUE_OK && (strcasecmp (scheme, "http") == 0 ||
                                           strcasecmp (scheme, "https") == 0);
    curl_free (scheme);
    curl_url_cleanup (parts);
    if (!is_http)
        return NULL;

    apiclient_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free (self);
        return NULL;
    }
    self->curl = curl_easy_init ();
    self->base_url = strdup (base_url);
    if (!self->curl || !self->base_url) {
        apiclient_destroy (&self);
        return NULL;
    }
    size_t length = strlen (self->base_url);
    while (length > 0 && self->base_url[length - 1] == '/')
        self->base_url[--length] = '\0';
    return self;
}

int
apiclient_set_token (apiclient_t *self, const char *token)
{
    assert (self);
    assert (token);
    if (!*token || strlen (token) > S_HEADER_MAX)
        return -1;
    for (const char *cursor = token; *cursor; cursor++)
        if (*cursor <= ' ' || *cursor >= 0x7f)
            return -1;
    static const char prefix[] = "Authorization: Bearer ";
    size_t size = strlen (prefix) + strlen (token) + 1;
    char *authorization = malloc (size);
    if (!authorization)
        return -1;
    snprintf (authorization, size, "%s%s", prefix, token);
    free (self->authorization);
    self->authorization = authorization;
    return 0;
}

void
apiclient_destroy (apiclient_t **self_p)
{
    assert (self_p);
    apiclient_t *self = *self_p;
    if (!self)
        return;
    curl_easy_cleanup (self->curl);
    curl_slist_free_all (self->own_headers);
    free (self->authorization);
    //  Balances the curl_global_init of apiclient_new; libcurl counts them.
    curl_global_cleanup ();
    free (self->base_url);
    free (self);
    *self_p = NULL;
}

const char *
apiclient_base_url (apiclient_t *self)
{
    assert (self);
    return self->base_url;
}

void
apiclient_set_interrupt (apiclient_t *self, volatile sig_atomic_t *flag)
{
    assert (self);
    self->interrupt = flag;
}

int
apiclient_get (apiclient_t *self, const char *path, long *status_p,
               char **body_p)
{
    return s_request (self, "GET", path, NULL, NULL, status_p, body_p);
}

int
apiclient_delete (apiclient_t *self, const char *path, long *status_p,
                  char **body_p)
{
    return s_request (self, "DELETE", path, NULL, NULL, status_p, body_p);
}

int
apiclient_post (apiclient_t *self, const char *path, const char *content_type,
                FILE *upload, long *status_p, char **body_p)
{
    assert (upload);
    assert (content_type);
    s_upload_t body = {upload, NULL, NULL};
    return s_request (self, "POST", path, content_type, &body, status_p,
                      body_p);
}

int
apiclient_post_reader (apiclient_t *self, const char *path,
                       const char *content_type, apiclient_reader_fn *reader,
                       void *reader_arg, long *status_p, char **body_p)
{
    assert (reader);
    assert (content_type);
    s_upload_t body = {NULL, reader, reader_arg};
    return s_request (self, "POST", path, content_type, &body, status_p,
                      body_p);
}

//  Flush the part file to disk and close it. Returns -1 with errno set
//  when any step fails; the file is closed either way.
static int
s_file_close (FILE **file_p)
{
    FILE *file = *file_p;
    *file_p = NULL;
    int rc = 0;
    int saved_errno = 0;
    if (fflush (file) != 0 || fsync (fileno (file)) != 0) {
        saved_errno = errno;
        rc = -1;
    }
    if (fclose (file) != 0 && rc == 0) {
        saved_errno = errno;
        rc = -1;
    }
    errno = saved_errno;
    return rc;
}

int
apiclient_download (apiclient_t *self, const char *path, const char *file_path,
                    long *status_p, char **body_p)
{
    assert (self);
    assert (path);
    assert (file_path);
    assert (status_p);
    assert (body_p);
    *body_p = NULL;
    *status_p = 0;
    int rc = -1;
    bool part_created = false;
    bool part_renamed = false;
    s_transfer_t transfer = {0};
    char *url = apiclient_url_join (self->base_url, path);
    size_t part_size = strlen (file_path) + strlen (APICLIENT_PART_SUFFIX) + 1;
    char *part_path = malloc (part_size);
    if (!url || !part_path) {
        s_set_error (self, "out of memory");
        goto cleanup;
    }
    snprintf (part_path, part_size, "%s%s", file_path, APICLIENT_PART_SUFFIX);

    //  Created before the request so that an unwritable destination fails
    //  before anything is fetched.
    transfer.file = fopen (part_path, "wb");
    if (!transfer.file) {
        s_set_error (self, "cannot create %s: %s", part_path, strerror (errno));
        goto cleanup;
    }
    part_created = true;
    transfer.file_path = part_path;

    s_prepare (self, url, &transfer, NULL);
    curl_easy_setopt (self->curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt (self->curl, CURLOPT_MAXREDIRS,
                      (long)APICLIENT_REDIRECTS_MAX);
    if (s_perform (self, "GET", &transfer, status_p) == -1)
        goto cleanup;

    if (*status_p == 200) {
        if (s_file_close (&transfer.file) == -1) {
            s_set_error (self, "cannot write %s: %s", part_path,
                         strerror (errno));
            goto cleanup;
        }
        if (rename (part_path, file_path) != 0) {
            s_set_error (self, "cannot rename %s to %s: %s", part_path,
                         file_path, strerror (errno));
            goto cleanup;
        }
        part_renamed = true;
    }
    rc = s_take_body (self, &transfer, body_p);

cleanup:
    if (transfer.file)
        fclose (transfer.file);
    if (part_created && !part_renamed)
        remove (part_path);
    bytebuf_free (&transfer.body);
    free (part_path);
    free (url);
    return rc;
}

const char *
apiclient_error (apiclient_t *self)
{
    assert (self);
    return self->error;
}

char *
apiclient_url_join (const char *base_url, const char *path)
{
    assert (base_url);
    assert (path);
    size_t base_length = strlen (base_url);
    while (base_length > 0 && base_url[base_length - 1] == '/')
        base_length--;
    while (*path == '/')
        path++;
    size_t size = base_length + 1 + strlen (path) + 1;
    char *url = malloc (size);
    if (url)
        snprintf (url, size, "%.*s/%s", (int)base_length, base_url, path);
    return url;
}

char *
apiclient_escape (const char *segment)
{
    assert (segment);
    static const char hex_digits[] = "0123456789ABCDEF";
    char *escaped = malloc (strlen (segment) * 3 + 1);
    if (!escaped)
        return NULL;
    char *out = escaped;
    for (const unsigned char *in = (const unsigned char *)segment; *in; in++) {
        bool unreserved = (*in >= 'A' && *in <= 'Z') ||
                          (*in >= 'a' && *in <= 'z') ||
                          (*in >= '0' && *in <= '9') || *in == '-' ||
                          *in == '.' || *in == '_' || *in == '~';
        if (unreserved)
            *out++ = (char)*in;
        else {
            *out++ = '%';
            *out++ = hex_digits[*in >> 4];
            *out++ = hex_digits[*in & 0x0F];
        }
    }
    *out = '\0';
    return escaped;
}
