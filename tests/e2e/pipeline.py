"""pipeline - start the real pdfpipe programs on loopback for end-to-end tests.

A Pipeline owns a temporary data directory, free ports, and the ventilator,
sink and worker processes; it talks to the ventilator's HTTP API with the
standard library only, and checks PDFs with qpdf and pdftotext (the same
tools a user would reach for). Every process is stopped when the pipeline
is closed, even when a test fails.

Fault tests kill and restart processes in place: restart_ventilator and
restart_sink start a new process on the same ports and directories, so the
others reconnect to it as they would in production.

Crashes are never masked. Closing the pipeline fails (AssertionError, with
the log excerpt) when a process the test did not kill on purpose ended on
its own, did not exit with status 0 on SIGTERM, or when any log holds a
sanitizer report; kill() fails on a process that is already dead unless the
test says it expects that. A test that lets a process die on its own (a
scripted worker that crashes on a poison chunk) says so with may_exit.

Every pipeline has its own CURVE keys (Keys), made with `pdfpipe keygen`
as run.sh makes them: one pair each for the ventilator, the sink and the
workers, and an allowed directory that holds all three public
certificates; tests make more (Keys.make) for workers of their own.

With tokens=True the ventilator gets a tokens file (Tokens, made with
`pdfpipe token` as run.sh makes its own): every request then needs a
token, and request() sends the pipeline's own token (named "e2e") unless
told otherwise; tests make more (Tokens.make) to act as other clients.
Without it the API is on loopback without tokens, as the ventilator
allows there.

SPDX-License-Identifier: MPL-2.0
"""
import calendar
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BUILD_DIR = os.environ.get("PDFPIPE_BUILD_DIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build"))
SOURCE_DIR = os.environ.get("PDFPIPE_SOURCE_DIR", os.path.join(
    os.path.dirname(__file__), "..", ".."))

VENTILATOR = os.path.join(BUILD_DIR, "ventilator", "pdfpipe-ventilator")
SINK = os.path.join(BUILD_DIR, "sink", "pdfpipe-sink")
WORKER = os.path.join(BUILD_DIR, "worker", "pdfpipe-worker")
CLI = os.path.join(BUILD_DIR, "cli", "pdfpipe")


_ports_given = set()


def free_port(address="127.0.0.1"):
    """A TCP port free on address (loopback by default) now and not handed
    out before.

    Ports come from below the kernel's ephemeral range (32768 and up), so an
    outgoing connection of one of our own processes cannot take a port
    between the moment it is chosen here and the moment a server binds it.
    """
    rng = random.SystemRandom()
    while True:
        port = rng.randint(20000, 32000)
        if port in _ports_given:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((address, port))
            except OSError:
                continue
        _ports_given.add(port)
        return port


class Keys:
    """The CURVE keys of one pipeline, in directory: NAME.cert and
    NAME.secret per key, and the allowed directory the ventilator and the
    sink accept clients from."""

    def __init__(self, directory):
        self.dir = directory
        self.allowed = os.path.join(directory, "allowed")
        os.makedirs(self.allowed)
        for name in ("ventilator", "sink", "worker"):
            self.make(name)
            self.allow(name)

    def make(self, name):
        """A new key pair called name (not yet allowed)."""
        subprocess.run([CLI, "keygen", name, self.dir], check=True,
                       capture_output=True)

    def public(self, name):
        return os.path.join(self.dir, name + ".cert")

    def secret(self, name):
        return os.path.join(self.dir, name + ".secret")

    def public_text(self, name):
        """The public key of name, as the Z85 text logs show."""
        with open(self.public(name)) as f:
            return re.search(r'public-key = "([^"]+)"', f.read()).group(1)

    def allow(self, name):
        shutil.copy(self.public(name),
                    os.path.join(self.allowed, name + ".cert"))

    def revoke(self, name):
        os.remove(os.path.join(self.allowed, name + ".cert"))

    def ventilator_args(self):
        return ["--cert", self.secret("ventilator"),
                "--sink-key", self.public("sink"),
                "--allowed-dir", self.allowed]

    def sink_args(self):
        return ["--cert", self.secret("sink"),
                "--ventilator-key", self.public("ventilator"),
                "--allowed-dir", self.allowed]

    def worker_args(self, name="worker"):
        return ["--cert", self.secret(name),
                "--ventilator-key", self.public("ventilator"),
                "--sink-key", self.public("sink")]


