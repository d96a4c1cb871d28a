/*  wire - every message pdfpipe processes send each other (docs/protocol.md).

    Each command has a fixed list of fields; s_layouts below is the single
    table both the encoder and the decoder read, so they cannot disagree.
    A decoder that meets anything unexpected says what and where in a
    reason string; the caller logs it with the peer and drops the message.

    SPDX-License-Identifier: MPL-2.0
*/
#include "wire.h"

#include "ident.h"
#include "hex.h"
#include "log.h"

#include <string.h>

typedef enum {
    F_END = 0,
    F_JOB_ID,
    F_CHUNK_NBR,
    F_ATTEMPT,
    F_FIRST_PAGE,
    F_PAGE_COUNT,
    F_TOTAL_PAGES,
    F_CHUNK_COUNT,
    F_CREDITS,
    F_BYTES,
    F_ERROR,    // the text field: CHUNK_FAILED
    F_STATE,    // the text field: JOB_STATE
    F_LOCATION, // the text field: JOB_DONE
    F_REASON,   // the text field: JOB_FAILED
    F_KEY,      // the text field: OUTPUT
    F_TEMPLATE,
    F_RECORDS,
    F_PDF,
    F_FILENAME,
    F_DIGEST,
} s_field_t;

#define S_FIELDS_MAX 12
//  A CURVE public key as Z85 text (40 characters) and its NUL.
#define S_USER_ID_SIZE 41

typedef struct {
    wire_id_t id;
    const char *command;
    s_field_t fields[S_FIELDS_MAX]; // in frame order, F_END terminated
} s_layout_t;

static const s_layout_t s_layouts[] = {
    {WIRE_READY, "READY", {F_CREDITS}},
    {WIRE_HEARTBEAT, "HEARTBEAT", {F_CREDITS}},
    {WIRE_CHUNK,
     "CHUNK",
     {F_JOB_ID, F_CHUNK_NBR, F_ATTEMPT, F_FIRST_PAGE, F_PAGE_COUNT,
      F_TOTAL_PAGES, F_CHUNK_COUNT, F_DIGEST, F_TEMPLATE, F_RECORDS}},
    {WIRE_RESULT,
     "RESULT",
     {F_JOB_ID, F_CHUNK_NBR, F_ATTEMPT, F_FIRST_PAGE, F_PAGE_COUNT,
      F_TOTAL_PAGES, F_CHUNK_COUNT, F_PDF}},
    {WIRE_CHUNK_FAILED,
     "CHUNK_FAILED",
     {F_JOB_ID, F_CHUNK_NBR, F_ATTEMPT, F_ERROR}},
    {WIRE_CANCEL, "CANCEL", {F_JOB_ID}},
    {WIRE_STORED, "STORED", {F_JOB_ID, F_CHUNK_NBR, F_PAGE_COUNT}},
    {WIRE_JOB_STATE, "JOB_STATE", {F_JOB_ID, F_STATE}},
    {WIRE_JOB_DONE, "JOB_DONE", {F_JOB_ID, F_BYTES, F_LOCATION}},
    {WIRE_JOB_FAILED, "JOB_FAILED", {F_JOB_ID, F_REASON}},
    {WIRE_QUERY, "QUERY", {F_JOB_ID}},
    {WIRE_OUTPUT, "OUTPUT", {F_JOB_ID, F_KEY, F_FILENAME}},
    //  credits: chunks finished since the worker's last READY (0 or 1).
    {WIRE_LEAVING, "LEAVING", {F_CREDITS}},
    {WIRE_TEMPLATE_MISS,
     "TEMPLATE_MISS",
     {F_JOB_ID, F_CHUNK_NBR, F_ATTEMPT, F_DIGEST}},
};

#define S_LAYOUT_COUNT (sizeof (s_layouts) / sizeof (s_layouts[0]))

