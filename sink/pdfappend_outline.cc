/*  pdfappend_outline - the bookmarks (outline) of sink/pdfappend's output.

    A record is a fixed header (destination page, title size, view size,
    level, closed) followed by the title's bytes and the view's text.
    Levels describe the tree in document order: the first item of a
    chunk is at level 1, and each item's level is at most one more than
    the item before it, since an item is followed by its children.

    Writing numbers the items in document order, and writes an item as
    soon as the next record shows that its children are done (a record at
    its own level or above): by then its next sibling, its last child and
    how many items it shows are known. So the items on the path from the
    root are all that is held, OUTLINE_DEPTH_MAX at most.

    Chunks are untrusted: the reader resolves nothing it has not checked
    the type of, stops at a loop and bounds the nesting.

    SPDX-License-Identifier: MPL-2.0
*/
#include "pdfappend_outline.hh"

#include <cassert>
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <unordered_set>

#include <qpdf/QPDFObjectHandle.hh>

extern "C" {
#include "log.h"
}

namespace pdfappend
{

//  Outline nesting kept, as in sink/merge. Ours is flat (one item per
//  page); the bound keeps a hostile chunk's deep tree from exhausting the
//  stack.
static constexpr int OUTLINE_DEPTH_MAX = 32;
//  Longest text kept for one operand of a view; longer is not a number we
//  wrote.
static constexpr size_t S_NUMBER_TEXT_MAX = 32;

//  Views of an explicit destination, and how many operands each takes.
static const struct {
    const char *name;
    int operands;
} s_views[] = {{"/XYZ", 3},  {"/Fit", 0},  {"/FitH", 1},  {"/FitV", 1},
               {"/FitR", 4}, {"/FitB", 0}, {"/FitBH", 1}, {"/FitBV", 1}};

struct Record {
    uint32_t page;       // 0-based page index in the output
    uint32_t title_size; // bytes of title that follow
    uint16_t view_size;  // bytes of view text after the title
    uint8_t level;       // 1 for a top-level item
    uint8_t closed;      // children hidden until opened
};

//  Reading one chunk's outline.
struct Outline::Reader {
    Outline &outline;
    const PageMap &pages;
    std::unordered_set<QPDFObjGen, ObjGenHash> visited;
    size_t problems = 0;
    const char *problem = nullptr; // the first one

