/*  test_apireply - how the command-line client reads the API's replies.

    Status documents, error bodies and submit replies as the ventilator
    sends them, and the malformed ones a broken server or a proxy in front
    of it could send instead.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apireply.h"

#define S_STATUS_RENDERING                                                     \
    "{\"id\": \"7f3a\", \"state\": \"rendering\","                             \
    " \"pages\": {\"done\": 1200, \"total\": 2000},"                           \
    " \"chunks\": {\"done\": 4, \"total\": 8},"                                \
    " \"created_at\": \"2024-05-01T10:00:00Z\","                               \
    " \"transitions\": {\"queued\": \"2024-05-01T10:00:00Z\"},"                \
    " \"error\": null, \"result\": null}"

static void
s_assert_error_text (long status, const char *body, const char *expected)
{
    char *text = apireply_error_text (status, body);
    assert_non_null (text);
    assert_string_equal (text, expected);
    free (text);
}

//  Parsing body must fail, for a reason that mentions `mentions`.
static void
s_assert_rejected (const char *body, const char *mentions)
{
    char reason[APIREPLY_REASON_MAX] = "";
    apireply_t *reply = apireply_parse (body, reason, sizeof reason);
    assert_null (reply);
    assert_non_null (strstr (reason, mentions));
}

//  A queued job's status whose "progress" member is progress (JSON).
static apireply_t *
s_parse_with_progress (const char *progress)
{
    char body[512];
    snprintf (body, sizeof body,
              "{\"id\": \"7f3a\", \"state\": \"queued\","
              " \"pages\": {\"done\": 0, \"total\": 2000},"
              " \"progress\": %s}",
              progress);
    apireply_t *reply = apireply_parse (body, NULL, 0);
    assert_non_null (reply);
    return reply;
}

static void
test_parse_reads_rate_and_time_left_when_given (void **state)
{
    (void)state;
    apireply_t *reply = apireply_parse (S_STATUS_RENDERING, NULL, 0);
    assert_non_null (reply);
    assert_true (apireply_pages_per_s (reply) < 0);
    assert_true (apireply_eta_s (reply) < 0);
    apireply_destroy (&reply);

    reply = s_parse_with_progress ("{\"elapsed_s\": 3.5, \"pages_per_s\":"
                                   " 812.5, \"eta_s\": 0.985}");
    assert_true (apireply_pages_per_s (reply) == 812.5);
    assert_true (apireply_eta_s (reply) == 0.985);
    apireply_destroy (&reply);

    //  null, negative or not an object: unknown, not an error.
    const char *unknowns[] = {"{\"pages_per_s\": null, \"eta_s\": -4}",
                              "\"fast\"", "[1, 2]"};
    for (size_t index = 0; index < 3; index++) {
        reply = s_parse_with_progress (unknowns[index]);
        assert_true (apireply_pages_per_s (reply) < 0);
        assert_true (apireply_eta_s (reply) < 0);
        apireply_destroy (&reply);
    }
}

static void
test_error_text_joins_field_and_message (void **state)
{
    (void)state;
    s_assert_error_text (
        400,
        "{\"error\": {\"message\": \"unknown font \\\"Comic\\\"\","
        " \"field\": \"template.elements[2].font\"}}",
        "template.elements[2].font: unknown font \"Comic\"");
}

static void
test_error_text_does_not_repeat_field_already_in_message (void **state)
{
    (void)state;
    s_assert_error_text (400,
                         "{\"error\": {\"message\": \"records[3].amount: "
                         "expected a string\", \"field\": "
                         "\"records[3].amount\"}}",
                         "records[3].amount: expected a string");
}

static void
test_error_text_without_field_is_message (void **state)
{
    (void)state;
    s_assert_error_text (409, "{\"error\": {\"message\": \"job not done\"}}",
                         "job not done");
    s_assert_error_text (
        413, "{\"error\": {\"message\": \"too big\", \"field\": \"\"}}",
        "too big");
}

static void
test_error_text_accepts_bare_string_error (void **state)
{
    (void)state;
    s_assert_error_text (503, "{\"error\": \"draining\"}", "draining");
}

static void
test_error_text_quotes_non_json_body (void **state)
{
    (void)state;
    s_assert_error_text (
        502, "<html>bad gateway</html>\r\n",
        "server answered HTTP 502 Bad Gateway: <html>bad gateway</html>");
    s_assert_error_text (404, "{\"message\": \"not our shape\"}",
                         "server answered HTTP 404 Not Found: "
                         "{\"message\": \"not our shape\"}");
}

static void
test_error_text_of_empty_body_names_status (void **state)
{
    (void)state;
    s_assert_error_text (503, "",
                         "server answered HTTP 503 Service "
                         "Unavailable");
    s_assert_error_text (500, NULL,
                         "server answered HTTP 500 Internal "
                         "Server Error");
    s_assert_error_text (599, "", "server answered HTTP 599");
}

static void
test_error_text_cuts_long_body (void **state)
{
    (void)state;
    char body[2000];
    memset (body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    char *text = apireply_error_text (500, body);
    assert_non_null (text);
    size_t head = strlen ("server answered HTTP 500 Internal Server Error: ");
    assert_int_equal (strlen (text), head + APIREPLY_EXCERPT_MAX + 3);
    assert_string_equal (text + strlen (text) - 3, "...");
    free (text);
}

static void
test_error_text_cuts_between_utf8_characters (void **state)
{
    (void)state;
    //  "é" is two bytes; one of them falls at the cut.
    char body[APIREPLY_EXCERPT_MAX + 10] = "";
    memset (body, 'x', APIREPLY_EXCERPT_MAX - 1);
    strcat (body, "\xC3\xA9tail");
    char *text = apireply_error_text (500, body);
    assert_non_null (text);
    assert_null (strstr (text, "\xC3..."));
    assert_string_equal (text + strlen (text) - 4, "x...");
    free (text);
}

static void
test_error_text_replaces_control_characters (void **state)
{
    (void)state;
    s_assert_error_text (
        400, "{\"error\": {\"message\": \"bad\\u001b[2Jthing\\nhere\"}}",
        "bad [2Jthing here");
}

static void
test_parse_reads_status_document (void **state)
{
    (void)state;
    char reason[APIREPLY_REASON_MAX] = "";
    apireply_t *reply =
        apireply_parse (S_STATUS_RENDERING, reason, sizeof reason);
    assert_non_null (reply);
    assert_string_equal (apireply_id (reply), "7f3a");
    assert_string_equal (apireply_state (reply), "rendering");
    assert_int_equal (apireply_pages_done (reply), 1200);
    assert_int_equal (apireply_pages_total (reply), 2000);
    assert_null (apireply_error (reply));
    assert_false (apireply_finished (reply));
    apireply_destroy (&reply);
    assert_null (reply);
    apireply_destroy (&reply);
}

static void
test_parse_reads_error_of_failed_job (void **state)
{
    (void)state;
    apireply_t *reply = apireply_parse (
        "{\"id\": \"j1\", \"state\": \"failed\","
        " \"pages\": {\"done\": 250, \"total\": 1000},"
        " \"error\": \"chunk 2: records[300].name: not a string\\r\\n\"}",
        NULL, 0);
    assert_non_null (reply);
    assert_true (apireply_finished (reply));
    assert_string_equal (apireply_error (reply),
                         "chunk 2: records[300].name: not a string");
    apireply_destroy (&reply);
}

static void
test_parse_knows_final_states (void **state)
{
    (void)state;
    const char *states[] = {"queued", "rendering", "merging",  "storing",
                            "done",   "failed",    "cancelled"};
    const bool finished[] = {false, false, false, false, true, true, true};
    for (size_t index = 0; index < 7; index++) {
        char body[256];
        snprintf (body, sizeof body,
                  "{\"id\": \"j\", \"state\": \"%s\","
                  " \"pages\": {\"done\": 0, \"total\": 1}}",
                  states[index]);
        apireply_t *reply = apireply_parse (body, NULL, 0);
        assert_non_null (reply);
        assert_int_equal (apireply_finished (reply), finished[index]);
        apireply_destroy (&reply);
    }
}

static void
test_parse_accepts_unknown_state_as_unfinished (void **state)
{
    (void)state;
    apireply_t *reply =
        apireply_parse ("{\"id\": \"j\", \"state\": \"retrying_chunk\","
                        " \"pages\": {\"done\": 0, \"total\": 1}}",
                        NULL, 0);
    assert_non_null (reply);
    assert_string_equal (apireply_state (reply), "retrying_chunk");
    assert_false (apireply_finished (reply));
    apireply_destroy (&reply);
}

static void
test_parse_rejects_what_is_not_a_document (void **state)
{
    (void)state;
    s_assert_rejected ("", "empty");
    s_assert_rejected (NULL, "empty");
    s_assert_rejected ("<html>", "not JSON");
    s_assert_rejected ("{\"id\": \"j\"} trailing", "not JSON");
    s_assert_rejected ("[1, 2]", "not a JSON object");
}

static void
test_parse_rejects_missing_or_wrong_fields (void **state)
{
    (void)state;
    s_assert_rejected ("{\"state\": \"done\","
                       " \"pages\": {\"done\": 1, \"total\": 1}}",
                       "\"id\"");
    s_assert_rejected ("{\"id\": \"j\","
                       " \"pages\": {\"done\": 1, \"total\": 1}}",
                       "\"state\"");
    s_assert_rejected ("{\"id\": \"j\", \"state\": \"\\u001b[31m\","
                       " \"pages\": {\"done\": 1, \"total\": 1}}",
                       "\"state\"");
    s_assert_rejected ("{\"id\": \"j\", \"state\": \"done\"}", "\"pages\"");
    s_assert_rejected ("{\"id\": \"j\", \"state\": \"done\","
                       " \"pages\": {\"done\": -1, \"total\": 1}}",
                       "pages.done");
    s_assert_rejected ("{\"id\": \"j\", \"state\": \"done\","
                       " \"pages\": {\"done\": 1.5, \"total\": 2}}",
                       "pages.done");
    s_assert_rejected ("{\"id\": \"j\", \"state\": \"done\","
                       " \"pages\": {\"done\": 1, \"total\": \"2\"}}",
                       "pages.total");
    s_assert_rejected ("{\"id\": \"j\", \"state\": \"done\","
                       " \"pages\": {\"done\": 1, \"total\": 1e300}}",
                       "pages.total");
    s_assert_rejected ("{\"id\": \"j\", \"state\": \"failed\","
                       " \"pages\": {\"done\": 1, \"total\": 1},"
                       " \"error\": 42}",
                       "\"error\"");
}

static void
test_pretty_keeps_every_field (void **state)
{
    (void)state;
    apireply_t *reply = apireply_parse (S_STATUS_RENDERING, NULL, 0);
    assert_non_null (reply);
    char *pretty = apireply_pretty (reply);
    assert_non_null (pretty);
    assert_non_null (strstr (pretty, "\"transitions\""));
    assert_non_null (strstr (pretty, "\"chunks\""));
    assert_non_null (strchr (pretty, '\n'));
    free (pretty);
    apireply_destroy (&reply);
}

static void
test_job_id_reads_submit_reply (void **state)
{
    (void)state;
    char reason[APIREPLY_REASON_MAX] = "";
    char *job_id =
        apireply_job_id ("{\"id\": \"01HX7Z-abc\", \"state\": \"queued\"}",
                         reason, sizeof reason);
    assert_non_null (job_id);
    assert_string_equal (job_id, "01HX7Z-abc");
    free (job_id);
}

static void
test_job_id_rejects_unsafe_or_missing_id (void **state)
{
    (void)state;
    const char *bodies[] = {
        "{\"state\": \"queued\"}",
        "{\"id\": 17}",
        "{\"id\": \"\"}",
        "{\"id\": \"a b\"}",
        "{\"id\": \"a/b\"}",
        "{\"id\": \"a\\nb\"}",
        "{\"id\": \"\\u00e9t\\u00e9\"}",
        "not json",
    };
    for (size_t index = 0; index < sizeof bodies / sizeof bodies[0]; index++) {
        char reason[APIREPLY_REASON_MAX] = "";
        char *job_id = apireply_job_id (bodies[index], reason, sizeof reason);
        assert_null (job_id);
        assert_true (strlen (reason) > 0);
    }
    char body[PROTO_JOB_ID_MAX + 32];
    char long_id[PROTO_JOB_ID_MAX + 2];
    memset (long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    snprintf (body, sizeof body, "{\"id\": \"%s\"}", long_id);
    assert_null (apireply_job_id (body, NULL, 0));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_parse_reads_rate_and_time_left_when_given),
        cmocka_unit_test (test_error_text_joins_field_and_message),
        cmocka_unit_test (
            test_error_text_does_not_repeat_field_already_in_message),
        cmocka_unit_test (test_error_text_without_field_is_message),
        cmocka_unit_test (test_error_text_accepts_bare_string_error),
        cmocka_unit_test (test_error_text_quotes_non_json_body),
        cmocka_unit_test (test_error_text_of_empty_body_names_status),
        cmocka_unit_test (test_error_text_cuts_long_body),
        cmocka_unit_test (test_error_text_cuts_between_utf8_characters),
        cmocka_unit_test (test_error_text_replaces_control_characters),
        cmocka_unit_test (test_parse_reads_status_document),
        cmocka_unit_test (test_parse_reads_error_of_failed_job),
        cmocka_unit_test (test_parse_knows_final_states),
        cmocka_unit_test (test_parse_accepts_unknown_state_as_unfinished),
        cmocka_unit_test (test_parse_rejects_what_is_not_a_document),
        cmocka_unit_test (test_parse_rejects_missing_or_wrong_fields),
        cmocka_unit_test (test_pretty_keeps_every_field),
        cmocka_unit_test (test_job_id_reads_submit_reply),
        cmocka_unit_test (test_job_id_rejects_unsafe_or_missing_id),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
