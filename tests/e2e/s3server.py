"""s3server - a real S3-protocol server for end-to-end tests, and a proxy
that injects faults in front of it.

Two servers serve: moto_server (Python, not packaged by Debian, so present
only where someone installed it) and s3rver (Node.js, from npm:
scripts/install-deps.sh installs it into tools/s3rver/). start() starts
moto_server when it is installed, else s3rver; PDFPIPE_S3_SERVER=moto or
=s3rver picks one (a missing one is then a skip, never the other).

MotoServer starts moto_server on a free loopback port with signature
checking on: moto only checks SigV4 once IAM is set up, so the server is
started with INITIAL_NO_AUTH_ACTION_COUNT and the first requests (made
here with boto3) create a user, its access key and an allow-all policy.
From then on a request signed with a wrong secret gets 403
SignatureDoesNotMatch, as from AWS. moto 5.2 cannot serve presigned URLs
in that mode (it looks for an Authorization header and answers 500), so
start(signed=False) starts one that checks no signature at all, for
downloads with presigned URLs; botocore_presign gives an independent
signature to compare them with.

S3rverServer starts s3rver, which knows one access key (S3RVER) and checks
no SigV4 signature, cannot abort a multipart upload (405) and cannot list
them (501); it assembles multipart uploads into an object whose ETag is
the whole body's MD5, not AWS's "-<parts>" form. Tests that need what only
moto does ask missing(strict=True). What s3rver keeps is read from its
data directory where its API cannot say (the open multipart uploads).

FaultProxy listens on another loopback port and forwards each HTTP request
to the server unchanged (Host header included, so signatures still match),
unless its plan says otherwise for that request: answer with an S3 error
document (500 InternalError, 503 SlowDown, ...) or drop the connection
halfway through the request body. It counts what it saw, so tests can
check that retries happened.

boto3 (Debian: python3-boto3) is the independent client for both.

SPDX-License-Identifier: MPL-2.0
"""
import http.client
import json
import os
import shutil
import socket
import socketserver
import struct
import subprocess
import tempfile
import threading
import time

REGION = "us-east-1"
BUCKET = "pdfpipe-e2e"
SERVERS = ("moto", "s3rver")
STRICT_NEEDS = ("these tests need moto_server: s3rver checks no SigV4 "
                "signature and cannot abort or list multipart uploads")


def _source_dir():
    from pipeline import SOURCE_DIR
    return SOURCE_DIR


def s3rver_path():
    """Where install-deps.sh puts s3rver (PDFPIPE_S3RVER overrides)."""
    return os.environ.get("PDFPIPE_S3RVER") or os.path.join(
        _source_dir(), "tools", "s3rver", "node_modules", ".bin", "s3rver")


def _why_not(kind):
    """Why the server kind cannot be started here, or None when it can."""
    if kind == "moto":
        if not shutil.which("moto_server"):
            return ("moto_server is not installed (no Debian or npm package; "
                    "pip install 'moto[server]')")
        return None
    if not shutil.which("node"):
        return "node is not installed (apt-get install nodejs), for s3rver"
    if not os.access(s3rver_path(), os.X_OK):
        return ("s3rver is not installed in tools/s3rver "
                "(scripts/install-deps.sh installs it with npm)")
    return None


def chosen():
    """(kind, None) for the server start() would start, or (None, why
    none can be)."""
    try:
        import boto3  # noqa: F401
    except ImportError:
        return None, "boto3 is not installed (apt-get install python3-boto3)"
    wanted = os.environ.get("PDFPIPE_S3_SERVER", "")
    if wanted:
        if wanted not in SERVERS:
            return None, ("PDFPIPE_S3_SERVER=%s: expected one of %s" %
                          (wanted, ", ".join(SERVERS)))
        why = _why_not(wanted)
        if why:
            return None, "PDFPIPE_S3_SERVER=%s, but %s" % (wanted, why)
        return wanted, None
    reasons = []
    for kind in SERVERS:
        why = _why_not(kind)
        if not why:
            return kind, None
        reasons.append(why)
    return None, "; ".join(reasons)


def missing(strict=False):
    """Why the S3 tests must be skipped here, or None when they can run.
    strict: the test needs signature checks and the whole multipart API,
    which only moto_server gives."""
    kind, why = chosen()
    if kind is None:
        return why
    if strict and kind != "moto":
        why_not = ("PDFPIPE_S3_SERVER=s3rver"
                   if os.environ.get("PDFPIPE_S3_SERVER") else
                   _why_not("moto"))
        return "%s, and %s" % (why_not, STRICT_NEEDS)
    return None


def start(log_dir, signed=True):
    """The chosen server, started, with BUCKET created. signed=False: a
    moto_server that checks no signature, for presigned downloads (s3rver
    checks none anyway)."""
    kind, why = chosen()
    assert kind, why
    if kind == "moto":
        return MotoServer(os.path.join(log_dir, "moto.log"), auth=signed)
    return S3rverServer(log_dir)


def free_port():
    from pipeline import free_port as pipeline_free_port
    return pipeline_free_port()


