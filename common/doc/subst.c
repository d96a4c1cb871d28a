/*  subst - {{expression}} substitution in template strings.

    A compiled string is a list of parts, literal text or a compiled
    expression (common/doc/expr), over one buffer that holds each literal
    NUL-terminated. Expansion evaluates each expression once into a result
    that grows as needed: the result is the only allocation.

    A placeholder ends at the first "}}" that is not inside a quoted string
    of its expression, so {{ x | default: "}}" }} works.

    Literal text is checked against a font once, by subst_check_literals
    when the template is parsed; expansion checks only what the record and
    the expressions insert.

    SPDX-License-Identifier: MPL-2.0
*/
#include "subst.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"

#define S_QUOTE_MAX 40 // bytes of a bad placeholder quoted in errors

typedef enum {
    S_LITERAL,
    S_EXPR,
} s_kind_t;

typedef struct {
    s_kind_t kind;
    size_t offset; // S_LITERAL: into strings
    size_t length; // S_LITERAL: bytes, without the NUL
    expr_t *expr;  // S_EXPR: owned
} s_part_t;

struct _subst_t {
    char *strings; // literals, each NUL-terminated
    size_t strings_used;
    s_part_t *parts;
    size_t part_count;
    size_t part_max;
    size_t field_count; // record paths read, over all expressions
    char *origin;       // JSON path of the source string
};

// ---------------------------------------------------------------------------
// Compiling

//  1-based position in characters of offset in source, for messages.
static size_t
s_character_position (const char *source, size_t offset)
{
    size_t position = 1;
    for (size_t index = 0; index < offset; index++) {
        if (((unsigned char)source[index] & 0xC0) != 0x80)
            position++;
    }
    return position;
}

static s_part_t *
s_add_part (subst_t *self, s_kind_t kind)
{
    if (self->part_count == self->part_max) {
        size_t part_max = self->part_max ? self->part_max * 2 : 4;
        if (part_max > SIZE_MAX / sizeof (s_part_t))
            return NULL;
        s_part_t *parts = realloc (self->parts, part_max * sizeof (s_part_t));
        if (!parts)
            return NULL;
        self->parts = parts;
        self->part_max = part_max;
    }
    s_part_t *part = &self->parts[self->part_count++];
    memset (part, 0, sizeof (s_part_t));
    part->kind = kind;
    return part;
}

static int
s_add_literal (subst_t *self, const char *text, size_t length)
{
    s_part_t *part = s_add_part (self, S_LITERAL);
    if (!part)
        return -1;
    part->offset = self->strings_used;
    part->length = length;
    memcpy (self->strings + self->strings_used, text, length);
    self->strings[self->strings_used + length] = '\0';
    self->strings_used += length + 1;
    return 0;
}

//  Quote a bad placeholder's inside for a message, cut on a character
//  boundary.
static int
s_quote_length (const char *inside, size_t length)
{
    if (length <= S_QUOTE_MAX)
        return (int)length;
    size_t cut = S_QUOTE_MAX;
    while (cut > 0 && ((unsigned char)inside[cut] & 0xC0) == 0x80)
        cut--;
    return (int)cut;
}

//  The "}}" that closes the placeholder whose inside starts at inside,
//  skipping quoted strings; NULL when there is none.
static const char *
s_find_close (const char *inside)
{
    char quote = 0;
    for (const char *at = inside; *at; at++) {
        if (quote) {
            if (*at == '\\' && at[1])
                at++;
            else if (*at == quote)
                quote = 0;
        } else if (*at == '\'' || *at == '"')
            quote = *at;
        else if (at[0] == '}' && at[1] == '}')
            return at;
    }
    return NULL;
}

static int
s_is_blank (const char *text, size_t length)
{
    for (size_t index = 0; index < length; index++)
        if (text[index] != ' ' && text[index] != '\t')
            return 0;
    return 1;
}

