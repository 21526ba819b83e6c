/* SPDX-License-Identifier: MIT */
/*
 * vms: the VM table: define (validate, check files, write the definition
 * atomically, then insert), undefine, and the JSON views (summary, info).
 * Lifecycle operations are in supervise.c.
 *
 * Threads: see daemon.h; each function says whether it takes d->lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/store.h"
#include "util/alloc.h"

static const char *const state_names[] = {
    [DVM_STOPPED] = "stopped", [DVM_STARTING] = "starting", [DVM_RUNNING] = "running",
    [DVM_PAUSED] = "paused",   [DVM_STOPPING] = "stopping", [DVM_CRASHED] = "crashed",
};

const char *dvm_state_name(enum dvm_state s)
{
    return state_names[s];
}

int api_fail(struct api_err *ae, int status, const char *fmt, ...)
{
    if (!ae->status)
        ae->status = status;
    if (ae->e.set)
        return -1; /* the first message (the cause) stays */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ae->e.msg, sizeof(ae->e.msg), fmt, ap);
    va_end(ap);
    ae->e.set = true;
    return -1;
}

struct dvm *dvm_find(struct daemon *d, const char *name)
{
    for (struct dvm *vm = d->vms; vm; vm = vm->next)
        if (!strcmp(vm->def.name, name))
            return vm;
    return NULL;
}

struct dtemplate *dtemplate_find(struct daemon *d, const char *name)
{
    for (struct dtemplate *t = d->templates; t; t = t->next)
        if (!strcmp(t->def.name, name))
            return t;
    return NULL;
}

bool dvm_name_reserve(struct daemon *d, const char *name)
{
    int free_slot = -1;
    if (dvm_find(d, name))
        return false;
    for (int i = 0; i < 32; i++) {
        if (!strcmp(d->reserved[i], name))
            return false;
        if (!d->reserved[i][0] && free_slot < 0)
            free_slot = i;
    }
    if (free_slot < 0)
        return false;
    snprintf(d->reserved[free_slot], sizeof(d->reserved[free_slot]), "%s", name);
    return true;
}

void dvm_name_release(struct daemon *d, const char *name)
{
    for (int i = 0; i < 32; i++)
        if (!strcmp(d->reserved[i], name))
            d->reserved[i][0] = 0;
}

void dvm_path(struct daemon *d, const char *name, const char *leaf, char *out, size_t size)
{
    if (leaf)
        snprintf(out, size, "%s/vms/%s/%s", d->state_dir, name, leaf);
    else
        snprintf(out, size, "%s/vms/%s.json", d->state_dir, name);
}

/* ---- definition checks ---------------------------------------------------- */

static int check_file(const char *field, const char *path, bool allow_blockdev, struct api_err *ae)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        snprintf(ae->field, sizeof(ae->field), "%s", field);
        return api_fail(ae, 400, "%s: %s: %s", field, path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode) && !(allow_blockdev && S_ISBLK(st.st_mode))) {
        snprintf(ae->field, sizeof(ae->field), "%s", field);
        return api_fail(ae, 400, "%s: %s: not a regular file", field, path);
    }
    if (access(path, R_OK) < 0) {
        snprintf(ae->field, sizeof(ae->field), "%s", field);
        return api_fail(ae, 400, "%s: %s: %s", field, path, strerror(errno));
    }
    return 0;
}

/* qcow2 images start with "QFI\xfb"; anything else is raw. */
static const char *probe_format(const char *path)
{
    unsigned char magic[4] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, magic, 4) != 4)
            magic[0] = 0;
        close(fd);
    }
    return !memcmp(magic, "QFI\xfb", 4) ? "qcow2" : "raw";
}

int dvm_check_files(struct vmdef *def, struct api_err *ae)
{
    if (def->kernel && check_file("kernel", def->kernel, false, ae) < 0)
        return -1;
    if (def->initrd && check_file("initrd", def->initrd, false, ae) < 0)
        return -1;
    for (int i = 0; i < def->ndisks; i++) {
        char field[32];
        snprintf(field, sizeof(field), "disks[%d].path", i);
        if (check_file(field, def->disks[i].path, true, ae) < 0)
            return -1;
        if (!strcmp(def->disks[i].format, "auto"))
            snprintf(def->disks[i].format, sizeof(def->disks[i].format), "%s",
                     probe_format(def->disks[i].path));
    }
    return 0;
}

