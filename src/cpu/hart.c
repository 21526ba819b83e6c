/* SPDX-License-Identifier: MIT */
/*
 * hart: reset state and the register dump printed when a guest dies.
 */
#include "cpu/hart.h"
#include "cpu/mmu.h"

#include <stdio.h>

void hart_reset(struct hart *h, int hartid, uint64_t entry)
{
    struct physmap *pm = h->pm;
    struct dcache *dc = h->dcache;
    uint64_t (*rt)(void *) = h->read_time;
    void *rto = h->time_opaque;
    void (*kick)(struct hart *) = h->kick;
    void *owner = h->owner;
    memset(h, 0, sizeof(*h));
    h->pm = pm;
    h->dcache = dc;
    h->read_time = rt;
    h->time_opaque = rto;
    h->kick = kick;
    h->owner = owner;
    h->hartid = hartid;
    h->pc = entry;
    h->priv = PRV_S;
    /* As firmware (OpenSBI) leaves it: U-mode may read cycle/time/instret,
     * which the vDSO's clock_gettime relies on; Linux itself only sets it
     * from its SBI PMU driver, which we do not offer. */
    h->scounteren = 7;
    h->stimecmp = ~0ull;
    h->resv = ~0ull;
    mmu_flush(h);
}

void hart_dump(const struct hart *h)
{
    static const char *abi[32] = {"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2",
                                  "s0",   "s1", "a0", "a1", "a2",  "a3",  "a4", "a5",
                                  "a6",   "a7", "s2", "s3", "s4",  "s5",  "s6", "s7",
                                  "s8",   "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
    fprintf(stderr, "hart %d: pc %016llx priv %s\r\n", h->hartid, (unsigned long long)h->pc,
            h->priv == PRV_S ? "S" : "U");
    for (int i = 0; i < 32; i += 4)
        fprintf(stderr, " %-4s %016llx  %-4s %016llx  %-4s %016llx  %-4s %016llx\r\n", abi[i],
                (unsigned long long)h->x[i], abi[i + 1], (unsigned long long)h->x[i + 1],
                abi[i + 2], (unsigned long long)h->x[i + 2], abi[i + 3],
                (unsigned long long)h->x[i + 3]);
    fprintf(stderr,
            " sstatus %016llx stvec %016llx sepc %016llx scause %016llx\r\n"
            " stval %016llx satp %016llx sie %03llx sip %03llx\r\n",
            (unsigned long long)h->status, (unsigned long long)h->stvec,
            (unsigned long long)h->sepc, (unsigned long long)h->scause,
            (unsigned long long)h->stval, (unsigned long long)h->satp,
            (unsigned long long)h->sie, (unsigned long long)atomic_load(&h->mip));
}
