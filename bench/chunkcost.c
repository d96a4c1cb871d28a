/*  chunkcost - what a worker pays per chunk before and beside drawing.

    usage: chunkcost JOB.json RECORDS.jsonl [ROUNDS [OUT.pdf]]

    Builds the template text a CHUNK carries for JOB.json (a job document
    without records, such as examples/invoice/template.json) and the
    records of RECORDS.jsonl (one JSON object a line, as gen_records.py
    writes them), as the ventilator would (jobspec: assets inlined, each
    TrueType font's "glyphs" set), then times, each ROUNDS times (default
    20) and averaged:

    - parse: template_parse_text on that text, what a worker without a
      template cache pays for every chunk (JSON, fonts found, each image
      decoded in full to be checked);
    - cache hit: tplcache_get of the same text once it is kept (SHA-256 of
      the text and a lookup), what a chunk of a job seen lately pays;
    - render: render_chunk of all the records as one chunk with one
      renderer, the libharu work the cache leaves (fonts are built per
      document, so their cost stays in every chunk).

    Prints one line per figure, and the size of the chunk's PDF, which
    OUT.pdf receives when given (to compare renders before and after a
    change). A benchmark, not a test: nothing passes or
    fails on time.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "jobspec.h"
#include "render.h"
#include "template.h"
#include "tplcache.h"

//  The whole file at path, NUL-terminated; exits on failure. Caller frees.
static char *
s_read (const char *path, size_t *size_p)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "chunkcost: cannot open %s\n", path);
        exit (1);
    }
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, 0, SEEK_SET);
    char *text = malloc ((size_t)size + 1);
    if (!text || fread (text, 1, (size_t)size, file) != (size_t)size) {
        fprintf (stderr, "chunkcost: cannot read %s\n", path);
        exit (1);
    }
    fclose (file);
    text[size] = '\0';
    if (size_p)
        *size_p = (size_t)size;
    return text;
}

//  JOB.json with its records member made of the lines of RECORDS.jsonl.
static char *
s_job (const char *job_path, const char *records_path)
{
    char *job = s_read (job_path, NULL);
    size_t records_size;
    char *lines = s_read (records_path, &records_size);
    char *end = strrchr (job, '}');
    if (!end) {
        fprintf (stderr, "chunkcost: %s is not a JSON object\n", job_path);
        exit (1);
    }
    *end = '\0';
    char *text = malloc (strlen (job) + records_size + 64);
    if (!text)
        exit (1);
    char *cursor = text + sprintf (text, "%s, \"records\": [", job);
    for (char *line = strtok (lines, "\n"); line; line = strtok (NULL, "\n"))
        cursor += sprintf (cursor, "%s,", line);
    strcpy (cursor - 1, "]}");
    free (job);
    free (lines);
    return text;
}

static double
s_ms_since (int64_t started_us)
{
    return (double)(zclock_usecs () - started_us) / 1000.0;
}

int
main (int argc, char *argv[])
{
    if (argc < 3) {
        fprintf (
            stderr,
            "usage: chunkcost JOB.json RECORDS.jsonl [ROUNDS [OUT.pdf]]\n");
        return 2;
    }
    int rounds = argc > 3 ? atoi (argv[3]) : 20;
    if (rounds < 1)
        rounds = 1;
    char *job = s_job (argv[1], argv[2]);
    fielderr_t err = {"", ""};
    jobspec_t *spec = jobspec_parse (job, strlen (job), &err);
    if (!spec) {
        fprintf (stderr, "chunkcost: %s: %s\n", err.field, err.message);
        return 1;
    }
    char *template_json = jobspec_template_json (spec);
    size_t template_size = strlen (template_json);
    char *records_json = jobspec_records_json (spec, 0, jobspec_pages (spec));
    cJSON *records = cJSON_Parse (records_json);
    printf ("template text   %zu bytes, %u records a chunk, %d rounds\n",
            template_size, (unsigned)jobspec_pages (spec), rounds);

    int64_t started = zclock_usecs ();
    for (int round = 0; round < rounds; round++) {
        template_t *tpl =
            template_parse_text (template_json, template_size, &err);
        if (!tpl) {
            fprintf (stderr, "chunkcost: %s: %s\n", err.field, err.message);
            return 1;
        }
        template_destroy (&tpl);
    }
    double parse_ms = s_ms_since (started) / rounds;

    tplcache_t *cache = tplcache_new (TPLCACHE_TEMPLATES, TPLCACHE_BYTES_MAX);
    const template_t *tpl =
        tplcache_get (cache, template_json, template_size, &err);
    started = zclock_usecs ();
    for (int round = 0; round < rounds; round++)
        tplcache_get (cache, template_json, template_size, &err);
    double hit_ms = s_ms_since (started) / rounds;

    render_t *render = render_new ();
    render_range_t range = {1, jobspec_pages (spec), 0};
    zframe_t *pdf = NULL;
    //  The first chunk also parses the TrueType files: not timed.
    if (render_chunk (render, tpl, records, &range, &pdf, &err)) {
        fprintf (stderr, "chunkcost: %s: %s\n", err.field, err.message);
        return 1;
    }
    size_t pdf_size = zframe_size (pdf);
    if (argc > 4) {
        FILE *out = fopen (argv[4], "wb");
        if (!out || fwrite (zframe_data (pdf), 1, pdf_size, out) != pdf_size ||
            fclose (out)) {
            fprintf (stderr, "chunkcost: cannot write %s\n", argv[4]);
            return 1;
        }
    }
    zframe_destroy (&pdf);
    started = zclock_usecs ();
    for (int round = 0; round < rounds; round++) {
        if (render_chunk (render, tpl, records, &range, &pdf, &err)) {
            fprintf (stderr, "chunkcost: %s: %s\n", err.field, err.message);
            return 1;
        }
        zframe_destroy (&pdf);
    }
    double render_ms = s_ms_since (started) / rounds;

    printf ("parse           %.3f ms a chunk\n", parse_ms);
    printf ("cache hit       %.3f ms a chunk\n", hit_ms);
    printf ("render          %.1f ms a chunk (%u pages)\n", render_ms,
            (unsigned)jobspec_pages (spec));
    printf ("chunk PDF       %zu bytes\n", pdf_size);
    printf ("saved           %.3f ms a chunk (%.1f%% of parse + render)\n",
            parse_ms - hit_ms,
            100.0 * (parse_ms - hit_ms) / (parse_ms + render_ms));

    render_destroy (&render);
    tplcache_destroy (&cache);
    cJSON_Delete (records);
    free (records_json);
    free (template_json);
    jobspec_destroy (&spec);
    free (job);
    return 0;
}
