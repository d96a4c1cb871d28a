/*  jobquery - the query string of GET /v1/jobs: states, limit, cursor.

    SPDX-License-Identifier: MPL-2.0
*/
#include "jobquery.h"

#include "ident.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

//  Longest piece of a parameter quoted back in an error.
#define S_ECHO_MAX 40

//  text[0 .. length) made printable and cut short, for a message.
static void
s_echo (const char *text, size_t length, char *out, size_t size)
{
    size_t used = 0;
    for (size_t index = 0; index < length && used + 4 < size; index++) {
        unsigned char byte = (unsigned char)text[index];
        out[used++] = byte >= 0x20 && byte < 0x7f ? (char)byte : '?';
        if (index + 1 < length && used + 4 >= size) {
            memcpy (out + used, "...", 3);
            used += 3;
        }
    }
    out[used] = '\0';
}

static int
s_parse_states (const char *text, uint32_t *states, char *error, size_t size)
{
    *states = 0;
    const char *cursor = text;
    while (true) {
        const char *comma = strchr (cursor, ',');
        size_t length = comma ? (size_t)(comma - cursor) : strlen (cursor);
        char name[16];
        jobstate_t state;
        bool known = length < sizeof name;
        if (known) {
            memcpy (name, cursor, length);
            name[length] = '\0';
            known = jobstate_parse (name, &state) == 0;
        }
        if (!known) {
            char echo[S_ECHO_MAX];
            s_echo (cursor, length, echo, sizeof echo);
            snprintf (error, size, "unknown state '%s' in ?state=", echo);
            return -1;
        }
        *states |= 1u << state;
        if (!comma)
            return 0;
        cursor = comma + 1;
    }
}

static int
s_parse_limit (const char *text, uint32_t *limit, char *error, size_t size)
{
    uint32_t value = 0;
    size_t length = strlen (text);
    bool valid = length > 0 && length <= 3;
    for (size_t index = 0; valid && index < length; index++) {
        valid = text[index] >= '0' && text[index] <= '9';
        value = value * 10 + (uint32_t)(text[index] - '0');
    }
    if (!valid || value < 1 || value > JOBQUERY_LIMIT_MAX) {
        char echo[S_ECHO_MAX];
        s_echo (text, length, echo, sizeof echo);
        snprintf (error, size,
                  "?limit= must be a whole number from 1 to %d, not '%s'",
                  JOBQUERY_LIMIT_MAX, echo);
        return -1;
    }
    *limit = value;
    return 0;
}

static int
s_parse_cursor (const char *text, jobquery_t *query, char *error, size_t size)
{
    const char *dot = strchr (text, '.');
    size_t digits = dot ? (size_t)(dot - text) : 0;
    bool valid = digits > 0 && digits <= 18 &&
                 ident_valid_str (dot + 1, PROTO_JOB_ID_MAX);
    int64_t created_at = 0;
    for (size_t index = 0; valid && index < digits; index++) {
        valid = text[index] >= '0' && text[index] <= '9';
        created_at = created_at * 10 + (text[index] - '0');
    }
    if (!valid) {
        snprintf (error, size,
                  "?before= is not a cursor this API gave (use the list's "
                  "\"next\" as it is)");
        return -1;
    }
    query->has_cursor = true;
    query->before_created_at = created_at;
    snprintf (query->before_id, sizeof query->before_id, "%s", dot + 1);
    return 0;
}

int
jobquery_parse (const char *state, const char *limit, const char *before,
                jobquery_t *query, char *error, size_t size)
{
    assert (query);
    assert (error && size > 0);
    memset (query, 0, sizeof *query);
    query->limit = JOBQUERY_LIMIT_DEFAULT;
    error[0] = '\0';
    if (state && s_parse_states (state, &query->states, error, size))
        return -1;
    if (limit && s_parse_limit (limit, &query->limit, error, size))
        return -1;
    if (before && s_parse_cursor (before, query, error, size))
        return -1;
    return 0;
}

void
jobquery_cursor (int64_t created_at, const char *id, char *text)
{
    assert (id);
    assert (text);
    snprintf (text, JOBQUERY_CURSOR_SIZE, "%" PRId64 ".%s",
              created_at > 0 ? created_at : 0, id);
}
