/* SPDX-License-Identifier: MIT */
/*
 * daemon: opening and closing rvisord's state (see daemon.h for the layout):
 * directories with owner-only permissions, the definitions of VMs and
 * templates (a file that does not parse is reported and skipped, never
 * deleted or rewritten), the event log, and the rvisor binary to run.
 *
 * Threads: daemon_open/daemon_close on the main thread, before and after
 * the other threads exist.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/store.h"
#include "util/alloc.h"
#include "util/log.h"

/* The rvisor binary: --rvisor, else beside our own executable, else $PATH. */
static void find_rvisor(struct daemon *d)
{
    if (d->cfg.rvisor_path) {
        if (!realpath(d->cfg.rvisor_path, d->rvisor))
            snprintf(d->rvisor, sizeof(d->rvisor), "%s", d->cfg.rvisor_path);
        return;
    }
    char self[DAEMON_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = 0;
        snprintf(d->rvisor, sizeof(d->rvisor), "%s/rvisor", dirname(self));
        if (access(d->rvisor, X_OK) == 0)
            return;
    }
    const char *path = getenv("PATH");
    char *copy = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (char *dir = strtok(copy, ":"); dir; dir = strtok(NULL, ":")) {
        snprintf(d->rvisor, sizeof(d->rvisor), "%s/rvisor", dir);
        if (access(d->rvisor, X_OK) == 0) {
            free(copy);
            return;
        }
    }
    free(copy);
    snprintf(d->rvisor, sizeof(d->rvisor), "rvisor");
}

/* Call `fn` for every "*.json" in `dir`, with the name without ".json". */
static void each_json(const char *dir, void (*fn)(struct daemon *, const char *, const char *),
                      struct daemon *d)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json"))
            continue;
        char name[256], path[DAEMON_PATH_MAX];
        snprintf(name, sizeof(name), "%.*s", (int)(n - 5), de->d_name);
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        fn(d, name, path);
    }
    closedir(dh);
}

/* Parse a stored definition; `name` must match its file. */
static int load_def(const char *name, const char *path, struct vmdef *def)
{
    char *buf;
    size_t len;
    struct err e = {0};
    char field[VMDEF_FIELD_MAX];
    if (store_read_file(path, 1u << 20, &buf, &len, &e) < 0) {
        log_warn("store", "skipping %s: %s", path, e.msg);
        return -1;
    }
    json_error_t je;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    free(buf);
    if (!j) {
        log_warn("store", "skipping %s: not JSON (line %d: %s)", path, je.line, je.text);
        return -1;
    }
    int r = vmdef_from_json(def, j, VMDEF_STORED, &e, field);
    json_decref(j);
    if (r < 0) {
        log_warn("store", "skipping %s: %s", path, e.msg);
        return -1;
    }
    if (strcmp(def->name, name)) {
        log_warn("store", "skipping %s: it defines \"%s\"", path, def->name);
        vmdef_fini(def);
        return -1;
    }
    return 0;
}

static void load_vm(struct daemon *d, const char *name, const char *path)
{
    struct vmdef def;
    if (load_def(name, path, &def) < 0)
        return;
    struct dvm *vm = xzalloc(sizeof(*vm));
    vm->d = d;
    vm->def = def;
    vm->state = DVM_STOPPED;
    vm->next = d->vms;
    d->vms = vm;
}

static void load_template(struct daemon *d, const char *name, const char *path)
{
    struct vmdef def;
    if (load_def(name, path, &def) < 0)
        return;
    struct dtemplate *t = xzalloc(sizeof(*t));
    t->def = def;
    t->next = d->templates;
    d->templates = t;
}

static int make_dirs(struct daemon *d, struct err *e)
{
    const char *subs[] = {"", "/vms", "/templates"};
    char path[DAEMON_PATH_MAX];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s%s", d->state_dir, subs[i]);
        if (store_mkdirs(path, 0700, e) < 0)
            return -1;
        store_clean_temporaries(path);
    }
    snprintf(path, sizeof(path), "%s/vms", d->run_dir);
    return store_mkdirs(path, 0700, e);
}

int daemon_open(struct daemon **out, const struct daemon_config *cfg, struct evloop *loop,
                struct err *e)
{
    struct daemon *d = xzalloc(sizeof(*d));
    d->cfg = *cfg;
    d->loop = loop;
    d->started_at = (int64_t)time(NULL);
    if (!realpath(cfg->state_dir, d->state_dir))
        snprintf(d->state_dir, sizeof(d->state_dir), "%s", cfg->state_dir);
    char *sock = xstrdup(cfg->socket_path);
    snprintf(d->run_dir, sizeof(d->run_dir), "%s", dirname(sock));
    free(sock);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, &ca);
    pthread_condattr_destroy(&ca);
    find_rvisor(d);
    if (make_dirs(d, e) < 0 || events_open(d, e) < 0) {
        daemon_close(d);
        return -1;
    }
    if (!realpath(cfg->state_dir, d->state_dir))
        snprintf(d->state_dir, sizeof(d->state_dir), "%s", cfg->state_dir);
    char dir[DAEMON_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/vms", d->state_dir);
    each_json(dir, load_vm, d);
    snprintf(dir, sizeof(dir), "%s/templates", d->state_dir);
    each_json(dir, load_template, d);
    *out = d;
    return 0;
}

void daemon_close(struct daemon *d)
{
    if (!d)
        return;
    while (d->vms) {
        struct dvm *vm = d->vms;
        d->vms = vm->next;
        if (vm->monitor) {
            if (d->loop)
                evloop_del_fd(d->loop, ctl_client_fd(vm->monitor));
            ctl_client_close(vm->monitor);
        }
        vmdef_fini(&vm->def);
        free(vm);
    }
    while (d->templates) {
        struct dtemplate *t = d->templates;
        d->templates = t->next;
        vmdef_fini(&t->def);
        free(t);
    }
    events_close(d);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
    free(d);
}
