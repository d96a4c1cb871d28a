"""Security: a rogue worker gets no chunk and its results are not kept.

The attacks: a DEALER that connects to the dispatch endpoint and sends
`READY 64` (it used to receive other jobs' CHUNKs, records and all), and a
PUSH to the sink's results endpoint with a RESULT for a real job's chunk
(the sink used to keep it, so its pages ended up in the job's PDF). Tried
with no key and with a key the pipeline does not know; neither may get or
change anything, and each refusal is logged once, not once per attempt.

SPDX-License-Identifier: MPL-2.0
"""
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import attack  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import peers  # noqa: E402
from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)

# How many times the rogue tries to connect before its refusals are
# counted in the logs.
ATTEMPTS = 4


class RogueWorkerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-check-")

    def tearDown(self):
        self.tmp.cleanup()

    def _rogue_dealer(self, key):
        with Pipeline(workers=0) as pipe, \
                attack.Attacker(pipe, key) as attacker:
            dealer = attacker.dealer()
            stolen = []
            last_heartbeat = [0.0]

            def rogue_turn():
                # A worker that heartbeats is alive to the ventilator: the
                # rogue keeps offering 64 credits and takes what comes.
                if time.monotonic() - last_heartbeat[0] > 0.5:
                    command = "HEARTBEAT" if last_heartbeat[0] else "READY"
                    try:
                        dealer.socket.send_multipart(
                            peers.message(command, peers.u32(64)),
                            attack.zmq.NOBLOCK)
                    except attack.zmq.Again:
                        pass
                    last_heartbeat[0] = time.monotonic()
                while dealer.socket.poll(0):
                    stolen.append(dealer.socket.recv_multipart())

            refused = "refused a connection on dispatch"

            def refused_or_heard():
                rogue_turn()
                return refused in pipe.logs_of("ventilator") \
                    or dealer.count(attack.zmq.EVENT_HANDSHAKE_SUCCEEDED)
            # Let the READY land (or be refused) before there is work.
            attack.soft_wait(refused_or_heard, 10)
            job_id = pipe.submit(marker_job(40, chunk_pages=10))
            pipe.add_worker()

            def done_or_stolen():
                rogue_turn()
                return stolen or pipe.status(job_id)["state"] in (
                    "done", "failed")
            attack.wait_for(done_or_stolen, 120, "the job to end")
            self.assertFalse(stolen, "the rogue received %d CHUNKs" %
                             len(stolen))
            status = pipe.wait(job_id, timeout=60)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            assert_marker_pages(check_pdf(pipe.result(job_id),
                                          self.tmp.name), 40)

            self._assert_one_line_for_many_attempts(
                dealer, lambda: pipe.logs_of("ventilator"), refused,
                pipe.keys.public_text(key) if key else None)

    def _assert_one_line_for_many_attempts(self, rogue, log, line,
                                           key_text=None):
        for attempt in range(1, ATTEMPTS + 1):
            if attempt > 1:
                rogue.reconnect()
            attack.wait_for(
                lambda: rogue.count(attack.HANDSHAKE_FAILED) >= attempt, 30,
                "attempt %d to be refused" % attempt)
        self.assertEqual(log().count(line), 1, log())
        if key_text:
            # A refused key is named with the address it came from, once.
            who = "refused a CURVE client from 127.0.0.1 with key %s" % (
                key_text)
            self.assertEqual(log().count(who), 1, log())

    def test_dealer_without_a_key_gets_no_chunk(self):
        self._rogue_dealer(None)

    def test_dealer_with_an_unknown_key_gets_no_chunk(self):
        self._rogue_dealer("unknown")

    def _rogue_result(self, key):
        with Pipeline(workers=0) as pipe, \
                attack.Attacker(pipe, key) as attacker:
            job_id = pipe.submit(marker_job(20, chunk_pages=10))
            chunk = {"job_id": job_id, "chunk_nbr": 0, "attempt": 1,
                     "first_page": 1, "page_count": 10, "total_pages": 20,
                     "chunk_count": 2}
            rogue = peers.simple_pdf([["ROGUE PAGE %d" % n]
                                      for n in range(1, 11)])
            results = attacker.to_results()
            results.socket.send_multipart(attack.result(chunk, rogue))
            refused = "refused a connection on results"
            attack.soft_wait(
                lambda: refused in pipe.logs_of("sink")
                or pipe.status(job_id)["chunks"]["done"] > 0, 30)
            self.assertEqual(pipe.status(job_id)["chunks"]["done"], 0)
            pipe.add_worker()
            status = pipe.wait(job_id, timeout=60)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            body = pipe.result(job_id)
            pages = check_pdf(body, self.tmp.name)
            self.assertNotIn("ROGUE", "".join(pages))
            assert_marker_pages(pages, 20)
            self._assert_one_line_for_many_attempts(
                results, lambda: pipe.logs_of("sink"), refused,
                pipe.keys.public_text(key) if key else None)

    def test_result_without_a_key_is_not_kept(self):
        self._rogue_result(None)

    def test_result_with_an_unknown_key_is_not_kept(self):
        self._rogue_result("unknown")


if __name__ == "__main__":
    unittest.main(verbosity=2)
