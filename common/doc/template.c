/*  template - the page template of a job: page setup and drawing elements.

    Validation follows one order everywhere: an object's member names first
    (so a typo is reported as such, not as the missing field it replaces),
    then each member in the order the document format lists them. Every
    error names the JSON path of the offending member under the path the
    caller gave ("template" in a job document).

    Keywords (page sizes, orientation, alignment, element types, fits,
    symbologies) match without regard to case; font names are exact, as
    they are in PDF.

    The template owns everything its elements point to: compiled strings
    and expressions, column arrays, font records and names, each kept in
    one of a few lists that template_destroy empties. Font records live in
    a fixed array so that pointers to them stay valid while more are
    added.

    SPDX-License-Identifier: MPL-2.0
*/
#include "template.h"
#include "ident.h"
#include "jsondoc.h"
#include "utf8.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_FONT_SIZE_DEFAULT 12.0  // pt
#define S_TABLE_SIZE_DEFAULT 10.0 // pt, text in tables
#define S_PADDING_DEFAULT 4.0     // pt, table cells
#define S_LINE_HEIGHT 1.2         // of the font size, wrapped text
#define S_ROW_HEIGHT 1.8          // of the font size, table rows
#define S_CAP_HEIGHT 0.7          // of the font size, to centre a row's text
#define S_FONT_SLOTS (14 + TEMPLATE_FONTS_MAX)
#define S_NAME_MAX 64 // bytes of a declared font's name

struct _template_t {
    double page_width;            // pt, orientation applied
    double page_height;           // pt
    template_element_t *elements; // element_count of them
    size_t element_count;
    template_font_t fonts[S_FONT_SLOTS];
    size_t font_count;    // used slots
    size_t font_declared; // of which the first are template.fonts
    assets_t *assets;
    char *title, *author, *subject; // NULL when not given
    subst_t *bookmark;              // NULL when not given
    size_t field_total;             // record paths over all texts
    subst_t **substs;               // every compiled string, owned
    size_t subst_count, subst_max;
    void **blocks; // other owned memory: names, paths, columns
    size_t block_count, block_max;
};

static const char *const s_fonts[] = {
    "Courier",
    "Courier-Bold",
    "Courier-Oblique",
    "Courier-BoldOblique",
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-Oblique",
    "Helvetica-BoldOblique",
    "Times-Roman",
    "Times-Bold",
    "Times-Italic",
    "Times-BoldItalic",
    "Symbol",
    "ZapfDingbats",
    NULL,
};

typedef struct {
    const char *name;
    double width;  // pt, portrait
    double height; // pt
} s_page_size_t;

//  ISO 216 sizes rounded to 1/100 pt (1 mm = 72 / 25.4 pt) and the two US
//  sizes, which are whole inches.
static const s_page_size_t s_page_sizes[] = {
    {"A3", 841.89, 1190.55},  {"A4", 595.28, 841.89},   {"A5", 419.53, 595.28},
    {"Letter", 612.0, 792.0}, {"Legal", 612.0, 1008.0},
};
#define S_PAGE_SIZE_COUNT (sizeof s_page_sizes / sizeof s_page_sizes[0])
#define S_PAGE_SIZE_DEFAULT 1 // A4

static const char *const s_page_size_names[] = {"A3",     "A4",    "A5",
                                                "Letter", "Legal", NULL};
static const char *const s_orientations[] = {"portrait", "landscape", NULL};
static const char *const s_aligns[] = {"left", "center", "right", NULL};
static const char *const s_fits[] = {"contain", "stretch", NULL};
static const char *const s_symbologies[] = {"qrcode", "code128", NULL};
static const char *const s_eccs[] = {"L", "M", "Q", "H", NULL};
static const char *const s_element_types[] = {
    "text", "image", "line", "rect", "table", "barcode", NULL};

static const char *const s_template_fields[] = {
    "page", "fonts", "elements", "metadata", "bookmark", NULL};
static const char *const s_wire_fields[] = {"template", "assets", NULL};
static const char *const s_page_fields[] = {"size", "orientation", "width",
                                            "height", NULL};
static const char *const s_font_fields[] = {"family", "style",  "file",
                                            "index",  "glyphs", NULL};
static const char *const s_metadata_fields[] = {"title", "author", "subject",
                                                NULL};
static const char *const s_text_fields[] = {
    "type",  "text",      "x",
    "y",     "font",      "size",
    "align", "color",     "char_spacing",
    "width", "max_lines", "line_height",
    NULL};
static const char *const s_image_fields[] = {"type",  "asset",  "x",   "y",
                                             "width", "height", "fit", NULL};
static const char *const s_line_fields[] = {
    "type", "x", "y", "x2", "y2", "line_width", "color", NULL};
static const char *const s_rect_fields[] = {
    "type", "x", "y", "width", "height", "line_width", "stroke", "fill", NULL};
static const char *const s_table_fields[] = {
    "type",         "x",           "y",           "rows",
    "columns",      "row_height",  "max_rows",    "font",
    "size",         "color",       "header_font", "header_size",
    "header_color", "header_fill", "grid",        "grid_color",
    "padding",      "baseline",    NULL};
static const char *const s_column_fields[] = {"header", "value",   "width",
                                              "align",  "padding", NULL};
static const char *const s_barcode_fields[] = {
    "type",   "symbology", "data",       "x",     "y",          "width",
    "height", "ecc",       "quiet_zone", "color", "background", NULL};

const charset_font_t template_bookmark_font = {"bookmarks", CHARSET_UTF8, NULL,
                                               NULL};

//  parent.name, or name alone at the top of a document. A path too long
//  for the buffer is cut: it only names a field in a message.
static void
s_join (char *buffer, size_t size, const char *parent, const char *name)
{
    int written =
        snprintf (buffer, size, "%s%s%s", parent, *parent ? "." : "", name);
    if (written < 0)
        buffer[0] = '\0';
}

//  parent[index], cut like s_join.
static void
s_item (char *buffer, size_t size, const char *parent, size_t index)
{
    int written = snprintf (buffer, size, "%s[%zu]", parent, index);
    if (written < 0)
        buffer[0] = '\0';
}

//  names as "a, b, c" into buffer.
static void
s_list (char *buffer, size_t size, const char *const *names)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (int index = 0; names[index]; index++) {
        int written = snprintf (buffer + used, size - used, "%s%s",
                                index ? ", " : "", names[index]);
        if (written < 0 || (size_t)written >= size - used)
            return;
        used += (size_t)written;
    }
}

//  Read member name of object as a number within [min, max]; when it is
//  absent, use fallback, or fail if required. unit ends the message.
static int
s_number (const cJSON *object, const char *name, const char *path, int required,
          double min, double max, const char *unit, double fallback,
          double *value, fielderr_t *err)
{
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, name);
    const cJSON *member = cJSON_GetObjectItemCaseSensitive (object, name);
    if (!member) {
        if (required) {
            fielderr_set (err, field,
                          "missing required field '%s'; expected a number "
                          "between %g and %g%s",
                          name, min, max, unit);
            return -1;
        }
        *value = fallback;
        return 0;
    }
    if (!cJSON_IsNumber (member) || !isfinite (member->valuedouble) ||
        member->valuedouble < min || member->valuedouble > max) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (member, got, sizeof got);
        fielderr_set (err, field,
                      "must be a number between %g and %g%s, got %s", min, max,
                      unit, got);
        return -1;
    }
    *value = member->valuedouble;
    return 0;
}

