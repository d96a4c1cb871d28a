/*  options - the command line of the ventilator, the worker and the sink.

    Parsing runs getopt_long twice over argv: the first pass only checks
    (and answers --help), the second sets the targets, after the
    environment's values; so a wrong command line leaves every target as
    it was, and the help shows the defaults whatever came before --help.

    SPDX-License-Identifier: MPL-2.0
*/
#include "options.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

//  getopt_long's value for table entry index is S_LONG_BASE + index, above
//  every letter.
#define S_LONG_BASE 256
//  Column the help text of each option starts at, at most.
#define S_HELP_COLUMN_MAX 32
//  Room for the words of a choice option, in messages and the help.
#define S_CHOICE_LIST_MAX 256

//  The getopt_long tables for one program.
typedef struct {
    struct option longopts[OPTIONS_MAX + 2]; // the table, --help, the end
    char shortopts[2 * OPTIONS_MAX + 3];     // ":h", "x" or "x:" a letter
} s_getopt_t;

const char *
options_env_or (const char *name, const char *fallback)
{
    const char *value = getenv (name);
    return value && *value ? value : fallback;
}

int
options_parse_long (const char *text, long min, long max, long *value)
{
    if (!text)
        return -1;
    char *end = NULL;
    errno = 0;
    long parsed = strtol (text, &end, 10);
    if (errno || end == text || *end || parsed < min || parsed > max)
        return -1;
    *value = parsed;
    return 0;
}

static size_t
s_count (const options_program_t *program)
{
    size_t count = 0;
    while (program->options[count].name)
        count++;
    assert (count <= OPTIONS_MAX);
    return count;
}

static void
s_usage_error (const options_program_t *program, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_usage_error (const options_program_t *program, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "%s: ", program->name);
    vfprintf (stderr, format, args);
    fprintf (stderr, " (see %s --help)\n", program->name);
    va_end (args);
}

static void
s_getopt_tables (const options_program_t *program, size_t count,
                 s_getopt_t *tables)
{
    //  ':' first: a missing value comes back as ':', not '?'.
    char *letters = tables->shortopts;
    *letters++ = ':';
    *letters++ = 'h';
    for (size_t index = 0; index < count; index++) {
        const options_spec_t *spec = &program->options[index];
        assert (spec->letter != 'h' && spec->letter != ':');
        assert (spec->kind != OPTIONS_KIND_CHOICE ||
                (spec->choices && spec->choices[0]));
        bool flag = spec->kind == OPTIONS_KIND_FLAG;
        tables->longopts[index] =
            (struct option){spec->name, flag ? no_argument : required_argument,
                            NULL, S_LONG_BASE + (int)index};
        if (spec->letter) {
            *letters++ = spec->letter;
            if (!flag)
                *letters++ = ':';
        }
    }
    *letters = '\0';
    tables->longopts[count] = (struct option){"help", no_argument, NULL, 'h'};
    tables->longopts[count + 1] = (struct option){NULL, 0, NULL, 0};
}

//  The entry getopt_long's value stands for, or NULL (--help, unknown).
static const options_spec_t *
s_spec_of (const options_program_t *program, size_t count, int value)
{
    if (value >= S_LONG_BASE && value < S_LONG_BASE + (int)count)
        return &program->options[value - S_LONG_BASE];
    for (size_t index = 0; index < count && value > 0; index++)
        if (program->options[index].letter == value)
            return &program->options[index];
    return NULL;
}

//  spec's choices into text, after prefix, between commas and with last
//  before the last one: "text or json". Returns text.
static const char *
s_choice_list (const options_spec_t *spec, const char *prefix, const char *last,
               char *text, size_t size)
{
    size_t used = snprintf (text, size, "%s", prefix);
    for (int index = 0; spec->choices[index] && used < size; index++) {
        const char *separator = index == 0                 ? ""
                                : spec->choices[index + 1] ? ", "
                                                           : last;
        used += snprintf (text + used, size - used, "%s%s", separator,
                          spec->choices[index]);
    }
    return text;
}

