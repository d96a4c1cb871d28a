/*  pdfpipe - the command-line client of the pdfpipe HTTP API.

    Parses the command line, runs one command and turns its outcome into an
    exit status; the statuses are documented in s_usage and are part of the
    interface scripts rely on, which is why the reading of HTTP statuses
    lives here. It connects apiclient (HTTP), apireply (the replies),
    progressbar (a job being waited for), and jobbody and records (a submit
    whose records come from a file, streamed into the request).

    stdout carries only what a script captures: a job id, an output path, a
    state or a status document, one item a line. Everything meant for people
    goes to stderr, errors as one "error: ..." line each.

    SPDX-License-Identifier: MPL-2.0
*/
#include "apiclient.h"
#include "apireply.h"
#include "apitoken.h"
#include "curve.h"
#include "jobbody.h"
#include "options.h"
#include "progressbar.h"
#include "proto.h"
#include "records.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PDFPIPE_VERSION
#define PDFPIPE_VERSION "0.1.0"
#endif
//  While waiting, each status request asks the server to answer once the
//  job has changed (GET /v1/jobs/{id}?wait_s=N&since=...), or after this
//  many seconds: the client learns of each chunk and of the end at once.
#define WAIT_CHANGE_S 20
//  Between two status requests when the server answers without waiting
//  (an older one, or one that is not answering): often enough for a live
//  progress bar, rare enough to cost the ventilator nothing.
#define WAIT_POLL_MS 400
//  Room for a status request's path with its wait_s and since.
#define WAIT_PATH_MAX 256
//  While waiting, a ventilator that does not answer (restarting, say) is
//  asked again for this long before the client gives up.
#define WAIT_RETRY_MS 10000
#define TERMINAL_COLUMNS_DEFAULT 80
#define MESSAGE_MAX 1024 // bytes of one error line

enum {
    EXIT_OK = 0,
    EXIT_ERROR = 1,
    EXIT_REJECTED = 2,
    EXIT_JOB_FAILED = 3,
    EXIT_JOB_CANCELLED = 4,
    EXIT_USAGE = OPTIONS_EXIT_USAGE, // 64, as in every pdfpipe program
    EXIT_INTERRUPTED = 130,
    S_CONTINUE = -1 // not an exit status: parsing found a command to run
};

//  Options with a long name only.
enum {
    S_OPTION_RECORDS = 256,
    S_OPTION_RECORDS_FORMAT,
    S_OPTION_CSV_NUMBERS,
};

typedef struct {
    const char *url;   // --url; NULL for the default
    const char *token; // --token; NULL for $PDFPIPE_TOKEN
    const char *command;
    const char *operand;  // JOB.json, ID or (keygen, token) NAME
    const char *operand2; // (keygen) DIR
    const char *output;   // -o
    bool wait;
    const char *records;             // --records FILE; NULL without
    records_format_t records_format; // given or guessed from the name
    bool csv_numbers;                // --csv-numbers
} s_options_t;

typedef struct {
    const char *name;
    //  client is NULL for a command that does not talk to the API.
    int (*run) (apiclient_t *client, const s_options_t *options);
    const char *operands; // what it takes, for usage errors
    int operand_count;    // 1 or 2
    bool local;           // needs no API
    bool takes_wait;
    bool takes_records; // --records and the options that go with it
    bool takes_output;
    bool needs_output;
} s_command_t;

static volatile sig_atomic_t s_interrupted = 0;