class Tokens:
    """API tokens of one pipeline, in path: the tokens file the
    ventilator reads (--tokens), one "NAME SHA256HEX" line per token; the
    tokens themselves are kept here by name."""

    def __init__(self, path):
        self.path = path
        self.tokens = {}
        open(path, "w").close()

    def make(self, name):
        """A new token called name, added to the file (the ventilator
        reads the file at start). Returns the token."""
        made = subprocess.run([CLI, "token", name], check=True,
                              capture_output=True, text=True).stdout
        token, line = made.splitlines()
        with open(self.path, "a") as f:
            f.write(line + "\n")
        self.tokens[name] = token
        return token


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


# What sanitizers print when they find a bug: AddressSanitizer and
# LeakSanitizer reports ("ERROR: AddressSanitizer: heap-use-after-free"),
# UndefinedBehaviorSanitizer's "file.c:12:5: runtime error: ...".
SANITIZER_REPORT = re.compile(
    r"ERROR: AddressSanitizer|LeakSanitizer|runtime error|"
    r"(?:ERROR|WARNING): \w+Sanitizer")
# How long a process may take to start (log its ready line) and, below,
# to exit after SIGTERM before it counts as
# hung (and is killed).
STARTUP_TIMEOUT_S = 10
STOP_TIMEOUT_S = 10
# Signals after which a process is not expected to carry on: the test
# killed it on purpose and its exit status tells nothing.
_DEADLY = (signal.SIGKILL, signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS,
           signal.SIGQUIT, signal.SIGINT)


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return "signal %d" % number


def describe_exit(returncode):
    """'status 3' or 'killed by SIGSEGV' for a Popen returncode."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        return "killed by " + _signal_name(-returncode)
    return "status %d" % returncode


def sanitizer_excerpt(text, before=2, after=40):
    """The lines around the first sanitizer report in text, or None."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if SANITIZER_REPORT.search(line):
            return "\n".join(lines[max(0, index - before):index + after])
    return None


class _Process:
    """What the pipeline knows of one process it started."""

    def __init__(self, name, popen, log_path):
        self.name = name            # "ventilator", "sink", "worker w2"
        self.popen = popen
        self.log_path = log_path
        self.killed = False         # the test ended it on purpose
        self.may_exit = False       # the test lets it end on its own
        self.terminated = False     # close() sent it SIGTERM
        self.hung = False           # and it needed SIGKILL to stop


