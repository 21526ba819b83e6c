/* SPDX-License-Identifier: MIT */
/*
 * cmd_template: templates and linked clones. `rvctl template` manages
 * templates (list, create from a stopped VM or from files, info, rm) and
 * `rvctl clone TEMPLATE NAME` makes a VM whose disks are qcow2 overlays on
 * the template's (instant, whatever the disk size).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/alloc.h"

static const char usage_template[] =
    "usage: rvctl template list\n"
    "       rvctl template create NAME --from-vm VM\n"
    "       rvctl template create NAME --kernel FILE [--initrd FILE] [--cmdline ARGS]\n"
    "                             [--mem SIZE] [--cpus N] [--disk SPEC]... [--nic SPEC]...\n"
    "                             [--autostart] [--restart POLICY]\n"
    "       rvctl template info NAME\n"
    "       rvctl template rm NAME\n"
    "\n"
    "A template is a definition plus read-only base disks, copied into rvisord's\n"
    "state directory when it is created: from a stopped VM (--from-vm), or from\n"
    "the files given (the options of `rvctl define`). `rvctl clone` makes VMs of it:\n"
    "they get its NICs (--nic user | tap,ifname=NAME), each with a MAC address of\n"
    "its own, derived from the clone's name. A template that clones still use\n"
    "cannot be removed.\n";

static const char usage_clone[] =
    "usage: rvctl clone TEMPLATE NAME [--mem SIZE] [--cpus N] [--cmdline ARGS]\n"
    "                   [--autostart] [--restart POLICY] [--start]\n"
    "\n"
    "Create VM NAME from TEMPLATE: the template's definition, with every disk a\n"
    "new qcow2 overlay backed by the template's disk (a linked clone: instant,\n"
    "and only what the clone writes takes space). --start starts it too.\n";

static void template_row(struct table *t, const json_t *tp)
{
    char mem[32], vcpus[16], disks[16], nics[16], clones[16];
    fmt_bytes(mem, sizeof(mem),
              (double)json_integer_value(json_object_get(tp, "memory_mib")) * 1048576.0);
    snprintf(vcpus, sizeof(vcpus), "%lld",
             (long long)json_integer_value(json_object_get(tp, "vcpus")));
    snprintf(disks, sizeof(disks), "%zu", json_array_size(json_object_get(tp, "disks")));
    snprintf(nics, sizeof(nics), "%zu", json_array_size(json_object_get(tp, "nics")));
    snprintf(clones, sizeof(clones), "%zu", json_array_size(json_object_get(tp, "clones")));
    const char *name = json_string_value(json_object_get(tp, "name"));
    const char *cells[] = {name ? name : "-", vcpus, mem, disks, nics, clones};
    table_add(t, cells);
}

static int template_list(struct cli *c)
{
    static const char *const h[] = {"NAME", "VCPUS", "MEMORY", "DISKS", "NICS", "CLONES"};
    return cli_list(c, "/templates", "templates", 6, h, template_row);
}

static void print_template(const json_t *res, const void *unused)
{
    (void)unused;
    printf("%-9s %s\n", "Name:", json_string_value(json_object_get(res, "name")));
    printf("%-9s %lld\n", "vCPUs:", (long long)json_integer_value(json_object_get(res, "vcpus")));
    printf("%-9s %lld MiB\n",
           "Memory:", (long long)json_integer_value(json_object_get(res, "memory_mib")));
    const char *k = json_string_value(json_object_get(res, "kernel"));
    printf("%-9s %s\n", "Kernel:", k ? k : "-");
    printf("%-9s %s\n", "Cmdline:", json_string_value(json_object_get(res, "cmdline")));
    json_t *disks = json_object_get(res, "disks"), *clones = json_object_get(res, "clones");
    for (size_t i = 0; i < json_array_size(disks); i++) {
        json_t *d = json_array_get(disks, i);
        printf("%-9s %s (%s)\n", i ? "" : "Disks:", json_string_value(json_object_get(d, "path")),
               json_string_value(json_object_get(d, "format")));
    }
    json_t *nics = json_object_get(res, "nics");
    for (size_t i = 0; i < json_array_size(nics); i++) {
        json_t *n = json_array_get(nics, i);
        const char *ifname = json_string_value(json_object_get(n, "ifname"));
        printf("%-9s %s%s%s\n", i ? "" : "NICs:", json_string_value(json_object_get(n, "type")),
               ifname ? ", ifname=" : "", ifname ? ifname : "");
    }
    printf("%-9s", "Clones:");
    for (size_t i = 0; i < json_array_size(clones); i++)
        printf(" %s", json_string_value(json_array_get(clones, i)));
    printf("%s\n", json_array_size(clones) ? "" : " none");
}

static void print_removed(const json_t *res, const void *name)
{
    (void)res;
    printf("template %s: removed\n", (const char *)name);
}

/* template create NAME (--from-vm VM | definition options) */
static int template_create(struct cli *c, int argc, char **argv)
{
    enum { O_FROM = 1 };
    static const struct option opts[] = {
        {"from-vm", required_argument, NULL, O_FROM},
        CLI_OPTS_FILES,
        CLI_OPTS_SETTINGS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    json_t *body = json_object();
    int ch, status = -1;
    optind = 0;
    opterr = 0;
    while (status < 0 && (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_def_option(body, ch, optarg, usage_template, "template", &status))
            continue;
        switch (ch) {
        case O_FROM: json_object_set_new(body, "from_vm", json_string(optarg)); break;
        case 'h': status = cli_usage(usage_template, "template", NULL, NULL); break;
        default:
            status = cli_usage(usage_template, "template", "unknown or incomplete option",
                               argv[optind - 1]);
        }
    }
    if (status < 0 && optind + 1 != argc)
        status = cli_usage(usage_template, "template",
                           optind >= argc ? "missing template name" : "unexpected argument",
                           optind >= argc ? NULL : argv[optind + 1]);
    if (status >= 0) {
        json_decref(body);
        return status;
    }
    json_object_set_new(body, "name", json_string(argv[optind]));
    json_t *res;
    int r = cli_call(c, "POST", "/templates", body, &res);
    json_decref(body);
    if (r)
        return r;
    if (c->json)
        cli_print_json(res);
    else
        printf("template %s: created (%zu disk%s, %zu NIC%s)\n", argv[optind],
               json_array_size(json_object_get(res, "disks")),
               json_array_size(json_object_get(res, "disks")) == 1 ? "" : "s",
               json_array_size(json_object_get(res, "nics")),
               json_array_size(json_object_get(res, "nics")) == 1 ? "" : "s");
    json_decref(res);
    return 0;
}

int cmd_template(struct cli *c, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(usage_template, "template", "missing subcommand (list, create, info, rm)",
                         NULL);
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help"))
        return cli_usage(usage_template, "template", NULL, NULL);
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return cli_usage(usage_template, "template", NULL, NULL);
    if (!strcmp(sub, "list") || !strcmp(sub, "ls")) {
        if (argc > 2)
            return cli_usage(usage_template, "template", "unexpected argument", argv[2]);
        return template_list(c);
    }
    if (!strcmp(sub, "create"))
        return template_create(c, argc - 1, argv + 1);
    if (!strcmp(sub, "info") || !strcmp(sub, "rm") || !strcmp(sub, "delete")) {
        if (argc != 3)
            return cli_usage(usage_template, "template",
                             argc < 3 ? "missing template name" : "unexpected argument",
                             argc < 3 ? NULL : argv[3]);
        char path[512];
        cli_path(path, sizeof(path), "/templates", argv[2], "");
        if (!strcmp(sub, "info"))
            return cli_show(c, "GET", path, print_template, NULL);
        return cli_show(c, "DELETE", path, print_removed, argv[2]);
    }
    return cli_usage(usage_template, "template", "unknown subcommand", sub);
}

int cmd_clone(struct cli *c, int argc, char **argv)
{
    enum { O_START = 1 };
    static const struct option opts[] = {
        CLI_OPTS_SETTINGS,
        {"start", no_argument, NULL, O_START},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    json_t *body = json_object();
    bool start = false;
    int ch, status = -1;
    optind = 0;
    opterr = 0;
    while (status < 0 && (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_def_option(body, ch, optarg, usage_clone, argv[0], &status))
            continue;
        switch (ch) {
        case O_START: start = true; break;
        case 'h': status = cli_usage(usage_clone, argv[0], NULL, NULL); break;
        default:
            status =
                cli_usage(usage_clone, argv[0], "unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (status < 0 && argc - optind != 2)
        status = cli_usage(usage_clone, argv[0],
                           argc - optind < 2 ? "expected TEMPLATE and NAME" : "unexpected argument",
                           argc - optind < 2 ? NULL : argv[optind + 2]);
    if (status >= 0) {
        json_decref(body);
        return status;
    }
    const char *tmpl = argv[optind], *name = argv[optind + 1];
    json_object_set_new(body, "name", json_string(name));
    char path[512];
    cli_path(path, sizeof(path), "/templates", tmpl, "/clone");
    json_t *res;
    if (cli_make_vm(c, path, body, start, &res))
        return 1;
    if (c->json)
        cli_print_json(res);
    else if (start)
        printf("%s: cloned from %s and started (pid %lld)\n", name, tmpl,
               (long long)json_integer_value(json_object_get(res, "pid")));
    else
        printf("%s: cloned from %s\n", name, tmpl);
    json_decref(res);
    return 0;
}
