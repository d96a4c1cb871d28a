"""End-to-end recovery: dead, hung and slow workers, poison chunks, lost
outcomes, restarts in the middle of a merge, full disks and rogue peers.

Some tests play a worker the real program cannot (one that crashes on a
chunk, one that is slow but alive, one that sends garbage) with
scripted_worker.py and peers.py, which need pyzmq; see peers.require_zmq.

SPDX-License-Identifier: MPL-2.0
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import peers  # noqa: E402

zmq = peers.require_zmq()

from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)

SCRIPTED = [sys.executable, os.path.join(os.path.dirname(__file__),
                                         "scripted_worker.py")]
# Long enough that only heartbeat expiry (5 s) can explain a quick
# re-dispatch.
SLOW_DEADLINE = ["--deadline-ms", "120000", "--deadline-per-page-ms", "0"]


def poison_job(pages, chunk_pages, poison_page, poison):
    job = marker_job(pages, chunk_pages=chunk_pages)
    job["records"][poison_page - 1]["marker"] = "MARK-%06d %s" % (
        poison_page, poison)
    return job


wait_for = peers.wait_for


class Supervisor(threading.Thread):
    """Restarts scripted workers that exit, as a process supervisor
    would; counts the restarts."""

    def __init__(self, pipe, argv, count):
        super().__init__(daemon=True)
        self.pipe, self.argv = pipe, argv
        self.live = [pipe.add_worker(argv) for _ in range(count)]
        self.restarts = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.1):
            for index, proc in enumerate(self.live):
                if proc.poll() is not None:
                    self.live[index] = self.pipe.add_worker(self.argv)
                    self.restarts += 1

    def stop(self):
        self.stopping.set()
        self.join()


class RecoveryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-check-")

    def tearDown(self):
        self.tmp.cleanup()

    def assert_done_and_correct(self, pipe, job_id, pages, timeout=120):
        status = pipe.wait(job_id, timeout=timeout)
        if status["state"] != "done":
            self.fail("%s\n%s" % (status, pipe.log_tail()))
        self.assertEqual(status["pages"], {"done": pages, "total": pages})
        assert_marker_pages(check_pdf(pipe.result(job_id), self.tmp.name),
                            pages)
        return status

    # -- liveness ------------------------------------------------------
    def test_dead_workers_chunk_goes_to_another_worker_within_seconds(self):
        with Pipeline(workers=0, ventilator_args=SLOW_DEADLINE) as pipe:
            # The scripted worker takes a chunk and sits on it.
            holder = pipe.add_worker(SCRIPTED + ["--delay", "60"])
            job_id = pipe.submit(marker_job(200, chunk_pages=50))
            wait_for(lambda: "attempt 1" in pipe.logs_of("worker"), 20,
                     "the scripted worker to take a chunk")
            pipe.add_worker()
            time.sleep(0.5)
            killed = time.monotonic()
            pipe.kill(holder)
            self.assert_done_and_correct(pipe, job_id, 200)
            # Expiry (5 s) and a re-dispatch, not the 120 s deadline.
            self.assertLess(time.monotonic() - killed, 15)
            self.assertRegex(pipe.logs_of("ventilator"),
                             r"worker=w0-\d+ went silent .*1 chunks it held")

    def test_slow_but_alive_worker_is_not_declared_dead(self):
        with Pipeline(workers=0, ventilator_args=SLOW_DEADLINE) as pipe:
            # Seven seconds on one chunk, heartbeating all along.
            pipe.add_worker(SCRIPTED + ["--delay", "7"])
            job_id = pipe.submit(marker_job(20, chunk_pages=20))
            self.assert_done_and_correct(pipe, job_id, 20, timeout=60)
            log = pipe.logs_of("ventilator")
            self.assertNotIn("went silent", log)
            self.assertNotIn("retrying", log)
            self.assertNotIn("attempt 2", pipe.logs_of("worker"))

    def test_real_worker_heartbeats_through_a_long_chunk(self):
        # 5,000 pages of 400 lines: seconds of rendering, twice the expiry.
        extra = [{"type": "text", "text": "Line %d of {{customer.name}}, "
                  "lorem ipsum dolor sit amet" % n, "x": 50,
                  "y": 700 - (n % 40) * 15, "font": "Helvetica", "size": 9}
                 for n in range(400)]
        with Pipeline(workers=1, ventilator_args=SLOW_DEADLINE + [
                "--worker-expiry-ms", "2000"]) as pipe:
            job_id = pipe.submit(marker_job(5000, chunk_pages=5000,
                                            extra_elements=extra))
            # The pages' checks are elsewhere; checking 2 million lines
            # would take longer than the rest of this file.
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            self.assertEqual(status["chunks"], {"done": 1, "total": 1})
            took = re.search(r"rendered in (\d+) ms", pipe.logs_of("worker"))
            self.assertGreater(int(took.group(1)), 2000,
                               "the chunk rendered too fast to matter")
            self.assertNotIn("went silent", pipe.logs_of("ventilator"))
            self.assertNotIn("retrying", pipe.logs_of("ventilator"))

    def test_hung_worker_is_passed_over(self):
        with Pipeline(workers=2, ventilator_args=SLOW_DEADLINE) as pipe:
            job_id = pipe.submit(marker_job(4000, chunk_pages=20))
            wait_for(lambda: pipe.status(job_id)["chunks"]["done"] >= 20, 30,
                     "rendering to start")
            stopped = time.monotonic()
            pipe.kill(pipe.workers[0], signal.SIGSTOP)
            self.assert_done_and_correct(pipe, job_id, 4000)
            self.assertLess(time.monotonic() - stopped, 30)

    # -- poison --------------------------------------------------------
    def test_chunk_that_fails_every_time_fails_its_job_only(self):
        with Pipeline(workers=0, ventilator_args=["--max-attempts",
                                                  "3"]) as pipe:
            for _ in range(2):
                pipe.add_worker(SCRIPTED)
            poison = pipe.submit(poison_job(30, 10, 15, "POISON-FAIL"))
            others = [pipe.submit(marker_job(25, chunk_pages=10))
                      for _ in range(3)]
            status = pipe.wait(poison, timeout=60)
            self.assertEqual(status["state"], "failed")
            self.assertIn("chunk 1 (pages 11-20) failed 3 times",
                          status["error"])
            self.assertIn("POISON-FAIL", status["error"])
            for job_id in others:
                self.assert_done_and_correct(pipe, job_id, 25)

    def test_chunk_that_crashes_every_worker_fails_its_job_only(self):
        with Pipeline(workers=0, ventilator_args=["--max-attempts",
                                                  "3"]) as pipe:
            supervisor = Supervisor(pipe, SCRIPTED, 2)
            supervisor.start()
            try:
                poison = pipe.submit(poison_job(30, 10, 25, "POISON-CRASH"))
                others = [pipe.submit(marker_job(25, chunk_pages=10))
                          for _ in range(3)]
                status = pipe.wait(poison, timeout=90)
                self.assertEqual(status["state"], "failed", pipe.log_tail())
                self.assertIn("chunk 2 (pages 21-30) failed 3 times",
                              status["error"])
                self.assertIn("went silent", status["error"])
                for job_id in others:
                    self.assert_done_and_correct(pipe, job_id, 25)
                # Each attempt cost one worker, and no more.
                self.assertEqual(supervisor.restarts, 3)
            finally:
                supervisor.stop()

    # -- lost outcomes and restarts ------------------------------------
    def test_outcome_lost_with_the_ventilator_is_asked_for_again(self):
        with Pipeline(workers=2) as pipe:
            job_id = pipe.submit(marker_job(10000, chunk_pages=100))
            pipe.wait(job_id, states=("merging", "storing", "done"))
            # The ventilator hangs; the sink finishes and its JOB_DONE
            # lands in the hung process's socket buffer, which dies with
            # it.
            pipe.kill(pipe.ventilator, signal.SIGSTOP)
            wait_for(lambda: re.search("job=%s done" % job_id,
                                       pipe.logs_of("sink")), 60,
                     "the sink to finish the job")
            pipe.kill(pipe.ventilator)
            started = time.monotonic()
            pipe.start_ventilator()
            # The API answers within a second of the start.
            self.assertLess(time.monotonic() - started, 1.0)
            self.assertIn(pipe.status(job_id)["state"],
                          ("merging", "storing"))
            self.assert_done_and_correct(pipe, job_id, 10000, timeout=30)
            self.assertLess(time.monotonic() - started, 10)

    def test_sink_killed_while_merging_finishes_from_its_spool(self):
        with Pipeline(workers=2) as pipe:
            job_id = pipe.submit(marker_job(10000, chunk_pages=100))
            status = pipe.wait(job_id, states=("merging", "storing", "done"))
            self.assertNotEqual(status["state"], "done", "missed the merge")
            time.sleep(0.2)
            pipe.kill(pipe.sink)
            # Whatever the moment, the result's name holds a whole PDF or
            # nothing: the store writes under a temporary name.
            result = os.path.join(pipe.dir, "out", job_id + ".pdf")
            if os.path.exists(result):
                with open(result, "rb") as f:
                    assert_marker_pages(check_pdf(f.read(), self.tmp.name),
                                        10000)
            pipe.restart_sink()
            self.assert_done_and_correct(pipe, job_id, 10000)
            # The spooled chunks were merged again, not rendered again.
            rendered = re.findall(r"job=%s chunk=(\d+) " % job_id,
                                  pipe.logs_of("worker"))
            self.assertEqual(len(rendered), len(set(rendered)),
                             "a chunk was rendered twice")
            self.assertEqual(len(rendered), 100)

    # -- full disks ----------------------------------------------------
    def small_tmpfs(self, size="2m"):
        """A fresh tmpfs of size, unmounted at the end; skips the test
        when mounting is not allowed."""
        where = tempfile.mkdtemp(prefix="pdfpipe-tmpfs-")
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size,
                                "tmpfs", where], capture_output=True)
        if mount.returncode != 0:
            os.rmdir(where)
            self.skipTest("cannot mount a tmpfs: %s" % mount.stderr.decode())

        def cleanup():
            subprocess.run(["umount", "-l", where])
            shutil.rmtree(where, ignore_errors=True)
        self.addCleanup(cleanup)
        return where

    def test_full_spool_fails_the_job_and_keeps_serving(self):
        spool = self.small_tmpfs()
        with Pipeline(workers=2, sink_args=["--spool", spool]) as pipe:
            before = pipe.submit(marker_job(50, chunk_pages=25))
            self.assert_done_and_correct(pipe, before, 50)
            big = pipe.submit(marker_job(20000, chunk_pages=100))
            status = pipe.wait(big, timeout=120)
            self.assertEqual(status["state"], "failed")
            self.assertIn("no space left", status["error"])
            self.assertIsNone(pipe.sink.poll())
            # Its chunks are gone, so the next job fits.
            after = pipe.submit(marker_job(50, chunk_pages=25))
            self.assert_done_and_correct(pipe, after, 50)
            assert_marker_pages(check_pdf(pipe.result(before), self.tmp.name),
                                50)

    def test_full_store_fails_the_job_and_keeps_results(self):
        store = self.small_tmpfs()
        with Pipeline(workers=2, store="file://" + store) as pipe:
            before = pipe.submit(marker_job(50, chunk_pages=25))
            self.assert_done_and_correct(pipe, before, 50)
            big = pipe.submit(marker_job(20000, chunk_pages=500))
            status = pipe.wait(big, timeout=120)
            self.assertEqual(status["state"], "failed")
            self.assertIn("storing failed", status["error"])
            self.assertRegex(status["error"], "(?i)no space left")
            self.assertIsNone(pipe.sink.poll())
            self.assertEqual(
                sorted(os.listdir(store)), [before + ".pdf"])
            after = pipe.submit(marker_job(50, chunk_pages=25))
            self.assert_done_and_correct(pipe, after, 50)
            assert_marker_pages(check_pdf(pipe.result(before), self.tmp.name),
                                50)

    # -- rogue peers ---------------------------------------------------
    def test_rogue_frames_are_dropped_and_logged(self):
        with Pipeline(workers=1) as pipe:
            context = zmq.Context()
            try:
                self._send_rogue_frames(context, pipe)
            finally:
                context.destroy(linger=0)
            ventilator_log = pipe.logs_of("ventilator")
            sink_log = pipe.logs_of("sink")
            # The worker socket names the peer by its identity; the PULL
            # sockets by its address.
            self.assertIn("dropped malformed message from peer=rogue-1",
                          ventilator_log)
            self.assertIn("wrong protocol or version", ventilator_log)
            self.assertIn("READY must have 1 fields, got 0", ventilator_log)
            self.assertIn("credits must be 4 bytes, got 2", ventilator_log)
            self.assertIn("address=127.0.0.1", ventilator_log)
            self.assertIn("unknown command", sink_log)
            self.assertIn("address=127.0.0.1", sink_log)
            self.assertRegex(sink_log, "dropped STORED: not a message for "
                             "the sink|dropped malformed")
            for proc in (pipe.ventilator, pipe.sink, pipe.workers[0]):
                self.assertIsNone(proc.poll())
            job_id = pipe.submit(marker_job(100, chunk_pages=25))
            self.assert_done_and_correct(pipe, job_id, 100)

    def _send_rogue_frames(self, context, pipe):
        # Peers that hold keys (a worker's, the sink's) and still send
        # garbage: what gets past CURVE must be checked all the same.
        dealer = context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.IDENTITY, b"rogue-1")
        peers.curve_client(dealer, pipe.keys, "worker", "ventilator")
        dealer.connect(pipe.dispatch)
        to_sink = context.socket(zmq.PUSH)
        peers.curve_client(to_sink, pipe.keys, "worker", "sink")
        to_sink.connect(pipe.results)
        to_events = context.socket(zmq.PUSH)
        peers.curve_client(to_events, pipe.keys, "sink", "ventilator")
        to_events.connect(pipe.events)
        time.sleep(0.3)
        bad = [
            [b"PDFPIPE/0", b"READY", peers.u32(1)],      # outdated version
            [b"garbage"],                                # one frame
            [peers.SIGNATURE, b"READY"],                 # missing field
            [peers.SIGNATURE, b"READY", b"\x00\x01"],    # short integer
            [peers.SIGNATURE, b"NOPE", b"x"],            # unknown command
            [os.urandom(64) for _ in range(30)],         # noise
            peers.message("CHUNK_FAILED", "../../etc", peers.u32(0),
                          peers.u32(1), "x"),            # bad job id
            peers.message("STORED", "job", peers.u32(0), peers.u32(1)),
        ]
        for frames in bad:
            dealer.send_multipart(frames)
            to_sink.send_multipart(frames)
            to_events.send_multipart(frames)
        # A RESULT whose PDF is not one, and one for a chunk out of range.
        to_sink.send_multipart(peers.message(
            "RESULT", "rogue-job", peers.u32(0), peers.u32(1), peers.u32(1),
            peers.u32(1), peers.u32(1), peers.u32(1), b"not a pdf"))
        to_sink.send_multipart(peers.message(
            "RESULT", "rogue-job", peers.u32(7), peers.u32(1), peers.u32(1),
            peers.u32(1), peers.u32(1), peers.u32(1),
            peers.simple_pdf([["x"]])))
        time.sleep(1.0)
        for sock in (dealer, to_sink, to_events):
            sock.close(linger=0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