struct _wire_t {
    wire_id_t id;
    zframe_t *routing_id;
    char job_id[PROTO_JOB_ID_MAX + 1];
    uint32_t chunk_nbr;
    uint32_t attempt;
    uint32_t first_page;
    uint32_t page_count;
    uint32_t total_pages;
    uint32_t chunk_count;
    uint32_t credits;
    uint64_t bytes;
    tpldigest_t digest;
    char *text; // the one text field of its command: error, state, ...
    char *template_json;
    char *records_json;
    zframe_t *pdf;
    char *filename;
    char peer[2 * 256 + 1];       // routing id for logs, text or hex
    char user_id[S_USER_ID_SIZE]; // the sender's CURVE key (Z85), or ""
};

//  Write a routing id for logs into peer (2 * 256 + 1 bytes): as text when
//  every byte is printable ASCII, else as hex.
static void
s_peer_text (zframe_t *routing_id, char *peer)
{
    size_t size = zframe_size (routing_id);
    if (size > 256)
        size = 256;
    const byte *data = zframe_data (routing_id);
    bool printable = size > 0;
    for (size_t index = 0; index < size && printable; index++)
        printable = data[index] >= 0x20 && data[index] < 0x7f;
    if (printable) {
        memcpy (peer, data, size);
        peer[size] = '\0';
        return;
    }
    hex_encode (data, size, peer);
}

static const s_layout_t *
s_layout_by_id (wire_id_t id)
{
    for (size_t index = 0; index < S_LAYOUT_COUNT; index++)
        if (s_layouts[index].id == id)
            return &s_layouts[index];
    return NULL;
}

static const s_layout_t *
s_layout_by_command (const byte *data, size_t size)
{
    for (size_t index = 0; index < S_LAYOUT_COUNT; index++) {
        const char *command = s_layouts[index].command;
        if (strlen (command) == size && memcmp (command, data, size) == 0)
            return &s_layouts[index];
    }
    return NULL;
}

static size_t
s_field_count (const s_layout_t *layout)
{
    size_t count = 0;
    while (count < S_FIELDS_MAX && layout->fields[count] != F_END)
        count++;
    return count;
}

static const char *
s_field_name (s_field_t field)
{
    switch (field) {
    case F_JOB_ID:
        return "job_id";
    case F_CHUNK_NBR:
        return "chunk_nbr";
    case F_ATTEMPT:
        return "attempt";
    case F_FIRST_PAGE:
        return "first_page";
    case F_PAGE_COUNT:
        return "page_count";
    case F_TOTAL_PAGES:
        return "total_pages";
    case F_CHUNK_COUNT:
        return "chunk_count";
    case F_CREDITS:
        return "credits";
    case F_BYTES:
        return "bytes";
    case F_ERROR:
        return "error";
    case F_STATE:
        return "state";
    case F_LOCATION:
        return "location";
    case F_REASON:
        return "reason";
    case F_KEY:
        return "key";
    case F_TEMPLATE:
        return "template";
    case F_RECORDS:
        return "records";
    case F_PDF:
        return "pdf";
    case F_FILENAME:
        return "filename";
    case F_DIGEST:
        return "digest";
    case F_END:
        break;
    }
    return "?";
}

wire_t *
wire_new (wire_id_t id)
{
    assert (s_layout_by_id (id));
    wire_t *self = (wire_t *)zmalloc (sizeof (wire_t));
    self->id = id;
    return self;
}

void
wire_destroy (wire_t **self_p)
{
    assert (self_p);
    wire_t *self = *self_p;
    if (!self)
        return;
    zframe_destroy (&self->routing_id);
    zframe_destroy (&self->pdf);
    free (self->text);
    free (self->filename);
    free (self->template_json);
    free (self->records_json);
    free (self);
    *self_p = NULL;
}

static uint32_t
s_get_u32 (const byte *data)
{
    return ((uint32_t)data[0] << 24) | ((uint32_t)data[1] << 16) |
           ((uint32_t)data[2] << 8) | (uint32_t)data[3];
}

static uint64_t
s_get_u64 (const byte *data)
{
    return ((uint64_t)s_get_u32 (data) << 32) | s_get_u32 (data + 4);
}

