/* SPDX-License-Identifier: MIT */
/*
 * process: VM processes as the host sees them: the rvisor command line for a
 * VM, spawning it detached (own session, stdin/stdout on /dev/null, stderr
 * appended to the VM's vmm.log), and what /proc says about a process (CPU
 * ticks, resident memory, storage I/O, whether it is a given VM, whether it
 * has ended).
 *
 * Threads: any; process_argv_build with d->lock held (it reads the record).
 */
#ifndef RV_DAEMON_PROCESS_H
#define RV_DAEMON_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

struct daemon;
struct dvm;

struct process_argv {
    char *v[64];
    int n;
};

/* `rvisor run ...` for `vm` (its sockets and console log included). */
void process_argv_build(struct daemon *d, struct dvm *vm, struct process_argv *a);
void process_argv_free(struct process_argv *a);

/* Fork and exec a->v, detached. Returns the pid, or -errno with `e` saying
 * why (including exec failing in the child). */
pid_t process_spawn(const struct process_argv *a, const char *vmm_log, struct err *e);

/* The last non-empty line of a log file (why a VM would not start). */
void process_log_tail(const char *path, char *out, size_t size);

/* CPU ticks (user + system) and resident bytes of `pid`; false if gone. */
bool process_sample(pid_t pid, uint64_t *ticks, uint64_t *rss);
/* Storage bytes read and written by `pid` (/proc/PID/io); unchanged if unknown. */
void process_io(pid_t pid, uint64_t *rd, uint64_t *wr);
/* Is `pid` an rvisor serving the control socket `ctl_path` (its cmdline)? */
bool process_is_vm(pid_t pid, const char *ctl_path);
/* Has `pid` ended (gone, or a zombie not reaped yet)? */
bool process_gone(pid_t pid);

#endif
