#!/usr/bin/env python3
"""load - a scripted load test for pdfpipe: many jobs of mixed sizes from
many concurrent clients, every output checked.

Each client submits jobs (POST /v1/jobs) one after another until the count
(--jobs) or the time (--duration) is used up, and then waits for its own
jobs. Every page of job J carries the marker of its record ("MARK-000123")
and the job's tag ("Customer J00042"), so the check of a result (page
count, every marker in order exactly once, each page from the right job,
qpdf --check) finds lost, doubled, misplaced and foreign pages.

It prints throughput (jobs/s and pages/s, from the first submission to the
last completion), submit latency (POST until 202) and completion latency
(accepted until done, from the job's own transitions) as p50/p95/p99, and
the outcome of every accepted job: done and correct, failed (the pipeline
said so), wrong (a bad result, or any exception while checking it, with
the exception's text) or lost (not finished within --timeout). The exit
status is 1 when any job is refused, failed, wrong or lost, or when an
accepted job has no outcome at all (a client lost track of it).

Without --url it starts its own pipeline on loopback (tests/e2e/pipeline.py,
--workers workers), so it runs from a build tree as it is:

    tests/load/load.py --jobs 200 --clients 20
    tests/load/load.py --url http://127.0.0.1:8080 --duration 300 --clients 50

SPDX-License-Identifier: MPL-2.0
"""
import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from pipeline import (Pipeline, check_pdf, marker_job,  # noqa: E402
                      parse_api_time)

# Page counts: mostly small jobs, some medium, a few large.
SIZES = ((0.70, 1, 50), (0.25, 51, 500), (0.05, 501, 3000))
CHUNK_PAGES = (25, 50, 100, 250)


def pick_size(rng):
    roll = rng.random()
    for share, low, high in SIZES:
        if roll < share:
            return rng.randint(low, high)
        roll -= share
    return SIZES[-1][2]


def load_job(number, pages, chunk_pages):
    job = marker_job(pages, chunk_pages=chunk_pages)
    for record in job["records"]:
        record["customer"]["name"] = "J%05d" % number
    return job


def percentile(values, share):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))
    return ordered[index]


