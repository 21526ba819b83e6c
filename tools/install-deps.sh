#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages rvisor needs to build, test and benchmark, once:
# packages already installed are skipped, and `apt-get update` runs only when
# something is missing. Works as root or through sudo. Arguments name extra
# packages that only some targets need (make fuzz: clang and its libFuzzer).
set -eu

PKGS="
meson ninja-build pkg-config gcc make
libfdt-dev zlib1g-dev libslirp-dev libzstd-dev libjansson-dev
gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu
qemu-system-misc qemu-utils qemu-user
python3 python3-pytest python3-pexpect
e2fsprogs cpio xz-utils gzip
$*
"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
