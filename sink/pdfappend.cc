/*  pdfappend - writing a job's merged PDF one chunk at a time.

    Copying a chunk is a depth-first walk from each page, in page order,
    that writes an object once every object it refers to has its output
    number (post-order), so an object's text is final when it is written
    and two identical resources print the same text. The walk keeps its
    own stack (a chunk is untrusted: a long chain of references must not
    exhaust the C stack). A reference back to an object still being
    walked (a cycle) reserves that object's number, which it then keeps:
    such an object is written but never looked up in the index, since
    text already written names it.

    Pages get their number when first needed: as a walk root, or earlier
    when something refers to them (an annotation's /P, a link). Their
    /Parent is the page-tree leaf that will hold them: leaves of
    S_FANOUT pages are numbered as the pages arrive and written, with the
    levels above them, by pdfappend_finish. A reference to any other page
    or page-tree node of the chunk becomes null: the chunk's own page
    tree is never copied.

    References that resolve to nothing (null, or a missing object) are
    written as null.

    SPDX-License-Identifier: MPL-2.0
*/
#include "pdfappend.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include "pdfappend_outline.hh"
#include "pdfappend_writer.hh"

extern "C" {
#include "fsio.h"
#include "log.h"
}

using pdfappend::Error;
using pdfappend::Mark;
using pdfappend::ObjGenHash;
using pdfappend::OutlineMark;
using pdfappend::PageMap;

//  Kids of one page-tree node. Readers find a page by walking down from the
//  root, so a wide node costs a scan and a deep tree costs loads; 32 keeps
//  a million pages within four levels.
static constexpr uint32_t S_FANOUT = 32;
static constexpr size_t S_WARNINGS_LOGGED = 10; // qpdf warnings per chunk
static constexpr size_t S_DIGEST_SIZE = 32;

//  Document information carried from the first chunk into the output.
static const char *const s_info_keys[] = {"/Title", "/Author", "/Subject",
                                          "/Creator", "/Producer"};

typedef std::array<unsigned char, S_DIGEST_SIZE> Digest;

struct DigestHash {
    size_t operator() (const Digest &digest) const
    {
        size_t value;
        memcpy (&value, digest.data (), sizeof (value));
        return value;
    }
};

typedef std::unordered_map<Digest, uint32_t, DigestHash> DigestIndex;

struct _pdfappend_t {
    std::string out_path;
    std::string part_path;
    std::unique_ptr<pdfappend::Writer> writer;
    std::unique_ptr<pdfappend::Outline> outline;
    DigestIndex shared;           // content of a resource -> its number
    std::vector<uint32_t> pages;  // object number of each page
    std::vector<uint32_t> leaves; // page-tree leaf of each S_FANOUT pages
    uint32_t info = 0;            // the /Info dictionary, 0 for none
    uint64_t bytes_final = 0;
    uint32_t chunks = 0;
    bool finished = false;
    std::string broken; // why every call fails; empty while usable
    pdfappend::Sha256 sha;
    //  The journal (out_path.journal): records of the chunks appended
    //  since the last checkpoint wait in pending.
    std::string journal_path;
    int journal_fd = -1;
    std::string pending;
    uint32_t checkpointed = 0; // chunks the journal holds durably
    uint64_t checkpointed_bytes = 0;
};

namespace
{

//  Copying one chunk's pages into the output. Lives as long as the chunk's
//  QPDF and must be destroyed before it: it holds handles into it.
class Copier
{
  public:
    Copier (pdfappend_t *self, const PageMap &pages,
            std::vector<Digest> &inserted)
        : self_ (self), pages_ (pages), inserted_ (inserted)
    {
    }

    //  Write the page page (global index page_index) and what it reaches.
    void copy_page (QPDFObjectHandle page, uint32_t page_index);

  private:
    struct Child {
        QPDFObjectHandle ref;
        bool shareable; // below a page's /Resources
    };
    //  An object whose references are being copied before it.
    struct Frame {
        QPDFObjectHandle object;
        bool stream;
        bool shareable;
        int64_t page_index; // -1 when not a page
        std::vector<Child> children;
        size_t next = 0; // in children
    };
    //  What became of an object of the chunk.
    struct Copy {
        uint32_t number; // in the output; 0 with done: written as null
        bool done;       // false while its references are being copied
    };

    static bool s_skip_key (const Frame &frame, const std::string &key);
    void push (QPDFObjectHandle object, bool shareable, int64_t page_index);
    void collect (QPDFObjectHandle value, bool shareable,
                  std::vector<Child> &children);
    bool is_copied (QPDFObjectHandle ref);
    void emit (Frame &frame);
    uint32_t page_number (uint32_t page_index);
    std::string ref_text (QPDFObjectHandle ref);
    void unparse (QPDFObjectHandle value, std::string &text, bool top = false);
    void unparse_entries (const Frame *frame, QPDFObjectHandle dict,
                          std::string &text);

