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
from s3server import BUCKET  # noqa: E402
from s3server import missing as s3_missing  # noqa: E402
from s3server import start as s3_start  # noqa: E402
from runner import group  # noqa: E402
from test_s3 import environment as s3_environment  # noqa: E402

zmq = peers.require_zmq()

from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)

SCRIPTED = [sys.executable, os.path.join(os.path.dirname(__file__),
                                         "scripted_worker.py")]
# Long enough that only heartbeat expiry (5 s) can explain a quick
# re-dispatch.
SLOW_DEADLINE = ["--deadline-ms", "120000", "--deadline-per-page-ms", "0"]
# The shortest worker expiry the ventilator takes.
LONG_CHUNK_EXPIRY_MS = 2000


def poison_job(pages, chunk_pages, poison_page, poison):
    job = marker_job(pages, chunk_pages=chunk_pages)
    job["records"][poison_page - 1]["marker"] = "MARK-%06d %s" % (
        poison_page, poison)
    return job


# Runs of the lost-outcome test before it fails for never losing it.

wait_for = peers.wait_for


class Supervisor(threading.Thread):
    """Restarts scripted workers that exit, as a process supervisor
    would; counts the restarts."""

    def __init__(self, pipe, argv, count):
        super().__init__(daemon=True)
        self.pipe, self.argv = pipe, argv
        # They crash on the poison chunk by design.
        self.live = [pipe.add_worker(argv, may_exit=True)
                     for _ in range(count)]
        self.restarts = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.1):
            for index, proc in enumerate(self.live):
                if proc.poll() is not None:
                    self.live[index] = self.pipe.add_worker(self.argv,
                                                            may_exit=True)
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
            wait_for(lambda: pipe.status(job_id)["chunks"]["done"] >= 3, 60,
                     "the real worker to render the other three chunks")
            pipe.kill(holder)
            self.assert_done_and_correct(pipe, job_id, 200)
            # Expiry and a re-dispatch gave the chunk back, not the 120 s
            # deadline.
            log = pipe.logs_of("ventilator")
            self.assertRegex(log, r"worker=w0-\d+ went silent .*1 chunks it "
                             r"held dispatched again")
            self.assertNotIn("no result within the deadline", log)

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
        # One chunk of 5,000 pages of many lines, rendered by the only
        # worker while the ventilator expects a heartbeat every 2 s. Such
        # a run shows something only if the chunk outlasted the expiry,
        # which depends on the machine: the worker's log says how long it
        # took, and a run that was too short is inconclusive and is
        # repeated with pages twice as heavy.
        for lines in (400, 800, 1600):
            took_ms = self._one_long_chunk(lines)
            if took_ms > LONG_CHUNK_EXPIRY_MS:
                return
            print("inconclusive: %d lines a page rendered in %d ms, within "
                  "the %d ms expiry; again with heavier pages" % (
                      lines, took_ms, LONG_CHUNK_EXPIRY_MS))
        self.fail("inconclusive: no chunk outlasted the %d ms expiry, so "
                  "heartbeats during a render were never needed"
                  % LONG_CHUNK_EXPIRY_MS)

    def _one_long_chunk(self, lines):
        """Render one 5,000-page chunk of lines text lines a page; check
        the worker was never declared dead; return its render time in ms
        as the worker logged it."""
        extra = [{"type": "text", "text": "Line %d of {{customer.name}}, "
                  "lorem ipsum dolor sit amet" % n, "x": 50,
                  "y": 700 - (n % 40) * 15, "font": "Helvetica", "size": 9}
                 for n in range(lines)]
        with Pipeline(workers=1, ventilator_args=SLOW_DEADLINE + [
                "--worker-expiry-ms", str(LONG_CHUNK_EXPIRY_MS)]) as pipe:
            job_id = pipe.submit(marker_job(5000, chunk_pages=5000,
                                            extra_elements=extra))
            # The pages' checks are elsewhere; checking millions of lines
            # would take longer than the rest of this file.
            status = pipe.wait(job_id, timeout=300)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            self.assertEqual(status["chunks"], {"done": 1, "total": 1})
            self.assertNotIn("went silent", pipe.logs_of("ventilator"))
            self.assertNotIn("retrying", pipe.logs_of("ventilator"))
            took = re.search(r"job=%s chunk=0 .* rendered in (\d+) ms" % job_id,
                             pipe.logs_of("worker"))
            self.assertIsNotNone(took, pipe.logs_of("worker"))
            return int(took.group(1))

    def test_hung_worker_is_passed_over(self):
        with Pipeline(workers=2, ventilator_args=SLOW_DEADLINE) as pipe:
            job_id = pipe.submit(marker_job(4000, chunk_pages=20))
            wait_for(lambda: pipe.status(job_id)["chunks"]["done"] >= 20, 30,
                     "rendering to start")
            pipe.kill(pipe.workers[0], signal.SIGSTOP)
            self.assert_done_and_correct(pipe, job_id, 4000)
            # Passed over by expiry, not by the 120 s deadline.
            pipe.wait_log(r"worker=w0-\S+ went silent", name="ventilator",
                          what="the ventilator declaring w0 dead")
            self.assertNotIn("no result within the deadline",
                             pipe.logs_of("ventilator"))

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
    @unittest.skipIf(s3_missing(), "no S3 server to hold the sink's "
                     "store with: %s" % s3_missing())
    def test_outcome_lost_with_the_ventilator_is_asked_for_again(self):
        # The sink appends chunks as they arrive, so its JOB_DONE follows
        # the last chunk within milliseconds: to lose it for certain, the
        # sink's store (an S3 server) is held stopped while the job's
        # chunks are stored, so the job waits in merging or storing until
        # the ventilator is hung.
        with tempfile.TemporaryDirectory(prefix="pdfpipe-s3-") as logs:
            server = s3_start(logs)
            try:
                with s3_environment(server.environment()):
                    self._lose_the_outcome_and_ask_again(server)
            finally:
                os.kill(server.proc.pid, signal.SIGCONT)
                server.close()

    def _lose_the_outcome_and_ask_again(self, server):
        # Debug lines show the question and the answer.
        with Pipeline(workers=2, store="s3://%s/results" % BUCKET,
                      ventilator_args=["--verbose"],
                      sink_args=["--verbose"]) as pipe:
            job_id = pipe.submit(marker_job(10000, chunk_pages=100))
            # Once its upload is started, the sink needs the server only
            # for the parts and the end: the chunks are still stored.
            pipe.wait_log(r"job=%s uploading the output to .* as it grows"
                          % job_id, name="sink",
                          what="the sink starting the upload")
            os.kill(server.proc.pid, signal.SIGSTOP)
            status = pipe.wait(job_id, states=("merging", "storing",
                                               "done", "failed"))
            self.assertIn(status["state"], ("merging", "storing"),
                          "the job ended while its store was stopped: %s\n%s"
                          % (status, pipe.log_tail()))
            # The ventilator hangs; the sink finishes and its JOB_DONE
            # lands in the hung process's socket buffer, which dies with
            # it, or waits in the sink's queue for the next ventilator
            # (the sink connects, so its queue outlives a connection):
            # the sink is restarted too, which loses that queue.
            pipe.kill(pipe.ventilator, signal.SIGSTOP)
            os.kill(server.proc.pid, signal.SIGCONT)
            wait_for(lambda: re.search("job=%s done" % job_id,
                                       pipe.logs_of("sink")), 90,
                     "the sink to finish the job")
            pipe.kill(pipe.ventilator)
            pipe.restart_sink()
            # How soon the API is back is a figure for bench/recovery.py;
            # here it only has to come back (start_ventilator waits).
            pipe.start_ventilator()
            self.assertIn(pipe.status(job_id)["state"],
                          ("merging", "storing", "done"))
            status = pipe.wait(job_id)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            self.assertEqual(status["pages"], {"done": 10000, "total": 10000})
            pdf = server.s3.get_object(
                Bucket=BUCKET, Key="results/%s/%s.pdf" % (job_id, job_id))
            assert_marker_pages(check_pdf(pdf["Body"].read(), self.tmp.name),
                                10000)
            asked = r"job=%s all chunks stored, no outcome yet: " \
                    r"asking the sink" % job_id
            # Finished by asking the sink, which told the outcome again.
            pipe.wait_log(asked, proc=pipe.ventilator,
                          what="the new ventilator asking the sink")
            pipe.wait_log(r"job=%s JOB_DONE sent again" % job_id, name="sink",
                          what="the sink repeating the outcome")

    def test_sink_killed_while_merging_finishes_from_its_spool(self):
        # The sink appends chunks to the output as they arrive: it is
        # killed part-way through that, while workers still render.
        with Pipeline(workers=2, sink_args=["--verbose"]) as pipe:
            job_id = pipe.submit(marker_job(10000, chunk_pages=100))
            pipe.wait_log(r"job=%s chunk=5 appended to the output" % job_id,
                          name="sink", what="the sink appending chunk 5")
            self.assertNotEqual(pipe.status(job_id)["state"], "done")
            pipe.kill(pipe.sink)
            stored = set(re.findall(r"job=%s chunk=(\d+) stored" % job_id,
                                    pipe.logs_of("sink")))
            # Whatever the moment, the result's name holds a whole PDF or
            # nothing: the store writes under a temporary name.
            result = os.path.join(pipe.dir, "out", job_id, job_id + ".pdf")
            if os.path.exists(result):
                with open(result, "rb") as f:
                    assert_marker_pages(check_pdf(f.read(), self.tmp.name),
                                        10000)
            pipe.restart_sink()
            self.assert_done_and_correct(pipe, job_id, 10000)
            # The chunks spooled before the kill were appended again from
            # the spool, not rendered again (chunks on their way to the
            # dead sink may be: they were never stored).
            rendered = re.findall(r"job=%s chunk=(\d+) " % job_id,
                                  pipe.logs_of("worker"))
            self.assertEqual(len(set(rendered)), 100)
            self.assertTrue(stored, "the sink stored nothing before the kill")
            twice = [nbr for nbr in stored if rendered.count(nbr) > 1]
            self.assertEqual(twice, [], "spooled chunks rendered again")

    def test_sink_killed_after_releasing_chunks_takes_up_its_checkpoint(self):
        # Chunks in a checkpoint of the output are released from the spool
        # (their files removed): the spool never holds the whole job. A
        # sink killed then takes the output up again from its checkpoint.
        with Pipeline(workers=2, sink_args=["--verbose"]) as pipe:
            job_id = pipe.submit(marker_job(10000, chunk_pages=100))
            job_dir = os.path.join(pipe.dir, "spool", job_id)
            released_file = os.path.join(job_dir, "released")

            def released():
                try:
                    with open(released_file) as f:
                        return f.read().count("\n")
                except FileNotFoundError:
                    return 0
            wait_for(lambda: released() >= 8, timeout=60,
                     what="the sink releasing 8 chunks")
            pipe.kill(pipe.sink)
            self.assertNotEqual(pipe.status(job_id)["state"], "done")
            chunk_files = [name for name in os.listdir(job_dir)
                           if name.startswith("chunk-")]
            stored = set(re.findall(r"job=%s chunk=(\d+) stored" % job_id,
                                    pipe.logs_of("sink")))
            held = released()
            self.assertGreaterEqual(held, 8)
            # Fewer chunk files than the job has chunks, and than the sink
            # had stored: the released ones are in the output only (the
            # chunks of the batch being stored as the kill came may be on
            # disk without their log lines: COLLECTOR_BATCH_CHUNKS_MAX).
            # A kill between the released file's fsync and the removal of
            # the files it names leaves those files too (the restarted
            # sink removes them): they are not counted twice.
            unreleased = [name for name in chunk_files
                          if int(name.split("-")[1]) >= held]
            self.assertLess(len(chunk_files), 100)
            self.assertLessEqual(len(unreleased) + held, 100)
            self.assertLessEqual(len(unreleased) + held, len(stored) + 64)
            self.assertTrue(os.path.exists(
                os.path.join(job_dir, ".merged.pdf.journal")))
            pipe.restart_sink()
            pipe.wait_log(r"job=%s output taken up from its checkpoint: "
                          r"(\d+) chunks" % job_id, name="sink",
                          what="the new sink taking up the checkpoint")
            self.assert_done_and_correct(pipe, job_id, 10000)
            # Released chunks were not rendered again: the new sink
            # reported them stored from its released file.
            rendered = re.findall(r"job=%s chunk=(\d+) " % job_id,
                                  pipe.logs_of("worker"))
            self.assertEqual(len(set(rendered)), 100)
            again = [nbr for nbr in range(held)
                     if rendered.count(str(nbr)) > 1]
            self.assertEqual(again, [], "released chunks rendered again")
            self.assertFalse(os.path.exists(job_dir))

    # -- full disks ----------------------------------------------------
    def small_tmpfs(self, size="2m"):
        """A fresh tmpfs of size, unmounted at the end; skips the test
        when mounting is not allowed."""
        where = tempfile.mkdtemp(prefix="pdfpipe-tmpfs-")
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size,
                                "tmpfs", where], capture_output=True)
        if mount.returncode != 0:
            os.rmdir(where)
            # mount's first line, without the directory, which differs
            # from test to test.
            why = mount.stderr.decode().strip().partition("\n")[0]
            self.skipTest("cannot mount a tmpfs: %s" %
                          why.replace(where + ": ", ""))

        def cleanup():
            subprocess.run(["umount", "-l", where])
            shutil.rmtree(where, ignore_errors=True)
        self.addCleanup(cleanup)
        return where

    @group("full_disk")
    def test_full_spool_fails_the_job_and_keeps_serving(self):
        spool = self.small_tmpfs()
        with Pipeline(workers=2, sink_args=["--spool", spool]) as pipe:
            before = pipe.submit(marker_job(50, chunk_pages=25))
            self.assert_done_and_correct(pipe, before, 50)
            big = pipe.submit(marker_job(20000, chunk_pages=100))
            status = pipe.wait(big, timeout=120)
            self.assertEqual(status["state"], "failed")
            # Either the chunk's spooling or the output's append (in the
            # spool too) meets the full disk first.
            self.assertIn("no space left", status["error"].lower())
            self.assertIsNone(pipe.sink.poll())
            # Its chunks are gone, so the next job fits.
            after = pipe.submit(marker_job(50, chunk_pages=25))
            self.assert_done_and_correct(pipe, after, 50)
            assert_marker_pages(check_pdf(pipe.result(before), self.tmp.name),
                                50)

    @group("full_disk")
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
            # The first job's result alone: nothing of the failed one, not
            # even its directory.
            self.assertEqual(sorted(os.listdir(store)), [before])
            self.assertEqual(os.listdir(os.path.join(store, before)),
                             [before + ".pdf"])
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
                # Each is logged as dropped; the sockets stay open until
                # then, since closing them drops what is still unsent. The
                # worker socket names the peer by its identity; the PULL
                # sockets by its address.
                for name, pattern in (
                        ("ventilator", "dropped malformed message from "
                                       "peer=rogue-1"),
                        ("ventilator", "wrong protocol or version"),
                        ("ventilator", "READY must have 1 fields, got 0"),
                        ("ventilator", "credits must be 4 bytes, got 2"),
                        ("ventilator", r"address=127\.0\.0\.1"),
                        ("sink", "unknown command"),
                        ("sink", r"address=127\.0\.0\.1"),
                        ("sink", "dropped STORED: not a message for the "
                                 "sink|dropped malformed"),
                        ("sink", "job=rogue-job chunk=0 dropped"),
                        ("sink", "job=rogue-job chunk=7 dropped")):
                    pipe.wait_log(pattern, name=name)
            finally:
                context.destroy(linger=0)
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
        # Connecting sockets queue what is sent before the connection is
        # made, so nothing needs to wait here.
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
