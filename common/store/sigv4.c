/*  sigv4 - AWS Signature Version 4 arithmetic: payload hashes and presigned
    URLs.

    OpenSSL's EVP digest interface does the hashing and its one-shot HMAC
    the keyed steps; both are the non-deprecated OpenSSL 3 calls. The
    signing key is derived per call (four HMACs): presigning is rare enough
    that caching it per day is not worth the state.

    SPDX-License-Identifier: MPL-2.0
*/
#include "sigv4.h"

#include "hex.h"

#include <assert.h>
#include <ctype.h>
#include <czmq.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_ALGORITHM "AWS4-HMAC-SHA256"
#define S_SHA256_SIZE 32
#define S_HOST_MAX 255 // bytes of host[:port] accepted in a URL

struct _sigv4_sha256_t {
    EVP_MD_CTX *context;
};

void
sigv4_sha256_hex (const void *data, size_t size, char *hex)
{
    assert (data || size == 0);
    assert (hex);
    unsigned char digest[S_SHA256_SIZE];
    unsigned int digest_size = 0;
    int rc = EVP_Digest (size ? data : "", size, digest, &digest_size,
                         EVP_sha256 (), NULL);
    //  Only fails when OpenSSL cannot allocate a few bytes.
    assert (rc == 1 && digest_size == S_SHA256_SIZE);
    hex_encode (digest, S_SHA256_SIZE, hex);
}

sigv4_sha256_t *
sigv4_sha256_new (void)
{
    sigv4_sha256_t *self = calloc (1, sizeof (sigv4_sha256_t));
    if (!self)
        return NULL;
    self->context = EVP_MD_CTX_new ();
    if (!self->context ||
        EVP_DigestInit_ex (self->context, EVP_sha256 (), NULL) != 1) {
        sigv4_sha256_destroy (&self);
        return NULL;
    }
    return self;
}

void
sigv4_sha256_destroy (sigv4_sha256_t **self_p)
{
    assert (self_p);
    sigv4_sha256_t *self = *self_p;
    if (!self)
        return;
    EVP_MD_CTX_free (self->context);
    free (self);
    *self_p = NULL;
}

void
sigv4_sha256_update (sigv4_sha256_t *self, const void *data, size_t size)
{
    assert (self);
    assert (data || size == 0);
    if (size)
        EVP_DigestUpdate (self->context, data, size);
}

void
sigv4_sha256_finish (sigv4_sha256_t *self, char *hex)
{
    assert (self);
    assert (hex);
    unsigned char digest[S_SHA256_SIZE];
    unsigned int digest_size = 0;
    int rc = EVP_DigestFinal_ex (self->context, digest, &digest_size);
    assert (rc == 1 && digest_size == S_SHA256_SIZE);
    EVP_DigestInit_ex (self->context, EVP_sha256 (), NULL);
    hex_encode (digest, S_SHA256_SIZE, hex);
}

static void
s_hmac (const void *key, size_t key_size, const char *text,
        unsigned char *digest)
{
    unsigned int digest_size = 0;
    unsigned char *result =
        HMAC (EVP_sha256 (), key, (int)key_size, (const unsigned char *)text,
              strlen (text), digest, &digest_size);
    assert (result && digest_size == S_SHA256_SIZE);
}

//  RFC 3986 unreserved characters, which SigV4 never encodes.
static bool
s_unreserved (unsigned char letter)
{
    return isalnum (letter) || letter == '-' || letter == '_' ||
           letter == '.' || letter == '~';
}

char *
sigv4_uri_encode (const char *text, bool keep_slash)
{
    assert (text);
    char *encoded = malloc (3 * strlen (text) + 1);
    if (!encoded)
        return NULL;
    char *cursor = encoded;
    for (const char *letter = text; *letter; letter++) {
        unsigned char byte = (unsigned char)*letter;
        if (s_unreserved (byte) || (keep_slash && byte == '/'))
            *cursor++ = (char)byte;
        else
            cursor += sprintf (cursor, "%%%02X", byte);
    }
    *cursor = '\0';
    return encoded;
}

//  A path is acceptable when it starts with '/' and holds only unreserved
//  characters, '/' and complete %XX escapes.
static bool
s_path_valid (const char *path)
{
    if (path[0] != '/')
        return false;
    for (const char *letter = path; *letter; letter++) {
        unsigned char byte = (unsigned char)*letter;
        if (byte == '%') {
            if (!isxdigit ((unsigned char)letter[1]) ||
                !isxdigit ((unsigned char)letter[2]))
                return false;
            letter += 2;
        } else if (byte != '/' && !s_unreserved (byte))
            return false;
    }
    return true;
}

