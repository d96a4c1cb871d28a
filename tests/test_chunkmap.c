/*  test_chunkmap - one character per chunk, and their counts.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chunkmap.h"

static void
test_stored_flags_become_s_and_dots (void **state)
{
    (void)state;
    bool stored[5] = {true, true, false, true, false};
    char map[6];
    chunkmap_init (map, stored, 5);
    assert_string_equal (map, "ss.s.");
    chunkmap_counts_t counts = chunkmap_count (map, 5);
    assert_int_equal (counts.stored, 3);
    assert_int_equal (counts.waiting, 2);
    assert_int_equal (counts.rendering, 0);
    assert_int_equal (counts.failed, 0);
}

static void
test_marks_never_cover_stored_or_leave_the_map (void **state)
{
    (void)state;
    bool stored[4] = {true, false, false, false};
    char map[5];
    chunkmap_init (map, stored, 4);
    chunkmap_mark (map, 4, 0, CHUNKMAP_RENDERING);
    chunkmap_mark (map, 4, 1, CHUNKMAP_RENDERING);
    chunkmap_mark (map, 4, 3, CHUNKMAP_FAILED);
    chunkmap_mark (map, 4, 4, CHUNKMAP_FAILED);
    chunkmap_mark (map, 4, UINT32_MAX, CHUNKMAP_RENDERING);
    assert_string_equal (map, "sr.x");
    chunkmap_counts_t counts = chunkmap_count (map, 4);
    assert_int_equal (
        counts.stored + counts.waiting + counts.rendering + counts.failed, 4);
    assert_int_equal (counts.failed, 1);
    assert_int_equal (counts.rendering, 1);
}

static void
test_four_thousand_chunks_make_one_string (void **state)
{
    (void)state;
    bool *stored = calloc (4000, sizeof (bool));
    char *map = malloc (4001);
    assert_non_null (stored);
    assert_non_null (map);
    for (int index = 0; index < 4000; index += 2)
        stored[index] = true;
    chunkmap_init (map, stored, 4000);
    assert_int_equal (strlen (map), 4000);
    assert_int_equal (chunkmap_count (map, 4000).stored, 2000);
    free (stored);
    free (map);
}

static void
test_failed_chunk_is_read_from_the_schedulers_words (void **state)
{
    (void)state;
    assert_int_equal (chunkmap_failed_chunk ("chunk 3 (pages 301-400) failed "
                                             "4 times; last attempt: boom"),
                      3);
    assert_int_equal (chunkmap_failed_chunk ("chunk 0 (pages 1-1) failed"), 0);
    assert_int_equal (chunkmap_failed_chunk (NULL), -1);
    assert_int_equal (chunkmap_failed_chunk (""), -1);
    assert_int_equal (chunkmap_failed_chunk ("the sink could not merge"), -1);
    assert_int_equal (chunkmap_failed_chunk ("chunk 3 failed"), -1);
    assert_int_equal (chunkmap_failed_chunk ("chunk x (pages"), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_stored_flags_become_s_and_dots),
        cmocka_unit_test (test_marks_never_cover_stored_or_leave_the_map),
        cmocka_unit_test (test_four_thousand_chunks_make_one_string),
        cmocka_unit_test (test_failed_chunk_is_read_from_the_schedulers_words),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
