/*  test_previewreq - the first line of a preview request, both ways.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "previewreq.h"
#include "testassert.h"

static void
test_a_formatted_line_parses_back (void **state)
{
    (void)state;
    previewreq_t sent = {2, 3, 1234, 56};
    char line[PREVIEWREQ_HEADER_MAX];
    size_t length = previewreq_format (&sent, line);
    assert_string_equal (line, "pdfpipe-preview 1 2 3 1234 56\n");
    assert_size_eq (length, strlen (line));
    line[length - 1] = '\0';
    previewreq_t got;
    assert_int_equal (previewreq_parse (line, 1234, 56, &got), 0);
    assert_int_eq (got.page, 2);
    assert_int_eq (got.pages, 3);
    assert_size_eq (got.template_bytes, 1234);
    assert_size_eq (got.record_bytes, 56);
}

static void
test_lines_out_of_bounds_are_refused (void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "pdfpipe-preview 2 1 1 10 10", // another version
        "pdfpipe-previev 1 1 1 10 10", // not the magic
        "pdfpipe-preview 1 0 1 10 10", // page 0
        "pdfpipe-preview 1 4 3 10 10", // past the last page
        "pdfpipe-preview 1 1 1 11 10", // template over its max
        "pdfpipe-preview 1 1 1 10 11", // record over its max
        "pdfpipe-preview 1 1 1 10",    // a number short
        "pdfpipe-preview 1 1 99999999999 10 10",
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        previewreq_t got;
        if (previewreq_parse (bad[index], 10, 10, &got) != -1)
            fail_msg ("accepted '%s'", bad[index]);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_formatted_line_parses_back),
        cmocka_unit_test (test_lines_out_of_bounds_are_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
