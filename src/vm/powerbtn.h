/* SPDX-License-Identifier: MIT */
/*
 * powerbtn: the VM's power button, so that the host can ask the guest to shut
 * down (ACPI's power button, in the shape an unmodified Debian kernel drives).
 *
 * Debian's riscv64 kernel has no gpio-keys, but it builds the Altera PS/2
 * controller (altera_ps2, "altr,ps2-1.0") as a module and the AT keyboard
 * driver (atkbd) in. So the button is a PS/2 keyboard with one key: pressing
 * it sends the set-2 scancode of KEY_POWER (E0 37, then E0 F0 37), which the
 * guest sees on /dev/input/event0; busybox acpid maps KEY_POWER to
 * /etc/acpi/PWRF/00000080, which runs poweroff (see guest/skel).
 *
 * Threads: registers are accessed on vCPU threads, powerbtn_press is called
 * on the I/O thread; one mutex protects the state.
 */
#ifndef RV_VM_POWERBTN_H
#define RV_VM_POWERBTN_H

#include <stdbool.h>

#include "machine/virt.h"
#include "util/err.h"

#define POWERBTN_BASE 0x00102000ull
#define POWERBTN_SIZE 0x1000ull
#define POWERBTN_IRQ 12

struct powerbtn;

/* Map the controller on `board` and add its device-tree node. Call before
 * virt_load() (the DTB is built there). 0 or -errno with `e` filled. */
int powerbtn_create(struct powerbtn **out, struct virt *board, struct err *e)
    __attribute__((warn_unused_result));
void powerbtn_free(struct powerbtn *pb);

/* Press and release the button. Returns true if a guest driver had the
 * port open (so someone is listening), false if the press went nowhere. */
bool powerbtn_press(struct powerbtn *pb);

/* True if a guest driver has the port open and scanning enabled. */
bool powerbtn_listening(struct powerbtn *pb);

#endif
