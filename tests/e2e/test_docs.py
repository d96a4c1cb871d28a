"""The documentation's examples, run against a real pipeline.

- docs/api.md promises that its ```sh blocks can be pasted into one shell;
  this test does exactly that and checks what they print. Each curl call
  either fails on an error status (-f) or prints the status, which is
  checked.
- docs/operations.md marks each ```sh block "run by tests/e2e/test_docs.py"
  or "not run by tests/e2e/test_docs.py: <why>"; the runnable ones are run
  in order in one shell, with the programs on PATH and PDFPIPE_URL set.
- docs/job-spec.md's ```json blocks are complete jobs: each is submitted,
  rendered, and its pages checked (count and text, with pdftotext) against
  the comment after the block.

SPDX-License-Identifier: MPL-2.0
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import (BUILD_DIR, SOURCE_DIR, Pipeline,  # noqa: E402
                      check_pdf)

RUN_MARKER = "# run by tests/e2e/test_docs.py"
SKIP_MARKER = "# not run by tests/e2e/test_docs.py: "
RENDERED_MARKER = "<!-- rendered by tests/e2e/test_docs.py:"


def read_doc(name):
    with open(os.path.join(SOURCE_DIR, "docs", name), encoding="utf-8") as f:
        return f.read()


def shell_blocks(text):
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


def curl_calls(script):
    """Each curl command of a script, continuation lines joined."""
    joined = script.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines()
            if re.search(r"(^|[\s(|])curl\s", line)]


def run_script(script, env, timeout=300):
    return subprocess.run(["bash", "-c", "set -euo pipefail\n" + script],
                          cwd=SOURCE_DIR, env=env, capture_output=True,
                          text=True, timeout=timeout)


def parse_expectations(comment):
    """{page number: [texts]} from a "rendered by" comment's body:
    'page 1 "a" "b"; page 2 "c"'."""
    pages = {}
    for part in comment.split(";"):
        match = re.match(r'\s*page (\d+)((?:\s+"[^"]*")+)\s*$', part)
        if not match:
            raise AssertionError("cannot read %r in %r" % (part, comment))
        pages[int(match.group(1))] = re.findall(r'"([^"]*)"', match.group(2))
    return pages


class ApiDocExamplesTest(unittest.TestCase):
    def test_every_curl_call_checks_its_status(self):
        calls = curl_calls("\n".join(shell_blocks(read_doc("api.md"))))
        self.assertGreaterEqual(len(calls), 10)
        for call in calls:
            self.assertRegex(call, r"\s-[a-zA-Z]*f|--fail|%\{http_code\}|"
                             r"\s-[a-zA-Z]*i\s.*grep .*HTTP/",
                             "neither -f nor a printed status: " + call)

    def test_every_api_example_runs(self):
        blocks = shell_blocks(read_doc("api.md"))
        self.assertGreaterEqual(len(blocks), 8)
        with Pipeline(workers=1, tokens=True) as pipe:
            run = run_script("\n".join(blocks),
                             dict(os.environ, PDFPIPE_URL=pipe.url,
                                  PDFPIPE_TOKEN=pipe.token))
            self.assertEqual(run.returncode, 0,
                             run.stdout + run.stderr + pipe.log_tail())
        out = run.stdout
        compact = out.replace(" ", "")
        self.assertRegex(out, r"submitted job [0-9a-f]{32}")
        # Authentication: without the token, then with it.
        self.assertRegex(out, r"(?m)^401\n404$")
        self.assertRegex(compact, r'"field":"records\[1\]"}}\n400\n')
        self.assertRegex(out, r"(?m)^415$")
        # The status printed right after the submission: any state the job
        # may be in by then (the poll loop below waits for done).
        self.assertRegex(out, r'"state":\s*"(queued|rendering|merging|'
                         r'storing|done)"')
        self.assertRegex(out, r"(?m)^job [0-9a-f]{32} is done$")
        self.assertRegex(compact, r"from0to30,not'90'\",\"field\":"
                         r"\"wait_s\"}}\n400\n")
        self.assertRegex(out, r"(?m)^200 application/pdf \d+ bytes$")
        # POST /v1/preview: page 2 as PDF and PNG, then a page past the end.
        self.assertRegex(out, r"(?m)^200 image/png \d+ bytes$")
        self.assertRegex(compact, r'"page9ispastthelastrecord\(3records\)"'
                         r'}}\n400\n')
        # The job list: the one job so far, done, on one page.
        self.assertRegex(out, r"(?m)^\['done'\] False$")
        self.assertRegex(compact, r"unknownstate'foo'in\?state=\"}}\n400\n")
        # The chunk map of the done job, and the one worker.
        self.assertRegex(out, r"(?m)^s 1$")
        self.assertRegex(out, r"(?m)^1 workers, none$")
        self.assertRegex(out, r"(?m)^dry run: 3 pages 1 chunks$")
        # The index of the three-page job: a line per record.
        self.assertRegex(out, r"(?m)^\s*3$")
        # The example cancels a small job, which may finish first: either
        # answer is right, and the doc says so.
        self.assertRegex(compact, r'"state":"cancelled".*\n200\n|'
                         r'isalreadydone;itcannotbecancelled"}}\n409\n')
        self.assertRegex(compact, r'cannotbecancelled"}}\n409\n')
        self.assertRegex(compact, r'"status":"ok"')
        self.assertRegex(compact, r'nosuchendpoint.*\n404\n')
        self.assertRegex(out, r"(?m)^HTTP/1\.1 405 ")
        self.assertRegex(out, r"(?mi)^allow: GET, HEAD, DELETE")


class OperationsDocExamplesTest(unittest.TestCase):
    def test_runnable_operations_examples_run(self):
        blocks = shell_blocks(read_doc("operations.md"))
        runnable = []
        for block in blocks:
            first = block.splitlines()[0]
            if first == RUN_MARKER:
                runnable.append(block)
            elif not first.startswith(SKIP_MARKER):
                self.fail("a ```sh block of docs/operations.md says neither "
                          "%r nor %r<why>:\n%s" % (RUN_MARKER, SKIP_MARKER,
                                                   block))
        self.assertGreaterEqual(len(runnable), 3)
        path = os.pathsep.join(
            [os.path.join(BUILD_DIR, name)
             for name in ("ventilator", "sink", "worker", "cli")] +
            [os.environ.get("PATH", "")])
        with Pipeline(workers=2) as pipe:
            run = run_script("\n".join(runnable), dict(
                os.environ, PDFPIPE_URL=pipe.url, PATH=path))
            self.assertEqual(run.returncode, 0,
                             run.stdout + run.stderr + pipe.log_tail())
        out = run.stdout + run.stderr
        for option in ("--worker-expiry-ms", "--spool", "--ventilator"):
            self.assertIn(option, out)
        self.assertIn('"status":"ok"', out.replace(" ", ""))
        self.assertRegex(out, r"outcome: 20 done and correct, 0 failed, "
                         r"0 wrong, 0 lost, 0 unaccounted for")


class JobSpecDocExamplesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-docs-")

    def tearDown(self):
        self.tmp.cleanup()

    def test_every_job_in_job_spec_renders_as_described(self):
        examples = re.findall(r"^```json\n(.*?)^```\n(.*?)$",
                              read_doc("job-spec.md"), flags=re.S | re.M)
        self.assertGreaterEqual(len(examples), 2)
        with Pipeline(workers=2) as pipe:
            for number, (text, comment) in enumerate(examples, start=1):
                with self.subTest(example=number):
                    self.render_and_check(pipe, json.loads(text), comment)

    def render_and_check(self, pipe, job, comment):
        self.assertTrue(comment.startswith(RENDERED_MARKER) and
                        comment.endswith("-->"),
                        "the block is not followed by %r ... -->: %r" % (
                            RENDERED_MARKER, comment))
        expected = parse_expectations(
            comment[len(RENDERED_MARKER):-len("-->")])
        records = len(job["records"])
        self.assertEqual(sorted(expected), list(range(1, records + 1)),
                         "the comment must describe every page")
        job_id = pipe.submit(job)
        status = pipe.wait(job_id, timeout=120)
        self.assertEqual(status["state"], "done",
                         "%s\n%s" % (status, pipe.log_tail()))
        pages = check_pdf(pipe.result(job_id), self.tmp.name)
        self.assertEqual(len(pages), records)
        for page, texts in expected.items():
            # pdftotext -layout spaces words by their position.
            found = re.sub(r"[ \t]+", " ", pages[page - 1])
            for text in texts:
                self.assertIn(re.sub(r"[ \t]+", " ", text), found,
                              "page %d lacks %r" % (page, text))


if __name__ == "__main__":
    unittest.main(verbosity=2)