    pdfappend_t *self_;
    const PageMap &pages_;
    std::vector<Digest> &inserted_; // index entries added by this chunk
    std::unordered_map<QPDFObjGen, Copy, ObjGenHash> copies_;
    std::vector<Frame> stack_;
};

//  The name as PDF text: #-escapes where a character needs one.
static void
s_name_text (const std::string &name, std::string &text)
{
    static const char *delimiters = "#()<>[]{}/%";
    bool plain = true;
    for (size_t index = 1; index < name.size () && plain; index++) {
        unsigned char byte = (unsigned char)name[index];
        plain = byte > 32 && byte < 127 && !strchr (delimiters, byte);
    }
    if (plain)
        text += name;
    else
        text += QPDFObjectHandle::newName (name).unparse ();
}

//  Keys not copied: a page's /Parent (the chunk's page tree), a stream's
//  /Length (written anew).
bool
Copier::s_skip_key (const Frame &frame, const std::string &key)
{
    if (frame.page_index >= 0)
        return key == "/Parent";
    if (frame.stream)
        return key == "/Length";
    return false;
}

void
Copier::collect (QPDFObjectHandle value, bool shareable,
                 std::vector<Child> &children)
{
    if (value.isIndirect ())
        children.push_back (Child{value, shareable});
    else if (value.isArray ()) {
        for (auto item : value.aitems ())
            collect (item, shareable, children);
    } else if (value.isDictionary ()) {
        for (auto entry : value.ditems ())
            collect (entry.second, shareable, children);
    }
}

void
Copier::push (QPDFObjectHandle object, bool shareable, int64_t page_index)
{
    Frame frame{object, object.isStream (), shareable, page_index, {}, 0};
    QPDFObjectHandle value = frame.stream ? object.getDict () : object;
    if (value.isDictionary ()) {
        for (auto entry : value.ditems ()) {
            if (s_skip_key (frame, entry.first))
                continue;
            bool resources = page_index >= 0 && entry.first == "/Resources";
            collect (entry.second, shareable || resources, frame.children);
        }
    } else if (value.isArray ()) {
        for (auto item : value.aitems ())
            collect (item, shareable, frame.children);
    }
    stack_.push_back (std::move (frame));
}

//  Whether the reference needs no walk: copied, being copied, a page, or
//  something written as null (recorded as such on the way).
bool
Copier::is_copied (QPDFObjectHandle ref)
{
    QPDFObjGen og = ref.getObjGen ();
    if (pages_.count (og) || copies_.count (og))
        return true;
    switch (ref.getTypeCode ()) {
    case ::ot_boolean:
    case ::ot_integer:
    case ::ot_real:
    case ::ot_string:
    case ::ot_name:
    case ::ot_array:
    case ::ot_stream:
        return false;
    case ::ot_dictionary:
        if (!ref.isDictionaryOfType ("/Page") &&
            !ref.isDictionaryOfType ("/Pages"))
            return false;
        break;
    default:
        break;
    }
    copies_[og] = Copy{0, true};
    return true;
}

void
Copier::copy_page (QPDFObjectHandle page, uint32_t page_index)
{
    if (!page.isDictionary ())
        throw Error ("page " + std::to_string (page_index + 1) +
                     " is not a dictionary");
    assert (stack_.empty ());
    push (page, false, page_index);
    while (!stack_.empty ()) {
        Frame &top = stack_.back ();
        if (top.next == top.children.size ()) {
            emit (top);
            stack_.pop_back ();
            continue;
        }
        Child child = top.children[top.next++];
        if (is_copied (child.ref))
            continue;
        copies_[child.ref.getObjGen ()] = Copy{0, false};
        push (child.ref, child.shareable, -1);
    }
}

uint32_t
Copier::page_number (uint32_t page_index)
{
    uint32_t &number = self_->pages[page_index];
    if (!number)
        number = self_->writer->reserve ();
    return number;
}

//  A reference's text in the output. Everything it refers to has been
//  walked, or is being walked and gets its number now.
std::string
Copier::ref_text (QPDFObjectHandle ref)
{
    QPDFObjGen og = ref.getObjGen ();
    auto page = pages_.find (og);
    if (page != pages_.end ())
        return std::to_string (page_number (page->second)) + " 0 R";
    auto copy = copies_.find (og);
    assert (copy != copies_.end ());
    if (copy->second.done && copy->second.number == 0)
        return "null";
    if (!copy->second.number)
        copy->second.number = self_->writer->reserve ();
    return std::to_string (copy->second.number) + " 0 R";
}

//  The value as PDF text; an indirect one as a reference, unless it is the
//  object being written (top).
void
Copier::unparse (QPDFObjectHandle value, std::string &text, bool top)
{
    if (!top && value.isIndirect ()) {
        text += ref_text (value);
        return;
    }
    switch (value.getTypeCode ()) {
    case ::ot_array: {
        text += '[';
        bool first = true;
        for (auto item : value.aitems ()) {
            if (!first)
                text += ' ';
            first = false;
            unparse (item, text);
        }
        text += ']';
        break;
    }
    case ::ot_dictionary:
        text += "<<";
        unparse_entries (nullptr, value, text);
        text += " >>";
        break;
    case ::ot_boolean:
    case ::ot_integer:
    case ::ot_real:
    case ::ot_string:
    case ::ot_name:
        text += value.unparse ();
        break;
    default:
        text += "null";
        break;
    }
}

//  The entries of a dictionary, less null ones and, when it is the one of
//  frame's object, the keys not copied.
void
Copier::unparse_entries (const Frame *frame, QPDFObjectHandle dict,
                         std::string &text)
{
    for (auto entry : dict.ditems ()) {
        if (frame && s_skip_key (*frame, entry.first))
            continue;
        if (!entry.second.isIndirect () && entry.second.isNull ())
            continue;
        text += ' ';
        s_name_text (entry.first, text);
        text += ' ';
        unparse (entry.second, text);
    }
}

//  Write the object of frame, whose references are all walked, or find an
//  identical resource already written.
void
Copier::emit (Frame &frame)
{
    pdfappend::Writer &writer = *self_->writer;
    QPDFObjectHandle object = frame.object;
    if (frame.page_index >= 0) {
        uint32_t page_index = (uint32_t)frame.page_index;
        std::string text = "<<";
        unparse_entries (&frame, object, text);
        text += " /Parent " +
                std::to_string (self_->leaves[page_index / S_FANOUT]) +
                " 0 R >>";
        writer.write_object (page_number (page_index), text);
        return;
    }
    bool stream = frame.stream;
    std::string text;
    std::shared_ptr<Buffer> data;
    if (stream) {
        text = "<<";
        unparse_entries (&frame, object.getDict (), text);
        data = object.getRawStreamData ();
    } else
        unparse (object, text, true);
    //  Only now: the text may have reserved this object's number.
    Copy &copy = copies_[object.getObjGen ()];
    uint32_t number = copy.number;
    bool indexed = frame.shareable && number == 0;
    Digest digest;
    if (indexed) {
        pdfappend::Sha256 &sha = self_->sha;
        //  The data's size first, so text and data cannot trade bytes.
        std::string head = stream
                               ? "S " + std::to_string (data->getSize ()) + "\n"
                               : std::string ("O\n");
        sha.update (head.data (), head.size ());
        sha.update (text.data (), text.size ());
        if (stream)
            sha.update (data->getBuffer (), data->getSize ());
        std::string bytes = sha.digest ();
        memcpy (digest.data (), bytes.data (), S_DIGEST_SIZE);
        auto known = self_->shared.find (digest);
        if (known != self_->shared.end ()) {
            copy = Copy{known->second, true};
            return;
        }
    }
    if (!number)
        number = writer.reserve ();
    if (stream)
        writer.write_stream (number, text, data->getBuffer (),
                             data->getSize ());
    else
        writer.write_object (number, text);
    copy = Copy{number, true};
    if (indexed) {
        self_->shared.emplace (digest, number);
        inserted_.push_back (digest);
    }
}

} // namespace

