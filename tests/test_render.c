/*  test_render - worker/render: chunk PDFs from a template and records.

    Checks the PDFs with the tools a reader would use: qpdf for structure
    and page count, pdftotext for the text and where it sits, pdfinfo for
    the document info. Each rendered chunk goes to a temporary file that the
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
    assert_int_equal (status, 0);
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
    assert_string_equal (rendering.err.field, "records[0]");
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
    assert_int_equal (zframe_size (first.pdf), zframe_size (again.pdf));
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
    assert_int_equal (zframe_size (reused.pdf), zframe_size (fresh.pdf));
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
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
