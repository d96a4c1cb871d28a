"""Security: a job reaches only what is its own, and a result is served only
from where the sink's store configuration puts it.

The attacks, each once successful against pdfpipe:
- a confused deputy through S3 inputs: "records":
  "s3://another-bucket/hr/payroll.csv" (or an image asset there) was read
  with the server's credentials; its errors told NoSuchKey from
  NoSuchBucket; a key with ".." segments was collapsed by libcurl
  ("inputs/../hr/payroll.jsonl" read "hr/payroll.jsonl");
- "output": {"key": "<another job's id>.pdf"} replaced that job's result,
  locally and in S3; a job with key "invoices" made every later
  "invoices/..." job fail, with an absolute server path in the error;
- a JOB_DONE naming another bucket got a 302 to a presigned URL for it
  (here from a sink storing elsewhere; forged ones are in
  tests/security/test_forged_events.py);
- a download name with a right-to-left override, and a record value with
  \\u0000 cut short without a word.

Real programs on loopback; S3 is moto_server (else s3rver) from
tests/e2e/s3server.py, with a second bucket standing for another tenant's.

SPDX-License-Identifier: MPL-2.0
"""
import hashlib
import http.client
import json
import os
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)
from s3server import BUCKET, missing, start  # noqa: E402
from test_s3 import environment, tiny_png  # noqa: E402

WHY_NO_SERVER = missing()
OTHER_BUCKET = "another-tenant"
PREFIX = "results"
UNREADABLE = ("cannot read '%s': there is no such object, or it is not one "
              "this ventilator may read (--s3-inputs)")
PAYROLL = b'{"marker": "SECRET-SALARY-1"}\n{"marker": "SECRET-SALARY-2"}\n'


def refusal(pipe, job):
    """Submit job, which must be refused with 400: its error object."""
    answer = pipe.request("POST", "/v1/jobs", job)
    assert answer.status == 400, (answer.status, answer.body[:500])
    return answer.json()["error"]


def s3_job(records_url=None, asset_url=None):
    job = marker_job(2)
    if records_url:
        job["records"] = records_url
    if asset_url:
        job["assets"] = {"logo": {"type": "png", "url": asset_url}}
        job["template"]["elements"].append(
            {"type": "image", "asset": "logo", "x": 450, "y": 730,
             "width": 96, "height": 96})
    return job


def redirect_location(pipe, job_id):
    """The status and Location of GET /v1/jobs/{id}/result."""
    api = urllib.parse.urlsplit(pipe.url)
    connection = http.client.HTTPConnection(api.hostname, api.port, timeout=10)
    connection.request("GET", "/v1/jobs/%s/result" % job_id)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer.status, answer.getheader("Location")


@unittest.skipIf(WHY_NO_SERVER, "no S3 server to test against: %s" %
                 WHY_NO_SERVER)
