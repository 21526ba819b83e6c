# SPDX-License-Identifier: MIT
"""Root on virtio-blk: boot guest/out/rootfs.ext4 with root=/dev/vda from
  raw         a copy of the raw image,
  qcow2       a qcow2 made by `qemu-img convert -O qcow2`,
  overlay     a qcow2 overlay made by `rvisor img create -b` on a qcow2 base,
  compressed  a compressed qcow2 (`qemu-img convert -c`),
once each (a module-scoped fixture per image kind). In the guest: write a
few MB, sync, read back after dropping the page cache, discard freed
blocks (fstrim); then power off and check on the host: `qemu-img check`
finds no errors or leaks, `e2fsck -fn` is clean, the file the guest wrote
has the checksum the guest computed, and an overlay's base is unchanged."""
import hashlib
import os
import re
import shutil
import subprocess

import pexpect
import pytest

from conftest import PROMPT, RVISOR, Guest, guest_file, spawn_rvisor

KINDS = ["raw", "qcow2", "overlay", "compressed"]


def sh(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    assert r.returncode == 0, f"{args}: {r.stdout}{r.stderr}"
    return r.stdout


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Disk:
    """One booted VM with its root disk and what the tests learned."""

    def __init__(self, kind, tmp):
        self.kind, self.tmp = kind, tmp
        self.base = None
        self.base_sha = None
        self.guest_sha = None
        self.exitstatus = None
        rootfs = guest_file("rootfs.ext4")
        if kind == "raw":
            self.path = str(tmp / "root.raw")
            shutil.copyfile(rootfs, self.path)
        elif kind in ("qcow2", "compressed"):
            self.path = str(tmp / "root.qcow2")
            sh("qemu-img", "convert", *(["-c"] if kind == "compressed" else []),
               "-f", "raw", "-O", "qcow2", rootfs, self.path)
        else:
            self.base = str(tmp / "base.qcow2")
            sh("qemu-img", "convert", "-f", "raw", "-O", "qcow2", rootfs, self.base)
            self.base_sha = sha256(self.base)
            self.path = str(tmp / "overlay.qcow2")
            sh(RVISOR, "img", "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2",
               self.path)
        self.child = spawn_rvisor(["run", "--kernel", guest_file("Image"),
                                   "--initrd", guest_file("initrd.cpio.gz"), "--mem", "256M",
                                   "--disk", self.path,
                                   "--append", "console=ttyS0 root=/dev/vda rw quiet"])
        self.child.expect("rvisor-guest: init done")
        self.child.expect(PROMPT)
        self.guest = Guest(self.child)

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)


@pytest.fixture(scope="module", params=KINDS)
def disk(request, tmp_path_factory):
    d = Disk(request.param, tmp_path_factory.mktemp(request.param))
    yield d
    d.close()


def test_root_is_virtio_disk(disk):
    status, out = disk.guest.run("grep ' / ' /proc/mounts; cat /sys/block/vda/serial")
    assert status == 0
    assert re.search(r"^/dev/vda / ext4 rw", out, re.M), out
    # GET_ID: the image's file name, at most 20 bytes
    assert os.path.basename(disk.path)[:20] in out


def test_write_sync_read_back(disk):
    status, out = disk.guest.run(
        "dd if=/dev/urandom of=/root/data bs=1M count=6 && sync && sha256sum /root/data",
        timeout=600)
    assert status == 0, out
    disk.guest_sha = out.split()[-2]
    assert re.fullmatch(r"[0-9a-f]{64}", disk.guest_sha)
    # read it back from the disk, not from the page cache
    status, out = disk.guest.run("echo 3 > /proc/sys/vm/drop_caches; sha256sum /root/data",
                                 timeout=600)
    assert status == 0
    assert out.split()[-2] == disk.guest_sha


def test_whole_disk_readable(disk):
    status, out = disk.guest.run("dd if=/dev/vda of=/dev/null bs=64k 2>&1 | tail -1", timeout=600)
    assert status == 0, out


def test_discard(disk):
    # write and delete a file, then discard the free blocks
    status, out = disk.guest.run("dd if=/dev/zero of=/root/junk bs=1M count=4 && sync && "
                                 "rm /root/junk && sync && fstrim -v /", timeout=600)
    assert status == 0, out
    assert "trimmed" in out


def test_poweroff_leaves_consistent_image(disk, tmp_path):
    disk.child.sendline("poweroff")
    disk.child.expect(pexpect.EOF, timeout=300)
    disk.child.close()
    assert disk.child.exitstatus == 0
    raw = disk.path
    if disk.kind != "raw":
        out = sh("qemu-img", "check", "--output=json", disk.path)
        assert '"check-errors": 0' in out, out
        assert '"leaks"' not in out and '"corruptions"' not in out, out
        raw = str(tmp_path / "converted.raw")
        sh("qemu-img", "convert", "-O", "raw", disk.path, raw)
    r = subprocess.run(["e2fsck", "-fn", raw], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    # the file the guest wrote, as the host sees it
    dump = str(tmp_path / "data")
    sh("debugfs", "-R", f"dump /root/data {dump}", raw)
    assert disk.guest_sha and sha256(dump) == disk.guest_sha
    if disk.base:
        assert sha256(disk.base) == disk.base_sha
