/* SPDX-License-Identifier: MIT */
/*
 * decode: one RISC-V instruction (32-bit or compressed) -> `struct insn`, the
 * decoded form shared by the interpreter and (later) the JIT, so the two can
 * never disagree on what an encoding means.
 *
 * Compressed instructions are expanded to their 32-bit equivalents (same op,
 * registers and immediate) with len = 2. Unknown encodings decode to OP_ILLEGAL.
 * Pure functions, no state: safe on any thread.
 */
#ifndef RV_CPU_DECODE_H
#define RV_CPU_DECODE_H

#include <stdint.h>

/* The op list is written once here; the interpreter's dispatch table and
 * op_name() are indexed by it. */
enum op {
    OP_ILLEGAL = 0,
    /* RV64I */
    OP_LUI, OP_AUIPC, OP_JAL, OP_JALR,
    OP_BEQ, OP_BNE, OP_BLT, OP_BGE, OP_BLTU, OP_BGEU,
    OP_LB, OP_LH, OP_LW, OP_LD, OP_LBU, OP_LHU, OP_LWU,
    OP_SB, OP_SH, OP_SW, OP_SD,
    OP_ADDI, OP_SLTI, OP_SLTIU, OP_XORI, OP_ORI, OP_ANDI, OP_SLLI, OP_SRLI, OP_SRAI,
    OP_ADD, OP_SUB, OP_SLL, OP_SLT, OP_SLTU, OP_XOR, OP_SRL, OP_SRA, OP_OR, OP_AND,
    OP_ADDIW, OP_SLLIW, OP_SRLIW, OP_SRAIW,
    OP_ADDW, OP_SUBW, OP_SLLW, OP_SRLW, OP_SRAW,
    OP_FENCE, OP_FENCE_I,
    OP_ECALL, OP_EBREAK, OP_SRET, OP_MRET, OP_WFI, OP_SFENCE_VMA,
    OP_CSRRW, OP_CSRRS, OP_CSRRC, OP_CSRRWI, OP_CSRRSI, OP_CSRRCI,
    /* M */
    OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU, OP_DIV, OP_DIVU, OP_REM, OP_REMU,
    OP_MULW, OP_DIVW, OP_DIVUW, OP_REMW, OP_REMUW,
    /* A: aq/rl are ignored (every access is sequentially consistent on the host) */
    OP_LR_W, OP_SC_W, OP_AMOSWAP_W, OP_AMOADD_W, OP_AMOXOR_W, OP_AMOAND_W, OP_AMOOR_W,
    OP_AMOMIN_W, OP_AMOMAX_W, OP_AMOMINU_W, OP_AMOMAXU_W,
    OP_LR_D, OP_SC_D, OP_AMOSWAP_D, OP_AMOADD_D, OP_AMOXOR_D, OP_AMOAND_D, OP_AMOOR_D,
    OP_AMOMIN_D, OP_AMOMAX_D, OP_AMOMINU_D, OP_AMOMAXU_D,
    /* F/D loads and stores (memory side, handled by the interpreter) */
    OP_FLW, OP_FLD, OP_FSW, OP_FSD,
    /* F/D arithmetic: everything from OP_FP_FIRST to OP_FP_LAST goes to fpu_exec() */
    OP_FP_FIRST,
    OP_FMADD_S = OP_FP_FIRST, OP_FMSUB_S, OP_FNMSUB_S, OP_FNMADD_S,
    OP_FADD_S, OP_FSUB_S, OP_FMUL_S, OP_FDIV_S, OP_FSQRT_S,
    OP_FSGNJ_S, OP_FSGNJN_S, OP_FSGNJX_S, OP_FMIN_S, OP_FMAX_S,
    OP_FCVT_W_S, OP_FCVT_WU_S, OP_FCVT_L_S, OP_FCVT_LU_S,
    OP_FMV_X_W, OP_FCLASS_S, OP_FEQ_S, OP_FLT_S, OP_FLE_S,
    OP_FCVT_S_W, OP_FCVT_S_WU, OP_FCVT_S_L, OP_FCVT_S_LU, OP_FMV_W_X,
    OP_FMADD_D, OP_FMSUB_D, OP_FNMSUB_D, OP_FNMADD_D,
    OP_FADD_D, OP_FSUB_D, OP_FMUL_D, OP_FDIV_D, OP_FSQRT_D,
    OP_FSGNJ_D, OP_FSGNJN_D, OP_FSGNJX_D, OP_FMIN_D, OP_FMAX_D,
    OP_FCVT_S_D, OP_FCVT_D_S,
    OP_FCVT_W_D, OP_FCVT_WU_D, OP_FCVT_L_D, OP_FCVT_LU_D,
    OP_FMV_X_D, OP_FCLASS_D, OP_FEQ_D, OP_FLT_D, OP_FLE_D,
    OP_FCVT_D_W, OP_FCVT_D_WU, OP_FCVT_D_L, OP_FCVT_D_LU, OP_FMV_D_X,
    OP_FP_LAST = OP_FMV_D_X,
    OP_COUNT
};

/*
 * Decoded instruction. Register fields are 0..31 (for FP ops they name f
 * registers where the spec says so). `imm` is sign-extended as the spec
 * defines for the format; for CSR ops it is the CSR number and rs1 holds the
 * uimm for the *I forms. `rm` is funct3 (the rounding mode for FP ops).
 */
struct insn {
    uint16_t op;
    uint8_t rd, rs1, rs2, rs3;
    uint8_t rm;
    uint8_t len; /* 2 or 4 */
    int64_t imm;
};

/* A fence that orders earlier stores before later loads (pred has W, succ
 * has R, e.g. fence rw,rw): the one case x86's TSO does not give for free. */
static inline int fence_needs_store_load(const struct insn *in)
{
    return ((in->imm >> 4) & 1) && (in->imm & 2);
}

/* pause (Zihintpause: fence with pred = W, succ = 0), the spin-wait hint
 * Linux's cpu_relax() emits in every spin loop. */
static inline int fence_is_pause(const struct insn *in)
{
    return in->op == OP_FENCE && in->imm == 0x10;
}

/* Decode `raw` (the low 16 bits alone if compressed). */
void decode(uint32_t raw, struct insn *out);

/* Length in bytes (2 or 4) of the instruction whose first halfword is `lo`. */
static inline unsigned insn_len(uint16_t lo)
{
    return (lo & 3) == 3 ? 4 : 2;
}

/* A short mnemonic for traces and register dumps. */
const char *op_name(enum op op);

#endif
