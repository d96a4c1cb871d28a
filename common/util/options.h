/*  options - the small helpers every program's command line shares.

    Owns the two rules the programs' options follow: an environment
    variable gives a default only when it is set and not empty, and a
    number on the command line is a whole decimal number within the
    option's range, with nothing after it. Parsing the options themselves
    (getopt_long) stays in each main.c, next to its usage text.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_OPTIONS_H
#define PDFPIPE_OPTIONS_H

//  The value of environment variable name, or fallback when it is unset or
//  empty. Borrowed: the environment's string or fallback.
const char *
options_env_or (const char *name, const char *fallback);

//  Parse text as a whole decimal number in [min, max] into *value. Returns
//  -1 and leaves *value alone when text is empty, has anything after the
//  digits, overflows or is out of range.
int
options_parse_long (const char *text, long min, long max, long *value);

#endif
