// SPDX-License-Identifier: MIT
/*
 * gdb_stub.c: the GDB remote stub's KVM side (--gdb). A thread of its own
 * owns the connection; the vCPU threads park at the top of their exit
 * loops whenever the debugger holds the VM stopped (all-stop: one vCPU
 * stops, every vCPU stops). A breakpoint (Z0) is a byte written into guest
 * memory: int3 (KVM_GUESTDBG_USE_SW_BP) where this host's KVM exits on
 * it, else `out dx, al` (0xee), which exits to minivmm on every KVM
 * (gdb_probe.c finds out which). Z1 to Z4 are the debug registers
 * (KVM_GUESTDBG_USE_HW_BP), where they fire; a step is
 * KVM_GUESTDBG_SINGLESTEP with KVM_GUESTDBG_BLOCKIRQ. An int3 or #DB that
 * is not the stub's goes back to the guest. docs/running.md shows a session;
 * docs/security.md says what a connection can do.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "gdb.h"
#include "vmm.h"

#define STUB_SW_MAX 64 /* int3 breakpoints at once */
#define DR6_BS	    (1u << 14)
#define TRAP_INT3   0xcc /* int3 */
#define TRAP_OUT    0xee /* out dx, al */

struct sw_bp {
	bool used;
	uint64_t addr, gpa; /* where gdb put it, and the byte in memory */
	uint8_t orig;	    /* the byte the int3 replaced */
};

/* A stop a vCPU reached: gdb's signal and the reason's text. */
struct stop_event {
	bool set;
	int sig;
	char why[48];
};

static struct stub {
	struct vmm_vm *vm;
	int conn;	/* the one connection */
	bool thread_up; /* the stub's thread has started */
	int pid;     /* for tgkill: getpid() is a syscall the sandbox refuses */
	int wake[2]; /* a vCPU stopped, or the run ended: wake the thread */
	struct gdb_host_caps caps;
	uint8_t trap;	      /* the breakpoint byte: TRAP_INT3 or TRAP_OUT */
	unsigned nsw;	      /* breakpoints in sw[] */
	pthread_mutex_t lock; /* everything below, and the socket's writes */
	pthread_cond_t cv;    /* parked, paused or may_run changed */
	bool active;	      /* --gdb, and not detached */
	bool finished;	      /* the run ended: W sent */
	bool paused;	      /* every vCPU must park */
	bool running;	      /* gdb waits for a stop reply */
	unsigned parked;
	bool may_run[VMM_MAX_CPUS];
	enum gdb_action action[VMM_MAX_CPUS];
	struct stop_event pending[VMM_MAX_CPUS]; /* not reported yet */
	unsigned stop_cpu;
	struct stop_event stop;
	struct sw_bp sw[STUB_SW_MAX];
	struct gdb_hw_slots hw;
	struct gdb_session session;
	struct gdb_rx rx;
	char reply[GDB_PACKET_MAX + 1];
	char frame[2 * GDB_PACKET_MAX + 8]; /* the last one, for a '-' */
	size_t frame_len;
} stub = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cv = PTHREAD_COND_INITIALIZER,
    .conn = -1,
    .wake = {-1, -1},
};

bool vmm_gdb_active(void)
{
	return __atomic_load_n(&stub.active, __ATOMIC_ACQUIRE);
}

/* ---- the connection ---- */

static void send_raw(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(stub.conn, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* gone: the read side sees it and detaches */
		buf += n;
		len -= (size_t)n;
	}
}

static void send_packet(const char *payload, size_t len)
{
	stub.frame_len =
	    gdb_frame(payload, len, stub.frame, sizeof(stub.frame));
	send_raw(stub.frame, stub.frame_len);
}

static void send_str(const char *payload)
{
	send_packet(payload, strlen(payload));
}

/* ---- vCPU state ---- */

static struct vmm_vcpu *vcpu_of(unsigned cpu)
{
	return &stub.vm->vcpus[cpu];
}

