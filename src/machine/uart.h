/* SPDX-License-Identifier: MIT */
/*
 * uart: an ns16550a serial port, the guest's console (ttyS0, earlycon).
 *
 * Output goes straight to a host fd; input is pushed by the I/O thread with
 * uart_push_input(). Threads: MMIO on vCPU threads, input on the I/O thread;
 * one mutex protects the registers and the receive buffer.
 */
#ifndef RV_MACHINE_UART_H
#define RV_MACHINE_UART_H

#include <stddef.h>
#include <stdint.h>

#include "machine/irq.h"
#include "mem/physmap.h"

#define UART_BASE 0x10000000ull
#define UART_SIZE 0x100ull
#define UART_IRQ 10
#define UART_CLOCK_HZ 3686400u

struct uart;

/* `out_fd` receives transmitted bytes. Also `out_log_fd` if >= 0. */
struct uart *uart_new(int out_fd, struct irq_line irq);
void uart_free(struct uart *u);
int uart_map(struct uart *u, struct physmap *pm) __attribute__((warn_unused_result));

/* Queue received bytes; returns how many were accepted (the rest must be
 * offered again later: nothing typed is dropped). */
size_t uart_push_input(struct uart *u, const uint8_t *buf, size_t len);
/* Free space in the receive buffer. */
size_t uart_input_room(struct uart *u);

/* Write bytes to the console output (SBI DBCN shares the UART's output). */
void uart_write_out(struct uart *u, const uint8_t *buf, size_t len);

#endif
