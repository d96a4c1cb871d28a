/*  subst - {{expression}} substitution in template strings.

    A compiled string is a list of parts, literal text or a compiled
    expression (common/expr), over one buffer that holds each literal
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
#include "utf8.h"

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
// UTF-8 and WinAnsi

//  WinAnsiEncoding bytes 0x80-0x9F and the characters they draw (PDF 32000
//  Annex D); 0 marks the five unused codes. Everything else that WinAnsi
//  draws is U+0020-U+007E and U+00A0-U+00FF at the same byte.
static const uint16_t s_winansi_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

//  The WinAnsi byte for codepoint, or 0 when WinAnsi has none.
static unsigned char
s_winansi_byte (uint32_t codepoint)
{
    if ((codepoint >= 0x20 && codepoint <= 0x7E) ||
        (codepoint >= 0xA0 && codepoint <= 0xFF))
        return (unsigned char)codepoint;
    for (int index = 0; index < 32; index++) {
        if (s_winansi_high[index] && s_winansi_high[index] == codepoint)
            return (unsigned char)(0x80 + index);
    }
    return 0;
}

static int
s_is_control (uint32_t codepoint)
{
    return codepoint < 0x20 || (codepoint >= 0x7F && codepoint <= 0x9F);
}

typedef enum {
    S_DRAWABLE,
    S_INVALID_UTF8,
    S_CONTROL,
    S_NOT_IN_CHARSET, // the font's encoding has no code for it
    S_NOT_IN_FONT,    // the font file has no glyph for it
} s_verdict_t;

//  Scan at most size bytes of text for the first character font cannot
//  draw.
static s_verdict_t
s_font_scan (const char *text, size_t size, const subst_font_t *font,
             uint32_t *codepoint, size_t *offset)
{
    const unsigned char *input = (const unsigned char *)text;
    size_t position = 0;
    while (position < size && input[position]) {
        size_t length = utf8_decode_str (text + position, codepoint);
        *offset = position;
        if (length == 0)
            return S_INVALID_UTF8;
        if (s_is_control (*codepoint))
            return S_CONTROL;
        if (font->charset == SUBST_CHARSET_WINANSI &&
            !s_winansi_byte (*codepoint))
            return S_NOT_IN_CHARSET;
        if (font->charset == SUBST_CHARSET_ASCII && *codepoint > 0x7E)
            return S_NOT_IN_CHARSET;
        if (font->covers && !font->covers (font->face, *codepoint))
            return S_NOT_IN_FONT;
        position += length;
    }
    return S_DRAWABLE;
}

//  The end of a message about an undrawable character, after "contains".
static void
s_explain (s_verdict_t verdict, const char *text, size_t offset,
           uint32_t codepoint, const subst_font_t *font, char *buffer,
           size_t size)
{
    uint32_t ignored;
    int length = (int)utf8_decode_str (text + offset, &ignored);
    if (verdict == S_INVALID_UTF8)
        snprintf (buffer, size, "bytes that are not valid UTF-8");
    else if (verdict == S_CONTROL)
        snprintf (buffer, size,
                  "the control character U+%04X, which no font can draw",
                  (unsigned)codepoint);
    else if (verdict == S_NOT_IN_FONT)
        snprintf (buffer, size,
                  "'%.*s' (U+%04X), which the font %s does not have", length,
                  text + offset, (unsigned)codepoint, font->name);
    else if (font->charset == SUBST_CHARSET_ASCII)
        snprintf (buffer, size,
                  "'%.*s' (U+%04X), which %s cannot draw: it takes printable "
                  "ASCII only, whose codes select its own symbols",
                  length, text + offset, (unsigned)codepoint, font->name);
    else
        snprintf (buffer, size,
                  "'%.*s' (U+%04X), which the standard PDF fonts cannot draw "
                  "(they only have the WinAnsi characters, roughly Latin-1)",
                  length, text + offset, (unsigned)codepoint);
}

int
subst_font_check (const char *text, const subst_font_t *font, const char *field,
                  const char *prefix, fielderr_t *err)
{
    assert (font);
    if (!text)
        return 0;
    uint32_t codepoint = 0;
    size_t offset = 0;
    s_verdict_t verdict =
        s_font_scan (text, SIZE_MAX, font, &codepoint, &offset);
    if (verdict == S_DRAWABLE)
        return 0;
    char explanation[FIELDERR_MESSAGE_MAX];
    s_explain (verdict, text, offset, codepoint, font, explanation,
               sizeof explanation);
    fielderr_set (err, field, "%scontains %s", prefix ? prefix : "",
                  explanation);
    return -1;
}

int
subst_charset_check (const char *text, subst_charset_t charset,
                     const char *field, fielderr_t *err)
{
    subst_font_t font = {charset == SUBST_CHARSET_ASCII ? "this font"
                                                        : "the standard fonts",
                         charset, NULL, NULL};
    return subst_font_check (text, &font, field, NULL, err);
}

int
subst_winansi_encode (char *text)
{
    if (!text)
        return -1;
    unsigned char *input = (unsigned char *)text;
    size_t read = 0, written = 0;
    while (input[read]) {
        uint32_t codepoint;
        size_t length = utf8_decode_str (text + read, &codepoint);
        if (length == 0 || s_is_control (codepoint))
            return -1;
        unsigned char byte = s_winansi_byte (codepoint);
        if (!byte)
            return -1;
        input[written++] = byte;
        read += length;
    }
    input[written] = '\0';
    return 0;
}

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
subst_check_literals (const subst_t *self, const subst_font_t *font,
                      fielderr_t *err)
{
    assert (self);
    assert (font);
    for (size_t index = 0; index < self->part_count; index++) {
        const s_part_t *part = &self->parts[index];
        if (part->kind == S_LITERAL) {
            int rc = subst_font_check (self->strings + part->offset, font,
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
            int rc = subst_font_check (expr_literal (part->expr, literal), font,
                                       self->origin, prefix, err);
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
                  const expr_text_t *inserted, const subst_font_t *font,
                  fielderr_t *err)
{
    if (subst_font_check (inserted->text, font, "", NULL, NULL) == 0)
        return 0;
    char prefix[FIELDERR_MESSAGE_MAX / 2];
    if (inserted->path) {
        char field[FIELDERR_FIELD_MAX];
        expr_text_field (inserted, field, sizeof field);
        snprintf (prefix, sizeof prefix, "field '%s' used by %s ",
                  inserted->path, self->origin);
        return subst_font_check (inserted->text, font, field, prefix, err);
    }
    snprintf (prefix, sizeof prefix, "has {{ %.*s }}, whose value ",
              S_QUOTE_MAX, expr_source (expr));
    return subst_font_check (inserted->text, font, self->origin, prefix, err);
}

int
subst_check (const subst_t *self, const cJSON *record, const subst_vars_t *vars,
             const subst_font_t *font, fielderr_t *err)
{
    assert (self);
    subst_vars_t no_vars = {0, 0, 0, NULL, NULL};
    if (!vars)
        vars = &no_vars;
    expr_scope_t scope = {record,     vars->item,  vars->item_field,
                          vars->page, vars->pages, vars->record_nbr};
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
              const subst_vars_t *vars, const subst_font_t *font,
              fielderr_t *err)
{
    assert (self);
    subst_vars_t no_vars = {0, 0, 0, NULL, NULL};
    if (!vars)
        vars = &no_vars;
    expr_scope_t scope = {record,     vars->item,  vars->item_field,
                          vars->page, vars->pages, vars->record_nbr};
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
