/*  testassert - equality checks for numbers that print in decimal.

    cmocka's assert_int_equal prints both values in hexadecimal, which
    reads badly for counts, sizes, page numbers and HTTP statuses. These
    macros print "<file>:<line>: <actual expression>: expected X, got Y"
    in decimal and fail the test at the caller's line. Each evaluates its
    arguments once. Write the value under test first, the expected value
    second.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef TESTASSERT_H_INCLUDED
#define TESTASSERT_H_INCLUDED

#include <stdint.h>

//  Fails the test unless actual == expected, both taken as signed
//  integers (int, long, ssize_t, int64_t, enums, ...).
#define assert_int_eq(actual, expected)                                        \
    testassert_int_eq ((intmax_t)(actual), (intmax_t)(expected), #actual,      \
                       __FILE__, __LINE__)

//  Fails the test unless actual == expected, both taken as unsigned
//  integers (size_t, uint32_t, uint64_t, ...).
#define assert_size_eq(actual, expected)                                       \
    testassert_size_eq ((uintmax_t)(actual), (uintmax_t)(expected), #actual,   \
                        __FILE__, __LINE__)

//  What assert_int_eq calls: on a mismatch, prints what was expected and
//  what came, naming the expression, and fails the running test at
//  file:line. Returns only when the values are equal.
void
testassert_int_eq (intmax_t actual, intmax_t expected, const char *expression,
                   const char *file, int line);

//  What assert_size_eq calls; as testassert_int_eq, for unsigned values.
void
testassert_size_eq (uintmax_t actual, uintmax_t expected,
                    const char *expression, const char *file, int line);

#endif
