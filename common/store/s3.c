/*  s3 - objects in Amazon S3 or an S3-compatible store, over its REST API.

    Every request goes through s_send and s_call: each try builds the
    request on the one curl easy handle (reset each time, so connections are
   reused but no option leaks from one request into the next), signs it with
    CURLOPT_AWS_SIGV4 and an x-amz-content-sha256 header of our own, and
    retries what s_attempt calls retryable. libcurl 7.88 signs every header
    we add, does not sort query parameters and signs a bare "?uploads"
    wrongly, so queries are built here already sorted and as "uploads=".

    Answers: a 2xx is success, except that CompleteMultipartUpload may
    answer 200 and still fail, with an <Error> document as the body. Error
    documents are read for their Code and Message with a few string
    searches: they are small, flat and only ever shown to people.

    SPDX-License-Identifier: MPL-2.0
*/
#include "s3.h"

#include <assert.h>
#include <ctype.h>
#include <curl/curl.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytebuf.h"
#include "log.h"
#include "sigv4.h"

#define S_BODY_MAX (64 * 1024)           // bytes of an answer kept
#define S_HASH_BUFFER_SIZE (1024 * 1024) // bytes per read when hashing
#define S_MESSAGE_MAX 300 // bytes of S3's Message shown in an error
#define S_HOST_MAX 255
#define S_BUCKET_MIN 3
#define S_BUCKET_MAX 63
//  sha256 of nothing: the payload hash of a request without a body.
#define S_EMPTY_SHA256                                                         \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct _s3_t {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; // NULL when none
    char *region;
    char *scheme;   // "http" or "https"
    char *host;     // host[:port] of the endpoint, or AWS's regional one
    char *endpoint; // scheme://host, for error texts
    bool path_style;
    uint64_t part_size;
    uint32_t max_attempts;
    uint32_t retry_base_ms;
    uint32_t presign_expires_s;
    char *sigv4_param; // "aws:amz:<region>:s3"
    CURL *curl;
    unsigned int seed;       // for backoff jitter
    uint32_t retries;        // spent by the operation in progress
    const char *log_context; // of the operation in progress; borrowed
};

typedef enum {
    S_DONE,
    S_RETRY,
    S_FAILED,
} s_outcome_t;

//  One request, as s_call sends it (possibly several times).
typedef struct {
    const char *method; // "GET", "PUT", "POST" or "DELETE"
    char *what; // "PUT s3://bucket/key (part 2 of 9)", for errors; owned
    char *url;  // owned
    const char *content_type;        // NULL: no header
    const char *content_disposition; // NULL: no header
    const char *owner;               // x-amz-meta-pdfpipe-job; NULL: none
    bool create_only;                // If-None-Match: *
    const char *payload_hash;        // hex SHA-256 of the body
    const char *body;                // POST body in memory
    size_t body_size;
    int fd;              // PUT body from a file, or -1
    uint64_t offset;     // where the body starts in fd
    uint64_t length;     // body bytes from fd
    const char *path;    // fd's name, for errors
    bool error_in_200;   // a 200 answer may carry an <Error> document
    s3_data_fn *on_data; // GET: receives the object
    void *on_data_arg;
} s_request_t;

//  The state of one request over its attempts.
typedef struct {
    s3_t *s3;
    s_request_t *request;
    uint64_t sent;  // body bytes handed to curl in this attempt
    bytebuf_t body; // the answer, at most S_BODY_MAX bytes
    char etag[S3_ETAG_MAX];
    uint64_t delivered; // object bytes handed to on_data, all attempts
    uint64_t position;  // object offset of the next byte in this attempt
    bool positioned;    // position is set for this attempt
    bool data_stopped;  // on_data returned -1
    int file_errno;     // reading the body failed
} s_transfer_t;

static char *
s_strdup_or_null (const char *text)
{
    return text && *text ? strdup (text) : NULL;
}

static const char *
s_env (const char *name)
{
    const char *value = getenv (name);
    return value && *value ? value : NULL;
}

//  A whole number from min to max in variable name, or fallback when it is
//  unset. Returns -1 and fills error when it is set to anything else.
static int
s_env_number (const char *name, uint64_t min, uint64_t max, uint64_t fallback,
              uint64_t *value, char *error)
{
    const char *text = s_env (name);
    *value = fallback;
    if (!text)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long parsed = strtoull (text, &end, 10);
    if (errno || end == text || *end || !isdigit ((unsigned char)text[0]) ||
        parsed < min || parsed > max) {
        snprintf (error, S3_ERROR_MAX,
                  "%s must be a whole number from %" PRIu64 " to %" PRIu64
                  ", got '%.40s'",
                  name, min, max, text);
        return -1;
    }
    *value = parsed;
    return 0;
}

int
s3_config_from_env (s3_config_t *config, char *error)
{
    assert (config);
    assert (error);
    memset (config, 0, sizeof (*config));
    config->access_key_id = s_env ("AWS_ACCESS_KEY_ID");
    config->secret_access_key = s_env ("AWS_SECRET_ACCESS_KEY");
    config->session_token = s_env ("AWS_SESSION_TOKEN");
    if (!config->access_key_id || !config->secret_access_key) {
        snprintf (error, S3_ERROR_MAX,
                  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be "
                  "set for S3");
        return -1;
    }
    config->region = s_env ("AWS_REGION");
    if (!config->region)
        config->region = s_env ("AWS_DEFAULT_REGION");
    if (!config->region)
        config->region = S3_REGION_DEFAULT;
    config->endpoint = s_env ("PDFPIPE_S3_ENDPOINT");
    if (!config->endpoint)
        config->endpoint = s_env ("AWS_ENDPOINT_URL_S3");
    if (!config->endpoint)
        config->endpoint = s_env ("AWS_ENDPOINT_URL");
    uint64_t path_style, part_mb, attempts, base_ms, expires_s;
    if (s_env_number ("PDFPIPE_S3_PATH_STYLE", 0, 1, config->endpoint ? 1 : 0,
                      &path_style, error) ||
        s_env_number ("PDFPIPE_S3_PART_SIZE_MB", S3_PART_SIZE_MIN / S3_MIB,
                      S3_PART_SIZE_MAX / S3_MIB, S3_PART_SIZE_DEFAULT / S3_MIB,
                      &part_mb, error) ||
        s_env_number ("PDFPIPE_S3_MAX_ATTEMPTS", 1, S3_ATTEMPTS_MAX,
                      S3_ATTEMPTS_DEFAULT, &attempts, error) ||
        s_env_number ("PDFPIPE_S3_RETRY_BASE_MS", 1, S3_RETRY_CAP_MS,
                      S3_RETRY_BASE_MS_DEFAULT, &base_ms, error) ||
        s_env_number ("PDFPIPE_S3_PRESIGN_EXPIRES", 1,
                      SIGV4_PRESIGN_EXPIRES_MAX, S3_PRESIGN_EXPIRES_DEFAULT,
                      &expires_s, error))
        return -1;
    config->path_style = path_style == 1;
    config->part_size = part_mb * S3_MIB;
    config->max_attempts = (uint32_t)attempts;
    config->retry_base_ms = (uint32_t)base_ms;
    config->presign_expires_s = (uint32_t)expires_s;
    return 0;
}

