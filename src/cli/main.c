/* SPDX-License-Identifier: MIT */
/*
 * main: the `rvctl` command: global options, then one command from the
 * table below (the git/kvmtool habit: one table, one function per command).
 * It talks to rvisord's REST API on its unix socket: --socket, else
 * $RVISOR_SOCKET, else rvisord's default (/run/rvisor/rvisord.sock as root,
 * $XDG_RUNTIME_DIR/rvisor/rvisord.sock otherwise).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    cli_cmd_fn fn;
    const char *help;
} commands[] = {
    {"list", cmd_list, "list VMs with their state, CPU% and memory"},
    {"info", cmd_info, "show one VM's definition and state"},
    {"define", cmd_define, "define a VM (from options or a JSON file)"},
    {"create", cmd_create, "define a VM and start it"},
    {"undefine", cmd_undefine, "remove a stopped VM"},
    {"start", cmd_start, "start VMs"},
    {"stop", cmd_stop, "stop VMs (graceful power-off; --force to pull the plug)"},
    {"reboot", cmd_reboot, "reset VMs"},
    {"pause", cmd_pause, "pause VMs"},
    {"resume", cmd_resume, "resume paused VMs"},
    {"console", cmd_console, "attach to a VM's serial console (Ctrl-] detaches)"},
    {"clone", cmd_clone, "create a VM as a linked clone of a template"},
    {"template", cmd_template, "list, create, inspect and remove templates"},
    {"where", cmd_where, "print the host that runs a VM"},
    {"top", cmd_top, "live CPU% and memory of the VMs"},
    {"events", cmd_events, "print the event log"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: rvctl [--socket PATH] [--json] COMMAND [ARGS]\n"
               "\n"
               "Manage rvisor VMs through rvisord.\n"
               "\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n"
               "options (before or after the command):\n"
               "  --socket PATH  rvisord's socket (default: $RVISOR_SOCKET, else\n"
               "                 /run/rvisor/rvisord.sock as root, else\n"
               "                 $XDG_RUNTIME_DIR/rvisor/rvisord.sock)\n"
               "  --json         print JSON (as the API returns it) instead of tables\n"
               "  -h, --help     help; `rvctl COMMAND --help` for a command\n"
               "  --version      print the version\n"
               "\n"
               "Exit status: 0 on success, 1 when the operation failed (one line on\n"
               "stderr says why), 2 for bad usage.\n");
}

static const char *default_socket(char *buf, size_t size)
{
    const char *env = getenv("RVISOR_SOCKET");
    if (env && *env)
        return env;
    if (geteuid() == 0)
        return "/run/rvisor/rvisord.sock";
    const char *run = getenv("XDG_RUNTIME_DIR");
    if (run && *run)
        snprintf(buf, size, "%s/rvisor/rvisord.sock", run);
    else
        snprintf(buf, size, "/tmp/rvisor-%d/rvisord.sock", (int)geteuid());
    return buf;
}

/* Take the global options out of argv (anywhere before a "--"), so that
 * `rvctl list --json` and `rvctl --json list` both work. */
static int global_options(struct cli *c, int *argc, char **argv)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            c->json = true;
        } else if (!strcmp(argv[i], "--socket") || !strncmp(argv[i], "--socket=", 9)) {
            if (argv[i][8] == '=') {
                c->socket_path = argv[i] + 9;
            } else if (i + 1 < *argc) {
                c->socket_path = argv[++i];
            } else {
                fprintf(stderr, "rvctl: --socket needs a path (see rvctl --help)\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--")) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

int main(int argc, char **argv)
{
    char buf[512];
    struct cli c = {0};
    int r = global_options(&c, &argc, argv);
    if (r)
        return r;
    if (!c.socket_path)
        c.socket_path = default_socket(buf, sizeof(buf));
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        puts("rvctl 0.1.0");
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].fn(&c, argc - 1, argv + 1);
    fprintf(stderr, "rvctl: unknown command '%s' (see rvctl --help)\n", cmd);
    return 2;
}
