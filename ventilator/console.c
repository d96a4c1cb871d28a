/*  console - the web console's static files; see console.h.

    SPDX-License-Identifier: MPL-2.0
*/
#include "console.h"

#include <assert.h>
#include <string.h>

#define S_INDEX "index.html"

bool
console_owns (const char *url)
{
    assert (url);
    return strcmp (url, "/") == 0 ||
           strncmp (url, CONSOLE_PREFIX, strlen (CONSOLE_PREFIX)) == 0;
}

const console_file_t *
console_find (const char *url)
{
    assert (url);
    const char *name = NULL;
    if (strcmp (url, "/") == 0)
        name = S_INDEX;
    else if (strncmp (url, CONSOLE_PREFIX, strlen (CONSOLE_PREFIX)) == 0)
        name = url + strlen (CONSOLE_PREFIX);
    if (!name)
        return NULL;
    //  Names are compared whole, so "/console/../x" matches nothing.
    for (const console_file_t *file = console_files; file->name; file++)
        if (strcmp (file->name, name) == 0)
            return file;
    return NULL;
}

static bool
s_ends_with (const char *text, const char *suffix)
{
    size_t length = strlen (text), suffix_length = strlen (suffix);
    return length >= suffix_length &&
           strcmp (text + length - suffix_length, suffix) == 0;
}

const char *
console_content_type (const console_file_t *file)
{
    assert (file);
    static const struct {
        const char *suffix;
        const char *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
    };
    for (size_t index = 0; index < sizeof (types) / sizeof (types[0]); index++)
        if (s_ends_with (file->name, types[index].suffix))
            return types[index].type;
    return "application/octet-stream";
}

bool
console_not_modified (const console_file_t *file, const char *if_none_match)
{
    assert (file);
    if (!if_none_match)
        return false;
    if (strcmp (if_none_match, "*") == 0)
        return true;
    //  A list of tags, each possibly weak (W/"..."): any one that is ours.
    const char *found = strstr (if_none_match, file->etag);
    return found != NULL;
}
