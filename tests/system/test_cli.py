# SPDX-License-Identifier: MIT
"""Bad input to `rvisor run` gets a one-line error naming the problem,
and a guest that crashes stops the VM with a register dump, never a host
crash."""
import os
import subprocess

from conftest import RVISOR


def run(args, timeout=60):
    return subprocess.run([RVISOR] + args, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def one_line(err):
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_help_documents_every_flag():
    r = run(["run", "--help"])
    assert r.returncode == 0
    for flag in ["--kernel", "--initrd", "--append", "--mem", "--cpus"]:
        assert flag in r.stdout


def test_missing_kernel(tmp_path):
    path = tmp_path / "nope"
    r = run(["run", "--kernel", str(path)])
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert str(path) in line and "No such file" in line


def test_truncated_kernel(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(b"MZ" + b"\0" * 30)
    r = run(["run", "--kernel", str(path)])
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert str(path) in line and "truncated" in line


def test_not_an_image(tmp_path):
    path = tmp_path / "text"
    path.write_bytes(b"hello world\n" * 100)
    r = run(["run", "--kernel", str(path)])
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert str(path) in line and "not a RISC-V Linux Image" in line


def test_truncated_real_kernel(tmp_path):
    from conftest import guest_file
    data = open(guest_file("Image"), "rb").read()
    path = tmp_path / "half"
    path.write_bytes(data[: len(data) // 2])
    r = run(["run", "--kernel", str(path)])
    assert r.returncode == 2
    assert "truncated" in one_line(r.stderr)


def test_bad_flags():
    for args, word in [(["run", "--kernel", "x", "--mem", "lots"], "--mem"),
                       (["run", "--kernel", "x", "--cpus", "0"], "--cpus"),
                       (["run", "--kernel", "x", "--cpus", "33"], "--cpus"),
                       (["run", "--bogus"], "--bogus"),
                       (["run"], "--kernel")]:
        r = run(args)
        assert r.returncode == 2, args
        assert word in one_line(r.stderr), args


def image_with_code(tmp_path, code):
    """A minimal flat Image whose first instructions are `code` (bytes)."""
    hdr = bytearray(64)
    hdr[0:4] = (0x0400006f).to_bytes(4, "little")  # j +64: skip the header
    hdr[8:16] = (0x200000).to_bytes(8, "little")   # text_offset
    hdr[16:24] = (4096).to_bytes(8, "little")       # image_size
    hdr[0x30:0x38] = b"RISCV\0\0\0"
    hdr[0x38:0x3c] = b"RSC\x05"
    path = tmp_path / "img"
    path.write_bytes(bytes(hdr) + code + b"\0" * 64)
    return path


def test_guest_crash_gives_register_dump(tmp_path):
    # csrw stvec, zero ; then an illegal instruction: the trap goes to
    # address 0, which is not RAM, so the guest can never continue.
    code = (0x10501073).to_bytes(4, "little") + (0).to_bytes(4, "little")
    r = run(["run", "--kernel", str(image_with_code(tmp_path, code)), "--mem", "64M"])
    assert r.returncode == 3
    assert "guest error" in r.stderr
    assert "sepc" in r.stderr and "scause 0000000000000002" in r.stderr


def test_sbi_shutdown_status(tmp_path):
    # li a7, SRST; li a6, 0; li a0, 0 (shutdown); li a1, 1 (failure); ecall
    code = b"".join(x.to_bytes(4, "little") for x in [
        0x535258b7,  # lui a7, 0x53525
        0x35488893,  # addi a7, a7, 0x354
        0x00000813,  # li a6, 0
        0x00000513,  # li a0, 0
        0x00100593,  # li a1, 1
        0x00000073,  # ecall
    ])
    r = run(["run", "--kernel", str(image_with_code(tmp_path, code)), "--mem", "64M"])
    assert r.returncode == 1, r.stderr
