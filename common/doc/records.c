/*  records - the records of a job, read from a JSON Lines or CSV file.

    A JSON Lines record is checked by parsing its line with cJSON and then
    thrown away: the line itself, trimmed, is what goes out. A CSV record
    is written straight from the row's fields into a text buffer, walking
    a tree of the header's dotted names, so no cJSON tree is ever built
    for it. Both keep one buffer that grows to the largest record.

    A fed reader reads the same way from what it was fed: its CSV bytes go
    to a fed csv reader, and its JSON Lines bytes wait in a buffer here
    until a line is whole. Either way, running out of input is not the end
    until records_feed_end says so.

    SPDX-License-Identifier: MPL-2.0
*/
#include "records.h"

#include "bytebuf.h"
#include "csv.h"
#include "jsonstr.h"
#include "utf8.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_EXCERPT_MAX 24       // bytes of a line quoted in an error
#define S_NAME_SHOWN_MAX 64    // bytes of a column name quoted in an error
#define S_NUMBER_DIGITS_MAX 15 // digits a double always holds exactly
#define S_NO_NODE SIZE_MAX
#define S_UTF8_BOM "\xEF\xBB\xBF"

typedef enum {
    S_READING = 0,
    S_AT_END,
    S_FAILED,
} s_progress_t;

//  One dotted part of the CSV header: a field of a record, either a
//  column (a leaf) or an object holding deeper parts.
typedef struct {
    char *key;     // the part as a JSON string and a colon: "name":
    size_t column; // leaf: its column; object: the column that made it
    bool leaf;
    size_t first_child; // index in nodes, or S_NO_NODE; so are the next two
    size_t last_child;
    size_t next_sibling;
} s_node_t;

struct _records_t {
    FILE *file; // borrowed; NULL for a fed reader
    bool fed;   // made by records_new_fed
    bool fed_ended;
    bytebuf_t input; // fed reader: bytes fed and not yet read
    char *name;
    records_format_t format;
    bool csv_numbers;
    s_progress_t progress;
    size_t count; // records returned
    size_t line;  // JSON Lines: line read last, from 1
    char *line_text;
    size_t line_space;
    csv_t *csv;
    s_node_t *nodes; // CSV header tree; nodes[0] is the record itself
    size_t node_count;
    size_t columns; // fields of the header row
    bytebuf_t json; // a CSV record as JSON
    char error[RECORDS_ERROR_MAX];
};

records_format_t
records_format_named (const char *name)
{
    assert (name);
    if (strcasecmp (name, "jsonl") == 0 || strcasecmp (name, "ndjson") == 0)
        return RECORDS_FORMAT_JSONL;
    if (strcasecmp (name, "csv") == 0)
        return RECORDS_FORMAT_CSV;
    return RECORDS_FORMAT_UNKNOWN;
}

records_format_t
records_format_of_path (const char *path)
{
    assert (path);
    const char *dot = strrchr (path, '.');
    const char *slash = strrchr (path, '/');
    if (!dot || (slash && dot < slash))
        return RECORDS_FORMAT_UNKNOWN;
    return records_format_named (dot + 1);
}

static records_t *
s_new (FILE *file, const char *name, records_format_t format)
{
    assert (name);
    assert (format == RECORDS_FORMAT_JSONL || format == RECORDS_FORMAT_CSV);
    records_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->file = file;
    self->fed = !file;
    self->format = format;
    self->name = strdup (name);
    if (!self->name) {
        records_destroy (&self);
        return NULL;
    }
    if (format == RECORDS_FORMAT_CSV) {
        self->csv = file ? csv_new (file) : csv_new_fed ();
        if (!self->csv) {
            records_destroy (&self);
            return NULL;
        }
    }
    return self;
}

records_t *
records_new (FILE *file, const char *name, records_format_t format)
{
    assert (file);
    return s_new (file, name, format);
}

records_t *
records_new_fed (const char *name, records_format_t format)
{
    return s_new (NULL, name, format);
}

