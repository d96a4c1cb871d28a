/*  test_render - worker/render: chunk PDFs from a template and records.

    Checks the PDFs with the tools a reader would use: qpdf for structure,
    page count, content streams and bookmarks, pdftotext for the text and
    where it sits, pdfinfo for the document info, pdffonts and pdfimages
    for what is embedded, pdftoppm and zbarimg for barcodes that scan. The
    invoice example is drawn from examples/invoice/template.json with
    three records (tests/data/invoice-3.jsonl) and measured against
    INVOICE.md's layout. Each rendered chunk goes to a temporary file that the
    test removes.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render.h"
#include "template.h"
#include "testassert.h"
#include "testfile.h"
#include "testimage.h"

#define PAGE_TEMPLATE                                                          \
    "{\"page\": {\"size\": \"A4\"}, \"elements\": ["                           \
    "{\"type\": \"text\", \"text\": \"Page {{page}} of {{pages}}\","           \
    " \"x\": 50, \"y\": 780, \"font\": \"Helvetica\", \"size\": 12},"          \
    "{\"type\": \"text\", \"text\": \"Dear {{customer.name}}\","               \
    " \"x\": 50, \"y\": 700, \"font\": \"Times-Roman\", \"size\": 12}]}"

#define THREE_RECORDS                                                          \
    "[{\"customer\": {\"name\": \"Ada Lovelace\"}},"                           \
    " {\"customer\": {\"name\": \"Alan Turing\"}},"                            \
    " {\"customer\": {\"name\": \"Grace Hopper\"}}]"

//  A chunk rendered from JSON text, or the error.
typedef struct {
    int rc;
    zframe_t *pdf;
    fielderr_t err;
} rendering_t;

static render_t *s_render; // one renderer for all tests, as in the worker

static rendering_t
s_render_json (const char *template_json, const char *records_json,
               uint32_t first_page, uint32_t total_pages)
{
    rendering_t rendering = {-1, NULL, {"", ""}};
    fielderr_t parse_err = {"", ""};
    template_t *tpl =
        template_parse_text (template_json, strlen (template_json), &parse_err);
    if (!tpl)
        print_error ("template: %s: %s\n", parse_err.field, parse_err.message);
    assert_non_null (tpl);
    cJSON *records = cJSON_Parse (records_json);
    assert_non_null (records);
    render_range_t range = {.first_page = first_page,
                            .total_pages = total_pages,
                            .first_record = first_page - 1};
    rendering.rc = render_chunk (s_render, tpl, records, &range, &rendering.pdf,
                                 &rendering.err);
    cJSON_Delete (records);
    template_destroy (&tpl);
    return rendering;
}

//  Write the PDF to a new temporary file; caller unlinks and frees path.
static char *
s_write_temp (zframe_t *pdf)
{
    char *path = strdup ("/tmp/test_render_XXXXXX.pdf");
    assert_non_null (path);
    int fd = mkstemps (path, 4);
    assert_true (fd >= 0);
    ssize_t written = write (fd, zframe_data (pdf), zframe_size (pdf));
    assert_int_equal (written, zframe_size (pdf));
    close (fd);
    return path;
}

//  Run a shell command and return its standard output; caller frees.
static char *
s_run (const char *format, ...)
{
    char command[1024];
    va_list args;
    va_start (args, format);
    vsnprintf (command, sizeof (command), format, args);
    va_end (args);
    FILE *pipe = popen (command, "r");
    assert_non_null (pipe);
    size_t size = 0;
    size_t capacity = 4096;
    char *output = malloc (capacity);
    assert_non_null (output);
    size_t got;
    while ((got = fread (output + size, 1, capacity - size - 1, pipe)) > 0) {
        size += got;
        if (capacity - size < 1024) {
            capacity *= 2;
            output = realloc (output, capacity);
            assert_non_null (output);
        }
    }
    output[size] = '\0';
    int status = pclose (pipe);
    if (status != 0)
        print_error ("'%s' exited with %d:\n%s\n", command, status, output);
    assert_int_eq (status, 0);
    return output;
}

//  The text pdftotext extracts from the file (page breaks as form feeds).
static char *
s_pdf_text (const char *path)
{
    return s_run ("pdftotext -layout '%s' - 2>&1", path);
}

static int
s_setup (void **state)
{
    (void)state;
    s_render = render_new ();
    return s_render ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    render_destroy (&s_render);
    return 0;
}

static void
test_render_writes_one_page_per_record (void **state)
{
    (void)state;
    rendering_t rendering = s_render_json (PAGE_TEMPLATE, THREE_RECORDS, 2, 10);
    assert_int_equal (rendering.rc, 0);
    assert_non_null (rendering.pdf);

    const char *data = (const char *)zframe_data (rendering.pdf);
    size_t size = zframe_size (rendering.pdf);
    assert_true (size > 5);
    assert_memory_equal (data, "%PDF-", 5);
    while (size > 0 && strchr (" \r\n", data[size - 1]))
        size--;
    assert_true (size >= 5);
    assert_memory_equal (data + size - 5, "%%EOF", 5);

    char *path = s_write_temp (rendering.pdf);
    char *pages = s_run ("qpdf --show-npages '%s'", path);
    assert_string_equal (pages, "3\n");
    char *check = s_run ("qpdf --check '%s' 2>&1", path);
    assert_non_null (strstr (check, "No syntax or stream encoding errors"));
    char *text = s_pdf_text (path);
    assert_non_null (strstr (text, "Page 2 of 10"));
    assert_non_null (strstr (text, "Page 3 of 10"));
    assert_non_null (strstr (text, "Page 4 of 10"));
    assert_non_null (strstr (text, "Dear Alan Turing"));
    //  Pages keep record order: page 3 shows the second record.
    assert_true (strstr (text, "Dear Ada Lovelace") <
                 strstr (text, "Dear Alan Turing"));
    assert_true (strstr (text, "Dear Alan Turing") <
                 strstr (text, "Dear Grace Hopper"));
    unlink (path);
    free (text);
    free (check);
    free (pages);
    free (path);
    zframe_destroy (&rendering.pdf);
}

static void
test_render_sets_page_size_and_producer (void **state)
{
    (void)state;
    rendering_t rendering = s_render_json (PAGE_TEMPLATE, THREE_RECORDS, 1, 3);
    assert_int_equal (rendering.rc, 0);
    char *path = s_write_temp (rendering.pdf);
    char *producer = s_run ("pdfinfo '%s' | sed -n 's/^Producer: *//p'", path);
    assert_string_equal (producer, "pdfpipe\n");
    char *pages = s_run ("pdfinfo '%s' | sed -n 's/^Pages: *//p'", path);
    assert_string_equal (pages, "3\n");
    //  A4, however the template rounds it.
    char *size = s_run ("pdfinfo '%s' | sed -n 's/^Page size: *//p'", path);
    assert_memory_equal (size, "595", 3);
    unlink (path);
    free (size);
    free (pages);
    free (producer);
    free (path);
    zframe_destroy (&rendering.pdf);
}

static void
test_render_compresses_page_content (void **state)
{
    (void)state;
    rendering_t rendering = s_render_json (PAGE_TEMPLATE, THREE_RECORDS, 1, 3);
    assert_int_equal (rendering.rc, 0);
    //  One compressed content stream per page at least.
    const char *data = (const char *)zframe_data (rendering.pdf);
    size_t size = zframe_size (rendering.pdf);
    const char *filter = "/FlateDecode";
    size_t filter_size = strlen (filter);
    int filters = 0;
    for (size_t offset = 0; offset + filter_size <= size; offset++)
        if (memcmp (data + offset, filter, filter_size) == 0)
            filters++;
    assert_true (filters >= 3);
    zframe_destroy (&rendering.pdf);
}