//  Read member name of object as one of names (any case) and return its
//  index in *choice, or fallback when absent. what names the kind of
//  keyword in messages ("page size").
static int
s_keyword (const cJSON *object, const char *name, const char *path,
           const char *const *names, int fallback, const char *what,
           int *choice, fielderr_t *err)
{
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, name);
    char expected[FIELDERR_MESSAGE_MAX];
    s_list (expected, sizeof expected, names);
    const cJSON *member = cJSON_GetObjectItemCaseSensitive (object, name);
    if (!member) {
        if (fallback < 0) {
            fielderr_set (err, field,
                          "missing required field '%s'; expected one of: %s",
                          name, expected);
            return -1;
        }
        *choice = fallback;
        return 0;
    }
    if (!cJSON_IsString (member) || !member->valuestring) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (member, got, sizeof got);
        fielderr_set (err, field, "must be one of: %s, got %s", expected, got);
        return -1;
    }
    for (int index = 0; names[index]; index++) {
        if (strcasecmp (names[index], member->valuestring) == 0) {
            *choice = index;
            return 0;
        }
    }
    fielderr_set (err, field, "unknown %s '%.64s'; expected one of: %s", what,
                  member->valuestring, expected);
    return -1;
}

static int
s_parse_page (template_t *self, const cJSON *page, const char *path,
              fielderr_t *err)
{
    const s_page_size_t *size = &s_page_sizes[S_PAGE_SIZE_DEFAULT];
    self->page_width = size->width;
    self->page_height = size->height;
    if (!page)
        return 0;
    if (jsondoc_require_object (page, path,
                                "an object such as {\"size\": \"A4\"}", err))
        return -1;
    int rc = jsondoc_check_fields (page, path, s_page_fields, err);
    if (rc)
        return -1;
    const cJSON *size_name = cJSON_GetObjectItemCaseSensitive (page, "size");
    const cJSON *width = cJSON_GetObjectItemCaseSensitive (page, "width");
    const cJSON *height = cJSON_GetObjectItemCaseSensitive (page, "height");
    const cJSON *orientation =
        cJSON_GetObjectItemCaseSensitive (page, "orientation");
    char field[FIELDERR_FIELD_MAX];
    if (width || height) {
        if (size_name) {
            s_join (field, sizeof field, path, width ? "width" : "height");
            fielderr_set (err, field,
                          "cannot be combined with 'size'; give either a size "
                          "name or both width and height");
            return -1;
        }
        if (orientation) {
            s_join (field, sizeof field, path, "orientation");
            fielderr_set (err, field,
                          "applies only to a named size; give width and "
                          "height as the page should be");
            return -1;
        }
        rc = s_number (page, "width", path, 1, TEMPLATE_PAGE_SIDE_MIN,
                       TEMPLATE_PAGE_SIDE_MAX, " (points)", 0,
                       &self->page_width, err);
        if (rc)
            return -1;
        return s_number (page, "height", path, 1, TEMPLATE_PAGE_SIDE_MIN,
                         TEMPLATE_PAGE_SIDE_MAX, " (points)", 0,
                         &self->page_height, err);
    }
    int size_nbr, orientation_nbr;
    rc = s_keyword (page, "size", path, s_page_size_names, S_PAGE_SIZE_DEFAULT,
                    "page size", &size_nbr, err);
    if (rc)
        return -1;
    rc = s_keyword (page, "orientation", path, s_orientations, 0, "orientation",
                    &orientation_nbr, err);
    if (rc)
        return -1;
    size = &s_page_sizes[size_nbr];
    int landscape = orientation_nbr == 1;
    self->page_width = landscape ? size->height : size->width;
    self->page_height = landscape ? size->width : size->height;
    return 0;
}

// ---------------------------------------------------------------------------
// Owned memory

static int
s_keep_block (template_t *self, void *block)
{
    if (!block)
        return -1;
    if (self->block_count == self->block_max) {
        size_t block_max = self->block_max ? self->block_max * 2 : 16;
        void **blocks = realloc (self->blocks, block_max * sizeof (void *));
        if (!blocks) {
            free (block);
            return -1;
        }
        self->blocks = blocks;
        self->block_max = block_max;
    }
    self->blocks[self->block_count++] = block;
    return 0;
}

//  A copy of text that the template owns, or NULL when out of memory.
static char *
s_keep_string (template_t *self, const char *text)
{
    char *copy = strdup (text);
    return s_keep_block (self, copy) ? NULL : copy;
}

static int
s_keep_subst (template_t *self, subst_t *subst)
{
    if (self->subst_count == self->subst_max) {
        size_t subst_max = self->subst_max ? self->subst_max * 2 : 16;
        subst_t **substs =
            realloc (self->substs, subst_max * sizeof (subst_t *));
        if (!substs) {
            subst_destroy (&subst);
            return -1;
        }
        self->substs = substs;
        self->subst_max = subst_max;
    }
    self->substs[self->subst_count++] = subst;
    return 0;
}

// ---------------------------------------------------------------------------
// Members

static const cJSON *
s_member (const cJSON *object, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive (object, name);
}

//  Read member name as a whole number within [min, max], or fallback.
static int
s_whole (const cJSON *object, const char *name, const char *path, double min,
         double max, uint32_t fallback, uint32_t *value, fielderr_t *err)
{
    const cJSON *member = s_member (object, name);
    if (!member) {
        *value = fallback;
        return 0;
    }
    double number = cJSON_IsNumber (member) ? member->valuedouble : -1;
    if (!isfinite (number) || number != floor (number) || number < min ||
        number > max) {
        char field[FIELDERR_FIELD_MAX];
        s_join (field, sizeof field, path, name);
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (member, got, sizeof got);
        fielderr_set (err, field,
                      "must be a whole number between %g and %g, got %s", min,
                      max, got);
        return -1;
    }
    *value = (uint32_t)number;
    return 0;
}

static int
s_bool (const cJSON *object, const char *name, const char *path, int fallback,
        int *value, fielderr_t *err)
{
    const cJSON *member = s_member (object, name);
    if (!member) {
        *value = fallback;
        return 0;
    }
    if (!cJSON_IsBool (member)) {
        char field[FIELDERR_FIELD_MAX];
        s_join (field, sizeof field, path, name);
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (member, got, sizeof got);
        fielderr_set (err, field, "must be true or false, got %s", got);
        return -1;
    }
    *value = cJSON_IsTrue (member);
    return 0;
}

static int
s_hex_digit (char next)
{
    if (next >= '0' && next <= '9')
        return next - '0';
    if (next >= 'a' && next <= 'f')
        return next - 'a' + 10;
    if (next >= 'A' && next <= 'F')
        return next - 'A' + 10;
    return -1;
}

