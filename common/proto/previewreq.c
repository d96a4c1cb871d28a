/*  previewreq - the request the ventilator gives pdfpipe-worker --preview.

    SPDX-License-Identifier: MPL-2.0
*/
#include "previewreq.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define S_MAGIC "pdfpipe-preview"

size_t
previewreq_format (const previewreq_t *request, char *line)
{
    int length = snprintf (line, PREVIEWREQ_HEADER_MAX,
                           S_MAGIC " %d %" PRIu32 " %" PRIu32 " %zu %zu\n",
                           PREVIEWREQ_VERSION, request->page, request->pages,
                           request->template_bytes, request->record_bytes);
    return length > 0 ? (size_t)length : 0;
}

int
previewreq_parse (const char *line, size_t template_max, size_t record_max,
                  previewreq_t *request)
{
    char magic[sizeof S_MAGIC + 1];
    int version = 0;
    unsigned long long page, pages, template_bytes, record_bytes;
    if (sscanf (line, "%16s %d %llu %llu %llu %llu", magic, &version, &page,
                &pages, &template_bytes, &record_bytes) != 6 ||
        strcmp (magic, S_MAGIC) != 0 || version != PREVIEWREQ_VERSION)
        return -1;
    if (page < 1 || page > pages || pages > UINT32_MAX ||
        template_bytes > template_max || record_bytes > record_max)
        return -1;
    request->page = (uint32_t)page;
    request->pages = (uint32_t)pages;
    request->template_bytes = (size_t)template_bytes;
    request->record_bytes = (size_t)record_bytes;
    return 0;
}
