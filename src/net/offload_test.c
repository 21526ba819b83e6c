/* SPDX-License-Identifier: MIT */
/*
 * offload_test: software checksums and TCP segmentation against a
 * byte-by-byte reference: the RFC 1071 example, checksum completion from a
 * pseudo-header partial sum (as Linux leaves it), odd lengths, TSO of IPv4,
 * IPv6 and VLAN-tagged frames (segment sizes, sequence numbers, IP ids and
 * lengths, FIN/PSH/CWR placement, payload bytes, both checksums), and the
 * frames a hostile driver may send (zero MSS, truncated or non-TCP headers,
 * fragments, mismatched GSO type), which must be refused with nothing
 * emitted; which pure ACKs may replace an earlier one (same connection,
 * newer number, nothing but ACK and timestamps) and which may not.
 */
#include <stdlib.h>
#include <string.h>

#include "net/net_testutil.h"
#include "net/offload.h"

#define MAXF 70000

struct seg {
    size_t len;
    uint8_t data[2048];
};

struct sink {
    int n;
    struct seg seg[64];
};

static void collect(void *opaque, const uint8_t *frame, size_t len)
{
    struct sink *s = opaque;
    if (s->n < 64) {
        s->seg[s->n].len = len;
        memcpy(s->seg[s->n].data, frame, len < 2048 ? len : 2048);
    }
    s->n++;
}

static void test_rfc1071_example(void)
{
    const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK_EQ(offload_csum_fold(offload_csum_add(0, b, 8)), (uint16_t)~0xddf2);
    /* odd length and any split at even offsets give the reference result */
    uint8_t buf[1001];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = nt_pattern(i * 7);
    for (size_t len = 0; len <= sizeof(buf); len += 37) {
        uint16_t want = (uint16_t)~nt_fold(nt_sum(buf, len, 0));
        CHECK_EQ(offload_csum_fold(offload_csum_add(0, buf, len)), want);
        size_t half = (len / 2) & ~(size_t)1;
        uint32_t s = offload_csum_add(offload_csum_add(0, buf, half), buf + half, len - half);
        CHECK_EQ(offload_csum_fold(s), want);
    }
}

static void test_csum_complete(void)
{
    static uint8_t f[2048];
    for (size_t plen = 0; plen < 40; plen += 13) {
        size_t len = nt_tcp_frame(f, plen, 0x18, false, false);
        struct nt_layout l;
        nt_layout_of(f, &l);
        /* Linux's CHECKSUM_PARTIAL: the field holds the pseudo-header sum */
        nt_put16(f + l.l4 + 16, nt_pseudo(f, len - l.l4));
        nt_put16(f + l.l3 + 10, (uint16_t)~nt_fold(nt_sum(f + l.l3, 20, 0)));
        CHECK_EQ(offload_csum(f, len, (uint16_t)l.l4, 16), 0);
        CHECK(nt_csums_ok(f, len));
    }
    size_t len = nt_tcp_frame(f, 10, 0, false, false);
    /* guest-controlled offsets outside the frame are refused */
    CHECK(offload_csum(f, len, (uint16_t)(len - 1), 0) < 0);
    CHECK(offload_csum(f, len, 54, 0xffff) < 0);
    CHECK_EQ(offload_csum(f, len, (uint16_t)(len - 2), 0), 0);
}

