/*  glyphset - the characters a job draws in each of its TrueType fonts.

    A template font finds its set through its index in the template's font
    list (template_font), so adding a text costs no search. Sets are keyed
    by face, the fonts_face_t the template resolved: fonts_face returns one
    pointer per file and index for the life of the process.

    SPDX-License-Identifier: MPL-2.0
*/
#include "glyphset.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "utf8.h"

#define S_BMP_SIZE 0x10000 // code points U+0000 to U+FFFF
#define S_WORD_BITS 64
#define S_WORDS (S_BMP_SIZE / S_WORD_BITS)
#define S_NO_SET SIZE_MAX // a standard font's set index

typedef struct {
    const fonts_face_t *face;
    uint64_t bits[S_WORDS]; // bit c: code point c is in the set
    size_t count;           // bits set
} s_set_t;

struct _glyphset_t {
    const template_t *tpl; // borrowed
    size_t *set_of;        // per template font: index in sets, or S_NO_SET
    s_set_t *sets;
    size_t set_count;
};

//  Index of font in the template's font list.
static size_t
s_font_index (const glyphset_t *self, const template_font_t *font)
{
    size_t index = (size_t)(font - template_font (self->tpl, 0));
    assert (index < template_font_count (self->tpl));
    return index;
}

static s_set_t *
s_set (const glyphset_t *self, const template_font_t *font)
{
    size_t set = self->set_of[s_font_index (self, font)];
    return set == S_NO_SET ? NULL : &self->sets[set];
}

static void
s_set_add (s_set_t *set, const char *text, size_t length)
{
    size_t offset = 0;
    while (offset < length) {
        uint32_t codepoint;
        size_t size = utf8_decode (text + offset, length - offset, &codepoint);
        if (size == 0) {
            offset++;
            continue;
        }
        offset += size;
        //  libharu's UTF-8 encoder draws a space for anything beyond U+FFFF.
        if (codepoint >= S_BMP_SIZE)
            codepoint = ' ';
        uint64_t bit = (uint64_t)1 << (codepoint % S_WORD_BITS);
        uint64_t *word = &set->bits[codepoint / S_WORD_BITS];
        if (!(*word & bit)) {
            *word |= bit;
            set->count++;
        }
    }
}

glyphset_t *
glyphset_new (const template_t *tpl)
{
    assert (tpl);
    size_t font_count = template_font_count (tpl);
    glyphset_t *self = calloc (1, sizeof (glyphset_t));
    if (!self)
        return NULL;
    self->tpl = tpl;
    self->set_of = calloc (font_count ? font_count : 1, sizeof (size_t));
    self->sets = calloc (font_count ? font_count : 1, sizeof (s_set_t));
    if (!self->set_of || !self->sets) {
        glyphset_destroy (&self);
        return NULL;
    }
    for (size_t index = 0; index < font_count; index++) {
        const template_font_t *font = template_font (tpl, index);
        self->set_of[index] = S_NO_SET;
        if (font->standard)
            continue;
        size_t set = 0;
        while (set < self->set_count && self->sets[set].face != font->face)
            set++;
        if (set == self->set_count)
            self->sets[self->set_count++].face = font->face;
        self->set_of[index] = set;
        if (font->glyphs)
            s_set_add (&self->sets[set], font->glyphs, strlen (font->glyphs));
    }
    return self;
}

void
glyphset_destroy (glyphset_t **self_p)
{
    assert (self_p);
    glyphset_t *self = *self_p;
    if (!self)
        return;
    free (self->set_of);
    free (self->sets);
    free (self);
    *self_p = NULL;
}

void
glyphset_add (glyphset_t *self, const template_font_t *font, const char *text,
              size_t length)
{
    assert (self);
    assert (font);
    assert (text || length == 0);
    s_set_t *set = s_set (self, font);
    if (set)
        s_set_add (set, text, length);
}

size_t
glyphset_count (const glyphset_t *self, const template_font_t *font)
{
    assert (self);
    assert (font);
    const s_set_t *set = s_set (self, font);
    return set ? set->count : 0;
}

char *
glyphset_text (const glyphset_t *self, const template_font_t *font)
{
    assert (self);
    assert (font);
    bytebuf_t text = {0};
    const s_set_t *set = s_set (self, font);
    for (size_t word = 0; set && word < S_WORDS; word++) {
        uint64_t bits = set->bits[word];
        for (uint32_t bit = 0; bits; bit++, bits >>= 1)
            if (bits & 1) {
                char bytes[UTF8_BYTES_MAX];
                size_t size =
                    utf8_encode ((uint32_t)(word * S_WORD_BITS + bit), bytes);
                bytebuf_append (&text, bytes, size);
            }
    }
    return bytebuf_detach (&text);
}

int
glyphset_annotate (const glyphset_t *self, cJSON *template_json)
{
    assert (self);
    assert (template_json);
    cJSON *fonts = cJSON_GetObjectItemCaseSensitive (template_json, "fonts");
    for (size_t index = 0; index < template_font_count (self->tpl); index++) {
        const template_font_t *font = template_font (self->tpl, index);
        if (glyphset_count (self, font) == 0)
            continue;
        cJSON *entry = cJSON_GetObjectItemCaseSensitive (fonts, font->name);
        if (!cJSON_IsObject (entry))
            return -1;
        char *glyphs = glyphset_text (self, font);
        cJSON *value = glyphs ? cJSON_CreateString (glyphs) : NULL;
        free (glyphs);
        if (!value)
            return -1;
        cJSON_DeleteItemFromObjectCaseSensitive (entry, "glyphs");
        if (!cJSON_AddItemToObject (entry, "glyphs", value)) {
            cJSON_Delete (value);
            return -1;
        }
    }
    return 0;
}
