#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot the Debian system of guest/debian-rootfs.sh under rvisor (and/or
qemu-system-riscv64 -M virt, TCG) and check that it is a working system:
systemd reaches a login prompt on ttyS0, root logs in, the system state,
failed units, DHCP over user networking, dpkg, a few real programs, then
reboot and poweroff.

Usage: guest/debian_check.py [--vmm rvisor|qemu] [--cpus N] [--mem 512M]
                             [--dir guest/out/debian] [--no-reboot] [-v]

Each VM gets a private copy-on-write overlay (qcow2) of rootfs.ext4, so the
image stays pristine. Prints one line per step with its time since start
and ends with "RESULT ok" or "RESULT FAIL <steps>".
"""
import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = re.compile(r"root@rvisor-debian:[^\r\n]*# ")
LOGIN = re.compile(r"rvisor-debian login: ")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vmm", default="rvisor", choices=["rvisor", "qemu"])
    p.add_argument("--rvisor", default=os.path.join(ROOT, "build", "rvisor"))
    p.add_argument("--cpus", type=int, default=1)
    p.add_argument("--mem", default="512M")
    p.add_argument("--dir", default=os.path.join(ROOT, "guest", "out", "debian"))
    p.add_argument("--append", default="")
    p.add_argument("--boot-timeout", type=int, default=900)
    p.add_argument("--no-reboot", action="store_true")
    p.add_argument("--log", help="write the console transcript here")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args()

    d = a.dir
    kernel, initrd, image = (os.path.join(d, n) for n in ("vmlinux", "initrd.img", "rootfs.ext4"))
    tmp = tempfile.mkdtemp(prefix="debian-check-")
    overlay = os.path.join(tmp, "root.qcow2")
    # rvisor's own qcow2 overlays are QEMU-compatible: no qemu-utils needed
    subprocess.run([a.rvisor, "img", "create", "-f", "qcow2", "-b", os.path.abspath(image),
                    "-F", "raw", overlay], check=True, stdout=subprocess.DEVNULL)
    append = "console=ttyS0 root=/dev/vda rw " + a.append
    if a.vmm == "rvisor":
        cmd = [a.rvisor, "run", "--kernel", kernel, "--initrd", initrd, "--disk", overlay,
               "--net", "user", "--mem", a.mem, "--cpus", str(a.cpus), "--append", append]
    else:
        cmd = ["qemu-system-riscv64", "-M", "virt", "-bios", "default", "-nographic",
               "-m", a.mem, "-smp", str(a.cpus), "-kernel", kernel, "-initrd", initrd,
               "-append", append,
               "-drive", f"file={overlay},format=qcow2,if=none,id=d0",
               "-device", "virtio-blk-device,drive=d0",
               "-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0",
               "-device", "virtio-rng-device"]
    t0 = time.monotonic()
    child = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8", codec_errors="replace",
                          timeout=a.boot_timeout, maxread=65536)
    logf = open(a.log, "w") if a.log else None
    if a.verbose:
        child.logfile_read = sys.stdout
    elif logf:
        child.logfile_read = logf
    failed = []

    def step(name, ok, detail=""):
        print(f"[{time.monotonic() - t0:7.1f}s] {a.vmm} cpus={a.cpus} {name}: "
              f"{'ok' if ok else 'FAIL'} {detail}".rstrip(), flush=True)
        if not ok:
            failed.append(name)

    def run(cmdline, timeout=600):
        marker = "__RVD__"
        child.sendline(f"{cmdline}; echo {marker}$?")
        child.expect(re.escape(marker) + r"(\d+)", timeout=timeout)
        out = child.before
        st = int(child.match.group(1))
        child.expect(PROMPT, timeout=timeout)
        lines = out.replace("\r", "").split("\n")
        return st, "\n".join(lines[1:]).strip()

    def login(tag):
        child.expect(LOGIN)
        t = time.monotonic() - t0
        step(f"{tag} login prompt", True)
        child.sendline("root")
        child.expect("Password:", timeout=120)
        child.sendline("root")
        child.expect(PROMPT, timeout=300)
        child.sendline("stty cols 200 rows 50; export SYSTEMD_PAGER= PAGER=cat TERM=dumb")
        child.expect(PROMPT)
        return t

    try:
        t_login = login("boot")
        st, out = run("systemctl is-system-running --wait", timeout=600)
        state = out.splitlines()[-1] if out else ""
        step("is-system-running", state in ("running", "degraded"), state)
        st, out = run("systemctl --failed --no-legend --plain")
        step("failed units", out == "", out.replace("\n", " | "))
        if out:
            for unit in re.findall(r"^(\S+)", out, re.M):
                _, j = run(f"journalctl -b -u {unit} --no-pager | tail -15")
                print(j)
        st, out = run("systemd-analyze | head -1")
        step("systemd-analyze", st == 0, out)
        st, out = run("ip -color=never -4 -o addr show; ip -color=never route")
        step("dhcp address", "10.0.2.15" in out and "default via 10.0.2.2" in out,
             " ".join(re.findall(r"inet \S+", out)))
        st, out = run("getent hosts deb.debian.org >/dev/null && echo dns-ok || echo dns-none")
        step("dns (informational)", True, out)
        st, out = run("dpkg -l | wc -l; dpkg --audit && echo audit-ok")
        step("dpkg", st == 0 and "audit-ok" in out, out.replace("\n", " "))
        st, out = run("apt-cache policy apt | head -3 | tail -1; apt-get check 2>&1 | tail -1")
        step("apt", st == 0, out.replace("\n", " "))
        st, out = run("perl -e 'my $s=0; $s+=$_ for 1..1000000; print \"$s\\n\"'")
        step("perl", out.endswith("500000500000"), out)
        st, out = run("python3 -c 'import hashlib,json,sqlite3; "
                      "print(hashlib.sha256(bytes(range(256))*4096).hexdigest())'")
        exp = hashlib.sha256(bytes(range(256)) * 4096).hexdigest()
        step("python3", out.endswith(exp), out[-64:])
        # 64 MiB of a deterministic stream, hashed in the guest and on the host
        big = "seq 1 8000000"
        exp = hashlib.sha256("".join(f"{i}\n" for i in range(1, 8000001)).encode()).hexdigest()
        ts = time.monotonic()
        st, out = run(f"{big} > /root/big; ls -l /root/big | cut -d' ' -f5; sha256sum /root/big",
                      timeout=1200)
        step("sha256sum 64MiB", exp in out, f"{time.monotonic() - ts:.1f}s")
        ts = time.monotonic()
        st, out = run("gzip -k /root/big && xz -T1 -1 -k /root/big && "
                      "gzip -dc /root/big.gz | sha256sum && xz -dc /root/big.xz | sha256sum",
                      timeout=1800)
        step("gzip/xz roundtrip", out.count(exp) == 2, f"{time.monotonic() - ts:.1f}s")
        st, out = run("sync; rm -f /root/big*; nproc; cat /proc/cpuinfo | grep -c processor")
        step("nproc", out.splitlines()[0] == str(a.cpus), out.replace("\n", " "))
        st, out = run("dmesg --level=err,warn | grep -v -e 'not found' | tail -20")
        print("dmesg warnings:\n" + out)
        if not a.no_reboot:
            child.sendline("reboot")
            tr = time.monotonic()
            login("after reboot")
            step("reboot", True, f"{time.monotonic() - tr:.1f}s to login")
            st, out = run("systemctl is-system-running --wait", timeout=600)
            step("is-system-running after reboot", out.endswith(("running", "degraded")),
                 out.splitlines()[-1] if out else "")
        child.sendline("poweroff")
        tp = time.monotonic()
        child.expect(pexpect.EOF, timeout=300)
        child.close()
        ok = child.exitstatus == 0
        step("poweroff", ok, f"exit {child.exitstatus} after {time.monotonic() - tp:.1f}s")
        print(f"{a.vmm} cpus={a.cpus}: time to first login prompt "
              f"{t_login:.1f}s")
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        step("console", False, type(e).__name__)
        print("last output:\n" + (child.before or "")[-3000:])
        child.terminate(force=True)
    finally:
        if logf:
            logf.close()
        subprocess.run(["rm", "-rf", tmp])
    print("RESULT " + ("ok" if not failed else "FAIL " + ", ".join(failed)))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
