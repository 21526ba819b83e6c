# SPDX-License-Identifier: MIT
"""rvisord end to end, continued: the devices' own counters, guest reboots
and the restart policies, with real VMs booted from guest/out.

One rvisord serves the module (test_daemon.py's Daemon, on its own state
directory). VM "io" has a qcow2 overlay on the default root disk (vda), a
blank raw disk (vdb) and a NIC on user networking (net0):

  - after the guest reads vda and writes vdb with dd, and fetches a file
    from an HTTP server on the host, GET /vms/io, `rvctl info` (human and
    --json) and /metrics show per-device counters that are non-zero and
    grew, with totals equal to the sum of the devices;
  - the guest runs `reboot`: the VM process lives on, the event log gets
    one "rebooted" event, info counts one guest reboot, the counters kept
    counting; a reboot through the API logs its own event, not a second
    guest one;
  - restart policies on small initramfs-only VMs: `always` restarts after
    the guest powers off by itself and after the process is killed, but not
    after `rvctl stop`; `on-failure` restarts after a kill but not after a
    poweroff from inside; `no` restarts after nothing. That a restart is
    not coming is read from info's restart_in_s (null: none scheduled),
    which rvisord sets in the same step that logs the exit, so nothing here
    waits on the clock to prove a negative;
  - a graceful stop issued the moment the guest's init is done still ends
    in a poweroff (the guest's acpid may start a little later).

No wall-clock thresholds: timeouts only bound how long a broken run hangs.
"""
import functools
import json
import http.server
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pexpect
import pytest

from conftest import BOOT_TIMEOUT, RVISOR, guest_file
from test_daemon import Console, Daemon, process_gone

BIG = 1 << 20          # fetched by the guest over the NIC
VDB_WRITE = 4 << 20    # written by the guest to vdb
VDA_READ = 8 << 20     # read by the guest from vda


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def daemon():
    d = Daemon()
    www = os.path.join(d.dir, "www")
    os.makedirs(www)
    with open(os.path.join(www, "big.bin"), "wb") as f:
        f.write(os.urandom(BIG))
    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=www))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    d.http_port = srv.server_address[1]
    d.start()
    yield d
    for vm in ["io", "pa", "pf", "pn"]:
        st, _, j = d.api("GET", f"/vms/{vm}")
        if st == 200 and j.get("pid"):
            d.api("POST", f"/vms/{vm}/stop", {"force": True})
    d.stop()
    srv.shutdown()
    shutil.rmtree(d.dir, ignore_errors=True)


def boots(daemon, name):
    """How many times the VM's guest reached the end of its init so far."""
    with open(daemon.info(name)["console_log"], errors="replace") as f:
        return f.read().count("rvisor-guest: init done")


def wait_boots(daemon, name, n):
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if boots(daemon, name) >= n:
            return
        time.sleep(0.5)
    raise AssertionError(f"{name}: boot {n} did not finish")


