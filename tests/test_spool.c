/*  test_spool - sink/spool: durable chunk files, duplicates, re-opening
    and scanning, tombstones, crash leftovers and bad job ids.

    Each test gets a fresh spool directory in a temporary directory
    (testdir).

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "spool.h"
#include "testassert.h"
#include "testdir.h"
#include "testfile.h"
#include "wire.h"

#define S_PDF "%PDF-1.4 not really a PDF, the spool does not care\n"

typedef struct {
    testdir_t *testdir;
    char *dir; // the spool, one level down so spool_new creates it
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    fixture->testdir = testdir_new ("test_spool");
    fixture->dir = testdir_join (fixture->testdir, "spool");
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    testdir_destroy (&fixture->testdir);
    zstr_free (&fixture->dir);
    free (fixture);
    return 0;
}

static assembly_t *
s_job (const char *job_id, uint32_t chunk_count, uint32_t total_pages)
{
    char reason[ASSEMBLY_REASON_MAX];
    assembly_t *job = assembly_new (job_id, chunk_count, total_pages, reason);
    assert_non_null (job);
    return job;
}

//  Put a chunk into the spool and record it in job, as the sink does.
static void
s_put (spool_t *spool, assembly_t *job, uint32_t chunk_nbr, uint32_t first_page,
       uint32_t page_count, bool expect_duplicate)
{
    char reason[ASSEMBLY_REASON_MAX];
    bool duplicate = !expect_duplicate;
    assert_int_equal (spool_put (spool, job, chunk_nbr, first_page, page_count,
                                 S_PDF, strlen (S_PDF), &duplicate),
                      0);
    assert_int_equal (duplicate, expect_duplicate);
    assembly_add (job, chunk_nbr, first_page, page_count, reason);
}

static bool
s_exists (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *path = zsys_vprintf (format, args);
    va_end (args);
    bool exists = access (path, F_OK) == 0;
    zstr_free (&path);
    return exists;
}

static void
test_put_stores_chunk_file (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assert_non_null (spool);
    assembly_t *job = s_job ("job-1", 3, 10);
    s_put (spool, job, 1, 5, 4, false);

    char *path = spool_chunk_path (spool, job, 1);
    assert_non_null (path);
    assert_true (s_exists ("%s", path));
    zchunk_t *content = zchunk_slurp (path, 0);
    assert_non_null (content);
    assert_size_eq (zchunk_size (content), strlen (S_PDF));
    assert_memory_equal (zchunk_data (content), S_PDF, strlen (S_PDF));
    zchunk_destroy (&content);
    zstr_free (&path);
    assert_null (spool_chunk_path (spool, job, 0));
    assert_true (s_exists ("%s/job-1/meta", fixture->dir));
    assert_false (spool_finished (spool, "job-1"));

    assembly_destroy (&job);
    spool_destroy (&spool);
    assert_null (spool);
}

static void
test_second_put_is_duplicate (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assembly_t *job = s_job ("job-1", 2, 8);
    s_put (spool, job, 0, 1, 4, false);
    s_put (spool, job, 0, 1, 4, true);
    assembly_destroy (&job);
    spool_destroy (&spool);
}

static void
test_chunks_survive_reopen_and_scan (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assembly_t *job = s_job ("job-a", 3, 10);
    s_put (spool, job, 2, 9, 2, false);
    s_put (spool, job, 0, 1, 4, false);
    assembly_t *other = s_job ("job-b", 1, 1);
    s_put (spool, other, 0, 1, 1, false);
    assembly_destroy (&other);
    assembly_destroy (&job);
    spool_destroy (&spool);

    spool = spool_new (fixture->dir);
    assert_int_equal (spool_recover (spool), 0);
    zlist_t *jobs = spool_jobs (spool);
    assert_non_null (jobs);
    assert_size_eq (zlist_size (jobs), 2);
    zlist_sort (jobs, (zlist_compare_fn *)strcmp);
    assert_string_equal (zlist_first (jobs), "job-a");
    assert_string_equal (zlist_next (jobs), "job-b");
    zlist_destroy (&jobs);

    job = spool_load (spool, "job-a");
    assert_non_null (job);
    assert_int_eq (assembly_chunk_count (job), 3);
    assert_int_eq (assembly_total_pages (job), 10);
    assert_int_eq (assembly_present (job), 2);
    assert_true (assembly_has (job, 0));
    assert_false (assembly_has (job, 1));
    assert_int_eq (assembly_first_page (job, 2), 9);
    assert_int_eq (assembly_page_count (job, 2), 2);
    //  The chunk still missing can be added after the restart.
    s_put (spool, job, 1, 5, 4, false);
    assert_true (assembly_complete (job));
    assembly_destroy (&job);

    job = spool_load (spool, "job-b");
    assert_non_null (job);
    assert_true (assembly_complete (job));
    assembly_destroy (&job);
    spool_destroy (&spool);
}

static void
test_tombstone_marks_job_finished (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assembly_t *job = s_job ("job-1", 1, 3);
    s_put (spool, job, 0, 1, 3, false);
    assert_int_equal (spool_finish (spool, "job-1", "cancelled"), 0);

    assert_true (spool_finished (spool, "job-1"));
    assert_false (s_exists ("%s/job-1", fixture->dir));
    char *outcome = spool_outcome (spool, "job-1");
    assert_string_equal (outcome, "cancelled");
    zstr_free (&outcome);
    //  The first outcome wins; finishing again is harmless.
    assert_int_equal (spool_finish (spool, "job-1", "done 10 file:///x"), 0);
    outcome = spool_outcome (spool, "job-1");
    assert_string_equal (outcome, "cancelled");
    zstr_free (&outcome);
    assert_null (spool_outcome (spool, "job-2"));

    zlist_t *jobs = spool_jobs (spool);
    assert_size_eq (zlist_size (jobs), 0);
    zlist_destroy (&jobs);
    assembly_destroy (&job);
    spool_destroy (&spool);

    //  The tombstone is durable: a re-opened spool still knows.
    spool = spool_new (fixture->dir);
    assert_int_equal (spool_recover (spool), 0);
    assert_true (spool_finished (spool, "job-1"));
    spool_destroy (&spool);
}

static void
test_tombstone_drops_late_chunk (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assembly_t *job = s_job ("job-1", 2, 2);
    s_put (spool, job, 0, 1, 1, false);
    assert_int_equal (spool_finish (spool, "job-1", "done 100 file:///x"), 0);
    //  A duplicate of chunk 1 arrives after the job was finished.
    bool duplicate;
    assert_int_equal (
        spool_put (spool, job, 1, 2, 1, S_PDF, strlen (S_PDF), &duplicate), -1);
    assert_false (s_exists ("%s/job-1", fixture->dir));
    zlist_t *jobs = spool_jobs (spool);
    assert_size_eq (zlist_size (jobs), 0);
    zlist_destroy (&jobs);
    assembly_destroy (&job);
    spool_destroy (&spool);
}

static void
test_recover_removes_leftovers (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assembly_t *job = s_job ("job-1", 2, 4);
    s_put (spool, job, 0, 1, 2, false);
    assembly_t *finished = s_job ("job-2", 1, 1);
    s_put (spool, finished, 0, 1, 1, false);
    spool_destroy (&spool);

    //  What a crash can leave: a temporary chunk file, a finished job's
    //  directory (tombstone written, chunks not yet removed), an old
    //  tombstone.
    char *path =
        zsys_sprintf ("%s/job-1/.chunk-000001-p3-4.pdf.Ab12Cd", fixture->dir);
    zsys_file_delete (path);
    testfile_write (path, NULL, 0);
    zstr_free (&path);
    path = zsys_sprintf ("%s/.finished/job-2", fixture->dir);
    testfile_write (path, "done\n", 5);
    zstr_free (&path);
    path = zsys_sprintf ("%s/.finished/job-old", fixture->dir);
    testfile_write (path, NULL, 0);
    struct timeval old[2] = {
        {.tv_sec = time (NULL) - SPOOL_TOMBSTONE_TTL_S - 60},
        {.tv_sec = time (NULL) - SPOOL_TOMBSTONE_TTL_S - 60}};
    assert_int_equal (utimes (path, old), 0);
    zstr_free (&path);

    spool = spool_new (fixture->dir);
    assert_int_equal (spool_recover (spool), 0);
    assert_false (
        s_exists ("%s/job-1/.chunk-000001-p3-4.pdf.Ab12Cd", fixture->dir));
    assert_true (s_exists ("%s/job-1/chunk-000000-p1-2.pdf", fixture->dir));
    assert_false (s_exists ("%s/job-2", fixture->dir));
    assert_true (spool_finished (spool, "job-2"));
    assert_false (spool_finished (spool, "job-old"));
    assembly_destroy (&finished);
    assembly_destroy (&job);
    spool_destroy (&spool);
}

//  A file under the spool with its modification time days in the past.
static void
s_write_old (const char *path)
{
    testfile_write (path, "done\n", 5);
    struct timeval old[2] = {
        {.tv_sec = time (NULL) - SPOOL_TOMBSTONE_TTL_S - 60},
        {.tv_sec = time (NULL) - SPOOL_TOMBSTONE_TTL_S - 60}};
    assert_int_equal (utimes (path, old), 0);
}

static void
test_old_tombstones_expire_while_running (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assert_int_equal (spool_finish (spool, "job-new", "done x"), 0);
    char *path = zsys_sprintf ("%s/.finished/job-old", fixture->dir);
    s_write_old (path);
    zstr_free (&path);
    //  A temporary one may be the finisher's, being written: it stays.
    path = zsys_sprintf ("%s/.finished/.job-tmp.Ab12Cd", fixture->dir);
    s_write_old (path);
    assert_true (spool_finished (spool, "job-old"));
    spool_expire_tombstones (spool);
    assert_false (spool_finished (spool, "job-old"));
    assert_true (spool_finished (spool, "job-new"));
    assert_true (s_exists ("%s", path));
    zstr_free (&path);
    spool_destroy (&spool);
}

static void
test_disk_bytes_counts_every_file (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assert_int_equal (spool_disk_bytes (spool), 0);
    assembly_t *job = s_job ("job-1", 2, 4);
    s_put (spool, job, 0, 1, 2, false);
    uint64_t one_chunk = spool_disk_bytes (spool);
    assert_true (one_chunk > strlen (S_PDF));
    s_put (spool, job, 1, 3, 2, false);
    assert_int_equal (spool_disk_bytes (spool), one_chunk + strlen (S_PDF));
    assembly_destroy (&job);
    spool_destroy (&spool);
}

static void
test_load_deletes_contradicting_chunk_files (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assembly_t *job = s_job ("job-1", 2, 8);
    s_put (spool, job, 0, 1, 4, false);
    assembly_destroy (&job);
    //  Chunk 1 with a range that does not follow chunk 0, and a name that
    //  is not in canonical form.
    char *path = zsys_sprintf ("%s/job-1/chunk-000001-p4-8.pdf", fixture->dir);
    testfile_write (path, NULL, 0);
    zstr_free (&path);
    path = zsys_sprintf ("%s/job-1/chunk-1-p5-8.pdf", fixture->dir);
    testfile_write (path, NULL, 0);
    zstr_free (&path);

    job = spool_load (spool, "job-1");
    assert_non_null (job);
    assert_int_eq (assembly_present (job), 1);
    assert_false (assembly_has (job, 1));
    assert_false (s_exists ("%s/job-1/chunk-000001-p4-8.pdf", fixture->dir));
    assembly_destroy (&job);
    spool_destroy (&spool);
}

static void
test_job_without_meta_is_removed_on_load (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    char *path = zsys_sprintf ("%s/job-1", fixture->dir);
    assert_int_equal (mkdir (path, 0755), 0);
    zstr_free (&path);
    assert_null (spool_load (spool, "job-1"));
    assert_false (s_exists ("%s/job-1", fixture->dir));
    spool_destroy (&spool);
}

static void
test_shape_must_match_meta (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assembly_t *job = s_job ("job-1", 2, 8);
    s_put (spool, job, 0, 1, 4, false);
    assembly_t *other_shape = s_job ("job-1", 2, 9);
    bool duplicate;
    assert_int_equal (spool_put (spool, other_shape, 1, 5, 5, S_PDF,
                                 strlen (S_PDF), &duplicate),
                      -1);
    assert_false (s_exists ("%s/job-1/chunk-000001-p5-9.pdf", fixture->dir));
    assembly_destroy (&other_shape);
    assembly_destroy (&job);
    spool_destroy (&spool);
}

static void
test_bad_job_id_is_rejected (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    char too_long[PROTO_JOB_ID_MAX + 2];
    memset (too_long, 'x', sizeof (too_long) - 1);
    too_long[sizeof (too_long) - 1] = '\0';
    const char *bad_ids[] = {"../escape", "a/b",   "",
                             ".finished", "job 1", too_long};
    for (size_t index = 0; index < sizeof (bad_ids) / sizeof (bad_ids[0]);
         index++) {
        const char *job_id = bad_ids[index];
        assert_false (spool_job_id_valid (job_id));
        assert_true (spool_finished (spool, job_id));
        assert_null (spool_load (spool, job_id));
        assert_null (spool_scratch_path (spool, job_id));
        assert_int_equal (spool_finish (spool, job_id, "done"), -1);
        char reason[ASSEMBLY_REASON_MAX];
        assembly_t *job = assembly_new (job_id, 1, 1, reason);
        bool duplicate;
        assert_int_equal (
            spool_put (spool, job, 0, 1, 1, S_PDF, strlen (S_PDF), &duplicate),
            -1);
        assembly_destroy (&job);
    }
    assert_false (s_exists ("%s/escape", testdir_path (fixture->testdir)));
    assert_true (spool_job_id_valid ("Job_1-a"));
    spool_destroy (&spool);
}

//  The upload record survives a restart's recovery and the job's end, is
//  not taken for a chunk, and goes when forgotten.
static void
test_upload_record_stays_until_forgotten (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assembly_t *job = s_job ("job-1", 2, 4);
    char *key = NULL, *upload_id = NULL;
    assert_int_equal (spool_noted_upload (spool, "job-1", &key, &upload_id),
                      -1);
    s_put (spool, job, 0, 1, 2, false);
    assert_int_equal (
        spool_note_upload (spool, "job-1", "out/a.pdf", "first-id"), 0);
    assert_int_equal (
        spool_note_upload (spool, "job-1", "out/a.pdf", "second-id"), 0);
    spool_destroy (&spool);

    spool = spool_new (fixture->dir);
    assert_int_equal (spool_recover (spool), 0);
    assert_int_equal (spool_noted_upload (spool, "job-1", &key, &upload_id), 0);
    assert_string_equal (key, "out/a.pdf");
    assert_string_equal (upload_id, "second-id");
    zstr_free (&key);
    zstr_free (&upload_id);
    assembly_t *loaded = spool_load (spool, "job-1");
    assert_non_null (loaded);
    assert_int_equal (assembly_present (loaded), 1);
    assembly_destroy (&loaded);

    spool_forget_upload (spool, "job-1");
    spool_forget_upload (spool, "job-1");
    assert_int_equal (spool_noted_upload (spool, "job-1", &key, &upload_id),
                      -1);
    //  A job cancelled keeps its record until its upload is aborted.
    assert_int_equal (
        spool_note_upload (spool, "job-1", "out/a.pdf", "third-id"), 0);
    assert_int_equal (spool_finish (spool, "job-1", "cancelled"), 0);
    zlist_t *jobs = spool_upload_jobs (spool);
    assert_non_null (jobs);
    assert_int_equal (zlist_size (jobs), 1);
    assert_string_equal (zlist_first (jobs), "job-1");
    zlist_destroy (&jobs);
    assert_int_equal (spool_noted_upload (spool, "job-1", &key, &upload_id), 0);
    assert_string_equal (upload_id, "third-id");
    zstr_free (&key);
    zstr_free (&upload_id);
    spool_forget_upload (spool, "job-1");
    jobs = spool_upload_jobs (spool);
    assert_int_equal (zlist_size (jobs), 0);
    zlist_destroy (&jobs);
    assembly_destroy (&job);
    spool_destroy (&spool);
}

static void
test_released_chunks_stay_present_without_files (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    assembly_t *job = s_job ("job-1", 4, 8);
    for (uint32_t chunk_nbr = 0; chunk_nbr < 4; chunk_nbr++)
        s_put (spool, job, chunk_nbr, 2 * chunk_nbr + 1, 2, false);
    assert_int_equal (spool_released (spool, "job-1"), 0);
    spool_range_t first[] = {{0, 1, 2}, {1, 3, 2}};
    assert_int_equal (spool_release (spool, "job-1", first, 2), 0);
    assert_int_equal (spool_released (spool, "job-1"), 2);
    assert_false (s_exists ("%s/job-1/chunk-000000-p1-2.pdf", fixture->dir));
    assert_false (s_exists ("%s/job-1/chunk-000001-p3-4.pdf", fixture->dir));
    assert_true (s_exists ("%s/job-1/chunk-000002-p5-6.pdf", fixture->dir));
    //  The output and its journal are kept across a restart; other
    //  hidden files go.
    char *part = zsys_sprintf ("%s/job-1/.merged.pdf.part", fixture->dir);
    char *journal = zsys_sprintf ("%s/job-1/.merged.pdf.journal", fixture->dir);
    char *scratch = zsys_sprintf ("%s/job-1/.merged.pdf.part.xref.Ab12Cd",
                                  fixture->dir);
    testfile_write (part, "%PDF", 4);
    testfile_write (journal, "PPJ1", 4);
    testfile_write (scratch, NULL, 0);
    //  A crash after the record, before a file was removed; and a line
    //  torn by a crash.
    char *stale = zsys_sprintf ("%s/job-1/chunk-000001-p3-4.pdf", fixture->dir);
    testfile_write (stale, S_PDF, strlen (S_PDF));
    char *released = zsys_sprintf ("%s/job-1/released", fixture->dir);
    FILE *file = fopen (released, "a");
    fputs ("2 5", file);
    fclose (file);
    spool_destroy (&spool);

    spool = spool_new (fixture->dir);
    assert_int_equal (spool_recover (spool), 0);
    assert_true (zsys_file_exists (part));
    assert_true (zsys_file_exists (journal));
    assert_false (zsys_file_exists (scratch));
    assert_int_equal (spool_released (spool, "job-1"), 2);
    assembly_t *loaded = spool_load (spool, "job-1");
    assert_non_null (loaded);
    assert_int_equal (assembly_present (loaded), 4);
    assert_true (assembly_complete (loaded));
    assert_int_equal (assembly_first_page (loaded, 1), 3);
    assert_false (zsys_file_exists (stale));
    //  Gone with the job.
    assert_int_equal (spool_finish (spool, "job-1", "done 1 x"), 0);
    assert_false (s_exists ("%s/job-1", fixture->dir));
    assembly_destroy (&loaded);
    zstr_free (&released);
    zstr_free (&stale);
    zstr_free (&scratch);
    zstr_free (&journal);
    zstr_free (&part);
    assembly_destroy (&job);
    spool_destroy (&spool);
}

static void
test_scratch_path_is_temporary (void **state)
{
    s_fixture_t *fixture = *state;
    spool_t *spool = spool_new (fixture->dir);
    char *path = spool_scratch_path (spool, "job-1");
    char *expected = zsys_sprintf ("%s/job-1/.", fixture->dir);
    assert_non_null (path);
    assert_memory_equal (path, expected, strlen (expected));
    zstr_free (&expected);
    zstr_free (&path);
    spool_destroy (&spool);
}

static void
test_new_fails_on_unusable_directory (void **state)
{
    s_fixture_t *fixture = *state;
    char *blocker = testdir_join (fixture->testdir, "file");
    testfile_write (blocker, NULL, 0);
    char *dir = zsys_sprintf ("%s/spool", blocker);
    assert_null (spool_new (dir));
    zstr_free (&dir);
    zstr_free (&blocker);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_put_stores_chunk_file, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_second_put_is_duplicate, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_chunks_survive_reopen_and_scan,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_tombstone_marks_job_finished,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_tombstone_drops_late_chunk,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_old_tombstones_expire_while_running, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_disk_bytes_counts_every_file,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_released_chunks_stay_present_without_files, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_recover_removes_leftovers,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_load_deletes_contradicting_chunk_files, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_job_without_meta_is_removed_on_load, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_shape_must_match_meta, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_job_id_is_rejected, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_upload_record_stays_until_forgotten, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_scratch_path_is_temporary,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_new_fails_on_unusable_directory,
                                         s_setup, s_teardown),
    };
    zsys_init ();
    return cmocka_run_group_tests (tests, NULL, NULL);
}
