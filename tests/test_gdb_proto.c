// SPDX-License-Identifier: MIT
/*
 * test_gdb_proto.c: minivmm's GDB remote stub on the host, without KVM:
 * the framing (checksums, escapes, a packet cut in pieces or overlong,
 * bad hex, ^C), the register layout against the target description, and
 * the protocol's commands against a fake target (memory in an array,
 * registers in a struct): what each reply must be, and the refusals.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "gdb.h"

/* ---- framing ---- */

/* Feed (s) and return the last event that was not NONE. */
static enum gdb_rx_event feed(struct gdb_rx *rx, const char *s, size_t n)
{
	enum gdb_rx_event last = GDB_RX_NONE;

	for (size_t i = 0; i < n; i++) {
		enum gdb_rx_event e = gdb_rx_byte(rx, (uint8_t)s[i]);

		if (e != GDB_RX_NONE)
			last = e;
	}
	return last;
}

static enum gdb_rx_event feed_str(struct gdb_rx *rx, const char *s)
{
	return feed(rx, s, strlen(s));
}

Test(gdb_packet, a_packet_with_its_checksum)
{
	struct gdb_rx rx;

	gdb_rx_init(&rx);
	cr_assert_eq(feed_str(&rx, "$qC#b4"), GDB_RX_PACKET);
	cr_assert_str_eq(rx.buf, "qC");
	cr_assert_eq(rx.len, 2);
	/* Upper-case checksum digits are hex too. */
	cr_assert_eq(feed_str(&rx, "$g#67"), GDB_RX_PACKET);
	cr_assert_eq(feed_str(&rx, "$m0,1#FA"), GDB_RX_PACKET);
	cr_assert_str_eq(rx.buf, "m0,1");
}

Test(gdb_packet, a_bad_checksum_or_bad_hex_is_refused)
{
	struct gdb_rx rx;

	gdb_rx_init(&rx);
	cr_assert_eq(feed_str(&rx, "$qC#b5"), GDB_RX_BAD);
	cr_assert_eq(feed_str(&rx, "$qC#zz"), GDB_RX_BAD);
	cr_assert_eq(feed_str(&rx, "$qC#bz"), GDB_RX_BAD);
	/* And the next one is fine. */
	cr_assert_eq(feed_str(&rx, "$qC#b4"), GDB_RX_PACKET);
}

Test(gdb_packet, cut_in_pieces_or_two_in_one_read)
{
	struct gdb_rx rx;
	const char *two = "$qC#b4$g#67";

	gdb_rx_init(&rx);
	cr_assert_eq(feed_str(&rx, "$q"), GDB_RX_NONE);
	cr_assert_eq(feed_str(&rx, "C#b"), GDB_RX_NONE);
	cr_assert_eq(feed_str(&rx, "4"), GDB_RX_PACKET);
	cr_assert_eq(feed(&rx, two, 6), GDB_RX_PACKET);
	cr_assert_str_eq(rx.buf, "qC");
	cr_assert_eq(feed(&rx, two + 6, 5), GDB_RX_PACKET);
	cr_assert_str_eq(rx.buf, "g");
}

Test(gdb_packet, escapes_are_undone_and_the_checksum_covers_them)
{
	struct gdb_rx rx;
	char framed[32];
	const char payload[] = {'X', '#', '$', '}', '*', 0};
	size_t n = gdb_frame(payload, 6, framed, sizeof(framed));

	/* X, then four escaped bytes, then the NUL: "$X}\x03}\x04}]}\n\0#xx" */
	cr_assert_eq(n, 1 + 1 + 8 + 1 + 3);
	cr_assert_eq(framed[2], '}');
	cr_assert_eq(framed[3], '#' ^ 0x20);
	gdb_rx_init(&rx);
	cr_assert_eq(feed(&rx, framed, n), GDB_RX_PACKET);
	cr_assert_eq(rx.len, 6);
	cr_assert_eq(memcmp(rx.buf, payload, 6), 0);
}

