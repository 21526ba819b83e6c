/* SPDX-License-Identifier: MIT */
/*
 * vm: one virtual machine process: the board, one thread per vCPU, and an
 * I/O thread running the event loop (console input, later virtio back ends
 * and the control socket). Lifecycle: running -> (reboot -> running)* ->
 * stopped, with the process exit status telling how it ended.
 */
#ifndef RV_VM_VM_H
#define RV_VM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "machine/virt.h"
#include "util/err.h"
#include "util/evloop.h"

struct vm;
struct console;

struct vcpu {
    struct vm *vm;
    struct hart *hart;
    pthread_t thread;
    pthread_mutex_t lock; /* protects kicked; pairs with cond */
    pthread_cond_t cond;
    bool kicked;
};

struct vm {
    struct virt *board;
    struct evloop *loop;
    pthread_t io_thread;
    struct console *console;
    int sigfd;
    struct vcpu vcpus[VIRT_MAX_CPUS];
    atomic_bool stop; /* vCPU threads must return */
    pthread_mutex_t lock; /* protects reset_kind/code; pairs with cond */
    pthread_cond_t cond;
    enum reset_kind reset_kind;
    int reset_code;
};

/* Exit statuses of `rvisor run`. */
#define VM_EXIT_POWEROFF 0
#define VM_EXIT_FATAL 3   /* the guest crashed in a way it cannot recover from */
#define VM_EXIT_QUIT 4    /* the user quit from the console (Ctrl-A x) */

/* Create, boot and run a VM until it powers off. Returns the exit status, or
 * -1 with `e` filled if it could not start. Called on the main thread. */
int vm_run(const struct virt_config *cfg, struct err *e);

/* Request the end (or reboot) of the VM; any thread. */
void vm_request_reset(struct vm *vm, enum reset_kind kind, int code);

/* vCPU threads (vcpu.c). */
int vcpus_start(struct vm *vm, struct err *e);
void vcpus_stop(struct vm *vm);
void vcpu_kick(struct hart *h);

/* Console on the host terminal (console.c): raw mode, escape keys. */
struct console *console_open(struct vm *vm, int in_fd);
void console_close(struct console *c);

#endif
