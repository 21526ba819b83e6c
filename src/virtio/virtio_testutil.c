/* SPDX-License-Identifier: MIT */
/*
 * virtio_testutil: see virtio_testutil.h. The host is little-endian (as is
 * virtio 1.x), so ring fields are written with plain stores.
 */
#include "virtio/virtio_testutil.h"

#include <stdlib.h>
#include <string.h>

void tu_ram_init(struct ram *r)
{
    struct err e = {0};
    if (ram_init(r, TU_RAM_BASE, TU_RAM_SIZE, &e) < 0) {
        fprintf(stderr, "ram_init: %s\n", e.msg);
        abort();
    }
}

void *tu_ptr(struct ram *r, uint64_t gpa, uint64_t len)
{
    void *p = ram_ptr(r, gpa, len);
    if (!p)
        abort();
    return p;
}

void tu_queue_init(struct tu_queue *t, struct ram *r, uint16_t size, uint64_t base)
{
    *t = (struct tu_queue){.ram = r, .size = size};
    t->desc = base;
    t->avail = base + 16ull * size;
    t->used = (t->avail + 6 + 2ull * size + 3) & ~3ull;
    memset(tu_ptr(r, base, t->used + 6 + 8ull * size - base), 0, t->used + 6 + 8ull * size - base);
}

void tu_desc_at(struct ram *r, uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
                uint16_t flags, uint16_t next)
{
    struct virtq_desc d = {addr, len, flags, next};
    memcpy(tu_ptr(r, table + 16ull * i, 16), &d, 16);
}

void tu_desc(struct tu_queue *t, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
             uint16_t next)
{
    tu_desc_at(t->ram, t->desc, i, addr, len, flags, next);
}

void tu_publish(struct tu_queue *t, uint16_t head)
{
    uint16_t *a = tu_ptr(t->ram, t->avail, 6 + 2ull * t->size);
    a[2 + t->avail_idx % t->size] = head;
    t->avail_idx++;
    __atomic_store_n(&a[1], t->avail_idx, __ATOMIC_RELEASE);
}

void tu_set_avail_idx(struct tu_queue *t, uint16_t idx)
{
    uint16_t *a = tu_ptr(t->ram, t->avail, 4);
    t->avail_idx = idx;
    a[1] = idx;
}

uint16_t tu_used_idx(struct tu_queue *t)
{
    uint16_t *u = tu_ptr(t->ram, t->used, 4);
    return __atomic_load_n(&u[1], __ATOMIC_ACQUIRE);
}

struct virtq_used_elem tu_used(struct tu_queue *t, uint16_t i)
{
    struct virtq_used_elem e;
    memcpy(&e, tu_ptr(t->ram, t->used + 4 + 8ull * (i % t->size), 8), 8);
    return e;
}

void tu_set_avail_flags(struct tu_queue *t, uint16_t flags)
{
    uint16_t *a = tu_ptr(t->ram, t->avail, 2);
    a[0] = flags;
}

void tu_set_used_event(struct tu_queue *t, uint16_t v)
{
    uint16_t *a = tu_ptr(t->ram, t->avail, 6 + 2ull * t->size);
    a[2 + t->size] = v;
}

uint16_t tu_avail_event(struct tu_queue *t)
{
    uint16_t *u = tu_ptr(t->ram, t->used, 6 + 8ull * t->size);
    return u[2 + 4 * t->size];
}

uint32_t tu_rd(struct virtio_dev *d, uint64_t off)
{
    return (uint32_t)virtio_mmio_ops.read(d, off, 4);
}

void tu_wr(struct virtio_dev *d, uint64_t off, uint32_t val)
{
    virtio_mmio_ops.write(d, off, val, 4);
}

uint32_t tu_bringup(struct virtio_dev *d, uint64_t features, struct tu_queue *t, unsigned nq)
{
    tu_wr(d, VIRTIO_MMIO_STATUS, 0);
    tu_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    tu_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    tu_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    tu_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    tu_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    tu_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    tu_wr(d, VIRTIO_MMIO_STATUS, tu_rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_FEATURES_OK);
    for (unsigned q = 0; q < nq; q++) {
        tu_wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
        tu_wr(d, VIRTIO_MMIO_QUEUE_NUM, t[q].size);
        tu_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)t[q].desc);
        tu_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(t[q].desc >> 32));
        tu_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)t[q].avail);
        tu_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(t[q].avail >> 32));
        tu_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)t[q].used);
        tu_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(t[q].used >> 32));
        tu_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    }
    tu_wr(d, VIRTIO_MMIO_STATUS, tu_rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
    return tu_rd(d, VIRTIO_MMIO_STATUS);
}

static void record_level(void *opaque, int irq, int level)
{
    *(int *)opaque = level;
}

struct irq_line tu_irq_line(int *level)
{
    return (struct irq_line){record_level, level, 1};
}