class S3InputsTest(unittest.TestCase):
    """A job names inputs in buckets it has no business reading."""

    @classmethod
    def setUpClass(cls):
        cls.logs = tempfile.TemporaryDirectory(prefix="pdfpipe-own-s3-")
        cls.server = start(cls.logs.name)
        s3 = cls.server.s3
        s3.create_bucket(Bucket=OTHER_BUCKET)
        s3.put_object(Bucket=OTHER_BUCKET, Key="hr/payroll.jsonl",
                      Body=PAYROLL)
        s3.put_object(Bucket=OTHER_BUCKET, Key="hr/face.png", Body=tiny_png())
        # In the allowed bucket, but outside the allowed prefix: what
        # "inputs/../hr/payroll.jsonl" collapses to.
        s3.put_object(Bucket=BUCKET, Key="hr/payroll.jsonl", Body=PAYROLL)
        s3.put_object(Bucket=BUCKET, Key="inputs/ok.jsonl",
                      Body=b'{"marker": "MARK-000001", '
                           b'"customer": {"name": "A"}}\n')

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.logs.cleanup()

    def pipeline(self, inputs=None):
        args = ["--s3-inputs", inputs] if inputs else []
        return Pipeline(workers=1, ventilator_args=args)

    def test_no_s3_input_is_read_unless_the_operator_lists_it(self):
        with environment(self.server.environment()), \
                self.pipeline() as pipe:
            for job, field in (
                    (s3_job("s3://%s/hr/payroll.jsonl" % OTHER_BUCKET),
                     "records"),
                    (s3_job("s3://%s/inputs/ok.jsonl" % BUCKET), "records"),
                    (s3_job(asset_url="s3://%s/hr/face.png" % OTHER_BUCKET),
                     "assets.logo.url")):
                error = refusal(pipe, job)
                self.assertEqual(error["field"], field)
                self.assertIn("this ventilator reads no s3:// inputs",
                              error["message"])
                self.assertIn("--s3-inputs (PDFPIPE_S3_INPUTS",
                              error["message"])
            self.assertNotIn("payroll.jsonl: ", pipe.logs_of("ventilator"))

    def test_another_tenants_bucket_reads_as_missing(self):
        # The ghost bucket is listed but does not exist: NoSuchBucket must
        # read exactly as NoSuchKey, and as a bucket not listed.
        inputs = "%s/inputs,ghost-bucket" % BUCKET
        with environment(self.server.environment()), \
                self.pipeline(inputs) as pipe:
            urls = ("s3://%s/hr/payroll.jsonl" % OTHER_BUCKET,
                    "s3://%s/inputs/missing.jsonl" % BUCKET,
                    "s3://ghost-bucket/inputs/a.jsonl",
                    "s3://%s/hr/payroll.jsonl" % BUCKET)
            for url in urls:
                error = refusal(pipe, s3_job(url))
                self.assertEqual(error["message"], UNREADABLE % url)
            url = "s3://%s/hr/face.png" % OTHER_BUCKET
            error = refusal(pipe, s3_job(asset_url=url))
            self.assertEqual(error, {"field": "assets.logo.url",
                                     "message": UNREADABLE % url})
            # What S3 said is in the log, for the operator.
            log = pipe.logs_of("ventilator")
            self.assertIn("NoSuchKey", log)
            self.assertIn("NoSuchBucket", log)
            # The allowed prefix still works.
            job_id = pipe.submit(s3_job("s3://%s/inputs/ok.jsonl" % BUCKET))
            status = pipe.wait(job_id, timeout=60)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            self.assertEqual(status["pages"]["total"], 1)

    def test_dot_segments_never_leave_the_prefix(self):
        with environment(self.server.environment()), \
                self.pipeline(BUCKET + "/inputs") as pipe:
            for key in ("inputs/../hr/payroll.jsonl",
                        "inputs/./../hr/payroll.jsonl",
                        "inputs//payroll.jsonl",
                        "inputs/%2e%2e/hr/payroll.jsonl"):
                url = "s3://%s/%s" % (BUCKET, key)
                error = refusal(pipe, s3_job(url))
                self.assertEqual(error["field"], "records")
                if "%2e" in key:
                    # Sent encoded, so S3 sees the literal name: missing.
                    self.assertEqual(error["message"], UNREADABLE % url)
                else:
                    self.assertIn("has an empty, '.' or '..' part",
                                  error["message"])
                self.assertNotIn("SECRET", json.dumps(error))


