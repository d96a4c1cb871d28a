/*  pdfappend_writer - the append-only output file of sink/pdfappend.

    Writes go through one buffer and pwrite at the tracked size, so a
    rollback is a truncate plus forgetting the buffer's tail. A classic
    cross-reference entry is exactly 20 bytes ("oooooooooo ggggg n \n"),
    which is what lets the scratch file take an entry at (number - 1) * 20
    whenever it is known; the final table is that file copied behind a
    one-line header. Offsets have ten digits, so the output is limited to
    just under 10 GB; a larger one fails with that reason.

    SPDX-License-Identifier: MPL-2.0
*/
#include "pdfappend_writer.hh"

#include <qpdf/QPDFCryptoImpl.hh>
#include <qpdf/QPDFCryptoProvider.hh>

#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace pdfappend
{

static constexpr size_t S_BUFFER_MAX = 1 << 20; // bytes buffered
static constexpr size_t S_WINDOW_MAX = 16384;   // entries kept in memory
static constexpr size_t S_ENTRY_SIZE = 20;      // bytes of one entry
static constexpr size_t S_COPY_ENTRIES = 4096;  // entries per read at the end
static constexpr uint64_t S_OFFSET_MAX = 9999999999ULL; // ten digits
static constexpr size_t S_DIGEST_SIZE = 32;

static const char s_header[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
//  What an entry says until its object is written.
static const char s_unknown_entry[] = "0000000000 65535 f \n";

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

Writer::Writer (const std::string &path) : path_ (path)
{
    fd_ = open (path.c_str (), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ == -1)
        throw s_system_error ("cannot create", path);
    try {
        xref_fd_ = scratch_file (path, "xref");
    } catch (...) {
        close (fd_);
        throw;
    }
    buffer_.reserve (S_BUFFER_MAX);
    append (s_header, sizeof (s_header) - 1);
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
Writer::flush ()
{
    if (buffer_.empty ())
        return;
    write_at (fd_, buffer_.data (), buffer_.size (), flushed_, "cannot write");
    flushed_ += buffer_.size ();
    buffer_.clear ();
}

void
Writer::append (const char *data, size_t size)
{
    if (size >= S_BUFFER_MAX) {
        flush ();
        write_at (fd_, data, size, flushed_, "cannot write");
        flushed_ += size;
        return;
    }
    buffer_.append (data, size);
    if (buffer_.size () >= S_BUFFER_MAX)
        flush ();
}

uint32_t
Writer::reserve ()
{
    if (next_number_ == UINT32_MAX)
        throw Error ("too many objects for one PDF");
    return next_number_++;
}

static void
s_format_entry (char *entry, uint64_t offset)
{
    if (offset == 0)
        memcpy (entry, s_unknown_entry, S_ENTRY_SIZE);
    else {
        //  Ten digits (set_offset checks), but the compiler cannot know.
        char text[32];
        snprintf (text, sizeof (text), "%010llu 00000 n \n",
                  (unsigned long long)offset);
        memcpy (entry, text, S_ENTRY_SIZE);
    }
}

void
Writer::flush_window ()
{
    if (window_.empty ())
        return;
    std::string entries (window_.size () * S_ENTRY_SIZE, ' ');
    for (size_t index = 0; index < window_.size (); index++)
        s_format_entry (&entries[index * S_ENTRY_SIZE], window_[index]);
    write_at (xref_fd_, entries.data (), entries.size (),
              (uint64_t)(window_base_ - 1) * S_ENTRY_SIZE,
              "cannot write the cross-reference scratch file for");
    window_base_ += (uint32_t)window_.size ();
    window_.clear ();
}

void
Writer::set_offset (uint32_t number, uint64_t offset)
{
    assert (number > 0 && number < next_number_);
    if (offset > S_OFFSET_MAX)
        throw Error (path_ + ": the document is over 10 GB, more than a "
                             "cross-reference table can address");
    if (number >= window_base_) {
        size_t index = number - window_base_;
        if (index >= window_.size ())
            window_.resize (index + 1, 0);
        assert (window_[index] == 0);
        window_[index] = offset;
        if (window_.size () >= S_WINDOW_MAX)
            flush_window ();
    } else {
        char entry[S_ENTRY_SIZE];
        s_format_entry (entry, offset);
        write_at (xref_fd_, entry, S_ENTRY_SIZE,
                  (uint64_t)(number - 1) * S_ENTRY_SIZE,
                  "cannot write the cross-reference scratch file for");
    }
    numbers_known_++;
}

void
Writer::write_object (uint32_t number, const std::string &text)
{
    set_offset (number, flushed_ + buffer_.size ());
    std::string head = std::to_string (number) + " 0 obj\n";
    append (head.data (), head.size ());
    append (text.data (), text.size ());
    append ("\nendobj\n", 8);
}

void
Writer::write_stream (uint32_t number, const std::string &dict_text,
                      const unsigned char *data, size_t size)
{
    set_offset (number, flushed_ + buffer_.size ());
    std::string head = std::to_string (number) + " 0 obj\n" + dict_text +
                       " /Length " + std::to_string (size) + " >>\nstream\n";
    append (head.data (), head.size ());
    append (reinterpret_cast<const char *> (data), size);
    append ("\nendstream\nendobj\n", 18);
}

Mark
Writer::mark () const
{
    return Mark{flushed_ + buffer_.size (), next_number_, numbers_known_};
}

void
Writer::rollback (const Mark &mark)
{
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

void
Writer::finish (const std::string &trailer_entries)
{
    assert (numbers_known_ == next_number_ - 1);
    flush_window ();
    uint64_t xref_offset = flushed_ + buffer_.size ();
    std::string head =
        "xref\n0 " + std::to_string (next_number_) + "\n" + s_unknown_entry;
    append (head.data (), head.size ());
    //  The table itself is the document's fingerprint for /ID.
    Sha256 sha;
    std::vector<char> block (S_COPY_ENTRIES * S_ENTRY_SIZE);
    uint64_t left = (uint64_t)(next_number_ - 1) * S_ENTRY_SIZE;
    uint64_t offset = 0;
    while (left > 0) {
        size_t want = left < block.size () ? (size_t)left : block.size ();
        ssize_t got = pread (xref_fd_, block.data (), want, (off_t)offset);
        if (got == -1 && errno == EINTR)
            continue;
        if (got <= 0)
            throw Error ("cannot read the cross-reference scratch file for " +
                         path_ + ": " +
                         (got == 0 ? "file too short" : strerror (errno)));
        sha.update (block.data (), (size_t)got);
        append (block.data (), (size_t)got);
        left -= (uint64_t)got;
        offset += (uint64_t)got;
    }
    std::string digest = sha.digest ();
    char id[2 * 16 + 1];
    for (size_t index = 0; index < 16; index++)
        snprintf (id + 2 * index, 3, "%02x", (unsigned char)digest[index]);
    std::string trailer = "trailer\n<< /Size " + std::to_string (next_number_) +
                          " " + trailer_entries + " /ID [<" + id + "> <" + id +
                          ">] >>\nstartxref\n" + std::to_string (xref_offset) +
                          "\n%%EOF\n";
    append (trailer.data (), trailer.size ());
    flush ();
}

} // namespace pdfappend
