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
#include <unistd.h>

#include "vmm.h"

#define COM1 MINIVMM_SERIAL_PORT

static struct vmm_serial s;
static int fds[2];

static void setup(void)
{
	cr_assert_eq(pipe(fds), 0);
	vmm_serial_init(&s, fds[1]);
}

static void teardown(void)
{
	close(fds[0]);
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
	vmm_serial_flush(&s);
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

Test(serial, output_to_a_closed_reader_is_dropped)
{
	close(fds[0]);
	fds[0] = open("/dev/null", O_RDONLY);
	signal(SIGPIPE, SIG_IGN);
	put("nobody reads this\n");
	cr_assert_eq(s.len, 0);
}
