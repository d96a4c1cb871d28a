/*  test_merge - sink/merge: page order and count, sharing of identical
    resources, qpdf errors as text, counting pages in memory, and merging
    more inputs than MERGE_FANIN_MAX.

    Inputs are small PDFs written here with a correct cross-reference
    table. Each page shows the text <PAGE-n> and draws two form XObjects:
    one identical in every chunk ("SHARED-LOGO", its /Length an indirect
    object as libharu writes it) and one that differs per chunk
    ("CHUNK-LOGO-<first page>"). Results are checked with the qpdf and
    pdftotext programs.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <czmq.h>
#include <unistd.h>

#include "merge.h"

typedef struct {
    char root[64]; // mkdtemp directory
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    strcpy (fixture->root, "/tmp/test_merge.XXXXXX");
    assert_non_null (mkdtemp (fixture->root));
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = *state;
    char *command = zsys_sprintf ("rm -rf '%s'", fixture->root);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
    free (fixture);
    return 0;
}

//  Append one object to pdf, recording its offset.
static void
s_object (zchunk_t *pdf, long *offsets, int objid, const char *format, ...)
{
    offsets[objid] = (long)zchunk_size (pdf);
    va_list args;
    va_start (args, format);
    char *body = zsys_vprintf (format, args);
    va_end (args);
    char *object = zsys_sprintf ("%d 0 obj\n%s\nendobj\n", objid, body);
    zchunk_extend (pdf, object, strlen (object));
    zstr_free (&object);
    zstr_free (&body);
}

static char *
s_stream (const char *dict_entries, const char *data)
{
    return zsys_sprintf ("<< %s /Length %zu >>\nstream\n%s\nendstream",
                         dict_entries, strlen (data), data);
}

//  Write a PDF with pages first_page .. first_page + page_count - 1 to
//  dir/name. With cyclic, the shared form lists itself in its own
//  resources, a loop a hostile chunk could contain. Returns the path
//  (caller frees).
static char *
s_write_chunk_with (const char *dir, const char *name, unsigned first_page,
                    unsigned page_count, bool cyclic)
{
    const char *shared_data = "% SHARED-LOGO\n0 0 10 10 re f";
    char *chunk_data =
        zsys_sprintf ("%% CHUNK-LOGO-%u\n0 0 5 5 re f", first_page);
    int objects = 7 + 2 * (int)page_count;
    long *offsets = calloc ((size_t)objects, sizeof (long));
    zchunk_t *pdf = zchunk_new (NULL, 4096);
    const char *header = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
    zchunk_extend (pdf, header, strlen (header));

    s_object (pdf, offsets, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    char *kids = strdup ("");
    for (unsigned index = 0; index < page_count; index++) {
        char *more = zsys_sprintf ("%s %u 0 R", kids, 7 + 2 * index);
        free (kids);
        kids = more;
    }
    s_object (pdf, offsets, 2, "<< /Type /Pages /Kids [%s ] /Count %u >>", kids,
              page_count);
    free (kids);
    s_object (pdf, offsets, 3,
              "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    s_object (pdf, offsets, 4,
              "<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] %s"
              "/Length 5 0 R >>\nstream\n%s\nendstream",
              cyclic ? "/Resources << /XObject << /Me 4 0 R >> >> " : "",
              shared_data);
    s_object (pdf, offsets, 5, "%zu", strlen (shared_data));
    char *chunk_form = s_stream (
        "/Type /XObject /Subtype /Form /BBox [0 0 10 10]", chunk_data);
    s_object (pdf, offsets, 6, "%s", chunk_form);
    zstr_free (&chunk_form);
    for (unsigned index = 0; index < page_count; index++) {
        int page_id = 7 + 2 * (int)index;
        s_object (pdf, offsets, page_id,
                  "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] "
                  "/Resources << /Font << /F1 3 0 R >> "
                  "/XObject << /Sh 4 0 R /Ch 6 0 R >> >> "
                  "/Contents %d 0 R >>",
                  page_id + 1);
        char *content = zsys_sprintf (
            "BT /F1 12 Tf 20 100 Td (<PAGE-%u>) Tj ET q /Sh Do Q q /Ch Do Q",
            first_page + index);
        char *stream = s_stream ("", content);
        s_object (pdf, offsets, page_id + 1, "%s", stream);
        zstr_free (&stream);
        zstr_free (&content);
    }
    long xref_offset = (long)zchunk_size (pdf);
    char *xref = zsys_sprintf ("xref\n0 %d\n0000000000 65535 f \n", objects);
    zchunk_extend (pdf, xref, strlen (xref));
    zstr_free (&xref);
    for (int objid = 1; objid < objects; objid++) {
        char entry[32];
        snprintf (entry, sizeof (entry), "%010ld 00000 n \n", offsets[objid]);
        zchunk_extend (pdf, entry, strlen (entry));
    }
    char *trailer =
        zsys_sprintf ("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%ld\n"
                      "%%%%EOF\n",
                      objects, xref_offset);
    zchunk_extend (pdf, trailer, strlen (trailer));
    zstr_free (&trailer);

    char *path = zsys_sprintf ("%s/%s", dir, name);
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (zchunk_data (pdf), 1, zchunk_size (pdf), file),
                      zchunk_size (pdf));
    fclose (file);
    zchunk_destroy (&pdf);
    free (offsets);
    zstr_free (&chunk_data);
    return path;
}

static char *
s_write_chunk (const char *dir, const char *name, unsigned first_page,
               unsigned page_count)
{
    return s_write_chunk_with (dir, name, first_page, page_count, false);
}

//  Run a shell command and return what it printed (caller frees).
static char *
s_run (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    FILE *pipe = popen (command, "r");
    assert_non_null (pipe);
    zchunk_t *output = zchunk_new (NULL, 0);
    char buffer[4096];
    for (size_t got = fread (buffer, 1, sizeof (buffer), pipe); got > 0;
         got = fread (buffer, 1, sizeof (buffer), pipe))
        zchunk_extend (output, buffer, got);
    zchunk_extend (output, "", 1);
    assert_int_equal (pclose (pipe), 0);
    char *text = strdup ((char *)zchunk_data (output));
    zchunk_destroy (&output);
    zstr_free (&command);
    return text;
}

static int
s_npages (const char *path)
{
    char *output = s_run ("qpdf --show-npages '%s'", path);
    int pages = atoi (output);
    free (output);
    return pages;
}

static size_t
s_count (const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *hit = strstr (text, needle); hit;
         hit = strstr (hit + 1, needle))
        count++;
    return count;
}

//  Pages 1..pages appear in order in the document's text.
static void
s_assert_page_order (const char *path, unsigned pages)
{
    char *text = s_run ("pdftotext '%s' -", path);
    const char *cursor = text;
    for (unsigned page = 1; page <= pages; page++) {
        char marker[32];
        snprintf (marker, sizeof (marker), "<PAGE-%u>", page);
        const char *hit = strstr (cursor, marker);
        if (!hit)
            fail_msg ("%s not found after page %u in %s", marker, page - 1,
                      path);
        cursor = hit + strlen (marker);
    }
    free (text);
}

//  The document as qpdf's QDF text: uncompressed, no object streams.
static char *
s_qdf (const char *path)
{
    return s_run ("qpdf --qdf --object-streams=disable '%s' -", path);
}

typedef struct {
    char *paths[3];
    char *out;
} s_three_t;

//  Three chunks: pages 1-2, 3-5 and 6.
static void
s_three_chunks (s_fixture_t *fixture, s_three_t *three)
{
    three->paths[0] = s_write_chunk (fixture->root, "c0.pdf", 1, 2);
    three->paths[1] = s_write_chunk (fixture->root, "c1.pdf", 3, 3);
    three->paths[2] = s_write_chunk (fixture->root, "c2.pdf", 6, 1);
    three->out = zsys_sprintf ("%s/merged.pdf", fixture->root);
}

static void
s_three_free (s_three_t *three)
{
    for (int index = 0; index < 3; index++)
        zstr_free (&three->paths[index]);
    zstr_free (&three->out);
}

static void
test_merge_keeps_page_order (void **state)
{
    s_fixture_t *fixture = *state;
    s_three_t three;
    s_three_chunks (fixture, &three);
    char error[MERGE_ERROR_MAX] = "";
    int rc = merge_files ((const char *const *)three.paths, 3, 6, three.out,
                          MERGE_SHARED, error);
    if (rc != 0)
        fail_msg ("merge failed: %s", error);
    assert_int_equal (s_npages (three.out), 6);
    s_assert_page_order (three.out, 6);
    char *check = s_run ("qpdf --check '%s'", three.out);
    assert_non_null (strstr (check, "No syntax or stream encoding errors"));
    free (check);
    char *part = zsys_sprintf ("%s.part", three.out);
    assert_false (access (part, F_OK) == 0);
    zstr_free (&part);
    s_three_free (&three);
}

static void
test_merge_single_chunk (void **state)
{
    s_fixture_t *fixture = *state;
    char *path = s_write_chunk (fixture->root, "only.pdf", 1, 4);
    char *out = zsys_sprintf ("%s/merged.pdf", fixture->root);
    char error[MERGE_ERROR_MAX] = "";
    assert_int_equal (merge_files ((const char *const *)&path, 1, 4, out,
                                   MERGE_SHARED, error),
                      0);
    assert_int_equal (s_npages (out), 4);
    s_assert_page_order (out, 4);
    zstr_free (&out);
    zstr_free (&path);
}

static void
test_shared_resources_are_stored_once (void **state)
{
    s_fixture_t *fixture = *state;
    s_three_t three;
    s_three_chunks (fixture, &three);
    char error[MERGE_ERROR_MAX] = "";
    assert_int_equal (merge_files ((const char *const *)three.paths, 3, 6,
                                   three.out, MERGE_SHARED, error),
                      0);
    char *qdf = s_qdf (three.out);
    assert_int_equal (s_count (qdf, "% SHARED-LOGO"), 1);
    assert_int_equal (s_count (qdf, "/BaseFont /Helvetica"), 1);
    //  Same dictionary, different data: never shared.
    assert_int_equal (s_count (qdf, "% CHUNK-LOGO-1\n"), 1);
    assert_int_equal (s_count (qdf, "% CHUNK-LOGO-3\n"), 1);
    assert_int_equal (s_count (qdf, "% CHUNK-LOGO-6\n"), 1);
    free (qdf);
    s_assert_page_order (three.out, 6);
    s_three_free (&three);
}

static void
test_plain_merge_keeps_every_copy (void **state)
{
    s_fixture_t *fixture = *state;
    s_three_t three;
    s_three_chunks (fixture, &three);
    char error[MERGE_ERROR_MAX] = "";
    assert_int_equal (merge_files ((const char *const *)three.paths, 3, 6,
                                   three.out, MERGE_PLAIN, error),
                      0);
    char *qdf = s_qdf (three.out);
    assert_int_equal (s_count (qdf, "% SHARED-LOGO"), 3);
    assert_int_equal (s_count (qdf, "/BaseFont /Helvetica"), 3);
    free (qdf);
    s_three_free (&three);
}

static void
test_cyclic_resources_are_merged (void **state)
{
    s_fixture_t *fixture = *state;
    char *paths[2];
    paths[0] = s_write_chunk_with (fixture->root, "c0.pdf", 1, 2, true);
    paths[1] = s_write_chunk_with (fixture->root, "c1.pdf", 3, 2, true);
    char *out = zsys_sprintf ("%s/merged.pdf", fixture->root);
    char error[MERGE_ERROR_MAX] = "";
    int rc = merge_files ((const char *const *)paths, 2, 4, out, MERGE_SHARED,
                          error);
    if (rc != 0)
        fail_msg ("merge failed: %s", error);
    s_assert_page_order (out, 4);
    char *check = s_run ("qpdf --check '%s'", out);
    assert_non_null (strstr (check, "No syntax or stream encoding errors"));
    free (check);
    zstr_free (&out);
    zstr_free (&paths[1]);
    zstr_free (&paths[0]);
}

static void
test_wrong_page_count_fails (void **state)
{
    s_fixture_t *fixture = *state;
    s_three_t three;
    s_three_chunks (fixture, &three);
    char error[MERGE_ERROR_MAX] = "";
    assert_int_equal (merge_files ((const char *const *)three.paths, 3, 7,
                                   three.out, MERGE_SHARED, error),
                      -1);
    assert_non_null (strstr (error, "has 6 pages, expected 7"));
    assert_false (access (three.out, F_OK) == 0);
    s_three_free (&three);
}

static void
test_unreadable_input_fails_with_qpdf_text (void **state)
{
    s_fixture_t *fixture = *state;
    char *paths[2];
    paths[0] = s_write_chunk (fixture->root, "good.pdf", 1, 1);
    paths[1] = zsys_sprintf ("%s/bad.pdf", fixture->root);
    FILE *file = fopen (paths[1], "w");
    fputs ("this is not a PDF at all\n", file);
    fclose (file);
    char *out = zsys_sprintf ("%s/merged.pdf", fixture->root);
    char error[MERGE_ERROR_MAX] = "";
    assert_int_equal (merge_files ((const char *const *)paths, 2, 2, out,
                                   MERGE_SHARED, error),
                      -1);
    assert_non_null (strstr (error, "input 2 of 2"));
    assert_non_null (strstr (error, "bad.pdf"));
    assert_false (access (out, F_OK) == 0);

    zstr_free (&paths[1]);
    paths[1] = zsys_sprintf ("%s/missing.pdf", fixture->root);
    assert_int_equal (merge_files ((const char *const *)paths, 2, 2, out,
                                   MERGE_SHARED, error),
                      -1);
    assert_non_null (strstr (error, "missing.pdf"));
    assert_int_equal (merge_files ((const char *const *)paths, 0, 0, out,
                                   MERGE_SHARED, error),
                      -1);
    zstr_free (&out);
    zstr_free (&paths[1]);
    zstr_free (&paths[0]);
}

static void
test_count_pages_in_memory (void **state)
{
    s_fixture_t *fixture = *state;
    char *path = s_write_chunk (fixture->root, "c.pdf", 10, 5);
    zchunk_t *pdf = zchunk_slurp (path, 0);
    uint32_t pages = 0;
    char error[MERGE_ERROR_MAX] = "";
    assert_int_equal (
        merge_count_pages (zchunk_data (pdf), zchunk_size (pdf), &pages, error),
        0);
    assert_int_equal (pages, 5);
    //  Shift every object by a few bytes: qpdf repairs it, with warnings.
    zchunk_t *shifted = zchunk_new ("%PDF-1.4\n          ", 19);
    zchunk_extend (shifted, zchunk_data (pdf) + 9, zchunk_size (pdf) - 9);
    assert_int_equal (merge_count_pages (zchunk_data (shifted),
                                         zchunk_size (shifted), &pages, error),
                      -1);
    assert_non_null (strstr (error, "damaged PDF"));
    zchunk_destroy (&shifted);
    const char *garbage = "%PDF-1.4\nnothing here\n";
    assert_int_equal (
        merge_count_pages (garbage, strlen (garbage), &pages, error), -1);
    assert_true (strlen (error) > 0);
    zchunk_destroy (&pdf);
    zstr_free (&path);
}

static void
test_many_inputs_are_merged_in_groups (void **state)
{
    s_fixture_t *fixture = *state;
    size_t count = MERGE_FANIN_MAX + 3;
    char **paths = calloc (count, sizeof (char *));
    for (size_t index = 0; index < count; index++) {
        char name[32];
        snprintf (name, sizeof (name), "c%zu.pdf", index);
        paths[index] =
            s_write_chunk (fixture->root, name, (unsigned)index + 1, 1);
    }
    char *out = zsys_sprintf ("%s/merged.pdf", fixture->root);
    char error[MERGE_ERROR_MAX] = "";
    int rc = merge_files ((const char *const *)paths, count, (uint32_t)count,
                          out, MERGE_SHARED, error);
    if (rc != 0)
        fail_msg ("merge failed: %s", error);
    assert_int_equal (s_npages (out), (int)count);
    s_assert_page_order (out, (unsigned)count);
    char *qdf = s_qdf (out);
    assert_int_equal (s_count (qdf, "% SHARED-LOGO"), 1);
    free (qdf);
    //  The group files are gone.
    char *group = zsys_sprintf ("%s.group-0", out);
    assert_false (access (group, F_OK) == 0);
    zstr_free (&group);
    for (size_t index = 0; index < count; index++)
        zstr_free (&paths[index]);
    free (paths);
    zstr_free (&out);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_merge_keeps_page_order, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_merge_single_chunk, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_resources_are_stored_once,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_plain_merge_keeps_every_copy,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cyclic_resources_are_merged,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_wrong_page_count_fails, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_unreadable_input_fails_with_qpdf_text, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_count_pages_in_memory, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_many_inputs_are_merged_in_groups,
                                         s_setup, s_teardown),
    };
    zsys_init ();
    return cmocka_run_group_tests (tests, NULL, NULL);
}
