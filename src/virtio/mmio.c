/* SPDX-License-Identifier: MIT */
/*
 * mmio: virtio-mmio transport, version 2 (virtio 1.2 §4.2). See mmio.h.
 *
 * Every register write is guest-controlled. The rules we enforce:
 *   - control registers (below 0x100) are 32-bit and aligned (§4.2.2.2);
 *     other accesses, writes to read-only registers and reads of unknown
 *     ones are ignored (reads give 0) and logged as guest errors;
 *   - features: the driver may accept only what we offer, and must accept
 *     VIRTIO_F_VERSION_1, else FEATURES_OK does not stick (§2.2.1, §3.1.1);
 *   - queues: size and ring addresses are staged and only checked, then
 *     made live, when QueueReady becomes 1 (after FEATURES_OK); bad ones put
 *     the device into NEEDS_RESET; they cannot change while the queue runs;
 *   - a write of 0 to Status resets the device; it waits for the request in
 *     progress on the I/O thread (io_lock), so the old rings are never
 *     touched afterwards (§2.4);
 *   - config space accesses must lie inside the device's config size.
 * QueueNotify only sets a bit and signals an eventfd: the I/O thread reads
 * the rings, so a vCPU never waits for a disk.
 */
#include "virtio/mmio.h"

#include <errno.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/evloop.h"
#include "util/log.h"

#define TRANSPORT_FEATURES                                                                         \
    ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_INDIRECT_DESC) |                        \
     (1ull << VIRTIO_F_RING_EVENT_IDX))

/* Raise or lower the line to match isr. Called with `lock` held. */
static void update_irq(struct virtio_dev *d)
{
    irq_set(&d->irq, d->isr != 0);
}

static void needs_reset_locked(struct virtio_dev *d, const char *why)
{
    log_guest_error(d->ops->name, "device needs reset: %s", why);
    d->running = false;
    d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    if (d->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        d->isr |= VIRTIO_MMIO_INT_CONFIG;
        update_irq(d);
    }
}

void virtio_dev_set_needs_reset(struct virtio_dev *d, const char *why)
{
    pthread_mutex_lock(&d->lock);
    needs_reset_locked(d, why);
    pthread_mutex_unlock(&d->lock);
}

void virtio_dev_notify_used(struct virtio_dev *d)
{
    pthread_mutex_lock(&d->lock);
    d->isr |= VIRTIO_MMIO_INT_VRING;
    update_irq(d);
    pthread_mutex_unlock(&d->lock);
}

void virtio_dev_config_changed(struct virtio_dev *d, unsigned off, const void *buf, unsigned len)
{
    pthread_mutex_lock(&d->lock);
    if (buf && off <= d->ops->config_size && len <= d->ops->config_size - off)
        memcpy(d->config + off, buf, len);
    d->config_gen++;
    if (d->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        d->isr |= VIRTIO_MMIO_INT_CONFIG;
        update_irq(d);
    }
    pthread_mutex_unlock(&d->lock);
}

void virtio_dev_io_lock(struct virtio_dev *d)
{
    pthread_mutex_lock(&d->io_lock);
}

void virtio_dev_io_unlock(struct virtio_dev *d)
{
    pthread_mutex_unlock(&d->io_lock);
}

bool virtio_dev_queue_usable(struct virtio_dev *d, unsigned q)
{
    return d->running && q < d->ops->nqueues && d->vq[q].ready;
}

static void kick(struct virtio_dev *d, unsigned mask)
{
    atomic_fetch_or(&d->kick_pending, mask);
    uint64_t one = 1;
    if (d->kick_fd >= 0 && write(d->kick_fd, &one, sizeof(one)) < 0)
        log_warn(d->ops->name, "cannot signal the I/O thread");
}

void virtio_dev_kick(struct virtio_dev *d, unsigned q)
{
    if (q < d->ops->nqueues)
        kick(d, 1u << q);
}

