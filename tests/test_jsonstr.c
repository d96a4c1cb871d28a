/*  test_jsonstr - common/util/jsonstr: text written as a JSON string reads
    back as the same text.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "jsonstr.h"

static void
test_plain_text_is_quoted_as_it_is (void **state)
{
    (void)state;
    bytebuf_t out = {0};
    assert_int_equal (jsonstr_append (&out, "caf\xC3\xA9 / 1", 9), 0);
    assert_string_equal (out.data, "\"caf\xC3\xA9 / 1\"");
    bytebuf_free (&out);
}

static void
test_quotes_backslashes_and_controls_are_escaped (void **state)
{
    (void)state;
    bytebuf_t out = {0};
    const char text[] = "a\"b\\c\nd\re\tf\x01g\x1F";
    assert_int_equal (jsonstr_append (&out, text, sizeof text - 1), 0);
    assert_string_equal (out.data,
                         "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001f\"");
    bytebuf_free (&out);
}

static void
test_escaped_text_reads_back_the_same (void **state)
{
    (void)state;
    bytebuf_t out = {0};
    char text[0x80];
    for (size_t index = 0; index < sizeof text; index++)
        text[index] = (char)(index + 1); // every ASCII byte but NUL
    assert_int_equal (jsonstr_append (&out, text, sizeof text - 1), 0);
    cJSON *parsed = cJSON_Parse (out.data);
    assert_non_null (parsed);
    assert_true (cJSON_IsString (parsed));
    assert_int_equal (strlen (parsed->valuestring), sizeof text - 1);
    assert_memory_equal (parsed->valuestring, text, sizeof text - 1);
    cJSON_Delete (parsed);
    bytebuf_free (&out);
}

static void
test_appends_after_what_is_there (void **state)
{
    (void)state;
    bytebuf_t out = {0};
    bytebuf_append_str (&out, "{");
    jsonstr_append (&out, "k", 1);
    bytebuf_append_str (&out, ":");
    jsonstr_append (&out, "", 0);
    bytebuf_append_str (&out, "}");
    assert_string_equal (out.data, "{\"k\":\"\"}");
    bytebuf_free (&out);
}

static void
s_assert_nul_at (const char *text, size_t expected)
{
    assert_int_equal (jsonstr_nul_escape_at (text, strlen (text)), expected);
}

static void
test_nul_escapes_in_strings_are_found (void **state)
{
    (void)state;
    s_assert_nul_at ("{\"a\": \"x\\u0000y\"}", 8);
    s_assert_nul_at ("{\"\\u0000\": 1}", 2);
    s_assert_nul_at ("[\"\\\"\", \"\\u0000\"]", 8);
    //  An escaped backslash before "u0000" is text; \u0001 is not a NUL;
    //  an escape cut short at the end is none.
    s_assert_nul_at ("{\"a\": \"\\\\u0000\"}", 16);
    s_assert_nul_at ("{\"a\": \"\\u0001\"}", 15);
    s_assert_nul_at ("", 0);
    s_assert_nul_at ("{\"a\": \"\\u000", 12);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_plain_text_is_quoted_as_it_is),
        cmocka_unit_test (test_quotes_backslashes_and_controls_are_escaped),
        cmocka_unit_test (test_escaped_text_reads_back_the_same),
        cmocka_unit_test (test_appends_after_what_is_there),
        cmocka_unit_test (test_nul_escapes_in_strings_are_found),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
