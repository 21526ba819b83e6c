/* SPDX-License-Identifier: MIT */
/*
 * smp_hsm: SBI Hart State Management (SBI spec v2.0 ch. 9) seen from the
 * harts:
 *   at-boot     every other hart started the moment the boot hart runs;
 *   status      hart_get_status for the boot hart, stopped, starting,
 *               started and stopping harts, and for ids that do not exist;
 *   entry       a started hart enters at start_addr in S-mode with
 *               a0 = hartid, a1 = opaque, satp = 0 and sstatus.SIE = 0;
 *   restart     a hart that stopped itself (hart_stop, which never returns)
 *               starts again at another address, many times over, with
 *               satp = 0 again even though it stopped with paging on;
 *   errors      hart_start of a started hart is SBI_ERR_ALREADY_AVAILABLE,
 *               of a hart that does not exist SBI_ERR_INVALID_PARAM;
 *   start-twice a second hart_start right after the first fails and does
 *               not change where or with what opaque the hart starts.
 *
 * isa-cpus: 4
 */
#include "isa.h"
#include "smp.h"
#include "vm.h"

static volatile uint32_t release;

static void nothing(struct smp_hart *me)
{
}

static void hold(struct smp_hart *me)
{
    smp_wait_ge(&release, 1);
}

static void test_at_boot(void)
{
    t_begin("smp.hsm-at-boot");
    for (int i = 1; i < smp_n; i++)
        EQ(smp_start(smp_ids[i], nothing, 0), 0);
    smp_join_others();
    t_end();
}

static bool started_or_pending(long s)
{
    return s == SBI_HSM_STARTED || s == SBI_HSM_START_PENDING;
}

static void test_status(void)
{
    t_begin("smp.hsm-status");
    EQ(smp_status(rt_hartid), SBI_HSM_STARTED);
    for (int i = 1; i < smp_n; i++)
        EQ(smp_status(smp_ids[i]), SBI_HSM_STOPPED);
    EQ(smp_status(ISA_CPUS), SBI_ERR_INVALID_PARAM);
    EQ(smp_status(4096), SBI_ERR_INVALID_PARAM);
    EQ(smp_status(~0ull), SBI_ERR_INVALID_PARAM);
    release = 0;
    uint32_t before[SMP_MAX];
    for (int i = 1; i < smp_n; i++) {
        before[i] = smp_harts[smp_ids[i]].started;
        EQ(smp_start(smp_ids[i], hold, 0), 0);
        TRUE(started_or_pending(smp_status(smp_ids[i])));
    }
    for (int i = 1; i < smp_n; i++) {
        TRUE(smp_wait_ge(&smp_harts[smp_ids[i]].started, before[i] + 1));
        EQ(smp_status(smp_ids[i]), SBI_HSM_STARTED);
    }
    release = 1;
    /* on its way down a hart is STARTED, then STOP_PENDING, then STOPPED */
    for (int i = 1; i < smp_n; i++) {
        uint64_t id = smp_ids[i], t0 = rdtime();
        long s, prev = SBI_HSM_STARTED;
        int bad = 0;
        while ((s = smp_status(id)) != SBI_HSM_STOPPED && rdtime() - t0 < SMP_TIMEOUT) {
            if ((s != SBI_HSM_STARTED && s != SBI_HSM_STOP_PENDING) ||
                (prev == SBI_HSM_STOP_PENDING && s == SBI_HSM_STARTED)) {
                if (!bad++)
                    rt_printf("  hart %lu: status %ld after %ld\n", id, s, prev);
            }
            prev = s;
        }
        EQ(s, SBI_HSM_STOPPED);
        EQ(bad, 0);
    }
    smp_join_others();
    t_end();
}

static void test_entry(void)
{
    t_begin("smp.hsm-entry");
    release = 0;
    uint32_t before[SMP_MAX];
    for (int i = 1; i < smp_n; i++)
        before[i] = smp_harts[smp_ids[i]].started;
    smp_start_others(hold, 0);
    for (int i = 1; i < smp_n; i++) {
        struct smp_hart *h = &smp_harts[smp_ids[i]];
        if (!TRUE(smp_wait_ge(&h->started, before[i] + 1)))
            continue;
        EQ(h->entry_a0, h->id);
        EQ(h->entry_a1, (uint64_t)h);
        EQ(h->entry_alt, 0);
        EQ(h->entry_satp, 0);
        EQ(h->entry_sstatus & SSTATUS_SIE, 0);
        /* and it is running: starting it again is refused */
        EQ(smp_start(h->id, hold, 0), SBI_ERR_ALREADY_AVAILABLE);
    }
    release = 1;
    smp_join_others();
    t_end();
}

/* The restarted hart turns paging on and stops with it on. */
static uint64_t paging_satp;

static void with_paging(struct smp_hart *me)
{
    csr_write(satp, paging_satp);
    asm volatile("sfence.vma" ::: "memory");
    SEQ(me, csr_read(satp), paging_satp);
}

#define CYCLES 20

