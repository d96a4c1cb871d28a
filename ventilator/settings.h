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

//  Default data directory and upload limits.
#define SETTINGS_DATA_DIR "./pdfpipe-data/ventilator"
//  Job documents are spooled to disk as they arrive: the limit is a disk
//  quota (a 1,000,000-page job of plain records is well below it).
#define SETTINGS_MAX_BODY_MB 2048
#define SETTINGS_MIN_FREE_DISK_MB 512

typedef struct {
    const char *http_address;
    long http_port;
    const char *dispatch_endpoint;
    const char *events_endpoint;
    const char *sink_endpoint;
    const char *data_dir;
    const char *store_url;   // where the sink puts results
    const char *cert;        // our secret certificate
    const char *sink_key;    // the sink's public certificate
    const char *allowed_dir; // certificates of the clients we accept
    long max_body_mb;
    long min_free_disk_mb;
    long max_attempts;
    long deadline_base_ms;
    long deadline_per_page_ms;
    long worker_expiry_ms;
    const char *webhook_url;   // default for jobs that name none; NULL
    const char *webhook_allow; // allowlist (ventilator/hooktarget)
    long webhook_allow_http;   // 1: plain http targets too
    long webhook_retry_ms;     // first retry delay
    long webhook_retry_max_ms;
    long webhook_give_up_ms;
    long webhook_timeout_ms; // one attempt
    bool verbose;
} settings_t;

//  Fill settings from the defaults, the environment and argv. Returns
//  OPTIONS_RUN (common/util/options.h) to go on, or the status to exit
//  with (0 after --help or --version, OPTIONS_EXIT_USAGE on a usage
//  error, which has been printed).
int
settings_parse (settings_t *settings, int argc, char *argv[]);

#endif
