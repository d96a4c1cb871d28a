"""End-to-end: POST /v1/preview on the real ventilator, which renders page
k of a job document at once with the real pdfpipe-worker --preview (and
pdftoppm for PNG), without queueing a job and without any worker
connected.

Checked with the tools a user would reach for: qpdf counts the pages,
pdftotext reads the invoice number of the record asked for, the PNG's own
header gives its size. Errors are compared with what POST /v1/jobs answers
for the same document. The limits are made to bite for real: two previews
whose bodies are still arriving hold both places, so a third is refused;
a renderer given too little memory fails; a renderer that never answers
(a stand-in, as the fault tests use scripted workers) is stopped at the
time limit. After each, the ventilator still serves, and nothing is left
behind: no file in its data directory, no child process.

SPDX-License-Identifier: MPL-2.0
"""
import base64
import json
import os
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import unittest
import unittest.mock
import zlib

sys.path.insert(0, os.path.dirname(__file__))
import s3server  # noqa: E402
from pipeline import (SOURCE_DIR, VENTILATOR, Pipeline,  # noqa: E402
                      marker_job)

WHY_NO_S3_SERVER = s3server.missing()


def address_sanitizer():
    """True when the build is -DSANITIZE=ON: its programs load libasan,
    which cannot start under an address-space limit, so the ventilator
    sets none there (ventilator/sandbox)."""
    linked = subprocess.run(["ldd", VENTILATOR], capture_output=True,
                            text=True).stdout
    return "libasan" in linked

INVOICE = os.path.join(SOURCE_DIR, "examples", "invoice", "template.json")
RECORDS = os.path.join(SOURCE_DIR, "tests", "data", "invoice-3.jsonl")
MIB = 1024 * 1024


def invoice_job():
    with open(INVOICE) as f:
        job = json.load(f)
    with open(RECORDS) as f:
        job["records"] = [json.loads(line) for line in f if line.strip()]
    return job


def pdf_pages_and_text(pdf, workdir):
    path = os.path.join(workdir, "preview.pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    pages = int(subprocess.run(["qpdf", "--show-npages", path],
                               capture_output=True, text=True,
                               check=True).stdout)
    text = subprocess.run(["pdftotext", path, "-"], capture_output=True,
                          text=True, check=True).stdout
    return pages, text


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    assert data[12:16] == b"IHDR", data[8:16]
    return struct.unpack(">II", data[16:24])


def big_png(width, height):
    """A valid PNG of width x height grey pixels, small once compressed."""
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))
    rows = (b"\x00" + b"\x80" * (width * 3)) * height
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0,
                                       0, 0)) +
            chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def error_of(resp):
    error = resp.json()["error"]
    return error.get("field"), error["message"]


def processes():
    """(pid, state, parent, group) of every process, from /proc."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    state, parent, group = f.read().rsplit(")", 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            yield int(entry), state, int(parent), int(group)


def children_of(pid):
    """Pids whose parent is pid."""
    return [child for child, _, parent, _ in processes() if parent == pid]


def in_group(group):
    """Live pids in process group group: not zombies (dead, waiting for
    init to reap them, as orphans do)."""
    return [pid for pid, state, _, in_group in processes()
            if in_group == group and state != "Z"]


def files_under(directory):
    """Every file below directory but the job store's database files."""
    found = set()
    for root, _, names in os.walk(directory):
        for name in names:
            if not name.startswith("jobs.db"):
                found.add(os.path.relpath(os.path.join(root, name),
                                          directory))
    return found


