/*  utf8 - reading and writing UTF-8 text one character at a time.

    Owns the one definition of valid UTF-8 that every check of outside
    text uses (job documents, records files, file names, error messages):
    a sequence is valid when its lead byte is one of 00-7F, C2-F4, its
    continuation bytes are 80-BF, it is the shortest form of its code
    point, and the code point is not a surrogate (U+D800-U+DFFF) nor past
    U+10FFFF. What a caller does with a valid character (refuse control
    characters, check a font's coverage) is its own business.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_UTF8_H
#define PDFPIPE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Decode the character at text[0 .. available). Returns its length in
//  bytes (1 to 4) and sets *codepoint (when codepoint is not NULL), or
//  returns 0 when the bytes there are not a valid sequence, including one
//  cut short by the end of available, or when available is 0. A NUL byte
//  is the character U+0000.
size_t
utf8_decode (const char *text, size_t available, uint32_t *codepoint);

//  The same for a NUL-terminated string: returns 0 also at its NUL, and
//  never reads past it.
size_t
utf8_decode_str (const char *text, uint32_t *codepoint);

//  Offset of the first byte of text[0 .. size) that does not start a valid
//  sequence, or size when all of it is valid UTF-8.
size_t
utf8_invalid_at (const char *text, size_t size);

#define UTF8_BYTES_MAX 4 // bytes of one character

//  Write codepoint (at most U+10FFFF, not a surrogate) as UTF-8 into bytes
//  (UTF8_BYTES_MAX of them). Returns its length, 1 to 4; nothing is
//  written after it.
size_t
utf8_encode (uint32_t codepoint, char *bytes);

//  How many bytes of text (size bytes) to keep so that at most limit are
//  kept without cutting a character in two: size when it fits, else limit
//  moved back to the start of the character it falls in.
size_t
utf8_cut (const char *text, size_t size, size_t limit);

//  The next character of text (size bytes) from *offset: sets *codepoint,
//  moves *offset past it and returns true; a byte that starts no valid
//  sequence is passed over. Returns false at the end of text.
bool
utf8_next (const char *text, size_t size, size_t *offset, uint32_t *codepoint);

#endif
