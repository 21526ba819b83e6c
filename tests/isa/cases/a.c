/* SPDX-License-Identifier: MIT */
/*
 * a: the A extension (unprivileged spec 20191213, ch. 8): LR/SC pairing
 * rules that a single hart can observe, every AMO in .w and .d form (old
 * value returned, .w results sign-extended, neighbours untouched), and
 * misaligned LR/AMO raising an address-misaligned exception with stval = the
 * address (the spec says cause 6 for AMOs; 4 is accepted, QEMU 7.2 uses it),
 * and misaligned SC trapping or failing without a store.
 */
#include "isa.h"

static uint64_t mem[4] __attribute__((aligned(16)));

#define AMO(op, addr, v)                                                                           \
    ({                                                                                             \
        uint64_t r_;                                                                               \
        asm volatile(op " %0, %2, (%1)" : "=r"(r_) : "r"(addr), "r"(U64(v)) : "memory");           \
        r_;                                                                                        \
    })

/* memory word pairs: (old contents, operand) */
#define AMO_VALS(X)                                                                                \
    X(0x0000000000000005, 0x0000000000000003)                                                      \
    X(0xffffffffffffffff, 0x0000000000000001)                                                      \
    X(0x8000000000000000, 0x7fffffffffffffff)                                                      \
    X(0x7fffffff80000000, 0x80000000ffffffff)                                                      \
    X(0x123456789abcdef0, 0x0fedcba987654321)

#define CHK_AMO_D(op, m, v, res)                                                                   \
    mem[1] = m;                                                                                    \
    EQ(AMO(op, &mem[1], v), m);                                                                    \
    EQ(mem[1], K(res));                                                                            \
    EQ(mem[0] + mem[2], 0);

#define SMIN(a, b) (S64(a) < S64(b) ? U64(a) : U64(b))
#define SMAX(a, b) (S64(a) < S64(b) ? U64(b) : U64(a))
#define UMIN(a, b) (U64(a) < U64(b) ? U64(a) : U64(b))
#define UMAX(a, b) (U64(a) < U64(b) ? U64(b) : U64(a))
#define CHK_AMOS_D(m, v)                                                                           \
    CHK_AMO_D("amoswap.d", m, v, v)                                                                \
    CHK_AMO_D("amoadd.d", m, v, U64(m) + U64(v))                                                   \
    CHK_AMO_D("amoxor.d", m, v, U64(m) ^ U64(v))                                                   \
    CHK_AMO_D("amoand.d", m, v, U64(m) & U64(v))                                                   \
    CHK_AMO_D("amoor.d", m, v, U64(m) | U64(v))                                                    \
    CHK_AMO_D("amomin.d", m, v, SMIN(m, v))                                                        \
    CHK_AMO_D("amomax.d", m, v, SMAX(m, v))                                                        \
    CHK_AMO_D("amominu.d", m, v, UMIN(m, v))                                                       \
    CHK_AMO_D("amomaxu.d", m, v, UMAX(m, v))

/* .w: on the upper word of mem[1]; the lower word must survive, the result
 * is the sign-extended old word and only the low 32 bits of rs2 count. */
#define W32(x) ((uint32_t)U64(x))
#define CHK_AMO_W(op, m, v, res)                                                                   \
    mem[1] = 0x5a5a5a5a00000000ull | W32(m);                                                       \
    mem[1] = (uint64_t)W32(m) << 32 | 0x5a5a5a5a;                                                  \
    EQ(AMO(op, (uint32_t *)&mem[1] + 1, v), K(SX32(m)));                                           \
    EQ(mem[1], K((uint64_t)W32(res) << 32 | 0x5a5a5a5a));

