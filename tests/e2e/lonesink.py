"""lonesink - a real pdfpipe-sink alone on loopback, with this process
playing the ventilator (the events endpoint it connects to) and the
workers (RESULTs pushed to its results endpoint), over CURVE with keys of
its own (pipeline.Keys).

For tests and benchmarks of the sink's receive-and-spool path: how many
chunks it stores a second, and whether every chunk it said STORED is in
its spool after a kill -9. The fake ventilator never answers (no OUTPUT),
so complete jobs wait in the sink, as they would for a slow ventilator;
the sink's finisher still appends chunks as they arrive.

Needs pyzmq; see peers.require_zmq.

SPDX-License-Identifier: MPL-2.0
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import peers  # noqa: E402

zmq = peers.require_zmq()
import zmq.auth  # noqa: E402

from pipeline import SINK, Keys, free_port  # noqa: E402

STARTUP_TIMEOUT_S = 30


def chunk_pdf(first_page, page_count, total_pages):
    """A chunk PDF of page_count marker pages, as scripted workers make."""
    return peers.simple_pdf([["MARK-%06d" % page,
                              "Page %d of %d" % (page, total_pages)]
                             for page in range(first_page,
                                               first_page + page_count)])


def chunk_name(chunk_nbr, first_page, page_count):
    """The spool's file name of a chunk (sink/spool.h)."""
    return "chunk-%06d-p%d-%d.pdf" % (chunk_nbr, first_page,
                                      first_page + page_count - 1)


class LoneSink:
    def __init__(self, sink=SINK, sink_args=()):
        self.dir = tempfile.mkdtemp(prefix="pdfpipe-lonesink-")
        self.keys = Keys(os.path.join(self.dir, "keys"))
        self.spool = os.path.join(self.dir, "spool")
        self.results = "tcp://127.0.0.1:%d" % free_port()
        self.events = "tcp://127.0.0.1:%d" % free_port()
        self.binary = sink
        self.sink_args = list(sink_args)
        self.context = zmq.Context()
        self.proc = None
        self.log_path = None
        self.launches = 0
        try:
            self.from_sink = self.context.socket(zmq.PULL)
            public, secret = zmq.auth.load_certificate(
                self.keys.secret("ventilator"))
            self.from_sink.curve_publickey = public
            self.from_sink.curve_secretkey = secret
            self.from_sink.curve_server = True
            self.from_sink.bind(self.events)
            self.to_sink = self.context.socket(zmq.PUSH)
            self.to_sink.sndhwm = 100000
            peers.curve_client(self.to_sink, self.keys, "worker", "sink")
            self.to_sink.connect(self.results)
            self.start()
        except BaseException:
            self.close()
            raise

    def start(self):
        """Start the sink (again, on the same spool and ports) and wait
        until it serves."""
        self.launches += 1
        self.log_path = os.path.join(self.dir, "sink-%d.log" % self.launches)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "--results", self.results,
                 "--events", self.events, "--spool", self.spool,
                 "--store", "file://" + os.path.join(self.dir, "out")]
                + self.keys.sink_args() + self.sink_args,
                stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while "results on " not in self.log():
            if self.proc.poll() is not None:
                raise AssertionError("the sink ended while starting:\n"
                                     + self.log())
            if time.monotonic() > deadline:
                raise AssertionError("the sink did not start:\n" + self.log())
            time.sleep(0.01)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def kill(self):
        """kill -9, and reap it."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def send_result(self, job_id, chunk_nbr, chunk_pages, chunk_count,
                    pdf=None):
        """Push the RESULT of chunk chunk_nbr of job_id, a job of
        chunk_count chunks of chunk_pages pages, as a worker does."""
        total = chunk_pages * chunk_count
        first = chunk_nbr * chunk_pages + 1
        if pdf is None:
            pdf = chunk_pdf(first, chunk_pages, total)
        self.to_sink.send_multipart(peers.message(
            "RESULT", job_id, peers.u32(chunk_nbr), peers.u32(1),
            peers.u32(first), peers.u32(chunk_pages), peers.u32(total),
            peers.u32(chunk_count), pdf))

    def events_until(self, done, timeout):
        """Receive events from the sink, each (command, job_id,
        chunk_nbr or None), until done(events) is true; fails after
        timeout seconds (a bound on a hang)."""
        events = []
        deadline = time.monotonic() + timeout
        while not done(events):
            left = deadline - time.monotonic()
            if left <= 0 or not self.from_sink.poll(int(left * 1000) + 1):
                if left <= 0:
                    raise AssertionError(
                        "timed out with %d events from the sink:\n%s"
                        % (len(events), self.log()[-3000:]))
                continue
            frames = self.from_sink.recv_multipart()
            command = frames[1].decode()
            chunk_nbr = (peers.get_u32(frames[3])
                         if command == "STORED" else None)
            events.append((command, frames[2].decode(), chunk_nbr))
        return events

    def chunk_files(self, job_id):
        """Names of the chunk files under their final names in the job's
        spool directory."""
        try:
            names = os.listdir(os.path.join(self.spool, job_id))
        except FileNotFoundError:
            return []
        return sorted(n for n in names if re.match(r"chunk-\d+-p", n))

    def stop(self):
        """Stop the sink in order (SIGTERM) and return its exit status;
        a sanitizer's report in its log counts as a failure (1)."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        if re.search(r"Sanitizer|runtime error:", self.log()):
            return 1
        return self.proc.returncode

    def released(self, job_id):
        """Numbers of the chunks the spool's "released" file of job_id
        lists (whole lines only: sink/spool.h)."""
        try:
            with open(os.path.join(self.spool, job_id, "released")) as f:
                text = f.read()
        except FileNotFoundError:
            return set()
        return {int(line.split()[0]) for line in text.split("\n")[:-1]}

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.context.destroy(linger=0)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
