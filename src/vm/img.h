/* SPDX-License-Identifier: MIT */
/*
 * img: the `rvisor img` subcommands (create, info): make and inspect disk
 * images without qemu-img.
 */
#ifndef RV_VM_IMG_H
#define RV_VM_IMG_H

/* `rvisor img ...` with argv[0] = "img". Returns the exit status: 0, or 2
 * after a one-line error on stderr (bad usage, a file that cannot be
 * created or opened). Main thread. */
int img_main(int argc, char **argv);

#endif
