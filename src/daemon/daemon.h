/* SPDX-License-Identifier: MIT */
/*
 * daemon: rvisord's shared state: the VM and template tables, the state
 * directory layout, and the functions the modules (store, supervise, routes,
 * templates, events, metrics, server) offer each other.
 *
 * Threads and locks: the main thread runs an evloop (signals, the VMs'
 * monitor connections, a 1 s tick); every API connection has its own thread.
 * One mutex, d->lock, protects both tables and every field of every record;
 * d->cond is broadcast whenever a VM's state changes. A thread that must
 * wait without the lock (spawning a VM, talking to its control socket,
 * copying a disk) first marks the record busy, and every operation refuses a
 * busy record with 409, so records never go away under a waiting thread.
 *
 * State directory (--state-dir):
 *   vms/NAME.json              definition (written atomically)
 *   vms/NAME/                  owned by rvisord: clone disks, console.log,
 *                              vmm.log (the VM process's stderr), runtime.json
 *                              (pid and sockets of a running VM)
 *   templates/NAME.json        template definition
 *   templates/NAME/            its read-only base disks
 *   events.log                 JSON lines, one per event
 * Runtime directory (beside --socket): vms/NAME.ctl, vms/NAME.console.
 */
#ifndef RV_DAEMON_DAEMON_H
#define RV_DAEMON_DAEMON_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "api/ctl.h"
#include "api/vmconfig.h"
#include "util/err.h"
#include "util/evloop.h"

#define DAEMON_VERSION "0.1.0"
#define DAEMON_API_VERSION 1
#define DAEMON_PATH_MAX 4096

enum dvm_state { DVM_STOPPED, DVM_STARTING, DVM_RUNNING, DVM_PAUSED, DVM_STOPPING, DVM_CRASHED };

struct daemon;

struct dvm {
    struct daemon *d;
    struct vmdef def;
    enum dvm_state state;
    const char *busy; /* operation in progress ("start", "stop", ...) or NULL */
    pid_t pid;        /* VM process, 0 when none */
    bool own_child;   /* spawned by this rvisord (reaped here) */
    bool reaped;      /* own child: its exit status was collected */
    int wait_status;
    struct ctl_client *monitor; /* event connection, watched by the main loop */
    char ctl_path[DAEMON_PATH_MAX];
    char con_path[DAEMON_PATH_MAX];
    int64_t started_at;    /* wall clock, seconds */
    uint64_t started_mono; /* ns */
    bool stop_requested;   /* the next exit was asked for */
    const char *stop_mode; /* "graceful", "forced", "killed" */
    bool exited_seen;      /* the exit event arrived */
    int exit_status;
    char exit_reason[16];
    /* restart policy */
    int restarts; /* within the current window */
    uint64_t restart_window_start;
    uint64_t restart_at; /* mono ns; 0: none scheduled */
    /* samples from /proc, taken every tick */
    uint64_t cpu_ticks, sample_ns;
    double cpu_pct;
    uint64_t rss_bytes, io_read_bytes, io_write_bytes;
    uint64_t cpu_seconds_total_ticks;
    /* the VM process's own figures: per-device counters, reboots. A query
     * goes out on the monitor connection every tick; its answer lands here
     * (monitor callback). */
    struct ctl_status status;
    bool status_valid; /* `status` is from the current process */
    uint64_t query_id; /* query in flight on the monitor, 0: none */
    uint64_t query_sent_ns;
    uint64_t guest_reboots; /* guest-initiated reboots already in the event log */
    struct dvm *next;
};

struct dtemplate {
    struct vmdef def;
    const char *busy; /* being created */
    int cloning;      /* clones being made from it right now */
    struct dtemplate *next;
};

struct daemon_config {
    const char *state_dir;
    const char *socket_path;
    const char *rvisor_path;
    int stop_timeout_s; /* default graceful-stop timeout */
};

struct daemon {
    struct daemon_config cfg;
    char state_dir[DAEMON_PATH_MAX];
    char run_dir[DAEMON_PATH_MAX];
    char rvisor[DAEMON_PATH_MAX];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct dvm *vms;
    struct dtemplate *templates;
    struct evloop *loop; /* NULL in unit tests: no supervision */
    int64_t started_at;
    int active_connections;  /* protected by lock */
    uint64_t requests_total; /* protected by lock */
    /* events (events.c), protected by lock */
    struct devents *events;
    /* names of VMs being created (clones), protected by lock */
    char reserved[32][VMDEF_NAME_MAX + 1];
};

/* ---- daemon lifecycle (supervise.c) ----------------------------------- */

/* Create the state and runtime directories, load definitions, templates and
 * events. `loop` may be NULL (no VMs can run: unit tests). 0 or -errno. */
int daemon_open(struct daemon **out, const struct daemon_config *cfg, struct evloop *loop,
                struct err *e) __attribute__((warn_unused_result));
void daemon_close(struct daemon *d);
/* Find running VM processes from an earlier rvisord and re-attach; then start
 * autostart VMs. Main thread, before serving. */
void daemon_reattach(struct daemon *d);
/* Every second, on the main thread: samples, restarts due. */
void daemon_tick(struct daemon *d);
/* SIGCHLD: reap children. Main thread. */
void daemon_reap(struct daemon *d);

