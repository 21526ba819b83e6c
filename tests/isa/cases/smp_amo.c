/* SPDX-License-Identifier: MIT */
/*
 * smp_amo: AMOs under contention (unprivileged spec 20191213, ch. 8.4):
 * every hart adds to shared counters with amoadd.w and amoadd.d, and the
 * totals must be exact; each amoadd.w returns a distinct old value (every
 * value 0..N*K-1 exactly once); amoor/amomaxu/amominu combine across harts.
 * Then a spinlock made of amoswap.w.aq / amoswap.w.rl protects a plain
 * (non-atomic) counter and an owner word: exact total, never two owners.
 *
 * isa-cpus: 4
 */
#include "isa.h"
#include "smp.h"

#define NHARTS ISA_CPUS
#define K_ADD 200000         /* amoadd iterations per hart */
#define K_OLD 20000          /* amoadd iterations per hart that record the old value */
#define K_LOCK 50000         /* critical sections per hart */
#define ADD_D 0x100000001ull /* exercises the carry into the upper word */

static uint32_t cnt_w, cnt_old;
static uint64_t cnt_d;
static uint64_t bits_or;
static uint64_t max_u, min_u;
static uint64_t seen[(NHARTS * K_OLD + 63) / 64]; /* old values returned by amoadd.w */

static uint32_t lock;
static volatile uint64_t plain; /* protected by lock */
static volatile uint64_t owner; /* 1 + index of the holder, 0 when free */
static uint32_t collisions;

#define AMO(op, addr, v)                                                                           \
    ({                                                                                             \
        uint64_t r_;                                                                               \
        asm volatile(op " %0, %2, (%1)" : "=r"(r_) : "r"(addr), "r"(U64(v)) : "memory");           \
        r_;                                                                                        \
    })

static void adder(struct smp_hart *me)
{
    uint64_t idx = (uint64_t)me->index;
    if (!smp_barrier())
        SEQ(me, 0, 1);
    /* tight loops first: the more often the harts collide, the better */
    for (int i = 0; i < K_ADD; i++) {
        AMO("amoadd.w", &cnt_w, 1);
        smp_pace_every(me, i, i);
    }
    for (int i = 0; i < K_ADD; i++) {
        AMO("amoadd.d", &cnt_d, ADD_D);
        smp_pace_every(me, i, K_ADD + i);
    }
    for (int i = 0; i < K_OLD; i++) {
        uint32_t old = (uint32_t)AMO("amoadd.w", &cnt_old, 1);
        if (old < NHARTS * K_OLD)
            AMO("amoor.d", &seen[old / 64], 1ull << (old % 64));
        /* unique per (hart, i): the max and min over all harts are known */
        uint64_t v = (uint64_t)i * NHARTS + idx + 1;
        AMO("amomaxu.d", &max_u, v << 20);
        AMO("amominu.d", &min_u, v << 20);
        smp_pace_every(me, i, 2 * K_ADD + i);
    }
    AMO("amoor.d", &bits_or, 1ull << (idx * 8));
}

static void locker(struct smp_hart *me)
{
    uint64_t self = (uint64_t)me->index + 1;
    if (!smp_barrier())
        SEQ(me, 0, 1);
    for (int i = 0; i < K_LOCK; i++) {
        uint64_t one = 1, got;
        do
            asm volatile("amoswap.w.aq %0, %2, (%1)" : "=r"(got) : "r"(&lock), "r"(one) : "memory");
        while (got);
        if (owner != 0)
            collisions++; /* only ever touched inside the lock */
        owner = self;
        uint64_t v = plain;
        for (volatile int d = 0; d < 4; d++) /* widen the window a broken lock leaves */
            ;
        plain = v + 1;
        if (owner != self)
            collisions++;
        owner = 0;
        asm volatile("amoswap.w.rl zero, zero, (%0)" ::"r"(&lock) : "memory");
        smp_pace_every(me, i, i);
    }
}

static void test_amoadd(void)
{
    t_begin("smp.amoadd");
    min_u = ~0ull;
    smp_pace_reset();
    smp_start_others(adder, 0);
    adder(smp_boot());
    smp_join_others();
    EQ(cnt_w, K(NHARTS * K_ADD));
    EQ(cnt_d, K(NHARTS * K_ADD * ADD_D));
    EQ(cnt_old, K(NHARTS * K_OLD));
    int missing = 0;
    for (unsigned i = 0; i < NHARTS * K_OLD; i++)
        if (!(seen[i / 64] >> (i % 64) & 1))
            missing++;
    EQ(missing, 0); /* with the exact total: every old value exactly once */
    EQ(bits_or, K(0x01010101ull & ((1ull << (8 * NHARTS)) - 1)));
    EQ(max_u, K((uint64_t)((K_OLD - 1) * NHARTS + NHARTS) << 20));
    EQ(min_u, K(1ull << 20));
    t_end();
}

static void test_spinlock(void)
{
    t_begin("smp.amoswap-lock");
    smp_pace_reset();
    smp_start_others(locker, 0);
    locker(smp_boot());
    smp_join_others();
    EQ(plain, K(NHARTS * K_LOCK));
    EQ(collisions, 0);
    EQ(lock, 0);
    t_end();
}

int main(void)
{
    if (!smp_init())
        return 1;
    test_amoadd();
    test_spinlock();
    return 0;
}
