/*  test_log - common/util/log: the json line (time, level, process, the
    job, chunk and worker words, escaping, bounds) and what each format
    writes to stderr, czmq's own lines included.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

//  2026-01-02T03:04:05.678Z
#define S_TIME_MS 1767323045678LL

//  The json line for message, parsed; checks it is one line ending in a
//  newline. Caller deletes.
static cJSON *
s_parse_line (const char *message)
{
    char *line = log_json_line ("pdfpipe-sink", "info", message, S_TIME_MS);
    assert_non_null (line);
    size_t size = strlen (line);
    assert_true (size > 0);
    assert_int_equal (line[size - 1], '\n');
    if (memchr (line, '\n', size - 1))
        fail_msg ("more than one line: %s", line);
    cJSON *json = cJSON_Parse (line);
    if (!json)
        fail_msg ("not JSON: %s", line);
    free (line);
    return json;
}

static const char *
s_string (const cJSON *json, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (json, name);
    if (!cJSON_IsString (item))
        fail_msg ("\"%s\" is not a string", name);
    return item->valuestring;
}

static void
test_json_line_has_time_level_process_and_message (void **state)
{
    (void)state;
    cJSON *json = s_parse_line ("results on tcp://127.0.0.1:5557");
    assert_string_equal (s_string (json, "time"), "2026-01-02T03:04:05.678Z");
    assert_string_equal (s_string (json, "level"), "info");
    assert_string_equal (s_string (json, "process"), "pdfpipe-sink");
    assert_string_equal (s_string (json, "message"),
                         "results on tcp://127.0.0.1:5557");
    assert_null (cJSON_GetObjectItem (json, "job"));
    assert_null (cJSON_GetObjectItem (json, "chunk"));
    assert_null (cJSON_GetObjectItem (json, "worker"));
    cJSON_Delete (json);
}

static void
test_json_line_pads_milliseconds (void **state)
{
    (void)state;
    char *line = log_json_line ("p", "debug", "m", 7);
    assert_non_null (line);
    if (!strstr (line, "\"time\":\"1970-01-01T00:00:00.007Z\""))
        fail_msg ("wrong time: %s", line);
    free (line);
}

static void
test_json_line_takes_job_chunk_and_worker_words (void **state)
{
    (void)state;
    cJSON *json = s_parse_line (
        "job=5f2a9c chunk=12: attempt=2 failed on worker=w1-ab12cd34: boom");
    assert_string_equal (s_string (json, "job"), "5f2a9c");
    const cJSON *chunk = cJSON_GetObjectItem (json, "chunk");
    assert_true (cJSON_IsNumber (chunk));
    assert_int_equal (chunk->valueint, 12);
    assert_string_equal (s_string (json, "worker"), "w1-ab12cd34");
    cJSON_Delete (json);

    json = s_parse_line ("intake: job=7a; cannot read");
    assert_string_equal (s_string (json, "job"), "7a");
    cJSON_Delete (json);
}

static void
test_json_line_ignores_words_that_only_end_in_the_name (void **state)
{
    (void)state;
    cJSON *json = s_parse_line ("subjob=1 mychunk=2 job= worker=:");
    assert_null (cJSON_GetObjectItem (json, "job"));
    assert_null (cJSON_GetObjectItem (json, "chunk"));
    assert_null (cJSON_GetObjectItem (json, "worker"));
    cJSON_Delete (json);
    //  The first real word counts, after a false one.
    json = s_parse_line ("subjob=1 (job=9b) chunk=x7");
    assert_string_equal (s_string (json, "job"), "9b");
    assert_string_equal (s_string (json, "chunk"), "x7");
    cJSON_Delete (json);
}

static void
test_json_line_escapes_quotes_controls_and_bad_utf8 (void **state)
{
    (void)state;
    cJSON *json = s_parse_line ("say \"hi\"\\ \n\t\x01 caf\xC3\xA9 \xFF\xC3 "
                                "job=a\"b\xFE");
    assert_string_equal (s_string (json, "message"),
                         "say \"hi\"\\ \n\t\x01 caf\xC3\xA9 \xEF\xBF\xBD"
                         "\xEF\xBF\xBD job=a\"b\xEF\xBF\xBD");
    assert_string_equal (s_string (json, "job"), "a\"b\xEF\xBF\xBD");
    cJSON_Delete (json);
}

static void
test_json_line_bounds_a_long_message (void **state)
{
    (void)state;
    size_t size = LOG_MESSAGE_MAX * 4;
    char *message = malloc (size + 1);
    assert_non_null (message);
    memset (message, 'x', size);
    memcpy (message, "job=J ", 6);
    message[size] = '\0';
    cJSON *json = s_parse_line (message);
    assert_int_equal (strlen (s_string (json, "message")), LOG_MESSAGE_MAX);
    assert_string_equal (s_string (json, "job"), "J");
    cJSON_Delete (json);
    free (message);
}

//  What the log functions write to stderr while run runs; caller frees.
static char *
s_capture_stderr (void (*run) (void))
{
    char path[] = "/tmp/test_log-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    unlink (path);
    fflush (stderr);
    int saved = dup (STDERR_FILENO);
    assert_true (saved >= 0);
    dup2 (fd, STDERR_FILENO);
    run ();
    fflush (stderr);
    dup2 (saved, STDERR_FILENO);
    close (saved);
    off_t size = lseek (fd, 0, SEEK_END);
    char *text = calloc (1, (size_t)size + 1);
    assert_non_null (text);
    assert_int_equal (pread (fd, text, (size_t)size, 0), size);
    close (fd);
    return text;
}

static void
s_log_some_json (void)
{
    log_init ("worker-7", false);
    log_set_format (LOG_FORMAT_JSON);
    log_info ("job=%s chunk=%u rendered", "J1", 3u);
    log_debug ("not shown");
    log_error ("worker=%s lost", "w2");
    //  czmq's own line, through zsys, becomes json too.
    zsys_warning ("czmq says %d", 42);
    log_set_format (LOG_FORMAT_TEXT);
}

static void
test_json_format_writes_one_object_per_line (void **state)
{
    (void)state;
    char *text = s_capture_stderr (s_log_some_json);
    const char *expected[][3] = {
        {"info", "job=J1 chunk=3 rendered", "J1"},
        {"error", "worker=w2 lost", NULL},
        {"warning", "czmq says 42", NULL},
    };
    char *line = text;
    for (size_t index = 0; index < 3; index++) {
        char *end = strchr (line, '\n');
        if (!end)
            fail_msg ("line %zu missing in:\n%s", index + 1, text);
        *end = '\0';
        cJSON *json = cJSON_Parse (line);
        if (!json)
            fail_msg ("not JSON: %s", line);
        assert_string_equal (s_string (json, "level"), expected[index][0]);
        assert_string_equal (s_string (json, "message"), expected[index][1]);
        assert_string_equal (s_string (json, "process"), "worker-7");
        if (expected[index][2])
            assert_string_equal (s_string (json, "job"), expected[index][2]);
        cJSON_Delete (json);
        line = end + 1;
    }
    if (*line)
        fail_msg ("more lines than expected: %s", line);
    free (text);
}

static void
s_log_some_text (void)
{
    log_init ("pdfpipe-sink", true);
    log_warning ("job=%s: slow", "J2");
    log_debug ("debug shown");
}

static void
test_text_format_is_zsys_lines (void **state)
{
    (void)state;
    char *text = s_capture_stderr (s_log_some_text);
    if (!strstr (text, "W: (pdfpipe-sink) ") ||
        !strstr (text, " job=J2: slow\n") ||
        !strstr (text, "D: (pdfpipe-sink) ") ||
        !strstr (text, " debug shown\n") || text[0] == '{')
        fail_msg ("not zsys text lines:\n%s", text);
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_json_line_has_time_level_process_and_message),
        cmocka_unit_test (test_json_line_pads_milliseconds),
        cmocka_unit_test (test_json_line_takes_job_chunk_and_worker_words),
        cmocka_unit_test (
            test_json_line_ignores_words_that_only_end_in_the_name),
        cmocka_unit_test (test_json_line_escapes_quotes_controls_and_bad_utf8),
        cmocka_unit_test (test_json_line_bounds_a_long_message),
        cmocka_unit_test (test_json_format_writes_one_object_per_line),
        cmocka_unit_test (test_text_format_is_zsys_lines),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
