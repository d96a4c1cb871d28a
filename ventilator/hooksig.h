/*  hooksig - the Standard Webhooks signature (standardwebhooks.com).

    Owns the signing secret and the one signature scheme: a delivery with
    id ("msg_..."), timestamp (seconds since the Unix epoch) and body is
    signed as "v1,<base64 of HMAC-SHA256 of id.timestamp.body>", keyed
    with the secret's bytes; the secret is written "whsec_<base64>"
    (PDFPIPE_WEBHOOK_SECRET). A receiver recomputes the same and compares
    (docs/api.md shows how). OpenSSL does the HMAC.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_HOOKSIG_H
#define PDFPIPE_HOOKSIG_H

#include <stddef.h>
#include <stdint.h>

#define HOOKSIG_PREFIX "whsec_"
//  Secret sizes accepted, bytes once decoded: the standard asks for 24 to
//  64.
#define HOOKSIG_SECRET_MIN 24
#define HOOKSIG_SECRET_MAX 64
#define HOOKSIG_ERROR_MAX 256

typedef struct _hooksig_t hooksig_t;

//  A signer with the secret text "whsec_<base64>". Returns NULL with
//  error (HOOKSIG_ERROR_MAX bytes) saying what is wrong with it (never
//  the secret itself). Caller owns the result.
hooksig_t *
hooksig_new (const char *secret, char *error);

void
hooksig_destroy (hooksig_t **self_p);

//  The webhook-signature header value for id, timestamp_s and body[0 ..
//  size): "v1,<base64>". Caller frees.
char *
hooksig_sign (const hooksig_t *self, const char *id, int64_t timestamp_s,
              const char *body, size_t size);

#endif
