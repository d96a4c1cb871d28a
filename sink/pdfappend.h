/*  pdfappend - writing a job's merged PDF one chunk at a time.

    Owns one output document while it is being written. Each chunk PDF is
    read with qpdf, its pages and everything they reach (content streams,
    resources, fonts, images, annotations) are written to the output at
    once under new object numbers, and the chunk is dropped before the
    next one: memory holds one chunk's objects at a time, never the
    output's. Stream data is copied as it is in the chunk (filters and
    all), never decoded or recompressed; the other objects are packed
    into compressed object streams, and the cross-reference table is a
    compressed stream too (PDF 1.5 and later).

    Sharing: objects below a page's /Resources (fonts, font files,
    CIDToGIDMap and ToUnicode streams, images, colour spaces, forms) are
    written once per distinct content and referenced thereafter. A stream
    is known by its dictionary's text and the SHA-256 of its raw data,
    anything else by its text once its own children have their output
    numbers; the index holds 32 bytes of digest and a number per distinct
    object written. Page content streams and annotations are not compared.

    What stays in memory as the document grows: that index, one object
    number (4 bytes) per page and per 32 pages for the page tree. Byte
    offsets of objects go to a scratch file, and so do bookmarks
    (outline items), both next to the output and unlinked at once.

    The output is append-only: bytes once written never change, so
    pdfappend_bytes_final tells how much of it may already be sent
    elsewhere (say, as parts of an upload). It is written as
    out_path.part and renamed to out_path only when complete and
    fsynced. Bookmarks and document information follow sink/merge: the
    first chunk's information strings, and every chunk's outline items in
    order and nesting, pointing at their page's place in the output; bad
    items are logged and left out.

    Checkpoints: each append also makes a journal record of what it
    added (its objects' cross-reference entries, pages, page-tree leaves,
    shared resources, outline items and the output's length), kept in
    memory until pdfappend_checkpoint fsyncs the output and then appends
    the records to out_path.journal and fsyncs it. pdfappend_resume
    replays the journal to take the document up again after a crash, as
    if the appends since the last checkpoint had never happened; the
    document it then writes is byte for byte the one an unbroken run
    writes. The records cost about 8 bytes per object and 36 per shared
    resource, so a caller checkpoints every few chunks.

    A chunk that qpdf could read only by repairing it is refused. Errors
    from qpdf and the system become an error text naming the file;
    no qpdf type or exception leaves this module. A failed pdfappend_add
    leaves the document as it was before it, so the chunk may be tried
    again. Not thread-safe: one pdfappend_t per thread.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_PDFAPPEND_H
#define PDFPIPE_PDFAPPEND_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PDFAPPEND_ERROR_MAX 1024 // size of an error text buffer

typedef struct _pdfappend_t pdfappend_t;

//  Start a document at out_path: create out_path.part (replacing one left
//  by an earlier attempt, and removing its journal) and write the PDF
//  header. Returns NULL and fills
//  error (PDFAPPEND_ERROR_MAX bytes) when a file cannot be created. Caller
//  owns the result.
pdfappend_t *
pdfappend_new (const char *out_path, char *error);

//  Free everything, and remove out_path.part and out_path.journal unless
//  the document was finished or has a checkpoint (which is kept for
//  pdfappend_resume until its owner removes it). Nothing on NULL or twice.
void
pdfappend_destroy (pdfappend_t **self_p);

//  Append the pages of the PDF file chunk_path, with what they use, its
//  outline items and (first chunk only) its document information.
//  Returns 0 when every page is written. Returns -1 and fills error,
//  naming chunk_path, when it cannot be read, has no pages, has not
//  expected_pages pages (when that is not 0) or the output cannot be
//  written; the document is then as it was before the call
//  (later calls still work) unless the output itself failed, in which
//  case every later call fails too.
int
pdfappend_add (pdfappend_t *self, const char *chunk_path,
               uint32_t expected_pages, char *error);

//  Write the page tree, outline, document information, catalog, cross-
//  reference table and trailer, fsync out_path.part and rename it to
//  out_path. When expected_pages is not 0 the document must have exactly
//  that many pages: otherwise returns -1 and fills error, writes nothing,
//  and more chunks may still be added. Also -1 when nothing was appended
//  or the output cannot be written; out_path is then untouched.
int
pdfappend_finish (pdfappend_t *self, uint32_t expected_pages, char *error);

//  Pages appended so far.
uint32_t
pdfappend_pages (const pdfappend_t *self);

//  How many leading bytes of the output file are written and will never
//  change again: everything appended by the last successful call. After
//  pdfappend_finish, the whole file.
uint64_t
pdfappend_bytes_final (const pdfappend_t *self);

//  Make every chunk appended so far durable as a checkpoint: fsync
//  out_path.part, then add one record per chunk since the last checkpoint
//  to out_path.journal and fsync it. Once it returns 0, those chunks'
//  files may be deleted: pdfappend_resume takes the document up again
//  after them. Returns -1 and fills error when a file cannot be written;
//  every later call fails then.
int
pdfappend_checkpoint (pdfappend_t *self, char *error);

//  Take up the document at out_path from its last checkpoint, after a
//  crash or a restart: replay out_path.journal up to its last complete
//  record (a torn tail is ignored and cut off), cut out_path.part back to
//  the bytes that record names, and rebuild the index, so the next chunk
//  appended is the one after the checkpoint. An output finished but not
//  yet removed (out_path) is taken back as out_path.part. Returns NULL and
//  fills error when it cannot: *found is false when there is no journal
//  or no complete record in it (start again with pdfappend_new), true
//  when the journal and the output do not match (a damaged record, an
//  output shorter than recorded): the chunks it covered must be appended
//  again, or the job fails. Nothing is removed then. Caller owns the
//  result.
pdfappend_t *
pdfappend_resume (const char *out_path, bool *found, char *error);

//  Chunks appended so far, and those the last checkpoint covers.
uint32_t
pdfappend_chunks (const pdfappend_t *self);
uint32_t
pdfappend_checkpointed (const pdfappend_t *self);

//  Bytes of output appended since the last checkpoint.
uint64_t
pdfappend_pending_bytes (const pdfappend_t *self);

#ifdef __cplusplus
}
#endif

#endif
