/* SPDX-License-Identifier: MIT */
/*
 * cmd_vm: the VM commands of rvctl: list, info, define, create, undefine,
 * start, stop, reboot, pause, resume, where. Each maps onto one or two API
 * calls (src/api/openapi.yaml) and prints a table or one line per VM, or the
 * API's JSON with --json.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "cli/cli.h"
#include "util/alloc.h"

/* ---- helpers ------------------------------------------------------------- */

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static void num_or_dash(char *out, size_t size, const json_t *v, const char *fmt)
{
    if (json_is_number(v))
        snprintf(out, size, fmt, json_number_value(v));
    else
        snprintf(out, size, "-");
}

static void vm_path(char *out, size_t size, const char *name, const char *suffix)
{
    cli_path(out, size, "/vms", name, suffix);
}

/* Parse only -h/--help; returns -1 to go on, else the exit status. */
static int simple_opts(int argc, char **argv, const char *usage, int min_args)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'h')
            return cli_usage(usage, argv[0], NULL, NULL);
        return cli_usage(usage, argv[0], "unknown or incomplete option", argv[optind - 1]);
    }
    if (argc - optind < min_args)
        return cli_usage(usage, argv[0], "missing VM name", NULL);
    return -1;
}

/* ---- list / info / where ------------------------------------------------- */

void cli_vm_row(struct table *t, const json_t *vm)
{
    char cpu[32], rss[32], mem[32], up[32], vcpus[16];
    num_or_dash(cpu, sizeof(cpu), json_object_get(vm, "cpu_percent"), "%.1f");
    fmt_or_dash(rss, sizeof(rss), json_object_get(vm, "rss_bytes"), fmt_bytes);
    fmt_bytes(mem, sizeof(mem),
              (double)json_integer_value(json_object_get(vm, "memory_mib")) * 1048576.0);
    fmt_or_dash(up, sizeof(up), json_object_get(vm, "uptime_s"), fmt_duration);
    snprintf(vcpus, sizeof(vcpus), "%lld",
             (long long)json_integer_value(json_object_get(vm, "vcpus")));
    const char *state = str(vm, "state");
    const char *cells[] = {str(vm, "name"), state, vcpus, mem, cpu, rss, up, str(vm, "template")};
    table_add(t, cells);
}

static const char usage_list[] =
    "usage: rvctl list [--json]\n"
    "\n"
    "List the defined VMs: state, vCPUs, memory, host CPU% and resident memory of\n"
    "the VM process, uptime, and the template a clone came from.\n";

int cmd_list(struct cli *c, int argc, char **argv)
{
    int r = simple_opts(argc, argv, usage_list, 0);
    if (r >= 0)
        return r;
    if (optind < argc)
        return cli_usage(usage_list, argv[0], "unexpected argument", argv[optind]);
    static const char *const h[] = {"NAME", "STATE", "VCPUS",  "MEMORY",
                                    "CPU%", "RSS",   "UPTIME", "TEMPLATE"};
    return cli_list(c, "/vms", "vms", 8, h, cli_vm_row);
}

static void kv(const char *k, const char *v)
{
    printf("%-13s %s\n", k, v);
}

