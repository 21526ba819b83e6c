/* SPDX-License-Identifier: MIT */
/*
 * sbi: the SBI calls a guest kernel makes (SBI spec v2.0; rvisor answers them
 * itself, QEMU through OpenSBI): BASE (version, probe, unknown extension or
 * function -> SBI_ERR_NOT_SUPPORTED), all registers but a0/a1 preserved
 * across an ecall (§3), HSM hart status, IPI to self raising sip.SSIP,
 * RFENCE, and DBCN when it is offered.
 */
#include "isa.h"

#define SBI_EXT_BASE 0x10
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_RFENCE 0x52464E43
#define SBI_EXT_HSM 0x48534D
#define SBI_EXT_DBCN 0x4442434E
#define SBI_ERR_NOT_SUPPORTED (-2)

static long probe(long eid)
{
    struct sbiret r = sbi_call(SBI_EXT_BASE, 3, eid, 0, 0);
    return r.error ? -1 : r.value;
}

static void test_base(void)
{
    t_begin("sbi.base");
    struct sbiret r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0);
    EQ(r.error, 0);
    uint64_t major = ((uint64_t)r.value >> 24) & 0x7f, minor = (uint64_t)r.value & 0xffffff;
    TRUE(major > 0 || minor >= 2); /* v0.2 or later */
    rt_note("SBI spec version %lu.%lu", major, minor);
    EQ(sbi_call(SBI_EXT_BASE, 1, 0, 0, 0).error, 0); /* impl id */
    EQ(sbi_call(SBI_EXT_BASE, 2, 0, 0, 0).error, 0); /* impl version */
    TRUE(probe(SBI_EXT_BASE) > 0);
    TRUE(probe(SBI_EXT_TIME) > 0);
    TRUE(probe(SBI_EXT_IPI) > 0);
    TRUE(probe(SBI_EXT_RFENCE) > 0);
    TRUE(probe(SBI_EXT_HSM) > 0);
    TRUE(probe(SBI_EXT_SRST) > 0);
    EQ(probe(0x12345678), 0);
    EQ(sbi_call(0x12345678, 0, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
    EQ(sbi_call(SBI_EXT_BASE, 99, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
    t_end();
}

/* a pattern for register n */
#define PAT(n) (0x0101010101010101ull * (n) ^ 0x8040201008040201ull)

uint64_t sbi_regs_after[32]; /* global: the asm below names it */

static void test_preserved(void)
{
    uint64_t *after = sbi_regs_after;
    t_begin("sbi.registers-preserved");
    /* Every register but a0/a1 holds a pattern across an SBI call (a7 =
     * BASE, a6 = get_spec_version); they are saved on the stack, which sp
     * (preserved too) points at. */
    asm volatile(
        "addi sp, sp, -512\n"
        "sd ra, 256(sp)\n sd gp, 264(sp)\n sd tp, 272(sp)\n"
        ".irp r, 0,1,2,3,4,5,6,7,8,9,10,11\n sd s\\r, (280 + 8 * \\r)(sp)\n .endr\n"
        ".irp r, 1,3,4,5,6,7,8,9,12,13,14,15,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        " li x\\r, 0x0101010101010101 * \\r ^ 0x8040201008040201\n .endr\n"
        "li a6, 0\n li a7, 0x10\n"
        "ecall\n"
        ".irp r, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n sd x\\r, (8 * \\r)(sp)\n .endr\n"
        ".irp r, 17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n sd x\\r, (8 * \\r)(sp)\n .endr\n"
        "ld ra, 256(sp)\n ld gp, 264(sp)\n ld tp, 272(sp)\n"
        ".irp r, 0,1,2,3,4,5,6,7,8,9,10,11\n ld s\\r, (280 + 8 * \\r)(sp)\n .endr\n"
        "la t0, sbi_regs_after\n li t1, 0\n"
        "1: add t2, sp, t1\n ld t3, 0(t2)\n add t2, t0, t1\n sd t3, 0(t2)\n"
        " addi t1, t1, 8\n li t2, 256\n blt t1, t2, 1b\n"
        "addi sp, sp, 512\n"
        :
        :
        : "t0", "t1", "t2", "t3", "t4", "t5", "t6", "a0", "a1", "a2", "a3", "a4", "a5", "a6",
          "a7", "memory");
    int bad = 0;
    for (int n = 1; n < 32; n++) {
        uint64_t want = n == 16 ? 0 : n == 17 ? 0x10 : PAT(n);
        if (n == 2 || n == 10 || n == 11 || after[n] == want)
            continue;
        rt_printf("  x%d = 0x%lx after the call, was 0x%lx\n", n, after[n], want);
        bad++;
    }
    EQ(bad, 0);
    t_end();
}

static void test_hsm_ipi_rfence(void)
{
    t_begin("sbi.hsm-ipi-rfence");
    struct sbiret r = sbi_call(SBI_EXT_HSM, 2, (long)rt_hartid, 0, 0); /* hart_get_status */
    EQ(r.error, 0);
    EQ(r.value, 0); /* STARTED */
    EQ(sbi_call(SBI_EXT_HSM, 2, 4096, 0, 0).error, -3); /* SBI_ERR_INVALID_PARAM */
    /* an IPI to this hart: sip.SSIP (not taken: SIE = 0, sie = 0) */
    csr_write(sie, 0);
    csr_clear(sstatus, SSTATUS_SIE);
    csr_clear(sip, SIP_SSIP);
    r = sbi_call(SBI_EXT_IPI, 0, 1, (long)rt_hartid, 0);
    EQ(r.error, 0);
    uint64_t t0 = rdtime();
    while (!(csr_read(sip) & SIP_SSIP) && rdtime() - t0 < 100000000)
        ;
    EQ(csr_read(sip) & SIP_SSIP, SIP_SSIP);
    csr_clear(sip, SIP_SSIP);
    /* hart_mask_base = -1: all harts */
    EQ(sbi_call(SBI_EXT_IPI, 0, 0, -1, 0).error, 0);
    t0 = rdtime();
    while (!(csr_read(sip) & SIP_SSIP) && rdtime() - t0 < 100000000)
        ;
    EQ(csr_read(sip) & SIP_SSIP, SIP_SSIP);
    csr_clear(sip, SIP_SSIP);
    /* remote fences on this hart */
    EQ(sbi_call(SBI_EXT_RFENCE, 0, 1, (long)rt_hartid, 0).error, 0); /* fence.i */
    EQ(sbi_call(SBI_EXT_RFENCE, 1, 1, (long)rt_hartid, 0).error, 0); /* sfence.vma, all */
    t_end();
}

static void test_dbcn(void)
{
    static const char msg[] = "  dbcn: written through SBI DBCN\n";
    t_begin("sbi.dbcn");
    if (probe(SBI_EXT_DBCN) <= 0) {
        rt_note("DBCN not offered: skipped");
    } else {
        struct sbiret r = sbi_call(SBI_EXT_DBCN, 0, sizeof(msg) - 1, (long)msg, 0);
        EQ(r.error, 0);
        EQ(r.value, sizeof(msg) - 1);
        r = sbi_call(SBI_EXT_DBCN, 2, 'k', 0, 0); /* write_byte */
        EQ(r.error, 0);
        rt_putc('\n');
    }
    t_end();
}

int main(void)
{
    test_base();
    test_preserved();
    test_hsm_ipi_rfence();
    test_dbcn();
    return 0;
}
