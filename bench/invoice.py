#!/usr/bin/env python3
"""invoice - benchmark pdfpipe on the invoice example.

usage: bench/invoice.py [-n N] [--workers W] [--template JOB.json]
                        [--chunk-pages C] [--url URL] [--no-baseline]
                        [--keep PDF] [--s3 [--part-mb M]]

Generates N invoice records (default 10,000) with
examples/invoice/gen_records.py, then submits the invoice template with
`pdfpipe submit --records --wait -o` to a pipeline of W workers (default:
one per core) that it starts on loopback with fresh ports and a temporary
data directory (tests/e2e/pipeline.py), and prints the wall time from submit
to downloaded PDF (the client hears of the end at once: it waits on the
status with wait_s, docs/api.md),
pages per second, the server's time from queued to done and in each job
state, the output size, and the peak RSS (VmHWM) of the workers, the sink,
the ventilator and the client (the client's through /usr/bin/time, GNU
time, when it is installed).

The yardstick, in the same run and on the same records: invoice_c, the
one-process libharu renderer of the standard benchmark document
(../shared/bench/baseline; built into the build folder on first use, which
needs libqrencode-dev: scripts/install-deps.sh installs it), given the
template's own logo. The report puts the pipeline's wall time and output
size beside it as ratios (the targets are "at most 0.67x the wall time" and
"at most 0.6x the size"). --no-yardstick, or a tree without that folder,
skips it.

As a second baseline, the first min(N, 5000) records go through a fresh
pipeline of one worker as a single chunk (chunk_pages can be at most 5000):
the same pages rendered in one worker process, for comparison with the
chunked, merged run (--no-baseline skips it).

While the job runs the disk used by the pipeline's data directory (the
ventilator's records, the sink's spool, the local store holding the output)
is sampled every half second; its peak is reported beside the output size
(the target for a 1,000,000-page job: at most 3x the output).

--s3 stores the result in S3 instead: a moto_server on loopback (started
here; tests/e2e/s3server.py), with parts of --part-mb MiB (default 8). The
job runs twice, back to back on the same records: once with the sink
uploading the whole PDF after the merge (PDFPIPE_S3_UPLOAD_WHILE_MERGING=0)
and once part by part while it merges; each reports its "storing" time
(the job's time in state storing: what is left to upload after the merge).
No yardstick or baseline then.

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
import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
os.environ.setdefault("PDFPIPE_BUILD_DIR", os.path.join(TOP, "build"))
os.environ.setdefault("PDFPIPE_SOURCE_DIR", TOP)
from pipeline import CLI, Pipeline  # noqa: E402
import s3server  # noqa: E402

TEMPLATE = os.path.join(TOP, "examples", "invoice", "template.json")
GEN_RECORDS = os.path.join(TOP, "examples", "invoice", "gen_records.py")
GNU_TIME = "/usr/bin/time"
YARDSTICK_SRC = os.environ.get(
    "PDFPIPE_YARDSTICK_SRC",
    os.path.join(os.path.dirname(TOP), "shared", "bench", "baseline",
                 "invoice_c.c"))
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


def dir_bytes(path):
    """Bytes allocated on disk under path (files that vanish are skipped)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


class DiskPeak:
    """Samples dir_bytes(path) every interval seconds in a thread, keeping
    the peak, until stopped."""

    def __init__(self, path, interval=0.5):
        self.path, self.interval, self.peak = path, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while True:
            self.peak = max(self.peak, dir_bytes(self.path))
            if self._stop.wait(self.interval):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def yardstick_binary():
    """build/invoice_c, compiled from YARDSTICK_SRC when missing or older;
    None (with the reason printed) when it cannot be."""
    if not os.path.exists(YARDSTICK_SRC):
        print("yardstick: %s is not there; skipped" % YARDSTICK_SRC)
        return None
    binary = os.path.join(os.environ["PDFPIPE_BUILD_DIR"], "invoice_c")
    if (os.path.exists(binary)
            and os.path.getmtime(binary) >= os.path.getmtime(YARDSTICK_SRC)):
        return binary
    build = subprocess.run(
        ["cc", "-O2", "-o", binary, YARDSTICK_SRC, "-lhpdf", "-lqrencode",
         "-lcjson", "-lpng", "-lz", "-lm"], capture_output=True, text=True)
    if build.returncode != 0:
        print("yardstick: cannot build invoice_c (libqrencode-dev missing? "
              "run scripts/install-deps.sh): %s" % build.stderr.strip()[-400:])
        return None
    return binary