void virtio_dev_run_kicks(struct virtio_dev *d)
{
    pthread_mutex_lock(&d->io_lock);
    unsigned pending = atomic_exchange(&d->kick_pending, 0);
    for (unsigned q = 0; q < d->ops->nqueues; q++)
        if ((pending & (1u << q)) && virtio_dev_queue_usable(d, q))
            d->ops->queue_notify(d->opaque, q);
    pthread_mutex_unlock(&d->io_lock);
}

static void kick_cb(void *opaque, uint32_t events)
{
    struct virtio_dev *d = opaque;
    uint64_t n;
    if (read(d->kick_fd, &n, sizeof(n)) < 0)
        return;
    virtio_dev_run_kicks(d);
}

/* Status 0 (§2.4.1, §4.2.2.1): back to the state after creation.
 * Called with io_lock held, not `lock`. */
static void reset_locked(struct virtio_dev *d)
{
    if (d->ops->reset)
        d->ops->reset(d->opaque);
    pthread_mutex_lock(&d->lock);
    d->status = 0;
    d->isr = 0;
    d->dev_features_sel = d->drv_features_sel = d->queue_sel = 0;
    d->driver_features = 0;
    d->features = 0;
    d->running = false;
    memset(d->qcfg, 0, sizeof(d->qcfg));
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
        virtq_reset(&d->vq[q]);
    atomic_store(&d->kick_pending, 0);
    update_irq(d);
    pthread_mutex_unlock(&d->lock);
}

void virtio_dev_reset(struct virtio_dev *d)
{
    pthread_mutex_lock(&d->io_lock);
    reset_locked(d);
    pthread_mutex_unlock(&d->io_lock);
}

/* ---- register writes that change live state: io_lock, then lock ---- */

