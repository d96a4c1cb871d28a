/*  content - one page's content stream, as PDF operators.

    The graphics state is kept as the operators that set it ("0.85 g",
    "/F1 10 Tf"): a setting equal to the one in effect is the same text,
    so a string compare decides whether to write it, with no question of
    how a number rounds. q copies the state onto a stack, Q takes it back.

    Inside a text object the position of each text is a move (Td) from
    the start of the last one, rounded as it is written; the position
    kept is the rounded one, so errors never add up along a page.

    SPDX-License-Identifier: MPL-2.0
*/
#include "content.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "utf8.h"

//  Longest operator written or kept as state: six numbers of at most
//  S_NUMBER_CHARS_MAX characters, each with its space, the operator and
//  a NUL, with room to spare.
#define S_NUMBER_CHARS_MAX 19 // "-999999999999.99999"
#define S_SETTING_MAX (6 * (S_NUMBER_CHARS_MAX + 1) + 16)
//  Decimals a number keeps, and 10 to that power.
#define S_DECIMALS 5
#define S_SCALE 100000.0
//  Largest magnitude written; beyond it a number is clamped (no page is
//  that large, and the scaled value must fit in 64 bits).
#define S_NUMBER_MAX 1e12

typedef struct {
    char fill[S_SETTING_MAX];
    char stroke[S_SETTING_MAX];
    char line_width[S_SETTING_MAX];
    char font[S_SETTING_MAX];
    char char_spacing[S_SETTING_MAX];
} s_state_t;

struct _content_t {
    bytebuf_t ops;
    s_state_t state;
    s_state_t saved[CONTENT_SAVE_DEPTH_MAX];
    size_t depth;
    bool in_text;
    double text_x, text_y; // start of the last text shown, as written
};

static const s_state_t s_default_state = {
    .fill = "0 g",
    .stroke = "0 G",
    .line_width = "1 w",
    .font = "",
    .char_spacing = "0 Tc",
};

content_t *
content_new (void)
{
    content_t *self = calloc (1, sizeof (content_t));
    if (self)
        content_reset (self);
    return self;
}

void
content_destroy (content_t **self_p)
{
    assert (self_p);
    content_t *self = *self_p;
    if (!self)
        return;
    bytebuf_free (&self->ops);
    free (self);
    *self_p = NULL;
}

void
content_reset (content_t *self)
{
    assert (self);
    bytebuf_reset (&self->ops);
    self->state = s_default_state;
    self->depth = 0;
    self->in_text = false;
}

bool
content_failed (const content_t *self)
{
    assert (self);
    return self->ops.failed;
}

//  value rounded to S_DECIMALS decimals, as s_number writes it.
static double
s_rounded (double value)
{
    if (isnan (value))
        return 0;
    value = fmax (-S_NUMBER_MAX, fmin (S_NUMBER_MAX, value));
    return (double)llround (value * S_SCALE) / S_SCALE;
}

//  Write value into out (at least 32 bytes) the shortest way at
//  S_DECIMALS decimals; returns its length.
static size_t
s_number (char *out, double value)
{
    if (isnan (value))
        value = 0;
    value = fmax (-S_NUMBER_MAX, fmin (S_NUMBER_MAX, value));
    long long scaled = llround (value * S_SCALE);
    char *at = out;
    if (scaled < 0) {
        *at++ = '-';
        scaled = -scaled;
    }
    long long whole = scaled / (long long)S_SCALE;
    long long fraction = scaled % (long long)S_SCALE;
    char digits[24];
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole);
    while (count)
        *at++ = digits[--count];
    if (fraction) {
        *at++ = '.';
        char decimals[S_DECIMALS];
        for (int index = S_DECIMALS - 1; index >= 0; index--) {
            decimals[index] = (char)('0' + fraction % 10);
            fraction /= 10;
        }
        size_t kept = S_DECIMALS;
        while (decimals[kept - 1] == '0')
            kept--;
        memcpy (at, decimals, kept);
        at += kept;
    }
    *at = '\0';
    return (size_t)(at - out);
}

