/* SPDX-License-Identifier: MIT */
/*
 * isa.h: inline-assembly helpers shared by the hand-written ISA tests.
 *
 * Expected values must not be computed by the machine under test, or an
 * emulator bug would confirm itself: K(x) accepts only expressions that the
 * compiler folds to a constant (anything else fails to link), so checks read
 * EQ(R("add", 1, 2), K(1 + 2)).
 */
#ifndef ISA_CASES_ISA_H
#define ISA_CASES_ISA_H

#include <stdint.h>

#include "rt.h"

extern uint64_t isa_not_a_constant(void); /* never defined: see K() */
#define K(x) (__builtin_constant_p(x) ? (uint64_t)(x) : isa_not_a_constant())

#define U64(x) ((uint64_t)(x))
#define S64(x) ((int64_t)(x))
#define SX32(x) ((uint64_t)(int64_t)(int32_t)(uint32_t)(x))

/* rd = op rs1, rs2 */
#define R(op, a, b)                                                                                \
    ({                                                                                             \
        uint64_t r_;                                                                               \
        asm volatile(op " %0, %1, %2" : "=r"(r_) : "r"(U64(a)), "r"(U64(b)));                      \
        r_;                                                                                        \
    })
/* rd = op rs1, imm */
#define I(op, a, imm)                                                                              \
    ({                                                                                             \
        uint64_t r_;                                                                               \
        asm volatile(op " %0, %1, %2" : "=r"(r_) : "r"(U64(a)), "i"(imm));                         \
        r_;                                                                                        \
    })
/* 1 when "op a, b, target" branches */
#define BR(op, a, b)                                                                               \
    ({                                                                                             \
        uint64_t r_;                                                                               \
        asm volatile("li %0, 1\n\t" op " %1, %2, 1f\n\tli %0, 0\n1:"                               \
                     : "=&r"(r_)                                                                   \
                     : "r"(U64(a)), "r"(U64(b)));                                                  \
        r_;                                                                                        \
    })

/* The bits of the instruction at addr, as stval reports them (16 or 32). */
static inline uint64_t insn_bits(uint64_t addr)
{
    uint16_t lo = *(volatile uint16_t *)addr;
    if ((lo & 3) != 3)
        return lo;
    return lo | (uint64_t)*(volatile uint16_t *)(addr + 2) << 16;
}

/* Run setup, then insn (both may use t0/t1) expecting an illegal-instruction
 * trap on insn, with stval = its bits and sepc = its address. */
#define ILLEGAL(insn) ILLEGAL_AFTER("", insn)
#define ILLEGAL_AFTER(setup, insn)                                                                 \
    do {                                                                                           \
        uint64_t at_;                                                                              \
        trap_expect();                                                                             \
        asm volatile(setup "\nla %0, 1f\n1: " insn "\n" : "=&r"(at_)::"t0", "t1", "memory");      \
        if (trap_check(__LINE__, EXC_ILLEGAL, insn_bits(at_)))                                     \
            rt_check(__LINE__, "sepc of " insn, trap_last.epc, at_);                               \
    } while (0)

/* Run insn (t0/t1 allowed) expecting no trap. */
#define LEGAL(insn)                                                                                \
    do {                                                                                           \
        trap_expect();                                                                             \
        asm volatile(insn ::: "t0", "t1", "memory");                                               \
        trap_none(__LINE__);                                                                       \
    } while (0)

#endif