static void
s_log_warnings (QPDF &chunk, const char *path)
{
    std::vector<QPDFExc> warnings = chunk.getWarnings ();
    for (size_t index = 0;
         index < warnings.size () && index < S_WARNINGS_LOGGED; index++)
        log_warning ("pdfappend: %s: %s", path, warnings[index].what ());
    if (warnings.size () > S_WARNINGS_LOGGED)
        log_warning ("pdfappend: %s: %zu more qpdf warnings", path,
                     warnings.size () - S_WARNINGS_LOGGED);
}

//  The first chunk's information strings, byte for byte, as a new object.
//  Nothing when it has none.
static void
s_copy_info (pdfappend_t *self, QPDF &chunk)
{
    QPDFObjectHandle info = chunk.getTrailer ().getKey ("/Info");
    if (!info.isDictionary ())
        return;
    std::string text;
    for (const char *key : s_info_keys) {
        QPDFObjectHandle value = info.getKey (key);
        if (value.isString ())
            text += std::string (" ") + key + " " +
                    QPDFObjectHandle::newString (value.getStringValue ())
                        .unparse ();
    }
    if (text.empty ())
        return;
    self->info = self->writer->reserve ();
    self->writer->write_object (self->info, "<<" + text + " >>");
}

//  The whole file at path. qpdf reading a file seeks before each read,
//  a system call each time; from memory it does not. A chunk in the spool
//  passed the collector's size limit, so this holds at most one chunk.
static std::string
s_read_file (const char *path)
{
    std::unique_ptr<FILE, int (*) (FILE *)> file (fopen (path, "rb"), fclose);
    if (!file)
        throw Error (std::string ("cannot open: ") + strerror (errno));
    std::string bytes;
    char block[1 << 16];
    size_t got;
    while ((got = fread (block, 1, sizeof (block), file.get ())) > 0)
        bytes.append (block, got);
    if (ferror (file.get ()))
        throw Error (std::string ("cannot read: ") + strerror (errno));
    return bytes;
}

