/* SPDX-License-Identifier: MIT */
/*
 * main: the `rvisord` host agent. Parses flags, picks the state directory
 * and socket (as root: /var/lib/rvisor and /run/rvisor/rvisord.sock;
 * otherwise under $XDG_DATA_HOME and $XDG_RUNTIME_DIR), takes the state
 * directory's lock (one daemon per state directory), re-attaches to VMs
 * that kept running while no daemon watched them, starts autostart VMs, and
 * serves the REST API until SIGTERM/SIGINT. VMs keep running after rvisord
 * exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/server.h"
#include "daemon/store.h"
#include "util/log.h"

static const char usage[] =
    "usage: rvisord [options]\n"
    "\n"
    "The rvisor host agent: keeps VM definitions and templates, runs each VM in\n"
    "its own rvisor process, and serves a REST API (JSON) on a unix socket\n"
    "(try: curl --unix-socket SOCKET http://rvisord/vms). Runs in the\n"
    "foreground; stop it with SIGTERM or Ctrl-C: VMs keep running, and the next\n"
    "rvisord re-attaches to them.\n"
    "\n"
    "  --state-dir DIR    definitions, templates, disks, logs, events\n"
    "                     (default: /var/lib/rvisor as root, else\n"
    "                     $XDG_DATA_HOME/rvisor or ~/.local/share/rvisor)\n"
    "  --socket PATH      the API socket, created with mode 0600; VM sockets go\n"
    "                     beside it (default: /run/rvisor/rvisord.sock as root,\n"
    "                     else $XDG_RUNTIME_DIR/rvisor/rvisord.sock)\n"
    "  --rvisor PATH      the rvisor binary (default: next to rvisord, else $PATH)\n"
    "  --stop-timeout S   seconds a graceful stop waits before forcing (default 60)\n"
    "  --log LEVEL        error, warn, info or debug (default info)\n"
    "  -h, --help         show this help\n";

static int usage_error(const char *msg, const char *arg)
{
    return err_usage("rvisord", "rvisord", msg, arg);
}

static void default_paths(char *state, size_t ssize, char *sock, size_t ksize)
{
    if (geteuid() == 0) {
        snprintf(state, ssize, "/var/lib/rvisor");
        snprintf(sock, ksize, "/run/rvisor/rvisord.sock");
        return;
    }
    const char *data = getenv("XDG_DATA_HOME"), *run = getenv("XDG_RUNTIME_DIR");
    const char *home = getenv("HOME");
    if (data && *data)
        snprintf(state, ssize, "%s/rvisor", data);
    else
        snprintf(state, ssize, "%s/.local/share/rvisor", home ? home : ".");
    if (run && *run)
        snprintf(sock, ksize, "%s/rvisor/rvisord.sock", run);
    else
        snprintf(sock, ksize, "/tmp/rvisor-%d/rvisord.sock", (int)geteuid());
}

struct run {
    struct daemon *d;
    struct evloop *loop;
    int sigfd;
    int stop_signal;
};

static void signal_cb(void *opaque, uint32_t events)
{
    struct run *r = opaque;
    struct signalfd_siginfo si;
    while (read(r->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGCHLD) {
            daemon_reap(r->d);
        } else {
            r->stop_signal = (int)si.ssi_signo;
            evloop_stop(r->loop);
        }
    }
}

static void tick_cb(void *opaque)
{
    struct run *r = opaque;
    daemon_tick(r->d);
}

/* One rvisord per state directory: an flock on state_dir/rvisord.lock. */
static int lock_state(const char *state_dir, struct err *e)
{
    char path[DAEMON_PATH_MAX];
    snprintf(path, sizeof(path), "%s/rvisord.lock", state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_set(e, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        err_set(e, "%s: another rvisord is using this state directory", state_dir);
        close(fd);
        return -1;
    }
    return fd;
}

static int serve(const struct daemon_config *cfg)
{
    struct run r = {0};
    struct err e = {0};
    struct server *srv = NULL;
    int status = 1, lockfd = -1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL); /* before any thread exists: all inherit it */
    signal(SIGPIPE, SIG_IGN);
    r.loop = evloop_new();
    r.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (!r.loop || r.sigfd < 0 || evloop_add_fd(r.loop, r.sigfd, EPOLLIN, signal_cb, &r) < 0) {
        fprintf(stderr, "rvisord: cannot set up the event loop: %s\n", strerror(errno));
        goto out;
    }
    if (store_mkdirs(cfg->state_dir, 0700, &e) < 0 ||
        (lockfd = lock_state(cfg->state_dir, &e)) < 0 || daemon_open(&r.d, cfg, r.loop, &e) < 0) {
        fprintf(stderr, "rvisord: %s\n", e.msg);
        goto out;
    }
    daemon_reattach(r.d);
    if (server_start(&srv, r.d, cfg->socket_path, r.loop, &e) < 0) {
        fprintf(stderr, "rvisord: %s\n", e.msg);
        goto out;
    }
    struct evtimer *tick = evloop_add_timer(r.loop, tick_cb, &r);
    if (tick)
        evtimer_arm(tick, 1000000000u, 1000000000u);
    pthread_mutex_lock(&r.d->lock);
    events_add(r.d, NULL, "daemon-started", "rvisord %s started (pid %d, state %s)", DAEMON_VERSION,
               (int)getpid(), r.d->state_dir);
    pthread_mutex_unlock(&r.d->lock);
    log_info("rvisord", "serving %s (state %s, rvisor %s)", cfg->socket_path, r.d->state_dir,
             r.d->rvisor);
    evloop_run(r.loop);
    server_stop(srv);
    pthread_mutex_lock(&r.d->lock);
    events_add(r.d, NULL, "daemon-stopped", "rvisord stopped by signal %d; VMs keep running",
               r.stop_signal);
    pthread_mutex_unlock(&r.d->lock);
    status = 0;
out:
    /* Connection and start threads may still run: leave the daemon's memory
     * to process exit rather than free it under them. */
    if (lockfd >= 0)
        close(lockfd);
    return status;
}

