/*  metrics - the ventilator's figures, as GET /metrics answers them in the
    Prometheus text format (docs/operations.md lists every one).

    Owns the counters, gauges and histograms of the whole pipeline. The
    sink's and the workers' figures reach it through the ventilator: a
    chunk stored is a STORED from the sink, a duplicate dropped is a
    STORED for a chunk already stored (the sink answers every duplicate
    RESULT with STORED again), merge and upload durations are the job's
    merging, storing and done transitions; no extra port per process.

    Thread-safe: the main loop records events and sets the scheduler's
    figures; the HTTP thread counts requests and renders the text. Every
    function takes a NULL self and then does nothing, so modules under
    unit test can run without one.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_METRICS_H
#define PDFPIPE_METRICS_H

#include <stdint.h>

#include "proto.h"

typedef struct _metrics_t metrics_t;

//  Counters, each a pdfpipe_<name>_total.
typedef enum {
    METRICS_JOBS_SUBMITTED = 0,
    METRICS_JOBS_DONE,
    METRICS_JOBS_FAILED,
    METRICS_JOBS_CANCELLED,
    METRICS_PAGES_RENDERED,
    METRICS_CHUNKS_RENDERED,
    METRICS_STORED_BYTES,
    METRICS_DUPLICATES_DROPPED,
    METRICS_COUNTER_COUNT
} metrics_counter_t;

//  Histograms, in seconds.
typedef enum {
    METRICS_CHUNK_SECONDS = 0, // dispatch to STORED
    METRICS_JOB_SECONDS,       // submitted to done
    METRICS_MERGE_SECONDS,     // merging to storing
    METRICS_UPLOAD_SECONDS,    // storing to done
    METRICS_HISTOGRAM_COUNT
} metrics_histogram_t;

//  What the scheduler knows, set from the main loop.
typedef struct {
    uint32_t workers_connected;
    uint32_t workers_busy; // holding at least one chunk
    uint32_t workers_desired;
    uint64_t backlog_pages; // queued and in flight, over every job
    uint64_t backlog_chunks;
    uint64_t retries;      // dispatches after the first, since start
    uint64_t dead_workers; // workers dropped as silent or unreachable
} metrics_scheduler_t;

metrics_t *
metrics_new (void);

void
metrics_destroy (metrics_t **self_p);

void
metrics_count (metrics_t *self, metrics_counter_t counter, uint64_t by);

//  Observe seconds (negative values are dropped) in histogram.
void
metrics_observe (metrics_t *self, metrics_histogram_t histogram,
                 double seconds);

//  Observe the time from since (zclock_mono () ms) to now.
void
metrics_observe_since (metrics_t *self, metrics_histogram_t histogram,
                       int64_t since);

void
metrics_set_scheduler (metrics_t *self, const metrics_scheduler_t *figures);

//  An HTTP request answered: route is one of a fixed set of route
//  templates ("/v1/jobs/{id}", never a real id), status its status code.
void
metrics_http (metrics_t *self, const char *route, unsigned int status);

//  The whole text (caller frees), with jobs_by_state[state] the number of
//  jobs the store holds in each state (NULL: the family is left out).
//  NULL when out of memory.
char *
metrics_render (metrics_t *self, const uint64_t *jobs_by_state);

#endif
