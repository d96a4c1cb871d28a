"""End-to-end: a worker gets a job's template once (docs/protocol.md,
"Templates once per worker").

- A 10-chunk job rendered by one real worker: the ventilator's debug log
  shows ten CHUNKs of which exactly one carried template bytes, and the
  job's pages are all there, in order. A real worker killed mid-job is
  succeeded by one with a new routing id, which gets the template with
  its first chunk: two CHUNKs in all carry it.
- A worker that restarts under the same routing id mid-job (a peer of
  our own over pyzmq, which keeps templates by digest as the real worker
  does) is sent a CHUNK without the template, answers TEMPLATE_MISS, gets
  the chunk again with the template, and the job completes with every
  page right.
- A real worker refuses a template that does not hash to the digest
  beside it (CHUNK_FAILED naming the digest) and keeps nothing of it: a
  later CHUNK naming either digest without a template gets TEMPLATE_MISS.
  Here the test plays the ventilator, with the ventilator's keys.

SPDX-License-Identifier: MPL-2.0
"""
import hashlib
import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import peers  # noqa: E402
from pipeline import (WORKER, Pipeline, assert_marker_pages,  # noqa: E402
                      check_pdf, free_port, marker_job)

zmq = peers.require_zmq()
import zmq.auth  # noqa: E402

JOB_TIMEOUT_S = 120
RECV_TIMEOUT_MS = 20000
CHUNK_LINE = re.compile(r"job=(\w+) chunk=(\d+) attempt=(\d+) pages \S+ to "
                        r"worker=\S+ template_bytes=(\d+)")


def chunk_lines(pipe, job_id):
    """(chunk, attempt, template bytes) of every CHUNK the ventilator sent
    for job_id, from its debug log."""
    return [(int(m.group(2)), int(m.group(3)), int(m.group(4)))
            for m in CHUNK_LINE.finditer(pipe.logs_of("ventilator"))
            if m.group(1) == job_id]


class DigestWorker:
    """A worker of our own that keeps templates by digest as pdfpipe-worker
    does: it checks a template against its digest, answers a CHUNK without
    a template it lacks with TEMPLATE_MISS, and renders with
    peers.simple_pdf. restart() drops its connection and its templates and
    comes back under the same routing id."""

    def __init__(self, pipe, identity):
        self.pipe = pipe
        self.identity = identity
        self.context = zmq.Context()
        self.sink = self.context.socket(zmq.PUSH)
        self.sink.setsockopt(zmq.LINGER, 5000)
        peers.curve_client(self.sink, pipe.keys, "worker", "sink")
        self.sink.connect(pipe.results)
        self.dealer = None
        self.templates = {}
        self.misses = []
        self.connect()

    def connect(self):
        self.dealer = self.context.socket(zmq.DEALER)
        self.dealer.setsockopt(zmq.IDENTITY, self.identity)
        self.dealer.setsockopt(zmq.LINGER, 0)
        peers.curve_client(self.dealer, self.pipe.keys, "worker", "ventilator")
        self.dealer.connect(self.pipe.dispatch)
        self.dealer.send_multipart(peers.message("READY", peers.u32(1)))

    def restart(self):
        self.dealer.close()
        self.templates = {}
        self.connect()

    def serve_one(self, ready=True):
        """Take one CHUNK and answer it, then ask for the next one unless
        ready is false; returns its fields."""
        if not self.dealer.poll(RECV_TIMEOUT_MS):
            raise AssertionError("no CHUNK within %d ms" % RECV_TIMEOUT_MS)
        chunk = peers.chunk_fields(self.dealer.recv_multipart())
        ids = (chunk["job_id"], peers.u32(chunk["chunk_nbr"]),
               peers.u32(chunk["attempt"]))
        if chunk["template"]:
            digest = hashlib.sha256(chunk["template"].encode()).digest()
            assert digest == chunk["digest"], "template and digest differ"
            self.templates[digest] = chunk["template"]
        if chunk["digest"] not in self.templates:
            self.misses.append(chunk["chunk_nbr"])
            self.dealer.send_multipart(peers.message(
                "TEMPLATE_MISS", *ids, chunk["digest"]))
        else:
            self.sink.send_multipart(peers.message(
                "RESULT", *ids, peers.u32(chunk["first_page"]),
                peers.u32(chunk["page_count"]),
                peers.u32(chunk["total_pages"]),
                peers.u32(chunk["chunk_count"]), self.render(chunk)))
        if ready:
            self.dealer.send_multipart(peers.message("READY", peers.u32(1)))
        return chunk

    @staticmethod
    def render(chunk):
        records = json.loads(chunk["records"])
        total = chunk["total_pages"]
        return peers.simple_pdf([
            [record["marker"], "Page %d of %d" % (chunk["first_page"] + k,
                                                  total)]
            for k, record in enumerate(records)])

    def close(self):
        self.dealer.close()
        self.sink.close()
        self.context.term()


