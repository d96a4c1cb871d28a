/*  disposition - the Content-Disposition header that offers a result as a
    download under its file name.

    A job document may name the file its result downloads as
    (common/doc/output). Two processes turn that name into a header: the
    sink, as the S3 object's Content-Disposition when it stores the
    result, and the ventilator, when it serves a result from a local store
    itself. Both take the value from here, so a download is named the same
    way whichever store holds it.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_DISPOSITION_H
#define PDFPIPE_DISPOSITION_H

//  The Content-Disposition header value that offers filename as a
//  download: attachment; filename="<ASCII fallback>";
//  filename*=UTF-8''<percent-encoded> (RFC 6266, RFC 5987). The fallback
//  replaces bytes outside printable ASCII, double quotes and backslashes
//  with '_' and collapses runs of spaces, so the value is safe in a header
//  and signs the same way everywhere (SigV4 collapses spaces). Returns NULL
//  when out of memory. Caller frees.
char *
disposition_header (const char *filename);

#endif