static void
s_put_u32 (byte *data, uint32_t value)
{
    data[0] = (byte)(value >> 24);
    data[1] = (byte)(value >> 16);
    data[2] = (byte)(value >> 8);
    data[3] = (byte)value;
}

//  A text field: UTF-8 without NUL, at most max_size bytes (0: no limit).
static char *
s_get_text (const byte *data, size_t size, size_t max_size)
{
    if (max_size && size > max_size)
        return NULL;
    if (memchr (data, '\0', size))
        return NULL;
    char *text = (char *)malloc (size + 1);
    if (!text)
        return NULL;
    memcpy (text, data, size);
    text[size] = '\0';
    return text;
}

static int
s_decode_field (wire_t *self, s_field_t field, zmsg_t *msg, zframe_t *frame,
                char *reason)
{
    const byte *data = zframe_data (frame);
    size_t size = zframe_size (frame);
    uint32_t *u32 = NULL;
    char **text = NULL;
    size_t text_max = 0;

    switch (field) {
    case F_JOB_ID:
        if (!ident_valid ((const char *)data, size, PROTO_JOB_ID_MAX)) {
            snprintf (reason, WIRE_REASON_MAX,
                      "job_id must be 1-%d characters of [A-Za-z0-9_-]",
                      PROTO_JOB_ID_MAX);
            return -1;
        }
        memcpy (self->job_id, data, size);
        self->job_id[size] = '\0';
        return 0;
    case F_CHUNK_NBR:
        u32 = &self->chunk_nbr;
        break;
    case F_ATTEMPT:
        u32 = &self->attempt;
        break;
    case F_FIRST_PAGE:
        u32 = &self->first_page;
        break;
    case F_PAGE_COUNT:
        u32 = &self->page_count;
        break;
    case F_TOTAL_PAGES:
        u32 = &self->total_pages;
        break;
    case F_CHUNK_COUNT:
        u32 = &self->chunk_count;
        break;
    case F_CREDITS:
        u32 = &self->credits;
        break;
    case F_BYTES:
        if (size != 8) {
            snprintf (reason, WIRE_REASON_MAX, "bytes must be 8 bytes, got %zu",
                      size);
            return -1;
        }
        self->bytes = s_get_u64 (data);
        return 0;
    case F_DIGEST:
        if (size != TPLDIGEST_SIZE) {
            snprintf (reason, WIRE_REASON_MAX,
                      "digest must be %d bytes, got %zu", TPLDIGEST_SIZE,
                      size);
            return -1;
        }
        memcpy (self->digest.bytes, data, TPLDIGEST_SIZE);
        return 0;
    case F_ERROR:
    case F_STATE:
    case F_LOCATION:
    case F_REASON:
    case F_KEY:
        text = &self->text;
        text_max = PROTO_TEXT_MAX;
        break;
    case F_FILENAME:
        text = &self->filename;
        text_max = PROTO_TEXT_MAX;
        break;
    case F_TEMPLATE:
        text = &self->template_json;
        break;
    case F_RECORDS:
        text = &self->records_json;
        break;
    case F_PDF:
        //  Taken out of the message, not copied: chunk PDFs are large.
        zmsg_remove (msg, frame);
        self->pdf = frame;
        return 0;
    case F_END:
        break;
    }
    if (u32) {
        if (size != 4) {
            snprintf (reason, WIRE_REASON_MAX, "%s must be 4 bytes, got %zu",
                      s_field_name (field), size);
            return -1;
        }
        *u32 = s_get_u32 (data);
        return 0;
    }
    assert (text);
    *text = s_get_text (data, size, text_max);
    if (!*text) {
        if (text_max)
            snprintf (reason, WIRE_REASON_MAX,
                      "%s must be text without NUL of at most %d bytes",
                      s_field_name (field), PROTO_TEXT_MAX);
        else
            snprintf (reason, WIRE_REASON_MAX, "%s must be text without NUL",
                      s_field_name (field));
        return -1;
    }
    return 0;
}

