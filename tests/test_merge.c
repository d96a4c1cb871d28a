/*  test_merge - sink/merge: page order and count, sharing of identical
    resources, document information and outlines (bookmarks), qpdf errors
    as text, counting pages in memory, and merging more inputs than
    MERGE_FANIN_MAX.

    Most inputs are small PDFs written here with a correct cross-reference
    table. Each page shows the text <PAGE-n> and draws two form XObjects:
    one identical in every chunk ("SHARED-LOGO", its /Length an indirect
    object as libharu writes it) and one that differs per chunk
    ("CHUNK-LOGO-<first page>"); a test may add objects of its own, such
    as a nested or broken outline. Chunks with document information and a
    bookmark per page are rendered by worker/render, as a worker makes
    them. Results are checked with the qpdf, pdftotext and pdfinfo
    programs.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <czmq.h>
#include <unistd.h>

#include "merge.h"
#include "render.h"
#include "template.h"
#include "testassert.h"
#include "testdir.h"
#include "testfile.h"

//  What worker/render draws for the rendered chunks: no elements, only
//  the document information and a bookmark per page.
#define S_BOOKMARK_TEMPLATE                                                    \
    "{\"metadata\": {\"title\": \"청구서 Invoices\", \"author\": \"ACME "   \
    "Ltd\", \"subject\": \"November\"}, \"bookmark\": \"Invoice "              \
    "{{number}}\", \"elements\": []}"

typedef struct {
    testdir_t *testdir;
    const char *root; // testdir_path (testdir)
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    fixture->testdir = testdir_new ("test_merge");
    fixture->root = testdir_path (fixture->testdir);
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

//  What a written chunk holds besides its pages.
typedef struct {
    bool cyclic;         // the shared form lists itself in its own resources
    const char *catalog; // more catalog entries, such as "/Outlines 13 0 R"
    const char *const *objects; // more objects, NULL-terminated, numbered
                                // from 7 + 2 * page_count on
} s_extras_t;

//  Write a PDF with pages first_page .. first_page + page_count - 1 to
//  dir/name. Page k (from 0) is object 7 + 2 k. With extras->cyclic, the
//  shared form lists itself in its own resources, a loop a hostile chunk
//  could contain. Returns the path (caller frees).
static char *
s_write_chunk_with (const char *dir, const char *name, unsigned first_page,
                    unsigned page_count, const s_extras_t *extras)
{
    const char *shared_data = "% SHARED-LOGO\n0 0 10 10 re f";
    char *chunk_data =
        zsys_sprintf ("%% CHUNK-LOGO-%u\n0 0 5 5 re f", first_page);
    int extra_objects = 0;
    while (extras->objects && extras->objects[extra_objects])
        extra_objects++;
    int objects = 7 + 2 * (int)page_count + extra_objects;
    long *offsets = calloc ((size_t)objects, sizeof (long));
    zchunk_t *pdf = zchunk_new (NULL, 4096);
    const char *header = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
    zchunk_extend (pdf, header, strlen (header));

    s_object (pdf, offsets, 1, "<< /Type /Catalog /Pages 2 0 R %s >>",
              extras->catalog ? extras->catalog : "");
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
              extras->cyclic ? "/Resources << /XObject << /Me 4 0 R >> >> "
                             : "",
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
    for (int index = 0; index < extra_objects; index++)
        s_object (pdf, offsets, 7 + 2 * (int)page_count + index, "%s",
                  extras->objects[index]);
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
    testfile_write (path, zchunk_data (pdf), zchunk_size (pdf));
    zchunk_destroy (&pdf);
    free (offsets);
    zstr_free (&chunk_data);
    return path;
}

static char *
s_write_chunk (const char *dir, const char *name, unsigned first_page,
               unsigned page_count)
{
    s_extras_t extras = {false, NULL, NULL};
    return s_write_chunk_with (dir, name, first_page, page_count, &extras);
}

//  Render pages first_page .. first_page + page_count - 1 of a job of
//  total_pages with S_BOOKMARK_TEMPLATE, as a worker would, to dir/name.
//  Page n's bookmark is "Invoice n". Returns the path (caller frees).
static char *
s_render_chunk (const char *dir, const char *name, unsigned first_page,
                unsigned page_count, unsigned total_pages)
{
    fielderr_t err = {"", ""};
    template_t *tpl = template_parse_text (S_BOOKMARK_TEMPLATE,
                                           strlen (S_BOOKMARK_TEMPLATE), &err);
    assert_non_null (tpl);
    cJSON *records = cJSON_CreateArray ();
    for (unsigned index = 0; index < page_count; index++) {
        cJSON *record = cJSON_CreateObject ();
        cJSON_AddNumberToObject (record, "number", first_page + index);
        cJSON_AddItemToArray (records, record);
    }
    render_t *render = render_new ();
    assert_non_null (render);
    render_range_t range = {.first_page = first_page,
                            .total_pages = total_pages,
                            .first_record = first_page - 1};
    zframe_t *pdf = NULL;
    if (render_chunk (render, tpl, records, &range, &pdf, &err) != 0)
        fail_msg ("render failed: %s: %s", err.field, err.message);
    char *path = zsys_sprintf ("%s/%s", dir, name);
    testfile_write (path, zframe_data (pdf), zframe_size (pdf));
    zframe_destroy (&pdf);
    render_destroy (&render);
    cJSON_Delete (records);
    template_destroy (&tpl);
    return path;
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

//  A value of the document's information, as pdfinfo shows it (caller
//  frees).
static char *
s_info (const char *path, const char *field)
{
    return s_run ("pdfinfo '%s' | sed -n 's/^%s: *//p'", path, field);
}

