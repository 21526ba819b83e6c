# SPDX-License-Identifier: MIT
"""Fixtures for system tests: boot the default guest once per session with
the real rvisor binary and drive it through its serial console (pexpect),
as Firecracker's integration tests do.

Paths come from the environment (set by `make test`), with defaults that
work from the repository root:
  RVISOR      path to the rvisor binary        (build/rvisor)
  GUEST_DIR   directory with Image, initrd...  (guest/out)
"""
import os
import re
import sys

import pexpect
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RVISOR = os.environ.get("RVISOR", os.path.join(ROOT, "build", "rvisor"))
GUEST_DIR = os.environ.get("GUEST_DIR", os.path.join(ROOT, "guest", "out"))

# busybox ash prints "rvisor:<cwd># " then a cursor-position query; match the prompt only.
PROMPT = re.compile(r"rvisor:[^\r\n]*# ")
BOOT_TIMEOUT = int(os.environ.get("BOOT_TIMEOUT", "600"))


def guest_file(name):
    path = os.path.join(GUEST_DIR, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run `make guest` first")
    return path


class Guest:
    """A booted guest with a shell on its console."""

    def __init__(self, child):
        self.child = child

    def run(self, cmd, timeout=300):
        """Run a shell command; return its output (without echo and prompt)."""
        marker = "__RV_DONE__"
        self.child.sendline(f"{cmd}; echo {marker}$?")
        self.child.expect(re.escape(marker) + r"(\d+)", timeout=timeout)
        out = self.child.before
        status = int(self.child.match.group(1))
        self.child.expect(PROMPT, timeout=timeout)
        # drop the echoed command line
        lines = out.replace("\r", "").split("\n")
        return status, "\n".join(lines[1:]).strip()


def spawn_rvisor(args, **kw):
    child = pexpect.spawn(RVISOR, args, encoding="utf-8", codec_errors="replace",
                          timeout=BOOT_TIMEOUT, **kw)
    child.logfile_read = sys.stdout if os.environ.get("RV_VERBOSE") else None
    return child


@pytest.fixture(scope="session")
def guest():
    child = spawn_rvisor(["run", "--kernel", guest_file("Image"),
                          "--initrd", guest_file("initrd.cpio.gz"),
                          "--mem", "256M", "--append", "console=ttyS0 quiet"])
    child.expect("rvisor-guest: init done")
    child.expect(PROMPT)
    g = Guest(child)
    yield g
    if child.isalive():
        child.sendline("poweroff")
        child.expect(pexpect.EOF, timeout=120)
        child.close()
