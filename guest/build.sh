#!/bin/bash
# SPDX-License-Identifier: MIT
#
# guest/build.sh — build the default rvisor guest from Debian's riscv64
# packages.
#
#   guest/build.sh [OUTDIR]          (default OUTDIR: guest/out)
#   GUEST_REFRESH=1 guest/build.sh   look for newer packages on the mirror
#
# Produces, in OUTDIR:
#   Image           the kernel of trixie's linux-image-riscv64, unmodified
#                   (its /boot/vmlinux-* is a flat RISC-V Image)
#   initrd.cpio.gz  busybox-static plus the virtio/ext4 modules and an /init
#                   that loads them, then either switch_roots to root= or
#                   runs a shell on the console
#   rootfs.ext4     a 64 MiB ext4 root disk: busybox, init, DHCP on eth0
#   manifest.txt    package versions, kernel release, module load order
#
# Packages come through apt with a private configuration under guest/cache/
# (sources list, lists, status, downloads), so the host's apt state is never
# touched. The mirror is the one the host already uses for its own release
# (or GUEST_MIRROR if set): this repository names no mirror host.
#
# Nothing here needs root except installing missing host tools: the cpio is
# written with owners forced to 0:0 and the ext4 image is filled by
# `mke2fs -d`, so no mount, loop device or device node is involved.
#
# Caching: downloaded .debs are reused until GUEST_REFRESH=1 is given (no
# network at all on a cached run), and each output is rebuilt only when one
# of its inputs (this script, guest/skel/, the .debs) is newer than it.
# Outputs are written to a temporary name and renamed, so an interrupted
# build never leaves a half-written file that looks up to date.

set -euo pipefail

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$GUEST_DIR/out}
CACHE=${GUEST_CACHE:-$GUEST_DIR/cache}
SKEL=$GUEST_DIR/skel

SUITE=trixie
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
META_PKG=linux-image-riscv64
BUSYBOX_PKG=busybox-static
ROOTFS_SIZE=64M

# Modules the initramfs loads, in this order, each preceded by what it
# needs. virtio_mmio first: without the transport no virtio device appears.
# altera_ps2 and evdev make rvisor's power button (a PS/2 key, see
# src/vm/powerbtn.h) reach busybox acpid as /dev/input/event0.
# Entries that turn out to be built into the kernel are skipped.
WANTED_MODULES="virtio_mmio virtio_blk virtio_net virtio_rng virtio_balloon
	virtio_console ext4 altera_ps2 evdev"

# Applets the /init and rc scripts rely on; a busybox without them is
# rejected at build time rather than at boot.
NEEDED_APPLETS="sh init insmod mount umount switch_root cttyhack udhcpc ip
	ifconfig hostname poweroff reboot lsmod findfs acpid sysctl"

log() { echo "guest: $*" >&2; }
die() { echo "guest: error: $*" >&2; exit 1; }

# stale OUT DEP... — true if OUT is missing or any DEP (searched recursively,
# so a changed or deleted file under a directory counts) is newer than it.
stale() {
	local out=$1
	shift
	[ ! -e "$out" ] || [ -n "$(find "$@" -newer "$out" -print -quit)" ]
}

# --- host tools ---------------------------------------------------------

# Install what a fresh Debian 12 lacks. Checked with one dpkg-query call so
# that a cached run stays fast.
ensure_host_tools() {
	local pkgs="apt dpkg cpio xz-utils gzip e2fsprogs binutils-riscv64-linux-gnu debian-archive-keyring"
	local missing
	missing=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $pkgs 2>/dev/null |
		awk -v want="$pkgs" '$2 == "installed" { ok[$1] = 1 }
		     END { n = split(want, p, " "); for (i = 1; i <= n; i++) if (!ok[p[i]]) printf "%s ", p[i] }' ||
		true)
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing host packages: $missing(install them, or run as root)"
	log "installing host packages: $missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

# --- mirror -------------------------------------------------------------