static long long ival(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static const char *plural(long long n)
{
    return n == 1 ? "" : "s";
}

/* "vda  41 reads (1.7 MiB), 1 write (4.0 KiB), 1 flush, 0 errors" */
static void disk_line(const json_t *d, char *buf, size_t size)
{
    char rd[32], wr[32];
    fmt_bytes(rd, sizeof(rd), (double)ival(d, "read_bytes"));
    fmt_bytes(wr, sizeof(wr), (double)ival(d, "write_bytes"));
    long long r = ival(d, "read_requests"), w = ival(d, "write_requests");
    long long f = ival(d, "flushes"), e = ival(d, "errors");
    snprintf(buf, size, "%-5s %lld read%s (%s), %lld write%s (%s), %lld flush%s, %lld error%s",
             str(d, "device"), r, plural(r), rd, w, plural(w), wr, f, f == 1 ? "" : "es", e,
             plural(e));
}

/* "net0  user: rx 12 packets (3.4 KiB), tx 20 packets (2.0 KiB), 0 dropped" */
static void net_line(const json_t *d, char *buf, size_t size)
{
    char rx[32], tx[32];
    fmt_bytes(rx, sizeof(rx), (double)ival(d, "rx_bytes"));
    fmt_bytes(tx, sizeof(tx), (double)ival(d, "tx_bytes"));
    long long rp = ival(d, "rx_packets"), tp = ival(d, "tx_packets");
    snprintf(buf, size, "%-5s %s: rx %lld packet%s (%s), tx %lld packet%s (%s), %lld dropped",
             str(d, "device"), str(d, "backend"), rp, plural(rp), rx, tp, plural(tp), tx,
             ival(d, "rx_dropped") + ival(d, "tx_dropped"));
}

/* One line per device of a disk_io or net_io object (absent when the VM
 * is not running), or `none` when it has no devices. */
static void print_devices(const json_t *io, const char *label, const char *none,
                          void (*line)(const json_t *d, char *buf, size_t size))
{
    json_t *devs = json_object_get(io, "devices");
    if (!json_is_array(devs))
        return;
    if (json_array_size(devs) == 0)
        kv(label, none);
    for (size_t i = 0; i < json_array_size(devs); i++) {
        char buf[256];
        line(json_array_get(devs, i), buf, sizeof(buf));
        kv(i == 0 ? label : "", buf);
    }
}

static void print_info(const json_t *j, const void *unused)
{
    (void)unused;
    const json_t *def = json_object_get(j, "definition");
    char buf[512];
    kv("Name:", str(j, "name"));
    kv("UUID:", str(j, "uuid"));
    kv("State:", str(j, "state"));
    kv("Host:", str(j, "host"));
    num_or_dash(buf, sizeof(buf), json_object_get(j, "pid"), "%.0f");
    kv("PID:", buf);
    fmt_or_dash(buf, sizeof(buf), json_object_get(j, "uptime_s"), fmt_duration);
    kv("Uptime:", buf);
    snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(json_object_get(j, "vcpus")));
    kv("vCPUs:", buf);
    snprintf(buf, sizeof(buf), "%lld MiB",
             (long long)json_integer_value(json_object_get(j, "memory_mib")));
    kv("Memory:", buf);
    num_or_dash(buf, sizeof(buf), json_object_get(j, "cpu_percent"), "%.1f%%");
    kv("CPU:", buf);
    fmt_or_dash(buf, sizeof(buf), json_object_get(j, "rss_bytes"), fmt_bytes);
    kv("RSS:", buf);
    json_t *guest = json_object_get(j, "guest");
    if (guest) {
        fmt_bytes(buf, sizeof(buf),
                  (double)json_integer_value(json_object_get(guest, "ram_resident_bytes")));
        kv("Guest RAM:", buf);
        kv("Power button:", json_is_true(json_object_get(guest, "powerbtn_ready"))
                                ? "guest listening"
                                : "no guest driver yet");
    }
    print_devices(json_object_get(j, "disk_io"), "Disk I/O:", "no disks", disk_line);
    print_devices(json_object_get(j, "net_io"), "Network:", "no NICs", net_line);
    json_t *reboots = json_object_get(j, "guest_reboots");
    if (json_is_integer(reboots)) {
        snprintf(buf, sizeof(buf), "%lld by the guest", (long long)json_integer_value(reboots));
        kv("Reboots:", buf);
    }
    kv("Template:", str(j, "template"));
    kv("Autostart:", json_is_true(json_object_get(j, "autostart")) ? "yes" : "no");
    kv("Restart:", str(j, "restart"));
    kv("Kernel:", str(def, "kernel"));
    kv("Initrd:", str(def, "initrd"));
    kv("Cmdline:", str(def, "cmdline"));
    json_t *disks = json_object_get(def, "disks");
    for (size_t i = 0; i < json_array_size(disks); i++) {
        json_t *d = json_array_get(disks, i);
        snprintf(buf, sizeof(buf), "%s (%s%s)", str(d, "path"), str(d, "format"),
                 json_is_true(json_object_get(d, "readonly")) ? ", read-only" : "");
        kv(i == 0 ? "Disks:" : "", buf);
    }
    kv("Console:", str(j, "console_socket"));
    kv("Console log:", str(j, "console_log"));
    json_t *le = json_object_get(j, "last_exit");
    if (le) {
        snprintf(buf, sizeof(buf), "%s (status %lld)", str(le, "reason"),
                 (long long)json_integer_value(json_object_get(le, "status")));
        kv("Last exit:", buf);
    }
}

static const char usage_info[] =
    "usage: rvctl info NAME [--json]\n"
    "\n"
    "Show a VM's definition and state: pid, uptime, host CPU%, resident memory,\n"
    "guest RAM the host holds, per-disk and per-NIC counters (requests, bytes,\n"
    "packets, errors, drops), guest reboots, sockets and console log.\n";

int cmd_info(struct cli *c, int argc, char **argv)
{
    int r = simple_opts(argc, argv, usage_info, 1);
    if (r >= 0)
        return r;
    char path[512];
    vm_path(path, sizeof(path), argv[optind], "");
    return cli_show(c, "GET", path, print_info, NULL);
}

static const char usage_where[] = "usage: rvctl where NAME [--json]\n"
                                  "\n"
                                  "Print the host that runs the VM (this host, for now).\n";