Test(gdb_packet, an_overlong_packet_is_dropped_whole)
{
	static char big[GDB_PACKET_MAX + 64];
	struct gdb_rx rx;
	uint8_t sum = 0;
	size_t n = GDB_PACKET_MAX + 10;

	big[0] = '$';
	for (size_t i = 1; i <= n; i++) {
		big[i] = 'a';
		sum = (uint8_t)(sum + 'a');
	}
	snprintf(big + n + 1, 4, "#%02x", sum);
	gdb_rx_init(&rx);
	cr_assert_eq(feed(&rx, big, n + 4), GDB_RX_OVERLONG);
	cr_assert_leq(rx.len, GDB_PACKET_MAX);
	cr_assert_eq(feed_str(&rx, "$qC#b4"), GDB_RX_PACKET);
}

Test(gdb_packet, acks_and_ctrl_c_between_packets)
{
	struct gdb_rx rx;

	gdb_rx_init(&rx);
	cr_assert_eq(gdb_rx_byte(&rx, '+'), GDB_RX_ACK);
	cr_assert_eq(gdb_rx_byte(&rx, '-'), GDB_RX_NAK);
	cr_assert_eq(gdb_rx_byte(&rx, 0x03), GDB_RX_INTERRUPT);
	cr_assert_eq(gdb_rx_byte(&rx, 'x'), GDB_RX_NONE);
	/* Inside a packet, 0x03 is data. */
	cr_assert_eq(feed(&rx, "$\x03#03", 5), GDB_RX_PACKET);
	cr_assert_eq(rx.buf[0], 3);
}

Test(gdb_packet, frame_refuses_what_does_not_fit)
{
	char out[8];

	cr_assert_eq(gdb_frame("OK", 2, out, sizeof(out)), 6);
	cr_assert_eq(memcmp(out, "$OK#9a", 6), 0);
	cr_assert_eq(gdb_frame("12345", 5, out, sizeof(out)), 0);
}

Test(gdb_packet, hex_numbers)
{
	const char *p = "ffffffffffffffff,1";
	uint64_t v;
	uint8_t b[2];

	cr_assert(gdb_hex_number(&p, &v));
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(*p, ',');
	p = "10000000000000000";
	cr_assert_not(gdb_hex_number(&p, &v), "17 digits");
	p = ",";
	cr_assert_not(gdb_hex_number(&p, &v));
	cr_assert(gdb_hex_decode("a0FF", 2, b));
	cr_assert_eq(b[0], 0xa0);
	cr_assert_eq(b[1], 0xff);
	cr_assert_not(gdb_hex_decode("a0Fg", 2, b));
}

/* ---- the target description and the register layout ---- */

Test(gdb_regs, the_description_lists_every_register_in_order)
{
	const char *x = gdb_target_xml;
	unsigned n = 0, bits_total = 0;

	while ((x = strstr(x, "<reg name=")) != NULL) {
		unsigned bits;
		const char *b = strstr(x, "bitsize=\"");

		cr_assert_not_null(b);
		cr_assert_eq(sscanf(b, "bitsize=\"%u\"", &bits), 1);
		cr_assert_eq(bits, 8 * gdb_reg_size(n), "register %u", n);
		bits_total += bits;
		n++;
		x++;
	}
	cr_assert_eq(n, GDB_REG_COUNT);
	cr_assert_eq(bits_total / 8, 600);
	cr_assert_eq(gdb_reg_size(GDB_REG_COUNT), 0);
	cr_assert_not_null(
	    strstr(gdb_target_xml, "<architecture>i386:x86-64</architecture>"));
}

/* ---- the protocol, against a fake target ---- */

static struct fake {
	struct gdb_cpu cpu[2];
	uint8_t mem[8192]; /* guest-virtual 0x1000.. */
	unsigned bp_calls;
	enum gdb_bp_type bp_type;
	uint64_t bp_addr, bp_kind;
	bool bp_insert;
	unsigned set_what;
} fake;

static const char *f_get(void *ctx, unsigned cpu, struct gdb_cpu *out)
{
	(void)ctx;
	*out = fake.cpu[cpu];
	return NULL;
}

static const char *f_set(void *ctx, unsigned cpu, const struct gdb_cpu *in,
			 unsigned what)
{
	(void)ctx;
	fake.cpu[cpu] = *in;
	fake.set_what = what;
	return NULL;
}