//  Split an endpoint "http[s]://host[:port][/]" into scheme and host.
static int
s_parse_endpoint (const char *endpoint, char **scheme, char **host)
{
    const char *rest;
    if (strncmp (endpoint, "https://", 8) == 0) {
        *scheme = strdup ("https");
        rest = endpoint + 8;
    } else if (strncmp (endpoint, "http://", 7) == 0) {
        *scheme = strdup ("http");
        rest = endpoint + 7;
    } else
        return -1;
    size_t length = strlen (rest);
    if (length > 0 && rest[length - 1] == '/')
        length--;
    if (length == 0 || length > S_HOST_MAX)
        return -1;
    for (size_t index = 0; index < length; index++) {
        unsigned char letter = (unsigned char)rest[index];
        if (!isalnum (letter) && !strchr ("-.:[]", letter))
            return -1;
    }
    *host = strndup (rest, length);
    return 0;
}

s3_t *
s3_new (const s3_config_t *config, char *error)
{
    assert (config);
    assert (error);
    if (!config->access_key_id || !*config->access_key_id ||
        !config->secret_access_key || !*config->secret_access_key) {
        snprintf (error, S3_ERROR_MAX, "S3 credentials are missing");
        return NULL;
    }
    if (config->part_size < S3_PART_SIZE_MIN ||
        config->part_size > S3_PART_SIZE_MAX || config->max_attempts < 1 ||
        config->max_attempts > S3_ATTEMPTS_MAX ||
        config->presign_expires_s < 1 ||
        config->presign_expires_s > SIGV4_PRESIGN_EXPIRES_MAX) {
        snprintf (error, S3_ERROR_MAX,
                  "S3 part size, attempts or presign expiry out of range");
        return NULL;
    }
    const char *region =
        config->region && *config->region ? config->region : S3_REGION_DEFAULT;
    for (const char *letter = region; *letter; letter++)
        if (!isalnum ((unsigned char)*letter) && *letter != '-') {
            snprintf (error, S3_ERROR_MAX, "S3 region '%.40s' is not a region",
                      region);
            return NULL;
        }
    s3_t *self = calloc (1, sizeof (s3_t));
    if (!self) {
        snprintf (error, S3_ERROR_MAX, "out of memory");
        return NULL;
    }
    self->access_key_id = strdup (config->access_key_id);
    self->secret_access_key = strdup (config->secret_access_key);
    self->session_token = s_strdup_or_null (config->session_token);
    self->region = strdup (region);
    self->path_style = config->path_style;
    self->part_size = config->part_size;
    self->max_attempts = config->max_attempts;
    self->retry_base_ms = config->retry_base_ms ? config->retry_base_ms : 1;
    self->presign_expires_s = config->presign_expires_s;
    if (config->endpoint && *config->endpoint) {
        if (s_parse_endpoint (config->endpoint, &self->scheme, &self->host) ==
            -1) {
            snprintf (error, S3_ERROR_MAX,
                      "S3 endpoint '%.200s' is not http[s]://host[:port]",
                      config->endpoint);
            s3_destroy (&self);
            return NULL;
        }
    } else {
        self->scheme = strdup ("https");
        self->host = zsys_sprintf ("s3.%s.amazonaws.com", self->region);
    }
    self->endpoint = self->scheme && self->host
                         ? zsys_sprintf ("%s://%s", self->scheme, self->host)
                         : NULL;
    self->sigv4_param = zsys_sprintf ("aws:amz:%s:s3", self->region);
    if (curl_global_init (CURL_GLOBAL_DEFAULT) == CURLE_OK)
        self->curl = curl_easy_init ();
    if (!self->access_key_id || !self->secret_access_key || !self->region ||
        !self->endpoint || !self->sigv4_param || !self->curl) {
        snprintf (error, S3_ERROR_MAX, "out of memory or libcurl unusable");
        s3_destroy (&self);
        return NULL;
    }
    self->seed = (unsigned int)(zclock_time () ^ getpid () ^ (uintptr_t)self);
    return self;
}

static void
s_free_secret (char **secret_p)
{
    if (*secret_p) {
        memset (*secret_p, 0, strlen (*secret_p));
        free (*secret_p);
        *secret_p = NULL;
    }
}

void
s3_destroy (s3_t **self_p)
{
    assert (self_p);
    s3_t *self = *self_p;
    if (!self)
        return;
    if (self->curl) {
        curl_easy_cleanup (self->curl);
        curl_global_cleanup ();
    }
    free (self->access_key_id);
    s_free_secret (&self->secret_access_key);
    s_free_secret (&self->session_token);
    free (self->region);
    free (self->scheme);
    free (self->host);
    zstr_free (&self->endpoint);
    zstr_free (&self->sigv4_param);
    free (self);
    *self_p = NULL;
}

static bool
s_bucket_valid (const char *bucket, size_t length)
{
    if (length < S_BUCKET_MIN || length > S_BUCKET_MAX)
        return false;
    for (size_t index = 0; index < length; index++) {
        char letter = bucket[index];
        bool edge = index == 0 || index == length - 1;
        bool alnum = (letter >= 'a' && letter <= 'z') ||
                     (letter >= '0' && letter <= '9');
        if (!alnum && (edge || (letter != '-' && letter != '.')))
            return false;
    }
    return true;
}

