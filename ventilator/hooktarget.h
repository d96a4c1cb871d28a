/*  hooktarget - which webhook targets the ventilator may call.

    Owns the operator's allowlist (PDFPIPE_WEBHOOK_ALLOW: comma-separated
    host names, IPv4 or IPv6 addresses and CIDR ranges) and the rules that
    apply it, so that no job can make the server call an address the
    operator did not name:
    - a target URL is http(s)://host[:port][/path], no user info; https
      only unless plain http was allowed (tests on loopback);
    - its host must be a listed name (exact, case-insensitive) or a
      literal address inside a listed address or range; an empty list
      allows nothing;
    - at delivery the host is resolved once and every address checked:
      an address inside a listed address or range is allowed; a listed
      name may also reach public (globally routed) addresses, never a
      loopback, private, link-local or other special one unless that is
      listed too. The caller then pins the connection to the addresses
      checked, so a second lookup (DNS rebinding) cannot send it
      elsewhere.
    Pure functions over text and socket addresses: no lookups here, no
    curl; webhook does the resolving and connecting.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_HOOKTARGET_H
#define PDFPIPE_HOOKTARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

//  Longest webhook URL accepted (the job document's limit too).
#define HOOKTARGET_URL_MAX 2048
//  Longest host name (RFC 1035).
#define HOOKTARGET_HOST_MAX 253
//  Room for an error message.
#define HOOKTARGET_ERROR_MAX 512

typedef struct _hooktarget_t hooktarget_t;

//  A target URL's parts.
typedef struct {
    bool https;
    char host[HOOKTARGET_HOST_MAX + 1]; // lower case; IPv6 without brackets
    uint16_t port;                      // the scheme's default when absent
} hooktarget_url_t;

//  The allowlist allow (NULL or "" for an empty one), accepting plain
//  http targets when allow_http. Returns NULL with error (at least
//  HOOKTARGET_ERROR_MAX bytes) naming the first entry that is not a host
//  name, an address or a CIDR range. Caller owns the result.
hooktarget_t *
hooktarget_new (const char *allow, bool allow_http, char *error);

void
hooktarget_destroy (hooktarget_t **self_p);

//  Whether the list allows nothing.
bool
hooktarget_empty (const hooktarget_t *self);

//  Split url into parts. Returns 0, or -1 with error saying what is wrong
//  (scheme, user info, host, port, length).
int
hooktarget_parse_url (const char *url, hooktarget_url_t *parts, char *error);

//  Whether url may be named as a target: well formed, an allowed scheme,
//  a host the list allows (see above). Returns 0 and fills parts (may be
//  NULL), or -1 with error, words for the client naming
//  PDFPIPE_WEBHOOK_ALLOW when the host is not in it.
int
hooktarget_check_url (const hooktarget_t *self, const char *url,
                      hooktarget_url_t *parts, char *error);

//  Whether a delivery to parts (checked by hooktarget_check_url) may
//  connect to address, one of what its host resolved to.
bool
hooktarget_allows_address (const hooktarget_t *self,
                           const hooktarget_url_t *parts,
                           const struct sockaddr *address);

#endif
