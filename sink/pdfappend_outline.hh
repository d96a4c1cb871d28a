/*  pdfappend_outline - the bookmarks (outline) of sink/pdfappend's output.

    Private to sink/pdfappend (C++). Reads each chunk's outline items as
    the chunk is appended and keeps them as compact records in a scratch
    file (title bytes, destination page as a global index, the view such
    as "/XYZ 0 792 null", nesting level, closed or open), in document
    order. At the end it writes them as outline objects in one pass,
    holding only the items on the path from the root to the current one.

    The rules are sink/merge's: a chunk's top-level items follow the
    previous chunk's; an item is kept only with a title and an explicit
    destination (/Dest, or a /GoTo action's /D; named destinations are
    not looked up) on a page of the same chunk; an item that is not kept
    gives its place to its children; nesting is followed to
    OUTLINE_DEPTH_MAX levels and loops are cut. Problems are logged and
    never fail the append.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_PDFAPPEND_OUTLINE_HH
#define PDFPIPE_PDFAPPEND_OUTLINE_HH

#include <cstdint>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include <qpdf/QPDF.hh>

#include "pdfappend_writer.hh"

namespace pdfappend
{

//  Hash of an object's number and generation, for unordered containers.
struct ObjGenHash {
    size_t operator() (const QPDFObjGen &og) const
    {
        return std::hash<uint64_t> () (
            ((uint64_t)(uint32_t)og.getObj () << 16) ^
            (uint64_t)(uint32_t)og.getGen ());
    }
};

//  A chunk's pages: object -> 0-based page index in the output.
typedef std::unordered_map<QPDFObjGen, uint32_t, ObjGenHash> PageMap;

//  Where the record file stood; see Outline::rollback.
struct OutlineMark {
    uint64_t offset; // bytes of records
    uint64_t items;
};

class Outline
{
  public:
    //  Scratch file next to the output at path.
    explicit Outline (const std::string &path);
    ~Outline ();
    Outline (const Outline &) = delete;
    Outline &operator= (const Outline &) = delete;

    //  Add the outline items of chunk, whose pages are in pages. Items that
    //  cannot be kept are logged (naming chunk_path) and left out; throws
    //  only when the scratch file fails.
    void read (QPDF &chunk, const PageMap &pages,
               const std::string &chunk_path);

    //  Items kept so far, at every level.
    uint64_t items () const
    {
        return items_;
    }

    //  Where the record file stands, to roll back to after a failed append.
    OutlineMark mark ();
    //  Forget the items read since mark.
    void rollback (const OutlineMark &mark);

    //  The records read since mark, as bytes: what a journal keeps.
    std::string records_since (const OutlineMark &mark);
    //  Add items records as records_since gave them. Throws when they are
    //  not such records or the scratch file fails.
    void restore (const std::string &records, uint64_t items);

    //  Write every item through writer; the destination of the item for
    //  page index k is page_numbers[k]. Returns the number of the
    //  /Outlines dictionary, or 0 when there are no items.
    uint32_t write (Writer &writer, const std::vector<uint32_t> &page_numbers);

  private:
    struct Reader;
    std::string path_;
    FILE *file_ = nullptr;
    uint64_t items_ = 0;
};

} // namespace pdfappend

#endif
