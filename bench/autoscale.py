"""autoscale - the local scaler against a fixed pool, on a bursty trace of
jobs, and small jobs' latency while big ones render.

Runs the real pipeline on loopback twice with the same trace: once with
`--scaler local --workers-min 0 --workers-max W` (W: cores), once with a
fixed pool of W workers started by hand. Prints, for the scaler:

  - time from a job's submission to its first chunk rendering (its
    "rendering" transition), for jobs that arrive with no worker running;
  - how long after the last job ended the worker count was back at the
    minimum (it must be about --scale-down-after-s);
  - busy worker-seconds / total worker-seconds over the trace: total
    from pdfpipe_workers_connected sampled every 100 ms; busy both as
    workers holding a chunk (pdfpipe_workers_busy, sampled) and as time
    rendering (the sum of the workers' "rendered in" times, exact); and
    the worker-seconds spent in the idle period (workers up while no chunk
    is queued or rendering), which the scaler keeps on purpose after each
    burst;
  - each job's wall time against the fixed pool's.

Then (--fairness) 10-page jobs submitted every 200 ms while 5 jobs of
20,000 pages render, with their p50/p95 end-to-end times, over all of
them and over those that ended before the first big job did.

--trace long replaces the trace with two bursts of heavier pages (five
jobs of 20,000) that render for much longer than the idle period.
--chunks-ahead sets the workers' option of that name (all runs).

Not a test: figures only. Usage:
  python3 bench/autoscale.py [--idle-s 5] [--fairness] [--no-trace]
                             [--fixed-first] [--small N]
                             [--trace short|long] [--chunks-ahead N]

SPDX-License-Identifier: MPL-2.0
"""
import argparse
import os
import re
import statistics
import sys
import threading
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from pipeline import Pipeline, marker_job, parse_api_time  # noqa: E402

# Heavier pages for the fairness run's big jobs, so that they are still
# rendering while the small jobs come and go.
HEAVY = [{"type": "text", "text": "Line %d of {{customer.name}}, page "
          "{{page}}" % n, "x": 50, "y": 700 - 12 * n, "font": "Helvetica",
          "size": 9} for n in range(40)]
# (seconds after the start, pages, chunk_pages, extra elements): bursts
# with quiet gaps longer than the idle period between them.
TRACES = {
    "short": [
        (0.0, 30000, 250, ()), (0.5, 30000, 250, ()), (1.0, 10000, 250, ()),
        (30.0, 5000, 100, ()), (30.2, 5000, 100, ()), (30.4, 5000, 100, ()),
        (30.6, 5000, 100, ()),
        (50.0, 60000, 250, ()),
    ],
    "long": [
        (0.0, 20000, 250, HEAVY), (0.5, 20000, 250, HEAVY),
        (1.0, 20000, 250, HEAVY),
        (60.0, 20000, 250, HEAVY), (60.5, 20000, 250, HEAVY),
    ],
}
TRACE = TRACES["short"]
# A job more than this after the one before starts a burst.
BURST_GAP_S = 5


def metric(pipe, name):
    text = pipe.request("GET", "/metrics").body.decode()
    match = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(match.group(1)) if match else 0.0


class Sampler(threading.Thread):
    """Samples workers connected, and the backlog, every interval
    seconds."""

    def __init__(self, pipe, interval=0.1):
        super().__init__(daemon=True)
        self.pipe, self.interval = pipe, interval
        self.samples = []   # (time, connected, holding, backlog chunks)
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.samples.append((time.monotonic(),
                                     metric(self.pipe,
                                            "pdfpipe_workers_connected"),
                                     metric(self.pipe,
                                            "pdfpipe_workers_busy"),
                                     metric(self.pipe,
                                            "pdfpipe_backlog_chunks")))
            except Exception:  # noqa: BLE001 - a sample lost is fine
                pass
            time.sleep(self.interval)

    def worker_seconds(self, start, end):
        """(total, holding a chunk, idle period) worker-seconds between
        start and end; idle period: while nothing was queued or
        rendering."""
        total = holding = idle = 0.0
        for (t0, connected, busy, backlog), (t1, _, _, _) in zip(
                self.samples, self.samples[1:]):
            if t0 < start or t1 > end:
                continue
            total += connected * (t1 - t0)
            holding += busy * (t1 - t0)
            if backlog == 0:
                idle += connected * (t1 - t0)
        return total, holding, idle


