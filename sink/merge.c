/*  merge - joining a job's chunk PDFs into one document, with qpdf.

    Pages are appended with qpdf_add_page, which copies each page and what
    it refers to into the output document; stream data stays in the input
    until qpdf_write pulls it, which is why inputs are closed only after
    writing. Sharing then runs over the new pages of each input: every
    indirect object below /Resources gets an identity text, the first
    object with a given identity is kept, and references to later ones are
    pointed at it. Objects nobody refers to any more are not written
    (qpdf writes only what is reachable from the trailer).

    Every qpdf_data is created with qpdf_silence_errors and suppressed
    warnings: errors are read with qpdf_get_error and become the error
    text, warnings are logged here.

    SPDX-License-Identifier: MPL-2.0
*/
#include "merge.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <qpdf/qpdf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "log.h"

//  Nesting followed below a page's /Resources. Real resources nest a few
//  levels (font, descendant font, descriptor, font file); the bound keeps
//  a hostile chunk from exhausting the stack.
#define S_DEPTH_MAX 32
#define S_WARNINGS_LOGGED 10 // qpdf warnings logged per document

typedef struct {
    int objid;
    int generation;
} s_ref_t;

//  State of MERGE_SHARED over one output document.
typedef struct {
    qpdf_data out;
    zhashx_t *seen; // "objid gen" of a visited object -> s_ref_t to use
    zhashx_t *kept; // identity text -> s_ref_t of the first such object
    size_t shared;  // references pointed at an earlier copy
} s_sharer_t;

static void
s_ref_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

static s_ref_t *
s_ref_new (int objid, int generation)
{
    s_ref_t *ref = malloc (sizeof (s_ref_t));
    if (ref) {
        ref->objid = objid;
        ref->generation = generation;
    }
    return ref;
}

static qpdf_data
s_qpdf_new (void)
{
    qpdf_data qpdf = qpdf_init ();
    qpdf_silence_errors (qpdf);
    qpdf_set_suppress_warnings (qpdf, QPDF_TRUE);
    return qpdf;
}

//  Fill error with "context: <qpdf's text>", or "context failed" when qpdf
//  recorded no error. Reading the error also clears it.
static void
s_error (qpdf_data qpdf, const char *context, char *error)
{
    if (qpdf_has_error (qpdf)) {
        qpdf_error failure = qpdf_get_error (qpdf);
        snprintf (error, MERGE_ERROR_MAX, "%s: %s", context,
                  qpdf_get_error_full_text (qpdf, failure));
    } else
        snprintf (error, MERGE_ERROR_MAX, "%s failed", context);
}

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

//  ---------------------------------------------------------------------
//  Sharing identical resources

static s_sharer_t *
s_sharer_new (qpdf_data out)
{
    s_sharer_t *self = calloc (1, sizeof (s_sharer_t));
    if (!self)
        return NULL;
    self->out = out;
    self->seen = zhashx_new ();
    self->kept = zhashx_new ();
    zhashx_set_destructor (self->seen, s_ref_free);
    zhashx_set_destructor (self->kept, s_ref_free);
    return self;
}

static void
s_sharer_destroy (s_sharer_t **self_p)
{
    s_sharer_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->seen);
    zhashx_destroy (&self->kept);
    free (self);
    *self_p = NULL;
}

static zlist_t *
s_dict_keys (qpdf_data qpdf, qpdf_oh dict)
{
    //  The C API iterates one dictionary at a time, and the caller recurses
    //  into the values: take the keys first.
    zlist_t *keys = zlist_new ();
    zlist_autofree (keys);
    qpdf_oh_begin_dict_key_iter (qpdf, dict);
    while (qpdf_oh_dict_more_keys (qpdf))
        zlist_append (keys, (void *)qpdf_oh_dict_next_key (qpdf));
    return keys;
}

static bool
s_share_value (s_sharer_t *self, qpdf_oh value, int depth,
               qpdf_oh *replacement);

static void
s_share_children (s_sharer_t *self, qpdf_oh container, int depth)
{
    qpdf_data qpdf = self->out;
    if (depth > S_DEPTH_MAX)
        return;
    qpdf_oh replacement;
    if (qpdf_oh_is_dictionary (qpdf, container)) {
        zlist_t *keys = s_dict_keys (qpdf, container);
        for (const char *key = zlist_first (keys); key;
             key = zlist_next (keys)) {
            //  /Parent leads up into the page tree, never to a resource.
            if (streq (key, "/Parent"))
                continue;
            qpdf_oh child = qpdf_oh_get_key (qpdf, container, key);
            if (s_share_value (self, child, depth, &replacement))
                qpdf_oh_replace_key (qpdf, container, key, replacement);
        }
        zlist_destroy (&keys);
    } else if (qpdf_oh_is_array (qpdf, container)) {
        int items = qpdf_oh_get_array_n_items (qpdf, container);
        for (int index = 0; index < items; index++) {
            qpdf_oh child = qpdf_oh_get_array_item (qpdf, container, index);
            if (s_share_value (self, child, depth, &replacement))
                qpdf_oh_set_array_item (qpdf, container, index, replacement);
        }
    }
}