//  Append the chunk at path; throws on any failure, leaving the rollback
//  to the caller.
static void
s_append (pdfappend_t *self, const char *path, uint32_t expected_pages,
          std::vector<Digest> &inserted)
{
    std::string bytes = s_read_file (path);
    QPDF chunk;
    chunk.setSuppressWarnings (true);
    //  A chunk as a worker writes it never needs repair (the sink checks
    //  each one as it arrives): a damaged one fails, rather than being
    //  copied as qpdf guesses it was meant.
    chunk.setAttemptRecovery (false);
    try {
        chunk.processMemoryFile (path, bytes.data (), bytes.size ());
        chunk.pushInheritedAttributesToPage ();
        std::vector<QPDFObjectHandle> pages = chunk.getAllPages ();
        if (pages.empty ())
            throw Error ("it has no pages");
        if (expected_pages && pages.size () != expected_pages)
            throw Error ("it has " + std::to_string (pages.size ()) +
                         " pages, not " + std::to_string (expected_pages));
        size_t first = self->pages.size ();
        if (pages.size () > UINT32_MAX - first)
            throw Error ("too many pages for one PDF");
        PageMap page_map;
        for (size_t index = 0; index < pages.size (); index++) {
            uint32_t page_index = (uint32_t)(first + index);
            if (page_index % S_FANOUT == 0)
                self->leaves.push_back (self->writer->reserve ());
            page_map[pages[index].getObjGen ()] = page_index;
        }
        self->pages.resize (first + pages.size (), 0);
        if (self->chunks == 0)
            s_copy_info (self, chunk);
        {
            Copier copier (self, page_map, inserted);
            for (size_t index = 0; index < pages.size (); index++)
                copier.copy_page (pages[index], (uint32_t)(first + index));
        }
        //  Even without recovery, qpdf reads a damaged object as null with
        //  a warning: the page would lose it without a word.
        std::vector<QPDFExc> warnings = chunk.getWarnings ();
        if (!warnings.empty ())
            throw Error (std::string ("it is damaged: ") + warnings[0].what ());
        self->outline->read (chunk, page_map, path);
        s_log_warnings (chunk, path);
    } catch (...) {
        s_log_warnings (chunk, path);
        throw;
    }
}

//  The failure's text, naming path once.
static void
s_error (char *error, const char *context, const char *path,
         const std::exception &failure)
{
    if (strstr (failure.what (), path))
        snprintf (error, PDFAPPEND_ERROR_MAX, "%s: %s", context,
                  failure.what ());
    else
        snprintf (error, PDFAPPEND_ERROR_MAX, "%s %s: %s", context, path,
                  failure.what ());
}


//  ---------------------------------------------------------------------
//  The journal: one record per chunk appended, saying what the append
//  added, so that a document can be taken up again after a crash. A
//  record is
//      magic (4 bytes), payload size (4), payload, check (8: the first
//      bytes of the payload's SHA-256)
//  and its payload, in the machine's byte order (the journal never leaves
//  the machine that wrote it):
//      chunks appended (4), bytes of output (8), first object number of
//      the append (4), next number after it (4), /Info number (4),
//      pages (4) and their numbers (4 each), page-tree leaves (4) and
//      their numbers (4 each), cross-reference entries of the numbers
//      from first to next (8 each), shared resources (4) and for each
//      its digest (32) and number (4), outline items (8), bytes of
//      outline records (8) and the records.
//  The output's bytes are fsynced before the records that name them are
//  written, so a record that is complete names bytes that are on disk.

static constexpr uint32_t S_JOURNAL_MAGIC = 0x314a5050; // "PPJ1"
static constexpr size_t S_CHECK_SIZE = 8;
//  A record holds one chunk's objects and resources; a chunk is at most
//  PROTO_CHUNK_BYTES_MAX, and no record of ours comes near this.
static constexpr uint32_t S_RECORD_MAX = 256u << 20;

namespace
{

//  Writing a record's payload.
class Packer
{
  public:
    template <typename T> void put (T value)
    {
        bytes.append (reinterpret_cast<const char *> (&value), sizeof (value));
    }
    void put_bytes (const void *data, size_t size)
    {
        bytes.append (static_cast<const char *> (data), size);
    }
    std::string bytes;
};

//  Reading one back; any read beyond its end throws.
class Unpacker
{
  public:
    explicit Unpacker (const std::string &bytes) : bytes_ (bytes)
    {
    }
    template <typename T> T get ()
    {
        T value;
        memcpy (&value, take (sizeof (value)), sizeof (value));
        return value;
    }
    const char *take (uint64_t size)
    {
        if (size > bytes_.size () - offset_)
            throw Error ("a record is cut short");
        const char *data = bytes_.data () + offset_;
        offset_ += (size_t)size;
        return data;
    }
    bool done () const
    {
        return offset_ == bytes_.size ();
    }

  private:
    const std::string &bytes_;
    size_t offset_ = 0;
};

} // namespace

