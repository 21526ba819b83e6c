/* SPDX-License-Identifier: MIT */
/*
 * tap: the `--net tap,ifname=NAME` back end, a Linux TAP interface
 * (/dev/net/tun, IFF_TAP | IFF_NO_PI). Frames are written and read whole,
 * one per read()/write(). IFF_VNET_HDR is not used: the device has already
 * finished checksums and split TSO frames (offload.h), so the host kernel
 * gets plain frames, and frames from the host come with complete checksums
 * or from the wire unverified (rx_csum_valid is false: the guest checks).
 *
 * The interface either exists (made by `ip tuntap add dev NAME mode tap
 * [user USER]`, so an unprivileged rvisor can attach to it) or is created
 * by TUNSETIFF, which needs CAP_NET_ADMIN and disappears when rvisor exits.
 *
 * Flow control: before each read the device is asked whether it can take
 * a frame; when it cannot, the fd is no longer watched (the kernel queues,
 * then drops, as for a NIC with a full ring) until the device calls
 * netdev_rx_ready(). Writes are non-blocking; a frame the kernel refuses
 * (interface down, queue full) is dropped and counted.
 *
 * Threads: the I/O thread only.
 */
#include "net/netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/evloop.h"
#include "util/log.h"

#define TAP_FRAMES_PER_EVENT 64

struct tap {
    struct netdev nd;
    struct evloop *loop;
    int fd;
    bool reading; /* fd watched for EPOLLIN */
    char ifname[IFNAMSIZ];
    uint8_t buf[NETDEV_MAX_FRAME + 1]; /* +1: a longer frame shows as truncated */
};

static void set_reading(struct tap *t, bool on)
{
    if (t->reading == on)
        return;
    t->reading = on;
    evloop_mod_fd(t->loop, t->fd, on ? EPOLLIN : 0);
}

static void tap_readable(void *opaque, uint32_t events)
{
    struct tap *t = opaque;
    for (int i = 0; i < TAP_FRAMES_PER_EVENT; i++) {
        if (!netdev_peer_can_receive(&t->nd)) {
            set_reading(t, false);
            return;
        }
        ssize_t n = read(t->fd, t->buf, sizeof(t->buf));
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                log_warn("tap", "%s: read: %s", t->ifname, strerror(errno));
            return;
        }
        if (n == 0)
            return;
        if ((size_t)n > NETDEV_MAX_FRAME) {
            counter_inc(&t->nd.stats.rx_dropped);
            continue;
        }
        netdev_deliver(&t->nd, t->buf, (size_t)n);
    }
    /* more may be waiting: the level-triggered loop calls again */
}

static int tap_send(struct netdev *nd, const void *frame, size_t len)
{
    struct tap *t = (struct tap *)nd;
    ssize_t n = write(t->fd, frame, len);
    if (n != (ssize_t)len) {
        int err = n < 0 ? errno : EIO;
        counter_inc(&nd->stats.tx_dropped);
        log_debug("tap", "%s: frame of %zu bytes dropped: %s", t->ifname, len, strerror(err));
        return -err;
    }
    counter_inc(&nd->stats.tx_frames);
    counter_add(&nd->stats.tx_bytes, len);
    return 0;
}

static void tap_rx_ready(struct netdev *nd)
{
    set_reading((struct tap *)nd, true);
}

static void tap_free(struct netdev *nd)
{
    struct tap *t = (struct tap *)nd;
    if (t->fd >= 0) {
        evloop_del_fd(t->loop, t->fd);
        close(t->fd);
    }
    free(t);
}

static const struct netdev_ops tap_ops = {
    .send = tap_send,
    .rx_ready = tap_rx_ready,
    .free = tap_free,
};

static const char *attach_hint(int err)
{
    switch (err) {
    case EPERM:
    case EACCES:
        return " (needs CAP_NET_ADMIN, or an existing tap owned by this user: "
               "ip tuntap add dev NAME mode tap user USER)";
    case EBUSY: return " (the interface is in use by another process, or is not a tap)";
    default: return "";
    }
}

int netdev_tap_new(struct netdev **out, const struct netdev_config *cfg, struct evloop *loop,
                   struct err *e)
{
    struct tap *t = xzalloc(sizeof(*t));
    t->nd = (struct netdev){.ops = &tap_ops, .kind = "tap"};
    t->loop = loop;
    snprintf(t->ifname, sizeof(t->ifname), "%s", cfg->ifname);
    int r;
    t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (t->fd < 0) {
        r = -errno;
        err_set(e, "--net %s: tap %s: cannot open /dev/net/tun: %s%s", cfg->spec, t->ifname,
                strerror(errno), attach_hint(errno));
        goto fail;
    }
    struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
    memcpy(ifr.ifr_name, t->ifname, sizeof(t->ifname));
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
        r = -errno;
        err_set(e, "--net %s: tap %s: cannot attach: %s%s", cfg->spec, t->ifname, strerror(errno),
                attach_hint(errno));
        goto fail_close;
    }
    r = evloop_add_fd(loop, t->fd, EPOLLIN, tap_readable, t);
    if (r < 0) {
        err_set(e, "--net %s: tap %s: cannot watch its fd: %s", cfg->spec, t->ifname, strerror(-r));
        goto fail_close;
    }
    t->reading = true;
    *out = &t->nd;
    return 0;
fail_close:
    close(t->fd);
fail:
    free(t);
    return r;
}
