/*  hooktarget - which webhook targets the ventilator may call.

    Addresses are kept as 16 bytes: IPv6 as is, IPv4 as its IPv4-mapped
    IPv6 form (::ffff:a.b.c.d), so that one comparison serves both and a
    mapped address cannot slip past an IPv4 range.

    SPDX-License-Identifier: MPL-2.0
*/
#include "hooktarget.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ENTRIES_MAX 256

typedef struct {
    bool is_range; // an address or CIDR range; else a host name
    uint8_t bytes[16];
    unsigned prefix; // bits that must match, of 128
    char name[HOOKTARGET_HOST_MAX + 1];
} s_entry_t;

struct _hooktarget_t {
    s_entry_t *entries;
    size_t count;
    bool allow_http;
};

static const uint8_t s_v4_mapped[12] = {0, 0, 0, 0, 0,    0,
                                        0, 0, 0, 0, 0xff, 0xff};

//  Read text (a literal IPv4 or IPv6 address) into bytes. Returns the
//  bits it has (32 for IPv4, 128 for IPv6) as 96 + 32 or 128, or 0 when
//  it is not an address.
static unsigned
s_parse_address (const char *text, uint8_t bytes[16])
{
    struct in_addr v4;
    if (inet_pton (AF_INET, text, &v4) == 1) {
        memcpy (bytes, s_v4_mapped, 12);
        memcpy (bytes + 12, &v4, 4);
        return 128;
    }
    struct in6_addr v6;
    if (inet_pton (AF_INET6, text, &v6) == 1) {
        memcpy (bytes, &v6, 16);
        return 128;
    }
    return 0;
}

static bool
s_is_v4 (const uint8_t bytes[16])
{
    return memcmp (bytes, s_v4_mapped, 12) == 0;
}

static bool
s_prefix_matches (const uint8_t *bytes, const uint8_t *network, unsigned prefix)
{
    unsigned whole = prefix / 8;
    if (memcmp (bytes, network, whole) != 0)
        return false;
    unsigned rest = prefix % 8;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (bytes[whole] & mask) == (network[whole] & mask);
}

