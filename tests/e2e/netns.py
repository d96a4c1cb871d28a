"""netns - other "hosts" for end-to-end tests: network namespaces joined to
this one by veth pairs.

A Network makes a few namespaces, each joined to the host by a veth pair in
a /30 of its own inside 10.213.X.0/24 (X chosen free on this machine): the
host side of pair k is 10.213.X.(4k+1), the namespace side 10.213.X.(4k+2).
Each namespace routes the whole /24 to its host side, so a process inside
reaches any host-side address (the hub, that of pair 0, where the tests
bind the ventilator and the sink), and nothing else: no forwarding, no
default route, no other address is touched. Cutting a namespace's link
(cut) takes its side of the veth down, as a pulled cable would; restore
puts it back with its route.

Names carry the test's pid and a counter (namespaces pdfpipe-<pid>-<n>-<k>,
host interfaces pp<pid>x<n>h<k>), so parallel runs do not collide; the
namespace side of each pair is created inside its namespace, where its
name ("uplink") cannot clash. close() removes everything, and is called
at exit for a network a test did not close; names left by a run that was
killed (its pid gone) are removed when the next Network is made.

Creating namespaces needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and
iproute2's ip; where either is missing, Network() raises Unavailable with
the reason, which the tests give to skipTest.

SPDX-License-Identifier: MPL-2.0
"""
import atexit
import itertools
import os
import re
import shutil
import subprocess

PREFIX = "10.213"
NETNS_PREFIX = "pdfpipe-"
LINK_PREFIX = "pp"
NS_LINK = "uplink"
IP_TIMEOUT_S = 10

_counter = itertools.count()
_open = []


class Unavailable(Exception):
    """Network namespaces cannot be made here; str() is the reason."""


def _ip(*args, check=True):
    """Run ip with args; returns the CompletedProcess (stdout, stderr as
    text). With check, a failure is a RuntimeError naming the command."""
    run = subprocess.run(["ip"] + list(args), capture_output=True, text=True,
                         timeout=IP_TIMEOUT_S)
    if check and run.returncode != 0:
        raise RuntimeError("ip %s failed (status %d): %s" % (
            " ".join(args), run.returncode, run.stderr.strip()))
    return run


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale():
    """Remove the namespaces and host interfaces of runs whose process is
    gone (a run killed before it could clean up)."""
    listing = _ip("netns", "list", check=False).stdout
    for line in listing.splitlines():
        match = re.match(r"(%s(\d+)-\d+-\d+)\b" % re.escape(NETNS_PREFIX),
                         line)
        if match and not _pid_alive(int(match.group(2))):
            _ip("netns", "delete", match.group(1), check=False)
    links = _ip("-o", "link", "show", check=False).stdout
    for match in re.finditer(r"^\d+: (%s(\d+)x\d+h\d+)@" % LINK_PREFIX, links,
                             flags=re.M):
        if not _pid_alive(int(match.group(2))):
            _ip("link", "delete", match.group(1), check=False)


def _free_subnet():
    """An X such that no address of this machine is in 10.213.X.0/24,
    starting from one derived from the pid."""
    used = set(int(x) for x in re.findall(
        r"\binet %s\.(\d+)\." % re.escape(PREFIX),
        _ip("-4", "-o", "addr", "show", check=False).stdout))
    start = os.getpid() % 256
    for step in range(256):
        candidate = (start + step) % 256
        if candidate not in used:
            return candidate
    raise RuntimeError("every 10.213.X.0/24 is in use on this machine")


def check_available():
    """Raise Unavailable with the reason when namespaces cannot be made."""
    if os.geteuid() != 0:
        raise Unavailable("network namespaces need root (CAP_SYS_ADMIN, "
                          "CAP_NET_ADMIN); this test runs as uid %d"
                          % os.geteuid())
    if not shutil.which("ip"):
        raise Unavailable("no ip command (iproute2) to create network "
                          "namespaces")


class Host:
    """One namespace and its link: netns (the name for ip netns exec),
    host_link (the host side's interface), address (the namespace side's)
    and host_address (the host side's, its gateway)."""

    def __init__(self, netns, host_link, address, host_address):
        self.netns = netns
        self.host_link = host_link
        self.link = NS_LINK
        self.address = address
        self.host_address = host_address

    def exec_prefix(self):
        """The command prefix that runs a program inside the namespace."""
        return ["ip", "netns", "exec", self.netns]

    def __repr__(self):
        return "<Host %s %s>" % (self.netns, self.address)


