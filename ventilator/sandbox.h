/*  sandbox - runs a helper program on bytes, bounded, and keeps its output.

    Owns one run of a program the ventilator does not trust to be quick or
    small (the worker's --preview mode, pdftoppm): it is started with fork
    and exec, its stdin fed from memory and its stdout kept in memory, in
    one poll loop on the caller's thread. The run is bounded on every side:
    a wall-clock limit (the child is killed with SIGKILL), address space
    and CPU time (setrlimit in the child), no files written (RLIMIT_FSIZE
    0, no core dumps), no descriptor of the ventilator's but its stdin,
    stdout and stderr, and at most output_max bytes of output (more kills
    it, and its process group). The child dies with the ventilator
    (PR_SET_PDEATHSIG) and is always reaped, so nothing is left running or on
   disk. Its stderr goes to a pipe of its own (the ventilator's may be a file,
   which RLIMIT_FSIZE would forbid): the first SANDBOX_STDERR_MAX bytes are
   kept, for the caller to log when the run failed.

    Threading: sandbox_run may be called from several threads at once; the
    calling thread must have SIGPIPE blocked (a child that exits before
    reading all its input is then an EPIPE, not a signal to the process).

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_SANDBOX_H
#define PDFPIPE_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

//  Bytes of the child's stderr kept (the rest is read and dropped).
#define SANDBOX_STDERR_MAX 2048

typedef struct {
    const char *const *argv; // argv[0] is the program's path; NULL-ended
    const void *input;       // fed to its stdin, then closed
    size_t input_size;
    size_t output_max;     // bytes of stdout kept; more kills it
    int64_t timeout_ms;    // wall clock, from the start
    uint64_t memory_bytes; // RLIMIT_AS; 0: none (none under ASan either)
    unsigned int cpu_s;    // RLIMIT_CPU; 0: none
} sandbox_config_t;

typedef enum {
    SANDBOX_EXITED = 0, // ended by itself: see status
    SANDBOX_SIGNALED,   // killed by a signal (a limit, a crash): see status
    SANDBOX_TIMED_OUT,  // ran past timeout_ms, killed
    SANDBOX_TOO_LARGE,  // wrote more than output_max, killed
    SANDBOX_NOT_STARTED // fork, pipe or exec failed (logged)
} sandbox_outcome_t;

typedef struct {
    sandbox_outcome_t outcome;
    int status;       // exit status (EXITED) or signal number (SIGNALED)
    bytebuf_t output; // what it wrote to stdout; the caller frees it
    char errors[SANDBOX_STDERR_MAX + 1]; // what it wrote to stderr, cut
    int64_t elapsed_ms;
} sandbox_result_t;

//  Run config's program to its end or a limit. Always fills *result
//  (free result->output with bytebuf_free); returns 0 when the program
//  exited with status 0, else -1.
int
sandbox_run (const sandbox_config_t *config, sandbox_result_t *result);

//  The outcome in words for an error message ("exited with status 3",
//  "was killed by signal 9 (Killed)", "ran longer than 10000 ms").
void
sandbox_describe (const sandbox_config_t *config,
                  const sandbox_result_t *result, char *text, size_t size);

#endif
