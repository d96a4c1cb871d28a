/*  webhook - delivering the event of a job's end to the job's webhook.

    Owns the deliveries in flight and their rules: when a job ends (done,
    failed, cancelled) its webhook (jobstore: the job document's, or the
    operator's default, stored with the job) is due; an attempt POSTs the
    event, signed the Standard Webhooks way (hooksig), and an answer of
    2xx settles it; a timeout, a refused connection or any other answer is
    tried again after WEBHOOK_RETRY_FIRST_MS, doubling up to
    WEBHOOK_RETRY_MAX_MS, until WEBHOOK_GIVE_UP_MS after the job ended.
    Every step is in the job store first, so a restart loses no delivery
    (at least once: an attempt cut short by a crash is made again).

    Each attempt resolves the target's host once (without blocking:
    getaddrinfo_a), checks every address against the allowlist
    (hooktarget) and pins curl to those addresses (CURLOPT_RESOLVE), so a
    second lookup cannot lead elsewhere; no proxy, no redirects, the
    answer read at most WEBHOOK_RESPONSE_MAX bytes, WEBHOOK_TIMEOUT_MS for
    the whole exchange. The only module that sees curl's multi interface;
    it never blocks: webhook_tick does what is ready and returns.

    Borrows the job store handle of the loop's thread; one thread.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_WEBHOOK_H
#define PDFPIPE_WEBHOOK_H

#include <stdint.h>

#include "hooksig.h"
#include "hooktarget.h"
#include "jobstore.h"

//  Retry schedule: 5 s, 10 s, 20 s ... at most an hour apart, for a day.
#define WEBHOOK_RETRY_FIRST_MS 5000
#define WEBHOOK_RETRY_MAX_MS 3600000
#define WEBHOOK_GIVE_UP_MS 86400000
//  One attempt, resolving included.
#define WEBHOOK_TIMEOUT_MS 10000
//  Deliveries in flight at once; more wait their turn in the store.
#define WEBHOOK_PARALLEL_MAX 16
//  A receiver's answer is not used: this much is read, then it is cut.
#define WEBHOOK_RESPONSE_MAX 65536
//  How often the store is asked for due deliveries when nothing told us.
#define WEBHOOK_POLL_MS 1000

typedef struct _webhook_t webhook_t;

typedef struct {
    int64_t retry_first_ms; // 0: WEBHOOK_RETRY_FIRST_MS
    int64_t retry_max_ms;   // 0: WEBHOOK_RETRY_MAX_MS
    int64_t give_up_ms;     // 0: WEBHOOK_GIVE_UP_MS
    int64_t timeout_ms;     // 0: WEBHOOK_TIMEOUT_MS
} webhook_config_t;

//  Deliveries from jobstore, to targets the allowlist targets allows,
//  signed by signer (NULL: deliveries are not made and stay pending,
//  logged once). All three borrowed, to outlive it; config copied.
//  Ends jobs' webhooks found ended but not yet due (after a crash).
//  Caller owns the result.
webhook_t *
webhook_new (jobstore_t *jobstore, const hooktarget_t *targets,
             const hooksig_t *signer, const webhook_config_t *config);

//  Drop the deliveries in flight (they stay pending in the store).
void
webhook_destroy (webhook_t **self_p);

//  Job job_id has ended: its webhook, if any, is due now.
void
webhook_job_ended (webhook_t *self, const char *job_id);

//  Look for ended jobs whose webhook is not due yet (ended by the HTTP
//  thread, a cancel whose notice was lost): now and then.
void
webhook_recover (webhook_t *self);

//  Move deliveries on without waiting: finish resolutions and transfers
//  that are ready, settle what ended, start what is due. Call often
//  (tens of ms) while webhook_busy, else now and then.
void
webhook_tick (webhook_t *self);

//  Whether deliveries are in flight.
bool
webhook_busy (const webhook_t *self);

#endif
