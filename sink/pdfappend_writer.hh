/*  pdfappend_writer - the append-only output file of sink/pdfappend.

    Private to sink/pdfappend (C++). Owns the output file descriptor, a
    write buffer, the object numbers, the object streams and the
    cross-reference stream. Numbers are handed out in order; an object is
    usually written right after it gets its number, but a number may be
    reserved first (an object referred to before it can be written: a
    page, an object in a reference cycle, a page-tree node) and its object
    written later.

    Objects other than streams are packed into compressed object streams
    of up to S_OBJSTM_OBJECTS; flush closes the open one, so nothing of an
    object stream waits in memory across calls of sink/pdfappend. The
    cross-reference entries (8 bytes each, /W [1 5 2]) are kept in a
    scratch file next to the output (unlinked at once): the newest wait in
    a window in memory and go to the file in blocks, and an entry for an
    older number (a reserved object written late) is written into its
    place. So memory does not grow with the number of objects. finish
    compresses them into the cross-reference stream through a second
    scratch file.

    A mark records where the document stands; rolling back to it discards
    everything written since (the output is truncated, the numbers are
    handed out again). Failures throw pdfappend::Error with a text naming
    the file and the step.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_PDFAPPEND_WRITER_HH
#define PDFPIPE_PDFAPPEND_WRITER_HH

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

class QPDFCryptoImpl;

namespace pdfappend
{

//  Bad input or a failed system call: the text is the error to report.
class Error : public std::runtime_error
{
  public:
    explicit Error (const std::string &text) : std::runtime_error (text)
    {
    }
};

//  An unlinked scratch file in the directory of near_path, for what
//  (used in errors). Returns its descriptor.
int
scratch_file (const std::string &near_path, const char *what);

//  SHA-256, from qpdf's crypto provider.
class Sha256
{
  public:
    Sha256 ();
    void update (const void *data, size_t size);
    //  The 32-byte digest of everything given since the last one.
    std::string digest ();

  private:
    std::shared_ptr<QPDFCryptoImpl> impl_;
};

//  Where the output stood; see Writer::rollback.
struct Mark {
    uint64_t size;          // bytes of output
    uint32_t next_number;   // the next object number to hand out
    uint32_t numbers_known; // objects with a cross-reference entry
};

class Writer
{
  public:
    //  Create path (truncating it) and the scratch file beside it, and
    //  write the PDF header.
    explicit Writer (const std::string &path);
    //  Open path, written by an earlier Writer, to go on from its first
    //  size bytes (the rest is cut off); restore then gives it back its
    //  objects' entries.
    Writer (const std::string &path, uint64_t size);
    ~Writer ();
    Writer (const Writer &) = delete;
    Writer &operator= (const Writer &) = delete;

    //  A new object number whose object is written later.
    uint32_t reserve ();

    //  Write number (from reserve), an object that is not a stream, as
    //  text: into the open object stream.
    void write_object (uint32_t number, const std::string &text);

    //  Write number as a stream: dict_text is its dictionary without
    //  /Length and without the closing ">>", which this adds.
    void write_stream (uint32_t number, const std::string &dict_text,
                       const unsigned char *data, size_t size);

    //  Close the open object stream and hand every byte to the kernel.
    void flush ();

    //  Bytes handed to the kernel so far.
    uint64_t flushed () const
    {
        return flushed_;
    }

    //  Where the document stands, right after a flush.
    Mark mark () const;

    //  Forget everything written and every number handed out since mark.
    void rollback (const Mark &mark);

    //  The packed entries (0 while not written) of the numbers from first
    //  to the last handed out, right after a flush: what a journal keeps.
    std::vector<uint64_t> entries (uint32_t first);

    //  Hand out the numbers from first (the next one) on again, with
    //  entries as entries gave them. Throws when first is not the next
    //  number or an entry is not one this writes.
    void restore (uint32_t first, const std::vector<uint64_t> &entries);

    //  Flush, then make every byte written durable (fsync).
    void sync ();

    //  Write the cross-reference stream, whose dictionary also gets
    //  trailer_entries (such as "/Root 5 0 R"), and the end of the file,
    //  and flush. Every number handed out must have been written.
    void finish (const std::string &trailer_entries);

  private:
    struct Member {
        uint32_t number;
        size_t offset; // in objstm_body_
    };

    void open_file (int flags, uint64_t size);
    void append (const char *data, size_t size);
    void write_buffer ();
    void set_entry (uint32_t number, uint64_t entry);
    void flush_window ();
    void close_object_stream ();
    void write_at (int fd, const char *data, size_t size, uint64_t offset,
                   const char *step);
    uint64_t copy_entries (FILE *packed, std::string &digest);

    std::string path_;
    int fd_ = -1;
    int xref_fd_ = -1;     // scratch: 8-byte entries, object 1 first
    std::string buffer_;   // bytes from flushed_ on
    uint64_t flushed_ = 0; // bytes written to fd_
    uint32_t next_number_ = 1;
    uint32_t numbers_known_ = 0;
    uint32_t window_base_ = 1;     // number of window_[0]
    std::vector<uint64_t> window_; // packed entries, 0 while not written
    uint32_t objstm_number_ = 0;   // of the open object stream, or 0
    std::vector<Member> objstm_members_;
    std::string objstm_body_;
};

} // namespace pdfappend

#endif
