/* SPDX-License-Identifier: MIT */
/*
 * cmd_console: `rvctl console NAME` attaches this terminal to a VM's serial
 * console socket (vm/console_server.h): raw mode, bytes both ways, Ctrl-]
 * detaches (as virsh console and telnet), leaving the VM running. The first
 * client to attach types; others, and --watch, see the output read-only
 * (--watch half-closes the socket, which is how the server tells).
 *
 * Without a terminal (stdin a pipe or file), what stdin holds is typed, and
 * rvctl leaves once stdin has ended and the console has been quiet for a
 * moment: `echo 'uname -a' | rvctl console vm1` works in scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "api/unixsock.h"
#include "cli/cli.h"
#include "util/fdio.h"

#define ESCAPE_KEY 0x1d /* Ctrl-] */
#define QUIET_MS 700

static struct termios saved_tio;
static bool raw_mode;

static void restore_tty(void)
{
    if (raw_mode) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
        raw_mode = false;
    }
}

static void on_signal(int sig)
{
    restore_tty();
    _exit(128 + sig);
}

static void enter_raw(void)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
        return;
    struct termios t = saved_tio;
    cfmakeraw(&t);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
        raw_mode = true;
        atexit(restore_tty);
        signal(SIGTERM, on_signal);
        signal(SIGHUP, on_signal);
        signal(SIGINT, on_signal);
    }
}

/* Forward typed bytes; true when the escape key asks to detach. */
static bool forward_input(int sock, bool *stdin_open, bool watch)
{
    char buf[1024];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n <= 0) {
        *stdin_open = false;
        shutdown(sock, SHUT_WR); /* no more input: watch what follows */
        return false;
    }
    char *esc = raw_mode ? memchr(buf, ESCAPE_KEY, (size_t)n) : NULL;
    size_t len = esc ? (size_t)(esc - buf) : (size_t)n;
    if (!watch && len && fd_write_all(sock, buf, len) < 0)
        return true;
    return esc != NULL;
}

static int attach(const char *name, const char *path, bool watch)
{
    struct err e = {0};
    int sock = unixsock_connect(path, &e);
    if (sock < 0)
        return cli_fail(1, "%s: cannot attach to the console: %s", name, e.msg);
    if (watch)
        shutdown(sock, SHUT_WR);
    enter_raw();
    fprintf(stderr, "Connected to the console of %s%s (escape character: ^])%s\n", name,
            watch ? ", read-only" : "", raw_mode ? "\r" : "");
    bool stdin_open = !(watch && !isatty(STDIN_FILENO));
    int status = 0;
    for (;;) {
        struct pollfd p[2] = {{.fd = sock, .events = POLLIN},
                              {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN}};
        /* a script's input has ended: leave once the console goes quiet */
        int timeout = !stdin_open && !raw_mode && !watch ? QUIET_MS : -1;
        int r = poll(p, 2, timeout);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            break;
        if (p[0].revents) {
            char buf[4096];
            ssize_t n = read(sock, buf, sizeof(buf));
            if (n <= 0) {
                fprintf(stderr, "%s[rvctl: the console of %s closed (the VM stopped)]%s\n",
                        raw_mode ? "\r\n" : "\n", name, raw_mode ? "\r" : "");
                break;
            }
            if (fd_write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
                status = 1;
                break;
            }
        }
        if (p[1].revents && forward_input(sock, &stdin_open, watch)) {
            fprintf(stderr, "\r\n[rvctl: detached from %s; it keeps running]\r\n", name);
            break;
        }
    }
    restore_tty();
    close(sock);
    return status;
}

static const char usage_console[] =
    "usage: rvctl console NAME [--watch]\n"
    "\n"
    "Attach this terminal to the VM's serial console. Ctrl-] detaches; the VM\n"
    "keeps running. One client types at a time: later ones, and --watch, watch\n"
    "read-only. Everything the console prints is also in its log (rvctl info).\n";

int cmd_console(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"watch", no_argument, NULL, 'w'},
                                         {"read-only", no_argument, NULL, 'w'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool watch = false;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "hw", opts, NULL)) != -1) {
        if (ch == 'w')
            watch = true;
        else if (ch == 'h')
            return cli_usage(usage_console, argv[0], NULL, NULL);
        else
            return cli_usage(usage_console, argv[0], "unknown or incomplete option",
                             argv[optind - 1]);
    }
    if (argc - optind != 1)
        return cli_usage(usage_console, argv[0],
                         optind >= argc ? "missing VM name" : "unexpected argument",
                         optind >= argc ? NULL : argv[optind + 1]);
    const char *name = argv[optind];
    char path[512];
    cli_path(path, sizeof(path), "/vms", name, "");
    json_t *res;
    if (cli_call(c, "GET", path, NULL, &res))
        return 1;
    const char *sock = json_string_value(json_object_get(res, "console_socket"));
    const char *state = json_string_value(json_object_get(res, "state"));
    int r;
    if (!sock)
        r = cli_fail(1, "%s is %s: its console exists only while it runs", name,
                     state ? state : "not running");
    else
        r = attach(name, sock, watch);
    json_decref(res);
    return r;
}