static const char *get_cpu(void *ctx, unsigned cpu, struct gdb_cpu *out)
{
	int fd = vcpu_of(cpu)->fd;

	(void)ctx;
	if (ioctl(fd, KVM_GET_REGS, &out->regs) < 0 ||
	    ioctl(fd, KVM_GET_SREGS, &out->sregs) < 0 ||
	    ioctl(fd, KVM_GET_FPU, &out->fpu) < 0)
		return "KVM_GET_REGS/SREGS/FPU failed";
	return NULL;
}

static const char *set_cpu(void *ctx, unsigned cpu, const struct gdb_cpu *in,
			   unsigned what)
{
	int fd = vcpu_of(cpu)->fd;

	(void)ctx;
	if ((what & 1) && ioctl(fd, KVM_SET_REGS, &in->regs) < 0)
		return "KVM_SET_REGS refused the registers";
	if ((what & 2) && ioctl(fd, KVM_SET_SREGS, &in->sregs) < 0)
		return "KVM_SET_SREGS refused the control registers";
	if ((what & 4) && ioctl(fd, KVM_SET_FPU, &in->fpu) < 0)
		return "KVM_SET_FPU refused the FPU registers";
	return NULL;
}

/* Guest-virtual (addr) through (cpu)'s page tables: its guest-physical
 * address, valid for the rest of its page. */
static bool translate(unsigned cpu, uint64_t addr, uint64_t *gpa)
{
	struct kvm_sregs sregs;

	return ioctl(vcpu_of(cpu)->fd, KVM_GET_SREGS, &sregs) == 0 &&
	       vmm_gva_to_gpa(&stub.vm->mem, &sregs, addr, gpa);
}

static size_t read_mem(void *ctx, unsigned cpu, uint64_t addr, void *buf,
		       size_t len)
{
	uint8_t *out = buf;
	size_t got = 0;

	(void)ctx;
	while (got < len) {
		uint64_t at = addr + got, gpa;
		size_t chunk = 4096 - (at & 0xfff);
		const uint8_t *p;

		if (chunk > len - got)
			chunk = len - got;
		if (!translate(cpu, at, &gpa))
			break;
		p = vmm_mem_ptr(&stub.vm->mem, gpa, chunk);
		if (!p)
			break;
		memcpy(out + got, p, chunk);
		got += chunk;
	}
	/* gdb sees the bytes its int3s replaced, not the int3s. */
	for (unsigned i = 0; i < STUB_SW_MAX; i++)
		if (stub.sw[i].used && stub.sw[i].addr - addr < got)
			out[stub.sw[i].addr - addr] = stub.sw[i].orig;
	return got;
}

static struct sw_bp *sw_at(uint64_t addr)
{
	for (unsigned i = 0; i < STUB_SW_MAX; i++)
		if (stub.sw[i].used && stub.sw[i].addr == addr)
			return &stub.sw[i];
	return NULL;
}

static const char *write_mem(void *ctx, unsigned cpu, uint64_t addr,
			     const void *buf, size_t len)
{
	const uint8_t *in = buf;
	uint64_t gpa;

	(void)ctx;
	/* All of it is mapped, or nothing is written. */
	for (size_t off = 0; off < len; off += 4096 - ((addr + off) & 0xfff))
		if (!translate(cpu, addr + off, &gpa) ||
		    !vmm_mem_ptr(&stub.vm->mem, gpa, 1))
			return "address not mapped";
	if (!translate(cpu, addr + len - 1, &gpa) ||
	    !vmm_mem_ptr(&stub.vm->mem, gpa, 1))
		return "address not mapped";
	for (size_t i = 0; i < len; i++) {
		struct sw_bp *bp = sw_at(addr + i);
		uint8_t *p;

		if (bp) { /* the int3 stays; its byte underneath changes */
			bp->orig = in[i];
			continue;
		}
		if (translate(cpu, addr + i, &gpa) &&
		    (p = vmm_mem_ptr(&stub.vm->mem, gpa, 1)) != NULL)
			*p = in[i];
	}
	return NULL;
}

/* ---- breakpoints ---- */

