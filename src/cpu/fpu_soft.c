/* SPDX-License-Identifier: MIT */
/*
 * fpu_soft: binary32/binary64 arithmetic in integer code for the F and D extensions
 * (unprivileged spec ch. 11-12, IEEE 754-2008). See fpu_soft.h for the contract.
 *
 * One representation serves both formats: a finite nonzero value is a sign, an unbiased
 * exponent e and a significand m with its leading one at bit 62, so the value is
 * m * 2^(e - 62). Each operation computes its result exactly, or truncated with the lowest
 * bit ORed with 1 when nonzero bits were dropped ("jamming"), always keeping at least two
 * bits between the jammed bit and the rounding position, so that round_pack() sees the
 * same round/sticky information as the exact value and rounds once.
 *
 * RISC-V specifics: tininess is detected after rounding, so UF needs tiny && inexact
 * (§11.4); every NaN result is the canonical NaN and only signaling NaN inputs raise NV
 * (§11.3); RMM rounds ties away from zero.
 */
#include "cpu/fpu_soft.h"

#include <math.h>

const struct fpu_fmt fpu_f32 = {.fbits = 23, .ebits = 8, .emax = 127, .qnan = 0x7fc00000};
const struct fpu_fmt fpu_f64 = {
    .fbits = 52, .ebits = 11, .emax = 1023, .qnan = 0x7ff8000000000000};

/* A finite nonzero value: (-1)^s * m * 2^(e - 62), m in [2^62, 2^63). */
struct unp {
    bool s;
    int e;
    uint64_t m;
};

static inline bool sign_of(const struct fpu_fmt *f, uint64_t a)
{
    return a >> (f->fbits + f->ebits) & 1;
}

static inline uint64_t sign_as(const struct fpu_fmt *f, bool s)
{
    return s ? fpu_sign_bit(f) : 0;
}

/* m >> n, with bit 0 set if any 1 was shifted out. */
static uint64_t shr_jam(uint64_t m, int n)
{
    if (n <= 0)
        return m;
    if (n >= 64)
        return m != 0;
    return m >> n | (m << (64 - n) != 0);
}

static unsigned __int128 shr_jam128(unsigned __int128 m, int n)
{
    if (n <= 0)
        return m;
    if (n >= 128)
        return m != 0;
    return m >> n | (m << (128 - n) != 0);
}

static int clz128(unsigned __int128 m)
{
    uint64_t hi = (uint64_t)(m >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)m);
}

static void unpack(const struct fpu_fmt *f, uint64_t a, struct unp *u)
{
    int e = (int)(a >> f->fbits) & ((1 << f->ebits) - 1);
    uint64_t m = a & ((1ull << f->fbits) - 1);

    u->s = sign_of(f, a);
    if (e == 0) {
        /* subnormal: value m * 2^(emin - fbits), normalised here */
        int sh = __builtin_clzll(m) - 1;
        u->m = m << sh;
        u->e = 1 - f->emax + 62 - f->fbits - sh;
    } else {
        u->m = (m | 1ull << f->fbits) << (62 - f->fbits);
        u->e = e - f->emax;
    }
}

/* Whether to add one unit in the last place, given the bits below it as a fraction `rem`
 * of which `half` is the midpoint; `odd` is the last kept bit. */
static bool round_up(int rm, bool s, uint64_t rem, uint64_t half, bool odd)
{
    switch (rm) {
    case FRM_RNE: return rem > half || (rem == half && odd);
    case FRM_RDN: return s && rem;
    case FRM_RUP: return !s && rem;
    case FRM_RMM: return rem >= half;
    default: return false; /* FRM_RTZ */
    }
}

/* IEEE 754-2008 §7.4: the modes that do not round toward the overflowed sign stop at the
 * largest finite number. */
static uint64_t overflow(const struct fpu_fmt *f, bool s, int rm, uint32_t *fl)
{
    uint64_t inf = sign_as(f, s) | fpu_inf(f);

    *fl |= FFLAG_OF | FFLAG_NX;
    if (rm == FRM_RTZ || (rm == FRM_RDN && !s) || (rm == FRM_RUP && s))
        return inf - 1;
    return inf;
}

/*
 * Round (-1)^s * m * 2^(e - 62) to format f and encode it. m is nonzero and below 2^63; its
 * low bit may be a sticky bit. This is the only place that rounds, so flags and tininess
 * are decided once for every operation.
 */
