/* SPDX-License-Identifier: MIT */
/*
 * hart: architectural state of one RISC-V hart as seen by an S-mode guest.
 *
 * The VMM plays M-mode (DESIGN.md), so there is no M-mode state here: every
 * exception and S-level interrupt is taken in S-mode, except ecall from
 * S-mode, which leaves cpu_run() as an SBI call.
 *
 * Threads: a hart is owned by its vCPU thread. Other threads touch only
 * `mip` (atomic OR/AND of SEIP/SSIP) and `exit_request` (atomic), then kick.
 */
#ifndef RV_CPU_HART_H
#define RV_CPU_HART_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct physmap;
struct dcache;

enum { PRV_U = 0, PRV_S = 1, PRV_M = 3 };

/* Interrupt bits in sip/sie (privileged spec §10.1.3). */
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9
#define MIP_SSIP (1ull << IRQ_S_SOFT)
#define MIP_STIP (1ull << IRQ_S_TIMER)
#define MIP_SEIP (1ull << IRQ_S_EXT)
#define SIP_MASK (MIP_SSIP | MIP_STIP | MIP_SEIP)

/* sstatus bits (privileged spec §10.1.1). */
#define SSTATUS_SIE (1ull << 1)
#define SSTATUS_SPIE (1ull << 5)
#define SSTATUS_SPP (1ull << 8)
#define SSTATUS_VS (3ull << 9)
#define SSTATUS_FS (3ull << 13)
#define SSTATUS_FS_OFF (0ull << 13)
#define SSTATUS_FS_DIRTY (3ull << 13)
#define SSTATUS_XS (3ull << 15)
#define SSTATUS_SUM (1ull << 18)
#define SSTATUS_MXR (1ull << 19)
#define SSTATUS_UXL (3ull << 32)
#define SSTATUS_UXL_64 (2ull << 32)
#define SSTATUS_SD (1ull << 63)
/* The bits the guest may write. */
#define SSTATUS_WMASK (SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_FS | SSTATUS_SUM | SSTATUS_MXR)

/* Exception causes (privileged spec table 22). */
enum {
    EXC_INSN_MISALIGNED = 0,
    EXC_INSN_ACCESS = 1,
    EXC_ILLEGAL_INSN = 2,
    EXC_BREAKPOINT = 3,
    EXC_LOAD_MISALIGNED = 4,
    EXC_LOAD_ACCESS = 5,
    EXC_STORE_MISALIGNED = 6,
    EXC_STORE_ACCESS = 7,
    EXC_ECALL_U = 8,
    EXC_ECALL_S = 9,
    EXC_INSN_PAGE_FAULT = 12,
    EXC_LOAD_PAGE_FAULT = 13,
    EXC_STORE_PAGE_FAULT = 15,
};

/* fflags bits (unprivileged spec §11.2). */
#define FFLAG_NX 0x01 /* inexact */
#define FFLAG_UF 0x02 /* underflow */
#define FFLAG_OF 0x04 /* overflow */
#define FFLAG_DZ 0x08 /* divide by zero */
#define FFLAG_NV 0x10 /* invalid */

/* Software TLB: direct-mapped, one array per access kind, one set per
 * privilege level (so a trap or sret needs no flush). An entry maps a guest
 * virtual page to host memory: host = va + addend. tag is va >> 12, or
 * TLB_INVALID. Only RAM pages are ever entered; MMIO always takes the slow path. */
#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_INVALID (~0ull)
#define TLB_SUPER_WORDS 64
struct tlb_entry {
    uint64_t tag;
    uintptr_t addend;
};
struct tlb_set {
    struct tlb_entry r[TLB_SIZE], w[TLB_SIZE], x[TLB_SIZE];
};

/* Jump cache: guest virtual pc (| priv in bit 0) -> decoded block, so
 * chained blocks skip the TLB and the block hash. Flushed with the TLB. */
#define JC_BITS 10
#define JC_SIZE (1u << JC_BITS)
struct jc_entry {
    uint64_t tag;
    const void *block;
};