static const char *sw_insert(unsigned cpu, uint64_t addr)
{
	struct sw_bp *bp = sw_at(addr), *free_bp = NULL;
	uint64_t gpa;
	uint8_t *p;

	if (bp)
		return NULL;
	for (unsigned i = 0; i < STUB_SW_MAX && !free_bp; i++)
		if (!stub.sw[i].used)
			free_bp = &stub.sw[i];
	if (!free_bp)
		return "too many int3 breakpoints (64)";
	if (!translate(cpu, addr, &gpa) ||
	    (p = vmm_mem_ptr(&stub.vm->mem, gpa, 1)) == NULL)
		return "address not mapped";
	*free_bp = (struct sw_bp){true, addr, gpa, *p};
	*p = stub.trap;
	stub.nsw++;
	return NULL;
}

static void sw_remove(struct sw_bp *bp)
{
	uint8_t *p = vmm_mem_ptr(&stub.vm->mem, bp->gpa, 1);

	if (p && *p == stub.trap) /* unless the guest rewrote it meanwhile */
		*p = bp->orig;
	bp->used = false;
	stub.nsw--;
}

static const char *hw_change(bool insert, enum gdb_bp_type type, uint64_t addr,
			     uint64_t len)
{
	bool exec = type == GDB_BP_HW;

	if (exec ? !stub.caps.hw_bp : !stub.caps.hw_watch)
		return exec ? "hardware breakpoints do not fire on this host "
			      "(the debug-register probe failed): use break"
			    : "hardware watchpoints do not fire on this host "
			      "(the debug-register probe failed): set "
			      "can-use-hw-watchpoints 0";
	return gdb_hw_change(&stub.hw, insert, type, addr, len);
}

static const char *breakpoint(void *ctx, unsigned cpu, bool insert,
			      enum gdb_bp_type type, uint64_t addr,
			      uint64_t kind)
{
	struct sw_bp *bp;

	(void)ctx;
	if (type != GDB_BP_SW)
		return hw_change(insert, type, addr, kind);
	if (insert)
		return sw_insert(cpu, addr);
	bp = sw_at(addr);
	if (bp)
		sw_remove(bp);
	return NULL;
}

static const struct gdb_target_ops stub_ops = {
    .get_cpu = get_cpu,
    .set_cpu = set_cpu,
    .read_mem = read_mem,
    .write_mem = write_mem,
    .breakpoint = breakpoint,
};

