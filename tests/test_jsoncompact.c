/*  test_jsoncompact - parsed JSON written back compact, numbers exact.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsoncompact.h"

//  text parsed by cJSON and written back by jsoncompact_append.
static char *
s_compact (const char *text)
{
    cJSON *value = cJSON_Parse (text);
    assert_non_null (value);
    bytebuf_t out = {0};
    assert_int_equal (jsoncompact_append (&out, value), 0);
    cJSON_Delete (value);
    char *compact = bytebuf_detach (&out);
    assert_non_null (compact);
    return compact;
}

static void
s_assert_compact (const char *text, const char *expected)
{
    char *compact = s_compact (text);
    assert_string_equal (compact, expected);
    free (compact);
}

static void
test_white_space_goes_and_order_stays (void **state)
{
    (void)state;
    s_assert_compact ("{ \"b\" : [ 1 , { } , [ ] , null , true , false ] ,\n"
                      "  \"a\" : { \"c\" : \"d\" } }",
                      "{\"b\":[1,{},[],null,true,false],\"a\":{\"c\":\"d\"}}");
    s_assert_compact ("\"alone\"", "\"alone\"");
    s_assert_compact ("[]", "[]");
}

static void
test_numbers_read_back_the_same (void **state)
{
    (void)state;
    s_assert_compact ("[9007199254740991, 0.30000000000000004, -1.5e300, "
                      "100001.0, -0, 1e2]",
                      "[9007199254740991,0.30000000000000004,-1.5e+300,"
                      "100001,0,100]");
}

static void
test_strings_are_escaped_and_hold_no_line_break (void **state)
{
    (void)state;
    char *compact = s_compact ("{\"q\\\"k\": \"a\\\"b\\\\c\\n\\u0001/é\"}");
    assert_string_equal (compact, "{\"q\\\"k\":\"a\\\"b\\\\c\\n\\u0001/é\"}");
    assert_null (strchr (compact, '\n'));
    free (compact);
}

static void
test_nesting_past_the_limit_fails (void **state)
{
    (void)state;
    cJSON *value = cJSON_CreateArray ();
    cJSON *inner = value;
    for (int level = 0; level < JSONCOMPACT_NESTING_MAX + 1; level++) {
        cJSON *deeper = cJSON_CreateArray ();
        cJSON_AddItemToArray (inner, deeper);
        inner = deeper;
    }
    cJSON_AddItemToArray (inner, cJSON_CreateNumber (1));
    bytebuf_t out = {0};
    assert_int_equal (jsoncompact_append (&out, value), -1);
    assert_true (out.failed);
    bytebuf_free (&out);
    cJSON_Delete (value);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_white_space_goes_and_order_stays),
        cmocka_unit_test (test_numbers_read_back_the_same),
        cmocka_unit_test (test_strings_are_escaped_and_hold_no_line_break),
        cmocka_unit_test (test_nesting_past_the_limit_fails),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
