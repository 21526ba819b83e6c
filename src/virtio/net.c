/* SPDX-License-Identifier: MIT */
/*
 * net: virtio-net (virtio 1.2 §5.1) over a net/ back end. See net.h.
 *
 * Every frame on either queue is preceded by the 12-byte struct
 * virtio_net_hdr (§5.1.6: flags, gso_type, hdr_len, gso_size, csum_start,
 * csum_offset, num_buffers; VERSION_1 always has num_buffers).
 *
 * Transmit (queue 1): a chain is the header then one frame, in any split
 * over descriptors (§2.7.4). The frame is copied to a host buffer (the
 * device may not write to the driver's readable buffers), then a TSO frame
 * is cut into segments and a NEEDS_CSUM frame gets its checksum
 * (net/offload.h), and the result goes to the back end. A chain too short
 * for the header is a broken driver (NEEDS_RESET); a frame that is too
 * short, too long (> NETDEV_MAX_FRAME) or whose offload request does not
 * parse is dropped and counted, and the chain returned.
 *
 * Receive (queue 0): a frame from the back end is written with its header
 * into one chain, or with MRG_RXBUF into as many chains as it needs, whose
 * count goes into num_buffers of the first (§5.1.6.4). The chains are
 * returned only once the whole frame is placed. When the guest has no
 * buffers, up to VIRTIO_NET_BACKLOG frames wait in a host-side backlog
 * (the device asks for a notification through avail_event, and flushes the
 * backlog when it comes); beyond that, frames are dropped and counted,
 * never blocking the I/O thread. Back ends that can wait (TAP) ask
 * can_receive first and pause while the backlog is full. Frames that
 * arrive while a transmit batch is processed (slirp answers each segment
 * with an ACK at once) go through the backlog too and are placed at the
 * end of the batch with one interrupt; a pure ACK there replaces the
 * previous one of its connection when it acknowledges more
 * (offload_ack_replaces), so the guest handles one ACK per TSO frame, not
 * one per segment.
 *
 * Threads: all on the I/O thread under the device's io_lock. Queue
 * notifications come with io_lock held; frames from the back end arrive
 * either inside them (slirp answers a transmitted frame at once, from
 * netdev_send) or from the back end's own events, where we take io_lock
 * ourselves: `in_io` tells which (it is only read and written on the I/O
 * thread). Reset (any thread, io_lock held) empties the backlog.
 */
#include "virtio/net.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/offload.h"
#include "util/alloc.h"
#include "util/counter.h"
#include "util/log.h"

/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1

/* Config space (§5.1.4): mac, status, max_virtqueue_pairs. */
#define CFG_MAC 0
#define CFG_STATUS 6
#define CFG_MAX_VQ_PAIRS 8
#define CFG_SIZE 10

#define RXQ 0
#define TXQ 1
#define ETH_HLEN 14
#define MAX_TX_PER_KICK 256
#define HDR_NUM_BUFFERS 10 /* offset of num_buffers in the header */

enum rx_result { RX_OK, RX_NOBUF, RX_DROPPED, RX_BROKEN };

/* A chain filled with part of a frame, to be returned when all of it is placed. */
struct rx_piece {
    uint16_t head;
    uint32_t len;
};

struct backlog_frame {
    uint8_t *data;
    size_t len;
};

struct vnet {
    struct virtio_dev *vdev;
    struct virtio_dev_ops ops;
    struct netdev *nd;
    uint8_t mac[NETDEV_MAC_LEN];
    bool in_io;    /* the I/O thread holds io_lock in one of our callbacks */
    bool defer_rx; /* in a transmit batch: received frames wait for its end */
    /* Separate chains: a transmitted frame can make the back end deliver
     * frames (slirp answers at once) while its chain is still held. */
    struct virtq_elem rx_elem, tx_elem;
    struct virtq_elem stub; /* used-ring entry for a piece: head and length only */
    struct rx_piece pieces[VIRTQ_MAX_SIZE];
    uint8_t *tx_buf; /* NETDEV_MAX_FRAME bytes */
    struct backlog_frame backlog[VIRTIO_NET_BACKLOG];
    unsigned bl_head, bl_count;
    /* written on the I/O thread (io_lock held), read by anyone */
    struct {
        counter_t tx_frames, tx_bytes, tx_segments, tx_bad;
        counter_t rx_frames, rx_bytes, rx_dropped, rx_coalesced;
    } st;
};

