/* SPDX-License-Identifier: MIT */
/*
 * fpu_gen: golden results for src/cpu/fpu_test.c, produced by executing every F/D arithmetic
 * instruction on a real RISC-V: this is a riscv64 Linux program, run under qemu-riscv64
 * (whose FP emulation is bit-exact) by gen.sh. It is not part of the rvisor build.
 *
 * Each case sets fcsr (frm, fflags = 0), loads the operands into f11/f12/f14 and x11/x12,
 * executes one instruction with rd = 13, rs1 = 11, rs2 = 12, rs3 = 14 from a small code
 * buffer (so that all eight rm encodings can be produced at run time), and prints
 *
 *     <op> <rm> <frm> <a> [<b> [<c>]] -> <rd value> <fflags>      or      ... -> ILL
 *
 * with 64-bit register images in hex (binary32 operands as NaN-boxed or deliberately
 * unboxed images). A reserved rounding mode raises SIGILL, which the handler turns into ILL.
 * Cases: every rounding op with every rm/frm pair, cross products of special values, and
 * seeded random values biased toward ties, cancellation, overflow, underflow and integer
 * boundaries. Usage: gen SEED SCALE (SCALE multiplies the number of random cases).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

/* Encodings with all register fields and funct3 zero (unprivileged spec ch. 24 tables). */
#define OPFP(f5, fmt, rs2) (0x53u | (uint32_t)(fmt) << 25 | (uint32_t)(f5) << 27 | (rs2) << 20)
#define R4(opc, fmt) ((opc) | (uint32_t)(fmt) << 25)

enum cls { ARITH, FMA, SQRT, BIT2, CMP, F2I, I2F, F2F, MVX, MVF };

struct op {
    const char *name;
    uint32_t enc;
    int rounds; /* funct3 is a rounding mode; otherwise it is `f3` */
    int f3;
    int nsrc;
    char src; /* S, D (f registers), W, L (x registers) */
    enum cls cls;
};

