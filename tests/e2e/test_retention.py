"""End to end: ended jobs are deleted after their retention period, the job
store's file shrinks when they go, a full job store refuses new
submissions with 507 until it has room again, and a sink whose spool is
over its quota takes no new job, saying why.

The attack this answers: 1,000,000 empty records with chunk_pages 1 grew
jobs.db by 100 MB, with no quota and no retention. Here a smaller job of
the same shape (one chunk row per record) is enough to pass a 1 MiB quota.

SPDX-License-Identifier: MPL-2.0
"""
import os
import sqlite3
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import Pipeline, marker_job  # noqa: E402
from runner import group  # noqa: E402
from s3server import BUCKET, missing, start  # noqa: E402
from test_s3 import environment  # noqa: E402

# Records of a job of one chunk per record: about 60 bytes of jobs.db each.
MANY_CHUNKS = 40000


def many_chunks_job(records=MANY_CHUNKS):
    """The attack's shape: empty records, one page per chunk."""
    return {
        "version": 1,
        "chunk_pages": 1,
        "template": {"page": {"size": "A4"}, "elements": [
            {"type": "text", "text": "x", "x": 50, "y": 780,
             "font": "Helvetica", "size": 9}]},
        "records": [{} for _ in range(records)],
    }


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("gave up waiting for " + what)


