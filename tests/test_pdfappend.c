/*  test_pdfappend - sink/pdfappend: pages in order across chunks, page
    count, one copy of shared resources, document information and
    bookmarks with global page numbers (the same as sink/merge makes),
    reference cycles and links between pages, failures that change
    nothing, the append-only output, taking a document up again from its
    journal after a crash (a torn tail ignored, a damaged or mismatched
    journal refused), and memory that stays flat as the
    document grows.

    Most chunks are rendered by worker/render, as a worker makes them:
    page n shows <PAGE-n> in Helvetica and a fixed line in an embedded
    TrueType subset (the same glyphs in every chunk, so every chunk
    carries the same font file), with document information and a
    bookmark "Invoice n" per page. Chunks with structures libharu does not
    write (nested, closed and broken bookmarks, a form that lists itself
    in its resources, links) are written as PDF text and given a
    cross-reference table by the qpdf program. Results are checked with
    the qpdf, pdftotext and pdfinfo programs.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <czmq.h>
#include <sys/wait.h>
#include <unistd.h>

#include "merge.h"
#include "pdfappend.h"
#include "render.h"
#include "template.h"

#define S_TEMPLATE                                                             \
    "{\"metadata\": {\"title\": \"청구서 Invoices\", \"author\": \"ACME "   \
    "Ltd\", \"subject\": \"November\"},"                                       \
    " \"fonts\": {\"korean\": {\"family\": \"NanumGothic\"}},"                 \
    " \"bookmark\": \"Invoice {{number}}\", \"elements\": ["                   \
    "{\"type\": \"text\", \"text\": \"<PAGE-{{number}}>\", \"x\": 50, "        \
    "\"y\": 780, \"font\": \"Helvetica\", \"size\": 12},"                      \
    "{\"type\": \"text\", \"text\": \"청구서 0123456789\", \"x\": 50, "     \
    "\"y\": 700, \"font\": \"korean\", \"size\": 12}]}"

//  Memory test: chunks of this many pages, appended from the small run's
//  count of chunks and ten times that.
#define S_FLAT_CHUNK_PAGES 100
#define S_FLAT_CHUNKS 20
#define S_FLAT_ROUNDS 10

typedef struct {
    char root[64]; // mkdtemp directory
    char out[96];  // root/out.pdf
    render_t *render;
    template_t *tpl;
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    strcpy (fixture->root, "/tmp/test_pdfappend.XXXXXX");
    assert_non_null (mkdtemp (fixture->root));
    snprintf (fixture->out, sizeof (fixture->out), "%s/out.pdf", fixture->root);
    fixture->render = render_new ();
    fielderr_t err = {"", ""};
    fixture->tpl = template_parse_text (S_TEMPLATE, strlen (S_TEMPLATE), &err);
    if (!fixture->tpl)
        fail_msg ("template: %s: %s", err.field, err.message);
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
    template_destroy (&fixture->tpl);
    render_destroy (&fixture->render);
    free (fixture);
    return 0;
}

//  Run a shell command with its output to a file; returns that output
//  (caller frees) and the exit status in *status_p, or fails the test
//  when status_p is NULL and the status is not 0.
static char *
s_shell (int *status_p, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *command = zsys_vprintf (format, args);
    va_end (args);
    char output_path[] = "/tmp/test_pdfappend_output.XXXXXX";
    int fd = mkstemp (output_path);
    assert_true (fd != -1);
    close (fd);
    char *redirected = zsys_sprintf ("(%s) > '%s'", command, output_path);
    int status = system (redirected);
    status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
    zchunk_t *output = zchunk_slurp (output_path, 0);
    unlink (output_path);
    assert_non_null (output);
    char *text = calloc (1, zchunk_size (output) + 1);
    memcpy (text, zchunk_data (output), zchunk_size (output));
    zchunk_destroy (&output);
    if (!status_p && status != 0)
        fail_msg ("'%s' exited with %d: %s", command, status, text);
    if (status_p)
        *status_p = status;
    zstr_free (&redirected);
    zstr_free (&command);
    return text;
}

//  Render chunk pages first_page .. first_page + pages - 1 of a document
//  of total pages to dir/c<first_page>.pdf; returns the path (caller
//  frees).
static char *
s_render_chunk (s_fixture_t *fixture, unsigned first_page, unsigned pages,
                unsigned total)
{
    cJSON *records = cJSON_CreateArray ();
    for (unsigned index = 0; index < pages; index++) {
        cJSON *record = cJSON_CreateObject ();
        cJSON_AddNumberToObject (record, "number", first_page + index);
        cJSON_AddItemToArray (records, record);
    }
    render_range_t range = {first_page, total, first_page - 1};
    zframe_t *pdf = NULL;
    fielderr_t err = {"", ""};
    if (render_chunk (fixture->render, fixture->tpl, records, &range, &pdf,
                      &err) != 0)
        fail_msg ("render: %s: %s", err.field, err.message);
    char *path = zsys_sprintf ("%s/c%u.pdf", fixture->root, first_page);
    zfile_t *file = zfile_new (NULL, path);
    assert_int_equal (zfile_output (file), 0);
    zchunk_t *data = zchunk_new (zframe_data (pdf), zframe_size (pdf));
    assert_int_equal (zfile_write (file, data, 0), 0);
    zfile_close (file);
    zfile_destroy (&file);
    zchunk_destroy (&data);
    zframe_destroy (&pdf);
    cJSON_Delete (records);
    return path;
}

//  Chunks of the given page counts, numbered on from page 1; paths[] gets
//  count paths (caller frees each). Returns the total pages.
static unsigned
s_render_chunks (s_fixture_t *fixture, const unsigned *sizes, size_t count,
                 char **paths)
{
    unsigned total = 0;
    for (size_t index = 0; index < count; index++)
        total += sizes[index];
    unsigned first_page = 1;
    for (size_t index = 0; index < count; index++) {
        paths[index] =
            s_render_chunk (fixture, first_page, sizes[index], total);
        first_page += sizes[index];
    }
    return total;
}

static void
s_free_paths (char **paths, size_t count)
{
    for (size_t index = 0; index < count; index++)
        zstr_free (&paths[index]);
}

//  Append count chunks to out and finish with expected pages.
static void
s_append_all (char **paths, size_t count, const char *out, uint32_t expected)
{
    char error[PDFAPPEND_ERROR_MAX] = "";
    pdfappend_t *appender = pdfappend_new (out, error);
    if (!appender)
        fail_msg ("pdfappend_new: %s", error);
    for (size_t index = 0; index < count; index++)
        if (pdfappend_add (appender, paths[index], 0, error) != 0)
            fail_msg ("pdfappend_add: %s", error);
    if (pdfappend_finish (appender, expected, error) != 0)
        fail_msg ("pdfappend_finish: %s", error);
    pdfappend_destroy (&appender);
}

static void
s_assert_check_clean (const char *path)
{
    char *check = s_shell (NULL, "qpdf --check '%s'", path);
    if (!strstr (check, "No syntax or stream encoding errors"))
        fail_msg ("qpdf --check %s: %s", path, check);
    free (check);
}

static int
s_pages (const char *path)
{
    char *pages =
        s_shell (NULL, "pdfinfo '%s' | sed -n 's/^Pages: *//p'", path);
    int count = atoi (pages);
    free (pages);
    return count;
}

