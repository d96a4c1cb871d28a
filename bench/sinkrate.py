"""sinkrate - how many chunks a second the sink stores, and its CPU per
chunk, with the results already waiting for it.

Starts a real pdfpipe-sink alone on loopback (tests/e2e/lonesink.py: this
process plays the ventilator and the workers), pushes --chunks RESULTs of
--pages marker pages each (one job, or --jobs jobs taking turns) as fast
as ZeroMQ takes them, and times from the first send to the last STORED.
Prints chunks/s, the sink's CPU time (user, system) per chunk from
/proc/PID/stat, and the mean bytes per chunk.

--sink PATH measures another build's sink (before/after). Not a test:
figures only. Usage:
  PDFPIPE_BUILD_DIR=build python3 bench/sinkrate.py [--chunks 400]
      [--pages 250] [--jobs 1] [--sink PATH] [--strace]

SPDX-License-Identifier: MPL-2.0
"""
import argparse
import os
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from lonesink import SINK, LoneSink, chunk_pdf  # noqa: E402


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])  # utime, stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=400)
    parser.add_argument("--pages", type=int, default=250)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--sink", default=SINK)
    parser.add_argument("--strace", action="store_true",
                        help="strace -c -f the sink meanwhile")
    parser.add_argument("--perf", metavar="FILE",
                        help="perf record -g the sink into FILE meanwhile")
    args = parser.parse_args()
    per_job = (args.chunks + args.jobs - 1) // args.jobs
    pdfs = [chunk_pdf(n * args.pages + 1, args.pages, per_job * args.pages)
            for n in range(per_job)]
    hz = os.sysconf("SC_CLK_TCK")
    with LoneSink(sink=args.sink) as sink:
        tracer = None
        if args.strace:
            tracer = subprocess.Popen(
                ["strace", "-c", "-f", "-p", str(sink.proc.pid), "-o",
                 os.path.join(sink.dir, "strace.txt")])
            time.sleep(1)
        if args.perf:
            tracer = subprocess.Popen(
                ["perf", "record", "-q", "-g", "-p", str(sink.proc.pid),
                 "-o", args.perf], stderr=subprocess.DEVNULL)
            time.sleep(1)
        before = cpu_ticks(sink.proc.pid)
        start = time.monotonic()
        sent = 0
        for n in range(per_job):
            for job in range(args.jobs):
                if sent == args.chunks:
                    break
                sink.send_result("bench-%d" % job, n, args.pages, per_job,
                                 pdfs[n])
                sent += 1
        events = sink.events_until(
            lambda e: sum(1 for c in e if c[0] == "STORED") >= sent,
            timeout=600)
        wall = time.monotonic() - start
        after = cpu_ticks(sink.proc.pid)
        if tracer:
            tracer.send_signal(2)
            tracer.wait()
        if args.strace:
            with open(os.path.join(sink.dir, "strace.txt")) as f:
                print(f.read())
    others = [e for e in events if e[0] != "STORED"]
    user = (after[0] - before[0]) / hz
    system = (after[1] - before[1]) / hz
    print("sink %s" % args.sink)
    print("%d chunks of %d pages (%d jobs, %.0f bytes each): %.2f s, "
          "%.1f chunks/s; sink CPU user %.2f s system %.2f s "
          "(%.2f + %.2f ms per chunk)%s" % (
              sent, args.pages, args.jobs,
              sum(len(p) for p in pdfs) / len(pdfs), wall, sent / wall,
              user, system, 1000 * user / sent, 1000 * system / sent,
              "; other events: %s" % others[:3] if others else ""))


if __name__ == "__main__":
    main()
