/* SPDX-License-Identifier: MIT */
/*
 * rv64i: the RV64I base integer ISA (unprivileged spec 20191213, ch. 2 and
 * 5): every ALU operation including the W forms, shifts by edge amounts,
 * lui/auipc, branches, jal/jalr (jalr clears bit 0 of its target), loads and
 * stores of every width with sign/zero extension (also misaligned: the value
 * only), and writes to x0 being ignored.
 */
#include "isa.h"

#define MIN64 0x8000000000000000ull
#define MAX64 0x7fffffffffffffffull
#define ALL1 0xffffffffffffffffull

/* operand pairs for the register-register ALU ops */
#define PAIRS(X)                                                                                   \
    X(0, 0)                                                                                        \
    X(1, 1)                                                                                        \
    X(ALL1, 1)                                                                                     \
    X(1, ALL1)                                                                                     \
    X(MIN64, ALL1)                                                                                 \
    X(MAX64, 1)                                                                                    \
    X(MIN64, MAX64)                                                                                \
    X(0x7fffffff, 1)                                                                               \
    X(0x80000000, 0xffffffff)                                                                      \
    X(0xffffffff, 0x80000000)                                                                      \
    X(0x123456789abcdef0, 0x0fedcba987654321)                                                      \
    X(0xfedcba9876543210, 0x3f)                                                                    \
    X(0x00000000deadbeef, 0x20)                                                                    \
    X(0xa5a5a5a55a5a5a5a, 0x5a5a5a5aa5a5a5a5)                                                      \
    X(5, 0x41)                                                                                     \
    X(MIN64, 63)                                                                                   \
    X(0x80000000, 31)                                                                              \
    X(0x80000000, 0x3e0)

#define CHK_RR(a, b)                                                                               \
    EQ(R("add", a, b), K(U64(a) + U64(b)));                                                        \
    EQ(R("sub", a, b), K(U64(a) - U64(b)));                                                        \
    EQ(R("xor", a, b), K(U64(a) ^ U64(b)));                                                        \
    EQ(R("or", a, b), K(U64(a) | U64(b)));                                                         \
    EQ(R("and", a, b), K(U64(a) & U64(b)));                                                        \
    EQ(R("slt", a, b), K(S64(a) < S64(b)));                                                        \
    EQ(R("sltu", a, b), K(U64(a) < U64(b)));                                                       \
    EQ(R("sll", a, b), K(U64(a) << (U64(b) & 63)));                                                \
    EQ(R("srl", a, b), K(U64(a) >> (U64(b) & 63)));                                                \
    EQ(R("sra", a, b), K(U64(S64(a) >> (U64(b) & 63))));                                          \
    EQ(R("addw", a, b), K(SX32(U64(a) + U64(b))));                                                 \
    EQ(R("subw", a, b), K(SX32(U64(a) - U64(b))));                                                 \
    EQ(R("sllw", a, b), K(SX32((uint32_t)U64(a) << (U64(b) & 31))));                              \
    EQ(R("srlw", a, b), K(SX32((uint32_t)U64(a) >> (U64(b) & 31))));                              \
    EQ(R("sraw", a, b), K(U64((int64_t)((int32_t)(uint32_t)U64(a) >> (U64(b) & 31)))));

static void test_alu_rr(void)
{
    t_begin("rv64i.alu-reg");
    PAIRS(CHK_RR)
    t_end();
}

#define IMM_VALS(X, a) X(a, 0) X(a, 1) X(a, -1) X(a, 2047) X(a, -2048) X(a, 0x555) X(a, -0x556)
#define CHK_RI(a, imm)                                                                             \
    EQ(I("addi", a, imm), K(U64(a) + U64(S64(imm))));                                              \
    EQ(I("xori", a, imm), K(U64(a) ^ U64(S64(imm))));                                              \
    EQ(I("ori", a, imm), K(U64(a) | U64(S64(imm))));                                               \
    EQ(I("andi", a, imm), K(U64(a) & U64(S64(imm))));                                              \
    EQ(I("slti", a, imm), K(S64(a) < S64(imm)));                                                   \
    EQ(I("sltiu", a, imm), K(U64(a) < U64(S64(imm))));                                             \
    EQ(I("addiw", a, imm), K(SX32(U64(a) + U64(S64(imm)))));