//  host as clients send it in Host: without a port that is the scheme's
//  default. Returns -1 when host is empty, too long, or holds what would
//  make the URL mean another host or path (user info, a path, a query,
//  white space or control characters).
static int
s_canonical_host (const char *scheme, const char *host, char *canonical)
{
    size_t length = strlen (host);
    if (length == 0 || length > S_HOST_MAX || strpbrk (host, "@/?#\\ %"))
        return -1;
    for (const char *letter = host; *letter; letter++)
        if ((unsigned char)*letter <= 0x20 || (unsigned char)*letter >= 0x7f)
            return -1;
    memcpy (canonical, host, length + 1);
    const char *default_port = streq (scheme, "https") ? ":443" : ":80";
    size_t port_length = strlen (default_port);
    if (length > port_length &&
        streq (canonical + length - port_length, default_port))
        canonical[length - port_length] = '\0';
    return 0;
}

char *
sigv4_presign_get (const sigv4_signer_t *signer, const char *scheme,
                   const char *host_port, const char *path, int64_t now,
                   uint32_t expires_s)
{
    assert (signer);
    assert (signer->access_key_id && signer->secret_access_key);
    assert (signer->region && signer->service);
    assert (scheme && host_port && path);
    if (expires_s < 1 || expires_s > SIGV4_PRESIGN_EXPIRES_MAX)
        return NULL;
    if (!streq (scheme, "https") && !streq (scheme, "http"))
        return NULL;
    char host[S_HOST_MAX + 1];
    if (s_canonical_host (scheme, host_port, host) == -1 ||
        !s_path_valid (path))
        return NULL;
    time_t seconds = (time_t)now;
    struct tm utc;
    if (!gmtime_r (&seconds, &utc))
        return NULL;
    char timestamp[32], datestamp[16];
    strftime (timestamp, sizeof (timestamp), "%Y%m%dT%H%M%SZ", &utc);
    strftime (datestamp, sizeof (datestamp), "%Y%m%d", &utc);

    char *credential = NULL, *credential_encoded = NULL, *token = NULL;
    char *query = NULL, *canonical = NULL, *to_sign = NULL, *signed_url = NULL;
    credential =
        zsys_sprintf ("%s/%s/%s/%s/aws4_request", signer->access_key_id,
                      datestamp, signer->region, signer->service);
    credential_encoded =
        credential ? sigv4_uri_encode (credential, false) : NULL;
    token = signer->session_token && *signer->session_token
                ? sigv4_uri_encode (signer->session_token, false)
                : strdup ("");
    if (!credential_encoded || !token)
        goto cleanup;
    //  Parameters in byte order, as the canonical query string needs them.
    query = zsys_sprintf ("X-Amz-Algorithm=" S_ALGORITHM
                          "&X-Amz-Credential=%s&X-Amz-Date=%s"
                          "&X-Amz-Expires=%u%s%s&X-Amz-SignedHeaders=host",
                          credential_encoded, timestamp, expires_s,
                          *token ? "&X-Amz-Security-Token=" : "", token);
    canonical = query ? zsys_sprintf ("GET\n%s\n%s\nhost:%s\n\nhost\n"
                                      "UNSIGNED-PAYLOAD",
                                      path, query, host)
                      : NULL;
    if (!canonical)
        goto cleanup;
    char canonical_hash[SIGV4_HEX_SIZE];
    sigv4_sha256_hex (canonical, strlen (canonical), canonical_hash);
    to_sign = zsys_sprintf (S_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s",
                            timestamp, datestamp, signer->region,
                            signer->service, canonical_hash);
    char *secret = zsys_sprintf ("AWS4%s", signer->secret_access_key);
    if (!to_sign || !secret) {
        zstr_free (&secret);
        goto cleanup;
    }
    //  The derivation chain: each step's digest keys the next.
    unsigned char keys[4][S_SHA256_SIZE], signature[S_SHA256_SIZE];
    s_hmac (secret, strlen (secret), datestamp, keys[0]);
    //  Do not leave the secret in freed memory.
    memset (secret, 0, strlen (secret));
    zstr_free (&secret);
    s_hmac (keys[0], S_SHA256_SIZE, signer->region, keys[1]);
    s_hmac (keys[1], S_SHA256_SIZE, signer->service, keys[2]);
    s_hmac (keys[2], S_SHA256_SIZE, "aws4_request", keys[3]);
    s_hmac (keys[3], S_SHA256_SIZE, to_sign, signature);
    memset (keys, 0, sizeof (keys));
    char signature_hex[SIGV4_HEX_SIZE];
    hex_encode (signature, S_SHA256_SIZE, signature_hex);
    signed_url = zsys_sprintf ("%s://%s%s?%s&X-Amz-Signature=%s", scheme, host,
                               path, query, signature_hex);

cleanup:
    zstr_free (&to_sign);
    zstr_free (&canonical);
    zstr_free (&query);
    free (token);
    free (credential_encoded);
    zstr_free (&credential);
    return signed_url;
}
