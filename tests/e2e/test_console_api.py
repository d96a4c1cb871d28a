"""End-to-end: what the web console reads from the API (docs/api.md):
progress in the status document, the job list, the chunk map, the
workers, a dry run and the per-record index, on the real ventilator, sink
and workers.

SPDX-License-Identifier: MPL-2.0
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import peers  # noqa: E402
from pipeline import (SOURCE_DIR, Pipeline, marker_job,  # noqa: E402
                      parse_api_time)

SCRIPTED = [sys.executable, os.path.join(os.path.dirname(__file__),
                                         "scripted_worker.py")]


def ms(text):
    """An API time in whole milliseconds since the epoch."""
    return round(parse_api_time(text) * 1000)


class ProgressTest(unittest.TestCase):
    def test_done_job_progress_is_frozen_at_its_end(self):
        with Pipeline(workers=2) as pipe:
            job_id = pipe.submit(marker_job(400, chunk_pages=50))
            status = pipe.wait(job_id)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            at = {state: ms(text)
                  for state, text in status["transitions"].items()}
            progress = status["progress"]
            self.assertEqual(progress["phase"], "done")
            self.assertEqual(progress["eta_s"], 0)
            self.assertAlmostEqual(progress["elapsed_s"],
                                   (at["done"] - ms(status["created_at"]))
                                   / 1000.0, places=6)
            rendering_s = max(at["merging"] - at["rendering"], 1) / 1000.0
            self.assertAlmostEqual(progress["pages_per_s"],
                                   400 / rendering_s, delta=0.051)
            # Frozen: asking again later gives the same figures.
            self.assertEqual(pipe.status(job_id)["progress"], progress)

    def test_queued_job_has_no_rate_yet(self):
        with Pipeline(workers=0) as pipe:
            job_id = pipe.submit(marker_job(10))
            progress = pipe.status(job_id)["progress"]
            self.assertIn(progress["phase"], ("queued", "rendering"))
            self.assertIsNone(progress["pages_per_s"])
            self.assertIsNone(progress["eta_s"])
            self.assertGreaterEqual(progress["elapsed_s"], 0)


def newest_first(pipe, ids):
    """ids in the list's order: by created_at, then id, newest first."""
    return sorted(ids, key=lambda job_id: (
        ms(pipe.status(job_id)["created_at"]), job_id), reverse=True)


def metric(pipe, route, code):
    """pdfpipe_http_requests_total for route and code, 0 when absent."""
    text = pipe.request("GET", "/metrics").body.decode()
    prefix = 'pdfpipe_http_requests_total{route="%s",code="%d"} ' % (
        route, code)
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix):])
    return 0


class ListTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # No workers: jobs stay unfinished unless cancelled.
        cls.pipe = Pipeline(workers=0, tokens=["other"])
        cls.mine = [cls.pipe.submit(marker_job(3)) for _ in range(5)]
        cls.cancelled = cls.mine[1:3]
        for job_id in cls.cancelled:
            resp = cls.pipe.request("DELETE", "/v1/jobs/" + job_id)
            assert resp.status == 200, resp.body
        cls.other_token = cls.pipe.tokens.tokens["other"]
        resp = cls.pipe.request("POST", "/v1/jobs", marker_job(2),
                                token=cls.other_token)
        assert resp.status == 202, resp.body
        cls.theirs = resp.json()["id"]

    @classmethod
    def tearDownClass(cls):
        cls.pipe.close()

    def page(self, query, token=True):
        resp = self.pipe.request("GET", "/v1/jobs" + query, token=token)
        self.assertEqual(resp.status, 200, resp.body)
        return resp.json()

    def test_pages_walk_every_job_newest_first(self):
        seen = []
        pages = 0
        query = "?limit=2"
        while True:
            body = self.page(query)
            pages += 1
            self.assertLessEqual(len(body["jobs"]), 2)
            seen += [job["id"] for job in body["jobs"]]
            if body["next"] is None:
                break
            query = "?limit=2&before=" + body["next"]
        self.assertEqual(pages, 3)
        self.assertEqual(seen, newest_first(self.pipe, self.mine))

    def test_each_entry_is_the_status_document(self):
        body = self.page("")
        self.assertIsNone(body["next"])
        self.assertEqual(len(body["jobs"]), 5)
        first = body["jobs"][0]
        status = self.pipe.status(first["id"])
        for field in ("id", "state", "pages", "chunks", "created_at",
                      "transitions", "error", "result"):
            self.assertEqual(first[field], status[field], field)
        self.assertEqual(first["pages"]["total"], 3)
        self.assertIn("progress", first)

    def test_state_filter(self):
        body = self.page("?state=cancelled")
        self.assertEqual([job["id"] for job in body["jobs"]],
                         newest_first(self.pipe, self.cancelled))
        body = self.page("?state=queued,rendering,done")
        self.assertEqual(sorted(job["id"] for job in body["jobs"]),
                         sorted(set(self.mine) - set(self.cancelled)))
        self.assertEqual(self.page("?state=failed")["jobs"], [])

    def test_another_tokens_jobs_are_absent(self):
        body = self.page("", token=self.other_token)
        self.assertEqual([job["id"] for job in body["jobs"]], [self.theirs])
        mine = [job["id"] for job in self.page("?limit=200")["jobs"]]
        self.assertNotIn(self.theirs, mine)

    def test_without_token_is_401(self):
        resp = self.pipe.request("GET", "/v1/jobs", token=None)
        self.assertEqual(resp.status, 401)

    def test_bad_query_is_400_naming_it(self):
        for query, message in (
                ("?state=rendering,foo", "unknown state 'foo' in ?state="),
                ("?limit=0", "?limit= must be a whole number from 1 to 200, "
                             "not '0'"),
                ("?limit=201", "?limit= must be a whole number from 1 to "
                               "200, not '201'"),
                ("?limit=abc", "?limit= must be a whole number from 1 to "
                               "200, not 'abc'"),
                ("?before=12.x%27", "?before= is not a cursor this API gave "
                                    "(use the list's \"next\" as it is)")):
            resp = self.pipe.request("GET", "/v1/jobs" + query)
            self.assertEqual(resp.status, 400, query)
            self.assertEqual(resp.json(), {"error": {"message": message}},
                             query)
        self.assertEqual(self.pipe.request("GET", "/healthz").status, 200)

    def test_list_is_counted_in_metrics(self):
        before = metric(self.pipe, "/v1/jobs", 200)
        self.page("?limit=1")
        self.assertEqual(metric(self.pipe, "/v1/jobs", 200), before + 1)


