/*  test_disposition - common/store/disposition: the Content-Disposition
    value a result downloads under.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "disposition.h"

static void
test_plain_name_is_both_fallback_and_exact_name (void **state)
{
    (void)state;
    char *header = disposition_header ("invoice.pdf");
    assert_string_equal (header, "attachment; filename=\"invoice.pdf\"; "
                                 "filename*=UTF-8''invoice.pdf");
    free (header);
}

static void
test_fallback_is_safe_ascii_and_exact_name_is_percent_encoded (void **state)
{
    (void)state;
    char *header = disposition_header ("  Q3  \"best\" 청구서.pdf ");
    assert_string_equal (header,
                         "attachment; filename=\"Q3 _best_ _________.pdf\"; "
                         "filename*=UTF-8''%20%20Q3%20%20%22best%22%20%EC%B2%"
                         "AD%EA%B5%AC%EC%84%9C.pdf%20");
    free (header);
}

static void
test_name_with_nothing_printable_falls_back_to_download (void **state)
{
    (void)state;
    char *header = disposition_header ("   ");
    assert_string_equal (header, "attachment; filename=\"download\"; "
                                 "filename*=UTF-8''%20%20%20");
    free (header);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_plain_name_is_both_fallback_and_exact_name),
        cmocka_unit_test (
            test_fallback_is_safe_ascii_and_exact_name_is_percent_encoded),
        cmocka_unit_test (
            test_name_with_nothing_printable_falls_back_to_download),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
