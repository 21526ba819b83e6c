/* SPDX-License-Identifier: MIT */
/*
 * cpu: the execution-engine interface. The vCPU loop (vm/vcpu.c) calls
 * cpu_run() and switches over the exit reason, kvmtool-style, so a JIT or a
 * hardware-assisted engine can sit behind the same call later.
 *
 * Threads: cpu_run() runs on the hart's vCPU thread only.
 */
#ifndef RV_CPU_CPU_H
#define RV_CPU_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/hart.h"

enum cpu_exit {
    CPU_EXIT_BUDGET,  /* ran about `budget` instructions */
    CPU_EXIT_REQUEST, /* exit_request was set by another thread */
    CPU_EXIT_ECALL,   /* ecall from S-mode: an SBI call; pc already advanced */
    CPU_EXIT_WFI,     /* wfi with no interrupt pending; pc already advanced */
    CPU_EXIT_FATAL,   /* the guest cannot continue (h->fatal_msg says why) */
};

/* Choose the engine for harts initialised from now on: true = the JIT
 * (cpu/jit) where the host supports it, false = the interpreter only.
 * Overrides the environment (RVISOR_JIT=0|1). Call before cpu_init. */
void cpu_set_jit(bool on);

/* Allocate per-hart engine state (decode cache). Call once after hart_reset. */
void cpu_init(struct hart *h);
void cpu_destroy(struct hart *h);

/* Run guest code until an exit. Interrupts pending in mip & sie are taken
 * here as the spec requires. */
enum cpu_exit cpu_run(struct hart *h, uint64_t budget);

/* Recompute STIP from time and stimecmp (Sstc): call after time passes. */
void cpu_update_timer(struct hart *h, uint64_t now);

/* Invalidate all cached translations / decoded code (sfence.vma, fence.i done
 * remotely through SBI RFENCE). Called on the hart's own thread. */
void cpu_flush_tlb(struct hart *h);
/* Discard all decoded code of this hart (reset, reboot). */
void cpu_flush_code(struct hart *h);
/* fence.i semantics: discard decoded code of pages written since decode. */
void cpu_fence_i(struct hart *h);

/* Remote fence: ask hart `h` (from another thread) to flush its TLB
 * and/or decoded code before it runs more guest code. The caller may wait
 * for h->flush_req to become 0. cpu_handle_flush() runs the request on the
 * hart's own thread (cpu_run does it on entry). */
#define CPU_FLUSH_TLB 1u
#define CPU_FLUSH_CODE 2u
void cpu_request_flush(struct hart *h, unsigned what);
void cpu_handle_flush(struct hart *h);

/* Set or clear an interrupt-pending bit from any thread, and kick the hart. */
void cpu_set_irq(struct hart *h, uint64_t mask, int level);

#endif