//  xMin and xMax of the first word in pdftotext -bbox output that equals
//  word.
static void
s_word_box (const char *path, const char *word, double *x_min, double *x_max)
{
    char *html = s_run ("pdftotext -bbox '%s' -", path);
    char needle[128];
    snprintf (needle, sizeof (needle), ">%s</word>", word);
    char *end = strstr (html, needle);
    if (!end)
        print_error ("no word '%s' in:\n%s\n", word, html);
    assert_non_null (end);
    //  Back to the start of this <word ...> tag.
    char *start = end;
    while (start > html && strncmp (start, "<word", 5) != 0)
        start--;
    char *min_at = strstr (start, "xMin=\"");
    char *max_at = strstr (start, "xMax=\"");
    assert_true (min_at && min_at < end && max_at && max_at < end);
    *x_min = strtod (min_at + 6, NULL);
    *x_max = strtod (max_at + 6, NULL);
    free (html);
}

static void
test_render_aligns_text_right_and_center (void **state)
{
    (void)state;
    const char *template_json =
        "{\"page\": {\"size\": \"A4\"}, \"elements\": ["
        "{\"type\": \"text\", \"text\": \"{{left}}\", \"x\": 100, \"y\": 700,"
        " \"font\": \"Helvetica\", \"size\": 20},"
        "{\"type\": \"text\", \"text\": \"{{right}}\", \"x\": 500, \"y\": 600,"
        " \"font\": \"Helvetica\", \"size\": 20, \"align\": \"right\"},"
        "{\"type\": \"text\", \"text\": \"{{center}}\", \"x\": 300, \"y\": 500,"
        " \"font\": \"Courier\", \"size\": 20, \"align\": \"center\"}]}";
    rendering_t rendering =
        s_render_json (template_json,
                       "[{\"left\": \"Leftmost\", \"right\": \"Rightmost\","
                       " \"center\": \"Middle\"}]",
                       1, 1);
    assert_int_equal (rendering.rc, 0);
    char *path = s_write_temp (rendering.pdf);
    double x_min, x_max;
    //  pdftotext boxes are glyph advance boxes, so edges land within a
    //  fraction of a point of where the text was placed.
    s_word_box (path, "Leftmost", &x_min, &x_max);
    assert_true (x_min > 99.0 && x_min < 101.0);
    s_word_box (path, "Rightmost", &x_min, &x_max);
    if (!(x_max > 499.0 && x_max < 501.0))
        print_error ("right-aligned text ends at %.2f, not 500\n", x_max);
    assert_true (x_max > 499.0 && x_max < 501.0);
    s_word_box (path, "Middle", &x_min, &x_max);
    double middle = (x_min + x_max) / 2;
    if (!(middle > 299.0 && middle < 301.0))
        print_error ("centred text is centred on %.2f, not 300\n", middle);
    assert_true (middle > 299.0 && middle < 301.0);
    //  Courier is monospaced: 6 glyphs of 600/1000 em at 20 pt.
    assert_true (x_max - x_min > 71.0 && x_max - x_min < 73.0);
    unlink (path);
    free (path);
    zframe_destroy (&rendering.pdf);
}

static void
test_render_draws_win_ansi_characters (void **state)
{
    (void)state;
    const char *template_json =
        "{\"page\": {\"size\": \"A4\"}, \"elements\": ["
        "{\"type\": \"text\", \"text\": \"{{name}}\", \"x\": 50, \"y\": 700,"
        " \"font\": \"Helvetica\", \"size\": 12}]}";
    //  Latin-1 letters plus characters that Windows-1252 keeps at
    //  0x80-0x9F: euro, OE ligature, en dash, curly quotes, S caron.
    const char *name = "Z\xc3\xbcrich \xe2\x82\xac 5 \xc5\x92uvre "
                       "\xe2\x80\x93 \xe2\x80\x9cquoted\xe2\x80\x9d "
                       "\xc5\xa0koda";
    char records[256];
    snprintf (records, sizeof (records), "[{\"name\": \"%s\"}]", name);
    rendering_t rendering = s_render_json (template_json, records, 1, 1);
    if (rendering.rc)
        print_error ("%s: %s\n", rendering.err.field, rendering.err.message);
    assert_int_equal (rendering.rc, 0);
    char *path = s_write_temp (rendering.pdf);
    char *text = s_pdf_text (path);
    if (!strstr (text, name))
        print_error ("expected '%s' in:\n%s\n", name, text);
    assert_non_null (strstr (text, name));
    unlink (path);
    free (text);
    free (path);
    zframe_destroy (&rendering.pdf);
}

static void
test_render_uses_symbol_font_codes (void **state)
{
    (void)state;
    const char *template_json =
        "{\"page\": {\"size\": \"A4\"}, \"elements\": ["
        "{\"type\": \"text\", \"text\": \"abg\", \"x\": 50, \"y\": 700,"
        " \"font\": \"Symbol\", \"size\": 12}]}";
    rendering_t rendering = s_render_json (template_json, "[{}]", 1, 1);
    assert_int_equal (rendering.rc, 0);
    char *path = s_write_temp (rendering.pdf);
    char *text = s_pdf_text (path);
    //  alpha beta gamma
    assert_non_null (strstr (text, "\xce\xb1\xce\xb2\xce\xb3"));
    unlink (path);
    free (text);
    free (path);
    zframe_destroy (&rendering.pdf);
}

static void
test_render_rejects_character_outside_win_ansi (void **state)
{
    (void)state;
    const char *records = "[{\"customer\": {\"name\": \"Ada\"}},"
                          " {\"customer\": {\"name\": \"\xea\xb9\x80\"}}]";
    rendering_t rendering = s_render_json (PAGE_TEMPLATE, records, 11, 20);
    assert_int_equal (rendering.rc, -1);
    assert_null (rendering.pdf);
    //  Page 12 of the job shows record 11 (0-based).
    assert_string_equal (rendering.err.field, "records[11].customer.name");
    const char *message = rendering.err.message;
    if (!strstr (message, "U+AE40") || !strstr (message, "elements[1]"))
        print_error ("message: %s\n", message);
    assert_non_null (strstr (message, "U+AE40"));
    assert_non_null (strstr (message, "\xea\xb9\x80"));
    assert_non_null (strstr (message, "template.elements[1].text"));
}

static void
test_render_rejects_symbol_text_beyond_ascii (void **state)
{
    (void)state;
    const char *template_json =
        "{\"page\": {\"size\": \"A4\"}, \"elements\": ["
        "{\"type\": \"text\", \"text\": \"{{sign}}\", \"x\": 50, \"y\": 700,"
        " \"font\": \"ZapfDingbats\", \"size\": 12}]}";
    rendering_t rendering =
        s_render_json (template_json, "[{\"sign\": \"\xc3\xa9\"}]", 1, 1);
    assert_int_equal (rendering.rc, -1);
    assert_string_equal (rendering.err.field, "records[0].sign");
    assert_non_null (strstr (rendering.err.message, "ZapfDingbats"));
}

static void
test_render_rejects_control_character (void **state)
{
    (void)state;
    const char *records = "[{\"customer\": {\"name\": \"Ada\\nLovelace\"}}]";
    rendering_t rendering = s_render_json (PAGE_TEMPLATE, records, 1, 1);
    assert_int_equal (rendering.rc, -1);
    assert_string_equal (rendering.err.field, "records[0].customer.name");
    assert_non_null (strstr (rendering.err.message, "U+000A"));
}

static void
test_render_rejects_invalid_utf8 (void **state)
{
    (void)state;
    //  cJSON passes bytes through unchecked; 0xC3 0x28 is not UTF-8.
    const char *records = "[{\"customer\": {\"name\": \"Bad \xc3\x28\"}}]";
    rendering_t rendering = s_render_json (PAGE_TEMPLATE, records, 1, 1);
    assert_int_equal (rendering.rc, -1);
    assert_string_equal (rendering.err.field, "records[0].customer.name");
    assert_non_null (strstr (rendering.err.message, "not valid UTF-8"));
}