//  A colour: a grey level (number 0..1), [r, g, b] (each 0..1) or
//  "#rrggbb".
static int
s_color (const cJSON *object, const char *name, const char *path,
         template_color_t fallback, template_color_t *color, fielderr_t *err)
{
    const cJSON *member = s_member (object, name);
    if (!member) {
        *color = fallback;
        return 0;
    }
    memset (color, 0, sizeof *color);
    if (cJSON_IsNumber (member) && member->valuedouble >= 0 &&
        member->valuedouble <= 1) {
        color->space = TEMPLATE_COLOR_GRAY;
        color->r = member->valuedouble;
        return 0;
    }
    if (cJSON_IsArray (member) && cJSON_GetArraySize (member) == 3) {
        double parts[3];
        int nbr = 0;
        for (const cJSON *part = member->child; part; part = part->next) {
            if (!cJSON_IsNumber (part) || part->valuedouble < 0 ||
                part->valuedouble > 1)
                break;
            parts[nbr++] = part->valuedouble;
        }
        if (nbr == 3) {
            color->space = TEMPLATE_COLOR_RGB;
            color->r = parts[0];
            color->g = parts[1];
            color->b = parts[2];
            return 0;
        }
    }
    if (cJSON_IsString (member) && strlen (member->valuestring) == 7 &&
        member->valuestring[0] == '#') {
        int digits[6];
        int valid = 1;
        for (int nbr = 0; nbr < 6; nbr++) {
            digits[nbr] = s_hex_digit (member->valuestring[nbr + 1]);
            valid = valid && digits[nbr] >= 0;
        }
        if (valid) {
            color->space = TEMPLATE_COLOR_RGB;
            color->r = (digits[0] * 16 + digits[1]) / 255.0;
            color->g = (digits[2] * 16 + digits[3]) / 255.0;
            color->b = (digits[4] * 16 + digits[5]) / 255.0;
            return 0;
        }
    }
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, name);
    char got[JSONDOC_DESCRIBE_MAX];
    jsondoc_describe (member, got, sizeof got);
    fielderr_set (err, field,
                  "must be a colour: a grey level from 0 (black) to 1 (white), "
                  "[red, green, blue] from 0 to 1, or \"#rrggbb\"; got %s",
                  got);
    return -1;
}

//  Compile member name as a template string the template keeps. example
//  shows a valid value in the "missing" message.
static int
s_text (template_t *self, const cJSON *object, const char *name,
        const char *path, int required, const char *example,
        const subst_t **subst, fielderr_t *err)
{
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, name);
    const cJSON *member = s_member (object, name);
    *subst = NULL;
    if (!member) {
        if (!required)
            return 0;
        fielderr_set (err, field,
                      "missing required field '%s'; expected a string such "
                      "as %s",
                      name, example);
        return -1;
    }
    if (!cJSON_IsString (member) || !member->valuestring) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (member, got, sizeof got);
        fielderr_set (err, field, "must be a string, got %s", got);
        return -1;
    }
    subst_t *compiled = subst_compile (member->valuestring, field, err);
    if (!compiled)
        return -1;
    if (s_keep_subst (self, compiled)) {
        fielderr_set (err, field, "out of memory");
        return -1;
    }
    self->field_total += subst_field_count (compiled);
    if (self->field_total > TEMPLATE_FIELDS_MAX) {
        fielderr_set (err, field,
                      "brings the template's placeholders for record fields "
                      "to more than %d, the most a template may have",
                      TEMPLATE_FIELDS_MAX);
        return -1;
    }
    *subst = compiled;
    return 0;
}

// ---------------------------------------------------------------------------
// Fonts

static void
s_standard_check (template_font_t *font)
{
    int symbolic = strcmp (font->name, "Symbol") == 0 ||
                   strcmp (font->name, "ZapfDingbats") == 0;
    font->check.name = font->name;
    font->check.charset = symbolic ? CHARSET_ASCII : CHARSET_WINANSI;
    font->check.covers = NULL;
    font->check.face = NULL;
}

//  The record of a standard font, added on first use.
static const template_font_t *
s_standard_font (template_t *self, const char *name)
{
    for (size_t index = 0; index < self->font_count; index++)
        if (self->fonts[index].standard &&
            strcmp (self->fonts[index].name, name) == 0)
            return &self->fonts[index];
    //  There are slots for all 14 besides the declared ones.
    assert (self->font_count < S_FONT_SLOTS);
    template_font_t *font = &self->fonts[self->font_count++];
    memset (font, 0, sizeof *font);
    font->name = name;
    font->standard = 1;
    s_standard_check (font);
    return font;
}

//  A font's optional "glyphs": characters its subset always embeds. The
//  ventilator sets it to every character a job draws in the font, so that
//  every chunk embeds the same subset; a user may give it too.
static int
s_parse_glyphs (template_t *self, template_font_t *font, const cJSON *glyphs,
                const char *path, fielderr_t *err)
{
    if (!glyphs)
        return 0;
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, "glyphs");
    if (!cJSON_IsString (glyphs)) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (glyphs, got, sizeof got);
        fielderr_set (err, field,
                      "must be a string of the characters to embed, got %s",
                      got);
        return -1;
    }
    size_t size = strlen (glyphs->valuestring);
    if (size > TEMPLATE_GLYPHS_MAX) {
        fielderr_set (err, field, "has %zu bytes; at most %d are allowed", size,
                      TEMPLATE_GLYPHS_MAX);
        return -1;
    }
    if (charset_font_check (glyphs->valuestring, &font->check, field, NULL,
                            err))
        return -1;
    font->glyphs = s_keep_string (self, glyphs->valuestring);
    if (!font->glyphs) {
        fielderr_set (err, field, "out of memory");
        return -1;
    }
    return 0;
}

static int
s_parse_font (template_t *self, const cJSON *entry, const char *path,
              fielderr_t *err)
{
    char field[FIELDERR_FIELD_MAX];
    const char *name = entry->string ? entry->string : "";
    s_join (field, sizeof field, path, name);
    if (!ident_valid_str (name, S_NAME_MAX)) {
        fielderr_set (err, field,
                      "a font's name must be 1 to %d letters, digits, '_' or "
                      "'-'",
                      S_NAME_MAX);
        return -1;
    }
    if (template_font_is_standard (name)) {
        fielderr_set (err, field,
                      "'%s' is a standard font's name; give this font "
                      "another name",
                      name);
        return -1;
    }
    if (jsondoc_require_object (
            entry, field,
            "an object such as {\"family\": \"NanumGothic\"} or {\"file\": "
            "\"/usr/share/fonts/...\"}",
            err))
        return -1;
    if (jsondoc_check_fields (entry, field, s_font_fields, err))
        return -1;
    const cJSON *family = s_member (entry, "family");
    const cJSON *style = s_member (entry, "style");
    const cJSON *file = s_member (entry, "file");
    char member[FIELDERR_FIELD_MAX];
    if (!family == !file) {
        fielderr_set (err, field,
                      "give either 'family' (a name fontconfig resolves) or "
                      "'file' (an installed font file), not %s",
                      family ? "both" : "neither");
        return -1;
    }
    const char *keys[] = {"family", "style", "file"};
    const cJSON *values[] = {family, style, file};
    for (int nbr = 0; nbr < 3; nbr++) {
        if (values[nbr] &&
            (!cJSON_IsString (values[nbr]) || !values[nbr]->valuestring[0] ||
             strlen (values[nbr]->valuestring) >= FONTS_PATH_MAX)) {
            s_join (member, sizeof member, field, keys[nbr]);
            char got[JSONDOC_DESCRIBE_MAX];
            jsondoc_describe (values[nbr], got, sizeof got);
            fielderr_set (err, member, "must be a non-empty string, got %s",
                          got);
            return -1;
        }
    }
    if (style && !family) {
        s_join (member, sizeof member, field, "style");
        fielderr_set (err, member, "goes with 'family', not with 'file'");
        return -1;
    }
    uint32_t index = 0;
    if (s_whole (entry, "index", field, 0, 1000, 0, &index, err))
        return -1;
    char path_found[FONTS_PATH_MAX];
    int face_index = (int)index;
    if (family) {
        s_join (member, sizeof member, field, "family");
        if (fonts_find (family->valuestring, style ? style->valuestring : NULL,
                        path_found, sizeof path_found, &face_index, member,
                        err))
            return -1;
    } else {
        s_join (member, sizeof member, field, "file");
        snprintf (path_found, sizeof path_found, "%s", file->valuestring);
    }
    const fonts_face_t *face = fonts_face (path_found, face_index, member, err);
    if (!face)
        return -1;
    template_font_t *font = &self->fonts[self->font_count];
    memset (font, 0, sizeof *font);
    font->name = s_keep_string (self, name);
    font->path = s_keep_string (self, path_found);
    char *label = malloc (S_NAME_MAX + 160);
    if (label)
        snprintf (label, S_NAME_MAX + 160, "'%s' (%.128s)", name,
                  fonts_face_family (face));
    if (!font->name || !font->path || s_keep_block (self, label)) {
        fielderr_set (err, field, "out of memory");
        return -1;
    }
    font->index = face_index;
    font->face = face;
    font->check.name = label;
    font->check.charset = CHARSET_UTF8;
    font->check.covers = fonts_face_covers;
    font->check.face = face;
    if (s_parse_glyphs (self, font, s_member (entry, "glyphs"), field, err))
        return -1;
    self->font_count++;
    self->font_declared++;
    return 0;
}

