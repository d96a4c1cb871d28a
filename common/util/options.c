/*  options - the small helpers every program's command line shares.

    SPDX-License-Identifier: MPL-2.0
*/
#include "options.h"

#include <errno.h>
#include <stdlib.h>

const char *
options_env_or (const char *name, const char *fallback)
{
    const char *value = getenv (name);
    return value && *value ? value : fallback;
}

int
options_parse_long (const char *text, long min, long max, long *value)
{
    if (!text)
        return -1;
    char *end = NULL;
    errno = 0;
    long parsed = strtol (text, &end, 10);
    if (errno || end == text || *end || parsed < min || parsed > max)
        return -1;
    *value = parsed;
    return 0;
}
