/*  fetch - the parts of a job document given as s3:// URLs, fetched and put
    in place before the document is parsed.

    The document is parsed once with cJSON to find what to fetch, but the
    result is built from the original text: the values of "records" and
    "assets" are located in it by a small scanner of the top-level object
    and replaced, so every other byte (and every number, which cJSON would
    print back inexactly) is kept. Fetched records, JSON Lines or CSV, go
    through a fed common/doc/records reader (the CLI's reader, and the one
    fuzz/fuzz_records exercises), which hands over each record as the text
    of a JSON object as soon as it is whole: a JSON Lines record as its
    line was written, a CSV row built from the header. The assets object,
    which holds only strings, is printed again by cJSON.

    SPDX-License-Identifier: MPL-2.0
*/
#include "fetch.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <czmq.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "bytebuf.h"
#include "jobspec.h"
#include "jsondoc.h"
#include "records.h"

//  Decoded bytes of one fetched image; common/doc/assets has the same limit.
#define S_ASSET_BYTES_MAX (16 * 1024 * 1024)
#define S_URL_SHOWN_MAX 200 // bytes of a URL echoed in an error

typedef struct {
    const char *start; // first byte of the value in the document
    size_t length;     // bytes
} s_span_t;

//  ---------------------------------------------------------------------
//  Finding a top-level member's value in the (valid JSON) text

static const char *
s_skip_blank (const char *cursor, const char *end)
{
    while (cursor < end && strchr (" \t\r\n", *cursor))
        cursor++;
    return cursor;
}

static const char *
s_skip_string (const char *cursor, const char *end)
{
    for (cursor++; cursor < end && *cursor != '"'; cursor++)
        if (*cursor == '\\')
            cursor++;
    return cursor < end ? cursor + 1 : end;
}

static const char *
s_skip_value (const char *cursor, const char *end)
{
    if (cursor < end && *cursor == '"')
        return s_skip_string (cursor, end);
    if (cursor < end && (*cursor == '{' || *cursor == '[')) {
        size_t depth = 0;
        while (cursor < end) {
            if (*cursor == '"') {
                cursor = s_skip_string (cursor, end);
                continue;
            }
            if (*cursor == '{' || *cursor == '[')
                depth++;
            else if ((*cursor == '}' || *cursor == ']') && --depth == 0)
                return cursor + 1;
            cursor++;
        }
        return end;
    }
    while (cursor < end && !strchr (",}] \t\r\n", *cursor))
        cursor++;
    return cursor;
}

//  The value of the top-level member written as "name" (without escapes).
static bool
s_member_span (const char *json, size_t size, const char *name, s_span_t *span)
{
    const char *end = json + size;
    const char *cursor = json;
    if (size >= 3 && memcmp (cursor, "\xEF\xBB\xBF", 3) == 0)
        cursor += 3;
    cursor = s_skip_blank (cursor, end);
    if (cursor >= end || *cursor != '{')
        return false;
    cursor++;
    size_t name_length = strlen (name);
    while (true) {
        cursor = s_skip_blank (cursor, end);
        if (cursor >= end || *cursor != '"')
            return false;
        const char *key_end = s_skip_string (cursor, end);
        bool match = (size_t)(key_end - cursor) == name_length + 2 &&
                     memcmp (cursor + 1, name, name_length) == 0;
        cursor = s_skip_blank (key_end, end);
        if (cursor >= end || *cursor != ':')
            return false;
        cursor = s_skip_blank (cursor + 1, end);
        const char *value_end = s_skip_value (cursor, end);
        if (match) {
            span->start = cursor;
            span->length = (size_t)(value_end - cursor);
            return true;
        }
        cursor = s_skip_blank (value_end, end);
        if (cursor >= end || *cursor != ',')
            return false;
        cursor++;
    }
}

//  ---------------------------------------------------------------------
//  URLs

//  True when the size bytes at data hold text.
static bool
s_contains (const char *data, size_t size, const char *text)
{
    size_t length = strlen (text);
    for (size_t index = 0; index + length <= size; index++)
        if (data[index] == text[0] && memcmp (data + index, text, length) == 0)
            return true;
    return false;
}

