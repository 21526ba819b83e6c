/* SPDX-License-Identifier: MIT */
/*
 * plic: the platform-level interrupt controller ("sifive,plic-1.0.0"; RISC-V
 * PLIC spec 1.0.0), one S-mode context per hart (context n = hart n).
 * Sources are level-triggered lines from devices (irq.h).
 *
 * Threads: plic_set_irq from any thread, MMIO from vCPU threads; one mutex.
 */
#ifndef RV_MACHINE_PLIC_H
#define RV_MACHINE_PLIC_H

#include <stdint.h>

#include "mem/physmap.h"

#define PLIC_BASE 0x0c000000ull
#define PLIC_SIZE 0x00600000ull
#define PLIC_NSRC 96 /* sources 1..95; 0 means "none" */

struct hart;
struct plic;

struct plic *plic_new(struct hart **harts, int nharts);
void plic_free(struct plic *p);
int plic_map(struct plic *p, struct physmap *pm) __attribute__((warn_unused_result));

/* irq_line callback: opaque is the plic, irq the source number. */
void plic_set_irq(void *opaque, int irq, int level);

#endif
