"""Security: what one job may cost a worker is bounded, and checked twice.

The attacks: a 194 KB PNG of 10000 x 2500 pixels was accepted and cost
each worker about 117 MB to decode; 1,000 elements of 4 KB text took a
worker to 1.26 GB. Now the ventilator refuses such a job with a 400 that
names the asset or record and the limit (common/doc/joblimits), reading
an image's size from its header; and a worker whose limits are lower
than its ventilator's fails the chunk with the same words, before it
decodes or draws anything, and goes on serving.

SPDX-License-Identifier: MPL-2.0
"""
import base64
import os
import struct
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from pipeline import (Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)


def png(width, height):
    """A grey PNG of width x height: all zero, so it compresses to little
    (the attack's point: a small file announcing a huge image)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    row = b"\0" * (width + 1)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height))
    idat += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def image_job(images, pages=2):
    """A marker job drawing each of images ({name: (width, height)})."""
    assets = {name: {"type": "png",
                     "data": base64.b64encode(png(*size)).decode()}
              for name, size in images.items()}
    elements = [{"type": "image", "asset": name, "x": 50, "y": 400,
                 "width": 100, "height": 50} for name in images]
    job = marker_job(pages, extra_elements=elements)
    job["assets"] = assets
    return job


def text_job(elements, text_bytes, pages=2, chunk_pages=None,
             literal=False):
    """A marker job whose pages draw elements more texts of text_bytes
    each (the attack's 1,000 elements of 4 KB), from the record (a field
    inserts at most 4096 bytes, a template has at most 1,000 of them) or
    literal in the template."""
    text = "x" * text_bytes if literal else "{{filler}}"
    extra = [{"type": "text", "text": text, "x": 50, "y": 600,
              "font": "Helvetica", "size": 1}
             for _ in range(elements)]
    job = marker_job(pages, chunk_pages=chunk_pages, extra_elements=extra)
    if not literal:
        for record in job["records"]:
            record["filler"] = "x" * text_bytes
    return job


class JobCostTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-check-")

    def tearDown(self):
        self.tmp.cleanup()

    def assert_refused(self, pipe, job, field, *words):
        resp = pipe.request("POST", "/v1/jobs", job)
        self.assertEqual(resp.status, 400, resp.body[:500])
        error = resp.json()["error"]
        self.assertEqual(error["field"], field, error)
        for word in words:
            self.assertIn(word, error["message"])
        return error

    def assert_still_serves(self, pipe):
        """Every worker is alive and a small job renders in full."""
        for worker in pipe.workers:
            self.assertIsNone(worker.poll(), pipe.log_tail())
        job_id = pipe.submit(marker_job(5))
        status = pipe.wait(job_id, timeout=120)
        self.assertEqual(status["state"], "done", pipe.log_tail())
        assert_marker_pages(check_pdf(pipe.result(job_id), self.tmp.name), 5)

    def test_a_huge_image_is_refused_from_its_header(self):
        # The attack's image: 25 megapixels in a small file.
        data = png(10000, 2500)
        self.assertLess(len(data), 200 * 1024)
        with Pipeline(workers=1) as pipe:
            self.assert_refused(pipe, image_job({"big": (10000, 2500)}),
                                "assets.big", "10000 x 2500",
                                "16 megapixels", "--max-image-mp")
            self.assert_still_serves(pipe)

    def test_the_images_of_a_job_are_limited_together(self):
        # Each image under the per-image limit, all five over the job's.
        images = {"i%d" % n: (4000, 3500) for n in range(5)}
        with Pipeline(workers=0) as pipe:
            self.assert_refused(pipe, image_job(images), "assets.i4",
                                "64 megapixels", "--max-job-image-mp")
            # Fewer of them pass.
            resp = pipe.request("POST", "/v1/jobs", image_job(
                {"i0": (4000, 3500), "i1": (4000, 3500)}))
            self.assertEqual(resp.status, 202, resp.body[:500])

    def test_a_page_with_too_much_text_is_refused(self):
        # The attack: 1,000 elements of 4 KB text on every page.
        with Pipeline(workers=1) as pipe:
            self.assert_refused(pipe, text_job(1000, 4096, literal=True),
                                "records[0]",
                                "bytes of text", "64 KiB",
                                "--max-page-text-kb")
            self.assert_still_serves(pipe)

    def test_a_page_with_too_many_items_is_refused(self):
        with Pipeline(workers=0) as pipe:
            self.assert_refused(pipe, text_job(2001, 1, literal=True),
                                "records[0]",
                                "2004 items", "at most 2000",
                                "--max-page-items")

    def test_a_chunk_with_too_many_record_bytes_is_refused(self):
        # 20 records of 100 KB in one chunk: 2 MB, over a 1 MiB limit; the
        # eleventh record is the one that passes it.
        job = marker_job(20, chunk_pages=20)
        for record in job["records"]:
            record["unused"] = "y" * 100000
        with Pipeline(workers=0,
                      ventilator_args=["--max-chunk-records-mb", "1"]) as pipe:
            self.assert_refused(pipe, job, "records[10]", "1 MiB",
                                "--max-chunk-records-mb", "chunk_pages")
            # Smaller chunks of the same records pass.
            job["chunk_pages"] = 5
            resp = pipe.request("POST", "/v1/jobs", job)
            self.assertEqual(resp.status, 202, resp.body[:500])

    def test_the_text_of_a_job_is_limited(self):
        # 3 pages of 600 KiB each: each under a page limit of 1024 KiB,
        # the second brings the job past a limit of 1 MiB.
        job = text_job(150, 4096, pages=3, chunk_pages=1)
        with Pipeline(workers=0, ventilator_args=[
                "--max-page-text-kb", "1024", "--max-job-text-mb", "1"]) \
                as pipe:
            self.assert_refused(pipe, job, "records[1]",
                                "--max-job-text-mb")

    def test_a_worker_checks_images_again_before_decoding(self):
        # The ventilator allows 2 megapixels; the worker only 1: the chunk
        # fails naming the limit, and the worker lives on.
        with Pipeline(workers=1, worker_args=["--max-image-mp", "1"],
                      ventilator_args=["--max-attempts", "1"]) as pipe:
            job_id = pipe.submit(image_job({"photo": (2000, 1000)}))
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "failed", status)
            self.assertIn("--max-image-mp", status["error"])
            self.assertIn("assets.photo", status["error"])
            self.assert_still_serves(pipe)

    def test_a_worker_checks_page_cost_before_rendering(self):
        # The ventilator allows 1 MiB of text a page, the worker 64 KiB.
        job = text_job(100, 4096, pages=3)
        with Pipeline(workers=1, ventilator_args=[
                "--max-page-text-kb", "1024", "--max-attempts", "1"]) \
                as pipe:
            job_id = pipe.submit(job)
            status = pipe.wait(job_id, timeout=120)
            self.assertEqual(status["state"], "failed", status)
            self.assertIn("--max-page-text-kb", status["error"])
            self.assertIn("records[0]", status["error"])
            self.assert_still_serves(pipe)


if __name__ == "__main__":
    unittest.main(verbosity=2)
