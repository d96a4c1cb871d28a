/*  proto - what the pdfpipe processes must agree on: the job states'
    names.

    SPDX-License-Identifier: MPL-2.0
*/
#include "proto.h"

#include <assert.h>
#include <string.h>

static const char *const s_state_names[JOBSTATE_COUNT] = {
    [JOB_QUEUED] = "queued",       [JOB_RENDERING] = "rendering",
    [JOB_MERGING] = "merging",     [JOB_STORING] = "storing",
    [JOB_DONE] = "done",           [JOB_FAILED] = "failed",
    [JOB_CANCELLED] = "cancelled",
};

const char *
jobstate_name (jobstate_t state)
{
    if ((unsigned)state >= JOBSTATE_COUNT)
        return "unknown";
    return s_state_names[state];
}

int
jobstate_parse (const char *name, jobstate_t *state)
{
    assert (state);
    if (!name)
        return -1;
    for (int index = 0; index < JOBSTATE_COUNT; index++) {
        if (strcmp (name, s_state_names[index]) == 0) {
            *state = (jobstate_t)index;
            return 0;
        }
    }
    return -1;
}

bool
jobstate_is_terminal (jobstate_t state)
{
    return state == JOB_DONE || state == JOB_FAILED || state == JOB_CANCELLED;
}