static size_t f_read(void *ctx, unsigned cpu, uint64_t addr, void *buf,
		     size_t len)
{
	(void)ctx;
	(void)cpu;
	if (addr < 0x1000 || addr >= 0x1000 + sizeof(fake.mem))
		return 0;
	if (len > 0x1000 + sizeof(fake.mem) - addr)
		len = 0x1000 + sizeof(fake.mem) - addr;
	memcpy(buf, fake.mem + addr - 0x1000, len);
	return len;
}

static const char *f_write(void *ctx, unsigned cpu, uint64_t addr,
			   const void *buf, size_t len)
{
	(void)ctx;
	(void)cpu;
	if (addr < 0x1000 || len > 0x1000 + sizeof(fake.mem) - addr)
		return "address not mapped";
	memcpy(fake.mem + addr - 0x1000, buf, len);
	return NULL;
}

static const char *f_bp(void *ctx, unsigned cpu, bool insert,
			enum gdb_bp_type type, uint64_t addr, uint64_t kind)
{
	(void)ctx;
	(void)cpu;
	fake.bp_calls++;
	fake.bp_insert = insert;
	fake.bp_type = type;
	fake.bp_addr = addr;
	fake.bp_kind = kind;
	return type == GDB_BP_HW ? "hardware breakpoints do not fire" : NULL;
}

static const struct gdb_target_ops fake_ops = {f_get, f_set, f_read, f_write,
					       f_bp};
static struct gdb_session s;
static char reply[GDB_PACKET_MAX + 1];
static size_t reply_len;

static void setup(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.cpu[0].regs.rip = 0x1122334455667788ull;
	fake.cpu[0].regs.rbp = 0x6666;
	fake.cpu[0].regs.rsp = 0x7777;
	fake.cpu[0].regs.rflags = 0x246;
	fake.cpu[0].sregs.cs.selector = 0x10;
	fake.cpu[0].sregs.cr3 = 0xabc000;
	fake.cpu[1].regs.rip = 0x2222;
	for (unsigned i = 0; i < sizeof(fake.mem); i++)
		fake.mem[i] = (uint8_t)i;
	gdb_session_init(&s, &fake_ops, NULL, 2);
}

static enum gdb_verdict pkt(const char *p)
{
	return gdb_handle_packet(&s, p, strlen(p), reply, &reply_len);
}

TestSuite(gdb_proto, .init = setup);

Test(gdb_proto, qsupported_and_the_description_in_pieces)
{
	char doc[8192] = "";
	unsigned off = 0;

	cr_assert_eq(pkt("qSupported:multiprocess+;swbreak+"), GDB_REPLY);
	cr_assert_not_null(strstr(reply, "PacketSize=1000"));
	cr_assert_not_null(strstr(reply, "qXfer:features:read+"));
	cr_assert_not_null(strstr(reply, "swbreak+"));
	for (;;) { /* as gdb reads it: 0x100 bytes at a time */
		char q[64];

		snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%x,100",
			 off);
		pkt(q);
		cr_assert(reply[0] == 'm' || reply[0] == 'l', "%s", reply);
		strncat(doc, reply + 1, sizeof(doc) - strlen(doc) - 1);
		off += (unsigned)reply_len - 1;
		if (reply[0] == 'l')
			break;
	}
	cr_assert_str_eq(doc, gdb_target_xml);
	pkt("qXfer:features:read:other.xml:0,100");
	cr_assert_eq(reply[0], 'E');
}

Test(gdb_proto, registers_g_p_and_P)
{
	char rip[17];

	pkt("g");
	cr_assert_eq(reply_len, 1200);
	/* rbp is register 6 and rsp 7, unlike kvm_regs's order. */
	cr_assert_eq(strncmp(reply + 6 * 16, "6666000000000000", 16), 0);
	cr_assert_eq(strncmp(reply + 7 * 16, "7777000000000000", 16), 0);
	cr_assert_eq(strncmp(reply + 16 * 16, "8877665544332211", 16), 0);
	cr_assert_eq(strncmp(reply + 17 * 16, "46020000", 8), 0);
	pkt("p10");
	cr_assert_str_eq(reply, "8877665544332211");
	pkt("p3d"); /* cr3 */
	cr_assert_str_eq(reply, "00c0ab0000000000");
	pkt("P10=0010000000000000");
	cr_assert_str_eq(reply, "OK");
	cr_assert_eq(fake.cpu[0].regs.rip, 0x1000);
	cr_assert_eq(fake.set_what, 1);
	/* Thread 2 is vCPU 1. */
	pkt("Hg2");
	cr_assert_str_eq(reply, "OK");
	pkt("p10");
	snprintf(rip, sizeof(rip), "2222000000000000");
	cr_assert_str_eq(reply, rip);
}

