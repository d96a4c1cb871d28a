/*  render - turns a template and a slice of records into one chunk PDF.

    Flow of a chunk: start a document in the long-lived libharu object,
    resolve each element's resources once (s_kinds[].prepare: fonts,
    images), then per record add a page, draw every element
    (s_kinds[].draw) and add the page's bookmark, then save to libharu's
    memory stream and copy it once into a frame. A new element kind adds
    one row to s_kinds and its two functions.

    Resources are per document and made on first use: a TrueType font or
    an image that no element of the template uses costs nothing. A
    TrueType file is parsed once per libharu object (its font definition
    survives HPDF_NewDoc, so later chunks only ask for it by name), but
    each document still builds its own font object and embeds its own
    subset of the glyphs it measured: those its pages draw and those of
    the font's "glyphs" (s_glyphs_embed). Building the object maps every
    BMP code point through the font (400 ms a document for a Korean
    font); when the job's characters are known (the font's "glyphs"), a
    map cut down to them, made once per job and kept with the parsed
    font, stands in while libharu does (s_font_with_cmap), and texts are
    held to those characters. An image is decoded once per document,
    whatever the number of pages: libharu ties images to a document.

    Text goes to libharu in the bytes its font takes: WinAnsi for the
    standard Latin fonts (converted by subst), printable ASCII for Symbol
    and ZapfDingbats, UTF-8 for TrueType fonts (libharu's UTF-8 encoder,
    which writes the text as code points of an Identity-H CID font, whose
    ToUnicode map we replace with a valid one: libharu's is not). Every
    text is checked against its font as it is expanded, as the ventilator
    checked it: a character a font lacks is an error naming the record's
    field, never a blank glyph.

    A page's operators are not libharu's page functions (each of which
    clears a buffer, formats its numbers and writes to the stream, and,
    for a TrueType text, searches the font's character map for every
    character): they are written by worker/content into one buffer a
    page, which goes into the page's content stream at once. libharu
    still names the page's fonts and images (which puts them in the
    page's resources) and measures each character once per chunk
    (s_char_width), which also marks a TrueType glyph for the subset.

    The streams every chunk of a job repeats (a PNG image's pixels, a
    TrueType font's subset and CIDToGIDMap, its ToUnicode map) are
    deflated once: their libharu objects get a write hook
    (s_stream_pack) that hands libharu the deflated bytes kept in a
    packcache from an earlier chunk, the same bytes libharu would make.

    libharu reports errors through s_error_handler, which keeps the first
    one: later calls on a failed document fail with HPDF_INVALID_DOCUMENT
    and would hide the cause. After any failure the libharu object is freed
    and made anew on the next chunk, so no state from a broken document can
    leak into the next one.

    SPDX-License-Identifier: MPL-2.0
*/
#include "render.h"

#include <assert.h>
#include <hpdf.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "barcode.h"
#include "bytebuf.h"
#include "content.h"
#include "layout.h"
#include "packcache.h"
#include "utf8.h"

//  libharu's internal headers (installed with it): reaching into a font's
//  dictionaries to replace its ToUnicode stream, and into a page's
//  resources and content stream.
#include <hpdf_font.h>
#include <hpdf_objects.h>
#include <hpdf_pages.h>
#include <hpdf_streams.h>

#define S_WIN_ANSI "WinAnsiEncoding"
#define S_UTF8 "UTF-8"
#define S_PRODUCER "pdfpipe"
#define S_ELLIPSIS_UTF8 "\xE2\x80\xA6" // U+2026
#define S_ELLIPSIS_WIN_ANSI "\x85"
#define S_ELLIPSIS_ASCII "..."

//  A TrueType font's character map cut down to one job's characters (its
//  "glyphs"): one format-4 segment per character, mapping it to the glyph
//  the font's own map gives it, and the closing 0xFFFF segment. See
//  s_font for why.
typedef struct {
    char *glyphs;        // the "glyphs" it was made for
    HPDF_UINT16 *starts; // = ends: one character per segment
    HPDF_INT16 *deltas;  // glyph - character, modulo 2^16
    HPDF_UINT16 *offsets; // all 0: no glyph_id_array
    size_t segments;      // with the closing one
    uint8_t drawable[65536 / 8]; // the BMP characters it maps to a glyph
} s_cmap_t;

//  A TrueType font libharu has parsed in this libharu object, found again
//  by its base font name in later documents.
typedef struct {
    char *path;
    int index;
    char *name;      // libharu's name for it
    s_cmap_t *cmap;  // for the last job's glyphs, or NULL
} s_ttf_t;

struct _render_t {
    HPDF_Doc pdf;             // NULL before the first chunk and after a failure
    HPDF_STATUS error_no;     // first libharu error of this chunk, 0 if none
    HPDF_STATUS error_detail; // its detail code (errno, zlib code, ...)
    s_ttf_t *ttfs;            // parsed in pdf; emptied when pdf is freed
    size_t ttf_count;
    size_t ttf_max;
    layout_t *layout;     // line breaks of the text being drawn
    barcode_t *barcode;   // the symbol being drawn
    content_t *content;   // the operators of the page being drawn
    packcache_t *packs;   // deflated streams that repeat between chunks
    bytebuf_t to_unicode; // the CMap every TrueType font's ToUnicode gets
};

//  Characters' widths in one font of a chunk, by code: a byte of a
//  standard font, or a BMP code point of a TrueType font's UTF-8 text.
#define S_WIDTHS_BYTES 256
#define S_WIDTHS_UTF8 65536

typedef struct {
    bool utf8;       // a TrueType font: codes are code points
    uint32_t *units; // width + 1 by code, 0 until asked; NULL until used
} s_widths_t;

//  The current chunk's document resources, per template font and asset.
typedef struct {
    const template_t *tpl;
    HPDF_Font *fonts;   // template_font_count of them, NULL until used
    HPDF_Image *images; // assets_count of them, NULL until used
    HPDF_Encoder utf8;
    charset_font_t *checks; // per font: what its texts may hold, once used
    s_widths_t *widths;     // per font: its characters' widths
} s_chunk_t;

//  The page being drawn and the values its template strings expand with.
typedef struct {
    HPDF_Page page;
    content_t *content; // its operators, written into it when it is done
    const cJSON *record;
    subst_vars_t vars;
} s_page_t;

typedef struct _s_kind_t s_kind_t;

typedef int (s_prepare_fn) (render_t *self, s_chunk_t *chunk,
                            const template_element_t *element);
typedef int (s_draw_fn) (render_t *self, s_chunk_t *chunk, const s_page_t *page,
                         const template_element_t *element, fielderr_t *err);

struct _s_kind_t {
    template_kind_t kind;
    const char *name; // for error messages: "drawing <name>"
    s_prepare_fn *prepare;
    s_draw_fn *draw;
};

//  libharu's error codes by name (hpdf_error.h), so a failure says what
//  went wrong without the reader looking up a hex number.
typedef struct {
    HPDF_STATUS code;
    const char *name;
} s_error_name_t;

#define S_NAME(code)                                                           \
    {                                                                          \
        code, #code                                                            \
    }
