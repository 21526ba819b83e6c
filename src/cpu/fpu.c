/* SPDX-License-Identifier: MIT */
/*
 * fpu: executes the F and D extension ops (unprivileged spec ch. 11-12) on a hart: operand
 * fetch with NaN-boxing, rounding-mode checks, accrued flags, and the ops that are pure bit
 * manipulation (sign injection, min/max, compares, classify, moves).
 *
 * Arithmetic has two paths. The fast one uses the host FPU in its default
 * round-to-nearest-even mode, never touching the host's rounding mode or flags: it is taken
 * only for RNE and only when the result is finite and normal, where the host result is
 * exactly the IEEE one and no flag other than NX can be raised. NX is then free when the
 * guest has already accrued it (the common case after the first inexact op, as in QEMU's
 * "hardfloat"), and otherwise proven by an error-free transformation. Everything else
 * (directed rounding, RMM, NaNs, infinities, tiny or huge results) goes to fpu_soft.c,
 * which is bit-exact for all of it.
 *
 * The fast path assumes the vCPU thread keeps the host's default FP environment (RNE, no
 * flush-to-zero); nothing in rvisor calls fesetround(). Runs on the hart's vCPU thread; no
 * shared state.
 */
#include "cpu/fpu.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "cpu/fpu_soft.h"

/* The fast path needs float and double evaluated in their own precision (not x87) and the
 * exact IEEE semantics that -ffast-math gives away. Otherwise everything runs in software. */
#if FLT_EVAL_METHOD == 0 && !defined(__FAST_MATH__)
#define FPU_HOST 1
#else
#define FPU_HOST 0
#endif

#define F32_SIGN 0x80000000u
#define F64_SIGN 0x8000000000000000ull
#define BOX 0xffffffff00000000ull

/* One op's rounding mode and the flags it raises. */
struct fctx {
    int rm;      /* resolved: FRM_RNE..FRM_RMM */
    bool nx;     /* NX already accrued: the fast path need not prove exactness */
    uint32_t fl; /* flags raised by this op */
};

static inline double d_of(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof(d));
    return d;
}

static inline uint64_t bits_d(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof(b));
    return b;
}

static inline float f_of(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof(f));
    return f;
}

static inline uint32_t bits_f(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof(b));
    return b;
}

/* Normal and finite: no OF, and no UF because a result above the smallest normal cannot have
 * been tiny before rounding to it. NaN fails too. */
static inline bool normal_d(double r)
{
    return fabs(r) > DBL_MIN && fabs(r) <= DBL_MAX;
}

static inline bool normal_f(float r)
{
    return fabsf(r) > FLT_MIN && fabsf(r) <= FLT_MAX;
}

/* Dekker's Fast2Sum: with |big| >= |small| and r = big + small rounded and finite, r - big
 * is exact, so the sum was exact iff that gives small back. */
static inline bool sum_inexact_d(double r, double x, double y)
{
    return fabs(x) >= fabs(y) ? r - x != y : r - y != x;
}

static inline bool sum_inexact_f(float r, float x, float y)
{
    return fabsf(x) >= fabsf(y) ? r - x != y : r - y != x;
}

/*
 * binary64 fast paths. For mul, div and sqrt the residual (x*y - r, x - q*y, x - s*s) is
 * exactly representable, so fma() computes it exactly, when no intermediate comes near the
 * subnormal range; the 2^-960 and 2^-968 bounds keep every bit of it above 2^-1074.
 */
static uint64_t add_d(struct fctx *c, uint64_t a, uint64_t b)
{
#if FPU_HOST
    if (c->rm == FRM_RNE) {
        double x = d_of(a), y = d_of(b), r = x + y;
        /* a sum that is tiny is exact, so a finite sum only needs the NX check */
        if (fabs(r) <= DBL_MAX) {
            if (!c->nx && sum_inexact_d(r, x, y))
                c->fl |= FFLAG_NX;
            return bits_d(r);
        }
    }
#endif
    return fpu_soft_add(&fpu_f64, a, b, c->rm, &c->fl);
}

