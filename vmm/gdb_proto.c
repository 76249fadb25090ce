// SPDX-License-Identifier: MIT
/*
 * gdb_proto.c: the GDB remote protocol's commands, as gdb 13 speaks them
 * to a bare-metal stub in all-stop mode: qSupported and the target
 * description, registers (g G p P), memory (m M X), threads (one per
 * vCPU: qfThreadInfo, H, T, qC), breakpoints and watchpoints (Z z),
 * resuming (c s C S vCont), detach and kill. It knows the target only
 * through struct gdb_target_ops, so the tests and the fuzzer drive it with
 * a fake one. Every number in a packet is parsed with its bounds checked;
 * anything unknown gets the empty reply, which gdb reads as "unsupported".
 */
#include <stdio.h>
#include <string.h>

#include "gdb.h"

/* The most memory one m packet may ask for: its hex fills the reply. */
#define GDB_MEM_MAX (GDB_PACKET_MAX / 2)

struct reply {
	char *buf;
	size_t len;
};

static void put(struct reply *r, const char *s)
{
	size_t n = strlen(s);

	if (n > GDB_PACKET_MAX - r->len)
		n = GDB_PACKET_MAX - r->len;
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len] = '\0';
}

/* "E.reason": gdb takes it as an error; the reason shows in its log. */
static bool error(struct reply *r, const char *why)
{
	r->len = 0;
	put(r, "E.");
	put(r, why);
	return false;
}

void gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops,
		      void *ctx, unsigned ncpus)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
	s->ncpus = ncpus > 64 ? 64 : ncpus;
	gdb_set_stop(s, 0, 5, "");
}

void gdb_set_stop(struct gdb_session *s, unsigned cpu, int sig, const char *why)
{
	snprintf(s->stop_reply, sizeof(s->stop_reply), "T%02xthread:%x;%s",
		 sig & 0xff, cpu + 1, why);
	s->g_cpu = cpu;
	s->c_cpu = cpu;
}

/*
 * A thread id: "-1" (all, if allowed), "0" (any: the current one) or a
 * vCPU's id (1..ncpus). Returns false if it is none of those. *all says
 * -1 was given.
 */
static bool thread_id(const struct gdb_session *s, const char **p,
		      unsigned *cpu, bool *all)
{
	uint64_t v;

	*all = false;
	if ((*p)[0] == '-' && (*p)[1] == '1') {
		*p += 2;
		*all = true;
		return true;
	}
	if (!gdb_hex_number(p, &v) || v > s->ncpus)
		return false;
	if (v == 0)
		*all = true;
	else
		*cpu = (unsigned)v - 1;
	return true;
}

static bool prefix(const char *pkt, const char *p)
{
	return strncmp(pkt, p, strlen(p)) == 0;
}

/* "ADDR,LEN" and what follows. */
static bool addr_len(const char **p, uint64_t *addr, uint64_t *len)
{
	return gdb_hex_number(p, addr) && *(*p)++ == ',' &&
	       gdb_hex_number(p, len);
}

static bool read_regs(struct gdb_session *s, struct reply *r, int only)
{
	struct gdb_cpu cpu;
	uint8_t buf[16];
	const char *why = s->ops->get_cpu(s->ctx, s->g_cpu, &cpu);

	if (why)
		return error(r, why);
	for (unsigned n = 0; n < GDB_REG_COUNT; n++) {
		char hex[33];

		if (only >= 0 && n != (unsigned)only)
			continue;
		gdb_reg_get(&cpu, n, buf);
		gdb_hex_encode(buf, gdb_reg_size(n), hex);
		put(r, hex);
	}
	if (only >= GDB_REG_COUNT)
		return error(r, "no such register");
	return true;
}

