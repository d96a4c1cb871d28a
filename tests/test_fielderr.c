/*  test_fielderr - common/doc/fielderr: filling in an error, formatting
    it, and keeping it valid UTF-8 whatever went into it.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fielderr.h"

static void
test_fielderr_set_fills_field_and_message (void **state)
{
    (void)state;
    fielderr_t err;
    fielderr_set (&err, "template.elements[2].size", "must be %s", "a number");
    assert_string_equal (err.field, "template.elements[2].size");
    assert_string_equal (err.message, "must be a number");
}

static void
test_fielderr_set_accepts_null_error_and_field (void **state)
{
    (void)state;
    fielderr_set (NULL, "a", "b");
    fielderr_t err;
    fielderr_set (&err, NULL, "whole document");
    assert_string_equal (err.field, "");
}

static void
test_fielderr_format_joins_field_and_message (void **state)
{
    (void)state;
    fielderr_t err;
    char text[64];
    fielderr_set (&err, "version", "must be 1");
    fielderr_format (&err, text, sizeof text);
    assert_string_equal (text, "version: must be 1");
    fielderr_set (&err, "", "empty document");
    fielderr_format (&err, text, sizeof text);
    assert_string_equal (text, "empty document");
}

static void
test_fielderr_truncates_on_a_character_boundary (void **state)
{
    (void)state;
    char *long_text = malloc (2000);
    assert_non_null (long_text);
    long_text[0] = 'a';
    for (int index = 0; index < 666; index++)
        memcpy (long_text + 1 + index * 3, "김", 3);
    long_text[1999] = '\0';
    fielderr_t err;
    fielderr_set (&err, long_text, "%s", long_text);
    //  1 + 3n bytes fit below each buffer size; the next character does not.
    assert_int_equal (strlen (err.field), 1 + 3 * 84);
    assert_int_equal (strlen (err.message), 1 + 3 * 170);
    free (long_text);
}

static void
test_fielderr_replaces_control_characters_and_bad_utf8 (void **state)
{
    (void)state;
    fielderr_t err;
    fielderr_set (&err, "a\nb", "x\x01y\xFFz\xC3");
    assert_string_equal (err.field, "a?b");
    assert_string_equal (err.message, "x?y?z?");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fielderr_set_fills_field_and_message),
        cmocka_unit_test (test_fielderr_set_accepts_null_error_and_field),
        cmocka_unit_test (test_fielderr_format_joins_field_and_message),
        cmocka_unit_test (test_fielderr_truncates_on_a_character_boundary),
        cmocka_unit_test (
            test_fielderr_replaces_control_characters_and_bad_utf8),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