#define RI_VALS(X)                                                                                 \
    IMM_VALS(X, 0)                                                                                 \
    IMM_VALS(X, ALL1)                                                                              \
    IMM_VALS(X, MAX64)                                                                             \
    IMM_VALS(X, MIN64)                                                                             \
    IMM_VALS(X, 0x7fffffff)                                                                        \
    IMM_VALS(X, 0xfffffffffffff800)                                                                \
    IMM_VALS(X, 0x123456789abcdef0)

#define SH_VALS(X, a) X(a, 0) X(a, 1) X(a, 31) X(a, 32) X(a, 33) X(a, 63)
#define SHW_VALS(X, a) X(a, 0) X(a, 1) X(a, 15) X(a, 31)
#define CHK_SH(a, n)                                                                               \
    EQ(I("slli", a, n), K(U64(a) << (n)));                                                         \
    EQ(I("srli", a, n), K(U64(a) >> (n)));                                                         \
    EQ(I("srai", a, n), K(U64(S64(a) >> (n))));
#define CHK_SHW(a, n)                                                                              \
    EQ(I("slliw", a, n), K(SX32((uint32_t)U64(a) << (n))));                                        \
    EQ(I("srliw", a, n), K(SX32((uint32_t)U64(a) >> (n))));                                        \
    EQ(I("sraiw", a, n), K(U64((int64_t)((int32_t)(uint32_t)U64(a) >> (n)))));
#define SH_OPERANDS(X, M)                                                                          \
    M(X, 0x8000000000000001)                                                                       \
    M(X, 0x00000000ffffffff)                                                                       \
    M(X, 0x0000000080000000)                                                                       \
    M(X, 0xfedcba9876543210)                                                                       \
    M(X, 1)

static void test_alu_imm(void)
{
    t_begin("rv64i.alu-imm");
    RI_VALS(CHK_RI)
    SH_OPERANDS(CHK_SH, SH_VALS)
    SH_OPERANDS(CHK_SHW, SHW_VALS)
    /* sltiu rd, rs, 1 is seqz; the immediate is sign-extended before the
     * unsigned compare, so sltiu with -1 is true for all but ~0 */
    EQ(I("sltiu", 0, 1), 1);
    EQ(I("sltiu", 5, 1), 0);
    EQ(I("sltiu", ALL1 - 1, -1), 1);
    EQ(I("sltiu", ALL1, -1), 0);
    t_end();
}

static void test_upper(void)
{
    uint64_t v, here, pc;
    t_begin("rv64i.lui-auipc");
    asm volatile("lui %0, 0x80000" : "=r"(v));
    EQ(v, 0xffffffff80000000);
    asm volatile("lui %0, 0xfffff" : "=r"(v));
    EQ(v, 0xfffffffffffff000);
    asm volatile("lui %0, 0x7ffff" : "=r"(v));
    EQ(v, 0x7ffff000);
    asm volatile("lui %0, 1" : "=r"(v));
    EQ(v, 0x1000);
    asm volatile("lui %0, 0" : "=r"(v));
    EQ(v, 0);
    asm volatile(".option push\n.option norvc\n1: auipc %0, 0\n la %1, 1b\n.option pop"
                 : "=r"(pc), "=r"(here));
    EQ(pc, here);
    asm volatile("1: auipc %0, 1\n la %1, 1b" : "=r"(pc), "=r"(here));
    EQ(pc, here + 0x1000);
    asm volatile("1: auipc %0, 0x80000\n la %1, 1b" : "=r"(pc), "=r"(here));
    EQ(pc, here - 0x80000000ull);
    asm volatile("1: auipc %0, 0xfffff\n la %1, 1b" : "=r"(pc), "=r"(here));
    EQ(pc, here - 0x1000);
    t_end();
}

#define BR_PAIRS(X)                                                                                \
    X(0, 0)                                                                                        \
    X(1, 2)                                                                                        \
    X(2, 1)                                                                                        \
    X(ALL1, 0)                                                                                     \
    X(0, ALL1)                                                                                     \
    X(MIN64, MAX64)                                                                                \
    X(MAX64, MIN64)                                                                                \
    X(ALL1, ALL1)                                                                                  \
    X(0x80000000, 0x7fffffff)