//  Page k of the document shows <PAGE-k>, for every page.
static void
s_assert_page_texts (const char *path, unsigned pages)
{
    for (unsigned page = 1; page <= pages; page++) {
        char *text =
            s_shell (NULL, "pdftotext -f %u -l %u '%s' -", page, page, path);
        char marker[32];
        snprintf (marker, sizeof (marker), "<PAGE-%u>", page);
        if (!strstr (text, marker))
            fail_msg ("page %u of %s shows no %s: %s", page, path, marker,
                      text);
        free (text);
    }
}

//  How many objects of the document have /FontFile2 (a TrueType font
//  file).
static int
s_font_files (const char *path)
{
    char *count = s_shell (NULL,
                           "qpdf --qdf --object-streams=disable '%s' - | "
                           "grep -ac '/FontFile2 '",
                           path);
    int font_files = atoi (count);
    free (count);
    return font_files;
}

//  The outline items as text: title, page, view, closed, children, with
//  no object numbers, so two documents' outlines compare as strings.
static void
s_outline_items_text (const cJSON *items, zchunk_t *text)
{
    const cJSON *item;
    cJSON_ArrayForEach (item, items)
    {
        cJSON *view = cJSON_Duplicate (cJSON_GetObjectItem (item, "dest"), 1);
        if (cJSON_GetArraySize (view) > 0)
            cJSON_DeleteItemFromArray (view, 0);
        char *view_text = cJSON_PrintUnformatted (view);
        const cJSON *title = cJSON_GetObjectItem (item, "title");
        const cJSON *page = cJSON_GetObjectItem (item, "destpageposfrom1");
        char *line = zsys_sprintf (
            "%s @%d %s%s {", cJSON_IsString (title) ? title->valuestring : "?",
            cJSON_IsNumber (page) ? page->valueint : -1, view_text,
            cJSON_IsTrue (cJSON_GetObjectItem (item, "open")) ? "" : " closed");
        zchunk_extend (text, line, strlen (line));
        s_outline_items_text (cJSON_GetObjectItem (item, "kids"), text);
        zchunk_extend (text, "} ", 2);
        zstr_free (&line);
        free (view_text);
        cJSON_Delete (view);
    }
}

static char *
s_outline_text (const char *path)
{
    char *json_text =
        s_shell (NULL, "qpdf --json --json-key=outlines '%s'", path);
    cJSON *json = cJSON_Parse (json_text);
    assert_non_null (json);
    zchunk_t *text = zchunk_new (NULL, 256);
    s_outline_items_text (cJSON_GetObjectItem (json, "outlines"), text);
    zchunk_extend (text, "", 1);
    char *result = strdup ((char *)zchunk_data (text));
    zchunk_destroy (&text);
    cJSON_Delete (json);
    free (json_text);
    return result;
}

//  The same chunks merged by sink/merge, for comparison.
static void
s_merge_all (char **paths, size_t count, const char *out, uint32_t expected)
{
    char error[MERGE_ERROR_MAX] = "";
    if (merge_files ((const char *const *)paths, count, expected, out,
                     MERGE_SHARED, error) != 0)
        fail_msg ("merge_files: %s", error);
}

