"""Security: the routes the web console brought (GET /v1/jobs and its
cursor, /chunks, /index, /v1/workers, ?dry_run=1, POST /v1/preview) and
the console's own files, attacked over real HTTP on a real pipeline.

The attacks: a second token reading the first one's jobs through every
new route, its list's cursors replayed, forged and edited byte by byte;
no token at all; malformed and oversized query strings; path tricks on
the console's files and its headers on every answer; a dry run whose
body fails half-way; a preview naming files or URLs for its assets; the
index of a job whose records were removed. After each, the ventilator
still answers /healthz, and the preview leaves no child behind.

SPDX-License-Identifier: MPL-2.0
"""
import base64
import http.client
import json
import os
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from pipeline import Pipeline, marker_job  # noqa: E402
from test_preview import children_of  # noqa: E402

CONSOLE_FILES = ("/", "/console/index.html", "/console/app.js",
                 "/console/app.css")
CSP_HEADERS = ("Content-Security-Policy", "X-Frame-Options",
               "X-Content-Type-Options")


def raw(pipe, method, path, headers=None, body=None):
    """A request sent as written (no quoting, no normalisation);
    (status, headers, body), or (None, None, b"") when the server closed
    the connection without an answer."""
    connection = http.client.HTTPConnection("127.0.0.1", pipe.http_port,
                                            timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for key, value in (headers or {}).items():
            connection.putheader(key, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        resp = connection.getresponse()
        return resp.status, resp.headers, resp.read()
    except (ConnectionError, http.client.RemoteDisconnected):
        return None, None, b""
    finally:
        connection.close()


class Listener:
    """A TCP listener on loopback that counts the connections it got."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


class ConsoleSurfaceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pipe = Pipeline(workers=1, tokens=["bob"])
        cls.bob = cls.pipe.tokens.tokens["bob"]
        cls.alice_jobs = [cls.pipe.submit(marker_job(4, chunk_pages=2))
                          for _ in range(5)]
        for job_id in cls.alice_jobs:
            assert cls.pipe.wait(job_id, timeout=120)["state"] == "done"
        cls.bob_job = cls.pipe.request("POST", "/v1/jobs", marker_job(2),
                                       token=cls.bob).json()["id"]
        deadline = time.monotonic() + 120
        while cls.pipe.request("GET", "/v1/jobs/" + cls.bob_job,
                               token=cls.bob).json()["state"] != "done":
            assert time.monotonic() < deadline, "Bob's job is not done"
            time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.pipe.close()

    def assert_serving(self, what):
        resp = self.pipe.request("GET", "/healthz", token=None)
        self.assertEqual(resp.status, 200, what)
        self.assertIsNone(self.pipe.ventilator.poll(), what)

    def bob_list(self, query):
        resp = self.pipe.request("GET", "/v1/jobs" + query, token=self.bob)
        return resp

    # -- cross-token ---------------------------------------------------------
    def test_bob_never_lists_alices_jobs(self):
        cursors = []
        page = self.pipe.request("GET", "/v1/jobs?limit=1").json()
        while page["next"]:
            cursors.append(page["next"])
            page = self.pipe.request(
                "GET", "/v1/jobs?limit=1&before=" + page["next"]).json()
        self.assertEqual(len(cursors), len(self.alice_jobs) - 1)
        queries = ["", "?limit=200"] + [
            "?state=" + s for s in ("queued", "rendering", "merging",
                                    "storing", "done", "failed", "cancelled",
                                    "queued,rendering,merging,storing,done,"
                                    "failed,cancelled")]
        forged = []
        for cursor in cursors:
            forged.append(cursor)
            millis, _, job_id = cursor.partition(".")
            forged.append("9" * 18 + "." + job_id)
            forged.append(str(int(millis) + 1) + "." + job_id)
            forged.append(millis + "." + "f" * 32)
            for index in range(len(cursor)):
                for byte in ("0", "f", "."):
                    forged.append(cursor[:index] + byte + cursor[index + 1:])
        for cursor in forged:
            queries.append("?before=" + cursor)
            queries.append("?state=done&limit=200&before=" + cursor)
        for query in queries:
            resp = self.bob_list(query)
            self.assertIn(resp.status, (200, 400), (query, resp.body))
            if resp.status == 400:
                self.assertEqual(
                    resp.json()["error"]["message"],
                    "?before= is not a cursor this API gave (use the "
                    "list's \"next\" as it is)", query)
                continue
            ids = [job["id"] for job in resp.json()["jobs"]]
            self.assertEqual(set(ids) - {self.bob_job}, set(), query)
            for alice_id in self.alice_jobs:
                self.assertNotIn(alice_id.encode(), resp.body, query)
        self.assert_serving("lists")

    def test_bob_gets_404_on_alices_job_routes(self):
        alice = self.alice_jobs[0]
        unknown = self.pipe.request(
            "GET", "/v1/jobs/0123456789abcdef0123456789abcdef/chunks",
            token=self.bob)
        self.assertEqual(unknown.status, 404)
        for method, path in (("GET", "/v1/jobs/%s/chunks" % alice),
                             ("HEAD", "/v1/jobs/%s/chunks" % alice),
                             ("GET", "/v1/jobs/%s/index" % alice),
                             ("GET", "/v1/jobs/%s/result" % alice),
                             ("GET", "/v1/jobs/%s" % alice),
                             ("DELETE", "/v1/jobs/%s" % alice)):
            resp = self.pipe.request(method, path, token=self.bob)
            self.assertEqual(resp.status, 404, (method, path, resp.body))
            if method != "HEAD":
                self.assertEqual(
                    resp.json()["error"]["message"],
                    "no job with id '%s'" % alice, (method, path))
        self.assertEqual(self.pipe.status(alice)["state"], "done")

    def test_workers_hide_other_tokens_job_ids(self):
        # A job of Alice's the worker holds while Bob looks.
        job = marker_job(400, chunk_pages=200)
        job_id = self.pipe.submit(job)
        try:
            seen = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                resp = self.pipe.request("GET", "/v1/workers", token=self.bob)
                self.assertEqual(resp.status, 200, resp.body)
                self.assertNotIn(job_id.encode(), resp.body)
                rendering = [r for w in resp.json()["workers"]
                             for r in w["rendering"]]
                if rendering:
                    seen = rendering
                    break
                if self.pipe.status(job_id)["state"] == "done":
                    break
                time.sleep(0.02)
            if seen:
                self.assertEqual({r["job"] for r in seen}, {None})
        finally:
            self.pipe.wait(job_id, timeout=120)

    def test_no_token_is_401_on_new_routes_but_console_loads(self):
        alice = self.alice_jobs[0]
        for method, path in (("GET", "/v1/jobs"),
                             ("GET", "/v1/jobs?state=done"),
                             ("GET", "/v1/jobs/%s/chunks" % alice),
                             ("GET", "/v1/jobs/%s/index" % alice),
                             ("GET", "/v1/workers"),
                             ("POST", "/v1/jobs?dry_run=1"),
                             ("POST", "/v1/preview")):
            body = marker_job(1) if method == "POST" else None
            resp = self.pipe.request(method, path, body, token=None)
            self.assertEqual(resp.status, 401, (method, path, resp.body))
        for path in CONSOLE_FILES:
            resp = self.pipe.request("GET", path, token=None)
            self.assertEqual(resp.status, 200, path)

    # -- malformed queries -----------------------------------------------------
    def test_malformed_list_queries(self):
        limit_error = "?limit= must be a whole number from 1 to 200, not '%s'"
        cases = {
            "?limit=0": limit_error % "0",
            "?limit=-1": limit_error % "-1",
            "?limit=1e9": limit_error % "1e9",
            "?limit=201": limit_error % "201",
            "?limit=": limit_error % "",
            "?limit=%2B5": limit_error % "+5",
            "?limit=5%00": limit_error % "5%00",
            "?state=": "unknown state '' in ?state=",
            "?state=done,": "unknown state '' in ?state=",
            "?state=%00done": "unknown state '%00done' in ?state=",
            "?state=" + ",".join(["done"] * 10000) + ",nope":
                "unknown state 'nope' in ?state=",
            "?before=": None,
            "?before=%00": None,
            "?before=1." + "a" * 60000: None,
        }
        for query, message in cases.items():
            resp = self.pipe.request("GET", "/v1/jobs" + query)
            if resp.status in (414, 431):
                self.assert_serving(query[:40])
                continue
            self.assertEqual(resp.status, 400, (query[:60], resp.body[:200]))
            text = resp.json()["error"]["message"]
            if message is not None:
                self.assertEqual(text, message, query[:60])
            elif query.startswith("?before"):
                self.assertIn("?before= is not a cursor", text)
            else:
                self.assertIn("?limit=", text)
            self.assert_serving(query[:40])
        # Repeated parameters: one of them is used, never a crash.
        resp = self.pipe.request("GET", "/v1/jobs?limit=1&limit=0&limit=2")
        self.assertIn(resp.status, (200, 400), resp.body)
        self.assert_serving("repeated")
        # A URL of 64 KiB: refused by the header limit, server up.
        status, _, _ = raw(self.pipe, "GET",
                           "/v1/jobs?before=" + "1" * 65536,
                           {"Authorization": "Bearer " + self.pipe.token})
        self.assertIn(status, (414, 431, None))
        self.assert_serving("64 KiB URL")

    def test_malformed_preview_and_dry_run_queries(self):
        job = marker_job(2)
        for query, message in (
                ("?page=0", "?page= must be a page number from 1 to "),
                ("?page=99999999999999999999",
                 "?page= must be a page number from 1 to "),
                ("?page=-1", "?page= must be a page number from 1 to "),
                ("?page=%201", "?page= must be a page number from 1 to "),
                ("?format=svg", "?format= must be pdf or png, not 'svg'")):
            resp = self.pipe.request("POST", "/v1/preview" + query, job)
            self.assertEqual(resp.status, 400, (query, resp.body))
            self.assertIn(message, resp.json()["error"]["message"], query)
        resp = self.pipe.request("POST", "/v1/preview?page=1000000", job)
        self.assertEqual(resp.status, 400, resp.body)
        self.assertIn("past the last record",
                      resp.json()["error"]["message"])
        resp = self.pipe.request("POST", "/v1/jobs?dry_run=yes", job)
        self.assertEqual(resp.status, 400, resp.body)
        self.assertEqual(resp.json()["error"]["message"],
                         "?dry_run= must be 1 or 0, not 'yes'")
        self.assert_serving("preview queries")

    # -- the console's files ---------------------------------------------------
    def assert_console_headers(self, headers, what):
        for name in CSP_HEADERS:
            self.assertIsNotNone(headers.get(name), (what, name))
        self.assertEqual(headers.get("X-Frame-Options"), "DENY", what)
        self.assertEqual(headers.get("X-Content-Type-Options"), "nosniff",
                         what)
        self.assertIn("default-src 'self'",
                      headers.get("Content-Security-Policy"), what)

    def test_console_files_and_their_headers(self):
        for path in CONSOLE_FILES:
            for method in ("GET", "HEAD"):
                status, headers, body = raw(self.pipe, method, path)
                self.assertEqual(status, 200, (method, path))
                self.assert_console_headers(headers, (method, path))
            status, headers, _ = raw(self.pipe, "GET", path, {
                "If-None-Match": headers["ETag"]})
            self.assertEqual(status, 304, path)
        for path in ("/console/", "/console/../app.js", "/console/%2e%2e/",
                     "/console//app.js", "/console/app.js%00",
                     "/console/app.js%00.html", "/console/..%2fapp.js",
                     "/console/nothing.js", "/console/app.js/",
                     "/console/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                     "/console/../../../../etc/passwd"):
            status, headers, body = raw(self.pipe, "GET", path)
            self.assertEqual(status, 404, (path, body[:200]))
            self.assertNotIn(b"root:", body)
            self.assertTrue(body.startswith(b'{"error"'), (path, body))
            self.assert_console_headers(headers, path)
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            for path in ("/", "/console/app.js"):
                status, headers, body = raw(self.pipe, method, path,
                                            body=b"")
                self.assertEqual(status, 405, (method, path))
                self.assertEqual(headers.get("Allow"), "GET, HEAD")
                self.assert_console_headers(headers, (method, path))
        self.assert_serving("console")

    # -- dry run -------------------------------------------------------------
    def test_dry_run_failing_half_way_leaves_nothing(self):
        state_dir = os.path.join(self.pipe.dir, "ventilator")

        def snapshot():
            found = set()
            for root, dirs, files in os.walk(state_dir):
                for name in dirs + files:
                    path = os.path.join(root, name)
                    if not path.endswith(("-wal", "-shm", ".db",
                                          "-journal")):
                        found.add(os.path.relpath(path, state_dir))
            return found

        before_tree = snapshot()
        before_list = self.pipe.request("GET", "/v1/jobs?limit=200").body
        job = marker_job(3000)
        job["records"][2500] = 7
        resp = self.pipe.request("POST", "/v1/jobs?dry_run=1", job)
        self.assertEqual(resp.status, 400, resp.body)
        self.assertEqual(resp.json()["error"]["field"], "records[2500]")
        job = marker_job(2)
        job["records"] = "s3://elsewhere/records.jsonl"
        dry = self.pipe.request("POST", "/v1/jobs?dry_run=1", job)
        real = self.pipe.request("POST", "/v1/jobs", job)
        self.assertEqual(dry.status, 400, dry.body)
        self.assertEqual((real.status, real.json()),
                         (dry.status, dry.json()))
        # A dry run whose client hangs up half-way through its body.
        body = json.dumps(marker_job(20000)).encode()
        with socket.create_connection(("127.0.0.1", self.pipe.http_port),
                                      timeout=30) as sock:
            sock.sendall(b"POST /v1/jobs?dry_run=1 HTTP/1.1\r\nHost: x\r\n"
                         b"Authorization: Bearer %s\r\n"
                         b"Content-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n"
                         % (self.pipe.token.encode(), len(body)))
            sock.sendall(body[:len(body) // 2])
        # The ventilator notices the hang-up when the upload has been
        # silent for --upload-grace-s (30 s); then nothing of it is left.
        deadline = time.monotonic() + 120
        while snapshot() - before_tree and time.monotonic() < deadline:
            time.sleep(0.05)
        # Nothing new (an earlier request's upload may have gone since).
        self.assertEqual(snapshot() - before_tree, set())
        self.assertEqual(
            self.pipe.request("GET", "/v1/jobs?limit=200").body, before_list)
        self.assert_serving("dry runs")

    def test_wrong_methods_on_new_routes(self):
        alice = self.alice_jobs[0]
        for method, path, allow in (
                ("POST", "/v1/workers", "GET, HEAD"),
                ("DELETE", "/v1/jobs/%s/index" % alice, "GET, HEAD"),
                ("PUT", "/v1/jobs/%s/chunks" % alice, "GET, HEAD"),
                ("DELETE", "/v1/jobs", "GET, HEAD, POST"),
                ("GET", "/v1/preview", "POST")):
            resp = self.pipe.request(method, path, b"" if method in (
                "POST", "PUT") else None)
            self.assertEqual(resp.status, 405, (method, path))
            self.assertEqual(resp.headers.get("Allow"), allow, path)
            self.assertEqual(resp.json()["error"]["message"],
                             "method %s is not allowed here; use %s"
                             % (method, allow))

    # -- preview ---------------------------------------------------------------
    def test_preview_reaches_no_file_and_no_network(self):
        listener = Listener()
        try:
            http_url = "http://127.0.0.1:%d/x.png" % listener.port
            for field, value, job in self.preview_probes(http_url):
                resp = self.pipe.request("POST", "/v1/preview", job)
                self.assertEqual(resp.status, 400, (value, resp.body))
                self.assertEqual(resp.json()["error"].get("field"), field,
                                 (value, resp.body))
            self.assertEqual(listener.connections, 0)
        finally:
            listener.close()
        self.assert_serving("preview probes")
        self.assert_no_children()

    def preview_probes(self, http_url):
        for url in ("file:///etc/passwd", http_url, "/etc/passwd",
                    "../../etc/passwd", "ftp://127.0.0.1/x"):
            job = marker_job(1, extra_elements=[
                {"type": "image", "asset": "logo", "x": 10, "y": 10,
                 "width": 10, "height": 10}])
            job["assets"] = {"logo": {"type": "png", "url": url}}
            yield "assets.logo.url", url, job
        for path in ("/etc/passwd", "file:///etc/passwd", http_url):
            job = marker_job(1)
            job["template"]["fonts"] = {"f": {"file": path}}
            yield "template.fonts.f.file", path, job
        # fontconfig pattern syntax smuggled into a family or a style.
        for font in ({"family": "DejaVu Sans:file=/etc/passwd"},
                     {"family": "DejaVu Sans", "style": "Book:file=/etc/passwd"},
                     {"family": "*"}):
            job = marker_job(1)
            job["template"]["fonts"] = {"f": font}
            yield "template.fonts.f.family", font, job

    def test_preview_decompression_bomb_refused(self):
        import struct
        import zlib

        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data +
                    struct.pack(">I", zlib.crc32(kind + data)))
        # 20000 x 20000 grey pixels: a few KiB, 400 megapixels decoded.
        rows = zlib.compress(b"\0" * (20001 * 64), 9)
        png = (b"\x89PNG\r\n\x1a\n" +
               chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 0,
                                          0, 0, 0)) +
               chunk(b"IDAT", rows) + chunk(b"IEND", b""))
        job = marker_job(1, extra_elements=[
            {"type": "image", "asset": "bomb", "x": 10, "y": 10,
             "width": 10, "height": 10}])
        job["assets"] = {"bomb": {
            "type": "png", "data": base64.b64encode(png).decode()}}
        resp = self.pipe.request("POST", "/v1/preview?format=png", job)
        self.assertEqual(resp.status, 400, resp.body[:300])
        self.assertEqual(resp.json()["error"]["field"],
                         "assets.bomb")
        self.assert_serving("bomb")
        self.assert_no_children()

    def assert_no_children(self):
        pid = self.pipe.ventilator.pid
        deadline = time.monotonic() + 30
        while children_of(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(children_of(pid), [])

    # -- index ----------------------------------------------------------------
    def test_index_after_records_removed(self):
        job_id = self.pipe.submit(marker_job(3))
        self.assertEqual(self.pipe.wait(job_id)["state"], "done")
        resp = self.pipe.request("GET", "/v1/jobs/%s/index" % job_id)
        self.assertEqual(resp.status, 200, resp.body)
        jobs_dir = os.path.join(self.pipe.dir, "ventilator", "jobs", job_id)
        for root, dirs, files in os.walk(jobs_dir, topdown=False):
            for name in files:
                os.unlink(os.path.join(root, name))
            for name in dirs:
                os.rmdir(os.path.join(root, name))
        os.rmdir(jobs_dir)
        resp = self.pipe.request("GET", "/v1/jobs/%s/index" % job_id)
        self.assertEqual(resp.status, 410, resp.body)
        self.assertEqual(
            resp.json()["error"]["message"],
            "the records of job %s are no longer kept, so its index cannot "
            "be made" % job_id)
        self.assert_serving("index")

    def test_index_of_records_cut_short_is_cut_short(self):
        job_id = self.pipe.submit(marker_job(3))
        self.assertEqual(self.pipe.wait(job_id)["state"], "done")
        records = os.path.join(self.pipe.dir, "ventilator", "jobs", job_id,
                               "records.jsonl")
        for content in (b"garbage\n\x00\xff{", b"", b"{}\n" * 5):
            with open(records, "wb") as f:
                f.write(content)
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.pipe.http_port, timeout=30)
            connection.request("GET", "/v1/jobs/%s/index" % job_id, headers={
                "Authorization": "Bearer " + self.pipe.token})
            resp = connection.getresponse()
            self.assertEqual(resp.status, 200)
            with self.assertRaises(http.client.IncompleteRead, msg=content):
                resp.read()
            connection.close()
            self.assert_serving(content)
        self.pipe.wait_log("records file does not hold its 3 pages",
                           name="ventilator")



def trickle(port, path, job):
    """POST job to path a byte at a time, three bytes a second, until the
    server answers or hangs up; what it answered (b"" for nothing)."""
    body = json.dumps(job).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % (path.encode(),
                                                         len(body)))
        sock.settimeout(0.3)
        answer = b""
        for byte in body:
            try:
                sock.sendall(bytes([byte]))
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            answer += chunk
            if not chunk or b"\r\n\r\n" in answer:
                break
        return answer


class SlowPreviewTest(unittest.TestCase):
    """A preview's body under the slow-client limits of a submission."""

    def test_trickled_preview_gets_408_and_frees_its_place(self):
        args = ["--upload-grace-s", "1", "--min-upload-rate", "1000"]
        with Pipeline(workers=0, ventilator_args=args) as pipe:
            job = marker_job(2)
            for path in ("/v1/preview", "/v1/jobs"):
                answer = trickle(pipe.http_port, path, job)
                self.assertTrue(answer.startswith(b"HTTP/1.1 408 "),
                                (path, answer[:300]))
                self.assertIn(b"arrived slower than 1000 bytes/s", answer)
            self.assertEqual(pipe.request("GET", "/healthz").status, 200)
            # Both places are free again: two previews at once render.
            for _ in range(2):
                resp = pipe.request("POST", "/v1/preview", job)
                self.assertEqual(resp.status, 200, resp.body[:300])
                self.assertTrue(resp.body.startswith(b"%PDF"))
            deadline = time.monotonic() + 30
            while children_of(pipe.ventilator.pid) and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(children_of(pipe.ventilator.pid), [])


class RendererFdsTest(unittest.TestCase):
    """The preview's renderer gets stdin, stdout and stderr, and none of
    the ventilator's sockets or pipes."""

    def test_renderer_inherits_no_descriptor_of_the_ventilator(self):
        with tempfile.TemporaryDirectory(prefix="pdfpipe-check-") as tmp:
            stand_in = os.path.join(tmp, "renderer.sh")
            with open(stand_in, "w") as f:
                f.write("#!/bin/sh\nreadlink /proc/$$/fd/* >&2\nexit 3\n")
            os.chmod(stand_in, 0o755)
            args = ["--preview-worker", stand_in]
            with Pipeline(workers=1, tokens=True,
                          ventilator_args=args) as pipe:
                # A job first, so the ventilator holds its connections.
                job_id = pipe.submit(marker_job(2))
                self.assertEqual(pipe.wait(job_id)["state"], "done")
                resp = pipe.request("POST", "/v1/preview", marker_job(2))
                self.assertEqual(resp.status, 500, resp.body)
                self.assertEqual(
                    resp.json()["error"]["message"],
                    "the preview's renderer (pdfpipe-worker --preview) "
                    "exited with status 3")
                said = pipe.wait_log(r"exited with status 3; it said: (.*)",
                                     name="ventilator").group(1)
                # The shell's own: stdin, stdout, stderr and its script.
                fds = said.split("|")
                self.assertEqual(
                    sorted(fd for fd in fds if fd != stand_in),
                    ["pipe:[%s]" % fd.split("[")[1][:-1]
                     for fd in sorted(fds) if fd.startswith("pipe:")], said)
                self.assertEqual(len(fds), 4, said)
                pipe.close(check=False)

if __name__ == "__main__":
    unittest.main()