class Api:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def call(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        # A deployment with API tokens (run.sh makes one): the token the
        # CLI would use.
        if os.environ.get("PDFPIPE_TOKEN"):
            req.add_header("Authorization",
                           "Bearer " + os.environ["PDFPIPE_TOKEN"])
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()


OUTCOMES = ("done", "failed", "wrong", "lost")


class Results:
    """Every accepted job and the one outcome it ended with: done (and
    correct), failed (the pipeline said failed or cancelled), wrong (a
    bad result, or any exception while handling the job) or lost (not
    finished in time). Shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.submit_latency = []
        self.completion_latency = []
        self.jobs = []           # (number, job_id, pages), in acceptance order
        self.outcome = {}        # number -> one of OUTCOMES
        self.refused = 0
        self.pages_done = 0
        self.first_submit = None
        self.last_done = None
        self.problems = []

    def note(self, problem):
        with self.lock:
            self.problems.append(problem)

    def accept(self, number, job_id, pages, elapsed):
        with self.lock:
            self.submit_latency.append(elapsed)
            self.jobs.append((number, job_id, pages))
            if self.first_submit is None:
                self.first_submit = time.time() - elapsed

    def settle(self, number, outcome, problem=None):
        """Record a job's outcome (once); problem says what went wrong."""
        assert outcome in OUTCOMES, outcome
        with self.lock:
            assert number not in self.outcome, (
                "job %d settled twice: %s, then %s" % (
                    number, self.outcome[number], outcome))
            self.outcome[number] = outcome
            if problem:
                self.problems.append("job %d: %s: %s" % (number, outcome,
                                                         problem))

    def count(self, outcome):
        with self.lock:
            return sum(1 for o in self.outcome.values() if o == outcome)

    def unaccounted(self):
        """Accepted jobs with no outcome: a client lost track of them."""
        with self.lock:
            return [(number, job_id) for number, job_id, _ in self.jobs
                    if number not in self.outcome]


def check_result(api, job_id, number, pages, workdir):
    """None when the result is right, else what is wrong with it. Errors
    of the download or the tools propagate (the caller counts them)."""
    status, pdf = api.call("GET", "/v1/jobs/%s/result" % job_id)
    if status != 200:
        return "download answered %d" % status
    try:
        texts = check_pdf(pdf, workdir)
    except AssertionError as error:
        return str(error)
    if len(texts) != pages:
        return "%d pages, expected %d" % (len(texts), pages)
    tag = "Customer J%05d" % number
    for k, text in enumerate(texts, start=1):
        if text.count("MARK-") != 1 or ("MARK-%06d" % k) not in text:
            return "page %d has the wrong marker" % k
        if tag not in text:
            return "page %d belongs to another job" % k
        if ("Page %d of %d" % (k, pages)) not in text:
            return "page %d has the wrong page number" % k
    return None


class PollFailed(Exception):
    """The status request itself failed; worth asking again."""


def poll_job(api, results, number, job_id, pages, workdir):
    """Ask for one job's status and settle it if it has ended. Returns
    True when settled. Raises PollFailed when the status could not be
    had; any other exception is the caller's to count."""
    try:
        status, body = api.call("GET", "/v1/jobs/" + job_id)
    except OSError as error:
        raise PollFailed("status request failed: %s" % error)
    if status != 200:
        raise PollFailed("status answered %d: %s" % (status, body[:200]))
    info = json.loads(body)
    state = info["state"]
    if state == "done":
        done_at = parse_api_time(info["transitions"]["done"])
        latency = done_at - parse_api_time(info["created_at"])
        problem = check_result(api, job_id, number, pages, workdir)
        with results.lock:
            results.completion_latency.append(latency)
            results.last_done = max(results.last_done or 0, done_at)
            if not problem:
                results.pages_done += pages
        if problem:
            results.settle(number, "wrong", "(%s) %s" % (job_id, problem))
        else:
            results.settle(number, "done")
        return True
    if state in ("failed", "cancelled"):
        results.settle(number, "failed", "(%s) %s: %s" % (
            job_id, state, info.get("error")))
        return True
    return False


def submit_jobs(api, args, next_job, results, stop_at, rng):
    """Submit jobs until the count or the time is used up; returns the
    accepted ones still to be waited for."""
    mine = []
    while time.monotonic() < stop_at:
        number = next_job()
        if number is None:
            break
        pages = pick_size(rng)
        job = load_job(number, pages, rng.choice(CHUNK_PAGES))
        started = time.monotonic()
        try:
            status, body = api.call("POST", "/v1/jobs", job)
        except OSError as error:
            results.note("job %d: submit failed: %s" % (number, error))
            with results.lock:
                results.refused += 1
            continue
        elapsed = time.monotonic() - started
        if status != 202:
            results.note("job %d: submit answered %d: %s" % (
                number, status, body[:200]))
            with results.lock:
                results.refused += 1
            continue
        try:
            job_id = json.loads(body)["id"]
        except Exception as error:
            results.accept(number, None, pages, elapsed)
            results.settle(number, "wrong", "202 without a job id (%s: %s)"
                           % (type(error).__name__, error))
            continue
        results.accept(number, job_id, pages, elapsed)
        mine.append((number, job_id, pages))
    return mine


def wait_jobs(api, args, results, mine, workdir):
    """Poll until each job is settled or --timeout has passed; what is
    still pending then is lost."""
    deadline = time.monotonic() + args.timeout
    pending = list(mine)
    last_error = {}
    while pending and time.monotonic() < deadline:
        still = []
        for number, job_id, pages in pending:
            try:
                if not poll_job(api, results, number, job_id, pages, workdir):
                    still.append((number, job_id, pages))
            except PollFailed as error:
                last_error[number] = str(error)
                still.append((number, job_id, pages))
            except Exception as error:
                results.settle(number, "wrong", "(%s) %s: %s" % (
                    job_id, type(error).__name__, error))
        pending = still
        if pending:
            time.sleep(args.poll)
    for number, job_id, pages in pending:
        results.settle(number, "lost", "(%s) not finished within %d s%s" % (
            job_id, args.timeout,
            "; last: " + last_error[number] if number in last_error else ""))


def client(api, args, next_job, results, stop_at, rng_seed):
    workdir = tempfile.mkdtemp(prefix="pdfpipe-load-")
    try:
        mine = submit_jobs(api, args, next_job, results, stop_at,
                           random.Random(rng_seed))
        wait_jobs(api, args, results, mine, workdir)
    except BaseException:
        # Its jobs stay unaccounted for, which report() counts as a failure.
        results.note("a client stopped early:\n" + traceback.format_exc())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, url):
    api = Api(url)
    results = Results()
    counter = {"next": 0}
    counter_lock = threading.Lock()

    def next_job():
        with counter_lock:
            if args.jobs and counter["next"] >= args.jobs:
                return None
            counter["next"] += 1
            return counter["next"]

    stop_at = time.monotonic() + (args.duration or 10 ** 9)
    threads = [threading.Thread(target=client, args=(
        api, args, next_job, results, stop_at, args.seed * 1000 + n))
        for n in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


def report(results, wall, args):
    """Print the figures and outcomes; returns the exit status: 1 unless
    every accepted job is accounted for and done and correct."""
    accepted = len(results.jobs)
    done = results.count("done")
    failed = results.count("failed")
    wrong = results.count("wrong")
    lost = results.count("lost")
    unaccounted = results.unaccounted()
    span = ((results.last_done - results.first_submit)
            if results.last_done and results.first_submit else wall)
    span = max(span, 1e-6)
    print("load: %d clients, %d jobs accepted (%d refused), %d pages" % (
        args.clients, accepted, results.refused,
        sum(pages for _, _, pages in results.jobs)))
    print("outcome: %d done and correct, %d failed, %d wrong, %d lost, "
          "%d unaccounted for" % (done, failed, wrong, lost,
                                  len(unaccounted)))
    print("throughput: %.2f jobs/s, %.0f pages/s over %.1f s" % (
        done / span, results.pages_done / span, span))
    for name, values in (("submit latency", results.submit_latency),
                         ("completion latency",
                          results.completion_latency)):
        print("%s: p50 %.3f s, p95 %.3f s, p99 %.3f s (max %.3f s)" % (
            name, percentile(values, 0.50), percentile(values, 0.95),
            percentile(values, 0.99), max(values) if values else 0.0))
    for problem in results.problems[:20]:
        print("  " + problem)
    if len(results.problems) > 20:
        print("  ... and %d more" % (len(results.problems) - 20))
    for number, job_id in unaccounted[:20]:
        print("  job %d (%s): accepted, never accounted for" % (number,
                                                               job_id))
    assert done + failed + wrong + lost + len(unaccounted) == accepted
    bad = failed + wrong + lost + len(unaccounted) + results.refused
    return 1 if bad or accepted == 0 else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running ventilator's API; "
                        "default: start a pipeline on loopback")
    parser.add_argument("--workers", type=int, default=2,
                        help="workers of the pipeline started here (2)")
    parser.add_argument("--jobs", type=int, default=200,
                        help="jobs to submit, 0 for no limit (200)")
    parser.add_argument("--duration", type=float, default=0,
                        help="stop submitting after this many seconds")
    parser.add_argument("--clients", type=int, default=20,
                        help="concurrent clients (20)")
    parser.add_argument("--timeout", type=int, default=600,
                        help="seconds a client waits for its jobs (600)")
    parser.add_argument("--poll", type=float, default=0.2,
                        help="seconds between status polls (0.2)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not args.jobs and not args.duration:
        parser.error("give --jobs or --duration")
    if args.url:
        results, wall = run(args, args.url)
        return report(results, wall, args)
    with Pipeline(workers=args.workers) as pipe:
        results, wall = run(args, pipe.url)
        code = report(results, wall, args)
        if code:
            print(pipe.log_tail(20))
        return code


if __name__ == "__main__":
    sys.exit(main())
