/* SPDX-License-Identifier: MIT */
/*
 * control: the VM side of the control socket (`rvisor run --control PATH`),
 * speaking the protocol of api/ctl.h: query, pause, resume, powerdown (the
 * power button), stop (force) and reboot, plus "state" and "exit" events.
 * This is how rvisord supervises a VM process, kvmtool/Firecracker style:
 * the socket thread never touches VM state itself, it calls the lifecycle
 * functions of vm.h.
 *
 * Several clients may be connected at once; each gets the hello, its own
 * responses in order, and every event.
 *
 * Threads: requests are served on the VM's I/O thread. Pausing waits for
 * every vCPU to park, so it runs on a helper thread and its answer is sent
 * from the I/O thread when done. control_finish runs on the main thread
 * after the I/O thread has stopped.
 */
#ifndef RV_VM_CONTROL_H
#define RV_VM_CONTROL_H

#include <stdbool.h>

#include "util/err.h"

struct control;
struct powerbtn;
struct vm;

/* Bind the socket at `path`. 0 or -errno with `e` naming it. */
int control_new(struct control **out, const char *path, struct err *e)
    __attribute__((warn_unused_result));

/* Serve requests for `vm` (named `name`) on vm->loop; `pb` may be NULL (no
 * power button: powerdown then fails). 0 or -errno. */
int control_start(struct control *c, struct vm *vm, const char *name, struct powerbtn *pb,
                  struct err *e) __attribute__((warn_unused_result));

/* True once a client asked for "stop" (the exit is then a requested one). */
bool control_stop_requested(const struct control *c);

/* The guest was reset (vm->reboots counts it): send every client a
 * "reboot" event. Any thread; the event goes out from the I/O thread.
 * NULL is ignored. */
void control_rebooted(struct control *c);

/* Tell every client how the VM ended ({"event":"exit"}), then disconnect
 * them and remove the socket file. NULL is ignored. */
void control_finish(struct control *c, int status, const char *reason);

#endif
