"""Security: only the ventilator may send QUERY, CANCEL and OUTPUT to the
sink.

The attacks: QUERY or CANCEL for a job, pushed to the sink's results
endpoint by anyone. A QUERY about a job the sink holds nothing of yet made
it answer JOB_FAILED ("the sink has no record of the job"), and a CANCEL
made it drop the job's chunks, so the job failed either way. Sent with no
key and with a worker's key (which may send RESULT there, and nothing
else), the job must finish as if nothing happened.

SPDX-License-Identifier: MPL-2.0
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import attack  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import peers  # noqa: E402
from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)

# A chunk lost to a forged CANCEL fails its job after two short deadlines
# rather than the default four long ones.
VENTILATOR_ARGS = ["--deadline-ms", "5000", "--deadline-per-page-ms", "0",
                   "--max-attempts", "2"]


class ControlTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-check-")

    def tearDown(self):
        self.tmp.cleanup()

    def _control(self, key, command, expected_line):
        with Pipeline(workers=0, ventilator_args=VENTILATOR_ARGS) as pipe, \
                attack.Attacker(pipe, key) as attacker:
            job_id = pipe.submit(marker_job(30, chunk_pages=10))
            results = attacker.to_results()
            results.socket.send_multipart(peers.message(command, job_id))
            attack.soft_wait(
                lambda: expected_line in pipe.logs_of("sink")
                or pipe.status(job_id)["state"] != "queued", 30)
            pipe.add_worker()
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "done",
                             "%s\n%s" % (status, pipe.log_tail()))
            assert_marker_pages(check_pdf(pipe.result(job_id),
                                          self.tmp.name), 30)
            self.assertIn(expected_line, pipe.logs_of("sink"))

    def test_query_without_a_key_is_refused(self):
        self._control(None, "QUERY", "refused a connection on results")

    def test_cancel_without_a_key_is_refused(self):
        self._control(None, "CANCEL", "refused a connection on results")

    def test_query_with_a_workers_key_is_ignored(self):
        self._control("worker", "QUERY", "refused QUERY from key=")

    def test_cancel_with_a_workers_key_is_ignored(self):
        self._control("worker", "CANCEL", "refused CANCEL from key=")


if __name__ == "__main__":
    unittest.main(verbosity=2)
