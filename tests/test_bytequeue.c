/*  test_bytequeue - appending, reading from the front, growing.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "bytequeue.h"

static void
test_bytequeue_appends_after_what_is_unread (void **state)
{
    (void)state;
    bytequeue_t queue = {0};
    assert_int_equal (bytequeue_append (&queue, "hello ", 6), 0);
    queue.read = 2;
    assert_int_equal (bytequeue_append (&queue, "world", 5), 0);
    assert_int_equal (queue.read, 0);
    assert_int_equal (queue.size, 9);
    assert_memory_equal (queue.data, "llo world", 9);
    bytequeue_free (&queue);
    assert_null (queue.data);
    assert_int_equal (queue.size, 0);
}

static void
test_bytequeue_grows_past_its_first_allocation (void **state)
{
    (void)state;
    bytequeue_t queue = {0};
    char piece[1000];
    for (int round = 0; round < 20; round++) {
        memset (piece, 'a' + round, sizeof piece);
        assert_int_equal (bytequeue_append (&queue, piece, sizeof piece), 0);
    }
    assert_int_equal (queue.size, 20000);
    assert_true (queue.space >= 20000);
    assert_int_equal (queue.data[19999], 'a' + 19);
    queue.read = queue.size;
    assert_int_equal (bytequeue_append (&queue, NULL, 0), 0);
    assert_int_equal (queue.size, 0);
    bytequeue_free (&queue);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bytequeue_appends_after_what_is_unread),
        cmocka_unit_test (test_bytequeue_grows_past_its_first_allocation),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