static int
s_parse_fonts (template_t *self, const cJSON *fonts, const char *path,
               fielderr_t *err)
{
    if (!fonts)
        return 0;
    if (jsondoc_require_object (fonts, path,
                                "an object of named fonts such as "
                                "{\"korean\": {\"family\": \"NanumGothic\"}}",
                                err))
        return -1;
    size_t count = 0;
    for (const cJSON *entry = fonts->child; entry; entry = entry->next) {
        if (++count > TEMPLATE_FONTS_MAX) {
            fielderr_set (err, path,
                          "has more than %d fonts, the most a template may "
                          "declare",
                          TEMPLATE_FONTS_MAX);
            return -1;
        }
        for (const cJSON *earlier = fonts->child; earlier != entry;
             earlier = earlier->next) {
            if (entry->string && earlier->string &&
                strcmp (entry->string, earlier->string) == 0) {
                char field[FIELDERR_FIELD_MAX];
                s_join (field, sizeof field, path, entry->string);
                fielderr_set (err, field, "duplicate field '%s'",
                              entry->string);
                return -1;
            }
        }
        if (s_parse_font (self, entry, path, err))
            return -1;
    }
    return 0;
}

//  The font member name of element (a standard font's name or a declared
//  one), or fallback when absent; NULL with err filled on a bad name.
static const template_font_t *
s_font (template_t *self, const cJSON *element, const char *name,
        const char *path, const template_font_t *fallback, fielderr_t *err)
{
    const cJSON *member = s_member (element, name);
    if (!member)
        return fallback;
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, name);
    char expected[FIELDERR_MESSAGE_MAX];
    s_list (expected, sizeof expected, s_fonts);
    char declared[FIELDERR_MESSAGE_MAX / 2] = "";
    size_t used = 0;
    for (size_t index = 0; index < self->font_declared; index++) {
        int written = snprintf (declared + used, sizeof declared - used, "%s%s",
                                index ? ", " : "", self->fonts[index].name);
        if (written < 0 || (size_t)written >= sizeof declared - used)
            break;
        used += (size_t)written;
    }
    char also[FIELDERR_MESSAGE_MAX / 2 + 48] = "";
    if (self->font_declared)
        snprintf (also, sizeof also, " or one of template.fonts (%s)",
                  declared);
    if (!cJSON_IsString (member) || !member->valuestring) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (member, got, sizeof got);
        fielderr_set (err, field,
                      "must be the name of one of the 14 standard PDF fonts "
                      "(%s)%s, got %s",
                      expected, also, got);
        return NULL;
    }
    const char *wanted = member->valuestring;
    for (size_t index = 0; index < self->font_declared; index++)
        if (strcmp (self->fonts[index].name, wanted) == 0)
            return &self->fonts[index];
    for (int index = 0; s_fonts[index]; index++) {
        if (strcmp (s_fonts[index], wanted) == 0)
            return s_standard_font (self, s_fonts[index]);
    }
    for (int index = 0; s_fonts[index]; index++) {
        if (strcasecmp (s_fonts[index], wanted) == 0) {
            fielderr_set (err, field,
                          "unknown font '%.64s'; did you mean '%s'? Font "
                          "names are case-sensitive",
                          wanted, s_fonts[index]);
            return NULL;
        }
    }
    fielderr_set (err, field,
                  "unknown font '%.64s'; expected one of the 14 standard PDF "
                  "fonts (%s)%s",
                  wanted, expected, also);
    return NULL;
}

// ---------------------------------------------------------------------------
// Elements

//  x and y, required, within the page-side bounds.
static int
s_position (template_element_t *target, const cJSON *element, const char *path,
            const char *x_unit, const char *y_unit, fielderr_t *err)
{
    int rc = s_number (element, "x", path, 1, -TEMPLATE_PAGE_SIDE_MAX,
                       TEMPLATE_PAGE_SIDE_MAX, x_unit, 0, &target->x, err);
    if (rc)
        return -1;
    return s_number (element, "y", path, 1, -TEMPLATE_PAGE_SIDE_MAX,
                     TEMPLATE_PAGE_SIDE_MAX, y_unit, 0, &target->y, err);
}

//  width and height of a box, required, positive.
static int
s_box (const cJSON *element, const char *path, double *width, double *height,
       fielderr_t *err)
{
    int rc = s_number (element, "width", path, 1, 0.01, TEMPLATE_PAGE_SIDE_MAX,
                       " (points)", 0, width, err);
    if (rc)
        return -1;
    return s_number (element, "height", path, 1, 0.01, TEMPLATE_PAGE_SIDE_MAX,
                     " (points)", 0, height, err);
}

static const template_color_t s_black = {TEMPLATE_COLOR_GRAY, 0, 0, 0};
static const template_color_t s_no_color = {TEMPLATE_COLOR_NONE, 0, 0, 0};

static int
s_parse_text (template_t *self, template_element_t *target,
              const cJSON *element, const char *path, fielderr_t *err)
{
    template_text_t *text = &target->u.text;
    int rc = jsondoc_check_fields (element, path, s_text_fields, err);
    if (rc)
        return -1;
    rc = s_text (self, element, "text", path, 1, "\"Invoice {{number}}\"",
                 &text->text, err);
    if (rc)
        return -1;
    rc = s_position (target, element, path, " (points from the left edge)",
                     " (points from the bottom edge to the baseline)", err);
    if (rc)
        return -1;
    text->font = s_font (self, element, "font", path,
                         s_standard_font (self, "Helvetica"), err);
    if (!text->font)
        return -1;
    rc = subst_check_literals (text->text, &text->font->check, err);
    if (rc)
        return -1;
    rc = s_number (element, "size", path, 0, TEMPLATE_FONT_SIZE_MIN,
                   TEMPLATE_FONT_SIZE_MAX, " (points)", S_FONT_SIZE_DEFAULT,
                   &text->size, err);
    if (rc)
        return -1;
    int align;
    rc = s_keyword (element, "align", path, s_aligns, 0, "alignment", &align,
                    err);
    if (rc)
        return -1;
    text->align = (template_align_t)align;
    rc = s_color (element, "color", path, s_black, &text->color, err);
    if (rc)
        return -1;
    rc = s_number (element, "char_spacing", path, 0, -TEMPLATE_FONT_SIZE_MAX,
                   TEMPLATE_FONT_SIZE_MAX, " (points)", 0, &text->char_spacing,
                   err);
    if (rc)
        return -1;
    rc = s_number (element, "width", path, 0, 1, TEMPLATE_PAGE_SIDE_MAX,
                   " (points)", 0, &text->width, err);
    if (rc)
        return -1;
    rc = s_whole (element, "max_lines", path, 1, TEMPLATE_LINES_MAX, 0,
                  &text->max_lines, err);
    if (rc)
        return -1;
    if (text->max_lines && text->width == 0) {
        char field[FIELDERR_FIELD_MAX];
        s_join (field, sizeof field, path, "max_lines");
        fielderr_set (err, field,
                      "applies only to wrapped text; give 'width' too");
        return -1;
    }
    return s_number (element, "line_height", path, 0, 0.01,
                     TEMPLATE_PAGE_SIDE_MAX, " (points)",
                     text->size * S_LINE_HEIGHT, &text->line_height, err);
}

