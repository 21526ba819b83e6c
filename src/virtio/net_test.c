/* SPDX-License-Identifier: MIT */
/*
 * net_test: virtio-net driven through the transport registers and
 * hand-built rings, on a fake back end that records what it is sent:
 *   - config space (MAC, link up) and offered features;
 *   - transmit: a frame split over descriptors, checksum completion, TSO
 *     split into segments, and frames that are dropped and counted (too
 *     short, too long, an offload that was not negotiated or does not
 *     parse); a chain without a header puts the device into NEEDS_RESET;
 *   - receive: one frame per buffer, DATA_VALID, a frame merged over
 *     several buffers (num_buffers), no buffers (the backlog, avail_event,
 *     delivery in order when buffers come), a full backlog (drops, and
 *     can_receive false until buffers come), a frame waiting for more
 *     buffers than are posted, too-small buffers, a stopped device, reset;
 *   - a back end answering inside send (slirp): both chains intact, and one
 *     ACK per segment coalesced into one per transmitted TSO frame.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "net/offload.h"
#include "virtio/net.h"
#include "virtio/virtio_testutil.h"
#include "net/net_testutil.h"

#define RXBASE (TU_RAM_BASE + 0x1000)
#define TXBASE (TU_RAM_BASE + 0x4000)
#define HDR (TU_RAM_BASE + 0x8000)
#define BUF (TU_RAM_BASE + 0x10000)   /* receive buffers, 0x1000 apart */
#define DATA (TU_RAM_BASE + 0x100000) /* transmit frames */
#define QSIZE 16

#define F_CSUM 0
#define F_GUEST_CSUM 1
#define F_MAC 5
#define F_HOST_TSO4 11
#define F_HOST_TSO6 12
#define F_MRG_RXBUF 15
#define F_STATUS 16

static struct ram ram;
static int irq_level;

struct fake {
    struct netdev nd;
    bool echo; /* answer every frame at once, from inside send (as slirp does) */
    bool ack;  /* answer every TCP segment with a pure ACK, as slirp does */
    int sent, flushes, rx_ready;
    size_t len[64];
    uint8_t frame[64][2048];
};

static int fake_send(struct netdev *nd, const void *frame, size_t len)
{
    struct fake *f = (struct fake *)nd;
    if (f->sent < 64) {
        f->len[f->sent] = len;
        memcpy(f->frame[f->sent], frame, len < 2048 ? len : 2048);
    }
    f->sent++;
    if (f->echo)
        netdev_deliver(nd, frame, len);
    if (f->ack) {
        struct nt_layout l;
        uint8_t a[128];
        nt_layout_of(frame, &l);
        uint32_t end = nt_get32((const uint8_t *)frame + l.l4 + 4) + (uint32_t)(len - l.payload);
        size_t alen = nt_tcp_frame(a, 0, 0x10, l.v6, false);
        nt_put16(a + l.l4 + 8, (uint16_t)(end >> 16));
        nt_put16(a + l.l4 + 10, (uint16_t)end);
        netdev_deliver(nd, a, alen);
    }
    return 0;
}

static void fake_flush(struct netdev *nd)
{
    ((struct fake *)nd)->flushes++;
}

static void fake_rx_ready(struct netdev *nd)
{
    ((struct fake *)nd)->rx_ready++;
}

static void fake_free(struct netdev *nd)
{
    free(nd);
}

static const struct netdev_ops fake_ops = {
    .send = fake_send, .tx_flush = fake_flush, .rx_ready = fake_rx_ready, .free = fake_free};