Test(gdb_proto, register_refusals)
{
	pkt("p41"); /* one past efer */
	cr_assert_eq(strncmp(reply, "E.", 2), 0);
	pkt("P10=12");
	cr_assert_eq(strncmp(reply, "E.", 2), 0, "short value");
	pkt("P10=zz00000000000000");
	cr_assert_eq(strncmp(reply, "E.", 2), 0, "bad hex");
	pkt("P12=11000000"); /* cs: a selector without its descriptor */
	cr_assert_eq(strncmp(reply, "E.", 2), 0);
	pkt("P12=10000000"); /* the same value: fine (G writes all) */
	cr_assert_str_eq(reply, "OK");
	pkt("P20=7f030000"); /* fctrl */
	cr_assert_str_eq(reply, "OK");
	cr_assert_eq(fake.cpu[0].fpu.fcw, 0x37f);
	cr_assert_eq(fake.set_what, 4);
	pkt("P22=00000000"); /* ftag: derived from fxsave's abridged tags */
	cr_assert_eq(strncmp(reply, "E.", 2), 0);
	pkt("P22=ffff0000"); /* all empty: what it is */
	cr_assert_str_eq(reply, "OK");
	pkt("G00");
	cr_assert_eq(strncmp(reply, "E.", 2), 0, "short G");
	cr_assert_eq(fake.cpu[0].regs.rip, 0x1122334455667788ull);
}

Test(gdb_proto, the_whole_g_written_back)
{
	char g[1201];

	pkt("g");
	memcpy(g, reply, sizeof(g));
	g[0] = '5'; /* rax = 5 */
	{
		char G[1202] = "G";

		strcat(G, g);
		pkt(G);
	}
	cr_assert_str_eq(reply, "OK");
	cr_assert_eq(fake.cpu[0].regs.rax, 0x50);
	cr_assert_eq(fake.cpu[0].regs.rip, 0x1122334455667788ull);
}

Test(gdb_proto, memory_m_M_and_X)
{
	pkt("m1000,4");
	cr_assert_str_eq(reply, "00010203");
	/* Up to the end of what is mapped, then an error for none. */
	pkt("m2ffe,10");
	cr_assert_str_eq(reply, "feff");
	pkt("m0,4");
	cr_assert_eq(strncmp(reply, "E.", 2), 0);
	/* A big read is cut to what fits a packet. */
	pkt("m1000,ffff");
	cr_assert_eq(reply_len, GDB_PACKET_MAX);
	pkt("M1000,2:abcd");
	cr_assert_str_eq(reply, "OK");
	cr_assert_eq(fake.mem[0], 0xab);
	cr_assert_eq(fake.mem[1], 0xcd);
	pkt("M1000,2:abc");
	cr_assert_eq(strncmp(reply, "E.", 2), 0, "odd hex");
	pkt("M1000,2:abcx");
	cr_assert_eq(strncmp(reply, "E.", 2), 0, "bad hex");
	pkt("M0,1:00");
	cr_assert_eq(strncmp(reply, "E.", 2), 0, "not mapped");
	{
		const char x[] = "X1004,3:\x00#}";

		cr_assert_eq(
		    gdb_handle_packet(&s, x, sizeof(x) - 1, reply, &reply_len),
		    GDB_REPLY);
	}
	cr_assert_str_eq(reply, "OK");
	cr_assert_eq(fake.mem[4], 0);
	cr_assert_eq(fake.mem[5], '#');
	cr_assert_eq(fake.mem[6], '}');
	pkt("X1004,0:"); /* gdb's probe for X */
	cr_assert_str_eq(reply, "OK");
	pkt("X1004,2:a");
	cr_assert_eq(strncmp(reply, "E.", 2), 0, "short X");
	pkt("mfffffffffffffffff,1");
	cr_assert_eq(strncmp(reply, "E.", 2), 0, "17 digits");
}