class _Server:
    """What the tests use of either server: a process on loopback, a
    boto3 client signed with its key, and the bucket."""
    kind = None
    checks_signatures = False
    multipart_etags = False  # ETag of an assembled upload ends "-<parts>"

    def _start(self, argv, env, log_path):
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            argv + [str(self.port)], env=env, stdout=self.log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def _wait_listening(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited with %s" %
                                     (self.kind, self.proc.returncode))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("%s did not listen within %.0f s" %
                             (self.kind, timeout))

    def client(self, secret_key=None):
        """A boto3 S3 client, signed with the user's key (or another
        secret)."""
        import boto3
        from botocore.config import Config
        options = {"s3": {"addressing_style": "path"},
                   "retries": {"max_attempts": 1}}
        try:
            # boto3 1.36 and later add CRC checksums, as aws-chunked
            # trailers on some uploads; s3rver would store those trailers.
            config = Config(request_checksum_calculation="when_required",
                            response_checksum_validation="when_required",
                            **options)
        except TypeError:
            config = Config(**options)
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=config)

    def environment(self, endpoint=None, secret_key=None, part_mb=5):
        """What pdfpipe's processes need to reach this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key or self.secret_key,
            "AWS_REGION": REGION,
            "PDFPIPE_S3_ENDPOINT": endpoint or self.endpoint,
            "PDFPIPE_S3_PART_SIZE_MB": str(part_mb),
            # Fast retries keep the fault tests short.
            "PDFPIPE_S3_RETRY_BASE_MS": "50",
        }

    def objects(self):
        listing = self.s3.list_objects_v2(Bucket=BUCKET)
        return [item["Key"] for item in listing.get("Contents", [])]

    def open_uploads(self):
        """(key, upload id) of each multipart upload neither completed nor
        aborted."""
        raise NotImplementedError

    def empty_bucket(self):
        for key in self.objects():
            self.s3.delete_object(Bucket=BUCKET, Key=key)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class MotoServer(_Server):
    """moto_server on loopback with SigV4 checking and one bucket."""
    kind = "moto"
    multipart_etags = True

    # create_user, create_access_key, create_policy, attach_user_policy
    NO_AUTH_CALLS = 4

    def __init__(self, log_path, auth=True):
        import boto3
        env = dict(os.environ)
        env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
        if auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(self.NO_AUTH_CALLS)
        self.checks_signatures = auth
        self._start(["moto_server", "-H", "127.0.0.1", "-p"], env, log_path)
        try:
            self._wait_listening()
            if not auth:
                self.access_key = "AKIAPDFPIPETEST"
                self.secret_key = "no-signature-is-checked"
                self.s3 = self.client()
                self.s3.create_bucket(Bucket=BUCKET)
                return
            iam = boto3.client("iam", endpoint_url=self.endpoint,
                               region_name=REGION,
                               aws_access_key_id="bootstrap",
                               aws_secret_access_key="bootstrap")
            iam.create_user(UserName="pdfpipe")
            key = iam.create_access_key(UserName="pdfpipe")["AccessKey"]
            policy = iam.create_policy(
                PolicyName="everything",
                PolicyDocument=json.dumps({
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*",
                                   "Resource": "*"}]}))
            iam.attach_user_policy(UserName="pdfpipe",
                                   PolicyArn=policy["Policy"]["Arn"])
            self.access_key = key["AccessKeyId"]
            self.secret_key = key["SecretAccessKey"]
            self.s3 = self.client()
            self.s3.create_bucket(Bucket=BUCKET)
        except BaseException:
            self.close()
            raise

    def open_uploads(self):
        listing = self.s3.list_multipart_uploads(Bucket=BUCKET)
        return [(item["Key"], item["UploadId"])
                for item in listing.get("Uploads", [])]

    def empty_bucket(self):
        for key, upload_id in self.open_uploads():
            self.s3.abort_multipart_upload(Bucket=BUCKET, Key=key,
                                           UploadId=upload_id)
        super().empty_bucket()


class S3rverServer(_Server):
    """s3rver on loopback, storing in a directory of its own, with one
    bucket."""
    kind = "s3rver"
    # s3rver's only account: it checks that a request names this key, but
    # not the SigV4 signature, so the secret is ours, and unlike the key,
    # which the tests check that no log shows.
    access_key = "S3RVER"
    secret_key = "s3rver-checks-no-sigv4-signature"

    def __init__(self, log_dir):
        self.data = tempfile.mkdtemp(prefix="s3rver-", dir=log_dir)
        self._start([s3rver_path(), "--directory", self.data, "--address",
                     "127.0.0.1", "--no-vhost-buckets", "--port"],
                    dict(os.environ), os.path.join(log_dir, "s3rver.log"))
        try:
            self._wait_listening()
            self.s3 = self.client()
            self.s3.create_bucket(Bucket=BUCKET)
        except BaseException:
            self.close()
            raise

    def _uploads_dir(self):
        # s3rver's filesystem store keeps an upload's parts in
        # <bucket>/._S3rver_uploads/<upload id>/ until it is completed.
        return os.path.join(self.data, BUCKET, "._S3rver_uploads")

    def open_uploads(self):
        uploads = []
        try:
            names = sorted(os.listdir(self._uploads_dir()))
        except FileNotFoundError:
            return uploads
        for upload_id in names:
            with open(os.path.join(self._uploads_dir(), upload_id,
                                   "key")) as f:
                uploads.append((f.read(), upload_id))
        return uploads

    def empty_bucket(self):
        # s3rver cannot abort an upload; a fresh test starts without them.
        shutil.rmtree(self._uploads_dir(), ignore_errors=True)
        super().empty_bucket()

    def close(self):
        super().close()
        shutil.rmtree(self.data, ignore_errors=True)


def botocore_presign(url, access_key, secret_key, amz_date, expires):
    """url (no query) presigned for GET by botocore's own SigV4 query signer,
    as at amz_date ("20251125T165001Z"), valid for expires seconds."""
    import datetime
    from unittest import mock

    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    request = AWSRequest(method="GET", url=url)
    signer = botocore.auth.S3SigV4QueryAuth(
        Credentials(access_key, secret_key), "s3", REGION, expires=expires)
    if hasattr(botocore.auth, "get_current_datetime"):
        clock = mock.patch("botocore.auth.get_current_datetime",
                           return_value=when)
    else:
        fake = mock.MagicMock(wraps=datetime.datetime)
        fake.utcnow.return_value = when
        clock = mock.patch("botocore.auth.datetime.datetime", fake)
    with clock:
        signer.add_auth(request)
    return request.url


# -- fault injection ----------------------------------------------------------
FORWARD = "forward"
DROP = "drop"  # close the connection halfway through the body


def error_answer(status, code, message="injected by the test's proxy"):
    """A plan step: answer with this S3 error document."""
    return ("error", status, code, message)


class _Handler(socketserver.StreamRequestHandler):
    # One request per connection: every answer says Connection: close.
    def handle(self):
        head = self._read_head()
        if head is None:
            return
        method, target, headers, raw_headers = head
        length = int(headers.get("content-length", "0"))
        action = self.server.proxy.decide(method, target)
        if action == DROP:
            self._drop(headers, length)
        elif isinstance(action, tuple) and action[0] == "error":
            self._answer_error(headers, length, action)
        else:
            # Read the body here: with Expect: 100-continue the client
            # waits for our go-ahead.
            if headers.get("expect", "").lower() == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.wfile.flush()
            body = self.rfile.read(length) if length else b""
            self._forward(method, target, raw_headers, body)

    def _read_head(self):
        line = self.rfile.readline(65537)
        if not line:
            return None
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers, raw = {}, []
        while True:
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, value = line.decode("latin-1").split(":", 1)
            headers[name.strip().lower()] = value.strip()
            raw.append((name.strip(), value.strip()))
        return method, target, headers, raw

    def _drop(self, headers, length):
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        self.rfile.read(length // 2)
        # A reset, not a polite close: what a dying load balancer does.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.connection.close()

    def _answer_error(self, headers, length, action):
        _, status, code, message = action
        if headers.get("expect", "").lower() != "100-continue" and length:
            self.rfile.read(length)
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s"
                "</Code><Message>%s</Message></Error>" %
                (code, message)).encode()
        self.wfile.write(("HTTP/1.1 %d %s\r\nContent-Type: application/xml"
                          "\r\nContent-Length: %d\r\nConnection: close\r\n"
                          "\r\n" % (status, code, len(body))).encode() + body)
        self.wfile.flush()

    def _forward(self, method, target, raw_headers, body):
        proxy = self.server.proxy
        upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port,
                                              timeout=60)
        upstream.putrequest(method, target, skip_host=True,
                            skip_accept_encoding=True)
        for name, value in raw_headers:
            if name.lower() not in ("expect", "connection", "content-length"):
                upstream.putheader(name, value)
        upstream.putheader("Content-Length", str(len(body)))
        upstream.endheaders(body)
        response = upstream.getresponse()
        data = response.read()
        out = ["HTTP/1.1 %d %s" % (response.status, response.reason)]
        for name, value in response.getheaders():
            if name.lower() not in ("connection", "content-length",
                                    "transfer-encoding"):
                out.append("%s: %s" % (name, value))
        out.append("Content-Length: %d" % len(data))
        out.append("Connection: close")
        self.wfile.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") +
                         data)
        self.wfile.flush()
        upstream.close()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class FaultProxy:
    """An HTTP proxy on loopback in front of upstream_port. plan(index,
    method, target) returns FORWARD, DROP or error_answer(...) for the
    index-th request (from 0)."""

    def __init__(self, upstream_port, plan):
        self.upstream_port = upstream_port
        self.plan = plan
        self.lock = threading.Lock()
        self.requests = []  # (method, target, action) in arrival order
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.proxy = self
        self.port = self.server.server_address[1]
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def decide(self, method, target):
        with self.lock:
            index = len(self.requests)
            action = self.plan(index, method, target)
            self.requests.append((method, target, action))
            return action

    def count(self, action_kind):
        with self.lock:
            return sum(1 for _, _, action in self.requests
                       if (action if isinstance(action, str) else action[0])
                       == action_kind)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
