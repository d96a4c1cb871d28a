"""Security: a forged JOB_DONE on the ventilator's events endpoint changes
nothing, and a result's location never comes from a message.

The attack: `[PDFPIPE/1, JOB_DONE, <job id>, <size>, "file:///etc/passwd"]`
pushed to the events endpoint, which once made GET /v1/jobs/{id}/result
serve /etc/passwd (and an s3:// location of another bucket got a 302 to a
presigned URL for it). Sent with no key and with a worker's key, it must be
refused; even with the sink's own key (a stolen server key) the location it
names is not believed.

SPDX-License-Identifier: MPL-2.0
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import attack  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)

FORGED_LOCATIONS = ("file:///etc/passwd", "s3://other-bucket/secret.pdf")


class ForgedEventsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-check-")

    def tearDown(self):
        self.tmp.cleanup()

    def _forge(self, key, expected_line):
        with Pipeline(workers=0) as pipe:
            job_id = pipe.submit(marker_job(20, chunk_pages=10))
            with attack.Attacker(pipe, key) as attacker:
                events = attacker.to_events()
                for location in FORGED_LOCATIONS:
                    events.socket.send_multipart(
                        attack.job_done(job_id, 1234, location))
                # Either the forgery took (the job is no longer queued) or
                # the ventilator said why it refused it.
                attack.soft_wait(
                    lambda: pipe.status(job_id)["state"] != "queued"
                    or expected_line in pipe.logs_of("ventilator"), 30)
            status = pipe.status(job_id)
            self.assertEqual(status["state"], "queued",
                             "a forged JOB_DONE moved the job: %s" % status)
            resp = pipe.request("GET", "/v1/jobs/%s/result" % job_id)
            self.assertEqual(resp.status, 409, resp.body[:200])
            self.assertNotIn(b"root:", resp.body)
            self.assertIn(expected_line, pipe.logs_of("ventilator"))

            # The job then finishes normally, from the real sink's report.
            pipe.add_worker()
            status = pipe.wait(job_id, timeout=60)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            body = pipe.result(job_id)
            self.assertNotIn(b"root:", body)
            assert_marker_pages(check_pdf(body, self.tmp.name), 20)

    def test_job_done_without_a_key_is_refused(self):
        self._forge(None, "refused a connection on events")

    def test_job_done_with_a_workers_key_is_refused(self):
        self._forge("worker", "refused JOB_DONE from key=")

    def test_job_done_with_the_sinks_key_cannot_name_the_location(self):
        # Whoever holds the sink's key still cannot point a result at a
        # file or bucket of their choosing.
        self._forge("sink", "ignored JOB_DONE naming")


if __name__ == "__main__":
    unittest.main(verbosity=2)
