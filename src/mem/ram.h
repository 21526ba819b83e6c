/* SPDX-License-Identifier: MIT */
/*
 * ram: guest RAM, one anonymous host mapping (MAP_NORESERVE, MADV_MERGEABLE
 * so KSM can share identical pages across VMs).
 *
 * This is the one door to guest RAM: every access by a device or loader goes
 * through ram_ptr(), which checks the whole [gpa, gpa+len) range. The CPU's
 * TLB caches host pointers obtained here.
 *
 * Threads: the mapping is created before any vCPU or I/O thread starts and
 * never moves; concurrent access to the bytes is the guest's business.
 */
#ifndef RV_MEM_RAM_H
#define RV_MEM_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define RAM_PAGE_SHIFT 12
#define RAM_PAGE_SIZE (1ull << RAM_PAGE_SHIFT)

struct ram {
    uint64_t base; /* guest-physical address of the first byte */
    uint64_t size; /* bytes, multiple of RAM_PAGE_SIZE */
    uint8_t *host; /* host mapping of [base, base+size) */
    uint64_t npages;
};

/* Map `size` bytes of guest RAM at guest-physical `base`.
 * Returns 0 or -errno with `e` filled. */
int ram_init(struct ram *r, uint64_t base, uint64_t size, struct err *e)
    __attribute__((warn_unused_result));
void ram_destroy(struct ram *r);

/* Host pointer for [gpa, gpa+len), or NULL if any byte lies outside RAM.
 * guest-controlled callers (virtio, DMA) must use this, never arithmetic. */
static inline void *ram_ptr(const struct ram *r, uint64_t gpa, uint64_t len)
{
    uint64_t off = gpa - r->base;
    if (gpa < r->base || off > r->size || len > r->size - off)
        return NULL;
    return r->host + off;
}

/* True if the guest-physical byte `gpa` is in RAM. */
static inline bool ram_contains(const struct ram *r, uint64_t gpa)
{
    return gpa >= r->base && gpa - r->base < r->size;
}

/* Copy between host buffers and guest RAM; 0 or -EFAULT if out of range. */
int ram_read(const struct ram *r, uint64_t gpa, void *buf, uint64_t len)
    __attribute__((warn_unused_result));
int ram_write(struct ram *r, uint64_t gpa, const void *buf, uint64_t len)
    __attribute__((warn_unused_result));

#endif