//  The text that decides whether two objects are the same: the type, then
//  for a stream its raw data's size and SHA-1 plus its dictionary, for
//  anything else its text. Children are shared first, so equal children
//  are the same reference and print the same. For a stream, also hands
//  back its raw data (caller frees). Returns NULL when the stream cannot be
//  read; writing will then report it.
static char *
s_identity (s_sharer_t *self, qpdf_oh object, int depth, unsigned char **data_p,
            size_t *size_p)
{
    qpdf_data qpdf = self->out;
    enum qpdf_object_type_e type = qpdf_oh_get_type_code (qpdf, object);
    if (type != ot_stream) {
        if (type == ot_dictionary || type == ot_array)
            s_share_children (self, object, depth + 1);
        return zsys_sprintf ("%d %s", (int)type,
                             qpdf_oh_unparse_resolved (qpdf, object));
    }
    qpdf_oh dict = qpdf_oh_get_dict (qpdf, object);
    s_share_children (self, dict, depth + 1);
    if (qpdf_oh_get_stream_data (qpdf, object, qpdf_dl_none, NULL, data_p,
                                 size_p) &
        QPDF_ERRORS) {
        qpdf_get_error (qpdf);
        *data_p = NULL;
        return NULL;
    }
    zdigest_t *digest = zdigest_new ();
    zdigest_update (digest, *data_p, *size_p);
    char *identity =
        zsys_sprintf ("%d %zu %s %s", (int)type, *size_p,
                      zdigest_string (digest), qpdf_oh_unparse (qpdf, dict));
    zdigest_destroy (&digest);
    return identity;
}

//  A digest match is not proof: compare the bytes before sharing.
static bool
s_same_stream_data (s_sharer_t *self, const s_ref_t *kept,
                    const unsigned char *data, size_t size)
{
    qpdf_data qpdf = self->out;
    qpdf_oh kept_oh =
        qpdf_get_object_by_id (qpdf, kept->objid, kept->generation);
    unsigned char *kept_data = NULL;
    size_t kept_size = 0;
    if (qpdf_oh_get_stream_data (qpdf, kept_oh, qpdf_dl_none, NULL, &kept_data,
                                 &kept_size) &
        QPDF_ERRORS) {
        qpdf_get_error (qpdf);
        return false;
    }
    bool same = kept_size == size && memcmp (kept_data, data, size) == 0;
    free (kept_data);
    return same;
}

//  The object to use in place of the indirect object: an earlier object
//  with the same identity, or the object itself.
static qpdf_oh
s_share_indirect (s_sharer_t *self, qpdf_oh object, int depth)
{
    qpdf_data qpdf = self->out;
    int objid = qpdf_oh_get_object_id (qpdf, object);
    int generation = qpdf_oh_get_generation (qpdf, object);
    char ref_key[32];
    snprintf (ref_key, sizeof (ref_key), "%d %d", objid, generation);
    const s_ref_t *known = zhashx_lookup (self->seen, ref_key);
    if (known)
        return qpdf_get_object_by_id (qpdf, known->objid, known->generation);
    //  Recorded as itself before looking inside: a reference cycle back to
    //  this object then stays as it is.
    zhashx_insert (self->seen, ref_key, s_ref_new (objid, generation));
    if (depth > S_DEPTH_MAX ||
        qpdf_oh_is_dictionary_of_type (qpdf, object, "/Page", "") ||
        qpdf_oh_is_dictionary_of_type (qpdf, object, "/Pages", ""))
        return object;

    unsigned char *data = NULL;
    size_t size = 0;
    char *identity = s_identity (self, object, depth, &data, &size);
    if (!identity)
        return object;
    qpdf_oh result = object;
    const s_ref_t *kept = zhashx_lookup (self->kept, identity);
    if (!kept)
        zhashx_insert (self->kept, identity, s_ref_new (objid, generation));
    else if (!data || s_same_stream_data (self, kept, data, size)) {
        result = qpdf_get_object_by_id (qpdf, kept->objid, kept->generation);
        zhashx_update (self->seen, ref_key,
                       s_ref_new (kept->objid, kept->generation));
        self->shared++;
    }
    free (data);
    zstr_free (&identity);
    return result;
}

