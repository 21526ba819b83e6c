/* SPDX-License-Identifier: MIT */
/*
 * fpu_soft: IEEE 754-2008 binary32/binary64 arithmetic in integer code, bit-exact with the
 * RISC-V F and D extensions (unprivileged spec ch. 11-12). fpu.c uses it for every case its
 * host-FPU fast path cannot prove exact: directed rounding, RMM, underflow, overflow, NaNs.
 *
 * Operands and results are raw encodings in the low bits of a uint64_t (a binary32 value is
 * NOT NaN-boxed here; fpu.c boxes and unboxes). Flags raised are ORed into *fl as FFLAG_*.
 * `rm` must be a valid rounding mode (FRM_RNE..FRM_RMM): the caller resolves FRM_DYN and
 * rejects reserved values. Pure functions: safe on any thread.
 */
#ifndef RV_CPU_FPU_SOFT_H
#define RV_CPU_FPU_SOFT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/hart.h"

/* Rounding modes as encoded in rm and frm (unprivileged spec §11.2, table 11.1). */
enum { FRM_RNE = 0, FRM_RTZ = 1, FRM_RDN = 2, FRM_RUP = 3, FRM_RMM = 4, FRM_DYN = 7 };

/* Integer destinations of fcvt.{w,wu,l,lu}.{s,d}. */
enum fpu_cvt { FPU_CVT_W, FPU_CVT_WU, FPU_CVT_L, FPU_CVT_LU };

/* A binary interchange format. The exponent bias equals emax. */
struct fpu_fmt {
    int fbits;     /* stored fraction bits: 23 or 52 */
    int ebits;     /* exponent field bits: 8 or 11 */
    int emax;      /* 127 or 1023 */
    uint64_t qnan; /* the canonical NaN RISC-V produces (§11.3) */
};

extern const struct fpu_fmt fpu_f32, fpu_f64;

static inline uint64_t fpu_sign_bit(const struct fpu_fmt *f)
{
    return 1ull << (f->fbits + f->ebits);
}

static inline uint64_t fpu_inf(const struct fpu_fmt *f)
{
    return ((1ull << f->ebits) - 1) << f->fbits;
}

static inline bool fpu_is_nan(const struct fpu_fmt *f, uint64_t a)
{
    return (a & (fpu_sign_bit(f) - 1)) > fpu_inf(f);
}

/* A signaling NaN has the top fraction bit clear (IEEE 754-2008 §6.2.1). */
static inline bool fpu_is_snan(const struct fpu_fmt *f, uint64_t a)
{
    return fpu_is_nan(f, a) && !(a >> (f->fbits - 1) & 1);
}

static inline bool fpu_is_inf(const struct fpu_fmt *f, uint64_t a)
{
    return (a & (fpu_sign_bit(f) - 1)) == fpu_inf(f);
}

static inline bool fpu_is_zero(const struct fpu_fmt *f, uint64_t a)
{
    return (a & (fpu_sign_bit(f) - 1)) == 0;
}

/* a + b, rounded once. fsub is fpu_soft_add(a, b ^ sign). */
uint64_t fpu_soft_add(const struct fpu_fmt *f, uint64_t a, uint64_t b, int rm, uint32_t *fl);
uint64_t fpu_soft_mul(const struct fpu_fmt *f, uint64_t a, uint64_t b, int rm, uint32_t *fl);
uint64_t fpu_soft_div(const struct fpu_fmt *f, uint64_t a, uint64_t b, int rm, uint32_t *fl);
uint64_t fpu_soft_sqrt(const struct fpu_fmt *f, uint64_t a, int rm, uint32_t *fl);

/* a * b + c with one rounding. The fmsub/fnmsub/fnmadd forms negate a and/or c first, which
 * is exactly how the spec defines them (-(a*b) is (-a)*b). 0 * inf raises NV even when c is
 * a quiet NaN (§11.6). */
uint64_t fpu_soft_fma(const struct fpu_fmt *f, uint64_t a, uint64_t b, uint64_t c, int rm,
                      uint32_t *fl);

/* fcvt.s.d / fcvt.d.s: the value `a` of format `from`, rounded to format `to`. */
uint64_t fpu_soft_cvt(const struct fpu_fmt *to, const struct fpu_fmt *from, uint64_t a, int rm,
                      uint32_t *fl);

/* fcvt.{s,d}.{w,wu,l,lu}: the integer (neg ? -mag : mag), rounded to format `f`. */
uint64_t fpu_soft_from_int(const struct fpu_fmt *f, bool neg, uint64_t mag, int rm, uint32_t *fl);

/* fcvt.{w,wu,l,lu}.{s,d}: `a` rounded to an integer, saturated with NV when it does not fit
 * (table 11.4). 32-bit results, wu included, come back sign-extended to 64 bits. */
uint64_t fpu_soft_to_int(const struct fpu_fmt *f, uint64_t a, enum fpu_cvt to, int rm,
                         uint32_t *fl);

#endif