static int
s_parse_image (template_t *self, template_element_t *target,
               const cJSON *element, const char *path, fielderr_t *err)
{
    template_image_t *image = &target->u.image;
    int rc = jsondoc_check_fields (element, path, s_image_fields, err);
    if (rc)
        return -1;
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, "asset");
    const cJSON *asset = s_member (element, "asset");
    if (!cJSON_IsString (asset) || !asset->valuestring) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (asset, got, sizeof got);
        if (asset)
            fielderr_set (err, field,
                          "must be the name of an image in the job's "
                          "\"assets\", got %s",
                          got);
        else
            fielderr_set (err, field,
                          "missing required field 'asset'; expected the name "
                          "of an image in the job's \"assets\"");
        return -1;
    }
    int asset_nbr = assets_index (self->assets, asset->valuestring);
    if (asset_nbr < 0) {
        fielderr_set (err, field,
                      "no asset is named '%.64s'; the job's \"assets\" has "
                      "%zu image%s",
                      asset->valuestring, assets_count (self->assets),
                      assets_count (self->assets) == 1 ? "" : "s");
        return -1;
    }
    image->asset = (size_t)asset_nbr;
    rc = s_position (target, element, path, " (points from the left edge)",
                     " (points from the bottom edge)", err);
    if (rc)
        return -1;
    rc = s_box (element, path, &image->width, &image->height, err);
    if (rc)
        return -1;
    int fit;
    rc = s_keyword (element, "fit", path, s_fits, 0, "fit", &fit, err);
    image->fit = (template_fit_t)fit;
    return rc;
}

static int
s_parse_line (template_t *self, template_element_t *target,
              const cJSON *element, const char *path, fielderr_t *err)
{
    (void)self;
    template_line_t *line = &target->u.line;
    int rc = jsondoc_check_fields (element, path, s_line_fields, err);
    if (rc)
        return -1;
    rc = s_position (target, element, path, " (points from the left edge)",
                     " (points from the bottom edge)", err);
    if (rc)
        return -1;
    rc = s_number (element, "x2", path, 1, -TEMPLATE_PAGE_SIDE_MAX,
                   TEMPLATE_PAGE_SIDE_MAX, " (points from the left edge)", 0,
                   &line->x2, err);
    if (rc)
        return -1;
    rc = s_number (element, "y2", path, 1, -TEMPLATE_PAGE_SIDE_MAX,
                   TEMPLATE_PAGE_SIDE_MAX, " (points from the bottom edge)", 0,
                   &line->y2, err);
    if (rc)
        return -1;
    rc = s_number (element, "line_width", path, 0, 0.01, 1000, " (points)", 1,
                   &line->line_width, err);
    if (rc)
        return -1;
    return s_color (element, "color", path, s_black, &line->color, err);
}

static int
s_parse_rect (template_t *self, template_element_t *target,
              const cJSON *element, const char *path, fielderr_t *err)
{
    (void)self;
    template_rect_t *rect = &target->u.rect;
    int rc = jsondoc_check_fields (element, path, s_rect_fields, err);
    if (rc)
        return -1;
    rc = s_position (target, element, path, " (points from the left edge)",
                     " (points from the bottom edge)", err);
    if (rc)
        return -1;
    rc = s_box (element, path, &rect->width, &rect->height, err);
    if (rc)
        return -1;
    rc = s_number (element, "line_width", path, 0, 0.01, 1000, " (points)", 1,
                   &rect->line_width, err);
    if (rc)
        return -1;
    //  Only a fill: no outline, unless one is asked for.
    int filled = s_member (element, "fill") != NULL;
    rc = s_color (element, "stroke", path, filled ? s_no_color : s_black,
                  &rect->stroke, err);
    if (rc)
        return -1;
    return s_color (element, "fill", path, s_no_color, &rect->fill, err);
}

static int
s_parse_column (template_t *self, template_column_t *column, const cJSON *json,
                const char *path, double padding, fielderr_t *err)
{
    if (jsondoc_require_object (json, path,
                                "an object such as {\"header\": \"Qty\", "
                                "\"value\": \"{{qty}}\", \"width\": 60}",
                                err))
        return -1;
    int rc = jsondoc_check_fields (json, path, s_column_fields, err);
    if (rc)
        return -1;
    rc = s_text (self, json, "header", path, 0, "", &column->header, err);
    if (rc)
        return -1;
    rc = s_text (self, json, "value", path, 1, "\"{{qty}}\"", &column->value,
                 err);
    if (rc)
        return -1;
    rc = s_number (json, "width", path, 1, 0.01, TEMPLATE_PAGE_SIDE_MAX,
                   " (points)", 0, &column->width, err);
    if (rc)
        return -1;
    int align;
    rc = s_keyword (json, "align", path, s_aligns, 0, "alignment", &align, err);
    if (rc)
        return -1;
    column->align = (template_align_t)align;
    return s_number (json, "padding", path, 0, 0, TEMPLATE_PAGE_SIDE_MAX,
                     " (points)", padding, &column->padding, err);
}

static int
s_parse_columns (template_t *self, template_table_t *table,
                 const cJSON *element, const char *path, double padding,
                 fielderr_t *err)
{
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, "columns");
    const cJSON *columns = s_member (element, "columns");
    int count = cJSON_IsArray (columns) ? cJSON_GetArraySize (columns) : 0;
    if (count < 1 || count > TEMPLATE_COLUMNS_MAX) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (columns, got, sizeof got);
        if (!columns)
            fielderr_set (err, field,
                          "missing required field 'columns'; expected an "
                          "array of 1 to %d columns",
                          TEMPLATE_COLUMNS_MAX);
        else
            fielderr_set (err, field,
                          "must be an array of 1 to %d columns, got %s%s",
                          TEMPLATE_COLUMNS_MAX, got,
                          cJSON_IsArray (columns) && count ? " too long" : "");
        return -1;
    }
    template_column_t *parsed = calloc ((size_t)count, sizeof *parsed);
    if (s_keep_block (self, parsed)) {
        fielderr_set (err, field, "out of memory");
        return -1;
    }
    table->columns = parsed;
    table->column_count = (size_t)count;
    size_t index = 0;
    for (const cJSON *column = columns->child; column; column = column->next) {
        char column_path[FIELDERR_FIELD_MAX];
        s_item (column_path, sizeof column_path, field, index);
        if (s_parse_column (self, &parsed[index], column, column_path, padding,
                            err))
            return -1;
        if (parsed[index].header)
            table->has_header = 1;
        index++;
    }
    return 0;
}

