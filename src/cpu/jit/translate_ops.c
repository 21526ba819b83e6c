/* SPDX-License-Identifier: MIT */
/*
 * translate_ops: x86-64 code for each RISC-V op the JIT translates, with
 * the semantics of its handler in exec.c (unprivileged spec ch. 2 and 5
 * RV64I, ch. 8 M, ch. 9 A and 11-12 F/D through the interpreter's helpers).
 *
 * Guest registers are reached through the jit_ldx/jit_stx/jit_alu_x family
 * (translate.c), which use the block's register cache. Loads and stores
 * probe the TLB inline exactly as mmu_load/mmu_store do (index, tag and
 * page-offset bound in one compare of (va + size - 1) >> 12 with the tag)
 * and call mmu_load_slow/mmu_store_slow out of line on a miss.
 * Runs on the hart's vCPU thread (translation only).
 */
#include "cpu/jit/translate.h"

#include "cpu/fpu.h"
#include "cpu/mmu.h"

_Static_assert(sizeof(struct tlb_entry) == 16, "the TLB probe scales the index by 16");

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
    jit_ldx(t, RSI, in->rs1);
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
    struct stub *s = jit_add_stub(t, write ? STUB_STORE : STUB_LOAD, emit_jcc_fwd(e, CC_NE));
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
        jit_stx(t, in->rd, RAX);
        return;
    }
    if (m.size == 4) { /* NaN-box the single */
        emit_mov_ri(e, RCX, 0xffffffff00000000ull);
        emit_alu_rr(e, true, ALU_OR, RAX, RCX);
    }
    emit_store(e, 8, jit_fmem(in->rd), RAX);
    emit_alu_mi(e, true, ALU_OR, jit_hmem(HOFF(status)), (int32_t)SSTATUS_FS_DIRTY);
}

static void gen_load(struct tr *t, const struct insn *in)
{
    struct memop m = memop((enum op)in->op);
    if (m.fp)
        jit_fs_check(t);
    struct stub *s = tlb_probe(t, in, m.size, false);
    if (m.fp) {
        emit_load(t->e, m.size, m.sign, RAX, x86_m(RSI, 0));
        load_result(t, in, m);
    } else {
        enum x86_reg d = jit_dst(t, in->rd, 0);
        emit_load(t->e, m.size, m.sign, d, x86_m(RSI, 0));
        jit_set_dst(t, in->rd, d);
    }
    s->back = t->e->p;
}

static void gen_store(struct tr *t, const struct insn *in)
{
    struct memop m = memop((enum op)in->op);
    if (m.fp)
        jit_fs_check(t);
    struct stub *s = tlb_probe(t, in, m.size, true);
    enum x86_reg v = RAX;
    if (m.fp)
        emit_load(t->e, 8, false, RAX, jit_fmem(in->rs2));
    else
        v = jit_src(t, in->rs2, RAX);
    emit_store(t->e, m.size, x86_m(RSI, 0), v);
    s->back = t->e->p;
}

/* Slow path of a load or store: rsi holds the guest address. The call
 * clobbers the cache registers: write them back before, reload after. */
void jit_gen_mem_stub(struct tr *t, struct stub *s)
{
    struct emit *e = t->e;
    const struct insn *in = s->in;
    struct memop m = memop((enum op)in->op);
    bool load = s->kind == STUB_LOAD;
    if (load) {
        emit_mov_rr(e, true, RCX, RSP);
    } else if (m.fp) {
        emit_load(e, 8, false, RCX, jit_fmem(in->rs2));
    } else {
        jit_ldx(t, RCX, in->rs2); /* before rdi, a cache register, is reused */
    }
    jit_writeback(t, s->dirty);
    emit_mov_rr(e, true, RDI, R_HART);
    emit_mov_ri(e, RDX, m.size);
    emit_call_abs(e, load ? (const void *)mmu_load_slow : (const void *)mmu_store_slow);
    emit_test8_rr(e, RAX, RAX); /* a bool return defines only al */
    uint8_t *fault = emit_jcc_fwd(e, CC_E);
    jit_reload(t);
    if (load) {
        emit_load(e, m.size, m.sign, RAX, x86_m(RSP, 0));
        load_result(t, in, m);
    }
    emit_jmp_to(e, s->back);
    emit_bind(e, fault); /* registers already written back */
    jit_stop(t, JIT_FAULT, s->k, s->off);
}

