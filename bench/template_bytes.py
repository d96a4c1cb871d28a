"""template_bytes - template bytes the ventilator sends for one invoice job,
and the workers' render time per chunk.

usage: bench/template_bytes.py N   (from the build directory, with
PDFPIPE_BUILD_DIR set, and PDFPIPE_SOURCE_DIR for another tree's
pipeline; records are generated into /tmp/d9/work)

Runs the invoice (examples/invoice) as bench/invoice.py does, with 2
workers and the ventilator's debug log on, and sums the template_bytes=
of every CHUNK line (docs/protocol.md, "Templates once per worker").
A benchmark, not a test.

SPDX-License-Identifier: MPL-2.0
"""
import os, re, sys, subprocess, statistics
TOP = os.environ.get("PDFPIPE_SOURCE_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, TOP + "/bench"); sys.path.insert(0, TOP + "/tests/e2e")
import invoice
from pipeline import Pipeline
n = int(sys.argv[1]); workdir = "/tmp/d9/work"; os.makedirs(workdir, exist_ok=True)
records = os.path.join(workdir, "records.jsonl")
if not os.path.exists(records):
    subprocess.run([sys.executable, invoice.GEN_RECORDS, str(n), records], check=True)
body_mb = str(int(os.path.getsize(records) / 1e6) + invoice.BODY_MARGIN_MB)
with Pipeline(workers=2, ventilator_args=["-v", "--max-body-mb", body_mb]) as pipe:
    figures = invoice.run("pipeline", pipe.url, pipe, invoice.TEMPLATE, records, n, workdir, None, None)
    vlog = pipe.logs_of("ventilator"); wlogs = pipe.worker_logs()
chunks = len(re.findall(r"chunk=\d+ attempt=\d+ pages \S+ to worker=", vlog))
sizes = [int(m) for m in re.findall(r"template_bytes=(\d+)", vlog)]
if not sizes:
    # Protocol 1: every CHUNK carried the template; its log said no size.
    print("chunks sent %d (protocol 1: each carried the template)" % chunks)
    sizes = [0]
times = [int(m) for w in wlogs for m in re.findall(r"rendered in (\d+) ms", w)]
print("chunks sent %d, with template %d, template bytes sent %d, one template %d bytes"
      % (len(sizes), sum(1 for s in sizes if s), sum(sizes), max(sizes)))
print("per-chunk render: mean %.1f ms, median %.1f ms, first-of-worker %s ms, n=%d"
      % (statistics.mean(times), statistics.median(times),
         [int(re.findall(r"rendered in (\d+) ms", w)[0]) for w in wlogs], len(times)))
print("wall %.2f s" % figures["seconds"])
