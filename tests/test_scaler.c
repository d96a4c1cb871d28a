/*  test_scaler - the local scaler's policy on real child processes: the
    target follows the want up at once and down after scale_down_after_ms
    (at once with 0), and scaling down stops idle workers before busy
    ones, newest first among equals.

    The "worker" is a shell that writes its pid to a file named after its
    --name and sleeps; busy or idle is what the test's busy callback says.

    SPDX-License-Identifier: MPL-2.0
*/
#define _GNU_SOURCE // mkdtemp
#include <czmq.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/types.h>

#include "scaler.h"

typedef struct {
    char dir[64];  // where the children write their pids
    char *command; // the scaler's command
    const char *busy_name; // the worker the callback calls busy, or NULL
} s_fixture_t;

static bool
s_busy (const char *name, void *arg)
{
    s_fixture_t *fixture = (s_fixture_t *)arg;
    return fixture->busy_name && streq (name, fixture->busy_name);
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)zmalloc (sizeof (s_fixture_t));
    snprintf (fixture->dir, sizeof fixture->dir, "/tmp/test-scaler-XXXXXX");
    assert_non_null (mkdtemp (fixture->dir));
    //  The scaler appends "--name scaled-N": $1 and $2 of the inner shell.
    fixture->command = zsys_sprintf (
        "sh -c 'echo $$ > \"$0/$2.tmp\" && mv \"$0/$2.tmp\" \"$0/$2\" && "
        "exec sleep 60' %s",
        fixture->dir);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char *command = zsys_sprintf ("rm -rf %s", fixture->dir);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
    zstr_free (&fixture->command);
    free (fixture);
    return 0;
}

static scaler_t *
s_scaler (s_fixture_t *fixture, int64_t scale_down_after_ms)
{
    scaler_config_t config = {
        .kind = SCALER_LOCAL,
        .command = fixture->command,
        .scale_down_after_ms = scale_down_after_ms,
        .busy = s_busy,
        .busy_arg = fixture,
    };
    scaler_t *scaler = scaler_new (&config);
    assert_non_null (scaler);
    return scaler;
}

//  The pid worker scaled-<number> wrote, waiting for it to start.
static pid_t
s_pid (s_fixture_t *fixture, int number)
{
    char path[128];
    snprintf (path, sizeof path, "%s/scaled-%d", fixture->dir, number);
    for (int tries = 0; tries < 500; tries++) {
        FILE *file = fopen (path, "r");
        if (file) {
            int pid = 0;
            int read = fscanf (file, "%d", &pid);
            fclose (file);
            if (read == 1 && pid > 0)
                return (pid_t)pid;
        }
        zclock_sleep (20);
    }
    fail_msg ("worker scaled-%d never started", number);
    return -1;
}

//  Ticks with the want until the scaler has reaped pid; false if it
//  never does.
static bool
s_reaped (scaler_t *scaler, uint32_t desired, int64_t now, pid_t pid)
{
    for (int tries = 0; tries < 500; tries++) {
        scaler_tick (scaler, desired, now);
        if (kill (pid, 0) == -1 && errno == ESRCH)
            return true;
        zclock_sleep (20);
    }
    return false;
}

static void
test_down_at_once_with_0_the_idle_worker_first (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    scaler_t *scaler = s_scaler (fixture, 0);
    scaler_tick (scaler, 2, 1000);
    assert_int_equal (scaler_running (scaler), 2);
    pid_t oldest = s_pid (fixture, 1);
    pid_t newest = s_pid (fixture, 2);
    //  The newest renders; the oldest, which newest-first would keep, is
    //  idle: it is the one stopped, in the same tick.
    fixture->busy_name = "scaled-2";
    scaler_tick (scaler, 1, 1000);
    assert_int_equal (scaler_target (scaler), 1);
    assert_int_equal (scaler_running (scaler), 1);
    assert_true (s_reaped (scaler, 1, 1000, oldest));
    assert_int_equal (kill (newest, 0), 0);
    //  The last one is busy: it is asked to stop all the same (SIGTERM: a
    //  real worker finishes its chunk first).
    scaler_tick (scaler, 0, 1000);
    assert_int_equal (scaler_running (scaler), 0);
    assert_true (s_reaped (scaler, 0, 1000, newest));
    scaler_destroy (&scaler);
}

static void
test_down_only_after_the_want_stayed_lower (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    scaler_t *scaler = s_scaler (fixture, 5000);
    scaler_tick (scaler, 2, 1000);
    s_pid (fixture, 1);
    pid_t newest = s_pid (fixture, 2);
    scaler_tick (scaler, 1, 2000);
    scaler_tick (scaler, 1, 6999);
    assert_int_equal (scaler_target (scaler), 2);
    assert_int_equal (scaler_running (scaler), 2);
    //  Wanted again in between: the wait starts over.
    scaler_tick (scaler, 2, 7000);
    scaler_tick (scaler, 1, 8000);
    scaler_tick (scaler, 1, 12999);
    assert_int_equal (scaler_running (scaler), 2);
    //  No worker busy: the newest goes.
    scaler_tick (scaler, 1, 13000);
    assert_int_equal (scaler_target (scaler), 1);
    assert_int_equal (scaler_running (scaler), 1);
    assert_true (s_reaped (scaler, 1, 13000, newest));
    scaler_destroy (&scaler);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_down_at_once_with_0_the_idle_worker_first, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_down_only_after_the_want_stayed_lower, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
