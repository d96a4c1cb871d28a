/*  subst - {{expression}} substitution in template strings.

    Owns the compiled form of one template string: literal text and
    placeholders. A placeholder is "{{", an expression (common/doc/expr: a
    path into the record such as {{customer.name}} or {{items[0].desc}},
    arithmetic, sum(), filters such as {{number | pad: 6}}), "}}". The page
    variables {{page}} (global 1-based page number) and {{pages}} (total
    pages of the job) take precedence over record fields of the same name.
    Compile once per template, expand once per page; expansion allocates
    only the result string. There is no escape for a literal "{{": every
    "{{" opens a placeholder (a record value containing "{{" is inserted as
    it is, never expanded again).

    What text a font can draw is common/doc/charset's; expanding with a
    font checks each inserted value there, and blames the record field it
    came from (or the template text for a computed value).

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_SUBST_H
#define PDFPIPE_SUBST_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "charset.h"
#include "expr.h"
#include "fielderr.h"

typedef struct _subst_t subst_t;

//  Longest string value a placeholder may insert, in bytes. With
//  TEMPLATE_FIELDS_MAX it bounds the text a worker builds for one page.
#define SUBST_VALUE_MAX EXPR_VALUE_MAX
#define SUBST_NUMBER_MAX 32 // bytes of a formatted number, with NUL

//  Values that do not come from the record.
typedef struct {
    uint32_t page;          // global 1-based page number
    uint32_t pages;         // total pages of the job
    uint32_t record_nbr;    // 0-based index of the record in the job
    const cJSON *item;      // a table row's item, or NULL
    const char *item_field; // its JSON path ("records[4].items[3]")
} subst_vars_t;

//  Compile source. On a syntax error (unclosed "{{", empty placeholder, an
//  invalid expression) returns NULL and fills err, naming `field` (the
//  JSON path of the string in the document). The caller owns the result.
subst_t *
subst_compile (const char *source, const char *field, fielderr_t *err);

void
subst_destroy (subst_t **self_p);

//  True when the string has no placeholder at all.
int
subst_is_literal (const subst_t *self);

//  The JSON path given to subst_compile (borrowed).
const char *
subst_origin (const subst_t *self);

//  Record paths the string's expressions read, page variables excluded.
size_t
subst_field_count (const subst_t *self);

//  True when the string is exactly one placeholder holding a path alone
//  ("{{items}}"), which *expr_p then borrows.
int
subst_single_path (const subst_t *self, const expr_t **expr_p);

//  Check that the string's literal text, and the quoted strings of its
//  expressions, are drawable with font. Returns 0, or -1 with err naming
//  the string: "contains 'ő' (U+0151), which the standard PDF fonts cannot
//  draw (...)".
int
subst_check_literals (const subst_t *self, const charset_font_t *font,
                      fielderr_t *err);

//  Expand against a record (see expr_eval_text for values and errors).
//  When font is not NULL every inserted value must be drawable with it:
//  a character it lacks fails with err naming the record field
//  ("records[4].customer", "field 'customer' used by T contains '김'
//  (U+AE40), which ...") or the string for a computed value. The caller
//  frees the result.
char *
subst_expand (const subst_t *self, const cJSON *record,
              const subst_vars_t *vars, const charset_font_t *font,
              fielderr_t *err);

//  Check what subst_expand would do, without building the text: the same
//  errors, no allocation. The ventilator runs this on every record.
int
subst_check (const subst_t *self, const cJSON *record, const subst_vars_t *vars,
             const charset_font_t *font, fielderr_t *err);

//  Format a finite number as a plain field is inserted: integers below
//  2^53 in magnitude as integers, others with the fewest significant
//  digits (15 to 17) that read back as the same double. Also used to
//  write JSON that must carry numbers exactly. buffer holds
//  SUBST_NUMBER_MAX bytes; returns the length.
size_t
subst_format_number (double number, char *buffer);

#endif