/* x[rd] := x[rs1] op imm, for the I-type ALU ops. */
static void gen_alu_imm(struct tr *t, const struct insn *in, enum x86_alu op)
{
    if (in->rd == 32)
        return;                          /* writes x0: no effect */
    if (in->rs1 == 0 && op != ALU_AND) { /* li: 0 op imm == imm for add, or, xor */
        jit_stx_imm(t, in->rd, (int32_t)in->imm);
        return;
    }
    enum x86_reg d = jit_dst(t, in->rd, 0);
    jit_ldx_to(t, d, in->rs1, false);
    if (in->imm || op == ALU_AND)
        emit_alu_ri(t->e, true, op, d, (int32_t)in->imm);
    jit_set_dst(t, in->rd, d);
}

/* x[rd] := x[rs1] op x[rs2]; w32: on the low halves, sign-extended. */
static void gen_alu_reg(struct tr *t, const struct insn *in, enum x86_alu op, bool w32)
{
    if (in->rd == 32)
        return;
    enum x86_reg d = jit_dst(t, in->rd, in->rs2);
    jit_ldx_to(t, d, in->rs1, w32);
    jit_alu_x(t, !w32, op, d, in->rs2);
    if (w32)
        emit_movsxd(t->e, d, d);
    jit_set_dst(t, in->rd, d);
}

static void gen_addiw(struct tr *t, const struct insn *in)
{
    if (in->rd == 32)
        return;
    enum x86_reg d = jit_dst(t, in->rd, 0);
    jit_ldx_to(t, d, in->rs1, true);
    emit_alu_ri(t->e, false, ALU_ADD, d, (int32_t)in->imm);
    emit_movsxd(t->e, d, d);
    jit_set_dst(t, in->rd, d);
}

/* x[rd] := x[rs1] <cc> (x[rs2] or imm) ? 1 : 0 (slt, sltu, slti, sltiu). */
static void gen_set(struct tr *t, const struct insn *in, enum x86_cc cc, bool imm)
{
    if (in->rd == 32)
        return;
    enum x86_reg a = jit_src(t, in->rs1, RAX);
    if (imm)
        emit_alu_ri(t->e, true, ALU_CMP, a, (int32_t)in->imm);
    else
        jit_alu_x(t, true, ALU_CMP, a, in->rs2);
    enum x86_reg d = jit_dst(t, in->rd, 0);
    emit_setcc_zx(t->e, cc, d);
    jit_set_dst(t, in->rd, d);
}

/* Shifts: by imm or by x[rs2] (x86 masks the count to 5 or 6 bits, exactly
 * as RV64 does for the W and full-width forms). */
static void gen_shift(struct tr *t, const struct insn *in, enum x86_shift op, bool imm, bool w32)
{
    struct emit *e = t->e;
    if (in->rd == 32)
        return;
    if (!imm)
        jit_ldx(t, RCX, in->rs2);
    enum x86_reg d = jit_dst(t, in->rd, 0); /* the count is in rcx already */
    jit_ldx_to(t, d, in->rs1, w32);
    if (imm)
        emit_shift_ri(e, !w32, op, d, (unsigned)in->imm);
    else
        emit_shift_cl(e, !w32, op, d);
    if (w32)
        emit_movsxd(e, d, d);
    jit_set_dst(t, in->rd, d);
}

