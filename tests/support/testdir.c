/*  testdir - a fresh temporary directory for one test.

    SPDX-License-Identifier: MPL-2.0
*/
//  nftw is an X/Open extension.
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testdir.h"

//  Directories open at once while removing; deeper trees still work,
//  nftw only closes and reopens directories.
#define S_REMOVE_OPEN_MAX 16

struct _testdir_t {
    char *path; // made by mkdtemp
};

testdir_t *
testdir_new (const char *name)
{
    assert_non_null (name);
    testdir_t *self = calloc (1, sizeof (testdir_t));
    assert_non_null (self);
    size_t size = strlen ("/tmp/") + strlen (name) + strlen (".XXXXXX") + 1;
    self->path = malloc (size);
    assert_non_null (self->path);
    snprintf (self->path, size, "/tmp/%s.XXXXXX", name);
    if (!mkdtemp (self->path))
        fail_msg ("cannot make a directory like %s: %s", self->path,
                  strerror (errno));
    return self;
}

static int
s_remove_entry (const char *path, const struct stat *info, int type,
                struct FTW *walk)
{
    (void)info;
    (void)type;
    (void)walk;
    if (remove (path) == -1) {
        print_error ("cannot remove %s: %s\n", path, strerror (errno));
        return -1;
    }
    return 0;
}

void
testdir_destroy (testdir_t **self_p)
{
    assert_non_null (self_p);
    testdir_t *self = *self_p;
    if (!self)
        return;
    int rc = nftw (self->path, s_remove_entry, S_REMOVE_OPEN_MAX,
                   FTW_DEPTH | FTW_PHYS);
    free (self->path);
    free (self);
    *self_p = NULL;
    if (rc != 0)
        fail_msg ("the test directory was not removed");
}

const char *
testdir_path (testdir_t *self)
{
    assert_non_null (self);
    return self->path;
}

char *
testdir_join (testdir_t *self, const char *format, ...)
{
    assert_non_null (self);
    va_list args;
    va_start (args, format);
    int name_size = vsnprintf (NULL, 0, format, args);
    va_end (args);
    assert_true (name_size >= 0);
    size_t size = strlen (self->path) + 1 + (size_t)name_size + 1;
    char *path = malloc (size);
    assert_non_null (path);
    int used = snprintf (path, size, "%s/", self->path);
    va_start (args, format);
    vsnprintf (path + used, size - (size_t)used, format, args);
    va_end (args);
    return path;
}

int
testdir_count_entries (const char *path)
{
    DIR *dir = opendir (path);
    if (!dir)
        fail_msg ("cannot read the directory %s: %s", path, strerror (errno));
    int count = 0;
    for (struct dirent *entry = readdir (dir); entry; entry = readdir (dir))
        if (strcmp (entry->d_name, ".") != 0 &&
            strcmp (entry->d_name, "..") != 0)
            count++;
    closedir (dir);
    return count;
}
