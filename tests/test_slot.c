/*  test_slot - the worker's render thread: a chunk goes in, its RESULT goes
    to the sink socket and a report comes back; a bad chunk is reported
    with its reason and sends nothing; one chunk renders at a time and
    one more waits.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "slot.h"

#define S_TEMPLATE                                                             \
    "{\"elements\": [{\"type\": \"text\", \"text\": \"{{name}}\","             \
    " \"x\": 50, \"y\": 700, \"font\": \"Helvetica\", \"size\": 12}]}"

typedef struct {
    zsock_t *sink; // the PULL end the slot's results reach
    slot_t *slot;
} s_fixture_t;

static int
s_setup (void **state)
{
    static int counter = 0;
    s_fixture_t *fixture = (s_fixture_t *)zmalloc (sizeof (s_fixture_t));
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://test-slot-%d", counter++);
    fixture->sink = zsock_new_pull (endpoint);
    assert_non_null (fixture->sink);
    zsock_set_rcvtimeo (fixture->sink, 10000);
    zsock_t *push = zsock_new_push (endpoint);
    assert_non_null (push);
    fixture->slot = slot_new (&push);
    assert_null (push);
    assert_non_null (fixture->slot);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    slot_destroy (&fixture->slot);
    zsock_destroy (&fixture->sink);
    free (fixture);
    return 0;
}

static wire_t *
s_chunk (uint32_t first_page, uint32_t page_count, const char *records)
{
    wire_t *chunk = wire_new (WIRE_CHUNK);
    wire_set_job_id (chunk, "job-1");
    wire_set_chunk_nbr (chunk, 1);
    wire_set_attempt (chunk, 2);
    wire_set_first_page (chunk, first_page);
    wire_set_page_count (chunk, page_count);
    wire_set_total_pages (chunk, 4);
    wire_set_chunk_count (chunk, 2);
    tpldigest_t digest;
    tpldigest_compute (S_TEMPLATE, strlen (S_TEMPLATE), &digest);
    wire_set_digest (chunk, &digest);
    wire_set_template_json (chunk, S_TEMPLATE);
    wire_set_records_json (chunk, records);
    return chunk;
}

//  Wait for the slot's report, as the worker's loop does.
static int
s_wait_report (slot_t *slot, wire_t **chunk_p, char *error)
{
    zpoller_t *poller = zpoller_new (slot_sock (slot), NULL);
    void *which = zpoller_wait (poller, 10000);
    zpoller_destroy (&poller);
    assert_ptr_equal (which, slot_sock (slot));
    return slot_recv (slot, chunk_p, error);
}

static void
test_chunk_is_rendered_and_sent_to_the_sink (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    wire_t *chunk =
        s_chunk (3, 2, "[{\"name\": \"Ada\"}, {\"name\": \"Bob\"}]");
    assert_false (slot_busy (fixture->slot));
    assert_int_equal (slot_submit (fixture->slot, &chunk), 0);
    assert_null (chunk);
    assert_true (slot_busy (fixture->slot));

    wire_t *result = wire_recv (fixture->sink);
    assert_non_null (result);
    assert_int_equal (wire_id (result), WIRE_RESULT);
    assert_string_equal (wire_job_id (result), "job-1");
    assert_int_equal (wire_chunk_nbr (result), 1);
    assert_int_equal (wire_attempt (result), 2);
    assert_int_equal (wire_first_page (result), 3);
    assert_int_equal (wire_page_count (result), 2);
    assert_int_equal (wire_total_pages (result), 4);
    assert_int_equal (wire_chunk_count (result), 2);
    zframe_t *pdf = wire_pdf (result);
    assert_non_null (pdf);
    assert_memory_equal (zframe_data (pdf), "%PDF-", 5);
    wire_destroy (&result);

    char error[SLOT_ERROR_MAX];
    assert_int_equal (s_wait_report (fixture->slot, &chunk, error), 0);
    assert_string_equal (error, "");
    assert_non_null (chunk);
    assert_string_equal (wire_job_id (chunk), "job-1");
    assert_false (slot_busy (fixture->slot));
    wire_destroy (&chunk);
}

static void
test_bad_chunk_is_reported_and_sends_nothing (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    //  Two pages, one record.
    wire_t *chunk = s_chunk (1, 2, "[{\"name\": \"Ada\"}]");
    assert_int_equal (slot_submit (fixture->slot, &chunk), 0);
    char error[SLOT_ERROR_MAX];
    assert_int_equal (s_wait_report (fixture->slot, &chunk, error), -1);
    assert_non_null (strstr (error, "records"));
    assert_non_null (strstr (error, "1 records for page_count 2"));
    assert_int_equal (wire_attempt (chunk), 2);
    wire_destroy (&chunk);

    //  Pages past the end of the job.
    chunk = s_chunk (4, 2, "[{\"name\": \"Ada\"}, {\"name\": \"Bob\"}]");
    assert_int_equal (slot_submit (fixture->slot, &chunk), 0);
    assert_int_equal (s_wait_report (fixture->slot, &chunk, error), -1);
    assert_non_null (strstr (error, "beyond total_pages 4"));
    wire_destroy (&chunk);

    zsock_set_rcvtimeo (fixture->sink, 100);
    assert_null (zmsg_recv (fixture->sink));
}

//  Pages 1 and 2 as two one-page chunks: the first goes to the thread,
//  the second waits.
static void
s_submit_two (slot_t *slot)
{
    wire_t *first = s_chunk (1, 1, "[{\"name\": \"Ada\"}]");
    wire_t *second = s_chunk (2, 1, "[{\"name\": \"Bob\"}]");
    assert_int_equal (slot_submit (slot, &first), 0);
    assert_int_equal (slot_held (slot), 1);
    assert_int_equal (slot_submit (slot, &second), 0);
    assert_null (second);
    assert_int_equal (slot_held (slot), SLOT_DEPTH);
}

static void
test_next_chunk_waits_and_a_third_is_refused (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_submit_two (fixture->slot);
    wire_t *third = s_chunk (3, 1, "[{\"name\": \"Cy\"}]");
    assert_int_equal (slot_submit (fixture->slot, &third), -1);
    assert_non_null (third);
    wire_destroy (&third);

    //  The first one's report starts the second, which then reports.
    char error[SLOT_ERROR_MAX];
    wire_t *chunk = NULL;
    assert_int_equal (s_wait_report (fixture->slot, &chunk, error), 0);
    assert_int_equal (wire_first_page (chunk), 1);
    wire_destroy (&chunk);
    assert_true (slot_busy (fixture->slot));
    assert_int_equal (slot_held (fixture->slot), 1);
    assert_int_equal (s_wait_report (fixture->slot, &chunk, error), 0);
    assert_int_equal (wire_first_page (chunk), 2);
    wire_destroy (&chunk);
    assert_false (slot_busy (fixture->slot));
    assert_int_equal (slot_held (fixture->slot), 0);
    for (uint32_t page = 1; page <= 2; page++) {
        wire_t *result = wire_recv (fixture->sink);
        assert_non_null (result);
        assert_int_equal (wire_first_page (result), page);
        wire_destroy (&result);
    }
}

static void
test_waiting_chunk_is_taken_back_unstarted (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_submit_two (fixture->slot);
    wire_t *taken = slot_take_waiting (fixture->slot);
    assert_non_null (taken);
    assert_int_equal (wire_first_page (taken), 2);
    wire_destroy (&taken);
    assert_null (slot_take_waiting (fixture->slot));

    char error[SLOT_ERROR_MAX];
    wire_t *chunk = NULL;
    assert_int_equal (s_wait_report (fixture->slot, &chunk, error), 0);
    assert_int_equal (wire_first_page (chunk), 1);
    wire_destroy (&chunk);
    assert_false (slot_busy (fixture->slot));
    //  Only the first one reached the sink.
    wire_t *result = wire_recv (fixture->sink);
    assert_non_null (result);
    assert_int_equal (wire_first_page (result), 1);
    wire_destroy (&result);
    zsock_set_rcvtimeo (fixture->sink, 100);
    assert_null (zmsg_recv (fixture->sink));
}

//  Destroying a slot that holds two chunks renders the first, drops the
//  second; the teardown does it.
static void
test_destroy_with_a_chunk_waiting (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_submit_two (fixture->slot);
}

//  Submit chunk and wait for its report; returns the outcome, and the
//  error in error.
static slot_outcome_t
s_run (s_fixture_t *fixture, wire_t *chunk, char *error)
{
    assert_int_equal (slot_submit (fixture->slot, &chunk), 0);
    slot_outcome_t outcome = s_wait_report (fixture->slot, &chunk, error);
    wire_destroy (&chunk);
    return outcome;
}

static void
test_chunk_without_template_uses_the_kept_one (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char error[SLOT_ERROR_MAX];
    wire_t *chunk = s_chunk (1, 1, "[{\"name\": \"Ada\"}]");
    wire_set_template_json (chunk, "");
    //  Never sent: the slot asks for it, and sends nothing to the sink.
    assert_int_equal (s_run (fixture, chunk, error), SLOT_TEMPLATE_MISS);
    assert_string_equal (error, "");
    zsock_set_rcvtimeo (fixture->sink, 100);
    assert_null (zmsg_recv (fixture->sink));
    zsock_set_rcvtimeo (fixture->sink, 10000);
    //  Sent once, then kept.
    assert_int_equal (s_run (fixture, s_chunk (1, 1, "[{\"name\": \"Ada\"}]"),
                             error),
                      SLOT_RENDERED);
    wire_t *result = wire_recv (fixture->sink);
    assert_non_null (result);
    wire_destroy (&result);
    chunk = s_chunk (2, 1, "[{\"name\": \"Bob\"}]");
    wire_set_template_json (chunk, "");
    assert_int_equal (s_run (fixture, chunk, error), SLOT_RENDERED);
    result = wire_recv (fixture->sink);
    assert_non_null (result);
    assert_int_equal (wire_first_page (result), 2);
    wire_destroy (&result);
}

static void
test_template_not_matching_its_digest_is_refused_and_not_kept (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char error[SLOT_ERROR_MAX];
    //  Another template under S_TEMPLATE's digest.
    wire_t *chunk = s_chunk (1, 1, "[{\"name\": \"Ada\"}]");
    wire_set_template_json (chunk, "{\"elements\": []}");
    assert_int_equal (s_run (fixture, chunk, error), SLOT_FAILED);
    if (!strstr (error, "template: does not match its digest"))
        fail_msg ("error '%s' does not name the digest", error);
    //  Nothing was kept under that digest.
    chunk = s_chunk (1, 1, "[{\"name\": \"Ada\"}]");
    wire_set_template_json (chunk, "");
    assert_int_equal (s_run (fixture, chunk, error), SLOT_TEMPLATE_MISS);
    zsock_set_rcvtimeo (fixture->sink, 100);
    assert_null (zmsg_recv (fixture->sink));
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_chunk_is_rendered_and_sent_to_the_sink, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_bad_chunk_is_reported_and_sends_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_next_chunk_waits_and_a_third_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_waiting_chunk_is_taken_back_unstarted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_destroy_with_a_chunk_waiting,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_chunk_without_template_uses_the_kept_one, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_template_not_matching_its_digest_is_refused_and_not_kept,
            s_setup, s_teardown),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return failed;
}
