/*  sigv4 - AWS Signature Version 4 arithmetic: payload hashes and presigned
    URLs.

    Owns the cryptography S3 requests need and is the only module that sees
    OpenSSL: SHA-256 of request bodies (the x-amz-content-sha256 header that
    curl's own SigV4 signing expects the caller to supply), and SigV4 query
    signing, which curl cannot do, for presigned GET URLs that let someone
    without credentials download one object until the URL expires. It does
    no I/O and knows nothing about buckets or endpoints: common/store/s3 builds
    the URLs it signs.

    Presigning follows AWS's "Authenticating Requests: Using Query
    Parameters (AWS Signature Version 4)": the canonical request signs only
    the host header, with an UNSIGNED-PAYLOAD body, so the URL works with
    any HTTP client. Secrets never appear in a result or an error.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_SIGV4_H
#define PDFPIPE_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGV4_HEX_SIZE 65 // a SHA-256 as 64 lowercase hex digits, and NUL
//  The longest validity AWS accepts for a presigned URL: seven days.
#define SIGV4_PRESIGN_EXPIRES_MAX (7 * 24 * 3600)

typedef struct _sigv4_sha256_t sigv4_sha256_t;

//  Who signs, and for which region and service.
typedef struct {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; // temporary credentials; NULL when none
    const char *region;        // "us-east-1"
    const char *service;       // "s3"
} sigv4_signer_t;

//  SHA-256 of size bytes at data, as lowercase hex into hex
//  (SIGV4_HEX_SIZE bytes).
void
sigv4_sha256_hex (const void *data, size_t size, char *hex);

//  An incremental SHA-256, for bodies read piece by piece. Returns NULL
//  when out of memory. Caller owns the result.
sigv4_sha256_t *
sigv4_sha256_new (void);

void
sigv4_sha256_destroy (sigv4_sha256_t **self_p);

//  Add size bytes at data to the hash.
void
sigv4_sha256_update (sigv4_sha256_t *self, const void *data, size_t size);

//  The hash of everything added so far, as lowercase hex into hex
//  (SIGV4_HEX_SIZE bytes); the hash starts again empty afterwards.
void
sigv4_sha256_finish (sigv4_sha256_t *self, char *hex);

//  text with every byte outside A-Z a-z 0-9 - _ . ~ (and '/', when
//  keep_slash) as %XX, uppercase: SigV4's URI encoding, for object keys
//  in paths (keep_slash) and for query values. Returns NULL when out of
//  memory. Caller frees.
char *
sigv4_uri_encode (const char *text, bool keep_slash);

//  Presign a GET of path on host_port ("host" or "host:port", as in the
//  URL) over scheme ("http" or "https"); a port that is the scheme's
//  default is left out, as clients leave it out of Host. path starts with
//  '/', has no query, and is encoded as S3 wants it (each byte outside
//  A-Z a-z 0-9 - _ . ~ / percent-encoded). The URL is valid from now
//  (seconds since the Unix epoch) for expires_s seconds, 1 to
//  SIGV4_PRESIGN_EXPIRES_MAX. Returns the whole URL, or NULL when the
//  scheme, host, path or expiry is not acceptable or memory runs out.
//  Caller frees.
char *
sigv4_presign_get (const sigv4_signer_t *signer, const char *scheme,
                   const char *host_port, const char *path, int64_t now,
                   uint32_t expires_s);

#endif