//  Parse source into self's parts; returns -1 with err filled on a syntax
//  error, -2 when out of memory.
static int
s_parse (subst_t *self, const char *source, const char *field, fielderr_t *err)
{
    size_t length = strlen (source);
    size_t position = 0;
    while (position < length) {
        const char *open = strstr (source + position, "{{");
        size_t literal_end = open ? (size_t)(open - source) : length;
        if (literal_end > position) {
            int rc =
                s_add_literal (self, source + position, literal_end - position);
            if (rc)
                return -2;
        }
        if (!open)
            break;
        size_t open_at = literal_end;
        const char *inside = open + 2;
        const char *close = s_find_close (inside);
        if (!close) {
            fielderr_set (err, field,
                          "unclosed placeholder: '{{' at character %zu has no "
                          "matching '}}'",
                          s_character_position (source, open_at));
            return -1;
        }
        size_t inside_length = (size_t)(close - inside);
        if (s_is_blank (inside, inside_length)) {
            fielderr_set (err, field,
                          "empty placeholder at character %zu; expected a "
                          "field path such as {{customer.name}}",
                          s_character_position (source, open_at));
            return -1;
        }
        char problem[EXPR_PROBLEM_MAX];
        expr_t *expr =
            expr_compile (inside, inside_length, problem, sizeof problem);
        if (!expr) {
            if (strcmp (problem, "out of memory") == 0)
                return -2;
            int quoted = s_quote_length (inside, inside_length);
            fielderr_set (err, field,
                          "invalid placeholder '{{%.*s%s}}' at character %zu: "
                          "%s",
                          quoted, inside,
                          (size_t)quoted < inside_length ? "..." : "",
                          s_character_position (source, open_at), problem);
            return -1;
        }
        s_part_t *part = s_add_part (self, S_EXPR);
        if (!part) {
            expr_destroy (&expr);
            return -2;
        }
        part->expr = expr;
        self->field_count += expr_path_count (expr);
        position = (size_t)(close - source) + 2;
    }
    return 0;
}

subst_t *
subst_compile (const char *source, const char *field, fielderr_t *err)
{
    if (!field)
        field = "";
    if (!source) {
        fielderr_set (err, field, "missing text");
        return NULL;
    }
    size_t length = strlen (source);
    subst_t *self = calloc (1, sizeof (subst_t));
    if (!self)
        goto out_of_memory;
    //  Literals are at most the source, and there are at most length + 1
    //  of them, each with its NUL.
    if (length > SIZE_MAX / 2 - 2)
        goto out_of_memory;
    self->strings = malloc (2 * length + 2);
    self->origin = strdup (field);
    if (!self->strings || !self->origin)
        goto out_of_memory;
    int rc = s_parse (self, source, field, err);
    if (rc == -2)
        goto out_of_memory;
    if (rc == -1) {
        subst_destroy (&self);
        return NULL;
    }
    return self;

out_of_memory:
    subst_destroy (&self);
    fielderr_set (err, field, "out of memory compiling this text");
    return NULL;
}

void
subst_destroy (subst_t **self_p)
{
    assert (self_p);
    subst_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->part_count; index++)
        expr_destroy (&self->parts[index].expr);
    free (self->strings);
    free (self->parts);
    free (self->origin);
    free (self);
    *self_p = NULL;
}

int
subst_is_literal (const subst_t *self)
{
    assert (self);
    for (size_t index = 0; index < self->part_count; index++) {
        if (self->parts[index].kind != S_LITERAL)
            return 0;
    }
    return 1;
}

const char *
subst_origin (const subst_t *self)
{
    assert (self);
    return self->origin;
}

size_t
subst_field_count (const subst_t *self)
{
    assert (self);
    return self->field_count;
}

int
subst_single_path (const subst_t *self, const expr_t **expr_p)
{
    assert (self);
    if (self->part_count != 1 || self->parts[0].kind != S_EXPR ||
        !expr_is_path (self->parts[0].expr))
        return 0;
    if (expr_p)
        *expr_p = self->parts[0].expr;
    return 1;
}