static std::string
s_check (pdfappend::Sha256 &sha, const std::string &payload)
{
    sha.update (payload.data (), payload.size ());
    return sha.digest ().substr (0, S_CHECK_SIZE);
}

//  The record of the append that started at mark and added pages from
//  first_page, leaves from first_leaf, the resources inserted and the
//  outline records since outline_mark, into self->pending.
static void
s_journal_record (pdfappend_t *self, const Mark &mark, size_t first_page,
                  size_t first_leaf, const std::vector<Digest> &inserted,
                  const OutlineMark &outline_mark)
{
    Packer packer;
    pdfappend::Writer &writer = *self->writer;
    std::vector<uint64_t> entries = writer.entries (mark.next_number);
    packer.put<uint32_t> (self->chunks + 1);
    packer.put<uint64_t> (writer.flushed ());
    packer.put<uint32_t> (mark.next_number);
    packer.put<uint32_t> (mark.next_number + (uint32_t)entries.size ());
    packer.put<uint32_t> (self->info);
    packer.put<uint32_t> ((uint32_t)(self->pages.size () - first_page));
    packer.put_bytes (self->pages.data () + first_page,
                      (self->pages.size () - first_page) * sizeof (uint32_t));
    packer.put<uint32_t> ((uint32_t)(self->leaves.size () - first_leaf));
    packer.put_bytes (self->leaves.data () + first_leaf,
                      (self->leaves.size () - first_leaf) * sizeof (uint32_t));
    packer.put_bytes (entries.data (), entries.size () * sizeof (uint64_t));
    packer.put<uint32_t> ((uint32_t)inserted.size ());
    for (const Digest &digest : inserted) {
        packer.put_bytes (digest.data (), digest.size ());
        packer.put<uint32_t> (self->shared.at (digest));
    }
    std::string records = self->outline->records_since (outline_mark);
    packer.put<uint64_t> (self->outline->items () - outline_mark.items);
    packer.put<uint64_t> (records.size ());
    packer.put_bytes (records.data (), records.size ());
    if (packer.bytes.size () > S_RECORD_MAX)
        throw Error ("the chunk's journal record is over " +
                     std::to_string (S_RECORD_MAX) + " bytes");
    Packer head;
    head.put<uint32_t> (S_JOURNAL_MAGIC);
    head.put<uint32_t> ((uint32_t)packer.bytes.size ());
    self->pending += head.bytes;
    self->pending += packer.bytes;
    self->pending += s_check (self->sha, packer.bytes);
}

//  Apply one record (payload) to self, which stands where the record
//  before it left it. Throws when it does not follow on.
static void
s_journal_apply (pdfappend_t *self, const std::string &payload,
                 uint64_t *bytes_p)
{
    Unpacker unpacker (payload);
    pdfappend::Writer &writer = *self->writer;
    uint32_t chunks = unpacker.get<uint32_t> ();
    uint64_t bytes = unpacker.get<uint64_t> ();
    uint32_t first_number = unpacker.get<uint32_t> ();
    uint32_t next_number = unpacker.get<uint32_t> ();
    uint32_t info = unpacker.get<uint32_t> ();
    if (chunks != self->chunks + 1 || bytes < *bytes_p ||
        next_number < first_number || info >= next_number ||
        (self->chunks > 0 && info != self->info))
        throw Error ("record " + std::to_string (self->chunks + 1) +
                     " does not follow the one before it");
    uint32_t pages = unpacker.get<uint32_t> ();
    if (pages == 0 || pages > UINT32_MAX - self->pages.size ())
        throw Error ("a record has no pages, or too many");
    for (uint32_t page = 0; page < pages; page++) {
        uint32_t number = unpacker.get<uint32_t> ();
        if (number < first_number || number >= next_number)
            throw Error ("a page's number is not the record's");
        self->pages.push_back (number);
    }
    uint32_t leaves = unpacker.get<uint32_t> ();
    for (uint32_t leaf = 0; leaf < leaves; leaf++) {
        uint32_t number = unpacker.get<uint32_t> ();
        if (number < first_number || number >= next_number)
            throw Error ("a page-tree leaf's number is not the record's");
        self->leaves.push_back (number);
    }
    if (self->leaves.size () != (self->pages.size () + S_FANOUT - 1) / S_FANOUT)
        throw Error ("page-tree leaves do not match the pages");
    uint64_t count = next_number - first_number;
    const char *entry_bytes = unpacker.take (count * sizeof (uint64_t));
    std::vector<uint64_t> entries ((size_t)count);
    memcpy (entries.data (), entry_bytes, entries.size () * sizeof (uint64_t));
    writer.restore (first_number, entries);
    uint32_t resources = unpacker.get<uint32_t> ();
    for (uint32_t resource = 0; resource < resources; resource++) {
        Digest digest;
        memcpy (digest.data (), unpacker.take (digest.size ()), digest.size ());
        uint32_t number = unpacker.get<uint32_t> ();
        if (number == 0 || number >= next_number)
            throw Error ("a shared resource's number is out of range");
        self->shared[digest] = number;
    }
    uint64_t items = unpacker.get<uint64_t> ();
    uint64_t size = unpacker.get<uint64_t> ();
    std::string records (unpacker.take (size), (size_t)size);
    self->outline->restore (records, items);
    if (!unpacker.done ())
        throw Error ("a record has bytes left over");
    self->info = info;
    self->chunks = chunks;
    *bytes_p = bytes;
}

