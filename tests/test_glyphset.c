/*  test_glyphset - common/doc/glyphset: the characters a job draws in each
    TrueType font, gathered and written into the template's fonts.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glyphset.h"
#include "template.h"
#include "utf8.h"

//  Two fonts on NanumGothic's face, one on DejaVu Sans', and Helvetica.
#define S_TEMPLATE                                                             \
    "{\"fonts\": {\"a\": {\"family\": \"NanumGothic\", \"glyphs\": \"Z\"}, "   \
    "\"b\": {\"family\": \"NanumGothic\"}, \"c\": {\"family\": \"DejaVu "      \
    "Sans\"}}, \"elements\": [{\"type\": \"text\", \"text\": \"x\", \"x\": "   \
    "0, \"y\": 0, \"font\": \"a\"}, {\"type\": \"text\", \"text\": \"x\", "    \
    "\"x\": 0, \"y\": 0, \"font\": \"b\"}, {\"type\": \"text\", \"text\": "    \
    "\"x\", \"x\": 0, \"y\": 0, \"font\": \"c\"}, {\"type\": \"text\", "       \
    "\"text\": \"x\", \"x\": 0, \"y\": 0}]}"

typedef struct {
    cJSON *json;
    template_t *tpl;
    const template_font_t *a, *b, *c, *helvetica;
} s_fixture_t;

static const template_font_t *
s_font_named (const template_t *tpl, const char *name)
{
    for (size_t index = 0; index < template_font_count (tpl); index++)
        if (strcmp (template_font (tpl, index)->name, name) == 0)
            return template_font (tpl, index);
    fail_msg ("no font '%s'", name);
    return NULL;
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    assert_non_null (fixture);
    fixture->json = cJSON_Parse (S_TEMPLATE);
    assert_non_null (fixture->json);
    fielderr_t err = {"", ""};
    fixture->tpl = template_parse (fixture->json, NULL, "template", &err);
    if (!fixture->tpl)
        fail_msg ("%s: %s", err.field, err.message);
    fixture->a = s_font_named (fixture->tpl, "a");
    fixture->b = s_font_named (fixture->tpl, "b");
    fixture->c = s_font_named (fixture->tpl, "c");
    fixture->helvetica = s_font_named (fixture->tpl, "Helvetica");
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    template_destroy (&fixture->tpl);
    cJSON_Delete (fixture->json);
    free (fixture);
    return 0;
}

static void
s_add (glyphset_t *glyphs, const template_font_t *font, const char *text)
{
    glyphset_add (glyphs, font, text, strlen (text));
}

static void
s_assert_text (const glyphset_t *glyphs, const template_font_t *font,
               const char *expected)
{
    char *text = glyphset_text (glyphs, font);
    assert_non_null (text);
    assert_string_equal (text, expected);
    free (text);
}

static void
test_glyphset_starts_with_the_fonts_own_glyphs (void **state)
{
    s_fixture_t *fixture = *state;
    glyphset_t *glyphs = glyphset_new (fixture->tpl);
    assert_non_null (glyphs);
    //  "b" shares "a"'s face, so its "glyphs" too.
    s_assert_text (glyphs, fixture->a, "Z");
    s_assert_text (glyphs, fixture->b, "Z");
    s_assert_text (glyphs, fixture->c, "");
    assert_int_equal (glyphset_count (glyphs, fixture->c), 0);
    glyphset_destroy (&glyphs);
    glyphset_destroy (&glyphs);
    assert_null (glyphs);
}

static void
test_glyphset_keeps_each_character_once_in_code_point_order (void **state)
{
    s_fixture_t *fixture = *state;
    glyphset_t *glyphs = glyphset_new (fixture->tpl);
    s_add (glyphs, fixture->c, "banana");
    s_add (glyphs, fixture->c, "é ä");
    s_add (glyphs, fixture->c, "€b");
    assert_int_equal (glyphset_count (glyphs, fixture->c), 7);
    s_assert_text (glyphs, fixture->c, " abnäé€");
    glyphset_destroy (&glyphs);
}

static void
test_glyphset_shares_a_set_between_fonts_on_one_face (void **state)
{
    s_fixture_t *fixture = *state;
    glyphset_t *glyphs = glyphset_new (fixture->tpl);
    s_add (glyphs, fixture->a, "김");
    s_add (glyphs, fixture->b, "민수");
    s_assert_text (glyphs, fixture->a, "Z김민수");
    s_assert_text (glyphs, fixture->b, "Z김민수");
    s_assert_text (glyphs, fixture->c, "");
    glyphset_destroy (&glyphs);
}

static void
test_glyphset_counts_beyond_the_bmp_as_a_space (void **state)
{
    s_fixture_t *fixture = *state;
    glyphset_t *glyphs = glyphset_new (fixture->tpl);
    s_add (glyphs, fixture->c, "x\xF0\x9F\x98\x80");
    //  Bytes that are not UTF-8 are skipped; a length stops short of a NUL.
    s_add (glyphs, fixture->c, "\xFFy");
    glyphset_add (glyphs, fixture->c, "zw", 1);
    s_assert_text (glyphs, fixture->c, " xyz");
    glyphset_destroy (&glyphs);
}

static void
test_glyphset_ignores_standard_fonts (void **state)
{
    s_fixture_t *fixture = *state;
    glyphset_t *glyphs = glyphset_new (fixture->tpl);
    s_add (glyphs, fixture->helvetica, "abc");
    assert_int_equal (glyphset_count (glyphs, fixture->helvetica), 0);
    s_assert_text (glyphs, fixture->helvetica, "");
    glyphset_destroy (&glyphs);
}

static void
test_glyphset_holds_the_whole_bmp (void **state)
{
    s_fixture_t *fixture = *state;
    glyphset_t *glyphs = glyphset_new (fixture->tpl);
    //  Every code point but the surrogates and U+0000, as UTF-8.
    char *all = malloc (3 * 0x10000 + UTF8_BYTES_MAX);
    assert_non_null (all);
    size_t size = 0;
    for (uint32_t codepoint = 1; codepoint < 0x10000; codepoint++) {
        if (codepoint >= 0xD800 && codepoint <= 0xDFFF)
            continue;
        size += utf8_encode (codepoint, all + size);
    }
    glyphset_add (glyphs, fixture->c, all, size);
    assert_int_equal (glyphset_count (glyphs, fixture->c), 0xFFFF - 0x800);
    char *text = glyphset_text (glyphs, fixture->c);
    assert_non_null (text);
    assert_int_equal (strlen (text), size);
    assert_memory_equal (text, all, size);
    free (text);
    free (all);
    glyphset_destroy (&glyphs);
}

static void
test_glyphset_writes_glyphs_into_the_template (void **state)
{
    s_fixture_t *fixture = *state;
    glyphset_t *glyphs = glyphset_new (fixture->tpl);
    s_add (glyphs, fixture->b, "수김");
    assert_int_equal (glyphset_annotate (glyphs, fixture->json), 0);
    const cJSON *fonts = cJSON_GetObjectItem (fixture->json, "fonts");
    const char *names[] = {"a", "b"};
    for (int nbr = 0; nbr < 2; nbr++) {
        const cJSON *entry = cJSON_GetObjectItem (fonts, names[nbr]);
        const cJSON *value = cJSON_GetObjectItem (entry, "glyphs");
        assert_true (cJSON_IsString (value));
        assert_string_equal (value->valuestring, "Z김수");
    }
    //  The one given was replaced, not repeated.
    assert_int_equal (cJSON_GetArraySize (cJSON_GetObjectItem (fonts, "a")), 2);
    //  An empty set writes nothing.
    assert_null (
        cJSON_GetObjectItem (cJSON_GetObjectItem (fonts, "c"), "glyphs"));
    //  What was written parses back as the same set.
    fielderr_t err = {"", ""};
    template_t *again = template_parse (fixture->json, NULL, "template", &err);
    assert_non_null (again);
    assert_string_equal (s_font_named (again, "b")->glyphs, "Z김수");
    template_destroy (&again);
    glyphset_destroy (&glyphs);
}

static void
test_glyphset_annotate_needs_the_templates_fonts (void **state)
{
    s_fixture_t *fixture = *state;
    glyphset_t *glyphs = glyphset_new (fixture->tpl);
    s_add (glyphs, fixture->c, "q");
    cJSON *other = cJSON_Parse ("{\"fonts\": {}}");
    assert_non_null (other);
    assert_int_equal (glyphset_annotate (glyphs, other), -1);
    cJSON_Delete (other);
    glyphset_destroy (&glyphs);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_glyphset_starts_with_the_fonts_own_glyphs, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_glyphset_keeps_each_character_once_in_code_point_order,
            s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_glyphset_shares_a_set_between_fonts_on_one_face, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_glyphset_counts_beyond_the_bmp_as_a_space, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_glyphset_ignores_standard_fonts,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_glyphset_holds_the_whole_bmp,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_glyphset_writes_glyphs_into_the_template, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_glyphset_annotate_needs_the_templates_fonts, s_setup,
            s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
