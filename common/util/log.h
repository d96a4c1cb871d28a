/*  log - the one way pdfpipe processes write log lines.

    Wraps czmq's zsys logging (zsys_error ... zsys_debug) so every line
    carries the process name, and adds a debug switch. Lines about a job say
    job=<id>; lines about a chunk add chunk=<n>, and lines about a worker
    worker=<name>. Levels: error (someone must act), warning (we recovered),
    info (one line per job milestone), debug (off unless asked for).

    Two formats, chosen once at start (--log-format, PDFPIPE_LOG_FORMAT):
    text, zsys's own lines ("I: (pdfpipe-sink) 26-01-02 03:04:05 ..."),
    the default; and json, one object per line on stderr:

        {"time":"2026-01-02T03:04:05.678Z","level":"info",
         "process":"pdfpipe-sink","message":"job=J chunk=3 spooled",
         "job":"J","chunk":3}

    time is RFC 3339 in UTC with milliseconds; level is error, warning,
    info or debug; job, chunk and worker are taken from the message's
    job=, chunk= and worker= words (the first of each; a chunk made of
    digits is a number) and are absent when the message has none. Bytes
    that are not valid UTF-8 become U+FFFD, so every line is valid JSON
    whatever a message quotes. czmq's own lines (zauth, zsys) are turned
    into the same objects. In json format a line is written with one
    write(2), so lines from several threads never interleave.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_LOG_H
#define PDFPIPE_LOG_H

#include <stdbool.h>
#include <stdint.h>

//  Longest message kept in a json line, bytes; the rest is cut off (at a
//  character boundary) so one line stays bounded whatever it quotes.
#define LOG_MESSAGE_MAX 8192

//  The formats, in the order of LOG_FORMAT_NAMES.
typedef enum {
    LOG_FORMAT_TEXT = 0,
    LOG_FORMAT_JSON = 1,
} log_format_t;

//  The formats' names, ended by NULL: "text", "json".
extern const char *const LOG_FORMAT_NAMES[];

//  The --log-format entry of a program's options table (common/util/
//  options.h), setting the int at TARGET to a log_format_t.
#define LOG_FORMAT_OPTION(TARGET)                                              \
    OPTIONS_CHOICE ("log-format", (TARGET), LOG_FORMAT_NAMES, "text|json",     \
                    "PDFPIPE_LOG_FORMAT",                                      \
                    "log lines as text, or as one JSON object per\n"           \
                    "line (see docs/operations.md)")

//  Every log_* function leaves errno as it found it.

//  Set the process name shown on every line and whether debug lines are
//  printed. Call once at start, before any socket is created.
void
log_init (const char *process_name, bool verbose);

//  Write every later line, ours and czmq's, in format (a log_format_t;
//  an int, as options set it). Call after log_init, before any socket is
//  created.
void
log_set_format (int format);

//  The json line (ending in a newline) for one message of level ("error",
//  "warning", "info", "debug") from process at time_ms (ms since the
//  epoch, UTC). Returns NULL when out of memory; yours to free.
char *
log_json_line (const char *process, const char *level, const char *message,
               int64_t time_ms);

void
log_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
void
log_warning (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
void
log_info (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
void
log_debug (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

#endif
