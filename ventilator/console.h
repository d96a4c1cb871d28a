/*  console - the web console's static files (ventilator/console/), served
    at "/" and "/console/<file>".

    Owns the table of embedded files and what the HTTP layer needs to serve
    one: its bytes, Content-Type, ETag and the security headers. The files
    are plain HTML, CSS and JavaScript, turned into C arrays at build time
    by console/embed.cmake; they carry no data and need no token: every
    data call the page makes is the API (docs/api.md) with the token the
    page asks for. libmicrohttpd stays in httpapi, which asks this module
    what a URL names and sends it.

    The page is served under a strict Content-Security-Policy: scripts,
    styles and connections from this origin only, no inline script or
    style attribute, images also from blob: (a preview PNG), and no
    framing.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_CONSOLE_H
#define PDFPIPE_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

//  Where the files other than the page itself are served from.
#define CONSOLE_PREFIX "/console/"
#define CONSOLE_CSP                                                          \
    "default-src 'self'; script-src 'self'; style-src 'self'; "              \
    "img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; "    \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
//  Revalidate on every load (cheap: an unchanged file is a 304 by its
//  ETag), so a new ventilator's console is never mixed with an old one's.
#define CONSOLE_CACHE_CONTROL "no-cache"

typedef struct {
    const char *name;          // "app.js"; NULL ends the table
    const unsigned char *data; // the file's bytes, static
    size_t size;               // bytes
    const char *etag;          // quoted, as the ETag header has it
} console_file_t;

//  The embedded files, ended by a row whose name is NULL (generated).
extern const console_file_t console_files[];

//  True when url is the console's: "/" or under CONSOLE_PREFIX.
bool
console_owns (const char *url);

//  The file url names ("/" names index.html), or NULL when there is none.
//  The result is static.
const console_file_t *
console_find (const char *url);

//  The Content-Type to serve file with. Static.
const char *
console_content_type (const console_file_t *file);

//  True when an If-None-Match header (may be NULL) matches file's ETag,
//  so a 304 answers it.
bool
console_not_modified (const console_file_t *file, const char *if_none_match);

#endif
