/* SPDX-License-Identifier: MIT */
/*
 * console: virtio-console (virtio 1.2 §5.3) with one port, no MULTIPORT:
 * queue 0 is receiveq0 (host -> guest), queue 1 transmitq0 (guest -> host).
 * VIRTIO_CONSOLE_F_SIZE gives the guest a fixed 80x24 size; it is announced
 * with a config change once the driver has set up its receive buffers,
 * which is when Linux reads it (config_work_handler).
 *
 * The host side is a listening unix socket and at most one connection:
 *   - receive: while the guest has buffers, the connection is watched for
 *     input and data is read straight into them (readv); when they run out,
 *     the connection is no longer watched (back-pressure on the client)
 *     until the driver adds buffers and notifies;
 *   - transmit: chains are written with non-blocking sends; a partly sent
 *     chain is kept until the socket is writable again (no data is lost
 *     while a client is connected); without a client, output is dropped,
 *     like a serial line with nothing attached.
 *
 * Threads: everything runs on the I/O thread under the device's io_lock,
 * except reset (io_lock held, any thread), which drops a pending chain and
 * stops watching input.
 */
#include "virtio/console.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/evloop.h"
#include "util/log.h"

#define VIRTIO_CONSOLE_F_SIZE 0
#define CONSOLE_QUEUE_SIZE 128
#define RXQ 0
#define TXQ 1
#define MAX_CHAINS_PER_EVENT 64

struct vcons {
    struct virtio_dev *vdev;
    struct evloop *loop;
    char *path;
    int listen_fd, conn_fd;
    bool rx_watch;   /* conn_fd is watched for input */
    bool tx_pending; /* `tx` was popped and is partly sent */
    size_t tx_off;
    bool size_sent;
    struct virtq_elem rx, tx;
};

static void update_events(struct vcons *c)
{
    if (c->conn_fd < 0)
        return;
    uint32_t ev = (c->rx_watch ? EPOLLIN : 0) | (c->tx_pending ? EPOLLOUT : 0);
    evloop_mod_fd(c->loop, c->conn_fd, ev);
}

static void disconnect(struct vcons *c)
{
    if (c->conn_fd < 0)
        return;
    evloop_del_fd(c->loop, c->conn_fd);
    close(c->conn_fd);
    c->conn_fd = -1;
    c->rx_watch = false;
}

/* Host -> guest, while both the client and guest buffers last. */
static void pump_rx(struct vcons *c)
{
    struct virtq *vq = &c->vdev->vq[RXQ];
    bool pushed = false;
    for (int i = 0; i < MAX_CHAINS_PER_EVENT && c->conn_fd >= 0; i++) {
        if (!virtio_dev_queue_usable(c->vdev, RXQ)) {
            c->rx_watch = false;
            break;
        }
        int r = virtq_pop(vq, &c->rx);
        if (r < 0) {
            virtio_dev_set_needs_reset(c->vdev, "malformed descriptor chain");
            c->rx_watch = false;
            break;
        }
        if (r == 0) {
            if (virtq_enable_notify(vq))
                continue;
            c->rx_watch = false; /* until the driver adds buffers */
            break;
        }
        /* guest-controlled: a receive chain without writable buffers is
         * returned empty */
        ssize_t n = c->rx.nin ? readv(c->conn_fd, c->rx.iov + c->rx.nout, (int)c->rx.nin) : 0;
        if (n > 0 || c->rx.nin == 0) {
            virtq_push(vq, &c->rx, n > 0 ? (uint32_t)n : 0);
            pushed = true;
            continue;
        }
        virtq_unpop(vq);
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            disconnect(c);
        break;
    }
    if (pushed && virtq_need_interrupt(vq))
        virtio_dev_notify_used(c->vdev);
    update_events(c);
}

