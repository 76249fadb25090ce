// SPDX-License-Identifier: MIT
/*
 * serial.c: a 16550-compatible UART at 0x3f8, enough for a guest that
 * polls LSR and writes THR. Transmit is always ready, receive always empty;
 * registers the guest writes read back. Output is buffered per line and
 * never dropped quietly: a write that would block waits (poll), one cut
 * short by a signal is retried, and a real error is kept in (error) for
 * the run loop to end the run with VMM_STATUS_OUTPUT.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "vmm.h"

/* Register offsets from the base port. */
enum {
	UART_THR = 0, /* transmit (write), receive (read); DLL if DLAB */
	UART_IER = 1, /* interrupt enable; DLM if DLAB */
	UART_IIR = 2, /* interrupt identification (read), FIFO ctrl (write) */
	UART_LCR = 3, /* line control; bit 7 is DLAB */
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define UART_LCR_DLAB 0x80
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define UART_LSR_TEMT 0x40 /* transmitter empty */
#define UART_IIR_NONE 0x01 /* no interrupt pending */
#define UART_MSR_IDLE 0xb0 /* DCD, DSR, CTS asserted */

void vmm_serial_init(struct vmm_serial *s, int out_fd,
		     const volatile sig_atomic_t *cancel)
{
	*s = (struct vmm_serial){
	    .out_fd = out_fd, .lcr = 0x03, .cancel = cancel};
}

/* Wait until (fd) takes more output; false if a cancel came first. */
static bool wait_writable(struct vmm_serial *s)
{
	struct pollfd p = {.fd = s->out_fd, .events = POLLOUT};

	while (poll(&p, 1, -1) < 0) {
		if (errno != EINTR || (s->cancel && *s->cancel))
			return false;
	}
	return true;
}

bool vmm_serial_flush(struct vmm_serial *s)
{
	size_t off = 0;

	while (off < s->len && !s->error) {
		ssize_t n = write(s->out_fd, s->buf + off, s->len - off);

		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			if (s->cancel && *s->cancel)
				s->error = EINTR;
		} else if (n < 0 && errno == EAGAIN) {
			if (!wait_writable(s))
				s->error = errno;
		} else {
			s->error = n < 0 ? errno : EIO;
		}
	}
	/* On an error the rest is lost, and the run ends saying so. */
	s->len = 0;
	return !s->error;
}

static void serial_put(struct vmm_serial *s, uint8_t c)
{
	s->buf[s->len++] = (char)c;
	if (c == '\n' || s->len == sizeof(s->buf))
		vmm_serial_flush(s);
}

void vmm_serial_write(struct vmm_serial *s, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		serial_put(s, (uint8_t)buf[i]);
}

void vmm_serial_out(struct vmm_serial *s, uint16_t port, uint8_t val)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (port - MINIVMM_SERIAL_PORT) {
	case UART_THR:
		if (dlab)
			s->dll = val;
		else
			serial_put(s, val);
		break;
	case UART_IER:
		if (dlab)
			s->dlm = val;
		else
			s->ier = val & 0x0f;
		break;
	case UART_LCR:
		s->lcr = val;
		break;
	case UART_MCR:
		s->mcr = val & 0x1f;
		break;
	case UART_SCR:
		s->scr = val;
		break;
	default: /* FCR, and LSR/MSR, which are read-only */
		break;
	}
}

uint8_t vmm_serial_in(struct vmm_serial *s, uint16_t port)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (port - MINIVMM_SERIAL_PORT) {
	case UART_THR:
		return dlab ? s->dll : 0; /* nothing ever received */
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR:
		return UART_IIR_NONE;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT;
	case UART_MSR:
		return UART_MSR_IDLE;
	default:
		return s->scr;
	}
}