static void
test_render_rejects_missing_field (void **state)
{
    (void)state;
    const char *records = "[{\"customer\": {\"name\": \"Ada\"}},"
                          " {\"customer\": {\"name\": \"Alan\"}},"
                          " {\"customer\": {}}]";
    rendering_t rendering = s_render_json (PAGE_TEMPLATE, records, 5, 7);
    assert_int_equal (rendering.rc, -1);
    assert_null (rendering.pdf);
    //  Third record of a chunk starting at page 5: record 6 of the job.
    if (strncmp (rendering.err.field, "records[6]", 10) != 0)
        print_error ("field: %s\n", rendering.err.field);
    assert_memory_equal (rendering.err.field, "records[6]", 10);
}

static void
test_render_rejects_empty_records (void **state)
{
    (void)state;
    rendering_t rendering = s_render_json (PAGE_TEMPLATE, "[]", 1, 1);
    assert_int_equal (rendering.rc, -1);
    assert_string_equal (rendering.err.field, "records");
}

static void
test_render_recovers_after_failure (void **state)
{
    (void)state;
    rendering_t first = s_render_json (PAGE_TEMPLATE, THREE_RECORDS, 1, 3);
    assert_int_equal (first.rc, 0);
    rendering_t failed =
        s_render_json (PAGE_TEMPLATE, "[{\"customer\": 1}]", 1, 3);
    assert_int_equal (failed.rc, -1);
    rendering_t again = s_render_json (PAGE_TEMPLATE, THREE_RECORDS, 1, 3);
    assert_int_equal (again.rc, 0);
    //  Same input, same bytes: a re-rendered chunk is identical, which the
    //  sink's deduplication of identical streams relies on.
    assert_size_eq (zframe_size (first.pdf), zframe_size (again.pdf));
    assert_memory_equal (zframe_data (first.pdf), zframe_data (again.pdf),
                         zframe_size (first.pdf));
    zframe_destroy (&first.pdf);
    zframe_destroy (&again.pdf);
}

static void
test_render_keeps_nothing_of_one_chunk_in_the_next (void **state)
{
    (void)state;
    const char *courier_template =
        "{\"page\": {\"size\": \"A4\"}, \"elements\": ["
        "{\"type\": \"text\", \"text\": \"{{n}}\", \"x\": 50, \"y\": 700,"
        " \"font\": \"Courier\", \"size\": 12}]}";
    rendering_t before = s_render_json (PAGE_TEMPLATE, THREE_RECORDS, 1, 3);
    assert_int_equal (before.rc, 0);
    rendering_t reused = s_render_json (courier_template, "[{\"n\": 1}]", 1, 1);
    assert_int_equal (reused.rc, 0);
    //  The same chunk from a renderer that has drawn nothing before.
    render_t *shared = s_render;
    s_render = render_new ();
    rendering_t fresh = s_render_json (courier_template, "[{\"n\": 1}]", 1, 1);
    render_destroy (&s_render);
    s_render = shared;
    assert_int_equal (fresh.rc, 0);
    assert_size_eq (zframe_size (reused.pdf), zframe_size (fresh.pdf));
    assert_memory_equal (zframe_data (reused.pdf), zframe_data (fresh.pdf),
                         zframe_size (fresh.pdf));
    zframe_destroy (&before.pdf);
    zframe_destroy (&reused.pdf);
    zframe_destroy (&fresh.pdf);
}

static void
test_render_renders_a_thousand_pages (void **state)
{
    (void)state;
    const uint32_t page_count = 1000;
    cJSON *records = cJSON_CreateArray ();
    for (uint32_t index = 0; index < page_count; index++) {
        cJSON *record = cJSON_CreateObject ();
        cJSON *customer = cJSON_AddObjectToObject (record, "customer");
        char name[32];
        snprintf (name, sizeof (name), "Customer %u", index);
        cJSON_AddStringToObject (customer, "name", name);
        cJSON_AddItemToArray (records, record);
    }
    char *records_json = cJSON_PrintUnformatted (records);
    cJSON_Delete (records);

    int64_t started = zclock_usecs ();
    rendering_t rendering =
        s_render_json (PAGE_TEMPLATE, records_json, 1001, 5000);
    int64_t elapsed_us = zclock_usecs () - started;
    assert_int_equal (rendering.rc, 0);
    print_message ("1,000 pages in %.1f ms (%.0f pages/s), %zu bytes\n",
                   elapsed_us / 1000.0, page_count * 1e6 / elapsed_us,
                   zframe_size (rendering.pdf));
    char *path = s_write_temp (rendering.pdf);
    char *pages = s_run ("qpdf --show-npages '%s'", path);
    assert_string_equal (pages, "1000\n");
    char *text = s_pdf_text (path);
    assert_non_null (strstr (text, "Page 2000 of 5000"));
    assert_non_null (strstr (text, "Dear Customer 999"));
    unlink (path);
    free (text);
    free (pages);
    free (path);
    free (records_json);
    zframe_destroy (&rendering.pdf);
}

// ---------------------------------------------------------------------------
// Word boxes, images and documents made for the tests below

//  A word pdftotext -bbox found: its text and box, in points from the
//  page's top-left corner (pdftotext's way).
typedef struct {
    char text[128];
    double x_min, y_min, x_max, y_max;
} s_word_t;

//  Every word of page (1-based) of the file; count in *count, caller
//  frees.
static s_word_t *
s_page_words (const char *path, int page, size_t *count)
{
    char *html = s_run ("pdftotext -bbox -f %d -l %d '%s' - 2>/dev/null", page,
                        page, path);
    size_t max = 64, used = 0;
    s_word_t *words = malloc (max * sizeof (s_word_t));
    assert_non_null (words);
    for (char *at = strstr (html, "<word "); at;
         at = strstr (at + 1, "<word ")) {
        if (used == max) {
            max *= 2;
            words = realloc (words, max * sizeof (s_word_t));
            assert_non_null (words);
        }
        s_word_t *word = &words[used++];
        word->x_min = strtod (strstr (at, "xMin=\"") + 6, NULL);
        word->y_min = strtod (strstr (at, "yMin=\"") + 6, NULL);
        word->x_max = strtod (strstr (at, "xMax=\"") + 6, NULL);
        word->y_max = strtod (strstr (at, "yMax=\"") + 6, NULL);
        char *text = strchr (at, '>') + 1;
        char *end = strstr (text, "</word>");
        snprintf (word->text, sizeof word->text, "%.*s", (int)(end - text),
                  text);
    }
    free (html);
    *count = used;
    return words;
}

//  The nth (0-based) word equal to text, or fail.
static const s_word_t *
s_find_word (const s_word_t *words, size_t count, const char *text, int nth)
{
    for (size_t index = 0; index < count; index++)
        if (strcmp (words[index].text, text) == 0 && nth-- == 0)
            return &words[index];
    fail_msg ("no word '%s' on the page", text);
    return NULL;
}

#define S_A4_HEIGHT 841.89
//  Helvetica's descender (-207/1000 em), which pdftotext's boxes include.
#define S_HELVETICA_DESCENT 0.207

//  The baseline of a Helvetica word of size points, in PDF coordinates.
static double
s_baseline (const s_word_t *word, double size)
{
    return S_A4_HEIGHT - word->y_max + S_HELVETICA_DESCENT * size;
}

static void
s_assert_near (double actual, double expected, double tolerance,
               const char *what)
{
    if (actual < expected - tolerance || actual > expected + tolerance)
        fail_msg ("%s is %.3f, expected %.3f", what, actual, expected);
}

