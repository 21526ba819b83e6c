/* SPDX-License-Identifier: MIT */
/*
 * fdt: the device tree handed to the kernel, built at boot with libfdt's
 * sequential-write API (Linux bindings: riscv/cpus.yaml, plic, ns16550,
 * goldfish rtc, syscon-poweroff/reboot, virtio-mmio). Devices add their own
 * nodes under /soc through the board's fdt hooks.
 */
#ifndef RV_MACHINE_FDT_H
#define RV_MACHINE_FDT_H

#include <stddef.h>
#include <stdint.h>

struct virt;

/* The ISA we implement, exactly (DESIGN.md: advertise nothing more). */
#define RVISOR_ISA_STRING "rv64imafdc_zicntr_zicsr_zifencei_sstc"

/* Build the DTB into `buf` (`size` bytes). initrd_start/end are 0 when there
 * is no initrd. 0 or a negative libfdt error. */
int fdt_build(struct virt *v, void *buf, size_t size, uint64_t initrd_start, uint64_t initrd_end);

#endif
