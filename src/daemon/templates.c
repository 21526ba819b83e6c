/* SPDX-License-Identifier: MIT */
/*
 * templates: instant provisioning. A template is a definition plus read-only
 * base disks, copied once into templates/NAME/ (from a stopped VM, or from
 * files named in the request). A clone is a new VM whose every disk is a
 * qcow2 overlay backed by the template's disk (block/image.h,
 * blk_create_qcow2): creating one writes a few KiB whatever the disk size,
 * and any number of clones share the base. A clone gets the template's
 * NICs, but never its MAC addresses: the VM process derives each clone's
 * own from the clone's name (stable across restarts, different per
 * clone). A template that clones still use cannot be deleted.
 *
 * Threads: API threads. Disk copies and overlay creation run without
 * d->lock; the template (or VM) being worked on is marked busy meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/jsonx.h"
#include "block/image.h"
#include "daemon/daemon.h"
#include "daemon/store.h"
#include "util/alloc.h"

static void tmpl_path(struct daemon *d, const char *name, const char *leaf, char *out, size_t size)
{
    if (leaf)
        snprintf(out, size, "%s/templates/%s/%s", d->state_dir, name, leaf);
    else
        snprintf(out, size, "%s/templates/%s.json", d->state_dir, name);
}

json_t *dtemplate_json(struct daemon *d, struct dtemplate *t)
{
    json_t *j = vmdef_to_json(&t->def);
    json_t *clones = json_array();
    for (struct dvm *vm = d->vms; vm; vm = vm->next)
        if (vm->def.template_name && !strcmp(vm->def.template_name, t->def.name))
            json_array_append_new(clones, json_string(vm->def.name));
    json_object_set_new(j, "clones", clones);
    if (t->busy)
        json_object_set_new(j, "busy", json_string(t->busy));
    return j;
}

/* ---- create ------------------------------------------------------------------ */

/* The definition a new template starts from: a stopped VM's, or the body's.
 * On success the caller owns *def; for from_vm, *vm_busy is the VM marked
 * busy (unmark it when done). Lock not held. */
static int template_source(struct daemon *d, json_t *body, struct vmdef *def, struct dvm **vm_busy,
                           struct api_err *ae)
{
    const char *from = NULL, *name = NULL;
    if (jsonx_get_str(body, "", "from_vm", &from, VMDEF_NAME_MAX, &ae->e) < 0 ||
        jsonx_get_str(body, "", "name", &name, VMDEF_NAME_MAX, &ae->e) < 0) {
        snprintf(ae->field, sizeof(ae->field), "%s", from ? "name" : "from_vm");
        ae->status = 400;
        return -1;
    }
    if (!from) {
        if (vmdef_from_json(def, body, 0, &ae->e, ae->field) < 0) {
            ae->status = 400;
            return -1;
        }
        if (dvm_check_files(def, ae) < 0) {
            vmdef_fini(def);
            return -1;
        }
        return 0;
    }
    static const char *const keys[] = {"name", "from_vm", NULL};
    const char *bad = jsonx_unknown_key(body, keys);
    if (bad) {
        snprintf(ae->field, sizeof(ae->field), "%s", bad);
        return api_fail(ae, 400, "%s: unknown field (with from_vm, give only name)", bad);
    }
    if (!name || !vmdef_name_valid(name)) {
        snprintf(ae->field, sizeof(ae->field), "name");
        return api_fail(ae, 400, "name: %s",
                        name ? "not a valid name" : "required field is missing");
    }
    pthread_mutex_lock(&d->lock);
    struct dvm *vm = dvm_find(d, from);
    int r = 0;
    if (!vm)
        r = api_fail(ae, 404, "no VM named \"%s\"", from);
    else if (vm->busy || (vm->state != DVM_STOPPED && vm->state != DVM_CRASHED))
        r = api_fail(ae, 409, "%s must be stopped to make a template of it", from);
    if (r == 0) {
        vmdef_copy(def, &vm->def);
        snprintf(def->name, sizeof(def->name), "%s", name);
        free(def->template_name);
        def->template_name = NULL;
        vm->busy = "template";
        *vm_busy = vm;
    }
    pthread_mutex_unlock(&d->lock);
    return r;
}

