# SPDX-License-Identifier: MIT
"""virtio-console, virtio-rng and virtio-blk details, in one boot of the
default initramfs guest whose console is hvc0 (virtio-console port 0 on a
unix socket, --vport) instead of the UART:
  - the shell on hvc0 through the socket, its size from the device config,
    large output (transmit back-pressure) and input (receive buffers);
  - /dev/hwrng served by virtio-rng;
  - a scratch raw disk read and written by the guest and checked on the
    host, and a read-only disk (readonly=on, serial=) the guest cannot write;
  - a guest reboot, after which every device works again (devices reset);
  - poweroff: exit status 0, the socket file removed."""
import hashlib
import os
import re
import socket
import subprocess
import time

import pexpect
import pexpect.fdpexpect
import pytest

from conftest import BOOT_TIMEOUT, PROMPT, RVISOR, Guest, guest_file

MiB = 1 << 20


def pattern(n, seed):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%d:%d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])


class HvcVM:
    def __init__(self, tmp):
        self.tmp = tmp
        self.sock = str(tmp / "hvc.sock")
        self.scratch = tmp / "scratch.raw"
        self.scratch.write_bytes(pattern(8 * MiB, 1))
        self.ro = tmp / "ro.raw"
        self.ro_data = pattern(1 * MiB, 2)
        self.ro.write_bytes(self.ro_data)
        self.log = open(tmp / "uart.log", "w")
        self.proc = subprocess.Popen(
            [RVISOR, "run", "--kernel", guest_file("Image"), "--initrd",
             guest_file("initrd.cpio.gz"), "--mem", "256M",
             "--disk", str(self.scratch), "--disk", f"{self.ro},readonly=on,serial=ro-disk",
             "--vport", self.sock, "--append", "console=ttyS0 console=hvc0 quiet"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(600):
            if os.path.exists(self.sock) or self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(self.sock)
        self.child = pexpect.fdpexpect.fdspawn(self.s.fileno(), encoding="utf-8",
                                               codec_errors="replace", timeout=BOOT_TIMEOUT)
        self.child.expect(PROMPT)
        self.guest = Guest(self.child)
        # The size the driver read from the device config; then widen the
        # terminal so that long command lines do not wrap in the echo.
        self.size = self.guest.run("stty size")[1]
        self.guest.run("stty cols 1000")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.s.close()
        self.log.close()


@pytest.fixture(scope="module")
def vm(tmp_path_factory):
    v = HvcVM(tmp_path_factory.mktemp("hvc"))
    yield v
    v.close()


def test_shell_on_hvc0(vm):
    assert vm.size == "24 80"
    status, out = vm.guest.run("tty; uname -m")
    assert status == 0
    assert out.splitlines() == ["/dev/hvc0", "riscv64"]


def test_hwrng(vm):
    status, out = vm.guest.run("cat /sys/class/misc/hw_random/rng_current; "
                               "head -c 16 /dev/hwrng | wc -c")
    assert status == 0
    assert out.splitlines() == ["virtio_rng.0", "16"]
    # random bytes do not compress
    status, out = vm.guest.run("head -c 65536 /dev/hwrng | gzip -c | wc -c")
    assert status == 0 and int(out.split()[-1]) > 65536


def test_large_output(vm):
    # 20000 lines, ~110 kB, through the transmit queue and the socket
    status, out = vm.guest.run("seq 1 20000", timeout=600)
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 20000 and lines[0] == "1" and lines[-1] == "20000"


def test_input(vm):
    vm.child.sendline("cat > /tmp/in")
    for i in range(50):
        vm.child.send("%04d" % i + "x" * 95 + "\n")
    vm.child.send("\x04")  # Ctrl-D: end of input
    vm.child.expect(PROMPT)
    status, out = vm.guest.run("wc -c < /tmp/in; tail -n 1 /tmp/in")
    assert status == 0
    assert out.splitlines() == ["5000", "0049" + "x" * 95]


def test_scratch_disk_read(vm):
    status, out = vm.guest.run("dd if=/dev/vda bs=64k count=64 2>/dev/null | sha256sum")
    assert status == 0
    assert out.split()[0] == hashlib.sha256(pattern(8 * MiB, 1)[:4 * MiB]).hexdigest()


def test_scratch_disk_write(vm):
    status, out = vm.guest.run(
        "dd if=/dev/urandom of=/dev/vda bs=64k seek=16 count=16 conv=fsync 2>/dev/null && "
        "echo 3 > /proc/sys/vm/drop_caches && "
        "dd if=/dev/vda bs=64k skip=16 count=16 2>/dev/null | sha256sum")
    assert status == 0
    with open(vm.scratch, "rb") as f:
        data = f.read()
    assert hashlib.sha256(data[MiB:2 * MiB]).hexdigest() == out.split()[0]
    assert data[:MiB] == pattern(MiB, 1) and data[2 * MiB:] == pattern(8 * MiB, 1)[2 * MiB:]


def test_readonly_disk(vm):
    status, out = vm.guest.run("cat /sys/block/vdb/ro /sys/block/vdb/serial")
    assert status == 0
    assert out.splitlines() == ["1", "ro-disk"]
    status, out = vm.guest.run("dd if=/dev/zero of=/dev/vdb bs=512 count=1 conv=fsync")
    assert status != 0
    status, out = vm.guest.run("dd if=/dev/vdb bs=64k 2>/dev/null | sha256sum")
    assert out.split()[0] == hashlib.sha256(vm.ro_data).hexdigest()
    assert vm.ro.read_bytes() == vm.ro_data


def test_reboot_resets_devices(vm):
    vm.child.sendline("reboot")
    # the new shell's banner on hvc0 (init's own messages go to the UART)
    vm.child.expect("built-in shell", timeout=BOOT_TIMEOUT)
    vm.child.expect(PROMPT, timeout=BOOT_TIMEOUT)
    vm.guest.run("stty cols 1000")
    status, out = vm.guest.run("tty; head -c 16 /dev/hwrng | wc -c; "
                               "dd if=/dev/vda bs=64k count=16 2>/dev/null | sha256sum")
    assert status == 0
    lines = out.splitlines()
    assert lines[:2] == ["/dev/hvc0", "16"]
    assert lines[2].split()[0] == hashlib.sha256(pattern(MiB, 1)).hexdigest()


def test_poweroff(vm):
    vm.child.sendline("poweroff")
    assert vm.proc.wait(timeout=300) == 0
    assert not os.path.exists(vm.sock)
    with open(vm.tmp / "uart.log") as f:
        log = f.read()
    assert "AddressSanitizer" not in log and "needs reset" not in log
