/* SPDX-License-Identifier: MIT */
/*
 * args: parsing rvctl's value arguments (memory sizes, paths, --disk and
 * --nic specs, the definition options) into what the API expects. See
 * cli.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/alloc.h"
#include "util/parse.h"

int cli_parse_mem_mib(const char *s, int64_t *out)
{
    uint64_t bytes;
    if (parse_size(s, &bytes) < 0 || bytes % (1u << 20) || bytes == 0 || bytes > (1ull << 40))
        return -EINVAL;
    *out = (int64_t)(bytes >> 20);
    return 0;
}

char *cli_abspath(const char *path)
{
    char resolved[PATH_MAX];
    if (realpath(path, resolved))
        return xstrdup(resolved);
    if (path[0] == '/')
        return xstrdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)))
        return xstrdup(path);
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *out = xmalloc(n);
    snprintf(out, n, "%s/%s", cwd, path);
    return out;
}

/* Split "a,,b,k=v,..." at single commas; ",," is a literal comma in the
 * first field. Returns the first field (malloc'ed) and sets *rest to the
 * options after it (or to ""). */
static char *first_field(const char *spec, const char **rest)
{
    char *out = xmalloc(strlen(spec) + 1), *o = out;
    const char *p = spec;
    while (*p) {
        if (*p == ',' && p[1] == ',') {
            *o++ = ',';
            p += 2;
        } else if (*p == ',') {
            p++;
            break;
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
    *rest = p;
    return out;
}

json_t *cli_parse_disk(const char *spec, struct err *e)
{
    const char *rest;
    char *path = first_field(spec, &rest);
    if (!*path) {
        free(path);
        err_set(e, "--disk %s: no file name", spec);
        return NULL;
    }
    char *abs = cli_abspath(path);
    free(path);
    json_t *d = json_pack("{s:s}", "path", abs);
    free(abs);
    char *opts = xstrdup(rest);
    for (char *o = strtok(opts, ","); o; o = strtok(NULL, ",")) {
        if (!strncmp(o, "format=", 7) &&
            (!strcmp(o + 7, "raw") || !strcmp(o + 7, "qcow2") || !strcmp(o + 7, "auto"))) {
            json_object_set_new(d, "format", json_string(o + 7));
        } else if (!strcmp(o, "readonly=on") || !strcmp(o, "ro")) {
            json_object_set_new(d, "readonly", json_true());
        } else if (!strcmp(o, "readonly=off")) {
            json_object_set_new(d, "readonly", json_false());
        } else {
            err_set(e, "--disk %s: unknown option \"%s\" (format=raw|qcow2|auto, readonly=on)",
                    spec, o);
            json_decref(d);
            d = NULL;
            break;
        }
    }
    free(opts);
    return d;
}

json_t *cli_parse_nic(const char *spec, struct err *e)
{
    char *copy = xstrdup(spec);
    char *type = strtok(copy, ",");
    json_t *n = NULL;
    if (!type || (strcmp(type, "user") && strcmp(type, "tap"))) {
        err_set(e, "--nic %s: expected user or tap,ifname=NAME", spec);
        goto out;
    }
    n = json_pack("{s:s}", "type", type);
    for (char *o = strtok(NULL, ","); o; o = strtok(NULL, ",")) {
        if (!strncmp(o, "ifname=", 7)) {
            json_object_set_new(n, "ifname", json_string(o + 7));
        } else if (!strncmp(o, "mac=", 4)) {
            json_object_set_new(n, "mac", json_string(o + 4));
        } else {
            err_set(e, "--nic %s: unknown option \"%s\" (ifname=, mac=)", spec, o);
            json_decref(n);
            n = NULL;
            break;
        }
    }
out:
    free(copy);
    return n;
}

static void add_array(json_t *def, const char *key, json_t *item)
{
    json_t *a = json_object_get(def, key);
    if (!a) {
        a = json_array();
        json_object_set_new(def, key, a);
    }
    json_array_append_new(a, item);
}

bool cli_def_option(json_t *def, int ch, const char *arg, const char *usage, const char *cmd,
                    int *status)
{
    struct err e = {0};
    int64_t n;
    char *p, *end;
    json_t *item;
    switch (ch) {
    case CLI_O_KERNEL:
    case CLI_O_INITRD:
        p = cli_abspath(arg);
        json_object_set_new(def, ch == CLI_O_KERNEL ? "kernel" : "initrd", json_string(p));
        free(p);
        break;
    case CLI_O_DISK:
    case CLI_O_NIC:
        item = ch == CLI_O_DISK ? cli_parse_disk(arg, &e) : cli_parse_nic(arg, &e);
        if (!item)
            *status = cli_fail(2, "%s", e.msg);
        else
            add_array(def, ch == CLI_O_DISK ? "disks" : "nics", item);
        break;
    case CLI_O_CMDLINE: json_object_set_new(def, "cmdline", json_string(arg)); break;
    case CLI_O_MEM:
        if (cli_parse_mem_mib(arg, &n) < 0)
            *status = cli_usage(usage, cmd, "--mem: expected a size like 256M or 1G", arg);
        else
            json_object_set_new(def, "memory_mib", json_integer(n));
        break;
    case CLI_O_CPUS:
        n = strtol(arg, &end, 10);
        if (*end || !*arg)
            *status = cli_usage(usage, cmd, "--cpus: expected a number", arg);
        else
            json_object_set_new(def, "vcpus", json_integer(n));
        break;
    case CLI_O_AUTOSTART: json_object_set_new(def, "autostart", json_true()); break;
    case CLI_O_RESTART: json_object_set_new(def, "restart", json_string(arg)); break;
    default: return false;
    }
    return true;
}

void cli_path(char *out, size_t size, const char *prefix, const char *name, const char *suffix)
{
    char enc[256];
    size_t o = 0;
    for (const char *p = name; *p && o + 4 < sizeof(enc); p++) {
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *p))
            enc[o++] = *p;
        else
            o += (size_t)snprintf(enc + o, sizeof(enc) - o, "%%%02X", (unsigned char)*p);
    }
    enc[o] = 0;
    snprintf(out, size, "%s/%s%s", prefix, enc, suffix);
}