/* Copy the disks into templates/NAME/, read-only. Lock not held. */
static int copy_disks(struct daemon *d, struct vmdef *def, struct api_err *ae)
{
    char dir[DAEMON_PATH_MAX];
    tmpl_path(d, def->name, "", dir, sizeof(dir));
    store_remove_tree(dir); /* leftovers of an interrupted create */
    if (store_mkdirs(dir, 0700, &ae->e) < 0)
        return api_fail(ae, 500, "%s", ae->e.msg);
    for (int i = 0; i < def->ndisks; i++) {
        char leaf[32], path[DAEMON_PATH_MAX];
        snprintf(leaf, sizeof(leaf), "disk%d.%s", i, def->disks[i].format);
        tmpl_path(d, def->name, leaf, path, sizeof(path));
        if (store_copy_file(def->disks[i].path, path, 0444, &ae->e) < 0)
            return api_fail(ae, 500, "%s", ae->e.msg);
        free(def->disks[i].path);
        def->disks[i].path = xstrdup(path);
    }
    return 0;
}

int dtemplate_create(struct daemon *d, json_t *body, json_t **out, struct api_err *ae)
{
    struct vmdef def;
    struct dvm *src_vm = NULL;
    if (template_source(d, body, &def, &src_vm, ae) < 0)
        return -1;
    pthread_mutex_lock(&d->lock);
    struct dtemplate *t = NULL;
    if (dtemplate_find(d, def.name)) {
        api_fail(ae, 409, "a template named \"%s\" already exists", def.name);
    } else {
        t = xzalloc(sizeof(*t));
        vmdef_copy(&t->def, &def);
        t->busy = "create";
        t->next = d->templates;
        d->templates = t;
    }
    pthread_mutex_unlock(&d->lock);
    int r = -1;
    char path[DAEMON_PATH_MAX];
    tmpl_path(d, def.name, NULL, path, sizeof(path));
    if (t && copy_disks(d, &def, ae) == 0) {
        json_t *j = vmdef_to_json(&def);
        r = store_write_json(path, j, &ae->e) < 0 ? api_fail(ae, 500, "%s", ae->e.msg) : 0;
        json_decref(j);
    }
    pthread_mutex_lock(&d->lock);
    if (src_vm)
        src_vm->busy = NULL;
    if (t && r == 0) {
        vmdef_fini(&t->def);
        vmdef_copy(&t->def, &def);
        t->busy = NULL;
        events_add(d, NULL, "template-created", "template %s created (%d disk%s)%s%s", def.name,
                   def.ndisks, def.ndisks == 1 ? "" : "s", src_vm ? " from VM " : "",
                   src_vm ? src_vm->def.name : "");
        *out = dtemplate_json(d, t);
    } else if (t) {
        for (struct dtemplate **p = &d->templates; *p; p = &(*p)->next) {
            if (*p == t) {
                *p = t->next;
                break;
            }
        }
        vmdef_fini(&t->def);
        free(t);
        char dir[DAEMON_PATH_MAX];
        tmpl_path(d, def.name, "", dir, sizeof(dir));
        store_remove_tree(dir);
    }
    pthread_mutex_unlock(&d->lock);
    vmdef_fini(&def);
    return r;
}

/* ---- delete ------------------------------------------------------------------ */

int dtemplate_delete(struct daemon *d, const char *name, struct api_err *ae)
{
    pthread_mutex_lock(&d->lock);
    struct dtemplate *t = dtemplate_find(d, name);
    int r = 0;
    char users[512] = "";
    int nusers = 0;
    for (struct dvm *vm = d->vms; t && vm; vm = vm->next) {
        if (vm->def.template_name && !strcmp(vm->def.template_name, name)) {
            if (nusers++ < 8)
                snprintf(users + strlen(users), sizeof(users) - strlen(users), "%s%s",
                         nusers > 1 ? ", " : "", vm->def.name);
        }
    }
    if (!t)
        r = api_fail(ae, 404, "no template named \"%s\"", name);
    else if (t->busy || t->cloning)
        r = api_fail(ae, 409, "template %s: a %s operation is in progress", name,
                     t->busy ? t->busy : "clone");
    else if (nusers)
        r = api_fail(ae, 409, "template %s is in use by %d clone%s (%s%s): undefine %s first", name,
                     nusers, nusers == 1 ? "" : "s", users, nusers > 8 ? ", ..." : "",
                     nusers == 1 ? "it" : "them");
    if (r == 0) {
        char path[DAEMON_PATH_MAX];
        tmpl_path(d, name, NULL, path, sizeof(path));
        int ur = store_unlink(path);
        if (ur < 0) {
            r = api_fail(ae, 500, "%s: %s", path, strerror(-ur));
        } else {
            tmpl_path(d, name, "", path, sizeof(path));
            store_remove_tree(path);
            for (struct dtemplate **p = &d->templates; *p; p = &(*p)->next) {
                if (*p == t) {
                    *p = t->next;
                    break;
                }
            }
            vmdef_fini(&t->def);
            free(t);
            events_add(d, NULL, "template-deleted", "template %s deleted", name);
        }
    }
    pthread_mutex_unlock(&d->lock);
    return r;
}

