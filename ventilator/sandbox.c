/*  sandbox - runs a helper program on bytes, bounded, and keeps its output.

    Between fork and exec the child calls only async-signal-safe functions
    (the ventilator has other threads). An exec that fails is told by exit
    status 127 and a closed stdout, as a shell does.

    SPDX-License-Identifier: MPL-2.0
*/
#define _GNU_SOURCE // pipe2
#include "sandbox.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

//  AddressSanitizer reserves terabytes of address space for its shadow
//  memory as a program starts, so a sanitized child (the build's own
//  worker, in a -DSANITIZE=ON build: tests only) cannot start under
//  RLIMIT_AS. There the limit is left off; time and CPU still bound it.
#if defined(__SANITIZE_ADDRESS__)
#define S_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S_ADDRESS_SANITIZER 1
#endif
#endif
#ifndef S_ADDRESS_SANITIZER
#define S_ADDRESS_SANITIZER 0
#endif

//  Bytes read from the child's stdout at a time.
#define S_READ_BYTES (64 * 1024)
//  Status of a child whose exec failed.
#define S_EXEC_FAILED 127

static void
s_limit (int resource, rlim_t value)
{
    struct rlimit limit = {value, value};
    setrlimit (resource, &limit);
}

//  In the child: async-signal-safe calls only.
static void
s_child (const sandbox_config_t *config, pid_t parent, int in_fd, int out_fd,
         int err_fd)
{
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != parent)
        _exit (S_EXEC_FAILED);
    //  A group of its own, so a kill reaches whatever it started.
    setpgid (0, 0);
    if (dup2 (in_fd, STDIN_FILENO) == -1 ||
        dup2 (out_fd, STDOUT_FILENO) == -1 ||
        dup2 (err_fd, STDERR_FILENO) == -1)
        _exit (S_EXEC_FAILED);
    //  Nothing of the ventilator's but those three: its sockets and pipes
    //  (some not close-on-exec) are not the renderer's to use.
    if (close_range (STDERR_FILENO + 1, ~0U, 0) == -1) {
        struct rlimit files;
        int top = getrlimit (RLIMIT_NOFILE, &files) == 0 &&
                          files.rlim_cur != RLIM_INFINITY &&
                          files.rlim_cur < 1048576
                      ? (int)files.rlim_cur
                      : 1048576;
        for (int fd = STDERR_FILENO + 1; fd < top; fd++)
            close (fd);
    }
    if (config->memory_bytes && !S_ADDRESS_SANITIZER)
        s_limit (RLIMIT_AS, (rlim_t)config->memory_bytes);
    if (config->cpu_s)
        s_limit (RLIMIT_CPU, (rlim_t)config->cpu_s);
    s_limit (RLIMIT_FSIZE, 0);
    s_limit (RLIMIT_CORE, 0);
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    signal (SIGPIPE, SIG_DFL);
    execv (config->argv[0], (char *const *)config->argv);
    _exit (S_EXEC_FAILED);
}

static void
s_close (int *fd)
{
    if (*fd != -1)
        close (*fd);
    *fd = -1;
}

//  Feed the input and collect the output until the child closes its
//  stdout, or a limit is passed. Returns the outcome so far (EXITED: ran
//  to its end).
//  Read what the child wrote to stderr, keeping the first of it.
static void
s_read_errors (int *err_fd, sandbox_result_t *result, size_t *kept)
{
    char buffer[4096];
    ssize_t got = read (*err_fd, buffer, sizeof buffer);
    if (got == -1 && (errno == EAGAIN || errno == EINTR))
        return;
    if (got <= 0) {
        s_close (err_fd);
        return;
    }
    size_t room = SANDBOX_STDERR_MAX - *kept;
    size_t take = (size_t)got < room ? (size_t)got : room;
    memcpy (result->errors + *kept, buffer, take);
    *kept += take;
    result->errors[*kept] = '\0';
}

