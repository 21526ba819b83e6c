#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench/disk.py - guest disk throughput on virtio-blk, rvisor
side by side with qemu-system-riscv64 (TCG) in the same run.

For each image format (raw, qcow2), both VMMs boot the default guest
(guest/out Image + initrd, no root disk) with a fresh image of that format
as /dev/vda (raw: a sparse file; qcow2: `qemu-img create`). Then, --reps
times, each guest in turn (the order alternating rep by rep; the other VM
idles at its prompt meanwhile) runs on a fresh region of its disk (so
every qcow2 write allocates clusters, as on a new disk):
  write  dd if=/dev/zero of=/dev/vda bs=1M count=N seek=... conv=fsync
  read   echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda of=/dev/null bs=1M ...
  4k-rd  dd if=/dev/vda of=/dev/null bs=4k count=2000 iflag=direct (one request
         at a time: the device round trip plus the guest's own work per request)
  cpu    a busybox sh loop without I/O: how fast each VMM runs guest code,
         which bounds every figure above (the guest copies each byte it reads)
timed inside the guest with /proc/uptime (both VMMs derive guest time from
the host clock). The table gives the median MB/s (10^6 bytes/s) of each VMM
and the median of the per-rep ratios rvisor/QEMU (higher is better for
rvisor). Only compare figures of one run: our hosts' two cores differ in
speed by 30 %, and other load on the host moves every figure.

QEMU runs as
  qemu-system-riscv64 -M virt -bios default -m 256M -nographic -kernel Image
      -initrd initrd.cpio.gz -append console=ttyS0
      -drive file=IMG,if=none,id=d0,format=FMT -device virtio-blk-device,drive=d0
and rvisor as
  rvisor run --kernel Image --initrd initrd.cpio.gz --mem 256M --disk IMG,format=FMT

Usage: bench/disk.py [--size-mb N] [--reps N] [--formats raw,qcow2]
                     [--rvisor PATH] [--qemu PATH] [--guest-dir DIR] [--json FILE] [-v]
"""
import argparse
import ctypes
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = re.compile(r"rvisor:[^\r\n]*# ")
MARK = "__DISK_BENCH__"
IOPS_N = 2000  # 4 KiB O_DIRECT reads, one at a time: the per-request round trip
LOOP_N = 20000  # iterations of a busybox sh loop: guest CPU speed, no I/O at all
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


class BenchError(Exception):
    pass


def log(msg):
    print(f"[disk {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class VM:
    def __init__(self, kind, args, image, fmt, logf):
        kernel = os.path.join(args.guest_dir, "Image")
        initrd = os.path.join(args.guest_dir, "initrd.cpio.gz")
        if kind == "qemu":
            self.argv = [args.qemu, "-M", "virt", "-bios", "default", "-m", "256M", "-nographic",
                         "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 quiet",
                         "-drive", f"file={image},if=none,id=d0,format={fmt}",
                         "-device", "virtio-blk-device,drive=d0"]
        else:
            self.argv = [args.rvisor, "run", "--kernel", kernel, "--initrd", initrd,
                         "--mem", "256M", "--append", "console=ttyS0 quiet",
                         "--disk", f"{image},format={fmt}"]
        self.kind = kind
        self.logf = logf
        self.child = None

    def start(self, timeout):
        if self.logf:
            self.logf.write(f"\n===== {' '.join(self.argv)}\n")
        self.child = pexpect.spawn(self.argv[0], self.argv[1:], encoding="utf-8",
                                   codec_errors="replace", timeout=timeout,
                                   preexec_fn=die_with_parent, dimensions=(50, 1000))
        self.child.logfile_read = self.logf
        try:
            self.child.expect("rvisor-guest: init done")
            self.child.expect(PROMPT)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise BenchError(f"{self.kind}: no shell prompt; console tail:\n"
                             + (self.child.before or "")[-1500:])

    def run(self, cmd, timeout):
        self.child.sendline(f"{cmd}; echo {MARK}$?")
        try:
            self.child.expect(re.escape(MARK) + r"(\d+)", timeout=timeout)
            out, status = self.child.before, int(self.child.match.group(1))
            self.child.expect(PROMPT, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise BenchError(f"{self.kind}: `{cmd}` failed; console tail:\n"
                             + (self.child.before or "")[-1500:])
        out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.replace("\r", ""))
        return status, "\n".join(out.split("\n")[1:]).strip()

    def timed(self, cmd, timeout):
        """Guest seconds that `cmd` took (/proc/uptime before and after)."""
        st, out = self.run("a=$(cut -d' ' -f1 /proc/uptime); " + cmd +
                           "; s=$?; b=$(cut -d' ' -f1 /proc/uptime); echo T $a $b; "
                           "[ $s = 0 ]", timeout)
        m = re.search(r"^T ([0-9.]+) ([0-9.]+)$", out, re.M)
        if st != 0 or not m:
            raise BenchError(f"{self.kind}: `{cmd}` failed ({st}): {out}")
        return float(m.group(2)) - float(m.group(1))

    def poweroff(self):
        self.child.sendline("poweroff")
        try:
            self.child.expect(pexpect.EOF, timeout=120)
        except pexpect.TIMEOUT:
            raise BenchError(f"{self.kind}: no exit after poweroff")
        self.child.close()
        return self.child.exitstatus

    def kill(self):
        if self.child is not None and self.child.isalive():
            self.child.terminate(force=True)


def make_image(path, fmt, size_mb):
    if os.path.exists(path):
        os.unlink(path)
    if fmt == "raw":
        with open(path, "wb") as f:
            f.truncate(size_mb << 20)
    else:
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", path, f"{size_mb}M"],
                       check=True)


def measure(fmt, args, workdir, logf):
    """Boot both VMMs, each with a fresh `fmt` image, and time them in turns.

    Returns {kind: {"write": [MB/s...], "read": [...]}}. Both VMs stay up for
    the whole format; while one works the other idles at its prompt (an
    idle guest costs next to no host CPU), and the order alternates rep by
    rep, so that drifts in host load hit both alike.
    """
    n = args.size_mb
    mb = n * (1 << 20) / 1e6
    vms, images = {}, []
    res = {k: {"write": [], "read": [], "iops": [], "cpu": []} for k in ("qemu", "rvisor")}
    try:
        for kind in ("qemu", "rvisor"):
            image = os.path.join(workdir, f"disk-{kind}.{fmt}")
            make_image(image, fmt, n * args.reps + 16)
            images.append(image)
            vms[kind] = VM(kind, args, image, fmt, logf)
            vms[kind].start(args.boot_timeout)
        for rep in range(args.reps):
            order = ["qemu", "rvisor"] if rep % 2 == 0 else ["rvisor", "qemu"]
            seek = rep * n
            for kind in order:
                t = vms[kind].timed(f"dd if=/dev/zero of=/dev/vda bs=1M count={n} seek={seek} "
                                    "conv=fsync 2>/dev/null", args.cmd_timeout)
                res[kind]["write"].append(mb / t if t > 0 else None)
            for kind in order:
                t = vms[kind].timed(f"echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda "
                                    f"of=/dev/null bs=1M count={n} skip={seek} 2>/dev/null",
                                    args.cmd_timeout)
                res[kind]["read"].append(mb / t if t > 0 else None)
            for kind in order:
                t = vms[kind].timed(f"dd if=/dev/vda of=/dev/null bs=4k count={IOPS_N} "
                                    f"skip={seek * 256} iflag=direct 2>/dev/null", args.cmd_timeout)
                res[kind]["iops"].append(IOPS_N / t if t > 0 else None)
            for kind in order:
                t = vms[kind].timed(f"i=0; while [ $i -lt {LOOP_N} ]; do i=$((i + 1)); done",
                                    args.cmd_timeout)
                res[kind]["cpu"].append(LOOP_N / t / 1000 if t > 0 else None)
            log(f"{fmt} rep {rep + 1}: " + ", ".join(
                f"{k} write {res[k]['write'][-1]:.1f} read {res[k]['read'][-1]:.1f} MB/s "
                f"{res[k]['iops'][-1]:.0f} IOPS cpu {res[k]['cpu'][-1]:.1f}" for k in order))
        for kind, vm in vms.items():
            status = vm.poweroff()
            if status != 0:
                raise BenchError(f"{kind}: exit status {status} after poweroff")
    finally:
        for vm in vms.values():
            vm.kill()
        for image in images:
            if os.path.exists(image):
                os.unlink(image)
    return res


def median(xs):
    xs = [x for x in xs if x]
    return statistics.median(xs) if xs else None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--size-mb", type=int, default=64, help="MiB per write/read (default 64)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--formats", default="raw,qcow2")
    p.add_argument("--rvisor", default=os.path.join(ROOT, "build", "rvisor"))
    p.add_argument("--qemu", default="qemu-system-riscv64")
    p.add_argument("--guest-dir", default=os.path.join(ROOT, "guest", "out"))
    p.add_argument("--boot-timeout", type=int, default=600)
    p.add_argument("--cmd-timeout", type=int, default=1200)
    p.add_argument("--json", help="also write the raw figures here")
    p.add_argument("-v", "--verbose", action="store_true", help="console logs to stderr")
    args = p.parse_args()
    workdir = os.path.join(ROOT, "bench", "out")
    os.makedirs(workdir, exist_ok=True)
    logf = sys.stderr if args.verbose else open(os.path.join(workdir, "disk-console.log"), "w")
    results = {}
    try:
        for fmt in args.formats.split(","):
            results[fmt] = measure(fmt, args, workdir, logf)
    except BenchError as e:
        print(f"bench/disk.py: {e}", file=sys.stderr)
        return 1
    print(f"\nvirtio-blk, median of {args.reps}: sequential dd bs=1M of {args.size_mb} MiB "
          f"(write, read: MB/s), {IOPS_N} sequential 4 KiB O_DIRECT reads (4k-rd: IOPS),\n"
          f"and for reference a busybox sh loop without I/O (cpu: 1000 iterations/s)")
    print(f"{'format':8} {'op':6} {'qemu':>9} {'rvisor':>9} {'rvisor/qemu':>12}")
    print("(ratio: median of the per-rep ratios; the two VMMs ran in turns)")
    table = []
    for fmt in args.formats.split(","):
        for op in ("write", "read", "iops", "cpu"):
            qs, rs = results[fmt]["qemu"][op], results[fmt]["rvisor"][op]
            q, r = median(qs), median(rs)
            ratio = median([b / a for a, b in zip(qs, rs) if a and b])
            table.append({"format": fmt, "op": op, "qemu": q, "rvisor": r, "ratio": ratio})
            name = {"write": "write", "read": "read", "iops": "4k-rd", "cpu": "cpu"}[op]
            print(f"{fmt:8} {name:6} {q or 0:9.1f} {r or 0:9.1f} "
                  f"{(f'{ratio:.2f}x' if ratio else 'n/a'):>12}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"size_mb": args.size_mb, "reps": args.reps, "table": table,
                       "raw": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
