/* SPDX-License-Identifier: MIT */
/*
 * fdt: device-tree construction. See fdt.h. Phandles: 1 = PLIC, 2 = syscon,
 * 0x100 + n = the interrupt controller of cpu n.
 */
#include "machine/fdt.h"

#include <libfdt.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "machine/plic.h"
#include "machine/rtc.h"
#include "machine/syscon.h"
#include "machine/uart.h"
#include "machine/virt.h"

#define PH_SYSCON 2
#define PH_INTC(n) (0x100 + (n))

#define TRY(x)                                                                                     \
    do {                                                                                           \
        int r_ = (x);                                                                              \
        if (r_ < 0)                                                                                \
            return r_;                                                                             \
    } while (0)

static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
    fdt64_t cells[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};
    return fdt_property(fdt, "reg", cells, sizeof(cells));
}

static int cpu_node(void *fdt, int n)
{
    static const char exts[] = "i\0m\0a\0f\0d\0c\0zicntr\0zicsr\0zifencei\0sstc";
    char name[32];
    snprintf(name, sizeof(name), "cpu@%x", n);
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_string(fdt, "device_type", "cpu"));
    TRY(fdt_property_cell(fdt, "reg", (uint32_t)n));
    TRY(fdt_property_string(fdt, "status", "okay"));
    TRY(fdt_property_string(fdt, "compatible", "riscv"));
    TRY(fdt_property_string(fdt, "riscv,isa", RVISOR_ISA_STRING));
    TRY(fdt_property_string(fdt, "riscv,isa-base", "rv64i"));
    TRY(fdt_property(fdt, "riscv,isa-extensions", exts, sizeof(exts)));
    TRY(fdt_property_string(fdt, "mmu-type", "riscv,sv48"));
    TRY(fdt_begin_node(fdt, "interrupt-controller"));
    TRY(fdt_property_cell(fdt, "#interrupt-cells", 1));
    TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
    TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
    TRY(fdt_property_cell(fdt, "phandle", PH_INTC(n)));
    TRY(fdt_end_node(fdt));
    return fdt_end_node(fdt);
}

static int cpus(void *fdt, int ncpus)
{
    TRY(fdt_begin_node(fdt, "cpus"));
    TRY(fdt_property_cell(fdt, "#address-cells", 1));
    TRY(fdt_property_cell(fdt, "#size-cells", 0));
    TRY(fdt_property_cell(fdt, "timebase-frequency", (uint32_t)CLOCK_FREQ_HZ));
    for (int i = 0; i < ncpus; i++)
        TRY(cpu_node(fdt, i));
    return fdt_end_node(fdt);
}

static int plic_node(void *fdt, int ncpus)
{
    uint32_t ie[2 * VIRT_MAX_CPUS];
    for (int i = 0; i < ncpus; i++) {
        ie[2 * i] = cpu_to_fdt32(PH_INTC(i));
        ie[2 * i + 1] = cpu_to_fdt32(9); /* S-mode external interrupt */
    }
    static const char compat[] = "sifive,plic-1.0.0\0riscv,plic0";
    TRY(fdt_begin_node(fdt, "plic@c000000"));
    TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
    TRY(prop_reg(fdt, PLIC_BASE, PLIC_SIZE));
    TRY(fdt_property_cell(fdt, "#interrupt-cells", 1));
    TRY(fdt_property_cell(fdt, "#address-cells", 0));
    TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
    TRY(fdt_property_cell(fdt, "riscv,ndev", PLIC_NSRC - 1));
    TRY(fdt_property(fdt, "interrupts-extended", ie, (int)(8 * ncpus)));
    TRY(fdt_property_cell(fdt, "phandle", VIRT_PLIC_PHANDLE));
    return fdt_end_node(fdt);
}

