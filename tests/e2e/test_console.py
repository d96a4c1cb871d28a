"""End-to-end: the web console (docs/console.md) in a real browser.

Debian's chromium, headless, driven by playwright-core from npm
(tests/browser/console.js; the package is pinned by tests/browser's lock
file and installed with `npm ci` into the build tree, with
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1: nothing downloads a browser). The
pipeline is the real one (tests/e2e/pipeline.py); what the browser saw is
checked here with the tools a user would reach for: qpdf counts the pages
of the PDF downloaded through the console's link, and the API says what
state a job the console cancelled is in.

Screenshots (jobs list and job page at 1280x800, the jobs list at phone
width) are left in the build tree, in console-artifacts/; docs/console.md
shows one of each.

Skipped, saying why, where chromium or node is not installed
(scripts/install-deps.sh installs both).

SPDX-License-Identifier: MPL-2.0
"""
import csv
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import BUILD_DIR, SOURCE_DIR, Pipeline  # noqa: E402
from runner import group  # noqa: E402

CHROMIUM = os.environ.get("PDFPIPE_CHROMIUM", "/usr/bin/chromium")
BROWSER_DIR = os.path.join(SOURCE_DIR, "tests", "browser")
NODE_DIR = os.path.join(BUILD_DIR, "browser")   # npm ci installs here
ARTIFACTS = os.path.join(BUILD_DIR, "console-artifacts")
EXAMPLE_DIR = os.path.join(SOURCE_DIR, "examples", "invoice")

RECORDS = 2000
CHUNK_PAGES = 25            # 80 chunks: the bar moves in many steps
MANY_CHUNKS = 4000          # a chunk map that must still draw at once
CANCEL_RECORDS = 20000
CSV_RECORDS = 30      # long enough to be running when cancelled
SCENARIO_TIMEOUT_S = 400


