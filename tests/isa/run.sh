#!/bin/sh
# SPDX-License-Identifier: MIT
# Build and run the ISA test suite. See README.md; run.sh --help for options.
#   tests/isa/run.sh build/rvisor      run every test under rvisor
#   tests/isa/run.sh --qemu            run every test under qemu-system-riscv64
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
