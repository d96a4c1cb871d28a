/*  tpldigest - the digest that names a job's template on the wire.

    A CHUNK names its job's template and assets by the SHA-256 of their
    text, exactly the bytes of the CHUNK's template frame when that frame
    is sent (the ventilator's job store keeps that text; see
    docs/protocol.md). The ventilator remembers which digests each worker
    has been sent, and a worker keeps templates by digest, checking that a
    template it receives hashes to the digest beside it: what it keeps
    under a digest is always the text that digest names, whoever sent it.

    Owns the computing, comparing and printing of such a digest; SHA-256
    comes from OpenSSL's libcrypto, which no other module of
    common/proto sees. Thread-safe.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_TPLDIGEST_H
#define PDFPIPE_TPLDIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TPLDIGEST_SIZE 32 // bytes: SHA-256
//  Bytes of the lowercase hex form, with its NUL.
#define TPLDIGEST_HEX_SIZE (2 * TPLDIGEST_SIZE + 1)

typedef struct {
    uint8_t bytes[TPLDIGEST_SIZE];
} tpldigest_t;

//  The digest of size bytes at text (the template frame's bytes). Returns
//  0, or -1 (logged) when libcrypto fails (out of memory); digest is then
//  all zeros.
int
tpldigest_compute (const void *text, size_t size, tpldigest_t *digest);

//  True when text (size bytes) has exactly this digest; false when it has
//  another or it cannot be computed.
bool
tpldigest_matches (const void *text, size_t size, const tpldigest_t *digest);

bool
tpldigest_equal (const tpldigest_t *one, const tpldigest_t *other);

//  The digest as lowercase hex into hex (TPLDIGEST_HEX_SIZE bytes), for
//  logs. Returns hex.
const char *
tpldigest_hex (const tpldigest_t *digest, char *hex);

#endif
