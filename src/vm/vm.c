/* SPDX-License-Identifier: MIT */
/*
 * vm: VM lifecycle (see vm.h). The main thread builds the board, starts the
 * I/O thread and the vCPU threads, then sleeps until a reset request:
 * poweroff/fail/fatal/quit end the process, reboot reloads the images and
 * restarts the vCPUs on the same board and RAM mapping.
 */
#include "vm/vm.h"

#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/log.h"
#include "vm/manage.h"

static void request_reset(struct vm *vm, enum reset_kind kind, int code, bool by_guest);

/* The guest asked (SBI SRST, the syscon register). */
static void board_reset(void *opaque, enum reset_kind kind, int code)
{
    request_reset(opaque, kind, code, true);
}

static void board_hart_start(void *opaque, int hartid)
{
    struct vm *vm = opaque;
    vcpu_kick(vm->vcpus[hartid].hart);
}

static const struct virt_ops board_ops = {
    .reset = board_reset,
    .hart_start = board_hart_start,
};

void vm_request_reset(struct vm *vm, enum reset_kind kind, int code)
{
    request_reset(vm, kind, code, false);
}

static void request_reset(struct vm *vm, enum reset_kind kind, int code, bool by_guest)
{
    pthread_mutex_lock(&vm->lock);
    /* the first request wins (e.g. poweroff racing a fatal error) */
    if (vm->reset_kind == RESET_NONE) {
        vm->reset_kind = kind;
        vm->reset_code = code;
        vm->reset_by_guest = by_guest;
    }
    pthread_cond_broadcast(&vm->cond);
    pthread_mutex_unlock(&vm->lock);
    /* Stop guest execution promptly: the main thread joins the vCPUs. */
    atomic_store(&vm->stop, true);
    for (int i = 0; i < vm->board->cfg.ncpus; i++) {
        atomic_store(&vm->board->harts[i]->exit_request, 1);
        if (vm->vcpus[i].hart)
            vcpu_kick(vm->vcpus[i].hart);
    }
}

/* SIGTERM/SIGINT/SIGHUP end the VM cleanly (terminal restored, status
 * 128 + signal) instead of killing the process mid-write. They are blocked in
 * every thread and read here, on the I/O thread, through a signalfd. */
static void signal_cb(void *opaque, uint32_t events)
{
    struct vm *vm = opaque;
    struct signalfd_siginfo si;
    if (read(vm->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        vm_request_reset(vm, RESET_FAIL, 128 + (int)si.ssi_signo);
}

static int watch_signals(struct vm *vm)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    vm->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (vm->sigfd < 0)
        return -1;
    return evloop_add_fd(vm->loop, vm->sigfd, EPOLLIN, signal_cb, vm);
}

static void *io_thread(void *arg)
{
    struct vm *vm = arg;
    evloop_run(vm->loop);
    return NULL;
}

static void init_sync(struct vm *vm)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&vm->lock, NULL);
    pthread_cond_init(&vm->cond, NULL);
    for (int i = 0; i < VIRT_MAX_CPUS; i++) {
        pthread_mutex_init(&vm->vcpus[i].lock, NULL);
        pthread_cond_init(&vm->vcpus[i].cond, &ca);
    }
    pthread_condattr_destroy(&ca);
}

/* Wait for a reset request; returns its kind and clears it. */
static enum reset_kind wait_reset(struct vm *vm, int *code, bool *by_guest)
{
    pthread_mutex_lock(&vm->lock);
    while (vm->reset_kind == RESET_NONE)
        pthread_cond_wait(&vm->cond, &vm->lock);
    enum reset_kind k = vm->reset_kind;
    *code = vm->reset_code;
    *by_guest = vm->reset_by_guest;
    vm->reset_kind = RESET_NONE;
    vm->reset_code = 0;
    vm->reset_by_guest = false;
    pthread_mutex_unlock(&vm->lock);
    return k;
}

static int run_until_off(struct vm *vm, struct err *e)
{
    for (;;) {
        if (vcpus_start(vm, e) < 0)
            return -1;
        int code;
        bool by_guest;
        enum reset_kind k = wait_reset(vm, &code, &by_guest);
        vcpus_stop(vm);
        switch (k) {
        case RESET_REBOOT:
            log_info("vm", "%s", by_guest ? "guest requested reboot" : "reboot requested");
            vm_devices_reset(vm);
            if (virt_load(vm->board, e) < 0)
                return -1;
            atomic_fetch_add(&vm->reboots, 1);
            if (by_guest)
                atomic_fetch_add(&vm->guest_reboots, 1);
            vm_manage_rebooted(vm);
            continue;
        case RESET_POWEROFF:
            return VM_EXIT_POWEROFF;
        case RESET_FATAL:
            return VM_EXIT_FATAL;
        default:
            return code ? code : 1;
        }
    }
}

void vm_pause(struct vm *vm)
{
    int n = vm->board->cfg.ncpus;
    pthread_mutex_lock(&vm->lock);
    vm->pause_req = true;
    pthread_mutex_unlock(&vm->lock);
    for (int i = 0; i < n; i++) {
        atomic_store(&vm->board->harts[i]->exit_request, 1);
        vcpu_kick(vm->board->harts[i]);
    }
    pthread_mutex_lock(&vm->lock);
    while (vm->parked < n && !atomic_load(&vm->stop))
        pthread_cond_wait(&vm->cond, &vm->lock);
    pthread_mutex_unlock(&vm->lock);
}

void vm_resume(struct vm *vm)
{
    pthread_mutex_lock(&vm->lock);
    vm->pause_req = false;
    pthread_cond_broadcast(&vm->cond);
    pthread_mutex_unlock(&vm->lock);
}

int vm_run(const struct vm_config *cfg, struct err *e)
{
    struct vm *vm = xzalloc(sizeof(*vm));
    int status = -1;
    vm->cfg = cfg;
    init_sync(vm);
    vm->loop = evloop_new();
    if (!vm->loop) {
        err_set(e, "cannot create the I/O event loop");
        goto out;
    }
    struct virt_config board_cfg = cfg->board;
    if (vm_manage_prepare(vm, &board_cfg, e) < 0)
        goto out;
    if (virt_create(&vm->board, &board_cfg, &board_ops, vm, e) < 0)
        goto out;
    if (vm_manage_start(vm, e) < 0)
        goto out_board;
    if (vm_devices_create(vm, e) < 0)
        goto out_board;
    if (virt_load(vm->board, e) < 0)
        goto out_devices;
    if (watch_signals(vm) < 0)
        log_warn("vm", "cannot watch for SIGTERM; it will kill the VM abruptly");
    vm->console = cfg->console_socket ? NULL : console_open(vm, STDIN_FILENO);
    if (pthread_create(&vm->io_thread, NULL, io_thread, vm)) {
        err_set(e, "cannot start the I/O thread");
        goto out_console;
    }
    status = run_until_off(vm, e);
    /* a pause in progress must not keep anyone waiting */
    vm_resume(vm);
    evloop_stop(vm->loop);
    pthread_join(vm->io_thread, NULL);
    vm_manage_finish(vm, status);
out_console:
    console_close(vm->console);
    if (vm->sigfd > 0)
        close(vm->sigfd);
out_devices:
    vm_devices_destroy(vm);
out_board:
    virt_destroy(vm->board);
out:
    vm_manage_finish(vm, status);
    if (vm->loop)
        evloop_free(vm->loop);
    free(vm);
    return status;
}