static uint64_t mul_d(struct fctx *c, uint64_t a, uint64_t b)
{
#if FPU_HOST
    if (c->rm == FRM_RNE) {
        double x = d_of(a), y = d_of(b), r = x * y;
        if (c->nx ? normal_d(r) : fabs(r) >= 0x1p-960 && fabs(r) <= DBL_MAX) {
            if (!c->nx && fma(x, y, -r) != 0)
                c->fl |= FFLAG_NX;
            return bits_d(r);
        }
        if (r == 0 && (x == 0 || y == 0)) /* exact zero; r would be NaN for 0 * inf */
            return bits_d(r);
    }
#endif
    return fpu_soft_mul(&fpu_f64, a, b, c->rm, &c->fl);
}

static uint64_t div_d(struct fctx *c, uint64_t a, uint64_t b)
{
#if FPU_HOST
    if (c->rm == FRM_RNE) {
        double x = d_of(a), y = d_of(b), q = x / y;
        if (c->nx ? normal_d(q)
                  : fabs(q) >= 0x1p-960 && fabs(q) <= DBL_MAX && fabs(x) >= 0x1p-968 &&
                        fabs(y) >= DBL_MIN) {
            if (!c->nx && fma(-q, y, x) != 0)
                c->fl |= FFLAG_NX;
            return bits_d(q);
        }
        if (q == 0 && x == 0) /* 0 / finite-or-inf: y is neither 0 nor NaN here */
            return bits_d(q);
    }
#endif
    return fpu_soft_div(&fpu_f64, a, b, c->rm, &c->fl);
}

static uint64_t sqrt_d(struct fctx *c, uint64_t a)
{
#if FPU_HOST
    if (c->rm == FRM_RNE) {
        double x = d_of(a);
        if (x > 0 && x <= DBL_MAX && (c->nx || x >= 0x1p-968)) {
            double r = sqrt(x);
            if (!c->nx && fma(-r, r, x) != 0)
                c->fl |= FFLAG_NX;
            return bits_d(r);
        }
    }
#endif
    return fpu_soft_sqrt(&fpu_f64, a, c->rm, &c->fl);
}

/* Proving a binary64 fma exact takes more work than the soft path, so the host is only
 * used once NX is accrued. */
static uint64_t fma_d(struct fctx *c, uint64_t a, uint64_t b, uint64_t d)
{
#if FPU_HOST
    if (c->rm == FRM_RNE && c->nx) {
        double r = fma(d_of(a), d_of(b), d_of(d));
        if (normal_d(r))
            return bits_d(r);
    }
#endif
    return fpu_soft_fma(&fpu_f64, a, b, d, c->rm, &c->fl);
}

/*
 * binary32 fast paths. A product or quotient check of two binary32 values is exact in
 * binary64 (24 + 24 bits), which makes the NX proofs simple and range-free.
 */
static uint32_t add_s(struct fctx *c, uint32_t a, uint32_t b)
{
#if FPU_HOST
    if (c->rm == FRM_RNE) {
        float x = f_of(a), y = f_of(b), r = x + y;
        if (fabsf(r) <= FLT_MAX) {
            if (!c->nx && sum_inexact_f(r, x, y))
                c->fl |= FFLAG_NX;
            return bits_f(r);
        }
    }
#endif
    return (uint32_t)fpu_soft_add(&fpu_f32, a, b, c->rm, &c->fl);
}

static uint32_t mul_s(struct fctx *c, uint32_t a, uint32_t b)
{
#if FPU_HOST
    if (c->rm == FRM_RNE) {
        double p = (double)f_of(a) * f_of(b); /* exact */
        float r = (float)p;                   /* the one rounding */
        if (normal_f(r)) {
            if (!c->nx && r != p)
                c->fl |= FFLAG_NX;
            return bits_f(r);
        }
        if (p == 0)
            return bits_f(r);
    }
#endif
    return (uint32_t)fpu_soft_mul(&fpu_f32, a, b, c->rm, &c->fl);
}

static uint32_t div_s(struct fctx *c, uint32_t a, uint32_t b)
{
#if FPU_HOST
    if (c->rm == FRM_RNE) {
        float x = f_of(a), y = f_of(b), q = x / y;
        if (normal_f(q)) {
            if (!c->nx && (double)q * y != x)
                c->fl |= FFLAG_NX;
            return bits_f(q);
        }
        if (q == 0 && x == 0)
            return bits_f(q);
    }
#endif
    return (uint32_t)fpu_soft_div(&fpu_f32, a, b, c->rm, &c->fl);
}

