# SPDX-License-Identifier: MIT
"""rvisord and rvctl end to end, with real VMs booted from guest/out.

One rvisord serves the whole module (a temporary state directory). The
tests run in file order and share the VMs, so that three guests boot once:
a template is made from the default guest (kernel, initramfs, root disk),
three linked clones start together, a command runs in each through its
console, each sees only its own disk, rvisord is stopped and started again
while they run (they keep running and are re-attached), one is killed and
restarted by its restart policy, the others stop gracefully through the
power button, and the event log tells the story. Bad input to the API and
to the CLI is checked first, without VMs.

Binaries: RVISOR (conftest), RVISORD and RVCTL (default: next to RVISOR).
No wall-clock thresholds: timeouts only bound how long a broken run hangs.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pexpect
import pytest

import rvapi
from conftest import BOOT_TIMEOUT, PROMPT, RVISOR, guest_file

BIN_DIR = os.path.dirname(RVISOR)
RVISORD = os.environ.get("RVISORD", os.path.join(BIN_DIR, "rvisord"))
RVCTL = os.environ.get("RVCTL", os.path.join(BIN_DIR, "rvctl"))
CLONES = ["c1", "c2", "c3"]
MEM = "160M"


class Daemon:
    """An rvisord process on a temporary state directory."""

    def __init__(self):
        # short paths: unix socket names are limited to 108 bytes
        self.dir = tempfile.mkdtemp(prefix="rvd-", dir="/tmp")
        self.state = os.path.join(self.dir, "state")
        self.sock = os.path.join(self.dir, "rvisord.sock")
        self.proc = None
        self.env = dict(os.environ, RVISOR_SOCKET=self.sock)

    def start(self):
        log = open(os.path.join(self.dir, "rvisord.log"), "a")
        self.proc = subprocess.Popen(
            [RVISORD, "--state-dir", self.state, "--socket", self.sock, "--rvisor", RVISOR,
             "--stop-timeout", "300", "--log", "info"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.api("GET", "/version")
                return
            except OSError:
                assert self.proc.poll() is None, "rvisord exited: " + self.log()
                time.sleep(0.05)
        raise AssertionError("rvisord did not come up: " + self.log())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=60) == 0, self.log()

    def log(self):
        with open(os.path.join(self.dir, "rvisord.log"), errors="replace") as f:
            return f.read()[-3000:]

    def api(self, method, path, body=None, raw=None):
        """One HTTP request on the unix socket; returns (status, headers, parsed body)."""
        return rvapi.request(self.sock, method, path, body, raw)

    def rvctl(self, *args, check=True, timeout=900):
        r = subprocess.run([RVCTL] + list(args), capture_output=True, text=True,
                           timeout=timeout, env=self.env, stdin=subprocess.DEVNULL)
        if check:
            assert r.returncode == 0, f"rvctl {' '.join(args)}: {r.stderr}"
        return r

    def info(self, name):
        status, _, j = self.api("GET", f"/vms/{name}")
        assert status == 200, j
        return j

    def events(self, vm=None):
        path = "/events?limit=4096" + (f"&vm={vm}" if vm else "")
        return self.api("GET", path)[2]["events"]

    def wait_event(self, vm, etype, after_seq=0, timeout=BOOT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ev in self.events(vm):
                if ev["type"] == etype and ev["seq"] > after_seq:
                    return ev
            time.sleep(0.5)
        raise AssertionError(f"no {etype} event for {vm}: {self.events(vm)}")


@pytest.fixture(scope="module")
def daemon():
    d = Daemon()
    d.start()
    yield d
    # leave nothing running, whatever failed
    for vm in CLONES + ["solo", "auto"]:
        st, _, j = d.api("GET", f"/vms/{vm}")
        if st == 200 and j.get("pid"):
            d.api("POST", f"/vms/{vm}/stop", {"force": True})
    d.stop()
    shutil.rmtree(d.dir, ignore_errors=True)


def process_gone(pid):
    """True if `pid` has ended (a zombie its parent has not reaped counts)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def one_line(text):
    lines = [l for l in text.splitlines() if l.strip()]
    assert len(lines) == 1, text
    return lines[0]


