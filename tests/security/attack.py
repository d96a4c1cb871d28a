"""attack - hostile peers against a pipeline on loopback, for the security
tests: a plain pyzmq socket with no key, one with a key the pipeline does
not know, or one that holds a key the pipeline does know (a worker's, the
sink's), sending what an attacker would.

An Attacker opens sockets towards the pipeline's endpoints. Its key is
    None       no CURVE at all: a plain ZeroMQ peer;
    "unknown"  a fresh key pair, in no allowed directory;
    "worker"   the pipeline's worker key pair;
    "sink"     the pipeline's sink key pair (a stolen server key);
a CURVE socket also needs the server's public key, which is public. Each socket is watched by a ZeroMQ
monitor so tests can wait for what happened to its connection (handshake
failed, disconnected) instead of sleeping.

Needs pyzmq; see peers.require_zmq.

SPDX-License-Identifier: MPL-2.0
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import peers  # noqa: E402

zmq = peers.require_zmq()
from zmq.utils.monitor import recv_monitor_message  # noqa: E402

HANDSHAKE_FAILED = (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
                    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                    | zmq.EVENT_HANDSHAKE_FAILED_AUTH)


wait_for = peers.wait_for


def soft_wait(condition, timeout):
    """Poll condition for up to timeout seconds; returns whether it came
    true. For waits whose outcome a later assertion judges."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def vm_hwm_kb(pid):
    """The peak resident set size of process pid (VmHWM), in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM for pid %d" % pid)


class WatchedSocket:
    """A pyzmq socket and the events its monitor has reported so far."""

    def __init__(self, socket, endpoint):
        self.socket = socket
        self.endpoint = endpoint
        self.monitor = socket.get_monitor_socket()
        self.events = []

    def reconnect(self):
        """Try again: ZeroMQ gives up on a connection whose handshake
        failed, as a determined attacker would not."""
        try:
            self.socket.disconnect(self.endpoint)
        except zmq.ZMQError:
            pass
        self.socket.connect(self.endpoint)

    def poll_events(self):
        while self.monitor.poll(0):
            self.events.append(recv_monitor_message(self.monitor)["event"])
        return self.events

    def count(self, mask):
        return sum(1 for event in self.poll_events() if event & mask)

    def close(self):
        self.socket.disable_monitor()
        self.monitor.close(linger=0)
        self.socket.close(linger=0)


class Attacker:
    def __init__(self, pipe, key=None):
        self.pipe = pipe
        self.context = zmq.Context()
        self.sockets = []
        self.key = key
        if key == "unknown":
            # A well-formed key pair of our own, in no allowed directory.
            pipe.keys.make("unknown")

    def _socket(self, kind, endpoint, server, identity=None):
        socket = self.context.socket(kind)
        socket.setsockopt(zmq.LINGER, 0)
        if identity:
            socket.setsockopt(zmq.IDENTITY, identity)
        if self.key:
            peers.curve_client(socket, self.pipe.keys, self.key, server)
        watched = WatchedSocket(socket, endpoint)
        socket.connect(endpoint)
        self.sockets.append(watched)
        return watched

    def dealer(self, identity=b"rogue"):
        """A DEALER to the ventilator's dispatch endpoint, as a worker."""
        return self._socket(zmq.DEALER, self.pipe.dispatch, "ventilator",
                            identity)

    def to_events(self):
        """A PUSH to the ventilator's events endpoint, as the sink."""
        return self._socket(zmq.PUSH, self.pipe.events, "ventilator")

    def to_results(self):
        """A PUSH to the sink's results endpoint, as a worker or the
        ventilator."""
        return self._socket(zmq.PUSH, self.pipe.results, "sink")

    def close(self):
        for watched in self.sockets:
            watched.close()
        self.context.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def job_done(job_id, size, location):
    return peers.message("JOB_DONE", job_id,
                         size.to_bytes(8, "big"), location)


def result(chunk, pdf):
    """A RESULT for chunk (a dict of the CHUNK fields) carrying pdf."""
    return peers.message(
        "RESULT", chunk["job_id"], peers.u32(chunk["chunk_nbr"]),
        peers.u32(chunk["attempt"]), peers.u32(chunk["first_page"]),
        peers.u32(chunk["page_count"]), peers.u32(chunk["total_pages"]),
        peers.u32(chunk["chunk_count"]), pdf)
