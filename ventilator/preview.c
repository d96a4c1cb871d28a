/*  preview - one page of a job document rendered at once (POST /v1/preview).

    A request is held by the HTTP side and, once its body is complete, by
    a thread of its own (a reference each), and freed by whichever lets go
    last; the slot it takes is given back when it is freed, so a preview
    whose client went away still counts until its renderer has ended. One
    mutex guards the counts and the hand-over of each answer.

    The document's records go to a sink in memory (the body is bounded),
    of which only those up to the page are kept (jobreader_set_records_max).

    SPDX-License-Identifier: MPL-2.0
*/
#include "preview.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "bytebuf.h"
#include "fetch.h"
#include "joblimits.h"
#include "jobreader.h"
#include "log.h"
#include "previewreq.h"
#include "sandbox.h"

//  Options the worker gets for the job limits, and room for its argv.
#define S_ARGV_MAX 24
#define S_NUMBER_TEXT 24

struct _preview_t {
    preview_config_t config;
    pthread_mutex_t mutex;
    pthread_cond_t idle; // a thread ended
    size_t in_progress;  // requests not yet freed (under the mutex)
    size_t threads;      // threads running (under the mutex)
    bool stopping;       // under the mutex
};

struct _preview_request_t {
    preview_t *preview;
    uint32_t page;
    preview_format_t format;
    bytebuf_t body;
    bool too_large;
    int refs; // under the mutex
    //  Under the mutex:
    bool known;
    bool suspended;
    preview_wake_fn *resume;
    void *resume_arg;
    //  Written by the thread before known is set, and never again.
    preview_answer_t answer;
    bytebuf_t output;
};

//  The records of the document, kept in memory one line each.
typedef struct {
    bytebuf_t lines;
    size_t read_at; // next record to read back
} s_records_t;

