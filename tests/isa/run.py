#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Build and run the rvisor ISA test suite.

Every test is a bare RISC-V Linux Image (rt/head.S) built with the Debian
cross compiler straight from the sources here (no meson: the suite is a
cross build). Two kinds of tests:

  cases/*.c, *.S   hand-written checks; a test passes when the program's
                   last line is "PASS" (and, under rvisor, it exits 0).
  gen_*            random straight-line sequences from gen/gen.py; a test
                   passes when the output equals the reference recorded from
                   qemu-system-riscv64 (ref/<name>.out, or a live QEMU run
                   with --live-ref).

Output is one line per test and, last, "N passed, N failed". The exit status
is 1 when anything failed, 2 on a usage or build error.

A case may declare build variants with a comment line
    isa-variants: sv39=-DPT_MODE=8 sv48=-DPT_MODE=9
which builds it once per variant as <file>_<variant>, and the number of
harts it runs on with
    isa-cpus: 4
(rvisor --cpus 4, QEMU -smp 4; the program gets -DISA_CPUS=4). The default
is one hart.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "gen"))
import gen  # noqa: E402

CROSS = os.environ.get("CROSS_COMPILE", "riscv64-linux-gnu-")
QEMU = os.environ.get("QEMU", "qemu-system-riscv64")
MEM = "256M"
CFLAGS = [
    "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany", "-O2", "-g",
    "-nostdlib", "-nostartfiles", "-ffreestanding", "-static", "-fno-pic",
    "-fno-stack-protector", "-fno-tree-loop-distribute-patterns",
    "-fno-asynchronous-unwind-tables", "-fno-unwind-tables",
    "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-type-limits", "-Werror",
    "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments",
]
RT_SOURCES = ["rt/head.S", "rt/rt.c", "rt/vm.c", "rt/smp.c"]
RT_DEPS = RT_SOURCES + ["rt/rt.h", "rt/rt_asm.h", "rt/vm.h", "rt/smp.h", "rt/link.ld", "run.py"]


class Test:
    def __init__(self, name, sources, defines=(), ref=None, live=False, deps=(), cpus=1):
        self.name = name
        self.cpus = cpus  # harts to run on
        self.sources = list(sources)  # paths relative to HERE (or absolute)
        self.defines = list(defines)
        self.ref = ref  # path of the expected output, for generated tests
        self.live = live  # generated, expected output only from a live QEMU run
        self.deps = list(deps)


def discover(build_dir, pattern, extra):
    tests = []
    cases = os.path.join(HERE, "cases")
    for fn in sorted(os.listdir(cases)):
        base, ext = os.path.splitext(fn)
        if ext not in (".c", ".S"):
            continue
        path = os.path.join("cases", fn)
        with open(os.path.join(HERE, path)) as f:
            text = f.read()
        m = re.search(r"isa-variants:(.*)", text)
        c = re.search(r"isa-cpus:\s*(\d+)", text)
        cpus = int(c.group(1)) if c else 1
        defs = ["-DISA_CPUS=%d" % cpus]
        if m:
            for v in m.group(1).split():
                vname, _, flags = v.partition("=")
                tests.append(Test(base + "_" + vname, [path], flags.split(",") + defs, cpus=cpus))
        else:
            tests.append(Test(base, [path], defs, cpus=cpus))
    gen_dir = os.path.join(build_dir, "gen")
    for name, seed, profile in gen.sequences(extra):
        src = os.path.join(gen_dir, name + ".S")
        live = name.startswith("genx_")
        ref = os.path.join(HERE, "ref", name + ".out")
        tests.append(Test(name, [src, "gen/gen_main.c"], ref=ref, live=live,
                          deps=["gen/gen.py"]))
    for name, base, mode in gen.paged():
        src = os.path.join(gen_dir, base + ".S")
        tests.append(Test(name, [src, "gen/gen_main.c"], defines=["-DGEN_PAGING=%d" % mode],
                          ref=os.path.join(HERE, "ref", base + ".out"), deps=["gen/gen.py"]))
    if pattern:
        tests = [t for t in tests if re.search(pattern, t.name)]
    return tests


def newer(target, deps):
    if not os.path.exists(target):
        return True
    t = os.path.getmtime(target)
    return any(os.path.getmtime(d) > t for d in deps)


def compile_cmd(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        return "build failed:\n" + " ".join(cmd) + "\n" + "\n".join(r.stderr.split("\n")[:40])
    return None


def build_runtime(build_dir):
    """Compile rt/ once into build_dir/rt/*.o; returns (objects, error)."""
    objs = []
    deps = [os.path.join(HERE, d) for d in RT_DEPS]
    os.makedirs(os.path.join(build_dir, "rt"), exist_ok=True)
    for src in RT_SOURCES:
        obj = os.path.join(build_dir, "rt", os.path.basename(src) + ".o")
        objs.append(obj)
        if newer(obj, deps):
            err = compile_cmd([CROSS + "gcc"] + CFLAGS + ["-I" + os.path.join(HERE, "rt"), "-c",
                                                          os.path.join(HERE, src), "-o", obj])
            if err:
                return objs, err
    return objs, None


def build(t, build_dir, rt_objs):
    """Compile t into build_dir/<name>.bin; returns an error string or None."""
    elf = os.path.join(build_dir, t.name + ".elf")
    binf = os.path.join(build_dir, t.name + ".bin")
    srcs = [s if os.path.isabs(s) else os.path.join(HERE, s) for s in t.sources]
    deps = srcs + rt_objs + [os.path.join(HERE, d) for d in RT_DEPS + t.deps]
    if not newer(binf, deps):
        return None
    err = compile_cmd([CROSS + "gcc"] + CFLAGS + ["-I" + os.path.join(HERE, "rt"),
                                                  "-T", os.path.join(HERE, "rt/link.ld"),
                                                  '-DRT_TEST_NAME="%s"' % t.name] +
                      t.defines + srcs + rt_objs + ["-o", elf])
    if err:
        return err
    r = subprocess.run([CROSS + "objcopy", "-O", "binary", elf, binf], capture_output=True,
                       text=True)
    if r.returncode:
        return "objcopy failed: " + r.stderr
    return None


def run_vm(argv, timeout):
    """Run a VM; returns (exit status or 'timeout', console text, stderr text).
    Only stdout is the guest console: VMM log lines on stderr cannot get
    mixed into the output that is compared."""
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        status, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        status, out, err = "timeout", e.stdout or b"", e.stderr or b""
    dec = lambda b: b.decode("utf-8", "replace").replace("\r", "")
    return status, dec(out), dec(err)


def qemu_argv(binf, cpus=1):
    return [QEMU, "-M", "virt", "-m", MEM, "-smp", str(cpus), "-nographic", "-bios", "default",
            "-kernel", binf]


def rvisor_argv(rvisor, binf, cpus=1):
    return [rvisor, "run", "--kernel", binf, "--mem", MEM, "--cpus", str(cpus)]


def body(out):
    """The program's own lines: from the ISA-TEST marker to the end."""
    lines = out.split("\n")
    for i, l in enumerate(lines):
        if l.startswith("ISA-TEST "):
            lines = lines[i:]
            break
    else:
        return None
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def first_diff(got, want):
    """The first differing line of two outputs that follow the marker."""
    for i in range(max(len(got), len(want))):
        g = got[i] if i < len(got) else "<end of output>"
        w = want[i] if i < len(want) else "<end of output>"
        if g != w:
            return "line %d: got %r, want %r" % (i + 2, g, w)
    return None


def judge(t, status, out, args, expected):
    """Returns (ok, detail)."""
    lines = body(out)
    if status == "timeout":
        tail = (lines or out.split("\n"))[-3:]
        return False, "timeout after %ss; last lines: %s" % (args.timeout, " | ".join(tail))
    if isinstance(status, int) and status < 0:
        tail = (lines or out.split("\n"))[-2:]
        return False, "killed by signal %d; last lines: %s" % (-status, " | ".join(tail))
    if lines is None:
        return False, "no ISA-TEST marker (exit %s); output starts: %r" % (status, out[:200])
    if t.ref:
        if expected is None:
            return False, ("no reference output (%s); run with --qemu --update-ref"
                           % os.path.relpath(t.ref, REPO))
        # the ISA-TEST marker names the program; the rest must match
        d = first_diff(lines[1:], expected[1:])
        if d:
            return False, d
    else:
        if lines[-1] != "PASS":
            fails = [l.strip() for l in lines if "FAIL" in l or "unexpected" in l]
            return False, "; ".join(fails[:3]) or "ended with %r" % lines[-1]
    if not args.qemu and status != 0:
        return False, "output ok but exit status %s" % status
    return True, ""


def run_one(t, args, build_dir):
    binf = os.path.join(build_dir, t.name + ".bin")
    expected = None
    if t.ref:
        if args.live_ref or args.update_ref or t.live:
            st, out, _ = run_vm(qemu_argv(binf), args.timeout)
            expected = body(out)
            if args.update_ref and not t.live and expected and expected[-1] == "PASS":
                with open(t.ref, "w") as f:
                    f.write("\n".join(expected) + "\n")
        elif os.path.exists(t.ref):
            with open(t.ref) as f:
                expected = f.read().rstrip("\n").split("\n")
    start = time.monotonic()
    argv = qemu_argv(binf, t.cpus) if args.qemu else rvisor_argv(args.rvisor, binf, t.cpus)
    status, out, err = run_vm(argv, args.timeout)
    elapsed = time.monotonic() - start
    ok, detail = judge(t, status, out, args, expected)
    if not ok and err.strip():
        detail += "; stderr: " + " | ".join(err.strip().split("\n")[-3:])
    if args.verbose or (not ok and args.show_output):
        detail += "\n" + out + ("\n--- stderr:\n" + err if err else "")
    return ok, detail, elapsed


def main():
    ap = argparse.ArgumentParser(description="Build and run the rvisor ISA tests.")
    ap.add_argument("rvisor", nargs="?", help="path to the rvisor binary")
    ap.add_argument("--qemu", action="store_true", help="run under qemu-system-riscv64 instead")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build", "isa"))
    ap.add_argument("--timeout", type=float, default=60, help="seconds per test run (default 60)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("-k", "--filter", help="only tests whose name matches this regex")
    ap.add_argument("--live-ref", action="store_true",
                    help="run QEMU for the generated tests' expected output instead of ref/")
    ap.add_argument("--update-ref", action="store_true",
                    help="with --qemu: rewrite ref/*.out from QEMU")
    ap.add_argument("--extra", type=int, default=0, metavar="N",
                    help="also run N more generated sequences, checked against a live QEMU run")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--show-output", action="store_true", help="print the full output of failures")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.update_ref and not args.qemu:
        ap.error("--update-ref needs --qemu")
    if not args.qemu and not args.build_only:
        if not args.rvisor:
            ap.error("give the rvisor binary, or --qemu")
        args.rvisor = os.path.abspath(args.rvisor)
        if not os.access(args.rvisor, os.X_OK):
            print("run.sh: %s is not an executable" % args.rvisor, file=sys.stderr)
            return 2
    if shutil.which(CROSS + "gcc") is None:
        print("run.sh: %sgcc not found (apt-get install gcc-riscv64-linux-gnu)" % CROSS,
              file=sys.stderr)
        return 2
    if (args.qemu or args.live_ref or args.extra) and shutil.which(QEMU) is None:
        print("run.sh: %s not found (apt-get install qemu-system-misc)" % QEMU, file=sys.stderr)
        return 2

    build_dir = os.path.abspath(args.build_dir)
    os.makedirs(os.path.join(build_dir, "gen"), exist_ok=True)
    gen.write_all(os.path.join(build_dir, "gen"), args.extra)
    tests = discover(build_dir, args.filter, args.extra)
    rt_objs, err = build_runtime(build_dir)
    if err:
        print("BUILD runtime: %s" % err, file=sys.stderr)
        return 2
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        errors = list(ex.map(lambda t: build(t, build_dir, rt_objs), tests))
    bad = [(t, e) for t, e in zip(tests, errors) if e]
    for t, e in bad:
        print("BUILD %s: %s" % (t.name, e), file=sys.stderr)
    if bad:
        return 2
    if args.build_only:
        print("built %d tests in %s" % (len(tests), build_dir))
        return 0

    passed = failed = 0
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        futures = [ex.submit(run_one, t, args, build_dir) for t in tests]
        for t, fut in zip(tests, futures):
            ok, detail, elapsed = fut.result()
            if ok:
                passed += 1
                print("PASS  %-24s %5.1fs%s" % (t.name, elapsed, detail), flush=True)
            else:
                failed += 1
                print("FAIL  %-24s %5.1fs  %s" % (t.name, elapsed, detail), flush=True)
    print("# %s, %.1fs wall" % ("qemu" if args.qemu else args.rvisor, time.monotonic() - start))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