/* ---- define / undefine -------------------------------------------------------- */

int dvm_save(struct daemon *d, const struct vmdef *def, struct api_err *ae)
{
    char path[DAEMON_PATH_MAX];
    dvm_path(d, def->name, NULL, path, sizeof(path));
    json_t *j = vmdef_to_json(def);
    int r = store_write_json(path, j, &ae->e);
    json_decref(j);
    if (r < 0)
        return api_fail(ae, 500, "%s", ae->e.msg);
    return 0;
}

int dvm_insert(struct daemon *d, struct vmdef *def, struct api_err *ae)
{
    bool reserved_by_other = false;
    for (int i = 0; i < 32; i++)
        if (!strcmp(d->reserved[i], def->name))
            reserved_by_other = true;
    if (dvm_find(d, def->name) || reserved_by_other)
        return api_fail(ae, 409, "a VM named \"%s\" already exists", def->name);
    char dir[DAEMON_PATH_MAX];
    dvm_path(d, def->name, "", dir, sizeof(dir));
    if (store_mkdirs(dir, 0700, &ae->e) < 0 || dvm_save(d, def, ae) < 0)
        return api_fail(ae, 500, "%s", ae->e.msg);
    struct dvm *vm = xzalloc(sizeof(*vm));
    vm->d = d;
    vm->def = *def;
    memset(def, 0, sizeof(*def)); /* ownership moved */
    vm->state = DVM_STOPPED;
    struct dvm **tail = &d->vms;
    while (*tail)
        tail = &(*tail)->next;
    *tail = vm;
    return 0;
}

int dvm_define(struct daemon *d, json_t *body, json_t **out, struct api_err *ae)
{
    struct vmdef def;
    if (vmdef_from_json(&def, body, 0, &ae->e, ae->field) < 0) {
        ae->status = 400;
        return -1;
    }
    if (!def.uuid[0])
        vmdef_uuid_generate(def.uuid);
    if (dvm_check_files(&def, ae) < 0) {
        vmdef_fini(&def);
        return -1;
    }
    char name[VMDEF_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", def.name);
    pthread_mutex_lock(&d->lock);
    int r = dvm_insert(d, &def, ae);
    if (r == 0) {
        struct dvm *vm = dvm_find(d, name);
        events_add(d, name, "defined", "VM defined (%d vCPU, %u MiB)", vm->def.vcpus,
                   vm->def.memory_mib);
        *out = dvm_summary(d, vm);
    }
    pthread_mutex_unlock(&d->lock);
    vmdef_fini(&def);
    return r;
}

static void remove_vm(struct daemon *d, struct dvm *vm)
{
    for (struct dvm **p = &d->vms; *p; p = &(*p)->next) {
        if (*p == vm) {
            *p = vm->next;
            break;
        }
    }
    vmdef_fini(&vm->def);
    free(vm);
}

int dvm_undefine(struct daemon *d, const char *name, struct api_err *ae)
{
    int r = -1;
    pthread_mutex_lock(&d->lock);
    struct dvm *vm = dvm_find(d, name);
    if (!vm) {
        api_fail(ae, 404, "no VM named \"%s\"", name);
    } else if (vm->busy) {
        api_fail(ae, 409, "%s: a %s operation is in progress", name, vm->busy);
    } else if (vm->state != DVM_STOPPED && vm->state != DVM_CRASHED) {
        api_fail(ae, 409, "%s is %s: stop it before undefining it", name,
                 dvm_state_name(vm->state));
    } else {
        char path[DAEMON_PATH_MAX];
        dvm_path(d, name, NULL, path, sizeof(path));
        int ur = store_unlink(path);
        if (ur < 0) {
            api_fail(ae, 500, "%s: %s", path, strerror(-ur));
        } else {
            dvm_path(d, name, "", path, sizeof(path));
            store_remove_tree(path); /* clone disks, logs: owned by us */
            events_add(d, name, "undefined", "VM undefined");
            remove_vm(d, vm);
            r = 0;
        }
    }
    pthread_mutex_unlock(&d->lock);
    return r;
}

/* ---- views ------------------------------------------------------------------ */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool is_up(const struct dvm *vm)
{
    return vm->pid > 0 && vm->state != DVM_STOPPED && vm->state != DVM_CRASHED;
}

json_t *dvm_summary(struct daemon *d, struct dvm *vm)
{
    bool up = is_up(vm);
    json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:s}", "name", vm->def.name, "uuid",
                          vm->def.uuid, "state", dvm_state_name(vm->state), "vcpus", vm->def.vcpus,
                          "memory_mib", (int)vm->def.memory_mib, "autostart", vm->def.autostart,
                          "restart", vmdef_restart_name(vm->def.restart));
    json_object_set_new(j, "pid", up ? json_integer(vm->pid) : json_null());
    json_object_set_new(j, "uptime_s",
                        up ? json_real((double)(mono_ns() - vm->started_mono) / 1e9) : json_null());
    json_object_set_new(j, "cpu_percent", up ? json_real(vm->cpu_pct) : json_null());
    json_object_set_new(j, "rss_bytes", up ? json_integer((json_int_t)vm->rss_bytes) : json_null());
    json_object_set_new(j, "template",
                        vm->def.template_name ? json_string(vm->def.template_name) : json_null());
    if (vm->busy)
        json_object_set_new(j, "busy", json_string(vm->busy));
    return j;
}