static int
s_parse_rows (template_t *self, template_table_t *table, const cJSON *element,
              const char *path, fielderr_t *err)
{
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, "rows");
    const cJSON *rows = s_member (element, "rows");
    if (!cJSON_IsString (rows) || !rows->valuestring) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (rows, got, sizeof got);
        if (rows)
            fielderr_set (err, field,
                          "must be the path of an array field, such as "
                          "\"items\", got %s",
                          got);
        else
            fielderr_set (err, field,
                          "missing required field 'rows'; expected the path "
                          "of an array field, such as \"items\"");
        return -1;
    }
    //  Written as a path, compiled as the one placeholder it amounts to.
    size_t length = strlen (rows->valuestring);
    char *source = malloc (length + 5);
    if (s_keep_block (self, source)) {
        fielderr_set (err, field, "out of memory");
        return -1;
    }
    snprintf (source, length + 5, "{{%s}}", rows->valuestring);
    char problem[EXPR_PROBLEM_MAX];
    expr_t *expr = NULL;
    if (!strstr (rows->valuestring, "}}") && !strstr (rows->valuestring, "{{"))
        expr =
            expr_compile (rows->valuestring, length, problem, sizeof problem);
    int is_path = expr && expr_is_path (expr);
    expr_destroy (&expr);
    if (!is_path) {
        fielderr_set (err, field,
                      "must be the path of an array field, such as \"items\" "
                      "or \"order.lines\", got \"%.64s\"",
                      rows->valuestring);
        return -1;
    }
    subst_t *compiled = subst_compile (source, field, err);
    if (!compiled || s_keep_subst (self, compiled))
        return -1;
    self->field_total += subst_field_count (compiled);
    const expr_t *path_expr = NULL;
    subst_single_path (compiled, &path_expr);
    table->rows = path_expr;
    return 0;
}

static int
s_parse_table (template_t *self, template_element_t *target,
               const cJSON *element, const char *path, fielderr_t *err)
{
    template_table_t *table = &target->u.table;
    int rc = jsondoc_check_fields (element, path, s_table_fields, err);
    if (rc)
        return -1;
    rc = s_position (target, element, path, " (points from the left edge)",
                     " (points from the bottom edge to the table's top)", err);
    if (rc)
        return -1;
    rc = s_parse_rows (self, table, element, path, err);
    if (rc)
        return -1;
    //  Columns read padding, so it is read first: a table's default for
    //  its columns.
    double padding;
    rc = s_number (element, "padding", path, 0, 0, TEMPLATE_PAGE_SIDE_MAX,
                   " (points)", S_PADDING_DEFAULT, &padding, err);
    if (rc)
        return -1;
    table->font = s_font (self, element, "font", path,
                          s_standard_font (self, "Helvetica"), err);
    if (!table->font)
        return -1;
    rc = s_number (element, "size", path, 0, TEMPLATE_FONT_SIZE_MIN,
                   TEMPLATE_FONT_SIZE_MAX, " (points)", S_TABLE_SIZE_DEFAULT,
                   &table->size, err);
    if (rc)
        return -1;
    rc = s_color (element, "color", path, s_black, &table->color, err);
    if (rc)
        return -1;
    table->header_font =
        s_font (self, element, "header_font", path, table->font, err);
    if (!table->header_font)
        return -1;
    rc = s_number (element, "header_size", path, 0, TEMPLATE_FONT_SIZE_MIN,
                   TEMPLATE_FONT_SIZE_MAX, " (points)", table->size,
                   &table->header_size, err);
    if (rc)
        return -1;
    rc = s_color (element, "header_color", path, table->color,
                  &table->header_color, err);
    if (rc)
        return -1;
    rc = s_color (element, "header_fill", path, s_no_color, &table->header_fill,
                  err);
    if (rc)
        return -1;
    rc = s_parse_columns (self, table, element, path, padding, err);
    if (rc)
        return -1;
    for (size_t index = 0; index < table->column_count; index++) {
        const template_column_t *column = &table->columns[index];
        if (column->header &&
            subst_check_literals (column->header, &table->header_font->check,
                                  err))
            return -1;
        if (subst_check_literals (column->value, &table->font->check, err))
            return -1;
    }
    rc = s_number (element, "row_height", path, 0, 1, TEMPLATE_PAGE_SIDE_MAX,
                   " (points)", table->size * S_ROW_HEIGHT, &table->row_height,
                   err);
    if (rc)
        return -1;
    rc = s_whole (element, "max_rows", path, 1, 100000, 0, &table->max_rows,
                  err);
    if (rc)
        return -1;
    rc = s_number (element, "grid", path, 0, 0, 1000, " (points, 0 for none)",
                   0, &table->grid_width, err);
    if (rc)
        return -1;
    rc =
        s_color (element, "grid_color", path, s_black, &table->grid_color, err);
    if (rc)
        return -1;
    return s_number (element, "baseline", path, 0, -TEMPLATE_PAGE_SIDE_MAX,
                     TEMPLATE_PAGE_SIDE_MAX, " (points above a row's bottom)",
                     (table->row_height - table->size * S_CAP_HEIGHT) / 2,
                     &table->baseline, err);
}

static int
s_parse_barcode (template_t *self, template_element_t *target,
                 const cJSON *element, const char *path, fielderr_t *err)
{
    template_barcode_t *barcode = &target->u.barcode;
    int rc = jsondoc_check_fields (element, path, s_barcode_fields, err);
    if (rc)
        return -1;
    int symbology;
    rc = s_keyword (element, "symbology", path, s_symbologies, -1, "symbology",
                    &symbology, err);
    if (rc)
        return -1;
    barcode->symbology = symbology == 0 ? TEMPLATE_QRCODE : TEMPLATE_CODE128;
    rc = s_text (self, element, "data", path, 1,
                 "\"https://example.com/i/{{number}}\"", &barcode->data, err);
    if (rc)
        return -1;
    rc = s_position (target, element, path, " (points from the left edge)",
                     " (points from the bottom edge)", err);
    if (rc)
        return -1;
    rc = s_box (element, path, &barcode->width, &barcode->height, err);
    if (rc)
        return -1;
    int ecc;
    rc = s_keyword (element, "ecc", path, s_eccs, 1, "error correction level",
                    &ecc, err);
    if (rc)
        return -1;
    if (s_member (element, "ecc") && barcode->symbology != TEMPLATE_QRCODE) {
        char field[FIELDERR_FIELD_MAX];
        s_join (field, sizeof field, path, "ecc");
        fielderr_set (err, field, "applies only to the qrcode symbology");
        return -1;
    }
    barcode->ecc = s_eccs[ecc][0];
    rc = s_bool (element, "quiet_zone", path, 1, &barcode->quiet_zone, err);
    if (rc)
        return -1;
    rc = s_color (element, "color", path, s_black, &barcode->color, err);
    if (rc)
        return -1;
    return s_color (element, "background", path, s_no_color,
                    &barcode->background, err);
}

typedef int (s_parse_fn) (template_t *self, template_element_t *target,
                          const cJSON *element, const char *path,
                          fielderr_t *err);

static s_parse_fn *const s_parsers[] = {
    s_parse_text, s_parse_image, s_parse_line,
    s_parse_rect, s_parse_table, s_parse_barcode,
};

static int
s_parse_element (template_t *self, size_t index, const cJSON *element,
                 const char *path, fielderr_t *err)
{
    template_element_t *target = &self->elements[index];
    target->field = s_keep_string (self, path);
    if (!target->field) {
        fielderr_set (err, path, "out of memory");
        return -1;
    }
    if (jsondoc_require_object (
            element, path, "an object such as {\"type\": \"text\", ...}", err))
        return -1;
    int type;
    int rc = s_keyword (element, "type", path, s_element_types, -1,
                        "element type", &type, err);
    if (rc)
        return -1;
    target->kind = (template_kind_t)(type + 1);
    return s_parsers[type](self, target, element, path, err);
}

