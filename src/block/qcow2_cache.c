/* SPDX-License-Identifier: MIT */
/*
 * qcow2_cache: a small write-back LRU cache of one-cluster tables, used for
 * L2 tables and for refcount blocks (two instances per image).
 *
 * Slots are found by linear search (at most 32), which costs less than the
 * syscall a miss saves. Each slot remembers the byte range it has dirtied so
 * that write-back touches only the 512-byte sectors that changed. Evicting a
 * dirty L2 table must respect the ordering rules of qcow2.h: refcount blocks
 * are written and a barrier taken first (rules 1 and 2). Refcount blocks can
 * be written at any time, since decrements are only applied once safe.
 *
 * Threads: per image, one thread at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"
#include "util/alloc.h"

#define SECTOR 512u

void qcache_init(struct qcache *c, size_t size, size_t budget, unsigned min, unsigned max)
{
    size_t n = budget / size;
    if (n < min)
        n = min;
    if (n > max)
        n = max;
    c->n = (unsigned)n;
    c->size = size;
    c->clock = 0;
    c->slots = xcalloc(n, sizeof(*c->slots));
}

void qcache_fini(struct qcache *c)
{
    for (unsigned i = 0; c->slots && i < c->n; i++)
        free(c->slots[i].data);
    free(c->slots);
    c->slots = NULL;
}

static struct qcache_slot *find(struct qcache *c, uint64_t off)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->slots[i].off == off && off != 0)
            return &c->slots[i];
    return NULL;
}

static bool dirty(const struct qcache_slot *s)
{
    return s->dlo < s->dhi;
}

static int write_slot(struct qcow2 *q, struct qcache *c, struct qcache_slot *s)
{
    size_t lo = s->dlo & ~(size_t)(SECTOR - 1);
    size_t hi = (s->dhi + SECTOR - 1) & ~(size_t)(SECTOR - 1);
    if (hi > c->size)
        hi = c->size;
    int r = hostfile_pwrite(q->file, s->data + lo, hi - lo, s->off + lo);
    if (r)
        return r;
    s->dlo = s->dhi = 0;
    return 0;
}

/* Make a dirty L2 victim safe to write: refcounts and data first. */
static int evict_dirty(struct qcow2 *q, struct qcache *c, struct qcache_slot *s)
{
    if (c == &q->l2c) {
        bool wrote = false;
        int r = qcow2_cache_write_dirty(q, &q->rbc, &wrote);
        if (!r)
            r = qcow2_barrier(q);
        if (r)
            return r;
    }
    return write_slot(q, c, s);
}

static struct qcache_slot *pick_victim(struct qcache *c)
{
    struct qcache_slot *clean = NULL, *any = NULL;
    for (unsigned i = 0; i < c->n; i++) {
        struct qcache_slot *s = &c->slots[i];
        if (s->off == 0)
            return s;
        if (!any || s->used < any->used)
            any = s;
        if (!dirty(s) && (!clean || s->used < clean->used))
            clean = s;
    }
    return clean ? clean : any;
}

int qcow2_cache_get(struct qcow2 *q, struct qcache *c, uint64_t off, bool load, uint8_t **out)
{
    struct qcache_slot *s = find(c, off);
    if (s) {
        s->used = ++c->clock;
        *out = s->data;
        return 0;
    }
    s = pick_victim(c);
    if (dirty(s)) {
        int r = evict_dirty(q, c, s);
        if (r)
            return r;
    }
    s->off = 0;
    if (!s->data)
        s->data = hostfile_alloc_aligned(c->size); /* direct I/O without bouncing */
    if (load) {
        int r = hostfile_pread(q->file, s->data, c->size, off);
        if (r)
            return r;
    } else {
        memset(s->data, 0, c->size);
    }
    s->off = off;
    s->dlo = s->dhi = 0;
    s->used = ++c->clock;
    *out = s->data;
    return 0;
}

void qcache_mark_dirty(struct qcache *c, uint64_t off, size_t lo, size_t hi)
{
    struct qcache_slot *s = find(c, off);
    if (!s || lo >= hi)
        return;
    if (!dirty(s)) {
        s->dlo = (uint32_t)lo;
        s->dhi = (uint32_t)hi;
        return;
    }
    if (lo < s->dlo)
        s->dlo = (uint32_t)lo;
    if (hi > s->dhi)
        s->dhi = (uint32_t)hi;
}

int qcow2_cache_write_dirty(struct qcow2 *q, struct qcache *c, bool *wrote)
{
    for (unsigned i = 0; i < c->n; i++) {
        struct qcache_slot *s = &c->slots[i];
        if (s->off == 0 || !dirty(s))
            continue;
        int r = write_slot(q, c, s);
        if (r)
            return r;
        *wrote = true;
    }
    return 0;
}

bool qcache_any_dirty(const struct qcache *c)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->slots[i].off != 0 && dirty(&c->slots[i]))
            return true;
    return false;
}

void qcache_drop(struct qcache *c, uint64_t off)
{
    struct qcache_slot *s = find(c, off);
    if (s) {
        s->off = 0;
        s->dlo = s->dhi = 0;
    }
}