//  The page content streams of the file, uncompressed (qpdf --qdf).
static char *
s_content (const char *path)
{
    return s_run ("qpdf --qdf --object-streams=disable '%s' - | tr -d '\\r' "
                  "| grep -a -v '^%%'",
                  path);
}

//  Render, write, and hand back the file's path; caller unlinks and frees.
static char *
s_render_file (const char *template_json, const char *records_json,
               uint32_t first_page, uint32_t total_pages)
{
    rendering_t rendering =
        s_render_json (template_json, records_json, first_page, total_pages);
    if (rendering.rc)
        fail_msg ("render failed: %s: %s", rendering.err.field,
                  rendering.err.message);
    char *path = s_write_temp (rendering.pdf);
    zframe_destroy (&rendering.pdf);
    return path;
}

static int
s_have_tool (const char *tool)
{
    char command[128];
    snprintf (command, sizeof command, "command -v %s >/dev/null 2>&1", tool);
    return system (command) == 0;
}

// ---------------------------------------------------------------------------
// TrueType text

#define S_KOREAN_TEMPLATE                                                      \
    "{\"fonts\": {\"korean\": {\"family\": \"NanumGothic\"}}, \"elements\": "  \
    "[{\"type\": \"text\", \"text\": \"{{customer}}\", \"x\": 50, \"y\": "     \
    "715, \"font\": \"korean\", \"size\": 12},"                                \
    " {\"type\": \"text\", \"text\": \"{{address}}\", \"x\": 545, \"y\": "     \
    "700, \"font\": \"korean\", \"size\": 10, \"align\": \"right\"}]}"

static void
test_render_draws_korean_in_an_embedded_truetype_subset (void **state)
{
    (void)state;
    char *path = s_render_file (S_KOREAN_TEMPLATE,
                                "[{\"customer\": \"황유진 고객님\", "
                                "\"address\": \"인천광역시 남동구 충장로 531, "
                                "9층\"}]",
                                1, 1);
    char *text = s_run ("pdftotext '%s' - 2>/dev/null", path);
    assert_non_null (strstr (text, "황유진 고객님"));
    assert_non_null (strstr (text, "인천광역시 남동구 충장로 531, 9층"));
    char *fonts = s_run ("pdffonts '%s' 2>/dev/null | grep NanumGothic", path);
    //  Embedded, as a subset: "<TAG>+NanumGothic CID TrueType ... yes yes".
    assert_non_null (strstr (fonts, "+NanumGothic"));
    assert_non_null (strstr (fonts, "CID TrueType"));
    assert_non_null (strstr (fonts, "yes yes yes"));
    size_t count;
    s_word_t *words = s_page_words (path, 1, &count);
    const s_word_t *name = s_find_word (words, count, "황유진", 0);
    s_assert_near (name->x_min, 50, 0.01, "the name's left edge");
    const s_word_t *floor = s_find_word (words, count, "9층", 0);
    s_assert_near (floor->x_max, 545, 0.05, "the address's right edge");
    free (words);
    unlink (path);
    free (fonts);
    free (text);
    free (path);
}

//  libharu's own ToUnicode map for UTF-8 text is a CID CMap, which poppler
//  refuses ("Syntax Warning: Invalid 'begincidrange' operator in ToUnicode
//  CMap"); the renderer replaces it with a valid one.
static void
test_render_writes_a_to_unicode_map_text_extracts_through (void **state)
{
    (void)state;
    char *path = s_render_file (S_KOREAN_TEMPLATE,
                                "[{\"customer\": \"황유진 고객님\", "
                                "\"address\": \"인천광역시 남동구 충장로 531, "
                                "9층 (A-1)\"}]",
                                1, 1);
    char *warnings = s_run ("pdftotext '%s' /dev/null 2>&1", path);
    assert_string_equal (warnings, "");
    char *text = s_run ("pdftotext '%s' - 2>/dev/null", path);
    assert_string_equal (text, "황유진 고객님\n인천광역시 남동구 충장로 531, "
                               "9층 (A-1)\n\n\f");
    //  Every two-byte code maps to the same code point, Hangul included.
    char *content = s_content (path);
    assert_null (strstr (content, "begincidrange"));
    assert_non_null (strstr (content, "/CMapName /Adobe-Identity-UCS def"));
    assert_non_null (strstr (content, "<AC00> <ACFF> <AC00>"));
    assert_null (strstr (content, "<D800>"));
    free (content);
    unlink (path);
    free (text);
    free (warnings);
    free (path);
}

static void
test_render_truetype_chunks_are_identical_when_rendered_again (void **state)
{
    (void)state;
    const char *records = "[{\"customer\": \"김민수\", \"address\": \"서울\"}]";
    rendering_t first = s_render_json (S_KOREAN_TEMPLATE, records, 1, 1);
    rendering_t again = s_render_json (S_KOREAN_TEMPLATE, records, 1, 1);
    assert_int_equal (first.rc, 0);
    assert_int_equal (again.rc, 0);
    assert_size_eq (zframe_size (first.pdf), zframe_size (again.pdf));
    assert_memory_equal (zframe_data (first.pdf), zframe_data (again.pdf),
                         zframe_size (first.pdf));
    zframe_destroy (&first.pdf);
    zframe_destroy (&again.pdf);
}

//  The same template as S_KOREAN_TEMPLATE, with the characters of both
//  records of the test below as the font's glyphs (what the ventilator
//  writes there).
#define S_KOREAN_GLYPHS_TEMPLATE                                               \
    "{\"fonts\": {\"korean\": {\"family\": \"NanumGothic\", \"glyphs\": "      \
    "\"김민수서울황유진부산\"}}, \"elements\": "                     \
    "[{\"type\": \"text\", \"text\": \"{{customer}}\", \"x\": 50, \"y\": "     \
    "715, \"font\": \"korean\", \"size\": 12},"                                \
    " {\"type\": \"text\", \"text\": \"{{address}}\", \"x\": 545, \"y\": "     \
    "700, \"font\": \"korean\", \"size\": 10, \"align\": \"right\"}]}"

//  SHA-256 of the raw (compressed) data of the file's FontFile2 stream,
//  and its BaseFont, one line each.
static char *
s_font_file (const char *path)
{
    return s_run ("f='%s'; obj=$(qpdf --json=1 --json-key=objects \"$f\" | "
                  "grep -o '\"/FontFile2\": \"[0-9]* 0 R' | grep -o "
                  "'[0-9]* 0 R' | cut -d' ' -f1); qpdf --show-object=$obj "
                  "--raw-stream-data \"$f\" | sha256sum; pdffonts \"$f\" "
                  "| grep -o '[A-Z]*+NanumGothic'",
                  path);
}

//  With the job's characters known (the font's glyphs), each document's
//  CIDToGIDMap is built from them alone: every one of them still draws,
//  with text that extracts, and pdftotext warns of nothing.
static void
test_render_with_glyphs_draws_and_extracts_every_character (void **state)
{
    (void)state;
    char *path = s_render_file (
        S_KOREAN_GLYPHS_TEMPLATE,
        "[{\"customer\": \"김민수\", \"address\": \"부산\"}]", 1, 1);
    char *text = s_pdf_text (path);
    if (!strstr (text, "김민수") || !strstr (text, "부산"))
        fail_msg ("pdftotext gave '%s'", text);
    if (strstr (text, "Warning") || strstr (text, "Error"))
        fail_msg ("pdftotext complained: '%s'", text);
    free (text);
    unlink (path);
    free (path);
}

