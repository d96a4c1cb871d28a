/*  apitoken - bearer tokens of the HTTP API: making them and hashing them.

    SPDX-License-Identifier: MPL-2.0
*/
#include "apitoken.h"

#include <assert.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "hex.h"
#include "ident.h"
#include "log.h"

int
apitoken_generate (char text[APITOKEN_TEXT_SIZE])
{
    assert (text);
    unsigned char bytes[APITOKEN_BYTES];
    if (RAND_bytes (bytes, sizeof bytes) != 1) {
        log_error ("apitoken: no random bytes for a token");
        return -1;
    }
    hex_encode (bytes, sizeof bytes, text);
    OPENSSL_cleanse (bytes, sizeof bytes);
    return 0;
}

int
apitoken_hash (const char *token, size_t length, char hash[APITOKEN_HASH_SIZE])
{
    assert (token);
    assert (hash);
    hash[0] = '\0';
    if (length == 0 || length > APITOKEN_TEXT_MAX)
        return -1;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    if (EVP_Digest (token, length, digest, &digest_size, EVP_sha256 (), NULL) !=
            1 ||
        digest_size != (APITOKEN_HASH_SIZE - 1) / 2) {
        log_error ("apitoken: SHA-256 failed");
        return -1;
    }
    hex_encode (digest, digest_size, hash);
    return 0;
}

bool
apitoken_hash_valid (const char *text)
{
    if (!text || strlen (text) != APITOKEN_HASH_SIZE - 1)
        return false;
    for (const char *cursor = text; *cursor; cursor++)
        if (!isxdigit ((unsigned char)*cursor))
            return false;
    return true;
}

bool
apitoken_hash_equal (const char *a, const char *b)
{
    assert (a);
    assert (b);
    if (!apitoken_hash_valid (a) || !apitoken_hash_valid (b))
        return false;
    char lower_a[APITOKEN_HASH_SIZE], lower_b[APITOKEN_HASH_SIZE];
    for (size_t index = 0; index < APITOKEN_HASH_SIZE; index++) {
        lower_a[index] = (char)tolower ((unsigned char)a[index]);
        lower_b[index] = (char)tolower ((unsigned char)b[index]);
    }
    return CRYPTO_memcmp (lower_a, lower_b, APITOKEN_HASH_SIZE - 1) == 0;
}

bool
apitoken_name_valid (const char *name)
{
    return ident_valid_str (name, APITOKEN_NAME_MAX);
}
