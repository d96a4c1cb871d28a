/*  testfile - whole files read back for tests.

    Test data under tests/data, outputs a test has made, examples from
    the source tree: read in one call. Any failure fails the running test
    (cmocka), so callers need no error paths.

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

#endif
