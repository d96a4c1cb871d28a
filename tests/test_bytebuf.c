/*  test_bytebuf - common/util/bytebuf: appending, reading from the front,
    growing, and building text.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytebuf.h"

static void
test_bytebuf_appends_after_what_is_unread (void **state)
{
    (void)state;
    bytebuf_t queue = {0};
    assert_int_equal (bytebuf_append (&queue, "hello ", 6), 0);
    queue.read = 2;
    assert_int_equal (bytebuf_append (&queue, "world", 5), 0);
    assert_int_equal (queue.read, 0);
    assert_int_equal (queue.size, 9);
    assert_memory_equal (queue.data, "llo world", 9);
    bytebuf_free (&queue);
    assert_null (queue.data);
    assert_int_equal (queue.size, 0);
}

static void
test_bytebuf_grows_past_its_first_allocation (void **state)
{
    (void)state;
    bytebuf_t queue = {0};
    char piece[1000];
    for (int round = 0; round < 20; round++) {
        memset (piece, 'a' + round, sizeof piece);
        assert_int_equal (bytebuf_append (&queue, piece, sizeof piece), 0);
    }
    assert_int_equal (queue.size, 20000);
    assert_true (queue.space > 20000);
    assert_int_equal (queue.data[19999], 'a' + 19);
    queue.read = queue.size;
    assert_int_equal (bytebuf_append (&queue, NULL, 0), 0);
    assert_int_equal (queue.size, 0);
    bytebuf_free (&queue);
}

static void
test_bytebuf_text_is_always_terminated (void **state)
{
    (void)state;
    bytebuf_t text = {0};
    assert_int_equal (bytebuf_append (&text, "abc", 3), 0);
    assert_string_equal (text.data, "abc");
    //  Exactly filling the first allocation still leaves room for the NUL.
    char fill[BYTEBUF_INITIAL];
    memset (fill, 'x', sizeof fill);
    assert_int_equal (bytebuf_append (&text, fill, sizeof fill - 4), 0);
    assert_int_equal (text.size, BYTEBUF_INITIAL - 1);
    assert_int_equal (strlen (text.data), BYTEBUF_INITIAL - 1);
    bytebuf_free (&text);
}

static void
test_bytebuf_detach_gives_the_text_and_empties (void **state)
{
    (void)state;
    bytebuf_t text = {0};
    assert_int_equal (bytebuf_append_str (&text, "key="), 0);
    assert_int_equal (bytebuf_append_str (&text, "value"), 0);
    char *result = bytebuf_detach (&text);
    assert_string_equal (result, "key=value");
    assert_null (text.data);
    assert_int_equal (text.size, 0);
    free (result);

    //  Nothing appended gives an empty string, not NULL.
    result = bytebuf_detach (&text);
    assert_non_null (result);
    assert_string_equal (result, "");
    free (result);
}

static void
test_bytebuf_failure_is_sticky_until_reset (void **state)
{
    (void)state;
    bytebuf_t text = {0};
    assert_int_equal (bytebuf_append_str (&text, "kept"), 0);
    //  More than memory can hold fails, and so does everything after it.
    assert_int_equal (bytebuf_append (&text, "x", SIZE_MAX - 2), -1);
    assert_true (text.failed);
    assert_int_equal (bytebuf_append_str (&text, "more"), -1);
    assert_string_equal (text.data, "kept");
    bytebuf_reset (&text);
    assert_false (text.failed);
    assert_int_equal (text.size, 0);
    assert_int_equal (bytebuf_append_str (&text, "again"), 0);
    assert_string_equal (text.data, "again");
    assert_int_equal (bytebuf_append (&text, "x", SIZE_MAX - 2), -1);
    assert_null (bytebuf_detach (&text));
    assert_null (text.data);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bytebuf_appends_after_what_is_unread),
        cmocka_unit_test (test_bytebuf_grows_past_its_first_allocation),
        cmocka_unit_test (test_bytebuf_text_is_always_terminated),
        cmocka_unit_test (test_bytebuf_detach_gives_the_text_and_empties),
        cmocka_unit_test (test_bytebuf_failure_is_sticky_until_reset),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
