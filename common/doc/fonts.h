/*  fonts - installed TrueType fonts: finding them and what they can draw.

    The only module that sees fontconfig. A template names a TrueType
    font by family ("NanumGothic", through fontconfig's matching) or by
    file; either way the file must be a font fontconfig knows, so a job
    cannot make a worker read an arbitrary file, and it must have TrueType
    (glyf) outlines, the only kind libharu embeds.

    A face (one font in a file) is read once per process with
    FcFreeTypeQuery and kept until the process exits: the ventilator checks
    every character of every record against it (FcCharSetHasChar), so it
    must be cheap to reach. The cache is shared by all threads and guarded
    by a mutex; a face, once returned, is immutable and may be read from
    any thread without locking.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_FONTS_H
#define PDFPIPE_FONTS_H

#include <stddef.h>
#include <stdint.h>

#include "fielderr.h"

#define FONTS_PATH_MAX 1024 // bytes of a font file's path, with NUL
#define FONTS_FACES_MAX 256 // faces a process keeps; more is an error

typedef struct _fonts_face_t fonts_face_t;

//  Find an installed font by family and, when style is not NULL, style
//  ("Bold"); case and spaces do not matter ("Nanum Gothic" is
//  "NanumGothic"). Returns 0 with its file in path (size bytes) and its
//  index in that file, or -1 with err naming field: "no installed font has
//  the family 'X'", "the family 'X' has no style 'Y' installed".
int
fonts_find (const char *family, const char *style, char *path, size_t size,
            int *index, const char *field, fielderr_t *err);

//  The face at index in the font file at path, read on first use. Returns
//  NULL with err naming field when fontconfig does not know the file as an
//  installed font, cannot read it, or its outlines are not TrueType (CFF
//  OpenType fonts cannot be embedded by libharu), or when the process
//  already keeps FONTS_FACES_MAX faces. Borrowed; lives until the process
//  exits.
const fonts_face_t *
fonts_face (const char *path, int index, const char *field, fielderr_t *err);

//  True when the face has a glyph for codepoint. The signature is
//  charset_font_t's covers.
int
fonts_face_covers (const void *face, uint32_t codepoint);

//  The face's file, index in it and first family name (borrowed).
const char *
fonts_face_path (const fonts_face_t *face);
int
fonts_face_index (const fonts_face_t *face);
const char *
fonts_face_family (const fonts_face_t *face);

#endif
