/* SPDX-License-Identifier: MIT */
/*
 * smp_mp: message passing between harts with fences (unprivileged spec
 * 20191213, ch. 14 RVWMO, and §2.7 FENCE). Two producer/consumer pairs, one
 * after the other:
 *   seq   the producer fills an array, `fence w,w`, then publishes how many
 *         entries are valid; the consumer reads that count, `fence r,r`,
 *         and checks the newest and some older entries: never a stale one;
 *   ring  a single-producer single-consumer ring of 4-word messages with
 *         release/acquire fences (fence rw,w before publishing an index,
 *         fence r,rw after reading one): every message arrives, in order,
 *         intact, and the producer never overwrites an unread slot.
 * Then the store-buffering litmus test with fence rw,rw on two harts.
 *
 * isa-cpus: 4
 */
#include "isa.h"
#include "smp.h"

#define NPAIRS (ISA_CPUS / 2)
#define N_SEQ 16384    /* entries per pair */
#define SEQ_WINDOW 32  /* the producer stays at most this far ahead */
#define N_RING 8192    /* messages per pair */
#define SLOTS 512
#define N_SB 20000                 /* store-buffering rounds per pair, at most */
#define SB_TIME (2 * SMP_TIMEBASE) /* ... or this much guest time */

#define PAT(i, pair) ((uint64_t)(i)*0x9e3779b97f4a7c15ull ^ (uint64_t)(pair) << 56)

static inline void fence_ww(void)
{
    asm volatile("fence w, w" ::: "memory");
}
static inline void fence_rr(void)
{
    asm volatile("fence r, r" ::: "memory");
}
static inline void store_release(volatile uint32_t *p, uint32_t v)
{
    asm volatile("fence rw, w" ::: "memory");
    *p = v;
}
static inline uint32_t load_acquire(volatile uint32_t *p)
{
    uint32_t v = *p;
    asm volatile("fence r, rw" ::: "memory");
    return v;
}

struct seq_pair {
    uint64_t data[N_SEQ];
    volatile uint32_t count;
    volatile uint32_t last; /* the consumer's latest count, for back pressure */
    uint32_t seen;          /* distinct counts the consumer saw */
    uint32_t bad;           /* stale or wrong entries read */
    uint32_t backward;      /* count went down */
};
static struct seq_pair seq[NPAIRS] __attribute__((aligned(64)));

struct msg {
    uint64_t n, a, b, sum;
};
struct ring {
    struct msg slot[SLOTS];
    volatile uint32_t head __attribute__((aligned(64))); /* written by the producer */
    volatile uint32_t tail __attribute__((aligned(64))); /* written by the consumer */
    uint32_t bad, order;
};
static struct ring rings[NPAIRS] __attribute__((aligned(64)));

/* Roles by index: seq has 2p -> 2p+1, ring has 2p+1 -> 2p, so the boot
 * hart is a producer in one and a consumer in the other. */
static void seq_producer(struct seq_pair *q, int pair)
{
    uint64_t t0 = rdtime();
    for (uint32_t i = 0; i < N_SEQ; i++) {
        /* wait for the consumer now and then, so the two overlap even on a
         * host with fewer cores than harts */
        while (i % 8 == 0 && q->last + SEQ_WINDOW < i && rdtime() - t0 < SMP_TIMEOUT)
            smp_nap();
        q->data[i] = PAT(i, pair);
        fence_ww();
        q->count = i + 1;
    }
}

static void seq_consumer(struct seq_pair *q, int pair)
{
    uint32_t last = 0;
    uint64_t t0 = rdtime();
    while (last < N_SEQ && rdtime() - t0 < SMP_TIMEOUT) {
        uint32_t c = q->count;
        fence_rr();
        if (c < last)
            q->backward++;
        if (c == 0 || c == last)
            continue;
        q->seen++;
        last = c;
        q->last = c;
        if (q->data[c - 1] != PAT(c - 1, pair))
            q->bad++;
        if (q->data[c / 2] != PAT(c / 2, pair))
            q->bad++;
        if (q->data[(c - 1) & ~63u] != PAT((c - 1) & ~63u, pair))
            q->bad++;
    }
    q->seen |= last == N_SEQ ? 0 : 0x80000000u; /* flag a timeout */
}

static void ring_producer(struct ring *r, int pair)
{
    uint64_t t0 = rdtime();
    for (uint32_t n = 0; n < N_RING; n++) {
        while (n - load_acquire(&r->tail) >= SLOTS) {
            if (rdtime() - t0 > SMP_TIMEOUT)
                return;
            smp_nap();
        }
        struct msg *m = &r->slot[n % SLOTS];
        m->n = n;
        m->a = PAT(n, pair);
        m->b = ~m->a;
        m->sum = n + m->a;
        store_release(&r->head, n + 1);
    }
}

static void ring_consumer(struct ring *r, int pair)
{
    uint64_t t0 = rdtime();
    for (uint32_t n = 0; n < N_RING; n++) {
        while (load_acquire(&r->head) == n) {
            if (rdtime() - t0 > SMP_TIMEOUT)
                return;
            smp_nap();
        }
        struct msg *m = &r->slot[n % SLOTS];
        uint64_t mn = m->n, a = m->a, b = m->b, sum = m->sum;
        if (mn != n)
            r->order++;
        if (a != PAT(n, pair) || b != ~PAT(n, pair) || sum != n + PAT(n, pair))
            r->bad++;
        /* overwrite what was read: a producer that reused the slot too
         * early would be caught by the next reader of it */
        m->n = ~0ull;
        store_release(&r->tail, n + 1);
    }
}