static void
test_pages_come_in_order_across_chunks (void **state)
{
    s_fixture_t *fixture = *state;
    const unsigned sizes[] = {2, 3, 1};
    char *paths[3];
    unsigned total = s_render_chunks (fixture, sizes, 3, paths);
    s_append_all (paths, 3, fixture->out, total);
    assert_int_equal (s_pages (fixture->out), 6);
    s_assert_page_texts (fixture->out, 6);
    s_assert_check_clean (fixture->out);
    char *part = zsys_sprintf ("%s.part", fixture->out);
    assert_false (access (part, F_OK) == 0);
    zstr_free (&part);
    s_free_paths (paths, 3);
}

static void
test_page_tree_holds_many_pages (void **state)
{
    s_fixture_t *fixture = *state;
    //  More pages than one level of the page tree holds (32 x 32), in
    //  chunks that do not line up with its nodes.
    const unsigned sizes[] = {333, 400, 367, 7};
    char *paths[4];
    unsigned total = s_render_chunks (fixture, sizes, 4, paths);
    s_append_all (paths, 4, fixture->out, total);
    assert_int_equal (s_pages (fixture->out), (int)total);
    s_assert_check_clean (fixture->out);
    char *text = s_shell (NULL, "pdftotext '%s' -", fixture->out);
    const char *cursor = text;
    for (unsigned page = 1; page <= total; page++) {
        char marker[32];
        snprintf (marker, sizeof (marker), "<PAGE-%u>", page);
        const char *hit = strstr (cursor, marker);
        if (!hit)
            fail_msg ("%s not found after page %u", marker, page - 1);
        cursor = hit + strlen (marker);
    }
    free (text);
    s_free_paths (paths, 4);
}

static void
test_same_text_and_bookmarks_as_merge (void **state)
{
    s_fixture_t *fixture = *state;
    const unsigned sizes[] = {2, 3, 1};
    char *paths[3];
    unsigned total = s_render_chunks (fixture, sizes, 3, paths);
    s_append_all (paths, 3, fixture->out, total);
    char *merged = zsys_sprintf ("%s/merged.pdf", fixture->root);
    s_merge_all (paths, 3, merged, total);

    char *text = s_shell (NULL, "pdftotext '%s' -", fixture->out);
    char *merged_text = s_shell (NULL, "pdftotext '%s' -", merged);
    assert_string_equal (text, merged_text);
    char *outline = s_outline_text (fixture->out);
    char *merged_outline = s_outline_text (merged);
    assert_string_equal (outline, merged_outline);
    assert_non_null (strstr (outline, "Invoice 1 @1 "));
    assert_non_null (strstr (outline, "Invoice 6 @6 "));
    const char *fields[] = {"Title", "Author", "Subject", "Producer"};
    for (size_t index = 0; index < 4; index++) {
        char *value = s_shell (NULL, "pdfinfo '%s' | grep '^%s:'", fixture->out,
                               fields[index]);
        char *merged_value =
            s_shell (NULL, "pdfinfo '%s' | grep '^%s:'", merged, fields[index]);
        assert_string_equal (value, merged_value);
        free (merged_value);
        free (value);
    }
    char *title = s_shell (NULL, "pdfinfo '%s' | grep '^Title:'", fixture->out);
    assert_non_null (strstr (title, "청구서 Invoices"));
    char *catalog =
        s_shell (NULL, "qpdf --qdf '%s' - | grep -c UseOutlines", fixture->out);
    assert_int_equal (atoi (catalog), 1);
    free (catalog);
    free (title);
    free (merged_outline);
    free (outline);
    free (merged_text);
    free (text);
    zstr_free (&merged);
    s_free_paths (paths, 3);
}

static void
test_shared_font_is_written_once (void **state)
{
    s_fixture_t *fixture = *state;
    const unsigned sizes[] = {3, 3, 3, 3};
    char *paths[4];
    unsigned total = s_render_chunks (fixture, sizes, 4, paths);
    //  Every chunk carries its own copy of the same font file.
    assert_int_equal (s_font_files (paths[0]), 1);
    s_append_all (paths, 4, fixture->out, total);
    assert_int_equal (s_font_files (fixture->out), 1);
    //  So the document is about one chunk plus three chunks' pages.
    zfile_t *chunk = zfile_new (NULL, paths[0]);
    zfile_t *out = zfile_new (NULL, fixture->out);
    assert_true (zfile_cursize (out) < 2 * zfile_cursize (chunk));
    zfile_destroy (&out);
    zfile_destroy (&chunk);
    s_assert_page_texts (fixture->out, total);
    s_free_paths (paths, 4);
}

