/* SPDX-License-Identifier: MIT */
/*
 * translate_fp: F/D instructions (unprivileged spec ch. 11-12) in
 * translated code. The common binary64 ops run inline on the host's SSE2
 * and FMA3 units under exactly the conditions of fpu.c's fast paths: the
 * rounding mode is RNE, NX has already accrued (so an inexact result raises
 * nothing new) and the result is finite, or normal for mul, div and the
 * fused ops (so no other flag can be due and the host result is the IEEE
 * one). Otherwise, and for every other op, fpu_exec does it, so fpu.c stays
 * the one definition of F/D semantics. Sign injection, moves and ordered
 * compares need no condition at all, except that a compare with a NaN goes
 * to fpu_exec for its flags.
 *
 * The host FP environment is the default one (RNE, no FTZ/DAZ), as fpu.c
 * assumes too. Runs on the hart's vCPU thread (translation only).
 */
#include "cpu/jit/translate.h"

#include "cpu/fpu.h"
#include "cpu/fpu_soft.h"

#define F64_SIGN 0x8000000000000000ull
/* Twice the bits of DBL_MAX and DBL_MIN: the sign shifted out. */
#define ABS2_MAX 0xffdffffffffffffeull
#define ABS2_MIN 0x0020000000000000ull

/* F/D ops are illegal while sstatus.FS is Off: resume the interpreter,
 * which raises it; the same stub serves an illegal rounding mode found by
 * fpu_exec. */
static void gen_helper(struct tr *t, const struct insn *in)
{
    struct stub *s = jit_fs_check(t);
    jit_call_helper(t, (const void *)fpu_exec, in);
    emit_test_rr(t->e, false, RAX, RAX);
    s->site[1] = emit_jcc_fwd(t->e, CC_NE);
}

/* The slow path of an inline op: fpu_exec, from the registers as they were
 * (the inline code stores nothing before its checks pass). */
void jit_gen_fpu_stub(struct tr *t, struct stub *s)
{
    struct emit *e = t->e;
    jit_writeback(t, s->dirty);
    emit_mov_rr(e, true, RDI, R_HART);
    emit_mov_ri(e, RSI, (uint64_t)(uintptr_t)s->in);
    emit_call_abs(e, (const void *)fpu_exec);
    emit_test_rr(e, false, RAX, RAX);
    uint8_t *illegal = emit_jcc_fwd(e, CC_NE);
    jit_reload(t);
    emit_jmp_to(e, s->back);
    emit_bind(e, illegal);
    jit_stop(t, JIT_RESUME, s->k, s->off);
}

/* fpu.c's fast-path preconditions: RNE (static, or dynamic with frm RNE)
 * and NX accrued. False if the rounding mode rules inlining out. */
static bool fast_preconditions(struct tr *t, const struct insn *in, struct stub *s)
{
    struct emit *e = t->e;
    if (in->rm != FRM_RNE && in->rm != FRM_DYN)
        return false;
    emit_test_mi(e, false, jit_hmem(HOFF(fflags)), FFLAG_NX);
    s->site[0] = emit_jcc_fwd(e, CC_E);
    if (in->rm == FRM_DYN) {
        emit_alu_mi(e, false, ALU_CMP, jit_hmem(HOFF(frm)), FRM_RNE);
        s->site[1] = emit_jcc_fwd(e, CC_NE);
    }
    return true;
}

/* f[rd] := rax, and sstatus.FS := Dirty (as fpu.c's wr_d). */
static void write_d(struct tr *t, unsigned rd)
{
    emit_store(t->e, 8, jit_fmem(rd), RAX);
    emit_alu_mi(t->e, true, ALU_OR, jit_hmem(HOFF(status)), (int32_t)SSTATUS_FS_DIRTY);
}

