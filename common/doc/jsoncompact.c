/*  jsoncompact - a parsed JSON value written back as compact JSON text.

    The walk keeps an explicit stack of the containers it is in, so a
    value nested as deep as parsing allows costs no recursion.

    SPDX-License-Identifier: MPL-2.0
*/
#include "jsoncompact.h"

#include <math.h>
#include <string.h>

#include "jsonstr.h"
#include "subst.h"

static void
s_append_string (bytebuf_t *text, const char *value)
{
    const char *string = value ? value : "";
    jsonstr_append (text, string, strlen (string));
}

static void
s_append_scalar (bytebuf_t *text, const cJSON *value)
{
    if (cJSON_IsString (value))
        s_append_string (text, value->valuestring);
    else if (cJSON_IsNumber (value) && isfinite (value->valuedouble)) {
        char number[SUBST_NUMBER_MAX];
        size_t length = subst_format_number (value->valuedouble, number);
        bytebuf_append (text, number, length);
    } else if (cJSON_IsTrue (value))
        bytebuf_append (text, "true", 4);
    else if (cJSON_IsFalse (value))
        bytebuf_append (text, "false", 5);
    else
        bytebuf_append (text, "null", 4);
}

int
jsoncompact_append (bytebuf_t *out, const cJSON *value)
{
    const cJSON *containers[JSONCOMPACT_NESTING_MAX + 1];
    const cJSON *cursors[JSONCOMPACT_NESTING_MAX + 1];
    int top = -1;
    const cJSON *node = value;
    while (!out->failed) {
        if (top >= 0 && cJSON_IsObject (containers[top])) {
            s_append_string (out, node->string);
            bytebuf_append (out, ":", 1);
        }
        int is_object = cJSON_IsObject (node);
        if (is_object || cJSON_IsArray (node)) {
            bytebuf_append (out, is_object ? "{" : "[", 1);
            if (node->child && top + 1 <= JSONCOMPACT_NESTING_MAX) {
                top++;
                containers[top] = node;
                cursors[top] = node->child;
                node = node->child;
                continue;
            }
            if (node->child)
                out->failed = true;
            bytebuf_append (out, is_object ? "}" : "]", 1);
        } else
            s_append_scalar (out, node);
        while (top >= 0 && !cursors[top]->next) {
            bytebuf_append (out, cJSON_IsObject (containers[top]) ? "}" : "]",
                            1);
            top--;
        }
        if (top < 0)
            break;
        bytebuf_append (out, ",", 1);
        cursors[top] = cursors[top]->next;
        node = cursors[top];
    }
    return out->failed ? -1 : 0;
}
