/*  apitoken - bearer tokens of the HTTP API: making them and hashing them.

    A token is APITOKEN_BYTES random bytes written as lowercase hex; what
    the ventilator keeps (its tokens file, ventilator/tokens) is only the
    SHA-256 of the token's text, as lowercase hex, so that file holds no
    secret. Names given to tokens (the owners of jobs) are 1 to
    APITOKEN_NAME_MAX characters of [A-Za-z0-9_-] (common/proto/ident).
    This module is the only one that sees libcrypto for tokens; the CLI
    makes tokens with it and the ventilator checks them with it.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_APITOKEN_H
#define PDFPIPE_APITOKEN_H

#include <stdbool.h>
#include <stddef.h>

//  Random bytes in a token: 256 bits, beyond guessing.
#define APITOKEN_BYTES 32
//  A token's text (hex) and its hash's text (hex SHA-256), each with NUL.
#define APITOKEN_TEXT_SIZE (2 * APITOKEN_BYTES + 1)
#define APITOKEN_HASH_SIZE (2 * 32 + 1)
//  Longest token name.
#define APITOKEN_NAME_MAX 64
//  Longest token text accepted for hashing; a longer Authorization value
//  is refused before any work.
#define APITOKEN_TEXT_MAX 256

//  Write a new random token into text (APITOKEN_TEXT_SIZE bytes). Returns
//  0, or -1 when the system has no randomness to give (logged).
int
apitoken_generate (char text[APITOKEN_TEXT_SIZE]);

//  Write the hex SHA-256 of token[0 .. length) into hash
//  (APITOKEN_HASH_SIZE bytes). Returns 0, or -1 when libcrypto fails or
//  the token is empty or longer than APITOKEN_TEXT_MAX.
int
apitoken_hash (const char *token, size_t length, char hash[APITOKEN_HASH_SIZE]);

//  True when text is a hash as apitoken_hash writes it: 64 hex digits
//  (either case).
bool
apitoken_hash_valid (const char *text);

//  True when the hashes a and b (as apitoken_hash writes them) are equal,
//  compared in time that does not depend on where they differ; case of
//  the hex digits is ignored.
bool
apitoken_hash_equal (const char *a, const char *b);

//  True when name is a valid token name.
bool
apitoken_name_valid (const char *name);

#endif