/* ---- receive ---- */

/* Copy `len` bytes into the writable part of `e` at `skip`, reporting the
 * written guest bytes. The caller checked that they fit. */
static void chain_write(struct ram *ram, const struct virtq_elem *e, size_t skip, const void *src,
                        size_t len)
{
    const uint8_t *s = src;
    for (unsigned i = e->nout; i < e->nout + e->nin && len; i++) {
        size_t n = e->iov[i].iov_len;
        if (skip >= n) {
            skip -= n;
            continue;
        }
        size_t c = n - skip < len ? n - skip : len;
        memcpy((uint8_t *)e->iov[i].iov_base + skip, s, c);
        ram_mark_written(ram, e->gpa[i] + skip, c);
        s += c;
        len -= c;
        skip = 0;
    }
}

/* Host pointer and guest address of byte `off` of the writable part. */
static uint8_t *in_byte(const struct virtq_elem *e, size_t off, uint64_t *gpa)
{
    for (unsigned i = e->nout; i < e->nout + e->nin; i++) {
        if (off < e->iov[i].iov_len) {
            *gpa = e->gpa[i] + off;
            return (uint8_t *)e->iov[i].iov_base + off;
        }
        off -= e->iov[i].iov_len;
    }
    return NULL;
}

/* Place one frame into the receive queue (see the header comment). */
static enum rx_result rx_place(struct vnet *n, const uint8_t *frame, size_t len)
{
    struct virtio_dev *d = n->vdev;
    struct virtq *vq = &d->vq[RXQ];
    bool mrg = virtio_dev_has_feature(d, VIRTIO_NET_F_MRG_RXBUF);
    uint8_t hdr[VIRTIO_NET_HDR_LEN] = {0};
    if (n->nd->rx_csum_valid && virtio_dev_has_feature(d, VIRTIO_NET_F_GUEST_CSUM))
        hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;
    hdr[HDR_NUM_BUFFERS] = 1;
    uint8_t *nb[2] = {NULL, NULL};
    uint64_t nb_gpa[2] = {0, 0};
    size_t total = VIRTIO_NET_HDR_LEN + len, done = 0;
    unsigned k = 0;
    while (done < total) {
        int r = k < VIRTQ_MAX_SIZE ? virtq_pop(vq, &n->rx_elem) : -EINVAL;
        if (r < 0) {
            virtio_dev_set_needs_reset(d, "malformed receive chain");
            return RX_BROKEN;
        }
        if (r == 0) {
            /* Ask for a notification on the driver's next buffer (§2.7.10)
             * while the chains taken so far still count as used, so that
             * avail_event points past them; if one came meanwhile, go on. */
            if (virtq_enable_notify(vq))
                continue;
            while (k--)
                virtq_unpop(vq);
            return RX_NOBUF;
        }
        const struct virtq_elem *e = &n->rx_elem;
        size_t take = e->in_len < total - done ? e->in_len : total - done;
        if (k == 0 && (e->in_len < VIRTIO_NET_HDR_LEN || (!mrg && take < total))) {
            /* guest-controlled: §5.1.6.3.1, with MRG_RXBUF every buffer holds
             * at least a header; without it a small buffer only loses this
             * frame (kept for the next one) */
            virtq_unpop(vq);
            if (mrg) {
                virtio_dev_set_needs_reset(d, "receive buffer smaller than virtio_net_hdr");
                return RX_BROKEN;
            }
            return RX_DROPPED;
        }
        size_t h = 0;
        if (k == 0) {
            nb[0] = in_byte(e, HDR_NUM_BUFFERS, &nb_gpa[0]);
            nb[1] = in_byte(e, HDR_NUM_BUFFERS + 1, &nb_gpa[1]);
            chain_write(d->ram, e, 0, hdr, VIRTIO_NET_HDR_LEN);
            h = VIRTIO_NET_HDR_LEN;
        }
        chain_write(d->ram, e, h, frame + done + h - VIRTIO_NET_HDR_LEN, take - h);
        n->pieces[k++] = (struct rx_piece){e->head, (uint32_t)take};
        done += take;
    }
    if (k > 1) {
        *nb[0] = (uint8_t)k;
        *nb[1] = (uint8_t)(k >> 8);
        ram_mark_written(d->ram, nb_gpa[0], 1);
        ram_mark_written(d->ram, nb_gpa[1], 1);
    }
    for (unsigned i = 0; i < k; i++) {
        n->stub.head = n->pieces[i].head;
        n->stub.in_len = n->pieces[i].len;
        virtq_push(vq, &n->stub, n->pieces[i].len);
    }
    counter_inc(&n->st.rx_frames);
    counter_add(&n->st.rx_bytes, len);
    return RX_OK;
}