//  A chunk of three pages (objects 3, 4 and 5) written as PDF text, made
//  whole by qpdf. Page text is <PAGE-n> from first_page on. The pages
//  inherit their resources and box from the page tree; the form /Me lists
//  itself in its resources; page 1 has a link to page 3 (whose object
//  comes later) and page 2 an annotation that refers to a missing object.
//  The outline nests, is closed in part, uses /GoTo and several views,
//  and has an item without a usable destination, whose child takes its
//  place, and a loop back to its first item.
static char *
s_text_chunk (s_fixture_t *fixture, unsigned first_page, char letter)
{
    zchunk_t *pdf = zchunk_new ("%PDF-1.4\n", 9);
    const char *form_data = "0 0 10 10 re f";
    char *objects = zsys_sprintf (
        "1 0 obj << /Type /Catalog /Pages 2 0 R /Outlines 20 0 R >> endobj\n"
        "2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 "
        "/Resources 6 0 R /MediaBox [0 0 200 200] >> endobj\n"
        "3 0 obj << /Type /Page /Parent 2 0 R /Contents 10 0 R "
        "/Annots [13 0 R] >> endobj\n"
        "4 0 obj << /Type /Page /Parent 2 0 R /Contents 11 0 R "
        "/Annots [14 0 R] >> endobj\n"
        "5 0 obj << /Type /Page /Parent 2 0 R /Contents 12 0 R >> endobj\n"
        "6 0 obj << /Font << /F1 7 0 R >> /XObject << /Me 8 0 R >> >> endobj\n"
        "7 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> "
        "endobj\n"
        "8 0 obj << /Type /XObject /Subtype /Form /BBox [0 0 10 10] "
        "/Resources << /XObject << /Me 8 0 R >> >> /Length %zu >>\n"
        "stream\n%s\nendstream endobj\n"
        "13 0 obj << /Type /Annot /Subtype /Link /Rect [0 0 50 50] /P 3 0 R "
        "/Dest [5 0 R /Fit] /Border [0 0 0] >> endobj\n"
        "14 0 obj << /Type /Annot /Subtype /Text /Rect [0 0 20 20] /P 4 0 R "
        "/Contents (note) /Missing 99 0 R >> endobj\n"
        "20 0 obj << /Type /Outlines /First 21 0 R /Last 24 0 R /Count 2 >> "
        "endobj\n"
        "21 0 obj << /Title (Part %c) /Parent 20 0 R /Next 24 0 R /First 22 0 "
        "R "
        "/Last 23 0 R /Count -2 /Dest [3 0 R /XYZ 0 200 null] >> endobj\n"
        "22 0 obj << /Title (%c.1) /Parent 21 0 R /Next 23 0 R "
        "/A << /S /GoTo /D [4 0 R /FitH 150] >> >> endobj\n"
        "23 0 obj << /Title (%c.2) /Parent 21 0 R /Prev 22 0 R "
        "/Dest [5 0 R /Fit] /First 25 0 R /Last 25 0 R /Count 1 >> endobj\n"
        "25 0 obj << /Title (Named) /Parent 23 0 R /Dest (chapter) "
        "/First 26 0 R >> endobj\n"
        "26 0 obj << /Title (Hoisted %c) /Dest [4 0 R /FitR 0 0 100 100.5] "
        "/Next 21 0 R >> endobj\n"
        "24 0 obj << /Title (Part %c) /Parent 20 0 R /Prev 21 0 R "
        "/Dest [5 0 R /Fit] >> endobj\n",
        strlen (form_data), form_data, letter, letter, letter, letter,
        letter + 1);
    zchunk_extend (pdf, objects, strlen (objects));
    for (unsigned index = 0; index < 3; index++) {
        char *content =
            zsys_sprintf ("BT /F1 12 Tf 20 100 Td (<PAGE-%u>) Tj ET q /Me Do Q",
                          first_page + index);
        char *stream = zsys_sprintf (
            "%u 0 obj << /Length %zu >>\nstream\n%s\nendstream endobj\n",
            10 + index, strlen (content), content);
        zchunk_extend (pdf, stream, strlen (stream));
        zstr_free (&stream);
        zstr_free (&content);
    }
    const char *trailer = "trailer << /Size 27 /Root 1 0 R >>\n%%EOF\n";
    zchunk_extend (pdf, trailer, strlen (trailer));
    char *text_path = zsys_sprintf ("%s/text%u.txt", fixture->root, first_page);
    char *path = zsys_sprintf ("%s/text%u.pdf", fixture->root, first_page);
    zfile_t *file = zfile_new (NULL, text_path);
    assert_int_equal (zfile_output (file), 0);
    assert_int_equal (zfile_write (file, pdf, 0), 0);
    zfile_destroy (&file);
    //  qpdf rebuilds the missing cross-reference table, with warnings
    //  (status 3).
    int status = 0;
    char *output =
        s_shell (&status,
                 "qpdf --compress-streams=n --object-streams=disable "
                 "'%s' '%s' 2>&1",
                 text_path, path);
    if (status != 0 && status != 3)
        fail_msg ("qpdf could not rebuild %s: %s", text_path, output);
    free (output);
    zstr_free (&text_path);
    zchunk_destroy (&pdf);
    zstr_free (&objects);
    return path;
}

static void
test_outline_has_the_shape_merge_gives (void **state)
{
    s_fixture_t *fixture = *state;
    char *paths[2];
    paths[0] = s_text_chunk (fixture, 1, 'A');
    paths[1] = s_text_chunk (fixture, 4, 'C');
    s_append_all (paths, 2, fixture->out, 6);
    char *merged = zsys_sprintf ("%s/merged.pdf", fixture->root);
    s_merge_all (paths, 2, merged, 6);
    char *outline = s_outline_text (fixture->out);
    char *merged_outline = s_outline_text (merged);
    assert_string_equal (outline, merged_outline);
    //  What merge gives, spelled out once.
    assert_string_equal (
        outline,
        "Part A @1 [\"/XYZ\",0,200,null] closed {"
        "A.1 @2 [\"/FitH\",150] {} "
        "A.2 @3 [\"/Fit\"] {Hoisted A @2 [\"/FitR\",0,0,100,100.5] {} } } "
        "Part B @3 [\"/Fit\"] {} "
        "Part C @4 [\"/XYZ\",0,200,null] closed {"
        "C.1 @5 [\"/FitH\",150] {} "
        "C.2 @6 [\"/Fit\"] {Hoisted C @5 [\"/FitR\",0,0,100,100.5] {} } } "
        "Part D @6 [\"/Fit\"] {} ");
    s_assert_check_clean (fixture->out);
    free (merged_outline);
    free (outline);
    zstr_free (&merged);
    s_free_paths (paths, 2);
}

