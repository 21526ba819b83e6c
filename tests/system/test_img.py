# SPDX-License-Identifier: MIT
"""`rvisor img create|info` against qemu-img, and what `rvisor run` says
about bad --disk specs and broken images: one line naming the file and the
problem, exit status 2, before the guest starts. No guest is booted."""
import json
import os
import subprocess

import pytest

from conftest import RVISOR, guest_file


def rv(args, timeout=60):
    return subprocess.run([RVISOR] + args, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def qemu_img(*args):
    r = subprocess.run(["qemu-img"] + list(args), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def one_line(err):
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_create_qcow2_and_overlay(tmp_path):
    base, top = tmp_path / "base.qcow2", tmp_path / "top.qcow2"
    r = rv(["img", "create", "-f", "qcow2", str(base), "64M"])
    assert r.returncode == 0, r.stderr
    r = rv(["img", "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", str(top)])
    assert r.returncode == 0, r.stderr
    info = json.loads(qemu_img("info", "--output=json", str(top)))
    assert info["format"] == "qcow2" and info["virtual-size"] == 64 << 20
    assert info["backing-filename"] == "base.qcow2"
    assert info["backing-filename-format"] == "qcow2"
    for img in (base, top):
        out = json.loads(qemu_img("check", "--output=json", str(img)))
        assert out["check-errors"] == 0 and "leaks" not in out and "corruptions" not in out
    r = rv(["img", "info", str(top)])
    assert r.returncode == 0
    assert "file format: qcow2" in r.stdout
    assert "virtual size: 64 MiB (67108864 bytes)" in r.stdout
    assert "backing file: base.qcow2" in r.stdout
    assert "backing file format: qcow2" in r.stdout
    # never replaces an existing file
    r = rv(["img", "create", "-f", "qcow2", str(base), "1M"])
    assert r.returncode == 2 and str(base) in one_line(r.stderr)
    assert json.loads(qemu_img("info", "--output=json", str(base)))["virtual-size"] == 64 << 20


def test_overlay_on_qemu_made_raw(tmp_path):
    raw, top = tmp_path / "base.raw", tmp_path / "top.qcow2"
    qemu_img("create", "-f", "raw", str(raw), "10M")
    r = rv(["img", "create", "-f", "qcow2", "-b", "base.raw", str(top), "20M"])
    assert r.returncode == 0, r.stderr
    info = json.loads(qemu_img("info", "--output=json", str(top)))
    assert info["virtual-size"] == 20 << 20
    assert info["backing-filename-format"] == "raw"  # probed


def test_create_raw(tmp_path):
    path = tmp_path / "disk.raw"
    r = rv(["img", "create", str(path), "1G"])
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(path) == 1 << 30
    r = rv(["img", "info", str(path)])
    assert "file format: raw" in r.stdout and "(1073741824 bytes)" in r.stdout
    r = rv(["img", "create", str(tmp_path / "b.raw"), "4096"])  # bare number: bytes
    assert r.returncode == 0 and os.path.getsize(tmp_path / "b.raw") == 4096


@pytest.mark.parametrize("args,word", [
    (["img"], "usage"),
    (["img", "frobnicate"], "frobnicate"),
    (["img", "create", "-f", "vmdk", "x", "1M"], "vmdk"),
    (["img", "create", "-f", "qcow2", "x"], "SIZE"),
    (["img", "create", "x"], "SIZE"),
    (["img", "create", "x", "lots"], "lots"),
    (["img", "create", "-b", "y", "x"], "-f qcow2"),
    (["img", "info"], "FILE"),
])
def test_img_bad_usage(tmp_path, args, word):
    r = subprocess.run([RVISOR] + args, capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2
    assert word in r.stderr
    assert not os.path.exists(tmp_path / "x")


def test_missing_backing_file(tmp_path):
    base, top = tmp_path / "base.qcow2", tmp_path / "top.qcow2"
    qemu_img("create", "-f", "qcow2", str(base), "8M")
    qemu_img("create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", str(top))
    os.unlink(base)
    r = rv(["img", "info", str(top)])
    assert r.returncode == 2
    assert "base.qcow2" in one_line(r.stderr)
    r = rv(["run", "--kernel", guest_file("Image"), "--disk", str(top)])
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert "base.qcow2" in line and "No such file" in line


@pytest.mark.parametrize("opts,word", [
    (",format=vmdk", "vmdk"),
    (",readonly=maybe", "readonly"),
    (",cache=sometimes", "sometimes"),
    (",bogus=1", "bogus"),
    (",serial=" + "x" * 21, "serial"),
    (",format", "key=value"),
])
def test_bad_disk_spec(tmp_path, opts, word):
    disk = tmp_path / "d.raw"
    disk.write_bytes(b"\0" * 4096)
    r = rv(["run", "--kernel", guest_file("Image"), "--disk", str(disk) + opts])
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert str(disk) in line and word in line


def test_bad_images(tmp_path):
    missing = tmp_path / "missing.raw"
    r = rv(["run", "--kernel", guest_file("Image"), "--disk", str(missing)])
    assert r.returncode == 2
    assert str(missing) in one_line(r.stderr)
    # qcow2 magic, then garbage
    bad = tmp_path / "bad.qcow2"
    bad.write_bytes(b"QFI\xfb" + b"\xff" * 1020)
    r = rv(["run", "--kernel", guest_file("Image"), "--disk", str(bad)])
    assert r.returncode == 2
    assert str(bad) in one_line(r.stderr)
    # truncated: a valid header whose tables are gone
    trunc = tmp_path / "trunc.qcow2"
    qemu_img("create", "-f", "qcow2", str(trunc), "64M")
    with open(trunc, "r+b") as f:
        f.truncate(1024)
    r = rv(["run", "--kernel", guest_file("Image"), "--disk", str(trunc)])
    assert r.returncode == 2
    assert str(trunc) in one_line(r.stderr)
    # the format forced to qcow2 on a raw file
    raw = tmp_path / "plain.raw"
    raw.write_bytes(b"\0" * 65536)
    r = rv(["run", "--kernel", guest_file("Image"), "--disk", f"{raw},format=qcow2"])
    assert r.returncode == 2
    assert str(raw) in one_line(r.stderr)


def test_too_many_devices(tmp_path):
    disk = tmp_path / "d.raw"
    disk.write_bytes(b"\0" * 4096)
    args = ["run", "--kernel", guest_file("Image")]
    for _ in range(8):
        args += ["--disk", f"{disk},readonly=on"]
    r = rv(args)  # 8 disks + the rng: one slot short
    assert r.returncode == 2
    assert "too many virtio devices" in one_line(r.stderr)


def test_help_lists_device_options():
    r = rv(["run", "--help"])
    for flag in ["--disk", "--vport", "--no-rng"]:
        assert flag in r.stdout
    r = rv(["img", "--help"])
    assert r.returncode == 0 and "create" in r.stdout and "info" in r.stdout