wire_t *
wire_decode (zmsg_t **msg_p, char *reason)
{
    assert (msg_p);
    assert (reason);
    zmsg_t *msg = *msg_p;
    wire_t *self = NULL;
    reason[0] = '\0';
    if (!msg) {
        snprintf (reason, WIRE_REASON_MAX, "no message");
        return NULL;
    }
    zframe_t *frame = zmsg_first (msg);
    if (!frame || zframe_size (frame) != strlen (WIRE_SIGNATURE) ||
        memcmp (zframe_data (frame), WIRE_SIGNATURE, strlen (WIRE_SIGNATURE)) !=
            0) {
        snprintf (reason, WIRE_REASON_MAX,
                  "first frame is not the signature " WIRE_SIGNATURE
                  " (wrong protocol or version)");
        goto cleanup;
    }
    frame = zmsg_next (msg);
    if (!frame) {
        snprintf (reason, WIRE_REASON_MAX, "command frame missing");
        goto cleanup;
    }
    const s_layout_t *layout =
        s_layout_by_command (zframe_data (frame), zframe_size (frame));
    if (!layout) {
        snprintf (reason, WIRE_REASON_MAX, "unknown command (%zu bytes)",
                  zframe_size (frame));
        goto cleanup;
    }
    size_t expected = s_field_count (layout);
    if (zmsg_size (msg) != expected + 2) {
        snprintf (reason, WIRE_REASON_MAX, "%s must have %zu fields, got %zu",
                  layout->command, expected, zmsg_size (msg) - 2);
        goto cleanup;
    }
    self = wire_new (layout->id);
    for (size_t index = 0; index < expected; index++) {
        frame = zmsg_next (msg);
        if (s_decode_field (self, layout->fields[index], msg, frame, reason)) {
            char field_reason[WIRE_REASON_MAX];
            snprintf (field_reason, sizeof field_reason, "%s: %s",
                      layout->command, reason);
            memcpy (reason, field_reason, WIRE_REASON_MAX);
            wire_destroy (&self);
            goto cleanup;
        }
    }
cleanup:
    zmsg_destroy (msg_p);
    return self;
}

static int
s_encode_field (wire_t *self, s_field_t field, zmsg_t *msg)
{
    byte number[8];
    switch (field) {
    case F_JOB_ID:
        if (!ident_valid_str (self->job_id, PROTO_JOB_ID_MAX))
            return -1;
        return zmsg_addstr (msg, self->job_id);
    case F_CHUNK_NBR:
        s_put_u32 (number, self->chunk_nbr);
        break;
    case F_ATTEMPT:
        s_put_u32 (number, self->attempt);
        break;
    case F_FIRST_PAGE:
        s_put_u32 (number, self->first_page);
        break;
    case F_PAGE_COUNT:
        s_put_u32 (number, self->page_count);
        break;
    case F_TOTAL_PAGES:
        s_put_u32 (number, self->total_pages);
        break;
    case F_CHUNK_COUNT:
        s_put_u32 (number, self->chunk_count);
        break;
    case F_CREDITS:
        s_put_u32 (number, self->credits);
        break;
    case F_BYTES:
        s_put_u32 (number, (uint32_t)(self->bytes >> 32));
        s_put_u32 (number + 4, (uint32_t)self->bytes);
        return zmsg_addmem (msg, number, 8);
    case F_DIGEST:
        return zmsg_addmem (msg, self->digest.bytes, TPLDIGEST_SIZE);
    case F_ERROR:
    case F_STATE:
    case F_LOCATION:
    case F_REASON:
    case F_KEY:
    case F_FILENAME: {
        const char *text = field == F_FILENAME ? self->filename : self->text;
        if (!text)
            text = "";
        //  Longer texts are ours (an error message); cut rather than fail.
        size_t size = strlen (text);
        return zmsg_addmem (msg, text,
                            size > PROTO_TEXT_MAX ? PROTO_TEXT_MAX : size);
    }
    case F_TEMPLATE:
        if (!self->template_json)
            return -1;
        return zmsg_addstr (msg, self->template_json);
    case F_RECORDS:
        if (!self->records_json)
            return -1;
        return zmsg_addstr (msg, self->records_json);
    case F_PDF:
        if (!self->pdf)
            return -1;
        //  Moved, not copied: chunk PDFs are large.
        return zmsg_append (msg, &self->pdf);
    case F_END:
        return -1;
    }
    return zmsg_addmem (msg, number, 4);
}

