/*  appendcost - what the sink pays per chunk to check and append it.

    usage: appendcost OUT.pdf CHUNK.pdf...

    Times, for the chunk PDFs given (as workers write them, in page
    order), what the sink does with each: merge_count_pages on the
    chunk's bytes (the collector's check of a chunk that arrives) and
    pdfappend_add (the finisher's append), then pdfappend_finish. Prints
    the CPU time (user and system, getrusage) of each phase in all and
    per page. A benchmark, not a test: nothing passes or fails on time.

    SPDX-License-Identifier: MPL-2.0
*/
#include <stdio.h>
#include <sys/resource.h>

#include <czmq.h>

#include "merge.h"
#include "pdfappend.h"

//  CPU seconds of this process so far.
static double
s_cpu (void)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
           (double)usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

int
main (int argc, char *argv[])
{
    if (argc < 3) {
        fprintf (stderr, "usage: appendcost OUT.pdf CHUNK.pdf...\n");
        return 2;
    }
    char error[PDFAPPEND_ERROR_MAX];
    pdfappend_t *doc = pdfappend_new (argv[1], error);
    if (!doc) {
        fprintf (stderr, "appendcost: %s\n", error);
        return 1;
    }
    double count_s = 0, append_s = 0;
    uint64_t pages = 0;
    for (int arg = 2; arg < argc; arg++) {
        zchunk_t *data = zchunk_slurp (argv[arg], 0);
        if (!data) {
            fprintf (stderr, "appendcost: cannot read %s\n", argv[arg]);
            return 1;
        }
        uint32_t chunk_pages;
        char merge_error[MERGE_ERROR_MAX];
        double start = s_cpu ();
        if (merge_count_pages (zchunk_data (data), zchunk_size (data),
                               &chunk_pages, merge_error) == -1) {
            fprintf (stderr, "appendcost: %s: %s\n", argv[arg], merge_error);
            return 1;
        }
        count_s += s_cpu () - start;
        zchunk_destroy (&data);
        pages += chunk_pages;
        start = s_cpu ();
        if (pdfappend_add (doc, argv[arg], 0, error) == -1) {
            fprintf (stderr, "appendcost: %s\n", error);
            return 1;
        }
        append_s += s_cpu () - start;
    }
    double start = s_cpu ();
    if (pdfappend_finish (doc, 0, error) == -1) {
        fprintf (stderr, "appendcost: %s\n", error);
        return 1;
    }
    double finish_s = s_cpu () - start;
    printf ("%d chunks, %llu pages, %llu bytes\n", argc - 2,
            (unsigned long long)pages,
            (unsigned long long)pdfappend_bytes_final (doc));
    printf ("count pages (collector)  %.3f s, %.1f us a page\n", count_s,
            count_s * 1e6 / (double)pages);
    printf ("append (finisher)        %.3f s, %.1f us a page\n", append_s,
            append_s * 1e6 / (double)pages);
    printf ("finish                   %.3f s\n", finish_s);
    pdfappend_destroy (&doc);
    return 0;
}
