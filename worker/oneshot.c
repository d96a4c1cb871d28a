/*  oneshot - one page rendered at once, outside the pipeline.

    The request is read whole (its size is announced and bounded by what
    a job document may hold: its members and one record), then checked
    as a chunk of one page is (worker/slot) before the renderer draws it.

    SPDX-License-Identifier: MPL-2.0
*/
#include "oneshot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "joblimits.h"
#include "jobspec.h"
#include "jsondoc.h"
#include "previewreq.h"
#include "render.h"
#include "template.h"

//  Read exactly size bytes. Returns 0, or -1 at an early end or an error.
static int
s_read_all (int fd, char *buffer, size_t size)
{
    size_t done = 0;
    while (done < size) {
        ssize_t got = read (fd, buffer + done, size - done);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        done += (size_t)got;
    }
    return 0;
}

//  The first line, byte by byte so nothing after it is consumed.
static int
s_read_header (int fd, previewreq_t *request, fielderr_t *err)
{
    char line[PREVIEWREQ_HEADER_MAX + 1];
    size_t length = 0;
    while (length < PREVIEWREQ_HEADER_MAX) {
        if (s_read_all (fd, line + length, 1) == -1)
            break;
        if (line[length] == '\n')
            break;
        length++;
    }
    line[length] = '\0';
    if (previewreq_parse (line, JOBSPEC_MEMBERS_BYTES_MAX,
                          JOBSPEC_RECORD_BYTES_MAX, request)) {
        fielderr_set (err, "", "not a preview request of version %d",
                      PREVIEWREQ_VERSION);
        return -1;
    }
    return 0;
}

//  What the page draws, against the job limits, before it is drawn.
static int
s_check_page (const template_t *tpl, const cJSON *record, uint32_t page,
              uint32_t pages, size_t record_bytes, fielderr_t *err)
{
    if (joblimits_check_chunk (joblimits_get (), record_bytes, err))
        return -1;
    if (!cJSON_IsObject (record)) {
        char field[FIELDERR_FIELD_MAX];
        snprintf (field, sizeof field, "records[%" PRIu32 "]", page - 1);
        fielderr_set (err, field, "must be an object");
        return -1;
    }
    subst_vars_t vars = {page, pages, page - 1, NULL, NULL};
    joblimits_tally_t tally;
    joblimits_tally_init (&tally, 1);
    joblimits_page_t cost;
    if (template_check_record_cost (tpl, record, &vars, NULL, NULL, &cost, err))
        return -1;
    return joblimits_check_page (joblimits_get (), &tally, &cost, page - 1, 0,
                                 err);
}

int
oneshot_run (int in_fd, int out_fd, fielderr_t *err)
{
    previewreq_t request;
    if (s_read_header (in_fd, &request, err))
        return -1;
    uint32_t page = request.page, pages = request.pages;
    size_t template_bytes = request.template_bytes;
    size_t record_bytes = request.record_bytes;
    int rc = -1;
    template_t *tpl = NULL;
    cJSON *records = NULL;
    render_t *render = NULL;
    zframe_t *pdf = NULL;
    char *text = (char *)malloc (template_bytes + record_bytes + 1);
    if (!text) {
        fielderr_set (err, "", "out of memory");
        return -1;
    }
    if (s_read_all (in_fd, text, template_bytes + record_bytes) == -1) {
        fielderr_set (err, "", "the preview request ended early");
        goto cleanup;
    }
    text[template_bytes + record_bytes] = '\0';
    tpl = template_parse_text (text, template_bytes, err);
    if (!tpl)
        goto cleanup;
    fielderr_t parse_err;
    cJSON *record = jsondoc_parse (text + template_bytes, record_bytes,
                                   JOBSPEC_NESTING_MAX, &parse_err);
    if (!record) {
        fielderr_set (err, "records", "%s", parse_err.message);
        goto cleanup;
    }
    records = cJSON_CreateArray ();
    if (!records) {
        cJSON_Delete (record);
        fielderr_set (err, "", "out of memory");
        goto cleanup;
    }
    cJSON_AddItemToArray (records, record);
    if (s_check_page (tpl, record, page, pages, record_bytes, err))
        goto cleanup;
    render = render_new ();
    if (!render) {
        fielderr_set (err, "", "out of memory");
        goto cleanup;
    }
    render_range_t range = {
        .first_page = page, .total_pages = pages, .first_record = page - 1};
    if (render_chunk (render, tpl, records, &range, &pdf, err))
        goto cleanup;
    if (fsio_write_all (out_fd, zframe_data (pdf), zframe_size (pdf)) == -1) {
        fielderr_set (err, "", "cannot write the PDF: %s", strerror (errno));
        goto cleanup;
    }
    rc = 0;
cleanup:
    zframe_destroy (&pdf);
    render_destroy (&render);
    cJSON_Delete (records);
    template_destroy (&tpl);
    free (text);
    return rc;
}
