/* SPDX-License-Identifier: MIT */
/*
 * offload: software checksum completion and TCP segmentation. See offload.h.
 *
 * Segmentation writes each segment's headers into the frame buffer right
 * before that segment's payload, over payload bytes of earlier segments
 * that have already been emitted, so no segment is copied: segment k's
 * payload starts at hlen + k*mss and its headers occupy [k*mss, k*mss +
 * hlen). A copy of the original headers is kept aside.
 *
 * Per segment (as Linux's tcp_gso_segment does): IPv4 total length, an
 * identification that counts up from the original, header checksum; IPv6
 * payload length; TCP sequence number advanced by the payload before it,
 * FIN and PSH only on the last segment, CWR only on the first, and a full
 * TCP checksum over the pseudo-header.
 */
#include "net/offload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define IPPROTO_TCP_ 6
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80
#define MAX_HDRS (ETH_HLEN + 4 + 60 + 60) /* Ethernet + VLAN + IPv4 options + TCP options */

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static inline void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

uint32_t offload_csum_add(uint32_t sum, const void *buf, size_t len)
{
    /* Sum 32-bit words in host order, then fold and put the bytes in network
     * order: the one's complement sum does not depend on byte order (RFC 1071
     * §2(B)), so this equals the sum of big-endian 16-bit words. */
    const uint8_t *p = buf;
    uint64_t s = 0;
    for (; len >= 4; p += 4, len -= 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        s += w;
    }
    if (len >= 2) {
        uint16_t w;
        memcpy(&w, p, 2);
        s += w;
        p += 2;
        len -= 2;
    }
    if (len) {
        uint8_t last[2] = {p[0], 0};
        uint16_t w;
        memcpy(&w, last, 2);
        s += w;
    }
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    uint16_t be = ntohs((uint16_t)s);
    uint64_t t = (uint64_t)sum + be;
    while (t >> 32)
        t = (t & 0xffffffffu) + (t >> 32);
    return (uint32_t)t;
}

uint16_t offload_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

int offload_csum(uint8_t *frame, size_t len, uint16_t start, uint16_t offset)
{
    /* guest-controlled: the 2-byte field and the summed range inside the frame */
    if ((size_t)start + offset + 2 > len)
        return -EINVAL;
    uint16_t c = offload_csum_fold(offload_csum_add(0, frame + start, len - start));
    /* 0 and 0xffff are the same sum; UDP reserves 0 for "no checksum" */
    put16(frame + start + offset, c ? c : 0xffff);
    return 0;
}

/* Where the headers of a TCP frame are. */
struct tcp_layout {
    size_t l3, l4, hlen; /* IP header, TCP header, payload offsets */
    bool v6;
};

/* guest-controlled: the whole frame; every offset is checked against len */
static int parse_tcp(const uint8_t *f, size_t len, unsigned gso_type, struct tcp_layout *t)
{
    size_t l3 = ETH_HLEN;
    if (len < ETH_HLEN)
        return -EINVAL;
    uint16_t proto = get16(f + 12);
    if (proto == ETH_P_8021Q) {
        if (len < ETH_HLEN + 4)
            return -EINVAL;
        proto = get16(f + 16);
        l3 += 4;
    }
    if (gso_type == VIRTIO_NET_HDR_GSO_TCPV4) {
        if (proto != ETH_P_IP || len < l3 + 20 || (f[l3] >> 4) != 4)
            return -EINVAL;
        size_t ihl = (f[l3] & 15) * 4u;
        /* no fragments: TSO frames are whole datagrams */
        if (ihl < 20 || f[l3 + 9] != IPPROTO_TCP_ || (get16(f + l3 + 6) & 0x3fff))
            return -EINVAL;
        t->l4 = l3 + ihl;
        t->v6 = false;
    } else if (gso_type == VIRTIO_NET_HDR_GSO_TCPV6) {
        /* extension headers are not supported: TCP must follow directly */
        if (proto != ETH_P_IPV6 || len < l3 + 40 || (f[l3] >> 4) != 6 || f[l3 + 6] != IPPROTO_TCP_)
            return -EINVAL;
        t->l4 = l3 + 40;
        t->v6 = true;
    } else {
        return -EINVAL;
    }
    if (len < t->l4 + 20)
        return -EINVAL;
    size_t thl = (f[t->l4 + 12] >> 4) * 4u;
    if (thl < 20 || len < t->l4 + thl)
        return -EINVAL;
    t->l3 = l3;
    t->hlen = t->l4 + thl;
    return 0;
}

