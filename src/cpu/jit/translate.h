/* SPDX-License-Identifier: MIT */
/*
 * translate: the state of one block translation, shared by the driver
 * (translate.c: block entry and exits, register cache, out-of-line stubs)
 * and the op generators (translate_ops.c). Internal to cpu/jit/.
 *
 * Register roles in generated code (see translate.c for the whole picture):
 *   rbx  struct hart *          r12  guest pc of the running block's first insn
 *   r13  &h->tlb[h->priv]       r14  budget left (h->jit_left while running)
 *   rbp  h->pm->ram
 *   r8-r11, rdi, r15: up to JIT_NCACHE guest x registers cached in the block
 *   rax, rcx, rdx, rsi: scratch within one instruction
 */
#ifndef RV_CPU_JIT_TRANSLATE_H
#define RV_CPU_JIT_TRANSLATE_H

#include <stddef.h>

#include "cpu/jit/emit_x86_64.h"
#include "cpu/jit/jit.h"

#define R_HART RBX
#define R_PC R12
#define R_TLB R13
#define R_LEFT R14
#define R_RAM RBP

#define HOFF(field) ((int32_t)offsetof(struct hart, field))
#define JIT_NCACHE 6
#define MAX_STUBS 192

/* Out-of-line code emitted after the block body. */
enum stub_kind { STUB_LOAD, STUB_STORE, STUB_RESUME, STUB_FAULT, STUB_CHAIN, STUB_FPU };

struct stub {
    enum stub_kind kind;
    uint8_t *site[3]; /* rel32 jumps to this stub (NULL: unused) */
    uint8_t *back;    /* where a slow path rejoins the body */
    const struct insn *in;
    unsigned k;     /* index of the instruction in its block */
    int32_t off;    /* its pc relative to the block's */
    uint32_t dirty; /* cached registers not yet written back at the site */
};

struct tr {
    struct emit *e;
    const struct jit *j;
    const struct block *b;
    unsigned k;  /* the instruction being translated */
    int32_t off; /* its pc offset */
    /* Register cache: guest x register -> slot (-1: lives in h->x[]), the
     * slots written since the last write-back (a bit per slot). */
    int8_t slot[33];
    uint8_t xr_of[JIT_NCACHE];
    unsigned ncached;
    uint32_t dirty;
    /* A block whose last instruction may jump back to its first: the
     * back edge stays in the code with the registers cached (loop_top). */
    bool self_loop;
    uint8_t *loop_top;
    unsigned nstubs;
    struct stub stubs[MAX_STUBS];
};

/* Operands (translate.c). x0 reads as 0 (h->x[0] is always 0); writes to
 * the sink x[32] are harmless. */
struct x86_mem jit_xmem(unsigned xr);
struct x86_mem jit_fmem(unsigned fr);
struct x86_mem jit_hmem(int32_t off);
void jit_ldx(struct tr *t, enum x86_reg r, unsigned xr);   /* r := x[xr] */
void jit_ldx32(struct tr *t, enum x86_reg r, unsigned xr); /* r := low half, zero-extended */
void jit_stx(struct tr *t, unsigned xr, enum x86_reg r);   /* x[xr] := r */
void jit_stx_imm(struct tr *t, unsigned xr, int32_t imm);  /* x[xr] := sign-extended imm */
/* Compute x[rd] in place: its cache register, unless x[rd] is not cached
 * or is `busy` (a source still to be read), then rax. jit_ldx_to loads a
 * source into it (nothing if it is already there); jit_set_dst completes
 * the write to x[rd]. */
enum x86_reg jit_dst(struct tr *t, unsigned rd, unsigned busy);
/* The register holding x[xr]: its cache register, else `scratch` loaded. */
enum x86_reg jit_src(struct tr *t, unsigned xr, enum x86_reg scratch);
void jit_ldx_to(struct tr *t, enum x86_reg r, unsigned xr, bool w32);
void jit_set_dst(struct tr *t, unsigned rd, enum x86_reg r);
/* dst op= x[xr] (also CMP); imul dst, x[xr]; one-operand mul/imul of rax. */
void jit_alu_x(struct tr *t, bool w64, enum x86_alu op, enum x86_reg dst, unsigned xr);
void jit_imul_x(struct tr *t, bool w64, enum x86_reg dst, unsigned xr);
void jit_unary_x(struct tr *t, enum x86_unary op, unsigned xr);
/* r := guest pc of the current block + delta. */
void jit_pc_rel(struct tr *t, enum x86_reg r, int64_t delta);

/* Register cache: store the slots in `mask` to h->x[]; load every slot. */
void jit_writeback(struct tr *t, uint32_t mask);
void jit_reload(struct tr *t);
/* Calls from the body: write back the cached registers, call fn(h, in),
 * reload them (the callee may read and write h->x[]). */
void jit_call_helper(struct tr *t, const void *fn, const struct insn *in);

/* Block exits (translate.c). */
struct stub *jit_add_stub(struct tr *t, enum stub_kind kind, uint8_t *site);
/* Leave at instruction k, which did not run (registers written back). */
void jit_stop(struct tr *t, enum jit_stop why, unsigned k, int32_t off);
void jit_end_pc(struct tr *t, int64_t delta); /* to the pc at delta from the block's */
void jit_end_rax(struct tr *t);               /* to the pc in rax */
/* FS == Off: resume the interpreter at this instruction (illegal). */
struct stub *jit_fs_check(struct tr *t);

/* Translate one instruction (translate_ops.c). False: not translated (the
 * code stops before it). Control transfers only as a block's last insn. */
bool jit_gen_insn(struct tr *t, const struct insn *in, bool last);
/* The out-of-line slow path of a load or store (translate_ops.c). */
void jit_gen_mem_stub(struct tr *t, struct stub *s);
/* F/D ops (translate_fp.c): the common double ops inline, under the
 * conditions of fpu.c's fast paths, everything else through fpu_exec. */
void jit_gen_fp(struct tr *t, const struct insn *in);
void jit_gen_fpu_stub(struct tr *t, struct stub *s);
/* Guest registers an instruction reads and writes, as bit masks over
 * x1..x31, for the register cache (translate_ops.c). */
void jit_insn_regs(const struct insn *in, uint32_t *reads, uint32_t *writes);

#endif