static int
s_parse_elements (template_t *self, const cJSON *elements, const char *path,
                  fielderr_t *err)
{
    if (!elements) {
        fielderr_set (err, path,
                      "missing required field 'elements'; expected an array "
                      "of elements such as {\"type\": \"text\", ...} (it may "
                      "be empty)");
        return -1;
    }
    if (!cJSON_IsArray (elements)) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (elements, got, sizeof got);
        fielderr_set (err, path, "must be an array of elements, got %s", got);
        return -1;
    }
    size_t count = 0;
    for (const cJSON *item = elements->child; item; item = item->next) {
        if (++count > TEMPLATE_ELEMENTS_MAX) {
            fielderr_set (err, path,
                          "has more than %d elements, the most a template "
                          "may have",
                          TEMPLATE_ELEMENTS_MAX);
            return -1;
        }
    }
    if (count == 0)
        return 0;
    self->elements = calloc (count, sizeof (template_element_t));
    if (!self->elements) {
        fielderr_set (err, path, "out of memory");
        return -1;
    }
    self->element_count = count;
    size_t index = 0;
    for (const cJSON *item = elements->child; item; item = item->next) {
        char item_path[FIELDERR_FIELD_MAX];
        s_item (item_path, sizeof item_path, path, index);
        int rc = s_parse_element (self, index, item, item_path, err);
        if (rc)
            return -1;
        index++;
    }
    return 0;
}

// ---------------------------------------------------------------------------
// Document: metadata and bookmarks

static int
s_parse_metadata (template_t *self, const cJSON *metadata, const char *path,
                  fielderr_t *err)
{
    if (!metadata)
        return 0;
    if (jsondoc_require_object (
            metadata, path, "an object such as {\"title\": \"Invoices\"}", err))
        return -1;
    if (jsondoc_check_fields (metadata, path, s_metadata_fields, err))
        return -1;
    char **targets[] = {&self->title, &self->author, &self->subject};
    for (int nbr = 0; s_metadata_fields[nbr]; nbr++) {
        const cJSON *member = s_member (metadata, s_metadata_fields[nbr]);
        if (!member)
            continue;
        char field[FIELDERR_FIELD_MAX];
        s_join (field, sizeof field, path, s_metadata_fields[nbr]);
        if (!cJSON_IsString (member) || !member->valuestring ||
            strlen (member->valuestring) > TEMPLATE_METADATA_MAX) {
            char got[JSONDOC_DESCRIBE_MAX];
            jsondoc_describe (member, got, sizeof got);
            fielderr_set (err, field,
                          "must be a string of at most %d bytes, got %s",
                          TEMPLATE_METADATA_MAX, got);
            return -1;
        }
        if (charset_check (member->valuestring, CHARSET_UTF8, field, err))
            return -1;
        *targets[nbr] = s_keep_string (self, member->valuestring);
        if (!*targets[nbr]) {
            fielderr_set (err, field, "out of memory");
            return -1;
        }
    }
    return 0;
}

static int
s_parse_bookmark (template_t *self, const cJSON *json, const char *path,
                  fielderr_t *err)
{
    const subst_t *bookmark = NULL;
    int rc = s_text (self, json, "bookmark", path, 0, "", &bookmark, err);
    if (rc)
        return -1;
    if (bookmark &&
        subst_check_literals (bookmark, &template_bookmark_font, err))
        return -1;
    self->bookmark = (subst_t *)bookmark;
    return 0;
}

// ---------------------------------------------------------------------------
// Whole template

template_t *
template_parse (const cJSON *json, const cJSON *assets, const char *path,
                fielderr_t *err)
{
    if (!path)
        path = "";
    if (jsondoc_require_object (
            json, path, "an object with \"page\" and \"elements\"", err))
        return NULL;
    int rc = jsondoc_check_fields (json, path, s_template_fields, err);
    if (rc)
        return NULL;
    template_t *self = calloc (1, sizeof (template_t));
    if (!self) {
        fielderr_set (err, path, "out of memory");
        return NULL;
    }
    self->assets = assets_parse (assets, "assets", err);
    if (!self->assets)
        goto failed;
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, "page");
    rc = s_parse_page (self, s_member (json, "page"), field, err);
    if (rc)
        goto failed;
    s_join (field, sizeof field, path, "fonts");
    rc = s_parse_fonts (self, s_member (json, "fonts"), field, err);
    if (rc)
        goto failed;
    s_join (field, sizeof field, path, "elements");
    rc = s_parse_elements (self, s_member (json, "elements"), field, err);
    if (rc)
        goto failed;
    s_join (field, sizeof field, path, "metadata");
    rc = s_parse_metadata (self, s_member (json, "metadata"), field, err);
    if (rc)
        goto failed;
    rc = s_parse_bookmark (self, json, path, err);
    if (rc)
        goto failed;
    return self;

failed:
    template_destroy (&self);
    return NULL;
}

template_t *
template_parse_text (const char *json, size_t size, fielderr_t *err)
{
    cJSON *root = jsondoc_parse (json, size, TEMPLATE_NESTING_MAX, err);
    if (!root)
        return NULL;
    template_t *self = NULL;
    const cJSON *inner = cJSON_GetObjectItemCaseSensitive (root, "template");
    if (cJSON_IsObject (root) && inner) {
        if (jsondoc_check_fields (root, "", s_wire_fields, err) == 0)
            self = template_parse (inner, s_member (root, "assets"), "template",
                                   err);
    } else
        self = template_parse (root, NULL, "template", err);
    cJSON_Delete (root);
    return self;
}

void
template_destroy (template_t **self_p)
{
    assert (self_p);
    template_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->subst_count; index++)
        subst_destroy (&self->substs[index]);
    free (self->substs);
    for (size_t index = 0; index < self->block_count; index++)
        free (self->blocks[index]);
    free (self->blocks);
    assets_destroy (&self->assets);
    free (self->elements);
    free (self);
    *self_p = NULL;
}

double
template_page_width (const template_t *self)
{
    assert (self);
    return self->page_width;
}

double
template_page_height (const template_t *self)
{
    assert (self);
    return self->page_height;
}

size_t
template_element_count (const template_t *self)
{
    assert (self);
    return self->element_count;
}

const template_element_t *
template_element (const template_t *self, size_t index)
{
    assert (self);
    if (index >= self->element_count)
        return NULL;
    return &self->elements[index];
}

size_t
template_font_count (const template_t *self)
{
    assert (self);
    return self->font_count;
}

const template_font_t *
template_font (const template_t *self, size_t index)
{
    assert (self);
    return index < self->font_count ? &self->fonts[index] : NULL;
}

const assets_t *
template_assets (const template_t *self)
{
    assert (self);
    return self->assets;
}

const char *
template_title (const template_t *self)
{
    assert (self);
    return self->title;
}

const char *
template_author (const template_t *self)
{
    assert (self);
    return self->author;
}

const char *
template_subject (const template_t *self)
{
    assert (self);
    return self->subject;
}

const subst_t *
template_bookmark (const template_t *self)
{
    assert (self);
    return self->bookmark;
}

int
template_font_is_standard (const char *name)
{
    if (!name)
        return 0;
    for (int index = 0; s_fonts[index]; index++) {
        if (strcmp (s_fonts[index], name) == 0)
            return 1;
    }
    return 0;
}

// ---------------------------------------------------------------------------
// Checking records