int
s3_parse_url (const char *url, char **bucket_p, char **key_p)
{
    assert (url);
    assert (bucket_p);
    assert (key_p);
    if (strncmp (url, "s3://", 5) != 0)
        return -1;
    const char *bucket = url + 5;
    const char *slash = strchr (bucket, '/');
    size_t bucket_length = slash ? (size_t)(slash - bucket) : strlen (bucket);
    const char *key = slash ? slash + 1 : "";
    if (!s_bucket_valid (bucket, bucket_length) || strlen (key) > S3_KEY_MAX)
        return -1;
    *bucket_p = strndup (bucket, bucket_length);
    *key_p = strdup (key);
    if (!*bucket_p || !*key_p) {
        free (*bucket_p);
        free (*key_p);
        return -1;
    }
    return 0;
}

//  Where bucket/key is: the host to ask and the path there (both for the
//  caller to free). Buckets with dots go path-style: they do not match a
//  TLS wildcard certificate as a host name. Returns -1 when out of memory.
static int
s_locate (s3_t *self, const char *bucket, const char *key, char **host_p,
          char **path_p)
{
    char *encoded_key = sigv4_uri_encode (key, true);
    bool path_style = self->path_style || strchr (bucket, '.');
    *host_p = path_style ? strdup (self->host)
                         : zsys_sprintf ("%s.%s", bucket, self->host);
    *path_p = !encoded_key ? NULL
              : path_style ? zsys_sprintf ("/%s/%s", bucket, encoded_key)
                           : zsys_sprintf ("/%s", encoded_key);
    free (encoded_key);
    if (!*host_p || !*path_p) {
        zstr_free (host_p);
        zstr_free (path_p);
        return -1;
    }
    return 0;
}

//  The URL of bucket/key, with query (already sorted and encoded) when not
//  NULL. Caller frees.
static char *
s_url (s3_t *self, const char *bucket, const char *key, const char *query)
{
    char *host, *path;
    if (s_locate (self, bucket, key, &host, &path) == -1)
        return NULL;
    char *url = zsys_sprintf ("%s://%s%s%s%s", self->scheme, host, path,
                              query ? "?" : "", query ? query : "");
    zstr_free (&host);
    zstr_free (&path);
    return url;
}

//  ---------------------------------------------------------------------
//  Answers

//  The text of the first <tag>...</tag> in body, entities decoded and
//  anything unprintable replaced, at most max_size - 1 bytes, into value.
//  Returns false when the tag is absent.
static bool
s_xml_value (const char *body, const char *tag, char *value, size_t max_size)
{
    char open[64], close[64];
    snprintf (open, sizeof (open), "<%s>", tag);
    snprintf (close, sizeof (close), "</%s>", tag);
    const char *start = body ? strstr (body, open) : NULL;
    if (!start)
        return false;
    start += strlen (open);
    const char *end = strstr (start, close);
    if (!end)
        return false;
    static const struct {
        const char *entity;
        char letter;
    } entities[] = {{"&amp;", '&'},  {"&lt;", '<'},    {"&gt;", '>'},
                    {"&quot;", '"'}, {"&apos;", '\''}, {"&#34;", '"'}};
    size_t used = 0;
    for (const char *cursor = start; cursor < end && used + 1 < max_size;) {
        char letter = *cursor;
        size_t advance = 1;
        if (letter == '&') {
            for (size_t index = 0;
                 index < sizeof (entities) / sizeof (entities[0]); index++) {
                size_t length = strlen (entities[index].entity);
                if (strncmp (cursor, entities[index].entity, length) == 0) {
                    letter = entities[index].letter;
                    advance = length;
                    break;
                }
            }
        }
        value[used++] = (unsigned char)letter < 0x20 ? ' ' : letter;
        cursor += advance;
    }
    value[used] = '\0';
    return true;
}

//  Codes S3 uses for "not now, try again", whatever the status.
static bool
s_code_retryable (const char *code)
{
    static const char *const codes[] = {"SlowDown",
                                        "RequestTimeout",
                                        "InternalError",
                                        "ServiceUnavailable",
                                        "Throttling",
                                        "ThrottlingException",
                                        "RequestTimeTooSkewed",
                                        NULL};
    for (size_t index = 0; codes[index]; index++)
        if (streq (code, codes[index]))
            return true;
    return false;
}

static bool
s_curl_retryable (CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UPLOAD_FAILED:
        return true;
    default:
        return false;
    }
}

//  Judge an answer with an error document (or none): fill error with what
//  S3 said and decide whether it is worth another try.
static s_outcome_t
s_judge_error (s_transfer_t *transfer, long status, char *error)
{
    char code[64] = "", message[S_MESSAGE_MAX] = "";
    bool has_code =
        s_xml_value (transfer->body.data, "Code", code, sizeof (code));
    s_xml_value (transfer->body.data, "Message", message, sizeof (message));
    if (has_code)
        snprintf (error, S3_ERROR_MAX, "%s: S3 answered %ld %s%s%s",
                  transfer->request->what, status, code, *message ? ": " : "",
                  message);
    else
        snprintf (error, S3_ERROR_MAX,
                  "%s: S3 answered %ld without an error "
                  "document",
                  transfer->request->what, status);
    if (status >= 500 || status == 429 || (has_code && s_code_retryable (code)))
        return S_RETRY;
    return S_FAILED;
}

//  ---------------------------------------------------------------------
//  curl callbacks

static size_t
s_on_read (char *buffer, size_t size, size_t count, void *arg)
{
    s_transfer_t *transfer = arg;
    s_request_t *request = transfer->request;
    uint64_t remaining = request->length - transfer->sent;
    size_t want = size * count;
    if (want > remaining)
        want = (size_t)remaining;
    if (want == 0)
        return 0;
    while (true) {
        ssize_t got = pread (request->fd, buffer, want,
                             (off_t)(request->offset + transfer->sent));
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0) {
            //  A file that shrank under us reads as 0 bytes: an error too.
            transfer->file_errno = got == 0 ? EIO : errno;
            return CURL_READFUNC_ABORT;
        }
        transfer->sent += (uint64_t)got;
        return (size_t)got;
    }
}

