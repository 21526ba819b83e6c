#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench/net.py - TCP throughput over user networking (libslirp), rvisor vs
qemu-system-riscv64 (TCG), side by side in one run.

Both VMMs boot the same kernel, initramfs and a private copy of
guest/out/rootfs.ext4 (root on virtio-blk), 256 MiB, 1 vCPU, with one
virtio-net NIC on user networking:

  qemu:   -M virt -bios default -m 256M -nographic -kernel Image
          -initrd initrd.cpio.gz -append "console=ttyS0 root=/dev/vda rw quiet"
          -drive file=COPY,format=raw,if=none,id=d0 -device virtio-blk-device,drive=d0
          -netdev user,id=n0 -device virtio-net-device,netdev=n0
  rvisor: run --kernel Image --initrd initrd.cpio.gz --mem 256M --disk COPY
          --net user --append "console=ttyS0 root=/dev/vda rw quiet"

The guest side of a transfer is bench/src/netbench.c (built static with
riscv64-linux-gnu-gcc into bench/out/, and written into each disk copy with
debugfs), which moves bytes with 64 KiB reads and writes; busybox nc copies
1 KiB per system call and would measure itself rather than the network.

What it measures, each rep, each VMM (alternating which goes first):
  g2h     guest -> host: `/netbench send 10.0.2.2 PORT SIZE` into a Python
          receiver on the host's 127.0.0.1 that counts the bytes; MB/s =
          bytes / (last byte - first byte), timed on the host.
  h2g     host -> guest: a Python sender on the host's 127.0.0.1 writes SIZE
          bytes to `/netbench recv 10.0.2.2 PORT`; MB/s = SIZE / (accept to
          the guest's close), timed on the host.
  g2h-nc  guest -> host as a shell user would do it: `head -c N /dev/zero |
          nc 10.0.2.2 PORT` (N = min(SIZE, 4 MiB)): bounded by busybox.
  cpu     host CPU seconds (utime + stime, all threads) the VM process used
          per transferred MB: what the transfer costs, independent of how
          busy the host is.
Prints medians and the rvisor/QEMU ratio (> 1: rvisor faster), and writes
bench/out/net-<date>.json. Nothing in the guest reads the clock, so the run
works whether or not the guest's vDSO clock works; if eth0 has no DHCP
lease after 20 s, it is configured by hand (10.0.2.15/24, gateway 10.0.2.2)
and the output says so.

Every VM process gets PR_SET_PDEATHSIG and is killed in a finally clause.

Usage: bench/net.py [--reps N] [--mb MB] [--rvisor PATH] [--qemu PATH]
                    [--guest-dir DIR] [--only g2h,h2g,g2h-nc] [--log FILE]
"""
import argparse
import ctypes
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = re.compile(r"rvisor:[^\r\n]*# ")
MARK = "__NETBENCH__"
VMMS = ["qemu", "rvisor"]
APPEND = "console=ttyS0 root=/dev/vda rw quiet"
_libc = ctypes.CDLL(None, use_errno=True)


class BenchError(Exception):
    pass


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


class Receiver:
    """Accepts connections on 127.0.0.1 and counts bytes until EOF."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.done = threading.Event()
        self.result = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            n, first, last = 0, None, None
            with conn:
                while True:
                    b = conn.recv(1 << 20)
                    if not b:
                        break
                    now = time.monotonic()
                    if first is None:
                        first = now
                    n += len(b)
                    last = now
            self.result = (n, first, last)
            self.done.set()

    def expect(self):
        self.done.clear()
        self.result = None

    def close(self):
        self.sock.close()


class Sender:
    """Accepts a connection on 127.0.0.1, writes `size` zero bytes, half-closes
    and waits for the peer's close; records the seconds from accept to then."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.size = 0
        self.done = threading.Event()
        self.result = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        chunk = bytes(1 << 20)
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                t0, n = time.monotonic(), self.size
                while n:
                    k = min(n, len(chunk))
                    conn.sendall(chunk[:k])
                    n -= k
                conn.shutdown(socket.SHUT_WR)
                while conn.recv(65536):
                    pass
                self.result = time.monotonic() - t0
            self.done.set()

    def expect(self, size):
        self.size = size
        self.done.clear()
        self.result = None

    def close(self):
        self.sock.close()


class VM:
    def __init__(self, kind, cfg, disk, logf):
        self.kind = kind
        if kind == "qemu":
            self.argv = [cfg.qemu, "-M", "virt", "-bios", "default", "-m", "256M", "-nographic",
                         "-kernel", cfg.kernel, "-initrd", cfg.initrd, "-append", APPEND,
                         "-drive", f"file={disk},format=raw,if=none,id=d0",
                         "-device", "virtio-blk-device,drive=d0",
                         "-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0"]
        else:
            self.argv = [cfg.rvisor, "run", "--kernel", cfg.kernel, "--initrd", cfg.initrd,
                         "--mem", "256M", "--disk", disk, "--net", "user", "--append", APPEND]
        if logf:
            logf.write(f"\n===== {kind}: {' '.join(self.argv)}\n")
        self.child = pexpect.spawn(self.argv[0], self.argv[1:], encoding="utf-8",
                                   codec_errors="replace", timeout=None,
                                   preexec_fn=_die_with_parent, dimensions=(50, 1000))
        self.child.logfile_read = logf
        self.static_ip = False

    def boot(self, timeout=600):
        try:
            self.child.expect("rvisor-guest: init done", timeout=timeout)
            self.child.expect(PROMPT, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise BenchError(f"{self.kind}: no shell prompt; console tail:\n"
                             + (self.child.before or "")[-1500:])
        deadline = time.monotonic() + 20
        while "inet " not in self.run("ip -4 addr show eth0", 60)[1]:
            if time.monotonic() > deadline:
                self.static_ip = True
                self.run("ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; "
                         "ip route add default via 10.0.2.2", 60)
                break
            time.sleep(1)

    def run(self, cmd, timeout):
        """Run a shell command; return (status, output, host seconds)."""
        t0 = time.monotonic()
        self.child.sendline(f"{cmd}; echo {MARK}$?")
        try:
            self.child.expect(re.escape(MARK) + r"(\d+)", timeout=timeout)
            t1 = time.monotonic()
            out, status = self.child.before, int(self.child.match.group(1))
            self.child.expect(PROMPT, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise BenchError(f"{self.kind}: `{cmd}` did not finish in {timeout} s")
        return status, out, t1 - t0

    def cpu_seconds(self):
        with open(f"/proc/{self.child.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self):
        if self.child.isalive():
            self.child.sendline("poweroff")
            try:
                self.child.expect(pexpect.EOF, timeout=60)
            except (pexpect.TIMEOUT, pexpect.EOF):
                pass
        if self.child.isalive():
            self.child.terminate(force=True)


def g2h(vm, rx, size, timeout, nc=False):
    rx.expect()
    c0 = vm.cpu_seconds()
    cmd = (f"head -c {size} /dev/zero | nc 10.0.2.2 {rx.port}" if nc
           else f"/netbench send 10.0.2.2 {rx.port} {size}")
    st, out, _ = vm.run(cmd, timeout)
    if not rx.done.wait(60):
        raise BenchError(f"{vm.kind}: g2h: the receiver saw no end of stream")
    n, first, last = rx.result
    if n != size:
        raise BenchError(f"{vm.kind}: g2h: received {n} of {size} bytes (status {st}): {out}")
    return {"mbps": n / 1e6 / (last - first), "cpu_s_per_mb": (vm.cpu_seconds() - c0) / (n / 1e6)}


def h2g(vm, tx, size, timeout):
    tx.expect(size)
    c0 = vm.cpu_seconds()
    st, out, _ = vm.run(f"/netbench recv 10.0.2.2 {tx.port}", timeout)
    if st or str(size) not in out or not tx.done.wait(60):
        raise BenchError(f"{vm.kind}: h2g: netbench recv failed ({st}): {out}")
    return {"mbps": size / 1e6 / tx.result,
            "cpu_s_per_mb": (vm.cpu_seconds() - c0) / (size / 1e6)}


def build_netbench(cfg):
    """bench/out/netbench, static riscv64, rebuilt when its source changed."""
    src = os.path.join(ROOT, "bench", "src", "netbench.c")
    out = os.path.join(ROOT, "bench", "out", "netbench")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        r = subprocess.run([cfg.cc, "-O2", "-static", "-o", out + ".tmp", src],
                           capture_output=True, text=True)
        if r.returncode:
            raise BenchError(f"cannot build {out}: {r.stderr.strip()}")
        os.rename(out + ".tmp", out)
    return out


def make_disk(cfg, path):
    """A copy of the root disk with /netbench in it."""
    shutil.copyfile(os.path.join(cfg.guest_dir, "rootfs.ext4"), path)
    for req in (f"write {cfg.netbench} netbench", "sif /netbench mode 0100755"):
        r = subprocess.run(["debugfs", "-w", "-R", req, path], capture_output=True, text=True)
        if r.returncode or "rror" in r.stderr:
            raise BenchError(f"debugfs {req!r} on {path}: {r.stderr.strip()}")


def one_boot(kind, cfg, rx, tx, logf, rec):
    with tempfile.TemporaryDirectory(prefix="netbench-") as tmp:
        disk = os.path.join(tmp, "root.ext4")
        make_disk(cfg, disk)
        vm = VM(kind, cfg, disk, logf)
        try:
            vm.boot()
            size = cfg.mb << 20
            # warm-up: ARP, slirp's first connection, page cache of the tools
            g2h(vm, rx, 1 << 20, cfg.timeout)
            if "g2h" in cfg.only:
                rec.setdefault((kind, "g2h"), []).append(g2h(vm, rx, size, cfg.timeout))
            if "h2g" in cfg.only:
                rec.setdefault((kind, "h2g"), []).append(h2g(vm, tx, size, cfg.timeout))
            if "g2h-nc" in cfg.only:
                n = min(size, 4 << 20)
                rec.setdefault((kind, "g2h-nc"), []).append(g2h(vm, rx, n, cfg.timeout, nc=True))
            return vm.static_ip
        finally:
            vm.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--mb", type=int, default=64, help="MiB per transfer (default 64)")
    ap.add_argument("--only", default="g2h,h2g,g2h-nc")
    ap.add_argument("--cc", default="riscv64-linux-gnu-gcc")
    ap.add_argument("--rvisor", default=os.path.join(ROOT, "build", "rvisor"))
    ap.add_argument("--qemu", default="qemu-system-riscv64")
    ap.add_argument("--guest-dir", default=os.path.join(ROOT, "guest", "out"))
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per transfer")
    ap.add_argument("--log", help="append both consoles to this file")
    cfg = ap.parse_args()
    cfg.only = cfg.only.split(",")
    cfg.kernel = os.path.join(cfg.guest_dir, "Image")
    cfg.initrd = os.path.join(cfg.guest_dir, "initrd.cpio.gz")
    cfg.qemu = shutil.which(cfg.qemu) or sys.exit(f"{cfg.qemu} not found")
    for p in (cfg.rvisor, cfg.kernel, cfg.initrd, os.path.join(cfg.guest_dir, "rootfs.ext4")):
        if not os.path.exists(p):
            sys.exit(f"bench/net.py: {p} is missing (make && make guest)")
    for tool in (cfg.cc, "debugfs"):
        if not shutil.which(tool):
            sys.exit(f"bench/net.py: {tool} not found (apt-get install gcc-riscv64-linux-gnu "
                     "e2fsprogs)")
    logf = open(cfg.log, "a") if cfg.log else None
    rx, tx = Receiver(), Sender()
    rec, static = {}, {}
    try:
        cfg.netbench = build_netbench(cfg)
        for rep in range(cfg.reps):
            for kind in (VMMS if rep % 2 == 0 else VMMS[::-1]):
                print(f"rep {rep + 1}/{cfg.reps}: {kind} ...", file=sys.stderr, flush=True)
                static[kind] = one_boot(kind, cfg, rx, tx, logf, rec)
    except BenchError as e:
        sys.exit(f"bench/net.py: {e}")
    finally:
        rx.close()
        tx.close()
    rows = []
    print(f"\nTCP over user networking, {cfg.mb} MiB per transfer, {cfg.reps} reps, medians")
    print(f"{'metric':<26}{'qemu':>10}{'rvisor':>10}{'ratio':>8}   per-rep MB/s (qemu | rvisor)")
    for d in cfg.only:
        q, r = rec.get(("qemu", d), []), rec.get(("rvisor", d), [])
        if not q or not r:
            continue
        qm = statistics.median(x["mbps"] for x in q)
        rm = statistics.median(x["mbps"] for x in r)
        qc = statistics.median(x["cpu_s_per_mb"] for x in q)
        rc = statistics.median(x["cpu_s_per_mb"] for x in r)
        name = {"g2h": "guest->host MB/s", "h2g": "host->guest MB/s",
                "g2h-nc": "guest->host, nc MB/s"}[d]
        reps = " ".join(f"{x['mbps']:.1f}" for x in q) + " | " + \
            " ".join(f"{x['mbps']:.1f}" for x in r)
        print(f"{name:<26}{qm:>10.1f}{rm:>10.1f}{rm / qm:>8.2f}   {reps}")
        print(f"{'  host CPU-s per MB':<26}{qc:>10.3f}{rc:>10.3f}{qc / rc:>8.2f}")
        rows.append({"metric": d, "qemu_mbps": qm, "rvisor_mbps": rm, "ratio": rm / qm,
                     "qemu_cpu_s_per_mb": qc, "rvisor_cpu_s_per_mb": rc,
                     "qemu_reps": q, "rvisor_reps": r})
    print("ratio: rvisor / QEMU, > 1 = rvisor faster (CPU line: QEMU / rvisor, > 1 = rvisor "
          "cheaper)")
    for kind, s in static.items():
        if s:
            print(f"note: {kind}'s guest got no DHCP lease; eth0 was configured by hand")
    out_dir = os.path.join(ROOT, "bench", "out")
    os.makedirs(out_dir, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(out_dir, f"net-{stamp}.json"), "w") as f:
        json.dump({"mb": cfg.mb, "reps": cfg.reps, "rows": rows, "static_ip": static,
                   "qemu": cfg.qemu, "rvisor": cfg.rvisor}, f, indent=1)


if __name__ == "__main__":
    main()