static void gen_mul(struct tr *t, const struct insn *in)
{
    struct emit *e = t->e;
    if (in->rd == 32)
        return;
    enum x86_reg d = jit_dst(t, in->rd, in->rs2);
    switch (in->op) {
    case OP_MUL:
    case OP_MULW:
        jit_ldx_to(t, d, in->rs1, in->op == OP_MULW);
        jit_imul_x(t, in->op == OP_MUL, d, in->rs2);
        if (in->op == OP_MULW)
            emit_movsxd(e, d, d);
        jit_set_dst(t, in->rd, d);
        return;
    case OP_MULH:
    case OP_MULHU:
        jit_ldx(t, RAX, in->rs1);
        jit_unary_x(t, in->op == OP_MULH ? UN_IMUL : UN_MUL, in->rs2);
        emit_mov_rr(e, true, RAX, RDX);
        break;
    default: /* MULHSU: mulhu(a, b) - (a < 0 ? b : 0) */
        jit_ldx(t, RCX, in->rs1);
        emit_mov_rr(e, true, RAX, RCX);
        jit_unary_x(t, UN_MUL, in->rs2);
        emit_shift_ri(e, true, SH_SAR, RCX, 63);
        jit_alu_x(t, true, ALU_AND, RCX, in->rs2);
        emit_alu_rr(e, true, ALU_SUB, RDX, RCX);
        emit_mov_rr(e, true, RAX, RDX);
        break;
    }
    jit_stx(t, in->rd, RAX);
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
        jit_ldx32(t, RAX, in->rs1);
        jit_ldx32(t, RCX, in->rs2);
    } else {
        jit_ldx(t, RAX, in->rs1);
        jit_ldx(t, RCX, in->rs2);
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
    jit_stx(t, in->rd, RAX);
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
    enum x86_reg a = jit_src(t, in->rs1, RAX);
    if (in->rs2 == 0)
        emit_test_rr(e, true, a, a);
    else
        jit_alu_x(t, true, ALU_CMP, a, in->rs2);
    uint8_t *taken = emit_jcc_fwd(e, branch_cc((enum op)in->op));
    uint32_t dirty = t->dirty;
    jit_end_pc(t, t->off + in->len);
    emit_bind(e, taken);
    t->dirty = dirty;
    jit_end_pc(t, t->off + in->imm);
}

static void gen_jal(struct tr *t, const struct insn *in)
{
    if (in->rd != 32) {
        jit_pc_rel(t, RAX, t->off + in->len);
        jit_stx(t, in->rd, RAX);
    }
    jit_end_pc(t, t->off + in->imm);
}

static void gen_jalr(struct tr *t, const struct insn *in)
{
    struct emit *e = t->e;
    jit_ldx(t, RAX, in->rs1); /* the target first: rd may be rs1 */
    if (in->imm)
        emit_alu_ri(e, true, ALU_ADD, RAX, (int32_t)in->imm);
    emit_alu_ri(e, true, ALU_AND, RAX, -2);
    if (in->rd != 32) {
        jit_pc_rel(t, RCX, t->off + in->len);
        jit_stx(t, in->rd, RCX);
    }
    jit_end_rax(t);
}

static void gen_atomic(struct tr *t, const struct insn *in)
{
    jit_call_helper(t, (const void *)exec_atomic, in);
    emit_test8_rr(t->e, RAX, RAX);
    jit_add_stub(t, STUB_FAULT, emit_jcc_fwd(t->e, CC_E));
}

/*
 * CSRs the translated code may access itself, through exec_csr: those
 * whose access changes nothing that a run of translated code holds fixed
 * (privilege, sstatus.SIE, address translation) and whose value does not
 * depend on the instruction count (cycle and instret do: it is accounted
 * when the run ends). sie and sip may make an interrupt pending: the next
 * block's entry checks see it.
 */
static bool csr_in_jit(unsigned csr)
{
    switch (csr) {
    case 0x001: /* fflags */
    case 0x002: /* frm */
    case 0x003: /* fcsr */
    case 0xc01: /* time */
    case 0x104: /* sie */
    case 0x105: /* stvec */
    case 0x106: /* scounteren */
    case 0x10a: /* senvcfg */
    case 0x140: /* sscratch */
    case 0x141: /* sepc */
    case 0x142: /* scause */
    case 0x143: /* stval */
    case 0x144: /* sip */
    case 0x14d: /* stimecmp */ return true;
    }
    return false;
}

/* A CSR op ends its block; an illegal access resumes the interpreter,
 * which raises it (exec_csr has no effect then). */