//  A host name: letters, digits, '-' and '.', labels of 1 to 63.
static bool
s_is_host_name (const char *text)
{
    size_t size = strlen (text);
    if (size == 0 || size > HOOKTARGET_HOST_MAX)
        return false;
    size_t label = 0;
    for (const char *at = text; *at; at++) {
        if (*at == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (isalnum ((unsigned char)*at) || *at == '-') {
            if (++label > 63)
                return false;
        } else
            return false;
    }
    return label > 0;
}

static void
s_lower (char *text)
{
    for (; *text; text++)
        *text = (char)tolower ((unsigned char)*text);
}

//  Parse one entry (trimmed, NUL-terminated). Returns 0 or -1.
static int
s_parse_entry (char *text, s_entry_t *entry)
{
    memset (entry, 0, sizeof *entry);
    char *slash = strchr (text, '/');
    if (slash)
        *slash = '\0';
    if (s_parse_address (text, entry->bytes)) {
        entry->is_range = true;
        unsigned bits = s_is_v4 (entry->bytes) ? 32 : 128;
        unsigned prefix = bits;
        if (slash) {
            char *end = NULL;
            const char *digits = slash + 1;
            if (!isdigit ((unsigned char)*digits))
                return -1;
            unsigned long value = strtoul (digits, &end, 10);
            if (*end || value > bits)
                return -1;
            prefix = (unsigned)value;
        }
        entry->prefix = 128 - bits + prefix;
        return 0;
    }
    if (slash || !s_is_host_name (text))
        return -1;
    snprintf (entry->name, sizeof entry->name, "%s", text);
    s_lower (entry->name);
    return 0;
}

hooktarget_t *
hooktarget_new (const char *allow, bool allow_http, char *error)
{
    assert (error);
    hooktarget_t *self = (hooktarget_t *)calloc (1, sizeof (hooktarget_t));
    assert (self);
    self->allow_http = allow_http;
    self->entries = (s_entry_t *)calloc (S_ENTRIES_MAX, sizeof (s_entry_t));
    assert (self->entries);
    char *list = strdup (allow ? allow : "");
    assert (list);
    char *save = NULL;
    for (char *item = strtok_r (list, ",", &save); item;
         item = strtok_r (NULL, ",", &save)) {
        while (isspace ((unsigned char)*item))
            item++;
        char *end = item + strlen (item);
        while (end > item && isspace ((unsigned char)end[-1]))
            *--end = '\0';
        if (*item == '\0')
            continue;
        char shown[HOOKTARGET_HOST_MAX + 1];
        snprintf (shown, sizeof shown, "%s", item);
        if (self->count == S_ENTRIES_MAX) {
            snprintf (error, HOOKTARGET_ERROR_MAX,
                      "PDFPIPE_WEBHOOK_ALLOW: more than %d entries",
                      S_ENTRIES_MAX);
            goto failed;
        }
        if (s_parse_entry (item, &self->entries[self->count])) {
            snprintf (error, HOOKTARGET_ERROR_MAX,
                      "PDFPIPE_WEBHOOK_ALLOW: '%s' is not a host name, an "
                      "address or a CIDR range such as 10.0.0.0/8",
                      shown);
            goto failed;
        }
        self->count++;
    }
    free (list);
    return self;

failed:
    free (list);
    hooktarget_destroy (&self);
    return NULL;
}

void
hooktarget_destroy (hooktarget_t **self_p)
{
    assert (self_p);
    hooktarget_t *self = *self_p;
    if (!self)
        return;
    free (self->entries);
    free (self);
    *self_p = NULL;
}

bool
hooktarget_empty (const hooktarget_t *self)
{
    assert (self);
    return self->count == 0;
}

int
hooktarget_parse_url (const char *url, hooktarget_url_t *parts, char *error)
{
    assert (url);
    assert (parts);
    assert (error);
    memset (parts, 0, sizeof *parts);
    size_t size = strlen (url);
    if (size > HOOKTARGET_URL_MAX) {
        snprintf (error, HOOKTARGET_ERROR_MAX, "is longer than %d bytes",
                  HOOKTARGET_URL_MAX);
        return -1;
    }
    const char *rest;
    if (strncmp (url, "https://", 8) == 0) {
        parts->https = true;
        parts->port = 443;
        rest = url + 8;
    } else if (strncmp (url, "http://", 7) == 0) {
        parts->port = 80;
        rest = url + 7;
    } else {
        snprintf (error, HOOKTARGET_ERROR_MAX,
                  "must start with https:// (an absolute URL)");
        return -1;
    }
    for (const char *at = url; *at; at++)
        if ((unsigned char)*at <= ' ' || *at == 0x7f) {
            snprintf (error, HOOKTARGET_ERROR_MAX,
                      "must not hold spaces or control characters");
            return -1;
        }
    size_t authority = strcspn (rest, "/?#");
    if (memchr (rest, '@', authority)) {
        snprintf (error, HOOKTARGET_ERROR_MAX,
                  "must not hold user information ('user@')");
        return -1;
    }
    const char *host = rest;
    size_t host_size;
    const char *after;
    if (*host == '[') {
        const char *close = memchr (host, ']', authority);
        if (!close) {
            snprintf (error, HOOKTARGET_ERROR_MAX, "has no ']' after '['");
            return -1;
        }
        host++;
        host_size = (size_t)(close - host);
        after = close + 1;
    } else {
        const char *colon = memchr (host, ':', authority);
        host_size = colon ? (size_t)(colon - host) : authority;
        after = host + host_size;
    }
    if (host_size == 0 || host_size > HOOKTARGET_HOST_MAX) {
        snprintf (error, HOOKTARGET_ERROR_MAX, "has no valid host");
        return -1;
    }
    memcpy (parts->host, host, host_size);
    parts->host[host_size] = '\0';
    s_lower (parts->host);
    uint8_t bytes[16];
    struct in6_addr v6;
    bool bracketed = rest[0] == '[';
    bool is_address = s_parse_address (parts->host, bytes) != 0;
    //  Brackets hold an IPv6 address, and only they may.
    bool is_v6 = inet_pton (AF_INET6, parts->host, &v6) == 1;
    if (bracketed ? !is_v6
                  : is_v6 || (!is_address && !s_is_host_name (parts->host))) {
        snprintf (error, HOOKTARGET_ERROR_MAX, "has no valid host");
        return -1;
    }
    const char *authority_end = rest + authority;
    if (after < authority_end) {
        if (*after != ':' || after + 1 == authority_end) {
            snprintf (error, HOOKTARGET_ERROR_MAX, "has no valid port");
            return -1;
        }
        unsigned long port = 0;
        for (const char *at = after + 1; at < authority_end; at++) {
            if (!isdigit ((unsigned char)*at) || port > 65535) {
                snprintf (error, HOOKTARGET_ERROR_MAX, "has no valid port");
                return -1;
            }
            port = port * 10 + (unsigned long)(*at - '0');
        }
        if (port == 0 || port > 65535) {
            snprintf (error, HOOKTARGET_ERROR_MAX, "has no valid port");
            return -1;
        }
        parts->port = (uint16_t)port;
    }
    return 0;
}

static bool
s_range_allows (const hooktarget_t *self, const uint8_t bytes[16])
{
    for (size_t index = 0; index < self->count; index++) {
        const s_entry_t *entry = &self->entries[index];
        if (entry->is_range &&
            s_prefix_matches (bytes, entry->bytes, entry->prefix))
            return true;
    }
    return false;
}

static bool
s_name_listed (const hooktarget_t *self, const char *host)
{
    for (size_t index = 0; index < self->count; index++)
        if (!self->entries[index].is_range &&
            strcmp (self->entries[index].name, host) == 0)
            return true;
    return false;
}

int
hooktarget_check_url (const hooktarget_t *self, const char *url,
                      hooktarget_url_t *parts, char *error)
{
    assert (self);
    hooktarget_url_t own;
    if (!parts)
        parts = &own;
    if (hooktarget_parse_url (url, parts, error))
        return -1;
    if (!parts->https && !self->allow_http) {
        snprintf (error, HOOKTARGET_ERROR_MAX,
                  "must start with https:// (this server calls no plain "
                  "http webhooks)");
        return -1;
    }
    uint8_t bytes[16];
    bool allowed = s_parse_address (parts->host, bytes)
                       ? s_range_allows (self, bytes)
                       : s_name_listed (self, parts->host);
    if (!allowed) {
        snprintf (error, HOOKTARGET_ERROR_MAX,
                  "host '%s' is not in this server's webhook allowlist "
                  "(PDFPIPE_WEBHOOK_ALLOW%s)",
                  parts->host, self->count ? "" : ", which is empty");
        return -1;
    }
    return 0;
}

//  Ranges no listed name may reach: this host, private networks, link
//  local (cloud metadata), shared, documentation, benchmarking, multicast
//  and reserved. bytes-as-mapped, prefix out of 128.
typedef struct {
    uint8_t bytes[16];
    unsigned prefix;
} s_range_t;

#define S_V4(a, b, c, d, bits)                                                 \
    {                                                                          \
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d}, 96 + (bits)    \
    }

