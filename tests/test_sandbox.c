/*  test_sandbox - a helper program run on bytes, bounded on every side.

    Real programs (/bin/sh, /bin/cat, /bin/sleep) stand for the renderer:
    each test makes one limit bite and checks the outcome the caller sees.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox.h"
#include "testassert.h"

//  Run argv on input with generous limits but for timeout_ms and
//  output_max.
static int
s_run (const char *const *argv, const char *input, int64_t timeout_ms,
       size_t output_max, sandbox_result_t *result)
{
    sandbox_config_t config = {
        .argv = argv,
        .input = input,
        .input_size = input ? strlen (input) : 0,
        .output_max = output_max,
        .timeout_ms = timeout_ms,
        .memory_bytes = (uint64_t)512 * 1024 * 1024,
        .cpu_s = 30,
    };
    return sandbox_run (&config, result);
}

static void
test_what_it_writes_is_kept (void **state)
{
    (void)state;
    const char *argv[] = {"/bin/cat", NULL};
    sandbox_result_t result;
    assert_int_equal (s_run (argv, "hello, page", 10000, 1024, &result), 0);
    assert_int_eq (result.outcome, SANDBOX_EXITED);
    assert_int_eq (result.status, 0);
    assert_size_eq (result.output.size, strlen ("hello, page"));
    assert_memory_equal (result.output.data, "hello, page", result.output.size);
    bytebuf_free (&result.output);
}

static void
test_an_exit_status_and_stderr_are_reported (void **state)
{
    (void)state;
    const char *argv[] = {"/bin/sh", "-c", "echo oops >&2; exit 3", NULL};
    sandbox_result_t result;
    assert_int_equal (s_run (argv, NULL, 10000, 1024, &result), -1);
    assert_int_eq (result.outcome, SANDBOX_EXITED);
    assert_int_eq (result.status, 3);
    assert_string_equal (result.errors, "oops\n");
    bytebuf_free (&result.output);
}

static void
test_past_its_time_it_is_killed_with_its_group (void **state)
{
    (void)state;
    //  The shell and its sleep are one group (test_preview checks that
    //  no process of it is left).
    const char *argv[] = {"/bin/sh", "-c", "sleep 30; echo late", NULL};
    sandbox_result_t result;
    assert_int_equal (s_run (argv, NULL, 200, 1024, &result), -1);
    assert_int_eq (result.outcome, SANDBOX_TIMED_OUT);
    assert_size_eq (result.output.size, 0);
    char text[256];
    sandbox_config_t config = {.timeout_ms = 200};
    sandbox_describe (&config, &result, text, sizeof text);
    assert_string_equal (text, "ran longer than 200 ms and was stopped");
    bytebuf_free (&result.output);
}

static void
test_too_much_output_kills_it (void **state)
{
    (void)state;
    const char *argv[] = {"/usr/bin/yes", NULL};
    sandbox_result_t result;
    assert_int_equal (s_run (argv, NULL, 10000, 4096, &result), -1);
    assert_int_eq (result.outcome, SANDBOX_TOO_LARGE);
    assert_true (result.output.size <= 4096);
    bytebuf_free (&result.output);
}

static void
test_it_may_write_no_file (void **state)
{
    (void)state;
    char command[256];
    snprintf (command, sizeof command,
              "echo data > /tmp/test_sandbox.%d; echo wrote", (int)getpid ());
    const char *argv[] = {"/bin/sh", "-c", command, NULL};
    sandbox_result_t result;
    assert_int_equal (s_run (argv, NULL, 10000, 1024, &result), -1);
    assert_int_eq (result.outcome, SANDBOX_SIGNALED);
    assert_int_eq (result.status, SIGXFSZ);
    assert_size_eq (result.output.size, 0);
    char path[64];
    snprintf (path, sizeof path, "/tmp/test_sandbox.%d", (int)getpid ());
    FILE *file = fopen (path, "r");
    assert_non_null (file); // created, but empty
    assert_int_equal (fgetc (file), EOF);
    fclose (file);
    remove (path);
    bytebuf_free (&result.output);
}

static void
test_one_that_stops_reading_is_judged_by_its_end (void **state)
{
    (void)state;
    static char input[1024 * 1024];
    memset (input, 'x', sizeof input - 1);
    const char *argv[] = {"/bin/sh", "-c", "exit 0", NULL};
    sandbox_result_t result;
    assert_int_equal (s_run (argv, input, 10000, 1024, &result), 0);
    assert_int_eq (result.outcome, SANDBOX_EXITED);
    bytebuf_free (&result.output);
}

static void
test_a_missing_program_is_not_started (void **state)
{
    (void)state;
    const char *argv[] = {"/nonexistent/pdfpipe-worker", NULL};
    sandbox_result_t result;
    assert_int_equal (s_run (argv, "x", 10000, 1024, &result), -1);
    assert_int_eq (result.outcome, SANDBOX_NOT_STARTED);
    bytebuf_free (&result.output);
}

int
main (void)
{
    //  As sandbox.h asks of its callers.
    sigset_t pipe_set;
    sigemptyset (&pipe_set);
    sigaddset (&pipe_set, SIGPIPE);
    sigprocmask (SIG_BLOCK, &pipe_set, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_what_it_writes_is_kept),
        cmocka_unit_test (test_an_exit_status_and_stderr_are_reported),
        cmocka_unit_test (test_past_its_time_it_is_killed_with_its_group),
        cmocka_unit_test (test_too_much_output_kills_it),
        cmocka_unit_test (test_it_may_write_no_file),
        cmocka_unit_test (test_one_that_stops_reading_is_judged_by_its_end),
        cmocka_unit_test (test_a_missing_program_is_not_started),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