def run_trace(pipe):
    """Submit TRACE; returns [(submitted_wall, job_id, pages)] and the
    monotonic start."""
    start = time.monotonic()
    jobs = []
    for at, pages, chunk, extra in TRACE:
        delay = start + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        job_id = pipe.submit(marker_job(pages, chunk_pages=chunk,
                                        extra_elements=extra))
        jobs.append((time.time(), job_id, pages))
    for _, job_id, _ in jobs:
        status = pipe.wait(job_id, timeout=600)
        assert status["state"] == "done", status
    return jobs, start


def render_ms(log, job_id):
    """The mean of the job's chunks' render times in a log, in ms."""
    times = [int(ms) for ms in re.findall(
        r"job=%s chunk=\d+ .* rendered in (\d+) ms" % job_id, log)]
    return statistics.mean(times) if times else 0.0


def job_figures(pipe, jobs):
    out = []
    for _, job_id, pages in jobs:
        status = pipe.status(job_id)
        t = status["transitions"]
        queued = parse_api_time(t["queued"])
        rendering = parse_api_time(t["rendering"])
        done = parse_api_time(t["done"])
        out.append((job_id, pages, rendering - queued, done - queued, done))
    return out


def scaled(cores, idle_s, worker_args):
    def args(pipe):
        return ["--scaler", "local", "--scaler-command",
                pipe.worker_command(), "--workers-min", "0",
                "--workers-max", str(cores), "--scale-down-after-s",
                str(idle_s)]
    with Pipeline(workers=0, ventilator_args=args,
                  worker_args=worker_args) as pipe:
        sampler = Sampler(pipe)
        sampler.start()
        jobs, start = run_trace(pipe)
        figures = job_figures(pipe, jobs)
        last_done = max(f[4] for f in figures)
        # Back to the minimum: the first sample at 0 workers after the end.
        deadline = time.monotonic() + idle_s + 60
        while time.monotonic() < deadline and \
                metric(pipe, "pdfpipe_workers_connected") > 0:
            time.sleep(0.1)
        back_at = time.time()
        end = time.monotonic()
        sampler.stop.set()
        sampler.join()
        total, holding, idle = sampler.worker_seconds(start, end)
        # The scaled workers log into the ventilator's log.
        log = pipe.logs_of("ventilator")
        busy = sum(int(ms) for ms in re.findall(
            r"\(scaled-\d+\) .* rendered in (\d+) ms", log)) / 1000.0
        return {"jobs": figures, "back_after": back_at - last_done,
                "render_ms": [render_ms(log, job) for job, *_ in figures],
                "busy": busy, "holding": holding, "total": total,
                "idle": idle,
                "starts": len(re.findall("scaler: started worker", log))}


def fixed(cores, worker_args):
    with Pipeline(workers=cores, worker_args=worker_args) as pipe:
        # Sampled as the scaler's run is, so both bear the same load.
        sampler = Sampler(pipe)
        sampler.start()
        jobs, _ = run_trace(pipe)
        sampler.stop.set()
        sampler.join()
        figures = job_figures(pipe, jobs)
        log = "\n".join(pipe.worker_logs())
        return {"jobs": figures,
                "render_ms": [render_ms(log, job) for job, *_ in figures]}


def fairness(cores, small_count, worker_args, big_pages):
    """Returns each small job's end-to-end time, whether it ended before
    the first big job did, and how many big jobs were still rendering at
    the end."""
    with Pipeline(workers=cores, worker_args=worker_args) as pipe:
        bigs = [pipe.submit(marker_job(big_pages, chunk_pages=250,
                                       extra_elements=HEAVY))
                for _ in range(5)]
        pipe.wait(bigs[0], states=("rendering",), timeout=120)
        times = []
        for _ in range(small_count):
            started = time.monotonic()
            job_id = pipe.submit(marker_job(10, chunk_pages=10))
            status = pipe.wait(job_id, timeout=120)
            assert status["state"] == "done", status
            times.append((time.monotonic() - started,
                          parse_api_time(status["transitions"]["done"])))
            time.sleep(0.2)
        states = [pipe.status(big) for big in bigs]
        still = sum(1 for big in states if big["state"]
                    in ("queued", "rendering"))
        first_big_done = min([parse_api_time(big["transitions"]["done"])
                              for big in states if big["state"] == "done"]
                             or [float("inf")])
        times = [(elapsed, done < first_big_done) for elapsed, done in times]
        for big in bigs:
            pipe.request("DELETE", "/v1/jobs/" + big)
        return times, still