/* KVM_SET_GUEST_DEBUG for (cpu): what gdb set, and its step. */
static void set_guest_debug(unsigned cpu, bool step)
{
	struct kvm_guest_debug dbg = {0};
	uint64_t dr[GDB_HW_SLOTS];

	if (stub.nsw && stub.trap == TRAP_INT3)
		dbg.control |= KVM_GUESTDBG_USE_SW_BP;
	dbg.arch.debugreg[7] = gdb_hw_dr7(&stub.hw, dr);
	for (unsigned i = 0; i < GDB_HW_SLOTS; i++)
		dbg.arch.debugreg[i] = dr[i];
	if (dbg.arch.debugreg[7])
		dbg.control |= KVM_GUESTDBG_USE_HW_BP;
	if (step)
		dbg.control |= KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_BLOCKIRQ;
	if (dbg.control)
		dbg.control |= KVM_GUESTDBG_ENABLE;
	if (ioctl(vcpu_of(cpu)->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (SET_GUEST_DEBUG) failed");
}

/* ---- stopping and resuming: all-stop ---- */

/* Every vCPU out of KVM_RUN and to its park, (self) (may be NULL) is
 * on its way; under the lock. */
static void pause_all(const struct vmm_vcpu *self)
{
	stub.paused = true;
	for (unsigned i = 0; i < stub.vm->ncpus; i++) {
		struct vmm_vcpu *v = vcpu_of(i);

		v->run->immediate_exit = 1;
		if (v->tid && v != self)
			syscall(SYS_tgkill, stub.pid, v->tid, SIGUSR1);
	}
}

static void timed_wait(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&stub.cv, &stub.lock, &ts);
}

/* Under the lock: wait until every vCPU is parked; false if the run
 * ended meanwhile. */
static bool wait_all_parked(void)
{
	while (stub.parked < stub.vm->ncpus)
		if (vmm_run_ending())
			return false;
		else
			timed_wait();
	return true;
}

void vmm_gdb_park(struct vmm_vcpu *vcpu)
{
	pthread_mutex_lock(&stub.lock);
	while ((stub.paused || !stub.may_run[vcpu->id]) && stub.active &&
	       !vmm_run_ending()) {
		stub.parked++;
		pthread_cond_broadcast(&stub.cv);
		timed_wait();
		stub.parked--;
	}
	if (!vmm_run_ending())
		vcpu->run->immediate_exit = 0;
	pthread_mutex_unlock(&stub.lock);
}

/* Report the stop in stub.stop to gdb; under the lock. */
static void report_stop(void)
{
	gdb_set_stop(&stub.session, stub.stop_cpu, stub.stop.sig,
		     stub.stop.why);
	stub.running = false;
	send_str(stub.session.stop_reply);
}

/* A stop on (cpu), under the lock: the first one stops the VM and wakes
 * the stub's thread; one that comes while the VM stops waits its turn. */
static void stop_event(const struct vmm_vcpu *self, unsigned cpu, int sig,
		       const char *why, bool keep)
{
	struct stop_event ev = {.set = true, .sig = sig};

	snprintf(ev.why, sizeof(ev.why), "%s", why);
	if (stub.paused) {
		if (keep)
			stub.pending[cpu] = ev;
		return;
	}
	stub.stop = ev;
	stub.stop_cpu = cpu;
	pause_all(self);
	if (write(stub.wake[1], "s", 1) < 0) {
		/* full pipe: the thread is awake already */
	}
}

/* Resume after gdb's c, s or vCont (stub.session.actions); under the
 * lock. A stop kept from before is reported instead, at once. */
static void resume(void)
{
	for (unsigned i = 0; i < stub.vm->ncpus; i++)
		if (stub.session.actions[i] != GDB_STAY &&
		    stub.pending[i].set) {
			stub.stop = stub.pending[i];
			stub.stop_cpu = i;
			stub.pending[i].set = false;
			report_stop();
			return;
		}
	for (unsigned i = 0; i < stub.vm->ncpus; i++) {
		stub.action[i] = stub.session.actions[i];
		stub.may_run[i] = stub.action[i] != GDB_STAY;
		set_guest_debug(i, stub.action[i] == GDB_STEP);
	}
	stub.running = true;
	stub.paused = false;
	pthread_cond_broadcast(&stub.cv);
}

/* Detach: the guest's bytes back, debugging off, every vCPU free; under
 * the lock. A vCPU's debug state is only changed while it is parked
 * (KVM_SET_GUEST_DEBUG would wait for a running one to exit). */
static void detach(const char *why)
{
	if (stub.running) { /* gdb went away while the guest ran */
		pause_all(NULL);
		if (!wait_all_parked())
			return; /* the run is ending anyway */
	}
	for (unsigned i = 0; i < STUB_SW_MAX; i++)
		if (stub.sw[i].used)
			sw_remove(&stub.sw[i]);
	memset(&stub.hw, 0, sizeof(stub.hw));
	for (unsigned i = 0; i < stub.vm->ncpus; i++) {
		set_guest_debug(i, false);
		stub.may_run[i] = true;
		stub.pending[i].set = false;
	}
	fprintf(stderr, "minivmm: gdb %s: the guest runs on\n", why);
	__atomic_store_n(&stub.active, false, __ATOMIC_RELEASE);
	stub.running = false;
	stub.paused = false;
	pthread_cond_broadcast(&stub.cv);
}

/* ---- a debug exit, on the vCPU's thread ---- */

/* Hand exception (nr) back to the guest, as if KVM had not seen it. */
static void reinject(struct vmm_vcpu *vcpu, uint32_t nr, uint64_t dr6)
{
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr;

	if (nr == 1) { /* the guest reads why from DR6 */
		if (ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &dr) < 0)
			err(VMM_STATUS_HOST, "KVM: ioctl (GET_DEBUGREGS)");
		dr.dr6 = dr6;
		if (ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &dr) < 0)
			err(VMM_STATUS_HOST, "KVM: ioctl (SET_DEBUGREGS)");
	}
	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (GET_VCPU_EVENTS)");
	ev.exception.injected = 1;
	ev.exception.nr = (uint8_t)nr;
	ev.exception.has_error_code = 0;
	ev.flags = 0;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (SET_VCPU_EVENTS)");
}