//  The value of the object ref ("12 0 R") in qpdf's JSON of a document.
static const cJSON *
s_object (const cJSON *json, const char *ref)
{
    const cJSON *objects =
        cJSON_GetArrayItem (cJSON_GetObjectItem (json, "qpdf"), 1);
    char key[64];
    snprintf (key, sizeof (key), "obj:%s", ref);
    const cJSON *object = cJSON_GetObjectItem (objects, key);
    if (!object)
        fail_msg ("no object %s", ref);
    const cJSON *value = cJSON_GetObjectItem (object, "value");
    if (!value)
        value = cJSON_GetObjectItem (cJSON_GetObjectItem (object, "stream"),
                                     "dict");
    assert_non_null (value);
    return value;
}

static void
test_cycles_and_links_between_pages_are_kept (void **state)
{
    s_fixture_t *fixture = *state;
    char *paths[2];
    paths[0] = s_text_chunk (fixture, 1, 'A');
    paths[1] = s_text_chunk (fixture, 4, 'C');
    s_append_all (paths, 2, fixture->out, 6);
    s_assert_check_clean (fixture->out);
    s_assert_page_texts (fixture->out, 6);

    char *json_text =
        s_shell (NULL, "qpdf --json --json-key=pages --json-key=qpdf '%s'",
                 fixture->out);
    cJSON *json = cJSON_Parse (json_text);
    assert_non_null (json);
    const cJSON *pages = cJSON_GetObjectItem (json, "pages");
    assert_int_equal (cJSON_GetArraySize (pages), 6);
    for (int chunk = 0; chunk < 2; chunk++) {
        const char *first_page =
            cJSON_GetObjectItem (cJSON_GetArrayItem (pages, 3 * chunk),
                                 "object")
                ->valuestring;
        const char *third_page =
            cJSON_GetObjectItem (cJSON_GetArrayItem (pages, 3 * chunk + 2),
                                 "object")
                ->valuestring;
        const cJSON *page = s_object (json, first_page);
        const cJSON *annots = cJSON_GetObjectItem (page, "/Annots");
        assert_int_equal (cJSON_GetArraySize (annots), 1);
        const cJSON *link =
            s_object (json, cJSON_GetArrayItem (annots, 0)->valuestring);
        //  The link names its own page and the chunk's third page, as
        //  pages of the output.
        assert_string_equal (cJSON_GetObjectItem (link, "/P")->valuestring,
                             first_page);
        assert_string_equal (
            cJSON_GetArrayItem (cJSON_GetObjectItem (link, "/Dest"), 0)
                ->valuestring,
            third_page);
        //  The form still lists itself.
        const cJSON *resources = s_object (
            json, cJSON_GetObjectItem (page, "/Resources")->valuestring);
        const char *form_ref =
            cJSON_GetObjectItem (cJSON_GetObjectItem (resources, "/XObject"),
                                 "/Me")
                ->valuestring;
        const cJSON *form = s_object (json, form_ref);
        assert_string_equal (
            cJSON_GetObjectItem (
                cJSON_GetObjectItem (cJSON_GetObjectItem (form, "/Resources"),
                                     "/XObject"),
                "/Me")
                ->valuestring,
            form_ref);
    }
    cJSON_Delete (json);
    free (json_text);
    s_free_paths (paths, 2);
}

static void
test_wrong_page_count_writes_nothing (void **state)
{
    s_fixture_t *fixture = *state;
    const unsigned sizes[] = {2, 3, 1};
    char *paths[3];
    s_render_chunks (fixture, sizes, 3, paths);
    char error[PDFAPPEND_ERROR_MAX] = "";
    pdfappend_t *appender = pdfappend_new (fixture->out, error);
    assert_non_null (appender);
    for (size_t index = 0; index < 3; index++)
        assert_int_equal (pdfappend_add (appender, paths[index], 0, error), 0);
    assert_int_equal (pdfappend_pages (appender), 6);
    assert_int_equal (pdfappend_finish (appender, 7, error), -1);
    assert_non_null (strstr (error, "has 6 pages, expected 7"));
    assert_false (access (fixture->out, F_OK) == 0);
    pdfappend_destroy (&appender);
    char *part = zsys_sprintf ("%s.part", fixture->out);
    assert_false (access (part, F_OK) == 0);
    assert_false (access (fixture->out, F_OK) == 0);

    //  A document that is never finished leaves nothing either.
    appender = pdfappend_new (fixture->out, error);
    assert_int_equal (pdfappend_add (appender, paths[0], 0, error), 0);
    assert_true (access (part, F_OK) == 0);
    assert_int_equal (pdfappend_finish (appender, 3, error), -1);
    pdfappend_destroy (&appender);
    assert_false (access (part, F_OK) == 0);
    assert_false (access (fixture->out, F_OK) == 0);
    pdfappend_destroy (&appender);
    zstr_free (&part);
    s_free_paths (paths, 3);
}

