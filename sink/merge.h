/*  merge - joining a job's chunk PDFs into one document, with qpdf.

    The only module that sees qpdf (its C API). It reads chunk files,
    appends their pages in the order given, checks the page count, and
    writes the result to a temporary name that it fsyncs and renames into
    place. qpdf errors and warnings become an error text or warning lines;
    no qpdf type or code leaves this module.

    The result keeps the first chunk's document information (title,
    author, subject, creator, producer) and every chunk's outline
    (bookmarks), in order and nesting, each item pointing at its page's
    place in the result. A bad outline item in a chunk is logged and left
    out; it never fails the merge.

    Sharing: every chunk carries its own copy of each font, image, colour
    space and so on. In MERGE_SHARED mode every object reachable from a
    page's /Resources is reduced to one copy per distinct content: streams
    are compared by dictionary, SHA-1 of the raw data and, on a match,
    byte for byte; other objects by their text once their children are
    shared. Page content streams are never compared (they differ).

    Memory grows with the total number of pages and outline items (qpdf
    keeps every object until it writes), and qpdf reads stream data from
    the chunk files only while writing, so every input stays open until
    then. At most MERGE_FANIN_MAX inputs are open at once: longer lists are
    merged in groups into temporary files first.

    Threads: each call has its own qpdf objects, so calls on different
    threads are independent.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_MERGE_H
#define PDFPIPE_MERGE_H

#include <stddef.h>
#include <stdint.h>

#define MERGE_ERROR_MAX 1024 // size of an error text buffer
//  Inputs open at once. The soft file limit is often 1024; stay well under
//  it with room for sockets and logs.
#define MERGE_FANIN_MAX 500

typedef enum {
    MERGE_PLAIN,  // copy every chunk's resources as they are
    MERGE_SHARED, // keep one copy of identical resources
} merge_mode_t;

//  Merge the PDF files paths[0..count-1], in that order, into out_path.
//  When expected_pages is not 0 the result must have exactly that many
//  pages. Writes out_path.part first, then fsyncs and renames it, so
//  out_path is either complete or untouched. Returns -1 and fills error
//  (MERGE_ERROR_MAX bytes, naming the file at fault) when an input cannot
//  be read, the page count is wrong, or the output cannot be written.
int
merge_files (const char *const *paths, size_t count, uint32_t expected_pages,
             const char *out_path, merge_mode_t mode, char *error);

//  Count the pages of a PDF held in memory, as the root of its page tree
//  says (/Count): the tree itself is not walked, so a chunk whose count
//  lies passes here and is refused when its pages are copied
//  (sink/pdfappend checks the count it is given). Returns -1 and fills
//  error when it is not a readable PDF, has no page count, or qpdf had to
//  repair it (the error is then its first warning). Logs nothing: the
//  caller knows which chunk it was.
int
merge_count_pages (const void *pdf, size_t size, uint32_t *pages, char *error);

#endif
