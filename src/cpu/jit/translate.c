/* SPDX-License-Identifier: MIT */
/*
 * translate: decoded RISC-V instructions (struct insn) -> x86-64 code, one
 * block at a time, with the semantics of exec.c (the interpreter is the
 * reference: every op here does exactly what its handler there does).
 *
 * Register roles in generated code (all callee-saved, set by the entry stub):
 *   rbx  struct hart *          r12  guest pc of the running block's first insn
 *   r13  &h->tlb[h->priv]       r14  budget left (h->jit_left while running)
 *   r15  h->dcache              rbp  h->pm->ram
 * Guest registers stay in h->x[] / h->f[] and are used as memory operands;
 * rax, rcx, rdx, rsi, rdi are scratch within one instruction. The stack is
 * 16-byte aligned for helper calls: [rsp] is a scratch slot, [rsp + 8] the
 * interrupt mask (~0 if S interrupts are enabled in this run, else 0: the
 * privilege and sstatus.SIE change only in interpreted instructions).
 *
 * Blocks chain without returning to C. Each block starts with the checks
 * the interpreter makes at a block boundary (budget, exit_request, pending
 * and enabled interrupts, code_epoch) and leaves at a boundary when one
 * fires. A block's exit to a pc in the same guest page as its own start is
 * a jmp that the first run sends to C (jit_link) and that is then patched
 * to the target's code: the target is then fixed by the block's own
 * physical page, and both blocks share one validity (same page, same
 * generation). Other exits, and jalr, probe the jump cache inline, with the
 * same validity checks as jc_lookup.
 *
 * Loads and stores probe the TLB inline exactly as mmu_load/mmu_store do
 * (index, tag and page-offset bound in one compare of (va + size - 1) >> 12
 * with the tag) and call mmu_load_slow/mmu_store_slow out of line on a
 * miss. A fault leaves through JIT_FAULT with the instruction's pc, so the
 * interpreter raises the trap exactly as it would have. Ops that the JIT does
 * not translate end the code with JIT_RESUME at that instruction.
 * Runs on the hart's vCPU thread.
 */
#include <stddef.h>

#include "cpu/fpu.h"
#include "cpu/jit/emit_x86_64.h"
#include "cpu/jit/jit.h"
#include "cpu/mmu.h"
#include "mem/physmap.h"

#define R_HART RBX
#define R_PC R12
#define R_TLB R13
#define R_LEFT R14
#define R_DC R15
#define R_RAM RBP

#define HOFF(field) ((int32_t)offsetof(struct hart, field))
#define MAX_STUBS 192

_Static_assert(sizeof(struct tlb_entry) == 16, "the TLB probe scales the index by 16");

/* Out-of-line code emitted after the block body. */
enum stub_kind { STUB_LOAD, STUB_STORE, STUB_RESUME, STUB_FAULT, STUB_CHAIN };

struct stub {
    enum stub_kind kind;
    uint8_t *site[2]; /* rel32 jumps to this stub (NULL: unused) */
    uint8_t *back;    /* where a load/store slow path rejoins the body */
    const struct insn *in;
    unsigned k;  /* index of the instruction in its block */
    int32_t off; /* its pc relative to the block's */
};

struct tr {
    struct emit *e;
    const struct jit *j;
    const struct block *b;
    unsigned k;  /* the instruction being translated */
    int32_t off; /* its pc offset */
    unsigned nstubs;
    struct stub stubs[MAX_STUBS];
};

static struct x86_mem xreg(unsigned r)
{
    return x86_m(R_HART, HOFF(x) + 8 * (int32_t)r);
}

static struct x86_mem freg(unsigned r)
{
    return x86_m(R_HART, HOFF(f) + 8 * (int32_t)r);
}

static struct x86_mem hfield(int32_t off)
{
    return x86_m(R_HART, off);
}

static void ldx(struct tr *t, enum x86_reg r, unsigned xr)
{
    if (xr == 0)
        emit_mov_ri(t->e, r, 0);
    else
        emit_load(t->e, 8, false, r, xreg(xr));
}

/* Low 32 bits of x[xr] into r, upper half zero. */
static void ldx32(struct tr *t, enum x86_reg r, unsigned xr)
{
    emit_load(t->e, 4, false, r, xreg(xr));
}

static void stx(struct tr *t, unsigned xr, enum x86_reg r)
{
    emit_store(t->e, 8, xreg(xr), r);
}