def trace(args):
    # The machine's other load drifts over minutes: --fixed-first swaps
    # the order, to tell it from the scaler's own cost.
    worker_args = worker_options(args)
    if args.fixed_first:
        f = fixed(args.workers, worker_args)
        s = scaled(args.workers, args.idle_s, worker_args)
    else:
        s = scaled(args.workers, args.idle_s, worker_args)
        f = fixed(args.workers, worker_args)
    print("\nlocal scaler, 0 to %d workers, idle %d s:" % (args.workers,
                                                          args.idle_s))
    print("%-34s %7s %10s %10s %10s %9s %9s" % (
        "job", "pages", "to render", "wall", "fixed wall", "chunk ms",
        "fixed ms"))
    for (job, pages, to_render, wall, _), (_, _, _, fixed_wall, _), ms, \
            fixed_ms in zip(s["jobs"], f["jobs"], s["render_ms"],
                            f["render_ms"]):
        print("%-34s %7d %9.2fs %9.2fs %9.2fs %9.1f %9.1f" % (
            job, pages, to_render, wall, fixed_wall, ms, fixed_ms))
    first = [s["jobs"][k][2] for k, entry in enumerate(TRACE)
             if k == 0 or entry[0] - TRACE[k - 1][0] > BURST_GAP_S]
    print("first chunk rendering after submission, at each burst: %s" %
          ", ".join("%.2f s" % x for x in first))
    print("back to 0 workers %.1f s after the last job ended (idle period "
          "%d s)" % (s["back_after"], args.idle_s))
    total, rest = s["total"], s["total"] - s["idle"]
    print("total worker-seconds %.1f, %d workers started; %.1f of them in "
          "the idle period (nothing queued or rendering)" % (
              total, s["starts"], s["idle"]))
    for name in ("holding", "busy"):
        print("%-30s %.1f / %.1f = %.2f; without the idle period "
              "%.1f / %.1f = %.2f" % (
                  {"holding": "holding a chunk / total:",
                   "busy": "rendering / total:"}[name], s[name], total,
                  s[name] / total if total else 0, s[name], rest,
                  s[name] / rest if rest else 0))
    slower = max(sw - fw for (_, _, _, sw, _), (_, _, _, fw, _)
                 in zip(s["jobs"], f["jobs"]))
    print("largest slowdown of a job against the fixed pool: %.2f s" % slower)


def worker_options(args):
    return ([] if args.chunks_ahead is None
            else ["--chunks-ahead", str(args.chunks_ahead)])


def percentiles(times):
    """p50, p95 and max of a list of seconds, or None when empty."""
    if not times:
        return None
    times = sorted(times)
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
    return statistics.median(times), p95, times[-1]


def main():
    global TRACE
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle-s", type=int, default=5,
                        help="--scale-down-after-s for the scaler run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--fairness", action="store_true")
    parser.add_argument("--small", type=int, default=40)
    parser.add_argument("--big-pages", type=int, default=20000,
                        help="pages of each of the 5 big jobs of the fair "
                        "shares run: more keeps them rendering through "
                        "more of the small jobs")
    parser.add_argument("--fixed-first", action="store_true",
                        help="run the fixed pool before the scaler")
    parser.add_argument("--no-trace", action="store_true",
                        help="skip the bursty trace; implies --fairness")
    parser.add_argument("--trace", choices=sorted(TRACES), default="short")
    parser.add_argument("--chunks-ahead", type=int,
                        help="the workers' --chunks-ahead (their default "
                        "when not given)")
    args = parser.parse_args()
    TRACE = TRACES[args.trace]
    print("machine: %d cores, load average %.2f; trace %s: %d jobs, %d "
          "pages; workers' --chunks-ahead %s" % (
              os.cpu_count(), os.getloadavg()[0], args.trace, len(TRACE),
              sum(entry[1] for entry in TRACE),
              "default" if args.chunks_ahead is None else args.chunks_ahead))
    if not args.no_trace:
        trace(args)
    if args.fairness or args.no_trace:
        times, still = fairness(args.workers, args.small,
                                worker_options(args), args.big_pages)
        for label, chosen in (
                ("all", [t for t, _ in times]),
                ("ended before the first big job", [t for t, during in times
                                                    if during])):
            figures = percentiles(chosen)
            print("\n%d ten-page jobs, %s (5 x %d-page jobs rendering; "
                  "%d still at the end): %s" % (
                      len(chosen), label, args.big_pages, still,
                      "p50 %.3f s, p95 %.3f s, max %.3f s" % figures
                      if figures else "none"))
        print("all times (s), in order: %s" % " ".join(
            "%.2f%s" % (t, "" if during else "*") for t, during in times))
        print("(* ended after the first big job)")
    print("load average at the end %.2f" % os.getloadavg()[0])


if __name__ == "__main__":
    main()
