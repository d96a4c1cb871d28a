"""Flat intake: the ventilator's memory does not grow with a job's records.

A job of 2,000 records and then one of 20,000 (each record padded to
about half a kilobyte, so the second document is about 11 MB) go through
a real pipeline to the end. The ventilator's peak resident memory
(VmHWM in /proc/<pid>/status) is read after each: the records stream to
a file as they arrive and are read back a chunk at a time, so ten times
the records may not cost ten times the memory. The bound is generous (a
few megabytes of allocator and SQLite caches may come and go); holding
the document, or its parsed tree, would pass it several times over. The
job store keeps no records either, and finished jobs leave no files.

Memory only: nothing here is timed.

SPDX-License-Identifier: MPL-2.0
"""
import os
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import Pipeline, marker_job  # noqa: E402

SMALL = 2000
LARGE = 20000
PADDING = "x" * 480
# Growth of the ventilator's peak RSS from the small job to the large one
# that is still flat: well below the 11 MB the large document itself
# takes (its parsed tree would take about seven times that).
GROWTH_MAX_KB = 8 * 1024


def peak_rss_kb(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM for process %d" % pid)


def padded_job(pages):
    job = marker_job(pages, chunk_pages=250)
    for record in job["records"]:
        record["note"] = PADDING
    return job


class FlatIntakeTest(unittest.TestCase):
    def test_peak_memory_does_not_grow_with_the_records(self):
        # Under AddressSanitizer (-DSANITIZE=ON) freed memory is held in a
        # quarantine instead of being used again, so the peak would count
        # every byte ever allocated; without one it counts what is live.
        # (No effect on a build without sanitizers.)
        os.environ["ASAN_OPTIONS"] = ":".join(filter(None, [
            os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=0",
            "thread_local_quarantine_size_kb=0"]))
        with Pipeline(workers=2) as pipe:
            pid = pipe.ventilator.pid
            peaks = []
            done = []
            for pages in (SMALL, LARGE):
                job_id = pipe.submit(padded_job(pages))
                done.append(job_id)
                status = pipe.wait(job_id, timeout=400)
                self.assertEqual(status["state"], "done", pipe.log_tail())
                self.assertEqual(status["pages"]["total"], pages)
                peaks.append(peak_rss_kb(pid))
            growth = peaks[1] - peaks[0]
            print("ventilator peak RSS: %d kB after %d records, %d kB after "
                  "%d records (growth %d kB)" % (peaks[0], SMALL, peaks[1],
                                                 LARGE, growth))
            self.assertLess(growth, GROWTH_MAX_KB,
                            "the ventilator's peak memory grew with the "
                            "records")
            data = os.path.join(pipe.dir, "ventilator")
            store = sqlite3.connect(os.path.join(data, "jobs.db"))
            try:
                kept, = store.execute("SELECT coalesce (sum (length ("
                                      "records_json)), 0) FROM chunks"
                                      ).fetchone()
            finally:
                store.close()
            self.assertEqual(kept, 0, "records are kept in the job store")
            # Done jobs keep their records files (their index is made
            # from them) and nothing else; no upload is left.
            self.assertEqual(sorted(os.listdir(os.path.join(data, "jobs"))),
                             sorted(done))
            self.assertEqual(os.listdir(os.path.join(data, "uploads")), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