/* G (all, from reg -1) or P (one). */
static bool write_regs(struct gdb_session *s, struct reply *r, int only,
		       const char *hex)
{
	struct gdb_cpu cpu;
	unsigned what = 0, first = only < 0 ? 0 : (unsigned)only;
	unsigned last = only < 0 ? GDB_REG_COUNT : first + 1;
	const char *why = s->ops->get_cpu(s->ctx, s->g_cpu, &cpu);

	if (why)
		return error(r, why);
	if (first >= GDB_REG_COUNT)
		return error(r, "no such register");
	for (unsigned n = first; n < last; n++) {
		uint8_t buf[16];
		size_t size = gdb_reg_size(n);

		if (strnlen(hex, 2 * size) < 2 * size ||
		    !gdb_hex_decode(hex, size, buf))
			return error(r, "bad register value");
		if (!gdb_reg_set(&cpu, n, buf, &what))
			return error(r, "segment selectors and the x87 "
					"pointers are read-only");
		hex += 2 * size;
	}
	if (*hex)
		return error(r, "bad register value");
	why = what ? s->ops->set_cpu(s->ctx, s->g_cpu, &cpu, what) : NULL;
	if (why)
		return error(r, why);
	put(r, "OK");
	return true;
}

static bool read_mem(struct gdb_session *s, struct reply *r, const char *p)
{
	uint64_t addr, len;
	static uint8_t buf[GDB_MEM_MAX];
	static char hex[2 * GDB_MEM_MAX + 1];
	size_t got;

	if (!addr_len(&p, &addr, &len) || *p)
		return error(r, "bad m packet");
	if (len > GDB_MEM_MAX)
		len = GDB_MEM_MAX; /* gdb asks again for the rest */
	got = s->ops->read_mem(s->ctx, s->g_cpu, addr, buf, len);
	if (got == 0 && len > 0)
		return error(r, "address not mapped");
	gdb_hex_encode(buf, got, hex);
	put(r, hex);
	return true;
}

/* M (hex) or X (binary, already unescaped): "ADDR,LEN:data". */
static bool write_mem(struct gdb_session *s, struct reply *r, const char *p,
		      const char *end, bool binary)
{
	uint64_t addr, len;
	static uint8_t buf[GDB_PACKET_MAX];
	const char *why;

	if (!addr_len(&p, &addr, &len) || *p++ != ':' || len > GDB_PACKET_MAX)
		return error(r, "bad memory write packet");
	if (binary) {
		if ((uint64_t)(end - p) != len)
			return error(r, "X data length differs from LEN");
		memcpy(buf, p, len);
	} else if ((uint64_t)(end - p) != 2 * len ||
		   !gdb_hex_decode(p, len, buf)) {
		return error(r, "bad M data");
	}
	why = len ? s->ops->write_mem(s->ctx, s->g_cpu, addr, buf, len) : NULL;
	if (why)
		return error(r, why);
	put(r, "OK");
	return true;
}

/* Z and z: "TYPE,ADDR,KIND". */
static bool breakpoint(struct gdb_session *s, struct reply *r, const char *p,
		       bool insert)
{
	uint64_t type, addr, kind;
	const char *why;

	if (!gdb_hex_number(&p, &type) || *p++ != ',' ||
	    !addr_len(&p, &addr, &kind))
		return error(r, "bad Z packet");
	if (*p) /* conditions (";X...") are not offered, so not taken */
		return error(r, "bad Z packet");
	if (type > GDB_BP_ACCESS)
		return true; /* unsupported: the empty reply */
	why = s->ops->breakpoint(s->ctx, s->g_cpu, insert,
				 (enum gdb_bp_type)type, addr, kind);
	if (why)
		return error(r, why);
	put(r, "OK");
	return true;
}

/* c/s/C/S with an optional address (and signal, ignored): resume all,
 * the Hc thread stepping for s and S. */
