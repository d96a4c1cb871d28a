/*  test_chunkplan - splitting pages into chunks: counts, ranges, the short
    last chunk, and the edges of uint32_t.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "chunkplan.h"

static void
s_assert_range (uint32_t pages, uint32_t chunk_pages, uint32_t chunk_nbr,
                uint32_t first_page, uint32_t page_count)
{
    uint32_t first = 0, count = 0;
    assert_int_equal (
        chunkplan_range (pages, chunk_pages, chunk_nbr, &first, &count), 0);
    assert_int_equal (first, first_page);
    assert_int_equal (count, page_count);
}

static void
test_chunkplan_count_is_zero_without_pages (void **state)
{
    (void)state;
    assert_int_equal (chunkplan_count (0, 100), 0);
}

static void
test_chunkplan_count_rounds_up (void **state)
{
    (void)state;
    assert_int_equal (chunkplan_count (1, 100), 1);
    assert_int_equal (chunkplan_count (100, 100), 1);
    assert_int_equal (chunkplan_count (101, 100), 2);
    assert_int_equal (chunkplan_count (10000, 250), 40);
    assert_int_equal (chunkplan_count (10001, 250), 41);
}

static void
test_chunkplan_count_does_not_overflow (void **state)
{
    (void)state;
    assert_int_equal (chunkplan_count (UINT32_MAX, 2), 2147483648u);
    assert_int_equal (chunkplan_count (UINT32_MAX, UINT32_MAX), 1);
    assert_int_equal (chunkplan_count (UINT32_MAX, 1), UINT32_MAX);
}

static void
test_chunkplan_count_is_zero_for_zero_chunk_pages (void **state)
{
    (void)state;
    assert_int_equal (chunkplan_count (10, 0), 0);
    uint32_t first, count;
    assert_int_equal (chunkplan_range (10, 0, 0, &first, &count), -1);
}

static void
test_chunkplan_range_gives_full_chunks (void **state)
{
    (void)state;
    s_assert_range (250, 100, 0, 1, 100);
    s_assert_range (250, 100, 1, 101, 100);
}

static void
test_chunkplan_range_gives_short_last_chunk (void **state)
{
    (void)state;
    s_assert_range (250, 100, 2, 201, 50);
    s_assert_range (1, 100, 0, 1, 1);
}

static void
test_chunkplan_range_gives_exact_last_chunk (void **state)
{
    (void)state;
    s_assert_range (300, 100, 2, 201, 100);
}

static void
test_chunkplan_range_rejects_chunk_past_the_end (void **state)
{
    (void)state;
    uint32_t first = 7, count = 7;
    assert_int_equal (chunkplan_range (250, 100, 3, &first, &count), -1);
    assert_int_equal (chunkplan_range (0, 100, 0, &first, &count), -1);
    assert_int_equal (first, 7);
    assert_int_equal (count, 7);
}

static void
test_chunkplan_range_handles_largest_page_numbers (void **state)
{
    (void)state;
    s_assert_range (UINT32_MAX, 1000, 4294967, 4294967001u, 295);
    s_assert_range (UINT32_MAX, UINT32_MAX, 0, 1, UINT32_MAX);
}

static void
test_chunkplan_ranges_cover_every_page_once (void **state)
{
    (void)state;
    uint32_t pages = 1234, chunk_pages = 100;
    uint32_t next_page = 1;
    uint32_t chunk_count = chunkplan_count (pages, chunk_pages);
    for (uint32_t chunk_nbr = 0; chunk_nbr < chunk_count; chunk_nbr++) {
        uint32_t first, count;
        assert_int_equal (
            chunkplan_range (pages, chunk_pages, chunk_nbr, &first, &count), 0);
        assert_int_equal (first, next_page);
        next_page += count;
    }
    assert_int_equal (next_page, pages + 1);
}

static void
test_chunkplan_range_accepts_null_outputs (void **state)
{
    (void)state;
    assert_int_equal (chunkplan_range (10, 5, 1, NULL, NULL), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_chunkplan_count_is_zero_without_pages),
        cmocka_unit_test (test_chunkplan_count_rounds_up),
        cmocka_unit_test (test_chunkplan_count_does_not_overflow),
        cmocka_unit_test (test_chunkplan_count_is_zero_for_zero_chunk_pages),
        cmocka_unit_test (test_chunkplan_range_gives_full_chunks),
        cmocka_unit_test (test_chunkplan_range_gives_short_last_chunk),
        cmocka_unit_test (test_chunkplan_range_gives_exact_last_chunk),
        cmocka_unit_test (test_chunkplan_range_rejects_chunk_past_the_end),
        cmocka_unit_test (test_chunkplan_range_handles_largest_page_numbers),
        cmocka_unit_test (test_chunkplan_ranges_cover_every_page_once),
        cmocka_unit_test (test_chunkplan_range_accepts_null_outputs),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
