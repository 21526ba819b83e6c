/* SPDX-License-Identifier: MIT */
/*
 * c: every RV64C instruction (unprivileged spec 20191213, ch. 16) written
 * with its c.* mnemonic, so the assembler must emit the 16-bit form: edge
 * immediates (c.lui/c.addi16sp/c.addi4spn/c.li/c.addi/c.andi, shift amounts
 * up to 63), every load/store incl. FP and sp-relative, c.j/c.beqz/c.bnez,
 * c.jr/c.jalr (link = pc + 2), c.ebreak (a 2-byte trap) and reserved
 * encodings that must be illegal (stval = the 16 instruction bits).
 */
#include "isa.h"

/* a0 = in; insn; result = a0 (insn works on a0/a1, 3-bit register fields) */
#define C1(insn, in)                                                                               \
    ({                                                                                             \
        uint64_t r_;                                                                               \
        asm volatile("mv a0, %1\n\t" insn "\n\tmv %0, a0"                                          \
                     : "=r"(r_)                                                                    \
                     : "r"(U64(in))                                                                \
                     : "a0", "a1");                                                                \
        r_;                                                                                        \
    })
/* a0 = x, a1 = y; insn; result = a0 */
#define C2(insn, x, y)                                                                             \
    ({                                                                                             \
        uint64_t r_;                                                                               \
        asm volatile("mv a0, %1\n\tmv a1, %2\n\t" insn "\n\tmv %0, a0"                             \
                     : "=r"(r_)                                                                    \
                     : "r"(U64(x)), "r"(U64(y))                                                    \
                     : "a0", "a1");                                                                \
        r_;                                                                                        \
    })

static void test_ci(void)
{
    t_begin("c.imm");
    EQ(C1("c.li a0, -32", 77), 0xffffffffffffffe0);
    EQ(C1("c.li a0, 31", 77), 31);
    EQ(C1("c.li a0, 0", 77), 0);
    EQ(C1("c.addi a0, -32", 0), 0xffffffffffffffe0);
    EQ(C1("c.addi a0, 31", 0xffffffffffffffff), 30);
    EQ(C1("c.addi a0, 1", 0x7fffffffffffffff), 0x8000000000000000);
    EQ(C1("c.addiw a0, 0", 0x1234567880000000), 0xffffffff80000000);
    EQ(C1("c.addiw a0, -32", 0x8000000000000000), 0xffffffffffffffe0);
    EQ(C1("c.addiw a0, 31", 0x000000007fffffff), 0xffffffff8000001e);
    EQ(C1("c.lui a0, 1", 0), 0x1000);
    EQ(C1("c.lui a0, 31", 0), 0x1f000);
    EQ(C1("c.lui a0, 0xfffe0", 0), 0xfffffffffffe0000);
    EQ(C1("c.lui a0, 0xfffff", 0), 0xfffffffffffff000);
    EQ(C1("c.lui s1, 0x10\n\tmv a0, s1", 0), 0x10000);
    EQ(C1("c.slli a0, 1", 0xc000000000000001), 0x8000000000000002);
    EQ(C1("c.slli a0, 63", 3), 0x8000000000000000);
    EQ(C1("c.slli a0, 32", 0x87654321), 0x8765432100000000);
    EQ(C1("c.srli a0, 1", 0x8000000000000001), 0x4000000000000000);
    EQ(C1("c.srli a0, 63", 0x8000000000000000), 1);
    EQ(C1("c.srli a0, 32", 0xfedcba9876543210), 0xfedcba98);
    EQ(C1("c.srai a0, 1", 0x8000000000000001), 0xc000000000000000);
    EQ(C1("c.srai a0, 63", 0x8000000000000000), 0xffffffffffffffff);
    EQ(C1("c.srai a0, 32", 0xfedcba9876543210), 0xfffffffffedcba98);
    EQ(C1("c.srai a0, 40", 0x7edcba9876543210), 0x7edcba);
    EQ(C1("c.andi a0, -32", 0xffffffffffffffff), 0xffffffffffffffe0);
    EQ(C1("c.andi a0, 31", 0xffffffffffffffff), 31);
    EQ(C1("c.andi a0, 0", 0xffffffffffffffff), 0);
    EQ(C1("c.andi a0, -1", 0x8000000000000005), 0x8000000000000005);
    EQ(C1("c.nop", 42), 42);
    t_end();
}