static uint32_t sqrt_s(struct fctx *c, uint32_t a)
{
#if FPU_HOST
    if (c->rm == FRM_RNE) {
        float x = f_of(a);
        if (x > 0 && x <= FLT_MAX) {
            float r = sqrtf(x);
            if (!c->nx && (double)r * r != x)
                c->fl |= FFLAG_NX;
            return bits_f(r);
        }
    }
#endif
    return (uint32_t)fpu_soft_sqrt(&fpu_f32, a, c->rm, &c->fl);
}

/* x*y is exact in binary64 and so is its sum with z unless Fast2Sum says otherwise; then
 * one conversion is the only rounding. If the sum was not exact, neither is the result, and
 * the host fmaf() rounds it once. */
static uint32_t fma_s(struct fctx *c, uint32_t a, uint32_t b, uint32_t d)
{
#if FPU_HOST
    if (c->rm == FRM_RNE) {
        float x = f_of(a), y = f_of(b), z = f_of(d), r;
        double p = (double)x * y, s = p + z;
        bool inexact = true;
        if (fabs(s) <= DBL_MAX) {
            if (!sum_inexact_d(s, p, z)) {
                r = (float)s;
                inexact = r != s;
            } else {
                r = fmaf(x, y, z);
            }
            if (normal_f(r)) {
                if (!c->nx && inexact)
                    c->fl |= FFLAG_NX;
                return bits_f(r);
            }
        }
    }
#endif
    return (uint32_t)fpu_soft_fma(&fpu_f32, a, b, d, c->rm, &c->fl);
}

static uint32_t cvt_s_d(struct fctx *c, uint64_t a)
{
#if FPU_HOST
    if (c->rm == FRM_RNE) {
        double x = d_of(a);
        float r = (float)x;
        if (normal_f(r)) {
            if (!c->nx && r != x)
                c->fl |= FFLAG_NX;
            return bits_f(r);
        }
    }
#endif
    return (uint32_t)fpu_soft_cvt(&fpu_f32, &fpu_f64, a, c->rm, &c->fl);
}

/* Every binary32 value but NaN is exact in binary64, in any rounding mode. */
static uint64_t cvt_d_s(struct fctx *c, uint32_t a)
{
#if FPU_HOST
    if (!fpu_is_nan(&fpu_f32, a))
        return bits_d((double)f_of(a));
#endif
    return fpu_soft_cvt(&fpu_f64, &fpu_f32, a, c->rm, &c->fl);
}

/* C casts compile to fcvt with RTZ. Inside (-2^31, 2^31) for W, (-2^63, 2^63) for L, and
 * above -1 for the unsigned forms, the result fits the destination and the host's truncating
 * conversion is exact; NX is whether it changed the value. */
static uint64_t to_int(struct fctx *c, const struct fpu_fmt *f, uint64_t a, enum fpu_cvt to)
{
#if FPU_HOST
    if (c->rm == FRM_RTZ) {
        double x = f == &fpu_f64 ? d_of(a) : f_of((uint32_t)a);
        double lim = to >= FPU_CVT_L ? 0x1p63 : 0x1p31;
        bool is_signed = to == FPU_CVT_W || to == FPU_CVT_L;
        if (x < lim && (x > -1 || (is_signed && x > -lim))) {
            int64_t i = (int64_t)x;
            if (i != x)
                c->fl |= FFLAG_NX;
            return (uint64_t)i;
        }
    }
#endif
    return fpu_soft_to_int(f, a, to, c->rm, &c->fl);
}

/* Integers of at most p bits convert exactly, in any rounding mode. */
static uint64_t from_int(struct fctx *c, const struct fpu_fmt *f, int64_t v, bool is_signed)
{
    bool neg = is_signed && v < 0;
    uint64_t mag = neg ? -(uint64_t)v : (uint64_t)v;
#if FPU_HOST
    if (mag >> (f->fbits + 1) == 0) {
        double d = neg ? -(double)mag : (double)mag;
        return f == &fpu_f64 ? bits_d(d) : bits_f((float)d);
    }
#endif
    return fpu_soft_from_int(f, neg, mag, c->rm, &c->fl);
}

/*
 * Bit-level ops. They never round, and NaN handling is by class alone.
 */

