"""./run.sh in the foreground: serves, and stops every process on SIGTERM.

SPDX-License-Identifier: MPL-2.0
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import BUILD_DIR, SOURCE_DIR, free_port  # noqa: E402


def children_of(pid):
    """Every descendant of pid, from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(entry))
        except OSError:
            continue
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class RunShTest(unittest.TestCase):
    def test_start_serves_and_sigterm_leaves_no_orphan(self):
        port = free_port()
        with tempfile.TemporaryDirectory(prefix="pdfpipe-runsh-") as data:
            env = dict(os.environ, PDFPIPE_HTTP_PORT=str(port),
                       PDFPIPE_DATA_DIR=data, BUILD_DIR=BUILD_DIR)
            # The ZeroMQ ports are run.sh's defaults; give each its own
            # so this test can run beside others.
            env["PDFPIPE_DISPATCH"] = "tcp://127.0.0.1:%d" % free_port()
            env["PDFPIPE_EVENTS"] = "tcp://127.0.0.1:%d" % free_port()
            results = "tcp://127.0.0.1:%d" % free_port()
            env["PDFPIPE_SINK"] = results
            env["PDFPIPE_SINK_RESULTS"] = results
            env["PDFPIPE_VENTILATOR"] = env["PDFPIPE_DISPATCH"]
            proc = subprocess.Popen(
                [os.path.join(SOURCE_DIR, "run.sh"), "--workers", "2"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True)
            try:
                banner = ""
                deadline = time.monotonic() + 120
                while "API at" not in banner and time.monotonic() < deadline:
                    line = proc.stdout.readline()
                    if not line:
                        break
                    banner += line
                self.assertIn("API at http://127.0.0.1:%d/" % port, banner)
                with urllib.request.urlopen(
                        "http://127.0.0.1:%d/healthz" % port, timeout=10) as r:
                    self.assertEqual(r.status, 200)
                # Everything else needs the token run.sh made, and run.sh
                # said where it is.
                token_path = os.path.join(data, "api", "token")
                while token_path not in banner and \
                        time.monotonic() < deadline:
                    line = proc.stdout.readline()
                    if not line:
                        break
                    banner += line
                self.assertIn(token_path, banner)
                self.assertIn("metrics (Prometheus) at http://127.0.0.1:%d/"
                              "metrics" % port, banner)
                self.assertIn("(2 workers,", banner)  # --workers 2: fixed
                self.assertIn("web console at http://127.0.0.1:%d/ "
                              % port, banner)
                with urllib.request.urlopen(
                        "http://127.0.0.1:%d/" % port, timeout=10) as r:
                    self.assertEqual(r.status, 200)
                    self.assertIn(b"pdfpipe", r.read())
                with open(os.path.join(data, "api", "token")) as f:
                    token = f.read().strip()
                self.assertEqual(os.stat(os.path.join(data, "api", "token"))
                                 .st_mode & 0o077, 0)
                jobs = "http://127.0.0.1:%d/v1/jobs/%s" % (port, "0" * 32)
                for headers, status in (({}, 401), ({
                        "Authorization": "Bearer " + token}, 404)):
                    with self.assertRaises(urllib.error.HTTPError) as caught:
                        urllib.request.urlopen(urllib.request.Request(
                            jobs, headers=headers), timeout=10)
                    self.assertEqual(caught.exception.code, status)
                # The ventilator starts the one worker that stays up.
                deadline = time.monotonic() + 30
                while True:
                    descendants = children_of(proc.pid)
                    names = set()
                    for pid in descendants:
                        try:
                            with open("/proc/%d/comm" % pid) as f:
                                names.add(f.read().strip())
                        except OSError:
                            pass
                    if "pdfpipe-worker" in names or \
                            time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
                self.assertTrue({"pdfpipe-ventila", "pdfpipe-sink",
                                 "pdfpipe-worker"} <= names, names)
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=30), 0)
                left = [pid for pid in descendants if alive(pid)]
                self.assertEqual(left, [], "processes left behind")
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                proc.stdout.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