Test(gdb_proto, breakpoints_reach_the_target_with_its_reasons)
{
	pkt("Z0,101000,1");
	cr_assert_str_eq(reply, "OK");
	cr_assert(fake.bp_insert);
	cr_assert_eq(fake.bp_type, GDB_BP_SW);
	cr_assert_eq(fake.bp_addr, 0x101000);
	pkt("z2,2000,8");
	cr_assert_str_eq(reply, "OK");
	cr_assert_not(fake.bp_insert);
	cr_assert_eq(fake.bp_kind, 8);
	pkt("Z1,101000,1");
	cr_assert_str_eq(reply, "E.hardware breakpoints do not fire");
	fake.bp_calls = 0;
	pkt("Z5,101000,1");
	cr_assert_str_eq(reply, "", "unsupported type: empty");
	pkt("Z0,101000");
	cr_assert_eq(strncmp(reply, "E.", 2), 0);
	pkt("Z0,101000,1;X1,0");
	cr_assert_eq(strncmp(reply, "E.", 2), 0, "conditions");
	cr_assert_eq(fake.bp_calls, 0);
}

Test(gdb_proto, threads)
{
	pkt("qfThreadInfo");
	cr_assert_str_eq(reply, "m1,2");
	pkt("qsThreadInfo");
	cr_assert_str_eq(reply, "l");
	pkt("T2");
	cr_assert_str_eq(reply, "OK");
	pkt("T3");
	cr_assert_eq(reply[0], 'E');
	pkt("Hg3");
	cr_assert_eq(reply[0], 'E');
	pkt("Hc-1");
	cr_assert_str_eq(reply, "OK");
	pkt("qThreadExtraInfo,2");
	cr_assert_str_eq(reply, "764350552031"); /* "vCPU 1" */
	pkt("?");
	cr_assert_str_eq(reply, "T05thread:1;");
	gdb_set_stop(&s, 1, 2, "");
	pkt("?");
	cr_assert_str_eq(reply, "T02thread:2;");
	pkt("qC");
	cr_assert_str_eq(reply, "QC2");
}

Test(gdb_proto, resuming_c_s_and_vcont)
{
	cr_assert_eq(pkt("c"), GDB_RESUME);
	cr_assert_eq(s.actions[0], GDB_CONT);
	cr_assert_eq(s.actions[1], GDB_CONT);
	cr_assert_eq(pkt("s"), GDB_RESUME);
	cr_assert_eq(s.actions[0], GDB_STEP);
	cr_assert_eq(s.actions[1], GDB_CONT);
	cr_assert_eq(pkt("vCont;s:2;c"), GDB_RESUME);
	cr_assert_eq(s.actions[0], GDB_CONT);
	cr_assert_eq(s.actions[1], GDB_STEP);
	/* Only the named thread: the other stays stopped. */
	cr_assert_eq(pkt("vCont;s:1"), GDB_RESUME);
	cr_assert_eq(s.actions[0], GDB_STEP);
	cr_assert_eq(s.actions[1], GDB_STAY);
	cr_assert_eq(pkt("vCont;C05:1;c"), GDB_RESUME);
	cr_assert_eq(s.actions[0], GDB_CONT);
	pkt("vCont?");
	cr_assert_str_eq(reply, "vCont;c;C;s;S;t");
	/* A resume at an address moves rip first. */
	cr_assert_eq(pkt("c1000"), GDB_RESUME);
	cr_assert_eq(fake.cpu[0].regs.rip, 0x1000);
	cr_assert_eq(pkt("vCont;x"), GDB_REPLY);
	cr_assert_eq(reply[0], 'E');
	cr_assert_eq(pkt("vCont;c:5"), GDB_REPLY);
	cr_assert_eq(pkt("vCont;t"), GDB_REPLY, "resumes nothing");
	cr_assert_eq(pkt("vCont;c:1junk"), GDB_REPLY);
	cr_assert_eq(pkt("cxyz"), GDB_REPLY);
}

