/*  test_recordindex - a done job's per-record index from its records file
    and its template's bookmark.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "recordfile.h"
#include "recordindex.h"
#include "testdir.h"

#define S_JOB "0123456789abcdef0123456789abcdef"

//  jobs_dir/S_JOB/records.jsonl holding records; returns jobs_dir.
static char *
s_jobs_dir (testdir_t *dir, const char *records)
{
    char *jobs_dir = testdir_join (dir, "jobs");
    char *job_dir = testdir_join (dir, "jobs/%s", S_JOB);
    assert_int_equal (mkdir (jobs_dir, 0700), 0);
    assert_int_equal (mkdir (job_dir, 0700), 0);
    char *path = testdir_join (dir, "jobs/%s/%s", S_JOB, RECORDFILE_RECORDS);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (records, file);
    fclose (file);
    free (path);
    free (job_dir);
    return jobs_dir;
}

//  Every line of the index, concatenated.
static void
s_read_all (recordindex_t *index, char *text, size_t size)
{
    text[0] = '\0';
    const char *line;
    size_t length;
    int rc;
    while ((rc = recordindex_next (index, &line, &length)) == 1) {
        assert_int_equal (strlen (line), length);
        strncat (text, line, size - strlen (text) - 1);
    }
    assert_int_equal (rc, 0);
    assert_int_equal (recordindex_next (index, &line, &length), 0);
}

static void
test_each_record_has_its_page_and_bookmark (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_recordindex");
    char *jobs_dir =
        s_jobs_dir (dir, "{\"number\":1}\n{\"number\":\"A\\\"2\"}\n"
                         "{\"number\":3}\n");
    recordindex_error_t error = 0;
    recordindex_t *index = recordindex_new (
        jobs_dir, S_JOB,
        "{\"bookmark\": \"Invoice {{number}} ({{page}}/{{pages}})\","
        " \"elements\": []}",
        3, &error);
    assert_non_null (index);
    char text[1024];
    s_read_all (index, text, sizeof text);
    assert_string_equal (text, "{\"record\":1,\"first_page\":1,\"pages\":1,"
                               "\"bookmark\":\"Invoice 1 (1/3)\"}\n"
                               "{\"record\":2,\"first_page\":2,\"pages\":1,"
                               "\"bookmark\":\"Invoice A\\\"2 (2/3)\"}\n"
                               "{\"record\":3,\"first_page\":3,\"pages\":1,"
                               "\"bookmark\":\"Invoice 3 (3/3)\"}\n");
    recordindex_destroy (&index);
    recordindex_destroy (&index);
    free (jobs_dir);
    testdir_destroy (&dir);
}

static void
test_no_bookmark_or_an_empty_one_is_left_out (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_recordindex");
    char *jobs_dir = s_jobs_dir (dir, "{\"t\":\"x\"}\n{\"t\":\"\"}\n");
    recordindex_error_t error = 0;
    //  A template with assets is kept as {"template": ..., "assets": ...}.
    recordindex_t *index = recordindex_new (
        jobs_dir, S_JOB,
        "{\"template\": {\"bookmark\": \"{{t}}\"}, \"assets\": {}}", 2, &error);
    assert_non_null (index);
    char text[1024];
    s_read_all (index, text, sizeof text);
    assert_string_equal (text, "{\"record\":1,\"first_page\":1,\"pages\":1,"
                               "\"bookmark\":\"x\"}\n"
                               "{\"record\":2,\"first_page\":2,\"pages\":1}\n");
    recordindex_destroy (&index);
    index = recordindex_new (jobs_dir, S_JOB, "{\"elements\": []}", 2, &error);
    assert_non_null (index);
    s_read_all (index, text, sizeof text);
    assert_string_equal (text, "{\"record\":1,\"first_page\":1,\"pages\":1}\n"
                               "{\"record\":2,\"first_page\":2,\"pages\":1}\n");
    recordindex_destroy (&index);
    free (jobs_dir);
    testdir_destroy (&dir);
}

static void
test_missing_records_and_bad_template_are_told_apart (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_recordindex");
    char *jobs_dir = s_jobs_dir (dir, "{}\n");
    recordindex_error_t error = 0;
    assert_null (recordindex_new (jobs_dir, "ffffffffffffffffffffffffffffffff",
                                  "{}", 1, &error));
    assert_int_equal (error, RECORDINDEX_NO_RECORDS);
    assert_null (recordindex_new (jobs_dir, S_JOB, "not json", 1, &error));
    assert_int_equal (error, RECORDINDEX_FAILED);
    assert_null (recordindex_new (jobs_dir, S_JOB,
                                  "{\"bookmark\": \"{{unclosed\"}", 1, &error));
    assert_int_equal (error, RECORDINDEX_FAILED);
    free (jobs_dir);
    testdir_destroy (&dir);
}

static void
test_a_record_that_is_not_json_fails_the_read (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_recordindex");
    char *jobs_dir = s_jobs_dir (dir, "{\"n\":1}\n{broken\n");
    recordindex_error_t error = 0;
    recordindex_t *index = recordindex_new (
        jobs_dir, S_JOB, "{\"bookmark\": \"{{n}}\"}", 2, &error);
    assert_non_null (index);
    const char *line;
    size_t length;
    assert_int_equal (recordindex_next (index, &line, &length), 1);
    assert_int_equal (recordindex_next (index, &line, &length), -1);
    recordindex_destroy (&index);
    free (jobs_dir);
    testdir_destroy (&dir);
}

//  A records file cut short, or holding more records than the job's
//  pages, fails the read where it parts from them.
static void
test_records_not_matching_the_pages_fail_the_read (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_recordindex");
    char *jobs_dir = s_jobs_dir (dir, "{\"n\":1}\n{\"n\":2}\n");
    recordindex_error_t error = 0;
    const char *line;
    size_t length;
    recordindex_t *index =
        recordindex_new (jobs_dir, S_JOB, "{\"elements\": []}", 3, &error);
    assert_non_null (index);
    assert_int_equal (recordindex_next (index, &line, &length), 1);
    assert_int_equal (recordindex_next (index, &line, &length), 1);
    assert_int_equal (recordindex_next (index, &line, &length), -1);
    recordindex_destroy (&index);
    index = recordindex_new (jobs_dir, S_JOB, "{\"elements\": []}", 1, &error);
    assert_non_null (index);
    assert_int_equal (recordindex_next (index, &line, &length), 1);
    assert_int_equal (recordindex_next (index, &line, &length), -1);
    recordindex_destroy (&index);
    free (jobs_dir);
    testdir_destroy (&dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_each_record_has_its_page_and_bookmark),
        cmocka_unit_test (test_no_bookmark_or_an_empty_one_is_left_out),
        cmocka_unit_test (test_missing_records_and_bad_template_are_told_apart),
        cmocka_unit_test (test_a_record_that_is_not_json_fails_the_read),
        cmocka_unit_test (test_records_not_matching_the_pages_fail_the_read),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
