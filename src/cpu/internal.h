/* SPDX-License-Identifier: MIT */
/*
 * internal: functions shared by the files of the interpreter engine
 * (csr.c, trap.c, interp.c). Not part of the engine interface (cpu.h).
 * Everything here runs on the hart's own thread.
 */
#ifndef RV_CPU_INTERNAL_H
#define RV_CPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/decode.h"
#include "cpu/hart.h"
#include "mem/physmap.h"

/* Pseudo-op placed after the last instruction of every block. */
#define OP_BLOCK_END OP_COUNT

/* A decoded block: straight-line code that ends at a control transfer, a
 * system instruction or a page end, followed by an OP_BLOCK_END marker. */
struct block {
    const void *key; /* host address of the first instruction */
    struct block *next;
    uint32_t gen;  /* dcache generation at decode */
    uint32_t pgen; /* ram->code_gen[pfn] at decode */
    uint32_t pfn;  /* RAM page the block was decoded from */
    uint32_t n;    /* instructions, not counting the end marker */
    uint32_t hits;     /* executions while untranslated (cpu/jit), or JIT_NEVER */
    uint32_t jit_body; /* offset in the code of the entry that skips the checks */
    void *jit;         /* translated code (cpu/jit/jit.h), or NULL */
    struct insn in[];
};

#define DC_HASH_BITS 16
#define DC_HASH (1u << DC_HASH_BITS)
#define JC2_BITS 13
#define JC2_SIZE (1u << JC2_BITS)

/* The decoded-code cache of one hart (interp.c). */
struct dcache {
    struct block *table[DC_HASH];
    uint8_t *arena;
    size_t used;
    uint32_t gen;
    /* Scratch for an instruction that straddles two pages: never cached,
     * since it depends on two translations. */
    struct block *scratch;
    struct jit *jit; /* the translator, or NULL: interpret only */
    /* Second-level jump cache, larger than h->jc and not cleared by TLB
     * flushes: an entry counts only while the exec TLB maps its page to the
     * block's address (see jc2_lookup). Cleared with the blocks. */
    struct jc_entry jc2[JC2_SIZE];
};

/* Drop every decoded block and all translated code (arena or code buffer
 * full, or cpu_flush_code). Must not be called while a block runs, except
 * that the current block stays readable until the next decode. */
void dcache_reset(struct hart *h);

/* The block at h->pc, decoding it if needed, or NULL with an instruction
 * fault in h->exc_*. Fills the jump cache. */
struct block *block_get(struct hart *h);

/* A cached block for virtual `pc` in the current privilege mode, or NULL. */
static inline struct block *jc_lookup(struct hart *h, uint64_t pc)
{
    const struct jc_entry *e = &h->jc[(pc >> 1) & (JC_SIZE - 1)];
    if (e->tag != (pc | h->priv))
        return NULL;
    struct block *b = (struct block *)e->block;
    if (b->gen != h->dcache->gen || b->pgen != h->pm->ram->code_gen[b->pfn])
        return NULL;
    return b;
}

/*
 * The block at virtual `pc` by the second-level jump cache, or NULL. The
 * entry's page must still be in the exec TLB, mapped to the block's host
 * address: the same translation block_get would use, so no TLB flush has
 * come in between. Refills the first level.
 */
static inline struct block *jc2_lookup(struct hart *h, uint64_t pc)
{
    struct jc_entry *e = &h->dcache->jc2[(pc >> 1) & (JC2_SIZE - 1)];
    if (e->tag != (pc | h->priv))
        return NULL;
    const struct tlb_entry *t = &h->tlb[h->priv].x[(pc >> 12) & (TLB_SIZE - 1)];
    struct block *b = (struct block *)e->block;
    if (t->tag != pc >> 12 || pc + t->addend != (uintptr_t)b->key)
        return NULL;
    if (b->gen != h->dcache->gen || b->pgen != h->pm->ram->code_gen[b->pfn])
        return NULL;
    h->jc[(pc >> 1) & (JC_SIZE - 1)] = *e;
    return b;
}

/* Run blocks from h->pc until an exit, decrementing *left by the
 * instructions retired. Returns an enum cpu_exit value. */
int interp_run(struct hart *h, int64_t *left);

/* A-extension op (exec.c). Returns false with h->exc_* set on a fault. */
bool exec_atomic(struct hart *h, const struct insn *in);
/* Zicsr op (exec.c). Returns false, with no effect, if it is illegal. */
bool exec_csr(struct hart *h, const struct insn *in);

/* CSR access from an instruction. Return 0, or -1 for an illegal
 * instruction (unknown CSR, privilege too low, write to a read-only CSR). */
int csr_read(struct hart *h, unsigned csr, uint64_t *val);
int csr_write(struct hart *h, unsigned csr, uint64_t val);

/* Take exception `cause` with `tval` at h->pc (the faulting instruction).
 * Returns false if the guest cannot continue (h->fatal_msg set). */
bool trap_exception(struct hart *h, uint64_t cause, uint64_t tval);

/* Take the highest-priority pending and enabled interrupt, if any.
 * Returns true if one was taken. */
bool trap_check_interrupts(struct hart *h);

/* sret: return from an S-mode trap (privileged spec §3.3.2). */
void trap_sret(struct hart *h);

/* The current value of the `time` CSR. */
static inline uint64_t hart_time(struct hart *h)
{
    return h->read_time(h->time_opaque);
}

#endif
