/* SPDX-License-Identifier: MIT */
/*
 * netdev: the frame interface between a network device (virtio/net.c) and a
 * network back end (slirp.c for `--net user`, tap.c for `--net tap`, later a
 * vswitch port). Frames are whole Ethernet frames without any virtio
 * header: the device has already completed checksums and split TSO frames
 * (offload.h) before it sends, and receives frames exactly as they come
 * off the network.
 *
 *   device -> back end:  netdev_send() one frame; netdev_tx_flush() after a
 *                        batch; netdev_rx_ready() when the device can take
 *                        frames again after its can_receive said no.
 *   back end -> device:  the peer's receive() with one frame, and
 *                        can_receive() before reading a source that can
 *                        wait (a TAP fd); a back end that cannot wait
 *                        (slirp) just delivers and the device queues a
 *                        bounded number of frames or drops.
 *
 * Also here: parsing of `--net` specs into a validated netdev_config, the
 * default MAC address, and netdev_open(), which builds the back end a
 * config names.
 *
 * Threads: everything runs on the VM's I/O thread (the loop passed to
 * netdev_open); the peer's callbacks are called there and nowhere else.
 */
#ifndef RV_NET_NETDEV_H
#define RV_NET_NETDEV_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/counter.h"
#include "util/err.h"

#define NETDEV_MAX_FRAME 65550 /* 64 KiB of IP (a TSO frame) + Ethernet header */
#define NETDEV_MAX_HOSTFWD 16
#define NETDEV_MAC_LEN 6

struct evloop;
struct netdev;

/* The device side, set with netdev_set_peer(). */
struct netdev_peer_ops {
    /* One frame of `len` bytes (1..NETDEV_MAX_FRAME) from the network. The
     * peer copies or drops it before returning. */
    void (*receive)(void *opaque, const void *frame, size_t len);
    /* False if receive() would have to drop now: a back end that can wait
     * stops reading until netdev_rx_ready(). */
    bool (*can_receive)(void *opaque);
};

struct netdev_ops {
    /* Send one frame. 0, or -errno if it was dropped (counted by the back
     * end; the device carries on). */
    int (*send)(struct netdev *nd, const void *frame, size_t len);
    /* The device finished a batch of send() calls. May be NULL. */
    void (*tx_flush)(struct netdev *nd);
    /* The peer can receive again. May be NULL. */
    void (*rx_ready)(struct netdev *nd);
    void (*free)(struct netdev *nd);
};

/* Counters, kept by the back end on the I/O thread, readable from any
 * thread (util/counter.h). */
struct netdev_stats {
    counter_t tx_frames, tx_bytes, tx_dropped;
    counter_t rx_frames, rx_bytes, rx_dropped;
};

/* The common part of every back end (embedded first in its state). */
struct netdev {
    const struct netdev_ops *ops;
    const char *kind;   /* "user", "tap" */
    bool rx_csum_valid; /* received frames carry complete, correct checksums */
    const struct netdev_peer_ops *peer;
    void *peer_opaque;
    struct netdev_stats stats;
};

enum netdev_kind { NETDEV_USER, NETDEV_TAP };

struct netdev_hostfwd {
    bool udp;
    struct in_addr host_addr;  /* INADDR_ANY when not given */
    struct in_addr guest_addr; /* INADDR_ANY: the DHCP address, 10.0.2.15 */
    uint16_t host_port, guest_port;
};

/* A validated --net spec. */
struct netdev_config {
    enum netdev_kind kind;
    char spec[128]; /* the spec as given (truncated), for messages */
    bool has_mac;
    uint8_t mac[NETDEV_MAC_LEN];
    char ifname[IFNAMSIZ]; /* tap */
    int nhostfwd;          /* user */
    struct netdev_hostfwd hostfwd[NETDEV_MAX_HOSTFWD];
};

/* Parse a --net spec:
 *   user[,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...[,mac=MAC]
 *   tap,ifname=NAME[,mac=MAC]
 * Returns 0, or -EINVAL with `e` set to "--net SPEC: what is wrong". */
int netdev_parse(const char *spec, struct netdev_config *cfg, struct err *e)
    __attribute__((warn_unused_result));

/* Parse "52:54:00:12:34:56" (a unicast address). 0 or -EINVAL. */
int netdev_parse_mac(const char *s, uint8_t mac[NETDEV_MAC_LEN])
    __attribute__((warn_unused_result));

/* The default MAC of NIC number `index` of a VM identified by `seed` (its
 * name, or its first disk): 52:54:00 followed by 24 bits of an FNV-1a hash
 * of seed and index, so it is the same on every run. seed NULL: 24 random
 * bits (getrandom). */
void netdev_default_mac(const char *seed, unsigned index, uint8_t mac[NETDEV_MAC_LEN]);

/* Build the back end `cfg` names, its events on `loop`. Returns 0 with *out
 * set, or -errno with `e` naming the spec and the problem (no /dev/net/tun,
 * permission, a host port in use). Main thread, before the loop runs. */
int netdev_open(struct netdev **out, const struct netdev_config *cfg, struct evloop *loop,
                struct err *e) __attribute__((warn_unused_result));

/* Back-end constructors behind netdev_open (slirp.c, tap.c). */
int netdev_slirp_new(struct netdev **out, const struct netdev_config *cfg, struct evloop *loop,
                     struct err *e) __attribute__((warn_unused_result));
int netdev_tap_new(struct netdev **out, const struct netdev_config *cfg, struct evloop *loop,
                   struct err *e) __attribute__((warn_unused_result));

/* Attach the device. Before the loop runs. */
void netdev_set_peer(struct netdev *nd, const struct netdev_peer_ops *ops, void *opaque);

/* Device side (I/O thread). */
static inline int netdev_send(struct netdev *nd, const void *frame, size_t len)
{
    return nd->ops->send(nd, frame, len);
}
void netdev_tx_flush(struct netdev *nd);
void netdev_rx_ready(struct netdev *nd);

/* Back-end side (I/O thread): hand a frame to the peer (counted; dropped
 * when there is no peer), or ask whether it can take one. */
void netdev_deliver(struct netdev *nd, const void *frame, size_t len);
bool netdev_peer_can_receive(struct netdev *nd);

/* Release the back end (its fds leave the loop). NULL is ignored. On the
 * loop's thread or after the loop stopped. */
void netdev_free(struct netdev *nd);

#endif
