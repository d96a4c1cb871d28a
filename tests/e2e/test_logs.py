"""End-to-end: structured logs. A real job through the ventilator, the sink
and two workers, all with --log-format json: every line each process
writes, up to its exit, is one JSON object with the fields
docs/operations.md names, and the job's id alone follows it through the
three processes, chunk by chunk.

SPDX-License-Identifier: MPL-2.0
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import (SINK, STOP_TIMEOUT_S, VENTILATOR, WORKER,  # noqa: E402
                      Pipeline, assert_marker_pages, check_pdf, marker_job)

RFC3339_MS_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LEVELS = {"error", "warning", "info", "debug"}
JSON_ARGS = ["--log-format", "json", "--verbose"]


def stop_all(pipe):
    """SIGTERM every process and wait, as Pipeline.close does, so that the
    logs hold their last lines before the test reads them; close() then
    checks the exits."""
    for process in pipe.processes:
        if process.popen.poll() is None:
            process.terminated = True
            process.popen.send_signal(signal.SIGTERM)
    for process in pipe.processes:
        process.popen.wait(timeout=STOP_TIMEOUT_S)


def parse_log(path):
    """Each line of the log at path as a dict; fails on a line that is not
    one JSON object with the required fields."""
    with open(path, "rb") as f:
        raw = f.read()
    records = []
    for number, line in enumerate(raw.split(b"\n")[:-1], start=1):
        where = "%s:%d: %r" % (os.path.basename(path), number, line[:300])
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise AssertionError("not a JSON line (%s) %s" % (error, where))
        assert isinstance(record, dict), where
        for name in ("time", "level", "process", "message"):
            assert isinstance(record.get(name), str), (name, where)
        assert RFC3339_MS_UTC.match(record["time"]), where
        assert record["level"] in LEVELS, where
        for name in ("job", "worker"):
            if name in record:
                assert isinstance(record[name], str), (name, where)
                assert "%s=%s" % (name, record[name]) in record["message"], \
                    where
        if "chunk" in record:
            assert isinstance(record["chunk"], int), where
        records.append(record)
    assert raw.endswith(b"\n"), "%s: last line unended" % path
    return records


class StructuredLogsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-logs-")

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_job_can_be_followed_across_the_three_processes(self):
        chunks = 6
        with Pipeline(workers=2, ventilator_args=JSON_ARGS,
                      sink_args=JSON_ARGS, worker_args=JSON_ARGS) as pipe:
            job_id = pipe.submit(marker_job(300, chunk_pages=50))
            status = pipe.wait(job_id)
            self.assertEqual(status["state"], "done", pipe.log_tail())
            assert_marker_pages(check_pdf(pipe.result(job_id), self.tmp.name),
                                300)
            stop_all(pipe)
            logs = {path: parse_log(path) for path in pipe.logs}

        by_kind = {"ventilator": [], "sink": [], "worker": []}
        for path, records in logs.items():
            kind = os.path.basename(path).split("-")[0]
            by_kind[kind].extend(records)
            self.assertTrue(records, "%s is empty" % path)
            # The last line of each is its own, about stopping.
            self.assertRegex(records[-1]["message"],
                             r"shutting down|stopping", path)
        self.assertEqual({r["process"] for r in by_kind["ventilator"]},
                         {"pdfpipe-ventilator"})
        self.assertEqual({r["process"] for r in by_kind["sink"]},
                         {"pdfpipe-sink"})
        self.assertEqual({r["process"] for r in by_kind["worker"]},
                         {"w0", "w1"})

        # Only the id: what an operator greps for.
        life = {kind: [r for r in records if r.get("job") == job_id]
                for kind, records in by_kind.items()}
        for kind, records in life.items():
            self.assertTrue(records, "no %s line has job %s" % (kind, job_id))
        # The HTTP thread logs the acceptance, the loop the rest: the two
        # may come in either order.
        accepted = [r for r in life["ventilator"]
                    if re.search(r"\baccepted\b", r["message"])]
        self.assertEqual(len(accepted), 1, life["ventilator"])
        self.assertRegex(life["ventilator"][-1]["message"], r"\bdone\b")
        self.assertTrue(any(re.search(r"\bdone\b", r["message"])
                            for r in life["sink"]), life["sink"])

        # Chunk by chunk: the ventilator hands it to worker=W, that
        # worker (W is its name and a suffix) renders it, the sink takes it.
        rendered_by = {r["chunk"]: r["process"] for r in life["worker"]
                       if "chunk" in r and "rendered" in r["message"]}
        self.assertEqual(sorted(rendered_by), list(range(chunks)))
        for chunk, worker in rendered_by.items():
            handed = [r["worker"] for r in life["ventilator"]
                      if r.get("chunk") == chunk and "worker" in r]
            self.assertTrue(handed, "no dispatch line for chunk %d" % chunk)
            self.assertTrue(any(w.startswith(worker + "-") for w in handed),
                            (chunk, worker, handed))
            self.assertTrue(any(r.get("chunk") == chunk
                                for r in life["sink"]),
                            "no sink line for chunk %d" % chunk)

        # The job is accepted before any worker renders a piece of it; the
        # clocks are the same host's.
        self.assertTrue(all(r["time"] >= accepted[0]["time"]
                            for r in life["worker"]))

    def test_help_and_bad_value(self):
        for program in (VENTILATOR, SINK, WORKER):
            help_text = subprocess.run([program, "--help"], check=True,
                                       capture_output=True, text=True).stdout
            self.assertIn("--log-format text|json", help_text)
            self.assertIn("env PDFPIPE_LOG_FORMAT; default text", help_text)
            for argv, env in (([program, "--log-format", "yaml"], {}),
                              ([program], {"PDFPIPE_LOG_FORMAT": "JSON"})):
                done = subprocess.run(argv, capture_output=True, text=True,
                                      env=dict(os.environ, **env))
                self.assertEqual(done.returncode, 64, done.stderr)
                self.assertIn("expected text or json", done.stderr)


if __name__ == "__main__":
    unittest.main()
