"""Security: an oversized frame costs the ventilator no memory.

The attack: one 400 MB frame sent to the dispatch endpoint, which the
ventilator used to read in whole before looking at it (its resident set
went from 90 to 443 MB). The socket's maximum message size makes ZeroMQ
refuse the frame from its header, before allocating, and drop the
connection. Sent with no key (the handshake fails first) and with a
worker's key (the handshake succeeds; the size limit is what stops it).

SPDX-License-Identifier: MPL-2.0
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import attack  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)

FRAME_BYTES = 400 * 1000 * 1000
# The ventilator's peak may move a little with whatever else it does
# meanwhile; reading the frame would move it by FRAME_BYTES.
GROWTH_ALLOWED_KB = 64 * 1024


class OversizeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-check-")

    def tearDown(self):
        self.tmp.cleanup()

    def _oversize(self, key, sockets):
        with Pipeline(workers=0) as pipe, \
                attack.Attacker(pipe, key) as attacker:
            pid = pipe.ventilator.pid
            before = attack.vm_hwm_kb(pid)
            frame = bytes(FRAME_BYTES)
            for name in sockets:
                target = getattr(attacker, name)()
                target.socket.send(frame, copy=False)
                # The connection is dropped (refused at the handshake, or
                # cut at the frame's header); the old ventilator instead
                # read the frame and logged it as malformed.
                attack.wait_for(
                    lambda: target.count(attack.HANDSHAKE_FAILED
                                         | attack.zmq.EVENT_DISCONNECTED)
                    or "dropped malformed message"
                    in pipe.logs_of("ventilator"), 120,
                    "the frame to be refused or read")
            after = attack.vm_hwm_kb(pid)
            self.assertLess(after - before, GROWTH_ALLOWED_KB,
                            "VmHWM went from %d to %d KiB" % (before, after))
            self.assertIsNone(pipe.ventilator.poll())
            # It keeps serving.
            job_id = pipe.submit(marker_job(10))
            pipe.add_worker()
            status = pipe.wait(job_id, timeout=60)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            assert_marker_pages(check_pdf(pipe.result(job_id),
                                          self.tmp.name), 10)

    def test_oversized_frame_without_a_key(self):
        self._oversize(None, ["dealer", "to_events"])

    def test_oversized_frame_with_a_workers_key(self):
        self._oversize("worker", ["dealer", "to_events"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