class Pipeline:
    """The three kinds of process, on loopback with fresh ports and dirs."""

    def __init__(self, workers=2, ventilator_args=(), sink_args=(),
                 worker_args=(), store=None, address="127.0.0.1",
                 tokens=False):
        """store is the result store's URL for both the sink and the
        ventilator (--store); by default a directory of the pipeline's.
        ventilator_args may be a function of the pipeline returning the
        arguments, for those that name its endpoints or keys
        (worker_command). address is where the ventilator and the sink
        bind their ZeroMQ endpoints (a network namespace's peer, for
        workers on other "hosts": netns.py); the HTTP API stays on
        loopback. tokens: give the ventilator a tokens file with the token
        "e2e" (self.token), which request() sends; a list of names instead
        of True adds a token for each (self.tokens.tokens[name])."""
        self.dir = tempfile.mkdtemp(prefix="pdfpipe-e2e-")
        self.store = store or "file://" + os.path.join(self.dir, "out")
        self.http_port = free_port()
        self.address = address
        self.dispatch = "tcp://%s:%d" % (address, free_port(address))
        self.events = "tcp://%s:%d" % (address, free_port(address))
        self.results = "tcp://%s:%d" % (address, free_port(address))
        self.url = "http://127.0.0.1:%d" % self.http_port
        self.ventilator_args = ventilator_args if callable(
            ventilator_args) else list(ventilator_args)
        self.sink_args = list(sink_args)
        self.worker_args = list(worker_args)
        self.workers = []
        self.worker_log_paths = []
        self.ventilator = None
        self.sink = None
        self.logs = []
        self.processes = []     # every _Process started, oldest first
        self.closed = False
        self.tokens = None
        self.token = None
        try:
            self.keys = Keys(os.path.join(self.dir, "keys"))
            if tokens:
                self.tokens = Tokens(os.path.join(self.dir, "tokens"))
                self.token = self.tokens.make("e2e")
                for name in (tokens if tokens is not True else ()):
                    self.tokens.make(name)
            self.start_sink()
            self.start_ventilator()
            for _ in range(workers):
                self.add_worker()
        except BaseException:
            self.close(check=False)
            raise

    # -- processes ---------------------------------------------------------
    def _spawn(self, name, argv, may_exit=False, ready=None):
        """Start argv logging to a file of its own; with ready (a regular
        expression), wait until its log shows it, which each program logs
        once its signal handlers are in place: a SIGTERM before that would
        kill it rather than stop it."""
        kind = name.split()[0]
        log_path = os.path.join(self.dir, "%s-%d.log" % (kind, len(self.logs)))
        self.logs.append(log_path)
        with open(log_path, "ab") as log:
            popen = subprocess.Popen(argv, stdout=log,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        process = _Process(name, popen, log_path)
        process.may_exit = may_exit
        self.processes.append(process)
        if ready:
            self._wait_ready(process, re.compile(ready))
        return popen

    def _wait_ready(self, process, pattern, timeout=STARTUP_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while not pattern.search(self.log_text(process.log_path)):
            if process.popen.poll() is not None:
                raise AssertionError("%s ended (%s) while starting:\n%s" % (
                    process.name, describe_exit(process.popen.returncode),
                    self._log_excerpt(process)))
            if time.monotonic() > deadline:
                raise AssertionError("%s did not log /%s/ within %d s of its "
                                     "start:\n%s" % (
                                         process.name, pattern.pattern,
                                         timeout, self._log_excerpt(process)))
            time.sleep(0.01)

    def _process(self, popen):
        for process in self.processes:
            if process.popen is popen:
                return process
        raise AssertionError("pid %d is not a process of this pipeline"
                             % popen.pid)

    def start_ventilator(self, wait=True):
        """Start the ventilator; with wait, return once its API answers
        (wait_healthy), else at once (the caller waits as it likes)."""
        self.ventilator = self._spawn("ventilator", [
            VENTILATOR, "--http-port", str(self.http_port),
            "--dispatch", self.dispatch, "--events", self.events,
            "--sink", self.results,
            "--data-dir", os.path.join(self.dir, "ventilator"),
            "--store", self.store,
        ] + self.keys.ventilator_args() + (
            ["--tokens", self.tokens.path] if self.tokens else []) + (
            self.ventilator_args(self) if callable(self.ventilator_args)
            else self.ventilator_args))
        if wait:
            self.wait_healthy()

    def start_sink(self):
        self.sink = self._spawn("sink", [
            SINK, "--results", self.results, "--events", self.events,
            "--spool", os.path.join(self.dir, "spool"),
            "--store", self.store,
        ] + self.keys.sink_args() + self.sink_args, ready=r"results on ")

    def worker_command(self, extra=()):
        """The real worker's command line for this pipeline, as one shell
        command (what a scaler runs; it adds --name)."""
        return " ".join(shlex.quote(arg) for arg in [WORKER] + self.worker_args
                        + ["--ventilator", self.dispatch, "--sink",
                           self.results] + self.keys.worker_args()
                        + list(extra))

    def add_worker(self, argv=None, may_exit=False, cert="worker",
                   netns=None, key_args=None):
        """Start a worker with the key pair cert; argv replaces the real
        worker's command line (a scripted worker), and gets the endpoints,
        the key options and a name appended. Returns once the worker logged
        that it started. may_exit: the test expects it may end on its own
        (a scripted crash), so its end is not a failure. netns: run it
        inside that network namespace (ip netns exec, which becomes the
        worker: the pid is the worker's). key_args replace the key options
        (a worker host's own files) given by cert."""
        name = "w%d" % len(self.workers)
        if argv is None:
            argv = [WORKER] + self.worker_args
        if netns:
            argv = ["ip", "netns", "exec", netns] + list(argv)
        if key_args is None:
            key_args = self.keys.worker_args(cert)
        worker = self._spawn("worker " + name, list(argv) + [
            "--ventilator", self.dispatch, "--sink", self.results,
            "--name", name] + list(key_args),
            may_exit=may_exit, ready=r"\bstarted\b")
        self.workers.append(worker)
        self.worker_log_paths.append(self.logs[-1])
        return worker

    def worker_logs(self):
        """The log of each worker started, in the order they were."""
        out = []
        for path in self.worker_log_paths:
            with open(path, "rb") as f:
                out.append(f.read().decode("utf-8", "replace"))
        return out

    def kill(self, proc, sig=signal.SIGKILL, expect_dead=False):
        """Send sig to a process of the pipeline; after SIGKILL, reap it.

        A process found already dead is a failure (it crashed, or the test
        is not doing what it thinks), unless expect_dead says the test
        knows it may be. Deadly signals (SIGKILL, SIGABRT, ...) mark the
        process as ended on purpose; after SIGTERM it must still exit
        cleanly; SIGSTOP and SIGCONT do not end it."""
        process = self._process(proc)
        if proc.poll() is not None:
            if expect_dead:
                process.killed = True
                return
            raise AssertionError(
                "%s was already dead (%s) when the test sent it %s:\n%s" % (
                    process.name, describe_exit(proc.returncode),
                    _signal_name(sig), self._log_excerpt(process)))
        if sig in _DEADLY:
            process.killed = True
        proc.send_signal(sig)
        if sig == signal.SIGKILL:
            proc.wait(timeout=10)

    def _restart_check(self, proc):
        """Before a restart: kill proc if it runs, fail if it died on its
        own."""
        if proc.poll() is None:
            self.kill(proc)
            return
        process = self._process(proc)
        if not (process.killed or process.may_exit):
            raise AssertionError("%s died on its own (%s) before its "
                                 "restart:\n%s" % (
                                     process.name,
                                     describe_exit(proc.returncode),
                                     self._log_excerpt(process)))

    def restart_ventilator(self):
        """A new ventilator on the same ports and data directory."""
        self._restart_check(self.ventilator)
        self.start_ventilator()

    def restart_sink(self):
        """A new sink on the same ports, spool and store."""
        self._restart_check(self.sink)
        self.start_sink()

    def logs_of(self, name):
        """The text of every log of the processes called name (ventilator,
        sink, worker), oldest first."""
        out = []
        for path in self.logs:
            if os.path.basename(path).startswith(name + "-"):
                out.append(self.log_text(path))
        return "\n".join(out)

    def log_of(self, proc):
        """The text of one process's log."""
        return self.log_text(self._process(proc).log_path)

    def wait_log(self, pattern, name=None, proc=None, timeout=60.0,
                 what=None):
        """Poll the logs of the processes called name (or of the one
        process proc) until the regular expression pattern matches; returns
        the match. Failing to see it within timeout seconds is an
        AssertionError naming what was awaited, with the logs' tails."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_of(proc) if proc else self.logs_of(name)
            match = regex.search(text)
            if match:
                return match
            if time.monotonic() > deadline:
                raise AssertionError("no log line /%s/ (%s) within %.0f s:\n%s"
                                     % (pattern, what or name or "the process",
                                        timeout, self.log_tail()))
            time.sleep(0.05)

    @staticmethod
    def log_text(path):
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_healthy(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ventilator.poll() is not None:
                raise AssertionError("ventilator exited with %s:\n%s" % (
                    self.ventilator.returncode, self.log_tail()))
            try:
                if self.request("GET", "/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("API not healthy within %.0f s" % timeout)

    def log_tail(self, lines=40):
        out = []
        for path in self.logs:
            try:
                with open(path, "rb") as f:
                    tail = f.read().decode("utf-8",
                                           "replace").splitlines()[-lines:]
            except OSError as error:
                tail = ["(cannot read the log: %s)" % error]
            out.append("--- %s\n%s" % (os.path.basename(path), "\n".join(tail)))
        return "\n".join(out)

    def _log_excerpt(self, process, lines=30):
        try:
            text = self.log_text(process.log_path)
        except OSError as error:
            return "(cannot read %s: %s)" % (process.log_path, error)
        tail = text.splitlines()[-lines:]
        return "--- %s (last %d lines)\n%s" % (
            os.path.basename(process.log_path), len(tail), "\n".join(tail))

    def problems(self):
        """What is wrong with the processes that have ended so far and with
        every log: a list of messages, empty when all is well."""
        found = []
        for process in self.processes:
            code = process.popen.poll()
            if code is None:
                continue
            if process.hung:
                found.append("%s did not stop within %d s of SIGTERM and "
                             "was killed:\n%s" % (
                                 process.name, STOP_TIMEOUT_S,
                                 self._log_excerpt(process)))
            elif process.terminated:
                if code != 0:
                    found.append("%s ended (%s) after SIGTERM, not with "
                                 "status 0:\n%s" % (
                                     process.name, describe_exit(code),
                                     self._log_excerpt(process)))
            elif not (process.killed or process.may_exit):
                found.append("%s ended on its own (%s) while the test "
                             "ran:\n%s" % (process.name, describe_exit(code),
                                          self._log_excerpt(process)))
        for process in self.processes:
            try:
                text = self.log_text(process.log_path)
            except OSError:
                continue
            excerpt = sanitizer_excerpt(text)
            if excerpt:
                found.append("%s's log holds a sanitizer report (%s):\n%s" % (
                    process.name, os.path.basename(process.log_path),
                    excerpt))
        return found

    def close(self, check=True):
        """Stop every process (SIGTERM, after SIGCONT for a stopped one)
        and remove the directory. With check, then fail (AssertionError)
        on anything problems() finds: a crash, an unclean exit, a process
        that needed SIGKILL to stop, a sanitizer report."""
        if self.closed:
            return
        self.closed = True
        try:
            for process in self.processes:
                proc = process.popen
                if proc.poll() is None:
                    process.terminated = True
                    # A stopped process would not see the SIGTERM.
                    proc.send_signal(signal.SIGCONT)
                    proc.send_signal(signal.SIGTERM)
            for process in self.processes:
                try:
                    process.popen.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.hung = True
                    process.popen.kill()
                    process.popen.wait()
            found = self.problems() if check else []
        finally:
            if os.environ.get("PDFPIPE_KEEP_TEST_DIR"):
                print("test directory kept:", self.dir)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)
        if found:
            raise AssertionError("the pipeline's processes did not end "
                                 "cleanly:\n" + "\n\n".join(found))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- HTTP --------------------------------------------------------------
    def request(self, method, path, body=None, content_type="application/json",
                headers=None, token=True):
        """token: True sends the pipeline's token (when it has tokens),
        None or False none, a string that token."""
        if token is True:
            token = self.token
        data = body
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None and content_type:
            req.add_header("Content-Type", content_type)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return Response(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            return Response(err.code, err.headers, err.read())

    def submit(self, job):
        resp = self.request("POST", "/v1/jobs", job)
        if resp.status != 202:
            raise AssertionError("submit answered %d: %s" % (
                resp.status, resp.body[:500]))
        return resp.json()["id"]

    def status(self, job_id):
        resp = self.request("GET", "/v1/jobs/" + job_id)
        assert resp.status == 200, (resp.status, resp.body)
        return resp.json()

    def wait(self, job_id, states=("done", "failed", "cancelled"),
             timeout=300.0):
        """Poll until the job is in one of states. Connection errors (a
        ventilator being restarted) are retried until the timeout."""
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            try:
                status = self.status(job_id)
            except OSError:
                time.sleep(0.1)
                continue
            if status["state"] in states:
                return status
            time.sleep(0.1)
        raise AssertionError("job %s still %s after %.0f s\n%s" % (
            job_id, status and status["state"], timeout, self.log_tail()))

    def result(self, job_id):
        resp = self.request("GET", "/v1/jobs/%s/result" % job_id)
        assert resp.status == 200, (resp.status, resp.body)
        return resp.body


def parse_api_time(text):
    """An API timestamp (RFC 3339 UTC with milliseconds,
    "2026-01-02T03:04:05.678Z") in seconds since the epoch."""
    main, _, fraction = text.rstrip("Z").partition(".")
    seconds = calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S"))
    return seconds + (int(fraction) / 1000.0 if fraction else 0.0)


# -- documents and checks ----------------------------------------------------
def marker_job(pages, chunk_pages=None, extra_elements=()):
    """A job whose page k carries record k's marker and "Page k of N"."""
    job = {
        "version": 1,
        "template": {
            "page": {"size": "A4"},
            "elements": [
                {"type": "text", "text": "{{marker}}", "x": 50, "y": 780,
                 "font": "Helvetica-Bold", "size": 14},
                {"type": "text", "text": "Customer {{customer.name}}",
                 "x": 50, "y": 750, "font": "Helvetica", "size": 11},
                {"type": "text", "text": "Page {{page}} of {{pages}}",
                 "x": 297.64, "y": 30, "font": "Helvetica", "size": 9,
                 "align": "center"},
            ] + list(extra_elements),
        },
        "records": [{"marker": "MARK-%06d" % k,
                     "customer": {"name": "Customer %d" % k}}
                    for k in range(1, pages + 1)],
    }
    if chunk_pages:
        job["chunk_pages"] = chunk_pages
    return job


def check_pdf(pdf_bytes, workdir):
    """qpdf --check must pass; returns the text of each page (pdftotext)."""
    path = os.path.join(workdir, "check.pdf")
    with open(path, "wb") as f:
        f.write(pdf_bytes)
    check = subprocess.run(["qpdf", "--check", path], capture_output=True,
                           text=True)
    assert check.returncode == 0, "qpdf --check failed:\n" + check.stdout[-2000:]
    npages = int(subprocess.run(["qpdf", "--show-npages", path],
                                capture_output=True, text=True,
                                check=True).stdout)
    text = subprocess.run(["pdftotext", "-layout", path, "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    if pages and pages[-1].strip() == "":
        pages = pages[:-1]
    assert len(pages) == npages, (len(pages), npages)
    return pages


def assert_marker_pages(pages, total):
    assert len(pages) == total, "expected %d pages, got %d" % (total, len(pages))
    for k, text in enumerate(pages, start=1):
        marker = "MARK-%06d" % k
        assert marker in text, "page %d lacks %s: %r" % (k, marker, text[:200])
        assert text.count("MARK-") == 1, "page %d has several markers" % k
        footer = "Page %d of %d" % (k, total)
        assert footer in text, "page %d lacks %r: %r" % (k, footer, text[-200:])
