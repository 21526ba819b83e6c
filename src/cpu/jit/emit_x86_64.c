/* SPDX-License-Identifier: MIT */
/*
 * emit_x86_64: x86-64 instruction encoder (Intel SDM vol. 2, §2.1-2.2:
 * legacy prefix, REX, opcode, ModRM, SIB, displacement, immediate).
 *
 * Two encoders do all the work: enc_rr (ModRM with a register operand) and
 * enc_rm (ModRM with a memory operand, adding the SIB byte when the base is
 * rsp/r12 or an index is present, and a zero disp8 when the base is
 * rbp/r13, which mod 00 cannot express). Everything else picks the opcode.
 * Byte-register operands 4..7 need a REX prefix to mean spl/bpl/sil/dil
 * rather than ah/ch/dh/bh (§2.2.1.2), hence the F_BYTE_* flags.
 */
#include "cpu/jit/emit_x86_64.h"

#include <assert.h>
#include <string.h>

enum {
    F_W = 1,        /* REX.W: 64-bit operand size */
    F_66 = 2,       /* 0x66: 16-bit operand size */
    F_BYTE_REG = 4, /* the ModRM reg field is a byte register */
    F_BYTE_RM = 8,  /* the ModRM rm field is a byte register */
    F_F2 = 16,      /* 0xf2 / 0xf3: mandatory prefixes of SSE scalar ops */
    F_F3 = 32,
};

void emit_init(struct emit *e, uint8_t *buf, uint64_t size)
{
    e->p = buf;
    e->start = buf;
    e->end = buf + size;
    e->full = false;
}

static void put(struct emit *e, uint8_t b)
{
    if (e->p < e->end)
        *e->p++ = b;
    else
        e->full = true;
}

static void put32(struct emit *e, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        put(e, (uint8_t)(v >> (8 * i)));
}

static void put64(struct emit *e, uint64_t v)
{
    put32(e, (uint32_t)v);
    put32(e, (uint32_t)(v >> 32));
}

static bool fits8(int64_t v)
{
    return v >= -128 && v <= 127;
}

static bool fits32(int64_t v)
{
    return v >= INT32_MIN && v <= INT32_MAX;
}

static bool is_byte_hi(unsigned r)
{
    return r >= 4 && r < 8;
}

static void prefix_rex(struct emit *e, unsigned f, unsigned reg, unsigned index, unsigned base)
{
    if (f & F_66)
        put(e, 0x66);
    if (f & F_F2)
        put(e, 0xf2);
    if (f & F_F3)
        put(e, 0xf3);
    uint8_t rex = (uint8_t)(0x40 | ((f & F_W) ? 8 : 0) | ((reg & 8) ? 4 : 0) |
                            ((index & 8) ? 2 : 0) | ((base & 8) ? 1 : 0));
    if (rex != 0x40 || ((f & F_BYTE_REG) && is_byte_hi(reg)) ||
        ((f & F_BYTE_RM) && is_byte_hi(base)))
        put(e, rex);
}

/* Opcode of 1..3 bytes, most significant byte first. */
static void opcode(struct emit *e, uint32_t op)
{
    if (op > 0xffff)
        put(e, (uint8_t)(op >> 16));
    if (op > 0xff)
        put(e, (uint8_t)(op >> 8));
    put(e, (uint8_t)op);
}

