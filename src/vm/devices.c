/* SPDX-License-Identifier: MIT */
/*
 * devices: builds the devices beyond the fixed board (virtio disks, rng,
 * console; network later) from the VM config, and tears them down. Called
 * on the main thread before the vCPUs start and after they stop.
 *
 * Each device takes the next virtio-mmio slot (virt.h) in a fixed order,
 * which is also the order of their device-tree nodes and so of the guest's
 * probing: the disks first, in command-line order (the first is /dev/vda),
 * then the console port, then the rng, then the NICs (--net, in command-line
 * order: the first is the guest's eth0). Adding a device type is: a
 * constructor in virtio/, one call here, and attach().
 *
 * --disk FILE[,format=raw|qcow2][,readonly=on|off][,cache=writeback|none|unsafe][,serial=ID]
 * A comma in FILE is written ",," (as with QEMU's -drive).
 */
#include "vm/vm.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ctl.h"
#include "block/image.h"
#include "net/netdev.h"
#include "util/alloc.h"
#include "util/log.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/mmio.h"
#include "virtio/net.h"
#include "virtio/rng.h"

struct vm_devices {
    int n;
    struct virtio_dev *dev[VIRT_VIRTIO_SLOTS];
    int ndisks, nnics; /* their counters, for vm_devices_stats */
    struct virtio_dev *disk[VM_MAX_DISKS], *nic[VM_MAX_NETS];
    const char *nic_kind[VM_MAX_NETS];
};

struct disk_spec {
    char path[PATH_MAX];
    struct blk_open_opts opts;
    char serial[VIRTIO_BLK_ID_BYTES + 1];
    bool has_serial;
};

/* Copy the FILE part of `spec` (up to a single comma; ",," is a comma).
 * Returns a pointer past it (at the option list, or at the NUL). */
static const char *parse_path(const char *spec, char *out, size_t size, bool *too_long)
{
    size_t n = 0;
    const char *p = spec;
    *too_long = false;
    for (; *p; p++) {
        if (*p == ',') {
            if (p[1] != ',')
                break;
            p++;
        }
        if (n + 1 >= size) {
            *too_long = true;
            break;
        }
        out[n++] = *p;
    }
    out[n] = '\0';
    return p;
}

