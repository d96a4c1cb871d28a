"""matrix - the fault-test matrix: kill pdfpipe's processes at random
moments during multi-chunk jobs and check that nothing is lost or doubled.

For one kind of process (worker, sink or ventilator, the command-line
argument), each trial starts a fresh pipeline on loopback, submits a large
job of many chunks and a small one, and at a random moment (a random share
of the large job's chunks stored, or a random time into its merge: workers
render thousands of pages a second, so a clock alone would mostly miss the
rendering):

  worker      SIGKILL one worker (a new one replaces it in every other
              trial), or SIGSTOP one to make it hang (it stays stopped:
              its heartbeats stop and its chunk goes to another worker);
  sink        SIGKILL the sink and start a new one after a random pause
              (same spool and store);
  ventilator  SIGKILL the ventilator and start a new one after a random
              pause (same job database).

Every accepted job must then end done with a correct PDF: the right page
count, every page's marker in order exactly once (pdftotext), and
qpdf --check clean. Chunk deadlines are short (--deadline-ms), so a result
lost with a killed sink is asked for again within seconds. Each trial
prints one line; the summary gives the trial count and outcomes, and the
test fails if any trial failed.

Environment: PDFPIPE_FAULT_TRIALS (trials per fault, default 4),
PDFPIPE_FAULT_SEED (random seed, default from the clock; printed, so a
failing run can be repeated).

SPDX-License-Identifier: MPL-2.0
"""
import os
import random
import signal
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)

BIG_PAGES, BIG_CHUNK = 6000, 30    # 200 chunks
SMALL_PAGES, SMALL_CHUNK = 150, 50  # 3 chunks
JOB_TIMEOUT_S = 90
VENTILATOR_ARGS = ["--deadline-ms", "3000", "--deadline-per-page-ms", "20"]


def _wait_until(pipe, job_id, condition, timeout=60.0):
    """Poll the job's status quickly until condition(status) holds or the
    job has ended; returns the last status."""
    deadline = time.monotonic() + timeout
    while True:
        status = pipe.status(job_id)
        if condition(status) or status["state"] in ("done", "failed") \
                or time.monotonic() > deadline:
            return status
        time.sleep(0.005)


def run_trial(kind, fault, rng, workdir):
    """One trial; returns a dict describing what happened. Raises on a
    lost, failed or wrong job."""
    workers = 3 if kind == "worker" else 2
    with Pipeline(workers=workers, ventilator_args=VENTILATOR_ARGS) as pipe:
        try:
            return _trial(pipe, kind, fault, rng, workdir)
        except BaseException:
            print(pipe.log_tail(25), file=sys.stderr)
            raise


def _trial(pipe, kind, fault, rng, workdir):
    started = time.monotonic()
    jobs = [(pipe.submit(marker_job(BIG_PAGES, chunk_pages=BIG_CHUNK)),
             BIG_PAGES),
            (pipe.submit(marker_job(SMALL_PAGES, chunk_pages=SMALL_CHUNK)),
             SMALL_PAGES)]
    big_id = jobs[0][0]
    target = "rendering" if kind == "worker" else rng.choice(
        ["rendering", "merging"])
    if target == "rendering":
        share = rng.uniform(0.05, 0.8)
        moment = "%2.0f%% stored" % (share * 100)
        state = _wait_until(pipe, big_id, lambda s: s["chunks"]["done"] >=
                            share * s["chunks"]["total"])
    else:
        delay = rng.uniform(0.0, 0.8)
        moment = "merge+%.1fs" % delay
        _wait_until(pipe, big_id, lambda s: s["state"] in (
            "merging", "storing", "done"))
        time.sleep(delay)
        state = pipe.status(big_id)
    phase = "%s %d/%d" % (state["state"], state["chunks"]["done"],
                          state["chunks"]["total"])
    note = ""
    if kind == "worker":
        victim = rng.choice([w for w in pipe.workers if w.poll() is None])
        if fault == "SIGSTOP":
            pipe.kill(victim, signal.SIGSTOP)
        else:
            pipe.kill(victim)
            if rng.random() < 0.5:
                pipe.add_worker()
                note = "replaced"
    else:
        proc = pipe.sink if kind == "sink" else pipe.ventilator
        pipe.kill(proc)
        pause = rng.uniform(0.1, 1.5)
        time.sleep(pause)
        restarted = time.monotonic()
        if kind == "sink":
            pipe.restart_sink()
        else:
            pipe.restart_ventilator()
        note = "restarted after %.1f s" % pause
        if kind == "ventilator":
            note += ", API up in %.2f s" % (time.monotonic() - restarted)
    for job_id, pages in jobs:
        status = pipe.wait(job_id, timeout=JOB_TIMEOUT_S)
        assert status["state"] == "done", "job %s ended %s: %s" % (
            job_id, status["state"], status.get("error"))
        assert status["pages"] == {"done": pages, "total": pages}, status
        assert_marker_pages(check_pdf(pipe.result(job_id), workdir), pages)
    return {"moment": moment, "phase": phase, "note": note,
            "elapsed": time.monotonic() - started}


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else "worker"
    if kind not in ("worker", "sink", "ventilator"):
        print("usage: matrix.py worker|sink|ventilator", file=sys.stderr)
        return 2
    trials = int(os.environ.get("PDFPIPE_FAULT_TRIALS", "4"))
    seed = int(os.environ.get("PDFPIPE_FAULT_SEED", str(int(time.time()))))
    rng = random.Random("%s-%d" % (kind, seed))
    faults = ["SIGKILL"] * trials
    if kind == "worker":
        faults += ["SIGSTOP"] * max(1, trials - 1)
    print("fault matrix: %s, %d trials, seed %d (PDFPIPE_FAULT_SEED)" % (
        kind, len(faults), seed), flush=True)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="pdfpipe-faults-") as workdir:
        for number, fault in enumerate(faults, start=1):
            try:
                info = run_trial(kind, fault, rng, workdir)
                outcomes.append(True)
                print("trial %2d  %-10s %-7s at %-13s (big job %s)%s: "
                      "both jobs done and correct in %.1f s" % (
                          number, kind, fault, info["moment"],
                          info["phase"],
                          " " + info["note"] if info["note"] else "",
                          info["elapsed"]), flush=True)
            except Exception as error:
                outcomes.append(False)
                traceback.print_exc()
                print("trial %2d  %-10s %-7s FAILED: %s" % (
                    number, kind, fault, error), flush=True)
    passed = sum(outcomes)
    print("fault matrix %s: %d trials, %d passed, %d failed" % (
        kind, len(outcomes), passed, len(outcomes) - passed), flush=True)
    return 0 if passed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
