/* SPDX-License-Identifier: MIT */
/*
 * vmconfig: parse, validate and encode VM definitions. See vmconfig.h for
 * the document and the error convention.
 */
#include "api/vmconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api/jsonx.h"
#include "util/alloc.h"

static const char *const top_keys[] = {"name",    "uuid",     "vcpus", "memory_mib", "kernel",
                                       "initrd",  "cmdline",  "disks", "nics",       "autostart",
                                       "restart", "template", NULL};
static const char *const disk_keys[] = {"path", "format", "readonly", NULL};
static const char *const nic_keys[] = {"type", "ifname", "mac", NULL};
static const char *const restart_names[] = {"no", "on-failure", "always"};

bool vmdef_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > VMDEF_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.')))
            return false;
    }
    return true;
}

const char *vmdef_restart_name(enum vmdef_restart r)
{
    return (unsigned)r < 3 ? restart_names[r] : "no";
}

int vmdef_restart_parse(const char *s, enum vmdef_restart *out)
{
    for (int i = 0; i < 3; i++) {
        if (!strcmp(s, restart_names[i])) {
            *out = (enum vmdef_restart)i;
            return 0;
        }
    }
    return -EINVAL;
}

void vmdef_uuid_generate(char out[37])
{
    uint8_t b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        /* getrandom on Linux >= 3.17 does not fail for 16 bytes; keep going */
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (uint8_t)rand();
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

bool vmdef_uuid_valid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (dash ? c != '-' : !hex)
            return false;
    }
    return true;
}

/* ---- parsing ----------------------------------------------------------- */

struct ctx {
    struct err *e;
    char *field;
};

static int fail(struct ctx *c, const char *field, const char *fmt, const char *arg)
{
    snprintf(c->field, VMDEF_FIELD_MAX, "%s", field);
    char msg[ERR_MSG_MAX];
    snprintf(msg, sizeof(msg), fmt, arg);
    err_set(c->e, "%s: %s", field, msg);
    return -EINVAL;
}

/* After a jsonx reader failed: record which field it was. */
static int failed_at(struct ctx *c, const char *prefix, const char *key)
{
    snprintf(c->field, VMDEF_FIELD_MAX, "%s%s", prefix, key);
    return -EINVAL;
}

static int check_unknown(struct ctx *c, const json_t *o, const char *const *known,
                         const char *prefix)
{
    const char *k = jsonx_unknown_key(o, known);
    if (!k)
        return 0;
    char path[VMDEF_FIELD_MAX];
    snprintf(path, sizeof(path), "%s%s", prefix, k);
    return fail(c, path, "unknown field%s", "");
}

/* An absolute path without NUL or newline (which would break the argv and
 * logs of the VM process). */
static int get_path(struct ctx *c, const json_t *o, const char *prefix, const char *key, char **out,
                    bool required)
{
    const char *s = NULL;
    if (jsonx_get_str(o, prefix, key, &s, VMDEF_PATH_MAX, c->e) < 0)
        return failed_at(c, prefix, key);
    char path[VMDEF_FIELD_MAX];
    snprintf(path, sizeof(path), "%s%s", prefix, key);
    if (!s)
        return required ? fail(c, path, "required field is missing%s", "") : 0;
    if (s[0] != '/')
        return fail(c, path, "must be an absolute path, got \"%s\"", s);
    if (strchr(s, '\n'))
        return fail(c, path, "contains a newline%s", "");
    free(*out);
    *out = xstrdup(s);
    return 0;
}

static int parse_disk(struct ctx *c, const json_t *o, int i, struct vmdef_disk *d)
{
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "disks[%d].", i);
    if (!json_is_object(o)) {
        prefix[strlen(prefix) - 1] = 0;
        return fail(c, prefix, "expected an object, got %s", jsonx_type_name(o));
    }
    if (check_unknown(c, o, disk_keys, prefix) < 0)
        return -EINVAL;
    if (get_path(c, o, prefix, "path", &d->path, true) < 0)
        return -EINVAL;
    const char *fmt = "auto";
    if (jsonx_get_str(o, prefix, "format", &fmt, 7, c->e) < 0)
        return failed_at(c, prefix, "format");
    if (strcmp(fmt, "raw") && strcmp(fmt, "qcow2") && strcmp(fmt, "auto")) {
        char path[VMDEF_FIELD_MAX];
        snprintf(path, sizeof(path), "%sformat", prefix);
        return fail(c, path, "expected raw, qcow2 or auto, got \"%s\"", fmt);
    }
    snprintf(d->format, sizeof(d->format), "%s", fmt);
    if (jsonx_get_bool(o, prefix, "readonly", &d->readonly, c->e) < 0)
        return failed_at(c, prefix, "readonly");
    return 0;
}

static bool mac_valid(const char *s)
{
    if (strlen(s) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        char ch = s[i];
        bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
        if (i % 3 == 2 ? ch != ':' : !hex)
            return false;
    }
    return true;
}

