/* SPDX-License-Identifier: MIT */
/*
 * counters: Zicntr (unprivileged spec 20191213, ch. 10; privileged v1.12
 * §4.1.5): cycle, time and instret advance and are readable from S-mode
 * whatever scounteren says; from U-mode each is readable only while its
 * scounteren bit (CY=0, TM=1, IR=2) is set, else illegal instruction with
 * stval = the instruction bits.
 *
 * Under QEMU 7.2 + OpenSBI 1.1, U-mode rdtime is emulated by the firmware,
 * which ignores scounteren.TM; that one check runs off QEMU only.
 */
#include "isa.h"

static void spin(int n)
{
    for (volatile int i = 0; i < n; i++)
        ;
}

static void test_advance(void)
{
    t_begin("counters.advance");
    csr_write(scounteren, 0); /* no effect on S-mode */
    uint64_t c0 = rdcycle(), t0 = rdtime(), i0 = rdinstret();
    spin(20000);
    uint64_t c1 = rdcycle(), i1 = rdinstret();
    TRUE(c1 > c0);
    TRUE(i1 > i0);
    /* time: 10 MHz, so 1 ms is 10000 ticks; wait until it moved that much,
     * giving up after far more iterations than that can take */
    uint64_t t1 = t0, prev = t0;
    bool monotonic = true;
    for (long n = 0; n < 50000000 && t1 - t0 < 10000; n++) {
        t1 = rdtime();
        if (t1 < prev)
            monotonic = false;
        prev = t1;
    }
    TRUE(t1 - t0 >= 10000);
    TRUE(monotonic);
    /* the CSR names and the pseudo-instructions are the same registers */
    uint64_t a, b;
    asm volatile("csrr %0, time\n rdtime %1" : "=r"(a), "=r"(b));
    TRUE(b >= a && b - a < 10000000);
    t_end();
}

/* one U-mode counter read: returns the value, or ~0 if it trapped (the
 * handler skips the instruction, so the function returns its a0 input) */
static uint64_t user_read(char *fn, bool want_trap, int line)
{
    trap_expect();
    uint64_t v = rt_user_call(fn, ~0ull, 0);
    if (want_trap)
        trap_check(line, EXC_ILLEGAL, insn_bits((uint64_t)fn));
    else
        trap_none(line);
    return v;
}

/* U-mode rdtime with scounteren.TM = 0 */
static void user_rdtime_denied(int line)
{
    if (!rt_on_qemu())
        user_read(u_rdtime, true, line);
}

static void test_scounteren(void)
{
    t_begin("counters.scounteren");
    csr_write(scounteren, 0);
    user_read(u_rdcycle, true, __LINE__);
    user_rdtime_denied(__LINE__);
    user_read(u_rdinstret, true, __LINE__);
    csr_write(scounteren, 1);
    TRUE(user_read(u_rdcycle, false, __LINE__) != ~0ull);
    user_rdtime_denied(__LINE__);
    user_read(u_rdinstret, true, __LINE__);
    csr_write(scounteren, 2);
    user_read(u_rdcycle, true, __LINE__);
    uint64_t t = rdtime();
    uint64_t ut = user_read(u_rdtime, false, __LINE__);
    TRUE(ut >= t && ut != ~0ull);
    user_read(u_rdinstret, true, __LINE__);
    csr_write(scounteren, 4);
    user_read(u_rdcycle, true, __LINE__);
    user_rdtime_denied(__LINE__);
    TRUE(user_read(u_rdinstret, false, __LINE__) != ~0ull);
    csr_write(scounteren, 7);
    EQ(csr_read(scounteren) & 7, 7);
    user_read(u_rdcycle, false, __LINE__);
    user_read(u_rdtime, false, __LINE__);
    user_read(u_rdinstret, false, __LINE__);
    csr_write(scounteren, 0);
    EQ(csr_read(scounteren) & 7, 0);
    t_end();
}

int main(void)
{
    test_advance();
    test_scounteren();
    return 0;
}
