/*  scaler - acts on the number of workers the backlog calls for.

    Children are started with fork and exec of /bin/sh: between the two
    the child calls only async-signal-safe functions (the ventilator has
    other threads). A local worker gets PR_SET_PDEATHSIG, so a ventilator
    killed with -9 does not leave workers behind that a new one would not
    know about.

    SPDX-License-Identifier: MPL-2.0
*/
#define _GNU_SOURCE // pipe2
#include "scaler.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

//  A local worker shorter-lived than this that exits is a failed start.
#define S_EARLY_EXIT_MS 5000

typedef struct {
    pid_t pid;
    uint32_t number; // in its name, scaled-<number>
    int64_t started_at;
    bool stopping; // sent SIGTERM
} s_child_t;

struct _scaler_t {
    scaler_config_t config;
    char *command;
    uint32_t target;
    int64_t lower_since; // when the want went below target; 0: it is not
    //  Local.
    zlistx_t *children; // s_child_t (owner), oldest first
    uint32_t next_number;
    int64_t backoff_ms;
    int64_t start_after; // no start before this (back-off)
    //  Exec.
    pid_t run_pid;  // 0: no run in progress
    int run_output; // read end of its output pipe; -1: none
    char output[SCALER_OUTPUT_MAX + 1];
    size_t output_size;
    uint32_t run_target; // the target of the run in progress
    int64_t applied;     // last target a run applied; -1: none yet
    int64_t next_run_at;
};

const char *const SCALER_KIND_NAMES[] = {"none", "local", "exec", NULL};

static void
s_free_item (void **item)
{
    free (*item);
    *item = NULL;
}

scaler_t *
scaler_new (const scaler_config_t *config)
{
    assert (config);
    if (config->kind != SCALER_NONE && !(config->command && *config->command)) {
        log_error ("scaler: --scaler %s needs --scaler-command",
                   config->kind == SCALER_LOCAL ? "local" : "exec");
        return NULL;
    }
    scaler_t *self = (scaler_t *)zmalloc (sizeof (scaler_t));
    assert (self);
    self->config = *config;
    self->command = config->command ? strdup (config->command) : NULL;
    self->config.command = self->command;
    self->children = zlistx_new ();
    assert (self->children);
    zlistx_set_destructor (self->children, s_free_item);
    self->backoff_ms = SCALER_BACKOFF_MIN_MS;
    self->run_output = -1;
    self->applied = -1;
    return self;
}

//  fork and exec "/bin/sh -c command"; the child's stdout and stderr go to
//  output_fd when it is not -1. Returns the pid, or -1 (logged).
static pid_t
s_spawn (const char *command, int output_fd, bool die_with_parent)
{
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == -1) {
        log_error ("scaler: cannot start '%s': %s", command, strerror (errno));
        return -1;
    }
    if (pid == 0) {
        //  Async-signal-safe calls only from here to exec.
        if (die_with_parent) {
            prctl (PR_SET_PDEATHSIG, SIGTERM);
            if (getppid () != parent)
                _exit (127);
        }
        if (output_fd != -1) {
            dup2 (output_fd, STDOUT_FILENO);
            dup2 (output_fd, STDERR_FILENO);
        }
        //  The ventilator may block signals in its threads.
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        execl ("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit (127);
    }
    return pid;
}

static void
s_describe_status (int status, char *text, size_t size)
{
    if (WIFEXITED (status))
        snprintf (text, size, "exited with status %d", WEXITSTATUS (status));
    else if (WIFSIGNALED (status))
        snprintf (text, size, "was killed by signal %d", WTERMSIG (status));
    else
        snprintf (text, size, "ended (status %d)", status);
}

//  -- Local ---------------------------------------------------------------

static uint32_t
s_local_running (scaler_t *self)
{
    uint32_t running = 0;
    for (s_child_t *child = (s_child_t *)zlistx_first (self->children); child;
         child = (s_child_t *)zlistx_next (self->children))
        if (!child->stopping)
            running++;
    return running;
}

