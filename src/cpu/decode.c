/* SPDX-License-Identifier: MIT */
/*
 * decode: RV64GC instruction decoder (unprivileged spec ch. 2, 7-8, 11-12, 16
 * "C" extension; privileged spec ch. 3 for SYSTEM). Compressed forms are
 * expanded to the equivalent 32-bit op so that executing them needs no extra
 * code; reserved compressed encodings decode to OP_ILLEGAL.
 *
 * Integer destinations equal to x0 are redirected to the sink register 32
 * (see hart.h), so the executor can write x[rd] unconditionally.
 */
#include "cpu/decode.h"

#include <string.h>

#define BITS(v, hi, lo) (((v) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))
#define BIT(v, n) (((v) >> (n)) & 1u)

static int64_t sext(uint64_t v, int bits)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static int64_t imm_i(uint32_t r) { return (int32_t)r >> 20; }
static int64_t imm_s(uint32_t r) { return (int64_t)((int32_t)r >> 25) * 32 + BITS(r, 11, 7); }
static int64_t imm_u(uint32_t r) { return (int32_t)(r & 0xfffff000u); }

static int64_t imm_b(uint32_t r)
{
    uint64_t v = (BIT(r, 31) << 12) | (BIT(r, 7) << 11) | (BITS(r, 30, 25) << 5) | (BITS(r, 11, 8) << 1);
    return sext(v, 13);
}

static int64_t imm_j(uint32_t r)
{
    uint64_t v = (BIT(r, 31) << 20) | (BITS(r, 19, 12) << 12) | (BIT(r, 20) << 11) |
                 (BITS(r, 30, 21) << 1);
    return sext(v, 21);
}

static void set(struct insn *d, enum op op, int rd, int rs1, int rs2, int64_t imm)
{
    d->op = (uint16_t)op;
    d->rd = (uint8_t)rd;
    d->rs1 = (uint8_t)rs1;
    d->rs2 = (uint8_t)rs2;
    d->imm = imm;
}

static enum op op_imm(uint32_t r)
{
    unsigned f3 = BITS(r, 14, 12), top6 = BITS(r, 31, 26);
    static const enum op ops[8] = {OP_ADDI, OP_SLLI, OP_SLTI, OP_SLTIU,
                                   OP_XORI, OP_SRLI, OP_ORI,  OP_ANDI};
    if (f3 == 1)
        return top6 == 0 ? OP_SLLI : OP_ILLEGAL;
    if (f3 == 5)
        return top6 == 0 ? OP_SRLI : top6 == 0x10 ? OP_SRAI : OP_ILLEGAL;
    return ops[f3];
}

static enum op op_imm32(uint32_t r)
{
    unsigned f3 = BITS(r, 14, 12), f7 = BITS(r, 31, 25);
    if (f3 == 0)
        return OP_ADDIW;
    if (f3 == 1)
        return f7 == 0 ? OP_SLLIW : OP_ILLEGAL;
    if (f3 == 5)
        return f7 == 0 ? OP_SRLIW : f7 == 0x20 ? OP_SRAIW : OP_ILLEGAL;
    return OP_ILLEGAL;
}

static enum op op_reg(uint32_t r)
{
    unsigned f3 = BITS(r, 14, 12), f7 = BITS(r, 31, 25);
    static const enum op base[8] = {OP_ADD, OP_SLL, OP_SLT, OP_SLTU, OP_XOR, OP_SRL, OP_OR, OP_AND};
    static const enum op mul[8] = {OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU,
                                   OP_DIV, OP_DIVU, OP_REM,    OP_REMU};
    if (f7 == 0)
        return base[f3];
    if (f7 == 1)
        return mul[f3];
    if (f7 == 0x20)
        return f3 == 0 ? OP_SUB : f3 == 5 ? OP_SRA : OP_ILLEGAL;
    return OP_ILLEGAL;
}

static enum op op_reg32(uint32_t r)
{
    unsigned f3 = BITS(r, 14, 12), f7 = BITS(r, 31, 25);
    static const enum op mul[8] = {OP_MULW,    OP_ILLEGAL, OP_ILLEGAL, OP_ILLEGAL,
                                   OP_DIVW,    OP_DIVUW,   OP_REMW,    OP_REMUW};
    if (f7 == 0)
        return f3 == 0 ? OP_ADDW : f3 == 1 ? OP_SLLW : f3 == 5 ? OP_SRLW : OP_ILLEGAL;
    if (f7 == 0x20)
        return f3 == 0 ? OP_SUBW : f3 == 5 ? OP_SRAW : OP_ILLEGAL;
    if (f7 == 1)
        return mul[f3];
    return OP_ILLEGAL;
}

