/*  test_tpldigest - the digest that names a job's template on the wire.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tpldigest.h"

static void
test_digest_is_sha256_of_the_text (void **state)
{
    (void)state;
    //  FIPS 180-2's example "abc".
    tpldigest_t digest;
    assert_int_equal (tpldigest_compute ("abc", 3, &digest), 0);
    char hex[TPLDIGEST_HEX_SIZE];
    assert_string_equal (
        tpldigest_hex (&digest, hex),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal (tpldigest_compute ("", 0, &digest), 0);
    assert_string_equal (
        tpldigest_hex (&digest, hex),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_matches_only_the_same_bytes (void **state)
{
    (void)state;
    const char *text = "{\"template\":{\"page\":{}},\"assets\":{}}";
    tpldigest_t digest;
    assert_int_equal (tpldigest_compute (text, strlen (text), &digest), 0);
    assert_true (tpldigest_matches (text, strlen (text), &digest));
    //  One byte more, one byte less, one byte changed.
    assert_false (
        tpldigest_matches ("{\"template\":{\"page\":{}},\"assets\":{}} ",
                           strlen (text) + 1, &digest));
    assert_false (tpldigest_matches (text, strlen (text) - 1, &digest));
    assert_false (
        tpldigest_matches ("{\"template\":{\"page\":{}},\"assets\":{]}",
                           strlen (text), &digest));
}

static void
test_equal_compares_every_byte (void **state)
{
    (void)state;
    tpldigest_t one, other;
    assert_int_equal (tpldigest_compute ("a", 1, &one), 0);
    other = one;
    assert_true (tpldigest_equal (&one, &other));
    other.bytes[TPLDIGEST_SIZE - 1] ^= 1;
    assert_false (tpldigest_equal (&one, &other));
    other = one;
    other.bytes[0] ^= 0x80;
    assert_false (tpldigest_equal (&one, &other));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_digest_is_sha256_of_the_text),
        cmocka_unit_test (test_matches_only_the_same_bytes),
        cmocka_unit_test (test_equal_compares_every_byte),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
