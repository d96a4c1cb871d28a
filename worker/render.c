/*  render - turns a template and a slice of records into one chunk PDF.

    Flow of a chunk: start a document in the long-lived libharu object,
    resolve each element's resources once (s_kinds[].prepare), then per
    record add a page and draw every element (s_kinds[].draw), then save to
    libharu's memory stream and copy it once into a frame. A new element
    kind adds one row to s_kinds and its two functions.

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
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_WIN_ANSI "WinAnsiEncoding"
#define S_PRODUCER "pdfpipe"

struct _render_t {
    HPDF_Doc pdf;             // NULL before the first chunk and after a failure
    HPDF_STATUS error_no;     // first libharu error of this chunk, 0 if none
    HPDF_STATUS error_detail; // its detail code (errno, zlib code, ...)
};

//  The page being drawn and the values its template strings expand with.
typedef struct {
    HPDF_Page page;
    const cJSON *record;
    subst_vars_t vars;
} s_page_t;

typedef struct _s_kind_t s_kind_t;

//  One element's drawing functions and its libharu resources in the
//  current document.
typedef struct {
    const s_kind_t *kind;
    HPDF_Font font;
    bool font_specific; // the font's built-in encoding, not WinAnsi
} s_resource_t;

typedef int (s_prepare_fn) (render_t *self, const template_element_t *element,
                            s_resource_t *resource);
typedef int (s_draw_fn) (render_t *self, const s_page_t *page,
                         const template_element_t *element, size_t index,
                         const s_resource_t *resource, fielderr_t *err);

struct _s_kind_t {
    template_kind_t kind;
    const char *name; // for error messages: "drawing <name>"
    s_prepare_fn *prepare;
    s_draw_fn *draw;
};

static s_prepare_fn s_text_prepare;
static s_draw_fn s_text_draw;

static const s_kind_t s_kinds[] = {
    {TEMPLATE_TEXT, "text", s_text_prepare, s_text_draw},
};

#define S_KIND_COUNT (sizeof (s_kinds) / sizeof (s_kinds[0]))

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

//  Symbol and ZapfDingbats take their own codes, and only printable ASCII
//  is safe to pass: "a" is alpha in Symbol.
static bool
s_is_printable_ascii (const char *text)
{
    for (const unsigned char *at = (const unsigned char *)text; *at; at++)
        if (*at < 0x20 || *at > 0x7E)
            return false;
    return true;
}

//  Explain why the expanded text of element cannot be drawn. For the
//  standard Latin fonts, find the record field at fault and report it as
//  the ventilator does when it checks a job; a bad literal is the
//  template's own.
static void
s_text_error (const template_element_t *element, size_t index,
              const s_resource_t *resource, const s_page_t *page,
              fielderr_t *err)
{
    const template_text_t *text = &element->u.text;
    const char *origin = subst_origin (text->text);
    char field[FIELDERR_FIELD_MAX];
    if (subst_is_literal (text->text))
        snprintf (field, sizeof (field), "%s", origin);
    else
        snprintf (field, sizeof (field), "records[%" PRIu32 "]",
                  page->vars.record_nbr);
    if (resource->font_specific) {
        fielderr_set (err, field,
                      "text of template.elements[%zu] has a character that "
                      "%s cannot draw: it has its own encoding and takes "
                      "printable ASCII only",
                      index, text->font);
        return;
    }
    for (size_t field_nbr = 0; field_nbr < subst_field_count (text->text);
         field_nbr++) {
        if (subst_check_field (
                page->record, subst_field (text->text, field_nbr),
                page->vars.record_nbr, origin, SUBST_CHARSET_WINANSI, err))
            return;
    }
    fielderr_set (err, field,
                  "text of template.elements[%zu] cannot be drawn with the "
                  "standard font %s (WinAnsiEncoding)",
                  index, text->font);
}

//  Symbol and ZapfDingbats have no Latin glyphs; WinAnsi codes would
//  select nothing, so they keep the encoding their glyphs are named in.
static bool
s_font_is_specific (const char *name)
{
    return strcmp (name, "Symbol") == 0 || strcmp (name, "ZapfDingbats") == 0;
}

static int
s_text_prepare (render_t *self, const template_element_t *element,
                s_resource_t *resource)
{
    const char *name = element->u.text.font;
    resource->font_specific = s_font_is_specific (name);
    resource->font = HPDF_GetFont (self->pdf, name,
                                   resource->font_specific ? NULL : S_WIN_ANSI);
    return resource->font && !s_failed (self) ? 0 : -1;
}

static int
s_text_draw (render_t *self, const s_page_t *page,
             const template_element_t *element, size_t index,
             const s_resource_t *resource, fielderr_t *err)
{
    (void)self; // the draw signature is every kind's; text keeps no state
    const template_text_t *text = &element->u.text;
    char *bytes = subst_expand (text->text, page->record, &page->vars, err);
    if (!bytes)
        return -1;
    //  Converted in place: the expanded UTF-8 becomes the font's codes.
    bool drawable = resource->font_specific ? s_is_printable_ascii (bytes)
                                            : subst_winansi_encode (bytes) == 0;
    if (!drawable) {
        s_text_error (element, index, resource, page, err);
        free (bytes);
        return -1;
    }
    if (bytes[0] == '\0') {
        free (bytes);
        return 0;
    }
    HPDF_Page_BeginText (page->page);
    HPDF_Page_SetFontAndSize (page->page, resource->font,
                              (HPDF_REAL)text->size);
    double x = element->x;
    if (text->align != TEMPLATE_ALIGN_LEFT) {
        double width = HPDF_Page_TextWidth (page->page, bytes);
        x -= text->align == TEMPLATE_ALIGN_CENTER ? width / 2 : width;
    }
    HPDF_Page_TextOut (page->page, (HPDF_REAL)x, (HPDF_REAL)element->y, bytes);
    HPDF_Page_EndText (page->page);
    free (bytes);
    return 0;
}

static const s_kind_t *
s_kind_of (const template_element_t *element)
{
    for (size_t index = 0; index < S_KIND_COUNT; index++)
        if (s_kinds[index].kind == element->kind)
            return &s_kinds[index];
    return NULL;
}

//  Start a new, empty document in the long-lived libharu object.
static int
s_document_begin (render_t *self, fielderr_t *err)
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
    }
    HPDF_SetCompressionMode (self->pdf, HPDF_COMP_ALL);
    HPDF_SetInfoAttr (self->pdf, HPDF_INFO_PRODUCER, S_PRODUCER);
    if (s_failed (self)) {
        s_libharu_error (self, err, "", "starting a document");
        return -1;
    }
    return 0;
}

//  Save the document and copy it into a new frame: the one copy we make.
static int
s_document_save (render_t *self, zframe_t **pdf_p, fielderr_t *err)
{
    HPDF_SaveToStream (self->pdf);
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
    free (self);
    *self_p = NULL;
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
    s_resource_t *resources =
        calloc (element_count ? element_count : 1, sizeof (s_resource_t));
    if (!resources) {
        fielderr_set (err, "", "out of memory for %zu elements", element_count);
        return -1;
    }
    int rc = -1;
    if (s_document_begin (self, err))
        goto cleanup;

    for (size_t index = 0; index < element_count; index++) {
        const template_element_t *element = template_element (tpl, index);
        const s_kind_t *kind = s_kind_of (element);
        char field[FIELDERR_FIELD_MAX];
        snprintf (field, sizeof (field), "template.elements[%zu]", index);
        if (!kind) {
            fielderr_set (err, field,
                          "element kind %d is not supported by "
                          "this worker",
                          (int)element->kind);
            goto cleanup;
        }
        resources[index].kind = kind;
        if (kind->prepare (self, element, &resources[index])) {
            s_libharu_error (self, err, field, "preparing %s", kind->name);
            goto cleanup;
        }
    }

    double page_width = template_page_width (tpl);
    double page_height = template_page_height (tpl);
    uint32_t page_index = 0;
    const cJSON *record;
    cJSON_ArrayForEach (record, records)
    {
        s_page_t page = {
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
        for (size_t index = 0; index < element_count; index++) {
            const template_element_t *element = template_element (tpl, index);
            const s_kind_t *kind = resources[index].kind;
            if (kind->draw (self, &page, element, index, &resources[index],
                            err))
                goto cleanup;
            if (s_failed (self)) {
                char field[FIELDERR_FIELD_MAX];
                snprintf (field, sizeof (field), "template.elements[%zu]",
                          index);
                s_libharu_error (self, err, field,
                                 "drawing %s on page %" PRIu32, kind->name,
                                 page.vars.page);
                goto cleanup;
            }
        }
        page_index++;
    }
    if (s_document_save (self, pdf_p, err))
        goto cleanup;
    rc = 0;

cleanup:
    free (resources);
    if (rc == 0)
        //  Give the pages' memory back now; the font definitions stay.
        HPDF_FreeDoc (self->pdf);
    else if (self->pdf) {
        HPDF_Free (self->pdf);
        self->pdf = NULL;
    }
    return rc;
}
