/*  merge - joining a job's chunk PDFs into one document, with qpdf.

    Pages are appended with qpdf_add_page, which copies each page and what
    it refers to into the output document; stream data stays in the input
    until qpdf_write pulls it, which is why inputs are closed only after
    writing. Sharing then runs over the new pages of each input: every
    indirect object below /Resources gets an identity text, the first
    object with a given identity is kept, and references to later ones are
    pointed at it. Objects nobody refers to any more are not written
    (qpdf writes only what is reachable from the trailer).

    qpdf_add_page copies pages only, so the document information and the
    outlines (bookmarks) are carried over here. The information strings
    come from the first input, byte for byte. Each input's outline tree is
    read right after its pages are added, while it is still known which
    output page each of its pages became; an item's destination is kept
    only when it is an explicit one (/Dest or a /GoTo action's /D, not a
    named destination) on a page of the same input. Inputs are untrusted:
    the walk is bounded in depth, stops at a loop, and skips an item it
    cannot use, putting its children in its place. When every input is
    in, the outline is written into the output as new objects. Grouped
    merges need nothing more: a group's file carries its outline into the
    final stage like any input.

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
//  Outline nesting kept. Ours is flat (one item per page); a bound keeps a
//  hostile chunk's deep tree from exhausting the stack, here and while
//  writing.
#define S_OUTLINE_DEPTH_MAX 32

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

//  One outline item read from an input, waiting to be written into the
//  output. One allocation: text holds the title's bytes (title_size of
//  them, as in the PDF string) followed by the destination's view as PDF
//  text, such as "/XYZ 0 792 null", with a terminating NUL.
typedef struct _s_item_t s_item_t;
struct _s_item_t {
    s_item_t *next;
    s_item_t *first; // children, in order
    size_t page;     // 0-based index of the destination page in the output
    size_t title_size;
    bool closed; // children hidden until opened (/Count below 0)
    int objid;   // of the item in the output, once it is made
    char text[];
};

//  Every input's outline items, in order.
typedef struct {
    s_item_t *first;
    s_item_t **tail_p; // where the next top-level item goes
    size_t items;      // at every level
} s_outline_t;

//  Reading one input's outline tree.
typedef struct {
    qpdf_data input;
    s_outline_t *outline;
    zhashx_t *pages;     // "objid gen" of an input page -> output index + 1
    zhashx_t *visited;   // "objid gen" of each item already read
    size_t problems;     // items left out, loops and bad links
    const char *problem; // the first of them
} s_reader_t;

//  Views of an explicit destination, and how many operands each takes.
static const struct {
    const char *name;
    int operands;
} s_views[] = {{"/XYZ", 3},  {"/Fit", 0},  {"/FitH", 1},  {"/FitV", 1},
               {"/FitR", 4}, {"/FitB", 0}, {"/FitBH", 1}, {"/FitBV", 1}};

#define S_VIEW_COUNT (sizeof (s_views) / sizeof (s_views[0]))
//  A view's text: the longest name, then four operands.
#define S_NUMBER_TEXT_MAX 32
#define S_VIEW_TEXT_MAX (8 + 4 * (1 + S_NUMBER_TEXT_MAX))

//  Document information carried from the first input into the output.
static const char *s_info_keys[] = {"/Title", "/Author", "/Subject", "/Creator",
                                    "/Producer"};

#define S_INFO_KEY_COUNT (sizeof (s_info_keys) / sizeof (s_info_keys[0]))

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
//  Document information and outlines

static void
s_items_destroy (s_item_t **first_p)
{
    //  Siblings in a loop, children by recursion: the depth is bounded by
    //  S_OUTLINE_DEPTH_MAX, the number of siblings is not.
    s_item_t *item = *first_p;
    while (item) {
        s_item_t *next = item->next;
        s_items_destroy (&item->first);
        free (item);
        item = next;
    }
    *first_p = NULL;
}

static void
s_ref_key (qpdf_data qpdf, qpdf_oh object, char *key, size_t size)
{
    snprintf (key, size, "%d %d", qpdf_oh_get_object_id (qpdf, object),
              qpdf_oh_get_generation (qpdf, object));
}

//  The value of key in dict, or null when dict is not a dictionary: qpdf
//  warns about a key asked of anything else but null.
static qpdf_oh
s_dict_get (qpdf_data qpdf, qpdf_oh dict, const char *key)
{
    if (qpdf_oh_is_dictionary (qpdf, dict))
        return qpdf_oh_get_key (qpdf, dict, key);
    return qpdf_oh_new_null (qpdf);
}

static void
s_reader_problem (s_reader_t *self, const char *problem)
{
    if (self->problems++ == 0)
        self->problem = problem;
}

//  The text of one operand of a view, or -1 when it is neither a number
//  nor null. A real keeps the text qpdf read, so it parses back as it was.
static int
s_operand_text (qpdf_data input, qpdf_oh operand, char *text, size_t size)
{
    if (qpdf_oh_is_null (input, operand))
        snprintf (text, size, "null");
    else if (qpdf_oh_is_integer (input, operand))
        snprintf (text, size, "%lld", qpdf_oh_get_int_value (input, operand));
    else if (qpdf_oh_is_real (input, operand)) {
        const char *real = qpdf_oh_get_real_value (input, operand);
        if (strlen (real) >= size)
            return -1;
        snprintf (text, size, "%s", real);
    } else
        return -1;
    return 0;
}

//  The view of the explicit destination dest (what follows its page) as
//  PDF text, such as "/XYZ 0 792 null". The name comes from s_views and
//  each operand is a number or null, so the text parses back into the
//  output as it is. A view we cannot read becomes "/Fit": the page is
//  what matters.
static void
s_view_text (qpdf_data input, qpdf_oh dest, char *view, size_t size)
{
    snprintf (view, size, "/Fit");
    int items = qpdf_oh_get_array_n_items (input, dest);
    if (items < 2)
        return;
    qpdf_oh name = qpdf_oh_get_array_item (input, dest, 1);
    size_t kind = S_VIEW_COUNT;
    for (size_t index = 0; index < S_VIEW_COUNT && kind == S_VIEW_COUNT;
         index++)
        if (qpdf_oh_is_name_and_equals (input, name, s_views[index].name))
            kind = index;
    qpdf_oh_release (input, name);
    if (kind == S_VIEW_COUNT || items != 2 + s_views[kind].operands)
        return;
    char text[S_VIEW_TEXT_MAX];
    size_t used =
        (size_t)snprintf (text, sizeof (text), "%s", s_views[kind].name);
    for (int index = 0; index < s_views[kind].operands; index++) {
        qpdf_oh operand = qpdf_oh_get_array_item (input, dest, 2 + index);
        char number[S_NUMBER_TEXT_MAX];
        int rc = s_operand_text (input, operand, number, sizeof (number));
        qpdf_oh_release (input, operand);
        if (rc == -1)
            return;
        used +=
            (size_t)snprintf (text + used, sizeof (text) - used, " %s", number);
    }
    snprintf (view, size, "%s", text);
}

//  The explicit destination of item: its /Dest, or the /D of a /GoTo
//  action. Named destinations are not looked up.
static qpdf_oh
s_item_dest (qpdf_data input, qpdf_oh item)
{
    qpdf_oh dest = qpdf_oh_get_key (input, item, "/Dest");
    if (!qpdf_oh_is_null (input, dest))
        return dest;
    qpdf_oh_release (input, dest);
    qpdf_oh action = qpdf_oh_get_key (input, item, "/A");
    qpdf_oh action_type = s_dict_get (input, action, "/S");
    if (qpdf_oh_is_name_and_equals (input, action_type, "/GoTo"))
        dest = qpdf_oh_get_key (input, action, "/D");
    else
        dest = qpdf_oh_new_null (input);
    qpdf_oh_release (input, action_type);
    qpdf_oh_release (input, action);
    return dest;
}

//  The output page and the view of item's destination. Returns why the
//  item cannot be kept, or NULL.
static const char *
s_read_dest (s_reader_t *self, qpdf_oh item, size_t *page, char *view,
             size_t view_size)
{
    qpdf_data input = self->input;
    const char *problem = NULL;
    qpdf_oh dest = s_item_dest (input, item);
    if (!qpdf_oh_is_array (input, dest) ||
        qpdf_oh_get_array_n_items (input, dest) < 1)
        problem = "no explicit destination";
    else {
        qpdf_oh target = qpdf_oh_get_array_item (input, dest, 0);
        char key[32];
        s_ref_key (input, target, key, sizeof (key));
        uintptr_t found = qpdf_oh_is_indirect (input, target)
                              ? (uintptr_t)zhashx_lookup (self->pages, key)
                              : 0;
        qpdf_oh_release (input, target);
        if (found) {
            *page = (size_t)(found - 1);
            s_view_text (input, dest, view, view_size);
        } else
            problem = "a destination that is not a page of this input";
    }
    qpdf_oh_release (input, dest);
    return problem;
}

//  The item to keep for the outline item dict, or NULL when it has no
//  title or no destination on a page of this input.
static s_item_t *
s_read_item (s_reader_t *self, qpdf_oh dict)
{
    qpdf_data input = self->input;
    size_t page = 0;
    char view[S_VIEW_TEXT_MAX];
    const char *problem = s_read_dest (self, dict, &page, view, sizeof (view));
    if (problem) {
        s_reader_problem (self, problem);
        return NULL;
    }
    qpdf_oh title = qpdf_oh_get_key (input, dict, "/Title");
    qpdf_oh count = qpdf_oh_get_key (input, dict, "/Count");
    s_item_t *item = NULL;
    if (!qpdf_oh_is_string (input, title))
        s_reader_problem (self, "no title");
    else {
        size_t title_size = 0;
        const char *bytes =
            qpdf_oh_get_binary_string_value (input, title, &title_size);
        size_t view_size = strlen (view) + 1;
        item = calloc (1, sizeof (s_item_t) + title_size + view_size);
        if (item) {
            memcpy (item->text, bytes, title_size);
            memcpy (item->text + title_size, view, view_size);
            item->title_size = title_size;
            item->page = page;
            item->closed = qpdf_oh_is_integer (input, count) &&
                           qpdf_oh_get_int_value (input, count) < 0;
        } else
            s_reader_problem (self, "out of memory");
    }
    qpdf_oh_release (input, count);
    qpdf_oh_release (input, title);
    return item;
}

//  Read the chain of sibling items that starts at first (a handle this
//  takes) and its children, at nesting depth. Items that are kept go
//  where tail_p points, in order; the children of an item that is not
//  kept go in its place. Returns where the next item goes.
static s_item_t **
s_read_items (s_reader_t *self, qpdf_oh first, int depth, s_item_t **tail_p)
{
    qpdf_data input = self->input;
    qpdf_oh item = first;
    while (qpdf_oh_is_dictionary (input, item)) {
        //  Direct dictionaries cannot form a loop; indirect ones can.
        if (qpdf_oh_is_indirect (input, item)) {
            char key[32];
            s_ref_key (input, item, key, sizeof (key));
            if (zhashx_lookup (self->visited, key)) {
                s_reader_problem (self, "a loop in the outline");
                break;
            }
            zhashx_insert (self->visited, key, (void *)1);
        }
        s_item_t *kept = s_read_item (self, item);
        if (kept) {
            *tail_p = kept;
            tail_p = &kept->next;
            self->outline->items++;
        }
        qpdf_oh children = qpdf_oh_get_key (input, item, "/First");
        if (qpdf_oh_is_null (input, children))
            qpdf_oh_release (input, children);
        else if (depth >= S_OUTLINE_DEPTH_MAX) {
            s_reader_problem (self, "items nested too deep");
            qpdf_oh_release (input, children);
        } else if (kept)
            s_read_items (self, children, depth + 1, &kept->first);
        else
            tail_p = s_read_items (self, children, depth + 1, tail_p);
        qpdf_oh next = qpdf_oh_get_key (input, item, "/Next");
        qpdf_oh_release (input, item);
        item = next;
    }
    if (!qpdf_oh_is_null (input, item) && !qpdf_oh_is_dictionary (input, item))
        s_reader_problem (self, "a link to an item that is not a dictionary");
    qpdf_oh_release (input, item);
    return tail_p;
}

//  Add the outline items of input, whose pages (pages of them) became the
//  output's pages from first_new on, to outline. Whatever cannot be kept
//  is logged and left out; this never fails the merge.
static void
s_read_outline (s_outline_t *outline, qpdf_data input, const char *path,
                int pages, int first_new)
{
    qpdf_oh catalog = qpdf_get_root (input);
    qpdf_oh outlines = s_dict_get (input, catalog, "/Outlines");
    qpdf_oh first = s_dict_get (input, outlines, "/First");
    if (!qpdf_oh_is_null (input, first)) {
        s_reader_t reader = {.input = input,
                             .outline = outline,
                             .pages = zhashx_new (),
                             .visited = zhashx_new ()};
        char key[32];
        for (int page_nbr = 0; page_nbr < pages; page_nbr++) {
            qpdf_oh page = qpdf_get_page_n (input, (size_t)page_nbr);
            s_ref_key (input, page, key, sizeof (key));
            zhashx_insert (reader.pages, key,
                           (void *)(uintptr_t)(first_new + page_nbr + 1));
            qpdf_oh_release (input, page);
        }
        //  An item that links back to the root is a loop too.
        if (qpdf_oh_is_indirect (input, outlines)) {
            s_ref_key (input, outlines, key, sizeof (key));
            zhashx_insert (reader.visited, key, (void *)1);
        }
        outline->tail_p = s_read_items (&reader, first, 1, outline->tail_p);
        if (reader.problems)
            log_warning ("merge: %s: outline problems: %zu, bad items left "
                         "out (first: %s)",
                         path, reader.problems, reader.problem);
        zhashx_destroy (&reader.pages);
        zhashx_destroy (&reader.visited);
    } else
        qpdf_oh_release (input, first);
    if (qpdf_has_error (input)) {
        qpdf_error failure = qpdf_get_error (input);
        log_warning ("merge: %s: reading the outline: %s", path,
                     qpdf_get_error_full_text (input, failure));
    }
    qpdf_oh_release (input, outlines);
    qpdf_oh_release (input, catalog);
}

//  Give every item its object in out, so that links can be set in any
//  order.
static void
s_make_items (qpdf_data out, s_item_t *first)
{
    for (s_item_t *item = first; item; item = item->next) {
        qpdf_oh dict = qpdf_oh_new_dictionary (out);
        qpdf_oh object = qpdf_make_indirect_object (out, dict);
        item->objid = qpdf_oh_get_object_id (out, object);
        qpdf_oh_release (out, object);
        qpdf_oh_release (out, dict);
        s_make_items (out, item->first);
    }
}

static s_item_t *
s_last_item (s_item_t *first)
{
    s_item_t *last = first;
    while (last && last->next)
        last = last->next;
    return last;
}

//  Fill the objects of the items from first on, whose parent is object
//  parent_objid, and of their children. Returns how many items they show
//  with their own open or closed state (their parent's /Count). Drops
//  every handle of out as it goes: the caller must hold none.
static long
s_fill_items (qpdf_data out, s_item_t *first, int parent_objid)
{
    long shown = 0;
    s_item_t *prev = NULL;
    for (s_item_t *item = first; item; prev = item, item = item->next) {
        long children = s_fill_items (out, item->first, item->objid);
        qpdf_oh dict = qpdf_get_object_by_id (out, item->objid, 0);
        qpdf_oh_replace_key (
            out, dict, "/Title",
            qpdf_oh_new_binary_string (out, item->text, item->title_size));
        qpdf_oh_replace_key (out, dict, "/Parent",
                             qpdf_get_object_by_id (out, parent_objid, 0));
        if (prev)
            qpdf_oh_replace_key (out, dict, "/Prev",
                                 qpdf_get_object_by_id (out, prev->objid, 0));
        if (item->next)
            qpdf_oh_replace_key (
                out, dict, "/Next",
                qpdf_get_object_by_id (out, item->next->objid, 0));
        if (item->first) {
            qpdf_oh_replace_key (
                out, dict, "/First",
                qpdf_get_object_by_id (out, item->first->objid, 0));
            qpdf_oh_replace_key (out, dict, "/Last",
                                 qpdf_get_object_by_id (
                                     out, s_last_item (item->first)->objid, 0));
            qpdf_oh_replace_key (
                out, dict, "/Count",
                qpdf_oh_new_integer (out, item->closed ? -children : children));
        }
        char dest_text[S_VIEW_TEXT_MAX + 2];
        snprintf (dest_text, sizeof (dest_text), "[%s]",
                  item->text + item->title_size);
        qpdf_oh dest = qpdf_oh_parse (out, dest_text);
        qpdf_oh_insert_item (out, dest, 0, qpdf_get_page_n (out, item->page));
        qpdf_oh_replace_key (out, dict, "/Dest", dest);
        qpdf_oh_release_all (out);
        shown += 1 + (item->closed ? 0 : children);
    }
    return shown;
}

//  Write outline's items into out as its /Outlines, and have viewers show
//  them. Nothing when there are none.
static int
s_write_outline (qpdf_data out, s_outline_t *outline, char *error)
{
    if (!outline->first)
        return 0;
    qpdf_oh root =
        qpdf_make_indirect_object (out, qpdf_oh_new_dictionary (out));
    int root_objid = qpdf_oh_get_object_id (out, root);
    qpdf_oh_release_all (out);
    s_make_items (out, outline->first);
    long shown = s_fill_items (out, outline->first, root_objid);
    root = qpdf_get_object_by_id (out, root_objid, 0);
    qpdf_oh_replace_key (out, root, "/Type",
                         qpdf_oh_new_name (out, "/Outlines"));
    qpdf_oh_replace_key (out, root, "/First",
                         qpdf_get_object_by_id (out, outline->first->objid, 0));
    qpdf_oh_replace_key (
        out, root, "/Last",
        qpdf_get_object_by_id (out, s_last_item (outline->first)->objid, 0));
    qpdf_oh_replace_key (out, root, "/Count", qpdf_oh_new_integer (out, shown));
    qpdf_oh catalog = qpdf_get_root (out);
    qpdf_oh_replace_key (out, catalog, "/Outlines", root);
    qpdf_oh_replace_key (out, catalog, "/PageMode",
                         qpdf_oh_new_name (out, "/UseOutlines"));
    qpdf_oh_release_all (out);
    if (qpdf_has_error (out)) {
        s_error (out, "writing the outline", error);
        return -1;
    }
    return 0;
}

//  Copy the document information strings of input (the first one) into
//  out, byte for byte. An input without them leaves out without /Info.
static int
s_copy_info (qpdf_data out, qpdf_data input, const char *path, char *error)
{
    qpdf_oh trailer = qpdf_get_trailer (input);
    qpdf_oh info = s_dict_get (input, trailer, "/Info");
    qpdf_oh copy = qpdf_oh_new_dictionary (out);
    size_t copied = 0;
    for (size_t index = 0; index < S_INFO_KEY_COUNT; index++) {
        qpdf_oh value = s_dict_get (input, info, s_info_keys[index]);
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
        s_error (out, "copying the document information", error);
        return -1;
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Merging

//  Read input (the index-th of count), append its pages to out and its
//  outline items to outline.
static int
s_append (qpdf_data out, qpdf_data input, const char *path, size_t index,
          size_t count, s_sharer_t *sharer, s_outline_t *outline, char *error)
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
    s_read_outline (outline, input, path, pages, first_new);
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
    s_outline_t outline = {NULL, &outline.first, 0};
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
                      &outline, error) == -1)
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
    if (s_copy_info (out, inputs[0], paths[0], error) == -1 ||
        s_write_outline (out, &outline, error) == -1 ||
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
               count, pages, outline.items, sharer ? sharer->shared : 0);
    rc = 0;

cleanup:
    if (rc == -1 && part_path)
        unlink (part_path);
    s_items_destroy (&outline.first);
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