static void
test_bad_chunk_is_named_and_changes_nothing (void **state)
{
    s_fixture_t *fixture = *state;
    const unsigned sizes[] = {2, 3};
    char *paths[2];
    s_render_chunks (fixture, sizes, 2, paths);
    char *bad = zsys_sprintf ("%s/bad.pdf", fixture->root);
    FILE *file = fopen (bad, "w");
    fputs ("this is not a PDF at all\n", file);
    fclose (file);
    char *missing = zsys_sprintf ("%s/missing.pdf", fixture->root);
    //  Its third page's content stream is not where the cross-reference
    //  table says: qpdf opens it, and the copy fails after two pages.
    char *text_chunk = s_text_chunk (fixture, 3, 'A');
    char *damaged = zsys_sprintf ("%s/damaged.pdf", fixture->root);
    char *copy = s_shell (NULL,
                          "perl -0pe 's/obj(\\n<< \\/Length \\d+ >>\\n"
                          "stream\\nBT [^(]*\\(<PAGE-5>)/obx$1/' '%s' > '%s' "
                          "&& grep -ac ' 0 obx' '%s'",
                          text_chunk, damaged, damaged);
    assert_int_equal (atoi (copy), 1);
    free (copy);
    zstr_free (&text_chunk);

    char error[PDFAPPEND_ERROR_MAX] = "";
    pdfappend_t *appender = pdfappend_new (fixture->out, error);
    assert_int_equal (pdfappend_add (appender, paths[0], 0, error), 0);
    uint64_t final_size = pdfappend_bytes_final (appender);
    assert_int_equal (pdfappend_add (appender, bad, 0, error), -1);
    assert_non_null (strstr (error, "bad.pdf"));
    assert_int_equal (pdfappend_add (appender, missing, 0, error), -1);
    assert_non_null (strstr (error, "missing.pdf"));
    assert_int_equal (pdfappend_add (appender, damaged, 0, error), -1);
    assert_non_null (strstr (error, "damaged.pdf"));
    //  A chunk of 3 pages where 4 are expected (a page tree whose /Count
    //  lied to the collector).
    assert_int_equal (pdfappend_add (appender, paths[1], 4, error), -1);
    assert_non_null (strstr (error, "it has 3 pages, not 4"));
    assert_int_equal (pdfappend_pages (appender), 2);
    assert_int_equal (pdfappend_bytes_final (appender), final_size);
    char *part = zsys_sprintf ("%s.part", fixture->out);
    zfile_t *part_file = zfile_new (NULL, part);
    assert_int_equal (zfile_cursize (part_file), final_size);
    zfile_destroy (&part_file);
    //  And the document goes on as if they had never been tried.
    assert_int_equal (pdfappend_add (appender, paths[1], 3, error), 0);
    assert_int_equal (pdfappend_finish (appender, 5, error), 0);
    pdfappend_destroy (&appender);
    s_assert_check_clean (fixture->out);
    s_assert_page_texts (fixture->out, 5);
    zstr_free (&part);
    zstr_free (&damaged);
    zstr_free (&missing);
    zstr_free (&bad);
    s_free_paths (paths, 2);
}

static void
test_output_only_grows (void **state)
{
    s_fixture_t *fixture = *state;
    const unsigned sizes[] = {2, 3, 1};
    char *paths[3];
    s_render_chunks (fixture, sizes, 3, paths);
    char *part = zsys_sprintf ("%s.part", fixture->out);
    char error[PDFAPPEND_ERROR_MAX] = "";
    pdfappend_t *appender = pdfappend_new (fixture->out, error);
    uint64_t before = pdfappend_bytes_final (appender);
    assert_true (before > 0);
    zchunk_t *prefixes[3];
    for (size_t index = 0; index < 3; index++) {
        assert_int_equal (pdfappend_add (appender, paths[index], 0, error), 0);
        uint64_t final_size = pdfappend_bytes_final (appender);
        assert_true (final_size > before);
        before = final_size;
        prefixes[index] = zchunk_slurp (part, 0);
        assert_int_equal (zchunk_size (prefixes[index]), final_size);
    }
    assert_int_equal (pdfappend_finish (appender, 6, error), 0);
    zchunk_t *whole = zchunk_slurp (fixture->out, 0);
    assert_int_equal (pdfappend_bytes_final (appender), zchunk_size (whole));
    for (size_t index = 0; index < 3; index++) {
        assert_memory_equal (zchunk_data (whole), zchunk_data (prefixes[index]),
                             zchunk_size (prefixes[index]));
        zchunk_destroy (&prefixes[index]);
    }
    zchunk_destroy (&whole);
    pdfappend_destroy (&appender);
    zstr_free (&part);
    s_free_paths (paths, 3);
}

static long
s_status_kb (const char *field)
{
    FILE *status = fopen ("/proc/self/status", "r");
    assert_non_null (status);
    char line[256];
    long value = -1;
    size_t length = strlen (field);
    while (fgets (line, sizeof (line), status))
        if (strncmp (line, field, length) == 0 && line[length] == ':')
            value = atol (line + length + 1);
    fclose (status);
    return value;
}

