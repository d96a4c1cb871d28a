/*  webhook - delivering the event of a job's end to the job's webhook.

    A delivery goes through: resolving (getaddrinfo_a, polled), sending
    (an easy handle in the multi handle, polled), then settled in the
    store. A resolution that outlives its attempt cannot be freed until
    glibc lets go of it: it moves to the orphans and is freed once done.

    SPDX-License-Identifier: MPL-2.0
*/
#define _GNU_SOURCE
#include "webhook.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <czmq.h>
#include <inttypes.h>
#include <netdb.h>

#include "log.h"
#include "timestamp.h"

#define S_EVENT_ID_MAX (PROTO_JOB_ID_MAX + 8)
//  Room for "host:port:" and the addresses pinned, each in brackets.
#define S_RESOLVE_MAX (HOOKTARGET_HOST_MAX + 16 + 8 * (INET6_ADDRSTRLEN + 3))
#define S_ADDRESSES_MAX 8

typedef struct {
    webhook_t *owner;
    char job_id[PROTO_JOB_ID_MAX + 1];
    char event_id[S_EVENT_ID_MAX];
    jobstore_webhook_t stored; // url, body, attempts, ended_at
    hooktarget_url_t target;
    int64_t started_at; // ms, zclock_time ()
    //  Resolving: the request glibc works on, and what it reads.
    struct gaicb *lookup;
    char port_text[8];
    //  Sending.
    CURL *easy;
    struct curl_slist *headers;
    struct curl_slist *resolve;
    size_t answer_bytes;
    char curl_error[CURL_ERROR_SIZE];
} s_delivery_t;

struct _webhook_t {
    jobstore_t *jobstore;        // borrowed
    const hooktarget_t *targets; // borrowed
    const hooksig_t *signer;     // borrowed; NULL: no secret
    webhook_config_t config;
    CURLM *multi;
    zlistx_t *deliveries; // s_delivery_t *, in flight
    zlistx_t *orphans;    // struct gaicb *, given up while resolving
    int64_t next_poll;    // ms, zclock_time (): when to ask the store
    bool said_no_secret;
};

static void
s_lookup_free (struct gaicb *lookup)
{
    if (!lookup)
        return;
    if (lookup->ar_result)
        freeaddrinfo (lookup->ar_result);
    free ((void *)lookup->ar_request);
    free (lookup);
}

static void
s_delivery_destroy (s_delivery_t **self_p)
{
    s_delivery_t *self = *self_p;
    if (!self)
        return;
    if (self->lookup) {
        //  glibc may still write to it: it is freed once it is done.
        if (gai_cancel (self->lookup) == EAI_CANCELED ||
            gai_error (self->lookup) != EAI_INPROGRESS)
            s_lookup_free (self->lookup);
        else
            zlistx_add_end (self->owner->orphans, self->lookup);
    }
    if (self->easy) {
        curl_multi_remove_handle (self->owner->multi, self->easy);
        curl_easy_cleanup (self->easy);
    }
    curl_slist_free_all (self->headers);
    curl_slist_free_all (self->resolve);
    jobstore_webhook_clear (&self->stored);
    free (self);
    *self_p = NULL;
}

webhook_t *
webhook_new (jobstore_t *jobstore, const hooktarget_t *targets,
             const hooksig_t *signer, const webhook_config_t *config)
{
    assert (jobstore);
    assert (targets);
    assert (config);
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error ("webhook: cannot initialise libcurl");
        return NULL;
    }
    webhook_t *self = (webhook_t *)zmalloc (sizeof (webhook_t));
    self->jobstore = jobstore;
    self->targets = targets;
    self->signer = signer;
    self->config = *config;
    if (!self->config.retry_first_ms)
        self->config.retry_first_ms = WEBHOOK_RETRY_FIRST_MS;
    if (!self->config.retry_max_ms)
        self->config.retry_max_ms = WEBHOOK_RETRY_MAX_MS;
    if (!self->config.give_up_ms)
        self->config.give_up_ms = WEBHOOK_GIVE_UP_MS;
    if (!self->config.timeout_ms)
        self->config.timeout_ms = WEBHOOK_TIMEOUT_MS;
    self->multi = curl_multi_init ();
    assert (self->multi);
    self->deliveries = zlistx_new ();
    self->orphans = zlistx_new ();
    webhook_recover (self);
    return self;
}

