/*  template - the page template of a job: page setup and drawing elements.

    Validation follows one order everywhere: an object's member names first
    (so a typo is reported as such, not as the missing field it replaces),
    then each member in the order the document format lists them. Every
    error names the JSON path of the offending member under the path the
    caller gave ("template" in a job document).

    Keywords (page sizes, orientation, alignment, element types) match
    without regard to case; font names are exact, as they are in PDF.

    SPDX-License-Identifier: MPL-2.0
*/
#include "template.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_FONT_SIZE_DEFAULT 12.0 // pt

struct _template_t {
    double page_width;            // pt, orientation applied
    double page_height;           // pt
    template_element_t *elements; // element_count of them
    subst_t **texts;              // owned; texts[i] backs elements[i]
    size_t element_count;
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
static const char *const s_element_types[] = {"text", NULL};

static const char *const s_template_fields[] = {"page", "elements", NULL};
static const char *const s_page_fields[] = {"size", "orientation", "width",
                                            "height", NULL};
static const char *const s_text_fields[] = {"type", "text", "x",     "y",
                                            "font", "size", "align", NULL};

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
        char got[FIELDERR_DESCRIBE_MAX];
        fielderr_describe (member, got, sizeof got);
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
        char got[FIELDERR_DESCRIBE_MAX];
        fielderr_describe (member, got, sizeof got);
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
    if (!cJSON_IsObject (page)) {
        char got[FIELDERR_DESCRIBE_MAX];
        fielderr_describe (page, got, sizeof got);
        fielderr_set (err, path,
                      "must be an object such as {\"size\": \"A4\"}, got %s",
                      got);
        return -1;
    }
    int rc = fielderr_check_fields (page, path, s_page_fields, err);
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

//  The canonical name of font, or NULL with err filled.
static const char *
s_font (const cJSON *element, const char *path, fielderr_t *err)
{
    const cJSON *member = cJSON_GetObjectItemCaseSensitive (element, "font");
    if (!member)
        return "Helvetica";
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, "font");
    char expected[FIELDERR_MESSAGE_MAX];
    s_list (expected, sizeof expected, s_fonts);
    if (!cJSON_IsString (member) || !member->valuestring) {
        char got[FIELDERR_DESCRIBE_MAX];
        fielderr_describe (member, got, sizeof got);
        fielderr_set (err, field,
                      "must be the name of one of the 14 standard PDF fonts "
                      "(%s), got %s",
                      expected, got);
        return NULL;
    }
    for (int index = 0; s_fonts[index]; index++) {
        if (strcmp (s_fonts[index], member->valuestring) == 0)
            return s_fonts[index];
    }
    for (int index = 0; s_fonts[index]; index++) {
        if (strcasecmp (s_fonts[index], member->valuestring) == 0) {
            fielderr_set (err, field,
                          "unknown font '%.64s'; did you mean '%s'? Font "
                          "names are case-sensitive",
                          member->valuestring, s_fonts[index]);
            return NULL;
        }
    }
    fielderr_set (err, field,
                  "unknown font '%.64s'; expected one of the 14 standard PDF "
                  "fonts (%s)",
                  member->valuestring, expected);
    return NULL;
}

static int
s_parse_text (template_t *self, size_t index, const cJSON *element,
              const char *path, fielderr_t *err)
{
    template_element_t *target = &self->elements[index];
    target->kind = TEMPLATE_TEXT;
    int rc = fielderr_check_fields (element, path, s_text_fields, err);
    if (rc)
        return -1;
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, "text");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive (element, "text");
    if (!text) {
        fielderr_set (err, field,
                      "missing required field 'text'; expected a string such "
                      "as \"Invoice {{number}}\"");
        return -1;
    }
    if (!cJSON_IsString (text) || !text->valuestring) {
        char got[FIELDERR_DESCRIBE_MAX];
        fielderr_describe (text, got, sizeof got);
        fielderr_set (err, field, "must be a string, got %s", got);
        return -1;
    }
    self->texts[index] = subst_compile (text->valuestring, field, err);
    if (!self->texts[index])
        return -1;
    target->u.text.text = self->texts[index];
    rc = s_number (element, "x", path, 1, -TEMPLATE_PAGE_SIDE_MAX,
                   TEMPLATE_PAGE_SIDE_MAX, " (points from the left edge)", 0,
                   &target->x, err);
    if (rc)
        return -1;
    rc = s_number (
        element, "y", path, 1, -TEMPLATE_PAGE_SIDE_MAX, TEMPLATE_PAGE_SIDE_MAX,
        " (points from the bottom edge to the baseline)", 0, &target->y, err);
    if (rc)
        return -1;
    target->u.text.font = s_font (element, path, err);
    if (!target->u.text.font)
        return -1;
    //  Placeholders are ASCII, so checking the source checks every literal.
    subst_charset_t charset = template_font_is_standard (target->u.text.font)
                                  ? SUBST_CHARSET_WINANSI
                                  : SUBST_CHARSET_UTF8;
    rc = subst_charset_check (text->valuestring, charset, field, err);
    if (rc)
        return -1;
    rc = s_number (element, "size", path, 0, TEMPLATE_FONT_SIZE_MIN,
                   TEMPLATE_FONT_SIZE_MAX, " (points)", S_FONT_SIZE_DEFAULT,
                   &target->u.text.size, err);
    if (rc)
        return -1;
    int align;
    rc = s_keyword (element, "align", path, s_aligns, 0, "alignment", &align,
                    err);
    if (rc)
        return -1;
    target->u.text.align = (template_align_t)align;
    return 0;
}