static int parse_nic(struct ctx *c, const json_t *o, int i, struct vmdef_nic *n)
{
    char prefix[32], path[VMDEF_FIELD_MAX];
    snprintf(prefix, sizeof(prefix), "nics[%d].", i);
    if (!json_is_object(o)) {
        prefix[strlen(prefix) - 1] = 0;
        return fail(c, prefix, "expected an object, got %s", jsonx_type_name(o));
    }
    if (check_unknown(c, o, nic_keys, prefix) < 0)
        return -EINVAL;
    const char *type = "user", *ifname = NULL, *mac = NULL;
    if (jsonx_get_str(o, prefix, "type", &type, 7, c->e) < 0)
        return failed_at(c, prefix, "type");
    snprintf(path, sizeof(path), "%stype", prefix);
    if (strcmp(type, "user") && strcmp(type, "tap"))
        return fail(c, path, "expected user or tap, got \"%s\"", type);
    snprintf(n->type, sizeof(n->type), "%s", type);
    if (jsonx_get_str(o, prefix, "ifname", &ifname, 15, c->e) < 0)
        return failed_at(c, prefix, "ifname");
    snprintf(path, sizeof(path), "%sifname", prefix);
    if (!strcmp(type, "tap") && (!ifname || !*ifname))
        return fail(c, path, "required for a tap NIC%s", "");
    if (ifname && strpbrk(ifname, "/ ,\n"))
        return fail(c, path, "\"%s\" is not an interface name", ifname);
    if (ifname)
        n->ifname = xstrdup(ifname);
    if (jsonx_get_str(o, prefix, "mac", &mac, 17, c->e) < 0)
        return failed_at(c, prefix, "mac");
    snprintf(path, sizeof(path), "%smac", prefix);
    if (mac && !mac_valid(mac))
        return fail(c, path, "\"%s\" is not a MAC address like 52:54:00:12:34:56", mac);
    if (mac)
        snprintf(n->mac, sizeof(n->mac), "%s", mac);
    return 0;
}

static int parse_array(struct ctx *c, const json_t *j, const char *key, int max, int *count,
                       int (*each)(struct ctx *, const json_t *, int, void *), void *items,
                       size_t item_size)
{
    json_t *a = json_object_get(j, key);
    if (!a)
        return 0;
    if (!json_is_array(a))
        return fail(c, key, "expected an array, got %s", jsonx_type_name(a));
    if ((int)json_array_size(a) > max) {
        char n[16];
        snprintf(n, sizeof(n), "%d", max);
        return fail(c, key, "at most %s entries", n);
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        *count = (int)i + 1;
        if (each(c, json_array_get(a, i), (int)i, (char *)items + i * item_size) < 0)
            return -EINVAL;
    }
    return 0;
}

static int each_disk(struct ctx *c, const json_t *o, int i, void *item)
{
    return parse_disk(c, o, i, item);
}

static int each_nic(struct ctx *c, const json_t *o, int i, void *item)
{
    return parse_nic(c, o, i, item);
}

static int parse_identity(struct ctx *c, struct vmdef *d, const json_t *j, unsigned flags)
{
    const char *name = NULL, *uuid = NULL, *tmpl = NULL;
    if (jsonx_get_str(j, "", "name", &name, 1024, c->e) < 0)
        return failed_at(c, "", "name");
    if (!name && !(flags & VMDEF_NO_NAME))
        return fail(c, "name", "required field is missing%s", "");
    if (name && !vmdef_name_valid(name))
        return fail(c, "name",
                    "\"%s\" is not a valid name (1-63 of A-Z a-z 0-9 _ . -, starting with a "
                    "letter or digit)",
                    name);
    if (name)
        snprintf(d->name, sizeof(d->name), "%s", name);
    if (jsonx_get_str(j, "", "uuid", &uuid, 36, c->e) < 0)
        return failed_at(c, "", "uuid");
    if (uuid && !vmdef_uuid_valid(uuid))
        return fail(c, "uuid", "\"%s\" is not a UUID", uuid);
    if (uuid)
        snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
    if (json_object_get(j, "template") && !(flags & VMDEF_STORED))
        return fail(c, "template", "is set by the daemon when cloning; it cannot be given%s", "");
    if (jsonx_get_str(j, "", "template", &tmpl, VMDEF_NAME_MAX, c->e) < 0)
        return failed_at(c, "", "template");
    if (tmpl)
        d->template_name = xstrdup(tmpl);
    return 0;
}

static int parse_resources(struct ctx *c, struct vmdef *d, const json_t *j, unsigned flags)
{
    int64_t v = d->vcpus;
    if (jsonx_get_int(j, "", "vcpus", 1, VMDEF_MAX_VCPUS, &v, c->e) < 0)
        return failed_at(c, "", "vcpus");
    d->vcpus = (int)v;
    v = d->memory_mib;
    if (jsonx_get_int(j, "", "memory_mib", VMDEF_MIN_MEM_MIB, VMDEF_MAX_MEM_MIB, &v, c->e) < 0)
        return failed_at(c, "", "memory_mib");
    d->memory_mib = (uint32_t)v;
    if (get_path(c, j, "", "kernel", &d->kernel, !(flags & VMDEF_NO_KERNEL)) < 0 ||
        get_path(c, j, "", "initrd", &d->initrd, false) < 0)
        return -EINVAL;
    const char *cmdline = NULL;
    if (jsonx_get_str(j, "", "cmdline", &cmdline, VMDEF_CMDLINE_MAX, c->e) < 0)
        return failed_at(c, "", "cmdline");
    if (cmdline && strchr(cmdline, '\n'))
        return fail(c, "cmdline", "contains a newline%s", "");
    if (cmdline) {
        free(d->cmdline);
        d->cmdline = xstrdup(cmdline);
    }
    return 0;
}

