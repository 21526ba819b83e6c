# SPDX-License-Identifier: MIT
"""virtio-net on user networking (libslirp), and on TAP when the test runs as
root with /dev/net/tun. One VM per module: the root disk is a copy of
guest/out/rootfs.ext4 (its init runs udhcpc on eth0), 256 MiB, with

  --net user,hostfwd=tcp::PORT-:8080,mac=52:54:00:12:34:56   (eth0)
  --net tap,ifname=rvtNNNN                                    (eth1, if possible)

Checked: eth0 got 10.0.2.15, the default route and DNS server by DHCP and
has the MAC from the spec; the guest fetches a page and a 4 MiB file from an
HTTP server on the host's 127.0.0.1 through 10.0.2.2 (content and sha256
match); a host client reaches a server in the guest through hostfwd, with
data both ways checked by sha256; DNS through 10.0.2.3 when the host itself
can resolve names (CI has no internet: skipped); over TAP, the guest
configured statically reaches an HTTP server on the host side's address and
a host client reaches the guest. Bad --net specs, and a hostfwd port already
in use, end rvisor with one line on stderr and status 2.

The guest's busybox tools are used without their progress meters (wget -q),
so that only udhcpc and nslookup read the clock; where the guest cannot
(U-mode reads of `time` trap), those two tests are expected failures with
that reason, and eth0 is configured by hand so the data paths still run.
"""
import functools
import hashlib
import http.server
import os
import re
import shutil
import socket
import subprocess
import threading
import time

import pexpect
import pytest

from conftest import PROMPT, RVISOR, Guest, guest_file, spawn_rvisor

