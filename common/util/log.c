/*  log - the one way pdfpipe processes write log lines.

    zsys prints to stderr with a timestamp and level; we keep that format and
    only add the debug switch, which zsys lacks.

    SPDX-License-Identifier: MPL-2.0
*/
#include "log.h"

#include <czmq.h>
#include <stdarg.h>

static bool s_verbose = false;

void
log_init (const char *process_name, bool verbose)
{
    s_verbose = verbose;
    zsys_set_logident (process_name);
    zsys_set_logstream (stderr);
}

#define S_LOG_BODY(sink)                                                       \
    va_list args;                                                              \
    va_start (args, format);                                                   \
    char *line = zsys_vprintf (format, args);                                  \
    va_end (args);                                                             \
    if (line) {                                                                \
        sink ("%s", line);                                                     \
        zstr_free (&line);                                                     \
    }

void
log_error (const char *format, ...)
{
    S_LOG_BODY (zsys_error)
}

void
log_warning (const char *format, ...)
{
    S_LOG_BODY (zsys_warning)
}

void
log_info (const char *format, ...)
{
    S_LOG_BODY (zsys_info)
}

void
log_debug (const char *format, ...)
{
    if (!s_verbose)
        return;
    S_LOG_BODY (zsys_debug)
}