def chunk_map(pipe, job_id, token=True):
    resp = pipe.request("GET", "/v1/jobs/%s/chunks" % job_id, token=token)
    assert resp.status == 200, (resp.status, resp.body)
    return resp.json()


def assert_counts_match(test, chunks):
    """The counts are the map's characters, and add up to the chunks."""
    text = chunks["map"]
    test.assertEqual(len(text), chunks["chunks"])
    counts = chunks["counts"]
    test.assertEqual(counts["waiting"], text.count("."))
    test.assertEqual(counts["rendering"], text.count("r"))
    test.assertEqual(counts["stored"], text.count("s"))
    test.assertEqual(counts["failed"], text.count("x"))
    test.assertEqual(counts["waiting"] + counts["rendering"]
                     + counts["stored"] + counts["failed"], chunks["chunks"])
    test.assertEqual(counts["retried"], len(chunks["retried"]))
    test.assertEqual(counts["rendering"], len(chunks["rendering"]))


class ChunkMapTest(unittest.TestCase):
    def test_done_job_is_all_stored(self):
        with Pipeline(workers=2) as pipe:
            job_id = pipe.submit(marker_job(400, chunk_pages=50))
            self.assertEqual(pipe.wait(job_id)["state"], "done")
            chunks = chunk_map(pipe, job_id)
            self.assertEqual(chunks, {
                "chunks": 8, "map": "ssssssss", "rendering": [],
                "retried": [],
                "counts": {"waiting": 0, "rendering": 0, "stored": 8,
                           "failed": 0, "retried": 0}})
            before = metric(pipe, "/v1/jobs/{id}/chunks", 200)
            chunk_map(pipe, job_id)
            self.assertEqual(metric(pipe, "/v1/jobs/{id}/chunks", 200),
                             before + 1)

    def test_chunk_held_by_a_worker_is_rendering_there(self):
        with Pipeline(workers=0, tokens=["other"]) as pipe:
            # One credit, and sixty seconds on each chunk: chunk 0 stays
            # on it while the test looks.
            pipe.add_worker(SCRIPTED + ["--delay", "60"])
            job_id = pipe.submit(marker_job(30, chunk_pages=10))
            peers.wait_for(lambda: chunk_map(pipe, job_id)["rendering"], 20,
                           "a chunk in flight")
            chunks = chunk_map(pipe, job_id)
            self.assertEqual(chunks["map"], "r..")
            self.assertEqual(len(chunks["rendering"]), 1)
            rendering = chunks["rendering"][0]
            self.assertEqual(rendering["chunk"], 0)
            self.assertLessEqual(ms(rendering["since"]), time.time() * 1000)
            assert_counts_match(self, chunks)

            workers = pipe.request("GET", "/v1/workers").json()
            self.assertEqual(len(workers["workers"]), 1)
            worker = workers["workers"][0]
            self.assertEqual(worker["id"], rendering["worker"])
            self.assertEqual(worker["state"], "busy")
            self.assertEqual(worker["rendering"],
                             [{"job": job_id, "chunk": 0}])
            self.assertEqual(worker["chunks_done"], 0)
            self.assertIsNone(worker["pages_per_s"])
            self.assertEqual(workers["scaler"], "none")
            # One per chunk waiting or rendering, within the default
            # --workers-min and --workers-max.
            self.assertIsInstance(workers["desired"], int)

            # Another token sees the worker, not whose job it renders,
            # and not the job's chunks.
            other = pipe.tokens.tokens["other"]
            theirs = pipe.request("GET", "/v1/workers", token=other).json()
            self.assertEqual(theirs["workers"][0]["rendering"],
                             [{"job": None, "chunk": 0}])
            resp = pipe.request("GET", "/v1/jobs/%s/chunks" % job_id,
                                token=other)
            self.assertEqual(resp.status, 404)
            self.assertEqual(pipe.request("GET", "/v1/workers",
                                          token=None).status, 401)
            self.assertEqual(pipe.request("POST", "/v1/workers",
                                          body=b"").status, 405)

    def test_failed_chunk_is_x(self):
        with Pipeline(workers=0) as pipe:
            pipe.add_worker(SCRIPTED)
            job = marker_job(30, chunk_pages=10)
            job["records"][14]["marker"] = "POISON-FAIL"
            job_id = pipe.submit(job)
            status = pipe.wait(job_id)
            self.assertEqual(status["state"], "failed", pipe.log_tail())
            chunks = chunk_map(pipe, job_id)
            self.assertEqual(chunks["map"][1], "x")
            self.assertEqual(chunks["counts"]["failed"], 1)
            assert_counts_match(self, chunks)

    def test_bad_ids_and_methods(self):
        with Pipeline(workers=0) as pipe:
            for path, status in (
                    ("/v1/jobs/%032x/chunks" % 7, 404),
                    ("/v1/jobs/nothex/chunks", 404),
                    ("/v1/jobs//chunks", 404),
                    ("/v1/jobs/%032x/chunks/x" % 7, 404)):
                self.assertEqual(pipe.request("GET", path).status, status,
                                 path)
            self.assertEqual(pipe.request("DELETE", "/v1/jobs/%032x/chunks"
                                          % 7).status, 405)
            workers = pipe.request("GET", "/v1/workers?x=%00").json()
            self.assertEqual(workers["workers"], [])


