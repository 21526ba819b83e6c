/* SPDX-License-Identifier: MIT */
/*
 * supervise: VM processes. Spawning (detached: own session, stdio to
 * /dev/null and the per-VM vmm.log), the monitor connection to each VM's
 * control socket (its end of stream is how a VM's exit or crash is seen,
 * its "exit" event says why), stop/pause/resume/reboot through the control
 * protocol, the restart policy, re-attaching after an rvisord restart, and
 * the per-second /proc samples.
 *
 * A VM process is independent of rvisord: rvisord can stop, crash or be
 * upgraded while VMs run; the next rvisord finds them through
 * vms/NAME/runtime.json, checks /proc/PID/cmdline really is that VM, and
 * connects again.
 *
 * Threads: see daemon.h. handle_exit and monitor callbacks run on the main
 * thread with d->lock held; dvm_start/stop/control run on API threads (and
 * restart threads) and drop the lock while they wait, with the record busy.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/process.h"
#include "daemon/store.h"
#include "util/alloc.h"
#include "util/log.h"

#define START_TIMEOUT_MS 60000
#define CTL_TIMEOUT_MS 30000
#define FORCE_WAIT_S 15
#define KILL_WAIT_S 10
#define RESTART_WINDOW_NS (600ull * 1000000000u)
#define RESTART_MAX 5

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wait on d->cond (lock held) at most `ms`. */
static void cond_wait_ms(struct daemon *d, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&d->cond, &d->lock, &ts);
}

/* ---- runtime file --------------------------------------------------------- */

static void runtime_save(struct daemon *d, struct dvm *vm)
{
    char path[DAEMON_PATH_MAX];
    dvm_path(d, vm->def.name, "runtime.json", path, sizeof(path));
    json_t *j = json_pack("{s:i, s:s, s:s, s:I}", "pid", (int)vm->pid, "control", vm->ctl_path,
                          "console", vm->con_path, "started_at", (json_int_t)vm->started_at);
    struct err e = {0};
    if (store_write_json(path, j, &e) < 0)
        log_warn("supervise", "%s", e.msg);
    json_decref(j);
}

static void runtime_remove(struct daemon *d, struct dvm *vm)
{
    char path[DAEMON_PATH_MAX];
    dvm_path(d, vm->def.name, "runtime.json", path, sizeof(path));
    store_unlink(path);
}

/* ---- exits, monitor, restart policy ----------------------------------------- */

static void schedule_restart(struct daemon *d, struct dvm *vm, bool crashed)
{
    enum vmdef_restart p = vm->def.restart;
    if (p == VMDEF_RESTART_NO || (p == VMDEF_RESTART_ON_FAILURE && !crashed))
        return;
    uint64_t now = mono_ns();
    if (now - vm->restart_window_start > RESTART_WINDOW_NS) {
        vm->restart_window_start = now;
        vm->restarts = 0;
    }
    if (vm->restarts >= RESTART_MAX) {
        events_add(d, vm->def.name, "restart-limit",
                   "restarted %d times in 10 minutes; not restarting again", vm->restarts);
        return;
    }
    unsigned shift = vm->restarts < 5 ? (unsigned)vm->restarts : 5;
    vm->restart_at = now + (1000000000ull << shift);
}

/* The VM process ended (its monitor connection closed). Lock held. */
static void handle_exit(struct daemon *d, struct dvm *vm)
{
    if (vm->monitor) {
        evloop_del_fd(d->loop, ctl_client_fd(vm->monitor));
        ctl_client_close(vm->monitor);
        vm->monitor = NULL;
    }
    vm->status_valid = false;
    vm->query_id = 0;
    const char *reason = vm->exited_seen ? vm->exit_reason : "vanished";
    bool crashed = !vm->stop_requested &&
                   (!vm->exited_seen || (strcmp(reason, "poweroff") && strcmp(reason, "stopped")));
    if (!vm->exited_seen) {
        snprintf(vm->exit_reason, sizeof(vm->exit_reason), "vanished");
        vm->exit_status = -1;
    }
    vm->pid = 0;
    vm->state = crashed ? DVM_CRASHED : DVM_STOPPED;
    runtime_remove(d, vm);
    if (crashed)
        events_add(d, vm->def.name, "crashed", "VM process ended unexpectedly (%s, status %d)",
                   vm->exit_reason, vm->exit_status);
    else if (vm->stop_requested)
        events_add(d, vm->def.name, "stopped", "VM stopped (%s)",
                   vm->stop_mode ? vm->stop_mode : "graceful");
    else
        events_add(d, vm->def.name, "stopped", "VM stopped (%s from inside the guest)",
                   !strcmp(reason, "poweroff") ? "powered off" : "quit");
    if (!vm->stop_requested)
        schedule_restart(d, vm, crashed);
    vm->stop_requested = false;
    pthread_cond_broadcast(&d->cond);
}

