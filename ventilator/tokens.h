/*  tokens - the API tokens the ventilator accepts, from its tokens file.

    Owns the tokens file (--tokens, PDFPIPE_TOKENS) once loaded: one line
    per token, "NAME SHA256HEX", where NAME is the token's name (the owner
    of the jobs it submits) and SHA256HEX the hex SHA-256 of the token
    (common/proto/apitoken, `pdfpipe token NAME` prints both). Blank lines
    and lines starting with '#' are ignored. The file holds no secret; the
    tokens themselves are never stored or logged here.

    A request's Authorization header is checked by hashing its bearer
    token and comparing the hash with every entry in constant time, so
    neither the answer's timing nor its text says which part was wrong.

    Threading: read-only once loaded; any thread may check.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_TOKENS_H
#define PDFPIPE_TOKENS_H

#include <stddef.h>

//  Largest tokens file read, and most tokens in it: the file is the
//  operator's, but a wrong path (a log, a PDF) must fail fast and clearly.
#define TOKENS_FILE_BYTES_MAX (1024 * 1024)
#define TOKENS_COUNT_MAX 10000
//  Error text from tokens_load.
#define TOKENS_ERROR_MAX 256

typedef struct _tokens_t tokens_t;

//  Load path. Returns NULL with error (TOKENS_ERROR_MAX bytes) saying
//  what is wrong and on which line: unreadable, too large, a malformed
//  line, a bad name or hash, a name given twice, or no token at all.
//  Caller owns the result.
tokens_t *
tokens_load (const char *path, char *error);

void
tokens_destroy (tokens_t **self_p);

//  Number of tokens loaded.
size_t
tokens_count (tokens_t *self);

//  The name of the token that authorization (an HTTP Authorization
//  header value, "Bearer <token>", NULL when absent) carries, or NULL
//  when there is none or it matches no entry. Borrowed; lives as long as
//  self.
const char *
tokens_check (tokens_t *self, const char *authorization);

#endif
