/* SPDX-License-Identifier: MIT */
/*
 * physmap: guest-physical address map and MMIO dispatch. See physmap.h.
 * The region table is tiny (a dozen devices), so lookup is a linear scan.
 */
#include "mem/physmap.h"

#include <errno.h>
#include <string.h>

void physmap_init(struct physmap *pm, struct ram *ram)
{
    memset(pm, 0, sizeof(*pm));
    pm->ram = ram;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

int physmap_add_mmio(struct physmap *pm, const char *name, uint64_t base, uint64_t size,
                     const struct mmio_ops *ops, void *opaque)
{
    if (pm->nregions >= PHYSMAP_MAX_REGIONS)
        return -ENOSPC;
    if (pm->ram && overlaps(base, size, pm->ram->base, pm->ram->size))
        return -EEXIST;
    for (int i = 0; i < pm->nregions; i++)
        if (overlaps(base, size, pm->regions[i].base, pm->regions[i].size))
            return -EEXIST;
    pm->regions[pm->nregions++] = (struct mmio_region){base, size, ops, opaque, name};
    return 0;
}

const struct mmio_region *physmap_find_mmio(const struct physmap *pm, uint64_t pa, unsigned size)
{
    for (int i = 0; i < pm->nregions; i++) {
        const struct mmio_region *r = &pm->regions[i];
        if (pa >= r->base && pa - r->base < r->size && size <= r->size - (pa - r->base))
            return r;
    }
    return NULL;
}

bool physmap_read(struct physmap *pm, uint64_t pa, unsigned size, uint64_t *val)
{
    void *p = ram_ptr(pm->ram, pa, size);
    if (p) {
        uint64_t v = 0;
        memcpy(&v, p, size);
        *val = v;
        return true;
    }
    const struct mmio_region *r = physmap_find_mmio(pm, pa, size);
    if (!r)
        return false;
    *val = r->ops->read ? r->ops->read(r->opaque, pa - r->base, size) : 0;
    return true;
}

bool physmap_write(struct physmap *pm, uint64_t pa, unsigned size, uint64_t val)
{
    void *p = ram_ptr(pm->ram, pa, size);
    if (p) {
        memcpy(p, &val, size);
        return true;
    }
    const struct mmio_region *r = physmap_find_mmio(pm, pa, size);
    if (!r)
        return false;
    if (r->ops->write)
        r->ops->write(r->opaque, pa - r->base, val, size);
    return true;
}