void
webhook_destroy (webhook_t **self_p)
{
    assert (self_p);
    webhook_t *self = *self_p;
    if (!self)
        return;
    s_delivery_t *delivery = (s_delivery_t *)zlistx_first (self->deliveries);
    while (delivery) {
        s_delivery_destroy (&delivery);
        delivery = (s_delivery_t *)zlistx_next (self->deliveries);
    }
    zlistx_destroy (&self->deliveries);
    //  Resolutions still running at exit are left to the process's end.
    struct gaicb *lookup = (struct gaicb *)zlistx_first (self->orphans);
    while (lookup) {
        if (gai_error (lookup) != EAI_INPROGRESS)
            s_lookup_free (lookup);
        lookup = (struct gaicb *)zlistx_next (self->orphans);
    }
    zlistx_destroy (&self->orphans);
    curl_multi_cleanup (self->multi);
    curl_global_cleanup ();
    free (self);
    *self_p = NULL;
}

void
webhook_job_ended (webhook_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    if (jobstore_webhook_due (self->jobstore, job_id, zclock_time ()) == 0)
        self->next_poll = 0;
}

void
webhook_recover (webhook_t *self)
{
    assert (self);
    if (jobstore_webhooks_recover (self->jobstore, zclock_time ()) == 0)
        self->next_poll = 0;
}

bool
webhook_busy (const webhook_t *self)
{
    assert (self);
    return zlistx_size (self->deliveries) > 0;
}

//  The event for job_id: {"type": "job.<state>", "timestamp": <when it
//  ended>, "data": <the job's status document, as GET /v1/jobs/{id}>}.
//  NULL when the job cannot be read. Caller frees.
static char *
s_event (webhook_t *self, const char *job_id, int64_t now)
{
    char *status_text = jobstore_status_json (self->jobstore, job_id);
    cJSON *status = status_text ? cJSON_Parse (status_text) : NULL;
    free (status_text);
    const char *state = cJSON_GetStringValue (
        cJSON_GetObjectItemCaseSensitive (status, "state"));
    if (!state) {
        cJSON_Delete (status);
        return NULL;
    }
    char type[64];
    snprintf (type, sizeof type, "job.%s", state);
    char timestamp[TIMESTAMP_SIZE];
    timestamp_format_ms (now, timestamp, sizeof timestamp);
    cJSON *event = cJSON_CreateObject ();
    cJSON_AddStringToObject (event, "type", type);
    cJSON_AddStringToObject (event, "timestamp", timestamp);
    cJSON_AddItemToObject (event, "data", status);
    char *text = cJSON_PrintUnformatted (event);
    cJSON_Delete (event);
    return text;
}

static int64_t
s_backoff_ms (const webhook_t *self, uint32_t attempts)
{
    int64_t delay = self->config.retry_first_ms;
    for (uint32_t attempt = 1; attempt < attempts; attempt++) {
        delay *= 2;
        if (delay >= self->config.retry_max_ms)
            break;
    }
    return delay < self->config.retry_max_ms ? delay
                                             : self->config.retry_max_ms;
}

//  The attempt has ended: record it and forget the delivery.
static void
s_settle (webhook_t *self, s_delivery_t *delivery, bool delivered,
          const char *error)
{
    int64_t now = zclock_time ();
    const char *job_id = delivery->job_id;
    if (delivered) {
        log_info ("job=%s webhook delivered to %s (attempt %" PRIu32 ")",
                  job_id, delivery->target.host, delivery->stored.attempts);
        jobstore_webhook_finish (self->jobstore, job_id, true, now, NULL);
    } else {
        int64_t next_at = now + s_backoff_ms (self, delivery->stored.attempts);
        if (next_at > delivery->stored.ended_at + self->config.give_up_ms) {
            log_error ("job=%s webhook to %s given up after %" PRIu32
                       " attempts: %s",
                       job_id, delivery->target.host, delivery->stored.attempts,
                       error);
            jobstore_webhook_finish (self->jobstore, job_id, false, now, error);
        } else {
            log_warning ("job=%s webhook to %s failed (attempt %" PRIu32
                         "): %s; trying again in %" PRId64 " ms",
                         job_id, delivery->target.host,
                         delivery->stored.attempts, error, next_at - now);
            jobstore_webhook_retry (self->jobstore, job_id, next_at, error);
        }
    }
    void *handle = zlistx_find (self->deliveries, delivery);
    assert (handle);
    zlistx_delete (self->deliveries, handle);
    s_delivery_destroy (&delivery);
}