static void
s_local_reap (scaler_t *self, int64_t now)
{
    s_child_t *child = (s_child_t *)zlistx_first (self->children);
    while (child) {
        void *handle = zlistx_cursor (self->children);
        //  The cursor moves on first, so deleting this one leaves it be.
        s_child_t *next = (s_child_t *)zlistx_next (self->children);
        int status;
        if (waitpid (child->pid, &status, WNOHANG) == child->pid) {
            char how[64];
            s_describe_status (status, how, sizeof how);
            bool clean = WIFEXITED (status) && WEXITSTATUS (status) == 0;
            bool early = now - child->started_at < S_EARLY_EXIT_MS;
            if (child->stopping || clean)
                log_info ("scaler: worker scaled-%u (pid %d) %s", child->number,
                          (int)child->pid, how);
            else
                log_warning ("scaler: worker scaled-%u (pid %d) %s",
                             child->number, (int)child->pid, how);
            if (!child->stopping && !clean && early) {
                self->start_after = now + self->backoff_ms;
                log_warning ("scaler: no worker started for %" PRId64 " ms: "
                             "one failed %" PRId64 " ms after its start",
                             self->backoff_ms, now - child->started_at);
                self->backoff_ms *= 2;
                if (self->backoff_ms > SCALER_BACKOFF_MAX_MS)
                    self->backoff_ms = SCALER_BACKOFF_MAX_MS;
            } else if (!early)
                self->backoff_ms = SCALER_BACKOFF_MIN_MS;
            zlistx_delete (self->children, handle);
        }
        child = next;
    }
}

static bool
s_local_busy (scaler_t *self, const s_child_t *child)
{
    if (!self->config.busy)
        return true;
    char name[32];
    snprintf (name, sizeof name, "scaled-%u", child->number);
    return self->config.busy (name, self->config.busy_arg);
}

static void
s_local_act (scaler_t *self, int64_t now)
{
    s_local_reap (self, now);
    uint32_t running = s_local_running (self);
    while (running < self->target && now >= self->start_after) {
        uint32_t number = ++self->next_number;
        char *command =
            zsys_sprintf ("exec %s --name scaled-%u", self->command, number);
        assert (command);
        pid_t pid = s_spawn (command, -1, true);
        zstr_free (&command);
        if (pid == -1) {
            self->start_after = now + self->backoff_ms;
            return;
        }
        s_child_t *child = (s_child_t *)zmalloc (sizeof (s_child_t));
        assert (child);
        child->pid = pid;
        child->number = number;
        child->started_at = now;
        zlistx_add_end (self->children, child);
        log_info ("scaler: started worker scaled-%u (pid %d); %u of %u", number,
                  (int)pid, running + 1, self->target);
        running++;
    }
    //  Idle ones first, so that none renders on while an idle one stays;
    //  then the newest: the oldest have the warmest caches.
    for (int busy_too = 0; busy_too < 2 && running > self->target; busy_too++)
        for (s_child_t *child = (s_child_t *)zlistx_last (self->children);
             child && running > self->target;
             child = (s_child_t *)zlistx_prev (self->children)) {
            if (child->stopping || (!busy_too && s_local_busy (self, child)))
                continue;
            child->stopping = true;
            kill (child->pid, SIGTERM);
            running--;
            log_info ("scaler: stopping worker scaled-%u (pid %d)%s; %u of "
                      "%u left",
                      child->number, (int)child->pid,
                      busy_too ? " after its chunk" : ", idle", running,
                      self->target);
        }
}

//  -- Exec ----------------------------------------------------------------

//  The command with every {n} replaced by n. Caller frees.
static char *
s_expand (const char *command, uint32_t n)
{
    char number[16];
    snprintf (number, sizeof number, "%u", n);
    size_t size = 1;
    for (const char *at = command; *at;)
        if (strncmp (at, "{n}", 3) == 0) {
            size += strlen (number);
            at += 3;
        } else {
            size++;
            at++;
        }
    char *text = (char *)malloc (size);
    assert (text);
    char *out = text;
    for (const char *at = command; *at;)
        if (strncmp (at, "{n}", 3) == 0) {
            out = stpcpy (out, number);
            at += 3;
        } else
            *out++ = *at++;
    *out = '\0';
    return text;
}

static void
s_exec_read (scaler_t *self)
{
    char buffer[4096];
    ssize_t got;
    while ((got = read (self->run_output, buffer, sizeof buffer)) > 0) {
        size_t room = SCALER_OUTPUT_MAX - self->output_size;
        size_t kept = (size_t)got < room ? (size_t)got : room;
        memcpy (self->output + self->output_size, buffer, kept);
        self->output_size += kept;
    }
}