/* Guest-initiated reboots up to `n` (a total from the VM process): log the
 * ones not logged yet. Lock held. */
static void note_reboots(struct daemon *d, struct dvm *vm, uint64_t n)
{
    if (n <= vm->guest_reboots)
        return;
    uint64_t k = n - vm->guest_reboots;
    vm->guest_reboots = n;
    const char *s = n == 1 ? "" : "s";
    if (k == 1)
        events_add(d, vm->def.name, "rebooted",
                   "the guest rebooted itself (%llu guest reboot%s since the VM process started)",
                   (unsigned long long)n, s);
    else
        events_add(d, vm->def.name, "rebooted",
                   "the guest rebooted itself %llu times (%llu guest reboot%s since the VM "
                   "process started)",
                   (unsigned long long)k, (unsigned long long)n, s);
}

void dvm_note_status(struct daemon *d, struct dvm *vm, const struct ctl_status *st)
{
    if (vm->pid <= 0 || st->pid != vm->pid)
        return; /* an answer from a process that is gone */
    vm->status = *st;
    vm->status_valid = true;
    note_reboots(d, vm, st->guest_reboots);
}

static void on_response(struct dvm *vm, const struct ctl_msg *m)
{
    if (!vm->query_id || m->id != vm->query_id)
        return;
    vm->query_id = 0;
    struct ctl_status st;
    struct err e = {0};
    if (!m->ok || ctl_status_from_json(&st, m->result, &e) < 0) {
        log_debug("supervise", "%s: query: %s", vm->def.name, m->ok ? e.msg : m->error);
        return;
    }
    dvm_note_status(vm->d, vm, &st);
}

static void on_event(void *opaque, const struct ctl_msg *m)
{
    struct dvm *vm = opaque;
    if (m->kind == CTL_MSG_RESPONSE) {
        on_response(vm, m);
    } else if (!strcmp(m->event, "reboot")) {
        json_t *n = json_object_get(m->data, "guest_reboots");
        if (json_is_integer(n) && json_integer_value(n) >= 0)
            note_reboots(vm->d, vm, (uint64_t)json_integer_value(n));
    } else if (!strcmp(m->event, "exit")) {
        vm->exited_seen = true;
        vm->exit_status = (int)json_integer_value(json_object_get(m->data, "status"));
        const char *r = json_string_value(json_object_get(m->data, "reason"));
        snprintf(vm->exit_reason, sizeof(vm->exit_reason), "%s", r ? r : "unknown");
    } else if (!strcmp(m->event, "state") && !vm->busy) {
        /* changed by another control client: follow it */
        const char *s = json_string_value(json_object_get(m->data, "state"));
        enum dvm_state want = s && !strcmp(s, "paused") ? DVM_PAUSED : DVM_RUNNING;
        if (vm->state != want && (vm->state == DVM_RUNNING || vm->state == DVM_PAUSED)) {
            vm->state = want;
            events_add(vm->d, vm->def.name, want == DVM_PAUSED ? "paused" : "resumed",
                       "VM %s through its control socket",
                       want == DVM_PAUSED ? "paused" : "resumed");
            pthread_cond_broadcast(&vm->d->cond);
        }
    }
}

static void monitor_cb(void *opaque, uint32_t events)
{
    struct dvm *vm = opaque;
    struct daemon *d = vm->d;
    pthread_mutex_lock(&d->lock);
    if (vm->monitor && ctl_client_pump(vm->monitor, on_event, vm) == -EPIPE)
        handle_exit(d, vm);
    pthread_mutex_unlock(&d->lock);
}

