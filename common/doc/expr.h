/*  expr - the expressions inside {{ }}: paths, arithmetic, sums, filters.

    Owns the compiled form of one placeholder's expression and its
    evaluation against a record (docs/job-spec.md, "Expressions"):

        expression := sum ( "|" filter )*
        sum        := product ( ( "+" | "-" ) product )*
        product    := unary ( ( "*" | "/" ) unary )*
        unary      := "-" unary | primary
        primary    := number | string | call | path | "(" expression ")"
        call       := ( "sum" | "count" ) "(" expression [ "," expression ] ")"
        filter     := name [ ":" literal ( "," literal )* ]
        path       := ( "$" | name ) ( "." name | "[" digits "]" )*

    A path is looked up in the current scope: the record, or inside sum()
    and table rows the current item; "$." starts at the record wherever it
    is used. "page" and "pages" are the page variables. A missing field is a
    value of its own that arithmetic passes on and that only the "default"
    filter replaces; anything else that cannot be computed (a string that is
    not a number, division by zero) is an error at once. Every error names
    the record's field (records[N].path) or, for the expression itself, the
    JSON path of the text that holds it (the `origin` of each call).

    Compiling is bounded (EXPR_DEPTH_MAX, EXPR_NODES_MAX) and so is the
    evaluation it leads to (recursion at most EXPR_NODES_MAX deep,
    EXPR_ITEMS_MAX array items visited), so a hostile template costs at
    most what its records' size allows. Evaluation allocates nothing, and
    builds the JSON path of a field only for an error message.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_EXPR_H
#define PDFPIPE_EXPR_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "fielderr.h"

#define EXPR_DEPTH_MAX 32      // nesting of parentheses, operators and calls
#define EXPR_NODES_MAX 256     // operands, operators and filters per expression
#define EXPR_ITEMS_MAX 1000000 // array items sum() and count() visit per use
#define EXPR_VALUE_MAX 4096    // bytes of a string value a placeholder inserts
#define EXPR_PAD_MAX 32        // widest "pad"
#define EXPR_DECIMALS_MAX 10   // most "fixed" decimals
#define EXPR_SEPARATOR_MAX 8   // bytes of a "thousands" separator
#define EXPR_PROBLEM_MAX 200   // bytes of a compile error description
//  Bytes of a formatted number with NUL: sign, EXPR_PAD_MAX or 21 digits
//  (formatting applies below 1e21) with separators, point and decimals;
//  other numbers are written in at most 24 bytes.
#define EXPR_NUMBER_MAX 128

typedef struct _expr_t expr_t;

//  Where an expression is evaluated.
typedef struct {
    const cJSON *record;    // the page's record
    const cJSON *item;      // the table row's item, or NULL outside a table
    const char *item_field; // JSON path of item ("records[4].items[3]")
    uint32_t page;          // global 1-based page number
    uint32_t pages;         // total pages of the job
    uint32_t record_nbr;    // 0-based index of the record in the job
} expr_scope_t;

//  The text an expression produced.
typedef struct {
    const char *text; // NUL-terminated: in the record, the template or number
    size_t length;    // bytes
    //  When text is a string value of the record: the path that read it,
    //  as compiled ("customer.name"); else NULL. expr_text_field names its
    //  field, the one to blame for a character no font has.
    const char *path;
    const cJSON *base;      // private to expr_text_field: where path was read
    const char *base_field; // private: its JSON path, NULL for the record
    uint32_t record_nbr;    // private
    char number[EXPR_NUMBER_MAX + EXPR_PAD_MAX * 4]; // holds formatted text
} expr_text_t;

//  Compile length bytes of source (the inside of a placeholder). On a
//  syntax error returns NULL and describes it in problem (problem_size
//  bytes, at most EXPR_PROBLEM_MAX needed), such as "unknown filter
//  'thousand'; expected one of: default, fixed, thousands, pad". An empty
//  source is an error too. Returns NULL with problem "out of memory" when
//  allocation fails. The caller owns the result.
expr_t *
expr_compile (const char *source, size_t length, char *problem,
              size_t problem_size);

void
expr_destroy (expr_t **self_p);

//  The expression's text, without surrounding spaces (borrowed).
const char *
expr_source (const expr_t *self);

//  True when the expression is a path alone (no operator, call or
//  filter), and not a page variable.
int
expr_is_path (const expr_t *self);

//  Record paths the expression reads, page variables excluded: the unit
//  the template's TEMPLATE_FIELDS_MAX bound counts.
size_t
expr_path_count (const expr_t *self);

//  String literals of the expression (default values, separators), in
//  order; borrowed. NULL when index is out of range.
size_t
expr_literal_count (const expr_t *self);
const char *
expr_literal (const expr_t *self, size_t index);

//  Evaluate into out. Strings are as they are, numbers as
//  expr_format_number writes them (computed results with at most 15
//  significant digits) unless filters format them, booleans as
//  true/false. Returns 0, or -1 with err filled: a missing field
//  ("missing field 'customer.name' used by <origin>"), a value that is an
//  object, array or null, a string longer than EXPR_VALUE_MAX, a type
//  error, division by zero. origin is the JSON path of the text holding
//  the expression, named in messages.
int
expr_eval_text (const expr_t *self, const expr_scope_t *scope,
                const char *origin, expr_text_t *out, fielderr_t *err);

//  The JSON path of the record value text holds ("records[4].customer",
//  "records[4].items[3].desc"), or "" when it holds none (text->path is
//  NULL), into buffer (size bytes, cut when longer). Built only when
//  asked, for an error message.
void
expr_text_field (const expr_text_t *text, char *buffer, size_t size);

//  Resolve a path expression (expr_is_path) to an array of the record.
//  Returns 0 with *array borrowed from the record and its JSON path
//  ("records[4].items") in field (size bytes), or -1 with err filled when
//  the path is missing or the value is not an array. what says what needs
//  the array, for the message ("table rows").
int
expr_eval_array (const expr_t *self, const expr_scope_t *scope,
                 const char *origin, const char *what, const cJSON **array,
                 char *field, size_t size, fielderr_t *err);

//  Format a finite number as a plain field value is written: integers
//  below 2^53 in magnitude as integers, others with the fewest significant
//  digits (15 to 17) that read back as the same double. buffer holds
//  EXPR_NUMBER_MAX bytes; returns the length.
size_t
expr_format_number (double number, char *buffer);

#endif