/* Send the rest of `tx`; true when it is all gone (or nobody listens). */
static bool send_tx(struct vcons *c)
{
    while (c->conn_fd >= 0 && c->tx_off < c->tx.out_len) {
        struct iovec iov[VIRTQ_MAX_SEGS];
        int n = virtq_iov_slice(iov, VIRTQ_MAX_SEGS, c->tx.iov, c->tx.nout, c->tx_off,
                                c->tx.out_len - c->tx_off);
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(c->conn_fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            c->tx_off += (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            return false;
        } else {
            disconnect(c);
        }
    }
    return true;
}

/* Guest -> host. */
static void pump_tx(struct vcons *c)
{
    struct virtq *vq = &c->vdev->vq[TXQ];
    bool pushed = false;
    int i;
    for (i = 0; i < MAX_CHAINS_PER_EVENT; i++) {
        if (!c->tx_pending) {
            int r = virtq_pop(vq, &c->tx);
            if (r < 0) {
                virtio_dev_set_needs_reset(c->vdev, "malformed descriptor chain");
                break;
            }
            if (r == 0) {
                if (virtq_enable_notify(vq))
                    continue;
                break;
            }
            c->tx_pending = true;
            c->tx_off = 0;
        }
        if (!send_tx(c))
            break; /* wait for EPOLLOUT */
        virtq_push(vq, &c->tx, 0);
        c->tx_pending = false;
        pushed = true;
    }
    if (pushed && virtq_need_interrupt(vq))
        virtio_dev_notify_used(c->vdev);
    if (i == MAX_CHAINS_PER_EVENT)
        virtio_dev_kick(c->vdev, TXQ); /* more than one event's worth: continue later */
    update_events(c);
}

static void cons_queue_notify(void *opaque, unsigned q)
{
    struct vcons *c = opaque;
    if (q == TXQ) {
        pump_tx(c);
        return;
    }
    if (!c->size_sent) {
        c->size_sent = true;
        virtio_dev_config_changed(c->vdev, 0, NULL, 0);
    }
    if (c->conn_fd >= 0 && !c->rx_watch) {
        c->rx_watch = true;
        update_events(c);
    }
}

static void conn_cb(void *opaque, uint32_t events)
{
    struct vcons *c = opaque;
    virtio_dev_io_lock(c->vdev);
    if (events & EPOLLIN)
        pump_rx(c);
    if ((events & EPOLLOUT) && c->tx_pending && virtio_dev_queue_usable(c->vdev, TXQ))
        pump_tx(c);
    if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN))
        disconnect(c);
    virtio_dev_io_unlock(c->vdev);
}

static void listen_cb(void *opaque, uint32_t events)
{
    struct vcons *c = opaque;
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    virtio_dev_io_lock(c->vdev);
    disconnect(c); /* a new client replaces the old one */
    if (evloop_add_fd(c->loop, fd, EPOLLIN, conn_cb, c) < 0) {
        log_warn("virtio-console", "%s: cannot watch the new connection", c->path);
        close(fd);
    } else {
        c->conn_fd = fd;
        c->rx_watch = true;
        if (c->tx_pending)
            update_events(c);
    }
    virtio_dev_io_unlock(c->vdev);
}

static void cons_reset(void *opaque)
{
    struct vcons *c = opaque;
    c->tx_pending = false; /* the rings are gone: nothing to give back */
    c->rx_watch = false;
    c->size_sent = false;
    update_events(c);
}

static void cons_free(void *opaque)
{
    struct vcons *c = opaque;
    disconnect(c);
    if (c->listen_fd >= 0) {
        evloop_del_fd(c->loop, c->listen_fd);
        close(c->listen_fd);
        unlink(c->path);
    }
    free(c->path);
    free(c);
}

static const struct virtio_dev_ops cons_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .features = 1ull << VIRTIO_CONSOLE_F_SIZE,
    .nqueues = 2,
    .queue_max = CONSOLE_QUEUE_SIZE,
    .config_size = 8, /* cols, rows, max_nr_ports */
    .queue_notify = cons_queue_notify,
    .reset = cons_reset,
    .free = cons_free,
};

/* Listen on `path`, replacing a stale socket. 0 or -errno with `e`. */
static int listen_unix(const char *path, int *out, struct err *e)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        err_set(e, "%s: socket path too long (at most %zu bytes)", path, sizeof(sa.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            err_set(e, "%s: exists and is not a socket", path);
            return -EEXIST;
        }
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
        int r = -errno;
        err_set(e, "%s: cannot listen: %s", path, strerror(-r));
        if (fd >= 0)
            close(fd);
        return r;
    }
    *out = fd;
    return 0;
}

int virtio_console_new(struct virtio_dev **out, const struct virtio_mmio_params *p,
                       const char *path, struct err *e)
{
    struct vcons *c = xzalloc(sizeof(*c));
    c->loop = p->loop;
    c->conn_fd = -1;
    c->listen_fd = -1;
    c->path = xstrdup(path);
    int r = listen_unix(path, &c->listen_fd, e);
    if (r < 0)
        goto fail;
    r = evloop_add_fd(c->loop, c->listen_fd, EPOLLIN, listen_cb, c);
    if (r < 0) {
        err_set(e, "%s: cannot watch the socket: %s", path, strerror(-r));
        goto fail_unlink;
    }
    r = virtio_mmio_new(&c->vdev, &cons_ops, c, p, e);
    if (r < 0) {
        evloop_del_fd(c->loop, c->listen_fd);
        goto fail_unlink;
    }
    uint8_t *cfg = c->vdev->config;
    virtio_put_le16(cfg + 0, VIRTIO_CONSOLE_COLS);
    virtio_put_le16(cfg + 2, VIRTIO_CONSOLE_ROWS);
    virtio_put_le32(cfg + 4, 1);
    *out = c->vdev;
    return 0;
fail_unlink:
    close(c->listen_fd);
    unlink(path);
fail:
    free(c->path);
    free(c);
    return r;
}