Test(gdb_proto, detach_kill_and_the_unknown)
{
	cr_assert_eq(pkt("D"), GDB_DETACH);
	cr_assert_str_eq(reply, "OK");
	cr_assert_eq(pkt("k"), GDB_KILL);
	cr_assert_eq(reply_len, 0);
	cr_assert_eq(pkt("vKill;1"), GDB_KILL);
	cr_assert_str_eq(reply, "OK");
	cr_assert_eq(pkt("vMustReplyEmpty"), GDB_REPLY);
	cr_assert_eq(reply_len, 0);
	cr_assert_eq(pkt("qTStatus"), GDB_REPLY);
	cr_assert_eq(reply_len, 0);
	cr_assert_eq(pkt("QStartNoAckMode"), GDB_REPLY);
	cr_assert(s.no_ack);
	cr_assert_eq(gdb_handle_packet(&s, "", 0, reply, &reply_len),
		     GDB_REPLY);
	cr_assert_eq(reply_len, 0);
}

/* ---- the debug registers ---- */

Test(gdb_hwbp, four_slots_then_a_clear_refusal)
{
	struct gdb_hw_slots hw = {0};
	uint64_t dr[GDB_HW_SLOTS];

	cr_assert_null(gdb_hw_change(&hw, true, GDB_BP_HW, 0x101000, 1));
	cr_assert_null(gdb_hw_change(&hw, true, GDB_BP_WRITE, 0x2000, 8));
	cr_assert_null(gdb_hw_change(&hw, true, GDB_BP_READ, 0x2010, 4));
	cr_assert_null(gdb_hw_change(&hw, true, GDB_BP_ACCESS, 0x2022, 2));
	cr_assert_str_eq(gdb_hw_change(&hw, true, GDB_BP_HW, 0x101004, 1),
			 "all 4 debug registers are in use");
	/* The same one again takes no slot of its own. */
	cr_assert_null(gdb_hw_change(&hw, true, GDB_BP_HW, 0x101000, 1));
	/* DR7: L0..L3; R/W 00, 01, 11, 11; LEN 00, 10 (8), 11 (4), 01 (2). */
	cr_assert_eq(gdb_hw_dr7(&hw, dr), 0x55 | (0x0ull << 16) |
					      (0x9ull << 20) | (0xfull << 24) |
					      (0x7ull << 28));
	cr_assert_eq(dr[0], 0x101000);
	cr_assert_eq(dr[3], 0x2022);
	cr_assert_eq(gdb_hw_hit(&hw, 0x4), 2);
	cr_assert_eq(gdb_hw_hit(&hw, 0x4000), -1, "BS alone is no slot");
	cr_assert_null(gdb_hw_change(&hw, false, GDB_BP_WRITE, 0x2000, 8));
	cr_assert_eq(gdb_hw_hit(&hw, 0x2), -1, "a freed slot is not hit");
	cr_assert_eq(gdb_hw_dr7(&hw, dr) & 0xc, 0, "L1 off");
	cr_assert_eq(dr[1], 0);
	cr_assert_null(gdb_hw_change(&hw, true, GDB_BP_HW, 0x101004, 1));
	cr_assert_eq(hw.bp[1].addr, 0x101004, "the freed slot reused");
}

Test(gdb_hwbp, sizes_and_alignment)
{
	struct gdb_hw_slots hw = {0};

	cr_assert_not_null(gdb_hw_change(&hw, true, GDB_BP_WRITE, 0x2000, 3));
	cr_assert_not_null(gdb_hw_change(&hw, true, GDB_BP_WRITE, 0x2000, 16));
	cr_assert_not_null(gdb_hw_change(&hw, true, GDB_BP_WRITE, 0x2004, 8));
	cr_assert_not_null(gdb_hw_change(&hw, true, GDB_BP_ACCESS, 0x2001, 2));
	cr_assert_not_null(gdb_hw_change(&hw, true, GDB_BP_SW, 0x2000, 1));
	/* An execution breakpoint's kind is ignored: one byte. */
	cr_assert_null(gdb_hw_change(&hw, true, GDB_BP_HW, 0x101003, 0));
	cr_assert_eq(hw.bp[0].len, 1);
	cr_assert_null(gdb_hw_change(&hw, false, GDB_BP_HW, 0x999, 1),
		       "removing what is not there");
}