//  The document as qpdf's JSON, with the given top-level key only (caller
//  deletes).
static cJSON *
s_json (const char *path, const char *key)
{
    char *text = s_run ("qpdf --json --json-key=%s '%s'", key, path);
    cJSON *json = cJSON_Parse (text);
    if (!json)
        fail_msg ("qpdf --json output is not JSON: %s", text);
    free (text);
    return json;
}

//  The outline item's destination without its page, as compact JSON, such
//  as ["/XYZ",0,200,null] (caller frees).
static char *
s_view (const cJSON *item)
{
    cJSON *dest = cJSON_Duplicate (cJSON_GetObjectItem (item, "dest"), true);
    assert_non_null (dest);
    cJSON_DeleteItemFromArray (dest, 0);
    char *view = cJSON_PrintUnformatted (dest);
    cJSON_Delete (dest);
    return view;
}

//  The outline item has this title and points at this page (from 1).
static void
s_assert_item (const cJSON *item, const char *title, int page)
{
    assert_non_null (item);
    const cJSON *item_title = cJSON_GetObjectItem (item, "title");
    const cJSON *item_page = cJSON_GetObjectItem (item, "destpageposfrom1");
    assert_true (cJSON_IsString (item_title));
    assert_string_equal (item_title->valuestring, title);
    assert_true (cJSON_IsNumber (item_page));
    assert_int_eq (item_page->valueint, page);
}

//  The document's outline is "Invoice 1" .. "Invoice <pages>", flat, each
//  on its own page, and viewers are asked to show it.
static void
s_assert_invoice_outline (const char *path, int pages)
{
    cJSON *json = s_json (path, "outlines");
    const cJSON *outlines = cJSON_GetObjectItem (json, "outlines");
    assert_int_eq (cJSON_GetArraySize (outlines), pages);
    int page = 1;
    const cJSON *item;
    cJSON_ArrayForEach (item, outlines)
    {
        char title[32];
        snprintf (title, sizeof (title), "Invoice %d", page);
        s_assert_item (item, title, page);
        assert_int_eq (cJSON_GetArraySize (cJSON_GetObjectItem (item, "kids")),
                       0);
        page++;
    }
    cJSON_Delete (json);
    char *qdf = s_qdf (path);
    assert_int_eq (s_count (qdf, "/PageMode /UseOutlines"), 1);
    free (qdf);
}

//  The information of S_BOOKMARK_TEMPLATE and the renderer's producer.
static void
s_assert_invoice_info (const char *path)
{
    char *title = s_info (path, "Title");
    char *author = s_info (path, "Author");
    char *subject = s_info (path, "Subject");
    char *producer = s_info (path, "Producer");
    assert_string_equal (title, "청구서 Invoices\n");
    assert_string_equal (author, "ACME Ltd\n");
    assert_string_equal (subject, "November\n");
    assert_string_equal (producer, "pdfpipe\n");
    free (producer);
    free (subject);
    free (author);
    free (title);
}

