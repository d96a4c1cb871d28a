"""matrix - the fault-test matrix: kill pdfpipe's processes at random
moments during multi-chunk jobs and check that nothing is lost or doubled.

For one kind of process (worker, sink or ventilator, the command-line
argument), each trial starts a fresh pipeline on loopback, submits a large
job of many chunks and a small one, and at a random moment (a random share
of the large job's chunks dispatched, for workers, or stored, or the end
of its merge, a few chunks before the last: workers render thousands of
pages a second and the sink appends each chunk as it comes, so a clock
alone would mostly miss both):

  worker      SIGKILL the worker given the latest chunk (a new one
              replaces it in every other trial), or SIGSTOP it to make it
              hang (it stays stopped: its heartbeats stop and its chunk
              goes to another worker);
  sink        SIGKILL the sink and start a new one after a random pause
              (same spool and store);
  ventilator  SIGKILL the ventilator and start a new one after a random
              pause (same job database).

Every accepted job must then end done with a correct PDF: the right page
count, every page's marker in order exactly once (pdftotext), and
qpdf --check clean. Chunk deadlines are short (--deadline-ms), so a result
lost with a killed sink is asked for again within seconds.

A fault counts only if it landed while the large job was still under way:
when the job's "done" transition is no later than the fault, the killed
sink had already logged it done, or the killed or stopped worker had
finished the last chunk it was given, the trial is inconclusive and is run
again, with the moment drawn earlier, up to ATTEMPTS times; a trial that is
never conclusive fails. Each trial also asserts, from the logs, that
recovery happened:

  worker      the chunk the victim held was dispatched again, to another
              worker, and the ventilator declared the victim dead
              ("worker=wN-... went silent", or "is unreachable" once a
              killed worker's connection is gone);
  sink        the new sink resumed the job from its spool ("job=ID resumed
              from the spool"), merged it again when the killed one had
              started merging, and took its output up from its last
              checkpoint ("job=ID output taken up from its checkpoint")
              or started it again from chunk 0 ("job=ID appending its
              chunks to the output") when the killed one had been
              appending chunks;
  ventilator  the new ventilator took the job up from its store ("job=ID
              scheduled: ... (K stored)", a debug line: it runs with
              --verbose).

Each trial prints one line with its moment, the job's phase and the
evidence; the summary gives the trial count and outcomes, and the test
fails if any trial failed.

Environment: PDFPIPE_FAULT_TRIALS (trials per fault, default 4),
PDFPIPE_FAULT_SEED (random seed, default from the clock; printed, so a
failing run can be repeated).

SPDX-License-Identifier: MPL-2.0
"""
import os
import random
import re
import signal
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job, parse_api_time)

BIG_PAGES, BIG_CHUNK = 6000, 30    # 200 chunks
SMALL_PAGES, SMALL_CHUNK = 150, 50  # 3 chunks
JOB_TIMEOUT_S = 90
# Generous bounds on waiting for events; passing one is a failure.
PHASE_TIMEOUT_S = 60
EVIDENCE_TIMEOUT_S = 60
# Runs of one trial before it fails for never landing mid-job; each
# repeat draws its moment earlier (a smaller share or merge delay).
ATTEMPTS = 5
VENTILATOR_ARGS = ["--deadline-ms", "3000", "--deadline-per-page-ms", "20",
                   "--verbose"]


class Inconclusive(Exception):
    """The fault landed after the large job was done: it tested nothing."""


def _wait_until(pipe, job_id, condition, what):
    """Poll the job's status quickly until condition(status) holds or the
    job has ended; returns that status. Fails when neither happens within
    PHASE_TIMEOUT_S."""
    deadline = time.monotonic() + PHASE_TIMEOUT_S
    while True:
        status = pipe.status(job_id)
        if condition(status) or status["state"] in ("done", "failed",
                                                    "cancelled"):
            return status
        if time.monotonic() > deadline:
            raise AssertionError("job %s: %s not seen within %d s (last "
                                 "status %s)" % (job_id, what,
                                                 PHASE_TIMEOUT_S, status))
        time.sleep(0.005)


def _dispatches(pipe, job_id):
    """(chunk, attempt, worker) of every dispatch of the job, in order, from
    the ventilator's debug lines."""
    return [(int(chunk), int(attempt), worker) for chunk, attempt, worker in
            re.findall(r"job=%s chunk=(\d+) attempt=(\d+) pages \d+-\d+ to "
                       r"worker=(\S+)" % job_id, pipe.logs_of("ventilator"))]