static enum op op_amo(uint32_t r)
{
    unsigned f3 = BITS(r, 14, 12), f5 = BITS(r, 31, 27);
    if (f3 != 2 && f3 != 3)
        return OP_ILLEGAL;
    int d = f3 == 3;
    switch (f5) {
    case 0x02: return BITS(r, 24, 20) ? OP_ILLEGAL : d ? OP_LR_D : OP_LR_W;
    case 0x03: return d ? OP_SC_D : OP_SC_W;
    case 0x01: return d ? OP_AMOSWAP_D : OP_AMOSWAP_W;
    case 0x00: return d ? OP_AMOADD_D : OP_AMOADD_W;
    case 0x04: return d ? OP_AMOXOR_D : OP_AMOXOR_W;
    case 0x0c: return d ? OP_AMOAND_D : OP_AMOAND_W;
    case 0x08: return d ? OP_AMOOR_D : OP_AMOOR_W;
    case 0x10: return d ? OP_AMOMIN_D : OP_AMOMIN_W;
    case 0x14: return d ? OP_AMOMAX_D : OP_AMOMAX_W;
    case 0x18: return d ? OP_AMOMINU_D : OP_AMOMINU_W;
    case 0x1c: return d ? OP_AMOMAXU_D : OP_AMOMAXU_W;
    }
    return OP_ILLEGAL;
}

/* OP-FP (opcode 0x53), unprivileged spec ch. 11-12 tables. */
static enum op op_fp(uint32_t r)
{
    unsigned f3 = BITS(r, 14, 12), f7 = BITS(r, 31, 25), rs2 = BITS(r, 24, 20);
    int d = f7 & 1;
    switch (f7 >> 2) {
    case 0x00: return d ? OP_FADD_D : OP_FADD_S;
    case 0x01: return d ? OP_FSUB_D : OP_FSUB_S;
    case 0x02: return d ? OP_FMUL_D : OP_FMUL_S;
    case 0x03: return d ? OP_FDIV_D : OP_FDIV_S;
    case 0x0b:
        if (rs2 != 0 || (f7 & 2))
            return OP_ILLEGAL;
        return d ? OP_FSQRT_D : OP_FSQRT_S;
    case 0x04:
        if (f7 & 2)
            return OP_ILLEGAL;
        if (f3 > 2)
            return OP_ILLEGAL;
        return (d ? OP_FSGNJ_D : OP_FSGNJ_S) + f3;
    case 0x05:
        if ((f7 & 2) || f3 > 1)
            return OP_ILLEGAL;
        return f3 ? (d ? OP_FMAX_D : OP_FMAX_S) : (d ? OP_FMIN_D : OP_FMIN_S);
    case 0x08:
        if (f7 == 0x20 && rs2 == 1)
            return OP_FCVT_S_D;
        if (f7 == 0x21 && rs2 == 0)
            return OP_FCVT_D_S;
        return OP_ILLEGAL;
    case 0x18:
        if ((f7 & 2) || rs2 > 3)
            return OP_ILLEGAL;
        return (d ? OP_FCVT_W_D : OP_FCVT_W_S) + rs2;
    case 0x1a:
        if ((f7 & 2) || rs2 > 3)
            return OP_ILLEGAL;
        return (d ? OP_FCVT_D_W : OP_FCVT_S_W) + rs2;
    case 0x1c:
        if ((f7 & 2) || rs2 != 0)
            return OP_ILLEGAL;
        if (f3 == 0)
            return d ? OP_FMV_X_D : OP_FMV_X_W;
        if (f3 == 1)
            return d ? OP_FCLASS_D : OP_FCLASS_S;
        return OP_ILLEGAL;
    case 0x14:
        if (f7 & 2)
            return OP_ILLEGAL;
        if (f3 == 0)
            return d ? OP_FLE_D : OP_FLE_S;
        if (f3 == 1)
            return d ? OP_FLT_D : OP_FLT_S;
        if (f3 == 2)
            return d ? OP_FEQ_D : OP_FEQ_S;
        return OP_ILLEGAL;
    case 0x1e:
        if ((f7 & 2) || rs2 != 0 || f3 != 0)
            return OP_ILLEGAL;
        return d ? OP_FMV_D_X : OP_FMV_W_X;
    }
    return OP_ILLEGAL;
}