int cmd_where(struct cli *c, int argc, char **argv)
{
    int r = simple_opts(argc, argv, usage_where, 1);
    if (r >= 0)
        return r;
    char path[512];
    vm_path(path, sizeof(path), argv[optind], "");
    json_t *res;
    if (cli_call(c, "GET", path, NULL, &res))
        return 1;
    if (c->json) {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s}", "name", str(res, "name"), "host", str(res, "host"),
                      "state", str(res, "state"), "socket", c->socket_path);
        cli_print_json(o);
        json_decref(o);
    } else {
        puts(str(res, "host"));
    }
    json_decref(res);
    return 0;
}

/* ---- define / create / undefine -------------------------------------------- */

static const char usage_define[] =
    "usage: rvctl define NAME --kernel FILE [options]\n"
    "       rvctl define --file DEFINITION.json [NAME]\n"
    "\n"
    "Define a VM (kept by rvisord across restarts; not started).\n"
    "`rvctl create` takes the same arguments and starts the VM too.\n"
    "\n"
    "  --kernel FILE      flat RISC-V Linux Image\n"
    "  --initrd FILE      initramfs\n"
    "  --cmdline ARGS     kernel command line (default \"console=ttyS0\")\n"
    "  --mem SIZE         guest RAM: 256M, 1G, or MiB (default 256M)\n"
    "  --cpus N           vCPUs (default 1)\n"
    "  --disk SPEC        FILE[,format=raw|qcow2|auto][,readonly=on]; repeatable\n"
    "  --nic SPEC         user | tap,ifname=NAME [,mac=MAC]; repeatable\n"
    "  --autostart        start it whenever rvisord starts\n"
    "  --restart POLICY   no, on-failure or always (default no)\n"
    "  --file FILE        the definition as JSON (as in the API; - for stdin)\n"
    "  --json             print the API's answer as JSON\n";