/* IEEE 754-2019 minimumNumber/maximumNumber, which the F extension adopted in version 2.2
 * (§11.6): a NaN operand yields the other one, -0 < +0, sNaN raises NV. */
static uint64_t minmax(const struct fpu_fmt *f, uint64_t a, uint64_t b, bool max, uint32_t *fl)
{
    bool na = fpu_is_nan(f, a), nb = fpu_is_nan(f, b), lt;
    uint64_t sign = fpu_sign_bit(f);

    if (fpu_is_snan(f, a) || fpu_is_snan(f, b))
        *fl |= FFLAG_NV;
    if (na || nb)
        return na && nb ? f->qnan : na ? b : a;
    if ((a ^ b) & sign)
        lt = a & sign;
    else
        lt = (a & sign) ? a > b : a < b;
    return lt != max ? a : b;
}

/* feq (quiet: NV only for sNaN), flt and fle (signaling: NV for any NaN), §11.8. */
static uint64_t compare(const struct fpu_fmt *f, uint64_t a, uint64_t b, int op, uint32_t *fl)
{
    enum { EQ, LT, LE };
    uint64_t sign = fpu_sign_bit(f);
    bool eq, lt;

    if (fpu_is_nan(f, a) || fpu_is_nan(f, b)) {
        if (op != EQ || fpu_is_snan(f, a) || fpu_is_snan(f, b))
            *fl |= FFLAG_NV;
        return 0;
    }
    eq = a == b || ((a | b) & ~sign) == 0;
    if (eq)
        lt = false;
    else if ((a ^ b) & sign)
        lt = a & sign;
    else
        lt = (a & sign) ? a > b : a < b;
    return op == EQ ? eq : op == LT ? lt : lt || eq;
}

/* fclass, table 11.5: one bit for each of the ten classes. */
static uint64_t fclass(const struct fpu_fmt *f, uint64_t a)
{
    bool neg = a & fpu_sign_bit(f);
    uint64_t e = a & fpu_inf(f);

    if (fpu_is_inf(f, a))
        return neg ? 1 << 0 : 1 << 7;
    if (fpu_is_nan(f, a))
        return fpu_is_snan(f, a) ? 1 << 8 : 1 << 9;
    if (fpu_is_zero(f, a))
        return neg ? 1 << 3 : 1 << 4;
    if (e == 0)
        return neg ? 1 << 2 : 1 << 5;
    return neg ? 1 << 1 : 1 << 6;
}

static uint64_t sgnj(uint64_t a, uint64_t b, uint64_t sign, int op)
{
    uint64_t s = op == 0 ? b : op == 1 ? ~b : a ^ b;
    return (a & ~sign) | (s & sign);
}

/*
 * Register access. A binary32 operand whose upper half is not all ones reads as the
 * canonical NaN (§12.2); binary32 results are written NaN-boxed.
 */
static inline uint32_t rs_s(const struct hart *h, unsigned r)
{
    uint64_t v = h->f[r];
    return (v & BOX) == BOX ? (uint32_t)v : (uint32_t)fpu_f32.qnan;
}

static inline void wr_s(struct hart *h, unsigned r, uint32_t v)
{
    h->f[r] = BOX | v;
    hart_fs_dirty(h);
}

static inline void wr_d(struct hart *h, unsigned r, uint64_t v)
{
    h->f[r] = v;
    hart_fs_dirty(h);
}

static inline void wr_x(struct hart *h, unsigned r, uint64_t v)
{
    if (r != 0)
        h->x[r] = v;
}

static inline uint64_t sext32(uint64_t v)
{
    return (uint64_t)(int64_t)(int32_t)v;
}

/* Ops whose funct3 is a rounding mode (the arithmetic and every fcvt). The others use
 * funct3 to select the op, which the decoder has already done. */
static bool op_rounds(unsigned op)
{
    switch (op) {
    case OP_FSGNJ_S: case OP_FSGNJN_S: case OP_FSGNJX_S: case OP_FMIN_S: case OP_FMAX_S:
    case OP_FMV_X_W: case OP_FCLASS_S: case OP_FEQ_S: case OP_FLT_S: case OP_FLE_S:
    case OP_FMV_W_X:
    case OP_FSGNJ_D: case OP_FSGNJN_D: case OP_FSGNJX_D: case OP_FMIN_D: case OP_FMAX_D:
    case OP_FMV_X_D: case OP_FCLASS_D: case OP_FEQ_D: case OP_FLT_D: case OP_FLE_D:
    case OP_FMV_D_X:
        return false;
    default:
        return true;
    }
}

