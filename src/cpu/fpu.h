/* SPDX-License-Identifier: MIT */
/*
 * fpu: F and D extension arithmetic (unprivileged spec ch. 11-12) with
 * IEEE 754-2008 rounding modes, accrued exception flags, NaN-boxing of
 * singles, canonical NaNs and the saturating fcvt rules.
 *
 * Called by the interpreter for every op in [OP_FP_FIRST, OP_FP_LAST] after it
 * has checked sstatus.FS != Off. Runs on the hart's vCPU thread.
 */
#ifndef RV_CPU_FPU_H
#define RV_CPU_FPU_H

#include "cpu/decode.h"
#include "cpu/hart.h"

/* Execute FP op `in` on `h`: reads/writes h->f[], h->x[] (x0 stays 0),
 * h->fflags, and marks FS dirty when it writes FP state. Returns 0, or -1 if
 * the instruction is illegal (reserved rounding mode, static or via frm). */
int fpu_exec(struct hart *h, const struct insn *in);

#endif
