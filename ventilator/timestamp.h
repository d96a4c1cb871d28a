/*  timestamp - how the ventilator writes a point in time.

    Owns the one text form of a time the HTTP API shows (docs/api.md): RFC
    3339 in UTC with milliseconds, "2024-05-01T12:00:00.250Z". The job
    store keeps times as milliseconds since the Unix epoch and S3 link
    expiries come in seconds; both are written through here, so the unit
    is in the function's name.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_TIMESTAMP_H
#define PDFPIPE_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

//  Bytes a timestamp text needs, with its NUL, for any int64_t time.
#define TIMESTAMP_SIZE 40

//  Write ms (milliseconds since the Unix epoch) into text, which has size
//  bytes, at least TIMESTAMP_SIZE. A time before the epoch is written as
//  the epoch.
void
timestamp_format_ms (int64_t ms, char *text, size_t size);

#endif