/* r := guest pc of the current block + delta. */
static void pc_rel(struct tr *t, enum x86_reg r, int64_t delta)
{
    if (delta >= INT32_MIN && delta <= INT32_MAX) {
        emit_lea(t->e, r, x86_m(R_PC, (int32_t)delta));
    } else {
        emit_mov_ri(t->e, r, (uint64_t)delta);
        emit_alu_rr(t->e, true, ALU_ADD, r, R_PC);
    }
}

static struct stub *add_stub(struct tr *t, enum stub_kind kind, uint8_t *site)
{
    if (t->nstubs == MAX_STUBS) {
        t->e->full = true; /* cannot happen with 64-insn blocks; fail safe */
        return &t->stubs[0];
    }
    struct stub *s = &t->stubs[t->nstubs++];
    *s = (struct stub){
        .kind = kind, .site = {site, NULL}, .in = &t->b->in[t->k], .k = t->k, .off = t->off};
    return s;
}

/* Leave the generated code at instruction k, which did not run. */
static void gen_stop(struct tr *t, enum jit_stop why, unsigned k, int32_t off)
{
    struct emit *e = t->e;
    pc_rel(t, RAX, off);
    emit_mov_ri(e, RDX, why | (uint64_t)k << 8);
    emit_mov_ri(e, RCX, (uint64_t)(uintptr_t)t->b);
    emit_store(e, 8, hfield(HOFF(jit_blk)), RCX);
    emit_jmp_to(e, t->j->exit);
}

/* The interpreter's block-boundary checks, at the start of every block
 * (r12 = its pc; the blocks before it are accounted for). */
static void gen_entry(struct tr *t)
{
    struct emit *e = t->e;
    const uint8_t *out = t->j->exit_here;
    emit_test_rr(e, true, R_LEFT, R_LEFT);
    emit_jcc_to(e, CC_LE, out);
    emit_alu_mi(e, false, ALU_CMP, hfield(HOFF(exit_request)), 0);
    emit_jcc_to(e, CC_NE, out);
    emit_load(e, 8, false, RAX, hfield(HOFF(mip)));
    emit_alu_rm(e, true, ALU_AND, RAX, hfield(HOFF(sie)));
    emit_alu_rm(e, true, ALU_AND, RAX, x86_m(RSP, 8));
    emit_jcc_to(e, CC_NE, out);
    emit_load(e, 4, false, RAX, hfield(HOFF(code_epoch_seen)));
    emit_alu_rm(e, false, ALU_CMP, RAX, x86_m(R_RAM, (int32_t)offsetof(struct ram, code_epoch)));
    emit_jcc_to(e, CC_NE, out);
}

/* The whole block retired: charge it to the budget (instret follows from
 * the budget when the run ends). */
static void gen_retire(struct tr *t)
{
    emit_alu_ri(t->e, true, ALU_SUB, R_LEFT, (int32_t)t->b->n);
}

/* Leave the block for the pc at `delta` from its start. */
static void gen_end_pc(struct tr *t, int64_t delta)
{
    struct emit *e = t->e;
    gen_retire(t);
    pc_rel(t, R_PC, delta);
    int64_t at = (int64_t)((uintptr_t)t->b->key & 0xfff) + delta;
    if (at >= 0 && at < 4096) /* same guest page: chainable */
        add_stub(t, STUB_CHAIN, emit_jmp_fwd(e));
    else
        emit_jmp_to(e, t->j->lookup);
}

/* Leave the block for the pc in rax. */
static void gen_end_rax(struct tr *t)
{
    gen_retire(t);
    emit_mov_rr(t->e, true, R_PC, RAX);
    emit_jmp_to(t->e, t->j->lookup);
}

/* An exit not chained yet: ask C to chain it (jit_link), then go on as a
 * block boundary. */
static void gen_chain_stub(struct tr *t, struct stub *s)
{
    struct emit *e = t->e;
    emit_mov_ri(e, RCX, (uint64_t)(uintptr_t)s->site[0]);
    emit_store(e, 8, hfield(HOFF(jit_patch)), RCX);
    emit_mov_ri(e, RCX, (uint64_t)(uintptr_t)t->b);
    emit_store(e, 8, hfield(HOFF(jit_blk)), RCX);
    emit_jmp_to(e, t->j->exit_here);
}

