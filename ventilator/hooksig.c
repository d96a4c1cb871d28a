/*  hooksig - the Standard Webhooks signature (standardwebhooks.com).

    SPDX-License-Identifier: MPL-2.0
*/
#include "hooksig.h"

#include <assert.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

struct _hooksig_t {
    unsigned char key[HOOKSIG_SECRET_MAX];
    size_t key_size;
};

hooksig_t *
hooksig_new (const char *secret, char *error)
{
    assert (error);
    size_t prefix = strlen (HOOKSIG_PREFIX);
    if (!secret || strncmp (secret, HOOKSIG_PREFIX, prefix) != 0) {
        snprintf (error, HOOKSIG_ERROR_MAX,
                  "PDFPIPE_WEBHOOK_SECRET must be " HOOKSIG_PREFIX
                  "<base64 of %d to %d random bytes>",
                  HOOKSIG_SECRET_MIN, HOOKSIG_SECRET_MAX);
        return NULL;
    }
    size_t size = 0;
    base64_error_t why = 0;
    size_t bad_at = 0;
    unsigned char *key = base64_decode (secret + prefix, HOOKSIG_SECRET_MAX,
                                        &size, &why, &bad_at);
    if (!key || size < HOOKSIG_SECRET_MIN) {
        snprintf (error, HOOKSIG_ERROR_MAX,
                  "PDFPIPE_WEBHOOK_SECRET: after " HOOKSIG_PREFIX
                  " must come the base64 of %d to %d bytes",
                  HOOKSIG_SECRET_MIN, HOOKSIG_SECRET_MAX);
        if (key)
            OPENSSL_cleanse (key, size);
        free (key);
        return NULL;
    }
    hooksig_t *self = (hooksig_t *)calloc (1, sizeof (hooksig_t));
    assert (self);
    memcpy (self->key, key, size);
    self->key_size = size;
    OPENSSL_cleanse (key, size);
    free (key);
    return self;
}

void
hooksig_destroy (hooksig_t **self_p)
{
    assert (self_p);
    hooksig_t *self = *self_p;
    if (!self)
        return;
    OPENSSL_cleanse (self->key, sizeof self->key);
    free (self);
    *self_p = NULL;
}

char *
hooksig_sign (const hooksig_t *self, const char *id, int64_t timestamp_s,
              const char *body, size_t size)
{
    assert (self);
    assert (id);
    assert (body || size == 0);
    char head[256];
    int head_size =
        snprintf (head, sizeof head, "%s.%" PRId64 ".", id, timestamp_s);
    assert (head_size > 0 && (size_t)head_size < sizeof head);
    unsigned char mac[EVP_MAX_MD_SIZE];
    //  HMAC over the parts, without copying the body into one buffer.
    EVP_MAC *hmac = EVP_MAC_fetch (NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new (hmac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string ("digest", (char *)"SHA256", 0),
        OSSL_PARAM_construct_end ()};
    size_t out_size = 0;
    int ok =
        ctx && EVP_MAC_init (ctx, self->key, self->key_size, params) &&
        EVP_MAC_update (ctx, (const unsigned char *)head, (size_t)head_size) &&
        EVP_MAC_update (ctx, (const unsigned char *)body, size) &&
        EVP_MAC_final (ctx, mac, &out_size, sizeof mac);
    EVP_MAC_CTX_free (ctx);
    EVP_MAC_free (hmac);
    if (!ok)
        return NULL;
    char *encoded = base64_encode (mac, out_size);
    if (!encoded)
        return NULL;
    size_t encoded_size = strlen (encoded);
    char *signature = (char *)malloc (encoded_size + 4);
    if (signature)
        snprintf (signature, encoded_size + 4, "v1,%s", encoded);
    free (encoded);
    return signature;
}
