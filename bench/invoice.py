#!/usr/bin/env python3
"""invoice - benchmark pdfpipe on the invoice example.

usage: bench/invoice.py [-n N] [--workers W] [--template JOB.json]
                        [--chunk-pages C] [--url URL] [--no-baseline]
                        [--keep PDF]

Generates N invoice records (default 10,000) with
examples/invoice/gen_records.py, then submits the invoice template with
`pdfpipe submit --records --wait -o` to a pipeline of W workers (default:
one per core) that it starts on loopback with fresh ports and a temporary
data directory (tests/e2e/pipeline.py), and prints the wall time from submit
to downloaded PDF (which includes up to one status poll, 0.4 s, of waiting),
pages per second, the server's time from queued to done and in each job
state, the output size, and the peak RSS (VmHWM) of the workers, the sink,
the ventilator and the client (the client's through /usr/bin/time, GNU
time, when it is installed).

As a baseline in the same run, the first min(N, 5000) records go through a
fresh pipeline of one worker as a single chunk (chunk_pages can be at most
5000): the same pages rendered in one worker process, for comparison with
the chunked, merged run.

--url uses a pipeline that is already running instead (no RSS figures and
no baseline then, since its processes are not ours to watch). --template
gives another job document without records, such as bench/invoice-latin.json,
a stand-in with the invoice's text only, for a tree without the invoice
template. --keep leaves the pipeline's PDF at the path given, for a
look inside. Benchmarks are not tests: nothing here passes or fails on time.

Programs come from $PDFPIPE_BUILD_DIR (default ./build).

SPDX-License-Identifier: MPL-2.0
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
os.environ.setdefault("PDFPIPE_BUILD_DIR", os.path.join(TOP, "build"))
os.environ.setdefault("PDFPIPE_SOURCE_DIR", TOP)
from pipeline import CLI, Pipeline  # noqa: E402

TEMPLATE = os.path.join(TOP, "examples", "invoice", "template.json")
GEN_RECORDS = os.path.join(TOP, "examples", "invoice", "gen_records.py")
GNU_TIME = "/usr/bin/time"
CHUNK_PAGES_MAX = 5000
BODY_MARGIN_MB = 16  # over the records file, for the template and slack


def peak_rss_kb(pid):
    """VmHWM of a live process, in kB; None once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def mb(kb):
    return "%.0f MB" % (kb / 1024.0) if kb is not None else "?"


def write_job(template, path, chunk_pages=None):
    """The template as a job document without records, chunk_pages set."""
    with open(template, encoding="utf-8") as f:
        job = json.load(f)
    if "records" in job:
        sys.exit("%s has records; the benchmark brings its own" % template)
    if chunk_pages:
        job["chunk_pages"] = chunk_pages
    with open(path, "w", encoding="utf-8") as f:
        json.dump(job, f, ensure_ascii=False)
    return path


def submit(url, job, records, output, workdir):
    """Run the client to the downloaded PDF. Returns (seconds, job id,
    the client's peak RSS in kB or None)."""
    argv = [CLI, "--url", url, "submit", job, "--records", records,
            "-o", output]
    # A child's peak RSS counts the memory it had before exec, which for a
    # child forked from Python is Python's: measure through GNU time,
    # whose own child starts small, when it is installed.
    rss_path = os.path.join(workdir, "client.rss")
    if os.access(GNU_TIME, os.X_OK):
        argv = [GNU_TIME, "-f", "%M", "-o", rss_path] + argv
    started = time.monotonic()
    client = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if client.returncode != 0:
        sys.exit("pdfpipe submit failed (%d): %s" % (
            client.returncode, client.stderr[-2000:]))
    rss = None
    if os.path.exists(rss_path):
        with open(rss_path) as f:
            rss = int(f.read().split()[-1])
    return seconds, client.stdout.split()[0], rss


def cli_status(url, job_id):
    out = subprocess.run([CLI, "--url", url, "status", job_id],
                         capture_output=True, check=True).stdout
    return json.loads(out)


def parse_time(stamp):
    """Seconds since the epoch of an RFC 3339 UTC time with milliseconds."""
    whole = time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")
    return time.mktime(whole) + float("0" + stamp[19:].rstrip("Z"))


def state_seconds(status):
    """Seconds in each state, and from queued to done, from the job's
    transitions (the server's clock, so no polling delay is in them)."""
    transitions = status.get("transitions") or {}
    ordered = sorted((parse_time(at), state)
                     for state, at in transitions.items())
    spans = ["%s %.2f s" % (state, next_at - at)
             for (at, state), (next_at, _) in zip(ordered, ordered[1:])]
    total = ordered[-1][0] - ordered[0][0] if ordered else 0.0
    return ", ".join(spans), total