static void decode_system(uint32_t r, struct insn *d)
{
    unsigned f3 = BITS(r, 14, 12);
    static const enum op csr[8] = {OP_ILLEGAL, OP_CSRRW,  OP_CSRRS,  OP_CSRRC,
                                   OP_ILLEGAL, OP_CSRRWI, OP_CSRRSI, OP_CSRRCI};
    if (f3 != 0) {
        if (csr[f3] == OP_ILLEGAL)
            return;
        set(d, csr[f3], BITS(r, 11, 7), BITS(r, 19, 15), 0, r >> 20);
        return;
    }
    if (r == 0x00000073)
        d->op = OP_ECALL;
    else if (r == 0x00100073)
        d->op = OP_EBREAK;
    else if (r == 0x10200073)
        d->op = OP_SRET;
    else if (r == 0x30200073)
        d->op = OP_MRET;
    else if (r == 0x10500073)
        d->op = OP_WFI;
    else if (BITS(r, 31, 25) == 0x09 && BITS(r, 11, 7) == 0)
        set(d, OP_SFENCE_VMA, 0, BITS(r, 19, 15), BITS(r, 24, 20), 0);
}

static void decode32(uint32_t r, struct insn *d)
{
    unsigned rd = BITS(r, 11, 7), rs1 = BITS(r, 19, 15), rs2 = BITS(r, 24, 20);
    unsigned f3 = BITS(r, 14, 12);
    d->rm = (uint8_t)f3;
    switch (r & 0x7f) {
    case 0x37: set(d, OP_LUI, rd, 0, 0, imm_u(r)); break;
    case 0x17: set(d, OP_AUIPC, rd, 0, 0, imm_u(r)); break;
    case 0x6f: set(d, OP_JAL, rd, 0, 0, imm_j(r)); break;
    case 0x67:
        if (f3 == 0)
            set(d, OP_JALR, rd, rs1, 0, imm_i(r));
        break;
    case 0x63: {
        static const enum op br[8] = {OP_BEQ, OP_BNE,  OP_ILLEGAL, OP_ILLEGAL,
                                      OP_BLT, OP_BGE, OP_BLTU,    OP_BGEU};
        set(d, br[f3], 0, rs1, rs2, imm_b(r));
        break;
    }
    case 0x03: {
        static const enum op ld[8] = {OP_LB, OP_LH, OP_LW, OP_LD, OP_LBU, OP_LHU, OP_LWU, OP_ILLEGAL};
        set(d, ld[f3], rd, rs1, 0, imm_i(r));
        break;
    }
    case 0x23: {
        static const enum op st[8] = {OP_SB, OP_SH, OP_SW, OP_SD, 0, 0, 0, 0};
        set(d, st[f3], 0, rs1, rs2, imm_s(r));
        break;
    }
    case 0x13:
        set(d, op_imm(r), rd, rs1, 0, imm_i(r));
        if (f3 == 1 || f3 == 5)
            d->imm = BITS(r, 25, 20);
        break;
    case 0x1b:
        set(d, op_imm32(r), rd, rs1, 0, imm_i(r));
        if (f3 == 1 || f3 == 5)
            d->imm = BITS(r, 24, 20);
        break;
    case 0x33: set(d, op_reg(r), rd, rs1, rs2, 0); break;
    case 0x3b: set(d, op_reg32(r), rd, rs1, rs2, 0); break;
    case 0x0f:
        /* fence.i ignores its rd/rs1/imm fields (reserved for future use) */
        if (f3 == 0) {
            d->op = OP_FENCE;
            d->imm = BITS(r, 27, 20); /* pred (7:4) and succ (3:0): PI PO PR PW / SI SO SR SW */
        }
        else if (f3 == 1)
            d->op = OP_FENCE_I;
        break;
    case 0x73: decode_system(r, d); break;
    case 0x2f: set(d, op_amo(r), rd, rs1, rs2, 0); break;
    case 0x07:
        if (f3 == 2 || f3 == 3)
            set(d, f3 == 2 ? OP_FLW : OP_FLD, rd, rs1, 0, imm_i(r));
        break;
    case 0x27:
        if (f3 == 2 || f3 == 3)
            set(d, f3 == 2 ? OP_FSW : OP_FSD, 0, rs1, rs2, imm_s(r));
        break;
    case 0x43: case 0x47: case 0x4b: case 0x4f: {
        unsigned fmt = BITS(r, 26, 25);
        if (fmt > 1)
            break;
        enum op base = fmt ? OP_FMADD_D : OP_FMADD_S;
        set(d, base + (((r & 0x7f) - 0x43) >> 2), rd, rs1, rs2, 0);
        d->rs3 = (uint8_t)BITS(r, 31, 27);
        break;
    }
    case 0x53: set(d, op_fp(r), rd, rs1, rs2, 0); break;
    }
}

