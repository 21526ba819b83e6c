/* SPDX-License-Identifier: MIT */
/*
 * manage: what makes a VM process manageable from outside, wired into
 * vm_run in three calls: a name, the control socket (control.c), the
 * console on a socket and in a log file (console_server.c), and the power
 * button a graceful shutdown needs (powerbtn.c).
 *
 * Threads: all three calls are made on the main thread, in vm_run.
 */
#ifndef RV_VM_MANAGE_H
#define RV_VM_MANAGE_H

#include "machine/virt.h"
#include "util/err.h"

struct vm;

/* Before the board is built: open the console log and sockets, and point
 * `board->console_fd` at the console server when one is needed. 0 or
 * -errno with `e` naming the path. */
int vm_manage_prepare(struct vm *vm, struct virt_config *board, struct err *e)
    __attribute__((warn_unused_result));

/* Once the board exists (before its device tree is built): add the power
 * button and start serving the sockets on vm->loop. 0 or -errno. */
int vm_manage_start(struct vm *vm, struct err *e) __attribute__((warn_unused_result));

/* The guest was reset and runs again (main thread, before the vCPUs
 * restart): tell control clients. */
void vm_manage_rebooted(struct vm *vm);

/* After the I/O thread stopped: announce the exit status to control
 * clients, close the sockets, flush the console log. Safe after a partial
 * start, and more than once. */
void vm_manage_finish(struct vm *vm, int status);

#endif
