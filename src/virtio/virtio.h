/* SPDX-License-Identifier: MIT */
/*
 * virtio: the seam between the virtio-mmio transport (mmio.c) and the device
 * back ends (blk.c, rng.c, console.c, later net.c and balloon.c).
 *
 * A device file fills a `struct virtio_dev_ops` (its device ID, features,
 * queues, config space and callbacks), creates its `struct virtio_dev` with
 * virtio_mmio_new() (mmio.h), and from then on only handles queue
 * notifications: pop chains with virtq_pop() (queue.h), do the work, push
 * them back with virtq_push(), then call virtio_dev_notify_used(). Guest
 * mistakes in a chain or a request the device cannot parse end in
 * virtio_dev_set_needs_reset().
 *
 * Threads and locks. Each device has two mutexes:
 *   - `lock` protects the registers (status, features, interrupt status,
 *     selectors, staged queue configuration, config space). MMIO callbacks
 *     on vCPU threads hold it briefly; it is never held across I/O.
 *   - `io_lock` protects the live queues and the back end's in-flight state.
 *     The I/O thread holds it while it processes a queue (ops->queue_notify
 *     is called with it held). A vCPU takes it only to reset the device or
 *     to enable/disable a queue, which therefore waits for the request in
 *     progress to finish: after a reset the device never touches the old
 *     rings again.
 * Lock order: io_lock, then lock. The interrupt line is set under `lock` so
 * that the line level always matches InterruptStatus.
 *
 * Constants use the virtio 1.2 spec's names.
 */
#ifndef RV_VIRTIO_VIRTIO_H
#define RV_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "machine/irq.h"
#include "mem/ram.h"
#include "virtio/queue.h"

/* Device status bits (virtio 1.2 §2.1). */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE 0x01
#define VIRTIO_CONFIG_S_DRIVER 0x02
#define VIRTIO_CONFIG_S_DRIVER_OK 0x04
#define VIRTIO_CONFIG_S_FEATURES_OK 0x08
#define VIRTIO_CONFIG_S_NEEDS_RESET 0x40
#define VIRTIO_CONFIG_S_FAILED 0x80