#define CHK_BR(a, b)                                                                               \
    EQ(BR("beq", a, b), K(U64(a) == U64(b)));                                                      \
    EQ(BR("bne", a, b), K(U64(a) != U64(b)));                                                      \
    EQ(BR("blt", a, b), K(S64(a) < S64(b)));                                                       \
    EQ(BR("bge", a, b), K(S64(a) >= S64(b)));                                                      \
    EQ(BR("bltu", a, b), K(U64(a) < U64(b)));                                                      \
    EQ(BR("bgeu", a, b), K(U64(a) >= U64(b)));

static void test_branches(void)
{
    uint64_t n;
    t_begin("rv64i.branch");
    BR_PAIRS(CHK_BR)
    /* backward branch: a counted loop */
    asm volatile("li %0, 0\n li t0, 10\n1: addi %0, %0, 3\n addi t0, t0, -1\n bnez t0, 1b"
                 : "=&r"(n)::"t0");
    EQ(n, 30);
    /* a branch with a far (4 KiB) forward target */
    asm volatile("li %0, 1\n beqz zero, 1f\n li %0, 2\n .skip 4000\n1:" : "=&r"(n));
    EQ(n, 1);
    t_end();
}

static void test_jumps(void)
{
    uint64_t link, want, v;
    t_begin("rv64i.jal-jalr");
    asm volatile(".option push\n.option norvc\n jal %0, 1f\n2: li %1, 0\n1: la %1, 2b\n"
                 ".option pop"
                 : "=&r"(link), "=&r"(want));
    EQ(link, want);
    /* jalr: target = (rs1 + imm) & ~1 */
    asm volatile(".option push\n.option norvc\n la t0, 1f\n addi t0, t0, 1\n"
                 " li %2, 0\n jalr %0, 0(t0)\n2: li %2, 99\n1: la %1, 2b\n .option pop"
                 : "=&r"(link), "=&r"(want), "=&r"(v)::"t0");
    EQ(link, want);
    EQ(v, 0);
    asm volatile(".option push\n.option norvc\n la t0, 1f\n addi t0, t0, 7\n"
                 " li %1, 0\n jalr x0, -6(t0)\n li %1, 99\n1: li %0, 5\n .option pop"
                 : "=&r"(v), "=&r"(link)::"t0");
    EQ(v, 5);
    EQ(link, 0);
    /* jalr with rd == rs1: the target uses the old value */
    asm volatile(".option push\n.option norvc\n la %0, 1f\n jalr %0, 0(%0)\n2: nop\n"
                 "1: la %1, 2b\n .option pop"
                 : "=&r"(link), "=&r"(want));
    EQ(link, want);
    /* a call and return through ra */
    asm volatile(".option push\n.option norvc\n li %0, 0\n jal ra, 1f\n addi %0, %0, 1\n"
                 " j 2f\n1: addi %0, %0, 10\n jalr x0, 0(ra)\n2:\n .option pop"
                 : "=&r"(v)::"ra");
    EQ(v, 11);
    t_end();
}

static uint8_t buf[64] __attribute__((aligned(16)));

static void fill(void)
{
    for (int i = 0; i < 64; i++)
        buf[i] = (uint8_t)(0x80 + i * 7);
}

#define LD(op, off)                                                                                \
    ({                                                                                             \
        uint64_t r_;                                                                               \
        asm volatile(op " %0, %2(%1)" : "=r"(r_) : "r"(buf + 32), "i"(off) : "memory");            \
        r_;                                                                                        \
    })
#define ST(op, off, v)                                                                             \
    asm volatile(op " %0, %2(%1)" ::"r"(U64(v)), "r"(buf + 32), "i"(off) : "memory")
/* buf[i] after fill() */
#define B(i) ((uint64_t)(uint8_t)(0x80 + (i) * 7))
#define LE16(i) (B(i) | B((i) + 1) << 8)
#define LE32(i) (LE16(i) | LE16((i) + 2) << 16)
#define LE64(i) (LE32(i) | LE32((i) + 4) << 32)

