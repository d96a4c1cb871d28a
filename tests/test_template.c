/*  test_template - the page template: page setup, fonts, every element
    kind with its defaults, metadata and bookmarks, the checks a record
    must pass, and the error that names each kind of bad field.

    Test documents are written with ` for " to keep them readable.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("\"%s\" does not contain \"%s\"", text, part);
}

//  text with every ` turned into ", in a buffer reused by each call.
static const char *
s_tick (const char *text)
{
    static char buffer[8192];
    size_t length = strlen (text);
    assert_true (length < sizeof buffer);
    for (size_t index = 0; index <= length; index++)
        buffer[index] = text[index] == '`' ? '"' : text[index];
    return buffer;
}

static template_t *
s_parse (const char *json, fielderr_t *err)
{
    if (strchr (json, '`'))
        json = s_tick (json);
    return template_parse_text (json, strlen (json), err);
}

static template_t *
s_parse_ok (const char *json)
{
    fielderr_t err = {"", ""};
    template_t *template = s_parse (json, &err);
    if (!template)
        fail_msg ("template rejected: %s: %s", err.field, err.message);
    return template;
}

static void
s_assert_rejects (const char *json, const char *field, const char *message)
{
    fielderr_t err = {"", ""};
    template_t *template = s_parse (json, &err);
    if (template) {
        template_destroy (&template);
        fail_msg ("template accepted: %s", json);
    }
    assert_string_equal (err.field, field);
    s_assert_contains (err.message, message);
}

//  A template with one text element whose other members are given.
static void
s_assert_text_rejects (const char *members, const char *field,
                       const char *message)
{
    char json[1024];
    snprintf (json, sizeof json,
              "{\"elements\": [{\"type\": \"text\", \"text\": \"Hi\", "
              "\"x\": 10, \"y\": 20%s%s}]}",
              *members ? ", " : "", members);
    s_assert_rejects (json, field, message);
}

static void
s_assert_page (const char *page, double width, double height)
{
    char json[256];
    snprintf (json, sizeof json, "{\"page\": %s, \"elements\": []}", page);
    template_t *template = s_parse_ok (json);
    assert_float_equal (template_page_width (template), width, 0.001);
    assert_float_equal (template_page_height (template), height, 0.001);
    template_destroy (&template);
}

static void
test_template_defaults_to_a4_portrait_without_page (void **state)
{
    (void)state;
    template_t *template = s_parse_ok ("{\"elements\": []}");
    assert_float_equal (template_page_width (template), 595.28, 0.001);
    assert_float_equal (template_page_height (template), 841.89, 0.001);
    assert_int_equal (template_element_count (template), 0);
    assert_null (template_element (template, 0));
    template_destroy (&template);
}

static void
test_template_defaults_to_a4_with_empty_page (void **state)
{
    (void)state;
    s_assert_page ("{}", 595.28, 841.89);
}

static void
test_template_knows_named_sizes_in_any_case (void **state)
{
    (void)state;
    s_assert_page ("{\"size\": \"A3\"}", 841.89, 1190.55);
    s_assert_page ("{\"size\": \"a5\"}", 419.53, 595.28);
    s_assert_page ("{\"size\": \"LETTER\"}", 612, 792);
    s_assert_page ("{\"size\": \"Legal\"}", 612, 1008);
}

static void
test_template_landscape_swaps_sides (void **state)
{
    (void)state;
    s_assert_page ("{\"size\": \"A4\", \"orientation\": \"landscape\"}", 841.89,
                   595.28);
    s_assert_page ("{\"orientation\": \"Portrait\"}", 595.28, 841.89);
}

static void
test_template_accepts_explicit_width_and_height (void **state)
{
    (void)state;
    s_assert_page ("{\"width\": 300, \"height\": 200.5}", 300, 200.5);
    s_assert_page ("{\"width\": 72, \"height\": 14400}", 72, 14400);
}

static void
test_template_rejects_unknown_page_size (void **state)
{
    (void)state;
    s_assert_rejects ("{\"page\": {\"size\": \"B5\"}, \"elements\": []}",
                      "template.page.size",
                      "unknown page size 'B5'; expected one of: A3, A4, A5, "
                      "Letter, Legal");
}

static void
test_template_rejects_size_with_width (void **state)
{
    (void)state;
    s_assert_rejects ("{\"page\": {\"size\": \"A4\", \"width\": 300, "
                      "\"height\": 300}, \"elements\": []}",
                      "template.page.width", "cannot be combined with 'size'");
}

static void
test_template_rejects_width_without_height (void **state)
{
    (void)state;
    s_assert_rejects ("{\"page\": {\"width\": 300}, \"elements\": []}",
                      "template.page.height",
                      "missing required field 'height'; expected a number "
                      "between 72 and 14400 (points)");
}

static void
test_template_rejects_orientation_with_explicit_size (void **state)
{
    (void)state;
    s_assert_rejects ("{\"page\": {\"width\": 300, \"height\": 400, "
                      "\"orientation\": \"landscape\"}, \"elements\": []}",
                      "template.page.orientation",
                      "applies only to a named size");
}

static void
test_template_rejects_page_side_out_of_range (void **state)
{
    (void)state;
    s_assert_rejects ("{\"page\": {\"width\": 71.9, \"height\": 300}, "
                      "\"elements\": []}",
                      "template.page.width",
                      "must be a number between 72 and 14400 (points), got "
                      "71.9 (number)");
    s_assert_rejects ("{\"page\": {\"width\": 300, \"height\": 1e999}, "
                      "\"elements\": []}",
                      "template.page.height", "too large to represent");
}

static void
test_template_rejects_unknown_orientation (void **state)
{
    (void)state;
    s_assert_rejects (
        "{\"page\": {\"orientation\": \"sideways\"}, \"elements\": []}",
        "template.page.orientation",
        "unknown orientation 'sideways'; expected one of: portrait, landscape");
}

static void
test_template_rejects_page_that_is_not_an_object (void **state)
{
    (void)state;
    s_assert_rejects ("{\"page\": \"A4\", \"elements\": []}", "template.page",
                      "must be an object such as {\"size\": \"A4\"}, got "
                      "\"A4\" (string)");
}

static void
test_template_rejects_unknown_page_field (void **state)
{
    (void)state;
    s_assert_rejects ("{\"page\": {\"colour\": \"red\"}, \"elements\": []}",
                      "template.page.colour",
                      "unknown field 'colour'; expected one of: size, "
                      "orientation, width, height");
}

static void
test_template_rejects_unknown_template_field (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [], \"font\": []}", "template.font",
                      "unknown field 'font'; expected one of: page, fonts, "
                      "elements, metadata, bookmark");
}

static void
test_template_rejects_duplicate_field (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [], \"elements\": []}",
                      "template.elements", "duplicate field 'elements'");
}

static void
test_template_requires_elements (void **state)
{
    (void)state;
    s_assert_rejects ("{\"page\": {}}", "template.elements",
                      "missing required field 'elements'");
    s_assert_rejects ("{\"elements\": {}}", "template.elements",
                      "must be an array of elements, got an object");
}

static void
test_template_rejects_non_object_template (void **state)
{
    (void)state;
    s_assert_rejects ("[]", "template", "must be an object");
}

static void
test_template_parses_text_element_with_defaults (void **state)
{
    (void)state;
    template_t *template =
        s_parse_ok ("{\"elements\": [{\"type\": \"text\", \"text\": \"Hi "
                    "{{name}}\", \"x\": 50, \"y\": -10.5}]}");
    assert_int_equal (template_element_count (template), 1);
    const template_element_t *element = template_element (template, 0);
    assert_non_null (element);
    assert_int_equal (element->kind, TEMPLATE_TEXT);
    assert_float_equal (element->x, 50, 0);
    assert_float_equal (element->y, -10.5, 0);
    assert_string_equal (element->u.text.font->name, "Helvetica");
    assert_int_equal (element->u.text.font->standard, 1);
    assert_int_equal (element->u.text.color.space, TEMPLATE_COLOR_GRAY);
    assert_float_equal (element->u.text.color.r, 0, 0);
    assert_float_equal (element->u.text.char_spacing, 0, 0);
    assert_float_equal (element->u.text.width, 0, 0);
    assert_int_equal (element->u.text.max_lines, 0);
    assert_float_equal (element->u.text.line_height, 14.4, 1e-9);
    assert_string_equal (element->field, "template.elements[0]");
    assert_float_equal (element->u.text.size, 12, 0);
    assert_int_equal (element->u.text.align, TEMPLATE_ALIGN_LEFT);
    assert_int_equal (subst_is_literal (element->u.text.text), 0);
    assert_string_equal (subst_origin (element->u.text.text),
                         "template.elements[0].text");
    template_destroy (&template);
}

static void
test_template_parses_every_text_option (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{\"page\": {\"size\": \"A4\"}, \"elements\": ["
        "{\"type\": \"text\", \"text\": \"A\", \"x\": 1, \"y\": 2, \"font\": "
        "\"Times-BoldItalic\", \"size\": 24, \"align\": \"center\"},"
        "{\"type\": \"TEXT\", \"text\": \"B\", \"x\": 3, \"y\": 4, \"align\": "
        "\"Right\"}]}");
    assert_int_equal (template_element_count (template), 2);
    const template_element_t *first = template_element (template, 0);
    assert_string_equal (first->u.text.font->name, "Times-BoldItalic");
    assert_float_equal (first->u.text.size, 24, 0);
    assert_int_equal (first->u.text.align, TEMPLATE_ALIGN_CENTER);
    const template_element_t *second = template_element (template, 1);
    assert_int_equal (second->u.text.align, TEMPLATE_ALIGN_RIGHT);
    template_destroy (&template);
}

static void
test_template_accepts_all_14_standard_fonts (void **state)
{
    (void)state;
    const char *fonts[] = {"Courier",
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
                           "ZapfDingbats"};
    for (size_t index = 0; index < 14; index++) {
        char json[256];
        snprintf (json, sizeof json,
                  "{\"elements\": [{\"type\": \"text\", \"text\": \"a\", "
                  "\"x\": 0, \"y\": 0, \"font\": \"%s\"}]}",
                  fonts[index]);
        template_t *template = s_parse_ok (json);
        assert_string_equal (template_element (template, 0)->u.text.font->name,
                             fonts[index]);
        assert_int_equal (template_font_is_standard (fonts[index]), 1);
        template_destroy (&template);
    }
}

static void
test_template_font_is_standard_is_exact (void **state)
{
    (void)state;
    assert_int_equal (template_font_is_standard ("helvetica"), 0);
    assert_int_equal (template_font_is_standard ("Arial"), 0);
    assert_int_equal (template_font_is_standard (NULL), 0);
}

static void
test_template_rejects_unknown_font (void **state)
{
    (void)state;
    s_assert_text_rejects ("\"font\": \"Helvetca\"",
                           "template.elements[0].font",
                           "unknown font 'Helvetca'; expected one of the 14 "
                           "standard PDF fonts (Courier, Courier-Bold, ");
}

static void
test_template_suggests_font_with_other_case (void **state)
{
    (void)state;
    s_assert_text_rejects ("\"font\": \"helvetica-bold\"",
                           "template.elements[0].font",
                           "did you mean 'Helvetica-Bold'?");
}

static void
test_template_rejects_font_that_is_not_a_string (void **state)
{
    (void)state;
    s_assert_text_rejects ("\"font\": 12", "template.elements[0].font",
                           "got 12 (number)");
}

static void
test_template_rejects_font_size_out_of_range (void **state)
{
    (void)state;
    s_assert_text_rejects ("\"size\": 0.5", "template.elements[0].size",
                           "must be a number between 1 and 1000 (points), got "
                           "0.5 (number)");
    s_assert_text_rejects ("\"size\": 1001", "template.elements[0].size",
                           "got 1001 (number)");
}

static void
test_template_rejects_font_size_as_string (void **state)
{
    (void)state;
    s_assert_text_rejects ("\"size\": \"12\"", "template.elements[0].size",
                           "must be a number between 1 and 1000 (points), got "
                           "\"12\" (string)");
}

static void
test_template_rejects_unknown_alignment (void **state)
{
    (void)state;
    s_assert_text_rejects ("\"align\": \"middle\"",
                           "template.elements[0].align",
                           "unknown alignment 'middle'; expected one of: "
                           "left, center, right");
}

static void
test_template_rejects_unknown_element_field (void **state)
{
    (void)state;
    s_assert_text_rejects ("\"colour\": \"red\"", "template.elements[0].colour",
                           "unknown field 'colour'; expected one of: type, "
                           "text, x, y, font, size, align, color, "
                           "char_spacing, width, max_lines, line_height");
}

static void
test_template_rejects_unknown_element_type (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [{\"type\": \"text\", \"text\": \"a\", "
                      "\"x\": 0, \"y\": 0}, {\"type\": \"circle\"}]}",
                      "template.elements[1].type",
                      "unknown element type 'circle'; expected one of: text, "
                      "image, line, rect, table, barcode");
}

static void
test_template_requires_element_type (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [{\"text\": \"a\"}]}",
                      "template.elements[0].type",
                      "missing required field 'type'; expected one of: text, "
                      "image, line, rect, table, barcode");
}

static void
test_template_rejects_element_that_is_not_an_object (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [\"text\"]}", "template.elements[0]",
                      "must be an object");
}

static void
test_template_requires_text_x_and_y (void **state)
{
    (void)state;
    s_assert_rejects (
        "{\"elements\": [{\"type\": \"text\", \"x\": 0, \"y\": 0}]}",
        "template.elements[0].text", "missing required field 'text'");
    s_assert_rejects (
        "{\"elements\": [{\"type\": \"text\", \"text\": \"a\", \"y\": 0}]}",
        "template.elements[0].x", "missing required field 'x'");
    s_assert_rejects (
        "{\"elements\": [{\"type\": \"text\", \"text\": \"a\", \"x\": 0}]}",
        "template.elements[0].y", "missing required field 'y'");
}

static void
test_template_rejects_text_that_is_not_a_string (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [{\"type\": \"text\", \"text\": 5, "
                      "\"x\": 0, \"y\": 0}]}",
                      "template.elements[0].text",
                      "must be a string, got 5 (number)");
}

static void
test_template_rejects_coordinate_off_any_page (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [{\"type\": \"text\", \"text\": \"a\", "
                      "\"x\": 20000, \"y\": 0}]}",
                      "template.elements[0].x",
                      "must be a number between -14400 and 14400");
}

static void
test_template_reports_placeholder_syntax_error (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [{\"type\": \"text\", \"text\": \"a "
                      "{{b\", \"x\": 0, \"y\": 0}]}",
                      "template.elements[0].text", "unclosed placeholder");
}

static void
test_template_rejects_text_a_standard_font_cannot_draw (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [{\"type\": \"text\", \"text\": \"청구서 "
                      "{{n}}\", \"x\": 0, \"y\": 0}]}",
                      "template.elements[0].text",
                      "contains '청' (U+CCAD), which the standard PDF fonts "
                      "cannot draw");
}

static void
test_template_accepts_latin1_literal_text (void **state)
{
    (void)state;
    template_t *template =
        s_parse_ok ("{\"elements\": [{\"type\": \"text\", \"text\": \"Facture "
                    "n° {{n}} – 5 €\", \"x\": 0, \"y\": 0}]}");
    template_destroy (&template);
}

static void
test_template_rejects_more_than_max_elements (void **state)
{
    (void)state;
    const char *element = "{\"type\":\"text\",\"text\":\"a\",\"x\":0,\"y\":0},";
    size_t element_length = strlen (element);
    size_t size = 32 + element_length * (TEMPLATE_ELEMENTS_MAX + 1);
    char *json = malloc (size);
    assert_non_null (json);
    strcpy (json, "{\"elements\":[");
    size_t used = strlen (json);
    for (int index = 0; index < TEMPLATE_ELEMENTS_MAX; index++) {
        memcpy (json + used, element, element_length);
        used += element_length;
    }
    strcpy (json + used - 1, "]}");
    template_t *template = s_parse_ok (json);
    assert_int_equal (template_element_count (template), TEMPLATE_ELEMENTS_MAX);
    template_destroy (&template);

    memcpy (json + used - 1, ",", 1);
    memcpy (json + used, element, element_length);
    used += element_length;
    strcpy (json + used - 1, "]}");
    s_assert_rejects (json, "template.elements",
                      "has more than 10000 elements");
    free (json);
}

static void
test_template_rejects_too_many_field_placeholders (void **state)
{
    (void)state;
    size_t size = 64 + 8 * (TEMPLATE_FIELDS_MAX + 1);
    char *json = malloc (size);
    assert_non_null (json);
    strcpy (json,
            "{\"elements\":[{\"type\":\"text\",\"x\":0,\"y\":0,\"text\":\"");
    for (int index = 0; index <= TEMPLATE_FIELDS_MAX; index++)
        strcat (json, "{{a}}");
    strcat (json, "\"}]}");
    s_assert_rejects (json, "template.elements[0].text",
                      "placeholders for record fields to more than 1000");
    free (json);
}

static void
test_template_parse_text_reports_invalid_json (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [}", "", "not valid JSON near line 1");
}

static void
test_template_parse_text_bounds_nesting (void **state)
{
    (void)state;
    char json[256] = "{\"elements\":";
    for (int index = 0; index < 70; index++)
        strcat (json, "[");
    s_assert_rejects (json, "", "nested deeper than 64 levels");
}

static void
test_template_parse_names_fields_under_given_path (void **state)
{
    (void)state;
    cJSON *json = cJSON_Parse ("{\"elements\": [{\"type\": \"text\", \"text\": "
                               "\"a\", \"x\": 0, \"y\": 0, \"size\": 0}]}");
    assert_non_null (json);
    fielderr_t err = {"", ""};
    template_t *template =
        template_parse (json, NULL, "jobs[2].template", &err);
    assert_null (template);
    assert_string_equal (err.field, "jobs[2].template.elements[0].size");
    cJSON_Delete (json);
}

static void
test_template_destroy_twice_is_harmless (void **state)
{
    (void)state;
    template_t *template = s_parse_ok ("{\"elements\": []}");
    template_destroy (&template);
    assert_null (template);
    template_destroy (&template);
}

// ---------------------------------------------------------------------------
// TrueType fonts

#define S_NANUM "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"

static void
test_template_declares_a_truetype_font_by_family (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`fonts`: {`korean`: {`family`: `NanumGothic`}}, `elements`: ["
        "{`type`: `text`, `text`: `청구서 {{n}}`, `x`: 0, `y`: 0, "
        "`font`: `korean`}, {`type`: `text`, `text`: `a`, `x`: 0, `y`: 0}]}");
    const template_font_t *font = template_element (template, 0)->u.text.font;
    assert_string_equal (font->name, "korean");
    assert_int_equal (font->standard, 0);
    assert_string_equal (font->path, S_NANUM);
    assert_int_equal (font->index, 0);
    assert_non_null (font->face);
    assert_string_equal (font->check.name, "'korean' (NanumGothic)");
    //  The declared font and the one standard font used, each once.
    assert_int_equal (template_font_count (template), 2);
    assert_ptr_equal (template_font (template, 0), font);
    assert_string_equal (template_font (template, 1)->name, "Helvetica");
    assert_null (template_font (template, 2));
    template_destroy (&template);
}

static void
test_template_declares_a_truetype_font_by_file (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`fonts`: {`k`: {`file`: `" S_NANUM "`}}, `elements`: ["
        "{`type`: `text`, `text`: `{{n}}`, `x`: 0, `y`: 0, `font`: `k`}]}");
    assert_string_equal (template_font (template, 0)->path, S_NANUM);
    template_destroy (&template);
}

static void
test_template_rejects_bad_font_declarations (void **state)
{
    (void)state;
    s_assert_rejects ("{`fonts`: [], `elements`: []}", "template.fonts",
                      "must be an object of named fonts");
    s_assert_rejects ("{`fonts`: {`Helvetica`: {`family`: `NanumGothic`}}, "
                      "`elements`: []}",
                      "template.fonts.Helvetica",
                      "'Helvetica' is a standard font's name");
    s_assert_rejects ("{`fonts`: {`my font`: {`family`: `NanumGothic`}}, "
                      "`elements`: []}",
                      "template.fonts.my font",
                      "a font's name must be 1 to 64 letters");
    s_assert_rejects ("{`fonts`: {`k`: `NanumGothic`}, `elements`: []}",
                      "template.fonts.k", "must be an object such as");
    s_assert_rejects (
        "{`fonts`: {`k`: {`family`: `NanumGothic`, `file`: `" S_NANUM
        "`}}, `elements`: []}",
        "template.fonts.k", "not both");
    s_assert_rejects ("{`fonts`: {`k`: {}}, `elements`: []}",
                      "template.fonts.k", "not neither");
    s_assert_rejects ("{`fonts`: {`k`: {`family`: `Nanum`, `size`: 3}}, "
                      "`elements`: []}",
                      "template.fonts.k.size", "unknown field 'size'");
    s_assert_rejects ("{`fonts`: {`k`: {`family`: ``}}, `elements`: []}",
                      "template.fonts.k.family", "must be a non-empty string");
    s_assert_rejects ("{`fonts`: {`k`: {`file`: `" S_NANUM "`, `style`: "
                      "`Bold`}}, `elements`: []}",
                      "template.fonts.k.style", "goes with 'family'");
    s_assert_rejects ("{`fonts`: {`k`: {`family`: `No Such Family`}}, "
                      "`elements`: []}",
                      "template.fonts.k.family",
                      "no installed font has the family 'No Such Family'");
    s_assert_rejects ("{`fonts`: {`k`: {`file`: `/etc/hostname`}}, "
                      "`elements`: []}",
                      "template.fonts.k.file", "is not an installed font");
    s_assert_rejects ("{`fonts`: {`k`: {`family`: `NanumGothic`}, `k`: "
                      "{`family`: `NanumGothic`}}, `elements`: []}",
                      "template.fonts.k", "duplicate field 'k'");
}

static void
test_template_keeps_a_fonts_glyphs (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`fonts`: {`k`: {`family`: `NanumGothic`, `glyphs`: `김민수 0-9`}, "
        "`j`: {`family`: `NanumGothic`}}, `elements`: [{`type`: `text`, "
        "`text`: `a`, `x`: 0, `y`: 0, `font`: `k`}, {`type`: `text`, "
        "`text`: `b`, `x`: 0, `y`: 0, `font`: `j`}]}");
    assert_string_equal (template_font (template, 0)->glyphs, "김민수 0-9");
    assert_null (template_font (template, 1)->glyphs);
    template_destroy (&template);
}

static void
test_template_rejects_bad_glyphs (void **state)
{
    (void)state;
    s_assert_rejects ("{`fonts`: {`k`: {`family`: `NanumGothic`, `glyphs`: "
                      "[`a`]}}, `elements`: []}",
                      "template.fonts.k.glyphs",
                      "must be a string of the characters to embed, got an "
                      "array");
    s_assert_rejects ("{`fonts`: {`k`: {`family`: `NanumGothic`, `glyphs`: "
                      "`aสb`}}, `elements`: []}",
                      "template.fonts.k.glyphs",
                      "contains 'ส' (U+0E2A), which the font 'k' "
                      "(NanumGothic) does not have");
    s_assert_rejects ("{`fonts`: {`k`: {`family`: `NanumGothic`, `glyphs`: "
                      "`a\\u0007`}}, `elements`: []}",
                      "template.fonts.k.glyphs", "control character");
    //  One byte over the limit.
    size_t size = TEMPLATE_GLYPHS_MAX + 1;
    char *json = malloc (size + 128);
    assert_non_null (json);
    int prefix = sprintf (json, "{\"fonts\": {\"k\": {\"family\": "
                                "\"NanumGothic\", \"glyphs\": \"");
    memset (json + prefix, 'a', size);
    strcpy (json + prefix + size, "\"}}, \"elements\": []}");
    fielderr_t err = {"", ""};
    template_t *template = template_parse_text (json, strlen (json), &err);
    assert_null (template);
    assert_string_equal (err.field, "template.fonts.k.glyphs");
    s_assert_contains (err.message, "has 196609 bytes; at most 196608");
    free (json);
}

static void
test_template_rejects_more_than_max_fonts (void **state)
{
    (void)state;
    char json[4096] = "{`fonts`: {";
    for (int nbr = 0; nbr <= TEMPLATE_FONTS_MAX; nbr++) {
        char entry[64];
        snprintf (entry, sizeof entry, "%s`f%d`: {`family`: `NanumGothic`}",
                  nbr ? ", " : "", nbr);
        strcat (json, entry);
    }
    strcat (json, "}, `elements`: []}");
    s_assert_rejects (json, "template.fonts", "has more than 16 fonts");
}

static void
test_template_lists_declared_fonts_for_an_unknown_font (void **state)
{
    (void)state;
    s_assert_rejects ("{`fonts`: {`korean`: {`family`: `NanumGothic`}}, "
                      "`elements`: [{`type`: `text`, `text`: `a`, `x`: 0, "
                      "`y`: 0, `font`: `Korean`}]}",
                      "template.elements[0].font",
                      "or one of template.fonts (korean)");
}

static void
test_template_rejects_literal_text_a_truetype_font_lacks (void **state)
{
    (void)state;
    s_assert_rejects ("{`fonts`: {`korean`: {`family`: `NanumGothic`}}, "
                      "`elements`: [{`type`: `text`, `text`: `สวัสดี`, "
                      "`x`: 0, `y`: 0, `font`: `korean`}]}",
                      "template.elements[0].text",
                      "contains 'ส' (U+0E2A), which the font 'korean' "
                      "(NanumGothic) does not have");
}

static void
test_template_symbol_fonts_take_ascii_only (void **state)
{
    (void)state;
    s_assert_rejects ("{`elements`: [{`type`: `text`, `text`: `é`, `x`: 0, "
                      "`y`: 0, `font`: `Symbol`}]}",
                      "template.elements[0].text",
                      "which Symbol cannot draw: it takes printable ASCII");
}

// ---------------------------------------------------------------------------
// Text options

static void
test_template_parses_text_colours_and_wrapping (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`elements`: [{`type`: `text`, `text`: `a`, `x`: 0, `y`: 0, "
        "`color`: [1, 0.5, 0], `char_spacing`: 1.5, `width`: 200, "
        "`max_lines`: 3, `line_height`: 20, `size`: 10}, "
        "{`type`: `text`, `text`: `b`, `x`: 0, `y`: 0, `color`: `#FF8000`, "
        "`width`: 100, `size`: 10}, "
        "{`type`: `text`, `text`: `c`, `x`: 0, `y`: 0, `color`: 0.5}]}");
    const template_text_t *first = &template_element (template, 0)->u.text;
    assert_int_equal (first->color.space, TEMPLATE_COLOR_RGB);
    assert_float_equal (first->color.g, 0.5, 0);
    assert_float_equal (first->char_spacing, 1.5, 0);
    assert_float_equal (first->width, 200, 0);
    assert_int_equal (first->max_lines, 3);
    assert_float_equal (first->line_height, 20, 0);
    const template_text_t *second = &template_element (template, 1)->u.text;
    assert_int_equal (second->color.space, TEMPLATE_COLOR_RGB);
    assert_float_equal (second->color.r, 1, 0);
    assert_float_equal (second->color.g, 128 / 255.0, 1e-9);
    assert_float_equal (second->line_height, 12, 1e-9);
    const template_text_t *third = &template_element (template, 2)->u.text;
    assert_int_equal (third->color.space, TEMPLATE_COLOR_GRAY);
    assert_float_equal (third->color.r, 0.5, 0);
    template_destroy (&template);
}

static void
test_template_rejects_bad_text_options (void **state)
{
    (void)state;
    const char *message = "must be a colour: a grey level from 0 (black) to "
                          "1 (white), [red, green, blue] from 0 to 1, or "
                          "\"#rrggbb\"; got ";
    s_assert_text_rejects ("\"color\": 2", "template.elements[0].color",
                           message);
    s_assert_text_rejects ("\"color\": [1, 0]", "template.elements[0].color",
                           message);
    s_assert_text_rejects ("\"color\": \"red\"", "template.elements[0].color",
                           message);
    s_assert_text_rejects ("\"color\": \"#12345G\"",
                           "template.elements[0].color", message);
    s_assert_text_rejects ("\"width\": 0", "template.elements[0].width",
                           "must be a number between 1 and 14400");
    s_assert_text_rejects ("\"max_lines\": 2", "template.elements[0].max_lines",
                           "applies only to wrapped text; give 'width' too");
    s_assert_text_rejects ("\"width\": 100, \"max_lines\": 1.5",
                           "template.elements[0].max_lines",
                           "must be a whole number between 1 and 1000");
    s_assert_text_rejects ("\"line_height\": 0",
                           "template.elements[0].line_height",
                           "must be a number between");
    s_assert_text_rejects ("\"char_spacing\": \"1\"",
                           "template.elements[0].char_spacing",
                           "must be a number between -1000 and 1000");
}

// ---------------------------------------------------------------------------
// Images, lines, rectangles

#define S_PIXEL                                                                \
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChw"   \
    "GA60e6kgAAAABJRU5ErkJggg=="
#define S_WITH_LOGO(elements)                                                  \
    "{`template`: {`elements`: [" elements "]}, `assets`: {`logo`: "           \
    "{`type`: `png`, `data`: `" S_PIXEL "`}}}"

static void
test_template_parses_an_image (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        S_WITH_LOGO ("{`type`: `image`, `asset`: `logo`, `x`: 450, `y`: 730, "
                     "`width`: 96, `height`: 48}, {`type`: `image`, `asset`: "
                     "`logo`, `x`: 0, `y`: 0, `width`: 1, `height`: 1, "
                     "`fit`: `stretch`}"));
    const template_element_t *element = template_element (template, 0);
    assert_int_equal (element->kind, TEMPLATE_IMAGE);
    assert_float_equal (element->x, 450, 0);
    assert_int_equal (element->u.image.asset, 0);
    assert_float_equal (element->u.image.width, 96, 0);
    assert_float_equal (element->u.image.height, 48, 0);
    assert_int_equal (element->u.image.fit, TEMPLATE_FIT_CONTAIN);
    assert_int_equal (template_element (template, 1)->u.image.fit,
                      TEMPLATE_FIT_STRETCH);
    const assets_image_t *image = assets_image (template_assets (template), 0);
    assert_string_equal (image->name, "logo");
    assert_int_equal (image->width, 1);
    template_destroy (&template);
}

static void
test_template_rejects_bad_images (void **state)
{
    (void)state;
    s_assert_rejects (S_WITH_LOGO ("{`type`: `image`, `x`: 0, `y`: 0, "
                                   "`width`: 1, `height`: 1}"),
                      "template.elements[0].asset",
                      "missing required field 'asset'; expected the name of "
                      "an image in the job's \"assets\"");
    s_assert_rejects (S_WITH_LOGO ("{`type`: `image`, `asset`: `logo2`, `x`: "
                                   "0, `y`: 0, `width`: 1, `height`: 1}"),
                      "template.elements[0].asset",
                      "no asset is named 'logo2'; the job's \"assets\" has 1 "
                      "image");
    s_assert_rejects ("{`elements`: [{`type`: `image`, `asset`: `logo`, `x`: "
                      "0, `y`: 0, `width`: 1, `height`: 1}]}",
                      "template.elements[0].asset",
                      "no asset is named 'logo'; the job's \"assets\" has 0 "
                      "images");
    s_assert_rejects (S_WITH_LOGO ("{`type`: `image`, `asset`: `logo`, `x`: "
                                   "0, `y`: 0, `height`: 1}"),
                      "template.elements[0].width",
                      "missing required field 'width'");
    s_assert_rejects (S_WITH_LOGO ("{`type`: `image`, `asset`: `logo`, `x`: "
                                   "0, `y`: 0, `width`: 1, `height`: 1, "
                                   "`fit`: `cover`}"),
                      "template.elements[0].fit",
                      "unknown fit 'cover'; expected one of: contain, "
                      "stretch");
    s_assert_rejects ("{`template`: {`elements`: []}, `assets`: {`logo`: "
                      "{`type`: `png`, `data`: `AAAA`}}}",
                      "assets.logo.data", "is not a PNG image");
    s_assert_rejects ("{`template`: {`elements`: []}, `records`: []}",
                      "records",
                      "unknown field 'records'; expected one of: "
                      "template, assets");
}

static void
test_template_parses_lines_and_rectangles (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`elements`: [{`type`: `line`, `x`: 50, `y`: 100, `x2`: 545, `y2`: "
        "100}, {`type`: `line`, `x`: 0, `y`: 0, `x2`: 1, `y2`: 1, "
        "`line_width`: 0.5, `color`: [1, 0, 0]}, {`type`: `rect`, `x`: 1, "
        "`y`: 2, `width`: 3, `height`: 4}, {`type`: `rect`, `x`: 0, `y`: 0, "
        "`width`: 1, `height`: 1, `fill`: 0.85}, {`type`: `rect`, `x`: 0, "
        "`y`: 0, `width`: 1, `height`: 1, `fill`: 0.9, `stroke`: `#000000`, "
        "`line_width`: 2}]}");
    const template_element_t *line = template_element (template, 0);
    assert_int_equal (line->kind, TEMPLATE_LINE);
    assert_float_equal (line->u.line.x2, 545, 0);
    assert_float_equal (line->u.line.line_width, 1, 0);
    assert_int_equal (line->u.line.color.space, TEMPLATE_COLOR_GRAY);
    assert_int_equal (template_element (template, 1)->u.line.color.space,
                      TEMPLATE_COLOR_RGB);
    const template_rect_t *outline = &template_element (template, 2)->u.rect;
    assert_int_equal (outline->stroke.space, TEMPLATE_COLOR_GRAY);
    assert_int_equal (outline->fill.space, TEMPLATE_COLOR_NONE);
    const template_rect_t *filled = &template_element (template, 3)->u.rect;
    assert_int_equal (filled->stroke.space, TEMPLATE_COLOR_NONE);
    assert_float_equal (filled->fill.r, 0.85, 0);
    const template_rect_t *both = &template_element (template, 4)->u.rect;
    assert_int_equal (both->stroke.space, TEMPLATE_COLOR_RGB);
    assert_float_equal (both->line_width, 2, 0);
    template_destroy (&template);
}

static void
test_template_rejects_bad_lines_and_rectangles (void **state)
{
    (void)state;
    s_assert_rejects ("{`elements`: [{`type`: `line`, `x`: 0, `y`: 0, `y2`: "
                      "1}]}",
                      "template.elements[0].x2", "missing required field 'x2'");
    s_assert_rejects ("{`elements`: [{`type`: `line`, `x`: 0, `y`: 0, `x2`: "
                      "1, `y2`: 1, `line_width`: 0}]}",
                      "template.elements[0].line_width",
                      "must be a number between 0.01 and 1000");
    s_assert_rejects ("{`elements`: [{`type`: `rect`, `x`: 0, `y`: 0, "
                      "`width`: -1, `height`: 1}]}",
                      "template.elements[0].width",
                      "must be a number between 0.01 and 14400");
    s_assert_rejects ("{`elements`: [{`type`: `rect`, `x`: 0, `y`: 0, "
                      "`width`: 1, `height`: 1, `fill`: `grey`}]}",
                      "template.elements[0].fill", "must be a colour");
    s_assert_rejects ("{`elements`: [{`type`: `rect`, `x`: 0, `y`: 0, "
                      "`width`: 1, `height`: 1, `radius`: 3}]}",
                      "template.elements[0].radius",
                      "unknown field 'radius'; expected one of: type, x, y, "
                      "width, height, line_width, stroke, fill");
}

// ---------------------------------------------------------------------------
// Tables

#define S_TABLE(members)                                                       \
    "{`elements`: [{`type`: `table`, `x`: 50, `y`: 650, `rows`: `items`, "     \
    "`columns`: [{`header`: `Qty`, `value`: `{{qty}}`, `width`: 60, "          \
    "`align`: `right`}]" members "}]}"

static void
test_template_parses_a_table_with_defaults (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (S_TABLE (""));
    const template_element_t *element = template_element (template, 0);
    const template_table_t *table = &element->u.table;
    assert_int_equal (element->kind, TEMPLATE_TABLE);
    assert_float_equal (element->y, 650, 0);
    assert_string_equal (expr_source (table->rows), "items");
    assert_int_equal (table->column_count, 1);
    assert_int_equal (table->has_header, 1);
    assert_string_equal (table->font->name, "Helvetica");
    assert_ptr_equal (table->header_font, table->font);
    assert_float_equal (table->size, 10, 0);
    assert_float_equal (table->header_size, 10, 0);
    assert_float_equal (table->row_height, 18, 1e-9);
    assert_float_equal (table->baseline, 5.5, 1e-9);
    assert_int_equal (table->max_rows, 0);
    assert_float_equal (table->grid_width, 0, 0);
    assert_int_equal (table->header_fill.space, TEMPLATE_COLOR_NONE);
    const template_column_t *column = &table->columns[0];
    assert_float_equal (column->width, 60, 0);
    assert_int_equal (column->align, TEMPLATE_ALIGN_RIGHT);
    assert_float_equal (column->padding, 4, 0);
    assert_string_equal (subst_origin (column->value),
                         "template.elements[0].columns[0].value");
    template_destroy (&template);
}

static void
test_template_parses_every_table_option (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`elements`: [{`type`: `table`, `x`: 50, `y`: 650, `rows`: "
        "`order.lines`, `row_height`: 20, `max_rows`: 15, `font`: "
        "`Times-Roman`, `size`: 9, `color`: 0.2, `header_font`: "
        "`Times-Bold`, `header_size`: 11, `header_color`: [0, 0, 1], "
        "`header_fill`: 0.85, `grid`: 0.5, `grid_color`: 0.5, `padding`: 6, "
        "`baseline`: 5, `columns`: [{`value`: `{{a}}`, `width`: 100, "
        "`padding`: 2}, {`value`: `{{b}}`, `width`: 50, `align`: "
        "`center`}]}]}");
    const template_table_t *table = &template_element (template, 0)->u.table;
    assert_string_equal (expr_source (table->rows), "order.lines");
    assert_int_equal (table->has_header, 0);
    assert_float_equal (table->row_height, 20, 0);
    assert_int_equal (table->max_rows, 15);
    assert_string_equal (table->font->name, "Times-Roman");
    assert_string_equal (table->header_font->name, "Times-Bold");
    assert_float_equal (table->header_size, 11, 0);
    assert_int_equal (table->header_color.space, TEMPLATE_COLOR_RGB);
    assert_float_equal (table->header_fill.r, 0.85, 0);
    assert_float_equal (table->grid_width, 0.5, 0);
    assert_float_equal (table->baseline, 5, 0);
    assert_float_equal (table->columns[0].padding, 2, 0);
    assert_float_equal (table->columns[1].padding, 6, 0);
    assert_null (table->columns[0].header);
    template_destroy (&template);
}

static void
test_template_rejects_bad_tables (void **state)
{
    (void)state;
    s_assert_rejects ("{`elements`: [{`type`: `table`, `x`: 0, `y`: 0, "
                      "`columns`: []}]}",
                      "template.elements[0].rows",
                      "missing required field 'rows'; expected the path of "
                      "an array field, such as \"items\"");
    s_assert_rejects ("{`elements`: [{`type`: `table`, `x`: 0, `y`: 0, "
                      "`rows`: `{{items}}`}]}",
                      "template.elements[0].rows",
                      "must be the path of an array field, such as "
                      "\"items\" or \"order.lines\", got \"{{items}}\"");
    s_assert_rejects ("{`elements`: [{`type`: `table`, `x`: 0, `y`: 0, "
                      "`rows`: `count(items)`}]}",
                      "template.elements[0].rows",
                      "must be the path of an array field");
    s_assert_rejects ("{`elements`: [{`type`: `table`, `x`: 0, `y`: 0, "
                      "`rows`: `items`}]}",
                      "template.elements[0].columns",
                      "missing required field 'columns'; expected an array "
                      "of 1 to 64 columns");
    s_assert_rejects ("{`elements`: [{`type`: `table`, `x`: 0, `y`: 0, "
                      "`rows`: `items`, `columns`: []}]}",
                      "template.elements[0].columns",
                      "must be an array of 1 to 64 columns, got an array");
    s_assert_rejects ("{`elements`: [{`type`: `table`, `x`: 0, `y`: 0, "
                      "`rows`: `items`, `columns`: [`qty`]}]}",
                      "template.elements[0].columns[0]",
                      "must be an object such as {\"header\": \"Qty\"");
    s_assert_rejects ("{`elements`: [{`type`: `table`, `x`: 0, `y`: 0, "
                      "`rows`: `items`, `columns`: [{`width`: 5}]}]}",
                      "template.elements[0].columns[0].value",
                      "missing required field 'value'");
    s_assert_rejects ("{`elements`: [{`type`: `table`, `x`: 0, `y`: 0, "
                      "`rows`: `items`, `columns`: [{`value`: `{{a}}`}]}]}",
                      "template.elements[0].columns[0].width",
                      "missing required field 'width'");
    s_assert_rejects ("{`elements`: [{`type`: `table`, `x`: 0, `y`: 0, "
                      "`rows`: `items`, `columns`: [{`value`: `{{a}}`, "
                      "`width`: 5, `header`: `수량`}]}]}",
                      "template.elements[0].columns[0].header",
                      "contains '수' (U+C218), which the standard PDF fonts "
                      "cannot draw");
    s_assert_rejects (S_TABLE (", `max_rows`: 0"),
                      "template.elements[0].max_rows",
                      "must be a whole number between 1 and 100000");
    s_assert_rejects (S_TABLE (", `grid`: -1"), "template.elements[0].grid",
                      "must be a number between 0 and 1000 (points, 0 for "
                      "none)");
    s_assert_rejects (S_TABLE (", `header_font`: `Arial`"),
                      "template.elements[0].header_font",
                      "unknown font 'Arial'");
}

// ---------------------------------------------------------------------------
// Barcodes

static void
test_template_parses_barcodes (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`elements`: [{`type`: `barcode`, `symbology`: `qrcode`, `data`: "
        "`https://example.com/i/{{number}}`, `x`: 50, `y`: 60, `width`: 80, "
        "`height`: 80}, {`type`: `barcode`, `symbology`: `CODE128`, `data`: "
        "`{{number}}`, `x`: 0, `y`: 0, `width`: 200, `height`: 40, "
        "`quiet_zone`: false, `color`: [0, 0, 0.5], `background`: 1}, "
        "{`type`: `barcode`, `symbology`: `qrcode`, `data`: `x`, `x`: 0, "
        "`y`: 0, `width`: 9, `height`: 9, `ecc`: `h`}]}");
    const template_barcode_t *qr = &template_element (template, 0)->u.barcode;
    assert_int_equal (qr->symbology, TEMPLATE_QRCODE);
    assert_int_equal (qr->ecc, 'M');
    assert_int_equal (qr->quiet_zone, 1);
    assert_int_equal (qr->background.space, TEMPLATE_COLOR_NONE);
    const template_barcode_t *code128 =
        &template_element (template, 1)->u.barcode;
    assert_int_equal (code128->symbology, TEMPLATE_CODE128);
    assert_int_equal (code128->quiet_zone, 0);
    assert_int_equal (code128->color.space, TEMPLATE_COLOR_RGB);
    assert_int_equal (code128->background.space, TEMPLATE_COLOR_GRAY);
    assert_int_equal (template_element (template, 2)->u.barcode.ecc, 'H');
    template_destroy (&template);
}

static void
test_template_rejects_bad_barcodes (void **state)
{
    (void)state;
    s_assert_rejects ("{`elements`: [{`type`: `barcode`, `data`: `x`, `x`: "
                      "0, `y`: 0, `width`: 9, `height`: 9}]}",
                      "template.elements[0].symbology",
                      "missing required field 'symbology'; expected one of: "
                      "qrcode, code128");
    s_assert_rejects ("{`elements`: [{`type`: `barcode`, `symbology`: "
                      "`ean13`, `data`: `x`, `x`: 0, `y`: 0, `width`: 9, "
                      "`height`: 9}]}",
                      "template.elements[0].symbology",
                      "unknown symbology 'ean13'");
    s_assert_rejects ("{`elements`: [{`type`: `barcode`, `symbology`: "
                      "`qrcode`, `x`: 0, `y`: 0, `width`: 9, `height`: 9}]}",
                      "template.elements[0].data",
                      "missing required field 'data'");
    s_assert_rejects ("{`elements`: [{`type`: `barcode`, `symbology`: "
                      "`qrcode`, `data`: `x`, `x`: 0, `y`: 0, `width`: 9, "
                      "`height`: 9, `ecc`: `X`}]}",
                      "template.elements[0].ecc",
                      "unknown error correction level 'X'; expected one of: "
                      "L, M, Q, H");
    s_assert_rejects ("{`elements`: [{`type`: `barcode`, `symbology`: "
                      "`code128`, `data`: `x`, `x`: 0, `y`: 0, `width`: 9, "
                      "`height`: 9, `ecc`: `L`}]}",
                      "template.elements[0].ecc",
                      "applies only to the qrcode symbology");
    s_assert_rejects ("{`elements`: [{`type`: `barcode`, `symbology`: "
                      "`qrcode`, `data`: `x`, `x`: 0, `y`: 0, `width`: 9, "
                      "`height`: 9, `quiet_zone`: 1}]}",
                      "template.elements[0].quiet_zone",
                      "must be true or false, got 1 (number)");
}

// ---------------------------------------------------------------------------
// Metadata and bookmarks

static void
test_template_parses_metadata_and_bookmark (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`elements`: [], `metadata`: {`title`: `청구서`, `author`: `ACME`, "
        "`subject`: `Invoices`}, `bookmark`: `Invoice {{number}}`}");
    assert_string_equal (template_title (template), "청구서");
    assert_string_equal (template_author (template), "ACME");
    assert_string_equal (template_subject (template), "Invoices");
    assert_non_null (template_bookmark (template));
    assert_string_equal (subst_origin (template_bookmark (template)),
                         "template.bookmark");
    template_destroy (&template);
    template = s_parse_ok ("{`elements`: []}");
    assert_null (template_title (template));
    assert_null (template_bookmark (template));
    template_destroy (&template);
}

static void
test_template_rejects_bad_metadata_and_bookmarks (void **state)
{
    (void)state;
    s_assert_rejects ("{`elements`: [], `metadata`: `Invoices`}",
                      "template.metadata",
                      "must be an object such as "
                      "{\"title\": \"Invoices\"}");
    s_assert_rejects ("{`elements`: [], `metadata`: {`keywords`: `a`}}",
                      "template.metadata.keywords",
                      "unknown field 'keywords'; expected one of: title, "
                      "author, subject");
    s_assert_rejects ("{`elements`: [], `metadata`: {`title`: 5}}",
                      "template.metadata.title",
                      "must be a string of at most 1000 bytes, got 5");
    s_assert_rejects ("{`elements`: [], `metadata`: {`title`: `a\\tb`}}",
                      "template.metadata.title",
                      "contains the control character U+0009");
    s_assert_rejects ("{`elements`: [], `bookmark`: 5}", "template.bookmark",
                      "must be a string, got 5 (number)");
    s_assert_rejects ("{`elements`: [], `bookmark`: `{{`}", "template.bookmark",
                      "unclosed placeholder");
}

// ---------------------------------------------------------------------------
// Checking records

static int
s_check (const template_t *template, const char *record_json, fielderr_t *err)
{
    cJSON *record = cJSON_Parse (s_tick (record_json));
    assert_non_null (record);
    subst_vars_t vars = {4, 10, 3, NULL, NULL};
    int rc = template_check_record (template, record, &vars, err);
    cJSON_Delete (record);
    return rc;
}

static void
s_assert_record_rejected (const template_t *template, const char *record,
                          const char *field, const char *part)
{
    fielderr_t err = {"", ""};
    if (s_check (template, record, &err) == 0)
        fail_msg ("record %s accepted", record);
    assert_string_equal (err.field, field);
    s_assert_contains (err.message, part);
}

#define S_INVOICE_TEMPLATE                                                     \
    "{`fonts`: {`korean`: {`family`: `NanumGothic`}}, `bookmark`: "            \
    "`Invoice {{number}}`, `elements`: ["                                      \
    "{`type`: `text`, `text`: `No. {{number | pad: 6}}`, `x`: 50, `y`: "       \
    "758}, {`type`: `text`, `text`: `{{customer}}`, `x`: 50, `y`: 715, "       \
    "`font`: `korean`}, {`type`: `table`, `x`: 50, `y`: 650, `rows`: "         \
    "`items`, `max_rows`: 3, `row_height`: 18, `columns`: [{`header`: "        \
    "`Description`, `value`: `{{desc}}`, `width`: 280}, {`header`: "           \
    "`Amount`, `value`: `{{qty * unit_price | thousands}}`, `width`: 70, "     \
    "`align`: `right`}]}, {`type`: `text`, `text`: `Total: {{sum(items, "      \
    "qty * unit_price) | thousands}}`, `x`: 545, `y`: 342, `align`: "          \
    "`right`}, {`type`: `barcode`, `symbology`: `qrcode`, `data`: "            \
    "`https://example.com/i/{{number}}`, `x`: 50, `y`: 60, `width`: 80, "      \
    "`height`: 80}, {`type`: `barcode`, `symbology`: `code128`, `data`: "      \
    "`{{code | default: 'X'}}`, `x`: 300, `y`: 60, `width`: 200, "             \
    "`height`: 40}]}"

#define S_GOOD_ITEMS                                                           \
    "[{`desc`: `Lamp`, `qty`: 2, `unit_price`: 1500}, {`desc`: `Cable`, "      \
    "`qty`: 1, `unit_price`: 900}]"

static void
test_template_check_record_accepts_a_good_record (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (S_INVOICE_TEMPLATE);
    fielderr_t err = {"", ""};
    int rc = s_check (template,
                      "{`number`: 100001, `customer`: `황유진 고객님`, "
                      "`items`: " S_GOOD_ITEMS "}",
                      &err);
    if (rc)
        fail_msg ("%s: %s", err.field, err.message);
    template_destroy (&template);
}

static void
test_template_check_record_names_what_a_record_gets_wrong (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (S_INVOICE_TEMPLATE);
    s_assert_record_rejected (template,
                              "{`customer`: `a`, `items`: " S_GOOD_ITEMS "}",
                              "records[3].number",
                              "missing field 'number' used by "
                              "template.elements[0].text");
    s_assert_record_rejected (
        template,
        "{`number`: 1, `customer`: `สมชาย`, `items`: " S_GOOD_ITEMS "}",
        "records[3].customer",
        "contains 'ส' (U+0E2A), which the font "
        "'korean' (NanumGothic) does not have");
    s_assert_record_rejected (template,
                              "{`number`: 1, `customer`: `a`, `items`: {}}",
                              "records[3].items", "table rows need an array");
    s_assert_record_rejected (
        template,
        "{`number`: 1, `customer`: `a`, `items`: [{`desc`: `Lamp`, `qty`: "
        "`two`, `unit_price`: 1}]}",
        "records[3].items[0].qty",
        "field 'qty' used by template.elements[2].columns[1].value is \"two\" "
        "(string); '*' needs numbers");
    s_assert_record_rejected (
        template,
        "{`number`: 1, `customer`: `a`, `items`: [{`desc`: `램프`, `qty`: 1, "
        "`unit_price`: 1}]}",
        "records[3].items[0].desc",
        "field 'desc' used by template.elements[2].columns[0].value contains "
        "'램'");
    s_assert_record_rejected (
        template, "{`number`: 1, `customer`: `a`, `items`: [{}, {}, {}, {}]}",
        "records[3].items",
        "has 4 items, more than the 3 rows template.elements[2].max_rows "
        "allows");
    s_assert_record_rejected (template,
                              "{`number`: 1, `customer`: `a`, `code`: `코드`, "
                              "`items`: []}",
                              "records[3]",
                              "Code 128 cannot encode U+CF54: it takes "
                              "Latin-1 characters only");
    s_assert_record_rejected (template,
                              "{`number`: 1, `customer`: `a`, `code`: ``, "
                              "`items`: []}",
                              "records[3]", "barcode data is empty");
    template_destroy (&template);
}

//  What the visitor of template_check_record_texts was told, as
//  "font:text|" for each text.
static void
s_collect (void *arg, const template_font_t *font, const char *text,
           size_t length)
{
    char *seen = arg;
    size_t used = strlen (seen);
    snprintf (seen + used, 1024 - used, "%s:%.*s|", font->name, (int)length,
              text);
}

static void
test_template_check_record_texts_hands_over_truetype_texts (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`fonts`: {`k`: {`family`: `NanumGothic`}}, `bookmark`: `{{c}}`, "
        "`elements`: [{`type`: `text`, `text`: `No. {{n}}`, `x`: 0, `y`: 0}, "
        "{`type`: `text`, `text`: `고객 {{c}}`, `x`: 0, `y`: 0, `font`: `k`}, "
        "{`type`: `table`, `x`: 0, `y`: 500, `rows`: `items`, `font`: `k`, "
        "`header_font`: `k`, `columns`: [{`header`: `품목 {{page}}`, "
        "`value`: `{{d}}`, `width`: 100}]}, {`type`: `barcode`, `symbology`: "
        "`qrcode`, `data`: `{{c}}`, `x`: 0, `y`: 0, `width`: 50, `height`: "
        "50}]}");
    cJSON *record = cJSON_Parse (s_tick (
        "{`n`: 7, `c`: `김민수`, `items`: [{`d`: `램프`}, {`d`: `케이블`}]}"));
    assert_non_null (record);
    subst_vars_t vars = {4, 10, 3, NULL, NULL};
    char seen[1024] = "";
    fielderr_t err = {"", ""};
    assert_int_equal (template_check_record_texts (template, record, &vars,
                                                   s_collect, seen, &err),
                      0);
    //  Helvetica's text, the barcode and the bookmark are not visited.
    assert_string_equal (seen, "k:고객 김민수|k:품목 4|k:램프|k:케이블|");
    //  A record that fails is still refused.
    cJSON_ReplaceItemInObject (record, "c", cJSON_CreateString ("สมชาย"));
    seen[0] = '\0';
    assert_int_equal (template_check_record_texts (template, record, &vars,
                                                   s_collect, seen, &err),
                      -1);
    assert_string_equal (err.field, "records[3].c");
    cJSON_Delete (record);
    template_destroy (&template);
}

static void
test_template_check_record_cost_counts_items_and_text (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`elements`: [{`type`: `text`, `text`: `No. {{n}}`, `x`: 0, `y`: 0}, "
        "{`type`: `line`, `x`: 0, `y`: 0, `x2`: 10, `y2`: 10}, "
        "{`type`: `table`, `x`: 0, `y`: 500, `rows`: `items`, "
        "`columns`: [{`header`: `Item`, `value`: `{{d}}`, `width`: 100}, "
        "{`value`: `{{q}}`, `width`: 50}]}]}");
    cJSON *record = cJSON_Parse (
        s_tick ("{`n`: 7, `items`: [{`d`: `lamp`, `q`: 2}, {`d`: `cable`, "
                "`q`: 10}]}"));
    assert_non_null (record);
    subst_vars_t vars = {1, 1, 0, NULL, NULL};
    joblimits_page_t cost = {99, 99};
    fielderr_t err = {"", ""};
    assert_int_equal (template_check_record_cost (template, record, &vars, NULL,
                                                  NULL, &cost, &err),
                      0);
    //  The text, the line, the table's header and its 4 cells.
    assert_int_equal (cost.items, 7);
    //  "No. 7", "Item", "lamp", "2", "cable", "10".
    assert_int_equal (cost.text_bytes, 5 + 4 + 4 + 1 + 5 + 2);
    cJSON_Delete (record);
    template_destroy (&template);
}

static void
test_template_check_record_fits_rows_on_the_page (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`elements`: [{`type`: `table`, `x`: 50, `y`: 100, `rows`: `items`, "
        "`row_height`: 20, `columns`: [{`header`: `N`, `value`: `{{n}}`, "
        "`width`: 60}]}]}");
    fielderr_t err = {"", ""};
    //  100 points hold five rows of 20: the header and four items.
    assert_int_equal (s_check (template,
                               "{`items`: [{`n`: 1}, {`n`: 2}, {`n`: 3}, "
                               "{`n`: 4}]}",
                               &err),
                      0);
    s_assert_record_rejected (template,
                              "{`items`: [{`n`: 1}, {`n`: 2}, {`n`: 3}, "
                              "{`n`: 4}, {`n`: 5}]}",
                              "records[3].items",
                              "has 5 items, more than the 4 rows that fit "
                              "between the top of the table at "
                              "template.elements[0] (y=100) and the bottom of "
                              "the page, 20 points a row");
    template_destroy (&template);
}

static void
test_template_check_record_checks_qr_capacity (void **state)
{
    (void)state;
    template_t *template =
        s_parse_ok ("{`elements`: [{`type`: `barcode`, `symbology`: "
                    "`qrcode`, `ecc`: `H`, `data`: `{{url}}`, `x`: 0, `y`: "
                    "0, `width`: 80, `height`: 80}]}");
    char *record = malloc (TEMPLATE_QR_BYTES_H + 32);
    assert_non_null (record);
    strcpy (record, "{\"url\": \"");
    memset (record + 9, 'x', TEMPLATE_QR_BYTES_H + 1);
    strcpy (record + 9 + TEMPLATE_QR_BYTES_H + 1, "\"}");
    s_assert_record_rejected (template, record, "records[3]",
                              "barcode data has 1274 bytes; a QR code with "
                              "error correction H holds at most 1273");
    free (record);
    template_destroy (&template);
}

static void
test_template_check_record_checks_the_bookmark (void **state)
{
    (void)state;
    template_t *template =
        s_parse_ok ("{`elements`: [], `bookmark`: `{{title}}`}");
    s_assert_record_rejected (template, "{}", "records[3].title",
                              "missing field 'title' used by "
                              "template.bookmark");
    fielderr_t err = {"", ""};
    assert_int_equal (s_check (template, "{`title`: `청구서`}", &err), 0);
    template_destroy (&template);
}

static void
test_template_barcode_check_rejects_bad_data (void **state)
{
    (void)state;
    template_t *template = s_parse_ok (
        "{`elements`: [{`type`: `barcode`, `symbology`: `code128`, `data`: "
        "`{{d}}`, `x`: 0, `y`: 0, `width`: 9, `height`: 9}]}");
    const template_element_t *element = template_element (template, 0);
    fielderr_t err = {"", ""};
    assert_int_equal (template_barcode_check (element, "ABC-123", "f", &err),
                      0);
    assert_int_equal (template_barcode_check (element, "a\xC3", "f", &err), -1);
    assert_string_equal (err.field, "f");
    assert_string_equal (err.message, "barcode data contains bytes that are "
                                      "not valid UTF-8");
    char long_data[TEMPLATE_CODE128_MAX + 2];
    memset (long_data, '7', sizeof long_data - 1);
    long_data[sizeof long_data - 1] = '\0';
    assert_int_equal (template_barcode_check (element, long_data, "f", &err),
                      -1);
    assert_string_equal (err.message, "barcode data has 81 characters; a Code "
                                      "128 barcode holds at most 80");
    long_data[TEMPLATE_CODE128_MAX] = '\0';
    assert_int_equal (template_barcode_check (element, long_data, "f", &err),
                      0);
    template_destroy (&template);
}

static void
test_template_rejects_more_than_max_columns (void **state)
{
    (void)state;
    char json[8192] = "{`elements`: [{`type`: `table`, `x`: 0, `y`: 0, "
                      "`rows`: `items`, `columns`: [";
    for (int nbr = 0; nbr <= TEMPLATE_COLUMNS_MAX; nbr++)
        strcat (json, nbr ? ", {`value`: `a`, `width`: 1}"
                          : "{`value`: `a`, `width`: 1}");
    strcat (json, "]}]}");
    s_assert_rejects (json, "template.elements[0].columns",
                      "must be an array of 1 to 64 columns, got an array too "
                      "long");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_template_defaults_to_a4_portrait_without_page),
        cmocka_unit_test (test_template_defaults_to_a4_with_empty_page),
        cmocka_unit_test (test_template_knows_named_sizes_in_any_case),
        cmocka_unit_test (test_template_landscape_swaps_sides),
        cmocka_unit_test (test_template_accepts_explicit_width_and_height),
        cmocka_unit_test (test_template_rejects_unknown_page_size),
        cmocka_unit_test (test_template_rejects_size_with_width),
        cmocka_unit_test (test_template_rejects_width_without_height),
        cmocka_unit_test (test_template_rejects_orientation_with_explicit_size),
        cmocka_unit_test (test_template_rejects_page_side_out_of_range),
        cmocka_unit_test (test_template_rejects_unknown_orientation),
        cmocka_unit_test (test_template_rejects_page_that_is_not_an_object),
        cmocka_unit_test (test_template_rejects_unknown_page_field),
        cmocka_unit_test (test_template_rejects_unknown_template_field),
        cmocka_unit_test (test_template_rejects_duplicate_field),
        cmocka_unit_test (test_template_requires_elements),
        cmocka_unit_test (test_template_rejects_non_object_template),
        cmocka_unit_test (test_template_parses_text_element_with_defaults),
        cmocka_unit_test (test_template_parses_every_text_option),
        cmocka_unit_test (test_template_accepts_all_14_standard_fonts),
        cmocka_unit_test (test_template_font_is_standard_is_exact),
        cmocka_unit_test (test_template_rejects_unknown_font),
        cmocka_unit_test (test_template_suggests_font_with_other_case),
        cmocka_unit_test (test_template_rejects_font_that_is_not_a_string),
        cmocka_unit_test (test_template_rejects_font_size_out_of_range),
        cmocka_unit_test (test_template_rejects_font_size_as_string),
        cmocka_unit_test (test_template_rejects_unknown_alignment),
        cmocka_unit_test (test_template_rejects_unknown_element_field),
        cmocka_unit_test (test_template_rejects_unknown_element_type),
        cmocka_unit_test (test_template_requires_element_type),
        cmocka_unit_test (test_template_rejects_element_that_is_not_an_object),
        cmocka_unit_test (test_template_requires_text_x_and_y),
        cmocka_unit_test (test_template_rejects_text_that_is_not_a_string),
        cmocka_unit_test (test_template_rejects_coordinate_off_any_page),
        cmocka_unit_test (test_template_reports_placeholder_syntax_error),
        cmocka_unit_test (
            test_template_rejects_text_a_standard_font_cannot_draw),
        cmocka_unit_test (test_template_accepts_latin1_literal_text),
        cmocka_unit_test (test_template_rejects_more_than_max_elements),
        cmocka_unit_test (test_template_rejects_too_many_field_placeholders),
        cmocka_unit_test (test_template_parse_text_reports_invalid_json),
        cmocka_unit_test (test_template_parse_text_bounds_nesting),
        cmocka_unit_test (test_template_parse_names_fields_under_given_path),
        cmocka_unit_test (test_template_destroy_twice_is_harmless),
        cmocka_unit_test (test_template_declares_a_truetype_font_by_family),
        cmocka_unit_test (test_template_declares_a_truetype_font_by_file),
        cmocka_unit_test (test_template_rejects_bad_font_declarations),
        cmocka_unit_test (test_template_keeps_a_fonts_glyphs),
        cmocka_unit_test (test_template_rejects_bad_glyphs),
        cmocka_unit_test (test_template_rejects_more_than_max_fonts),
        cmocka_unit_test (
            test_template_lists_declared_fonts_for_an_unknown_font),
        cmocka_unit_test (
            test_template_rejects_literal_text_a_truetype_font_lacks),
        cmocka_unit_test (test_template_symbol_fonts_take_ascii_only),
        cmocka_unit_test (test_template_parses_text_colours_and_wrapping),
        cmocka_unit_test (test_template_rejects_bad_text_options),
        cmocka_unit_test (test_template_parses_an_image),
        cmocka_unit_test (test_template_rejects_bad_images),
        cmocka_unit_test (test_template_parses_lines_and_rectangles),
        cmocka_unit_test (test_template_rejects_bad_lines_and_rectangles),
        cmocka_unit_test (test_template_parses_a_table_with_defaults),
        cmocka_unit_test (test_template_parses_every_table_option),
        cmocka_unit_test (test_template_rejects_bad_tables),
        cmocka_unit_test (test_template_parses_barcodes),
        cmocka_unit_test (test_template_rejects_bad_barcodes),
        cmocka_unit_test (test_template_parses_metadata_and_bookmark),
        cmocka_unit_test (test_template_rejects_bad_metadata_and_bookmarks),
        cmocka_unit_test (test_template_check_record_accepts_a_good_record),
        cmocka_unit_test (
            test_template_check_record_names_what_a_record_gets_wrong),
        cmocka_unit_test (
            test_template_check_record_texts_hands_over_truetype_texts),
        cmocka_unit_test (
            test_template_check_record_cost_counts_items_and_text),
        cmocka_unit_test (test_template_check_record_fits_rows_on_the_page),
        cmocka_unit_test (test_template_check_record_checks_qr_capacity),
        cmocka_unit_test (test_template_check_record_checks_the_bookmark),
        cmocka_unit_test (test_template_barcode_check_rejects_bad_data),
        cmocka_unit_test (test_template_rejects_more_than_max_columns),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