/* add, sub, mul, div and the fused ops, binary64. */
static bool gen_arith_d(struct tr *t, const struct insn *in)
{
    struct emit *e = t->e;
    enum op op = (enum op)in->op;
    bool fused = op >= OP_FMADD_D && op <= OP_FNMADD_D;
    if (fused && !t->j->fma)
        return false;
    struct stub *s = jit_add_stub(t, STUB_FPU, NULL);
    if (!fast_preconditions(t, in, s)) {
        t->nstubs--;
        return false;
    }
    emit_movq_xm(e, XMM0, jit_fmem(in->rs1));
    if (fused) { /* the negations are exact: fma(-a, b, d) == -(a * b) + d */
        static const enum x86_fma fma[4] = {FMA_ADD, FMA_SUB, FMA_NADD, FMA_NSUB};
        emit_movq_xm(e, XMM1, jit_fmem(in->rs2));
        emit_vfma_sd(e, fma[op - OP_FMADD_D], XMM0, XMM1, jit_fmem(in->rs3));
    } else {
        static const enum x86_sse sse[4] = {SSE_ADD, SSE_SUB, SSE_MUL, SSE_DIV};
        emit_sse_sd(e, sse[op - OP_FADD_D], XMM0, jit_fmem(in->rs2));
    }
    emit_movq_rx(e, RAX, XMM0);
    emit_mov_rr(e, true, RCX, RAX);
    emit_alu_rr(e, true, ALU_ADD, RCX, RCX);  /* |r| * 2 as bits */
    if (op == OP_FADD_D || op == OP_FSUB_D) { /* finite (a tiny sum is exact) */
        emit_mov_ri(e, RDX, ABS2_MAX);
    } else { /* normal: ABS2_MIN < |r| * 2 <= ABS2_MAX, with one unsigned compare */
        emit_mov_ri(e, RDX, ABS2_MIN + 2);
        emit_alu_rr(e, true, ALU_SUB, RCX, RDX);
        emit_mov_ri(e, RDX, ABS2_MAX - ABS2_MIN - 2);
    }
    emit_alu_rr(e, true, ALU_CMP, RCX, RDX);
    s->site[2] = emit_jcc_fwd(e, CC_A);
    write_d(t, in->rd);
    s->back = e->p;
    return true;
}

/* fsgnj.d, fsgnjn.d, fsgnjx.d: sgnj() in fpu.c. */
static void gen_sgnj_d(struct tr *t, const struct insn *in)
{
    struct emit *e = t->e;
    emit_load(e, 8, false, RAX, jit_fmem(in->rs1));
    if (in->op != OP_FSGNJ_D || in->rs1 != in->rs2) { /* else fmv.d */
        emit_load(e, 8, false, RCX, jit_fmem(in->rs2));
        emit_mov_ri(e, RDX, F64_SIGN);
        if (in->op == OP_FSGNJN_D)
            emit_unary(e, true, UN_NOT, RCX);
        if (in->op != OP_FSGNJX_D) /* rax ^= (rax ^ b) & sign */
            emit_alu_rr(e, true, ALU_XOR, RCX, RAX);
        emit_alu_rr(e, true, ALU_AND, RCX, RDX);
        emit_alu_rr(e, true, ALU_XOR, RAX, RCX);
    }
    write_d(t, in->rd);
}

/* The x register an F/D op writes: the decoder does not send x0 to the
 * sink for F/D ops (fpu.c's wr_x skips it), so do it here. */
static unsigned xrd(const struct insn *in)
{
    return in->rd == 0 ? 32 : in->rd;
}

/* feq.d, flt.d, fle.d on ordered operands; NaNs go to fpu_exec (flags). */
static void gen_compare_d(struct tr *t, const struct insn *in)
{
    struct emit *e = t->e;
    struct stub *s = jit_add_stub(t, STUB_FPU, NULL);
    emit_movq_xm(e, XMM0, jit_fmem(in->rs1));
    emit_ucomisd(e, XMM0, jit_fmem(in->rs2));
    s->site[0] = emit_jcc_fwd(e, CC_P); /* unordered */
    enum x86_cc cc = in->op == OP_FEQ_D ? CC_E : in->op == OP_FLT_D ? CC_B : CC_BE;
    enum x86_reg d = jit_dst(t, xrd(in), 0);
    emit_setcc_zx(e, cc, d);
    jit_set_dst(t, xrd(in), d);
    s->back = e->p;
}

void jit_gen_fp(struct tr *t, const struct insn *in)
{
    enum op op = (enum op)in->op;
    bool inline_op = (op >= OP_FMADD_D && op <= OP_FDIV_D) ||
                     (op >= OP_FSGNJ_D && op <= OP_FSGNJX_D) || op == OP_FMV_X_D ||
                     op == OP_FMV_D_X || (op >= OP_FEQ_D && op <= OP_FLE_D);
    if (!inline_op) {
        gen_helper(t, in);
        return;
    }
    jit_fs_check(t);
    if (op >= OP_FSGNJ_D && op <= OP_FSGNJX_D) {
        gen_sgnj_d(t, in);
    } else if (op == OP_FMV_X_D) {
        emit_load(t->e, 8, false, RAX, jit_fmem(in->rs1));
        jit_stx(t, xrd(in), RAX);
    } else if (op == OP_FMV_D_X) {
        jit_ldx(t, RAX, in->rs1);
        write_d(t, in->rd);
    } else if (op >= OP_FEQ_D && op <= OP_FLE_D) {
        gen_compare_d(t, in);
    } else if (!gen_arith_d(t, in)) {
        jit_call_helper(t, (const void *)fpu_exec, in); /* FS is known to be on */
        emit_test_rr(t->e, false, RAX, RAX);
        jit_add_stub(t, STUB_RESUME, emit_jcc_fwd(t->e, CC_NE));
    }
}
