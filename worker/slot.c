/*  slot - the worker's one rendering slot: a thread that renders a chunk
    and sends its PDF to the sink while the main loop stays free.

    The first half of this file runs on the slot's thread and owns the
    renderer, the template cache (worker/tplcache) and the sink socket; the
   second half runs on the main thread. They share nothing but the pipe, and a
   chunk is owned by exactly one side at a time.

    SPDX-License-Identifier: MPL-2.0
*/
#include "slot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fielderr.h"
#include "joblimits.h"
#include "jobspec.h"
#include "jsondoc.h"
#include "log.h"
#include "render.h"
#include "template.h"
#include "tplcache.h"

//  ---------------------------------------------------------------------
//  The slot's thread

typedef struct {
    zsock_t *sink;
    render_t *render;
    tplcache_t *templates; // parsed templates of the last few jobs
} s_thread_t;

//  Checks what render cannot: that the chunk's numbers agree with each
//  other. Returns 0, or -1 with the reason in err.
static int
s_chunk_check (const wire_t *chunk, fielderr_t *err)
{
    uint32_t first_page = wire_first_page (chunk);
    uint32_t page_count = wire_page_count (chunk);
    uint32_t total_pages = wire_total_pages (chunk);
    if (page_count < 1 || page_count > JOBSPEC_CHUNK_PAGES_MAX) {
        fielderr_set (err, "page_count", "%" PRIu32 " is not in 1..%d",
                      page_count, JOBSPEC_CHUNK_PAGES_MAX);
        return -1;
    }
    if (first_page < 1) {
        fielderr_set (err, "first_page", "must be at least 1");
        return -1;
    }
    if ((uint64_t)first_page + page_count - 1 > total_pages) {
        fielderr_set (
            err, "",
            "pages %" PRIu32 "-%" PRIu64 " lie beyond total_pages %" PRIu32,
            first_page, (uint64_t)first_page + page_count - 1, total_pages);
        return -1;
    }
    return 0;
}

//  Render a chunk. Returns the PDF frame, or NULL with the reason in err,
//  or NULL with *missing set when the chunk came without its template and
//  none is kept under its digest.
static zframe_t *
s_chunk_render (s_thread_t *self, const wire_t *chunk, fielderr_t *err,
                bool *missing)
{
    *missing = false;
    if (s_chunk_check (chunk, err))
        return NULL;
    const char *template_json = wire_template_json (chunk);
    const template_t *tpl = NULL;
    if (*template_json)
        tpl = tplcache_put (self->templates, wire_digest (chunk), template_json,
                            strlen (template_json), err);
    else {
        tpl = tplcache_lookup (self->templates, wire_digest (chunk));
        *missing = !tpl;
    }
    if (!tpl)
        return NULL;
    const char *records_json = wire_records_json (chunk);
    size_t records_bytes = strlen (records_json);
    //  Before parsing, which takes several times the text in memory.
    if (joblimits_check_chunk (joblimits_get (), records_bytes, err))
        return NULL;
    fielderr_t parse_err;
    cJSON *records = jsondoc_parse (records_json, records_bytes,
                                    JOBSPEC_NESTING_MAX, &parse_err);
    if (!records) {
        fielderr_set (err, "records", "%s", parse_err.message);
        return NULL;
    }
    if (!cJSON_IsArray (records)) {
        fielderr_set (err, "records", "not a JSON array");
        cJSON_Delete (records);
        return NULL;
    }
    int record_count = cJSON_GetArraySize (records);
    if (record_count < 0 || (uint32_t)record_count != wire_page_count (chunk)) {
        fielderr_set (err, "records",
                      "%d records for page_count %" PRIu32 " (one page each)",
                      record_count, wire_page_count (chunk));
        cJSON_Delete (records);
        return NULL;
    }
    //  One page per record: global page p shows job record p - 1.
    uint32_t record_nbr = wire_first_page (chunk) - 1;
    //  What each page would cost is counted before any is drawn: libharu
    //  holds the whole chunk until it saves.
    joblimits_tally_t tally;
    joblimits_tally_init (&tally, wire_page_count (chunk));
    const cJSON *record;
    cJSON_ArrayForEach (record, records)
    {
        if (!cJSON_IsObject (record)) {
            char field[FIELDERR_FIELD_MAX];
            snprintf (field, sizeof (field), "records[%" PRIu32 "]",
                      record_nbr);
            fielderr_set (err, field, "must be an object");
            cJSON_Delete (records);
            return NULL;
        }
        subst_vars_t vars = {record_nbr + 1, wire_total_pages (chunk),
                             record_nbr, NULL, NULL};
        joblimits_page_t cost;
        if (template_check_record_cost (tpl, record, &vars, NULL, NULL, &cost,
                                        err) ||
            joblimits_check_page (joblimits_get (), &tally, &cost, record_nbr,
                                  0, err)) {
            cJSON_Delete (records);
            return NULL;
        }
        record_nbr++;
    }
    render_range_t range = {
        .first_page = wire_first_page (chunk),
        .total_pages = wire_total_pages (chunk),
        .first_record = wire_first_page (chunk) - 1,
    };
    zframe_t *pdf = NULL;
    render_chunk (self->render, tpl, records, &range, &pdf, err);
    cJSON_Delete (records);
    return pdf;
}

