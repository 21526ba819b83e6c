# SPDX-License-Identifier: MIT
"""Hostile guests: bare-metal programs (tests/hostile/*.c, on the ISA test
runtime tests/isa/rt) that attack rvisor's devices with malformed virtio
rings and register accesses. Each program checks what the device reports
and ends with PASS; rvisor must exit 0, print no sanitizer report, and never
crash. Run against the ASan/UBSan build as well when it exists
(build-asan/rvisor, or RVISOR_ASAN=path)."""
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, RVISOR

HOSTILE = os.path.join(ROOT, "tests", "hostile")
RT = os.path.join(ROOT, "tests", "isa", "rt")
CROSS = os.environ.get("CROSS_COMPILE", "riscv64-linux-gnu-")
CFLAGS = [
    "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany", "-O2", "-g",
    "-nostdlib", "-nostartfiles", "-ffreestanding", "-static", "-fno-pic",
    "-fno-stack-protector", "-fno-tree-loop-distribute-patterns",
    "-fno-asynchronous-unwind-tables", "-fno-unwind-tables",
    "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror",
    "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments",
]
PROGRAMS = ["virtio_blk"]


def binaries():
    out = [("release", RVISOR)]
    asan = os.environ.get("RVISOR_ASAN", os.path.join(ROOT, "build-asan", "rvisor"))
    if os.path.exists(asan):
        out.append(("asan", asan))
    return out


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    if shutil.which(CROSS + "gcc") is None:
        pytest.skip(CROSS + "gcc not found (apt-get install gcc-riscv64-linux-gnu)")
    d = tmp_path_factory.mktemp("hostile")
    built = {}
    for name in PROGRAMS:
        elf, binf = str(d / (name + ".elf")), str(d / (name + ".bin"))
        # the whole runtime: head.S and every rt/*.c (rt.c, paging, SMP helpers)
        rt = [os.path.join(RT, "head.S")] + sorted(
            os.path.join(RT, f) for f in os.listdir(RT) if f.endswith(".c"))
        cmd = ([CROSS + "gcc"] + CFLAGS + ["-I" + RT, "-T", os.path.join(RT, "link.ld")] + rt +
               [os.path.join(HOSTILE, name + ".c"), "-o", elf])
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        subprocess.run([CROSS + "objcopy", "-O", "binary", elf, binf], check=True)
        built[name] = binf
    return built


@pytest.mark.parametrize("build,rvisor", binaries(), ids=[b for b, _ in binaries()])
@pytest.mark.parametrize("name", PROGRAMS)
def test_hostile_guest(programs, tmp_path, name, build, rvisor):
    disk = tmp_path / "scratch.raw"
    disk.write_bytes(b"\xa5" * (1 << 20))
    # leaks at exit are not the guest's doing (the unit tests check for leaks)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    r = subprocess.run([rvisor, "run", "--kernel", programs[name], "--mem", "64M",
                        "--disk", str(disk), "--no-rng"],
                       capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
                       env=env)
    out = r.stdout + r.stderr
    assert "AddressSanitizer" not in out and "runtime error" not in out, out
    assert r.returncode == 0, out
    assert "PASS" in r.stdout and "FAIL" not in r.stdout, out
    # the device noticed the attacks (guest errors are logged, rate-limited)
    assert "guest error" in r.stderr
    # the disk was only ever read by the program
    assert disk.read_bytes() == b"\xa5" * (1 << 20)