//  curl rewinds the body when it must send it again on the same request.
static int
s_on_seek (void *arg, curl_off_t offset, int origin)
{
    s_transfer_t *transfer = arg;
    if (origin != SEEK_SET || offset < 0 ||
        (uint64_t)offset > transfer->request->length)
        return CURL_SEEKFUNC_CANTSEEK;
    transfer->sent = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static void
s_keep_body (s_transfer_t *transfer, const char *data, size_t size)
{
    if (transfer->body.size >= S_BODY_MAX)
        return;
    if (size > S_BODY_MAX - transfer->body.size)
        size = S_BODY_MAX - transfer->body.size;
    bytebuf_append (&transfer->body, data, size);
}

static size_t
s_on_write (char *data, size_t size, size_t count, void *arg)
{
    s_transfer_t *transfer = arg;
    s_request_t *request = transfer->request;
    size_t total = size * count;
    long status = 0;
    curl_easy_getinfo (transfer->s3->curl, CURLINFO_RESPONSE_CODE, &status);
    if (!request->on_data || status / 100 != 2) {
        s_keep_body (transfer, data, total);
        return total;
    }
    if (!transfer->positioned) {
        //  206 continues where the last attempt stopped; a 200 starts
        //  from the beginning again, and what was delivered is skipped.
        transfer->position = status == 206 ? transfer->delivered : 0;
        transfer->positioned = true;
    }
    size_t skip = 0;
    if (transfer->position < transfer->delivered) {
        uint64_t behind = transfer->delivered - transfer->position;
        skip = behind < total ? (size_t)behind : total;
    }
    transfer->position += total;
    if (skip < total) {
        if (request->on_data (data + skip, total - skip,
                              request->on_data_arg) == -1) {
            transfer->data_stopped = true;
            return 0;
        }
        transfer->delivered += total - skip;
    }
    return total;
}

static size_t
s_on_header (char *data, size_t size, size_t count, void *arg)
{
    s_transfer_t *transfer = arg;
    size_t total = size * count;
    //  A new status line (after 100 Continue) starts a new header block.
    if (total >= 5 && strncmp (data, "HTTP/", 5) == 0)
        transfer->etag[0] = '\0';
    else if (total > 5 && strncasecmp (data, "ETag:", 5) == 0) {
        const char *value = data + 5;
        size_t length = total - 5;
        while (length > 0 && (*value == ' ' || *value == '\t')) {
            value++;
            length--;
        }
        while (length > 0 && strchr (" \t\r\n", value[length - 1]))
            length--;
        if (length < sizeof (transfer->etag)) {
            memcpy (transfer->etag, value, length);
            transfer->etag[length] = '\0';
        }
    }
    return total;
}

//  ---------------------------------------------------------------------
//  Sending requests

static struct curl_slist *
s_add_header (struct curl_slist *headers, bool *failed, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static struct curl_slist *
s_add_header (struct curl_slist *headers, bool *failed, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *line = zsys_vprintf (format, args);
    va_end (args);
    struct curl_slist *longer = line ? curl_slist_append (headers, line) : NULL;
    zstr_free (&line);
    if (!longer) {
        *failed = true;
        return headers;
    }
    return longer;
}

//  Send the request once. Fills error unless the answer is S_DONE.
static s_outcome_t
s_attempt (s3_t *self, s_transfer_t *transfer, char *error)
{
    s_request_t *request = transfer->request;
    CURL *curl = self->curl;
    transfer->sent = 0;
    transfer->positioned = false;
    transfer->etag[0] = '\0';
    bytebuf_free (&transfer->body);

    bool failed = false;
    struct curl_slist *headers = NULL;
    headers = s_add_header (headers, &failed, "x-amz-content-sha256: %s",
                            request->payload_hash);
    if (self->session_token)
        headers = s_add_header (headers, &failed, "x-amz-security-token: %s",
                                self->session_token);
    if (request->content_type)
        headers = s_add_header (headers, &failed, "Content-Type: %s",
                                request->content_type);
    if (request->content_disposition)
        headers = s_add_header (headers, &failed, "Content-Disposition: %s",
                                request->content_disposition);
    if (request->owner)
        headers = s_add_header (headers, &failed, "x-amz-meta-pdfpipe-job: %s",
                                request->owner);
    if (request->create_only)
        headers = s_add_header (headers, &failed, "If-None-Match: *");
    if (request->on_data && transfer->delivered > 0)
        headers = s_add_header (headers, &failed, "Range: bytes=%" PRIu64 "-",
                                transfer->delivered);
    if (failed) {
        curl_slist_free_all (headers);
        snprintf (error, S3_ERROR_MAX, "%s: out of memory", request->what);
        return S_FAILED;
    }

    char curl_error[CURL_ERROR_SIZE] = "";
    curl_easy_reset (curl);
    curl_easy_setopt (curl, CURLOPT_URL, request->url);
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt (curl, CURLOPT_AWS_SIGV4, self->sigv4_param);
    curl_easy_setopt (curl, CURLOPT_USERNAME, self->access_key_id);
    curl_easy_setopt (curl, CURLOPT_PASSWORD, self->secret_access_key);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long)S3_CONNECT_TIMEOUT_S);
    curl_easy_setopt (curl, CURLOPT_LOW_SPEED_LIMIT, (long)S3_LOW_SPEED_BYTES);
    curl_easy_setopt (curl, CURLOPT_LOW_SPEED_TIME, (long)S3_LOW_SPEED_TIME_S);
    curl_easy_setopt (curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_write);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, transfer);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, transfer);
    if (streq (request->method, "PUT")) {
        curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt (curl, CURLOPT_READFUNCTION, s_on_read);
        curl_easy_setopt (curl, CURLOPT_READDATA, transfer);
        curl_easy_setopt (curl, CURLOPT_SEEKFUNCTION, s_on_seek);
        curl_easy_setopt (curl, CURLOPT_SEEKDATA, transfer);
        curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE,
                          (curl_off_t)request->length);
    } else if (streq (request->method, "POST")) {
        curl_easy_setopt (curl, CURLOPT_POST, 1L);
        curl_easy_setopt (curl, CURLOPT_POSTFIELDS,
                          request->body ? request->body : "");
        curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE,
                          (curl_off_t)request->body_size);
    } else if (streq (request->method, "DELETE"))
        curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, "DELETE");
    CURLcode code = curl_easy_perform (curl);
    long status = 0;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all (headers);

    if (transfer->data_stopped) {
        snprintf (error, S3_ERROR_MAX, "%s: the receiver stopped the download",
                  request->what);
        return S_FAILED;
    }
    if (transfer->file_errno) {
        snprintf (error, S3_ERROR_MAX, "%s: cannot read %s: %s", request->what,
                  request->path ? request->path : "the body",
                  strerror (transfer->file_errno));
        return S_FAILED;
    }
    if (code != CURLE_OK) {
        snprintf (error, S3_ERROR_MAX, "%s: no answer from %s: %s%s%s%s",
                  request->what, self->endpoint, curl_easy_strerror (code),
                  *curl_error ? " (" : "", curl_error, *curl_error ? ")" : "");
        return s_curl_retryable (code) ? S_RETRY : S_FAILED;
    }
    if (status / 100 != 2)
        return s_judge_error (transfer, status, error);
    if (request->error_in_200 && transfer->body.data &&
        strstr (transfer->body.data, "<Error>"))
        return s_judge_error (transfer, status, error);
    return S_DONE;
}

