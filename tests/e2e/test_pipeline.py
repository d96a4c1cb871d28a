"""End-to-end: the real ventilator, sink and workers on loopback.

SPDX-License-Identifier: MPL-2.0
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import (CLI, Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)


class PipelineTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-check-")

    def tearDown(self):
        self.tmp.cleanup()

    def test_2000_pages_3_workers_100_page_chunks(self):
        with Pipeline(workers=3) as pipe:
            job_id = pipe.submit(marker_job(2000, chunk_pages=100))
            status = pipe.wait(job_id)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            self.assertEqual(status["pages"], {"done": 2000, "total": 2000})
            self.assertEqual(status["chunks"], {"done": 20, "total": 20})
            for state in ("queued", "rendering", "merging", "storing", "done"):
                self.assertIn(state, status["transitions"])
            pages = check_pdf(pipe.result(job_id), self.tmp.name)
            assert_marker_pages(pages, 2000)
            self.assertIn("Customer Customer 1234", pages[1233])

    def test_one_page_job(self):
        with Pipeline(workers=1) as pipe:
            job_id = pipe.submit(marker_job(1))
            status = pipe.wait(job_id)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            pages = check_pdf(pipe.result(job_id), self.tmp.name)
            assert_marker_pages(pages, 1)

    def test_chunk_larger_than_job_and_exact_multiple(self):
        with Pipeline(workers=2) as pipe:
            small = pipe.submit(marker_job(30, chunk_pages=100))
            exact = pipe.submit(marker_job(60, chunk_pages=20))
            for job_id, total, chunks in ((small, 30, 1), (exact, 60, 3)):
                status = pipe.wait(job_id)
                self.assertEqual(status["state"], "done", pipe.log_tail())
                self.assertEqual(status["chunks"]["total"], chunks)
                assert_marker_pages(check_pdf(pipe.result(job_id),
                                              self.tmp.name), total)

    def test_worker_started_after_submit_picks_up_work(self):
        with Pipeline(workers=0, ventilator_args=["--verbose"]) as pipe:
            job_id = pipe.submit(marker_job(300, chunk_pages=50))
            # Once the loop has taken the job up and found no worker to
            # give it to, it waits.
            pipe.wait_log(r"job=%s scheduled: 300 pages in 6 chunks" % job_id,
                          name="ventilator", what="the job being scheduled")
            status = pipe.status(job_id)
            self.assertEqual(status["state"], "queued")
            self.assertEqual(status["chunks"], {"done": 0, "total": 6})
            pipe.add_worker()
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            assert_marker_pages(check_pdf(pipe.result(job_id), self.tmp.name),
                                300)

    def test_cancelled_job_stops(self):
        with Pipeline(workers=1) as pipe:
            job_id = pipe.submit(marker_job(20000, chunk_pages=100))
            pipe.wait(job_id, states=("rendering",), timeout=60)
            resp = pipe.request("DELETE", "/v1/jobs/" + job_id)
            self.assertEqual(resp.status, 200, resp.body)
            self.assertEqual(resp.json()["state"], "cancelled")
            pipe.wait_log(r"job=%s cancelled: chunks removed" % job_id,
                          name="sink", what="the sink dropping the job")
            # The one worker renders in order, and its results reach the
            # sink, and the sink's reports the ventilator, in order: once
            # a job submitted after the cancel is done, whatever was in
            # flight for the cancelled one has been counted. A second such
            # job shows that nothing more is.
            counts = []
            for _ in range(2):
                other = pipe.submit(marker_job(10))
                self.assertEqual(pipe.wait(other)["state"], "done")
                status = pipe.status(job_id)
                self.assertEqual(status["state"], "cancelled")
                counts.append(status["chunks"]["done"])
            self.assertEqual(counts[0], counts[1])
            self.assertLess(counts[1], 200)
            rendered = re.findall(r"job=%s chunk=(\d+) " % job_id,
                                  pipe.logs_of("worker"))
            self.assertLess(len(rendered), 200)
            resp = pipe.request("GET", "/v1/jobs/%s/result" % job_id)
            self.assertEqual(resp.status, 409)
            resp = pipe.request("DELETE", "/v1/jobs/" + job_id)
            self.assertEqual(resp.status, 409)

    def test_invalid_job_gets_400_naming_the_field(self):
        with Pipeline(workers=0) as pipe:
            job = marker_job(3)
            job["template"]["elements"][1]["font"] = "Comic-Sans"
            resp = pipe.request("POST", "/v1/jobs", job)
            self.assertEqual(resp.status, 400)
            error = resp.json()["error"]
            self.assertEqual(error["field"], "template.elements[1].font")
            self.assertIn("Comic-Sans", error["message"])

            job = marker_job(3)
            del job["records"][2]["customer"]
            resp = pipe.request("POST", "/v1/jobs", job)
            self.assertEqual(resp.status, 400)
            self.assertIn("records[2]", resp.json()["error"]["field"])

            resp = pipe.request("POST", "/v1/jobs", "{\"version\": 1,")
            self.assertEqual(resp.status, 400)
            self.assertIn("JSON", resp.json()["error"]["message"])
            self.assertEqual(pipe.request("GET", "/healthz").status, 200)

    def test_unknown_job_is_404(self):
        with Pipeline(workers=0) as pipe:
            for path in ("/v1/jobs/0123456789abcdef0123456789abcdef",
                         "/v1/jobs/0123456789abcdef0123456789abcdef/result",
                         "/v1/jobs/..%2f..%2fetc"):
                self.assertEqual(pipe.request("GET", path).status, 404, path)

    def test_cli_submit_wait_writes_the_pdf(self):
        with Pipeline(workers=2) as pipe:
            job_path = os.path.join(self.tmp.name, "job.json")
            out_path = os.path.join(self.tmp.name, "out.pdf")
            import json
            with open(job_path, "w") as f:
                json.dump(marker_job(120, chunk_pages=25), f)
            env = dict(os.environ, PDFPIPE_URL=pipe.url)
            run = subprocess.run([CLI, "submit", job_path, "--wait", "-o",
                                  out_path], env=env, capture_output=True,
                                 text=True, timeout=120)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(run.stdout.strip().splitlines()[-1], out_path)
            with open(out_path, "rb") as f:
                assert_marker_pages(check_pdf(f.read(), self.tmp.name), 120)

            bad_path = os.path.join(self.tmp.name, "bad.json")
            with open(bad_path, "w") as f:
                f.write('{"version": 2}')
            run = subprocess.run([CLI, "submit", bad_path], env=env,
                                 capture_output=True, text=True, timeout=60)
            self.assertNotEqual(run.returncode, 0)
            self.assertIn("version", run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
