/*  charset - what text a font can draw.

    Owns the check of a text against a font: the ventilator checks every
    expanded text of every record against its font when a job is
    submitted, the worker checks again as it draws, and converts text to
    the bytes a standard PDF font expects (WinAnsiEncoding). A character a
    font lacks is an error naming the field it came from and the
    character, never a blank glyph. Every check refuses invalid UTF-8 and
    control characters (U+0000-U+001F, U+007F-U+009F), which no font draws.

    Which field to blame is the caller's: common/doc/subst names the record
    field a placeholder read, common/doc/template the template text.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_CHARSET_H
#define PDFPIPE_CHARSET_H

#include <stdint.h>

#include "fielderr.h"

//  Characters a text may contain, besides the rules above.
typedef enum {
    CHARSET_UTF8 = 0, // any other Unicode character
    CHARSET_WINANSI,  // WinAnsiEncoding: the 14 standard Latin fonts
    CHARSET_ASCII,    // printable ASCII: Symbol and ZapfDingbats
} charset_t;

//  What a font can draw. covers, when not NULL, must also accept every
//  character: a TrueType font's own coverage (common/doc/fonts).
typedef struct {
    const char *name; // for messages: "Helvetica", "'body' (NanumGothic)"
    charset_t charset;
    int (*covers) (const void *face, uint32_t codepoint);
    const void *face;
} charset_font_t;

//  Check that text (UTF-8, NUL-terminated) is drawable in charset. Returns
//  0, or -1 with err naming field and the first offending character
//  ("contains 'ő' (U+0151), which the standard PDF fonts cannot draw ...").
int
charset_check (const char *text, charset_t charset, const char *field,
               fielderr_t *err);

//  Check that text is drawable with font. Returns 0, or -1 with err named
//  field and message prefix (such as "field 'x' used by T ") followed by
//  "contains ..." as charset_check words it. A NULL text is drawable.
int
charset_font_check (const char *text, const charset_font_t *font,
                    const char *field, const char *prefix, fielderr_t *err);

//  Convert text from UTF-8 to WinAnsiEncoding in place (the result is never
//  longer), as libharu's standard fonts with "WinAnsiEncoding" expect.
//  Returns 0, or -1 leaving text unspecified when it is not drawable in
//  CHARSET_WINANSI.
int
charset_winansi_encode (char *text);

#endif