/* ---- VM table (vms.c) ------------------------------------------------ */

const char *dvm_state_name(enum dvm_state s);
/* Called with lock held. */
struct dvm *dvm_find(struct daemon *d, const char *name);
struct dtemplate *dtemplate_find(struct daemon *d, const char *name);
/* Reserve a new VM name while its files are made (lock held): false if a
 * VM has it or someone else reserved it. */
bool dvm_name_reserve(struct daemon *d, const char *name);
void dvm_name_release(struct daemon *d, const char *name);
/* Paths of a VM's files. */
void dvm_path(struct daemon *d, const char *name, const char *leaf, char *out, size_t size);

/* API errors: HTTP status plus message (and the field, for 400s). */
struct api_err {
    int status;
    char field[VMDEF_FIELD_MAX];
    struct err e;
};
int api_fail(struct api_err *ae, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Define from a parsed body. Lock not held. 0 or -1 with `ae`. */
int dvm_define(struct daemon *d, json_t *body, json_t **out, struct api_err *ae);
int dvm_undefine(struct daemon *d, const char *name, struct api_err *ae);
/* Insert a validated definition (files checked); lock held. */
int dvm_insert(struct daemon *d, struct vmdef *def, struct api_err *ae);
/* The JSON summary (list) or full info. Lock held (info drops it briefly to
 * ask the VM; the caller must not keep pointers across the call). */
json_t *dvm_summary(struct daemon *d, struct dvm *vm);
json_t *dvm_info(struct daemon *d, const char *name, struct api_err *ae);
/* The devices' own counters in a VM's status, by kind: the counters' names
 * (the API's keys, in /metrics order), how many devices, and device i's
 * name with its counters in `v`. */
enum dvm_io_kind { DVM_IO_DISK, DVM_IO_NET };
#define DVM_IO_COUNTERS 6
extern const char *const dvm_io_keys[2][DVM_IO_COUNTERS];
int dvm_io_count(const struct ctl_status *st, enum dvm_io_kind kind);
const char *dvm_io_device(const struct ctl_status *st, enum dvm_io_kind kind, int i,
                          uint64_t v[DVM_IO_COUNTERS]);
/* The "disk_io" and "net_io" objects of info: totals over the devices,
 * then "devices", one object per disk or NIC. */
json_t *dvm_io_json(const struct ctl_status *st, enum dvm_io_kind kind);
/* Check that kernel, initrd and disks exist and resolve "auto" formats. */
int dvm_check_files(struct vmdef *def, struct api_err *ae);
/* Write the definition file. Lock held. */
int dvm_save(struct daemon *d, const struct vmdef *def, struct api_err *ae);

/* ---- lifecycle (supervise.c) -------------------------------------------- */

/* Each: lock NOT held on entry; 0, or -1 with `ae` (404, 409, 500). */
int dvm_start(struct daemon *d, const char *name, struct api_err *ae);
int dvm_stop(struct daemon *d, const char *name, bool force, int timeout_s, struct api_err *ae);
int dvm_control(struct daemon *d, const char *name, enum ctl_type t, struct api_err *ae);
/* Ask a running VM for its status (lock not held); false if unreachable.
 * The answer also refreshes the record's copy (dvm_note_status). */
bool dvm_query(struct daemon *d, const char *name, struct ctl_status *st);
/* Take a status the VM process sent: keep it, and log a "rebooted" event
 * for each guest-initiated reboot not logged yet. Lock held. */
void dvm_note_status(struct daemon *d, struct dvm *vm, const struct ctl_status *st);

/* ---- templates (templates.c) --------------------------------------------- */

int dtemplate_create(struct daemon *d, json_t *body, json_t **out, struct api_err *ae);
int dtemplate_delete(struct daemon *d, const char *name, struct api_err *ae);
int dtemplate_clone(struct daemon *d, const char *tname, json_t *body, json_t **out,
                    struct api_err *ae);
json_t *dtemplate_json(struct daemon *d, struct dtemplate *t); /* lock held */

/* ---- events (events.c) ------------------------------------------------- */

int events_open(struct daemon *d, struct err *e);
void events_close(struct daemon *d);
/* Record an event (lock held). `vm` may be NULL (daemon events). */
void events_add(struct daemon *d, const char *vm, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Events with seq > since, optionally for one VM, at most `limit`. Lock held. */
json_t *events_query(struct daemon *d, uint64_t since, const char *vm, int limit);
uint64_t events_last_seq(struct daemon *d);

/* ---- metrics (metrics.c) ----------------------------------------------- */

/* Prometheus text exposition, malloc'ed. Lock held. */
char *metrics_render(struct daemon *d);

/* ---- routes (routes.c) -------------------------------------------------- */

struct api_response {
    int status;
    json_t *json; /* body, or NULL */
    char *text;   /* a non-JSON body (metrics), malloc'ed */
    const char *content_type;
    const char *allow; /* for 405 */
};

/* Serve one request. Any thread; takes the lock as needed. */
void routes_dispatch(struct daemon *d, const char *method, const char *path, const char *query,
                     const char *body, size_t body_len, struct api_response *rs);
void api_response_fini(struct api_response *rs);

#endif
