#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Boot the built guest under QEMU and check that it works.

    /usr/bin/python3 guest/smoke_qemu.py [OUTDIR]      (default guest/out)

QEMU's `virt` board is the reference the guest recipe is checked against,
independently of rvisor. Two boots:

  1. initramfs only: shell prompt, virtio modules loaded, job control
     (Ctrl-C reaches a foreground job), `reboot` boots again, `poweroff`
     ends QEMU.
  2. root disk (a copy of rootfs.ext4) with virtio-blk and virtio-net:
     switch_root to /dev/vda, DHCP lease 10.0.2.15 from QEMU's user
     network, `poweroff` ends QEMU, and the image passes `e2fsck -fn`.

Needs qemu-system-misc and python3-pexpect (Debian's; run with
/usr/bin/python3). Every wait has a timeout and QEMU is killed on any
failure, so nothing is left running.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import pexpect

PROMPT = r"rvisor:[^\r\n]*# "
MODULES = ["virtio_mmio", "virtio_blk", "virtio_net", "virtio_rng",
           "virtio_balloon", "ext4"]


LOGDIR = tempfile.mkdtemp(prefix="rvisor-smoke-log-")


def qemu(outdir, append, extra=()):
    """Start qemu-system-riscv64 on the guest; return the pexpect child."""
    cmd = ["qemu-system-riscv64", "-M", "virt", "-m", "256M", "-nographic",
           "-kernel", os.path.join(outdir, "Image"),
           "-initrd", os.path.join(outdir, "initrd.cpio.gz"),
           "-append", append, *extra]
    log = open(os.path.join(LOGDIR, "disk.log" if extra else "initramfs.log"), "w")
    child = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8",
                          codec_errors="replace", timeout=120)
    child.logfile_read = log
    return child


def shell(child, command, timeout=30):
    """Run one command at the prompt; return its output."""
    child.sendline(command)
    child.expect(PROMPT, timeout=timeout)
    # Drop the echoed command line.
    return child.before.split("\n", 1)[-1]


def boot_to_prompt(child):
    t0 = time.monotonic()
    child.expect("rvisor-guest: init done", timeout=180)
    child.expect(PROMPT, timeout=30)
    return time.monotonic() - t0


def poweroff(child):
    """Type poweroff; return QEMU's exit status and the shutdown output."""
    child.sendline("poweroff")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    return child.exitstatus, child.before


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        raise SystemExit("console logs kept in " + LOGDIR)


def boot_initramfs(outdir):
    child = qemu(outdir, "console=ttyS0")
    try:
        took = boot_to_prompt(child)
        print("     prompt after %.1f s (host time, QEMU start included)" % took)
        check("job control turned off" not in child.before, "shell has job control")
        lsmod = shell(child, "lsmod")
        for m in MODULES:
            check(m in lsmod, "lsmod shows " + m)
        check(shell(child, "hostname").strip() == "rvisor", "hostname is rvisor")
        # Ctrl-C must reach a foreground job: needs a controlling tty.
        child.sendline("sleep 100")
        time.sleep(1)
        child.sendcontrol("c")
        child.expect(PROMPT, timeout=10)
        check(True, "Ctrl-C interrupts a foreground job")
        # reboot resets the board: the guest boots again from the start.
        child.sendline("reboot")
        child.expect("reboot: Restarting system", timeout=60)
        boot_to_prompt(child)
        check(True, "reboot boots the guest again")
        status, _ = poweroff(child)
        check(status == 0, "poweroff ends QEMU")
    finally:
        child.terminate(force=True)


def boot_disk(outdir):
    tmp = tempfile.mkdtemp(prefix="rvisor-smoke-")
    disk = os.path.join(tmp, "rootfs.ext4")
    shutil.copyfile(os.path.join(outdir, "rootfs.ext4"), disk)
    child = qemu(outdir, "console=ttyS0 root=/dev/vda", [
        "-drive", "file=%s,format=raw,if=none,id=d0" % disk,
        "-device", "virtio-blk-device,drive=d0",
        "-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0"])
    try:
        child.expect("rvisor-guest: switching to root /dev/vda", timeout=180)
        boot_to_prompt(child)
        mounts = shell(child, "cat /proc/mounts")
        check("/dev/vda / ext4 rw" in mounts, "root is /dev/vda, ext4, rw")
        check("inet 10.0.2.15/24" in shell(child, "ip -4 addr show dev eth0"),
              "eth0 has 10.0.2.15/24 by DHCP")
        check("default via 10.0.2.2" in shell(child, "ip route"), "default route via 10.0.2.2")
        check("nameserver 10.0.2.3" in shell(child, "cat /etc/resolv.conf"),
              "resolv.conf from DHCP")
        status, out = poweroff(child)
        check(status == 0, "poweroff ends QEMU")
        check("cannot remount" not in out, "root remounted read-only at shutdown")
        fsck = subprocess.run(["e2fsck", "-fn", disk], capture_output=True, text=True)
        check(fsck.returncode == 0, "e2fsck -fn clean after poweroff")
    finally:
        child.terminate(force=True)
        shutil.rmtree(tmp)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "out")
    try:
        boot_initramfs(outdir)
        boot_disk(outdir)
    except pexpect.ExceptionPexpect as e:
        print("FAIL %s: %s" % (type(e).__name__, str(e).splitlines()[0]))
        raise SystemExit("console logs kept in " + LOGDIR)
    shutil.rmtree(LOGDIR)
    print("all checks passed")


if __name__ == "__main__":
    main()