def metrics(daemon):
    st, _, text = daemon.api("GET", "/metrics")
    assert st == 200
    out = {}
    for line in text.splitlines():
        m = re.match(r'^(\w+)\{([^}]*)\} (\S+)$', line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
            out[(m.group(1), labels.get("vm"), labels.get("device"))] = float(m.group(3))
    return out


def devices(info, kind):
    return {d["device"]: d for d in info[kind]["devices"]}


def check_totals(info):
    for kind in ("disk_io", "net_io"):
        io = info[kind]
        for key, total in io.items():
            if key != "devices":
                assert total == sum(d[key] for d in io["devices"]), (kind, key, io)
    assert info["disk_read_bytes"] == info["disk_io"]["read_bytes"]
    assert info["disk_write_bytes"] == info["disk_io"]["write_bytes"]
    assert info["net_rx_bytes"] == info["net_io"]["rx_bytes"]
    assert info["net_tx_bytes"] == info["net_io"]["tx_bytes"]


# ---- per-device counters --------------------------------------------------

def test_define_and_boot(daemon):
    overlay = os.path.join(daemon.dir, "io-root.qcow2")
    subprocess.run([RVISOR, "img", "create", "-f", "qcow2", "-b", guest_file("rootfs.ext4"),
                    "-F", "raw", overlay], check=True, capture_output=True)
    blank = os.path.join(daemon.dir, "io-data.raw")
    with open(blank, "wb") as f:
        f.truncate(16 << 20)
    daemon.rvctl("define", "io", "--kernel", guest_file("Image"),
                 "--initrd", guest_file("initrd.cpio.gz"),
                 "--cmdline", "console=ttyS0 root=/dev/vda rw quiet", "--mem", "160M",
                 "--disk", overlay + ",format=qcow2", "--disk", blank + ",format=raw",
                 "--nic", "user")
    info = daemon.info("io")
    # not running: no counters, and null rather than 0
    assert info["disk_io"] is None and info["net_io"] is None
    assert info["net_rx_bytes"] is None and info["guest_reboots"] is None
    daemon.rvctl("start", "io")
    wait_boots(daemon, "io", 1)


def test_counters_grow(daemon):
    before = daemon.info("io")
    check_totals(before)
    assert sorted(devices(before, "disk_io")) == ["vda", "vdb"]
    assert list(devices(before, "net_io")) == ["net0"]
    assert devices(before, "net_io")["net0"]["backend"] == "user"
    for key in ("net_rx_bytes", "net_tx_bytes", "disk_read_bytes", "disk_write_bytes"):
        assert isinstance(before[key], int), (key, before[key])
    assert devices(before, "disk_io")["vda"]["read_bytes"] > 0    # the boot read the root

    con = Console(daemon, "io")
    st, out = con.run(f"dd if=/dev/vda of=/dev/null bs=64k count={VDA_READ >> 16} "
                      "skip=256 2>&1")
    assert st == 0, out
    st, out = con.run(f"dd if=/dev/urandom of=/dev/vdb bs=64k count={VDB_WRITE >> 16} "
                      "conv=fsync 2>&1")
    assert st == 0, out
    # the root disk's init takes a DHCP lease; configure by hand if it has not
    st, out = con.run("ip -4 addr show eth0")
    if "10.0.2.15" not in out:
        con.run("ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; "
                "ip route add default via 10.0.2.2")
    st, out = con.run(f"wget -q -O - http://10.0.2.2:{daemon.http_port}/big.bin | wc -c")
    assert st == 0 and out.strip().endswith(str(BIG)), out
    con.detach()

    after = daemon.info("io")
    check_totals(after)
    vda_b, vda_a = devices(before, "disk_io")["vda"], devices(after, "disk_io")["vda"]
    vdb_b, vdb_a = devices(before, "disk_io")["vdb"], devices(after, "disk_io")["vdb"]
    net_b, net_a = devices(before, "net_io")["net0"], devices(after, "net_io")["net0"]
    assert vda_a["read_bytes"] - vda_b["read_bytes"] >= VDA_READ
    assert vda_a["read_requests"] > vda_b["read_requests"]
    assert vdb_a["write_bytes"] - vdb_b["write_bytes"] >= VDB_WRITE
    assert vdb_a["write_requests"] > vdb_b["write_requests"]
    assert vdb_a["flushes"] > vdb_b["flushes"]                   # conv=fsync
    assert vda_a["errors"] == 0 and vdb_a["errors"] == 0
    assert net_a["rx_bytes"] - net_b["rx_bytes"] >= BIG
    assert net_a["rx_packets"] > net_b["rx_packets"]
    assert net_a["tx_packets"] > net_b["tx_packets"]
    assert net_a["tx_bytes"] > net_b["tx_bytes"]
    assert after["host_io"]["read_bytes"] >= 0

    # /metrics: the same counters, per VM and device (rvisord's copy is
    # refreshed every second; wait for one that includes the traffic)
    deadline = time.monotonic() + 120
    while True:
        m = metrics(daemon)
        if (m.get(("rvisor_vm_net_rx_bytes_total", "io", "net0"), 0) >= net_a["rx_bytes"]
                and m.get(("rvisor_vm_disk_write_bytes_total", "io", "vdb"), 0)
                >= vdb_a["write_bytes"]):
            break
        assert time.monotonic() < deadline, m
        time.sleep(0.5)
    for fam in ("read_requests", "write_requests", "read_bytes", "write_bytes", "flushes",
                "errors"):
        for dev in ("vda", "vdb"):
            assert (f"rvisor_vm_disk_{fam}_total", "io", dev) in m, (fam, dev)
    for fam in ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_dropped", "tx_dropped"):
        assert (f"rvisor_vm_net_{fam}_total", "io", "net0") in m, fam
    assert m[("rvisor_vm_disk_read_bytes_total", "io", "vda")] >= vda_a["read_bytes"]
    assert m[("rvisor_vm_net_tx_packets_total", "io", "net0")] >= net_a["tx_packets"]
    st, _, text = daemon.api("GET", "/metrics")
    assert "# TYPE rvisor_vm_disk_read_bytes_total counter" in text
    assert "# TYPE rvisor_vm_net_rx_bytes_total counter" in text

    # rvctl info, human and JSON
    r = daemon.rvctl("info", "io")
    assert re.search(r"^Disk I/O:\s+vda\s+\d+ reads? ", r.stdout, re.M), r.stdout
    assert re.search(r"^\s+vdb\s+\d+ reads? .* \d+ writes? ", r.stdout, re.M), r.stdout
    assert re.search(r"^Network:\s+net0\s+user: rx \d+ packets? ", r.stdout, re.M), r.stdout
    j = json.loads(daemon.rvctl("--json", "info", "io").stdout)
    assert j["net_rx_bytes"] >= net_a["rx_bytes"] and j["disk_io"]["devices"][1]["device"] == "vdb"


# ---- guest reboots --------------------------------------------------------

def test_guest_reboot_is_an_event(daemon):
    info = daemon.info("io")
    pid, n = info["pid"], boots(daemon, "io")
    assert info["guest_reboots"] == 0
    vda_before = devices(info, "disk_io")["vda"]["read_bytes"]
    seq = daemon.events()[-1]["seq"]
    con = Console(daemon, "io")
    con.child.send("reboot\r")
    ev = daemon.wait_event("io", "rebooted", seq, timeout=BOOT_TIMEOUT)
    assert "guest rebooted itself" in ev["message"], ev
    con.child.close()
    wait_boots(daemon, "io", n + 1)
    info = daemon.info("io")
    assert info["state"] == "running" and info["pid"] == pid     # the process lived on
    assert info["guest_reboots"] == 1
    assert devices(info, "disk_io")["vda"]["read_bytes"] > vda_before   # kept counting
    assert [e["type"] for e in daemon.events("io") if e["seq"] > seq].count("rebooted") == 1
    deadline = time.monotonic() + 120
    while metrics(daemon).get(("rvisor_vm_reboots_total", "io", None)) != 1:
        assert time.monotonic() < deadline, metrics(daemon)
        time.sleep(0.5)
    r = daemon.rvctl("events", "--vm", "io")
    assert re.search(r"\bio\s+rebooted\s+the guest rebooted itself", r.stdout), r.stdout
    assert re.search(r"^Reboots:\s+1 by the guest", daemon.rvctl("info", "io").stdout, re.M)

    # a reboot asked through the API: its own event, not a guest one
    seq = daemon.events()[-1]["seq"]
    daemon.rvctl("reboot", "io")
    wait_boots(daemon, "io", n + 2)
    info = daemon.info("io")
    assert info["guest_reboots"] == 1 and info["pid"] == pid
    new = [e for e in daemon.events("io") if e["seq"] > seq]
    assert [e["type"] for e in new].count("rebooted") == 1, new
    assert "guest" not in [e for e in new if e["type"] == "rebooted"][0]["message"]
    daemon.rvctl("stop", "--force", "io")


# ---- restart policies -----------------------------------------------------

def small_vm(daemon, name, policy):
    daemon.rvctl("define", name, "--kernel", guest_file("Image"),
                 "--initrd", guest_file("initrd.cpio.gz"),
                 "--cmdline", "console=ttyS0 quiet", "--mem", "128M", "--restart", policy)
    daemon.rvctl("start", name)
    wait_boots(daemon, name, 1)


def poweroff_inside(daemon, name):
    con = Console(daemon, name)
    con.child.send("poweroff\r")
    con.child.expect("poweroff")          # echoed: it reached the guest
    con.child.expect(["reboot: Power down", pexpect.EOF], timeout=BOOT_TIMEOUT)
    con.child.close()


def test_always_restarts_after_guest_poweroff(daemon):
    small_vm(daemon, "pa", "always")
    pid = daemon.info("pa")["pid"]
    seq = daemon.events()[-1]["seq"]
    poweroff_inside(daemon, "pa")
    ev = daemon.wait_event("pa", "stopped", seq)
    assert "powered off from inside the guest" in ev["message"], ev
    daemon.wait_event("pa", "restarted", seq)
    info = daemon.info("pa")
    assert info["state"] == "running" and info["pid"] != pid and process_gone(pid)
    assert info["restarts"] == 1 and info["last_exit"]["reason"] == "poweroff"
    wait_boots(daemon, "pa", 2)


def test_always_restarts_after_kill(daemon):
    pid = daemon.info("pa")["pid"]
    seq = daemon.events()[-1]["seq"]
    os.kill(pid, signal.SIGKILL)
    daemon.wait_event("pa", "crashed", seq)
    daemon.wait_event("pa", "restarted", seq)
    info = daemon.info("pa")
    assert info["state"] == "running" and info["pid"] != pid
    assert info["restarts"] == 2


def test_always_not_after_stop(daemon):
    seq = daemon.events()[-1]["seq"]
    daemon.rvctl("stop", "--force", "pa")
    info = daemon.info("pa")
    assert info["state"] == "stopped" and info["restart_in_s"] is None
    assert "restarted" not in [e["type"] for e in daemon.events("pa") if e["seq"] > seq]


def test_on_failure(daemon):
    small_vm(daemon, "pf", "on-failure")
    seq = daemon.events()[-1]["seq"]
    poweroff_inside(daemon, "pf")
    daemon.wait_event("pf", "stopped", seq)
    info = daemon.info("pf")
    assert info["state"] == "stopped" and info["restart_in_s"] is None   # a clean poweroff
    daemon.rvctl("start", "pf")
    pid = daemon.info("pf")["pid"]
    seq = daemon.events()[-1]["seq"]
    os.kill(pid, signal.SIGKILL)
    daemon.wait_event("pf", "crashed", seq)
    daemon.wait_event("pf", "restarted", seq)
    assert daemon.info("pf")["state"] == "running"
    daemon.rvctl("stop", "--force", "pf")


def test_no_restart(daemon):
    small_vm(daemon, "pn", "no")
    pid = daemon.info("pn")["pid"]
    seq = daemon.events()[-1]["seq"]
    os.kill(pid, signal.SIGKILL)
    daemon.wait_event("pn", "crashed", seq)
    info = daemon.info("pn")
    assert info["state"] == "crashed" and info["restart_in_s"] is None
    assert info["pid"] is None


def test_graceful_stop_right_after_boot(daemon):
    """The power button pressed as soon as the guest's init is done, when
    its handler (acpid) may not run yet: still a graceful poweroff."""
    daemon.rvctl("start", "pn")
    wait_boots(daemon, "pn", 2)
    seq = daemon.events()[-1]["seq"]
    r = daemon.rvctl("stop", "pn")
    assert "pn: stopped" in r.stdout
    info = daemon.info("pn")
    assert info["state"] == "stopped" and info["last_exit"]["reason"] == "poweroff"
    stopped = daemon.wait_event("pn", "stopped", seq, timeout=5)
    assert "graceful" in stopped["message"], stopped


def test_event_log_story(daemon):
    types = [e["type"] for e in daemon.events("pa")]
    i = types.index("started")
    assert types[i:i + 5] == ["started", "stopped", "restarted", "crashed", "restarted"], types
    for name in ("io", "pa", "pf", "pn"):
        daemon.rvctl("undefine", name)
