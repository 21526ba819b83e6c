/* SPDX-License-Identifier: MIT */
/*
 * mmu: Sv39/Sv48 translation (privileged spec §10.3 "Sv32" algorithm, §10.4,
 * §10.5), permission checks (U, SUM, MXR), hardware A/D update, and the slow
 * paths of loads and stores (page-crossing, MMIO, faults).
 *
 * The guest controls every PTE: the walk reads them through ram_ptr (range
 * checked) and treats a PTE address outside RAM as an access fault. A/D
 * updates use a compare-and-swap so that a concurrent PTE change by another
 * hart is not lost (§10.3.1: the update must be atomic with the check).
 * Runs on the hart's thread only.
 */
#include "cpu/mmu.h"

#include "mem/physmap.h"

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_PPN_MASK (((1ull << 44) - 1) << 10)
#define PTE_RESERVED (0x3ffull << 54) /* bits 63:54: PBMT/N unimplemented, reserved */

static uint64_t fault_cause(enum access acc, int page_fault)
{
    static const uint64_t pf[3] = {EXC_LOAD_PAGE_FAULT, EXC_STORE_PAGE_FAULT, EXC_INSN_PAGE_FAULT};
    static const uint64_t af[3] = {EXC_LOAD_ACCESS, EXC_STORE_ACCESS, EXC_INSN_ACCESS};
    return page_fault ? pf[acc] : af[acc];
}

static bool raise(struct hart *h, enum access acc, int page_fault, uint64_t va)
{
    h->exc_cause = fault_cause(acc, page_fault);
    h->exc_tval = va;
    return false;
}

void mmu_set_satp(struct hart *h, uint64_t satp)
{
    unsigned mode = (unsigned)(satp >> 60);
    h->pt_levels = mode == 8 ? 3 : mode == 9 ? 4 : 0;
    h->pt_root = (satp & ((1ull << 44) - 1)) << 12;
}

void mmu_flush(struct hart *h)
{
    memset(h->tlb, 0xff, sizeof(h->tlb));
    memset(h->jc, 0xff, sizeof(h->jc));
    memset(h->tlb_super, 0, sizeof(h->tlb_super));
    h->tlb_giant = false;
}

/* The tlb_super bit of the level-`lvl` superpage (1: 2 MiB, 2: 1 GiB) at va. */
static unsigned super_bit(uint64_t va, int lvl)
{
    unsigned half = TLB_SUPER_WORDS * 32;
    return lvl == 1 ? (unsigned)(va >> 21) % half : half + (unsigned)(va >> 30) % half;
}

static bool super_test(const struct hart *h, unsigned bit)
{
    return (h->tlb_super[bit / 64] >> (bit % 64)) & 1;
}

/*
 * TLB entries are 4 KiB pieces of their translation, keyed by the page
 * number: the page's entries are the one slot of each array in each set.
 * A superpage that covers va may have pieces anywhere, so then the whole
 * TLB goes. The jump cache holds blocks by virtual pc of any page: it goes
 * in any case (its second level is checked against the exec TLB).
 */
void mmu_flush_page(struct hart *h, uint64_t va)
{
    if (h->tlb_giant || super_test(h, super_bit(va, 1)) || super_test(h, super_bit(va, 2))) {
        mmu_flush(h);
        return;
    }
    uint64_t tag = va >> 12;
    unsigned i = (unsigned)tag & (TLB_SIZE - 1);
    for (unsigned p = 0; p < 2; p++) {
        struct tlb_set *s = &h->tlb[p];
        if (s->r[i].tag == tag)
            s->r[i].tag = TLB_INVALID;
        if (s->w[i].tag == tag)
            s->w[i].tag = TLB_INVALID;
        if (s->x[i].tag == tag)
            s->x[i].tag = TLB_INVALID;
    }
    memset(h->jc, 0xff, sizeof(h->jc));
}

