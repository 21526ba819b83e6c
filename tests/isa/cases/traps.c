/* SPDX-License-Identifier: MIT */
/*
 * traps: synchronous exceptions taken into S-mode (privileged spec v1.12
 * §4.1.1, §4.1.7-4.1.9): ebreak (cause 3) and ecall from U-mode (cause 8)
 * with sepc = the instruction; illegal instruction (cause 2) with stval =
 * the instruction bits for unknown opcodes, privileged instructions and CSRs
 * from U-mode; load/store access faults on unmapped physical addresses with
 * stval = the address; and the sstatus bookkeeping of a trap (SPP, SPIE,
 * SIE cleared).
 */
#include "isa.h"

static void test_breakpoint(void)
{
    uint64_t at;
    t_begin("traps.ebreak");
    trap_expect();
    asm volatile(".option push\n.option norvc\n la %0, 1f\n1: ebreak\n.option pop" : "=r"(at));
    TRAPPED(EXC_BREAKPOINT, TVAL_ANY);
    EQ(trap_last.epc, at);
    /* stval is 0 or the pc (spec: either is allowed for breakpoints) */
    TRUE(trap_last.tval == 0 || trap_last.tval == at);
    /* the trap came from S-mode: SPP = 1; SIE was 0, so SPIE = 0 */
    EQ(trap_last.status & (SSTATUS_SPP | SSTATUS_SPIE), SSTATUS_SPP);
    EQ(trap_last.vec, -1);
    /* with SIE = 1 (and no interrupt enabled in sie), SPIE records it and
     * the handler runs with SIE = 0 */
    csr_write(sie, 0);
    csr_set(sstatus, SSTATUS_SIE);
    trap_expect();
    asm volatile("ebreak");
    TRAPPED(EXC_BREAKPOINT, TVAL_ANY);
    EQ(trap_last.status & (SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE), SSTATUS_SPP | SSTATUS_SPIE);
    EQ(csr_read(sstatus) & SSTATUS_SIE, SSTATUS_SIE); /* sret restored it */
    csr_clear(sstatus, SSTATUS_SIE);
    t_end();
}

static void test_illegal(void)
{
    t_begin("traps.illegal");
    ILLEGAL(".word 0xfe000033");  /* OP with funct7 = 0x7f */
    ILLEGAL(".word 0x0000707b");  /* OP-32 ... reserved funct3 */
    ILLEGAL(".word 0x02008057");  /* OP-V: no V extension */
    ILLEGAL(".word 0x0000600f");  /* MISC-MEM funct3 = 6 */
    ILLEGAL(".word 0x00007003");  /* LOAD funct3 = 7 (no ldu in RV64) */
    ILLEGAL(".word 0x00004023");  /* STORE funct3 = 4 */
    ILLEGAL(".word 0x00002063");  /* BRANCH funct3 = 2 */
    ILLEGAL(".word 0x00001067");  /* JALR funct3 = 1 */
    ILLEGAL(".word 0x0200101b");  /* slliw with shamt[5] set */
    ILLEGAL(".word 0x4000501b | (1 << 25)"); /* sraiw with shamt[5] set */
    ILLEGAL(".word 0xffffffff & ~0x7c | 0x70"); /* SYSTEM with garbage: 0xfffffff3 */
    ILLEGAL(".hword 0x0000");     /* all zeros */
    ILLEGAL("mret");
    ILLEGAL("csrr t0, mstatus");
    t_end();
}

static void test_user(void)
{
    t_begin("traps.user");
    /* ecall from U-mode: cause 8, sepc = the ecall, stval = 0 */
    trap_expect();
    uint64_t r = rt_user_call(u_ecall, 1234, 0);
    TRAPPED(EXC_ECALL_U, 0);
    EQ(trap_last.epc, (uint64_t)u_ecall_at);
    EQ(r, 0x77);                               /* execution resumed after it */
    EQ(trap_last.status & SSTATUS_SPP, 0);
    trap_expect();
    rt_user_call(u_ebreak, 0, 0);
    TRAPPED(EXC_BREAKPOINT, TVAL_ANY);
    EQ(trap_last.epc, (uint64_t)u_ebreak);
    EQ(trap_last.status & SSTATUS_SPP, 0);
    /* illegal in U-mode: unknown opcode, S-mode instructions and CSRs */
    trap_expect();
    rt_user_call(u_illegal, 0, 0);
    TRAPPED(EXC_ILLEGAL, 0xfe000033);
    trap_expect();
    rt_user_call(u_sret, 0, 0);
    TRAPPED(EXC_ILLEGAL, 0x10200073);
    EQ(trap_last.epc, (uint64_t)u_sret);
    trap_expect();
    rt_user_call(u_sfence, 0, 0);
    TRAPPED(EXC_ILLEGAL, 0x12000073);
    trap_expect();
    r = rt_user_call(u_read_sstatus, 99, 0);
    TRAPPED(EXC_ILLEGAL, insn_bits((uint64_t)u_read_sstatus));
    EQ(r, 99);
    t_end();
}

static void test_access_fault(void)
{
    /* a hole in both QEMU's virt and rvisor-virt memory maps */
    volatile uint64_t *hole = (volatile uint64_t *)0x08000010ul;
    uint64_t v = 5;
    t_begin("traps.access-fault");
    trap_expect();
    v = *hole;
    TRAPPED(EXC_LOAD_ACCESS, (uint64_t)hole);
    trap_expect();
    *hole = 1;
    TRAPPED(EXC_STORE_ACCESS, (uint64_t)hole);
    trap_expect();
    ((void (*)(void))hole)();
    TRAPPED(EXC_INSN_ACCESS, (uint64_t)hole);
    (void)v;
    t_end();
}

int main(void)
{
    test_breakpoint();
    test_illegal();
    test_user();
    test_access_fault();
    return 0;
}
