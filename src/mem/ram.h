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
#include <pthread.h>
#include <stdint.h>

#include "util/err.h"

#define RAM_PAGE_SHIFT 12
#define RAM_PAGE_SIZE (1ull << RAM_PAGE_SHIFT)

/*
 * Code-page tracking, so fence.i need not discard all decoded code: a page
 * from which the CPU decoded instructions is CODE_CLEAN; a store to it (the
 * CPU takes the slow path for such pages) or a device write makes it
 * CODE_WRITTEN and queues it; fence.i then bumps the page's generation,
 * which invalidates the decoded blocks from that page, and forgets it.
 */
enum { CODE_NONE = 0, CODE_CLEAN = 1, CODE_WRITTEN = 2 };
#define RAM_CODE_QUEUE 256

struct ram {
    uint64_t base; /* guest-physical address of the first byte */
    uint64_t size; /* bytes, multiple of RAM_PAGE_SIZE */
    uint8_t *host; /* host mapping of [base, base+size) */
    uint64_t npages;
    uint8_t *code;      /* per page: CODE_* */
    uint32_t *code_gen; /* per page: bumped when its decoded code goes stale */
    pthread_mutex_t code_lock; /* protects the queue below */
    uint32_t code_queue[RAM_CODE_QUEUE];
    unsigned code_queued;
    bool code_overflow; /* queue overflowed: fence.i scans every page */
    /* Bumped whenever a page becomes CODE_CLEAN: every hart then drops its
     * write translations (it may hold one for that page from before), so
     * that its next store to the page takes the slow path and is seen. */
    _Atomic uint32_t code_epoch;
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

/* A page that holds decoded code was written (CPU slow path or device DMA). */
void ram_code_written(struct ram *r, uint64_t pfn);

/* Device writes to guest RAM must be reported here (code invalidation now;
 * dirty logging for migration later). */
static inline void ram_mark_written(struct ram *r, uint64_t gpa, uint64_t len)
{
    if (!len || gpa < r->base)
        return;
    uint64_t first = (gpa - r->base) >> RAM_PAGE_SHIFT;
    uint64_t last = (gpa - r->base + len - 1) >> RAM_PAGE_SHIFT;
    for (uint64_t p = first; p <= last && p < r->npages; p++)
        if (__atomic_load_n(&r->code[p], __ATOMIC_RELAXED) == CODE_CLEAN)
            ram_code_written(r, p);
}

/* fence.i: invalidate the decoded code of every page written since its
 * decode. Any thread. */
void ram_code_sync(struct ram *r);

/* Copy between host buffers and guest RAM; 0 or -EFAULT if out of range. */
int ram_read(const struct ram *r, uint64_t gpa, void *buf, uint64_t len)
    __attribute__((warn_unused_result));
int ram_write(struct ram *r, uint64_t gpa, const void *buf, uint64_t len)
    __attribute__((warn_unused_result));

#endif
