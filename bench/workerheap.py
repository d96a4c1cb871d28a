"""workerheap - what a chunk costs a worker in page faults and CPU time,
from its first job (a fresh process) to its next ones.

Runs the real pipeline on loopback with 2 workers and renders the same
marker job (PAGES pages in chunks of 250) JOBS times, one after the
other. For each job prints the workers' chunk render times ("rendered
in", their own log) and, per worker, the minor page faults and user and
system CPU ticks it spent (from /proc/PID/stat before and after).

Not a test: figures only. Usage:
  PDFPIPE_BUILD_DIR=build python3 bench/workerheap.py [PAGES] [JOBS]

SPDX-License-Identifier: MPL-2.0
"""
import os
import re
import statistics
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from pipeline import Pipeline, marker_job  # noqa: E402


def stat(pid):
    """(minor faults, user ticks, system ticks) of a process."""
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(fields[7]), int(fields[11]), int(fields[12])


def main():
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    print("load average %.2f" % os.getloadavg()[0])
    with Pipeline(workers=2) as pipe:
        pids = [worker.pid for worker in pipe.workers]
        for number in range(jobs):
            before = [stat(pid) for pid in pids]
            job_id = pipe.submit(marker_job(pages, chunk_pages=250))
            assert pipe.wait(job_id, timeout=600)["state"] == "done"
            after = [stat(pid) for pid in pids]
            times = []
            for log in pipe.worker_logs():
                times += [int(ms) for ms in re.findall(
                    r"job=%s .* rendered in (\d+) ms" % job_id, log)]
            costs = ["faults %d, user %d, system %d ticks" % tuple(
                a - b for a, b in zip(end, start))
                for end, start in zip(after, before)]
            print("job %d: %d chunks, render mean %.1f ms, median %.1f ms; "
                  "per worker: %s; load %.2f" % (
                      number + 1, len(times), statistics.mean(times),
                      statistics.median(times), "; ".join(costs),
                      os.getloadavg()[0]))


if __name__ == "__main__":
    main()
