/* SPDX-License-Identifier: MIT */
/*
 * cmd_top: the live views. `rvctl top` redraws the VM table (host CPU% and
 * memory of each VM process, from rvisord's per-second samples) every few
 * seconds until interrupted, or -n times; `rvctl events` prints the event
 * log and, with --follow, keeps printing new events as they come.
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
    "Show the VMs with live host CPU% and memory, refreshing every SECONDS (default\n"
    "2) until Ctrl-C, or COUNT times. With --json, one JSON document per refresh.\n";

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
    double cpu = 0, rss = 0;
    int running = 0;
    for (size_t i = 0; i < json_array_size(vms); i++) {
        json_t *vm = json_array_get(vms, i);
        if (json_is_number(json_object_get(vm, "cpu_percent"))) {
            cpu += json_number_value(json_object_get(vm, "cpu_percent"));
            running++;
        }
        rss += (double)json_integer_value(json_object_get(vm, "rss_bytes"));
    }
    char when[32], rs[32];
    time_t now = time(NULL);
    strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
    fmt_bytes(rs, sizeof(rs), rss);
    printf("rvctl top - %s  host %s  VMs %zu, running %d  CPU %.1f%%  RSS %s\n\n", when,
           json_string_value(json_object_get(host, "hostname")), json_array_size(vms), running, cpu,
           rs);
    static const char *const h[] = {"NAME", "STATE", "VCPUS",  "MEMORY",
                                    "CPU%", "RSS",   "UPTIME", "TEMPLATE"};
    struct table *t = table_new(8, h);
    for (size_t i = 0; i < json_array_size(vms); i++)
        cli_vm_row(t, json_array_get(vms, i));
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
    for (long n = 0; !stop_requested && (count < 0 || n < count); n++) {
        if (n) {
            struct timespec ts = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};
            nanosleep(&ts, NULL);
            if (stop_requested)
                break;
        }
        json_t *res, *host;
        if (cli_call(c, "GET", "/vms", NULL, &res))
            return 1;
        if (cli_call(c, "GET", "/host", NULL, &host)) {
            json_decref(res);
            return 1;
        }
        draw(c, json_object_get(res, "vms"), host, tty);
        json_decref(res);
        json_decref(host);
    }
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