//  Read the whole of fd (the journal) as far as complete records go, and
//  call apply on each record's payload. Returns the end of the last one
//  taken. A record cut short at the end, or whose check fails and that
//  ends the file, is torn: it and what follows are ignored. Throws when
//  a record fails elsewhere.
template <typename Apply>
static uint64_t
s_journal_read (int fd, pdfappend::Sha256 &sha, Apply apply)
{
    std::unique_ptr<FILE, int (*) (FILE *)> file (fdopen (dup (fd), "rb"),
                                                  fclose);
    if (!file)
        throw Error (std::string ("cannot read the journal: ") +
                     strerror (errno));
    uint64_t taken = 0;
    while (true) {
        uint32_t head[2];
        if (fread (head, sizeof (head), 1, file.get ()) != 1)
            break; // the end, or a torn head
        if (head[0] != S_JOURNAL_MAGIC || head[1] > S_RECORD_MAX)
            break; // a torn record's garbage, which can only be last
        std::string payload (head[1], '\0');
        char check[S_CHECK_SIZE];
        if (fread (&payload[0], 1, payload.size (), file.get ()) !=
                payload.size () ||
            fread (check, 1, S_CHECK_SIZE, file.get ()) != S_CHECK_SIZE)
            break;
        if (s_check (sha, payload) != std::string (check, S_CHECK_SIZE)) {
            if (fgetc (file.get ()) == EOF)
                break;
            throw Error ("record " + std::to_string (taken) +
                         " bytes in is damaged");
        }
        apply (payload);
        taken += sizeof (head) + payload.size () + S_CHECK_SIZE;
    }
    if (ferror (file.get ()))
        throw Error (std::string ("cannot read the journal: ") +
                     strerror (errno));
    return taken;
}

pdfappend_t *
pdfappend_new (const char *out_path, char *error)
{
    assert (out_path);
    assert (error);
    std::unique_ptr<pdfappend_t> self;
    std::string part_path = std::string (out_path) + ".part";
    try {
        self.reset (new pdfappend_t ());
        self->out_path = out_path;
        self->part_path = part_path;
        self->journal_path = std::string (out_path) + ".journal";
        //  An earlier attempt's journal speaks of another output.
        if (unlink (self->journal_path.c_str ()) == -1 && errno != ENOENT)
            throw Error ("cannot remove " + self->journal_path + ": " +
                         strerror (errno));
        self->writer.reset (new pdfappend::Writer (part_path));
        self->outline.reset (new pdfappend::Outline (part_path));
        self->writer->flush ();
        self->bytes_final = self->writer->flushed ();
    } catch (const std::exception &failure) {
        s_error (error, "cannot start", part_path.c_str (), failure);
        if (self && self->writer)
            unlink (part_path.c_str ());
        return NULL;
    }
    return self.release ();
}

void
pdfappend_destroy (pdfappend_t **self_p)
{
    assert (self_p);
    pdfappend_t *self = *self_p;
    if (!self)
        return;
    //  A checkpoint is kept for pdfappend_resume: chunks it covers may be
    //  gone. The output's owner removes it with its directory.
    if (!self->finished && self->writer && self->checkpointed == 0) {
        unlink (self->part_path.c_str ());
        unlink (self->journal_path.c_str ());
    }
    if (self->journal_fd != -1)
        close (self->journal_fd);
    delete self;
    *self_p = NULL;
}

int
pdfappend_add (pdfappend_t *self, const char *chunk_path,
               uint32_t expected_pages, char *error)
{
    assert (self);
    assert (chunk_path);
    assert (error);
    if (!self->broken.empty () || self->finished) {
        snprintf (error, PDFAPPEND_ERROR_MAX, "cannot append %s: %s",
                  chunk_path,
                  self->finished ? "the document is finished"
                                 : self->broken.c_str ());
        return -1;
    }
    Mark mark = self->writer->mark ();
    OutlineMark outline_mark = self->outline->mark ();
    size_t pages = self->pages.size ();
    size_t leaves = self->leaves.size ();
    std::vector<Digest> inserted;
    size_t pending = self->pending.size ();
    try {
        s_append (self, chunk_path, expected_pages, inserted);
        self->writer->flush ();
        s_journal_record (self, mark, pages, leaves, inserted, outline_mark);
    } catch (const std::exception &failure) {
        s_error (error, "cannot append", chunk_path, failure);
        try {
            self->pending.resize (pending);
            for (const Digest &digest : inserted)
                self->shared.erase (digest);
            self->writer->rollback (mark);
            self->outline->rollback (outline_mark);
            self->pages.resize (pages);
            self->leaves.resize (leaves);
            if (self->chunks == 0)
                self->info = 0;
        } catch (const std::exception &rollback_failure) {
            self->broken = rollback_failure.what ();
        }
        return -1;
    }
    self->chunks++;
    self->bytes_final = self->writer->flushed ();
    log_debug ("pdfappend: %s: %zu pages, %zu shared resources in all",
               chunk_path, self->pages.size () - pages, self->shared.size ());
    return 0;
}