static json_t *read_def_file(const char *path, struct err *e)
{
    json_error_t je;
    json_t *j = !strcmp(path, "-") ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &je)
                                   : json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        err_set(e, "%s: %s (line %d)", path, je.text, je.line);
    else if (!json_is_object(j)) {
        err_set(e, "%s: expected a JSON object", path);
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* Options -> definition JSON. Returns -1 to go on (with *out), else exit status. */
static int parse_define(int argc, char **argv, json_t **out)
{
    enum { O_FILE = 1 };
    static const struct option opts[] = {
        CLI_OPTS_FILES,
        CLI_OPTS_SETTINGS,
        {"file", required_argument, NULL, O_FILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    json_t *def = json_object(), *file = NULL;
    const char *cmd = argv[0];
    int ch, status = -1;
    struct err e = {0};
    optind = 0;
    opterr = 0;
    while (status < 0 && (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_def_option(def, ch, optarg, usage_define, cmd, &status))
            continue;
        switch (ch) {
        case O_FILE:
            json_decref(file);
            file = read_def_file(optarg, &e);
            if (!file)
                status = cli_fail(2, "%s", e.msg);
            break;
        case 'h': status = cli_usage(usage_define, cmd, NULL, NULL); break;
        default:
            status = cli_usage(usage_define, cmd, "unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (status < 0 && optind < argc)
        json_object_set_new(def, "name", json_string(argv[optind++]));
    if (status < 0 && optind < argc)
        status = cli_usage(usage_define, cmd, "unexpected argument", argv[optind]);
    if (status < 0 && file) {
        json_object_update(file, def); /* flags override the file */
        json_decref(def);
        def = file;
        file = NULL;
    }
    if (status < 0 && !json_object_get(def, "name"))
        status = cli_usage(usage_define, cmd, "missing VM name", NULL);
    json_decref(file);
    if (status >= 0) {
        json_decref(def);
        return status;
    }
    *out = def;
    return -1;
}

int cli_make_vm(struct cli *c, const char *path, json_t *body, bool start, json_t **res)
{
    char name[256];
    snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(body, "name")) ?: "");
    int r = cli_call(c, "POST", path, body, res);
    json_decref(body);
    if (r || !start)
        return r;
    json_decref(*res);
    char start_path[512];
    vm_path(start_path, sizeof(start_path), name, "/start");
    return cli_call(c, "POST", start_path, NULL, res);
}

static int do_define(struct cli *c, int argc, char **argv, bool start)
{
    json_t *def = NULL, *res;
    int r = parse_define(argc, argv, &def);
    if (r >= 0)
        return r;
    char name[256];
    snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(def, "name")) ?: "");
    if (cli_make_vm(c, "/vms", def, start, &res))
        return 1;
    if (c->json)
        cli_print_json(res);
    else if (start)
        printf("%s: created and started (pid %lld)\n", name,
               (long long)json_integer_value(json_object_get(res, "pid")));
    else
        printf("%s: defined\n", name);
    json_decref(res);
    return 0;
}

int cmd_define(struct cli *c, int argc, char **argv)
{
    return do_define(c, argc, argv, false);
}

int cmd_create(struct cli *c, int argc, char **argv)
{
    return do_define(c, argc, argv, true);
}

/* ---- actions on named VMs -------------------------------------------------- */

static const char usage_undefine[] =
    "usage: rvctl undefine NAME...\n"
    "\n"
    "Remove stopped VMs' definitions and the files rvisord made for them (clone\n"
    "disks, console log). Disk files you gave yourself are left alone.\n";
static const char usage_start[] =
    "usage: rvctl start NAME...\n\nStart VMs (each in its own rvisor process).\n";
static const char usage_reboot[] =
    "usage: rvctl reboot NAME...\n\nReset VMs (a hardware reset: the guest is not asked).\n";
static const char usage_pause[] =
    "usage: rvctl pause NAME...\n\nPause VMs' vCPUs (memory stays; resume goes on).\n";
static const char usage_resume[] = "usage: rvctl resume NAME...\n\nResume paused VMs.\n";

/* Run POST /vms/NAME/ACTION (or DELETE) for every NAME. */
static int each_vm(struct cli *c, int argc, char **argv, const char *usage, const char *method,
                   const char *action, json_t *body, const char *done)
{
    int r = simple_opts(argc, argv, usage, 1);
    if (r >= 0)
        return r;
    int status = 0;
    for (int i = optind; i < argc; i++) {
        char path[512];
        vm_path(path, sizeof(path), argv[i], action);
        json_t *res;
        if (cli_call(c, method, path, body, &res)) {
            status = 1;
            continue;
        }
        if (c->json)
            cli_print_json(res);
        else if (json_object_get(res, "pid") && json_is_integer(json_object_get(res, "pid")))
            printf("%s: %s (pid %lld)\n", argv[i], done,
                   (long long)json_integer_value(json_object_get(res, "pid")));
        else
            printf("%s: %s\n", argv[i], done);
        json_decref(res);
    }
    return status;
}

int cmd_undefine(struct cli *c, int argc, char **argv)
{
    return each_vm(c, argc, argv, usage_undefine, "DELETE", "", NULL, "undefined");
}

int cmd_start(struct cli *c, int argc, char **argv)
{
    return each_vm(c, argc, argv, usage_start, "POST", "/start", NULL, "running");
}

int cmd_reboot(struct cli *c, int argc, char **argv)
{
    return each_vm(c, argc, argv, usage_reboot, "POST", "/reboot", NULL, "rebooted");
}

int cmd_pause(struct cli *c, int argc, char **argv)
{
    return each_vm(c, argc, argv, usage_pause, "POST", "/pause", NULL, "paused");
}

int cmd_resume(struct cli *c, int argc, char **argv)
{
    return each_vm(c, argc, argv, usage_resume, "POST", "/resume", NULL, "running");
}

static const char usage_stop[] =
    "usage: rvctl stop NAME... [--force] [--timeout SECONDS]\n"
    "\n"
    "Stop VMs. By default the guest is asked to power off (the power button) and\n"
    "is stopped by force if it has not within the timeout (rvisord's default,\n"
    "60 s). --force stops at once, as pulling the plug.\n";

int cmd_stop(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                         {"timeout", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    json_t *body = json_object();
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "hft:", opts, NULL)) != -1) {
        char *end;
        long t;
        switch (ch) {
        case 'f': json_object_set_new(body, "force", json_true()); break;
        case 't':
            t = strtol(optarg, &end, 10);
            if (*end || t < 1 || t > 3600) {
                json_decref(body);
                return cli_usage(usage_stop, argv[0], "--timeout: expected 1 to 3600 seconds",
                                 optarg);
            }
            json_object_set_new(body, "timeout_s", json_integer(t));
            break;
        case 'h': json_decref(body); return cli_usage(usage_stop, argv[0], NULL, NULL);
        default:
            json_decref(body);
            return cli_usage(usage_stop, argv[0], "unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        json_decref(body);
        return cli_usage(usage_stop, argv[0], "missing VM name", NULL);
    }
    /* each_vm parses options again: hand it only the names */
    char **names = xcalloc((size_t)(argc - optind + 2), sizeof(char *));
    names[0] = argv[0];
    int n = 1;
    for (int i = optind; i < argc; i++)
        names[n++] = argv[i];
    int r = each_vm(c, n, names, usage_stop, "POST", "/stop", body, "stopped");
    free(names);
    json_decref(body);
    return r;
}
