/*  test_fonts - finding installed TrueType fonts through fontconfig and
    what their faces can draw. Needs fonts-nanum (scripts/install-deps.sh).

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fonts.h"

#define S_NANUM "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("\"%s\" does not contain \"%s\"", text, part);
}

static void
s_assert_ends_with (const char *text, const char *end)
{
    size_t length = strlen (text), end_length = strlen (end);
    if (length < end_length || strcmp (text + length - end_length, end) != 0)
        fail_msg ("\"%s\" does not end with \"%s\"", text, end);
}

static void
test_fonts_find_resolves_a_family (void **state)
{
    (void)state;
    char path[FONTS_PATH_MAX];
    int index = -1;
    fielderr_t err = {"", ""};
    assert_int_equal (
        fonts_find ("NanumGothic", NULL, path, sizeof path, &index, "f", &err),
        0);
    assert_string_equal (path, S_NANUM);
    assert_int_equal (index, 0);
}

static void
test_fonts_find_ignores_case_and_blanks (void **state)
{
    (void)state;
    char path[FONTS_PATH_MAX];
    int index;
    fielderr_t err = {"", ""};
    assert_int_equal (
        fonts_find ("nanum gothic", NULL, path, sizeof path, &index, "f", &err),
        0);
    assert_string_equal (path, S_NANUM);
}

static void
test_fonts_find_resolves_a_style (void **state)
{
    (void)state;
    char path[FONTS_PATH_MAX];
    int index;
    fielderr_t err = {"", ""};
    assert_int_equal (fonts_find ("NanumGothic", "Bold", path, sizeof path,
                                  &index, "f", &err),
                      0);
    s_assert_ends_with (path, "NanumGothicBold.ttf");
}

static void
test_fonts_find_rejects_a_family_not_installed (void **state)
{
    (void)state;
    char path[FONTS_PATH_MAX];
    int index;
    fielderr_t err = {"", ""};
    assert_int_equal (fonts_find ("No Such Font", NULL, path, sizeof path,
                                  &index, "template.fonts.x.family", &err),
                      -1);
    assert_string_equal (err.field, "template.fonts.x.family");
    s_assert_contains (err.message,
                       "no installed font has the family 'No Such Font' (the "
                       "closest is '");
}

static void
test_fonts_find_rejects_a_style_not_installed (void **state)
{
    (void)state;
    char path[FONTS_PATH_MAX];
    int index;
    fielderr_t err = {"", ""};
    assert_int_equal (fonts_find ("NanumGothic", "Italic", path, sizeof path,
                                  &index, "f", &err),
                      -1);
    assert_string_equal (err.message, "the family 'NanumGothic' has no style "
                                      "'Italic' installed");
}

static void
test_fonts_face_knows_its_coverage (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    const fonts_face_t *face = fonts_face (S_NANUM, 0, "f", &err);
    assert_non_null (face);
    assert_true (fonts_face_covers (face, 0xAE40)); // 김
    assert_true (fonts_face_covers (face, 'A'));
    assert_true (fonts_face_covers (face, ' '));
    assert_false (fonts_face_covers (face, 0x1F600)); // an emoji
    assert_false (fonts_face_covers (face, 0x0E01));  // Thai
    assert_string_equal (fonts_face_path (face), S_NANUM);
    assert_int_equal (fonts_face_index (face), 0);
    assert_string_equal (fonts_face_family (face), "NanumGothic");
}

static void
test_fonts_face_is_read_once (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    const fonts_face_t *first = fonts_face (S_NANUM, 0, "f", &err);
    const fonts_face_t *again = fonts_face (S_NANUM, 0, "f", &err);
    assert_non_null (first);
    assert_ptr_equal (first, again);
}

static void
test_fonts_face_rejects_files_that_are_not_installed_fonts (void **state)
{
    (void)state;
    fielderr_t err = {"", ""};
    assert_null (
        fonts_face ("/etc/hostname", 0, "template.fonts.x.file", &err));
    assert_string_equal (err.field, "template.fonts.x.file");
    assert_string_equal (err.message,
                         "'/etc/hostname' is not an installed font: use a "
                         "font file that fc-list shows (face 0), or a family "
                         "name");
    assert_null (fonts_face ("/no/such/font.ttf", 0, "f", &err));
    s_assert_contains (err.message, "is not an installed font");
    assert_null (fonts_face (S_NANUM, 3, "f", &err));
    s_assert_contains (err.message, "(face 3)");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_fonts_find_resolves_a_family),
        cmocka_unit_test (test_fonts_find_ignores_case_and_blanks),
        cmocka_unit_test (test_fonts_find_resolves_a_style),
        cmocka_unit_test (test_fonts_find_rejects_a_family_not_installed),
        cmocka_unit_test (test_fonts_find_rejects_a_style_not_installed),
        cmocka_unit_test (test_fonts_face_knows_its_coverage),
        cmocka_unit_test (test_fonts_face_is_read_once),
        cmocka_unit_test (
            test_fonts_face_rejects_files_that_are_not_installed_fonts),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
