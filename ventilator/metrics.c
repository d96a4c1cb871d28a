/*  metrics - the ventilator's figures in the Prometheus text format.

    One mutex guards everything: updates are a few additions, rendering is
    a few kilobytes of text, and both are far rarer than the mutex is
    cheap. HTTP requests are counted in a fixed table of (route, status)
    pairs; routes are templates from a closed set, so the table is small
    and a client cannot grow it by inventing URLs.

    SPDX-License-Identifier: MPL-2.0
*/
#include "metrics.h"

#include <czmq.h>
#include <inttypes.h>
#include <pthread.h>

#include "bytebuf.h"

#define S_BUCKETS_MAX 14
//  (route, status) pairs counted; more than the API can answer.
#define S_HTTP_PAIRS_MAX 128
#define S_ROUTE_MAX 32

typedef struct {
    const char *name; // after "pdfpipe_"
    const char *help;
} s_family_t;

static const s_family_t s_counters[METRICS_COUNTER_COUNT] = {
    [METRICS_JOBS_SUBMITTED] = {"jobs_submitted_total",
                                "Jobs accepted (202) since the ventilator "
                                "started."},
    [METRICS_JOBS_DONE] = {"jobs_done_total", "Jobs whose result was stored."},
    [METRICS_JOBS_FAILED] = {"jobs_failed_total", "Jobs that failed."},
    [METRICS_JOBS_CANCELLED] = {"jobs_cancelled_total",
                                "Jobs cancelled while running."},
    [METRICS_PAGES_RENDERED] = {"pages_rendered_total",
                                "Pages in chunks the sink stored."},
    [METRICS_CHUNKS_RENDERED] = {"chunks_rendered_total",
                                 "Chunks the sink stored."},
    [METRICS_STORED_BYTES] = {"stored_bytes_total",
                              "Bytes of finished PDFs stored."},
    [METRICS_DUPLICATES_DROPPED] =
        {"duplicates_dropped_total",
         "Results for chunks already stored, dropped by the sink (a retried "
         "chunk whose first attempt also arrived, or a replay after a "
         "restart)."},
};

typedef struct {
    const char *name;
    const char *help;
    double bounds[S_BUCKETS_MAX];
    size_t bound_count;
} s_histogram_def_t;

static const s_histogram_def_t s_histograms[METRICS_HISTOGRAM_COUNT] = {
    [METRICS_CHUNK_SECONDS] = {"chunk_duration_seconds",
                               "Time from a chunk's dispatch to the sink "
                               "storing it.",
                               {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                                300},
                               11},
    [METRICS_JOB_SECONDS] = {"job_duration_seconds",
                             "Time from a job's submission to its result "
                             "being stored.",
                             {0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
                              3600, 14400},
                             13},
    [METRICS_MERGE_SECONDS] = {"merge_duration_seconds",
                               "Time from the last chunk's arrival (merging) "
                               "to the start of storing.",
                               {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
                                60, 300},
                               12},
    [METRICS_UPLOAD_SECONDS] = {"upload_duration_seconds",
                                "Time spent storing a finished PDF.",
                                {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
                                 60, 300},
                                12},
};

typedef struct {
    uint64_t buckets[S_BUCKETS_MAX]; // per bucket, not cumulative
    uint64_t count;
    double sum;
} s_histogram_t;

typedef struct {
    char route[S_ROUTE_MAX];
    unsigned int status;
    uint64_t count;
} s_http_pair_t;

struct _metrics_t {
    pthread_mutex_t mutex;
    uint64_t counters[METRICS_COUNTER_COUNT];
    s_histogram_t histograms[METRICS_HISTOGRAM_COUNT];
    metrics_scheduler_t scheduler;
    s_http_pair_t http[S_HTTP_PAIRS_MAX];
    size_t http_count;
};

metrics_t *
metrics_new (void)
{
    metrics_t *self = (metrics_t *)zmalloc (sizeof (metrics_t));
    if (!self)
        return NULL;
    pthread_mutex_init (&self->mutex, NULL);
    return self;
}

void
metrics_destroy (metrics_t **self_p)
{
    assert (self_p);
    metrics_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy (&self->mutex);
    free (self);
    *self_p = NULL;
}

void
metrics_count (metrics_t *self, metrics_counter_t counter, uint64_t by)
{
    if (!self)
        return;
    assert (counter < METRICS_COUNTER_COUNT);
    pthread_mutex_lock (&self->mutex);
    self->counters[counter] += by;
    pthread_mutex_unlock (&self->mutex);
}

void
metrics_observe (metrics_t *self, metrics_histogram_t histogram, double seconds)
{
    if (!self || !(seconds >= 0))
        return;
    assert (histogram < METRICS_HISTOGRAM_COUNT);
    const s_histogram_def_t *def = &s_histograms[histogram];
    size_t bucket = 0;
    while (bucket < def->bound_count && seconds > def->bounds[bucket])
        bucket++;
    pthread_mutex_lock (&self->mutex);
    s_histogram_t *figures = &self->histograms[histogram];
    if (bucket < def->bound_count)
        figures->buckets[bucket]++;
    figures->count++;
    figures->sum += seconds;
    pthread_mutex_unlock (&self->mutex);
}

void
metrics_observe_since (metrics_t *self, metrics_histogram_t histogram,
                       int64_t since)
{
    if (self)
        metrics_observe (self, histogram,
                         (double)(zclock_mono () - since) / 1000);
}

void
metrics_set_scheduler (metrics_t *self, const metrics_scheduler_t *figures)
{
    if (!self)
        return;
    assert (figures);
    pthread_mutex_lock (&self->mutex);
    self->scheduler = *figures;
    pthread_mutex_unlock (&self->mutex);
}