int main(int argc, char **argv)
{
    enum { O_STATE = 1, O_SOCKET, O_RVISOR, O_STOP_TIMEOUT, O_LOG };
    static const struct option opts[] = {
        {"state-dir", required_argument, NULL, O_STATE},
        {"socket", required_argument, NULL, O_SOCKET},
        {"rvisor", required_argument, NULL, O_RVISOR},
        {"stop-timeout", required_argument, NULL, O_STOP_TIMEOUT},
        {"log", required_argument, NULL, O_LOG},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static char state[DAEMON_PATH_MAX], sock[DAEMON_PATH_MAX];
    struct daemon_config cfg = {.stop_timeout_s = 60};
    default_paths(state, sizeof(state), sock, sizeof(sock));
    cfg.state_dir = state;
    cfg.socket_path = sock;
    log_set_level("info");
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case O_STATE: cfg.state_dir = optarg; break;
        case O_SOCKET: cfg.socket_path = optarg; break;
        case O_RVISOR: cfg.rvisor_path = optarg; break;
        case O_STOP_TIMEOUT:
            cfg.stop_timeout_s = (int)strtol(optarg, &end, 10);
            if (*end || cfg.stop_timeout_s < 1 || cfg.stop_timeout_s > 3600)
                return usage_error("--stop-timeout: expected seconds from 1 to 3600", optarg);
            break;
        case O_LOG:
            if (log_set_level(optarg) < 0)
                return usage_error("--log: expected error, warn, info or debug", optarg);
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: return usage_error("unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument", argv[optind]);
    if (cfg.rvisor_path && access(cfg.rvisor_path, X_OK) < 0) {
        fprintf(stderr, "rvisord: --rvisor %s: %s\n", cfg.rvisor_path, strerror(errno));
        return 2;
    }
    return serve(&cfg);
}