/* Whose is this exit: a stop for gdb (filled in), or the guest's own. */
static bool classify(struct vmm_vcpu *vcpu, struct stop_event *ev)
{
	const struct kvm_debug_exit_arch *d = &vcpu->run->debug.arch;
	int slot;

	ev->sig = 5; /* SIGTRAP */
	ev->why[0] = '\0';
	if (d->exception == 3)
		return sw_at(d->pc) &&
		       snprintf(ev->why, sizeof(ev->why), "swbreak:;") > 0;
	if (d->exception != 1)
		return false;
	slot = gdb_hw_hit(&stub.hw, d->dr6);
	if (slot >= 0) {
		static const char *const kind[] = {
		    "", "hwbreak:", "watch:", "rwatch:", "awatch:"};
		const struct gdb_hw_bp *bp = &stub.hw.bp[slot];

		if (bp->type == GDB_BP_HW)
			snprintf(ev->why, sizeof(ev->why), "hwbreak:;");
		else
			snprintf(ev->why, sizeof(ev->why), "%s%llx;",
				 kind[bp->type], (unsigned long long)bp->addr);
		return true;
	}
	return (d->dr6 & DR6_BS) && stub.action[vcpu->id] == GDB_STEP;
}

void vmm_gdb_debug_exit(struct vmm_vcpu *vcpu)
{
	struct stop_event ev = {.set = true};
	const struct kvm_debug_exit_arch *d = &vcpu->run->debug.arch;

	pthread_mutex_lock(&stub.lock);
	if (stub.active && classify(vcpu, &ev)) {
		/* An int3 is met again when the vCPU goes on: not kept. */
		stop_event(vcpu, vcpu->id, ev.sig, ev.why, d->exception != 3);
		stub.action[vcpu->id] = GDB_STAY;
	} else {
		reinject(vcpu, d->exception, d->dr6);
	}
	pthread_mutex_unlock(&stub.lock);
}

/* Finish an I/O exit (and write back the registers an exit handler
 * changed) with a KVM_RUN that runs nothing (immediate_exit; the vCPU
 * parks next, which clears it). */
static void finish_io(struct vmm_vcpu *vcpu)
{
	vcpu->run->immediate_exit = 1;
	if (ioctl(vcpu->fd, KVM_RUN, 0) == 0 || errno != EINTR)
		errx(VMM_STATUS_HOST, "gdb: finishing an I/O exit: KVM_RUN "
				      "did not return EINTR");
	vcpu->run->kvm_dirty_regs = 0; /* written back by that KVM_RUN */
}

/*
 * The port I/O exit of `out dx, al` at a breakpoint: KVM may not have
 * finished it (it would step past the out on the next KVM_RUN), so finish it
 * now with a KVM_RUN that runs nothing (immediate_exit), then put rip back on
 * the breakpoint, where the guest is to go on from.
 */
static void trap_rewind(struct vmm_vcpu *vcpu, uint64_t bp_addr)
{
	struct kvm_regs regs;

	vcpu->run->kvm_dirty_regs = 0;
	finish_io(vcpu);
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (GET_REGS) failed");
	regs.rip = bp_addr;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		err(VMM_STATUS_HOST, "KVM: ioctl (SET_REGS) failed");
}

void vmm_gdb_after_io(struct vmm_vcpu *vcpu)
{
	if (!stub.caps.out_rip_past || vcpu->run->exit_reason != KVM_EXIT_IO ||
	    vcpu->run->io.direction != KVM_EXIT_IO_OUT)
		return;
	pthread_mutex_lock(&stub.lock);
	if (stub.active && stub.action[vcpu->id] == GDB_STEP) {
		finish_io(vcpu); /* the handler's register changes land */
		stop_event(vcpu, vcpu->id, 5, "", true);
		stub.action[vcpu->id] = GDB_STAY;
	}
	pthread_mutex_unlock(&stub.lock);
}

