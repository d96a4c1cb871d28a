/*  options - the command line of the ventilator, the worker and the sink.

    Owns one way of reading a program's options, from a table each main.c
    declares: every option has a long name (some a letter too), a kind
    (flag, text, number in a range, or one word of a fixed list), the
    variable it sets, which holds its default beforehand, an optional
    environment variable that overrides the default, and one line of help.
    From the table come the parsing and the --help text, so the two cannot
    disagree.

    Rules: an environment variable counts only when it is set and not
    empty; the command line overrides it. A text value must not be empty.
    A number is a whole decimal number within the option's range, with
    nothing after it. A choice is one of its words, exactly (case
    matters). Every program takes -h/--help. A usage error (an
    unknown option, a missing or bad value, a stray argument, a bad value
    in an option's environment variable) is reported on stderr in one line,
    and the program exits with OPTIONS_EXIT_USAGE; the pdfpipe command-line
    client (cli/) uses the same status.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_OPTIONS_H
#define PDFPIPE_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

//  Exit status of every pdfpipe program for a wrong command line, as
//  EX_USAGE in sysexits.h.
#define OPTIONS_EXIT_USAGE 64
//  options_parse's answer when the program should run; not an exit status.
#define OPTIONS_RUN (-1)
//  Entries one program's table may have.
#define OPTIONS_MAX 64

typedef enum {
    OPTIONS_KIND_FLAG,   // takes no value; sets the bool at target to true
    OPTIONS_KIND_TEXT,   // sets the const char * at target (borrows argv/env)
    OPTIONS_KIND_NUMBER, // sets the long at target, within [min, max]
    OPTIONS_KIND_CHOICE, // sets the int at target to the index, in choices,
                         // of the word given
} options_kind_t;

//  One option of a program's table; write entries with the macros below.
typedef struct {
    const char *name;       // long name, without "--"
    options_kind_t kind;    //
    void *target;           // bool *, const char **, long * or int *, by kind;
                            // holds the default before parsing
    const char *value_name; // in the help ("ENDPOINT", "N"); NULL for flags
    const char *help;       // for --help; lines end with \n, the last none
    const char *env;        // variable overriding the default, or NULL
    long min, max;          // OPTIONS_KIND_NUMBER: the accepted range
    char letter;            // short name ('v' for -v), or 0 for none
    //  OPTIONS_KIND_CHOICE: the words accepted, ended by NULL.
    const char *const *choices;
} options_spec_t;

//  Table entries. Each one checks that its target has the type its kind
//  sets (a mismatch does not compile). env may be NULL.
#define OPTIONS_FLAG(NAME, LETTER, TARGET, HELP)                               \
    {                                                                          \
        .name = (NAME), .kind = OPTIONS_KIND_FLAG,                             \
        .target = (void *)(1 ? (TARGET) : (bool *)0), .help = (HELP),          \
        .letter = (LETTER)                                                     \
    }
#define OPTIONS_TEXT(NAME, TARGET, VALUE_NAME, ENV, HELP)                      \
    {                                                                          \
        .name = (NAME), .kind = OPTIONS_KIND_TEXT,                             \
        .target = (void *)(1 ? (TARGET) : (const char **)0),                   \
        .value_name = (VALUE_NAME), .help = (HELP), .env = (ENV)               \
    }
#define OPTIONS_NUMBER(NAME, TARGET, VALUE_NAME, MIN, MAX, ENV, HELP)          \
    {                                                                          \
        .name = (NAME), .kind = OPTIONS_KIND_NUMBER,                           \
        .target = (void *)(1 ? (TARGET) : (long *)0),                          \
        .value_name = (VALUE_NAME), .help = (HELP), .env = (ENV),              \
        .min = (MIN), .max = (MAX)                                             \
    }
#define OPTIONS_CHOICE(NAME, TARGET, CHOICES, VALUE_NAME, ENV, HELP)           \
    {                                                                          \
        .name = (NAME), .kind = OPTIONS_KIND_CHOICE,                           \
        .target = (void *)(1 ? (TARGET) : (int *)0), .choices = (CHOICES),     \
        .value_name = (VALUE_NAME), .help = (HELP), .env = (ENV)               \
    }
#define OPTIONS_END                                                            \
    {                                                                          \
        .name = NULL                                                           \
    }

//  A program's command line.
typedef struct {
    const char *name;              // "pdfpipe-worker", in messages and help
    const char *purpose;           // paragraph under the usage line
    const options_spec_t *options; // table, ended by an entry without name
    const char *notes;             // paragraph after the options, or NULL
} options_program_t;

//  Read the program's options from the environment and argv into the
//  table's targets. Returns OPTIONS_RUN when the program should go on, 0
//  after printing the help to stdout (-h, --help), or OPTIONS_EXIT_USAGE
//  after saying on stderr what is wrong: the caller returns that from
//  main. Targets are untouched unless OPTIONS_RUN is returned. Text
//  targets borrow from argv and the environment.
int
options_parse (const options_program_t *program, int argc, char *argv[]);

//  Print the program's help to stream: usage line, purpose, and each
//  option with its range, its environment variable and its default (the
//  value its target holds now).
void
options_usage (const options_program_t *program, FILE *stream);

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
