#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Style checks that keep the architecture visible (STYLE.md):

- layering: a folder under src/ includes only headers of the folders below
  it (the include graph must follow the table in STYLE.md);
- file length: no .c/.h over 1000 lines, except the interpreter's dispatch
  file and generated tables;
- no exit() in src/ outside main.c files (a library cannot end the process);
- every .c file opens with an SPDX line.

Prints one line per violation and a final "N passed, N failed" line.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "src")

# folder -> folders it may include from (besides itself)
ALLOWED = {
    "util": set(),
    "api": {"util"},
    "mem": {"util"},
    "block": {"util"},
    "net": {"util", "mem"},
    "snapshot": {"util", "mem"},
    "cpu": {"mem", "util"},
    "virtio": {"mem", "block", "net", "util", "machine/irq.h"},
    "machine": {"cpu", "mem", "util"},
    "migration": {"util", "mem", "snapshot"},
    "vswitch": {"util", "api"},
    "vm": None,  # the top: anything
    "daemon": {"util", "api", "vswitch", "snapshot", "block"},
    "cli": {"util", "api"},
}
LONG_OK = {"src/cpu/exec.c"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def sources():
    for dirpath, _, files in os.walk(SRC):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(dirpath, f)


def check_file(path):
    rel = os.path.relpath(path, ROOT)
    folder = os.path.relpath(path, SRC).split(os.sep)[0]
    problems = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.readlines()
    if len(lines) > 1000 and rel not in LONG_OK and not rel.endswith("_test.c"):
        problems.append(f"{rel}: {len(lines)} lines (cap 1000)")
    if path.endswith(".c") and not (lines and "SPDX-License-Identifier" in lines[0]):
        problems.append(f"{rel}: first line is not an SPDX identifier")
    allowed = ALLOWED.get(folder)
    is_program = any(re.match(r"^int main\(", l) for l in lines)
    for no, line in enumerate(lines, 1):
        m = INCLUDE.match(line)
        if m and allowed is not None and "/" in m.group(1):
            target = m.group(1)
            tfolder = target.split("/")[0]
            if tfolder != folder and tfolder not in allowed and target not in allowed:
                problems.append(f"{rel}:{no}: {folder}/ must not include {target}")
        if (re.search(r"\bexit\s*\(", line) and not rel.endswith("main.c") and not is_program
                and not rel.endswith("_test.c") and "testutil" not in rel
                and not line.lstrip().startswith(("*", "/*", "//"))):
            problems.append(f"{rel}:{no}: exit() outside main.c")
    return problems


def main():
    passed = failed = 0
    for path in sources():
        problems = check_file(path)
        if problems:
            failed += 1
            for p in problems:
                print("FAIL", p)
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
