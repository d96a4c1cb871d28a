/*  subst - {{field}} substitution in template strings.

    Owns the compiled form of one template string: literal text and
    placeholders. A placeholder is a dotted path into the record
    ({{customer.name}}, {{items.0.desc}}) or one of the page variables
    {{page}} (global 1-based page number) and {{pages}} (total pages of the
    job), which take precedence over record fields of the same name.
    Compile once per template, expand once per page; expansion allocates only
    the result string.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_SUBST_H
#define PDFPIPE_SUBST_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "fielderr.h"

typedef struct _subst_t subst_t;

//  Values that do not come from the record.
typedef struct {
    uint32_t page;      // global 1-based page number
    uint32_t pages;     // total pages of the job
    uint32_t record_nbr; // 0-based index of the record in the job, for errors
} subst_vars_t;

//  Compile source. On a syntax error (unclosed "{{", empty or invalid path)
//  returns NULL and fills err, naming `field` (the JSON path of the string
//  in the document). The caller owns the result.
subst_t *
subst_compile (const char *source, const char *field, fielderr_t *err);

void
subst_destroy (subst_t **self_p);

//  True when the string has no placeholder at all.
int
subst_is_literal (const subst_t *self);

//  Expand against a record. Strings are inserted as they are, numbers in
//  their shortest exact form (integers without ".0"), booleans as
//  true/false. A missing field, or one that is an object, array or null,
//  returns NULL and fills err with field "records[N].path" and a message.
//  The caller frees the result.
char *
subst_expand (const subst_t *self, const cJSON *record,
              const subst_vars_t *vars, fielderr_t *err);

#endif
