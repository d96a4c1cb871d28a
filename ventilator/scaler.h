/*  scaler - acts on the number of workers the backlog calls for.

    The main loop works out, every tick, how many workers it wants (one
    per chunk queued or rendering, within --workers-min and --workers-max:
    pdfpipe_workers_desired) and hands it here. The scaler smooths it into
    a target (up at once; down only once the want has stayed lower for
    scale_down_after_ms, so a gap between jobs does not stop workers that
    are about to be needed again; at once when that is 0, for workers that
    are cheap to start again) and acts on the target:

    - SCALER_NONE: nothing; the count is only published (GET /metrics), for
      an external autoscaler.
    - SCALER_LOCAL: starts and stops worker processes on this host. The
      command (a shell command line; " --name scaled-N" is appended) is run
      once per worker; each is started with a parent-death signal, so it
      stops with the ventilator. Scaling down sends SIGTERM to idle
      workers first (config.busy says which hold a chunk), then to the
      newest; each finishes the chunk in progress and leaves (LEAVING): no
      chunk is cut off. A worker that exits on its own (crash, idle) is
      started again while the target wants it, after a back-off that grows
      while they keep failing.
    - SCALER_EXEC: runs the command through /bin/sh with every "{n}"
      replaced by the target, whenever the target differs from the last
      one applied, at most once per exec_interval_ms and one run at a time
      (a failed run is tried again after the interval). Its exit status
      and its first SCALER_OUTPUT_MAX bytes of output are logged.

    Never blocks: children are reaped and their output read in
    scaler_tick. One thread (the main loop's).

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_SCALER_H
#define PDFPIPE_SCALER_H

#include <stdbool.h>
#include <stdint.h>

//  Output of an exec run that is logged; the rest is read and dropped.
#define SCALER_OUTPUT_MAX 2048
//  How long scaler_destroy waits for local workers to finish their chunk.
#define SCALER_STOP_WAIT_MS 10000
//  Back-off before starting a local worker again after one failed early.
#define SCALER_BACKOFF_MIN_MS 1000
#define SCALER_BACKOFF_MAX_MS 30000

typedef enum {
    SCALER_NONE = 0,
    SCALER_LOCAL,
    SCALER_EXEC,
} scaler_kind_t;

//  True when the local worker started with --name name holds a chunk.
typedef bool(scaler_busy_fn) (const char *name, void *arg);

typedef struct {
    scaler_kind_t kind;
    const char *command;         // local: a worker; exec: with {n}
    int64_t scale_down_after_ms; // the want must stay lower this long
    int64_t exec_interval_ms;    // exec: at least this between runs
    scaler_busy_fn *busy;        // local; NULL: every worker may be busy
    void *busy_arg;
} scaler_config_t;

typedef struct _scaler_t scaler_t;

//  The kinds' names, in the order of scaler_kind_t, ended by NULL.
extern const char *const SCALER_KIND_NAMES[];

//  A scaler as config says (copied). Returns NULL, after logging why, when
//  local or exec has no command. Caller owns the result.
scaler_t *
scaler_new (const scaler_config_t *config);

//  Local: SIGTERM to every worker started, waiting up to
//  SCALER_STOP_WAIT_MS for them to finish their chunk, then SIGKILL.
void
scaler_destroy (scaler_t **self_p);

//  The loop's want now (now: zclock_mono () ms): update the target and act.
void
scaler_tick (scaler_t *self, uint32_t desired, int64_t now);

//  The target acted on.
uint32_t
scaler_target (scaler_t *self);

//  Local: worker processes running and not asked to stop. Otherwise 0.
uint32_t
scaler_running (scaler_t *self);

#endif