//  Write the page tree over self->pages and return its root's number.
static uint32_t
s_write_page_tree (pdfappend_t *self)
{
    pdfappend::Writer &writer = *self->writer;
    const uint64_t pages = self->pages.size ();
    std::vector<std::vector<uint32_t>> levels = {self->leaves};
    while (levels.back ().size () > 1) {
        std::vector<uint32_t> above ((levels.back ().size () + S_FANOUT - 1) /
                                     S_FANOUT);
        for (uint32_t &number : above)
            number = writer.reserve ();
        levels.push_back (std::move (above));
    }
    uint64_t span = S_FANOUT; // pages below one node of the level
    for (size_t level = 0; level < levels.size (); level++, span *= S_FANOUT) {
        const std::vector<uint32_t> &nodes = levels[level];
        const std::vector<uint32_t> &kids =
            level == 0 ? self->pages : levels[level - 1];
        for (size_t index = 0; index < nodes.size (); index++) {
            std::string text = "<< /Type /Pages";
            if (level + 1 < levels.size ())
                text += " /Parent " +
                        std::to_string (levels[level + 1][index / S_FANOUT]) +
                        " 0 R";
            text += " /Kids [";
            size_t first_kid = index * S_FANOUT;
            size_t end_kid = std::min (kids.size (), first_kid + S_FANOUT);
            for (size_t kid = first_kid; kid < end_kid; kid++)
                text += (kid > first_kid ? " " : "") +
                        std::to_string (kids[kid]) + " 0 R";
            uint64_t first_page = index * span;
            uint64_t end_page = std::min (pages, first_page + span);
            text +=
                "] /Count " + std::to_string (end_page - first_page) + " >>";
            writer.write_object (nodes[index], text);
        }
    }
    return levels.back ()[0];
}

int
pdfappend_finish (pdfappend_t *self, uint32_t expected_pages, char *error)
{
    assert (self);
    assert (error);
    if (!self->broken.empty () || self->finished) {
        snprintf (error, PDFAPPEND_ERROR_MAX, "cannot finish %s: %s",
                  self->out_path.c_str (),
                  self->finished ? "it is finished already"
                                 : self->broken.c_str ());
        return -1;
    }
    size_t pages = self->pages.size ();
    if (pages == 0) {
        snprintf (error, PDFAPPEND_ERROR_MAX,
                  "cannot finish %s: no pages were appended",
                  self->out_path.c_str ());
        return -1;
    }
    if (expected_pages && pages != expected_pages) {
        snprintf (error, PDFAPPEND_ERROR_MAX,
                  "merged document has %zu pages, expected %u", pages,
                  expected_pages);
        return -1;
    }
    try {
        pdfappend::Writer &writer = *self->writer;
        uint32_t outline = self->outline->write (writer, self->pages);
        uint32_t page_tree = s_write_page_tree (self);
        uint32_t catalog = writer.reserve ();
        std::string text =
            "<< /Type /Catalog /Pages " + std::to_string (page_tree) + " 0 R";
        if (outline)
            text += " /Outlines " + std::to_string (outline) +
                    " 0 R /PageMode /UseOutlines";
        writer.write_object (catalog, text + " >>");
        std::string trailer = "/Root " + std::to_string (catalog) + " 0 R";
        if (self->info)
            trailer += " /Info " + std::to_string (self->info) + " 0 R";
        writer.finish (trailer);
        char fsio_error[FSIO_ERROR_MAX];
        if (fsio_commit (self->part_path.c_str (), self->out_path.c_str (),
                         fsio_error) == -1)
            throw Error (fsio_error);
        self->finished = true;
        self->bytes_final = writer.flushed ();
    } catch (const std::exception &failure) {
        self->broken = failure.what ();
        s_error (error, "cannot finish", self->out_path.c_str (), failure);
        return -1;
    }
    log_debug ("pdfappend: %s: %zu pages, %u chunks, %llu outline items, "
               "%zu shared resources, %llu bytes",
               self->out_path.c_str (), pages, self->chunks,
               (unsigned long long)self->outline->items (),
               self->shared.size (), (unsigned long long)self->bytes_final);
    return 0;
}

uint32_t
pdfappend_pages (const pdfappend_t *self)
{
    assert (self);
    return (uint32_t)self->pages.size ();
}

uint64_t
pdfappend_bytes_final (const pdfappend_t *self)
{
    assert (self);
    return self->bytes_final;
}

