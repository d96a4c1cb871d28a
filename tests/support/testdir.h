/*  testdir - a fresh temporary directory for one test.

    testdir_new makes /tmp/<name>.XXXXXX with mkdtemp; testdir_destroy
    removes it and everything below it (without following links). Paths
    inside it come from testdir_join. Any failure fails the running test
    (cmocka), so callers need no error paths. The directory stays under
    /tmp rather than $TMPDIR: tests that compare file systems (test_store)
    rely on it.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef TESTDIR_H_INCLUDED
#define TESTDIR_H_INCLUDED

typedef struct _testdir_t testdir_t;

//  Creates a new empty directory /tmp/<name>.XXXXXX; name is the test's
//  name, such as "test_spool". Fails the test when it cannot.
testdir_t *
testdir_new (const char *name);

//  Removes the directory and all it holds, then frees self and sets
//  *self_p to NULL. Fails the test when something cannot be removed.
//  Does nothing when *self_p is NULL.
void
testdir_destroy (testdir_t **self_p);

//  The directory's path, as made (not resolved through links). Valid
//  until testdir_destroy.
const char *
testdir_path (testdir_t *self);

//  "<path>/<format ...>": a path inside the directory. The file need not
//  exist. The caller frees the result.
char *
testdir_join (testdir_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  The number of entries in the directory at path, hidden ones included
//  ("." and ".." excluded). Fails the test when path cannot be read.
int
testdir_count_entries (const char *path);

#endif
