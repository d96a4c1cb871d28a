/*  test_proto - common/proto: the job states' names and the limits the
    processes share.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "proto.h"

static void
test_state_names_round_trip (void **state)
{
    (void)state;
    for (int index = JOB_QUEUED; index <= JOB_CANCELLED; index++) {
        jobstate_t parsed = JOB_FAILED;
        assert_int_equal (
            jobstate_parse (jobstate_name ((jobstate_t)index), &parsed), 0);
        assert_int_equal (parsed, index);
    }
    assert_string_equal (jobstate_name (JOB_RENDERING), "rendering");
    assert_string_equal (jobstate_name (JOB_MERGING), "merging");
    assert_string_equal (jobstate_name (JOB_STORING), "storing");
    assert_string_equal (jobstate_name (JOB_CANCELLED), "cancelled");
    assert_string_equal (jobstate_name ((jobstate_t)JOBSTATE_COUNT), "unknown");
}

static void
test_state_parse_rejects_other_names (void **state)
{
    (void)state;
    jobstate_t parsed = JOB_QUEUED;
    assert_int_equal (jobstate_parse ("Done", &parsed), -1);
    assert_int_equal (jobstate_parse ("done ", &parsed), -1);
    assert_int_equal (jobstate_parse ("", &parsed), -1);
    assert_int_equal (jobstate_parse (NULL, &parsed), -1);
    assert_int_equal (parsed, JOB_QUEUED);
}

static void
test_terminal_states_are_done_failed_cancelled (void **state)
{
    (void)state;
    assert_true (jobstate_is_terminal (JOB_DONE));
    assert_true (jobstate_is_terminal (JOB_FAILED));
    assert_true (jobstate_is_terminal (JOB_CANCELLED));
    assert_false (jobstate_is_terminal (JOB_QUEUED));
    assert_false (jobstate_is_terminal (JOB_RENDERING));
    assert_false (jobstate_is_terminal (JOB_MERGING));
    assert_false (jobstate_is_terminal (JOB_STORING));
}

static void
test_limits_fit_each_other (void **state)
{
    (void)state;
    //  Issued ids must pass every check of a travelling id, a chunk must
    //  fit a job, and a RESULT must have room for its chunk PDF.
    assert_true (PROTO_JOB_ID_LENGTH <= PROTO_JOB_ID_MAX);
    assert_true (PROTO_CHUNK_PAGES_MAX <= PROTO_PAGES_MAX);
    assert_true (PROTO_RESULT_BYTES_MAX > PROTO_CHUNK_BYTES_MAX);
    assert_true (PROTO_WORKER_EXPIRY_MIN_MS >= 2 * PROTO_HEARTBEAT_INTERVAL_MS);
    assert_true (PROTO_WORKER_EXPIRY_MS >= PROTO_WORKER_EXPIRY_MIN_MS);
}

static void
test_version_is_in_the_signature (void **state)
{
    (void)state;
    char expected[32];
    snprintf (expected, sizeof expected, "PDFPIPE/%d", PROTO_VERSION);
    assert_string_equal (PROTO_SIGNATURE, expected);
    assert_true (PROTO_VERSION >= 2);
    assert_true (PROTO_WORKER_TEMPLATES >= 1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_state_names_round_trip),
        cmocka_unit_test (test_state_parse_rejects_other_names),
        cmocka_unit_test (test_terminal_states_are_done_failed_cancelled),
        cmocka_unit_test (test_limits_fit_each_other),
        cmocka_unit_test (test_version_is_in_the_signature),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
