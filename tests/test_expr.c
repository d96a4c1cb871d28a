/*  test_expr - the expression language inside {{ }}: paths, arithmetic,
    sum() and count(), filters, number formatting, and every compile and
    evaluation error.

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

#include "expr.h"

#define S_ORIGIN "template.elements[2].text"

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("\"%s\" does not contain \"%s\"", text, part);
}

static expr_t *
s_compile (const char *source)
{
    char problem[EXPR_PROBLEM_MAX];
    expr_t *expr =
        expr_compile (source, strlen (source), problem, sizeof problem);
    if (!expr)
        fail_msg ("\"%s\" does not compile: %s", source, problem);
    return expr;
}

//  Evaluate source against record_json (record 7, page 8 of 20); returns
//  0 with text (caller frees) or -1 with err filled.
static int
s_eval (const char *source, const char *record_json, char **text,
        fielderr_t *err)
{
    expr_t *expr = s_compile (source);
    cJSON *record = cJSON_Parse (record_json);
    assert_non_null (record);
    expr_scope_t scope = {record, NULL, NULL, 8, 20, 7};
    expr_text_t out;
    int rc = expr_eval_text (expr, &scope, S_ORIGIN, &out, err);
    *text = rc == 0 ? strndup (out.text, out.length) : NULL;
    cJSON_Delete (record);
    expr_destroy (&expr);
    return rc;
}

static void
s_assert_gives (const char *source, const char *record_json,
                const char *expected)
{
    fielderr_t err = {"", ""};
    char *text;
    if (s_eval (source, record_json, &text, &err))
        fail_msg ("{{%s}} fails: %s: %s", source, err.field, err.message);
    if (strcmp (text, expected) != 0)
        fail_msg ("{{%s}} gives \"%s\", expected \"%s\"", source, text,
                  expected);
    free (text);
}

static void
s_assert_fails (const char *source, const char *record_json, const char *field,
                const char *message_part)
{
    fielderr_t err = {"", ""};
    char *text;
    if (s_eval (source, record_json, &text, &err) == 0)
        fail_msg ("{{%s}} gives \"%s\"; expected an error", source, text);
    assert_string_equal (err.field, field);
    s_assert_contains (err.message, message_part);
}

static void
s_assert_compile_fails (const char *source, const char *problem_part)
{
    char problem[EXPR_PROBLEM_MAX];
    expr_t *expr =
        expr_compile (source, strlen (source), problem, sizeof problem);
    if (expr)
        fail_msg ("\"%s\" compiles; expected an error", source);
    s_assert_contains (problem, problem_part);
}

#define S_INVOICE                                                              \
    "{\"number\": 42, \"date\": \"2026-11-25\", \"rate\": \"0.5\","            \
    " \"items\": [{\"qty\": 2, \"price\": 1500}, {\"qty\": 3, \"price\":"      \
    " 41000.5}, {\"qty\": 1, \"price\": 100}], \"empty\": [],"                 \
    " \"prices\": [1, 2.5, \"3\"], \"customer\": {\"name\": \"Ada\","          \
    " \"phone\": null}, \"grid\": [[1, 2], [3, 4]]}"

// ---------------------------------------------------------------------------
// Paths

//  Whole numbers are written as snprintf's "%lld" writes them, others
//  with the fewest digits that read back the same.
static void
test_expr_formats_numbers_as_printf (void **state)
{
    (void)state;
    const double numbers[] = {0,
                              -0.0,
                              7,
                              -7,
                              10,
                              -100,
                              123456789,
                              -987654321012,
                              9007199254740991.0,
                              -9007199254740991.0,
                              12.5,
                              -0.1,
                              1e300};
    for (size_t at = 0; at < sizeof numbers / sizeof numbers[0]; at++) {
        char written[EXPR_NUMBER_MAX];
        size_t length = expr_format_number (numbers[at], written);
        char expected[EXPR_NUMBER_MAX];
        double number = numbers[at];
        //  Bounds first: converting 1e300 to an integer is undefined.
        if (number < 9007199254740992.0 && number > -9007199254740992.0 &&
            number == (double)(long long)number)
            snprintf (expected, sizeof expected, "%lld", (long long)number);
        else
            snprintf (expected, sizeof expected, "%.15g", number);
        assert_string_equal (written, expected);
        assert_int_equal (length, strlen (expected));
    }
}

static void
test_expr_reads_paths_dotted_and_indexed (void **state)
{
    (void)state;
    s_assert_gives ("customer.name", S_INVOICE, "Ada");
    s_assert_gives ("items.1.qty", S_INVOICE, "3");
    s_assert_gives ("items[1].qty", S_INVOICE, "3");
    s_assert_gives ("grid[1][0]", S_INVOICE, "3");
    s_assert_gives ("grid.1.1", S_INVOICE, "4");
    s_assert_gives ("$.date", S_INVOICE, "2026-11-25");
}

static void
test_expr_reads_page_variables (void **state)
{
    (void)state;
    s_assert_gives ("page", "{\"page\": 99}", "8");
    s_assert_gives ("pages - page", "{}", "12");
    s_assert_gives ("$.page", "{\"page\": 99}", "99");
}

static void
test_expr_allows_dashes_in_names (void **state)
{
    (void)state;
    s_assert_gives ("first-name", "{\"first-name\": \"Ada\"}", "Ada");
    s_assert_gives ("a - b", "{\"a\": 5, \"b\": 2}", "3");
    s_assert_gives ("a-b", "{\"a-b\": \"dash\"}", "dash");
}

static void
test_expr_is_path_and_counts_paths (void **state)
{
    (void)state;
    expr_t *path = s_compile (" items ");
    expr_t *page = s_compile ("page");
    expr_t *sum = s_compile ("sum(items, qty * price) + $.x + page");
    assert_int_equal (expr_is_path (path), 1);
    assert_string_equal (expr_source (path), "items");
    assert_int_equal (expr_is_path (page), 0);
    assert_int_equal (expr_is_path (sum), 0);
    assert_int_equal (expr_path_count (path), 1);
    assert_int_equal (expr_path_count (page), 0);
    assert_int_equal (expr_path_count (sum), 4);
    expr_destroy (&path);
    expr_destroy (&page);
    expr_destroy (&sum);
}

static void
test_expr_lists_string_literals (void **state)
{
    (void)state;
    expr_t *expr = s_compile ("a | default: 'it\\'s' | thousands: \".\"");
    assert_int_equal (expr_literal_count (expr), 2);
    assert_string_equal (expr_literal (expr, 0), "it's");
    assert_string_equal (expr_literal (expr, 1), ".");
    assert_null (expr_literal (expr, 2));
    expr_destroy (&expr);
}

// ---------------------------------------------------------------------------
// Arithmetic

static void
test_expr_computes_with_precedence_and_parentheses (void **state)
{
    (void)state;
    s_assert_gives ("1 + 2 * 3", "{}", "7");
    s_assert_gives ("(1 + 2) * 3", "{}", "9");
    s_assert_gives ("10 - 4 - 3", "{}", "3");
    s_assert_gives ("12 / 4 / 3", "{}", "1");
    s_assert_gives ("-2 * -3", "{}", "6");
    s_assert_gives ("- (items[0].qty + 1)", S_INVOICE, "-3");
    s_assert_gives ("items[0].qty * items[0].price", S_INVOICE, "3000");
}

static void
test_expr_prints_computed_results_without_binary_noise (void **state)
{
    (void)state;
    s_assert_gives ("0.1 + 0.2", "{}", "0.3");
    s_assert_gives ("1 / 3", "{}", "0.333333333333333");
    s_assert_gives ("a", "{\"a\": 0.30000000000000004}", "0.30000000000000004");
}

static void
test_expr_reads_numeric_strings_as_numbers (void **state)
{
    (void)state;
    s_assert_gives ("rate * 4", S_INVOICE, "2");
    s_assert_gives ("a + b", "{\"a\": \"-1.5e2\", \"b\": \"50\"}", "-100");
}

static void
test_expr_sums_and_counts_arrays (void **state)
{
    (void)state;
    s_assert_gives ("sum(items, qty * price)", S_INVOICE, "126101.5");
    s_assert_gives ("sum(items, qty)", S_INVOICE, "6");
    s_assert_gives ("sum(prices)", S_INVOICE, "6.5");
    s_assert_gives ("sum(empty, qty)", S_INVOICE, "0");
    s_assert_gives ("count(items)", S_INVOICE, "3");
    s_assert_gives ("count(empty)", S_INVOICE, "0");
    s_assert_gives ("sum(grid, sum($.items, qty))", S_INVOICE, "12");
}

static void
test_expr_reaches_the_record_from_an_item (void **state)
{
    (void)state;
    s_assert_gives ("sum(items, qty * $.rate)", S_INVOICE, "3");
}

static void
test_expr_evaluates_in_a_row_item_scope (void **state)
{
    (void)state;
    cJSON *record = cJSON_Parse (S_INVOICE);
    assert_non_null (record);
    const cJSON *item =
        cJSON_GetArrayItem (cJSON_GetObjectItem (record, "items"), 1);
    expr_scope_t scope = {record, item, "records[7].items[1]", 8, 20, 7};
    expr_t *expr = s_compile ("qty * price | fixed: 2 | thousands");
    expr_text_t out;
    fielderr_t err = {"", ""};
    assert_int_equal (expr_eval_text (expr, &scope, S_ORIGIN, &out, &err), 0);
    assert_string_equal (out.text, "123,001.50");
    expr_destroy (&expr);
    expr = s_compile ("discount");
    assert_int_equal (expr_eval_text (expr, &scope, S_ORIGIN, &out, &err), -1);
    assert_string_equal (err.field, "records[7].items[1].discount");
    assert_string_equal (err.message,
                         "missing field 'discount' used by " S_ORIGIN);
    expr_destroy (&expr);
    cJSON_Delete (record);
}

// ---------------------------------------------------------------------------
// Filters and formats

static void
test_expr_default_replaces_missing_and_null (void **state)
{
    (void)state;
    s_assert_gives ("customer.phone | default: \"-\"", S_INVOICE, "-");
    s_assert_gives ("customer.fax | default: '-'", S_INVOICE, "-");
    s_assert_gives ("customer.name | default: '-'", S_INVOICE, "Ada");
    s_assert_gives ("discount * 2 | default: 0", S_INVOICE, "0");
    s_assert_gives ("(discount | default: 1) * 2", S_INVOICE, "2");
    s_assert_gives ("sum(nothing, qty) | default: -1", S_INVOICE, "-1");
}

static void
test_expr_fixed_writes_decimals (void **state)
{
    (void)state;
    s_assert_gives ("a | fixed: 2", "{\"a\": 3}", "3.00");
    s_assert_gives ("a | fixed: 0", "{\"a\": 2.5}", "2");
    s_assert_gives ("a | fixed: 1", "{\"a\": \"7.25\"}", "7.2");
    s_assert_gives ("a | fixed: 2", "{\"a\": -0.001}", "0.00");
}

static void
test_expr_thousands_groups_digits (void **state)
{
    (void)state;
    s_assert_gives ("a | thousands", "{\"a\": 1234567}", "1,234,567");
    s_assert_gives ("a | thousands", "{\"a\": 999}", "999");
    s_assert_gives ("a | thousands", "{\"a\": -1234.5}", "-1,234.5");
    s_assert_gives ("a | thousands: '.' | fixed: 2", "{\"a\": 1234567.891}",
                    "1.234.567.89");
    s_assert_gives ("a | thousands: ' '", "{\"a\": 1000}", "1 000");
}

static void
test_expr_pad_adds_leading_zeros (void **state)
{
    (void)state;
    s_assert_gives ("number | pad: 6", S_INVOICE, "000042");
    s_assert_gives ("a | pad: 3", "{\"a\": 12345}", "12345");
    s_assert_gives ("a | pad: 5", "{\"a\": -42}", "-00042");
    s_assert_gives ("a | pad: 4 | fixed: 1", "{\"a\": 3.14}", "0003.1");
    s_assert_gives ("a | pad: 5", "{\"a\": \"A7\"}", "000A7");
    s_assert_gives ("a | pad: 7 | thousands", "{\"a\": 1234}", "0,001,234");
}

static void
test_expr_leaves_huge_numbers_unformatted (void **state)
{
    (void)state;
    s_assert_gives ("a | thousands | fixed: 2", "{\"a\": 1e22}", "1e+22");
}

static void
test_expr_formats_invoice_amounts (void **state)
{
    (void)state;
    const char *record =
        "{\"items\": [{\"qty\": 8, \"unit_price\": 26133}, {\"qty\": 13, "
        "\"unit_price\": 76057}]}";
    s_assert_gives ("items[0].qty * items[0].unit_price | thousands", record,
                    "209,064");
    s_assert_gives ("sum(items, qty * unit_price) | thousands", record,
                    "1,197,805");
}

// ---------------------------------------------------------------------------
// Evaluation errors

static void
test_expr_reports_missing_field_with_record_number (void **state)
{
    (void)state;
    s_assert_fails ("customer.fax", S_INVOICE, "records[7].customer.fax",
                    "missing field 'customer.fax' used by " S_ORIGIN);
    s_assert_fails ("items[5].qty", S_INVOICE, "records[7].items[5].qty",
                    "'items' has 3 items, numbered from 0");
    s_assert_fails ("a * 2", "{}", "records[7].a", "missing field 'a'");
}

static void
test_expr_reports_null_object_and_array_values (void **state)
{
    (void)state;
    s_assert_fails ("customer.phone", S_INVOICE, "records[7].customer.phone",
                    "is null; expected a string, number or boolean");
    s_assert_fails ("customer", S_INVOICE, "records[7].customer",
                    "is an object; expected");
    s_assert_fails ("items", S_INVOICE, "records[7].items",
                    "is an array; expected");
}

static void
test_expr_reports_strings_that_are_not_numbers (void **state)
{
    (void)state;
    s_assert_fails ("customer.name * 2", S_INVOICE, "records[7].customer.name",
                    "field 'customer.name' used by " S_ORIGIN
                    " is \"Ada\" (string); '*' needs numbers");
    s_assert_fails ("a + 1", "{\"a\": \"12 kg\"}", "records[7].a",
                    "'+' needs numbers");
    s_assert_fails ("a + 1", "{\"a\": true}", "records[7].a",
                    "true (boolean); '+' needs numbers");
    s_assert_fails ("a | fixed: 2", "{\"a\": \"n/a\"}", "records[7].a",
                    "'fixed' needs a number");
    s_assert_fails ("a | thousands", "{\"a\": null}", "records[7].a",
                    "'thousands' needs a number");
    s_assert_fails ("a | pad: 3", "{\"a\": [1]}", "records[7].a",
                    "'pad' needs a number or a string");
    s_assert_fails ("(a | default: 'x') * 2", "{}", S_ORIGIN,
                    "'*' needs numbers got the string \"x\"");
}

static void
test_expr_reports_division_by_zero (void **state)
{
    (void)state;
    s_assert_fails ("a / b", "{\"a\": 1, \"b\": 0}", "records[7].b",
                    "{{ a / b }} (used by " S_ORIGIN
                    ") divides by zero for records[7]");
    s_assert_fails ("a / (b - b)", "{\"a\": 1, \"b\": 3}", S_ORIGIN,
                    "divides by zero");
}

static void
test_expr_reports_results_too_large (void **state)
{
    (void)state;
    s_assert_fails ("a * a", "{\"a\": 1e200}", S_ORIGIN,
                    "is too large to represent");
}

static void
test_expr_reports_sum_errors_naming_the_item (void **state)
{
    (void)state;
    s_assert_fails ("sum(items, qty * discount)", S_INVOICE,
                    "records[7].items[0].discount",
                    "missing field 'discount' used by " S_ORIGIN);
    s_assert_fails ("sum(customer, qty)", S_INVOICE, "records[7].customer",
                    "sum() needs an array");
    s_assert_fails ("count(date)", S_INVOICE, "records[7].date",
                    "count() needs an array");
    s_assert_fails ("sum(list)", "{\"list\": [1, \"x\"]}", "records[7].list[1]",
                    "item of 'list' used by " S_ORIGIN
                    " is \"x\" (string); sum() needs numbers");
    s_assert_fails ("sum(list, qty)", "{\"list\": [1]}",
                    "records[7].list[0].qty",
                    "the item is a number, not an object");
}

static void
test_expr_eval_array_finds_rows (void **state)
{
    (void)state;
    cJSON *record = cJSON_Parse (S_INVOICE);
    assert_non_null (record);
    expr_scope_t scope = {record, NULL, NULL, 1, 1, 3};
    expr_t *expr = s_compile ("items");
    const cJSON *array = NULL;
    char field[FIELDERR_FIELD_MAX];
    fielderr_t err = {"", ""};
    assert_int_equal (expr_eval_array (expr, &scope, "T.rows", "table rows",
                                       &array, field, sizeof field, &err),
                      0);
    assert_int_equal (cJSON_GetArraySize (array), 3);
    assert_string_equal (field, "records[3].items");
    expr_destroy (&expr);
    expr = s_compile ("date");
    assert_int_equal (expr_eval_array (expr, &scope, "T.rows", "table rows",
                                       &array, field, sizeof field, &err),
                      -1);
    assert_string_equal (err.field, "records[3].date");
    s_assert_contains (err.message, "table rows need an array");
    expr_destroy (&expr);
    expr = s_compile ("lines");
    assert_int_equal (expr_eval_array (expr, &scope, "T.rows", "table rows",
                                       &array, field, sizeof field, &err),
                      -1);
    assert_string_equal (err.message, "missing field 'lines' used by T.rows");
    expr_destroy (&expr);
    cJSON_Delete (record);
}

// ---------------------------------------------------------------------------
// Compile errors

static void
test_expr_rejects_empty_and_unexpected_text (void **state)
{
    (void)state;
    s_assert_compile_fails ("   ", "empty expression");
    s_assert_compile_fails ("a b", "unexpected text at 'b'");
    s_assert_compile_fails ("a +", "expected a value (a field path, a number "
                                   "or a quoted string) at the end");
    s_assert_compile_fails ("a % 2", "unexpected text at '% 2'");
    s_assert_compile_fails ("(a + 1", "expected ')' at the end");
    s_assert_compile_fails ("a | ", "expected a filter name after '|'");
}

static void
test_expr_rejects_bad_paths (void **state)
{
    (void)state;
    s_assert_compile_fails ("a..b", "expected a field name after '.'");
    s_assert_compile_fails ("a.", "expected a field name after '.'");
    s_assert_compile_fails ("items.01", "item number '01' has a leading zero");
    s_assert_compile_fails ("items[01]", "has a leading zero");
    s_assert_compile_fails ("items[x]", "expected an item number and ']'");
    s_assert_compile_fails ("$", "'$' is the record");
    s_assert_compile_fails ("2024abc", "a name cannot start with a digit");
}

static void
test_expr_rejects_bad_strings (void **state)
{
    (void)state;
    s_assert_compile_fails ("a | default: 'x", "unclosed string");
    s_assert_compile_fails ("a | default: 'x\\n'", "unknown escape");
    s_assert_compile_fails ("'a' * 2", "'*' needs numbers, but 'a' is a "
                                       "quoted string");
    s_assert_compile_fails ("2 + \"b\"", "'+' needs numbers");
}

static void
test_expr_rejects_bad_filters (void **state)
{
    (void)state;
    s_assert_compile_fails ("a | thousand", "unknown filter 'thousand'; "
                                            "expected one of: default, fixed, "
                                            "thousands, pad");
    s_assert_compile_fails ("a | default", "'default' takes one value");
    s_assert_compile_fails ("a | default: 1, 2", "'default' takes one value");
    s_assert_compile_fails ("a | fixed", "'fixed' takes one whole number");
    s_assert_compile_fails ("a | fixed: 11", "from 0 to 10");
    s_assert_compile_fails ("a | fixed: 'x'", "from 0 to 10");
    s_assert_compile_fails ("a | pad: 0", "from 1 to 32");
    s_assert_compile_fails ("a | pad: 2.5", "from 1 to 32");
    s_assert_compile_fails ("a | thousands: 3", "quoted separator");
    s_assert_compile_fails ("a | thousands: 'abcdefghi'", "at most 8 bytes");
    s_assert_compile_fails ("a | thousands: ',', '.'",
                            "'thousands' takes at most one argument");
    s_assert_compile_fails ("a | fixed: x", "expected a number or a quoted "
                                            "string as a filter argument");
}

static void
test_expr_rejects_bad_calls (void **state)
{
    (void)state;
    s_assert_compile_fails ("avg(items, qty)", "unknown function 'avg'");
    s_assert_compile_fails ("sum(2, qty)",
                            "sum() takes the path of an array field first");
    s_assert_compile_fails ("count(items, qty)", "count() takes one argument");
    s_assert_compile_fails ("sum(items, qty", "expected ')' to close sum(");
}

static void
test_expr_bounds_depth_and_size (void **state)
{
    (void)state;
    char deep[200];
    size_t used = 0;
    for (int level = 0; level < 40; level++)
        deep[used++] = '(';
    deep[used++] = '1';
    for (int level = 0; level < 40; level++)
        deep[used++] = ')';
    deep[used] = '\0';
    s_assert_compile_fails (deep, "nested deeper than 32 levels");
    char minus[100];
    memset (minus, '-', 40);
    strcpy (minus + 40, "1");
    s_assert_compile_fails (minus, "nested deeper than 32 levels");
    char *wide = malloc (EXPR_NODES_MAX * 4 + 8);
    assert_non_null (wide);
    used = 0;
    for (int term = 0; term <= EXPR_NODES_MAX / 2; term++)
        used += (size_t)sprintf (wide + used, "%s1", term ? "+" : "");
    s_assert_compile_fails (wide, "more than 256 operands");
    free (wide);
}

static void
test_expr_destroy_twice_is_harmless (void **state)
{
    (void)state;
    expr_t *expr = s_compile ("a");
    expr_destroy (&expr);
    assert_null (expr);
    expr_destroy (&expr);
}

static void
test_expr_bounds_the_items_a_sum_visits (void **state)
{
    (void)state;
    //  1001 items summed 1001 times over: more than a million visits.
    char *record = malloc (1001 * 2 + 16);
    assert_non_null (record);
    size_t used = (size_t)sprintf (record, "{\"a\": [");
    for (int item = 0; item < 1001; item++)
        used += (size_t)sprintf (record + used, "%s1", item ? "," : "");
    strcpy (record + used, "]}");
    s_assert_gives ("sum(a, sum($.a))", "{\"a\": [1, 2]}", "6");
    s_assert_fails ("sum(a, sum($.a))", record, S_ORIGIN,
                    "{{ sum(a, sum($.a)) }} visits more than 1000000 array "
                    "items for records[7]");
    free (record);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_expr_reads_paths_dotted_and_indexed),
        cmocka_unit_test (test_expr_reads_page_variables),
        cmocka_unit_test (test_expr_allows_dashes_in_names),
        cmocka_unit_test (test_expr_is_path_and_counts_paths),
        cmocka_unit_test (test_expr_lists_string_literals),
        cmocka_unit_test (test_expr_computes_with_precedence_and_parentheses),
        cmocka_unit_test (
            test_expr_prints_computed_results_without_binary_noise),
        cmocka_unit_test (test_expr_reads_numeric_strings_as_numbers),
        cmocka_unit_test (test_expr_sums_and_counts_arrays),
        cmocka_unit_test (test_expr_reaches_the_record_from_an_item),
        cmocka_unit_test (test_expr_evaluates_in_a_row_item_scope),
        cmocka_unit_test (test_expr_default_replaces_missing_and_null),
        cmocka_unit_test (test_expr_fixed_writes_decimals),
        cmocka_unit_test (test_expr_thousands_groups_digits),
        cmocka_unit_test (test_expr_pad_adds_leading_zeros),
        cmocka_unit_test (test_expr_leaves_huge_numbers_unformatted),
        cmocka_unit_test (test_expr_formats_invoice_amounts),
        cmocka_unit_test (test_expr_reports_missing_field_with_record_number),
        cmocka_unit_test (test_expr_reports_null_object_and_array_values),
        cmocka_unit_test (test_expr_reports_strings_that_are_not_numbers),
        cmocka_unit_test (test_expr_reports_division_by_zero),
        cmocka_unit_test (test_expr_reports_results_too_large),
        cmocka_unit_test (test_expr_reports_sum_errors_naming_the_item),
        cmocka_unit_test (test_expr_eval_array_finds_rows),
        cmocka_unit_test (test_expr_rejects_empty_and_unexpected_text),
        cmocka_unit_test (test_expr_rejects_bad_paths),
        cmocka_unit_test (test_expr_rejects_bad_strings),
        cmocka_unit_test (test_expr_rejects_bad_filters),
        cmocka_unit_test (test_expr_rejects_bad_calls),
        cmocka_unit_test (test_expr_bounds_depth_and_size),
        cmocka_unit_test (test_expr_bounds_the_items_a_sum_visits),
        cmocka_unit_test (test_expr_destroy_twice_is_harmless),
        cmocka_unit_test (test_expr_formats_numbers_as_printf),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
