/* SPDX-License-Identifier: MIT */
/*
 * uart: ns16550a model (registers per the TI/National PC16550D datasheet).
 * Transmission is instantaneous, so THR is always empty: LSR reports THRE and
 * TEMT, and the THR-empty interrupt (when enabled) is pending after each
 * write or enable until IIR reports it, as the 8250 driver expects.
 * Received bytes wait in a 4 KiB ring; the line is raised while data is
 * available and IER.ERBFI is set.
 */
#include "machine/uart.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "util/alloc.h"

#include <stdlib.h>

#define RX_SIZE 4096

enum { IER_RDI = 1, IER_THRI = 2 };
enum { LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40 };
enum { LCR_DLAB = 0x80 };
enum { IIR_NONE = 0x01, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_FIFO = 0xc0 };

struct uart {
    pthread_mutex_t lock;
    int out_fd;
    struct irq_line irq;
    uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
    bool thr_pending;
    uint8_t rx[RX_SIZE];
    size_t rx_head, rx_len;
};

struct uart *uart_new(int out_fd, struct irq_line irq)
{
    struct uart *u = xzalloc(sizeof(*u));
    pthread_mutex_init(&u->lock, NULL);
    u->out_fd = out_fd;
    u->irq = irq;
    u->dll = 12; /* 9600 baud at 1.8432 MHz; cosmetic */
    return u;
}

void uart_free(struct uart *u)
{
    if (!u)
        return;
    pthread_mutex_destroy(&u->lock);
    free(u);
}

/* Called with lock held. */
static void update_irq(struct uart *u)
{
    bool level = ((u->ier & IER_RDI) && u->rx_len) || ((u->ier & IER_THRI) && u->thr_pending);
    irq_set(&u->irq, level);
}

void uart_write_out(struct uart *u, const uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = write(u->out_fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* console gone: the guest keeps running */
        buf += n;
        len -= (size_t)n;
    }
}

static uint64_t uart_read(void *opaque, uint64_t off, unsigned size)
{
    struct uart *u = opaque;
    uint8_t v = 0;
    pthread_mutex_lock(&u->lock);
    switch (off) {
    case 0:
        if (u->lcr & LCR_DLAB) {
            v = u->dll;
        } else if (u->rx_len) {
            v = u->rx[u->rx_head];
            u->rx_head = (u->rx_head + 1) % RX_SIZE;
            u->rx_len--;
        }
        break;
    case 1: v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier; break;
    case 2:
        if ((u->ier & IER_RDI) && u->rx_len) {
            v = IIR_RDI;
        } else if ((u->ier & IER_THRI) && u->thr_pending) {
            v = IIR_THRI;
            u->thr_pending = false; /* reading IIR acknowledges THRE */
        } else {
            v = IIR_NONE;
        }
        if (u->fcr & 1)
            v |= IIR_FIFO;
        break;
    case 3: v = u->lcr; break;
    case 4: v = u->mcr; break;
    case 5: v = LSR_THRE | LSR_TEMT | (u->rx_len ? LSR_DR : 0); break;
    case 6: v = 0xb0; break; /* DCD, DSR, CTS asserted */
    case 7: v = u->scr; break;
    }
    update_irq(u);
    pthread_mutex_unlock(&u->lock);
    return v;
}

static void uart_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct uart *u = opaque;
    uint8_t v = (uint8_t)val;
    pthread_mutex_lock(&u->lock);
    switch (off) {
    case 0:
        if (u->lcr & LCR_DLAB) {
            u->dll = v;
        } else {
            uart_write_out(u, &v, 1);
            u->thr_pending = true;
        }
        break;
    case 1:
        if (u->lcr & LCR_DLAB) {
            u->dlm = v;
        } else {
            if ((v & IER_THRI) && !(u->ier & IER_THRI))
                u->thr_pending = true;
            u->ier = v & 0x0f;
        }
        break;
    case 2:
        u->fcr = v & 0xc9;
        if (v & 2) { /* clear receive FIFO */
            u->rx_len = 0;
            u->rx_head = 0;
        }
        break;
    case 3: u->lcr = v; break;
    case 4: u->mcr = v & 0x1f; break;
    case 7: u->scr = v; break;
    }
    update_irq(u);
    pthread_mutex_unlock(&u->lock);
}

size_t uart_input_room(struct uart *u)
{
    pthread_mutex_lock(&u->lock);
    size_t room = RX_SIZE - u->rx_len;
    pthread_mutex_unlock(&u->lock);
    return room;
}

size_t uart_push_input(struct uart *u, const uint8_t *buf, size_t len)
{
    pthread_mutex_lock(&u->lock);
    size_t n = 0;
    while (n < len && u->rx_len < RX_SIZE) {
        u->rx[(u->rx_head + u->rx_len) % RX_SIZE] = buf[n++];
        u->rx_len++;
    }
    update_irq(u);
    pthread_mutex_unlock(&u->lock);
    return n;
}

static const struct mmio_ops uart_ops = {.read = uart_read, .write = uart_write};

int uart_map(struct uart *u, struct physmap *pm)
{
    return physmap_add_mmio(pm, "uart", UART_BASE, UART_SIZE, &uart_ops, u);
}