//  Check value for spec, given as source ("--name" or a variable name),
//  and when store is set put it in the target. Returns 0, or -1 after
//  saying what is wrong.
static int
s_take (const options_program_t *program, const options_spec_t *spec,
        const char *value, const char *source, bool store)
{
    long number = 0;
    char list[S_CHOICE_LIST_MAX];
    switch (spec->kind) {
    case OPTIONS_KIND_FLAG:
        if (store)
            *(bool *)spec->target = true;
        return 0;
    case OPTIONS_KIND_TEXT:
        if (!*value) {
            s_usage_error (program, "%s must not be empty", source);
            return -1;
        }
        if (store)
            *(const char **)spec->target = value;
        return 0;
    case OPTIONS_KIND_NUMBER:
        if (options_parse_long (value, spec->min, spec->max, &number)) {
            s_usage_error (program,
                           "bad value '%s' for %s: expected a whole number "
                           "from %ld to %ld",
                           value, source, spec->min, spec->max);
            return -1;
        }
        if (store)
            *(long *)spec->target = number;
        return 0;
    case OPTIONS_KIND_CHOICE:
        for (int index = 0; spec->choices[index]; index++)
            if (strcmp (spec->choices[index], value) == 0) {
                if (store)
                    *(int *)spec->target = index;
                return 0;
            }
        s_usage_error (program, "bad value '%s' for %s: expected %s", value,
                       source,
                       s_choice_list (spec, "", " or ", list, sizeof (list)));
        return -1;
    }
    assert (false);
    return -1;
}

//  One getopt_long pass over argv, checking or storing. Returns
//  OPTIONS_RUN, 0 after --help, or OPTIONS_EXIT_USAGE.
static int
s_pass (const options_program_t *program, size_t count,
        const s_getopt_t *tables, int argc, char *argv[], bool store)
{
    //  0 makes glibc start afresh, so a program may parse more than once.
    optind = 0;
    opterr = 0;
    char source[128];
    while (true) {
        int value =
            getopt_long (argc, argv, tables->shortopts, tables->longopts, NULL);
        if (value == -1)
            break;
        const options_spec_t *spec = s_spec_of (
            program, count, value == ':' || value == '?' ? optopt : value);
        if (value == 'h') {
            options_usage (program, stdout);
            return 0;
        }
        if (value == ':') {
            s_usage_error (program, "--%s needs a value",
                           spec ? spec->name : "?");
            return OPTIONS_EXIT_USAGE;
        }
        if (value == '?') {
            if (spec || optopt == 'h')
                s_usage_error (program, "--%s takes no value",
                               spec ? spec->name : "help");
            else if (optopt)
                s_usage_error (program, "unknown option '-%c'", optopt);
            else
                s_usage_error (program, "unknown option '%s'",
                               argv[optind - 1]);
            return OPTIONS_EXIT_USAGE;
        }
        assert (spec);
        snprintf (source, sizeof (source), "--%s", spec->name);
        if (s_take (program, spec, optarg, source, store))
            return OPTIONS_EXIT_USAGE;
    }
    if (optind < argc) {
        s_usage_error (program, "unexpected argument '%s'", argv[optind]);
        return OPTIONS_EXIT_USAGE;
    }
    return OPTIONS_RUN;
}

//  Check, or store, the values the environment gives. Returns 0, or -1
//  after saying what is wrong.
static int
s_environment (const options_program_t *program, size_t count, bool store)
{
    for (size_t index = 0; index < count; index++) {
        const options_spec_t *spec = &program->options[index];
        if (!spec->env)
            continue;
        assert (spec->kind != OPTIONS_KIND_FLAG);
        const char *value = options_env_or (spec->env, NULL);
        if (value && s_take (program, spec, value, spec->env, store))
            return -1;
    }
    return 0;
}