/* Segment a frame of `plen` payload bytes at `mss` and check every segment. */
static void check_tso(size_t plen, uint16_t mss, bool v6, bool vlan)
{
    static uint8_t f[MAXF];
    static struct sink s;
    memset(&s, 0, sizeof(s));
    const uint8_t flags = 0x80 | 0x10 | 0x08 | 0x01; /* CWR ACK PSH FIN */
    size_t len = nt_tcp_frame(f, plen, flags, v6, vlan);
    struct nt_layout l;
    nt_layout_of(f, &l);
    int want = plen ? (int)((plen + mss - 1) / mss) : 1;
    int n = offload_segment(f, len, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4, mss,
                            collect, &s);
    CHECK_EQ(n, want);
    CHECK_EQ(s.n, want);
    size_t off = 0;
    for (int i = 0; i < s.n && i < 64; i++) {
        const uint8_t *g = s.seg[i].data;
        size_t glen = s.seg[i].len, n_pay = glen - l.payload;
        bool last = i == s.n - 1;
        CHECK_EQ(n_pay, last ? plen - off : mss);
        CHECK(nt_csums_ok(g, glen));
        CHECK_EQ(nt_get32(g + l.l4 + 4), 1000 + off);
        if (v6) {
            CHECK_EQ(nt_get16(g + l.l3 + 4), glen - l.l4);
        } else {
            CHECK_EQ(nt_get16(g + l.l3 + 2), glen - l.l3);
            CHECK_EQ(nt_get16(g + l.l3 + 4), (0x1234 + i) & 0xffff);
        }
        uint8_t fl = g[l.l4 + 13];
        CHECK_EQ(fl & 0x10, 0x10);
        CHECK_EQ(!!(fl & 0x80), i == 0);
        CHECK_EQ(!!(fl & 0x09), last);
        bool same = true;
        for (size_t k = 0; k < n_pay && l.payload + k < 2048; k++)
            same &= g[l.payload + k] == nt_pattern(off + k);
        CHECK(same);
        off += n_pay;
    }
}

static void test_tso_ipv4(void)
{
    check_tso(3000, 1000, false, false);
    check_tso(2500, 1448, false, false);
    check_tso(999, 1000, false, false);
    check_tso(0, 1000, false, false);
    check_tso(1, 1, false, false);
}

static void test_tso_ipv6_and_vlan(void)
{
    check_tso(4000, 1428, true, false);
    check_tso(3001, 1000, false, true);
    check_tso(2000, 700, true, true);
}

static void test_tso_big(void)
{
    static uint8_t f[MAXF];
    static struct sink s;
    memset(&s, 0, sizeof(s));
    size_t len = nt_tcp_frame(f, 65536 - 52, 0x10, false, false);
    CHECK_EQ(offload_segment(f, len, VIRTIO_NET_HDR_GSO_TCPV4, 1448, collect, &s), 46);
    CHECK(nt_csums_ok(s.seg[45].data, s.seg[45].len));
}

static void expect_refused(uint8_t *f, size_t len, unsigned type, uint16_t mss)
{
    struct sink *s = calloc(1, sizeof(*s));
    CHECK(offload_segment(f, len, type, mss, collect, s) < 0);
    CHECK_EQ(s->n, 0);
    free(s);
}

static void test_tso_hostile(void)
{
    static uint8_t f[MAXF];
    size_t len = nt_tcp_frame(f, 3000, 0x10, false, false);
    expect_refused(f, len, VIRTIO_NET_HDR_GSO_TCPV4, 0);
    expect_refused(f, len, VIRTIO_NET_HDR_GSO_TCPV6, 1000);
    expect_refused(f, len, VIRTIO_NET_HDR_GSO_UDP, 1000);
    for (size_t cut = 0; cut < 66; cut += 5)
        expect_refused(f, cut, VIRTIO_NET_HDR_GSO_TCPV4, 1000);
    f[14] = 0x44; /* IHL 4 */
    expect_refused(f, len, VIRTIO_NET_HDR_GSO_TCPV4, 1000);
    len = nt_tcp_frame(f, 3000, 0x10, false, false);
    f[14 + 9] = 17; /* UDP */
    expect_refused(f, len, VIRTIO_NET_HDR_GSO_TCPV4, 1000);
    len = nt_tcp_frame(f, 3000, 0x10, false, false);
    nt_put16(f + 14 + 6, 0x2000); /* more fragments */
    expect_refused(f, len, VIRTIO_NET_HDR_GSO_TCPV4, 1000);
    len = nt_tcp_frame(f, 10, 0x10, false, false);
    f[34 + 12] = 0xf0; /* TCP header of 60 bytes beyond the frame */
    expect_refused(f, 34 + 40, VIRTIO_NET_HDR_GSO_TCPV4, 1000);
    len = nt_tcp_frame(f, 3000, 0x10, true, false);
    f[14 + 6] = 0; /* hop-by-hop extension header */
    expect_refused(f, len, VIRTIO_NET_HDR_GSO_TCPV6, 1000);
}