void mmu_flush_data(struct hart *h)
{
    memset(h->tlb[PRV_S].r, 0xff, sizeof(h->tlb[PRV_S].r));
    memset(h->tlb[PRV_S].w, 0xff, sizeof(h->tlb[PRV_S].w));
    memset(h->tlb[PRV_U].r, 0xff, sizeof(h->tlb[PRV_U].r));
}

void mmu_flush_writes(struct hart *h)
{
    memset(h->tlb[PRV_S].w, 0xff, sizeof(h->tlb[PRV_S].w));
    memset(h->tlb[PRV_U].w, 0xff, sizeof(h->tlb[PRV_U].w));
}

static bool leaf_allowed(const struct hart *h, uint64_t pte, enum access acc)
{
    if (h->priv == PRV_U) {
        if (!(pte & PTE_U))
            return false;
    } else if (pte & PTE_U) {
        /* §10.1.1.2: S-mode may never execute U pages; data only with SUM */
        if (acc == ACC_EXEC || !(h->status & SSTATUS_SUM))
            return false;
    }
    switch (acc) {
    case ACC_READ:
        return (pte & PTE_R) || ((h->status & SSTATUS_MXR) && (pte & PTE_X));
    case ACC_WRITE:
        return (pte & PTE_W) != 0;
    default:
        return (pte & PTE_X) != 0;
    }
}

/* Walk the page table. Returns true with *pa, or false with the exception set. */
static bool walk(struct hart *h, uint64_t va, enum access acc, uint64_t *pa, int *lvl)
{
    int levels = h->pt_levels;
    *lvl = 0;
    if (levels == 0) {
        *pa = va;
        return true;
    }
    int vabits = 12 + 9 * levels;
    /* guest-controlled: the VA must be sign-extended from bit vabits-1 */
    if ((int64_t)(va << (64 - vabits)) >> (64 - vabits) != (int64_t)va)
        return raise(h, acc, 1, va);
    struct ram *ram = h->pm->ram;
    uint64_t table = h->pt_root;
    for (int i = levels - 1; i >= 0; i--) {
        uint64_t vpn = (va >> (12 + 9 * i)) & 0x1ff;
        uint64_t *ptep = ram_ptr(ram, table + vpn * 8, 8);
        if (!ptep)
            return raise(h, acc, 0, va);
        uint64_t pte = __atomic_load_n(ptep, __ATOMIC_RELAXED);
    again:
        if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) || (pte & PTE_RESERVED))
            return raise(h, acc, 1, va);
        uint64_t ppn = (pte & PTE_PPN_MASK) >> 10;
        if (!(pte & (PTE_R | PTE_X))) {
            if (i == 0 || (pte & (PTE_A | PTE_D | PTE_U)))
                return raise(h, acc, 1, va);
            table = ppn << 12;
            continue;
        }
        if (!leaf_allowed(h, pte, acc))
            return raise(h, acc, 1, va);
        uint64_t lowmask = (1ull << (9 * i)) - 1;
        if (ppn & lowmask) /* misaligned superpage */
            return raise(h, acc, 1, va);
        uint64_t want = PTE_A | (acc == ACC_WRITE ? PTE_D : 0);
        if ((pte & want) != want) {
            uint64_t expect = pte;
            if (!__atomic_compare_exchange_n(ptep, &expect, pte | want, false, __ATOMIC_SEQ_CST,
                                             __ATOMIC_SEQ_CST)) {
                pte = expect;
                goto again;
            }
        }
        *pa = ((ppn | ((va >> 12) & lowmask)) << 12) | (va & 0xfff);
        *lvl = i;
        return true;
    }
    return raise(h, acc, 1, va);
}

static struct tlb_entry *tlb_slot(struct hart *h, uint64_t va, enum access acc)
{
    struct tlb_set *s = &h->tlb[h->priv];
    struct tlb_entry *arr = acc == ACC_READ ? s->r : acc == ACC_WRITE ? s->w : s->x;
    return &arr[(va >> 12) & (TLB_SIZE - 1)];
}

/* Translate one page-contained access; if it hits RAM, fill the TLB and
 * return the host pointer, else set *pa for MMIO and return NULL. */
