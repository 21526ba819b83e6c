/* SPDX-License-Identifier: MIT */
/*
 * vcpu: one host thread per virtual hart. The loop is a switch over the
 * engine's exit reasons (kvmtool's shape): SBI calls, WFI sleeps, fatal
 * guest errors, requests from other threads.
 *
 * WFI blocks the thread on a condition variable until an interrupt is
 * kicked in or the hart's timer deadline passes, so an idle guest costs no
 * host CPU. Lock order: vcpu->lock is a leaf (kick takes it from any
 * thread, including with the PLIC lock held).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"
#include "machine/sbi.h"
#include "util/log.h"
#include "vm/vm.h"

/* Instructions per cpu_run: bounds timer latency (~0.1-1 ms) without making
 * the exit path hot. */
#define VCPU_BUDGET 100000

/* The vCPU whose thread this is, or NULL on other threads. */
static __thread struct vcpu *self_vcpu;

void vcpu_kick(struct hart *h)
{
    struct vcpu *c = h->owner;
    /* A hart's own thread is not asleep, and it looks at its state again
     * before it sleeps (vcpu_wait): nothing to wake. */
    if (c == self_vcpu)
        return;
    pthread_mutex_lock(&c->lock);
    c->kicked = true;
    pthread_mutex_unlock(&c->lock);
    /* Signal after unlocking: a waiter woken while we still hold the lock
     * would only block on it again (device completions kick from the I/O
     * thread, often on the same host core). */
    pthread_cond_signal(&c->cond);
}

static struct timespec abs_ts(uint64_t ns)
{
    return (struct timespec){.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
}

/* Whether the vCPU has something to do: the VM stops, a remote fence or an
 * exit request (pause, hart stop) is pending, and then, in WFI, an enabled
 * interrupt is pending, or, for a stopped hart, it has been started. */
static bool vcpu_has_work(struct vcpu *c, bool for_irq)
{
    struct hart *h = c->hart;
    if (atomic_load(&c->vm->stop) || atomic_load(&h->flush_req) || atomic_load(&h->exit_request))
        return true;
    if (for_irq)
        return (atomic_load(&h->mip) & h->sie) != 0;
    return atomic_load(&c->vm->board->hsm[h->hartid]) != HSM_STOPPED;
}

/*
 * Sleep until there is work (vcpu_has_work), someone kicks, or the timer
 * deadline (or at most 1 s, as a backstop).
 *
 * A kick only says "look again": every waker changes state first (mip,
 * flush_req, exit_request, the HSM state, stop) and then kicks. So a kick
 * that came while the hart ran guest code (its own timer setting STIP, an
 * IPI it has already taken) is dropped here rather than ending the next
 * sleep at once: kicked is cleared under the lock before the state is
 * checked, and a waker's change made after that check comes with a kick
 * that ends the wait. Without this, every timer interrupt cost a second,
 * useless round trip through the guest's idle loop.
 */
static void vcpu_wait(struct vcpu *c, bool for_irq)
{
    struct hart *h = c->hart;
    struct virt *v = c->vm->board;
    if (for_irq)
        cpu_update_timer(h, vclock_read(&v->clock));
    pthread_mutex_lock(&c->lock);
    c->kicked = false;
    if (vcpu_has_work(c, for_irq)) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    uint64_t deadline = host_monotonic_ns() + 1000000000ull;
    if (for_irq && (h->sie & MIP_STIP)) {
        uint64_t t = vclock_ticks_to_host_ns(&v->clock, h->stimecmp);
        if (t < deadline)
            deadline = t;
    }
    struct timespec ts = abs_ts(deadline);
    while (!c->kicked) {
        if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) == ETIMEDOUT)
            break;
    }
    c->kicked = false;
    pthread_mutex_unlock(&c->lock);
    /* Woken at the deadline: raise STIP now, so that the guest takes the
     * interrupt at once instead of running its idle loop back to WFI. */
    if (for_irq)
        cpu_update_timer(h, vclock_read(&v->clock));
}

/* HSM: bring a hart up at the address given to sbi_hart_start (SBI §9.1:
 * S-mode, satp = 0, sstatus.SIE = 0, a0 = hartid, a1 = opaque). */
