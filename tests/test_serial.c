// SPDX-License-Identifier: MIT
/*
 * test_serial.c: the 16550 model: transmit is always ready, THR bytes come
 * out line by line, registers read back, DLAB switches THR/IER to the
 * divisor latch, and the registers nobody writes read sanely.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm.h"

#define COM1 MINIVMM_SERIAL_PORT

static struct vmm_serial s;
static int fds[2];

static void setup(void)
{
	cr_assert_eq(pipe(fds), 0);
	vmm_serial_init(&s, fds[1], NULL);
}

static void teardown(void)
{
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

TestSuite(serial, .init = setup, .fini = teardown);

static void put(const char *str)
{
	for (; *str; str++)
		vmm_serial_out(&s, COM1, (uint8_t)*str);
}

Test(serial, lines_come_out_whole)
{
	char buf[64] = {0};

	put("hello ");
	cr_assert_eq(s.len, 6, "a partial line is held back");
	put("world\n");
	cr_assert_eq(read(fds[0], buf, sizeof(buf) - 1), 12);
	cr_assert_str_eq(buf, "hello world\n");
}

Test(serial, flush_writes_a_partial_line)
{
	char buf[8] = {0};

	put("abc");
	cr_assert(vmm_serial_flush(&s));
	cr_assert_eq(s.error, 0);
	cr_assert_eq(read(fds[0], buf, sizeof(buf) - 1), 3);
	cr_assert_str_eq(buf, "abc");
}

Test(serial, a_long_line_is_written_when_the_buffer_fills)
{
	char buf[512];

	for (unsigned i = 0; i < sizeof(s.buf); i++)
		vmm_serial_out(&s, COM1, 'x');
	cr_assert_eq(s.len, 0);
	cr_assert_eq(read(fds[0], buf, sizeof(buf)), (ssize_t)sizeof(s.buf));
}

Test(serial, transmitter_always_ready_receiver_empty)
{
	cr_assert_eq(vmm_serial_in(&s, COM1 + 5) & 0x60, 0x60);
	cr_assert_eq(vmm_serial_in(&s, COM1 + 5) & 0x01, 0, "data ready?");
	cr_assert_eq(vmm_serial_in(&s, COM1 + 2) & 0x01, 0x01, "IIR pending?");
}

Test(serial, registers_read_back)
{
	vmm_serial_out(&s, COM1 + 1, 0x05);
	vmm_serial_out(&s, COM1 + 3, 0x1b);
	vmm_serial_out(&s, COM1 + 4, 0x0b);
	vmm_serial_out(&s, COM1 + 7, 0x99);
	cr_assert_eq(vmm_serial_in(&s, COM1 + 1), 0x05);
	cr_assert_eq(vmm_serial_in(&s, COM1 + 3), 0x1b);
	cr_assert_eq(vmm_serial_in(&s, COM1 + 4), 0x0b);
	cr_assert_eq(vmm_serial_in(&s, COM1 + 7), 0x99);
}

Test(serial, dlab_selects_the_divisor_latch)
{
	vmm_serial_out(&s, COM1 + 3, 0x80); /* DLAB on */
	vmm_serial_out(&s, COM1 + 0, 0x0c); /* 9600 baud */
	vmm_serial_out(&s, COM1 + 1, 0x00);
	cr_assert_eq(s.len, 0, "a divisor byte was printed");
	cr_assert_eq(vmm_serial_in(&s, COM1 + 0), 0x0c);
	vmm_serial_out(&s, COM1 + 3, 0x03); /* DLAB off */
	cr_assert_eq(vmm_serial_in(&s, COM1 + 0), 0, "RBR must be empty");
	put("x");
	cr_assert_eq(s.len, 1);
}

/* The reader went away: the output is lost, and that is an error. */
Test(serial, output_to_a_closed_reader_is_an_error)
{
	close(fds[0]);
	fds[0] = open("/dev/null", O_RDONLY);
	signal(SIGPIPE, SIG_IGN);
	put("nobody reads this\n");
	cr_assert_eq(s.len, 0);
	cr_assert_eq(s.error, EPIPE);
	cr_assert_not(vmm_serial_flush(&s));
}

Test(serial, a_full_device_is_an_error)
{
	int full = open("/dev/full", O_WRONLY);

	cr_assert_geq(full, 0);
	vmm_serial_init(&s, full, NULL);
	put("no room\n");
	close(full);
	cr_assert_eq(s.error, ENOSPC);
}

/*
 * stdout a non-blocking pipe whose reader is slow: every byte still
 * arrives, in order (writes that would block wait for the reader).
 */
Test(serial, a_slow_non_blocking_reader_gets_everything, .timeout = 30)
{
	enum { TOTAL = 1 << 20 };
	unsigned char buf[4096];
	size_t got = 0;
	pid_t writer;
	int status;

	cr_assert_eq(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	writer = fork();
	cr_assert_geq(writer, 0);
	if (writer == 0) {
		for (unsigned i = 0; i < TOTAL; i++)
			vmm_serial_out(&s, COM1, (uint8_t)('a' + i % 26));
		_exit(vmm_serial_flush(&s) ? 0 : 1);
	}
	close(fds[1]);
	fds[1] = -1;
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			cr_assert_eq(buf[i], 'a' + (got + (size_t)i) % 26,
				     "byte %zu", got + (size_t)i);
		got += (size_t)n;
		usleep(200); /* slower than the writer: the pipe fills */
	}
	cr_assert_eq(waitpid(writer, &status, 0), writer);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the writer failed: %#x", status);
	cr_assert_eq(got, TOTAL);
}

static volatile sig_atomic_t cancelled;

static void on_alarm(int sig)
{
	(void)sig;
	cancelled = 1;
}

/* A reader that never reads: the wait ends when the run is cancelled. */
Test(serial, a_cancel_ends_the_wait, .timeout = 30)
{
	struct sigaction sa = {.sa_handler = on_alarm};

	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	cr_assert_eq(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);
	vmm_serial_init(&s, fds[1], &cancelled);
	alarm(1);
	for (unsigned i = 0; i < (1u << 20) && !s.error; i++)
		vmm_serial_out(&s, COM1, 'x');
	cr_assert_eq(s.error, EINTR);
}