/* Reserved feature bits (virtio 1.2 §6). */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Device IDs (virtio 1.2 §5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_BALLOON 5

/* InterruptStatus bits (virtio 1.2 §4.2.2). */
#define VIRTIO_MMIO_INT_VRING 0x1
#define VIRTIO_MMIO_INT_CONFIG 0x2

#define VIRTIO_MAX_QUEUES 8
#define VIRTIO_CONFIG_MAX 256 /* bytes of device config space we can hold */

struct evloop;
struct virtio_dev;

/* What a device back end tells the transport about itself. */
struct virtio_dev_ops {
    const char *name;     /* "virtio-blk": used in logs and the device tree */
    uint32_t device_id;   /* VIRTIO_ID_* */
    uint64_t features;    /* device-type feature bits; the transport adds its own */
    unsigned nqueues;     /* 1..VIRTIO_MAX_QUEUES */
    uint16_t queue_max;   /* QueueNumMax, 1..VIRTQ_MAX_SIZE */
    unsigned config_size; /* bytes of device config space, <= VIRTIO_CONFIG_MAX */
    /* Queue `q` may have new buffers. I/O thread, io_lock held, the device
     * is running (DRIVER_OK, not NEEDS_RESET) and the queue is ready. */
    void (*queue_notify)(void *opaque, unsigned q);
    /* The driver wrote `val` (`size` bytes, little-endian) at `off` of the
     * config space, inside config_size. The device stores what it accepts
     * into dev->config. vCPU thread, `lock` held. NULL: config is read-only. */
    void (*config_write)(void *opaque, unsigned off, unsigned size, uint64_t val);
    /* The device is being reset: drop in-flight state. io_lock held (not
     * `lock`), any thread. May be NULL. */
    void (*reset)(void *opaque);
    /* Release the back end's state; called once by virtio_dev_free(). */
    void (*free)(void *opaque);
};

/* Staged queue configuration: what the driver wrote to the Queue* registers. */
struct virtio_qcfg {
    uint16_t num;
    bool ready;
    uint64_t desc, driver, device;
};

struct virtio_dev {
    const struct virtio_dev_ops *ops;
    void *opaque; /* the back end's state */
    struct ram *ram;
    struct evloop *loop;
    uint64_t base; /* MMIO base address (device tree) */
    struct irq_line irq;
    uint32_t irq_parent;      /* phandle of the interrupt controller */
    int kick_fd;              /* eventfd: QueueNotify -> I/O thread */
    atomic_uint kick_pending; /* bit q: queue q was notified */
    pthread_mutex_t lock;     /* registers; see the header comment */
    pthread_mutex_t io_lock;  /* live queues and back-end I/O state */
    /* Registers, under `lock`. */
    uint32_t status;
    uint32_t isr;
    uint32_t config_gen;
    uint32_t dev_features_sel, drv_features_sel, queue_sel;
    uint64_t host_features;   /* offered: ops->features | transport bits */
    uint64_t driver_features; /* written by the driver */
    struct virtio_qcfg qcfg[VIRTIO_MAX_QUEUES];
    uint8_t config[VIRTIO_CONFIG_MAX];
    /* Live state, changed only with io_lock and `lock` both held, so either
     * lock is enough to read it. `features` is fixed while running. */
    uint64_t features;
    bool running; /* DRIVER_OK and not NEEDS_RESET: queues may be processed */
    struct virtq vq[VIRTIO_MAX_QUEUES];
};

/* Raise the used-buffer interrupt (InterruptStatus bit 0). Call after
 * virtq_push() when virtq_need_interrupt() says so. Any thread. */
void virtio_dev_notify_used(struct virtio_dev *d);

/* Schedule ops->queue_notify for queue `q` on the I/O thread (as a
 * QueueNotify write does). Any thread. */
void virtio_dev_kick(struct virtio_dev *d, unsigned q);

/* The device found a guest error it cannot recover from (a malformed chain
 * or request): set DEVICE_NEEDS_RESET and, if DRIVER_OK, send a config
 * change interrupt (virtio 1.2 §2.1.2). The device then ignores its queues
 * until the driver resets it. Logs `why` on the guest-error channel.
 * Called with io_lock held (inside queue_notify, or virtio_dev_io_lock). */
void virtio_dev_set_needs_reset(struct virtio_dev *d, const char *why);

/* The device changed its config space: copy `len` bytes of `buf` to offset
 * `off` (buf NULL: nothing to copy), bump ConfigGeneration and, if
 * DRIVER_OK, send a config change interrupt. Any thread, without `lock`. */
void virtio_dev_config_changed(struct virtio_dev *d, unsigned off, const void *buf, unsigned len);

/* For back ends with their own event sources (a host socket, a TAP fd):
 * take io_lock before touching queues outside queue_notify, and check that
 * queue `q` may be used (device running, queue ready). I/O thread. */
void virtio_dev_io_lock(struct virtio_dev *d);
void virtio_dev_io_unlock(struct virtio_dev *d);
bool virtio_dev_queue_usable(struct virtio_dev *d, unsigned q);

/* True if the driver accepted feature `bit` (valid once the device runs). */
static inline bool virtio_dev_has_feature(const struct virtio_dev *d, unsigned bit)
{
    return (d->features >> bit) & 1;
}

/* Little-endian stores into a config-space buffer. */
static inline void virtio_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void virtio_put_le32(uint8_t *p, uint32_t v)
{
    virtio_put_le16(p, (uint16_t)v);
    virtio_put_le16(p + 2, (uint16_t)(v >> 16));
}
static inline void virtio_put_le64(uint8_t *p, uint64_t v)
{
    virtio_put_le32(p, (uint32_t)v);
    virtio_put_le32(p + 4, (uint32_t)(v >> 32));
}

#endif