static void gen_csr(struct tr *t, const struct insn *in)
{
    jit_call_helper(t, (const void *)exec_csr, in);
    emit_test8_rr(t->e, RAX, RAX);
    jit_add_stub(t, STUB_RESUME, emit_jcc_fwd(t->e, CC_E));
    jit_end_pc(t, t->off + in->len);
}

static bool gen_alu(struct tr *t, const struct insn *in)
{
    switch (in->op) {
    case OP_LUI:
        if (in->rd != 32)
            jit_stx_imm(t, in->rd, (int32_t)in->imm);
        return true;
    case OP_AUIPC:
        if (in->rd != 32) {
            jit_pc_rel(t, RAX, t->off + in->imm);
            jit_stx(t, in->rd, RAX);
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
    case OP_ADDIW: gen_addiw(t, in); return true;
    }
    return false;
}

static bool is_load(enum op op)
{
    return (op >= OP_LB && op <= OP_LWU) || op == OP_FLW || op == OP_FLD;
}

static bool is_store(enum op op)
{
    return (op >= OP_SB && op <= OP_SD) || op == OP_FSW || op == OP_FSD;
}

static bool is_mul(enum op op)
{
    return op == OP_MUL || op == OP_MULH || op == OP_MULHSU || op == OP_MULHU || op == OP_MULW;
}

bool jit_gen_insn(struct tr *t, const struct insn *in, bool last)
{
    enum op op = (enum op)in->op;
    if (gen_alu(t, in))
        return true;
    if (is_load(op)) {
        gen_load(t, in);
        return true;
    }
    if (is_store(op)) {
        gen_store(t, in);
        return true;
    }
    if (op >= OP_MUL && op <= OP_REMUW) {
        if (is_mul(op))
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
        jit_gen_fp(t, in);
        return true;
    }
    if (op == OP_FENCE && !fence_is_pause(in)) {
        /* x86 (TSO) gives every order but store -> load; atomics are seq_cst.
         * pause is left to the interpreter, which yields in spin loops. */
        if (fence_needs_store_load(in))
            emit_mfence(t->e);
        return true;
    }
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
    case OP_CSRRW:
    case OP_CSRRS:
    case OP_CSRRC:
    case OP_CSRRWI:
    case OP_CSRRSI:
    case OP_CSRRCI:
        if (!csr_in_jit((unsigned)in->imm))
            return false;
        gen_csr(t, in);
        return true;
    default: return false;
    }
}

/* x0 reads as a constant and x[32] is the sink: neither is cached. */
static uint32_t xbit(unsigned xr)
{
    return xr >= 1 && xr < 32 ? 1u << xr : 0;
}

void jit_insn_regs(const struct insn *in, uint32_t *reads, uint32_t *writes)
{
    enum op op = (enum op)in->op;
    uint32_t r1 = xbit(in->rs1), r2 = xbit(in->rs2), wd = xbit(in->rd);
    *reads = *writes = 0;
    if (op == OP_LUI || op == OP_AUIPC || op == OP_JAL) {
        *writes = wd;
    } else if (op == OP_JALR || (op >= OP_ADDI && op <= OP_SRAI) ||
               (op >= OP_ADDIW && op <= OP_SRAIW) || (op >= OP_LB && op <= OP_LWU)) {
        *reads = r1;
        *writes = wd;
    } else if ((op >= OP_ADD && op <= OP_AND) || (op >= OP_ADDW && op <= OP_SRAW) ||
               (op >= OP_MUL && op <= OP_REMUW)) {
        *reads = r1 | r2;
        *writes = wd;
    } else if ((op >= OP_BEQ && op <= OP_BGEU) || (op >= OP_SB && op <= OP_SD)) {
        *reads = r1 | r2;
    } else if (op >= OP_FLW && op <= OP_FSD) {
        *reads = r1; /* the address; the data is in f registers */
    } else if ((op >= OP_FCVT_S_W && op <= OP_FMV_W_X) || (op >= OP_FCVT_D_W && op <= OP_FMV_D_X)) {
        *reads = r1; /* integer sources of F/D ops */
    } else if ((op >= OP_FCVT_W_S && op <= OP_FLE_S) || (op >= OP_FCVT_W_D && op <= OP_FLE_D)) {
        *writes = wd; /* integer results of F/D ops */
    }
}