static enum gdb_verdict resume_simple(struct gdb_session *s, struct reply *r,
				      const char *p, bool step, bool sig)
{
	uint64_t v;
	unsigned cpu = s->c_cpu;

	if (sig) { /* a signal number; the guest has no signals */
		if (!gdb_hex_number(&p, &v))
			return error(r, "bad packet"), GDB_REPLY;
		if (*p == ';')
			p++;
	}
	if (*p) {
		struct gdb_cpu c;
		const char *why;

		if (!gdb_hex_number(&p, &v) || *p)
			return error(r, "bad packet"), GDB_REPLY;
		why = s->ops->get_cpu(s->ctx, cpu, &c);
		if (!why) {
			c.regs.rip = v;
			why = s->ops->set_cpu(s->ctx, cpu, &c, 1);
		}
		if (why)
			return error(r, why), GDB_REPLY;
	}
	for (unsigned i = 0; i < s->ncpus; i++)
		s->actions[i] = GDB_CONT;
	if (step)
		s->actions[cpu] = GDB_STEP;
	return GDB_RESUME;
}

/* vCont;ACTION[:TID];...: the first action naming a thread is its own. */
static enum gdb_verdict resume_vcont(struct gdb_session *s, struct reply *r,
				     const char *p)
{
	bool set[64] = {false};
	bool any = false;

	while (*p == ';') {
		enum gdb_action a;
		uint64_t sig;
		unsigned cpu = 0;
		bool all = true;
		char c = *++p;

		p++;
		if (c == 'c' || c == 'C')
			a = GDB_CONT;
		else if (c == 's' || c == 'S')
			a = GDB_STEP;
		else if (c == 't')
			a = GDB_STAY;
		else
			return error(r, "bad vCont action"), GDB_REPLY;
		if ((c == 'C' || c == 'S') && !gdb_hex_number(&p, &sig))
			return error(r, "bad vCont signal"), GDB_REPLY;
		if (*p == ':') {
			p++;
			if (!thread_id(s, &p, &cpu, &all))
				return error(r, "bad vCont thread"), GDB_REPLY;
		}
		if (*p && *p != ';')
			return error(r, "bad vCont packet"), GDB_REPLY;
		for (unsigned i = 0; i < s->ncpus; i++)
			if ((all || i == cpu) && !set[i]) {
				set[i] = true;
				s->actions[i] = a;
				any |= a != GDB_STAY;
			}
	}
	if (*p)
		return error(r, "bad vCont packet"), GDB_REPLY;
	for (unsigned i = 0; i < s->ncpus; i++)
		if (!set[i])
			s->actions[i] = GDB_STAY;
	if (!any)
		return error(r, "vCont resumes no thread"), GDB_REPLY;
	return GDB_RESUME;
}

/* qXfer:features:read:target.xml:OFF,LEN */
static bool xfer_features(struct reply *r, const char *p)
{
	uint64_t off, len;
	size_t total = gdb_target_xml_len();

	if (!prefix(p, "target.xml:"))
		return error(r, "no such annex");
	p += strlen("target.xml:");
	if (!addr_len(&p, &off, &len) || *p)
		return error(r, "bad qXfer packet");
	if (off >= total) {
		put(r, "l");
		return true;
	}
	if (len > GDB_PACKET_MAX - 1)
		len = GDB_PACKET_MAX - 1;
	put(r, len < total - off ? "m" : "l");
	if (len > total - off)
		len = total - off;
	memcpy(r->buf + r->len, gdb_target_xml + off, len);
	r->len += len;
	r->buf[r->len] = '\0';
	return true;
}

