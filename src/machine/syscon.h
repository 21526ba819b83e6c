/* SPDX-License-Identifier: MIT */
/*
 * syscon: the poweroff/reboot register (QEMU's "sifive,test" layout, bound by
 * Linux through syscon-poweroff / syscon-reboot). Writes of 0x5555 power off,
 * 0x7777 reboot, (code << 16) | 0x3333 power off with failure `code`.
 */
#ifndef RV_MACHINE_SYSCON_H
#define RV_MACHINE_SYSCON_H

#include "mem/physmap.h"

#define SYSCON_BASE 0x00100000ull
#define SYSCON_SIZE 0x1000ull

enum reset_kind { RESET_NONE = 0, RESET_POWEROFF, RESET_REBOOT, RESET_FAIL, RESET_FATAL };

/* Called (on a vCPU thread) when the guest asks for a reset. */
typedef void (*reset_fn)(void *opaque, enum reset_kind kind, int code);

struct syscon {
    reset_fn reset;
    void *opaque;
};

int syscon_map(struct syscon *s, struct physmap *pm) __attribute__((warn_unused_result));

#endif