static void test_restart(void)
{
    t_begin("smp.hsm-restart");
    pt_init(SATP_MODE_SV39);
    pt_identity();
    paging_satp = pt_satp();
    int bad = 0;
    for (int c = 0; c < CYCLES; c++) {
        bool alt = c & 1;
        uint32_t before[SMP_MAX];
        for (int i = 1; i < smp_n; i++) {
            uint64_t id = smp_ids[i];
            before[i] = smp_harts[id].started;
            long e = smp_start_at(id, alt ? rt_smp_entry_alt : rt_smp_entry, with_paging, 0);
            if (e && bad++ < 4)
                rt_printf("  cycle %d: hart_start(%lu) = %ld\n", c, id, e);
        }
        for (int i = 1; i < smp_n; i++) {
            struct smp_hart *h = &smp_harts[smp_ids[i]];
            if (!smp_join(h->id)) {
                bad++;
                continue;
            }
            if (h->started != before[i] + 1 || h->entry_alt != alt || h->entry_satp != 0 ||
                h->entry_a0 != h->id || h->entry_a1 != (uint64_t)h ||
                (h->entry_sstatus & SSTATUS_SIE)) {
                if (bad++ < 4)
                    rt_printf("  cycle %d: hart %lu entries %u (want %u) alt %lu satp 0x%lx "
                              "a0 %lu sstatus 0x%lx\n",
                              c, h->id, h->started, before[i] + 1, h->entry_alt, h->entry_satp,
                              h->entry_a0, h->entry_sstatus);
            }
        }
        if (bad)
            break;
    }
    EQ(bad, 0);
    t_end();
}

static void test_errors(void)
{
    t_begin("smp.hsm-errors");
    uint64_t x = smp_ids[1];
    EQ(smp_start(ISA_CPUS, nothing, 0), SBI_ERR_INVALID_PARAM);
    EQ(smp_start(4096, nothing, 0), SBI_ERR_INVALID_PARAM);
    EQ(smp_start(rt_hartid, nothing, 0), SBI_ERR_ALREADY_AVAILABLE);
    release = 0;
    uint32_t before = smp_harts[x].started;
    EQ(smp_start(x, hold, 0), 0);
    TRUE(smp_wait_ge(&smp_harts[x].started, before + 1));
    EQ(smp_start(x, nothing, 0), SBI_ERR_ALREADY_AVAILABLE);
    release = 1;
    smp_join(x);
    t_end();
}

/*
 * Two hart_start calls for one stopped hart, back to back: the first wins;
 * the second (SBI_ERR_ALREADY_AVAILABLE, or SBI_ERR_INVALID_PARAM from
 * OpenSBI while the hart is still START_PENDING) must not change the start
 * address or the opaque value the hart gets. The second names the other
 * entry and a decoy struct (same stacks, a different fn), so a hart that
 * took them says so.
 */
static struct smp_hart decoy;
static volatile uint32_t decoy_ran;
static void decoy_fn(struct smp_hart *me)
{
    decoy_ran = 1;
}

#define TWICE 200

static void test_start_twice(void)
{
    t_begin("smp.hsm-start-twice");
    uint64_t x = smp_ids[1];
    struct smp_hart *h = &smp_harts[x];
    int wrong = 0, accepted = 0;
    for (int n = 0; n < TWICE && !wrong && !accepted; n++) {
        decoy = *h;
        decoy.fn = decoy_fn;
        decoy_ran = 0;
        uint32_t before = h->started;
        h->fn = hold; /* so that it cannot stop again before the second call */
        h->done = 0;
        release = 0;
        asm volatile("fence rw, rw" ::: "memory");
        long e1 =
            sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, (long)x, (long)rt_smp_entry, (long)h).error;
        long e2 =
            sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, (long)x, (long)rt_smp_entry_alt, (long)&decoy)
                .error;
        EQ(e1, 0);
        if (e2 == 0)
            accepted++;
        else if (e2 != SBI_ERR_ALREADY_AVAILABLE && e2 != SBI_ERR_INVALID_PARAM)
            EQ(e2, SBI_ERR_ALREADY_AVAILABLE);
        /* wait until it ran (as itself or as the decoy) and stopped */
        uint64_t t0 = rdtime();
        while (h->started == before && decoy_ran == 0 && rdtime() - t0 < SMP_TIMEOUT)
            ;
        release = 1;
        while (smp_status(x) != SBI_HSM_STOPPED && rdtime() - t0 < SMP_TIMEOUT)
            ;
        if (decoy_ran || h->started != before + 1 || h->entry_alt != 0) {
            wrong++;
            rt_printf("  try %d: the hart started %s, at the %s entry\n", n,
                      decoy_ran ? "with the second call's opaque" : "with the first's",
                      (decoy_ran ? decoy.entry_alt : h->entry_alt) ? "second" : "first");
        }
    }
    EQ(accepted, 0);
    EQ(wrong, 0);
    EQ(smp_status(x), SBI_HSM_STOPPED);
    t_end();
}

int main(void)
{
    /* no settling delay: starting harts at once is the first check */
    if (!smp_init_now())
        return 1;
    test_at_boot();
    test_status();
    test_entry();
    test_restart();
    test_errors();
    test_start_twice();
    return 0;
}