bool vmm_gdb_io_exit(struct vmm_vcpu *vcpu)
{
	const struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	struct sw_bp *bp;
	uint64_t rip;
	const uint8_t *p;

	if (!__atomic_load_n(&stub.nsw, __ATOMIC_RELAXED) ||
	    stub.trap != TRAP_OUT || run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.size != 1 || run->io.count != 1)
		return false;
	if (vcpu->sync_regs) {
		rip = run->s.regs.regs.rip;
	} else {
		if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
			err(VMM_STATUS_HOST, "KVM: ioctl (GET_REGS) failed");
		rip = regs.rip;
	}
	if (stub.caps.out_rip_past)
		rip--; /* KVM emulated the out */
	pthread_mutex_lock(&stub.lock);
	bp = stub.active ? sw_at(rip) : NULL;
	p = bp ? vmm_mem_ptr(&stub.vm->mem, bp->gpa, 1) : NULL;
	if (!p || *p != TRAP_OUT) {
		pthread_mutex_unlock(&stub.lock);
		return false; /* the guest's own out */
	}
	trap_rewind(vcpu, rip);
	stop_event(vcpu, vcpu->id, 5, "swbreak:;", false);
	stub.action[vcpu->id] = GDB_STAY;
	pthread_mutex_unlock(&stub.lock);
	return true;
}

/* ---- the stub's thread ---- */

/* One packet from gdb, under the lock. False: the session is over. */
static bool on_packet(void)
{
	size_t len;
	enum gdb_verdict v;

	if (!stub.session.no_ack)
		send_raw("+", 1);
	v = gdb_handle_packet(&stub.session, stub.rx.buf, stub.rx.len,
			      stub.reply, &len);
	if (v != GDB_RESUME && (v != GDB_KILL || len))
		send_packet(stub.reply, len);
	if (len > 2 && stub.reply[0] == 'E' && stub.reply[1] == '.') {
		char shown[41]; /* the packet is the peer's: printable only */
		size_t n = 0;

		for (; n < stub.rx.len && n < sizeof(shown) - 1; n++)
			shown[n] =
			    stub.rx.buf[n] >= 0x20 && stub.rx.buf[n] < 0x7f
				? stub.rx.buf[n]
				: '?';
		shown[n] = '\0';
		fprintf(stderr, "minivmm: gdb: %s%s: %s\n", shown,
			stub.rx.len > n ? "..." : "", stub.reply + 2);
	}
	switch (v) {
	case GDB_RESUME:
		resume();
		return true;
	case GDB_DETACH:
		detach("detached");
		return false;
	case GDB_KILL:
		fprintf(stderr, "minivmm: gdb killed the guest\n");
		__atomic_store_n(&stub.active, false, __ATOMIC_RELEASE);
		vmm_run_stop(VMM_STATUS_KILLED);
		pthread_cond_broadcast(&stub.cv);
		return false;
	default:
		return true;
	}
}

/* Bytes from gdb, under the lock. False: the session is over. */
static bool on_bytes(const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (gdb_rx_byte(&stub.rx, buf[i])) {
		case GDB_RX_PACKET:
			if (stub.running) /* not taken while running */
				break;
			if (!on_packet())
				return false;
			break;
		case GDB_RX_BAD:
			if (!stub.session.no_ack)
				send_raw("-", 1);
			break;
		case GDB_RX_OVERLONG:
			if (!stub.session.no_ack)
				send_raw("+", 1);
			send_str("E.packet too long");
			break;
		case GDB_RX_INTERRUPT:
			if (stub.running && !stub.paused) {
				stop_event(NULL, stub.session.c_cpu, 2, "",
					   false);
				if (wait_all_parked())
					report_stop();
			}
			break;
		case GDB_RX_NAK:
			send_raw(stub.frame, stub.frame_len);
			break;
		default:
			break;
		}
	}
	return true;
}