//  The map made from the glyphs gives each character the glyph the font's
//  own map gives it: the page looks exactly as without glyphs.
static void
test_render_with_glyphs_draws_the_same_shapes (void **state)
{
    (void)state;
    const char *records = "[{\"customer\": \"김민수\", \"address\": "
                          "\"부산\"}]";
    char *paths[2] = {s_render_file (S_KOREAN_GLYPHS_TEMPLATE, records, 1, 1),
                      s_render_file (S_KOREAN_TEMPLATE, records, 1, 1)};
    char *pixels[2];
    for (int index = 0; index < 2; index++) {
        pixels[index] = s_run ("pdftoppm -r 100 -gray '%s' | sha256sum",
                               paths[index]);
        unlink (paths[index]);
        free (paths[index]);
    }
    assert_string_equal (pixels[0], pixels[1]);
    free (pixels[0]);
    free (pixels[1]);
}

//  A character the font has but the job's glyphs lack would map to no
//  glyph in a map made from the glyphs: refused, never drawn blank.
static void
test_render_refuses_a_character_outside_the_fonts_glyphs (void **state)
{
    (void)state;
    rendering_t rendering = s_render_json (
        S_KOREAN_GLYPHS_TEMPLATE,
        "[{\"customer\": \"박\", \"address\": \"서울\"}]", 1, 1);
    assert_int_equal (rendering.rc, -1);
    assert_null (rendering.pdf);
    if (!strstr (rendering.err.message, "U+BC15"))
        fail_msg ("%s: %s does not name U+BC15", rendering.err.field,
                  rendering.err.message);
    //  And the renderer goes on with the next chunk.
    rendering = s_render_json (
        S_KOREAN_GLYPHS_TEMPLATE,
        "[{\"customer\": \"황유진\", \"address\": \"서울\"}]", 1, 1);
    assert_int_equal (rendering.rc, 0);
    zframe_destroy (&rendering.pdf);
}

static void
test_render_embeds_the_same_font_subset_in_every_chunk_of_a_job (void **state)
{
    (void)state;
    const char *records[] = {
        "[{\"customer\": \"김민수\", \"address\": \"서울\"}]",
        "[{\"customer\": \"황유진\", \"address\": \"부산\"}]"};
    char *fonts[2];
    char *plain_fonts[2];
    for (int chunk = 0; chunk < 2; chunk++) {
        char *path =
            s_render_file (S_KOREAN_GLYPHS_TEMPLATE, records[chunk], 1, 1);
        fonts[chunk] = s_font_file (path);
        unlink (path);
        free (path);
        path = s_render_file (S_KOREAN_TEMPLATE, records[chunk], 1, 1);
        plain_fonts[chunk] = s_font_file (path);
        unlink (path);
        free (path);
    }
    assert_string_equal (fonts[0], fonts[1]);
    //  Without the glyphs, each chunk embeds what it draws.
    assert_string_not_equal (plain_fonts[0], plain_fonts[1]);
    //  A renderer that has loaded another font first (which libharu would
    //  have counted into the tag) embeds the same bytes under the same tag.
    render_t *shared = s_render;
    s_render = render_new ();
    char *path = s_render_file (
        "{\"fonts\": {\"sans\": {\"family\": \"DejaVu Sans\"}, \"korean\": "
        "{\"family\": \"NanumGothic\"}}, \"elements\": [{\"type\": \"text\", "
        "\"text\": \"x\", \"x\": 50, \"y\": 700, \"font\": \"sans\"}, "
        "{\"type\": \"text\", \"text\": \"김\", \"x\": 50, \"y\": 600, "
        "\"font\": \"korean\"}]}",
        "[{}]", 1, 1);
    unlink (path);
    free (path);
    path = s_render_file (S_KOREAN_GLYPHS_TEMPLATE, records[1], 1, 1);
    char *later_font = s_font_file (path);
    assert_string_equal (later_font, fonts[0]);
    render_destroy (&s_render);
    s_render = shared;
    unlink (path);
    free (path);
    free (later_font);
    for (int chunk = 0; chunk < 2; chunk++) {
        free (fonts[chunk]);
        free (plain_fonts[chunk]);
    }
}

static void
test_render_rejects_a_character_the_truetype_font_lacks (void **state)
{
    (void)state;
    rendering_t rendering =
        s_render_json (S_KOREAN_TEMPLATE,
                       "[{\"customer\": \"김\", \"address\": \"a\"}, "
                       "{\"customer\": \"김\", \"address\": \"ส\"}]",
                       3, 4);
    assert_int_equal (rendering.rc, -1);
    assert_string_equal (rendering.err.field, "records[3].address");
    assert_string_equal (rendering.err.message,
                         "field 'address' used by template.elements[1].text "
                         "contains 'ส' (U+0E2A), which the font 'korean' "
                         "(NanumGothic) does not have");
}

static void
test_render_wraps_text_in_a_box_with_an_ellipsis (void **state)
{
    (void)state;
    const char *template_json =
        "{\"elements\": [{\"type\": \"text\", \"text\": \"{{note}}\", \"x\": "
        "100, \"y\": 700, \"size\": 10, \"width\": 120, \"max_lines\": 3, "
        "\"line_height\": 14}]}";
    char *path = s_render_file (
        template_json,
        "[{\"note\": \"one two three four five six seven eight nine ten "
        "eleven twelve thirteen fourteen fifteen sixteen\"}]",
        1, 1);
    size_t count;
    s_word_t *words = s_page_words (path, 1, &count);
    double lines[8];
    int line_count = 0;
    for (size_t index = 0; index < count; index++) {
        if (words[index].x_max > 220.01)
            fail_msg ("'%s' ends at %.2f, beyond the box", words[index].text,
                      words[index].x_max);
        double baseline = s_baseline (&words[index], 10);
        if (line_count == 0 || baseline < lines[line_count - 1] - 1)
            lines[line_count++] = baseline;
    }
    assert_int_eq (line_count, 3);
    s_assert_near (lines[0], 700, 0.05, "line 1");
    s_assert_near (lines[1], 686, 0.05, "line 2");
    s_assert_near (lines[2], 672, 0.05, "line 3");
    //  The last word shown ends in an ellipsis.
    const char *last = words[count - 1].text;
    assert_true (strlen (last) >= 3);
    assert_string_equal (last + strlen (last) - 3, "\xe2\x80\xa6");
    free (words);
    unlink (path);
    free (path);
}

static void
test_render_applies_colour_and_character_spacing (void **state)
{
    (void)state;
    const char *template_json =
        "{\"elements\": [{\"type\": \"text\", \"text\": \"Wide\", \"x\": 50, "
        "\"y\": 700, \"size\": 10, \"color\": [1, 0, 0], \"char_spacing\": "
        "2.5}, {\"type\": \"text\", \"text\": \"Narrow\", \"x\": 50, \"y\": "
        "600, \"size\": 10}]}";
    char *path = s_render_file (template_json, "[{}]", 1, 1);
    char *content = s_content (path);
    assert_non_null (strstr (content, "1 0 0 rg"));
    assert_non_null (strstr (content, "2.5 Tc"));
    assert_non_null (strstr (content, "0 Tc"));
    size_t count;
    s_word_t *words = s_page_words (path, 1, &count);
    const s_word_t *wide = s_find_word (words, count, "Wide", 0);
    //  "Wide" in Helvetica 10 is 20.56 points, plus 3 gaps of 2.5.
    s_assert_near (wide->x_max - wide->x_min, 20.56 + 7.5, 2.6,
                   "the spaced word's width");
    free (words);
    free (content);
    unlink (path);
    free (path);
}

// ---------------------------------------------------------------------------
// Images, lines and rectangles

