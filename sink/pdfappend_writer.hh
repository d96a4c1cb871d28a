/*  pdfappend_writer - the append-only output file of sink/pdfappend.

    Private to sink/pdfappend (C++). Owns the output file descriptor, a
    write buffer, the object numbers and the cross-reference table.
    Numbers are handed out in order; an object is usually written right
    after it gets its number, but a number may be reserved first (an
    object referred to before it can be written: a page, an object in a
    reference cycle, a page-tree node) and its object written later.

    The cross-reference table is kept as its final text, 20 bytes per
    object, in a scratch file next to the output (unlinked at once). The
    newest entries wait in a window in memory and go to the file in
    blocks; an entry for an older number (a reserved object written late)
    is written into its place. So memory does not grow with the number of
    objects.

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
    ~Writer ();
    Writer (const Writer &) = delete;
    Writer &operator= (const Writer &) = delete;

    //  A new object number whose object is written later.
    uint32_t reserve ();

    //  Write number (from reserve) as "number 0 obj text endobj".
    void write_object (uint32_t number, const std::string &text);

    //  Write number as a stream: dict_text is its dictionary without
    //  /Length and without the closing ">>", which this adds.
    void write_stream (uint32_t number, const std::string &dict_text,
                       const unsigned char *data, size_t size);

    //  Hand buffered bytes to the kernel.
    void flush ();

    //  Bytes handed to the kernel so far.
    uint64_t flushed () const
    {
        return flushed_;
    }

    Mark mark () const;

    //  Forget everything written and every number handed out since mark.
    void rollback (const Mark &mark);

    //  Write the cross-reference table and the trailer, whose entries
    //  (such as "/Root 5 0 R") come in trailer_entries, and flush. Every
    //  number handed out must have been written.
    void finish (const std::string &trailer_entries);

  private:
    void append (const char *data, size_t size);
    void set_offset (uint32_t number, uint64_t offset);
    void flush_window ();
    void write_at (int fd, const char *data, size_t size, uint64_t offset,
                   const char *step);

    std::string path_;
    int fd_ = -1;
    int xref_fd_ = -1;     // scratch: 20-byte entries, object 1 first
    std::string buffer_;   // bytes from flushed_ on
    uint64_t flushed_ = 0; // bytes written to fd_
    uint32_t next_number_ = 1;
    uint32_t numbers_known_ = 0;
    uint32_t window_base_ = 1;     // number of window_[0]
    std::vector<uint64_t> window_; // offsets, 0 while not written
};

} // namespace pdfappend

#endif
