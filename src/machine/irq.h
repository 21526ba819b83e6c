/* SPDX-License-Identifier: MIT */
/*
 * irq: the level-triggered interrupt-line interface that devices use.
 *
 * A device holds a `struct irq_line` given to it by the board and calls
 * irq_set(line, 1/0) to raise or lower its line; the board routes it (to the
 * PLIC). This header is the one allowed upward include from virtio/.
 *
 * Threads: irq_set may be called from any thread; the receiver locks.
 */
#ifndef RV_MACHINE_IRQ_H
#define RV_MACHINE_IRQ_H

struct irq_line {
    void (*set)(void *opaque, int irq, int level);
    void *opaque;
    int irq;
};

static inline void irq_set(const struct irq_line *l, int level)
{
    if (l && l->set)
        l->set(l->opaque, l->irq, level);
}

#endif
