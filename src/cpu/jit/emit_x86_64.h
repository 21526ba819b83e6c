/* SPDX-License-Identifier: MIT */
/*
 * emit_x86_64: a small x86-64 encoder for the JIT, one function per
 * instruction form it needs (Intel SDM vol. 2, ch. 2 "Instruction Format":
 * REX prefix, ModRM, SIB, displacement, immediate).
 *
 * Output goes to a caller-owned buffer. Every byte written is bounds-checked:
 * when the buffer runs out, `full` is set and the rest is dropped, so the
 * caller checks once after a whole block instead of after each instruction.
 * Forward jumps are emitted with a rel32 placeholder and patched when the
 * target is known (emit_bind). Pure functions on the buffer; no global state.
 */
#ifndef RV_CPU_JIT_EMIT_X86_64_H
#define RV_CPU_JIT_EMIT_X86_64_H

#include <stdbool.h>
#include <stdint.h>

/* clang-format off */
enum x86_reg {
    RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
    R8, R9, R10, R11, R12, R13, R14, R15,
    NOREG = 0xff, /* "no index register" in a memory operand */
};

/* SSE registers (only xmm0..xmm7 are used). */
enum x86_xmm { XMM0, XMM1, XMM2, XMM3 };

/* Scalar double arithmetic (the second opcode byte after f2 0f). */
enum x86_sse { SSE_ADD = 0x58, SSE_MUL = 0x59, SSE_SUB = 0x5c, SSE_DIV = 0x5e };

/* FMA3 scalar double, 213 form (dst = src1 * dst + mem), VEX opcodes. */
enum x86_fma { FMA_ADD = 0xa9, FMA_SUB = 0xab, FMA_NADD = 0xad, FMA_NSUB = 0xaf };

/* Condition codes (the low nibble of Jcc / SETcc / CMOVcc). */
enum x86_cc {
    CC_O = 0, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A,
    CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G,
};
/* clang-format on */

