"""The shell examples of docs/api.md, run in order against a real pipeline.

The document promises that its ```sh blocks can be pasted into one shell;
this test does exactly that and checks what they print.

SPDX-License-Identifier: MPL-2.0
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import SOURCE_DIR, Pipeline  # noqa: E402


def shell_blocks(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


class ApiDocExamplesTest(unittest.TestCase):
    def test_every_api_example_runs(self):
        blocks = shell_blocks(os.path.join(SOURCE_DIR, "docs", "api.md"))
        self.assertGreaterEqual(len(blocks), 8)
        script = "set -eu\n" + "\n".join(blocks)
        with Pipeline(workers=1) as pipe:
            run = subprocess.run(["bash", "-c", script], cwd=SOURCE_DIR,
                                 env=dict(os.environ, PDFPIPE_URL=pipe.url),
                                 capture_output=True, text=True, timeout=300)
            self.assertEqual(run.returncode, 0,
                             run.stdout + run.stderr + pipe.log_tail())
        out = run.stdout
        self.assertRegex(out, r"submitted job [0-9a-f]{32}")
        self.assertIn('"field":"records[1]"', out.replace(" ", ""))
        self.assertRegex(out, r"(?m)^415$")
        self.assertRegex(out, r"200 application/pdf \d+ bytes")
        # The example cancels a small job, which may finish first: either
        # answer is right, and the doc says so.
        self.assertRegex(out.replace(" ", ""),
                         r'"state":"cancelled"|isalreadydone;itcannotbecancelled')
        self.assertRegex(out, r"(?m)^409$")
        self.assertIn('"status":"ok"', out.replace(" ", ""))
        self.assertRegex(out, r"(?m)^404$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
