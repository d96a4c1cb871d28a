#!/usr/bin/env python3
"""latency - where an invoice job's wall time goes outside rendering.

usage: bench/latency.py [-n N] [--workers W] [--runs R]

Generates N invoice records (default 10,000), starts a pipeline of W
workers (default 2) on loopback (tests/e2e/pipeline.py) and, R times
(default 2), times the phases of one job around its server time:

  submit       client start to its 202 (the CLI builds the body from the
               records file and uploads it; the ventilator spools, checks
               and stores it meanwhile), with the ventilator's and the
               client's CPU seconds over that span (/proc/PID/stat and
               getrusage)
  to queued    the 202 against the job's "queued" time (server clock)
  to dispatch  "queued" to "rendering" (the first chunk dispatched)
  server       "queued" to "done" (the job's transitions)
  learn        "done" to the moment `pdfpipe submit -o` has the PDF on
               disk, less the download measured alone afterwards: how long
               the client takes to learn the job is done
  download     `pdfpipe get ID -o` of the same job, alone

Each run is one `pdfpipe submit --records R -o OUT.pdf`, the bench's own
path (bench/invoice.py), timed from outside; "submit" comes from a second
client run without -o on the same records, right before it. Benchmarks are
not tests: nothing here passes or fails on time.

Programs come from $PDFPIPE_BUILD_DIR (default ./build).

SPDX-License-Identifier: MPL-2.0
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from invoice import (CLI, GEN_RECORDS, TEMPLATE, Pipeline,  # noqa: E402
                     parse_time, write_job)

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """User plus system CPU seconds of a live process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children_cpu_s():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli(url, *args):
    return subprocess.run([CLI, "--url", url] + list(args),
                          capture_output=True, text=True, check=True).stdout


def transitions(url, job_id):
    status = json.loads(cli(url, "status", job_id))
    return {state: parse_time(at)
            for state, at in (status.get("transitions") or {}).items()}


def wait_done(url, job_id):
    while True:
        status = json.loads(cli(url, "status", job_id))
        if status["state"] in ("done", "failed", "cancelled"):
            return
        time.sleep(0.05)


def one_run(url, pipe, job, records, workdir, run_nbr):
    # The submit phase alone, on a job of its own.
    ventilator_cpu = cpu_s(pipe.ventilator.pid)
    client_cpu = children_cpu_s()
    started = time.time()
    job_id = cli(url, "submit", job, "--records", records).strip()
    accepted = time.time()
    ventilator_cpu = cpu_s(pipe.ventilator.pid) - ventilator_cpu
    client_cpu = children_cpu_s() - client_cpu
    wait_done(url, job_id)
    at = transitions(url, job_id)

    # The whole client path, as the benchmark runs it.
    output = os.path.join(workdir, "run%d.pdf" % run_nbr)
    whole_started = time.time()
    out = subprocess.run([CLI, "--url", url, "submit", job, "--records",
                          records, "-o", output], capture_output=True,
                         text=True, check=True)
    whole_ended = time.time()
    whole_id = None
    for line in out.stderr.splitlines() + out.stdout.splitlines():
        for word in line.replace(":", " ").split():
            if len(word) == 32 and word.isalnum():
                whole_id = word
    whole_at = transitions(url, whole_id) if whole_id else {}
    download_started = time.time()
    cli(url, "get", whole_id or job_id, "-o", output + ".again")
    download = time.time() - download_started

    print("run %d" % run_nbr)
    print("  submit       %.3f s to the 202 (ventilator CPU %.3f s, client "
          "CPU %.3f s)" % (accepted - started, ventilator_cpu, client_cpu))
    print("  to queued    %.3f s (202 received minus the job's queued time)"
          % (accepted - at["queued"]))
    print("  to dispatch  %.3f s (queued to rendering)"
          % (at["rendering"] - at["queued"]))
    print("  server       %.3f s (queued to done)"
          % (at["done"] - at["queued"]))
    if whole_at.get("done"):
        tail = whole_ended - whole_at["done"]
        print("  whole        %.3f s submit -o: %.3f s to queued, %.3f s "
              "server, %.3f s after done" % (
                  whole_ended - whole_started,
                  whole_at["queued"] - whole_started,
                  whole_at["done"] - whole_at["queued"], tail))
        print("  learn        %.3f s (after done, less the download)"
              % (tail - download))
    print("  download     %.3f s (pdfpipe get, alone)" % download)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pdfpipe-latency-") as workdir:
        records = os.path.join(workdir, "records.jsonl")
        subprocess.run([sys.executable, GEN_RECORDS, str(args.n), records],
                       check=True, stdout=subprocess.DEVNULL)
        size_mb = os.path.getsize(records) / 1e6
        print("records: %d in %.1f MB" % (args.n, size_mb))
        job = write_job(TEMPLATE, os.path.join(workdir, "job.json"))
        body_mb = str(int(size_mb) + 16)
        with Pipeline(workers=args.workers,
                      ventilator_args=["--max-body-mb", body_mb]) as pipe:
            for run_nbr in range(1, args.runs + 1):
                one_run(pipe.url, pipe, job, records, workdir, run_nbr)


if __name__ == "__main__":
    main()