/* The group-1 ALU ops, numbered as their ModRM /digit. */
enum x86_alu { ALU_ADD = 0, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* Group-2 shifts (/digit). */
enum x86_shift { SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };

/* Group-3 unary ops (/digit of F7). */
enum x86_unary { UN_NOT = 2, UN_NEG = 3, UN_MUL = 4, UN_IMUL = 5, UN_DIV = 6, UN_IDIV = 7 };

/* Memory operand [base + index*scale + disp]; index NOREG for none.
 * base must not be NOREG (no RIP-relative or absolute forms). */
struct x86_mem {
    uint8_t base, index, scale; /* scale: 1, 2, 4 or 8 */
    int32_t disp;
};

static inline struct x86_mem x86_m(enum x86_reg base, int32_t disp)
{
    return (struct x86_mem){.base = (uint8_t)base, .index = NOREG, .scale = 1, .disp = disp};
}

static inline struct x86_mem x86_mi(enum x86_reg base, enum x86_reg index, unsigned scale,
                                    int32_t disp)
{
    return (struct x86_mem){
        .base = (uint8_t)base, .index = (uint8_t)index, .scale = (uint8_t)scale, .disp = disp};
}

struct emit {
    uint8_t *p;     /* next byte */
    uint8_t *start; /* first byte of the buffer */
    uint8_t *end;   /* one past the last usable byte */
    bool full;      /* ran out of room: the output is incomplete */
};

void emit_init(struct emit *e, uint8_t *buf, uint64_t size);

/* SSE2: movq xmm, m64; movq m64, xmm; movq r64, xmm; {add,sub,mul,div}sd
 * xmm, m64; ucomisd xmm, m64. */
void emit_movq_xm(struct emit *e, enum x86_xmm x, struct x86_mem m);
void emit_movq_mx(struct emit *e, struct x86_mem m, enum x86_xmm x);
void emit_movq_rx(struct emit *e, enum x86_reg r, enum x86_xmm x);
void emit_sse_sd(struct emit *e, enum x86_sse op, enum x86_xmm x, struct x86_mem m);
void emit_ucomisd(struct emit *e, enum x86_xmm x, struct x86_mem m);
/* FMA3 (needs the host's fma feature): dst := src1 * dst +- m64, one rounding. */
void emit_vfma_sd(struct emit *e, enum x86_fma op, enum x86_xmm dst, enum x86_xmm src1,
                  struct x86_mem m);

/* mfence: the full barrier that orders earlier stores before later loads. */
void emit_mfence(struct emit *e);

/* Operand size: w64 true for 64-bit, false for 32-bit operations (which
 * zero the upper half of the destination register, as the SDM specifies). */

void emit_mov_rr(struct emit *e, bool w64, enum x86_reg dst, enum x86_reg src);
/* dst := imm, using the shortest form (mov r32 for values that zero-extend,
 * sign-extended imm32, else movabs). Does not touch the flags. */
void emit_mov_ri(struct emit *e, enum x86_reg dst, uint64_t imm);
/* Loads: size 1, 2, 4 or 8 bytes; sign-extend or zero-extend to 64 bits. */
void emit_load(struct emit *e, unsigned size, bool sign, enum x86_reg dst, struct x86_mem m);
/* Store the low `size` bytes of src. */
void emit_store(struct emit *e, unsigned size, struct x86_mem m, enum x86_reg src);
/* qword [m] := sign-extended imm32. */
void emit_store_i(struct emit *e, struct x86_mem m, int32_t imm);
void emit_lea(struct emit *e, enum x86_reg dst, struct x86_mem m);

void emit_alu_rr(struct emit *e, bool w64, enum x86_alu op, enum x86_reg dst, enum x86_reg src);
void emit_alu_rm(struct emit *e, bool w64, enum x86_alu op, enum x86_reg dst, struct x86_mem m);
void emit_alu_mr(struct emit *e, bool w64, enum x86_alu op, struct x86_mem m, enum x86_reg src);
void emit_alu_ri(struct emit *e, bool w64, enum x86_alu op, enum x86_reg dst, int32_t imm);
void emit_alu_mi(struct emit *e, bool w64, enum x86_alu op, struct x86_mem m, int32_t imm);
void emit_test_rr(struct emit *e, bool w64, enum x86_reg a, enum x86_reg b);
void emit_test8_rr(struct emit *e, enum x86_reg a, enum x86_reg b);
void emit_test_mi(struct emit *e, bool w64, struct x86_mem m, int32_t imm);

void emit_shift_ri(struct emit *e, bool w64, enum x86_shift op, enum x86_reg r, unsigned imm);
void emit_shift_cl(struct emit *e, bool w64, enum x86_shift op, enum x86_reg r);
void emit_imul_rr(struct emit *e, bool w64, enum x86_reg dst, enum x86_reg src);
void emit_imul_rm(struct emit *e, bool w64, enum x86_reg dst, struct x86_mem m);
void emit_imul_rri(struct emit *e, bool w64, enum x86_reg dst, enum x86_reg src, int32_t imm);
void emit_unary(struct emit *e, bool w64, enum x86_unary op, enum x86_reg r);
void emit_unary_m(struct emit *e, bool w64, enum x86_unary op, struct x86_mem m);
/* Sign-extend rax into rdx:rax (cqo) or eax into edx:eax (cdq). */
void emit_cqo(struct emit *e, bool w64);
/* dst := sign-extended low 32 bits of src (movsxd). */
void emit_movsxd(struct emit *e, enum x86_reg dst, enum x86_reg src);
/* r8 := cc ? 1 : 0, then zero-extended into the whole register. */
void emit_setcc_zx(struct emit *e, enum x86_cc cc, enum x86_reg r);

void emit_push(struct emit *e, enum x86_reg r);
void emit_pop(struct emit *e, enum x86_reg r);
void emit_ret(struct emit *e);
void emit_call_r(struct emit *e, enum x86_reg r);
void emit_jmp_r(struct emit *e, enum x86_reg r);
/* Call an absolute address through rax (clobbered): movabs rax, fn; call rax. */
void emit_call_abs(struct emit *e, const void *fn);

/* Jumps to a known address in the same buffer (rel8 when it fits). */
void emit_jmp_to(struct emit *e, const uint8_t *target);
void emit_jcc_to(struct emit *e, enum x86_cc cc, const uint8_t *target);
/* Forward jumps with a rel32 placeholder: return the placeholder's address
 * (NULL if the buffer is full) for emit_bind / emit_patch_rel32. */
uint8_t *emit_jmp_fwd(struct emit *e);
uint8_t *emit_jcc_fwd(struct emit *e, enum x86_cc cc);
/* Point the rel32 at `site` to the current position. NULL site: no-op. */
void emit_bind(struct emit *e, uint8_t *site);
/* Point the rel32 at `site` to `target` (both in the same buffer). */
void emit_patch_rel32(uint8_t *site, const uint8_t *target);

#endif
