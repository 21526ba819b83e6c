/* SPDX-License-Identifier: MIT */
/*
 * queue: split virtqueues (virtio 1.2 §2.7) as the device side sees them:
 * take a descriptor chain from the available ring, map it to host iovecs,
 * return it through the used ring, and decide when the driver wants an
 * interrupt (VIRTIO_F_RING_EVENT_IDX, §2.7.10).
 *
 * Everything here is guest-controlled: the ring addresses are checked with
 * ram_ptr() once when the queue is set up (whole ring, alignment), every
 * descriptor's [addr, addr+len) is checked with ram_ptr() when it is walked,
 * a chain walk takes at most `size` steps (plus the entries of one indirect
 * table), and the byte totals are bounded. A chain that breaks a rule makes
 * virtq_pop() fail with -EINVAL; the caller then puts the device into
 * NEEDS_RESET. Nothing here logs or crashes on guest data.
 *
 * Threads: a virtq is used by one thread at a time (the I/O thread, under
 * the device's io_lock). The guest changes the rings concurrently: indexes
 * are read with atomic loads, descriptors are copied once before use.
 */
#ifndef RV_VIRTIO_QUEUE_H
#define RV_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "mem/ram.h"

#define VIRTQ_MAX_SIZE 1024           /* the largest QueueNumMax any device offers */
#define VIRTQ_MAX_SEGS 1024           /* iovec segments per chain (direct + indirect) */
#define VIRTQ_MAX_INDIRECT 1024       /* entries in one indirect table */
#define VIRTQ_MAX_BYTES 0xffffffffull /* per direction: used.len is 32 bits */

/* Descriptor flags (§2.7.5). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
/* Ring flags (§2.7.6, §2.7.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* Guest layout, little-endian (§2.7.5-2.7.8). */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq {
    struct ram *ram;
    bool ready;
    bool event_idx; /* VIRTIO_F_RING_EVENT_IDX negotiated */
    bool indirect;  /* VIRTIO_F_RING_INDIRECT_DESC negotiated */
    uint16_t size;
    uint64_t desc_gpa, avail_gpa, used_gpa;
    /* Host pointers to the rings, valid while ready (RAM never moves). */
    struct virtq_desc *desc;
    uint16_t *avail;         /* flags, idx, ring[size], used_event */
    uint16_t *used;          /* flags, idx, then struct virtq_used_elem[size], avail_event */
    uint16_t last_avail;     /* next available-ring entry to take */
    uint16_t used_idx;       /* our copy of used.idx */
    uint16_t signalled_used; /* used_idx at the last interrupt */
    bool signalled_valid;
};

/* One chain, mapped: iov[0..nout) are device-readable, iov[nout..nout+nin)
 * device-writable; gpa[i] is the guest address of iov[i]. */
struct virtq_elem {
    uint16_t head;
    unsigned nout, nin;
    uint64_t out_len, in_len;
    struct iovec iov[VIRTQ_MAX_SEGS];
    uint64_t gpa[VIRTQ_MAX_SEGS];
};

/* Start using a queue whose size and ring addresses the driver chose.
 * Returns 0, or -EINVAL (nothing changed) if the size is 0 or above
 * VIRTQ_MAX_SIZE, a ring is misaligned (desc 16, avail 2, used 4 bytes) or
 * any byte of a ring lies outside RAM. */
int virtq_init(struct virtq *q, struct ram *ram, uint16_t size, uint64_t desc, uint64_t avail,
               uint64_t used, bool event_idx, bool indirect) __attribute__((warn_unused_result));

/* Forget the queue (not ready; indexes back to 0). */
void virtq_reset(struct virtq *q);

/* Take the next available chain into `e`. Returns 1 with `e` filled, 0 if
 * the ring is empty, -EINVAL if the driver broke a rule (avail.idx ran more
 * than `size` ahead, a head or next index out of range, a loop or a chain
 * longer than allowed, a buffer outside RAM, a readable descriptor after a
 * writable one, a nested or malformed indirect table, more than
 * VIRTQ_MAX_BYTES in one direction). After -EINVAL the queue must not be
 * used until reset. */
int virtq_pop(struct virtq *q, struct virtq_elem *e) __attribute__((warn_unused_result));

/* Give back the chain just popped, unconsumed (e.g. no host data after all). */
void virtq_unpop(struct virtq *q);

/* Return `e` to the driver with `len` bytes written into its writable part
 * (clamped to in_len); those bytes are reported to ram_mark_written(). */
void virtq_push(struct virtq *q, const struct virtq_elem *e, uint32_t len);

/* After one or more virtq_push(): true if the driver wants an interrupt
 * (used_event with EVENT_IDX, else the NO_INTERRUPT flag). */
bool virtq_need_interrupt(struct virtq *q);

/* Before going idle: ask the driver to notify on the next buffer (avail_event
 * with EVENT_IDX). Returns true if buffers arrived meanwhile (process again). */
bool virtq_enable_notify(struct virtq *q);

/* Copy between a chain and host memory. `skip` counts from the start of the
 * readable (from_out) or writable (to_in) part. Return the bytes copied
 * (short when the part ends first). */
size_t virtq_copy_from_out(const struct virtq_elem *e, size_t skip, void *buf, size_t len);
size_t virtq_copy_to_in(const struct virtq_elem *e, size_t skip, const void *buf, size_t len);

/* Describe bytes [skip, skip+len) of `iov`/`cnt` in `dst` (at most `max`
 * entries). Returns the entry count, or -1 if the range does not fit. */
int virtq_iov_slice(struct iovec *dst, int max, const struct iovec *iov, unsigned cnt,
                    uint64_t skip, uint64_t len);

#endif
