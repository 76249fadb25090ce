// SPDX-License-Identifier: MIT
/*
 * console.c: the console. On minivmm a whole write is one hypercall
 * (console_write: one exit instead of two per character); elsewhere, or
 * with console=uart, the 16550 at 0x3f8, polled: wait for LSR.THRE, write
 * THR. A write holds interrupts off (through pv ops) so an interrupt
 * handler that prints cannot split it; console_write_raw, for a trap
 * handler that must not run a pv site, relies on the caller for that.
 */
#include "guest.h"
#include "minivmm_abi.h"
#include "pv_ops.h"
#include "x86.h"

#define COM1	      MINIVMM_SERIAL_PORT
#define UART_IER      1
#define UART_FCR      2
#define UART_LCR      3
#define UART_LSR      5
#define UART_LSR_THRE 0x20

static bool use_hypercall;

void console_init(void)
{
	use_hypercall = hv_has_hypercalls() && !cmdline_is("console", "uart");
	outb(COM1 + UART_IER, 0x00); /* no interrupts: we poll */
	outb(COM1 + UART_LCR, 0x03); /* 8 data bits, no parity, 1 stop */
	outb(COM1 + UART_FCR, 0x00); /* no FIFO: one byte at a time */
}

void console_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

void console_write_raw(const char *s, size_t n)
{
	if (use_hypercall) {
		/* Chunks of printf are far below MINIVMM_CONSOLE_MAX. */
		if (hv_hypercall(MINIVMM_HC_CONSOLE_WRITE, (uintptr_t)s, n) !=
		    n)
			use_hypercall =
			    false; /* refused: say it the slow way */
	}
	if (!use_hypercall)
		while (n--)
			console_putc(*s++);
}

void console_write(const char *s, size_t n)
{
	unsigned long flags = pv_irq_save();

	console_write_raw(s, n);
	pv_restore_fl(flags);
}