//  Milliseconds to wait before try attempt + 1: exponential, capped, half
//  of it random so that many clients do not retry in step.
static uint32_t
s_backoff_ms (s3_t *self, uint32_t attempt)
{
    uint64_t delay = self->retry_base_ms;
    for (uint32_t step = 1; step < attempt && delay < S3_RETRY_CAP_MS; step++)
        delay *= 2;
    if (delay > S3_RETRY_CAP_MS)
        delay = S3_RETRY_CAP_MS;
    uint64_t half = delay / 2;
    return (uint32_t)(delay - half +
                      (uint64_t)rand_r (&self->seed) % (half + 1));
}

//  Send the request until it succeeds, fails for good, or the attempts or
//  the operation's retry budget run out. Returns -1 and fills error.
static int
s_call (s3_t *self, s_transfer_t *transfer, char *error)
{
    const char *context = self->log_context;
    for (uint32_t attempt = 1;; attempt++) {
        s_outcome_t outcome = s_attempt (self, transfer, error);
        if (outcome == S_DONE)
            return 0;
        bool spent =
            attempt >= self->max_attempts || self->retries >= S3_RETRY_BUDGET;
        if (outcome == S_FAILED || spent) {
            if (attempt > 1 || outcome == S_RETRY) {
                size_t used = strlen (error);
                snprintf (error + used, S3_ERROR_MAX - used,
                          " (%s after %u attempt%s)",
                          outcome == S_RETRY ? "gave up" : "failed", attempt,
                          attempt == 1 ? "" : "s");
            }
            return -1;
        }
        uint32_t delay_ms = s_backoff_ms (self, attempt);
        log_warning ("%s%ss3: %s; retrying in %u ms (attempt %u of %u)",
                     context ? context : "", context ? " " : "", error,
                     delay_ms, attempt + 1, self->max_attempts);
        self->retries++;
        zclock_sleep ((int)delay_ms);
    }
}

//  Send request (what and url NULL mean out of memory) and keep the
//  answer in transfer, for the caller to read and then s_done. An error
//  whose Code is absent_code, when not NULL, counts as success: what was
//  to be removed is gone already. Returns -1 and fills error.
static int
s_send (s3_t *self, s_request_t *request, s_transfer_t *transfer,
        const char *absent_code, char *error)
{
    memset (transfer, 0, sizeof (*transfer));
    transfer->s3 = self;
    transfer->request = request;
    if (!request->what || !request->url) {
        snprintf (error, S3_ERROR_MAX, "out of memory");
        return -1;
    }
    int rc = s_call (self, transfer, error);
    char code[64] = "";
    if (rc == -1 && absent_code &&
        s_xml_value (transfer->body.data, "Code", code, sizeof (code)) &&
        streq (code, absent_code))
        rc = 0;
    return rc;
}

//  Free what the request and its transfer own.
static void
s_done (s_request_t *request, s_transfer_t *transfer)
{
    zstr_free (&request->what);
    zstr_free (&request->url);
    bytebuf_free (&transfer->body);
}

//  ---------------------------------------------------------------------
//  Uploads

//  Hash length bytes of fd from offset, into hex; also feed them to whole
//  when not NULL. Returns -1 and fills error.
static int
s_hash_range (int fd, const char *path, uint64_t offset, uint64_t length,
              sigv4_sha256_t *whole, char *hex, char *error)
{
    sigv4_sha256_t *part = sigv4_sha256_new ();
    char *buffer = malloc (S_HASH_BUFFER_SIZE);
    int rc = -1;
    if (!part || !buffer) {
        snprintf (error, S3_ERROR_MAX, "out of memory");
        goto cleanup;
    }
    for (uint64_t done = 0; done < length;) {
        size_t want = length - done < S_HASH_BUFFER_SIZE
                          ? (size_t)(length - done)
                          : S_HASH_BUFFER_SIZE;
        ssize_t got = pread (fd, buffer, want, (off_t)(offset + done));
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0) {
            snprintf (error, S3_ERROR_MAX, "cannot read %s: %s", path,
                      got == 0 ? "file shrank while uploading"
                               : strerror (errno));
            goto cleanup;
        }
        sigv4_sha256_update (part, buffer, (size_t)got);
        if (whole)
            sigv4_sha256_update (whole, buffer, (size_t)got);
        done += (uint64_t)got;
    }
    sigv4_sha256_finish (part, hex);
    rc = 0;

cleanup:
    free (buffer);
    sigv4_sha256_destroy (&part);
    return rc;
}

//  The part size for a file of size bytes: the configured one, or larger
//  when the file would need more than S3_PARTS_MAX parts.
static uint64_t
s_part_size_for (s3_t *self, uint64_t size)
{
    uint64_t part_size = self->part_size;
    if (size / part_size >= S3_PARTS_MAX) {
        part_size = (size + S3_PARTS_MAX - 1) / S3_PARTS_MAX;
        part_size = (part_size + S3_MIB - 1) / S3_MIB * S3_MIB;
    }
    return part_size;
}

typedef struct {
    const char *bucket;
    const char *key;
    const char *path;
    int fd;
    uint64_t size;
    const char *content_type;
    const char *disposition; // NULL: none
    const char *owner;       // create only, for this job; NULL: none
    char *target;            // "s3://bucket/key", for errors
} s_upload_t;

//  After a failed create-only write: true when S3 refused it because an
//  object was there.
static bool
s_existed (s_upload_t *upload, s_transfer_t *transfer)
{
    char code[64] = "";
    return upload->owner &&
           s_xml_value (transfer->body.data, "Code", code, sizeof (code)) &&
           streq (code, "PreconditionFailed");
}