/* FP ops are illegal while sstatus.FS is Off: let the interpreter raise it. */
static struct stub *fs_check(struct tr *t)
{
    emit_test_mi(t->e, true, hfield(HOFF(status)), (int32_t)SSTATUS_FS);
    return add_stub(t, STUB_RESUME, emit_jcc_fwd(t->e, CC_E));
}

/*
 * TLB probe for an access of `size` bytes at x[rs1] + imm, as mmu_load /
 * mmu_store: leaves the guest address in rsi and jumps to a new stub on a
 * miss; on a hit, rsi becomes the host address.
 */
static struct stub *tlb_probe(struct tr *t, const struct insn *in, unsigned size, bool write)
{
    struct emit *e = t->e;
    int32_t arr =
        write ? (int32_t)offsetof(struct tlb_set, w) : (int32_t)offsetof(struct tlb_set, r);
    ldx(t, RSI, in->rs1);
    if (in->imm)
        emit_alu_ri(e, true, ALU_ADD, RSI, (int32_t)in->imm);
    emit_mov_rr(e, true, RDX, RSI);
    emit_shift_ri(e, true, SH_SHR, RDX, 12 - 4); /* index * sizeof(struct tlb_entry) */
    emit_alu_ri(e, false, ALU_AND, RDX, (TLB_SIZE - 1) << 4);
    /* (va + size - 1) >> 12 equals the tag only if the tag matches and the
     * access stays within the page: PAGE_OFF(va) <= 4096 - size. */
    emit_lea(e, RAX, x86_m(RSI, (int32_t)size - 1));
    emit_shift_ri(e, true, SH_SHR, RAX, 12);
    emit_alu_rm(e, true, ALU_CMP, RAX,
                x86_mi(R_TLB, RDX, 1, arr + (int32_t)offsetof(struct tlb_entry, tag)));
    struct stub *s = add_stub(t, write ? STUB_STORE : STUB_LOAD, emit_jcc_fwd(e, CC_NE));
    emit_alu_rm(e, true, ALU_ADD, RSI,
                x86_mi(R_TLB, RDX, 1, arr + (int32_t)offsetof(struct tlb_entry, addend)));
    return s;
}

struct memop {
    unsigned size;
    bool sign, fp;
};

static struct memop memop(enum op op)
{
    switch (op) {
    case OP_LB:
    case OP_SB: return (struct memop){1, true, false};
    case OP_LBU: return (struct memop){1, false, false};
    case OP_LH:
    case OP_SH: return (struct memop){2, true, false};
    case OP_LHU: return (struct memop){2, false, false};
    case OP_LW:
    case OP_SW: return (struct memop){4, true, false};
    case OP_LWU: return (struct memop){4, false, false};
    case OP_FLW:
    case OP_FSW: return (struct memop){4, false, true};
    case OP_FLD:
    case OP_FSD: return (struct memop){8, false, true};
    default: return (struct memop){8, false, false};
    }
}

/* The loaded value (in rax, extended) goes to its register. */
static void load_result(struct tr *t, const struct insn *in, struct memop m)
{
    struct emit *e = t->e;
    if (!m.fp) {
        stx(t, in->rd, RAX);
        return;
    }
    if (m.size == 4) { /* NaN-box the single */
        emit_mov_ri(e, RCX, 0xffffffff00000000ull);
        emit_alu_rr(e, true, ALU_OR, RAX, RCX);
    }
    emit_store(e, 8, freg(in->rd), RAX);
    emit_alu_mi(e, true, ALU_OR, hfield(HOFF(status)), (int32_t)SSTATUS_FS_DIRTY);
}

static void gen_load(struct tr *t, const struct insn *in)
{
    struct memop m = memop((enum op)in->op);
    if (m.fp)
        fs_check(t);
    struct stub *s = tlb_probe(t, in, m.size, false);
    emit_load(t->e, m.size, m.sign, RAX, x86_m(RSI, 0));
    load_result(t, in, m);
    s->back = t->e->p;
}

static void gen_store(struct tr *t, const struct insn *in)
{
    struct memop m = memop((enum op)in->op);
    if (m.fp)
        fs_check(t);
    struct stub *s = tlb_probe(t, in, m.size, true);
    emit_load(t->e, 8, false, RAX, m.fp ? freg(in->rs2) : xreg(in->rs2));
    emit_store(t->e, m.size, x86_m(RSI, 0), RAX);
    s->back = t->e->p;
}

