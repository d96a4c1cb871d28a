/*  fuzz_records - libFuzzer target for the records reader (common/doc/records
    and common/doc/csv), which the ventilator runs on JSON Lines and CSV files
    fetched from S3 as their bytes arrive.

    The first input byte chooses the format (bit 0: CSV or JSON Lines) and
    whether CSV numbers become JSON numbers (bit 1); the rest is the file.
    The file is read twice: fed in one piece, and fed in pieces whose sizes
    come from the file's own bytes. Both must give the same records and the
    same outcome (a record cannot depend on where the network split the
    download), and every record must be a JSON object cJSON can parse.

    SPDX-License-Identifier: MPL-2.0
*/
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  Everything a reader produced: records joined by newlines, then the
//  outcome.
typedef struct {
    char *text;
    size_t size;
    size_t capacity;
} s_output_t;

static void
s_append (s_output_t *output, const char *text, size_t size)
{
    if (output->size + size + 1 > output->capacity) {
        output->capacity = (output->size + size + 1) * 2;
        output->text = (char *)realloc (output->text, output->capacity);
        if (!output->text)
            abort ();
    }
    memcpy (output->text + output->size, text, size);
    output->size += size;
    output->text[output->size] = '\0';
}

//  Read what the reader has; returns -1 once it has failed or ended.
static int
s_drain (records_t *reader, s_output_t *output)
{
    while (true) {
        const char *json = NULL;
        size_t json_size = 0;
        int rc = records_next (reader, &json, &json_size);
        if (rc != 1)
            return rc;
        cJSON *record = cJSON_ParseWithLength (json, json_size);
        if (!record || !cJSON_IsObject (record))
            abort (); // a record that is not a JSON object
        cJSON_Delete (record);
        s_append (output, json, json_size);
        s_append (output, "\n", 1);
    }
}

static void
s_read (const uint8_t *file, size_t size, records_format_t format, bool numbers,
        bool split, s_output_t *output)
{
    records_t *reader = records_new_fed ("fuzz", format);
    if (!reader)
        abort ();
    records_set_csv_numbers (reader, numbers);
    size_t at = 0;
    int rc = 0;
    while (at < size && rc == 0) {
        size_t piece = size - at;
        if (split)
            piece = 1 + file[at] % 7 < piece ? 1 + file[at] % 7 : piece;
        if (records_feed (reader, file + at, piece))
            abort ();
        at += piece;
        rc = s_drain (reader, output);
    }
    if (rc == 0) {
        records_feed_end (reader);
        rc = s_drain (reader, output);
    }
    s_append (output, rc < 0 ? "failed: " : "end", rc < 0 ? 8 : 3);
    if (rc < 0)
        s_append (output, records_error (reader),
                  strlen (records_error (reader)));
    records_destroy (&reader);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    records_format_t format =
        data[0] & 1 ? RECORDS_FORMAT_CSV : RECORDS_FORMAT_JSONL;
    bool numbers = (data[0] & 2) != 0;
    s_output_t whole = {0}, pieces = {0};
    s_read (data + 1, size - 1, format, numbers, false, &whole);
    s_read (data + 1, size - 1, format, numbers, true, &pieces);
    if (whole.size != pieces.size ||
        memcmp (whole.text, pieces.text, whole.size) != 0)
        abort (); // the split changed what was read
    free (whole.text);
    free (pieces.text);
    return 0;
}
