"""End-to-end: GET /metrics on the real ventilator, parsed by Prometheus's
own text-format parser (Debian's python3-prometheus-client) and checked by
promtool (Debian's prometheus package) where it is installed.

The figures are asserted against what the test made happen: a job of known
pages and chunks, a refused submission, an unknown route, a job cancelled
and one whose chunk is retried after a worker was killed.

SPDX-License-Identifier: MPL-2.0
"""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import peers  # noqa: E402
from pipeline import Pipeline, marker_job  # noqa: E402

parser = peers.require_module("prometheus_client.parser",
                              "python3-prometheus-client")
peers.require_zmq()  # the scripted worker
SCRIPTED = [sys.executable, os.path.join(os.path.dirname(__file__),
                                         "scripted_worker.py")]

HISTOGRAMS = ("chunk_duration_seconds", "job_duration_seconds",
              "merge_duration_seconds", "upload_duration_seconds")


def scrape(pipe):
    """The families of GET /metrics, by name, after the parser has read
    the whole text (it raises on anything malformed)."""
    resp = pipe.request("GET", "/metrics")
    assert resp.status == 200, (resp.status, resp.body)
    content_type = resp.headers.get("Content-Type", "")
    assert content_type.startswith("text/plain; version=0.0.4"), content_type
    text = resp.body.decode("utf-8")
    families = {family.name: family
                for family in parser.text_string_to_metric_families(text)}
    return text, families


def value(families, name, **labels):
    """The one sample of family name (its name as the parser gives it)
    whose labels include labels."""
    family = families[name]
    found = [sample.value for sample in family.samples
             if all(sample.labels.get(key) == wanted
                    for key, wanted in labels.items())
             and sample.name in (name, name + "_total")]
    assert len(found) == 1, (name, labels, family.samples)
    return found[0]


def histogram(families, name):
    """(count, sum, buckets) of a histogram; buckets as (le, count)."""
    family = families[name]
    count = sum_ = None
    buckets = []
    for sample in family.samples:
        if sample.name == name + "_count":
            count = sample.value
        elif sample.name == name + "_sum":
            sum_ = sample.value
        elif sample.name == name + "_bucket":
            buckets.append((float(sample.labels["le"]), sample.value))
    return count, sum_, buckets