# Print "URI SUITE COMPONENT..." for every enabled `deb` entry in the host's
# apt sources, in both the one-line format (*.list) and deb822 (*.sources).
# HOST_APT_ETC (default /etc/apt) exists for testing this parser.
host_source_entries() {
	local etc=${HOST_APT_ETC:-/etc/apt} lists=() sources=() f
	for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
		[ -f "$f" ] && lists+=("$f")
	done
	for f in "$etc"/sources.list.d/*.sources; do
		[ -f "$f" ] && sources+=("$f")
	done
	if [ ${#lists[@]} -gt 0 ]; then
		# deb [opt=val ...] URI SUITE COMPONENT...
		awk '{ sub(/#.*/, "") }
		     $1 == "deb" {
			sub(/^[ \t]*deb[ \t]+/, "")
			sub(/^\[[^]]*\][ \t]*/, "")
			print
		     }' "${lists[@]}"
	fi
	if [ ${#sources[@]} -gt 0 ]; then
		# Paragraphs of "Field: value"; continuation lines start with
		# white space and only matter for multi-line fields (Signed-By).
		awk 'function flush(   nu, ns, u, s, i, j) {
			if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no") {
				nu = split(uris, u, /[ \t]+/)
				ns = split(suites, s, /[ \t]+/)
				for (i = 1; i <= nu; i++)
					for (j = 1; j <= ns; j++)
						print u[i], s[j], comps
			}
			types = uris = suites = comps = enabled = ""
		     }
		     FNR == 1 { flush() }
		     /^#/ { next }
		     /^[ \t]*$/ { flush(); next }
		     /^[ \t]/ { next }
		     {
			k = tolower(substr($0, 1, index($0, ":") - 1))
			v = substr($0, index($0, ":") + 1)
			gsub(/^[ \t]+|[ \t]+$/, "", v)
			if (k == "types") types = v
			else if (k == "uris") uris = v
			else if (k == "suites") suites = v
			else if (k == "components") comps = v
			else if (k == "enabled") enabled = v
		     }
		     END { flush() }' "${sources[@]}"
	fi
}