static size_t
s_on_answer (char *data, size_t size, size_t count, void *arg)
{
    (void)data;
    s_delivery_t *delivery = (s_delivery_t *)arg;
    size_t bytes = size * count;
    delivery->answer_bytes += bytes;
    //  Returning less than given makes curl stop with a write error.
    return delivery->answer_bytes > WEBHOOK_RESPONSE_MAX ? 0 : bytes;
}

static struct curl_slist *
s_header (struct curl_slist *list, const char *name, const char *value)
{
    char line[512];
    snprintf (line, sizeof line, "%s: %s", name, value);
    struct curl_slist *more = curl_slist_append (list, line);
    assert (more);
    return more;
}

//  Hand the delivery, its addresses checked, to curl: pinned to them when
//  found by resolving a name, as they are when the host is a literal
//  address. Returns 0, or -1 with error.
static int
s_send (webhook_t *self, s_delivery_t *delivery, const struct addrinfo *found,
        bool literal, char *error, size_t error_size)
{
    char resolve[S_RESOLVE_MAX];
    int used =
        snprintf (resolve, sizeof resolve, "%s:%u:", delivery->target.host,
                  delivery->target.port);
    int pinned = 0;
    for (const struct addrinfo *at = found; at && pinned < S_ADDRESSES_MAX;
         at = at->ai_next) {
        if (at->ai_family != AF_INET && at->ai_family != AF_INET6)
            continue;
        char text[INET6_ADDRSTRLEN];
        const void *address =
            at->ai_family == AF_INET
                ? (const void *)&((struct sockaddr_in *)at->ai_addr)->sin_addr
                : (const void *)&((struct sockaddr_in6 *)at->ai_addr)
                      ->sin6_addr;
        inet_ntop (at->ai_family, address, text, sizeof text);
        if (!hooktarget_allows_address (self->targets, &delivery->target,
                                        at->ai_addr)) {
            snprintf (error, error_size,
                      "%s resolves to %s, which PDFPIPE_WEBHOOK_ALLOW does "
                      "not allow",
                      delivery->target.host, text);
            return -1;
        }
        used += snprintf (resolve + used, sizeof resolve - (size_t)used,
                          at->ai_family == AF_INET6 ? "%s[%s]" : "%s%s",
                          pinned ? "," : "", text);
        pinned++;
    }
    if (pinned == 0) {
        snprintf (error, error_size, "%s has no address",
                  delivery->target.host);
        return -1;
    }
    int64_t now_s = zclock_time () / 1000;
    char timestamp[32];
    snprintf (timestamp, sizeof timestamp, "%" PRId64, now_s);
    char *signature =
        hooksig_sign (self->signer, delivery->event_id, now_s,
                      delivery->stored.body, strlen (delivery->stored.body));
    if (!signature) {
        snprintf (error, error_size, "cannot sign the event");
        return -1;
    }
    delivery->headers =
        s_header (delivery->headers, "Content-Type", "application/json");
    delivery->headers =
        s_header (delivery->headers, "webhook-id", delivery->event_id);
    delivery->headers =
        s_header (delivery->headers, "webhook-timestamp", timestamp);
    delivery->headers =
        s_header (delivery->headers, "webhook-signature", signature);
    //  No "Expect: 100-continue" round trip for a small body.
    delivery->headers = curl_slist_append (delivery->headers, "Expect:");
    free (signature);
    delivery->resolve = curl_slist_append (NULL, resolve);
    assert (delivery->headers && delivery->resolve);

    CURL *easy = curl_easy_init ();
    assert (easy);
    delivery->easy = easy;
    curl_easy_setopt (easy, CURLOPT_URL, delivery->stored.url);
    //  A literal address is not resolved, and curl cannot parse an IPv6
    //  one as a host to pin.
    if (!literal)
        curl_easy_setopt (easy, CURLOPT_RESOLVE, delivery->resolve);
    curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR,
                      delivery->target.https ? "https" : "http");
    curl_easy_setopt (easy, CURLOPT_FOLLOWLOCATION, 0L);
    //  A proxy from the environment would make the pinning moot.
    curl_easy_setopt (easy, CURLOPT_PROXY, "");
    curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long)self->config.timeout_ms);
    curl_easy_setopt (easy, CURLOPT_USERAGENT, "pdfpipe-webhook/1");
    curl_easy_setopt (easy, CURLOPT_HTTPHEADER, delivery->headers);
    curl_easy_setopt (easy, CURLOPT_POSTFIELDS, delivery->stored.body);
    curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE,
                      (long)strlen (delivery->stored.body));
    curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_on_answer);
    curl_easy_setopt (easy, CURLOPT_WRITEDATA, delivery);
    curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, delivery->curl_error);
    curl_easy_setopt (easy, CURLOPT_PRIVATE, delivery);
    if (curl_multi_add_handle (self->multi, easy) != CURLM_OK) {
        snprintf (error, error_size, "curl refused the transfer");
        return -1;
    }
    return 0;
}