static int
s_parse_element (template_t *self, size_t index, const cJSON *element,
                 const char *path, fielderr_t *err)
{
    if (!cJSON_IsObject (element)) {
        char got[FIELDERR_DESCRIBE_MAX];
        fielderr_describe (element, got, sizeof got);
        fielderr_set (err, path,
                      "must be an object such as {\"type\": \"text\", ...}, "
                      "got %s",
                      got);
        return -1;
    }
    int type;
    int rc = s_keyword (element, "type", path, s_element_types, -1,
                        "element type", &type, err);
    if (rc)
        return -1;
    //  Only "text" so far; new kinds branch here on type.
    return s_parse_text (self, index, element, path, err);
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
        char got[FIELDERR_DESCRIBE_MAX];
        fielderr_describe (elements, got, sizeof got);
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
    self->texts = calloc (count, sizeof (subst_t *));
    if (!self->elements || !self->texts) {
        fielderr_set (err, path, "out of memory");
        return -1;
    }
    self->element_count = count;
    size_t field_total = 0;
    size_t index = 0;
    for (const cJSON *item = elements->child; item; item = item->next) {
        char item_path[FIELDERR_FIELD_MAX];
        s_item (item_path, sizeof item_path, path, index);
        int rc = s_parse_element (self, index, item, item_path, err);
        if (rc)
            return -1;
        field_total += subst_field_count (self->texts[index]);
        if (field_total > TEMPLATE_FIELDS_MAX) {
            char field[FIELDERR_FIELD_MAX];
            s_join (field, sizeof field, item_path, "text");
            fielderr_set (err, field,
                          "brings the template's placeholders for record "
                          "fields to more than %d, the most a template may "
                          "have",
                          TEMPLATE_FIELDS_MAX);
            return -1;
        }
        index++;
    }
    return 0;
}

template_t *
template_parse (const cJSON *json, const char *path, fielderr_t *err)
{
    if (!path)
        path = "";
    if (!cJSON_IsObject (json)) {
        char got[FIELDERR_DESCRIBE_MAX];
        fielderr_describe (json, got, sizeof got);
        fielderr_set (err, path,
                      "must be an object with \"page\" and \"elements\", got "
                      "%s",
                      got);
        return NULL;
    }
    int rc = fielderr_check_fields (json, path, s_template_fields, err);
    if (rc)
        return NULL;
    template_t *self = calloc (1, sizeof (template_t));
    if (!self) {
        fielderr_set (err, path, "out of memory");
        return NULL;
    }
    char field[FIELDERR_FIELD_MAX];
    s_join (field, sizeof field, path, "page");
    rc = s_parse_page (self, cJSON_GetObjectItemCaseSensitive (json, "page"),
                       field, err);
    if (rc)
        goto failed;
    s_join (field, sizeof field, path, "elements");
    rc = s_parse_elements (
        self, cJSON_GetObjectItemCaseSensitive (json, "elements"), field, err);
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
    cJSON *root = fielderr_parse_json (json, size, TEMPLATE_NESTING_MAX, err);
    if (!root)
        return NULL;
    template_t *self = template_parse (root, "template", err);
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
    for (size_t index = 0; index < self->element_count; index++)
        subst_destroy (&self->texts[index]);
    free (self->texts);
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
