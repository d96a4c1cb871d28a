/*  s3inputs - the buckets and prefixes a job's s3:// inputs may come from.

    Each entry is parsed as the URL "s3://" + entry by common/store/s3, so
    bucket names follow the one rule the S3 client has.

    SPDX-License-Identifier: MPL-2.0
*/
#include "s3inputs.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

typedef struct {
    char *bucket;
    char *prefix; // "" (the whole bucket) or segments without a trailing '/'
} s_entry_t;

struct _s3inputs_t {
    s_entry_t entries[S3INPUTS_MAX];
    size_t count;
};

//  True when every '/'-separated segment of path is non-empty, not "."
//  or "..", and no byte is a control character.
static bool
s_segments_safe (const char *path)
{
    for (const char *segment = path;;) {
        const char *slash = strchr (segment, '/');
        size_t length = slash ? (size_t)(slash - segment) : strlen (segment);
        if (length == 0 || (length == 1 && segment[0] == '.') ||
            (length == 2 && segment[0] == '.' && segment[1] == '.'))
            return false;
        for (size_t index = 0; index < length; index++) {
            unsigned char byte = (unsigned char)segment[index];
            if (byte < 0x20 || byte == 0x7f)
                return false;
        }
        if (!slash)
            return true;
        segment = slash + 1;
    }
}

//  Add the entry of length bytes at text. Returns -1 and fills error.
static int
s_add (s3inputs_t *self, const char *text, size_t length, char *error)
{
    if (self->count == S3INPUTS_MAX) {
        snprintf (error, S3INPUTS_ERROR_MAX,
                  "at most %d buckets or prefixes may be listed", S3INPUTS_MAX);
        return -1;
    }
    char *url = zsys_sprintf ("s3://%.*s", (int)length, text);
    if (!url) {
        snprintf (error, S3INPUTS_ERROR_MAX, "out of memory");
        return -1;
    }
    s_entry_t *entry = &self->entries[self->count];
    int rc = -1;
    if (s3_parse_url (url, &entry->bucket, &entry->prefix) == -1) {
        snprintf (error, S3INPUTS_ERROR_MAX,
                  "'%.*s' is not BUCKET[/PREFIX] with a valid bucket name",
                  (int)(length > 200 ? 200 : length), text);
        goto cleanup;
    }
    size_t prefix_length = strlen (entry->prefix);
    if (prefix_length > 0 && entry->prefix[prefix_length - 1] == '/')
        entry->prefix[--prefix_length] = '\0';
    if (prefix_length > 0 && !s_segments_safe (entry->prefix)) {
        snprintf (error, S3INPUTS_ERROR_MAX,
                  "the prefix of '%.*s' has an empty, '.' or '..' part or a "
                  "control character",
                  (int)(length > 200 ? 200 : length), text);
        free (entry->bucket);
        free (entry->prefix);
        goto cleanup;
    }
    self->count++;
    rc = 0;

cleanup:
    zstr_free (&url);
    return rc;
}

s3inputs_t *
s3inputs_new (const char *list, char *error)
{
    assert (error);
    s3inputs_t *self = (s3inputs_t *)calloc (1, sizeof (s3inputs_t));
    if (!self) {
        snprintf (error, S3INPUTS_ERROR_MAX, "out of memory");
        return NULL;
    }
    for (const char *cursor = list ? list : ""; *cursor;) {
        const char *comma = strchr (cursor, ',');
        const char *end = comma ? comma : cursor + strlen (cursor);
        const char *start = cursor;
        while (start < end && *start == ' ')
            start++;
        const char *stop = end;
        while (stop > start && stop[-1] == ' ')
            stop--;
        if (stop > start &&
            s_add (self, start, (size_t)(stop - start), error)) {
            s3inputs_destroy (&self);
            return NULL;
        }
        cursor = comma ? comma + 1 : end;
    }
    return self;
}

void
s3inputs_destroy (s3inputs_t **self_p)
{
    assert (self_p);
    s3inputs_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++) {
        free (self->entries[index].bucket);
        free (self->entries[index].prefix);
    }
    free (self);
    *self_p = NULL;
}

bool
s3inputs_any (const s3inputs_t *self)
{
    return self && self->count > 0;
}

s3inputs_verdict_t
s3inputs_check (const s3inputs_t *self, const char *bucket, const char *key)
{
    assert (bucket);
    assert (key);
    if (!s_segments_safe (key))
        return S3INPUTS_BAD_KEY;
    if (!s3inputs_any (self))
        return S3INPUTS_NONE;
    for (size_t index = 0; index < self->count; index++) {
        const s_entry_t *entry = &self->entries[index];
        size_t prefix_length = strlen (entry->prefix);
        if (strcmp (entry->bucket, bucket) != 0)
            continue;
        if (prefix_length == 0 ||
            (strncmp (key, entry->prefix, prefix_length) == 0 &&
             key[prefix_length] == '/'))
            return S3INPUTS_ALLOWED;
    }
    return S3INPUTS_NOT_ALLOWED;
}
