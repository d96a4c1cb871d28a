/*  test_fsio - common/util/fsio: directory paths, durable writes, copies and
    commits, and that failures leave nothing behind.

    Each test gets a fresh temporary directory (testdir).

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "testassert.h"
#include "testdir.h"
#include "testfile.h"

static int
s_setup (void **state)
{
    *state = testdir_new ("test_fsio");
    return 0;
}

static int
s_teardown (void **state)
{
    testdir_destroy ((testdir_t **)state);
    return 0;
}

static void
s_assert_content (const char *path, const char *expected)
{
    char *text = testfile_read (path, NULL);
    assert_string_equal (text, expected);
    free (text);
}

static void
test_mkdir_p_creates_every_missing_parent (void **state)
{
    char *path = testdir_join (*state, "a/b/c");
    assert_int_equal (fsio_mkdir_p (path), 0);
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    assert_true (S_ISDIR (info.st_mode));
    //  Again: an existing directory is fine.
    assert_int_equal (fsio_mkdir_p (path), 0);
    zstr_free (&path);
}

static void
test_mkdir_p_fails_below_a_file (void **state)
{
    char *file = testdir_join (*state, "file");
    char *path = testdir_join (*state, "file/sub");
    char error[FSIO_ERROR_MAX];
    assert_int_equal (fsio_write_file (file, "x", 1, false, error), 0);
    assert_int_equal (fsio_mkdir_p (path), -1);
    assert_int_equal (errno, ENOTDIR);
    assert_int_equal (fsio_mkdir_p (""), -1);
    zstr_free (&path);
    zstr_free (&file);
}

static void
test_fsync_dir_of_missing_directory_sets_errno (void **state)
{
    char *path = testdir_join (*state, "missing");
    assert_int_equal (fsio_fsync_dir (path), -1);
    assert_int_equal (errno, ENOENT);
    assert_int_equal (fsio_fsync_dir (testdir_path (*state)), 0);
    zstr_free (&path);
}

static void
test_write_file_replaces_and_leaves_no_temporary (void **state)
{
    char *path = testdir_join (*state, "meta");
    char error[FSIO_ERROR_MAX];
    assert_int_equal (fsio_write_file (path, "first", 5, false, error), 0);
    s_assert_content (path, "first");
    assert_int_equal (fsio_write_file (path, "second", 6, false, error), 0);
    s_assert_content (path, "second");
    assert_int_eq (testdir_count_entries (testdir_path (*state)), 1);
    zstr_free (&path);
}

static void
test_write_file_keep_existing_keeps_the_first (void **state)
{
    char *path = testdir_join (*state, "tombstone");
    char error[FSIO_ERROR_MAX];
    assert_int_equal (fsio_write_file (path, "done", 4, true, error), 0);
    assert_int_equal (fsio_write_file (path, "failed", 6, true, error), 0);
    s_assert_content (path, "done");
    assert_int_eq (testdir_count_entries (testdir_path (*state)), 1);
    zstr_free (&path);
}

static void
test_write_file_into_missing_directory_names_the_path (void **state)
{
    char *path = testdir_join (*state, "missing/file");
    char error[FSIO_ERROR_MAX] = "";
    assert_int_equal (fsio_write_file (path, "x", 1, false, error), -1);
    assert_non_null (strstr (error, "cannot create"));
    assert_non_null (strstr (error, "/missing/.file."));
    assert_non_null (strstr (error, strerror (ENOENT)));
    assert_int_eq (testdir_count_entries (testdir_path (*state)), 0);
    zstr_free (&path);
}

static void
test_write_file_of_empty_data (void **state)
{
    char *path = testdir_join (*state, "empty");
    char error[FSIO_ERROR_MAX];
    assert_int_equal (fsio_write_file (path, NULL, 0, false, error), 0);
    s_assert_content (path, "");
    zstr_free (&path);
}

static void
test_copy_fd_copies_the_rest_of_the_source (void **state)
{
    char *source_path = testdir_join (*state, "source");
    char *dest = testdir_join (*state, "dest");
    char error[FSIO_ERROR_MAX];
    //  Larger than one copy buffer, so the loop turns more than once.
    size_t size = 3 * 1024 * 1024 + 17;
    char *data = malloc (size);
    for (size_t index = 0; index < size; index++)
        data[index] = (char)('a' + index % 26);
    assert_int_equal (fsio_write_file (source_path, data, size, false, error),
                      0);
    int source = open (source_path, O_RDONLY);
    assert_true (source >= 0);
    assert_int_equal (fsio_copy_fd (source, source_path, dest, error), 0);
    close (source);
    struct stat info;
    assert_int_equal (stat (dest, &info), 0);
    assert_size_eq (info.st_size, size);
    size_t copy_size = 0;
    char *copy = testfile_read (dest, &copy_size);
    assert_size_eq (copy_size, size);
    assert_memory_equal (copy, data, size);
    assert_int_eq (testdir_count_entries (testdir_path (*state)), 2);
    free (copy);
    free (data);
    zstr_free (&dest);
    zstr_free (&source_path);
}

static void
test_copy_fd_from_unreadable_source_leaves_nothing (void **state)
{
    char *dest = testdir_join (*state, "dest");
    char error[FSIO_ERROR_MAX] = "";
    //  A directory opened for reading fails with EISDIR on read.
    int source = open (testdir_path (*state), O_RDONLY | O_DIRECTORY);
    assert_true (source >= 0);
    assert_int_equal (fsio_copy_fd (source, "the source", dest, error), -1);
    close (source);
    assert_non_null (strstr (error, "cannot read the source"));
    assert_int_eq (testdir_count_entries (testdir_path (*state)), 0);
    zstr_free (&dest);
}

static void
test_commit_moves_the_temporary_into_place (void **state)
{
    char *temp = testdir_join (*state, "out.pdf.part");
    char *dest = testdir_join (*state, "out.pdf");
    char error[FSIO_ERROR_MAX];
    testfile_write (temp, "%PDF-", 5);
    assert_int_equal (fsio_commit (temp, dest, error), 0);
    s_assert_content (dest, "%PDF-");
    assert_int_equal (access (temp, F_OK), -1);
    zstr_free (&dest);
    zstr_free (&temp);
}

static void
test_commit_of_missing_temporary_fails (void **state)
{
    char *temp = testdir_join (*state, "nothing.part");
    char *dest = testdir_join (*state, "nothing");
    char error[FSIO_ERROR_MAX] = "";
    assert_int_equal (fsio_commit (temp, dest, error), -1);
    assert_non_null (strstr (error, "cannot fsync"));
    assert_int_equal (access (dest, F_OK), -1);
    zstr_free (&dest);
    zstr_free (&temp);
}

static void
test_write_all_writes_everything (void **state)
{
    char *path = testdir_join (*state, "all");
    int fd = open (path, O_WRONLY | O_CREAT, 0644);
    assert_true (fd >= 0);
    assert_int_equal (fsio_write_all (fd, "hello", 5), 0);
    close (fd);
    s_assert_content (path, "hello");
    assert_int_equal (fsio_write_all (-1, "x", 1), -1);
    assert_int_equal (errno, EBADF);
    zstr_free (&path);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_mkdir_p_creates_every_missing_parent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_mkdir_p_fails_below_a_file,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_fsync_dir_of_missing_directory_sets_errno, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_write_file_replaces_and_leaves_no_temporary, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_write_file_keep_existing_keeps_the_first, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_write_file_into_missing_directory_names_the_path, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_write_file_of_empty_data, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_copy_fd_copies_the_rest_of_the_source, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_copy_fd_from_unreadable_source_leaves_nothing, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_commit_moves_the_temporary_into_place, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_commit_of_missing_temporary_fails,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_write_all_writes_everything,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