class MetricsTest(unittest.TestCase):
    def test_figures_follow_what_happened(self):
        with Pipeline(workers=2, ventilator_args=["--workers-max", "5"]) \
                as pipe:
            text, families = scrape(pipe)
            self.assertEqual(value(families, "pdfpipe_jobs_submitted"), 0)
            for name in HISTOGRAMS:
                self.assertEqual(families["pdfpipe_" + name].type,
                                 "histogram")
            # Every family has a HELP line and our prefix.
            for family in families.values():
                self.assertTrue(family.name.startswith("pdfpipe_"),
                                family.name)
                self.assertTrue(family.documentation, family.name)

            job_id = pipe.submit(marker_job(600, chunk_pages=100))
            status = pipe.wait(job_id)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            refused = pipe.request("POST", "/v1/jobs", body=b"{not json")
            self.assertEqual(refused.status, 400)
            self.assertEqual(pipe.request("GET", "/nowhere").status, 404)
            self.assertEqual(pipe.request("GET", "/v1/jobs/" + job_id).status,
                             200)

            text, families = scrape(pipe)
            self.assertEqual(value(families, "pdfpipe_jobs_submitted"), 1)
            self.assertEqual(value(families, "pdfpipe_jobs_done"), 1)
            self.assertEqual(value(families, "pdfpipe_jobs_failed"), 0)
            self.assertEqual(value(families, "pdfpipe_pages_rendered"), 600)
            self.assertEqual(value(families, "pdfpipe_chunks_rendered"), 6)
            self.assertEqual(value(families, "pdfpipe_stored_bytes"),
                             len(pipe.result(job_id)))
            self.assertEqual(value(families, "pdfpipe_jobs", state="done"), 1)
            self.assertEqual(value(families, "pdfpipe_jobs", state="queued"),
                             0)
            # The loop publishes the scheduler's figures every tick, so
            # these may lag the job by one.
            peers.wait_for(lambda: value(scrape(pipe)[1],
                                         "pdfpipe_backlog_pages") == 0,
                           10, "an empty backlog in the metrics")
            families = scrape(pipe)[1]
            self.assertEqual(value(families, "pdfpipe_workers_connected"), 2)
            self.assertEqual(value(families, "pdfpipe_workers_desired"), 0)
            chunks, chunk_seconds, buckets = histogram(
                families, "pdfpipe_chunk_duration_seconds")
            self.assertEqual(chunks, 6)
            self.assertGreater(chunk_seconds, 0)
            self.assertEqual(buckets[-1], (float("inf"), 6))
            self.assertEqual([count for _, count in buckets],
                             sorted(count for _, count in buckets))
            jobs, job_seconds, _ = histogram(families,
                                             "pdfpipe_job_duration_seconds")
            self.assertEqual(jobs, 1)
            self.assertGreaterEqual(job_seconds, chunk_seconds / 6)
            self.assertEqual(histogram(
                families, "pdfpipe_upload_duration_seconds")[0], 1)
            self.assertEqual(value(families, "pdfpipe_http_requests",
                                   route="/v1/jobs", code="202"), 1)
            self.assertEqual(value(families, "pdfpipe_http_requests",
                                   route="/v1/jobs", code="400"), 1)
            self.assertEqual(value(families, "pdfpipe_http_requests",
                                   route="other", code="404"), 1)
            self.assertGreaterEqual(value(families, "pdfpipe_http_requests",
                                          route="/v1/jobs/{id}", code="200"),
                                    1)
            self.assertNotIn(job_id, text)  # routes are templates, not URLs

            promtool = shutil.which("promtool")
            if promtool:
                check = subprocess.run([promtool, "check", "metrics"],
                                       input=text.encode(),
                                       capture_output=True, timeout=30)
                self.assertEqual(check.returncode, 0,
                                 check.stdout + check.stderr)
            else:
                print("promtool not installed: checked with the Python "
                      "parser only", file=sys.stderr)

    def test_backlog_retries_dead_workers_and_cancel(self):
        with Pipeline(workers=0, ventilator_args=[
                "--workers-max", "3", "--deadline-ms", "2000"]) as pipe:
            job_id = pipe.submit(marker_job(2000, chunk_pages=100))
            # No worker: the whole job waits, and the desired count is
            # capped by --workers-max.
            peers.wait_for(lambda: value(scrape(pipe)[1],
                                         "pdfpipe_backlog_pages") == 2000,
                           10, "the backlog in the metrics")
            families = scrape(pipe)[1]
            self.assertEqual(value(families, "pdfpipe_backlog_chunks"), 20)
            self.assertEqual(value(families, "pdfpipe_workers_desired"), 3)
            self.assertEqual(value(families, "pdfpipe_jobs",
                                   state="queued"), 1)
            # A worker killed while it sits on a chunk: it is declared
            # dead and its chunk goes again.
            holder = pipe.add_worker(SCRIPTED + ["--delay", "60"])
            peers.wait_for(lambda: value(scrape(pipe)[1],
                                         "pdfpipe_workers_busy") == 1,
                           20, "a busy worker in the metrics")
            pipe.kill(holder)
            pipe.add_worker()
            peers.wait_for(lambda: value(scrape(pipe)[1],
                                         "pdfpipe_dead_workers") >= 1,
                           30, "a dead worker in the metrics")
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            families = scrape(pipe)[1]
            self.assertGreaterEqual(value(families, "pdfpipe_chunk_retries"),
                                    1)
            self.assertEqual(value(families, "pdfpipe_pages_rendered"), 2000)

            big = pipe.submit(marker_job(20000, chunk_pages=100))
            pipe.wait(big, states=("rendering",), timeout=60)
            self.assertEqual(pipe.request("DELETE", "/v1/jobs/" + big).status,
                             200)
            peers.wait_for(lambda: value(scrape(pipe)[1],
                                         "pdfpipe_jobs_cancelled") == 1,
                           10, "the cancel in the metrics")
            self.assertEqual(value(scrape(pipe)[1], "pdfpipe_jobs",
                                   state="cancelled"), 1)

    def test_method_and_no_ids(self):
        with Pipeline(workers=0) as pipe:
            self.assertEqual(pipe.request("POST", "/metrics", body=b"").status,
                             405)
            for _ in range(50):
                pipe.request("GET", "/v1/jobs/%032x" % 7)
            families = scrape(pipe)[1]
            # Fifty unknown ids are one series, not fifty.
            self.assertEqual(value(families, "pdfpipe_http_requests",
                                   route="/v1/jobs/{id}", code="404"), 50)


if __name__ == "__main__":
    unittest.main()