static int simple_devices(void *fdt)
{
    static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";
    TRY(fdt_begin_node(fdt, "serial@10000000"));
    TRY(fdt_property_string(fdt, "compatible", "ns16550a"));
    TRY(prop_reg(fdt, UART_BASE, UART_SIZE));
    TRY(fdt_property_cell(fdt, "clock-frequency", UART_CLOCK_HZ));
    TRY(fdt_property_cell(fdt, "interrupts", UART_IRQ));
    TRY(fdt_property_cell(fdt, "interrupt-parent", VIRT_PLIC_PHANDLE));
    TRY(fdt_end_node(fdt));

    TRY(fdt_begin_node(fdt, "rtc@101000"));
    TRY(fdt_property_string(fdt, "compatible", "google,goldfish-rtc"));
    TRY(prop_reg(fdt, RTC_BASE, RTC_SIZE));
    TRY(fdt_property_cell(fdt, "interrupts", RTC_IRQ));
    TRY(fdt_property_cell(fdt, "interrupt-parent", VIRT_PLIC_PHANDLE));
    TRY(fdt_end_node(fdt));

    TRY(fdt_begin_node(fdt, "test@100000"));
    TRY(fdt_property(fdt, "compatible", test_compat, sizeof(test_compat)));
    TRY(prop_reg(fdt, SYSCON_BASE, SYSCON_SIZE));
    TRY(fdt_property_cell(fdt, "phandle", PH_SYSCON));
    return fdt_end_node(fdt);
}

static int syscon_node(void *fdt, const char *name, const char *compat, uint32_t value)
{
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_string(fdt, "compatible", compat));
    TRY(fdt_property_cell(fdt, "regmap", PH_SYSCON));
    TRY(fdt_property_cell(fdt, "offset", 0));
    TRY(fdt_property_cell(fdt, "value", value));
    return fdt_end_node(fdt);
}

static int chosen(void *fdt, struct virt *v, uint64_t initrd_start, uint64_t initrd_end)
{
    uint8_t seed[64];
    TRY(fdt_begin_node(fdt, "chosen"));
    TRY(fdt_property_string(fdt, "bootargs", v->cfg.append ? v->cfg.append : ""));
    TRY(fdt_property_string(fdt, "stdout-path", "/soc/serial@10000000"));
    if (initrd_end > initrd_start) {
        TRY(fdt_property_u64(fdt, "linux,initrd-start", initrd_start));
        TRY(fdt_property_u64(fdt, "linux,initrd-end", initrd_end));
    }
    /* Seeds the guest's RNG at boot, as QEMU does (crng ready at once). */
    if (getrandom(seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
        TRY(fdt_property(fdt, "rng-seed", seed, sizeof(seed)));
    return fdt_end_node(fdt);
}

int fdt_build(struct virt *v, void *buf, size_t size, uint64_t initrd_start, uint64_t initrd_end)
{
    void *fdt = buf;
    TRY(fdt_create(fdt, (int)size));
    TRY(fdt_finish_reservemap(fdt));
    TRY(fdt_begin_node(fdt, ""));
    TRY(fdt_property_cell(fdt, "#address-cells", 2));
    TRY(fdt_property_cell(fdt, "#size-cells", 2));
    TRY(fdt_property_string(fdt, "compatible", "rvisor,virt"));
    TRY(fdt_property_string(fdt, "model", "rvisor-virt"));
    TRY(chosen(fdt, v, initrd_start, initrd_end));
    TRY(fdt_begin_node(fdt, "memory@80000000"));
    TRY(fdt_property_string(fdt, "device_type", "memory"));
    TRY(prop_reg(fdt, v->ram.base, v->ram.size));
    TRY(fdt_end_node(fdt));
    TRY(cpus(fdt, v->cfg.ncpus));
    TRY(syscon_node(fdt, "poweroff", "syscon-poweroff", 0x5555));
    TRY(syscon_node(fdt, "reboot", "syscon-reboot", 0x7777));
    TRY(fdt_begin_node(fdt, "soc"));
    TRY(fdt_property_cell(fdt, "#address-cells", 2));
    TRY(fdt_property_cell(fdt, "#size-cells", 2));
    TRY(fdt_property_string(fdt, "compatible", "simple-bus"));
    TRY(fdt_property(fdt, "ranges", NULL, 0));
    TRY(plic_node(fdt, v->cfg.ncpus));
    TRY(simple_devices(fdt));
    for (int i = 0; i < v->nfdt_hooks; i++)
        TRY(v->fdt_hooks[i].fn(fdt, v->fdt_hooks[i].opaque));
    TRY(fdt_end_node(fdt)); /* soc */
    TRY(fdt_end_node(fdt)); /* root */
    return fdt_finish(fdt);
}
