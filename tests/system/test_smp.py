# SPDX-License-Identifier: MIT
"""SMP guests: the Debian kernel brings up every vCPU through SBI HSM, and a
parallel workload (one process per vCPU, each on its own host thread) gives
correct results. Uses 4 vCPUs on a 2-core host on purpose: vCPUs must not
assume a host core each."""
import hashlib

import pexpect
import pytest

from conftest import PROMPT, Guest, guest_file, spawn_rvisor


@pytest.fixture(scope="module")
def smp_guest():
    child = spawn_rvisor(["run", "--kernel", guest_file("Image"),
                          "--initrd", guest_file("initrd.cpio.gz"),
                          "--mem", "256M", "--cpus", "4", "--append", "console=ttyS0 quiet"])
    child.expect("rvisor-guest: init done")
    child.expect(PROMPT)
    yield Guest(child)
    child.sendline("poweroff")
    child.expect(pexpect.EOF, timeout=300)
    child.close()
    assert child.exitstatus == 0


def test_nproc(smp_guest):
    status, out = smp_guest.run("nproc")
    assert status == 0
    assert out.splitlines()[-1] == "4"


def test_every_cpu_online(smp_guest):
    status, out = smp_guest.run("cat /sys/devices/system/cpu/online")
    assert out.splitlines()[-1] == "0-3"


def test_parallel_hashes(smp_guest):
    # four concurrent hash pipelines, one pinned to each vCPU
    cmd = ("for c in 0 1 2 3; do (taskset -c $c sh -c \"seq $((c*1000+1)) 60000 | sha256sum\" "
           "> /tmp/h$c) & done; wait; cat /tmp/h0 /tmp/h1 /tmp/h2 /tmp/h3")
    status, out = smp_guest.run(cmd, timeout=900)
    assert status == 0
    got = [l.split()[0] for l in out.splitlines() if l.endswith("-")]
    want = [hashlib.sha256("".join(f"{i}\n" for i in range(c * 1000 + 1, 60001)).encode())
            .hexdigest() for c in range(4)]
    assert got == want


def test_ipis_and_migration(smp_guest):
    # moving a task between CPUs exercises IPIs and remote fences
    status, out = smp_guest.run("for c in 0 1 2 3 2 1 0; do taskset -c $c true || echo FAIL; done;"
                                " grep -c . /proc/interrupts")
    assert status == 0
    assert "FAIL" not in out