//  Peak RSS growth (kB) of a child process that appends paths[0..count-1]
//  rounds times over, from just before the document is started.
static long
s_peak_growth_kb (char **paths, size_t count, size_t rounds, const char *out)
{
    int fds[2];
    assert_int_equal (pipe (fds), 0);
    pid_t pid = fork ();
    assert_true (pid != -1);
    if (pid == 0) {
        close (fds[0]);
        //  Start the peak from here, not from the parent's past.
        FILE *clear = fopen ("/proc/self/clear_refs", "w");
        if (clear) {
            fputs ("5", clear);
            fclose (clear);
        }
        long start = s_status_kb ("VmRSS");
        char error[PDFAPPEND_ERROR_MAX];
        pdfappend_t *appender = pdfappend_new (out, error);
        int rc = appender ? 0 : -1;
        for (size_t round = 0; round < rounds && rc == 0; round++)
            for (size_t index = 0; index < count && rc == 0; index++)
                rc = pdfappend_add (appender, paths[index], 0, error);
        if (rc == 0)
            rc = pdfappend_finish (appender, 0, error);
        pdfappend_destroy (&appender);
        long growth = rc == 0 ? s_status_kb ("VmHWM") - start : -1;
        if (write (fds[1], &growth, sizeof (growth)) != sizeof (growth))
            _exit (1);
        _exit (0);
    }
    close (fds[1]);
    long growth = -1;
    assert_int_equal (read (fds[0], &growth, sizeof (growth)), sizeof (growth));
    close (fds[0]);
    int status = 0;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    assert_true (growth >= 0);
    return growth;
}

static void
test_memory_stays_flat_as_the_document_grows (void **state)
{
    s_fixture_t *fixture = *state;
#ifdef __SANITIZE_ADDRESS__
    //  AddressSanitizer keeps freed memory in quarantine: RSS then grows
    //  with everything ever allocated and says nothing about our peak.
    print_message ("SKIP: memory flatness is not measurable under "
                   "AddressSanitizer (freed memory stays in quarantine)\n");
    skip ();
#endif
    unsigned sizes[S_FLAT_CHUNKS];
    for (size_t index = 0; index < S_FLAT_CHUNKS; index++)
        sizes[index] = S_FLAT_CHUNK_PAGES;
    char *paths[S_FLAT_CHUNKS];
    s_render_chunks (fixture, sizes, S_FLAT_CHUNKS, paths);
    long one_chunk = s_peak_growth_kb (paths, 1, 1, fixture->out);
    long small = s_peak_growth_kb (paths, S_FLAT_CHUNKS, 1, fixture->out);
    long large =
        s_peak_growth_kb (paths, S_FLAT_CHUNKS, S_FLAT_ROUNDS, fixture->out);
    print_message ("peak RSS growth: 1 chunk %ld kB, %d pages %ld kB, "
                   "%d pages %ld kB\n",
                   one_chunk, S_FLAT_CHUNKS * S_FLAT_CHUNK_PAGES, small,
                   S_FLAT_CHUNKS * S_FLAT_CHUNK_PAGES * S_FLAT_ROUNDS, large);
    assert_int_equal (s_pages (fixture->out),
                      S_FLAT_CHUNKS * S_FLAT_CHUNK_PAGES * S_FLAT_ROUNDS);
    //  Ten times the pages may cost their page numbers and some allocator
    //  slack, not another chunk's worth per chunk. (The larger may also
    //  peak a few pages lower: RSS is counted in pages, so compare signed.)
    if (large > small + one_chunk)
        fail_msg ("%d pages grew the peak by %ld kB more than %d pages did: "
                  "more than one chunk's %ld kB",
                  S_FLAT_CHUNKS * S_FLAT_CHUNK_PAGES * S_FLAT_ROUNDS,
                  large - small, S_FLAT_CHUNKS * S_FLAT_CHUNK_PAGES,
                  one_chunk);
    s_free_paths (paths, S_FLAT_CHUNKS);
}

//  Append paths[from..to) to appender, failing the test on an error.
static void
s_add_range (pdfappend_t *appender, char **paths, size_t from, size_t to)
{
    char error[PDFAPPEND_ERROR_MAX] = "";
    for (size_t index = from; index < to; index++)
        if (pdfappend_add (appender, paths[index], 0, error) != 0)
            fail_msg ("pdfappend_add: %s", error);
}

static void
s_append_bytes (const char *path, const void *data, size_t size)
{
    FILE *file = fopen (path, "ab");
    assert_non_null (file);
    assert_int_equal (fwrite (data, 1, size, file), size);
    fclose (file);
}

