/*  docstream - the top level of a JSON document, read as its bytes arrive.

    Owns one document being read in pieces of any size (an HTTP upload as
    it comes in) and splits it where a job document needs it split: every
    member of the top-level object is handed over whole, as a cJSON value,
    except one array member named when the reader is made ("records"),
    whose elements are handed over one at a time. So a document whose
    array holds a million elements is read in the memory of one element
    and the other members, never of the whole.

    It is a tokenizer of the top level only: it follows strings, escapes
    and brackets to find where each value ends, and each value is then
    parsed by cJSON on its own, so values are read exactly as cJSON reads
    them in a whole document. Where the value was found, its errors are
    reported in the document's lines and columns.

    Errors rank as they do for jsondoc_parse on the whole text, whatever
    the order they are found in: an empty document first; then nesting
    deeper than the limit anywhere (reported as soon as it is seen, since
    nothing outranks it); then a raw control character other than tab,
    line feed and carriage return anywhere ("control character U+0001 is
    not allowed there"); then the first syntax error, text after the end of
    the document, or a value larger than the limits. Every error but the
    nesting one is therefore final only at docstream_feed_end: until then
    the reader keeps scanning (without handing anything more over) so that
    an error later in the text can outrank it. Messages have field "" and
    read "not valid JSON near line L column C" like jsondoc's, except the
    size limits, which name the value ("records[12]", "template").

    Pieces are copied; a reader holds one piece, the value being read, and
    a few counters. Not thread-safe; one reader per document.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_DOCSTREAM_H
#define PDFPIPE_DOCSTREAM_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "fielderr.h"

//  Deepest nesting a reader can be asked to accept: its bracket stack is
//  one 64-bit word.
#define DOCSTREAM_NESTING_MAX 64

typedef struct _docstream_t docstream_t;

typedef enum {
    DOCSTREAM_MORE = 0, // nothing whole yet: feed more, or say it ended
    DOCSTREAM_MEMBER,   // a member of the top-level object, whole
    DOCSTREAM_ARRAY,    // the split member holds an array; ELEMENTs follow
    DOCSTREAM_ELEMENT,  // one element of that array, whole
    DOCSTREAM_VALUE,    // the document is not an object; here it is whole
    DOCSTREAM_END,      // the document ended, well-formed
    DOCSTREAM_FAILED,   // docstream_error says why
} docstream_event_t;

//  What an event carries.
typedef struct {
    //  MEMBER, ARRAY: the member's name, unescaped; borrowed until the
    //  next docstream_next.
    const char *name;
    //  MEMBER, ELEMENT, VALUE: the value, parsed; the caller's to
    //  cJSON_Delete.
    cJSON *value;
    size_t index; // ELEMENT: 0-based position in the array
} docstream_item_t;

//  Limits of a reader.
typedef struct {
    //  The member whose array value is split into elements ("records").
    //  A member of that name holding anything but an array is an ordinary
    //  member. Copied.
    const char *split_name;
    int nesting_max;    // 1 to DOCSTREAM_NESTING_MAX
    size_t members_max; // bytes all other members (or a document that
                        // is not an object) may hold together
    size_t element_max; // bytes one element may hold
} docstream_config_t;

//  A reader of one document. Returns NULL when out of memory. Caller owns
//  the result.
docstream_t *
docstream_new (const docstream_config_t *config);

void
docstream_destroy (docstream_t **self_p);

//  Hand over the next size bytes of the document (copied). Read what they
//  complete with docstream_next before feeding more. Returns 0, or -1 when
//  out of memory (the reader then fails with that).
int
docstream_feed (docstream_t *self, const void *data, size_t size);

//  Say that the whole document has been fed.
void
docstream_feed_end (docstream_t *self);

//  The next event, with what it carries in *item (zeroed for events that
//  carry nothing). MORE until more is fed; END or FAILED, once reached,
//  every time after.
docstream_event_t
docstream_next (docstream_t *self, docstream_item_t *item);

//  Why docstream_next returned FAILED. Borrowed; valid while the reader
//  is.
const fielderr_t *
docstream_error (const docstream_t *self);

#endif
