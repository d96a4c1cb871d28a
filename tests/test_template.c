/*  test_template - the page template: page setup, text elements, defaults,
    and the error that names each kind of bad field.

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

static template_t *
s_parse (const char *json, fielderr_t *err)
{
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
    s_assert_rejects ("{\"elements\": [], \"fonts\": []}", "template.fonts",
                      "unknown field 'fonts'; expected one of: page, elements");
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
    assert_string_equal (element->u.text.font, "Helvetica");
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
    assert_string_equal (first->u.text.font, "Times-BoldItalic");
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
        assert_string_equal (template_element (template, 0)->u.text.font,
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
                           "text, x, y, font, size, align");
}

static void
test_template_rejects_unknown_element_type (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [{\"type\": \"text\", \"text\": \"a\", "
                      "\"x\": 0, \"y\": 0}, {\"type\": \"image\"}]}",
                      "template.elements[1].type",
                      "unknown element type 'image'; expected one of: text");
}

static void
test_template_requires_element_type (void **state)
{
    (void)state;
    s_assert_rejects ("{\"elements\": [{\"text\": \"a\"}]}",
                      "template.elements[0].type",
                      "missing required field 'type'; expected one of: text");
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
    template_t *template = template_parse (json, "jobs[2].template", &err);
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
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