class RawPost:
    """A POST /v1/preview whose body is sent in two steps, so that it holds
    its place while the test does something else."""

    def __init__(self, pipe, body, page=1):
        self.body = body
        self.sock = open_post(pipe, "/v1/preview?page=%d" % page,
                              "Content-Length: %d" % len(body))
        self.sock.sendall(body[:len(body) // 2])

    def finish(self):
        """Send the rest; (status, headers text, body)."""
        self.sock.sendall(self.body[len(self.body) // 2:])
        return read_response(self.sock)


def open_post(pipe, path, length_header):
    """A connection that has sent the headers of a POST of a job document
    to path, with its token; the body is the caller's to send."""
    sock = socket.create_connection(("127.0.0.1", pipe.http_port),
                                    timeout=30)
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\n%s\r\n"
            % (path, length_header))
    if pipe.token:
        head += "Authorization: Bearer %s\r\n" % pipe.token
    sock.sendall((head + "\r\n").encode())
    return sock


def read_response(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            break
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    while len(body) < length:
        more = sock.recv(65536)
        if not more:
            break
        body += more
    sock.close()
    return int(lines[0].split()[1]), "\n".join(lines[1:]), body


class PreviewTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.pipe = Pipeline(workers=0, tokens=True)
        cls.workdir = tempfile.mkdtemp(prefix="pdfpipe-preview-")
        cls.data_dir = os.path.join(cls.pipe.dir, "ventilator")
        cls.files_before = files_under(cls.data_dir)

    @classmethod
    def tearDownClass(cls):
        cls.pipe.close()

    def preview(self, body, query=""):
        return self.pipe.request("POST", "/v1/preview" + query, body)

    def assert_nothing_left(self):
        self.assertEqual(files_under(self.data_dir), self.files_before)
        self.assertEqual(children_of(self.pipe.ventilator.pid), [])

    def test_page_k_is_a_one_page_pdf_of_record_k(self):
        job = invoice_job()
        numbers = [str(record["number"]) for record in job["records"]]
        for page in (1, 2, 3):
            resp = self.preview(job, "?page=%d" % page)
            self.assertEqual(resp.status, 200, resp.body[:300])
            self.assertEqual(resp.headers["Content-Type"], "application/pdf")
            pages, text = pdf_pages_and_text(resp.body, self.workdir)
            self.assertEqual(pages, 1)
            self.assertIn("No. %s" % numbers[page - 1], text)
            for other in numbers[:page - 1] + numbers[page:]:
                self.assertNotIn(other, text)
        # Without ?page=, page 1; {{pages}} counts every record.
        resp = self.preview(marker_job(5), "?format=pdf")
        self.assertEqual(resp.status, 200, resp.body[:300])
        _, text = pdf_pages_and_text(resp.body, self.workdir)
        self.assertIn("MARK-000001", text)
        self.assertIn("Page 1 of 5", text)
        self.assert_nothing_left()

    def test_png_is_the_page_at_96_dpi(self):
        resp = self.preview(invoice_job(), "?page=2&format=png")
        self.assertEqual(resp.status, 200, resp.body[:300])
        self.assertEqual(resp.headers["Content-Type"], "image/png")
        # A4 (595.28 x 841.89 points) at 96 dpi.
        self.assertEqual(png_size(resp.body), (794, 1123))
        self.assert_nothing_left()

    def test_a_bad_document_gets_the_400_a_submission_gets(self):
        no_field = marker_job(3)
        del no_field["records"][1]["customer"]
        bad_element = marker_job(2)
        bad_element["template"]["elements"][0]["size"] = "big"
        for job in ({"version": "1", "template": {}, "records": [{}]},
                    no_field, bad_element, b"{\"version\": 1,"):
            preview = self.preview(job, "?page=3")
            submit = self.pipe.request("POST", "/v1/jobs", job)
            self.assertEqual(preview.status, 400, preview.body[:300])
            self.assertEqual(submit.status, 400, submit.body[:300])
            self.assertEqual(error_of(preview), error_of(submit))
        field, _ = error_of(self.preview(no_field, "?page=3"))
        self.assertEqual(field, "records[1].customer.name")
        self.assert_nothing_left()

    def test_only_the_records_up_to_the_page_are_checked(self):
        job = marker_job(3)
        del job["records"][2]["customer"]
        resp = self.preview(job, "?page=2")
        self.assertEqual(resp.status, 200, resp.body[:300])
        _, text = pdf_pages_and_text(resp.body, self.workdir)
        self.assertIn("MARK-000002", text)

    def test_a_page_past_the_end_is_refused(self):
        resp = self.preview(invoice_job(), "?page=9")
        self.assertEqual(resp.status, 400)
        self.assertEqual(error_of(resp),
                         (None, "page 9 is past the last record (3 records)"))
        for query in ("?page=0", "?page=x", "?page=-1", "?format=gif"):
            resp = self.preview(marker_job(1), query)
            self.assertEqual(resp.status, 400, query)
            self.assertIn(query[1:query.index("=") + 1],
                          error_of(resp)[1])

    def test_a_body_over_16_mib_is_413(self):
        job = marker_job(1)
        job["records"][0]["pad"] = "x" * (16 * MIB)
        body = json.dumps(job).encode()
        # Announced: refused before the body.
        sock = open_post(self.pipe, "/v1/preview",
                         "Content-Length: %d" % len(body))
        status, _, answer = read_response(sock)
        self.assertEqual(status, 413)
        self.assertIn("at most 16777216 bytes", answer.decode())
        # Sent chunked, without a length: refused at its end.
        sock = open_post(self.pipe, "/v1/preview",
                         "Transfer-Encoding: chunked")
        for at in range(0, len(body), MIB):
            piece = body[at:at + MIB]
            sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        sock.sendall(b"0\r\n\r\n")
        status, _, answer = read_response(sock)
        self.assertEqual(status, 413)
        self.assert_nothing_left()

    def test_a_third_preview_at_once_is_503(self):
        body = json.dumps(invoice_job()).encode()
        first = RawPost(self.pipe, body, page=1)
        second = RawPost(self.pipe, body, page=2)
        try:
            # Both places are taken once their headers are read; the
            # refusal of a third is the proof that they are.
            for _ in range(50):
                resp = self.preview(body)
                if resp.status == 503:
                    break
            self.assertEqual(resp.status, 503, resp.body[:300])
            self.assertEqual(resp.headers["Retry-After"], "1")
            self.assertIn("2 previews", error_of(resp)[1])
        finally:
            status_1, _, pdf_1 = first.finish()
            status_2, _, pdf_2 = second.finish()
        self.assertEqual((status_1, status_2), (200, 200))
        self.assertIn("No. 100001", pdf_pages_and_text(pdf_1, self.workdir)[1])
        self.assertIn("No. 100002", pdf_pages_and_text(pdf_2, self.workdir)[1])
        # Their places are free again.
        self.assertEqual(self.preview(body).status, 200)
        self.assert_nothing_left()

    def test_tokens_and_metrics(self):
        resp = self.pipe.request("POST", "/v1/preview", marker_job(1),
                                 token=None)
        self.assertEqual(resp.status, 401)
        self.assertEqual(self.preview(marker_job(1)).status, 200)
        text = self.pipe.request("GET", "/metrics").body.decode()
        self.assertIn('pdfpipe_http_requests_total{route="/v1/preview",'
                      'code="200"}', text)
        self.assertIn('pdfpipe_http_requests_total{route="/v1/preview",'
                      'code="401"}', text)


class RendererFailureTest(unittest.TestCase):
    """Renderers that fail: the answer says why, the ventilator goes on."""

    def check_serving(self, pipe):
        resp = pipe.request("POST", "/v1/preview", marker_job(2))
        self.assertEqual(resp.status, 200, resp.body[:300])
        data_dir = os.path.join(pipe.dir, "ventilator")
        self.assertEqual(files_under(data_dir), set())
        self.assertEqual(children_of(pipe.ventilator.pid), [])

    @unittest.skipIf(address_sanitizer(), "an ASan build sets no address-"
                     "space limit (ventilator/sandbox)")
    def test_a_renderer_short_of_memory_fails_clearly(self):
        job = marker_job(2)
        job["assets"] = {"big": {"type": "png", "data": base64.b64encode(
            big_png(4000, 4000)).decode()}}
        job["template"]["elements"].append(
            {"type": "image", "asset": "big", "x": 10, "y": 10,
             "width": 100, "height": 100})
        # Room for the program but not for the 48 MB image decoded.
        with Pipeline(workers=0, ventilator_args=[
                "--preview-memory-mb", "32"]) as pipe:
            resp = pipe.request("POST", "/v1/preview", job)
            self.assertEqual(resp.status, 400, resp.body[:300])
            field, message = error_of(resp)
            self.assertEqual(field, "assets.big")
            self.assertIn("libharu error", message)
            self.check_serving(pipe)
        # Not even room to start: a 500 naming the renderer.
        with Pipeline(workers=0, ventilator_args=[
                "--preview-memory-mb", "16"]) as pipe:
            resp = pipe.request("POST", "/v1/preview", job)
            self.assertEqual(resp.status, 500, resp.body[:300])
            self.assertIn("pdfpipe-worker --preview", error_of(resp)[1])
            resp = pipe.request("GET", "/healthz")
            self.assertEqual(resp.status, 200)

    def test_a_renderer_past_the_time_limit_is_stopped(self):
        workdir = tempfile.mkdtemp(prefix="pdfpipe-preview-")
        stand_in = os.path.join(workdir, "never-answers")
        with open(stand_in, "w") as f:
            f.write("#!/bin/sh\necho \"group $$\" >&2\nsleep 60\n")
        os.chmod(stand_in, stat.S_IRWXU)
        with Pipeline(workers=0, ventilator_args=[
                "--preview-worker", stand_in,
                "--preview-timeout-s", "1"]) as pipe:
            resp = pipe.request("POST", "/v1/preview", marker_job(1))
            self.assertEqual(resp.status, 500, resp.body[:300])
            message = error_of(resp)[1]
            self.assertIn("longer than the preview's limit of 1000 ms",
                          message)
            # The stand-in and its sleep (its process group, which it
            # named on stderr, now in the ventilator's log) are gone.
            self.assertEqual(children_of(pipe.ventilator.pid), [])
            match = pipe.wait_log(r"it said: group (\d+)", name="ventilator")
            group = int(match.group(1))
            self.assertEqual(in_group(group), [])
            self.assertEqual(pipe.request("GET", "/healthz").status, 200)


@unittest.skipIf(WHY_NO_S3_SERVER, "no S3 server to test against: %s"
                 % WHY_NO_S3_SERVER)
class S3RecordsTest(unittest.TestCase):
    """Records named by an s3:// URL, under the --s3-inputs rules of a
    submission."""

    def test_records_from_s3_follow_the_inputs_rules(self):
        bucket = s3server.BUCKET
        job = invoice_job()
        lines = "\n".join(json.dumps(record, ensure_ascii=False)
                          for record in job.pop("records")).encode()
        with tempfile.TemporaryDirectory(prefix="pdfpipe-s3-") as logs:
            server = s3server.start(logs)
            try:
                server.s3.put_object(Bucket=bucket, Key="inputs/inv.jsonl",
                                     Body=lines)
                server.s3.put_object(Bucket=bucket, Key="private/inv.jsonl",
                                     Body=lines)
                with unittest.mock.patch.dict(os.environ,
                                              server.environment()), \
                        Pipeline(workers=0, ventilator_args=[
                            "--s3-inputs", bucket + "/inputs"]) as pipe:
                    job["records"] = "s3://%s/inputs/inv.jsonl" % bucket
                    resp = pipe.request("POST", "/v1/preview?page=3", job)
                    self.assertEqual(resp.status, 200, resp.body[:300])
                    workdir = tempfile.mkdtemp(prefix="pdfpipe-preview-")
                    self.assertIn("No. 100003",
                                  pdf_pages_and_text(resp.body, workdir)[1])
                    job["records"] = "s3://%s/private/inv.jsonl" % bucket
                    preview = pipe.request("POST", "/v1/preview", job)
                    submit = pipe.request("POST", "/v1/jobs", job)
                    self.assertEqual((preview.status, submit.status),
                                     (400, 400))
                    self.assertEqual(error_of(preview), error_of(submit))
                    self.assertEqual(error_of(preview)[0], "records")
            finally:
                server.close()


if __name__ == "__main__":
    unittest.main()