//  count numbers, each followed by a space, then the operator: into out
//  (S_SETTING_MAX bytes). Returns its length.
static size_t
s_operator (char *out, const double *numbers, size_t count, const char *name)
{
    assert (count <= 6);
    size_t length = 0;
    for (size_t index = 0; index < count; index++) {
        length += s_number (out + length, numbers[index]);
        out[length++] = ' ';
    }
    size_t name_length = strlen (name);
    assert (length + name_length < S_SETTING_MAX);
    memcpy (out + length, name, name_length + 1);
    return length + name_length;
}

static void
s_line (content_t *self, const char *line, size_t length)
{
    bytebuf_append (&self->ops, line, length);
    bytebuf_append (&self->ops, "\n", 1);
}

static void
s_end_text (content_t *self)
{
    if (self->in_text) {
        s_line (self, "ET", 2);
        self->in_text = false;
    }
}

//  Write numbers and name as an operator; with a drawing operator, close
//  any text object first.
static void
s_write (content_t *self, const double *numbers, size_t count, const char *name,
         bool drawing)
{
    if (drawing)
        s_end_text (self);
    char line[S_SETTING_MAX];
    size_t length = s_operator (line, numbers, count, name);
    s_line (self, line, length);
}

//  Write the setting numbers + name unless it is the one in setting.
static void
s_set (content_t *self, char *setting, const double *numbers, size_t count,
       const char *name)
{
    char line[S_SETTING_MAX];
    size_t length = s_operator (line, numbers, count, name);
    if (strcmp (line, setting) == 0)
        return;
    memcpy (setting, line, length + 1);
    s_line (self, line, length);
}

const char *
content_data (content_t *self, size_t *size_p)
{
    assert (self);
    assert (size_p);
    s_end_text (self);
    *size_p = self->ops.size;
    return self->ops.data ? self->ops.data : "";
}

void
content_fill_gray (content_t *self, double gray)
{
    assert (self);
    s_set (self, self->state.fill, &gray, 1, "g");
}

void
content_fill_rgb (content_t *self, double red, double green, double blue)
{
    assert (self);
    double numbers[] = {red, green, blue};
    s_set (self, self->state.fill, numbers, 3, "rg");
}

void
content_stroke_gray (content_t *self, double gray)
{
    assert (self);
    s_set (self, self->state.stroke, &gray, 1, "G");
}

void
content_stroke_rgb (content_t *self, double red, double green, double blue)
{
    assert (self);
    double numbers[] = {red, green, blue};
    s_set (self, self->state.stroke, numbers, 3, "RG");
}

void
content_line_width (content_t *self, double width)
{
    assert (self);
    s_set (self, self->state.line_width, &width, 1, "w");
}

void
content_rect (content_t *self, double x, double y, double width, double height)
{
    assert (self);
    double numbers[] = {x, y, width, height};
    s_write (self, numbers, 4, "re", true);
}

void
content_move_to (content_t *self, double x, double y)
{
    assert (self);
    double numbers[] = {x, y};
    s_write (self, numbers, 2, "m", true);
}

void
content_line_to (content_t *self, double x, double y)
{
    assert (self);
    double numbers[] = {x, y};
    s_write (self, numbers, 2, "l", true);
}

void
content_fill (content_t *self)
{
    assert (self);
    s_write (self, NULL, 0, "f", true);
}

void
content_stroke (content_t *self)
{
    assert (self);
    s_write (self, NULL, 0, "S", true);
}

void
content_fill_stroke (content_t *self)
{
    assert (self);
    s_write (self, NULL, 0, "B", true);
}

void
content_save (content_t *self)
{
    assert (self);
    assert (self->depth < CONTENT_SAVE_DEPTH_MAX);
    s_write (self, NULL, 0, "q", true);
    self->saved[self->depth++] = self->state;
}

void
content_restore (content_t *self)
{
    assert (self);
    assert (self->depth > 0);
    s_write (self, NULL, 0, "Q", true);
    self->state = self->saved[--self->depth];
}

void
content_concat (content_t *self, double a, double b, double c, double d,
                double e, double f)
{
    assert (self);
    double numbers[] = {a, b, c, d, e, f};
    s_write (self, numbers, 6, "cm", true);
}