def tree(path):
    """Every file and directory under path, relative to it, but for the
    directories every submission makes for jobs' records and uploads
    (what is in them counts)."""
    found = set()
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(root, name), path))
    return found - {"jobs", "uploads"}


class DryRunTest(unittest.TestCase):
    def test_dry_run_stores_nothing_and_estimates_from_done_jobs(self):
        with Pipeline(workers=2, tokens=True) as pipe:
            state_dir = os.path.join(pipe.dir, "ventilator")
            before = tree(state_dir)
            job = marker_job(2000, chunk_pages=250)
            resp = pipe.request("POST", "/v1/jobs?dry_run=1", job)
            self.assertEqual(resp.status, 200, resp.body)
            self.assertEqual(resp.json(), {
                "dry_run": True, "pages": 2000, "chunks": 8,
                "estimate": {"seconds": None, "bytes": None,
                             "based_on_jobs": 0}})
            self.assertEqual(pipe.request("GET", "/v1/jobs").json(),
                             {"jobs": [], "next": None})
            self.assertEqual(tree(state_dir), before)

            # The same errors as a submission, with the field.
            bad = {"version": 1, "template": {"elements": []},
                   "records": [{"n": 1}, 2]}
            resp = pipe.request("POST", "/v1/jobs?dry_run=1", bad)
            self.assertEqual(resp.status, 400)
            self.assertEqual(resp.json()["error"]["field"], "records[1]")
            self.assertEqual(resp.json(), pipe.request(
                "POST", "/v1/jobs", bad).json())
            resp = pipe.request("POST", "/v1/jobs?dry_run=yes", job)
            self.assertEqual(resp.status, 400)
            self.assertEqual(resp.json(), {"error": {
                "message": "?dry_run= must be 1 or 0, not 'yes'"}})
            self.assertEqual(pipe.request("POST", "/v1/jobs?dry_run=1", job,
                                          token=None).status, 401)
            self.assertEqual(pipe.request("GET", "/v1/jobs").json()["jobs"],
                             [])
            self.assertEqual(tree(state_dir), before)

            # One job done: the estimate is its rates, scaled.
            done_id = pipe.submit(marker_job(400, chunk_pages=50))
            status = pipe.wait(done_id)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            at = {state: ms(text)
                  for state, text in status["transitions"].items()}
            took_ms = at["done"] - at["rendering"]
            resp = pipe.request("POST", "/v1/jobs?dry_run=true", job)
            self.assertEqual(resp.status, 200, resp.body)
            estimate = resp.json()["estimate"]
            self.assertEqual(estimate["based_on_jobs"], 1)
            self.assertEqual(estimate["bytes"],
                             round(2000 * status["result"]["bytes"] / 400))
            self.assertAlmostEqual(estimate["seconds"],
                                   2000 * took_ms / 400 / 1000.0,
                                   delta=0.051)
            listed = pipe.request("GET", "/v1/jobs").json()["jobs"]
            self.assertEqual([entry["id"] for entry in listed], [done_id])
            # dry_run=0 is a submission.
            resp = pipe.request("POST", "/v1/jobs?dry_run=0", marker_job(3))
            self.assertEqual(resp.status, 202, resp.body)