/* A pure ACK (no payload, NOP NOP timestamp options) acknowledging `ack`. */
static size_t ack_frame(uint8_t *f, uint32_t ack, bool v6)
{
    size_t len = nt_tcp_frame(f, 0, 0x10, v6, false);
    struct nt_layout l;
    nt_layout_of(f, &l);
    nt_put16(f + l.l4 + 8, (uint16_t)(ack >> 16));
    nt_put16(f + l.l4 + 10, (uint16_t)ack);
    return len;
}

static void test_ack_replaces(void)
{
    uint8_t a[128], b[128];
    size_t al = ack_frame(a, 5000, false), bl = ack_frame(b, 6448, false);
    CHECK(offload_ack_replaces(a, al, b, bl));
    CHECK(!offload_ack_replaces(b, bl, a, al)); /* older */
    CHECK(!offload_ack_replaces(a, al, a, al)); /* duplicate ACK: kept */
    al = ack_frame(a, 0xfffffff0u, false);
    bl = ack_frame(b, 0x10, false);
    CHECK(offload_ack_replaces(a, al, b, bl)); /* across the wrap */
    al = ack_frame(a, 100, true);
    bl = ack_frame(b, 200, true);
    CHECK(offload_ack_replaces(a, al, b, bl));
    /* Ethernet padding after the IP datagram is fine */
    uint8_t pad[128] = {0};
    memcpy(pad, b, bl);
    CHECK(offload_ack_replaces(a, al, pad, bl + 6));
}

static void test_ack_not_replaced(void)
{
    uint8_t a[128], b[2048];
    size_t al = ack_frame(a, 5000, false), bl;
    struct nt_layout l;
    bl = ack_frame(b, 6000, false);
    nt_layout_of(b, &l);
    b[l.l4 + 1] ^= 1; /* another port */
    CHECK(!offload_ack_replaces(a, al, b, bl));
    bl = ack_frame(b, 6000, false);
    b[l.l3 + 15] ^= 1; /* another address */
    CHECK(!offload_ack_replaces(a, al, b, bl));
    bl = ack_frame(b, 6000, false);
    b[5] ^= 1; /* another MAC */
    CHECK(!offload_ack_replaces(a, al, b, bl));
    for (int fl = 0; fl < 8; fl++) {
        bl = ack_frame(b, 6000, false);
        b[l.l4 + 13] = (uint8_t)(0x10 | (1 << fl)); /* FIN, SYN, RST, PSH, URG, ECE, CWR */
        if (fl != 4)
            CHECK(!offload_ack_replaces(a, al, b, bl));
    }
    bl = ack_frame(b, 6000, false);
    b[l.l4 + 22] = 5; /* SACK instead of timestamps */
    CHECK(!offload_ack_replaces(a, al, b, bl));
    bl = nt_tcp_frame(b, 10, 0x10, false, false); /* data */
    CHECK(!offload_ack_replaces(a, al, b, bl));
    bl = ack_frame(b, 6000, true); /* IPv6 vs IPv4 */
    CHECK(!offload_ack_replaces(a, al, b, bl));
    bl = ack_frame(b, 6000, false);
    for (size_t cut = 0; cut < bl; cut += 3)
        CHECK(!offload_ack_replaces(a, al, b, cut));
    b[l.l3] = 0x46; /* IP options */
    CHECK(!offload_ack_replaces(a, al, b, bl));
}

int main(void)
{
    RUN(test_rfc1071_example);
    RUN(test_csum_complete);
    RUN(test_tso_ipv4);
    RUN(test_tso_ipv6_and_vlan);
    RUN(test_tso_big);
    RUN(test_tso_hostile);
    RUN(test_ack_replaces);
    RUN(test_ack_not_replaced);
    return check_failures ? 1 : 0;
}
