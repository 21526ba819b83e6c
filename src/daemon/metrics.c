/* SPDX-License-Identifier: MIT */
/*
 * metrics: GET /metrics in the Prometheus text exposition format (version
 * 0.0.4): per-VM state, CPU, memory, disk I/O and restarts, host totals and
 * the daemon's own figures. Values come from the per-second /proc samples
 * and the VM processes' answers to the per-second query (supervise.c), so
 * rendering never waits for a VM.
 *
 * Threads: called with d->lock held.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/process.h"
#include "util/alloc.h"

struct buf {
    char *s;
    size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)(n > 0 ? n : 0) + 256;
        b->s = xrealloc(b->s, b->cap);
    }
}

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

enum vm_value {
    V_UP,
    V_VCPUS,
    V_MEM,
    V_CPU_SECONDS,
    V_CPU_PCT,
    V_RSS,
    V_RD,
    V_WR,
    V_RESTARTS,
    V_REBOOTS
};

static double vm_value(const struct dvm *vm, enum vm_value v)
{
    switch (v) {
    case V_UP: return vm->pid > 0;
    case V_VCPUS: return vm->def.vcpus;
    case V_MEM: return (double)vm->def.memory_mib * 1048576.0;
    case V_CPU_SECONDS: return (double)vm->cpu_ticks / (double)sysconf(_SC_CLK_TCK);
    case V_CPU_PCT: return vm->cpu_pct;
    case V_RSS: return (double)vm->rss_bytes;
    case V_RD: return (double)vm->io_read_bytes;
    case V_WR: return (double)vm->io_write_bytes;
    case V_RESTARTS: return vm->restarts;
    case V_REBOOTS: return (double)vm->status.guest_reboots;
    }
    return 0;
}

/* One family with a sample per VM (only running ones if `running_only`).
 * Label values need no escaping: VM names are [A-Za-z0-9_.-]. */
static void per_vm(struct buf *b, struct daemon *d, const char *name, const char *type,
                   const char *help, enum vm_value v, bool running_only)
{
    family(b, name, type, help);
    for (struct dvm *vm = d->vms; vm; vm = vm->next) {
        if (running_only && vm->pid <= 0)
            continue;
        if (v == V_REBOOTS && !(vm->pid > 0 && vm->status_valid))
            continue;
        put(b, "%s{vm=\"%s\"} %.17g\n", name, vm->def.name, vm_value(vm, v));
    }
}

/* The devices' own counters, one sample per VM and device, from the VM
 * process's last answer (supervise.c asks every second). */
static void per_device(struct buf *b, struct daemon *d, const char *name, const char *help,
                       enum dvm_io_kind kind, int k)
{
    family(b, name, "counter", help);
    for (struct dvm *vm = d->vms; vm; vm = vm->next) {
        const struct ctl_status *st = &vm->status;
        if (vm->pid <= 0 || !vm->status_valid)
            continue;
        for (int i = 0; i < dvm_io_count(st, kind); i++) {
            uint64_t v[DVM_IO_COUNTERS];
            const char *dev = dvm_io_device(st, kind, i, v);
            put(b, "%s{vm=\"%s\",device=\"%s\"} %llu\n", name, vm->def.name, dev,
                (unsigned long long)v[k]);
        }
    }
}

static void devices(struct buf *b, struct daemon *d)
{
    /* in the order of dvm_io_keys */
    static const char *const help[2][DVM_IO_COUNTERS] = {
        [DVM_IO_DISK] = {"Disk read requests completed", "Disk write requests completed",
                         "Bytes the guest read from the disk", "Bytes the guest wrote to the disk",
                         "Disk flush requests completed", "Disk requests that failed"},
        [DVM_IO_NET] = {"Frames the NIC delivered to the guest",
                        "Bytes the NIC delivered to the guest", "Frames the guest sent",
                        "Bytes the guest sent", "Frames to the guest that were dropped",
                        "Frames from the guest that were dropped"},
    };
    for (int kind = DVM_IO_DISK; kind <= DVM_IO_NET; kind++) {
        for (int k = 0; k < DVM_IO_COUNTERS; k++) {
            char name[96];
            snprintf(name, sizeof(name), "rvisor_vm_%s_%s_total",
                     kind == DVM_IO_DISK ? "disk" : "net", dvm_io_keys[kind][k]);
            per_device(b, d, name, help[kind][k], (enum dvm_io_kind)kind, k);
        }
    }
}

static void host_memory(uint64_t *total, uint64_t *avail)
{
    char key[64];
    unsigned long long v;
    *total = *avail = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return;
    while (fscanf(f, "%63s %llu kB\n", key, &v) == 2) {
        if (!strcmp(key, "MemTotal:"))
            *total = v * 1024;
        else if (!strcmp(key, "MemAvailable:"))
            *avail = v * 1024;
    }
    fclose(f);
}

