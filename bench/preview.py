#!/usr/bin/env python3
"""preview - benchmark POST /v1/preview on the invoice example.

usage: bench/preview.py [-n N] [--records R] [--page K]

Generates R invoice records (default 100) with
examples/invoice/gen_records.py, puts them inline in
examples/invoice/template.json, starts a ventilator on loopback
(tests/e2e/pipeline.py, no workers: a preview needs none) and asks
POST /v1/preview?page=K N times (default 50) for a PDF, then N times for
a PNG, one request at a time, each on a new connection. Every answer is
checked (200, %PDF- or the PNG signature) before it counts. Prints the
body size, and for each format the median (p50), p95 and max latency from
sending the request to the last byte of the answer, beside the 500 ms
target for a PDF.

PDFPIPE_BUILD_DIR names the build (default ./build). Benchmarks are not
tests: nothing here passes or fails on time.

SPDX-License-Identifier: MPL-2.0
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from invoice import GEN_RECORDS, TEMPLATE  # noqa: E402
from pipeline import Pipeline  # noqa: E402

TARGET_MS = 500


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))
    return ordered[index]


def document(records, workdir):
    path = os.path.join(workdir, "records.jsonl")
    subprocess.run([sys.executable, GEN_RECORDS, str(records), path],
                   check=True, stdout=subprocess.DEVNULL)
    with open(TEMPLATE) as f:
        job = json.load(f)
    with open(path) as f:
        job["records"] = [json.loads(line) for line in f if line.strip()]
    return json.dumps(job).encode()


def measure(url, body, count, magic):
    """Seconds of each of count previews at url."""
    seconds = []
    for _ in range(count):
        request = urllib.request.Request(
            url, data=body, method="POST",
            headers={"Content-Type": "application/json"})
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = response.read()
            status = response.status
        seconds.append(time.monotonic() - started)
        if status != 200 or not answer.startswith(magic):
            raise SystemExit("preview answered %d: %r" % (status, answer[:200]))
    return seconds, len(answer)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--page", type=int, default=1)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="pdfpipe-bench-preview-")
    body = document(args.records, workdir)
    print("document: %d records, %.1f KB; page %d; %d requests per format"
          % (args.records, len(body) / 1000, args.page, args.n))
    with Pipeline(workers=0) as pipe:
        for fmt, magic in (("pdf", b"%PDF-"), ("png", b"\x89PNG\r\n\x1a\n")):
            url = "%s/v1/preview?page=%d&format=%s" % (pipe.url, args.page,
                                                       fmt)
            seconds, size = measure(url, body, args.n, magic)
            ms = [s * 1000 for s in seconds]
            print("%s: %d bytes; p50 %.0f ms, p95 %.0f ms, max %.0f ms%s"
                  % (fmt, size, percentile(ms, 0.5), percentile(ms, 0.95),
                     max(ms), " (target %d ms)" % TARGET_MS
                     if fmt == "pdf" else ""))


if __name__ == "__main__":
    main()
