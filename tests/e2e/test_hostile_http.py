"""Hostile HTTP: malformed and hostile requests against the real ventilator.

Every request goes over a raw socket, so it can be as broken as an
attacker likes: broken JSON, deep nesting, huge numbers, wrong content
types, overlong request lines, headers and bodies, unknown ids, path tricks
and wrong methods. Each must get the right 4xx with a message that says
what was wrong (JSON {"error": {"message": ...}} from our handlers, a short
HTML page from libmicrohttpd for requests it refuses before they reach
them), and the server must keep serving: between cases /healthz answers,
and at the end a valid job still goes through.

SPDX-License-Identifier: MPL-2.0
"""
import json
import os
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)

MAX_BODY_MB = 1
UNKNOWN_ID = "0123456789abcdef0123456789abcdef"


def request(method, path, body=None, content_type="application/json",
            headers=(), version="HTTP/1.1"):
    """Raw request bytes; Content-Length is added for a body."""
    lines = ["%s %s %s" % (method, path, version), "Host: 127.0.0.1",
             "Connection: close"]
    if body is not None and content_type:
        lines.append("Content-Type: " + content_type)
    if body is not None:
        if isinstance(body, str):
            body = body.encode()
        lines.append("Content-Length: %d" % len(body))
    lines += ["%s: %s" % header for header in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def raw_post(head_lines, body=b""):
    head = ["POST /v1/jobs HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
            "Content-Type: application/json"] + head_lines
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def job_text(**changes):
    """A valid one-page job document as JSON text, with changes applied
    at the top level (None deletes a field)."""
    job = marker_job(1)
    for key, value in changes.items():
        if value is None:
            job.pop(key, None)
        else:
            job[key] = value
    return json.dumps(job)


def with_record(fragment):
    """A job text whose only record is the raw JSON fragment."""
    job = json.dumps(marker_job(1))
    start = job.index('"records": [') + len('"records": [')
    end = job.rindex("]")
    return job[:start] + fragment + job[end:]


def chunked(pieces):
    return b"".join(b"%x\r\n" % len(p) + p + b"\r\n" for p in pieces) + \
        b"0\r\n\r\n"


BIG_BODY = b"[" + b" " * (2 * MAX_BODY_MB * 1024 * 1024) + b"]"

# (name, request bytes, status, text the answer must contain)
CASES = [
    # -- broken JSON ---------------------------------------------------
    ("truncated object", request("POST", "/v1/jobs", '{"version": 1,'), 400,
     "JSON"),
    ("lone brace", request("POST", "/v1/jobs", "{"), 400, "JSON"),
    ("truncated array", request("POST", "/v1/jobs", "[1, 2"), 400, "JSON"),
    ("trailing garbage", request("POST", "/v1/jobs", job_text() + " x"), 400,
     "JSON"),
    ("two documents", request("POST", "/v1/jobs", job_text() + job_text()),
     400, "JSON"),
    ("bare word", request("POST", "/v1/jobs", "nul"), 400, "JSON"),
    ("empty body", request("POST", "/v1/jobs", ""), 400, "empty"),
    ("blank body", request("POST", "/v1/jobs", " \n\t "), 400, "empty"),
    ("invalid UTF-8", request("POST", "/v1/jobs", with_record(
        '{"marker": "@", "customer": {"name": "y"}}').encode().replace(
            b"@", b"\xff\xfe")), 400,
     "field 'marker' used by template.elements[0].text contains bytes that "
     "are not valid UTF-8"),
    ("invalid UTF-8 in a field name", request(
        "POST", "/v1/jobs", job_text().encode().replace(b'"version"',
                                                        b'"versio\xff"')),
     400, "unknown field 'versio?'"),
    ("raw control character", request("POST", "/v1/jobs",
                                      '{"version": 1\x01}'), 400,
     "not valid JSON near line 1 column 14: control character U+0001"),
    ("raw control character in a string", request("POST", "/v1/jobs",
                                                  '{"version": "a\x01b"}'),
     400, "not valid JSON near line 1 column 15: control character U+0001"),
    ("single quotes", request("POST", "/v1/jobs", "{'version': 1}"), 400,
     "JSON"),
    ("comment", request("POST", "/v1/jobs", '{/* x */ "version": 1}'), 400,
     "JSON"),
    ("NaN", request("POST", "/v1/jobs", '{"version": NaN}'), 400, "JSON"),
    ("lone surrogate", request("POST", "/v1/jobs", '{"version": "\\ud800"}'),
     400, "JSON"),
    ("NUL byte", request("POST", "/v1/jobs", b'{"version": 1\x00}'), 400,
     "not valid JSON near line 1 column 14: control character U+0000"),
    ("NUL byte in a record", request("POST", "/v1/jobs", with_record(
        '{"marker": "a\x00b", "customer": {"name": "y"}}')), 400,
     "control character U+0000"),
    # -- deep nesting --------------------------------------------------
    ("100,000 nested arrays", request("POST", "/v1/jobs",
                                      "[" * 100000 + "]" * 100000), 400,
     "nested deeper than 64"),
    ("10,000 nested objects", request("POST", "/v1/jobs",
                                      '{"a":' * 10000 + "1" + "}" * 10000),
     400, "nested deeper than 64"),
    ("deep record", request("POST", "/v1/jobs", with_record(
        '{"marker": "x", "customer": {"name": "y"}, "deep": ' + "[" * 70 +
        "]" * 70 + "}")), 400, "nested deeper than 64"),
    ("unclosed deep nesting", request("POST", "/v1/jobs", "[" * 5000), 400,
     "nested deeper than 64"),
    # -- huge numbers --------------------------------------------------
    ("version 1e999", request("POST", "/v1/jobs",
                              job_text().replace('"version": 1',
                                                 '"version": 1e999')), 400,
     "too large"),
    ("version of 30 digits", request("POST", "/v1/jobs", job_text(
        version=10 ** 30)), 400, "version"),
    ("chunk_pages 1e10", request("POST", "/v1/jobs",
                                 job_text(chunk_pages=10 ** 10)), 400,
     "chunk_pages"),
    ("negative chunk_pages", request("POST", "/v1/jobs",
                                     job_text(chunk_pages=-1)), 400,
     "chunk_pages"),
    ("fractional chunk_pages", request("POST", "/v1/jobs",
                                       job_text(chunk_pages=2.5)), 400,
     "chunk_pages"),
    ("number as a string", request("POST", "/v1/jobs",
                                   job_text(version="1")), 400, "version"),
    ("1e400 in a record", request("POST", "/v1/jobs", with_record(
        '{"marker": "x", "customer": {"name": "y"}, "n": 1e400}')), 400,
     "too large"),
    ("huge page width", request("POST", "/v1/jobs", json.dumps(dict(
        marker_job(1), template={"page": {"width": 1e308, "height": 100},
                                 "elements": []}))), 400, "width"),
    ("-0 version", request("POST", "/v1/jobs",
                           job_text().replace('"version": 1',
                                              '"version": -0')), 400,
     "version"),
    # -- not a job -----------------------------------------------------
    ("array document", request("POST", "/v1/jobs", "[]"), 400,
     'must be a JSON object with \\"version\\", \\"template\\" and '
     '\\"records\\", got an array'),
    ("empty object", request("POST", "/v1/jobs", "{}"), 400, "version"),
    ("version 2", request("POST", "/v1/jobs", job_text(version=2)), 400,
     "version"),
    ("unknown field", request("POST", "/v1/jobs", job_text(colour="x")), 400,
     "colour"),
    ("webhook not an object", request("POST", "/v1/jobs",
                                      job_text(webhook="x")), 400, "webhook"),
    ("field given twice", request("POST", "/v1/jobs",
                                  job_text().replace('"version": 1',
                                                     '"version": 1, '
                                                     '"version": 1')), 400,
     "version"),
    ("records not an array", request("POST", "/v1/jobs",
                                     job_text(records={"a": 1})), 400,
     "records"),
    ("no records", request("POST", "/v1/jobs", job_text(records=[])), 400,
     "records"),
    ("record not an object", request("POST", "/v1/jobs",
                                     job_text(records=[1])), 400,
     "records[0]"),
    ("no template", request("POST", "/v1/jobs", job_text(template=None)), 400,
     "template"),
    # -- wrong content type --------------------------------------------
    ("text/plain", request("POST", "/v1/jobs", job_text(),
                           content_type="text/plain"), 415,
     "application/json"),
    ("no content type", request("POST", "/v1/jobs", job_text(),
                                content_type=None), 415, "not none"),
    ("latin-1 charset", request("POST", "/v1/jobs", job_text(),
                                content_type="application/json; "
                                             "charset=latin1"), 415,
     "charset=latin1"),
    ("form encoded", request("POST", "/v1/jobs", job_text(),
                             content_type="application/"
                                          "x-www-form-urlencoded"), 415,
     "application/json"),
    ("multipart", request("POST", "/v1/jobs", job_text(),
                          content_type="multipart/form-data; boundary=x"),
     415, "application/json"),
    ("application/jsonx", request("POST", "/v1/jobs", job_text(),
                                  content_type="application/jsonx"), 415,
     "application/jsonx"),
    ("binary in content type", request("POST", "/v1/jobs", job_text(),
                                       content_type="text/\x7f\x01"), 415,
     "not text/??"),
    # -- overlong headers and bodies -----------------------------------
    ("100 KB header", request("GET", "/healthz",
                              headers=[("X-Big", "a" * 100000)]), 431,
     "too big"),
    ("5,000 headers", request("GET", "/healthz", headers=[
        ("X-H%d" % n, "v") for n in range(5000)]), 431, "too big"),
    ("100 KB URL", request("GET", "/v1/jobs/" + "a" * 100000), 414,
     "too big"),
    ("body over the limit", request("POST", "/v1/jobs", BIG_BODY), 413,
     "larger than the limit of 1048576 bytes"),
    ("Content-Length over the limit",
     raw_post(["Content-Length: 1000000000000"], b"{}"), 413,
     "larger than the limit"),
    ("Content-Length overflowing 64 bits",
     raw_post(["Content-Length: 99999999999999999999999"], b"{}"), 413,
     "too large value for <b>Content-Length</b>"),
    ("Content-Length not a number", raw_post(["Content-Length: abc"], b"{}"),
     400, "malformed"),
    ("chunked body over the limit",
     raw_post(["Transfer-Encoding: chunked"],
              chunked([b" " * 65536] * 40)), 413, "larger than the limit"),
    ("broken chunk size", raw_post(["Transfer-Encoding: chunked"],
                                   b"zz\r\n{}\r\n0\r\n\r\n"), 400,
     "chunked encoding"),
    ("header without a colon", request("GET", "/healthz",
                                       headers=[("Bad", "x")]).replace(
        b"Bad: x", b"BadHeader"), 400, "syntactically incorrect"),
    ("request without version", b"GET /healthz\r\n\r\n", 400,
     "syntactically incorrect"),
    # -- unknown ids ---------------------------------------------------
    ("unknown id", request("GET", "/v1/jobs/" + UNKNOWN_ID), 404,
     "no job with id '%s'" % UNKNOWN_ID),
    ("unknown id, result", request("GET", "/v1/jobs/%s/result" % UNKNOWN_ID),
     404, "no job with id"),
    ("unknown id, cancel", request("DELETE", "/v1/jobs/" + UNKNOWN_ID), 404,
     "no job with id"),
    ("short id", request("GET", "/v1/jobs/abc"), 404, "no job with id 'abc'"),
    ("long id", request("GET", "/v1/jobs/" + UNKNOWN_ID + "0"), 404,
     "no job with id"),
    ("uppercase id", request("GET", "/v1/jobs/" + UNKNOWN_ID.upper()), 404,
     "no job with id"),
    ("SQL in the id", request("GET", "/v1/jobs/1'%20OR%20'1'='1"), 404,
     "no job with id"),
    ("binary id", request("GET", "/v1/jobs/%01%02%ff"), 404,
     "no job with id '???'"),
    # -- path tricks ---------------------------------------------------
    ("dot-dot to healthz", request("GET", "/v1/jobs/../healthz"), 404,
     "no such endpoint"),
    ("encoded traversal", request("GET", "/v1/jobs/..%2f..%2fetc%2fpasswd"),
     404, "no such endpoint: /v1/jobs/../../etc/passwd"),
    ("traversal after id", request(
        "GET", "/v1/jobs/%s/../../../etc/passwd" % UNKNOWN_ID), 404,
     "no such endpoint"),
    ("encoded NUL", request("GET", "/v1/jobs/%00"), 404,
     "no job with id '%00'"),
    ("double slash", request("GET", "/v1//jobs"), 404, "no such endpoint"),
    ("leading double slash", request("GET", "//v1/jobs"), 404,
     "no such endpoint"),
    ("upper-case path", request("GET", "/V1/JOBS"), 404, "no such endpoint"),
    ("trailing slash", request("GET", "/healthz/"), 404, "no such endpoint"),
    ("result with a suffix", request("GET", "/v1/jobs/%s/result/x"
                                     % UNKNOWN_ID), 404, "no such endpoint"),
    ("absolute-form URL", request("GET", "http://evil.example/healthz"), 404,
     "no such endpoint"),
    ("backslashes", request("GET", "/v1\\jobs"), 404, "no such endpoint"),
    # -- wrong methods -------------------------------------------------
    ("PUT on jobs", request("PUT", "/v1/jobs", job_text()), 405,
     "use GET, HEAD, POST"),
    # -- the job list's query string -------------------------------------
    ("list with limit 0", request("GET", "/v1/jobs?limit=0"), 400,
     "?limit= must be a whole number from 1 to 200, not '0'"),
    ("list with a huge limit", request(
        "GET", "/v1/jobs?limit=99999999999999999999999"), 400,
     "?limit= must be a whole number from 1 to 200"),
    ("list with a control byte in a state", request(
        "GET", "/v1/jobs?state=done%01x"), 400,
     "unknown state 'done?x' in ?state="),
    ("list with an empty state", request("GET", "/v1/jobs?state="), 400,
     "unknown state '' in ?state="),
    ("list with a forged cursor", request(
        "GET", "/v1/jobs?before=1%27%20OR%201=1.abc"), 400,
     "?before= is not a cursor"),
    ("list with a long cursor", request(
        "GET", "/v1/jobs?before=" + "9" * 5000), 400,
     "?before= is not a cursor"),
    ("DELETE on healthz", request("DELETE", "/healthz"), 405, "use GET"),
    ("POST on a job", request("POST", "/v1/jobs/" + UNKNOWN_ID, job_text()),
     405, "use GET, HEAD, DELETE"),
    ("PATCH on a result", request("PATCH", "/v1/jobs/%s/result"
                                  % UNKNOWN_ID), 405, "use GET, HEAD"),
    ("made-up method", request("FOO", "/healthz"), 405, "method FOO"),
]


def exchange(port, data, timeout=30):
    """Send data and read until the server closes. Returns (status, body
    text); status 0 when no answer came."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    received = b""
    try:
        try:
            sock.sendall(data)
        except OSError:
            pass  # refused early: the answer is still there to read
        while True:
            try:
                piece = sock.recv(65536)
            except OSError:
                break
            if not piece:
                break
            received += piece
    finally:
        sock.close()
    line, _, rest = received.partition(b"\r\n")
    parts = line.split(b" ", 2)
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
    return status, rest.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")


class HostileHttpTest(unittest.TestCase):
    def test_hostile_requests_get_the_right_4xx_and_the_server_serves(self):
        self.assertGreaterEqual(len(CASES), 50)
        with Pipeline(workers=1, ventilator_args=[
                "--max-body-mb", str(MAX_BODY_MB)]) as pipe:
            failures = []
            for name, data, status, text in CASES:
                got, body = exchange(pipe.http_port, data)
                if not text:
                    failures.append("%s: the case names no message" % name)
                elif got != status or text not in body:
                    failures.append("%s: expected %d with %r, got %d: %s" % (
                        name, status, text, got, body[:200]))
                elif body.lstrip().startswith("{"):
                    message = json.loads(body)["error"]["message"]
                    if not message:
                        failures.append("%s: empty message" % name)
                health = pipe.request("GET", "/healthz")
                if health.status != 200:
                    failures.append("%s: /healthz then answered %d" % (
                        name, health.status))
            self.assertEqual(failures, [], "\n".join(failures))
            print("%d hostile requests answered as expected" % len(CASES))

            # Not HTTP at all: the connection is closed, nothing else.
            for junk in (b"HELLO\r\n\r\n", os.urandom(4096),
                         b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"):
                exchange(pipe.http_port, junk, timeout=5)
            self.assertIsNone(pipe.ventilator.poll())

            # Still serving: a valid job goes through.
            job_id = pipe.submit(marker_job(40, chunk_pages=10))
            status = pipe.wait(job_id, timeout=60)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            with tempfile.TemporaryDirectory() as tmp:
                assert_marker_pages(check_pdf(pipe.result(job_id), tmp), 40)


if __name__ == "__main__":
    unittest.main(verbosity=2)
