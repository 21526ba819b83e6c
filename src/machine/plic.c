/* SPDX-License-Identifier: MIT */
/*
 * plic: see plic.h. Register map (PLIC spec §3): priority at 4*src,
 * pending bits at 0x1000, enables at 0x2000 + 0x80*ctx, threshold at
 * 0x200000 + 0x1000*ctx, claim/complete at +4.
 *
 * Level semantics: a source whose line is high becomes pending unless it is
 * claimed (in service); on complete it re-pends if the line is still high.
 * After every change each context's SEIP is recomputed: pending & enabled &
 * priority > threshold. Every register value is guest-controlled, so source
 * and context indexes are bounds-checked before use.
 */
#include "machine/plic.h"

#include <pthread.h>
#include <stdbool.h>

#include "cpu/cpu.h"
#include "util/alloc.h"

#include <stdlib.h>
#include "util/log.h"

#define WORDS (PLIC_NSRC / 32)

struct plic {
    pthread_mutex_t lock;
    int nctx;
    struct hart **harts;
    uint32_t priority[PLIC_NSRC];
    uint32_t level[WORDS];
    uint32_t pending[WORDS];
    uint32_t claimed[WORDS];
    uint32_t (*enable)[WORDS];
    uint32_t *threshold;
};

static bool bit(const uint32_t *w, int i) { return (w[i / 32] >> (i % 32)) & 1; }
static void setbit(uint32_t *w, int i, bool v)
{
    if (v)
        w[i / 32] |= 1u << (i % 32);
    else
        w[i / 32] &= ~(1u << (i % 32));
}

/* Best source for context `ctx`: highest priority above threshold, lowest id
 * on ties (§5). Called with lock held. */
static int best(const struct plic *p, int ctx)
{
    int src = 0;
    uint32_t prio = p->threshold[ctx];
    for (int i = 1; i < PLIC_NSRC; i++) {
        if (bit(p->pending, i) && !bit(p->claimed, i) && bit(p->enable[ctx], i) &&
            p->priority[i] > prio) {
            prio = p->priority[i];
            src = i;
        }
    }
    return src;
}

/* Called with lock held. */
static void update(struct plic *p)
{
    for (int c = 0; c < p->nctx; c++)
        cpu_set_irq(p->harts[c], MIP_SEIP, best(p, c) != 0);
}

struct plic *plic_new(struct hart **harts, int nharts)
{
    struct plic *p = xzalloc(sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    p->nctx = nharts;
    p->harts = harts;
    p->enable = xcalloc((size_t)nharts, sizeof(*p->enable));
    p->threshold = xcalloc((size_t)nharts, sizeof(uint32_t));
    return p;
}

void plic_free(struct plic *p)
{
    if (!p)
        return;
    free(p->enable);
    free(p->threshold);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void plic_set_irq(void *opaque, int irq, int level)
{
    struct plic *p = opaque;
    if (irq <= 0 || irq >= PLIC_NSRC)
        return;
    pthread_mutex_lock(&p->lock);
    setbit(p->level, irq, level);
    if (level && !bit(p->claimed, irq))
        setbit(p->pending, irq, true);
    if (!level)
        setbit(p->pending, irq, false);
    update(p);
    pthread_mutex_unlock(&p->lock);
}

static uint32_t claim(struct plic *p, int ctx)
{
    int src = best(p, ctx);
    if (src) {
        setbit(p->pending, src, false);
        setbit(p->claimed, src, true);
    }
    update(p);
    return (uint32_t)src;
}

static void complete(struct plic *p, int ctx, uint32_t src)
{
    /* guest-controlled: ignore completes of sources not enabled or not claimed */
    if (src == 0 || src >= PLIC_NSRC || !bit(p->enable[ctx], (int)src) ||
        !bit(p->claimed, (int)src))
        return;
    setbit(p->claimed, (int)src, false);
    if (bit(p->level, (int)src))
        setbit(p->pending, (int)src, true);
    update(p);
}

static uint64_t plic_read(void *opaque, uint64_t off, unsigned size)
{
    struct plic *p = opaque;
    uint64_t v = 0;
    if (size != 4 || (off & 3))
        return 0;
    pthread_mutex_lock(&p->lock);
    if (off < 4 * PLIC_NSRC) {
        v = p->priority[off / 4];
    } else if (off >= 0x1000 && off < 0x1000 + 4 * WORDS) {
        v = p->pending[(off - 0x1000) / 4];
    } else if (off >= 0x2000 && off < 0x200000) {
        uint64_t ctx = (off - 0x2000) / 0x80, w = (off - 0x2000) % 0x80 / 4;
        if (ctx < (uint64_t)p->nctx && w < WORDS)
            v = p->enable[ctx][w];
    } else if (off >= 0x200000) {
        uint64_t ctx = (off - 0x200000) / 0x1000, reg = off % 0x1000;
        if (ctx < (uint64_t)p->nctx) {
            if (reg == 0)
                v = p->threshold[ctx];
            else if (reg == 4)
                v = claim(p, (int)ctx);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return v;
}

static void plic_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct plic *p = opaque;
    if (size != 4 || (off & 3)) {
        log_guest_error("plic", "ignoring %u-byte write at 0x%llx", size, (unsigned long long)off);
        return;
    }
    uint32_t v = (uint32_t)val;
    pthread_mutex_lock(&p->lock);
    if (off < 4 * PLIC_NSRC) {
        if (off)
            p->priority[off / 4] = v & 7; /* 3 priority bits */
    } else if (off >= 0x2000 && off < 0x200000) {
        uint64_t ctx = (off - 0x2000) / 0x80, w = (off - 0x2000) % 0x80 / 4;
        if (ctx < (uint64_t)p->nctx && w < WORDS)
            p->enable[ctx][w] = w == 0 ? v & ~1u : v; /* source 0 does not exist */
    } else if (off >= 0x200000) {
        uint64_t ctx = (off - 0x200000) / 0x1000, reg = off % 0x1000;
        if (ctx < (uint64_t)p->nctx) {
            if (reg == 0)
                p->threshold[ctx] = v & 7;
            else if (reg == 4)
                complete(p, (int)ctx, v);
        }
    }
    update(p);
    pthread_mutex_unlock(&p->lock);
}

static const struct mmio_ops plic_ops = {.read = plic_read, .write = plic_write};

int plic_map(struct plic *p, struct physmap *pm)
{
    return physmap_add_mmio(pm, "plic", PLIC_BASE, PLIC_SIZE, &plic_ops, p);
}