zmsg_t *
wire_encode (wire_t *self)
{
    assert (self);
    const s_layout_t *layout = s_layout_by_id (self->id);
    assert (layout);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, WIRE_SIGNATURE);
    zmsg_addstr (msg, layout->command);
    for (size_t index = 0; index < s_field_count (layout); index++) {
        if (s_encode_field (self, layout->fields[index], msg)) {
            log_error ("wire: cannot encode %s: field %s missing or invalid",
                       layout->command, s_field_name (layout->fields[index]));
            zmsg_destroy (&msg);
            return NULL;
        }
    }
    return msg;
}

wire_t *
wire_recv (zsock_t *input)
{
    assert (input);
    zmsg_t *msg = zmsg_recv (input);
    if (!msg)
        return NULL;
    zframe_t *routing_id = NULL;
    if (zsock_type (input) == ZMQ_ROUTER)
        routing_id = zmsg_pop (msg);
    //  Read before decoding, which destroys the message: the network
    //  address names a peer that has no routing id (PUSH into our PULL).
    //  The ROUTER makes the routing id frame itself, so only the frames
    //  that came off the wire carry it.
    zframe_t *first = zmsg_first (msg);
    const char *address = first ? zframe_meta (first, "Peer-Address") : NULL;
    char address_text[64];
    snprintf (address_text, sizeof address_text, "%s", address ? address : "-");
    const char *user_id = first ? zframe_meta (first, "User-Id") : NULL;
    char user_id_text[S_USER_ID_SIZE];
    snprintf (user_id_text, sizeof user_id_text, "%s", user_id ? user_id : "");
    char reason[WIRE_REASON_MAX];
    wire_t *self = wire_decode (&msg, reason);
    if (self) {
        self->routing_id = routing_id;
        memcpy (self->user_id, user_id_text, sizeof self->user_id);
        return self;
    }
    char peer[2 * 256 + 1] = "-";
    if (routing_id)
        s_peer_text (routing_id, peer);
    log_warning ("dropped malformed message from peer=%s address=%s: %s", peer,
                 address_text, reason);
    zframe_destroy (&routing_id);
    return NULL;
}

int
wire_send (wire_t *self, zsock_t *output)
{
    assert (self);
    assert (output);
    zmsg_t *msg = wire_encode (self);
    if (!msg)
        return -1;
    if (zsock_type (output) == ZMQ_ROUTER) {
        if (!self->routing_id) {
            log_error ("wire: %s to a ROUTER socket without routing id",
                       wire_command (self));
            zmsg_destroy (&msg);
            return -1;
        }
        zmsg_prepend (msg, &(zframe_t *){zframe_dup (self->routing_id)});
    }
    int rc = zmsg_send (&msg, output);
    //  zmsg_send leaves the message with us when it cannot send.
    zmsg_destroy (&msg);
    return rc;
}

const char *
wire_command (const wire_t *self)
{
    assert (self);
    return s_layout_by_id (self->id)->command;
}

wire_id_t
wire_id (const wire_t *self)
{
    assert (self);
    return self->id;
}

zframe_t *
wire_routing_id (const wire_t *self)
{
    assert (self);
    return self->routing_id;
}

void
wire_set_routing_id (wire_t *self, zframe_t *routing_id)
{
    assert (self);
    zframe_destroy (&self->routing_id);
    if (routing_id)
        self->routing_id = zframe_dup (routing_id);
}