static void
s_usage (FILE *stream)
{
    fprintf (
        stream,
        "Usage: pdfpipe [--url URL] [--token TOKEN] COMMAND [ARGUMENTS]\n"
        "\n"
        "Client of the pdfpipe HTTP API: submit a job, follow it, fetch its "
        "PDF.\n"
        "\n"
        "Commands:\n"
        "  submit JOB.json [--records FILE] [--wait] [-o OUT.pdf]\n"
        "        Send a job document (\"-\" reads standard input) and print "
        "the\n"
        "        job id. --wait follows the job until it ends, showing "
        "progress\n"
        "        on standard error. -o OUT.pdf implies --wait, downloads the "
        "PDF\n"
        "        when the job is done and then prints OUT.pdf. With --records "
        "the\n"
        "        records come from FILE (JSON Lines or CSV) and JOB.json has "
        "none.\n"
        "  status ID\n"
        "        Print the job's status document (JSON).\n"
        "  get ID -o OUT.pdf\n"
        "        Download a finished job's PDF to OUT.pdf and print OUT.pdf.\n"
        "  cancel ID\n"
        "        Cancel a job and print the state it is left in.\n"
        "  keygen NAME DIR\n"
        "        Make a CURVE key pair for a pdfpipe process or worker host "
        "and\n"
        "        print the paths of its two files: DIR/NAME.cert, the "
        "public\n"
        "        certificate to copy to the peers that must accept NAME, "
        "and\n"
        "        DIR/NAME.secret, which stays on NAME's host, readable by "
        "its\n"
        "        owner only. Never replaces a key (docs/operations.md).\n"
        "  token NAME\n"
        "        Make a new API token called NAME. Prints the token (the "
        "secret,\n"
        "        for the client's $PDFPIPE_TOKEN) on the first line and the "
        "line\n"
        "        to add to the ventilator's tokens file (NAME and the "
        "token's\n"
        "        SHA-256) on the second.\n"
        "\n"
        "Options:\n"
        "  -u, --url URL      the API; default $PDFPIPE_URL, else\n"
        "                     http://127.0.0.1:$PDFPIPE_HTTP_PORT (port "
        "%s when unset)\n"
        "  -t, --token TOKEN  the API token; default $PDFPIPE_TOKEN. Sent "
        "as\n"
        "                     \"Authorization: Bearer TOKEN\"; a ventilator "
        "with\n"
        "                     a tokens file answers nothing without it\n"
        "  -w, --wait         (submit) wait for the job to end\n"
        "  -o, --output FILE  (submit, get) where to write the PDF; it is "
        "written\n"
        "                     to FILE.part first and renamed when complete\n"
        "  --records FILE     (submit) the job's records, streamed from "
        "FILE\n"
        "                     (\"-\" reads standard input): JSON Lines, one "
        "object\n"
        "                     a line (.jsonl, .ndjson), or CSV with a header "
        "row\n"
        "                     (.csv); a dotted column name such as "
        "customer.name\n"
        "                     makes a nested object\n"
        "  --records-format jsonl|csv\n"
        "                     (submit) the format of FILE, when its name does "
        "not\n"
        "                     say (standard input is read as JSON Lines)\n"
        "  --csv-numbers      (submit) CSV cells that are plain numbers, "
        "such as\n"
        "                     42 or -12.50, become JSON numbers; otherwise "
        "every\n"
        "                     cell is a string\n"
        "  -h, --help         show this help and exit\n"
        "  -V, --version      show the version and exit\n"
        "\n"
        "Exit status:\n"
        "  0    success\n"
        "  1    failure: server unreachable or unexpected reply, no such "
        "job,\n"
        "       result not ready, output not writable\n"
        "  2    the job was rejected: by the server (HTTP 400, 413, 415), "
        "or\n"
        "       before sending because JOB.json or the records file is "
        "wrong\n"
        "  3    the job failed\n"
        "  4    the job was cancelled\n"
        "  64   wrong usage\n"
        "  130  interrupted; a submitted job goes on running on the server\n",
        PROTO_HTTP_PORT);
}

//  "error: <message><ending>" on stderr.
static void
s_verror (const char *ending, const char *format, va_list args)
{
    fputs ("error: ", stderr);
    vfprintf (stderr, format, args);
    fputs (ending, stderr);
}

static void
s_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

static void
s_error (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_verror ("\n", format, args);
    va_end (args);
}