int
options_parse (const options_program_t *program, int argc, char *argv[])
{
    assert (program);
    size_t count = s_count (program);
    s_getopt_t tables;
    s_getopt_tables (program, count, &tables);
    int rc = s_pass (program, count, &tables, argc, argv, false);
    if (rc != OPTIONS_RUN)
        return rc;
    if (s_environment (program, count, false))
        return OPTIONS_EXIT_USAGE;
    s_environment (program, count, true);
    rc = s_pass (program, count, &tables, argc, argv, true);
    assert (rc == OPTIONS_RUN);
    return rc;
}

//  "  -v, --verbose" or "      --events ENDPOINT" into text.
static int
s_option_words (const options_spec_t *spec, char *text, size_t size)
{
    char letter[8] = "    ";
    if (spec->letter)
        snprintf (letter, sizeof (letter), "-%c, ", spec->letter);
    return snprintf (text, size, "  %s--%s%s%s", letter, spec->name,
                     spec->value_name ? " " : "",
                     spec->value_name ? spec->value_name : "");
}

//  "(1 to 100; env X; default 4)" into text, or "" when there is nothing
//  to say.
static void
s_option_details (const options_spec_t *spec, char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    char list[S_CHOICE_LIST_MAX];
    if (spec->kind == OPTIONS_KIND_NUMBER)
        used += snprintf (text + used, size - used, "%ld to %ld; ", spec->min,
                          spec->max);
    if (spec->kind == OPTIONS_KIND_CHOICE)
        used += snprintf (
            text + used, size - used, "%s; ",
            s_choice_list (spec, "one of ", " or ", list, sizeof (list)));
    if (spec->env && used < size)
        used += snprintf (text + used, size - used, "env %s; ", spec->env);
    if (spec->kind == OPTIONS_KIND_NUMBER && used < size)
        used += snprintf (text + used, size - used, "default %ld; ",
                          *(long *)spec->target);
    else if (spec->kind == OPTIONS_KIND_TEXT && *(const char **)spec->target &&
             used < size)
        used += snprintf (text + used, size - used, "default %s; ",
                          *(const char **)spec->target);
    else if (spec->kind == OPTIONS_KIND_CHOICE && used < size)
        used += snprintf (text + used, size - used, "default %s; ",
                          spec->choices[*(int *)spec->target]);
    if (used >= 2 && used < size)
        text[used - 2] = '\0'; // the last "; "
}

//  text, then a newline; lines after its first indented by column.
static void
s_print_indented (FILE *stream, const char *text, int column)
{
    const char *line = text;
    const char *newline = strchr (line, '\n');
    while (newline) {
        fprintf (stream, "%.*s\n%*s", (int)(newline - line), line, column, "");
        line = newline + 1;
        newline = strchr (line, '\n');
    }
    fprintf (stream, "%s\n", line);
}

void
options_usage (const options_program_t *program, FILE *stream)
{
    assert (program);
    assert (stream);
    size_t count = s_count (program);
    const options_spec_t help = {.name = "help",
                                 .kind = OPTIONS_KIND_FLAG,
                                 .help = "print this help and exit",
                                 .letter = 'h'};
    char words[128];
    int column = 0;
    for (size_t index = 0; index <= count; index++) {
        int width =
            s_option_words (index < count ? &program->options[index] : &help,
                            words, sizeof (words));
        if (width + 2 > column && width + 2 <= S_HELP_COLUMN_MAX)
            column = width + 2;
    }
    fprintf (stream, "usage: %s [OPTIONS]\n\n%s\n\nOptions:\n", program->name,
             program->purpose);
    char details[512];
    for (size_t index = 0; index <= count; index++) {
        const options_spec_t *spec =
            index < count ? &program->options[index] : &help;
        int width = s_option_words (spec, words, sizeof (words));
        if (width + 2 > column)
            fprintf (stream, "%s\n%*s", words, column, "");
        else
            fprintf (stream, "%-*s", column, words);
        s_print_indented (stream, spec->help, column);
        s_option_details (spec, details, sizeof (details));
        if (*details)
            fprintf (stream, "%*s(%s)\n", column, "", details);
    }
    if (program->notes)
        fprintf (stream, "\n%s\n", program->notes);
}