static void test_loads(void)
{
    t_begin("rv64i.load");
    fill();
    EQ(LD("lb", 0), K(U64((int8_t)B(32))));
    EQ(LD("lbu", 0), K(B(32)));
    EQ(LD("lb", -32), K(U64((int8_t)B(0)))); /* 0x80: negative */
    EQ(LD("lbu", -32), 0x80);
    EQ(LD("lb", 18), K(U64((int8_t)B(50))));
    EQ(LD("lh", 0), K(U64((int16_t)LE16(32))));
    EQ(LD("lhu", 0), K(LE16(32)));
    EQ(LD("lh", -32), K(U64((int16_t)LE16(0))));
    EQ(LD("lhu", -32), K(LE16(0)));
    EQ(LD("lw", 4), K(SX32(LE32(36))));
    EQ(LD("lwu", 4), K(LE32(36)));
    EQ(LD("lw", -32), K(SX32(LE32(0))));
    EQ(LD("lwu", -32), K(LE32(0)));
    EQ(LD("lw", -16), K(SX32(LE32(16))));
    EQ(LD("ld", 8), K(LE64(40)));
    EQ(LD("ld", -32), K(LE64(0)));
    /* misaligned: only the value is checked (trap-and-emulate is allowed) */
    EQ(LD("lh", 1), K(U64((int16_t)LE16(33))));
    EQ(LD("lhu", 3), K(LE16(35)));
    EQ(LD("lw", 1), K(SX32(LE32(33))));
    EQ(LD("lwu", 6), K(LE32(38)));
    EQ(LD("ld", 3), K(LE64(35)));
    EQ(LD("ld", -25), K(LE64(7)));
    /* a load into x0 is performed but not written */
    uint64_t z;
    asm volatile("lw x0, 0(%1)\n mv %0, x0" : "=r"(z) : "r"(buf) : "memory");
    EQ(z, 0);
    t_end();
}

static void test_stores(void)
{
    t_begin("rv64i.store");
    fill();
    ST("sb", 0, 0x1234567890abcdef);
    EQ(LD("ld", 0), K((LE64(32) & ~0xffull) | 0xef));
    fill();
    ST("sh", 2, 0x1234567890abcdef);
    EQ(LD("ld", 0), K((LE64(32) & ~0xffff0000ull) | 0xcdef0000));
    fill();
    ST("sw", 4, 0x1234567890abcdef);
    EQ(LD("ld", 0), K((LE64(32) & 0xffffffffull) | 0x90abcdef00000000));
    fill();
    ST("sd", -8, 0x1234567890abcdef);
    EQ(LD("ld", -8), 0x1234567890abcdef);
    EQ(LD("ld", 0), K(LE64(32)));
    EQ(LD("ld", -16), K(LE64(16)));
    /* misaligned stores */
    fill();
    ST("sh", 1, 0xa1b2);
    EQ(LD("ld", 0), K((LE64(32) & ~0xffff00ull) | 0xa1b200));
    fill();
    ST("sw", 3, 0xc1d2e3f4);
    EQ(LD("ld", 0), K((LE64(32) & ~0xffffffff000000ull) | 0xc1d2e3f4000000));
    fill();
    ST("sd", 5, 0x0102030405060708);
    EQ(LD("ld", 0), K((LE64(32) & 0xffffffffffull) | 0x0607080000000000));
    EQ(LD("ld", 8), K((LE64(40) & ~0xffffffffffull) | 0x0102030405));
    t_end();
}

static void test_x0(void)
{
    uint64_t v;
    t_begin("rv64i.x0");
    asm volatile("addi x0, x0, 5\n mv %0, x0" : "=r"(v));
    EQ(v, 0);
    asm volatile("lui x0, 0x12345\n add %0, x0, x0" : "=r"(v));
    EQ(v, 0);
    asm volatile("li t0, -1\n sub x0, x0, t0\n or %0, x0, x0" : "=r"(v)::"t0");
    EQ(v, 0);
    asm volatile(".option push\n.option norvc\n jal x0, 1f\n1: auipc x0, 1\n"
                 " slli x0, x0, 3\n addiw x0, x0, 1\n mv %0, x0\n.option pop"
                 : "=r"(v));
    EQ(v, 0);
    asm volatile("addi %0, zero, -1" : "=r"(v));
    EQ(v, ALL1);
    /* fences are no-ops for a single hart */
    asm volatile("fence\n fence rw, rw\n fence.tso\n fence r, w\n fence.i" ::: "memory");
    t_end();
}

int main(void)
{
    test_alu_rr();
    test_alu_imm();
    test_upper();
    test_branches();
    test_jumps();
    test_loads();
    test_stores();
    test_x0();
    return 0;
}
