"""End-to-end: jobs share the workers by priority, and a small job is not
stuck behind big ones. Order is read from the ventilator's dispatch lines
(--verbose), so nothing here depends on how fast the machine is.

SPDX-License-Identifier: MPL-2.0
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import Pipeline, marker_job  # noqa: E402


def dispatch_order(pipe):
    """Job ids of every first-attempt dispatch, in order."""
    return re.findall(r"job=(\w+) chunk=\d+ attempt=1 pages",
                      pipe.logs_of("ventilator"))


def with_priority(job, priority):
    job["priority"] = priority
    return job


class FairnessTest(unittest.TestCase):
    def test_higher_priority_gets_its_share_without_starving_the_rest(self):
        with Pipeline(workers=0, ventilator_args=["--verbose"]) as pipe:
            low = pipe.submit(with_priority(marker_job(3000, chunk_pages=50),
                                            10))
            high = pipe.submit(with_priority(marker_job(3000,
                                                        chunk_pages=50), 40))
            self.assertEqual(pipe.status(high)["priority"], 40)
            self.assertEqual(pipe.status(low)["priority"], 10)
            # Both are queued before the one worker asks for anything.
            pipe.wait_log(r"job=%s scheduled" % high, name="ventilator",
                          what="the second job scheduled")
            pipe.add_worker()
            for job_id in (high, low):
                self.assertEqual(pipe.wait(job_id, timeout=180)["state"],
                                 "done", pipe.log_tail())
            order = dispatch_order(pipe)
            last_high = max(i for i, job in enumerate(order) if job == high)
            window = order[:last_high + 1]
            # 60 chunks of the high job; the low one got about a quarter as
            # many meanwhile: some, so it is not starved, and far fewer.
            self.assertEqual(window.count(high), 60)
            lows = window.count(low)
            self.assertGreaterEqual(lows, 12, window)
            self.assertLessEqual(lows, 18, window)
            self.assertLess(pipe.status(high)["transitions"]["done"],
                            pipe.status(low)["transitions"]["done"])

    def test_small_job_is_not_stuck_behind_big_ones(self):
        with Pipeline(workers=0, ventilator_args=["--verbose"]) as pipe:
            bigs = [pipe.submit(marker_job(20000, chunk_pages=100))
                    for _ in range(3)]
            small = pipe.submit(marker_job(10, chunk_pages=10))
            pipe.wait_log(r"job=%s scheduled" % small, name="ventilator",
                          what="the small job scheduled")
            pipe.add_worker()
            self.assertEqual(pipe.wait(small, timeout=120)["state"], "done")
            order = dispatch_order(pipe)
            # Its one chunk went within the first round of turns.
            self.assertIn(small, order[:4], order[:8])
            for big in bigs:
                self.assertIn(pipe.status(big)["state"],
                              ("queued", "rendering"))
                pipe.request("DELETE", "/v1/jobs/" + big)


if __name__ == "__main__":
    unittest.main()
