#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench/clone.py - instant provisioning through rvisord: clone + start to the
guest's shell prompt, for 1 VM and for N VMs started together, and the host
memory each VM process and the daemon cost beyond the guest RAM in use.

A private rvisord (temporary state directory) gets a template made from the
default guest (guest/out: Image, initrd.cpio.gz, rootfs.ext4 as the root disk
/dev/vda). For each count in --counts, that many linked clones are made and
started at once (`rvctl clone` then `rvctl start` per VM, all VMs in
parallel), and each VM's time is taken from just before its `rvctl clone`
to the first shell prompt in its console log (rvisord keeps the log as the
guest prints it). The baseline is the same guest booted by `rvisor run`
alone (no daemon, no clone: a raw copy of the disk). The single-VM case
alternates with the baseline --reps times (baseline first in odd reps,
clone first in even ones) so that drifts in host load hit both alike;
medians are reported.

Memory, once every VM sits idle at its prompt:
  vm_rss          VmRSS of the rvisor process
  guest_resident  guest RAM pages the host holds (the VM's own mincore count,
                  "guest.ram_resident_bytes" in GET /vms/NAME)
  overhead        vm_rss - guest_resident: what the VMM itself costs
  daemon          VmRSS of rvisord before the clones and with all running

One run, one machine: compare figures within a run only. The 1-VM and
N-VM figures share the host with each other's nothing (they run one after
the other), but not with whatever else the host does.

Usage: bench/clone.py [--counts 1,10] [--reps 3] [--mem 128M] [--build DIR]
                      [--guest-dir DIR] [--timeout S] [--keep] [-v]
Writes bench/out/clone-<date>.json. Runs with Debian's /usr/bin/python3.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
import rvapi  # noqa: E402  (the REST client the system tests use)
PROMPT = re.compile(rb"rvisor:[^\r\n]*# ")