static const struct op ops[] = {
    {"fmadd.s", R4(0x43, 0), 1, 0, 3, 'S', FMA},
    {"fmsub.s", R4(0x47, 0), 1, 0, 3, 'S', FMA},
    {"fnmsub.s", R4(0x4b, 0), 1, 0, 3, 'S', FMA},
    {"fnmadd.s", R4(0x4f, 0), 1, 0, 3, 'S', FMA},
    {"fadd.s", OPFP(0x00, 0, 0), 1, 0, 2, 'S', ARITH},
    {"fsub.s", OPFP(0x01, 0, 0), 1, 0, 2, 'S', ARITH},
    {"fmul.s", OPFP(0x02, 0, 0), 1, 0, 2, 'S', ARITH},
    {"fdiv.s", OPFP(0x03, 0, 0), 1, 0, 2, 'S', ARITH},
    {"fsqrt.s", OPFP(0x0b, 0, 0), 1, 0, 1, 'S', SQRT},
    {"fsgnj.s", OPFP(0x04, 0, 0), 0, 0, 2, 'S', BIT2},
    {"fsgnjn.s", OPFP(0x04, 0, 0), 0, 1, 2, 'S', BIT2},
    {"fsgnjx.s", OPFP(0x04, 0, 0), 0, 2, 2, 'S', BIT2},
    {"fmin.s", OPFP(0x05, 0, 0), 0, 0, 2, 'S', BIT2},
    {"fmax.s", OPFP(0x05, 0, 0), 0, 1, 2, 'S', BIT2},
    {"fcvt.w.s", OPFP(0x18, 0, 0), 1, 0, 1, 'S', F2I},
    {"fcvt.wu.s", OPFP(0x18, 0, 1), 1, 0, 1, 'S', F2I},
    {"fcvt.l.s", OPFP(0x18, 0, 2), 1, 0, 1, 'S', F2I},
    {"fcvt.lu.s", OPFP(0x18, 0, 3), 1, 0, 1, 'S', F2I},
    {"fmv.x.w", OPFP(0x1c, 0, 0), 0, 0, 1, 'S', MVX},
    {"fclass.s", OPFP(0x1c, 0, 0), 0, 1, 1, 'S', MVX},
    {"feq.s", OPFP(0x14, 0, 0), 0, 2, 2, 'S', CMP},
    {"flt.s", OPFP(0x14, 0, 0), 0, 1, 2, 'S', CMP},
    {"fle.s", OPFP(0x14, 0, 0), 0, 0, 2, 'S', CMP},
    {"fcvt.s.w", OPFP(0x1a, 0, 0), 1, 0, 1, 'W', I2F},
    {"fcvt.s.wu", OPFP(0x1a, 0, 1), 1, 0, 1, 'W', I2F},
    {"fcvt.s.l", OPFP(0x1a, 0, 2), 1, 0, 1, 'L', I2F},
    {"fcvt.s.lu", OPFP(0x1a, 0, 3), 1, 0, 1, 'L', I2F},
    {"fmv.w.x", OPFP(0x1e, 0, 0), 0, 0, 1, 'L', MVF},
    {"fmadd.d", R4(0x43, 1), 1, 0, 3, 'D', FMA},
    {"fmsub.d", R4(0x47, 1), 1, 0, 3, 'D', FMA},
    {"fnmsub.d", R4(0x4b, 1), 1, 0, 3, 'D', FMA},
    {"fnmadd.d", R4(0x4f, 1), 1, 0, 3, 'D', FMA},
    {"fadd.d", OPFP(0x00, 1, 0), 1, 0, 2, 'D', ARITH},
    {"fsub.d", OPFP(0x01, 1, 0), 1, 0, 2, 'D', ARITH},
    {"fmul.d", OPFP(0x02, 1, 0), 1, 0, 2, 'D', ARITH},
    {"fdiv.d", OPFP(0x03, 1, 0), 1, 0, 2, 'D', ARITH},
    {"fsqrt.d", OPFP(0x0b, 1, 0), 1, 0, 1, 'D', SQRT},
    {"fsgnj.d", OPFP(0x04, 1, 0), 0, 0, 2, 'D', BIT2},
    {"fsgnjn.d", OPFP(0x04, 1, 0), 0, 1, 2, 'D', BIT2},
    {"fsgnjx.d", OPFP(0x04, 1, 0), 0, 2, 2, 'D', BIT2},
    {"fmin.d", OPFP(0x05, 1, 0), 0, 0, 2, 'D', BIT2},
    {"fmax.d", OPFP(0x05, 1, 0), 0, 1, 2, 'D', BIT2},
    {"fcvt.s.d", OPFP(0x08, 0, 1), 1, 0, 1, 'D', F2F},
    {"fcvt.d.s", OPFP(0x08, 1, 0), 1, 0, 1, 'S', F2F},
    {"fcvt.w.d", OPFP(0x18, 1, 0), 1, 0, 1, 'D', F2I},
    {"fcvt.wu.d", OPFP(0x18, 1, 1), 1, 0, 1, 'D', F2I},
    {"fcvt.l.d", OPFP(0x18, 1, 2), 1, 0, 1, 'D', F2I},
    {"fcvt.lu.d", OPFP(0x18, 1, 3), 1, 0, 1, 'D', F2I},
    {"fmv.x.d", OPFP(0x1c, 1, 0), 0, 0, 1, 'D', MVX},
    {"fclass.d", OPFP(0x1c, 1, 0), 0, 1, 1, 'D', MVX},
    {"feq.d", OPFP(0x14, 1, 0), 0, 2, 2, 'D', CMP},
    {"flt.d", OPFP(0x14, 1, 0), 0, 1, 2, 'D', CMP},
    {"fle.d", OPFP(0x14, 1, 0), 0, 0, 2, 'D', CMP},
    {"fcvt.d.w", OPFP(0x1a, 1, 0), 1, 0, 1, 'W', I2F},
    {"fcvt.d.wu", OPFP(0x1a, 1, 1), 1, 0, 1, 'W', I2F},
    {"fcvt.d.l", OPFP(0x1a, 1, 2), 1, 0, 1, 'L', I2F},
    {"fcvt.d.lu", OPFP(0x1a, 1, 3), 1, 0, 1, 'L', I2F},
    {"fmv.d.x", OPFP(0x1e, 1, 0), 0, 0, 1, 'L', MVF},
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static uint32_t *code; /* per op and funct3: the instruction, then ret */

static uint64_t rng;

/* splitmix64: seeded, so the golden file is reproducible */
static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t d2b(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

static double b2d(uint64_t b)
{
    double d;
    memcpy(&d, &b, 8);
    return d;
}

static uint64_t f2b(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return 0xffffffff00000000ull | b;
}

static float b2f(uint64_t b)
{
    float f;
    uint32_t w = (uint32_t)b;
    memcpy(&f, &w, 4);
    return f;
}

/* ---- special values ---- */

static const double dspecial_vals[] = {
    1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 0.49999999999999994, 0.9999999999999999,
    1.0000000000000002, 2147483648.0, 2147483647.5, 2147483647.0, -2147483648.0,
    -2147483648.5, -2147483649.0, -2147483648.75, 4294967295.5, 4294967296.0, 4294967295.0,
    0x1p63, -0x1p63, 0x1p64, -0x1p64, 0x1.fffffffffffffp62, 0x1.fffffffffffffp63,
    -0x1.0000000000001p63, 0x1p24, 0x1p53, 0x1.0000000000001p53, 1e300, -1e-300, 0.1, -0.75,
};

static const uint64_t dspecial_bits[] = {
    0, 0x8000000000000000, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
    0xfff8000000000001, 0x7ff0000000000001, 0xfff4000000000000, 0x7ff7ffffffffffff,
    0x0000000000000001, 0x8000000000000001, 0x000fffffffffffff, 0x800fffffffffffff,
    0x0010000000000000, 0x8010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff,
    0x0010000000000001, 0x000ffffffffffffe, 0x0008000000000000,
};

static const float sspecial_vals[] = {
    1.0f, -1.0f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 3.0f, 0.49999997f, 0.99999994f, 1.0000001f,
    2147483648.0f, 2147483520.0f, -2147483648.0f, -2147483904.0f, 4294967296.0f,
    4294967040.0f, 0x1p63f, -0x1p63f, 0x1p64f, 0x1.fffffep62f, 0x1.fffffep63f, 0x1p24f,
    16777217.0f, 1e30f, -1e-30f, 0.1f, -0.75f,
};

static const uint64_t sspecial_bits[] = {
    0xffffffff00000000, 0xffffffff80000000, 0xffffffff7f800000, 0xffffffffff800000,
    0xffffffff7fc00000, 0xffffffffffc00001, 0xffffffff7f800001, 0xffffffffffa00000,
    0xffffffff7fbfffff, 0xffffffff00000001, 0xffffffff80000001, 0xffffffff007fffff,
    0xffffffff807fffff, 0xffffffff00800000, 0xffffffff80800000, 0xffffffff7f7fffff,
    0xffffffffff7fffff, 0xffffffff00800001, 0xffffffff007ffffe, 0xffffffff00400000,
    /* not NaN-boxed: read as the canonical NaN, except by fmv.x.w */
    0x000000003f800000, 0x7ff0000000000000, 0xfffffffe3f800000, 0x00000000ffffffff,
    0x7fffffff00000000,
};

/* The values crossed with each other: the classes that decide every special-case rule. */
static const uint64_t dcore[] = {
    0, 0x8000000000000000, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
    0x7ff4000000000000, 0x0000000000000001, 0x800fffffffffffff, 0x0010000000000000,
    0x7fefffffffffffff, 0xffefffffffffffff, 0x3ff0000000000000, 0xbff0000000000000,
    0x3ff8000000000000, 0x3ca0000000000000, 0x4340000000000001, 0xbfe0000000000000,
};
static const uint64_t score[] = {
    0xffffffff00000000, 0xffffffff80000000, 0xffffffff7f800000, 0xffffffffff800000,
    0xffffffff7fc00000, 0xffffffff7fa00000, 0xffffffff00000001, 0xffffffff807fffff,
    0xffffffff00800000, 0xffffffff7f7fffff, 0xffffffffff7fffff, 0xffffffff3f800000,
    0xffffffffbf800000, 0xffffffff3fc00000, 0xffffffff33800000, 0xffffffff4b800001,
    0x000000003f800000,
};
static const uint64_t dcore3[] = {0, 0x8000000000000000, 0x7ff0000000000000,
                                  0xfff0000000000000, 0x7ff8000000000000, 0x7ff4000000000000,
                                  0x3ff0000000000000, 0xbff8000000000000};
static const uint64_t score3[] = {0xffffffff00000000, 0xffffffff80000000, 0xffffffff7f800000,
                                  0xffffffffff800000, 0xffffffff7fc00000, 0xffffffff7fa00000,
                                  0xffffffff3f800000, 0xffffffffbfc00000};

static const uint64_t int_specials[] = {
    0, 1, 2, 3, 0xffffffffffffffff, 0x7fffffff, 0x80000000, 0xffffffff80000000, 0xffffffff,
    0x100000000, 0x7fffffffffffffff, 0x8000000000000000, 0x1000000, 0x1000001, 0x1000003,
    0xffffffffff000001, 0x20000000000000, 0x20000000000001, 0x20000000000003,
    0xffdfffffffffffff, 0x7ffffffffffffc00, 0x7ffffffffffffe00, 0x7ffffffffffffdff,
    0xfffffffffffff800, 0xfffffffffffffc00, 0x80000080, 0x7fffffc0, 0xdeadbeef00000005,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int nspecials(char src)
{
    return src == 'D' ? (int)(N(dspecial_vals) + N(dspecial_bits))
                      : (int)(N(sspecial_vals) + N(sspecial_bits));
}

static uint64_t special(char src, int i)
{
    if (src == 'D')
        return i < (int)N(dspecial_bits) ? dspecial_bits[i]
                                         : d2b(dspecial_vals[i - N(dspecial_bits)]);
    return i < (int)N(sspecial_bits) ? sspecial_bits[i] : f2b(sspecial_vals[i - N(sspecial_bits)]);
}

/* ---- random values ---- */

static uint64_t rand_sig(int fbits)
{
    uint64_t all = (1ull << fbits) - 1, m = rnd() & all;
    switch (rnd() % 8) {
    case 0: return m;
    case 1: return m & ~((1ull << (rnd() % (fbits + 1))) - 1);
    case 2: return (m | ((1ull << (rnd() % (fbits + 1))) - 1)) & all;
    case 3: return all >> (rnd() % (fbits + 1));
    case 4: return 1ull << (rnd() % fbits);
    case 5: return 0;
    case 6: return (all ^ (all >> (rnd() % (fbits + 1)))) | (rnd() & 1);
    default: return m & (all << (fbits - rnd() % 8)) & all;
    }
}

static uint64_t rand_exp(int ebits)
{
    int top = (1 << ebits) - 1, bias = top >> 1;
    switch (rnd() % 8) {
    case 0: return rnd() % (top + 1);
    case 1: return rnd() % 3;
    case 2: return top - 1 - rnd() % 3;
    case 3: return bias - 30 + rnd() % 61;
    default: return bias - 4 + rnd() % 9;
    }
}

static uint64_t pack(char src, uint64_t s, uint64_t e, uint64_t m)
{
    if (src == 'D')
        return s << 63 | e << 52 | m;
    return 0xffffffff00000000ull | s << 31 | e << 23 | m;
}

static int fbits_of(char src)
{
    return src == 'D' ? 52 : 23;
}

static int ebits_of(char src)
{
    return src == 'D' ? 11 : 8;
}

static uint64_t rand_fp_e(char src, int64_t e)
{
    int top = (1 << ebits_of(src)) - 1;
    if (e < 0)
        e = 0;
    if (e > top)
        e = top;
    return pack(src, rnd() & 1, (uint64_t)e, rand_sig(fbits_of(src)));
}

static uint64_t rand_fp(char src)
{
    if (rnd() % 10 == 0)
        return special(src, (int)(rnd() % nspecials(src)));
    if (src == 'S' && rnd() % 50 == 0)
        return rnd(); /* almost surely not NaN-boxed */
    return rand_fp_e(src, (int64_t)rand_exp(ebits_of(src)));
}

static int64_t exp_of(char src, uint64_t v)
{
    return src == 'D' ? (int64_t)(v >> 52 & 0x7ff) : (int64_t)(v >> 23 & 0xff);
}

/* Values near integers and the integer-range limits, for fcvt to an integer. */
static uint64_t rand_near_int(char src)
{
    static const double offs[] = {0, 0.5, -0.5, 0.25, 0.75, -0.25, 1.0 / 1024};
    int len = (int)(rnd() % 66);
    double k = len == 0 ? 0 : (double)(rnd() >> (64 - (len > 64 ? 64 : len)));
    double v;
    uint64_t b;

    if (rnd() % 3 == 0) {
        static const double lim[] = {0x1p31, 0x1p32, 0x1p63, 0x1p64, 0x1p31 - 1, 0x1p32 - 1};
        k = lim[rnd() % N(lim)];
    }
    v = k + offs[rnd() % N(offs)];
    if (rnd() & 1)
        v = -v;
    b = src == 'D' ? d2b(v) : f2b((float)v);
    /* step a few ulps away from the rounded value */
    if (rnd() % 3 == 0)
        b += (int64_t)(rnd() % 5) - 2;
    return b;
}

static uint64_t rand_int(void)
{
    uint64_t v;
    int len = (int)(rnd() % 65);
    if (rnd() % 8 == 0)
        return int_specials[rnd() % N(int_specials)];
    v = len ? rnd() >> (64 - len) : 0;
    switch (rnd() % 4) {
    case 0: v |= (1ull << (rnd() % 64)) - 1; break; /* runs of ones: ties and carries */
    case 1: v &= ~((1ull << (rnd() % 64)) - 1); break;
    default: break;
    }
    if (rnd() & 1)
        v = -v;
    return v;
}

/* ---- running one case ---- */

static volatile int got_ill;

static void on_ill(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)sig;
    (void)si;
    got_ill = 1;
    uc->uc_mcontext.__gregs[REG_PC] += 4; /* skip to the ret after the instruction */
}

static void run(const struct op *o, int rm, int frm, const uint64_t *v)
{
    const uint32_t *fn = code + ((o - ops) * 8 + rm) * 2;
    uint64_t fl, fr, xr, sent = 0x5a5a5a5a5a5a5a5aull, fcsr = (uint64_t)frm << 5;
    uint64_t a = v[0], b = v[1], c = v[2];
    int i;

    got_ill = 0;
    __asm__ volatile("fmv.d.x fa1, %[a]\n\t"
                     "fmv.d.x fa2, %[b]\n\t"
                     "fmv.d.x fa4, %[c]\n\t"
                     "fmv.d.x fa3, %[s]\n\t"
                     "mv a1, %[a]\n\t"
                     "mv a2, %[b]\n\t"
                     "mv a3, %[s]\n\t"
                     "fscsr %[fcsr]\n\t"
                     "jalr ra, 0(%[fn])\n\t"
                     "frflags %[fl]\n\t"
                     "fmv.x.d %[fr], fa3\n\t"
                     "mv %[xr], a3\n\t"
                     "fscsr zero\n\t"
                     : [fl] "=&r"(fl), [fr] "=&r"(fr), [xr] "=&r"(xr)
                     : [a] "r"(a), [b] "r"(b), [c] "r"(c), [s] "r"(sent), [fcsr] "r"(fcsr),
                       [fn] "r"(fn)
                     : "ra", "a1", "a2", "a3", "fa1", "fa2", "fa3", "fa4", "memory");
    printf("%s %d %d", o->name, rm, frm);
    for (i = 0; i < o->nsrc; i++)
        printf(" %016llx", (unsigned long long)v[i]);
    if (got_ill) {
        printf(" -> ILL\n");
        return;
    }
    int to_x = o->cls == F2I || o->cls == MVX || o->cls == CMP;
    printf(" -> %016llx %02x\n", (unsigned long long)(to_x ? xr : fr), (unsigned)fl);
}

/* A legal rounding mode, static or dynamic; occasionally a reserved one. */
static void pick_rm(const struct op *o, int *rm, int *frm)
{
    int r = (int)(rnd() % 40);
    *frm = (int)(rnd() % 8);
    if (!o->rounds) {
        *rm = o->f3;
    } else if (r < 28) {
        *rm = r % 5;
    } else if (r < 38) {
        *rm = 7;
        *frm = r % 5;
    } else {
        *rm = 7;
        *frm = 5 + (int)(rnd() % 3);
        if (r == 39)
            *rm = 5 + (int)(rnd() % 2);
    }
}

static uint64_t rand_src(const struct op *o)
{
    if (o->src == 'W' || o->src == 'L') {
        uint64_t v = rand_int();
        if (o->src == 'W' && rnd() % 2)
            v = (uint64_t)(int64_t)(int32_t)v; /* usually a proper sign-extended word */
        return v;
    }
    if (o->cls == F2I && rnd() % 2)
        return rand_near_int(o->src);
    return rand_fp(o->src);
}

/* Random operands, with the second and third tied to the first so that sums cancel and
 * tie, and products and quotients land near overflow and underflow. */
static void rand_case(const struct op *o, uint64_t *v)
{
    char s = o->src;
    int top = (1 << ebits_of(s)) - 1, bias = top >> 1, p = fbits_of(s) + 1;
    int64_t ea;

    v[0] = rand_src(o);
    v[1] = rand_src(o);
    v[2] = rand_src(o);
    if (o->cls != ARITH && o->cls != FMA && o->cls != BIT2 && o->cls != CMP)
        return;
    ea = exp_of(s, v[0]);
    switch (rnd() % 6) {
    case 0: /* close exponents */
        v[1] = rand_fp_e(s, ea + (int64_t)(rnd() % (2 * p + 9)) - p - 4);
        break;
    case 1: /* product near the top or bottom of the range */
        v[1] = rand_fp_e(s, (rnd() & 1 ? top + bias - 2 : bias + 1 - (int64_t)(rnd() % p)) - ea +
                                (int64_t)(rnd() % 5) - 2);
        break;
    case 2: /* quotient near the top or bottom of the range */
        v[1] = rand_fp_e(s, ea - (rnd() & 1 ? top - 2 : 1 - (int64_t)(rnd() % p)) + bias +
                                (int64_t)(rnd() % 5) - 2);
        break;
    case 3: /* equal magnitudes, or nearly */
        v[1] = (v[0] ^ (rnd() & 1 ? (s == 'D' ? 1ull << 63 : 1ull << 31) : 0)) +
               (int64_t)(rnd() % 3) - 1;
        break;
    default: break;
    }
    if (o->cls != FMA || rnd() % 2)
        return;
    /* an addend close to -(a*b): cancellation and sticky-bit cases */
    if (s == 'D') {
        double prod = b2d(v[0]) * b2d(v[1]);
        v[2] = d2b(rnd() & 1 ? -prod : prod) + (int64_t)(rnd() % 5) - 2;
        if (rnd() % 3 == 0)
            v[2] = rand_fp_e(s, exp_of(s, d2b(prod)) + (int64_t)(rnd() % (2 * p + 9)) - p - 4);
    } else {
        float prod = b2f(v[0]) * b2f(v[1]);
        v[2] = f2b(rnd() & 1 ? -prod : prod) + (int64_t)(rnd() % 5) - 2;
        if (rnd() % 3 == 0)
            v[2] = rand_fp_e(s, exp_of(s, f2b(prod)) + (int64_t)(rnd() % (2 * p + 9)) - p - 4);
    }
}

/* Results within a few ulps of the smallest normal and the largest finite number, where
 * tininess after rounding and overflow decide the flags: (1 - k ulp) * (2^emin + j ulp) and
 * friends, and binary64 values around the binary32 limits for fcvt.s.d. */
static void edge_cases(const struct op *o)
{
    static const double tiny_t[] = {0x1p-23, 0x1p-24, 0x1p-25, 0x1p-25 + 0x1p-50,
                                    0x1p-25 - 0x1p-50, 0x1p-26, 3 * 0x1p-25};
    static const double huge_t[] = {0x1p-25, 0x1p-24, 0x1p-24 - 0x1p-50, 0x1p-24 + 0x1p-50};
    int dbl = o->src == 'D', rm, j, k, neg;
    uint64_t one = dbl ? 0x3ff0000000000000 : 0xffffffff3f800000;
    uint64_t minn = dbl ? 0x0010000000000000 : 0xffffffff00800000;
    uint64_t maxf = dbl ? 0x7fefffffffffffff : 0xffffffff7f7fffff;
    uint64_t sign = dbl ? 1ull << 63 : 1ull << 31, v[3] = {0, 0, 0};

    for (rm = 0; rm < 5; rm++) {
        for (neg = 0; neg < 2; neg++) {
            if (!strcmp(o->name, "fcvt.s.d")) {
                for (j = 0; j < (int)N(tiny_t); j++) {
                    v[0] = d2b((neg ? -0x1p-126 : 0x1p-126) * (1 - tiny_t[j]));
                    run(o, rm, 0, v);
                }
                for (j = 0; j < (int)N(huge_t); j++) {
                    v[0] = d2b((neg ? -0x1.fffffep127 : 0x1.fffffep127) * (1 + huge_t[j]));
                    run(o, rm, 0, v);
                }
                continue;
            }
            for (k = 0; k < 4; k++) {
                for (j = 0; j < 4; j++) {
                    if (o->cls == FMA || !strncmp(o->name, "fmul", 4)) {
                        v[0] = (one - (uint64_t)k) ^ (neg ? sign : 0);
                        v[1] = minn + (uint64_t)j;
                        v[2] = (j & 1 ? sign : 0) | (dbl ? 0 : 0xffffffff00000000); /* fma: +-0 */
                        run(o, rm, 0, v);
                        v[1] = maxf - (uint64_t)j;
                        v[0] = (one + (uint64_t)k) ^ (neg ? sign : 0);
                        run(o, rm, 0, v);
                    } else if (!strncmp(o->name, "fdiv", 4)) {
                        v[0] = (minn + (uint64_t)j) ^ (neg ? sign : 0);
                        v[1] = one + (uint64_t)k;
                        run(o, rm, 0, v);
                        v[0] = (maxf - (uint64_t)j) ^ (neg ? sign : 0);
                        v[1] = one - (uint64_t)k;
                        run(o, rm, 0, v);
                    }
                }
            }
        }
    }
}

static void setup_code(void)
{
    size_t i;
    int rm;

    code = mmap(NULL, NOPS * 8 * 8, PROT_READ | PROT_WRITE | PROT_EXEC,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    for (i = 0; i < NOPS; i++) {
        for (rm = 0; rm < 8; rm++) {
            uint32_t f3 = ops[i].rounds ? (uint32_t)rm : (uint32_t)ops[i].f3;
            uint32_t enc = ops[i].enc | 13u << 7 | f3 << 12 | 11u << 15;
            if (ops[i].nsrc >= 2) /* one-source ops keep their fixed rs2 field */
                enc |= 12u << 20;
            if (ops[i].nsrc == 3)
                enc |= 14u << 27;
            code[(i * 8 + rm) * 2] = enc;
            code[(i * 8 + rm) * 2 + 1] = 0x00008067; /* ret */
        }
    }
    __builtin___clear_cache((char *)code, (char *)(code + NOPS * 16));
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
    int scale = argc > 2 ? atoi(argv[2]) : 1;
    struct sigaction sa;
    uint64_t v[3];
    size_t i;
    int rm, frm, j, k, l, n;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_ill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);
    setup_code();
    rng = seed;
    printf("# fpu golden: src/cpu/fpu_gen/gen.sh, seed %llu, scale %d\n",
           (unsigned long long)seed, scale);

    for (i = 0; i < NOPS; i++) {
        const struct op *o = &ops[i];
        const uint64_t *core = o->src == 'D' ? dcore : score;
        const uint64_t *core3 = o->src == 'D' ? dcore3 : score3;
        int ncore = o->src == 'D' ? (int)N(dcore) : (int)N(score);

        /* every rm encoding, and dynamic rounding under every frm */
        if (o->rounds) {
            for (rm = 0; rm < 15; rm++) {
                for (j = 0; j < 2; j++) {
                    rand_case(o, v);
                    run(o, rm < 7 ? rm : 7, rm < 7 ? (int)(rnd() % 8) : rm - 7, v);
                }
            }
        }
        /* special values: crossed for binary and ternary ops, all of them for unary ones */
        if (o->src == 'W' || o->src == 'L') {
            for (j = 0; j < (int)N(int_specials); j++) {
                for (rm = 0; rm < (o->rounds ? 5 : 1); rm++) {
                    v[0] = int_specials[j];
                    run(o, o->rounds ? rm : o->f3, (int)(rnd() % 8), v);
                }
            }
        } else if (o->nsrc == 1) {
            for (j = 0; j < nspecials(o->src); j++) {
                for (rm = 0; rm < (o->rounds ? 5 : 1); rm++) {
                    v[0] = special(o->src, j);
                    run(o, o->rounds ? rm : o->f3, (int)(rnd() % 8), v);
                }
            }
        } else if (o->nsrc == 2) {
            for (j = 0; j < ncore; j++) {
                for (k = 0; k < ncore; k++) {
                    v[0] = core[j];
                    v[1] = core[k];
                    pick_rm(o, &rm, &frm);
                    if (rm > 4 && (rm != 7 || frm > 4))
                        rm = (int)(rnd() % 5);
                    run(o, rm, frm, v);
                }
            }
        } else {
            for (j = 0; j < 8; j++) {
                for (k = 0; k < 8; k++) {
                    for (l = 0; l < 8; l++) {
                        v[0] = core3[j];
                        v[1] = core3[k];
                        v[2] = core3[l];
                        pick_rm(o, &rm, &frm);
                        if (rm > 4 && (rm != 7 || frm > 4))
                            rm = (int)(rnd() % 5);
                        run(o, rm, frm, v);
                    }
                }
            }
        }
        edge_cases(o);
        /* random cases */
        switch (o->cls) {
        case ARITH: case FMA: n = 250; break;
        case SQRT: case F2I: case F2F: n = 150; break;
        case I2F: n = 120; break;
        case BIT2: case CMP: n = 80; break;
        default: n = 50; break;
        }
        for (j = 0; j < n * scale; j++) {
            rand_case(o, v);
            pick_rm(o, &rm, &frm);
            run(o, rm, frm, v);
        }
    }
    return 0;
}