/* Slow path of a load or store: rsi holds the guest address. */
static void gen_mem_stub(struct tr *t, struct stub *s)
{
    struct emit *e = t->e;
    const struct insn *in = s->in;
    struct memop m = memop((enum op)in->op);
    bool load = s->kind == STUB_LOAD;
    emit_mov_rr(e, true, RDI, R_HART);
    emit_mov_ri(e, RDX, m.size);
    if (load) {
        emit_mov_rr(e, true, RCX, RSP);
        emit_call_abs(e, (const void *)mmu_load_slow);
    } else {
        emit_load(e, 8, false, RCX, m.fp ? freg(in->rs2) : xreg(in->rs2));
        emit_call_abs(e, (const void *)mmu_store_slow);
    }
    emit_test8_rr(e, RAX, RAX); /* a bool return defines only al */
    uint8_t *fault = emit_jcc_fwd(e, CC_E);
    if (load) {
        emit_load(e, m.size, m.sign, RAX, x86_m(RSP, 0));
        load_result(t, in, m);
    }
    emit_jmp_to(e, s->back);
    emit_bind(e, fault);
    gen_stop(t, JIT_FAULT, s->k, s->off);
}

/* x[rd] := x[rs1] op imm, for the I-type ALU ops. */
static void gen_alu_imm(struct tr *t, const struct insn *in, enum x86_alu op)
{
    if (in->rd == 32)
        return;                          /* writes x0: no effect */
    if (in->rs1 == 0 && op != ALU_AND) { /* li: 0 op imm == imm for add, or, xor */
        emit_store_i(t->e, xreg(in->rd), (int32_t)in->imm);
        return;
    }
    ldx(t, RAX, in->rs1);
    if (in->imm || op == ALU_AND)
        emit_alu_ri(t->e, true, op, RAX, (int32_t)in->imm);
    stx(t, in->rd, RAX);
}

/* x[rd] := x[rs1] op x[rs2]; w32: on the low halves, sign-extended. */
static void gen_alu_reg(struct tr *t, const struct insn *in, enum x86_alu op, bool w32)
{
    if (in->rd == 32)
        return;
    if (w32) {
        ldx32(t, RAX, in->rs1);
        emit_alu_rm(t->e, false, op, RAX, xreg(in->rs2));
        emit_movsxd(t->e, RAX, RAX);
    } else {
        ldx(t, RAX, in->rs1);
        emit_alu_rm(t->e, true, op, RAX, xreg(in->rs2));
    }
    stx(t, in->rd, RAX);
}

/* x[rd] := x[rs1] <cc> (x[rs2] or imm) ? 1 : 0 (slt, sltu, slti, sltiu). */
static void gen_set(struct tr *t, const struct insn *in, enum x86_cc cc, bool imm)
{
    if (in->rd == 32)
        return;
    ldx(t, RAX, in->rs1);
    if (imm)
        emit_alu_ri(t->e, true, ALU_CMP, RAX, (int32_t)in->imm);
    else
        emit_alu_rm(t->e, true, ALU_CMP, RAX, xreg(in->rs2));
    emit_setcc_zx(t->e, cc, RAX);
    stx(t, in->rd, RAX);
}

/* Shifts: by imm or by x[rs2] (x86 masks the count to 5 or 6 bits, exactly
 * as RV64 does for the W and full-width forms). */
static void gen_shift(struct tr *t, const struct insn *in, enum x86_shift op, bool imm, bool w32)
{
    struct emit *e = t->e;
    if (in->rd == 32)
        return;
    if (!imm)
        ldx(t, RCX, in->rs2);
    if (w32)
        ldx32(t, RAX, in->rs1);
    else
        ldx(t, RAX, in->rs1);
    if (imm)
        emit_shift_ri(e, !w32, op, RAX, (unsigned)in->imm);
    else
        emit_shift_cl(e, !w32, op, RAX);
    if (w32)
        emit_movsxd(e, RAX, RAX);
    stx(t, in->rd, RAX);
}

