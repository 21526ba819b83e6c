/* SPDX-License-Identifier: MIT */
/*
 * mmu: guest-virtual memory access for the interpreter: the inline TLB fast
 * path (compare + host access) and the out-of-line slow path (page walk,
 * MMIO, faults, accesses that cross a page). Internal to cpu/.
 *
 * On failure the helpers return false with h->exc_cause/h->exc_tval set; the
 * caller raises the exception. Runs on the hart's thread only.
 */
#ifndef RV_CPU_MMU_H
#define RV_CPU_MMU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/hart.h"

enum access { ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2 };

#define PAGE_OFF(va) ((va) & 0xfffu)

bool mmu_load_slow(struct hart *h, uint64_t va, unsigned size, uint64_t *val);
bool mmu_store_slow(struct hart *h, uint64_t va, unsigned size, uint64_t val);

/* Translate `va` for `acc` and return a host pointer to the byte, which must
 * be in RAM (atomics, instruction fetch). NULL with the exception set
 * (access fault for MMIO). Fills the TLB. */
void *mmu_host_ptr(struct hart *h, uint64_t va, enum access acc);

/* Flush translations: all sets, or only the read/write entries of the S set
 * (when SUM or MXR lose a permission). */
void mmu_flush(struct hart *h);
/* sfence.vma with an address: only the translations of the page at va,
 * unless a superpage may cover it (then everything). */
void mmu_flush_page(struct hart *h, uint64_t va);
void mmu_flush_data(struct hart *h);
/* Drop all write translations (a page became a code page). */
void mmu_flush_writes(struct hart *h);

/* Decode satp into h->pt_levels / h->pt_root. */
void mmu_set_satp(struct hart *h, uint64_t satp);

static inline bool mmu_load(struct hart *h, uint64_t va, unsigned size, uint64_t *val)
{
    const struct tlb_entry *e = &h->tlb[h->priv].r[(va >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(e->tag == (va >> 12) && PAGE_OFF(va) <= 4096 - size, 1)) {
        const void *p = (const void *)(uintptr_t)(va + e->addend);
        switch (size) {
        case 1: *val = *(const uint8_t *)p; return true;
        case 2: { uint16_t v; memcpy(&v, p, 2); *val = v; return true; }
        case 4: { uint32_t v; memcpy(&v, p, 4); *val = v; return true; }
        default: { uint64_t v; memcpy(&v, p, 8); *val = v; return true; }
        }
    }
    return mmu_load_slow(h, va, size, val);
}

static inline bool mmu_store(struct hart *h, uint64_t va, unsigned size, uint64_t val)
{
    const struct tlb_entry *e = &h->tlb[h->priv].w[(va >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(e->tag == (va >> 12) && PAGE_OFF(va) <= 4096 - size, 1)) {
        void *p = (void *)(uintptr_t)(va + e->addend);
        switch (size) {
        case 1: *(uint8_t *)p = (uint8_t)val; return true;
        case 2: { uint16_t v = (uint16_t)val; memcpy(p, &v, 2); return true; }
        case 4: { uint32_t v = (uint32_t)val; memcpy(p, &v, 4); return true; }
        default: memcpy(p, &val, 8); return true;
        }
    }
    return mmu_store_slow(h, va, size, val);
}

#endif