#define SMINW(a, b) ((int32_t)W32(a) < (int32_t)W32(b) ? W32(a) : W32(b))
#define SMAXW(a, b) ((int32_t)W32(a) < (int32_t)W32(b) ? W32(b) : W32(a))
#define UMINW(a, b) (W32(a) < W32(b) ? W32(a) : W32(b))
#define UMAXW(a, b) (W32(a) < W32(b) ? W32(b) : W32(a))
#define CHK_AMOS_W(m, v)                                                                           \
    CHK_AMO_W("amoswap.w", m, v, v)                                                                \
    CHK_AMO_W("amoadd.w", m, v, W32(m) + W32(v))                                                   \
    CHK_AMO_W("amoxor.w", m, v, W32(m) ^ W32(v))                                                   \
    CHK_AMO_W("amoand.w", m, v, W32(m) & W32(v))                                                   \
    CHK_AMO_W("amoor.w", m, v, W32(m) | W32(v))                                                    \
    CHK_AMO_W("amomin.w", m, v, SMINW(m, v))                                                       \
    CHK_AMO_W("amomax.w", m, v, SMAXW(m, v))                                                       \
    CHK_AMO_W("amominu.w", m, v, UMINW(m, v))                                                      \
    CHK_AMO_W("amomaxu.w", m, v, UMAXW(m, v))

static void test_amo(void)
{
    t_begin("a.amo-d");
    mem[0] = mem[2] = 0;
    AMO_VALS(CHK_AMOS_D)
    t_end();
    t_begin("a.amo-w");
    AMO_VALS(CHK_AMOS_W)
    /* the lower word too, and ordering-annotated forms */
    mem[1] = 0x1111111180000000ull;
    EQ(AMO("amoadd.w.aqrl", &mem[1], 1), 0xffffffff80000000);
    EQ(mem[1], 0x1111111180000001ull);
    EQ(AMO("amoor.d.aq", &mem[1], 0x10), 0x1111111180000001ull);
    EQ(AMO("amoswap.w.rl", &mem[1], 0x7fffffff), 0xffffffff80000011);
    EQ(mem[1], 0x111111117fffffffull);
    /* rd = x0 still performs the memory operation */
    asm volatile("amoadd.d x0, %1, (%0)" ::"r"(&mem[1]), "r"(1ull) : "memory");
    EQ(mem[1], 0x1111111180000000ull);
    t_end();
}

static uint64_t lr_d(uint64_t *p)
{
    uint64_t v;
    asm volatile("lr.d %0, (%1)" : "=r"(v) : "r"(p) : "memory");
    return v;
}

static uint64_t lr_w(void *p)
{
    uint64_t v;
    asm volatile("lr.w %0, (%1)" : "=r"(v) : "r"(p) : "memory");
    return v;
}

static uint64_t sc_d(uint64_t *p, uint64_t v)
{
    uint64_t r;
    asm volatile("sc.d %0, %2, (%1)" : "=r"(r) : "r"(p), "r"(v) : "memory");
    return r;
}

static uint64_t sc_w(void *p, uint64_t v)
{
    uint64_t r;
    asm volatile("sc.w %0, %2, (%1)" : "=r"(r) : "r"(p), "r"(v) : "memory");
    return r;
}