static void gen_mul(struct tr *t, const struct insn *in)
{
    struct emit *e = t->e;
    if (in->rd == 32)
        return;
    switch (in->op) {
    case OP_MUL:
        ldx(t, RAX, in->rs1);
        emit_imul_rm(e, true, RAX, xreg(in->rs2));
        break;
    case OP_MULW:
        ldx32(t, RAX, in->rs1);
        emit_imul_rm(e, false, RAX, xreg(in->rs2));
        emit_movsxd(e, RAX, RAX);
        break;
    case OP_MULH:
    case OP_MULHU:
        ldx(t, RAX, in->rs1);
        emit_unary_m(e, true, in->op == OP_MULH ? UN_IMUL : UN_MUL, xreg(in->rs2));
        emit_mov_rr(e, true, RAX, RDX);
        break;
    default: /* MULHSU: mulhu(a, b) - (a < 0 ? b : 0) */
        ldx(t, RCX, in->rs1);
        emit_mov_rr(e, true, RAX, RCX);
        emit_unary_m(e, true, UN_MUL, xreg(in->rs2));
        emit_shift_ri(e, true, SH_SAR, RCX, 63);
        emit_alu_rm(e, true, ALU_AND, RCX, xreg(in->rs2));
        emit_alu_rr(e, true, ALU_SUB, RDX, RCX);
        emit_mov_rr(e, true, RAX, RDX);
        break;
    }
    stx(t, in->rd, RAX);
}

/*
 * Division and remainder with the results of the M spec's table (§8.2)
 * for a zero divisor and signed overflow, as div64/rem64/div32/rem32 in
 * exec.c: x86 div would trap on both.
 */
static void gen_div(struct tr *t, const struct insn *in)
{
    struct emit *e = t->e;
    enum op op = (enum op)in->op;
    bool w32 = op >= OP_DIVW;
    bool rem = op == OP_REM || op == OP_REMU || op == OP_REMW || op == OP_REMUW;
    bool sign = op == OP_DIV || op == OP_REM || op == OP_DIVW || op == OP_REMW;
    if (in->rd == 32)
        return;
    if (w32) {
        ldx32(t, RAX, in->rs1);
        ldx32(t, RCX, in->rs2);
    } else {
        ldx(t, RAX, in->rs1);
        ldx(t, RCX, in->rs2);
    }
    emit_test_rr(e, !w32, RCX, RCX);
    uint8_t *zero = emit_jcc_fwd(e, CC_E), *minus1 = NULL, *done1 = NULL;
    if (sign) { /* b == -1 is the only overflow (INT_MIN / -1) */
        emit_alu_ri(e, !w32, ALU_CMP, RCX, -1);
        minus1 = emit_jcc_fwd(e, CC_E);
        emit_cqo(e, !w32);
        emit_unary(e, !w32, UN_IDIV, RCX);
    } else {
        emit_mov_ri(e, RDX, 0);
        emit_unary(e, !w32, UN_DIV, RCX);
    }
    if (rem)
        emit_mov_rr(e, true, RAX, RDX);
    if (w32)
        emit_movsxd(e, RAX, RAX);
    uint8_t *done0 = emit_jmp_fwd(e);
    if (sign) { /* a / -1 == -a (wrapping), a % -1 == 0 */
        emit_bind(e, minus1);
        if (rem) {
            emit_mov_ri(e, RAX, 0);
        } else {
            emit_unary(e, !w32, UN_NEG, RAX);
            if (w32)
                emit_movsxd(e, RAX, RAX);
        }
        done1 = emit_jmp_fwd(e);
    }
    emit_bind(e, zero); /* b == 0: quotient all ones, remainder a */
    if (!rem)
        emit_mov_ri(e, RAX, ~0ull);
    else if (w32)
        emit_movsxd(e, RAX, RAX);
    emit_bind(e, done0);
    emit_bind(e, done1);
    stx(t, in->rd, RAX);
}

static enum x86_cc branch_cc(enum op op)
{
    switch (op) {
    case OP_BEQ: return CC_E;
    case OP_BNE: return CC_NE;
    case OP_BLT: return CC_L;
    case OP_BGE: return CC_GE;
    case OP_BLTU: return CC_B;
    default: return CC_AE;
    }
}

/* The block's last instruction transfers control: both ways out end the
 * block. */
static void gen_branch(struct tr *t, const struct insn *in)
{
    struct emit *e = t->e;
    ldx(t, RAX, in->rs1);
    if (in->rs2 == 0)
        emit_test_rr(e, true, RAX, RAX);
    else
        emit_alu_rm(e, true, ALU_CMP, RAX, xreg(in->rs2));
    uint8_t *taken = emit_jcc_fwd(e, branch_cc((enum op)in->op));
    gen_end_pc(t, t->off + in->len);
    emit_bind(e, taken);
    gen_end_pc(t, t->off + in->imm);
}

