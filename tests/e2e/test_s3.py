"""End-to-end: results stored in S3, against a real S3-protocol server
(s3server.start: moto_server with SigV4 checking on where it is installed,
else s3rver), through a fault-injecting proxy where the test needs one.

What the sink uploaded is compared with what an independent client
(boto3) downloads, by the SHA-256 the sink logs for every object it
stores. The tests that need what only moto_server does (signature checks,
aborting and listing multipart uploads) are group "strict", a ctest entry
of its own (e2e_test_s3_strict) that is skipped, saying why, on s3rver.

SPDX-License-Identifier: MPL-2.0
"""
import base64
import contextlib
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)
from runner import group  # noqa: E402
from s3server import (BUCKET, DROP, FORWARD, FaultProxy,  # noqa: E402
                      botocore_presign, error_answer, missing, start)

PREFIX = "results"
WHY_NO_SERVER = missing()
WHY_NOT_STRICT = missing(strict=True)
MIB = 1024 * 1024


def heavy_job(pages, fields=6, width=2000, chunk_pages=100):
    """A marker job whose pages carry incompressible text, so the PDF is
    about 0.8 * pages * fields * width bytes: big enough for multipart."""
    extra = [{"type": "text", "text": "{{blob%d}}" % index, "x": 20,
              "y": 700 - 12 * index, "font": "Courier", "size": 6}
             for index in range(fields)]
    job = marker_job(pages, chunk_pages=chunk_pages, extra_elements=extra)
    for record in job["records"]:
        for index in range(fields):
            record["blob%d" % index] = base64.b64encode(
                os.urandom(width * 3 // 4)).decode()
    return job


def tiny_png():
    """A 2x2 RGB PNG."""
    def chunk(kind, data):
        body = kind + data
        return (struct.pack(">I", len(data)) + body +
                struct.pack(">I", zlib.crc32(body) & 0xffffffff))
    rows = b"".join(b"\x00" + b"\xff\x00\x00\x00\xff\x00" for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@contextlib.contextmanager
def environment(values):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def sink_log(pipe):
    text = []
    for path in pipe.logs:
        if os.path.basename(path).startswith("sink-"):
            with open(path, "rb") as f:
                text.append(f.read().decode("utf-8", "replace"))
    return "\n".join(text)


def all_logs(pipe):
    text = []
    for path in pipe.logs:
        with open(path, "rb") as f:
            text.append(f.read().decode("utf-8", "replace"))
    return "\n".join(text)


def stored_sha256(pipe, key):
    """The SHA-256 the sink logged for the object it stored under key."""
    match = re.search(r"s3: stored s3://%s/%s: (\d+) bytes, (\d+) parts, "
                      r"sha256 ([0-9a-f]{64})" % (BUCKET, re.escape(key)),
                      sink_log(pipe))
    assert match, "no upload of %s in the sink's log:\n%s" % (
        key, pipe.log_tail())
    return int(match.group(1)), int(match.group(2)), match.group(3)


class BucketTest(unittest.TestCase):
    """One S3 server for the class, its bucket emptied before each test."""

    @classmethod
    def setUpClass(cls):
        cls.logs = tempfile.TemporaryDirectory(prefix="pdfpipe-s3-server-")
        cls.server = start(cls.logs.name)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.logs.cleanup()

    def setUp(self):
        self.server.empty_bucket()
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-s3-check-")

    def tearDown(self):
        self.tmp.cleanup()

    def pipeline(self, workers=2):
        # Jobs may read their inputs from the bucket's inputs/ only.
        return Pipeline(workers=workers,
                        store="s3://%s/%s" % (BUCKET, PREFIX),
                        ventilator_args=["--s3-inputs", BUCKET + "/inputs"])

    def download(self, key):
        return self.server.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def assert_bucket_clean(self):
        self.assertEqual(self.server.objects(), [])
        self.assertEqual(self.server.open_uploads(), [])


@unittest.skipIf(WHY_NO_SERVER, "no S3 server to test against: %s" %
                 WHY_NO_SERVER)
class S3Test(BucketTest):
    """What any S3-protocol server can show: moto_server, else s3rver."""

    def test_2000_pages_land_in_the_bucket_in_parts_byte_identical(self):
        job = heavy_job(2000)
        job["output"] = {"key": "invoices/{{job_id}}-{{date}}.pdf",
                         "filename": "invoice.pdf"}
        # A proxy that only forwards, to see the requests as the server
        # got them, whichever server it is.
        proxy = FaultProxy(self.server.port,
                           lambda index, method, target: FORWARD)
        try:
            with environment(self.server.environment(
                    endpoint=proxy.endpoint)), self.pipeline() as pipe:
                self.check_2000_pages(pipe, job, proxy)
        finally:
            proxy.close()

    def check_2000_pages(self, pipe, job, proxy):
        job_id = pipe.submit(job)
        status = pipe.wait(job_id, timeout=110)
        self.assertEqual(status["state"], "done", pipe.log_tail())
        key = "%s/%s/invoices/%s-%s.pdf" % (PREFIX, job_id, job_id,
                                            status["created_at"][:10])
        self.assertEqual(self.server.objects(), [key])
        self.assertEqual(self.server.open_uploads(), [])

        # Over three 5 MiB parts, uploaded as a multipart upload: one PUT
        # per part, numbered from 1.
        head = self.server.s3.head_object(Bucket=BUCKET, Key=key)
        size, parts, sha256 = stored_sha256(pipe, key)
        self.assertGreater(size, 3 * 5 * MIB)
        self.assertGreaterEqual(parts, 4)
        part_path = "/%s/%s?" % (BUCKET, key)
        part_numbers = sorted(
            int(re.search(r"[?&]partNumber=(\d+)", target).group(1))
            for method, target, _ in proxy.requests
            if method == "PUT" and target.startswith(part_path))
        self.assertEqual(part_numbers, list(range(1, parts + 1)))
        if self.server.multipart_etags:
            # The server, too, says it assembled that many parts.
            self.assertTrue(head["ETag"].endswith('-%d"' % parts),
                            head["ETag"])
        self.assertEqual(head["ContentLength"], size)
        self.assertEqual(head["ContentType"], "application/pdf")
        self.assertIn('filename="invoice.pdf"', head["ContentDisposition"])

        # boto3's copy is what the sink produced, and a good PDF.
        body = self.download(key)
        self.assertEqual(hashlib.sha256(body).hexdigest(), sha256)
        self.assertEqual(status["result"]["bytes"], len(body))
        assert_marker_pages(check_pdf(body, self.tmp.name), 2000)

        # The download link is signed as botocore signs one.
        self.assert_signed_like_botocore(
            status["result"]["download_url"], proxy.endpoint, key)

        # The API's result answers 302 to such a link.
        location = self.result_redirect(pipe, job_id)
        self.assert_signed_like_botocore(location, proxy.endpoint, key)
        self.assertNotIn(self.server.secret_key, all_logs(pipe))

    def result_redirect(self, pipe, job_id):
        """The Location of GET /v1/jobs/{id}/result, which must be a 302."""
        api = urllib.parse.urlsplit(pipe.url)
        connection = http.client.HTTPConnection(api.hostname, api.port,
                                                timeout=10)
        connection.request("GET", "/v1/jobs/%s/result" % job_id)
        answer = connection.getresponse()
        answer.read()
        connection.close()
        self.assertEqual(answer.status, 302)
        return answer.getheader("Location")

    def assert_signed_like_botocore(self, url, endpoint, key):
        base = "%s/%s/%s" % (endpoint, BUCKET, key)
        self.assertTrue(url.startswith(base + "?"), url)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        self.assertEqual(query["X-Amz-SignedHeaders"], "host")
        expected = botocore_presign(base, self.server.access_key,
                                    self.server.secret_key,
                                    query["X-Amz-Date"],
                                    int(query["X-Amz-Expires"]))
        expected_query = dict(urllib.parse.parse_qsl(
            urllib.parse.urlsplit(expected).query))
        self.assertEqual(query, expected_query)

    def test_records_and_an_image_are_read_from_the_bucket(self):
        job = marker_job(1000, chunk_pages=250)
        lines = [json.dumps(record) for record in job.pop("records")]
        # Blank lines and CRLF endings are fine.
        text = "\n".join(lines[:500]) + "\n\n" + "\r\n".join(lines[500:])
        self.server.s3.put_object(Bucket=BUCKET, Key="inputs/records.jsonl",
                                Body=text.encode())
        self.server.s3.put_object(Bucket=BUCKET, Key="inputs/logo.png",
                                Body=tiny_png())
        job["records"] = "s3://%s/inputs/records.jsonl" % BUCKET
        job["assets"] = {"logo": {"type": "png", "url":
                                  "s3://%s/inputs/logo.png" % BUCKET}}
        job["template"]["elements"].append(
            {"type": "image", "asset": "logo", "x": 450, "y": 730,
             "width": 96, "height": 96})
        with environment(self.server.environment()), self.pipeline() as pipe:
            job_id = pipe.submit(job)
            status = pipe.wait(job_id, timeout=110)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            self.assertEqual(status["pages"]["total"], 1000)
            body = self.download("%s/%s/%s.pdf" % (PREFIX, job_id, job_id))
            assert_marker_pages(check_pdf(body, self.tmp.name), 1000)
            self.assertIn(b"/Subtype /Image", body.replace(b"/Subtype/Image",
                                                           b"/Subtype /Image"))

            self.check_csv_records(pipe)

            # A line that is not a JSON object is named.
            self.server.s3.put_object(Bucket=BUCKET, Key="inputs/bad.jsonl",
                                    Body=b'{"marker": "a"}\n[1, 2]\n')
            job["records"] = "s3://%s/inputs/bad.jsonl" % BUCKET
            answer = pipe.request("POST", "/v1/jobs", job)
            self.assertEqual(answer.status, 400)
            error = answer.json()["error"]
            self.assertEqual(error["field"], "records")
            self.assertIn("s3://%s/inputs/bad.jsonl line 2: a record must "
                          "be a JSON object" % BUCKET, error["message"])
            # A missing object is not told from one that may not be read
            # (tests/security/test_own_things.py); other schemes are never
            # fetched.
            job["records"] = "s3://%s/inputs/missing.jsonl" % BUCKET
            answer = pipe.request("POST", "/v1/jobs", job)
            self.assertEqual(answer.status, 400)
            self.assertIn("there is no such object",
                          answer.json()["error"]["message"])
            job["records"] = "http://127.0.0.1:%d/%s/inputs/records.jsonl" % (
                self.server.port, BUCKET)
            answer = pipe.request("POST", "/v1/jobs", job)
            self.assertEqual(answer.status, 400)
            self.assertIn("only s3:// URLs are fetched",
                          answer.json()["error"]["message"])

    def check_csv_records(self, pipe):
        """Records from a CSV object: the header names the fields, dotted
        names nest, cells are strings that compute as numbers, and a
        quoted field may hold commas, quotes and line breaks. The object
        is large enough to arrive in many pieces, split inside rows."""
        pages = 600
        job = marker_job(pages, chunk_pages=200, extra_elements=[
            {"type": "text", "text": "Amount {{ amount * 2 | fixed: 2 }} "
             "({{amount}})", "x": 50, "y": 720, "font": "Helvetica",
             "size": 11}])
        job.pop("records")
        rows = ["marker,customer.name,amount,note"]
        for k in range(1, pages + 1):
            rows.append('MARK-%06d,"Lovelace, Ada ""%d""",%d.50,"first '
                        'line\r\nsecond line %s"' % (k, k, k, "x" * 200))
        text = "\ufeff" + "\r\n".join(rows) + "\r\n"
        self.server.s3.put_object(Bucket=BUCKET, Key="inputs/records.csv",
                                Body=text.encode())
        job["records"] = "s3://%s/inputs/records.csv" % BUCKET
        job_id = pipe.submit(job)
        status = pipe.wait(job_id, timeout=110)
        self.assertEqual(status["state"], "done", pipe.log_tail())
        self.assertEqual(status["pages"]["total"], pages)
        body = self.download("%s/%s/%s.pdf" % (PREFIX, job_id, job_id))
        texts = check_pdf(body, self.tmp.name)
        assert_marker_pages(texts, pages)
        for k, page in enumerate(texts, start=1):
            self.assertIn('Customer Lovelace, Ada "%d"' % k, page)
            self.assertIn("Amount %d.00 (%d.50)" % (2 * k + 1, k), page)

        # A bad row is named by the URL and its line, counting the line
        # breaks inside quotes.
        self.server.s3.put_object(
            Bucket=BUCKET, Key="inputs/bad.csv",
            Body=b'marker,customer.name\nMARK-1,"two\nlines"\nMARK-2\n')
        job["records"] = "s3://%s/inputs/bad.csv" % BUCKET
        answer = pipe.request("POST", "/v1/jobs", job)
        self.assertEqual(answer.status, 400)
        error = answer.json()["error"]
        self.assertEqual(error["field"], "records")
        self.assertEqual(error["message"], "s3://%s/inputs/bad.csv line 4: 1 "
                         "field, but the header names 2" % BUCKET)
        # Only .jsonl, .ndjson and .csv say how to read them.
        job["records"] = "s3://%s/inputs/records.txt" % BUCKET
        answer = pipe.request("POST", "/v1/jobs", job)
        self.assertEqual(answer.status, 400)
        self.assertIn("must name a .jsonl or .ndjson file",
                      answer.json()["error"]["message"])

    def test_5xx_answers_and_a_dropped_part_are_retried(self):
        dropped = []

        def plan(index, method, target):
            if index < 2:
                return error_answer(503, "SlowDown", "Please reduce your "
                                    "request rate.")
            if index == 2:
                return error_answer(500, "InternalError")
            if "partNumber=2&" in target and not dropped:
                dropped.append(target)
                return DROP
            return FORWARD

        proxy = FaultProxy(self.server.port, plan)
        try:
            env = self.server.environment(endpoint=proxy.endpoint)
            with environment(env), self.pipeline() as pipe:
                job_id = pipe.submit(heavy_job(1000))
                status = pipe.wait(job_id, timeout=110)
                self.assertEqual(status["state"], "done", pipe.log_tail())
                key = "%s/%s/%s.pdf" % (PREFIX, job_id, job_id)
                size, parts, sha256 = stored_sha256(pipe, key)
                self.assertGreaterEqual(parts, 2)
                body = self.download(key)
                self.assertEqual(hashlib.sha256(body).hexdigest(), sha256)
                self.assertEqual(proxy.count("error"), 3)
                self.assertEqual(proxy.count(DROP), 1)
                log = sink_log(pipe)
                self.assertIn("503 SlowDown", log)
                self.assertIn("retrying in", log)
                self.assertIn("4 retries", log)
                self.assertEqual(self.server.open_uploads(), [])
        finally:
            proxy.close()

    def test_endpoint_that_always_answers_503_fails_the_job(self):
        proxy = FaultProxy(self.server.port, lambda index, method, target:
                           error_answer(503, "SlowDown", "Please reduce "
                                        "your request rate."))
        try:
            env = self.server.environment(endpoint=proxy.endpoint)
            with environment(env), self.pipeline(workers=1) as pipe:
                job_id = pipe.submit(marker_job(20))
                status = pipe.wait(job_id, timeout=60)
                self.assertEqual(status["state"], "failed", pipe.log_tail())
                self.assertIn("storing failed", status["error"])
                self.assertIn("S3 answered 503 SlowDown: Please reduce your "
                              "request rate.", status["error"])
                self.assertEqual(proxy.count("error"), 5)
                self.assert_bucket_clean()
        finally:
            proxy.close()


@group("strict")
@unittest.skipIf(WHY_NOT_STRICT, WHY_NOT_STRICT)
class S3StrictTest(BucketTest):
    """What only a server that checks SigV4 signatures and has the whole
    multipart API (moto_server) can show."""

    def test_wrong_secret_fails_with_s3s_answer_and_leaves_nothing(self):
        env = self.server.environment(secret_key="not-the-secret-key")
        with environment(env), self.pipeline() as pipe:
            job_id = pipe.submit(heavy_job(600, chunk_pages=200))
            status = pipe.wait(job_id, timeout=60)
            self.assertEqual(status["state"], "failed", pipe.log_tail())
            self.assertIn("403 SignatureDoesNotMatch", status["error"])
            self.assertIn("s3://%s/%s/%s/%s.pdf" % (BUCKET, PREFIX, job_id,
                                                    job_id), status["error"])
            self.assertNotIn("not-the-secret-key", status["error"])
            self.assertNotIn("not-the-secret-key", all_logs(pipe))
            self.assert_bucket_clean()

    def test_failing_parts_fail_the_job_and_abort_the_upload(self):
        def plan(index, method, target):
            if method == "PUT" and "partNumber=" in target:
                return error_answer(500, "InternalError", "We encountered "
                                    "an internal error. Please try again.")
            return FORWARD

        proxy = FaultProxy(self.server.port, plan)
        try:
            env = self.server.environment(endpoint=proxy.endpoint)
            with environment(env), self.pipeline() as pipe:
                job_id = pipe.submit(heavy_job(1000))
                status = pipe.wait(job_id, timeout=110)
                self.assertEqual(status["state"], "failed", pipe.log_tail())
                self.assertIn("500 InternalError: We encountered an internal "
                              "error", status["error"])
                self.assertIn("gave up after 5 attempts", status["error"])
                # The upload was started, and aborted.
                self.assertTrue(any(method == "DELETE"
                                    for method, _, _ in proxy.requests))
                self.assert_bucket_clean()
        finally:
            proxy.close()


    # -- uploading while merging ------------------------------------------
    # The sink uploads the output's parts as the merged file grows; what
    # S3 holds is read while the workers still render.

    def wait_parts(self, pipe, job_id, key, timeout=120):
        """Poll until S3 holds a part of the upload of key, and return the
        job's state at that moment and the parts listed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for upload_key, upload_id in self.server.open_uploads():
                if upload_key != key:
                    continue
                parts = self.server.s3.list_parts(
                    Bucket=BUCKET, Key=key, UploadId=upload_id).get(
                        "Parts", [])
                if parts:
                    return pipe.status(job_id)["state"], parts
            time.sleep(0.05)
        self.fail("no part of %s reached S3 in %d s:\n%s" % (
            key, timeout, pipe.log_tail()))

    def test_parts_go_up_while_rendering_and_match_a_local_render(self):
        job = heavy_job(2500)
        with environment(self.server.environment()), \
                self.pipeline(workers=1) as pipe:
            job_id = pipe.submit(job)
            key = "%s/%s/%s.pdf" % (PREFIX, job_id, job_id)
            state, parts = self.wait_parts(pipe, job_id, key)
            self.assertIn(state, ("queued", "rendering"))
            self.assertEqual(parts[0]["PartNumber"], 1)
            self.assertEqual(parts[0]["Size"], 5 * MIB)
            self.assertEqual(self.server.objects(), [])
            status = pipe.wait(job_id, timeout=300)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            size, part_count, sha256 = stored_sha256(pipe, key)
            self.assertGreaterEqual(part_count, 4)
            body = self.download(key)
            self.assertEqual(hashlib.sha256(body).hexdigest(), sha256)
            self.assertEqual(len(body), size)
            self.assertEqual(self.server.open_uploads(), [])
        # The same records through a local store give the same bytes.
        with Pipeline(workers=1) as local:
            local_id = local.submit(job)
            status = local.wait(local_id, timeout=300)
            self.assertEqual(status["state"], "done", local.log_tail())
            with open(os.path.join(local.dir, "out", local_id,
                                   local_id + ".pdf"),
                      "rb") as f:
                local_body = f.read()
        assert_marker_pages(check_pdf(body, self.tmp.name), 2500)
        self.assertEqual(len(body), len(local_body))
        self.assertEqual(hashlib.sha256(body).hexdigest(),
                         hashlib.sha256(local_body).hexdigest())

    def test_cancel_while_uploading_leaves_no_object_and_no_upload(self):
        with environment(self.server.environment()), \
                self.pipeline(workers=1) as pipe:
            job_id = pipe.submit(heavy_job(2500))
            key = "%s/%s/%s.pdf" % (PREFIX, job_id, job_id)
            self.wait_parts(pipe, job_id, key)
            answer = pipe.request("DELETE", "/v1/jobs/" + job_id)
            self.assertEqual(answer.status, 200, answer.body)
            pipe.wait_log(r"job=%s store: multipart upload of s3://%s/%s "
                          r"aborted" % (job_id, BUCKET, re.escape(key)),
                          name="sink", what="the sink aborting the upload")
            self.assert_bucket_clean()

    def test_sink_killed_mid_upload_aborts_it_and_stores_a_whole_object(self):
        with environment(self.server.environment()), \
                self.pipeline(workers=1) as pipe:
            job_id = pipe.submit(heavy_job(2500))
            key = "%s/%s/%s.pdf" % (PREFIX, job_id, job_id)
            self.wait_parts(pipe, job_id, key)
            # A part holds more than the first checkpoint's 4 chunks.
            released = os.path.join(pipe.dir, "spool", job_id, "released")
            self.assertTrue(os.path.exists(released), pipe.log_tail())
            pipe.kill(pipe.sink)
            pipe.restart_sink()
            status = pipe.wait(job_id, timeout=300)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            self.assertIn("job=%s earlier upload of %s/%s.pdf aborted" %
                          (job_id, job_id, job_id), sink_log(pipe))
            # The output was taken up from its checkpoint and uploaded
            # again from byte 0.
            self.assertRegex(sink_log(pipe),
                             r"job=%s output taken up from its checkpoint: "
                             r"[1-9]\d* chunks" % job_id)
            # The recorded upload is gone, and so is every other.
            self.assertEqual(self.server.open_uploads(), [])
            size, _, sha256 = stored_sha256(pipe, key)
            body = self.download(key)
            self.assertEqual(hashlib.sha256(body).hexdigest(), sha256)
            assert_marker_pages(check_pdf(body, self.tmp.name), 2500)
            self.assertEqual(self.server.objects(), [key])


@unittest.skipIf(WHY_NO_SERVER, "no S3 server to test against: %s" %
                 WHY_NO_SERVER)
class PresignedDownloadTest(unittest.TestCase):
    """Downloads with the presigned link, from a server that checks no
    signature (moto cannot check query signatures, s3rver checks no SigV4
    at all; S3Test compares them with botocore's instead)."""

    def test_presigned_link_and_redirect_return_the_pdf_to_curl(self):
        tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-presign-")
        server = start(tmp.name, signed=False)
        try:
            env = server.environment()
            env["PDFPIPE_S3_PRESIGN_EXPIRES"] = "900"
            with environment(env), Pipeline(
                    workers=1, store="s3://%s/%s" % (BUCKET, PREFIX)) as pipe:
                job = marker_job(300, chunk_pages=100)
                job["output"] = {"filename": "Quarterly report.pdf"}
                job_id = pipe.submit(job)
                status = pipe.wait(job_id, timeout=60)
                self.assertEqual(status["state"], "done", pipe.log_tail())
                key = "%s/%s/%s.pdf" % (PREFIX, job_id, job_id)
                body = server.s3.get_object(Bucket=BUCKET,
                                          Key=key)["Body"].read()
                assert_marker_pages(check_pdf(body, tmp.name), 300)

                url = status["result"]["download_url"]
                self.assertIn("X-Amz-Expires=900&", url)
                fetched = os.path.join(tmp.name, "link.pdf")
                headers = subprocess.run(
                    ["curl", "-sS", "-f", "-D", "-", "-o", fetched, url],
                    check=True, timeout=60, capture_output=True,
                    text=True).stdout
                with open(fetched, "rb") as f:
                    self.assertEqual(f.read(), body)
                self.assertIn('filename="Quarterly report.pdf"', headers)

                redirected = os.path.join(tmp.name, "redirected.pdf")
                subprocess.run(["curl", "-sS", "-f", "-L", "-o", redirected,
                                pipe.url + "/v1/jobs/%s/result" % job_id],
                               check=True, timeout=60)
                with open(redirected, "rb") as f:
                    self.assertEqual(f.read(), body)
        finally:
            server.close()
            tmp.cleanup()


@unittest.skipIf(WHY_NO_SERVER, "no S3 server to test against: %s" %
                 WHY_NO_SERVER)
class RunShS3Test(unittest.TestCase):
    def test_run_sh_s3_keeps_results_in_a_local_bucket(self):
        from pipeline import BUILD_DIR, SOURCE_DIR, free_port
        port, s3_port = free_port(), free_port()
        with tempfile.TemporaryDirectory(prefix="pdfpipe-runsh-s3-") as data:
            env = dict(os.environ, PDFPIPE_HTTP_PORT=str(port),
                       PDFPIPE_DATA_DIR=data, BUILD_DIR=BUILD_DIR,
                       PDFPIPE_S3_PORT=str(s3_port))
            env["PDFPIPE_DISPATCH"] = "tcp://127.0.0.1:%d" % free_port()
            env["PDFPIPE_EVENTS"] = "tcp://127.0.0.1:%d" % free_port()
            results = "tcp://127.0.0.1:%d" % free_port()
            env["PDFPIPE_SINK"] = env["PDFPIPE_SINK_RESULTS"] = results
            env["PDFPIPE_VENTILATOR"] = env["PDFPIPE_DISPATCH"]
            proc = subprocess.Popen(
                [os.path.join(SOURCE_DIR, "run.sh"), "--s3", "--workers", "1"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, start_new_session=True)
            try:
                banner = ""
                while "pdfpipe: API at" not in banner:
                    line = proc.stdout.readline()
                    if not line:
                        break
                    banner += line
                self.assertIn("results in s3://pdfpipe-local/results at "
                              "http://127.0.0.1:%d" % s3_port, banner)
                api = "http://127.0.0.1:%d" % port
                # The API token run.sh made.
                with open(os.path.join(data, "api", "token")) as f:
                    authorization = "Bearer " + f.read().strip()
                request = urllib.request.Request(
                    api + "/v1/jobs", data=json.dumps(marker_job(20)).encode(),
                    headers={"Content-Type": "application/json",
                             "Authorization": authorization})
                with urllib.request.urlopen(request, timeout=10) as answer:
                    job_id = json.load(answer)["id"]
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    with urllib.request.urlopen(urllib.request.Request(
                            api + "/v1/jobs/" + job_id,
                            headers={"Authorization": authorization}),
                            timeout=10) as answer:
                        status = json.load(answer)
                    if status["state"] in ("done", "failed"):
                        break
                    time.sleep(0.2)
                self.assertEqual(status["state"], "done", status)
                with urllib.request.urlopen(status["result"]["download_url"],
                                            timeout=10) as answer:
                    body = answer.read()
                self.assertTrue(body.startswith(b"%PDF-"))
                self.assertEqual(len(body), status["result"]["bytes"])
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    output, _ = proc.communicate(timeout=60)
                except subprocess.TimeoutExpired:
                    # Every process run.sh started holds the output pipe:
                    # kill the whole session, or reading it never ends.
                    os.killpg(proc.pid, signal.SIGKILL)
                    output, _ = proc.communicate()
                    self.fail("run.sh did not stop within 60 s of SIGTERM:\n"
                              + output[-3000:])
            self.assertEqual(proc.returncode, 0, output[-3000:])
            # moto_server went with the rest.
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", s3_port), 1).close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