void
content_image (content_t *self, const char *name, double x, double y,
               double width, double height)
{
    assert (self);
    assert (name);
    //  q .. Q around the matrix: nothing of the state changes.
    s_write (self, NULL, 0, "q", true);
    double numbers[] = {width, 0, 0, height, x, y};
    s_write (self, numbers, 6, "cm", true);
    bytebuf_append (&self->ops, "/", 1);
    bytebuf_append_str (&self->ops, name);
    s_line (self, " Do", 3);
    s_write (self, NULL, 0, "Q", true);
}

void
content_font (content_t *self, const char *name, double size)
{
    assert (self);
    assert (name);
    char line[S_SETTING_MAX];
    size_t name_length = strlen (name);
    assert (name_length + 40 < S_SETTING_MAX);
    line[0] = '/';
    memcpy (line + 1, name, name_length);
    line[1 + name_length] = ' ';
    size_t length = 2 + name_length;
    length += s_number (line + length, size);
    memcpy (line + length, " Tf", 4);
    length += 3;
    if (strcmp (line, self->state.font) == 0)
        return;
    memcpy (self->state.font, line, length + 1);
    //  Tf and Tc are text state: allowed in and out of a text object.
    s_line (self, line, length);
}

void
content_char_spacing (content_t *self, double spacing)
{
    assert (self);
    s_set (self, self->state.char_spacing, &spacing, 1, "Tc");
}

//  Append length bytes of text as the inside of a literal string.
static void
s_literal (content_t *self, const char *text, size_t length)
{
    char escaped[256];
    size_t used = 0;
    for (size_t index = 0; index < length; index++) {
        if (used + 4 > sizeof escaped) {
            bytebuf_append (&self->ops, escaped, used);
            used = 0;
        }
        unsigned char byte = (unsigned char)text[index];
        if (byte == '(' || byte == ')' || byte == '\\') {
            escaped[used++] = '\\';
            escaped[used++] = (char)byte;
        } else if (byte < 0x20 || byte > 0x7E) {
            escaped[used++] = '\\';
            escaped[used++] = (char)('0' + (byte >> 6));
            escaped[used++] = (char)('0' + ((byte >> 3) & 7));
            escaped[used++] = (char)('0' + (byte & 7));
        } else
            escaped[used++] = (char)byte;
    }
    bytebuf_append (&self->ops, escaped, used);
}

//  Append UTF-8 text as the inside of a hex string of code points, four
//  digits each; a character outside the BMP is a space and a broken
//  sequence is left out (the caller's checks keep both out).
static void
s_hex (content_t *self, const char *text, size_t length)
{
    static const char digits[] = "0123456789abcdef";
    char hex[256];
    size_t used = 0;
    size_t offset = 0;
    uint32_t codepoint;
    while (utf8_next (text, length, &offset, &codepoint)) {
        //  As libharu's UTF-8 encoder writes it.
        if (codepoint > 0xFFFF)
            codepoint = ' ';
        if (used + 4 > sizeof hex) {
            bytebuf_append (&self->ops, hex, used);
            used = 0;
        }
        hex[used++] = digits[(codepoint >> 12) & 15];
        hex[used++] = digits[(codepoint >> 8) & 15];
        hex[used++] = digits[(codepoint >> 4) & 15];
        hex[used++] = digits[codepoint & 15];
    }
    bytebuf_append (&self->ops, hex, used);
}

void
content_text (content_t *self, double x, double y, const char *text,
              size_t length, const char *suffix, content_encoding_t encoding)
{
    assert (self);
    assert (text || length == 0);
    if (!self->in_text) {
        s_line (self, "BT", 2);
        self->in_text = true;
        self->text_x = 0;
        self->text_y = 0;
    }
    double move[] = {x - self->text_x, y - self->text_y};
    self->text_x += s_rounded (move[0]);
    self->text_y += s_rounded (move[1]);
    s_write (self, move, 2, "Td", false);
    size_t suffix_length = suffix ? strlen (suffix) : 0;
    if (encoding == CONTENT_BYTES) {
        bytebuf_append (&self->ops, "(", 1);
        s_literal (self, text, length);
        s_literal (self, suffix, suffix_length);
        s_line (self, ") Tj", 4);
    } else {
        bytebuf_append (&self->ops, "<", 1);
        s_hex (self, text, length);
        s_hex (self, suffix, suffix_length);
        s_line (self, "> Tj", 4);
    }
}
