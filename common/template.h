/*  template - the page template of a job: page setup and drawing elements.

    Owns the parsed, validated form of the "template" object of a job
    document (docs/job-spec.md). The ventilator parses it to validate a job;
    the worker parses the same JSON text from a CHUNK message and hands the
    elements to its renderer. Elements are exposed as read-only structs so a
    renderer can draw them without knowing JSON; new element kinds add a
    kind value and a member, never change the existing ones.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_TEMPLATE_H
#define PDFPIPE_TEMPLATE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "fielderr.h"
#include "subst.h"

#define TEMPLATE_ELEMENTS_MAX 10000
#define TEMPLATE_FONT_SIZE_MIN 1.0     // pt
#define TEMPLATE_FONT_SIZE_MAX 1000.0  // pt
#define TEMPLATE_PAGE_SIDE_MIN 72.0    // pt, one inch
#define TEMPLATE_PAGE_SIDE_MAX 14400.0 // pt, the PDF 1.x user-unit limit
//  Record-field placeholders over all texts of a template, repeats
//  included. The ventilator resolves each distinct one in every record when
//  a job is submitted, and cJSON finds an object member by a linear search,
//  so this bounds the work a hostile document can cause per byte.
#define TEMPLATE_FIELDS_MAX 1000
#define TEMPLATE_NESTING_MAX 64 // JSON nesting depth of template text

typedef struct _template_t template_t;

typedef enum {
    TEMPLATE_TEXT = 1,
} template_kind_t;

typedef enum {
    TEMPLATE_ALIGN_LEFT = 0,
    TEMPLATE_ALIGN_CENTER,
    TEMPLATE_ALIGN_RIGHT,
} template_align_t;

typedef struct {
    const subst_t *text;    // owned by the template
    const char *font;       // one of the 14 standard PDF font names
    double size;            // pt
    template_align_t align; // relative to x
} template_text_t;

typedef struct {
    template_kind_t kind;
    double x, y; // pt from the bottom-left corner; y = baseline
    union {
        template_text_t text;
    } u;
} template_element_t;

//  Parse and validate a template object. `path` is its JSON path in the
//  enclosing document ("template"), used to name fields in errors. Returns
//  NULL and fills err on the first problem. Caller owns the result.
template_t *
template_parse (const cJSON *json, const char *path, fielderr_t *err);

//  Same, from JSON text (as carried by a CHUNK message).
template_t *
template_parse_text (const char *json, size_t size, fielderr_t *err);

void
template_destroy (template_t **self_p);

//  Page size in points after orientation is applied.
double
template_page_width (const template_t *self);
double
template_page_height (const template_t *self);

size_t
template_element_count (const template_t *self);

//  Element at index (0 .. count-1); borrowed, lives as long as the template.
const template_element_t *
template_element (const template_t *self, size_t index);

//  True when name is one of the 14 standard PDF fonts.
int
template_font_is_standard (const char *name);

#endif
