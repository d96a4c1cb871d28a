/*  test_store - common/store: putting files under keys in a file:// store,
    locations, key rules and error texts.

    Each test gets a fresh temporary directory (testdir); the
    cross-file-system test also uses /dev/shm when it is a different file
    system.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "testassert.h"
#include "testdir.h"
#include "testfile.h"

#define S_CONTENT "%PDF-1.7 a finished document\n"

typedef struct {
    testdir_t *testdir;
    const char *root;        // testdir_path (testdir)
    char absolute[PATH_MAX]; // realpath of root
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    fixture->testdir = testdir_new ("test_store");
    fixture->root = testdir_path (fixture->testdir);
    assert_non_null (realpath (fixture->root, fixture->absolute));
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    testdir_destroy (&fixture->testdir);
    free (fixture);
    return 0;
}

//  Write S_CONTENT to a new file and return its path (caller frees).
static char *
s_make_file (const char *dir, const char *name)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    testfile_write (path, S_CONTENT, strlen (S_CONTENT));
    return path;
}

static void
s_assert_content (const char *path)
{
    zchunk_t *content = zchunk_slurp (path, 0);
    assert_non_null (content);
    assert_size_eq (zchunk_size (content), strlen (S_CONTENT));
    assert_memory_equal (zchunk_data (content), S_CONTENT, strlen (S_CONTENT));
    zchunk_destroy (&content);
}

static void
test_put_moves_file_under_key (void **state)
{
    s_fixture_t *fixture = *state;
    char *url = zsys_sprintf ("file://%s/out", fixture->root);
    store_t *store = store_new (url);
    assert_non_null (store);
    char *expected_url = zsys_sprintf ("file://%s/out", fixture->absolute);
    assert_string_equal (store_url (store), expected_url);

    char *source = s_make_file (fixture->root, "merged.pdf");
    char *location = NULL;
    uint64_t bytes = 0;
    char error[STORE_ERROR_MAX] = "";
    assert_int_equal (store_put_file (store, "job-1.pdf", source, NULL,
                                      &location, &bytes, error),
                      0);
    char *expected_location = zsys_sprintf ("%s/job-1.pdf", expected_url);
    assert_string_equal (location, expected_location);
    assert_size_eq (bytes, strlen (S_CONTENT));
    assert_false (access (source, F_OK) == 0);
    char *stored = zsys_sprintf ("%s/out/job-1.pdf", fixture->absolute);
    s_assert_content (stored);

    zstr_free (&stored);
    zstr_free (&expected_location);
    zstr_free (&location);
    zstr_free (&source);
    zstr_free (&expected_url);
    zstr_free (&url);
    store_destroy (&store);
    assert_null (store);
}

static void
test_plain_and_relative_directories (void **state)
{
    s_fixture_t *fixture = *state;
    char cwd[PATH_MAX];
    assert_non_null (getcwd (cwd, sizeof (cwd)));
    assert_int_equal (chdir (fixture->root), 0);

    store_t *store = store_new ("file://./rel/out");
    assert_non_null (store);
    char *expected = zsys_sprintf ("file://%s/rel/out", fixture->absolute);
    assert_string_equal (store_url (store), expected);
    zstr_free (&expected);
    store_destroy (&store);

    store = store_new ("plain/out");
    assert_non_null (store);
    expected = zsys_sprintf ("file://%s/plain/out", fixture->absolute);
    assert_string_equal (store_url (store), expected);
    zstr_free (&expected);
    store_destroy (&store);

    char *absolute = zsys_sprintf ("%s/abs", fixture->absolute);
    store = store_new (absolute);
    assert_non_null (store);
    store_destroy (&store);
    zstr_free (&absolute);

    assert_int_equal (chdir (cwd), 0);
}

//  A file at path holding text.
static void
s_write_text (const char *path, const char *text)
{
    testfile_write (path, text, strlen (text));
}

//  The text of the file at path. Caller frees.
static char *
s_read_text (const char *path)
{
    zchunk_t *content = zchunk_slurp (path, 0);
    assert_non_null (content);
    char *text = zchunk_strdup (content);
    zchunk_destroy (&content);
    return text;
}

static void
test_key_with_folders_is_never_replaced (void **state)
{
    s_fixture_t *fixture = *state;
    store_t *store = store_new (fixture->root);
    char *source = s_make_file (fixture->root, "a.pdf");
    char *location = NULL;
    uint64_t bytes = 0;
    char error[STORE_ERROR_MAX];
    assert_int_equal (store_put_file (store, "2025/11/job-1.pdf", source, NULL,
                                      &location, &bytes, error),
                      0);
    zstr_free (&location);
    zstr_free (&source);
    //  A second put under the same key fails and changes nothing: the
    //  store creates, it does not replace.
    source = zsys_sprintf ("%s/b.pdf", fixture->root);
    s_write_text (source, "another document");
    assert_int_equal (store_put_file (store, "2025/11/job-1.pdf", source, NULL,
                                      &location, &bytes, error),
                      -1);
    assert_null (location);
    assert_string_equal (error, "store: an object already exists under "
                                "'2025/11/job-1.pdf'; a put never replaces "
                                "one");
    char *stored = zsys_sprintf ("%s/2025/11/job-1.pdf", fixture->root);
    s_assert_content (stored);
    assert_true (access (source, F_OK) == 0);
    zstr_free (&stored);
    zstr_free (&source);
    store_destroy (&store);
}

static void
test_a_job_writes_and_removes_only_under_its_id (void **state)
{
    s_fixture_t *fixture = *state;
    store_t *store = store_new (fixture->root);
    store_put_options_t job_1 = {.owner = "job-1"};
    store_put_options_t job_2 = {.owner = "job-2"};
    char *source = zsys_sprintf ("%s/merged.pdf", fixture->root);
    char *stored = zsys_sprintf ("%s/job-1/out.pdf", fixture->root);
    char *location = NULL;
    uint64_t bytes = 0;
    char error[STORE_ERROR_MAX];
    s_write_text (source, "first");
    assert_int_equal (store_put_file (store, "job-1/out.pdf", source, &job_1,
                                      &location, &bytes, error),
                      0);
    zstr_free (&location);
    //  Another job cannot put or remove there, nor outside any job's id.
    const char *keys[] = {"job-1/out.pdf", "job-1", "job-2x/a.pdf", "a.pdf"};
    s_write_text (source, "forged");
    for (size_t index = 0; index < sizeof (keys) / sizeof (keys[0]); index++) {
        assert_int_equal (store_put_file (store, keys[index], source, &job_2,
                                          &location, &bytes, error),
                          -1);
        assert_non_null (strstr (error, "is not under the job's own id"));
        assert_int_equal (store_remove (store, "job-2", keys[index], error),
                          -1);
    }
    assert_false (store_key_owned ("job-1/a.pdf", "job-"));
    assert_false (store_key_owned ("job-1/a.pdf", "../x"));
    assert_true (store_key_owned ("job-1/a.pdf", "job-1"));
    char *text = s_read_text (stored);
    assert_string_equal (text, "first");
    zstr_free (&text);
    //  The same job may put again (a sink restarted after storing): the
    //  object is its own, so it is replaced.
    s_write_text (source, "again");
    assert_int_equal (store_put_file (store, "job-1/out.pdf", source, &job_1,
                                      &location, &bytes, error),
                      0);
    zstr_free (&location);
    text = s_read_text (stored);
    assert_string_equal (text, "again");
    zstr_free (&text);
    assert_int_equal (store_remove (store, "job-1", "job-1/out.pdf", error), 0);
    assert_true (access (stored, F_OK) == -1);
    zstr_free (&stored);
    zstr_free (&source);
    store_destroy (&store);
}

static void
test_bad_keys_are_rejected (void **state)
{
    s_fixture_t *fixture = *state;
    store_t *store = store_new (fixture->root);
    char *source = s_make_file (fixture->root, "merged.pdf");
    char too_long[STORE_KEY_MAX + 2];
    memset (too_long, 'k', sizeof (too_long) - 1);
    too_long[sizeof (too_long) - 1] = '\0';
    const char *bad_keys[] = {"",        "/etc/passwd", "../x.pdf", "a/../b",
                              "a//b",    "a/",          ".hidden",  "a/.x",
                              "a b.pdf", "x?y",         "ü.pdf",    too_long};
    for (size_t index = 0; index < sizeof (bad_keys) / sizeof (bad_keys[0]);
         index++) {
        const char *key = bad_keys[index];
        assert_false (store_key_valid (key));
        char *location = NULL;
        uint64_t bytes = 0;
        char error[STORE_ERROR_MAX] = "";
        assert_int_equal (
            store_put_file (store, key, source, NULL, &location, &bytes, error),
            -1);
        assert_null (location);
        assert_non_null (strstr (error, "invalid key"));
        assert_int_equal (store_remove (store, NULL, key, error), -1);
    }
    assert_true (access (source, F_OK) == 0);
    assert_true (store_key_valid ("job-1.pdf"));
    assert_true (store_key_valid ("a.b/c_d-e.pdf"));
    zstr_free (&source);
    store_destroy (&store);
}

static void
test_put_copies_across_file_systems (void **state)
{
    s_fixture_t *fixture = *state;
    struct stat shm_info, tmp_info;
    if (stat ("/dev/shm", &shm_info) == -1 ||
        stat (fixture->root, &tmp_info) == -1 ||
        shm_info.st_dev == tmp_info.st_dev) {
        print_message ("SKIP: no second file system to copy from: /dev/shm "
                       "is missing or on the same one as %s\n",
                       fixture->root);
        skip ();
    }
    char shm_dir[] = "/dev/shm/test_store.XXXXXX";
    assert_non_null (mkdtemp (shm_dir));
    char *source = s_make_file (shm_dir, "merged.pdf");
    store_t *store = store_new (fixture->root);
    char *location = NULL;
    uint64_t bytes = 0;
    char error[STORE_ERROR_MAX] = "";
    assert_int_equal (store_put_file (store, "job-2.pdf", source, NULL,
                                      &location, &bytes, error),
                      0);
    assert_int_equal (bytes, strlen (S_CONTENT));
    assert_false (access (source, F_OK) == 0);
    char *stored = zsys_sprintf ("%s/job-2.pdf", fixture->root);
    s_assert_content (stored);
    //  No temporary copy is left behind.
    assert_int_eq (testdir_count_entries (fixture->root), 1);
    zstr_free (&stored);
    zstr_free (&location);
    zstr_free (&source);
    store_destroy (&store);
    assert_int_equal (rmdir (shm_dir), 0);
}

static void
test_write_error_has_strerror_and_keeps_file (void **state)
{
    s_fixture_t *fixture = *state;
    store_t *store = store_new (fixture->root);
    //  A file where the key needs a folder.
    char *blocker = s_make_file (fixture->root, "taken");
    char *source = s_make_file (fixture->root, "merged.pdf");
    char *location = NULL;
    uint64_t bytes = 0;
    char error[STORE_ERROR_MAX] = "";
    assert_int_equal (store_put_file (store, "taken/job-1.pdf", source, NULL,
                                      &location, &bytes, error),
                      -1);
    assert_non_null (strstr (error, "Not a directory"));
    assert_true (access (source, F_OK) == 0);
    //  A missing source.
    assert_int_equal (store_put_file (store, "job-1.pdf", "/nonexistent/x",
                                      NULL, &location, &bytes, error),
                      -1);
    assert_non_null (strstr (error, "No such file or directory"));
    assert_null (location);
    zstr_free (&source);
    zstr_free (&blocker);
    store_destroy (&store);
}

static void
test_remove_object (void **state)
{
    s_fixture_t *fixture = *state;
    store_t *store = store_new (fixture->root);
    char *source = s_make_file (fixture->root, "merged.pdf");
    char *location = NULL;
    uint64_t bytes = 0;
    char error[STORE_ERROR_MAX];
    assert_int_equal (store_put_file (store, "job-1.pdf", source, NULL,
                                      &location, &bytes, error),
                      0);
    assert_int_equal (store_remove (store, NULL, "job-1.pdf", error), 0);
    char *stored = zsys_sprintf ("%s/job-1.pdf", fixture->root);
    assert_false (access (stored, F_OK) == 0);
    //  Removing what is not there is fine.
    assert_int_equal (store_remove (store, NULL, "job-1.pdf", error), 0);
    zstr_free (&stored);
    zstr_free (&location);
    zstr_free (&source);
    store_destroy (&store);
}

static void
test_location_is_percent_encoded (void **state)
{
    s_fixture_t *fixture = *state;
    char *dir = zsys_sprintf ("%s/with space", fixture->root);
    store_t *store = store_new (dir);
    assert_non_null (store);
    char *expected =
        zsys_sprintf ("file://%s/with%%20space", fixture->absolute);
    assert_string_equal (store_url (store), expected);
    zstr_free (&expected);
    zstr_free (&dir);
    store_destroy (&store);
}

static void
test_unknown_scheme_and_bad_directory_fail (void **state)
{
    s_fixture_t *fixture = *state;
    assert_null (store_new ("ftp://host/dir"));
    assert_null (store_new ("file://"));
    char *blocker = s_make_file (fixture->root, "file");
    char *url = zsys_sprintf ("file://%s/out", blocker);
    assert_null (store_new (url));
    zstr_free (&url);
    zstr_free (&blocker);
}

static void
s_set_s3_environment (void)
{
    setenv ("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
    setenv ("AWS_SECRET_ACCESS_KEY", "secret-key-for-tests", 1);
    //  Nothing listens on port 9 of loopback (discard is not served).
    setenv ("PDFPIPE_S3_ENDPOINT", "http://127.0.0.1:9", 1);
    setenv ("PDFPIPE_S3_MAX_ATTEMPTS", "1", 1);
}

static void
s_clear_s3_environment (void)
{
    unsetenv ("AWS_ACCESS_KEY_ID");
    unsetenv ("AWS_SECRET_ACCESS_KEY");
    unsetenv ("PDFPIPE_S3_ENDPOINT");
    unsetenv ("PDFPIPE_S3_MAX_ATTEMPTS");
}

static void
test_s3_store_url_is_canonical (void **state)
{
    (void)state;
    s_set_s3_environment ();
    store_t *store = store_new ("s3://pdfpipe-out/results/2025/");
    assert_non_null (store);
    assert_string_equal (store_url (store), "s3://pdfpipe-out/results/2025");
    store_destroy (&store);
    store = store_new ("s3://pdfpipe-out");
    assert_non_null (store);
    assert_string_equal (store_url (store), "s3://pdfpipe-out");
    store_destroy (&store);
    s_clear_s3_environment ();
}

static void
test_s3_store_refuses_bad_urls_and_missing_credentials (void **state)
{
    (void)state;
    s_set_s3_environment ();
    assert_null (store_new ("s3://Bad_Bucket/x"));
    assert_null (store_new ("s3://pdfpipe-out/../x"));
    assert_null (store_new ("s3://pdfpipe-out//x"));
    assert_null (store_new ("s3://pdfpipe-out/a b"));
    s_clear_s3_environment ();
    assert_null (store_new ("s3://pdfpipe-out/results"));
}

static void
test_s3_put_that_fails_keeps_the_file (void **state)
{
    s_fixture_t *fixture = *state;
    s_set_s3_environment ();
    store_t *store = store_new ("s3://pdfpipe-out/results");
    assert_non_null (store);
    char *source = s_make_file (fixture->root, "merged.pdf");
    char *location = NULL;
    uint64_t bytes = 0;
    char error[STORE_ERROR_MAX] = "";
    assert_int_equal (store_put_file (store, "job-1.pdf", source, NULL,
                                      &location, &bytes, error),
                      -1);
    assert_null (location);
    assert_non_null (strstr (error, "store: PUT s3://pdfpipe-out/results/"
                                    "job-1.pdf: no answer from "));
    assert_null (strstr (error, "secret-key-for-tests"));
    s_assert_content (source);
    zstr_free (&source);
    store_destroy (&store);
    s_clear_s3_environment ();
}

static void
test_location_and_path_come_from_the_configuration (void **state)
{
    s_fixture_t *fixture = *state;
    char *url = zsys_sprintf ("file://%s/out dir", fixture->root);
    store_t *store = store_new (url);
    assert_true (store_is_local (store));
    char *location = store_location (store, "a/job-1.pdf");
    char *expected =
        zsys_sprintf ("file://%s/out%%20dir/a/job-1.pdf", fixture->absolute);
    assert_string_equal (location, expected);
    char *path = store_local_path (store, "a/job-1.pdf");
    char *expected_path =
        zsys_sprintf ("%s/out dir/a/job-1.pdf", fixture->absolute);
    assert_string_equal (path, expected_path);
    //  What a put reports is the same.
    char *source = s_make_file (fixture->root, "merged.pdf");
    char *put_location = NULL;
    uint64_t bytes = 0;
    char error[STORE_ERROR_MAX] = "";
    assert_int_equal (store_put_file (store, "a/job-1.pdf", source, NULL,
                                      &put_location, &bytes, error),
                      0);
    assert_string_equal (put_location, location);
    //  No key leaves the directory, and a local store signs nothing.
    const char *bad[] = {"/etc/passwd", "../x.pdf", "a/../../x", "", NULL};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        assert_null (store_location (store, bad[index]));
        assert_null (store_local_path (store, bad[index]));
    }
    assert_null (store_presign_get (store, "a/job-1.pdf", 0, NULL));
    zstr_free (&put_location);
    zstr_free (&source);
    zstr_free (&expected_path);
    free (path);
    zstr_free (&expected);
    free (location);
    zstr_free (&url);
    store_destroy (&store);
}

static void
test_s3_location_and_link_stay_in_the_bucket_and_prefix (void **state)
{
    (void)state;
    s_set_s3_environment ();
    store_t *store = store_new ("s3://pdfpipe-out/results");
    assert_false (store_is_local (store));
    char *location = store_location (store, "x/job-1.pdf");
    assert_string_equal (location, "s3://pdfpipe-out/results/x/job-1.pdf");
    assert_null (store_local_path (store, "x/job-1.pdf"));
    int64_t expires_at = 0;
    char *link =
        store_presign_get (store, "x/job-1.pdf", 1700000000, &expires_at);
    assert_non_null (link);
    const char *start =
        "http://127.0.0.1:9/pdfpipe-out/results/x/job-1.pdf?X-Amz-";
    assert_true (strncmp (link, start, strlen (start)) == 0);
    assert_true (expires_at > 1700000000);
    assert_null (store_presign_get (store, "../other-bucket/x", 0, NULL));
    assert_null (store_location (store, "/x"));
    free (link);
    free (location);
    store_destroy (&store);
    s_clear_s3_environment ();
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_put_moves_file_under_key, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_plain_and_relative_directories,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_key_with_folders_is_never_replaced, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_job_writes_and_removes_only_under_its_id, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_keys_are_rejected, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_put_copies_across_file_systems,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_write_error_has_strerror_and_keeps_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_remove_object, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_location_is_percent_encoded,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_unknown_scheme_and_bad_directory_fail, s_setup, s_teardown),
        cmocka_unit_test (test_s3_store_url_is_canonical),
        cmocka_unit_test (
            test_s3_store_refuses_bad_urls_and_missing_credentials),
        cmocka_unit_test_setup_teardown (test_s3_put_that_fails_keeps_the_file,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_location_and_path_come_from_the_configuration, s_setup,
            s_teardown),
        cmocka_unit_test (
            test_s3_location_and_link_stay_in_the_bucket_and_prefix),
    };
    zsys_init ();
    return cmocka_run_group_tests (tests, NULL, NULL);
}
