/*  test_recordfile - a job's records on disk: written, read back with
    their chunk starts noted, committed, read again chunk by chunk, and
    removed when nothing live needs them.

    Each test works in a fresh temporary jobs directory.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>
#include <errno.h>
#include <sys/stat.h>

#include "recordfile.h"
#include "testassert.h"
#include "testdir.h"

#define S_JOB_A "0123456789abcdef0123456789abcdef"
#define S_JOB_B "1111111111111111aaaaaaaaaaaaaaaa"

static const char *s_records[] = {"{\"n\":1}", "{\"n\":2,\"s\":\"a,b\\n\"}",
                                  "{}", "{\"n\":[4]}", "{\"n\":5}"};
#define S_RECORD_COUNT 5

static bool
s_exists (const char *path)
{
    struct stat info;
    return stat (path, &info) == 0;
}

//  Write the five records of S_JOB_A, read them back in chunks of
//  chunk_pages and commit. Returns the handle, committed.
static recordfile_t *
s_write_job (const char *jobs_dir, const char *job_id, uint32_t chunk_pages)
{
    recordfile_t *file = recordfile_create (jobs_dir, job_id);
    assert_non_null (file);
    for (int index = 0; index < S_RECORD_COUNT; index++)
        assert_int_equal (recordfile_append (file, s_records[index],
                                             strlen (s_records[index])),
                          0);
    assert_int_equal (recordfile_rewind (file, chunk_pages), 0);
    for (int index = 0; index < S_RECORD_COUNT; index++) {
        const char *json = NULL;
        size_t size = 0;
        assert_int_equal (recordfile_next (file, &json, &size), 1);
        assert_string_equal (json, s_records[index]);
        assert_size_eq (size, strlen (s_records[index]));
    }
    assert_int_equal (recordfile_commit (file), 0);
    return file;
}

static void
test_chunks_are_read_back_by_their_offsets (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_recordfile");
    const char *jobs_dir = testdir_path (dir);
    recordfile_t *file = s_write_job (jobs_dir, S_JOB_A, 2);
    size_t expected_bytes = 0;
    for (int index = 0; index < S_RECORD_COUNT; index++)
        expected_bytes += strlen (s_records[index]) + 1;
    assert_size_eq (recordfile_bytes (file), expected_bytes);
    recordfile_destroy (&file);

    char *chunk = recordfile_chunk (jobs_dir, S_JOB_A, 0);
    assert_string_equal (chunk, "[{\"n\":1},{\"n\":2,\"s\":\"a,b\\n\"}]");
    free (chunk);
    chunk = recordfile_chunk (jobs_dir, S_JOB_A, 1);
    assert_string_equal (chunk, "[{},{\"n\":[4]}]");
    free (chunk);
    chunk = recordfile_chunk (jobs_dir, S_JOB_A, 2);
    assert_string_equal (chunk, "[{\"n\":5}]");
    free (chunk);
    assert_null (recordfile_chunk (jobs_dir, S_JOB_A, 3));
    assert_null (recordfile_chunk (jobs_dir, S_JOB_A, UINT32_MAX));
    testdir_destroy (&dir);
}

static void
test_a_job_without_files_is_enoent (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_recordfile");
    errno = 0;
    assert_null (recordfile_chunk (testdir_path (dir), S_JOB_B, 0));
    assert_int_equal (errno, ENOENT);
    assert_int_equal (recordfile_remove (testdir_path (dir), S_JOB_B), 0);
    testdir_destroy (&dir);
}

static void
test_files_never_committed_go_with_their_handle (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_recordfile");
    const char *jobs_dir = testdir_path (dir);
    recordfile_t *file = recordfile_create (jobs_dir, S_JOB_A);
    assert_non_null (file);
    assert_int_equal (recordfile_append (file, "{}", 2), 0);
    char *job_dir = testdir_join (dir, "%s", S_JOB_A);
    assert_true (s_exists (job_dir));
    recordfile_destroy (&file);
    assert_false (s_exists (job_dir));
    //  Read back, but not committed: gone too.
    file = recordfile_create (jobs_dir, S_JOB_A);
    assert_int_equal (recordfile_append (file, "{}", 2), 0);
    assert_int_equal (recordfile_rewind (file, 1), 0);
    recordfile_destroy (&file);
    assert_false (s_exists (job_dir));
    free (job_dir);
    testdir_destroy (&dir);
}

static void
test_commit_needs_every_record_read_back (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_recordfile");
    recordfile_t *file = recordfile_create (testdir_path (dir), S_JOB_A);
    assert_int_equal (recordfile_append (file, "{}", 2), 0);
    assert_int_equal (recordfile_append (file, "{}", 2), 0);
    assert_int_equal (recordfile_rewind (file, 1), 0);
    const char *json;
    size_t size;
    assert_int_equal (recordfile_next (file, &json, &size), 1);
    assert_int_equal (recordfile_commit (file), -1);
    assert_int_not_equal (recordfile_errno (file), 0);
    recordfile_destroy (&file);
    testdir_destroy (&dir);
}

static void
test_an_existing_directory_is_neither_used_nor_removed (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_recordfile");
    const char *jobs_dir = testdir_path (dir);
    recordfile_t *file = s_write_job (jobs_dir, S_JOB_A, 5);
    recordfile_destroy (&file);
    assert_null (recordfile_create (jobs_dir, S_JOB_A));
    char *chunk = recordfile_chunk (jobs_dir, S_JOB_A, 0);
    assert_non_null (chunk);
    free (chunk);
    testdir_destroy (&dir);
}

static void
test_sweep_keeps_live_jobs_only (void **state)
{
    (void)state;
    testdir_t *dir = testdir_new ("test_recordfile");
    const char *jobs_dir = testdir_path (dir);
    recordfile_t *file = s_write_job (jobs_dir, S_JOB_A, 2);
    recordfile_destroy (&file);
    file = s_write_job (jobs_dir, S_JOB_B, 2);
    recordfile_destroy (&file);
    char *other = testdir_join (dir, "not.a.job");
    assert_int_equal (mkdir (other, 0700), 0);

    zlist_t *keep = zlist_new ();
    zlist_append (keep, (void *)S_JOB_B);
    assert_size_eq (recordfile_sweep (jobs_dir, keep), 1);
    zlist_destroy (&keep);
    char *job_a = testdir_join (dir, "%s", S_JOB_A);
    char *job_b = testdir_join (dir, "%s", S_JOB_B);
    assert_false (s_exists (job_a));
    assert_true (s_exists (job_b));
    assert_true (s_exists (other));
    assert_int_equal (recordfile_remove (jobs_dir, S_JOB_B), 0);
    assert_false (s_exists (job_b));
    free (job_a);
    free (job_b);
    free (other);
    testdir_destroy (&dir);
}

int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_chunks_are_read_back_by_their_offsets),
        cmocka_unit_test (test_a_job_without_files_is_enoent),
        cmocka_unit_test (test_files_never_committed_go_with_their_handle),
        cmocka_unit_test (test_commit_needs_every_record_read_back),
        cmocka_unit_test (
            test_an_existing_directory_is_neither_used_nor_removed),
        cmocka_unit_test (test_sweep_keeps_live_jobs_only),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