const char *const dvm_io_keys[2][DVM_IO_COUNTERS] = {
    [DVM_IO_DISK] = {"read_requests", "write_requests", "read_bytes", "write_bytes", "flushes",
                     "errors"},
    [DVM_IO_NET] = {"rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_dropped", "tx_dropped"},
};

int dvm_io_count(const struct ctl_status *st, enum dvm_io_kind kind)
{
    return kind == DVM_IO_DISK ? st->ndisks : st->nnics;
}

const char *dvm_io_device(const struct ctl_status *st, enum dvm_io_kind kind, int i,
                          uint64_t v[DVM_IO_COUNTERS])
{
    if (kind == DVM_IO_DISK) {
        const struct ctl_disk_stats *s = &st->disks[i];
        const uint64_t d[DVM_IO_COUNTERS] = {s->read_requests, s->write_requests, s->read_bytes,
                                             s->write_bytes,   s->flushes,        s->errors};
        memcpy(v, d, sizeof(d));
        return s->device;
    }
    const struct ctl_nic_stats *s = &st->nics[i];
    const uint64_t n[DVM_IO_COUNTERS] = {s->rx_packets, s->rx_bytes,   s->tx_packets,
                                         s->tx_bytes,   s->rx_dropped, s->tx_dropped};
    memcpy(v, n, sizeof(n));
    return s->device;
}

json_t *dvm_io_json(const struct ctl_status *st, enum dvm_io_kind kind)
{
    const char *const *keys = dvm_io_keys[kind];
    uint64_t t[DVM_IO_COUNTERS] = {0};
    json_t *devs = json_array();
    for (int i = 0; i < dvm_io_count(st, kind); i++) {
        uint64_t v[DVM_IO_COUNTERS];
        json_t *o = json_pack("{s:s}", "device", dvm_io_device(st, kind, i, v));
        if (kind == DVM_IO_NET)
            json_object_set_new(o, "backend", json_string(st->nics[i].backend));
        for (int k = 0; k < DVM_IO_COUNTERS; k++) {
            json_object_set_new(o, keys[k], json_integer((json_int_t)v[k]));
            t[k] += v[k];
        }
        json_array_append_new(devs, o);
    }
    json_t *j = json_object();
    for (int k = 0; k < DVM_IO_COUNTERS; k++)
        json_object_set_new(j, keys[k], json_integer((json_int_t)t[k]));
    json_object_set_new(j, "devices", devs);
    return j;
}