//  A result that cannot be sent is left to the ventilator's deadline.
static void
s_send_result (s_thread_t *self, const wire_t *chunk, zframe_t **pdf_p)
{
    wire_t *result = wire_new (WIRE_RESULT);
    wire_set_job_id (result, wire_job_id (chunk));
    wire_set_chunk_nbr (result, wire_chunk_nbr (chunk));
    wire_set_attempt (result, wire_attempt (chunk));
    wire_set_first_page (result, wire_first_page (chunk));
    wire_set_page_count (result, wire_page_count (chunk));
    wire_set_total_pages (result, wire_total_pages (chunk));
    wire_set_chunk_count (result, wire_chunk_count (chunk));
    wire_set_pdf (result, pdf_p);
    if (wire_send (result, self->sink))
        log_error ("job=%s chunk=%" PRIu32 " could not send the result to "
                   "the sink: %s; the ventilator will re-dispatch it",
                   wire_job_id (chunk), wire_chunk_nbr (chunk),
                   zmq_strerror (zmq_errno ()));
    wire_destroy (&result);
}

//  Render one chunk and send its result. Fills error ("" unless failed).
static slot_outcome_t
s_handle_chunk (s_thread_t *self, const wire_t *chunk, char *error)
{
    int64_t started = zclock_mono ();
    fielderr_t err = {"", ""};
    error[0] = '\0';
    bool missing;
    zframe_t *pdf = s_chunk_render (self, chunk, &err, &missing);
    if (missing) {
        char hex[TPLDIGEST_HEX_SIZE];
        log_info ("job=%s chunk=%" PRIu32 " came without its template %.12s, "
                  "which this worker does not keep; asking for it",
                  wire_job_id (chunk), wire_chunk_nbr (chunk),
                  tpldigest_hex (wire_digest (chunk), hex));
        return SLOT_TEMPLATE_MISS;
    }
    if (!pdf) {
        fielderr_format (&err, error, SLOT_ERROR_MAX);
        if (!*error)
            snprintf (error, SLOT_ERROR_MAX, "the renderer gave no reason");
        return SLOT_FAILED;
    }
    size_t pdf_size = zframe_size (pdf);
    s_send_result (self, chunk, &pdf);
    log_info ("job=%s chunk=%" PRIu32 " pages=%" PRIu32 "-%" PRIu32
              " rendered in %d ms (%zu bytes)",
              wire_job_id (chunk), wire_chunk_nbr (chunk),
              wire_first_page (chunk),
              wire_first_page (chunk) + wire_page_count (chunk) - 1,
              (int)(zclock_mono () - started), pdf_size);
    return SLOT_RENDERED;
}

static void
s_thread (zsock_t *pipe, void *args)
{
    s_thread_t *self = (s_thread_t *)args;
    zsock_signal (pipe, 0);
    char error[SLOT_ERROR_MAX];
    while (true) {
        zmsg_t *msg = zmsg_recv (pipe);
        //  A signal breaks the wait; only $TERM (or the end of the whole
        //  context) ends the thread, so a chunk handed over is always
        //  answered and slot_destroy never waits for nothing.
        if (!msg) {
            if (zmq_errno () == ETERM)
                break;
            continue;
        }
        //  A command frame ($TERM) or a pointer frame from slot_submit.
        zframe_t *frame = zmsg_first (msg);
        bool terminate = !frame || zframe_streq (frame, "$TERM");
        if (!terminate && zframe_size (frame) == sizeof (wire_t *)) {
            wire_t *chunk = NULL;
            memcpy (&chunk, zframe_data (frame), sizeof chunk);
            slot_outcome_t outcome = s_handle_chunk (self, chunk, error);
            zsock_send (pipe, "pis", chunk, (int)outcome, error);
        }
        zmsg_destroy (&msg);
        if (terminate)
            break;
    }
    tplcache_destroy (&self->templates);
    render_destroy (&self->render);
    zsock_destroy (&self->sink);
    free (self);
}

