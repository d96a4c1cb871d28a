/*  test_base64 - common/util/base64: encoding, decoding what clients send,
    and refusing what is not base64.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"

static void
test_encode_pads_to_whole_groups (void **state)
{
    (void)state;
    const char *expected[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                              "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t length = 0; length <= 6; length++) {
        char *text = base64_encode ("foobar", length);
        assert_string_equal (text, expected[length]);
        free (text);
    }
}

static void
test_every_byte_value_round_trips (void **state)
{
    (void)state;
    unsigned char bytes[256];
    for (size_t index = 0; index < sizeof bytes; index++)
        bytes[index] = (unsigned char)index;
    char *text = base64_encode (bytes, sizeof bytes);
    size_t size = 0, bad_at = 0;
    base64_error_t error = 0;
    unsigned char *decoded =
        base64_decode (text, sizeof bytes, &size, &error, &bad_at);
    assert_non_null (decoded);
    assert_int_equal (size, sizeof bytes);
    assert_memory_equal (decoded, bytes, sizeof bytes);
    free (decoded);
    free (text);
}

static void
test_decode_skips_white_space_and_missing_padding (void **state)
{
    (void)state;
    size_t size = 0, bad_at = 0;
    base64_error_t error = 0;
    unsigned char *decoded =
        base64_decode (" Zm9v\r\nYmE\t", 100, &size, &error, &bad_at);
    assert_non_null (decoded);
    assert_int_equal (size, 5);
    assert_memory_equal (decoded, "fooba", 5);
    free (decoded);
}

static void
test_decode_names_the_bad_character (void **state)
{
    (void)state;
    size_t size = 0, bad_at = 0;
    base64_error_t error = 0;
    assert_null (base64_decode ("Zm9v!mFy", 100, &size, &error, &bad_at));
    assert_int_equal (error, BASE64_INVALID);
    assert_int_equal (bad_at, 5);
    //  Nothing may follow the padding.
    assert_null (base64_decode ("Zg==Zg==", 100, &size, &error, &bad_at));
    assert_int_equal (error, BASE64_INVALID);
    assert_int_equal (bad_at, 5);
    //  A single character left over cannot end a byte: the text was cut.
    assert_null (base64_decode ("Zm9vY", 100, &size, &error, &bad_at));
    assert_int_equal (error, BASE64_INVALID);
    assert_int_equal (bad_at, 5);
}

static void
test_decode_refuses_more_than_max_size (void **state)
{
    (void)state;
    size_t size = 0, bad_at = 0;
    base64_error_t error = 0;
    assert_null (base64_decode ("Zm9vYmFy", 5, &size, &error, &bad_at));
    assert_int_equal (error, BASE64_TOO_LARGE);
    unsigned char *decoded =
        base64_decode ("Zm9vYmFy", 6, &size, &error, &bad_at);
    assert_non_null (decoded);
    free (decoded);
    //  A long text is refused before it is decoded.
    char *long_text = malloc (4001);
    memset (long_text, 'A', 4000);
    long_text[4000] = '\0';
    assert_null (base64_decode (long_text, 100, &size, &error, &bad_at));
    assert_int_equal (error, BASE64_TOO_LARGE);
    free (long_text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_encode_pads_to_whole_groups),
        cmocka_unit_test (test_every_byte_value_round_trips),
        cmocka_unit_test (test_decode_skips_white_space_and_missing_padding),
        cmocka_unit_test (test_decode_names_the_bad_character),
        cmocka_unit_test (test_decode_refuses_more_than_max_size),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
