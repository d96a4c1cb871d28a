/*  test_apitoken - API tokens: random, hashed with SHA-256, compared
    without regard to hex case.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "apitoken.h"

static void
test_generate_makes_distinct_hex_tokens (void **state)
{
    (void)state;
    char first[APITOKEN_TEXT_SIZE], second[APITOKEN_TEXT_SIZE];
    assert_int_equal (apitoken_generate (first), 0);
    assert_int_equal (apitoken_generate (second), 0);
    assert_int_equal (strlen (first), 2 * APITOKEN_BYTES);
    assert_int_equal (strspn (first, "0123456789abcdef"), 2 * APITOKEN_BYTES);
    assert_string_not_equal (first, second);
}

static void
test_hash_is_hex_sha256_of_the_text (void **state)
{
    (void)state;
    char hash[APITOKEN_HASH_SIZE];
    //  sha256("abc"), FIPS 180-2 appendix B.1.
    assert_int_equal (apitoken_hash ("abc", 3, hash), 0);
    assert_string_equal (hash, "ba7816bf8f01cfea414140de5dae2223"
                               "b00361a396177a9cb410ff61f20015ad");
    assert_true (apitoken_hash_valid (hash));
}

static void
test_hash_refuses_empty_and_overlong_tokens (void **state)
{
    (void)state;
    char hash[APITOKEN_HASH_SIZE];
    assert_int_equal (apitoken_hash ("", 0, hash), -1);
    char long_token[APITOKEN_TEXT_MAX + 2];
    memset (long_token, 'a', sizeof long_token - 1);
    long_token[sizeof long_token - 1] = '\0';
    assert_int_equal (apitoken_hash (long_token, strlen (long_token), hash),
                      -1);
    assert_int_equal (apitoken_hash (long_token, APITOKEN_TEXT_MAX, hash), 0);
}

static void
test_hash_equal_ignores_case_only (void **state)
{
    (void)state;
    const char *lower = "ba7816bf8f01cfea414140de5dae2223"
                        "b00361a396177a9cb410ff61f20015ad";
    const char *upper = "BA7816BF8F01CFEA414140DE5DAE2223"
                        "B00361A396177A9CB410FF61F20015AD";
    const char *other = "ba7816bf8f01cfea414140de5dae2223"
                        "b00361a396177a9cb410ff61f20015ae";
    assert_true (apitoken_hash_equal (lower, upper));
    assert_false (apitoken_hash_equal (lower, other));
    assert_false (apitoken_hash_equal (lower, "ba78"));
    assert_false (apitoken_hash_valid ("zz7816bf8f01cfea414140de5dae2223"
                                       "b00361a396177a9cb410ff61f20015ad"));
}

static void
test_names_are_idents (void **state)
{
    (void)state;
    assert_true (apitoken_name_valid ("billing-app_2"));
    assert_false (apitoken_name_valid (""));
    assert_false (apitoken_name_valid ("a b"));
    assert_false (apitoken_name_valid ("../x"));
    char long_name[APITOKEN_NAME_MAX + 2];
    memset (long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_false (apitoken_name_valid (long_name));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_generate_makes_distinct_hex_tokens),
        cmocka_unit_test (test_hash_is_hex_sha256_of_the_text),
        cmocka_unit_test (test_hash_refuses_empty_and_overlong_tokens),
        cmocka_unit_test (test_hash_equal_ignores_case_only),
        cmocka_unit_test (test_names_are_idents),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
