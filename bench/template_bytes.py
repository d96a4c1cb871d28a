#!/usr/bin/env python3
"""template_bytes - template bytes the ventilator sends for one invoice job,
and the workers' render time per chunk.

usage: bench/template_bytes.py [N]   (default 10,000 invoices)

Run from the build directory with PDFPIPE_BUILD_DIR set to it; set
PDFPIPE_SOURCE_DIR too to measure another tree (its tests/e2e pipeline and
bench/invoice.py are used). The records are generated into a temporary
directory, or taken from TEMPLATE_BYTES_DIR/records.jsonl when it exists,
so that two trees can be measured on the same records.

Runs the invoice (examples/invoice) as bench/invoice.py does, with 2
workers and the ventilator's debug log on, and sums the template_bytes=
of every CHUNK line (docs/protocol.md, "Templates once per worker"); a
tree of protocol 1, whose log has no such field, sent the template in
every CHUNK. A benchmark, not a test.

SPDX-License-Identifier: MPL-2.0
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile

TOP = os.environ.get("PDFPIPE_SOURCE_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(TOP, "bench"))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
import invoice  # noqa: E402
from pipeline import Pipeline  # noqa: E402

CHUNK_LINE = re.compile(r"chunk=\d+ attempt=\d+ pages \S+ to worker=\S+"
                        r"(?: template_bytes=(\d+))?")
RENDERED = re.compile(r"rendered in (\d+) ms")


def main():
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    workdir = os.environ.get("TEMPLATE_BYTES_DIR") or tempfile.mkdtemp(
        prefix="template-bytes-")
    os.makedirs(workdir, exist_ok=True)
    records = os.path.join(workdir, "records.jsonl")
    if not os.path.exists(records):
        subprocess.run([sys.executable, invoice.GEN_RECORDS, str(pages),
                        records], check=True)
    body_mb = str(int(os.path.getsize(records) / 1e6)
                  + invoice.BODY_MARGIN_MB)
    with Pipeline(workers=2, ventilator_args=[
            "-v", "--max-body-mb", body_mb]) as pipe:
        figures = invoice.run("pipeline", pipe.url, pipe, invoice.TEMPLATE,
                              records, pages, workdir, None, None)
        ventilator_log = pipe.logs_of("ventilator")
        worker_logs = pipe.worker_logs()

    sizes = [match.group(1) for match in CHUNK_LINE.finditer(ventilator_log)]
    if sizes and sizes[0] is None:
        print("CHUNKs sent %d, every one with the template (protocol 1)"
              % len(sizes))
    else:
        sizes = [int(size) for size in sizes]
        print("CHUNKs sent %d, %d with the template: %d template bytes "
              "(one template %d bytes)" % (
                  len(sizes), sum(1 for size in sizes if size), sum(sizes),
                  max(sizes)))
    times = [int(ms) for log in worker_logs for ms in RENDERED.findall(log)]
    firsts = [int(RENDERED.search(log).group(1)) for log in worker_logs
              if RENDERED.search(log)]
    print("render per chunk: mean %.0f ms, median %.0f ms over %d chunks; "
          "each worker's first: %s ms" % (
              statistics.mean(times), statistics.median(times), len(times),
              ", ".join(str(ms) for ms in firsts)))
    print("client wall time %.2f s" % figures["seconds"])


if __name__ == "__main__":
    main()