static void write_status(struct virtio_dev *d, uint32_t val)
{
    if (val == 0) {
        reset_locked(d);
        return;
    }
    pthread_mutex_lock(&d->lock);
    uint32_t old = d->status;
    /* guest-controlled: the driver only adds bits (§2.1.2); NEEDS_RESET is
     * the device's, FEATURES_OK and DRIVER_OK are checked below */
    uint32_t s = old | (val & 0xff & ~VIRTIO_CONFIG_S_NEEDS_RESET);
    if ((s & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
        uint64_t f = d->driver_features;
        if ((f & ~d->host_features) || !(f & (1ull << VIRTIO_F_VERSION_1))) {
            log_guest_error(d->ops->name,
                            "features 0x%" PRIx64 " refused (offered 0x%" PRIx64
                            ", VERSION_1 required)",
                            f, d->host_features);
            s &= ~(uint32_t)VIRTIO_CONFIG_S_FEATURES_OK;
        } else {
            d->features = f;
        }
    }
    if ((s & VIRTIO_CONFIG_S_DRIVER_OK) && !(s & VIRTIO_CONFIG_S_FEATURES_OK)) {
        log_guest_error(d->ops->name, "DRIVER_OK without FEATURES_OK");
        s &= ~(uint32_t)VIRTIO_CONFIG_S_DRIVER_OK;
    }
    d->status = s;
    bool start = (s & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK) &&
                 !(s & VIRTIO_CONFIG_S_NEEDS_RESET);
    if (start)
        d->running = true;
    pthread_mutex_unlock(&d->lock);
    /* Buffers the driver made available before DRIVER_OK wait for this. */
    if (start)
        kick(d, (1u << d->ops->nqueues) - 1);
}

static void write_queue_ready(struct virtio_dev *d, uint32_t val)
{
    pthread_mutex_lock(&d->lock);
    unsigned q = d->queue_sel;
    /* guest-controlled: QueueSel may be out of range */
    if (q >= d->ops->nqueues) {
        log_guest_error(d->ops->name, "QueueReady for queue %u of %u", q, d->ops->nqueues);
        goto out;
    }
    struct virtio_qcfg *qc = &d->qcfg[q];
    if (!(val & 1)) {
        qc->ready = false;
        virtq_reset(&d->vq[q]);
        goto out;
    }
    if (qc->ready)
        goto out;
    if (!(d->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
        log_guest_error(d->ops->name, "QueueReady before FEATURES_OK");
        goto out;
    }
    /* guest-controlled: size and ring addresses, checked by virtq_init */
    bool evidx = (d->features >> VIRTIO_F_RING_EVENT_IDX) & 1;
    bool indirect = (d->features >> VIRTIO_F_RING_INDIRECT_DESC) & 1;
    if (qc->num > d->ops->queue_max || virtq_init(&d->vq[q], d->ram, qc->num, qc->desc, qc->driver,
                                                  qc->device, evidx, indirect) < 0) {
        needs_reset_locked(d, "bad queue size or ring address");
        goto out;
    }
    qc->ready = true;
out:
    pthread_mutex_unlock(&d->lock);
}

/* ---- plain register accesses under `lock` ---- */

static uint64_t config_read(struct virtio_dev *d, uint64_t off, unsigned size)
{
    /* guest-controlled: offset and width inside the config space */
    if (off > d->ops->config_size || size > d->ops->config_size - off) {
        log_guest_error(d->ops->name, "config read of %u bytes at 0x%" PRIx64 " out of range", size,
                        off);
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)d->config[off + i] << (8 * i);
    return v;
}

static void config_write(struct virtio_dev *d, uint64_t off, uint64_t val, unsigned size)
{
    /* guest-controlled: offset and width inside the config space */
    if (off > d->ops->config_size || size > d->ops->config_size - off || !d->ops->config_write) {
        log_guest_error(d->ops->name, "config write of %u bytes at 0x%" PRIx64 " ignored", size,
                        off);
        return;
    }
    d->ops->config_write(d->opaque, (unsigned)off, size, val);
}

static uint32_t queue_reg_read(struct virtio_dev *d, uint64_t off)
{
    unsigned q = d->queue_sel;
    if (q >= d->ops->nqueues)
        return 0;
    const struct virtio_qcfg *qc = &d->qcfg[q];
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return d->ops->queue_max;
    case VIRTIO_MMIO_QUEUE_NUM: return qc->num;
    case VIRTIO_MMIO_QUEUE_READY: return qc->ready;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: return (uint32_t)qc->desc;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: return (uint32_t)(qc->desc >> 32);
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: return (uint32_t)qc->driver;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: return (uint32_t)(qc->driver >> 32);
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: return (uint32_t)qc->device;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: return (uint32_t)(qc->device >> 32);
    default: return 0;
    }
}

static uint32_t reg_read(struct virtio_dev *d, uint64_t off)
{
    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION: return 2;
    case VIRTIO_MMIO_DEVICE_ID: return d->ops->device_id;
    case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        if (d->dev_features_sel > 1)
            return 0;
        return (uint32_t)(d->host_features >> (32 * d->dev_features_sel));
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
    case VIRTIO_MMIO_QUEUE_NUM:
    case VIRTIO_MMIO_QUEUE_READY:
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: return queue_reg_read(d, off);
    case VIRTIO_MMIO_INTERRUPT_STATUS: return d->isr;
    case VIRTIO_MMIO_STATUS: return d->status;
    /* §4.2.2: no shared memory regions: length reads as -1 */
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH: return 0xffffffffu;
    case VIRTIO_MMIO_CONFIG_GENERATION: return d->config_gen;
    default: log_guest_error(d->ops->name, "read of unknown register 0x%" PRIx64, off); return 0;
    }
}

/* Stage a queue address half; ignored while the queue is live (§4.2.2.3). */
static void stage_addr(struct virtio_dev *d, uint64_t *a, bool high, uint32_t val)
{
    if (high)
        *a = (*a & 0xffffffffull) | (uint64_t)val << 32;
    else
        *a = (*a & ~0xffffffffull) | val;
}

