"""scripted_worker - a pdfpipe worker in Python, for tests, that does what
its chunk's records tell it to.

It speaks the worker's side of docs/protocol.md over pyzmq: READY at start
and after each chunk, HEARTBEAT every second (0 credits while busy), RESULT
to the sink. It "renders" a chunk as a plain PDF with, on each page, the
record's "marker" and "Page N of TOTAL", so tests can check its output like
a real worker's. A record whose marker contains

  POISON-CRASH  makes it exit at once, mid-chunk, as a crash would;
  POISON-FAIL   makes it answer CHUNK_FAILED.

With --delay S it spends S seconds on each chunk, heartbeating meanwhile:
a slow but live worker. Run by the tests with the endpoints, a name and the
key options (--cert, --ventilator-key, --sink-key: CURVE, as
pdfpipe-worker), as pdfpipe-worker is.

SPDX-License-Identifier: MPL-2.0
"""
import argparse
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import peers  # noqa: E402

zmq = peers.require_zmq()
import zmq.auth  # noqa: E402

HEARTBEAT_S = 1.0


def render(chunk):
    records = json.loads(chunk["records"])
    pages = []
    for k, record in enumerate(records):
        page = chunk["first_page"] + k
        pages.append([str(record.get("marker", "")),
                      "Page %d of %d" % (page, chunk["total_pages"])])
    return peers.simple_pdf(pages)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ventilator", required=True)
    parser.add_argument("--sink", required=True)
    parser.add_argument("--name", default="scripted")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--ventilator-key", required=True)
    parser.add_argument("--sink-key", required=True)
    args = parser.parse_args()

    public, secret = zmq.auth.load_certificate(args.cert)

    def curve_client(socket, server_cert):
        socket.curve_publickey = public
        socket.curve_secretkey = secret
        socket.curve_serverkey = zmq.auth.load_certificate(server_cert)[0]

    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.IDENTITY, ("%s-%d" % (args.name, os.getpid()))
                      .encode())
    dealer.setsockopt(zmq.LINGER, 0)
    curve_client(dealer, args.ventilator_key)
    dealer.connect(args.ventilator)
    sink = context.socket(zmq.PUSH)
    sink.setsockopt(zmq.LINGER, 5000)
    curve_client(sink, args.sink_key)
    sink.connect(args.sink)

    print("%s: started" % args.name, file=sys.stderr, flush=True)
    dealer.send_multipart(peers.message("READY", peers.u32(1)))
    last_sent = time.monotonic()

    def heartbeat(credits):
        nonlocal last_sent
        if time.monotonic() - last_sent >= HEARTBEAT_S:
            dealer.send_multipart(peers.message("HEARTBEAT",
                                                peers.u32(credits)))
            last_sent = time.monotonic()

    while True:
        if not dealer.poll(200):
            heartbeat(1)
            continue
        frames = dealer.recv_multipart()
        chunk = peers.chunk_fields(frames)
        print("%s: chunk %s/%d attempt %d" % (
            args.name, chunk["job_id"], chunk["chunk_nbr"], chunk["attempt"]),
            file=sys.stderr, flush=True)
        if "POISON-CRASH" in chunk["records"]:
            print("%s: crashing" % args.name, file=sys.stderr, flush=True)
            os._exit(3)
        finish_at = time.monotonic() + args.delay
        while time.monotonic() < finish_at:
            heartbeat(0)
            time.sleep(0.05)
        if "POISON-FAIL" in chunk["records"]:
            dealer.send_multipart(peers.message(
                "CHUNK_FAILED", chunk["job_id"], peers.u32(chunk["chunk_nbr"]),
                peers.u32(chunk["attempt"]),
                "records: scripted failure (POISON-FAIL)"))
        else:
            sink.send_multipart(peers.message(
                "RESULT", chunk["job_id"], peers.u32(chunk["chunk_nbr"]),
                peers.u32(chunk["attempt"]), peers.u32(chunk["first_page"]),
                peers.u32(chunk["page_count"]),
                peers.u32(chunk["total_pages"]),
                peers.u32(chunk["chunk_count"]), render(chunk)))
        dealer.send_multipart(peers.message("READY", peers.u32(1)))
        last_sent = time.monotonic()


def stop(signum, frame):
    # Stopped as the real worker is: SIGTERM ends it with status 0.
    raise SystemExit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    try:
        main()
    except KeyboardInterrupt:
        pass