static int bad_spec(struct err *e, const char *spec, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad_spec(struct err *e, const char *spec, const char *fmt, ...)
{
    char msg[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    err_set(e, "--disk %s: %s", spec, msg);
    return -EINVAL;
}

/* Parse one "key=value" option of a --disk spec. */
static int parse_disk_opt(const char *spec, const char *opt, size_t len, struct disk_spec *d,
                          struct err *e)
{
    char kv[256];
    if (len >= sizeof(kv))
        return bad_spec(e, spec, "option too long");
    memcpy(kv, opt, len);
    kv[len] = '\0';
    char *val = strchr(kv, '=');
    if (!val)
        return bad_spec(e, spec, "expected key=value, got '%s'", kv);
    *val++ = '\0';
    if (!strcmp(kv, "format")) {
        if (blk_format_parse(val, &d->opts.format) < 0 || d->opts.format == BLK_FORMAT_AUTO)
            return bad_spec(e, spec, "unknown format '%s' (expected raw or qcow2)", val);
    } else if (!strcmp(kv, "readonly")) {
        if (!strcmp(val, "on"))
            d->opts.readonly = true;
        else if (!strcmp(val, "off"))
            d->opts.readonly = false;
        else
            return bad_spec(e, spec, "readonly must be on or off, not '%s'", val);
    } else if (!strcmp(kv, "cache")) {
        if (blk_cache_parse(val, &d->opts.cache) < 0)
            return bad_spec(e, spec, "unknown cache mode '%s' (expected writeback, none or unsafe)",
                            val);
    } else if (!strcmp(kv, "serial")) {
        if (strlen(val) > VIRTIO_BLK_ID_BYTES)
            return bad_spec(e, spec, "serial '%s' is longer than 20 characters", val);
        strcpy(d->serial, val);
        d->has_serial = true;
    } else {
        return bad_spec(e, spec, "unknown option '%s' (expected format, readonly, cache or serial)",
                        kv);
    }
    return 0;
}

static int parse_disk(const char *spec, struct disk_spec *d, struct err *e)
{
    bool too_long;
    memset(d, 0, sizeof(*d));
    const char *p = parse_path(spec, d->path, sizeof(d->path), &too_long);
    if (too_long)
        return bad_spec(e, spec, "file name too long");
    if (!d->path[0])
        return bad_spec(e, spec, "no file name");
    while (*p == ',') {
        const char *opt = p + 1, *end = strchr(opt, ',');
        size_t len = end ? (size_t)(end - opt) : strlen(opt);
        int r = parse_disk_opt(spec, opt, len, d, e);
        if (r < 0)
            return r;
        p = opt + len;
    }
    return 0;
}

/* Reserve the next slot; fill the transport parameters for it. */
static int next_slot(struct vm *vm, struct virtio_mmio_params *p, const char *what, struct err *e)
{
    *p = (struct virtio_mmio_params){
        .ram = &vm->board->ram, .loop = vm->loop, .irq_parent = VIRT_PLIC_PHANDLE};
    if (virt_alloc_virtio_slot(vm->board, &p->base, &p->irq) < 0) {
        err_set(e, "%s: too many virtio devices (the board has %d slots)", what, VIRT_VIRTIO_SLOTS);
        return -ENOSPC;
    }
    return 0;
}

/* Map the device's registers and add its device-tree node. */
static int attach(struct vm *vm, struct virtio_dev *d, struct err *e)
{
    struct vm_devices *devs = vm->devices;
    devs->dev[devs->n++] = d;
    int r = physmap_add_mmio(&vm->board->pm, d->ops->name, d->base, VIRTIO_MMIO_SIZE,
                             &virtio_mmio_ops, d);
    if (r < 0) {
        err_set(e, "%s: cannot map its registers at 0x%llx", d->ops->name,
                (unsigned long long)d->base);
        return r;
    }
    virt_add_fdt_hook(vm->board, virtio_mmio_fdt_node, d);
    return 0;
}

static int add_disk(struct vm *vm, const char *spec, struct err *e)
{
    struct disk_spec *d = xzalloc(sizeof(*d));
    struct virtio_mmio_params p;
    struct blk_image *img = NULL;
    struct virtio_dev *dev;
    int r = parse_disk(spec, d, e);
    if (r < 0)
        goto out;
    r = next_slot(vm, &p, d->path, e);
    if (r < 0)
        goto out;
    r = blk_open(&img, d->path, &d->opts, e);
    if (r < 0)
        goto out;
    r = virtio_blk_new(&dev, &p, img, d->has_serial ? d->serial : NULL, e);
    if (r < 0) {
        blk_close(img);
        goto out;
    }
    r = attach(vm, dev, e);
    if (r == 0) {
        struct vm_devices *devs = vm->devices;
        devs->disk[devs->ndisks++] = dev;
    }
out:
    free(d);
    return r;
}

/* What makes the default MAC addresses stable (netdev_default_mac): the
 * VM's --name, else the real path of its first disk, else nothing (random
 * addresses, different on every run). */
static const char *mac_seed(const struct vm_config *cfg, char *buf, size_t size)
{
    if (cfg->name)
        return cfg->name;
    if (cfg->ndisks == 0)
        return NULL;
    char path[PATH_MAX];
    bool too_long;
    parse_path(cfg->disks[0], path, sizeof(path), &too_long);
    if (!realpath(path, buf) && snprintf(buf, size, "%s", path) >= (int)size)
        return NULL;
    return buf;
}

/* --net SPEC: a back end from net/ and the virtio-net device on it. */
static int add_net(struct vm *vm, int index, struct err *e)
{
    struct netdev_config *c = xzalloc(sizeof(*c));
    char *seed = xzalloc(PATH_MAX);
    struct virtio_mmio_params p;
    struct netdev *nd = NULL;
    struct virtio_dev *dev;
    int r = netdev_parse(vm->cfg->nets[index], c, e);
    if (r < 0 || (r = next_slot(vm, &p, "--net", e)) < 0)
        goto out;
    if (!c->has_mac)
        netdev_default_mac(mac_seed(vm->cfg, seed, PATH_MAX), (unsigned)index, c->mac);
    r = netdev_open(&nd, c, vm->loop, e);
    if (r < 0)
        goto out;
    r = virtio_net_new(&dev, &p, nd, c->mac, e);
    if (r < 0) {
        netdev_free(nd);
        goto out;
    }
    log_info("net", "NIC %d: %s, MAC %02x:%02x:%02x:%02x:%02x:%02x", index, nd->kind, c->mac[0],
             c->mac[1], c->mac[2], c->mac[3], c->mac[4], c->mac[5]);
    r = attach(vm, dev, e);
    if (r == 0) {
        struct vm_devices *devs = vm->devices;
        devs->nic_kind[devs->nnics] = nd->kind;
        devs->nic[devs->nnics++] = dev;
    }
out:
    free(seed);
    free(c);
    return r;
}

int vm_devices_create(struct vm *vm, struct err *e)
{
    const struct vm_config *cfg = vm->cfg;
    struct virtio_mmio_params p;
    struct virtio_dev *dev;
    vm->devices = xzalloc(sizeof(struct vm_devices));
    for (int i = 0; i < cfg->ndisks; i++)
        if (add_disk(vm, cfg->disks[i], e) < 0)
            goto fail;
    if (cfg->vport && (next_slot(vm, &p, "--vport", e) < 0 ||
                       virtio_console_new(&dev, &p, cfg->vport, e) < 0 || attach(vm, dev, e) < 0))
        goto fail;
    if (!cfg->no_rng && (next_slot(vm, &p, "virtio-rng", e) < 0 ||
                         virtio_rng_new(&dev, &p, e) < 0 || attach(vm, dev, e) < 0))
        goto fail;
    for (int i = 0; i < cfg->nnets; i++)
        if (add_net(vm, i, e) < 0)
            goto fail;
    return 0;
fail:
    vm_devices_destroy(vm);
    return -1;
}

void vm_devices_stats(struct vm *vm, struct ctl_status *s)
{
    struct vm_devices *devs = vm->devices;
    s->has_devices = true;
    s->ndisks = s->nnics = 0;
    for (int i = 0; devs && i < devs->ndisks && i < CTL_MAX_DISKS; i++) {
        struct virtio_blk_stats b;
        struct ctl_disk_stats *o = &s->disks[s->ndisks++];
        virtio_blk_get_stats(devs->disk[i], &b);
        snprintf(o->device, sizeof(o->device), "vd%c", 'a' + i);
        o->read_requests = b.rd_reqs;
        o->write_requests = b.wr_reqs;
        o->read_bytes = b.rd_bytes;
        o->write_bytes = b.wr_bytes;
        o->flushes = b.flushes;
        o->errors = b.errors;
    }
    for (int i = 0; devs && i < devs->nnics && i < CTL_MAX_NICS; i++) {
        struct virtio_net_stats n;
        struct ctl_nic_stats *o = &s->nics[s->nnics++];
        virtio_net_get_stats(devs->nic[i], &n);
        snprintf(o->device, sizeof(o->device), "net%d", i);
        snprintf(o->backend, sizeof(o->backend), "%s", devs->nic_kind[i]);
        o->rx_packets = n.rx_frames;
        o->rx_bytes = n.rx_bytes;
        o->tx_packets = n.tx_frames;
        o->tx_bytes = n.tx_bytes;
        o->rx_dropped = n.rx_dropped + n.backend_rx_dropped;
        o->tx_dropped = n.tx_bad + n.backend_tx_dropped;
    }
}

void vm_devices_reset(struct vm *vm)
{
    struct vm_devices *devs = vm->devices;
    for (int i = 0; devs && i < devs->n; i++)
        virtio_dev_reset(devs->dev[i]);
}

void vm_devices_destroy(struct vm *vm)
{
    struct vm_devices *devs = vm->devices;
    if (!devs)
        return;
    for (int i = 0; i < devs->n; i++)
        virtio_dev_free(devs->dev[i]);
    free(devs);
    vm->devices = NULL;
}
