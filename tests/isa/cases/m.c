/* SPDX-License-Identifier: MIT */
/*
 * m: the M extension (unprivileged spec 20191213, ch. 7): multiplication
 * (low and all three high forms, mulw), and division/remainder including the
 * special cases of table 7.1: division by zero (quotient all ones / 2^XLEN-1,
 * remainder = dividend) and signed overflow (quotient = dividend, remainder
 * 0), for the 64-bit and the W forms.
 */
#include "isa.h"

#define MIN64 0x8000000000000000ull
#define MAX64 0x7fffffffffffffffull
#define ALL1 0xffffffffffffffffull

#define MUL_PAIRS(X)                                                                               \
    X(0, 0)                                                                                        \
    X(1, ALL1)                                                                                     \
    X(ALL1, ALL1)                                                                                  \
    X(MIN64, ALL1)                                                                                 \
    X(MIN64, MIN64)                                                                                \
    X(MAX64, MAX64)                                                                                \
    X(MAX64, MIN64)                                                                                \
    X(ALL1, MAX64)                                                                                 \
    X(0x123456789abcdef0, 0xfedcba9876543210)                                                      \
    X(0x00000000ffffffff, 0x00000000ffffffff)                                                      \
    X(0x80000000, 0x80000000)                                                                      \
    X(0x7fffffff, 0xffffffff80000000)                                                              \
    X(3, 0xaaaaaaaaaaaaaaab)

typedef __int128 i128;
typedef unsigned __int128 u128;

#define CHK_MUL(a, b)                                                                              \
    EQ(R("mul", a, b), K(U64(a) * U64(b)));                                                        \
    EQ(R("mulh", a, b), K(U64((u128)((i128)S64(a) * (i128)S64(b)) >> 64)));                        \
    EQ(R("mulhu", a, b), K(U64(((u128)U64(a) * (u128)U64(b)) >> 64)));                             \
    EQ(R("mulhsu", a, b), K(U64((u128)((i128)S64(a) * (i128)U64(b)) >> 64)));                      \
    EQ(R("mulw", a, b), K(SX32((uint32_t)U64(a) * (uint32_t)U64(b))));

static void test_mul(void)
{
    t_begin("m.mul");
    MUL_PAIRS(CHK_MUL)
    t_end();
}

/* ordinary divisions: b != 0 and no overflow in either width */
#define DIV_PAIRS(X)                                                                               \
    X(20, 6)                                                                                       \
    X(-20, 6)                                                                                      \
    X(20, -6)                                                                                      \
    X(-20, -6)                                                                                     \
    X(MAX64, 2)                                                                                    \
    X(MIN64, 3)                                                                                    \
    X(ALL1, 7)                                                                                     \
    X(0x123456789abcdef0, 0x1234)                                                                  \
    X(0xfffffffe7fffffff, 0x100000003)                                                             \
    X(5, ALL1)                                                                                     \
    X(0x80000001, 0xfffffffe)                                                                      \
    X(0x80000005, 0x80000006) /* 32-bit results with bit 31 set */                                 \
    X(0xfffffff0, 1)
#define CHK_DIV(a, b)                                                                              \
    EQ(R("div", a, b), K(U64(S64(a) / S64(b))));                                                   \
    EQ(R("rem", a, b), K(U64(S64(a) % S64(b))));                                                   \
    EQ(R("divu", a, b), K(U64(a) / U64(b)));                                                       \
    EQ(R("remu", a, b), K(U64(a) % U64(b)));                                                       \
    EQ(R("divw", a, b), K(U64((int64_t)((int32_t)U64(a) / (int32_t)U64(b)))));                     \
    EQ(R("remw", a, b), K(U64((int64_t)((int32_t)U64(a) % (int32_t)U64(b)))));                     \
    EQ(R("divuw", a, b), K(SX32((uint32_t)U64(a) / (uint32_t)U64(b))));                            \
    EQ(R("remuw", a, b), K(SX32((uint32_t)U64(a) % (uint32_t)U64(b))));

static void test_div(void)
{
    t_begin("m.div");
    DIV_PAIRS(CHK_DIV)
    t_end();
}

static void test_div_special(void)
{
    t_begin("m.div-special");
    /* division by zero: q = -1 (all ones), r = dividend */
    EQ(R("div", 7, 0), ALL1);
    EQ(R("div", MIN64, 0), ALL1);
    EQ(R("divu", 7, 0), ALL1);
    EQ(R("divu", 0, 0), ALL1);
    EQ(R("rem", 7, 0), 7);
    EQ(R("rem", -7, 0), -7ull);
    EQ(R("remu", ALL1, 0), ALL1);
    EQ(R("remu", 0, 0), 0);
    /* W forms: 32-bit results, sign-extended */
    EQ(R("divw", 7, 0), ALL1);
    EQ(R("divuw", 7, 0), ALL1);
    EQ(R("divuw", 0x123400000000, 0x100000000), ALL1); /* low 32 bits of rs2 are 0 */
    EQ(R("remw", 0x1234567887654321, 0), 0xffffffff87654321);
    EQ(R("remw", 0x12345678, 0), 0x12345678);
    EQ(R("remuw", 0x1234567887654321, 0), 0xffffffff87654321);
    EQ(R("remuw", 0xffffffff00000005, 0xffffffff00000000), 5);
    /* signed overflow: q = dividend, r = 0 */
    EQ(R("div", MIN64, ALL1), MIN64);
    EQ(R("rem", MIN64, ALL1), 0);
    EQ(R("divw", 0x80000000, ALL1), 0xffffffff80000000);
    EQ(R("divw", 0x1234567880000000, 0xffffffff), 0xffffffff80000000);
    EQ(R("remw", 0x80000000, ALL1), 0);
    /* not overflow in the unsigned forms */
    EQ(R("divu", MIN64, ALL1), 0);
    EQ(R("remu", MIN64, ALL1), MIN64);
    EQ(R("divuw", 0x80000000, ALL1), 0);
    EQ(R("remuw", 0x80000000, ALL1), 0xffffffff80000000);
    /* W forms ignore the upper halves of both operands */
    EQ(R("divw", 0xffffffff00000064, 0x7fffffff0000000a), 10);
    EQ(R("mulw", 0x1234567800000003, 0xabcdef00fffffffe), ALL1 - 5);
    /* rd == x0 */
    uint64_t v;
    asm volatile("li t0, 5\n div x0, t0, t0\n mul x0, t0, t0\n mv %0, x0" : "=r"(v)::"t0");
    EQ(v, 0);
    t_end();
}

int main(void)
{
    test_mul();
    test_div();
    test_div_special();
    return 0;
}
