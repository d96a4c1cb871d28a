"""End-to-end: workers on other hosts, over CURVE, across network namespaces.

Three network namespaces stand for three worker hosts (netns.py): each is
joined to this host by a veth pair, and the ventilator and the sink bind
their ZeroMQ endpoints to the host side of the first pair (the hub), never
to loopback. Each worker host is set up as docs/operations.md ("Adding
worker hosts") says, step by step: its key pair is made on it (pdfpipe
keygen, inside the namespace), its public certificate is copied into the
allowed directory, the ventilator's and the sink's public certificates are
copied to it, and the worker is started there with those files. The
pipeline's own worker key is revoked first, so only the hosts' keys can
get work.

Shown: jobs complete, page count and order checked, with workers only on
those hosts; a worker whose key was never copied gets no chunk and the
refusal is logged, and a host whose certificate is removed gets no more;
a worker whose link is cut mid-job (ip link set ... down) has its chunk
dispatched again and the job completes correctly; once the link is back it
rejoins and gets chunks again.

Needs root and iproute2 (network namespaces and veth pairs); elsewhere
every test skips, saying why.

SPDX-License-Identifier: MPL-2.0
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import netns  # noqa: E402
from pipeline import (CLI, Pipeline, assert_marker_pages, check_pdf,  # noqa: E402
                      marker_job)

# A worker not heard from for this long is dropped and its chunks go to
# others: the shortest the ventilator accepts, to keep the test short.
WORKER_EXPIRY_MS = 2000


class WorkerHostsTest(unittest.TestCase):
    def setUp(self):
        try:
            self.net = netns.Network(3)
        except netns.Unavailable as why:
            self.skipTest(str(why))
        # Cleanups run last in, first out: the pipeline (and every process
        # inside the namespaces) is stopped before the namespaces go.
        self.addCleanup(self.net.close)
        self.tmp = tempfile.TemporaryDirectory(prefix="pdfpipe-check-")
        self.addCleanup(self.tmp.cleanup)

    def pipeline(self):
        """A pipeline bound to the hub, no worker yet, the shared worker
        key revoked; stopped at the end of the test, before the
        namespaces are removed."""
        pipe = Pipeline(workers=0, address=self.net.hub, ventilator_args=[
            "--verbose", "--worker-expiry-ms", str(WORKER_EXPIRY_MS)])
        self.addCleanup(pipe.close)
        pipe.keys.revoke("worker")
        return pipe

    def start_host_worker(self, pipe, host, name, allow=True, may_exit=False):
        """Set up the worker host host as docs/operations.md says and start
        its worker; returns (the worker's Popen, its routing id as the
        ventilator's log names it, the host's keys directory)."""
        # The worker host's /etc/pdfpipe/keys.
        keys = os.path.join(pipe.dir, "hosts", host.netns, "keys")
        os.makedirs(keys)
        # 1. On the worker host, make its key pair.
        subprocess.run(host.exec_prefix() + [CLI, "keygen", name, keys],
                       check=True, capture_output=True, timeout=30)
        # 2. Copy its public certificate into the allowed directory (the
        # ventilator and the sink share one here).
        if allow:
            shutil.copy(os.path.join(keys, name + ".cert"),
                        os.path.join(pipe.keys.allowed, name + ".cert"))
        # 3. Copy the ventilator's and the sink's public certificates to it.
        for peer in ("ventilator", "sink"):
            shutil.copy(pipe.keys.public(peer), keys)
        # 4. Start the worker there.
        worker = pipe.add_worker(netns=host.netns, may_exit=may_exit,
                                 key_args=[
                                     "--cert", os.path.join(keys,
                                                            name + ".secret"),
                                     "--ventilator-key",
                                     os.path.join(keys, "ventilator.cert"),
                                     "--sink-key",
                                     os.path.join(keys, "sink.cert")])
        routing_id = re.search(r"worker (\S+) started",
                               pipe.log_of(worker)).group(1)
        return worker, routing_id, keys

    def wait_joined(self, pipe, routing_id, times=1):
        """Until the ventilator has heard from routing_id (its log says
        "joined" each time it counts the worker in) times times."""
        pattern = r"worker=%s joined" % re.escape(routing_id)
        pipe.wait_log(r"(?s)" + r".*".join([pattern] * times),
                      name="ventilator", timeout=30,
                      what="worker %s joining (%d)" % (routing_id, times))

    def assert_done(self, pipe, job_id, pages):
        status = pipe.wait(job_id, timeout=120)
        self.assertEqual(status["state"], "done", pipe.log_tail())
        self.assertEqual(status["pages"], {"done": pages, "total": pages})
        assert_marker_pages(check_pdf(pipe.result(job_id), self.tmp.name),
                            pages)

    def test_jobs_complete_with_workers_only_on_other_hosts(self):
        pipe = self.pipeline()
        started = []
        for k, host in enumerate(self.net.hosts):
            worker, routing_id, _ = self.start_host_worker(
                pipe, host, "worker-host%d" % k)
            started.append((host, worker, routing_id))
        for _, _, routing_id in started:
            self.wait_joined(pipe, routing_id)
        # Each worker holds one chunk at a time: with all three idle and
        # 30 chunks to give, each gets some.
        job_id = pipe.submit(marker_job(600, chunk_pages=20))
        self.assert_done(pipe, job_id, 600)
        dispatch_port = pipe.dispatch.rsplit(":", 1)[1]
        for host, worker, routing_id in started:
            self.assertRegex(pipe.log_of(worker), r"job=%s chunk=\d+ " %
                             job_id, "%s rendered nothing" % routing_id)
            # Its connection runs from the namespace's own address to the
            # hub, over the veth pair.
            self.assertIn(("%s" % host.address, "%s:%s" % (
                self.net.hub, dispatch_port)),
                [(local.rsplit(":", 1)[0], peer)
                 for local, peer in self.net.connections(host)])

    def test_unknown_key_gets_no_chunk_and_revoked_host_no_more(self):
        pipe = self.pipeline()
        good, good_id, _ = self.start_host_worker(
            pipe, self.net.hosts[0], "worker-host0")
        revoked, revoked_id, revoked_keys = self.start_host_worker(
            pipe, self.net.hosts[1], "worker-host1")
        self.wait_joined(pipe, good_id)
        self.wait_joined(pipe, revoked_id)
        # Host 2's certificate is never copied: it is refused at the
        # handshake, says so, and exits.
        unknown, _, _ = self.start_host_worker(
            pipe, self.net.hosts[2], "worker-host2", allow=False,
            may_exit=True)
        self.assertEqual(unknown.wait(timeout=60), 1, pipe.log_of(unknown))
        self.assertIn("refused our key", pipe.log_of(unknown))
        pipe.wait_log(r"refused a connection on dispatch \(tcp://%s:" %
                      re.escape(self.net.hub), name="ventilator",
                      what="the ventilator logging the refusal")
        # With the address it came from: the other host's.
        pipe.wait_log(r"refused a CURVE client from %s with key " %
                      re.escape(self.net.hosts[2].address), name="ventilator",
                      what="the refusal naming the host's address")
        first = pipe.submit(marker_job(200, chunk_pages=10))
        self.assert_done(pipe, first, 200)
        self.assertNotIn("job=", pipe.log_of(unknown))
        self.assertRegex(pipe.log_of(revoked), r"job=%s chunk=" % first)

        # Revoking host 1: its certificate leaves the allowed directory;
        # its open connection is cut off at its next heartbeat.
        os.remove(os.path.join(pipe.keys.allowed, "worker-host1.cert"))
        with open(os.path.join(revoked_keys, "worker-host1.cert")) as f:
            revoked_key = re.search(r'public-key = "([^"]+)"',
                                    f.read()).group(1)
        pipe.wait_log(r"refused (READY|HEARTBEAT) from key=%s" %
                      re.escape(revoked_key), name="ventilator",
                      what="the ventilator refusing the revoked host")
        second = pipe.submit(marker_job(200, chunk_pages=10))
        self.assert_done(pipe, second, 200)
        self.assertNotIn("job=%s" % second, pipe.log_of(revoked))
        self.assertEqual(len(set(re.findall(
            r"job=%s chunk=(\d+) " % second, pipe.log_of(good)))), 20)

    def test_cut_link_chunks_dispatched_again_and_worker_rejoins(self):
        pipe = self.pipeline()
        victim_host = self.net.hosts[2]
        victim, victim_id, _ = self.start_host_worker(
            pipe, victim_host, "worker-host2")
        self.wait_joined(pipe, victim_id)
        # The victim alone starts a job too large to finish before the
        # cut; cut while it works, it holds a chunk no one else has.
        # Chunks long enough (heavy pages: hundreds of ms each) that, right
        # after one is rendered, the victim is in the middle of the next.
        heavy = [{"type": "text", "text": "Line %d for {{customer.name}}" % n,
                  "x": 50, "y": 700 - 14 * n, "font": "Helvetica",
                  "size": 9} for n in range(40)]
        job_id = pipe.submit(marker_job(4000, chunk_pages=400,
                                        extra_elements=heavy))
        pipe.wait_log(r"job=%s chunk=\d+ " % job_id, proc=victim,
                      what="the victim rendering a chunk")
        self.net.cut(victim_host)
        status = pipe.status(job_id)
        self.assertLess(status["chunks"]["done"], status["chunks"]["total"],
                        "the job ended before the cut: make it larger")
        # Workers on the two other hosts finish the job, with the chunk
        # the victim held once the ventilator has found it silent.
        for k in (0, 1):
            self.start_host_worker(pipe, self.net.hosts[k],
                                   "worker-host%d" % k)
        self.assert_done(pipe, job_id, 4000)
        # Found silent, or unreachable first when a CHUNK to it failed.
        held = pipe.wait_log(
            r"worker=%s (?:went silent \(no message for \d+ ms\)|is "
            r"unreachable); (\d+) chunks it held dispatched again"
            % re.escape(victim_id),
            name="ventilator", timeout=5,
            what="the victim's chunks being dispatched again")
        self.assertGreaterEqual(int(held.group(1)), 1)
        self.assertIsNone(victim.poll(), "the victim exited while cut off")

        # The link back: the worker reconnects by itself, is counted in
        # again, and gets chunks of the next job. Large enough that the
        # victim, which first finishes the chunk it held and the next it
        # had taken (worker/slot), is free again before the others end it.
        self.net.restore(victim_host)
        self.wait_joined(pipe, victim_id, times=2)
        after = pipe.submit(marker_job(3000, chunk_pages=10))
        self.assert_done(pipe, after, 3000)
        self.assertRegex(pipe.log_of(victim), r"job=%s chunk=\d+ " % after)


if __name__ == "__main__":
    unittest.main(verbosity=2)