/* Adopt `c` as vm's monitor. Lock held. */
static int attach_monitor(struct daemon *d, struct dvm *vm, struct ctl_client *c)
{
    vm->monitor = c;
    vm->exited_seen = false;
    /* exit_reason/exit_status stay: info's last_exit tells why the VM
     * ended last time (e.g. before a restart by the policy); the next exit
     * overwrites them */
    vm->status_valid = false;
    vm->query_id = 0;
    vm->guest_reboots = 0;
    int r = d->loop ? evloop_add_fd(d->loop, ctl_client_fd(c), EPOLLIN, monitor_cb, vm) : -ENOSYS;
    if (r < 0) {
        vm->monitor = NULL;
        ctl_client_close(c);
    }
    return r;
}

static bool socket_paths(struct daemon *d, struct dvm *vm, struct api_err *ae)
{
    snprintf(vm->ctl_path, sizeof(vm->ctl_path), "%s/vms/%s.ctl", d->run_dir, vm->def.name);
    snprintf(vm->con_path, sizeof(vm->con_path), "%s/vms/%s.console", d->run_dir, vm->def.name);
    if (strlen(vm->con_path) >= 108) {
        api_fail(ae, 500, "socket path %s is too long for a unix socket (use a shorter --socket)",
                 vm->con_path);
        return false;
    }
    return true;
}

/* Wait for the new VM's control socket. Lock not held. */
static struct ctl_client *await_control(struct daemon *d, struct dvm *vm, pid_t pid,
                                        const char *ctl_path, struct api_err *ae)
{
    uint64_t deadline = mono_ns() + (uint64_t)START_TIMEOUT_MS * 1000000u;
    for (;;) {
        struct ctl_client *c = NULL;
        struct err e = {0};
        if (ctl_client_connect(&c, ctl_path, 2000, &e) == 0) {
            if (ctl_client_pid(c) == pid)
                return c;
            ctl_client_close(c); /* an old process still there? keep waiting */
        }
        pthread_mutex_lock(&d->lock);
        bool gone = vm->reaped || kill(pid, 0) < 0;
        int st = vm->wait_status;
        pthread_mutex_unlock(&d->lock);
        if (gone) {
            char log_path[DAEMON_PATH_MAX], line[400];
            dvm_path(d, vm->def.name, "vmm.log", log_path, sizeof(log_path));
            process_log_tail(log_path, line, sizeof(line));
            api_fail(ae, 500, "the VM process exited at start (status %d): %s",
                     WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), line);
            return NULL;
        }
        if (mono_ns() > deadline) {
            kill(pid, SIGKILL);
            api_fail(ae, 500, "the VM process did not open its control socket in %d s",
                     START_TIMEOUT_MS / 1000);
            return NULL;
        }
        usleep(20000);
    }
}

static int start_vm(struct daemon *d, const char *name, const char *why, struct api_err *ae);

int dvm_start(struct daemon *d, const char *name, struct api_err *ae)
{
    return start_vm(d, name, "started", ae);
}

