/*  test_packcache - deflated copies of repeated streams: what comes back
    inflates to the bytes given, a stream seen before is answered from
    the cache, only equal bytes match, the cache stays bounded, and pages
    are deflated one by one with a state reused.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "packcache.h"

//  Assert that packed (packed_size bytes) inflates to raw.
static void
s_assert_inflates_to (const void *packed, size_t packed_size, const void *raw,
                      size_t raw_size)
{
    unsigned char *back = malloc (raw_size + 1);
    uLongf back_size = (uLongf)raw_size + 1;
    assert_int_equal (uncompress (back, &back_size, packed, (uLong)packed_size),
                      Z_OK);
    assert_int_equal (back_size, raw_size);
    assert_memory_equal (back, raw, raw_size);
    free (back);
}

static void
test_packcache_answers_a_repeated_stream_from_the_cache (void **state)
{
    (void)state;
    packcache_t *cache = packcache_new ();
    assert_non_null (cache);
    char raw[4000];
    for (size_t index = 0; index < sizeof raw; index++)
        raw[index] = (char)("0123456789 Tj\n"[index % 14]);
    const void *packed;
    size_t packed_size;
    assert_int_equal (
        packcache_get (cache, raw, sizeof raw, &packed, &packed_size), 0);
    assert_true (packed_size < sizeof raw / 4);
    s_assert_inflates_to (packed, packed_size, raw, sizeof raw);
    //  The same bytes from another buffer: a hit, the same copy.
    char *again = malloc (sizeof raw);
    memcpy (again, raw, sizeof raw);
    const void *packed_again;
    size_t packed_again_size;
    assert_int_equal (packcache_get (cache, again, sizeof raw, &packed_again,
                                     &packed_again_size),
                      0);
    assert_ptr_equal (packed_again, packed);
    assert_int_equal (packed_again_size, packed_size);
    //  One byte different, same size: a miss, deflated anew.
    again[2000] = 'x';
    assert_int_equal (packcache_get (cache, again, sizeof raw, &packed_again,
                                     &packed_again_size),
                      0);
    s_assert_inflates_to (packed_again, packed_again_size, again, sizeof raw);
    assert_int_equal (packcache_hits (cache), 1);
    assert_int_equal (packcache_misses (cache), 2);
    free (again);
    packcache_destroy (&cache);
    packcache_destroy (&cache);
    assert_null (cache);
}

static void
test_packcache_stays_bounded (void **state)
{
    (void)state;
    packcache_t *cache = packcache_new ();
    char raw[100];
    const void *packed;
    size_t packed_size;
    //  More streams than entries: the first is dropped, so asking for it
    //  again is a miss; the last is still kept.
    for (int stream = 0; stream <= PACKCACHE_ENTRIES; stream++) {
        snprintf (raw, sizeof raw, "stream %d", stream);
        assert_int_equal (
            packcache_get (cache, raw, strlen (raw), &packed, &packed_size), 0);
    }
    assert_int_equal (
        packcache_get (cache, raw, strlen (raw), &packed, &packed_size), 0);
    assert_int_equal (packcache_hits (cache), 1);
    snprintf (raw, sizeof raw, "stream %d", 0);
    assert_int_equal (
        packcache_get (cache, raw, strlen (raw), &packed, &packed_size), 0);
    assert_int_equal (packcache_hits (cache), 1);
    s_assert_inflates_to (packed, packed_size, raw, strlen (raw));
    //  Streams that fill the bound in all: the older ones are dropped.
    size_t large_size = PACKCACHE_BYTES_MAX / 3;
    char *large = malloc (large_size);
    for (int stream = 0; stream < 4; stream++) {
        memset (large, 'a' + stream, large_size);
        assert_int_equal (
            packcache_get (cache, large, large_size, &packed, &packed_size), 0);
    }
    size_t hits = packcache_hits (cache);
    memset (large, 'a', large_size); // the first, dropped
    assert_int_equal (
        packcache_get (cache, large, large_size, &packed, &packed_size), 0);
    assert_int_equal (packcache_hits (cache), hits);
    memset (large, 'a' + 3, large_size); // the last, kept
    assert_int_equal (
        packcache_get (cache, large, large_size, &packed, &packed_size), 0);
    assert_int_equal (packcache_hits (cache), hits + 1);
    s_assert_inflates_to (packed, packed_size, large, large_size);
    free (large);
    //  A stream over the limit is declined, for the caller to deflate.
    char *huge = calloc (1, PACKCACHE_RAW_MAX + 1);
    assert_int_equal (packcache_get (cache, huge, PACKCACHE_RAW_MAX + 1,
                                     &packed, &packed_size),
                      -1);
    free (huge);
    //  An empty stream deflates too.
    assert_int_equal (packcache_get (cache, "", 0, &packed, &packed_size), 0);
    s_assert_inflates_to (packed, packed_size, "", 0);
    packcache_destroy (&cache);
}

static void
test_packcache_deflates_pages_that_do_not_repeat (void **state)
{
    (void)state;
    packcache_t *cache = packcache_new ();
    const void *packed;
    size_t packed_size;
    //  One state serves every page: each deflate stands alone, and the
    //  bigger page after a small one gets a bigger buffer.
    char small[] = "BT\n50 780 Td\n(INVOICE) Tj\nET\n";
    assert_int_equal (
        packcache_deflate (cache, small, strlen (small), &packed, &packed_size),
        0);
    s_assert_inflates_to (packed, packed_size, small, strlen (small));
    size_t big_size = 300000;
    char *big = malloc (big_size);
    for (size_t index = 0; index < big_size; index++)
        big[index] = (char)(index * 7919 % 251);
    assert_int_equal (
        packcache_deflate (cache, big, big_size, &packed, &packed_size), 0);
    s_assert_inflates_to (packed, packed_size, big, big_size);
    //  The same bytes as a one-shot deflate at the default level, as
    //  libharu's would be.
    uLongf once_size = compressBound ((uLong)big_size);
    unsigned char *once = malloc (once_size);
    assert_int_equal (compress2 (once, &once_size, (const Bytef *)big,
                                 (uLong)big_size, Z_DEFAULT_COMPRESSION),
                      Z_OK);
    assert_int_equal (once_size, packed_size);
    assert_memory_equal (once, packed, packed_size);
    //  Nothing kept: not a hit for packcache_get.
    assert_int_equal (packcache_hits (cache), 0);
    assert_int_equal (packcache_misses (cache), 0);
    free (once);
    free (big);
    packcache_destroy (&cache);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
            test_packcache_answers_a_repeated_stream_from_the_cache),
        cmocka_unit_test (test_packcache_stays_bounded),
        cmocka_unit_test (test_packcache_deflates_pages_that_do_not_repeat),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