static sandbox_outcome_t
s_exchange (const sandbox_config_t *config, int in_fd, int out_fd, int err_fd,
            sandbox_result_t *result, int64_t deadline)
{
    bytebuf_t *output = &result->output;
    size_t errors_kept = 0;
    size_t fed = 0;
    char *buffer = (char *)malloc (S_READ_BYTES);
    if (!buffer)
        return SANDBOX_TOO_LARGE;
    sandbox_outcome_t outcome = SANDBOX_EXITED;
    if (config->input_size == 0)
        s_close (&in_fd);
    while (out_fd != -1) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0) {
            outcome = SANDBOX_TIMED_OUT;
            break;
        }
        struct pollfd fds[3] = {
            {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
        int ready = poll (fds, 3, (int)left);
        if (ready == -1 && errno != EINTR) {
            outcome = SANDBOX_TIMED_OUT;
            break;
        }
        if (ready <= 0)
            continue;
        if (err_fd != -1 && fds[1].revents)
            s_read_errors (&err_fd, result, &errors_kept);
        if (in_fd != -1 && fds[2].revents) {
            ssize_t sent = write (in_fd, (const char *)config->input + fed,
                                  config->input_size - fed);
            if (sent > 0)
                fed += (size_t)sent;
            //  A child that stops reading is judged by what it does next.
            if ((sent == -1 && errno != EAGAIN && errno != EINTR) ||
                fed == config->input_size)
                s_close (&in_fd);
        }
        if (fds[0].revents) {
            ssize_t got = read (out_fd, buffer, S_READ_BYTES);
            if (got == -1 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (got <= 0)
                s_close (&out_fd);
            else if ((size_t)got > config->output_max - output->size) {
                outcome = SANDBOX_TOO_LARGE;
                break;
            } else if (bytebuf_append (output, buffer, (size_t)got) == -1) {
                outcome = SANDBOX_TOO_LARGE;
                break;
            }
        }
    }
    free (buffer);
    s_close (&in_fd);
    s_close (&out_fd);
    //  The last lines of a child that has ended are there already.
    if (outcome == SANDBOX_EXITED && err_fd != -1)
        s_read_errors (&err_fd, result, &errors_kept);
    s_close (&err_fd);
    return outcome;
}

//  Drain a pending SIGPIPE this thread may have earned, so it is not
//  delivered once the mask changes.
static void
s_clear_sigpipe (void)
{
    sigset_t pipe_set;
    sigemptyset (&pipe_set);
    sigaddset (&pipe_set, SIGPIPE);
    struct timespec now = {0, 0};
    while (sigtimedwait (&pipe_set, NULL, &now) == SIGPIPE)
        ;
}

int
sandbox_run (const sandbox_config_t *config, sandbox_result_t *result)
{
    assert (config && config->argv && config->argv[0]);
    assert (result);
    memset (result, 0, sizeof *result);
    int64_t started = zclock_mono ();
    int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    if (pipe2 (in_pipe, O_CLOEXEC) == -1 || pipe2 (out_pipe, O_CLOEXEC) == -1 ||
        pipe2 (err_pipe, O_CLOEXEC) == -1) {
        log_error ("sandbox: cannot make pipes for %s: %s", config->argv[0],
                   strerror (errno));
        for (int index = 0; index < 2; index++) {
            s_close (&in_pipe[index]);
            s_close (&out_pipe[index]);
        }
        result->outcome = SANDBOX_NOT_STARTED;
        return -1;
    }
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0)
        s_child (config, parent, in_pipe[0], out_pipe[1], err_pipe[1]);
    s_close (&in_pipe[0]);
    s_close (&out_pipe[1]);
    s_close (&err_pipe[1]);
    if (pid == -1) {
        log_error ("sandbox: cannot start %s: %s", config->argv[0],
                   strerror (errno));
        s_close (&in_pipe[1]);
        s_close (&out_pipe[0]);
        s_close (&err_pipe[0]);
        result->outcome = SANDBOX_NOT_STARTED;
        return -1;
    }
    //  Here too, so the group exists whichever side runs first.
    setpgid (pid, pid);
    fcntl (in_pipe[1], F_SETFL, O_NONBLOCK);
    fcntl (out_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl (err_pipe[0], F_SETFL, O_NONBLOCK);
    result->outcome = s_exchange (config, in_pipe[1], out_pipe[0], err_pipe[0],
                                  result, started + config->timeout_ms);
    s_clear_sigpipe ();
    if (result->outcome != SANDBOX_EXITED)
        kill (-pid, SIGKILL);
    int status = 0;
    while (waitpid (pid, &status, 0) == -1 && errno == EINTR)
        ;
    result->elapsed_ms = zclock_mono () - started;
    if (result->outcome != SANDBOX_EXITED)
        return -1;
    if (WIFSIGNALED (status)) {
        result->outcome = SANDBOX_SIGNALED;
        result->status = WTERMSIG (status);
        return -1;
    }
    result->status = WEXITSTATUS (status);
    if (result->status == S_EXEC_FAILED) {
        log_error ("sandbox: %s could not be run (exit status %d)",
                   config->argv[0], S_EXEC_FAILED);
        result->outcome = SANDBOX_NOT_STARTED;
    }
    return result->status == 0 ? 0 : -1;
}

void
sandbox_describe (const sandbox_config_t *config,
                  const sandbox_result_t *result, char *text, size_t size)
{
    switch (result->outcome) {
    case SANDBOX_EXITED:
        snprintf (text, size, "exited with status %d", result->status);
        break;
    case SANDBOX_SIGNALED:
        snprintf (text, size, "was killed by signal %d (%s)%s", result->status,
                  strsignal (result->status),
                  result->status == SIGKILL || result->status == SIGXCPU ||
                          result->status == SIGSEGV
                      ? ", perhaps at its memory or CPU limit"
                      : "");
        break;
    case SANDBOX_TIMED_OUT:
        snprintf (text, size, "ran longer than %" PRId64 " ms and was stopped",
                  config->timeout_ms);
        break;
    case SANDBOX_TOO_LARGE:
        snprintf (text, size, "wrote more than %zu bytes and was stopped",
                  config->output_max);
        break;
    case SANDBOX_NOT_STARTED:
        snprintf (text, size, "could not be started");
        break;
    }
}
