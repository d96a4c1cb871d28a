#!/usr/bin/env python3
"""recovery - how long pdfpipe takes to recover from a dead process.

usage: bench/recovery.py [--runs N] [--pages P] [--scenario ventilator|worker]

The tests (tests/e2e/test_recovery.py, tests/faults/) check that recovery
happens, from the logs; how soon is a figure, measured here on a pipeline
started on loopback (tests/e2e/pipeline.py) and printed, one line a run and
the median:

  ventilator  A P-page job (100-page chunks, 2 workers) reaches its merge;
              the ventilator hangs (SIGSTOP) while the sink finishes, so
              the outcome is lost with it; it is killed and a new one
              started on the same data directory. Figures: from the start
              of the new process until the API answers /healthz (polled
              every 5 ms), and until the job is done (it must ask the sink).
  worker      A P-page job (50-page chunks, 2 workers) has a quarter of its
              chunks dispatched; one worker is killed (SIGKILL). Figures:
              from the kill until the ventilator declares it dead (its
              expiry, --worker-expiry-ms, 5 s by default, or sooner when a
              dispatch finds its connection gone) and until the chunk it
              held is dispatched again (by then, or by the chunk's deadline
              if that comes first).

Benchmarks are not tests: nothing here passes or fails on time. Programs
come from $PDFPIPE_BUILD_DIR (default ./build).

SPDX-License-Identifier: MPL-2.0
"""
import argparse
import os
import re
import signal
import statistics
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
os.environ.setdefault("PDFPIPE_BUILD_DIR", os.path.join(TOP, "build"))
os.environ.setdefault("PDFPIPE_SOURCE_DIR", TOP)
from pipeline import Pipeline, marker_job  # noqa: E402

POLL_S = 0.005
WAIT_S = 300


def poll(condition, what):
    """Poll condition every POLL_S until it holds; seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > WAIT_S:
            raise SystemExit("gave up waiting for %s after %d s" % (what,
                                                                   WAIT_S))
        time.sleep(POLL_S)
    return time.monotonic() - started


def healthy(pipe):
    try:
        return pipe.request("GET", "/healthz").status == 200
    except OSError:
        return False


def state(pipe, job_id):
    try:
        return pipe.status(job_id)["state"]
    except OSError:
        return None


def ventilator_run(pages):
    """Seconds from a new ventilator's start until the API answers and
    until the job whose outcome was lost is done."""
    with Pipeline(workers=2) as pipe:
        job_id = pipe.submit(marker_job(pages, chunk_pages=100))
        pipe.wait(job_id, states=("merging", "storing", "done"))
        pipe.kill(pipe.ventilator, signal.SIGSTOP)
        pipe.wait_log(r"job=%s done" % job_id, name="sink",
                      timeout=WAIT_S, what="the sink finishing the job")
        pipe.kill(pipe.ventilator)
        started = time.monotonic()
        pipe.start_ventilator(wait=False)
        api_s = poll(lambda: healthy(pipe), "the API")
        poll(lambda: state(pipe, job_id) == "done", "the job")
        return {"API answering": api_s,
                "job done": time.monotonic() - started}


def dispatches(pipe, job_id):
    """(chunk, attempt, worker) of each dispatch the ventilator logged."""
    return re.findall(r"job=%s chunk=(\d+) attempt=(\d+) pages \d+-\d+ to "
                      r"worker=(\S+)" % job_id, pipe.logs_of("ventilator"))


def worker_run(pages):
    """Seconds from killing a worker that holds a chunk until the
    ventilator declares it dead and until that chunk is dispatched again;
    None for a run whose victim held nothing."""
    with Pipeline(workers=2, ventilator_args=["--verbose"]) as pipe:
        job_id = pipe.submit(marker_job(pages, chunk_pages=50))
        poll(lambda: len(dispatches(pipe, job_id)) >= pages // 50 // 4,
             "a quarter of the chunks dispatched")
        pipe.kill(pipe.workers[0])
        killed = time.monotonic()
        dead_s = poll(lambda: re.search(
            r"worker=w0-\S+ (went silent|is unreachable)",
            pipe.logs_of("ventilator")), "w0 declared dead")
        mine = [(c, int(a)) for c, a, w in dispatches(pipe, job_id)
                if w.startswith("w0-")]
        chunk, attempt = mine[-1]

        def again():
            return any(c == chunk and int(a) > attempt
                       for c, a, _ in dispatches(pipe, job_id))
        poll(lambda: again() or state(pipe, job_id) == "done",
             "chunk %s dispatched again" % chunk)
        again_s = time.monotonic() - killed
        pipe.wait(job_id, timeout=WAIT_S)
        if not again():
            return None  # it had finished its chunk: nothing to recover
        return {"declared dead": dead_s,
                "its chunk dispatched again": again_s}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--scenario", choices=("ventilator", "worker"),
                        default="ventilator")
    args = parser.parse_args()
    run = ventilator_run if args.scenario == "ventilator" else worker_run
    figures = []
    for number in range(1, args.runs + 1):
        figure = run(args.pages)
        if figure is None:
            print("run %d: the worker held no chunk when it was killed; "
                  "not counted" % number, flush=True)
            continue
        figures.append(figure)
        print("run %d: %s" % (number, ", ".join(
            "%s %s" % (name, "%.3f s" % value if isinstance(value, float)
                       else value) for name, value in figure.items())),
            flush=True)
    if not figures:
        print("no run counted")
        return 1
    for name in figures[0]:
        values = [figure[name] for figure in figures]
        if isinstance(values[0], float):
            print("%s %s: median %.3f s, min %.3f s, max %.3f s (%d runs, "
                  "%d pages)" % (args.scenario, name,
                                 statistics.median(values), min(values),
                                 max(values), len(values), args.pages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
