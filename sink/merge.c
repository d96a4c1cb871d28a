/*  merge - joining a job's chunk PDFs into one document, with qpdf.

    Pages are appended with qpdf_add_page, which copies each page and what
    it refers to into the output document; stream data stays in the input
    until qpdf_write pulls it, which is why inputs are closed only after
    writing. In MERGE_SHARED mode the resources of each input's new pages
    are then shared with those before (merge_share.c).

    qpdf_add_page copies pages only, so the document information and the
    outlines (bookmarks) are carried over apart: the information strings
    here, from the first input, byte for byte; the outlines by
    merge_outline.c, each input's read right after its pages are added.

    Every qpdf_data is created with qpdf_silence_errors and suppressed
    warnings: errors are read with qpdf_get_error and become the error
    text, warnings are logged here.

    The module's other files share what they need through
    merge_internal.h; merge.h is its only public face.

    SPDX-License-Identifier: MPL-2.0
*/
#include "merge.h"

#include <assert.h>
#include <limits.h>
#include <czmq.h>
#include <errno.h>
#include <qpdf/qpdf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "log.h"
#include "merge_internal.h"

#define S_WARNINGS_LOGGED 10 // qpdf warnings logged per document

//  Document information carried from the first input into the output.
static const char *s_info_keys[] = {"/Title", "/Author", "/Subject", "/Creator",
                                    "/Producer"};

#define S_INFO_KEY_COUNT (sizeof (s_info_keys) / sizeof (s_info_keys[0]))

static qpdf_data
s_qpdf_new (void)
{
    qpdf_data qpdf = qpdf_init ();
    qpdf_silence_errors (qpdf);
    qpdf_set_suppress_warnings (qpdf, QPDF_TRUE);
    return qpdf;
}

void
merge_qpdf_error (qpdf_data qpdf, const char *context, char *error)
{
    if (qpdf_has_error (qpdf)) {
        qpdf_error failure = qpdf_get_error (qpdf);
        snprintf (error, MERGE_ERROR_MAX, "%s: %s", context,
                  qpdf_get_error_full_text (qpdf, failure));
    } else
        snprintf (error, MERGE_ERROR_MAX, "%s failed", context);
}

//  Log qpdf's warnings about the document called name, the first
//  S_WARNINGS_LOGGED of them one a line.
static void
s_log_warnings (qpdf_data qpdf, const char *name)
{
    size_t count = 0;
    while (qpdf_more_warnings (qpdf)) {
        qpdf_error warning = qpdf_next_warning (qpdf);
        if (count++ < S_WARNINGS_LOGGED)
            log_warning ("merge: %s: %s", name,
                         qpdf_get_error_full_text (qpdf, warning));
    }
    if (count > S_WARNINGS_LOGGED)
        log_warning ("merge: %s: %zu more qpdf warnings", name,
                     count - S_WARNINGS_LOGGED);
}

qpdf_oh
merge_dict_get (qpdf_data qpdf, qpdf_oh dict, const char *key)
{
    if (qpdf_oh_is_dictionary (qpdf, dict))
        return qpdf_oh_get_key (qpdf, dict, key);
    return qpdf_oh_new_null (qpdf);
}

