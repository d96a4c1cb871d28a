"""End-to-end: what the web console reads from the API (docs/api.md):
progress in the status document, the job list, the chunk map, the
workers, a dry run and the per-record index, on the real ventilator, sink
and workers.

SPDX-License-Identifier: MPL-2.0
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import Pipeline, marker_job, parse_api_time  # noqa: E402


def ms(text):
    """An API time in whole milliseconds since the epoch."""
    return round(parse_api_time(text) * 1000)


class ProgressTest(unittest.TestCase):
    def test_done_job_progress_is_frozen_at_its_end(self):
        with Pipeline(workers=2) as pipe:
            job_id = pipe.submit(marker_job(400, chunk_pages=50))
            status = pipe.wait(job_id)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            at = {state: ms(text)
                  for state, text in status["transitions"].items()}
            progress = status["progress"]
            self.assertEqual(progress["phase"], "done")
            self.assertEqual(progress["eta_s"], 0)
            self.assertAlmostEqual(progress["elapsed_s"],
                                   (at["done"] - ms(status["created_at"]))
                                   / 1000.0, places=6)
            rendering_s = max(at["merging"] - at["rendering"], 1) / 1000.0
            self.assertAlmostEqual(progress["pages_per_s"],
                                   400 / rendering_s, delta=0.051)
            # Frozen: asking again later gives the same figures.
            self.assertEqual(pipe.status(job_id)["progress"], progress)

    def test_queued_job_has_no_rate_yet(self):
        with Pipeline(workers=0) as pipe:
            job_id = pipe.submit(marker_job(10))
            progress = pipe.status(job_id)["progress"]
            self.assertIn(progress["phase"], ("queued", "rendering"))
            self.assertIsNone(progress["pages_per_s"])
            self.assertIsNone(progress["eta_s"])
            self.assertGreaterEqual(progress["elapsed_s"], 0)


if __name__ == "__main__":
    unittest.main()
