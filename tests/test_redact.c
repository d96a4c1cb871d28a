/*  test_redact - common/util/redact: absolute paths out of job errors.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "redact.h"

static void
s_assert_redacted (const char *text, const char *expected)
{
    char out[256];
    redact_paths (text, out, sizeof (out));
    assert_string_equal (out, expected);
}

static void
test_paths_keep_only_their_last_part (void **state)
{
    (void)state;
    s_assert_redacted ("storing failed: store: cannot create "
                       "/srv/pdfpipe/out/ab12/invoices: File exists",
                       "storing failed: store: cannot create .../invoices: "
                       "File exists");
    s_assert_redacted ("/etc/passwd", ".../passwd");
    s_assert_redacted ("at file:///srv/out/a.pdf, twice",
                       "at .../a.pdf, twice");
    s_assert_redacted ("cannot read '/var/lib/x/spool/j.pdf' (gone)",
                       "cannot read '.../j.pdf' (gone)");
    s_assert_redacted ("fsync (/a/b/): EIO", "fsync (.../b): EIO");
}

static void
test_other_texts_are_left_alone (void **state)
{
    (void)state;
    s_assert_redacted ("PUT s3://bucket/results/a/b.pdf: S3 answered 403",
                       "PUT s3://bucket/results/a/b.pdf: S3 answered 403");
    s_assert_redacted ("pages 1/2 and a/b", "pages 1/2 and a/b");
    s_assert_redacted ("", "");
}

static void
test_output_is_truncated_to_fit (void **state)
{
    (void)state;
    char out[8];
    redact_paths ("error at /a/bcdefghijkl", out, sizeof (out));
    assert_string_equal (out, "error a");
    char one[1];
    redact_paths ("/x", one, sizeof (one));
    assert_string_equal (one, "");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_paths_keep_only_their_last_part),
        cmocka_unit_test (test_other_texts_are_left_alone),
        cmocka_unit_test (test_output_is_truncated_to_fit),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
