"""End-to-end webhooks: a job's end is POSTed, signed the Standard Webhooks
way, to a local receiver that fails the first attempts and checks the
signature with the code docs/api.md shows; a delivery pending when the
ventilator is killed is made after its restart; a target outside the
allowlist is refused with 400.

SPDX-License-Identifier: MPL-2.0
"""
import base64
import http.server
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import Pipeline, marker_job  # noqa: E402

SOURCE_DIR = os.environ.get(
    "PDFPIPE_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SECRET = "whsec_" + base64.b64encode(b"pdfpipe webhook test secret 32b").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"not the secret the server has!").decode()
# Short retries, so that the schedule shows in seconds (the order of
# attempts is what is asserted, never their timing).
FAST_RETRIES = ["--webhook-retry-ms", "200", "--webhook-retry-max-ms", "400"]
WAIT_S = 60.0
# A worker in Python that fails the chunks its records say to (pyzmq).
SCRIPTED = [sys.executable, os.path.join(os.path.dirname(__file__),
                                         "scripted_worker.py")]


def doc_verify():
    """verify(secret, headers, body) from the Python block of docs/api.md's
    Webhooks section, run as written there."""
    with open(os.path.join(SOURCE_DIR, "docs", "api.md"),
              encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("\n## Webhooks\n"):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"^```python\n(.*?)^```", section, flags=re.S | re.M)
    assert len(blocks) == 1, "expected one python block, found %d" % len(
        blocks)
    namespace = {}
    exec(compile(blocks[0], "docs/api.md", "exec"), namespace)
    return namespace["verify"]


class Receiver:
    """A webhook receiver on loopback: answers 500 to the first `failures`
    requests (or to all while `refusing`), then 204 when the signature
    verifies with the doc's code and 401 when not. Keeps every request."""

    def __init__(self, failures=0, host="127.0.0.1"):
        self.failures = failures
        self.refusing = False
        # While set, the first request is held unanswered until released.
        self.hold_first = None
        self.requests = []   # dicts: headers, body, status, verified
        self.held = False
        self.lock = threading.Lock()
        self.verify = doc_verify()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                size = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(size)
                with receiver.lock:
                    first = not receiver.requests and not receiver.held
                    receiver.held = receiver.held or first
                if first and receiver.hold_first:
                    receiver.hold_first.wait(WAIT_S)
                    with receiver.lock:
                        receiver.requests.append({"status": "held"})
                    return
                headers = {key.lower(): value
                           for key, value in self.headers.items()}
                with receiver.lock:
                    failing = (receiver.refusing or
                               len(receiver.requests) < receiver.failures)
                    verified = receiver.verify(SECRET, headers, body)
                    status = 500 if failing else (204 if verified else 401)
                    receiver.requests.append({
                        "path": self.path, "headers": headers, "body": body,
                        "status": status, "verified": verified})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server_class = http.server.ThreadingHTTPServer
        if ":" in host:
            class server_class(http.server.ThreadingHTTPServer):
                address_family = socket.AF_INET6
        self.server = server_class((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://%s:%d/hook" % (
            "[%s]" % host if ":" in host else host, self.port)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def wait_for(self, predicate, what, pipe):
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with self.lock:
                if predicate(self.requests):
                    return list(self.requests)
            time.sleep(0.05)
        raise AssertionError("receiver: no %s within %d s; got %s\n%s" % (
            what, WAIT_S, [r["status"] for r in self.requests],
            pipe.log_tail()))

    def wait_delivered(self, pipe):
        return self.wait_for(
            lambda requests: any(r["status"] == 204 for r in requests),
            "verified delivery", pipe)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class WebhookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.saved = {key: os.environ.get(key) for key in (
            "PDFPIPE_WEBHOOK_SECRET", "PDFPIPE_WEBHOOK_ALLOW",
            "PDFPIPE_WEBHOOK_ALLOW_HTTP", "PDFPIPE_WEBHOOK_URL")}
        os.environ["PDFPIPE_WEBHOOK_SECRET"] = SECRET
        os.environ["PDFPIPE_WEBHOOK_ALLOW"] = "127.0.0.1"
        os.environ["PDFPIPE_WEBHOOK_ALLOW_HTTP"] = "1"
        os.environ.pop("PDFPIPE_WEBHOOK_URL", None)

    @classmethod
    def tearDownClass(cls):
        for key, value in cls.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def setUp(self):
        self.receiver = None

    def tearDown(self):
        if self.receiver:
            self.receiver.close()

    def check_event(self, request, job_id, state):
        headers = request["headers"]
        self.assertEqual(headers["webhook-id"], "msg_" + job_id)
        self.assertRegex(headers["webhook-timestamp"], r"^\d{10}$")
        self.assertRegex(headers["webhook-signature"],
                         r"^v1,[A-Za-z0-9+/]{43}=$")
        self.assertEqual(headers["content-type"], "application/json")
        self.assertTrue(request["verified"])
        # The same request fails with another secret or another body.
        verify = self.receiver.verify
        self.assertFalse(verify(OTHER_SECRET, headers, request["body"]))
        self.assertFalse(verify(SECRET, headers, request["body"] + b" "))
        event = json.loads(request["body"])
        self.assertEqual(event["type"], "job." + state)
        self.assertRegex(event["timestamp"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        data = event["data"]
        self.assertEqual(data["id"], job_id)
        self.assertEqual(data["state"], state)
        self.assertIn(state, data["transitions"])
        self.assertIn("queued", data["transitions"])
        return data

    def submit_and_cancel(self, pipe, host="127.0.0.1"):
        """A job naming the receiver (by host), cancelled at once (a
        pipeline without workers leaves it queued until then). Returns its
        id."""
        job = marker_job(2)
        job["webhook"] = {"url": self.receiver.url.replace("127.0.0.1",
                                                           host)}
        job_id = pipe.submit(job)
        resp = pipe.request("DELETE", "/v1/jobs/" + job_id)
        self.assertEqual(resp.status, 200, resp.body)
        return job_id

    def test_delivered_signed_after_two_failures(self):
        self.receiver = Receiver(failures=2)
        with Pipeline(workers=1, ventilator_args=FAST_RETRIES) as pipe:
            job = marker_job(3, chunk_pages=2)
            job["webhook"] = {"url": self.receiver.url}
            job_id = pipe.submit(job)
            status = pipe.wait(job_id)
            self.assertEqual(status["state"], "done")
            pdf = pipe.result(job_id)
            requests = self.receiver.wait_delivered(pipe)
            self.assertEqual([r["status"] for r in requests], [500, 500, 204])
            for request in requests:
                self.assertEqual(request["path"], "/hook")
            # Every attempt is the same event, signed anew.
            self.assertEqual(len({r["body"] for r in requests}), 1)
            self.assertEqual({r["headers"]["webhook-id"] for r in requests},
                             {"msg_" + job_id})
            data = self.check_event(requests[-1], job_id, "done")
            self.assertEqual(data["pages"], {"done": 3, "total": 3})
            self.assertEqual(data["chunks"], {"done": 2, "total": 2})
            self.assertEqual(data["result"]["bytes"], len(pdf))
            self.assertEqual(data["result"]["url"],
                             "/v1/jobs/%s/result" % job_id)
            self.assertIsNone(data["error"])
            pipe.wait_log(r"job=%s webhook delivered to 127\.0\.0\.1 "
                          r"\(attempt 3\)" % job_id, name="ventilator")
            # Settled: no more attempts.
            time.sleep(1.0)
            self.assertEqual(len(self.receiver.requests), 3)

    def test_cancelled_job_is_reported(self):
        self.receiver = Receiver()
        with Pipeline(workers=0, ventilator_args=FAST_RETRIES) as pipe:
            job_id = self.submit_and_cancel(pipe)
            requests = self.receiver.wait_delivered(pipe)
            self.assertEqual(len(requests), 1)
            data = self.check_event(requests[0], job_id, "cancelled")
            self.assertIsNone(data["result"])

    def test_operator_default_webhook(self):
        self.receiver = Receiver()
        with Pipeline(workers=1, ventilator_args=FAST_RETRIES + [
                "--webhook-url", self.receiver.url]) as pipe:
            job = marker_job(1)
            job_id = pipe.submit(job)
            self.assertEqual(pipe.wait(job_id)["state"], "done")
            requests = self.receiver.wait_delivered(pipe)
            data = self.check_event(requests[0], job_id, "done")
            self.assertEqual(data["pages"]["total"], 1)

    def test_attempt_that_times_out_is_made_again(self):
        self.receiver = Receiver()
        self.receiver.hold_first = threading.Event()
        try:
            with Pipeline(workers=0, ventilator_args=FAST_RETRIES + [
                    "--webhook-timeout-ms", "500"]) as pipe:
                job_id = self.submit_and_cancel(pipe)
                requests = self.receiver.wait_delivered(pipe)
                # The held attempt has not even been answered yet.
                self.assertEqual([r["status"] for r in requests], [204])
                self.check_event(requests[0], job_id, "cancelled")
                pipe.wait_log(r"job=%s webhook to 127\.0\.0\.1 failed "
                              r"\(attempt 1\): .*timed out" % job_id,
                              name="ventilator")
        finally:
            self.receiver.hold_first.set()

    def test_failed_job_is_reported(self):
        self.receiver = Receiver()
        with Pipeline(workers=0, ventilator_args=FAST_RETRIES + [
                "--max-attempts", "1"]) as pipe:
            pipe.add_worker(SCRIPTED)
            job = marker_job(2)
            job["records"][1]["marker"] = "MARK-000002 POISON-FAIL"
            job["webhook"] = {"url": self.receiver.url}
            job_id = pipe.submit(job)
            self.assertEqual(pipe.wait(job_id)["state"], "failed")
            requests = self.receiver.wait_delivered(pipe)
            data = self.check_event(requests[0], job_id, "failed")
            self.assertIsInstance(data["error"], str)
            self.assertEqual(data["error"], pipe.status(job_id)["error"])
            self.assertIsNone(data["result"])

    def test_listed_name_is_resolved_and_pinned(self):
        # localhost is listed, and so is the address it resolves to here.
        self.receiver = Receiver()
        with Pipeline(workers=0, ventilator_args=FAST_RETRIES + [
                "--webhook-allow", "localhost,127.0.0.1,::1"]) as pipe:
            job_id = self.submit_and_cancel(pipe, host="localhost")
            requests = self.receiver.wait_delivered(pipe)
            self.check_event(requests[0], job_id, "cancelled")

    def test_ipv6_literal_target(self):
        try:
            self.receiver = Receiver(host="::1")
        except OSError as err:
            self.skipTest("no IPv6 loopback: %s" % err)
        with Pipeline(workers=0, ventilator_args=FAST_RETRIES + [
                "--webhook-allow", "::1"]) as pipe:
            job = marker_job(1)
            job["webhook"] = {"url": self.receiver.url}
            job_id = pipe.submit(job)
            pipe.request("DELETE", "/v1/jobs/" + job_id)
            requests = self.receiver.wait_delivered(pipe)
            self.check_event(requests[0], job_id, "cancelled")

    def test_listed_name_never_reaches_loopback(self):
        # The DNS rebinding attack: a listed name that resolves to an
        # address of this host. Accepted (the name is listed), but the
        # delivery never connects there.
        self.receiver = Receiver()
        with Pipeline(workers=0, ventilator_args=FAST_RETRIES + [
                "--webhook-allow", "localhost",
                "--webhook-give-up-ms", "1500"]) as pipe:
            job_id = self.submit_and_cancel(pipe, host="localhost")
            pipe.wait_log(r"job=%s webhook to localhost failed \(attempt 1\): "
                          r"localhost resolves to (127\.0\.0\.1|::1), which "
                          r"PDFPIPE_WEBHOOK_ALLOW does not allow" % job_id,
                          name="ventilator")
            pipe.wait_log(r"job=%s webhook to localhost given up after \d+ "
                          r"attempts" % job_id, name="ventilator")
            self.assertEqual(self.receiver.requests, [])

    def test_pending_delivery_survives_a_killed_ventilator(self):
        self.receiver = Receiver()
        self.receiver.refusing = True
        with Pipeline(workers=0, ventilator_args=FAST_RETRIES) as pipe:
            job_id = self.submit_and_cancel(pipe)
            self.receiver.wait_for(lambda requests: len(requests) >= 1,
                                   "first attempt", pipe)
            pipe.kill(pipe.ventilator)
            with self.receiver.lock:
                refused = len(self.receiver.requests)
                self.receiver.refusing = False
            self.assertTrue(all(r["status"] == 500
                                for r in self.receiver.requests))
            pipe.restart_ventilator()
            requests = self.receiver.wait_delivered(pipe)
            self.assertGreater(len(requests), refused)
            self.check_event(requests[-1], job_id, "cancelled")

    def test_target_outside_the_allowlist_is_refused(self):
        with Pipeline(workers=0) as pipe:
            for url, message in [
                    ("http://127.0.0.2:9/hook",
                     "host '127.0.0.2' is not in this server's webhook "
                     "allowlist (PDFPIPE_WEBHOOK_ALLOW)"),
                    ("http://localhost:9/hook",
                     "host 'localhost' is not in this server's webhook "
                     "allowlist (PDFPIPE_WEBHOOK_ALLOW)"),
                    ("http://169.254.169.254/latest/meta-data/",
                     "PDFPIPE_WEBHOOK_ALLOW"),
                    ("http://user@127.0.0.1:9/", "user information"),
                    ("ftp://127.0.0.1/", "must be an https:// URL")]:
                job = marker_job(1)
                job["webhook"] = {"url": url}
                resp = pipe.request("POST", "/v1/jobs", job)
                self.assertEqual(resp.status, 400, resp.body)
                error = resp.json()["error"]
                self.assertEqual(error["field"], "webhook.url")
                self.assertIn(message, error["message"])

    def test_plain_http_needs_the_operator(self):
        with Pipeline(workers=0,
                      ventilator_args=["--webhook-allow-http", "0"]) as pipe:
            job = marker_job(1)
            job["webhook"] = {"url": "http://127.0.0.1:9/hook"}
            resp = pipe.request("POST", "/v1/jobs", job)
            self.assertEqual(resp.status, 400, resp.body)
            self.assertIn("no plain http", resp.json()["error"]["message"])

    def test_empty_allowlist_refuses_every_webhook(self):
        os.environ["PDFPIPE_WEBHOOK_ALLOW"] = ""
        try:
            with Pipeline(workers=0) as pipe:
                job = marker_job(1)
                job["webhook"] = {"url": "https://hooks.example.com/x"}
                resp = pipe.request("POST", "/v1/jobs", job)
                self.assertEqual(resp.status, 400, resp.body)
                self.assertIn("PDFPIPE_WEBHOOK_ALLOW, which is empty",
                              resp.json()["error"]["message"])
        finally:
            os.environ["PDFPIPE_WEBHOOK_ALLOW"] = "127.0.0.1"


if __name__ == "__main__":
    unittest.main()
