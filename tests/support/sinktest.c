/*  sinktest - what the sink's unit tests share: real chunk PDFs, and a
    spool filled as the sink's own modules fill it.

    SPDX-License-Identifier: MPL-2.0
*/
#include "sinktest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "assembly.h"
#include "render.h"
#include "spool.h"
#include "template.h"

#define S_TEMPLATE                                                             \
    "{\"bookmark\": \"Page {{n}}\", \"elements\": [{\"type\": \"text\","       \
    " \"text\": \"Page {{n}} of {{pages}}\", \"x\": 50, \"y\": 700,"           \
    " \"font\": \"Helvetica\", \"size\": 12}]}"

zframe_t *
sinktest_render (uint32_t first_page, uint32_t page_count, uint32_t total_pages)
{
    fielderr_t err = {"", ""};
    template_t *tpl =
        template_parse_text (S_TEMPLATE, strlen (S_TEMPLATE), &err);
    assert_non_null (tpl);
    cJSON *records = cJSON_CreateArray ();
    for (uint32_t index = 0; index < page_count; index++) {
        cJSON *record = cJSON_CreateObject ();
        cJSON_AddNumberToObject (record, "n", first_page + index);
        cJSON_AddItemToArray (records, record);
    }
    render_t *render = render_new ();
    assert_non_null (render);
    render_range_t range = {.first_page = first_page,
                            .total_pages = total_pages,
                            .first_record = first_page - 1};
    zframe_t *pdf = NULL;
    if (render_chunk (render, tpl, records, &range, &pdf, &err) != 0)
        fail_msg ("render failed: %s: %s", err.field, err.message);
    render_destroy (&render);
    cJSON_Delete (records);
    template_destroy (&tpl);
    return pdf;
}

wire_t *
sinktest_result (const char *job_id, uint32_t chunk_nbr, uint32_t chunk_count,
                 uint32_t chunk_pages)
{
    uint32_t first_page = chunk_nbr * chunk_pages + 1;
    uint32_t total_pages = chunk_count * chunk_pages;
    zframe_t *pdf = sinktest_render (first_page, chunk_pages, total_pages);
    wire_t *result = wire_new (WIRE_RESULT);
    wire_set_job_id (result, job_id);
    wire_set_chunk_nbr (result, chunk_nbr);
    wire_set_attempt (result, 1);
    wire_set_first_page (result, first_page);
    wire_set_page_count (result, chunk_pages);
    wire_set_total_pages (result, total_pages);
    wire_set_chunk_count (result, chunk_count);
    wire_set_pdf (result, &pdf);
    return result;
}

void
sinktest_spool_chunk (const char *spool_dir, const char *job_id,
                      uint32_t chunk_nbr, uint32_t chunk_count,
                      uint32_t chunk_pages)
{
    uint32_t first_page = chunk_nbr * chunk_pages + 1;
    uint32_t total_pages = chunk_count * chunk_pages;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new (job_id, chunk_count, total_pages, reason);
    assert_non_null (job);
    assert_int_equal (
        assembly_check (job, chunk_nbr, first_page, chunk_pages, reason),
        ASSEMBLY_NEW);
    spool_t *spool = spool_new (spool_dir);
    assert_non_null (spool);
    zframe_t *pdf = sinktest_render (first_page, chunk_pages, total_pages);
    bool duplicate = false;
    assert_int_equal (spool_put (spool, job, chunk_nbr, first_page, chunk_pages,
                                 zframe_data (pdf), zframe_size (pdf),
                                 &duplicate),
                      0);
    zframe_destroy (&pdf);
    spool_destroy (&spool);
    assembly_destroy (&job);
}

void
sinktest_tombstone (const char *spool_dir, const char *job_id,
                    const char *outcome)
{
    spool_t *spool = spool_new (spool_dir);
    assert_non_null (spool);
    assert_int_equal (spool_finish (spool, job_id, outcome), 0);
    spool_destroy (&spool);
}