const char *
wire_peer (wire_t *self)
{
    assert (self);
    if (!self->routing_id)
        return "-";
    s_peer_text (self->routing_id, self->peer);
    return self->peer;
}

const char *
wire_user_id (const wire_t *self)
{
    assert (self);
    return self->user_id;
}

const char *
wire_job_id (const wire_t *self)
{
    assert (self);
    return self->job_id;
}

void
wire_set_job_id (wire_t *self, const char *job_id)
{
    assert (self);
    assert (job_id);
    snprintf (self->job_id, sizeof self->job_id, "%s", job_id);
}

#define S_U32_ACCESSORS(name)                                                  \
    uint32_t wire_##name (const wire_t *self)                                  \
    {                                                                          \
        assert (self);                                                         \
        return self->name;                                                     \
    }                                                                          \
    void wire_set_##name (wire_t *self, uint32_t name)                         \
    {                                                                          \
        assert (self);                                                         \
        self->name = name;                                                     \
    }

S_U32_ACCESSORS (chunk_nbr)
S_U32_ACCESSORS (attempt)
S_U32_ACCESSORS (first_page)
S_U32_ACCESSORS (page_count)
S_U32_ACCESSORS (total_pages)
S_U32_ACCESSORS (chunk_count)
S_U32_ACCESSORS (credits)

uint64_t
wire_bytes (const wire_t *self)
{
    assert (self);
    return self->bytes;
}

void
wire_set_bytes (wire_t *self, uint64_t bytes)
{
    assert (self);
    self->bytes = bytes;
}

const tpldigest_t *
wire_digest (const wire_t *self)
{
    assert (self);
    assert (self->id == WIRE_CHUNK || self->id == WIRE_TEMPLATE_MISS);
    return &self->digest;
}

void
wire_set_digest (wire_t *self, const tpldigest_t *digest)
{
    assert (self);
    assert (self->id == WIRE_CHUNK || self->id == WIRE_TEMPLATE_MISS);
    assert (digest);
    self->digest = *digest;
}

#define S_TEXT_ACCESSORS(name, member)                                         \
    const char *wire_##name (const wire_t *self)                               \
    {                                                                          \
        assert (self);                                                         \
        return self->member;                                                   \
    }                                                                          \
    void wire_set_##name (wire_t *self, const char *value)                     \
    {                                                                          \
        assert (self);                                                         \
        free (self->member);                                                   \
        self->member = value ? strdup (value) : NULL;                          \
    }

S_TEXT_ACCESSORS (template_json, template_json)
S_TEXT_ACCESSORS (records_json, records_json)
S_TEXT_ACCESSORS (filename, filename)

//  The accessors of the text field, one pair per meaning; each may be used
//  on its own command only.
#define S_TEXT_FIELD_ACCESSORS(name, command_id)                               \
    const char *wire_##name (const wire_t *self)                               \
    {                                                                          \
        assert (self);                                                         \
        assert (self->id == command_id);                                       \
        return self->text;                                                     \
    }                                                                          \
    void wire_set_##name (wire_t *self, const char *value)                     \
    {                                                                          \
        assert (self);                                                         \
        assert (self->id == command_id);                                       \
        free (self->text);                                                     \
        self->text = value ? strdup (value) : NULL;                            \
    }

S_TEXT_FIELD_ACCESSORS (error, WIRE_CHUNK_FAILED)
S_TEXT_FIELD_ACCESSORS (state, WIRE_JOB_STATE)
S_TEXT_FIELD_ACCESSORS (location, WIRE_JOB_DONE)
S_TEXT_FIELD_ACCESSORS (reason, WIRE_JOB_FAILED)
S_TEXT_FIELD_ACCESSORS (key, WIRE_OUTPUT)

zframe_t *
wire_pdf (const wire_t *self)
{
    assert (self);
    return self->pdf;
}

void
wire_set_pdf (wire_t *self, zframe_t **pdf_p)
{
    assert (self);
    assert (pdf_p);
    zframe_destroy (&self->pdf);
    self->pdf = *pdf_p;
    *pdf_p = NULL;
}