/* Quadrant 0: stack-pointer-based addi and register-based loads/stores. */
static void decode_c0(uint32_t c, struct insn *d)
{
    unsigned rdp = 8 + BITS(c, 4, 2), rs1p = 8 + BITS(c, 9, 7);
    uint64_t uw = (BITS(c, 12, 10) << 3) | (BIT(c, 6) << 2) | (BIT(c, 5) << 6);
    uint64_t ud = (BITS(c, 12, 10) << 3) | (BITS(c, 6, 5) << 6);
    switch (BITS(c, 15, 13)) {
    case 0: {
        uint64_t imm = (BITS(c, 12, 11) << 4) | (BITS(c, 10, 7) << 6) | (BIT(c, 6) << 2) |
                       (BIT(c, 5) << 3);
        if (imm)
            set(d, OP_ADDI, rdp, 2, 0, (int64_t)imm);
        break;
    }
    case 1: set(d, OP_FLD, rdp, rs1p, 0, (int64_t)ud); break;
    case 2: set(d, OP_LW, rdp, rs1p, 0, (int64_t)uw); break;
    case 3: set(d, OP_LD, rdp, rs1p, 0, (int64_t)ud); break;
    case 5: set(d, OP_FSD, 0, rs1p, rdp, (int64_t)ud); break;
    case 6: set(d, OP_SW, 0, rs1p, rdp, (int64_t)uw); break;
    case 7: set(d, OP_SD, 0, rs1p, rdp, (int64_t)ud); break;
    }
}

static void decode_c1_alu(uint32_t c, struct insn *d)
{
    unsigned rd = 8 + BITS(c, 9, 7), rs2 = 8 + BITS(c, 4, 2);
    uint64_t sh = (BIT(c, 12) << 5) | BITS(c, 6, 2);
    switch (BITS(c, 11, 10)) {
    case 0: set(d, OP_SRLI, rd, rd, 0, (int64_t)sh); break;
    case 1: set(d, OP_SRAI, rd, rd, 0, (int64_t)sh); break;
    case 2: set(d, OP_ANDI, rd, rd, 0, sext(sh, 6)); break;
    case 3: {
        static const enum op ops[8] = {OP_SUB,  OP_XOR,  OP_OR,      OP_AND,
                                       OP_SUBW, OP_ADDW, OP_ILLEGAL, OP_ILLEGAL};
        set(d, ops[(BIT(c, 12) << 2) | BITS(c, 6, 5)], rd, rd, rs2, 0);
        break;
    }
    }
}

static void decode_c1(uint32_t c, struct insn *d)
{
    unsigned rd = BITS(c, 11, 7), rs1p = 8 + BITS(c, 9, 7);
    int64_t imm6 = sext((BIT(c, 12) << 5) | BITS(c, 6, 2), 6);
    switch (BITS(c, 15, 13)) {
    case 0: set(d, OP_ADDI, rd, rd, 0, imm6); break;
    case 1:
        if (rd)
            set(d, OP_ADDIW, rd, rd, 0, imm6);
        break;
    case 2: set(d, OP_ADDI, rd, 0, 0, imm6); break;
    case 3:
        if (rd == 2) {
            uint64_t v = (BIT(c, 12) << 9) | (BIT(c, 6) << 4) | (BIT(c, 5) << 6) |
                         (BITS(c, 4, 3) << 7) | (BIT(c, 2) << 5);
            if (v)
                set(d, OP_ADDI, 2, 2, 0, sext(v, 10));
        } else if (imm6) {
            set(d, OP_LUI, rd, 0, 0, imm6 << 12);
        }
        break;
    case 4: decode_c1_alu(c, d); break;
    case 5: {
        uint64_t v = (BIT(c, 12) << 11) | (BIT(c, 11) << 4) | (BITS(c, 10, 9) << 8) |
                     (BIT(c, 8) << 10) | (BIT(c, 7) << 6) | (BIT(c, 6) << 7) |
                     (BITS(c, 5, 3) << 1) | (BIT(c, 2) << 5);
        set(d, OP_JAL, 0, 0, 0, sext(v, 12));
        break;
    }
    case 6: case 7: {
        uint64_t v = (BIT(c, 12) << 8) | (BITS(c, 11, 10) << 3) | (BITS(c, 6, 5) << 6) |
                     (BITS(c, 4, 3) << 1) | (BIT(c, 2) << 5);
        set(d, BITS(c, 15, 13) == 6 ? OP_BEQ : OP_BNE, 0, rs1p, 0, sext(v, 9));
        break;
    }
    }
}