def curl(d, *args):
    r = subprocess.run(["curl", "-sS", "--unix-socket", d.sock, *args], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


# ---- bad input, no VMs ------------------------------------------------------

def test_socket_is_owner_only(daemon):
    assert (os.stat(daemon.sock).st_mode & 0o777) == 0o600
    assert (os.stat(daemon.state).st_mode & 0o777) == 0o700


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_works(daemon):
    assert json.loads(curl(daemon, "http://rvisord/vms")) == {"vms": []}
    out = curl(daemon, "-X", "POST", "http://x/vms", "-d", '{"name": 5}', "-w", "%{http_code}")
    assert out.endswith("400")


def test_api_bad_input(daemon):
    kernel = guest_file("Image")
    cases = [
        (b'{"name": "x", "kernel": ', 400, None, "malformed JSON"),
        (b'[]', 400, None, "expected a JSON object"),
        (json.dumps({"name": "x", "kernel": kernel, "colour": 1}).encode(), 400, "colour",
         "unknown field"),
        (json.dumps({"name": "x", "kernel": kernel, "vcpus": "2"}).encode(), 400, "vcpus",
         "expected an integer"),
        (json.dumps({"name": "x", "kernel": kernel, "memory_mib": 1}).encode(), 400,
         "memory_mib", "outside"),
        (json.dumps({"name": "x", "kernel": "/no/such/Image"}).encode(), 400, "kernel",
         "No such file"),
        (json.dumps({"name": "x", "kernel": kernel, "disks": [{"path": "/no/disk"}]}).encode(),
         400, "disks[0].path", "No such file"),
        (json.dumps({"name": "x y", "kernel": kernel}).encode(), 400, "name", "not a valid name"),
        (json.dumps({"name": "x", "kernel": "relative/Image"}).encode(), 400, "kernel",
         "absolute path"),
        (json.dumps({"name": "x", "kernel": kernel, "restart": "maybe"}).encode(), 400,
         "restart", "on-failure"),
    ]
    for raw, status, field, msg in cases:
        st, _, j = daemon.api("POST", "/vms", raw=raw)
        assert st == status, (raw, j)
        assert msg in j["error"]["message"], (raw, j)
        assert j["error"]["status"] == status
        if field:
            assert j["error"]["field"] == field, (raw, j)
    # nothing half-made was left
    assert daemon.api("GET", "/vms")[2] == {"vms": []}
    assert not [f for f in os.listdir(os.path.join(daemon.state, "vms")) if f != "."]

    good = {"name": "solo", "kernel": kernel, "initrd": guest_file("initrd.cpio.gz"),
            "memory_mib": 128}
    assert daemon.api("POST", "/vms", good)[0] == 201
    st, _, j = daemon.api("POST", "/vms", good)
    assert st == 409 and "already exists" in j["error"]["message"]
    assert daemon.api("GET", "/vms/nope")[0] == 404
    assert daemon.api("POST", "/vms/nope/start")[0] == 404
    st, headers, _ = daemon.api("PUT", "/vms/solo")
    assert st == 405 and headers["allow"] == "GET, DELETE"
    assert daemon.api("POST", "/vms/solo/stop")[0] == 409          # not running
    assert daemon.api("POST", "/vms/solo/stop", {"force": 1})[0] == 400
    assert daemon.api("GET", "/events?since=-1")[0] == 400
    assert daemon.api("GET", "/no/such/endpoint")[0] == 404
    # a broken request gets a 400 from the HTTP layer, and the daemon lives on
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(daemon.sock)
    s.sendall(b"GARBAGE\r\nHost x\r\n\r\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 400 ")
    s.close()
    assert daemon.api("DELETE", "/vms/solo")[0] == 200
    assert daemon.api("DELETE", "/vms/solo")[0] == 404


def test_cli_bad_input(daemon):
    commands = ["list", "info", "define", "create", "undefine", "start", "stop", "reboot",
                "pause", "resume", "console", "clone", "template", "where", "top", "events"]
    for cmd in commands:
        r = daemon.rvctl(cmd, "--help")
        assert r.stdout.startswith("usage: rvctl"), cmd
    r = daemon.rvctl("--help")
    for cmd in commands:
        assert f"  {cmd} " in r.stdout
    bad = [
        (["frobnicate"], 2, "unknown command"),
        (["list", "--bogus"], 2, "unknown or incomplete option"),
        (["info"], 2, "missing VM name"),
        (["info", "ghost"], 1, 'no VM named "ghost"'),
        (["start", "ghost"], 1, 'no VM named "ghost"'),
        (["define", "x", "--kernel", "/no/such/Image"], 1, "kernel: /no/such/Image"),
        (["define", "x", "--kernel", guest_file("Image"), "--mem", "lots"], 2, "--mem"),
        (["define", "x", "--kernel", guest_file("Image"), "--cpus", "99"], 1, "vcpus"),
        (["define", "x", "--kernel", guest_file("Image"), "--disk", "/x,format=vmdk"], 2,
         "format=vmdk"),
        (["define", "x", "--kernel", guest_file("Image"), "--restart", "sometimes"], 1,
         "restart"),
        (["stop", "ghost", "--timeout", "0"], 2, "--timeout"),
        (["clone", "nobase", "x"], 1, 'no template named "nobase"'),
        (["clone", "only-one-arg"], 2, "expected TEMPLATE and NAME"),
        (["template", "explode"], 2, "unknown subcommand"),
        (["events", "--since", "soon"], 2, "--since"),
        (["top", "-n", "0"], 2, "-n"),
        (["console", "ghost"], 1, 'no VM named "ghost"'),
    ]
    for args, status, msg in bad:
        r = daemon.rvctl(*args, check=False)
        assert r.returncode == status, (args, r.stderr)
        assert msg in one_line(r.stderr), (args, r.stderr)
    r = subprocess.run([RVCTL, "--socket", "/nonexistent/rvisord.sock", "list"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "cannot reach rvisord" in one_line(r.stderr)
    # a definition file with a typo is refused whole
    bad_def = os.path.join(daemon.dir, "bad.json")
    with open(bad_def, "w") as f:
        json.dump({"name": "typo", "kernel": guest_file("Image"), "memroy_mib": 64}, f)
    r = daemon.rvctl("define", "--file", bad_def, check=False)
    assert r.returncode == 1 and "memroy_mib: unknown field" in one_line(r.stderr)
    assert daemon.api("GET", "/vms/typo")[0] == 404


# ---- templates, clones, real VMs -------------------------------------------

def test_template_and_clones(daemon):
    args = ["template", "create", "base", "--kernel", guest_file("Image"),
            "--initrd", guest_file("initrd.cpio.gz"), "--mem", MEM,
            # the root disk's init takes a DHCP lease on eth0: clones get networking
            "--cmdline", "console=ttyS0 root=/dev/vda",
            "--disk", guest_file("rootfs.ext4") + ",format=raw",
            "--nic", "user,mac=52:54:00:00:00:99"]
    r = daemon.rvctl(*args)
    assert "created (1 disk, 1 NIC)" in r.stdout, r.stdout
    tmpl = daemon.api("GET", "/templates/base")[2]
    for disk in tmpl["disks"]:
        assert disk["path"].startswith(daemon.state)      # copied in, read-only
        assert (os.stat(disk["path"]).st_mode & 0o222) == 0
    for name in CLONES:
        extra = ["--restart", "on-failure"] if name == "c3" else []
        r = daemon.rvctl("clone", "base", name, *extra)
        assert f"{name}: cloned from base" in r.stdout
    for name in CLONES:
        d = daemon.info(name)["definition"]
        assert d["template"] == "base"
        for disk in d["disks"]:
            assert disk["format"] == "qcow2"
            with open(disk["path"], "rb") as f:
                assert f.read(4) == b"QFI\xfb"
            # a linked clone: a small overlay, not a copy of the base
            assert os.path.getsize(disk["path"]) < 4 << 20
    r = daemon.rvctl("template", "rm", "base", check=False)
    assert r.returncode == 1 and "in use by 3 clones" in one_line(r.stderr)
    r = daemon.rvctl("clone", "base", "c1", check=False)
    assert r.returncode == 1 and "already exists" in one_line(r.stderr)
    listing = daemon.rvctl("template", "list").stdout
    assert re.search(r"base\s+1\s+160 MiB\s+\d\s+\d\s+3", listing), listing


def test_start_together(daemon):
    # two starts of the same VM at once: exactly one wins
    results = {}

    def start(key, name):
        results[key] = daemon.rvctl("start", name, check=False)

    threads = [threading.Thread(target=start, args=(k, n))
               for k, n in [("a", "c1"), ("b", "c1"), ("c", "c2"), ("d", "c3")]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c1 = [results["a"], results["b"]]
    assert sorted(r.returncode for r in c1) == [0, 1], [r.stderr for r in c1]
    loser = [r for r in c1 if r.returncode][0]
    assert re.search(r"in progress|already running", one_line(loser.stderr)), loser.stderr
    assert results["c"].returncode == 0 and results["d"].returncode == 0
    pids = set()
    for name in CLONES:
        info = daemon.info(name)
        assert info["state"] == "running"
        pids.add(info["pid"])
        os.kill(info["pid"], 0)
    assert len(pids) == 3
    listing = daemon.rvctl("list").stdout
    for name in CLONES:
        assert re.search(rf"^{name}\s+running\s", listing, re.M), listing


def wait_booted(daemon, name):
    log = daemon.info(name)["console_log"]
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        with open(log, errors="replace") as f:
            if "rvisor-guest: init done" in f.read():
                return
        assert daemon.info(name)["state"] == "running", daemon.info(name)
        time.sleep(1)
    raise AssertionError(f"{name} did not boot")


class Console:
    """`rvctl console NAME` under pexpect."""

    def __init__(self, daemon, name):
        self.child = pexpect.spawn(RVCTL, ["console", name], env=daemon.env, encoding="utf-8",
                                   codec_errors="replace", timeout=BOOT_TIMEOUT)
        self.child.expect("Connected to the console of " + name)
        self.child.send("\r")
        self.child.expect(PROMPT)

    def run(self, cmd):
        marker = "__RV_DONE__"
        self.child.send(f"{cmd}; echo {marker}$?\r")
        self.child.expect(re.escape(marker) + r"(\d+)")
        out = self.child.before
        status = int(self.child.match.group(1))
        self.child.expect(PROMPT)
        lines = out.replace("\r", "").split("\n")
        return status, "\n".join(lines[1:]).strip()

    def detach(self):
        self.child.send("\x1d")
        self.child.expect("detached")
        self.child.expect(pexpect.EOF)


def test_command_in_each_console(daemon):
    for name in CLONES:
        wait_booted(daemon, name)
    for name in CLONES:
        con = Console(daemon, name)
        status, out = con.run(f"echo hello-from-{name}-$((6*7))")
        assert status == 0 and f"hello-from-{name}-42" in out
        con.detach()
        with open(daemon.info(name)["console_log"], errors="replace") as f:
            assert f"hello-from-{name}-42" in f.read()    # kept in the console log


def test_watchers_are_read_only(daemon):
    con = Console(daemon, "c1")
    watch = pexpect.spawn(RVCTL, ["console", "c1", "--watch"], env=daemon.env,
                          encoding="utf-8", timeout=300)
    watch.expect("read-only")
    watch.send("echo typed-by-watcher\r")        # discarded
    status, out = con.run("echo from-owner")
    assert status == 0 and "from-owner" in out
    watch.expect("from-owner")
    assert "typed-by-watcher" not in watch.before
    watch.send("\x1d")
    watch.expect(pexpect.EOF)
    con.detach()


def test_disks_are_independent(daemon):
    for name in CLONES:
        con = Console(daemon, name)
        status, out = con.run("grep ' / ' /proc/mounts")
        assert status == 0 and out.startswith("/dev/vda / ext4 rw"), out
        status, _ = con.run(f"echo {name} > /root/only-{name} && sync")
        assert status == 0
        con.detach()
    for name in CLONES:
        con = Console(daemon, name)
        status, out = con.run("ls /root")
        assert status == 0
        assert sorted(out.split()) == [f"only-{name}"], (name, out)
        con.detach()


def test_clones_get_networking(daemon):
    """The template's user NIC: each clone gets 10.0.2.15 by DHCP, with a MAC
    of its own (not the template's 52:54:00:00:00:99, not its siblings')."""
    macs = {}
    for name in CLONES:
        nics = daemon.info(name)["definition"]["nics"]
        assert [n["type"] for n in nics] == ["user"] and "mac" not in nics[0], nics
        con = Console(daemon, name)
        deadline = time.monotonic() + 90
        while True:
            _, out = con.run("ip -4 addr show eth0")
            if "inet 10.0.2.15/" in out or time.monotonic() > deadline:
                break
            time.sleep(2)
        assert "inet 10.0.2.15/" in out, f"{name}: no DHCP lease on eth0: {out}"
        st, mac = con.run("cat /sys/class/net/eth0/address")
        assert st == 0
        macs[name] = mac.strip()
        con.detach()
    assert len(set(macs.values())) == len(CLONES), macs
    for mac in macs.values():
        assert mac.startswith("52:54:00:") and mac != "52:54:00:00:00:99", macs


def test_views(daemon):
    r = daemon.rvctl("where", "c1")
    assert r.stdout.strip() == socket.gethostname()
    r = daemon.rvctl("--json", "info", "c1")
    info = json.loads(r.stdout)
    assert info["guest"]["powerbtn_ready"] is True
    assert info["guest"]["ram_resident_bytes"] > 0
    assert info["rss_bytes"] > 0
    r = daemon.rvctl("top", "-n", "2", "-d", "0.5")
    assert r.stdout.count("rvctl top") == 2
    for name in CLONES:
        assert re.search(rf"^{name}\s+running\s", r.stdout, re.M)
    assert "READ/s" in r.stdout and "Net rx" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 80, r.stdout
    r = daemon.rvctl("--json", "top", "-n", "1")
    vms = json.loads(r.stdout)["vms"]
    assert {v["name"] for v in vms} == set(CLONES)
    for v in vms:     # the boot read the root disk
        assert v["disk_read_bytes_per_s"] > 0, v
        assert v["net_tx_bytes_per_s"] >= 0, v
    st, headers, text = daemon.api("GET", "/metrics")
    assert st == 200 and headers["content-type"].startswith("text/plain")
    for name in CLONES:
        assert f'rvisor_vm_up{{vm="{name}"}} 1' in text
        assert f'rvisor_vm_state{{vm="{name}",state="running"}} 1' in text
    assert "# TYPE rvisor_vm_cpu_seconds_total counter" in text


def test_control_socket_refuses_garbage(daemon):
    """The VM's own control socket (api/ctl.h) answers bad lines with an
    error and keeps serving; the VM is unaffected."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(daemon.info("c1")["control_socket"])
    f = s.makefile("rw")
    hello = json.loads(f.readline())
    assert hello["type"] == "hello" and hello["name"] == "c1" and hello["v"] == 1
    for line, why in [("not json", "malformed JSON"),
                      ('{"v": 2, "id": 1, "type": "query"}', "version 2"),
                      ('{"v": 1, "id": 2, "type": "explode"}', "unknown request type"),
                      ('{"v": 1, "id": 3}', "neither")]:
        f.write(line + "\n")
        f.flush()
        reply = json.loads(f.readline())
        assert reply["ok"] is False and why in reply["error"], (line, reply)
    f.write('{"v": 1, "id": 4, "type": "query"}\n')
    f.flush()
    reply = json.loads(f.readline())
    assert reply["ok"] and reply["id"] == 4 and reply["result"]["state"] == "running"
    assert reply["result"]["pid"] == daemon.info("c1")["pid"]
    s.close()
    assert daemon.info("c1")["state"] == "running"


def test_pause_resume(daemon):
    daemon.rvctl("pause", "c2")
    assert daemon.info("c2")["state"] == "paused"
    r = daemon.rvctl("pause", "c2", check=False)
    assert r.returncode == 1 and "paused" in one_line(r.stderr)
    daemon.rvctl("resume", "c2")
    assert daemon.info("c2")["state"] == "running"
    con = Console(daemon, "c2")
    assert con.run("echo alive")[1].endswith("alive")
    con.detach()


def test_daemon_restart_keeps_vms(daemon):
    before = {n: daemon.info(n)["pid"] for n in CLONES}
    # a stopped VM with autostart: the next rvisord starts it
    auto = {"name": "auto", "kernel": guest_file("Image"), "initrd": guest_file("initrd.cpio.gz"),
            "memory_mib": 64, "autostart": True}
    assert daemon.api("POST", "/vms", auto)[0] == 201
    seq = daemon.events()[-1]["seq"]
    daemon.stop()
    for pid in before.values():
        os.kill(pid, 0)                          # the VMs kept running without rvisord
    time.sleep(1)
    daemon.start()
    for name in CLONES:
        info = daemon.info(name)
        assert info["state"] == "running" and info["pid"] == before[name]
        daemon.wait_event(name, "reattached", seq, timeout=5)
    con = Console(daemon, "c1")
    assert con.run("echo still-here")[1].endswith("still-here")
    con.detach()
    daemon.wait_event("auto", "autostarted", seq, timeout=60)
    assert daemon.info("auto")["state"] == "running"
    daemon.rvctl("stop", "--force", "auto")
    daemon.rvctl("undefine", "auto")


def test_crash_detected_and_restarted(daemon):
    old = daemon.info("c3")["pid"]
    seq = daemon.events()[-1]["seq"]
    os.kill(old, signal.SIGKILL)                 # not our child any more: re-attached
    daemon.wait_event("c3", "crashed", seq, timeout=60)
    daemon.wait_event("c3", "restarted", seq, timeout=120)
    info = daemon.info("c3")
    assert info["state"] == "running" and info["pid"] != old
    assert info["restarts"] >= 1
    r = daemon.rvctl("stop", "--force", "c3")
    assert "c3: stopped" in r.stdout
    assert daemon.info("c3")["state"] == "stopped"


def test_graceful_stop(daemon):
    seq = daemon.events()[-1]["seq"]
    pids = [daemon.info(n)["pid"] for n in ("c1", "c2")]
    r = daemon.rvctl("stop", "c1", "c2")
    assert "c1: stopped" in r.stdout and "c2: stopped" in r.stdout
    for name, pid in zip(("c1", "c2"), pids):
        assert daemon.info(name)["state"] == "stopped"
        assert daemon.info(name)["last_exit"]["reason"] == "poweroff"
        assert process_gone(pid)
        stopped = daemon.wait_event(name, "stopped", seq, timeout=5)
        assert "graceful" in stopped["message"]
        with open(daemon.info(name)["console_log"], errors="replace") as f:
            log = f.read()
        assert "power button pressed, powering off" in log
        assert "reboot: Power down" in log


def test_event_log(daemon):
    types = [e["type"] for e in daemon.events("c1")]
    for expected in ["cloned", "started", "reattached", "powerdown", "stopped"]:
        assert expected in types, types
    assert types.index("cloned") < types.index("started") < types.index("reattached") \
        < types.index("stopped")
    types3 = [e["type"] for e in daemon.events("c3")]
    assert types3.index("crashed") < types3.index("restarted") < len(types3)
    all_types = [e["type"] for e in daemon.events()]
    assert "daemon-stopped" in all_types and all_types.count("daemon-started") == 2
    r = daemon.rvctl("events", "--vm", "c1")
    assert re.search(r"\bc1\s+stopped\s+VM stopped \(graceful\)", r.stdout), r.stdout
    # persisted as JSON lines
    with open(os.path.join(daemon.state, "events.log")) as f:
        lines = [json.loads(l) for l in f]
    assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1))


def test_cleanup_and_template_delete(daemon):
    for name in CLONES:
        daemon.rvctl("undefine", name)
        assert not os.path.exists(os.path.join(daemon.state, "vms", name))
    daemon.rvctl("template", "rm", "base")
    assert daemon.api("GET", "/templates")[2] == {"templates": []}