void
records_destroy (records_t **self_p)
{
    assert (self_p);
    records_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->node_count; index++)
        free (self->nodes[index].key);
    free (self->nodes);
    csv_destroy (&self->csv);
    bytebuf_free (&self->input);
    free (self->line_text);
    bytebuf_free (&self->json);
    free (self->name);
    free (self);
    *self_p = NULL;
}

void
records_set_csv_numbers (records_t *self, bool numbers)
{
    assert (self);
    self->csv_numbers = numbers;
}

static int
s_fail (records_t *self, size_t line, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Record why reading stops, about line (0 for the whole file). Returns -1
//  for the caller to pass on.
static int
s_fail (records_t *self, size_t line, const char *format, ...)
{
    int prefix =
        line ? snprintf (self->error, sizeof self->error,
                         "%s line %zu: ", self->name, line)
             : snprintf (self->error, sizeof self->error, "%s: ", self->name);
    if (prefix < 0 || (size_t)prefix >= sizeof self->error)
        prefix = 0;
    va_list args;
    va_start (args, format);
    vsnprintf (self->error + prefix, sizeof self->error - (size_t)prefix,
               format, args);
    va_end (args);
    self->progress = S_FAILED;
    return -1;
}

int
records_feed (records_t *self, const void *data, size_t size)
{
    assert (self);
    assert (self->fed);
    assert (!self->fed_ended);
    assert (data || size == 0);
    if (self->progress == S_FAILED)
        return -1;
    int rc = self->csv ? csv_feed (self->csv, data, size)
                       : bytebuf_append (&self->input, data, size);
    if (rc == -1)
        return s_fail (self, 0, "out of memory");
    return 0;
}

void
records_feed_end (records_t *self)
{
    assert (self);
    assert (self->fed);
    self->fed_ended = true;
    if (self->csv)
        csv_feed_end (self->csv);
}

//  True when running out of input is the end of the file: always for a
//  file, and for a fed reader once it has been told so.
static bool
s_input_ended (const records_t *self)
{
    return !self->fed || self->fed_ended;
}

static const char *
s_json_kind (const cJSON *value)
{
    if (cJSON_IsArray (value))
        return "an array";
    if (cJSON_IsString (value))
        return "a string";
    if (cJSON_IsNumber (value))
        return "a number";
    if (cJSON_IsBool (value))
        return "a boolean";
    return "null";
}

//  text (size bytes) as it may be shown on a terminal: at most limit
//  bytes, cut at a character boundary and then followed by "...", with
//  control characters as '?'. shown holds limit + 4 bytes.
static void
s_printable (const char *text, size_t size, size_t limit, char *shown)
{
    size_t length = utf8_cut (text, size, limit);
    for (size_t index = 0; index < length; index++) {
        unsigned char byte = (unsigned char)text[index];
        shown[index] = byte < 0x20 || byte == 0x7F ? '?' : (char)byte;
    }
    strcpy (shown + length, length < size ? "..." : "");
}

static bool
s_is_blank (char byte)
{
    return byte == ' ' || byte == '\t' || byte == '\r' || byte == '\n';
}

//  The next line into line_text, its line break included, as getline
//  reads it. Returns its length; 0 when there is none, at the end or when
//  a fed reader must be fed first; -1 when the file cannot be read.
static ssize_t
s_read_line (records_t *self)
{
    if (!self->fed) {
        errno = 0;
        ssize_t read =
            getline (&self->line_text, &self->line_space, self->file);
        if (read >= 0)
            return read;
        if (ferror (self->file))
            return s_fail (self, 0, "cannot read: %s",
                           strerror (errno ? errno : EIO));
        return 0;
    }
    size_t left = self->input.size - self->input.read;
    if (left == 0)
        return 0;
    const char *start = self->input.data + self->input.read;
    const char *newline = memchr (start, '\n', left);
    if (!newline && !self->fed_ended)
        return 0;
    size_t length = newline ? (size_t)(newline - start) + 1 : left;
    if (length + 1 > self->line_space) {
        char *line_text = realloc (self->line_text, length + 1);
        if (!line_text)
            return s_fail (self, self->line + 1, "out of memory");
        self->line_text = line_text;
        self->line_space = length + 1;
    }
    memcpy (self->line_text, start, length);
    self->line_text[length] = '\0';
    self->input.read += length;
    return (ssize_t)length;
}

static int
s_jsonl_next (records_t *self, const char **json_p, size_t *size_p)
{
    while (true) {
        ssize_t read = s_read_line (self);
        if (read == -1)
            return -1;
        if (read == 0) {
            if (s_input_ended (self))
                self->progress = S_AT_END;
            return 0;
        }
        self->line++;
        char *text = self->line_text;
        size_t size = (size_t)read;
        if (memchr (text, '\0', size))
            return s_fail (self, self->line, "a NUL byte is not text");
        if (self->line == 1 && size >= 3 && memcmp (text, S_UTF8_BOM, 3) == 0) {
            text += 3;
            size -= 3;
        }
        while (size > 0 && s_is_blank (text[size - 1]))
            size--;
        while (size > 0 && s_is_blank (*text)) {
            text++;
            size--;
        }
        if (size == 0)
            continue;
        text[size] = '\0';
        //  Columns count bytes of the line as it is in the file.
        size_t lead = (size_t)(text - self->line_text);

        size_t invalid = utf8_invalid_at (text, size);
        if (invalid < size)
            return s_fail (self, self->line,
                           "not UTF-8 text (byte 0x%02X at column %zu)",
                           (unsigned char)text[invalid], lead + invalid + 1);
        const char *end = NULL;
        cJSON *record = cJSON_ParseWithLengthOpts (text, size + 1, &end, true);
        if (!record) {
            size_t at = end && end >= text && end <= text + size
                            ? (size_t)(end - text)
                            : 0;
            if (at == size)
                return s_fail (self, self->line,
                               "not valid JSON at column %zu (the line ends "
                               "too soon)",
                               lead + at + 1);
            char excerpt[S_EXCERPT_MAX + 4];
            s_printable (text + at, size - at, S_EXCERPT_MAX, excerpt);
            return s_fail (self, self->line,
                           "not valid JSON at column %zu (here: %s)",
                           lead + at + 1, excerpt);
        }
        size_t nul = jsonstr_nul_escape_at (text, size);
        if (nul < size) {
            cJSON_Delete (record);
            return s_fail (self, self->line,
                           "a string holds \\u0000 (NUL) at column %zu, "
                           "which is refused rather than cut the string short",
                           lead + nul + 1);
        }
        bool is_object = cJSON_IsObject (record);
        const char *kind = s_json_kind (record);
        cJSON_Delete (record);
        if (!is_object)
            return s_fail (self, self->line,
                           "a record must be a JSON object, not %s", kind);
        *json_p = text;
        *size_p = size;
        return 1;
    }
}

//  -- CSV -------------------------------------------------------------------

//  True when value is a plain decimal number, as the header describes.
static bool
s_is_plain_number (const char *value, size_t size)
{
    size_t at = 0;
    if (at < size && value[at] == '-')
        at++;
    size_t integer_from = at;
    while (at < size && value[at] >= '0' && value[at] <= '9')
        at++;
    size_t integer_digits = at - integer_from;
    if (integer_digits == 0 ||
        (integer_digits > 1 && value[integer_from] == '0'))
        return false;
    size_t fraction_digits = 0;
    if (at < size && value[at] == '.') {
        at++;
        size_t fraction_from = at;
        while (at < size && value[at] >= '0' && value[at] <= '9')
            at++;
        fraction_digits = at - fraction_from;
        if (fraction_digits == 0)
            return false;
    }
    return at == size &&
           integer_digits + fraction_digits <= S_NUMBER_DIGITS_MAX;
}

//  The child of parent whose key is key, or S_NO_NODE.
static size_t
s_node_child (records_t *self, size_t parent, const char *key)
{
    for (size_t child = self->nodes[parent].first_child; child != S_NO_NODE;
         child = self->nodes[child].next_sibling)
        if (strcmp (self->nodes[child].key, key) == 0)
            return child;
    return S_NO_NODE;
}

//  A new last child of parent; returns its index, or S_NO_NODE when out of
//  memory (key is then freed).
static size_t
s_node_add (records_t *self, size_t parent, char *key, size_t column, bool leaf)
{
    s_node_t *nodes =
        realloc (self->nodes, (self->node_count + 1) * sizeof *nodes);
    if (!nodes) {
        free (key);
        return S_NO_NODE;
    }
    self->nodes = nodes;
    size_t index = self->node_count++;
    nodes[index] =
        (s_node_t){key, column, leaf, S_NO_NODE, S_NO_NODE, S_NO_NODE};
    if (parent != S_NO_NODE) {
        if (nodes[parent].last_child == S_NO_NODE)
            nodes[parent].first_child = index;
        else
            nodes[nodes[parent].last_child].next_sibling = index;
        nodes[parent].last_child = index;
    }
    return index;
}

//  part as a JSON object key ("part":), or NULL when out of memory.
static char *
s_key_new (const char *part, size_t size)
{
    bytebuf_t key = {0};
    jsonstr_append (&key, part, size);
    bytebuf_append (&key, ":", 1);
    return bytebuf_detach (&key);
}

//  Put column's dotted name into the header tree.
static int
s_header_add (records_t *self, size_t column, const char *name, size_t size)
{
    size_t line = csv_line (self->csv);
    if (size == 0)
        return s_fail (self, line, "column %zu has no name", column + 1);
    size_t invalid = utf8_invalid_at (name, size);
    if (invalid < size)
        return s_fail (self, line, "the name of column %zu is not UTF-8 text",
                       column + 1);
    char shown[S_NAME_SHOWN_MAX + 4];
    s_printable (name, size, S_NAME_SHOWN_MAX, shown);
    size_t parent = 0;
    size_t depth = 0;
    const char *part = name;
    while (true) {
        const char *dot = memchr (part, '.', (size_t)(name + size - part));
        size_t part_size =
            dot ? (size_t)(dot - part) : (size_t)(name + size - part);
        bool leaf = !dot;
        if (part_size == 0)
            return s_fail (self, line,
                           "column %zu (\"%s\") has an empty part in its "
                           "dotted name",
                           column + 1, shown);
        if (++depth > RECORDS_CSV_DEPTH_MAX)
            return s_fail (self, line,
                           "column %zu has more than %d dotted parts",
                           column + 1, RECORDS_CSV_DEPTH_MAX);
        char *key = s_key_new (part, part_size);
        if (!key)
            return s_fail (self, 0, "out of memory");
        size_t node = s_node_child (self, parent, key);
        if (node != S_NO_NODE) {
            free (key);
            const s_node_t *clash = &self->nodes[node];
            if (leaf && clash->leaf)
                return s_fail (self, line,
                               "columns %zu and %zu are both called \"%s\"",
                               clash->column + 1, column + 1, shown);
            if (leaf || clash->leaf) {
                char field[S_NAME_SHOWN_MAX + 4];
                s_printable (name, (size_t)(part + part_size - name),
                             S_NAME_SHOWN_MAX, field);
                return s_fail (self, line,
                               "column %zu (\"%s\") and column %zu both "
                               "give a value to \"%s\"",
                               column + 1, shown, clash->column + 1, field);
            }
        } else {
            node = s_node_add (self, parent, key, column, leaf);
            if (node == S_NO_NODE)
                return s_fail (self, 0, "out of memory");
        }
        if (leaf)
            return 0;
        parent = node;
        part = dot + 1;
    }
}

static int
s_csv_failed (records_t *self)
{
    return s_fail (self, csv_line (self->csv), "%s", csv_error (self->csv));
}

//  Read the header row and build the tree of field names from it. Returns
//  1 when done, 0 when a fed reader must be fed first, -1 on an error.
static int
s_csv_header (records_t *self)
{
    int rc = csv_next (self->csv);
    if (rc == -1)
        return s_csv_failed (self);
    if (rc == 0 && !s_input_ended (self))
        return 0;
    if (rc == 0)
        return s_fail (self, 0,
                       "the file is empty; its first line must name "
                       "the fields");
    if (s_node_add (self, S_NO_NODE, NULL, 0, false) == S_NO_NODE)
        return s_fail (self, 0, "out of memory");
    self->columns = csv_fields (self->csv);
    for (size_t column = 0; column < self->columns; column++) {
        const char *name = csv_field (self->csv, column);
        size_t size = csv_field_size (self->csv, column);
        if (column == 0 && size >= 3 && memcmp (name, S_UTF8_BOM, 3) == 0) {
            name += 3;
            size -= 3;
        }
        if (s_header_add (self, column, name, size) == -1)
            return -1;
    }
    return 1;
}

//  The object at node, with values from the current row, into the text.
static void
s_csv_write_object (records_t *self, size_t node)
{
    bytebuf_append (&self->json, "{", 1);
    for (size_t child = self->nodes[node].first_child; child != S_NO_NODE;
         child = self->nodes[child].next_sibling) {
        const s_node_t *field = &self->nodes[child];
        if (child != self->nodes[node].first_child)
            bytebuf_append (&self->json, ",", 1);
        bytebuf_append (&self->json, field->key, strlen (field->key));
        if (!field->leaf) {
            s_csv_write_object (self, child);
            continue;
        }
        const char *value = csv_field (self->csv, field->column);
        size_t size = csv_field_size (self->csv, field->column);
        if (self->csv_numbers && s_is_plain_number (value, size))
            bytebuf_append (&self->json, value, size);
        else
            jsonstr_append (&self->json, value, size);
    }
    bytebuf_append (&self->json, "}", 1);
}

static int
s_csv_next (records_t *self, const char **json_p, size_t *size_p)
{
    if (self->node_count == 0) {
        int header = s_csv_header (self);
        if (header != 1)
            return header;
    }
    int rc = csv_next (self->csv);
    if (rc == -1)
        return s_csv_failed (self);
    if (rc == 0) {
        if (s_input_ended (self))
            self->progress = S_AT_END;
        return 0;
    }
    size_t line = csv_line (self->csv);
    size_t fields = csv_fields (self->csv);
    if (fields != self->columns)
        return s_fail (self, line, "%zu field%s, but the header names %zu",
                       fields, fields == 1 ? "" : "s", self->columns);
    for (size_t column = 0; column < fields; column++) {
        const char *value = csv_field (self->csv, column);
        size_t size = csv_field_size (self->csv, column);
        size_t invalid = utf8_invalid_at (value, size);
        if (invalid < size)
            return s_fail (self, line,
                           "field %zu is not UTF-8 text (byte 0x%02X); save "
                           "the file as UTF-8",
                           column + 1, (unsigned char)value[invalid]);
    }
    bytebuf_reset (&self->json);
    s_csv_write_object (self, 0);
    if (self->json.failed)
        return s_fail (self, line, "out of memory");
    *json_p = self->json.data;
    *size_p = self->json.size;
    return 1;
}

int
records_next (records_t *self, const char **json_p, size_t *size_p)
{
    assert (self);
    assert (json_p);
    assert (size_p);
    if (self->progress == S_AT_END)
        return 0;
    if (self->progress == S_FAILED)
        return -1;
    int rc = self->format == RECORDS_FORMAT_CSV
                 ? s_csv_next (self, json_p, size_p)
                 : s_jsonl_next (self, json_p, size_p);
    if (rc == 1)
        self->count++;
    return rc;
}

size_t
records_count (const records_t *self)
{
    assert (self);
    return self->count;
}

const char *
records_name (const records_t *self)
{
    assert (self);
    return self->name;
}

const char *
records_error (const records_t *self)
{
    assert (self);
    return self->error;
}
