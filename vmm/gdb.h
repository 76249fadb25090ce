/* SPDX-License-Identifier: MIT */
/*
 * gdb.h: the GDB remote stub's internal interfaces, one section per file:
 * the packet framing (gdb_packet.c), the register layout and target
 * description (gdb_regs.c), the protocol (gdb_proto.c, which knows the
 * target only through struct gdb_target_ops), the debug registers
 * (gdb_hwbp.c), the socket (gdb_socket.c),
 * and what the host's KVM can do (gdb_probe.c). The KVM side is
 * gdb_stub.c; what the rest of minivmm calls is in vmm.h. The peer is not
 * trusted: every length and number it sends is checked (docs/running.md,
 * docs/security.md).
 */
#ifndef VMM_GDB_H
#define VMM_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

/* The largest packet payload we take or send, after unescaping; the
 * PacketSize we advertise (qSupported). */
#define GDB_PACKET_MAX 4096

/* ---- gdb_packet.c: framing ---- */

/* What one byte from the peer completed, if anything. */
enum gdb_rx_event {
	GDB_RX_NONE,	  /* nothing yet */
	GDB_RX_PACKET,	  /* a whole packet: rx->buf, rx->len; ack it */
	GDB_RX_BAD,	  /* a packet with a bad checksum: nak it ('-') */
	GDB_RX_OVERLONG,  /* a packet past GDB_PACKET_MAX: ack, refuse */
	GDB_RX_INTERRUPT, /* ^C (0x03) outside a packet */
	GDB_RX_ACK,	  /* '+' */
	GDB_RX_NAK,	  /* '-': send the last packet again */
};

struct gdb_rx {
	int state;		      /* where in "$payload#xx" we are */
	uint8_t sum;		      /* of the raw payload bytes */
	uint8_t check;		      /* the checksum's first digit */
	bool escape;		      /* the last byte was '}' */
	bool overlong;		      /* the payload outgrew buf: dropped */
	size_t len;		      /* payload bytes in buf */
	char buf[GDB_PACKET_MAX + 1]; /* unescaped, NUL-terminated */
};

/* Start (rx) afresh: between packets. */
void gdb_rx_init(struct gdb_rx *rx);

/*
 * Feed one byte from the peer. Bytes outside a packet other than '+',
 * '-' and ^C are ignored. The payload is unescaped ('}' then c ^ 0x20)
 * and NUL-terminated; the checksum covers the raw bytes, as sent.
 */
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

/*
 * Frame (len) payload bytes as "$...#xx" into (out), escaping '#', '$',
 * '}' and '*'. Returns the framed length, or 0 if it does not fit (room).
 */
size_t gdb_frame(const char *payload, size_t len, char *out, size_t room);

/* Hex helpers: -1 for a byte that is not a hex digit. */
int gdb_hex_digit(char c);
/* (n) bytes as 2n lower-case hex digits; NUL-terminated. */
void gdb_hex_encode(const void *bytes, size_t n, char *out);
/* 2n hex digits into (n) bytes; false on a non-hex digit. */
bool gdb_hex_decode(const char *hex, size_t n, void *bytes);
/*
 * A hex number at *s, at most 16 digits: advances *s past it. False if
 * there is no digit, or more than 16.
 */
bool gdb_hex_number(const char **s, uint64_t *v);

/* ---- gdb_regs.c: the registers gdb sees, and their description ---- */

/*
 * The registers of one vCPU, as KVM keeps them: the general registers,
 * the special ones (segments, control registers, EFER) and the FPU/SSE
 * state. gdb's numbering (GDB_REG_*) is the target description's order.
 */
struct gdb_cpu {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
};

enum {
	GDB_REG_RIP = 16,
	GDB_REG_EFLAGS = 17,
	GDB_REG_CS = 18,
	GDB_REG_COUNT = 65, /* rax .. efer */
};

/* The target description (qXfer:features:read:target.xml), and its length. */
extern const char gdb_target_xml[];
size_t gdb_target_xml_len(void);

/* Register (n)'s size in bytes, or 0 if there is no register (n). */
unsigned gdb_reg_size(unsigned n);

/* Copy register (n) of (cpu) out to (buf) (gdb_reg_size bytes, little
 * endian). False if there is no register (n). */
bool gdb_reg_get(const struct gdb_cpu *cpu, unsigned n, uint8_t *buf);

/*
 * Set register (n) of (cpu) from (buf). Sets *what to 1 (regs), 2
 * (sregs) or 4 (fpu) for the part that changed. False if there is no
 * register (n), or the value is refused (a segment selector above
 * 0xffff, a control register KVM would refuse is left to KVM).
 */
bool gdb_reg_set(struct gdb_cpu *cpu, unsigned n, const uint8_t *buf,
		 unsigned *what);

/* ---- gdb_proto.c: the protocol ---- */

/* Breakpoint kinds as gdb numbers them in Z/z packets. */
enum gdb_bp_type {
	GDB_BP_SW = 0,	  /* int3 */
	GDB_BP_HW = 1,	  /* an execution debug register */
	GDB_BP_WRITE = 2, /* watch */
	GDB_BP_READ = 3,  /* rwatch (x86: read or write) */
	GDB_BP_ACCESS = 4 /* awatch */
};

/* What a thread does on resume (vCont): stay stopped, continue, step. */
enum gdb_action { GDB_STAY, GDB_CONT, GDB_STEP };

/*
 * The target the protocol drives: vCPU (cpu) is 0-based; gdb's thread id
 * is cpu + 1. Each returns NULL or 0 on success, else a short reason,
 * sent back to gdb as "E.reason" and written to stderr.
 */
