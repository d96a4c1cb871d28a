/*  test_tplcache - worker/tplcache: parsed templates kept by the digest of
    their text, the least recently used dropped first, within a count and
    a byte budget.

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

#include "tplcache.h"

//  A template whose page is width points wide: each width another text.
static const char *
s_template (int width)
{
    static char json[256];
    snprintf (json, sizeof json,
              "{\"page\": {\"width\": %d, \"height\": 800}, \"elements\": "
              "[{\"type\": \"text\", \"text\": \"{{n}}\", \"x\": 10, \"y\": "
              "10}]}",
              width);
    return json;
}

//  The template for width from the cache, which must parse it.
static const template_t *
s_get (tplcache_t *cache, int width)
{
    const char *json = s_template (width);
    fielderr_t err = {"", ""};
    const template_t *tpl = tplcache_get (cache, json, strlen (json), &err);
    if (!tpl)
        fail_msg ("%s: %s", err.field, err.message);
    assert_int_equal ((int)template_page_width (tpl), width);
    return tpl;
}

static void
s_assert_counts (const tplcache_t *cache, size_t count, uint64_t hits,
                 uint64_t misses)
{
    assert_int_equal (tplcache_count (cache), count);
    assert_int_equal (tplcache_hits (cache), hits);
    assert_int_equal (tplcache_misses (cache), misses);
}

static void
test_tplcache_parses_a_text_once (void **state)
{
    (void)state;
    tplcache_t *cache = tplcache_new (4, TPLCACHE_BYTES_MAX);
    assert_non_null (cache);
    const template_t *first = s_get (cache, 600);
    s_assert_counts (cache, 1, 0, 1);
    const template_t *again = s_get (cache, 600);
    assert_ptr_equal (again, first);
    s_assert_counts (cache, 1, 1, 1);
    tplcache_destroy (&cache);
    tplcache_destroy (&cache);
    assert_null (cache);
}

static void
test_tplcache_takes_a_changed_text_for_another_template (void **state)
{
    (void)state;
    tplcache_t *cache = tplcache_new (4, TPLCACHE_BYTES_MAX);
    s_get (cache, 600);
    //  One byte differs: another template.
    s_get (cache, 601);
    s_assert_counts (cache, 2, 0, 2);
    //  The same template with a space more is another text too.
    char spaced[300];
    snprintf (spaced, sizeof spaced, " %s", s_template (600));
    fielderr_t err = {"", ""};
    assert_non_null (tplcache_get (cache, spaced, strlen (spaced), &err));
    s_assert_counts (cache, 3, 0, 3);
    //  Only size bytes count.
    const char *json = s_template (600);
    char longer[300];
    snprintf (longer, sizeof longer, "%s   ", json);
    assert_non_null (tplcache_get (cache, longer, strlen (json), &err));
    s_assert_counts (cache, 3, 1, 3);
    tplcache_destroy (&cache);
}

static void
test_tplcache_drops_the_least_recently_used (void **state)
{
    (void)state;
    tplcache_t *cache = tplcache_new (2, TPLCACHE_BYTES_MAX);
    s_get (cache, 600);
    s_get (cache, 700);
    s_get (cache, 600); // 700 is now the older
    s_get (cache, 800); // drops 700
    s_assert_counts (cache, 2, 1, 3);
    s_get (cache, 600);
    s_get (cache, 800);
    s_assert_counts (cache, 2, 3, 3);
    s_get (cache, 700); // parsed again; drops 600
    s_assert_counts (cache, 2, 3, 4);
    s_get (cache, 600);
    s_assert_counts (cache, 2, 3, 5);
    tplcache_destroy (&cache);
}

static void
test_tplcache_keeps_text_within_its_byte_budget (void **state)
{
    (void)state;
    size_t size = strlen (s_template (600));
    //  Room for two texts, not three.
    tplcache_t *cache = tplcache_new (4, 2 * size + size / 2);
    s_get (cache, 600);
    s_get (cache, 700);
    s_get (cache, 800);
    s_assert_counts (cache, 2, 0, 3);
    s_get (cache, 700);
    s_get (cache, 800);
    s_assert_counts (cache, 2, 2, 3);
    tplcache_destroy (&cache);
    //  A text larger than the budget is kept alone.
    cache = tplcache_new (4, size / 2);
    s_get (cache, 600);
    s_get (cache, 700);
    s_assert_counts (cache, 1, 0, 2);
    s_get (cache, 700);
    s_assert_counts (cache, 1, 1, 2);
    tplcache_destroy (&cache);
}

static void
test_tplcache_keeps_nothing_of_a_bad_template (void **state)
{
    (void)state;
    tplcache_t *cache = tplcache_new (4, TPLCACHE_BYTES_MAX);
    s_get (cache, 600);
    const char *bad = "{\"page\": {\"size\": \"A9\"}, \"elements\": []}";
    for (int tries = 0; tries < 2; tries++) {
        fielderr_t err = {"", ""};
        assert_null (tplcache_get (cache, bad, strlen (bad), &err));
        assert_string_equal (err.field, "template.page.size");
    }
    s_assert_counts (cache, 1, 0, 3);
    s_get (cache, 600);
    s_assert_counts (cache, 1, 1, 3);
    tplcache_destroy (&cache);
}

static tpldigest_t
s_digest (int width)
{
    const char *json = s_template (width);
    tpldigest_t digest;
    assert_int_equal (tpldigest_compute (json, strlen (json), &digest), 0);
    return digest;
}

static void
test_tplcache_finds_a_put_template_by_digest (void **state)
{
    (void)state;
    tplcache_t *cache = tplcache_new (4, TPLCACHE_BYTES_MAX);
    tpldigest_t digest = s_digest (300);
    assert_null (tplcache_lookup (cache, &digest));
    const char *json = s_template (300);
    fielderr_t err = {"", ""};
    const template_t *put =
        tplcache_put (cache, &digest, json, strlen (json), &err);
    assert_non_null (put);
    assert_ptr_equal (tplcache_lookup (cache, &digest), put);
    //  A put of the same text again is the kept one, parsed once.
    assert_ptr_equal (tplcache_put (cache, &digest, json, strlen (json), &err),
                      put);
    s_assert_counts (cache, 1, 2, 2);
    tpldigest_t other = s_digest (301);
    assert_null (tplcache_lookup (cache, &other));
    tplcache_destroy (&cache);
}

static void
test_tplcache_refuses_a_text_under_another_digest (void **state)
{
    (void)state;
    tplcache_t *cache = tplcache_new (4, TPLCACHE_BYTES_MAX);
    //  Width 400's text under width 300's digest: refused, and nothing is
    //  kept under either digest.
    tpldigest_t digest = s_digest (300);
    const char *json = s_template (400);
    fielderr_t err = {"", ""};
    assert_null (tplcache_put (cache, &digest, json, strlen (json), &err));
    assert_string_equal (err.field, "template");
    if (!strstr (err.message, "does not match its digest"))
        fail_msg ("message '%s' does not name the digest", err.message);
    assert_int_equal (tplcache_count (cache), 0);
    assert_null (tplcache_lookup (cache, &digest));
    tpldigest_t own = s_digest (400);
    assert_null (tplcache_lookup (cache, &own));
    //  Nor does a refused text displace a kept one.
    s_get (cache, 300);
    json = s_template (400); // s_template's buffer is shared
    assert_null (tplcache_put (cache, &digest, json, strlen (json), &err));
    const template_t *kept = tplcache_lookup (cache, &digest);
    assert_non_null (kept);
    assert_int_equal ((int)template_page_width (kept), 300);
    tplcache_destroy (&cache);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_tplcache_parses_a_text_once),
        cmocka_unit_test (
            test_tplcache_takes_a_changed_text_for_another_template),
        cmocka_unit_test (test_tplcache_drops_the_least_recently_used),
        cmocka_unit_test (test_tplcache_keeps_text_within_its_byte_budget),
        cmocka_unit_test (test_tplcache_keeps_nothing_of_a_bad_template),
        cmocka_unit_test (test_tplcache_finds_a_put_template_by_digest),
        cmocka_unit_test (test_tplcache_refuses_a_text_under_another_digest),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
