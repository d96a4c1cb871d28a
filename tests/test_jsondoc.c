/*  test_jsondoc - common/doc/jsondoc: located JSON parse errors, the
    nesting bound, unknown and duplicate fields, and value descriptions.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsondoc.h"

static void
s_assert_parse_fails (const char *text, const char *message)
{
    fielderr_t err = {"x", "x"};
    cJSON *root = jsondoc_parse (text, strlen (text), 64, &err);
    if (root) {
        cJSON_Delete (root);
        fail_msg ("\"%s\" parsed; expected \"%s\"", text, message);
    }
    assert_string_equal (err.field, "");
    assert_string_equal (err.message, message);
}

static void
s_assert_describes (const char *json, const char *expected)
{
    cJSON *value = cJSON_Parse (json);
    assert_non_null (value);
    char described[JSONDOC_DESCRIBE_MAX];
    jsondoc_describe (value, described, sizeof described);
    assert_string_equal (described, expected);
    cJSON_Delete (value);
}

static void
test_jsondoc_parse_accepts_a_document (void **state)
{
    (void)state;
    const char *text = "  {\"a\": [1, 2]}\n";
    fielderr_t err;
    cJSON *root = jsondoc_parse (text, strlen (text), 64, &err);
    assert_non_null (root);
    assert_int_equal (cJSON_GetArraySize (cJSON_GetObjectItem (root, "a")), 2);
    cJSON_Delete (root);
}

static void
test_jsondoc_parse_needs_no_terminating_nul (void **state)
{
    (void)state;
    const char text[] = "[1][garbage";
    fielderr_t err;
    cJSON *root = jsondoc_parse (text, 3, 64, &err);
    assert_non_null (root);
    cJSON_Delete (root);
}

static void
test_jsondoc_parse_skips_byte_order_mark (void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBF{}";
    fielderr_t err;
    cJSON *root = jsondoc_parse (text, strlen (text), 64, &err);
    assert_non_null (root);
    cJSON_Delete (root);
}

static void
test_jsondoc_parse_rejects_empty_document (void **state)
{
    (void)state;
    s_assert_parse_fails ("", "empty document");
    s_assert_parse_fails (" \r\n\t", "empty document");
    fielderr_t err;
    assert_null (jsondoc_parse (NULL, 10, 64, &err));
    assert_string_equal (err.message, "empty document");
}

static void
test_jsondoc_parse_locates_syntax_error (void **state)
{
    (void)state;
    s_assert_parse_fails ("{\n  \"a\": 1,\n  \"b\": tru\n}",
                          "not valid JSON near line 3 column 8");
    s_assert_parse_fails ("{\"a\": ,}", "not valid JSON near line 1 column 7");
}

static void
test_jsondoc_parse_counts_columns_in_characters (void **state)
{
    (void)state;
    s_assert_parse_fails ("[\"김\", x]", "not valid JSON near line 1 column 7");
}

static void
test_jsondoc_parse_rejects_text_after_document (void **state)
{
    (void)state;
    s_assert_parse_fails ("{} {}", "not valid JSON near line 1 column 4: text "
                                   "after the end of the document");
}

static void
test_jsondoc_parse_accepts_nesting_at_limit (void **state)
{
    (void)state;
    char text[200] = "";
    for (int index = 0; index < 64; index++)
        strcat (text, "[");
    for (int index = 0; index < 64; index++)
        strcat (text, "]");
    fielderr_t err;
    cJSON *root = jsondoc_parse (text, strlen (text), 64, &err);
    assert_non_null (root);
    cJSON_Delete (root);
}

static void
test_jsondoc_parse_rejects_nesting_beyond_limit (void **state)
{
    (void)state;
    //  Far deeper than cJSON's own limit: must be refused before parsing.
    size_t depth = 100000;
    char *text = malloc (depth + 1);
    assert_non_null (text);
    memset (text, '[', depth);
    text[depth] = '\0';
    s_assert_parse_fails (text, "nested deeper than 64 levels");
    text[0] = '{';
    s_assert_parse_fails (text, "nested deeper than 64 levels");
    free (text);
}

static void
test_jsondoc_parse_ignores_brackets_in_strings (void **state)
{
    (void)state;
    char text[300] = "[\"";
    for (int index = 0; index < 100; index++)
        strcat (text, "[{");
    strcat (text, "\\\"\"]");
    fielderr_t err;
    cJSON *root = jsondoc_parse (text, strlen (text), 2, &err);
    assert_non_null (root);
    cJSON_Delete (root);
}

static void
test_jsondoc_check_fields_accepts_known_fields (void **state)
{
    (void)state;
    const char *const known[] = {"a", "b", NULL};
    cJSON *object = cJSON_Parse ("{\"b\": 1, \"a\": 2}");
    fielderr_t err;
    assert_int_equal (jsondoc_check_fields (object, "", known, &err), 0);
    cJSON_Delete (object);
}

static void
test_jsondoc_check_fields_rejects_unknown_field (void **state)
{
    (void)state;
    const char *const known[] = {"size", "font", NULL};
    cJSON *object = cJSON_Parse ("{\"size\": 1, \"colour\": 2}");
    fielderr_t err;
    assert_int_equal (jsondoc_check_fields (object, "t.e[0]", known, &err), -1);
    assert_string_equal (err.field, "t.e[0].colour");
    assert_string_equal (err.message,
                         "unknown field 'colour'; expected one of: size, font");
    cJSON_Delete (object);
}

static void
test_jsondoc_check_fields_rejects_duplicate_field (void **state)
{
    (void)state;
    const char *const known[] = {"size", NULL};
    cJSON *object = cJSON_Parse ("{\"size\": 1, \"size\": 2}");
    fielderr_t err;
    assert_int_equal (jsondoc_check_fields (object, "", known, &err), -1);
    assert_string_equal (err.field, "size");
    assert_string_equal (err.message, "duplicate field 'size'");
    cJSON_Delete (object);
}

static void
test_jsondoc_check_fields_is_case_sensitive (void **state)
{
    (void)state;
    const char *const known[] = {"version", NULL};
    cJSON *object = cJSON_Parse ("{\"Version\": 1}");
    fielderr_t err;
    assert_int_equal (jsondoc_check_fields (object, "", known, &err), -1);
    assert_string_equal (err.field, "Version");
    cJSON_Delete (object);
}

static void
test_jsondoc_describe_names_type_and_value (void **state)
{
    (void)state;
    s_assert_describes ("\"12\"", "\"12\" (string)");
    s_assert_describes ("1.5", "1.5 (number)");
    s_assert_describes ("true", "true (boolean)");
    s_assert_describes ("null", "null");
    s_assert_describes ("{}", "an object");
    s_assert_describes ("[]", "an array");
    s_assert_describes ("1e999", "a number too large to represent");
    char described[JSONDOC_DESCRIBE_MAX];
    jsondoc_describe (NULL, described, sizeof described);
    assert_string_equal (described, "nothing");
}

static void
test_jsondoc_describe_cuts_long_strings (void **state)
{
    (void)state;
    s_assert_describes ("\"aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd-tail\"",
                        "\"aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd...\" "
                        "(string)");
}

static void
test_jsondoc_require_object_names_what_it_got (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    cJSON *object = cJSON_Parse ("{}");
    cJSON *number = cJSON_Parse ("12");
    assert_int_equal (
        jsondoc_require_object (object, "page", "an object", &err), 0);
    assert_int_equal (
        jsondoc_require_object (number, "page", "an object such as {}", &err),
        -1);
    assert_string_equal (err.field, "page");
    assert_string_equal (err.message,
                         "must be an object such as {}, got 12 (number)");
    assert_int_equal (jsondoc_require_object (NULL, "x", "an object", &err),
                      -1);
    assert_string_equal (err.message, "must be an object, got nothing");
    cJSON_Delete (object);
    cJSON_Delete (number);
}

static void
test_jsondoc_parse_rejects_raw_control_characters (void **state)
{
    (void)state;
    //  Between tokens, where cJSON would skip it as white space.
    s_assert_parse_fails ("{\"a\": 1\x01}", "not valid JSON near line 1 "
                                           "column 8: control character "
                                           "U+0001 is not allowed there");
    //  A NUL inside a string, where cJSON would end the string.
    const char text[] = "{\"a\": \"x\0y\"}";
    fielderr_t err = {"x", "x"};
    cJSON *root = jsondoc_parse (text, sizeof text - 1, 64, &err);
    assert_null (root);
    assert_string_equal (err.message, "not valid JSON near line 1 column 9: "
                                      "control character U+0000 is not "
                                      "allowed there");
    //  Tab, line feed and carriage return are white space.
    const char *blank = "{\t\"a\":\r\n1}";
    root = jsondoc_parse (blank, strlen (blank), 64, &err);
    assert_non_null (root);
    cJSON_Delete (root);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_jsondoc_parse_rejects_raw_control_characters),
        cmocka_unit_test (test_jsondoc_parse_accepts_a_document),
        cmocka_unit_test (test_jsondoc_parse_needs_no_terminating_nul),
        cmocka_unit_test (test_jsondoc_parse_skips_byte_order_mark),
        cmocka_unit_test (test_jsondoc_parse_rejects_empty_document),
        cmocka_unit_test (test_jsondoc_parse_locates_syntax_error),
        cmocka_unit_test (test_jsondoc_parse_counts_columns_in_characters),
        cmocka_unit_test (test_jsondoc_parse_rejects_text_after_document),
        cmocka_unit_test (test_jsondoc_parse_accepts_nesting_at_limit),
        cmocka_unit_test (test_jsondoc_parse_rejects_nesting_beyond_limit),
        cmocka_unit_test (test_jsondoc_parse_ignores_brackets_in_strings),
        cmocka_unit_test (test_jsondoc_check_fields_accepts_known_fields),
        cmocka_unit_test (test_jsondoc_check_fields_rejects_unknown_field),
        cmocka_unit_test (test_jsondoc_check_fields_rejects_duplicate_field),
        cmocka_unit_test (test_jsondoc_check_fields_is_case_sensitive),
        cmocka_unit_test (test_jsondoc_describe_names_type_and_value),
        cmocka_unit_test (test_jsondoc_require_object_names_what_it_got),
        cmocka_unit_test (test_jsondoc_describe_cuts_long_strings),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