static int
s_put_single (s3_t *self, s_upload_t *upload, s3_put_result_t *result,
              char *error)
{
    char hash[SIGV4_HEX_SIZE];
    if (s_hash_range (upload->fd, upload->path, 0, upload->size, NULL, hash,
                      error) == -1)
        return -1;
    s_request_t request = {
        .method = "PUT",
        .what = zsys_sprintf ("PUT %s", upload->target),
        .url = s_url (self, upload->bucket, upload->key, NULL),
        .content_type = upload->content_type,
        .content_disposition = upload->disposition,
        .owner = upload->owner,
        .create_only = upload->owner != NULL,
        .payload_hash = hash,
        .fd = upload->fd,
        .offset = 0,
        .length = upload->size,
        .path = upload->path,
    };
    s_transfer_t transfer;
    int rc = s_send (self, &request, &transfer, NULL, error);
    if (rc == 0)
        memcpy (result->sha256, hash, SIGV4_HEX_SIZE);
    else
        result->existed = s_existed (upload, &transfer);
    s_done (&request, &transfer);
    return rc;
}

//  POST ?uploads=: start a multipart upload. Returns its id (caller frees)
//  or NULL and fills error.
static char *
s_initiate (s3_t *self, s_upload_t *upload, char *error)
{
    s_request_t request = {
        .method = "POST",
        .what =
            zsys_sprintf ("starting a multipart upload of %s", upload->target),
        .url = s_url (self, upload->bucket, upload->key, "uploads="),
        .content_type = upload->content_type,
        .content_disposition = upload->disposition,
        .owner = upload->owner,
        .payload_hash = S_EMPTY_SHA256,
        .fd = -1,
        .error_in_200 = true,
    };
    char *upload_id = NULL;
    s_transfer_t transfer;
    if (s_send (self, &request, &transfer, NULL, error) == 0) {
        char value[1024];
        if (s_xml_value (transfer.body.data, "UploadId", value,
                         sizeof (value)) &&
            *value)
            upload_id = strdup (value);
        else
            snprintf (error, S3_ERROR_MAX, "%s: S3's answer has no UploadId",
                      request.what);
    }
    s_done (&request, &transfer);
    return upload_id;
}

//  DELETE ?uploadId=: throw the parts away. An upload S3 no longer knows
//  is gone already.
static int
s_abort (s3_t *self, s_upload_t *upload, const char *upload_id, char *error)
{
    char *encoded_id = sigv4_uri_encode (upload_id, false);
    char *query = encoded_id ? zsys_sprintf ("uploadId=%s", encoded_id) : NULL;
    s_request_t request = {
        .method = "DELETE",
        .what = zsys_sprintf ("aborting the multipart upload of %s",
                              upload->target),
        .url = query ? s_url (self, upload->bucket, upload->key, query) : NULL,
        .payload_hash = S_EMPTY_SHA256,
        .fd = -1,
    };
    s_transfer_t transfer;
    int rc = s_send (self, &request, &transfer, "NoSuchUpload", error);
    s_done (&request, &transfer);
    zstr_free (&query);
    free (encoded_id);
    return rc;
}

//  The CompleteMultipartUpload document for the parts' ETags. Caller
//  frees.
static char *
s_complete_xml (char **etags, uint32_t parts)
{
    bytebuf_t xml = {0};
    bytebuf_append_str (&xml, "<CompleteMultipartUpload>");
    for (uint32_t part = 0; !xml.failed && part < parts; part++) {
        char line[64 + 6 * S3_ETAG_MAX];
        int used =
            snprintf (line, sizeof (line),
                      "<Part><PartNumber>%u</PartNumber><ETag>", part + 1);
        for (const char *letter = etags[part]; *letter; letter++) {
            const char *escaped = *letter == '"'   ? "&quot;"
                                  : *letter == '&' ? "&amp;"
                                  : *letter == '<' ? "&lt;"
                                  : *letter == '>' ? "&gt;"
                                                   : NULL;
            if (escaped)
                used +=
                    snprintf (line + used, sizeof (line) - used, "%s", escaped);
            else
                line[used++] = *letter;
        }
        snprintf (line + used, sizeof (line) - used, "</ETag></Part>");
        bytebuf_append_str (&xml, line);
    }
    bytebuf_append_str (&xml, "</CompleteMultipartUpload>");
    return bytebuf_detach (&xml);
}

//  PUT one part (part_nbr counts from 1) of length bytes of upload's file
//  from offset; what names it in errors. Feeds the bytes to whole when not
//  NULL. Sets etag (S3_ETAG_MAX bytes). Returns -1 and fills error.
static int
s_put_part (s3_t *self, s_upload_t *upload, const char *encoded_id,
            uint32_t part_nbr, uint64_t offset, uint64_t length,
            sigv4_sha256_t *whole, const char *what, char *etag, char *error)
{
    char hash[SIGV4_HEX_SIZE];
    if (s_hash_range (upload->fd, upload->path, offset, length, whole, hash,
                      error) == -1)
        return -1;
    //  partNumber sorts before uploadId, as SigV4 needs.
    char *query =
        zsys_sprintf ("partNumber=%u&uploadId=%s", part_nbr, encoded_id);
    s_request_t request = {
        .method = "PUT",
        .what = what ? strdup (what) : NULL,
        .url = query ? s_url (self, upload->bucket, upload->key, query) : NULL,
        .payload_hash = hash,
        .fd = upload->fd,
        .offset = offset,
        .length = length,
        .path = upload->path,
    };
    s_transfer_t transfer;
    int rc = s_send (self, &request, &transfer, NULL, error);
    if (rc == 0 && !*transfer.etag) {
        snprintf (error, S3_ERROR_MAX, "%s: S3's answer has no ETag",
                  request.what);
        rc = -1;
    }
    if (rc == 0)
        snprintf (etag, S3_ETAG_MAX, "%s", transfer.etag);
    s_done (&request, &transfer);
    zstr_free (&query);
    return rc;
}