static void backlog_pop(struct vnet *n)
{
    free(n->backlog[n->bl_head].data);
    n->backlog[n->bl_head].data = NULL;
    n->bl_head = (n->bl_head + 1) % VIRTIO_NET_BACKLOG;
    n->bl_count--;
}

static void backlog_clear(struct vnet *n)
{
    while (n->bl_count)
        backlog_pop(n);
    n->bl_head = 0;
}

/* Move backlog frames into the ring while it has buffers. Returns true if
 * any was placed. */
static bool backlog_flush(struct vnet *n)
{
    bool placed = false;
    while (n->bl_count) {
        const struct backlog_frame *f = &n->backlog[n->bl_head];
        enum rx_result r = rx_place(n, f->data, f->len);
        if (r == RX_NOBUF)
            break;
        if (r == RX_BROKEN) {
            counter_add(&n->st.rx_dropped, n->bl_count);
            backlog_clear(n);
            break;
        }
        if (r == RX_OK)
            placed = true;
        else
            counter_inc(&n->st.rx_dropped);
        backlog_pop(n);
    }
    return placed;
}

static void rx_interrupt(struct vnet *n)
{
    if (virtq_need_interrupt(&n->vdev->vq[RXQ]))
        virtio_dev_notify_used(n->vdev);
}

/* Queue a copy of a frame at the end of the backlog; false if it is full. */
static bool backlog_add(struct vnet *n, const void *frame, size_t len)
{
    if (n->bl_count == VIRTIO_NET_BACKLOG)
        return false;
    struct backlog_frame *f = &n->backlog[(n->bl_head + n->bl_count) % VIRTIO_NET_BACKLOG];
    f->data = xmalloc(len);
    memcpy(f->data, frame, len);
    f->len = len;
    n->bl_count++;
    return true;
}

/* During a transmit batch: hold the frame for the end of the batch, where
 * it goes out with the others and one interrupt. A pure ACK that
 * supersedes the one just before it replaces it (net/offload.h): a guest
 * sending a TSO frame gets one ACK for it instead of one per segment. */
static bool rx_defer(struct vnet *n, const void *frame, size_t len)
{
    bool placed = false;
    if (n->bl_count) {
        struct backlog_frame *t = &n->backlog[(n->bl_head + n->bl_count - 1) % VIRTIO_NET_BACKLOG];
        if (offload_ack_replaces(t->data, t->len, frame, len)) {
            t->data = xrealloc(t->data, len);
            memcpy(t->data, frame, len);
            t->len = len;
            counter_inc(&n->st.rx_coalesced);
            return false;
        }
    }
    if (n->bl_count == VIRTIO_NET_BACKLOG)
        placed = backlog_flush(n);
    if (!backlog_add(n, frame, len))
        counter_inc(&n->st.rx_dropped);
    return placed;
}

/* The peer's receive(): I/O thread. */
static void net_receive(void *opaque, const void *frame, size_t len)
{
    struct vnet *n = opaque;
    bool lock = !n->in_io;
    if (lock) {
        virtio_dev_io_lock(n->vdev);
        n->in_io = true;
    }
    bool placed = false;
    if (!virtio_dev_queue_usable(n->vdev, RXQ)) {
        /* no driver, or a broken one: the link drops what arrives */
        counter_inc(&n->st.rx_dropped);
        goto out;
    }
    if (n->defer_rx) {
        placed = rx_defer(n, frame, len);
        goto out;
    }
    if (n->bl_count)
        placed = backlog_flush(n);
    if (!n->bl_count) {
        enum rx_result r = rx_place(n, frame, len);
        if (r == RX_OK)
            placed = true;
        if (r == RX_DROPPED || r == RX_BROKEN)
            counter_inc(&n->st.rx_dropped);
        if (r != RX_NOBUF)
            goto out;
    }
    if (!backlog_add(n, frame, len))
        counter_inc(&n->st.rx_dropped);
out:
    if (placed)
        rx_interrupt(n);
    if (lock) {
        n->in_io = false;
        virtio_dev_io_unlock(n->vdev);
    }
}