/* Start `name`; `why` names the event ("started", "restarted", ...). */
static int start_vm(struct daemon *d, const char *name, const char *why, struct api_err *ae)
{
    pthread_mutex_lock(&d->lock);
    struct dvm *vm = dvm_find(d, name);
    if (!vm) {
        pthread_mutex_unlock(&d->lock);
        return api_fail(ae, 404, "no VM named \"%s\"", name);
    }
    if (vm->busy || (vm->state != DVM_STOPPED && vm->state != DVM_CRASHED)) {
        pthread_mutex_unlock(&d->lock);
        if (vm->busy)
            return api_fail(ae, 409, "%s: a %s operation is in progress", name, vm->busy);
        return api_fail(ae, 409, "%s is already %s", name, dvm_state_name(vm->state));
    }
    if (!d->loop) {
        pthread_mutex_unlock(&d->lock);
        return api_fail(ae, 500, "this daemon cannot run VMs");
    }
    if (dvm_check_files(&vm->def, ae) < 0) {
        pthread_mutex_unlock(&d->lock);
        ae->status = 409;
        ae->field[0] = 0;
        return -1;
    }
    if (!socket_paths(d, vm, ae)) {
        pthread_mutex_unlock(&d->lock);
        return -1;
    }
    enum dvm_state before = vm->state;
    vm->busy = "start";
    vm->state = DVM_STARTING;
    vm->restart_at = 0;
    vm->reaped = false;
    struct process_argv a = {0};
    process_argv_build(d, vm, &a);
    char ctl_path[DAEMON_PATH_MAX], vmm_log[DAEMON_PATH_MAX], dir[DAEMON_PATH_MAX];
    snprintf(ctl_path, sizeof(ctl_path), "%s", vm->ctl_path);
    dvm_path(d, name, "vmm.log", vmm_log, sizeof(vmm_log));
    dvm_path(d, name, "", dir, sizeof(dir));
    pthread_mutex_unlock(&d->lock);

    struct err e = {0};
    pid_t pid = store_mkdirs(dir, 0700, &e) < 0 ? -EIO : process_spawn(&a, vmm_log, &e);
    process_argv_free(&a);
    struct ctl_client *c = NULL;
    if (pid < 0) {
        api_fail(ae, 500, "%s", e.msg);
    } else {
        pthread_mutex_lock(&d->lock);
        vm->pid = pid;
        vm->own_child = true;
        vm->started_at = (int64_t)time(NULL);
        /* recorded at once: should rvisord die before the VM answers, the
         * next rvisord still finds the process */
        runtime_save(d, vm);
        pthread_mutex_unlock(&d->lock);
        c = await_control(d, vm, pid, ctl_path, ae);
    }

    pthread_mutex_lock(&d->lock);
    vm->busy = NULL;
    if (c && attach_monitor(d, vm, c) == 0) {
        vm->state = DVM_RUNNING;
        vm->started_mono = mono_ns();
        vm->stop_requested = false;
        vm->stop_mode = NULL;
        vm->cpu_ticks = 0;
        vm->sample_ns = 0;
        vm->cpu_pct = 0;
        process_sample(pid, &vm->cpu_ticks, &vm->rss_bytes);
        vm->sample_ns = mono_ns();
        events_add(d, name, why, "VM %s (pid %d)", why, (int)pid);
    } else {
        if (c)
            api_fail(ae, 500, "cannot watch the VM's control socket");
        if (pid > 0)
            kill(pid, SIGKILL);
        vm->pid = 0;
        vm->state = before;
        runtime_remove(d, vm);
        events_add(d, name, "start-failed", "%s", ae->e.msg);
        /* a restart that failed is tried again, within the policy's limit */
        if (!strcmp(why, "restarted"))
            schedule_restart(d, vm, true);
    }
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    return ae->e.set ? -1 : 0;
}

/* ---- control requests --------------------------------------------------------- */

/* One request on a fresh control connection. Lock not held. */
static int ctl_once(const char *ctl_path, enum ctl_type t, json_t **result, struct err *e)
{
    struct ctl_client *c;
    int r = ctl_client_connect(&c, ctl_path, 5000, e);
    if (r < 0)
        return r;
    r = ctl_client_call(c, t, result, CTL_TIMEOUT_MS, e);
    ctl_client_close(c);
    return r;
}

bool dvm_query(struct daemon *d, const char *name, struct ctl_status *st)
{
    char ctl_path[DAEMON_PATH_MAX];
    pthread_mutex_lock(&d->lock);
    struct dvm *vm = dvm_find(d, name);
    bool up = vm && vm->pid > 0 && vm->monitor;
    if (up)
        snprintf(ctl_path, sizeof(ctl_path), "%s", vm->ctl_path);
    pthread_mutex_unlock(&d->lock);
    json_t *res = NULL;
    struct err e = {0};
    if (!up || ctl_once(ctl_path, CTL_QUERY, &res, &e) < 0)
        return false;
    bool ok = ctl_status_from_json(st, res, &e) == 0;
    json_decref(res);
    if (ok) {
        pthread_mutex_lock(&d->lock);
        vm = dvm_find(d, name);
        if (vm)
            dvm_note_status(d, vm, st);
        pthread_mutex_unlock(&d->lock);
    }
    return ok;
}

