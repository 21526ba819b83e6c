/* SPDX-License-Identifier: MIT */
/*
 * manage: ties the control socket, the console server and the power button
 * to a VM. See manage.h. The console server is used whenever the console
 * must leave the terminal (a socket) or be kept (a log); with a log but no
 * socket, output still reaches stdout and the terminal still types.
 */
#include "vm/manage.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/alloc.h"
#include "vm/console_server.h"
#include "vm/control.h"
#include "vm/powerbtn.h"
#include "vm/vm.h"

struct vm_manage {
    char name[64];
    struct console_server *console;
    struct control *control;
    struct powerbtn *powerbtn;
};

int vm_manage_prepare(struct vm *vm, struct virt_config *board, struct err *e)
{
    const struct vm_config *cfg = vm->cfg;
    struct vm_manage *m = xzalloc(sizeof(*m));
    vm->manage = m;
    if (cfg->name)
        snprintf(m->name, sizeof(m->name), "%s", cfg->name);
    else
        snprintf(m->name, sizeof(m->name), "rvisor-%d", (int)getpid());
    if (cfg->console_socket || cfg->console_log) {
        int fd;
        if (console_server_new(&m->console, cfg->console_socket, cfg->console_log,
                               !cfg->console_socket, &fd, e) < 0)
            return -1;
        board->console_fd = fd;
    }
    if (cfg->control_path && control_new(&m->control, cfg->control_path, e) < 0)
        return -1;
    return 0;
}

int vm_manage_start(struct vm *vm, struct err *e)
{
    struct vm_manage *m = vm->manage;
    if (powerbtn_create(&m->powerbtn, vm->board, e) < 0)
        return -1;
    if (m->console && console_server_start(m->console, vm->loop, vm->board->uart, e) < 0)
        return -1;
    if (m->control && control_start(m->control, vm, m->name, m->powerbtn, e) < 0)
        return -1;
    return 0;
}

void vm_manage_rebooted(struct vm *vm)
{
    if (vm->manage)
        control_rebooted(vm->manage->control);
}

static const char *exit_reason(const struct vm_manage *m, int status)
{
    if (control_stop_requested(m->control) || status == VM_EXIT_QUIT)
        return "stopped";
    if (status == VM_EXIT_POWEROFF)
        return "poweroff";
    if (status == VM_EXIT_FATAL)
        return "crash";
    if (status >= 128)
        return "signal";
    return "failure";
}

void vm_manage_finish(struct vm *vm, int status)
{
    struct vm_manage *m = vm->manage;
    if (!m)
        return;
    control_finish(m->control, status, exit_reason(m, status));
    console_server_free(m->console);
    powerbtn_free(m->powerbtn);
    free(m);
    vm->manage = NULL;
}