//  ---------------------------------------------------------------------
//  The main thread's side

struct _slot_t {
    zactor_t *actor;
    bool busy;       // a chunk is with the thread
    wire_t *waiting; // the next one, or NULL
};

slot_t *
slot_new (zsock_t **sink_p)
{
    assert (sink_p && *sink_p);
    s_thread_t *thread = (s_thread_t *)zmalloc (sizeof (s_thread_t));
    thread->render = render_new ();
    thread->templates = tplcache_new (TPLCACHE_TEMPLATES, TPLCACHE_BYTES_MAX);
    if (!thread->render || !thread->templates) {
        render_destroy (&thread->render);
        tplcache_destroy (&thread->templates);
        free (thread);
        return NULL;
    }
    //  Made on this thread, used only on the slot's from here on; starting
    //  the thread is the memory barrier ZeroMQ asks for.
    thread->sink = *sink_p;
    *sink_p = NULL;
    slot_t *self = (slot_t *)zmalloc (sizeof (slot_t));
    self->actor = zactor_new (s_thread, thread);
    if (!self->actor) {
        render_destroy (&thread->render);
        tplcache_destroy (&thread->templates);
        zsock_destroy (&thread->sink);
        free (thread);
        free (self);
        return NULL;
    }
    return self;
}

void
slot_destroy (slot_t **self_p)
{
    assert (self_p);
    slot_t *self = *self_p;
    if (!self)
        return;
    //  The chunk in progress ends first (its result goes to the sink); its
    //  report holds the chunk, which is ours to free. A signal may break
    //  the wait, hence the few tries. The chunk waiting is not started.
    wire_destroy (&self->waiting);
    for (int tries = 0; self->busy && tries < 3; tries++) {
        wire_t *chunk = NULL;
        char error[SLOT_ERROR_MAX];
        slot_recv (self, &chunk, error);
        wire_destroy (&chunk);
    }
    zactor_destroy (&self->actor);
    free (self);
    *self_p = NULL;
}

zsock_t *
slot_sock (slot_t *self)
{
    assert (self);
    return zactor_sock (self->actor);
}

bool
slot_busy (slot_t *self)
{
    assert (self);
    return self->busy;
}

size_t
slot_held (slot_t *self)
{
    assert (self);
    return (self->busy ? 1 : 0) + (self->waiting ? 1 : 0);
}

//  To the thread, which must be free.
static int
s_start (slot_t *self, wire_t **chunk_p)
{
    assert (!self->busy);
    if (zsock_send (self->actor, "p", *chunk_p) == -1)
        return -1;
    *chunk_p = NULL;
    self->busy = true;
    return 0;
}

int
slot_submit (slot_t *self, wire_t **chunk_p)
{
    assert (self);
    assert (chunk_p && *chunk_p);
    if (!self->busy && !self->waiting)
        return s_start (self, chunk_p);
    if (self->waiting)
        return -1;
    self->waiting = *chunk_p;
    *chunk_p = NULL;
    return 0;
}

wire_t *
slot_take_waiting (slot_t *self)
{
    assert (self);
    wire_t *chunk = self->waiting;
    self->waiting = NULL;
    return chunk;
}

slot_outcome_t
slot_recv (slot_t *self, wire_t **chunk_p, char *error)
{
    assert (self);
    assert (chunk_p);
    assert (error);
    *chunk_p = NULL;
    error[0] = '\0';
    void *chunk = NULL;
    int outcome = SLOT_FAILED;
    char *text = NULL;
    if (zsock_recv (self->actor, "pis", &chunk, &outcome, &text) == -1 ||
        !chunk) {
        zstr_free (&text);
        return SLOT_FAILED;
    }
    self->busy = false;
    *chunk_p = (wire_t *)chunk;
    snprintf (error, SLOT_ERROR_MAX, "%s", text ? text : "");
    zstr_free (&text);
    //  Only $TERM or the end of the context stops an inproc send: the
    //  chunk then stays waiting, and a worker leaving gives it back.
    if (self->waiting && s_start (self, &self->waiting) == -1)
        log_error ("job=%s chunk=%" PRIu32 " cannot reach the render thread",
                   wire_job_id (self->waiting),
                   wire_chunk_nbr (self->waiting));
    return (slot_outcome_t)outcome;
}
