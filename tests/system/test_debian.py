# SPDX-License-Identifier: MIT
"""Boot a real Debian trixie system (systemd, udev, networkd, openssh,
apt) made by guest/debian-rootfs.sh, with Debian's kernel and Debian's own
initramfs, and check that it comes up the way it does under QEMU: login
prompt on ttyS0, `systemctl is-system-running` says running, no failed
unit, DHCP over user networking, dpkg works, clean poweroff.

Skipped when the image is absent (building it takes ~15 minutes and root:
`make debian`). DEBIAN_DIR overrides guest/out/debian. About 1-2 minutes
per boot on two cores.
"""
import os
import re
import subprocess

import pexpect
import pytest

from conftest import GUEST_DIR, RVISOR, spawn_rvisor

DEBIAN_DIR = os.environ.get("DEBIAN_DIR", os.path.join(GUEST_DIR, "debian"))
FILES = [os.path.join(DEBIAN_DIR, n) for n in ("vmlinux", "initrd.img", "rootfs.ext4")]
PROMPT = re.compile(r"root@rvisor-debian:[^\r\n]*# ")

pytestmark = pytest.mark.skipif(not all(os.path.exists(f) for f in FILES),
                                reason=f"no Debian image in {DEBIAN_DIR} (make debian)")


def run(child, cmd, timeout=300):
    child.sendline(f"{cmd}; echo __RVD__$?")
    child.expect(r"__RVD__(\d+)", timeout=timeout)
    out = child.before.replace("\r", "").split("\n", 1)
    status = int(child.match.group(1))
    child.expect(PROMPT, timeout=timeout)
    return status, (out[1] if len(out) > 1 else "").strip()


@pytest.mark.parametrize("cpus", [1, 2])
def test_debian_systemd_boots_to_running(tmp_path, cpus):
    kernel, initrd, image = FILES
    overlay = str(tmp_path / "root.qcow2")
    subprocess.run([RVISOR, "img", "create", "-f", "qcow2", "-b", image, "-F", "raw", overlay],
                   check=True, stdout=subprocess.DEVNULL)
    child = spawn_rvisor(["run", "--kernel", kernel, "--initrd", initrd, "--disk", overlay,
                          "--net", "user", "--mem", "512M", "--cpus", str(cpus),
                          "--append", "console=ttyS0 root=/dev/vda rw"])
    try:
        child.expect("rvisor-debian login: ")
        child.sendline("root")
        child.expect("Password:", timeout=120)
        child.sendline("root")
        child.expect(PROMPT, timeout=300)
        run(child, "export SYSTEMD_PAGER= PAGER=cat TERM=dumb")
        _, out = run(child, "systemctl is-system-running --wait", timeout=600)
        state = out.splitlines()[-1] if out else ""
        if state != "running":
            _, failed = run(child, "systemctl --failed --no-legend --plain")
            pytest.fail(f"system state {state!r}; failed units:\n{failed}")
        status, out = run(child, "ip -color=never -4 -o addr show dev eth0; "
                          "ip -color=never route show default")
        assert "inet 10.0.2.15/24" in out and "default via 10.0.2.2" in out, out
        status, out = run(child, "nproc; dpkg -l | grep -c ^ii; dpkg --audit")
        lines = out.splitlines()
        assert status == 0 and lines[0] == str(cpus) and int(lines[1]) > 100, out
        status, out = run(child, "perl -le 'print 6*7'; python3 -c 'print(2**64)'")
        assert out.splitlines() == ["42", "18446744073709551616"], out
        child.sendline("poweroff")
        child.expect("reboot: Power down", timeout=300)
        child.expect(pexpect.EOF, timeout=60)
        child.close()
        assert child.exitstatus == 0
    finally:
        if child.isalive():
            child.terminate(force=True)