def run(label, url, pipe, template, records, pages, workdir,
        chunk_pages=None, keep=None):
    """Submit, wait, download; the figures. pipe is the Pipeline whose
    processes to measure, or None for one that is not ours. keep: where
    to leave the PDF (else it is removed)."""
    job = write_job(template, os.path.join(workdir, label + ".json"),
                    chunk_pages)
    output = os.path.join(workdir, label + ".pdf")
    seconds, job_id, client_rss = submit(url, job, records, output, workdir)
    status = cli_status(url, job_id)
    states, server_seconds = state_seconds(status)
    figures = {
        "pages": pages,
        "seconds": seconds,
        "pages_per_s": pages / seconds,
        "bytes": os.path.getsize(output),
        "chunks": status["chunks"]["total"],
        "states": states,
        "server_seconds": server_seconds,
        "client_rss": client_rss,
        "worker_rss": [],
    }
    if pipe:
        figures["worker_rss"] = [peak_rss_kb(w.pid) for w in pipe.workers]
        figures["sink_rss"] = peak_rss_kb(pipe.sink.pid)
        figures["ventilator_rss"] = peak_rss_kb(pipe.ventilator.pid)
    if keep:
        os.replace(output, keep)
    else:
        os.remove(output)
    return figures


def report(label, figures, workers):
    print("%s: %d pages, %d chunk(s)%s" % (
        label, figures["pages"], figures["chunks"],
        ", %d worker(s)" % workers if workers else ""))
    print("  wall time      %.2f s (submit to downloaded PDF)"
          % figures["seconds"])
    print("  pages/s        %.0f" % figures["pages_per_s"])
    print("  server time    %.2f s from queued to done (%.0f pages/s)" % (
        figures["server_seconds"],
        figures["pages"] / max(figures["server_seconds"], 1e-3)))
    print("  job states     %s" % figures["states"])
    print("  output         %.1f MB" % (figures["bytes"] / 1e6))
    rss = [r for r in figures["worker_rss"] if r is not None]
    if rss:
        print("  peak RSS       workers %s (max %s), sink %s, ventilator %s,"
              " client %s" % (" ".join(mb(r) for r in rss), mb(max(rss)),
                              mb(figures["sink_rss"]),
                              mb(figures["ventilator_rss"]),
                              mb(figures["client_rss"])))


def main():
    parser = argparse.ArgumentParser(
        description="Benchmark pdfpipe on the invoice example.")
    parser.add_argument("-n", type=int, default=10000, help="invoices")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--template", default=TEMPLATE,
                        help="job document without records")
    parser.add_argument("--chunk-pages", type=int,
                        help="override the template's chunk_pages")
    parser.add_argument("--url", help="use a running pipeline")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep", metavar="PDF",
                        help="keep the pipeline's output there")
    args = parser.parse_args()
    if not os.path.exists(args.template):
        sys.exit("%s is not there; give --template JOB.json (such as "
                 "bench/invoice-latin.json)" % args.template)
    if not os.access(CLI, os.X_OK):
        sys.exit("no %s; build first (cmake --build build)" % CLI)

    with tempfile.TemporaryDirectory(prefix="pdfpipe-bench-") as workdir:
        records = os.path.join(workdir, "records.jsonl")
        started = time.monotonic()
        subprocess.run([sys.executable, GEN_RECORDS, str(args.n), records],
                       check=True)
        size_mb = os.path.getsize(records) / 1e6
        print("records: %d in %.1f MB, generated in %.1f s" % (
            args.n, size_mb, time.monotonic() - started))
        print("template: %s" % os.path.relpath(args.template, TOP))
        body_mb = str(int(size_mb) + BODY_MARGIN_MB)

        if args.url:
            figures = run("pipeline", args.url, None, args.template, records,
                          args.n, workdir, args.chunk_pages, args.keep)
            report("pipeline at " + args.url, figures, 0)
            print("  peak RSS       client %s" % mb(figures["client_rss"]))
            return

        with Pipeline(workers=args.workers,
                      ventilator_args=["--max-body-mb", body_mb]) as pipe:
            figures = run("pipeline", pipe.url, pipe, args.template,
                          records, args.n, workdir, args.chunk_pages,
                          args.keep)
        report("pipeline", figures, args.workers)

        if args.no_baseline:
            return
        pages = min(args.n, CHUNK_PAGES_MAX)
        baseline_records = records
        if pages < args.n:
            baseline_records = os.path.join(workdir, "baseline.jsonl")
            with open(records, "rb") as full, \
                    open(baseline_records, "wb") as part:
                for _ in range(pages):
                    part.write(full.readline())
        with Pipeline(workers=1,
                      ventilator_args=["--max-body-mb", body_mb]) as pipe:
            base = run("baseline", pipe.url, pipe, args.template,
                       baseline_records, pages, workdir, chunk_pages=pages)
        report("baseline, one chunk in one worker", base, 1)


if __name__ == "__main__":
    main()
