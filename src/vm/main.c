/* SPDX-License-Identifier: MIT */
/*
 * main: the `rvisor` command. `rvisor run` turns flags into a validated
 * virt_config and runs one VM with its console on this terminal.
 * Errors from flags and files are one line on stderr; the exit status is the
 * guest's (0 after poweroff) or non-zero on failure (see vm.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "util/err.h"
#include "util/log.h"
#include "util/parse.h"
#include "vm/img.h"
#include "vm/vm.h"

static const char usage_run[] =
    "usage: rvisor run --kernel FILE [options]\n"
    "\n"
    "Boot a RISC-V Linux kernel in a new VM, console on this terminal.\n"
    "Ctrl-A x quits; Ctrl-A Ctrl-A sends Ctrl-A.\n"
    "\n"
    "  --kernel FILE     flat RISC-V Linux Image to boot (required)\n"
    "  --initrd FILE     initramfs (cpio, optionally compressed)\n"
    "  --append ARGS     kernel command line (default: \"console=ttyS0\")\n"
    "  --mem SIZE        guest RAM, e.g. 256M or 1G; a bare number is MiB (default 512M)\n"
    "  --cpus N          virtual CPUs, 1..32 (default 1)\n"
    "  --disk FILE[,format=raw|qcow2][,readonly=on][,cache=writeback|none|unsafe][,serial=ID]\n"
    "                    virtio-blk disk (repeatable; the first is /dev/vda); the format\n"
    "                    is read from the header when not given; a ',' in FILE is ',,'\n"
    "  --vport PATH      virtio-console port 0 (guest /dev/hvc0) on a unix socket that\n"
    "                    rvisor listens on; append console=hvc0 for a console there\n"
    "  --no-rng          no virtio-rng device (default: one, fed by getrandom)\n"
    "  --net user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT]...[,mac=MAC]\n"
    "                    virtio-net NIC on user networking (NAT, no privileges): the\n"
    "                    guest gets 10.0.2.15 by DHCP, reaches the host's loopback\n"
    "                    at 10.0.2.2, DNS at 10.0.2.3; hostfwd (repeatable) forwards\n"
    "                    a host port to the guest\n"
    "  --net tap,ifname=NAME[,mac=MAC]\n"
    "                    virtio-net NIC on a TAP interface. --net is repeatable (up\n"
    "                    to 4 NICs, eth0 first); the default MAC is 52:54:00 plus a\n"
    "                    hash of --name or the first disk, else random\n"
    "  --name NAME       the VM's name on the control socket (default rvisor-PID)\n"
    "  --control PATH    serve the control socket (query, pause, resume, powerdown,\n"
    "                    stop, reboot: JSON lines, see src/api/ctl.h) at PATH\n"
    "  --console-socket PATH  serial console on a unix socket at PATH instead of\n"
    "                    this terminal (first client read-write, others read-only)\n"
    "  --console-log FILE     append all console output to FILE\n"
    "  --jit on|off      translate guest code to x86-64 (default on; the environment\n"
    "                    variable RVISOR_JIT=0 also turns it off)\n"
    "  --log LEVEL       error, warn, info or debug (default warn)\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 after the guest powers off, 1 (or the guest's code) if it\n"
    "reports failure, 3 if the guest crashed fatally, 4 if quit with Ctrl-A x,\n"
    "2 for bad usage or files. A stop request on the control socket exits with 4.\n";

static const char usage_main[] =
    "usage: rvisor COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  run       boot a VM (rvisor run --help)\n"
    "  img       create and inspect disk images (rvisor img --help)\n"
    "  version   print the version\n";

static int die_usage(const char *msg, const char *arg)
{
    return err_usage("rvisor run", NULL, msg, arg);
}

static int cmd_run(int argc, char **argv)
{
    enum { O_KERNEL = 1, O_INITRD, O_APPEND, O_MEM, O_CPUS, O_LOG, O_DISK, O_VPORT, O_NO_RNG };
    enum { O_NAME = 100, O_CONTROL, O_CONSOLE_SOCKET, O_CONSOLE_LOG };
    enum { O_NET = 200 };
    enum { O_JIT = 300 };
    static const struct option opts[] = {
        {"kernel", required_argument, NULL, O_KERNEL}, {"initrd", required_argument, NULL, O_INITRD},
        {"append", required_argument, NULL, O_APPEND}, {"mem", required_argument, NULL, O_MEM},
        {"cpus", required_argument, NULL, O_CPUS},     {"log", required_argument, NULL, O_LOG},
        {"disk", required_argument, NULL, O_DISK},     {"vport", required_argument, NULL, O_VPORT},
        {"no-rng", no_argument, NULL, O_NO_RNG},
        {"net", required_argument, NULL, O_NET},
        {"name", required_argument, NULL, O_NAME},
        {"control", required_argument, NULL, O_CONTROL},
        {"console-socket", required_argument, NULL, O_CONSOLE_SOCKET},
        {"console-log", required_argument, NULL, O_CONSOLE_LOG},
        {"jit", required_argument, NULL, O_JIT},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0},
    };
    struct vm_config vcfg = {
        .board = {.mem_size = 512ull << 20, .ncpus = 1, .append = "console=ttyS0",
                  .console_fd = STDOUT_FILENO},
    };
    struct virt_config *cfg = &vcfg.board;
    long n;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_KERNEL: cfg->kernel = optarg; break;
        case O_INITRD: cfg->initrd = optarg; break;
        case O_APPEND: cfg->append = optarg; break;
        case O_MEM:
            if (parse_size(optarg, &cfg->mem_size) < 0 || (cfg->mem_size & 0xfff))
                return die_usage("--mem: not a size like 512M or 2G", optarg);
            break;
        case O_CPUS:
            if (parse_int(optarg, 1, VIRT_MAX_CPUS, &n) < 0)
                return die_usage("--cpus: expected a number from 1 to 32", optarg);
            cfg->ncpus = (int)n;
            break;
        case O_LOG:
            if (log_set_level(optarg) < 0)
                return die_usage("--log: expected error, warn, info or debug", optarg);
            break;
        case O_DISK:
            if (vcfg.ndisks == VM_MAX_DISKS)
                return die_usage("--disk: too many disks (at most 8)", optarg);
            vcfg.disks[vcfg.ndisks++] = optarg;
            break;
        case O_VPORT: vcfg.vport = optarg; break;
        case O_NO_RNG: vcfg.no_rng = true; break;
        case O_NET:
            if (vcfg.nnets == VM_MAX_NETS)
                return die_usage("--net: too many NICs (at most 4)", optarg);
            vcfg.nets[vcfg.nnets++] = optarg;
            break;
        case O_NAME: vcfg.name = optarg; break;
        case O_CONTROL: vcfg.control_path = optarg; break;
        case O_CONSOLE_SOCKET: vcfg.console_socket = optarg; break;
        case O_CONSOLE_LOG: vcfg.console_log = optarg; break;
        case O_JIT:
            if (strcmp(optarg, "on") && strcmp(optarg, "off"))
                return die_usage("--jit: expected on or off", optarg);
            cpu_set_jit(!strcmp(optarg, "on"));
            break;
        case 'h': fputs(usage_run, stdout); return 0;
        default:
            return die_usage("unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return die_usage("unexpected argument", argv[optind]);
    if (!cfg->kernel)
        return die_usage("--kernel FILE is required (see rvisor run --help)", NULL);
    struct err e = {0};
    int status = vm_run(&vcfg, &e);
    if (status < 0) {
        fprintf(stderr, "rvisor: %s\n", e.msg);
        return 2;
    }
    return status;
}

int main(int argc, char **argv)
{
    const char *env = getenv("RVISOR_LOG");
    if (env && log_set_level(env) < 0)
        fprintf(stderr, "rvisor: ignoring RVISOR_LOG=%s (expected error, warn, info or debug)\n",
                env);
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        fputs(usage_main, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "img"))
        return img_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        puts("rvisor 0.1.0");
        return 0;
    }
    fprintf(stderr, "rvisor: unknown command '%s' (try rvisor --help)\n", argv[1]);
    return 2;
}