    void note (const char *what)
    {
        if (problems++ == 0)
            problem = what;
    }
    bool read_item (QPDFObjectHandle item, int level);
    void read_items (QPDFObjectHandle first, int depth, int level);
};

//  The text of one operand of a view: a number as it was written, or null.
static bool
s_operand_text (QPDFObjectHandle operand, std::string &text)
{
    if (operand.isNull ())
        text = "null";
    else if (operand.isInteger ())
        text = std::to_string (operand.getIntValue ());
    else if (operand.isReal ()) {
        text = operand.getRealValue ();
        if (text.size () >= S_NUMBER_TEXT_MAX)
            return false;
    } else
        return false;
    return true;
}

//  The view of the explicit destination dest (what follows its page) as
//  PDF text, such as "/XYZ 0 792 null". A view we cannot read becomes
//  "/Fit": the page is what matters.
static std::string
s_view_text (QPDFObjectHandle dest)
{
    int items = dest.getArrayNItems ();
    if (items < 2)
        return "/Fit";
    QPDFObjectHandle name = dest.getArrayItem (1);
    for (const auto &view : s_views) {
        if (!name.isNameAndEquals (view.name))
            continue;
        if (items != 2 + view.operands)
            return "/Fit";
        std::string text = view.name;
        for (int index = 0; index < view.operands; index++) {
            std::string operand;
            if (!s_operand_text (dest.getArrayItem (2 + index), operand))
                return "/Fit";
            text += " " + operand;
        }
        return text;
    }
    return "/Fit";
}

//  The explicit destination of item: its /Dest, or the /D of a /GoTo
//  action.
static QPDFObjectHandle
s_item_dest (QPDFObjectHandle item)
{
    QPDFObjectHandle dest = item.getKey ("/Dest");
    if (!dest.isNull ())
        return dest;
    QPDFObjectHandle action = item.getKey ("/A");
    if (action.isDictionary () &&
        action.getKey ("/S").isNameAndEquals ("/GoTo"))
        return action.getKey ("/D");
    return QPDFObjectHandle::newNull ();
}

//  Record the item if it can be kept. Returns whether it was.
bool
Outline::Reader::read_item (QPDFObjectHandle item, int level)
{
    QPDFObjectHandle dest = s_item_dest (item);
    if (!dest.isArray () || dest.getArrayNItems () < 1) {
        note ("no explicit destination");
        return false;
    }
    QPDFObjectHandle target = dest.getArrayItem (0);
    auto page =
        target.isIndirect () ? pages.find (target.getObjGen ()) : pages.end ();
    if (page == pages.end ()) {
        note ("a destination that is not a page of this input");
        return false;
    }
    QPDFObjectHandle title = item.getKey ("/Title");
    if (!title.isString ()) {
        note ("no title");
        return false;
    }
    std::string title_bytes = title.getStringValue ();
    std::string view = s_view_text (dest);
    QPDFObjectHandle count = item.getKey ("/Count");
    Record record = {};
    record.page = page->second;
    record.title_size = (uint32_t)title_bytes.size ();
    record.view_size = (uint16_t)view.size ();
    record.level = (uint8_t)level;
    record.closed = count.isInteger () && count.getIntValue () < 0;
    FILE *file = outline.file_;
    if (fwrite (&record, sizeof (record), 1, file) != 1 ||
        fwrite (title_bytes.data (), 1, title_bytes.size (), file) !=
            title_bytes.size () ||
        fwrite (view.data (), 1, view.size (), file) != view.size ())
        throw Error ("cannot write the outline scratch file for " +
                     outline.path_ + ": " + strerror (errno));
    outline.items_++;
    return true;
}

//  Read the chain of siblings from first and their children, first at
//  nesting depth in the chunk and at level in the output. The children of
//  an item that is not kept take its place, at its level.
void
Outline::Reader::read_items (QPDFObjectHandle first, int depth, int level)
{
    QPDFObjectHandle item = first;
    while (item.isDictionary ()) {
        //  Direct dictionaries cannot form a loop; indirect ones can.
        if (item.isIndirect ()) {
            if (!visited.insert (item.getObjGen ()).second) {
                note ("a loop in the outline");
                break;
            }
        }
        bool kept = read_item (item, level);
        QPDFObjectHandle children = item.getKey ("/First");
        if (!children.isNull ()) {
            if (depth >= OUTLINE_DEPTH_MAX)
                note ("items nested too deep");
            else
                read_items (children, depth + 1, kept ? level + 1 : level);
        }
        item = item.getKey ("/Next");
    }
    if (!item.isNull () && !item.isDictionary ())
        note ("a link to an item that is not a dictionary");
}

Outline::Outline (const std::string &path) : path_ (path)
{
    int fd = scratch_file (path, "outline");
    file_ = fdopen (fd, "w+b");
    if (!file_) {
        close (fd);
        throw Error ("cannot open the outline scratch file for " + path + ": " +
                     strerror (errno));
    }
}

Outline::~Outline ()
{
    if (file_)
        fclose (file_);
}

void
Outline::read (QPDF &chunk, const PageMap &pages, const std::string &chunk_path)
{
    Reader reader{*this, pages, {}, 0, nullptr};
    try {
        QPDFObjectHandle catalog = chunk.getRoot ();
        QPDFObjectHandle outlines = catalog.isDictionary ()
                                        ? catalog.getKey ("/Outlines")
                                        : QPDFObjectHandle::newNull ();
        if (!outlines.isDictionary ())
            return;
        //  An item that links back to the root is a loop too.
        if (outlines.isIndirect ())
            reader.visited.insert (outlines.getObjGen ());
        reader.read_items (outlines.getKey ("/First"), 1, 1);
    } catch (const Error &) {
        throw;
    } catch (const std::exception &failure) {
        log_warning ("pdfappend: %s: reading the outline: %s",
                     chunk_path.c_str (), failure.what ());
    }
    if (reader.problems)
        log_warning ("pdfappend: %s: outline problems: %zu, bad items left "
                     "out (first: %s)",
                     chunk_path.c_str (), reader.problems, reader.problem);
}

OutlineMark
Outline::mark ()
{
    long offset = ftell (file_);
    if (offset == -1)
        throw Error ("cannot tell the outline scratch file for " + path_ +
                     ": " + strerror (errno));
    return OutlineMark{(uint64_t)offset, items_};
}

void
Outline::rollback (const OutlineMark &mark)
{
    if (fflush (file_) == -1 ||
        ftruncate (fileno (file_), (off_t)mark.offset) ||
        fseek (file_, (long)mark.offset, SEEK_SET) == -1)
        throw Error ("cannot truncate the outline scratch file for " + path_ +
                     ": " + strerror (errno));
    items_ = mark.items;
}

std::string
Outline::records_since (const OutlineMark &mark)
{
    OutlineMark now = this->mark ();
    std::string records (now.offset - mark.offset, '\0');
    if (fflush (file_) == -1 ||
        (!records.empty () &&
         pread (fileno (file_), &records[0], records.size (),
                (off_t)mark.offset) != (ssize_t)records.size ()))
        throw Error ("cannot read the outline scratch file for " + path_ +
                     ": " + strerror (errno));
    return records;
}

void
Outline::restore (const std::string &records, uint64_t items)
{
    //  Walk the headers so that a record never claims bytes it lacks.
    size_t offset = 0;
    for (uint64_t item = 0; item < items; item++) {
        Record record;
        if (records.size () - offset < sizeof (record))
            throw Error ("outline records are cut short");
        memcpy (&record, records.data () + offset, sizeof (record));
        offset += sizeof (record);
        if (record.level < 1 || record.level > OUTLINE_DEPTH_MAX ||
            records.size () - offset <
                (uint64_t)record.title_size + record.view_size)
            throw Error ("an outline record is not one this writes");
        offset += record.title_size + record.view_size;
    }
    if (offset != records.size ())
        throw Error ("outline records have bytes left over");
    if (fwrite (records.data (), 1, records.size (), file_) != records.size ())
        throw Error ("cannot write the outline scratch file for " + path_ +
                     ": " + strerror (errno));
    items_ += items;
}

namespace
{

//  An item read back, waiting for its children and its next sibling.
struct Pending {
    uint32_t number;
    Record record;
    std::string title;
    std::string view;
    uint32_t prev = 0; // numbers of related items, 0 for none
    uint32_t first = 0;
    uint32_t last = 0;
    int64_t shown = 0; // items below shown with their own open state
};

//  Writing the items read back, in document order.
class Builder
{
  public:
    Builder (Writer &writer, const std::vector<uint32_t> &page_numbers)
        : writer_ (writer), page_numbers_ (page_numbers)
    {
        Pending root = {};
        root.number = writer.reserve ();
        path_.push_back (root);
    }

