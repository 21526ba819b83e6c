/* SPDX-License-Identifier: MIT */
/*
 * sret: privilege transitions (privileged spec v1.12 §4.1.1, §3.3.2):
 * sret goes to the mode in SPP with SIE = SPIE, then sets SPIE = 1 and
 * SPP = U; traps from U-mode record SPP = 0 and SPIE = the U-mode SIE;
 * U-mode code runs with U privilege (S CSRs are illegal) and gets its
 * argument registers.
 */
#include "isa.h"

/* sret to S-mode at the next instruction with the given SPIE; returns the
 * sstatus seen right after the sret. */
static uint64_t sret_to_s(bool spie)
{
    uint64_t st;
    csr_clear(sstatus, SSTATUS_SIE | SSTATUS_SPIE);
    csr_set(sstatus, SSTATUS_SPP | (spie ? SSTATUS_SPIE : 0));
    asm volatile("la t0, 1f\n csrw sepc, t0\n sret\n1: csrr %0, sstatus" : "=r"(st)::"t0");
    csr_clear(sstatus, SSTATUS_SIE);
    return st;
}

static void test_sret_s(void)
{
    uint64_t st;
    t_begin("sret.to-s");
    csr_write(sie, 0); /* SIE may become 1: nothing may interrupt */
    st = sret_to_s(true);
    EQ(st & (SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP), SSTATUS_SIE | SSTATUS_SPIE);
    st = sret_to_s(false);
    EQ(st & (SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP), SSTATUS_SPIE);
    t_end();
}

static void test_sret_u(void)
{
    t_begin("sret.to-u");
    csr_write(sie, 0);
    /* SPIE = 1: U runs with SIE = 1, the exit trap records SPIE = 1 */
    csr_set(sstatus, SSTATUS_SPIE);
    csr_clear(sstatus, SSTATUS_SIE);
    EQ(rt_user_call(u_ret, 0x1234, 0), 0x1234);
    EQ(rt_user_exit_sstatus & (SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE), SSTATUS_SPIE);
    /* SPIE = 0 */
    csr_clear(sstatus, SSTATUS_SPIE);
    EQ(rt_user_call(u_ret, 0xfedcba9876543210, 0), 0xfedcba9876543210);
    EQ(rt_user_exit_sstatus & (SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE), 0);
    /* after the sret into U-mode, SPP was U and SPIE 1 until the exit trap
     * rewrote them; coming back, S-mode has SIE as before (0) */
    EQ(csr_read(sstatus) & SSTATUS_SIE, 0);
    /* U-mode gets a0 and a1, and its stores land */
    static uint64_t cell;
    rt_user_call(u_store64, (uint64_t)&cell, 0xabcdef);
    EQ(cell, 0xabcdef);
    EQ(rt_user_call(u_load64, (uint64_t)&cell, 0), 0xabcdef);
    /* U-mode spins and returns its a1 */
    EQ(rt_user_call(u_spin, 1000, 17), 17);
    /* U-mode is really U: sstatus is not accessible */
    trap_expect();
    rt_user_call(u_read_sstatus, 5, 0);
    TRAPPED(EXC_ILLEGAL, insn_bits((uint64_t)u_read_sstatus));
    EQ(trap_last.status & SSTATUS_SPP, 0);
    /* the U-mode sepc is the faulting U instruction */
    EQ(trap_last.epc, (uint64_t)u_read_sstatus);
    t_end();
}

int main(void)
{
    test_sret_s();
    test_sret_u();
    return 0;
}
