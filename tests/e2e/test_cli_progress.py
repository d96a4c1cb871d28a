"""End-to-end: the CLI's progress bar (cli/progressbar.c, docs/cli.md) as a
person at a terminal sees it.

The real `pdfpipe submit --wait -o` runs with its standard error on a
pseudo-terminal (the bar is drawn only on a terminal; elsewhere it prints
plain lines), against a real pipeline with one worker and a job of the
invoice example large enough to be polled several times while it renders.
What it drew is read back from the terminal: a rate in pages/s and a time
left while rendering, and, on the last line, the page count of the job
done; the PDF it downloaded has that many pages (qpdf).

SPDX-License-Identifier: MPL-2.0
"""
import json
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import fcntl
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import CLI, SOURCE_DIR, Pipeline  # noqa: E402

EXAMPLE_DIR = os.path.join(SOURCE_DIR, "examples", "invoice")
RECORDS = 20000         # several polls (every 400 ms) while it renders
CHUNK_PAGES = 250
COLUMNS = 120
RUN_TIMEOUT_S = 300


def run_on_terminal(argv, env):
    """Run argv with stderr on a pseudo-terminal COLUMNS wide; (exit status,
    stdout text, terminal text)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ,
                struct.pack("HHHH", 40, COLUMNS, 0, 0))
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=slave)
        os.close(slave)
        drawn = b""
        while True:
            ready, _, _ = select.select([master], [], [], RUN_TIMEOUT_S)
            if not ready:
                process.kill()
                raise AssertionError("the CLI drew nothing for %d s: %r" % (
                    RUN_TIMEOUT_S, drawn[-2000:]))
            try:
                data = os.read(master, 65536)
            except OSError:     # EIO: the CLI closed the terminal
                data = b""
            if not data:
                break
            drawn += data
        os.close(master)
        status = process.wait(timeout=RUN_TIMEOUT_S)
        out.seek(0)
        return status, out.read().decode(), drawn.decode()


class CliProgressTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="pdfpipe-cli-progress-")
        self.pipe = Pipeline(workers=1)

    def tearDown(self):
        self.pipe.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def test_bar_shows_rate_eta_and_pages(self):
        with open(os.path.join(EXAMPLE_DIR, "template.json")) as f:
            doc = json.load(f)
        doc["chunk_pages"] = CHUNK_PAGES
        doc_path = os.path.join(self.workdir, "invoice.json")
        with open(doc_path, "w") as f:
            json.dump(doc, f)
        records = os.path.join(self.workdir, "invoices.jsonl")
        subprocess.run([sys.executable,
                        os.path.join(EXAMPLE_DIR, "gen_records.py"),
                        str(RECORDS), records], check=True)
        output = os.path.join(self.workdir, "invoices.pdf")
        env = dict(os.environ, TERM="xterm")
        env.pop("PDFPIPE_TOKEN", None)
        status, out, drawn = run_on_terminal(
            [CLI, "--url", self.pipe.url, "submit", doc_path,
             "--records", records, "--wait", "-o", output], env)
        self.assertEqual(status, 0, drawn[-2000:])
        # The job id, then where the PDF went.
        self.assertRegex(out, r"^[0-9a-f]{32}\n%s\n$" % re.escape(output))

        # The redraws of one line, split at the carriage returns.
        frames = [f.rstrip() for f in re.split(r"[\r\n]+", drawn) if f.strip()]
        rendering = [f for f in frames if f.endswith("rendering")]
        self.assertTrue(rendering, drawn[-2000:])
        rated = [f for f in rendering
                 if re.search(r"\d[\d,.]* pages/s  ETA \d+ (s|min|h)\b", f)]
        self.assertTrue(rated, "no pages/s and ETA while rendering:\n%s"
                        % "\n".join(rendering))
        # Each frame is one bar no wider than the terminal.
        for frame in frames:
            self.assertLess(len(frame), COLUMNS, frame)
            self.assertTrue(frame.startswith("["), frame)
        last = frames[-1]
        self.assertRegex(last, r"\b20,000/20,000 pages 100%.*\bdone$")
        done = subprocess.run(["qpdf", "--show-npages", output], check=True,
                              capture_output=True, text=True)
        self.assertEqual(int(done.stdout), RECORDS)


if __name__ == "__main__":
    unittest.main()
