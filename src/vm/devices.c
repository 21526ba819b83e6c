/* SPDX-License-Identifier: MIT */
/*
 * devices: builds the devices beyond the fixed board (virtio disks, network,
 * rng, console) from the VM config, and tears them down. Called on the main
 * thread before the vCPUs start and after they stop.
 */
#include "vm/vm.h"

int vm_devices_create(struct vm *vm, struct err *e)
{
    (void)vm;
    (void)e;
    return 0;
}

void vm_devices_destroy(struct vm *vm)
{
    (void)vm;
}