int
subst_check_literals (const subst_t *self, const charset_font_t *font,
                      fielderr_t *err)
{
    assert (self);
    assert (font);
    for (size_t index = 0; index < self->part_count; index++) {
        const s_part_t *part = &self->parts[index];
        if (part->kind == S_LITERAL) {
            int rc = charset_font_check (self->strings + part->offset, font,
                                         self->origin, NULL, err);
            if (rc)
                return -1;
            continue;
        }
        for (size_t literal = 0; literal < expr_literal_count (part->expr);
             literal++) {
            char prefix[FIELDERR_MESSAGE_MAX / 2];
            snprintf (prefix, sizeof prefix,
                      "has a quoted string in {{ %.*s }} that ", S_QUOTE_MAX,
                      expr_source (part->expr));
            int rc = charset_font_check (expr_literal (part->expr, literal),
                                         font, self->origin, prefix, err);
            if (rc)
                return -1;
        }
    }
    return 0;
}

// ---------------------------------------------------------------------------
// Expanding

size_t
subst_format_number (double number, char *buffer)
{
    char formatted[EXPR_NUMBER_MAX];
    size_t length = expr_format_number (number, formatted);
    //  At most 24 bytes: "-1.2345678901234567e-308".
    if (length >= SUBST_NUMBER_MAX)
        length = SUBST_NUMBER_MAX - 1;
    memcpy (buffer, formatted, length);
    buffer[length] = '\0';
    return length;
}

//  Check an expression's text against font; err names the record field
//  it came from or, for a computed value, the string. The names are built
//  only for a text that fails.
static int
s_check_inserted (const subst_t *self, const expr_t *expr,
                  const expr_text_t *inserted, const charset_font_t *font,
                  fielderr_t *err)
{
    if (charset_font_check (inserted->text, font, "", NULL, NULL) == 0)
        return 0;
    char prefix[FIELDERR_MESSAGE_MAX / 2];
    if (inserted->path) {
        char field[FIELDERR_FIELD_MAX];
        expr_text_field (inserted, field, sizeof field);
        snprintf (prefix, sizeof prefix, "field '%s' used by %s ",
                  inserted->path, self->origin);
        return charset_font_check (inserted->text, font, field, prefix, err);
    }
    snprintf (prefix, sizeof prefix, "has {{ %.*s }}, whose value ",
              S_QUOTE_MAX, expr_source (expr));
    return charset_font_check (inserted->text, font, self->origin, prefix, err);
}

//  Where expressions are evaluated: the record and vars (NULL: none).
static expr_scope_t
s_scope (const cJSON *record, const subst_vars_t *vars)
{
    subst_vars_t no_vars = {0, 0, 0, NULL, NULL};
    if (!vars)
        vars = &no_vars;
    expr_scope_t scope = {record,     vars->item,  vars->item_field,
                          vars->page, vars->pages, vars->record_nbr};
    return scope;
}

int
subst_check (const subst_t *self, const cJSON *record, const subst_vars_t *vars,
             const charset_font_t *font, fielderr_t *err)
{
    assert (self);
    expr_scope_t scope = s_scope (record, vars);
    for (size_t index = 0; index < self->part_count; index++) {
        const s_part_t *part = &self->parts[index];
        if (part->kind != S_EXPR)
            continue;
        expr_text_t inserted;
        int rc =
            expr_eval_text (part->expr, &scope, self->origin, &inserted, err);
        if (rc == 0 && font)
            rc = s_check_inserted (self, part->expr, &inserted, font, err);
        if (rc)
            return -1;
    }
    return 0;
}

char *
subst_expand (const subst_t *self, const cJSON *record,
              const subst_vars_t *vars, const charset_font_t *font,
              fielderr_t *err)
{
    assert (self);
    expr_scope_t scope = s_scope (record, vars);
    bytebuf_t result = {0};
    for (size_t index = 0; index < self->part_count; index++) {
        const s_part_t *part = &self->parts[index];
        const char *text = self->strings + part->offset;
        size_t length = part->length;
        expr_text_t inserted;
        if (part->kind == S_EXPR) {
            int rc = expr_eval_text (part->expr, &scope, self->origin,
                                     &inserted, err);
            if (rc == 0 && font)
                rc = s_check_inserted (self, part->expr, &inserted, font, err);
            if (rc) {
                bytebuf_free (&result);
                return NULL;
            }
            text = inserted.text;
            length = inserted.length;
        }
        bytebuf_append (&result, text, length);
    }
    char *expanded = bytebuf_detach (&result);
    if (!expanded)
        fielderr_set (err, self->origin, "out of memory expanding this text");
    return expanded;
}