static void test_ca_cr(void)
{
    t_begin("c.reg");
    EQ(C2("c.mv a0, a1", 1, 0x8765432112345678), 0x8765432112345678);
    EQ(C2("c.add a0, a1", 0x7fffffffffffffff, 1), 0x8000000000000000);
    EQ(C2("c.sub a0, a1", 0, 1), 0xffffffffffffffff);
    EQ(C2("c.xor a0, a1", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0), 0xf0f0f0f0f0f0f0f0);
    EQ(C2("c.or a0, a1", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0), 0xfff0fff0fff0fff0);
    EQ(C2("c.and a0, a1", 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0), 0x0f000f000f000f00);
    EQ(C2("c.addw a0, a1", 0x7fffffff, 1), 0xffffffff80000000);
    EQ(C2("c.addw a0, a1", 0xaaaaaaaa00000001, 0xbbbbbbbb00000002), 3);
    EQ(C2("c.subw a0, a1", 0x80000000, 1), 0x7fffffff);
    EQ(C2("c.subw a0, a1", 0, 1), 0xffffffffffffffff);
    EQ(C2("c.subw a0, a1", 0x1111111100000005, 0x2222222200000007), 0xfffffffffffffffe);
    /* c.mv/c.add take any of the 31 registers */
    EQ(C2("c.mv t6, a1\n\tc.add t6, t6\n\tc.mv a0, t6", 0, 21) , 42);
    t_end();
}

static uint64_t mem[64] __attribute__((aligned(16)));

static void test_mem(void)
{
    uint64_t v, w;
    t_begin("c.load-store");
    for (int i = 0; i < 40; i++)
        mem[i] = 0x0101010101010101ull * (uint64_t)i ^ 0x80808080f0f0f0f0ull;
    EQ(C1("c.lw a0, 0(a0)", mem), 0xfffffffff0f0f0f0);
    EQ(C1("c.lw a0, 124(a0)", mem), 0xffffffff8f8f8f8f);
    EQ(C1("c.lw a0, 4(a0)", mem), 0xffffffff80808080);
    EQ(C1("c.ld a0, 8(a0)", mem), 0x81818181f1f1f1f1);
    EQ(C1("c.ld a0, 248(a0)", mem), 0x9f9f9f9fefefefef);
    C2("c.sw a1, 124(a0)", mem, 0x1234567876543210);
    EQ(mem[15], 0x76543210ffffffffull);
    C2("c.sd a1, 248(a0)", mem, 0x1234567876543210);
    EQ(mem[31], 0x1234567876543210ull);
    C2("c.sd a1, 0(a0)", mem, 0xabcdefull);
    EQ(mem[0], 0xabcdefull);
    /* FP loads and stores: the bits pass unchanged (no NaN canonicalisation) */
    mem[2] = 0x7ff0000000000001ull; /* a signalling NaN */
    asm volatile("mv a0, %1\n c.fld fa0, 16(a0)\n c.fsd fa0, 24(a0)\n fmv.x.d %0, fa0"
                 : "=r"(v)
                 : "r"(mem)
                 : "a0", "fa0", "memory");
    EQ(v, 0x7ff0000000000001ull);
    EQ(mem[3], 0x7ff0000000000001ull);
    asm volatile("mv a0, %1\n c.fld fs1, 248(a0)\n fmv.x.d %0, fs1"
                 : "=r"(v)
                 : "r"(mem)
                 : "a0", "fs1", "memory");
    EQ(v, 0x1234567876543210ull);
    t_end();

    t_begin("c.sp-relative");
    /* Move sp to a private 512-byte area first: the sp-relative forms reach
     * up to sp + 504, which would otherwise be live stack. */
    asm volatile("mv t0, sp\n mv sp, %2\n"
                 "c.sdsp %3, 0(sp)\n c.sdsp %3, 504(sp)\n c.swsp %3, 252(sp)\n"
                 "c.ldsp %0, 504(sp)\n c.lwsp %1, 252(sp)\n mv sp, t0"
                 : "=&r"(v), "=&r"(w)
                 : "r"(mem), "r"(0x89abcdef01234567ull)
                 : "t0", "memory");
    EQ(v, 0x89abcdef01234567ull);
    EQ(w, 0x0000000001234567ull);
    EQ(mem[0], 0x89abcdef01234567ull);
    mem[31] = 0xfedcba9880000000ull;
    asm volatile("mv t0, sp\n mv sp, %2\n c.lwsp %0, 248(sp)\n c.lwsp %1, 252(sp)\n mv sp, t0"
                 : "=&r"(v), "=&r"(w)
                 : "r"(mem)
                 : "t0", "memory");
    EQ(v, 0xffffffff80000000ull);
    EQ(w, 0xfffffffffedcba98ull);
    mem[5] = 0x3ff8000000000000ull;
    asm volatile("mv t0, sp\n mv sp, %1\n c.fldsp ft3, 40(sp)\n c.fsdsp ft3, 504(sp)\n"
                 "c.fldsp ft4, 504(sp)\n mv sp, t0\n fmv.x.d %0, ft4"
                 : "=&r"(v)
                 : "r"(mem)
                 : "t0", "ft3", "ft4", "memory");
    EQ(v, 0x3ff8000000000000ull);
    EQ(mem[63], 0x3ff8000000000000ull);
    t_end();
}

