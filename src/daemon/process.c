/* SPDX-License-Identifier: MIT */
/*
 * process: spawning VM processes and reading /proc. See process.h.
 */
#include "daemon/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/store.h"
#include "util/alloc.h"
#include "util/log.h"

static void arg(struct process_argv *a, const char *s)
{
    if (a->n < 62)
        a->v[a->n++] = xstrdup(s);
}

static void argf(struct process_argv *a, const char *fmt, const char *s1, const char *s2)
{
    char buf[DAEMON_PATH_MAX + 64];
    snprintf(buf, sizeof(buf), fmt, s1, s2);
    arg(a, buf);
}

/* "," in a --disk file name is written ",," (rvisor's option syntax). */
static void disk_arg(struct process_argv *a, const struct vmdef_disk *disk)
{
    size_t n = strlen(disk->path);
    char *esc = xmalloc(2 * n + 64), *o = esc;
    for (size_t i = 0; i < n; i++) {
        *o++ = disk->path[i];
        if (disk->path[i] == ',')
            *o++ = ',';
    }
    sprintf(o, ",format=%s%s", disk->format, disk->readonly ? ",readonly=on" : "");
    arg(a, "--disk");
    arg(a, esc);
    free(esc);
}

void process_argv_build(struct daemon *d, struct dvm *vm, struct process_argv *a)
{
    const struct vmdef *def = &vm->def;
    char num[32], log_path[DAEMON_PATH_MAX];
    dvm_path(d, def->name, "console.log", log_path, sizeof(log_path));
    arg(a, d->rvisor);
    arg(a, "run");
    arg(a, "--name");
    arg(a, def->name);
    arg(a, "--kernel");
    arg(a, def->kernel);
    if (def->initrd) {
        arg(a, "--initrd");
        arg(a, def->initrd);
    }
    arg(a, "--append");
    arg(a, def->cmdline ? def->cmdline : "");
    snprintf(num, sizeof(num), "%uM", def->memory_mib);
    arg(a, "--mem");
    arg(a, num);
    snprintf(num, sizeof(num), "%d", def->vcpus);
    arg(a, "--cpus");
    arg(a, num);
    arg(a, "--control");
    arg(a, vm->ctl_path);
    arg(a, "--console-socket");
    arg(a, vm->con_path);
    arg(a, "--console-log");
    arg(a, log_path);
    for (int i = 0; i < def->ndisks; i++)
        disk_arg(a, &def->disks[i]);
    for (int i = 0; i < def->nnics; i++) {
        const struct vmdef_nic *nic = &def->nics[i];
        arg(a, "--net");
        if (!strcmp(nic->type, "tap"))
            argf(a, "tap,ifname=%s%s", nic->ifname, "");
        else
            arg(a, "user");
        if (nic->mac[0]) {
            char *last = a->v[a->n - 1];
            char buf[128];
            snprintf(buf, sizeof(buf), "%s,mac=%s", last, nic->mac);
            free(last);
            a->v[a->n - 1] = xstrdup(buf);
        }
    }
    a->v[a->n] = NULL;
}

void process_argv_free(struct process_argv *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
}

/* Fork and exec rvisor, detached. Lock not held. Returns the pid or -errno
 * with `e` saying why exec failed. */
pid_t process_spawn(const struct process_argv *a, const char *vmm_log, struct err *e)
{
    int errpipe[2];
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    int logfd = open(vmm_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (devnull < 0 || logfd < 0 || pipe2(errpipe, O_CLOEXEC) < 0) {
        err_set(e, "%s: %s", logfd < 0 ? vmm_log : "/dev/null", strerror(errno));
        if (devnull >= 0)
            close(devnull);
        if (logfd >= 0)
            close(logfd);
        return -EIO;
    }
    char head[512];
    time_t now = time(NULL);
    int hn = snprintf(head, sizeof(head), "---- rvisord: starting %s at %s", a->v[3], ctime(&now));
    if (write(logfd, head, (size_t)hn) < 0)
        log_debug("supervise", "cannot write %s", vmm_log);
    pid_t pid = fork();
    if (pid == 0) {
        /* child: only async-signal-safe calls until exec */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        setsid();
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(logfd, 2);
        execv(a->v[0], a->v);
        int err = errno;
        ssize_t w = write(errpipe[1], &err, sizeof(err));
        (void)w;
        _exit(127);
    }
    int saved = errno;
    close(errpipe[1]);
    close(devnull);
    close(logfd);
    if (pid < 0) {
        close(errpipe[0]);
        err_set(e, "fork: %s", strerror(saved));
        return -saved;
    }
    int child_err = 0;
    ssize_t n = read(errpipe[0], &child_err, sizeof(child_err));
    close(errpipe[0]);
    if (n == (ssize_t)sizeof(child_err)) {
        err_set(e, "cannot execute %s: %s", a->v[0], strerror(child_err));
        return -child_err;
    }
    return pid;
}

/* The last non-empty line of the VM's stderr log: why it would not start. */
void process_log_tail(const char *path, char *out, size_t size)
{
    char *buf;
    size_t len;
    out[0] = 0;
    if (store_read_file(path, 1u << 20, &buf, &len, NULL) < 0)
        return;
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = 0;
    char *nl = strrchr(buf, '\n');
    snprintf(out, size, "%s", nl ? nl + 1 : buf);
    free(buf);
}

bool process_sample(pid_t pid, uint64_t *ticks, uint64_t *rss)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may contain anything */
    unsigned long long ut = 0, st = 0;
    long long rss_pages = 0;
    /* fields after ")": state(3) ... utime(14) stime(15) ... rss(24) */
    if (!p || sscanf(p + 2,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
                     "%*d %*d %*u %*u %lld",
                     &ut, &st, &rss_pages) != 3)
        return false;
    *ticks = ut + st;
    *rss = (uint64_t)(rss_pages > 0 ? rss_pages : 0) * (uint64_t)sysconf(_SC_PAGESIZE);
    return true;
}

void process_io(pid_t pid, uint64_t *rd, uint64_t *wr)
{
    char path[64], key[64];
    unsigned long long v;
    snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fscanf(f, "%63[^:]: %llu\n", key, &v) == 2) {
        if (!strcmp(key, "read_bytes"))
            *rd = v;
        else if (!strcmp(key, "write_bytes"))
            *wr = v;
    }
    fclose(f);
}

bool process_is_vm(pid_t pid, const char *ctl_path)
{
    char path[64], buf[8192];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    const char *argv0 = buf, *base = strrchr(argv0, '/');
    if (strcmp(base ? base + 1 : argv0, "rvisor"))
        return false;
    for (const char *a = buf; a < buf + n; a += strlen(a) + 1)
        if (!strcmp(a, "--control") && a + strlen(a) + 1 < buf + n &&
            !strcmp(a + strlen(a) + 1, ctl_path))
            return true;
    return false;
}

/* Has `pid` ended (gone, or a zombie nobody has reaped yet)? */
bool process_gone(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return true;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && (p[2] == 'Z' || p[2] == 'X');
}
