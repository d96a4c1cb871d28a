/*  fonts - installed TrueType fonts: finding them and what they can draw.

    fontconfig always answers a match with some font, the closest it has,
    so fonts_find checks that the answer really has the family (and style)
    asked for: a job asking for a font the machine lacks is told so, rather
    than drawn in a substitute whose glyphs differ.

    Faces are kept in a list under s_lock and never freed: they are few
    (installed fonts that jobs use) and bounded by FONTS_FACES_MAX, and a
    face handed out must stay valid without a reference count. Only faces
    that load are kept, so a bad path costs a lookup each time it is tried.

    A face keeps its coverage as its own copy of fontconfig's pages (256
    code points each, as bit maps, sorted), not as the FcCharSet: that is
    freed with the query, so nothing of fontconfig's outlives a call (its
    sets link their parts by offsets, which leak checkers cannot follow).
    The first use registers s_release with atexit, which frees the faces
    and fontconfig's own state (FcFini) when the process exits, after its
    main has stopped its threads; a leak checker then sees nothing left.

    SPDX-License-Identifier: MPL-2.0
*/
#include "fonts.h"

#include <assert.h>
#include <ctype.h>
#include <fontconfig/fontconfig.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NAME_MAX 128 // bytes of a family name kept per face

//  256 code points from base: bit n of map[n / 32] is base + n.
typedef struct {
    uint32_t base;
    uint32_t map[FC_CHARSET_MAP_SIZE];
} s_page_t;

struct _fonts_face_t {
    char *path;
    int index;
    char family[S_NAME_MAX];
    s_page_t *pages; // the face's coverage, by ascending base
    size_t page_count;
    struct _fonts_face_t *next;
};

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static fonts_face_t *s_faces;    // under s_lock
static size_t s_face_count;      // under s_lock
static int s_release_registered; // under s_lock

static void
s_release (void)
{
    pthread_mutex_lock (&s_lock);
    while (s_faces) {
        fonts_face_t *next = s_faces->next;
        free (s_faces->path);
        free (s_faces->pages);
        free (s_faces);
        s_faces = next;
    }
    s_face_count = 0;
    FcFini ();
    pthread_mutex_unlock (&s_lock);
}

//  Take s_lock before using fontconfig; the first time, arrange for
//  s_release at exit.
static void
s_lock_fontconfig (void)
{
    pthread_mutex_lock (&s_lock);
    if (!s_release_registered) {
        s_release_registered = 1;
        atexit (s_release);
    }
}

//  Case- and blank-insensitive comparison: "Nanum Gothic" is "nanumgothic".
static int
s_same_name (const char *left, const char *right)
{
    while (1) {
        while (*left == ' ' || *left == '-' || *left == '_')
            left++;
        while (*right == ' ' || *right == '-' || *right == '_')
            right++;
        if (!*left || !*right)
            return *left == *right;
        if (tolower ((unsigned char)*left) != tolower ((unsigned char)*right))
            return 0;
        left++;
        right++;
    }
}

//  True when one of the values of object in pattern is name.
static int
s_pattern_has (FcPattern *pattern, const char *object, const char *name)
{
    FcChar8 *value;
    for (int nbr = 0;
         FcPatternGetString (pattern, object, nbr, &value) == FcResultMatch;
         nbr++)
        if (s_same_name ((const char *)value, name))
            return 1;
    return 0;
}

int
fonts_find (const char *family, const char *style, char *path, size_t size,
            int *index, const char *field, fielderr_t *err)
{
    assert (family);
    assert (path);
    assert (index);
    s_lock_fontconfig ();
    int rc = -1;
    FcPattern *pattern = FcPatternCreate ();
    FcPattern *match = NULL;
    if (!pattern) {
        fielderr_set (err, field, "out of memory");
        goto cleanup;
    }
    FcPatternAddString (pattern, FC_FAMILY, (const FcChar8 *)family);
    if (style)
        FcPatternAddString (pattern, FC_STYLE, (const FcChar8 *)style);
    FcConfigSubstitute (NULL, pattern, FcMatchPattern);
    FcDefaultSubstitute (pattern);
    FcResult result;
    match = FcFontMatch (NULL, pattern, &result);
    FcChar8 *file = NULL;
    if (!match || !s_pattern_has (match, FC_FAMILY, family)) {
        FcChar8 *other = NULL;
        if (match)
            FcPatternGetString (match, FC_FAMILY, 0, &other);
        fielderr_set (err, field,
                      "no installed font has the family '%.64s'%s%.64s%s; "
                      "fc-list shows the families installed",
                      family, other ? " (the closest is '" : "",
                      other ? (const char *)other : "", other ? "')" : "");
        goto cleanup;
    }
    if (style && !s_pattern_has (match, FC_STYLE, style)) {
        fielderr_set (err, field,
                      "the family '%.64s' has no style '%.64s' installed",
                      family, style);
        goto cleanup;
    }
    if (FcPatternGetString (match, FC_FILE, 0, &file) != FcResultMatch ||
        strlen ((const char *)file) >= size) {
        fielderr_set (err, field,
                      "fontconfig gives no usable file for the family "
                      "'%.64s'",
                      family);
        goto cleanup;
    }
    snprintf (path, size, "%s", (const char *)file);
    *index = 0;
    FcPatternGetInteger (match, FC_INDEX, 0, index);
    rc = 0;

cleanup:
    if (match)
        FcPatternDestroy (match);
    if (pattern)
        FcPatternDestroy (pattern);
    pthread_mutex_unlock (&s_lock);
    return rc;
}

