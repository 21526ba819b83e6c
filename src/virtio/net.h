/* SPDX-License-Identifier: MIT */
/*
 * net: the virtio network device (virtio 1.2 §5.1) on a back end from net/
 * (user networking through libslirp, a TAP interface). One receive and one
 * transmit queue, no control queue. Offered: MAC, STATUS (link always up),
 * MRG_RXBUF, CSUM with HOST_TSO4/HOST_TSO6 (the device finishes checksums
 * and splits TSO frames itself, net/offload.h), GUEST_CSUM (frames from a
 * back end that vouches for their checksums are marked DATA_VALID).
 */
#ifndef RV_VIRTIO_NET_H
#define RV_VIRTIO_NET_H

#include "net/netdev.h"
#include "virtio/mmio.h"

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_HDR_LEN 12  /* struct virtio_net_hdr with VERSION_1 (§5.1.6) */
#define VIRTIO_NET_BACKLOG 256 /* frames held while the guest has no receive buffers */

/* What the device counted since it was created (a guest reboot keeps
 * them). Bytes are Ethernet frame bytes, without the virtio header. */
struct virtio_net_stats {
    uint64_t tx_frames;    /* chains taken from the transmit queue */
    uint64_t tx_bytes;     /* their frame bytes (before TSO splits them) */
    uint64_t tx_segments;  /* frames handed to the back end (after TSO) */
    uint64_t tx_bad;       /* chains dropped: malformed frame or header */
    uint64_t rx_frames;    /* frames written to the receive queue */
    uint64_t rx_bytes;     /* their bytes */
    uint64_t rx_dropped;   /* frames dropped: backlog full, device stopped, too big */
    uint64_t rx_coalesced; /* pure ACKs replaced by a later one before delivery */
    uint64_t backend_tx_dropped, backend_rx_dropped; /* the back end's drops (netdev_stats) */
};

/* Create a virtio-net device on back end `nd` with address `mac`. Returns
 * 0 with *out set and `nd` owned by the device (freed by virtio_dev_free),
 * or -errno with `e` filled and `nd` still the caller's. Main thread. */
int virtio_net_new(struct virtio_dev **out, const struct virtio_mmio_params *p, struct netdev *nd,
                   const uint8_t mac[NETDEV_MAC_LEN], struct err *e)
    __attribute__((warn_unused_result));

/* The device's and its back end's counters. Any thread, without a lock:
 * each value is read whole (util/counter.h), the set is not one snapshot. */
void virtio_net_get_stats(struct virtio_dev *d, struct virtio_net_stats *out);

#endif
