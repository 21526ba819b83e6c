/* SPDX-License-Identifier: MIT */
/*
 * vm.c: page-table builder for the paging tests. See vm.h.
 *
 * Tables come from a static, page-aligned pool in .bss; the pool is reset by
 * pt_init(), which is why there is no free.
 */
#include "vm.h"

#include "rt.h"

#define POOL_PAGES 48

static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static int pool_used;
static uint64_t cur_mode;
static int cur_levels;
static uint64_t *root;

static uint64_t *alloc_table(void)
{
    if (pool_used == POOL_PAGES) {
        rt_puts("vm: page-table pool exhausted\n");
        rt_shutdown(true);
    }
    uint64_t *t = pool[pool_used++];
    memset(t, 0, 4096);
    return t;
}

uint64_t *pt_init(uint64_t mode)
{
    pool_used = 0;
    cur_mode = mode;
    cur_levels = (int)mode - 5; /* Sv39: 3, Sv48: 4, Sv57: 5 */
    root = alloc_table();
    return root;
}

uint64_t *pt_new_root(void)
{
    root = alloc_table();
    return root;
}

void pt_use(uint64_t *r)
{
    root = r;
}

uint64_t pt_satp(void)
{
    return cur_mode << SATP_MODE_SHIFT | (uint64_t)root >> 12;
}

volatile uint64_t *pt_pte(uint64_t va, int level)
{
    uint64_t *t = root;
    for (int l = cur_levels - 1;; l--) {
        uint64_t *pte = &t[(va >> (12 + 9 * l)) & 511];
        if (l == level)
            return pte;
        if (!(*pte & PTE_V) || (*pte & PTE_RWX)) {
            uint64_t *next = alloc_table();
            *pte = ((uint64_t)next >> 12) << 10 | PTE_V;
        }
        t = (uint64_t *)((*pte >> 10) << 12);
    }
}

volatile uint64_t *pt_map(uint64_t va, uint64_t pa, int level, uint64_t flags)
{
    volatile uint64_t *pte = pt_pte(va, level);
    *pte = (pa >> 12) << 10 | flags | PTE_V;
    return pte;
}

void pt_identity(void)
{
    pt_map(0x00000000ul, 0x00000000ul, 2, PTE_R | PTE_W | PTE_AD | PTE_G);
    pt_map(0x80000000ul, 0x80000000ul, 2, PTE_RWX | PTE_AD | PTE_G);
    pt_map(0xc0000000ul, 0xc0000000ul, 2, PTE_R | PTE_W | PTE_AD | PTE_G);
}

void pt_enable(void)
{
    asm volatile("sfence.vma" ::: "memory");
    csr_write(satp, pt_satp());
    asm volatile("sfence.vma" ::: "memory");
}

void pt_disable(void)
{
    csr_write(satp, 0);
    asm volatile("sfence.vma" ::: "memory");
}