struct gdb_target_ops {
	const char *(*get_cpu)(void *ctx, unsigned cpu, struct gdb_cpu *out);
	/* (what): 1 regs, 2 sregs, 4 fpu, or'ed: the parts to write */
	const char *(*set_cpu)(void *ctx, unsigned cpu,
			       const struct gdb_cpu *in, unsigned what);
	/* Bytes read at guest-virtual (addr) through (cpu)'s page tables:
	 * fewer than (len) where a page is not mapped. */
	size_t (*read_mem)(void *ctx, unsigned cpu, uint64_t addr, void *buf,
			   size_t len);
	/* All (len) bytes, or nothing (then a reason). */
	const char *(*write_mem)(void *ctx, unsigned cpu, uint64_t addr,
				 const void *buf, size_t len);
	const char *(*breakpoint)(void *ctx, unsigned cpu, bool insert,
				  enum gdb_bp_type type, uint64_t addr,
				  uint64_t kind);
};

/* What the session loop must do after a packet. */
enum gdb_verdict {
	GDB_REPLY,  /* send reply (possibly empty: "unsupported") */
	GDB_RESUME, /* resume with actions[]; the stop reply comes later */
	GDB_DETACH, /* send reply ("OK"), then detach */
	GDB_KILL,   /* send reply if any (vKill: "OK"), end the run */
};

struct gdb_session {
	const struct gdb_target_ops *ops;
	void *ctx;
	unsigned ncpus;
	unsigned g_cpu, c_cpu; /* Hg, Hc: 0-based */
	bool c_all;	       /* Hc-1 or Hc0: every thread */
	bool no_ack;	       /* QStartNoAckMode accepted */
	char stop_reply[64];   /* for '?': the last stop */
	/* After GDB_RESUME: each vCPU's action. */
	enum gdb_action actions[64];
};

/* A session with (ncpus) vCPUs (at most 64) over (ops, ctx); stopped. */
void gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops,
		      void *ctx, unsigned ncpus);

/*
 * Handle the packet (pkt, len; NUL-terminated). The reply goes to
 * (reply), at most GDB_PACKET_MAX bytes plus a NUL; *reply_len is its
 * length. Returns what to do next.
 */
enum gdb_verdict gdb_handle_packet(struct gdb_session *s, const char *pkt,
				   size_t len, char *reply, size_t *reply_len);

/* Write a stop reply for vCPU (cpu), gdb signal (sig) and (why) (e.g.
 * "swbreak:;" or "watch:ADDR;", may be "") into s->stop_reply. */
void gdb_set_stop(struct gdb_session *s, unsigned cpu, int sig,
		  const char *why);

/* ---- gdb_hwbp.c: the debug registers (Z1..Z4) ---- */

#define GDB_HW_SLOTS 4 /* DR0..DR3 */

struct gdb_hw_bp {
	bool used;
	enum gdb_bp_type type; /* GDB_BP_HW .. GDB_BP_ACCESS */
	uint64_t addr;
	unsigned len; /* 1, 2, 4 or 8; 1 for execution */
};

struct gdb_hw_slots {
	struct gdb_hw_bp bp[GDB_HW_SLOTS];
};

/*
 * Insert or remove the breakpoint (type, addr, len): NULL, or why not
 * (all four in use, a watchpoint not 1, 2, 4 or 8 aligned bytes).
 * Removing one that is not there is not an error.
 */
const char *gdb_hw_change(struct gdb_hw_slots *s, bool insert,
			  enum gdb_bp_type type, uint64_t addr, uint64_t len);

/* The DR7 that arms (s), with the addresses in dr[0..3]. */
uint64_t gdb_hw_dr7(const struct gdb_hw_slots *s, uint64_t dr[GDB_HW_SLOTS]);

/* The slot a debug exit's (dr6) names, or -1. */
int gdb_hw_hit(const struct gdb_hw_slots *s, uint64_t dr6);

/* ---- gdb_socket.c: where gdb connects ---- */

/* A parsed --gdb ADDR: "127.0.0.1:PORT" or "unix:PATH". */
struct gdb_addr {
	bool is_unix;
	uint16_t port;	/* 1..65535 */
	char path[108]; /* sun_path, NUL-terminated */
};

/* Parse (s). False with a reason in (err) for anything else: another
 * host, a port out of range, an empty or overlong path. */
bool gdb_addr_parse(const char *s, struct gdb_addr *a, char *err,
		    size_t errlen);

/*
 * Listen on (a), say so on stderr, take exactly one connection and stop
 * listening (a unix socket's path is removed), so a second is refused.
 * Returns the connected fd; exits with VMM_STATUS_HOST on failure.
 */
int gdb_accept_one(const struct gdb_addr *a);

/* ---- gdb_probe.c: what the host's KVM can do ---- */

struct gdb_host_caps {
	bool sw_bp;    /* int3 exits with KVM_GUESTDBG_USE_SW_BP */
	bool hw_bp;    /* a debug-register execution breakpoint exits */
	bool hw_watch; /* a debug-register write watchpoint exits */
	bool step;     /* KVM_GUESTDBG_SINGLESTEP exits after one instruction */
	bool out_rip_past; /* an out's I/O exit has rip past it, not on it */
};

/*
 * Run a throw-away VM with one vCPU in real mode through each kind of
 * debug exit and record which ones this host delivers. (kvm_fd): /dev/kvm.
 */
void gdb_probe_host(int kvm_fd, struct gdb_host_caps *caps);

#endif /* VMM_GDB_H */