//  True when fontconfig lists the file at path among installed fonts.
static int
s_is_installed (const char *path, int index)
{
    FcPattern *pattern = FcPatternCreate ();
    FcObjectSet *objects = FcObjectSetBuild (FC_FILE, FC_INDEX, (char *)NULL);
    FcFontSet *set = NULL;
    int found = 0;
    if (pattern && objects) {
        FcPatternAddString (pattern, FC_FILE, (const FcChar8 *)path);
        FcPatternAddInteger (pattern, FC_INDEX, index);
        set = FcFontList (NULL, pattern, objects);
        found = set && set->nfont > 0;
    }
    if (set)
        FcFontSetDestroy (set);
    if (objects)
        FcObjectSetDestroy (objects);
    if (pattern)
        FcPatternDestroy (pattern);
    return found;
}

//  Copy charset's pages into face; returns 0 when out of memory, else 1.
static int
s_copy_pages (fonts_face_t *face, const FcCharSet *charset)
{
    FcChar32 map[FC_CHARSET_MAP_SIZE];
    FcChar32 next;
    size_t count = 0;
    for (FcChar32 base = FcCharSetFirstPage (charset, map, &next);
         base != FC_CHARSET_DONE;
         base = FcCharSetNextPage (charset, map, &next))
        count++;
    face->pages = calloc (count ? count : 1, sizeof (s_page_t));
    if (!face->pages)
        return 0;
    for (FcChar32 base = FcCharSetFirstPage (charset, map, &next);
         base != FC_CHARSET_DONE && face->page_count < count;
         base = FcCharSetNextPage (charset, map, &next)) {
        s_page_t *page = &face->pages[face->page_count++];
        page->base = base;
        memcpy (page->map, map, sizeof page->map);
    }
    return 1;
}

//  Read the face; called with s_lock held.
static fonts_face_t *
s_load (const char *path, int index, const char *field, fielderr_t *err)
{
    if (!s_is_installed (path, index)) {
        fielderr_set (err, field,
                      "'%.200s' is not an installed font: use a font file "
                      "that fc-list shows (face %d), or a family name",
                      path, index);
        return NULL;
    }
    int count = 0;
    FcPattern *query =
        FcFreeTypeQuery ((const FcChar8 *)path, (unsigned)index, NULL, &count);
    if (!query) {
        fielderr_set (err, field, "cannot read the font file '%.200s'", path);
        return NULL;
    }
    fonts_face_t *face = NULL;
    FcChar8 *format = NULL;
    FcCharSet *charset = NULL;
    FcChar8 *family = NULL;
    FcPatternGetString (query, FC_FONTFORMAT, 0, &format);
    if (!format || strcmp ((const char *)format, "TrueType") != 0) {
        fielderr_set (err, field,
                      "'%.200s' has %s outlines; only TrueType (glyf) fonts "
                      "can be embedded",
                      path, format ? (const char *)format : "unknown");
        goto cleanup;
    }
    if (FcPatternGetCharSet (query, FC_CHARSET, 0, &charset) != FcResultMatch) {
        fielderr_set (err, field, "'%.200s' has no character map", path);
        goto cleanup;
    }
    face = calloc (1, sizeof (fonts_face_t));
    if (face)
        face->path = strdup (path);
    if (!face || !face->path || !s_copy_pages (face, charset)) {
        if (face) {
            free (face->path);
            free (face->pages);
        }
        free (face);
        face = NULL;
        fielderr_set (err, field, "out of memory");
        goto cleanup;
    }
    face->index = index;
    FcPatternGetString (query, FC_FAMILY, 0, &family);
    snprintf (face->family, sizeof face->family, "%s",
              family ? (const char *)family : "");

cleanup:
    FcPatternDestroy (query);
    return face;
}

const fonts_face_t *
fonts_face (const char *path, int index, const char *field, fielderr_t *err)
{
    assert (path);
    s_lock_fontconfig ();
    fonts_face_t *face = s_faces;
    while (face && (face->index != index || strcmp (face->path, path) != 0))
        face = face->next;
    if (!face) {
        if (s_face_count == FONTS_FACES_MAX)
            fielderr_set (err, field,
                          "this process already uses %d fonts, the most it "
                          "keeps",
                          FONTS_FACES_MAX);
        else
            face = s_load (path, index, field, err);
        if (face) {
            face->next = s_faces;
            s_faces = face;
            s_face_count++;
        }
    }
    pthread_mutex_unlock (&s_lock);
    return face;
}

int
fonts_face_covers (const void *face, uint32_t codepoint)
{
    assert (face);
    const fonts_face_t *self = face;
    uint32_t base = codepoint & ~(uint32_t)0xFF;
    size_t low = 0, high = self->page_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (self->pages[middle].base < base)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == self->page_count || self->pages[low].base != base)
        return 0;
    uint32_t bit = codepoint & 0xFF;
    return (self->pages[low].map[bit / 32] >> (bit % 32)) & 1;
}

const char *
fonts_face_path (const fonts_face_t *face)
{
    assert (face);
    return face->path;
}

int
fonts_face_index (const fonts_face_t *face)
{
    assert (face);
    return face->index;
}

const char *
fonts_face_family (const fonts_face_t *face)
{
    assert (face);
    return face->family;
}