class RetentionTest(unittest.TestCase):
    def db_path(self, pipe):
        return os.path.join(pipe.dir, "ventilator", "jobs.db")

    def db_bytes(self, pipe):
        path = self.db_path(pipe)
        return sum(os.path.getsize(path + suffix) for suffix in ("", "-wal")
                   if os.path.exists(path + suffix))

    def rows(self, pipe, job_id):
        """The job's rows in jobs.db: jobs, chunks, transitions."""
        db = sqlite3.connect("file:%s?mode=ro" % self.db_path(pipe),
                             uri=True)
        try:
            return tuple(db.execute(
                "SELECT count(*) FROM %s WHERE %s = ?" % (table, column),
                (job_id,)).fetchone()[0]
                for table, column in (("jobs", "id"), ("chunks", "job_id"),
                                      ("transitions", "job_id")))
        finally:
            db.close()

    def test_an_ended_job_and_its_result_are_deleted(self):
        with Pipeline(workers=1,
                      ventilator_args=["--retention-s", "2"]) as pipe:
            job_id = pipe.submit(marker_job(4, chunk_pages=2))
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            result = os.path.join(pipe.dir, "out", job_id, job_id + ".pdf")
            self.assertTrue(os.path.exists(result))
            self.assertEqual(self.rows(pipe, job_id)[:2], (1, 2))
            wait_until(lambda: pipe.request(
                "GET", "/v1/jobs/" + job_id).status == 404, 60,
                "the job to be deleted")
            self.assertFalse(os.path.exists(result))
            # And the job's directory in the store with it.
            self.assertFalse(os.path.exists(os.path.dirname(result)))
            self.assertEqual(self.rows(pipe, job_id), (0, 0, 0))
            self.assertEqual(pipe.request(
                "GET", "/v1/jobs/%s/result" % job_id).status, 404)
            pipe.wait_log(r"job=%s deleted: ended more than 2 s ago" % job_id,
                          name="ventilator")

    def test_a_running_job_is_kept(self):
        # Retention counts from the end: a job still queued (no worker)
        # outlives many retention periods.
        with Pipeline(workers=0,
                      ventilator_args=["--retention-s", "1"]) as pipe:
            queued = pipe.submit(marker_job(2))
            ended = pipe.submit(marker_job(2))
            self.assertEqual(pipe.request(
                "DELETE", "/v1/jobs/" + ended).status, 200)
            wait_until(lambda: pipe.request(
                "GET", "/v1/jobs/" + ended).status == 404, 60,
                "the cancelled job to be deleted")
            self.assertEqual(pipe.status(queued)["state"], "queued")
            self.assertEqual(self.rows(pipe, queued)[0], 1)

    def test_the_job_store_shrinks_when_jobs_go(self):
        with Pipeline(workers=0,
                      ventilator_args=["--retention-s", "1"]) as pipe:
            empty = self.db_bytes(pipe)
            job_id = pipe.submit(many_chunks_job())
            grown = self.db_bytes(pipe)
            self.assertGreater(grown - empty, 1024 * 1024,
                               "%d -> %d bytes" % (empty, grown))
            self.assertEqual(self.rows(pipe, job_id)[1], MANY_CHUNKS)
            pipe.request("DELETE", "/v1/jobs/" + job_id)
            wait_until(lambda: pipe.request(
                "GET", "/v1/jobs/" + job_id).status == 404, 60,
                "the job to be deleted")
            wait_until(lambda: self.db_bytes(pipe) < grown / 4, 30,
                       "jobs.db to shrink from %d bytes (now %d)" % (
                           grown, self.db_bytes(pipe)))

    def test_a_full_job_store_refuses_submissions_until_it_has_room(self):
        with Pipeline(workers=0, ventilator_args=[
                "--max-jobstore-mb", "1", "--retention-s", "1"]) as pipe:
            big = pipe.submit(many_chunks_job())
            self.assertGreater(self.db_bytes(pipe), 1024 * 1024)
            resp = pipe.request("POST", "/v1/jobs", marker_job(2))
            self.assertEqual(resp.status, 507, resp.body[:300])
            message = resp.json()["error"]["message"]
            self.assertIn("the job store is full", message)
            self.assertIn("--max-jobstore-mb", message)
            # What is there is still served.
            self.assertEqual(pipe.status(big)["state"], "queued")
            # Once the big job has ended and gone, there is room again.
            pipe.request("DELETE", "/v1/jobs/" + big)
            wait_until(lambda: pipe.request(
                "POST", "/v1/jobs", marker_job(2)).status == 202, 60,
                "submissions to be accepted again")


    def test_a_full_spool_refuses_new_jobs_and_says_why(self):
        with Pipeline(workers=1, sink_args=["--max-spool-mb", "1"]) as pipe:
            # What other jobs' chunks would hold: 2 MiB in the spool.
            filler = os.path.join(pipe.dir, "spool", "filler")
            with open(filler, "wb") as f:
                f.write(bytes(2 * 1024 * 1024))
            job_id = pipe.submit(marker_job(4, chunk_pages=2))
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "failed", status)
            self.assertIn("--max-spool-mb", status["error"])
            self.assertIn("over its quota of 1 MiB", status["error"])
            self.assertIsNone(pipe.sink.poll())
            self.assertIsNone(pipe.workers[0].poll())
            # With room again, jobs go through.
            os.unlink(filler)
            done = []

            def renders():
                job = pipe.submit(marker_job(2))
                done.append(pipe.wait(job, timeout=120)["state"])
                return done[-1] == "done"
            wait_until(renders, 60, "a job to render once the spool has room")


@group("s3")
@unittest.skipIf(missing(), "no S3 server to test against: %s" % missing())
class S3RetentionTest(unittest.TestCase):
    def test_the_result_leaves_the_bucket_with_its_job(self):
        with tempfile.TemporaryDirectory(prefix="pdfpipe-s3-server-") as logs:
            server = start(logs)
            try:
                server.empty_bucket()
                with environment(server.environment()), Pipeline(
                        workers=1, store="s3://%s/results" % BUCKET,
                        ventilator_args=["--retention-s", "2"]) as pipe:
                    job_id = pipe.submit(marker_job(3))
                    status = pipe.wait(job_id, timeout=120)
                    self.assertEqual(status["state"], "done",
                                     pipe.log_tail())
                    key = "results/%s/%s.pdf" % (job_id, job_id)
                    self.assertEqual(server.objects(), [key])
                    wait_until(lambda: pipe.request(
                        "GET", "/v1/jobs/" + job_id).status == 404, 60,
                        "the job to be deleted")
                    self.assertEqual(server.objects(), [])
            finally:
                server.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