struct hart {
    /* x[32] is a sink: the decoder maps integer rd == x0 to it, so x[0] is
     * never written and needs no special case on the hot path. */
    uint64_t x[33];
    uint64_t pc;
    uint64_t f[32]; /* raw bits; single values are NaN-boxed (upper 32 bits all ones) */
    uint32_t fflags; /* accrued exception flags, FFLAG_* */
    uint32_t frm;    /* dynamic rounding mode, 0..7 (5..7 invalid) */
    unsigned priv;   /* PRV_U or PRV_S */

    /* S-mode CSRs */
    uint64_t status; /* sstatus, SD computed on read */
    uint64_t sie;
    _Atomic uint64_t mip; /* pending: SSIP, STIP, SEIP */
    uint64_t stvec, sscratch, sepc, scause, stval, satp, scounteren, senvcfg;
    uint64_t stimecmp; /* Sstc; also the SBI TIME target */
    uint64_t instret;
    /* Spin-wait detection (pause, see exec.c): instret at the last pause
     * and the pauses in a row, each within a few instructions of the last. */
    uint64_t pause_instret;
    uint32_t pause_spins;

    /* LR/SC reservation: host address of the reserved word (~0 when none)
     * and the value LR loaded; SC succeeds by compare-and-swap against it. */
    uint64_t resv;
    uint64_t resv_val;

    /* MMU: cached translation mode derived from satp */
    int pt_levels; /* 0 = bare, 3 = Sv39, 4 = Sv48 */
    uint64_t pt_root; /* physical address of the root table */
    struct tlb_set tlb[2]; /* indexed by priv */
    /* Superpages the TLB holds 4 KiB pieces of, since the last full flush
     * (see mmu_flush_page): a bit per 2 MiB region (hashed), a bit per
     * 1 GiB region (hashed), or tlb_giant for anything larger. */
    uint64_t tlb_super[TLB_SUPER_WORDS];
    bool tlb_giant;
    struct jc_entry jc[JC_SIZE];
    uint32_t code_epoch_seen; /* last ram->code_epoch this hart acted on */

    /* Decoded-code cache, owned by the interpreter. */
    struct dcache *dcache;

    struct physmap *pm;
    uint64_t (*read_time)(void *opaque); /* the 10 MHz `time` counter */
    void *time_opaque;

    /* Set (atomically, any thread) to make cpu_run() return at the next block boundary. */
    atomic_uint exit_request;
    /* Remote fences pending (CPU_FLUSH_* bits), set by other harts' SBI
     * RFENCE calls and cleared by this hart once done. */
    atomic_uint flush_req;
    /* 1 while the hart's thread is inside cpu_run(); a remote fence need
     * not wait for a hart outside it (it flushes on entry). */
    atomic_uint in_guest;
    /* Wake the hart's thread if it sleeps in WFI (set by vm/vcpu.c; any thread). */
    void (*kick)(struct hart *h);
    void *owner; /* the vCPU object that owns this hart */

    /* The exception being raised (set by the MMU and instruction helpers). */
    uint64_t exc_cause, exc_tval;
    /* The instruction bits being executed, for the illegal-instruction stval. */
    uint32_t cur_raw;

    /* Scratch of one run of translated code (cpu/jit): the budget left, the
     * block where it stopped, and a jump site it asks to have chained. */
    int64_t jit_left;
    const void *jit_blk;
    uint8_t *jit_patch;

    int hartid;
    /* Filled when cpu_run() returns CPU_EXIT_FATAL. */
    char fatal_msg[160];
};

static inline bool hart_fs_enabled(const struct hart *h)
{
    return (h->status & SSTATUS_FS) != SSTATUS_FS_OFF;
}

/* F/D state was written: sstatus.FS := Dirty (privileged spec §3.1.6.6). */
static inline void hart_fs_dirty(struct hart *h)
{
    h->status |= SSTATUS_FS_DIRTY;
}

/* Reset a hart to the boot state (S-mode, MMU off, pc = entry). */
void hart_reset(struct hart *h, int hartid, uint64_t entry);

/* Print registers and key CSRs to stderr (fatal guest errors). */
void hart_dump(const struct hart *h);

#endif