static uint64_t round_pack(const struct fpu_fmt *f, bool s, int e, uint64_t m, int rm,
                           uint32_t *fl)
{
    int x = 62 - f->fbits; /* bits below the last kept one: 10 or 39 */
    uint64_t lsb = 1ull << x, half = lsb >> 1, rem, q;
    int emin = 1 - f->emax, sh = __builtin_clzll(m) - 1;
    bool tiny = false;

    m <<= sh;
    e -= sh;
    if (e < emin) {
        /* §11.4: tininess after rounding. The result is tiny unless rounding to full
         * precision with an unbounded exponent carries it up to 2^emin. */
        tiny = e < emin - 1 || (m >> x) != (2ull << f->fbits) - 1 ||
               !round_up(rm, s, m & (lsb - 1), half, true);
        m = shr_jam(m, emin - e);
        e = emin;
    }
    rem = m & (lsb - 1);
    q = (m >> x) + round_up(rm, s, rem, half, m >> x & 1);
    if (rem) {
        *fl |= FFLAG_NX;
        if (tiny)
            *fl |= FFLAG_UF;
    }
    if (q >> (f->fbits + 1)) { /* rounding carried out of the top: q was all ones */
        q >>= 1;
        e++;
    }
    if (e > f->emax)
        return overflow(f, s, rm, fl);
    /* A subnormal (or zero) result has no hidden bit and the exponent field 0. */
    uint64_t field = q >> f->fbits ? (uint64_t)(e + f->emax) : 0;
    return sign_as(f, s) | field << f->fbits | (q & ((1ull << f->fbits) - 1));
}

static uint64_t nan_result(const struct fpu_fmt *f, uint64_t a, uint64_t b, uint32_t *fl)
{
    if (fpu_is_snan(f, a) || fpu_is_snan(f, b))
        *fl |= FFLAG_NV;
    return f->qnan;
}

static uint64_t invalid(const struct fpu_fmt *f, uint32_t *fl)
{
    *fl |= FFLAG_NV;
    return f->qnan;
}

/* IEEE 754-2008 §6.3: an exact zero sum of opposite-signed operands is +0, or -0 in RDN. */
static uint64_t zero_sum(const struct fpu_fmt *f, int rm)
{
    return sign_as(f, rm == FRM_RDN);
}

uint64_t fpu_soft_add(const struct fpu_fmt *f, uint64_t a, uint64_t b, int rm, uint32_t *fl)
{
    struct unp x, y, t;
    uint64_t m;

    if (fpu_is_nan(f, a) || fpu_is_nan(f, b))
        return nan_result(f, a, b, fl);
    if (fpu_is_inf(f, a) || fpu_is_inf(f, b)) {
        if (fpu_is_inf(f, a) && fpu_is_inf(f, b) && a != b)
            return invalid(f, fl);
        return fpu_is_inf(f, a) ? a : b;
    }
    if (fpu_is_zero(f, b))
        return fpu_is_zero(f, a) && a != b ? zero_sum(f, rm) : a;
    if (fpu_is_zero(f, a))
        return b;
    unpack(f, a, &x);
    unpack(f, b, &y);
    if (x.e < y.e || (x.e == y.e && x.m < y.m)) {
        t = x;
        x = y;
        y = t;
    }
    /* |x| >= |y|. y's significand has at least 10 zero low bits, so a 1-bit alignment
     * is exact and cancellation of more than one bit only happens without rounding. */
    y.m = shr_jam(y.m, x.e - y.e);
    if (x.s == y.s) {
        m = x.m + y.m;
        if (m >> 63) {
            m = shr_jam(m, 1);
            x.e++;
        }
    } else {
        m = x.m - y.m;
        if (m == 0)
            return zero_sum(f, rm);
    }
    return round_pack(f, x.s, x.e, m, rm, fl);
}

uint64_t fpu_soft_mul(const struct fpu_fmt *f, uint64_t a, uint64_t b, int rm, uint32_t *fl)
{
    bool s = sign_of(f, a) ^ sign_of(f, b);
    struct unp x, y;
    unsigned __int128 p;

    if (fpu_is_nan(f, a) || fpu_is_nan(f, b))
        return nan_result(f, a, b, fl);
    if (fpu_is_inf(f, a) || fpu_is_inf(f, b)) {
        if (fpu_is_zero(f, a) || fpu_is_zero(f, b))
            return invalid(f, fl);
        return sign_as(f, s) | fpu_inf(f);
    }
    if (fpu_is_zero(f, a) || fpu_is_zero(f, b))
        return sign_as(f, s);
    unpack(f, a, &x);
    unpack(f, b, &y);
    p = (unsigned __int128)x.m * y.m; /* in [2^124, 2^126) */
    return round_pack(f, s, x.e + y.e + 1, (uint64_t)(p >> 63) | ((uint64_t)p << 1 != 0), rm,
                      fl);
}