static void *stub_thread(void *arg)
{
	uint8_t buf[4096];

	(void)arg;
	__atomic_store_n(&stub.thread_up, true, __ATOMIC_RELEASE);
	pthread_mutex_lock(&stub.lock);
	wait_all_parked(); /* before the first instruction */
	pthread_mutex_unlock(&stub.lock);
	for (;;) {
		struct pollfd p[2] = {{.fd = stub.conn, .events = POLLIN},
				      {.fd = stub.wake[0], .events = POLLIN}};
		bool go_on = true;
		ssize_t n;

		if (poll(p, 2, -1) < 0)
			continue;
		pthread_mutex_lock(&stub.lock);
		if (p[1].revents && read(stub.wake[0], buf, sizeof(buf)) > 0 &&
		    stub.running && stub.paused && wait_all_parked())
			report_stop();
		if (stub.finished) {
			pthread_mutex_unlock(&stub.lock);
			break;
		}
		if (p[0].revents) {
			n = read(stub.conn, buf, sizeof(buf));
			if (n > 0) {
				go_on = on_bytes(buf, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				detach("connection closed");
				go_on = false;
			}
		}
		pthread_mutex_unlock(&stub.lock);
		if (!go_on)
			break;
	}
	/* A thread's exit blocks signals first, which the sandbox refuses:
	 * wait for the process to end instead. */
	for (;;)
		poll(NULL, 0, -1);
	return NULL;
}

void vmm_gdb_start(struct vmm_vm *vm, const struct gdb_addr *addr)
{
	pthread_t t;
	int e;

	stub.vm = vm;
	stub.pid = getpid();
	gdb_probe_host(vm->kvm_fd, &stub.caps);
	stub.trap = stub.caps.sw_bp ? TRAP_INT3 : TRAP_OUT;
	fprintf(
	    stderr,
	    "minivmm: gdb: this host's KVM: single-step %s; breakpoints "
	    "%s; hardware breakpoints %s, hardware watchpoints %s; an out "
	    "exits with rip %s it\n",
	    stub.caps.step ? "yes" : "no",
	    stub.caps.sw_bp ? "int3" : "out dx, al (int3 does not exit here)",
	    stub.caps.hw_bp ? "yes" : "no", stub.caps.hw_watch ? "yes" : "no",
	    stub.caps.out_rip_past ? "past" : "on");
	if (pipe2(stub.wake, O_CLOEXEC | O_NONBLOCK) < 0)
		err(VMM_STATUS_HOST, "gdb: pipe2");
	gdb_session_init(&stub.session, &stub_ops, NULL, vm->ncpus);
	gdb_rx_init(&stub.rx);
	stub.conn = gdb_accept_one(addr);
	stub.paused = true; /* until gdb says go */
	stub.active = true;
	e = pthread_create(&t, NULL, stub_thread, NULL);
	if (e) {
		errno = e;
		err(VMM_STATUS_HOST, "pthread_create (gdb)");
	}
	pthread_detach(t);
	/* A new thread's first syscalls (glibc's rseq) are not in the
	 * sandbox's filter, which goes on next: wait until it runs. */
	while (!__atomic_load_n(&stub.thread_up, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

void vmm_gdb_finish(int status)
{
	char w[8];

	pthread_mutex_lock(&stub.lock);
	if (stub.active && !stub.finished) {
		snprintf(w, sizeof(w), "W%02x", status & 0xff);
		send_str(w);
	}
	stub.finished = true;
	if (stub.wake[1] >= 0 && write(stub.wake[1], "f", 1) < 0) {
		/* full pipe: the thread is awake already */
	}
	pthread_mutex_unlock(&stub.lock);
}

void vmm_gdb_sandbox_io(struct vmm_sandbox_io *io)
{
	if (stub.conn < 0)
		return;
	io->read_fds[io->nread++] = stub.conn;
	io->read_fds[io->nread++] = stub.wake[0];
	io->write_fds[io->nwrite++] = stub.conn;
	io->write_fds[io->nwrite++] = stub.wake[1];
	io->debug_ioctls = true;
}