/* Take `name` for operation `op` if it is in one of the `ok` states (bit
 * mask of 1 << state). Returns the record (lock held) or NULL with `ae`. */
static struct dvm *claim(struct daemon *d, const char *name, const char *op, unsigned ok,
                         struct api_err *ae)
{
    pthread_mutex_lock(&d->lock);
    struct dvm *vm = dvm_find(d, name);
    if (!vm)
        api_fail(ae, 404, "no VM named \"%s\"", name);
    else if (vm->busy)
        api_fail(ae, 409, "%s: a %s operation is in progress", name, vm->busy);
    else if (!(ok & (1u << vm->state)))
        api_fail(ae, 409, "cannot %s %s: it is %s", op, name, dvm_state_name(vm->state));
    else {
        vm->busy = op;
        return vm;
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

int dvm_control(struct daemon *d, const char *name, enum ctl_type t, struct api_err *ae)
{
    static const struct {
        const char *op, *event, *done;
        unsigned ok;
        enum dvm_state after;
    } tab[CTL_NTYPES] = {
        [CTL_PAUSE] = {"pause", "paused", "VM paused", 1u << DVM_RUNNING, DVM_PAUSED},
        [CTL_RESUME] = {"resume", "resumed", "VM resumed", 1u << DVM_PAUSED, DVM_RUNNING},
        [CTL_REBOOT] = {"reboot", "rebooted", "VM reset (reboot)",
                        (1u << DVM_RUNNING) | (1u << DVM_PAUSED), DVM_RUNNING},
    };
    if (!tab[t].op)
        return api_fail(ae, 500, "unsupported control request");
    struct dvm *vm = claim(d, name, tab[t].op, tab[t].ok, ae);
    if (!vm)
        return -1;
    char ctl_path[DAEMON_PATH_MAX];
    snprintf(ctl_path, sizeof(ctl_path), "%s", vm->ctl_path);
    pthread_mutex_unlock(&d->lock);
    struct err e = {0};
    int r = ctl_once(ctl_path, t, NULL, &e);
    pthread_mutex_lock(&d->lock);
    vm->busy = NULL;
    if (r < 0) {
        api_fail(ae, 500, "%s: %s", name, e.msg);
    } else if (vm->pid > 0) {
        vm->state = tab[t].after;
        events_add(d, name, tab[t].event, "%s", tab[t].done);
    }
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    return r < 0 ? -1 : 0;
}

/* Wait (lock held) until vm's process is gone or `ms` passed. */
static bool wait_gone(struct daemon *d, struct dvm *vm, int ms)
{
    uint64_t deadline = mono_ns() + (uint64_t)ms * 1000000u;
    while (vm->pid > 0 && mono_ns() < deadline)
        cond_wait_ms(d, 200);
    return vm->pid == 0;
}

/* Graceful part of a stop: press the power button (again every 2 s while
 * no guest driver listens, then every 10 s: a press that reached the
 * kernel before the guest's handler, busybox acpid for instance, was
 * running is lost, and a second one to a guest already shutting down does
 * nothing) until the VM is gone or the timeout. Lock held. */
static bool stop_graceful(struct daemon *d, struct dvm *vm, bool was_paused, int timeout_s)
{
    char ctl_path[DAEMON_PATH_MAX];
    snprintf(ctl_path, sizeof(ctl_path), "%s", vm->ctl_path);
    uint64_t deadline = mono_ns() + (uint64_t)timeout_s * 1000000000u, next_press = 0;
    bool delivered = false;
    struct err e = {0};
    if (was_paused) {
        pthread_mutex_unlock(&d->lock);
        int r = ctl_once(ctl_path, CTL_RESUME, NULL, &e);
        pthread_mutex_lock(&d->lock);
        if (r < 0)
            return false;
    }
    while (vm->pid > 0 && mono_ns() < deadline) {
        if (mono_ns() >= next_press) {
            json_t *res = NULL;
            pthread_mutex_unlock(&d->lock);
            int r = ctl_once(ctl_path, CTL_POWERDOWN, &res, &e);
            pthread_mutex_lock(&d->lock);
            bool now = r == 0 && json_is_true(json_object_get(res, "delivered"));
            json_decref(res);
            if (now && !delivered)
                events_add(d, vm->def.name, "powerdown",
                           "power button pressed; waiting up to "
                           "%d s for the guest to power off",
                           timeout_s);
            delivered = delivered || now;
            next_press = mono_ns() + (delivered ? 10000000000ull : 2000000000ull);
        }
        cond_wait_ms(d, 500);
    }
    return vm->pid == 0;
}

int dvm_stop(struct daemon *d, const char *name, bool force, int timeout_s, struct api_err *ae)
{
    struct dvm *vm = claim(d, name, "stop", (1u << DVM_RUNNING) | (1u << DVM_PAUSED), ae);
    if (!vm)
        return -1;
    bool was_paused = vm->state == DVM_PAUSED;
    vm->stop_requested = true;
    vm->stop_mode = "graceful";
    vm->state = DVM_STOPPING;
    pid_t pid = vm->pid;
    bool gone = !force && stop_graceful(d, vm, was_paused, timeout_s);
    if (!gone) {
        char ctl_path[DAEMON_PATH_MAX];
        snprintf(ctl_path, sizeof(ctl_path), "%s", vm->ctl_path);
        vm->stop_mode = "forced";
        pthread_mutex_unlock(&d->lock);
        struct err e = {0};
        int r = ctl_once(ctl_path, CTL_STOP, NULL, &e);
        pthread_mutex_lock(&d->lock);
        gone = r == 0 && wait_gone(d, vm, FORCE_WAIT_S * 1000);
    }
    if (!gone && vm->pid == pid && process_is_vm(pid, vm->ctl_path)) {
        vm->stop_mode = "killed";
        kill(pid, SIGKILL);
        gone = wait_gone(d, vm, KILL_WAIT_S * 1000);
    }
    /* The control socket closes just before the process ends: let it end,
     * so that "stopped" means no process is left. */
    for (int i = 0; gone && i < 50 && !process_gone(pid); i++)
        cond_wait_ms(d, 100);
    vm->busy = NULL;
    int r = 0;
    if (!gone)
        r = api_fail(ae, 500, "%s: the VM process %d did not exit", name, (int)pid);
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    return r;
}

/* ---- main-thread duties ------------------------------------------------------- */

void daemon_reap(struct daemon *d)
{
    int st;
    pid_t pid;
    pthread_mutex_lock(&d->lock);
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (struct dvm *vm = d->vms; vm; vm = vm->next) {
            if (vm->pid == pid && vm->own_child) {
                vm->reaped = true;
                vm->wait_status = st;
            }
        }
    }
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

struct start_job {
    struct daemon *d;
    char *name;
    const char *why;
};

static void *start_main(void *arg)
{
    struct start_job *job = arg;
    struct api_err ae = {0};
    if (start_vm(job->d, job->name, job->why, &ae) < 0)
        log_warn("supervise", "starting %s: %s", job->name, ae.e.msg);
    free(job->name);
    free(job);
    return NULL;
}

/* Start `name` on a thread of its own (restart policy, autostart). */
static void start_in_background(struct daemon *d, const char *name, const char *why)
{
    pthread_t t;
    pthread_attr_t attr;
    struct start_job *job = xzalloc(sizeof(*job));
    job->d = d;
    job->name = xstrdup(name);
    job->why = why;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, start_main, job)) {
        log_warn("supervise", "cannot start a thread to start %s", name);
        free(job->name);
        free(job);
    }
    pthread_attr_destroy(&attr);
}