static void test_sp_adjust(void)
{
    uint64_t sp0, a, b, c, d;
    t_begin("c.sp-adjust");
    asm volatile("mv %0, sp\n"
                 "c.addi16sp sp, -512\n mv %1, sp\n"
                 "c.addi16sp sp, 496\n mv %2, sp\n"
                 "c.addi16sp sp, 16\n"
                 "c.addi4spn a0, sp, 1020\n mv %3, a0\n"
                 "c.addi4spn a0, sp, 4\n mv %4, a0\n"
                 : "=&r"(sp0), "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d)
                 :
                 : "a0");
    EQ(a, sp0 - 512);
    EQ(b, sp0 - 16);
    EQ(c, sp0 + 1020);
    EQ(d, sp0 + 4);
    t_end();
}

static void test_control(void)
{
    uint64_t v, link, want;
    t_begin("c.control");
    asm volatile("li %0, 1\n c.j 1f\n li %0, 2\n1:" : "=&r"(v));
    EQ(v, 1);
    /* c.j backwards: a loop */
    asm volatile("li %0, 0\n li t0, 5\n j 2f\n1: addi %0, %0, 2\n addi t0, t0, -1\n"
                 "2: beqz t0, 3f\n c.j 1b\n3:"
                 : "=&r"(v)::"t0");
    EQ(v, 10);
#define CB(insn, x)                                                                                \
    ({                                                                                             \
        uint64_t r_;                                                                               \
        asm volatile("mv a0, %1\n li %0, 1\n " insn " a0, 1f\n li %0, 0\n1:"                       \
                     : "=&r"(r_)                                                                   \
                     : "r"(U64(x))                                                                 \
                     : "a0");                                                                      \
        r_;                                                                                        \
    })
    EQ(CB("c.beqz", 0), 1);
    EQ(CB("c.beqz", 1), 0);
    EQ(CB("c.beqz", 0x100000000), 0);
    EQ(CB("c.beqz", 0x8000000000000000), 0);
    EQ(CB("c.bnez", 0), 0);
    EQ(CB("c.bnez", 0x100000000), 1);
    EQ(CB("c.bnez", 0xffffffffffffffff), 1);
    /* the largest forward offset, 254 */
    asm volatile("li a0, 0\n li %0, 1\n c.beqz a0, 1f\n li %0, 2\n .skip 246\n1:"
                 : "=&r"(v)::"a0");
    EQ(v, 1);
    /* c.jr / c.jalr: the link is pc + 2 */
    asm volatile("la a1, 1f\n li %0, 1\n c.jr a1\n li %0, 2\n1:" : "=&r"(v)::"a1");
    EQ(v, 1);
    asm volatile("la t0, 1f\n 2: c.jalr t0\n c.nop\n1: mv %0, ra\n la %1, 2b"
                 : "=r"(link), "=r"(want)
                 : : "t0", "ra");
    EQ(link, want + 2);
    /* a call/return pair made of compressed jumps */
    asm volatile("li %0, 0\n la t1, 1f\n c.jalr t1\n addi %0, %0, 1\n j 2f\n"
                 "1: addi %0, %0, 10\n c.jr ra\n2:"
                 : "=&r"(v)::"t1", "ra");
    EQ(v, 11);
    t_end();
}

static void test_traps(void)
{
    uint64_t at;
    t_begin("c.ebreak");
    trap_expect();
    asm volatile("la %0, 1f\n1: c.ebreak" : "=r"(at));
    TRAPPED(EXC_BREAKPOINT, TVAL_ANY);
    EQ(trap_last.epc, at);
    t_end();

    t_begin("c.reserved");
    /* all-zero is defined illegal; the others are reserved encodings */
    trap_expect();
    asm volatile(".hword 0x0000");
    TRAPPED(EXC_ILLEGAL, 0);
    trap_expect();
    asm volatile(".hword 0x0004"); /* c.addi4spn with nzuimm = 0 */
    TRAPPED(EXC_ILLEGAL, 0x0004);
    trap_expect();
    asm volatile(".hword 0x6101"); /* c.addi16sp with nzimm = 0 */
    TRAPPED(EXC_ILLEGAL, 0x6101);
    trap_expect();
    asm volatile(".hword 0x6501"); /* c.lui a0 with nzimm = 0 */
    TRAPPED(EXC_ILLEGAL, 0x6501);
    trap_expect();
    asm volatile(".hword 0x8002"); /* c.jr x0 */
    TRAPPED(EXC_ILLEGAL, 0x8002);
    t_end();
}

int main(void)
{
    test_ci();
    test_ca_cr();
    test_mem();
    test_sp_adjust();
    test_control();
    test_traps();
    return 0;
}
