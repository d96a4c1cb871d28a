/*  test_options - the programs' command lines: the table-driven parser,
    its --help text, environment defaults and number parsing.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "options.h"

static void
test_env_or_uses_a_set_variable (void **state)
{
    (void)state;
    setenv ("PDFPIPE_TEST_OPTION", "tcp://10.0.0.1:1", 1);
    assert_string_equal (options_env_or ("PDFPIPE_TEST_OPTION", "fallback"),
                         "tcp://10.0.0.1:1");
    unsetenv ("PDFPIPE_TEST_OPTION");
}

static void
test_env_or_falls_back_when_unset_or_empty (void **state)
{
    (void)state;
    unsetenv ("PDFPIPE_TEST_OPTION");
    assert_string_equal (options_env_or ("PDFPIPE_TEST_OPTION", "fallback"),
                         "fallback");
    setenv ("PDFPIPE_TEST_OPTION", "", 1);
    assert_string_equal (options_env_or ("PDFPIPE_TEST_OPTION", "fallback"),
                         "fallback");
    unsetenv ("PDFPIPE_TEST_OPTION");
}

static void
test_parse_long_accepts_numbers_in_range (void **state)
{
    (void)state;
    long value = -1;
    assert_int_equal (options_parse_long ("0", 0, 65535, &value), 0);
    assert_int_equal (value, 0);
    assert_int_equal (options_parse_long ("65535", 0, 65535, &value), 0);
    assert_int_equal (value, 65535);
    assert_int_equal (options_parse_long ("-5", -10, 10, &value), 0);
    assert_int_equal (value, -5);
}

static void
test_parse_long_rejects_out_of_range (void **state)
{
    (void)state;
    long value = 7;
    assert_int_equal (options_parse_long ("65536", 0, 65535, &value), -1);
    assert_int_equal (options_parse_long ("-1", 0, 65535, &value), -1);
    assert_int_equal (value, 7);
}

static void
test_parse_long_rejects_garbage_and_overflow (void **state)
{
    (void)state;
    long value = 7;
    const char *bad[] = {
        "", "12x", "x12", " ", "1.5", "99999999999999999999999", NULL};
    for (size_t index = 0; bad[index]; index++)
        if (options_parse_long (bad[index], 0, 1000000, &value) != -1)
            fail_msg ("'%s' was accepted", bad[index]);
    assert_int_equal (options_parse_long (NULL, 0, 10, &value), -1);
    assert_int_equal (value, 7);
}

//  The targets of s_program's table, with their defaults.
typedef struct {
    const char *endpoint;
    long attempts;
    bool verbose;
    int shape;
} s_values_t;

static s_values_t s_values;
static const char *const s_shapes[] = {"round", "square", "flat", NULL};

static const options_spec_t s_table[] = {
    OPTIONS_TEXT ("endpoint", &s_values.endpoint, "ENDPOINT",
                  "PDFPIPE_TEST_ENDPOINT",
                  "where to connect:\ntcp://HOST:PORT"),
    OPTIONS_NUMBER ("attempts", &s_values.attempts, "N", 1, 100,
                    "PDFPIPE_TEST_ATTEMPTS", "tries per chunk"),
    OPTIONS_FLAG ("verbose", 'v', &s_values.verbose, "print debug lines"),
    OPTIONS_CHOICE ("shape", &s_values.shape, s_shapes, "round|square|flat",
                    "PDFPIPE_TEST_SHAPE", "the shape"),
    OPTIONS_END,
};

static const options_program_t s_program = {
    .name = "pdfpipe-test",
    .purpose = "Tests the option parser.",
    .options = s_table,
    .notes = "Nothing else.",
};

static int
s_reset (void **state)
{
    (void)state;
    s_values = (s_values_t){.endpoint = "tcp://127.0.0.1:1", .attempts = 4};
    unsetenv ("PDFPIPE_TEST_ENDPOINT");
    unsetenv ("PDFPIPE_TEST_ATTEMPTS");
    unsetenv ("PDFPIPE_TEST_SHAPE");
    return 0;
}

//  Parse a NULL-terminated argument list after the program name.
static int
s_parse (const char *first, ...)
{
    char *argv[16] = {(char *)"pdfpipe-test"};
    int argc = 1;
    va_list args;
    va_start (args, first);
    for (const char *arg = first; arg; arg = va_arg (args, const char *)) {
        assert_true (argc < 15);
        argv[argc++] = (char *)arg;
    }
    va_end (args);
    return options_parse (&s_program, argc, argv);
}

static void
test_parse_keeps_defaults_without_arguments (void **state)
{
    (void)state;
    assert_int_equal (s_parse (NULL), OPTIONS_RUN);
    assert_string_equal (s_values.endpoint, "tcp://127.0.0.1:1");
    assert_int_equal (s_values.attempts, 4);
    assert_false (s_values.verbose);
}

static void
test_parse_sets_every_kind (void **state)
{
    (void)state;
    assert_int_equal (
        s_parse ("--endpoint", "tcp://10.0.0.1:2", "--attempts=7", "-v", NULL),
        OPTIONS_RUN);
    assert_string_equal (s_values.endpoint, "tcp://10.0.0.1:2");
    assert_int_equal (s_values.attempts, 7);
    assert_true (s_values.verbose);
}

static void
test_parse_command_line_overrides_environment (void **state)
{
    (void)state;
    setenv ("PDFPIPE_TEST_ENDPOINT", "tcp://10.0.0.1:3", 1);
    assert_int_equal (s_parse (NULL), OPTIONS_RUN);
    assert_string_equal (s_values.endpoint, "tcp://10.0.0.1:3");
    assert_int_equal (s_parse ("--endpoint", "tcp://10.0.0.1:4", NULL),
                      OPTIONS_RUN);
    assert_string_equal (s_values.endpoint, "tcp://10.0.0.1:4");
    unsetenv ("PDFPIPE_TEST_ENDPOINT");
}

static void
test_parse_usage_errors_exit_64_and_change_nothing (void **state)
{
    (void)state;
    assert_int_equal (OPTIONS_EXIT_USAGE, 64);
    const char *wrong[][3] = {
        {"--attempts", "0", NULL},     {"--attempts", "7x", NULL},
        {"--attempts", NULL, NULL},    {"--endpoint", "", NULL},
        {"--unknown", NULL, NULL},     {"-x", NULL, NULL},
        {"--verbose=yes", NULL, NULL}, {"stray", NULL, NULL},
    };
    for (size_t index = 0; index < sizeof (wrong) / sizeof (wrong[0]);
         index++) {
        int rc = s_parse ("-v", "--attempts", "9", wrong[index][0],
                          wrong[index][1], NULL);
        if (rc != OPTIONS_EXIT_USAGE)
            fail_msg ("'%s %s' gave %d", wrong[index][0],
                      wrong[index][1] ? wrong[index][1] : "", rc);
        assert_false (s_values.verbose);
        assert_int_equal (s_values.attempts, 4);
    }
}

static void
test_parse_rejects_a_bad_environment_value (void **state)
{
    (void)state;
    setenv ("PDFPIPE_TEST_ENDPOINT", "tcp://10.0.0.1:3", 1);
    setenv ("PDFPIPE_TEST_ATTEMPTS", "many", 1);
    //  Even when the command line overrides it.
    assert_int_equal (s_parse ("--attempts", "5", NULL), OPTIONS_EXIT_USAGE);
    assert_string_equal (s_values.endpoint, "tcp://127.0.0.1:1");
    assert_int_equal (s_values.attempts, 4);
    setenv ("PDFPIPE_TEST_ATTEMPTS", "8", 1);
    assert_int_equal (s_parse (NULL), OPTIONS_RUN);
    assert_int_equal (s_values.attempts, 8);
    unsetenv ("PDFPIPE_TEST_ENDPOINT");
    unsetenv ("PDFPIPE_TEST_ATTEMPTS");
}

static void
test_parse_help_exits_0_and_changes_nothing (void **state)
{
    (void)state;
    assert_int_equal (s_parse ("--attempts", "9", "--help", NULL), 0);
    assert_int_equal (s_parse ("-h", NULL), 0);
    assert_int_equal (s_values.attempts, 4);
}

//  s_program's help, as options_usage prints it; yours to free.
static char *
s_usage_text (void)
{
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert_non_null (stream);
    options_usage (&s_program, stream);
    fclose (stream);
    return text;
}

static void
test_usage_lists_every_option_with_its_default (void **state)
{
    (void)state;
    char *text = s_usage_text ();
    const char *expected[] = {
        "usage: pdfpipe-test [OPTIONS]\n",
        "Tests the option parser.\n",
        "      --endpoint ENDPOINT  where to connect:\n"
        "                           tcp://HOST:PORT\n",
        "(env PDFPIPE_TEST_ENDPOINT; default tcp://127.0.0.1:1)\n",
        "      --attempts N         tries per chunk\n",
        "(1 to 100; env PDFPIPE_TEST_ATTEMPTS; default 4)\n",
        "  -v, --verbose            print debug lines\n",
        "  -h, --help               print this help and exit\n",
        "\nNothing else.\n",
        NULL};
    for (size_t index = 0; expected[index]; index++)
        if (!strstr (text, expected[index]))
            fail_msg ("help lacks \"%s\":\n%s", expected[index], text);
    free (text);
}

static void
test_parse_choice_takes_one_of_its_words (void **state)
{
    (void)state;
    assert_int_equal (s_values.shape, 0);
    assert_int_equal (s_parse ("--shape", "flat", NULL), OPTIONS_RUN);
    assert_int_equal (s_values.shape, 2);
    setenv ("PDFPIPE_TEST_SHAPE", "square", 1);
    assert_int_equal (s_parse (NULL), OPTIONS_RUN);
    assert_int_equal (s_values.shape, 1);
    const char *wrong[] = {"Flat", "", "fla", "flatter", NULL};
    for (size_t index = 0; wrong[index]; index++) {
        int rc = s_parse ("--shape", "round", "--shape", wrong[index], NULL);
        if (rc != OPTIONS_EXIT_USAGE)
            fail_msg ("--shape '%s' gave %d", wrong[index], rc);
        assert_int_equal (s_values.shape, 1);
    }
    setenv ("PDFPIPE_TEST_SHAPE", "oval", 1);
    assert_int_equal (s_parse ("--shape", "flat", NULL), OPTIONS_EXIT_USAGE);
    assert_int_equal (s_values.shape, 1);
}

static void
test_usage_lists_a_choice_with_its_words_and_default (void **state)
{
    (void)state;
    s_values.shape = 1;
    char *text = s_usage_text ();
    const char *expected =
        "(one of round, square or flat; env PDFPIPE_TEST_SHAPE; "
        "default square)\n";
    if (!strstr (text, "--shape round|square|flat") || !strstr (text, expected))
        fail_msg ("help lacks the choice's words or default:\n%s", text);
    free (text);
}

#define S_TEST(name) cmocka_unit_test_setup (name, s_reset)

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_env_or_uses_a_set_variable),
        cmocka_unit_test (test_env_or_falls_back_when_unset_or_empty),
        cmocka_unit_test (test_parse_long_accepts_numbers_in_range),
        cmocka_unit_test (test_parse_long_rejects_out_of_range),
        cmocka_unit_test (test_parse_long_rejects_garbage_and_overflow),
        S_TEST (test_parse_keeps_defaults_without_arguments),
        S_TEST (test_parse_sets_every_kind),
        S_TEST (test_parse_command_line_overrides_environment),
        S_TEST (test_parse_usage_errors_exit_64_and_change_nothing),
        S_TEST (test_parse_rejects_a_bad_environment_value),
        S_TEST (test_parse_help_exits_0_and_changes_nothing),
        S_TEST (test_usage_lists_every_option_with_its_default),
        S_TEST (test_parse_choice_takes_one_of_its_words),
        S_TEST (test_usage_lists_a_choice_with_its_words_and_default),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