void daemon_tick(struct daemon *d)
{
    uint64_t now = mono_ns();
    long hz = sysconf(_SC_CLK_TCK);
    pthread_mutex_lock(&d->lock);
    for (struct dvm *vm = d->vms; vm; vm = vm->next) {
        if (vm->pid > 0 && vm->monitor) {
            uint64_t ticks, rss;
            if (process_sample(vm->pid, &ticks, &rss)) {
                if (vm->sample_ns && now > vm->sample_ns && ticks >= vm->cpu_ticks)
                    vm->cpu_pct = 100.0 * (double)(ticks - vm->cpu_ticks) / (double)hz /
                                  ((double)(now - vm->sample_ns) / 1e9);
                vm->cpu_ticks = ticks;
                vm->sample_ns = now;
                vm->rss_bytes = rss;
                process_io(vm->pid, &vm->io_read_bytes, &vm->io_write_bytes);
            }
            /* the VM's counters: one query in flight at a time; one lost
             * (no answer in 10 s) is given up */
            if (vm->query_id && now - vm->query_sent_ns > 10000000000ull)
                vm->query_id = 0;
            if (!vm->query_id && ctl_client_send(vm->monitor, CTL_QUERY, &vm->query_id) == 0)
                vm->query_sent_ns = now;
        }
        if (vm->restart_at && now >= vm->restart_at && !vm->busy &&
            (vm->state == DVM_STOPPED || vm->state == DVM_CRASHED)) {
            vm->restart_at = 0;
            vm->restarts++;
            start_in_background(d, vm->def.name, "restarted");
        }
    }
    pthread_mutex_unlock(&d->lock);
}

