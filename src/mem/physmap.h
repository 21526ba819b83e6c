/* SPDX-License-Identifier: MIT */
/*
 * physmap: the guest-physical address map: one RAM range plus MMIO regions
 * whose reads and writes are dispatched to device callbacks.
 *
 * The CPU sees only this (TinyEMU's seam): a physical access either hits RAM
 * (fast path, via ram_ptr) or an MMIO region, or faults.
 *
 * Threads: regions are added before vCPUs start and never removed while they
 * run. MMIO callbacks are called on vCPU threads; devices lock internally.
 */
#ifndef RV_MEM_PHYSMAP_H
#define RV_MEM_PHYSMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/ram.h"

/* `off` is relative to the region base; `size` is 1, 2, 4 or 8 and the access
 * never crosses the region end. Reads of unimplemented registers return 0. */
struct mmio_ops {
    uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
    void (*write)(void *opaque, uint64_t off, uint64_t val, unsigned size);
};

struct mmio_region {
    uint64_t base, size;
    const struct mmio_ops *ops;
    void *opaque;
    const char *name;
};

#define PHYSMAP_MAX_REGIONS 64

struct physmap {
    struct ram *ram;
    int nregions;
    struct mmio_region regions[PHYSMAP_MAX_REGIONS];
};

void physmap_init(struct physmap *pm, struct ram *ram);

/* Add an MMIO region; 0, or -EEXIST if it overlaps RAM or another region,
 * -ENOSPC if the table is full. */
int physmap_add_mmio(struct physmap *pm, const char *name, uint64_t base, uint64_t size,
                     const struct mmio_ops *ops, void *opaque) __attribute__((warn_unused_result));

/* The MMIO region containing [pa, pa+size), or NULL. */
const struct mmio_region *physmap_find_mmio(const struct physmap *pm, uint64_t pa, unsigned size);

/* Physical access of `size` bytes (1/2/4/8) to RAM or MMIO. Returns false if
 * nothing is mapped there (the caller raises an access fault). */
bool physmap_read(struct physmap *pm, uint64_t pa, unsigned size, uint64_t *val);
bool physmap_write(struct physmap *pm, uint64_t pa, unsigned size, uint64_t val);

#endif
