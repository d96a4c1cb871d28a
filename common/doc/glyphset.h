/*  glyphset - the characters a job draws in each of its TrueType fonts.

    libharu embeds each TrueType font as a subset of the glyphs a document
    uses, and a worker renders each chunk as a document of its own, so the
    chunks of a job embed different subsets that the sink cannot share.
    When every chunk also measures every character the whole job draws in
    the font, every chunk embeds the same subset. This module gathers that
    set at intake, where every text of every record is expanded and
    checked anyway (template_check_record_texts hands each one here), and
    writes it into the template as each font's "glyphs", which travels in
    every CHUNK.

    One set per TrueType face of the template, a bitset over the Basic
    Multilingual Plane (8 KB each, at most TEMPLATE_FONTS_MAX of them), so
    memory does not grow with the job. Template fonts on the same face
    share a set: they are one font in libharu. A character beyond the BMP
    counts as a space, which is what libharu's UTF-8 encoder draws and
    measures in its place.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_GLYPHSET_H
#define PDFPIPE_GLYPHSET_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "template.h"

typedef struct _glyphset_t glyphset_t;

//  Empty sets for the TrueType fonts of tpl, each holding already the
//  characters of its font's own "glyphs" (and of any font on the same
//  face). tpl is borrowed and must outlive the result. Returns NULL when
//  out of memory. Caller owns the result.
glyphset_t *
glyphset_new (const template_t *tpl);

void
glyphset_destroy (glyphset_t **self_p);

//  Add the characters of length bytes of text (valid UTF-8, as checked
//  against font) to font's set. font is a font of the template; a
//  standard font has no set and is ignored. Bytes that are not valid
//  UTF-8 are skipped.
void
glyphset_add (glyphset_t *self, const template_font_t *font, const char *text,
              size_t length);

//  How many characters font's set holds (0 for a standard font).
size_t
glyphset_count (const glyphset_t *self, const template_font_t *font);

//  The characters of font's set as UTF-8, in code point order, each once
//  ("" for a standard font or an empty set). Returns NULL when out of
//  memory. Caller frees.
char *
glyphset_text (const glyphset_t *self, const template_font_t *font);

//  Write each TrueType font's set into template_json (the template
//  object the template was parsed from: {"fonts": {"korean": {...}}}) as
//  the font's "glyphs" string, replacing any given; a font with an empty
//  set is left as it is. Returns 0, or -1 when out of memory or when
//  template_json lacks a font of the template (a caller's mistake: then
//  some fonts may have been written).
int
glyphset_annotate (const glyphset_t *self, cJSON *template_json);

#endif