//  The /Count of the document's /Outlines dictionary.
static int
s_outline_count (const char *path)
{
    cJSON *json = s_json (path, "qpdf");
    const cJSON *objects =
        cJSON_GetArrayItem (cJSON_GetObjectItem (json, "qpdf"), 1);
    const cJSON *trailer =
        cJSON_GetObjectItem (cJSON_GetObjectItem (objects, "trailer"), "value");
    const cJSON *catalog_ref = cJSON_GetObjectItem (trailer, "/Root");
    assert_true (cJSON_IsString (catalog_ref));
    char key[64];
    snprintf (key, sizeof (key), "obj:%s", catalog_ref->valuestring);
    const cJSON *catalog =
        cJSON_GetObjectItem (cJSON_GetObjectItem (objects, key), "value");
    const cJSON *root_ref = cJSON_GetObjectItem (catalog, "/Outlines");
    assert_true (cJSON_IsString (root_ref));
    snprintf (key, sizeof (key), "obj:%s", root_ref->valuestring);
    const cJSON *root =
        cJSON_GetObjectItem (cJSON_GetObjectItem (objects, key), "value");
    const cJSON *count = cJSON_GetObjectItem (root, "/Count");
    assert_true (cJSON_IsNumber (count));
    int value = count->valueint;
    cJSON_Delete (json);
    return value;
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
    three->out = testdir_join (fixture->testdir, "merged.pdf");
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
    assert_int_eq (s_npages (three.out), 6);
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
    char *out = testdir_join (fixture->testdir, "merged.pdf");
    char error[MERGE_ERROR_MAX] = "";
    assert_int_equal (merge_files ((const char *const *)&path, 1, 4, out,
                                   MERGE_SHARED, error),
                      0);
    assert_int_eq (s_npages (out), 4);
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
    assert_int_eq (s_count (qdf, "% SHARED-LOGO"), 1);
    assert_int_eq (s_count (qdf, "/BaseFont /Helvetica"), 1);
    //  Same dictionary, different data: never shared.
    assert_int_eq (s_count (qdf, "% CHUNK-LOGO-1\n"), 1);
    assert_int_eq (s_count (qdf, "% CHUNK-LOGO-3\n"), 1);
    assert_int_eq (s_count (qdf, "% CHUNK-LOGO-6\n"), 1);
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
    assert_int_eq (s_count (qdf, "% SHARED-LOGO"), 3);
    assert_int_eq (s_count (qdf, "/BaseFont /Helvetica"), 3);
    free (qdf);
    s_three_free (&three);
}