uint64_t fpu_soft_div(const struct fpu_fmt *f, uint64_t a, uint64_t b, int rm, uint32_t *fl)
{
    bool s = sign_of(f, a) ^ sign_of(f, b);
    struct unp x, y;
    unsigned __int128 n;
    uint64_t q;

    if (fpu_is_nan(f, a) || fpu_is_nan(f, b))
        return nan_result(f, a, b, fl);
    if (fpu_is_inf(f, a))
        return fpu_is_inf(f, b) ? invalid(f, fl) : sign_as(f, s) | fpu_inf(f);
    if (fpu_is_inf(f, b))
        return sign_as(f, s);
    if (fpu_is_zero(f, b)) {
        if (fpu_is_zero(f, a))
            return invalid(f, fl);
        *fl |= FFLAG_DZ;
        return sign_as(f, s) | fpu_inf(f);
    }
    if (fpu_is_zero(f, a))
        return sign_as(f, s);
    unpack(f, a, &x);
    unpack(f, b, &y);
    n = (unsigned __int128)x.m << 62;
    q = (uint64_t)(n / y.m); /* in (2^61, 2^63): at least 61 significant bits */
    return round_pack(f, s, x.e - y.e, q | (n != (unsigned __int128)q * y.m), rm, fl);
}

/* floor(sqrt(r)) for r in [2^124, 2^126), and whether it was inexact. */
static uint64_t isqrt128(unsigned __int128 r, bool *inexact)
{
    /* The host estimate is within about 2^10; one Newton step brings it within 1. */
    uint64_t s = (uint64_t)sqrt((double)r);
    s = (uint64_t)(((unsigned __int128)s + (uint64_t)(r / s)) / 2);
    while ((unsigned __int128)s * s > r)
        s--;
    while ((unsigned __int128)(s + 1) * (s + 1) <= r)
        s++;
    *inexact = (unsigned __int128)s * s != r;
    return s;
}

uint64_t fpu_soft_sqrt(const struct fpu_fmt *f, uint64_t a, int rm, uint32_t *fl)
{
    struct unp x;
    bool inexact;
    uint64_t s;

    if (fpu_is_nan(f, a))
        return nan_result(f, a, a, fl);
    if (fpu_is_zero(f, a)) /* sqrt(-0) = -0 */
        return a;
    if (sign_of(f, a))
        return invalid(f, fl);
    if (fpu_is_inf(f, a))
        return a;
    unpack(f, a, &x);
    /* value = m * 2^(e-62); shift m so the remaining power of two is even. */
    if (x.e & 1) {
        s = isqrt128((unsigned __int128)x.m << 63, &inexact);
        return round_pack(f, false, 62 + (x.e - 125) / 2, s | inexact, rm, fl);
    }
    s = isqrt128((unsigned __int128)x.m << 62, &inexact);
    return round_pack(f, false, 62 + (x.e - 124) / 2, s | inexact, rm, fl);
}

/* The exact a*b + c for finite nonzero a, b and finite c, then one rounding. */
static uint64_t fma_finite(const struct fpu_fmt *f, uint64_t a, uint64_t b, uint64_t c, int rm,
                           uint32_t *fl)
{
    struct unp x, y, z;
    unsigned __int128 p, cm, sum;
    bool s;
    int e, sh;

    unpack(f, a, &x);
    unpack(f, b, &y);
    s = x.s ^ y.s;
    p = (unsigned __int128)x.m * y.m; /* value p * 2^(e - 124), p < 2^126 */
    e = x.e + y.e;
    sum = p;
    if (!fpu_is_zero(f, c)) {
        unpack(f, c, &z);
        cm = (unsigned __int128)z.m << 62; /* value cm * 2^(z.e - 124) */
        /* Align to the larger exponent. Both significands have at least 20 zero low bits,
         * so a 1-bit shift is exact, and a larger one leaves the jammed bit far below the
         * rounding position even after cancellation. */
        if (e >= z.e) {
            cm = shr_jam128(cm, e - z.e);
        } else {
            p = shr_jam128(p, z.e - e);
            e = z.e;
        }
        if (s == z.s) {
            sum = p + cm;
        } else if (p >= cm) {
            sum = p - cm;
        } else {
            sum = cm - p;
            s = z.s;
        }
        if (sum == 0)
            return zero_sum(f, rm);
    }
    /* Bring the leading one to bit 62 of a 64-bit significand. */
    sh = 127 - clz128(sum) - 62;
    if (sh > 0)
        return round_pack(f, s, e - 62 + sh, (uint64_t)shr_jam128(sum, sh), rm, fl);
    return round_pack(f, s, e - 62 + sh, (uint64_t)sum << -sh, rm, fl);
}

