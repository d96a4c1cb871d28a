/*  fetch - the parts of a job document given as s3:// URLs, fetched as the
    document is read.

    Fetched records, JSON Lines or CSV, go through a fed common/doc/records
    reader (the CLI's reader, and the one fuzz/fuzz_records exercises),
    which hands over each record as the text of a JSON object as soon as
    it is whole: a JSON Lines record as its line was written, a CSV row
    built from the header. Each goes straight to the caller, so nothing
    but the piece in flight and the record being read is held. Assets are
    small, and go into the document's assets object as base64.

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
#include "log.h"
#include "records.h"

//  Decoded bytes of one fetched image; common/doc/assets has the same limit.
#define S_ASSET_BYTES_MAX (16 * 1024 * 1024)
#define S_URL_SHOWN_MAX 200 // bytes of a URL echoed in an error

//  The one answer for an input that cannot be read, whatever the reason:
//  no such bucket, no such key, no permission, or not in --s3-inputs. A
//  job learns nothing of what exists where it may not read (S3's own
//  answer, NoSuchKey or NoSuchBucket, goes to the log).
static void
s_unreadable (const char *url, const char *field, fielderr_t *err)
{
    fielderr_set (err, field,
                  "cannot read '%.*s': there is no such object, or it is not "
                  "one this ventilator may read (--s3-inputs)",
                  S_URL_SHOWN_MAX, url);
}

//  Check an s3:// URL found at field against the URL rules and the
//  operator's list; split it. Returns -1 with err.
static int
s_check_url (s3_t *s3, const s3inputs_t *inputs, const char *url,
             const char *field, char **bucket_p, char **key_p, fielderr_t *err)
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
    s3inputs_verdict_t verdict = s3inputs_check (inputs, *bucket_p, *key_p);
    if (verdict == S3INPUTS_BAD_KEY)
        fielderr_set (err, field,
                      "the key of '%.*s' has an empty, '.' or '..' part or a "
                      "control character",
                      S_URL_SHOWN_MAX, url);
    else if (verdict == S3INPUTS_NONE)
        fielderr_set (err, field,
                      "cannot fetch '%.*s': this ventilator reads no s3:// "
                      "inputs; its operator lists the buckets jobs may read "
                      "with --s3-inputs (PDFPIPE_S3_INPUTS; see "
                      "docs/operations.md)",
                      S_URL_SHOWN_MAX, url);
    else if (verdict == S3INPUTS_NOT_ALLOWED) {
        log_warning ("fetch: refused %.*s: not in --s3-inputs", S_URL_SHOWN_MAX,
                     url);
        s_unreadable (url, field, err);
    } else if (!s3)
        fielderr_set (err, field,
                      "cannot fetch '%.*s': this ventilator has no S3 "
                      "configuration (see docs/operations.md)",
                      S_URL_SHOWN_MAX, url);
    if (verdict != S3INPUTS_ALLOWED || !s3) {
        free (*bucket_p);
        free (*key_p);
        return -1;
    }
    return 0;
}

//  A download of url failed with S3's error: log it, answer as for any
//  input that cannot be read.
static void
s_get_failed (const char *url, const char *error, const char *field,
              fielderr_t *err)
{
    log_warning ("fetch: cannot read %.*s: %s", S_URL_SHOWN_MAX, url, error);
    s_unreadable (url, field, err);
}

//  ---------------------------------------------------------------------
//  Records

typedef struct {
    const char *url;
    fielderr_t *err;
    records_t *reader; // JSON Lines or CSV, fed the download as it arrives
    fetch_record_fn *record;
    void *arg;
    size_t limit;      // bytes that may be fetched, and their JSON too
    size_t fetched;    // bytes received
    size_t json_bytes; // of the records handed over, as JSON
    size_t count;      // records handed over
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

//  Hand over one record, JSON text. The records are what the document
//  would have held inline, so they are held to the same limits: the
//  quota (CSV grows as JSON, by its field names on every record) and the
//  number of records.
static int
s_record_add (s_records_t *self, const char *text, size_t size)
{
    if (self->count == JOBSPEC_RECORDS_MAX)
        return s_records_fail (self,
                               "%.*s holds more than %d records, the most a "
                               "job may have",
                               S_URL_SHOWN_MAX, self->url, JOBSPEC_RECORDS_MAX);
    if (size + 1 > self->limit - self->json_bytes)
        return s_records_fail (self,
                               "the records of %.*s, as JSON, are larger "
                               "than the limit of a job document",
                               S_URL_SHOWN_MAX, self->url);
    self->json_bytes += size + 1;
    if (self->record (text, size, self->arg) == -1)
        return s_records_fail (self, "%.*s could not be taken in",
                               S_URL_SHOWN_MAX, self->url);
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
    return 0;
}

int
fetch_records (s3_t *s3, const s3inputs_t *inputs, const char *url,
               size_t max_bytes, fetch_record_fn *record, void *arg,
               fielderr_t *err)
{
    assert (url);
    assert (record);
    assert (err);
    char *bucket = NULL, *key = NULL;
    if (s_check_url (s3, inputs, url, "records", &bucket, &key, err) == -1)
        return -1;
    s_records_t self = {.url = url,
                        .err = err,
                        .record = record,
                        .arg = arg,
                        .limit = max_bytes};
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
    if (s3_get (s3, bucket, key, s_on_records, &self, error) == -1) {
        if (!self.failed)
            s_get_failed (url, error, "records", err);
        goto cleanup;
    }
    if (s_records_end (&self) == -1)
        goto cleanup;
    rc = 0;

cleanup:
    records_destroy (&self.reader);
    free (bucket);
    free (key);
    return rc;
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
s_fetch_asset (s3_t *s3, const s3inputs_t *inputs, cJSON *asset,
               const char *name, size_t *budget, fielderr_t *err)
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
    if (s_check_url (s3, inputs, url->valuestring, field, &bucket, &key, err) ==
        -1)
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
            s_get_failed (url->valuestring, error, field, err);
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

bool
fetch_assets_wanted (const cJSON *assets)
{
    if (!cJSON_IsObject (assets))
        return false;
    for (const cJSON *asset = assets->child; asset; asset = asset->next)
        if (cJSON_IsObject (asset) &&
            cJSON_GetObjectItemCaseSensitive (asset, "url"))
            return true;
    return false;
}

int
fetch_assets (s3_t *s3, const s3inputs_t *inputs, cJSON *assets,
              size_t max_bytes, fielderr_t *err)
{
    assert (err);
    if (!cJSON_IsObject (assets))
        return 0;
    size_t budget = max_bytes;
    for (cJSON *asset = assets->child; asset; asset = asset->next) {
        if (!cJSON_IsObject (asset) ||
            !cJSON_GetObjectItemCaseSensitive (asset, "url"))
            continue;
        if (s_fetch_asset (s3, inputs, asset, asset->string, &budget, err) ==
            -1)
            return -1;
    }
    return 0;
}

static int
s_add_record (const char *json, size_t size, void *arg)
{
    return jobreader_add_record ((jobreader_t *)arg, json, size);
}

int
fetch_for_reader (const s3_config_t *s3_config, const s3inputs_t *inputs,
                  jobreader_t *reader, size_t max_records_bytes,
                  const char *who, fielderr_t *err)
{
    const char *url = jobreader_records_url (reader);
    cJSON *assets = jobreader_assets (reader);
    if (!url && !fetch_assets_wanted (assets))
        return 0;
    s3_t *s3 = NULL;
    char error[S3_ERROR_MAX];
    if (s3_config) {
        s3 = s3_new (s3_config, error);
        if (!s3)
            log_warning ("%s: no S3 client: %s", who, error);
    }
    int rc = 0;
    if (url && fetch_records (s3, inputs, url, max_records_bytes, s_add_record,
                              reader, err) == -1)
        rc = -1;
    else if (fetch_assets (s3, inputs, assets, JOBSPEC_MEMBERS_BYTES_MAX,
                           err) == -1)
        rc = -1;
    s3_destroy (&s3);
    return rc;
}