def run_yardstick(binary, template, records, workdir):
    """invoice_c on the records with the template's logo: (seconds, bytes,
    peak RSS in kB or None)."""
    with open(template, encoding="utf-8") as f:
        logo = json.load(f)["assets"]["logo"]["data"]
    logo_path = os.path.join(workdir, "logo.png")
    with open(logo_path, "wb") as f:
        f.write(base64.b64decode(logo))
    output = os.path.join(workdir, "yardstick.pdf")
    rss_path = os.path.join(workdir, "yardstick.rss")
    argv = [binary, records, output, "--logo", logo_path]
    if os.access(GNU_TIME, os.X_OK):
        argv = [GNU_TIME, "-f", "%M", "-o", rss_path] + argv
    started = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    size = os.path.getsize(output)
    os.remove(output)
    rss = None
    if os.path.exists(rss_path):
        with open(rss_path) as f:
            rss = int(f.read().split()[-1])
    return seconds, size, rss


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
    if pipe:
        with DiskPeak(pipe.dir) as disk:
            seconds, job_id, client_rss = submit(url, job, records, output,
                                                 workdir)
        disk_peak = disk.peak
    else:
        seconds, job_id, client_rss = submit(url, job, records, output,
                                             workdir)
        disk_peak = None
    status = cli_status(url, job_id)
    states, server_seconds = state_seconds(status)
    transitions = status.get("transitions") or {}
    storing = None
    if "storing" in transitions and "done" in transitions:
        storing = (parse_time(transitions["done"]) -
                   parse_time(transitions["storing"]))
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
        "disk_peak": disk_peak,
        "storing_s": storing,
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
    if figures.get("disk_peak"):
        print("  disk at peak   %.1f MB (%.2fx the output), data directory"
              % (figures["disk_peak"] / 1e6,
                 figures["disk_peak"] / max(figures["bytes"], 1)))
    if figures.get("storing_s") is not None:
        print("  storing        %.2f s (after the merge, to the stored "
              "object)" % figures["storing_s"])
    rss = [r for r in figures["worker_rss"] if r is not None]
    if rss:
        print("  peak RSS       workers %s (max %s), sink %s, ventilator %s,"
              " client %s" % (" ".join(mb(r) for r in rss), mb(max(rss)),
                              mb(figures["sink_rss"]),
                              mb(figures["ventilator_rss"]),
                              mb(figures["client_rss"])))


def run_s3(args, records, workdir, body_mb):
    """The job twice against moto_server: the whole PDF uploaded after the
    merge, then part by part while merging."""
    server = s3server.start(workdir, signed=False)
    try:
        for label, streaming in (("s3, whole PDF after the merge", "0"),
                                 ("s3, parts while merging", "1")):
            env = server.environment(part_mb=args.part_mb)
            env["PDFPIPE_S3_UPLOAD_WHILE_MERGING"] = streaming
            saved = {name: os.environ.get(name) for name in env}
            os.environ.update(env)
            try:
                with Pipeline(workers=args.workers,
                              ventilator_args=["--max-body-mb", body_mb],
                              store="s3://%s/bench" % s3server.BUCKET) \
                        as pipe:
                    figures = run("s3-" + streaming, pipe.url, pipe,
                                  args.template, records, args.n, workdir,
                                  args.chunk_pages)
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
            report("%s, %d MiB parts" % (label, args.part_mb), figures,
                   args.workers)
            server.empty_bucket()
    finally:
        server.close()


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
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the one-chunk pipeline baseline")
    parser.add_argument("--no-yardstick", action="store_true",
                        help="skip invoice_c, the one-process renderer")
    parser.add_argument("--keep", metavar="PDF",
                        help="keep the pipeline's output there")
    parser.add_argument("--s3", action="store_true",
                        help="store in S3 (moto_server): whole after the "
                        "merge, then part by part while merging")
    parser.add_argument("--part-mb", type=int, default=8,
                        help="with --s3: part size in MiB (at least 5)")
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

        if args.s3:
            run_s3(args, records, workdir, body_mb)
            return

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

        binary = None if args.no_yardstick else yardstick_binary()
        if binary:
            seconds, size, rss = run_yardstick(binary, args.template,
                                               records, workdir)
            print("yardstick: invoice_c, one process, the same %d records"
                  % args.n)
            print("  wall time      %.2f s (%.0f pages/s), peak RSS %s"
                  % (seconds, args.n / seconds, mb(rss)))
            print("  output         %.1f MB" % (size / 1e6))
            print("  pipeline/one process: wall time %.2fx (target at most "
                  "0.67x), output size %.2fx (target at most 0.6x)"
                  % (figures["seconds"] / seconds, figures["bytes"] / size))

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
