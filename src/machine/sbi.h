/* SPDX-License-Identifier: MIT */
/*
 * sbi: the Supervisor Binary Interface answered by the VMM (SBI spec v2.0):
 * BASE, TIME, IPI, RFENCE, HSM, SRST, DBCN. Everything else, including the
 * legacy v0.1 calls, returns SBI_ERR_NOT_SUPPORTED.
 */
#ifndef RV_MACHINE_SBI_H
#define RV_MACHINE_SBI_H

#include "cpu/hart.h"

struct virt;

/* Handle the ecall that hart `h` just made (a7 = EID, a6 = FID, a0..a5
 * arguments); writes a0 (error) and a1 (value). Runs on h's vCPU thread. */
void sbi_call(struct virt *v, struct hart *h);

#endif