/* The peer's can_receive(): false only while the backlog is full. */
static bool net_can_receive(void *opaque)
{
    struct vnet *n = opaque;
    bool lock = !n->in_io;
    if (lock)
        virtio_dev_io_lock(n->vdev);
    bool ok = !virtio_dev_queue_usable(n->vdev, RXQ) || n->bl_count < VIRTIO_NET_BACKLOG;
    if (lock)
        virtio_dev_io_unlock(n->vdev);
    return ok;
}

static const struct netdev_peer_ops net_peer_ops = {
    .receive = net_receive,
    .can_receive = net_can_receive,
};

/* The driver added receive buffers. */
static void rx_notify(struct vnet *n)
{
    if (backlog_flush(n))
        rx_interrupt(n);
    if (n->bl_count < VIRTIO_NET_BACKLOG)
        netdev_rx_ready(n->nd);
}

/* ---- transmit ---- */

static void tx_emit(void *opaque, const uint8_t *frame, size_t len)
{
    struct vnet *n = opaque;
    counter_inc(&n->st.tx_segments);
    netdev_send(n->nd, frame, len);
}

static uint16_t hdr16(const uint8_t *h, unsigned off)
{
    uint16_t v;
    memcpy(&v, h + off, 2);
    return le16toh(v);
}

static void tx_bad(struct vnet *n, const char *why, size_t len)
{
    counter_inc(&n->st.tx_bad);
    log_guest_error("virtio-net", "transmit frame of %zu bytes dropped: %s", len, why);
}

/* Send the frame of one chain. -EINVAL if the chain has no header. */
static int tx_chain(struct vnet *n, const struct virtq_elem *e)
{
    uint8_t h[VIRTIO_NET_HDR_LEN];
    /* guest-controlled: a header, then an Ethernet frame of bounded size */
    if (e->out_len < VIRTIO_NET_HDR_LEN)
        return -EINVAL;
    uint64_t len = e->out_len - VIRTIO_NET_HDR_LEN;
    if (len < ETH_HLEN || len > NETDEV_MAX_FRAME) {
        tx_bad(n, "bad length", len);
        return 0;
    }
    virtq_copy_from_out(e, 0, h, sizeof(h));
    virtq_copy_from_out(e, VIRTIO_NET_HDR_LEN, n->tx_buf, len);
    counter_inc(&n->st.tx_frames);
    counter_add(&n->st.tx_bytes, len);
    struct virtio_dev *d = n->vdev;
    uint8_t flags = h[0], gso = h[1];
    if (gso != VIRTIO_NET_HDR_GSO_NONE) {
        /* guest-controlled: only the TSO kinds we offered, no ECN (HOST_ECN
         * not offered), then the frame itself is parsed by offload_segment */
        bool ok =
            (gso == VIRTIO_NET_HDR_GSO_TCPV4 &&
             virtio_dev_has_feature(d, VIRTIO_NET_F_HOST_TSO4)) ||
            (gso == VIRTIO_NET_HDR_GSO_TCPV6 && virtio_dev_has_feature(d, VIRTIO_NET_F_HOST_TSO6));
        if (!ok || offload_segment(n->tx_buf, len, gso, hdr16(h, 4), tx_emit, n) < 0)
            tx_bad(n, "bad segmentation request", len);
        return 0;
    }
    if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        /* guest-controlled: csum_start/csum_offset, checked by offload_csum */
        if (!virtio_dev_has_feature(d, VIRTIO_NET_F_CSUM) ||
            offload_csum(n->tx_buf, len, hdr16(h, 6), hdr16(h, 8)) < 0) {
            tx_bad(n, "bad checksum request", len);
            return 0;
        }
    }
    tx_emit(n, n->tx_buf, len);
    return 0;
}

static void tx_notify(struct vnet *n)
{
    struct virtq *vq = &n->vdev->vq[TXQ];
    unsigned served = 0;
    bool broken = false;
    n->defer_rx = true;
    for (;;) {
        bool pushed = false;
        int r;
        while ((r = virtq_pop(vq, &n->tx_elem)) > 0) {
            if (tx_chain(n, &n->tx_elem) < 0) {
                virtio_dev_set_needs_reset(n->vdev, "transmit chain without virtio_net_hdr");
                broken = true;
                break;
            }
            virtq_push(vq, &n->tx_elem, 0);
            pushed = true;
            if (++served >= MAX_TX_PER_KICK)
                break;
        }
        if (r < 0) {
            virtio_dev_set_needs_reset(n->vdev, "malformed descriptor chain");
            broken = true;
        }
        if (broken)
            break;
        if (pushed && virtq_need_interrupt(vq))
            virtio_dev_notify_used(n->vdev);
        if (served >= MAX_TX_PER_KICK) {
            virtio_dev_kick(n->vdev, TXQ); /* let other work in, then continue */
            break;
        }
        if (!virtq_enable_notify(vq))
            break;
    }
    /* the back end may answer now (slirp): frames come back through net_receive */
    netdev_tx_flush(n->nd);
    n->defer_rx = false;
    if (backlog_flush(n))
        rx_interrupt(n);
}

