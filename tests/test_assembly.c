/*  test_assembly - sink/assembly: shape checks, tiling of page ranges,
    duplicates and completion.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "assembly.h"

static void
test_new_rejects_impossible_shapes (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    assert_null (assembly_new ("job", 0, 10, reason));
    assert_null (assembly_new ("job", 3, 2, reason));
    assert_non_null (strstr (reason, "less than chunk_count"));
    assert_null (assembly_new ("job", 1, ASSEMBLY_PAGES_MAX + 1, reason));
    assert_null (assembly_new ("job", ASSEMBLY_CHUNKS_MAX + 1,
                               ASSEMBLY_PAGES_MAX, reason));
}

static void
test_single_chunk_completes (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new ("job", 1, 7, reason);
    assert_non_null (job);
    assert_false (assembly_complete (job));
    assert_int_equal (assembly_add (job, 0, 1, 7, reason), ASSEMBLY_NEW);
    assert_true (assembly_complete (job));
    assert_int_equal (assembly_present (job), 1);
    assert_int_equal (assembly_first_page (job, 0), 1);
    assert_int_equal (assembly_page_count (job, 0), 7);
    assembly_destroy (&job);
    assert_null (job);
    assembly_destroy (&job);
}

static void
test_single_chunk_must_cover_all_pages (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new ("job", 1, 7, reason);
    assert_int_equal (assembly_add (job, 0, 1, 6, reason), ASSEMBLY_INVALID);
    assert_non_null (strstr (reason, "must end at page 7"));
    assert_int_equal (assembly_add (job, 0, 2, 6, reason), ASSEMBLY_INVALID);
    assert_false (assembly_complete (job));
    assembly_destroy (&job);
}

static void
test_out_of_order_chunks_complete (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    //  10 pages in chunks of 4: 1-4, 5-8, 9-10.
    assembly_t *job = assembly_new ("job", 3, 10, reason);
    assert_int_equal (assembly_add (job, 2, 9, 2, reason), ASSEMBLY_NEW);
    assert_false (assembly_complete (job));
    assert_int_equal (assembly_add (job, 0, 1, 4, reason), ASSEMBLY_NEW);
    assert_false (assembly_complete (job));
    assert_true (assembly_has (job, 0));
    assert_false (assembly_has (job, 1));
    assert_int_equal (assembly_add (job, 1, 5, 4, reason), ASSEMBLY_NEW);
    assert_true (assembly_complete (job));
    assembly_destroy (&job);
}

static void
test_duplicate_is_reported_not_counted (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new ("job", 2, 8, reason);
    assert_int_equal (assembly_add (job, 1, 5, 4, reason), ASSEMBLY_NEW);
    assert_int_equal (assembly_add (job, 1, 5, 4, reason), ASSEMBLY_DUPLICATE);
    assert_int_equal (assembly_check (job, 1, 5, 4, reason),
                      ASSEMBLY_DUPLICATE);
    assert_int_equal (assembly_present (job), 1);
    assert_false (assembly_complete (job));
    assembly_destroy (&job);
}

static void
test_duplicate_with_other_range_is_invalid (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new ("job", 3, 12, reason);
    assert_int_equal (assembly_add (job, 1, 5, 4, reason), ASSEMBLY_NEW);
    assert_int_equal (assembly_add (job, 1, 5, 3, reason), ASSEMBLY_INVALID);
    assert_non_null (strstr (reason, "disagree with the stored pages 5-8"));
    assert_int_equal (assembly_page_count (job, 1), 4);
    assembly_destroy (&job);
}

static void
test_chunk_nbr_out_of_range_is_invalid (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new ("job", 2, 8, reason);
    assert_int_equal (assembly_add (job, 2, 9, 1, reason), ASSEMBLY_INVALID);
    assert_non_null (strstr (reason, "out of range"));
    assert_int_equal (assembly_add (job, UINT32_MAX, 1, 1, reason),
                      ASSEMBLY_INVALID);
    assert_false (assembly_has (job, 2));
    assert_int_equal (assembly_first_page (job, 2), 0);
    assembly_destroy (&job);
}

static void
test_range_beyond_total_is_invalid (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new ("job", 2, 8, reason);
    assert_int_equal (assembly_add (job, 1, 5, 5, reason), ASSEMBLY_INVALID);
    assert_non_null (strstr (reason, "beyond total_pages 8"));
    //  first_page + page_count overflows 32 bits.
    assert_int_equal (assembly_add (job, 1, UINT32_MAX, 2, reason),
                      ASSEMBLY_INVALID);
    assert_int_equal (assembly_add (job, 1, 0, 3, reason), ASSEMBLY_INVALID);
    assert_int_equal (assembly_add (job, 1, 5, 0, reason), ASSEMBLY_INVALID);
    assembly_destroy (&job);
}

static void
test_first_chunk_must_start_at_page_one (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new ("job", 2, 8, reason);
    assert_int_equal (assembly_add (job, 0, 2, 3, reason), ASSEMBLY_INVALID);
    assert_non_null (strstr (reason, "chunk 0 must start at page 1"));
    assembly_destroy (&job);
}

static void
test_gap_or_overlap_with_neighbour_is_invalid (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new ("job", 3, 12, reason);
    assert_int_equal (assembly_add (job, 0, 1, 4, reason), ASSEMBLY_NEW);
    assert_int_equal (assembly_add (job, 2, 9, 4, reason), ASSEMBLY_NEW);
    //  Overlaps chunk 0.
    assert_int_equal (assembly_add (job, 1, 4, 5, reason), ASSEMBLY_INVALID);
    assert_non_null (strstr (reason, "do not follow chunk 0"));
    //  Leaves a gap before chunk 2.
    assert_int_equal (assembly_add (job, 1, 5, 3, reason), ASSEMBLY_INVALID);
    assert_non_null (strstr (reason, "do not precede chunk 2"));
    assert_int_equal (assembly_add (job, 1, 5, 4, reason), ASSEMBLY_NEW);
    assert_true (assembly_complete (job));
    assembly_destroy (&job);
}

static void
test_range_leaving_no_room_for_other_chunks_is_invalid (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new ("job", 4, 10, reason);
    //  Chunk 2 cannot start at page 2: chunks 0 and 1 need a page each.
    assert_int_equal (assembly_add (job, 2, 2, 3, reason), ASSEMBLY_INVALID);
    assert_non_null (strstr (reason, "no room"));
    //  Chunk 1 cannot end at page 9: chunks 2 and 3 need two pages.
    assert_int_equal (assembly_add (job, 1, 3, 7, reason), ASSEMBLY_INVALID);
    assembly_destroy (&job);
}

static void
test_shape_matching (void **state)
{
    (void)state;
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new ("job-1", 3, 10, reason);
    assert_true (assembly_matches (job, 3, 10));
    assert_false (assembly_matches (job, 3, 11));
    assert_false (assembly_matches (job, 4, 10));
    assert_string_equal (assembly_job_id (job), "job-1");
    assert_int_equal (assembly_chunk_count (job), 3);
    assert_int_equal (assembly_total_pages (job), 10);
    assembly_destroy (&job);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_rejects_impossible_shapes),
        cmocka_unit_test (test_single_chunk_completes),
        cmocka_unit_test (test_single_chunk_must_cover_all_pages),
        cmocka_unit_test (test_out_of_order_chunks_complete),
        cmocka_unit_test (test_duplicate_is_reported_not_counted),
        cmocka_unit_test (test_duplicate_with_other_range_is_invalid),
        cmocka_unit_test (test_chunk_nbr_out_of_range_is_invalid),
        cmocka_unit_test (test_range_beyond_total_is_invalid),
        cmocka_unit_test (test_first_chunk_must_start_at_page_one),
        cmocka_unit_test (test_gap_or_overlap_with_neighbour_is_invalid),
        cmocka_unit_test (
            test_range_leaving_no_room_for_other_chunks_is_invalid),
        cmocka_unit_test (test_shape_matching),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
