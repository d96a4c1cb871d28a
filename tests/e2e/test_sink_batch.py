"""End-to-end: results that reach the sink together are stored as one
batch (sink/collector, sink/spool) and acknowledged only once durable.

A real pdfpipe-sink runs alone (lonesink.py): this test plays the workers
and the ventilator. Every chunk the sink said STORED must be in its spool
under its final name, with the bytes sent, even when the sink is killed
with SIGKILL right after saying so; duplicates and bad chunks in a burst
are answered as when they come alone.

SPDX-License-Identifier: MPL-2.0
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lonesink import LoneSink, chunk_name, chunk_pdf  # noqa: E402

PAGES = 20      # per chunk
BURST = 60      # chunks pushed at once


def stored(events):
    return [e[2] for e in events if e[0] == "STORED"]


class SinkBatchTest(unittest.TestCase):
    def assert_spooled(self, sink, job_id, chunk_nbrs, chunk_count):
        """Each of chunk_nbrs is in the spool under its final name, holding
        the PDF that was sent for it, or released: its pages are in the
        job's output, its number in the spool's "released" file."""
        files = set(sink.chunk_files(job_id))
        total = PAGES * chunk_count
        released = sink.released(job_id)
        for nbr in chunk_nbrs:
            if nbr in released:
                continue
            first = nbr * PAGES + 1
            name = chunk_name(nbr, first, PAGES)
            self.assertIn(name, files, "chunk %d acknowledged, not spooled"
                          % nbr)
            with open(os.path.join(sink.spool, job_id, name), "rb") as f:
                self.assertEqual(f.read(), chunk_pdf(first, PAGES, total),
                                 "chunk %d spooled with other bytes" % nbr)

    def test_chunks_acknowledged_survive_a_kill_right_after(self):
        job_id = "batch-kill"
        chunk_count = BURST + 10    # never complete: nothing is merged away
        with LoneSink() as sink:
            for nbr in range(BURST):
                sink.send_result(job_id, nbr, PAGES, chunk_count)
            # Killed as soon as the first acknowledgements come, with more
            # chunks staged or on their way.
            seen = stored(sink.events_until(lambda e: stored(e), timeout=60))
            sink.kill()
            # What it sent before it died still arrives.
            seen += stored(sink.events_until(lambda e: True, timeout=1))
            self.assertTrue(seen)
            self.assert_spooled(sink, job_id, seen, chunk_count)
            # No temporary file under a final name: every chunk file is
            # whole (its bytes were checked above for the acknowledged
            # ones; the others must be whole PDFs too, or absent).
            for name in sink.chunk_files(job_id):
                with open(os.path.join(sink.spool, job_id, name), "rb") as f:
                    self.assertTrue(f.read().rstrip().endswith(b"%%EOF"),
                                    name)
            # The restarted sink reports every spooled chunk, so each one
            # acknowledged is still known, and takes the rest.
            sink.start()
            replayed = stored(sink.events_until(
                lambda e: len(stored(e)) >= len(sink.chunk_files(job_id)),
                timeout=60))
            self.assertLessEqual(set(seen), set(replayed))
            for nbr in range(chunk_count):
                sink.send_result(job_id, nbr, PAGES, chunk_count)
            sink.events_until(lambda e: set(stored(e)) == set(
                range(chunk_count)), timeout=120)
            self.assert_spooled(sink, job_id, range(chunk_count), chunk_count)
            self.assertEqual(sink.stop(), 0, sink.log()[-3000:])

    def test_a_burst_with_duplicates_and_bad_chunks_is_answered_in_full(self):
        chunk_count = 30
        with LoneSink() as sink:
            sent = {"burst-a": [], "burst-b": []}
            for nbr in range(chunk_count):
                for job_id in sent:
                    sink.send_result(job_id, nbr, PAGES, chunk_count)
                    sent[job_id].append(nbr)
                if nbr % 7 == 3:
                    # A copy of a chunk likely still in the same batch.
                    sink.send_result("burst-a", nbr, PAGES, chunk_count)
                    sent["burst-a"].append(nbr)
                if nbr % 11 == 5:
                    # Not a PDF: dropped, and not a word about it.
                    sink.send_result("burst-bad", nbr, PAGES, chunk_count,
                                     pdf=b"not a pdf at all")
            expected = sum(len(nbrs) for nbrs in sent.values())
            events = sink.events_until(lambda e: len(stored(e)) >= expected,
                                       timeout=120)
            for job_id, nbrs in sent.items():
                got = sorted(e[2] for e in events
                             if e[0] == "STORED" and e[1] == job_id)
                # Each chunk once per copy sent: a copy is acknowledged
                # again, never dropped nor stored twice.
                self.assertEqual(got, sorted(nbrs), job_id)
                self.assert_spooled(sink, job_id, range(chunk_count),
                                    chunk_count)
                self.assertEqual(len(sink.chunk_files(job_id)), chunk_count)
            self.assertEqual(
                [e for e in events if e[0] != "STORED"], [])
            self.assertEqual(sink.chunk_files("burst-bad"), [])
            self.assertIn("job=burst-bad chunk=5 dropped", sink.log())
            self.assertEqual(sink.stop(), 0, sink.log()[-3000:])


if __name__ == "__main__":
    unittest.main()
