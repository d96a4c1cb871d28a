/*  template - the page template of a job: page setup and drawing elements.

    Owns the parsed, validated form of the "template" object of a job
    document (docs/job-spec.md), with the job's assets (the images its
    elements place) and the fonts it draws with. The ventilator parses it
    to validate a job; the worker parses the same JSON text from a CHUNK
    message and hands the elements to its renderer. Elements are exposed
    as read-only structs so a renderer can draw them without knowing JSON;
    new element kinds add a kind value and a member, never change the
    existing ones.

    Everything a record can get wrong is checked by template_check_record,
    which expands every text of the template for the record exactly as a
    renderer would and checks it against its font: the ventilator runs it
    on every record when a job is submitted, so a job that is accepted
    does not fail in a worker because of its content.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_TEMPLATE_H
#define PDFPIPE_TEMPLATE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "assets.h"
#include "expr.h"
#include "fielderr.h"
#include "fonts.h"
#include "joblimits.h"
#include "subst.h"

#define TEMPLATE_ELEMENTS_MAX 10000
#define TEMPLATE_FONT_SIZE_MIN 1.0     // pt
#define TEMPLATE_FONT_SIZE_MAX 1000.0  // pt
#define TEMPLATE_PAGE_SIDE_MIN 72.0    // pt, one inch
#define TEMPLATE_PAGE_SIDE_MAX 14400.0 // pt, the PDF 1.x user-unit limit
//  Record-field paths over all texts of a template, repeats included. The
//  ventilator evaluates each text for every record when a job is
//  submitted, and cJSON finds an object member by a linear search, so this
//  bounds the work a hostile document can cause per byte.
#define TEMPLATE_FIELDS_MAX 1000
#define TEMPLATE_NESTING_MAX 64    // JSON nesting depth of template text
#define TEMPLATE_FONTS_MAX 16      // TrueType fonts a template declares
#define TEMPLATE_COLUMNS_MAX 64    // columns of a table
#define TEMPLATE_LINES_MAX 1000    // max_lines of a wrapped text
#define TEMPLATE_METADATA_MAX 1000 // bytes of a metadata string
#define TEMPLATE_QR_BYTES_L 2953   // QR code capacity in bytes, version 40
#define TEMPLATE_QR_BYTES_M 2331
#define TEMPLATE_QR_BYTES_Q 1663
#define TEMPLATE_QR_BYTES_H 1273
#define TEMPLATE_CODE128_MAX 80 // characters of a Code 128 barcode
//  Bytes of a TrueType font's "glyphs": enough for every character of the
//  Basic Multilingual Plane in UTF-8 (about 188,000 bytes).
#define TEMPLATE_GLYPHS_MAX (192 * 1024)

typedef struct _template_t template_t;

typedef enum {
    TEMPLATE_TEXT = 1,
    TEMPLATE_IMAGE,
    TEMPLATE_LINE,
    TEMPLATE_RECT,
    TEMPLATE_TABLE,
    TEMPLATE_BARCODE,
} template_kind_t;

typedef enum {
    TEMPLATE_ALIGN_LEFT = 0,
    TEMPLATE_ALIGN_CENTER,
    TEMPLATE_ALIGN_RIGHT,
} template_align_t;

typedef enum {
    TEMPLATE_COLOR_NONE = 0, // nothing is painted
    TEMPLATE_COLOR_GRAY,     // gray in r
    TEMPLATE_COLOR_RGB,
} template_color_space_t;

typedef struct {
    template_color_space_t space;
    double r, g, b; // 0 to 1
} template_color_t;

//  A font the template draws with: one of the 14 standard fonts, or a
//  TrueType font it declares in "fonts".
typedef struct {
    const char *name;         // as elements name it ("Helvetica", "korean")
    int standard;             // one of the 14 standard fonts
    const char *path;         // TrueType: the font file
    int index;                // TrueType: the face in the file
    const fonts_face_t *face; // TrueType: its coverage
    const char *glyphs;       // TrueType: characters to embed whether or not
                              // a page draws them ("glyphs"), or NULL
    charset_font_t check;     // what texts in this font may contain
} template_font_t;

typedef struct {
    const subst_t *text;         // owned by the template
    const template_font_t *font; // owned by the template
    double size;                 // pt
    template_align_t align;      // relative to x
    template_color_t color;      //
    double char_spacing;         // pt added after each character
    double width;                // pt; 0: one line, never wrapped
    uint32_t max_lines;          // with width; 0: no limit
    double line_height;          // pt from one baseline to the next
} template_text_t;

typedef enum {
    TEMPLATE_FIT_CONTAIN = 0, // keep the aspect ratio, centred in the box
    TEMPLATE_FIT_STRETCH,     // fill the box
} template_fit_t;

typedef struct {
    size_t asset;         // index in template_assets
    double width, height; // pt, the box; x, y is its bottom-left corner
    template_fit_t fit;
} template_image_t;

typedef struct {
    double x2, y2;     // pt, the end; x, y is the start
    double line_width; // pt
    template_color_t color;
} template_line_t;

typedef struct {
    double width, height;    // pt; x, y is the bottom-left corner
    double line_width;       // pt
    template_color_t stroke; // NONE: no outline
    template_color_t fill;   // NONE: not filled
} template_rect_t;

typedef struct {
    const subst_t *header; // NULL when the column has no header text
    const subst_t *value;  // expanded once per row, the row's item in scope
    double width;          // pt
    template_align_t align;
    double padding; // pt from the cell's edge to aligned text
} template_column_t;

typedef struct {
    const expr_t *rows; // path of the array the rows come from
    const template_column_t *columns;
    size_t column_count;
    double row_height; // pt
    uint32_t max_rows; // rows below the header; 0: as many as fit the page
    int has_header;    // a header row comes first
    const template_font_t *font;
    double size; // pt
    template_color_t color;
    const template_font_t *header_font;
    double header_size; // pt
    template_color_t header_color;
    template_color_t header_fill; // NONE: no fill
    double grid_width;            // pt; 0: no grid
    template_color_t grid_color;
    double baseline; // pt from a row's bottom edge to its text's baseline
} template_table_t;

typedef enum {
    TEMPLATE_QRCODE = 1,
    TEMPLATE_CODE128,
} template_symbology_t;

typedef struct {
    template_symbology_t symbology;
    const subst_t *data;         // the encoded text
    double width, height;        // pt, the box; x, y is its bottom-left corner
    char ecc;                    // QR error correction: 'L', 'M', 'Q' or 'H'
    int quiet_zone;              // the box includes the symbol's quiet zones
    template_color_t color;      // bars and modules
    template_color_t background; // NONE: not painted
} template_barcode_t;

typedef struct {
    template_kind_t kind;
    double x, y; // pt from the bottom-left corner; meaning per kind
    union {
        template_text_t text;   // x, y: the first line's anchor and baseline
        template_image_t image; // x, y: bottom-left corner
        template_line_t line;   // x, y: start
        template_rect_t rect;   // x, y: bottom-left corner
        template_table_t table; // x, y: top-left corner
        template_barcode_t barcode; // x, y: bottom-left corner
    } u;
    const char *field; // JSON path of the element ("template.elements[3]")
} template_element_t;

//  Parse and validate a template object and the job's assets (NULL when
//  the job has none). `path` is the template's JSON path in the enclosing
//  document ("template"), used to name fields in errors; assets are named
//  under "assets". TrueType fonts are resolved and read through
//  common/doc/fonts. Returns NULL and fills err on the first problem. Caller
//  owns the result.
template_t *
template_parse (const cJSON *json, const cJSON *assets, const char *path,
                fielderr_t *err);

//  Same, from JSON text as carried by a CHUNK message: either a template
//  object, or {"template": {...}, "assets": {...}} (jobspec_template_json).
template_t *
template_parse_text (const char *json, size_t size, fielderr_t *err);

void
template_destroy (template_t **self_p);

//  Page size in points after orientation is applied.
double
template_page_width (const template_t *self);
double
template_page_height (const template_t *self);

size_t
template_element_count (const template_t *self);

//  Element at index (0 .. count-1); borrowed, lives as long as the template.
const template_element_t *
template_element (const template_t *self, size_t index);

//  The fonts elements use, each once (0 .. count-1); borrowed.
size_t
template_font_count (const template_t *self);
const template_font_t *
template_font (const template_t *self, size_t index);

//  The job's images (possibly none); borrowed.
const assets_t *
template_assets (const template_t *self);

//  Document information, or NULL when not given; borrowed.
const char *
template_title (const template_t *self);
const char *
template_author (const template_t *self);
const char *
template_subject (const template_t *self);

//  The text of each page's bookmark, or NULL for none; borrowed.
const subst_t *
template_bookmark (const template_t *self);

//  What a bookmark may contain: any text without control characters.
extern const charset_font_t template_bookmark_font;

//  Check one record as a renderer would draw it: every text expanded and
//  checked against its font, table rows resolved and fitted, barcode data
//  encodable, the bookmark. Returns 0, or -1 with err naming the field
//  ("records[17].customer") or the template field at fault.
int
template_check_record (const template_t *self, const cJSON *record,
                       const subst_vars_t *vars, fielderr_t *err);

//  What template_check_record_texts hands over: one text as a record puts
//  it on a page (length bytes of UTF-8, checked against font), drawn in
//  font, a TrueType font of the template (borrowed, as the text is).
typedef void (template_text_fn) (void *arg, const template_font_t *font,
                                 const char *text, size_t length);

//  template_check_record that also calls visit (with arg) once for each
//  text the record draws in a TrueType font, literal parts included,
//  table headers and rows too, as they pass the check. Texts in standard
//  fonts and barcode data are not visited. On failure returns -1 as
//  template_check_record does; visit may have been called for texts
//  checked before the failure.
int
template_check_record_texts (const template_t *self, const cJSON *record,
                             const subst_vars_t *vars, template_text_fn *visit,
                             void *arg, fielderr_t *err);

//  template_check_record_texts that also counts what the page draws into
//  *cost (when not NULL): one item per element, text and table cell, and
//  the bytes of every text after substitution, in any font (barcode data
//  aside), for common/doc/joblimits. On failure *cost is partial.
int
template_check_record_cost (const template_t *self, const cJSON *record,
                            const subst_vars_t *vars, template_text_fn *visit,
                            void *arg, joblimits_page_t *cost,
                            fielderr_t *err);

//  The rows of a table element for a record: the array its "rows" path
//  reaches, checked to fit (max_rows, or the page's bottom edge). Returns
//  0 with *rows borrowed from the record and its JSON path in field (size
//  bytes, for naming items), or -1 with err filled.
int
template_table_rows (const template_element_t *element, const cJSON *record,
                     const subst_vars_t *vars, const cJSON **rows, char *field,
                     size_t size, fielderr_t *err);

//  Check expanded barcode data for element. Returns 0, or -1 with err
//  naming field (where the data came from).
int
template_barcode_check (const template_element_t *element, const char *data,
                        const char *field, fielderr_t *err);

//  True when name is one of the 14 standard PDF fonts.
int
template_font_is_standard (const char *name);

#endif
