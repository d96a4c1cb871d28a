/*  reporter - what the sink tells the ventilator about its jobs, and when
    a job goes to the finisher.

    Every event is built, sent and destroyed here; the collector and the
    finisher decide, this module only speaks for them.

    SPDX-License-Identifier: MPL-2.0
*/
#include "reporter.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

struct _reporter_t {
    collector_t *collector; // borrowed
    finisher_t *finisher;   // borrowed
    zsock_t *events;        // borrowed: PUSH to the ventilator
};

reporter_t *
reporter_new (collector_t *collector, finisher_t *finisher, zsock_t *events)
{
    assert (collector);
    assert (finisher);
    assert (events);
    reporter_t *self = calloc (1, sizeof (reporter_t));
    if (!self)
        return NULL;
    self->collector = collector;
    self->finisher = finisher;
    self->events = events;
    return self;
}

void
reporter_destroy (reporter_t **self_p)
{
    assert (self_p);
    reporter_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

//  Send and destroy an event for the ventilator.
static void
s_send (reporter_t *self, wire_t **event_p)
{
    if (wire_send (*event_p, self->events) == -1)
        log_error ("job=%s %s to the ventilator not sent: %s",
                   wire_job_id (*event_p), wire_command (*event_p),
                   zmq_strerror (zmq_errno ()));
    wire_destroy (event_p);
}

static void
s_send_stored (reporter_t *self, const char *job_id, uint32_t chunk_nbr,
               uint32_t page_count)
{
    wire_t *event = wire_new (WIRE_STORED);
    wire_set_job_id (event, job_id);
    wire_set_chunk_nbr (event, chunk_nbr);
    wire_set_page_count (event, page_count);
    s_send (self, &event);
}

static void
s_send_failed (reporter_t *self, const char *job_id, const char *reason)
{
    wire_t *event = wire_new (WIRE_JOB_FAILED);
    wire_set_job_id (event, job_id);
    wire_set_reason (event, reason);
    s_send (self, &event);
}

//  The job's outcome again, from its tombstone. Returns -1 when it has
//  none to tell (no tombstone, or cancelled).
static int
s_send_outcome (reporter_t *self, const char *job_id)
{
    wire_t *outcome = collector_outcome (self->collector, job_id);
    if (!outcome)
        return -1;
    log_debug ("job=%s %s sent again", job_id, wire_command (outcome));
    s_send (self, &outcome);
    return 0;
}

void
reporter_replay (reporter_t *self)
{
    assert (self);
    zlist_t *job_ids = collector_jobs (self->collector);
    for (const char *job_id = zlist_first (job_ids); job_id;
         job_id = zlist_next (job_ids)) {
        const assembly_t *job = collector_assembly (self->collector, job_id);
        for (uint32_t chunk_nbr = 0; chunk_nbr < assembly_chunk_count (job);
             chunk_nbr++)
            if (assembly_has (job, chunk_nbr)) {
                s_send_stored (self, job_id, chunk_nbr,
                               assembly_page_count (job, chunk_nbr));
                finisher_spooled (self->finisher, job, chunk_nbr);
            }
        if (assembly_complete (job))
            finisher_submit (self->finisher, job_id);
    }
    zlist_destroy (&job_ids);
}

//  Send what a chunk's verdict calls for, and tell the finisher.
static void
s_report (reporter_t *self, const char *job_id, uint32_t chunk_nbr,
          uint32_t page_count, collector_verdict_t verdict, const char *reason)
{
    assert (verdict != COLLECTOR_PENDING && verdict != COLLECTOR_WAIT);
    if (verdict == COLLECTOR_DROPPED)
        return;
    if (verdict == COLLECTOR_FINISHED) {
        s_send_outcome (self, job_id);
        return;
    }
    if (verdict == COLLECTOR_FAILED) {
        finisher_cancel (self->finisher, job_id);
        s_send_failed (self, job_id, reason);
        return;
    }
    s_send_stored (self, job_id, chunk_nbr, page_count);
    if (verdict != COLLECTOR_DUPLICATE)
        finisher_spooled (self->finisher,
                          collector_assembly (self->collector, job_id),
                          chunk_nbr);
    if (verdict == COLLECTOR_COMPLETE)
        finisher_submit (self->finisher, job_id);
}

static void
s_on_committed (const char *job_id, uint32_t chunk_nbr, uint32_t page_count,
                collector_verdict_t verdict, const char *reason, void *arg)
{
    s_report ((reporter_t *)arg, job_id, chunk_nbr, page_count, verdict,
              reason);
}

void
reporter_result (reporter_t *self, const wire_t *result)
{
    assert (self);
    assert (result);
    char reason[COLLECTOR_REASON_MAX];
    collector_verdict_t verdict =
        collector_offer (self->collector, result, reason);
    if (verdict == COLLECTOR_WAIT) {
        reporter_flush (self);
        verdict = collector_offer (self->collector, result, reason);
        assert (verdict != COLLECTOR_WAIT);
    }
    if (verdict == COLLECTOR_PENDING)
        return;
    s_report (self, wire_job_id (result), wire_chunk_nbr (result),
              wire_page_count (result), verdict, reason);
}

void
reporter_flush (reporter_t *self)
{
    assert (self);
    collector_commit (self->collector, s_on_committed, self);
}

void
reporter_query (reporter_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    if (s_send_outcome (self, job_id) == 0)
        return;
    const assembly_t *job = collector_assembly (self->collector, job_id);
    if (job && assembly_complete (job)) {
        //  Queued or being merged already, or lost with a crash: either way
        //  the finisher has it now and will report.
        log_debug ("job=%s asked about: it is being finished", job_id);
        finisher_submit (self->finisher, job_id);
        return;
    }
    char reason[COLLECTOR_REASON_MAX];
    if (job)
        snprintf (reason, sizeof reason,
                  "the sink's spool holds %u of the job's %u chunks: chunks "
                  "it had stored are gone",
                  assembly_present (job), assembly_chunk_count (job));
    else if (collector_cancelled (self->collector, job_id))
        snprintf (reason, sizeof reason,
                  "the sink has dropped the job as "
                  "cancelled");
    else
        snprintf (reason, sizeof reason,
                  "the sink has no record of the job: its spool was lost or "
                  "replaced");
    log_error ("job=%s failed: %s", job_id, reason);
    if (job) {
        finisher_cancel (self->finisher, job_id);
        collector_fail (self->collector, job_id, reason);
    }
    s_send_failed (self, job_id, reason);
}

void
reporter_relay (reporter_t *self, wire_t **event_p)
{
    assert (self);
    assert (event_p && *event_p);
    if (wire_id (*event_p) != WIRE_JOB_STATE)
        collector_forget (self->collector, wire_job_id (*event_p));
    s_send (self, event_p);
}