class OutputKeyTest(unittest.TestCase):
    """A job names another job's result as its output key (local store)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-own-")

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_key_naming_another_jobs_result_writes_under_its_own_id(self):
        with Pipeline(workers=1) as pipe:
            victim = pipe.submit(marker_job(3))
            self.assertEqual(pipe.wait(victim, timeout=60)["state"], "done")
            before = pipe.result(victim)
            assert_marker_pages(check_pdf(before, self.tmp.name), 3)
            store = os.path.join(pipe.dir, "out")
            self.assertTrue(os.path.isfile(
                os.path.join(store, victim, victim + ".pdf")))
            # The old form of the victim's key, and its new one.
            attacks = []
            for key in ("%s.pdf" % victim, "%s/%s.pdf" % (victim, victim)):
                job = marker_job(1)
                job["output"] = {"key": key}
                attacks.append((pipe.submit(job), key))
            for attacker, key in attacks:
                status = pipe.wait(attacker, timeout=60)
                self.assertEqual(status["state"], "done", pipe.log_tail())
                self.assertTrue(os.path.isfile(
                    os.path.join(store, attacker, key)))
                assert_marker_pages(
                    check_pdf(pipe.result(attacker), self.tmp.name), 1)
            self.assertEqual(pipe.result(victim), before)

    def test_a_key_cannot_block_later_jobs(self):
        with Pipeline(workers=1) as pipe:
            first = marker_job(1)
            first["output"] = {"key": "invoices"}
            first_id = pipe.submit(first)
            self.assertEqual(pipe.wait(first_id, timeout=60)["state"], "done")
            later = marker_job(2)
            later["output"] = {"key": "invoices/{{job_id}}.pdf"}
            for _ in range(2):
                later_id = pipe.submit(later)
                status = pipe.wait(later_id, timeout=60)
                self.assertEqual(status["state"], "done", status.get("error"))
                assert_marker_pages(
                    check_pdf(pipe.result(later_id), self.tmp.name), 2)

    def test_a_storing_error_shows_no_server_path(self):
        with Pipeline(workers=0) as pipe:
            job_id = pipe.submit(marker_job(1))
            # Something in the way of the job's directory in the store.
            store = os.path.join(pipe.dir, "out")
            os.makedirs(store, exist_ok=True)
            with open(os.path.join(store, job_id), "w") as f:
                f.write("in the way")
            pipe.add_worker()
            status = pipe.wait(job_id, timeout=60)
            self.assertEqual(status["state"], "failed")
            self.assertIn("storing failed", status["error"])
            self.assertNotIn(pipe.dir, status["error"])
            self.assertNotIn(os.path.realpath(pipe.dir), status["error"])
            self.assertIn(".../%s" % job_id, status["error"])
            # The log keeps the whole path for the operator.
            self.assertIn(os.path.join(store, job_id),
                          pipe.logs_of("sink"))

    def test_a_misleading_name_and_a_nul_are_refused(self):
        with Pipeline(workers=0) as pipe:
            job = marker_job(1)
            job["output"] = {"filename": "invoice\u202efdp.exe"}
            error = refusal(pipe, job)
            self.assertEqual(error["field"], "output.filename")
            self.assertIn("must not hold U+202E", error["message"])
            job = marker_job(2)
            job["records"][1]["customer"]["name"] = "Ada\u0000 Lovelace"
            error = refusal(pipe, job)
            self.assertIn("a string holds \\u0000 (NUL)", error["message"])


@unittest.skipIf(WHY_NO_SERVER, "no S3 server to test against: %s" %
                 WHY_NO_SERVER)
class S3OutputTest(unittest.TestCase):
    """The same in S3, and a forged location never signed."""

    @classmethod
    def setUpClass(cls):
        cls.logs = tempfile.TemporaryDirectory(prefix="pdfpipe-own-s3o-")
        cls.server = start(cls.logs.name)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.logs.cleanup()

    def setUp(self):
        self.server.empty_bucket()
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-own-")

    def tearDown(self):
        self.tmp.cleanup()

    def sha256(self, key):
        body = self.server.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return hashlib.sha256(body).hexdigest()

    def test_a_key_naming_another_jobs_object_writes_under_its_own_id(self):
        with environment(self.server.environment()), Pipeline(
                workers=1, store="s3://%s/%s" % (BUCKET, PREFIX)) as pipe:
            victim = pipe.submit(marker_job(3))
            self.assertEqual(pipe.wait(victim, timeout=60)["state"], "done")
            victim_key = "%s/%s/%s.pdf" % (PREFIX, victim, victim)
            before = self.sha256(victim_key)
            head = self.server.s3.head_object(Bucket=BUCKET, Key=victim_key)
            self.assertEqual(head["Metadata"].get("pdfpipe-job"), victim)
            job = marker_job(1)
            job["output"] = {"key": "%s/%s.pdf" % (victim, victim)}
            attacker = pipe.submit(job)
            self.assertEqual(pipe.wait(attacker, timeout=60)["state"], "done")
            self.assertEqual(self.sha256(victim_key), before)
            self.assertEqual(sorted(self.server.objects()), sorted([
                victim_key,
                "%s/%s/%s/%s.pdf" % (PREFIX, attacker, victim, victim)]))

    def test_only_an_object_under_the_jobs_own_id_is_replaced(self):
        # What a sink that stored a result and restarted before recording
        # it finds: an object under the job's own key. A whole put is
        # conditional: refused (412) and, the key being the job's own,
        # the object is replaced once, with a warning. An upload streamed
        # while merging completes over it (only this job writes under its
        # id). Either way the job's own result ends there.
        with environment(self.server.environment()), Pipeline(
                workers=0, store="s3://%s/%s" % (BUCKET, PREFIX)) as pipe:
            job_id = pipe.submit(marker_job(2))
            key = "%s/%s/%s.pdf" % (PREFIX, job_id, job_id)
            self.server.s3.put_object(Bucket=BUCKET, Key=key,
                                      Body=b"left by an earlier put")
            pipe.add_worker()
            self.assertEqual(pipe.wait(job_id, timeout=60)["state"], "done",
                             pipe.log_tail())
            body = self.server.s3.get_object(Bucket=BUCKET,
                                             Key=key)["Body"].read()
            assert_marker_pages(check_pdf(body, self.tmp.name), 2)
            sink = pipe.logs_of("sink")
            if "as it grows" not in sink:
                self.assertIn("job=%s store: replacing s3://%s/%s, stored "
                              "for this job before a restart" % (
                                  job_id, BUCKET, key), sink)

    def test_a_location_elsewhere_is_never_signed(self):
        # A sink that stores into another tenant's bucket (given another
        # --store, or an impostor holding the sink's key): its JOB_DONE
        # names that bucket, and the ventilator signs nothing there.
        self.server.s3.create_bucket(Bucket=OTHER_BUCKET)
        with environment(self.server.environment()), Pipeline(
                workers=1, store="s3://%s/%s" % (BUCKET, PREFIX),
                sink_args=["--store", "s3://%s/stolen" % OTHER_BUCKET]) \
                as pipe:
            job_id = pipe.submit(marker_job(2))
            pipe.wait_log("job=%s: ignored JOB_DONE naming s3://%s/" % (
                job_id, OTHER_BUCKET), name="ventilator", timeout=60)
            status = pipe.status(job_id)
            self.assertNotEqual(status["state"], "done")
            self.assertNotIn(OTHER_BUCKET, json.dumps(status))
            code, location = redirect_location(pipe, job_id)
            self.assertEqual(code, 409)
            self.assertIsNone(location)

    def test_the_download_link_is_for_the_configured_prefix_only(self):
        with environment(self.server.environment()), Pipeline(
                workers=1, store="s3://%s/%s" % (BUCKET, PREFIX)) as pipe:
            job = marker_job(2)
            job["output"] = {"key": "../../%s/x.pdf" % OTHER_BUCKET}
            self.assertEqual(refusal(pipe, job)["field"], "output.key")
            job_id = pipe.submit(marker_job(2))
            self.assertEqual(pipe.wait(job_id, timeout=60)["state"], "done")
            code, location = redirect_location(pipe, job_id)
            self.assertEqual(code, 302)
            path = urllib.parse.urlsplit(location).path
            self.assertEqual(path, "/%s/%s/%s/%s.pdf" % (
                BUCKET, PREFIX, job_id, job_id))

if __name__ == "__main__":
    unittest.main(verbosity=2)
