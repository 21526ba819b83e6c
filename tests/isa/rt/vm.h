/* SPDX-License-Identifier: MIT */
/*
 * vm.h: build Sv39/Sv48/Sv57 page tables in a static pool of 4 KiB pages
 * (privileged spec v1.12 §4.3-4.5). One address space at a time: pt_init()
 * throws away whatever was built before. Levels count from the leaf: level 0
 * maps 4 KiB, 1 maps 2 MiB, 2 maps 1 GiB, 3 maps 512 GiB.
 */
#ifndef ISA_VM_H
#define ISA_VM_H

#include <stdint.h>

#define PTE_V 0x001
#define PTE_R 0x002
#define PTE_W 0x004
#define PTE_X 0x008
#define PTE_U 0x010
#define PTE_G 0x020
#define PTE_A 0x040
#define PTE_D 0x080
#define PTE_RWX (PTE_R | PTE_W | PTE_X)
#define PTE_AD (PTE_A | PTE_D)

#define SATP_MODE_BARE 0ull
#define SATP_MODE_SV39 8ull
#define SATP_MODE_SV48 9ull
#define SATP_MODE_SV57 10ull
#define SATP_MODE_SHIFT 60

/* Start a new address space for mode (8, 9 or 10); returns the root. */
uint64_t *pt_init(uint64_t mode);
/* Another root in the same pool (pt_init keeps one address space; this adds
 * more, e.g. for ASID tests); it becomes the current root. */
uint64_t *pt_new_root(void);
/* Make root the one that pt_map/pt_pte/pt_satp work on. */
void pt_use(uint64_t *root);
/* satp value selecting the current root. */
uint64_t pt_satp(void);
/* Install leaf va -> pa at level with flags (PTE_V added), creating tables.
 * Returns the leaf PTE. va and pa need not be aligned: misaligned
 * superpages are what some tests want. */
volatile uint64_t *pt_map(uint64_t va, uint64_t pa, int level, uint64_t flags);
/* The PTE that maps va at level (creating tables above it), to read A/D
 * or to write a raw value. */
volatile uint64_t *pt_pte(uint64_t va, int level);
/* Identity-map the low 4 GiB with 1 GiB global leaves: 0-1 GiB RW (UART),
 * 2-3 GiB RWX (RAM, this program). */
void pt_identity(void);
/* Write satp (then sfence.vma) / go back to bare. */
void pt_enable(void);
void pt_disable(void);

static inline void sfence_all(void)
{
    asm volatile("sfence.vma" ::: "memory");
}
static inline void sfence_va(uint64_t va)
{
    asm volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
}

#endif