/* Fix the IP and TCP headers of a segment at `s` with `n` payload bytes. */
static void finish_segment(uint8_t *s, const struct tcp_layout *t, size_t n, uint32_t seq,
                           uint16_t ip_id, uint8_t tcp_flags)
{
    uint8_t *ip = s + t->l3, *tcp = s + t->l4;
    size_t tcp_len = t->hlen - t->l4 + n;
    uint32_t sum;
    if (t->v6) {
        put16(ip + 4, (uint16_t)tcp_len);
        sum = offload_csum_add(0, ip + 8, 32); /* source and destination */
    } else {
        put16(ip + 2, (uint16_t)(t->l4 - t->l3 + tcp_len));
        put16(ip + 4, ip_id);
        put16(ip + 10, 0);
        put16(ip + 10, offload_csum_fold(offload_csum_add(0, ip, t->l4 - t->l3)));
        sum = offload_csum_add(0, ip + 12, 8);
    }
    sum += IPPROTO_TCP_ + (uint32_t)tcp_len;
    put32(tcp + 4, seq);
    tcp[13] = tcp_flags;
    put16(tcp + 16, 0);
    put16(tcp + 16, offload_csum_fold(offload_csum_add(sum, tcp, tcp_len)));
}

int offload_segment(uint8_t *frame, size_t len, unsigned gso_type, uint16_t mss,
                    offload_emit_fn emit, void *opaque)
{
    struct tcp_layout t;
    uint8_t hdrs[MAX_HDRS];
    /* guest-controlled: gso_size, and the headers (parsed, not trusted) */
    if (mss == 0 || parse_tcp(frame, len, gso_type, &t) < 0 || t.hlen > sizeof(hdrs))
        return -EINVAL;
    size_t payload = len - t.hlen;
    /* the IP length fields are 16 bits */
    if (t.hlen - t.l3 + (payload < mss ? payload : mss) > 0xffff)
        return -EINVAL;
    memcpy(hdrs, frame, t.hlen);
    uint32_t seq = get32(frame + t.l4 + 4);
    uint16_t id = t.v6 ? 0 : get16(frame + t.l3 + 4);
    uint8_t flags = frame[t.l4 + 13];
    int count = 0;
    size_t off = 0;
    do {
        size_t n = payload - off < mss ? payload - off : mss;
        bool last = off + n == payload;
        uint8_t *s = frame + off;
        if (off)
            memcpy(s, hdrs, t.hlen);
        uint8_t fl = flags;
        if (!last)
            fl &= (uint8_t) ~(TCP_FIN | TCP_PSH);
        if (off)
            fl &= (uint8_t)~TCP_CWR;
        finish_segment(s, &t, n, seq + (uint32_t)off, (uint16_t)(id + count), fl);
        emit(opaque, s, t.hlen + n);
        count++;
        off += n;
    } while (off < payload);
    return count;
}

/* A pure ACK's connection (addresses, ports) and acknowledgement number. */
struct pure_ack {
    const uint8_t *addrs; /* IP source + destination */
    size_t addr_len;
    const uint8_t *ports;
    uint32_t ack;
};

/* Only NOPs and timestamps: anything else (SACK blocks above all) is
 * information a later ACK does not repeat. */
static bool options_plain(const uint8_t *opt, size_t len)
{
    for (size_t i = 0; i < len;) {
        if (opt[i] == 1) { /* NOP */
            i++;
            continue;
        }
        if (opt[i] == 8 && i + 10 <= len && opt[i + 1] == 10) { /* timestamps */
            i += 10;
            continue;
        }
        return false;
    }
    return true;
}

static bool parse_pure_ack(const uint8_t *f, size_t len, struct pure_ack *p)
{
    size_t l3 = ETH_HLEN, l4, ip_end;
    if (len < ETH_HLEN)
        return false;
    uint16_t proto = get16(f + 12);
    if (proto == ETH_P_IP) {
        /* no IP options, no fragment, TCP */
        if (len < l3 + 20 || f[l3] != 0x45 || f[l3 + 9] != IPPROTO_TCP_ ||
            (get16(f + l3 + 6) & 0x3fff))
            return false;
        l4 = l3 + 20;
        ip_end = l3 + get16(f + l3 + 2);
        p->addrs = f + l3 + 12;
        p->addr_len = 8;
    } else if (proto == ETH_P_IPV6) {
        if (len < l3 + 40 || (f[l3] >> 4) != 6 || f[l3 + 6] != IPPROTO_TCP_)
            return false;
        l4 = l3 + 40;
        ip_end = l4 + get16(f + l3 + 4);
        p->addrs = f + l3 + 8;
        p->addr_len = 32;
    } else {
        return false;
    }
    if (ip_end > len || ip_end < l4 + 20)
        return false;
    size_t thl = (f[l4 + 12] >> 4) * 4u;
    /* no payload, flags exactly ACK */
    if (thl < 20 || l4 + thl != ip_end || f[l4 + 13] != 0x10 || (f[l4 + 12] & 0x0f))
        return false;
    if (!options_plain(f + l4 + 20, thl - 20))
        return false;
    p->ports = f + l4;
    p->ack = get32(f + l4 + 8);
    return true;
}

bool offload_ack_replaces(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    struct pure_ack x, y;
    if (!parse_pure_ack(a, alen, &x) || !parse_pure_ack(b, blen, &y))
        return false;
    /* same Ethernet addresses, same connection, a newer acknowledgement */
    return !memcmp(a, b, 12) && x.addr_len == y.addr_len && !memcmp(x.addrs, y.addrs, x.addr_len) &&
           !memcmp(x.ports, y.ports, 4) && (int32_t)(y.ack - x.ack) > 0;
}