//  Check an s3:// URL found at field; split it. Returns -1 with err.
static int
s_check_url (s3_t *s3, const char *url, const char *field, char **bucket_p,
             char **key_p, fielderr_t *err)
{
    if (strncmp (url, "s3://", 5) != 0) {
        fielderr_set (err, field, "only s3:// URLs are fetched, got '%.*s'",
                      S_URL_SHOWN_MAX, url);
        return -1;
    }
    if (s3_parse_url (url, bucket_p, key_p) == -1 || !**key_p) {
        if (*bucket_p) {
            free (*bucket_p);
            free (*key_p);
        }
        fielderr_set (err, field,
                      "'%.*s' is not s3://BUCKET/KEY with a valid bucket "
                      "name",
                      S_URL_SHOWN_MAX, url);
        return -1;
    }
    if (!s3) {
        free (*bucket_p);
        free (*key_p);
        fielderr_set (err, field,
                      "cannot fetch '%.*s': this ventilator has no S3 "
                      "configuration (see docs/operations.md)",
                      S_URL_SHOWN_MAX, url);
        return -1;
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Records

typedef struct {
    const char *url;
    fielderr_t *err;
    records_t *reader; // JSON Lines or CSV, fed the download as it arrives
    bytebuf_t array;   // "[" and the records so far, comma-separated
    size_t limit;      // bytes that may be fetched, and the array's too
    size_t fetched;    // bytes received
    size_t count;      // records in the array
    bool failed;       // err is filled
} s_records_t;

static int
s_records_fail (s_records_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Fill err about "records"; returns -1 for the caller to pass on.
static int
s_records_fail (s_records_t *self, const char *format, ...)
{
    char message[FIELDERR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    fielderr_set (self->err, "records", "%s", message);
    self->failed = true;
    return -1;
}

//  Append one record, JSON text, to the array. The array is what the
//  document would have held inline, so it is held to the same limits: the
//  body limit (CSV grows as JSON, by its field names on every record) and
//  the number of records.
static int
s_record_add (s_records_t *self, const char *text, size_t size)
{
    if (self->count == JOBSPEC_RECORDS_MAX)
        return s_records_fail (self,
                               "%.*s holds more than %d records, the most a "
                               "job may have",
                               S_URL_SHOWN_MAX, self->url, JOBSPEC_RECORDS_MAX);
    if (self->array.size + size + 1 > self->limit)
        return s_records_fail (self,
                               "the records of %.*s, as JSON, are larger "
                               "than the limit of a job document",
                               S_URL_SHOWN_MAX, self->url);
    if ((self->count > 0 && bytebuf_append (&self->array, ",", 1) == -1) ||
        bytebuf_append (&self->array, text, size) == -1)
        return s_records_fail (self, "out of memory");
    self->count++;
    return 0;
}

//  Add the records the reader has whole so far.
static int
s_records_drain (s_records_t *self)
{
    while (true) {
        const char *json = NULL;
        size_t size = 0;
        int rc = records_next (self->reader, &json, &size);
        if (rc == 0)
            return 0;
        if (rc == -1)
            return s_records_fail (self, "%s", records_error (self->reader));
        if (s_record_add (self, json, size) == -1)
            return -1;
    }
}

static int
s_on_records (const void *data, size_t size, void *arg)
{
    s_records_t *self = arg;
    if (size > self->limit - self->fetched)
        return s_records_fail (self,
                               "%.*s is larger than the limit of a job "
                               "document",
                               S_URL_SHOWN_MAX, self->url);
    self->fetched += size;
    if (records_feed (self->reader, data, size) == -1)
        return s_records_fail (self, "%s", records_error (self->reader));
    return s_records_drain (self);
}

//  The download is complete: read what is left of the file.
static int
s_records_end (s_records_t *self)
{
    records_feed_end (self->reader);
    if (s_records_drain (self) == -1)
        return -1;
    if (self->count == 0)
        return s_records_fail (self,
                               "%.*s holds no records; a job needs at least "
                               "one",
                               S_URL_SHOWN_MAX, self->url);
    if (bytebuf_append (&self->array, "]", 1) == -1)
        return s_records_fail (self, "out of memory");
    return 0;
}

//  The records array text fetched from url. Returns NULL with err filled.
static char *
s_fetch_records (s3_t *s3, const char *url, size_t *budget, fielderr_t *err)
{
    char *bucket = NULL, *key = NULL;
    if (s_check_url (s3, url, "records", &bucket, &key, err) == -1)
        return NULL;
    s_records_t self = {.url = url, .err = err, .limit = *budget};
    char error[S3_ERROR_MAX];
    int rc = -1;
    //  The extension says the format, as it does for the CLI's files.
    records_format_t format = records_format_of_path (key);
    if (format == RECORDS_FORMAT_UNKNOWN) {
        fielderr_set (err, "records",
                      "'%.*s' must name a .jsonl or .ndjson file (one JSON "
                      "object per line) or a .csv file (a header row naming "
                      "the fields, then one record per row)",
                      S_URL_SHOWN_MAX, url);
        goto cleanup;
    }
    //  Errors from the reader start with this name: "s3://b/k.csv line 17:
    //  ...". The reader is common/doc/records, as for the CLI's files, so the
    //  same checks (and the same fuzz target) cover both.
    char name[S_URL_SHOWN_MAX + 1];
    snprintf (name, sizeof (name), "%s", url);
    self.reader = records_new_fed (name, format);
    if (!self.reader) {
        fielderr_set (err, "records", "out of memory");
        goto cleanup;
    }
    if (bytebuf_append (&self.array, "[", 1) == -1) {
        fielderr_set (err, "records", "out of memory");
        goto cleanup;
    }
    if (s3_get (s3, bucket, key, s_on_records, &self, error) == -1) {
        if (!self.failed)
            fielderr_set (err, "records", "cannot read %s", error);
        goto cleanup;
    }
    if (s_records_end (&self) == -1)
        goto cleanup;
    *budget -= self.fetched > self.array.size ? self.fetched : self.array.size;
    rc = 0;

cleanup:
    records_destroy (&self.reader);
    free (bucket);
    free (key);
    if (rc == -1) {
        bytebuf_free (&self.array);
        return NULL;
    }
    return bytebuf_detach (&self.array);
}

//  ---------------------------------------------------------------------
//  Assets

typedef struct {
    bytebuf_t bytes;
    size_t limit;
    bool too_large;
} s_asset_t;

static int
s_on_asset (const void *data, size_t size, void *arg)
{
    s_asset_t *self = arg;
    if (size > self->limit - self->bytes.size) {
        self->too_large = true;
        return -1;
    }
    return bytebuf_append (&self->bytes, data, size);
}

//  Replace the "url" of asset (named name) with the fetched "data".
//  Returns -1 with err.
static int
s_fetch_asset (s3_t *s3, cJSON *asset, const char *name, size_t *budget,
               fielderr_t *err)
{
    char field[FIELDERR_FIELD_MAX];
    snprintf (field, sizeof (field), "assets.%s.url", name);
    const cJSON *url = cJSON_GetObjectItemCaseSensitive (asset, "url");
    if (!cJSON_IsString (url)) {
        char got[JSONDOC_DESCRIBE_MAX];
        jsondoc_describe (url, got, sizeof (got));
        fielderr_set (err, field, "must be an s3:// URL, got %s", got);
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive (asset, "data")) {
        fielderr_set (err, field, "give either \"url\" or \"data\", not both");
        return -1;
    }
    char *bucket = NULL, *key = NULL;
    if (s_check_url (s3, url->valuestring, field, &bucket, &key, err) == -1)
        return -1;
    s_asset_t fetched = {
        .limit = *budget < S_ASSET_BYTES_MAX ? *budget : S_ASSET_BYTES_MAX};
    char error[S3_ERROR_MAX];
    int rc = -1;
    char *data = NULL;
    if (s3_get (s3, bucket, key, s_on_asset, &fetched, error) == -1) {
        if (fetched.too_large)
            fielderr_set (err, field, "%.*s is larger than %d bytes",
                          S_URL_SHOWN_MAX, url->valuestring, S_ASSET_BYTES_MAX);
        else
            fielderr_set (err, field, "cannot read %s", error);
    } else {
        data = base64_encode (fetched.bytes.data, fetched.bytes.size);
        if (!data || !cJSON_AddStringToObject (asset, "data", data))
            fielderr_set (err, field, "out of memory");
        else {
            cJSON_DeleteItemFromObjectCaseSensitive (asset, "url");
            *budget -= fetched.bytes.size;
            rc = 0;
        }
    }
    free (data);
    bytebuf_free (&fetched.bytes);
    free (bucket);
    free (key);
    return rc;
}

//  The assets object with every "url" fetched, as text; NULL with *fetched
//  false when there was none to fetch. Returns -1 with err.
static int
s_fetch_assets (s3_t *s3, cJSON *assets, size_t *budget, char **text_p,
                fielderr_t *err)
{
    *text_p = NULL;
    if (!cJSON_IsObject (assets))
        return 0;
    bool any = false;
    for (cJSON *asset = assets->child; asset; asset = asset->next) {
        if (!cJSON_IsObject (asset) ||
            !cJSON_GetObjectItemCaseSensitive (asset, "url"))
            continue;
        if (s_fetch_asset (s3, asset, asset->string, budget, err) == -1)
            return -1;
        any = true;
    }
    if (!any)
        return 0;
    *text_p = cJSON_PrintUnformatted (assets);
    if (!*text_p) {
        fielderr_set (err, "assets", "out of memory");
        return -1;
    }
    return 0;
}

//  ---------------------------------------------------------------------

//  The document with the two spans (either may be absent) replaced.
static char *
s_splice (const char *json, size_t size, const s_span_t *first,
          const char *first_text, const s_span_t *second,
          const char *second_text)
{
    //  In document order.
    if (first_text && second_text && second->start < first->start) {
        const s_span_t *span = first;
        const char *text = first_text;
        first = second;
        first_text = second_text;
        second = span;
        second_text = text;
    }
    if (!first_text) {
        first = second;
        first_text = second_text;
        second_text = NULL;
    }
    bytebuf_t result = {0};
    const char *cursor = json;
    int rc = bytebuf_append (&result, cursor, (size_t)(first->start - cursor));
    rc |= bytebuf_append (&result, first_text, strlen (first_text));
    cursor = first->start + first->length;
    if (second_text) {
        rc |=
            bytebuf_append (&result, cursor, (size_t)(second->start - cursor));
        rc |= bytebuf_append (&result, second_text, strlen (second_text));
        cursor = second->start + second->length;
    }
    rc |= bytebuf_append (&result, cursor, (size_t)(json + size - cursor));
    if (rc) {
        bytebuf_free (&result);
        return NULL;
    }
    return bytebuf_detach (&result);
}

int
fetch_resolve (s3_t *s3, const char *json, size_t size, size_t max_bytes,
               char **resolved_p, fielderr_t *err)
{
    assert (json || size == 0);
    assert (resolved_p);
    assert (err);
    *resolved_p = NULL;
    //  Most documents name no URL at all: do not parse those twice.
    if (!s_contains (json, size, "://"))
        return 0;
    fielderr_t parse_err;
    cJSON *root = jsondoc_parse (json, size, JOBSPEC_NESTING_MAX, &parse_err);
    if (!cJSON_IsObject (root)) {
        cJSON_Delete (root);
        return 0;
    }
    size_t budget = max_bytes > size ? max_bytes - size : 0;
    char *records_text = NULL, *assets_text = NULL;
    s_span_t records_span = {NULL, 0}, assets_span = {NULL, 0};
    int rc = -1;
    const cJSON *records = cJSON_GetObjectItemCaseSensitive (root, "records");
    if (cJSON_IsString (records) && strstr (records->valuestring, "://")) {
        records_text = s_fetch_records (s3, records->valuestring, &budget, err);
        if (!records_text)
            goto cleanup;
        if (!s_member_span (json, size, "records", &records_span)) {
            fielderr_set (err, "records",
                          "write this member's name without escapes");
            goto cleanup;
        }
    }
    cJSON *assets = cJSON_GetObjectItemCaseSensitive (root, "assets");
    if (s_fetch_assets (s3, assets, &budget, &assets_text, err) == -1)
        goto cleanup;
    if (assets_text && !s_member_span (json, size, "assets", &assets_span)) {
        fielderr_set (err, "assets",
                      "write this member's name without escapes");
        goto cleanup;
    }
    rc = 0;
    if (records_text || assets_text) {
        *resolved_p = s_splice (json, size, &records_span, records_text,
                                &assets_span, assets_text);
        if (!*resolved_p) {
            fielderr_set (err, "", "out of memory");
            rc = -1;
        }
    }

cleanup:
    free (records_text);
    free (assets_text);
    cJSON_Delete (root);
    return rc;
}
