# SPDX-License-Identifier: MIT
"""Boot the unmodified Debian kernel with the default initramfs and check
that the guest works: architecture, CPU description, a CPU-bound workload
whose result the host can verify, and a clean poweroff."""
import hashlib
import os
import re

import pexpect

from conftest import PROMPT, guest_file, spawn_rvisor


def test_uname_is_riscv64(guest):
    status, out = guest.run("uname -m")
    assert status == 0
    assert out.splitlines()[-1] == "riscv64"


def test_cpuinfo_describes_our_hart(guest):
    status, out = guest.run("cat /proc/cpuinfo")
    assert status == 0
    assert "processor\t: 0" in out
    assert re.search(r"isa\s*: rv64imafdc", out), out
    assert "mmu\t\t: sv48" in out


def test_sha256_matches_host(guest):
    # 1..200000, one per line: ~1.3 MB of data generated in the guest
    status, out = guest.run("seq 1 200000 | sha256sum", timeout=600)
    assert status == 0
    expect = hashlib.sha256("".join(f"{i}\n" for i in range(1, 200001)).encode()).hexdigest()
    assert out.split()[0] == expect


def test_virtio_modules_loaded(guest):
    status, out = guest.run("lsmod")
    assert status == 0
    assert "virtio_mmio" in out


def test_floating_point_in_userspace(guest):
    # busybox awk computes in double precision
    status, out = guest.run("awk 'BEGIN { s = 0; for (i = 1; i <= 1000; i++) s += 1 / i; "
                            "printf \"%.12f\\n\", s }'")
    assert status == 0
    assert out.splitlines()[-1] == "7.485470860550"


def test_reboot_then_poweroff_exits_zero():
    child = spawn_rvisor(["run", "--kernel", guest_file("Image"),
                          "--initrd", guest_file("initrd.cpio.gz"),
                          "--mem", "128M", "--append", "console=ttyS0 quiet"])
    child.expect(PROMPT)
    # reboot restarts the same VM process: the kernel boots a second time
    child.sendline("echo before > /tmp/marker; reboot")
    child.expect("rvisor-guest: init done")
    child.expect(PROMPT)
    child.sendline("cat /tmp/marker 2>&1 | head -1")
    child.expect("No such file")  # a fresh initramfs, not the old one
    child.expect(PROMPT)
    child.sendline("poweroff")
    child.expect(pexpect.EOF, timeout=300)
    child.close()
    assert child.exitstatus == 0