static bool translate(struct hart *h, uint64_t va, enum access acc, uint64_t *pa, void **host)
{
    int lvl;
    if (!walk(h, va, acc, pa, &lvl))
        return false;
    struct ram *ram = h->pm->ram;
    uint8_t *p = ram_ptr(ram, *pa & ~0xfffull, 4096);
    *host = NULL;
    if (p) {
        if (acc == ACC_WRITE) {
            /* Stores to pages holding decoded code stay on the slow path
             * and mark the page for the next fence.i. */
            uint64_t pfn = (uint64_t)(p - ram->host) >> RAM_PAGE_SHIFT;
            uint8_t state = __atomic_load_n(&ram->code[pfn], __ATOMIC_RELAXED);
            if (state != CODE_NONE) {
                if (state == CODE_CLEAN)
                    ram_code_written(ram, pfn);
                *host = p + (*pa & 0xfff);
                return true;
            }
        }
        if (lvl >= 3) {
            h->tlb_giant = true;
        } else if (lvl > 0) {
            unsigned bit = super_bit(va, lvl);
            h->tlb_super[bit / 64] |= 1ull << (bit % 64);
        }
        struct tlb_entry *e = tlb_slot(h, va, acc);
        e->tag = va >> 12;
        e->addend = (uintptr_t)p - (va & ~0xfffull);
        *host = p + (*pa & 0xfff);
    }
    return true;
}

void *mmu_host_ptr(struct hart *h, uint64_t va, enum access acc)
{
    struct tlb_entry *e = tlb_slot(h, va, acc);
    if (e->tag == va >> 12)
        return (void *)(uintptr_t)(va + e->addend);
    uint64_t pa;
    void *host;
    if (!translate(h, va, acc, &pa, &host))
        return NULL;
    if (!host) {
        raise(h, acc, 0, va);
        return NULL;
    }
    return host;
}

static bool load_one(struct hart *h, uint64_t va, unsigned size, uint64_t *val)
{
    uint64_t pa;
    void *host;
    if (!translate(h, va, ACC_READ, &pa, &host))
        return false;
    if (host) {
        uint64_t v = 0;
        memcpy(&v, host, size);
        *val = v;
        return true;
    }
    if (!physmap_read(h->pm, pa, size, val))
        return raise(h, ACC_READ, 0, va);
    return true;
}

static bool store_one(struct hart *h, uint64_t va, unsigned size, uint64_t val)
{
    uint64_t pa;
    void *host;
    if (!translate(h, va, ACC_WRITE, &pa, &host))
        return false;
    if (host) {
        memcpy(host, &val, size);
        return true;
    }
    if (!physmap_write(h->pm, pa, size, val))
        return raise(h, ACC_WRITE, 0, va);
    return true;
}

bool mmu_load_slow(struct hart *h, uint64_t va, unsigned size, uint64_t *val)
{
    if (PAGE_OFF(va) <= 4096 - size)
        return load_one(h, va, size, val);
    /* Misaligned and crossing a page: done bytewise so each page is checked
     * (we handle misaligned accesses instead of trapping, as allowed by §2.6). */
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t b;
        if (!load_one(h, va + i, 1, &b))
            return false;
        v |= b << (8 * i);
    }
    *val = v;
    return true;
}

bool mmu_store_slow(struct hart *h, uint64_t va, unsigned size, uint64_t val)
{
    if (PAGE_OFF(va) <= 4096 - size)
        return store_one(h, va, size, val);
    /* Check both pages before writing anything, so a fault leaves memory intact. */
    uint64_t pa;
    void *host;
    if (!translate(h, va, ACC_WRITE, &pa, &host) ||
        !translate(h, (va | 0xfff) + 1, ACC_WRITE, &pa, &host))
        return false;
    for (unsigned i = 0; i < size; i++)
        if (!store_one(h, va + i, 1, (val >> (8 * i)) & 0xff))
            return false;
    return true;
}
