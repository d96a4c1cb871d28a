#!/usr/bin/env python3
"""intake - benchmark the ventilator taking in a large job.

usage: bench/intake.py [-n N] [--workers W] [--template JOB.json]
                       [--interval-ms MS] [--no-wait]

Generates N invoice records (default 100,000) with
examples/invoice/gen_records.py and starts a pipeline on loopback
(tests/e2e/pipeline.py) of W workers (default 2). A one-page job goes in
first, so that there is a job to ask about. Then the invoice template is
submitted with `pdfpipe submit --records` (the records streamed into the
upload as it is sent), and while that runs, a client asks GET /healthz and
GET /v1/jobs/{the one-page job} in turn, every MS milliseconds (default
20), each on a new connection, and keeps how long each answer took. It
prints how long the submission took (upload and intake, to the 202), the
latencies of the status requests made meanwhile (count, median, p99,
max), and the ventilator's peak RSS (VmHWM) right after the 202 and, unless
--no-wait, once the job is done.

The ventilator is started with --max-body-mb large enough for the
records (older ventilators held the document in memory under a 64 MiB
default), so the same script measures an older build as well:
PDFPIPE_BUILD_DIR names the build (default ./build). Benchmarks are not
tests: nothing here passes or fails on time.

SPDX-License-Identifier: MPL-2.0
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from invoice import (BODY_MARGIN_MB, GEN_RECORDS, TEMPLATE,  # noqa: E402
                     mb, peak_rss_kb, write_job)
from pipeline import CLI, Pipeline, marker_job  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Prober(threading.Thread):
    """Asks each of paths in turn, every interval seconds, until stopped;
    keeps (path, seconds, status) of each answer."""

    def __init__(self, url, paths, interval):
        super().__init__(daemon=True)
        self.url = url
        self.paths = paths
        self.interval = interval
        self.answers = []
        self.stopping = threading.Event()

    def run(self):
        turn = 0
        while not self.stopping.is_set():
            path = self.paths[turn % len(self.paths)]
            turn += 1
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.url + path,
                                            timeout=60) as answer:
                    answer.read()
                    status = answer.status
            except OSError as error:
                status = str(error)
            self.answers.append((path, time.monotonic() - started, status))
            self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()
        self.join()


def report_latencies(label, answers):
    seconds = [s for _, s, status in answers if status == 200]
    failed = len(answers) - len(seconds)
    print("  %-22s %d answers%s, median %.1f ms, p99 %.1f ms, max %.1f ms" % (
        label, len(answers), " (%d failed)" % failed if failed else "",
        1000 * percentile(seconds, 0.5), 1000 * percentile(seconds, 0.99),
        1000 * max(seconds or [float("nan")])))


def main():
    parser = argparse.ArgumentParser(
        description="Benchmark the ventilator taking in a large job.")
    parser.add_argument("-n", type=int, default=100000, help="invoices")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--template", default=TEMPLATE,
                        help="job document without records")
    parser.add_argument("--interval-ms", type=float, default=20.0)
    parser.add_argument("--no-wait", action="store_true",
                        help="stop after the 202")
    args = parser.parse_args()
    if not os.access(CLI, os.X_OK):
        sys.exit("no %s; build first (cmake --build build)" % CLI)

    with tempfile.TemporaryDirectory(prefix="pdfpipe-bench-") as workdir:
        records = os.path.join(workdir, "records.jsonl")
        subprocess.run([sys.executable, GEN_RECORDS, str(args.n), records],
                       check=True)
        size_mb = os.path.getsize(records) / 1e6
        print("records: %d invoices in %.1f MB" % (args.n, size_mb))
        job = write_job(args.template, os.path.join(workdir, "job.json"))
        body_mb = str(int(size_mb) + BODY_MARGIN_MB)
        with Pipeline(workers=args.workers,
                      ventilator_args=["--max-body-mb", body_mb]) as pipe:
            ventilator = pipe.ventilator.pid
            small = pipe.submit(marker_job(1))
            prober = Prober(pipe.url, ["/healthz", "/v1/jobs/" + small],
                            args.interval_ms / 1000.0)
            prober.start()
            started = time.monotonic()
            client = subprocess.run(
                [CLI, "--url", pipe.url, "submit", job, "--records",
                 records], capture_output=True, text=True)
            submit_seconds = time.monotonic() - started
            prober.stop()
            if client.returncode != 0:
                sys.exit("pdfpipe submit failed (%d): %s" % (
                    client.returncode, client.stderr[-2000:]))
            job_id = client.stdout.split()[0]
            after_submit = peak_rss_kb(ventilator)
            print("submission: %.1f s from the first byte sent to the 202 "
                  "(%.1f MB/s)" % (submit_seconds, size_mb / submit_seconds))
            print("status requests during the submission, every %.0f ms:"
                  % args.interval_ms)
            for path in ("/healthz", "/v1/jobs/" + small):
                report_latencies(
                    "GET " + ("/v1/jobs/{id}" if "jobs" in path else path),
                    [a for a in prober.answers if a[0] == path])
            print("ventilator peak RSS: %s after the 202" % mb(after_submit))
            if not args.no_wait:
                status = pipe.wait(job_id, timeout=3600)
                print("job %s: %s, %d pages; ventilator peak RSS %s" % (
                    job_id, status["state"], status["pages"]["total"],
                    mb(peak_rss_kb(ventilator))))


if __name__ == "__main__":
    main()