static void
test_render_places_a_png_once_per_chunk (void **state)
{
    (void)state;
    size_t png_size = 0;
    unsigned char *png = testimage_png (64, 32, PNG_FORMAT_RGBA, &png_size);
    char *logo = testimage_base64 (png, png_size);
    free (png);
    size_t size = strlen (logo) + 1024;
    char *template_json = malloc (size);
    assert_non_null (template_json);
    snprintf (template_json, size,
              "{\"template\": {\"elements\": ["
              "{\"type\": \"image\", \"asset\": \"logo\", \"x\": 450, \"y\": "
              "730, \"width\": 96, \"height\": 96},"
              "{\"type\": \"image\", \"asset\": \"logo\", \"x\": 50, \"y\": "
              "100, \"width\": 200, \"height\": 50, \"fit\": \"stretch\"}]}, "
              "\"assets\": {\"logo\": {\"type\": \"png\", \"data\": \"%s\"}}}",
              logo);
    char *path = s_render_file (template_json, "[{}, {}, {}]", 1, 3);
    //  Three pages, six placements, one image object with its soft mask.
    char *images = s_run ("pdfimages -list '%s' 2>/dev/null | awk 'NR > 2 && "
                          "$3 == \"image\" {print $11}' | sort -u | wc -l",
                          path);
    assert_string_equal (images, "1\n");
    char *masks =
        s_run ("pdfimages -list '%s' 2>/dev/null | grep -c smask", path);
    assert_string_equal (masks, "6\n");
    char *content = s_content (path);
    //  Contain: 64 x 32 in a 96 x 96 box is 96 x 48, centred.
    assert_non_null (strstr (content, "96 0 0 48 450 754 cm"));
    assert_non_null (strstr (content, "200 0 0 50 50 100 cm"));
    free (content);
    free (masks);
    free (images);
    unlink (path);
    free (path);
    free (template_json);
    free (logo);
}

static void
test_render_places_a_jpeg (void **state)
{
    (void)state;
    size_t size = 0;
    char *jpeg = testfile_read (TEST_SOURCE_DIR "/data/rgb-24x16.jpg", &size);
    char *base64 = testimage_base64 (jpeg, size);
    free (jpeg);
    char template_json[8192];
    snprintf (template_json, sizeof template_json,
              "{\"template\": {\"elements\": [{\"type\": \"image\", "
              "\"asset\": \"photo\", \"x\": 10, \"y\": 10, \"width\": 240, "
              "\"height\": 160}]}, \"assets\": {\"photo\": {\"type\": "
              "\"jpeg\", \"data\": \"%s\"}}}",
              base64);
    char *path = s_render_file (template_json, "[{}]", 1, 1);
    char *images = s_run ("pdfimages -list '%s' 2>/dev/null | awk 'NR > 2 "
                          "{print $4, $5, $9}'",
                          path);
    assert_string_equal (images, "24 16 jpeg\n");
    free (images);
    unlink (path);
    free (path);
    free (base64);
}

static void
test_render_draws_lines_and_rectangles (void **state)
{
    (void)state;
    const char *template_json =
        "{\"elements\": [{\"type\": \"line\", \"x\": 50, \"y\": 100, \"x2\": "
        "545, \"y2\": 100, \"line_width\": 0.5, \"color\": [0, 0, 1]},"
        " {\"type\": \"rect\", \"x\": 50, \"y\": 200, \"width\": 100, "
        "\"height\": 40},"
        " {\"type\": \"rect\", \"x\": 200, \"y\": 200, \"width\": 100, "
        "\"height\": 40, \"fill\": 0.85},"
        " {\"type\": \"rect\", \"x\": 350, \"y\": 200, \"width\": 100, "
        "\"height\": 40, \"fill\": [1, 1, 0], \"stroke\": 0, \"line_width\": "
        "2}]}";
    char *path = s_render_file (template_json, "[{}]", 1, 1);
    char *content = s_content (path);
    assert_non_null (strstr (content, "0.5 w"));
    assert_non_null (strstr (content, "0 0 1 RG"));
    assert_non_null (strstr (content, "50 100 m\n545 100 l\nS"));
    assert_non_null (strstr (content, "50 200 100 40 re\nS"));
    assert_non_null (strstr (content, "0.85 g\n200 200 100 40 re\nf"));
    assert_non_null (strstr (content, "350 200 100 40 re\nB"));
    free (content);
    unlink (path);
    free (path);
}

// ---------------------------------------------------------------------------
// Tables

#define S_TABLE_TEMPLATE                                                       \
    "{\"elements\": [{\"type\": \"table\", \"x\": 50, \"y\": 650, \"rows\": "  \
    "\"items\", \"row_height\": 18, \"baseline\": 5, \"max_rows\": 4, "        \
    "\"header_font\": \"Helvetica-Bold\", \"header_fill\": 0.85, \"grid\": "   \
    "0.5, \"columns\": ["                                                      \
    "{\"header\": \"Description\", \"value\": \"{{desc}}\", \"width\": "       \
    "280},"                                                                    \
    "{\"header\": \"Qty\", \"value\": \"{{qty}}\", \"width\": 60, \"align\": " \
    "\"right\", \"padding\": 10},"                                             \
    "{\"header\": \"Amount\", \"value\": \"{{qty * price | thousands}}\", "    \
    "\"width\": 70, \"align\": \"right\", \"padding\": 5}]}]}"

static void
test_render_draws_a_table_from_an_array (void **state)
{
    (void)state;
    char *path = s_render_file (
        S_TABLE_TEMPLATE,
        "[{\"items\": [{\"desc\": \"Lamp\", \"qty\": 2, \"price\": 1500}, "
        "{\"desc\": \"Cable\", \"qty\": 13, \"price\": 76057}]}]",
        1, 1);
    size_t count;
    s_word_t *words = s_page_words (path, 1, &count);
    const s_word_t *header = s_find_word (words, count, "Description", 0);
    s_assert_near (header->x_min, 54, 0.01, "Description's left edge");
    s_assert_near (s_baseline (header, 10), 637, 0.05, "the header baseline");
    const s_word_t *qty = s_find_word (words, count, "Qty", 0);
    s_assert_near (qty->x_max, 380, 0.05, "Qty's right edge");
    const s_word_t *lamp = s_find_word (words, count, "Lamp", 0);
    s_assert_near (s_baseline (lamp, 10), 619, 0.05, "row 1's baseline");
    //  The table is 410 points wide: the last column ends at 460.
    const s_word_t *amount = s_find_word (words, count, "988,741", 0);
    s_assert_near (amount->x_max, 455, 0.05, "the amount's right edge");
    s_assert_near (s_baseline (amount, 10), 601, 0.05, "row 2's baseline");
    free (words);
    char *content = s_content (path);
    //  The header's fill, then the grid: 4 rules across and 4 down.
    assert_non_null (strstr (content, "0.85 g\n50 632 410 18 re\nf"));
    assert_non_null (strstr (content, "50 650 m\n460 650 l"));
    assert_non_null (strstr (content, "50 596 m\n460 596 l"));
    assert_non_null (strstr (content, "460 650 m\n460 596 l"));
    free (content);
    unlink (path);
    free (path);
}

static void
test_render_rejects_rows_that_do_not_fit (void **state)
{
    (void)state;
    rendering_t rendering = s_render_json (
        S_TABLE_TEMPLATE,
        "[{\"items\": [{\"desc\": \"a\", \"qty\": 1, \"price\": 1}, {\"desc\": "
        "\"a\", \"qty\": 1, \"price\": 1}, {\"desc\": \"a\", \"qty\": 1, "
        "\"price\": 1}, {\"desc\": \"a\", \"qty\": 1, \"price\": 1}, "
        "{\"desc\": \"a\", \"qty\": 1, \"price\": 1}]}]",
        9, 9);
    assert_int_equal (rendering.rc, -1);
    assert_string_equal (rendering.err.field, "records[8].items");
    assert_string_equal (rendering.err.message,
                         "has 5 items, more than the 4 rows "
                         "template.elements[0].max_rows allows");
}

// ---------------------------------------------------------------------------
// Barcodes

