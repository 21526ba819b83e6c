#!/bin/sh
# make_seeds.sh OUTDIR [RVISOR]: write the seed corpora of the fuzz targets
# into OUTDIR/<target>/ (existing corpus files are kept). qcow2 seeds come
# from `qemu-img` when installed and from `rvisor img create` when RVISOR is
# given; the backing files they name ("base.raw", "base.qcow2") exist next
# to the fuzzed image (fuzz_qcow2.c makes them). Each seed's last byte is
# the target's control byte (read-write, qcow2 forced).
set -eu
out=${1:?usage: make_seeds.sh OUTDIR [RVISOR]}
rvisor=${2:-}
case $rvisor in ""|/*) ;; *) rvisor=$(pwd)/$rvisor ;; esac
mkdir -p "$out/qcow2" "$out/http" "$out/vmconfig" "$out/ctl" "$out/cmdline"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- qcow2: small images (512-byte to 64 KiB clusters), trailing control byte
seed_img() { # name file
    cp "$2" "$out/qcow2/$1"
    printf '\000' >>"$out/qcow2/$1"
}
if command -v qemu-img >/dev/null 2>&1; then
    q() { qemu-img "$@" >/dev/null; }
    q create -f raw "$tmp/base.raw" 1M
    q create -f qcow2 "$tmp/base.qcow2" 1M
    q create -f qcow2 -o cluster_size=512 "$tmp/v3-512.qcow2" 1M
    seed_img qemu-v3-512 "$tmp/v3-512.qcow2"
    q create -f qcow2 -o compat=0.10,cluster_size=4096 "$tmp/v2.qcow2" 1M
    seed_img qemu-v2-4k "$tmp/v2.qcow2"
    q create -f qcow2 -o cluster_size=4096,refcount_bits=1 "$tmp/rc1.qcow2" 1M
    seed_img qemu-rc1 "$tmp/rc1.qcow2"
    q create -f qcow2 -o cluster_size=4096,refcount_bits=64 "$tmp/rc64.qcow2" 1M
    seed_img qemu-rc64 "$tmp/rc64.qcow2"
    (cd "$tmp" && q create -f qcow2 -o cluster_size=4096 -b base.raw -F raw back.qcow2)
    seed_img qemu-backing-raw "$tmp/back.qcow2"
    (cd "$tmp" && q create -f qcow2 -o cluster_size=4096 -b base.qcow2 -F qcow2 back2.qcow2)
    seed_img qemu-backing-qcow2 "$tmp/back2.qcow2"
    # data, some of it compressed, a zero cluster and a discarded one
    python3 -c 'import sys; sys.stdout.buffer.write((b"rvisor fuzz " * 400)[:4096] * 16 + bytes(range(256)) * 16)' >"$tmp/data.raw"
    truncate -s 1M "$tmp/data.raw"
    q convert -c -O qcow2 -o cluster_size=4096 "$tmp/data.raw" "$tmp/comp.qcow2"
    seed_img qemu-compressed "$tmp/comp.qcow2"
    q convert -O qcow2 -o cluster_size=4096 "$tmp/data.raw" "$tmp/data.qcow2"
    qemu-io -c 'write -z 8k 4k' -c 'discard 16k 4k' "$tmp/data.qcow2" >/dev/null
    seed_img qemu-data "$tmp/data.qcow2"
fi
if [ -n "$rvisor" ] && [ -x "$rvisor" ]; then
    "$rvisor" img create -f qcow2 "$tmp/rv.qcow2" 1M >/dev/null
    seed_img rvisor-plain "$tmp/rv.qcow2"
    if [ -e "$tmp/base.raw" ]; then
        (cd "$tmp" && "$rvisor" img create -f qcow2 -b base.raw -F raw rv-back.qcow2 >/dev/null)
        seed_img rvisor-backing "$tmp/rv-back.qcow2"
    fi
fi

# --- http: control byte 0 = request, split in two; 1 = response
s() { printf '%b' "$2" >"$out/$1"; }
s http/get '\000GET /vms?name=a%20b HTTP/1.1\r\nHost: rvisord\r\n\r\n'
s http/post '\004POST /vms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"name":"a"}\n'
s http/chunked '\010PUT /vms/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n'
s http/abs '\000GET http://rvisord/vms/a/start HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
s http/resp '\001HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'
s http/resp-eof '\003HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\nbody until eof'
s http/resp-chunked '\201HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'

# --- vmconfig: control byte = parse flags (1 stored, 2 no name, 4 no kernel)
s vmconfig/full '\001{"name":"web1","uuid":"0f8fad5b-d9cb-469f-a165-70867728950e","vcpus":2,"memory_mib":256,"kernel":"/k/Image","initrd":"/k/initrd","cmdline":"console=ttyS0","disks":[{"path":"/d/a.qcow2","format":"qcow2","readonly":false},{"path":"/d/b.raw","format":"raw","readonly":true}],"nics":[{"type":"user","mac":"52:54:00:12:34:56"},{"type":"tap","ifname":"tap0"}],"autostart":true,"restart":"always","template":"base"}'
s vmconfig/min '\000{"name":"a","kernel":"/Image"}'
s vmconfig/override '\006{"memory_mib":512,"disks":[]}'

# --- ctl: one JSON line per seed
s ctl/hello '{"v":1,"type":"hello","name":"vm1","pid":4242}\n'
s ctl/request '{"v":1,"id":7,"type":"query"}\n'
s ctl/error '{"v":1,"id":7,"ok":false,"error":"already paused"}\n'
s ctl/event '{"v":1,"event":"exit","data":{"status":0,"reason":"poweroff"}}\n{"v":1,"event":"reboot","data":{"reboots":2,"guest_reboots":1}}\n'
s ctl/status '{"v":1,"id":1,"ok":true,"result":{"name":"vm1","state":"running","pid":10,"vcpus":1,"mem_bytes":268435456,"uptime_ms":5,"cpu_ns":7,"rss_bytes":9,"ram_resident_bytes":8,"powerbtn_ready":true,"reboots":1,"guest_reboots":0,"disks":[{"device":"vda","read_requests":1,"write_requests":2,"read_bytes":3,"write_bytes":4,"flushes":5,"errors":0}],"nics":[{"device":"net0","backend":"user","rx_packets":1,"rx_bytes":2,"tx_packets":3,"tx_bytes":4,"rx_dropped":0,"tx_dropped":0}]}}\n'

# --- cmdline: --net specs, sizes, integers
s cmdline/user 'user,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp::5353-10.0.2.15:53,mac=52:54:00:12:34:56'
s cmdline/tap 'tap,ifname=tap0'
s cmdline/size '512MiB'
s cmdline/int '-4'
echo "seeds in $out: $(find "$out" -type f | wc -l) files"
