/* SPDX-License-Identifier: MIT */
/*
 * cmd_top: the live views. `rvctl top` redraws the VM table (host CPU% and
 * memory of each VM process, from rvisord's per-second samples, and the
 * disk and network bytes per second, from the devices' own counters in
 * GET /vms/NAME) every few seconds until interrupted, or -n times;
 * `rvctl events` prints the event log and, with --follow, keeps printing
 * new events as they come.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static volatile sig_atomic_t stop_requested;

static void on_int(int sig)
{
    stop_requested = 1;
}

static const char usage_top[] =
    "usage: rvctl top [-n COUNT] [-d SECONDS] [--json]\n"
    "\n"
    "Show the VMs with live host CPU% and memory, and the bytes per second their\n"
    "disks read and write and their NICs receive (rx) and send (tx), refreshing\n"
    "every SECONDS (default 2) until Ctrl-C, or COUNT times. Rates are over the\n"
    "last interval; the first refresh (and a VM just started) averages since the\n"
    "VM started. With --json, one JSON document per refresh.\n";

/* The I/O counters top turns into rates: where GET /vms/NAME has them, and
 * the key of the rate it adds to the VM's object. */
static const struct {
    const char *obj, *key, *rate;
} io_counters[4] = {
    {"disk_io", "read_bytes", "disk_read_bytes_per_s"},
    {"disk_io", "write_bytes", "disk_write_bytes_per_s"},
    {"net_io", "rx_bytes", "net_rx_bytes_per_s"},
    {"net_io", "tx_bytes", "net_tx_bytes_per_s"},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Set the four rates of `vm` (null when not running or unknown) from its
 * counters: per second since its sample in `prev` (same process), else
 * since the VM started. `prev` keeps NAME: [time, pid, counters...]. */
static void add_rates(struct cli *c, json_t *vm, json_t *prev, double now)
{
    const char *name = json_string_value(json_object_get(vm, "name"));
    json_t *pid = json_object_get(vm, "pid"), *info = NULL;
    for (int k = 0; k < 4; k++)
        json_object_set_new(vm, io_counters[k].rate, json_null());
    char path[512];
    cli_path(path, sizeof(path), "/vms", name ? name : "", "");
    if (!name || !json_is_integer(pid) || cli_call(c, "GET", path, NULL, &info))
        return;
    json_t *last = json_object_get(prev, name);
    bool same = json_equal(json_array_get(last, 1), pid);
    double dt = now - json_number_value(json_array_get(last, 0));
    double up = json_number_value(json_object_get(info, "uptime_s"));
    json_t *sample = json_pack("[f, O]", now, pid);
    for (int k = 0; k < 4; k++) {
        json_t *v = json_object_get(json_object_get(info, io_counters[k].obj), io_counters[k].key);
        json_array_append(sample, v ? v : json_null());
        if (!json_is_integer(v))
            continue;
        double cur = (double)json_integer_value(v);
        json_t *was = json_array_get(last, (size_t)k + 2);
        double rate = -1;
        if (same && json_is_integer(was) && dt > 0 && cur >= (double)json_integer_value(was))
            rate = (cur - (double)json_integer_value(was)) / dt;
        else if (up > 0)
            rate = cur / up;
        if (rate >= 0)
            json_object_set_new(vm, io_counters[k].rate, json_real(rate));
    }
    json_object_set_new(prev, name, sample);
    json_decref(info);
}

static void fmt_pct(char *out, size_t size, double v)
{
    snprintf(out, size, "%.1f", v);
}

/* NAME STATE CPU% RSS UPTIME READ/s WRITE/s RX/s TX/s: 80 columns hold
 * names of up to 16 characters. */
static void top_row(struct table *t, const json_t *vm)
{
    char cpu[16], rss[16], up[16], rates[4][16];
    fmt_or_dash(cpu, sizeof(cpu), json_object_get(vm, "cpu_percent"), fmt_pct);
    fmt_or_dash(rss, sizeof(rss), json_object_get(vm, "rss_bytes"), fmt_bytes_short);
    fmt_or_dash(up, sizeof(up), json_object_get(vm, "uptime_s"), fmt_duration);
    for (int k = 0; k < 4; k++)
        fmt_or_dash(rates[k], sizeof(rates[k]), json_object_get(vm, io_counters[k].rate),
                    fmt_bytes_short);
    const char *name = json_string_value(json_object_get(vm, "name"));
    const char *state = json_string_value(json_object_get(vm, "state"));
    const char *cells[] = {
        name ? name : "-", state ? state : "-", cpu, rss, up, rates[0], rates[1], rates[2],
        rates[3]};
    table_add(t, cells);
}

static void draw(struct cli *c, json_t *vms, json_t *host, bool tty)
{
    if (c->json) {
        json_t *o = json_pack("{s:O, s:O}", "host", host, "vms", vms);
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s ? s : "{}");
        free(s);
        json_decref(o);
        fflush(stdout);
        return;
    }
    if (tty)
        fputs("\033[H\033[2J", stdout);
    double cpu = 0, rss = 0, io[4] = {0};
    int running = 0;
    for (size_t i = 0; i < json_array_size(vms); i++) {
        json_t *vm = json_array_get(vms, i);
        if (json_is_number(json_object_get(vm, "cpu_percent"))) {
            cpu += json_number_value(json_object_get(vm, "cpu_percent"));
            running++;
        }
        rss += (double)json_integer_value(json_object_get(vm, "rss_bytes"));
        for (int k = 0; k < 4; k++)
            io[k] += json_number_value(json_object_get(vm, io_counters[k].rate));
    }
    char when[32], rs[32];
    time_t now = time(NULL);
    strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
    fmt_bytes(rs, sizeof(rs), rss);
    printf("rvctl top - %s  host %s  VMs %zu, running %d  CPU %.1f%%  RSS %s\n", when,
           json_string_value(json_object_get(host, "hostname")), json_array_size(vms), running, cpu,
           rs);
    char r[4][16];
    for (int k = 0; k < 4; k++)
        fmt_bytes_short(r[k], sizeof(r[k]), io[k]);
    printf("Disk read %s/s, write %s/s  Net rx %s/s, tx %s/s\n\n", r[0], r[1], r[2], r[3]);
    static const char *const h[] = {"NAME",   "STATE",   "CPU%", "RSS", "UPTIME",
                                    "READ/s", "WRITE/s", "RX/s", "TX/s"};
    struct table *t = table_new(9, h);
    for (size_t i = 0; i < json_array_size(vms); i++)
        top_row(t, json_array_get(vms, i));
    table_print(t, stdout);
    if (!tty)
        putchar('\n');
    fflush(stdout);
}

