/*  test_subst - {{expression}} substitution: compiling, expanding, and the
    errors that name a record's field, also for a character its font
    cannot draw (WinAnsi, a TrueType font's coverage).

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "subst.h"

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("\"%s\" does not contain \"%s\"", text, part);
}

//  Expand source against the record given as JSON text; returns the result
//  (caller frees) or NULL with err filled.
static char *
s_expand (const char *source, const char *record_json, const subst_vars_t *vars,
          fielderr_t *err)
{
    subst_t *subst = subst_compile (source, "template.elements[1].text", err);
    assert_non_null (subst);
    cJSON *record = cJSON_Parse (record_json);
    assert_non_null (record);
    char *result = subst_expand (subst, record, vars, NULL, err);
    cJSON_Delete (record);
    subst_destroy (&subst);
    return result;
}

static void
s_assert_expands (const char *source, const char *record_json,
                  const char *expected)
{
    fielderr_t err = {"", ""};
    subst_vars_t vars = {3, 10, 0, NULL, NULL};
    char *result = s_expand (source, record_json, &vars, &err);
    if (!result)
        fail_msg ("expanding \"%s\" failed: %s: %s", source, err.field,
                  err.message);
    assert_string_equal (result, expected);
    free (result);
}

static void
s_assert_compile_fails (const char *source, const char *expected_part)
{
    fielderr_t err = {"", ""};
    subst_t *subst = subst_compile (source, "template.elements[0].text", &err);
    if (subst)
        fail_msg ("\"%s\" compiled; expected an error", source);
    assert_string_equal (err.field, "template.elements[0].text");
    s_assert_contains (err.message, expected_part);
}

static void
test_subst_expands_literal_text_unchanged (void **state)
{
    (void)state;
    s_assert_expands ("Invoice", "{}", "Invoice");
    s_assert_expands ("", "{}", "");
}

static void
test_subst_is_literal_only_without_placeholders (void **state)
{
    (void)state;
    subst_t *literal = subst_compile ("Total: {x} }}", "f", NULL);
    subst_t *field = subst_compile ("No. {{number}}", "f", NULL);
    subst_t *page = subst_compile ("{{page}}", "f", NULL);
    assert_non_null (literal);
    assert_non_null (field);
    assert_non_null (page);
    assert_int_equal (subst_is_literal (literal), 1);
    assert_int_equal (subst_is_literal (field), 0);
    assert_int_equal (subst_is_literal (page), 0);
    subst_destroy (&literal);
    subst_destroy (&field);
    subst_destroy (&page);
}

static void
test_subst_treats_single_braces_as_literal (void **state)
{
    (void)state;
    s_assert_expands ("{a} }} {", "{}", "{a} }} {");
}

static void
test_subst_expands_top_level_field (void **state)
{
    (void)state;
    s_assert_expands ("Invoice {{number}}!", "{\"number\": \"A-7\"}",
                      "Invoice A-7!");
}

static void
test_subst_expands_nested_field (void **state)
{
    (void)state;
    s_assert_expands ("Dear {{customer.name}},",
                      "{\"customer\": {\"name\": \"Ada\"}}", "Dear Ada,");
}

static void
test_subst_allows_spaces_inside_braces (void **state)
{
    (void)state;
    s_assert_expands ("[{{ customer.name }}] [{{\tx}}]",
                      "{\"customer\": {\"name\": \"Ada\"}, \"x\": 1}",
                      "[Ada] [1]");
}

static void
test_subst_indexes_arrays_with_numeric_segments (void **state)
{
    (void)state;
    s_assert_expands ("{{items.0.desc}}/{{items.1.desc}}",
                      "{\"items\": [{\"desc\": \"cable\"}, {\"desc\": "
                      "\"lamp\"}]}",
                      "cable/lamp");
}

static void
test_subst_looks_up_numeric_segment_as_object_key (void **state)
{
    (void)state;
    s_assert_expands ("{{years.2024}}", "{\"years\": {\"2024\": \"good\"}}",
                      "good");
}

static void
test_subst_accepts_names_with_dash_and_underscore (void **state)
{
    (void)state;
    s_assert_expands ("{{first-name}} {{last_name}}",
                      "{\"first-name\": \"Ada\", \"last_name\": \"Lovelace\"}",
                      "Ada Lovelace");
}

static void
test_subst_field_names_are_case_sensitive (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    char *result = s_expand ("{{Name}}", "{\"name\": \"Ada\"}", NULL, &err);
    assert_null (result);
    assert_string_equal (err.field, "records[0].Name");
}

static void
test_subst_expands_integers_without_fraction (void **state)
{
    (void)state;
    s_assert_expands ("{{a}} {{b}} {{c}} {{d}}",
                      "{\"a\": 1, \"b\": -42, \"c\": 100001.0, \"d\": "
                      "9007199254740991}",
                      "1 -42 100001 9007199254740991");
}

static void
test_subst_expands_negative_zero_as_zero (void **state)
{
    (void)state;
    s_assert_expands ("{{a}}", "{\"a\": -0.0}", "0");
}

static void
test_subst_expands_fractions_in_shortest_form (void **state)
{
    (void)state;
    s_assert_expands ("{{a}} {{b}} {{c}} {{d}}",
                      "{\"a\": 1.5, \"b\": 0.1, \"c\": 297.64, \"d\": -2.25}",
                      "1.5 0.1 297.64 -2.25");
}

static void
test_subst_expands_fractions_that_need_17_digits_exactly (void **state)
{
    (void)state;
    s_assert_expands ("{{a}}", "{\"a\": 0.30000000000000004}",
                      "0.30000000000000004");
}

static void
test_subst_expands_huge_numbers_with_exponent (void **state)
{
    (void)state;
    s_assert_expands ("{{a}} {{b}}", "{\"a\": 1e20, \"b\": 1.5e-9}",
                      "1e+20 1.5e-09");
}

static void
test_subst_expands_booleans (void **state)
{
    (void)state;
    s_assert_expands ("{{yes}}/{{no}}", "{\"yes\": true, \"no\": false}",
                      "true/false");
}

static void
test_subst_expands_page_variables (void **state)
{
    (void)state;
    s_assert_expands ("Page {{page}} of {{ pages }}", "{}", "Page 3 of 10");
}

static void
test_subst_page_variables_take_precedence_over_record (void **state)
{
    (void)state;
    s_assert_expands ("{{page}}/{{pages}}",
                      "{\"page\": \"mine\", \"pages\": 99}", "3/10");
}

static void
test_subst_page_prefix_is_an_ordinary_field (void **state)
{
    (void)state;
    s_assert_expands ("{{page.title}} {{pages_left}}",
                      "{\"page\": {\"title\": \"T\"}, \"pages_left\": 2}",
                      "T 2");
}

static void
test_subst_inserts_values_containing_braces_verbatim (void **state)
{
    (void)state;
    s_assert_expands ("{{open}}x}}", "{\"open\": \"{{\"}", "{{x}}");
}

static void
test_subst_expands_utf8_values_unchanged (void **state)
{
    (void)state;
    s_assert_expands ("{{name}}", "{\"name\": \"김민수 고객님\"}",
                      "김민수 고객님");
}

static void
test_subst_rejects_unclosed_placeholder (void **state)
{
    (void)state;
    s_assert_compile_fails ("Invoice {{number", "unclosed placeholder");
    s_assert_compile_fails ("Invoice {{number", "at character 9");
    s_assert_compile_fails ("{{", "unclosed placeholder");
}

static void
test_subst_rejects_empty_placeholder (void **state)
{
    (void)state;
    s_assert_compile_fails ("{{}}", "empty placeholder at character 1");
    s_assert_compile_fails ("a {{  }}", "empty placeholder at character 3");
}

static void
test_subst_rejects_invalid_path_characters (void **state)
{
    (void)state;
    s_assert_compile_fails ("{{cust omer}}",
                            "invalid placeholder '{{cust omer}}'");
    s_assert_compile_fails ("{{a%b}}", "invalid placeholder");
    s_assert_compile_fails ("{{a#}}", "invalid placeholder");
    s_assert_compile_fails ("{{{a}}}", "invalid placeholder '{{{a}}'");
}

static void
test_subst_rejects_empty_path_segments (void **state)
{
    (void)state;
    s_assert_compile_fails ("{{a..b}}", "invalid placeholder");
    s_assert_compile_fails ("{{.a}}", "invalid placeholder");
    s_assert_compile_fails ("{{a.}}", "invalid placeholder");
    s_assert_compile_fails ("{{.}}", "invalid placeholder");
}

static void
test_subst_rejects_numeric_segment_with_leading_zero (void **state)
{
    (void)state;
    s_assert_compile_fails ("{{items.01.desc}}", "without leading zeros");
    subst_t *zero = subst_compile ("{{items.0}} {{a.10}}", "f", NULL);
    assert_non_null (zero);
    subst_destroy (&zero);
}

static void
test_subst_cuts_long_invalid_placeholder_in_message (void **state)
{
    (void)state;
    char source[300];
    memset (source, 'x', sizeof source);
    memcpy (source, "{{a b", 5);
    memcpy (source + sizeof source - 3, "}}", 3);
    fielderr_t err = {"", ""};
    assert_null (subst_compile (source, "f", &err));
    s_assert_contains (err.message, "...}}' at character 1");
}

static void
test_subst_reports_missing_field_with_record_path (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    subst_vars_t vars = {18, 20, 17, NULL, NULL};
    char *result = s_expand ("{{customer.name}}",
                             "{\"customer\": {\"nom\": \"Ada\"}}", &vars, &err);
    assert_null (result);
    assert_string_equal (err.field, "records[17].customer.name");
    assert_string_equal (err.message, "missing field 'customer.name' used by "
                                      "template.elements[1].text");
}

static void
test_subst_reports_missing_parent_object (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    char *result = s_expand ("{{customer.name}}", "{}", NULL, &err);
    assert_null (result);
    assert_string_equal (err.field, "records[0].customer.name");
    assert_string_equal (err.message, "missing field 'customer.name' used by "
                                      "template.elements[1].text");
}

static void
test_subst_reports_scalar_where_object_expected (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    char *result =
        s_expand ("{{customer.name}}", "{\"customer\": \"Ada\"}", NULL, &err);
    assert_null (result);
    assert_string_equal (err.field, "records[0].customer.name");
    s_assert_contains (err.message, "'customer' is a string, not an object");
}

static void
test_subst_reports_array_index_out_of_range (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    char *result = s_expand ("{{items.2.desc}}",
                             "{\"items\": [{\"desc\": \"a\"}, {\"desc\": "
                             "\"b\"}]}",
                             NULL, &err);
    assert_null (result);
    assert_string_equal (err.field, "records[0].items[2].desc");
    s_assert_contains (err.message, "'items' has 2 items, numbered from 0");
}

static void
test_subst_reports_name_used_on_array (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    char *result = s_expand ("{{items.desc}}",
                             "{\"items\": [{\"desc\": \"a\"}]}", NULL, &err);
    assert_null (result);
    s_assert_contains (err.message, "'items' is an array, so an item number");
}

static void
test_subst_reports_object_value (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    char *result = s_expand ("{{customer}}",
                             "{\"customer\": {\"name\": \"Ada\"}}", NULL, &err);
    assert_null (result);
    assert_string_equal (err.field, "records[0].customer");
    assert_string_equal (err.message,
                         "field 'customer' used by template.elements[1].text "
                         "is an object; expected a string, number or boolean");
}

static void
test_subst_reports_null_and_array_values (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    assert_null (s_expand ("{{a}}", "{\"a\": null}", NULL, &err));
    s_assert_contains (err.message, "is null; expected");
    assert_null (s_expand ("{{a}}", "{\"a\": [1]}", NULL, &err));
    s_assert_contains (err.message, "is an array; expected");
}

static void
test_subst_reports_infinite_number (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    assert_null (s_expand ("{{a}}", "{\"a\": 1e999}", NULL, &err));
    s_assert_contains (err.message, "too large to represent");
}

static void
test_subst_rejects_value_longer_than_limit (void **state)
{
    (void)state;
    size_t length = SUBST_VALUE_MAX + 1;
    char *record_json = malloc (length + 16);
    assert_non_null (record_json);
    strcpy (record_json, "{\"a\":\"");
    memset (record_json + 6, 'x', length);
    strcpy (record_json + 6 + length, "\"}");
    fielderr_t err = {"", ""};
    assert_null (s_expand ("{{a}}", record_json, NULL, &err));
    s_assert_contains (err.message, "longer than the 4096 bytes");
    //  Exactly the limit is fine.
    strcpy (record_json + 6 + SUBST_VALUE_MAX, "\"}");
    char *result = s_expand ("{{a}}", record_json, NULL, &err);
    assert_non_null (result);
    assert_int_equal (strlen (result), SUBST_VALUE_MAX);
    free (result);
    free (record_json);
}

static void
test_subst_reports_missing_field_when_record_is_absent (void **state)
{
    (void)state;
    subst_t *subst = subst_compile ("{{a}}", "t", NULL);
    assert_non_null (subst);
    fielderr_t err = {"", ""};
    assert_null (subst_expand (subst, NULL, NULL, NULL, &err));
    s_assert_contains (err.message, "the record is not an object");
    subst_destroy (&subst);
}

static void
test_subst_lists_record_fields_without_page_variables (void **state)
{
    (void)state;
    subst_t *subst = subst_compile (
        "{{ number }} {{page}} {{customer.name}} {{pages}} {{number}}",
        "template.elements[4].text", NULL);
    assert_non_null (subst);
    assert_int_equal (subst_field_count (subst), 3);
    assert_string_equal (subst_origin (subst), "template.elements[4].text");
    subst_destroy (&subst);
}

//  Expand source against record_json, checking it against font.
static char *
s_expand_in (const char *source, const char *record_json,
             const charset_font_t *font, fielderr_t *err)
{
    subst_t *subst = subst_compile (source, "template.elements[3].text", err);
    assert_non_null (subst);
    cJSON *record = cJSON_Parse (record_json);
    assert_non_null (record);
    subst_vars_t vars = {5, 9, 4, NULL, NULL};
    char *result = subst_expand (subst, record, &vars, font, err);
    cJSON_Delete (record);
    subst_destroy (&subst);
    return result;
}

static const charset_font_t s_helvetica = {"Helvetica", CHARSET_WINANSI, NULL,
                                           NULL};

static void
test_subst_expand_accepts_latin1_for_winansi (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    char *result = s_expand_in ("{{name}} {{n}} {{ok}}",
                                "{\"name\": \"Zoë Ångström – 5 €\", "
                                "\"n\": 3, \"ok\": true}",
                                &s_helvetica, &err);
    assert_non_null (result);
    assert_string_equal (result, "Zoë Ångström – 5 € 3 true");
    free (result);
}

static void
test_subst_expand_rejects_korean_for_winansi (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    assert_null (s_expand_in ("Dear {{customer}}", "{\"customer\": \"김민수\"}",
                              &s_helvetica, &err));
    assert_string_equal (err.field, "records[4].customer");
    assert_string_equal (err.message,
                         "field 'customer' used by template.elements[3].text "
                         "contains '김' (U+AE40), which the standard PDF "
                         "fonts cannot draw (they only have the WinAnsi "
                         "characters, roughly Latin-1)");
    charset_font_t any = {"any", CHARSET_UTF8, NULL, NULL};
    char *result =
        s_expand_in ("{{customer}}", "{\"customer\": \"김민수\"}", &any, &err);
    assert_non_null (result);
    free (result);
}

static void
test_subst_expand_names_the_item_field_in_a_row (void **state)
{
    (void)state;
    cJSON *record = cJSON_Parse ("{\"items\": [{\"desc\": \"ok\"}, "
                                 "{\"desc\": \"ő\"}]}");
    assert_non_null (record);
    subst_t *subst = subst_compile ("{{desc}}", "T", NULL);
    assert_non_null (subst);
    const cJSON *item =
        cJSON_GetArrayItem (cJSON_GetObjectItem (record, "items"), 1);
    subst_vars_t vars = {1, 1, 0, item, "records[0].items[1]"};
    fielderr_t err = {"", ""};
    assert_null (subst_expand (subst, record, &vars, &s_helvetica, &err));
    assert_string_equal (err.field, "records[0].items[1].desc");
    s_assert_contains (err.message, "field 'desc' used by T contains 'ő'");
    subst_destroy (&subst);
    cJSON_Delete (record);
}

//  A pretend TrueType font that has ASCII and Hangul syllables only.
static int
s_covers_hangul (const void *face, uint32_t codepoint)
{
    (void)face;
    return codepoint < 0x80 || (codepoint >= 0xAC00 && codepoint <= 0xD7A3);
}

static const charset_font_t s_hangul = {"'korean' (Test)", CHARSET_UTF8,
                                        s_covers_hangul, NULL};

static void
test_subst_expand_checks_a_truetype_fonts_coverage (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    char *result =
        s_expand_in ("{{name}}", "{\"name\": \"김민수 Kim\"}", &s_hangul, &err);
    assert_non_null (result);
    free (result);
    assert_null (
        s_expand_in ("{{name}}", "{\"name\": \"金 Kim\"}", &s_hangul, &err));
    assert_string_equal (err.field, "records[4].name");
    assert_string_equal (err.message,
                         "field 'name' used by template.elements[3].text "
                         "contains '金' (U+91D1), which the font 'korean' "
                         "(Test) does not have");
}

static void
test_subst_expand_blames_the_text_for_a_computed_value (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    assert_null (
        s_expand_in ("{{ phone | default: '金' }}", "{}", &s_hangul, &err));
    assert_string_equal (err.field, "template.elements[3].text");
    s_assert_contains (err.message, "has {{ phone | default: '金' }}, whose "
                                    "value contains '金' (U+91D1)");
}

static void
test_subst_check_literals_checks_text_and_quoted_strings (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    subst_t *subst =
        subst_compile ("Total {{ x | default: '-' }} €", "T", NULL);
    assert_non_null (subst);
    assert_int_equal (subst_check_literals (subst, &s_helvetica, &err), 0);
    assert_int_equal (subst_check_literals (subst, &s_hangul, &err), -1);
    assert_string_equal (err.field, "T");
    s_assert_contains (err.message, "contains '€' (U+20AC), which the font");
    subst_destroy (&subst);
    subst = subst_compile ("{{ x | default: 'ő' }}", "T", NULL);
    assert_non_null (subst);
    assert_int_equal (subst_check_literals (subst, &s_helvetica, &err), -1);
    s_assert_contains (err.message, "has a quoted string in {{ x | default: "
                                    "'ő' }} that contains 'ő'");
    subst_destroy (&subst);
}

static void
test_subst_single_path_finds_a_lone_path (void **state)
{
    (void)state;
    subst_t *lone = subst_compile ("{{ items }}", "f", NULL);
    subst_t *text = subst_compile ("x {{items}}", "f", NULL);
    subst_t *sum = subst_compile ("{{count(items)}}", "f", NULL);
    assert_non_null (lone);
    assert_non_null (text);
    assert_non_null (sum);
    const expr_t *expr = NULL;
    assert_int_equal (subst_single_path (lone, &expr), 1);
    assert_non_null (expr);
    assert_string_equal (expr_source (expr), "items");
    assert_int_equal (subst_single_path (text, NULL), 0);
    assert_int_equal (subst_single_path (sum, NULL), 0);
    subst_destroy (&lone);
    subst_destroy (&text);
    subst_destroy (&sum);
}

static void
test_subst_expands_expressions (void **state)
{
    (void)state;
    s_assert_expands ("No. {{ number | pad: 6 }} = {{ qty * price | "
                      "thousands }} KRW",
                      "{\"number\": 42, \"qty\": 3, \"price\": 41000}",
                      "No. 000042 = 123,000 KRW");
}

static void
test_subst_placeholder_ends_outside_quoted_strings (void **state)
{
    (void)state;
    s_assert_expands ("[{{ x | default: \"}}\" }}]", "{}", "[}}]");
    s_assert_compile_fails ("{{ x | default: '}} oops", "unclosed placeholder");
}

static void
test_subst_reports_expression_errors_with_their_cause (void **state)
{
    (void)state;
    s_assert_compile_fails ("Sum {{ qty * }}",
                            "invalid placeholder '{{ qty * }}' at character "
                            "5: expected a value");
    s_assert_compile_fails ("{{ x | thousand }}", "unknown filter 'thousand'");
}

static void
test_subst_check_reports_as_expand_does (void **state)
{
    (void)state;
    subst_t *subst = subst_compile ("{{a}} and {{b * 2}}", "T", NULL);
    assert_non_null (subst);
    cJSON *record = cJSON_Parse ("{\"a\": \"Zoë\", \"b\": \"x\"}");
    subst_vars_t vars = {2, 2, 1, NULL, NULL};
    fielderr_t err = {"", ""};
    assert_int_equal (subst_check (subst, record, &vars, &s_helvetica, &err),
                      -1);
    assert_string_equal (err.field, "records[1].b");
    s_assert_contains (err.message, "'*' needs numbers");
    cJSON_ReplaceItemInObject (record, "b", cJSON_CreateNumber (4));
    assert_int_equal (subst_check (subst, record, &vars, &s_helvetica, &err),
                      0);
    cJSON_ReplaceItemInObject (record, "a", cJSON_CreateString ("김"));
    assert_int_equal (subst_check (subst, record, &vars, &s_helvetica, &err),
                      -1);
    assert_string_equal (err.field, "records[1].a");
    cJSON_Delete (record);
    subst_destroy (&subst);
}

static void
test_subst_destroy_twice_is_harmless (void **state)
{
    (void)state;
    subst_t *subst = subst_compile ("x", "f", NULL);
    assert_non_null (subst);
    subst_destroy (&subst);
    assert_null (subst);
    subst_destroy (&subst);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_subst_expands_literal_text_unchanged),
        cmocka_unit_test (test_subst_is_literal_only_without_placeholders),
        cmocka_unit_test (test_subst_treats_single_braces_as_literal),
        cmocka_unit_test (test_subst_expands_top_level_field),
        cmocka_unit_test (test_subst_expands_nested_field),
        cmocka_unit_test (test_subst_allows_spaces_inside_braces),
        cmocka_unit_test (test_subst_indexes_arrays_with_numeric_segments),
        cmocka_unit_test (test_subst_looks_up_numeric_segment_as_object_key),
        cmocka_unit_test (test_subst_accepts_names_with_dash_and_underscore),
        cmocka_unit_test (test_subst_field_names_are_case_sensitive),
        cmocka_unit_test (test_subst_expands_integers_without_fraction),
        cmocka_unit_test (test_subst_expands_negative_zero_as_zero),
        cmocka_unit_test (test_subst_expands_fractions_in_shortest_form),
        cmocka_unit_test (
            test_subst_expands_fractions_that_need_17_digits_exactly),
        cmocka_unit_test (test_subst_expands_huge_numbers_with_exponent),
        cmocka_unit_test (test_subst_expands_booleans),
        cmocka_unit_test (test_subst_expands_page_variables),
        cmocka_unit_test (
            test_subst_page_variables_take_precedence_over_record),
        cmocka_unit_test (test_subst_page_prefix_is_an_ordinary_field),
        cmocka_unit_test (test_subst_inserts_values_containing_braces_verbatim),
        cmocka_unit_test (test_subst_expands_utf8_values_unchanged),
        cmocka_unit_test (test_subst_rejects_unclosed_placeholder),
        cmocka_unit_test (test_subst_rejects_empty_placeholder),
        cmocka_unit_test (test_subst_rejects_invalid_path_characters),
        cmocka_unit_test (test_subst_rejects_empty_path_segments),
        cmocka_unit_test (test_subst_rejects_numeric_segment_with_leading_zero),
        cmocka_unit_test (test_subst_cuts_long_invalid_placeholder_in_message),
        cmocka_unit_test (test_subst_reports_missing_field_with_record_path),
        cmocka_unit_test (test_subst_reports_missing_parent_object),
        cmocka_unit_test (test_subst_reports_scalar_where_object_expected),
        cmocka_unit_test (test_subst_reports_array_index_out_of_range),
        cmocka_unit_test (test_subst_reports_name_used_on_array),
        cmocka_unit_test (test_subst_reports_object_value),
        cmocka_unit_test (test_subst_reports_null_and_array_values),
        cmocka_unit_test (test_subst_reports_infinite_number),
        cmocka_unit_test (test_subst_rejects_value_longer_than_limit),
        cmocka_unit_test (
            test_subst_reports_missing_field_when_record_is_absent),
        cmocka_unit_test (
            test_subst_lists_record_fields_without_page_variables),
        cmocka_unit_test (test_subst_expand_accepts_latin1_for_winansi),
        cmocka_unit_test (test_subst_expand_rejects_korean_for_winansi),
        cmocka_unit_test (test_subst_expand_names_the_item_field_in_a_row),
        cmocka_unit_test (test_subst_expand_checks_a_truetype_fonts_coverage),
        cmocka_unit_test (
            test_subst_expand_blames_the_text_for_a_computed_value),
        cmocka_unit_test (
            test_subst_check_literals_checks_text_and_quoted_strings),
        cmocka_unit_test (test_subst_single_path_finds_a_lone_path),
        cmocka_unit_test (test_subst_expands_expressions),
        cmocka_unit_test (test_subst_placeholder_ends_outside_quoted_strings),
        cmocka_unit_test (
            test_subst_reports_expression_errors_with_their_cause),
        cmocka_unit_test (test_subst_check_reports_as_expand_does),
        cmocka_unit_test (test_subst_destroy_twice_is_harmless),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
