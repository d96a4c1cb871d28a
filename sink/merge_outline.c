/*  merge_outline - sink/merge's outlines (bookmarks): every input's,
    rebuilt in the merged document with global page numbers.

    qpdf_add_page copies pages only, so outlines are carried over here.
    Each input's outline tree is read right after its pages are added,
    while it is still known which output page each of its pages became; an
    item's destination is kept only when it is an explicit one (/Dest or a
    /GoTo action's /D, not a named destination) on a page of the same
    input. Inputs are untrusted: the walk is bounded in depth, stops at a
    loop, and skips an item it cannot use, putting its children in its
    place. When every input is in, the outline is written into the output
    as new objects. Grouped merges need nothing more: a group's file
    carries its outline into the final stage like any input.

    Memory: one small allocation per item kept, until the output is
    written.

    Part of sink/merge (see merge_internal.h).

    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <czmq.h>
#include <qpdf/qpdf-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "merge_internal.h"

//  Outline nesting kept. Ours is flat (one item per page); a bound keeps a
//  hostile chunk's deep tree from exhausting the stack, here and while
//  writing.
#define S_OUTLINE_DEPTH_MAX 32

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
struct _merge_outline_t {
    s_item_t *first;
    s_item_t **tail_p; // where the next top-level item goes
    size_t items;      // at every level
};

//  Reading one input's outline tree.
typedef struct {
    qpdf_data input;
    merge_outline_t *outline;
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

merge_outline_t *
merge_outline_new (void)
{
    merge_outline_t *self = calloc (1, sizeof (merge_outline_t));
    if (self)
        self->tail_p = &self->first;
    return self;
}

void
merge_outline_destroy (merge_outline_t **self_p)
{
    assert (self_p);
    merge_outline_t *self = *self_p;
    if (!self)
        return;
    s_items_destroy (&self->first);
    free (self);
    *self_p = NULL;
}

size_t
merge_outline_items (const merge_outline_t *self)
{
    assert (self);
    return self->items;
}

static void
s_ref_key (qpdf_data qpdf, qpdf_oh object, char *key, size_t size)
{
    snprintf (key, size, "%d %d", qpdf_oh_get_object_id (qpdf, object),
              qpdf_oh_get_generation (qpdf, object));
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
    qpdf_oh action_type = merge_dict_get (input, action, "/S");
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

void
merge_outline_read (merge_outline_t *self, qpdf_data input, const char *path,
                    int pages, int first_new)
{
    assert (self);
    assert (input);
    assert (path);
    qpdf_oh catalog = qpdf_get_root (input);
    qpdf_oh outlines = merge_dict_get (input, catalog, "/Outlines");
    qpdf_oh first = merge_dict_get (input, outlines, "/First");
    if (!qpdf_oh_is_null (input, first)) {
        s_reader_t reader = {.input = input,
                             .outline = self,
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
        self->tail_p = s_read_items (&reader, first, 1, self->tail_p);
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

int
merge_outline_write (merge_outline_t *self, qpdf_data out, char *error)
{
    assert (self);
    assert (out);
    assert (error);
    if (!self->first)
        return 0;
    qpdf_oh root =
        qpdf_make_indirect_object (out, qpdf_oh_new_dictionary (out));
    int root_objid = qpdf_oh_get_object_id (out, root);
    qpdf_oh_release_all (out);
    s_make_items (out, self->first);
    long shown = s_fill_items (out, self->first, root_objid);
    root = qpdf_get_object_by_id (out, root_objid, 0);
    qpdf_oh_replace_key (out, root, "/Type",
                         qpdf_oh_new_name (out, "/Outlines"));
    qpdf_oh_replace_key (out, root, "/First",
                         qpdf_get_object_by_id (out, self->first->objid, 0));
    qpdf_oh_replace_key (
        out, root, "/Last",
        qpdf_get_object_by_id (out, s_last_item (self->first)->objid, 0));
    qpdf_oh_replace_key (out, root, "/Count", qpdf_oh_new_integer (out, shown));
    qpdf_oh catalog = qpdf_get_root (out);
    qpdf_oh_replace_key (out, catalog, "/Outlines", root);
    qpdf_oh_replace_key (out, catalog, "/PageMode",
                         qpdf_oh_new_name (out, "/UseOutlines"));
    qpdf_oh_release_all (out);
    if (qpdf_has_error (out)) {
        merge_qpdf_error (out, "writing the outline", error);
        return -1;
    }
    return 0;
}
