#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerate src/cpu/fpu_golden.txt: build gen.c for riscv64 and run it under qemu-riscv64,
# whose F/D emulation is bit-exact. Deterministic for a given SEED and SCALE.
#   src/cpu/fpu_gen/gen.sh [OUT]      (env: SEED=1, SCALE=1; CC=riscv64-linux-gnu-gcc)
# A larger SCALE multiplies the random cases, for a one-off deep check that is not committed:
#   SEED=7 SCALE=200 src/cpu/fpu_gen/gen.sh /tmp/big.txt && build/src/cpu/fpu_test /tmp/big.txt
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../fpu_golden.txt}
cc=${CC:-riscv64-linux-gnu-gcc}
qemu=${QEMU:-qemu-riscv64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cc" -O2 -static -march=rv64gc -mabi=lp64d -Wall -Wextra -o "$tmp/gen" "$here/gen.c"
"$qemu" "$tmp/gen" "${SEED:-1}" "${SCALE:-1}" >"$tmp/out"
mv "$tmp/out" "$out"
echo "$out: $(grep -vc '^#' "$out") cases"
