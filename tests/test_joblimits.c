/*  test_joblimits - what one job may cost: each limit refuses what passes
    it, names the field and the option, and lets through what stays under.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "joblimits.h"

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("\"%s\" lacks \"%s\"", text, part);
}

static void
test_joblimits_image_over_its_limit_is_refused (void **state)
{
    (void)state;
    joblimits_t limits = JOBLIMITS_DEFAULTS;
    uint64_t job_pixels = 0;
    fielderr_t err = {"", ""};
    assert_int_equal (joblimits_check_image (&limits, "assets.a", 4000, 4000,
                                             &job_pixels, &err),
                      0);
    assert_int_equal (job_pixels, 16000000);
    assert_int_equal (joblimits_check_image (&limits, "assets.b", 10000, 2500,
                                             &job_pixels, &err),
                      -1);
    assert_string_equal (err.field, "assets.b");
    s_assert_contains (err.message, "10000 x 2500 pixels (25.0 megapixels)");
    s_assert_contains (err.message, "--max-image-mp");
    assert_int_equal (job_pixels, 16000000);
}

static void
test_joblimits_images_of_a_job_add_up (void **state)
{
    (void)state;
    joblimits_t limits = JOBLIMITS_DEFAULTS;
    uint64_t job_pixels = 0;
    fielderr_t err = {"", ""};
    for (int index = 0; index < 4; index++)
        assert_int_equal (joblimits_check_image (&limits, "assets.a", 4000,
                                                 4000, &job_pixels, &err),
                          0);
    assert_int_equal (
        joblimits_check_image (&limits, "assets.e", 1, 1, &job_pixels, &err),
        -1);
    assert_string_equal (err.field, "assets.e");
    s_assert_contains (err.message, "at most 64 megapixels in all "
                                    "(--max-job-image-mp)");
}

static void
test_joblimits_page_items_and_text_are_limited (void **state)
{
    (void)state;
    joblimits_t limits = JOBLIMITS_DEFAULTS;
    joblimits_tally_t tally;
    joblimits_tally_init (&tally, 10);
    fielderr_t err = {"", ""};
    joblimits_page_t page = {2000, 64 * 1024};
    assert_int_equal (
        joblimits_check_page (&limits, &tally, &page, 0, 100, &err), 0);
    page.items = 2001;
    assert_int_equal (
        joblimits_check_page (&limits, &tally, &page, 7, 100, &err), -1);
    assert_string_equal (err.field, "records[7]");
    s_assert_contains (err.message, "2001 items");
    s_assert_contains (err.message, "--max-page-items");
    page.items = 1;
    page.text_bytes = 64 * 1024 + 1;
    assert_int_equal (
        joblimits_check_page (&limits, &tally, &page, 8, 100, &err), -1);
    assert_string_equal (err.field, "records[8]");
    s_assert_contains (err.message, "--max-page-text-kb");
}

static void
test_joblimits_chunk_records_restart_each_chunk (void **state)
{
    (void)state;
    joblimits_t limits = JOBLIMITS_DEFAULTS;
    limits.chunk_records_mb = 1;
    joblimits_tally_t tally;
    fielderr_t err = {"", ""};
    joblimits_page_t page = {1, 1};
    //  Two records of 600,000 bytes a chunk pass 1 MiB; one a chunk not.
    joblimits_tally_init (&tally, 1);
    for (uint32_t nbr = 0; nbr < 4; nbr++) {
        assert_int_equal (
            joblimits_check_page (&limits, &tally, &page, nbr, 600000, &err),
            0);
    }
    joblimits_tally_init (&tally, 2);
    assert_int_equal (
        joblimits_check_page (&limits, &tally, &page, 0, 600000, &err), 0);
    assert_int_equal (
        joblimits_check_page (&limits, &tally, &page, 1, 600000, &err), -1);
    assert_string_equal (err.field, "records[1]");
    s_assert_contains (err.message, "2 pages from record 0");
    s_assert_contains (err.message, "--max-chunk-records-mb");
    assert_int_equal (joblimits_check_chunk (&limits, 1024 * 1024, &err), 0);
    assert_int_equal (joblimits_check_chunk (&limits, 1024 * 1024 + 1, &err),
                      -1);
    s_assert_contains (err.message, "--max-chunk-records-mb");
}

static void
test_joblimits_job_text_adds_up (void **state)
{
    (void)state;
    joblimits_t limits = JOBLIMITS_DEFAULTS;
    limits.job_text_mb = 1;
    joblimits_tally_t tally;
    joblimits_tally_init (&tally, 250);
    fielderr_t err = {"", ""};
    joblimits_page_t page = {1, 60 * 1024};
    uint32_t nbr = 0;
    while (joblimits_check_page (&limits, &tally, &page, nbr, 10, &err) == 0)
        nbr++;
    //  17 pages of 60 KiB pass 1 MiB.
    assert_int_equal (nbr, 17);
    s_assert_contains (err.message, "--max-job-text-mb");
}

static void
test_joblimits_set_changes_what_get_returns (void **state)
{
    (void)state;
    assert_int_equal (joblimits_get ()->image_mp, JOBLIMITS_IMAGE_MP);
    joblimits_t limits = JOBLIMITS_DEFAULTS;
    limits.page_items = 5;
    joblimits_set (&limits);
    assert_int_equal (joblimits_get ()->page_items, 5);
    joblimits_t defaults = JOBLIMITS_DEFAULTS;
    joblimits_set (&defaults);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_joblimits_image_over_its_limit_is_refused),
        cmocka_unit_test (test_joblimits_images_of_a_job_add_up),
        cmocka_unit_test (test_joblimits_page_items_and_text_are_limited),
        cmocka_unit_test (test_joblimits_chunk_records_restart_each_chunk),
        cmocka_unit_test (test_joblimits_job_text_adds_up),
        cmocka_unit_test (test_joblimits_set_changes_what_get_returns),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