static json_t *runtime_json(struct daemon *d, struct dvm *vm)
{
    char host[256] = "localhost";
    gethostname(host, sizeof(host) - 1);
    char log_path[DAEMON_PATH_MAX];
    dvm_path(d, vm->def.name, "console.log", log_path, sizeof(log_path));
    bool up = is_up(vm);
    json_t *j = dvm_summary(d, vm);
    json_object_set_new(j, "host", json_string(host));
    json_object_set_new(j, "console_log", json_string(log_path));
    json_object_set_new(j, "console_socket", up ? json_string(vm->con_path) : json_null());
    json_object_set_new(j, "control_socket", up ? json_string(vm->ctl_path) : json_null());
    json_object_set_new(j, "started_at", up ? json_integer(vm->started_at) : json_null());
    /* the devices' own counters (the VM process's last answer) */
    const struct ctl_status *st = up && vm->status_valid ? &vm->status : NULL;
    json_t *disk = st && st->has_devices ? dvm_io_json(st, DVM_IO_DISK) : NULL;
    json_t *net = st && st->has_devices ? dvm_io_json(st, DVM_IO_NET) : NULL;
    json_object_set_new(j, "disk_read_bytes",
                        disk ? json_incref(json_object_get(disk, "read_bytes")) : json_null());
    json_object_set_new(j, "disk_write_bytes",
                        disk ? json_incref(json_object_get(disk, "write_bytes")) : json_null());
    json_object_set_new(j, "net_rx_bytes",
                        net ? json_incref(json_object_get(net, "rx_bytes")) : json_null());
    json_object_set_new(j, "net_tx_bytes",
                        net ? json_incref(json_object_get(net, "tx_bytes")) : json_null());
    json_object_set_new(j, "disk_io", disk ? disk : json_null());
    json_object_set_new(j, "net_io", net ? net : json_null());
    /* what the host kernel saw the VM process read and write (page cache
     * and image metadata included) */
    json_object_set_new(j, "host_io",
                        up ? json_pack("{s:I, s:I}", "read_bytes", (json_int_t)vm->io_read_bytes,
                                       "write_bytes", (json_int_t)vm->io_write_bytes)
                           : json_null());
    json_object_set_new(j, "guest_reboots",
                        st ? json_integer((json_int_t)st->guest_reboots) : json_null());
    json_object_set_new(j, "restarts", json_integer(vm->restarts));
    /* a restart by the restart policy is due in this many seconds */
    uint64_t now = mono_ns();
    json_object_set_new(
        j, "restart_in_s",
        vm->restart_at
            ? json_real(vm->restart_at > now ? (double)(vm->restart_at - now) / 1e9 : 0.0)
            : json_null());
    if (vm->exit_reason[0])
        json_object_set_new(
            j, "last_exit",
            json_pack("{s:i, s:s}", "status", vm->exit_status, "reason", vm->exit_reason));
    return j;
}

json_t *dvm_info(struct daemon *d, const char *name, struct api_err *ae)
{
    pthread_mutex_lock(&d->lock);
    struct dvm *vm = dvm_find(d, name);
    bool ask = vm && (vm->state == DVM_RUNNING || vm->state == DVM_PAUSED);
    pthread_mutex_unlock(&d->lock);
    /* a fresh answer from the VM (it also refreshes the record's counters) */
    struct ctl_status st;
    bool got = ask && dvm_query(d, name, &st);
    pthread_mutex_lock(&d->lock);
    vm = dvm_find(d, name);
    if (!vm) {
        pthread_mutex_unlock(&d->lock);
        api_fail(ae, 404, "no VM named \"%s\"", name);
        return NULL;
    }
    json_t *j = runtime_json(d, vm);
    json_object_set_new(j, "definition", vmdef_to_json(&vm->def));
    pthread_mutex_unlock(&d->lock);
    if (got)
        json_object_set_new(j, "guest",
                            json_pack("{s:I, s:I, s:I, s:b}", "ram_resident_bytes",
                                      (json_int_t)st.ram_resident_bytes, "vmm_cpu_ns",
                                      (json_int_t)st.cpu_ns, "vmm_uptime_ms",
                                      (json_int_t)st.uptime_ms, "powerbtn_ready",
                                      st.powerbtn_ready));
    return j;
}