def _busy_worker(pipe, job_id):
    """The live worker given the job's latest chunk, which it most likely
    still holds (a chunk renders in milliseconds, so a worker picked at
    random is mostly between chunks), or None."""
    dispatches = _dispatches(pipe, job_id)
    if not dispatches:
        return None
    name = dispatches[-1][2].rsplit("-", 1)[0]
    match = re.fullmatch(r"w(\d+)", name)
    if not match or int(match.group(1)) >= len(pipe.workers):
        return None
    worker = pipe.workers[int(match.group(1))]
    return worker if worker.poll() is None else None


def run_trial(kind, fault, rng, workdir):
    """One trial, repeated while inconclusive; returns a dict describing
    what happened. Raises on a lost, failed or wrong job, on missing
    evidence of recovery, and when no attempt was conclusive."""
    workers = 3 if kind == "worker" else 2
    reasons = []
    for attempt in range(1, ATTEMPTS + 1):
        earlier = 0.5 ** (attempt - 1)
        try:
            with Pipeline(workers=workers,
                          ventilator_args=VENTILATOR_ARGS) as pipe:
                try:
                    info = _trial(pipe, kind, fault, rng, workdir, earlier)
                except Inconclusive:
                    raise
                except BaseException:
                    print(pipe.log_tail(25), file=sys.stderr)
                    raise
        except Inconclusive as why:
            reasons.append(str(why))
            print("          attempt %d inconclusive: %s" % (attempt, why),
                  flush=True)
            continue
        info["attempts"] = attempt
        return info
    raise AssertionError("no fault landed before the job was done in %d "
                         "attempts: %s" % (ATTEMPTS, "; ".join(reasons)))


def _trial(pipe, kind, fault, rng, workdir, earlier):
    started = time.monotonic()
    jobs = [(pipe.submit(marker_job(BIG_PAGES, chunk_pages=BIG_CHUNK)),
             BIG_PAGES),
            (pipe.submit(marker_job(SMALL_PAGES, chunk_pages=SMALL_CHUNK)),
             SMALL_PAGES)]
    big_id = jobs[0][0]
    target = "rendering" if kind == "worker" else rng.choice(
        ["rendering", "merging"])
    if kind == "worker":
        # Workers render far faster than the sink stores, so the share
        # stored says little about what they hold: count dispatches.
        share = rng.uniform(0.05, 0.8) * earlier
        moment = "%2.0f%% dispatched" % (share * 100)
        state = _wait_until(pipe, big_id, lambda s: len(
            _dispatches(pipe, big_id)) >= share * s["chunks"]["total"],
            "%.0f%% of the chunks dispatched" % (share * 100))
    elif target == "rendering":
        share = rng.uniform(0.05, 0.8) * earlier
        moment = "%2.0f%% stored" % (share * 100)
        state = _wait_until(pipe, big_id, lambda s: s["chunks"]["done"] >=
                            share * s["chunks"]["total"],
                            "%.0f%% of the chunks stored" % (share * 100))
    else:
        # The sink appends chunks as they come, so once the last one is in
        # only its append, the trailer and the store remain: a window of a
        # few tens of milliseconds that polling cannot hit reliably. Aim at
        # the end of the merge instead: the fault lands with only a few
        # chunks left to append (more on each repeat), or in the final
        # merge/store when the sink is quicker than the poll.
        left = max(1, round(rng.randint(1, 6) / earlier))
        moment = "%d chunk%s before the end" % (left, "" if left == 1
                                                else "s")
        state = _wait_until(pipe, big_id, lambda s: s["chunks"]["done"] >=
                            s["chunks"]["total"] - left or s["state"] in (
                                "merging", "storing"),
                            "the end of the merge")
    if state["state"] == "failed":
        raise AssertionError("job %s failed before the fault: %s" % (
            big_id, state.get("error")))
    if state["state"] == "done":
        raise Inconclusive("the big job was done before the fault (%s)"
                           % moment)
    phase = "%s %d/%d" % (state["state"], state["chunks"]["done"],
                          state["chunks"]["total"])
    note = ""
    killed = None
    if kind == "worker":
        victim = _busy_worker(pipe, big_id) or rng.choice(
            [w for w in pipe.workers if w.poll() is None])
        victim_name = "w%d" % pipe.workers.index(victim)
        pipe.kill(victim, signal.SIGSTOP if fault == "SIGSTOP"
                  else signal.SIGKILL)
        fault_at = time.time()
        if fault == "SIGKILL" and rng.random() < 0.5:
            pipe.add_worker()
            note = "replaced"
    else:
        killed = pipe.sink if kind == "sink" else pipe.ventilator
        pipe.kill(killed)
        fault_at = time.time()
        pause = rng.uniform(0.1, 1.5)
        time.sleep(pause)  # the process stays dead this long
        if kind == "sink":
            pipe.restart_sink()
        else:
            pipe.restart_ventilator()
        note = "restarted after %.1f s" % pause
    statuses = {}
    for job_id, pages in jobs:
        status = pipe.wait(job_id, timeout=JOB_TIMEOUT_S)
        assert status["state"] == "done", "job %s ended %s: %s" % (
            job_id, status["state"], status.get("error"))
        assert status["pages"] == {"done": pages, "total": pages}, status
        assert_marker_pages(check_pdf(pipe.result(job_id), workdir), pages)
        statuses[job_id] = status
    done_at = parse_api_time(statuses[big_id]["transitions"]["done"])
    if done_at <= fault_at:
        raise Inconclusive("the big job was done %.3f s before the fault "
                           "(%s)" % (fault_at - done_at, moment))
    if kind == "sink" and re.search("job=%s done:" % big_id,
                                    pipe.log_of(killed)):
        raise Inconclusive("the killed sink had finished the big job (%s)"
                           % moment)
    evidence = _recovery_evidence(pipe, kind, big_id, killed,
                                  victim_name if kind == "worker" else None)
    return {"moment": moment, "phase": phase, "note": note,
            "evidence": evidence, "elapsed": time.monotonic() - started}


