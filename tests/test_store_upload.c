/*  test_store_upload - common/store/store_upload: parts go up while the
    file grows, the object is the file, and whatever does not finish
    leaves nothing behind.

    Against moto_server on loopback, started here without signature
    checks (tests/e2e/test_s3.py's strict group checks signatures). What
    S3 holds is read back with curl: ListParts and ListMultipartUploads
    while the upload runs, GetObject once it is done. Skipped when
    moto_server is not installed.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <czmq.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "s3.h"
#include "store.h"
#include "store_upload.h"
#include "testdir.h"
#include "testfile.h"

#define S_BUCKET "upload-test"
#define S_PREFIX "pre"
#define S_PART ((uint64_t)5 * 1024 * 1024)
#define S_WAIT_MS 60000 // longest wait for moto_server or a part

static pid_t s_server = -1;
static int s_port;

//  A free loopback port (the kernel's choice, then released).
static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t size = sizeof (address);
    if (fd == -1 || bind (fd, (struct sockaddr *)&address, size) == -1 ||
        getsockname (fd, (struct sockaddr *)&address, &size) == -1)
        return -1;
    close (fd);
    return ntohs (address.sin_port);
}

static bool
s_listening (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET,
                                  .sin_port = htons ((uint16_t)s_port)};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    bool up = connect (fd, (struct sockaddr *)&address, sizeof (address)) == 0;
    close (fd);
    return up;
}

//  What curl prints for method and path on the server ("" when curl
//  fails, e.g. 404). Caller frees.
static char *
s_curl (const char *method, const char *path)
{
    char *command = zsys_sprintf ("curl -sf -X %s 'http://127.0.0.1:%d%s'",
                                  method, s_port, path);
    FILE *pipe = popen (command, "r");
    assert_non_null (pipe);
    zchunk_t *output = zchunk_new (NULL, 0);
    char buffer[65536];
    size_t got;
    while ((got = fread (buffer, 1, sizeof (buffer), pipe)) > 0)
        zchunk_extend (output, buffer, got);
    pclose (pipe);
    zstr_free (&command);
    char *text = malloc (zchunk_size (output) + 1);
    memcpy (text, zchunk_data (output), zchunk_size (output));
    text[zchunk_size (output)] = '\0';
    zchunk_destroy (&output);
    return text;
}

static int
s_count (const char *text, const char *word)
{
    int count = 0;
    for (const char *at = strstr (text, word); at; at = strstr (at + 1, word))
        count++;
    return count;
}

//  Multipart uploads open in the bucket.
static int
s_open_uploads (void)
{
    char *listing = s_curl ("GET", "/" S_BUCKET "?uploads=");
    int count = s_count (listing, "<UploadId>");
    free (listing);
    return count;
}

//  Parts stored for upload_id of key.
static int
s_stored_parts (const char *key, const char *upload_id)
{
    char *path = zsys_sprintf ("/%s/%s/%s?uploadId=%s", S_BUCKET, S_PREFIX, key,
                               upload_id);
    char *listing = s_curl ("GET", path);
    int count = s_count (listing, "<PartNumber>");
    free (listing);
    zstr_free (&path);
    return count;
}

static int
s_setup (void **state)
{
    (void)state;
    if (system ("command -v moto_server >/dev/null 2>&1") != 0)
        return 0;
    s_port = s_free_port ();
    if (s_port <= 0)
        return -1;
    char port_text[16];
    snprintf (port_text, sizeof (port_text), "%d", s_port);
    s_server = fork ();
    if (s_server == 0) {
        unsetenv ("INITIAL_NO_AUTH_ACTION_COUNT");
        int null = open ("/dev/null", O_WRONLY);
        dup2 (null, STDOUT_FILENO);
        dup2 (null, STDERR_FILENO);
        execlp ("moto_server", "moto_server", "-H", "127.0.0.1", "-p",
                port_text, (char *)NULL);
        _exit (127);
    }
    for (int waited = 0; waited < S_WAIT_MS && !s_listening (); waited += 50)
        zclock_sleep (50);
    if (!s_listening ())
        return -1;
    //  Listening is not always serving yet: create the bucket until it
    //  lists.
    bool created = false;
    for (int waited = 0; waited < S_WAIT_MS && !created; waited += 100) {
        free (s_curl ("PUT", "/" S_BUCKET));
        char *listing = s_curl ("GET", "/" S_BUCKET);
        created = strstr (listing, "ListBucketResult") != NULL;
        free (listing);
        if (!created)
            zclock_sleep (100);
    }
    if (!created)
        return -1;
    char *endpoint = zsys_sprintf ("http://127.0.0.1:%d", s_port);
    setenv ("AWS_ACCESS_KEY_ID", "testing", 1);
    setenv ("AWS_SECRET_ACCESS_KEY", "testing", 1);
    setenv ("AWS_REGION", "us-east-1", 1);
    setenv ("PDFPIPE_S3_ENDPOINT", endpoint, 1);
    setenv ("PDFPIPE_S3_RETRY_BASE_MS", "1", 1);
    zstr_free (&endpoint);
    return 0;
}

static int
s_teardown (void **state)
{
    (void)state;
    if (s_server > 0) {
        kill (s_server, SIGTERM);
        waitpid (s_server, NULL, 0);
    }
    return 0;
}

//  Each test: a store on the bucket, a directory for the growing file.
typedef struct {
    store_t *store;
    testdir_t *dir;
    char *path;
    FILE *file;
    uint64_t written;
    store_upload_t *upload; // aborted at teardown when a test failed
} s_fixture_t;

static int
s_fixture_setup (void **state)
{
    if (s_server <= 0) {
        print_message ("SKIP: moto_server is not installed\n");
        skip ();
    }
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    fixture->store = store_new ("s3://" S_BUCKET "/" S_PREFIX);
    assert_non_null (fixture->store);
    fixture->dir = testdir_new ("test_store_upload");
    fixture->path = testdir_join (fixture->dir, "growing.pdf.part");
    fixture->file = fopen (fixture->path, "wb");
    assert_non_null (fixture->file);
    *state = fixture;
    return 0;
}

static int
s_fixture_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    if (!fixture)
        return 0;
    store_upload_destroy (&fixture->upload);
    if (fixture->file)
        fclose (fixture->file);
    free (fixture->path);
    testdir_destroy (&fixture->dir);
    store_destroy (&fixture->store);
    free (fixture);
    return 0;
}

//  Append size bytes (a pattern that differs at every offset) and flush.
static void
s_append (s_fixture_t *fixture, uint64_t size)
{
    for (uint64_t index = 0; index < size; index++) {
        uint64_t at = fixture->written + index;
        fputc ((int)((at * 7 + at / 4096) & 0xff), fixture->file);
    }
    fixture->written += size;
    assert_int_equal (fflush (fixture->file), 0);
}

static void
s_wait_parts (store_upload_t *upload, uint32_t parts)
{
    for (int waited = 0;
         waited < S_WAIT_MS && store_upload_parts (upload) < parts;
         waited += 10)
        zclock_sleep (10);
    assert_int_equal (store_upload_parts (upload), parts);
}

static store_upload_t *
s_upload (s_fixture_t *fixture, const char *key)
{
    char error[STORE_ERROR_MAX] = "";
    store_put_options_t options = {.content_type = "application/pdf",
                                   .log_context = "job=test"};
    store_upload_t *upload = store_upload_new (
        fixture->store, key, fixture->path, &options, S_PART, error);
    if (!upload)
        fail_msg ("%s", error);
    return upload;
}

static void
test_parts_go_up_as_bytes_become_final (void **state)
{
    s_fixture_t *fixture = *state;
    store_upload_t *upload = fixture->upload = s_upload (fixture, "grows.pdf");
    const char *upload_id = store_upload_id (upload);
    assert_int_equal (s_open_uploads (), 1);

    //  Less than a part final: nothing goes up, even with more written.
    s_append (fixture, S_PART + 1000);
    store_upload_grow (upload, S_PART - 1);
    zclock_sleep (200);
    assert_int_equal (store_upload_parts (upload), 0);

    store_upload_grow (upload, 2 * S_PART - 5);
    s_append (fixture, S_PART);
    s_wait_parts (upload, 1);
    s_append (fixture, 2 * S_PART);
    //  Three whole parts final; the fourth is written but not final.
    store_upload_grow (upload, 3 * S_PART + 100);
    s_wait_parts (upload, 3);
    //  S3 holds them while the file is still being written, and no
    //  object is visible yet.
    assert_int_equal (s_stored_parts ("grows.pdf", upload_id), 3);
    char *object = s_curl ("GET", "/" S_BUCKET "/" S_PREFIX "/grows.pdf");
    assert_string_equal (object, "");
    free (object);

    s_append (fixture, 12345);
    fclose (fixture->file);
    fixture->file = NULL;
    char error[STORE_ERROR_MAX] = "";
    char *location = NULL;
    int rc = store_upload_finish (upload, fixture->written, &location, error);
    if (rc != 0)
        fail_msg ("%s", error);
    assert_string_equal (location, "s3://" S_BUCKET "/" S_PREFIX "/grows.pdf");
    assert_int_equal (store_upload_parts (upload), 5); // 4 whole, 1 short
    store_upload_destroy (&fixture->upload);
    free (location);
    assert_int_equal (s_open_uploads (), 0);

    //  Byte for byte the file.
    char *copy = testdir_join (fixture->dir, "copy.pdf");
    char *command =
        zsys_sprintf ("curl -sf -o '%s' 'http://127.0.0.1:%d/%s/%s/grows.pdf'",
                      copy, s_port, S_BUCKET, S_PREFIX);
    assert_int_equal (system (command), 0);
    size_t stored_size, file_size;
    char *stored = testfile_read (copy, &stored_size);
    char *original = testfile_read (fixture->path, &file_size);
    assert_int_equal (stored_size, fixture->written);
    assert_int_equal (file_size, fixture->written);
    assert_memory_equal (stored, original, file_size);
    free (stored);
    free (original);
    zstr_free (&command);
    free (copy);
}

static void
test_destroy_before_finish_aborts_and_leaves_nothing (void **state)
{
    s_fixture_t *fixture = *state;
    store_upload_t *upload = fixture->upload =
        s_upload (fixture, "cancelled.pdf");
    s_append (fixture, S_PART + 10);
    store_upload_grow (upload, fixture->written);
    s_wait_parts (upload, 1);
    assert_int_equal (s_open_uploads (), 1);
    store_upload_destroy (&fixture->upload);
    assert_null (fixture->upload);
    assert_int_equal (s_open_uploads (), 0);
    char *object = s_curl ("GET", "/" S_BUCKET "/" S_PREFIX "/cancelled.pdf");
    assert_string_equal (object, "");
    free (object);
}

static void
test_a_file_shorter_than_its_final_bytes_fails_and_aborts (void **state)
{
    s_fixture_t *fixture = *state;
    store_upload_t *upload = fixture->upload = s_upload (fixture, "shrunk.pdf");
    s_append (fixture, S_PART + 10);
    store_upload_grow (upload, fixture->written);
    char error[STORE_ERROR_MAX] = "";
    char *location = NULL;
    assert_int_equal (store_upload_finish (upload, 1000, &location, error), -1);
    assert_null (location);
    assert_non_null (strstr (error, "shrank"));
    store_upload_destroy (&fixture->upload);
    assert_int_equal (s_open_uploads (), 0);
}

static void
test_an_empty_file_is_refused (void **state)
{
    s_fixture_t *fixture = *state;
    store_upload_t *upload = fixture->upload = s_upload (fixture, "empty.pdf");
    char error[STORE_ERROR_MAX] = "";
    char *location = NULL;
    assert_int_equal (store_upload_finish (upload, 0, &location, error), -1);
    assert_non_null (strstr (error, "nothing to upload"));
    store_upload_destroy (&fixture->upload);
    assert_int_equal (s_open_uploads (), 0);
}

//  What a sink restarted after kill -9 does with the id it recorded.
static void
test_a_recorded_upload_is_aborted_by_its_id (void **state)
{
    s_fixture_t *fixture = *state;
    store_upload_t *upload = fixture->upload =
        s_upload (fixture, "recorded.pdf");
    char *upload_id = strdup (store_upload_id (upload));
    s_append (fixture, S_PART);
    store_upload_grow (upload, fixture->written);
    s_wait_parts (upload, 1);
    char error[STORE_ERROR_MAX] = "";
    assert_int_equal (store_upload_abort_id (fixture->store, "recorded.pdf",
                                             upload_id, error),
                      0);
    assert_int_equal (s_open_uploads (), 0);
    //  Aborting again, or an id S3 never knew, is no error.
    assert_int_equal (store_upload_abort_id (fixture->store, "recorded.pdf",
                                             upload_id, error),
                      0);
    store_upload_destroy (&fixture->upload);
    assert_int_equal (store_upload_abort_id (fixture->store, "recorded.pdf",
                                             "no-such-upload", error),
                      0);
    assert_int_equal (s_open_uploads (), 0);
    free (upload_id);
}

static void
test_a_local_store_takes_no_streamed_upload (void **state)
{
    s_fixture_t *fixture = *state;
    char *dir = testdir_join (fixture->dir, "store");
    store_t *local = store_new (dir);
    assert_non_null (local);
    char error[STORE_ERROR_MAX] = "";
    assert_null (
        store_upload_new (local, "a.pdf", fixture->path, NULL, S_PART, error));
    assert_non_null (strstr (error, "only an S3 store"));
    assert_null (store_upload_new (fixture->store, "a.pdf", fixture->path, NULL,
                                   S_PART - 1, error));
    assert_non_null (strstr (error, "outside S3's"));
    store_destroy (&local);
    free (dir);
}

int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests[] = {
#define S_TEST(name)                                                           \
    cmocka_unit_test_setup_teardown (name, s_fixture_setup, s_fixture_teardown)
        S_TEST (test_parts_go_up_as_bytes_become_final),
        S_TEST (test_destroy_before_finish_aborts_and_leaves_nothing),
        S_TEST (test_a_file_shorter_than_its_final_bytes_fails_and_aborts),
        S_TEST (test_an_empty_file_is_refused),
        S_TEST (test_a_recorded_upload_is_aborted_by_its_id),
        S_TEST (test_a_local_store_takes_no_streamed_upload),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