static void test_lrsc(void)
{
    uint64_t r, v;
    t_begin("a.lr-sc");
    /* A plain LR/SC pair succeeds (rd = 0) and stores. The spec allows
     * spurious failure, so a constrained loop (§8.3) gets a few tries. */
    mem[1] = 0x1122334455667788;
    for (int i = 0; i < 8; i++) {
        v = lr_d(&mem[1]);
        asm volatile("" ::: "memory");
        r = sc_d(&mem[1], v + 1);
        if (r == 0)
            break;
    }
    EQ(r, 0);
    EQ(mem[1], 0x1122334455667789);
    /* lr.w sign-extends, sc.w stores 32 bits */
    mem[1] = 0x00000000fffffffe;
    for (int i = 0; i < 8; i++) {
        v = lr_w(&mem[1]);
        r = sc_w(&mem[1], 0x1234567880000000);
        if (r == 0)
            break;
    }
    EQ(v, 0xfffffffffffffffe);
    EQ(r, 0);
    EQ(mem[1], 0x0000000080000000);
    /* the same reservation cannot be used twice: the second SC fails and
     * does not store */
    for (int i = 0; i < 8; i++) {
        lr_d(&mem[1]);
        r = sc_d(&mem[1], 5);
        if (r == 0)
            break;
    }
    EQ(r, 0);
    r = sc_d(&mem[1], 6);
    TRUE(r != 0);
    EQ(mem[1], 5);
    /* an SC without any LR fails */
    mem[2] = 9;
    r = sc_w(&mem[2], 7);
    TRUE(r != 0);
    EQ(mem[2], 9);
    /* an SC to an address other than the LR's fails (§8.2: the SC must fail
     * if its address is not in the reservation set of the most recent LR) */
    mem[0] = 1;
    lr_d(&mem[1]);
    r = sc_d(&mem[3], 8);
    TRUE(r != 0);
    EQ(mem[3], 0);
    /* that failed SC also gave up the reservation on mem[1] */
    r = sc_d(&mem[1], 8);
    TRUE(r != 0);
    EQ(mem[1], 5);
    /* sc with rd = x0 */
    for (int i = 0; i < 8; i++) {
        lr_d(&mem[1]);
        asm volatile("sc.d x0, %1, (%0)\n" ::"r"(&mem[1]), "r"(77ull) : "memory");
        if (mem[1] == 77)
            break;
    }
    EQ(mem[1], 77);
    t_end();
}

/* An address-misaligned trap on addr: cause 6 (store/AMO) per the spec; QEMU
 * 7.2 reports 4 (load) for AMOs, and LR may report either. */
static void check_misaligned_trap(int line, const void *addr)
{
    if (trap_last.cause == EXC_LOAD_MISALIGNED)
        trap_check(line, EXC_LOAD_MISALIGNED, (uint64_t)addr);
    else
        trap_check(line, EXC_STORE_MISALIGNED, (uint64_t)addr);
}

/* A misaligned SC with no reservation at that address may trap (cause 6)
 * or just fail (QEMU 7.2 fails without touching memory); either way
 * nothing is stored. */
static void check_misaligned_sc(int line, uint64_t r, const void *addr)
{
    if (trap_last.count)
        trap_check(line, EXC_STORE_MISALIGNED, (uint64_t)addr);
    else
        rt_check(line, "misaligned sc fails", r != 0, 1);
}

static void test_misaligned(void)
{
    uint8_t *p = (uint8_t *)&mem[1];
    uint64_t r = 0;
    t_begin("a.misaligned");
    mem[1] = 0;
    trap_expect();
    AMO("amoadd.w", p + 2, 1);
    check_misaligned_trap(__LINE__, p + 2);
    trap_expect();
    AMO("amoswap.d", p + 4, 1);
    check_misaligned_trap(__LINE__, p + 4);
    trap_expect();
    AMO("amomaxu.d", p + 1, 1);
    check_misaligned_trap(__LINE__, p + 1);
    trap_expect();
    AMO("amoor.w", p + 3, 1);
    check_misaligned_trap(__LINE__, p + 3);
    EQ(mem[1], 0);
    trap_expect();
    lr_w(p + 1);
    check_misaligned_trap(__LINE__, p + 1);
    trap_expect();
    lr_d((uint64_t *)(p + 4));
    check_misaligned_trap(__LINE__, p + 4);
    trap_expect();
    r = sc_d((uint64_t *)(p + 2), 3);
    check_misaligned_sc(__LINE__, r, p + 2);
    trap_expect();
    r = sc_w(p + 6, 3);
    check_misaligned_sc(__LINE__, r, p + 6);
    EQ(mem[1], 0);
    t_end();
}

int main(void)
{
    test_amo();
    test_lrsc();
    test_misaligned();
    return 0;
}
