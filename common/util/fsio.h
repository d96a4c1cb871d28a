/*  fsio - durable files: the POSIX steps that make a write survive a crash.

    Owns the one recipe every durable write in pdfpipe follows: write a
    temporary file in the target's directory (named ".<name>.XXXXXX", so
    directory scans can skip it), fsync it, rename it into place (or link
    it, to keep an existing file), then fsync the directory so the new name
    itself is durable. A file that exists under its final name is therefore
    complete. Also the small helpers around it: creating a directory path,
    fsyncing a directory or a file, writing a whole buffer.

    It decides nothing about names or layouts (sink/spool, common/store and
    sink/merge do) and logs nothing: the helpers that can fail in several
    steps fill an error text naming the step, the path and strerror, for the
    caller to log with its own context; the single-step ones set errno.
    Functions are safe on any thread.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_FSIO_H
#define PDFPIPE_FSIO_H

#include <stdbool.h>
#include <stddef.h>

#define FSIO_ERROR_MAX 1024 // size of an error text buffer

//  Create the directory path and any missing parents (mode 0755); an
//  existing directory is fine. Returns -1 with errno set.
int
fsio_mkdir_p (const char *path);

//  Flush the directory at path (its entries) to disk. Returns -1 with errno
//  set.
int
fsio_fsync_dir (const char *path);

//  Flush the file at path to disk. Returns -1 with errno set.
int
fsio_fsync_file (const char *path);

//  Write all size bytes of data to fd, through short writes and EINTR.
//  Returns -1 with errno set.
int
fsio_write_all (int fd, const void *data, size_t size);

//  Make temp_path durable as final_path: fsync it, rename it over
//  final_path, fsync final_path's directory. Returns -1 and fills error
//  (FSIO_ERROR_MAX bytes); temp_path is then still there unless the rename
//  was done, in which case final_path is removed again, so a failed commit
//  never leaves a file that might not survive a crash.
int
fsio_commit (const char *temp_path, const char *final_path, char *error);

//  Write data as path, durably, through a temporary file as above. With
//  keep_existing, a file already at path is kept as it is and that counts
//  as success (a link, not a rename). Returns -1 and fills error; nothing
//  is left under path or a temporary name then.
int
fsio_write_file (const char *path, const void *data, size_t size,
                 bool keep_existing, char *error);

//  Copy the rest of the open file source (named source_name in errors) to
//  path, durably, replacing what was there. Returns -1 and fills error;
//  nothing new is left under path or a temporary name then.
int
fsio_copy_fd (int source, const char *source_name, const char *path,
              char *error);

#endif