static void exec_s(struct hart *h, const struct insn *in, struct fctx *c)
{
    uint32_t a = rs_s(h, in->rs1), b = rs_s(h, in->rs2), d = rs_s(h, in->rs3);
    uint64_t xs = h->x[in->rs1];
    const struct fpu_fmt *f = &fpu_f32;

    switch (in->op) {
    case OP_FMADD_S: wr_s(h, in->rd, fma_s(c, a, b, d)); break;
    case OP_FMSUB_S: wr_s(h, in->rd, fma_s(c, a, b, d ^ F32_SIGN)); break;
    case OP_FNMSUB_S: wr_s(h, in->rd, fma_s(c, a ^ F32_SIGN, b, d)); break;
    case OP_FNMADD_S: wr_s(h, in->rd, fma_s(c, a ^ F32_SIGN, b, d ^ F32_SIGN)); break;
    case OP_FADD_S: wr_s(h, in->rd, add_s(c, a, b)); break;
    case OP_FSUB_S: wr_s(h, in->rd, add_s(c, a, b ^ F32_SIGN)); break;
    case OP_FMUL_S: wr_s(h, in->rd, mul_s(c, a, b)); break;
    case OP_FDIV_S: wr_s(h, in->rd, div_s(c, a, b)); break;
    case OP_FSQRT_S: wr_s(h, in->rd, sqrt_s(c, a)); break;
    case OP_FSGNJ_S: wr_s(h, in->rd, (uint32_t)sgnj(a, b, F32_SIGN, 0)); break;
    case OP_FSGNJN_S: wr_s(h, in->rd, (uint32_t)sgnj(a, b, F32_SIGN, 1)); break;
    case OP_FSGNJX_S: wr_s(h, in->rd, (uint32_t)sgnj(a, b, F32_SIGN, 2)); break;
    case OP_FMIN_S: wr_s(h, in->rd, (uint32_t)minmax(f, a, b, false, &c->fl)); break;
    case OP_FMAX_S: wr_s(h, in->rd, (uint32_t)minmax(f, a, b, true, &c->fl)); break;
    case OP_FCVT_W_S: wr_x(h, in->rd, to_int(c, f, a, FPU_CVT_W)); break;
    case OP_FCVT_WU_S: wr_x(h, in->rd, to_int(c, f, a, FPU_CVT_WU)); break;
    case OP_FCVT_L_S: wr_x(h, in->rd, to_int(c, f, a, FPU_CVT_L)); break;
    case OP_FCVT_LU_S: wr_x(h, in->rd, to_int(c, f, a, FPU_CVT_LU)); break;
    case OP_FMV_X_W: wr_x(h, in->rd, sext32(h->f[in->rs1])); break; /* no NaN-box check */
    case OP_FCLASS_S: wr_x(h, in->rd, fclass(f, a)); break;
    case OP_FEQ_S: wr_x(h, in->rd, compare(f, a, b, 0, &c->fl)); break;
    case OP_FLT_S: wr_x(h, in->rd, compare(f, a, b, 1, &c->fl)); break;
    case OP_FLE_S: wr_x(h, in->rd, compare(f, a, b, 2, &c->fl)); break;
    case OP_FCVT_S_W: wr_s(h, in->rd, (uint32_t)from_int(c, f, (int32_t)xs, true)); break;
    case OP_FCVT_S_WU: wr_s(h, in->rd, (uint32_t)from_int(c, f, (uint32_t)xs, false)); break;
    case OP_FCVT_S_L: wr_s(h, in->rd, (uint32_t)from_int(c, f, (int64_t)xs, true)); break;
    case OP_FCVT_S_LU: wr_s(h, in->rd, (uint32_t)from_int(c, f, (int64_t)xs, false)); break;
    case OP_FMV_W_X: wr_s(h, in->rd, (uint32_t)xs); break;
    }
}