//  Start resolving the delivery's host: a literal address at once, a name
//  with getaddrinfo_a. Returns 0, or -1 with error.
static int
s_resolve (webhook_t *self, s_delivery_t *delivery, char *error,
           size_t error_size)
{
    snprintf (delivery->port_text, sizeof delivery->port_text, "%u",
              delivery->target.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *found = NULL;
    if (getaddrinfo (delivery->target.host, delivery->port_text, &hints,
                     &found) == 0) {
        int rc = s_send (self, delivery, found, true, error, error_size);
        freeaddrinfo (found);
        return rc;
    }
    struct gaicb *lookup = (struct gaicb *)calloc (1, sizeof (struct gaicb));
    struct addrinfo *lookup_hints =
        (struct addrinfo *)calloc (1, sizeof (struct addrinfo));
    assert (lookup && lookup_hints);
    lookup_hints->ai_socktype = SOCK_STREAM;
    lookup_hints->ai_flags = AI_NUMERICSERV;
    lookup->ar_name = delivery->target.host;
    lookup->ar_service = delivery->port_text;
    lookup->ar_request = lookup_hints;
    struct gaicb *lookups[1] = {lookup};
    int rc = getaddrinfo_a (GAI_NOWAIT, lookups, 1, NULL);
    if (rc != 0) {
        s_lookup_free (lookup);
        snprintf (error, error_size, "cannot resolve %s: %s",
                  delivery->target.host, gai_strerror (rc));
        return -1;
    }
    delivery->lookup = lookup;
    return 0;
}

static void
s_begin (webhook_t *self, const char *job_id, int64_t now)
{
    s_delivery_t *delivery = (s_delivery_t *)zmalloc (sizeof (s_delivery_t));
    delivery->owner = self;
    snprintf (delivery->job_id, sizeof delivery->job_id, "%s", job_id);
    snprintf (delivery->event_id, sizeof delivery->event_id, "msg_%s", job_id);
    delivery->started_at = now;
    char *event = s_event (self, job_id, now);
    //  Held off past any attempt's end: if we die, it is tried again then.
    int64_t busy_until = now + 2 * self->config.timeout_ms;
    int rc = event ? jobstore_webhook_begin (self->jobstore, job_id, event,
                                             busy_until, &delivery->stored)
                   : -1;
    free (event);
    if (rc) {
        log_error ("job=%s webhook: cannot read the job or its delivery",
                   job_id);
        //  Not settled: try again after a while, not at every tick.
        jobstore_webhook_retry (self->jobstore, job_id,
                                now + self->config.retry_max_ms,
                                "cannot read the job");
        free (delivery);
        return;
    }
    zlistx_add_end (self->deliveries, delivery);
    char error[HOOKTARGET_ERROR_MAX];
    if (hooktarget_check_url (self->targets, delivery->stored.url,
                              &delivery->target, error)) {
        //  The allowlist changed since the job was accepted.
        log_error ("job=%s webhook %s refused: %s", job_id,
                   delivery->stored.url, error);
        jobstore_webhook_finish (self->jobstore, job_id, false, now, error);
        zlistx_delete (self->deliveries,
                       zlistx_find (self->deliveries, delivery));
        s_delivery_destroy (&delivery);
        return;
    }
    if (s_resolve (self, delivery, error, sizeof error))
        s_settle (self, delivery, false, error);
}

//  A resolution that has finished goes on to curl; one past its time ends
//  the attempt.
static void
s_poll_lookup (webhook_t *self, s_delivery_t *delivery, int64_t now)
{
    char error[HOOKTARGET_ERROR_MAX] = "";
    int rc = gai_error (delivery->lookup);
    if (rc == EAI_INPROGRESS) {
        if (now - delivery->started_at > self->config.timeout_ms) {
            snprintf (error, sizeof error, "resolving %s timed out",
                      delivery->target.host);
            s_settle (self, delivery, false, error);
        }
        return;
    }
    struct gaicb *lookup = delivery->lookup;
    delivery->lookup = NULL;
    if (rc != 0) {
        snprintf (error, sizeof error, "cannot resolve %s: %s",
                  delivery->target.host, gai_strerror (rc));
        rc = -1;
    } else
        rc = s_send (self, delivery, lookup->ar_result, false, error,
                     sizeof error);
    s_lookup_free (lookup);
    if (rc)
        s_settle (self, delivery, false, error);
}

static void
s_poll_lookups (webhook_t *self, int64_t now)
{
    //  s_settle takes deliveries off the list: walk a copy.
    s_delivery_t *resolving[WEBHOOK_PARALLEL_MAX];
    size_t count = 0;
    for (s_delivery_t *delivery =
             (s_delivery_t *)zlistx_first (self->deliveries);
         delivery; delivery = (s_delivery_t *)zlistx_next (self->deliveries))
        if (delivery->lookup && count < WEBHOOK_PARALLEL_MAX)
            resolving[count++] = delivery;
    for (size_t index = 0; index < count; index++)
        s_poll_lookup (self, resolving[index], now);

    bool freed = true;
    while (freed) {
        freed = false;
        for (struct gaicb *lookup =
                 (struct gaicb *)zlistx_first (self->orphans);
             lookup; lookup = (struct gaicb *)zlistx_next (self->orphans))
            if (gai_error (lookup) != EAI_INPROGRESS) {
                zlistx_delete (self->orphans, zlistx_cursor (self->orphans));
                s_lookup_free (lookup);
                freed = true;
                break;
            }
    }
}

static void
s_poll_transfers (webhook_t *self)
{
    int running = 0;
    curl_multi_perform (self->multi, &running);
    int left = 0;
    CURLMsg *message;
    while ((message = curl_multi_info_read (self->multi, &left))) {
        if (message->msg != CURLMSG_DONE)
            continue;
        s_delivery_t *delivery = NULL;
        curl_easy_getinfo (message->easy_handle, CURLINFO_PRIVATE,
                           (char **)&delivery);
        assert (delivery);
        long status = 0;
        curl_easy_getinfo (message->easy_handle, CURLINFO_RESPONSE_CODE,
                           &status);
        char error[HOOKTARGET_ERROR_MAX];
        CURLcode result = message->data.result;
        if (result == CURLE_WRITE_ERROR &&
            delivery->answer_bytes > WEBHOOK_RESPONSE_MAX)
            snprintf (error, sizeof error, "the answer is longer than %d bytes",
                      WEBHOOK_RESPONSE_MAX);
        else if (result != CURLE_OK)
            snprintf (error, sizeof error, "%s",
                      delivery->curl_error[0] ? delivery->curl_error
                                              : curl_easy_strerror (result));
        else
            snprintf (error, sizeof error, "answered %ld", status);
        bool delivered = result == CURLE_OK && status >= 200 && status <= 299;
        s_settle (self, delivery, delivered, error);
    }
}

void
webhook_tick (webhook_t *self)
{
    assert (self);
    int64_t now = zclock_time ();
    s_poll_lookups (self, now);
    s_poll_transfers (self);
    if (now < self->next_poll)
        return;
    self->next_poll = now + WEBHOOK_POLL_MS;
    size_t room = WEBHOOK_PARALLEL_MAX - zlistx_size (self->deliveries);
    if (room == 0)
        return;
    zlist_t *due = jobstore_webhooks_due (self->jobstore, now, (uint32_t)room);
    if (!due)
        return;
    if (!self->signer && zlist_size (due) > 0) {
        if (!self->said_no_secret)
            log_error ("webhooks are due but not sent: "
                       "PDFPIPE_WEBHOOK_SECRET is not set");
        self->said_no_secret = true;
        zlist_destroy (&due);
        return;
    }
    for (char *job_id = (char *)zlist_first (due); job_id;
         job_id = (char *)zlist_next (due))
        s_begin (self, job_id, now);
    zlist_destroy (&due);
    //  Started transfers get going at once rather than at the next tick.
    s_poll_transfers (self);
}
