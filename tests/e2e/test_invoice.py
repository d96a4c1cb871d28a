"""End-to-end: the invoice example, and records submitted from files.

The invoice of examples/invoice/ at 1,000 pages, submitted the way a user
would (`pdfpipe submit template.json --records records.jsonl`), checked with
the tools a user would reach for: qpdf for the page count and structure,
pdftotext for every page's Korean customer name, invoice number, computed
total and "Page k of N", in order, and zbarimg for the QR code of sampled
pages. Beside it, records from CSV and
JSON Lines with small templates of our own, the CLI's refusals, and the
example's generators against the reference "invoice v1" generators when
those are at hand (a checkout with the shared bench folder beside it).

SPDX-License-Identifier: MPL-2.0
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import CLI, SOURCE_DIR, Pipeline  # noqa: E402
from runner import group  # noqa: E402

EXAMPLE_DIR = os.path.join(SOURCE_DIR, "examples", "invoice")
TEMPLATE = os.path.join(EXAMPLE_DIR, "template.json")
GEN_RECORDS = os.path.join(EXAMPLE_DIR, "gen_records.py")
MAKE_LOGO = os.path.join(EXAMPLE_DIR, "make_logo.py")
# The reference generators of the benchmark document, when this checkout
# has them beside it; PDFPIPE_BENCH_REFERENCE_DIR points elsewhere.
REFERENCE_DIR = os.environ.get("PDFPIPE_BENCH_REFERENCE_DIR", os.path.join(
    SOURCE_DIR, "..", "shared", "bench"))

INVOICE_PAGES = 1000
# Pages whose QR code is scanned (rendering a page to scan it is slow);
# every page's text is checked.
QR_PAGES = (1, 2, 250, 501, 1000)


def generate_records(n, path):
    subprocess.run([sys.executable, GEN_RECORDS, str(n), path], check=True)
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def run_cli(pipe, *args, timeout=300):
    return subprocess.run([CLI, "--url", pipe.url] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def page_texts(pdf, pages):
    """The text of every page, from one pdftotext run over the whole file;
    there must be exactly pages of them."""
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"],
                          capture_output=True, text=True, check=True).stdout
    texts = text.split("\f")
    if texts and texts[-1].strip() == "":
        texts.pop()
    assert len(texts) == pages, "pdftotext found %d pages, expected %d" % (
        len(texts), pages)
    return texts


def assert_page_numbers(texts):
    """Each page k of N says "Page k of N", and no other page number."""
    total = len(texts)
    for k, text in enumerate(texts, start=1):
        numbers = re.findall(r"Page (\d+) of (\d+)", text)
        assert numbers == [(str(k), str(total))], (
            "page %d says %s, expected Page %d of %d" % (k, numbers, k,
                                                         total))


def qr_codes(pdf, page, workdir):
    """What zbarimg reads in the QR codes of one page, rendered at 150 dpi."""
    prefix = os.path.join(workdir, "qr-%d" % page)
    # poppler warns about libharu's ToUnicode maps on stderr; keep it quiet.
    subprocess.run(["pdftoppm", "-r", "150", "-f", str(page), "-l", str(page),
                    "-png", pdf, prefix], check=True, capture_output=True)
    images = glob.glob(prefix + "*.png")
    assert len(images) == 1, images
    scan = subprocess.run(["zbarimg", "--raw", "-q", images[0]],
                          capture_output=True, text=True)
    os.remove(images[0])
    return scan.stdout.split()


def check_structure(test, pdf, pages):
    check = subprocess.run(["qpdf", "--check", pdf], capture_output=True,
                           text=True)
    test.assertEqual(check.returncode, 0, check.stdout[-2000:])
    npages = subprocess.run(["qpdf", "--show-npages", pdf],
                            capture_output=True, text=True, check=True).stdout
    test.assertEqual(int(npages), pages)


class GeneratorTest(unittest.TestCase):
    """The example's generators make the benchmark's data, byte for byte."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-gen-")

    def tearDown(self):
        self.tmp.cleanup()

    def reference(self, name):
        path = os.path.join(REFERENCE_DIR, name)
        if not os.path.exists(path):
            self.skipTest("no reference generator %s in %s (../shared/bench "
                          "beside the checkout, or "
                          "PDFPIPE_BENCH_REFERENCE_DIR)" %
                          (name, os.path.normpath(REFERENCE_DIR)))
        return path

    def read(self, name):
        with open(os.path.join(self.tmp.name, name), "rb") as f:
            return f.read()

    @group("reference")
    def test_records_match_reference_for_50(self):
        reference = self.reference("gen_records.py")
        subprocess.run([sys.executable, GEN_RECORDS, "50",
                        os.path.join(self.tmp.name, "ours.jsonl")], check=True)
        subprocess.run([sys.executable, reference, "50",
                        os.path.join(self.tmp.name, "theirs.jsonl")],
                       check=True)
        ours = self.read("ours.jsonl")
        self.assertEqual(ours.count(b"\n"), 50)
        self.assertEqual(ours, self.read("theirs.jsonl"))

    @group("reference")
    def test_logo_matches_reference(self):
        reference = self.reference("make_logo.py")
        subprocess.run([sys.executable, MAKE_LOGO,
                        os.path.join(self.tmp.name, "ours.png")], check=True)
        subprocess.run([sys.executable, reference,
                        os.path.join(self.tmp.name, "theirs.png")], check=True)
        ours = self.read("ours.png")
        self.assertTrue(ours.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertEqual(ours, self.read("theirs.png"))

    def test_records_are_a_prefix_of_more_records(self):
        # What a test predicts for page k must not depend on N.
        few = generate_records(3, os.path.join(self.tmp.name, "few.jsonl"))
        more = generate_records(20, os.path.join(self.tmp.name, "more.jsonl"))
        self.assertEqual(few, more[:3])
        self.assertEqual([r["number"] for r in few], [100001, 100002, 100003])
        self.assertEqual(len(more[0]["items"]), 15)


class InvoiceTest(unittest.TestCase):
    """The invoice example at 1,000 pages, through the CLI."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-invoice-")

    def tearDown(self):
        self.tmp.cleanup()

    def test_1000_invoices_with_records_from_jsonl(self):
        records_path = os.path.join(self.tmp.name, "records.jsonl")
        records = generate_records(INVOICE_PAGES, records_path)
        pdf = os.path.join(self.tmp.name, "invoice.pdf")
        with Pipeline(workers=3) as pipe:
            run = run_cli(pipe, "submit", TEMPLATE, "--records", records_path,
                          "--wait", "-o", pdf)
            self.assertEqual(run.returncode, 0, run.stderr + pipe.log_tail())
            self.assertEqual(run.stdout.splitlines()[-1], pdf)
        check_structure(self, pdf, INVOICE_PAGES)
        texts = page_texts(pdf, INVOICE_PAGES)
        assert_page_numbers(texts)
        for page, (record, text) in enumerate(zip(records, texts), start=1):
            self.assertIn(record["customer"], text, "page %d" % page)
            self.assertEqual(re.findall(r"No\. (\d{6})", text),
                             ["%06d" % record["number"]], "page %d" % page)
            total = sum(item["qty"] * item["unit_price"]
                        for item in record["items"])
            self.assertIn("Total: {:,} KRW".format(total), text,
                          "page %d" % page)
        for page in QR_PAGES:
            record = records[page - 1]
            self.assertEqual(qr_codes(pdf, page, self.tmp.name),
                             ["https://example.com/i/%d" % record["number"]],
                             "page %d" % page)


class CliDocExamplesTest(unittest.TestCase):
    """The ```sh blocks of docs/cli.md, pasted in order into one shell."""

    def test_every_cli_example_runs(self):
        with open(os.path.join(SOURCE_DIR, "docs", "cli.md"),
                  encoding="utf-8") as f:
            blocks = re.findall(r"^```sh\n(.*?)^```", f.read(),
                                flags=re.S | re.M)
        self.assertGreaterEqual(len(blocks), 5)
        script = "set -eu\n" + "\n".join(blocks)
        with Pipeline(workers=1, tokens=True) as pipe:
            run = subprocess.run(["bash", "-c", script], cwd=SOURCE_DIR,
                                 env=dict(os.environ, PDFPIPE_URL=pipe.url,
                                          PDFPIPE=CLI,
                                          PDFPIPE_TOKEN=pipe.token),
                                 capture_output=True, text=True, timeout=300)
            self.assertEqual(run.returncode, 0,
                             run.stdout + run.stderr + pipe.log_tail())
        out, err = run.stdout, run.stderr
        self.assertRegex(out, r"(?m)^/.*/hello\.pdf$")
        self.assertRegex(out, r"(?m)^/.*/badges\.pdf$")
        self.assertRegex(out, r'"state":\s*"done"')
        self.assertIn("bad.jsonl line 1: not valid JSON", err)
        self.assertRegex(out, r"(?m)^exit status 2$")


class RecordsFileTest(unittest.TestCase):
    """pdfpipe submit --records with templates that need nothing new."""

    @classmethod
    def setUpClass(cls):
        cls.pipe = Pipeline(workers=2)

    @classmethod
    def tearDownClass(cls):
        cls.pipe.close()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-records-")

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def write_job(self, elements, name="job.json", **fields):
        job = {"version": 1,
               "template": {"page": {"size": "A4"}, "elements": elements}}
        job.update(fields)
        with open(self.path(name), "w", encoding="utf-8") as f:
            json.dump(job, f, ensure_ascii=False, indent=1)
        return self.path(name)

    def test_csv_with_dotted_header(self):
        job = self.write_job([
            {"type": "text", "text": "Ticket {{id}} for {{name}}", "x": 50,
             "y": 780, "font": "Helvetica", "size": 12},
            {"type": "text", "text": "Seat {{seat.row}}-{{seat.number}}",
             "x": 50, "y": 760, "font": "Helvetica", "size": 12},
            {"type": "text", "text": "Zip {{address.zip}} / {{note}}",
             "x": 50, "y": 740, "font": "Helvetica", "size": 12},
            {"type": "text", "text": "Page {{page}} of {{pages}}",
             "x": 297.64, "y": 30, "font": "Helvetica", "size": 9,
             "align": "center"},
        ], chunk_pages=7)
        rows = []
        for k in range(1, 21):
            rows.append({"id": str(k), "name": "Guest %d, \"VIP\"" % k,
                         "seat.row": "ABCDEFGHIJ"[k % 10],
                         "seat.number": str(k * 3),
                         "address.zip": "%05d" % (k * 7),
                         "note": "paid 12.50" if k % 2 else "due"})
        header = ["id", "name", "seat.row", "seat.number", "address.zip",
                  "note"]
        with open(self.path("tickets.csv"), "w", encoding="utf-8",
                  newline="") as f:
            f.write(",".join(header) + "\r\n")
            for row in rows:
                cells = []
                for name in header:
                    value = row[name]
                    if any(c in value for c in ',"\n'):
                        value = '"%s"' % value.replace('"', '""')
                    cells.append(value)
                f.write(",".join(cells) + "\r\n")
        pdf = self.path("tickets.pdf")
        run = run_cli(self.pipe, "submit", job, "--records",
                      self.path("tickets.csv"), "-o", pdf)
        self.assertEqual(run.returncode, 0, run.stderr + self.pipe.log_tail())
        check_structure(self, pdf, 20)
        texts = page_texts(pdf, 20)
        assert_page_numbers(texts)
        for k, (row, text) in enumerate(zip(rows, texts), start=1):
            self.assertIn("Ticket %d for %s" % (k, row["name"]), text)
            self.assertIn("Seat %s-%d" % (row["seat.row"], k * 3), text)
            # Cells stay strings: leading zeros and decimals as written.
            self.assertIn("Zip %s / %s" % (row["address.zip"], row["note"]),
                          text)

    def test_generated_records_from_standard_input(self):
        # The invoice data, streamed from a pipe, with a template of
        # standard fonts that leaves out what only the invoice can draw.
        records = generate_records(300, self.path("records.jsonl"))
        job = self.write_job([
            {"type": "text", "text": "No. {{number}} {{email}}", "x": 50,
             "y": 780},
            {"type": "text",
             "text": "{{items.14.desc}} x {{items.14.qty}}", "x": 50,
             "y": 760},
            {"type": "text", "text": "Page {{page}} of {{pages}}", "x": 297,
             "y": 30, "align": "center"},
        ], chunk_pages=50)
        pdf = self.path("out.pdf")
        with open(self.path("records.jsonl"), "rb") as stdin:
            run = subprocess.run(
                [CLI, "--url", self.pipe.url, "submit", job, "--records", "-",
                 "-o", pdf], stdin=stdin, capture_output=True, text=True,
                timeout=300)
        self.assertEqual(run.returncode, 0, run.stderr + self.pipe.log_tail())
        check_structure(self, pdf, 300)
        texts = page_texts(pdf, 300)
        assert_page_numbers(texts)
        for k, (record, text) in enumerate(zip(records, texts), start=1):
            self.assertIn("No. %d %s" % (record["number"], record["email"]),
                          text, "page %d" % k)
            last = record["items"][14]
            self.assertIn("%s x %d" % (last["desc"], last["qty"]), text,
                          "page %d" % k)

    def test_bad_jsonl_line_is_named_and_nothing_is_submitted(self):
        job = self.write_job([{"type": "text", "text": "{{n}}", "x": 50,
                               "y": 780}])
        lines = ['{"n": %d}' % k for k in range(1, 31)]
        lines[16] = '{"n": 17,, "oops": true}'
        with open(self.path("records.jsonl"), "w") as f:
            f.write("\n".join(lines) + "\n")
        before = self.job_count()
        run = run_cli(self.pipe, "submit", job, "--records",
                      self.path("records.jsonl"))
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertEqual(run.stdout, "")
        self.assertIn("records.jsonl line 17: not valid JSON", run.stderr)
        self.assertEqual(self.job_count(), before)

    def test_job_with_records_and_records_file_is_refused(self):
        job = self.write_job([{"type": "text", "text": "{{n}}", "x": 50,
                               "y": 780}], records=[{"n": 1}])
        with open(self.path("records.jsonl"), "w") as f:
            f.write('{"n": 2}\n')
        run = run_cli(self.pipe, "submit", job, "--records",
                      self.path("records.jsonl"))
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn("already has records; drop them or drop --records",
                      run.stderr)

    def test_unknown_records_format_is_a_usage_error(self):
        job = self.write_job([{"type": "text", "text": "{{n}}", "x": 50,
                               "y": 780}])
        with open(self.path("records.txt"), "w") as f:
            f.write('{"n": 2}\n')
        run = run_cli(self.pipe, "submit", job, "--records",
                      self.path("records.txt"))
        self.assertEqual(run.returncode, 64, run.stderr)
        self.assertIn("--records-format", run.stderr)
        run = run_cli(self.pipe, "submit", job, "--records",
                      self.path("records.txt"), "--records-format", "jsonl")
        self.assertEqual(run.returncode, 0, run.stderr)

    def job_count(self):
        """Jobs the ventilator has accepted, by its log's milestone lines."""
        count = 0
        for path in self.pipe.logs:
            if os.path.basename(path).startswith("ventilator"):
                with open(path, encoding="utf-8", errors="replace") as f:
                    count += sum(" accepted pages=" in line for line in f)
        return count


if __name__ == "__main__":
    unittest.main(verbosity=2)