static void queue_reg_write(struct virtio_dev *d, uint64_t off, uint32_t val)
{
    unsigned q = d->queue_sel;
    /* guest-controlled: QueueSel, and no changes to a live queue */
    if (q >= d->ops->nqueues || d->qcfg[q].ready) {
        log_guest_error(d->ops->name, "write to queue register 0x%" PRIx64 " of %s queue %u", off,
                        q >= d->ops->nqueues ? "nonexistent" : "live", q);
        return;
    }
    struct virtio_qcfg *qc = &d->qcfg[q];
    switch (off) {
    /* guest-controlled: sizes above 0xffff become 0 and fail at QueueReady */
    case VIRTIO_MMIO_QUEUE_NUM: qc->num = val > 0xffff ? 0 : (uint16_t)val; break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: stage_addr(d, &qc->desc, false, val); break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: stage_addr(d, &qc->desc, true, val); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: stage_addr(d, &qc->driver, false, val); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: stage_addr(d, &qc->driver, true, val); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: stage_addr(d, &qc->device, false, val); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: stage_addr(d, &qc->device, true, val); break;
    }
}

static void reg_write(struct virtio_dev *d, uint64_t off, uint32_t val)
{
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: d->dev_features_sel = val; break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: d->drv_features_sel = val; break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        /* guest-controlled: only during negotiation (§3.1.1 steps 4-5) */
        if ((d->status & VIRTIO_CONFIG_S_FEATURES_OK) || d->drv_features_sel > 1) {
            log_guest_error(d->ops->name, "DriverFeatures write ignored");
            break;
        }
        if (d->drv_features_sel)
            d->driver_features = (d->driver_features & 0xffffffffull) | (uint64_t)val << 32;
        else
            d->driver_features = (d->driver_features & ~0xffffffffull) | val;
        break;
    case VIRTIO_MMIO_QUEUE_SEL: d->queue_sel = val; break;
    case VIRTIO_MMIO_QUEUE_NUM:
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: queue_reg_write(d, off, val); break;
    case VIRTIO_MMIO_QUEUE_NOTIFY: break; /* mmio_write handles it without `lock` */
    case VIRTIO_MMIO_INTERRUPT_ACK:
        d->isr &= ~val;
        update_irq(d);
        break;
    case VIRTIO_MMIO_SHM_SEL: break;
    default:
        log_guest_error(d->ops->name, "write 0x%x to read-only or unknown register 0x%" PRIx64, val,
                        off);
        break;
    }
}

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    struct virtio_dev *d = opaque;
    uint64_t v;
    pthread_mutex_lock(&d->lock);
    if (off >= VIRTIO_MMIO_CONFIG) {
        v = config_read(d, off - VIRTIO_MMIO_CONFIG, size);
    } else if (size != 4 || (off & 3)) {
        /* guest-controlled: §4.2.2.2 control registers are 32-bit aligned */
        log_guest_error(d->ops->name, "%u-byte read at 0x%" PRIx64 " ignored", size, off);
        v = 0;
    } else {
        v = reg_read(d, off);
    }
    pthread_mutex_unlock(&d->lock);
    return v;
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct virtio_dev *d = opaque;
    if (off < VIRTIO_MMIO_CONFIG && (size != 4 || (off & 3))) {
        /* guest-controlled: §4.2.2.2 control registers are 32-bit aligned */
        log_guest_error(d->ops->name, "%u-byte write at 0x%" PRIx64 " ignored", size, off);
        return;
    }
    /* QueueNotify touches no state under `lock` (kick_pending is atomic,
     * nqueues and kick_fd are fixed), so it takes no lock: signalling the
     * eventfd can switch to the I/O thread at once (on a busy host both
     * threads often share a core), and that thread needs `lock` to raise
     * the interrupt when it completes the request. Holding `lock` here cost
     * two extra context switches per request. */
    if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
        /* guest-controlled: queue index */
        if (val >= d->ops->nqueues)
            log_guest_error(d->ops->name, "QueueNotify for queue %u of %u", (uint32_t)val,
                            d->ops->nqueues);
        else
            kick(d, 1u << val);
        return;
    }
    /* Writes that change live queues or reset the device wait for the I/O
     * thread's request in progress (lock order: io_lock, then lock). */
    if (off == VIRTIO_MMIO_STATUS || off == VIRTIO_MMIO_QUEUE_READY) {
        pthread_mutex_lock(&d->io_lock);
        if (off == VIRTIO_MMIO_STATUS)
            write_status(d, (uint32_t)val);
        else
            write_queue_ready(d, (uint32_t)val);
        pthread_mutex_unlock(&d->io_lock);
        return;
    }
    pthread_mutex_lock(&d->lock);
    if (off >= VIRTIO_MMIO_CONFIG)
        config_write(d, off - VIRTIO_MMIO_CONFIG, val, size);
    else
        reg_write(d, off, (uint32_t)val);
    pthread_mutex_unlock(&d->lock);
}

