/*  tokens - the API tokens the ventilator accepts, from its tokens file.

    SPDX-License-Identifier: MPL-2.0
*/
#include "tokens.h"

#include <assert.h>
#include <ctype.h>
#include <czmq.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "apitoken.h"

typedef struct {
    char name[APITOKEN_NAME_MAX + 1];
    char hash[APITOKEN_HASH_SIZE];
} s_entry_t;

struct _tokens_t {
    s_entry_t *entries;
    size_t count;
    size_t capacity; // entries allocated, at most TOKENS_COUNT_MAX
};

static int
s_fail (char *error, const char *path, size_t line_nbr, const char *what)
{
    if (line_nbr)
        snprintf (error, TOKENS_ERROR_MAX, "%s line %zu: %s", path, line_nbr,
                  what);
    else
        snprintf (error, TOKENS_ERROR_MAX, "%s: %s", path, what);
    return -1;
}

//  Add the entry on line (NUL-terminated, without its newline). Returns 0,
//  or -1 with error set.
static int
s_add_line (tokens_t *self, char *line, const char *path, size_t line_nbr,
            char *error)
{
    char *cursor = line;
    while (*cursor == ' ' || *cursor == '\t' || *cursor == '\r')
        cursor++;
    if (*cursor == '\0' || *cursor == '#')
        return 0;
    char *name = strtok (cursor, " \t\r");
    char *hash = strtok (NULL, " \t\r");
    char *extra = strtok (NULL, " \t\r");
    if (!name || !hash || extra)
        return s_fail (error, path, line_nbr,
                       "expected NAME SHA256HEX (see `pdfpipe token`)");
    if (!apitoken_name_valid (name))
        return s_fail (error, path, line_nbr,
                       "a name is 1 to 64 characters of A-Z a-z 0-9 _ -");
    if (!apitoken_hash_valid (hash))
        return s_fail (error, path, line_nbr,
                       "the hash must be 64 hex digits (the SHA-256 of the "
                       "token, not the token)");
    for (size_t index = 0; index < self->count; index++)
        if (streq (self->entries[index].name, name))
            return s_fail (error, path, line_nbr, "this name is given twice");
    if (self->count == self->capacity)
        return s_fail (error, path, line_nbr, "too many tokens");
    s_entry_t *entry = &self->entries[self->count++];
    strcpy (entry->name, name);
    for (size_t index = 0; hash[index]; index++)
        entry->hash[index] = (char)tolower ((unsigned char)hash[index]);
    entry->hash[APITOKEN_HASH_SIZE - 1] = '\0';
    return 0;
}

static int
s_parse (tokens_t *self, char *text, const char *path, char *error)
{
    size_t line_nbr = 0;
    char *line = text;
    while (line && *line) {
        line_nbr++;
        char *newline = strchr (line, '\n');
        if (newline)
            *newline = '\0';
        if (s_add_line (self, line, path, line_nbr, error))
            return -1;
        line = newline ? newline + 1 : NULL;
    }
    if (self->count == 0)
        return s_fail (error, path, 0, "holds no token");
    return 0;
}

tokens_t *
tokens_load (const char *path, char *error)
{
    assert (path);
    assert (error);
    error[0] = '\0';
    FILE *file = fopen (path, "rb");
    if (!file) {
        s_fail (error, path, 0, strerror (errno));
        return NULL;
    }
    char *text = (char *)malloc (TOKENS_FILE_BYTES_MAX + 1);
    assert (text);
    size_t size = fread (text, 1, TOKENS_FILE_BYTES_MAX + 1, file);
    bool failed = ferror (file);
    fclose (file);
    if (failed || size > TOKENS_FILE_BYTES_MAX) {
        s_fail (error, path, 0,
                failed ? "cannot be read" : "is larger than 1 MiB");
        free (text);
        return NULL;
    }
    text[size] = '\0';
    if (strlen (text) != size) {
        s_fail (error, path, 0, "holds a NUL byte; it is not a tokens file");
        free (text);
        return NULL;
    }
    tokens_t *self = (tokens_t *)zmalloc (sizeof (tokens_t));
    assert (self);
    //  A valid line is longer than a hash.
    self->capacity = size / (APITOKEN_HASH_SIZE - 1) + 1;
    if (self->capacity > TOKENS_COUNT_MAX)
        self->capacity = TOKENS_COUNT_MAX;
    self->entries = (s_entry_t *)calloc (self->capacity, sizeof (s_entry_t));
    assert (self->entries);
    int rc = s_parse (self, text, path, error);
    free (text);
    if (rc)
        tokens_destroy (&self);
    return self;
}

void
tokens_destroy (tokens_t **self_p)
{
    assert (self_p);
    tokens_t *self = *self_p;
    if (!self)
        return;
    free (self->entries);
    free (self);
    *self_p = NULL;
}

size_t
tokens_count (tokens_t *self)
{
    assert (self);
    return self->count;
}

const char *
tokens_check (tokens_t *self, const char *authorization)
{
    assert (self);
    static const char scheme[] = "Bearer ";
    if (!authorization ||
        strncasecmp (authorization, scheme, strlen (scheme)) != 0)
        return NULL;
    const char *token = authorization + strlen (scheme);
    while (*token == ' ')
        token++;
    size_t length = strlen (token);
    while (length > 0 &&
           (token[length - 1] == ' ' || token[length - 1] == '\t'))
        length--;
    char hash[APITOKEN_HASH_SIZE];
    if (apitoken_hash (token, length, hash))
        return NULL;
    //  Every entry is compared, whichever matches.
    const char *name = NULL;
    for (size_t index = 0; index < self->count; index++)
        if (apitoken_hash_equal (hash, self->entries[index].hash))
            name = self->entries[index].name;
    return name;
}
