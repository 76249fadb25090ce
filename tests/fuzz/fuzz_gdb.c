// SPDX-License-Identifier: MIT
/*
 * fuzz_gdb.c: libFuzzer harness for minivmm's GDB remote stub, whose peer
 * is not trusted: the input is a byte stream from "gdb", framed by the
 * packet parser, each packet handled by the protocol against a fake
 * two-vCPU target with a small memory. Never crash; every reply fits a
 * packet and can be framed; every resume names an action per vCPU.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gdb.h"

static struct gdb_cpu cpus[2];
static uint8_t mem[4096]; /* guest-virtual 0x1000.. */

static const char *get(void *ctx, unsigned cpu, struct gdb_cpu *out)
{
	(void)ctx;
	if (cpu >= 2)
		abort();
	*out = cpus[cpu];
	return NULL;
}

static const char *set(void *ctx, unsigned cpu, const struct gdb_cpu *in,
		       unsigned what)
{
	(void)ctx;
	if (cpu >= 2 || !what || what > 7)
		abort();
	cpus[cpu] = *in;
	return NULL;
}

static size_t rd(void *ctx, unsigned cpu, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	(void)cpu;
	if (len > GDB_PACKET_MAX / 2)
		abort();
	if (addr < 0x1000 || addr - 0x1000 >= sizeof(mem))
		return 0;
	if (len > sizeof(mem) - (addr - 0x1000))
		len = sizeof(mem) - (addr - 0x1000);
	memcpy(buf, mem + (addr - 0x1000), len);
	return len;
}

static const char *wr(void *ctx, unsigned cpu, uint64_t addr, const void *buf,
		      size_t len)
{
	(void)ctx;
	(void)cpu;
	if (len > GDB_PACKET_MAX)
		abort();
	if (addr < 0x1000 || addr - 0x1000 >= sizeof(mem) ||
	    len > sizeof(mem) - (addr - 0x1000))
		return "address not mapped";
	memcpy(mem + (addr - 0x1000), buf, len);
	return NULL;
}

static const char *bp(void *ctx, unsigned cpu, bool insert,
		      enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	(void)ctx;
	(void)cpu;
	(void)insert;
	(void)addr;
	(void)kind;
	if (type > GDB_BP_ACCESS)
		abort();
	return type == GDB_BP_HW ? "no" : NULL;
}

static const struct gdb_target_ops ops = {get, set, rd, wr, bp};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gdb_rx rx;
	static struct gdb_session s;
	static char reply[GDB_PACKET_MAX + 1];
	static char frame[2 * GDB_PACKET_MAX + 8];
	size_t len;

	gdb_rx_init(&rx);
	gdb_session_init(&s, &ops, NULL, 2);
	for (size_t i = 0; i < size; i++) {
		enum gdb_verdict v;

		if (gdb_rx_byte(&rx, data[i]) != GDB_RX_PACKET)
			continue;
		if (rx.len > GDB_PACKET_MAX || rx.buf[rx.len] != '\0')
			abort();
		v = gdb_handle_packet(&s, rx.buf, rx.len, reply, &len);
		if (len > GDB_PACKET_MAX || reply[len] != '\0' ||
		    !gdb_frame(reply, len, frame, sizeof(frame)))
			abort();
		if (v == GDB_RESUME)
			for (unsigned c = 0; c < 2; c++)
				if (s.actions[c] > GDB_STEP)
					abort();
		if (s.g_cpu >= 2 || s.c_cpu >= 2)
			abort();
	}
	return 0;
}