static void exec_d(struct hart *h, const struct insn *in, struct fctx *c)
{
    uint64_t a = h->f[in->rs1], b = h->f[in->rs2], d = h->f[in->rs3];
    uint64_t xs = h->x[in->rs1];
    const struct fpu_fmt *f = &fpu_f64;

    switch (in->op) {
    case OP_FMADD_D: wr_d(h, in->rd, fma_d(c, a, b, d)); break;
    case OP_FMSUB_D: wr_d(h, in->rd, fma_d(c, a, b, d ^ F64_SIGN)); break;
    case OP_FNMSUB_D: wr_d(h, in->rd, fma_d(c, a ^ F64_SIGN, b, d)); break;
    case OP_FNMADD_D: wr_d(h, in->rd, fma_d(c, a ^ F64_SIGN, b, d ^ F64_SIGN)); break;
    case OP_FADD_D: wr_d(h, in->rd, add_d(c, a, b)); break;
    case OP_FSUB_D: wr_d(h, in->rd, add_d(c, a, b ^ F64_SIGN)); break;
    case OP_FMUL_D: wr_d(h, in->rd, mul_d(c, a, b)); break;
    case OP_FDIV_D: wr_d(h, in->rd, div_d(c, a, b)); break;
    case OP_FSQRT_D: wr_d(h, in->rd, sqrt_d(c, a)); break;
    case OP_FSGNJ_D: wr_d(h, in->rd, sgnj(a, b, F64_SIGN, 0)); break;
    case OP_FSGNJN_D: wr_d(h, in->rd, sgnj(a, b, F64_SIGN, 1)); break;
    case OP_FSGNJX_D: wr_d(h, in->rd, sgnj(a, b, F64_SIGN, 2)); break;
    case OP_FMIN_D: wr_d(h, in->rd, minmax(f, a, b, false, &c->fl)); break;
    case OP_FMAX_D: wr_d(h, in->rd, minmax(f, a, b, true, &c->fl)); break;
    case OP_FCVT_S_D: wr_s(h, in->rd, cvt_s_d(c, a)); break;
    case OP_FCVT_D_S: wr_d(h, in->rd, cvt_d_s(c, rs_s(h, in->rs1))); break;
    case OP_FCVT_W_D: wr_x(h, in->rd, to_int(c, f, a, FPU_CVT_W)); break;
    case OP_FCVT_WU_D: wr_x(h, in->rd, to_int(c, f, a, FPU_CVT_WU)); break;
    case OP_FCVT_L_D: wr_x(h, in->rd, to_int(c, f, a, FPU_CVT_L)); break;
    case OP_FCVT_LU_D: wr_x(h, in->rd, to_int(c, f, a, FPU_CVT_LU)); break;
    case OP_FMV_X_D: wr_x(h, in->rd, a); break;
    case OP_FCLASS_D: wr_x(h, in->rd, fclass(f, a)); break;
    case OP_FEQ_D: wr_x(h, in->rd, compare(f, a, b, 0, &c->fl)); break;
    case OP_FLT_D: wr_x(h, in->rd, compare(f, a, b, 1, &c->fl)); break;
    case OP_FLE_D: wr_x(h, in->rd, compare(f, a, b, 2, &c->fl)); break;
    case OP_FCVT_D_W: wr_d(h, in->rd, from_int(c, f, (int32_t)xs, true)); break;
    case OP_FCVT_D_WU: wr_d(h, in->rd, from_int(c, f, (uint32_t)xs, false)); break;
    case OP_FCVT_D_L: wr_d(h, in->rd, from_int(c, f, (int64_t)xs, true)); break;
    case OP_FCVT_D_LU: wr_d(h, in->rd, from_int(c, f, (int64_t)xs, false)); break;
    case OP_FMV_D_X: wr_d(h, in->rd, xs); break;
    }
}

int fpu_exec(struct hart *h, const struct insn *in)
{
    struct fctx c = {.rm = FRM_RNE, .nx = h->fflags & FFLAG_NX, .fl = 0};

    if (op_rounds(in->op)) {
        /* guest-controlled: §11.2, a reserved rm, static or from frm, is illegal */
        c.rm = in->rm == FRM_DYN ? (int)h->frm : in->rm;
        if (c.rm > FRM_RMM)
            return -1;
    }
    if (in->op < OP_FMADD_D)
        exec_s(h, in, &c);
    else
        exec_d(h, in, &c);
    if (c.fl) {
        h->fflags |= c.fl;
        hart_fs_dirty(h);
    }
    return 0;
}