static const s_range_t s_special[] = {
    S_V4 (0, 0, 0, 0, 8),
    S_V4 (10, 0, 0, 0, 8),
    S_V4 (100, 64, 0, 0, 10),
    S_V4 (127, 0, 0, 0, 8),
    S_V4 (169, 254, 0, 0, 16),
    S_V4 (172, 16, 0, 0, 12),
    S_V4 (192, 0, 0, 0, 24),
    S_V4 (192, 0, 2, 0, 24),
    S_V4 (192, 168, 0, 0, 16),
    S_V4 (198, 18, 0, 0, 15),
    S_V4 (198, 51, 100, 0, 24),
    S_V4 (203, 0, 113, 0, 24),
    S_V4 (224, 0, 0, 0, 3),
    {{0}, 96},                      // ::/96: ::, ::1, IPv4-compatible
    {{0x00, 0x64, 0xff, 0x9b}, 96}, // 64:ff9b::/96, NAT64
    {{0x01, 0x00}, 64},             // 100::/64, discard
    {{0x20, 0x01, 0x0d, 0xb8}, 32}, // documentation
    {{0x20, 0x02}, 16},             // 6to4, embeds IPv4
    {{0x20, 0x01, 0x00, 0x00}, 32}, // Teredo, embeds IPv4
    {{0xfc}, 7},                    // unique local
    {{0xfe, 0x80}, 10},             // link local
    {{0xfe, 0xc0}, 10},             // site local
    {{0xff}, 8},                    // multicast
};

static bool
s_is_special (const uint8_t bytes[16])
{
    for (size_t index = 0; index < sizeof s_special / sizeof s_special[0];
         index++)
        if (s_prefix_matches (bytes, s_special[index].bytes,
                              s_special[index].prefix))
            return true;
    return false;
}

bool
hooktarget_allows_address (const hooktarget_t *self,
                           const hooktarget_url_t *parts,
                           const struct sockaddr *address)
{
    assert (self);
    assert (parts);
    assert (address);
    uint8_t bytes[16];
    if (address->sa_family == AF_INET) {
        memcpy (bytes, s_v4_mapped, 12);
        memcpy (bytes + 12, &((const struct sockaddr_in *)address)->sin_addr,
                4);
    } else if (address->sa_family == AF_INET6)
        memcpy (bytes, &((const struct sockaddr_in6 *)address)->sin6_addr, 16);
    else
        return false;
    if (s_range_allows (self, bytes))
        return true;
    return s_name_listed (self, parts->host) && !s_is_special (bytes);
}