/* ---- device callbacks ---- */

static void net_queue_notify(void *opaque, unsigned q)
{
    struct vnet *n = opaque;
    n->in_io = true;
    if (q == TXQ)
        tx_notify(n);
    else
        rx_notify(n);
    n->in_io = false;
}

static void net_reset(void *opaque)
{
    backlog_clear(opaque);
}

static void net_free(void *opaque)
{
    struct vnet *n = opaque;
    struct virtio_net_stats stats, *s = &stats;
    virtio_net_get_stats(n->vdev, s);
    log_info("virtio-net",
             "%s: tx %llu frames (%llu segments, %llu bad), rx %llu frames (%llu dropped, "
             "%llu ACKs coalesced)",
             n->nd->kind, (unsigned long long)s->tx_frames, (unsigned long long)s->tx_segments,
             (unsigned long long)s->tx_bad, (unsigned long long)s->rx_frames,
             (unsigned long long)s->rx_dropped, (unsigned long long)s->rx_coalesced);
    netdev_free(n->nd);
    backlog_clear(n);
    free(n->tx_buf);
    free(n);
}

void virtio_net_get_stats(struct virtio_dev *d, struct virtio_net_stats *out)
{
    const struct vnet *n = d->opaque;
    *out = (struct virtio_net_stats){
        .tx_frames = counter_get(&n->st.tx_frames),
        .tx_bytes = counter_get(&n->st.tx_bytes),
        .tx_segments = counter_get(&n->st.tx_segments),
        .tx_bad = counter_get(&n->st.tx_bad),
        .rx_frames = counter_get(&n->st.rx_frames),
        .rx_bytes = counter_get(&n->st.rx_bytes),
        .rx_dropped = counter_get(&n->st.rx_dropped),
        .rx_coalesced = counter_get(&n->st.rx_coalesced),
    };
    const struct netdev *nd = n->nd;
    out->backend_tx_dropped = counter_get(&nd->stats.tx_dropped);
    out->backend_rx_dropped = counter_get(&nd->stats.rx_dropped);
}

int virtio_net_new(struct virtio_dev **out, const struct virtio_mmio_params *p, struct netdev *nd,
                   const uint8_t mac[NETDEV_MAC_LEN], struct err *e)
{
    struct vnet *n = xzalloc(sizeof(*n));
    n->nd = nd;
    memcpy(n->mac, mac, NETDEV_MAC_LEN);
    n->tx_buf = xmalloc(NETDEV_MAX_FRAME);
    n->ops = (struct virtio_dev_ops){
        .name = "virtio-net",
        .device_id = VIRTIO_ID_NET,
        .features = (1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM) |
                    (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_HOST_TSO4) |
                    (1ull << VIRTIO_NET_F_HOST_TSO6) | (1ull << VIRTIO_NET_F_MRG_RXBUF) |
                    (1ull << VIRTIO_NET_F_STATUS),
        .nqueues = 2,
        .queue_max = VIRTIO_NET_QUEUE_SIZE,
        .config_size = CFG_SIZE,
        .queue_notify = net_queue_notify,
        .reset = net_reset,
        .free = net_free,
    };
    int r = virtio_mmio_new(&n->vdev, &n->ops, n, p, e);
    if (r < 0) {
        free(n->tx_buf);
        free(n);
        return r;
    }
    uint8_t *c = n->vdev->config;
    memcpy(c + CFG_MAC, mac, NETDEV_MAC_LEN);
    virtio_put_le16(c + CFG_STATUS, VIRTIO_NET_S_LINK_UP);
    virtio_put_le16(c + CFG_MAX_VQ_PAIRS, 1);
    netdev_set_peer(nd, &net_peer_ops, n);
    *out = n->vdev;
    return 0;
}
