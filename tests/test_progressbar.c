/*  test_progressbar - the progress line of `pdfpipe submit --wait`.

    Checks the drawn line (bar, numbers, widths) through the pure
    progressbar_format, and what progressbar_update writes in terminal and
    plain modes through a memory stream.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "progressbar.h"

static char *
s_bar (int filled, int empty)
{
    static char bar[PROGRESSBAR_CELLS_MAX + 3];
    char *cursor = bar;
    *cursor++ = '[';
    for (int cell = 0; cell < filled; cell++)
        *cursor++ = '#';
    for (int cell = 0; cell < empty; cell++)
        *cursor++ = '.';
    *cursor++ = ']';
    *cursor = '\0';
    return bar;
}

static void
test_format_at_zero_percent_shows_empty_bar (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    progressbar_format (line, sizeof line, 80, "queued", 0, 2000, NULL);
    char expected[PROGRESSBAR_LINE_MAX];
    snprintf (expected, sizeof expected, "%s     0/2,000 pages   0%%  queued",
              s_bar (0, PROGRESSBAR_CELLS_MAX));
    assert_string_equal (line, expected);
}

static void
test_format_at_sixty_percent_fills_that_share (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    progressbar_format (line, sizeof line, 80, "rendering", 1200, 2000, NULL);
    char expected[PROGRESSBAR_LINE_MAX];
    snprintf (expected, sizeof expected, "%s 1,200/2,000 pages  60%%  rendering",
              s_bar (24, 16));
    assert_string_equal (line, expected);
}

static void
test_format_at_hundred_percent_shows_full_bar (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    progressbar_format (line, sizeof line, 80, "done", 2000, 2000, NULL);
    char expected[PROGRESSBAR_LINE_MAX];
    snprintf (expected, sizeof expected, "%s 2,000/2,000 pages 100%%  done",
              s_bar (PROGRESSBAR_CELLS_MAX, 0));
    assert_string_equal (line, expected);
}

static void
test_format_rounds_percent_down (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    progressbar_format (line, sizeof line, 80, "rendering", 1999, 2000, NULL);
    assert_non_null (strstr (line, " 99%"));
    assert_null (strstr (line, "100%"));
}

static void
test_format_zero_total_is_empty_until_done (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    char expected[PROGRESSBAR_LINE_MAX];
    progressbar_format (line, sizeof line, 80, "rendering", 0, 0, NULL);
    snprintf (expected, sizeof expected, "%s 0/0 pages   0%%  rendering",
              s_bar (0, PROGRESSBAR_CELLS_MAX));
    assert_string_equal (line, expected);

    progressbar_format (line, sizeof line, 80, "done", 0, 0, NULL);
    snprintf (expected, sizeof expected, "%s 0/0 pages 100%%  done",
              s_bar (PROGRESSBAR_CELLS_MAX, 0));
    assert_string_equal (line, expected);
}

static void
test_format_counts_done_above_total_as_total (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    progressbar_format (line, sizeof line, 80, "merging", 2500, 2000, NULL);
    char expected[PROGRESSBAR_LINE_MAX];
    snprintf (expected, sizeof expected, "%s 2,500/2,000 pages 100%%  merging...",
              s_bar (PROGRESSBAR_CELLS_MAX, 0));
    assert_string_equal (line, expected);
}

static void
test_format_drops_bar_when_narrow (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    progressbar_format (line, sizeof line, 40, "rendering", 1200, 2000, NULL);
    assert_string_equal (line, "1,200/2,000 pages  60%  rendering");
}

static void
test_format_cuts_text_when_very_narrow (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    progressbar_format (line, sizeof line, 10, "rendering", 1200, 2000, NULL);
    assert_string_equal (line, "1,200/2,0");
    progressbar_format (line, sizeof line, 1, "rendering", 1200, 2000, NULL);
    assert_string_equal (line, "");
    progressbar_format (line, sizeof line, 0, "rendering", 1200, 2000, NULL);
    assert_string_equal (line, "");
}

static void
test_format_never_reaches_last_column (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    for (int columns = 1; columns <= 200; columns++) {
        progressbar_format (line, sizeof line, columns, "rendering", 123456789,
                            987654321, NULL);
        assert_true (strlen (line) <= (size_t)(columns - 1));
    }
}

static void
test_format_keeps_bar_in_place_as_job_moves_on (void **state)
{
    (void)state;
    const char *states[] = {"queued", "rendering", "merging", "storing",
                            "done"};
    const uint64_t counts[] = {0, 7, 80, 1200, 2000};
    char line[PROGRESSBAR_LINE_MAX];
    for (int columns = 50; columns <= 100; columns += 5) {
        long bar_end = -1;
        for (size_t index = 0; index < 5; index++) {
            progressbar_format (line, sizeof line, columns, states[index],
                                counts[index], 2000, NULL);
            char *end = strchr (line, ']');
            assert_non_null (end);
            if (bar_end < 0)
                bar_end = end - line;
            assert_int_equal (end - line, bar_end);
        }
    }
}

static void
test_format_fits_small_buffer (void **state)
{
    (void)state;
    char line[8];
    progressbar_format (line, sizeof line, 80, "rendering", 1200, 2000, NULL);
    assert_int_equal (strlen (line), sizeof line - 1);
    assert_string_equal (line, "[######");
}

static void
test_format_shows_rate_and_time_left_while_rendering (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    progressbar_rate_t rate = {812.4, 10.2};
    progressbar_format (line, sizeof line, 100, "rendering", 1234, 10000,
                        &rate);
    assert_non_null (strstr (line, "]  1,234/10,000 pages  12%  812 pages/s  "
                                   "ETA 11 s"));
    assert_non_null (strstr (line, "  rendering"));
    rate = (progressbar_rate_t){12345.6, 150};
    progressbar_format (line, sizeof line, 100, "rendering", 1234, 10000,
                        &rate);
    assert_non_null (strstr (line, "12,346 pages/s  ETA 3 min"));
    rate = (progressbar_rate_t){0.25, 7201};
    progressbar_format (line, sizeof line, 100, "rendering", 1, 10000, &rate);
    assert_non_null (strstr (line, "0.2 pages/s  ETA 3 h"));
    //  A rate without a time left still shows.
    rate = (progressbar_rate_t){50, -1};
    progressbar_format (line, sizeof line, 100, "rendering", 1, 10000, &rate);
    assert_non_null (strstr (line, "  50 pages/s  "));
    assert_null (strstr (line, "ETA"));
}

static void
test_format_says_merging_and_storing_without_rate (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    progressbar_rate_t rate = {812, 0};
    progressbar_format (line, sizeof line, 100, "merging", 2000, 2000, &rate);
    assert_non_null (strstr (line, "2,000/2,000 pages 100%  merging..."));
    assert_null (strstr (line, "pages/s"));
    progressbar_format (line, sizeof line, 100, "storing", 2000, 2000, &rate);
    assert_non_null (strstr (line, "100%  storing..."));
    progressbar_format (line, sizeof line, 100, "done", 2000, 2000, &rate);
    assert_null (strstr (line, "pages/s"));
    assert_null (strstr (line, "..."));
}

static void
test_format_keeps_bar_length_while_rate_changes (void **state)
{
    (void)state;
    char line[PROGRESSBAR_LINE_MAX];
    const progressbar_rate_t rates[] = {{1.5, 5000}, {80, 600}, {9999, 1}};
    long bar_end = -1;
    for (size_t index = 0; index < 3; index++) {
        progressbar_format (line, sizeof line, 100, "rendering", 100, 2000,
                            &rates[index]);
        char *end = strchr (line, ']');
        assert_non_null (end);
        if (bar_end < 0)
            bar_end = end - line;
        assert_int_equal (end - line, bar_end);
    }
}

static void
test_plain_update_prints_a_line_per_change (void **state)
{
    (void)state;
    char *output = NULL;
    size_t output_size = 0;
    FILE *stream = open_memstream (&output, &output_size);
    assert_non_null (stream);
    progressbar_t *bar = progressbar_new (stream, "7f3a", 0);
    assert_non_null (bar);
    progressbar_update (bar, "queued", 0, 2000, NULL);
    progressbar_update (bar, "queued", 0, 2000, NULL);
    progressbar_update (bar, "rendering", 0, 2000, NULL);
    progressbar_update (bar, "rendering", 1200, 2000, NULL);
    progressbar_update (bar, "rendering", 1200, 2000, NULL);
    progressbar_rate_t rate = {400, 2};
    progressbar_update (bar, "rendering", 1200, 2000, &rate);
    progressbar_update (bar, "rendering", 1600, 2000, &rate);
    progressbar_finish (bar);
    progressbar_destroy (&bar);
    assert_null (bar);
    fclose (stream);
    assert_string_equal (output, "job 7f3a: queued 0/2000 pages\n"
                                 "job 7f3a: rendering 0/2000 pages\n"
                                 "job 7f3a: rendering 1200/2000 pages\n"
                                 "job 7f3a: rendering 1600/2000 pages  "
                                 "400 pages/s  ETA 2 s\n");
    free (output);
}

static void
test_terminal_update_redraws_in_place_and_finish_ends_line (void **state)
{
    (void)state;
    char *output = NULL;
    size_t output_size = 0;
    FILE *stream = open_memstream (&output, &output_size);
    assert_non_null (stream);
    progressbar_t *bar = progressbar_new (stream, "7f3a", 40);
    assert_non_null (bar);
    progressbar_update (bar, "rendering", 1200, 2000, NULL);
    progressbar_update (bar, "rendering", 1200, 2000, NULL);
    progressbar_update (bar, "done", 2000, 2000, NULL);
    progressbar_finish (bar);
    progressbar_destroy (&bar);
    fclose (stream);
    //  Narrow enough that only text is drawn; the shorter second line is
    //  padded over what is left of the first.
    assert_string_equal (output, "\r1,200/2,000 pages  60%  rendering"
                                 "\r2,000/2,000 pages 100%  done     "
                                 "\n");
    free (output);
}

static void
test_finish_without_update_prints_nothing (void **state)
{
    (void)state;
    char *output = NULL;
    size_t output_size = 0;
    FILE *stream = open_memstream (&output, &output_size);
    assert_non_null (stream);
    progressbar_t *bar = progressbar_new (stream, "7f3a", 80);
    progressbar_finish (bar);
    progressbar_finish (bar);
    progressbar_destroy (&bar);
    progressbar_destroy (&bar);
    fclose (stream);
    assert_string_equal (output, "");
    free (output);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_format_at_zero_percent_shows_empty_bar),
        cmocka_unit_test (test_format_at_sixty_percent_fills_that_share),
        cmocka_unit_test (test_format_at_hundred_percent_shows_full_bar),
        cmocka_unit_test (test_format_rounds_percent_down),
        cmocka_unit_test (test_format_zero_total_is_empty_until_done),
        cmocka_unit_test (test_format_counts_done_above_total_as_total),
        cmocka_unit_test (test_format_drops_bar_when_narrow),
        cmocka_unit_test (test_format_cuts_text_when_very_narrow),
        cmocka_unit_test (test_format_never_reaches_last_column),
        cmocka_unit_test (test_format_keeps_bar_in_place_as_job_moves_on),
        cmocka_unit_test (test_format_fits_small_buffer),
        cmocka_unit_test (
            test_format_shows_rate_and_time_left_while_rendering),
        cmocka_unit_test (test_format_says_merging_and_storing_without_rate),
        cmocka_unit_test (test_format_keeps_bar_length_while_rate_changes),
        cmocka_unit_test (test_plain_update_prints_a_line_per_change),
        cmocka_unit_test (
            test_terminal_update_redraws_in_place_and_finish_ends_line),
        cmocka_unit_test (test_finish_without_update_prints_nothing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