static const s_error_name_t s_error_names[] = {
    S_NAME (HPDF_ARRAY_COUNT_ERR),
    S_NAME (HPDF_ARRAY_ITEM_NOT_FOUND),
    S_NAME (HPDF_ARRAY_ITEM_UNEXPECTED_TYPE),
    S_NAME (HPDF_BINARY_LENGTH_ERR),
    S_NAME (HPDF_CANNOT_GET_PALLET),
    S_NAME (HPDF_DICT_COUNT_ERR),
    S_NAME (HPDF_DICT_ITEM_NOT_FOUND),
    S_NAME (HPDF_DICT_ITEM_UNEXPECTED_TYPE),
    S_NAME (HPDF_DICT_STREAM_LENGTH_NOT_FOUND),
    S_NAME (HPDF_DOC_ENCRYPTDICT_NOT_FOUND),
    S_NAME (HPDF_DOC_INVALID_OBJECT),
    S_NAME (HPDF_DUPLICATE_REGISTRATION),
    S_NAME (HPDF_EXCEED_JWW_CODE_NUM_LIMIT),
    S_NAME (HPDF_ENCRYPT_INVALID_PASSWORD),
    S_NAME (HPDF_ERR_UNKNOWN_CLASS),
    S_NAME (HPDF_EXCEED_GSTATE_LIMIT),
    S_NAME (HPDF_FAILD_TO_ALLOC_MEM),
    S_NAME (HPDF_FILE_IO_ERROR),
    S_NAME (HPDF_FILE_OPEN_ERROR),
    S_NAME (HPDF_FONT_EXISTS),
    S_NAME (HPDF_FONT_INVALID_WIDTHS_TABLE),
    S_NAME (HPDF_INVALID_AFM_HEADER),
    S_NAME (HPDF_INVALID_ANNOTATION),
    S_NAME (HPDF_INVALID_BIT_PER_COMPONENT),
    S_NAME (HPDF_INVALID_CHAR_MATRICS_DATA),
    S_NAME (HPDF_INVALID_COLOR_SPACE),
    S_NAME (HPDF_INVALID_COMPRESSION_MODE),
    S_NAME (HPDF_INVALID_DATE_TIME),
    S_NAME (HPDF_INVALID_DESTINATION),
    S_NAME (HPDF_INVALID_DOCUMENT),
    S_NAME (HPDF_INVALID_DOCUMENT_STATE),
    S_NAME (HPDF_INVALID_ENCODER),
    S_NAME (HPDF_INVALID_ENCODER_TYPE),
    S_NAME (HPDF_INVALID_ENCODING_NAME),
    S_NAME (HPDF_INVALID_ENCRYPT_KEY_LEN),
    S_NAME (HPDF_INVALID_FONTDEF_DATA),
    S_NAME (HPDF_INVALID_FONTDEF_TYPE),
    S_NAME (HPDF_INVALID_FONT_NAME),
    S_NAME (HPDF_INVALID_IMAGE),
    S_NAME (HPDF_INVALID_JPEG_DATA),
    S_NAME (HPDF_INVALID_N_DATA),
    S_NAME (HPDF_INVALID_OBJECT),
    S_NAME (HPDF_INVALID_OBJ_ID),
    S_NAME (HPDF_INVALID_OPERATION),
    S_NAME (HPDF_INVALID_OUTLINE),
    S_NAME (HPDF_INVALID_PAGE),
    S_NAME (HPDF_INVALID_PAGES),
    S_NAME (HPDF_INVALID_PARAMETER),
    S_NAME (HPDF_INVALID_PNG_IMAGE),
    S_NAME (HPDF_INVALID_STREAM),
    S_NAME (HPDF_MISSING_FILE_NAME_ENTRY),
    S_NAME (HPDF_INVALID_TTC_FILE),
    S_NAME (HPDF_INVALID_TTC_INDEX),
    S_NAME (HPDF_INVALID_WX_DATA),
    S_NAME (HPDF_ITEM_NOT_FOUND),
    S_NAME (HPDF_LIBPNG_ERROR),
    S_NAME (HPDF_NAME_INVALID_VALUE),
    S_NAME (HPDF_NAME_OUT_OF_RANGE),
    S_NAME (HPDF_PAGE_INVALID_PARAM_COUNT),
    S_NAME (HPDF_PAGES_MISSING_KIDS_ENTRY),
    S_NAME (HPDF_PAGE_CANNOT_FIND_OBJECT),
    S_NAME (HPDF_PAGE_CANNOT_GET_ROOT_PAGES),
    S_NAME (HPDF_PAGE_CANNOT_RESTORE_GSTATE),
    S_NAME (HPDF_PAGE_CANNOT_SET_PARENT),
    S_NAME (HPDF_PAGE_FONT_NOT_FOUND),
    S_NAME (HPDF_PAGE_INVALID_FONT),
    S_NAME (HPDF_PAGE_INVALID_FONT_SIZE),
    S_NAME (HPDF_PAGE_INVALID_GMODE),
    S_NAME (HPDF_PAGE_INVALID_INDEX),
    S_NAME (HPDF_PAGE_INVALID_ROTATE_VALUE),
    S_NAME (HPDF_PAGE_INVALID_SIZE),
    S_NAME (HPDF_PAGE_INVALID_XOBJECT),
    S_NAME (HPDF_PAGE_OUT_OF_RANGE),
    S_NAME (HPDF_REAL_OUT_OF_RANGE),
    S_NAME (HPDF_STREAM_EOF),
    S_NAME (HPDF_STREAM_READLN_CONTINUE),
    S_NAME (HPDF_STRING_OUT_OF_RANGE),
    S_NAME (HPDF_THIS_FUNC_WAS_SKIPPED),
    S_NAME (HPDF_TTF_CANNOT_EMBEDDING_FONT),
    S_NAME (HPDF_TTF_INVALID_CMAP),
    S_NAME (HPDF_TTF_INVALID_FOMAT),
    S_NAME (HPDF_TTF_MISSING_TABLE),
    S_NAME (HPDF_UNSUPPORTED_FONT_TYPE),
    S_NAME (HPDF_UNSUPPORTED_FUNC),
    S_NAME (HPDF_UNSUPPORTED_JPEG_FORMAT),
    S_NAME (HPDF_UNSUPPORTED_TYPE1_FONT),
    S_NAME (HPDF_XREF_COUNT_ERR),
    S_NAME (HPDF_ZLIB_ERROR),
    S_NAME (HPDF_INVALID_PAGE_INDEX),
    S_NAME (HPDF_INVALID_URI),
    S_NAME (HPDF_PAGE_LAYOUT_OUT_OF_RANGE),
    S_NAME (HPDF_PAGE_MODE_OUT_OF_RANGE),
    S_NAME (HPDF_PAGE_NUM_STYLE_OUT_OF_RANGE),
    S_NAME (HPDF_ANNOT_INVALID_ICON),
    S_NAME (HPDF_ANNOT_INVALID_BORDER_STYLE),
    S_NAME (HPDF_PAGE_INVALID_DIRECTION),
    S_NAME (HPDF_INVALID_FONT),
    S_NAME (HPDF_PAGE_INSUFFICIENT_SPACE),
    S_NAME (HPDF_PAGE_INVALID_DISPLAY_TIME),
    S_NAME (HPDF_PAGE_INVALID_TRANSITION_TIME),
    S_NAME (HPDF_INVALID_PAGE_SLIDESHOW_TYPE),
    S_NAME (HPDF_EXT_GSTATE_OUT_OF_RANGE),
    S_NAME (HPDF_INVALID_EXT_GSTATE),
    S_NAME (HPDF_EXT_GSTATE_READ_ONLY),
    S_NAME (HPDF_INVALID_U3D_DATA),
    S_NAME (HPDF_NAME_CANNOT_GET_NAMES),
    S_NAME (HPDF_INVALID_ICC_COMPONENT_NUM),
};

#define S_ERROR_NAME_COUNT (sizeof (s_error_names) / sizeof (s_error_names[0]))

static const char *
s_error_name (HPDF_STATUS code)
{
    for (size_t index = 0; index < S_ERROR_NAME_COUNT; index++)
        if (s_error_names[index].code == code)
            return s_error_names[index].name;
    return "unknown error";
}

static void HPDF_STDCALL
s_error_handler (HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user_data)
{
    render_t *self = (render_t *)user_data;
    if (self->error_no == 0) {
        self->error_no = error_no;
        self->error_detail = detail_no;
    }
}

//  True when the document has failed since the chunk began. Some libharu
//  paths set the error without calling the handler, so ask it too.
static bool
s_failed (render_t *self)
{
    if (self->error_no == 0 && self->pdf) {
        self->error_no = HPDF_GetError (self->pdf);
        self->error_detail = HPDF_GetErrorDetail (self->pdf);
    }
    return self->error_no != 0;
}

