"""End-to-end: the ventilator's scalers (local and exec), draining workers
(LEAVING) and --idle-exit-s, on the real processes over loopback.

SPDX-License-Identifier: MPL-2.0
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import peers  # noqa: E402
from pipeline import (VENTILATOR, Pipeline, assert_marker_pages,  # noqa: E402
                      check_pdf, marker_job)


# Pages that take long enough to render that a chunk of 4,000 lasts
# seconds.
HEAVY = [{"type": "text", "text": "Line %d for {{customer.name}}" % n,
          "x": 50, "y": 700 - 14 * n, "font": "Helvetica", "size": 9}
         for n in range(40)]


def metric(pipe, name):
    """One unlabelled sample of GET /metrics."""
    text = pipe.request("GET", "/metrics").body.decode()
    match = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    assert match, (name, text)
    return float(match.group(1))


def local_scaler(scale_down_after_s):
    """The ventilator's arguments for a local scaler of 0 to 2 workers."""
    def args(pipe):
        return ["--scaler", "local", "--scaler-command",
                pipe.worker_command(), "--workers-min", "0",
                "--workers-max", "2", "--scale-down-after-s",
                str(scale_down_after_s)]
    return args


class AutoscaleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-check-")

    def tearDown(self):
        self.tmp.cleanup()

    def test_local_scaler_from_zero_and_back(self):
        with Pipeline(workers=0, ventilator_args=local_scaler(1)) as pipe:
            # Nothing to do: no worker runs.
            time.sleep(0.6)
            self.assertNotIn("scaler: started", pipe.logs_of("ventilator"))
            self.assertEqual(metric(pipe, "pdfpipe_workers_connected"), 0)
            job_id = pipe.submit(marker_job(1200, chunk_pages=100))
            pipe.wait_log(r"scaler: started worker scaled-2 \(pid \d+\); "
                          r"2 of 2", name="ventilator",
                          what="the scaler starting two workers")
            # Both at once: the first was started for a target of two,
            # and the scaler logged nothing between the two starts (the
            # HTTP thread may: "accepted").
            lines = [line for line in pipe.logs_of("ventilator").splitlines()
                     if "(pdfpipe-ventilator)" in line and "scaler:" in line]
            first = [i for i, line in enumerate(lines)
                     if re.search(r"started worker scaled-1 \(pid \d+\); "
                                  r"1 of 2$", line)]
            self.assertEqual(len(first), 1, lines)
            self.assertRegex(lines[first[0] + 1],
                             r"started worker scaled-2 \(pid \d+\); 2 of 2$")
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            assert_marker_pages(check_pdf(pipe.result(job_id), self.tmp.name),
                                1200)
            # Idle for --scale-down-after-s: both are stopped, finish, and
            # leave (LEAVING), none counted dead.
            for number in (1, 2):
                pipe.wait_log(r"scaler: worker scaled-%d \(pid \d+\) exited "
                              r"with status 0" % number, name="ventilator",
                              timeout=30, what="worker %d stopping" % number)
            log = pipe.logs_of("ventilator")
            self.assertEqual(len(re.findall(r"worker=scaled-\d-\S+ left",
                                            log)), 2, log)
            self.assertNotIn("went silent", log)
            self.assertEqual(metric(pipe, "pdfpipe_dead_workers_total"), 0)
            peers.wait_for(lambda: metric(
                pipe, "pdfpipe_workers_connected") == 0, 10,
                "no workers in the metrics")
            # A second job starts them again.
            again = pipe.submit(marker_job(300, chunk_pages=100))
            self.assertEqual(pipe.wait(again, timeout=120)["state"], "done")
            self.assertIn("started worker scaled-3", pipe.logs_of(
                "ventilator"))

    def test_local_scaler_with_0_drains_once_unneeded(self):
        with Pipeline(workers=0, ventilator_args=local_scaler(0)) as pipe:
            job_id = pipe.submit(marker_job(6000, chunk_pages=100))
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            # Nothing more to do: both stop without any idle period, and
            # drain: each leaves (LEAVING) with status 0, none is found
            # dead, and no chunk was rendered twice.
            for number in (1, 2):
                pipe.wait_log(r"scaler: worker scaled-%d \(pid \d+\) exited "
                              r"with status 0" % number, name="ventilator",
                              timeout=30, what="worker %d stopping" % number)
            log = pipe.logs_of("ventilator")
            self.assertEqual(len(re.findall(r"scaler: started worker", log)),
                             2, log)
            self.assertEqual(len(re.findall(r"scaler: stopping worker", log)),
                             2, log)
            self.assertEqual(len(re.findall(r"worker=scaled-\d-\S+ left",
                                            log)), 2, log)
            self.assertNotIn("went silent", log)
            self.assertEqual(metric(pipe, "pdfpipe_dead_workers_total"), 0)
            rendered = re.findall(r"\(scaled-\d\) \S+ \S+ job=%s chunk=(\d+) "
                                  r".*rendered in" % job_id, log)
            self.assertEqual(sorted(int(c) for c in rendered), list(range(60)))
            assert_marker_pages(check_pdf(pipe.result(job_id), self.tmp.name),
                                6000)

    def test_worker_is_not_stopped_before_the_sink_has_its_results(self):
        # A worker that exits may take the results still queued for the
        # sink with it: with nothing left to render, the scaler still
        # keeps it until the sink has stored them.
        with Pipeline(workers=0, ventilator_args=local_scaler(0)) as pipe:
            job_id = pipe.submit(marker_job(3000, chunk_pages=100))
            pipe.wait_log(r"job=%s chunk=\d+ .*rendered in" % job_id,
                          name="ventilator", what="a first chunk rendered")
            pipe.kill(pipe.sink, signal.SIGSTOP)
            try:
                peers.wait_for(lambda: len(re.findall(
                    r"job=%s chunk=\d+ .*rendered in" % job_id,
                    pipe.logs_of("ventilator"))) == 30, 60,
                    "every chunk rendered while the sink is stopped")
                # A few of the scaler's ticks with nothing to render.
                time.sleep(1.0)
                self.assertNotIn("scaler: stopping",
                                 pipe.logs_of("ventilator"))
            finally:
                pipe.kill(pipe.sink, signal.SIGCONT)
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            pipe.wait_log(r"scaler: stopping worker scaled-\d \(pid \d+\), "
                          r"idle; 0 of 0 left", name="ventilator",
                          what="the workers stopped once the job is stored")
            log = pipe.logs_of("ventilator")
            self.assertNotIn("within the deadline", log)
            rendered = re.findall(r"job=%s chunk=(\d+) .*rendered in" % job_id,
                                  log)
            self.assertEqual(sorted(int(c) for c in rendered), list(range(30)))
            assert_marker_pages(check_pdf(pipe.result(job_id), self.tmp.name),
                                3000)

    def test_local_worker_that_fails_is_backed_off(self):
        def args(pipe):
            return ["--scaler", "local", "--scaler-command", "sh -c 'exit 3'",
                    "--workers-min", "1", "--workers-max", "1"]
        with Pipeline(workers=0, ventilator_args=args) as pipe:
            pipe.wait_log(r"scaler: no worker started for 2000 ms",
                          name="ventilator", timeout=30,
                          what="the back-off growing")
            log = pipe.logs_of("ventilator")
            self.assertIn("scaler: worker scaled-1", log)
            self.assertIn("exited with status 3", log)
            # A back-off of 1 s, then 2 s: few starts, not hundreds.
            self.assertLess(len(re.findall("started worker", log)), 5, log)

    def test_exec_scaler_runs_the_command_with_the_count(self):
        counts = os.path.join(self.tmp.name, "counts")
        command = "echo {n} >> %s && echo replicas={n}" % counts

        def args(pipe):
            return ["--scaler", "exec", "--scaler-command", command,
                    "--scaler-interval-s", "0", "--workers-max", "4",
                    "--scale-down-after-s", "1"]
        with Pipeline(workers=0, ventilator_args=args) as pipe:
            job_id = pipe.submit(marker_job(1000, chunk_pages=100))
            pipe.wait_log(r"scaler: scaled to 4 workers: the command exited "
                          r"with status 0: replicas=4", name="ventilator",
                          what="the command run with 4")
            pipe.add_worker()
            self.assertEqual(pipe.wait(job_id, timeout=120)["state"], "done")
            pipe.wait_log(r"scaled to 0 workers", name="ventilator",
                          timeout=30, what="the command run with 0")
            with open(counts) as f:
                seen = f.read().split()
            self.assertEqual(seen[0], "4")
            self.assertEqual(seen[-1], "0")
            # Run only when the count changed.
            self.assertEqual(len(seen), len(set(seen)), seen)

    def test_exec_failure_is_logged_and_retried(self):
        def args(pipe):
            return ["--scaler", "exec", "--scaler-command",
                    "echo no such deployment >&2; exit 2",
                    "--scaler-interval-s", "1", "--workers-min", "1"]
        with Pipeline(workers=0, ventilator_args=args) as pipe:
            pipe.wait_log(r"scaling to 1 workers failed: the command exited "
                          r"with status 2: no such deployment; trying again",
                          name="ventilator", what="the failure logged")
            first = pipe.logs_of("ventilator").count("failed: the command")
            time.sleep(2.5)
            self.assertGreater(pipe.logs_of("ventilator").count(
                "failed: the command"), first)

    def test_worker_stopped_mid_chunk_finishes_it(self):
        with Pipeline(workers=0, ventilator_args=["--verbose"],
                      worker_args=["--verbose"]) as pipe:
            worker = pipe.add_worker(may_exit=True)
            job_id = pipe.submit(marker_job(4000, chunk_pages=4000))
            # In its render thread, not only sent: a chunk never taken goes
            # to another worker (the next test of LEAVING).
            pipe.wait_log(r"job=%s chunk=0 attempt=1 received" % job_id,
                          proc=worker, what="the worker taking the chunk")
            pipe.kill(worker, signal.SIGTERM)
            worker.wait(timeout=60)
            self.assertEqual(worker.returncode, 0)
            pipe.add_worker()
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            log = pipe.logs_of("ventilator")
            self.assertRegex(log, r"worker=w0-\S+ left")
            # The chunk was finished by the worker that had it: never sent
            # again.
            self.assertNotIn("attempt=2", log)
            assert_marker_pages(check_pdf(pipe.result(job_id), self.tmp.name),
                                4000)

    @staticmethod
    def taken_ahead(pipe):
        """A worker with two chunks of seconds each: it takes chunk 1
        while it renders chunk 0 (worker/slot). Returns the worker and the
        job's id."""
        worker = pipe.add_worker(may_exit=True)
        job_id = pipe.submit(marker_job(8000, chunk_pages=4000,
                                        extra_elements=HEAVY))
        pipe.wait_log(r"job=%s chunk=1 attempt=1 received" % job_id,
                      proc=worker, what="the worker taking chunk 1 ahead")
        return worker, job_id

    def test_worker_stopped_gives_back_the_chunk_it_took_ahead(self):
        with Pipeline(workers=0, worker_args=["--verbose"]) as pipe:
            worker, job_id = self.taken_ahead(pipe)
            pipe.kill(worker, signal.SIGTERM)
            worker.wait(timeout=60)
            self.assertEqual(worker.returncode, 0)
            log = pipe.log_of(worker)
            self.assertRegex(log, r"job=%s chunk=0 .*rendered in" % job_id)
            self.assertNotRegex(log, r"job=%s chunk=1 .*rendered in" % job_id)
            pipe.add_worker()
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            log = pipe.logs_of("ventilator")
            self.assertRegex(log, r"worker=w0-\S+ left; 1 chunks it had not "
                             r"started dispatched again")
            # Chunk 0 is never sent again; chunk 1 goes to the new worker.
            self.assertNotRegex(log, r"chunk=0 attempt=2")
            self.assertRegex(pipe.worker_logs()[1],
                             r"job=%s chunk=1 .*rendered in" % job_id)
            assert_marker_pages(check_pdf(pipe.result(job_id), self.tmp.name),
                                8000)

    def test_killed_worker_chunk_taken_ahead_goes_elsewhere(self):
        with Pipeline(workers=0, worker_args=["--verbose"]) as pipe:
            # Killed while still on chunk 0.
            victim, job_id = self.taken_ahead(pipe)
            pipe.kill(victim, signal.SIGKILL, expect_dead=True)
            self.assertNotRegex(pipe.log_of(victim),
                                r"job=%s chunk=1 .*rendered in" % job_id)
            pipe.add_worker()
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            held = pipe.wait_log(
                r"worker=w0-\S+ went silent \(no message for \d+ ms\); "
                r"(\d+) chunks it held dispatched again", name="ventilator",
                timeout=5, what="the victim's chunks being dispatched again")
            self.assertGreaterEqual(int(held.group(1)), 1)
            self.assertRegex(pipe.worker_logs()[1],
                             r"job=%s chunk=1 .*rendered in" % job_id)
            # Every page exactly once, whichever worker rendered it.
            assert_marker_pages(check_pdf(pipe.result(job_id), self.tmp.name),
                                8000)

    def test_idle_worker_exits_by_itself(self):
        with Pipeline(workers=0, worker_args=["--idle-exit-s", "1"]) as pipe:
            worker = pipe.add_worker(may_exit=True)
            started = time.monotonic()
            worker.wait(timeout=30)
            self.assertEqual(worker.returncode, 0)
            self.assertGreaterEqual(time.monotonic() - started, 0.5)
            pipe.wait_log(r"worker=w0-\S+ left", name="ventilator",
                          what="the ventilator hearing LEAVING")
            self.assertIn("idle for 1 s", pipe.worker_logs()[0])

    def test_bad_scaler_is_a_usage_error(self):
        for argv, message in (
                (["--scaler", "kubernetes"],
                 "bad value 'kubernetes' for --scaler: expected none, local or exec"),
                (["--workers-min", "5", "--workers-max", "2"],
                 "--workers-min 5 is more than --workers-max 2")):
            run = subprocess.run([VENTILATOR] + argv, capture_output=True,
                                 text=True, timeout=30)
            self.assertEqual(run.returncode, 64, run.stderr)
            self.assertIn(message, run.stderr)


if __name__ == "__main__":
    unittest.main()