# The mirror for trixie is the one serving the host's own release: the URI
# of the entry "deb URI <host codename> main" (bookworm on Debian 12).
# Security and -updates suites live elsewhere or lack the kernel, so only
# the plain release suite counts.
find_mirror() {
	if [ -n "${GUEST_MIRROR:-}" ]; then
		echo "${GUEST_MIRROR%/}"
		return
	fi
	local codename uri
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release; set GUEST_MIRROR"
	uri=$(host_source_entries | awk -v s="$codename" '
		!found && $2 == s { for (i = 3; i <= NF; i++) if ($i == "main") { print $1; found = 1 } }')
	[ -n "$uri" ] || die "no 'deb URI $codename main' entry in the host's apt sources; set GUEST_MIRROR=URI"
	echo "${uri%/}"
}

# --- apt ----------------------------------------------------------------

APT_DIR=$CACHE/apt

# Write the private apt configuration. The host's apt.conf.d still applies
# (so a configured proxy keeps working), but every path apt reads or writes
# is redirected here, and host pinning/default-release is neutralised.
apt_setup() {
	local mirror=$1
	[ -r "$KEYRING" ] || die "$KEYRING not found (package debian-archive-keyring)"
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial" \
		"$APT_DIR"/etc/{sources.list.d,preferences.d,trusted.gpg.d}
	: >>"$APT_DIR/status"
	# signed-by limits trust to the Debian archive keys; bookworm's
	# debian-archive-keyring already carries the trixie release keys.
	echo "deb [signed-by=$KEYRING] $mirror $SUITE main" >"$APT_DIR/etc/sources.list"
	cat >"$APT_DIR/apt.conf" <<-EOF
		Dir::Etc::SourceList "$APT_DIR/etc/sources.list";
		Dir::Etc::SourceParts "$APT_DIR/etc/sources.list.d";
		Dir::Etc::Preferences "$APT_DIR/etc/preferences";
		Dir::Etc::PreferencesParts "$APT_DIR/etc/preferences.d";
		Dir::Etc::Trusted "$APT_DIR/etc/trusted.gpg";
		Dir::Etc::TrustedParts "$APT_DIR/etc/trusted.gpg.d";
		Dir::State "$APT_DIR";
		Dir::State::Lists "$APT_DIR/lists";
		Dir::State::status "$APT_DIR/status";
		Dir::Cache "$APT_DIR";
		Dir::Cache::archives "$APT_DIR/archives";
		APT::Architecture "riscv64";
		APT::Architectures { "riscv64"; };
		APT::Default-Release "";
		Acquire::Languages "none";
	EOF
}

apt_q() { apt-get -c "$APT_DIR/apt.conf" "$@"; }
apt_cache() { apt-cache -c "$APT_DIR/apt.conf" "$@"; }

# pkg_field PKG FIELD — FIELD of the candidate version of PKG.
pkg_field() {
	apt_cache show --no-all-versions "$1" |
		awk -v f="$2:" '!found && $1 == f { sub(/^[^:]*: */, ""); print; found = 1 }'
}

DEBS=$CACHE/debs
MANIFEST=$DEBS/manifest

# Make sure the three .debs are in $DEBS and $MANIFEST names them, one
# "role package version file" line each. With a manifest present and no
# GUEST_REFRESH this touches neither apt nor the network.
fetch_debs() {
	if [ -z "${GUEST_REFRESH:-}" ] && [ -f "$MANIFEST" ] &&
		awk -v d="$DEBS" '{ if (system("test -f \"" d "/" $4 "\"")) exit 1 }' "$MANIFEST"; then
		return 0
	fi
	local mirror kpkg role pkg ver file dl manifest_tmp
	mirror=$(find_mirror)
	log "mirror $mirror (suite $SUITE, riscv64)"
	apt_setup "$mirror"
	log "apt-get update"
	apt_q -q update >/dev/null || die "apt-get update failed (see: apt-get -c $APT_DIR/apt.conf update)"

	# The meta package depends on exactly one versioned image package.
	kpkg=$(pkg_field "$META_PKG" Depends | tr ',' '\n' |
		awk '!found && $1 ~ /^linux-image-[0-9]/ { print $1; found = 1 }')
	[ -n "$kpkg" ] || die "cannot resolve the kernel package from $META_PKG's Depends"

	mkdir -p "$DEBS"
	rm -rf "$DEBS"/dl.*	# left over by an interrupted run
	# apt downloads as the unprivileged _apt user when run as root, so it
	# needs a directory it may write; the files are moved into $DEBS after.
	dl=$(mktemp -d "$DEBS/dl.XXXXXX")
	if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$dl"
	fi
	manifest_tmp=$MANIFEST.tmp
	: >"$manifest_tmp"
	for role in meta kernel busybox; do
		case $role in
		meta) pkg=$META_PKG ;;
		kernel) pkg=$kpkg ;;
		busybox) pkg=$BUSYBOX_PKG ;;
		esac
		ver=$(pkg_field "$pkg" Version)
		[ -n "$ver" ] || die "package $pkg not found in $SUITE riscv64"
		# The name apt-get download gives a file (epoch colon escaped).
		file=${pkg}_${ver//:/%3a}_riscv64.deb
		if [ ! -f "$DEBS/$file" ]; then
			log "downloading $pkg $ver"
			(cd "$dl" && apt_q -q download "$pkg" >/dev/null) || die "apt-get download $pkg failed"
			mv "$dl/$file" "$DEBS/$file"
			# apt dates the file by the mirror's Last-Modified, which
			# is older than our outputs; the staleness checks need
			# the time it arrived here.
			touch "$DEBS/$file"
		fi
		echo "$role $pkg $ver $file" >>"$manifest_tmp"
	done
	rm -rf "$dl"
	mv "$manifest_tmp" "$MANIFEST"
	# Drop .debs of versions the manifest no longer names.
	for file in "$DEBS"/*.deb; do
		grep -qF " ${file##*/}" "$MANIFEST" || rm -f "$file"
	done
}

deb_of() { awk -v r="$1" '$1 == r { print $4 }' "$MANIFEST"; }
version_of() { awk -v r="$1" '$1 == r { print $2 " " $3 }' "$MANIFEST"; }

