/*  previewreq - the request the ventilator gives pdfpipe-worker --preview.

    Owns the one format two processes share for a preview: the first line
    below, then the template (as jobspec_template_json gives it, the text
    a CHUNK carries) and the page's record (compact JSON), back to back:

        "pdfpipe-preview 1 <page> <pages> <template bytes> <record bytes>\n"

    page is 1-based, pages the job's total (for {{pages}}). The worker
    answers on its stdout: the PDF and exit status 0, or one line
    "<field>\t<message>\n" and PREVIEWREQ_EXIT_REFUSED when the page cannot
    be rendered. Any other ending is the renderer's failure.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_PREVIEWREQ_H
#define PDFPIPE_PREVIEWREQ_H

#include <stddef.h>
#include <stdint.h>

#define PREVIEWREQ_VERSION 1
//  Longest first line, newline included.
#define PREVIEWREQ_HEADER_MAX 128
#define PREVIEWREQ_EXIT_REFUSED 2

typedef struct {
    uint32_t page;  // 1-based
    uint32_t pages; // in the job
    size_t template_bytes;
    size_t record_bytes;
} previewreq_t;

//  Write the first line of request into line (PREVIEWREQ_HEADER_MAX
//  bytes). Returns its length.
size_t
previewreq_format (const previewreq_t *request, char *line);

//  Parse a first line (without its newline). Returns 0, or -1 when it is
//  not one of this version, or its numbers are out of bounds (page not in
//  1..pages, sizes over template_max or record_max).
int
previewreq_parse (const char *line, size_t template_max, size_t record_max,
                  previewreq_t *request);

#endif