INVOICE_DIR = os.path.join(SOURCE_DIR, "examples", "invoice")


def invoice_job(pages, workdir):
    """examples/invoice's document with pages records of its generator."""
    records_path = os.path.join(workdir, "records.jsonl")
    subprocess.run([sys.executable, os.path.join(INVOICE_DIR,
                                                 "gen_records.py"),
                    str(pages), records_path], check=True)
    with open(os.path.join(INVOICE_DIR, "template.json"),
              encoding="utf-8") as f:
        job = json.load(f)
    with open(records_path, encoding="utf-8") as f:
        job["records"] = [json.loads(line) for line in f]
    job["chunk_pages"] = 50
    return job


class IndexTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-index-")

    def tearDown(self):
        self.tmp.cleanup()

    def index_lines(self, pipe, job_id):
        resp = pipe.request("GET", "/v1/jobs/%s/index" % job_id)
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(resp.headers["Content-Type"],
                         "application/x-ndjson")
        text = resp.body.decode("utf-8")
        self.assertTrue(text.endswith("\n"))
        return [json.loads(line) for line in text.splitlines()]

    def test_index_of_the_invoice_example(self):
        job = invoice_job(300, self.tmp.name)
        self.assertEqual(job["template"]["bookmark"], "Invoice {{number}}")
        with Pipeline(workers=2, tokens=["other"]) as pipe:
            job_id = pipe.submit(job)
            self.assertEqual(pipe.wait(job_id)["state"], "done",
                             pipe.log_tail())
            lines = self.index_lines(pipe, job_id)
            self.assertEqual(len(lines), 300)
            for k, (line, record) in enumerate(zip(lines, job["records"]),
                                               start=1):
                self.assertEqual(line, {
                    "record": k, "first_page": k, "pages": 1,
                    "bookmark": "Invoice %d" % record["number"]})

            # Another token's job does not exist; nor does a bad id.
            other = pipe.tokens.tokens["other"]
            resp = pipe.request("GET", "/v1/jobs/%s/index" % job_id,
                                token=other)
            self.assertEqual(resp.status, 404)
            self.assertEqual(pipe.request(
                "GET", "/v1/jobs/%s%%00/index" % job_id[:31]).status, 404)
            before = metric(pipe, "/v1/jobs/{id}/index", 200)

            # Kept across a restart of the ventilator (its sweep of
            # records files leaves a done job's).
            pipe.restart_ventilator()
            self.assertEqual(len(self.index_lines(pipe, job_id)), 300)
            self.assertGreaterEqual(before, 1)

    def test_index_without_bookmark_and_before_done(self):
        with Pipeline(workers=0) as pipe:
            job_id = pipe.submit(marker_job(20, chunk_pages=10))
            resp = pipe.request("GET", "/v1/jobs/%s/index" % job_id)
            self.assertEqual(resp.status, 409)
            self.assertRegex(resp.json()["error"]["message"],
                             r"^job %s is (queued|rendering); its index is "
                             r"made once it is done$" % job_id)
            self.assertEqual(pipe.request("DELETE", "/v1/jobs/" + job_id)
                             .status, 200)
            resp = pipe.request("GET", "/v1/jobs/%s/index" % job_id)
            self.assertEqual(resp.json(), {"error": {"message": (
                "job %s is cancelled; its index is made once it is done"
                % job_id)}})
            pipe.add_worker()
            done_id = pipe.submit(marker_job(20, chunk_pages=10))
            self.assertEqual(pipe.wait(done_id)["state"], "done")
            lines = self.index_lines(pipe, done_id)
            self.assertEqual(lines, [{"record": k, "first_page": k,
                                      "pages": 1} for k in range(1, 21)])
            # A cancelled job's records are gone; a done one's stay.
            jobs_dir = os.path.join(pipe.dir, "ventilator", "jobs")
            self.assertEqual(sorted(os.listdir(jobs_dir)), [done_id])


if __name__ == "__main__":
    unittest.main()
