/* SPDX-License-Identifier: MIT */
/*
 * fencei: Zifencei (unprivileged spec 20191213, ch. 3): code written by
 * stores runs after fence.i: rewriting a called routine many times, 16-bit
 * and 32-bit instructions (one straddling a 4-byte boundary), and patching
 * the very next instruction inside the running block. This is the test for
 * decoded-block caches and translated code.
 */
#include "isa.h"

static uint16_t code[64] __attribute__((aligned(64)));

#define ADDI_A0(imm) (0x00000513u | ((uint32_t)(imm) << 20)) /* addi a0, zero, imm */
#define RET 0x00008067u
#define C_LI_A0(imm) (0x4501u | (((imm) & 31u) << 2))      /* c.li a0, imm */
#define C_JR_RA 0x8082u
#define C_NOP 0x0001u

static void put32(int at, uint32_t insn)
{
    code[at] = (uint16_t)insn;
    code[at + 1] = (uint16_t)(insn >> 16);
}

static uint64_t run(void)
{
    asm volatile("fence.i" ::: "memory");
    return ((uint64_t (*)(void))(void *)code)();
}

static void test_rewrite(void)
{
    t_begin("fencei.rewrite");
    int bad = 0;
    for (int i = 0; i < 200; i++) {
        put32(0, ADDI_A0(i));
        put32(2, RET);
        if (run() != (uint64_t)i)
            bad++;
    }
    EQ(bad, 0);
    /* 16-bit code in the same place */
    code[0] = C_LI_A0(5);
    code[1] = C_JR_RA;
    EQ(run(), 5);
    code[0] = C_LI_A0(7);
    EQ(run(), 7);
    /* a 32-bit instruction at a 2-byte offset, after a 16-bit one */
    code[0] = C_NOP;
    put32(1, ADDI_A0(1234));
    code[3] = C_JR_RA;
    EQ(run(), 1234);
    put32(1, ADDI_A0(-7));
    EQ(run(), (uint64_t)-7);
    /* replace only the upper half of that 32-bit instruction */
    code[2] = (uint16_t)(ADDI_A0(0x321) >> 16);
    EQ(run(), 0x321);
    t_end();
}

static void test_next_insn(void)
{
    uint64_t v;
    t_begin("fencei.next-insn");
    /* overwrite the instruction right after the fence.i, in running code:
     * "addi a0, zero, 9" becomes "addi a0, zero, 5" */
    asm volatile(".option push\n.option norvc\n"
                 " li a0, 0\n la t0, 1f\n li t1, 0x00500513\n sw t1, 0(t0)\n fence.i\n"
                 "1: addi a0, zero, 9\n mv %0, a0\n"
                 ".option pop"
                 : "=r"(v)
                 :
                 : "t0", "t1", "a0", "memory");
    EQ(v, 5);
    /* a loop that patches its own body each time round: the block runs
     * three times with three different instructions (addi a0, zero,
     * 0x100, 0x101, 0x102) */
    asm volatile(".option push\n.option norvc\n"
                 " li t1, 0\n"
                 "2: la t0, 1f\n addi t2, t1, 0x100\n slli t2, t2, 20\n"
                 " li t3, 0x513\n or t2, t2, t3\n sw t2, 0(t0)\n fence.i\n"
                 "1: addi a0, zero, 0\n addi t1, t1, 1\n li t3, 3\n blt t1, t3, 2b\n"
                 " mv %0, a0\n"
                 ".option pop"
                 : "=r"(v)
                 :
                 : "t0", "t1", "t2", "t3", "a0", "memory");
    EQ(v, 0x102);
    t_end();
}

int main(void)
{
    test_rewrite();
    test_next_insn();
    return 0;
}