uint64_t fpu_soft_fma(const struct fpu_fmt *f, uint64_t a, uint64_t b, uint64_t c, int rm,
                      uint32_t *fl)
{
    bool sp = sign_of(f, a) ^ sign_of(f, b);
    bool inf_zero = (fpu_is_inf(f, a) && fpu_is_zero(f, b)) ||
                    (fpu_is_zero(f, a) && fpu_is_inf(f, b));

    if (fpu_is_nan(f, a) || fpu_is_nan(f, b) || fpu_is_nan(f, c)) {
        /* §11.6: 0 * inf is invalid even when the addend is a quiet NaN */
        if (inf_zero || fpu_is_snan(f, c))
            *fl |= FFLAG_NV;
        return nan_result(f, a, b, fl);
    }
    if (inf_zero)
        return invalid(f, fl);
    if (fpu_is_inf(f, a) || fpu_is_inf(f, b)) {
        if (fpu_is_inf(f, c) && sign_of(f, c) != sp)
            return invalid(f, fl);
        return sign_as(f, sp) | fpu_inf(f);
    }
    if (fpu_is_inf(f, c))
        return c;
    if (fpu_is_zero(f, a) || fpu_is_zero(f, b)) {
        /* an exact zero product: the sum is c, or a signed zero */
        if (!fpu_is_zero(f, c) || sign_of(f, c) == sp)
            return c;
        return zero_sum(f, rm);
    }
    return fma_finite(f, a, b, c, rm, fl);
}

uint64_t fpu_soft_cvt(const struct fpu_fmt *to, const struct fpu_fmt *from, uint64_t a, int rm,
                      uint32_t *fl)
{
    bool s = sign_of(from, a);
    struct unp x;

    if (fpu_is_nan(from, a)) {
        if (fpu_is_snan(from, a))
            *fl |= FFLAG_NV;
        return to->qnan;
    }
    if (fpu_is_inf(from, a))
        return sign_as(to, s) | fpu_inf(to);
    if (fpu_is_zero(from, a))
        return sign_as(to, s);
    unpack(from, a, &x);
    return round_pack(to, s, x.e, x.m, rm, fl);
}

uint64_t fpu_soft_from_int(const struct fpu_fmt *f, bool neg, uint64_t mag, int rm, uint32_t *fl)
{
    if (mag == 0) /* integer zero converts to +0 in every rounding mode */
        return 0;
    if (mag >> 63)
        return round_pack(f, neg, 63, shr_jam(mag, 1), rm, fl);
    return round_pack(f, neg, 62, mag, rm, fl);
}

/* Table 11.4: NaN and too-large positive values give the largest integer, too-large negative
 * ones the smallest; NV and no NX. */
static uint64_t cvt_invalid(enum fpu_cvt to, bool neg, uint32_t *fl)
{
    static const uint64_t hi[] = {0x7fffffff, ~0ull, INT64_MAX, ~0ull};
    static const uint64_t lo[] = {0xffffffff80000000, 0, 0x8000000000000000, 0};

    *fl |= FFLAG_NV;
    return neg ? lo[to] : hi[to];
}

uint64_t fpu_soft_to_int(const struct fpu_fmt *f, uint64_t a, enum fpu_cvt to, int rm,
                         uint32_t *fl)
{
    bool is32 = to == FPU_CVT_W || to == FPU_CVT_WU;
    bool uns = to == FPU_CVT_WU || to == FPU_CVT_LU;
    /* the largest magnitude allowed for each sign */
    uint64_t max_pos = uns ? (is32 ? 0xffffffff : ~0ull) : (is32 ? 0x7fffffff : INT64_MAX);
    uint64_t max_neg = uns ? 0 : (is32 ? 1ull << 31 : 1ull << 63);
    uint64_t mag, rem, v;
    struct unp x;

    if (fpu_is_nan(f, a))
        return cvt_invalid(to, false, fl);
    if (fpu_is_zero(f, a))
        return 0;
    if (fpu_is_inf(f, a))
        return cvt_invalid(to, sign_of(f, a), fl);
    unpack(f, a, &x);
    if (x.e > 63)
        return cvt_invalid(to, x.s, fl);
    /* Split into integer part mag and the fraction rem, scaled so that 2^63 is one half. */
    if (x.e >= 62) {
        mag = x.m << (x.e - 62);
        rem = 0;
    } else if (x.e >= -1) {
        mag = x.m >> (62 - x.e);
        rem = x.m << (x.e + 2);
    } else {
        mag = 0;
        rem = 1; /* |a| < 1/2: all that matters is that it is not zero */
    }
    mag += round_up(rm, x.s, rem, 1ull << 63, mag & 1);
    if (mag > (x.s ? max_neg : max_pos))
        return cvt_invalid(to, x.s, fl);
    if (rem)
        *fl |= FFLAG_NX;
    v = x.s ? -mag : mag;
    return is32 ? (uint64_t)(int64_t)(int32_t)v : v;
}