def missing_tools():
    """Why the browser tests cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return ("chromium is not installed at %s "
                "(bash scripts/install-deps.sh installs it)" % CHROMIUM)
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            return ("%s is not installed "
                    "(bash scripts/install-deps.sh installs it)" % tool)
    return None


def install_playwright():
    """playwright-core as tests/browser/package-lock.json pins it, in the
    build tree; npm ci again only when the lock file changed."""
    lock = os.path.join(BROWSER_DIR, "package-lock.json")
    installed_lock = os.path.join(NODE_DIR, "package-lock.json")
    marker = os.path.join(NODE_DIR, "node_modules", "playwright-core",
                          "package.json")
    if os.path.exists(marker) and os.path.exists(installed_lock):
        with open(lock, "rb") as a, open(installed_lock, "rb") as b:
            if a.read() == b.read():
                return
    os.makedirs(NODE_DIR, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(BROWSER_DIR, name), NODE_DIR)
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"],
                          cwd=NODE_DIR, env=env, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        raise AssertionError("npm ci in %s failed:\n%s%s" % (
            NODE_DIR, done.stdout, done.stderr))


def run_scenario(name, pipe, **env):
    """Run console.js's scenario against pipe; its RESULT as a dict."""
    full_env = dict(os.environ, CONSOLE_URL=pipe.url, CHROMIUM=CHROMIUM,
                    ARTIFACTS=ARTIFACTS,
                    NODE_PATH=os.path.join(NODE_DIR, "node_modules"),
                    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    full_env.update(env)
    done = subprocess.run(
        ["node", os.path.join(BROWSER_DIR, "console.js"), name],
        env=full_env, capture_output=True, text=True,
        timeout=SCENARIO_TIMEOUT_S)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    assert done.returncode == 0, "scenario %s failed (status %d):\n%s" % (
        name, done.returncode, done.stderr[-4000:])
    lines = [line for line in done.stdout.splitlines()
             if line.startswith("RESULT ")]
    assert lines, "scenario %s printed no RESULT" % name
    return json.loads(lines[-1][len("RESULT "):])


def png_size(path):
    """(width, height) of the PNG at path, from its IHDR chunk."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path
    return struct.unpack(">II", head[16:24])


def invoice_document(records, workdir):
    """The invoice example with small chunks, and records records of its
    generator: (document path, records path)."""
    with open(os.path.join(EXAMPLE_DIR, "template.json")) as f:
        doc = json.load(f)
    doc["chunk_pages"] = CHUNK_PAGES
    doc_path = os.path.join(workdir, "invoice.json")
    with open(doc_path, "w") as f:
        json.dump(doc, f)
    records_path = os.path.join(workdir, "invoice-%d.jsonl" % records)
    subprocess.run([sys.executable, os.path.join(EXAMPLE_DIR,
                                                 "gen_records.py"),
                    str(records), records_path], check=True)
    return doc_path, records_path


def submit_invoice(pipe, doc_path, records_path):
    """Submit through the API (for jobs the test only watches)."""
    with open(doc_path) as f:
        doc = json.load(f)
    with open(records_path) as f:
        doc["records"] = [json.loads(line) for line in f if line.strip()]
    answer = pipe.request("POST", "/v1/jobs", json.dumps(doc).encode())
    assert answer.status == 202, answer.body
    return answer.json()["id"]


class ConsoleTest(unittest.TestCase):
    """One pipeline (one worker, so a 2,000-page job takes a few seconds
    and the bar is seen moving) for every scenario without tokens."""

    @classmethod
    def setUpClass(cls):
        why = missing_tools()
        if why:
            raise unittest.SkipTest(why)
        install_playwright()
        os.makedirs(ARTIFACTS, exist_ok=True)
        cls.workdir = tempfile.mkdtemp(prefix="pdfpipe-console-")
        cls.doc, cls.records = invoice_document(RECORDS, cls.workdir)
        cls.pipe = Pipeline(workers=1)

    @classmethod
    def tearDownClass(cls):
        cls.pipe.close()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def test_submit_watch_and_download(self):
        seen = run_scenario("submit", self.pipe, TEMPLATE=self.doc,
                            RECORDS=self.records)
        # The dry run's estimate, before submitting.
        self.assertEqual(seen["estimate"]["Pages"], "2,000")
        self.assertEqual(seen["estimate"]["Chunks"], str(RECORDS // CHUNK_PAGES))
        # The bar reached 100% through at least two values in between.
        progress = seen["progress"]
        self.assertEqual(progress[-1], 100)
        between = [v for v in progress if 0 < v < 100]
        self.assertGreaterEqual(len(between), 2, progress)
        self.assertEqual(progress, sorted(progress))
        # The chunk map of the done job: every chunk stored, none else.
        chunks = RECORDS // CHUNK_PAGES
        self.assertEqual(seen["counts"]["stored"], chunks, seen["counts"])
        for kind in ("waiting", "rendering", "failed"):
            self.assertEqual(seen["counts"][kind], 0, seen["counts"])
        self.assertEqual(seen["canvas"]["chunks"], chunks)
        self.assertGreater(seen["canvas"]["height"], 0)
        self.assertIn("rendering", seen["timeline"])
        self.assertIn("done", seen["timeline"])
        # The PDF downloaded through the link has every page.
        pages = subprocess.run(["qpdf", "--show-npages", seen["pdf"]],
                               capture_output=True, text=True, check=True)
        self.assertEqual(int(pages.stdout), RECORDS)
        status = self.pipe.status(seen["job"])
        self.assertEqual(status["state"], "done")
        self.assertEqual(os.path.getsize(seen["pdf"]),
                         status["result"]["bytes"])
        # The per-record index through its link: a line per record.
        with open(seen["index"]) as f:
            index = [json.loads(line) for line in f]
        self.assertEqual(len(index), RECORDS)
        self.assertEqual(index[0]["record"], 1)
        self.assertEqual(index[-1]["first_page"], RECORDS)
        self.assertEqual(index[0]["bookmark"], "Invoice 100001")
        # The list shows it done, at 100%.
        self.assertEqual(seen["list_state"], "done")
        self.assertEqual(seen["list_percent"], 100)
        # A bad field: shown at that field, the field's text selected.
        self.assertIn("template.page.size", seen["field_error"]["where"])
        self.assertIn("A99", seen["field_error"]["selected"])
        self.assertTrue(seen["field_error"]["message"])
        for name in ("console-jobs.png", "console-job.png"):
            self.assertTrue(os.path.getsize(os.path.join(ARTIFACTS, name)))

    @group("preview")
    def test_preview_page_one_inline(self):
        probe = self.pipe.request("POST", "/v1/preview?page=1&format=png",
                                  b"{}")
        if probe.status == 404 and b"no such endpoint" in probe.body:
            self.skipTest("this ventilator has no POST /v1/preview yet")
        seen = run_scenario("preview", self.pipe, TEMPLATE=self.doc,
                            RECORDS=self.records)
        # An A4 page (595.28 x 841.89 pt) at 96 dpi, however rounded.
        self.assertIn(seen["width"], (793, 794))
        self.assertIn(seen["height"], (1122, 1123))

    def test_chunk_map_of_4000_chunks(self):
        job = self.pipe.submit({
            "version": 1, "chunk_pages": 1,
            "template": {"elements": [{"type": "text", "text": "{{n}}",
                                       "x": 50, "y": 700,
                                       "font": "Helvetica", "size": 12}]},
            "records": [{"n": n} for n in range(MANY_CHUNKS)]})
        self.assertEqual(self.pipe.wait(job)["state"], "done")
        seen = run_scenario("chunkmap", self.pipe, JOB_ID=job)
        self.assertEqual(seen["chunks"], MANY_CHUNKS)
        self.assertEqual(seen["stored"], MANY_CHUNKS)
        # Every row of cells is on the canvas (8 px cells, 1 px gaps).
        self.assertGreaterEqual(seen["height"], 9 * (MANY_CHUNKS // 200))
        print("chunk map of %d chunks drawn in %.1f ms" % (
            MANY_CHUNKS, seen["draw_ms"]))

    def run_while_running(self, scenario, job):
        """Run scenario while job is certain to be running: a slow browser
        start on a loaded machine could outlast the job, so once it
        renders, the worker is stopped until the scenario is over."""
        self.pipe.wait(job, states=("rendering",))
        worker = self.pipe.workers[0]
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            return run_scenario(scenario, self.pipe, JOB_ID=job)
        finally:
            os.kill(worker.pid, signal.SIGCONT)

    def test_cancel_running_job_from_list(self):
        doc, records = invoice_document(CANCEL_RECORDS, self.workdir)
        job = submit_invoice(self.pipe, doc, records)
        seen = self.run_while_running("cancel", job)
        self.assertEqual(seen["state"], "cancelled")
        self.assertIn(job, seen["dialog"])
        status = self.pipe.status(job)
        self.assertEqual(status["state"], "cancelled")
        self.assertLess(status["pages"]["done"], CANCEL_RECORDS)

    def test_phone_width_has_no_horizontal_overflow(self):
        doc, records = invoice_document(100, self.workdir)
        job = submit_invoice(self.pipe, doc, records)
        self.pipe.wait(job)
        seen = run_scenario("phone", self.pipe, JOB_ID=job)
        for page, sizes in seen.items():
            if isinstance(sizes, dict):
                self.assertLessEqual(sizes["scroll"], sizes["client"], page)
        # The screenshot at phone width, and the copy docs/console.md shows.
        for shot in (os.path.join(ARTIFACTS, "console-phone-jobs.png"),
                     os.path.join(SOURCE_DIR, "docs", "console-phone.png")):
            self.assertEqual(png_size(shot)[0], 390, shot)
        with open(os.path.join(SOURCE_DIR, "docs", "console.md")) as f:
            self.assertIn("](console-phone.png)", f.read())

    def test_csv_records_through_form(self):
        # The invoice's fields as a CSV file (docs/cli.md): every column a
        # string, a quoted one may hold commas. CSV makes no arrays, so the
        # template goes without what reads the items (the table, the total).
        with open(self.doc) as f:
            doc = json.load(f)
        elements = doc["template"]["elements"]
        doc["template"]["elements"] = [
            e for e in elements
            if e.get("rows") != "items" and "items" not in e.get("text", "")]
        self.assertEqual(len(doc["template"]["elements"]), len(elements) - 2)
        doc_path = os.path.join(self.workdir, "invoice-csv.json")
        with open(doc_path, "w") as f:
            json.dump(doc, f)
        path = os.path.join(self.workdir, "invoices.csv")
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["number", "date", "customer", "address",
                             "email"])
            for n in range(CSV_RECORDS):
                writer.writerow([str(200001 + n), "2026-12-03",
                                 "Customer %d, Ltd." % n,
                                 "%d Main St, Springfield" % n,
                                 "c%d@example.org" % n])
        seen = run_scenario("csv", self.pipe, TEMPLATE=doc_path,
                            RECORDS=path)
        self.assertEqual(seen["state"], "done", seen["error"])
        self.assertEqual(seen["estimate"]["Pages"], str(CSV_RECORDS))
        status = self.pipe.status(seen["job"])
        self.assertEqual(status["pages"]["total"], CSV_RECORDS)
        pdf = os.path.join(self.workdir, "csv.pdf")
        got = self.pipe.request("GET", "/v1/jobs/%s/result" % seen["job"])
        self.assertEqual(got.status, 200)
        with open(pdf, "wb") as f:
            f.write(got.body)
        pages = subprocess.run(["qpdf", "--show-npages", pdf],
                               capture_output=True, text=True, check=True)
        self.assertEqual(int(pages.stdout), CSV_RECORDS)

    def test_workers_page_while_rendering(self):
        doc, records = invoice_document(CANCEL_RECORDS, self.workdir)
        job = submit_invoice(self.pipe, doc, records)
        self.addCleanup(self.pipe.request, "DELETE", "/v1/jobs/" + job)
        seen = run_scenario("workers", self.pipe, JOB_ID=job)
        self.assertEqual(seen["row"]["state"], "busy", seen)
        self.assertIn(job[:12], seen["row"]["rendering"])
        self.assertRegex(seen["row"]["rate"], r"^[\d,]+$")
        self.assertEqual(seen["figures"]["Busy"], "1")
        self.assertIn("Desired", seen["figures"])
        self.assertTrue(os.path.getsize(
            os.path.join(ARTIFACTS, "console-workers.png")))

    def test_every_page_without_console_errors(self):
        job = self.pipe.submit({"version": 1, "template": {"elements": []},
                                "records": [{"n": 1}]})
        self.pipe.wait(job)
        seen = run_scenario("pages", self.pipe, JOB_ID=job)
        for view in ("jobs", "job", "workers", "submit"):
            self.assertTrue(seen[view], view)

    def test_cancel_with_keyboard(self):
        doc, records = invoice_document(CANCEL_RECORDS, self.workdir)
        job = submit_invoice(self.pipe, doc, records)
        seen = self.run_while_running("keyboard", job)
        self.assertEqual(len(seen["dialogs"]), 2)
        self.assertIn(job, seen["dialogs"][0])
        # Dismissed, the job went on; accepted, it is cancelled.
        self.assertNotEqual(seen["after_dismiss"], "cancelled")
        self.assertEqual(self.pipe.status(job)["state"], "cancelled")


class ConsoleTokenTest(unittest.TestCase):
    """With tokens on, the page asks for one when the API answers 401 and
    keeps it in the tab's sessionStorage."""

    def setUp(self):
        why = missing_tools()
        if why:
            self.skipTest(why)
        install_playwright()
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.pipe = Pipeline(workers=1, tokens=True)
        self.addCleanup(self.pipe.close)

    def test_token_prompt_on_401(self):
        shell = self.pipe.request("GET", "/", token=None)
        self.assertEqual(shell.status, 200)   # the shell needs no token
        job = self.pipe.submit({"version": 1,
                                "template": {"elements": []},
                                "records": [{"n": 1}]})
        self.pipe.wait(job)
        seen = run_scenario("token", self.pipe, JOB_ID=job,
                            TOKEN=self.pipe.token)
        self.assertEqual(seen["state"], "done")
        self.assertTrue(seen["stored"])

    def test_every_page_without_console_errors(self):
        job = self.pipe.submit({"version": 1, "template": {"elements": []},
                                "records": [{"n": 1}]})
        self.pipe.wait(job)
        seen = run_scenario("pages", self.pipe, JOB_ID=job,
                            TOKEN=self.pipe.token)
        for view in ("jobs", "job", "workers", "submit"):
            self.assertTrue(seen[view], view)


if __name__ == "__main__":
    unittest.main()