def _recovery_evidence(pipe, kind, big_id, killed, victim_name):
    """Assert, from the logs, that the pipeline recovered from the fault
    rather than finishing around it; returns a short description."""
    if kind == "worker":
        # The chunk it had last been given, unless it had finished it, had
        # to go to another worker.
        given = [(chunk, attempt) for chunk, attempt, worker in
                 _dispatches(pipe, big_id)
                 if worker.startswith(victim_name + "-")]
        if not given:
            raise Inconclusive("%s never had a chunk of the big job"
                               % victim_name)
        chunk, attempt = given[-1]
        again = [worker for other, later, worker in _dispatches(pipe, big_id)
                 if other == chunk and later > attempt]
        if not again:
            raise Inconclusive("%s held no chunk of the big job when the "
                               "fault came (it had finished chunk %d)" % (
                                   victim_name, chunk))
        # Silence past the expiry, or, once the killed worker's connection
        # is gone, a dispatch that could not reach it.
        pipe.wait_log(
            r"worker=%s-\S+ (?:went silent \(no message for \d+ ms\)|"
            r"is unreachable)" % victim_name,
            name="ventilator", timeout=EVIDENCE_TIMEOUT_S,
            what="the ventilator declaring %s dead" % victim_name)
        return "%s declared dead; chunk %d it held went to %s" % (
            victim_name, chunk, again[0].rsplit("-", 1)[0])
    if kind == "sink":
        match = pipe.wait_log(
            r"job=%s resumed from the spool: (\d+) of (\d+) chunks" % big_id,
            proc=pipe.sink, timeout=EVIDENCE_TIMEOUT_S,
            what="the new sink resuming the big job from its spool")
        evidence = "new sink resumed %s/%s chunks from its spool" % (
            match.group(1), match.group(2))
        merging = "job=%s merging " % big_id
        if merging in pipe.log_of(killed):
            pipe.wait_log(re.escape(merging), proc=pipe.sink,
                          timeout=EVIDENCE_TIMEOUT_S,
                          what="the new sink merging the big job again")
            evidence += ", merge repeated"
        # The sink appends chunks as they arrive, so a kill while rendering
        # lands mid-merge too: the new sink takes the output up from its
        # last checkpoint, or writes it again from chunk 0 when it had
        # none.
        appending = "job=%s appending its chunks to the output" % big_id
        if appending in pipe.log_of(killed):
            match = pipe.wait_log(
                r"job=%s (?:output taken up from its checkpoint: (\d+) "
                r"chunks|appending its chunks to the output)" % big_id,
                proc=pipe.sink, timeout=EVIDENCE_TIMEOUT_S,
                what="the new sink taking up or restarting the big job's "
                     "output")
            evidence += (", output taken up after %s chunks" % match.group(1)
                         if match.group(1) else
                         ", output restarted from chunk 0")
        return evidence
    match = pipe.wait_log(
        r"job=%s scheduled: \d+ pages in (\d+) chunks \((\d+) stored\)"
        % big_id, proc=pipe.ventilator, timeout=EVIDENCE_TIMEOUT_S,
        what="the new ventilator taking the big job up from its store")
    again = len(re.findall(r"job=%s chunk=\d+ attempt=" % big_id,
                           pipe.log_of(pipe.ventilator)))
    return "new ventilator resumed the job with %s/%s chunks stored, " \
           "dispatched %d again" % (match.group(2), match.group(1), again)


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
                      "both jobs done and correct in %.1f s%s; %s" % (
                          number, kind, fault, info["moment"],
                          info["phase"],
                          " " + info["note"] if info["note"] else "",
                          info["elapsed"],
                          " (attempt %d)" % info["attempts"]
                          if info["attempts"] > 1 else "",
                          info["evidence"]), flush=True)
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