//  Fill err with the recorded libharu error and what we were doing.
static void
s_libharu_error (render_t *self, fielderr_t *err, const char *field,
                 const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_libharu_error (render_t *self, fielderr_t *err, const char *field,
                 const char *format, ...)
{
    char doing[FIELDERR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (doing, sizeof (doing), format, args);
    va_end (args);
    char detail[32] = "";
    if (self->error_detail)
        snprintf (detail, sizeof (detail), ", detail %lu",
                  (unsigned long)self->error_detail);
    fielderr_set (err, field, "libharu error 0x%04lX (%s%s) %s",
                  (unsigned long)self->error_no, s_error_name (self->error_no),
                  detail, doing);
}

// ---------------------------------------------------------------------------
// Resources

static void
s_cmap_destroy (s_cmap_t **self_p)
{
    s_cmap_t *self = *self_p;
    if (!self)
        return;
    free (self->glyphs);
    free (self->starts);
    free (self->deltas);
    free (self->offsets);
    free (self);
    *self_p = NULL;
}

static void
s_ttfs_forget (render_t *self)
{
    for (size_t index = 0; index < self->ttf_count; index++) {
        free (self->ttfs[index].path);
        free (self->ttfs[index].name);
        s_cmap_destroy (&self->ttfs[index].cmap);
    }
    self->ttf_count = 0;
}

static s_ttf_t *
s_ttf_load (render_t *self, const template_font_t *font)
{
    for (size_t index = 0; index < self->ttf_count; index++)
        if (self->ttfs[index].index == font->index &&
            strcmp (self->ttfs[index].path, font->path) == 0)
            return &self->ttfs[index];
    const char *name =
        font->index == 0
            ? HPDF_LoadTTFontFromFile (self->pdf, font->path, HPDF_TRUE)
            : HPDF_LoadTTFontFromFile2 (self->pdf, font->path,
                                        (HPDF_UINT)font->index, HPDF_TRUE);
    if (!name)
        return NULL;
    if (self->ttf_count == self->ttf_max) {
        size_t ttf_max = self->ttf_max ? self->ttf_max * 2 : 4;
        s_ttf_t *ttfs = realloc (self->ttfs, ttf_max * sizeof (s_ttf_t));
        if (!ttfs)
            return NULL;
        self->ttfs = ttfs;
        self->ttf_max = ttf_max;
    }
    s_ttf_t *ttf = &self->ttfs[self->ttf_count];
    ttf->path = strdup (font->path);
    ttf->name = strdup (name);
    ttf->index = font->index;
    ttf->cmap = NULL;
    if (!ttf->path || !ttf->name) {
        free (ttf->path);
        free (ttf->name);
        return NULL;
    }
    self->ttf_count++;
    return ttf;
}

static void
s_cmap_mark (s_cmap_t *self, HPDF_FontDef fontdef, uint32_t codepoint)
{
    if (codepoint >= 0xFFFF ||
        self->drawable[codepoint / 8] & (1 << (codepoint % 8)))
        return;
    if (HPDF_TTFontDef_GetGlyphid (fontdef, (HPDF_UINT16)codepoint) != 0)
        self->drawable[codepoint / 8] |= (uint8_t)(1 << (codepoint % 8));
}

//  The cut-down map of fontdef (a format-4 TrueType map) for the
//  characters of glyphs and the ellipsis; NULL when out of memory.
static s_cmap_t *
s_cmap_new (HPDF_FontDef fontdef, const char *glyphs)
{
    s_cmap_t *self = calloc (1, sizeof (s_cmap_t));
    if (!self)
        return NULL;
    self->glyphs = strdup (glyphs);
    for (const char *cursor = glyphs; *cursor;) {
        uint32_t codepoint;
        size_t length = utf8_decode_str (cursor, &codepoint);
        if (length == 0)
            break;
        s_cmap_mark (self, fontdef, codepoint);
        cursor += length;
    }
    s_cmap_mark (self, fontdef, 0x2026);
    size_t marked = 0;
    for (uint32_t codepoint = 0; codepoint < 0xFFFF; codepoint++)
        if (self->drawable[codepoint / 8] & (1 << (codepoint % 8)))
            marked++;
    //  seg_count_x2 is 16 bits: a job drawing more characters than that
    //  keeps the font's own map.
    if (marked + 1 > 32767) {
        s_cmap_destroy (&self);
        return NULL;
    }
    self->segments = marked + 1;
    self->starts = calloc (self->segments, sizeof (HPDF_UINT16));
    self->deltas = calloc (self->segments, sizeof (HPDF_INT16));
    self->offsets = calloc (self->segments, sizeof (HPDF_UINT16));
    if (!self->glyphs || !self->starts || !self->deltas || !self->offsets) {
        s_cmap_destroy (&self);
        return NULL;
    }
    size_t segment = 0;
    for (uint32_t codepoint = 0; codepoint < 0xFFFF; codepoint++) {
        if (!(self->drawable[codepoint / 8] & (1 << (codepoint % 8))))
            continue;
        HPDF_UINT16 glyph =
            HPDF_TTFontDef_GetGlyphid (fontdef, (HPDF_UINT16)codepoint);
        self->starts[segment] = (HPDF_UINT16)codepoint;
        self->deltas[segment] = (HPDF_INT16)(uint16_t)(glyph - codepoint);
        segment++;
    }
    //  Format 4 ends with a segment for 0xFFFF that maps it to glyph 0.
    self->starts[segment] = 0xFFFF;
    self->deltas[segment] = 1;
    return self;
}

//  What a text in a font with a cut-down map may hold: the characters
//  that map gives a glyph. A charset_font_t's covers.
static int
s_cmap_covers (const void *face, uint32_t codepoint)
{
    const s_cmap_t *self = face;
    return codepoint < 0xFFFF &&
           (self->drawable[codepoint / 8] & (1 << (codepoint % 8)));
}

//  HPDF_GetFont for a TrueType font whose job characters are known:
//  libharu builds each document's CIDToGIDMap by looking up all 65,536
//  BMP code points in the font's map, one linear scan of its segments
//  each, about 400 ms a document for a Korean font (most of an invoice
//  chunk's fixed cost). Handed the job's characters only, it does the
//  same in a few ms, and the map it writes holds just the characters the
//  job draws. The font's own map is put back at once, so widths and
//  subsets are libharu's as ever; the job's texts are then held to those
//  characters (s_cmap_covers), so none can draw as a blank.
static HPDF_Font
s_font_with_cmap (render_t *self, s_ttf_t *ttf, const template_font_t *font,
                  const s_cmap_t **cmap_p)
{
    *cmap_p = NULL;
    HPDF_FontDef fontdef = HPDF_GetFontDef (self->pdf, ttf->name);
    HPDF_TTFontDefAttr attr =
        fontdef && fontdef->type == HPDF_FONTDEF_TYPE_TRUETYPE
            ? (HPDF_TTFontDefAttr)fontdef->attr
            : NULL;
    if (!attr || attr->cmap.format != 4 || !font->glyphs || !*font->glyphs)
        return HPDF_GetFont (self->pdf, ttf->name, S_UTF8);
    if (ttf->cmap && strcmp (ttf->cmap->glyphs, font->glyphs) != 0)
        s_cmap_destroy (&ttf->cmap);
    if (!ttf->cmap)
        ttf->cmap = s_cmap_new (fontdef, font->glyphs);
    if (!ttf->cmap)
        return HPDF_GetFont (self->pdf, ttf->name, S_UTF8);
    HPDF_TTF_CmapRange full = attr->cmap;
    attr->cmap.seg_count_x2 = (HPDF_UINT16)(2 * ttf->cmap->segments);
    attr->cmap.end_count = ttf->cmap->starts;
    attr->cmap.start_count = ttf->cmap->starts;
    attr->cmap.id_delta = ttf->cmap->deltas;
    attr->cmap.id_range_offset = ttf->cmap->offsets;
    attr->cmap.glyph_id_array = NULL;
    attr->cmap.glyph_id_array_count = 0;
    HPDF_Font handle = HPDF_GetFont (self->pdf, ttf->name, S_UTF8);
    attr->cmap = full;
    *cmap_p = ttf->cmap;
    return handle;
}

// ---------------------------------------------------------------------------
// Streams that repeat

//  The renderer saving a document on this thread, and libharu's own
//  function that makes a TrueType font's descriptor as the font is
//  saved: libharu's write hooks are handed only the object written.
static _Thread_local render_t *s_saving;
static _Thread_local HPDF_Dict_BeforeWriteFunc s_font_before_write_libharu;

//  libharu's write_fn of a stream it would deflate, called once its
//  dictionary's entries (its Filter among them) are written and just
//  before its bytes: puts the deflated bytes in the stream, from the
//  renderer's packcache when an earlier chunk had the same stream, and
//  has libharu copy them as they are. When the cache declines, libharu
//  deflates them as ever.
static HPDF_STATUS
s_stream_pack (HPDF_Dict dict, HPDF_Stream out)
{
    (void)out;
    render_t *self = s_saving;
    HPDF_Stream stream = dict->stream;
    if (!self || dict->filter != HPDF_STREAM_FILTER_FLATE_DECODE || !stream ||
        stream->type != HPDF_STREAM_MEMORY || stream->size > PACKCACHE_RAW_MAX)
        return HPDF_OK;
    unsigned char *raw = malloc (stream->size ? stream->size : 1);
    if (!raw)
        return HPDF_OK;
    size_t raw_size = 0;
    HPDF_UINT buffers = HPDF_MemStream_GetBufCount (stream);
    for (HPDF_UINT index = 0; index < buffers; index++) {
        HPDF_UINT length = 0;
        HPDF_BYTE *bytes = HPDF_MemStream_GetBufPtr (stream, index, &length);
        if (!bytes || length > stream->size - raw_size) {
            free (raw);
            return HPDF_OK;
        }
        memcpy (raw + raw_size, bytes, length);
        raw_size += length;
    }
    const void *packed;
    size_t packed_size;
    int rc =
        raw_size == stream->size
            ? packcache_get (self->packs, raw, raw_size, &packed, &packed_size)
            : -1;
    free (raw);
    if (rc)
        return HPDF_OK;
    HPDF_MemStream_FreeData (stream);
    HPDF_STATUS status = HPDF_Stream_Write (stream, (const HPDF_BYTE *)packed,
                                            (HPDF_UINT)packed_size);
    dict->filter = HPDF_STREAM_FILTER_NONE;
    return status;
}

//  write_fn of a page's contents, whose bytes render deflates itself:
//  the Filter entry libharu would write were it to deflate them.
static HPDF_STATUS
s_flate_filter_write (HPDF_Dict dict, HPDF_Stream out)
{
    (void)dict;
    return HPDF_Stream_WriteStr (out, "/Filter /FlateDecode\012");
}

//  Have libharu hand the stream of dict (if any) to s_stream_pack.
static void
s_stream_hook (HPDF_Dict dict)
{
    if (dict && dict->stream && !dict->write_fn)
        dict->write_fn = s_stream_pack;
}

//  A TrueType font's before_write_fn: libharu's, which makes its
//  descriptor and embedded subset (FontFile2), then the subset hooked.
static HPDF_STATUS
s_font_before_write (HPDF_Dict font)
{
    HPDF_STATUS status = s_font_before_write_libharu (font);
    if (status != HPDF_OK)
        return status;
    HPDF_FontDef fontdef = ((HPDF_FontAttr)font->attr)->fontdef;
    if (fontdef->descriptor)
        s_stream_hook (HPDF_Dict_GetItem (fontdef->descriptor, "FontFile2",
                                          HPDF_OCLASS_DICT));
    return HPDF_OK;
}

//  Hook the streams of a TrueType font that every chunk of a job
//  repeats: its CIDToGIDMap, and its subset once libharu makes it.
static void
s_font_hook (HPDF_Font font)
{
    s_stream_hook (((HPDF_FontAttr)font->attr)->map_stream);
    if (!font->before_write_fn || font->before_write_fn == s_font_before_write)
        return;
    if (!s_font_before_write_libharu)
        s_font_before_write_libharu = font->before_write_fn;
    if (font->before_write_fn == s_font_before_write_libharu)
        font->before_write_fn = s_font_before_write;
}

//  libharu's UTF-8 encoder writes each character as its code point in two
//  bytes (Identity-H: CID = code point, BMP only) but gives the font, as
//  its ToUnicode, a CID CMap (begincidrange) that is not a ToUnicode map:
//  poppler warns on every page, and a reader may extract nothing. The
//  right map sends every code to the same code point. A bfrange may not
//  cross a first-byte boundary, so it takes one range per first byte,
//  less the eight of the surrogates (D800-DFFF, no character), at most
//  S_BFRANGE_BLOCK_MAX to a block as the CMap specification asks.
#define S_BFRANGE_BLOCK_MAX 100

static int
s_to_unicode_build (bytebuf_t *cmap)
{
    bytebuf_append_str (cmap, "/CIDInit /ProcSet findresource begin\n"
                              "12 dict begin\n"
                              "begincmap\n"
                              "/CIDSystemInfo << /Registry (Adobe) /Ordering "
                              "(UCS) /Supplement 0 >> def\n"
                              "/CMapName /Adobe-Identity-UCS def\n"
                              "/CMapType 2 def\n"
                              "1 begincodespacerange\n"
                              "<0000> <FFFF>\n"
                              "endcodespacerange\n");
    unsigned first_bytes[256];
    size_t count = 0;
    for (unsigned first_byte = 0; first_byte < 256; first_byte++)
        if (first_byte < 0xD8 || first_byte > 0xDF)
            first_bytes[count++] = first_byte;
    char line[32];
    for (size_t start = 0; start < count; start += S_BFRANGE_BLOCK_MAX) {
        size_t block = count - start;
        if (block > S_BFRANGE_BLOCK_MAX)
            block = S_BFRANGE_BLOCK_MAX;
        snprintf (line, sizeof line, "%zu beginbfrange\n", block);
        bytebuf_append_str (cmap, line);
        for (size_t index = start; index < start + block; index++) {
            unsigned first_byte = first_bytes[index];
            snprintf (line, sizeof line, "<%02X00> <%02XFF> <%02X00>\n",
                      first_byte, first_byte, first_byte);
            bytebuf_append_str (cmap, line);
        }
        bytebuf_append_str (cmap, "endbfrange\n");
    }
    bytebuf_append_str (cmap, "endcmap\n"
                              "CMapName currentdict /CMap defineresource pop\n"
                              "end\n"
                              "end\n");
    return cmap->failed ? -1 : 0;
}

//  Replace the ToUnicode stream libharu made for a TrueType font with the
//  map s_to_unicode_build made. libharu writes its map when it makes the
//  font (CreateCMap in hpdf_font_cid.c) and at save time only sets the
//  stream's filter, so these bytes are what the file gets: the same in
//  every chunk, so the sink keeps one copy. A failure is left in the
//  document's error.
static void
s_to_unicode_install (render_t *self, HPDF_Font font)
{
    HPDF_Dict cmap = HPDF_Dict_GetItem (font, "ToUnicode", HPDF_OCLASS_DICT);
    //  A libharu that makes no ToUnicode stream has nothing to mend.
    if (!cmap || !cmap->stream)
        return;
    //  Entries describing libharu's CID CMap, which a ToUnicode stream
    //  neither needs nor should carry: its name would contradict the map.
    const char *const keys[] = {"Type", "CMapName", "CIDSystemInfo", "WMode"};
    for (size_t index = 0; index < sizeof keys / sizeof keys[0]; index++)
        HPDF_Dict_RemoveElement (cmap, keys[index]);
    HPDF_MemStream_FreeData (cmap->stream);
    HPDF_Stream_Write (cmap->stream, (const HPDF_BYTE *)self->to_unicode.data,
                       (HPDF_UINT)self->to_unicode.size);
    s_stream_hook (cmap);
}

static const char *
s_ellipsis (const template_font_t *font)
{
    if (font->standard)
        return font->check.charset == CHARSET_WINANSI ? S_ELLIPSIS_WIN_ANSI
                                                      : S_ELLIPSIS_ASCII;
    return font->check.covers (font->check.face, 0x2026) ? S_ELLIPSIS_UTF8
                                                         : S_ELLIPSIS_ASCII;
}

//  Make every chunk embed the same subset of a TrueType font, so the sink
//  can keep one copy. libharu embeds the glyphs a document measured
//  (HPDF_TTFontDef_GetCharWidth marks each one), so this measures the
//  font's "glyphs", which the ventilator sets to every character the job
//  draws in it, and the ellipsis a wrapped text may end in. The subset's
//  tag (the "ABCDEF+" of its name, which is also written into the
//  embedded font) would otherwise count the fonts this libharu object
//  has loaded, which differs between workers; it is made from the font
//  and its glyphs instead. A failure is left in the document's error.
static void
s_glyphs_embed (HPDF_Font handle, const template_font_t *font)
{
    const char *ellipsis = s_ellipsis (font);
    HPDF_Font_TextWidth (handle, (const HPDF_BYTE *)ellipsis,
                         (HPDF_UINT)strlen (ellipsis));
    const char *glyphs = font->glyphs ? font->glyphs : "";
    if (*glyphs)
        HPDF_Font_TextWidth (handle, (const HPDF_BYTE *)glyphs,
                             (HPDF_UINT)strlen (glyphs));
    HPDF_FontDef fontdef = ((HPDF_FontAttr)handle->attr)->fontdef;
    if (fontdef->type != HPDF_FONTDEF_TYPE_TRUETYPE)
        return;
    //  FNV-1a over the font's name and its glyphs: six letters.
    uint64_t hash = 14695981039346656037ULL;
    const char *parts[] = {fontdef->base_font, "\n", glyphs};
    for (size_t part = 0; part < sizeof parts / sizeof parts[0]; part++)
        for (const char *byte = parts[part]; *byte; byte++)
            hash = (hash ^ (unsigned char)*byte) * 1099511628211ULL;
    char tag[HPDF_TTF_FONT_TAG_LEN + 1];
    for (size_t index = 0; index < HPDF_TTF_FONT_TAG_LEN; index++) {
        tag[index] = (char)('A' + hash % 26);
        hash /= 26;
    }
    tag[HPDF_TTF_FONT_TAG_LEN] = '\0';
    HPDF_TTFontDef_SetTagName (fontdef, tag);
}

//  Symbol and ZapfDingbats have no Latin glyphs; WinAnsi codes would
//  select nothing, so they keep the encoding their glyphs are named in.
static bool
s_font_is_specific (const template_font_t *font)
{
    return font->standard && font->check.charset == CHARSET_ASCII;
}

//  The document's handle for font, made on first use.
static HPDF_Font
s_font (render_t *self, s_chunk_t *chunk, const template_font_t *font)
{
    size_t index = (size_t)(font - template_font (chunk->tpl, 0));
    assert (index < template_font_count (chunk->tpl));
    if (chunk->fonts[index])
        return chunk->fonts[index];
    HPDF_Font handle = NULL;
    chunk->checks[index] = font->check;
    if (!font->standard) {
        s_ttf_t *ttf = s_ttf_load (self, font);
        const s_cmap_t *cmap = NULL;
        if (ttf)
            handle = s_font_with_cmap (self, ttf, font, &cmap);
        if (handle && cmap) {
            chunk->checks[index].covers = s_cmap_covers;
            chunk->checks[index].face = cmap;
        }
        if (handle) {
            s_to_unicode_install (self, handle);
            s_glyphs_embed (handle, font);
            s_font_hook (handle);
        }
    } else
        handle = HPDF_GetFont (self->pdf, font->name,
                               s_font_is_specific (font) ? NULL : S_WIN_ANSI);
    chunk->fonts[index] = handle;
    return handle;
}

static HPDF_Image
s_image (render_t *self, s_chunk_t *chunk, size_t asset)
{
    if (chunk->images[asset])
        return chunk->images[asset];
    const assets_image_t *image =
        assets_image (template_assets (chunk->tpl), asset);
    assert (image);
    HPDF_Image handle =
        image->type == ASSETS_PNG
            ? HPDF_LoadPngImageFromMem (self->pdf, image->data,
                                        (HPDF_UINT)image->size)
            : HPDF_LoadJpegImageFromMem (self->pdf, image->data,
                                         (HPDF_UINT)image->size);
    //  A PNG's pixels (and alpha mask) are deflated as they are saved; a
    //  JPEG's are copied as they are and need no hook.
    if (handle && image->type == ASSETS_PNG) {
        s_stream_hook (handle);
        s_stream_hook (HPDF_Dict_GetItem (handle, "SMask", HPDF_OCLASS_DICT));
    }
    chunk->images[asset] = handle;
    return handle;
}

static void
s_fill_color (content_t *content, const template_color_t *color)
{
    if (color->space == TEMPLATE_COLOR_RGB)
        content_fill_rgb (content, color->r, color->g, color->b);
    else
        content_fill_gray (content, color->r);
}

static void
s_stroke_color (content_t *content, const template_color_t *color)
{
    if (color->space == TEMPLATE_COLOR_RGB)
        content_stroke_rgb (content, color->r, color->g, color->b);
    else
        content_stroke_gray (content, color->r);
}

// ---------------------------------------------------------------------------
// Text

//  A font at a size, as text is measured and drawn.
typedef struct {
    HPDF_Font font;
    const template_font_t *tfont;
    double size;         // pt
    double char_spacing; // pt
    const charset_font_t *check; // what its texts may hold (s_chunk_t)
    s_widths_t *widths;          // its characters' widths (s_chunk_t)
} s_pen_t;

//  The pen for font in this chunk's document.
static s_pen_t
s_pen (render_t *self, s_chunk_t *chunk, const template_font_t *font,
       double size, double char_spacing)
{
    size_t index = (size_t)(font - template_font (chunk->tpl, 0));
    s_pen_t pen = {s_font (self, chunk, font),
                   font,
                   size,
                   char_spacing,
                   &chunk->checks[index],
                   &chunk->widths[index]};
    return pen;
}

//  Width in glyph units (1/1000 of the size) of the character code (a
//  byte of a standard font, a code point of a TrueType font): asked of
//  libharu once per chunk, which also marks a TrueType font's glyph as
//  drawn, so its subset embeds it.
static uint32_t
s_char_width (const s_pen_t *pen, uint32_t code)
{
    s_widths_t *widths = pen->widths;
    char bytes[UTF8_BYTES_MAX];
    size_t length = 1;
    if (widths->utf8)
        length = utf8_encode (code, bytes);
    else
        bytes[0] = (char)code;
    size_t codes = widths->utf8 ? S_WIDTHS_UTF8 : S_WIDTHS_BYTES;
    if (!widths->units)
        widths->units = calloc (codes, sizeof (uint32_t));
    if (!widths->units || code >= codes)
        return HPDF_Font_TextWidth (pen->font, (const HPDF_BYTE *)bytes,
                                    (HPDF_UINT)length)
            .width;
    //  Kept plus one: 0 is "not asked yet".
    if (!widths->units[code])
        widths->units[code] =
            HPDF_Font_TextWidth (pen->font, (const HPDF_BYTE *)bytes,
                                 (HPDF_UINT)length)
                .width +
            1;
    return widths->units[code] - 1;
}

//  Width of text as drawn, from its first glyph's left to its last
//  glyph's right: character spacing between characters, not after the
//  last. The sum of each character's width, as libharu's
//  HPDF_Font_TextWidth adds them, without its search of a TrueType
//  font's character map for every character.
static double
s_measure (void *arg, const char *text, size_t length)
{
    const s_pen_t *pen = arg;
    if (length == 0)
        return 0;
    uint64_t units = 0;
    size_t chars = 0;
    if (pen->widths->utf8) {
        size_t offset = 0;
        uint32_t codepoint;
        while (utf8_next (text, length, &offset, &codepoint)) {
            units += s_char_width (pen, codepoint);
            chars++;
        }
    } else {
        for (size_t offset = 0; offset < length; offset++)
            units += s_char_width (pen, (unsigned char)text[offset]);
        chars = length;
    }
    double points = (double)units * pen->size / 1000.0;
    if (chars > 1)
        points += pen->char_spacing * (double)(chars - 1);
    return points;
}

//  Expand text for the page in the bytes pen's font takes. Returns NULL
//  with err filled when a field is missing or a character is not in the
//  font. The caller frees the result.
static char *
s_expand (const subst_t *text, const s_page_t *page, const subst_vars_t *vars,
          const s_pen_t *pen, fielderr_t *err)
{
    const template_font_t *font = pen->tfont;
    char *bytes = subst_expand (text, page->record, vars, pen->check, err);
    if (!bytes)
        return NULL;
    //  Checked against the font above, so it converts.
    if (font->standard && font->check.charset == CHARSET_WINANSI)
        charset_winansi_encode (bytes);
    return bytes;
}

//  Set pen's font and colour for the texts that follow. A failure to
//  name the font on the page is left in the document's error.
static void
s_text_begin (const s_page_t *page, const s_pen_t *pen,
              const template_color_t *color)
{
    s_fill_color (page->content, color);
    const char *name = HPDF_Page_GetLocalFontName (page->page, pen->font);
    if (name)
        content_font (page->content, name, pen->size);
    content_char_spacing (page->content, pen->char_spacing);
}

//  Show length bytes of text (and the ellipsis after them when given)
//  with its anchor at x, y.
static void
s_show (const s_page_t *page, const s_pen_t *pen, double x, double y,
        template_align_t align, const char *text, size_t length,
        const char *ellipsis)
{
    //  Measured whatever the alignment: measuring marks a TrueType
    //  font's glyphs for its subset.
    double width = s_measure ((void *)pen, text, length);
    if (ellipsis)
        width += pen->char_spacing +
                 s_measure ((void *)pen, ellipsis, strlen (ellipsis));
    if (align == TEMPLATE_ALIGN_CENTER)
        x -= width / 2;
    else if (align == TEMPLATE_ALIGN_RIGHT)
        x -= width;
    //  A measured position to 1/16 pt (at most 0.03 pt off): "439.4375"
    //  instead of "439.42001", fewer digits in every page's content and
    //  more repeats to compress.
    if (align != TEMPLATE_ALIGN_LEFT)
        x = round (x * 16) / 16;
    //  Numbers as libharu wrote them, from single-precision floats.
    content_text (page->content, (double)(HPDF_REAL)x, (double)(HPDF_REAL)y,
                  text, length, ellipsis,
                  pen->widths->utf8 ? CONTENT_UTF8_CODEPOINTS : CONTENT_BYTES);
}

static int
s_text_prepare (render_t *self, s_chunk_t *chunk,
                const template_element_t *element)
{
    return s_font (self, chunk, element->u.text.font) ? 0 : -1;
}

static int
s_text_draw (render_t *self, s_chunk_t *chunk, const s_page_t *page,
             const template_element_t *element, fielderr_t *err)
{
    const template_text_t *text = &element->u.text;
    s_pen_t pen =
        s_pen (self, chunk, text->font, text->size, text->char_spacing);
    char *bytes = s_expand (text->text, page, &page->vars, &pen, err);
    if (!bytes)
        return -1;
    size_t length = strlen (bytes);
    if (length == 0) {
        free (bytes);
        return 0;
    }
    s_text_begin (page, &pen, &text->color);
    if (text->width == 0)
        s_show (page, &pen, element->x, element->y, text->align, bytes, length,
                NULL);
    else {
        const char *ellipsis = s_ellipsis (text->font);
        double ellipsis_width =
            pen.char_spacing + s_measure (&pen, ellipsis, strlen (ellipsis));
        int lines = layout_wrap (self->layout, bytes, !text->font->standard,
                                 text->width, text->max_lines, ellipsis_width,
                                 s_measure, &pen);
        if (lines < 0) {
            free (bytes);
            fielderr_set (err, element->field, "out of memory wrapping text");
            return -1;
        }
        for (size_t line = 0; line < (size_t)lines; line++) {
            size_t offset, line_length;
            bool cut;
            layout_line (self->layout, line, &offset, &line_length, &cut);
            s_show (page, &pen, element->x,
                    element->y - (double)line * text->line_height, text->align,
                    bytes + offset, line_length, cut ? ellipsis : NULL);
        }
    }
    free (bytes);
    return 0;
}

// ---------------------------------------------------------------------------
// Images, lines, rectangles

static int
s_image_prepare (render_t *self, s_chunk_t *chunk,
                 const template_element_t *element)
{
    return s_image (self, chunk, element->u.image.asset) ? 0 : -1;
}

static int
s_image_draw (render_t *self, s_chunk_t *chunk, const s_page_t *page,
              const template_element_t *element, fielderr_t *err)
{
    (void)err;
    const template_image_t *image = &element->u.image;
    const assets_image_t *asset =
        assets_image (template_assets (chunk->tpl), image->asset);
    double x = element->x, y = element->y;
    double width = image->width, height = image->height;
    if (image->fit == TEMPLATE_FIT_CONTAIN) {
        double scale = fmin (width / asset->width, height / asset->height);
        x += (width - asset->width * scale) / 2;
        y += (height - asset->height * scale) / 2;
        width = asset->width * scale;
        height = asset->height * scale;
    }
    //  Naming it on the page puts it in the page's resources.
    const char *name = HPDF_Page_GetXObjectName (
        page->page, s_image (self, chunk, image->asset));
    if (name)
        content_image (page->content, name, (double)(HPDF_REAL)x,
                       (double)(HPDF_REAL)y, (double)(HPDF_REAL)width,
                       (double)(HPDF_REAL)height);
    return 0;
}

static int
s_no_prepare (render_t *self, s_chunk_t *chunk,
              const template_element_t *element)
{
    (void)self;
    (void)chunk;
    (void)element;
    return 0;
}

static int
s_line_draw (render_t *self, s_chunk_t *chunk, const s_page_t *page,
             const template_element_t *element, fielderr_t *err)
{
    (void)self;
    (void)chunk;
    (void)err;
    const template_line_t *line = &element->u.line;
    content_line_width (page->content, line->line_width);
    s_stroke_color (page->content, &line->color);
    content_move_to (page->content, element->x, element->y);
    content_line_to (page->content, line->x2, line->y2);
    content_stroke (page->content);
    return 0;
}

static int
s_rect_draw (render_t *self, s_chunk_t *chunk, const s_page_t *page,
             const template_element_t *element, fielderr_t *err)
{
    (void)self;
    (void)chunk;
    (void)err;
    const template_rect_t *rect = &element->u.rect;
    bool fill = rect->fill.space != TEMPLATE_COLOR_NONE;
    bool stroke = rect->stroke.space != TEMPLATE_COLOR_NONE;
    if (fill)
        s_fill_color (page->content, &rect->fill);
    if (stroke) {
        s_stroke_color (page->content, &rect->stroke);
        content_line_width (page->content, rect->line_width);
    }
    content_rect (page->content, element->x, element->y, rect->width,
                  rect->height);
    if (fill && stroke)
        content_fill_stroke (page->content);
    else if (fill)
        content_fill (page->content);
    else
        content_stroke (page->content);
    return 0;
}

// ---------------------------------------------------------------------------
// Tables

static int
s_table_prepare (render_t *self, s_chunk_t *chunk,
                 const template_element_t *element)
{
    const template_table_t *table = &element->u.table;
    if (!s_font (self, chunk, table->font))
        return -1;
    return s_font (self, chunk, table->header_font) ? 0 : -1;
}

//  Draw one cell's text in column, on the row whose bottom edge is at
//  bottom.
static int
s_table_cell (const s_page_t *page, const template_table_t *table,
              const template_column_t *column, double left, double bottom,
              const subst_t *text, const subst_vars_t *vars, const s_pen_t *pen,
              const template_color_t *color, fielderr_t *err)
{
    char *bytes = s_expand (text, page, vars, pen, err);
    if (!bytes)
        return -1;
    size_t length = strlen (bytes);
    if (length) {
        double x = column->align == TEMPLATE_ALIGN_LEFT ? left + column->padding
                   : column->align == TEMPLATE_ALIGN_RIGHT
                       ? left + column->width - column->padding
                       : left + column->width / 2;
        s_text_begin (page, pen, color);
        s_show (page, pen, x, bottom + table->baseline, column->align, bytes,
                length, NULL);
    }
    free (bytes);
    return 0;
}

static void
s_table_grid (const s_page_t *page, const template_element_t *element,
              size_t row_count)
{
    const template_table_t *table = &element->u.table;
    content_t *content = page->content;
    double width = 0;
    for (size_t index = 0; index < table->column_count; index++)
        width += table->columns[index].width;
    double top = element->y;
    double bottom = top - (double)row_count * table->row_height;
    content_line_width (content, table->grid_width);
    s_stroke_color (content, &table->grid_color);
    for (size_t row = 0; row <= row_count; row++) {
        double y = top - (double)row * table->row_height;
        content_move_to (content, element->x, y);
        content_line_to (content, element->x + width, y);
    }
    double x = element->x;
    for (size_t index = 0; index <= table->column_count; index++) {
        content_move_to (content, x, top);
        content_line_to (content, x, bottom);
        if (index < table->column_count)
            x += table->columns[index].width;
    }
    content_stroke (content);
}

static int
s_table_draw (render_t *self, s_chunk_t *chunk, const s_page_t *page,
              const template_element_t *element, fielderr_t *err)
{
    const template_table_t *table = &element->u.table;
    const cJSON *rows;
    char rows_field[FIELDERR_FIELD_MAX];
    int rc = template_table_rows (element, page->record, &page->vars, &rows,
                                  rows_field, sizeof rows_field, err);
    if (rc)
        return -1;
    size_t header = table->has_header ? 1 : 0;
    size_t row_count = header + (size_t)cJSON_GetArraySize (rows);
    double width = 0;
    for (size_t index = 0; index < table->column_count; index++)
        width += table->columns[index].width;
    if (header && table->header_fill.space != TEMPLATE_COLOR_NONE) {
        s_fill_color (page->content, &table->header_fill);
        content_rect (page->content, element->x, element->y - table->row_height,
                      width, table->row_height);
        content_fill (page->content);
    }
    s_pen_t header_pen =
        s_pen (self, chunk, table->header_font, table->header_size, 0);
    s_pen_t pen = s_pen (self, chunk, table->font, table->size, 0);
    double left = element->x;
    for (size_t index = 0; header && index < table->column_count; index++) {
        const template_column_t *column = &table->columns[index];
        if (column->header &&
            s_table_cell (page, table, column, left,
                          element->y - table->row_height, column->header,
                          &page->vars, &header_pen, &table->header_color, err))
            return -1;
        left += column->width;
    }
    size_t row = header;
    int item_nbr = 0;
    for (const cJSON *item = rows->child; item; item = item->next, row++) {
        char item_field[FIELDERR_FIELD_MAX];
        //  A path too long for the buffer is cut: it only names a field.
        if (snprintf (item_field, sizeof item_field, "%s[%d]", rows_field,
                      item_nbr++) < 0)
            item_field[0] = '\0';
        subst_vars_t vars = page->vars;
        vars.item = item;
        vars.item_field = item_field;
        double bottom = element->y - (double)(row + 1) * table->row_height;
        left = element->x;
        for (size_t index = 0; index < table->column_count; index++) {
            const template_column_t *column = &table->columns[index];
            if (s_table_cell (page, table, column, left, bottom, column->value,
                              &vars, &pen, &table->color, err))
                return -1;
            left += column->width;
        }
    }
    if (table->grid_width > 0)
        s_table_grid (page, element, row_count);
    return 0;
}

// ---------------------------------------------------------------------------
// Barcodes

static int
s_barcode_draw (render_t *self, s_chunk_t *chunk, const s_page_t *page,
                const template_element_t *element, fielderr_t *err)
{
    (void)chunk;
    const template_barcode_t *barcode = &element->u.barcode;
    char *data =
        subst_expand (barcode->data, page->record, &page->vars, NULL, err);
    if (!data)
        return -1;
    char field[FIELDERR_FIELD_MAX];
    snprintf (field, sizeof field, "records[%" PRIu32 "]",
              page->vars.record_nbr);
    int rc = template_barcode_check (element, data, field, err);
    char problem[FIELDERR_MESSAGE_MAX / 2];
    if (rc == 0) {
        rc =
            barcode_encode (self->barcode, barcode->symbology, barcode->ecc,
                            barcode->quiet_zone, data, problem, sizeof problem);
        if (rc)
            fielderr_set (err, field, "barcode of %s: %s", element->field,
                          problem);
    }
    free (data);
    if (rc)
        return -1;
    content_t *content = page->content;
    double symbol_width = barcode_width (self->barcode);
    double symbol_height = barcode_height (self->barcode);
    double scale_x = barcode->width / symbol_width;
    double scale_y = barcode->height / symbol_height;
    double x = element->x, y = element->y;
    if (barcode->symbology == TEMPLATE_QRCODE) {
        //  Square modules, centred in the box.
        double scale = fmin (scale_x, scale_y);
        x += (barcode->width - symbol_width * scale) / 2;
        y += (barcode->height - symbol_height * scale) / 2;
        scale_x = scale_y = scale;
    }
    if (barcode->background.space != TEMPLATE_COLOR_NONE) {
        s_fill_color (content, &barcode->background);
        content_rect (content, element->x, element->y, barcode->width,
                      barcode->height);
        content_fill (content);
    }
    s_fill_color (content, &barcode->color);
    size_t count = barcode_rect_count (self->barcode);
    if (!count)
        return 0;
    //  The rectangles in modules (zint's half modules halved: whole
    //  numbers for a QR code), scaled once by the matrix: "6 15 1 1 re"
    //  instead of five-decimal page coordinates, shorter to print and to
    //  compress. The matrix as libharu wrote it, in single precision.
    content_save (content);
    content_concat (content, (double)(HPDF_REAL)(2 * scale_x), 0, 0,
                    (double)(HPDF_REAL)(2 * scale_y), (double)(HPDF_REAL)x,
                    (double)(HPDF_REAL)y);
    for (size_t index = 0; index < count; index++) {
        const barcode_rect_t *rect = barcode_rect (self->barcode, index);
        //  zint's y grows downwards from the symbol's top.
        double bottom = symbol_height - rect->y - rect->height;
        content_rect (content, rect->x / 2, bottom / 2, rect->width / 2,
                      rect->height / 2);
    }
    content_fill (content);
    content_restore (content);
    return 0;
}

static const s_kind_t s_kinds[] = {
    {TEMPLATE_TEXT, "text", s_text_prepare, s_text_draw},
    {TEMPLATE_IMAGE, "image", s_image_prepare, s_image_draw},
    {TEMPLATE_LINE, "line", s_no_prepare, s_line_draw},
    {TEMPLATE_RECT, "rectangle", s_no_prepare, s_rect_draw},
    {TEMPLATE_TABLE, "table", s_table_prepare, s_table_draw},
    {TEMPLATE_BARCODE, "barcode", s_no_prepare, s_barcode_draw},
};

#define S_KIND_COUNT (sizeof (s_kinds) / sizeof (s_kinds[0]))

static const s_kind_t *
s_kind_of (const template_element_t *element)
{
    for (size_t index = 0; index < S_KIND_COUNT; index++)
        if (s_kinds[index].kind == element->kind)
            return &s_kinds[index];
    return NULL;
}

// ---------------------------------------------------------------------------
// Documents

//  Start a new, empty document in the long-lived libharu object.
static int
s_document_begin (render_t *self, const template_t *tpl, s_chunk_t *chunk,
                  fielderr_t *err)
{
    self->error_no = 0;
    self->error_detail = 0;
    if (self->pdf)
        HPDF_NewDoc (self->pdf);
    else {
        self->pdf = HPDF_New (s_error_handler, self);
        if (!self->pdf) {
            fielderr_set (err, "",
                          "libharu cannot create a document "
                          "(out of memory)");
            return -1;
        }
        //  Encoders outlive documents: registered once per object.
        HPDF_UseUTFEncodings (self->pdf);
    }
    HPDF_SetCompressionMode (self->pdf, HPDF_COMP_ALL);
    HPDF_SetInfoAttr (self->pdf, HPDF_INFO_PRODUCER, S_PRODUCER);
    //  Information strings and bookmarks are UTF-8 from here on; libharu
    //  writes them as UTF-16 text strings.
    HPDF_SetCurrentEncoder (self->pdf, S_UTF8);
    chunk->utf8 = HPDF_GetEncoder (self->pdf, S_UTF8);
    const char *title = template_title (tpl);
    const char *author = template_author (tpl);
    const char *subject = template_subject (tpl);
    if (title)
        HPDF_SetInfoAttr (self->pdf, HPDF_INFO_TITLE, title);
    if (author)
        HPDF_SetInfoAttr (self->pdf, HPDF_INFO_AUTHOR, author);
    if (subject)
        HPDF_SetInfoAttr (self->pdf, HPDF_INFO_SUBJECT, subject);
    if (template_bookmark (tpl))
        HPDF_SetPageMode (self->pdf, HPDF_PAGE_MODE_USE_OUTLINE);
    if (s_failed (self)) {
        s_libharu_error (self, err, "", "starting a document");
        return -1;
    }
    return 0;
}

static int
s_bookmark (render_t *self, s_chunk_t *chunk, const s_page_t *page,
            fielderr_t *err)
{
    const subst_t *bookmark = template_bookmark (chunk->tpl);
    if (!bookmark)
        return 0;
    char *title = subst_expand (bookmark, page->record, &page->vars,
                                &template_bookmark_font, err);
    if (!title)
        return -1;
    if (title[0]) {
        HPDF_Outline outline =
            HPDF_CreateOutline (self->pdf, NULL, title, chunk->utf8);
        if (outline)
            HPDF_Outline_SetDestination (
                outline, HPDF_Page_CreateDestination (page->page));
    }
    free (title);
    if (s_failed (self)) {
        s_libharu_error (self, err, "template.bookmark",
                         "adding the bookmark of page %" PRIu32,
                         page->vars.page);
        return -1;
    }
    return 0;
}

//  Save the document and copy it into a new frame: the one copy we make.
static int
s_document_save (render_t *self, zframe_t **pdf_p, fielderr_t *err)
{
    s_saving = self;
    HPDF_SaveToStream (self->pdf);
    s_saving = NULL;
    if (s_failed (self)) {
        s_libharu_error (self, err, "", "saving the chunk");
        return -1;
    }
    HPDF_UINT32 size = HPDF_GetStreamSize (self->pdf);
    zframe_t *frame = zframe_new (NULL, size);
    if (!frame) {
        fielderr_set (err, "", "out of memory for a %" PRIu32 "-byte chunk",
                      (uint32_t)size);
        return -1;
    }
    //  Reading exactly to the end may return HPDF_STREAM_EOF; only a short
    //  read or a recorded error is a failure.
    HPDF_UINT32 read_size = size;
    HPDF_ReadFromStream (self->pdf, zframe_data (frame), &read_size);
    if (s_failed (self) || read_size != size) {
        s_libharu_error (self, err, "",
                         "reading the saved chunk (%" PRIu32 " of %" PRIu32
                         " bytes)",
                         (uint32_t)read_size, (uint32_t)size);
        zframe_destroy (&frame);
        return -1;
    }
    *pdf_p = frame;
    return 0;
}

render_t *
render_new (void)
{
    render_t *self = calloc (1, sizeof (render_t));
    if (!self)
        return NULL;
    self->layout = layout_new ();
    self->barcode = barcode_new ();
    self->content = content_new ();
    self->packs = packcache_new ();
    if (!self->layout || !self->barcode || !self->content || !self->packs ||
        s_to_unicode_build (&self->to_unicode))
        render_destroy (&self);
    return self;
}

void
render_destroy (render_t **self_p)
{
    assert (self_p);
    render_t *self = *self_p;
    if (!self)
        return;
    if (self->pdf)
        HPDF_Free (self->pdf);
    s_ttfs_forget (self);
    free (self->ttfs);
    layout_destroy (&self->layout);
    barcode_destroy (&self->barcode);
    content_destroy (&self->content);
    packcache_destroy (&self->packs);
    bytebuf_free (&self->to_unicode);
    free (self);
    *self_p = NULL;
}

//  Resolve every element's resources in the new document.
static int
s_prepare (render_t *self, s_chunk_t *chunk, const s_kind_t **kinds,
           fielderr_t *err)
{
    size_t element_count = template_element_count (chunk->tpl);
    for (size_t index = 0; index < element_count; index++) {
        const template_element_t *element =
            template_element (chunk->tpl, index);
        const s_kind_t *kind = s_kind_of (element);
        if (!kind) {
            fielderr_set (err, element->field,
                          "element kind %d is not supported by "
                          "this worker",
                          (int)element->kind);
            return -1;
        }
        kinds[index] = kind;
        if (kind->prepare (self, chunk, element) || s_failed (self)) {
            if (element->kind == TEMPLATE_IMAGE) {
                const assets_image_t *asset = assets_image (
                    template_assets (chunk->tpl), element->u.image.asset);
                char field[FIELDERR_FIELD_MAX];
                snprintf (field, sizeof field, "assets.%.64s", asset->name);
                s_libharu_error (self, err, field, "loading the image for %s",
                                 element->field);
            } else
                s_libharu_error (self, err, element->field, "preparing %s",
                                 kind->name);
            return -1;
        }
    }
    return 0;
}

//  Draw every element into the page's content, then write the content
//  into the page's stream at once.
static int
s_draw_page (render_t *self, s_chunk_t *chunk, const s_kind_t **kinds,
             const s_page_t *page, fielderr_t *err)
{
    content_reset (page->content);
    size_t element_count = template_element_count (chunk->tpl);
    for (size_t index = 0; index < element_count; index++) {
        const template_element_t *element =
            template_element (chunk->tpl, index);
        if (kinds[index]->draw (self, chunk, page, element, err))
            return -1;
        if (s_failed (self)) {
            s_libharu_error (self, err, element->field,
                             "drawing %s on page %" PRIu32, kinds[index]->name,
                             page->vars.page);
            return -1;
        }
    }
    size_t size;
    const char *data = content_data (page->content, &size);
    const void *packed;
    size_t packed_size;
    if (content_failed (page->content) ||
        packcache_deflate (self->packs, data, size, &packed, &packed_size)) {
        fielderr_set (err, "", "out of memory drawing page %" PRIu32,
                      page->vars.page);
        return -1;
    }
    //  Deflated here, in one call with a deflate state kept from page to
    //  page, instead of by libharu when it saves, which copies the bytes
    //  in and out of its stream a byte at a time and sets up a deflate
    //  state per page.
    HPDF_PageAttr attr = (HPDF_PageAttr)page->page->attr;
    HPDF_Dict contents = attr->contents;
    if (contents->write_fn || contents->stream != attr->stream) {
        fielderr_set (err, "", "libharu's page %" PRIu32 " is not as expected",
                      page->vars.page);
        return -1;
    }
    contents->filter = HPDF_STREAM_FILTER_NONE;
    contents->write_fn = s_flate_filter_write;
    HPDF_Stream_Write (attr->stream, (const HPDF_BYTE *)packed,
                       (HPDF_UINT)packed_size);
    if (s_failed (self)) {
        s_libharu_error (self, err, "", "writing the content of page %" PRIu32,
                         page->vars.page);
        return -1;
    }
    return s_bookmark (self, chunk, page, err);
}

int
render_chunk (render_t *self, const template_t *tpl, const cJSON *records,
              const render_range_t *range, zframe_t **pdf_p, fielderr_t *err)
{
    assert (self);
    assert (tpl);
    assert (range);
    assert (pdf_p);
    *pdf_p = NULL;
    if (!cJSON_IsArray (records) || !records->child) {
        fielderr_set (err, "records", "must be a non-empty array");
        return -1;
    }
    size_t element_count = template_element_count (tpl);
    size_t font_count = template_font_count (tpl);
    size_t asset_count = assets_count (template_assets (tpl));
    s_chunk_t chunk = {tpl, NULL, NULL, NULL, NULL, NULL};
    chunk.fonts = calloc (font_count ? font_count : 1, sizeof (HPDF_Font));
    chunk.checks =
        calloc (font_count ? font_count : 1, sizeof (charset_font_t));
    chunk.widths = calloc (font_count ? font_count : 1, sizeof (s_widths_t));
    chunk.images = calloc (asset_count ? asset_count : 1, sizeof (HPDF_Image));
    const s_kind_t **kinds =
        calloc (element_count ? element_count : 1, sizeof (s_kind_t *));
    int rc = -1;
    if (!chunk.fonts || !chunk.images || !chunk.checks || !chunk.widths ||
        !kinds) {
        fielderr_set (err, "", "out of memory for %zu elements", element_count);
        goto cleanup;
    }
    for (size_t index = 0; index < font_count; index++)
        chunk.widths[index].utf8 = !template_font (tpl, index)->standard;
    if (s_document_begin (self, tpl, &chunk, err))
        goto cleanup;
    if (s_prepare (self, &chunk, kinds, err))
        goto cleanup;

    double page_width = template_page_width (tpl);
    double page_height = template_page_height (tpl);
    uint32_t page_index = 0;
    const cJSON *record;
    cJSON_ArrayForEach (record, records)
    {
        s_page_t page = {
            .content = self->content,
            .record = record,
            .vars = {.page = range->first_page + page_index,
                     .pages = range->total_pages,
                     .record_nbr = range->first_record + page_index},
        };
        page.page = HPDF_AddPage (self->pdf);
        if (page.page) {
            HPDF_Page_SetWidth (page.page, (HPDF_REAL)page_width);
            HPDF_Page_SetHeight (page.page, (HPDF_REAL)page_height);
        }
        if (!page.page || s_failed (self)) {
            s_libharu_error (self, err, "", "adding page %" PRIu32,
                             page.vars.page);
            goto cleanup;
        }
        if (s_draw_page (self, &chunk, kinds, &page, err))
            goto cleanup;
        page_index++;
    }
    if (s_document_save (self, pdf_p, err))
        goto cleanup;
    rc = 0;

cleanup:
    for (size_t index = 0; chunk.widths && index < font_count; index++)
        free (chunk.widths[index].units);
    free (chunk.widths);
    free (chunk.fonts);
    free (chunk.checks);
    free (chunk.images);
    free (kinds);
    if (rc == 0)
        //  Give the pages' memory back now; font definitions and encoders
        //  stay for the next chunk.
        HPDF_FreeDoc (self->pdf);
    else if (self->pdf) {
        HPDF_Free (self->pdf);
        self->pdf = NULL;
        s_ttfs_forget (self);
    }
    return rc;
}
