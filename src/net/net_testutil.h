/* SPDX-License-Identifier: MIT */
/*
 * net_testutil: helpers for the unit tests of net/ and virtio/net.c:
 * Ethernet/IP/TCP frames built by hand and a byte-by-byte reference
 * checksum to hold the offload code against (checks: util/testcheck.h).
 * Header-only; single-threaded test programs.
 */
#ifndef RV_NET_TESTUTIL_H
#define RV_NET_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/testcheck.h"

static inline uint16_t nt_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void nt_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint32_t nt_get32(const uint8_t *p)
{
    return (uint32_t)nt_get16(p) << 16 | nt_get16(p + 2);
}

/* RFC 1071, one big-endian word at a time: the unfolded sum. */
static inline uint32_t nt_sum(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += nt_get16(p + i);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static inline uint16_t nt_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* Offsets of a frame built below. */
struct nt_layout {
    size_t l3, l4, payload;
    bool v6;
};

static inline void nt_layout_of(const uint8_t *f, struct nt_layout *l)
{
    l->l3 = nt_get16(f + 12) == 0x8100 ? 18 : 14;
    l->v6 = (f[l->l3] >> 4) == 6;
    l->l4 = l->l3 + (l->v6 ? 40 : (f[l->l3] & 15) * 4u);
    l->payload = l->l4 + (f[l->l4 + 12] >> 4) * 4u;
}

/* The pseudo-header sum (folded, not complemented) for `tcp_len` bytes. */
static inline uint16_t nt_pseudo(const uint8_t *f, size_t tcp_len)
{
    struct nt_layout l;
    nt_layout_of(f, &l);
    uint32_t s = l.v6 ? nt_sum(f + l.l3 + 8, 32, 0) : nt_sum(f + l.l3 + 12, 8, 0);
    return nt_fold(s + 6 + (uint32_t)tcp_len);
}

/* True if the TCP checksum of the whole frame (and the IPv4 header's) verify. */
static inline bool nt_csums_ok(const uint8_t *f, size_t len)
{
    struct nt_layout l;
    nt_layout_of(f, &l);
    if (!l.v6 && nt_fold(nt_sum(f + l.l3, l.l4 - l.l3, 0)) != 0xffff)
        return false;
    size_t tcp_len = len - l.l4;
    return nt_fold(nt_sum(f + l.l4, tcp_len, nt_pseudo(f, tcp_len))) == 0xffff;
}

static inline uint8_t nt_pattern(size_t i)
{
    return (uint8_t)(i * 13 + (i >> 8) + 5);
}

/* An Ethernet frame with an IPv4 (or IPv6) TCP segment of `plen` payload
 * bytes nt_pattern(0..plen-1), sequence 1000, the given flags, a 12-byte
 * TCP option block, and zero checksums. Returns its length. */
static inline size_t nt_tcp_frame(uint8_t *f, size_t plen, uint8_t flags, bool v6, bool vlan)
{
    static const uint8_t macs[12] = {0x52, 0x55, 10, 0, 2, 2, 0x52, 0x54, 0, 0x12, 0x34, 0x56};
    size_t l3 = vlan ? 18 : 14;
    memcpy(f, macs, 12);
    if (vlan) {
        nt_put16(f + 12, 0x8100);
        nt_put16(f + 14, 42);
    }
    nt_put16(f + l3 - 2, v6 ? 0x86dd : 0x0800);
    uint8_t *ip = f + l3;
    size_t iphl = v6 ? 40 : 20, thl = 32;
    memset(ip, 0, iphl + thl);
    if (v6) {
        ip[0] = 0x60;
        nt_put16(ip + 4, (uint16_t)(thl + plen));
        ip[6] = 6;
        ip[7] = 64;
        ip[8] = 0xfe;
        ip[23] = 0x15;
        ip[24] = 0xfe;
        ip[39] = 0x02;
    } else {
        ip[0] = 0x45;
        nt_put16(ip + 2, (uint16_t)(iphl + thl + plen));
        nt_put16(ip + 4, 0x1234);
        nt_put16(ip + 6, 0x4000); /* DF */
        ip[8] = 64;
        ip[9] = 6;
        uint8_t addrs[8] = {10, 0, 2, 15, 10, 0, 2, 2};
        memcpy(ip + 12, addrs, 8);
    }
    uint8_t *tcp = ip + iphl;
    nt_put16(tcp, 40000);
    nt_put16(tcp + 2, 8080);
    tcp[4] = 0;
    tcp[5] = 0;
    nt_put16(tcp + 6, 1000);
    nt_put16(tcp + 10, 77);
    tcp[12] = (uint8_t)((thl / 4) << 4);
    tcp[13] = flags;
    nt_put16(tcp + 14, 65535);
    tcp[20] = 1; /* NOP, NOP, timestamp */
    tcp[21] = 1;
    tcp[22] = 8;
    tcp[23] = 10;
    for (size_t i = 0; i < plen; i++)
        tcp[thl + i] = nt_pattern(i);
    return l3 + iphl + thl + plen;
}

#endif