//  POST ?uploadId=: join the parts into the object. Returns -1 and fills
//  error; *existed (when not NULL) then says whether an object the put
//  may not replace was there.
static int
s_complete (s3_t *self, s_upload_t *upload, const char *encoded_id,
            char **etags, uint32_t parts, bool *existed, char *error)
{
    char *xml = s_complete_xml (etags, parts);
    char xml_hash[SIGV4_HEX_SIZE];
    if (xml)
        sigv4_sha256_hex (xml, strlen (xml), xml_hash);
    char *query = zsys_sprintf ("uploadId=%s", encoded_id);
    s_request_t request = {
        .method = "POST",
        .what = zsys_sprintf ("completing the multipart upload of %s",
                              upload->target),
        .url = query ? s_url (self, upload->bucket, upload->key, query) : NULL,
        .content_type = "application/xml",
        .create_only = upload->owner != NULL,
        .payload_hash = xml_hash,
        .body = xml,
        .body_size = xml ? strlen (xml) : 0,
        .fd = -1,
        .error_in_200 = true,
    };
    if (!xml)
        zstr_free (&request.what); // s_send reports out of memory
    s_transfer_t transfer;
    int rc = s_send (self, &request, &transfer, NULL, error);
    if (rc == -1 && existed)
        *existed = s_existed (upload, &transfer);
    s_done (&request, &transfer);
    zstr_free (&query);
    free (xml);
    return rc;
}

static int
s_put_parts (s3_t *self, s_upload_t *upload, const char *upload_id,
             uint64_t part_size, s3_put_result_t *result, char *error)
{
    uint32_t parts = (uint32_t)((upload->size + part_size - 1) / part_size);
    char **etags = calloc (parts, sizeof (char *));
    char *encoded_id = sigv4_uri_encode (upload_id, false);
    sigv4_sha256_t *whole = sigv4_sha256_new ();
    int rc = -1;
    if (!etags || !encoded_id || !whole) {
        snprintf (error, S3_ERROR_MAX, "out of memory");
        goto cleanup;
    }
    for (uint32_t part = 0; part < parts; part++) {
        uint64_t offset = part * part_size;
        uint64_t length = upload->size - offset < part_size
                              ? upload->size - offset
                              : part_size;
        char etag[S3_ETAG_MAX];
        char *what = zsys_sprintf ("PUT %s (part %u of %u)", upload->target,
                                   part + 1, parts);
        int part_rc = s_put_part (self, upload, encoded_id, part + 1, offset,
                                  length, whole, what, etag, error);
        zstr_free (&what);
        if (part_rc == -1)
            goto cleanup;
        etags[part] = strdup (etag);
        if (!etags[part]) {
            snprintf (error, S3_ERROR_MAX, "out of memory");
            goto cleanup;
        }
    }
    rc = s_complete (self, upload, encoded_id, etags, parts, &result->existed,
                     error);
    if (rc == 0) {
        result->parts = parts;
        sigv4_sha256_finish (whole, result->sha256);
    }

cleanup:
    for (uint32_t part = 0; etags && part < parts; part++)
        free (etags[part]);
    free (etags);
    free (encoded_id);
    sigv4_sha256_destroy (&whole);
    return rc;
}

static int
s_put_multipart (s3_t *self, s_upload_t *upload, uint64_t part_size,
                 s3_put_result_t *result, char *error)
{
    char *upload_id = s_initiate (self, upload, error);
    if (!upload_id)
        return -1;
    int rc = s_put_parts (self, upload, upload_id, part_size, result, error);
    if (rc == -1) {
        //  The abort gets a budget of its own: the failure may have been
        //  that the parts spent theirs.
        uint32_t retries = self->retries;
        self->retries = 0;
        char abort_error[S3_ERROR_MAX];
        int abort_rc = s_abort (self, upload, upload_id, abort_error);
        self->retries += retries;
        if (abort_rc == -1) {
            //  Parts left behind cost money until a lifecycle rule or a
            //  person removes them: someone must act.
            log_error ("%s%ss3: multipart upload %s of %s left behind: %s",
                       self->log_context ? self->log_context : "",
                       self->log_context ? " " : "", upload_id, upload->target,
                       abort_error);
            size_t used = strlen (error);
            snprintf (error + used, S3_ERROR_MAX - used,
                      "; the upload could not be aborted either");
        }
    }
    free (upload_id);
    return rc;
}

int
s3_put_file (s3_t *self, const char *bucket, const char *key, const char *path,
             const s3_put_options_t *options, s3_put_result_t *result,
             char *error)
{
    assert (self);
    assert (bucket && key && path);
    assert (result);
    assert (error);
    memset (result, 0, sizeof (*result));
    s3_put_options_t no_options = {NULL, NULL, NULL, NULL};
    if (!options)
        options = &no_options;
    self->retries = 0;
    self->log_context = options->log_context;
    int64_t started = zclock_mono ();
    s_upload_t upload = {
        .bucket = bucket,
        .key = key,
        .path = path,
        .fd = -1,
        .content_type = options->content_type ? options->content_type
                                              : "application/octet-stream",
        .disposition = options->content_disposition,
        .owner = options->owner,
    };
    int rc = -1;
    struct stat info;
    upload.target = zsys_sprintf ("s3://%s/%s", bucket, key);
    if (!upload.target) {
        snprintf (error, S3_ERROR_MAX, "out of memory");
        goto cleanup;
    }
    upload.fd = open (path, O_RDONLY | O_CLOEXEC);
    if (upload.fd == -1 || fstat (upload.fd, &info) == -1) {
        snprintf (error, S3_ERROR_MAX, "cannot read %s: %s", path,
                  strerror (errno));
        goto cleanup;
    }
    if (!S_ISREG (info.st_mode)) {
        snprintf (error, S3_ERROR_MAX, "%s is not a regular file", path);
        goto cleanup;
    }
    upload.size = (uint64_t)info.st_size;
    uint64_t part_size = s_part_size_for (self, upload.size);
    if (upload.size < part_size)
        rc = s_put_single (self, &upload, result, error);
    else
        rc = s_put_multipart (self, &upload, part_size, result, error);
    if (rc == 0) {
        result->bytes = upload.size;
        int64_t elapsed = zclock_mono () - started;
        log_info ("%s%ss3: stored %s: %" PRIu64 " bytes, %u parts, sha256 %s, "
                  "%" PRId64 " ms (%.1f MB/s), %u retries",
                  self->log_context ? self->log_context : "",
                  self->log_context ? " " : "", upload.target, upload.size,
                  result->parts, result->sha256, elapsed,
                  elapsed > 0 ? (double)upload.size / 1e3 / (double)elapsed
                              : 0.0,
                  self->retries);
    }
    result->retries = self->retries;

cleanup:
    if (upload.fd != -1)
        close (upload.fd);
    zstr_free (&upload.target);
    self->log_context = NULL;
    return rc;
}