static void decode_c2(uint32_t c, struct insn *d)
{
    unsigned rd = BITS(c, 11, 7), rs2 = BITS(c, 6, 2);
    uint64_t lw = (BIT(c, 12) << 5) | (BITS(c, 6, 4) << 2) | (BITS(c, 3, 2) << 6);
    uint64_t ld = (BIT(c, 12) << 5) | (BITS(c, 6, 5) << 3) | (BITS(c, 4, 2) << 6);
    uint64_t sw = (BITS(c, 12, 9) << 2) | (BITS(c, 8, 7) << 6);
    uint64_t sd = (BITS(c, 12, 10) << 3) | (BITS(c, 9, 7) << 6);
    switch (BITS(c, 15, 13)) {
    case 0: set(d, OP_SLLI, rd, rd, 0, (int64_t)((BIT(c, 12) << 5) | rs2)); break;
    case 1: set(d, OP_FLD, rd, 2, 0, (int64_t)ld); break;
    case 2:
        if (rd)
            set(d, OP_LW, rd, 2, 0, (int64_t)lw);
        break;
    case 3:
        if (rd)
            set(d, OP_LD, rd, 2, 0, (int64_t)ld);
        break;
    case 4:
        if (!BIT(c, 12)) {
            if (rs2 == 0) {
                if (rd)
                    set(d, OP_JALR, 0, rd, 0, 0);
            } else {
                set(d, OP_ADD, rd, 0, rs2, 0);
            }
        } else if (rs2 == 0) {
            if (rd == 0)
                d->op = OP_EBREAK;
            else
                set(d, OP_JALR, 1, rd, 0, 0);
        } else {
            set(d, OP_ADD, rd, rd, rs2, 0);
        }
        break;
    case 5: set(d, OP_FSD, 0, 2, rs2, (int64_t)sd); break;
    case 6: set(d, OP_SW, 0, 2, rs2, (int64_t)sw); break;
    case 7: set(d, OP_SD, 0, 2, rs2, (int64_t)sd); break;
    }
}

/* Ops whose rd names an integer register (so x0 is redirected to the sink). */
static int writes_xreg(enum op op)
{
    if (op >= OP_LUI && op <= OP_JALR)
        return 1;
    if (op >= OP_LB && op <= OP_LWU)
        return 1;
    if (op >= OP_ADDI && op <= OP_SRAW)
        return 1;
    if (op >= OP_CSRRW && op <= OP_AMOMAXU_D)
        return 1;
    return 0;
}

void decode(uint32_t raw, struct insn *out)
{
    memset(out, 0, sizeof(*out));
    out->op = OP_ILLEGAL;
    if ((raw & 3) == 3) {
        out->len = 4;
        decode32(raw, out);
    } else {
        uint32_t c = raw & 0xffff;
        out->len = 2;
        out->rm = 7; /* compressed FP loads/stores have no rm; keep it "dynamic" */
        switch (c & 3) {
        case 0: decode_c0(c, out); break;
        case 1: decode_c1(c, out); break;
        case 2: decode_c2(c, out); break;
        }
    }
    if (out->rd == 0 && writes_xreg((enum op)out->op))
        out->rd = 32;
}

static const char *const op_names[OP_COUNT] = {
    [OP_ILLEGAL] = "illegal", [OP_LUI] = "lui", [OP_AUIPC] = "auipc", [OP_JAL] = "jal",
    [OP_JALR] = "jalr", [OP_BEQ] = "beq", [OP_BNE] = "bne", [OP_BLT] = "blt", [OP_BGE] = "bge",
    [OP_BLTU] = "bltu", [OP_BGEU] = "bgeu", [OP_LB] = "lb", [OP_LH] = "lh", [OP_LW] = "lw",
    [OP_LD] = "ld", [OP_SB] = "sb", [OP_SH] = "sh", [OP_SW] = "sw", [OP_SD] = "sd",
    [OP_ECALL] = "ecall", [OP_EBREAK] = "ebreak", [OP_SRET] = "sret", [OP_WFI] = "wfi",
    [OP_SFENCE_VMA] = "sfence.vma", [OP_FENCE_I] = "fence.i", [OP_CSRRW] = "csrrw",
    [OP_CSRRS] = "csrrs", [OP_CSRRC] = "csrrc",
};

const char *op_name(enum op op)
{
    if ((unsigned)op < OP_COUNT && op_names[op])
        return op_names[op];
    return "op";
}
