/*  reporter - what the sink tells the ventilator about its jobs, and when
    a job goes to the finisher.

    Turns what happens in the sink into events on the ventilator's events
    socket (docs/protocol.md):
    - a RESULT, once sink/collector has judged it and a chunk newly held
      is durable (results that come together are made durable together
      by reporter_flush): STORED for a chunk held
      (again for a duplicate), the job's outcome again for a finished job,
      JOB_FAILED for a job whose chunk could not be spooled (its partial
      output dropped); each chunk newly held goes to sink/finisher, which
      appends it to the job's output in order, and so does a job that is
      now complete;
    - a QUERY, the ventilator asking about a job whose chunks it knows are
      all stored: the outcome from the job's tombstone; for a complete job
      nothing yet (the finisher has it and will report); otherwise
      JOB_FAILED saying why the sink cannot finish it (chunks it had are
      gone, the job was cancelled, or the sink has no record of it), and
      an open job is failed for good in the spool;
    - at start, STORED for every spooled chunk, so a ventilator that
      restarted catches up, every spooled chunk and every complete job to
      the finisher (outputs are taken up again from their checkpoints, or start
      again from chunk 0 when they have none);
    - the finisher's reports (JOB_STATE, JOB_DONE, JOB_FAILED), passed on,
      and the assembly of a job that ended dropped from the collector.

    Outcomes are repeated, never lost: a late RESULT for a finished job,
    or a QUERY, gets the job's outcome again from its tombstone, since a
    JOB_DONE in flight when the ventilator died is gone.

    It owns neither socket nor module: the collector, the finisher and the
    events socket are the caller's, borrowed for the reporter's life. A
    send that fails (the socket's send timeout ran out) is logged with the
    job and the event dropped.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_REPORTER_H
#define PDFPIPE_REPORTER_H

#include <czmq.h>

#include "collector.h"
#include "finisher.h"
#include "wire.h"

typedef struct _reporter_t reporter_t;

//  A reporter sending on events (a PUSH socket connected to the
//  ventilator) about the jobs of collector and finisher. All three are
//  borrowed and must outlive the reporter. Returns NULL when out of
//  memory. Caller owns the result.
reporter_t *
reporter_new (collector_t *collector, finisher_t *finisher, zsock_t *events);

void
reporter_destroy (reporter_t **self_p);

//  At start: send STORED for every chunk the collector holds, tell the
//  finisher of each, and submit every complete job to it.
void
reporter_replay (reporter_t *self);

//  Offer a RESULT to the collector and send what its verdict calls for
//  (see above); tell the finisher of a chunk newly held, and submit the
//  job to it when it is now complete. A new chunk is only staged (see
//  collector_offer): its STORED waits for reporter_flush, which the
//  caller must call before it waits for more input or handles anything
//  else.
void
reporter_result (reporter_t *self, const wire_t *result);

//  Make the chunks staged by reporter_result durable together
//  (collector_commit), then send what each one's verdict calls for.
void
reporter_flush (reporter_t *self);

//  Answer the ventilator's QUERY about job_id (see above).
void
reporter_query (reporter_t *self, const char *job_id);

//  Send a report from the finisher (finisher_recv) and take it; when it
//  is the job's outcome, drop the job from the collector.
void
reporter_relay (reporter_t *self, wire_t **event_p);

#endif