static void
test_cyclic_resources_are_merged (void **state)
{
    s_fixture_t *fixture = *state;
    char *paths[2];
    s_extras_t extras = {true, NULL, NULL};
    paths[0] = s_write_chunk_with (fixture->root, "c0.pdf", 1, 2, &extras);
    paths[1] = s_write_chunk_with (fixture->root, "c1.pdf", 3, 2, &extras);
    char *out = testdir_join (fixture->testdir, "merged.pdf");
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
    paths[1] = testdir_join (fixture->testdir, "bad.pdf");
    const char *not_pdf = "this is not a PDF at all\n";
    testfile_write (paths[1], not_pdf, strlen (not_pdf));
    char *out = testdir_join (fixture->testdir, "merged.pdf");
    char error[MERGE_ERROR_MAX] = "";
    assert_int_equal (merge_files ((const char *const *)paths, 2, 2, out,
                                   MERGE_SHARED, error),
                      -1);
    assert_non_null (strstr (error, "input 2 of 2"));
    assert_non_null (strstr (error, "bad.pdf"));
    assert_false (access (out, F_OK) == 0);

    zstr_free (&paths[1]);
    paths[1] = testdir_join (fixture->testdir, "missing.pdf");
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
    assert_int_eq (pages, 5);
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
    char *out = testdir_join (fixture->testdir, "merged.pdf");
    char error[MERGE_ERROR_MAX] = "";
    int rc = merge_files ((const char *const *)paths, count, (uint32_t)count,
                          out, MERGE_SHARED, error);
    if (rc != 0)
        fail_msg ("merge failed: %s", error);
    assert_int_eq (s_npages (out), (int)count);
    s_assert_page_order (out, (unsigned)count);
    char *qdf = s_qdf (out);
    assert_int_eq (s_count (qdf, "% SHARED-LOGO"), 1);
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

static void
test_merge_keeps_info_and_bookmarks (void **state)
{
    s_fixture_t *fixture = *state;
    char *paths[3];
    paths[0] = s_render_chunk (fixture->root, "c0.pdf", 1, 2, 6);
    paths[1] = s_render_chunk (fixture->root, "c1.pdf", 3, 3, 6);
    paths[2] = s_render_chunk (fixture->root, "c2.pdf", 6, 1, 6);
    char *out = testdir_join (fixture->testdir, "merged.pdf");
    merge_mode_t modes[] = {MERGE_SHARED, MERGE_PLAIN};
    for (size_t index = 0; index < 2; index++) {
        char error[MERGE_ERROR_MAX] = "";
        int rc = merge_files ((const char *const *)paths, 3, 6, out,
                              modes[index], error);
        if (rc != 0)
            fail_msg ("merge failed: %s", error);
        s_assert_invoice_info (out);
        s_assert_invoice_outline (out, 6);
        assert_int_eq (s_outline_count (out), 6);
        char *check = s_run ("qpdf --check '%s'", out);
        assert_non_null (strstr (check, "No syntax or stream encoding errors"));
        free (check);
    }
    zstr_free (&out);
    for (size_t index = 0; index < 3; index++)
        zstr_free (&paths[index]);
}

static void
test_merge_without_bookmarks_adds_no_outline (void **state)
{
    s_fixture_t *fixture = *state;
    s_three_t three;
    s_three_chunks (fixture, &three);
    char error[MERGE_ERROR_MAX] = "";
    assert_int_equal (merge_files ((const char *const *)three.paths, 3, 6,
                                   three.out, MERGE_SHARED, error),
                      0);
    char *qdf = s_qdf (three.out);
    assert_int_eq (s_count (qdf, "/Outlines"), 0);
    assert_int_eq (s_count (qdf, "/PageMode"), 0);
    assert_int_eq (s_count (qdf, "/Info"), 0);
    free (qdf);
    s_three_free (&three);
}

static void
test_grouped_merge_keeps_info_and_bookmarks (void **state)
{
    s_fixture_t *fixture = *state;
    size_t count = MERGE_FANIN_MAX + 3;
    unsigned pages = (unsigned)count + 1;
    char **paths = calloc (count, sizeof (char *));
    unsigned first_page = 1;
    for (size_t index = 0; index < count; index++) {
        char name[32];
        snprintf (name, sizeof (name), "c%zu.pdf", index);
        //  One chunk of two pages, so global page numbers are not the
        //  chunk numbers.
        unsigned chunk_pages = index == 1 ? 2 : 1;
        paths[index] = s_render_chunk (fixture->root, name, first_page,
                                       chunk_pages, pages);
        first_page += chunk_pages;
    }
    char *out = testdir_join (fixture->testdir, "merged.pdf");
    char error[MERGE_ERROR_MAX] = "";
    int rc = merge_files ((const char *const *)paths, count, pages, out,
                          MERGE_SHARED, error);
    if (rc != 0)
        fail_msg ("merge failed: %s", error);
    assert_int_eq (s_npages (out), (int)pages);
    s_assert_invoice_info (out);
    s_assert_invoice_outline (out, (int)pages);
    assert_int_eq (s_outline_count (out), (int)pages);
    for (size_t index = 0; index < count; index++)
        zstr_free (&paths[index]);
    free (paths);
    zstr_free (&out);
}

//  Objects 13 to 17 of a three-page chunk (pages 7, 9 and 11 0 R): items
//  P and Q, and two children of P, whose titles start with the letters
//  given. P is closed when p_closed. The destinations use /Dest or a
//  /GoTo action and several views.
static void
s_nested_outline (char objects[5][256], char p, char q, bool p_closed)
{
    snprintf (objects[0], 256,
              "<< /Type /Outlines /First 14 0 R /Last 17 0 R /Count %d >>",
              p_closed ? 2 : 4);
    snprintf (objects[1], 256,
              "<< /Title (Part %c) /Parent 13 0 R /Next 17 0 R /First 15 0 R "
              "/Last 16 0 R /Count %d /Dest [7 0 R /XYZ 0 200 null] >>",
              p, p_closed ? -2 : 2);
    snprintf (objects[2], 256,
              "<< /Title (%c.1) /Parent 14 0 R /Next 16 0 R "
              "/A << /S /GoTo /D [9 0 R /FitH 150] >> >>",
              p);
    snprintf (objects[3], 256,
              "<< /Title (%c.2) /Parent 14 0 R /Prev 15 0 R "
              "/Dest [11 0 R /Fit] >>",
              p);
    snprintf (objects[4], 256,
              "<< /Title (Part %c) /Parent 13 0 R /Prev 14 0 R "
              "/Dest [11 0 R /FitR 0 0 100 100.5] >>",
              q);
}

static void
test_nested_outline_keeps_its_shape (void **state)
{
    s_fixture_t *fixture = *state;
    char objects[2][5][256];
    s_nested_outline (objects[0], 'A', 'B', true);
    s_nested_outline (objects[1], 'C', 'D', false);
    char *paths[2];
    for (int index = 0; index < 2; index++) {
        const char *list[] = {objects[index][0], objects[index][1],
                              objects[index][2], objects[index][3],
                              objects[index][4], NULL};
        s_extras_t extras = {false, "/Outlines 13 0 R", list};
        char name[16];
        snprintf (name, sizeof (name), "c%d.pdf", index);
        paths[index] = s_write_chunk_with (fixture->root, name,
                                           1 + 3 * (unsigned)index, 3, &extras);
    }
    char *out = testdir_join (fixture->testdir, "merged.pdf");
    char error[MERGE_ERROR_MAX] = "";
    int rc = merge_files ((const char *const *)paths, 2, 6, out, MERGE_SHARED,
                          error);
    if (rc != 0)
        fail_msg ("merge failed: %s", error);

    cJSON *json = s_json (out, "outlines");
    const cJSON *outlines = cJSON_GetObjectItem (json, "outlines");
    assert_int_eq (cJSON_GetArraySize (outlines), 4);
    const char *parts[] = {"Part A", "Part B", "Part C", "Part D"};
    const char *children[] = {"A.1", "A.2", NULL, NULL,
                              "C.1", "C.2", NULL, NULL};
    int part_pages[] = {1, 3, 4, 6};
    for (int index = 0; index < 4; index++) {
        const cJSON *item = cJSON_GetArrayItem (outlines, index);
        s_assert_item (item, parts[index], part_pages[index]);
        char *view = s_view (item);
        assert_string_equal (view, index % 2 == 0
                                       ? "[\"/XYZ\",0,200,null]"
                                       : "[\"/FitR\",0,0,100,100.5]");
        free (view);
        assert_int_equal (cJSON_IsTrue (cJSON_GetObjectItem (item, "open")),
                          index != 0);
        const cJSON *kids = cJSON_GetObjectItem (item, "kids");
        if (!children[2 * index]) {
            assert_int_eq (cJSON_GetArraySize (kids), 0);
            continue;
        }
        assert_int_eq (cJSON_GetArraySize (kids), 2);
        const cJSON *kid = cJSON_GetArrayItem (kids, 0);
        s_assert_item (kid, children[2 * index], part_pages[index] + 1);
        view = s_view (kid);
        assert_string_equal (view, "[\"/FitH\",150]");
        free (view);
        kid = cJSON_GetArrayItem (kids, 1);
        s_assert_item (kid, children[2 * index + 1], part_pages[index] + 2);
    }
    cJSON_Delete (json);
    //  Part A is closed: A, B, C with its two children, D.
    assert_int_eq (s_outline_count (out), 6);
    char *qdf = s_qdf (out);
    assert_int_eq (s_count (qdf, "/Count -2"), 1);
    free (qdf);
    char *check = s_run ("qpdf --check '%s'", out);
    assert_non_null (strstr (check, "No syntax or stream encoding errors"));
    free (check);
    zstr_free (&out);
    zstr_free (&paths[1]);
    zstr_free (&paths[0]);
}

#define S_DEEP_ITEMS 40 // more levels than the merge follows

static void
test_bad_outline_items_are_left_out (void **state)
{
    s_fixture_t *fixture = *state;
    char *paths[5];
    paths[0] = s_write_chunk (fixture->root, "c0.pdf", 1, 2);

    //  Pages 3-5 (objects 7, 9, 11): every way an item can be wrong, then
    //  a /Next back to the first item.
    const char *broken[] = {
        "<< /Type /Outlines /First 14 0 R >>",
        "<< /Title (Good 1) /Dest [7 0 R /Fit] /Next 15 0 R >>",
        "<< /Title (Missing page) /Dest [99 0 R /Fit] /Next 16 0 R >>",
        "<< /Title (Not a page) /Dest [3 0 R /Fit] /Next 17 0 R >>",
        "<< /Title 42 /Dest [7 0 R /Fit] /Next 18 0 R >>",
        "<< /Title (Named) /Dest (chapter1) /Next 19 0 R >>",
        "<< /Title (Bad view) /Dest [9 0 R /Zoom 3 (x)] /First 5 0 R "
        "/Next 20 0 R >>",
        "<< /Title (Own child) /Dest [11 0 R /Fit] /First 20 0 R "
        "/Next 21 0 R >>",
        "<< /Title (No destination) /First 22 0 R /Next 23 0 R >>",
        "<< /Title (Hoisted) /Dest [9 0 R /Fit] >>",
        "<< /Title (Empty destination) /Dest [] /Next 24 0 R >>",
        "<< /Title (Good 2) /Dest [11 0 R /Fit] /Next 14 0 R >>",
        NULL};
    s_extras_t extras = {false, "/Outlines 13 0 R", broken};
    paths[1] = s_write_chunk_with (fixture->root, "c1.pdf", 3, 3, &extras);

    //  Page 6 (object 7): items nested S_DEEP_ITEMS deep, from object 9.
    char *deep[S_DEEP_ITEMS + 2] = {NULL};
    deep[0] = zsys_sprintf ("<< /Type /Outlines /First 10 0 R >>");
    for (int level = 1; level <= S_DEEP_ITEMS; level++)
        deep[level] = zsys_sprintf ("<< /Title (Level %d) /Dest [7 0 R /Fit] "
                                    "/First %d 0 R >>",
                                    level, 10 + level);
    extras.objects = (const char *const *)deep;
    extras.catalog = "/Outlines 9 0 R";
    paths[2] = s_write_chunk_with (fixture->root, "c2.pdf", 6, 1, &extras);

    //  Page 7: /Outlines is a number. Page 8: its /First is a number.
    extras.objects = NULL;
    extras.catalog = "/Outlines 5 0 R";
    paths[3] = s_write_chunk_with (fixture->root, "c3.pdf", 7, 1, &extras);
    extras.catalog = "/Outlines << /First 5 0 R >>";
    paths[4] = s_write_chunk_with (fixture->root, "c4.pdf", 8, 1, &extras);

    char *out = testdir_join (fixture->testdir, "merged.pdf");
    char error[MERGE_ERROR_MAX] = "";
    int rc = merge_files ((const char *const *)paths, 5, 8, out, MERGE_SHARED,
                          error);
    if (rc != 0)
        fail_msg ("merge failed: %s", error);
    s_assert_page_order (out, 8);

    cJSON *json = s_json (out, "outlines");
    const cJSON *outlines = cJSON_GetObjectItem (json, "outlines");
    const char *titles[] = {"Good 1",  "Bad view", "Own child",
                            "Hoisted", "Good 2",   "Level 1"};
    int pages[] = {3, 4, 5, 4, 5, 6};
    assert_int_eq (cJSON_GetArraySize (outlines), 6);
    for (int index = 0; index < 6; index++)
        s_assert_item (cJSON_GetArrayItem (outlines, index), titles[index],
                       pages[index]);
    char *view = s_view (cJSON_GetArrayItem (outlines, 1));
    assert_string_equal (view, "[\"/Fit\"]");
    free (view);
    assert_int_eq (cJSON_GetArraySize (cJSON_GetObjectItem (
                       cJSON_GetArrayItem (outlines, 2), "kids")),
                   0);
    //  The deep chain is kept down to a bound, not to its end.
    const cJSON *item = cJSON_GetArrayItem (outlines, 5);
    int depth = 0;
    while (item) {
        depth++;
        char title[32];
        snprintf (title, sizeof (title), "Level %d", depth);
        s_assert_item (item, title, 6);
        item = cJSON_GetArrayItem (cJSON_GetObjectItem (item, "kids"), 0);
    }
    assert_in_range (depth, 8, S_DEEP_ITEMS - 1);
    cJSON_Delete (json);
    char *check = s_run ("qpdf --check '%s'", out);
    assert_non_null (strstr (check, "No syntax or stream encoding errors"));
    free (check);

    for (int level = 0; level <= S_DEEP_ITEMS; level++)
        zstr_free (&deep[level]);
    zstr_free (&out);
    for (int index = 0; index < 5; index++)
        zstr_free (&paths[index]);
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
        cmocka_unit_test_setup_teardown (test_merge_keeps_info_and_bookmarks,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_merge_without_bookmarks_adds_no_outline, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_grouped_merge_keeps_info_and_bookmarks, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_nested_outline_keeps_its_shape,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_outline_items_are_left_out,
                                         s_setup, s_teardown),
    };
    zsys_init ();
    return cmocka_run_group_tests (tests, NULL, NULL);
}
