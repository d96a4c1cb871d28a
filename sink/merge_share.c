/*  merge_share - sink/merge's MERGE_SHARED mode: one copy of each
    distinct resource in the merged document.

    Sharing runs over the new pages of each input as they are added: every
    indirect object below a page's /Resources gets an identity text, the
    first object with a given identity is kept, and references to later
    ones are pointed at it. Objects nobody refers to any more are not
    written (qpdf writes only what is reachable from the trailer).

    A stream's identity is its dictionary with its raw data's size and
    SHA-1, and a match is confirmed byte for byte; any other object's is
    its text once its children are shared. Page and page tree objects are
    never shared, nor followed (/Parent leads up into the page tree), and
    the walk is bounded in depth and stops at a reference cycle: inputs
    are untrusted.

    Part of sink/merge (see merge_internal.h).

    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <czmq.h>
#include <qpdf/qpdf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge_internal.h"

//  Nesting followed below a page's /Resources. Real resources nest a few
//  levels (font, descendant font, descriptor, font file); the bound keeps
//  a hostile chunk from exhausting the stack.
#define S_DEPTH_MAX 32

typedef struct {
    int objid;
    int generation;
} s_ref_t;

//  State of MERGE_SHARED over one output document.
struct _merge_sharer_t {
    qpdf_data out;
    zhashx_t *seen; // "objid gen" of a visited object -> s_ref_t to use
    zhashx_t *kept; // identity text -> s_ref_t of the first such object
    size_t shared;  // references pointed at an earlier copy
};

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

merge_sharer_t *
merge_sharer_new (qpdf_data out)
{
    assert (out);
    merge_sharer_t *self = calloc (1, sizeof (merge_sharer_t));
    if (!self)
        return NULL;
    self->out = out;
    self->seen = zhashx_new ();
    self->kept = zhashx_new ();
    zhashx_set_destructor (self->seen, s_ref_free);
    zhashx_set_destructor (self->kept, s_ref_free);
    return self;
}

void
merge_sharer_destroy (merge_sharer_t **self_p)
{
    assert (self_p);
    merge_sharer_t *self = *self_p;
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
s_share_value (merge_sharer_t *self, qpdf_oh value, int depth,
               qpdf_oh *replacement);

static void
s_share_children (merge_sharer_t *self, qpdf_oh container, int depth)
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
s_identity (merge_sharer_t *self, qpdf_oh object, int depth,
            unsigned char **data_p, size_t *size_p)
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
s_same_stream_data (merge_sharer_t *self, const s_ref_t *kept,
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
s_share_indirect (merge_sharer_t *self, qpdf_oh object, int depth)
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
s_share_value (merge_sharer_t *self, qpdf_oh value, int depth,
               qpdf_oh *replacement)
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

void
merge_sharer_page (merge_sharer_t *self, qpdf_oh page)
{
    assert (self);
    qpdf_data qpdf = self->out;
    if (!qpdf_oh_has_key (qpdf, page, "/Resources"))
        return;
    qpdf_oh resources = qpdf_oh_get_key (qpdf, page, "/Resources");
    qpdf_oh replacement;
    if (s_share_value (self, resources, 0, &replacement))
        qpdf_oh_replace_key (qpdf, page, "/Resources", replacement);
}

size_t
merge_sharer_shared (const merge_sharer_t *self)
{
    assert (self);
    return self->shared;
}
