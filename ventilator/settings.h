/*  settings - pdfpipe-ventilator's command line.

    Owns the options the ventilator takes, their defaults, environment
    variables and --help text (one table, read by common/util/options, as
    the other programs do); main.c reads the result and connects the
    modules.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_SETTINGS_H
#define PDFPIPE_SETTINGS_H

#include <stdbool.h>

#include "scaler.h"
#include "joblimits.h"

//  Default data directory and upload limits.
#define SETTINGS_DATA_DIR "./pdfpipe-data/ventilator"
//  Job documents are spooled to disk as they arrive: the limit is a disk
//  quota (a 1,000,000-page job of plain records is well below it).
#define SETTINGS_MAX_BODY_MB 2048
#define SETTINGS_MIN_FREE_DISK_MB 512
//  Default bound on the desired worker count.
#define SETTINGS_WORKERS_MAX 16
//  The want must stay lower this long before workers are stopped.
#define SETTINGS_SCALE_DOWN_AFTER_S 30
//  Least time between two runs of the exec scaler's command.
#define SETTINGS_SCALER_INTERVAL_S 10
//  The job store's file: about 100 bytes a chunk and a few hundred a job,
//  so 4 GiB is tens of millions of chunks.
#define SETTINGS_MAX_JOBSTORE_MB 4096
//  Ended jobs (done, failed, cancelled), their records and results are
//  deleted this long after they ended: 7 days.
#define SETTINGS_RETENTION_S (7 * 24 * 3600)

typedef struct {
    const char *http_address;
    long http_port;
    const char *dispatch_endpoint;
    const char *events_endpoint;
    const char *sink_endpoint;
    const char *data_dir;
    const char *store_url;   // where the sink puts results
    const char *s3_inputs;   // BUCKET[/PREFIX],... jobs may read; "": none
    const char *cert;        // our secret certificate
    const char *sink_key;    // the sink's public certificate
    const char *allowed_dir; // certificates of the clients we accept
    long max_body_mb;
    long min_free_disk_mb;
    long max_attempts;
    long workers_min; // the desired worker count's bounds (GET /metrics)
    long workers_max;
    int scaler;                 // scaler_kind_t: none, local or exec
    const char *scaler_command; // local: a worker; exec: with {n}
    long scale_down_after_s;
    long scaler_interval_s;
    long deadline_base_ms;
    long deadline_per_page_ms;
    long worker_expiry_ms;
    const char *tokens;      // API tokens file; NULL: none
    bool insecure_no_tokens; // serve beyond loopback without tokens
    long http_connections;
    long http_per_address;
    long http_timeout_s;
    long http_waiters;    // status requests waiting at once (jobwatch)
    long min_upload_rate; // bytes/s
    long upload_grace_s;
    long max_uploads;
    long max_jobstore_mb; // a quota: over it, submissions get 507
    long retention_s;     // ended jobs are deleted after this, s
    joblimits_t limits;   // what a job may cost (common/doc/joblimits)
    const char *preview_worker; // pdfpipe-worker for previews; NULL: beside us
    long preview_timeout_s;     // one preview, all of it
    long preview_memory_mb;     // its renderer's address space
    long preview_max_body_mb;   // its document
    long previews_at_once;
    const char *webhook_url;   // default for jobs that name none; NULL
    const char *webhook_allow; // allowlist (ventilator/hooktarget)
    long webhook_allow_http;   // 1: plain http targets too
    long webhook_retry_ms;     // first retry delay
    long webhook_retry_max_ms;
    long webhook_give_up_ms;
    long webhook_timeout_ms; // one attempt
    bool verbose;
    int log_format; // a log_format_t
} settings_t;

//  Fill settings from the defaults, the environment and argv. Returns
//  OPTIONS_RUN (common/util/options.h) to go on, or the status to exit
//  with (0 after --help or --version, OPTIONS_EXIT_USAGE on a usage
//  error, which has been printed).
int
settings_parse (settings_t *settings, int argc, char *argv[]);

#endif
