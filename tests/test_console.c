/*  test_console - the console's embedded files: which URL names which
    file, their types, and revalidation by ETag.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "console.h"

static void
test_root_is_the_page (void **state)
{
    (void)state;
    const console_file_t *file = console_find ("/");
    assert_non_null (file);
    assert_string_equal (file->name, "index.html");
    assert_string_equal (console_content_type (file),
                         "text/html; charset=utf-8");
    assert_true (console_owns ("/"));
}

static void
test_files_under_the_prefix_are_found_by_whole_name (void **state)
{
    (void)state;
    const console_file_t *js = console_find ("/console/app.js");
    assert_non_null (js);
    assert_string_equal (console_content_type (js),
                         "text/javascript; charset=utf-8");
    const console_file_t *css = console_find ("/console/app.css");
    assert_non_null (css);
    assert_string_equal (console_content_type (css),
                         "text/css; charset=utf-8");
    const char *absent[] = {"/console/",          "/console/app",
                            "/console/app.js/",   "/console/../index.html",
                            "/console//app.js",   "/console/APP.JS",
                            "/index.html",        "/app.js"};
    for (size_t index = 0; index < sizeof (absent) / sizeof (absent[0]);
         index++)
        assert_null (console_find (absent[index]));
    assert_false (console_owns ("/index.html"));
    assert_false (console_owns ("/v1/jobs"));
    assert_true (console_owns ("/console/nope"));
}

static void
test_every_file_has_bytes_and_a_quoted_etag (void **state)
{
    (void)state;
    size_t count = 0;
    for (const console_file_t *file = console_files; file->name; file++) {
        assert_true (file->size > 0);
        //  A NUL follows the bytes (embed.cmake), and none is inside text.
        assert_int_equal (file->data[file->size], 0);
        assert_int_equal (strlen (file->etag), 18);
        assert_int_equal (file->etag[0], '"');
        assert_int_equal (file->etag[17], '"');
        count++;
    }
    assert_true (count >= 3);
}

static void
test_if_none_match_revalidates (void **state)
{
    (void)state;
    const console_file_t *file = console_find ("/console/app.js");
    assert_non_null (file);
    char header[64];
    assert_false (console_not_modified (file, NULL));
    assert_false (console_not_modified (file, "\"0000000000000000\""));
    assert_true (console_not_modified (file, file->etag));
    snprintf (header, sizeof (header), "W/%s", file->etag);
    assert_true (console_not_modified (file, header));
    snprintf (header, sizeof (header), "\"x\", %s", file->etag);
    assert_true (console_not_modified (file, header));
    assert_true (console_not_modified (file, "*"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_root_is_the_page),
        cmocka_unit_test (test_files_under_the_prefix_are_found_by_whole_name),
        cmocka_unit_test (test_every_file_has_bytes_and_a_quoted_etag),
        cmocka_unit_test (test_if_none_match_revalidates),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
