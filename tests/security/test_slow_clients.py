"""Security: slow HTTP clients cannot take the API from others.

The attacks, from the issue: many connections that send their headers a
byte at a time kept /healthz unanswered (the connection limit was full of
them), and a few uploads that declared a large body and trickled it kept
every upload slot, so every other submission got 503. Now connections
are limited per address (the attackers' address gets its share, the
others are still served), and an upload slower than the minimum rate
after the grace period is answered 408 and dropped, one that sends
nothing is closed, and normal submissions go through again.

The attackers connect from 127.0.0.2, the honest client from 127.0.0.1;
both are loopback. Waits are bounded only so that a failure ends.

SPDX-License-Identifier: MPL-2.0
"""
import os
import select
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from pipeline import Pipeline, marker_job  # noqa: E402

ATTACKER = "127.0.0.2"
# Above the old total limit of 256: each one held a connection slot.
TRICKLERS = 300
PER_ADDRESS = 64          # the ventilator's default --http-per-address
ANSWER_WAIT_S = 30


def connect_from(address, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((address, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def healthz(port):
    """Status line of GET /healthz from 127.0.0.1, or None when no answer
    comes within ANSWER_WAIT_S."""
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=ANSWER_WAIT_S) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n")
        try:
            answer = sock.recv(4096)
        except socket.timeout:
            return None
    return answer.split(b"\r\n", 1)[0]


def closed_by_server(sock):
    """True when the server has closed sock (EOF or reset)."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(4096) == b""
    except ConnectionResetError:
        return True


def read_answer(sock, timeout):
    """What the server sends on sock until it closes it or timeout."""
    sock.settimeout(timeout)
    received = b""
    try:
        while True:
            piece = sock.recv(4096)
            if not piece:
                break
            received += piece
    except (socket.timeout, ConnectionResetError):
        pass
    return received


def submit_when_free(pipe, job):
    """Submit job, again while the answer is 503 (a slot given up is
    free once its intake thread has let go of it, just after)."""
    deadline = time.monotonic() + ANSWER_WAIT_S
    while True:
        resp = pipe.request("POST", "/v1/jobs", job)
        if resp.status != 503 or time.monotonic() > deadline:
            return resp
        time.sleep(0.1)


class SlowHeadersTest(unittest.TestCase):
    def test_healthz_answers_while_many_connections_trickle_headers(self):
        with Pipeline(workers=0) as pipe:
            tricklers = []
            try:
                for _ in range(TRICKLERS):
                    sock = connect_from(ATTACKER, pipe.http_port)
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-")
                    tricklers.append(sock)
                # One more byte each, as a trickler does.
                for sock in tricklers:
                    try:
                        sock.sendall(b"a")
                    except OSError:
                        pass
                self.assertEqual(healthz(pipe.http_port), b"HTTP/1.1 200 OK")
                # The attacker's address got its share, not more: the
                # rest of its connections were closed at once.
                closed = sum(closed_by_server(sock) for sock in tricklers)
                self.assertGreaterEqual(closed, TRICKLERS - PER_ADDRESS)
                self.assertLess(closed, TRICKLERS)
            finally:
                for sock in tricklers:
                    sock.close()
            self.assertIsNone(pipe.ventilator.poll())


class SlowUploadTest(unittest.TestCase):
    UPLOADS = 2
    GRACE_S = 2

    def start_upload(self, port):
        sock = connect_from(ATTACKER, port)
        sock.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n{" % (64 * 1024 * 1024))
        return sock

    def test_slow_uploads_get_408_and_free_their_slots(self):
        with Pipeline(workers=1, ventilator_args=[
                "--max-uploads", str(self.UPLOADS),
                "--upload-grace-s", str(self.GRACE_S),
                "--min-upload-rate", "1024"]) as pipe:
            uploads = [self.start_upload(pipe.http_port)
                       for _ in range(self.UPLOADS)]
            try:
                # The slots are taken: an honest submission waits.
                busy = pipe.request("POST", "/v1/jobs", marker_job(2))
                self.assertEqual(busy.status, 503, busy.body)
                # Trickle a byte each half second until answered.
                answers = {}
                deadline = time.monotonic() + ANSWER_WAIT_S
                while len(answers) < len(uploads) and \
                        time.monotonic() < deadline:
                    for index, sock in enumerate(uploads):
                        if index in answers:
                            continue
                        readable, _, _ = select.select([sock], [], [], 0)
                        if readable:
                            answers[index] = read_answer(sock, 5)
                            continue
                        try:
                            sock.sendall(b" ")
                        except OSError:
                            answers[index] = read_answer(sock, 5)
                    time.sleep(0.5)
                self.assertEqual(len(answers), len(uploads), answers)
                for answer in answers.values():
                    self.assertTrue(answer.startswith(b"HTTP/1.1 408"),
                                    answer[:200])
                    self.assertIn(b"bytes/s", answer)
                # The slots are free again.
                accepted = submit_when_free(pipe, marker_job(2))
                self.assertEqual(accepted.status, 202, accepted.body)
                job_id = accepted.json()["id"]
                self.assertEqual(pipe.wait(job_id, timeout=120)["state"],
                                 "done")
            finally:
                for sock in uploads:
                    sock.close()

    def test_silent_upload_is_closed_after_the_grace_period(self):
        with Pipeline(workers=0, ventilator_args=[
                "--max-uploads", "1",
                "--upload-grace-s", str(self.GRACE_S)]) as pipe:
            silent = self.start_upload(pipe.http_port)
            try:
                busy = pipe.request("POST", "/v1/jobs", marker_job(1))
                self.assertEqual(busy.status, 503, busy.body)
                # Nothing more is sent: the server hangs up.
                self.assertEqual(read_answer(silent, ANSWER_WAIT_S), b"")
                accepted = submit_when_free(pipe, marker_job(1))
                self.assertEqual(accepted.status, 202, accepted.body)
            finally:
                silent.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