const struct mmio_ops virtio_mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
};

int virtio_mmio_fdt_node(void *fdt, void *opaque)
{
    struct virtio_dev *d = opaque;
    char name[40];
    snprintf(name, sizeof(name), "virtio_mmio@%" PRIx64, d->base);
    fdt64_t reg[2] = {cpu_to_fdt64(d->base), cpu_to_fdt64(VIRTIO_MMIO_SIZE)};
    int r;
    if ((r = fdt_begin_node(fdt, name)) < 0 ||
        (r = fdt_property_string(fdt, "compatible", "virtio,mmio")) < 0 ||
        (r = fdt_property(fdt, "reg", reg, sizeof(reg))) < 0 ||
        (r = fdt_property_cell(fdt, "interrupts", (uint32_t)d->irq.irq)) < 0 ||
        (r = fdt_property_cell(fdt, "interrupt-parent", d->irq_parent)) < 0)
        return r;
    return fdt_end_node(fdt);
}

int virtio_mmio_new(struct virtio_dev **out, const struct virtio_dev_ops *ops, void *opaque,
                    const struct virtio_mmio_params *p, struct err *e)
{
    /* programmer errors, not guest data */
    if (!ops->nqueues || ops->nqueues > VIRTIO_MAX_QUEUES || !ops->queue_max ||
        ops->queue_max > VIRTQ_MAX_SIZE || ops->config_size > VIRTIO_CONFIG_MAX)
        abort();
    struct virtio_dev *d = xzalloc(sizeof(*d));
    d->ops = ops;
    d->opaque = opaque;
    d->ram = p->ram;
    d->loop = p->loop;
    d->base = p->base;
    d->irq = p->irq;
    d->irq_parent = p->irq_parent;
    d->host_features = ops->features | TRANSPORT_FEATURES;
    d->kick_fd = -1;
    pthread_mutex_init(&d->lock, NULL);
    pthread_mutex_init(&d->io_lock, NULL);
    if (p->loop) {
        d->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        int r = d->kick_fd < 0 ? -errno : evloop_add_fd(p->loop, d->kick_fd, EPOLLIN, kick_cb, d);
        if (r < 0) {
            err_set(e, "%s: cannot set up its notification eventfd: %s", ops->name, strerror(-r));
            if (d->kick_fd >= 0)
                close(d->kick_fd);
            free(d);
            return r;
        }
    }
    *out = d;
    return 0;
}

void virtio_dev_free(struct virtio_dev *d)
{
    if (!d)
        return;
    if (d->kick_fd >= 0) {
        if (d->loop)
            evloop_del_fd(d->loop, d->kick_fd);
        close(d->kick_fd);
    }
    if (d->ops->free)
        d->ops->free(d->opaque);
    pthread_mutex_destroy(&d->lock);
    pthread_mutex_destroy(&d->io_lock);
    free(d);
}
