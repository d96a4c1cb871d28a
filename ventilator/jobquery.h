/*  jobquery - the query string of GET /v1/jobs: states, limit, cursor.

    Owns the reading of ?state=, ?limit= and ?before= (docs/api.md) into a
    checked query, and the one text form of a cursor. A cursor is opaque to
    clients: "<created_at ms>.<job id>" of the last job of a page, the jobs
    after it being older (or as old with a smaller id). Everything here
    comes from a client: any text is read without crashing, and refused
    with a message that says what was wrong; echoed text is cut short and
    made printable.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_JOBQUERY_H
#define PDFPIPE_JOBQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define JOBQUERY_LIMIT_DEFAULT 50
#define JOBQUERY_LIMIT_MAX 200
//  Bytes of a cursor text, with its NUL: 19 digits, a dot, an id.
#define JOBQUERY_CURSOR_SIZE (20 + 1 + PROTO_JOB_ID_MAX + 1)
#define JOBQUERY_ERROR_MAX 256

typedef struct {
    uint32_t states; // bit (1 << state) for each state asked for; 0: all
    uint32_t limit;  // 1 .. JOBQUERY_LIMIT_MAX
    bool has_cursor; // false: from the newest job
    int64_t before_created_at; // ms since the Unix epoch; with has_cursor
    char before_id[PROTO_JOB_ID_MAX + 1]; // with has_cursor
} jobquery_t;

//  Read the three parameters, each NULL when absent: state a comma list of
//  state names, limit a whole number 1 .. JOBQUERY_LIMIT_MAX (default
//  JOBQUERY_LIMIT_DEFAULT), before a cursor from jobquery_cursor. Returns
//  0 with query filled, or -1 with a sentence for the client in error
//  (size bytes), such as "unknown state 'foo' in ?state=".
int
jobquery_parse (const char *state, const char *limit, const char *before,
                jobquery_t *query, char *error, size_t size);

//  Write the cursor that continues after the job id created at created_at
//  into text (JOBQUERY_CURSOR_SIZE bytes).
void
jobquery_cursor (int64_t created_at, const char *id, char *text);

#endif