static void gen_jal(struct tr *t, const struct insn *in)
{
    if (in->rd != 32) {
        pc_rel(t, RAX, t->off + in->len);
        stx(t, in->rd, RAX);
    }
    gen_end_pc(t, t->off + in->imm);
}

static void gen_jalr(struct tr *t, const struct insn *in)
{
    struct emit *e = t->e;
    ldx(t, RAX, in->rs1); /* the target first: rd may be rs1 */
    if (in->imm)
        emit_alu_ri(e, true, ALU_ADD, RAX, (int32_t)in->imm);
    emit_alu_ri(e, true, ALU_AND, RAX, -2);
    if (in->rd != 32) {
        pc_rel(t, RCX, t->off + in->len);
        stx(t, in->rd, RCX);
    }
    gen_end_rax(t);
}

/* F/D arithmetic through fpu_exec, as the interpreter does it; an illegal
 * rounding mode or FS == Off resumes the interpreter, which raises it
 * (fpu_exec has no side effect when it refuses). */
static void gen_fp(struct tr *t, const struct insn *in)
{
    struct emit *e = t->e;
    struct stub *s = fs_check(t);
    emit_mov_rr(e, true, RDI, R_HART);
    emit_mov_ri(e, RSI, (uint64_t)(uintptr_t)in);
    emit_call_abs(e, (const void *)fpu_exec);
    emit_test_rr(e, false, RAX, RAX);
    s->site[1] = emit_jcc_fwd(e, CC_NE);
}

static void gen_atomic(struct tr *t, const struct insn *in)
{
    struct emit *e = t->e;
    emit_mov_rr(e, true, RDI, R_HART);
    emit_mov_ri(e, RSI, (uint64_t)(uintptr_t)in);
    emit_call_abs(e, (const void *)exec_atomic);
    emit_test8_rr(e, RAX, RAX);
    add_stub(t, STUB_FAULT, emit_jcc_fwd(e, CC_E));
}

static bool gen_alu(struct tr *t, const struct insn *in)
{
    switch (in->op) {
    case OP_LUI:
        if (in->rd != 32)
            emit_store_i(t->e, xreg(in->rd), (int32_t)in->imm);
        return true;
    case OP_AUIPC:
        if (in->rd != 32) {
            pc_rel(t, RAX, t->off + in->imm);
            stx(t, in->rd, RAX);
        }
        return true;
    case OP_ADDI: gen_alu_imm(t, in, ALU_ADD); return true;
    case OP_XORI: gen_alu_imm(t, in, ALU_XOR); return true;
    case OP_ORI: gen_alu_imm(t, in, ALU_OR); return true;
    case OP_ANDI: gen_alu_imm(t, in, ALU_AND); return true;
    case OP_SLTI: gen_set(t, in, CC_L, true); return true;
    case OP_SLTIU: gen_set(t, in, CC_B, true); return true;
    case OP_SLT: gen_set(t, in, CC_L, false); return true;
    case OP_SLTU: gen_set(t, in, CC_B, false); return true;
    case OP_SLLI: gen_shift(t, in, SH_SHL, true, false); return true;
    case OP_SRLI: gen_shift(t, in, SH_SHR, true, false); return true;
    case OP_SRAI: gen_shift(t, in, SH_SAR, true, false); return true;
    case OP_SLL: gen_shift(t, in, SH_SHL, false, false); return true;
    case OP_SRL: gen_shift(t, in, SH_SHR, false, false); return true;
    case OP_SRA: gen_shift(t, in, SH_SAR, false, false); return true;
    case OP_SLLIW: gen_shift(t, in, SH_SHL, true, true); return true;
    case OP_SRLIW: gen_shift(t, in, SH_SHR, true, true); return true;
    case OP_SRAIW: gen_shift(t, in, SH_SAR, true, true); return true;
    case OP_SLLW: gen_shift(t, in, SH_SHL, false, true); return true;
    case OP_SRLW: gen_shift(t, in, SH_SHR, false, true); return true;
    case OP_SRAW: gen_shift(t, in, SH_SAR, false, true); return true;
    case OP_ADD: gen_alu_reg(t, in, ALU_ADD, false); return true;
    case OP_SUB: gen_alu_reg(t, in, ALU_SUB, false); return true;
    case OP_XOR: gen_alu_reg(t, in, ALU_XOR, false); return true;
    case OP_OR: gen_alu_reg(t, in, ALU_OR, false); return true;
    case OP_AND: gen_alu_reg(t, in, ALU_AND, false); return true;
    case OP_ADDW: gen_alu_reg(t, in, ALU_ADD, true); return true;
    case OP_SUBW: gen_alu_reg(t, in, ALU_SUB, true); return true;
    case OP_ADDIW:
        if (in->rd != 32) {
            ldx32(t, RAX, in->rs1);
            emit_alu_ri(t->e, false, ALU_ADD, RAX, (int32_t)in->imm);
            emit_movsxd(t->e, RAX, RAX);
            stx(t, in->rd, RAX);
        }
        return true;
    }
    return false;
}

