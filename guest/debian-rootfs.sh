#!/bin/bash
# SPDX-License-Identifier: MIT
#
# guest/debian-rootfs.sh — build a real Debian trixie riscv64 system (systemd,
# udev, networkd with DHCP, openssh-server, apt, perl, python3) as an ext4
# image that rvisor boots with Debian's own kernel and initramfs.
#
#   guest/debian-rootfs.sh [OUTDIR]        (default OUTDIR: guest/out/debian)
#
# Produces, in OUTDIR:
#   rootfs.ext4     a 2 GiB ext4 root filesystem (root password "root",
#                   serial console on ttyS0, DHCP on every en*/eth* link)
#   vmlinux         the kernel of the rootfs' linux-image-riscv64 (a flat
#                   RISC-V Image, the same package guest/build.sh uses)
#   initrd.img      the initramfs Debian's initramfs-tools made for it
#   manifest.txt    package list of the rootfs
#
# Boot it:
#   build/rvisor run --kernel OUTDIR/vmlinux --initrd OUTDIR/initrd.img \
#       --disk OUTDIR/rootfs.ext4 --net user --mem 512M \
#       --append "console=ttyS0 root=/dev/vda rw"
#
# Needs root (mmdebstrap runs riscv64 maintainer scripts in a chroot through
# qemu-user-static + binfmt_misc) and the Debian mirror the host uses (as in
# guest/build.sh, or GUEST_MIRROR). Takes ~15 minutes on two cores, mostly
# dpkg under qemu-user and update-initramfs.

set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$GUEST_DIR/out/debian}
SUITE=trixie
SIZE=${DEBIAN_ROOTFS_SIZE:-2G}
PACKAGES="systemd-sysv,udev,dbus,libpam-systemd,openssh-server,linux-image-riscv64,initramfs-tools,
iproute2,iputils-ping,procps,less,perl,python3,xz-utils,bzip2,kmod,ca-certificates,e2fsprogs"

log() { echo "debian-rootfs: $*" >&2; }
die() { echo "debian-rootfs: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap needs a chroot with riscv64 binfmt)"

ensure_host_tools() {
	local pkgs="mmdebstrap qemu-user-static binfmt-support e2fsprogs arch-test debian-archive-keyring"
	local missing=""
	for p in $pkgs; do
		dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+="$p "
	done
	if [ -n "$missing" ]; then
		log "installing host packages: $missing"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
	fi
	# binfmt_misc may be unmounted inside containers.
	[ -e /proc/sys/fs/binfmt_misc/status ] ||
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	[ -e /proc/sys/fs/binfmt_misc/qemu-riscv64 ] || update-binfmts --enable qemu-riscv64
}

# The mirror: guest/build.sh's logic (host's own release entry) by sourcing
# only its function definitions would drag in its globals, so repeat the
# simple case and let GUEST_MIRROR override.
find_mirror() {
	if [ -n "${GUEST_MIRROR:-}" ]; then echo "${GUEST_MIRROR%/}"; return; fi
	local codename
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
		awk -v s="$codename" '
		$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i+1) == s) { print $i; exit } } }
		/^URIs:/ { uri = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s && uri != "") { print uri; exit } }' |
		sed 's:/*$::' | grep . || die "cannot find the host's Debian mirror; set GUEST_MIRROR"
}

ensure_host_tools
MIRROR=$(find_mirror)
log "mirror $MIRROR, output $OUT"
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/debian-rootfs.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root

# Configuration done inside the new system before it is packed.
cat >"$WORK/customize.sh" <<'EOF'
#!/bin/sh
set -e
R=$1
echo rvisor-debian >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 rvisor-debian\n::1 localhost ip6-localhost ip6-loopback\n' >"$R/etc/hosts"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$R/etc/fstab"
chroot "$R" sh -c 'echo root:root | chpasswd'
mkdir -p "$R/etc/systemd/network"
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n' >"$R/etc/systemd/network/50-dhcp.network"
chroot "$R" systemctl enable systemd-networkd.service
# resolv.conf: networkd without resolved does not write it; slirp's DNS.
rm -f "$R/etc/resolv.conf"
echo 'nameserver 10.0.2.3' >"$R/etc/resolv.conf"
# Allow root logins over ssh with the password (test VMs only).
mkdir -p "$R/etc/ssh/sshd_config.d"
echo 'PermitRootLogin yes' >"$R/etc/ssh/sshd_config.d/rvisor.conf"
# Host keys are made at first boot (sshd-keygen via ssh.service's
# ExecStartPre is not in Debian: regenerate here so every image differs).
rm -f "$R"/etc/ssh/ssh_host_*
chroot "$R" ssh-keygen -A >/dev/null
# The kernel and Debian's initramfs, to be copied out.
chroot "$R" dpkg-query -W -f='${Package} ${Version}\n' >"$R/../manifest.txt"
EOF
chmod +x "$WORK/customize.sh"

log "running mmdebstrap (maintainer scripts under qemu-user; several minutes)"
mmdebstrap --mode=root --arch=riscv64 --variant=minbase \
	--include="$(echo $PACKAGES | tr -d ' ')" \
	--aptopt='Acquire::Languages "none"' \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
	--customize-hook="$WORK/customize.sh \"\$1\"" \
	"$SUITE" "$ROOT" "$MIRROR"

vmlinux=$(ls "$ROOT"/boot/vmlinux-* | sort -V | tail -1)
initrd=$(ls "$ROOT"/boot/initrd.img-* | sort -V | tail -1)
[ -f "$vmlinux" ] && [ -f "$initrd" ] || die "no kernel/initrd in $ROOT/boot"
cp "$vmlinux" "$OUT/vmlinux.tmp" && mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
cp "$initrd" "$OUT/initrd.img.tmp" && mv "$OUT/initrd.img.tmp" "$OUT/initrd.img"
cp "$WORK/manifest.txt" "$OUT/manifest.txt"

log "making $SIZE ext4 image"
rm -f "$OUT/rootfs.ext4.tmp"
mke2fs -q -t ext4 -L debian-root -d "$ROOT" "$OUT/rootfs.ext4.tmp" "$SIZE"
mv "$OUT/rootfs.ext4.tmp" "$OUT/rootfs.ext4"
log "done: $OUT/{vmlinux,initrd.img,rootfs.ext4} ($(basename "$vmlinux"))"