GUEST_PORT = 8080
MAC = "52:54:00:12:34:56"
TAP_NET = "192.168.231"  # host side .1, guest .2
SMALL = b"hello from the host, over slirp\n"
BIG_SIZE = 4 << 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tap_unavailable():
    """Why a TAP test cannot run here, or None."""
    if os.geteuid() != 0:
        return "not root (creating a tap device needs CAP_NET_ADMIN)"
    if not os.path.exists("/dev/net/tun"):
        return "/dev/net/tun is missing"
    if not shutil.which("ip"):
        return "no `ip` command (iproute2)"
    return None


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory, addr):
    handler = functools.partial(Quiet, directory=directory)
    srv = http.server.ThreadingHTTPServer((addr, 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class NetVM:
    def __init__(self, tmp):
        self.tmp = tmp
        self.dhcp_problem = None
        www = tmp / "www"
        www.mkdir()
        (www / "hello.txt").write_bytes(SMALL)
        big = os.urandom(BIG_SIZE)
        (www / "big.bin").write_bytes(big)
        self.big_sha = hashlib.sha256(big).hexdigest()
        self.http = serve(str(www), "127.0.0.1")
        self.http_port = self.http.server_address[1]
        self.host_port = free_port()
        self.tap = None
        self.tap_http = None
        self.tap_reason = tap_unavailable()
        if self.tap_reason is None:
            self.make_tap(str(www))
        root = str(tmp / "root.ext4")
        shutil.copyfile(guest_file("rootfs.ext4"), root)
        args = ["run", "--kernel", guest_file("Image"), "--initrd", guest_file("initrd.cpio.gz"),
                "--mem", "256M", "--disk", root,
                "--net", f"user,hostfwd=tcp::{self.host_port}-:{GUEST_PORT},mac={MAC}",
                "--append", "console=ttyS0 root=/dev/vda rw quiet"]
        if self.tap:
            args[-2:-2] = ["--net", f"tap,ifname={self.tap}"]
        self.child = spawn_rvisor(args)
        self.child.expect("rvisor-guest: init done")
        self.child.expect(PROMPT)
        self.guest = Guest(self.child)
        # udhcpc and nslookup read the clock through the vDSO, which needs
        # U-mode access to the `time` CSR: say so if the guest lacks it.
        st, _ = self.guest.run("busybox time true 2>/dev/null")
        self.clock_problem = None if st == 0 else (
            f"guest programs that read the clock die (`busybox time true` exit {st}): U-mode "
            "cannot read the `time` CSR (scounteren), a CPU/firmware matter")
        self.wait_for_lease()

    def make_tap(self, www):
        name = f"rvt{os.getpid() % 100000}"
        cmds = [["ip", "tuntap", "add", "dev", name, "mode", "tap"],
                ["ip", "addr", "add", f"{TAP_NET}.1/24", "dev", name],
                ["ip", "link", "set", name, "up"]]
        for i, c in enumerate(cmds):
            r = subprocess.run(c, capture_output=True, text=True)
            if r.returncode:
                self.tap_reason = f"`{' '.join(c)}` failed: {r.stderr.strip()}"
                if i:
                    subprocess.run(["ip", "link", "del", name], capture_output=True)
                return
        self.tap = name
        self.tap_http = serve(www, f"{TAP_NET}.1")

    def wait_for_lease(self):
        # udhcpc asks once a second; with a clock that kills it, do not wait long
        deadline = time.monotonic() + (15 if self.clock_problem else 90)
        while time.monotonic() < deadline:
            _, out = self.guest.run("ip -4 addr show eth0")
            if "inet " in out:
                return
            time.sleep(2)
        # Say why, when the reason is visible in the guest: udhcpc reads the
        # clock through the vDSO, which needs U-mode access to `time`.
        _, log = self.guest.run("dmesg | grep -i 'unhandled signal' | tail -3")
        self.dhcp_problem = ("no DHCP lease on eth0"
                             + (f"; udhcpc crashed: {log}" if "udhcpc" in log else ""))
        # Go on with the address DHCP should have given, so the data paths
        # are still tested.
        self.guest.run("ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; "
                       "ip route add default via 10.0.2.2")

    def close(self):
        try:
            if self.child.isalive():
                self.child.sendline("poweroff")
                self.child.expect(pexpect.EOF, timeout=120)
        finally:
            if self.child.isalive():
                self.child.terminate(force=True)
            self.http.shutdown()
            if self.tap_http:
                self.tap_http.shutdown()
            if self.tap:
                subprocess.run(["ip", "link", "del", self.tap], capture_output=True)


@pytest.fixture(scope="module")
def vm(tmp_path_factory):
    v = NetVM(tmp_path_factory.mktemp("net"))
    yield v
    v.close()


def test_clock_in_userspace(vm):
    """udhcpc and nslookup read the clock through the vDSO."""
    assert vm.clock_problem is None, vm.clock_problem


def test_dhcp(vm):
    if vm.dhcp_problem:
        pytest.fail("; ".join(p for p in (vm.dhcp_problem, vm.clock_problem) if p))
    _, addr = vm.guest.run("ip -4 addr show eth0")
    assert "inet 10.0.2.15/24" in addr
    _, route = vm.guest.run("ip route")
    assert "default via 10.0.2.2 dev eth0" in route
    _, resolv = vm.guest.run("cat /etc/resolv.conf")
    assert "nameserver 10.0.2.3" in resolv


def test_mac_from_spec(vm):
    _, mac = vm.guest.run("cat /sys/class/net/eth0/address")
    assert mac.strip() == MAC


def test_wget_page_from_host_loopback(vm):
    st, out = vm.guest.run(f"wget -q -O - http://10.0.2.2:{vm.http_port}/hello.txt")
    assert st == 0, out
    assert out.strip() == SMALL.decode().strip()


def test_wget_big_file(vm):
    st, out = vm.guest.run(f"wget -q -O /tmp/big.bin http://10.0.2.2:{vm.http_port}/big.bin "
                           "&& sha256sum /tmp/big.bin && rm /tmp/big.bin", timeout=600)
    assert st == 0, out
    assert sha_in(out) == vm.big_sha


def sha_in(out):
    """The sha256 a guest command printed (the console may wrap the echo)."""
    m = re.search(r"\b[0-9a-f]{64}\b", out)
    assert m, out
    return m.group(0)


def connect_retry(addr, port, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection((addr, port), timeout=120)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def recv_all(s):
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


SERVER = """cat > /tmp/srv.sh <<'EOF'
#!/bin/sh
read cmd
case "$cmd" in
hash) sha256sum | cut -d' ' -f1 ;;
send) cat /tmp/payload ;;
*) echo "got:$cmd" ;;
esac
EOF
chmod +x /tmp/srv.sh"""


def exchange(addr, port, first_line, payload=b""):
    with connect_retry(addr, port) as s:
        s.sendall(first_line + b"\n" + payload)
        s.shutdown(socket.SHUT_WR)
        return recv_all(s)


def start_guest_server(vm, addr, port):
    """Start the guest's server on GUEST_PORT; wait until (addr, port) reaches it."""
    st, out = vm.guest.run(SERVER)
    assert st == 0, out
    st, out = vm.guest.run(f"(nc -ll -p {GUEST_PORT} -e /tmp/srv.sh >/dev/null 2>&1 &)")
    assert st == 0, out
    # Through hostfwd the host's connect succeeds at once (slirp accepts,
    # then connects to the guest): until nc listens, the host sees a reset.
    deadline = time.monotonic() + 60
    while True:
        try:
            if exchange(addr, port, b"ping") == b"got:ping\n":
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "the guest's server never answered"
        time.sleep(1)


def test_hostfwd_both_ways(vm):
    start_guest_server(vm, "127.0.0.1", vm.host_port)
    # host -> guest: 1 MiB, hashed in the guest
    data = os.urandom(1 << 20)
    got = exchange("127.0.0.1", vm.host_port, b"hash", data)
    assert got.decode().strip() == hashlib.sha256(data).hexdigest()
    # guest -> host: 2 MB generated in the guest
    st, out = vm.guest.run("head -c 2000000 /dev/urandom >/tmp/payload; sha256sum /tmp/payload")
    assert st == 0, out
    got = exchange("127.0.0.1", vm.host_port, b"send")
    assert len(got) == 2000000
    assert hashlib.sha256(got).hexdigest() == sha_in(out)


def host_resolves():
    try:
        socket.getaddrinfo("deb.debian.org", 80)
        return True
    except OSError:
        return False


def test_dns(vm):
    if not host_resolves():
        pytest.skip("the host cannot resolve deb.debian.org (no resolver or no internet)")
    st, out = vm.guest.run("nslookup deb.debian.org 10.0.2.3", timeout=120)
    assert st == 0, out
    assert re.search(r"Address:?\s+\d+\.\d+\.\d+\.\d+", out.split("deb.debian.org", 1)[-1]), out


def test_tap(vm):
    if not vm.tap:
        pytest.skip(f"no TAP test: {vm.tap_reason}")
    st, out = vm.guest.run(f"ip addr add {TAP_NET}.2/24 dev eth1 && ip link set eth1 up")
    assert st == 0, out
    _, mac = vm.guest.run("cat /sys/class/net/eth1/address")
    assert mac.strip().startswith("52:54:00:") and mac.strip() != MAC
    port = vm.tap_http.server_address[1]
    deadline = time.monotonic() + 30
    while True:
        st, out = vm.guest.run(f"wget -q -O - http://{TAP_NET}.1:{port}/hello.txt")
        if st == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert st == 0, out
    assert out.strip() == SMALL.decode().strip()
    # the server may already run (test_hostfwd_both_ways): a second nc -ll
    # cannot bind, the first answers
    start_guest_server(vm, f"{TAP_NET}.2", GUEST_PORT)
    assert exchange(f"{TAP_NET}.2", GUEST_PORT, b"over-tap") == b"got:over-tap\n"


def rvisor_fails(*net):
    args = [RVISOR, "run", "--kernel", guest_file("Image"), "--mem", "64M"]
    for n in net:
        args += ["--net", n]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return r.returncode, r.stderr


@pytest.mark.parametrize("spec,what", [
    ("bogus", "unknown back end 'bogus'"),
    ("user,hostfwd=tcp::99999-:22", "bad host address or port"),
    ("user,mac=01:02:03:04:05:06", "not a unicast address"),
    ("user,colour=blue", "unknown option 'colour'"),
    ("tap", "tap needs ifname=NAME"),
])
def test_bad_spec(spec, what):
    status, err = rvisor_fails(spec)
    assert status == 2
    lines = err.strip().split("\n")
    assert len(lines) == 1, err
    assert f"--net {spec}: " in lines[0] and what in lines[0], err


def test_hostfwd_port_in_use():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        spec = f"user,hostfwd=tcp:127.0.0.1:{port}-:22"
        status, err = rvisor_fails(spec)
    assert status == 2
    assert len(err.strip().split("\n")) == 1, err
    assert spec in err and str(port) in err and "in use" in err, err