/* Translate one instruction. False: not translated (the code stops before
 * it). Control transfers are translated only as a block's last insn. */
static bool gen_insn(struct tr *t, const struct insn *in, bool last)
{
    enum op op = (enum op)in->op;
    if (gen_alu(t, in))
        return true;
    if ((op >= OP_LB && op <= OP_LWU) || op == OP_FLW || op == OP_FLD) {
        gen_load(t, in);
        return true;
    }
    if ((op >= OP_SB && op <= OP_SD) || op == OP_FSW || op == OP_FSD) {
        gen_store(t, in);
        return true;
    }
    if (op >= OP_MUL && op <= OP_REMUW) {
        if (op == OP_MUL || op == OP_MULH || op == OP_MULHSU || op == OP_MULHU || op == OP_MULW)
            gen_mul(t, in);
        else
            gen_div(t, in);
        return true;
    }
    if (op >= OP_LR_W && op <= OP_AMOMAXU_D) {
        gen_atomic(t, in);
        return true;
    }
    if (op >= OP_FP_FIRST && op <= OP_FP_LAST) {
        gen_fp(t, in);
        return true;
    }
    if (op == OP_FENCE) /* x86 (TSO) and sequentially consistent atomics */
        return true;
    if (!last)
        return false;
    switch (op) {
    case OP_BEQ:
    case OP_BNE:
    case OP_BLT:
    case OP_BGE:
    case OP_BLTU:
    case OP_BGEU: gen_branch(t, in); return true;
    case OP_JAL: gen_jal(t, in); return true;
    case OP_JALR: gen_jalr(t, in); return true;
    default: return false;
    }
}

static void gen_stubs(struct tr *t)
{
    struct emit *e = t->e;
    for (unsigned i = 0; i < t->nstubs; i++) {
        struct stub *s = &t->stubs[i];
        emit_bind(e, s->site[0]);
        emit_bind(e, s->site[1]);
        switch (s->kind) {
        case STUB_LOAD:
        case STUB_STORE: gen_mem_stub(t, s); break;
        case STUB_RESUME: gen_stop(t, JIT_RESUME, s->k, s->off); break;
        case STUB_FAULT: gen_stop(t, JIT_FAULT, s->k, s->off); break;
        case STUB_CHAIN: gen_chain_stub(t, s); break;
        }
    }
}

static bool is_jump(const struct insn *in)
{
    return in->op >= OP_JAL && in->op <= OP_BGEU;
}

unsigned jit_gen_block(struct emit *e, const struct jit *j, const struct block *b)
{
    struct tr t = {.e = e, .j = j, .b = b};
    unsigned k = 0;
    gen_entry(&t);
    while (k < b->n) {
        const struct insn *in = &b->in[k];
        t.k = k;
        if (!gen_insn(&t, in, k + 1 == b->n))
            break;
        t.off += in->len;
        k++;
    }
    if (k == 0)
        return 0;
    if (k < b->n) { /* stopped before an untranslated instruction */
        gen_stop(&t, JIT_RESUME, k, t.off);
    } else if (!is_jump(&b->in[k - 1])) { /* fell off the end: page end or BLOCK_MAX */
        gen_end_pc(&t, t.off);
    }
    gen_stubs(&t);
    return k;
}

/* Jump-cache probe, jumped to with r12 = the target pc: the checks of
 * jc_lookup, then the block's code, else a block boundary in C. */
