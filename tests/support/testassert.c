/*  testassert - equality checks for numbers that print in decimal.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testassert.h"

void
testassert_int_eq (intmax_t actual, intmax_t expected, const char *expression,
                   const char *file, int line)
{
    if (actual == expected)
        return;
    print_error ("%s:%d: %s: expected %jd, got %jd\n", file, line, expression,
                 expected, actual);
    _fail (file, line);
}

void
testassert_size_eq (uintmax_t actual, uintmax_t expected,
                    const char *expression, const char *file, int line)
{
    if (actual == expected)
        return;
    print_error ("%s:%d: %s: expected %ju, got %ju\n", file, line, expression,
                 expected, actual);
    _fail (file, line);
}