static void enc_rr(struct emit *e, unsigned f, uint32_t op, unsigned reg, unsigned rm)
{
    prefix_rex(e, f, reg, 0, rm);
    opcode(e, op);
    put(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

/* ModRM, SIB and displacement for a memory operand. */
static void modrm_mem(struct emit *e, unsigned reg, struct x86_mem m)
{
    unsigned mod = (m.disp == 0 && (m.base & 7) != RBP) ? 0 : fits8(m.disp) ? 1 : 2;
    bool sib = m.index != NOREG || (m.base & 7) == RSP;
    put(e, (uint8_t)((mod << 6) | ((reg & 7) << 3) | (sib ? 4 : (m.base & 7))));
    if (sib) {
        unsigned ss = m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0;
        unsigned ix = m.index == NOREG ? 4 : (m.index & 7u);
        put(e, (uint8_t)((ss << 6) | (ix << 3) | (m.base & 7)));
    }
    if (mod == 1)
        put(e, (uint8_t)m.disp);
    else if (mod == 2)
        put32(e, (uint32_t)m.disp);
}

static void enc_rm(struct emit *e, unsigned f, uint32_t op, unsigned reg, struct x86_mem m)
{
    assert(m.base != NOREG && m.index != RSP);
    unsigned index = m.index == NOREG ? 0 : m.index;
    prefix_rex(e, f & ~(unsigned)F_BYTE_RM, reg, index, m.base);
    opcode(e, op);
    modrm_mem(e, reg, m);
}

static unsigned w(bool w64)
{
    return w64 ? F_W : 0;
}

void emit_mov_rr(struct emit *e, bool w64, enum x86_reg dst, enum x86_reg src)
{
    enc_rr(e, w(w64), 0x89, src, dst);
}

void emit_mov_ri(struct emit *e, enum x86_reg dst, uint64_t imm)
{
    if (imm <= UINT32_MAX) { /* mov r32, imm32 zero-extends */
        prefix_rex(e, 0, 0, 0, dst);
        put(e, (uint8_t)(0xb8 + (dst & 7)));
        put32(e, (uint32_t)imm);
    } else if (fits32((int64_t)imm)) { /* mov r/m64, imm32 sign-extends */
        enc_rr(e, F_W, 0xc7, 0, dst);
        put32(e, (uint32_t)imm);
    } else {
        prefix_rex(e, F_W, 0, 0, dst);
        put(e, (uint8_t)(0xb8 + (dst & 7)));
        put64(e, imm);
    }
}

void emit_load(struct emit *e, unsigned size, bool sign, enum x86_reg dst, struct x86_mem m)
{
    switch (size) {
    case 1: enc_rm(e, sign ? F_W : 0, sign ? 0x0fbe : 0x0fb6, dst, m); break;
    case 2: enc_rm(e, sign ? F_W : 0, sign ? 0x0fbf : 0x0fb7, dst, m); break;
    case 4: enc_rm(e, sign ? F_W : 0, sign ? 0x63 : 0x8b, dst, m); break;
    default: enc_rm(e, F_W, 0x8b, dst, m); break;
    }
}

void emit_store(struct emit *e, unsigned size, struct x86_mem m, enum x86_reg src)
{
    switch (size) {
    case 1: enc_rm(e, F_BYTE_REG, 0x88, src, m); break;
    case 2: enc_rm(e, F_66, 0x89, src, m); break;
    case 4: enc_rm(e, 0, 0x89, src, m); break;
    default: enc_rm(e, F_W, 0x89, src, m); break;
    }
}

void emit_store_i(struct emit *e, struct x86_mem m, int32_t imm)
{
    enc_rm(e, F_W, 0xc7, 0, m);
    put32(e, (uint32_t)imm);
}

void emit_lea(struct emit *e, enum x86_reg dst, struct x86_mem m)
{
    enc_rm(e, F_W, 0x8d, dst, m);
}

void emit_alu_rr(struct emit *e, bool w64, enum x86_alu op, enum x86_reg dst, enum x86_reg src)
{
    enc_rr(e, w(w64), (uint32_t)op << 3 | 1, src, dst);
}

void emit_alu_rm(struct emit *e, bool w64, enum x86_alu op, enum x86_reg dst, struct x86_mem m)
{
    enc_rm(e, w(w64), (uint32_t)op << 3 | 3, dst, m);
}

void emit_alu_mr(struct emit *e, bool w64, enum x86_alu op, struct x86_mem m, enum x86_reg src)
{
    enc_rm(e, w(w64), (uint32_t)op << 3 | 1, src, m);
}

void emit_alu_ri(struct emit *e, bool w64, enum x86_alu op, enum x86_reg dst, int32_t imm)
{
    if (fits8(imm)) {
        enc_rr(e, w(w64), 0x83, op, dst);
        put(e, (uint8_t)imm);
    } else {
        enc_rr(e, w(w64), 0x81, op, dst);
        put32(e, (uint32_t)imm);
    }
}

void emit_alu_mi(struct emit *e, bool w64, enum x86_alu op, struct x86_mem m, int32_t imm)
{
    if (fits8(imm)) {
        enc_rm(e, w(w64), 0x83, op, m);
        put(e, (uint8_t)imm);
    } else {
        enc_rm(e, w(w64), 0x81, op, m);
        put32(e, (uint32_t)imm);
    }
}

void emit_test_rr(struct emit *e, bool w64, enum x86_reg a, enum x86_reg b)
{
    enc_rr(e, w(w64), 0x85, b, a);
}

void emit_test8_rr(struct emit *e, enum x86_reg a, enum x86_reg b)
{
    enc_rr(e, F_BYTE_REG | F_BYTE_RM, 0x84, b, a);
}

void emit_test_mi(struct emit *e, bool w64, struct x86_mem m, int32_t imm)
{
    enc_rm(e, w(w64), 0xf7, 0, m);
    put32(e, (uint32_t)imm);
}

void emit_shift_ri(struct emit *e, bool w64, enum x86_shift op, enum x86_reg r, unsigned imm)
{
    if (imm == 1) {
        enc_rr(e, w(w64), 0xd1, op, r);
    } else {
        enc_rr(e, w(w64), 0xc1, op, r);
        put(e, (uint8_t)imm);
    }
}

void emit_shift_cl(struct emit *e, bool w64, enum x86_shift op, enum x86_reg r)
{
    enc_rr(e, w(w64), 0xd3, op, r);
}

void emit_imul_rr(struct emit *e, bool w64, enum x86_reg dst, enum x86_reg src)
{
    enc_rr(e, w(w64), 0x0faf, dst, src);
}

void emit_imul_rm(struct emit *e, bool w64, enum x86_reg dst, struct x86_mem m)
{
    enc_rm(e, w(w64), 0x0faf, dst, m);
}

void emit_imul_rri(struct emit *e, bool w64, enum x86_reg dst, enum x86_reg src, int32_t imm)
{
    if (fits8(imm)) {
        enc_rr(e, w(w64), 0x6b, dst, src);
        put(e, (uint8_t)imm);
    } else {
        enc_rr(e, w(w64), 0x69, dst, src);
        put32(e, (uint32_t)imm);
    }
}

void emit_unary(struct emit *e, bool w64, enum x86_unary op, enum x86_reg r)
{
    enc_rr(e, w(w64), 0xf7, op, r);
}

void emit_unary_m(struct emit *e, bool w64, enum x86_unary op, struct x86_mem m)
{
    enc_rm(e, w(w64), 0xf7, op, m);
}

void emit_cqo(struct emit *e, bool w64)
{
    prefix_rex(e, w(w64), 0, 0, 0);
    put(e, 0x99);
}

void emit_movsxd(struct emit *e, enum x86_reg dst, enum x86_reg src)
{
    enc_rr(e, F_W, 0x63, dst, src);
}

void emit_setcc_zx(struct emit *e, enum x86_cc cc, enum x86_reg r)
{
    enc_rr(e, F_BYTE_RM, 0x0f90 | cc, 0, r);
    enc_rr(e, F_BYTE_RM, 0x0fb6, r, r); /* movzx r32, r8 */
}

void emit_push(struct emit *e, enum x86_reg r)
{
    prefix_rex(e, 0, 0, 0, r);
    put(e, (uint8_t)(0x50 + (r & 7)));
}

void emit_pop(struct emit *e, enum x86_reg r)
{
    prefix_rex(e, 0, 0, 0, r);
    put(e, (uint8_t)(0x58 + (r & 7)));
}

void emit_ret(struct emit *e)
{
    put(e, 0xc3);
}

void emit_call_r(struct emit *e, enum x86_reg r)
{
    enc_rr(e, 0, 0xff, 2, r);
}

void emit_jmp_r(struct emit *e, enum x86_reg r)
{
    enc_rr(e, 0, 0xff, 4, r);
}

void emit_call_abs(struct emit *e, const void *fn)
{
    emit_mov_ri(e, RAX, (uint64_t)(uintptr_t)fn);
    emit_call_r(e, RAX);
}

void emit_jmp_to(struct emit *e, const uint8_t *target)
{
    int64_t rel = target - (e->p + 2);
    if (fits8(rel)) {
        put(e, 0xeb);
        put(e, (uint8_t)rel);
        return;
    }
    put(e, 0xe9);
    put32(e, (uint32_t)(target - (e->p + 4)));
}

void emit_jcc_to(struct emit *e, enum x86_cc cc, const uint8_t *target)
{
    int64_t rel = target - (e->p + 2);
    if (fits8(rel)) {
        put(e, (uint8_t)(0x70 | cc));
        put(e, (uint8_t)rel);
        return;
    }
    put(e, 0x0f);
    put(e, (uint8_t)(0x80 | cc));
    put32(e, (uint32_t)(target - (e->p + 4)));
}

static uint8_t *placeholder(struct emit *e)
{
    uint8_t *site = e->p;
    put32(e, 0);
    return e->full ? NULL : site;
}

uint8_t *emit_jmp_fwd(struct emit *e)
{
    put(e, 0xe9);
    return placeholder(e);
}

uint8_t *emit_jcc_fwd(struct emit *e, enum x86_cc cc)
{
    put(e, 0x0f);
    put(e, (uint8_t)(0x80 | cc));
    return placeholder(e);
}

void emit_patch_rel32(uint8_t *site, const uint8_t *target)
{
    int32_t rel = (int32_t)(target - (site + 4));
    memcpy(site, &rel, 4);
}

void emit_bind(struct emit *e, uint8_t *site)
{
    if (site)
        emit_patch_rel32(site, e->p);
}

void emit_movq_xm(struct emit *e, enum x86_xmm x, struct x86_mem m)
{
    enc_rm(e, F_F3, 0x0f7e, x, m);
}

void emit_movq_mx(struct emit *e, struct x86_mem m, enum x86_xmm x)
{
    enc_rm(e, F_66, 0x0fd6, x, m);
}

void emit_movq_rx(struct emit *e, enum x86_reg r, enum x86_xmm x)
{
    enc_rr(e, F_66 | F_W, 0x0f7e, x, r);
}

void emit_sse_sd(struct emit *e, enum x86_sse op, enum x86_xmm x, struct x86_mem m)
{
    enc_rm(e, F_F2, 0x0f00 | op, x, m);
}

void emit_ucomisd(struct emit *e, enum x86_xmm x, struct x86_mem m)
{
    enc_rm(e, F_66, 0x0f2e, x, m);
}

void emit_vfma_sd(struct emit *e, enum x86_fma op, enum x86_xmm dst, enum x86_xmm src1,
                  struct x86_mem m)
{
    assert(m.base != NOREG && m.index != RSP);
    unsigned index = m.index == NOREG ? 0 : m.index;
    /* 3-byte VEX (SDM §2.3.5): inverted R, X, B; map 0F38; W1, inverted vvvv, L0, pp 66 */
    put(e, 0xc4);
    put(e, (uint8_t)((((dst >> 3) & 1) ^ 1) << 7 | (((index >> 3) & 1) ^ 1) << 6 |
                     (((m.base >> 3) & 1) ^ 1) << 5 | 0x02));
    put(e, (uint8_t)(0x80 | ((~(unsigned)src1 & 15u) << 3) | 0x01));
    put(e, (uint8_t)op);
    modrm_mem(e, dst, m);
}

void emit_mfence(struct emit *e)
{
    put(e, 0x0f);
    put(e, 0xae);
    put(e, 0xf0);
}