    void add (const Record &record, std::string title, std::string view)
    {
        size_t level = record.level;
        if (level < 1 || level > path_.size () ||
            record.page >= page_numbers_.size ())
            throw Error ("the outline scratch file is damaged");
        uint32_t number = writer_.reserve ();
        while (path_.size () > level + 1)
            complete (0);
        if (path_.size () == level + 1)
            complete (number);
        Pending &parent = path_.back ();
        Pending item = {};
        item.number = number;
        item.record = record;
        item.title = std::move (title);
        item.view = std::move (view);
        item.prev = parent.last;
        if (!parent.first)
            parent.first = number;
        parent.last = number;
        path_.push_back (std::move (item));
    }

    //  Write what is left and the /Outlines dictionary. Returns its number.
    uint32_t finish ()
    {
        while (path_.size () > 1)
            complete (0);
        const Pending &root = path_.back ();
        writer_.write_object (
            root.number, "<< /Type /Outlines /First " + s_ref (root.first) +
                             " /Last " + s_ref (root.last) + " /Count " +
                             std::to_string (root.shown) + " >>");
        return root.number;
    }

  private:
    static std::string s_ref (uint32_t number)
    {
        return std::to_string (number) + " 0 R";
    }

    //  Write the innermost item, whose next sibling is next (0 for none),
    //  and count it in its parent.
    void complete (uint32_t next)
    {
        assert (path_.size () > 1);
        const Pending &item = path_.back ();
        Pending &parent = path_[path_.size () - 2];
        std::string text = "<< /Title " +
                           QPDFObjectHandle::newString (item.title).unparse () +
                           " /Parent " + s_ref (parent.number);
        if (item.prev)
            text += " /Prev " + s_ref (item.prev);
        if (next)
            text += " /Next " + s_ref (next);
        if (item.first)
            text +=
                " /First " + s_ref (item.first) + " /Last " +
                s_ref (item.last) + " /Count " +
                std::to_string (item.record.closed ? -item.shown : item.shown);
        text += " /Dest [" + s_ref (page_numbers_[item.record.page]) + " " +
                item.view + "] >>";
        writer_.write_object (item.number, text);
        parent.shown += 1 + (item.record.closed ? 0 : item.shown);
        path_.pop_back ();
    }

    Writer &writer_;
    const std::vector<uint32_t> &page_numbers_;
    std::vector<Pending> path_; // the root, then one item per level
};

} // namespace

uint32_t
Outline::write (Writer &writer, const std::vector<uint32_t> &page_numbers)
{
    if (items_ == 0)
        return 0;
    if (fflush (file_) == -1 || fseek (file_, 0, SEEK_SET) == -1)
        throw Error ("cannot read the outline scratch file for " + path_ +
                     ": " + strerror (errno));
    Builder builder (writer, page_numbers);
    for (uint64_t item = 0; item < items_; item++) {
        Record record;
        if (fread (&record, sizeof (record), 1, file_) != 1)
            throw Error ("cannot read the outline scratch file for " + path_);
        std::string title (record.title_size, '\0');
        std::string view (record.view_size, '\0');
        if (fread (&title[0], 1, title.size (), file_) != title.size () ||
            fread (&view[0], 1, view.size (), file_) != view.size ())
            throw Error ("cannot read the outline scratch file for " + path_);
        builder.add (record, std::move (title), std::move (view));
    }
    return builder.finish ();
}

} // namespace pdfappend
