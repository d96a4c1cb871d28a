/*  fuzz_docstream - libFuzzer target for the streaming reader of job
    documents (common/doc/docstream), which the ventilator runs on every
    upload as its bytes arrive.

    The input is read three times. Fed whole, and fed in pieces whose sizes
    come from the input's own bytes: both must give the same events and
    the same outcome, since nothing may depend on where the network split
    the upload. And parsed whole by jsondoc_parse, the reader of documents
    in memory: for a text without raw control characters (which docstream
    refuses and jsondoc, for now, does not) the two must agree, word for
    word on an error, and member by member and element by element on a
    document they accept.

    SPDX-License-Identifier: MPL-2.0
*/
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "docstream.h"
#include "jsondoc.h"

#define S_NESTING_MAX 64
#define S_SPLIT "records"

//  The words both readers refuse a \u0000 with.
#define S_NUL_MESSAGE "holds \\u0000 (NUL)"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_line (bytebuf_t *out, const char *kind, const char *name, const cJSON *value)
{
    char *printed = value ? cJSON_PrintUnformatted (value) : NULL;
    bytebuf_append_str (out, kind);
    bytebuf_append_str (out, " ");
    bytebuf_append_str (out, name ? name : "");
    bytebuf_append_str (out, "=");
    bytebuf_append_str (out, printed ? printed : "");
    bytebuf_append_str (out, "\n");
    free (printed);
}

//  Read what the reader has; returns true once it has ended or failed.
static bool
s_drain (docstream_t *reader, bytebuf_t *out)
{
    while (true) {
        docstream_item_t item;
        docstream_event_t event = docstream_next (reader, &item);
        switch (event) {
        case DOCSTREAM_MORE:
            return false;
        case DOCSTREAM_MEMBER:
            s_line (out, "member", item.name, item.value);
            break;
        case DOCSTREAM_ARRAY:
            s_line (out, "array", item.name, NULL);
            break;
        case DOCSTREAM_ELEMENT:
            s_line (out, "element", NULL, item.value);
            break;
        case DOCSTREAM_VALUE:
            s_line (out, "value", NULL, item.value);
            break;
        case DOCSTREAM_END:
            bytebuf_append_str (out, "end\n");
            return true;
        case DOCSTREAM_FAILED:
            bytebuf_append_str (out, "failed ");
            bytebuf_append_str (out, docstream_error (reader)->field);
            bytebuf_append_str (out, ": ");
            bytebuf_append_str (out, docstream_error (reader)->message);
            bytebuf_append_str (out, "\n");
            return true;
        }
        cJSON_Delete (item.value);
    }
}

static void
s_read (const uint8_t *text, size_t size, bool split, bytebuf_t *out)
{
    docstream_config_t config = {S_SPLIT, S_NESTING_MAX, SIZE_MAX, SIZE_MAX};
    docstream_t *reader = docstream_new (&config);
    if (!reader)
        abort ();
    size_t at = 0;
    bool over = false;
    while (at < size && !over) {
        size_t piece = size - at;
        if (split && 1 + text[at] % 13 < piece)
            piece = 1 + text[at] % 13;
        if (docstream_feed (reader, text + at, piece))
            abort ();
        at += piece;
        over = s_drain (reader, out);
    }
    if (!over) {
        docstream_feed_end (reader);
        if (!s_drain (reader, out))
            abort (); // no outcome after the end
    }
    docstream_destroy (&reader);
}

//  What docstream should have said, from the whole document parsed by
//  jsondoc_parse.
static void
s_expected (const uint8_t *text, size_t size, bytebuf_t *out)
{
    fielderr_t err;
    memset (&err, 0, sizeof err);
    cJSON *root = jsondoc_parse ((const char *)text, size, S_NESTING_MAX, &err);
    if (!root) {
        bytebuf_append_str (out, "failed ");
        bytebuf_append_str (out, err.field);
        bytebuf_append_str (out, ": ");
        bytebuf_append_str (out, err.message);
        bytebuf_append_str (out, "\n");
        return;
    }
    if (!cJSON_IsObject (root))
        s_line (out, "value", NULL, root);
    else
        for (const cJSON *member = root->child; member; member = member->next) {
            const char *name = member->string ? member->string : "";
            if (strcmp (name, S_SPLIT) != 0 || !cJSON_IsArray (member)) {
                s_line (out, "member", name, member);
                continue;
            }
            s_line (out, "array", name, NULL);
            for (const cJSON *element = member->child; element;
                 element = element->next)
                s_line (out, "element", NULL, element);
        }
    bytebuf_append_str (out, "end\n");
    cJSON_Delete (root);
}

static bool
s_has_control (const uint8_t *text, size_t size)
{
    for (size_t at = 0; at < size; at++)
        if (text[at] < 0x20 && text[at] != '\t' && text[at] != '\n' &&
            text[at] != '\r')
            return true;
    return false;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    bytebuf_t whole = {0}, pieces = {0}, expected = {0};
    s_read (data, size, false, &whole);
    s_read (data, size, true, &pieces);
    if (whole.failed || pieces.failed || whole.size != pieces.size ||
        memcmp (whole.data, pieces.data, whole.size) != 0)
        abort (); // the split changed what was read
    if (!s_has_control (data, size)) {
        s_expected (data, size, &expected);
        //  On a failure, what came before it does not count: compare the
        //  last line alone.
        const char *outcome = whole.data;
        const char *last = whole.data + whole.size - 1;
        while (last > whole.data && last[-1] != '\n')
            last--;
        if (strncmp (last, "failed ", 7) == 0)
            outcome = last;
        //  A \u0000 is refused by both, but where a document is also
        //  broken elsewhere, which of the two errors each names first may
        //  differ (docstream meets values one at a time; jsondoc looks for
        //  NULs before it parses): both failing is agreement then.
        bool both_failed_one_on_nul =
            !expected.failed && strncmp (outcome, "failed ", 7) == 0 &&
            strncmp (expected.data, "failed ", 7) == 0 &&
            (strstr (outcome, S_NUL_MESSAGE) ||
             strstr (expected.data, S_NUL_MESSAGE));
        if (!both_failed_one_on_nul &&
            (expected.failed || strcmp (expected.data, outcome) != 0)) {
            fprintf (stderr, "docstream:\n%s\njsondoc:\n%s\n",
                     whole.data ? whole.data : "",
                     expected.data ? expected.data : "");
            abort (); // docstream reads the document otherwise
        }
    }
    bytebuf_free (&whole);
    bytebuf_free (&pieces);
    bytebuf_free (&expected);
    return 0;
}