int
pdfappend_checkpoint (pdfappend_t *self, char *error)
{
    assert (self);
    assert (error);
    if (!self->broken.empty () || self->finished) {
        snprintf (error, PDFAPPEND_ERROR_MAX, "cannot checkpoint %s: %s",
                  self->part_path.c_str (),
                  self->finished ? "the document is finished"
                                 : self->broken.c_str ());
        return -1;
    }
    if (self->chunks == self->checkpointed)
        return 0;
    try {
        self->writer->sync ();
        bool created = self->journal_fd == -1;
        if (created) {
            self->journal_fd =
                open (self->journal_path.c_str (),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (self->journal_fd == -1)
                throw Error ("cannot open " + self->journal_path + ": " +
                             strerror (errno));
        }
        if (fsio_write_all (self->journal_fd, self->pending.data (),
                            self->pending.size ()) == -1 ||
            fsync (self->journal_fd) == -1)
            throw Error ("cannot write " + self->journal_path + ": " +
                         strerror (errno));
        //  The names of the output and the journal, the first time.
        std::string dir = self->journal_path.substr (
            0, self->journal_path.find_last_of ('/') + 1);
        if (created && fsio_fsync_dir (dir.empty () ? "." : dir.c_str ()) == -1)
            throw Error ("cannot fsync " + dir + ": " + strerror (errno));
    } catch (const std::exception &failure) {
        //  A journal written in part cannot take another record after it.
        self->broken = failure.what ();
        s_error (error, "cannot checkpoint", self->part_path.c_str (),
                 failure);
        return -1;
    }
    self->pending.clear ();
    self->checkpointed = self->chunks;
    self->checkpointed_bytes = self->bytes_final;
    return 0;
}

pdfappend_t *
pdfappend_resume (const char *out_path, bool *found, char *error)
{
    assert (out_path);
    assert (found);
    assert (error);
    *found = false;
    std::string journal_path = std::string (out_path) + ".journal";
    std::string part_path = std::string (out_path) + ".part";
    int journal_fd = open (journal_path.c_str (), O_RDWR | O_CLOEXEC);
    if (journal_fd == -1) {
        snprintf (error, PDFAPPEND_ERROR_MAX, "cannot open %s: %s",
                  journal_path.c_str (), strerror (errno));
        return NULL;
    }
    std::unique_ptr<pdfappend_t> self;
    try {
        //  Killed between finishing and storing: the finished file holds
        //  every byte of the last checkpoint, in place.
        if (access (part_path.c_str (), F_OK) == -1 &&
            access (out_path, F_OK) == 0 &&
            rename (out_path, part_path.c_str ()) == -1)
            throw Error ("cannot rename " + std::string (out_path) + ": " +
                         strerror (errno));
        struct stat part;
        if (stat (part_path.c_str (), &part) == -1)
            throw Error ("cannot find " + part_path + ": " + strerror (errno));
        self.reset (new pdfappend_t ());
        self->out_path = out_path;
        self->part_path = part_path;
        self->journal_path = journal_path;
        self->writer.reset (new pdfappend::Writer (part_path, part.st_size));
        self->outline.reset (new pdfappend::Outline (part_path));
        uint64_t bytes = 0;
        *found = true; // until it proves to hold no record at all
        uint64_t taken = s_journal_read (
            journal_fd, self->sha, [&] (const std::string &payload) {
                s_journal_apply (self.get (), payload, &bytes);
            });
        *found = self->chunks > 0;
        if (!*found)
            throw Error ("it holds no complete record");
        if (bytes > (uint64_t)part.st_size)
            throw Error ("it names " + std::to_string (bytes) + " bytes of " +
                         part_path + ", which has " +
                         std::to_string (part.st_size));
        //  Cut the output back to the checkpoint, and the torn tail off
        //  the journal.
        Mark checkpoint = self->writer->mark ();
        checkpoint.size = bytes;
        self->writer->rollback (checkpoint);
        if (ftruncate (journal_fd, (off_t)taken) == -1)
            throw Error ("cannot truncate " + journal_path + ": " +
                         strerror (errno));
        close (journal_fd);
        journal_fd = -1;
        self->journal_fd = open (journal_path.c_str (),
                                 O_WRONLY | O_APPEND | O_CLOEXEC);
        if (self->journal_fd == -1)
            throw Error ("cannot open " + journal_path + ": " +
                         strerror (errno));
        self->checkpointed = self->chunks;
        self->bytes_final = bytes;
        self->checkpointed_bytes = bytes;
        return self.release ();
    } catch (const std::exception &failure) {
        s_error (error, "cannot resume from", journal_path.c_str (), failure);
        if (journal_fd != -1)
            close (journal_fd);
        return NULL;
    }
}

uint32_t
pdfappend_chunks (const pdfappend_t *self)
{
    assert (self);
    return self->chunks;
}

uint32_t
pdfappend_checkpointed (const pdfappend_t *self)
{
    assert (self);
    return self->checkpointed;
}

uint64_t
pdfappend_pending_bytes (const pdfappend_t *self)
{
    assert (self);
    return self->bytes_final - self->checkpointed_bytes;
}