/* One pair at a time, the other harts stopped: on a host with fewer cores
 * than harts, the two then really run at the same time. */
static volatile int phase; /* 0: seq, 1: ring */

static void role(struct smp_hart *me)
{
    int pair = me->index / 2;
    bool even = !(me->index & 1);
    if (phase == 0) {
        if (even)
            seq_producer(&seq[pair], pair);
        else
            seq_consumer(&seq[pair], pair);
    } else {
        if (even)
            ring_consumer(&rings[pair], pair);
        else
            ring_producer(&rings[pair], pair);
    }
}

static void run_pairs(int ph)
{
    phase = ph;
    for (int p = 0; p < NPAIRS; p++) {
        for (int i = 2 * p; i < 2 * p + 2; i++)
            if (i)
                smp_start(smp_ids[i], role, 0);
        if (p == 0)
            role(smp_boot());
        for (int i = 2 * p; i < 2 * p + 2; i++)
            if (i)
                smp_join(smp_ids[i]);
    }
}

/*
 * Store buffering (the "SB" litmus test, RVWMO appendix A): hart 0 does
 * x = 1; fence rw,rw; r0 = y and hart 1 does y = 1; fence rw,rw; r1 = x.
 * With the fences r0 = r1 = 0 is forbidden: a FENCE with W before and R
 * after must drain the store buffer (an x86 host's TSO reorders a store
 * with a later load, so this needs a real barrier there, unlike w,w and
 * r,r). Two harts only, so that both run at once on a two-core host; each
 * round starts with a handshake and uses fresh words.
 */
struct sb_state {
    volatile uint32_t at[2][16] __attribute__((aligned(64))); /* [side][0], own lines */
    uint32_t x[N_SB] __attribute__((aligned(64)));
    uint32_t y[N_SB] __attribute__((aligned(64)));
    uint32_t r[2][N_SB];
    uint32_t done[2];
};
static struct sb_state sb;

static void sb_side(int side)
{
    uint32_t *mine = side ? sb.y : sb.x, *theirs = side ? sb.x : sb.y;
    uint64_t t0 = rdtime();
    uint32_t i;
    for (i = 0; i < N_SB; i++) {
        __atomic_store_n(&sb.at[side][0], i + 1, __ATOMIC_RELEASE);
        while (__atomic_load_n(&sb.at[1 - side][0], __ATOMIC_ACQUIRE) < i + 1)
            if (rdtime() - t0 > SB_TIME)
                goto out;
        uint32_t r;
        asm volatile("sw %2, 0(%1)\n"
                     "fence rw, rw\n"
                     "lw %0, 0(%3)"
                     : "=&r"(r)
                     : "r"(&mine[i]), "r"(1), "r"(&theirs[i])
                     : "memory");
        sb.r[side][i] = r;
    }
out:
    sb.done[side] = i;
}

static void sb_secondary(struct smp_hart *me)
{
    sb_side(1);
}

static void test_sb(void)
{
    t_begin("smp.fence-sb");
    smp_start(smp_ids[1], sb_secondary, 0);
    sb_side(0);
    smp_join(smp_ids[1]);
    uint32_t n = sb.done[0] < sb.done[1] ? sb.done[0] : sb.done[1];
    uint32_t forbidden = 0, one_zero = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!sb.r[0][i] && !sb.r[1][i])
            forbidden++;
        else if (!sb.r[0][i] || !sb.r[1][i])
            one_zero++;
    }
    TRUE(n > 0);
    EQ(forbidden, 0);
    rt_note("%u rounds: %u with r0 = r1 = 0 (forbidden), %u with one 0", n, forbidden, one_zero);
    t_end();
}

int main(void)
{
    if (!smp_init())
        return 1;
    t_begin("smp.mp-seq");
    run_pairs(0);
    t_end();
    for (int p = 0; p < NPAIRS; p++) {
        t_begin(p ? "smp.mp-seq (pair 1)" : "smp.mp-seq (pair 0)");
        EQ(seq[p].count, K(N_SEQ));
        EQ(seq[p].seen >> 31, 0); /* the consumer saw the last entry */
        TRUE((seq[p].seen & 0x7fffffff) > 0);
        EQ(seq[p].bad, 0);
        EQ(seq[p].backward, 0);
        rt_note("consumer saw %u of %u counts", seq[p].seen & 0x7fffffff, N_SEQ);
        t_end();
    }
    t_begin("smp.mp-ring");
    run_pairs(1);
    t_end();
    for (int p = 0; p < NPAIRS; p++) {
        t_begin(p ? "smp.mp-ring (pair 1)" : "smp.mp-ring (pair 0)");
        EQ(rings[p].head, K(N_RING));
        EQ(rings[p].tail, K(N_RING));
        EQ(rings[p].bad, 0);
        EQ(rings[p].order, 0);
        t_end();
    }
    test_sb();
    return 0;
}