int
template_table_rows (const template_element_t *element, const cJSON *record,
                     const subst_vars_t *vars, const cJSON **rows, char *field,
                     size_t size, fielderr_t *err)
{
    assert (element && element->kind == TEMPLATE_TABLE);
    const template_table_t *table = &element->u.table;
    expr_scope_t scope = {record,     NULL,        NULL,
                          vars->page, vars->pages, vars->record_nbr};
    char origin[FIELDERR_FIELD_MAX];
    s_join (origin, sizeof origin, element->field, "rows");
    int rc = expr_eval_array (table->rows, &scope, origin, "table rows", rows,
                              field, size, err);
    if (rc)
        return -1;
    int count = cJSON_GetArraySize (*rows);
    if (table->max_rows) {
        if ((uint32_t)count > table->max_rows) {
            fielderr_set (err, field,
                          "has %d items, more than the %u rows %s.max_rows "
                          "allows",
                          count, (unsigned)table->max_rows, element->field);
            return -1;
        }
        return 0;
    }
    //  Rows whose bottom edge stays on the page, below the header.
    double room = floor (element->y / table->row_height + 1e-9);
    double fit = room - table->has_header;
    if (count > fit) {
        fielderr_set (err, field,
                      "has %d items, more than the %.0f rows that fit between "
                      "the top of the table at %s (y=%g) and the bottom of "
                      "the page, %g points a row",
                      count, fit > 0 ? fit : 0, element->field, element->y,
                      table->row_height);
        return -1;
    }
    return 0;
}

int
template_barcode_check (const template_element_t *element, const char *data,
                        const char *field, fielderr_t *err)
{
    assert (element && element->kind == TEMPLATE_BARCODE);
    const template_barcode_t *barcode = &element->u.barcode;
    size_t bytes = strlen (data);
    size_t characters = 0;
    uint32_t beyond_latin1 = 0;
    for (size_t offset = 0; offset < bytes;) {
        uint32_t codepoint;
        size_t length = utf8_decode_str (data + offset, &codepoint);
        if (length == 0) {
            fielderr_set (err, field,
                          "barcode data contains bytes that are not valid "
                          "UTF-8");
            return -1;
        }
        if (codepoint > 0xFF && !beyond_latin1)
            beyond_latin1 = codepoint;
        characters++;
        offset += length;
    }
    if (characters == 0) {
        fielderr_set (err, field, "barcode data is empty");
        return -1;
    }
    if (barcode->symbology == TEMPLATE_CODE128) {
        if (beyond_latin1) {
            fielderr_set (err, field,
                          "Code 128 cannot encode U+%04X: it takes Latin-1 "
                          "characters only",
                          (unsigned)beyond_latin1);
            return -1;
        }
        if (characters > TEMPLATE_CODE128_MAX) {
            fielderr_set (err, field,
                          "barcode data has %zu characters; a Code 128 "
                          "barcode holds at most %d",
                          characters, TEMPLATE_CODE128_MAX);
            return -1;
        }
        return 0;
    }
    size_t capacity = barcode->ecc == 'L'   ? TEMPLATE_QR_BYTES_L
                      : barcode->ecc == 'M' ? TEMPLATE_QR_BYTES_M
                      : barcode->ecc == 'Q' ? TEMPLATE_QR_BYTES_Q
                                            : TEMPLATE_QR_BYTES_H;
    if (bytes > capacity) {
        fielderr_set (err, field,
                      "barcode data has %zu bytes; a QR code with error "
                      "correction %c holds at most %zu",
                      bytes, barcode->ecc, capacity);
        return -1;
    }
    return 0;
}

//  Who is told about the texts a record draws in TrueType fonts, and what
//  the page costs.
typedef struct {
    template_text_fn *visit; // NULL: nobody
    void *arg;
    joblimits_page_t *cost; // NULL: not counted
} s_visitor_t;

static int
s_check_expansion (const s_visitor_t *visitor, const subst_t *text,
                   const cJSON *record, const subst_vars_t *vars,
                   const template_font_t *font, fielderr_t *err)
{
    bool visited = visitor->visit && !font->standard;
    if (!visited && !visitor->cost)
        return subst_check (text, record, vars, &font->check, err);
    char *expanded = subst_expand (text, record, vars, &font->check, err);
    if (!expanded)
        return -1;
    size_t length = strlen (expanded);
    if (visited)
        visitor->visit (visitor->arg, font, expanded, length);
    if (visitor->cost) {
        visitor->cost->items++;
        visitor->cost->text_bytes += length;
    }
    free (expanded);
    return 0;
}

static int
s_check_table (const s_visitor_t *visitor, const template_element_t *element,
               const cJSON *record, const subst_vars_t *vars, fielderr_t *err)
{
    const template_table_t *table = &element->u.table;
    const cJSON *rows;
    char rows_field[FIELDERR_FIELD_MAX];
    int rc = template_table_rows (element, record, vars, &rows, rows_field,
                                  sizeof rows_field, err);
    if (rc)
        return -1;
    for (size_t index = 0; index < table->column_count; index++) {
        const template_column_t *column = &table->columns[index];
        if (column->header &&
            s_check_expansion (visitor, column->header, record, vars,
                               table->header_font, err))
            return -1;
    }
    int item_nbr = 0;
    for (const cJSON *item = rows->child; item; item = item->next) {
        char item_field[FIELDERR_FIELD_MAX];
        //  A path too long for the buffer is cut: it only names a field.
        if (snprintf (item_field, sizeof item_field, "%s[%d]", rows_field,
                      item_nbr++) < 0)
            item_field[0] = '\0';
        subst_vars_t row_vars = *vars;
        row_vars.item = item;
        row_vars.item_field = item_field;
        for (size_t index = 0; index < table->column_count; index++) {
            if (s_check_expansion (visitor, table->columns[index].value, record,
                                   &row_vars, table->font, err))
                return -1;
        }
    }
    return 0;
}

static int
s_check_barcode (const template_element_t *element, const cJSON *record,
                 const subst_vars_t *vars, fielderr_t *err)
{
    const subst_t *data = element->u.barcode.data;
    char *expanded = subst_expand (data, record, vars, NULL, err);
    if (!expanded)
        return -1;
    char field[FIELDERR_FIELD_MAX];
    if (subst_is_literal (data))
        snprintf (field, sizeof field, "%s", subst_origin (data));
    else
        snprintf (field, sizeof field, "records[%u]",
                  (unsigned)vars->record_nbr);
    int rc = template_barcode_check (element, expanded, field, err);
    free (expanded);
    return rc;
}

int
template_check_record (const template_t *self, const cJSON *record,
                       const subst_vars_t *vars, fielderr_t *err)
{
    return template_check_record_cost (self, record, vars, NULL, NULL, NULL,
                                       err);
}

int
template_check_record_texts (const template_t *self, const cJSON *record,
                             const subst_vars_t *vars, template_text_fn *visit,
                             void *arg, fielderr_t *err)
{
    return template_check_record_cost (self, record, vars, visit, arg, NULL,
                                       err);
}

int
template_check_record_cost (const template_t *self, const cJSON *record,
                            const subst_vars_t *vars, template_text_fn *visit,
                            void *arg, joblimits_page_t *cost,
                            fielderr_t *err)
{
    assert (self);
    assert (vars);
    s_visitor_t visitor = {visit, arg, cost};
    if (cost) {
        joblimits_page_t none = {0, 0};
        *cost = none;
    }
    for (size_t index = 0; index < self->element_count; index++) {
        const template_element_t *element = &self->elements[index];
        int rc = 0;
        if (element->kind == TEMPLATE_TEXT)
            rc = s_check_expansion (&visitor, element->u.text.text, record,
                                    vars, element->u.text.font, err);
        else if (element->kind == TEMPLATE_TABLE)
            rc = s_check_table (&visitor, element, record, vars, err);
        else if (element->kind == TEMPLATE_BARCODE)
            rc = s_check_barcode (element, record, vars, err);
        if (rc)
            return -1;
        //  Texts and table cells counted themselves as they expanded.
        if (cost && element->kind != TEMPLATE_TEXT &&
            element->kind != TEMPLATE_TABLE)
            cost->items++;
    }
    if (self->bookmark)
        return subst_check (self->bookmark, record, vars,
                            &template_bookmark_font, err);
    return 0;
}
