/*  redact - absolute server paths taken out of texts that leave the
    server.

    A job's error text is read by whoever submitted the job; the paths of
    the server's directories (the store, the spool, the data directory)
    are none of their business and help an attacker map the machine. The
    log keeps the full text; what is shown to a client goes through here.

    An absolute path is a '/' (or "file:///") at the start of the text or
    after a space, a quote, '(', '[', '=' or ','; it runs to the next
    space, quote, ')', ']', ',' or ';', or to a ':' followed by a space or
    the end (as in "cannot create /srv/out/x: File exists"). It is
    replaced by ".../" and its last part, which is usually what the reader
    needs ("cannot create .../x: File exists"). s3:// URLs are not server
    paths and are left alone.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_REDACT_H
#define PDFPIPE_REDACT_H

#include <stddef.h>

//  Copy text into out (out_size bytes, at least 1), each absolute path
//  replaced as above, truncated to fit and always NUL-terminated.
void
redact_paths (const char *text, char *out, size_t out_size);

#endif
