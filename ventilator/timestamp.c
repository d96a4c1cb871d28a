/*  timestamp - how the ventilator writes a point in time.

    SPDX-License-Identifier: MPL-2.0
*/
#include "timestamp.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void
timestamp_format_ms (int64_t ms, char *text, size_t size)
{
    assert (text);
    assert (size >= TIMESTAMP_SIZE);
    if (ms < 0)
        ms = 0;
    time_t seconds = (time_t)(ms / 1000);
    struct tm fields;
    if (!gmtime_r (&seconds, &fields)) {
        //  Past the year gmtime can hold: no such time reaches us.
        seconds = 0;
        ms = 0;
        gmtime_r (&seconds, &fields);
    }
    size_t length = strftime (text, size, "%Y-%m-%dT%H:%M:%S", &fields);
    snprintf (text + length, size - length, ".%03dZ", (int)(ms % 1000));
}