int
s3_delete (s3_t *self, const char *bucket, const char *key, char *error)
{
    assert (self);
    assert (bucket && key);
    assert (error);
    self->retries = 0;
    s_request_t request = {
        .method = "DELETE",
        .what = zsys_sprintf ("DELETE s3://%s/%s", bucket, key),
        .url = s_url (self, bucket, key, NULL),
        .payload_hash = S_EMPTY_SHA256,
        .fd = -1,
    };
    s_transfer_t transfer;
    int rc = s_send (self, &request, &transfer, "NoSuchKey", error);
    s_done (&request, &transfer);
    return rc;
}

int
s3_get (s3_t *self, const char *bucket, const char *key, s3_data_fn *on_data,
        void *arg, char *error)
{
    assert (self);
    assert (bucket && key);
    assert (on_data);
    assert (error);
    self->retries = 0;
    s_request_t request = {
        .method = "GET",
        .what = zsys_sprintf ("GET s3://%s/%s", bucket, key),
        .url = s_url (self, bucket, key, NULL),
        .payload_hash = S_EMPTY_SHA256,
        .fd = -1,
        .on_data = on_data,
        .on_data_arg = arg,
    };
    s_transfer_t transfer;
    int rc = s_send (self, &request, &transfer, NULL, error);
    s_done (&request, &transfer);
    return rc;
}

char *
s3_presign_get (s3_t *self, const char *bucket, const char *key, int64_t now,
                int64_t *expires_at_p)
{
    assert (self);
    assert (bucket && key);
    char *host, *path;
    if (s_locate (self, bucket, key, &host, &path) == -1)
        return NULL;
    sigv4_signer_t signer = {
        .access_key_id = self->access_key_id,
        .secret_access_key = self->secret_access_key,
        .session_token = self->session_token,
        .region = self->region,
        .service = "s3",
    };
    char *signed_url = sigv4_presign_get (&signer, self->scheme, host, path,
                                          now, self->presign_expires_s);
    zstr_free (&host);
    zstr_free (&path);
    if (signed_url && expires_at_p)
        *expires_at_p = now + self->presign_expires_s;
    return signed_url;
}

//  ---------------------------------------------------------------------
//  Multipart uploads driven by the caller

//  Start one operation on bucket/key: a fresh retry budget, the log
//  context, and upload filled for the helpers above. Returns -1 and fills
//  error when out of memory.
static int
s_operation (s3_t *self, s_upload_t *upload, const char *bucket,
             const char *key, const char *log_context, char *error)
{
    self->retries = 0;
    self->log_context = log_context;
    *upload = (s_upload_t){.bucket = bucket, .key = key, .fd = -1};
    upload->target = zsys_sprintf ("s3://%s/%s", bucket, key);
    if (!upload->target) {
        snprintf (error, S3_ERROR_MAX, "out of memory");
        return -1;
    }
    return 0;
}

static void
s_operation_end (s3_t *self, s_upload_t *upload)
{
    zstr_free (&upload->target);
    self->log_context = NULL;
}

char *
s3_multipart_start (s3_t *self, const char *bucket, const char *key,
                    const s3_put_options_t *options, char *error)
{
    assert (self);
    assert (bucket && key && error);
    s_upload_t upload;
    if (s_operation (self, &upload, bucket, key,
                     options ? options->log_context : NULL, error) == -1)
        return NULL;
    upload.content_type = options && options->content_type
                              ? options->content_type
                              : "application/octet-stream";
    upload.disposition = options ? options->content_disposition : NULL;
    //  Marked with its owner, as a whole put is; the key, under the
    //  owner's id, is what keeps other jobs from it.
    upload.owner = options ? options->owner : NULL;
    char *upload_id = s_initiate (self, &upload, error);
    s_operation_end (self, &upload);
    return upload_id;
}

int
s3_multipart_put (s3_t *self, const char *bucket, const char *key,
                  const char *upload_id, const s3_part_t *part, char *etag,
                  const char *log_context, char *error)
{
    assert (self);
    assert (bucket && key && upload_id && part && part->path && etag && error);
    uint32_t part_nbr = part->part_nbr;
    if (part_nbr < 1 || part_nbr > S3_PARTS_MAX) {
        snprintf (error, S3_ERROR_MAX,
                  "part %u of s3://%s/%s: S3 numbers parts 1 to %d", part_nbr,
                  bucket, key, S3_PARTS_MAX);
        return -1;
    }
    s_upload_t upload;
    if (s_operation (self, &upload, bucket, key, log_context, error) == -1)
        return -1;
    upload.fd = part->fd;
    upload.path = part->path;
    char *encoded_id = sigv4_uri_encode (upload_id, false);
    char *what = zsys_sprintf ("PUT %s (part %u)", upload.target, part_nbr);
    int rc = -1;
    if (!encoded_id || !what)
        snprintf (error, S3_ERROR_MAX, "out of memory");
    else
        rc = s_put_part (self, &upload, encoded_id, part_nbr, part->offset,
                         part->length, part->whole, what, etag, error);
    zstr_free (&what);
    free (encoded_id);
    s_operation_end (self, &upload);
    return rc;
}

int
s3_multipart_complete (s3_t *self, const char *bucket, const char *key,
                       const char *upload_id, char **etags, uint32_t parts,
                       const char *log_context, char *error)
{
    assert (self);
    assert (bucket && key && upload_id && error);
    assert (etags || parts == 0);
    s_upload_t upload;
    if (s_operation (self, &upload, bucket, key, log_context, error) == -1)
        return -1;
    char *encoded_id = sigv4_uri_encode (upload_id, false);
    int rc = -1;
    if (!encoded_id)
        snprintf (error, S3_ERROR_MAX, "out of memory");
    else
        rc = s_complete (self, &upload, encoded_id, etags, parts, NULL,
                         error);
    free (encoded_id);
    s_operation_end (self, &upload);
    return rc;
}

int
s3_multipart_abort (s3_t *self, const char *bucket, const char *key,
                    const char *upload_id, const char *log_context, char *error)
{
    assert (self);
    assert (bucket && key && upload_id && error);
    s_upload_t upload;
    if (s_operation (self, &upload, bucket, key, log_context, error) == -1)
        return -1;
    int rc = s_abort (self, &upload, upload_id, error);
    s_operation_end (self, &upload);
    return rc;
}

uint32_t
s3_retries (s3_t *self)
{
    assert (self);
    return self->retries;
}