static void
s_exec_finish (scaler_t *self, int status, int64_t now)
{
    s_exec_read (self);
    close (self->run_output);
    self->run_output = -1;
    self->output[self->output_size] = '\0';
    while (self->output_size > 0 &&
           (self->output[self->output_size - 1] == '\n' ||
            self->output[self->output_size - 1] == '\r'))
        self->output[--self->output_size] = '\0';
    char how[64];
    s_describe_status (status, how, sizeof how);
    bool ok = WIFEXITED (status) && WEXITSTATUS (status) == 0;
    if (ok) {
        self->applied = self->run_target;
        log_info ("scaler: scaled to %u workers: the command %s%s%s",
                  self->run_target, how, self->output_size ? ": " : "",
                  self->output);
    } else
        log_warning ("scaler: scaling to %u workers failed: the command %s%s%s"
                     "; trying again in %" PRId64 " ms",
                     self->run_target, how, self->output_size ? ": " : "",
                     self->output, self->config.exec_interval_ms);
    self->run_pid = 0;
    self->output_size = 0;
    self->next_run_at = now + self->config.exec_interval_ms;
}

static void
s_exec_act (scaler_t *self, int64_t now)
{
    if (self->run_pid) {
        s_exec_read (self);
        int status;
        if (waitpid (self->run_pid, &status, WNOHANG) == self->run_pid)
            s_exec_finish (self, status, now);
        return;
    }
    if (self->applied == (int64_t)self->target || now < self->next_run_at)
        return;
    int fds[2];
    if (pipe2 (fds, O_CLOEXEC) == -1) {
        log_error ("scaler: cannot make a pipe: %s", strerror (errno));
        self->next_run_at = now + self->config.exec_interval_ms;
        return;
    }
    char *command = s_expand (self->command, self->target);
    pid_t pid = s_spawn (command, fds[1], false);
    close (fds[1]);
    if (pid == -1) {
        close (fds[0]);
        free (command);
        self->next_run_at = now + self->config.exec_interval_ms;
        return;
    }
    fcntl (fds[0], F_SETFL, fcntl (fds[0], F_GETFL) | O_NONBLOCK);
    log_info ("scaler: scaling to %u workers: %s", self->target, command);
    free (command);
    self->run_pid = pid;
    self->run_output = fds[0];
    self->run_target = self->target;
}

//  -- Both ----------------------------------------------------------------

void
scaler_tick (scaler_t *self, uint32_t desired, int64_t now)
{
    assert (self);
    if (desired >= self->target) {
        self->target = desired;
        self->lower_since = 0;
    } else {
        if (!self->lower_since)
            self->lower_since = now;
        if (now - self->lower_since >= self->config.scale_down_after_ms) {
            self->target = desired;
            self->lower_since = 0;
        }
    }
    if (self->config.kind == SCALER_LOCAL)
        s_local_act (self, now);
    else if (self->config.kind == SCALER_EXEC)
        s_exec_act (self, now);
}

uint32_t
scaler_target (scaler_t *self)
{
    assert (self);
    return self->target;
}

uint32_t
scaler_running (scaler_t *self)
{
    assert (self);
    return self->config.kind == SCALER_LOCAL ? s_local_running (self) : 0;
}

void
scaler_destroy (scaler_t **self_p)
{
    assert (self_p);
    scaler_t *self = *self_p;
    if (!self)
        return;
    for (s_child_t *child = (s_child_t *)zlistx_first (self->children); child;
         child = (s_child_t *)zlistx_next (self->children))
        kill (child->pid, SIGTERM);
    int64_t deadline = zclock_mono () + SCALER_STOP_WAIT_MS;
    while (zlistx_size (self->children) && zclock_mono () < deadline) {
        s_child_t *child = (s_child_t *)zlistx_first (self->children);
        int status;
        pid_t reaped = waitpid (child->pid, &status, WNOHANG);
        if (reaped == child->pid || (reaped == -1 && errno == ECHILD))
            zlistx_delete (self->children, zlistx_cursor (self->children));
        else
            zclock_sleep (20);
    }
    for (s_child_t *child = (s_child_t *)zlistx_first (self->children); child;
         child = (s_child_t *)zlistx_next (self->children)) {
        log_warning ("scaler: worker scaled-%u (pid %d) still running after "
                     "%d ms: killed",
                     child->number, (int)child->pid, SCALER_STOP_WAIT_MS);
        kill (child->pid, SIGKILL);
        waitpid (child->pid, NULL, 0);
    }
    if (self->run_pid)
        waitpid (self->run_pid, NULL, 0);
    if (self->run_output != -1)
        close (self->run_output);
    zlistx_destroy (&self->children);
    free (self->command);
    free (self);
    *self_p = NULL;
}