struct rig {
    struct virtio_dev *d;
    struct fake *f;
    struct tu_queue t[2];
    uint16_t next_rx; /* next receive descriptor */
};

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static bool start(struct rig *r, uint64_t features, bool csum_valid)
{
    memset(r, 0, sizeof(*r));
    r->f = calloc(1, sizeof(*r->f));
    r->f->nd = (struct netdev){.ops = &fake_ops, .kind = "fake", .rx_csum_valid = csum_valid};
    struct virtio_mmio_params p = {.ram = &ram, .base = 0x10001000, .irq = tu_irq_line(&irq_level)};
    struct err e = {0};
    if (virtio_net_new(&r->d, &p, &r->f->nd, MAC, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        return false;
    }
    tu_queue_init(&r->t[0], &ram, QSIZE, RXBASE);
    tu_queue_init(&r->t[1], &ram, QSIZE, TXBASE);
    features |= (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_EVENT_IDX);
    return tu_bringup(r->d, features, r->t, 2) & VIRTIO_CONFIG_S_DRIVER_OK;
}

static void stop(struct rig *r)
{
    virtio_dev_free(r->d);
}

static struct virtio_net_stats stats(struct rig *r)
{
    struct virtio_net_stats s;
    virtio_net_get_stats(r->d, &s);
    return s;
}

static void notify(struct rig *r, unsigned q)
{
    tu_wr(r->d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
    virtio_dev_run_kicks(r->d);
}

static void put_hdr(uint8_t flags, uint8_t gso, uint16_t gso_size, uint16_t start, uint16_t off)
{
    uint8_t *h = tu_ptr(&ram, HDR, 12);
    memset(h, 0, 12);
    h[0] = flags;
    h[1] = gso;
    uint16_t v[3] = {htole16(gso_size), htole16(start), htole16(off)};
    memcpy(h + 4, v, 6);
}

/* Transmit header + `len` bytes at DATA (two descriptors); returns the used
 * count afterwards. */
static uint16_t transmit(struct rig *r, uint32_t len)
{
    tu_desc(&r->t[1], 0, HDR, 12, VIRTQ_DESC_F_NEXT, 1);
    tu_desc(&r->t[1], 1, DATA, len, 0, 0);
    tu_publish(&r->t[1], 0);
    notify(r, 1);
    return tu_used_idx(&r->t[1]);
}

static void test_config(void)
{
    struct rig r;
    CHECK(start(&r, 0, false));
    for (int i = 0; i < 6; i++)
        CHECK_EQ(virtio_mmio_ops.read(r.d, VIRTIO_MMIO_CONFIG + i, 1), MAC[i]);
    CHECK_EQ(virtio_mmio_ops.read(r.d, VIRTIO_MMIO_CONFIG + 6, 2), 1);
    tu_wr(r.d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32_t f = tu_rd(r.d, VIRTIO_MMIO_DEVICE_FEATURES);
    CHECK(f & (1u << F_MAC));
    CHECK(f & (1u << F_STATUS));
    CHECK(f & (1u << F_MRG_RXBUF));
    CHECK(f & (1u << F_CSUM));
    CHECK(f & (1u << F_HOST_TSO4));
    CHECK_EQ(tu_rd(r.d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
    stop(&r);
}

static void test_tx_plain(void)
{
    struct rig r;
    CHECK(start(&r, 0, false));
    uint8_t *d = tu_ptr(&ram, DATA, 60);
    for (int i = 0; i < 60; i++)
        d[i] = (uint8_t)(i + 1);
    put_hdr(0, 0, 0, 0, 0);
    irq_level = 0;
    CHECK_EQ(transmit(&r, 60), 1);
    CHECK_EQ(r.f->sent, 1);
    CHECK_EQ(r.f->len[0], 60);
    CHECK(!memcmp(r.f->frame[0], d, 60));
    CHECK_EQ(tu_used(&r.t[1], 0).len, 0);
    CHECK_EQ(irq_level, 1);
    CHECK(r.f->flushes >= 1);
    /* the header and frame in one descriptor, frame split after 5 bytes */
    uint8_t *h = tu_ptr(&ram, HDR, 12 + 60);
    memset(h, 0, 12);
    memcpy(h + 12, d, 5);
    tu_desc(&r.t[1], 2, HDR, 17, VIRTQ_DESC_F_NEXT, 3);
    tu_desc(&r.t[1], 3, DATA + 5, 55, 0, 0);
    tu_publish(&r.t[1], 2);
    notify(&r, 1);
    CHECK_EQ(r.f->sent, 2);
    CHECK(!memcmp(r.f->frame[1], d, 60));
    /* counted as frames and bytes (without the virtio header) */
    CHECK_EQ(stats(&r).tx_frames, 2);
    CHECK_EQ(stats(&r).tx_bytes, 120);
    stop(&r);
}

static void test_tx_csum_and_tso(void)
{
    struct rig r;
    CHECK(start(&r, (1ull << F_CSUM) | (1ull << F_HOST_TSO4) | (1ull << F_HOST_TSO6), false));
    uint8_t *d = tu_ptr(&ram, DATA, 8000);
    size_t len = nt_tcp_frame(d, 100, 0x18, false, false);
    nt_put16(d + 34 + 16, nt_pseudo(d, len - 34));
    nt_put16(d + 14 + 10, (uint16_t)~nt_fold(nt_sum(d + 14, 20, 0)));
    put_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, 16);
    transmit(&r, (uint32_t)len);
    CHECK_EQ(r.f->sent, 1);
    CHECK(nt_csums_ok(r.f->frame[0], r.f->len[0]));
    /* the driver's buffer is not written */
    CHECK_EQ(nt_get16(d + 34 + 16), nt_pseudo(d, len - 34));

    len = nt_tcp_frame(d, 3000, 0x18, true, false);
    put_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 1200, 54, 16);
    transmit(&r, (uint32_t)len);
    CHECK_EQ(r.f->sent, 4);
    CHECK_EQ(r.f->len[1], 86 + 1200);
    CHECK_EQ(r.f->len[3], 86 + 600);
    for (int i = 1; i < 4; i++)
        CHECK(nt_csums_ok(r.f->frame[i], r.f->len[i]));
    struct virtio_net_stats s = stats(&r);
    CHECK_EQ(s.tx_frames, 2);
    CHECK_EQ(s.tx_segments, 4);
    CHECK_EQ(s.tx_bad, 0);
    stop(&r);
}

static void test_tx_dropped(void)
{
    struct rig r;
    CHECK(start(&r, 1ull << F_CSUM, false));
    uint8_t *d = tu_ptr(&ram, DATA, 70000);
    size_t len = nt_tcp_frame(d, 3000, 0x18, false, false);
    put_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1000, 34, 16);
    CHECK_EQ(transmit(&r, (uint32_t)len), 1); /* TSO not negotiated */
    put_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, 0xfff0);
    CHECK_EQ(transmit(&r, (uint32_t)len), 2); /* checksum field outside the frame */
    put_hdr(0, 0, 0, 0, 0);
    CHECK_EQ(transmit(&r, 13), 3);    /* shorter than an Ethernet header */
    CHECK_EQ(transmit(&r, 65551), 4); /* longer than any frame */
    put_hdr(0, VIRTIO_NET_HDR_GSO_UDP, 1000, 0, 0);
    CHECK_EQ(transmit(&r, (uint32_t)len), 5);
    CHECK_EQ(r.f->sent, 0);
    CHECK_EQ(stats(&r).tx_bad, 5);
    CHECK(!(tu_rd(r.d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
    put_hdr(0, 0, 0, 0, 0);
    CHECK_EQ(transmit(&r, 65550), 6);
    CHECK_EQ(r.f->sent, 1);
    /* a chain without a whole header is a broken driver */
    tu_desc(&r.t[1], 0, HDR, 11, 0, 0);
    tu_publish(&r.t[1], 0);
    notify(&r, 1);
    CHECK(tu_rd(r.d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
    stop(&r);
}

/* Post a receive buffer of `len` bytes (descriptor i, at BUF + i*0x1000). */
static void post_rx(struct rig *r, uint32_t len)
{
    uint16_t i = r->next_rx++ % QSIZE;
    tu_desc(&r->t[0], i, BUF + 0x1000ull * i, len, VIRTQ_DESC_F_WRITE, 0);
    tu_publish(&r->t[0], i);
}

static uint8_t *rx_buf(uint16_t i)
{
    return tu_ptr(&ram, BUF + 0x1000ull * i, 0x1000);
}

static void make_frame(uint8_t *f, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)(i * 3 + seed);
}

static void test_rx_single(void)
{
    struct rig r;
    CHECK(start(&r, 1ull << F_GUEST_CSUM, true));
    post_rx(&r, 1526);
    post_rx(&r, 1526);
    notify(&r, 0);
    uint8_t f[1514];
    make_frame(f, sizeof(f), 1);
    irq_level = 0;
    netdev_deliver(&r.f->nd, f, sizeof(f));
    CHECK_EQ(tu_used_idx(&r.t[0]), 1);
    CHECK_EQ(tu_used(&r.t[0], 0).id, 0);
    CHECK_EQ(tu_used(&r.t[0], 0).len, 12 + sizeof(f));
    CHECK_EQ(rx_buf(0)[0], VIRTIO_NET_HDR_F_DATA_VALID);
    CHECK_EQ(rx_buf(0)[10], 1); /* num_buffers */
    CHECK(!memcmp(rx_buf(0) + 12, f, sizeof(f)));
    CHECK_EQ(irq_level, 1);
    /* a frame larger than the next buffer is dropped; the buffer stays */
    uint8_t big[2000];
    make_frame(big, sizeof(big), 2);
    netdev_deliver(&r.f->nd, big, sizeof(big));
    CHECK_EQ(tu_used_idx(&r.t[0]), 1);
    CHECK_EQ(stats(&r).rx_dropped, 1);
    netdev_deliver(&r.f->nd, f, 60);
    CHECK_EQ(tu_used_idx(&r.t[0]), 2);
    CHECK_EQ(tu_used(&r.t[0], 1).len, 72);
    /* frames and bytes that reached the guest; the back end counts what it
     * delivered, dropped or not */
    struct virtio_net_stats s = stats(&r);
    CHECK_EQ(s.rx_frames, 2);
    CHECK_EQ(s.rx_bytes, sizeof(f) + 60);
    CHECK_EQ(r.f->nd.stats.rx_frames, 3);
    CHECK_EQ(r.f->nd.stats.rx_bytes, sizeof(f) + sizeof(big) + 60);
    CHECK_EQ(s.backend_rx_dropped, 0);
    stop(&r);
}

static void test_rx_mergeable(void)
{
    struct rig r;
    CHECK(start(&r, 1ull << F_MRG_RXBUF, false));
    for (int i = 0; i < 3; i++)
        post_rx(&r, 100);
    notify(&r, 0);
    uint8_t f[250];
    make_frame(f, sizeof(f), 3);
    netdev_deliver(&r.f->nd, f, sizeof(f));
    CHECK_EQ(tu_used_idx(&r.t[0]), 3);
    CHECK_EQ(tu_used(&r.t[0], 0).len, 100);
    CHECK_EQ(tu_used(&r.t[0], 1).len, 100);
    CHECK_EQ(tu_used(&r.t[0], 2).len, 62);
    CHECK_EQ(rx_buf(0)[0], 0); /* back end does not vouch for checksums */
    CHECK_EQ(rx_buf(0)[10], 3);
    CHECK(!memcmp(rx_buf(0) + 12, f, 88));
    CHECK(!memcmp(rx_buf(1), f + 88, 100));
    CHECK(!memcmp(rx_buf(2), f + 188, 62));
    /* 2 buffers for a frame that needs 3: it waits, then goes out whole */
    post_rx(&r, 100);
    post_rx(&r, 100);
    notify(&r, 0);
    netdev_deliver(&r.f->nd, f, sizeof(f));
    CHECK_EQ(tu_used_idx(&r.t[0]), 3);
    CHECK_EQ(tu_avail_event(&r.t[0]), 5); /* notify me past the two I hold */
    post_rx(&r, 100);
    notify(&r, 0);
    CHECK_EQ(tu_used_idx(&r.t[0]), 6);
    CHECK_EQ(rx_buf(3)[10], 3);
    CHECK(!memcmp(rx_buf(5), f + 188, 62));
    CHECK_EQ(stats(&r).rx_frames, 2);
    stop(&r);
}

static void test_rx_backlog(void)
{
    struct rig r;
    CHECK(start(&r, 1ull << F_MRG_RXBUF, false));
    uint8_t f[64];
    for (unsigned i = 0; i < 3; i++) {
        make_frame(f, sizeof(f), i);
        netdev_deliver(&r.f->nd, f, sizeof(f));
    }
    CHECK_EQ(tu_used_idx(&r.t[0]), 0);
    CHECK_EQ(tu_avail_event(&r.t[0]), 0);
    for (int i = 0; i < 3; i++)
        post_rx(&r, 1526);
    notify(&r, 0);
    CHECK_EQ(tu_used_idx(&r.t[0]), 3);
    for (unsigned i = 0; i < 3; i++) {
        make_frame(f, sizeof(f), i);
        CHECK(!memcmp(rx_buf((uint16_t)i) + 12, f, sizeof(f)));
    }
    /* fill the backlog: then frames are dropped and can_receive says no */
    for (unsigned i = 0; i < VIRTIO_NET_BACKLOG + 5; i++)
        netdev_deliver(&r.f->nd, f, sizeof(f));
    CHECK_EQ(stats(&r).rx_dropped, 5);
    CHECK(!netdev_peer_can_receive(&r.f->nd));
    int ready = r.f->rx_ready;
    for (int i = 0; i < 4; i++)
        post_rx(&r, 1526);
    notify(&r, 0);
    CHECK_EQ(tu_used_idx(&r.t[0]), 7);
    CHECK(netdev_peer_can_receive(&r.f->nd));
    CHECK_EQ(r.f->rx_ready, ready + 1);
    /* reset empties the backlog */
    virtio_dev_reset(r.d);
    tu_queue_init(&r.t[0], &ram, QSIZE, RXBASE);
    tu_queue_init(&r.t[1], &ram, QSIZE, TXBASE);
    r.next_rx = 0;
    CHECK(tu_bringup(r.d, (1ull << VIRTIO_F_VERSION_1) | (1ull << F_MRG_RXBUF), r.t, 2) &
          VIRTIO_CONFIG_S_DRIVER_OK);
    post_rx(&r, 1526);
    notify(&r, 0);
    CHECK_EQ(tu_used_idx(&r.t[0]), 0);
    stop(&r);
}

/* The back end answers from inside netdev_send: both chains stay intact. */
static void test_tx_answered_at_once(void)
{
    struct rig r;
    CHECK(start(&r, 1ull << F_MRG_RXBUF, false));
    r.f->echo = true;
    post_rx(&r, 1526);
    post_rx(&r, 1526);
    notify(&r, 0);
    uint8_t *d = tu_ptr(&ram, DATA, 60);
    make_frame(d, 60, 9);
    put_hdr(0, 0, 0, 0, 0);
    tu_desc(&r.t[1], 5, HDR, 12, VIRTQ_DESC_F_NEXT, 6);
    tu_desc(&r.t[1], 6, DATA, 60, 0, 0);
    tu_publish(&r.t[1], 5);
    notify(&r, 1);
    CHECK_EQ(tu_used_idx(&r.t[1]), 1);
    CHECK_EQ(tu_used(&r.t[1], 0).id, 5);
    CHECK_EQ(tu_used_idx(&r.t[0]), 1);
    CHECK_EQ(tu_used(&r.t[0], 0).id, 0);
    CHECK(!memcmp(rx_buf(0) + 12, d, 60));
    stop(&r);
}

/* One ACK per segment from the back end: the guest gets only the last. */
static void test_acks_coalesced(void)
{
    struct rig r;
    CHECK(start(&r, (1ull << F_CSUM) | (1ull << F_HOST_TSO4) | (1ull << F_MRG_RXBUF), false));
    r.f->ack = true;
    for (int i = 0; i < 4; i++)
        post_rx(&r, 1526);
    notify(&r, 0);
    uint8_t *d = tu_ptr(&ram, DATA, 8000);
    size_t len = nt_tcp_frame(d, 5000, 0x10, false, false);
    put_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448, 34, 16);
    irq_level = 0;
    transmit(&r, (uint32_t)len);
    CHECK_EQ(r.f->sent, 4);
    CHECK_EQ(tu_used_idx(&r.t[0]), 1);
    CHECK_EQ(nt_get32(rx_buf(0) + 12 + 34 + 8), 1000 + 5000);
    CHECK_EQ(irq_level, 1);
    struct virtio_net_stats s = stats(&r);
    CHECK_EQ(s.rx_coalesced, 3);
    CHECK_EQ(s.rx_frames, 1);
    /* a second TSO frame: again one ACK, the last */
    len = nt_tcp_frame(d, 3000, 0x10, false, false);
    nt_put16(d + 34 + 4, 0);
    nt_put16(d + 34 + 6, 7000);
    put_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1000, 34, 16);
    transmit(&r, (uint32_t)len);
    CHECK_EQ(tu_used_idx(&r.t[0]), 2);
    CHECK_EQ(nt_get32(rx_buf((uint16_t)tu_used(&r.t[0], 1).id) + 12 + 34 + 8), 10000);
    stop(&r);
}

static void test_rx_hostile(void)
{
    struct rig r;
    uint8_t f[64] = {0};
    /* with MRG_RXBUF a buffer must hold a header */
    CHECK(start(&r, 1ull << F_MRG_RXBUF, false));
    post_rx(&r, 8);
    notify(&r, 0);
    netdev_deliver(&r.f->nd, f, sizeof(f));
    CHECK(tu_rd(r.d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
    CHECK_EQ(tu_used_idx(&r.t[0]), 0);
    /* a broken device drops what arrives */
    netdev_deliver(&r.f->nd, f, sizeof(f));
    CHECK_EQ(stats(&r).rx_dropped, 2);
    stop(&r);
    /* a receive chain that loops */
    CHECK(start(&r, 0, false));
    tu_desc(&r.t[0], 0, BUF, 100, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
    tu_publish(&r.t[0], 0);
    notify(&r, 0);
    netdev_deliver(&r.f->nd, f, sizeof(f));
    CHECK(tu_rd(r.d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
    stop(&r);
}

/* Random descriptor tables, ring indexes and frames on both queues: the
 * device must never touch memory outside guest RAM (ASan in CI) and either
 * serve, drop or go to NEEDS_RESET, after which a reset brings it back. */
static void test_random_rings(void)
{
    struct rig r;
    uint64_t features =
        (1ull << F_CSUM) | (1ull << F_HOST_TSO4) | (1ull << F_HOST_TSO6) | (1ull << F_GUEST_CSUM);
    CHECK(start(&r, features, true));
    r.f->ack = false;
    unsigned seed = 12345, resets = 0;
    static uint8_t frame[NETDEV_MAX_FRAME];
    for (int iter = 0; iter < 3000; iter++) {
        seed = seed * 1103515245u + 12345u;
        unsigned q = seed >> 31;
        struct tu_queue *t = &r.t[q];
        for (uint16_t i = 0; i < QSIZE; i++) {
            seed = seed * 1103515245u + 12345u;
            uint64_t addr = (seed & 7) ? DATA + (seed >> 8) % 0x200000 : (uint64_t)seed << 20;
            uint32_t len = (seed >> 3) % 3 ? (seed >> 5) % 2048 : (seed >> 5) % 80000;
            uint16_t flags = (uint16_t)((seed >> 13) & 7);
            if (flags & VIRTQ_DESC_F_INDIRECT && (seed >> 17) % 4)
                flags &= (uint16_t)~VIRTQ_DESC_F_INDIRECT;
            tu_desc(t, i, addr, len, flags, (uint16_t)((seed >> 20) % (QSIZE + 2)));
        }
        seed = seed * 1103515245u + 12345u;
        if (seed % 17 == 0)
            tu_set_avail_idx(t, (uint16_t)(seed >> 16));
        else
            for (unsigned k = 0; k < 1 + (seed >> 8) % 4; k++)
                tu_publish(t, (uint16_t)((seed >> (12 + k)) % (QSIZE + 1)));
        if (iter % 2 == 0) {
            seed = seed * 1103515245u + 12345u;
            size_t n = 1 + (seed >> 4) % (seed % 5 ? 1600 : NETDEV_MAX_FRAME);
            memset(frame, (int)seed, n);
            netdev_deliver(&r.f->nd, frame, n);
        }
        notify(&r, q);
        if (tu_rd(r.d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET) {
            resets++;
            tu_queue_init(&r.t[0], &ram, QSIZE, RXBASE);
            tu_queue_init(&r.t[1], &ram, QSIZE, TXBASE);
            CHECK(tu_bringup(r.d,
                             features | (1ull << VIRTIO_F_VERSION_1) |
                                 (1ull << VIRTIO_F_RING_INDIRECT_DESC),
                             r.t, 2) &
                  VIRTIO_CONFIG_S_DRIVER_OK);
        }
    }
    struct virtio_net_stats st = stats(&r);
    fprintf(stderr, "     %u resets, tx %llu (%llu bad), rx %llu\n", resets,
            (unsigned long long)st.tx_frames, (unsigned long long)st.tx_bad,
            (unsigned long long)st.rx_frames);
    CHECK(resets > 0);
    stop(&r);
}

int main(void)
{
    tu_ram_init(&ram);
    RUN(test_config);
    RUN(test_tx_plain);
    RUN(test_tx_csum_and_tso);
    RUN(test_tx_dropped);
    RUN(test_rx_single);
    RUN(test_rx_mergeable);
    RUN(test_rx_backlog);
    RUN(test_tx_answered_at_once);
    RUN(test_acks_coalesced);
    RUN(test_rx_hostile);
    RUN(test_random_rings);
    ram_destroy(&ram);
    return check_failures ? 1 : 0;
}