//  Copy the document information strings of input (the first one) into
//  out, byte for byte. An input without them leaves out without /Info.
static int
s_copy_info (qpdf_data out, qpdf_data input, const char *path, char *error)
{
    qpdf_oh trailer = qpdf_get_trailer (input);
    qpdf_oh info = merge_dict_get (input, trailer, "/Info");
    qpdf_oh copy = qpdf_oh_new_dictionary (out);
    size_t copied = 0;
    for (size_t index = 0; index < S_INFO_KEY_COUNT; index++) {
        qpdf_oh value = merge_dict_get (input, info, s_info_keys[index]);
        if (qpdf_oh_is_string (input, value)) {
            size_t size = 0;
            const char *bytes =
                qpdf_oh_get_binary_string_value (input, value, &size);
            qpdf_oh_replace_key (out, copy, s_info_keys[index],
                                 qpdf_oh_new_binary_string (out, bytes, size));
            copied++;
        }
    }
    if (qpdf_has_error (input)) {
        qpdf_error failure = qpdf_get_error (input);
        log_warning ("merge: %s: reading the document information: %s", path,
                     qpdf_get_error_full_text (input, failure));
    }
    s_log_warnings (input, path);
    if (copied)
        qpdf_oh_replace_key (out, qpdf_get_trailer (out), "/Info",
                             qpdf_make_indirect_object (out, copy));
    qpdf_oh_release_all (input);
    qpdf_oh_release_all (out);
    if (qpdf_has_error (out)) {
        merge_qpdf_error (out, "copying the document information", error);
        return -1;
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Merging

//  Read input (the index-th of count), append its pages to out and its
//  outline items to outline; with a sharer, share their resources.
static int
s_append (qpdf_data out, qpdf_data input, const char *path, size_t index,
          size_t count, merge_sharer_t *sharer, merge_outline_t *outline,
          char *error)
{
    char context[64];
    snprintf (context, sizeof (context), "input %zu of %zu", index + 1, count);
    if (qpdf_read (input, path, NULL) & QPDF_ERRORS) {
        merge_qpdf_error (input, context, error);
        return -1;
    }
    if (qpdf_push_inherited_attributes_to_page (input) & QPDF_ERRORS) {
        merge_qpdf_error (input, context, error);
        return -1;
    }
    int pages = qpdf_get_num_pages (input);
    if (pages < 0) {
        merge_qpdf_error (input, context, error);
        return -1;
    }
    if (pages == 0) {
        snprintf (error, MERGE_ERROR_MAX, "%s: %s has no pages", context, path);
        return -1;
    }
    int first_new = qpdf_get_num_pages (out);
    for (int page_nbr = 0; page_nbr < pages; page_nbr++) {
        qpdf_oh page = qpdf_get_page_n (input, (size_t)page_nbr);
        if (qpdf_add_page (out, input, page, QPDF_FALSE) & QPDF_ERRORS) {
            merge_qpdf_error (out, context, error);
            return -1;
        }
    }
    merge_outline_read (outline, input, path, pages, first_new);
    if (sharer) {
        for (int page_nbr = first_new; page_nbr < first_new + pages; page_nbr++)
            merge_sharer_page (sharer, qpdf_get_page_n (out, (size_t)page_nbr));
        if (qpdf_has_error (out)) {
            merge_qpdf_error (out, context, error);
            return -1;
        }
    }
    s_log_warnings (input, path);
    s_log_warnings (out, context);
    //  Handles are only a table of references; the objects stay. Dropping
    //  them keeps that table from growing with every page.
    qpdf_oh_release_all (input);
    qpdf_oh_release_all (out);
    return 0;
}

static int
s_write (qpdf_data out, const char *path, char *error)
{
    if (qpdf_init_write (out, path) & QPDF_ERRORS) {
        merge_qpdf_error (out, "writing the merged document", error);
        return -1;
    }
    qpdf_set_object_stream_mode (out, qpdf_o_generate);
    if (qpdf_write (out) & QPDF_ERRORS) {
        merge_qpdf_error (out, "writing the merged document", error);
        return -1;
    }
    s_log_warnings (out, "output");
    return 0;
}

//  Merge at most MERGE_FANIN_MAX inputs. With durable, the result is
//  fsynced and so is the rename.
static int
s_merge (const char *const *paths, size_t count, uint32_t expected_pages,
         const char *out_path, merge_mode_t mode, bool durable, char *error)
{
    qpdf_data out = s_qpdf_new ();
    qpdf_data *inputs = calloc (count, sizeof (qpdf_data));
    merge_sharer_t *sharer = NULL;
    merge_outline_t *outline = merge_outline_new ();
    char *part_path = zsys_sprintf ("%s.part", out_path);
    int rc = -1;
    if (!inputs || !outline || !part_path) {
        snprintf (error, MERGE_ERROR_MAX, "out of memory");
        goto cleanup;
    }
    if (qpdf_empty_pdf (out) & QPDF_ERRORS) {
        merge_qpdf_error (out, "creating the merged document", error);
        goto cleanup;
    }
    if (mode == MERGE_SHARED) {
        sharer = merge_sharer_new (out);
        if (!sharer) {
            snprintf (error, MERGE_ERROR_MAX, "out of memory");
            goto cleanup;
        }
    }
    for (size_t index = 0; index < count; index++) {
        inputs[index] = s_qpdf_new ();
        if (s_append (out, inputs[index], paths[index], index, count, sharer,
                      outline, error) == -1)
            goto cleanup;
    }
    int pages = qpdf_get_num_pages (out);
    if (pages < 0) {
        merge_qpdf_error (out, "counting merged pages", error);
        goto cleanup;
    }
    if (expected_pages && (uint32_t)pages != expected_pages) {
        snprintf (error, MERGE_ERROR_MAX,
                  "merged document has %d pages, expected %u", pages,
                  expected_pages);
        goto cleanup;
    }
    if (s_copy_info (out, inputs[0], paths[0], error) == -1 ||
        merge_outline_write (outline, out, error) == -1 ||
        s_write (out, part_path, error) == -1)
        goto cleanup;
    if (durable) {
        char fsio_error[FSIO_ERROR_MAX];
        if (fsio_commit (part_path, out_path, fsio_error) == -1) {
            snprintf (error, MERGE_ERROR_MAX, "%s", fsio_error);
            goto cleanup;
        }
    } else if (rename (part_path, out_path) == -1) {
        snprintf (error, MERGE_ERROR_MAX, "cannot rename %s to %s: %s",
                  part_path, out_path, strerror (errno));
        goto cleanup;
    }
    log_debug ("merge: %zu inputs, %d pages, %zu outline items, %zu shared "
               "references",
               count, pages, merge_outline_items (outline),
               sharer ? merge_sharer_shared (sharer) : 0);
    rc = 0;

cleanup:
    if (rc == -1 && part_path)
        unlink (part_path);
    merge_outline_destroy (&outline);
    merge_sharer_destroy (&sharer);
    for (size_t index = 0; inputs && index < count; index++)
        if (inputs[index])
            qpdf_cleanup (&inputs[index]);
    free (inputs);
    qpdf_cleanup (&out);
    zstr_free (&part_path);
    return rc;
}

int
merge_files (const char *const *paths, size_t count, uint32_t expected_pages,
             const char *out_path, merge_mode_t mode, char *error)
{
    assert (paths);
    assert (out_path);
    assert (error);
    if (count == 0) {
        snprintf (error, MERGE_ERROR_MAX, "nothing to merge");
        return -1;
    }
    if (count <= MERGE_FANIN_MAX)
        return s_merge (paths, count, expected_pages, out_path, mode, true,
                        error);

    //  Too many inputs to keep open at once: merge groups into temporary
    //  files next to the output, then merge those.
    size_t groups = (count + MERGE_FANIN_MAX - 1) / MERGE_FANIN_MAX;
    char **group_paths = calloc (groups, sizeof (char *));
    int rc = -1;
    if (!group_paths) {
        snprintf (error, MERGE_ERROR_MAX, "out of memory");
        return -1;
    }
    for (size_t group = 0; group < groups; group++) {
        size_t first = group * MERGE_FANIN_MAX;
        size_t size =
            count - first < MERGE_FANIN_MAX ? count - first : MERGE_FANIN_MAX;
        group_paths[group] = zsys_sprintf ("%s.group-%zu", out_path, group);
        if (!group_paths[group]) {
            snprintf (error, MERGE_ERROR_MAX, "out of memory");
            goto cleanup;
        }
        if (s_merge (paths + first, size, 0, group_paths[group], mode, false,
                     error) == -1)
            goto cleanup;
    }
    rc = merge_files ((const char *const *)group_paths, groups, expected_pages,
                      out_path, mode, error);

cleanup:
    for (size_t group = 0; group < groups; group++) {
        if (group_paths[group])
            unlink (group_paths[group]);
        zstr_free (&group_paths[group]);
    }
    free (group_paths);
    return rc;
}

int
merge_count_pages (const void *pdf, size_t size, uint32_t *pages, char *error)
{
    assert (pdf || size == 0);
    assert (pages);
    assert (error);
    qpdf_data qpdf = s_qpdf_new ();
    int rc = -1;
    int count = -1;
    if (qpdf_read_memory (qpdf, "chunk", pdf, size, NULL) & QPDF_ERRORS) {
        merge_qpdf_error (qpdf, "not a readable PDF", error);
        goto cleanup;
    }
    //  The page tree's root says how many pages it holds: reading that
    //  resolves two objects, where walking the tree resolves every page
    //  (about 6x the time). The appender walks it, and checks the count.
    qpdf_oh root = qpdf_get_root (qpdf);
    qpdf_oh tree = merge_dict_get (qpdf, root, "/Pages");
    qpdf_oh total = merge_dict_get (qpdf, tree, "/Count");
    if (qpdf_oh_is_integer (qpdf, total) &&
        qpdf_oh_get_int_value (qpdf, total) >= 0 &&
        qpdf_oh_get_int_value (qpdf, total) <= INT_MAX)
        count = (int)qpdf_oh_get_int_value (qpdf, total);
    if (count < 0) {
        merge_qpdf_error (qpdf, "cannot count pages", error);
        goto cleanup;
    }
    //  qpdf warns when it had to repair the file: a chunk as our workers
    //  write it never needs that, so it was damaged on the way.
    if (qpdf_more_warnings (qpdf)) {
        qpdf_error warning = qpdf_next_warning (qpdf);
        snprintf (error, MERGE_ERROR_MAX, "damaged PDF: %s",
                  qpdf_get_error_full_text (qpdf, warning));
        goto cleanup;
    }
    *pages = (uint32_t)count;
    rc = 0;

cleanup:
    qpdf_cleanup (&qpdf);
    return rc;
}