static void
test_resume_takes_up_the_last_checkpoint (void **state)
{
    s_fixture_t *fixture = *state;
    //  Page-tree leaves of 32 pages end inside chunks and between them.
    const unsigned sizes[] = {40, 3, 33, 2, 5};
    char *paths[5];
    unsigned total = s_render_chunks (fixture, sizes, 5, paths);
    char *whole = zsys_sprintf ("%s/whole.pdf", fixture->root);
    s_append_all (paths, 5, whole, total);

    char error[PDFAPPEND_ERROR_MAX] = "";
    pdfappend_t *appender = pdfappend_new (fixture->out, error);
    s_add_range (appender, paths, 0, 1);
    assert_int_equal (pdfappend_checkpoint (appender, error), 0);
    s_add_range (appender, paths, 1, 3);
    assert_int_equal (pdfappend_checkpoint (appender, error), 0);
    uint64_t checkpoint = pdfappend_bytes_final (appender);
    assert_int_equal (pdfappend_checkpointed (appender), 3);
    //  Appended after the checkpoint, then killed: neither the output's
    //  bytes nor its records count.
    s_add_range (appender, paths, 3, 4);
    assert_true (pdfappend_bytes_final (appender) > checkpoint);
    pdfappend_destroy (&appender);
    char *part = zsys_sprintf ("%s.part", fixture->out);
    char *journal = zsys_sprintf ("%s.journal", fixture->out);
    assert_true (zsys_file_exists (part));
    //  A record torn as it was written: a head and half a payload.
    const unsigned char torn[] = {0x50, 0x50, 0x4a, 0x31, 0x40, 0, 0, 0, 4, 0};
    s_append_bytes (journal, torn, sizeof (torn));
    off_t journal_size = zsys_file_size (journal);

    bool found = false;
    appender = pdfappend_resume (fixture->out, &found, error);
    if (!appender)
        fail_msg ("pdfappend_resume: %s", error);
    assert_int_equal (pdfappend_chunks (appender), 3);
    assert_int_equal (pdfappend_pages (appender), 40 + 3 + 33);
    assert_int_equal (pdfappend_bytes_final (appender), checkpoint);
    assert_int_equal (zsys_file_size (part), checkpoint);
    assert_int_equal (zsys_file_size (journal),
                      journal_size - (off_t)sizeof (torn));
    s_add_range (appender, paths, 3, 5);
    assert_int_equal (pdfappend_finish (appender, total, error), 0);
    pdfappend_destroy (&appender);
    //  The same document, byte for byte, as one run without a break.
    zchunk_t *resumed = zchunk_slurp (fixture->out, 0);
    zchunk_t *straight = zchunk_slurp (whole, 0);
    assert_int_equal (zchunk_size (resumed), zchunk_size (straight));
    assert_memory_equal (zchunk_data (resumed), zchunk_data (straight),
                         zchunk_size (straight));
    s_assert_check_clean (fixture->out);
    s_assert_page_texts (fixture->out, total);
    zchunk_destroy (&straight);
    zchunk_destroy (&resumed);
    zstr_free (&journal);
    zstr_free (&part);
    zstr_free (&whole);
    s_free_paths (paths, 5);
}

//  Two chunks appended with a checkpoint after each; the appender is
//  gone, its files left as a killed sink leaves them.
static void
s_two_checkpoints (s_fixture_t *fixture, char **paths)
{
    char error[PDFAPPEND_ERROR_MAX] = "";
    pdfappend_t *appender = pdfappend_new (fixture->out, error);
    for (size_t index = 0; index < 2; index++) {
        s_add_range (appender, paths, index, index + 1);
        assert_int_equal (pdfappend_checkpoint (appender, error), 0);
    }
    pdfappend_destroy (&appender);
}

static void
test_resume_refuses_what_does_not_match (void **state)
{
    s_fixture_t *fixture = *state;
    const unsigned sizes[] = {2, 3};
    char *paths[2];
    s_render_chunks (fixture, sizes, 2, paths);
    char error[PDFAPPEND_ERROR_MAX] = "";
    bool found = true;
    //  No journal: nothing to take up, start again.
    assert_null (pdfappend_resume (fixture->out, &found, error));
    assert_false (found);

    //  An output shorter than its journal says.
    char *part = zsys_sprintf ("%s.part", fixture->out);
    char *journal = zsys_sprintf ("%s.journal", fixture->out);
    s_two_checkpoints (fixture, paths);
    assert_int_equal (truncate (part, zsys_file_size (part) - 1), 0);
    assert_null (pdfappend_resume (fixture->out, &found, error));
    assert_true (found);
    assert_non_null (strstr (error, "bytes of"));

    //  A record damaged before the last one.
    s_two_checkpoints (fixture, paths);
    FILE *file = fopen (journal, "r+b");
    assert_non_null (file);
    assert_int_equal (fseek (file, 12, SEEK_SET), 0);
    fputc (0xff, file);
    fclose (file);
    assert_null (pdfappend_resume (fixture->out, &found, error));
    assert_true (found);
    assert_non_null (strstr (error, "damaged"));

    //  A new document removes an earlier one's journal.
    pdfappend_t *appender = pdfappend_new (fixture->out, error);
    assert_non_null (appender);
    assert_false (zsys_file_exists (journal));
    pdfappend_destroy (&appender);
    assert_false (zsys_file_exists (part));
    zstr_free (&journal);
    zstr_free (&part);
    s_free_paths (paths, 2);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_pages_come_in_order_across_chunks,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_page_tree_holds_many_pages,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_same_text_and_bookmarks_as_merge,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_font_is_written_once,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_outline_has_the_shape_merge_gives,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_cycles_and_links_between_pages_are_kept, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_wrong_page_count_writes_nothing,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_bad_chunk_is_named_and_changes_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_output_only_grows, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_resume_takes_up_the_last_checkpoint, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_resume_refuses_what_does_not_match, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_memory_stays_flat_as_the_document_grows, s_setup, s_teardown),
    };
    zsys_init ();
    return cmocka_run_group_tests (tests, NULL, NULL);
}