/* Re-attach one VM from its runtime file. Lock held. */
static void reattach_one(struct daemon *d, struct dvm *vm)
{
    char path[DAEMON_PATH_MAX], *buf;
    size_t len;
    dvm_path(d, vm->def.name, "runtime.json", path, sizeof(path));
    if (store_read_file(path, 65536, &buf, &len, NULL) < 0)
        return;
    json_t *j = json_loads(buf, 0, NULL);
    free(buf);
    pid_t pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
    const char *ctl = json_string_value(json_object_get(j, "control"));
    const char *con = json_string_value(json_object_get(j, "console"));
    struct ctl_client *c = NULL;
    struct err e = {0};
    bool ok = pid > 0 && ctl && con && process_is_vm(pid, ctl) &&
              ctl_client_connect(&c, ctl, 5000, &e) == 0;
    if (ok && (ctl_client_pid(c) != pid || strcmp(ctl_client_name(c), vm->def.name))) {
        ctl_client_close(c);
        ok = false;
    }
    if (ok) {
        snprintf(vm->ctl_path, sizeof(vm->ctl_path), "%s", ctl);
        snprintf(vm->con_path, sizeof(vm->con_path), "%s", con);
        vm->pid = pid;
        vm->own_child = false;
        vm->started_at = json_integer_value(json_object_get(j, "started_at"));
        vm->started_mono =
            mono_ns() - (uint64_t)((int64_t)time(NULL) - vm->started_at) * 1000000000u;
        json_t *res = NULL;
        struct ctl_status st;
        bool got = ctl_client_call(c, CTL_QUERY, &res, 5000, &e) == 0 &&
                   ctl_status_from_json(&st, res, &e) == 0;
        bool paused = got && !strcmp(st.state, "paused");
        json_decref(res);
        if (attach_monitor(d, vm, c) == 0) {
            vm->state = paused ? DVM_PAUSED : DVM_RUNNING;
            /* reboots before now were logged (or missed) by the last rvisord */
            if (got) {
                vm->guest_reboots = st.guest_reboots;
                dvm_note_status(d, vm, &st);
            }
            events_add(d, vm->def.name, "reattached", "found running VM process %d (%s)", (int)pid,
                       dvm_state_name(vm->state));
        } else {
            ok = false;
        }
    }
    if (!ok) {
        events_add(d, vm->def.name, "lost",
                   "the VM process (pid %d) ended while rvisord was not watching", (int)pid);
        runtime_remove(d, vm);
        vm->state = DVM_STOPPED;
        vm->pid = 0;
        snprintf(vm->exit_reason, sizeof(vm->exit_reason), "unknown");
        if (vm->def.restart == VMDEF_RESTART_ALWAYS)
            vm->restart_at = mono_ns();
    }
    json_decref(j);
}

void daemon_reattach(struct daemon *d)
{
    pthread_mutex_lock(&d->lock);
    for (struct dvm *vm = d->vms; vm; vm = vm->next)
        reattach_one(d, vm);
    for (struct dvm *vm = d->vms; vm; vm = vm->next)
        if (vm->def.autostart && vm->state == DVM_STOPPED && !vm->restart_at) {
            start_in_background(d, vm->def.name, "autostarted");
        }
    pthread_mutex_unlock(&d->lock);
}