static void query(struct gdb_session *s, struct reply *r, const char *p)
{
	char tmp[32];

	if (prefix(p, "qSupported")) {
		snprintf(tmp, sizeof(tmp), "PacketSize=%x", GDB_PACKET_MAX);
		put(r, tmp);
		put(r, ";qXfer:features:read+;swbreak+;hwbreak+;"
		       "QStartNoAckMode+;vContSupported+");
	} else if (prefix(p, "qXfer:features:read:")) {
		xfer_features(r, p + strlen("qXfer:features:read:"));
	} else if (!strcmp(p, "qfThreadInfo")) {
		put(r, "m");
		for (unsigned i = 0; i < s->ncpus; i++) {
			snprintf(tmp, sizeof(tmp), i ? ",%x" : "%x", i + 1);
			put(r, tmp);
		}
	} else if (!strcmp(p, "qsThreadInfo")) {
		put(r, "l");
	} else if (!strcmp(p, "qC")) {
		snprintf(tmp, sizeof(tmp), "QC%x", s->g_cpu + 1);
		put(r, tmp);
	} else if (!strcmp(p, "qAttached")) {
		put(r, "1"); /* detach on quit: the guest runs on */
	} else if (prefix(p, "qThreadExtraInfo,")) {
		const char *q = p + strlen("qThreadExtraInfo,");
		unsigned cpu = 0;
		bool all;
		char text[16], hex[33];

		if (!thread_id(s, &q, &cpu, &all) || all || *q) {
			error(r, "no such thread");
			return;
		}
		snprintf(text, sizeof(text), "vCPU %u", cpu);
		gdb_hex_encode(text, strlen(text), hex);
		put(r, hex);
	} else if (prefix(p, "qSymbol")) {
		put(r, "OK");
	}
}

enum gdb_verdict gdb_handle_packet(struct gdb_session *s, const char *pkt,
				   size_t len, char *out, size_t *out_len)
{
	struct reply r = {out, 0};
	enum gdb_verdict v = GDB_REPLY;
	const char *p = pkt + 1;
	unsigned cpu = 0;
	uint64_t n;
	bool all;

	out[0] = '\0';
	switch (len ? pkt[0] : '\0') {
	case '?':
		put(&r, s->stop_reply);
		break;
	case 'q':
		query(s, &r, pkt);
		break;
	case 'Q':
		if (!strcmp(pkt, "QStartNoAckMode")) {
			s->no_ack = true;
			put(&r, "OK");
		}
		break;
	case 'H':
		p++;
		if ((pkt[1] != 'g' && pkt[1] != 'c') ||
		    !thread_id(s, &p, &cpu, &all) || *p) {
			error(&r, "no such thread");
			break;
		}
		if (pkt[1] == 'g' && !all)
			s->g_cpu = cpu;
		if (pkt[1] == 'c') {
			s->c_all = all;
			if (!all)
				s->c_cpu = cpu;
		}
		put(&r, "OK");
		break;
	case 'T':
		if (thread_id(s, &p, &cpu, &all) && !all && !*p)
			put(&r, "OK");
		else
			error(&r, "no such thread");
		break;
	case 'g':
		read_regs(s, &r, -1);
		break;
	case 'G':
		write_regs(s, &r, -1, p);
		break;
	case 'p':
		if (!gdb_hex_number(&p, &n) || *p || n >= GDB_REG_COUNT)
			error(&r, "no such register");
		else
			read_regs(s, &r, (int)n);
		break;
	case 'P':
		if (!gdb_hex_number(&p, &n) || *p++ != '=' ||
		    n >= GDB_REG_COUNT)
			error(&r, "no such register");
		else
			write_regs(s, &r, (int)n, p);
		break;
	case 'm':
		read_mem(s, &r, p);
		break;
	case 'M':
		write_mem(s, &r, p, pkt + len, false);
		break;
	case 'X':
		write_mem(s, &r, p, pkt + len, true);
		break;
	case 'Z':
	case 'z':
		breakpoint(s, &r, p, pkt[0] == 'Z');
		break;
	case 'c':
	case 's':
		v = resume_simple(s, &r, p, pkt[0] == 's', false);
		break;
	case 'C':
	case 'S':
		v = resume_simple(s, &r, p, pkt[0] == 'S', true);
		break;
	case 'v':
		if (!strcmp(pkt, "vCont?"))
			put(&r, "vCont;c;C;s;S;t");
		else if (prefix(pkt, "vCont;"))
			v = resume_vcont(s, &r, pkt + 5);
		else if (prefix(pkt, "vKill")) {
			put(&r, "OK");
			v = GDB_KILL;
		}
		break;
	case 'D':
		put(&r, "OK");
		v = GDB_DETACH;
		break;
	case 'k':
		v = GDB_KILL;
		break;
	default:
		break; /* unsupported: the empty reply */
	}
	*out_len = r.len;
	return v;
}
