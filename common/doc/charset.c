/*  charset - what text a font can draw.

    A text is scanned once, character by character, for the first one the
    font cannot draw; only then is a message built, naming the character
    and its code point.

    SPDX-License-Identifier: MPL-2.0
*/
#include "charset.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

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
s_font_scan (const char *text, size_t size, const charset_font_t *font,
             uint32_t *codepoint, size_t *offset)
{
    const unsigned char *input = (const unsigned char *)text;
    size_t position = 0;
    while (position < size && input[position]) {
        //  ASCII, most of any text, is its own code point.
        size_t length = 1;
        if (input[position] < 0x80)
            *codepoint = input[position];
        else
            length = utf8_decode_str (text + position, codepoint);
        *offset = position;
        if (length == 0)
            return S_INVALID_UTF8;
        if (s_is_control (*codepoint))
            return S_CONTROL;
        if (font->charset == CHARSET_WINANSI && !s_winansi_byte (*codepoint))
            return S_NOT_IN_CHARSET;
        if (font->charset == CHARSET_ASCII && *codepoint > 0x7E)
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
           uint32_t codepoint, const charset_font_t *font, char *buffer,
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
    else if (font->charset == CHARSET_ASCII)
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
charset_font_check (const char *text, const charset_font_t *font,
                    const char *field, const char *prefix, fielderr_t *err)
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
charset_check (const char *text, charset_t charset, const char *field,
               fielderr_t *err)
{
    charset_font_t font = {charset == CHARSET_ASCII ? "this font"
                                                    : "the standard fonts",
                           charset, NULL, NULL};
    return charset_font_check (text, &font, field, NULL, err);
}

int
charset_winansi_encode (char *text)
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
