/* SPDX-License-Identifier: MIT */
/*
 * vmconfig: the VM definition, as rvisord stores it and the REST API and
 * rvctl exchange it (src/api/openapi.yaml, schema VmDefinition):
 *
 *   {"name": "web1", "uuid": "...", "vcpus": 1, "memory_mib": 256,
 *    "kernel": "/abs/Image", "initrd": "/abs/initrd", "cmdline": "console=ttyS0",
 *    "disks": [{"path": "/abs/disk.qcow2", "format": "qcow2", "readonly": false}],
 *    "nics": [{"type": "user"}], "autostart": false, "restart": "on-failure",
 *    "template": "base"}
 *
 * Parsing is strict: unknown fields, wrong types and out-of-range values are
 * rejected with an error that starts with the field's path
 * ("disks[1].format: expected raw, qcow2 or auto"), and the same path is
 * returned separately for the API's error object. Only the shape is checked
 * here; whether files exist is the daemon's business.
 *
 * Threads: pure functions on caller-owned structs.
 */
#ifndef RV_API_VMCONFIG_H
#define RV_API_VMCONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define VMDEF_NAME_MAX 63
#define VMDEF_PATH_MAX 1024
#define VMDEF_CMDLINE_MAX 1024
#define VMDEF_MAX_DISKS 8
#define VMDEF_MAX_NICS 4
#define VMDEF_MAX_VCPUS 32
#define VMDEF_MIN_MEM_MIB 16
#define VMDEF_MAX_MEM_MIB 65536
#define VMDEF_FIELD_MAX 64

enum vmdef_restart { VMDEF_RESTART_NO, VMDEF_RESTART_ON_FAILURE, VMDEF_RESTART_ALWAYS };

struct vmdef_disk {
    char *path;
    char format[8]; /* "raw", "qcow2" or "auto" */
    bool readonly;
};

struct vmdef_nic {
    char type[8]; /* "user" or "tap" */
    char *ifname; /* tap only */
    char mac[18]; /* "" = chosen by the VMM */
};

struct vmdef {
    char name[VMDEF_NAME_MAX + 1];
    char uuid[37];
    int vcpus;
    uint32_t memory_mib;
    char *kernel;
    char *initrd; /* may be NULL */
    char *cmdline;
    int ndisks;
    struct vmdef_disk disks[VMDEF_MAX_DISKS];
    int nnics;
    struct vmdef_nic nics[VMDEF_MAX_NICS];
    bool autostart;
    enum vmdef_restart restart;
    char *template_name; /* the template a clone came from, or NULL */
};

/* Parse flags. */
#define VMDEF_STORED 1u    /* accept "template" (set by the daemon, not by users) */
#define VMDEF_NO_NAME 2u   /* "name" may be absent (clone/template requests) */
#define VMDEF_NO_KERNEL 4u /* "kernel" may be absent (overrides) */

/* Fill `d` from JSON object `j` (defaults for absent optional fields; no
 * uuid is generated here). 0, or -EINVAL with `e` = "<field>: <reason>" and
 * `field` = "<field>" (empty for whole-document errors). On error `d` is
 * left finalized (nothing to free). */
int vmdef_from_json(struct vmdef *d, const json_t *j, unsigned flags, struct err *e,
                    char field[VMDEF_FIELD_MAX]) __attribute__((warn_unused_result));

/* The JSON form of `d` (new reference). */
json_t *vmdef_to_json(const struct vmdef *d);

/* Deep copy; `dst` must be finalized with vmdef_fini. */
void vmdef_copy(struct vmdef *dst, const struct vmdef *src);
void vmdef_fini(struct vmdef *d);

/* Names: 1-63 characters of [A-Za-z0-9_.-], starting with a letter or digit. */
bool vmdef_name_valid(const char *name);
/* "no", "on-failure", "always"; 0 or -EINVAL. */
const char *vmdef_restart_name(enum vmdef_restart r);
int vmdef_restart_parse(const char *s, enum vmdef_restart *out) __attribute__((warn_unused_result));
/* A random RFC 4122 version-4 UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". */
void vmdef_uuid_generate(char out[37]);
bool vmdef_uuid_valid(const char *s);

#endif