static void vm_states(struct buf *b, struct daemon *d)
{
    static const enum dvm_state all[] = {DVM_STOPPED, DVM_STARTING, DVM_RUNNING,
                                         DVM_PAUSED,  DVM_STOPPING, DVM_CRASHED};
    family(b, "rvisor_vm_state", "gauge", "1 for the VM's current state");
    for (struct dvm *vm = d->vms; vm; vm = vm->next)
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
            put(b, "rvisor_vm_state{vm=\"%s\",state=\"%s\"} %d\n", vm->def.name,
                dvm_state_name(all[i]), vm->state == all[i]);
    family(b, "rvisor_vms", "gauge", "Number of defined VMs by state");
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        int n = 0;
        for (struct dvm *vm = d->vms; vm; vm = vm->next)
            n += vm->state == all[i];
        put(b, "rvisor_vms{state=\"%s\"} %d\n", dvm_state_name(all[i]), n);
    }
}

static void host_totals(struct buf *b, struct daemon *d)
{
    uint64_t total, avail, ticks = 0, rss = 0, vm_rss = 0, vm_mem = 0;
    double vm_cpu = 0;
    host_memory(&total, &avail);
    for (struct dvm *vm = d->vms; vm; vm = vm->next) {
        if (vm->pid > 0) {
            vm_rss += vm->rss_bytes;
            vm_mem += (uint64_t)vm->def.memory_mib << 20;
            vm_cpu += vm->cpu_pct;
        }
    }
    int ntemplates = 0;
    for (struct dtemplate *t = d->templates; t; t = t->next)
        ntemplates++;
    process_sample(getpid(), &ticks, &rss);
    family(b, "rvisor_host_cpus", "gauge", "Online host CPUs");
    put(b, "rvisor_host_cpus %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    family(b, "rvisor_host_memory_total_bytes", "gauge", "Host memory (MemTotal)");
    put(b, "rvisor_host_memory_total_bytes %llu\n", (unsigned long long)total);
    family(b, "rvisor_host_memory_available_bytes", "gauge", "Host memory available");
    put(b, "rvisor_host_memory_available_bytes %llu\n", (unsigned long long)avail);
    family(b, "rvisor_host_vm_rss_bytes", "gauge", "Resident memory of all VM processes");
    put(b, "rvisor_host_vm_rss_bytes %llu\n", (unsigned long long)vm_rss);
    family(b, "rvisor_host_vm_memory_bytes", "gauge", "Guest RAM configured for running VMs");
    put(b, "rvisor_host_vm_memory_bytes %llu\n", (unsigned long long)vm_mem);
    family(b, "rvisor_host_vm_cpu_percent", "gauge", "CPU use of all VM processes (100 = 1 CPU)");
    put(b, "rvisor_host_vm_cpu_percent %.17g\n", vm_cpu);
    family(b, "rvisor_templates", "gauge", "Number of templates");
    put(b, "rvisor_templates %d\n", ntemplates);
    family(b, "rvisord_rss_bytes", "gauge", "Resident memory of rvisord itself");
    put(b, "rvisord_rss_bytes %llu\n", (unsigned long long)rss);
    family(b, "rvisord_cpu_seconds_total", "counter", "CPU time of rvisord itself");
    put(b, "rvisord_cpu_seconds_total %.17g\n", (double)ticks / (double)sysconf(_SC_CLK_TCK));
    family(b, "rvisord_start_time_seconds", "gauge", "When rvisord started (Unix time)");
    put(b, "rvisord_start_time_seconds %lld\n", (long long)d->started_at);
    family(b, "rvisord_requests_total", "counter", "API requests served");
    put(b, "rvisord_requests_total %llu\n", (unsigned long long)d->requests_total);
    family(b, "rvisord_events_total", "counter", "Events recorded (last sequence number)");
    put(b, "rvisord_events_total %llu\n", (unsigned long long)events_last_seq(d));
}

char *metrics_render(struct daemon *d)
{
    struct buf b = {.s = xmalloc(8192), .cap = 8192};
    b.s[0] = 0;
    vm_states(&b, d);
    per_vm(&b, d, "rvisor_vm_up", "gauge", "1 if the VM process runs", V_UP, false);
    per_vm(&b, d, "rvisor_vm_vcpus", "gauge", "Configured vCPUs", V_VCPUS, false);
    per_vm(&b, d, "rvisor_vm_memory_bytes", "gauge", "Configured guest RAM", V_MEM, false);
    per_vm(&b, d, "rvisor_vm_cpu_seconds_total", "counter",
           "Host CPU time of the VM process (user + system)", V_CPU_SECONDS, true);
    per_vm(&b, d, "rvisor_vm_cpu_percent", "gauge",
           "Host CPU use of the VM process over the last second (100 = 1 CPU)", V_CPU_PCT, true);
    per_vm(&b, d, "rvisor_vm_rss_bytes", "gauge", "Resident memory of the VM process", V_RSS, true);
    per_vm(&b, d, "rvisor_vm_host_read_bytes_total", "counter",
           "Bytes the VM process read from storage, as the host kernel counts them", V_RD, true);
    per_vm(&b, d, "rvisor_vm_host_write_bytes_total", "counter",
           "Bytes the VM process wrote to storage, as the host kernel counts them", V_WR, true);
    devices(&b, d);
    per_vm(&b, d, "rvisor_vm_reboots_total", "counter",
           "Reboots the guest asked for since its VM process started", V_REBOOTS, true);
    per_vm(&b, d, "rvisor_vm_restarts", "gauge",
           "Restarts by the restart policy in the current 10-minute window", V_RESTARTS, false);
    host_totals(&b, d);
    return b.s;
}
