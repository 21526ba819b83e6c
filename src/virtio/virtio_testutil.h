/* SPDX-License-Identifier: MIT */
/*
 * virtio_testutil: helpers for the virtio/ unit tests: a small guest
 * RAM and the driver's side of a split virtqueue built by hand
 * (descriptors, available ring, used ring), so tests can write both
 * well-formed and hostile rings. Single-threaded test programs only.
 */
#ifndef RV_VIRTIO_TESTUTIL_H
#define RV_VIRTIO_TESTUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mem/ram.h"
#include "util/testcheck.h"
#include "virtio/mmio.h"
#include "virtio/queue.h"

#define TU_RAM_BASE 0x80000000ull
#define TU_RAM_SIZE (4ull << 20)

/* Guest RAM at TU_RAM_BASE (aborts on failure). */
void tu_ram_init(struct ram *r);

/* Host pointer for a guest address that must be in RAM. */
void *tu_ptr(struct ram *r, uint64_t gpa, uint64_t len);

/* The driver's view of a queue whose rings start at `base`. */
struct tu_queue {
    struct ram *ram;
    uint16_t size;
    uint64_t desc, avail, used;
    uint16_t avail_idx;
};

/* Lay out desc/avail/used for `size` entries from `base` (zeroed). */
void tu_queue_init(struct tu_queue *t, struct ram *r, uint16_t size, uint64_t base);
/* Write descriptor `i` of the ring's table, or of a table at `table`. */
void tu_desc(struct tu_queue *t, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
             uint16_t next);
void tu_desc_at(struct ram *r, uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
                uint16_t flags, uint16_t next);
/* Make chain `head` available (ring entry, then idx). */
void tu_publish(struct tu_queue *t, uint16_t head);
/* used.idx, and used element `i`. */
uint16_t tu_used_idx(struct tu_queue *t);
struct virtq_used_elem tu_used(struct tu_queue *t, uint16_t i);
/* avail.flags, used_event, avail_event. */
void tu_set_avail_flags(struct tu_queue *t, uint16_t flags);
void tu_set_used_event(struct tu_queue *t, uint16_t v);
uint16_t tu_avail_event(struct tu_queue *t);
/* Set avail.idx directly (hostile tests). */
void tu_set_avail_idx(struct tu_queue *t, uint16_t idx);

/* Register access through the transport's MMIO callbacks (4 bytes). */
uint32_t tu_rd(struct virtio_dev *d, uint64_t off);
void tu_wr(struct virtio_dev *d, uint64_t off, uint32_t val);

/* The driver's init sequence (virtio 1.2 §3.1.1): reset, ACKNOWLEDGE,
 * DRIVER, accept `features`, FEATURES_OK, set up queue i on t[i] for
 * i < nq, DRIVER_OK. Returns the final Status. */
uint32_t tu_bringup(struct virtio_dev *d, uint64_t features, struct tu_queue *t, unsigned nq);

/* An irq_line that records its level in *(int *)opaque. */
struct irq_line tu_irq_line(int *level);

#endif