class Network:
    """count namespaces joined to the host; hosts[k] is the k-th, hub the
    address the others reach the host at (host side of pair 0)."""

    def __init__(self, count=3):
        check_available()
        _remove_stale()
        number = next(_counter)
        self.subnet = _free_subnet()
        self.hosts = []
        self.closed = False
        _open.append(self)
        try:
            for k in range(count):
                self._add(number, k)
        except BaseException:
            self.close()
            raise
        self.hub = self.hosts[0].host_address

    def _address(self, k, last):
        return "%s.%d.%d" % (PREFIX, self.subnet, 4 * k + last)

    def _add(self, number, k):
        netns = "%s%d-%d-%d" % (NETNS_PREFIX, os.getpid(), number, k)
        host_link = "%s%dx%dh%d" % (LINK_PREFIX, os.getpid(), number, k)
        made = _ip("netns", "add", netns, check=False)
        if made.returncode != 0:
            if not self.hosts:
                raise Unavailable("cannot create a network namespace (ip "
                                  "netns add: %s)" % made.stderr.strip())
            raise RuntimeError("ip netns add %s: %s" % (
                netns, made.stderr.strip()))
        host = Host(netns, None, self._address(k, 2), self._address(k, 1))
        self.hosts.append(host)
        made = _ip("link", "add", host_link, "type", "veth", "peer", "name",
                   NS_LINK, "netns", netns, check=False)
        if made.returncode != 0:
            if k == 0:
                raise Unavailable("cannot create a veth pair (ip link add "
                                  "type veth: %s)" % made.stderr.strip())
            raise RuntimeError("ip link add %s: %s" % (
                host_link, made.stderr.strip()))
        host.host_link = host_link
        _ip("addr", "add", host.host_address + "/30", "dev", host_link)
        _ip("link", "set", host_link, "up")
        _ip("-n", netns, "link", "set", "lo", "up")
        _ip("-n", netns, "addr", "add", host.address + "/30", "dev", NS_LINK)
        self.restore(host)

    def cut(self, host):
        """Take the namespace's side of its link down: it reaches nothing,
        and nothing reaches it, until restore."""
        _ip("-n", host.netns, "link", "set", host.link, "down")

    def restore(self, host):
        """Bring the link up and route the /24 through the host side again
        (taking a link down removes the routes through it)."""
        _ip("-n", host.netns, "link", "set", host.link, "up")
        _ip("-n", host.netns, "route", "replace",
            "%s.%d.0/24" % (PREFIX, self.subnet), "via", host.host_address,
            "dev", host.link)

    def connections(self, host):
        """The established TCP connections inside the namespace, as
        (local address:port, peer address:port) pairs."""
        run = subprocess.run(host.exec_prefix() + [
            "ss", "-Htn", "state", "established"], capture_output=True,
            text=True, timeout=IP_TIMEOUT_S, check=True)
        pairs = []
        for line in run.stdout.splitlines():
            fields = line.split()
            if len(fields) >= 4:
                pairs.append((fields[-2], fields[-1]))
        return pairs

    def close(self):
        """Remove every interface and namespace made; safe to call twice,
        and after a failure half-way. The processes started inside must
        have been stopped first (deleting a namespace's name does not end
        them)."""
        if self.closed:
            return
        self.closed = True
        errors = []
        for host in self.hosts:
            if host.host_link:
                # Deleting one end of a veth pair deletes both.
                run = _ip("link", "delete", host.host_link, check=False)
                if run.returncode != 0:
                    errors.append(run.stderr.strip())
            run = _ip("netns", "delete", host.netns, check=False)
            if run.returncode != 0:
                errors.append(run.stderr.strip())
        if self in _open:
            _open.remove(self)
        if errors:
            raise RuntimeError("cleaning up the namespaces: " +
                               "; ".join(errors))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@atexit.register
def _close_all():
    for network in list(_open):
        try:
            network.close()
        except (RuntimeError, OSError, subprocess.SubprocessError):
            pass
