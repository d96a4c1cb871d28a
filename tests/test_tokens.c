/*  test_tokens - the tokens file: loading, refusing bad files with their
    line, and telling which token a request's Authorization carries.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apitoken.h"
#include "testdir.h"
#include "tokens.h"

//  Two tokens; the file holds their hashes.
#define S_ALPHA "alpha-token"
#define S_BETA "beta-token"

typedef struct {
    testdir_t *dir;
    char *path;
    char alpha_hash[APITOKEN_HASH_SIZE];
    char beta_hash[APITOKEN_HASH_SIZE];
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)calloc (1, sizeof (s_fixture_t));
    fixture->dir = testdir_new ("test_tokens");
    fixture->path = testdir_join (fixture->dir, "tokens");
    assert_int_equal (
        apitoken_hash (S_ALPHA, strlen (S_ALPHA), fixture->alpha_hash), 0);
    assert_int_equal (
        apitoken_hash (S_BETA, strlen (S_BETA), fixture->beta_hash), 0);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    free (fixture->path);
    testdir_destroy (&fixture->dir);
    free (fixture);
    return 0;
}

static void
s_write (s_fixture_t *fixture, const char *text)
{
    FILE *file = fopen (fixture->path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}

static tokens_t *
s_load_two (s_fixture_t *fixture)
{
    char text[512];
    snprintf (text, sizeof text, "# API tokens\n\nalpha %s\n  beta\t%s\r\n",
              fixture->alpha_hash, fixture->beta_hash);
    s_write (fixture, text);
    char error[TOKENS_ERROR_MAX];
    tokens_t *tokens = tokens_load (fixture->path, error);
    assert_non_null (tokens);
    assert_int_equal (tokens_count (tokens), 2);
    return tokens;
}

static void
test_check_names_the_token_of_a_bearer_header (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    tokens_t *tokens = s_load_two (fixture);
    assert_string_equal (tokens_check (tokens, "Bearer " S_ALPHA), "alpha");
    assert_string_equal (tokens_check (tokens, "bearer " S_BETA), "beta");
    tokens_destroy (&tokens);
    assert_null (tokens);
}

static void
test_check_refuses_missing_wrong_and_other_schemes (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    tokens_t *tokens = s_load_two (fixture);
    assert_null (tokens_check (tokens, NULL));
    assert_null (tokens_check (tokens, ""));
    assert_null (tokens_check (tokens, "Bearer "));
    assert_null (tokens_check (tokens, "Bearer alpha-tokeN"));
    assert_null (tokens_check (tokens, "Basic " S_ALPHA));
    assert_null (tokens_check (tokens, S_ALPHA));
    //  The hash itself is not a token.
    char header[128];
    snprintf (header, sizeof header, "Bearer %s", fixture->alpha_hash);
    assert_null (tokens_check (tokens, header));
    tokens_destroy (&tokens);
}

static void
s_assert_refused (s_fixture_t *fixture, const char *text, const char *words)
{
    s_write (fixture, text);
    char error[TOKENS_ERROR_MAX];
    tokens_t *tokens = tokens_load (fixture->path, error);
    assert_null (tokens);
    if (!strstr (error, words))
        fail_msg ("error '%s' does not say '%s'", error, words);
}

static void
test_load_refuses_bad_files_naming_the_line (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char text[512];
    s_assert_refused (fixture, "", "holds no token");
    s_assert_refused (fixture, "# only a comment\n", "holds no token");
    snprintf (text, sizeof text, "\nalpha\n");
    s_assert_refused (fixture, text, "line 2: expected NAME SHA256HEX");
    snprintf (text, sizeof text, "al/pha %s\n", fixture->alpha_hash);
    s_assert_refused (fixture, text, "line 1: a name is");
    s_assert_refused (fixture, "alpha " S_ALPHA "\n", "line 1: the hash");
    snprintf (text, sizeof text, "alpha %s\nalpha %s\n", fixture->alpha_hash,
              fixture->beta_hash);
    s_assert_refused (fixture, text, "line 2: this name is given twice");
    snprintf (text, sizeof text, "alpha %s extra\n", fixture->alpha_hash);
    s_assert_refused (fixture, text, "line 1: expected");
    char error[TOKENS_ERROR_MAX];
    assert_null (tokens_load ("/nonexistent/tokens", error));
    assert_non_null (strstr (error, "/nonexistent/tokens"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_check_names_the_token_of_a_bearer_header, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_check_refuses_missing_wrong_and_other_schemes, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_load_refuses_bad_files_naming_the_line, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
