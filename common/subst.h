/*  subst - {{field}} substitution in template strings.

    Owns the compiled form of one template string: literal text and
    placeholders. A placeholder is a dotted path into the record
    ({{customer.name}}, {{items.0.desc}}) or one of the page variables
    {{page}} (global 1-based page number) and {{pages}} (total pages of the
    job), which take precedence over record fields of the same name.
    Compile once per template, expand once per page; expansion allocates only
    the result string. There is no escape for a literal "{{": every "{{"
    opens a placeholder (a record value containing "{{" is inserted as it
    is, never expanded again).

    Also owns what text a font can draw (subst_charset_t): the ventilator
    checks every record against it when a job is submitted, and the worker
    converts expanded text to the bytes a standard PDF font expects.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_SUBST_H
#define PDFPIPE_SUBST_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "fielderr.h"

typedef struct _subst_t subst_t;

//  Characters a text may contain. Both reject invalid UTF-8 and control
//  characters (U+0000-U+001F, U+007F-U+009F), which no font draws.
typedef enum {
    SUBST_CHARSET_UTF8 = 0, // any other Unicode character
    SUBST_CHARSET_WINANSI,  // WinAnsiEncoding: what the 14 standard fonts draw
} subst_charset_t;

//  Longest string value a placeholder may insert, in bytes. With
//  TEMPLATE_FIELDS_MAX it bounds the text a worker builds for one page.
#define SUBST_VALUE_MAX 4096
#define SUBST_NUMBER_MAX 32 // bytes of a formatted number, with NUL

//  Values that do not come from the record.
typedef struct {
    uint32_t page;       // global 1-based page number
    uint32_t pages;      // total pages of the job
    uint32_t record_nbr; // 0-based index of the record in the job, for errors
} subst_vars_t;

//  Compile source. A placeholder is "{{", optional spaces, a path, optional
//  spaces, "}}"; a path is segments of [A-Za-z0-9_-] joined by '.', and a
//  segment of digits (without leading zeros) also picks an array item. On a
//  syntax error (unclosed "{{", empty or invalid path) returns NULL and
//  fills err, naming `field` (the JSON path of the string in the document).
//  The caller owns the result.
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
//  returns NULL and fills err with field "records[N].path" and a message;
//  so does a string longer than SUBST_VALUE_MAX or a non-finite number.
//  The caller frees the result.
char *
subst_expand (const subst_t *self, const cJSON *record,
              const subst_vars_t *vars, fielderr_t *err);

//  Format a finite number as subst_expand inserts it: integers below 2^53
//  in magnitude as integers, others with the fewest significant digits
//  (15 to 17) that read back as the same double. Also used to write JSON
//  that must carry numbers exactly. buffer holds SUBST_NUMBER_MAX bytes;
//  returns the length.
size_t
subst_format_number (double number, char *buffer);

//  The JSON path given to subst_compile (borrowed), named in errors as the
//  string that uses a field.
const char *
subst_origin (const subst_t *self);

//  Record-field placeholders of the string, in order and with repeats,
//  excluding {{page}} and {{pages}}: their paths without spaces
//  ("customer.name"). Borrowed; valid as long as self; NULL when index is
//  out of range.
size_t
subst_field_count (const subst_t *self);
const char *
subst_field (const subst_t *self, size_t index);

//  Check, without building any text, what subst_expand would do with one
//  field: that path resolves in record to a string, finite number or
//  boolean, and that a string value is drawable in charset. used_by is the
//  JSON path of the string that uses the field, for the message. Returns 0,
//  or -1 with err filled as subst_expand fills it.
int
subst_check_field (const cJSON *record, const char *path, uint32_t record_nbr,
                   const char *used_by, subst_charset_t charset,
                   fielderr_t *err);

//  Check that text (UTF-8, NUL-terminated) is drawable in charset. Returns
//  0, or -1 with err naming field and the first offending character
//  ("contains 'ő' (U+0151), which the standard PDF fonts cannot draw ...").
int
subst_charset_check (const char *text, subst_charset_t charset,
                     const char *field, fielderr_t *err);

//  Convert text from UTF-8 to WinAnsiEncoding in place (the result is never
//  longer), as libharu's standard fonts with "WinAnsiEncoding" expect.
//  Returns 0, or -1 leaving text unspecified when it is not drawable in
//  SUBST_CHARSET_WINANSI.
int
subst_winansi_encode (char *text);

#endif