# extract_deb FILE — unpack a cached .deb once; print its directory.
extract_deb() {
	local deb=$DEBS/$1 dir=$CACHE/extract/${1%.deb}
	if [ ! -d "$dir" ]; then
		log "extracting $1"
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp"
		dpkg-deb -x "$deb" "$dir.tmp"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# --- busybox ------------------------------------------------------------

# The applet names of a busybox binary. It cannot run on this host, so the
# list is read from its applet_names table: NUL-separated names in strcmp
# order, starting "[", "[[". The list ends at the first entry that is not an
# applet-like name or breaks the ordering. (awk reads on to the end rather
# than exit: an early exit would kill tr with SIGPIPE, fatal under pipefail.)
busybox_applets() {
	tr '\0' '\n' <"$1" | LC_ALL=C awk '
		done { next }
		on { if ($0 !~ /^[][a-z0-9_.-]+$/ || $0 <= prev) { done = 1; next }
		     print; prev = $0; next }
		$0 == "[[" && last ~ /\[$/ { print "["; print "[["; on = 1; prev = "[["; next }
		{ last = $0 }'
}

# install_busybox ROOT — busybox and one symlink per applet, in a merged-/usr
# layout (/bin and /sbin point to usr/bin) so that every conventional path
# (/bin/sh, /sbin/init, /usr/sbin/...) resolves. Links are relative so they
# stay valid after switch_root and inside a mounted image.
install_busybox() {
	local root=$1 a
	mkdir -p "$root/usr/bin"
	install -m 0755 "$BUSYBOX_BIN" "$root/usr/bin/busybox"
	ln -s usr/bin "$root/bin"
	ln -s usr/bin "$root/sbin"
	ln -s bin "$root/usr/sbin"
	for a in $APPLETS; do
		[ "$a" = busybox ] || ln -s busybox "$root/usr/bin/$a"
	done
}

# Directories both trees need; /tmp is world-writable with the sticky bit.
make_base_dirs() {
	local root=$1
	mkdir -p "$root"/{dev,proc,sys,run,root,mnt,var,etc,lib}
	install -d -m 1777 "$root/tmp"
	ln -s ../proc/self/mounts "$root/etc/mtab"
}

# --- kernel modules -----------------------------------------------------

# modinfo_field KO.XZ FIELD — the FIELD= values of a module's .modinfo
# section, one per line. Debian ships no modules.dep, so this is how the
# load order is found.
modinfo_field() {
	local tmp=$WORK/modinfo.ko
	xz -dc "$1" >"$tmp"
	riscv64-linux-gnu-objcopy -O binary --only-section=.modinfo "$tmp" "$tmp.info"
	tr '\0' '\n' <"$tmp.info" | sed -n "s/^$2=//p"
}

# module_path NAME — the .ko.xz file of module NAME ("-" and "_" are the
# same in module names: virtio_rng lives in virtio-rng.ko.xz), or nothing.
module_path() {
	awk -v n="${1//-/_}" '$1 == n { print $2; exit }' "$WORK/modules.idx"
}

module_builtin() {
	grep -q "/${1//_/[-_]}\.ko$" "$MODDIR/modules.builtin"
}

# alias_module ALIAS — the module declaring alias=ALIAS (softdeps name
# aliases such as "crypto-crc32c"). Crypto aliases live in crypto modules,
# so those are searched first; a full search of ~3000 modules takes ~15 s.
alias_module() {
	local f
	local likely='/kernel/crypto/\|/kernel/lib/\|/kernel/arch/'
	for f in $(grep "$likely" "$WORK/modules.idx" | awk '{ print $2 }') \
		$(grep -v "$likely" "$WORK/modules.idx" | awk '{ print $2 }'); do
		if grep -qxF "$1" <<<"$(modinfo_field "$f" alias)"; then
			modinfo_field "$f" name
			return
		fi
	done
}

# visit_module NAME — append NAME to $LOAD_ORDER after everything it needs:
# depends= (hard) and softdep "pre:" entries (ext4 and jbd2 need a crc32c
# provider they ask for by alias, and nothing else would load it).
visit_module() {
	local name=${1//-/_} path dep soft word pre=0
	case " $VISITED " in *" $name "*) return ;; esac
	VISITED="$VISITED $name"
	if module_builtin "$name"; then
		log "module $name is built in"
		return
	fi
	path=$(module_path "$name")
	[ -n "$path" ] || die "module $name not found in $MODDIR"
	[ "$(modinfo_field "$path" vermagic | cut -d' ' -f1)" = "$KVER" ] ||
		die "module $name was not built for $KVER"
	soft=$(modinfo_field "$path" softdep)
	for word in $soft; do
		case $word in
		pre:) pre=1 ;;
		post:) pre=0 ;;
		*)
			[ $pre = 1 ] || continue
			if [ -n "$(module_path "$word")" ]; then
				visit_module "$word"
			elif ! grep -qx "[^.]*\.alias=$word" <<<"$(tr '\0' '\n' <"$MODDIR/modules.builtin.modinfo")"; then
				dep=$(alias_module "$word")
				[ -n "$dep" ] || die "no module provides $word (softdep of $name)"
				visit_module "$dep"
			fi
			;;
		esac
	done
	for dep in $(modinfo_field "$path" depends | tr ',' ' '); do
		visit_module "$dep"
	done
	LOAD_ORDER="$LOAD_ORDER $name"
	MODULE_FILES="$MODULE_FILES $path"
}

