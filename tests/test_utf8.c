/*  test_utf8 - common/util/utf8: which bytes are valid UTF-8, and cutting
    text without splitting a character.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

static void
test_decode_gives_length_and_code_point (void **state)
{
    (void)state;
    uint32_t codepoint = 0;
    assert_int_equal (utf8_decode ("A", 1, &codepoint), 1);
    assert_int_equal (codepoint, 0x41);
    assert_int_equal (utf8_decode ("\xC3\xA9", 2, &codepoint), 2);
    assert_int_equal (codepoint, 0xE9);
    assert_int_equal (utf8_decode ("\xEA\xB9\x80", 3, &codepoint), 3);
    assert_int_equal (codepoint, 0xAE40);
    assert_int_equal (utf8_decode ("\xF0\x9F\x98\x80", 4, &codepoint), 4);
    assert_int_equal (codepoint, 0x1F600);
    assert_int_equal (utf8_decode ("\xF4\x8F\xBF\xBF", 4, NULL), 4);
    assert_int_equal (utf8_decode ("\0", 1, &codepoint), 1);
    assert_int_equal (codepoint, 0);
}

static void
test_decode_refuses_invalid_sequences (void **state)
{
    (void)state;
    const char *bad[] = {
        "\x80",             // stray continuation
        "\xC0\xAF",         // overlong '/'
        "\xC1\xBF",         // overlong
        "\xE0\x80\xAF",     // overlong
        "\xF0\x80\x80\xAF", // overlong
        "\xED\xA0\x80",     // surrogate U+D800
        "\xF4\x90\x80\x80", // past U+10FFFF
        "\xF5\x80\x80\x80", // no such lead byte
        "\xC3\x41",         // missing continuation
        "\xFF",
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        uint32_t codepoint = 7;
        if (utf8_decode (bad[index], strlen (bad[index]), &codepoint) != 0)
            fail_msg ("bad sequence %zu was accepted", index);
        assert_int_equal (codepoint, 7);
    }
    //  Cut short by the end of what is available.
    assert_int_equal (utf8_decode ("\xEA\xB9\x80", 2, NULL), 0);
    assert_int_equal (utf8_decode ("A", 0, NULL), 0);
}

static void
test_decode_str_stops_at_the_nul (void **state)
{
    (void)state;
    uint32_t codepoint = 0;
    assert_int_equal (utf8_decode_str ("", &codepoint), 0);
    assert_int_equal (utf8_decode_str ("\xEA\xB9", &codepoint), 0);
    assert_int_equal (utf8_decode_str ("\xEA\xB9\x80x", &codepoint), 3);
    assert_int_equal (codepoint, 0xAE40);
}

static void
test_invalid_at_finds_the_first_bad_byte (void **state)
{
    (void)state;
    const char *good = "caf\xC3\xA9 \xEA\xB9\x80";
    assert_int_equal (utf8_invalid_at (good, strlen (good)), strlen (good));
    assert_int_equal (utf8_invalid_at ("ab\xC3", 3), 2);
    assert_int_equal (utf8_invalid_at ("ab\xED\xA0\x80z", 6), 2);
    assert_int_equal (utf8_invalid_at ("a\0b", 3), 3);
    assert_int_equal (utf8_invalid_at ("", 0), 0);
}

static void
test_encode_writes_what_decode_reads (void **state)
{
    (void)state;
    char bytes[UTF8_BYTES_MAX];
    assert_int_equal (utf8_encode ('A', bytes), 1);
    assert_memory_equal (bytes, "A", 1);
    assert_int_equal (utf8_encode (0xE9, bytes), 2);
    assert_memory_equal (bytes, "\xC3\xA9", 2);
    assert_int_equal (utf8_encode (0xAE40, bytes), 3);
    assert_memory_equal (bytes, "\xEA\xB9\x80", 3);
    assert_int_equal (utf8_encode (0x1F600, bytes), 4);
    assert_memory_equal (bytes, "\xF0\x9F\x98\x80", 4);
    //  Every code point round-trips, at the edges of each length too.
    for (uint32_t codepoint = 0; codepoint <= 0x10FFFF; codepoint++) {
        if (codepoint == 0xD800)
            codepoint = 0xE000;
        size_t length = utf8_encode (codepoint, bytes);
        uint32_t decoded = 0;
        if (utf8_decode (bytes, length, &decoded) != length ||
            decoded != codepoint)
            fail_msg ("U+%04X does not round-trip", (unsigned)codepoint);
    }
}

static void
test_cut_never_splits_a_character (void **state)
{
    (void)state;
    const char *text = "ab\xEA\xB9\x80"; // "ab" and one 3-byte character
    assert_int_equal (utf8_cut (text, 5, 10), 5);
    assert_int_equal (utf8_cut (text, 5, 5), 5);
    assert_int_equal (utf8_cut (text, 5, 4), 2);
    assert_int_equal (utf8_cut (text, 5, 3), 2);
    assert_int_equal (utf8_cut (text, 5, 2), 2);
    assert_int_equal (utf8_cut (text, 5, 0), 0);
}

static void
test_utf8_next_walks_characters_past_broken_bytes (void **state)
{
    (void)state;
    //  "a", U+D669, a stray continuation byte, U+2026, a cut sequence.
    const char text[] = "a\xED\x99\xA9\x80\xE2\x80\xA6\xE2\x80";
    size_t size = sizeof text - 1;
    uint32_t expected[] = {'a', 0xD669, 0x2026};
    size_t ends[] = {1, 4, 8};
    size_t offset = 0;
    uint32_t codepoint;
    for (size_t index = 0; index < 3; index++) {
        assert_true (utf8_next (text, size, &offset, &codepoint));
        assert_int_equal (codepoint, expected[index]);
        assert_int_equal (offset, ends[index]);
    }
    assert_false (utf8_next (text, size, &offset, &codepoint));
    assert_int_equal (offset, size);
    offset = 0;
    assert_false (utf8_next ("", 0, &offset, &codepoint));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_decode_gives_length_and_code_point),
        cmocka_unit_test (test_decode_refuses_invalid_sequences),
        cmocka_unit_test (test_decode_str_stops_at_the_nul),
        cmocka_unit_test (test_invalid_at_finds_the_first_bad_byte),
        cmocka_unit_test (test_encode_writes_what_decode_reads),
        cmocka_unit_test (test_cut_never_splits_a_character),
        cmocka_unit_test (test_utf8_next_walks_characters_past_broken_bytes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