void
metrics_http (metrics_t *self, const char *route, unsigned int status)
{
    if (!self)
        return;
    assert (route && strlen (route) < S_ROUTE_MAX);
    pthread_mutex_lock (&self->mutex);
    size_t index = 0;
    while (index < self->http_count &&
           !(self->http[index].status == status &&
             streq (self->http[index].route, route)))
        index++;
    if (index == self->http_count && index < S_HTTP_PAIRS_MAX) {
        snprintf (self->http[index].route, S_ROUTE_MAX, "%s", route);
        self->http[index].status = status;
        self->http_count++;
    }
    if (index < self->http_count)
        self->http[index].count++;
    pthread_mutex_unlock (&self->mutex);
}

//  printf into out; running out of memory is seen at the end (bytebuf's
//  failure is sticky).
static void
s_printf (bytebuf_t *out, const char *format, ...)
{
    char line[512];
    va_list args;
    va_start (args, format);
    int length = vsnprintf (line, sizeof (line), format, args);
    va_end (args);
    assert (length >= 0 && (size_t)length < sizeof (line));
    bytebuf_append (out, line, (size_t)length);
}

static void
s_header (bytebuf_t *out, const char *name, const char *type, const char *help)
{
    s_printf (out, "# HELP pdfpipe_%s %s\n# TYPE pdfpipe_%s %s\n", name, help,
              name, type);
}

static void
s_gauge (bytebuf_t *out, const char *name, const char *help, uint64_t value)
{
    s_header (out, name, "gauge", help);
    s_printf (out, "pdfpipe_%s %" PRIu64 "\n", name, value);
}

//  Prometheus formats a bucket bound with Go's shortest representation;
//  %g gives the same text for the bounds used here.
static void
s_histogram (bytebuf_t *out, const s_histogram_def_t *def,
             const s_histogram_t *figures)
{
    s_header (out, def->name, "histogram", def->help);
    uint64_t cumulative = 0;
    for (size_t bucket = 0; bucket < def->bound_count; bucket++) {
        cumulative += figures->buckets[bucket];
        s_printf (out, "pdfpipe_%s_bucket{le=\"%g\"} %" PRIu64 "\n", def->name,
                  def->bounds[bucket], cumulative);
    }
    s_printf (out,
              "pdfpipe_%s_bucket{le=\"+Inf\"} %" PRIu64 "\n"
              "pdfpipe_%s_sum %.6f\npdfpipe_%s_count %" PRIu64 "\n",
              def->name, figures->count, def->name, figures->sum, def->name,
              figures->count);
}

char *
metrics_render (metrics_t *self, const uint64_t *jobs_by_state)
{
    assert (self);
    //  A copy, so the text is written without the lock.
    pthread_mutex_lock (&self->mutex);
    metrics_t copy;
    memcpy (&copy.counters, self->counters, sizeof (copy.counters));
    memcpy (&copy.histograms, self->histograms, sizeof (copy.histograms));
    copy.scheduler = self->scheduler;
    copy.http_count = self->http_count;
    memcpy (&copy.http, self->http, sizeof (copy.http[0]) * self->http_count);
    pthread_mutex_unlock (&self->mutex);

    bytebuf_t out = {0};
    if (jobs_by_state) {
        s_header (&out, "jobs", "gauge", "Jobs the job store holds, by state.");
        for (int state = 0; state < JOBSTATE_COUNT; state++)
            s_printf (&out, "pdfpipe_jobs{state=\"%s\"} %" PRIu64 "\n",
                      jobstate_name ((jobstate_t)state), jobs_by_state[state]);
    }
    for (int counter = 0; counter < METRICS_COUNTER_COUNT; counter++) {
        s_header (&out, s_counters[counter].name, "counter",
                  s_counters[counter].help);
        s_printf (&out, "pdfpipe_%s %" PRIu64 "\n", s_counters[counter].name,
                  copy.counters[counter]);
    }
    s_header (&out, "chunk_retries_total", "counter",
              "Chunks dispatched again after a failure, a deadline or a "
              "dead worker.");
    s_printf (&out, "pdfpipe_chunk_retries_total %" PRIu64 "\n",
              copy.scheduler.retries);
    s_header (&out, "dead_workers_total", "counter",
              "Workers dropped as silent or unreachable.");
    s_printf (&out, "pdfpipe_dead_workers_total %" PRIu64 "\n",
              copy.scheduler.dead_workers);
    s_gauge (&out, "workers_connected", "Workers connected.",
             copy.scheduler.workers_connected);
    s_gauge (&out, "workers_busy", "Workers holding at least one chunk.",
             copy.scheduler.workers_busy);
    s_gauge (&out, "workers_desired",
             "Workers the backlog calls for, between --workers-min and "
             "--workers-max.",
             copy.scheduler.workers_desired);
    s_gauge (&out, "backlog_pages",
             "Pages queued or rendering, over every job.",
             copy.scheduler.backlog_pages);
    s_gauge (&out, "backlog_chunks",
             "Chunks queued or rendering, over every job.",
             copy.scheduler.backlog_chunks);
    for (int histogram = 0; histogram < METRICS_HISTOGRAM_COUNT; histogram++)
        s_histogram (&out, &s_histograms[histogram],
                     &copy.histograms[histogram]);
    s_header (&out, "http_requests_total", "counter",
              "HTTP requests answered, by route and status code.");
    for (size_t index = 0; index < copy.http_count; index++)
        s_printf (&out,
                  "pdfpipe_http_requests_total{route=\"%s\",code=\"%u\"} "
                  "%" PRIu64 "\n",
                  copy.http[index].route, copy.http[index].status,
                  copy.http[index].count);
    return bytebuf_detach (&out);
}