class TemplateOnceTest(unittest.TestCase):
    def test_ten_chunks_one_worker_send_the_template_once(self):
        with Pipeline(workers=1, ventilator_args=["-v"]) as pipe:
            job_id = pipe.submit(marker_job(100, chunk_pages=10))
            status = pipe.wait(job_id, timeout=JOB_TIMEOUT_S)
            self.assertEqual(status["state"], "done", status)
            sent = chunk_lines(pipe, job_id)
            self.assertEqual(sorted(c for c, _, _ in sent), list(range(10)))
            with_template = [(c, size) for c, _, size in sent if size]
            self.assertEqual(len(with_template), 1, sent)
            self.assertEqual(with_template[0][0], 0)
            self.assertGreater(with_template[0][1], 100)
            with tempfile.TemporaryDirectory() as workdir:
                assert_marker_pages(check_pdf(pipe.result(job_id), workdir),
                                    100)

    def test_real_worker_killed_mid_job_its_successor_gets_the_template(self):
        # A pdfpipe-worker that restarts comes back under a new routing
        # id: the ventilator knows it has nothing and sends the template
        # with its first chunk, no TEMPLATE_MISS needed.
        with Pipeline(workers=1, ventilator_args=["-v"]) as pipe:
            job_id = pipe.submit(marker_job(6000, chunk_pages=100))
            pipe.wait_log(r"rendered in", proc=pipe.workers[0],
                          what="the first worker's first chunk")
            pipe.kill(pipe.workers[0])
            if pipe.status(job_id)["state"] != "rendering":
                self.skipTest("the job ended before the worker was killed")
            pipe.add_worker()
            status = pipe.wait(job_id, timeout=JOB_TIMEOUT_S)
            self.assertEqual(status["state"], "done", status)
            sent = chunk_lines(pipe, job_id)
            self.assertEqual(len([1 for _, _, size in sent if size]), 2, sent)
            self.assertNotIn("lacks the template", pipe.logs_of("ventilator"))
            with tempfile.TemporaryDirectory() as workdir:
                assert_marker_pages(check_pdf(pipe.result(job_id), workdir),
                                    6000)

    def test_worker_restarted_mid_job_gets_the_template_again(self):
        with Pipeline(workers=0, ventilator_args=["-v"]) as pipe:
            job_id = pipe.submit(marker_job(60, chunk_pages=10))
            worker = DigestWorker(pipe, b"digest-worker")
            try:
                #  The last one asks for no more, so that no CHUNK is on its
                #  way to the connection the restart drops.
                served = [worker.serve_one(ready=k < 2) for k in range(3)]
                self.assertTrue(served[0]["template"])
                self.assertFalse(served[1]["template"])
                self.assertEqual(worker.misses, [])
                worker.restart()
                after = worker.serve_one()
                self.assertFalse(after["template"])
                self.assertEqual(worker.misses, [after["chunk_nbr"]])
                #  Until the job is done: the chunk comes back with it.
                while pipe.status(job_id)["state"] not in ("done", "failed"):
                    if worker.dealer.poll(200):
                        worker.serve_one()
                status = pipe.wait(job_id, timeout=JOB_TIMEOUT_S)
            finally:
                worker.close()
            self.assertEqual(status["state"], "done", status)
            sent = chunk_lines(pipe, job_id)
            missed = [(a, size) for c, a, size in sent
                      if c == after["chunk_nbr"]]
            self.assertEqual(len(missed), 2, sent)
            self.assertEqual(missed[0][1], 0)
            self.assertGreater(missed[1][1], 0)
            self.assertEqual(missed[1][0], missed[0][0] + 1)
            self.assertIn("lacks the template", pipe.logs_of("ventilator"))
            with tempfile.TemporaryDirectory() as workdir:
                assert_marker_pages(check_pdf(pipe.result(job_id), workdir),
                                    60)

    def test_worker_refuses_a_template_under_another_digest(self):
        with Pipeline(workers=0) as pipe:
            context = zmq.Context()
            router = context.socket(zmq.ROUTER)
            router.setsockopt(zmq.LINGER, 0)
            public, secret = zmq.auth.load_certificate(
                pipe.keys.secret("ventilator"))
            router.curve_server = True
            router.curve_publickey = public
            router.curve_secretkey = secret
            endpoint = "tcp://127.0.0.1:%d" % free_port()
            router.bind(endpoint)
            pipe._spawn("worker forged", [
                WORKER, "--ventilator", endpoint, "--sink", pipe.results,
                "--name", "forged"] + pipe.keys.worker_args("worker"),
                ready=r"\bstarted\b")
            try:
                self.check_forged_digest(router)
            finally:
                router.close()
                context.term()

    def check_forged_digest(self, router):
        def recv(command):
            while True:
                if not router.poll(RECV_TIMEOUT_MS):
                    raise AssertionError("no %s within %d ms" % (
                        command, RECV_TIMEOUT_MS))
                frames = router.recv_multipart()
                if frames[2] != b"HEARTBEAT":
                    self.assertEqual(frames[1:3],
                                     [peers.SIGNATURE, command.encode()])
                    return frames[0], frames[3:]

        template = json.dumps({"elements": [
            {"type": "text", "text": "{{marker}}", "x": 50, "y": 700,
             "font": "Helvetica", "size": 12}]}).encode()
        forged = template.replace(b"{{marker}}", b"FORGED {{marker}}")
        digest = hashlib.sha256(template).digest()
        forged_digest = hashlib.sha256(forged).digest()

        def chunk(worker, nbr, text, named):
            router.send_multipart([worker] + peers.message(
                "CHUNK", "forgedjob", peers.u32(nbr), peers.u32(1),
                peers.u32(nbr + 1), peers.u32(1), peers.u32(10),
                peers.u32(10), named, text,
                json.dumps([{"marker": "M%d" % nbr}])))

        worker, _ = recv("READY")
        chunk(worker, 0, forged, digest)
        _, fields = recv("CHUNK_FAILED")
        self.assertIn(b"template: does not match its digest "
                      + digest.hex().encode(), fields[3])
        recv("READY")
        for nbr, named in ((1, digest), (2, forged_digest)):
            chunk(worker, nbr, b"", named)
            _, fields = recv("TEMPLATE_MISS")
            self.assertEqual(peers.get_u32(fields[1]), nbr)
            self.assertEqual(fields[3], named)
            recv("READY")
        #  The genuine template is kept, and then no longer asked for.
        chunk(worker, 3, template, digest)
        recv("READY")
        chunk(worker, 4, b"", digest)
        recv("READY")


if __name__ == "__main__":
    unittest.main()