//  What zbarimg reads on page 1 of the file rendered at 150 dpi, one
//  symbol a line; caller frees.
static char *
s_scan (const char *path)
{
    char *scan = s_run ("dir=$(mktemp -d) && pdftoppm -r 150 -f 1 -l 1 -png "
                        "'%s' \"$dir/p\" 2>/dev/null && (zbarimg --raw -q "
                        "\"$dir\"/p*.png 2>/dev/null | sort; true) && rm -rf "
                        "\"$dir\"",
                        path);
    return scan;
}

static void
test_render_draws_barcodes_that_scan (void **state)
{
    (void)state;
    if (!s_have_tool ("zbarimg")) {
        print_message ("SKIP: the barcodes were not scanned: zbarimg is not "
                       "installed (zbar-tools)\n");
        skip ();
    }
    const char *template_json =
        "{\"elements\": [{\"type\": \"barcode\", \"symbology\": \"qrcode\", "
        "\"ecc\": \"L\", \"data\": \"https://example.com/i/{{number}}\", "
        "\"x\": 50, \"y\": 60, \"width\": 80, \"height\": 80},"
        " {\"type\": \"barcode\", \"symbology\": \"code128\", \"data\": "
        "\"INV-{{number}}\", \"x\": 200, \"y\": 60, \"width\": 200, "
        "\"height\": 50}]}";
    char *path = s_render_file (template_json, "[{\"number\": 100001}]", 1, 1);
    char *scan = s_scan (path);
    assert_string_equal (scan, "INV-100001\nhttps://example.com/i/100001\n");
    free (scan);
    unlink (path);
    free (path);
}

static void
test_render_keeps_qr_modules_square_and_the_quiet_zone_inside (void **state)
{
    (void)state;
    const char *template_json =
        "{\"elements\": [{\"type\": \"barcode\", \"symbology\": \"qrcode\", "
        "\"ecc\": \"L\", \"data\": \"https://example.com/i/100001\", \"x\": "
        "50, \"y\": 60, \"width\": 160, \"height\": 80}]}";
    char *path = s_render_file (template_json, "[{}]", 1, 1);
    char *content = s_content (path);
    //  33 modules of 80/33 pt, centred: the symbol spans x = 90..170 and
    //  y = 60..140, drawn in modules (33 a side) scaled by 80/33; the
    //  finder pattern's top row, 7 modules wide, starts 4 modules in from
    //  the left and the top: at 4 across and 33 - 5 up.
    assert_non_null (strstr (content, "2.42424 0 0 2.42424 90 60 cm"));
    assert_non_null (strstr (content, "4 28 7 1 re"));
    free (content);
    unlink (path);
    free (path);
}

static void
test_render_reports_barcode_data_libzint_refuses (void **state)
{
    (void)state;
    const char *template_json =
        "{\"elements\": [{\"type\": \"barcode\", \"symbology\": \"code128\", "
        "\"data\": \"{{code}}\", \"x\": 0, \"y\": 0, \"width\": 100, "
        "\"height\": 30}]}";
    rendering_t rendering =
        s_render_json (template_json, "[{\"code\": \"코드\"}]", 1, 1);
    assert_int_equal (rendering.rc, -1);
    assert_string_equal (rendering.err.field, "records[0]");
    assert_non_null (strstr (rendering.err.message, "Code 128 cannot encode"));
}

// ---------------------------------------------------------------------------
// Document information and bookmarks

static void
test_render_sets_metadata_and_a_bookmark_per_page (void **state)
{
    (void)state;
    const char *template_json =
        "{\"metadata\": {\"title\": \"청구서 Invoices\", \"author\": \"ACME "
        "Ltd\", \"subject\": \"November\"}, \"bookmark\": \"Invoice "
        "{{number}} {{name}}\", \"elements\": []}";
    char *path = s_render_file (template_json,
                                "[{\"number\": 1, \"name\": \"김\"}, "
                                "{\"number\": 2, \"name\": \"Zoë\"}]",
                                1, 2);
    char *title = s_run ("pdfinfo '%s' | sed -n 's/^Title: *//p'", path);
    assert_string_equal (title, "청구서 Invoices\n");
    char *author = s_run ("pdfinfo '%s' | sed -n 's/^Author: *//p'", path);
    assert_string_equal (author, "ACME Ltd\n");
    char *subject = s_run ("pdfinfo '%s' | sed -n 's/^Subject: *//p'", path);
    assert_string_equal (subject, "November\n");
    char *outlines = s_run ("qpdf --json --json-key=outlines '%s'", path);
    char *first = strstr (outlines, "\"title\": \"Invoice 1 김\"");
    char *second = strstr (outlines, "\"title\": \"Invoice 2 Zoë\"");
    assert_non_null (first);
    assert_non_null (second);
    assert_true (first < second);
    assert_non_null (strstr (outlines, "\"destpageposfrom1\": 2"));
    free (outlines);
    free (subject);
    free (author);
    free (title);
    unlink (path);
    free (path);
}

// ---------------------------------------------------------------------------
// The invoice example (examples/invoice, ../shared/bench/INVOICE.md)

//  The invoice job as the worker receives it: the template text of
//  examples/invoice/template.json with its records from
//  tests/data/invoice-3.jsonl (gen_records.py 3).
static void
s_invoice (char **template_text, char **records_text, cJSON **records)
{
    char *document = testfile_read (
        PROJECT_SOURCE_DIR "/examples/invoice/template.json", NULL);
    cJSON *root = cJSON_Parse (document);
    assert_non_null (root);
    cJSON *wire = cJSON_CreateObject ();
    cJSON_AddItemReferenceToObject (wire, "template",
                                    cJSON_GetObjectItem (root, "template"));
    cJSON_AddItemReferenceToObject (wire, "assets",
                                    cJSON_GetObjectItem (root, "assets"));
    *template_text = cJSON_PrintUnformatted (wire);
    cJSON_Delete (wire);
    cJSON_Delete (root);
    free (document);
    FILE *file = fopen (TEST_SOURCE_DIR "/data/invoice-3.jsonl", "rb");
    assert_non_null (file);
    *records = cJSON_CreateArray ();
    char line[8192];
    while (fgets (line, sizeof line, file)) {
        cJSON *record = cJSON_Parse (line);
        assert_non_null (record);
        cJSON_AddItemToArray (*records, record);
    }
    fclose (file);
    assert_int_eq (cJSON_GetArraySize (*records), 3);
    *records_text = cJSON_PrintUnformatted (*records);
}

