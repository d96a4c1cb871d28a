/*  log - the one way pdfpipe processes write log lines.

    Wraps czmq's zsys logging (zsys_error ... zsys_debug) so every line
    carries the process name, and adds a debug switch. Lines about a job say
    job=<id>; lines about a chunk add chunk=<n>. Levels: error (someone must
    act), warning (we recovered), info (one line per job milestone), debug
    (off unless asked for).

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_LOG_H
#define PDFPIPE_LOG_H

#include <stdbool.h>

//  Set the process name shown on every line and whether debug lines are
//  printed. Call once at start, before any socket is created.
void
log_init (const char *process_name, bool verbose);

void
log_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
void
log_warning (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
void
log_info (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
void
log_debug (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

#endif