int cmd_top(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"iterations", required_argument, NULL, 'n'},
                                         {"delay", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    long count = -1;
    double delay = 2;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "hn:d:", opts, NULL)) != -1) {
        char *end;
        switch (ch) {
        case 'n':
            count = strtol(optarg, &end, 10);
            if (*end || count < 1)
                return cli_usage(usage_top, argv[0], "-n: expected a positive count", optarg);
            break;
        case 'd':
            delay = strtod(optarg, &end);
            if (*end || delay < 0.1 || delay > 3600)
                return cli_usage(usage_top, argv[0], "-d: expected seconds from 0.1 to 3600",
                                 optarg);
            break;
        case 'h': return cli_usage(usage_top, argv[0], NULL, NULL);
        default:
            return cli_usage(usage_top, argv[0], "unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage(usage_top, argv[0], "unexpected argument", argv[optind]);
    signal(SIGINT, on_int);
    bool tty = isatty(STDOUT_FILENO);
    json_t *prev = json_object(); /* the last counters of each VM */
    for (long n = 0; !stop_requested && (count < 0 || n < count); n++) {
        if (n) {
            struct timespec ts = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};
            nanosleep(&ts, NULL);
            if (stop_requested)
                break;
        }
        json_t *res, *host;
        if (cli_call(c, "GET", "/vms", NULL, &res)) {
            json_decref(prev);
            return 1;
        }
        if (cli_call(c, "GET", "/host", NULL, &host)) {
            json_decref(res);
            json_decref(prev);
            return 1;
        }
        json_t *vms = json_object_get(res, "vms");
        double now = now_s();
        for (size_t i = 0; i < json_array_size(vms); i++)
            add_rates(c, json_array_get(vms, i), prev, now);
        draw(c, vms, host, tty);
        json_decref(res);
        json_decref(host);
    }
    json_decref(prev);
    return 0;
}

static const char usage_events[] =
    "usage: rvctl events [--vm NAME] [--since SEQ] [--limit N] [--follow] [--json]\n"
    "\n"
    "Print rvisord's event log (VMs defined, started, stopped, crashed, restarted,\n"
    "paused, cloned...), oldest first. --follow keeps printing new events.\n";

static uint64_t print_events(struct cli *c, json_t *res)
{
    json_t *events = json_object_get(res, "events");
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *ev = json_array_get(events, i);
        if (c->json) {
            char *s = json_dumps(ev, JSON_COMPACT);
            puts(s);
            free(s);
            continue;
        }
        const char *vm = json_string_value(json_object_get(ev, "vm"));
        printf("%-6lld %s  %-14s %-20s %s\n",
               (long long)json_integer_value(json_object_get(ev, "seq")),
               json_string_value(json_object_get(ev, "time")), vm ? vm : "-",
               json_string_value(json_object_get(ev, "type")),
               json_string_value(json_object_get(ev, "message")));
    }
    fflush(stdout);
    return (uint64_t)json_integer_value(json_object_get(res, "last_seq"));
}

int cmd_events(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"vm", required_argument, NULL, 'v'},    {"since", required_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'l'}, {"follow", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *vm = NULL;
    unsigned long long since = 0;
    long limit = 100;
    bool follow = false;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "hf", opts, NULL)) != -1) {
        char *end;
        switch (ch) {
        case 'v': vm = optarg; break;
        case 's':
            since = strtoull(optarg, &end, 10);
            if (*end || !*optarg)
                return cli_usage(usage_events, argv[0], "--since: expected a sequence number",
                                 optarg);
            break;
        case 'l':
            limit = strtol(optarg, &end, 10);
            if (*end || limit < 1 || limit > 4096)
                return cli_usage(usage_events, argv[0], "--limit: expected 1 to 4096", optarg);
            break;
        case 'f': follow = true; break;
        case 'h': return cli_usage(usage_events, argv[0], NULL, NULL);
        default:
            return cli_usage(usage_events, argv[0], "unknown or incomplete option",
                             argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage(usage_events, argv[0], "unexpected argument", argv[optind]);
    signal(SIGINT, on_int);
    for (bool first = true; first || (follow && !stop_requested); first = false) {
        if (!first)
            sleep(1);
        char path[512], vmq[400] = "";
        if (vm)
            cli_path(vmq, sizeof(vmq), "&vm=", vm, "");
        /* cli_path puts a '/' between prefix and name; drop it */
        if (vm)
            memmove(vmq + 4, vmq + 5, strlen(vmq + 5) + 1);
        snprintf(path, sizeof(path), "/events?since=%llu&limit=%ld%s", since, limit, vmq);
        json_t *res;
        if (cli_call(c, "GET", path, NULL, &res))
            return 1;
        uint64_t last = print_events(c, res);
        if (last > since)
            since = last;
        json_decref(res);
    }
    return 0;
}