static void
test_render_draws_the_invoice_as_invoice_md_lays_it_out (void **state)
{
    (void)state;
    char *template_text, *records_text;
    cJSON *records;
    s_invoice (&template_text, &records_text, &records);
    char *path = s_render_file (template_text, records_text, 1, 3);
    char *pages = s_run ("qpdf --show-npages '%s'", path);
    assert_string_equal (pages, "3\n");
    for (int page = 1; page <= 3; page++) {
        const cJSON *record = cJSON_GetArrayItem (records, page - 1);
        size_t count;
        s_word_t *words = s_page_words (path, page, &count);
        //  Title: Helvetica-Bold 24 at (50, 780).
        const s_word_t *title = s_find_word (words, count, "INVOICE", 0);
        s_assert_near (title->x_min, 50, 0.01, "the title's x");
        s_assert_near (s_baseline (title, 24), 780, 0.05, "the title's y");
        //  "No. {number, 6 digits}   Date {date}": Helvetica 11 at (50, 758).
        const s_word_t *number = s_find_word (words, count, "No.", 0);
        s_assert_near (number->x_min, 50, 0.01, "No.'s x");
        s_assert_near (s_baseline (number, 11), 758, 0.05, "No.'s y");
        char digits[16];
        snprintf (digits, sizeof digits, "%06d",
                  cJSON_GetObjectItem (record, "number")->valueint);
        s_find_word (words, count, digits, 0);
        s_find_word (words, count, "2026-11-25", 0);
        //  Customer in NanumGothic 12 at (50, 715): its family name.
        char family[16];
        const char *customer =
            cJSON_GetObjectItem (record, "customer")->valuestring;
        snprintf (family, sizeof family, "%.*s",
                  (int)(strchr (customer, ' ') - customer), customer);
        const s_word_t *name = s_find_word (words, count, family, 0);
        s_assert_near (name->x_min, 50, 0.01, "the customer's x");
        //  NanumGothic's boxes reach lower than Helvetica's.
        s_assert_near (S_A4_HEIGHT - name->y_max, 715, 3.5, "the customer's y");
        //  Email: Helvetica 10 at (50, 686).
        const s_word_t *email =
            s_find_word (words, count,
                         cJSON_GetObjectItem (record, "email")->valuestring, 0);
        s_assert_near (s_baseline (email, 10), 686, 0.05, "the email's y");
        //  Header row: baseline 5 above its bottom edge, 650 - 18.
        const s_word_t *amount = s_find_word (words, count, "Amount", 0);
        s_assert_near (amount->x_max, 545, 0.05, "Amount's right edge");
        s_assert_near (s_baseline (amount, 10), 637, 0.05, "the header's y");
        s_assert_near (s_find_word (words, count, "Description", 0)->x_min, 54,
                       0.01, "Description's x");
        s_assert_near (s_find_word (words, count, "Qty", 0)->x_max, 380, 0.05,
                       "Qty's right edge");
        s_assert_near (s_find_word (words, count, "price", 0)->x_max, 470, 0.05,
                       "Unit price's right edge");
        //  Rows: amount = qty x unit_price with separators, right at 545.
        long total = 0;
        int row = 0;
        const cJSON *item;
        cJSON_ArrayForEach (item, cJSON_GetObjectItem (record, "items"))
        {
            long line_amount =
                (long)cJSON_GetObjectItem (item, "qty")->valueint *
                cJSON_GetObjectItem (item, "unit_price")->valueint;
            total += line_amount;
            char text[32];
            if (line_amount >= 1000000)
                snprintf (text, sizeof text, "%ld,%03ld,%03ld",
                          line_amount / 1000000, line_amount / 1000 % 1000,
                          line_amount % 1000);
            else if (line_amount >= 1000)
                snprintf (text, sizeof text, "%ld,%03ld", line_amount / 1000,
                          line_amount % 1000);
            else
                snprintf (text, sizeof text, "%ld", line_amount);
            //  The first word of this text at or below this row.
            double expected = 650 - 18 * (row + 2) + 5;
            int found = 0;
            for (int nth = 0; !found; nth++) {
                const s_word_t *word = s_find_word (words, count, text, nth);
                if (word->x_max > 544.9 && word->x_max < 545.1 &&
                    s_baseline (word, 10) > expected - 0.05 &&
                    s_baseline (word, 10) < expected + 0.05)
                    found = 1;
            }
            row++;
        }
        assert_int_equal (row, 15);
        //  Total: Helvetica-Bold 12, right edge 545, 20 below the table's
        //  bottom (650 - 16 x 18 = 362).
        char total_text[32];
        snprintf (total_text, sizeof total_text, "%ld,%03ld,%03ld",
                  total / 1000000, total / 1000 % 1000, total % 1000);
        const s_word_t *sum = s_find_word (words, count, total_text, 0);
        const s_word_t *krw = s_find_word (words, count, "KRW", 0);
        s_assert_near (krw->x_max, 545, 0.05, "the total's right edge");
        s_assert_near (s_baseline (sum, 12), 342, 0.05, "the total's y");
        //  Footer: "Page k of 3", Helvetica 9, centred on the page at y=30.
        const s_word_t *page_word = s_find_word (words, count, "Page", 0);
        const s_word_t *of_total = page_word + 3; // "Page", "k", "of", "3"
        assert_true ((size_t)(of_total - words) < count);
        assert_string_equal (of_total->text, "3");
        s_assert_near ((page_word->x_min + of_total->x_max) / 2, 297.64, 0.1,
                       "the footer's centre");
        s_assert_near (s_baseline (page_word, 9), 30, 0.05, "the footer's y");
        free (words);
    }
    //  The logo: one image on each page at (450, 730), 96 x 96.
    char *content = s_content (path);
    assert_non_null (strstr (content, "96 0 0 96 450 730 cm"));
    free (content);
    //  The QR code scans, or the test reports itself skipped (after the
    //  clean-up, which skip () would jump over).
    char *scan = s_have_tool ("zbarimg") ? s_scan (path) : NULL;
    unlink (path);
    free (pages);
    free (path);
    cJSON_Delete (records);
    free (records_text);
    free (template_text);
    if (!scan) {
        print_message ("SKIP: the invoice's QR code was not scanned: zbarimg "
                       "is not installed (zbar-tools)\n");
        skip ();
    }
    assert_string_equal (scan, "https://example.com/i/100001\n");
    free (scan);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_render_writes_one_page_per_record),
        cmocka_unit_test (test_render_sets_page_size_and_producer),
        cmocka_unit_test (test_render_compresses_page_content),
        cmocka_unit_test (test_render_aligns_text_right_and_center),
        cmocka_unit_test (test_render_draws_win_ansi_characters),
        cmocka_unit_test (test_render_uses_symbol_font_codes),
        cmocka_unit_test (test_render_rejects_character_outside_win_ansi),
        cmocka_unit_test (test_render_rejects_symbol_text_beyond_ascii),
        cmocka_unit_test (test_render_rejects_control_character),
        cmocka_unit_test (test_render_rejects_invalid_utf8),
        cmocka_unit_test (test_render_rejects_missing_field),
        cmocka_unit_test (test_render_rejects_empty_records),
        cmocka_unit_test (test_render_recovers_after_failure),
        cmocka_unit_test (test_render_keeps_nothing_of_one_chunk_in_the_next),
        cmocka_unit_test (test_render_renders_a_thousand_pages),
        cmocka_unit_test (
            test_render_draws_korean_in_an_embedded_truetype_subset),
        cmocka_unit_test (
            test_render_writes_a_to_unicode_map_text_extracts_through),
        cmocka_unit_test (
            test_render_truetype_chunks_are_identical_when_rendered_again),
        cmocka_unit_test (
            test_render_embeds_the_same_font_subset_in_every_chunk_of_a_job),
        cmocka_unit_test (
            test_render_with_glyphs_draws_and_extracts_every_character),
        cmocka_unit_test (
            test_render_refuses_a_character_outside_the_fonts_glyphs),
        cmocka_unit_test (test_render_with_glyphs_draws_the_same_shapes),
        cmocka_unit_test (
            test_render_rejects_a_character_the_truetype_font_lacks),
        cmocka_unit_test (test_render_wraps_text_in_a_box_with_an_ellipsis),
        cmocka_unit_test (test_render_applies_colour_and_character_spacing),
        cmocka_unit_test (test_render_places_a_png_once_per_chunk),
        cmocka_unit_test (test_render_places_a_jpeg),
        cmocka_unit_test (test_render_draws_lines_and_rectangles),
        cmocka_unit_test (test_render_draws_a_table_from_an_array),
        cmocka_unit_test (test_render_rejects_rows_that_do_not_fit),
        cmocka_unit_test (test_render_draws_barcodes_that_scan),
        cmocka_unit_test (
            test_render_keeps_qr_modules_square_and_the_quiet_zone_inside),
        cmocka_unit_test (test_render_reports_barcode_data_libzint_refuses),
        cmocka_unit_test (test_render_sets_metadata_and_a_bookmark_per_page),
        cmocka_unit_test (
            test_render_draws_the_invoice_as_invoice_md_lays_it_out),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