static void hart_do_start(struct vcpu *c)
{
    struct virt *v = c->vm->board;
    struct hart *h = c->hart;
    int id = h->hartid;
    pthread_mutex_lock(&v->hsm_lock);
    uint64_t addr = v->hsm_start_addr[id], opaque = v->hsm_opaque[id];
    atomic_store(&v->hsm[id], HSM_STARTED);
    pthread_mutex_unlock(&v->hsm_lock);
    hart_reset(h, id, addr);
    cpu_flush_code(h);
    h->x[10] = (uint64_t)id;
    h->x[11] = opaque;
}

static void fatal(struct vcpu *c)
{
    struct hart *h = c->hart;
    fprintf(stderr, "\r\nrvisor: guest error on hart %d: %s\r\n", h->hartid, h->fatal_msg);
    hart_dump(h);
    vm_request_reset(c->vm, RESET_FATAL, 0);
}

/* Park here while the VM is paused (vm_pause/vm_resume in vm.c). */
static void vcpu_park(struct vcpu *c)
{
    struct vm *vm = c->vm;
    pthread_mutex_lock(&vm->lock);
    if (!vm->pause_req) {
        pthread_mutex_unlock(&vm->lock);
        return;
    }
    vm->parked++;
    pthread_cond_broadcast(&vm->cond);
    while (vm->pause_req && !atomic_load(&vm->stop))
        pthread_cond_wait(&vm->cond, &vm->lock);
    vm->parked--;
    pthread_mutex_unlock(&vm->lock);
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *c = arg;
    struct hart *h = c->hart;
    struct virt *v = c->vm->board;
    int id = h->hartid;
    self_vcpu = c;
    while (!atomic_load(&c->vm->stop)) {
        if (atomic_load(&h->exit_request)) {
            atomic_store(&h->exit_request, 0);
            cpu_handle_flush(h);
            vcpu_park(c);
        }
        int st = atomic_load(&v->hsm[id]);
        if (st == HSM_STOP_PENDING) {
            atomic_store(&v->hsm[id], HSM_STOPPED);
            continue;
        }
        if (st == HSM_STOPPED) {
            vcpu_wait(c, false);
            continue;
        }
        if (st == HSM_START_PENDING) {
            hart_do_start(c);
            continue;
        }
        enum cpu_exit r = cpu_run(h, VCPU_BUDGET);
        cpu_update_timer(h, vclock_read(&v->clock));
        switch (r) {
        case CPU_EXIT_BUDGET:
            break;
        case CPU_EXIT_REQUEST:
            break; /* handled at the top of the loop */
        case CPU_EXIT_ECALL:
            sbi_call(v, h);
            break;
        case CPU_EXIT_WFI:
            vcpu_wait(c, true);
            break;
        case CPU_EXIT_FATAL:
            fatal(c);
            return NULL;
        }
    }
    log_info("vcpu", "hart %d stopped after %llu instructions", id,
             (unsigned long long)h->instret);
    return NULL;
}

int vcpus_start(struct vm *vm, struct err *e)
{
    struct virt *v = vm->board;
    /* Every vCPU is set up before any thread runs: hart 0 may start the
     * others (SBI HSM) at once, which kicks their vcpu. */
    for (int i = 0; i < v->cfg.ncpus; i++) {
        struct vcpu *c = &vm->vcpus[i];
        c->vm = vm;
        c->hart = v->harts[i];
        c->kicked = false;
        c->hart->owner = c;
        c->hart->kick = vcpu_kick;
    }
    for (int i = 0; i < v->cfg.ncpus; i++) {
        struct vcpu *c = &vm->vcpus[i];
        int r = pthread_create(&c->thread, NULL, vcpu_thread, c);
        if (r) {
            err_set(e, "cannot start vCPU thread %d: %s", i, strerror(r));
            atomic_store(&vm->stop, true);
            for (int j = 0; j < i; j++) {
                vcpu_kick(vm->vcpus[j].hart);
                pthread_join(vm->vcpus[j].thread, NULL);
            }
            return -r;
        }
    }
    return 0;
}

void vcpus_stop(struct vm *vm)
{
    struct virt *v = vm->board;
    atomic_store(&vm->stop, true);
    atomic_store(&v->halting, true);
    for (int i = 0; i < v->cfg.ncpus; i++) {
        atomic_store(&vm->vcpus[i].hart->exit_request, 1);
        vcpu_kick(vm->vcpus[i].hart);
    }
    for (int i = 0; i < v->cfg.ncpus; i++)
        pthread_join(vm->vcpus[i].thread, NULL);
    atomic_store(&vm->stop, false);
    atomic_store(&v->halting, false);
}
