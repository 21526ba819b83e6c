# SPDX-License-Identifier: MIT
"""Idle costs nothing (issue 4): a booted guest sitting at its shell prompt
makes the rvisor process use less than 1% of one host core, with 1 vCPU and
with 4. Idle vCPUs block in WFI until an interrupt or their timer deadline,
and the I/O thread sleeps in its event loop; a busy-polling thread shows up
here at once.

The figure is the process's own CPU time (utime + stime of all its threads,
from /proc/PID/stat) divided by the elapsed time of a 30 s window that starts
5 s after the prompt: a ratio on the process itself, not a wall-clock limit
on a workload. Every run prints the figures and the busiest threads, pass or
fail.
"""
import os
import time

import pexpect
import pytest

from conftest import PROMPT, Guest, guest_file, spawn_rvisor

SETTLE_S = 5.0
WINDOW_S = 30.0
LIMIT_PCT = 1.0
HZ = os.sysconf("SC_CLK_TCK")


def stat_ticks(path):
    """utime + stime (clock ticks) from a /proc stat file."""
    with open(path) as f:
        text = f.read()
    # comm may hold spaces and parentheses: the fields start after the last ')'
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)


def thread_ticks(pid):
    """{tid: (name, ticks)} for every thread of pid."""
    out = {}
    task = f"/proc/{pid}/task"
    for tid in os.listdir(task):
        try:
            with open(f"{task}/{tid}/comm") as f:
                name = f.read().strip()
            out[tid] = (name, stat_ticks(f"{task}/{tid}/stat"))
        except OSError:
            pass  # the thread ended between listdir and open
    return out


def measure(pid, seconds):
    """CPU % of one core used by pid over `seconds`, and a per-thread report."""
    t0, c0, th0 = time.monotonic(), stat_ticks(f"/proc/{pid}/stat"), thread_ticks(pid)
    time.sleep(seconds)
    t1, c1, th1 = time.monotonic(), stat_ticks(f"/proc/{pid}/stat"), thread_ticks(pid)
    elapsed = t1 - t0
    pct = 100.0 * (c1 - c0) / HZ / elapsed
    rows = []
    for tid, (name, ticks) in th1.items():
        used = ticks - th0.get(tid, (name, 0))[1]
        rows.append((used, tid, name))
    rows.sort(reverse=True)
    report = "; ".join(f"tid {tid} ({name}) {used / HZ:.2f} s" for used, tid, name in rows[:6])
    figures = (f"{(c1 - c0) / HZ:.2f} s CPU over {elapsed:.1f} s = {pct:.2f} % of one core "
               f"({len(th1)} threads; busiest: {report})")
    return pct, figures


# What an idle guest still costs is its kernel's own timers: each vCPU wake-up
# is ~0.5 ms of host CPU (cold guest code and block lookups). The default
# guest turns off the housekeeping timers that woke idle vCPUs several times
# a second (guest/skel/common/etc/sysctl.conf: proactive compaction, the
# soft-lockup watchdog, 1 s vmstat updates). Measured 2026-11-28 on a busy
# 2-core host: 1 vCPU 0.13 %, 4 vCPUs 0.20 %; with those timers left on,
# 0.33 % and 0.80-0.90 %.
@pytest.mark.parametrize("cpus", [1, 4])
def test_idle_guest_uses_under_one_percent(cpus):
    child = spawn_rvisor(["run", "--kernel", guest_file("Image"),
                          "--initrd", guest_file("initrd.cpio.gz"),
                          "--mem", "256M", "--cpus", str(cpus),
                          "--append", "console=ttyS0 quiet"])
    try:
        child.expect("rvisor-guest: init done")
        child.expect(PROMPT)
        guest = Guest(child)
        status, out = guest.run("nproc")
        assert status == 0 and out.splitlines()[-1] == str(cpus), out
        time.sleep(SETTLE_S)
        pct, figures = measure(child.pid, WINDOW_S)
        print(f"\nidle with --cpus {cpus}: {figures}")
        # the guest must still be alive and answering, not stuck
        status, out = guest.run("echo still-here", timeout=120)
        assert status == 0 and "still-here" in out
        assert pct < LIMIT_PCT, f"idle guest with --cpus {cpus}: {figures}"
    finally:
        if child.isalive():
            child.sendline("poweroff")
            try:
                child.expect(pexpect.EOF, timeout=120)
            except pexpect.TIMEOUT:
                child.terminate(force=True)
        child.close()
