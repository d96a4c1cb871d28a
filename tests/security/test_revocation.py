"""Security: removing a worker's certificate from the allowed directory
revokes it, also on the connection it already has.

ZeroMQ checks a key once, when a connection is made; a worker connected
before its certificate was removed keeps its connection. The ventilator and
the sink check the key of every message against the directory (re-read
about once a heartbeat), so the revoked worker stops getting chunks at its
next heartbeat, and a new connection with its key is refused outright.

SPDX-License-Identifier: MPL-2.0
"""
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import attack  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)


class RevocationTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-check-")

    def tearDown(self):
        self.tmp.cleanup()

    def test_removed_worker_key_gets_no_more_chunks(self):
        with Pipeline(workers=0) as pipe:
            for name in ("alpha", "beta"):
                pipe.keys.make(name)
                pipe.keys.allow(name)
            # Alpha alone first: it is connected and served.
            alpha = pipe.add_worker(cert="alpha")
            first = pipe.submit(marker_job(20, chunk_pages=10))
            self.assertEqual(pipe.wait(first, timeout=60)["state"], "done")
            self.assertIn("job=%s chunk=" % first, pipe.worker_logs()[0])
            pipe.add_worker(cert="beta")

            pipe.keys.revoke("alpha")
            alpha_key = pipe.keys.public_text("alpha")
            attack.wait_for(
                lambda: re.search(r"refused (READY|HEARTBEAT) from key=%s"
                                  % re.escape(alpha_key),
                                  pipe.logs_of("ventilator")), 30,
                "the ventilator to refuse alpha's heartbeat")
            second = pipe.submit(marker_job(200, chunk_pages=10))
            status = pipe.wait(second, timeout=60)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            assert_marker_pages(check_pdf(pipe.result(second),
                                          self.tmp.name), 200)
            alpha_log, beta_log = pipe.worker_logs()
            self.assertNotIn("job=%s" % second, alpha_log)
            self.assertEqual(
                len(set(re.findall(r"job=%s chunk=(\d+) " % second,
                                   beta_log))), 20)
            self.assertIsNone(alpha.poll())

            # Its connection is still up, but nothing it says counts; a new
            # connection with its key is refused at the handshake.
            pipe.kill(alpha)
            pipe.add_worker(cert="alpha")
            attack.wait_for(
                lambda: "refused a connection on dispatch"
                in pipe.logs_of("ventilator"), 30,
                "the ventilator to refuse alpha's new connection")

    def test_worker_refused_exits_and_is_let_in_once_allowed(self):
        with Pipeline(workers=0) as pipe:
            pipe.keys.make("alpha")
            job_id = pipe.submit(marker_job(20, chunk_pages=10))
            # Not allowed yet: refused at the handshake, and the worker
            # stops rather than wait for ever.
            refused = pipe.add_worker(cert="alpha", may_exit=True)
            self.assertEqual(refused.wait(timeout=60), 1)
            self.assertIn("refused our key", pipe.worker_logs()[0])
            self.assertIn("refused a connection on dispatch",
                          pipe.logs_of("ventilator"))
            self.assertEqual(pipe.status(job_id)["state"], "queued")
            # Copying its certificate in is all it takes: no restart of
            # the ventilator or the sink.
            pipe.keys.allow("alpha")
            pipe.add_worker(cert="alpha")
            status = pipe.wait(job_id, timeout=60)
            self.assertEqual(status["state"], "done", pipe.log_tail())


if __name__ == "__main__":
    unittest.main(verbosity=2)