static int parse_policy(struct ctx *c, struct vmdef *d, const json_t *j)
{
    if (jsonx_get_bool(j, "", "autostart", &d->autostart, c->e) < 0)
        return failed_at(c, "", "autostart");
    const char *restart = NULL;
    if (jsonx_get_str(j, "", "restart", &restart, 32, c->e) < 0)
        return failed_at(c, "", "restart");
    if (restart && vmdef_restart_parse(restart, &d->restart) < 0)
        return fail(c, "restart", "expected no, on-failure or always, got \"%s\"", restart);
    return 0;
}

int vmdef_from_json(struct vmdef *d, const json_t *j, unsigned flags, struct err *e,
                    char field[VMDEF_FIELD_MAX])
{
    struct ctx c = {.e = e, .field = field};
    field[0] = 0;
    memset(d, 0, sizeof(*d));
    d->vcpus = 1;
    d->memory_mib = 256;
    d->cmdline = xstrdup("console=ttyS0");
    d->restart = VMDEF_RESTART_NO;
    if (!json_is_object(j)) {
        err_set(e, "expected a JSON object, got %s", jsonx_type_name(j));
        goto fail;
    }
    if (check_unknown(&c, j, top_keys, "") < 0 || parse_identity(&c, d, j, flags) < 0 ||
        parse_resources(&c, d, j, flags) < 0 || parse_policy(&c, d, j) < 0 ||
        parse_array(&c, j, "disks", VMDEF_MAX_DISKS, &d->ndisks, each_disk, d->disks,
                    sizeof(d->disks[0])) < 0 ||
        parse_array(&c, j, "nics", VMDEF_MAX_NICS, &d->nnics, each_nic, d->nics,
                    sizeof(d->nics[0])) < 0)
        goto fail;
    return 0;
fail:
    vmdef_fini(d);
    return -EINVAL;
}

/* ---- encoding, copy, free ---------------------------------------------- */

json_t *vmdef_to_json(const struct vmdef *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(d->name));
    if (d->uuid[0])
        json_object_set_new(o, "uuid", json_string(d->uuid));
    json_object_set_new(o, "vcpus", json_integer(d->vcpus));
    json_object_set_new(o, "memory_mib", json_integer(d->memory_mib));
    if (d->kernel)
        json_object_set_new(o, "kernel", json_string(d->kernel));
    if (d->initrd)
        json_object_set_new(o, "initrd", json_string(d->initrd));
    json_object_set_new(o, "cmdline", json_string(d->cmdline ? d->cmdline : ""));
    json_t *disks = json_array();
    for (int i = 0; i < d->ndisks; i++)
        json_array_append_new(disks,
                              json_pack("{s:s, s:s, s:b}", "path", d->disks[i].path, "format",
                                        d->disks[i].format, "readonly", d->disks[i].readonly));
    json_object_set_new(o, "disks", disks);
    json_t *nics = json_array();
    for (int i = 0; i < d->nnics; i++) {
        json_t *n = json_pack("{s:s}", "type", d->nics[i].type);
        if (d->nics[i].ifname)
            json_object_set_new(n, "ifname", json_string(d->nics[i].ifname));
        if (d->nics[i].mac[0])
            json_object_set_new(n, "mac", json_string(d->nics[i].mac));
        json_array_append_new(nics, n);
    }
    json_object_set_new(o, "nics", nics);
    json_object_set_new(o, "autostart", json_boolean(d->autostart));
    json_object_set_new(o, "restart", json_string(vmdef_restart_name(d->restart)));
    if (d->template_name)
        json_object_set_new(o, "template", json_string(d->template_name));
    return o;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void vmdef_copy(struct vmdef *dst, const struct vmdef *src)
{
    *dst = *src;
    dst->kernel = dup_or_null(src->kernel);
    dst->initrd = dup_or_null(src->initrd);
    dst->cmdline = dup_or_null(src->cmdline);
    dst->template_name = dup_or_null(src->template_name);
    for (int i = 0; i < src->ndisks; i++)
        dst->disks[i].path = dup_or_null(src->disks[i].path);
    for (int i = 0; i < src->nnics; i++)
        dst->nics[i].ifname = dup_or_null(src->nics[i].ifname);
}

void vmdef_fini(struct vmdef *d)
{
    free(d->kernel);
    free(d->initrd);
    free(d->cmdline);
    free(d->template_name);
    for (int i = 0; i < d->ndisks; i++)
        free(d->disks[i].path);
    for (int i = 0; i < d->nnics; i++)
        free(d->nics[i].ifname);
    memset(d, 0, sizeof(*d));
}
