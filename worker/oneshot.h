/*  oneshot - one page rendered at once, outside the pipeline.

    Owns the worker's one-shot preview mode (pdfpipe-worker --preview),
    which the ventilator runs once per POST /v1/preview: it reads one
    request from a file descriptor (the ventilator's pipe), renders the
    one page with the renderer chunks use (worker/render), under the same
    job limits (common/doc/joblimits), and writes the PDF to another. It
    keeps nothing and talks to no one else; the ventilator bounds its
    time, memory and CPU, so a template that makes the renderer fail or
    run away takes only this process down.

    The request and the answer are common/proto/previewreq's.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_ONESHOT_H
#define PDFPIPE_ONESHOT_H

#include "fielderr.h"

//  Read one request from in_fd, render it and write the PDF to out_fd.
//  Returns 0, or -1 with err filled (a request that is not one, a record
//  or a limit the page breaks, a renderer error). Nothing is written to
//  out_fd on failure.
int
oneshot_run (int in_fd, int out_fd, fielderr_t *err);

#endif
