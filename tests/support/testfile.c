/*  testfile - whole files written and read back for tests.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>

#include "testfile.h"

//  First buffer size in bytes; it doubles as the file needs.
#define S_READ_SIZE_FIRST 4096

char *
testfile_read (const char *path, size_t *size_p)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        fail_msg ("cannot open %s: %s", path, strerror (errno));
    size_t capacity = S_READ_SIZE_FIRST;
    size_t size = 0;
    char *content = malloc (capacity);
    assert_non_null (content);
    while (true) {
        size += fread (content + size, 1, capacity - 1 - size, file);
        if (size < capacity - 1)
            break;
        capacity *= 2;
        content = realloc (content, capacity);
        assert_non_null (content);
    }
    bool failed = ferror (file) != 0;
    fclose (file);
    if (failed)
        fail_msg ("cannot read %s", path);
    content[size] = '\0';
    if (size_p)
        *size_p = size;
    return content;
}

void
testfile_write (const char *path, const void *data, size_t size)
{
    FILE *file = fopen (path, "wb");
    if (!file)
        fail_msg ("cannot create %s: %s", path, strerror (errno));
    size_t written = size ? fwrite (data, 1, size, file) : 0;
    bool failed = written != size;
    if (fclose (file) != 0)
        failed = true;
    if (failed)
        fail_msg ("cannot write %zu bytes to %s", size, path);
}
