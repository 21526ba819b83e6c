/* SPDX-License-Identifier: MIT */
/*
 * jit: the dynamic binary translator from decoded blocks (struct block) to
 * x86-64, used by the interpreter loop (exec.c) when available. Internal to
 * cpu/.
 *
 * A translated block is an optional attachment of its struct block: it is
 * run only through a block that is valid (gen/pgen), so it is invalidated
 * exactly when the decoded block is. It runs a prefix of the block, or all
 * of it: an instruction the JIT does not translate (CSRs, ecall, sret, wfi,
 * fences that flush, illegal encodings) ends the translated code, and the
 * interpreter resumes the same block at that instruction. So the interpreter
 * remains the definition of every op and of trap entry.
 *
 * Translated blocks chain to each other (translate.c) and make the
 * interpreter's block-boundary checks themselves, so one call runs many
 * blocks. Code lives in one buffer per hart. When it is full, the whole
 * decoded-code cache is reset with it (dcache_reset), so code and blocks
 * always share one lifetime. Everything runs on the hart's vCPU thread.
 */
#ifndef RV_CPU_JIT_JIT_H
#define RV_CPU_JIT_JIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/internal.h"

/* How translated code stopped (the low byte of jit_ret.st). */
enum jit_stop {
    /* At a block boundary: pc is the next block's, the blocks run so far are
     * accounted for (instret, budget); the caller continues at next_block. */
    JIT_BOUNDARY = 0,
    /* Instruction k (st >> 8) of block h->jit_blk at pc was not translated:
     * the interpreter executes the block from there (it accounts the whole
     * block, including its first k instructions). */
    JIT_RESUME = 1,
    /* Instruction k of block h->jit_blk at pc raised h->exc_cause/exc_tval
     * and did not retire; the first k instructions did (not yet accounted). */
    JIT_FAULT = 2,
};

struct jit_ret {
    uint64_t pc;
    uint64_t st; /* enum jit_stop | k << 8 */
};

/* The generated entry point: runs translated code from `code` (the block at
 * `pc`) with the budget h->jit_left, which it updates, and takes pending
 * interrupts as a reason to stop only if irq_mask is ~0 (S interrupts
 * enabled). On JIT_BOUNDARY, h->jit_patch may ask for a jit_link. */
typedef struct jit_ret (*jit_enter_fn)(struct hart *h, uint64_t pc, const void *code,
                                       uint64_t irq_mask);

struct jit {
    uint8_t *buf; /* RWX mapping */
    uint64_t size;
    uint8_t *free;  /* next byte for code */
    uint8_t *code0; /* first byte after the shared stubs */
    jit_enter_fn enter;
    const uint8_t *exit;       /* common exit: rax = pc, edx = status */
    const uint8_t *exit_here;  /* block boundary at r12 */
    const uint8_t *lookup;     /* jump-cache probe: r12 = target pc */
    const uint8_t *lookup_jc2; /* its second level (see translate.c) */
    uint32_t hot;              /* translate a block on its hot-th execution */
    bool fma;                  /* the host has FMA3 (vfmadd) */
    FILE *perfmap;             /* RVISOR_JIT_PERFMAP=1: /tmp/perf-PID.map for perf */
    /* statistics (RVISOR_JIT_STATS=1 prints them at cpu_destroy) */
    uint64_t nblocks, ninsns, nbytes, nflush, nfail;
};

/* Blocks marked with this hit count are never translated (again). */
#define JIT_NEVER 0x80000000u

/* The JIT for one hart, or NULL when disabled (cpu_set_jit, RVISOR_JIT=0),
 * not supported on this host, or the code buffer cannot be mapped. */
struct jit *jit_create(void);
void jit_destroy(struct jit *j);

/* Forget all code: called by dcache_reset only, when no block is running. */
void jit_flush(struct jit *j);

/* Translate `b` (hot, valid, not the straddle scratch block, at virtual
 * `pc` this time: only for the perf map) and attach the
 * code to it. Returns false if the block cannot be translated (then it is
 * marked JIT_NEVER) or the buffer was full (then the whole decoded-code
 * cache has been reset and `b` is stale, though still readable until the
 * next decode). */
bool jit_translate(struct hart *h, struct block *b, uint64_t pc);

/* Chain the exit h->jit_patch of block h->jit_blk to the code of the block
 * at `pc`, the exit's target, if it is translated and valid (else the exit
 * stays as it is and asks again next time). Clears h->jit_patch. */
void jit_link(struct hart *h, uint64_t pc);

/* Count one execution of untranslated block `b` and translate it when it
 * becomes hot. True if b->jit is now usable. */
static inline bool jit_hot(struct hart *h, struct jit *j, struct block *b, uint64_t pc)
{
    return ++b->hits == j->hot && jit_translate(h, b, pc);
}

/* Generate the code for `b` into `e` (translate.c). Returns the number of
 * instructions translated (0: nothing worth running) and the offset of the
 * entry point after the block-boundary checks in *body. The jit provides
 * the shared stubs the code jumps to. */
struct emit;
unsigned jit_gen_block(struct emit *e, const struct jit *j, const struct block *b, uint32_t *body);
/* Generate the shared entry, exit and lookup stubs at the start of the
 * buffer (translate.c). */
void jit_gen_stubs(struct emit *e, struct jit *j);
/* Emit a jump-cache probe and jump for the pc in r12 and rax (translate.c). */
void jit_gen_lookup(struct emit *e, const struct jit *j);

#endif
