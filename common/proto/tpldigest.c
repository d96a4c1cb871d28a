/*  tpldigest - the digest that names a job's template on the wire.

    SPDX-License-Identifier: MPL-2.0
*/
#include "tpldigest.h"

#include <assert.h>
#include <string.h>

#include <openssl/evp.h>

#include "hex.h"
#include "log.h"

int
tpldigest_compute (const void *text, size_t size, tpldigest_t *digest)
{
    assert (text || size == 0);
    assert (digest);
    memset (digest, 0, sizeof *digest);
    unsigned int digest_size = 0;
    if (EVP_Digest (text ? text : "", size, digest->bytes, &digest_size,
                    EVP_sha256 (), NULL) != 1 ||
        digest_size != TPLDIGEST_SIZE) {
        memset (digest, 0, sizeof *digest);
        log_error ("tpldigest: cannot hash %zu bytes of template (out of "
                   "memory)",
                   size);
        return -1;
    }
    return 0;
}

bool
tpldigest_matches (const void *text, size_t size, const tpldigest_t *digest)
{
    assert (digest);
    tpldigest_t actual;
    if (tpldigest_compute (text, size, &actual))
        return false;
    return tpldigest_equal (&actual, digest);
}

bool
tpldigest_equal (const tpldigest_t *one, const tpldigest_t *other)
{
    assert (one);
    assert (other);
    return memcmp (one->bytes, other->bytes, TPLDIGEST_SIZE) == 0;
}

const char *
tpldigest_hex (const tpldigest_t *digest, char *hex)
{
    assert (digest);
    assert (hex);
    return hex_encode (digest->bytes, TPLDIGEST_SIZE, hex);
}
