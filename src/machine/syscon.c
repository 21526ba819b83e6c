/* SPDX-License-Identifier: MIT */
/*
 * syscon: poweroff/reboot register. See syscon.h. Any other value written is
 * a guest error and ignored.
 */
#include "machine/syscon.h"

#include "util/log.h"

static uint64_t syscon_read(void *opaque, uint64_t off, unsigned size)
{
    return 0;
}

static void syscon_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct syscon *s = opaque;
    if (off != 0) {
        log_guest_error("syscon", "write to offset 0x%llx", (unsigned long long)off);
        return;
    }
    uint32_t v = (uint32_t)val;
    switch (v & 0xffff) {
    case 0x5555: s->reset(s->opaque, RESET_POWEROFF, 0); break;
    case 0x7777: s->reset(s->opaque, RESET_REBOOT, 0); break;
    case 0x3333: s->reset(s->opaque, RESET_FAIL, (int)(v >> 16)); break;
    default: log_guest_error("syscon", "unknown command 0x%x", v);
    }
}

static const struct mmio_ops syscon_ops = {.read = syscon_read, .write = syscon_write};

int syscon_map(struct syscon *s, struct physmap *pm)
{
    return physmap_add_mmio(pm, "syscon", SYSCON_BASE, SYSCON_SIZE, &syscon_ops, s);
}
