"""End-to-end: the sink's memory stays flat as a job grows.

The sink appends each chunk to the job's output as it arrives (sink/
pdfappend through sink/finisher), so what it holds is one chunk at a time
plus a small index, not the document. The same one-line job is run at
SMALL_PAGES and at ten times as many pages, each in a fresh pipeline, and
the sink's peak resident memory (VmHWM in /proc/<pid>/status, read once
the job is done) may grow between them by at most GROWTH_BOUND_KB:
generous against noise, and far below what a merge holding the whole
document needs (about 23 KB per page measured before, so more than
400 MB at LARGE_PAGES). Memory, not time: nothing here is timed.

SPDX-License-Identifier: MPL-2.0
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import Pipeline, marker_job  # noqa: E402

SMALL_PAGES = 2000
LARGE_PAGES = 20000
CHUNK_PAGES = 500
GROWTH_BOUND_KB = 16 * 1024
JOB_TIMEOUT_S = 300


def one_line_job(pages):
    """A job of cheap pages: one line of text each."""
    job = marker_job(pages, chunk_pages=CHUNK_PAGES)
    job["template"]["elements"] = job["template"]["elements"][:1]
    for record in job["records"]:
        del record["customer"]
    return job


def peak_kb(pid):
    """The process's peak resident set (VmHWM), in kB."""
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/%d/status" % pid)


class FlatMergeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-flat-")

    def tearDown(self):
        self.tmp.cleanup()

    def _sink_peak_kb(self, pages):
        """Run a job of pages pages; the sink's peak RSS once it is done."""
        with Pipeline(workers=2) as pipe:
            job_id = pipe.submit(one_line_job(pages))
            status = pipe.wait(job_id, timeout=JOB_TIMEOUT_S)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            self.assertEqual(status["pages"], {"done": pages, "total": pages})
            self.assertIn("appending its chunks to the output as they "
                          "arrive", pipe.log_of(pipe.sink))
            return peak_kb(pipe.sink.pid)

    def test_sink_peak_memory_does_not_grow_with_the_page_count(self):
        small = self._sink_peak_kb(SMALL_PAGES)
        large = self._sink_peak_kb(LARGE_PAGES)
        print("sink VmHWM: %d kB at %d pages, %d kB at %d pages"
              % (small, SMALL_PAGES, large, LARGE_PAGES), file=sys.stderr)
        self.assertLess(large - small, GROWTH_BOUND_KB,
                        "the sink's peak memory grew from %d kB at %d pages "
                        "to %d kB at %d pages" % (small, SMALL_PAGES, large,
                                                  LARGE_PAGES))


if __name__ == "__main__":
    unittest.main()