//  True, with *replacement set, when value is a reference to an object
//  that an earlier copy replaces. Direct containers are shared in place.
static bool
s_share_value (s_sharer_t *self, qpdf_oh value, int depth, qpdf_oh *replacement)
{
    qpdf_data qpdf = self->out;
    if (qpdf_oh_is_indirect (qpdf, value)) {
        qpdf_oh kept = s_share_indirect (self, value, depth + 1);
        if (qpdf_oh_get_object_id (qpdf, kept) ==
                qpdf_oh_get_object_id (qpdf, value) &&
            qpdf_oh_get_generation (qpdf, kept) ==
                qpdf_oh_get_generation (qpdf, value))
            return false;
        *replacement = kept;
        return true;
    }
    if (qpdf_oh_is_dictionary (qpdf, value) || qpdf_oh_is_array (qpdf, value))
        s_share_children (self, value, depth + 1);
    return false;
}

static void
s_share_page (s_sharer_t *self, qpdf_oh page)
{
    qpdf_data qpdf = self->out;
    if (!qpdf_oh_has_key (qpdf, page, "/Resources"))
        return;
    qpdf_oh resources = qpdf_oh_get_key (qpdf, page, "/Resources");
    qpdf_oh replacement;
    if (s_share_value (self, resources, 0, &replacement))
        qpdf_oh_replace_key (qpdf, page, "/Resources", replacement);
}

//  ---------------------------------------------------------------------
//  Merging

//  Read input (the index-th of count) and append its pages to out.
static int
s_append (qpdf_data out, qpdf_data input, const char *path, size_t index,
          size_t count, s_sharer_t *sharer, char *error)
{
    char context[64];
    snprintf (context, sizeof (context), "input %zu of %zu", index + 1, count);
    if (qpdf_read (input, path, NULL) & QPDF_ERRORS) {
        s_error (input, context, error);
        return -1;
    }
    if (qpdf_push_inherited_attributes_to_page (input) & QPDF_ERRORS) {
        s_error (input, context, error);
        return -1;
    }
    int pages = qpdf_get_num_pages (input);
    if (pages < 0) {
        s_error (input, context, error);
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
            s_error (out, context, error);
            return -1;
        }
    }
    if (sharer) {
        for (int page_nbr = first_new; page_nbr < first_new + pages; page_nbr++)
            s_share_page (sharer, qpdf_get_page_n (out, (size_t)page_nbr));
        if (qpdf_has_error (out)) {
            s_error (out, context, error);
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
        s_error (out, "writing the merged document", error);
        return -1;
    }
    qpdf_set_object_stream_mode (out, qpdf_o_generate);
    if (qpdf_write (out) & QPDF_ERRORS) {
        s_error (out, "writing the merged document", error);
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
    s_sharer_t *sharer = NULL;
    char *part_path = zsys_sprintf ("%s.part", out_path);
    int rc = -1;
    if (!inputs || !part_path) {
        snprintf (error, MERGE_ERROR_MAX, "out of memory");
        goto cleanup;
    }
    if (qpdf_empty_pdf (out) & QPDF_ERRORS) {
        s_error (out, "creating the merged document", error);
        goto cleanup;
    }
    if (mode == MERGE_SHARED) {
        sharer = s_sharer_new (out);
        if (!sharer) {
            snprintf (error, MERGE_ERROR_MAX, "out of memory");
            goto cleanup;
        }
    }
    for (size_t index = 0; index < count; index++) {
        inputs[index] = s_qpdf_new ();
        if (s_append (out, inputs[index], paths[index], index, count, sharer,
                      error) == -1)
            goto cleanup;
    }
    int pages = qpdf_get_num_pages (out);
    if (pages < 0) {
        s_error (out, "counting merged pages", error);
        goto cleanup;
    }
    if (expected_pages && (uint32_t)pages != expected_pages) {
        snprintf (error, MERGE_ERROR_MAX,
                  "merged document has %d pages, expected %u", pages,
                  expected_pages);
        goto cleanup;
    }
    if (s_write (out, part_path, error) == -1)
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
    log_debug ("merge: %zu inputs, %d pages, %zu shared references", count,
               pages, sharer ? sharer->shared : 0);
    rc = 0;

cleanup:
    if (rc == -1 && part_path)
        unlink (part_path);
    s_sharer_destroy (&sharer);
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
        s_error (qpdf, "not a readable PDF", error);
        goto cleanup;
    }
    count = qpdf_get_num_pages (qpdf);
    if (count < 0) {
        s_error (qpdf, "cannot count pages", error);
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
