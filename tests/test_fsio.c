/*  test_fsio - common/util/fsio: directory paths, durable writes, copies and
    commits, and that failures leave nothing behind.

    Each test gets a fresh directory from mkdtemp.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"

static int
s_setup (void **state)
{
    char *root = strdup ("/tmp/test_fsio.XXXXXX");
    assert_non_null (mkdtemp (root));
    *state = root;
    return 0;
}

static int
s_teardown (void **state)
{
    char *command = zsys_sprintf ("rm -rf '%s'", (char *)*state);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
    free (*state);
    return 0;
}

//  The whole content of a small file, or NULL when it cannot be read.
static char *
s_read (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return NULL;
    char *text = calloc (1, 4096);
    size_t size = fread (text, 1, 4095, file);
    text[size] = '\0';
    fclose (file);
    return text;
}

static void
s_assert_content (const char *path, const char *expected)
{
    char *text = s_read (path);
    assert_non_null (text);
    assert_string_equal (text, expected);
    free (text);
}

//  Entries in a directory, hidden ones included.
static int
s_count_entries (const char *path)
{
    DIR *dir = opendir (path);
    assert_non_null (dir);
    int count = 0;
    for (struct dirent *entry = readdir (dir); entry; entry = readdir (dir))
        if (!streq (entry->d_name, ".") && !streq (entry->d_name, ".."))
            count++;
    closedir (dir);
    return count;
}

static void
test_mkdir_p_creates_every_missing_parent (void **state)
{
    char *path = zsys_sprintf ("%s/a/b/c", (char *)*state);
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
    char *file = zsys_sprintf ("%s/file", (char *)*state);
    char *path = zsys_sprintf ("%s/file/sub", (char *)*state);
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
    char *path = zsys_sprintf ("%s/missing", (char *)*state);
    assert_int_equal (fsio_fsync_dir (path), -1);
    assert_int_equal (errno, ENOENT);
    assert_int_equal (fsio_fsync_dir (*state), 0);
    zstr_free (&path);
}

static void
test_write_file_replaces_and_leaves_no_temporary (void **state)
{
    char *path = zsys_sprintf ("%s/meta", (char *)*state);
    char error[FSIO_ERROR_MAX];
    assert_int_equal (fsio_write_file (path, "first", 5, false, error), 0);
    s_assert_content (path, "first");
    assert_int_equal (fsio_write_file (path, "second", 6, false, error), 0);
    s_assert_content (path, "second");
    assert_int_equal (s_count_entries (*state), 1);
    zstr_free (&path);
}

static void
test_write_file_keep_existing_keeps_the_first (void **state)
{
    char *path = zsys_sprintf ("%s/tombstone", (char *)*state);
    char error[FSIO_ERROR_MAX];
    assert_int_equal (fsio_write_file (path, "done", 4, true, error), 0);
    assert_int_equal (fsio_write_file (path, "failed", 6, true, error), 0);
    s_assert_content (path, "done");
    assert_int_equal (s_count_entries (*state), 1);
    zstr_free (&path);
}

static void
test_write_file_into_missing_directory_names_the_path (void **state)
{
    char *path = zsys_sprintf ("%s/missing/file", (char *)*state);
    char error[FSIO_ERROR_MAX] = "";
    assert_int_equal (fsio_write_file (path, "x", 1, false, error), -1);
    assert_non_null (strstr (error, "cannot create"));
    assert_non_null (strstr (error, "/missing/.file."));
    assert_non_null (strstr (error, strerror (ENOENT)));
    assert_int_equal (s_count_entries (*state), 0);
    zstr_free (&path);
}

static void
test_write_file_of_empty_data (void **state)
{
    char *path = zsys_sprintf ("%s/empty", (char *)*state);
    char error[FSIO_ERROR_MAX];
    assert_int_equal (fsio_write_file (path, NULL, 0, false, error), 0);
    s_assert_content (path, "");
    zstr_free (&path);
}

static void
test_copy_fd_copies_the_rest_of_the_source (void **state)
{
    char *source_path = zsys_sprintf ("%s/source", (char *)*state);
    char *dest = zsys_sprintf ("%s/dest", (char *)*state);
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
    assert_int_equal (info.st_size, size);
    FILE *file = fopen (dest, "r");
    char *copy = malloc (size);
    assert_int_equal (fread (copy, 1, size, file), size);
    fclose (file);
    assert_memory_equal (copy, data, size);
    assert_int_equal (s_count_entries (*state), 2);
    free (copy);
    free (data);
    zstr_free (&dest);
    zstr_free (&source_path);
}

static void
test_copy_fd_from_unreadable_source_leaves_nothing (void **state)
{
    char *dest = zsys_sprintf ("%s/dest", (char *)*state);
    char error[FSIO_ERROR_MAX] = "";
    //  A directory opened for reading fails with EISDIR on read.
    int source = open (*state, O_RDONLY | O_DIRECTORY);
    assert_true (source >= 0);
    assert_int_equal (fsio_copy_fd (source, "the source", dest, error), -1);
    close (source);
    assert_non_null (strstr (error, "cannot read the source"));
    assert_int_equal (s_count_entries (*state), 0);
    zstr_free (&dest);
}

static void
test_commit_moves_the_temporary_into_place (void **state)
{
    char *temp = zsys_sprintf ("%s/out.pdf.part", (char *)*state);
    char *dest = zsys_sprintf ("%s/out.pdf", (char *)*state);
    char error[FSIO_ERROR_MAX];
    FILE *file = fopen (temp, "w");
    fputs ("%PDF-", file);
    fclose (file);
    assert_int_equal (fsio_commit (temp, dest, error), 0);
    s_assert_content (dest, "%PDF-");
    assert_int_equal (access (temp, F_OK), -1);
    zstr_free (&dest);
    zstr_free (&temp);
}

static void
test_commit_of_missing_temporary_fails (void **state)
{
    char *temp = zsys_sprintf ("%s/nothing.part", (char *)*state);
    char *dest = zsys_sprintf ("%s/nothing", (char *)*state);
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
    char *path = zsys_sprintf ("%s/all", (char *)*state);
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