def vmrss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Daemon:
    def __init__(self, build, verbose):
        self.dir = tempfile.mkdtemp(prefix="rvb-", dir="/tmp")
        self.sock = os.path.join(self.dir, "rvisord.sock")
        self.build = build
        self.verbose = verbose
        self.env = dict(os.environ, RVISOR_SOCKET=self.sock)
        self.log = open(os.path.join(self.dir, "rvisord.log"), "w")
        self.proc = subprocess.Popen(
            [os.path.join(build, "rvisord"), "--state-dir", os.path.join(self.dir, "state"),
             "--socket", self.sock, "--rvisor", os.path.join(build, "rvisor"), "--log", "warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.sock):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("rvisord did not start: see " + self.log.name)
            time.sleep(0.02)

    def api(self, method, path, body=None):
        status, _, parsed = rvapi.request(self.sock, method, path, body, timeout=None)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {parsed}")
        return parsed

    def rvctl(self, *args):
        r = subprocess.run([os.path.join(self.build, "rvctl")] + list(args), env=self.env,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode:
            raise RuntimeError(f"rvctl {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def close(self, keep):
        for vm in self.api("GET", "/vms")["vms"]:
            if vm["pid"]:
                try:
                    self.api("POST", f"/vms/{vm['name']}/stop", {"force": True})
                except (RuntimeError, OSError):
                    os.kill(vm["pid"], signal.SIGKILL)
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def wait_prompt(log_path, deadline):
    """Monotonic time at which the console log first shows the shell prompt."""
    while time.monotonic() < deadline:
        try:
            with open(log_path, "rb") as f:
                if PROMPT.search(f.read()):
                    return time.monotonic()
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"no shell prompt in {log_path}")


def baseline_boot(build, guest, mem, workdir, timeout):
    """`rvisor run` alone on a private copy of the root disk: start to prompt."""
    disk = os.path.join(workdir, "baseline.ext4")
    shutil.copyfile(os.path.join(guest, "rootfs.ext4"), disk)
    log = os.path.join(workdir, "baseline.console")
    if os.path.exists(log):
        os.unlink(log)  # a fresh log: the prompt of the previous boot must not count
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [os.path.join(build, "rvisor"), "run", "--kernel", os.path.join(guest, "Image"),
         "--initrd", os.path.join(guest, "initrd.cpio.gz"), "--mem", mem,
         "--append", "console=ttyS0 root=/dev/vda", "--disk", disk + ",format=raw",
         "--console-socket", os.path.join(workdir, "baseline.sock"), "--console-log", log],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t = wait_prompt(log, t0 + timeout) - t0
        time.sleep(3)
        rss = vmrss(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    return t, rss


def scenario(d, n, mem, timeout, verbose, tag=""):
    names = [f"b{n}{tag}-{i:02d}" for i in range(n)]
    times, api_times, clone_times, errors = {}, {}, {}, []
    rss_before = vmrss(d.proc.pid)
    state = os.path.join(d.dir, "state", "vms")

    def one(name):
        try:
            t0 = time.monotonic()
            d.rvctl("clone", "base", name, "--mem", mem)
            clone_times[name] = time.monotonic() - t0
            d.rvctl("start", name)
            api_times[name] = time.monotonic() - t0
            times[name] = wait_prompt(os.path.join(state, name, "console.log"),
                                      t0 + timeout) - t0
            if verbose:
                print(f"  {name}: clone {clone_times[name]:.3f} s, clone+start "
                      f"{api_times[name]:.2f} s, prompt {times[name]:.1f} s", file=sys.stderr)
        except (RuntimeError, OSError) as e:
            errors.append(f"{name}: {e}")

    threads = [threading.Thread(target=one, args=(nm,), daemon=True) for nm in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError("; ".join(errors))
    time.sleep(5)  # let the guests settle at their prompts
    per_vm = []
    for name in names:
        info = d.api("GET", f"/vms/{name}")
        rss = vmrss(info["pid"])
        resident = info["guest"]["ram_resident_bytes"]
        per_vm.append({"name": name, "prompt_s": times[name], "clone_s": clone_times[name],
                       "clone_start_api_s": api_times[name],
                       "vm_rss": rss, "guest_resident": resident, "overhead": rss - resident})
    rss_after = vmrss(d.proc.pid)
    for name in names:
        d.api("POST", f"/vms/{name}/stop", {"force": True})
        d.api("DELETE", f"/vms/{name}")
    return {"count": n, "vms": per_vm, "daemon_rss_before": rss_before,
            "daemon_rss_running": rss_after}


def mib(b):
    return b / 1048576


def med(xs):
    return statistics.median(xs)


def report(res):
    base = [b["prompt_s"] for b in res["baseline"]]
    print(f"rvisord: clone + start to shell prompt (guest {res['mem']}, root disk on a qcow2\n"
          f"linked clone; {res['host']['cpus']} host CPUs, load average "
          f"{res['host']['load_before'][0]:.1f} before, {res['host']['load_after'][0]:.1f} after;"
          f" one run: compare within it only)\n")
    print(f"baseline `rvisor run` alone: start to prompt median {med(base):.1f} s over "
          f"{len(base)} (all: {', '.join(f'{b:.1f}' for b in base)}), "
          f"VmRSS {mib(med([b['vm_rss'] for b in res['baseline']])):.0f} MiB\n")
    print(f"{'VMs':>4} {'clone s':>8} {'clone+start s':>14} {'prompt min/med/max s':>22} "
          f"{'med/base':>9} {'VM RSS':>7} {'guest':>6} {'overhead':>9} {'rvisord':>13}")
    for sc in res["scenarios"]:
        vms = sc["vms"]
        pr = [v["prompt_s"] for v in vms]
        print(f"{sc['count']:>4} {med([v['clone_s'] for v in vms]):8.3f}"
              f" {med([v['clone_start_api_s'] for v in vms]):14.2f}"
              f"   {min(pr):6.1f}/{med(pr):6.1f}/{max(pr):6.1f} {med(pr) / med(base):8.2f}x"
              f" {mib(med([v['vm_rss'] for v in vms])):5.0f}Mi"
              f" {mib(med([v['guest_resident'] for v in vms])):4.0f}Mi"
              f" {mib(med([v['overhead'] for v in vms])):7.1f}Mi"
              f" {mib(sc['daemon_rss_before']):4.1f}->{mib(sc['daemon_rss_running']):4.1f}Mi")
    print("\nclone: `rvctl clone` (qcow2 overlay + definition); clone+start: until `rvctl start`\n"
          "returned; prompt: until the shell prompt. Rows with 1 VM are medians over the reps;\n"
          "other columns are medians over the VMs. overhead = VM RSS - guest RAM resident\n"
          "(the VMM's own memory); rvisord = its VmRSS before the clones -> with all running.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--counts", default="1,10")
    ap.add_argument("--reps", type=int, default=3, help="single-VM repetitions")
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--guest-dir", default=os.path.join(ROOT, "guest", "out"))
    ap.add_argument("--timeout", type=float, default=1800, help="per VM, seconds")
    ap.add_argument("--keep", action="store_true", help="keep the state directory")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    g = args.guest_dir
    for f in ("Image", "initrd.cpio.gz", "rootfs.ext4"):
        if not os.path.exists(os.path.join(g, f)):
            raise SystemExit(f"{g}/{f} is missing: run `make guest`")
    def interrupted(sig, frame):
        raise SystemExit(f"interrupted by signal {sig}")

    # so that the finally below stops every VM (they run detached from us)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    d = Daemon(args.build, args.verbose)
    res = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "mem": args.mem,
           "host": {"cpus": os.cpu_count(), "load_before": os.getloadavg()}, "scenarios": []}
    res["baseline"] = []
    try:
        d.rvctl("template", "create", "base", "--kernel", os.path.join(g, "Image"),
                "--initrd", os.path.join(g, "initrd.cpio.gz"), "--mem", args.mem,
                "--cmdline", "console=ttyS0 root=/dev/vda",
                "--disk", os.path.join(g, "rootfs.ext4") + ",format=raw")

        def base():
            t, rss = baseline_boot(args.build, g, args.mem, d.dir, args.timeout)
            if args.verbose:
                print(f"  baseline: prompt {t:.1f} s", file=sys.stderr)
            res["baseline"].append({"prompt_s": t, "vm_rss": rss})

        for n in counts:
            if n != 1:
                res["scenarios"].append(scenario(d, n, args.mem, args.timeout, args.verbose))
                continue
            runs = []
            for rep in range(args.reps):
                if rep % 2 == 0:
                    base()
                runs.append(scenario(d, 1, args.mem, args.timeout, args.verbose, f"r{rep}"))
                if rep % 2 == 1:
                    base()
            merged = dict(runs[-1])
            merged["vms"] = [r["vms"][0] for r in runs]
            res["scenarios"].append(merged)
        if not res["baseline"]:
            base()
        res["host"]["load_after"] = os.getloadavg()
    finally:
        d.close(args.keep)
    out = os.path.join(ROOT, "bench", "out")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"clone-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
    with open(path, "w") as f:
        json.dump(res, f, indent=2)
    report(res)
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