static void gen_lookup(struct emit *e, struct jit *j)
{
    j->lookup = e->p;
    int32_t jc = HOFF(jc);
    emit_mov_rr(e, true, RAX, R_PC);
    emit_mov_rr(e, false, RCX, RAX);
    emit_shift_ri(e, false, SH_SHL, RCX, 3); /* ((pc >> 1) & (JC_SIZE - 1)) * 16 */
    emit_alu_ri(e, false, ALU_AND, RCX, (JC_SIZE - 1) << 4);
    emit_load(e, 4, false, RDX, hfield(HOFF(priv)));
    emit_alu_rr(e, true, ALU_OR, RDX, RAX);
    emit_alu_rm(e, true, ALU_CMP, RDX,
                x86_mi(R_HART, RCX, 1, jc + (int32_t)offsetof(struct jc_entry, tag)));
    emit_jcc_to(e, CC_NE, j->exit_here);
    emit_load(e, 8, false, RCX,
              x86_mi(R_HART, RCX, 1, jc + (int32_t)offsetof(struct jc_entry, block)));
    emit_load(e, 8, false, RDX, x86_m(RCX, (int32_t)offsetof(struct block, jit)));
    emit_test_rr(e, true, RDX, RDX);
    emit_jcc_to(e, CC_E, j->exit_here);
    emit_load(e, 4, false, RAX, x86_m(RCX, (int32_t)offsetof(struct block, gen)));
    emit_alu_rm(e, false, ALU_CMP, RAX, x86_m(R_DC, (int32_t)offsetof(struct dcache, gen)));
    emit_jcc_to(e, CC_NE, j->exit_here);
    emit_load(e, 8, false, RSI, x86_m(R_RAM, (int32_t)offsetof(struct ram, code_gen)));
    emit_load(e, 4, false, RAX, x86_m(RCX, (int32_t)offsetof(struct block, pfn)));
    emit_load(e, 4, false, RAX, x86_mi(RSI, RAX, 4, 0));
    emit_alu_rm(e, false, ALU_CMP, RAX, x86_m(RCX, (int32_t)offsetof(struct block, pgen)));
    emit_jcc_to(e, CC_NE, j->exit_here);
    emit_jmp_r(e, RDX);
}

/*
 * The shared stubs. Entry (System V call from exec.c):
 *   struct jit_ret enter(struct hart *h, uint64_t pc, const void *code, uint64_t irq_mask)
 * saves the callee-saved registers, sets up the register roles and jumps to
 * the code. Exit (jumped to with rax = pc, rdx = status) stores the budget
 * and returns rax:rdx as the struct; exit_here is a block boundary at r12.
 */
void jit_gen_stubs(struct emit *e, struct jit *j)
{
    static const enum x86_reg saved[] = {RBX, RBP, R12, R13, R14, R15};
    j->exit = e->p;
    emit_store(e, 8, hfield(HOFF(jit_left)), R_LEFT);
    emit_alu_ri(e, true, ALU_ADD, RSP, 24);
    for (unsigned i = 6; i-- > 0;)
        emit_pop(e, saved[i]);
    emit_ret(e);

    j->exit_here = e->p;
    emit_mov_rr(e, true, RAX, R_PC);
    emit_mov_ri(e, RDX, JIT_BOUNDARY);
    emit_jmp_to(e, j->exit);

    gen_lookup(e, j);

    j->enter = (jit_enter_fn)(void *)e->p;
    for (unsigned i = 0; i < 6; i++)
        emit_push(e, saved[i]);
    emit_alu_ri(e, true, ALU_SUB, RSP, 24); /* 16-byte alignment, two slots */
    emit_store(e, 8, x86_m(RSP, 8), RCX);
    emit_mov_rr(e, true, R_HART, RDI);
    emit_mov_rr(e, true, R_PC, RSI);
    emit_load(e, 8, false, R_LEFT, hfield(HOFF(jit_left)));
    emit_load(e, 8, false, R_DC, hfield(HOFF(dcache)));
    emit_load(e, 8, false, RAX, hfield(HOFF(pm)));
    emit_load(e, 8, false, R_RAM, x86_m(RAX, (int32_t)offsetof(struct physmap, ram)));
    emit_load(e, 4, false, RAX, hfield(HOFF(priv)));
    emit_imul_rri(e, false, RAX, RAX, (int32_t)sizeof(struct tlb_set));
    emit_lea(e, R_TLB, x86_mi(R_HART, RAX, 1, HOFF(tlb)));
    emit_jmp_r(e, RDX);
}