static void
s_usage_error (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

static void
s_usage_error (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_verror (" (see pdfpipe --help)\n", format, args);
    va_end (args);
}

static void
s_on_interrupt (int signal_number)
{
    (void)signal_number;
    s_interrupted = 1;
}

//  From here on, Ctrl-C (or SIGTERM) stops the transfer or the wait in
//  progress, so that the command can clean up and say what is left on the
//  server. A second signal ends the process at once.
static void
s_catch_interrupt (apiclient_t *client)
{
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_interrupt;
    action.sa_flags = SA_RESETHAND;
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    apiclient_set_interrupt (client, &s_interrupted);
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  Sleeps less when a signal arrives; callers check s_interrupted.
static void
s_sleep_ms (int milliseconds)
{
    struct timespec delay = {milliseconds / 1000,
                             (long)(milliseconds % 1000) * 1000000L};
    nanosleep (&delay, NULL);
}

//  The width of the terminal on stderr, or 0 when progress should be
//  printed as plain lines.
static int
s_progress_columns (void)
{
    if (!isatty (STDERR_FILENO))
        return 0;
    const char *term = getenv ("TERM");
    if (term && strcmp (term, "dumb") == 0)
        return 0;
    struct winsize size;
    if (ioctl (STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
        return size.ws_col;
    return TERMINAL_COLUMNS_DEFAULT;
}

//  "/v1/jobs/<id><suffix>" with the id escaped. Caller frees.
static char *
s_job_path (const char *job_id, const char *suffix)
{
    char *escaped = apiclient_escape (job_id);
    if (!escaped)
        return NULL;
    size_t size = strlen ("/v1/jobs/") + strlen (escaped) + strlen (suffix) + 1;
    char *path = malloc (size);
    if (path)
        snprintf (path, size, "/v1/jobs/%s%s", escaped, suffix);
    free (escaped);
    return path;
}

//  Print the server's explanation of an unsuccessful reply.
static void
s_report_reply (long status, const char *body)
{
    char *text = apireply_error_text (status, body);
    s_error ("%s", text ? text : "out of memory");
    free (text);
}

//  Download the result of job_id to output. Returns an exit status.
static int
s_download (apiclient_t *client, const char *job_id, const char *output)
{
    char *path = s_job_path (job_id, "/result");
    if (!path) {
        s_error ("out of memory");
        return EXIT_ERROR;
    }
    long status = 0;
    char *body = NULL;
    int exit_code = EXIT_ERROR;
    int rc = apiclient_download (client, path, output, &status, &body);
    if (rc == -1) {
        s_error ("%s", apiclient_error (client));
        if (s_interrupted)
            exit_code = EXIT_INTERRUPTED;
    } else if (status == 200) {
        printf ("%s\n", output);
        exit_code = EXIT_OK;
    } else if (status == 404)
        s_error ("no job with id %s", job_id);
    else
        s_report_reply (status, body);
    free (body);
    free (path);
    return exit_code;
}

typedef enum {
    S_POLL_OK,        // *reply_p holds the job's status
    S_POLL_TRANSIENT, // the server did not answer usefully; ask again
    S_POLL_FAILED     // no point in asking again
} s_poll_t;

//  Ask once for the job's status. On anything but S_POLL_OK, message says
//  what went wrong.
static s_poll_t
s_poll (apiclient_t *client, const char *path, const char *job_id,
        apireply_t **reply_p, char *message, size_t size)
{
    long status = 0;
    char *body = NULL;
    int rc = apiclient_get (client, path, &status, &body);
    if (rc == -1) {
        snprintf (message, size, "%s", apiclient_error (client));
        return S_POLL_TRANSIENT;
    }
    s_poll_t outcome = S_POLL_FAILED;
    if (status == 200) {
        char reason[APIREPLY_REASON_MAX];
        *reply_p = apireply_parse (body, reason, sizeof reason);
        if (*reply_p)
            outcome = S_POLL_OK;
        else
            snprintf (message, size,
                      "unexpected status of job %s from the server: %s", job_id,
                      reason);
    } else if (status == 404)
        snprintf (message, size, "no job with id %s", job_id);
    else {
        //  A proxy in front of a restarting ventilator answers these.
        if (status == 502 || status == 503 || status == 504)
            outcome = S_POLL_TRANSIENT;
        char *text = apireply_error_text (status, body);
        snprintf (message, size, "%s", text ? text : "out of memory");
        free (text);
    }
    free (body);
    return outcome;
}

//  Poll the job until it ends, showing progress on stderr, then download
//  the result to output when that is not NULL. Returns an exit status.
static int
s_wait (apiclient_t *client, const char *job_id, const char *output)
{
    char message[MESSAGE_MAX] = "";
    int exit_code = EXIT_ERROR;
    apireply_t *reply = NULL;
    char *path = s_job_path (job_id, "");
    progressbar_t *bar =
        progressbar_new (stderr, job_id, s_progress_columns ());
    if (!path || !bar) {
        snprintf (message, sizeof message, "out of memory");
        goto cleanup;
    }
    s_catch_interrupt (client);

    int64_t failing_since = -1; // ms; -1 while the server answers
    char since[WAIT_PATH_MAX] = ""; // "<state>:<chunks done>" seen last
    char wait_path[WAIT_PATH_MAX];
    while (!s_interrupted) {
        if (since[0])
            snprintf (wait_path, sizeof wait_path, "%s?wait_s=%d&since=%s",
                      path, WAIT_CHANGE_S, since);
        else
            snprintf (wait_path, sizeof wait_path, "%s", path);
        int64_t asked_at = s_now_ms ();
        s_poll_t outcome =
            s_poll (client, wait_path, job_id, &reply, message, sizeof message);
        if (s_interrupted)
            break;
        if (outcome == S_POLL_FAILED)
            goto cleanup;
        if (outcome == S_POLL_TRANSIENT) {
            int64_t now = s_now_ms ();
            if (failing_since < 0)
                failing_since = now;
            if (now - failing_since >= WAIT_RETRY_MS)
                goto cleanup;
            s_sleep_ms (WAIT_POLL_MS);
            continue;
        }
        failing_since = -1;
        message[0] = '\0';
        progressbar_rate_t rate = {apireply_pages_per_s (reply),
                                   apireply_eta_s (reply)};
        progressbar_update (bar, apireply_state (reply),
                            apireply_pages_done (reply),
                            apireply_pages_total (reply), &rate);
        if (apireply_finished (reply))
            break;
        char seen[WAIT_PATH_MAX] = "";
        if (apireply_chunks_done (reply) >= 0)
            snprintf (seen, sizeof seen, "%s:%" PRId64, apireply_state (reply),
                      apireply_chunks_done (reply));
        apireply_destroy (&reply);
        //  The same status back well before wait_s: the server did not
        //  wait (one without wait_s), so pace the requests here.
        bool waited = s_now_ms () - asked_at >= WAIT_CHANGE_S * 1000 / 2;
        if (!seen[0] || (strcmp (seen, since) == 0 && !waited))
            s_sleep_ms (WAIT_POLL_MS);
        snprintf (since, sizeof since, "%s", seen);
    }
    if (s_interrupted) {
        exit_code = EXIT_INTERRUPTED;
        snprintf (message, sizeof message,
                  "interrupted; job %s goes on running (pdfpipe cancel %s "
                  "stops it)",
                  job_id, job_id);
        goto cleanup;
    }

    progressbar_finish (bar);
    const char *state = apireply_state (reply);
    if (strcmp (state, "failed") == 0) {
        const char *why = apireply_error (reply);
        snprintf (message, sizeof message, "job %s failed: %s", job_id,
                  why && *why ? why : "the server gave no reason");
        exit_code = EXIT_JOB_FAILED;
    } else if (strcmp (state, "cancelled") == 0) {
        snprintf (message, sizeof message, "job %s was cancelled", job_id);
        exit_code = EXIT_JOB_CANCELLED;
    } else if (output)
        exit_code = s_download (client, job_id, output);
    else
        exit_code = EXIT_OK;

cleanup:
    if (bar)
        progressbar_finish (bar);
    if (message[0])
        s_error ("%s", message);
    progressbar_destroy (&bar);
    apireply_destroy (&reply);
    free (path);
    return exit_code;
}

//  path opened for reading, "-" being standard input; a directory is
//  refused. Returns NULL after saying why.
static FILE *
s_input_open (const char *path)
{
    if (strcmp (path, "-") == 0)
        return stdin;
    FILE *file = fopen (path, "rb");
    if (!file) {
        s_error ("cannot open %s: %s", path, strerror (errno));
        return NULL;
    }
    struct stat info;
    if (fstat (fileno (file), &info) == 0 && S_ISDIR (info.st_mode)) {
        s_error ("%s is a directory", path);
        fclose (file);
        return NULL;
    }
    return file;
}

static void
s_input_close (FILE **file_p)
{
    if (*file_p && *file_p != stdin)
        fclose (*file_p);
    *file_p = NULL;
}

//  How messages call an input: its path, or "standard input" for "-".
static const char *
s_input_name (const char *path)
{
    return strcmp (path, "-") == 0 ? "standard input" : path;
}

//  All of file, with its size in *size_p. Returns NULL after saying why.
//  Caller frees.
static char *
s_input_read (FILE *file, const char *name, size_t *size_p)
{
    size_t size = 0;
    size_t space = 64 * 1024;
    char *text = malloc (space);
    while (text) {
        size += fread (text + size, 1, space - size, file);
        if (size < space)
            break;
        space *= 2;
        char *larger = realloc (text, space);
        if (!larger)
            free (text);
        text = larger;
    }
    if (!text) {
        s_error ("out of memory reading %s", name);
        return NULL;
    }
    if (ferror (file)) {
        s_error ("cannot read %s: %s", name, strerror (errno));
        free (text);
        return NULL;
    }
    *size_p = size;
    return text;
}

static ssize_t
s_jobbody_read (void *arg, char *buffer, size_t size)
{
    return jobbody_read (arg, buffer, size);
}

//  POST the job document of options->operand as it is. Returns S_CONTINUE
//  with the reply in *status_p and *body_p, or an exit status after saying
//  why.
static int
s_post_document (apiclient_t *client, const s_options_t *options,
                 long *status_p, char **body_p)
{
    FILE *upload = s_input_open (options->operand);
    if (!upload)
        return EXIT_ERROR;
    int rc = apiclient_post (client, "/v1/jobs", "application/json", upload,
                             status_p, body_p);
    s_input_close (&upload);
    if (rc == -1) {
        s_error ("%s", apiclient_error (client));
        return EXIT_ERROR;
    }
    return S_CONTINUE;
}

//  POST the job document of options->operand with the records of
//  options->records streamed into it. Returns as s_post_document; a job
//  document or records file found wrong on the way gives EXIT_REJECTED,
//  and then nothing, or an abandoned request, reached the server.
static int
s_post_with_records (apiclient_t *client, const s_options_t *options,
                     long *status_p, char **body_p)
{
    int exit_code = EXIT_ERROR;
    const char *job_name = s_input_name (options->operand);
    const char *records_name = s_input_name (options->records);
    char *job = NULL;
    size_t job_size = 0;
    records_t *records = NULL;
    jobbody_t *body = NULL;
    FILE *records_file = NULL;
    FILE *job_file = s_input_open (options->operand);
    if (!job_file)
        goto cleanup;
    job = s_input_read (job_file, job_name, &job_size);
    if (!job)
        goto cleanup;
    records_file = s_input_open (options->records);
    if (!records_file)
        goto cleanup;
    records = records_new (records_file, records_name, options->records_format);
    if (!records) {
        s_error ("out of memory");
        goto cleanup;
    }
    records_set_csv_numbers (records, options->csv_numbers);
    char reason[JOBBODY_REASON_MAX];
    body =
        jobbody_new (job, job_size, job_name, &records, reason, sizeof reason);
    if (!body) {
        s_error ("%s", reason);
        exit_code = EXIT_REJECTED;
        goto cleanup;
    }
    int rc = apiclient_post_reader (client, "/v1/jobs", "application/json",
                                    s_jobbody_read, body, status_p, body_p);
    if (rc == -1 && *jobbody_error (body)) {
        s_error ("%s", jobbody_error (body));
        exit_code = EXIT_REJECTED;
    } else if (rc == -1)
        s_error ("%s", apiclient_error (client));
    else
        exit_code = S_CONTINUE;

cleanup:
    jobbody_destroy (&body);
    records_destroy (&records);
    s_input_close (&records_file);
    s_input_close (&job_file);
    free (job);
    return exit_code;
}

static int
s_submit (apiclient_t *client, const s_options_t *options)
{
    long status = 0;
    char *body = NULL;
    int exit_code = options->records
                        ? s_post_with_records (client, options, &status, &body)
                        : s_post_document (client, options, &status, &body);
    if (exit_code != S_CONTINUE)
        return exit_code;
    if (status < 200 || status > 299) {
        s_report_reply (status, body);
        free (body);
        return status == 400 || status == 413 || status == 415 ? EXIT_REJECTED
                                                               : EXIT_ERROR;
    }
    char reason[APIREPLY_REASON_MAX];
    char *job_id = apireply_job_id (body, reason, sizeof reason);
    free (body);
    if (!job_id) {
        s_error ("unexpected reply to the submit from the server: %s", reason);
        return EXIT_ERROR;
    }
    //  The id goes out before any waiting, so that a script, or a person
    //  who interrupts the wait, still learns it.
    printf ("%s\n", job_id);
    fflush (stdout);
    exit_code = EXIT_OK;
    if (options->wait || options->output)
        exit_code = s_wait (client, job_id, options->output);
    free (job_id);
    return exit_code;
}

static int
s_status (apiclient_t *client, const s_options_t *options)
{
    char *path = s_job_path (options->operand, "");
    if (!path) {
        s_error ("out of memory");
        return EXIT_ERROR;
    }
    long status = 0;
    char *body = NULL;
    int exit_code = EXIT_ERROR;
    int rc = apiclient_get (client, path, &status, &body);
    if (rc == -1)
        s_error ("%s", apiclient_error (client));
    else if (status == 404)
        s_error ("no job with id %s", options->operand);
    else if (status != 200)
        s_report_reply (status, body);
    else {
        char reason[APIREPLY_REASON_MAX];
        apireply_t *reply = apireply_parse (body, reason, sizeof reason);
        char *pretty = reply ? apireply_pretty (reply) : NULL;
        if (!reply)
            s_error ("unexpected status of job %s from the server: %s",
                     options->operand, reason);
        else if (!pretty)
            s_error ("out of memory");
        else {
            printf ("%s\n", pretty);
            exit_code = EXIT_OK;
        }
        free (pretty);
        apireply_destroy (&reply);
    }
    free (body);
    free (path);
    return exit_code;
}

static int
s_get (apiclient_t *client, const s_options_t *options)
{
    s_catch_interrupt (client);
    return s_download (client, options->operand, options->output);
}

//  Print the state in a status document; the reply to a cancel. Returns an
//  exit status.
static int
s_print_state (const char *job_id, const char *body)
{
    char reason[APIREPLY_REASON_MAX];
    apireply_t *reply = apireply_parse (body, reason, sizeof reason);
    if (!reply) {
        s_error ("unexpected status of job %s from the server: %s", job_id,
                 reason);
        return EXIT_ERROR;
    }
    printf ("%s\n", apireply_state (reply));
    apireply_destroy (&reply);
    return EXIT_OK;
}

static int
s_cancel (apiclient_t *client, const s_options_t *options)
{
    const char *job_id = options->operand;
    char *path = s_job_path (job_id, "");
    if (!path) {
        s_error ("out of memory");
        return EXIT_ERROR;
    }
    long status = 0;
    char *body = NULL;
    int exit_code = EXIT_ERROR;
    int rc = apiclient_delete (client, path, &status, &body);
    //  A cancel answered without a document (204) is followed by a status
    //  request, so the state printed is always the server's.
    if (rc == 0 && status >= 200 && status <= 299 && !*body) {
        free (body);
        rc = apiclient_get (client, path, &status, &body);
    }
    if (rc == -1)
        s_error ("%s", apiclient_error (client));
    else if (status == 404)
        s_error ("no job with id %s", job_id);
    else if (status < 200 || status > 299)
        s_report_reply (status, body);
    else
        exit_code = s_print_state (job_id, body);
    free (body);
    free (path);
    return exit_code;
}

//  Make a key pair (curve_keygen); no API involved.
static int
s_keygen (apiclient_t *client, const s_options_t *options)
{
    (void)client;
    char error[CURVE_ERROR_MAX];
    if (curve_keygen (options->operand, options->operand2, error) == -1) {
        s_error ("%s", error);
        return EXIT_ERROR;
    }
    printf ("%s/%s" CURVE_PUBLIC_SUFFIX "\n%s/%s" CURVE_SECRET_SUFFIX "\n",
            options->operand2, options->operand, options->operand2,
            options->operand);
    return EXIT_OK;
}

//  Make an API token; no API involved. The token goes to stdout only.
static int
s_token (apiclient_t *client, const s_options_t *options)
{
    (void)client;
    if (!apitoken_name_valid (options->operand)) {
        s_error ("a token name is 1 to %d characters of A-Z a-z 0-9 _ -",
                 APITOKEN_NAME_MAX);
        return EXIT_USAGE;
    }
    char token[APITOKEN_TEXT_SIZE], hash[APITOKEN_HASH_SIZE];
    if (apitoken_generate (token) == -1 ||
        apitoken_hash (token, strlen (token), hash) == -1) {
        s_error ("cannot make a token");
        return EXIT_ERROR;
    }
    printf ("%s\n%s %s\n", token, options->operand, hash);
    return EXIT_OK;
}

static const s_command_t s_commands[] = {
    {"submit", s_submit, "a job document", 1, false, true, true, true, false},
    {"status", s_status, "a job id", 1, false, false, false, false, false},
    {"get", s_get, "a job id", 1, false, false, false, true, true},
    {"cancel", s_cancel, "a job id", 1, false, false, false, false, false},
    {"keygen", s_keygen, "a key name and a directory", 2, true, false, false,
     false, false},
    {"token", s_token, "a token name", 1, true, false, false, false, false},
};

static const s_command_t *
s_command_find (const char *name)
{
    for (size_t index = 0; index < sizeof s_commands / sizeof s_commands[0];
         index++)
        if (strcmp (s_commands[index].name, name) == 0)
            return &s_commands[index];
    return NULL;
}

//  Name of the option getopt_long just rejected, as the user typed it.
static const char *
s_bad_option (char **argv, int optopt_value)
{
    static char short_name[3];
    const char *last = optind > 0 ? argv[optind - 1] : NULL;
    if (last && strncmp (last, "--", 2) == 0)
        return last;
    snprintf (short_name, sizeof short_name, "-%c",
              optopt_value ? optopt_value : '?');
    return short_name;
}

//  Check the records options and settle the records format. Returns
//  S_CONTINUE, or EXIT_USAGE after saying what is wrong.
static int
s_parse_records (s_options_t *options, const s_command_t *command,
                 const char *records_format)
{
    const char *stray = options->records       ? "--records"
                        : records_format       ? "--records-format"
                        : options->csv_numbers ? "--csv-numbers"
                                               : NULL;
    if (!stray)
        return S_CONTINUE;
    if (!command->takes_records) {
        s_usage_error ("%s is for submit only", stray);
        return EXIT_USAGE;
    }
    if (!options->records) {
        s_usage_error ("%s goes with --records FILE", stray);
        return EXIT_USAGE;
    }
    if (!*options->records) {
        s_usage_error ("--records needs a file name");
        return EXIT_USAGE;
    }
    if (strcmp (options->records, "-") == 0 &&
        strcmp (options->operand, "-") == 0) {
        s_usage_error ("standard input can hold the job document or the "
                       "records, not both");
        return EXIT_USAGE;
    }
    if (records_format) {
        options->records_format = records_format_named (records_format);
        if (options->records_format == RECORDS_FORMAT_UNKNOWN) {
            s_usage_error ("--records-format must be jsonl or csv, not \"%s\"",
                           records_format);
            return EXIT_USAGE;
        }
    } else if (strcmp (options->records, "-") == 0)
        options->records_format = RECORDS_FORMAT_JSONL;
    else {
        options->records_format = records_format_of_path (options->records);
        if (options->records_format == RECORDS_FORMAT_UNKNOWN) {
            s_usage_error ("cannot tell the format of %s from its name; add "
                           "--records-format jsonl or --records-format csv",
                           options->records);
            return EXIT_USAGE;
        }
    }
    if (options->csv_numbers && options->records_format != RECORDS_FORMAT_CSV) {
        s_usage_error ("--csv-numbers is for CSV records only");
        return EXIT_USAGE;
    }
    return S_CONTINUE;
}

//  Take operand as the command's next one. Returns S_CONTINUE, or
//  EXIT_USAGE after saying there is one too many.
static int
s_add_operand (s_options_t *options, const s_command_t *command,
               const char *operand)
{
    if (!options->operand)
        options->operand = operand;
    else if (command->operand_count == 2 && !options->operand2)
        options->operand2 = operand;
    else {
        s_usage_error ("%s takes %s; \"%s\" is one too many", command->name,
                       command->operands, operand);
        return EXIT_USAGE;
    }
    return S_CONTINUE;
}

//  Fill options from the command line. Global options come before the
//  command; the command's own options may come before or after its
//  operand. Returns S_CONTINUE to run the command, or else the exit status
//  to end with (--help, --version, wrong usage).
static int
s_parse (int argc, char **argv, s_options_t *options,
         const s_command_t **command_p)
{
    static const struct option global_options[] = {
        {"url", required_argument, NULL, 'u'},
        {"token", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    static const struct option command_options[] = {
        {"url", required_argument, NULL, 'u'},
        {"token", required_argument, NULL, 't'},
        {"wait", no_argument, NULL, 'w'},
        {"output", required_argument, NULL, 'o'},
        {"records", required_argument, NULL, S_OPTION_RECORDS},
        {"records-format", required_argument, NULL, S_OPTION_RECORDS_FORMAT},
        {"csv-numbers", no_argument, NULL, S_OPTION_CSV_NUMBERS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *records_format = NULL; // --records-format as given
    opterr = 0;

    //  "+": stop at the command name.
    while (true) {
        int option = getopt_long (argc, argv, "+:u:t:hV", global_options, NULL);
        if (option == -1)
            break;
        switch (option) {
        case 'u':
            options->url = optarg;
            break;
        case 't':
            options->token = optarg;
            break;
        case 'h':
            s_usage (stdout);
            return EXIT_OK;
        case 'V':
            printf ("pdfpipe %s\n", PDFPIPE_VERSION);
            return EXIT_OK;
        case ':':
            s_usage_error ("%s needs a value", s_bad_option (argv, optopt));
            return EXIT_USAGE;
        default:
            s_usage_error ("unknown option %s", s_bad_option (argv, optopt));
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        s_usage (stderr);
        return EXIT_USAGE;
    }
    options->command = argv[optind];
    const s_command_t *command = s_command_find (options->command);
    if (!command) {
        s_usage_error ("unknown command \"%s\"", options->command);
        return EXIT_USAGE;
    }

    //  The command's arguments, parsed afresh: optind = 0 makes glibc
    //  reinitialise, and "-" hands back operands in order as option 1.
    int command_argc = argc - optind;
    char **command_argv = argv + optind;
    optind = 0;
    while (true) {
        int option = getopt_long (command_argc, command_argv, "-:u:t:wo:h",
                                  command_options, NULL);
        if (option == -1)
            break;
        switch (option) {
        case 1:
            if (s_add_operand (options, command, optarg) != S_CONTINUE)
                return EXIT_USAGE;
            break;
        case 'u':
            options->url = optarg;
            break;
        case 't':
            options->token = optarg;
            break;
        case 'w':
            options->wait = true;
            break;
        case 'o':
            options->output = optarg;
            break;
        case S_OPTION_RECORDS:
            options->records = optarg;
            break;
        case S_OPTION_RECORDS_FORMAT:
            records_format = optarg;
            break;
        case S_OPTION_CSV_NUMBERS:
            options->csv_numbers = true;
            break;
        case 'h':
            s_usage (stdout);
            return EXIT_OK;
        case ':':
            s_usage_error ("%s needs a value",
                           s_bad_option (command_argv, optopt));
            return EXIT_USAGE;
        default:
            s_usage_error ("unknown option %s",
                           s_bad_option (command_argv, optopt));
            return EXIT_USAGE;
        }
    }
    //  Whatever follows "--" is an operand too.
    for (; optind < command_argc; optind++)
        if (s_add_operand (options, command, command_argv[optind]) !=
            S_CONTINUE)
            return EXIT_USAGE;

    if (!options->operand ||
        (command->operand_count == 2 && !options->operand2)) {
        s_usage_error ("%s needs %s", command->name, command->operands);
        return EXIT_USAGE;
    }
    if (options->wait && !command->takes_wait) {
        s_usage_error ("--wait is for submit only");
        return EXIT_USAGE;
    }
    if (options->output && !command->takes_output) {
        s_usage_error ("-o is for submit and get only");
        return EXIT_USAGE;
    }
    if (!options->output && command->needs_output) {
        s_usage_error ("%s needs -o OUT.pdf", command->name);
        return EXIT_USAGE;
    }
    if (options->output && strcmp (options->output, "-") == 0) {
        s_usage_error ("-o needs a file name; the PDF is not written to "
                       "standard output");
        return EXIT_USAGE;
    }
    if (options->url && !*options->url) {
        s_usage_error ("--url is empty");
        return EXIT_USAGE;
    }
    int rc = s_parse_records (options, command, records_format);
    if (rc != S_CONTINUE)
        return rc;
    *command_p = command;
    return S_CONTINUE;
}

//  $PDFPIPE_URL, else the ventilator on this machine. Caller frees.
static char *
s_default_url (void)
{
    const char *url = getenv ("PDFPIPE_URL");
    if (url && *url)
        return strdup (url);
    const char *port = getenv ("PDFPIPE_HTTP_PORT");
    if (!port || !*port)
        port = PROTO_HTTP_PORT;
    size_t size = strlen ("http://127.0.0.1:") + strlen (port) + 1;
    char *default_url = malloc (size);
    if (default_url)
        snprintf (default_url, size, "http://127.0.0.1:%s", port);
    return default_url;
}

int
main (int argc, char **argv)
{
    s_options_t options = {0};
    const s_command_t *command = NULL;
    int exit_code = s_parse (argc, argv, &options, &command);
    if (exit_code != S_CONTINUE)
        return exit_code;
    if (command->local) {
        exit_code = command->run (NULL, &options);
        return fflush (stdout) == 0 && !ferror (stdout) ? exit_code
                                                        : EXIT_ERROR;
    }

    char *url = options.url ? strdup (options.url) : s_default_url ();
    if (!url) {
        s_error ("out of memory");
        return EXIT_ERROR;
    }
    apiclient_t *client = apiclient_new (url);
    const char *token =
        options.token ? options.token : getenv ("PDFPIPE_TOKEN");
    if (!client) {
        s_error ("cannot use %s as the API's address; it must be an "
                 "http:// or https:// URL",
                 url);
        exit_code = EXIT_USAGE;
    } else if (token && *token && apiclient_set_token (client, token) == -1) {
        s_error ("the API token (%s) is not a token: it must be printable "
                 "ASCII without spaces",
                 options.token ? "--token" : "$PDFPIPE_TOKEN");
        exit_code = EXIT_USAGE;
    } else
        exit_code = command->run (client, &options);
    apiclient_destroy (&client);
    free (url);

    //  A full disk or a closed pipe on stdout must not pass for success.
    if (fflush (stdout) != 0 || ferror (stdout)) {
        s_error ("cannot write to standard output: %s", strerror (errno));
        if (exit_code == EXIT_OK)
            exit_code = EXIT_ERROR;
    }
    return exit_code;
}
