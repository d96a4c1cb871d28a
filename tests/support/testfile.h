/*  testfile - whole files written and read back for tests.

    Inputs a test puts in place (a blocker where a directory should go, a
    broken PDF, an old result), test data under tests/data, outputs the
    code under test made, examples from the source tree: each written or
    read in one call. Any failure fails the running test (cmocka), so
    callers need no error paths.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef TESTFILE_H_INCLUDED
#define TESTFILE_H_INCLUDED

#include <stddef.h>

//  The whole content of the file at path, with a NUL after it so text can
//  be used as a string; *size_p, when not NULL, gets the size in bytes
//  (the NUL not counted). Fails the test when the file cannot be read.
//  The caller frees the result.
char *
testfile_read (const char *path, size_t *size_p);

//  Creates or replaces the file at path with size bytes of data (none:
//  an empty file). Fails the test when the file cannot be written whole.
void
testfile_write (const char *path, const void *data, size_t size);

#endif
