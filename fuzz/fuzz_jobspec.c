/*  fuzz_jobspec - libFuzzer target for the job document parser and
    validator (common/doc/jobspec, reading through common/doc/jobreader),
    the first thing a stranger's bytes reach.

    Any input must be accepted or refused without a crash, a hang or a
    leak. A refusal must name a reason; an accepted document must give a
    template text that the workers' parser accepts too (the ventilator
    ships that text, not the document) and record slices for every page.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fielderr.h"
#include "jobspec.h"
#include "template.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
const char *
__lsan_default_suppressions (void);

//  fontconfig (behind common/doc/fonts) keeps process-wide caches that only
//  FcFini frees; LeakSanitizer would report them on every font lookup.
//  Leaks of our own still show: their stacks start in our code.
const char *
__lsan_default_suppressions (void)
{
    return "leak:libfontconfig.so\n";
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fielderr_t err;
    memset (&err, 0, sizeof err);
    jobspec_t *spec = jobspec_parse ((const char *)data, size, &err);
    if (!spec) {
        if (!err.message[0]) {
            fprintf (stderr, "refused without a reason\n");
            abort ();
        }
        return 0;
    }
    char *template_json = jobspec_template_json (spec);
    if (!template_json)
        abort ();
    fielderr_t tpl_err;
    memset (&tpl_err, 0, sizeof tpl_err);
    template_t *tpl =
        template_parse_text (template_json, strlen (template_json), &tpl_err);
    if (!tpl) {
        fprintf (stderr, "the workers refuse the template text: %s: %s\n",
                 tpl_err.field, tpl_err.message);
        abort ();
    }
    template_destroy (&tpl);
    free (template_json);

    uint32_t pages = jobspec_pages (spec);
    uint32_t chunk_pages = jobspec_chunk_pages (spec);
    if (pages == 0 || chunk_pages == 0)
        abort ();
    //  The first and the last slice, as the ventilator stores them.
    uint32_t first_count = pages < chunk_pages ? pages : chunk_pages;
    char *records = jobspec_records_json (spec, 0, first_count);
    if (!records)
        abort ();
    free (records);
    uint32_t last_first = (pages - 1) / chunk_pages * chunk_pages;
    records = jobspec_records_json (spec, last_first, pages - last_first);
    if (!records)
        abort ();
    free (records);
    if (jobspec_records_json (spec, pages, 1))
        abort ();
    jobspec_destroy (&spec);
    return 0;
}