static void
s_answer_error (preview_answer_t *answer, unsigned int status,
                const char *field, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_answer_error (preview_answer_t *answer, unsigned int status,
                const char *field, const char *format, ...)
{
    answer->status = status;
    answer->content_type = NULL;
    answer->data = NULL;
    answer->size = 0;
    va_list args;
    va_start (args, format);
    snprintf (answer->error.field, sizeof answer->error.field, "%s", field);
    vsnprintf (answer->error.message, sizeof answer->error.message, format,
               args);
    va_end (args);
}

static int
s_records_append (void *arg, const char *json, size_t size)
{
    s_records_t *records = (s_records_t *)arg;
    if (bytebuf_append (&records->lines, json, size) == -1 ||
        bytebuf_append (&records->lines, "\n", 1) == -1)
        return -1;
    return 0;
}

static int
s_records_rewind (void *arg, uint32_t chunk_pages)
{
    (void)chunk_pages;
    ((s_records_t *)arg)->read_at = 0;
    return 0;
}

static int
s_records_next (void *arg, const char **json_p, size_t *size_p)
{
    s_records_t *records = (s_records_t *)arg;
    if (records->read_at >= records->lines.size)
        return 0;
    const char *json = records->lines.data + records->read_at;
    const char *end = (const char *)memchr (
        json, '\n', records->lines.size - records->read_at);
    assert (end);
    *json_p = json;
    *size_p = (size_t)(end - json);
    records->read_at += *size_p + 1;
    return 1;
}

//  Read the document as a submission is read, keeping the records up to
//  the page. Returns the job, or NULL with the answer filled.
static jobspec_t *
s_read (preview_request_t *request, s_records_t *records)
{
    static const jobreader_sink_t sink = {s_records_append, s_records_rewind,
                                          s_records_next};
    preview_answer_t *answer = &request->answer;
    jobreader_t *reader = jobreader_new (&sink, records);
    if (!reader) {
        s_answer_error (answer, 500, "", "out of memory");
        return NULL;
    }
    jobreader_set_records_max (reader, request->page);
    jobspec_t *spec = NULL;
    fielderr_t err = {"", ""};
    if (jobreader_feed (reader, request->body.data, request->body.size) == 0 &&
        jobreader_feed_end (reader) == 0 &&
        fetch_for_reader (
            request->preview->config.s3, request->preview->config.s3_inputs,
            reader, request->preview->config.body_max, "preview", &err) == 0)
        spec = jobreader_finish (reader);
    if (!spec) {
        if (!*err.message)
            err = *jobreader_error (reader);
        s_answer_error (answer, records->lines.failed ? 500 : 400, err.field,
                        "%s", err.message);
    }
    jobreader_destroy (&reader);
    return spec;
}

//  The worker's argv: --preview and the ventilator's job limits.
static void
s_worker_argv (const char *path, const char **argv,
               char numbers[][S_NUMBER_TEXT])
{
    const joblimits_t *limits = joblimits_get ();
    struct {
        const char *name;
        long value;
    } options[] = {
        {"--max-image-mp", limits->image_mp},
        {"--max-job-image-mp", limits->job_image_mp},
        {"--max-page-items", limits->page_items},
        {"--max-page-text-kb", limits->page_text_kb},
        {"--max-chunk-records-mb", limits->chunk_records_mb},
        {"--max-job-text-mb", limits->job_text_mb},
    };
    size_t count = 0;
    argv[count++] = path;
    argv[count++] = "--preview";
    for (size_t index = 0; index < sizeof options / sizeof options[0];
         index++) {
        snprintf (numbers[index], S_NUMBER_TEXT, "%ld", options[index].value);
        argv[count++] = options[index].name;
        argv[count++] = numbers[index];
    }
    argv[count] = NULL;
    assert (count < S_ARGV_MAX);
}

//  Run one helper; on success its output is in request->output. Returns
//  0, or -1 with the answer filled (what names the helper in it).
static int
s_run (preview_request_t *request, const char *const *argv, const char *what,
       const void *input, size_t input_size, int64_t deadline)
{
    preview_t *self = request->preview;
    sandbox_config_t config = {
        .argv = argv,
        .input = input,
        .input_size = input_size,
        .output_max = PREVIEW_OUTPUT_BYTES_MAX,
        .timeout_ms = deadline - zclock_mono (),
        .memory_bytes = self->config.memory_mb * 1024 * 1024,
        .cpu_s = (unsigned int)(self->config.timeout_ms / 1000 + 1),
    };
    sandbox_result_t result;
    bytebuf_free (&request->output);
    int rc = sandbox_run (&config, &result);
    request->output = result.output;
    if (rc == 0)
        return 0;
    char how[160];
    if (result.outcome == SANDBOX_TIMED_OUT)
        snprintf (how, sizeof how,
                  "took longer than the preview's limit of %" PRId64
                  " ms (--preview-timeout-s) and was stopped",
                  self->config.timeout_ms);
    else
        sandbox_describe (&config, &result, how, sizeof how);
    //  A page the renderer refused, with its reason, is the document's.
    if (result.outcome == SANDBOX_EXITED &&
        result.status == PREVIEWREQ_EXIT_REFUSED && result.output.size) {
        char *line = request->output.data;
        line[strcspn (line, "\n")] = '\0';
        char *tab = strchr (line, '\t');
        if (tab) {
            *tab = '\0';
            s_answer_error (&request->answer, 400, line, "%s", tab + 1);
            return -1;
        }
    }
    for (char *cursor = result.errors; *cursor; cursor++)
        if (*cursor == '\n' && cursor[1])
            *cursor = '|';
    log_warning ("preview: page %" PRIu32 ": %s %s%s%s", request->page, what,
                 how, *result.errors ? "; it said: " : "", result.errors);
    s_answer_error (&request->answer, 500, "", "the preview's %s %s", what,
                    how);
    return -1;
}

//  Render the page: the answer, or an error in it.
static void
s_render (preview_request_t *request, jobspec_t *spec, const char *record,
          size_t record_size, int64_t deadline)
{
    preview_t *self = request->preview;
    char *template_json = jobspec_template_json (spec);
    if (!template_json) {
        s_answer_error (&request->answer, 500, "", "out of memory");
        return;
    }
    previewreq_t header = {
        .page = request->page,
        .pages = jobspec_pages (spec),
        .template_bytes = strlen (template_json),
        .record_bytes = record_size,
    };
    char line[PREVIEWREQ_HEADER_MAX];
    size_t line_size = previewreq_format (&header, line);
    bytebuf_t input = {0};
    bytebuf_append (&input, line, line_size);
    bytebuf_append (&input, template_json, header.template_bytes);
    bytebuf_append (&input, record, record_size);
    free (template_json);
    if (input.failed) {
        bytebuf_free (&input);
        s_answer_error (&request->answer, 500, "", "out of memory");
        return;
    }
    const char *argv[S_ARGV_MAX];
    char numbers[S_ARGV_MAX][S_NUMBER_TEXT];
    s_worker_argv (self->config.worker_path, argv, numbers);
    int rc = s_run (request, argv, "renderer (pdfpipe-worker --preview)",
                    input.data, input.size, deadline);
    bytebuf_free (&input);
    if (rc)
        return;
    if (request->format == PREVIEW_PNG) {
        char dpi[S_NUMBER_TEXT];
        snprintf (dpi, sizeof dpi, "%d", PREVIEW_PNG_DPI);
        const char *png_argv[] = {self->config.pdftoppm_path,
                                  "-png",
                                  "-r",
                                  dpi,
                                  "-singlefile",
                                  "-",
                                  NULL};
        bytebuf_t pdf = request->output;
        memset (&request->output, 0, sizeof request->output);
        rc = s_run (request, png_argv, "PNG converter (pdftoppm)", pdf.data,
                    pdf.size, deadline);
        bytebuf_free (&pdf);
        if (rc)
            return;
    }
    request->answer.status = 200;
    request->answer.content_type =
        request->format == PREVIEW_PNG ? "image/png" : "application/pdf";
    request->answer.data = request->output.data;
    request->answer.size = request->output.size;
}

//  The whole preview, on its thread.
static void
s_work (preview_request_t *request)
{
    int64_t started = zclock_mono ();
    int64_t deadline = started + request->preview->config.timeout_ms;
    s_records_t records = {{0}, 0};
    jobspec_t *spec = s_read (request, &records);
    bytebuf_free (&request->body);
    if (!spec) {
        bytebuf_free (&records.lines);
        return;
    }
    uint32_t pages = jobspec_pages (spec);
    if (request->page > pages)
        s_answer_error (&request->answer, 400, "",
                        "page %" PRIu32 " is past the last record (%" PRIu32
                        " record%s)",
                        request->page, pages, pages == 1 ? "" : "s");
    else {
        //  The page's record is the last one kept.
        const char *json = NULL;
        size_t size = 0;
        s_records_rewind (&records, 0);
        for (uint32_t nbr = 0; nbr < request->page; nbr++)
            s_records_next (&records, &json, &size);
        s_render (request, spec, json, size, deadline);
    }
    jobspec_destroy (&spec);
    bytebuf_free (&records.lines);
    log_info (
        "preview: page %" PRIu32 " of %" PRIu32 " (%s): %u in %" PRId64 " ms",
        request->page, pages, request->format == PREVIEW_PNG ? "png" : "pdf",
        request->answer.status, zclock_mono () - started);
}

//  Free request once neither side holds it. Called under the mutex.
static void
s_release (preview_request_t *request)
{
    assert (request->refs > 0);
    if (--request->refs > 0)
        return;
    preview_t *self = request->preview;
    assert (self->in_progress > 0);
    self->in_progress--;
    bytebuf_free (&request->body);
    bytebuf_free (&request->output);
    free (request);
}

static void *
s_thread (void *arg)
{
    preview_request_t *request = (preview_request_t *)arg;
    preview_t *self = request->preview;
    //  Writing to a renderer that has gone is an EPIPE (ventilator/sandbox).
    sigset_t pipe_set;
    sigemptyset (&pipe_set);
    sigaddset (&pipe_set, SIGPIPE);
    pthread_sigmask (SIG_BLOCK, &pipe_set, NULL);
    s_work (request);
    pthread_mutex_lock (&self->mutex);
    request->known = true;
    if (request->suspended && request->resume) {
        request->suspended = false;
        request->resume (request->resume_arg);
    }
    s_release (request);
    self->threads--;
    pthread_cond_broadcast (&self->idle);
    pthread_mutex_unlock (&self->mutex);
    return NULL;
}

char *
preview_find_worker (void)
{
    char self_path[PATH_MAX];
    ssize_t length =
        readlink ("/proc/self/exe", self_path, sizeof self_path - 1);
    if (length > 0) {
        self_path[length] = '\0';
        char *slash = strrchr (self_path, '/');
        if (slash)
            *slash = '\0';
        const char *places[] = {"%s/pdfpipe-worker",
                                "%s/../worker/pdfpipe-worker"};
        for (size_t index = 0; index < 2; index++) {
            char *path = zsys_sprintf (places[index], self_path);
            if (path && access (path, X_OK) == 0)
                return path;
            zstr_free (&path);
        }
    }
    log_warning ("preview: no pdfpipe-worker beside this program: "
                 "POST /v1/preview answers 503 (--preview-worker)");
    return NULL;
}

preview_t *
preview_new (const preview_config_t *config)
{
    assert (config);
    preview_t *self = (preview_t *)zmalloc (sizeof (preview_t));
    if (!self)
        return NULL;
    self->config = *config;
    if (!self->config.pdftoppm_path)
        self->config.pdftoppm_path = PREVIEW_PDFTOPPM_DEFAULT;
    if (!self->config.at_once)
        self->config.at_once = PREVIEW_AT_ONCE_DEFAULT;
    if (!self->config.body_max)
        self->config.body_max = PREVIEW_BODY_BYTES_DEFAULT;
    if (!self->config.timeout_ms)
        self->config.timeout_ms = PREVIEW_TIMEOUT_MS_DEFAULT;
    if (!self->config.memory_mb)
        self->config.memory_mb = PREVIEW_MEMORY_MB_DEFAULT;
    pthread_mutex_init (&self->mutex, NULL);
    pthread_cond_init (&self->idle, NULL);
    return self;
}

void
preview_stop (preview_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    self->stopping = true;
    while (self->threads > 0)
        pthread_cond_wait (&self->idle, &self->mutex);
    pthread_mutex_unlock (&self->mutex);
}

void
preview_destroy (preview_t **self_p)
{
    assert (self_p);
    preview_t *self = *self_p;
    if (!self)
        return;
    preview_stop (self);
    pthread_cond_destroy (&self->idle);
    pthread_mutex_destroy (&self->mutex);
    free (self);
    *self_p = NULL;
}

size_t
preview_body_max (const preview_t *self)
{
    assert (self);
    return self->config.body_max;
}

preview_request_t *
preview_begin (preview_t *self, uint32_t page, preview_format_t format,
               uint64_t expected_bytes, preview_answer_t *answer)
{
    assert (self);
    assert (answer);
    memset (answer, 0, sizeof *answer);
    if (!self->config.worker_path) {
        s_answer_error (answer, 503, "",
                        "previews are off: the ventilator knows no "
                        "pdfpipe-worker (--preview-worker)");
        return NULL;
    }
    if (expected_bytes > self->config.body_max) {
        s_answer_error (answer, 413, "",
                        "a preview's job document may have at most %zu "
                        "bytes (--preview-max-body-mb); preview with fewer "
                        "records",
                        self->config.body_max);
        return NULL;
    }
    pthread_mutex_lock (&self->mutex);
    bool busy = self->stopping || self->in_progress >= self->config.at_once;
    if (!busy)
        self->in_progress++;
    pthread_mutex_unlock (&self->mutex);
    if (busy) {
        s_answer_error (answer, 503, "",
                        "%zu previews are being rendered, the most at once; "
                        "retry in a moment",
                        self->config.at_once);
        return NULL;
    }
    preview_request_t *request =
        (preview_request_t *)zmalloc (sizeof (preview_request_t));
    assert (request);
    request->preview = self;
    request->page = page;
    request->format = format;
    request->refs = 1;
    return request;
}

int
preview_write (preview_request_t *request, const void *data, size_t size)
{
    assert (request);
    if (!request->too_large &&
        size > request->preview->config.body_max - request->body.size)
        request->too_large = true;
    if (request->too_large) {
        bytebuf_free (&request->body);
        return -1;
    }
    if (bytebuf_append (&request->body, data, size) == -1) {
        request->too_large = true;
        return -1;
    }
    return 0;
}

bool
preview_end (preview_request_t *request, preview_wake_fn *suspend,
             preview_wake_fn *resume, void *arg)
{
    assert (request);
    assert (suspend && resume);
    preview_t *self = request->preview;
    if (request->too_large) {
        s_answer_error (&request->answer, 413, "",
                        "a preview's job document may have at most %zu "
                        "bytes (--preview-max-body-mb); preview with fewer "
                        "records",
                        self->config.body_max);
        request->known = true;
        return true;
    }
    pthread_mutex_lock (&self->mutex);
    request->refs++;
    self->threads++;
    suspend (arg);
    request->suspended = true;
    request->resume = resume;
    request->resume_arg = arg;
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init (&attributes);
    pthread_attr_setdetachstate (&attributes, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create (&thread, &attributes, s_thread, request);
    pthread_attr_destroy (&attributes);
    if (rc != 0) {
        log_error ("preview: cannot start a thread: %s", strerror (rc));
        request->refs--;
        self->threads--;
        request->suspended = false;
        resume (arg);
        s_answer_error (&request->answer, 503, "",
                        "the preview could not be started; retry in a "
                        "moment");
        request->known = true;
    }
    pthread_mutex_unlock (&self->mutex);
    return false;
}

const preview_answer_t *
preview_answer (preview_request_t *request)
{
    assert (request);
    preview_t *self = request->preview;
    pthread_mutex_lock (&self->mutex);
    bool known = request->known;
    pthread_mutex_unlock (&self->mutex);
    assert (known);
    return &request->answer;
}

void
preview_drop (preview_request_t **request_p)
{
    assert (request_p);
    preview_request_t *request = *request_p;
    if (!request)
        return;
    preview_t *self = request->preview;
    pthread_mutex_lock (&self->mutex);
    request->resume = NULL;
    request->suspended = false;
    s_release (request);
    pthread_mutex_unlock (&self->mutex);
    *request_p = NULL;
}
