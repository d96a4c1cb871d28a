/*  pdfappend_writer - the append-only output file of sink/pdfappend.

    Writes go through one buffer and pwrite at the tracked size, so a
    rollback is a truncate plus forgetting the buffer's tail. An entry is
    packed into a uint64_t while it waits ((type << 56) | (field << 16) |
    index, 0 for not written yet: type 1 has an offset above 0, type 2 an
    object stream number above 0) and stored as its 8 bytes, big-endian
    as the cross-reference stream wants them, which is what lets the
    scratch file take an entry at (number - 1) * 8 whenever it is known.
    The stream uses the PNG Up predictor: offsets and numbers grow slowly
    from one entry to the next, so the differences compress well. Offsets
    have five bytes: an output over 1 TB fails with that reason.

    SPDX-License-Identifier: MPL-2.0
*/
#include "pdfappend_writer.hh"

#include <qpdf/Pl_Flate.hh>
#include <qpdf/Pl_StdioFile.hh>
#include <qpdf/Pl_String.hh>
#include <qpdf/QPDFCryptoImpl.hh>
#include <qpdf/QPDFCryptoProvider.hh>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace pdfappend
{

static constexpr size_t S_BUFFER_MAX = 1 << 20; // bytes buffered
static constexpr size_t S_WINDOW_MAX = 16384;   // entries kept in memory
static constexpr size_t S_ENTRY_SIZE = 8;       // bytes of one entry
static constexpr size_t S_COPY_ENTRIES = 8192;  // entries per read at the end
static constexpr uint64_t S_FIELD_MAX = (1ULL << 40) - 1; // five bytes
static constexpr size_t S_DIGEST_SIZE = 32;
//  Objects per object stream: enough for compression to pay, few enough
//  that a reader finding one object inflates little.
static constexpr size_t S_OBJSTM_OBJECTS = 200;
static constexpr size_t S_OBJSTM_BYTES = 1 << 20; // or this much text

static const char s_header[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";

static Error
s_system_error (const char *step, const std::string &path)
{
    return Error (std::string (step) + " " + path + ": " + strerror (errno));
}

int
scratch_file (const std::string &near_path, const char *what)
{
    std::string name = near_path + "." + what + ".XXXXXX";
    std::vector<char> name_buffer (name.begin (), name.end ());
    name_buffer.push_back ('\0');
    int fd = mkstemp (name_buffer.data ());
    if (fd == -1)
        throw s_system_error ("cannot create", name);
    //  Nothing to clean up after a crash: the file lives while it is open.
    unlink (name_buffer.data ());
    return fd;
}

Sha256::Sha256 () : impl_ (QPDFCryptoProvider::getImpl ())
{
    impl_->SHA2_init (256);
}

void
Sha256::update (const void *data, size_t size)
{
    impl_->SHA2_update (static_cast<const unsigned char *> (data), size);
}

std::string
Sha256::digest ()
{
    impl_->SHA2_finalize ();
    std::string digest = impl_->SHA2_digest ();
    assert (digest.size () == S_DIGEST_SIZE);
    impl_->SHA2_init (256);
    return digest;
}

void
Writer::open_file (int flags, uint64_t size)
{
    fd_ = open (path_.c_str (), flags | O_WRONLY | O_CLOEXEC, 0644);
    if (fd_ == -1)
        throw s_system_error ("cannot open", path_);
    try {
        if (ftruncate (fd_, (off_t)size) == -1)
            throw s_system_error ("cannot truncate", path_);
        xref_fd_ = scratch_file (path_, "xref");
    } catch (...) {
        close (fd_);
        fd_ = -1;
        throw;
    }
    buffer_.reserve (S_BUFFER_MAX);
    flushed_ = size;
}

Writer::Writer (const std::string &path) : path_ (path)
{
    open_file (O_CREAT | O_TRUNC, 0);
    append (s_header, sizeof (s_header) - 1);
}

Writer::Writer (const std::string &path, uint64_t size) : path_ (path)
{
    open_file (0, size);
}

Writer::~Writer ()
{
    if (xref_fd_ != -1)
        close (xref_fd_);
    if (fd_ != -1)
        close (fd_);
}

void
Writer::write_at (int fd, const char *data, size_t size, uint64_t offset,
                  const char *step)
{
    while (size > 0) {
        ssize_t done = pwrite (fd, data, size, (off_t)offset);
        if (done == -1 && errno == EINTR)
            continue;
        if (done == -1)
            throw s_system_error (step, path_);
        data += done;
        size -= (size_t)done;
        offset += (uint64_t)done;
    }
}

void
Writer::write_buffer ()
{
    if (buffer_.empty ())
        return;
    write_at (fd_, buffer_.data (), buffer_.size (), flushed_, "cannot write");
    flushed_ += buffer_.size ();
    buffer_.clear ();
}

void
Writer::flush ()
{
    close_object_stream ();
    write_buffer ();
}

void
Writer::append (const char *data, size_t size)
{
    if (size >= S_BUFFER_MAX) {
        write_buffer ();
        write_at (fd_, data, size, flushed_, "cannot write");
        flushed_ += size;
        return;
    }
    buffer_.append (data, size);
    if (buffer_.size () >= S_BUFFER_MAX)
        write_buffer ();
}

uint32_t
Writer::reserve ()
{
    if (next_number_ == UINT32_MAX)
        throw Error ("too many objects for one PDF");
    return next_number_++;
}

static uint64_t
s_entry (uint64_t type, uint64_t field, uint64_t index)
{
    return type << 56 | field << 16 | index;
}

static void
s_entry_bytes (uint64_t entry, unsigned char *bytes)
{
    bytes[0] = (unsigned char)(entry >> 56);
    for (int index = 1; index < 8; index++)
        bytes[index] = (unsigned char)(entry >> (8 * (7 - index)));
}

void
Writer::flush_window ()
{
    if (window_.empty ())
        return;
    std::string entries (window_.size () * S_ENTRY_SIZE, '\0');
    for (size_t index = 0; index < window_.size (); index++)
        s_entry_bytes (window_[index], reinterpret_cast<unsigned char *> (
                                           &entries[index * S_ENTRY_SIZE]));
    write_at (xref_fd_, entries.data (), entries.size (),
              (uint64_t)(window_base_ - 1) * S_ENTRY_SIZE,
              "cannot write the cross-reference scratch file for");
    window_base_ += (uint32_t)window_.size ();
    window_.clear ();
}

void
Writer::set_entry (uint32_t number, uint64_t entry)
{
    assert (number > 0 && number < next_number_);
    assert (entry != 0);
    if (number >= window_base_) {
        size_t index = number - window_base_;
        if (index >= window_.size ())
            window_.resize (index + 1, 0);
        assert (window_[index] == 0);
        window_[index] = entry;
        if (window_.size () >= S_WINDOW_MAX)
            flush_window ();
    } else {
        unsigned char bytes[S_ENTRY_SIZE];
        s_entry_bytes (entry, bytes);
        write_at (xref_fd_, reinterpret_cast<const char *> (bytes),
                  S_ENTRY_SIZE, (uint64_t)(number - 1) * S_ENTRY_SIZE,
                  "cannot write the cross-reference scratch file for");
    }
    numbers_known_++;
}

void
Writer::write_object (uint32_t number, const std::string &text)
{
    if (!objstm_number_)
        objstm_number_ = reserve ();
    set_entry (number, s_entry (2, objstm_number_, objstm_members_.size ()));
    objstm_members_.push_back (Member{number, objstm_body_.size ()});
    objstm_body_ += text;
    objstm_body_ += '\n';
    if (objstm_members_.size () >= S_OBJSTM_OBJECTS ||
        objstm_body_.size () >= S_OBJSTM_BYTES)
        close_object_stream ();
}

void
Writer::close_object_stream ()
{
    if (!objstm_number_)
        return;
    std::string header;
    for (const Member &member : objstm_members_)
        header += std::to_string (member.number) + " " +
                  std::to_string (member.offset) + " ";
    header.back () = '\n';
    std::string packed;
    Pl_String to_string ("object stream", nullptr, packed);
    Pl_Flate deflate ("object stream", &to_string, Pl_Flate::a_deflate);
    deflate.write (reinterpret_cast<const unsigned char *> (header.data ()),
                   header.size ());
    deflate.write (
        reinterpret_cast<const unsigned char *> (objstm_body_.data ()),
        objstm_body_.size ());
    deflate.finish ();
    uint32_t number = objstm_number_;
    std::string dict =
        "<< /Type /ObjStm /N " + std::to_string (objstm_members_.size ()) +
        " /First " + std::to_string (header.size ()) + " /Filter /FlateDecode";
    objstm_number_ = 0;
    objstm_members_.clear ();
    objstm_body_.clear ();
    write_stream (number, dict,
                  reinterpret_cast<const unsigned char *> (packed.data ()),
                  packed.size ());
}

void
Writer::write_stream (uint32_t number, const std::string &dict_text,
                      const unsigned char *data, size_t size)
{
    uint64_t offset = flushed_ + buffer_.size ();
    if (offset > S_FIELD_MAX)
        throw Error (path_ + ": the document is over 1 TB, more than its "
                             "cross-reference stream can address");
    set_entry (number, s_entry (1, offset, 0));
    std::string head = std::to_string (number) + " 0 obj\n" + dict_text +
                       " /Length " + std::to_string (size) + " >>\nstream\n";
    append (head.data (), head.size ());
    append (reinterpret_cast<const char *> (data), size);
    append ("\nendstream\nendobj\n", 18);
}

Mark
Writer::mark () const
{
    assert (!objstm_number_);
    return Mark{flushed_ + buffer_.size (), next_number_, numbers_known_};
}

void
Writer::rollback (const Mark &mark)
{
    objstm_number_ = 0;
    objstm_members_.clear ();
    objstm_body_.clear ();
    if (mark.size >= flushed_)
        buffer_.resize (mark.size - flushed_);
    else {
        buffer_.clear ();
        if (ftruncate (fd_, (off_t)mark.size) == -1)
            throw s_system_error ("cannot truncate", path_);
        flushed_ = mark.size;
    }
    //  Entries of the numbers handed out again are overwritten when their
    //  new objects are written.
    if (mark.next_number >= window_base_) {
        size_t keep = mark.next_number - window_base_;
        if (window_.size () > keep)
            window_.resize (keep);
    } else {
        window_.clear ();
        window_base_ = mark.next_number;
    }
    next_number_ = mark.next_number;
    numbers_known_ = mark.numbers_known;
}

std::vector<uint64_t>
Writer::entries (uint32_t first)
{
    assert (!objstm_number_);
    assert (first >= 1 && first <= next_number_);
    std::vector<uint64_t> found (next_number_ - first, 0);
    uint32_t number = first;
    //  Those before the window are in the scratch file.
    if (number < window_base_) {
        uint32_t count = window_base_ - number;
        std::vector<unsigned char> bytes ((size_t)count * S_ENTRY_SIZE);
        size_t done = 0;
        while (done < bytes.size ()) {
            ssize_t got =
                pread (xref_fd_, bytes.data () + done, bytes.size () - done,
                       (off_t)((uint64_t)(number - 1) * S_ENTRY_SIZE + done));
            if (got == -1 && errno == EINTR)
                continue;
            if (got <= 0)
                throw Error ("cannot read the cross-reference scratch file "
                             "for " +
                             path_ + ": " +
                             (got == -1 ? strerror (errno) : "file too short"));
            done += (size_t)got;
        }
        for (uint32_t index = 0; index < count; index++) {
            uint64_t entry = 0;
            for (size_t byte = 0; byte < S_ENTRY_SIZE; byte++)
                entry = entry << 8 | bytes[index * S_ENTRY_SIZE + byte];
            found[index] = entry;
        }
        number = window_base_;
    }
    for (; number < next_number_; number++) {
        size_t index = number - window_base_;
        found[number - first] = index < window_.size () ? window_[index] : 0;
    }
    return found;
}

void
Writer::restore (uint32_t first, const std::vector<uint64_t> &entries)
{
    if (first != next_number_)
        throw Error ("object " + std::to_string (first) +
                     " is not the next number, " +
                     std::to_string (next_number_));
    if (entries.size () >= UINT32_MAX - next_number_)
        throw Error ("too many objects for one PDF");
    for (uint64_t entry : entries) {
        uint32_t number = next_number_++;
        uint64_t type = entry >> 56;
        uint64_t field = (entry >> 16) & S_FIELD_MAX;
        bool good = entry == 0 || (type == 1 && field > 0 &&
                                   field < flushed_ && (entry & 0xffff) == 0) ||
                    (type == 2 && field > 0 && field <= UINT32_MAX &&
                     (entry & 0xffff) < S_OBJSTM_OBJECTS);
        if (!good)
            throw Error ("object " + std::to_string (number) +
                         " has a cross-reference entry this never writes");
        if (entry)
            set_entry (number, entry);
    }
}

void
Writer::sync ()
{
    flush ();
    if (fsync (fd_) == -1)
        throw s_system_error ("cannot fsync", path_);
}

//  Compress the entries, from object 0's on, into packed, each row
//  filtered by the PNG Up predictor. Returns how many bytes it holds, and
//  gives the SHA-256 of the entries in digest.
uint64_t
Writer::copy_entries (FILE *packed, std::string &digest)
{
    Pl_StdioFile to_file ("cross-reference stream", packed);
    Pl_Flate deflate ("cross-reference stream", &to_file, Pl_Flate::a_deflate);
    Sha256 sha;
    unsigned char above[S_ENTRY_SIZE] = {0};
    unsigned char row[1 + S_ENTRY_SIZE];
    row[0] = 2; // Up
    auto add_row = [&] (const unsigned char *entry) {
        for (size_t index = 0; index < S_ENTRY_SIZE; index++)
            row[1 + index] = (unsigned char)(entry[index] - above[index]);
        memcpy (above, entry, S_ENTRY_SIZE);
        deflate.write (row, sizeof (row));
        sha.update (entry, S_ENTRY_SIZE);
    };
    unsigned char free_head[S_ENTRY_SIZE];
    s_entry_bytes (s_entry (0, 0, 65535), free_head);
    add_row (free_head);
    std::vector<unsigned char> block (S_COPY_ENTRIES * S_ENTRY_SIZE);
    uint64_t left = (uint64_t)(next_number_ - 1) * S_ENTRY_SIZE;
    uint64_t offset = 0;
    while (left > 0) {
        size_t want = left < block.size () ? (size_t)left : block.size ();
        ssize_t got = pread (xref_fd_, block.data (), want, (off_t)offset);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0 || got % S_ENTRY_SIZE != 0)
            throw Error ("cannot read the cross-reference scratch file for " +
                         path_ + ": " +
                         (got == -1 ? strerror (errno) : "file too short"));
        for (ssize_t done = 0; done < got; done += S_ENTRY_SIZE)
            add_row (block.data () + done);
        left -= (uint64_t)got;
        offset += (uint64_t)got;
    }
    deflate.finish ();
    digest = sha.digest ();
    long size = ftell (packed);
    if (size == -1)
        throw s_system_error ("cannot tell the size of the scratch file for",
                              path_);
    return (uint64_t)size;
}

void
Writer::finish (const std::string &trailer_entries)
{
    close_object_stream ();
    uint32_t number = reserve ();
    uint64_t xref_offset = flushed_ + buffer_.size ();
    set_entry (number, s_entry (1, xref_offset, 0));
    assert (numbers_known_ == next_number_ - 1);
    flush_window ();
    int packed_fd = scratch_file (path_, "xrefstm");
    std::unique_ptr<FILE, int (*) (FILE *)> packed (fdopen (packed_fd, "w+b"),
                                                    fclose);
    if (!packed) {
        close (packed_fd);
        throw s_system_error ("cannot open the scratch file for", path_);
    }
    std::string digest;
    uint64_t size = copy_entries (packed.get (), digest);
    //  The table is the document's fingerprint for /ID.
    char id[2 * 16 + 1];
    for (size_t index = 0; index < 16; index++)
        snprintf (id + 2 * index, 3, "%02x", (unsigned char)digest[index]);
    std::string head =
        std::to_string (number) + " 0 obj\n<< /Type /XRef /Size " +
        std::to_string (next_number_) +
        " /W [1 5 2] /Filter /FlateDecode /DecodeParms << /Columns 8 "
        "/Predictor 12 >> " +
        trailer_entries + " /ID [<" + id + "> <" + id + ">] /Length " +
        std::to_string (size) + " >>\nstream\n";
    append (head.data (), head.size ());
    if (fseek (packed.get (), 0, SEEK_SET) == -1)
        throw s_system_error ("cannot read the scratch file for", path_);
    std::vector<char> block (S_COPY_ENTRIES * S_ENTRY_SIZE);
    for (uint64_t left = size; left > 0;) {
        size_t want = left < block.size () ? (size_t)left : block.size ();
        if (fread (block.data (), 1, want, packed.get ()) != want)
            throw s_system_error ("cannot read the scratch file for", path_);
        append (block.data (), want);
        left -= want;
    }
    std::string tail = "\nendstream\nendobj\nstartxref\n" +
                       std::to_string (xref_offset) + "\n%%EOF\n";
    append (tail.data (), tail.size ());
    write_buffer ();
}

} // namespace pdfappend