# resolve_modules — set LOAD_ORDER (names) and MODULE_FILES (paths).
resolve_modules() {
	local m
	find "$MODDIR/kernel" -name '*.ko.xz' | awk '{
		n = $0; sub(/.*\//, "", n); sub(/\.ko\.xz$/, "", n); gsub(/-/, "_", n)
		print n, $0 }' >"$WORK/modules.idx"
	VISITED= LOAD_ORDER= MODULE_FILES=
	for m in $WANTED_MODULES; do
		visit_module "$m"
	done
	LOAD_ORDER=${LOAD_ORDER# }
}

# --- outputs ------------------------------------------------------------

build_image() {
	local src=$KERNEL_DIR/boot/vmlinux-$KVER
	[ -f "$src" ] || die "$src missing from the kernel package"
	# A flat RISC-V Image carries "RSC\x05" at offset 0x38; anything else
	# (an ELF vmlinux, an EFI-only image) would not boot in rvisor.
	[ "$(od -An -tx1 -j56 -N4 "$src" | tr -d ' \n')" = 52534305 ] ||
		die "$src is not a flat RISC-V Image (no RSC\\x05 magic at 0x38)"
	log "Image (kernel $KVER)"
	cp "$src" "$OUT/.Image.tmp"
	mv "$OUT/.Image.tmp" "$OUT/Image"
}

build_initrd() {
	local root=$WORK/initramfs f
	log "initrd.cpio.gz"
	resolve_modules
	log "module load order: $LOAD_ORDER"
	rm -rf "$root"
	mkdir -p "$root"
	make_base_dirs "$root"
	mkdir -p "$root/newroot" "$root/lib/modules/$KVER"
	install_busybox "$root"
	cp -R "$SKEL/common/." "$SKEL/initramfs/." "$root/"
	# Modules are decompressed here although busybox insmod could read
	# .ko.xz: xz in an emulated guest is slow, and this saves ~1.3 s of
	# boot under QEMU TCG for ~0.5 MB more of (gzipped) initrd.
	for f in $MODULE_FILES; do
		f=${f##*/}
		echo "${f%.xz}"
	done >"$root/lib/modules/$KVER/load.order"
	for f in $MODULE_FILES; do
		xz -dc "$f" >"$root/lib/modules/$KVER/$(basename "$f" .xz)"
	done
	cp "$MODDIR/modules.builtin" "$root/lib/modules/$KVER/"
	# newc with every owner 0:0, sorted for a stable archive; no device
	# nodes: the kernel's built-in initramfs already provides /dev/console.
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) | gzip -9 -n >"$OUT/.initrd.tmp"
	mv "$OUT/.initrd.tmp" "$OUT/initrd.cpio.gz"
}

build_rootfs() {
	local root=$WORK/rootfs img=$OUT/.rootfs.tmp
	log "rootfs.ext4 ($ROOTFS_SIZE)"
	rm -rf "$root"
	mkdir -p "$root"
	make_base_dirs "$root"
	install_busybox "$root"
	cp -R "$SKEL/common/." "$SKEL/rootfs/." "$root/"
	rm -f "$img"
	# -T default: the "small" profile mke2fs picks below 512 MiB has
	# 128-byte inodes, whose timestamps end in 2038 (the kernel warns).
	mke2fs -q -t ext4 -T default -L rvisor-root -E root_owner=0:0 \
		-d "$root" "$img" "$ROOTFS_SIZE" >/dev/null
	# mke2fs -d copies owners from the staging tree; built by a normal
	# user they would belong to that user, so reset them to root.
	if [ "$(id -u)" != 0 ]; then
		(cd "$root" && find . -mindepth 1 | sed 's|^\.||' |
			awk '{ printf "sif \"%s\" uid 0\nsif \"%s\" gid 0\n", $0, $0 }') |
			debugfs -w -f - "$img" >/dev/null 2>&1
	fi
	e2fsck -fn "$img" >/dev/null 2>&1 || die "fresh rootfs image fails e2fsck"
	mv "$img" "$OUT/rootfs.ext4"
}

# manifest.txt: what the outputs were built from. The load order is only
# known after an initrd build; otherwise the previous manifest's is kept.
write_manifest() {
	if [ -z "${LOAD_ORDER:-}" ] && [ -f "$OUT/manifest.txt" ]; then
		LOAD_ORDER=$(sed -n 's/^module_load_order //p' "$OUT/manifest.txt")
	fi
	{
		echo "kernel_release $KVER"
		echo "kernel_package $(version_of kernel)"
		echo "busybox_package $(version_of busybox)"
		echo "module_load_order $LOAD_ORDER"
		echo "suite $SUITE"
	} >"$OUT/.manifest.tmp"
	mv "$OUT/.manifest.tmp" "$OUT/manifest.txt"
}

main() {
	mkdir -p "$CACHE" "$OUT"
	OUT=$(cd "$OUT" && pwd)
	# One build at a time per cache (tests and make may start several).
	exec 9>"$CACHE/.lock"
	flock 9

	ensure_host_tools
	fetch_debs

	local kdeb bdeb inputs
	kdeb=$DEBS/$(deb_of kernel)
	bdeb=$DEBS/$(deb_of busybox)
	inputs=("$GUEST_DIR/build.sh" "$SKEL/common")
	local need_image=0 need_initrd=0 need_rootfs=0
	stale "$OUT/Image" "$kdeb" && need_image=1
	stale "$OUT/initrd.cpio.gz" "${inputs[@]}" "$SKEL/initramfs" "$kdeb" "$bdeb" && need_initrd=1
	stale "$OUT/rootfs.ext4" "${inputs[@]}" "$SKEL/rootfs" "$bdeb" && need_rootfs=1
	if [ $need_image$need_initrd$need_rootfs = 000 ] && [ -f "$OUT/manifest.txt" ]; then
		log "up to date in $OUT"
		return 0
	fi

	KERNEL_DIR=$(extract_deb "$(deb_of kernel)")
	BUSYBOX_DIR=$(extract_deb "$(deb_of busybox)")
	# Keep only the extractions of the current packages.
	for d in "$CACHE"/extract/*; do
		case $d in "$KERNEL_DIR" | "$BUSYBOX_DIR") ;; *) rm -rf "$d" ;; esac
	done
	KVER=$(ls "$KERNEL_DIR/usr/lib/modules")
	[ "$(echo "$KVER" | wc -w)" = 1 ] || die "expected one kernel release in the package, found: $KVER"
	MODDIR=$KERNEL_DIR/usr/lib/modules/$KVER
	BUSYBOX_BIN=$BUSYBOX_DIR/usr/bin/busybox
	APPLETS=$(busybox_applets "$BUSYBOX_BIN")
	local a
	for a in $NEEDED_APPLETS; do
		grep -qxF "$a" <<<"$APPLETS" || die "busybox lacks the $a applet (or its applet table was not found)"
	done

	WORK=$CACHE/work
	rm -rf "$WORK"
	mkdir -p "$WORK"
	LOAD_ORDER=
	if [ $need_image = 1 ]; then
		build_image
	fi
	# The manifest's load order comes from the module resolution, so a
	# missing manifest means rebuilding the initrd too.
	if [ $need_initrd = 1 ] || [ ! -f "$OUT/manifest.txt" ]; then
		build_initrd
	fi
	if [ $need_rootfs = 1 ]; then
		build_rootfs
	fi
	write_manifest
	rm -rf "$WORK"
	log "done: $OUT"
}

main