/* ---- clone ------------------------------------------------------------------ */

/* The clone's definition: the template's, with the body's overrides, and
 * NICs without the template's MAC addresses. */
static int clone_def(struct dtemplate *t, json_t *body, struct vmdef *def, struct api_err *ae)
{
    static const char *const keys[] = {"name",      "vcpus",   "memory_mib", "cmdline",
                                       "autostart", "restart", NULL};
    const char *bad = jsonx_unknown_key(body, keys);
    if (bad) {
        snprintf(ae->field, sizeof(ae->field), "%s", bad);
        return api_fail(ae, 400,
                        "%s: unknown field (a clone may set name, vcpus, memory_mib, "
                        "cmdline, autostart, restart)",
                        bad);
    }
    if (!json_object_get(body, "name")) {
        snprintf(ae->field, sizeof(ae->field), "name");
        return api_fail(ae, 400, "name: required field is missing");
    }
    json_t *j = vmdef_to_json(&t->def);
    json_object_update(j, body);
    json_object_del(j, "uuid");
    json_object_set_new(j, "template", json_string(t->def.name));
    json_t *nic;
    size_t i;
    json_array_foreach(json_object_get(j, "nics"), i, nic) json_object_del(nic, "mac");
    int r = vmdef_from_json(def, j, VMDEF_STORED, &ae->e, ae->field);
    json_decref(j);
    if (r < 0)
        ae->status = 400;
    else
        vmdef_uuid_generate(def->uuid);
    return r;
}

/* One overlay per template disk, in vms/NAME/. Lock not held. */
static int make_overlays(struct daemon *d, struct vmdef *def, struct api_err *ae)
{
    char dir[DAEMON_PATH_MAX];
    dvm_path(d, def->name, "", dir, sizeof(dir));
    if (store_mkdirs(dir, 0700, &ae->e) < 0)
        return api_fail(ae, 500, "%s", ae->e.msg);
    for (int i = 0; i < def->ndisks; i++) {
        char leaf[32], path[DAEMON_PATH_MAX];
        snprintf(leaf, sizeof(leaf), "disk%d.qcow2", i);
        dvm_path(d, def->name, leaf, path, sizeof(path));
        int r = blk_create_qcow2(path, 0, def->disks[i].path, def->disks[i].format, &ae->e);
        if (r < 0)
            return api_fail(ae, r == -EEXIST ? 409 : 500, "%s", ae->e.msg);
        free(def->disks[i].path);
        def->disks[i].path = xstrdup(path);
        snprintf(def->disks[i].format, sizeof(def->disks[i].format), "qcow2");
    }
    return 0;
}

int dtemplate_clone(struct daemon *d, const char *tname, json_t *body, json_t **out,
                    struct api_err *ae)
{
    struct vmdef def = {0};
    pthread_mutex_lock(&d->lock);
    struct dtemplate *t = dtemplate_find(d, tname);
    int r = 0;
    if (!t)
        r = api_fail(ae, 404, "no template named \"%s\"", tname);
    else if (t->busy)
        r = api_fail(ae, 409, "template %s: a %s operation is in progress", tname, t->busy);
    else if (clone_def(t, body, &def, ae) < 0)
        r = -1;
    else if (!dvm_name_reserve(d, def.name))
        r = api_fail(ae, 409, "a VM named \"%s\" already exists", def.name);
    if (r == 0)
        t->cloning++;
    pthread_mutex_unlock(&d->lock);
    if (r < 0) {
        vmdef_fini(&def);
        return -1;
    }
    char name[VMDEF_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", def.name);
    r = make_overlays(d, &def, ae);
    pthread_mutex_lock(&d->lock);
    t->cloning--;
    dvm_name_release(d, name);
    if (r == 0)
        r = dvm_insert(d, &def, ae);
    if (r == 0) {
        struct dvm *vm = dvm_find(d, name);
        events_add(d, name, "cloned", "cloned from template %s (%d linked disk%s)", tname,
                   vm->def.ndisks, vm->def.ndisks == 1 ? "" : "s");
        *out = dvm_summary(d, vm);
    } else {
        char dir[DAEMON_PATH_MAX];
        dvm_path(d, name, "", dir, sizeof(dir));
        store_remove_tree(dir); /* nothing half-made stays behind */
    }
    pthread_mutex_unlock(&d->lock);
    vmdef_fini(&def);
    return r;
}
