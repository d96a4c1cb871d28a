"""End to end: GET /v1/jobs/{id}?wait_s=N waits for the job to change.

A pipeline with tokens and no worker at first, so that a job stays queued
for as long as the test wants: a waiting request comes back with the
current status when its wait is over, and with the new one as soon as the
job changes (a worker is added); asked again with `since` each time, it
follows the job to `done`. Waiters are capped (--http-waiters): the one
beyond gets 503 while the others wait, and those are all answered once
the job moves. Bad wait_s and since get 400 naming the field; another
token's job is 404, no token 401. The CLI's `submit -o` follows the job
with the same requests.

SPDX-License-Identifier: MPL-2.0
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import (CLI, Pipeline, assert_marker_pages,  # noqa: E402
                      check_pdf, marker_job)

WAITERS = 2
UNKNOWN_ID = "0123456789abcdef0123456789abcdef"


def seen(status):
    return "%s:%d" % (status["state"], status["chunks"]["done"])


class StatusWaitTest(unittest.TestCase):
    def setUp(self):
        self.pipe = Pipeline(workers=0, tokens=["other"],
                             ventilator_args=["--http-waiters",
                                              str(WAITERS)])
        self.other = self.pipe.tokens.tokens["other"]

    def tearDown(self):
        self.pipe.close()

    def wait_request(self, job_id, query, token=True):
        return self.pipe.request("GET", "/v1/jobs/%s?%s" % (job_id, query),
                                 token=token)

    def test_wait_follows_the_job_to_done(self):
        job_id = self.pipe.submit(marker_job(6, chunk_pages=2))
        # No worker: nothing changes, so the wait runs out and the answer
        # is the status as it is.
        resp = self.wait_request(job_id, "wait_s=1&since=queued:0")
        self.assertEqual(resp.status, 200, resp.body[:300])
        self.assertEqual(seen(resp.json()), "queued:0")

        # A worker arrives while a request waits: it is answered with the
        # job's next status, then each request with since the last status
        # is answered with a newer one, until the job ends.
        answers = []

        def follow():
            since = "queued:0"
            for _ in range(20):
                resp = self.wait_request(job_id,
                                         "wait_s=20&since=" + since)
                answers.append((since, resp.status, resp.json()))
                if resp.status != 200 or resp.json()["state"] in (
                        "done", "failed", "cancelled"):
                    return
                since = seen(resp.json())

        follower = threading.Thread(target=follow)
        follower.start()
        self.pipe.add_worker()
        follower.join(timeout=120)
        self.assertFalse(follower.is_alive())
        self.assertTrue(answers)
        for since, status, body in answers:
            self.assertEqual(status, 200, body)
            # Never the status the client has already, unless the wait ran
            # out (20 s: far more than a six-page job takes here).
            self.assertNotEqual(seen(body), since, answers)
        final = answers[-1][2]
        self.assertEqual(final["state"], "done", answers)
        self.assertEqual(final["chunks"], {"done": 3, "total": 3})
        self.assertEqual(final["pages"], {"done": 6, "total": 6})
        self.assertEqual(final["result"]["url"],
                         "/v1/jobs/%s/result" % job_id)

        # A job that has ended is answered at once, whatever since says.
        resp = self.wait_request(job_id, "wait_s=20&since=done:3")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.json()["state"], "done")
        # And without since the answer is the status as it is.
        resp = self.wait_request(job_id, "wait_s=20")
        self.assertEqual(resp.json()["state"], "done")

    def test_waiters_are_capped_and_all_woken(self):
        job_id = self.pipe.submit(marker_job(2))
        results = []

        def waiter():
            # Refused while a probe below holds a place: ask again.
            for _ in range(200):
                resp = self.wait_request(job_id, "wait_s=20&since=queued:0")
                if resp.status != 503:
                    break
                time.sleep(0.1)
            results.append((resp.status, resp.json()))

        threads = [threading.Thread(target=waiter) for _ in range(WAITERS)]
        for thread in threads:
            thread.start()
        # Once both wait, one more is refused; until they are in, a probe
        # may still be taken (and is then answered after its one second).
        refused = None
        for _ in range(100):
            resp = self.wait_request(job_id, "wait_s=1&since=queued:0")
            if resp.status == 503:
                refused = resp
                break
            self.assertEqual(resp.status, 200, resp.body[:300])
            self.assertEqual(seen(resp.json()), "queued:0")
            time.sleep(0.1)
        self.assertIsNotNone(refused, "no waiter was refused")
        self.assertIn("--http-waiters",
                      refused.json()["error"]["message"])
        self.assertEqual(refused.headers.get("Retry-After"), "5")
        # A status without wait_s is still answered.
        self.assertEqual(self.pipe.status(job_id)["state"], "queued")

        self.pipe.add_worker()
        for thread in threads:
            thread.join(timeout=60)
            self.assertFalse(thread.is_alive())
        self.assertEqual(len(results), WAITERS)
        for status, body in results:
            self.assertEqual(status, 200, body)
            self.assertNotEqual(seen(body), "queued:0")
        self.pipe.wait(job_id, timeout=60)

    def test_bad_queries_tokens_and_owners(self):
        job_id = self.pipe.submit(marker_job(2))
        for query in ("wait_s=abc", "wait_s=-1", "wait_s=31", "wait_s=",
                      "wait_s=1e3", "wait_s=9999", "since=queued:0"):
            resp = self.wait_request(job_id, query)
            self.assertEqual(resp.status, 400, (query, resp.body[:300]))
            error = resp.json()["error"]
            self.assertEqual(error["field"], "wait_s", query)
            self.assertIn("from 0 to 30", error["message"])
        for since in ("queued", "queued:", "queued:x", "sleeping:0",
                      ":0", "queued:0:1", "x" * 100 + ":0"):
            resp = self.wait_request(job_id, "wait_s=1&since=" + since)
            self.assertEqual(resp.status, 400, (since, resp.body[:300]))
            self.assertEqual(resp.json()["error"]["field"], "since", since)

        resp = self.wait_request(job_id, "wait_s=1", token=None)
        self.assertEqual(resp.status, 401)
        # Another token's job does not exist for it, waiting or not.
        resp = self.wait_request(job_id, "wait_s=1&since=queued:0",
                                 token=self.other)
        self.assertEqual(resp.status, 404, resp.body[:300])
        self.assertNotIn("queued", resp.body.decode())
        resp = self.wait_request(UNKNOWN_ID, "wait_s=1")
        self.assertEqual(resp.status, 404)
        # wait_s=0 is a plain status request.
        resp = self.wait_request(job_id, "wait_s=0")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.json()["state"], "queued")

    def test_cli_follows_the_job_and_downloads(self):
        self.pipe.add_worker()
        with tempfile.TemporaryDirectory(prefix="pdfpipe-check-") as tmp:
            job = os.path.join(tmp, "job.json")
            with open(job, "w") as f:
                json.dump(marker_job(8, chunk_pages=2), f)
            output = os.path.join(tmp, "out.pdf")
            env = dict(os.environ, PDFPIPE_TOKEN=self.pipe.token)
            run = subprocess.run(
                [CLI, "--url", self.pipe.url, "submit", job, "-o", output],
                capture_output=True, text=True, env=env, timeout=120)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(run.stdout.strip().splitlines()[-1], output)
            with open(output, "rb") as f:
                pages = check_pdf(f.read(), tmp)
            assert_marker_pages(pages, 8)


if __name__ == "__main__":
    unittest.main()
