/*  test_chord - the sink's verdicts on RESULTs: stored, complete,
    duplicate, dropped, finished (outcome sent again from the tombstone)
    and failed (the spool cannot take the chunk).

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chord.h"
#include "render.h"
#include "spool.h"
#include "template.h"

#define S_JOB "0123456789abcdef0123456789abcdef"
#define S_TEMPLATE                                                             \
    "{\"elements\": [{\"type\": \"text\", \"text\": \"{{n}}\","                \
    " \"x\": 50, \"y\": 700, \"font\": \"Helvetica\", \"size\": 12}]}"

typedef struct {
    char root[64]; // mkdtemp directory, the spool
    chord_t *chord;
    render_t *render;
    template_t *tpl;
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)zmalloc (sizeof (s_fixture_t));
    strcpy (fixture->root, "/tmp/test_chord.XXXXXX");
    assert_non_null (mkdtemp (fixture->root));
    fixture->chord = chord_new (fixture->root);
    assert_non_null (fixture->chord);
    fixture->render = render_new ();
    fielderr_t err;
    fixture->tpl = template_parse_text (S_TEMPLATE, strlen (S_TEMPLATE), &err);
    assert_non_null (fixture->tpl);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    chord_destroy (&fixture->chord);
    template_destroy (&fixture->tpl);
    render_destroy (&fixture->render);
    char *command = zsys_sprintf ("rm -rf '%s'", fixture->root);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
    free (fixture);
    return 0;
}

//  A RESULT for chunk chunk_nbr of a job of two one-page chunks, with a
//  real one-page PDF.
static wire_t *
s_result (s_fixture_t *fixture, const char *job_id, uint32_t chunk_nbr)
{
    cJSON *records = cJSON_Parse ("[{\"n\": \"x\"}]");
    render_range_t range = {chunk_nbr + 1, 2, chunk_nbr};
    zframe_t *pdf = NULL;
    fielderr_t err;
    assert_int_equal (render_chunk (fixture->render, fixture->tpl, records,
                                    &range, &pdf, &err),
                      0);
    cJSON_Delete (records);
    wire_t *result = wire_new (WIRE_RESULT);
    wire_set_job_id (result, job_id);
    wire_set_chunk_nbr (result, chunk_nbr);
    wire_set_attempt (result, 1);
    wire_set_first_page (result, chunk_nbr + 1);
    wire_set_page_count (result, 1);
    wire_set_total_pages (result, 2);
    wire_set_chunk_count (result, 2);
    wire_set_pdf (result, &pdf);
    return result;
}

static chord_verdict_t
s_offer (s_fixture_t *fixture, const char *job_id, uint32_t chunk_nbr,
         char *reason)
{
    wire_t *result = s_result (fixture, job_id, chunk_nbr);
    chord_verdict_t verdict = chord_offer (fixture->chord, result, reason);
    wire_destroy (&result);
    return verdict;
}

//  Write a tombstone as the finisher does, through a spool of its own.
static void
s_tombstone (s_fixture_t *fixture, const char *job_id, const char *outcome)
{
    spool_t *spool = spool_new (fixture->root);
    assert_non_null (spool);
    assert_int_equal (spool_finish (spool, job_id, outcome), 0);
    spool_destroy (&spool);
}

static void
test_chunks_are_stored_until_complete_then_duplicates (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[CHORD_REASON_MAX];
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), CHORD_STORED);
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), CHORD_DUPLICATE);
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), CHORD_COMPLETE);
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), CHORD_DUPLICATE);
    const assembly_t *job = chord_assembly (fixture->chord, S_JOB);
    assert_non_null (job);
    assert_true (assembly_complete (job));
    assert_null (chord_outcome (fixture->chord, S_JOB));
}

static void
test_late_chunk_of_done_job_repeats_the_outcome (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[CHORD_REASON_MAX];
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), CHORD_STORED);
    s_tombstone (fixture, S_JOB, "done 1234 file:///out/a b.pdf");
    chord_forget (fixture->chord, S_JOB);
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), CHORD_FINISHED);
    wire_t *outcome = chord_outcome (fixture->chord, S_JOB);
    assert_non_null (outcome);
    assert_int_equal (wire_id (outcome), WIRE_JOB_DONE);
    assert_string_equal (wire_job_id (outcome), S_JOB);
    assert_int_equal (wire_bytes (outcome), 1234);
    assert_string_equal (wire_location (outcome), "file:///out/a b.pdf");
    wire_destroy (&outcome);
    assert_false (chord_cancelled (fixture->chord, S_JOB));
}

static void
test_failed_job_repeats_its_reason (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_tombstone (fixture, S_JOB, "failed merge failed: bad chunk");
    char reason[CHORD_REASON_MAX];
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), CHORD_FINISHED);
    wire_t *outcome = chord_outcome (fixture->chord, S_JOB);
    assert_non_null (outcome);
    assert_int_equal (wire_id (outcome), WIRE_JOB_FAILED);
    assert_string_equal (wire_reason (outcome), "merge failed: bad chunk");
    wire_destroy (&outcome);
}

static void
test_cancelled_job_drops_chunks_silently (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[CHORD_REASON_MAX];
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), CHORD_STORED);
    assert_int_equal (chord_cancel (fixture->chord, S_JOB), 0);
    assert_null (chord_assembly (fixture->chord, S_JOB));
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), CHORD_DROPPED);
    assert_null (chord_outcome (fixture->chord, S_JOB));
    assert_true (chord_cancelled (fixture->chord, S_JOB));
}

static void
test_failed_job_keeps_its_reason_for_later_chunks (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[CHORD_REASON_MAX];
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), CHORD_STORED);
    assert_int_equal (chord_fail (fixture->chord, S_JOB, "chunks are gone"), 0);
    assert_null (chord_assembly (fixture->chord, S_JOB));
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), CHORD_FINISHED);
    wire_t *outcome = chord_outcome (fixture->chord, S_JOB);
    assert_non_null (outcome);
    assert_int_equal (wire_id (outcome), WIRE_JOB_FAILED);
    assert_string_equal (wire_reason (outcome), "chunks are gone");
    wire_destroy (&outcome);
}

static void
test_unknown_job_has_no_outcome (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    assert_null (chord_outcome (fixture->chord, S_JOB));
    assert_false (chord_cancelled (fixture->chord, S_JOB));
}

static void
test_chunk_the_spool_cannot_take_fails_its_job (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char reason[CHORD_REASON_MAX];
    //  Another job is held and must survive.
    const char *other = "other-job";
    assert_int_equal (s_offer (fixture, other, 0, reason), CHORD_STORED);
    //  A file where the job's directory should go: every write fails.
    char *blocker = zsys_sprintf ("%s/%s", fixture->root, S_JOB);
    FILE *file = fopen (blocker, "w");
    assert_non_null (file);
    fclose (file);
    assert_int_equal (s_offer (fixture, S_JOB, 0, reason), CHORD_FAILED);
    assert_non_null (strstr (reason, "could not write chunk 0 to its spool"));
    assert_null (chord_assembly (fixture->chord, S_JOB));
    //  The failure is recorded: later chunks repeat it.
    wire_t *outcome = chord_outcome (fixture->chord, S_JOB);
    assert_non_null (outcome);
    assert_int_equal (wire_id (outcome), WIRE_JOB_FAILED);
    assert_string_equal (wire_reason (outcome), reason);
    wire_destroy (&outcome);
    assert_int_equal (s_offer (fixture, S_JOB, 1, reason), CHORD_FINISHED);
    assert_non_null (chord_assembly (fixture->chord, other));
    unlink (blocker);
    zstr_free (&blocker);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_chunks_are_stored_until_complete_then_duplicates, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_late_chunk_of_done_job_repeats_the_outcome, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_failed_job_repeats_its_reason,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_cancelled_job_drops_chunks_silently, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_failed_job_keeps_its_reason_for_later_chunks, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_unknown_job_has_no_outcome,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_chunk_the_spool_cannot_take_fails_its_job, s_setup,
            s_teardown),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return failed;
}
