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

#define VM_MAX_DISKS 8
#define VM_MAX_NETS 4

/* Everything `rvisor run` was asked for: the board plus the devices, which
 * vm/devices.c builds from these (validated) strings. */
struct vm_config {
    struct virt_config board;
    const char *name;           /* --name: reported on the control socket */
    const char *control_path;   /* --control: control socket (vm/control.h), or NULL */
    const char *console_socket; /* --console-socket: console on a socket, not stdio */
    const char *console_log;    /* --console-log: append console output here */
    int ndisks;
    const char *disks[VM_MAX_DISKS]; /* --disk specs: FILE[,format=...][,readonly=on] */
    int nnets;
    const char *nets[VM_MAX_NETS];   /* --net specs: user[,...] | tap,ifname=NAME */
    const char *vport;               /* --vport: unix socket for virtio-console port 0 */
    bool no_rng;                     /* --no-rng: no virtio-rng device */
};

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
    bool reset_by_guest; /* the pending reset came from the guest (SBI SRST, syscon) */
    /* resets of the guest so far (the process lives on), and those of them
     * the guest asked for; written by the main thread, read by any */
    atomic_uint_fast64_t reboots, guest_reboots;
    /* pause handshake (vm_pause/vm_resume), protected by lock/cond */
    bool pause_req;
    int parked; /* vCPUs parked because of pause_req */
    const struct vm_config *cfg;
    void *devices; /* owned by devices.c */
    struct vm_manage *manage; /* owned by manage.c */
};

/* Exit statuses of `rvisor run`. */
#define VM_EXIT_POWEROFF 0
#define VM_EXIT_FATAL 3   /* the guest crashed in a way it cannot recover from */
#define VM_EXIT_QUIT 4    /* the user quit from the console (Ctrl-A x) or a stop request */

/* Create, boot and run a VM until it powers off. Returns the exit status, or
 * -1 with `e` filled if it could not start. Called on the main thread. */
int vm_run(const struct vm_config *cfg, struct err *e);

/* Stop all vCPUs at an instruction boundary and wait until they are parked;
 * vm_resume lets them go on. Guest time keeps running (as with QEMU's stop),
 * so timers fire at once after a resume. Any thread but a vCPU's. */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);

/* Devices beyond the board (devices.c): built from cfg before the vCPUs
 * start, torn down after they stop. 0 or -errno with `e` naming the spec. */
int vm_devices_create(struct vm *vm, struct err *e) __attribute__((warn_unused_result));
void vm_devices_destroy(struct vm *vm);
/* Reset every device (as a driver writing Status 0) for a reboot; the vCPUs
 * are stopped, the I/O thread may run. */
void vm_devices_reset(struct vm *vm);

/* Request the end (or reboot) of the VM; any thread. */
void vm_request_reset(struct vm *vm, enum reset_kind kind, int code);

/* The per-device counters of the disks and NICs (control.c's query): any
 * thread while the devices exist. */
struct ctl_status;
void vm_devices_stats(struct vm *vm, struct ctl_status *s);

/* vCPU threads (vcpu.c). */
int vcpus_start(struct vm *vm, struct err *e);
void vcpus_stop(struct vm *vm);
void vcpu_kick(struct hart *h);

/* Console on the host terminal (console.c): raw mode, escape keys. */
struct console *console_open(struct vm *vm, int in_fd);
void console_close(struct console *c);

#endif
