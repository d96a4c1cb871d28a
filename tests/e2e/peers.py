"""peers - talk to pdfpipe processes over ZeroMQ directly, as a worker or a
rogue peer would, for the tests that need a peer the real programs cannot
play (a worker that crashes on a chunk, one that is slow but alive, one that
sends garbage).

Needs pyzmq (Debian: python3-zmq, which scripts/install-deps.sh installs).
When the interpreter running the test lacks it but the system Python has
it, require_zmq() re-runs the test under the system Python; when no Python
has it, the test is skipped (exit code 77, ctest's SKIP_RETURN_CODE).

The message layout is docs/protocol.md's: frame 0 "PDFPIPE/2", frame 1 the
command, then one frame per field; u32 fields are 4 bytes big-endian.

SPDX-License-Identifier: MPL-2.0
"""
import os
import struct
import subprocess
import sys
import time

SIGNATURE = b"PDFPIPE/2"
SKIP = 77
SYSTEM_PYTHON = "/usr/bin/python3"


def require_module(module, package):
    """Import and return module, re-running the test under the system
    Python (which has Debian's package) or skipping it when neither
    interpreter has it."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        pass
    if (os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)
            and os.path.exists(SYSTEM_PYTHON)
            and subprocess.run([SYSTEM_PYTHON, "-c", "import " + module],
                               capture_output=True).returncode == 0):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    print("SKIP: %s (%s) is not installed" % (module, package))
    sys.exit(SKIP)


def require_zmq():
    """Import and return zmq, as require_module."""
    return require_module("zmq", "python3-zmq")


def wait_for(condition, timeout, what):
    """Poll condition until it is true; fails the test after timeout
    seconds (a bound on a hang, not a measurement)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def curve_client(socket, keys, name, server):
    """Make socket (pyzmq, not yet connected) a CURVE client with the key
    pair name of keys (pipeline.Keys), talking to server ("ventilator" or
    "sink"), as the pdfpipe programs do."""
    import zmq.auth
    public, secret = zmq.auth.load_certificate(keys.secret(name))
    socket.curve_publickey = public
    socket.curve_secretkey = secret
    socket.curve_serverkey = zmq.auth.load_certificate(
        keys.public(server))[0]


def u32(value):
    return struct.pack(">I", value)


def get_u32(frame):
    return struct.unpack(">I", frame)[0]


def message(command, *fields):
    """A pdfpipe message as a list of frames."""
    return [SIGNATURE, command.encode()] + [
        f if isinstance(f, bytes) else f.encode() for f in fields]


def chunk_fields(frames):
    """The fields of a CHUNK message, as a dict."""
    assert frames[0] == SIGNATURE and frames[1] == b"CHUNK", frames[:2]
    names = ("job_id", "chunk_nbr", "attempt", "first_page", "page_count",
             "total_pages", "chunk_count")
    chunk = {}
    for index, name in enumerate(names):
        frame = frames[2 + index]
        chunk[name] = frame.decode() if name == "job_id" else get_u32(frame)
    chunk["digest"] = frames[9]
    chunk["template"] = frames[10].decode()
    chunk["records"] = frames[11].decode()
    return chunk


def _pdf_text(text):
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def simple_pdf(lines_per_page):
    """A PDF with one page per item of lines_per_page (a list of text
    lines), in Helvetica: enough for qpdf to count and merge, and for
    pdftotext to read back."""
    objects = []

    def add(body):
        objects.append(body)
        return len(objects)

    catalog = add(None)
    pages = add(None)
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
               b"/Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in lines_per_page:
        ops = []
        y = 780
        for line in lines:
            ops.append("BT /F1 12 Tf 50 %d Td (%s) Tj ET" % (y, _pdf_text(line)))
            y -= 20
        stream = "\n".join(ops).encode("latin-1")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream
                      + b"\nendstream")
        kids.append(add(("<< /Type /Page /Parent %d 0 R /MediaBox "
                         "[0 0 595 842] /Resources << /Font << /F1 %d 0 R >> "
                         ">> /Contents %d 0 R >>" % (pages, font, content))
                        .encode()))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages
    objects[pages - 1] = ("<< /Type /Pages /Kids [%s] /Count %d >>" % (
        " ".join("%d 0 R" % k for k in kids), len(kids))).encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += (b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, catalog, xref))
    return bytes(out)
